"""Regions dissolved from areas, without the gaps that generalised boundaries leave.

Published boundary files are generalised area by area, so neighbouring areas do not always
meet exactly: between them lie slivers that no area covers, most of them a few square metres
and none wide. A union of neighbouring areas (a district, a cluster, a symbiosis zone)
encloses those slivers as holes. Each is a speck with an outline of its own in QGIS (together
they draw the areas' boundaries inside a district as broken lines), a ring written to the
GeoPackage and a path drawn on every map, and none is a place.

A hole is filled when it is such a gap: it holds no part of any area (an area's part is held
when the part's representative point, ``point_on_surface``, lies in the hole) and it is a
sliver, nowhere wider than :data:`SLIVER_WIDTH_M` (shrinking it by half that empties it). A
hole that holds an area is an enclave, such as a district inside another or an area of
another sector inside a cluster; a wide hole is a place the areas given do not cover, such as
a unitary authority inside the county studied. Both are kept.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely

__all__ = ["SLIVER_WIDTH_M", "AreaCoverage"]

#: The widest gap between areas that is filled, in metres (of the working CRS). The gaps of
#: ONS's generalised boundaries are far narrower: in the Midlands MSOAs (1,308 areas), the
#: 25,501 holes of their districts are at most 28 m wide, and all but one under a millimetre.
SLIVER_WIDTH_M = 50.0

_POLYGON = shapely.GeometryType.POLYGON.value
_MULTIPOLYGON = shapely.GeometryType.MULTIPOLYGON.value


class AreaCoverage:
    """The areas a study is made of, to tell the gaps between them from enclaves.

    Parameters
    ----------
    areas
        The areas' polygons (a GeoSeries or an array of shapely geometries).
    """

    def __init__(self, areas: Any) -> None:
        # One point per part: a part detached from its area (an island, an exclave) can lie
        # in a hole that the area's one representative point is outside.
        parts = shapely.get_parts(np.asarray(areas, dtype=object))
        points = shapely.point_on_surface(parts)
        self._points = shapely.STRtree(points[~shapely.is_empty(points)])

    def without_gaps(self, shapes: Any) -> np.ndarray:
        """``shapes`` (unions of the areas) with every gap between areas they enclose filled.

        Polygons and multipolygons keep their type, their outer rings and every hole that is
        not a gap (see the module's description); other geometries, and shapes with no gap,
        are returned as they are. Removing holes from a valid polygon leaves it valid: a hole
        that holds another part of the same shape holds that part's point, and is kept.
        """
        given: np.ndarray = np.asarray(shapes, dtype=object)
        out = given.copy()
        polygonal = np.flatnonzero(np.isin(shapely.get_type_id(given), [_POLYGON, _MULTIPOLYGON]))
        parts, owner = shapely.get_parts(given[polygonal], return_index=True)
        ring_counts = shapely.get_num_interior_rings(parts)
        if not len(parts) or not ring_counts.any():
            return out
        # Every hole of every part, in part order: part p's end at ends[p].
        ends = np.cumsum(ring_counts)
        part_of_ring = np.repeat(np.arange(len(parts)), ring_counts)
        ring_number = np.arange(ends[-1]) - (ends - ring_counts)[part_of_ring]
        rings = shapely.get_interior_ring(parts[part_of_ring], ring_number)
        holes = shapely.polygons(rings)
        holding, _ = self._points.query(holes, predicate="contains")
        real = ~shapely.is_empty(shapely.buffer(holes, -SLIVER_WIDTH_M / 2))
        real[holding] = True
        changed = np.unique(part_of_ring[~real])
        if not len(changed):
            return out
        new_parts = parts.copy()
        for p in changed:
            first, last = ends[p] - ring_counts[p], ends[p]
            new_parts[p] = shapely.polygons(
                shapely.get_exterior_ring(parts[p]), holes=rings[first:last][real[first:last]]
            )
        for shape in np.unique(owner[changed]):
            index = polygonal[shape]
            mine = new_parts[np.searchsorted(owner, shape) : np.searchsorted(owner, shape, "right")]
            single = shapely.get_type_id(given[index]) == _POLYGON
            out[index] = mine[0] if single else shapely.multipolygons(mine)
        return out
