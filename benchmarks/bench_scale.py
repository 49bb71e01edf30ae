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

``--readme`` replaces the table between the ``bench-scale`` markers of the README.
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
BACKENDS = (("in-process", "local", None), ("dask-local, 1 worker", "dask-local", 1))
BACKENDS += (("dask-local, 2 workers", "dask-local", 2),)
START, END = "<!-- bench-scale:start -->", "<!-- bench-scale:end -->"
GIB = 1024**3


def _log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _workload(industries: int) -> Path:
    """The synthetic national workload for ``industries``, generated once."""
    folder = WORK / f"workload-k{industries}"
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
            ",".join(map(str, YEARS)),
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


def _panel(workload: Path, out: Path, years: int, backend: str, workers: int | None) -> Run:
    config = {
        "name": f"bench-{out.name}",
        "synthetic": True,
        "data_dir": str(workload),
        "output_dir": str(out),
        "areas": {"path": "areas.geojson.gz", "code_column": "LSOA11CD"},
        "employment": "employment",
        "years": list(YEARS[:years]),
        "hotspots": {"permutations": PERMUTATIONS},
        "compute": {"backend": backend, "workers": workers, "industries_per_task": 64},
    }
    out.mkdir(parents=True, exist_ok=True)
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
    return Run(0, years, backend, seconds, peak[0], out)


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


def main() -> None:
    """Run the benchmark and write its table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="K = 88 only, 1 year")
    parser.add_argument("--out", type=Path, default=WORK.parent / "scale.md")
    parser.add_argument("--readme", type=Path, default=None)
    args = parser.parse_args()
    if not BOUNDARIES.exists():
        raise SystemExit(f"The LSOA boundaries are needed: {BOUNDARIES} does not exist.")
    sizes = (88,) if args.quick else (88, 300, 730)
    year_counts = (1,) if args.quick else (1, 3)
    workloads = {k: _workload(k) for k in sizes}
    _log("warming numba's cache (untimed)")
    _panel(workloads[sizes[0]], WORK / "warm-up", 1, "local", None)

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
                elif local_out is not None and (k == max(sizes) or args.quick):
                    same, rows = _equal(local_out, out, years)
                    checks.append(f"K={k}, {years} year(s), {label}: {rows:,} rows, equal={same}")
                    if not same:
                        raise SystemExit("Dask results differ from in-process results")

    table = _table(runs)
    per_task = [
        r.seconds / (r.industries * r.years) * 1000 for r in runs if r.backend == "in-process"
    ]
    report = "\n".join(
        [
            "# Scale benchmark",
            "",
            f"Machine: {_machine()}. {PERMUTATIONS} permutations, tolerant queen contiguity, "
            "per-industry FDR; 34,753 LSOAs (England and Wales, 2011).",
            "Peak memory is the sum over the command and its Dask processes.",
            "",
            table,
            "",
            "Dask results equal the in-process results, row for row:",
            *[f"- {line}" for line in checks],
            "",
            f"In-process cost per industry-year: {min(per_task):.0f}-{max(per_task):.0f} ms "
            "(whole command, fixed costs included).",
            "",
            "Raw runs:",
            "```json",
            json.dumps(
                [
                    {
                        "industries": r.industries,
                        "years": r.years,
                        "backend": r.backend,
                        "seconds": round(r.seconds, 2),
                        "peak_gib": round(r.peak_bytes / GIB, 3),
                    }
                    for r in runs
                ],
                indent=1,
            ),
            "```",
        ]
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report + "\n", encoding="utf-8")
    _log(f"wrote {args.out}")
    if args.readme is not None:
        text = args.readme.read_text(encoding="utf-8")
        if START not in text or END not in text:
            raise SystemExit(f"{args.readme} has no {START} ... {END} markers")
        head, rest = text.split(START, 1)
        _, tail = rest.split(END, 1)
        block = f"{START}\n{table}\n\n_{_machine()}; `make bench-scale`._\n{END}"
        args.readme.write_text(head + block + tail, encoding="utf-8")
        _log(f"updated the table in {args.readme}")
    print(report)


if __name__ == "__main__":
    main()
