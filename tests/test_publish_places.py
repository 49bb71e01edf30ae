"""Tests for clustergeo.publish.places and the place names on the findings map."""

from __future__ import annotations

import geopandas as gpd
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.text import Text
from shapely.geometry import box

from clustergeo.publish.cluster_maps import plot_cluster_map
from clustergeo.publish.palette import industry_colours
from clustergeo.publish.places import MAX_PLACES, place_name, principal_places
from clustergeo.publish.plotting import layout_problems


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _district(name: str, x0: float, y0: float, side_km: float, cells: int = 1, **extra: str):
    """``cells`` × ``cells`` square areas filling a square district of ``side_km``."""
    step = side_km * 1000 / cells
    return [
        {
            "district_name": name,
            "geometry": box(x0 + i * step, y0 + j * step, x0 + (i + 1) * step, y0 + (j + 1) * step),
            **extra,
        }
        for i in range(cells)
        for j in range(cells)
    ]


def _areas(rows: list[dict]) -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame(rows, crs="EPSG:27700")
    return frame.assign(area_code=[f"A{i:03d}" for i in range(len(frame))])


def _totals(areas: gpd.GeoDataFrame, by_district: dict[str, float]) -> pd.Series:
    """Each district's total shared equally among its areas."""
    count = areas.groupby("district_name")["area_code"].transform("size")
    return pd.Series(
        areas["district_name"].map(by_district).to_numpy() / count.to_numpy(),
        index=areas["area_code"],
    )


def test_the_urban_districts_are_named_largest_and_densest_first() -> None:
    # A 200 km square of rural districts (10 km² of land each 100 jobs per km²) with three
    # towns of 4 km × 4 km: Bigtown holds the most, Midtown less, Smalltown is barely urban.
    rural = [
        row
        for i in range(4)
        for j in range(4)
        for row in _district(f"Rural {i}{j}", i * 50_000, j * 50_000, 50)
    ]
    towns = [
        *_district("Bigtown", 20_000, 20_000, 4, cells=2),
        *_district("Midtown", 120_000, 120_000, 4, cells=2),
        *_district("Smalltown", 170_000, 20_000, 4),
    ]
    areas = _areas([*rural, *towns])
    by_district = {f"Rural {i}{j}": 2500.0 * 100 for i in range(4) for j in range(4)}
    by_district |= {"Bigtown": 400_000.0, "Midtown": 100_000.0, "Smalltown": 1_000.0}
    places = principal_places(areas, _totals(areas, by_district))
    # Study density ≈ 4.6m / 40,000 km² ≈ 115 per km²: Smalltown (62.5) is not urban.
    assert places["name"].tolist() == ["Bigtown", "Midtown"]
    # Each at its areas' employment-weighted centre: here the town's middle.
    first = places.iloc[0]
    assert (first["x"], first["y"]) == pytest.approx((22_000, 22_000))
    assert first["total"] == pytest.approx(400_000)
    assert first["km2"] == pytest.approx(16)


def test_a_place_beside_a_larger_one_is_passed_over_and_at_most_eight_are_named() -> None:
    # Twelve towns along a 400 km line, 36 km apart, and one suburb 5 km from the first.
    rows = [row for k in range(12) for row in _district(f"Town {k}", k * 36_000, 0, 2)]
    rows += _district("Suburb", 5_000, 0, 2)
    rows += _district("Countryside", 0, 20_000, 400)
    areas = _areas(rows)
    by_district = {f"Town {k}": 100_000.0 - k for k in range(12)}
    by_district |= {"Suburb": 99_999.5, "Countryside": 100_000.0}
    places = principal_places(areas, _totals(areas, by_district))
    assert len(places) == MAX_PLACES
    assert "Suburb" not in set(places["name"])
    assert places["name"].tolist() == [f"Town {k}" for k in range(MAX_PLACES)]


def test_londons_boroughs_are_one_place_called_london() -> None:
    rows = [
        *_district("Westminster", 0, 0, 4, region_name="London"),
        *_district("Camden", 4_000, 0, 4, region_name="London"),
        *_district("Hertsmere", 0, 4_000, 200, region_name="East of England"),
    ]
    areas = _areas(rows)
    totals = _totals(areas, {"Westminster": 300_000.0, "Camden": 100_000.0, "Hertsmere": 1e5})
    places = principal_places(areas, totals)
    assert places["name"].tolist() == ["London"]
    # Weighted towards Westminster, which holds three quarters of the jobs.
    assert places.iloc[0]["x"] == pytest.approx(0.75 * 2_000 + 0.25 * 6_000)
    assert places.iloc[0]["total"] == pytest.approx(400_000)


def test_a_centre_outside_its_district_is_moved_inside() -> None:
    # An L-shaped district whose jobs sit at both ends: the weighted centre is off its land.
    rows = [
        {"district_name": "Elbow", "geometry": box(0, 0, 1_000, 10_000)},
        {"district_name": "Elbow", "geometry": box(1_000, 0, 10_000, 1_000)},
        {"district_name": "Elbow", "geometry": box(0, 9_000, 1_000, 10_000)},
        {"district_name": "Elbow", "geometry": box(9_000, 0, 10_000, 1_000)},
        *_district("Moor", 20_000, 0, 100),
    ]
    areas = _areas(rows)
    totals = pd.Series([1.0, 1.0, 50_000.0, 50_000.0, 1_000.0], index=areas["area_code"])
    (place,) = principal_places(areas, totals).itertuples()
    land = areas.loc[areas["district_name"] == "Elbow"].union_all()
    assert land.contains(gpd.points_from_xy([place.x], [place.y])[0])


def test_no_district_names_or_totals_give_no_places() -> None:
    areas = _areas(_district("Anywhere", 0, 0, 4, cells=2))
    assert principal_places(areas.drop(columns="district_name"), pd.Series(dtype=float)).empty
    assert principal_places(areas, pd.Series(dtype=float)).empty
    assert principal_places(areas.iloc[0:0], pd.Series(dtype=float)).empty


@pytest.mark.parametrize(
    ("district", "place"),
    [
        ("Bristol, City of", "Bristol"),
        ("City of Edinburgh", "Edinburgh"),
        ("Glasgow City", "Glasgow"),
        ("Herefordshire, County of", "Herefordshire"),
        ("Stoke-on-Trent", "Stoke-on-Trent"),
        ("City", "City"),
    ],
)
def test_a_council_is_named_as_its_place(district: str, place: str) -> None:
    assert place_name(district) == place


def _map_with_places(places: pd.DataFrame):
    x0, y0, side = 400_000, 280_000, 1_000
    cells = [
        box(x0 + c * side, y0 + r * side, x0 + (c + 1) * side, y0 + (r + 1) * side)
        for r in range(8)
        for c in range(12)
    ]
    areas = gpd.GeoDataFrame(
        {"area_code": [f"E0200{i:04d}" for i in range(len(cells))]},
        geometry=cells,
        crs="EPSG:27700",
    )
    findings = gpd.GeoDataFrame(
        {
            "cluster_id": ["a", "b"],
            "rank": [1, 2],
            "kind": ["cluster", "cluster"],
            "industry_code": ["C", "J"],
            "name": ["Widgets: Northtown", "Gadgets: Southby"],
            "stars": [1, 0],
        },
        geometry=[cells[94], cells[15]],
        crs="EPSG:27700",
    )
    labels = {"C": "Manufacturing", "J": "Information and communication"}
    fig, ax = plot_cluster_map(
        areas,
        findings,
        colours=industry_colours(labels),
        labels=labels,
        title="Places",
        source="Source: a test grid.",
        places=places,
    )
    fig.canvas.draw()
    return fig, ax, findings


def _boxes(fig, gid: str) -> list:
    renderer = fig.canvas.get_renderer()
    return [t.get_window_extent(renderer) for t in fig.findobj(Text) if t.get_gid() == gid]


def test_a_place_is_a_dot_in_it_and_its_name_beside_clear_of_the_numbers() -> None:
    # Opentown lies in the open; Numberton under finding 1's marker, in 16 km² of land (a
    # circle of 2.26 km radius); Tinyton under the same marker in 0.01 km².
    places = pd.DataFrame(
        {
            "name": ["Opentown", "Numberton", "Tinyton"],
            "x": [402_500.0, 410_500.0, 410_500.0],
            "y": [284_500.0, 287_500.0, 287_500.0],
            "km2": [4.0, 16.0, 0.01],
        }
    )
    fig, ax, _findings = _map_with_places(places)
    assert layout_problems(fig) == []
    renderer = fig.canvas.get_renderer()
    names = {t.get_text(): t for t in fig.findobj(Text) if t.get_gid() == "place-name"}
    # Tinyton has nowhere clear in its land: left off rather than named off it.
    assert set(names) == {"Opentown", "Numberton"}
    (dots,) = [c for c in ax.collections if c.get_gid() == "place-dots"]
    opentown, numberton = dots.get_offsets()
    assert np.allclose(opentown, [402_500.0, 284_500.0])
    # Numberton's dot moved off the marker, but stays in its land.
    assert 0 < np.hypot(*(numberton - [410_500.0, 287_500.0])) <= np.sqrt(16 / np.pi) * 1000
    scale = fig.dpi / 72
    markers = _boxes(fig, "marker-number")
    for name, dot in (("Opentown", opentown), ("Numberton", numberton)):
        extent = names[name].get_window_extent(renderer)
        x, y = ax.transData.transform(dot)
        # Right beside its dot, not on it, and over no number.
        gap = np.hypot(max(extent.x0 - x, 0, x - extent.x1), max(extent.y0 - y, 0, y - extent.y1))
        assert 1.5 * scale <= gap <= 4 * scale
        assert not any(extent.overlaps(m) for m in markers)


def test_places_without_room_give_way_to_the_next_and_at_most_eight_are_named() -> None:
    # Ten places in the open but Place 1, in a sliver of land under finding 2's marker.
    places = pd.DataFrame(
        {
            "name": [f"Place {i}" for i in range(10)],
            "x": [401_200.0 + 900 * i for i in range(10)],
            "y": [281_000.0 + 700 * (i % 3) for i in range(10)],
            "km2": 1.0,
        }
    )
    places.loc[1, ["x", "y", "km2"]] = [403_500.0, 281_500.0, 0.001]
    fig, _ax, _findings = _map_with_places(places)
    names = [t.get_text() for t in fig.findobj(Text) if t.get_gid() == "place-name"]
    assert names == ["Place 0", *(f"Place {i}" for i in range(2, 9))]
    extents = _boxes(fig, "place-name")
    assert not any(a.overlaps(b) for i, a in enumerate(extents) for b in extents[i + 1 :])


def test_density_decides_between_a_larger_sparser_place_and_a_smaller_denser_one() -> None:
    # Sprawlton holds more jobs than Compact but in four times the land: Compact comes first.
    rows = [
        *_district("Sprawlton", 0, 0, 8, cells=2),
        *_district("Compact", 100_000, 0, 4, cells=2),
        *_district("Moor", 0, 100_000, 300),
    ]
    areas = _areas(rows)
    totals = _totals(areas, {"Sprawlton": 120_000.0, "Compact": 100_000.0, "Moor": 90_000.0})
    assert principal_places(areas, totals)["name"].tolist() == ["Compact", "Sprawlton"]


def test_untidy_areas_are_left_out_not_named_or_fatal() -> None:
    rows = [
        *_district("Bigtown", 0, 0, 4, cells=2),
        {"district_name": None, "geometry": box(50_000, 0, 54_000, 4_000)},
        {"district_name": "  ", "geometry": box(60_000, 0, 64_000, 4_000)},
        {"district_name": "Flatland", "geometry": box(70_000, 0, 70_000, 4_000)},
        {"district_name": "Nowhere", "geometry": None},
        *_district("Moor", 0, 100_000, 300),
    ]
    areas = _areas(rows)
    totals = pd.Series(50_000.0, index=areas["area_code"]).where(
        areas["district_name"].ne("Moor").to_numpy(), 100_000.0
    )
    places = principal_places(areas, totals)
    assert places["name"].tolist() == ["Bigtown"]
    # An empty list keeps its types, for the GeoPackage's layer.
    empty = principal_places(areas.iloc[0:0], totals)
    assert empty["name"].dtype == object
    assert empty["total"].dtype == float


def test_area_codes_that_are_numbers_find_their_totals() -> None:
    areas = _areas([*_district("Bigtown", 0, 0, 4, cells=2), *_district("Moor", 0, 100_000, 300)])
    areas["area_code"] = range(len(areas))
    totals = pd.Series([100_000.0] * 4 + [1_000.0], index=range(5))
    assert principal_places(areas, totals)["name"].tolist() == ["Bigtown"]


def test_a_map_of_london_or_of_towns_alone_names_its_districts() -> None:
    # Every district is in London: its boroughs are named, not one place called London.
    boroughs = [
        *_district("Westminster", 0, 0, 4, region_name="London"),
        *_district("Camden", 40_000, 0, 4, region_name="London"),
    ]
    areas = _areas(boroughs)
    totals = _totals(areas, {"Westminster": 300_000.0, "Camden": 100_000.0})
    assert principal_places(areas, totals)["name"].tolist() == ["Westminster", "Camden"]
    # None five times the study area's density (all town): the largest and densest still.
    towns = _areas([*_district("Ashby", 0, 0, 4), *_district("Bexley", 40_000, 0, 4)])
    totals = _totals(towns, {"Ashby": 1_000.0, "Bexley": 2_000.0})
    assert principal_places(towns, totals)["name"].tolist() == ["Bexley", "Ashby"]


def test_the_statistics_maps_name_the_places() -> None:
    """The LQ, hot-spot and Local Moran maps name the places too, as the findings map does."""
    from clustergeo.publish.figures import bind_named
    from clustergeo.publish.plotting import plot_hotspot_map

    x0, y0, side = 400_000, 280_000, 1_000
    cells = [
        box(x0 + c * side, y0 + r * side, x0 + (c + 1) * side, y0 + (r + 1) * side)
        for r in range(8)
        for c in range(12)
    ]
    classes = ["hot_99" if i % 7 == 0 else "not_significant" for i in range(len(cells))]
    areas = gpd.GeoDataFrame({"spot": classes}, geometry=cells, crs="EPSG:27700")
    places = pd.DataFrame({"name": ["Westby"], "x": [403_500.0], "y": [283_500.0], "km2": [4.0]})
    draw = bind_named(
        plot_hotspot_map, places, areas, "spot", title="Hot", source="Source: a test grid."
    )
    fig = draw()
    fig.canvas.draw()
    ax = fig.axes[0]
    names = [t.get_text() for t in fig.findobj(Text) if t.get_gid() == "place-name"]
    assert names == ["Westby"]
    (dots,) = [c for c in ax.collections if c.get_gid() == "place-dots"]
    assert np.allclose(dots.get_offsets(), [[403_500.0, 283_500.0]])
    assert layout_problems(fig) == []
    # Without places the map is drawn as it was.
    plain = bind_named(plot_hotspot_map, None, areas, "spot", title="Hot", source="Source: x.")
    assert not [t for t in plain().findobj(Text) if t.get_gid() == "place-name"]
