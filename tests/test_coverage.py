"""Tests for clustergeo.coverage: gaps between areas filled, enclaves and wide holes kept."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from shapely.geometry import GeometryCollection, LineString, MultiPolygon, Polygon, box

from clustergeo.coverage import SLIVER_WIDTH_M, AreaCoverage

KM = 1000.0


def _grid() -> list[Polygon]:
    """A 3 x 3 grid of 1 km squares (row-major; square 4 is the centre)."""
    return [box(x * KM, y * KM, (x + 1) * KM, (y + 1) * KM) for y in range(3) for x in range(3)]


def _holes(shape: Polygon | MultiPolygon) -> list[float]:
    parts = shape.geoms if isinstance(shape, MultiPolygon) else [shape]
    return sorted(Polygon(ring).area for part in parts for ring in part.interiors)


def _cut_corners(x: float, y: float, cut: float) -> list[Polygon]:
    """Four 1 km squares around (x, y) whose corners there were cut by generalisation: they
    share their edges but leave a small diamond no area covers, which their union encloses."""
    return [
        Polygon([(x - KM, y - KM), (x, y - KM), (x, y - cut), (x - cut, y), (x - KM, y)]),
        Polygon([(x, y - KM), (x + KM, y - KM), (x + KM, y), (x + cut, y), (x, y - cut)]),
        Polygon([(x - KM, y), (x - cut, y), (x, y + cut), (x, y + KM), (x - KM, y + KM)]),
        Polygon([(x, y + cut), (x + cut, y), (x + KM, y), (x + KM, y + KM), (x, y + KM)]),
    ]


def test_a_sliver_where_generalised_areas_meet_is_filled_and_the_outline_kept() -> None:
    areas = _cut_corners(KM, KM, cut=10.0)
    union = shapely.union_all(areas)
    assert _holes(union) == [pytest.approx(2 * 10.0**2)]

    (filled,) = AreaCoverage(areas).without_gaps([union])

    assert isinstance(filled, Polygon)
    assert _holes(filled) == []
    assert filled.exterior.equals(union.exterior)
    assert filled.is_valid
    assert filled.area == pytest.approx(4 * KM**2)


def test_a_hole_holding_an_area_is_kept() -> None:
    grid = _grid()
    ring = shapely.union_all([square for i, square in enumerate(grid) if i != 4])
    assert _holes(ring) == [KM**2]

    (kept,) = AreaCoverage(grid).without_gaps([ring])

    assert kept.equals(ring)


def test_a_wide_hole_is_kept_even_where_no_area_covers_it() -> None:
    # The centre square is not among the areas given (a city outside the county studied):
    # a place the areas do not cover, not a gap between them.
    outer = [square for i, square in enumerate(_grid()) if i != 4]
    ring = shapely.union_all(outer)

    (kept,) = AreaCoverage(outer).without_gaps([ring])

    assert _holes(kept) == [KM**2]


def test_a_gap_just_narrower_than_the_limit_is_filled_and_a_wider_one_kept() -> None:
    for width, filled in ((SLIVER_WIDTH_M * 0.9, True), (SLIVER_WIDTH_M * 1.1, False)):
        # Two 1 km x 2 km strips with a gap of ``width`` between them, closed at both ends.
        left = box(0, 0, KM, 2 * KM)
        right = box(KM + width, 0, 2 * KM + width, 2 * KM)
        ends = [box(KM - 1, 0, KM + width + 1, 100), box(KM - 1, 1900, KM + width + 1, 2 * KM)]
        union = shapely.union_all([left, right, *ends])
        assert len(_holes(union)) == 1

        (out,) = AreaCoverage([left, right, *ends]).without_gaps([union])

        assert (_holes(out) == []) is filled, width


def test_a_part_with_a_gap_and_an_enclave_keeps_the_enclave_ring_exactly() -> None:
    shell = [(0, 0), (10 * KM, 0), (10 * KM, 10 * KM), (0, 10 * KM)]
    sliver = [(1 * KM, 1 * KM), (1 * KM + 5, 1 * KM), (1 * KM + 5, 3 * KM), (1 * KM, 3 * KM)]
    enclave = box(5 * KM, 5 * KM, 7 * KM, 7 * KM)
    sliver_too = [(8 * KM, 1 * KM), (8 * KM + 5, 1 * KM), (8 * KM + 5, 3 * KM), (8 * KM, 3 * KM)]
    shape = Polygon(shell, [sliver, enclave.exterior.coords, sliver_too])
    assert shape.is_valid

    (out,) = AreaCoverage([enclave, box(0, 0, 1, 1)]).without_gaps([shape])

    assert out.equals_exact(Polygon(shell, [enclave.exterior.coords]), 0.0)


def test_each_shape_gets_its_own_parts_back_after_other_geometries() -> None:
    areas = _cut_corners(KM, KM, cut=5.0)
    union = shapely.union_all(areas)
    filled = Polygon(union.exterior)
    far = shapely.affinity.translate(union, xoff=10 * KM)
    far_filled = Polygon(far.exterior)
    far_areas = [shapely.affinity.translate(a, xoff=10 * KM) for a in areas]
    plain = box(50 * KM, 0, 51 * KM, KM)
    line = LineString([(0, 0), (1, 1)])
    shapes = [line, MultiPolygon([union, plain]), far, MultiPolygon([plain, far]), None]

    out = AreaCoverage(areas + far_areas + [plain]).without_gaps(shapes)

    assert out[0] is line
    assert out[1].equals_exact(MultiPolygon([filled, plain]), 0.0)
    assert out[2].equals_exact(far_filled, 0.0)
    assert out[3].equals_exact(MultiPolygon([plain, far_filled]), 0.0)
    assert out[4] is None


def _slotted() -> Polygon:
    """A 2 km square with a slot 30 m wide and 1 km long in it: a hole narrow enough to be a gap."""
    slot = box(985, 500, 1015, 1500)
    return Polygon(box(0, 0, 2 * KM, 2 * KM).exterior.coords, [slot.exterior.coords])


def test_a_narrow_hole_that_holds_an_area_is_kept() -> None:
    # A narrow area (a 20 m wide strip, such as a canal corridor) lies in the slot.
    strip = box(995, 600, 1005, 1400)
    shape = _slotted()

    (kept,) = AreaCoverage([shape, strip]).without_gaps([shape])

    assert kept.equals(shape)


def test_a_detached_part_of_an_area_inside_a_hole_keeps_the_hole() -> None:
    # An area of two parts: a large square far away and a narrow island in the slot. Its one
    # representative point is in the far square; the island must still count.
    island = box(995, 600, 1005, 1400)
    two_parts = MultiPolygon([box(20 * KM, 0, 30 * KM, 10 * KM), island])
    assert not island.contains(two_parts.point_on_surface())
    frame = _slotted()
    # The island as a member (the union holds it as a separate part) and as a non-member.
    with_island = shapely.union_all([frame, island])
    assert isinstance(with_island, MultiPolygon)

    kept = AreaCoverage([frame, two_parts]).without_gaps([with_island, frame])

    assert kept[0].equals(with_island)
    assert kept[0].is_valid
    assert kept[1].equals(frame)


def test_shapes_without_gaps_and_other_geometries_are_returned_as_they_are() -> None:
    plain = box(0, 0, 3 * KM, 3 * KM)
    line = LineString([(0, 0), (1, 1)])
    collection = GeometryCollection([box(0, 0, 1, 1), line])
    shapes = np.array([plain, line, collection, Polygon()], dtype=object)

    out = AreaCoverage(_grid()).without_gaps(shapes)

    assert out is not shapes
    assert all(a is b for a, b in zip(out, shapes, strict=True))


def test_only_the_changed_shapes_are_rebuilt() -> None:
    areas = _cut_corners(KM, KM, cut=10.0)
    union = shapely.union_all(areas)
    plain = box(5 * KM, 5 * KM, 6 * KM, 6 * KM)

    out = AreaCoverage(areas).without_gaps([plain, union, plain])

    assert out[0] is plain
    assert out[2] is plain
    assert out[1].equals_exact(Polygon(union.exterior), 0.0)


def test_z_coordinates_are_kept() -> None:
    areas = [shapely.force_3d(a, 7.0) for a in _cut_corners(KM, KM, cut=10.0)]
    union = shapely.union_all(areas)

    (filled,) = AreaCoverage(areas).without_gaps([union])

    assert _holes(filled) == []
    assert shapely.has_z(filled)


def test_no_shapes() -> None:
    assert len(AreaCoverage(_grid()).without_gaps([])) == 0
