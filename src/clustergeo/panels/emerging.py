r"""A national panel's emerging hot spots: a block of industries at a time, the years streamed.

With an ``emerging:`` section, ``clustergeo panel`` adds, after the yearly hot spots, the
emerging-hot-spot category (:mod:`clustergeo.hotspots.emerging`) of every area x industry
over the panel's years. It works on the yearly parts
(``hotspots/year=<year>/part-<block>.parquet``), one block of industries per task:

1. **Time-lagged Gi\*** (``time_lag: true``), a task per year after the first and block: the
   block's values (LQs) of that year and the year before, read from the parts' ``value``
   column, go through :func:`~clustergeo.hotspots.emerging.space_time_hotspots`; the result is
   written to ``emerging/lagged/year=<year>/part-<block>.parquet`` (``gi_star_z``,
   ``gi_star_p_fdr``, ``gi_star_class`` and the values). Without a time lag, and for the first
   year, the yearly Gi* of the panel is used as it is: the same numbers
   :func:`~clustergeo.hotspots.emerging.emerging_hot_spots` computes.
2. **Categories**, a task per block: the block's Gi* parts of every year are read side by
   side, :data:`BATCH_ROWS` rows at a time (every year's part of a block has the same rows in
   the same order). Each batch's years x rows of z and significance go through the
   Mann-Kendall test and the classification, and are appended to
   ``emerging/part-<block>.parquet`` (the columns of
   :data:`~clustergeo.hotspots.emerging.EMERGING_COLUMNS`).

Memory is flat in the number of years: a categories task holds years x :data:`BATCH_ROWS`
numbers (9 years: 19 MB), never a year's results of all its areas; a time-lag task holds two
years of one block, like a yearly hot-spot task. On Dask the lagged Gi* of every year and
block run as parallel tasks and each block's categories wait for their own block only.
``emerging/_summary.csv`` (and ``emerging_summary.csv`` beside the panel's ``summary.csv``)
counts the areas of each category per industry.

Every part is written atomically. A run that stops part-way leaves whole parts and
``emerging/_STARTED.json`` (the digest of the years and settings); a re-run with the same
digest keeps those parts, counts a finished block's categories from its part, and computes only
the blocks and lagged years that are missing. Another digest starts the folder afresh.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from clustergeo._errors import InputDataError
from clustergeo.compute import kernel_threads, set_kernel_threads
from clustergeo.config import EmergingConfig, HotspotsConfig
from clustergeo.hotspots.emerging import (
    emerging_cells,
    emerging_frame,
    gi_star_settings,
    space_time_hotspots,
    space_time_weights,
    year_states,
)
from clustergeo.hotspots.weights import SpatialWeights
from clustergeo.io import atomic_path, parquet_rows, write_parquet
from clustergeo.panels.employment import CodePositions, code_positions
from clustergeo.vocab import EMERGING_CLASSES, GI_STAR_CLASSES

if TYPE_CHECKING:
    from distributed import Client, Future

__all__ = ["BATCH_ROWS", "EmergingWork", "read_panel_emerging", "run_emerging"]

log = logging.getLogger(__name__)

#: Rows of a block read at once from each year's part by the categories task.
BATCH_ROWS = 1 << 17

_CODES = ["area_code", "industry_code"]
_GI_STAR = ["gi_star_z", "gi_star_p_fdr"]
_LAGGED = ["area_code", "industry_code", "value", "gi_star_z", "gi_star_p_fdr", "gi_star_class"]


@dataclass(frozen=True)
class EmergingWork:
    """Where a panel's emerging hot spots read and write, and what they need."""

    years: list[int]
    hotspot_folders: dict[int, Path]
    folder: Path
    industries: list[str]
    blocks: list[slice]
    weights: SpatialWeights
    settings: HotspotsConfig
    emerging: EmergingConfig

    def hotspot_part(self, year: int, block: int) -> Path:
        """A block's yearly hot spots (written by the panel)."""
        return self.hotspot_folders[year] / f"part-{block:05d}.parquet"

    def lagged_part(self, year: int, block: int) -> Path:
        """A block's time-lagged Gi* of a year."""
        return self.folder / "lagged" / f"year={year}" / f"part-{block:05d}.parquet"

    def sources(self, block: int) -> list[Path]:
        """The Gi* parts a block's categories are read from, one per year in order."""
        first = self.years[0]
        return [
            self.lagged_part(year, block)
            if self.emerging.time_lag and year != first
            else self.hotspot_part(year, block)
            for year in self.years
        ]

    def lagged_todo(self, block: int) -> list[tuple[int, int]]:
        """The (previous, year) pairs whose lagged Gi* of ``block`` is not written yet."""
        return [
            (previous, year)
            for previous, year in zip(self.years, self.years[1:], strict=False)
            if parquet_rows(self.lagged_part(year, block)) is None
        ]

    def part(self, block: int) -> Path:
        """Where a block's categories go."""
        return self.folder / f"part-{block:05d}.parquet"

    def finished(self, block: int) -> bool:
        """Whether a block's categories are written and whole (their footer reads)."""
        return parquet_rows(self.part(block)) is not None

    def block_industries(self, block: int) -> list[str]:
        """The industries of a block, in the panel's order."""
        return self.industries[self.blocks[block]]


def _out_of_step(path: Path) -> InputDataError:
    return InputDataError(
        f"{path} does not hold the rows of the other years' parts of its block (a part left "
        "by an older run?). Delete the panel's output folder and run the panel again."
    )


def _block_values(path: Path, areas: pa.Array, industries: list[str]) -> pd.DataFrame:
    """A block's values (areas x industries) from one of its yearly parts."""
    table = pq.read_table(path, columns=["area_code", "industry_code", "value"])
    rows = code_positions(table.column("area_code"), areas)
    cols = code_positions(table.column("industry_code"), pa.array(industries))
    if (rows < 0).any() or (cols < 0).any() or len(rows) != len(areas) * len(industries):
        raise _out_of_step(path)
    matrix = np.full((len(areas), len(industries)), np.nan)
    matrix[rows, cols] = table.column("value").to_numpy(zero_copy_only=False)
    return pd.DataFrame(
        matrix, index=pd.Index(areas.to_numpy(zero_copy_only=False)), columns=industries
    )


def _lagged_part(  # noqa: PLR0917 -- a Dask task's arguments are positional
    current: Path,
    previous: Path,
    target: Path,
    space_time: SpatialWeights,
    settings: HotspotsConfig,
    industries: list[str],
    threads: dict[str, int] | None = None,
) -> None:
    """A block's Gi* of one year with the year before as neighbours, written to ``target``."""
    if threads is not None:
        set_kernel_threads(threads)
    n = space_time.n // 2
    ids = np.asarray(space_time.ids[:n]).astype(str)
    areas = pa.array(ids)
    table = space_time_hotspots(
        _block_values(current, areas, industries),
        _block_values(previous, areas, industries),
        space_time,
        gi_star_settings(settings),
        # The year's own hot spots said them already.
        say_policies=False,
    ).table
    # Reported rows are this year's areas, the first n of the space-time weights.
    area_code = pd.Categorical.from_codes(
        table["area_code"].cat.codes.to_numpy(),
        dtype=pd.CategoricalDtype(pd.Index(ids)),
        validate=False,
    )
    lagged = table[_LAGGED[1:]].copy()
    lagged.insert(0, "area_code", pd.Series(area_code, copy=False))
    write_parquet(lagged, target, dictionary_floats=["gi_star_p_fdr"])


def _lockstep(
    files: list[pq.ParquetFile], columns: list[list[str]]
) -> Iterator[list[pa.RecordBatch]]:
    """The same rows of every file, :data:`BATCH_ROWS` at a time."""
    readers = [
        file.iter_batches(batch_size=BATCH_ROWS, columns=wanted)
        for file, wanted in zip(files, columns, strict=True)
    ]
    while True:
        batches = [next(reader, None) for reader in readers]
        if all(batch is None for batch in batches):
            return
        yield [batch if batch is not None else pa.RecordBatch.from_pylist([]) for batch in batches]


def _categories_part(  # noqa: PLR0917 -- a Dask task's arguments are positional
    sources: list[Path],
    years: list[int],
    area_ids: np.ndarray,
    industries: list[str],
    alpha: float,
    target: Path,
    *_after: object,
) -> pd.DataFrame:
    """A block's categories from its Gi* parts, streamed; returns its counts per industry.

    ``_after`` are the (Dask) results of the lagged Gi* this block waits for.
    """
    area_dtype = pd.CategoricalDtype(pd.Index(np.asarray(area_ids).astype(str)))
    industry_dtype = pd.CategoricalDtype(sorted(industries))
    area_positions = CodePositions(pa.array(np.asarray(area_ids).astype(str)))
    industry_positions = CodePositions(pa.array(list(industry_dtype.categories)))
    class_positions = CodePositions(pa.array(list(GI_STAR_CLASSES)))
    files = [pq.ParquetFile(path) for path in sources]
    if len({file.metadata.num_rows for file in files}) != 1:
        raise _out_of_step(sources[-1])
    wanted = [[*_CODES, *_GI_STAR] for _ in files]
    wanted[-1].append("gi_star_class")
    counts = np.zeros((len(industries), len(EMERGING_CLASSES)), dtype=np.int64)
    writer: pq.ParquetWriter | None = None
    with atomic_path(target) as temporary:
        try:
            for batches in _lockstep(files, wanted):
                first = batches[0]
                for batch, path in zip(batches[1:], sources[1:], strict=True):
                    same = len(batch) == len(first) and all(
                        batch.column(name).equals(first.column(name)) for name in _CODES
                    )
                    if not same:
                        raise _out_of_step(path)
                z = np.stack(
                    [b.column("gi_star_z").to_numpy(zero_copy_only=False) for b in batches]
                )
                p = np.stack(
                    [b.column("gi_star_p_fdr").to_numpy(zero_copy_only=False) for b in batches]
                )
                cells = emerging_cells(z, year_states(z, p, alpha=alpha), alpha=alpha)
                area = area_positions(first.column("area_code"))
                industry = industry_positions(first.column("industry_code"))
                final = class_positions(batches[-1].column("gi_star_class"))
                frame = emerging_frame(
                    pd.Categorical.from_codes(area, dtype=area_dtype, validate=False),
                    pd.Categorical.from_codes(industry, dtype=industry_dtype, validate=False),
                    cells,
                    pd.Categorical.from_codes(
                        final, dtype=pd.CategoricalDtype(list(GI_STAR_CLASSES)), validate=False
                    ),
                    years,
                )
                counts += np.bincount(
                    industry * len(EMERGING_CLASSES) + cells.codes,
                    minlength=counts.size,
                ).reshape(counts.shape)
                table = pa.Table.from_pandas(frame, preserve_index=False)
                if writer is None:
                    writer = pq.ParquetWriter(temporary, table.schema)
                writer.write_table(table)
        finally:
            if writer is not None:
                writer.close()
    log.info("Wrote %s (%d rows)", target, int(counts.sum()))
    return _counts_frame(counts, list(industry_dtype.categories))


def _counts_frame(counts: np.ndarray, industries: list[str]) -> pd.DataFrame:
    """Industries (sorted) x categories counts as the summary's rows."""
    summary = pd.DataFrame(counts, columns=list(EMERGING_CLASSES))
    summary.insert(0, "industry_code", industries)
    return summary


def _finished_part_summary(path: Path, industries: list[str]) -> pd.DataFrame:
    """The counts of a part an earlier, interrupted run of the same digest finished.

    Reads its two code columns only; parts are written atomically, so one that exists is whole.
    """
    sorted_industries = sorted(industries)
    table = pq.read_table(path, columns=["industry_code", "category"])
    industry = code_positions(table.column("industry_code"), pa.array(sorted_industries))
    category = code_positions(table.column("category"), pa.array(list(EMERGING_CLASSES)))
    if (industry < 0).any() or (category < 0).any():
        raise _out_of_step(path)
    width = len(EMERGING_CLASSES)
    counts = np.bincount(industry * width + category, minlength=len(industries) * width)
    return _counts_frame(counts.reshape(len(industries), width), sorted_industries)


def _submit_dask(work: EmergingWork, client: Client) -> list[Future]:
    """Every lagged Gi* and categories task of the panel, as Dask futures (one per block)."""
    threads = kernel_threads(client)
    area_ids = client.scatter(np.asarray(work.weights.ids).astype(str), broadcast=True, hash=False)
    space_time = (
        client.scatter(space_time_weights(work.weights), broadcast=True, hash=False)
        if work.emerging.time_lag
        else None
    )
    futures = []
    for block in range(len(work.blocks)):
        if work.finished(block):
            futures.append(
                client.submit(
                    _finished_part_summary,
                    work.part(block),
                    work.block_industries(block),
                    pure=False,
                )
            )
            continue
        lagged = [
            client.submit(
                _lagged_part,
                work.hotspot_part(year, block),
                work.hotspot_part(previous, block),
                work.lagged_part(year, block),
                space_time,
                work.settings,
                work.block_industries(block),
                threads,
                pure=False,
            )
            for previous, year in work.lagged_todo(block)
            if space_time is not None
        ]
        futures.append(
            client.submit(
                _categories_part,
                work.sources(block),
                work.years,
                area_ids,
                work.block_industries(block),
                work.emerging.alpha,
                work.part(block),
                *lagged,
                pure=False,
            )
        )
    return futures


def run_emerging(work: EmergingWork, client: Client | None) -> pd.DataFrame:
    """Every block's categories (and lagged Gi*), in this process or on ``client``'s workers.

    Returns the counts of each category per industry (industries in sorted order).
    """
    summaries: list[pd.DataFrame] = []
    if client is None:
        space_time = space_time_weights(work.weights) if work.emerging.time_lag else None
        area_ids = np.asarray(work.weights.ids).astype(str)
        for block in range(len(work.blocks)):
            if work.finished(block):
                summaries.append(
                    _finished_part_summary(work.part(block), work.block_industries(block))
                )
                continue
            if space_time is not None:
                for previous, year in work.lagged_todo(block):
                    _lagged_part(
                        work.hotspot_part(year, block),
                        work.hotspot_part(previous, block),
                        work.lagged_part(year, block),
                        space_time,
                        work.settings,
                        work.block_industries(block),
                    )
            summaries.append(
                _categories_part(
                    work.sources(block),
                    work.years,
                    area_ids,
                    work.block_industries(block),
                    work.emerging.alpha,
                    work.part(block),
                )
            )
    else:
        from distributed import as_completed

        futures = _submit_dask(work, client)
        for done, future in enumerate(as_completed(futures), start=1):
            summaries.append(future.result())
            future.release()
            log.info("Emerging hot spots on Dask: %d of %d blocks done", done, len(futures))
    summary: pd.DataFrame = pd.concat(summaries).sort_values("industry_code", ignore_index=True)
    return summary


def read_panel_emerging(output_dir: Path, columns: list[str] | None = None) -> pd.DataFrame:
    """A panel's emerging-hot-spot table, sorted by industry then area (codes as text)."""
    import pyarrow.dataset as ds

    dataset = ds.dataset(sorted((output_dir / "emerging").glob("part-*.parquet")), format="parquet")
    table: Any = dataset.to_table(columns=columns).to_pandas()
    for column in ("area_code", "industry_code"):
        if column in table:
            table[column] = table[column].astype(str)
    keys = [c for c in ("industry_code", "area_code") if c in table]
    ordered: pd.DataFrame = table.sort_values(keys, ignore_index=True) if keys else table
    return ordered
