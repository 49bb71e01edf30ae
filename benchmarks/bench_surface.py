"""Employment-surface benchmark: the whole Midlands on a 1 km and a 250 m grid.

Run from the repository root with the project's environment::

    .venv/bin/python benchmarks/bench_surface.py [--out data/processed/bench/surface.md]

Workload
    ``pipelines/midlands-census2011.yaml`` (1,308 real MSOAs, Census 2011 workplace counts by
    section, six cluster definitions). The stages before the surface run once into a
    temporary folder; then the surface stage (allocation, rasterisation, GeoTIFF, cell LQs,
    Gi* with the run's 99,999 permutations and FDR, grid clusters, governance overlay, the
    comparison with the area clusters) runs in a fresh process per cell size, so that its
    wall time and peak resident memory are its own. No OSM extract covers the Midlands
    offline, so employment is spread over whole areas (the allocation step is then light).
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "pipelines" / "midlands-census2011.yaml"
CELL_SIZES = (1000.0, 250.0)
UPSTREAM = ("ingest", "concentration", "hotspots", "clusters", "governance")

_CHILD = """
import json, resource, sys, time
from clustergeo.config import load_config
from clustergeo.stages import surface as stage
config = load_config(sys.argv[1])
started = time.perf_counter()
stage.run(config)
elapsed = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"seconds": elapsed, "peak_bytes": peak}))
"""


def _config(folder: Path, cell_m: float) -> Path:
    from clustergeo.config import load_config

    data = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    data["data_dir"] = str((CONFIG.parent / data["data_dir"]).resolve())
    data["output_dir"] = str(folder / "run")
    # The user's own files, which the config names relative to its folder (the copy is not
    # there), as the config itself resolves them; shipped sets are names, kept as they are.
    config = load_config(CONFIG)
    if not config.industries.shipped:
        definitions = config.local_path(config.industries.cluster_definitions)
        data["industries"]["cluster_definitions"] = str(definitions)
    if config.circular is not None and not config.circular.shipped:
        data["circular"]["matrix"] = str(config.local_path(config.circular.matrix))
    data["surface"] = {"cell_m": cell_m}
    path = folder / f"midlands-{cell_m:g}.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def main() -> None:
    """Run the benchmark and write the Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--out", type=Path, default=REPO / "data/processed/bench/surface.md")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        first = _config(folder, CELL_SIZES[0])
        for stage in UPSTREAM:
            subprocess.run(
                [sys.executable, "-m", "clustergeo", "-q", stage, str(first)], check=True
            )
        for cell_m in CELL_SIZES:
            config = _config(folder, cell_m)
            result = subprocess.run(
                [sys.executable, "-c", _CHILD, str(config)],
                check=True,
                capture_output=True,
                text=True,
            )
            measured = json.loads(result.stdout.strip().splitlines()[-1])
            report = json.loads((folder / "run" / "surface" / "report.json").read_text())
            rows.append((cell_m, measured, report))
            print(
                f"{cell_m:g} m: {measured['seconds']:.1f} s, "
                f"{measured['peak_bytes'] / 2**20:.0f} MiB",
                flush=True,
            )
    lines = [
        "# Employment surface benchmark",
        "",
        f"Machine: {platform.machine()}, {platform.python_version()}; "
        f"{time.strftime('%Y-%m-%d')}. Command: `make bench` "
        "(`benchmarks/bench_surface.py`).",
        "",
        "| cell | grid (rows x cols) | cells in the study area | cells x definitions | "
        "grid clusters | wall time | peak memory |",
        "|---|---|---|---|---|---|---|",
    ]
    for cell_m, measured, report in rows:
        grid = report["grid"]
        cells = grid["cells_in_study_area"]
        lines.append(
            f"| {cell_m:g} m | {grid['rows']:,} x {grid['cols']:,} | {cells:,} | "
            f"{cells * 6:,} | {report['grid_clusters']:,} | {measured['seconds']:.1f} s | "
            f"{measured['peak_bytes'] / 2**20:,.0f} MiB |"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"Wrote {args.out}")


if __name__ == "__main__":
    main()
