"""Stage 5, governance: who governs each cluster and each anchor site.

Reads the clusters, their members and the areas with their authority codes; writes

* the clusters with their flags (GeoParquet and CSV),
* every cluster-authority link with employment and area shares,
* the anchor sites (footprints with their flags), their authorities and nearby clusters,
* per-authority summaries (table and Markdown),
* a report with the counts of straddling clusters, gaps and sites.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from clustergeo.config import RunConfig
from clustergeo.governance.findings import govern_findings, partner_size
from clustergeo.governance.overlay import (
    add_upper_tier,
    authority_links,
    governance_flags,
    nearby_authorities,
)
from clustergeo.governance.sites import (
    footprint_pieces,
    footprint_share_weight,
    read_sites,
    sector_industries,
    sector_peaks,
    site_footprints,
    site_status,
)
from clustergeo.governance.summaries import authority_summaries, summaries_markdown
from clustergeo.industries import normalise_sic_code
from clustergeo.io import write_csv, write_json, write_parquet, write_text
from clustergeo.stages import intermediates
from clustergeo.stages import registry as r
from clustergeo.stages.manifest import stage_inputs
from clustergeo.stages.paths import RunPaths
from clustergeo.vocab import synthetic_suffix

__all__ = ["run"]

log = logging.getLogger(__name__)


def run(config: RunConfig) -> None:
    """Overlay clusters and anchor sites on every authority tier and write the results."""
    paths = RunPaths.for_config(config)
    settings = config.governance
    areas = add_upper_tier(intermediates.read_areas(paths))
    clusters = intermediates.read_clusters(paths)
    members = intermediates.read_cluster_members(paths)
    lq = intermediates.read_lq(paths, ["area_code", "industry_code", "employment", "area_total"])
    # Every finding is placed twice: by its core and by its extent (the core and the hot
    # areas around it), so a span that crosses a boundary only through its extent is seen.
    placed = govern_findings(
        clusters,
        _member_employment(members, clusters, lq[["area_code", "industry_code", "employment"]]),
        areas,
        straddle_share=settings.straddle_share,
        edge_distance_m=settings.edge_distance_km * 1000,
        # A piece as large as a concentration must be is never a mere touch.
        partner_size=partner_size(intermediates.read_cluster_record(paths)),
    )
    governed, links = placed.findings, placed.links

    summaries = authority_summaries(
        links.loc[links["part"] == "extent"].drop(columns="part"),
        governed,
        areas[["district_code", "upper_tier_name"]]
        if {"district_code", "upper_tier_name"} <= set(areas)
        else pd.DataFrame({"district_code": [], "upper_tier_name": []}),
        quantity="employment" if intermediates.read_inputs_record(paths).counts_people else "GVA",
        straddle_share=settings.straddle_share,
    )
    title = f"Clusters by authority: {config.name}{synthetic_suffix(config.synthetic)}"

    area_employment = lq.drop_duplicates("area_code").set_index("area_code")["area_total"]
    site_outputs = _assess_sites(config, areas, governed, paths, area_employment)

    write_parquet(governed, paths[r.GOVERNED_CLUSTERS])
    write_csv(pd.DataFrame(governed.drop(columns="geometry")), paths[r.GOVERNED_CLUSTERS_CSV])
    write_parquet(links, paths[r.CLUSTER_AUTHORITIES])
    write_csv(links, paths[r.CLUSTER_AUTHORITIES_CSV])
    write_parquet(summaries, paths[r.AUTHORITY_SUMMARIES])
    write_csv(summaries, paths[r.AUTHORITY_SUMMARIES_CSV])
    write_text(summaries_markdown(summaries, title), paths[r.AUTHORITY_SUMMARIES_MD])
    report = _report(governed, site_outputs)
    write_json({"stage": "governance", **report}, paths[r.GOVERNANCE_REPORT])
    log.info(
        "%d clusters: %d straddle districts, %d straddle counties, %d governance gaps; "
        "%d anchor sites assessed",
        report["clusters"],
        report["straddles_districts"],
        report["straddles_counties"],
        report["governance_gaps"],
        report["sites_assessed"],
    )


def _member_employment(
    members: pd.DataFrame, clusters: pd.DataFrame, lq: pd.DataFrame
) -> pd.DataFrame:
    """Member areas with their employment in the finding's industry."""
    industry = clusters.set_index("cluster_id")["industry_code"]
    pieces = members.assign(industry_code=members["cluster_id"].map(industry))
    return pieces.merge(lq, on=["area_code", "industry_code"], how="left")


def _sites_path(config: RunConfig) -> Path | str | None:
    sites = config.governance.sites
    if sites == "none":
        return None
    return "default" if sites == "default" else stage_inputs(config, r.GOVERNANCE)["sites"]


def _site_links(pieces: pd.DataFrame, straddle_share: float) -> pd.DataFrame:
    """Each site's authorities, whether each shares the site judged on the site's own basis.

    A site whose shares are of its land (``share_basis``, see
    :func:`~clustergeo.governance.sites.footprint_share_weight`) shares an authority by its
    land in it, as its flags do; the others by their jobs.
    """
    by_basis = [
        authority_links(
            pieces.loc[pieces["share_basis"] == basis],
            "site_key",
            ["employment", "area_km2"],
            straddle_share=straddle_share,
            relation_weight=weight,
        )
        for basis, weight in (("employment", "employment"), ("area", "area_km2"))
        # With no pieces at all, one (empty) table of the employment basis.
        if (pieces["share_basis"] == basis).any() or (pieces.empty and basis == "employment")
    ]
    if len(by_basis) == 1:
        return by_basis[0]
    links = pd.concat(by_basis, ignore_index=True)
    return links.sort_values("site_key", kind="stable").reset_index(drop=True)


def _assess_sites(
    config: RunConfig,
    areas: gpd.GeoDataFrame,
    clusters: gpd.GeoDataFrame,
    paths: RunPaths,
    area_employment: pd.Series,
) -> dict[str, pd.DataFrame] | None:
    source = _sites_path(config)
    if source is None:
        return None
    settings = config.governance
    registry = read_sites(source)
    footprints = site_footprints(registry, osm_cache=config.resolved_data_dir / "osm_sites")
    pieces, coverage = footprint_pieces(footprints, areas, min_area_share=settings.min_area_share)
    status = site_status(pieces, coverage)
    pieces = footprint_share_weight(
        pieces, areas.set_index("area_code")["area_km2"], area_employment
    )
    links = _site_links(pieces, settings.straddle_share)
    flags = governance_flags(
        pieces, "site_key", "share_weight", straddle_share=settings.straddle_share
    )
    basis = pieces.drop_duplicates("site_key").set_index("site_key")["share_basis"]
    near = nearby_authorities(
        footprints, "site_key", areas, links, settings.edge_distance_km * 1000
    )
    industry_codes = _industry_codes(paths)
    sectors = {
        key: sector_industries(codes.split(";"), industry_codes)
        for key, codes in footprints.set_index("site_key")["sic"].items()
    }
    nearby = _site_clusters(footprints, clusters, settings.site_near_km * 1000, sectors)
    peaks = sector_peaks(
        pieces,
        sectors,
        _site_evidence(paths, set(pieces["area_code"])),
        sought=intermediates.read_cluster_record(paths).get("columns", ()),
    )

    sites = footprints.merge(flags, on="site_key", how="left")
    sites["status"] = sites["site_key"].map(status)
    sites["coverage"] = sites["site_key"].map(coverage).round(4)
    sites["share_basis"] = sites["site_key"].map(basis)
    sites["near_authorities"] = sites["site_key"].map(near).astype(object).fillna("")
    for relation in ("in", "near"):
        chosen = nearby.loc[(nearby["relation"] == relation) & nearby["sector_match"]]
        sites[f"sector_clusters_{relation}"] = (
            sites["site_key"]
            .map(chosen.groupby("site_key")["cluster_id"].agg(";".join))
            .astype(object)
            .fillna("")
        )
    sites = sites.join(peaks, on="site_key")
    outside = sites.loc[sites["status"] == "outside_study_area", "name"]
    if not outside.empty:
        log.info(
            "%d anchor sites lie outside the study area and are not assessed: %s",
            len(outside),
            ", ".join(outside),
        )
    partly = sites.loc[sites["status"] == "partly_outside_study_area", "name"]
    if not partly.empty:
        log.warning(
            "Anchor sites partly outside the run's areas (flags describe the covered part): %s",
            ", ".join(partly),
        )
    write_parquet(sites, paths[r.SITES])
    write_csv(pd.DataFrame(sites.drop(columns="geometry")), paths[r.SITES_CSV])
    write_parquet(links, paths[r.SITE_AUTHORITIES])
    write_csv(links, paths[r.SITE_AUTHORITIES_CSV])
    write_parquet(nearby, paths[r.SITE_CLUSTERS])
    write_csv(nearby, paths[r.SITE_CLUSTERS_CSV])
    return {"sites": sites, "links": links, "clusters": nearby}


def _site_clusters(
    footprints: gpd.GeoDataFrame,
    clusters: gpd.GeoDataFrame,
    near_m: float,
    sectors: Mapping[str, set[str]],
) -> pd.DataFrame:
    """Clusters each footprint overlaps ('in') or comes within ``near_m`` of ('near').

    ``sector_match`` says whether the cluster's industry is one of the site's ``sectors``.
    """
    columns = [
        "site_key",
        "cluster_id",
        "industry_code",
        "label",
        "relation",
        "distance_km",
        "sector_match",
    ]
    if clusters.empty or footprints.empty:
        return pd.DataFrame(columns=columns)
    grown = gpd.GeoDataFrame(
        footprints[["site_key"]], geometry=footprints.buffer(near_m), crs=footprints.crs
    )
    hits = gpd.sjoin(
        grown,
        clusters[["cluster_id", "industry_code", "label", "geometry"]],
        predicate="intersects",
        how="inner",
    )
    if hits.empty:
        return pd.DataFrame(columns=columns)
    shape = footprints.set_index("site_key").geometry
    cluster_shape = clusters.set_index("cluster_id").geometry
    distance = np.array(
        [
            shape[key].distance(cluster_shape[cid])
            for key, cid in zip(hits["site_key"], hits["cluster_id"], strict=True)
        ]
    )
    hits = pd.DataFrame(hits.drop(columns=["geometry", "index_right"]))
    hits["distance_km"] = (distance / 1000).round(3)
    hits["relation"] = np.where(distance == 0, "in", "near")
    hits["sector_match"] = [
        str(industry) in sectors.get(key, set())
        for key, industry in zip(hits["site_key"], hits["industry_code"], strict=True)
    ]
    return (
        hits[columns].sort_values(["site_key", "distance_km", "cluster_id"]).reset_index(drop=True)
    )


def _industry_codes(paths: RunPaths) -> dict[str, list[str]]:
    """The data industry codes of every industry (its own) and cluster definition (its parts)."""
    industries = intermediates.read_industries(paths)
    own = {str(i["industry_code"]): [str(i["industry_code"])] for i in industries.industries}
    return own | {
        key: [normalise_sic_code(c) for c in codes]
        for key, codes in industries.definition_codes.items()
    }


def _site_evidence(paths: RunPaths, area_codes: set[str]) -> pd.DataFrame:
    """LQ and Gi* of every industry in the given areas: what a site's sector shows there."""
    lq_columns = ["area_code", "industry_code", "kind", "label", "employment", "lq"]
    spot_columns = ["area_code", "industry_code", "gi_star_z", "gi_star_p_fdr", "gi_star_class"]
    if not area_codes:
        return pd.DataFrame(columns=[*lq_columns, "lq_unreliable", *spot_columns[2:]])
    lq = intermediates.read_lq(
        paths, [*lq_columns, "lq_unreliable"], study_only=True, areas=area_codes
    ).astype({"area_code": str, "industry_code": str})
    spots = intermediates.read_hotspots(paths, spot_columns, areas=area_codes)
    spots = spots.astype({"area_code": str, "industry_code": str})
    return lq.merge(spots, on=["area_code", "industry_code"], how="left")


def _report(governed: pd.DataFrame, sites: dict[str, pd.DataFrame] | None) -> dict[str, object]:
    def count(column: str) -> int:
        return int(governed[column].fillna(False).astype(bool).sum()) if column in governed else 0

    report: dict[str, object] = {
        "clusters": len(governed),
        "findings_by_kind": (
            governed["kind"].value_counts().to_dict() if "kind" in governed else {}
        ),
        "straddles_districts": count("straddles_districts"),
        "straddles_counties": count("straddles_counties"),
        "straddles_regions": count("straddles_regions"),
        "governance_gaps": count("governance_gap"),
        "extent_straddles_districts": count("extent_straddles_districts"),
        "extent_straddles_counties": count("extent_straddles_counties"),
        "extent_governance_gaps": count("extent_governance_gap"),
        "edge": count("edge"),
        "ca_status": (
            governed["ca_status"].value_counts().to_dict() if "ca_status" in governed else {}
        ),
        "sites_assessed": 0,
    }
    if sites is not None:
        table = sites["sites"]
        report["sites_assessed"] = int((table["status"] != "outside_study_area").sum())
        report["sites"] = {
            str(row.site_key): {
                "status": row.status,
                "districts": getattr(row, "districts", None),
                "straddles_counties": bool(getattr(row, "straddles_counties", False)),
                "touches": getattr(row, "touches", None),
                "ca_status": getattr(row, "ca_status", None),
            }
            for row in table.itertuples()
        }
    return report
