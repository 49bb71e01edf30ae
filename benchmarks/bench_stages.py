"""End-to-end stage table: each stage of the demo and the Midlands run, cold and warm.

Run from the repository root with the project's environment::

    .venv/bin/python benchmarks/bench_stages.py [--out data/processed/bench/stages.md]
        [--configs pipelines/demo.yaml pipelines/midlands-census2011.yaml] [--readme README.md]

Workload
    Each config runs into a fresh temporary output folder, stage by stage in the registry's
    order, each stage as the command a user types (``clustergeo <stage> CONFIG``) in its own
    process: "cold" is that first run (Python start-up, imports, empty output folder, files
    read for the first time in this run); "warm" runs the same stage again at once with
    ``--force`` (the same work, with the operating system's file cache and the compiled
    kernels' cache warm). Wall time is measured around the process; peak memory is the
    process's peak resident set (``wait4``'s ``ru_maxrss``). A stage that does not apply to
    the config (no ``surface`` section, for instance) is listed as such. Then the whole run
    again in one process, as ``make all`` runs it (``clustergeo run CONFIG`` into a fresh
    folder, then with ``--force``): the process's wall time and peak memory, and each stage's
    time from the runner's log. The load average is recorded before and after, since other
    work on the machine inflates wall times. ``--readme`` replaces the tables between the
    README's ``bench-stages`` markers.

The demo needs its synthetic inputs (``make demo`` writes them once); the Midlands run needs
``../shared/data``.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
CONFIGS = (REPO / "pipelines" / "demo.yaml", REPO / "pipelines" / "midlands-census2011.yaml")


@dataclass(frozen=True)
class Measured:
    """One stage process: its wall time, peak resident memory and whether it did work."""

    seconds: float
    peak_mib: float
    applicable: bool


def _run(stage: str, config: Path, *, force: bool) -> Measured:
    """Run one stage command in a child process and measure it."""
    return _measure([stage, str(config), *(["--force"] if force else [])])[0]


def _measure(arguments: list[str]) -> tuple[Measured, str]:
    """Run ``clustergeo ARGUMENTS`` in a child process; its measure and its output."""
    command = [sys.executable, "-m", "clustergeo", *arguments]
    started = time.perf_counter()
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=REPO
    )
    output = process.stdout.read() if process.stdout else ""
    _pid, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"clustergeo {' '.join(arguments)} failed:\n{output}")
    # Linux reports ru_maxrss in KiB.
    return Measured(seconds, usage.ru_maxrss / 1024, "not applicable" not in output), output


#: The runner's line for each stage it finishes: ``Stage hotspots: done in 4.0 s``.
_STAGE_DONE = re.compile(r"Stage (\w+): done in ([0-9.]+) s")


@dataclass(frozen=True)
class OneProcess:
    """``clustergeo run CONFIG`` (what ``make all`` runs), cold and with ``--force``."""

    cold: Measured
    warm: Measured
    cold_stages: dict[str, float]
    warm_stages: dict[str, float]


def bench_one_process(config: Path) -> OneProcess:
    """The whole run in one process, as ``make demo`` and ``make midlands`` run it."""
    with tempfile.TemporaryDirectory() as tmp:
        run_config = _temporary_config(config, Path(tmp))
        cold, cold_log = _measure(["run", str(run_config)])
        warm, warm_log = _measure(["run", str(run_config), "--force"])
    stages = [
        {m[1]: float(m[2]) for m in _STAGE_DONE.finditer(log)} for log in (cold_log, warm_log)
    ]
    print(
        f"{config.stem} in one process: cold {cold.seconds:.1f} s, warm {warm.seconds:.1f} s",
        flush=True,
    )
    return OneProcess(cold, warm, *stages)


def _temporary_config(config: Path, folder: Path) -> Path:
    """``config`` writing into ``folder`` (its data paths made absolute)."""
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data_dir = data.get("data_dir")
    if data_dir is not None:
        data["data_dir"] = str((config.parent / data_dir).resolve())
    if isinstance(data.get("extends"), str) and data["extends"].endswith((".yaml", ".yml")):
        data["extends"] = str((config.parent / data["extends"]).resolve())
    data["output_dir"] = str(folder / "run")
    path = folder / config.name
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def _stage_names() -> list[str]:
    from clustergeo.stages.registry import STAGES

    return [stage.name for stage in STAGES]


def bench_config(config: Path) -> list[tuple[str, Measured, Measured]]:
    """Every stage of ``config`` cold then warm, in run order."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        run_config = _temporary_config(config, Path(tmp))
        for stage in _stage_names():
            cold = _run(stage, run_config, force=False)
            warm = _run(stage, run_config, force=True)
            rows.append((stage, cold, warm))
            print(
                f"{config.stem} {stage}: cold {cold.seconds:.1f} s {cold.peak_mib:.0f} MiB, "
                f"warm {warm.seconds:.1f} s {warm.peak_mib:.0f} MiB",
                flush=True,
            )
    return rows


def table(config: Path, rows: list[tuple[str, Measured, Measured]], whole: OneProcess) -> list[str]:
    """The Markdown table of one config's stages, with their totals."""
    lines = [
        f"### `{config.relative_to(REPO)}`",
        "",
        "| stage | own process: cold wall | cold peak memory | warm wall | warm peak memory "
        "| in one `clustergeo run`: cold | warm |",
        "|---|---|---|---|---|---|---|",
    ]
    for stage, cold, warm in rows:
        if not cold.applicable:
            lines.append(f"| {stage} | not applicable | | | | | |")
            continue
        lines.append(
            f"| {stage} | {cold.seconds:.1f} s | {cold.peak_mib:,.0f} MiB | "
            f"{warm.seconds:.1f} s | {warm.peak_mib:,.0f} MiB | "
            f"{_seconds(whole.cold_stages.get(stage))} | {_seconds(whole.warm_stages.get(stage))} |"
        )
    applicable = [(c, w) for _s, c, w in rows if c.applicable]
    lines.append(
        f"| **all stages** | {sum(c.seconds for c, _w in applicable):.1f} s | "
        f"{max((c.peak_mib for c, _w in applicable), default=0):,.0f} MiB | "
        f"{sum(w.seconds for _c, w in applicable):.1f} s | "
        f"{max((w.peak_mib for _c, w in applicable), default=0):,.0f} MiB | "
        f"**{whole.cold.seconds:.1f} s** ({whole.cold.peak_mib:,.0f} MiB) | "
        f"**{whole.warm.seconds:.1f} s** ({whole.warm.peak_mib:,.0f} MiB) |"
    )
    return [*lines, ""]


def _seconds(value: float | None) -> str:
    return "" if value is None else f"{value:.1f} s"


def main() -> None:
    """Run the benchmark and write the Markdown tables."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--out", type=Path, default=REPO / "data/processed/bench/stages.md")
    parser.add_argument("--configs", type=Path, nargs="+", default=list(CONFIGS))
    parser.add_argument("--readme", type=Path, default=None, help="replace its stage tables")
    args = parser.parse_args()
    load_before = os.getloadavg()
    sections = []
    for config in args.configs:
        rows = bench_config(config.resolve())
        sections += table(config.resolve(), rows, bench_one_process(config.resolve()))
    load_after = os.getloadavg()
    block = [
        f"_{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}; "
        f"{time.strftime('%Y-%m-%d')}; load average (1 min) {load_before[0]:.1f} before, "
        f"{load_after[0]:.1f} after; `make bench` (`benchmarks/bench_stages.py`)._ "
        "Each stage as its own process (`clustergeo <stage> CONFIG`, wall times with Python's "
        "start-up; cold: the first run into an empty folder, warm: the same stage again with "
        "`--force`), then the whole run in one process as `make` runs it (`clustergeo run "
        "CONFIG`, each stage's time from its log; the totals are the process's wall time).",
        "",
        *sections,
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(["# Stages end to end", "", *block]), encoding="utf-8")
    print(f"Wrote {args.out}")
    if args.readme is not None:
        text = args.readme.read_text(encoding="utf-8")
        if START not in text or END not in text:
            raise SystemExit(f"{args.readme} has no {START} ... {END} markers")
        head, rest = text.split(START, 1)
        tail = rest.split(END, 1)[1]
        block_text = "\n".join(block).rstrip()
        args.readme.write_text(f"{head}{START}\n{block_text}\n{END}{tail}", encoding="utf-8")
        print(f"Updated {args.readme}")


START = "<!-- bench-stages:start -->"
END = "<!-- bench-stages:end -->"


if __name__ == "__main__":
    main()
