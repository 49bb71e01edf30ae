"""Findings: clusters (core and extent), concentrations, attributes and stable IDs."""

from __future__ import annotations

import math
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from clustergeo.clusters.delineate import (
    candidate_members,
    hot_classes,
    select_columns,
    significant_members,
)
from clustergeo.clusters.findings import build_findings
from clustergeo.config import ClustersConfig, ConcentrationsConfig
from clustergeo.hotspots.weights import SpatialWeights, build_weights
from conftest import square_grid

# A 6 x 4 grid of 100 m squares, codes A<row><column>:
#
#   row 3   .    .    .    .    .    .
#   row 2   .    .   A22   .    .    .        A22 touches A11 by its corner only
#   row 1  A10  A11   .    .    .   A15
#   row 0  A00  A01  A02   .   A04  A05       A02: hot but own LQ 1.1 (extent, not core)
#                                             A04: own LQ 2 but not significant
#
# Block one (A00, A01, A10, A11 and A22) and block two (A05, A15) are the hot spots of C.
REFERENCE_SHARE = 0.1
REFERENCE_TOTAL = 1e7
AREA_TOTAL = 1000.0
BACKGROUND = 50.0
HOT: dict[str, tuple[float, float, str]] = {
    # code: (employment, gi_star_z, gi_star_class)
    "A00": (300.0, 3.1, "hot_99"),
    "A01": (250.0, 2.8, "hot_99"),
    "A10": (200.0, 2.5, "hot_95"),
    "A11": (150.0, 2.2, "hot_95"),
    "A22": (200.0, 1.9, "hot_95"),
    "A05": (400.0, 2.4, "hot_95"),
    "A15": (350.0, 2.6, "hot_99"),
    "A02": (110.0, 2.0, "hot_95"),
    "A04": (200.0, 1.7, "not_significant"),
}
BLOCK_ONE = ["A00", "A01", "A10", "A11", "A22"]
BLOCK_TWO = ["A05", "A15"]
# 1100 in block one, 750 in block two, 110 in A02, 200 in A04 and 15 background cells of 50.
C_TOTAL = 1100.0 + 750.0 + 110.0 + 200.0 + 15 * 50.0

# Concentrations off and no size floor, unless a test says otherwise.
PLAIN = ClustersConfig(min_employment=0, concentrations=ConcentrationsConfig(enabled=False))


@pytest.fixture(scope="module")
def grid() -> gpd.GeoDataFrame:
    areas = square_grid(6, 4)
    areas["area_km2"] = areas.geometry.area / 1e6
    return areas


@pytest.fixture(scope="module")
def weights(grid: gpd.GeoDataFrame) -> SpatialWeights:
    return build_weights(grid)


def _row(code: str, industry: str, employment: float, **values: Any) -> dict[str, Any]:
    area_total = values.pop("area_total", AREA_TOTAL)
    lq = employment / area_total / REFERENCE_SHARE
    row: dict[str, Any] = {
        "area_code": code,
        "industry_code": industry,
        "label": {"C": "Manufacturing", "J": "Information and communication"}.get(industry, "X"),
        "kind": "industry",
        "employment": employment,
        "area_total": area_total,
        "reference_share": REFERENCE_SHARE,
        "lq": lq,
        "lq_lower": lq * 0.8,
        "lq_unreliable": False,
        "gi_star_z": 0.1,
        "gi_star_class": "not_significant",
        "moran_quadrant": "",
        "moran_p_fdr": 0.7,
        "moran_class": "not_significant",
    }
    row.update(values)
    return row


def _industry(
    codes: list[str], industry: str, hot: dict[str, tuple[float, float, str]]
) -> pd.DataFrame:
    rows = []
    for code in codes:
        if code in hot:
            employment, z, klass = hot[code]
            rows.append(_row(code, industry, employment, gi_star_z=z, gi_star_class=klass))
        else:
            rows.append(_row(code, industry, BACKGROUND))
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def results(grid: gpd.GeoDataFrame) -> pd.DataFrame:
    return _industry(list(grid["area_code"]), "C", HOT)


def _find(
    results: pd.DataFrame,
    grid: gpd.GeoDataFrame,
    weights: SpatialWeights,
    settings: ClustersConfig = PLAIN,
    *,
    columns: tuple[str, ...] = ("C",),
    traded: dict[str, bool] | None = None,
) -> Any:
    return build_findings(
        results,
        grid,
        weights,
        settings,
        list(columns),
        traded=traded or {},
        reference_total=REFERENCE_TOTAL,
    )


# --- the class vocabulary is the membership threshold ----------------------------------------


def test_hot_classes_are_the_classes_at_the_significance_level() -> None:
    assert hot_classes(0.05) == ("hot_99", "hot_95")
    assert hot_classes(0.01) == ("hot_99",)


def test_significance_must_be_a_class_boundary() -> None:
    assert ClustersConfig(significance=0.01).significance == 0.01
    with pytest.raises(ValueError, match="boundary of the hot-spot classes"):
        ClustersConfig(significance=0.10)


# --- joining neighbours, core and extent -----------------------------------------------------


def test_two_blocks_become_two_clusters_with_their_cores_and_extents(
    results: pd.DataFrame, grid: gpd.GeoDataFrame, weights: SpatialWeights
) -> None:
    found = _find(results, grid, weights)
    clusters = found.findings.set_index("cluster_id")
    assert set(clusters.index) == {"C-A00", "C-A05"}
    assert (clusters["kind"] == "cluster").all()
    one, two = clusters.loc["C-A00"], clusters.loc["C-A05"]
    assert one["member_codes"] == ";".join(BLOCK_ONE)
    # A02 is a hot spot beside A01 but not specialised itself: extent, not core.
    assert one["extent_member_codes"] == "A00;A01;A02;A10;A11;A22"
    assert two["member_codes"] == two["extent_member_codes"] == ";".join(BLOCK_TWO)
    members = found.members.set_index(["cluster_id", "area_code"])["part"]
    assert members.loc[("C-A00", "A02")] == "extent"
    assert members.loc[("C-A00", "A22")] == "core"
    assert len(found.members) == 8
    assert "A04" not in set(found.members["area_code"])  # not significant
    assert found.report["clusters"] == 2
    assert found.report["per_industry"]["C"] == {
        "significant_areas": 8,
        "core_areas": 7,
        "clusters": 2,
        "no_core": 0,
        "dropped_small": 0,
    }


def test_cluster_attributes_are_the_hand_computed_values(
    results: pd.DataFrame, grid: gpd.GeoDataFrame, weights: SpatialWeights
) -> None:
    clusters = _find(results, grid, weights).findings.set_index("cluster_id")
    one, two = clusters.loc["C-A00"], clusters.loc["C-A05"]
    assert one["industry_code"] == "C"
    assert one["industry_kind"] == "industry"
    assert one["label"] == "Manufacturing"
    assert one["anchor_area_code"] == "A00"  # 300 workers, the most
    assert one["anchor_share"] == pytest.approx(300.0 / 1100.0)
    assert one["n_units"] == 5
    assert one["employment"] == 1100.0
    assert one["employment_share"] == pytest.approx(1100.0 / C_TOTAL)
    # LQ of the core as one area: 1100 / 5000 workers, over the reference share 0.1.
    assert one["lq"] == pytest.approx(2.2)
    assert one["focus"] == pytest.approx(0.22)
    # Var(ln LQ) = 1/1100 - 1/5000 + 1/1e6 - 1/1e7 = 0.00070999; se = 0.0266456.
    assert one["lq_z"] == pytest.approx(math.log(2.2) / 0.0266456, rel=1e-5)
    assert one["lq_lower"] == pytest.approx(2.2 * math.exp(-1.959964 * 0.0266456), rel=1e-6)
    assert one["lq_upper"] == pytest.approx(2.2 * math.exp(1.959964 * 0.0266456), rel=1e-6)
    assert one["peak_gi_star_z"] == pytest.approx(3.1)
    assert one["mean_gi_star_z"] == pytest.approx((3.1 + 2.8 + 2.5 + 2.2 + 1.9) / 5)
    assert one["area_km2"] == pytest.approx(0.05)
    assert one["extent_n_units"] == 6
    assert one["extent_employment"] == 1210.0
    assert one["extent_lq"] == pytest.approx(1210.0 / 6000.0 / 0.1)
    assert one["extent_area_km2"] == pytest.approx(0.06)
    assert not one["moran_outlier"]

    assert two["anchor_area_code"] == "A05"
    assert two["n_units"] == 2
    assert two["employment"] == 750.0
    assert two["lq"] == pytest.approx(750.0 / 2000.0 / 0.1)
    assert two["peak_gi_star_z"] == pytest.approx(2.6)
    # Block two is the 100 m x 200 m rectangle of column 5, rows 0 and 1.
    assert two["centroid_x"] == pytest.approx(440_550.0)
    assert two["centroid_y"] == pytest.approx(330_100.0)
    assert clusters.crs.to_epsg() == 27700
    assert clusters.geometry.is_valid.all()


def test_extent_joins_cores_that_only_unspecialised_hot_areas_connect(
    grid: gpd.GeoDataFrame, weights: SpatialWeights
) -> None:
    # A00 and A04 are specialised; A01-A03 between them are hot but not (own LQ 0.8): one
    # cluster whose core has two parts and whose extent is the whole span.
    hot = {
        "A00": (400.0, 3.0, "hot_99"),
        "A01": (80.0, 2.5, "hot_95"),
        "A02": (80.0, 2.4, "hot_95"),
        "A03": (80.0, 2.4, "hot_95"),
        "A04": (300.0, 2.9, "hot_99"),
    }
    found = _find(_industry(list(grid["area_code"]), "C", hot), grid, weights)
    assert len(found.findings) == 1
    span = found.findings.iloc[0]
    assert span["cluster_id"] == "C-A00"
    assert span["member_codes"] == "A00;A04"
    assert span["extent_member_codes"] == "A00;A01;A02;A03;A04"
    assert span.geometry.geom_type == "MultiPolygon"
    extent = found.extents.set_index("cluster_id").geometry["C-A00"]
    assert extent.area == pytest.approx(5 * 100.0 * 100.0)


def test_hot_areas_without_a_specialised_one_are_no_cluster(
    grid: gpd.GeoDataFrame, weights: SpatialWeights
) -> None:
    hot = {"A33": (60.0, 2.2, "hot_95"), "A34": (70.0, 2.3, "hot_95")}
    found = _find(_industry(list(grid["area_code"]), "C", hot), grid, weights)
    assert found.findings.empty
    assert found.report["per_industry"]["C"]["no_core"] == 1


def test_cluster_lq_weights_members_by_their_total_employment(
    grid: gpd.GeoDataFrame, weights: SpatialWeights
) -> None:
    # Two members: 300 of 1000 workers (LQ 3) and 100 of 4000 workers (LQ 0.25 < min_lq, so
    # it is let in by setting min_lq 0). The cluster's LQ is 400 / 5000 / 0.1 = 0.8, not the
    # plain mean of 1.625.
    table = pd.DataFrame(
        [
            _row("A00", "C", 300.0, gi_star_class="hot_99", gi_star_z=3.0),
            _row("A01", "C", 100.0, area_total=4000.0, gi_star_class="hot_95", gi_star_z=2.0),
        ]
    )
    settings = ClustersConfig(
        min_lq=0, min_employment=0, concentrations=ConcentrationsConfig(enabled=False)
    )
    found = _find(table, grid, weights, settings)
    assert found.findings["lq"].item() == pytest.approx(0.8)


# --- membership rules ------------------------------------------------------------------------


def _rule_table() -> pd.DataFrame:
    rows = [
        {"gi_star_class": "hot_99", "lq": 2.0},
        {"gi_star_class": "hot_95", "lq": 1.25},  # on the LQ limit
        {"gi_star_class": "hot_95", "lq": 1.2},  # extent only: own LQ low
        {"gi_star_class": "cold_99", "lq": 2.0},
        {"gi_star_class": "not_significant", "lq": 2.0},
        {"gi_star_class": "not_tested", "lq": 2.0},
    ]
    table = pd.DataFrame(rows)
    table["moran_quadrant"] = ["HH", "HH", "HH", "LH", "HH", ""]
    table["moran_p_fdr"] = [0.01, 0.05, 0.01, 0.01, 0.06, np.nan]
    table["lq_lower"] = [1.5, 1.01, 1.05, 1.0, 1.5, 1.2]
    return table


def test_gi_star_membership_is_the_hot_classes_and_the_core_needs_its_own_lq() -> None:
    table = _rule_table()
    assert significant_members(table, PLAIN).tolist() == [True, True, True, False, False, False]
    assert candidate_members(table, PLAIN).tolist() == [True, True, False, False, False, False]
    strict = ClustersConfig(significance=0.01)
    assert significant_members(table, strict).tolist() == [True, False, False, False, False, False]


def test_moran_hh_membership_needs_a_significant_high_high_area() -> None:
    settings = ClustersConfig(membership="moran_hh")
    # Row 3 is LH, row 4 has p 0.06 and row 5 was not tested.
    assert significant_members(_rule_table(), settings).tolist() == [
        True,
        True,
        True,
        False,
        False,
        False,
    ]
    assert candidate_members(_rule_table(), settings).tolist() == [
        True,
        True,
        False,
        False,
        False,
        False,
    ]


def test_lq_membership_needs_a_lower_bound_above_one() -> None:
    settings = ClustersConfig(membership="lq")
    # Row 3 has a lower bound of exactly 1.
    assert significant_members(_rule_table(), settings).tolist() == [
        True,
        True,
        True,
        False,
        True,
        True,
    ]


def test_candidate_members_keeps_the_table_index() -> None:
    table = _rule_table().set_axis(range(10, 16))
    assert list(candidate_members(table, ClustersConfig()).index) == list(range(10, 16))


# --- size rules ------------------------------------------------------------------------------


def test_min_units_counts_the_core_and_drops_small_clusters(
    results: pd.DataFrame, grid: gpd.GeoDataFrame, weights: SpatialWeights
) -> None:
    settings = PLAIN.model_copy(update={"min_units": 3})
    found = _find(results, grid, weights, settings)
    assert list(found.findings["cluster_id"]) == ["C-A00"]
    assert set(found.members["cluster_id"]) == {"C-A00"}
    assert found.report["per_industry"]["C"]["dropped_small"] == 1
    assert found.report["min_units"] == 3


def test_min_employment_counts_the_core_and_keeps_one_on_the_limit(
    results: pd.DataFrame, grid: gpd.GeoDataFrame, weights: SpatialWeights
) -> None:
    found = _find(results, grid, weights, PLAIN.model_copy(update={"min_employment": 1100}))
    assert list(found.findings["cluster_id"]) == ["C-A00"]  # 1100 core workers: kept
    assert found.report["per_industry"]["C"]["dropped_small"] == 1  # 750 workers: dropped
    # 1210 workers in the extent do not count: the core has 1100.
    none = _find(results, grid, weights, PLAIN.model_copy(update={"min_employment": 1101}))
    assert none.findings.empty
    assert none.members.empty
    assert none.report["per_industry"]["C"]["dropped_small"] == 2


# --- concentrations --------------------------------------------------------------------------

CONCENTRATING = ClustersConfig(
    min_employment=0,
    concentrations=ConcentrationsConfig(min_employment=0, min_employment_share=0.0),
)


def _plant(grid: gpd.GeoDataFrame, **plants: float) -> pd.DataFrame:
    """Industry C everywhere at the background, with plants of the given employment."""
    table = _industry(list(grid["area_code"]), "C", {})
    for code, employment in plants.items():
        row = table["area_code"] == code
        table.loc[row, "employment"] = employment
        table.loc[row, "lq"] = employment / AREA_TOTAL / REFERENCE_SHARE
    return table


def test_a_single_plant_gi_star_cannot_see_is_a_concentration(
    grid: gpd.GeoDataFrame, weights: SpatialWeights
) -> None:
    found = _find(_plant(grid, A22=500.0), grid, weights, CONCENTRATING)
    assert len(found.findings) == 1
    plant = found.findings.iloc[0]
    assert plant["cluster_id"] == "C-A22"
    assert plant["kind"] == "concentration"
    assert plant["member_codes"] == plant["extent_member_codes"] == "A22"
    assert plant["lq"] == pytest.approx(5.0)
    assert np.isnan(plant["peak_gi_star_z"]) or plant["peak_gi_star_z"] == pytest.approx(0.1)
    assert found.report["concentrations_found"] == 1
    assert found.report["per_industry"]["C"]["specialised_areas"] == 1


def test_the_concentration_test_is_the_hand_computed_one_sided_z() -> None:
    from clustergeo.clusters.concentrations import lq_tests

    table = pd.DataFrame([_row("A", "C", 500.0), _row("B", "C", 310.0), _row("C", "C", 50.0)])
    tests = lq_tests(table, ConcentrationsConfig(), REFERENCE_TOTAL)
    # LQ 5: (ln 5 - ln 3) / sqrt(1/500 - 1/1000 + 1/1e6 - 1/1e7) = 0.5108256 / 0.0316370.
    assert tests["lq_test_z"].iloc[0] == pytest.approx(16.14646, rel=1e-5)
    # LQ 3.1: (ln 3.1 - ln 3) / sqrt(1/310 - 1/1000 + 0.0000009) = 0.0327898 / 0.0471878.
    assert tests["lq_test_z"].iloc[1] == pytest.approx(0.694876, rel=1e-5)
    assert tests["lq_test_p"].iloc[1] == pytest.approx(0.243566, rel=1e-5)
    # Benjamini-Hochberg over the three: the middle p times 3/2.
    assert tests["lq_test_p_fdr"].iloc[1] == pytest.approx(0.243566 * 3 / 2, rel=1e-5)
    # LQ 0.5 is nowhere near 3: p is 1 to machine precision.
    assert tests["lq_test_p"].iloc[2] == pytest.approx(1.0)


def test_gva_concentrations_are_lqs_at_the_threshold_without_the_count_test(
    grid: gpd.GeoDataFrame, weights: SpatialWeights
) -> None:
    """GVA is not a count: the Poisson test would change with the unit, so LQ >= L0 decides."""
    # LQ 3.1 on 310 (£m): the count test cannot reject LQ <= 3 (p 0.24), the threshold passes.
    results = _plant(grid, A22=310.0)
    counted = _find(results, grid, weights, CONCENTRATING)
    assert counted.findings.empty
    found = build_findings(
        results,
        grid,
        weights,
        CONCENTRATING,
        ["C"],
        traded={},
        reference_total=REFERENCE_TOTAL,
        values_are_counts=False,
    )
    assert found.findings["cluster_id"].tolist() == ["C-A22"]
    assert found.findings["lq"].iloc[0] == pytest.approx(3.1)
    # Nor does a count's interval or z describe £m: they are missing, not unit-dependent.
    assert found.findings[["lq_lower", "lq_upper", "lq_z"]].isna().all().all()


def test_neighbouring_specialised_areas_are_one_concentration_and_the_floor_counts_the_group(
    grid: gpd.GeoDataFrame, weights: SpatialWeights
) -> None:
    table = _plant(grid, A30=400.0, A31=450.0, A35=600.0)
    floor = CONCENTRATING.model_copy(
        update={"concentrations": ConcentrationsConfig(min_employment=800)}
    )
    found = _find(table, grid, weights, floor)
    # A30 + A31 (850 workers) pass the floor of 800 together; A35 (600) alone does not.
    assert list(found.findings["cluster_id"]) == ["C-A31"]
    assert found.findings["member_codes"].item() == "A30;A31"
    assert found.report["per_industry"]["C"]["dropped_small"] == 1
    # The share floor: 0.4% of C's study-area employment.
    share = CONCENTRATING.model_copy(
        update={"concentrations": ConcentrationsConfig(min_employment=0, min_employment_share=0.4)}
    )
    assert _find(table, grid, weights, share).findings.empty  # 850 < 0.4 x 2,550


def test_areas_of_a_cluster_are_not_also_a_concentration(
    results: pd.DataFrame, grid: gpd.GeoDataFrame, weights: SpatialWeights
) -> None:
    table = results.copy()
    # A05 (400 of 1000, LQ 4) is in block two's core; A33 (LQ 4) stands alone.
    table.loc[table["area_code"] == "A33", ["employment", "lq"]] = [400.0, 4.0]
    found = _find(table, grid, weights, CONCENTRATING).findings.set_index("cluster_id")
    assert found.loc["C-A05", "kind"] == "cluster"
    assert found.loc["C-A33", "kind"] == "concentration"
    assert len(found) == 3


def test_unreliable_lqs_and_a_disabled_rule_give_no_concentration(
    grid: gpd.GeoDataFrame, weights: SpatialWeights
) -> None:
    table = _plant(grid, A22=500.0)
    table.loc[table["area_code"] == "A22", "lq_unreliable"] = True
    assert _find(table, grid, weights, CONCENTRATING).findings.empty
    off = CONCENTRATING.model_copy(update={"concentrations": ConcentrationsConfig(enabled=False)})
    assert _find(_plant(grid, A22=500.0), grid, weights, off).findings.empty


def test_moran_high_low_outlier_is_reported_not_required(
    grid: gpd.GeoDataFrame, weights: SpatialWeights
) -> None:
    table = _plant(grid, A22=500.0, A35=500.0)
    table.loc[table["area_code"] == "A22", "moran_class"] = "HL"
    found = _find(table, grid, weights, CONCENTRATING).findings.set_index("cluster_id")
    assert found.loc["C-A22", "moran_outlier"]
    assert not found.loc["C-A35", "moran_outlier"]


# --- non-traded industries -------------------------------------------------------------------


def test_local_serving_industries_are_left_out_unless_asked(
    results: pd.DataFrame, grid: gpd.GeoDataFrame, weights: SpatialWeights
) -> None:
    builders = results.assign(industry_code="F", label="Construction")
    table = pd.concat([results, builders], ignore_index=True)
    found = _find(table, grid, weights, columns=("C", "F"), traded={"F": False})
    assert set(found.findings["industry_code"]) == {"C"}
    assert found.report["non_traded_left_out"] == {"F": 2}
    asked = PLAIN.model_copy(update={"include_non_traded": True})
    both = _find(table, grid, weights, asked, columns=("C", "F"), traded={"F": False})
    assert set(both.findings["industry_code"]) == {"C", "F"}
    assert not both.findings.set_index("cluster_id").loc["F-A00", "traded"]


# --- stable IDs and order --------------------------------------------------------------------


def test_cluster_id_is_the_industry_and_the_area_employing_most(
    grid: gpd.GeoDataFrame, weights: SpatialWeights
) -> None:
    hot = {
        "A11": (300.0, 2.0, "hot_95"),
        "A12": (350.0, 2.9, "hot_95"),
        "A13": (350.0, 2.9, "hot_95"),  # ties with A12: the smaller code wins
        "A14": (300.0, np.nan, "hot_95"),
    }
    table = _industry(list(grid["area_code"]), "C", hot)
    table["industry_code"] = "automotive"
    table["kind"] = "cluster"
    found = _find(table, grid, weights, columns=("automotive",))
    row = found.findings.iloc[0]
    assert row["cluster_id"] == "automotive-A12"
    assert row["anchor_area_code"] == "A12"
    assert row["industry_kind"] == "cluster"
    assert row["peak_gi_star_z"] == pytest.approx(2.9)
    assert row["mean_gi_star_z"] == pytest.approx((2.0 + 2.9 + 2.9) / 3)  # NaN left out


def test_shuffled_rows_and_areas_give_identical_findings(
    results: pd.DataFrame, grid: gpd.GeoDataFrame, weights: SpatialWeights
) -> None:
    table = results.copy()
    table.loc[table["area_code"] == "A33", ["employment", "lq"]] = [400.0, 4.0]
    ordered = _find(table, grid, weights, CONCENTRATING)
    shuffled_grid = grid.sample(frac=1.0, random_state=4)
    shuffled = _find(
        table.sample(frac=1.0, random_state=11),
        shuffled_grid,
        build_weights(shuffled_grid),
        CONCENTRATING,
    )
    assert list(shuffled_grid["area_code"]) != list(grid["area_code"])
    pd.testing.assert_frame_equal(
        pd.DataFrame(shuffled.findings.drop(columns="geometry")),
        pd.DataFrame(ordered.findings.drop(columns="geometry")),
    )
    assert shuffled.findings.geometry.geom_equals(ordered.findings.geometry).all()
    pd.testing.assert_frame_equal(shuffled.members, ordered.members)
    assert shuffled.report == ordered.report


def test_another_industry_does_not_change_the_ids_of_the_others(
    results: pd.DataFrame, grid: gpd.GeoDataFrame, weights: SpatialWeights
) -> None:
    alone = _find(results, grid, weights).findings
    other = _industry(
        list(grid["area_code"]),
        "J",
        {"A33": (500.0, 3.5, "hot_99"), "A23": (400.0, 3.0, "hot_99")},
    )
    both = _find(pd.concat([other, results]), grid, weights, columns=("C", "J")).findings
    assert set(both["cluster_id"]) == {"C-A00", "C-A05", "J-A33"}
    columns = ["cluster_id", "member_codes", "employment", "lq", "extent_member_codes"]
    pd.testing.assert_frame_equal(
        both.loc[both["industry_code"] == "C", columns]
        .sort_values("cluster_id")
        .reset_index(drop=True),
        alone[columns].sort_values("cluster_id").reset_index(drop=True),
    )
    j = both.set_index("cluster_id").loc["J-A33"]
    assert j["member_codes"] == "A23;A33"
    assert j["employment_share"] == pytest.approx(900.0 / (900.0 + 22 * BACKGROUND))


def test_findings_are_sorted_by_strength(
    results: pd.DataFrame, grid: gpd.GeoDataFrame, weights: SpatialWeights
) -> None:
    findings = _find(results, grid, weights).findings
    assert findings["strength"].is_monotonic_decreasing
    assert {"stars", "star_size", "star_specialisation", "star_focus"} <= set(findings.columns)


def test_only_the_requested_columns_are_looked_at(
    results: pd.DataFrame, grid: gpd.GeoDataFrame, weights: SpatialWeights
) -> None:
    other = _industry(list(grid["area_code"]), "J", {"A33": (500.0, 3.5, "hot_99")})
    found = _find(pd.concat([results, other]), grid, weights, columns=("J",))
    assert list(found.findings["cluster_id"]) == ["J-A33"]
    assert list(found.report["per_industry"]) == ["J"]


def test_area_outside_the_weights_is_an_error(
    results: pd.DataFrame, grid: gpd.GeoDataFrame
) -> None:
    left = grid.loc[~grid["area_code"].isin(["A00", "A01"])]
    with pytest.raises(ValueError, match="areas not in the weights: A00, A01"):
        _find(results, grid, build_weights(left))


# --- columns and empty results ---------------------------------------------------------------


def test_select_columns_by_kind() -> None:
    kinds = pd.Series(
        {"C": "industry", "J": "industry", "auto": "cluster", "digital": "cluster"}, name="kind"
    )
    assert select_columns(kinds, "auto") == ["auto", "digital"]
    assert select_columns(kinds, "cluster_definitions") == ["auto", "digital"]
    assert select_columns(kinds, "industries") == ["C", "J"]
    assert select_columns(kinds, "all") == ["C", "J", "auto", "digital"]
    industries_only = kinds.loc[["C", "J"]]
    assert select_columns(industries_only, "auto") == ["C", "J"]
    assert select_columns(industries_only, "cluster_definitions") == []


def test_no_findings_give_empty_tables_with_the_columns(
    grid: gpd.GeoDataFrame, weights: SpatialWeights
) -> None:
    found = _find(_industry(list(grid["area_code"]), "C", {}), grid, weights)
    findings = found.findings
    assert isinstance(findings, gpd.GeoDataFrame)
    assert findings.empty
    non_empty = _find(_industry(list(grid["area_code"]), "C", HOT), grid, weights).findings
    assert list(findings.columns) == list(non_empty.columns)
    assert findings.crs == grid.crs
    assert list(found.members.columns) == ["cluster_id", "area_code", "part"]
    assert found.members.empty
    assert found.extents.empty
    assert found.report["clusters"] == 0


# --- weights as a table of links -------------------------------------------------------------


def test_weights_links_round_trip(weights: SpatialWeights) -> None:
    links = weights.links()
    assert list(links.columns) == ["focal", "neighbour", "weight"]
    # 6 x 4 queen grid: 2 * (5*4 + 6*3) edge links + 4 * 5*3 corner links.
    assert len(links) == 2 * (5 * 4 + 6 * 3) + 4 * 5 * 3
    rebuilt = SpatialWeights.from_links(links, weights.ids, weights.method)
    np.testing.assert_array_equal(rebuilt.matrix.toarray(), weights.matrix.toarray())
    np.testing.assert_array_equal(rebuilt.ids, weights.ids)
    assert rebuilt.binary
    assert rebuilt.method == weights.method


def test_from_links_follows_the_given_order_and_drops_unlisted_areas(
    weights: SpatialWeights,
) -> None:
    links = weights.links()
    ids = np.array(["A11", "A00", "A01", "A35"])
    rebuilt = SpatialWeights.from_links(links, ids, "kept")
    expected = np.array(
        [
            [0, 1, 1, 0],  # A11 touches A00 (corner) and A01
            [1, 0, 1, 0],
            [1, 1, 0, 0],
            [0, 0, 0, 0],  # A35's neighbours are not listed
        ],
        dtype=float,
    )
    np.testing.assert_array_equal(rebuilt.matrix.toarray(), expected)
    assert rebuilt.n == 4


def test_from_links_keeps_non_binary_weights() -> None:
    links = pd.DataFrame(
        {"focal": ["a", "b", "b"], "neighbour": ["b", "a", "z"], "weight": [0.5, 0.5, 1.0]}
    )
    rebuilt = SpatialWeights.from_links(links, np.array(["a", "b"]), "kernel")
    np.testing.assert_array_equal(rebuilt.matrix.toarray(), [[0.0, 0.5], [0.5, 0.0]])
    assert not rebuilt.binary
