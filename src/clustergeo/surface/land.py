"""Employment-bearing land: its kinds, their precedence, and one kind per piece of land.

Land-use polygons overlap in OpenStreetMap (a named business park drawn around the
industrial and commercial plots inside it; a retail polygon drawn over part of a commercial
one). Counted as drawn, the shared land would receive employment twice. The rule here is
**one kind per piece of land**: where polygons of different kinds overlap, the land goes to the
kind that comes first in :data:`KIND_PRECEDENCE` (industrial > works > commercial > retail);
where polygons of the same kind overlap, the smaller polygon (the more specific mapping) keeps
the shared land and the larger one keeps the rest. After :func:`exclusive_land` no two rows
share any area, and the union of the land is unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

__all__ = [
    "DEFAULT_KIND_WEIGHTS",
    "FALLBACK_KIND",
    "KIND_PRECEDENCE",
    "exclusive_land",
    "polygonal",
]

#: Kinds of employment-bearing land, highest precedence first.
KIND_PRECEDENCE: tuple[str, ...] = ("industrial", "works", "commercial", "retail")

#: Relative employment density of each kind, per square metre (retail land is largely car
#: parks and sales floor, so it carries half the workers per m² of the others by default).
DEFAULT_KIND_WEIGHTS: dict[str, float] = {
    "industrial": 1.0,
    "works": 1.0,
    "commercial": 1.0,
    "retail": 0.5,
}

#: Kind given to an area's whole polygon when it has no employment-bearing land.
FALLBACK_KIND = "area"

_POLYGONAL = ("Polygon", "MultiPolygon")


def polygonal(geometry: BaseGeometry) -> BaseGeometry:
    """The polygonal part of a geometry (points and lines of a collection are dropped).

    Overlays return geometry collections where two polygons share an edge or a corner; only
    their area matters here. Returns an empty polygon when nothing polygonal is left.
    """
    if geometry.is_empty or geometry.geom_type in _POLYGONAL:
        return geometry
    parts = shapely.get_parts(geometry)
    kept = [part for part in parts if part.geom_type in _POLYGONAL and part.area > 0]
    if not kept:
        return shapely.Polygon()
    return shapely.union_all(kept) if len(kept) > 1 else kept[0]


def kind_rank(kinds: Sequence[str]) -> np.ndarray:
    """Position of each kind in :data:`KIND_PRECEDENCE` (unknown kinds after, alphabetically)."""
    extra = sorted(set(kinds) - set(KIND_PRECEDENCE))
    order = {kind: rank for rank, kind in enumerate((*KIND_PRECEDENCE, *extra))}
    return np.array([order[kind] for kind in kinds], dtype=np.int64)


def exclusive_land(land: gpd.GeoDataFrame, kind_column: str = "kind") -> gpd.GeoDataFrame:
    r"""Make land polygons disjoint: one kind per piece of land, by precedence.

    Rows are ranked by kind (:data:`KIND_PRECEDENCE`) and, within a kind, by area (smallest
    first). Each row keeps only the land no higher-ranked row covers:

    .. math:: G'_i = G_i \setminus \bigcup_{j \prec i} G_j

    so :math:`\sum_i |G'_i| = |\bigcup_i G_i|`. Rows left with no area are dropped.

    Parameters
    ----------
    land
        Polygons in a projected CRS, with a column of kinds.
    kind_column
        The column of kinds.

    Returns
    -------
    geopandas.GeoDataFrame
        The same columns, rows in rank order, index reset, geometry polygonal and disjoint.
    """
    if land.empty:
        return land.reset_index(drop=True)
    geoms = np.asarray(shapely.make_valid(land.geometry.to_numpy()))
    ranks = kind_rank([str(kind) for kind in land[kind_column]])
    order = np.lexsort((shapely.area(geoms), ranks))
    ordered = geoms[order]
    tree = shapely.STRtree(ordered)
    result = np.empty(len(ordered), dtype=object)
    for position, geom in enumerate(ordered):
        hits = tree.query(geom, predicate="intersects")
        earlier = hits[hits < position]
        kept = (
            shapely.difference(geom, shapely.union_all(ordered[earlier])) if len(earlier) else geom
        )
        result[position] = polygonal(kept)
    frame = land.iloc[order].copy()
    frame[frame.geometry.name] = gpd.GeoSeries(result, index=frame.index, crs=land.crs)
    keep = ~frame.geometry.is_empty & (frame.geometry.area > 0)
    return frame.loc[keep].reset_index(drop=True)
