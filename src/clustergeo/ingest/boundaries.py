"""Read boundary files into GeoDataFrames on the British National Grid.

GeoJSON, GeoPackage, Shapefile and TopoJSON are read through GDAL (pyogrio). Every problem a
user can fix is collected and reported at once: a missing file or layer, a Shapefile without
its ``.dbf`` or ``.shx``, missing code or name columns, duplicate codes, no CRS, coordinates
that cannot be in the declared CRS or lie outside Great Britain (:mod:`.places`), points or
lines where polygons are expected. Invalid geometries are repaired and counted, because ONS
generalised boundaries routinely contain self-touching rings that are harmless once repaired;
so are those that reprojecting to the National Grid makes invalid. The repair
(``shapely.make_valid`` by structure: the union of the outer rings less the holes) reads each
ring as the boundary file means it, and takes about half the time of GEOS's default, which
rebuilds every polygon from its lines (0.8 s against 1.5 s for the UK tiers of a Midlands run,
mostly coasts far from it). A polygon that structure would leave empty (an outer ring repeated
as its hole) is rebuilt from its lines instead. Empty geometries, and polygons with no area
once repaired (every corner on one line), are dropped and counted.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError

from clustergeo._errors import InputDataError
from clustergeo._validate import Problems, format_examples, shapefile_parts_problem
from clustergeo.ingest.places import coordinate_problem, identical_areas, outside_great_britain
from clustergeo.vocab import WORKING_CRS

__all__ = [
    "BoundaryRead",
    "check_distinct_areas",
    "list_layers",
    "read_boundaries",
]

log = logging.getLogger(__name__)

#: British National Grid, the CRS every clustergeo layer is analysed and written in.


@dataclass
class BoundaryRead:
    """Polygons read from a boundary file, with what was repaired on the way.

    ``frame`` has columns ``code``, ``name`` and ``geometry`` (EPSG:27700) plus the columns
    asked for in ``keep_columns`` and those of ``optional_columns`` the file has.
    """

    frame: gpd.GeoDataFrame
    source: Path
    n_repaired: int = 0
    n_empty_dropped: int = 0
    n_degenerate_dropped: int = 0
    notes: list[str] = field(default_factory=list)


def _gdal_path(path: Path) -> str:
    """Path as GDAL opens it: gzip-compressed files (``.geojson.gz``) through /vsigzip/."""
    return f"/vsigzip/{path}" if path.suffix == ".gz" else str(path)


def list_layers(path: Path) -> list[str]:
    """Names of the layers in a vector file (gzip-compressed files included)."""
    try:
        return [str(name) for name in pyogrio.list_layers(_gdal_path(Path(path)))[:, 0]]
    except (pyogrio.errors.DataSourceError, OSError) as exc:
        raise InputDataError(
            f"Cannot open boundary file {path}: {exc}. Check it is a GeoJSON, GeoPackage, "
            "Shapefile or TopoJSON file and that the download completed."
        ) from None


def _parse_crs(text: str, what: str) -> CRS:
    try:
        return CRS.from_user_input(text)
    except CRSError:
        raise InputDataError(
            f"{what} is set to {text!r}, which is not a coordinate reference system; use "
            "e.g. 'EPSG:4326' (longitude/latitude) or 'EPSG:27700' (British National Grid)."
        ) from None


def read_boundaries(
    path: Path,
    *,
    code_column: str,
    name_column: str | None = None,
    layer: str | None = None,
    assume_crs: str | None = None,
    keep_columns: tuple[str, ...] = (),
    optional_columns: tuple[str, ...] = (),
    what: str = "Boundary file",
    year: int | None = None,
) -> BoundaryRead:
    """Read polygons with a code (and name) column and reproject them to EPSG:27700.

    Parameters
    ----------
    path
        GeoJSON, GeoPackage, Shapefile or TopoJSON file.
    code_column, name_column
        Columns holding the area code and name; ``name`` falls back to the code.
    layer
        Layer to read from a multi-layer file; required when there is more than one.
    assume_crs
        CRS to use when the file declares none (TopoJSON never does; ONS's is EPSG:4326).
        A file declaring a different CRS is an error, so a wrong assumption cannot slip by,
        except where the declared CRS cannot hold the coordinates (degrees under a
        British National Grid ``.prj``, metres in a GeoJSON read as degrees) and
        ``assume_crs`` is of the other kind: then ``assume_crs`` is used.
    keep_columns
        Other attribute columns to keep (they must exist).
    optional_columns
        Attribute columns to keep where the file has them.
    what
        How to name the file in messages ("Areas file", "Authorities file"...).
    year
        Keep only the features valid in this year by ONS's ``start``/``end`` attributes
        (:func:`filter_by_year`); ``None`` keeps every feature.

    Returns
    -------
    BoundaryRead

    Raises
    ------
    InputDataError
        Listing every problem found.
    """
    path = Path(path)
    frame = _open_layer(path, layer, what)
    source = f"{path}" + (f" (layer {layer})" if layer else "")
    problems = Problems(source, what)
    if year is not None and not frame.empty:
        frame = _valid_in_year(frame, year, problems)
    if frame.empty:
        problems.add(
            "no features: the file is empty. Check the download (or the layer name) and that "
            "the export finished"
        )
        problems.raise_if_any()
    wanted = [code_column, *([name_column] if name_column else []), *keep_columns]
    missing = [c for c in wanted if c not in frame.columns]
    if missing:
        columns = [c for c in frame.columns if c != "geometry"]
        problems.add(
            f"no column{'s' if len(missing) > 1 else ''} {', '.join(missing)}; the file has "
            f"{format_examples(columns, 15)}. Set the column names in the config"
        )
        problems.raise_if_any()

    frame = _with_crs(frame, assume_crs, path, problems)
    codes = frame[code_column].astype("string").str.strip()
    _check_codes(codes, code_column, problems)
    null_or_empty = frame.geometry.isna() | frame.geometry.is_empty
    _check_polygons(frame.geometry[~null_or_empty], codes, problems)
    problems.raise_if_any()

    result = BoundaryRead(frame=frame, source=path)
    if null_or_empty.any():
        dropped = codes[null_or_empty]
        result.n_empty_dropped = len(dropped)
        result.notes.append(
            f"{len(dropped)} features with empty geometry dropped from {source}: "
            f"{format_examples(dropped)}"
        )
    geometry, repaired = _repaired(frame.geometry[~null_or_empty])
    repaired_labels = set(repaired.index[repaired])
    # A degenerate polygon (every corner on one line) has no polygonal part once repaired: it
    # has no place, so it is dropped like an empty geometry rather than analysed as one.
    no_area = geometry.is_empty
    if no_area.any():
        result.n_degenerate_dropped = int(no_area.sum())
        result.notes.append(
            f"{result.n_degenerate_dropped} features have no area (degenerate polygons: every "
            f"corner on one line, or a ring folded onto itself) and were dropped from {source}: "
            f"{format_examples(codes[no_area.index[no_area]])}"
        )
    keep = no_area.index[~no_area]
    geometry = geometry[~no_area]

    names = frame.loc[keep, name_column].astype(str).str.strip() if name_column else codes[keep]
    out = gpd.GeoDataFrame(
        {
            "code": codes[keep].astype(str).to_numpy(),
            "name": names.astype(str).to_numpy(),
            **{
                c: frame.loc[keep, c].to_numpy()
                for c in dict.fromkeys([*keep_columns, *optional_columns])
                if c in frame.columns
            },
        },
        geometry=geometry.to_numpy(),
        crs=frame.crs,
    )
    if not CRS.from_user_input(out.crs).equals(CRS.from_user_input(WORKING_CRS)):
        out = out.to_crs(WORKING_CRS)
    misplaced = outside_great_britain(out, out["code"], CRS.from_user_input(frame.crs).to_string())
    if misplaced:
        problems.add(misplaced)
        problems.raise_if_any()
    out, repaired_again = _repaired_again(out, keep)
    result.n_repaired = len(repaired_labels | repaired_again) - result.n_degenerate_dropped
    if result.n_repaired:
        result.notes.append(f"{result.n_repaired} invalid geometries repaired in {source}")
    result.frame = out.reset_index(drop=True)
    log.info("Read %s: %d features", source, len(out))
    return result


def check_distinct_areas(frame: gpd.GeoDataFrame, path: Path, *, year: int | None = None) -> None:
    """Refuse small areas drawn twice under different codes (see :func:`.places.identical_areas`).

    Only for small areas: an authorities file of several years holds one outline under each
    code an authority had, and the year filter picks one. Where ``year`` is None and the
    features carry ONS's ``start``/``end`` years, the file holds several vintages: the
    message asks for ``areas.year``.
    """
    problems = Problems(path, "Areas file")
    repeated = identical_areas(frame, frame["code"])
    dated = [c for c in ("start", "end") if c in frame.columns and frame[c].notna().any()]
    if repeated and year is None and dated:
        repeated += (
            ". Its features carry the years they are valid in ('start'/'end'): set areas.year "
            "to the year of the table's areas to keep that year's features only"
        )
    _add(problems, repeated)
    problems.raise_if_any()


def _open_layer(path: Path, layer: str | None, what: str) -> gpd.GeoDataFrame:
    if not path.exists():
        raise InputDataError(f"{what} {path} does not exist.")
    if path.is_file() and path.stat().st_size == 0:
        raise InputDataError(
            f"{what} {path} is empty (0 bytes): a download or copy that did not finish. Download "
            "or copy it again."
        )
    incomplete = shapefile_parts_problem(path)
    if incomplete:
        raise InputDataError(f"{what} {path} {incomplete}")
    # GDAL reads a whole GeoJSON or TopoJSON file to list its layers, as it does to read one:
    # a layer that is named is read straight away, and the layers are listed only to explain
    # a failure.
    if layer is None:
        layers = list_layers(path)
        if len(layers) > 1:
            raise InputDataError(
                f"{what} {path} has {len(layers)} layers ({format_examples(layers)}); choose "
                "one with 'layer' in the config."
            )
    try:
        return gpd.read_file(_gdal_path(path), layer=layer, engine="pyogrio")
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, OSError) as exc:
        if layer is not None:
            layers = list_layers(path)
            if layer not in layers:
                raise InputDataError(
                    f"{what} {path} has no layer '{layer}'; its layers are "
                    f"{format_examples(layers)}."
                ) from None
        raise InputDataError(f"Cannot read {what.lower()} {path}: {exc}") from None


def _with_crs(
    frame: gpd.GeoDataFrame, assume_crs: str | None, path: Path, problems: Problems
) -> gpd.GeoDataFrame:
    """Set the assumed CRS on a file without one; record a missing, contradicted or wrong CRS."""
    assumed = _parse_crs(assume_crs, f"'crs' for {path}") if assume_crs is not None else None
    if frame.crs is None:
        if assumed is None:
            problems.add(
                "no coordinate reference system (CRS) is declared. If you know it, set 'crs' "
                "for this file in the config (ONS TopoJSON and GeoJSON are 'EPSG:4326'; "
                "British National Grid is 'EPSG:27700')"
            )
            return frame
        frame = frame.set_crs(assumed)
        _add(problems, coordinate_problem(frame, assumed))
        return frame
    return _checked_declared_crs(frame, assumed, problems)


def _checked_declared_crs(
    frame: gpd.GeoDataFrame, assumed: CRS | None, problems: Problems
) -> gpd.GeoDataFrame:
    """A file that declares a CRS: check the coordinates can be in it.

    A declared CRS the coordinates cannot be in is replaced by the config's ``crs`` when that
    is of the other kind (metres for degrees, degrees for metres): the one case where the
    config may override what a file declares. Otherwise the config's ``crs`` must agree.
    """
    declared = CRS.from_user_input(frame.crs)
    if declared.is_geographic and not frame.empty and _outside_degrees(frame):
        # GeoJSON always "declares" WGS84 (RFC 7946); files exported in British National Grid
        # without a crs member arrive with metres read as degrees.
        replaceable = assumed is not None and not assumed.is_geographic
        mistake = (
            f"the coordinates (e.g. x = {frame.total_bounds[0]:.0f}) are not degrees, although "
            f"the file is read as {declared.to_string()}: they look like metres, probably "
            "British National Grid. Set 'crs' to 'EPSG:27700' for this file in the config (or "
            "re-export it with its CRS)"
        )
    else:
        # A Shapefile whose .prj says British National Grid over degrees, or swapped axes.
        replaceable = assumed is not None and declared.is_projected and assumed.is_geographic
        mistake = coordinate_problem(frame, declared)
    if mistake:
        if replaceable and assumed is not None:
            return frame.set_crs(assumed, allow_override=True)
        problems.add(mistake)
        return frame
    if assumed is not None and not declared.equals(assumed, ignore_axis_order=True):
        problems.add(
            f"the file declares CRS {declared.to_string()} but the config says "
            f"{assumed.to_string()}; remove 'crs' from the config (it is only for files "
            "without one)"
        )
    return frame


def _add(problems: Problems, problem: str) -> None:
    if problem:
        problems.add(problem)


def _outside_degrees(frame: gpd.GeoDataFrame) -> bool:
    """Whether a frame's coordinates cannot be longitude/latitude."""
    xmin, ymin, xmax, ymax = frame.total_bounds
    return bool(max(abs(xmin), abs(xmax)) > 180 or max(abs(ymin), abs(ymax)) > 90)


def _check_codes(codes: pd.Series, code_column: str, problems: Problems) -> None:
    blank = codes.isna() | (codes == "")
    if blank.any():
        # Features are numbered from 1 in the file's order, as QGIS's attribute table shows.
        numbers = [int(i) + 1 for i in np.flatnonzero(blank.to_numpy())]
        problems.add(
            f"{int(blank.sum())} features have an empty {code_column} (features "
            f"{format_examples(numbers)}, counting from 1 in the file's order): give every "
            "area its code, or remove features that are not areas"
        )
    duplicated = codes[codes.duplicated(keep=False) & ~blank]
    if len(duplicated):
        problems.add(
            f"{duplicated.nunique()} codes appear on more than one feature: "
            f"{format_examples(sorted(duplicated.unique()))}. Each area must be one feature; "
            "dissolve multi-part areas into one (multi)polygon per code"
        )


def _check_polygons(geometry: gpd.GeoSeries, codes: pd.Series, problems: Problems) -> None:
    kinds = geometry.geom_type
    non_polygon = kinds[~kinds.isin(["Polygon", "MultiPolygon"])]
    if len(non_polygon):
        examples = codes.loc[non_polygon.index]
        problems.add(
            f"{len(non_polygon)} features are {', '.join(sorted(non_polygon.unique()))} "
            f"rather than polygons ({format_examples(examples)}): this looks like a point or "
            "line file (e.g. population-weighted centroids); use the boundary polygons"
        )


def _repaired(geometry: gpd.GeoSeries) -> tuple[gpd.GeoSeries, pd.Series]:
    """Repair invalid polygons, keeping their polygonal parts; return them and which they were."""
    invalid = ~geometry.is_valid
    if not invalid.any():
        return geometry, invalid
    broken = geometry[invalid].to_numpy()
    repaired = shapely.make_valid(broken, method="structure", keep_collapsed=False)
    # An outer ring repeated as its own hole leaves nothing by structure: rebuilt from its
    # lines instead, the feature keeps its area.
    emptied = shapely.is_empty(repaired)
    repaired[emptied] = shapely.make_valid(broken[emptied])
    fixed = [_polygonal_part(g) for g in repaired]
    geometry = geometry.copy()
    geometry.loc[invalid] = fixed
    return geometry, invalid


def _repaired_again(
    frame: gpd.GeoDataFrame, labels: pd.Index
) -> tuple[gpd.GeoDataFrame, set[object]]:
    """Reprojected ``frame`` with the polygons made invalid repaired, and their ``labels``.

    Reprojecting can make a valid polygon invalid: an edge is a straight line in either CRS,
    so it takes a slightly different course after reprojection, and a vertex centimetres from
    a long edge can end up on its other side.
    """
    geometry, invalid = _repaired(gpd.GeoSeries(frame.geometry.to_numpy(), index=labels))
    if not invalid.any():
        return frame, set()
    repaired = frame.set_geometry(geometry.to_numpy(), crs=frame.crs)
    return repaired, set(labels[invalid.to_numpy()])


def _polygonal_part(geometry: shapely.Geometry) -> shapely.Geometry:
    """The polygons of a repaired geometry (make_valid can add stray lines or points)."""
    if geometry.geom_type in ("Polygon", "MultiPolygon"):
        return geometry
    parts = [
        g for g in getattr(geometry, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon")
    ]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def _valid_in_year(frame: gpd.GeoDataFrame, year: int, problems: Problems) -> gpd.GeoDataFrame:
    """The features of a multi-year file valid in ``year``; an error for a one-vintage file."""
    if "start" not in frame.columns and "end" not in frame.columns:
        problems.add(
            f"no 'start' or 'end' attribute to pick the features valid in {year}: this file "
            "holds one vintage. Remove 'year' from the config, or point it at a multi-year "
            "file such as ONS's UK TopoJSON"
        )
        problems.raise_if_any()
    valid = filter_by_year(frame, year)
    if not valid.any():
        problems.add(
            f"no feature is valid in {year} (by its 'start'/'end' attributes). Check 'year' "
            "in the config"
        )
        problems.raise_if_any()
    return frame.loc[valid]


def filter_by_year(frame: pd.DataFrame, year: int | None) -> pd.Series:
    """Mask of features valid in ``year`` by ONS's ``start``/``end`` attributes (all if None)."""
    mask = pd.Series(True, index=frame.index)
    if year is None:
        return mask
    if "start" in frame.columns:
        start = pd.to_numeric(frame["start"], errors="coerce")
        mask &= start.isna() | (start <= year)
    if "end" in frame.columns:
        end = pd.to_numeric(frame["end"], errors="coerce")
        mask &= end.isna() | (year <= end)
    return mask
