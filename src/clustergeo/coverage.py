"""Regions dissolved from areas, without the gaps that generalised boundaries leave.

Published boundary files are generalised area by area, so neighbouring areas do not always
meet exactly: between them lie slivers that no area covers, most of a few square metres. A
union of neighbouring areas (a district, a cluster, a symbiosis zone) encloses those slivers
as holes. Each is a speck with an outline of its own in QGIS, a ring written to the
GeoPackage and a path drawn on every map, and none is a place.

A hole that holds an area is real: an enclave, such as a district inside another or an area
of another sector inside a cluster. A hole that holds none is a gap in the coverage, and is
filled. An area is held by a hole when the area's representative point (``point_on_surface``,
always inside the area) lies in it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely

__all__ = ["AreaCoverage"]

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
        points = shapely.point_on_surface(np.asarray(areas, dtype=object))
        self._points = shapely.STRtree(points[~shapely.is_empty(points)])

    def without_gaps(self, shapes: Any) -> np.ndarray:
        """``shapes`` (unions of the areas) with every hole that holds no area filled.

        Polygons and multipolygons keep their type, their outer rings and every hole that
        holds an area; other geometries, and shapes with no gap, are returned as they are.
        Removing holes from a valid polygon leaves it valid.
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
        holding, _ = self._points.query(shapely.polygons(rings), predicate="contains")
        real = np.zeros(len(rings), dtype=bool)
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
