"""Employment-bearing land from OpenStreetMap: industrial, works, commercial and retail polygons.

A local extract is read with osmnx (``features_from_xml``); a Geofabrik-style ``.osm.pbf``
is first converted to OSM XML with pyosmium. The features kept are

* ``landuse=industrial``, ``landuse=commercial``, ``landuse=retail`` (that kind);
* ``man_made=works`` (kind ``works``: factories, mills, plants mapped as one site);
* any other ``landuse=*`` polygon whose name says it is a business or technology park or an
  industrial estate (:data:`PARK_NAMES` gives the patterns and the kind each implies), since
  these are sometimes drawn with the land use of their current state (``brownfield``,
  ``construction``, ``grass``).

Points and lines are dropped (a point cannot carry an area share of employment), the polygons
are projected to British National Grid (EPSG:27700), and overlaps are resolved by the rule of
:func:`clustergeo.surface.land.exclusive_land`: one kind per piece of land, precedence
industrial > works > commercial > retail, so no land is counted twice.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Final
from xml.etree.ElementTree import ParseError
from xml.sax import SAXException

import geopandas as gpd
import numpy as np
import osmium
import pandas as pd
import shapely
from osmium.filter import KeyFilter
from shapely.geometry import MultiPolygon, Polygon

from clustergeo._errors import InputDataError
from clustergeo.io import atomic_path, write_parquet
from clustergeo.surface.land import exclusive_land, kind_rank
from clustergeo.vocab import WORKING_CRS

__all__ = [
    "EMPLOYMENT_TAGS",
    "LAND_COLUMNS",
    "PARK_NAMES",
    "employment_land_from_features",
    "fetch_employment_land_online",
    "pbf_to_osm_xml",
    "read_employment_land",
]

log = logging.getLogger(__name__)

#: The osmnx tag query: every land-use polygon (named parks may carry any land use) and works.
EMPLOYMENT_TAGS: Final[dict[str, bool | str | list[str]]] = {
    "landuse": True,
    "man_made": "works",
}

#: Keys a feature must carry to be kept when a ``.osm.pbf`` is converted for this reader.
_KEYS: Final = ("landuse", "man_made")

_LANDUSE_KINDS: Final = {"industrial": "industrial", "commercial": "commercial", "retail": "retail"}

#: Name patterns of business parks and estates, and the kind each implies, checked in order.
PARK_NAMES: Final[tuple[tuple[re.Pattern[str], str], ...]] = (
    (re.compile(r"\bretail\s+park\b", re.IGNORECASE), "retail"),
    (
        re.compile(
            r"\b(?:industrial|trading)\s+(?:estate|park)\b|\bind(?:ustrial)?\.?\s*est(?:ate)?\b",
            re.IGNORECASE,
        ),
        "industrial",
    ),
    (
        re.compile(r"\b(?:business|technology|enterprise|science)\s+park\b", re.IGNORECASE),
        "commercial",
    ),
)

#: Columns of the land table, in order.
LAND_COLUMNS: Final = ("osm_id", "kind", "name", "geometry")

_PBF_SUFFIX: Final = ".osm.pbf"


def pbf_to_osm_xml(pbf: Path, out: Path, *, keys: Sequence[str] | None = None) -> Path:
    """Convert an OpenStreetMap ``.osm.pbf`` extract to OSM XML, written atomically.

    Parameters
    ----------
    pbf
        The ``.osm.pbf`` file (e.g. a Geofabrik extract).
    out
        The XML file to write (written as OSM XML whatever its suffix).
    keys
        None (the default) copies every node (with its coordinates), way and relation. Given
        keys, only the ways and relations tagged with at least one of them are written,
        together with every node and way they reference (pyosmium's
        ``BackReferenceWriter``), so the file is reference-complete and osmnx can build each
        polygon; referenced objects lose their own tags so they do not appear as features.

    Returns
    -------
    Path
        ``out``.

    Raises
    ------
    InputDataError
        If ``pbf`` is missing or is not a readable OSM PBF file.
    """
    pbf, out = Path(pbf), Path(out)
    if not pbf.is_file():
        raise InputDataError(
            f"OpenStreetMap extract {pbf} does not exist: download the .osm.pbf (e.g. from "
            "Geofabrik) or correct the path."
        )
    try:
        with atomic_path(out) as tmp:
            target = osmium.io.File(str(tmp), "osm")
            if keys is None:
                with osmium.SimpleWriter(target) as writer:
                    for obj in osmium.FileProcessor(str(pbf)):
                        writer.add(obj)
            else:
                entities = osmium.osm.WAY | osmium.osm.RELATION
                processor = osmium.FileProcessor(str(pbf), entities).with_filter(KeyFilter(*keys))
                with osmium.BackReferenceWriter(target, ref_src=str(pbf)) as back_writer:
                    for obj in processor:
                        back_writer.add(obj)
    except RuntimeError as exc:
        raise InputDataError(
            f"OpenStreetMap extract {pbf} cannot be read as an OSM PBF file ({exc}). "
            "Download it again; a truncated download is the usual cause."
        ) from None
    log.info("Converted %s to OSM XML %s", pbf, out)
    return out


def _pbf_stem(pbf: Path) -> str:
    name = pbf.name
    return name[: -len(_PBF_SUFFIX)] if name.lower().endswith(_PBF_SUFFIX) else pbf.stem


def _cached_xml(pbf: Path, cache_dir: Path | None) -> Path:
    """The filtered XML of ``pbf`` in ``cache_dir`` (default: beside it), converted if stale."""
    folder = Path(cache_dir) if cache_dir is not None else pbf.parent
    cache = folder / f"{_pbf_stem(pbf)}.employment-land.osm"
    if not pbf.is_file():
        raise InputDataError(
            f"OpenStreetMap extract {pbf} does not exist: download the .osm.pbf (e.g. from "
            "Geofabrik) or correct the path."
        )
    if cache.is_file() and cache.stat().st_mtime >= pbf.stat().st_mtime:
        log.info("Using the converted extract %s", cache)
        return cache
    return pbf_to_osm_xml(pbf, cache, keys=_KEYS)


def _area_filter(
    polygon: Polygon | MultiPolygon | None,
    bbox: tuple[float, float, float, float] | None,
    crs: str,
) -> Polygon | MultiPolygon | None:
    """The study area as a lon/lat polygon for osmnx, or None for the whole file."""
    if polygon is not None and bbox is not None:
        raise InputDataError(
            "Give either a polygon or a bbox to read OpenStreetMap land, not both."
        )
    if bbox is not None:
        minx, miny, maxx, maxy = bbox
        if not (minx < maxx and miny < maxy):
            raise InputDataError(
                f"The bbox {bbox} is empty: give (min x, min y, max x, max y) in {crs}."
            )
        polygon = shapely.box(minx, miny, maxx, maxy)
    if polygon is None:
        return None
    lonlat = gpd.GeoSeries([polygon], crs=crs).to_crs("EPSG:4326").iloc[0]
    if not isinstance(lonlat, Polygon | MultiPolygon):
        raise InputDataError(
            f"The area to read OpenStreetMap land in is a {lonlat.geom_type}; give a polygon."
        )
    return lonlat


def read_employment_land(
    path: Path,
    *,
    polygon: Polygon | MultiPolygon | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    crs: str = WORKING_CRS,
    cache_dir: Path | None = None,
) -> gpd.GeoDataFrame:
    """Employment-bearing land polygons from a local OpenStreetMap extract.

    Parameters
    ----------
    path
        An OSM XML file (``.osm``, ``.osm.bz2``) or an ``.osm.pbf`` extract. A PBF is converted
        once to XML holding only land-use and ``man_made`` features with the nodes and ways
        they reference, cached as ``<name>.employment-land.osm`` in ``cache_dir`` (default:
        beside the extract) and reused while it is newer than the extract.
    polygon, bbox
        Optionally, the study area (one or the other), in ``crs``: features intersecting it are
        kept whole (the dasymetric allocation clips them to the areas). ``bbox`` is
        ``(min x, min y, max x, max y)``.
    crs
        CRS of ``polygon`` or ``bbox``. The result is always in EPSG:27700.
    cache_dir
        Folder for the converted XML of a PBF extract (the extract's folder may be read-only).

    Returns
    -------
    geopandas.GeoDataFrame
        ``osm_id`` (``"way/123"``, ``"relation/45"``), ``kind`` (industrial, works, commercial or
        retail), ``name`` (missing when unnamed) and polygonal ``geometry`` in EPSG:27700, one row
        per OSM feature, disjoint (see :func:`~clustergeo.surface.land.exclusive_land`), ordered
        by kind precedence and then by ``osm_id``. Empty (with these columns) when the extract
        has no such land.

    Raises
    ------
    InputDataError
        If the file is missing or cannot be parsed, or the area filter is not a polygon.
    """
    path = Path(path)
    area = _area_filter(polygon, bbox, crs)
    xml = _cached_xml(path, cache_dir) if path.name.lower().endswith(".pbf") else path
    if not xml.is_file():
        raise InputDataError(
            f"OpenStreetMap file {xml} does not exist: export the area as OSM XML or download "
            "a .osm.pbf extract, or correct the path."
        )
    # osmnx (and the scikit-learn it loads) costs seconds to import: only an extract needs it.
    import osmnx as ox
    from osmnx._errors import InsufficientResponseError

    try:
        features = ox.features_from_xml(xml, polygon=area, tags=dict(EMPLOYMENT_TAGS))
    except InsufficientResponseError:
        features = gpd.GeoDataFrame(geometry=[], crs="EPSG:4326")
    except (ParseError, SAXException, UnicodeDecodeError) as exc:
        raise InputDataError(
            f"OpenStreetMap file {xml} is not valid OSM XML ({exc}). Export it again as OSM XML, "
            "or give the .osm.pbf extract instead."
        ) from None
    land = employment_land_from_features(features)
    log.info(
        "Read %d employment land polygons from %s (%s)",
        len(land),
        path,
        ", ".join(f"{kind} {count}" for kind, count in land["kind"].value_counts().items()),
    )
    return land


def _park_kind(name: object) -> str | None:
    if not isinstance(name, str):
        return None
    for pattern, kind in PARK_NAMES:
        if pattern.search(name):
            return kind
    return None


def _column(features: gpd.GeoDataFrame, name: str) -> pd.Series:
    if name in features.columns:
        return pd.Series(features[name].to_numpy(dtype=object), index=features.index)
    return pd.Series(None, index=features.index, dtype=object)


def _classify(features: gpd.GeoDataFrame) -> pd.Series:
    """The kind of each feature (None when it is not employment land), by tag precedence."""
    landuse = _column(features, "landuse")
    man_made = _column(features, "man_made")
    names = _column(features, "name")
    kinds: list[str | None] = []
    for use, made, name in zip(landuse, man_made, names, strict=True):
        if isinstance(use, str) and use in _LANDUSE_KINDS:
            kinds.append(_LANDUSE_KINDS[use])
        elif made == "works":
            kinds.append("works")
        elif isinstance(use, str):
            kinds.append(_park_kind(name))
        else:
            kinds.append(None)
    return pd.Series(kinds, index=features.index, dtype=object)


def _empty_land() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {column: pd.Series(dtype=object) for column in LAND_COLUMNS[:-1]},
        geometry=gpd.GeoSeries([], crs=WORKING_CRS),
        crs=WORKING_CRS,
    )


def employment_land_from_features(features: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Turn osmnx features into the land table of :func:`read_employment_land`.

    Parameters
    ----------
    features
        As returned by ``osmnx.features_from_xml`` / ``features_from_polygon``: indexed by
        ``(element, id)``, tag columns (``landuse``, ``man_made``, ``name``...), in a
        geographic or projected CRS.

    Returns
    -------
    geopandas.GeoDataFrame
        ``osm_id``, ``kind``, ``name``, ``geometry`` in EPSG:27700; polygons only, disjoint.
    """
    if features.empty:
        return _empty_land()
    kinds = _classify(features)
    polygons = features.geometry.geom_type.isin(["Polygon", "MultiPolygon"])
    keep = kinds.notna() & polygons.to_numpy()
    chosen = features.loc[keep.to_numpy()]
    if chosen.empty:
        return _empty_land()
    if isinstance(chosen.index, pd.MultiIndex):
        osm_ids = [f"{element}/{osm_id}" for element, osm_id in chosen.index]
    else:
        osm_ids = [str(value) for value in chosen.index]
    names = _column(chosen, "name")
    land = gpd.GeoDataFrame(
        {
            "osm_id": osm_ids,
            "kind": kinds.loc[keep].to_numpy(),
            "name": [name if isinstance(name, str) else None for name in names],
        },
        geometry=chosen.geometry.to_numpy(),
        crs=chosen.crs,
    ).to_crs(WORKING_CRS)
    land = exclusive_land(land)
    # Rank order from exclusive_land is by kind then area; a stable id order within a kind
    # reads better in tables and makes runs reproducible.
    ranks = kind_rank([str(kind) for kind in land["kind"]])
    order = np.lexsort((land["osm_id"].to_numpy(dtype=str), ranks))
    return land.iloc[order].reset_index(drop=True)[list(LAND_COLUMNS)]


def fetch_employment_land_online(
    polygon: Polygon | MultiPolygon, cache_path: Path, *, crs: str = WORKING_CRS
) -> gpd.GeoDataFrame:
    """Employment-bearing land inside ``polygon`` from the Overpass API, cached as GeoParquet.

    For study areas without a local extract. The query (``osmnx.features_from_polygon`` with
    :data:`EMPLOYMENT_TAGS`) runs only when ``cache_path`` does not exist; delete the cache to
    refresh it. Offline runs should use :func:`read_employment_land` on a downloaded extract.

    Parameters
    ----------
    polygon
        The study area, in ``crs``.
    cache_path
        GeoParquet file holding the land table; written atomically after a successful query.
    crs
        CRS of ``polygon``.

    Returns
    -------
    geopandas.GeoDataFrame
        As :func:`read_employment_land`.
    """
    cache_path = Path(cache_path)
    if cache_path.is_file():
        log.info("Using cached OpenStreetMap land %s", cache_path)
        return gpd.read_parquet(cache_path)
    area = _area_filter(polygon, None, crs)
    if area is None:  # pragma: no cover - _area_filter returns a polygon when given one
        raise InputDataError("An area is needed to query OpenStreetMap land online.")
    import osmnx as ox
    from osmnx._errors import InsufficientResponseError

    try:
        features = ox.features_from_polygon(area, tags=dict(EMPLOYMENT_TAGS))
    except InsufficientResponseError:
        features = gpd.GeoDataFrame(geometry=[], crs="EPSG:4326")
    land = employment_land_from_features(features)
    write_parquet(land, cache_path)
    return land
