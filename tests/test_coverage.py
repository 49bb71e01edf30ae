"""Tests for clustergeo.coverage: gaps between areas filled, enclaves kept."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from shapely.geometry import GeometryCollection, LineString, MultiPolygon, Polygon, box

from clustergeo.coverage import AreaCoverage


def _grid(shrink: float = 0.0) -> list[Polygon]:
    """A 3 x 3 grid of unit squares (row-major), each shrunk by ``shrink`` on every side."""
    return [
        box(x + shrink, y + shrink, x + 1 - shrink, y + 1 - shrink)
        for y in range(3)
        for x in range(3)
    ]


def _holes(shape: Polygon | MultiPolygon) -> list[float]:
    parts = shape.geoms if isinstance(shape, MultiPolygon) else [shape]
    return sorted(Polygon(ring).area for part in parts for ring in part.interiors)


def test_a_hole_holding_an_area_is_kept() -> None:
    grid = _grid()
    ring = shapely.union_all([square for i, square in enumerate(grid) if i != 4])
    assert _holes(ring) == [1.0]

    (kept,) = AreaCoverage(grid).without_gaps([ring])

    assert kept.equals(ring)
    assert _holes(kept) == [1.0]


def test_a_hole_between_areas_that_holds_none_is_filled() -> None:
    # The eight outer squares and no centre square: the hole holds no area.
    grid = [square for i, square in enumerate(_grid()) if i != 4]
    ring = shapely.union_all(grid)

    (filled,) = AreaCoverage(grid).without_gaps([ring])

    assert isinstance(filled, Polygon)
    assert filled.is_valid
    assert _holes(filled) == []
    assert filled.equals(box(0, 0, 3, 3))


def test_a_sliver_where_generalised_areas_meet_is_filled_and_the_outline_kept() -> None:
    # Four squares around (1, 1) whose corners there were cut by generalisation: they share
    # their edges but leave a small diamond no area covers, which their union encloses.
    cut = 0.01
    areas = [
        Polygon([(0, 0), (1, 0), (1, 1 - cut), (1 - cut, 1), (0, 1)]),
        Polygon([(1, 0), (2, 0), (2, 1), (1 + cut, 1), (1, 1 - cut)]),
        Polygon([(0, 1), (1 - cut, 1), (1, 1 + cut), (1, 2), (0, 2)]),
        Polygon([(1, 1 + cut), (1 + cut, 1), (2, 1), (2, 2), (1, 2)]),
    ]
    union = shapely.union_all(areas)
    assert _holes(union) == [pytest.approx(2 * cut**2)]

    (filled,) = AreaCoverage(areas).without_gaps([union])

    assert _holes(filled) == []
    assert filled.exterior.equals(union.exterior)
    assert filled.is_valid
    assert filled.area == pytest.approx(4.0)


def test_multipolygons_keep_their_parts_and_type() -> None:
    grid = [square for i, square in enumerate(_grid()) if i != 4]
    ring = shapely.union_all(grid)
    far = shapely.affinity.translate(ring, xoff=10)
    shape = MultiPolygon([ring, far])
    areas = grid + [shapely.affinity.translate(s, xoff=10) for s in _grid()]

    (filled,) = AreaCoverage(areas).without_gaps([shape])

    # The first part's hole holds nothing; the second part's holds a translated centre square.
    assert isinstance(filled, MultiPolygon)
    assert len(filled.geoms) == 2
    assert _holes(filled.geoms[0]) == []
    assert _holes(filled.geoms[1]) == [1.0]


def test_shapes_without_gaps_and_other_geometries_are_returned_as_they_are() -> None:
    grid = _grid()
    plain = box(0, 0, 3, 3)
    line = LineString([(0, 0), (1, 1)])
    collection = GeometryCollection([box(0, 0, 1, 1), line])
    shapes = np.array([plain, line, collection, Polygon()], dtype=object)

    out = AreaCoverage(grid).without_gaps(shapes)

    assert out is not shapes
    assert all(a is b for a, b in zip(out, shapes, strict=True))


def test_only_the_changed_shapes_are_rebuilt() -> None:
    grid = [square for i, square in enumerate(_grid()) if i != 4]
    ring = shapely.union_all(grid)
    plain = box(5, 5, 6, 6)

    out = AreaCoverage(grid).without_gaps([plain, ring, plain])

    assert out[0] is plain
    assert out[2] is plain
    assert _holes(out[1]) == []


def test_no_shapes() -> None:
    assert len(AreaCoverage(_grid()).without_gaps([])) == 0
