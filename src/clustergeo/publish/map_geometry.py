"""Geometry for maps: simplified to the printed scale, turned into matplotlib paths once.

A report map is 17 cm wide at 300 dpi, about 2,000 pixels: a boundary drawn with vertices a
tenth of a pixel apart looks exactly like one simplified to half a pixel, but costs ten times as
much to draw and to write as SVG or PDF. :func:`simplify_to_scale` drops what the printed map
cannot show, and :func:`geometry_paths` turns each feature into one compound matplotlib
:class:`~matplotlib.path.Path` (exterior and holes), so that a run's maps share the same paths
instead of each asking geopandas to rebuild them (which also redraws the whole figure after
every layer under a non-interactive backend).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from matplotlib.collections import PathCollection
from matplotlib.colors import to_rgba_array
from matplotlib.path import Path

from clustergeo.london import in_london

__all__ = [
    "CLOSE_UP_RATIO",
    "INSET_PIXELS",
    "PRINT_PIXELS",
    "CloseUp",
    "MapGeometry",
    "close_up_geometry",
    "coverage_collection",
    "geometry_paths",
    "london_close_up",
    "london_view",
    "path_collection",
    "prepare_map_geometries",
    "prepare_map_geometry",
    "simplify_to_scale",
]

#: Pixels across a full-width printed map: 17 cm at 300 dpi.
PRINT_PIXELS = 2000
#: Pixels across an inset close-up beside a map (about 5 cm at 300 dpi).
INSET_PIXELS = 600


def simplify_to_scale(
    geometry: gpd.GeoSeries, extent_m: float, pixels: int = PRINT_PIXELS
) -> gpd.GeoSeries:
    """``geometry`` simplified to half a printed pixel of a map ``extent_m`` metres across.

    Topology is preserved per feature (no ring collapses or self-intersects); neighbouring
    features may part by under half a pixel along shared edges, which the outline drawn over
    them hides.
    """
    tolerance = extent_m / pixels / 2
    simplified = shapely.simplify(geometry.to_numpy(), tolerance, preserve_topology=True)
    return gpd.GeoSeries(simplified, index=geometry.index, crs=geometry.crs)


def geometry_paths(geometry: Sequence[Any] | gpd.GeoSeries) -> list[Path]:
    """One compound path per feature (polygons with their holes; lines as open paths).

    Empty or missing features get an empty path, so the list lines up with ``geometry``.
    """
    geoms = np.asarray(geometry, dtype=object)
    n = len(geoms)
    missing = np.array([g is None for g in geoms], dtype=bool)
    if missing.any():
        geoms = geoms.copy()
        geoms[missing] = shapely.Polygon()
    parts, part_index = shapely.get_parts(geoms, return_index=True)
    is_polygon = shapely.get_type_id(parts) == 3
    rings = np.empty(0, dtype=object)
    ring_feature = np.empty(0, dtype=np.int64)
    closed = np.empty(0, dtype=bool)
    if is_polygon.any():
        # matplotlib fills by the non-zero winding rule: a hole is left empty only when it
        # runs the other way round from its exterior, which boundary files do not promise.
        oriented = shapely.orient_polygons(parts[is_polygon])
        polygon_rings, ring_part = shapely.get_rings(oriented, return_index=True)
        rings = np.concatenate([rings, polygon_rings])
        ring_feature = np.concatenate([ring_feature, part_index[is_polygon][ring_part]])
        closed = np.concatenate([closed, np.ones(len(polygon_rings), dtype=bool)])
    lines = ~is_polygon & np.isin(shapely.get_type_id(parts), (1, 2))
    if lines.any():
        rings = np.concatenate([rings, parts[lines]])
        ring_feature = np.concatenate([ring_feature, part_index[lines]])
        closed = np.concatenate([closed, shapely.get_type_id(parts[lines]) == 2])
    if len(rings) == 0:
        return [Path(np.empty((0, 2))) for _ in range(n)]
    order = np.argsort(ring_feature, kind="stable")
    rings, ring_feature, closed = rings[order], ring_feature[order], closed[order]
    coords, coord_ring = shapely.get_coordinates(rings, return_index=True)
    codes = np.full(len(coords), Path.LINETO, dtype=Path.code_type)
    starts = np.searchsorted(coord_ring, np.arange(len(rings)))
    ends = np.append(starts[1:], len(coords)) - 1
    codes[starts] = Path.MOVETO
    codes[ends[closed]] = Path.CLOSEPOLY
    feature_of_coord = ring_feature[coord_ring]
    bounds = np.searchsorted(feature_of_coord, np.arange(n + 1))
    return [
        Path(coords[bounds[i] : bounds[i + 1]], codes[bounds[i] : bounds[i + 1]])
        if bounds[i + 1] > bounds[i]
        else Path(np.empty((0, 2)))
        for i in range(n)
    ]


def path_collection(paths: Sequence[Path], **style: Any) -> PathCollection:
    """A collection drawing ``paths`` in data coordinates, left out of layout computations.

    The map axes are sized by the layout and then zoomed to the study area, so the thousands
    of paths inside need not be measured when the layout runs (which would cost more than
    drawing them).
    """
    collection = PathCollection(list(paths), **style)
    collection.set_in_layout(False)
    return collection


def coverage_collection(
    paths: Sequence[Path],
    *,
    facecolors: Any,
    edgecolors: Any = "none",
    linewidths: Any = 0.0,
    **style: Any,
) -> PathCollection:
    """A coverage (features that do not overlap) drawn as one compound path per style.

    The paths sharing a fill colour, edge colour and edge width are joined into one path, so
    a map of 35,000 areas in seven classes is seven paths to draw and to write as PDF or SVG
    instead of 35,000 (saving them cost about a tenth of a millisecond of Python per path).
    What is printed is the same, better where fills meet: neighbours of one class leave no
    anti-aliasing seam between them. Two differences: filled shapes of one style that
    overlap are filled once, not twice (which shows under ``alpha``; outlines, drawn without
    fill, may share borders), and matplotlib snaps only small paths made of horizontal and
    vertical edges to whole pixels (under 1,024 vertices), so square grid cells are
    anti-aliased at their true place rather than snapped. ``facecolors``, ``edgecolors``
    and ``linewidths`` may be one value or one per path, as for
    :class:`~matplotlib.collections.PathCollection`; every other style applies to all paths
    and must be a single value. The result is left out of layout computations, as
    :func:`path_collection`'s.

    Raises
    ------
    ValueError
        If another style is given per path, which joined paths cannot keep.
    """
    # A list or array of several values is one per path (a tuple may be one dash pattern).
    per_path = [
        key
        for key, value in style.items()
        if isinstance(value, (list, np.ndarray)) and len(value) > 1
    ]
    if per_path:
        raise ValueError(
            f"coverage_collection draws one style per group of paths: {', '.join(per_path)} "
            "cannot be given per path (use path_collection)."
        )
    n = len(paths)
    fills = _per_path_colours(facecolors, n)
    edges = _per_path_colours(edgecolors, n)
    widths = np.broadcast_to(np.asarray(linewidths, dtype=float).reshape(-1), (n,))
    keys = np.column_stack([fills, edges, widths])
    styles, group = np.unique(keys, axis=0, return_inverse=True)
    group = group.reshape(-1)
    order = np.argsort(group, kind="stable")
    starts = np.searchsorted(group[order], np.arange(len(styles) + 1))
    joined = [
        Path.make_compound_path(*(paths[i] for i in order[starts[k] : starts[k + 1]]))
        for k in range(len(styles))
    ]
    return path_collection(
        joined,
        facecolors=_colours_or_none(styles[:, :4]),
        edgecolors=_colours_or_none(styles[:, 4:8]),
        linewidths=styles[:, 8],
        **style,
    )


def _per_path_colours(colours: Any, n: int) -> np.ndarray[Any, np.dtype[np.float64]]:
    """``colours`` (one, or one per path; ``"none"`` is transparent) as ``n`` RGBA rows."""
    rgba = to_rgba_array(colours)
    if len(rgba) == 0:
        rgba = np.zeros((1, 4))
    return np.broadcast_to(rgba, (n, 4)) if len(rgba) == 1 else rgba


def _colours_or_none(rgba: np.ndarray[Any, np.dtype[np.float64]]) -> Any:
    """``"none"`` where every colour is transparent, so nothing is filled or stroked at all."""
    return "none" if not rgba[:, 3].any() else rgba


@dataclass(frozen=True)
class MapGeometry:
    """A study area's geometry prepared once for every map of a run.

    Attributes
    ----------
    bounds
        The study area's ``(xmin, ymin, xmax, ymax)`` in metres.
    areas
        One path per small area, in the order of the areas frame, simplified to the scale.
    outlines
        Per authority tier, the outline of each authority (drawn as lines).
    study_outline
        The study area's outline.
    close_up
        A part of the study area the maps also show enlarged (London on a national run).
    """

    bounds: tuple[float, float, float, float]
    areas: list[Path]
    outlines: Mapping[str, list[Path]] = field(default_factory=dict)
    study_outline: list[Path] = field(default_factory=list)
    close_up: CloseUp | None = None


@dataclass(frozen=True)
class CloseUp:
    """A part of the study area each map also shows enlarged, in an inset beside it.

    Attributes
    ----------
    place
        What the part is called ("London").
    view
        Its ``(xmin, ymin, xmax, ymax)`` in metres.
    members
        The positions, in the areas frame, of the areas the view holds (some in part).
    geometry
        Those areas (in the order of ``members``) and the authority outlines in the view,
        simplified to the inset's scale.
    """

    place: str
    view: tuple[float, float, float, float]
    members: np.ndarray
    geometry: MapGeometry


def close_up_geometry(
    place: str,
    view: Sequence[float],
    areas: gpd.GeoDataFrame,
    boundaries: Mapping[str, gpd.GeoDataFrame] | None = None,
    *,
    pixels: int = INSET_PIXELS,
) -> CloseUp | None:
    """The :class:`CloseUp` of ``view``: its areas and outlines at an inset's scale.

    None where the view holds no area.
    """
    xmin, ymin, xmax, ymax = (float(v) for v in view)
    box = shapely.box(xmin, ymin, xmax, ymax)
    members = np.flatnonzero(areas.intersects(box).to_numpy())
    if not len(members):
        return None
    extent = max(xmax - xmin, ymax - ymin, 1.0)
    outlines = {
        tier: _outline_paths(frame.geometry.loc[frame.intersects(box)], extent, pixels)
        for tier, frame in (boundaries or {}).items()
        if len(frame)
    }
    return CloseUp(
        place=place,
        view=(xmin, ymin, xmax, ymax),
        members=members,
        geometry=MapGeometry(
            bounds=(xmin, ymin, xmax, ymax),
            areas=_simplified_areas(areas.geometry.iloc[members], extent, pixels)[1],
            outlines=outlines,
        ),
    )


#: A study area this many times London's extent or more (a national run) gets a close-up
#: of London: beside its findings map, and in an inset of every map of one industry.
CLOSE_UP_RATIO = 5.0


def london_view(
    areas: gpd.GeoDataFrame, findings: gpd.GeoDataFrame | None = None
) -> tuple[float, float, float, float] | None:
    """The extent of a London close-up of a map, or None where none is needed.

    London's areas are those of region E12000007 (``region_code``) or named London
    (``region_name``). A close-up is drawn when the study area is at least
    :data:`CLOSE_UP_RATIO` times London's extent, and (given ``findings``) some finding lies
    in it: a square round London with a margin.
    """
    london = in_london(areas)
    if not london.any():
        return None
    bounds = areas.loc[london].total_bounds
    full = areas.total_bounds
    if not (np.isfinite(bounds).all() and np.isfinite(full).all()):
        return None
    xmin, ymin, xmax, ymax = (float(b) for b in bounds)
    side = max(xmax - xmin, ymax - ymin)
    if side <= 0 or max(full[2] - full[0], full[3] - full[1]) < CLOSE_UP_RATIO * side:
        return None
    half = side * 1.1 / 2
    cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
    view = (cx - half, cy - half, cx + half, cy + half)
    if findings is not None and not findings.intersects(shapely.box(*view)).any():
        return None
    return view


def london_close_up(
    areas: gpd.GeoDataFrame, boundaries: Mapping[str, gpd.GeoDataFrame] | None = None
) -> CloseUp | None:
    """London's :class:`CloseUp` on a national run's maps of ``areas``, else None."""
    view = london_view(areas)
    return close_up_geometry("London", view, areas, boundaries) if view is not None else None


def prepare_map_geometry(
    areas: gpd.GeoDataFrame,
    boundaries: Mapping[str, gpd.GeoDataFrame] | None = None,
    *,
    pixels: int = PRINT_PIXELS,
) -> MapGeometry:
    """Simplify the areas and authority outlines to a map ``pixels`` wide and make their paths.

    The study outline is the union of the simplified areas, snapped so that the slivers real
    boundary files leave between neighbours do not show as lines inside it.
    """
    return prepare_map_geometries(areas, boundaries, [pixels])[0]


def prepare_map_geometries(
    areas: gpd.GeoDataFrame,
    boundaries: Mapping[str, gpd.GeoDataFrame] | None,
    pixels: Sequence[int],
) -> list[MapGeometry]:
    """:func:`prepare_map_geometry` for maps of several widths, one per entry of ``pixels``.

    The union that makes the study outline (the costly step) is made once, at the finest
    scale, and simplified for the others. A map a third of the page wide (a panel of small
    multiples) then draws and writes a third of the vertices of a full-width one.

    The simplifications run on two threads while this one makes the outline from the finest
    (GEOS lets go of Python's lock): the publish stage does this before its drawing processes
    start, with the other core idle. On the Midlands (1,308 areas and three tiers of
    authorities, two widths) it took 0.46-0.59 s against 0.63-0.74 s one after another
    (alternating processes).
    """
    x_min, y_min, x_max, y_max = (float(v) for v in areas.total_bounds)
    extent = max(x_max - x_min, y_max - y_min, 1.0)
    widths = sorted(set(pixels), reverse=True)  # the finest first: the outline waits for it
    tiers = {tier: frame for tier, frame in (boundaries or {}).items() if len(frame)}
    with ThreadPoolExecutor(max_workers=2) as pool:
        simplified = {
            width: pool.submit(_simplified_areas, areas.geometry, extent, width) for width in widths
        }
        outlines = {
            (tier, width): pool.submit(_outline_paths, frame.geometry, extent, width)
            for width in widths
            for tier, frame in tiers.items()
        }
        finest, _paths = simplified[widths[0]].result()
        outline = _study_outline(finest, extent / widths[0])
        return [
            MapGeometry(
                bounds=(x_min, y_min, x_max, y_max),
                areas=simplified[width].result()[1],
                outlines={tier: outlines[tier, width].result() for tier in tiers},
                study_outline=geometry_paths(
                    [shapely.boundary(shapely.simplify(outline, extent / width))]
                ),
            )
            for width in pixels
        ]


def _simplified_areas(
    geometry: gpd.GeoSeries, extent: float, width: int
) -> tuple[gpd.GeoSeries, list[Path]]:
    """The areas simplified to a map ``width`` pixels wide, and their paths."""
    simplified = simplify_to_scale(geometry, extent, width)
    return simplified, geometry_paths(simplified)


def _outline_paths(geometry: gpd.GeoSeries, extent: float, width: int) -> list[Path]:
    """Authority outlines simplified to a map ``width`` pixels wide, as open paths."""
    return geometry_paths(simplify_to_scale(geometry, extent, width).boundary)


def _study_outline(simplified: gpd.GeoSeries, tolerance: float) -> shapely.Geometry:
    """The union of the simplified areas, snapped by ``tolerance`` so that slivers close."""
    outline = shapely.union_all(shapely.buffer(simplified.to_numpy(), tolerance, quad_segs=1))
    return shapely.buffer(outline, -tolerance, quad_segs=1)
