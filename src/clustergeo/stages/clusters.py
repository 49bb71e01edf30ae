"""Stage 4, clusters: read the hot spots and LQs, find the clusters and concentrations.

Writes the findings with their core polygons (GeoParquet) and attributes (also as CSV), their
extent polygons, the member areas of each (core or extent), and a report of the rules applied
and the counts per industry.
"""

from __future__ import annotations

import logging

import pandas as pd

from clustergeo.clusters.delineate import select_columns
from clustergeo.clusters.findings import build_findings, with_centroid_lon_lat
from clustergeo.config import RunConfig
from clustergeo.io import write_csv, write_json, write_parquet
from clustergeo.stages import intermediates
from clustergeo.stages import registry as r
from clustergeo.stages.paths import RunPaths

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


def run(config: RunConfig) -> None:
    """Delineate the clusters of every industry or cluster definition and write them."""
    paths = RunPaths.for_config(config)
    settings = config.clusters
    areas = intermediates.read_areas(paths)
    study = areas.loc[areas["in_study_area"]].reset_index(drop=True)
    lq = intermediates.read_lq(paths, _LQ_COLUMNS, study_only=True)
    hotspots = intermediates.read_hotspots(paths, _HOTSPOT_COLUMNS)
    hotspots = hotspots.astype({"area_code": str, "industry_code": str})
    results = lq.merge(hotspots, on=["area_code", "industry_code"], how="left")
    weights = intermediates.read_weights(paths, areas["area_code"].to_numpy())
    kinds = lq.drop_duplicates("industry_code").set_index("industry_code")["kind"]
    columns = select_columns(kinds, settings.of)
    traded = intermediates.read_industries(paths).traded

    found = build_findings(
        results,
        study,
        weights,
        settings,
        columns,
        traded=traded,
        reference_total=intermediates.read_lq_reference(paths).total,
        confidence_level=config.concentration.confidence_level,
        values_are_counts=intermediates.read_inputs_record(paths).counts_people,
    )
    clusters = with_centroid_lon_lat(found.findings)
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
    left_out = {code: n for code, n in found.report["non_traded_left_out"].items() if n}
    if left_out:
        log.info(
            "Left out as local-serving (set clusters.include_non_traded to list them): %s",
            "; ".join(
                f"{code} ({n} finding{'' if n == 1 else 's'})" for code, n in left_out.items()
            ),
        )
    write_parquet(clusters, paths[r.CLUSTERS])
    write_csv(pd.DataFrame(clusters.drop(columns="geometry")), paths[r.CLUSTERS_CSV])
    write_parquet(found.extents, paths[r.CLUSTER_EXTENTS])
    write_parquet(found.members, paths[r.CLUSTER_MEMBERS])
    write_json(
        {"stage": "clusters", "of": settings.of, "columns": columns, **found.report},
        paths[r.CLUSTERS_REPORT],
    )
