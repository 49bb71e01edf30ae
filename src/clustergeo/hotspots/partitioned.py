"""Hot spots on a Dask cluster: the industries split into tasks, the weights sent once.

Each task runs :func:`~clustergeo.hotspots.engine.local_hotspots` on a block of industries
(``compute.industries_per_task`` columns). Every statistic of an industry depends only on that
industry's column, and the permutation draws only on the areas and the seed, so a task's rows
are bit for bit those of the in-process run; the blocks are put back in the in-process row
order. A correction over all area x industry tests (``correction_scope: all``) needs every
p-value at once: the tasks then leave their p-values uncorrected and the client corrects and
classifies the whole table (:func:`~clustergeo.hotspots.engine.correct_pooled`).

The weights are scattered to every worker once (``broadcast``), not sent with each task, under
a key of their own each call (``hash=False``): a content key scattered again just after the
previous call released it can be lost on the way (dask/distributed#8576), failing a task with
"lost dependencies". Every scatter of the package does the same.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from clustergeo.compute import kernel_threads, set_kernel_threads
from clustergeo.config import HotspotsConfig
from clustergeo.hotspots.engine import (
    _FLOAT_COLUMNS,
    HotspotResult,
    _code_dtype,
    _result_table,
    correct_pooled,
    local_hotspots,
    log_policies,
    policies_of,
)
from clustergeo.hotspots.weights import SpatialWeights
from clustergeo.vocab import GI_STAR_CLASSES

if TYPE_CHECKING:
    from distributed import Client

__all__ = ["column_blocks", "hotspots_on", "partitioned_hotspots"]

log = logging.getLogger(__name__)

_CODED_COLUMNS = ("gi_star_class", "moran_quadrant", "moran_class")


def column_blocks(columns: Sequence[object], size: int) -> list[slice]:
    """Consecutive blocks of at most ``size`` columns."""
    return [slice(start, min(start + size, len(columns))) for start in range(0, len(columns), size)]


def _task(
    values: pd.DataFrame,
    weights: SpatialWeights,
    settings: HotspotsConfig,
    report_for: Collection[str] | None,
    threads: dict[str, int],
) -> HotspotResult:
    set_kernel_threads(threads)
    return local_hotspots(values, weights, settings, report_for=report_for)


def _assemble(parts: list[pd.DataFrame], blocks: list[slice], columns: pd.Index) -> pd.DataFrame:
    """The in-process table (rows area-major, industries in ``columns`` order) from the parts."""
    n_columns = len(columns)
    n_reported = len(parts[0]) // (blocks[0].stop - blocks[0].start)
    block = np.empty((n_reported * n_columns, len(_FLOAT_COLUMNS)), order="F")
    coded = {name: np.empty((n_reported, n_columns), dtype=np.int8) for name in _CODED_COLUMNS}
    for part, where in zip(parts, blocks, strict=True):
        width = where.stop - where.start
        for position, name in enumerate(_FLOAT_COLUMNS):
            target = block[:, position].reshape(n_reported, n_columns)
            target[:, where] = part[name].to_numpy().reshape(n_reported, width)
        for name in _CODED_COLUMNS:
            coded[name][:, where] = part[name].cat.codes.to_numpy().reshape(n_reported, width)
    first = parts[0]
    area = first["area_code"].cat
    labels = columns.to_numpy().astype(str)
    industries = np.unique(labels)
    codes = {
        "area_code": (
            np.repeat(area.codes.to_numpy()[:: blocks[0].stop - blocks[0].start], n_columns),
            area.categories.to_numpy(),
        ),
        "industry_code": (
            np.tile(
                np.searchsorted(industries, labels).astype(_code_dtype(len(industries))), n_reported
            ),
            industries,
        ),
    }
    for name in _CODED_COLUMNS:
        codes[name] = (coded[name], first[name].cat.categories.to_numpy())
    return _result_table(block, codes)


def _merged_report(
    reports: list[dict[str, Any]], settings: HotspotsConfig, table: pd.DataFrame
) -> dict[str, object]:
    report = dict(reports[0])
    report["correction"] = settings.correction
    report.update(policies_of(reports))
    counts = np.bincount(table["gi_star_class"].cat.codes, minlength=len(GI_STAR_CLASSES))
    hot = [c.startswith("hot") for c in GI_STAR_CLASSES]
    cold = [c.startswith("cold") for c in GI_STAR_CLASSES]
    report["hot_spots"] = int(counts[hot].sum())
    report["cold_spots"] = int(counts[cold].sum())
    return report


def partitioned_hotspots(
    values: pd.DataFrame,
    weights: SpatialWeights,
    settings: HotspotsConfig,
    client: Client,
    *,
    report_for: Collection[str] | None = None,
    industries_per_task: int = 64,
) -> HotspotResult:
    """:func:`~clustergeo.hotspots.engine.local_hotspots` computed by the workers of ``client``.

    Same arguments and the same result, bit for bit; ``industries_per_task`` columns go to
    each task.
    """
    from distributed import as_completed

    if values.shape[1] == 0:
        return local_hotspots(values, weights, settings, report_for=report_for)
    pooled = settings.correction_scope == "all" and settings.correction != "none"
    task_settings = settings.model_copy(update={"correction": "none"}) if pooled else settings
    blocks = column_blocks(list(values.columns), industries_per_task)
    threads = kernel_threads(client)
    shared_weights = client.scatter(weights, broadcast=True, hash=False)
    study = None if report_for is None else sorted(map(str, report_for))
    futures = {
        client.submit(
            _task,
            client.scatter(values.iloc[:, where], hash=False),
            shared_weights,
            task_settings,
            study,
            threads,
            pure=False,
        ): index
        for index, where in enumerate(blocks)
    }
    results: list[HotspotResult | None] = [None] * len(blocks)
    for done, future in enumerate(as_completed(futures), start=1):
        results[futures[future]] = future.result()
        future.release()
        log.info("Hot spots on Dask: %d of %d tasks done", done, len(blocks))
    finished = [result for result in results if result is not None]
    table = _assemble([r.table for r in finished], blocks, values.columns)
    if pooled:
        correct_pooled(table, settings)
    report = _merged_report([r.report for r in finished], settings, table)
    log_policies(report)
    return HotspotResult(table=table, report=report)


def hotspots_on(
    client: Client | None,
    values: pd.DataFrame,
    weights: SpatialWeights,
    settings: HotspotsConfig,
    *,
    report_for: Collection[str] | None = None,
    industries_per_task: int = 64,
) -> HotspotResult:
    """Hot spots in this process (``client`` None) or on the workers of ``client``."""
    if client is None:
        return local_hotspots(values, weights, settings, report_for=report_for)
    return partitioned_hotspots(
        values,
        weights,
        settings,
        client,
        report_for=report_for,
        industries_per_task=industries_per_task,
    )
