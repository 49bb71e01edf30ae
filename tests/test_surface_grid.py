"""The grid: snapping, exact area-weighted rasterisation, GeoTIFF output, kernel smoothing."""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
import shapely.affinity
from hypothesis import given
from hypothesis import strategies as st
from shapely.geometry import Polygon, box

from clustergeo._errors import InputDataError
from clustergeo.surface.dasymetric import allocate
from clustergeo.surface.grid import (
    GridSpec,
    cell_overlaps,
    coverage,
    grid_spec,
    kernel_density,
    rasterise,
    write_geotiff,
)

CRS = "EPSG:27700"
X0, Y0 = 440_000.0, 330_000.0


def _pieces(geoms: list[Polygon], **columns: list[float]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(columns, geometry=geoms, crs=CRS)


# --- the grid ----------------------------------------------------------------------------------


def test_grid_spec_snaps_outwards_to_multiples_of_the_cell() -> None:
    spec = grid_spec((440_030.0, 330_010.0, 440_260.0, 330_100.0), 100.0)
    assert (spec.left, spec.top, spec.width, spec.height) == (440_000.0, 330_100.0, 3, 1)
    assert spec.bounds == (440_000.0, 330_000.0, 440_300.0, 330_100.0)
    assert spec.shape == (1, 3)
    assert spec.cell_area == 10_000.0
    assert tuple(spec.transform)[:6] == (100.0, 0.0, 440_000.0, 0.0, -100.0, 330_100.0)
    point = grid_spec((X0 + 5, Y0 + 5, X0 + 5, Y0 + 5), 10.0)
    assert (point.width, point.height) == (1, 1)
    with pytest.raises(InputDataError, match="positive number of metres"):
        grid_spec((0, 0, 1, 1), 0.0)
    with pytest.raises(InputDataError, match="non-empty layer"):
        grid_spec((np.nan, np.nan, np.nan, np.nan), 10.0)


def test_cell_boxes_and_centres() -> None:
    spec = GridSpec(left=X0, top=Y0, cell_m=50.0, width=2, height=2)
    assert spec.cell_boxes(np.array([1]), np.array([0]))[0].equals(
        box(X0, Y0 - 100, X0 + 50, Y0 - 50)
    )
    xs, ys = spec.cell_centres()
    np.testing.assert_array_equal(xs, [[X0 + 25, X0 + 75]] * 2)
    np.testing.assert_array_equal(ys[:, 0], [Y0 - 25, Y0 - 75])


# --- rasterisation -----------------------------------------------------------------------------


def test_an_aligned_square_splits_evenly_over_four_cells() -> None:
    spec = GridSpec(left=X0, top=Y0 + 100, cell_m=50.0, width=2, height=2)
    pieces = _pieces([box(X0, Y0, X0 + 100, Y0 + 100)], C=[100.0], G=[8.0])
    grid = rasterise(pieces, ["C", "G"], spec)
    assert grid.shape == (2, 2, 2)
    np.testing.assert_allclose(grid[0], 25.0)
    np.testing.assert_allclose(grid[1], 2.0)


def test_an_offset_square_by_hand() -> None:
    # A 50 x 50 piece from (25, 25) to (75, 75) on 50 m cells: a quarter in each of four cells
    # (rows 1 and 2 count from the top, y 50-100 and 0-50). Another, 100 x 50 from (0, 100) to
    # (100, 150), fills the top row's two cells: half each.
    spec = GridSpec(left=X0, top=Y0 + 150, cell_m=50.0, width=2, height=3)
    pieces = _pieces(
        [box(X0 + 25, Y0 + 25, X0 + 75, Y0 + 75), box(X0, Y0 + 100, X0 + 100, Y0 + 150)],
        C=[40.0, 6.0],
    )
    grid = rasterise(pieces, ["C"], spec)[0]
    np.testing.assert_allclose(grid, [[3.0, 3.0], [10.0, 10.0], [10.0, 10.0]])


def test_a_triangle_is_split_by_exact_areas() -> None:
    # Right triangle (0,0)-(100,0)-(0,100) on 50 m cells: bottom-left cell holds 2,500 m²,
    # the two cells beside it 1,250 m² each, the top-right cell none (it only touches).
    spec = GridSpec(left=X0, top=Y0 + 100, cell_m=50.0, width=2, height=2)
    triangle = Polygon([(X0, Y0), (X0 + 100, Y0), (X0, Y0 + 100)])
    grid = rasterise(_pieces([triangle], C=[500.0]), ["C"], spec)[0]
    np.testing.assert_allclose(grid, [[125.0, 0.0], [250.0, 125.0]])


def test_missing_values_make_their_cells_missing_only() -> None:
    spec = GridSpec(left=X0, top=Y0 + 50, cell_m=50.0, width=3, height=1)
    pieces = _pieces(
        [box(X0, Y0, X0 + 50, Y0 + 50), box(X0 + 100, Y0, X0 + 150, Y0 + 50)], C=[np.nan, 2.0]
    )
    grid = rasterise(pieces, ["C"], spec)[0]
    assert np.isnan(grid[0, 0])
    np.testing.assert_array_equal(grid[0, 1:], [0.0, 2.0])  # the touching middle cell stays 0


def test_pieces_must_fit_the_grid() -> None:
    spec = GridSpec(left=X0, top=Y0 + 50, cell_m=50.0, width=1, height=1)
    too_big = _pieces([box(X0, Y0, X0 + 60, Y0 + 50)], C=[1.0])
    with pytest.raises(InputDataError, match=r"rows 0\) reach outside the grid"):
        rasterise(too_big, ["C"], spec)
    # A piece with nothing to spread may lie anywhere.
    zero = _pieces([box(X0 + 500, Y0, X0 + 600, Y0 + 50)], C=[0.0])
    np.testing.assert_array_equal(rasterise(zero, ["C"], spec), 0.0)
    with pytest.raises(InputDataError, match="reproject them"):
        rasterise(too_big.to_crs("EPSG:4326"), ["C"], spec)
    with pytest.raises(InputDataError, match="no columns G"):
        rasterise(too_big, ["G"], spec)


@st.composite
def random_pieces(draw: st.DrawFn) -> gpd.GeoDataFrame:
    geoms = []
    for _ in range(draw(st.integers(1, 8))):
        x, y = draw(st.floats(0, 900)), draw(st.floats(0, 900))
        radius = draw(st.floats(0.5, 300))
        sides = draw(st.sampled_from([3, 4, 16]))
        geoms.append(shapely.Point(X0 + x, Y0 + y).buffer(radius, quad_segs=sides))
    values = draw(st.lists(st.floats(0, 1e6), min_size=len(geoms), max_size=len(geoms)))
    return _pieces(geoms, C=values, G=[v / 3 for v in values])


@given(random_pieces(), st.sampled_from([20.0, 50.0, 100.0, 250.0]))
def test_rasterising_conserves_each_band(pieces: gpd.GeoDataFrame, cell: float) -> None:
    spec = grid_spec(pieces.total_bounds, cell)
    grid = rasterise(pieces, ["C", "G"], spec)
    np.testing.assert_allclose(
        grid.sum(axis=(1, 2)), pieces[["C", "G"]].sum().to_numpy(), rtol=1e-12, atol=1e-9
    )
    assert (grid >= 0).all()


@st.composite
def holed_shapes(draw: st.DrawFn) -> shapely.Geometry:
    """A polygon with a hole, or two polygons, at any offset from the grid."""
    x, y = draw(st.floats(0, 500)), draw(st.floats(0, 500))
    radius = draw(st.floats(1.0, 300))
    outer = shapely.Point(X0 + x, Y0 + y).buffer(radius, quad_segs=draw(st.integers(1, 16)))
    inner = shapely.Point(X0 + x + radius / 5, Y0 + y).buffer(radius / 3)
    if draw(st.booleans()):
        return outer.difference(inner)
    far = shapely.affinity.translate(inner, xoff=draw(st.floats(radius, 3 * radius)))
    return shapely.union_all([outer.difference(inner.buffer(radius / 10)), far])


def _cell_overlaps_both_ways(shape: shapely.Geometry, cell: float) -> tuple[np.ndarray, ...]:
    """Each cell's overlap with ``shape`` as the grid makes it, and by a general overlay."""
    from clustergeo.surface.grid import _overlaps

    spec = grid_spec(shapely.bounds(shape), cell)
    made = np.zeros(spec.width * spec.height)
    for _index, cells, overlap in _overlaps(np.array([shape]), spec):
        made[cells] = overlap
    rows, cols = (g.ravel() for g in np.indices(spec.shape))
    overlay = shapely.area(shapely.intersection(shape, spec.cell_boxes(rows, cols)))
    return made, overlay, np.array(spec.cell_area)


@given(holed_shapes(), st.sampled_from([7.0, 20.0, 50.0, 100.0]))
def test_cell_overlaps_are_those_of_an_overlay(shape: shapely.Geometry, cell: float) -> None:
    # Rectangle clipping gives the areas a general overlay does, to rounding, and the same
    # cells overlapped.
    made, overlay, cell_area = _cell_overlaps_both_ways(shape, cell)
    np.testing.assert_allclose(made, overlay, rtol=1e-9, atol=1e-9 * cell_area)
    np.testing.assert_array_equal(made > 1e-9 * cell_area, overlay > 1e-9 * cell_area)


def test_an_edge_through_a_cell_corner_is_overlaid_again() -> None:
    # The diamond's lower right edge runs through the corners of the 20 m cells on its
    # diagonal, and the circle's outline meets it 0.1 m from one of them: GEOS 3.14's
    # rectangle clipping gives the wrong side of that cell (0.17 m2 where 399.83 m2 of it is
    # covered), the diamond's overlaps fall short of its area, and they are overlaid again.
    diamond = shapely.Polygon(
        [(X0 - 151, Y0 + 151), (X0, Y0 + 302), (X0 + 151, Y0 + 151), (X0, Y0)]
    )
    shape = shapely.union_all([diamond, shapely.Point(X0 + 157, Y0 + 151).buffer(20, quad_segs=4)])
    made, overlay, cell_area = _cell_overlaps_both_ways(shape, 20.0)
    np.testing.assert_allclose(made, overlay, rtol=1e-9, atol=1e-9 * cell_area)


@pytest.mark.parametrize(
    "wkt",
    [
        # A valid sliver with a vertex a rounding step off a cell's side: clipping it to the
        # cell whose corner it touches raises (a ring of three points).
        "POLYGON ((440000 329999.8974825163, 440000.0512587418 329999.9487412582, "
        "440000.12814685464 330000.02562937094, 440000 329999.8974825163))",
        # A thousandth of a square metre in four parts that touch at points: clipping puts
        # 1.2% of it in the wrong cells, far less than a square metre but all of its
        # employment's split.
        "MULTIPOLYGON (((440000.0018459827 330000.00290083, 439999.9899789509 329999.99498947547, "
        "440000.00572631374 330000.0028631569, 440000.01503157365 329999.9749473772, "
        "439999.9699368527 329999.9699368527, 439999.97995790176 329999.97995790176, "
        "439999.9699368527 330000, 440000.0018459827 330000.00290083)), "
        "((440000.005599998 330000.0032421041, 440000.0018459827 330000.00290083, "
        "440000.00501052453 330000.00501052453, 440000.005599998 330000.0032421041)), "
        "((440000.00572631374 330000.0028631569, 440000.005599998 330000.0032421041, "
        "440000.0060232161 330000.0032805785, 440000.0060626908 330000.00303134543, "
        "440000.00572631374 330000.0028631569)), ((440000.0300631473 330000.01503157365, "
        "440000.0252526654 330000.0054106097, 440000.02483719867 330000.0080337634, "
        "440000.02344756824 330000.0107610666, 440000.02280575654 330000.01140287827, "
        "440000.0300631473 330000.01503157365)))",
    ],
    ids=["clipping-raises", "tiny-parts-misplaced"],
)
def test_slivers_that_defeat_rectangle_clipping_are_overlaid(wkt: str) -> None:
    shape = shapely.from_wkt(wkt)
    assert shape.is_valid
    made, overlay, _cell_area = _cell_overlaps_both_ways(shape, 1000.0)
    np.testing.assert_allclose(made, overlay, rtol=1e-9, atol=1e-15)
    grid = rasterise(_pieces([shape], C=[10.0]), ["C"], grid_spec(shapely.bounds(shape), 1000.0))
    np.testing.assert_allclose(grid.ravel(), 10.0 * overlay / overlay.sum(), rtol=1e-9)


@pytest.mark.parametrize(
    "wkt",
    [
        "POLYGON ((440500.0000000002 329999.99999999994, 440500.0000000001 330000, "
        "440575.40343806776 330121.57112735295, 440500.0000000002 329999.99999999994))",
        "POLYGON ((440750 330250, 440683.93310705665 330151.55698551674, "
        "440750 330250.00000000006, 440750 330250))",
    ],
)
def test_needles_smaller_than_rounding_land_in_their_cells(wkt: str) -> None:
    # Needles of a few billionths of a square metre with a vertex a rounding step off a cell's
    # side: their clips put the whole needle in the neighbouring cell, off its area by less
    # than the rounding a crossed cell is allowed. That allowance is capped by the piece's own
    # area, so the needle is overlaid again and its value lands where the overlay puts it.
    shape = shapely.from_wkt(wkt)
    assert shape.is_valid
    spec = GridSpec(left=X0 - 500, top=Y0 + 1500, cell_m=250.0, width=8, height=8)
    grid = rasterise(_pieces([shape], C=[10.0]), ["C"], spec)
    rows, cols = (g.ravel() for g in np.indices(spec.shape))
    overlay = shapely.area(shapely.intersection(shape, spec.cell_boxes(rows, cols)))
    np.testing.assert_allclose(grid.ravel(), 10.0 * overlay / overlay.sum(), atol=1e-3)


def test_wrong_or_failed_clips_are_overlaid_again(monkeypatch: pytest.MonkeyPatch) -> None:
    # Whatever GEOS gets wrong next: a clip that returns too much, one that returns too
    # little and one that fails are all caught by the piece's sum and made again by overlay.
    from clustergeo.surface import grid as grid_module

    shapes = [shapely.Point(X0 + 50 + 200 * i, Y0 + 50).buffer(45 + 5 * i) for i in range(4)]
    made_right, overlay, cell_area = _cell_overlaps_both_ways(shapely.union_all(shapes), 20.0)
    np.testing.assert_allclose(made_right, overlay, rtol=1e-9, atol=1e-9 * cell_area)
    clipped = grid_module._clipped_area
    wrong = {1: lambda area: area + 1.0, 5: lambda area: area / 2, 9: lambda area: math.nan}
    calls = [0]

    def faulty(geom: shapely.Geometry, *rectangle: float) -> float:
        calls[0] += 1
        return wrong.get(calls[0], lambda area: area)(clipped(geom, *rectangle))

    monkeypatch.setattr(grid_module, "_clipped_area", faulty)
    made, overlay, cell_area = _cell_overlaps_both_ways(shapely.union_all(shapes), 20.0)
    assert calls[0] > 9
    np.testing.assert_allclose(made, overlay, rtol=1e-9, atol=1e-9 * cell_area)


def test_chunked_intersections_give_the_same_grid(monkeypatch: pytest.MonkeyPatch) -> None:
    from clustergeo.surface import grid as grid_module

    pieces = _pieces(
        [shapely.Point(X0 + 40 * i, Y0 + 25 * i).buffer(60.0) for i in range(6)],
        C=[1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
    )
    spec = grid_spec(pieces.total_bounds, 20.0)
    whole = rasterise(pieces, ["C"], spec)
    monkeypatch.setattr(grid_module, "_CHUNK", 5)  # fewer cells than one piece covers
    np.testing.assert_allclose(rasterise(pieces, ["C"], spec), whole, rtol=1e-15)
    assert whole.sum() == pytest.approx(21.0, rel=1e-12)


def test_allocation_then_grid_conserves_the_employment() -> None:
    areas = gpd.GeoDataFrame(
        {"area_code": ["A", "B", "C"]},
        geometry=[
            box(X0, Y0, X0 + 330, Y0 + 270),
            box(X0 + 330, Y0, X0 + 610, Y0 + 270),
            Polygon([(X0, Y0 + 270), (X0 + 610, Y0 + 270), (X0 + 300, Y0 + 520)]),
        ],
        crs=CRS,
    )
    land = gpd.GeoDataFrame(
        {"kind": ["industrial", "retail"]},
        geometry=[
            box(X0 + 100, Y0 + 100, X0 + 400, Y0 + 200),
            box(X0 + 500, Y0 + 10, X0 + 600, Y0 + 60),
        ],
        crs=CRS,
    )
    employment = pd.DataFrame(
        {"C": [120.0, 45.0, 7.0], "G": [3.0, 9.0, 11.0]}, index=["A", "B", "C"]
    )
    pieces = allocate(areas, employment, land)
    spec = grid_spec(areas.total_bounds, 25.0)
    grid = rasterise(pieces, ["C", "G"], spec)
    np.testing.assert_allclose(grid.sum(axis=(1, 2)), employment.sum().to_numpy(), rtol=1e-12)
    covered = coverage(areas, spec)
    assert covered.sum() * spec.cell_area == pytest.approx(areas.area.sum(), rel=1e-12)
    assert (grid[:, covered == 0] == 0).all()


def test_known_overlaps_give_the_same_grid_and_coverage() -> None:
    # Without land data every piece is a whole area: the grid reuses the areas' overlaps (found
    # once for the study area's mask) instead of cutting each area again, with the same bits.
    areas = gpd.GeoDataFrame(
        {"area_code": ["A", "B", "C", "D"]},
        geometry=[
            shapely.Point(X0 + 40, Y0 + 35).buffer(50.0),
            box(X0 + 90, Y0, X0 + 210, Y0 + 95),
            Polygon([(X0, Y0 + 100), (X0 + 200, Y0 + 110), (X0 + 90, Y0 + 230)]),
            box(X0 + 150, Y0 + 140, X0 + 260, Y0 + 260),
        ],
        crs=CRS,
    )
    land = gpd.GeoDataFrame(
        {"kind": ["industrial", "retail"]},
        geometry=[
            box(X0 + 20, Y0 + 15, X0 + 60, Y0 + 55),
            box(X0 + 200, Y0 + 200, X0 + 250, Y0 + 250),
        ],
        crs=CRS,
    )
    employment = pd.DataFrame(
        {"C": [10.0, 0.0, 7.5, 3.0], "G": [1.0, 0.0, 2.0, np.nan]}, index=list("ABCD")
    )
    spec = grid_spec(areas.total_bounds, 20.0)
    known = cell_overlaps(areas, spec)
    np.testing.assert_array_equal(known.coverage(), coverage(areas, spec))
    for with_land in (land.iloc[:0], land):
        pieces = allocate(areas, employment, with_land)
        reused = known.positions(pieces.geometry.to_numpy()) >= 0
        # Every area is a piece whole (B carries nothing), but A's and D's pieces are their
        # land when there is land: cut afresh, between pieces that are not.
        assert reused.tolist() == [with_land.empty, True, True, with_land.empty]
        np.testing.assert_array_equal(
            rasterise(pieces, ["C", "G"], spec, known=known), rasterise(pieces, ["C", "G"], spec)
        )
    with pytest.raises(ValueError, match="on the grid"):
        rasterise(pieces, ["C"], grid_spec(areas.total_bounds, 10.0), known=known)


def test_coverage_by_hand() -> None:
    spec = GridSpec(left=X0, top=Y0 + 100, cell_m=50.0, width=2, height=2)
    frame = gpd.GeoDataFrame(geometry=[box(X0, Y0, X0 + 75, Y0 + 50)], crs=CRS)
    np.testing.assert_allclose(coverage(frame, spec), [[0.0, 0.0], [1.0, 0.5]])


# --- GeoTIFF -----------------------------------------------------------------------------------


def test_geotiff_round_trip(tmp_path: Path) -> None:
    spec = GridSpec(left=X0, top=Y0 + 600, cell_m=10.0, width=300, height=60)
    rng = np.random.default_rng(7)
    array = rng.random((2, 60, 300))
    array[1, 0, 0] = np.nan
    path = write_geotiff(tmp_path / "out" / "surface.tif", array, spec, ["C", "G"], nodata=-9999.0)
    assert sorted(p.name for p in path.parent.iterdir()) == ["surface.tif"]
    with rasterio.open(path) as src:
        assert src.crs.to_epsg() == 27700
        assert src.count == 2
        assert src.descriptions == ("C", "G")
        assert src.nodata == -9999.0
        assert src.profile["tiled"]
        assert src.block_shapes == [(256, 256), (256, 256)]
        assert src.compression.name.lower() == "deflate"
        assert src.overviews(1) == [2, 4, 8, 16]
        assert src.tags(ns="rio_overview") == {"resampling": "average"}
        assert src.transform == spec.transform
        assert src.dtypes == ("float64", "float64")
        data = src.read(masked=True)
    np.testing.assert_array_equal(data[0], array[0])
    assert data.mask[1, 0, 0]
    assert data.mask.sum() == 1
    np.testing.assert_array_equal(
        data[1].filled(np.nan)[~np.isnan(array[1])], array[1][~np.isnan(array[1])]
    )


def test_geotiff_rewritten_loses_the_statistics_kept_beside_the_old_one(tmp_path: Path) -> None:
    # QGIS writes the statistics it computes for a raster to <name>.aux.xml; GDAL would read
    # them back for the next raster written at that path.
    spec = GridSpec(left=X0, top=Y0 + 30, cell_m=10.0, width=4, height=3)
    path = write_geotiff(tmp_path / "surface.tif", np.ones((3, 4)), spec, ["C"])
    with rasterio.Env(GDAL_PAM_ENABLED="YES"), rasterio.open(path) as src:
        src.stats(approx=False)
    sidecar = tmp_path / "surface.tif.aux.xml"
    assert "STATISTICS_MAXIMUM" in sidecar.read_text()
    write_geotiff(path, np.full((3, 4), 7.0), spec, ["C"])
    assert not sidecar.exists()
    # What GDAL tells a reader of the band (QGIS's stretch) is no longer the old statistics.
    with rasterio.open(path) as src:
        assert "STATISTICS_MAXIMUM" not in src.tags(1)


def test_geotiff_checks_its_inputs(tmp_path: Path) -> None:
    spec = GridSpec(left=X0, top=Y0, cell_m=10.0, width=4, height=3)
    with pytest.raises(InputDataError, match="2 band names for 1 bands"):
        write_geotiff(tmp_path / "a.tif", np.zeros((3, 4)), spec, ["C", "G"])
    with pytest.raises(InputDataError, match=r"expected \(bands, 3, 4\)"):
        write_geotiff(tmp_path / "a.tif", np.zeros((4, 3)), spec, ["C"])
    assert not list(tmp_path.iterdir())
    small = write_geotiff(tmp_path / "b.tif", np.ones((3, 4), dtype="float32"), spec, ["C"], None)
    with rasterio.open(small) as src:
        assert src.nodata is None
        assert src.dtypes == ("float32",)
        assert src.read(1).sum() == 12.0
        assert src.overviews(1) == [2]  # 4 x 3 cells: coarser levels would be one pixel


# --- kernel smoothing --------------------------------------------------------------------------


def test_kernel_density_keeps_totals_even_at_the_edges() -> None:
    spec = GridSpec(left=X0, top=Y0, cell_m=100.0, width=40, height=30)
    array = np.zeros((2, 30, 40))
    array[0, 0, 0] = 1_000.0  # in the corner: a plain filter would lose three quarters
    array[0, 15, 20] = 50.0
    array[1, 29, 39] = 7.0
    smoothed = kernel_density(array, spec, bandwidth_m=300.0)
    np.testing.assert_allclose(smoothed.sum(axis=(1, 2)), [1_050.0, 7.0], rtol=1e-12)
    assert (smoothed >= 0).all()
    assert smoothed[0, 0, 0] < 1_000.0
    # Far from the edges it is a plain Gaussian: symmetric around the source.
    assert smoothed[0, 15, 17] == pytest.approx(smoothed[0, 15, 23], rel=1e-9)
    single = kernel_density(array[1], spec, bandwidth_m=300.0)
    np.testing.assert_allclose(single, smoothed[1])


def test_kernel_density_keeps_mass_inside_the_mask() -> None:
    spec = GridSpec(left=X0, top=Y0, cell_m=100.0, width=20, height=20)
    mask = np.zeros((20, 20), dtype=bool)
    mask[5:15, 2:9] = True
    array = np.zeros((1, 20, 20))
    array[0, 6, 3] = 10.0
    array[0, 10, 8] = 5.0
    smoothed = kernel_density(array, spec, bandwidth_m=250.0, mask=mask)
    assert smoothed.sum() == pytest.approx(15.0, rel=1e-12)
    assert (smoothed[0, ~mask] == 0).all()
    outside = array.copy()
    outside[0, 0, 0] = 1.0
    with pytest.raises(InputDataError, match="outside the mask hold values"):
        kernel_density(outside, spec, bandwidth_m=250.0, mask=mask)
    with pytest.raises(InputDataError, match="missing values"):
        kernel_density(np.full((20, 20), np.nan), spec, bandwidth_m=250.0)
    with pytest.raises(InputDataError, match="positive distance"):
        kernel_density(array, spec, bandwidth_m=0.0)


# --- Rutland, end to end -----------------------------------------------------------------------


@pytest.mark.realdata
def test_rutland_surface_end_to_end(shared_data: Path, tmp_path: Path) -> None:
    from clustergeo.ingest.boundaries import read_boundaries
    from clustergeo.ingest.employment import read_employment
    from clustergeo.surface.osm import read_employment_land

    msoas = read_boundaries(
        shared_data
        / "boundaries_msoa2011_lsoa2011_martinjc"
        / "msoa2011_midlands_martinjc.geojson",
        code_column="MSOA11CD",
        keep_columns=("LAD_FILE_CODE",),
    ).frame.rename(columns={"code": "area_code"})
    rutland = msoas[msoas["LAD_FILE_CODE"] == "E06000017"][["area_code", "geometry"]]
    assert len(rutland) == 5
    table = read_employment(
        shared_data
        / "census2011_wp_msoa_industry"
        / "workplace_popCensus2011_MSOA_bySICcode_20sections.csv"
    ).data
    wide = table.pivot(index="area_code", columns="industry_code", values="employment")
    employment = wide.reindex(rutland["area_code"]).astype("float64")
    land = read_employment_land(
        shared_data / "osm_rutland_2018" / "rutland-latest.osm.pbf",
        polygon=rutland.union_all(),
        cache_dir=tmp_path,
    )
    pieces = allocate(rutland, employment, land)
    columns = [str(column) for column in employment.columns]
    np.testing.assert_allclose(
        pieces.groupby("area_code")[columns].sum().reindex(employment.index),
        employment.to_numpy(),
        rtol=1e-12,
    )
    # Every Rutland MSOA holds some mapped employment land in the 2018 extract (7 pieces:
    # industrial in four MSOAs, commercial in two, retail in one), so none falls back.
    assert not pieces["fallback"].any()
    assert pieces["kind"].value_counts().to_dict() == {
        "industrial": 4,
        "commercial": 2,
        "retail": 1,
    }
    assert pieces.loc[~pieces["fallback"], "land_m2"].sum() <= land.geometry.area.sum() + 1e-6
    spec = grid_spec(rutland.total_bounds, 200.0)
    grid = rasterise(pieces, columns, spec)
    np.testing.assert_allclose(grid.sum(axis=(1, 2)), employment.sum().to_numpy(), rtol=1e-12)
    path = write_geotiff(tmp_path / "rutland.tif", grid.astype("float32"), spec, columns)
    with rasterio.open(path) as src:
        assert src.count == len(columns)
        assert src.descriptions == tuple(columns)
        assert src.read(1).sum() == pytest.approx(employment.iloc[:, 0].sum(), rel=1e-5)
