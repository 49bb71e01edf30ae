"""Dasymetric allocation: hand-computed shares, fallback, missing counts, conservation."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from shapely.geometry import box

from clustergeo._errors import InputDataError
from clustergeo.surface.dasymetric import allocate

CRS = "EPSG:27700"
X0, Y0 = 440_000.0, 330_000.0


def _areas(*boxes: tuple[float, float, float, float], codes: str = "AB") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"area_code": list(codes[: len(boxes)])},
        geometry=[box(X0 + a, Y0 + b, X0 + c, Y0 + d) for a, b, c, d in boxes],
        crs=CRS,
    )


def _land(*items: tuple[str, tuple[float, float, float, float]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"kind": [kind for kind, _ in items]},
        geometry=[box(X0 + a, Y0 + b, X0 + c, Y0 + d) for _, (a, b, c, d) in items],
        crs=CRS,
    )


TWO_SQUARES = _areas((0, 0, 100, 100), (100, 0, 200, 100))


def test_a_quarter_of_land_takes_all_the_employment() -> None:
    land = _land(("industrial", (0, 0, 50, 50)))
    employment = pd.DataFrame({"C": [80.0, 20.0], "G": [8.0, 2.0]}, index=["A", "B"])
    pieces = allocate(TWO_SQUARES, employment, land)
    assert list(pieces.columns) == [
        "area_code",
        "kind",
        "fallback",
        "land_m2",
        "weight",
        "share",
        "C",
        "G",
        "geometry",
    ]
    first = pieces.iloc[0]
    assert (first["area_code"], first["kind"], first["fallback"]) == ("A", "industrial", False)
    assert first["land_m2"] == 2_500.0
    assert (first["share"], first["C"], first["G"]) == (1.0, 80.0, 8.0)
    assert first.geometry.equals(box(X0, Y0, X0 + 50, Y0 + 50))
    second = pieces.iloc[1]
    assert (second["area_code"], second["kind"], second["fallback"]) == ("B", "area", True)
    assert (second["land_m2"], second["C"], second["G"]) == (10_000.0, 20.0, 2.0)
    assert second.geometry.equals(TWO_SQUARES.geometry.iloc[1])
    assert pieces.attrs["report"]["fallback_areas"] == ["B"]


def test_kind_weights_and_overlaps_by_hand() -> None:
    # Industrial 50 x 50 (2,500 m², weight 1); retail 50 x 50 overlapping it by 25 x 25, so
    # retail keeps 1,875 m² at weight 0.5 = 937.5. Shares: 2,500 / 3,437.5 and 937.5 / 3,437.5.
    land = _land(("industrial", (0, 0, 50, 50)), ("retail", (25, 25, 75, 75)))
    employment = pd.DataFrame({"C": [110.0, 0.0]}, index=["A", "B"])
    pieces = allocate(TWO_SQUARES, employment, land).set_index(["area_code", "kind"])
    assert pieces.loc[("A", "industrial"), "C"] == pytest.approx(80.0)
    assert pieces.loc[("A", "retail"), "C"] == pytest.approx(30.0)
    assert pieces.loc[("A", "retail"), "land_m2"] == pytest.approx(1_875.0)
    assert pieces.loc[("A", "retail"), "weight"] == 0.5
    assert pieces.loc[("B", "area"), "C"] == 0.0
    # With equal weights, shares follow the land area alone.
    equal = allocate(TWO_SQUARES, employment, land, {"industrial": 1.0, "retail": 1.0})
    assert equal.set_index("kind").loc["retail", "share"] == pytest.approx(1_875 / 4_375)


def test_land_across_a_boundary_is_split_between_the_areas() -> None:
    land = _land(("commercial", (50, 0, 150, 20)))  # 1,000 m² in each square
    employment = pd.DataFrame({"M": [7.0, 3.0]}, index=["A", "B"])
    pieces = allocate(TWO_SQUARES, employment, land)
    assert list(pieces["area_code"]) == ["A", "B"]
    np.testing.assert_allclose(pieces["land_m2"], [1_000.0, 1_000.0])
    np.testing.assert_allclose(pieces["M"], [7.0, 3.0])
    assert not pieces["fallback"].any()
    assert pieces.attrs["report"]["fallback_areas"] == []


def test_zero_weight_land_is_ignored_and_falls_back() -> None:
    land = _land(("retail", (0, 0, 50, 50)), ("industrial", (100, 0, 110, 10)))
    employment = pd.DataFrame({"C": [5.0, 6.0]}, index=["A", "B"])
    pieces = allocate(TWO_SQUARES, employment, land, {"retail": 0.0, "industrial": 1.0})
    assert list(zip(pieces["area_code"], pieces["kind"], strict=True)) == [
        ("A", "area"),
        ("B", "industrial"),
    ]
    np.testing.assert_allclose(pieces["C"], [5.0, 6.0])


def test_missing_counts_stay_missing_and_are_reported(caplog: pytest.LogCaptureFixture) -> None:
    land = _land(("industrial", (0, 0, 50, 50)), ("retail", (60, 60, 100, 100)))
    employment = pd.DataFrame({"C": [np.nan], "G": [4.0]}, index=["A"])  # no row for B
    pieces = allocate(TWO_SQUARES, employment, land)
    a = pieces[pieces["area_code"] == "A"]
    assert a["C"].isna().all()
    assert a["G"].sum() == pytest.approx(4.0)
    assert pieces.loc[pieces["area_code"] == "B", ["C", "G"]].isna().all().all()
    report = pieces.attrs["report"]
    assert report["missing_counts"] == {"C": ["A"]}
    assert report["areas_without_employment_rows"] == ["B"]
    assert "Industry C has missing counts in 1 areas" in caplog.text


def test_land_in_another_crs_is_reprojected() -> None:
    land = _land(("industrial", (0, 0, 50, 50))).to_crs("EPSG:4326")
    employment = pd.DataFrame({"C": [10.0, 1.0]}, index=["A", "B"])
    pieces = allocate(TWO_SQUARES, employment, land)
    assert pieces.crs.to_epsg() == 27700
    assert pieces.iloc[0]["land_m2"] == pytest.approx(2_500.0, rel=1e-4)  # round trip via lon/lat


def test_no_land_at_all_spreads_everything_over_the_areas() -> None:
    empty = gpd.GeoDataFrame({"kind": []}, geometry=[], crs=CRS)
    employment = pd.DataFrame({"C": [1.0, 2.0]}, index=["A", "B"])
    pieces = allocate(TWO_SQUARES, employment, empty)
    assert list(pieces["kind"]) == ["area", "area"]
    np.testing.assert_allclose(pieces["C"], [1.0, 2.0])


# --- mistakes ----------------------------------------------------------------------------------


def test_codes_that_do_not_join_are_named() -> None:
    employment = pd.DataFrame({"C": [1.0, 2.0, 3.0]}, index=["A", "B", "Z9"])
    with pytest.raises(InputDataError, match=r"(?s)the payroll\.csv.*Z9 are not among the areas"):
        allocate(TWO_SQUARES, employment, _land(), source="the payroll.csv")


def test_bad_counts_are_named() -> None:
    employment = pd.DataFrame({"C": [1.0, -2.0], "G": ["x", "y"]}, index=["A", "B"])
    with pytest.raises(InputDataError, match="columns G are not numbers"):
        allocate(TWO_SQUARES, employment, _land())
    negative = pd.DataFrame({"C": [1.0, -2.0]}, index=["A", "B"])
    with pytest.raises(InputDataError, match=r"1 counts are negative \(B/C\)"):
        allocate(TWO_SQUARES, negative, _land())


def test_land_kinds_need_weights() -> None:
    land = _land(("quarry", (0, 0, 10, 10)))
    employment = pd.DataFrame({"C": [1.0, 2.0]}, index=["A", "B"])
    with pytest.raises(InputDataError, match="land kinds quarry have no weight"):
        allocate(TWO_SQUARES, employment, land)
    with pytest.raises(InputDataError, match="weights must be finite"):
        allocate(TWO_SQUARES, employment, _land(), {"industrial": -1.0})


def test_areas_need_a_projected_crs_and_unique_codes() -> None:
    employment = pd.DataFrame({"C": [1.0, 2.0]}, index=["A", "B"])
    with pytest.raises(InputDataError, match="projected CRS"):
        allocate(TWO_SQUARES.to_crs("EPSG:4326"), employment, _land())
    twice = _areas((0, 0, 1, 1), (1, 0, 2, 1), codes="AA")
    with pytest.raises(InputDataError, match="area codes A appear more than once"):
        allocate(twice, employment.iloc[:1], _land())


# --- conservation, whatever the layout ---------------------------------------------------------

KINDS = ["industrial", "works", "commercial", "retail"]


@st.composite
def layouts(draw: st.DrawFn) -> tuple[gpd.GeoDataFrame, pd.DataFrame, gpd.GeoDataFrame]:
    nx, ny = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    codes = [f"E{row}{col}" for row in range(ny) for col in range(nx)]
    areas = gpd.GeoDataFrame(
        {"area_code": codes},
        geometry=[
            box(X0 + 100 * col, Y0 + 100 * row, X0 + 100 * (col + 1), Y0 + 100 * (row + 1))
            for row in range(ny)
            for col in range(nx)
        ],
        crs=CRS,
    )
    coordinate = st.floats(-20, 320, allow_nan=False)
    items = []
    for _ in range(draw(st.integers(0, 6))):
        x, y = draw(coordinate), draw(coordinate)
        w, h = draw(st.floats(1, 150)), draw(st.floats(1, 150))
        items.append((draw(st.sampled_from(KINDS)), (x, y, x + w, y + h)))
    count = st.one_of(st.floats(0, 1e5), st.just(np.nan))
    values = draw(
        st.lists(st.lists(count, min_size=2, max_size=2), min_size=len(codes), max_size=len(codes))
    )
    employment = pd.DataFrame(values, index=codes, columns=["C", "G"], dtype="float64")
    return areas, employment, _land(*items)


@given(layouts())
def test_allocation_conserves_every_area_and_industry(
    layout: tuple[gpd.GeoDataFrame, pd.DataFrame, gpd.GeoDataFrame],
) -> None:
    areas, employment, land = layout
    pieces = allocate(areas, employment, land)
    grouped = pieces.groupby("area_code")[["C", "G"]].sum(min_count=1).reindex(employment.index)
    np.testing.assert_allclose(grouped.to_numpy(), employment.to_numpy(), rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(
        pieces[["C", "G"]].sum().to_numpy(), employment.sum().to_numpy(), rtol=1e-12, atol=1e-9
    )
    # NaN stays NaN: a piece is missing exactly where its area's count is.
    own = employment.reindex(pieces["area_code"]).to_numpy()
    np.testing.assert_array_equal(np.isnan(pieces[["C", "G"]].to_numpy()), np.isnan(own))
    np.testing.assert_allclose(pieces.groupby("area_code")["share"].sum(), 1.0, rtol=1e-12)
    # Pieces never overlap and never leave their area.
    assert pieces.geometry.area.sum() == pytest.approx(pieces.union_all().area, rel=1e-9)
    fallback = pieces["fallback"].to_numpy()
    assert set(pieces.loc[fallback, "area_code"]).isdisjoint(pieces.loc[~fallback, "area_code"])
    within = pieces.merge(
        areas.rename(columns={"geometry": "area"}).set_geometry("area"), on="area_code"
    )
    slack = within.geometry.difference(within["area"].buffer(1e-6)).area
    assert (slack < 1e-6).all()
