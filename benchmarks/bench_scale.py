"""Scale benchmark: national panels in process and on a local Dask cluster.

Run from the repository root with the project's environment (``make bench-scale``)::

    .venv/bin/python benchmarks/bench_scale.py [--quick] [--out data/processed/bench/scale.md]
        [--readme README.md]

Workload
    The real ONS LSOA 2011 boundaries of England and Wales (34,753 areas) and synthetic
    employment (``clustergeo national-data``: planted clusters, negative-binomial counts) for
    K = 88, 300 and 730 industries and 3 years, stored as Parquet (dictionary codes, int32
    counts). 730 industries x 3 years is 76 million rows.

Runs
    ``clustergeo panel`` with 999 permutations, per-industry FDR and tolerant queen
    contiguity, for 1 year and 3 years, with ``compute.backend`` ``local`` (in process,
    numba on every core, one block of 64 industries after another) and ``dask-local`` with 1
    and 2 worker processes (one thread each, a block of 64 industries per task). Each run is a
    fresh subprocess writing to an empty folder, after one untimed run that fills numba's
    cache.

Measured
    Wall time of the whole command (reading boundaries, weights, streaming the Parquet table,
    LQs, hot spots, writing the results) and peak memory: the largest sum of the resident
    memory of the command and all its child processes (Dask's scheduler, nannies and
    workers), sampled every 0.1 s. Then the Dask results are compared with the in-process
    ones, part file by part file, every row of every year of the largest runs.

Emerging hot spots
    On K = 88 industries x 9 years (2015-2023) of the same workload, for the first 3, 6 and 9
    years, in process and on ``dask-local`` with 2 workers: first ``clustergeo panel`` without
    an ``emerging`` section (the hot spots of each year), then the same command with
    ``emerging: {time_lag: true}`` in the same folder, which finds the years up to date and
    runs only the emerging step (time-lagged Gi* of each year after the first, the
    Mann-Kendall trend and the category, a block of industries per task). Each step's wall
    time and peak memory are measured as above, and the Dask run's emerging parts are compared
    with the in-process ones, file by file, for 9 years. ``--emerging-only`` runs these rows
    alone.

``--readme`` replaces the tables between the ``bench-scale`` (and ``bench-scale-emerging``)
markers of the README.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import psutil
import yaml

REPO = Path(__file__).resolve().parents[1]
BOUNDARIES = (
    REPO.parent
    / "shared"
    / "data"
    / "boundaries_lsoa2011_bsc_strokemaps"
    / "LSOA_Dec2011_BSC_EW_V3.geojson.gz"
)
WORK = REPO / "data" / "processed" / "bench" / "scale"
YEARS = (2021, 2022, 2023)
PERMUTATIONS = 999
#: Each backend's name in the tables, its ``compute.backend`` and its Dask workers.
BACKENDS: tuple[tuple[str, str, int | None], ...] = (
    ("in-process", "local", None),
    ("dask-local, 1 worker", "dask-local", 1),
    ("dask-local, 2 workers", "dask-local", 2),
)
START, END = "<!-- bench-scale:start -->", "<!-- bench-scale:end -->"
EMERGING_START = "<!-- bench-scale-emerging:start -->"
EMERGING_END = "<!-- bench-scale-emerging:end -->"
EMERGING_INDUSTRIES = 88
EMERGING_YEARS = tuple(range(2015, 2024))
EMERGING_YEAR_COUNTS = (3, 6, 9)
EMERGING_BACKENDS = (BACKENDS[0], BACKENDS[2])
AREAS = 34_753
GIB = 1024**3


def _log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _workload(industries: int, years: tuple[int, ...] = YEARS) -> Path:
    """The synthetic national workload for ``industries`` and ``years``, generated once."""
    folder = WORK / f"workload-k{industries}"
    if years != YEARS:
        folder = WORK / f"workload-k{industries}-y{len(years)}"
    if (folder / "README.txt").exists():
        return folder
    _log(f"generating the workload for K = {industries}")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "clustergeo",
            "-q",
            "national-data",
            str(folder),
            "--boundaries",
            str(BOUNDARIES),
            "--industries",
            str(industries),
            "--years",
            ",".join(map(str, years)),
        ],
        check=True,
    )
    return folder


def _peak_tree_rss(process: psutil.Process, stop: threading.Event, peak: list[int]) -> None:
    while not stop.is_set():
        try:
            tree = [process, *process.children(recursive=True)]
            total = 0
            for member in tree:
                with contextlib.suppress(psutil.NoSuchProcess):
                    total += member.memory_info().rss
            peak[0] = max(peak[0], total)
        except psutil.NoSuchProcess:
            return
        stop.wait(0.1)


@dataclass
class Run:
    """One timed panel run."""

    industries: int
    years: int
    backend: str
    seconds: float
    peak_bytes: int
    output: Path


def _timed(config: dict[str, object], out: Path, fresh: bool = True) -> tuple[float, int]:
    """Wall seconds and peak tree memory of ``clustergeo panel`` on ``config`` in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    if fresh:
        for stale in out.rglob("*"):
            if stale.is_file():
                stale.unlink()
    path = out / "panel.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    started = time.perf_counter()
    child = psutil.Popen([sys.executable, "-m", "clustergeo", "-q", "panel", str(path)])
    stop, peak = threading.Event(), [0]
    sampler = threading.Thread(target=_peak_tree_rss, args=(child, stop, peak), daemon=True)
    sampler.start()
    code = child.wait()
    seconds = time.perf_counter() - started
    stop.set()
    sampler.join()
    if code != 0:
        raise SystemExit(f"clustergeo panel failed ({code}) for {path}")
    return seconds, peak[0]


def _panel_config(
    workload: Path, out: Path, years: list[int], backend: str, workers: int | None
) -> dict[str, object]:
    return {
        "name": f"bench-{out.name}",
        "synthetic": True,
        "data_dir": str(workload),
        "output_dir": str(out),
        "areas": {"path": "areas.geojson.gz", "code_column": "LSOA11CD"},
        "employment": "employment",
        "years": years,
        "hotspots": {"permutations": PERMUTATIONS},
        "compute": {"backend": backend, "workers": workers, "industries_per_task": 64},
    }


def _panel(workload: Path, out: Path, years: int, backend: str, workers: int | None) -> Run:
    config = _panel_config(workload, out, list(YEARS[:years]), backend, workers)
    seconds, peak = _timed(config, out)
    return Run(0, years, backend, seconds, peak, out)


@dataclass
class EmergingRun:
    """The two timed steps of a panel with emerging hot spots, for one number of years."""

    years: int
    backend: str
    yearly: tuple[float, int]
    emerging: tuple[float, int]
    output: Path


def _emerging_panel(
    workload: Path, out: Path, years: int, label: str, backend: tuple[str, int | None]
) -> EmergingRun:
    """The yearly hot spots, then (same folder, years up to date) the emerging step alone."""
    config = _panel_config(workload, out, list(EMERGING_YEARS[:years]), *backend)
    yearly = _timed(config, out)
    config["emerging"] = {"time_lag": True, "alpha": 0.05}
    emerging = _timed(config, out, fresh=False)
    report = json.loads((out / "panel_report.json").read_text(encoding="utf-8"))
    if report["years_computed"] or not report["emerging"]["computed"]:
        raise SystemExit(f"{out}: the emerging run redid the yearly hot spots or skipped itself")
    return EmergingRun(years, label, yearly, emerging, out)


def _same_emerging(local: Path, dask: Path) -> tuple[bool, int]:
    """Every emerging part (categories and time-lagged Gi*) of Dask equals the in-process one."""
    rows = 0
    expected = sorted(p.relative_to(local) for p in (local / "emerging").rglob("part-*.parquet"))
    got = sorted(p.relative_to(dask) for p in (dask / "emerging").rglob("part-*.parquet"))
    if expected != got:
        _log(f"DIFFERENT emerging parts: {len(expected)} against {len(got)}")
        return False, rows
    for name in expected:
        frame = pd.read_parquet(dask / name)
        try:
            pd.testing.assert_frame_equal(frame, pd.read_parquet(local / name), check_exact=True)
        except AssertionError as error:
            _log(f"DIFFERENT: {dask / name}: {error}")
            return False, rows
        rows += len(frame)
    return True, rows


def _emerging_table(runs: list[EmergingRun]) -> str:
    lines = [
        "| K industries | years | backend | step | wall | ms per industry-year | peak memory |",
        "|---:|---:|---|---|---:|---:|---:|",
    ]
    steps = (("hot spots of each year", "yearly"), ("emerging hot spots", "emerging"))
    for run in runs:
        for name, attribute in steps:
            seconds, peak = getattr(run, attribute)
            per = seconds / (EMERGING_INDUSTRIES * run.years) * 1000
            lines.append(
                f"| {EMERGING_INDUSTRIES} | {run.years} | {run.backend} | {name} | "
                f"{seconds:.1f} s | {per:.0f} | {peak / GIB:.2f} GiB |"
            )
    return "\n".join(lines)


def _emerging_rows(quick: bool) -> tuple[list[EmergingRun], list[str]]:
    """The emerging-hot-spot rows and their Dask-equals-in-process checks."""
    workload = _workload(EMERGING_INDUSTRIES, EMERGING_YEARS)
    runs: list[EmergingRun] = []
    checks = []
    for years in EMERGING_YEAR_COUNTS[:1] if quick else EMERGING_YEAR_COUNTS:
        local_out = None
        for label, backend, workers in EMERGING_BACKENDS:
            out = WORK / f"emerging-y{years}-{backend}-{workers or 0}"
            run = _emerging_panel(workload, out, years, label, (backend, workers))
            runs.append(run)
            _log(
                f"emerging, years={years} {label}: yearly {run.yearly[0]:.1f} s "
                f"{run.yearly[1] / GIB:.2f} GiB, emerging {run.emerging[0]:.1f} s "
                f"{run.emerging[1] / GIB:.2f} GiB"
            )
            if backend == "local":
                local_out = out
            elif local_out is not None and years == max(EMERGING_YEAR_COUNTS[: 1 if quick else 3]):
                same, rows = _same_emerging(local_out, out)
                checks.append(f"emerging, {years} years, {label}: {rows:,} rows, equal={same}")
                if not same:
                    raise SystemExit("Dask emerging results differ from in-process results")
    return runs, checks


def _replace_between(text: str, start: str, end: str, block: str, where: Path) -> str:
    if start not in text or end not in text:
        raise SystemExit(f"{where} has no {start} ... {end} markers")
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{start}\n{block}\n\n_{_machine()}; `make bench-scale`._\n{end}{tail}"


def _equal(local: Path, dask: Path, years: int) -> tuple[bool, int]:
    """Every part the Dask run wrote equals the in-process part of the same block."""
    rows = 0
    for year in YEARS[:years]:
        expected_parts = sorted((local / "hotspots" / f"year={year}").glob("part-*.parquet"))
        got_parts = sorted((dask / "hotspots" / f"year={year}").glob("part-*.parquet"))
        if [p.name for p in expected_parts] != [p.name for p in got_parts]:
            _log(f"DIFFERENT parts for {year}: {len(expected_parts)} against {len(got_parts)}")
            return False, rows
        for expected_path, got_path in zip(expected_parts, got_parts, strict=True):
            expected, got = pd.read_parquet(expected_path), pd.read_parquet(got_path)
            try:
                pd.testing.assert_frame_equal(got, expected, check_exact=True)
            except AssertionError as error:
                _log(f"DIFFERENT: {got_path}: {error}")
                return False, rows
            rows += len(got)
    return True, rows


def _machine() -> str:
    memory = psutil.virtual_memory().total / GIB
    return (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"{memory:.0f} GiB, Python {platform.python_version()}"
    )


def _table(runs: list[Run]) -> str:
    by_key = {(r.industries, r.years, r.backend): r for r in runs}
    lines = [
        "| K industries | years | rows read | backend | wall | peak memory | speed vs in-process |",
        "|---:|---:|---:|---|---:|---:|---:|",
    ]
    for run in runs:
        local = by_key[(run.industries, run.years, "in-process")]
        ratio = local.seconds / run.seconds
        rows = 34_753 * run.industries * run.years
        lines.append(
            f"| {run.industries} | {run.years} | {rows / 1e6:.1f} M | {run.backend} | "
            f"{run.seconds:.1f} s | {run.peak_bytes / GIB:.2f} GiB | {ratio:.2f}× |"
        )
    return "\n".join(lines)


def _panel_rows(quick: bool) -> tuple[list[Run], list[str]]:
    """The panel rows (hot spots of 1 and 3 years) and their Dask-equals-in-process checks."""
    sizes = (88,) if quick else (88, 300, 730)
    year_counts = (1,) if quick else (1, 3)
    workloads = {k: _workload(k) for k in sizes}
    runs: list[Run] = []
    checks = []
    for k in sizes:
        for years in year_counts:
            local_out = None
            for label, backend, workers in BACKENDS:
                out = WORK / f"k{k}-y{years}-{backend}-{workers or 0}"
                run = _panel(workloads[k], out, years, backend, workers)
                run.industries, run.backend = k, label
                runs.append(run)
                _log(
                    f"K={k} years={years} {label}: {run.seconds:.1f} s, "
                    f"{run.peak_bytes / GIB:.2f} GiB"
                )
                if backend == "local":
                    local_out = out
                elif local_out is not None and (k == max(sizes) or quick):
                    same, rows = _equal(local_out, out, years)
                    checks.append(f"K={k}, {years} year(s), {label}: {rows:,} rows, equal={same}")
                    if not same:
                        raise SystemExit("Dask results differ from in-process results")
    return runs, checks


def _raw(runs: list[Run], emerging: list[EmergingRun]) -> str:
    return json.dumps(
        [
            {
                "industries": r.industries,
                "years": r.years,
                "backend": r.backend,
                "seconds": round(r.seconds, 2),
                "peak_gib": round(r.peak_bytes / GIB, 3),
            }
            for r in runs
        ]
        + [
            {
                "industries": EMERGING_INDUSTRIES,
                "years": r.years,
                "backend": r.backend,
                "step": step,
                "seconds": round(getattr(r, step)[0], 2),
                "peak_gib": round(getattr(r, step)[1] / GIB, 3),
            }
            for r in emerging
            for step in ("yearly", "emerging")
        ],
        indent=1,
    )


def main() -> None:
    """Run the benchmark and write its tables."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="K = 88 only, 1 year (3 emerging)")
    parser.add_argument(
        "--emerging-only", action="store_true", help="only the emerging-hot-spot rows"
    )
    parser.add_argument("--out", type=Path, default=WORK.parent / "scale.md")
    parser.add_argument("--readme", type=Path, default=None)
    args = parser.parse_args()
    if not BOUNDARIES.exists():
        raise SystemExit(f"The LSOA boundaries are needed: {BOUNDARIES} does not exist.")
    _log("warming numba's cache (untimed)")
    _panel(_workload(88), WORK / "warm-up", 1, "local", None)

    runs, checks = ([], []) if args.emerging_only else _panel_rows(args.quick)
    emerging, emerging_checks = _emerging_rows(args.quick)
    sections = [
        "# Scale benchmark",
        "",
        f"Machine: {_machine()}. {PERMUTATIONS} permutations, tolerant queen contiguity, "
        f"per-industry FDR; {AREAS:,} LSOAs (England and Wales, 2011).",
        "Peak memory is the sum over the command and its Dask processes.",
        "",
    ]
    if runs:
        per_task = [
            r.seconds / (r.industries * r.years) * 1000 for r in runs if r.backend == "in-process"
        ]
        sections += [
            _table(runs),
            "",
            f"In-process cost per industry-year: {min(per_task):.0f}-{max(per_task):.0f} ms "
            "(whole command, fixed costs included).",
            "",
        ]
    sections += [
        "## Emerging hot spots (time-lagged Gi*, Mann-Kendall, 17 categories)",
        "",
        _emerging_table(emerging),
        "",
        "Dask results equal the in-process results, row for row:",
        *[f"- {line}" for line in [*checks, *emerging_checks]],
        "",
        "Raw runs:",
        "```json",
        _raw(runs, emerging),
        "```",
    ]
    report = "\n".join(sections)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report + "\n", encoding="utf-8")
    _log(f"wrote {args.out}")
    if args.readme is not None:
        text = args.readme.read_text(encoding="utf-8")
        if runs:
            text = _replace_between(text, START, END, _table(runs), args.readme)
        text = _replace_between(
            text, EMERGING_START, EMERGING_END, _emerging_table(emerging), args.readme
        )
        args.readme.write_text(text, encoding="utf-8")
        _log(f"updated the tables in {args.readme}")
    print(report)


if __name__ == "__main__":
    main()
