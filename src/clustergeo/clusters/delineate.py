r"""Clusters: neighbouring significant areas of one industry, joined and dissolved.

For each industry or cluster definition, the member candidates are the areas that pass the
membership rule (see :class:`~clustergeo.config.ClustersConfig`): by default a Gi* hot spot
after the multiple-testing correction whose own location quotient is at least ``min_lq``.
Candidates that are neighbours in the run's spatial weights are joined into clusters (the
connected components of the weights restricted to the candidates), and clusters below
``min_units`` areas or ``min_employment`` workers are dropped.

Attributes of a cluster *c* of industry *j* with member areas :math:`i \in c`:

* ``employment`` :math:`e_c = \sum_{i \in c} e_{ij}`, and ``employment_share``
  :math:`e_c / E_j^{study}`, its share of the industry's study-area employment;
* ``lq``: the employment-weighted mean of the members' LQs, weighted by their total
  employment :math:`e_i`, which equals the LQ of the cluster taken as one area,
  :math:`\frac{\sum_c e_{ij} / \sum_c e_i}{E_j / E}` (so large areas count for more than
  small ones, unlike a plain mean);
* ``peak_gi_star_z`` and ``mean_gi_star_z`` over the members; ``area_km2``; the centroid.

**Stable IDs.** A cluster's ID is ``<industry key>-<peak area code>``, the member with the
highest Gi* z (ties broken by the smaller code). It depends only on the cluster's own
industry and members: the same inputs and settings give the same ID on any machine and in
any row order, and adding or removing another industry never renumbers a cluster.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.sparse.csgraph import connected_components

from clustergeo.config import ClustersConfig
from clustergeo.hotspots.weights import SpatialWeights
from clustergeo.vocab import GI_STAR_HOT_CLASSES

__all__ = ["Delineation", "candidate_members", "delineate_clusters", "select_columns"]


@dataclass
class Delineation:
    """Clusters of every industry, their members, and the counts behind them."""

    clusters: gpd.GeoDataFrame
    members: pd.DataFrame
    report: dict[str, object]


def select_columns(kinds: pd.Series, of: str) -> list[str]:
    """Industry / cluster-definition codes to delineate, from each code's kind.

    ``auto`` takes the cluster definitions when there are any, else the industries.
    """
    clusters = [str(c) for c in kinds.index[kinds == "cluster"]]
    industries = [str(c) for c in kinds.index[kinds == "industry"]]
    if of == "cluster_definitions":
        return clusters
    if of == "industries":
        return industries
    if of == "all":
        return industries + clusters
    return clusters or industries


def candidate_members(table: pd.DataFrame, settings: ClustersConfig) -> pd.Series:
    """Whether each row (area x industry) may belong to a cluster, by the membership rule.

    ``table`` has the hot-spot results and the area's ``lq`` and ``lq_lower``.
    """
    own_lq = table["lq"].to_numpy(dtype=float) >= settings.min_lq
    if settings.membership == "gi_star":
        hot = table["gi_star_class"].astype(str).isin(GI_STAR_HOT_CLASSES).to_numpy()
        significant = table["gi_star_p_fdr"].to_numpy(dtype=float) <= settings.significance
        chosen = hot & significant & own_lq
    elif settings.membership == "moran_hh":
        high_high = table["moran_quadrant"].astype(str).to_numpy() == "HH"
        significant = table["moran_p_fdr"].to_numpy(dtype=float) <= settings.significance
        chosen = high_high & significant & own_lq
    else:
        chosen = own_lq & (table["lq_lower"].to_numpy(dtype=float) > 1.0)
    return pd.Series(chosen, index=table.index)


def delineate_clusters(
    results: pd.DataFrame,
    areas: gpd.GeoDataFrame,
    weights: SpatialWeights,
    settings: ClustersConfig,
    columns: list[str],
) -> Delineation:
    """Join each industry's member areas into clusters and describe them.

    Parameters
    ----------
    results
        One row per study-area area x industry: ``area_code``, ``industry_code``, ``label``,
        ``kind``, ``employment``, ``area_total``, ``reference_share``, ``lq``, ``lq_lower``
        and the hot-spot columns (``gi_star_z``, ``gi_star_class``, ``gi_star_p_fdr``,
        ``moran_quadrant``, ``moran_p_fdr``).
    areas
        The study area's areas (``area_code``, ``area_km2``, geometry in EPSG:27700).
    weights
        The run's spatial weights; two members are joined when either lists the other.
    settings
        The ``clusters`` section of the config.
    columns
        Industry / cluster-definition codes to delineate.

    Returns
    -------
    Delineation
        ``clusters``: one polygon per cluster with its attributes, ordered by industry then
        employment (largest first); ``members``: ``cluster_id``, ``area_code``; ``report``:
        counts per industry, including clusters dropped by the size rules.
    """
    results = results.loc[results["industry_code"].astype(str).isin(columns)]
    candidates = results.loc[candidate_members(results, settings)]
    position = pd.Series(np.arange(weights.n), index=weights.ids)
    adjacency = weights.matrix + weights.matrix.T
    study_employment = results.groupby("industry_code", observed=True)["employment"].sum()
    area_geometry = areas.set_index("area_code")

    rows: list[dict[str, object]] = []
    members: list[pd.DataFrame] = []
    per_industry: dict[str, dict[str, int]] = {}
    for code in columns:
        group = candidates.loc[candidates["industry_code"].astype(str) == code]
        counts = {"candidate_areas": len(group), "clusters": 0, "dropped_small": 0}
        per_industry[code] = counts
        if group.empty:
            continue
        index = position.reindex(group["area_code"].astype(str)).to_numpy()
        if np.isnan(index).any():
            missing = group["area_code"].astype(str)[np.isnan(index)]
            raise ValueError(f"areas not in the weights: {', '.join(missing[:5])}")
        index = index.astype(np.int64)
        _n, labels = connected_components(adjacency[index][:, index], directed=False)
        for label in np.unique(labels):
            part = group.iloc[np.flatnonzero(labels == label)]
            employment = float(part["employment"].sum())
            if len(part) < settings.min_units or employment < settings.min_employment:
                counts["dropped_small"] += 1
                continue
            counts["clusters"] += 1
            row = _describe(part, study_employment.get(code, np.nan))
            rows.append(row)
            members.append(
                pd.DataFrame(
                    {"cluster_id": row["cluster_id"], "area_code": sorted(part["area_code"])}
                )
            )

    member_table = (
        # Sorted, so the table does not depend on the order the areas came in.
        pd.concat(members, ignore_index=True)
        .sort_values(["cluster_id", "area_code"])
        .reset_index(drop=True)
        if members
        else pd.DataFrame({"cluster_id": pd.Series(dtype=str), "area_code": pd.Series(dtype=str)})
    )
    clusters = _polygons(rows, member_table, area_geometry, areas.crs)
    report: dict[str, object] = {
        "membership": settings.membership,
        "significance": settings.significance,
        "min_lq": settings.min_lq,
        "min_units": settings.min_units,
        "min_employment": settings.min_employment,
        "clusters": len(clusters),
        "per_industry": per_industry,
    }
    return Delineation(clusters=clusters, members=member_table, report=report)


def _describe(part: pd.DataFrame, industry_study_employment: float) -> dict[str, object]:
    codes = part["area_code"].astype(str).to_numpy()
    z = part["gi_star_z"].to_numpy(dtype=float)
    # Highest z, ties to the smaller code: lexsort sorts by the last key first.
    peak = codes[np.lexsort((codes, -np.nan_to_num(z, nan=-np.inf)))[0]]
    first = part.iloc[0]
    employment = float(part["employment"].sum())
    total = float(part["area_total"].sum())
    reference_share = float(first["reference_share"])
    lq = employment / total / reference_share if total > 0 and reference_share > 0 else np.nan
    share = employment / industry_study_employment if industry_study_employment > 0 else np.nan
    return {
        "cluster_id": f"{first['industry_code']}-{peak}",
        "industry_code": str(first["industry_code"]),
        "kind": str(first["kind"]),
        "label": str(first["label"]),
        "peak_area_code": str(peak),
        "n_units": len(part),
        "member_codes": ";".join(sorted(codes)),
        "employment": employment,
        "employment_share": share,
        "lq": lq,
        "peak_gi_star_z": float(np.nanmax(z)) if np.isfinite(z).any() else np.nan,
        "mean_gi_star_z": float(np.nanmean(z)) if np.isfinite(z).any() else np.nan,
    }


def _polygons(
    rows: list[dict[str, object]],
    members: pd.DataFrame,
    area_geometry: gpd.GeoDataFrame,
    crs: object,
) -> gpd.GeoDataFrame:
    columns = [
        "cluster_id",
        "industry_code",
        "kind",
        "label",
        "peak_area_code",
        "n_units",
        "member_codes",
        "employment",
        "employment_share",
        "lq",
        "peak_gi_star_z",
        "mean_gi_star_z",
    ]
    if not rows:
        kinds = {
            "n_units": "int64",
            "employment": "float64",
            "employment_share": "float64",
            "lq": "float64",
            "peak_gi_star_z": "float64",
            "mean_gi_star_z": "float64",
        }
        empty = pd.DataFrame({c: pd.Series(dtype=kinds.get(c, object)) for c in columns})
        for extra in ("area_km2", "centroid_x", "centroid_y"):
            empty[extra] = pd.Series(dtype=float)
        return gpd.GeoDataFrame(empty, geometry=gpd.GeoSeries([], crs=crs), crs=crs)
    table = pd.DataFrame(rows, columns=columns)
    pieces = gpd.GeoDataFrame(
        members,
        geometry=area_geometry.geometry.reindex(members["area_code"]).to_numpy(),
        crs=crs,
    )
    # Dissolving within one cluster only: clusters of different industries may overlap.
    dissolved = pieces.dissolve(by="cluster_id")
    # make_valid: dissolving areas that meet within the contiguity tolerance but not exactly
    # can leave slivers; a cluster polygon must always be valid for QGIS and overlays.
    geometry = dissolved.geometry.make_valid().reindex(table["cluster_id"]).to_numpy()
    clusters = gpd.GeoDataFrame(table, geometry=geometry, crs=crs)
    clusters["area_km2"] = clusters.geometry.area / 1e6
    centroid = clusters.geometry.centroid
    clusters["centroid_x"] = centroid.x.round(1)
    clusters["centroid_y"] = centroid.y.round(1)
    clusters = clusters.sort_values(
        ["industry_code", "employment", "cluster_id"], ascending=[True, False, True]
    )
    # Geometry last, as in the empty table.
    clusters = clusters[[c for c in clusters.columns if c != "geometry"] + ["geometry"]]
    return clusters.reset_index(drop=True)
