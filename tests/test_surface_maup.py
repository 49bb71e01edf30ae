"""The area-versus-grid comparison: overlaps, labels, and grid clusters on concentrations."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from clustergeo.surface.maup import compare_clusters

Row = tuple[str, str, tuple[float, float, float, float], float]


def _frame(rows: list[Row]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "cluster_id": [r[0] for r in rows],
            "industry_code": [r[1] for r in rows],
            "employment": [r[3] for r in rows],
        },
        geometry=[box(*r[2]) for r in rows],
        crs="EPSG:27700",
    )


@pytest.fixture
def areas() -> gpd.GeoDataFrame:
    return _frame(
        [
            ("m-a", "m", (0, 0, 2000, 2000), 500),  # the grid's g1 covers 3/4 of it: stable
            ("m-b", "m", (5000, 0, 6000, 1000), 500),  # g2 overlaps a quarter: shifted
            ("m-c", "m", (9000, 0, 10000, 1000), 500),  # nothing on the grid: area-only
        ]
    )


@pytest.fixture
def grid() -> gpd.GeoDataFrame:
    return _frame(
        [
            ("g1", "m", (0, 0, 2000, 1500), 400),
            ("g2", "m", (5500, 500, 6500, 1500), 400),
            ("g3", "m", (20000, 0, 21000, 1000), 400),  # nothing on the areas: grid-only
            ("g4", "m", (30000, 0, 32000, 1000), 1000),  # on a concentration
            ("g5", "x", (0, 0, 2000, 2000), 400),  # another industry's: never matched to m's
            ("g6", "m", (40000, 0, 50000, 1000), 5000),  # a belt round a concentration
        ]
    )


@pytest.fixture
def places() -> gpd.GeoDataFrame:
    """Member areas of the area concentrations, one row each, with their jobs."""
    return _frame(
        [
            # m-q: two areas; g4 covers all of the first and a tenth of the second.
            ("m-q", "m", (30000, 0, 31000, 1000), 800),
            ("m-q", "m", (31000, 0, 41000, 1000), 500),
            ("m-p", "m", (29000, 0, 30000, 1000), 70),  # beside g4, outside it
            ("x-p", "x", (20000, 0, 21000, 1000), 400),  # another industry's, under g3
            ("m-r", "m", (44000, 0, 46000, 2000), 4000),  # half of it (2,000 jobs) in g6
        ]
    )


def test_each_area_cluster_gets_its_best_grid_match_and_each_unmatched_grid_cluster_a_row(
    areas: gpd.GeoDataFrame, grid: gpd.GeoDataFrame, places: gpd.GeoDataFrame
) -> None:
    table = compare_clusters(areas, grid, stable_iou=0.5, concentration_areas=places)
    by_area = table.set_index("area_cluster_id")
    assert by_area.loc[["m-a", "m-b", "m-c"], "stability"].tolist() == [
        "stable",
        "shifted",
        "area-only",
    ]
    by_grid = table.set_index("grid_cluster_id")
    assert by_grid.loc["g1", "iou"] == pytest.approx(0.75)
    assert by_grid.loc["g3", "stability"] == "grid-only"
    assert pd.isna(by_grid.loc["g3", "area_cluster_id"])
    assert by_grid.loc["g5", "stability"] == "grid-only"


def test_a_grid_cluster_whose_jobs_are_mostly_a_concentrations_is_said_to_be_one(
    areas: gpd.GeoDataFrame, grid: gpd.GeoDataFrame, places: gpd.GeoDataFrame
) -> None:
    by_grid = compare_clusters(areas, grid, stable_iou=0.5, concentration_areas=places).set_index(
        "grid_cluster_id"
    )
    # g4 (1,000 jobs) holds m-q's first area whole (800 jobs) and a tenth of its second (50):
    # 850, counted area by area; spread over m-q's whole outline, 2/11 of 1,300 would be 236.
    assert by_grid.loc["g4", "stability"] == "concentration"
    assert by_grid.loc["g4", "area_cluster_id"] == "m-q"
    assert by_grid.loc["g4", "concentration_ids"] == "m-q"
    assert by_grid.loc["g4", "concentration_share"] == pytest.approx(0.85)
    # m-r's jobs in g6 (2,000 of 5,000) are too few: the grid sees more than the place. It
    # says how much of it the places are: m-r's, and m-q's 50 jobs in the tenth of its second
    # area that g6 covers, the most first.
    assert by_grid.loc["g6", "stability"] == "grid-only"
    assert by_grid.loc["g6", "concentration_ids"] == "m-r;m-q"
    assert by_grid.loc["g6", "concentration_share"] == pytest.approx(0.41)
    # Another industry's place under g3 is not counted; nor are the area clusters' rows.
    assert by_grid.loc["g3", "concentration_share"] == 0
    assert by_grid.loc["g1", "concentration_ids"] == ""
    # Without the concentrations, every unmatched grid cluster is grid-only, as before.
    plain = compare_clusters(areas, grid, stable_iou=0.5).set_index("grid_cluster_id")
    assert plain.loc["g4", "stability"] == "grid-only"
    assert pd.isna(plain.loc["g4", "concentration_share"])
