"""Stage 3, hotspots: weights once per run, then Gi*, Gi and Local Moran for every industry.

Reads the areas and the location quotients; writes the per area x industry results (Parquet
and CSV), global Moran's I and General G per industry, the weights as links (the cluster
stage joins neighbours with them), the weights audit (neighbours, islands, components) and a
report.
"""

from __future__ import annotations

import logging
import time

from clustergeo.compute import dask_client
from clustergeo.config import RunConfig
from clustergeo.hotspots.global_statistics import global_statistics
from clustergeo.hotspots.partitioned import hotspots_on
from clustergeo.hotspots.permutation_floor import (
    correction_tests,
    enough_permutations,
    permutations_for,
    warn_floor_limits,
)
from clustergeo.hotspots.variables import analysed_values
from clustergeo.hotspots.weights import configured_weights
from clustergeo.io import write_csv, write_json, write_parquet
from clustergeo.stages import intermediates
from clustergeo.stages import registry as r
from clustergeo.stages.paths import RunPaths
from clustergeo.vocab import REPEATING_P_COLUMNS

__all__ = ["run"]

log = logging.getLogger(__name__)


def run(config: RunConfig) -> None:
    """Build the weights, compute every local statistic and write the results."""
    paths = RunPaths.for_config(config)
    areas = intermediates.read_areas(paths)
    lq = intermediates.read_lq(paths)
    values = analysed_values(lq, areas, config.hotspots.variable)

    started = time.perf_counter()
    weights = configured_weights(areas, config.hotspots.weights)
    study = areas.loc[areas["in_study_area"], "area_code"] if "in_study_area" in areas else None
    reported = values if study is None else values.loc[values.index.isin(study)]
    tests = correction_tests(config.hotspots, reported.notna().sum())
    settings = enough_permutations(config.hotspots, tests)
    with dask_client(config.compute) as client:
        result = hotspots_on(
            client,
            values,
            weights,
            settings,
            report_for=study,
            industries_per_task=config.compute.industries_per_task,
        )
    kinds = lq.drop_duplicates("industry_code").set_index("industry_code")["kind"]
    labels = lq.drop_duplicates("industry_code").set_index("industry_code")["label"]
    table = result.table
    table.insert(2, "kind", table["industry_code"].map(kinds))
    table.insert(3, "label", table["industry_code"].map(labels))
    overall = global_statistics(
        values,
        weights,
        transform=settings.weights.transform,
        permutations=settings.global_permutations,
        seed=settings.seed,
        alternative=settings.alternative,
        report_for=study,
    )
    overall.insert(1, "kind", overall["industry_code"].map(kinds))
    overall.insert(2, "label", overall["industry_code"].map(labels))
    elapsed = time.perf_counter() - started
    log.info(
        "Hot spots for %d areas x %d industries in %.1f s (%d permutations)",
        values.shape[0],
        values.shape[1],
        elapsed,
        settings.permutations,
    )

    limits = warn_floor_limits(table, settings, at_least=permutations_for(settings, tests))

    write_parquet(table, paths[r.HOTSPOTS], dictionary_floats=REPEATING_P_COLUMNS)
    write_csv(table, paths[r.HOTSPOTS_CSV])
    write_parquet(overall, paths[r.GLOBAL_STATISTICS])
    write_csv(overall, paths[r.GLOBAL_STATISTICS_CSV])
    write_parquet(weights.audit(), paths[r.WEIGHTS_AUDIT])
    intermediates.write_weights(paths, weights)
    write_json(
        {
            "stage": "hotspots",
            "weights": weights.summary(),
            "statistics": result.report,
            "permutation_floor": [limit.to_record() for limit in limits],
            "permutations_configured": config.hotspots.permutations,
            "global_permutations": settings.global_permutations,
            "backend": config.compute.backend,
        },
        paths[r.HOTSPOTS_REPORT],
    )
