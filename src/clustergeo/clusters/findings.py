r"""Findings: clusters and concentrations in one table, one ID scheme, sorted by strength.

Two kinds of finding (``kind``):

``cluster``
    neighbouring significant hot spots of an industry (:mod:`~clustergeo.clusters.delineate`),
    with a **core** of specialised areas and an **extent** that adds the unspecialised hot
    areas around and between them;
``concentration``
    one place, or a few neighbouring places, whose own specialisation is significant and
    large but which no neighbourhood shares, so Gi* cannot see it
    (:mod:`~clustergeo.clusters.concentrations`). Its extent is its core.

Attributes of a finding *f* of industry *j* describe its core, with member areas
:math:`i \in f`:

* ``employment`` :math:`e_f = \sum_{i \in f} e_{ij}` and ``employment_share``
  :math:`e_f / E_j^{study}`, its share of the industry's study-area employment;
* ``lq``, the LQ of the core taken as one area, :math:`\frac{e_f / \sum_f e_i}{E_j / E}`
  (the members' LQs weighted by their total employment), with ``lq_lower`` and ``lq_upper``
  at the run's confidence level and ``lq_z``, :math:`\ln LQ_f / \sqrt{\operatorname{Var}}`,
  by the delta method of Moineddin, Beyene & Boyle (2003);
* ``focus``, the industry's share of the core's jobs, :math:`e_f / \sum_f e_i`;
* ``anchor_share``, the share of :math:`e_f` in the anchor area (the member employing the
  most in the industry): near 1, a cluster is one place with neighbours that are hot for
  its sake, close to a concentration;
* ``peak_gi_star_z`` and ``mean_gi_star_z`` over the core; ``moran_outlier``, whether a core
  area is a significant Local Moran high-low outlier;
* ``extent_n_units``, ``extent_member_codes``, ``extent_employment`` and ``extent_lq``, the
  same for the extent; ``area_km2`` and ``extent_area_km2``; the core's centroid;
* the stars and the strength score of :mod:`~clustergeo.clusters.strength`.

**Stable IDs.** A finding's ID (``cluster_id``, for either kind) is ``<industry key>-<anchor
area code>``, the anchor being the core member employing the most people in the industry
(ties to the smaller code): Jaguar Land Rover's MSOA anchors ``manufacturing-E02002091``. An
area belongs to at most one finding per industry, so IDs are unique; they depend only on the
finding's own industry and areas, so the same inputs and settings give the same IDs on any
machine, in any row order, and adding an industry never renames another's findings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import special

from clustergeo.clusters.concentrations import find_concentrations
from clustergeo.clusters.delineate import Group, delineate_clusters, hot_classes
from clustergeo.clusters.strength import strength_scores
from clustergeo.concentration import lq_log_variance
from clustergeo.config import ClustersConfig
from clustergeo.coverage import AreaCoverage
from clustergeo.hotspots.weights import SpatialWeights

__all__ = [
    "FINDING_COLUMNS",
    "Findings",
    "build_findings",
    "describe_group",
    "with_centroid_lon_lat",
]

#: Attribute columns of a finding, before its polygons (area, centroid) are added.
FINDING_COLUMNS = (
    "cluster_id",
    "kind",
    "industry_code",
    "industry_kind",
    "label",
    "traded",
    "anchor_area_code",
    "anchor_share",
    "n_units",
    "member_codes",
    "employment",
    "employment_share",
    "area_total",
    "lq",
    "lq_lower",
    "lq_upper",
    "lq_z",
    "focus",
    "peak_gi_star_z",
    "mean_gi_star_z",
    "moran_outlier",
    "extent_n_units",
    "extent_member_codes",
    "extent_employment",
    "extent_lq",
)
_FLOATS = {
    "anchor_share",
    "employment",
    "employment_share",
    "area_total",
    "lq",
    "lq_lower",
    "lq_upper",
    "lq_z",
    "focus",
    "peak_gi_star_z",
    "mean_gi_star_z",
    "extent_employment",
    "extent_lq",
}


@dataclass
class Findings:
    """Every finding (core polygons), their extents, their member areas, and the counts."""

    findings: gpd.GeoDataFrame
    extents: gpd.GeoDataFrame
    members: pd.DataFrame
    report: dict[str, Any]


def _lq_and_interval(
    employment: float,
    area_total: float,
    reference_share: float,
    reference_total: float,
    confidence_level: float,
) -> tuple[float, float, float, float]:
    """LQ of areas taken as one, its interval and its z against 1 (Moineddin et al. 2003)."""
    if area_total <= 0 or reference_share <= 0 or employment <= 0:
        return (0.0 if employment == 0 and area_total > 0 else np.nan), np.nan, np.nan, np.nan
    lq = employment / area_total / reference_share
    variance = float(
        lq_log_variance(employment, area_total, reference_share * reference_total, reference_total)
    )
    half_width = float(special.ndtri(0.5 + confidence_level / 2)) * np.sqrt(variance)
    z = np.log(lq) / np.sqrt(variance) if variance > 0 else np.inf
    return lq, lq * np.exp(-half_width), lq * np.exp(half_width), float(z)


def _anchor(core: pd.DataFrame) -> tuple[str, float]:
    """The anchor area's code and its employment in the industry."""
    codes = core["area_code"].astype(str).to_numpy()
    employment = core["employment"].to_numpy(dtype=float)
    # Most employment, ties to the smaller code: lexsort sorts by the last key first.
    first = np.lexsort((codes, -np.nan_to_num(employment, nan=-np.inf)))[0]
    return str(codes[first]), float(employment[first])


def describe_group(
    group: Group,
    *,
    industry_study_employment: float,
    reference_total: float,
    confidence_level: float,
) -> dict[str, Any]:
    """The attributes of one finding (see the module docstring)."""
    core, extent = group.core, group.extent
    first = core.iloc[0]
    share = float(first["reference_share"])
    employment = float(core["employment"].sum())
    area_total = float(core["area_total"].sum())
    lq, lower, upper, z = _lq_and_interval(
        employment, area_total, share, reference_total, confidence_level
    )
    extent_employment = float(extent["employment"].sum())
    extent_total = float(extent["area_total"].sum())
    gi_z = core["gi_star_z"].to_numpy(dtype=float) if "gi_star_z" in core else np.array([])
    known = np.isfinite(gi_z)
    moran = core["moran_class"].astype(str) if "moran_class" in core else pd.Series(dtype=str)
    anchor, anchor_employment = _anchor(core)
    return {
        "cluster_id": f"{group.industry_code}-{anchor}",
        "kind": group.kind,
        "industry_code": group.industry_code,
        "industry_kind": str(first.get("kind", "")),
        "label": str(first.get("label", group.industry_code)),
        "traded": True,
        "anchor_area_code": anchor,
        "anchor_share": anchor_employment / employment if employment > 0 else np.nan,
        "n_units": len(core),
        "member_codes": ";".join(sorted(core["area_code"].astype(str))),
        "employment": employment,
        "employment_share": employment / industry_study_employment
        if industry_study_employment > 0
        else np.nan,
        "area_total": area_total,
        "lq": lq,
        "lq_lower": lower,
        "lq_upper": upper,
        "lq_z": z,
        "focus": employment / area_total if area_total > 0 else np.nan,
        "peak_gi_star_z": float(gi_z[known].max()) if known.any() else np.nan,
        "mean_gi_star_z": float(gi_z[known].mean()) if known.any() else np.nan,
        "moran_outlier": bool((moran == "HL").any()),
        "extent_n_units": len(extent),
        "extent_member_codes": ";".join(sorted(extent["area_code"].astype(str))),
        "extent_employment": extent_employment,
        "extent_lq": extent_employment / extent_total / share
        if extent_total > 0 and share > 0
        else np.nan,
    }


def _members(groups: list[Group], ids: list[str]) -> pd.DataFrame:
    """``cluster_id, area_code, part``: ``core``, or ``extent`` for extent-only areas."""
    frames = []
    for group, cluster_id in zip(groups, ids, strict=True):
        core = set(group.core["area_code"].astype(str))
        codes = sorted(set(group.extent["area_code"].astype(str)) | core)
        frames.append(
            pd.DataFrame(
                {
                    "cluster_id": cluster_id,
                    "area_code": codes,
                    "part": ["core" if c in core else "extent" for c in codes],
                }
            )
        )
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=str) for c in ("cluster_id", "area_code", "part")})
    # Sorted, so the table does not depend on the order the areas came in.
    return (
        pd.concat(frames, ignore_index=True)
        .sort_values(["cluster_id", "area_code"])
        .reset_index(drop=True)
    )


def _dissolved(
    members: pd.DataFrame, areas: gpd.GeoDataFrame, coverage: AreaCoverage
) -> gpd.GeoSeries:
    geometry = areas.set_index("area_code").geometry
    pieces = gpd.GeoDataFrame(
        members[["cluster_id"]],
        geometry=geometry.reindex(members["area_code"]).to_numpy(),
        crs=areas.crs,
    )
    # make_valid: dissolving areas that meet within the contiguity tolerance but not exactly
    # can leave slivers; a finding's polygon must always be valid for QGIS and overlays. The
    # gaps between its areas that it encloses are filled (see clustergeo.coverage).
    dissolved = pieces.dissolve(by="cluster_id").geometry.make_valid()
    return gpd.GeoSeries(coverage.without_gaps(dissolved), index=dissolved.index, crs=dissolved.crs)


def _empty_findings(crs: Any) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    strength = strength_scores(pd.DataFrame())
    columns: dict[str, pd.Series] = {
        c: pd.Series(dtype="float64" if c in _FLOATS else object) for c in FINDING_COLUMNS
    }
    for c in ("n_units", "extent_n_units"):
        columns[c] = pd.Series(dtype="int64")
    for c in ("traded", "moran_outlier"):
        columns[c] = pd.Series(dtype=bool)
    table = pd.concat([pd.DataFrame(columns), strength], axis=1)
    for c in ("area_km2", "extent_area_km2", "centroid_x", "centroid_y"):
        table[c] = pd.Series(dtype="float64")
    findings = gpd.GeoDataFrame(table, geometry=gpd.GeoSeries([], crs=crs), crs=crs)
    extents = gpd.GeoDataFrame(
        {"cluster_id": pd.Series(dtype=object)}, geometry=gpd.GeoSeries([], crs=crs), crs=crs
    )
    return findings, extents


def build_findings(
    results: pd.DataFrame,
    areas: gpd.GeoDataFrame,
    weights: SpatialWeights,
    settings: ClustersConfig,
    columns: list[str],
    *,
    traded: Mapping[str, bool],
    reference_total: float,
    confidence_level: float = 0.95,
    values_are_counts: bool = True,
) -> Findings:
    """Clusters and concentrations of every industry, described, scored and drawn.

    Parameters
    ----------
    results
        One row per study-area area x industry: ``area_code``, ``industry_code``, ``label``,
        ``kind`` (industry or cluster definition), ``employment``, ``area_total``,
        ``reference_share``, ``lq``, ``lq_lower``, ``lq_unreliable`` and the hot-spot columns
        (``gi_star_z``, ``gi_star_class``, ``moran_quadrant``, ``moran_p_fdr``,
        ``moran_class``).
    areas
        The study area's areas (``area_code``, geometry in EPSG:27700).
    weights
        The run's spatial weights.
    settings
        The ``clusters`` section of the config.
    columns
        Industry / cluster-definition codes to look at.
    traded
        Whether each column is a traded industry; findings of the others are left out
        unless ``settings.include_non_traded``.
    reference_total
        Employment of the LQ's reference economy, :math:`E`.
    confidence_level
        Level of the findings' LQ intervals.
    values_are_counts
        False when the values are not counts of people (GVA): concentrations are then
        places with an LQ of at least ``min_lq``, without the count-based test, and the
        findings' ``lq_lower``, ``lq_upper`` and ``lq_z`` are missing (their strength ranks
        size, specialisation and focus alone).

    Returns
    -------
    Findings
        ``findings``: one row per finding with its core polygon, sorted by strength (then
        ID); ``extents``: the extent polygons; ``members``: ``cluster_id, area_code, part``;
        ``report``: the rules and the counts per industry.
    """
    results = results.loc[results["industry_code"].astype(str).isin(columns)]
    results = results.reset_index(drop=True)
    clusters = delineate_clusters(results, weights, settings, columns)
    in_cluster = {
        (group.industry_code, code)
        for group in clusters.groups
        for code in group.extent["area_code"].astype(str)
    }
    taken = pd.Series(
        [
            (str(i), str(a)) in in_cluster
            for i, a in zip(results["industry_code"], results["area_code"], strict=True)
        ],
        index=results.index,
    )
    concentrations = find_concentrations(
        results,
        weights,
        settings.concentrations,
        columns,
        taken=taken,
        reference_total=reference_total,
        values_are_counts=values_are_counts,
    )
    study_employment = results.groupby("industry_code", observed=True)["employment"].sum()
    groups = clusters.groups + concentrations.groups
    left_out = {
        code: sum(1 for g in groups if g.industry_code == code)
        for code in columns
        if not traded.get(code, True) and not settings.include_non_traded
    }
    groups = [g for g in groups if g.industry_code not in left_out]
    rows = [
        describe_group(
            group,
            industry_study_employment=float(study_employment.get(group.industry_code, np.nan)),
            reference_total=reference_total,
            confidence_level=confidence_level,
        )
        for group in groups
    ]
    for row in rows:
        row["traded"] = bool(traded.get(row["industry_code"], True))
        if not values_are_counts:
            # The interval and z treat the values as counts of people: of GVA they would
            # change with the unit (£m or £bn), so they are not given, nor ranked on.
            row.update(lq_lower=np.nan, lq_upper=np.nan, lq_z=np.nan)
    members = _members(groups, [row["cluster_id"] for row in rows])
    report: dict[str, Any] = {
        "membership": settings.membership,
        "significance": settings.significance,
        "hot_spot_classes": list(hot_classes(settings.significance))
        if settings.membership == "gi_star"
        else [],
        "min_lq": settings.min_lq,
        "min_units": settings.min_units,
        "min_employment": settings.min_employment,
        "concentrations": settings.concentrations.model_dump(),
        "star_share": settings.star_share,
        "clusters": sum(1 for r in rows if r["kind"] == "cluster"),
        "concentrations_found": sum(1 for r in rows if r["kind"] == "concentration"),
        "non_traded_left_out": left_out,
        "per_industry": {
            code: clusters.per_industry.get(code, {}) | concentrations.per_industry.get(code, {})
            for code in columns
        },
    }
    if not rows:
        findings, extents = _empty_findings(areas.crs)
        return Findings(findings, extents, members, report)
    table = pd.DataFrame(rows, columns=list(FINDING_COLUMNS))
    table = pd.concat([table, strength_scores(table, settings.star_share)], axis=1)
    coverage = AreaCoverage(areas.geometry)
    core = _dissolved(members.loc[members["part"] == "core"], areas, coverage)
    extent = _dissolved(members, areas, coverage)
    findings = gpd.GeoDataFrame(
        table, geometry=core.reindex(table["cluster_id"]).to_numpy(), crs=areas.crs
    )
    findings["area_km2"] = findings.geometry.area / 1e6
    findings["extent_area_km2"] = extent.reindex(table["cluster_id"]).area.to_numpy() / 1e6
    centroid = findings.geometry.centroid
    findings["centroid_x"] = centroid.x.round(1)
    findings["centroid_y"] = centroid.y.round(1)
    findings = findings.sort_values(["strength", "cluster_id"], ascending=[False, True])
    # Geometry last, as in the empty table.
    findings = findings[[c for c in findings.columns if c != "geometry"] + ["geometry"]]
    extents = gpd.GeoDataFrame(
        findings[["cluster_id", "kind", "industry_code", "label", "extent_n_units"]],
        geometry=extent.reindex(findings["cluster_id"]).to_numpy(),
        crs=areas.crs,
    )
    return Findings(
        findings.reset_index(drop=True), extents.reset_index(drop=True), members, report
    )


def with_centroid_lon_lat(findings: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The findings with their core's centroid as WGS 84 ``centroid_lon`` and ``centroid_lat``.

    Five decimals (about a metre), from ``centroid_x`` and ``centroid_y`` in the findings'
    projected CRS, so a finding can be looked up on a web map. A new frame; an empty table is
    returned as it is.
    """
    if findings.empty:
        return findings
    lonlat = gpd.GeoSeries.from_xy(
        findings["centroid_x"], findings["centroid_y"], crs=findings.crs
    ).to_crs("EPSG:4326")
    return findings.assign(centroid_lon=lonlat.x.round(5), centroid_lat=lonlat.y.round(5))
