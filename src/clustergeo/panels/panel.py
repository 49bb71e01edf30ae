"""A national panel: location quotients and hot spots for every area x industry x year.

For a table too big for the region pipeline (every LSOA of Great Britain x SIC 5-digit
classes x a run of BRES years), ``clustergeo panel CONFIG`` runs the expensive part of the
pipeline, year by year and industry block by industry block:

1. the weights are built once from the boundaries (and sent once to every Dask worker);
2. each year's employment is streamed from Parquet into an areas x industries matrix
   (:mod:`clustergeo.panels.employment`) and turned into LQs :math:`(e_{ij}/e_i)/(E_j/E)`
   against the whole table of that year (suppressed cells count in neither total);
3. Gi*, Gi and Local Moran's I with permutation inference and a per-industry FDR run on
   blocks of ``compute.industries_per_task`` industries, each block written to its own
   Parquet part: ``hotspots/year=<year>/part-<block>.parquet``.

With ``compute.backend: local`` the blocks run one after the other in this process (numba
uses every core within a block) while a second thread writes the block before, so memory
holds a year's LQs and two blocks' results. On
Dask, a year's LQ matrix is built on one worker and each block is a task. Either way the part
files hold the same numbers to the bit: the same engine on the same columns, with draws that
depend only on the areas and the seed. Read them with ``pandas.read_parquet(<output>/hotspots)``
or any Parquet reader; ``summary.csv`` counts hot and cold spots per year and industry.

A finished year leaves ``_SUCCESS.json`` beside its parts, with a digest of the inputs and
settings; a re-run skips years whose digest still matches and redoes the others. The emerging
hot spots resume block by block (:mod:`clustergeo.panels.emerging`).

With an ``emerging:`` section the panel then classifies every area x industry's trend over
its years (new, intensifying, persistent, ... hot and cold spots) from those parts, a block at
a time with the years streamed (:mod:`clustergeo.panels.emerging`): ``emerging/part-<block>
.parquet``, read with :func:`~clustergeo.panels.emerging.read_panel_emerging`, and
``emerging_summary.csv``. It is redone when a year or its own settings change.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from clustergeo._errors import ConfigError, InputDataError
from clustergeo.compute import dask_client, describe_client, kernel_threads, set_kernel_threads
from clustergeo.concentration import lq_matrix
from clustergeo.config import EmergingConfig, HotspotsConfig, PanelConfig
from clustergeo.hotspots.emerging import log_what_years_allow
from clustergeo.hotspots.engine import local_hotspots, log_policies, policies_of
from clustergeo.hotspots.partitioned import column_blocks
from clustergeo.hotspots.permutation_floor import (
    FloorLimit,
    correction_tests,
    enough_permutations,
    floor_limits,
    log_floor_limit,
    merged_floor_limits,
    permutations_for,
)
from clustergeo.hotspots.weights import SpatialWeights, configured_weights
from clustergeo.io import parquet_rows, write_csv, write_json, write_parquet
from clustergeo.panels.emerging import EmergingWork, run_emerging
from clustergeo.panels.employment import EmploymentPanel, open_panel
from clustergeo.stages.manifest import code_digest
from clustergeo.vocab import GI_STAR_CLASSES, GI_STAR_HOT_CLASSES, REPEATING_P_COLUMNS

if TYPE_CHECKING:
    import geopandas as gpd
    from distributed import Client

__all__ = ["PanelRun", "read_panel_hotspots", "run_panel", "year_lq"]

log = logging.getLogger(__name__)

_HOT = list(GI_STAR_HOT_CLASSES)
_COLD = [c for c in GI_STAR_CLASSES if c.startswith("cold")]


@dataclass(frozen=True)
class PanelRun:
    """What a panel run produced."""

    output_dir: Path
    years: list[int]
    summary: pd.DataFrame
    report: dict[str, Any]
    #: Areas of each emerging-hot-spot category per industry (None without ``emerging``).
    emerging: pd.DataFrame | None = None


def year_lq(panel: EmploymentPanel, year: int, area_codes: pd.Index) -> pd.DataFrame:
    """Location quotients of ``year``, areas x industries, against that year's whole table."""
    counts = panel.year_matrix(year, area_codes)
    e_ij = counts.to_numpy()
    area_totals = np.nansum(e_ij, axis=1)[:, None]
    industry_totals = np.nansum(e_ij, axis=0)[None, :]
    total = float(industry_totals.sum())
    if total <= 0:
        raise InputDataError(f"{panel.path}: no employment at all in {year}.")
    lq = lq_matrix(e_ij, area_totals, industry_totals / total)
    return pd.DataFrame(lq, index=counts.index, columns=counts.columns)


def _summary(table: pd.DataFrame) -> pd.DataFrame:
    """Hot and cold spots (after correction) and Moran HH areas per industry.

    Counted on the categorical codes of the engine's table: a block's table has millions of
    rows, and making a string of each (as a group-by on text would) took longer than the
    block's hot spots.
    """
    industry = table["industry_code"].astype("category")
    codes = industry.cat.codes.to_numpy()
    groups = len(industry.cat.categories)

    def per_industry(mask: np.ndarray) -> np.ndarray:
        return np.bincount(codes[mask], minlength=groups)

    # Rows without an industry code (-1) are left out, as a group-by leaves them.
    coded = codes >= 0
    present = per_industry(coded) > 0
    counts = {
        "hot_spots": table["gi_star_class"].isin(_HOT).to_numpy() & coded,
        "cold_spots": table["gi_star_class"].isin(_COLD).to_numpy() & coded,
        "moran_hh": (table["moran_class"] == "HH").to_numpy() & coded,
        "tested": table["gi_star_p_fdr"].notna().to_numpy() & coded,
    }
    frame = pd.DataFrame(
        {
            "industry_code": np.asarray(industry.cat.categories.astype(str))[present],
            **{name: per_industry(mask)[present] for name, mask in counts.items()},
        }
    )
    return frame.sort_values("industry_code", ignore_index=True)


def _hotspot_block(
    values: pd.DataFrame, weights: SpatialWeights, settings: HotspotsConfig
) -> tuple[pd.DataFrame, pd.DataFrame, list[FloorLimit], dict[str, Any]]:
    """Hot spots of a block of industries: table, summary, floor limits and report.

    Each industry is corrected within its block, so the block's floor check is exact. The
    policies in the report are said once per year by the caller, not once per block.
    """
    result = local_hotspots(values, weights, settings, say_policies=False)
    limits = floor_limits(result.table, settings)
    return result.table, _summary(result.table), limits, result.report


def _write_part(table: pd.DataFrame, target: Path) -> None:
    write_parquet(table, target, dictionary_floats=REPEATING_P_COLUMNS)


def _hotspot_part(
    values: pd.DataFrame,
    weights: SpatialWeights,
    settings: HotspotsConfig,
    target: Path,
    threads: dict[str, int] | None = None,
) -> tuple[pd.DataFrame, list[FloorLimit], dict[str, Any]]:
    """Hot spots of a block of industries, written to ``target`` (a Dask task).

    Returns its summary, where too few permutations hid its findings and its report.
    """
    if threads is not None:
        set_kernel_threads(threads)
    table, summary, limits, report = _hotspot_block(values, weights, settings)
    _write_part(table, target)
    return summary, limits, report


def _columns(values: pd.DataFrame, where: slice) -> pd.DataFrame:
    return values.iloc[:, where]


def _digest(config: PanelConfig, panel: EmploymentPanel, year: int) -> str:
    """What a year's results depend on: settings, code, the boundary file and that year's data."""
    # A year=<year> folder holds that year alone; a single table holds every year.
    paths = [p for p in panel.dataset.files if f"year={year}" in Path(p).parts]
    files = sorted(
        f"{path}:{Path(path).stat().st_size}:{Path(path).stat().st_mtime_ns}"
        for path in paths or panel.dataset.files
    )
    areas = config.data_path(config.areas.path).stat()
    text = json.dumps(
        {
            "hotspots": config.hotspots.model_dump(mode="json"),
            "areas": [str(config.areas.model_dump(mode="json")), areas.st_size, areas.st_mtime_ns],
            "employment": files,
            "year": year,
            # The parts each hold a block of this many industries, named by block.
            "industries_per_task": config.compute.industries_per_task,
            "code": code_digest("panels/", "hotspots/", "concentration.py", "compute.py"),
        },
        sort_keys=True,
    )
    return hashlib.sha256(text.encode()).hexdigest()


def _emerging_digest(config: PanelConfig, digests: dict[int, str]) -> str:
    """What the emerging hot spots depend on: every year's results and their own settings."""
    emerging = config.emerging.model_dump(mode="json") if config.emerging else None
    text = json.dumps(
        {"years": [digests[year] for year in sorted(digests)], "emerging": emerging},
        sort_keys=True,
    )
    return hashlib.sha256(text.encode()).hexdigest()


def _done(folder: Path, digest: str) -> bool:
    """Whether ``folder`` holds finished results of ``digest``, every part of them whole."""
    marker = folder / "_SUCCESS.json"
    if not marker.exists():
        return False
    record = json.loads(marker.read_text(encoding="utf-8"))
    if record.get("digest") != digest:
        return False
    parts = record.get("parts")
    if not isinstance(parts, dict):
        return False
    broken = [name for name, rows in parts.items() if parquet_rows(folder / name) != rows]
    if broken:
        log.warning(
            "%s: %s missing or not whole since the run that wrote %s; computing again",
            folder,
            ", ".join(sorted(broken)),
            "it" if len(broken) == 1 else "them",
        )
        return False
    return True


def _parts_record(folder: Path) -> dict[str, int | None]:
    """Each part in ``folder`` (``part-*.parquet``) and its rows, for its ``_SUCCESS.json``."""
    return {path.name: parquet_rows(path) for path in sorted(folder.glob("part-*.parquet"))}


def _raised(config: PanelConfig, areas: int, industries: int) -> tuple[HotspotsConfig, int]:
    """The hot-spot settings with the permutations raised, and the permutations needed.

    Every area is tested in every industry: the design decides, not the data. The emerging
    phase reads the yearly Gi*, so where it is classified by permutation, the emerging
    alpha counts too.
    """
    settings = config.hotspots
    level = (
        config.emerging.alpha
        if config.emerging is not None and settings.gi_star_inference == "permutation"
        else None
    )
    tests = correction_tests(settings, np.full(industries, areas))
    return (
        enough_permutations(settings, tests, level=level),
        permutations_for(settings, tests, level=level),
    )


def _permutations_run(folders: Mapping[int, Path], configured: int) -> int:
    """The permutations the years were computed with (one digest, one setting, for all)."""
    for folder in folders.values():
        marker = folder / "_SUCCESS.json"
        if marker.exists():
            record = json.loads(marker.read_text(encoding="utf-8"))
            return int(record.get("permutations", configured))
    return configured


def _clear(folder: Path) -> None:
    if folder.exists():
        for path in folder.iterdir():
            path.unlink()


def _clear_tree(folder: Path) -> None:
    if folder.exists():
        shutil.rmtree(folder)


def _start_emerging(folder: Path, digest: str) -> None:
    """Keep the whole parts of an interrupted run with ``digest``; else start afresh."""
    marker = folder / "_STARTED.json"
    if marker.exists() and json.loads(marker.read_text(encoding="utf-8")).get("digest") == digest:
        log.info("Emerging hot spots: resuming, finished blocks are kept")
        return
    _clear_tree(folder)
    write_json({"digest": digest}, marker)


def _read_areas(config: PanelConfig) -> gpd.GeoDataFrame:
    from clustergeo.ingest.boundaries import check_distinct_areas, read_boundaries

    path = config.data_path(config.areas.path)
    read = read_boundaries(
        path,
        code_column=config.areas.code_column,
        layer=config.areas.layer,
        assume_crs=config.areas.crs,
    )
    # Areas dropped (no geometry, no area) or repaired: said, as the pipeline's report does.
    for note in read.notes:
        log.warning("%s", note)
    frame = read.frame
    check_distinct_areas(frame, path)
    return frame.rename(columns={"code": "area_code"}).reset_index(drop=True)


def _start_over(out: Path, year_folders: list[Path]) -> None:
    """Empty the folders of the years to redo, and remove the run's summaries.

    The summaries are written again at the end of the run: one that fails on the way leaves
    none that describe the years it was redoing.
    """
    for name in ("summary.csv", "emerging_summary.csv", "panel_report.json"):
        (out / name).unlink(missing_ok=True)
    for folder in year_folders:
        _clear(folder)


def _check_paths(config: PanelConfig) -> None:
    """Check the inputs exist, and refuse an output folder inside the employment folder.

    Inside it, the outputs would become files of the employment table on the next run.
    """
    config.check_inputs_exist()
    employment = config.data_path(config.employment).resolve()
    out = config.resolved_output_dir.resolve()
    if employment.is_dir() and out.is_relative_to(employment):
        raise ConfigError(
            f"output_dir {out} is inside the employment folder {employment}: the next run "
            "would read the panel's own outputs as employment. Choose an output_dir outside it."
        )


def _years(config: PanelConfig, panel: EmploymentPanel) -> list[int]:
    if not panel.years:
        raise InputDataError(f"{panel.path} has no rows: there is no year to analyse.")
    if config.years is None:
        return panel.years
    absent = sorted(set(config.years) - set(panel.years))
    if absent:
        raise InputDataError(
            f"{panel.path} has no rows for {', '.join(map(str, absent))}; its years are "
            f"{', '.join(map(str, panel.years))}. Fix 'years' in the panel config."
        )
    return list(config.years)


def _check_emerging_years(config: PanelConfig, panel: EmploymentPanel, years: list[int]) -> None:
    """Refuse fewer than 3 years; say what the years rule out (uneven spacing, too few)."""
    if config.emerging is not None and len(years) < 3:
        raise InputDataError(
            f"Emerging hot spots need at least 3 years for a trend; {panel.path} has "
            f"{', '.join(map(str, years))}. Add years to the table, or remove 'emerging' from "
            "the panel config."
        )
    if config.emerging is not None:
        log_what_years_allow(years, config.emerging.alpha, config.emerging.time_lag)


@dataclass(frozen=True)
class _PanelWork:
    """The years to compute and everything their blocks share."""

    panel: EmploymentPanel
    years: list[int]
    weights: SpatialWeights
    settings: HotspotsConfig
    folders: dict[int, Path]
    blocks: list[slice]
    #: Called with a year and its summary once all its parts are written.
    finish: Callable[[int, pd.DataFrame], None]
    #: Where too few permutations hid findings, as each block reports it.
    floor_limits: list[FloorLimit] = field(default_factory=list)
    #: The permutations the raise needed (:func:`permutations_for`): the least advised.
    needed: int = 0

    def part(self, year: int, block: int) -> Path:
        """Where a block's results go."""
        return self.folders[year] / f"part-{block:05d}.parquet"


def _run_local(work: _PanelWork) -> None:
    """The blocks one after another in this process (numba uses every core in each).

    Each block's table is written by a second thread while the next block is computed:
    Arrow writes a part (2.2 million rows for 64 industries) in about the time the block's
    hot spots take, mostly outside the interpreter lock. One part waits at most, so memory
    holds two blocks' tables.
    """
    area_codes = pd.Index(work.weights.ids)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="part-writer") as writer:
        pending: Future[None] | None = None
        try:
            for year in work.years:
                started = time.perf_counter()
                values = year_lq(work.panel, year, area_codes)
                summaries = []
                reports = []
                for i, where in enumerate(work.blocks):
                    table, summary, limits, report = _hotspot_block(
                        values.iloc[:, where], work.weights, work.settings
                    )
                    reports.append(report)
                    if pending is not None:
                        pending.result()
                    pending = writer.submit(_write_part, table, work.part(year, i))
                    del table
                    summaries.append(summary)
                    work.floor_limits.extend(limits)
                if pending is not None:
                    pending.result()
                    pending = None
                work.finish(year, pd.concat(summaries, ignore_index=True))
                log_policies(policies_of(reports), when=str(year))
                log.info(
                    "%d: %d industries in %.1f s",
                    year,
                    values.shape[1],
                    time.perf_counter() - started,
                )
        except BaseException as error:
            # The part being written when the run stopped: a failure of its own is told too.
            failed = pending.exception() if pending is not None else None
            if failed is not None and failed is not error:
                log.error("Writing a part failed as well: %s", failed)
            raise


def _run_dask(work: _PanelWork, client: Client) -> None:
    """Every year's LQ matrix and blocks as Dask tasks; a year is finished with its last part."""
    from distributed import as_completed

    threads = kernel_threads(client)
    shared_weights = client.scatter(work.weights, broadcast=True, hash=False)
    area_codes = pd.Index(work.weights.ids)
    tasks = {}
    for year in work.years:
        lq = client.submit(year_lq, work.panel, year, area_codes, pure=False)
        for index, where in enumerate(work.blocks):
            part = client.submit(_columns, lq, where, pure=False)
            future = client.submit(
                _hotspot_part,
                part,
                shared_weights,
                work.settings,
                work.part(year, index),
                threads,
                pure=False,
            )
            tasks[future] = year
    parts: dict[int, list[pd.DataFrame]] = {year: [] for year in work.years}
    reports: dict[int, list[dict[str, Any]]] = {year: [] for year in work.years}
    remaining = Counter(tasks.values())
    for done, future in enumerate(as_completed(tasks), start=1):
        year = tasks[future]
        summary, limits, report = future.result()
        parts[year].append(summary)
        reports[year].append(report)
        work.floor_limits.extend(limits)
        future.release()
        remaining[year] -= 1
        if remaining[year] == 0:
            summary = pd.concat(parts.pop(year)).sort_values("industry_code", ignore_index=True)
            work.finish(year, summary)
            log_policies(policies_of(reports.pop(year)), when=str(year))
        if done % max(1, len(tasks) // 20) == 0 or done == len(tasks):
            log.info("Hot spots on Dask: %d of %d tasks done", done, len(tasks))


def _run_hotspots(
    work: _PanelWork, client: Client | None, industries: Sequence[object]
) -> list[FloorLimit]:
    """Every year's blocks, here or on Dask; then warn where too few permutations hid findings.

    Returns those limits, one per statistic over every block and year computed.
    """
    if client is None:
        _run_local(work)
    else:
        _run_dask(work, client)
    merged = merged_floor_limits(
        work.floor_limits,
        [str(code) for code in industries],
        work.settings.alternative,
        at_least=work.needed,
        over_years=len(work.years) > 1,
    )
    for limit in merged:
        log_floor_limit(limit, work.settings.permutations)
    return merged


def _run_emerging_phase(  # noqa: PLR0917 -- the panel's state, passed on as it is
    config: PanelConfig,
    settings: HotspotsConfig,
    panel: EmploymentPanel,
    years: list[int],
    folders: dict[int, Path],
    weights: SpatialWeights,
    blocks: list[slice],
    client: Client | None,
    digest: str,
) -> float:
    """The emerging hot spots of every block, marked done; returns the seconds they took."""
    if config.emerging is None:
        raise ValueError("the panel config has no 'emerging' section")
    started = time.perf_counter()
    folder = config.resolved_output_dir / "emerging"
    summary = run_emerging(
        EmergingWork(
            years=years,
            hotspot_folders=folders,
            folder=folder,
            industries=panel.industries,
            blocks=blocks,
            weights=weights,
            settings=settings,
            emerging=config.emerging,
        ),
        client,
    )
    write_csv(summary, folder / "_summary.csv")
    write_json(
        {"digest": digest, "years": years, "parts": _parts_record(folder)},
        folder / "_SUCCESS.json",
    )
    seconds = round(time.perf_counter() - started, 3)
    log.info("Emerging hot spots in %.1f s", seconds)
    return seconds


def _yearly_summary(folders: dict[int, Path]) -> pd.DataFrame:
    """Every year's hot and cold spots per industry, from the years' summaries."""
    frames = [
        pd.read_csv(folder / "_summary.csv").assign(year=year) for year, folder in folders.items()
    ]
    return pd.concat(frames, ignore_index=True)[
        ["year", "industry_code", "hot_spots", "cold_spots", "moran_hh", "tested"]
    ]


def _emerging_report(
    settings: EmergingConfig, summary: pd.DataFrame, computed: bool, seconds: float | None
) -> dict[str, Any]:
    """The emerging hot spots' part of the panel report: settings and areas per category."""
    return {
        **settings.model_dump(mode="json"),
        "computed": computed,
        "seconds": seconds,
        "areas": {name: int(summary[name].sum()) for name in summary.columns[1:]},
    }


def run_panel(config: PanelConfig) -> PanelRun:
    """Run a panel: LQs and hot spots for every year, industry and area; see the module doc."""
    started = time.perf_counter()
    out = config.resolved_output_dir
    _check_paths(config)
    panel = open_panel(config.data_path(config.employment))
    years = _years(config, panel)
    _check_emerging_years(config, panel, years)
    log.info(
        "Panel %s: %d industries x %d years (%s)",
        config.name,
        len(panel.industries),
        len(years),
        ", ".join(map(str, years)),
    )
    folders = {year: out / "hotspots" / f"year={year}" for year in years}
    digests = {year: _digest(config, panel, year) for year in years}
    todo = [year for year in years if not _done(folders[year], digests[year])]
    for year in sorted(set(years) - set(todo)):
        log.info("%d: results are up to date, skipped", year)
    emerging_folder = out / "emerging"
    emerging_digest = _emerging_digest(config, digests)
    emerging_todo = config.emerging is not None and not _done(emerging_folder, emerging_digest)
    if config.emerging is not None and not emerging_todo:
        log.info("Emerging hot spots are up to date, skipped")
    backend = "local"
    emerging_seconds = None
    floor: list[FloorLimit] = []

    run_with = config.hotspots

    def finish(year: int, summary: pd.DataFrame) -> None:
        # Marked done as soon as its last part is written: an interrupted run keeps it.
        write_csv(summary, folders[year] / "_summary.csv")
        write_json(
            {
                "digest": digests[year],
                "year": year,
                "permutations": run_with.permutations,
                "parts": _parts_record(folders[year]),
            },
            folders[year] / "_SUCCESS.json",
        )

    if todo or emerging_todo:
        _start_over(out, [folders[year] for year in todo])
        if emerging_todo:
            _start_emerging(emerging_folder, emerging_digest)
        # Connect first: a scheduler that does not answer should not wait for the weights.
        with dask_client(config.compute) as client:
            weights = configured_weights(_read_areas(config), config.hotspots.weights)
            blocks = column_blocks(panel.industries, config.compute.industries_per_task)
            if client is not None:
                backend = f"{config.compute.backend}: {describe_client(client)}"
            run_with, needed = _raised(config, len(weights.ids), len(panel.industries))
            if todo:
                work = _PanelWork(
                    panel=panel,
                    years=todo,
                    weights=weights,
                    settings=run_with,
                    folders=folders,
                    blocks=blocks,
                    finish=finish,
                    needed=needed,
                )
                floor = _run_hotspots(work, client, panel.industries)
            if emerging_todo:
                emerging_seconds = _run_emerging_phase(
                    config,
                    run_with,
                    panel,
                    years,
                    folders,
                    weights,
                    blocks,
                    client,
                    emerging_digest,
                )
    summary = _yearly_summary(folders)
    write_csv(summary, out / "summary.csv")
    report: dict[str, Any] = {
        "panel": config.name,
        "synthetic": config.synthetic,
        "years": years,
        "years_computed": todo,
        "industries": len(panel.industries),
        "backend": backend,
        # As the years were run (raised where the areas needed more): each year's record.
        "permutations": _permutations_run(folders, config.hotspots.permutations),
        # Of the years computed in this run (a skipped year's check ran when it was computed).
        "permutation_floor": [limit.to_record() for limit in floor],
    }
    emerging_summary = None
    if config.emerging is not None:
        emerging_summary = pd.read_csv(emerging_folder / "_summary.csv")
        write_csv(emerging_summary, out / "emerging_summary.csv")
        report["emerging"] = _emerging_report(
            config.emerging, emerging_summary, emerging_todo, emerging_seconds
        )
    report["seconds"] = round(time.perf_counter() - started, 3)
    write_json(report, out / "panel_report.json")
    log.info(
        "Panel done in %.1f s: %d hot-spot areas over %d years",
        report["seconds"],
        int(summary["hot_spots"].sum()),
        len(years),
    )
    return PanelRun(
        output_dir=out, years=years, summary=summary, report=report, emerging=emerging_summary
    )


def read_panel_hotspots(
    output_dir: Path, year: int, columns: list[str] | None = None
) -> pd.DataFrame:
    """One year's hot-spot table from a panel's parts, sorted by industry then area."""
    import pyarrow.dataset as ds

    dataset = ds.dataset(output_dir / "hotspots" / f"year={year}", format="parquet")
    table = dataset.to_table(columns=columns).to_pandas()
    for column in ("area_code", "industry_code"):
        table[column] = table[column].astype(str)
    ordered: pd.DataFrame = table.sort_values(["industry_code", "area_code"], ignore_index=True)
    return ordered
