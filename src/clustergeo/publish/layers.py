"""The GeoPackage's layers, built from the run's tables: one row per area, per cluster, per site.

Layers of ``clustergeo.gpkg`` (British National Grid, GeoPackage 1.2 so QGIS 3.22 opens it):

``areas_lq``
    Small areas with their authorities and, per cluster definition ``<key>``, the columns
    ``<key>_employment``, ``<key>_lq``, ``<key>_lq_lower``, ``<key>_lq_upper``,
    ``<key>_unreliable`` and ``<key>_lq_note`` (why it is flagged); with up to 30
    industries, ``lq_<code>`` for each industry too.
``district_lq``
    Districts (dissolved from the small areas) with the same cluster-definition columns.
``lq``
    Attribute table (no geometry): every area x industry and cluster definition, long form.
``hotspots_areas``
    Small areas with, per cluster definition ``<key>``, ``<key>_gi_star_z``,
    ``<key>_gi_star_p_fdr``, ``<key>_hotspot`` (hot/cold class) and ``<key>_moran`` (Local
    Moran cluster class).
``hotspots``
    Attribute table: Gi*, Gi and Local Moran results for every area x industry.
``clusters``
    Findings, both kinds (``kind``: ``cluster`` or ``concentration``), as the polygons of
    their cores, with their attributes, stars and strength and their governance flags, core
    and extent (straddled districts, counties and regions, touches, combined-authority
    status, governance gap, nearby authorities).
``cluster_extents``
    The extent polygon of each finding (its core and the hot areas around it).
``cluster_authorities``
    Attribute table: every authority each finding's core and extent touch (``part``), with
    employment and area shares and the ``relation`` (lead, shares, touches).
``global_statistics``
    Attribute table: global Moran's I and General G of every industry, with p-values.
``anchor_sites``, ``site_footprints``
    Anchor sites as points and their footprints as polygons, with their flags.
``site_authorities``, ``site_clusters``
    Attribute tables: the authorities each footprint touches (area shares), and the clusters
    each site lies in or near.
``authority_summaries``
    Attribute table: per authority, its clusters, the partners it shares them with, and a
    plain-language summary.
``grid_clusters``, ``maup``
    With an employment grid: clusters found on the grid, with their flags, and each area
    cluster's overlap with them (stable, shifted, area-only, grid-only, or concentration
    for a grid cluster on the areas' concentrations).
``places``
    The study area's principal places as points (``name``, ``total``: the employment or
    output they hold, ``km2``: their land), named on the findings map
    (:func:`~clustergeo.publish.places.principal_places`).
``district``, ``county``, ``combined_authority``, ``region``
    Authority polygons of the run's year that touch the study area.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from clustergeo.coverage import AreaCoverage
from clustergeo.publish.places import principal_places
from clustergeo.vocab import Tier

__all__ = [
    "MAX_INDUSTRY_COLUMNS",
    "RunTables",
    "build_layers",
    "finding_points",
    "industry_lq_fields",
    "ranked_findings",
    "touching",
    "wide_hotspot_columns",
    "wide_lq_columns",
    "with_district_layer",
]

MAX_INDUSTRY_COLUMNS = 30

Layers = dict[str, gpd.GeoDataFrame | pd.DataFrame]


@dataclass(frozen=True)
class RunTables:
    """The run's results that the GeoPackage, the maps and the report are made from.

    Every frame covers the study area only (the edge buffer informs the statistics alone).
    """

    areas: gpd.GeoDataFrame
    lq: pd.DataFrame
    district_lq: pd.DataFrame | None
    hotspots: pd.DataFrame
    clusters: gpd.GeoDataFrame
    cluster_extents: gpd.GeoDataFrame
    cluster_authorities: pd.DataFrame
    global_statistics: pd.DataFrame
    authority_summaries: pd.DataFrame
    authorities: Mapping[Tier, gpd.GeoDataFrame]
    sites: gpd.GeoDataFrame | None = None
    site_authorities: pd.DataFrame | None = None
    site_clusters: pd.DataFrame | None = None
    grid_clusters: gpd.GeoDataFrame | None = None
    maup: pd.DataFrame | None = None


def _column_stub(code: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", code.lower()).strip("_")


def industry_lq_fields(lq: pd.DataFrame) -> dict[str, str]:
    """The areas' per-industry LQ fields (``lq_<code>``), each as "<name> (<code>)"."""
    industries = lq.loc[lq["kind"] == "industry"].drop_duplicates("industry_code")
    names = industries["label"] if "label" in industries else industries["industry_code"]
    return {
        f"lq_{_column_stub(str(code))}": f"{name} ({code})"
        for code, name in zip(industries["industry_code"], names, strict=True)
    }


def wide_lq_columns(lq: pd.DataFrame, key_column: str = "area_code") -> pd.DataFrame:
    """Reshape the long LQ table to one row per area (or district).

    Per cluster definition: employment, LQ, interval and flag columns, and why an LQ is flagged
    (``lq_note``, empty when it is not); per industry, the LQ,
    when there are at most 30 industries (more would make the layer unwieldy in QGIS).
    """
    clusters = lq.loc[lq["kind"] == "cluster"]
    frames = []
    for key, group in clusters.groupby("industry_code", sort=False):
        part = group.set_index(key_column)[
            ["employment", "lq", "lq_lower", "lq_upper", "lq_unreliable", "lq_note"]
        ]
        part.columns = [
            f"{key}_employment",
            f"{key}_lq",
            f"{key}_lq_lower",
            f"{key}_lq_upper",
            f"{key}_unreliable",
            f"{key}_lq_note",
        ]
        frames.append(part)
    industries = lq.loc[lq["kind"] == "industry"]
    if industries["industry_code"].nunique() <= MAX_INDUSTRY_COLUMNS:
        wide = industries.pivot(index=key_column, columns="industry_code", values="lq")
        wide.columns = [f"lq_{_column_stub(c)}" for c in wide.columns]
        frames.append(wide)
    return pd.concat(frames, axis=1) if frames else pd.DataFrame()


def wide_hotspot_columns(hotspots: pd.DataFrame) -> pd.DataFrame:
    """Reshape hot-spot results to one row per area, four columns per cluster definition."""
    clusters = hotspots.loc[hotspots["kind"] == "cluster"]
    frames = []
    for key, group in clusters.groupby("industry_code", sort=False, observed=True):
        part = group.set_index(group["area_code"].astype(str))[
            ["gi_star_z", "gi_star_p_fdr", "gi_star_class", "moran_class"]
        ].astype({"gi_star_class": str, "moran_class": str})
        part.columns = [
            f"{key}_gi_star_z",
            f"{key}_gi_star_p_fdr",
            f"{key}_hotspot",
            f"{key}_moran",
        ]
        frames.append(part)
    return pd.concat(frames, axis=1) if frames else pd.DataFrame()


def ranked_findings(findings: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The findings strongest first, each with its ``rank`` (1 = strongest).

    The rank is the number a finding carries on every map, in the QGIS labels, the map page
    and the report, so one number finds it everywhere.
    """
    order = ["strength", "cluster_id"] if "strength" in findings else ["employment", "cluster_id"]
    ranked = findings.sort_values(order, ascending=[False, True]).reset_index(drop=True)
    ranked.insert(0, "rank", np.arange(1, len(ranked) + 1, dtype="int32"))
    return ranked


def finding_points(
    findings: gpd.GeoDataFrame, areas: gpd.GeoDataFrame, view: Sequence[float] | None = None
) -> list[tuple[float, float]]:
    """Where each finding's number goes: a point inside it, in its anchor area.

    The anchor area is the member with the most of the industry, so the number sits where
    the finding's name says it is: Aberdeen's oil and gas, spread over Highland, is numbered
    in Aberdeen, and the ICT cluster running from the City to Basingstoke in Westminster,
    not wherever the whole shape's point falls. In a close-up (``view``, its extent) the
    point lies in the part of the finding in view, in the anchor area where that part of it
    is in view. The maps and the QGIS labels (``label_x``, ``label_y``) share these points;
    a finding without a shape gets NaN.
    """
    shapes = findings.geometry.to_numpy()
    if view is not None:
        shapes = shapely.intersection(shapes, shapely.box(*view))
    if "anchor_area_code" in findings and "area_code" in areas:
        shape_of = dict(zip(areas["area_code"].astype(str), areas.geometry, strict=True))
        anchored = [
            shapely.intersection(shape_of[code], shape)
            if code in shape_of and shape is not None
            else None
            for code, shape in zip(findings["anchor_area_code"].astype(str), shapes, strict=True)
        ]
        # Only a part with area: an anchor area touching the finding at an edge is no place.
        shapes = np.array(
            [
                a if a is not None and a.area > 0 else s
                for a, s in zip(anchored, shapes, strict=True)
            ],
            dtype=object,
        )
    points = shapely.point_on_surface(shapes)
    return list(zip(shapely.get_x(points).tolist(), shapely.get_y(points).tolist(), strict=True))


def _district_layer(tables: RunTables) -> Layers:
    """``district_lq``: the areas dissolved by district, with the districts' LQ columns."""
    areas = tables.areas
    if tables.district_lq is None or "district_code" not in areas:
        return {}
    dissolved = areas.dissolve(by="district_code", as_index=False)[
        ["district_code", "district_name", "geometry"]
    ]
    # Without the gaps between its areas that a district encloses (clustergeo.coverage).
    dissolved["geometry"] = AreaCoverage(areas.geometry).without_gaps(dissolved.geometry)
    return {
        "district_lq": dissolved.merge(
            wide_lq_columns(tables.district_lq, key_column="district_code"),
            left_on="district_code",
            right_index=True,
        )
    }


def with_district_layer(layers: Layers, tables: RunTables) -> Layers:
    """``layers`` (from ``build_layers(tables, districts=False)``) with ``district_lq`` added.

    In its place after ``areas_lq`` (always the first layer), so the GeoPackage lists the
    layers in the same order.
    """
    return {"areas_lq": layers["areas_lq"], **_district_layer(tables), **layers}


def touching(frame: gpd.GeoDataFrame, areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The rows of ``frame`` (authorities) whose polygons touch any of ``areas``.

    A spatial join against the areas themselves, with no union of the study area: dissolving
    a thousand real boundaries into one outline costs seconds and answers the same question.
    """
    joined = gpd.sjoin(frame[["geometry"]], areas[["geometry"]], predicate="intersects")
    return frame.loc[np.sort(joined.index.unique())].reset_index(drop=True)


def places_layer(areas: gpd.GeoDataFrame, lq: pd.DataFrame) -> gpd.GeoDataFrame:
    """The study area's principal places as points, from its areas and their LQ table's totals.

    Only the areas in the study area count (``in_study_area``, where the table has it).
    """
    if "in_study_area" in areas:
        areas = areas.loc[areas["in_study_area"].fillna(False).astype(bool)]
    totals = pd.Series(dtype=float)
    if {"area_code", "area_total"} <= set(lq.columns):
        totals = lq.drop_duplicates("area_code").set_index("area_code")["area_total"]
    places = principal_places(areas, totals)
    return gpd.GeoDataFrame(
        places[["name", "total", "km2"]],
        geometry=gpd.points_from_xy(places["x"], places["y"], crs=areas.crs),
    )


def build_layers(tables: RunTables, *, districts: bool = True) -> Layers:
    """Every GeoPackage layer of the run, in the order they are written.

    ``districts=False`` leaves out ``district_lq`` (see :func:`with_district_layer`): nothing
    but the GeoPackage uses it, and dissolving the areas into districts takes a second.
    """
    areas = tables.areas
    layers: Layers = {
        "areas_lq": areas.merge(wide_lq_columns(tables.lq), left_on="area_code", right_index=True)
    }
    if districts:
        layers |= _district_layer(tables)
    layers["lq"] = tables.lq
    keep = [c for c in ("area_code", "area_name", "district_name", "geometry") if c in areas]
    layers["hotspots_areas"] = areas[keep].merge(
        wide_hotspot_columns(tables.hotspots), left_on="area_code", right_index=True
    )
    # GeoPackage has no categorical type: write the class columns as text.
    hotspots = tables.hotspots
    layers["hotspots"] = hotspots.astype(
        {c: str for c in hotspots.columns if isinstance(hotspots[c].dtype, pd.CategoricalDtype)}
    )
    clusters = ranked_findings(tables.clusters)
    points = finding_points(clusters, areas)
    # The QGIS labels put each number where the maps do.
    clusters["label_x"] = [x for x, _y in points]
    clusters["label_y"] = [y for _x, y in points]
    layers["clusters"] = clusters
    layers["cluster_extents"] = tables.cluster_extents
    layers["cluster_authorities"] = tables.cluster_authorities
    layers["global_statistics"] = tables.global_statistics
    if tables.sites is not None:
        footprints = tables.sites
        points = footprints.set_geometry(
            gpd.points_from_xy(footprints["x"], footprints["y"], crs=footprints.crs)
        )
        layers["anchor_sites"] = points
        layers["site_footprints"] = footprints
        if tables.site_authorities is not None:
            layers["site_authorities"] = tables.site_authorities
        if tables.site_clusters is not None:
            layers["site_clusters"] = tables.site_clusters
    layers["places"] = places_layer(areas, tables.lq)
    layers["authority_summaries"] = tables.authority_summaries
    if tables.grid_clusters is not None and tables.maup is not None:
        layers["grid_clusters"] = tables.grid_clusters
        layers["maup"] = tables.maup
    for tier, frame in tables.authorities.items():
        layers[tier] = touching(frame, areas)
    return layers
