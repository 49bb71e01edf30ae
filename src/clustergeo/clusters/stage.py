"""Stage 4, clusters: read the hot spots and LQs, find the clusters and concentrations.

Writes the findings with their core polygons (GeoParquet) and attributes (also as CSV), their
extent polygons, the member areas of each (core or extent), and a report of the rules applied
and the counts per industry.
"""

from __future__ import annotations

import json
import logging

import geopandas as gpd
import pandas as pd

from clustergeo.clusters.delineate import select_columns
from clustergeo.clusters.findings import build_findings
from clustergeo.config import RunConfig
from clustergeo.hotspots.weights import SpatialWeights
from clustergeo.industries import is_traded
from clustergeo.io import write_csv, write_json, write_parquet
from clustergeo.paths import RunPaths

__all__ = ["run"]

log = logging.getLogger(__name__)

_HOTSPOT_COLUMNS = [
    "area_code",
    "industry_code",
    "gi_star_z",
    "gi_star_p_fdr",
    "gi_star_class",
    "moran_quadrant",
    "moran_p_fdr",
    "moran_class",
]
_LQ_COLUMNS = [
    "area_code",
    "industry_code",
    "label",
    "kind",
    "employment",
    "area_total",
    "reference_share",
    "lq",
    "lq_lower",
    "lq_unreliable",
]


def run(config: RunConfig) -> RunPaths:
    """Delineate the clusters of every industry or cluster definition and write them."""
    paths = RunPaths.for_config(config)
    settings = config.clusters
    areas = gpd.read_parquet(paths.areas)
    study = areas.loc[areas["in_study_area"]].reset_index(drop=True)
    lq = pd.read_parquet(paths.lq, columns=[*_LQ_COLUMNS, "in_study_area"])
    lq = lq.loc[lq["in_study_area"], _LQ_COLUMNS]
    hotspots = pd.read_parquet(paths.hotspots, columns=_HOTSPOT_COLUMNS)
    hotspots = hotspots.astype({"area_code": str, "industry_code": str})
    results = lq.merge(hotspots, on=["area_code", "industry_code"], how="left")
    weights_report = json.loads(paths.hotspots_report.read_text(encoding="utf-8"))["weights"]
    weights = SpatialWeights.from_links(
        pd.read_parquet(paths.weights), areas["area_code"].to_numpy(), weights_report["method"]
    )
    kinds = lq.drop_duplicates("industry_code").set_index("industry_code")["kind"]
    columns = select_columns(kinds, settings.of)
    definitions = json.loads(paths.industries.read_text(encoding="utf-8"))["cluster_definitions"]
    traded = {str(code): is_traded([str(code)]) for code in kinds.index[kinds == "industry"]}
    traded |= {d["key"]: bool(d.get("traded", True)) for d in definitions}
    reference = json.loads(paths.concentration_report.read_text(encoding="utf-8"))

    found = build_findings(
        results,
        study,
        weights,
        settings,
        columns,
        traded=traded,
        reference_total=float(reference["reference_total"]),
        confidence_level=config.concentration.confidence_level,
    )
    clusters = found.findings
    if not clusters.empty:
        lonlat = gpd.GeoSeries.from_xy(
            clusters["centroid_x"], clusters["centroid_y"], crs=clusters.crs
        ).to_crs("EPSG:4326")
        clusters["centroid_lon"] = lonlat.x.round(5)
        clusters["centroid_lat"] = lonlat.y.round(5)
    for code, counts in found.report["per_industry"].items():
        log.debug("Clusters of %s: %s", code, counts)
    log.info(
        "%d clusters and %d concentrations in %d industries (%s membership, core LQ %g)",
        found.report["clusters"],
        found.report["concentrations_found"],
        clusters["industry_code"].nunique() if not clusters.empty else 0,
        settings.membership,
        settings.min_lq,
    )
    if found.report["non_traded_left_out"]:
        log.info(
            "Left out as local-serving (set clusters.include_non_traded to list them): %s",
            found.report["non_traded_left_out"],
        )
    write_parquet(clusters, paths.clusters)
    write_csv(pd.DataFrame(clusters.drop(columns="geometry")), paths.clusters_csv)
    write_parquet(found.extents, paths.cluster_extents)
    write_parquet(found.members, paths.cluster_members)
    write_json(
        {"stage": "clusters", "of": settings.of, "columns": columns, **found.report},
        paths.clusters_report,
    )
    return paths
