"""Anchor sites: a registry of named places, their footprints, and what they fall in.

The registry is YAML (``clustergeo/data/anchor_sites.yaml`` ships the Midlands policy report's
sites); each entry has a location — ``lat``/``lon`` (WGS84), ``easting``/``northing``
(British National Grid), or ``polygon``, a file with the site's outline — a ``buffer_km``
standing for the site's functional footprint, and the SIC 2007 codes of its sector.

A footprint is assessed on the run's small areas: the parts of the areas it covers are its
pieces (see :mod:`clustergeo.governance.overlay`), weighted by area. Pieces smaller than
``min_area_share`` of the footprint are generalisation slivers and are not counted as
touching an authority. Policies for sites the run cannot assess, reported per site in
``status`` and never an error (a registry may cover more than one run's study area):

``outside_study_area``
    the footprint misses the study area entirely: no authorities, no flags;
``partly_outside_study_area``
    part of the footprint lies beyond the run's areas (``coverage`` < 1): the flags describe
    the covered part only.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from clustergeo._errors import InputDataError
from clustergeo._validate import (
    Problems,
    file_name_problem,
    format_examples,
    shapefile_parts_problem,
)
from clustergeo._yaml import YamlSyntaxError, read_yaml
from clustergeo.industries import normalise_sic_code, sic_hierarchy
from clustergeo.io import atomic_path
from clustergeo.vocab import WORKING_CRS

__all__ = [
    "SECTOR_PEAK_COLUMNS",
    "AnchorSite",
    "footprint_pieces",
    "footprint_share_weight",
    "read_sites",
    "sector_industries",
    "sector_peaks",
    "site_footprints",
]

log = logging.getLogger(__name__)

#: Longitude and latitude bounds of Great Britain and Northern Ireland, with a margin.
_LAT_RANGE = (49.0, 61.5)
_LON_RANGE = (-9.0, 2.5)
_FULL_COVERAGE = 0.999


class AnchorSite(BaseModel):
    """One registry entry."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    sector: str = ""
    lat: float | None = None
    lon: float | None = None
    easting: float | None = None
    northing: float | None = None
    polygon: str | None = Field(
        default=None, description="A file with the site's outline, relative to the registry."
    )
    osm: str | None = Field(
        default=None,
        description=(
            "The site's outline in OpenStreetMap: an element ('way/123', 'relation/45') or a "
            "place to geocode ('MIRA Technology Park, Nuneaton'), fetched once with osmnx "
            "and cached."
        ),
    )
    buffer_km: Annotated[float, Field(ge=0, le=50)] = 1.0
    sic: list[str] = Field(min_length=1)
    location_note: str = ""
    source: str = ""

    @model_validator(mode="after")
    def _one_location(self) -> AnchorSite:
        given = [
            name
            for name, present in (
                ("lat/lon", self.lat is not None or self.lon is not None),
                ("easting/northing", self.easting is not None or self.northing is not None),
                ("polygon", self.polygon is not None),
                ("osm", self.osm is not None),
            )
            if present
        ]
        if len(given) != 1:
            raise ValueError(
                "give exactly one location: lat and lon, easting and northing, polygon or osm"
                + (f" (got {' and '.join(given)})" if given else "")
            )
        if (self.lat is None) != (self.lon is None):
            raise ValueError("give both lat and lon")
        if (self.easting is None) != (self.northing is None):
            raise ValueError("give both easting and northing")
        if self.polygon is None and self.osm is None and self.buffer_km == 0:
            raise ValueError(
                "a site given as a point needs a buffer_km above 0 (its functional footprint)"
            )
        return self


@dataclass(frozen=True)
class SiteRegistry:
    """The sites of a registry file, and where it came from."""

    sites: dict[str, AnchorSite]
    source: Path | str


def read_sites(path: Path | str = "default") -> SiteRegistry:
    """Read and validate an anchor-site registry.

    Raises
    ------
    InputDataError
        Listing every site with an unknown field, a missing or doubled location, coordinates
        outside the UK (or latitude and longitude swapped), or codes not in SIC 2007.
    """
    if str(path) == "default":
        source: Path | str = "clustergeo default anchor sites"
        text = resources.files("clustergeo.data").joinpath("anchor_sites.yaml").read_bytes()
    else:
        source = Path(path)
        text = source.read_bytes()
    problems = Problems(source, "Anchor-site registry")
    try:
        raw: Any = read_yaml(text).data
    except YamlSyntaxError as exc:
        raise InputDataError(f"Anchor-site registry {source} {exc}") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("sites"), dict):
        problems.add("expected a top-level 'sites:' mapping of key -> {name, lat, lon, ...}")
        problems.raise_if_any()
    sites: dict[str, AnchorSite] = {}
    for key, entry in raw["sites"].items():
        site = _read_site(str(key), entry, problems)
        if site is not None:
            sites[str(key)] = site
    problems.raise_if_any()
    return SiteRegistry(sites=sites, source=source)


def _read_site(key: str, entry: object, problems: Problems) -> AnchorSite | None:
    """One registry entry, validated, with canonical SIC codes; its problems go to ``problems``.

    The key names the site's figure and cached outline (``site_<key>``), so it must be a safe
    part of a file name.
    """
    unsafe = file_name_problem(key)
    if unsafe:
        problems.add(f"site key {key!r} {unsafe}")
        return None
    try:
        site = AnchorSite.model_validate(entry)
    except ValidationError as exc:
        for item in exc.errors():
            field = ".".join(str(p) for p in item["loc"])
            if item["type"] == "extra_forbidden":
                problems.add(f"site '{key}': unknown field '{field}' (remove or fix it)")
            else:
                where = f" '{field}'" if field else ""
                problems.add(f"site '{key}'{where}: {item['msg'].removeprefix('Value error, ')}")
        return None
    hierarchy = sic_hierarchy()
    codes = [normalise_sic_code(c) for c in site.sic]
    invalid = [c for c, n in zip(site.sic, codes, strict=True) if not hierarchy.is_valid(n)]
    if invalid:
        problems.add(
            f"site '{key}': codes {format_examples(invalid)} are not UK SIC 2007 codes; use "
            "section letters or 2- to 5-digit codes such as '29' or '72.19'"
        )
    if site.lat is not None and site.lon is not None:
        problem = _check_lat_lon(site.lat, site.lon)
        if problem:
            problems.add(f"site '{key}' ({site.name}): {problem}")
    return site.model_copy(update={"sic": codes})


def _check_lat_lon(lat: float, lon: float) -> str:
    def inside(value: float, bounds: tuple[float, float]) -> bool:
        return bounds[0] <= value <= bounds[1]

    if inside(lat, _LAT_RANGE) and inside(lon, _LON_RANGE):
        return ""
    if inside(lon, _LAT_RANGE) and inside(lat, _LON_RANGE):
        return f"lat {lat} and lon {lon} look swapped; latitude is the larger number in the UK"
    return (
        f"lat {lat}, lon {lon} is outside the UK; give WGS84 decimal degrees (e.g. lat 52.56, "
        "lon -1.45) or use easting/northing for British National Grid"
    )


def site_footprints(registry: SiteRegistry, *, osm_cache: Path | None = None) -> gpd.GeoDataFrame:
    """One footprint polygon per site (its location buffered by ``buffer_km``), in BNG metres.

    Also returns the site's point (``x``, ``y`` and ``lon``, ``lat``): the polygon's
    representative point for polygon sites. Outlines of ``osm`` sites are fetched once with
    osmnx and kept in ``osm_cache`` (default: beside the registry, or the current folder).
    """
    base = Path(registry.source).parent if isinstance(registry.source, Path) else Path.cwd()
    rows, shapes = [], []
    for key, site in registry.sites.items():
        if site.polygon is not None:
            shape = _read_outline(base / site.polygon, key)
        elif site.osm is not None:
            shape = _osm_outline(site.osm, key, osm_cache or base)
        elif site.lat is not None and site.lon is not None:
            shape = (
                gpd.GeoSeries([shapely.Point(site.lon, site.lat)], crs="EPSG:4326")
                .to_crs(WORKING_CRS)
                .iloc[0]
            )
        else:
            shape = shapely.Point(site.easting, site.northing)
        point = shape if shape.geom_type == "Point" else shape.representative_point()
        shapes.append(shape.buffer(site.buffer_km * 1000) if site.buffer_km else shape)
        rows.append(
            {
                "site_key": key,
                "name": site.name,
                "sector": site.sector,
                "sic": ";".join(site.sic),
                "buffer_km": site.buffer_km,
                "x": round(point.x, 1),
                "y": round(point.y, 1),
                "location_note": " ".join(site.location_note.split()),
                "source": site.source,
            }
        )
    frame = gpd.GeoDataFrame(rows, geometry=shapes, crs=WORKING_CRS)
    points = gpd.GeoSeries.from_xy(frame["x"], frame["y"], crs=WORKING_CRS).to_crs("EPSG:4326")
    frame["lon"] = points.x.round(5)
    frame["lat"] = points.y.round(5)
    return frame


_OSM_ELEMENT = re.compile(r"^(node|way|relation)/(\d+)$")


def _osm_outline(reference: str, key: str, cache_dir: Path) -> shapely.Geometry:
    """A site's outline from OpenStreetMap (osmnx), cached as GeoJSON after the first fetch."""
    cache = Path(cache_dir) / f"site_{key}.geojson"
    if not cache.exists():
        # osmnx (and the scikit-learn it loads) costs seconds to import: only a fetch needs it.
        import osmnx as ox
        from osmnx._errors import InsufficientResponseError

        element = _OSM_ELEMENT.match(reference.strip())
        query = f"{element.group(1)[0].upper()}{element.group(2)}" if element else reference
        try:
            found = ox.geocode_to_gdf(query, by_osmid=element is not None)
        # Network errors are OSErrors; Nominatim finding nothing, or a point, the others.
        except (OSError, ValueError, TypeError, InsufficientResponseError) as exc:
            raise InputDataError(
                f"Anchor site '{key}': cannot fetch its outline '{reference}' from "
                f"OpenStreetMap ({exc}). Run once with internet access (the outline is then "
                f"cached in {cache}), or give a polygon file or lat/lon instead."
            ) from None
        with atomic_path(cache) as tmp:
            found[["geometry"]].to_file(tmp, driver="GeoJSON")
        log.info("Fetched the outline of anchor site '%s' from OpenStreetMap into %s", key, cache)
    return _read_outline(cache, key)


def _read_outline(path: Path, key: str) -> shapely.Geometry:
    if not path.exists():
        raise InputDataError(
            f"Anchor site '{key}': polygon file {path} does not exist; the path is relative to "
            "the registry file."
        )
    incomplete = shapefile_parts_problem(path)
    if incomplete:
        raise InputDataError(f"Anchor site '{key}': polygon file {path} {incomplete}")
    try:
        frame = gpd.read_file(path)
    except (pyogrio.errors.DataSourceError, ValueError) as exc:
        raise InputDataError(
            f"Anchor site '{key}': cannot read polygon file {path}: {exc}"
        ) from None
    if frame.crs is None:
        raise InputDataError(
            f"Anchor site '{key}': polygon file {path} has no CRS; save it with one (e.g. "
            "EPSG:4326 or EPSG:27700)."
        )
    outline = frame.to_crs(WORKING_CRS).geometry.make_valid().union_all()
    if outline.is_empty or outline.geom_type not in ("Polygon", "MultiPolygon"):
        raise InputDataError(
            f"Anchor site '{key}': polygon file {path} holds no polygon "
            f"(found {outline.geom_type}); give the site's outline, or a point as lat/lon."
        )
    return outline


def footprint_pieces(
    footprints: gpd.GeoDataFrame,
    areas: gpd.GeoDataFrame,
    *,
    min_area_share: float,
    owner: str = "site_key",
) -> tuple[pd.DataFrame, pd.Series]:
    """The parts of the run's areas each footprint covers, with their authority codes.

    Returns
    -------
    pieces, coverage
        ``pieces``: ``owner``, ``area_code``, the areas' ``<tier>_code``/``_name`` columns,
        ``area_km2`` and ``in_study_area``; slivers below ``min_area_share`` of the footprint
        are dropped. ``coverage``: share of each footprint lying on the run's areas.
    """
    tier_columns = [c for c in areas.columns if c.endswith(("_code", "_name"))]
    left = footprints[[owner, "geometry"]]
    right = areas[[*tier_columns, "in_study_area", "geometry"]]
    pieces = gpd.overlay(left, right, how="intersection", keep_geom_type=True)
    pieces["area_km2"] = pieces.geometry.area / 1e6
    footprint_km2 = footprints.set_index(owner).geometry.area / 1e6
    covered = pieces.groupby(owner)["area_km2"].sum()
    coverage = (covered / footprint_km2).reindex(footprint_km2.index).fillna(0.0)
    share = pieces["area_km2"] / pieces[owner].map(footprint_km2).astype("float64")
    pieces = pd.DataFrame(pieces.loc[share >= min_area_share].drop(columns="geometry"))
    return pieces.reset_index(drop=True), coverage


def footprint_share_weight(
    pieces: pd.DataFrame,
    area_km2: pd.Series,
    area_employment: pd.Series,
    owner: str = "site_key",
) -> pd.DataFrame:
    """Jobs in each piece of a footprint, and the weight its shares are measured in.

    Each piece gets its area's workplace employment in proportion to the share of the area
    it covers (areal weighting: jobs spread evenly over each area; Goodchild & Lam 1980,
    "Areal interpolation: a variant of the traditional spatial problem", *Geo-Processing*
    1: 297–312). ``share_weight`` is that employment, or the piece's land (``area_km2``)
    where employment cannot say where in a district the footprint's jobs are, and
    ``share_basis`` says which (``employment`` or ``area``). Land is used for a footprint

    * whose pieces hold no employment (areas without employment data), or
    * that reaches into an area which is a whole district (``area_code`` equal to its
      ``district_code``: a run on district-level data). Spread evenly over a whole district,
      a business park's jobs would be a district average, so the park's share of a rural
      district would count for far less than its share of a dense neighbour: i54, 39% of
      whose 2 km footprint is in South Staffordshire, would read as 96% Wolverhampton.

    Over smaller areas a large rural area holding a plant still spreads the plant's jobs over
    its fields, so a footprint reaching into a denser neighbour can show more of its jobs
    there than on the ground; the link table keeps both shares.
    """
    whole = pd.to_numeric(pieces["area_code"].map(area_km2), errors="coerce")
    jobs = pd.to_numeric(pieces["area_code"].map(area_employment), errors="coerce")
    fraction = (pieces["area_km2"] / whole).clip(upper=1.0)
    employment = (jobs * fraction).fillna(0.0)
    by_owner = pieces[owner]
    has_jobs = employment.groupby(by_owner).transform("sum") > 0
    if "district_code" in pieces:
        whole_district = pieces["area_code"].astype(str) == pieces["district_code"].astype(str)
        has_jobs &= ~whole_district.groupby(by_owner).transform("any")
    return pieces.assign(
        employment=employment,
        share_weight=employment.where(has_jobs, pieces["area_km2"]),
        share_basis=np.where(has_jobs, "employment", "area"),
    )


def site_status(pieces: pd.DataFrame, coverage: pd.Series) -> pd.Series:
    """``inside_study_area``, ``partly_outside_study_area`` or ``outside_study_area``."""
    in_study = pieces.groupby("site_key")["in_study_area"].any().reindex(coverage.index)
    whole = pieces.groupby("site_key")["in_study_area"].all().reindex(coverage.index)
    status = pd.Series("partly_outside_study_area", index=coverage.index, dtype=object)
    status[(coverage >= _FULL_COVERAGE) & whole.fillna(False).astype(bool)] = "inside_study_area"
    status[~in_study.fillna(False).astype(bool)] = "outside_study_area"
    return status


def sector_industries(
    site_sic: Sequence[str], industry_codes: Mapping[str, Sequence[str]]
) -> set[str]:
    """The industries and cluster definitions of a site's sector: those sharing any SIC code.

    ``industry_codes`` gives the data codes each industry (its own) or definition (its parts)
    is made of; only those are matched. A code may be broader than the site's (a food park
    matches manufacturing where the data are by section) or narrower.
    """
    hierarchy = sic_hierarchy()
    return {
        industry
        for industry, codes in industry_codes.items()
        if any(hierarchy.overlaps(site, data) for site in site_sic for data in codes)
    }


#: The columns :func:`sector_peaks` gives each site, after ``sector_peak_``.
SECTOR_PEAK_COLUMNS: Final = (
    "area_code",
    "area_name",
    "industry_code",
    "label",
    "employment",
    "lq",
    "gi_star_z",
    "gi_star_p_fdr",
    "gi_star_class",
)


def sector_peaks(
    pieces: pd.DataFrame,
    sectors: Mapping[str, set[str]],
    evidence: pd.DataFrame,
    sought: Collection[str] = (),
) -> pd.DataFrame:
    """Each site's strongest sign of its sector in its footprint: the highest reliable LQ.

    A site with no finding of its sector in or near it may still sit on a specialised area
    that falls short of a finding (too few jobs, or a hot spot only before the false discovery
    rate is controlled): MIRA Technology Park's own area, in the Census 2011 Midlands run.
    This gives, per site (index ``site_key``), the area of its footprint in the study area
    and the industry of its sector (``sectors``: site key to industry codes) with the highest
    LQ not flagged unreliable, with that cell's jobs, LQ and Gi* result, as
    ``sector_peak_<column>`` for :data:`SECTOR_PEAK_COLUMNS`. Ties (a definition made of one
    industry has that industry's LQ) go to a code in ``sought``, the columns findings are
    sought in, whose rules the report can then hold the place to; then to a cluster
    definition (the maps show them); then to the smaller code. ``pieces`` are the footprints' areas
    (``site_key``, ``area_code``, ``area_name``, ``in_study_area``); ``evidence`` the LQ table
    joined with the hot-spot table (``area_code``, ``industry_code``, ``kind``, ``label``,
    ``employment``, ``lq``, ``lq_unreliable``, ``gi_star_z``, ``gi_star_p_fdr``,
    ``gi_star_class``). A site without such a cell gets no row.
    """
    names = [f"sector_peak_{c}" for c in SECTOR_PEAK_COLUMNS]
    inside = pieces.loc[pieces["in_study_area"].astype(bool), ["site_key", "area_code"]]
    inside = inside.drop_duplicates()
    wanted = pd.DataFrame(
        [(site, industry) for site, industries in sectors.items() for industry in industries],
        columns=["site_key", "industry_code"],
    )
    if inside.empty or wanted.empty:
        return pd.DataFrame(columns=names, index=pd.Index([], name="site_key"))
    reliable = evidence.loc[
        ~evidence["lq_unreliable"].fillna(True).astype(bool)
        & (evidence["employment"] > 0)
        & evidence["lq"].notna()
    ].astype({"industry_code": str})
    cells = inside.merge(wanted, on="site_key").merge(reliable, on=["area_code", "industry_code"])
    if cells.empty:
        return pd.DataFrame(columns=names, index=pd.Index([], name="site_key"))
    names_of = pieces.drop_duplicates("area_code").set_index("area_code").get("area_name")
    cells["area_name"] = cells["area_code"].map(names_of) if names_of is not None else np.nan
    cells["_unsought"] = ~cells["industry_code"].isin(set(sought))
    cells["_definition_last"] = cells["kind"].astype(str) != "cluster"
    peaks = (
        cells.sort_values(
            ["site_key", "lq", "_unsought", "_definition_last", "industry_code", "area_code"],
            ascending=[True, False, True, True, True, True],
        )
        .drop_duplicates("site_key")
        .set_index("site_key")
    )
    return peaks[list(SECTOR_PEAK_COLUMNS)].add_prefix("sector_peak_")
