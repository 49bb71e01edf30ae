"""Hot-spot benchmark: clustergeo against esda, measured in the same run on the same weights.

Run from the repository root with the project's environment::

    .venv/bin/python benchmarks/bench_hotspots.py [--quick] [--out data/processed/bench/hotspots.md]

Workload
    The real ONS LSOA 2011 boundaries of England and Wales (34,753 areas, super generalised)
    and synthetic employment for 88 industries: negative-binomial counts around lognormal area
    totals, with one to four planted Gaussian clusters per industry. The variable analysed is
    the location quotient computed from those counts by
    :func:`clustergeo.concentration.location_quotients` (the pipeline's default variable).

Weights
    Tolerant queen contiguity (1 m), used binary and row-standardised, and a gaussian kernel
    with an adaptive bandwidth of 6 neighbours, row-standardised. Built once by clustergeo; esda
    gets the very same sparse matrices (as a libpysal ``Graph`` and as a ``W``).

clustergeo
    :func:`clustergeo.hotspots.engine.local_hotspots` for all 88 industries at once (Gi*, Gi
    and Local Moran's I, analytic and permutation inference, FDR, classes), each configuration
    in a fresh subprocess so that its peak RSS is its own.

esda
    ``G_Local(star=True)`` and ``Moran_Local``, one industry per call, "as people usually call
    them" (a ``W``, default arguments) and "used well" (a ``Graph``,
    ``keep_simulations=False``, the faster of ``n_jobs=1`` and ``n_jobs=-1``, a seed), timed
    on a sample of industries and projected to 88.

Before anything is timed, clustergeo's analytic Gi* z and Local Moran's I are checked against
esda's on one industry, so the benchmark never compares different computations.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import platform
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

BOUNDARIES = Path(
    "/work/shared/data/boundaries_lsoa2011_bsc_strokemaps/LSOA_Dec2011_BSC_EW_V3.geojson.gz"
)
INDUSTRIES = 88
DATA_SEED = 20240611
ESDA_SEED = 12345
PERMUTATIONS = (999, 9999)
KERNEL_K = 6
STATISTICS = ("gi_star", "moran")
STAT_LABEL = {"gi_star": "Gi*", "moran": "Local Moran"}
# (key, weights built, transform): what a row of the table is computed on.
CONFIGS = (
    ("contiguity-binary", "contiguity", "binary"),
    ("contiguity-row", "contiguity", "row"),
    ("kernel-row", "kernel", "row"),
)
CONFIG_LABEL = {
    "contiguity-binary": "tolerant contiguity, binary",
    "contiguity-row": "tolerant contiguity, row-std.",
    "kernel-row": f"gaussian kernel (adaptive k={KERNEL_K}), row-std.",
}
GUARD_TOLERANCE = 1e-9
GIB = 1024**3


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------


def _now() -> float:
    return time.perf_counter()


def _log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _timed(function: Callable[[], object], repeats: int) -> tuple[float, list[float]]:
    """Median and all wall times of ``repeats`` calls."""
    times = []
    for _ in range(repeats):
        start = _now()
        function()
        times.append(_now() - start)
    return statistics.median(times), times


def _seconds(value: float | None) -> str:
    if value is None or not np.isfinite(value):
        return "—"
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _ratio(numerator: float | None, denominator: float | None) -> str:
    if numerator is None or denominator is None or not denominator:
        return "—"
    return f"{numerator / denominator:,.0f}×"


def _mib(value: float | None) -> str:
    return "—" if value is None else f"{value / 1024**2:,.0f} MiB"


# --------------------------------------------------------------------------------------------
# Machine and workload
# --------------------------------------------------------------------------------------------


def _machine() -> dict[str, str]:
    import esda
    import libpysal
    import numba
    import scipy

    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = f"{int(line.split()[1]) / 1024**2:.1f} GiB"
                break
    return {
        "nproc": str(len(os.sched_getaffinity(0))),
        "cpu": cpu,
        "ram": ram,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "numba": numba.__version__,
        "numba threads": str(numba.config.NUMBA_NUM_THREADS),
        "esda": esda.__version__,
        "libpysal": libpysal.__version__,
        "pandas": pd.__version__,
    }


def _source_fingerprint() -> str:
    """Short sha256 of the clustergeo sources the benchmark exercises (no git needed)."""
    import hashlib

    import clustergeo

    package = Path(clustergeo.__file__).parent
    files = [
        *sorted(package.joinpath("hotspots").glob("*.py")),
        package / "config.py",
        package / "concentration.py",
    ]
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def _load_areas() -> tuple[object, float]:
    from clustergeo.ingest.boundaries import read_boundaries

    start = _now()
    frame = read_boundaries(BOUNDARIES, code_column="LSOA11CD").frame
    areas = frame.rename(columns={"code": "area_code"}).reset_index(drop=True)
    return areas, _now() - start


def synthetic_lq(areas: object, industries: int, seed: int) -> tuple[pd.DataFrame, dict]:
    """Synthetic employment counts with planted clusters, and their location quotients.

    Returns the areas x industries LQ table (indexed by area code, in the order of ``areas``)
    and a summary of the counts.
    """
    import shapely

    from clustergeo.concentration import location_quotients
    from clustergeo.demo.national import synthetic_counts

    points = shapely.get_coordinates(areas.geometry.representative_point().to_numpy()) / 1000.0
    workload = synthetic_counts(points, industries, seed)
    counts = workload.counts[0].astype(float)
    planted = len(workload.truth)
    n = len(points)
    codes = areas["area_code"].astype(str).to_numpy()
    columns = workload.industries
    frame = pd.DataFrame(counts, index=pd.Index(codes, name="area_code"), columns=columns)
    long = location_quotients(
        frame,
        area_totals=frame.sum(axis=1),
        reference_industry=frame.sum(axis=0),
        reference_total=float(counts.sum()),
    )
    lq = long["lq"].to_numpy().reshape(n, industries)
    if not np.isfinite(lq).all():
        raise RuntimeError("synthetic LQs are not all finite")
    summary = {
        "jobs": float(counts.sum()),
        "planted clusters": planted,
        "zero cells": float((counts == 0).mean()),
        "median area total": float(np.median(counts.sum(axis=1))),
    }
    return pd.DataFrame(lq, index=frame.index, columns=columns), summary


# --------------------------------------------------------------------------------------------
# Weights: build once, time the builders
# --------------------------------------------------------------------------------------------


@dataclass
class WeightsBuild:
    """The weights used by every run, and what building them cost."""

    contiguity: object
    kernel: object
    rows: list[tuple[str, float, int, int]] = field(default_factory=list)
    agreement: str = ""


def _build_weights(areas: object, repeats: int) -> WeightsBuild:
    from libpysal.graph import Graph

    from clustergeo.hotspots.weights import build_weights, tolerant_contiguity

    geometry = areas.geometry.reset_index(drop=True)
    rows: list[tuple[str, float, int, int]] = []

    def record(label: str, build: Callable[[], object], matrix_of: Callable) -> object:
        seconds, _ = _timed(build, repeats)
        result = build()
        matrix, islands = matrix_of(result)
        rows.append((label, seconds, int(matrix.nnz), islands))
        return result

    raw = record(
        "clustergeo tolerant queen contiguity (1 m; STRtree dwithin)",
        lambda: tolerant_contiguity(geometry, 1.0),
        lambda m: (m, int((np.diff(m.indptr) == 0).sum())),
    )

    def graph_matrix(graph: object) -> tuple[object, int]:
        return graph.sparse, len(graph.isolates)

    with _quiet():
        record(
            "libpysal Graph.build_contiguity(rook=False, strict=False) — naive queen",
            lambda: Graph.build_contiguity(geometry, rook=False, strict=False),
            graph_matrix,
        )
        record(
            "libpysal Graph.build_contiguity(rook=False, strict=True)",
            lambda: Graph.build_contiguity(geometry, rook=False, strict=True),
            graph_matrix,
        )
        fuzzy = record(
            "libpysal Graph.build_fuzzy_contiguity() (intersects)",
            lambda: Graph.build_fuzzy_contiguity(geometry),
            graph_matrix,
        )
        record(
            "libpysal Graph.build_fuzzy_contiguity(buffer=1.0)",
            lambda: Graph.build_fuzzy_contiguity(geometry, buffer=1.0),
            graph_matrix,
        )
    contiguity = build_weights(areas, method="contiguity")
    seconds, _ = _timed(lambda: build_weights(areas, method="contiguity"), repeats)
    rows.append(
        (
            "clustergeo build_weights('contiguity') incl. islands policy and audit",
            seconds,
            int(contiguity.matrix.nnz),
            len(contiguity.islands),
        )
    )
    with _quiet():
        seconds, _ = _timed(lambda: build_weights(areas, method="kernel", k=KERNEL_K), repeats)
        kernel = build_weights(areas, method="kernel", k=KERNEL_K)
    rows.append(
        (
            f"clustergeo build_weights('kernel', gaussian, adaptive k={KERNEL_K}) (libpysal)",
            seconds,
            int(kernel.matrix.nnz),
            len(kernel.islands),
        )
    )
    fuzzy_pattern = (fuzzy.sparse != 0).astype(np.int8)
    ours = (raw != 0).astype(np.int8)
    differ = int(abs(fuzzy_pattern - ours).sum())
    agreement = (
        f"tolerant contiguity (before the islands policy) and build_fuzzy_contiguity() differ "
        f"in {differ} of {ours.nnz} directed links"
    )
    return WeightsBuild(contiguity, kernel, rows, agreement)


# --------------------------------------------------------------------------------------------
# clustergeo: each configuration in a fresh subprocess
# --------------------------------------------------------------------------------------------

COMPILE_PROBE = """
import json, time
import numpy as np
import pandas as pd
from scipy import sparse
from clustergeo.config import HotspotsConfig
from clustergeo.hotspots.engine import local_hotspots
from clustergeo.hotspots.weights import SpatialWeights
rng = np.random.default_rng(0)
n = 60
m = sparse.random(n, n, density=0.1, random_state=1, format="csr")
m = ((m + m.T) > 0).astype(float); m.setdiag(0); m.eliminate_zeros()
binary = sparse.csr_array(m)
general = binary.copy(); general.data = rng.uniform(0.5, 2.0, general.nnz)
general = sparse.csr_array(general + general.T)
ids = np.array([f"A{i:03d}" for i in range(n)])
frame = pd.DataFrame(rng.random((n, 2)), index=ids, columns=["X", "Y"])
out = {}
for label, matrix, weights in (
    ("equal_weights", binary, {"transform": "binary"}),
    ("general_weights", general, {"transform": "row", "method": "kernel", "k": 6}),
):
    spatial = SpatialWeights(ids=ids, matrix=matrix, method="probe", binary=matrix is binary)
    settings = HotspotsConfig(permutations=9, weights=weights)
    start = time.perf_counter()
    local_hotspots(frame, spatial, settings)
    out[label] = time.perf_counter() - start
print("RESULT " + json.dumps(out))
"""


def _proc_status(field_name: str) -> int:
    """A memory field of /proc/self/status, in bytes (VmRSS now, VmHWM = peak since exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"{field_name} not in /proc/self/status")


def _reset_peak() -> bool:
    """Reset VmHWM to the current RSS (Linux ``clear_refs`` 5); False where unsupported."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _worker(spec: dict) -> dict:
    """Run one clustergeo configuration (in a fresh process) and report times and peak RSS."""
    from scipy import sparse

    from clustergeo.config import HotspotsConfig
    from clustergeo.hotspots.engine import local_hotspots
    from clustergeo.hotspots.permutation import permutation_counts
    from clustergeo.hotspots.statistics import StatisticsOutput, local_statistics
    from clustergeo.hotspots.weights import SpatialWeights

    data = Path(spec["data"])
    values = np.load(data / "values.npy")
    ids = np.load(data / "ids.npy", allow_pickle=False)
    columns = [f"IND{j + 1:02d}" for j in range(values.shape[1])]
    matrix = sparse.csr_array(sparse.load_npz(data / f"{spec['weights']}.npz"))
    binary = bool(np.all(matrix.data == 1.0))
    weights = SpatialWeights(ids=ids, matrix=matrix, method=spec["weights"], binary=binary)
    frame = pd.DataFrame(values, index=ids, columns=columns)
    weights_config: dict[str, object] = {"transform": spec["transform"]}
    if spec["weights"] == "kernel":
        weights_config |= {"method": "kernel", "k": KERNEL_K}
    settings = HotspotsConfig(permutations=spec["permutations"], weights=weights_config)
    baseline = _proc_status("VmRSS")

    # Warm-up on a small slice: loads (or compiles) every numba kernel the full run uses.
    small = 500
    small_weights = SpatialWeights(
        ids=ids[:small],
        matrix=sparse.csr_array(matrix[:small, :small]),
        method="warm-up",
        binary=binary,
    )
    start = _now()
    local_hotspots(frame.iloc[:small, :3], small_weights, settings)
    warm_up = _now() - start

    engine_times, engine_cpu = [], []
    for _ in range(spec["runs"]):
        gc.collect()
        start, cpu = _now(), time.process_time()
        result = local_hotspots(frame, weights, settings)
        engine_times.append(_now() - start)
        engine_cpu.append(time.process_time() - cpu)
        rows = len(result.table)
        del result
    gc.collect()

    engine_peak = _proc_status("VmHWM")
    ru_maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    # The peak of the statistics alone, told apart from the engine's.
    reset = _reset_peak()
    # The engine's analytic pass (Gi*, Gi, Local Moran's I and their z for every industry),
    # alone, into arrays allocated beforehand.
    raw = frame.to_numpy()
    shape = raw.shape
    outputs = StatisticsOutput(
        **{name: np.empty(shape) for name in ("value", "gi_star", "gi_star_z", "gi_z")},
        moran_i=np.empty(shape),
        moran_z=np.empty(shape),
        quadrant=np.empty(shape, dtype=np.int8),
    )
    start = _now()
    local_statistics(
        raw,
        raw,
        matrix,
        binary=binary,
        row_standardise=spec["transform"] == "row",
        untested=np.zeros(shape, dtype=bool),
        rows=np.arange(shape[0]),
        out=outputs,
    )
    analytic = _now() - start
    del outputs

    transformed = weights.transformed(spec["transform"])
    kernel_times = []
    for _ in range(spec["kernel_runs"]):
        start = _now()
        permutation_counts(
            values,
            transformed,
            permutations=spec["permutations"],
            seed=settings.seed,
            equal_weights=binary,
        )
        kernel_times.append(_now() - start)
    statistics_peak = _proc_status("VmHWM") if reset else None
    return {
        "engine": engine_times,
        "engine_median": statistics.median(engine_times),
        "engine_cpu": engine_cpu,
        "engine_peak": engine_peak,
        "statistics_peak": statistics_peak,
        "kernel": kernel_times,
        "kernel_median": statistics.median(kernel_times) if kernel_times else None,
        "analytic": analytic,
        "warm_up": warm_up,
        "table_rows": rows,
        "baseline_rss": baseline,
        "peak_rss": max(engine_peak, statistics_peak or 0),
        # For comparison only: on Linux ru_maxrss keeps the high-water mark of the mm that
        # exec replaced, i.e. the parent's RSS at fork time, so it overstates a child's peak.
        "ru_maxrss": ru_maxrss,
    }


def _subprocess(arguments: list[str], env: dict[str, str]) -> dict:
    completed = subprocess.run(
        [sys.executable, *arguments], capture_output=True, text=True, env=env, check=False
    )
    if completed.returncode != 0:
        raise RuntimeError(f"subprocess {arguments[:2]} failed:\n{completed.stderr[-4000:]}")
    lines = [line for line in completed.stdout.splitlines() if line.startswith("RESULT ")]
    return json.loads(lines[-1].removeprefix("RESULT "))


def _run_clustergeo(data: Path, cache: Path, runs: int, quick: bool) -> tuple[dict, dict]:
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache))
    _log("clustergeo: compiling the numba kernels into an empty cache")
    compile_cold = _subprocess(["-c", COMPILE_PROBE], env)
    compile_cached = _subprocess(["-c", COMPILE_PROBE], env)
    compiled = {"cold": compile_cold, "cached": compile_cached}
    results: dict = {}
    for key, weights, transform in CONFIGS:
        for permutations in PERMUTATIONS:
            general = weights == "kernel"
            kernel_runs = runs if not general else (1 if permutations <= 999 else 0)
            spec = {
                "data": str(data),
                "weights": weights,
                "transform": transform,
                "permutations": permutations,
                "runs": runs,
                "kernel_runs": kernel_runs,
            }
            _log(f"clustergeo: {key}, {permutations} permutations")
            result = _subprocess([__file__, "--worker", json.dumps(spec)], env)
            results[key, permutations] = result
            _log(
                f"  engine median {result['engine_median']:.2f} s "
                f"(runs {', '.join(f'{t:.2f}' for t in result['engine'])}), "
                f"peak RSS {result['peak_rss'] / 1024**2:.0f} MiB"
            )
    return results, compiled


# --------------------------------------------------------------------------------------------
# esda
# --------------------------------------------------------------------------------------------


@dataclass
class EsdaTiming:
    """esda's per-industry times for one statistic x weights x permutations."""

    defaults: list[float] = field(default_factory=list)
    well: list[float] = field(default_factory=list)
    n_jobs: int | None = None
    probe: dict[int, float] = field(default_factory=dict)
    defaults_peak: int | None = None

    @staticmethod
    def _mean(times: list[float]) -> float | None:
        return float(np.mean(times)) if times else None

    @property
    def defaults_each(self) -> float | None:
        """Mean seconds per industry, esda as usually called."""
        return self._mean(self.defaults)

    @property
    def well_each(self) -> float | None:
        """Mean seconds per industry, esda used well."""
        return self._mean(self.well)


def _esda_call(statistic: str, y: np.ndarray, w: object, transform: str, **options) -> float:
    import esda

    with _quiet():
        start = _now()
        if statistic == "gi_star":
            esda.G_Local(y, w, transform=transform[0].upper(), star=True, **options)
        else:
            esda.Moran_Local(y, w, transformation=transform[0].lower(), **options)
        return _now() - start


def _esda_well(
    statistic: str, y: np.ndarray, graph: object, transform: str, *, n_jobs: int, permutations: int
) -> float:
    """One esda call "used well": a Graph, no kept simulations, the given n_jobs, a seed."""
    return _esda_call(
        statistic,
        y,
        graph,
        transform,
        keep_simulations=False,
        n_jobs=n_jobs,
        seed=ESDA_SEED,
        permutations=permutations,
    )


def _esda_inputs(build: WeightsBuild) -> dict[str, tuple[object, object]]:
    """Per weights: a libpysal Graph and a W, both from clustergeo's sparse matrix."""
    from libpysal.graph import Graph
    from libpysal.weights import WSP

    inputs = {}
    for name, weights in (("contiguity", build.contiguity), ("kernel", build.kernel)):
        matrix = weights.matrix
        if np.count_nonzero(matrix.diagonal()):
            raise AssertionError(f"{name} weights have self-weights")
        graph = Graph.from_sparse(matrix)
        if np.count_nonzero(graph.sparse.diagonal()):
            raise AssertionError(f"{name} Graph has self-weights")
        with _quiet():
            w = WSP(matrix).to_W(silence_warnings=True)
        if abs(w.sparse - matrix).max() > 0:
            raise AssertionError(f"{name} W differs from the sparse matrix")
        inputs[name] = (graph, w)
    return inputs


def _guard(values: np.ndarray, build: WeightsBuild, inputs: dict) -> list[str]:
    """Analytic statistics of clustergeo and esda agree on one industry (raises otherwise)."""
    import esda

    from clustergeo.hotspots.statistics import gi_star, local_moran

    column = 0
    y = values[:, column]
    lines = []
    with _quiet():
        graph = inputs["contiguity"][0]
        _g, z = gi_star(
            values[:, [column]], build.contiguity.matrix, binary=True, row_standardise=False
        )
        esda_g = esda.G_Local(y, graph, transform="B", star=True, permutations=0)
        difference = float(np.max(np.abs(z[:, 0] - esda_g.Zs)))
        lines.append(f"Gi* z, binary contiguity: max |clustergeo − esda Zs| = {difference:.1e}")
        if not difference <= GUARD_TOLERANCE:
            raise AssertionError(lines[-1])
        for key, weights_name, transform in CONFIGS:
            weights = getattr(build, weights_name)
            graph = inputs[weights_name][0]
            row = transform == "row"
            g, _z = gi_star(
                values[:, [column]], weights.matrix, binary=weights.binary, row_standardise=row
            )
            esda_g = esda.G_Local(
                y, graph, transform=transform[0].upper(), star=True, permutations=0
            )
            difference = float(np.max(np.abs(g[:, 0] - esda_g.Gs)))
            lines.append(f"Gi* G, {key}: max |clustergeo − esda Gs| = {difference:.1e}")
            if not difference <= GUARD_TOLERANCE:
                raise AssertionError(lines[-1])
            moran_i, _mz, _lag = local_moran(
                values[:, [column]], weights.matrix, row_standardise=row
            )
            esda_m = esda.Moran_Local(y, graph, transformation=transform[0], permutations=0)
            difference = float(np.max(np.abs(moran_i[:, 0] - esda_m.Is)))
            lines.append(f"Local Moran I, {key}: max |clustergeo − esda Is| = {difference:.1e}")
            if not difference <= GUARD_TOLERANCE:
                raise AssertionError(lines[-1])
    return lines


def _esda_warm_up(inputs: dict) -> float:
    """Compile esda's numba code in this process and in joblib's workers (not timed later)."""
    from libpysal.graph import Graph

    graph = inputs["contiguity"][0]
    small = 400
    sub = Graph.from_sparse(graph.sparse[:small, :small])
    y = np.random.default_rng(0).random(small)
    start = _now()
    for statistic in STATISTICS:
        for n_jobs in (1, -1):
            _esda_call(statistic, y, sub, "row", keep_simulations=True, n_jobs=n_jobs)
            _esda_call(statistic, y, sub, "binary", keep_simulations=False, n_jobs=n_jobs)
    return _now() - start


def _sample(industries: int, count: int) -> list[int]:
    if count <= 0:
        return []
    return sorted({int(i) for i in np.linspace(0, industries - 1, count + 2)[1:-1].round()})


def _run_esda(values: np.ndarray, inputs: dict, plan: dict) -> dict:
    timings: dict = {}
    industries = values.shape[1]
    for key, weights_name, transform in CONFIGS:
        graph, w = inputs[weights_name]
        for statistic in STATISTICS:
            timing = EsdaTiming()
            y = values[:, 0]
            for n_jobs in (1, -1):
                timing.probe[n_jobs] = _esda_well(
                    statistic, y, graph, transform, n_jobs=n_jobs, permutations=999
                )
            timing.n_jobs = min(timing.probe, key=timing.probe.get)
            for j in _sample(industries, plan["well"]):
                timing.well.append(
                    _esda_well(
                        statistic,
                        values[:, j],
                        graph,
                        transform,
                        n_jobs=timing.n_jobs,
                        permutations=999,
                    )
                )
            for j in _sample(industries, plan["defaults"]):
                timing.defaults.append(_esda_call(statistic, values[:, j], w, transform))
            timings[key, statistic, 999] = timing
            _log(
                f"esda {key} {statistic} 999: probe n_jobs=1 {timing.probe[1]:.2f} s, "
                f"n_jobs=-1 {timing.probe[-1]:.2f} s; used well "
                f"{_seconds(timing.well_each)} s, defaults {_seconds(timing.defaults_each)} s"
            )
    # One esda default call's peak allocations (tracemalloc), both statistics, binary weights.
    graph, w = inputs["contiguity"]
    for statistic in STATISTICS:
        tracemalloc.start()
        _esda_call(statistic, values[:, 0], w, "binary")
        timings[
            "contiguity-binary", statistic, 999
        ].defaults_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    for key, weights_name, transform in CONFIGS:
        graph, w = inputs[weights_name]
        for statistic in STATISTICS:
            timing = EsdaTiming(n_jobs=timings[key, statistic, 999].n_jobs)
            for j in _sample(industries, plan["well_9999"]):
                timing.well.append(
                    _esda_well(
                        statistic,
                        values[:, j],
                        graph,
                        transform,
                        n_jobs=timing.n_jobs,
                        permutations=9999,
                    )
                )
            timings[key, statistic, 9999] = timing
            if timing.well:
                _log(f"esda {key} {statistic} 9999: used well {_seconds(timing.well_each)} s")
    # esda as usually called, at 9,999: keep_simulations=True holds n x 9,999 floats. One
    # industry, for the two calls people make most (Gi* binary, Moran row-standardised).
    for key, weights_name, transform, statistic in plan["defaults_9999"]:
        timing = timings[key, statistic, 9999]
        w = inputs[weights_name][1]
        gc.collect()
        tracemalloc.start()
        timing.defaults.append(
            _esda_call(
                statistic, values[:, _sample(industries, 1)[0]], w, transform, permutations=9999
            )
        )
        timing.defaults_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        _log(f"esda {key} {statistic} 9999 defaults {timing.defaults[0]:.1f} s")
    return timings


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------


def _table(esda_timings: dict, ours: dict, industries: int, plan: dict) -> tuple[list[str], dict]:
    header = (
        "| statistic | weights | permutations | esda defaults, s per industry "
        "| esda defaults, s for 88 (projected) | esda used well, s per industry "
        "| esda used well, s for 88 (projected) | clustergeo, s for all 88 "
        "| speed-up vs used well | speed-up vs defaults | clustergeo peak RSS |"
    )
    lines = [header, "|" + "---|" * 11]
    ratios: dict = {}
    for statistic in STATISTICS:
        for key, _weights, _transform in CONFIGS:
            for permutations in PERMUTATIONS:
                timing = esda_timings[key, statistic, permutations]
                mine = ours[key, permutations]
                seconds = mine["engine_median"]
                defaults = timing.defaults_each
                well = timing.well_each
                defaults_total = defaults * industries if defaults else None
                well_total = well * industries if well else None
                ratios[statistic, key, permutations] = (
                    well_total / seconds if well_total else None,
                    defaults_total / seconds if defaults_total else None,
                )
                n_def, n_well = len(timing.defaults), len(timing.well)
                lines.append(
                    f"| {STAT_LABEL[statistic]} | {CONFIG_LABEL[key]} | {permutations:,} "
                    f"| {_seconds(defaults)} "
                    f"| {_seconds(defaults_total)}"
                    + (f" (from {n_def})" if n_def else "")
                    + f" | {_seconds(well)}"
                    + (f" (n_jobs={timing.n_jobs})" if n_well else "")
                    + f" | {_seconds(well_total)}"
                    + (f" (from {n_well})" if n_well else "")
                    + f" | {_seconds(seconds)} | {_ratio(well_total, seconds)} "
                    f"| {_ratio(defaults_total, seconds)} | {_mib(mine['peak_rss'])} |"
                )
    return lines, ratios


def _targets(ratios: dict, ours: dict) -> list[str]:
    lines = []

    def verdict(ok: bool | None) -> str:
        return "not measured" if ok is None else ("**met**" if ok else "**NOT met**")

    for key, weights, _transform in CONFIGS:
        goal = 20 if weights == "kernel" else 100
        for statistic in STATISTICS:
            ratio = ratios[statistic, key, 999][0]
            ok = None if ratio is None else ratio >= goal
            shown = "—" if ratio is None else f"{ratio:,.0f}×"
            lines.append(
                f"- ≥{goal}× vs esda used well at 999 permutations, {STAT_LABEL[statistic]}, "
                f"{CONFIG_LABEL[key]}: {shown} — {verdict(ok)}"
            )
    for key, _weights, _transform in CONFIGS:
        seconds = ours[key, 9999]["engine_median"]
        lines.append(
            f"- 9,999 permutations for all 88 industries in under a minute, {CONFIG_LABEL[key]}: "
            f"{seconds:.1f} s — {verdict(seconds < 60)}"
        )
    worst = max(ours.values(), key=lambda r: r["peak_rss"])
    lines.append(
        f"- Peak memory under 2 GiB (largest clustergeo run, whole process RSS): "
        f"{worst['peak_rss'] / GIB:.2f} GiB — {verdict(worst['peak_rss'] < 2 * GIB)}"
    )
    return lines


def _report(context: dict) -> str:
    machine = context["machine"]
    esda_timings = context["esda"]
    ours = context["clustergeo"]
    plan = context["plan"]
    build: WeightsBuild = context["weights"]
    table, ratios = _table(esda_timings, ours, context["industries"], plan)
    out = [
        "# Hot-spot benchmark: clustergeo vs esda",
        "",
        f"Generated {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} by "
        f"`{context['command']}` in {context['total'] / 60:.1f} min.",
        "",
        f"- Machine: {machine['nproc']} CPUs ({machine['cpu']}), {machine['ram']} RAM; "
        f"load average {context['load_start']} at the start, {context['load_end']} at the end "
        "(other work on the machine adds noise; compare wall and CPU seconds below).",
        f"- Versions: Python {machine['python']}, numpy {machine['numpy']}, scipy "
        f"{machine['scipy']}, numba {machine['numba']} ({machine['numba threads']} threads), "
        f"esda {machine['esda']}, libpysal {machine['libpysal']}, pandas {machine['pandas']}.",
        "- clustergeo source: sha256 of `hotspots/*.py`, `config.py`, `concentration.py` = "
        f"`{context['source'][0]}`"
        + (
            "."
            if context["source"][0] == context["source"][1]
            else f" at the start but `{context['source'][1]}` at the end: **the source "
            "changed during the run, so these results may mix two versions**."
        ),
        f"- Workload: N = {context['n']:,} LSOAs (ONS LSOA Dec 2011 BSC, England & Wales, "
        f"EPSG:27700), K = {context['industries']} industries of synthetic employment "
        f"(seed {DATA_SEED}; {context['synthetic']['jobs'] / 1e6:.1f} M jobs, "
        f"{context['synthetic']['planted clusters']} planted clusters, "
        f"{context['synthetic']['zero cells'] * 100:.0f}% zero cells). The variable analysed "
        "is the **location quotient** computed from the counts by "
        "`clustergeo.concentration.location_quotients`.",
        f"- Weights: {build.contiguity.summary()['method']} "
        f"({build.contiguity.matrix.nnz:,} links, {len(build.contiguity.attached)} island "
        f"attached to its nearest area); gaussian kernel, adaptive bandwidth k={KERNEL_K} "
        f"({build.kernel.matrix.nnz:,} links). esda receives the same sparse matrices "
        "(zero diagonal checked).",
        "",
        *table,
        "",
        "Notes on the table:",
        "",
        "1. **clustergeo** is `clustergeo.hotspots.engine.local_hotspots` for all 88 industries "
        "in one call: Gi*, Gi and Local Moran's I with analytic z and p, conditional-"
        "permutation pseudo p-values for Gi* and Local Moran, Benjamini–Hochberg FDR per "
        "industry, hot/cold and quadrant classes, and the long result table "
        f"({ours['contiguity-binary', 999]['table_rows']:,} rows). The same number appears on "
        "the Gi* row and the Local Moran row, so each comparison is conservative: one esda "
        "call computes one statistic. Time = median of "
        f"{plan['runs']} runs in a fresh subprocess after a warm-up on a 500-area slice that "
        "loads the numba kernels from the on-disk cache (the one-off compile is reported "
        "below). Every run is listed below: the first in a process is the slowest, as it also "
        "pays for the operating system handing the process fresh memory.",
        '2. **esda defaults** ("as people usually call it"): a libpysal `W` built from the same '
        "sparse matrix, `G_Local(y, w, transform='B'|'R', star=True)` and "
        "`Moran_Local(y, w, transformation='b'|'r')` with every other argument at its default "
        "(permutations=999, keep_simulations=True, n_jobs=-1 for G_Local and 1 for "
        "Moran_Local, no seed). The transform is the row's (esda's own defaults are 'R'/'r'). "
        "Kernel rows use 'R' for both libraries: esda's 'B' would binarise kernel weights.",
        "3. **esda used well**: a libpysal `Graph` from the same matrix, keep_simulations=False, "
        f"seed={ESDA_SEED}, and the faster of n_jobs=1 and n_jobs=-1 measured on industry 1 "
        "for each row (shown in the cell).",
        '4. esda times are the mean over a sample of industries spread over the 88 ("from n" '
        "= sample size) and the 88-industry figure is **projected** = mean × 88. esda's JIT "
        "warm-up (in-process and in joblib's workers) was done beforehand and is not counted.",
        "5. **Peak RSS** = `VmHWM` of `/proc/self/status` of the clustergeo subprocess at its "
        "end: the peak resident memory of the whole process (Python, imports, data, warm-up and "
        "every run) since it started, not a delta. Not `ru_maxrss`: on Linux a child's "
        "ru_maxrss keeps the high-water mark of the address space that exec replaced (the "
        "parent's, at fork time), so it can report the parent's memory instead (recorded "
        f"too: largest {_mib(max(r['ru_maxrss'] for r in ours.values()))}).",
        "",
        "## Targets",
        "",
        *_targets(ratios, ours),
        "",
        "## Details",
        "",
        f"### Building the weights (median of {plan['build_repeats']} builds, same polygons)",
        "",
        "| builder | s | directed links | islands |",
        "|---|---|---|---|",
        *[
            f"| {label} | {_seconds(s)} | {links:,} | {islands} |"
            for label, s, links, islands in build.rows
        ],
        "",
        f"Naive queen contiguity (libpysal `build_contiguity(rook=False, strict=False)`, shared "
        f"vertices) leaves {build.rows[1][3]} island(s) on these boundaries and the strict "
        f"(shapely `touches`) variant {build.rows[2][3]}; {build.agreement}. The ONS "
        "super-generalised file shares vertices exactly, so naive queen works on it; the "
        "tolerance matters on boundary files that do not (see `hotspots/weights.py`).",
        "",
        "### clustergeo",
        "",
    ]
    compiled = context["compiled"]
    out += [
        "- Numba compile, empty cache (fresh process, `local_hotspots` on 60 areas): first "
        "call, with equal-weight rows (every kernel of the engine and the equal-weights "
        f"permutation kernels) {compiled['cold']['equal_weights']:.1f} s, then general weights "
        f"(their permutation kernel) {compiled['cold']['general_weights']:.1f} s. The same calls "
        "in a new process, loading the kernels from the on-disk cache (what a pipeline run "
        f"pays): {compiled['cached']['equal_weights']:.2f} s and "
        f"{compiled['cached']['general_weights']:.2f} s.",
        "",
        "| weights | permutations | engine runs, wall s | engine runs, CPU s "
        "| bare permutation kernel, s | analytic pass (Gi*, Gi, Moran), s "
        "| warm-up (500 areas), s "
        "| RSS before runs | peak RSS, engine | peak RSS, analytic + kernel alone |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for key, _weights, _transform in CONFIGS:
        for permutations in PERMUTATIONS:
            mine = ours[key, permutations]
            kernel = ", ".join(_seconds(t) for t in mine["kernel"]) if mine["kernel"] else "not run"
            out.append(
                f"| {CONFIG_LABEL[key]} | {permutations:,} "
                f"| {', '.join(_seconds(t) for t in mine['engine'])} "
                f"| {', '.join(_seconds(t) for t in mine['engine_cpu'])} | {kernel} "
                f"| {_seconds(mine['analytic'])} | {_seconds(mine['warm_up'])} "
                f"| {_mib(mine['baseline_rss'])} | {_mib(mine['engine_peak'])} "
                f"| {_mib(mine['statistics_peak'])} |"
            )
    out += [
        "",
        "The bare kernel is `permutation_counts` alone for all 88 industries (the counts "
        "serve both Gi* and Local Moran); it is run 3 times for equal-weight rows, once for "
        "kernel weights at 999 and not at all for kernel weights at 9,999 (it is then nearly "
        "all of the engine time). The analytic pass is the engine's own (`local_statistics`: "
        "Gi*, Gi, Local Moran's I and their z in one compiled pass, into arrays allocated "
        "beforehand). The engine time minus the kernel and the analytic pass is normal and "
        "pseudo p-values, FDR, classes and building the long table. CPU s = process CPU time of "
        "all threads (2 numba threads): when wall time rises well above CPU s / 2, the machine "
        "was busy with other work. The last column resets the high-water mark "
        "(`/proc/self/clear_refs`) after the engine runs, then runs the analytic pass "
        "and the bare kernel: an upper bound for them, since it starts from the RSS the "
        "allocator kept after the engine runs; the gap to the engine's peak is the engine's "
        "own bookkeeping (p-values, FDR, classes, the long table).",
        "",
        "### esda",
        "",
        f"- JIT warm-up before timing: {context['esda_warm_up']:.1f} s (not counted anywhere).",
    ]
    for key, _weights, _transform in CONFIGS:
        for statistic in STATISTICS:
            timing = esda_timings[key, statistic, 999]
            out.append(
                f"- {STAT_LABEL[statistic]}, {CONFIG_LABEL[key]}, 999: n_jobs probe "
                f"1 → {timing.probe[1]:.2f} s, −1 → {timing.probe[-1]:.2f} s; used-well times "
                f"{', '.join(_seconds(t) for t in timing.well)}; default times "
                f"{', '.join(_seconds(t) for t in timing.defaults)}."
            )
    for key, _weights, _transform in CONFIGS:
        for statistic in STATISTICS:
            timing = esda_timings[key, statistic, 9999]
            if timing.well or timing.defaults:
                out.append(
                    f"- {STAT_LABEL[statistic]}, {CONFIG_LABEL[key]}, 9,999: used-well times "
                    f"{', '.join(_seconds(t) for t in timing.well) or '—'}; default times "
                    f"{', '.join(_seconds(t) for t in timing.defaults) or '—'}."
                )
    peaks = [
        (label, esda_timings[key].defaults_peak)
        for label, key in (
            ("G_Local defaults, 999", ("contiguity-binary", "gi_star", 999)),
            ("Moran_Local defaults, 999", ("contiguity-binary", "moran", 999)),
            ("G_Local defaults, 9,999", ("contiguity-binary", "gi_star", 9999)),
            ("Moran_Local defaults (row-std.), 9,999", ("contiguity-row", "moran", 9999)),
        )
    ]
    out.append(
        "- Peak memory of one esda default call, by `tracemalloc` (Python and numpy "
        "allocations in this process; joblib workers and numba-internal allocations are not "
        "seen): "
        + "; ".join(f"{label} {_mib(peak)}" for label, peak in peaks if peak is not None)
        + ". With keep_simulations=True esda keeps an n × permutations float64 array per call "
        f"({context['n'] * 999 * 8 / 1024**2:,.0f} MiB at 999, "
        f"{context['n'] * 9999 * 8 / GIB:.1f} GiB at 9,999)."
    )
    both_well = [
        (esda_timings[key, "gi_star", 999].well_each or 0)
        + (esda_timings[key, "moran", 999].well_each or 0)
        for key, _w, _t in CONFIGS
    ]
    out.append(
        "- Both statistics, esda used well, projected for 88 industries at 999 vs clustergeo: "
        + "; ".join(
            f"{CONFIG_LABEL[key]} {_seconds(total * context['industries'])} s vs "
            f"{_seconds(ours[key, 999]['engine_median'])} s "
            f"({_ratio(total * context['industries'], ours[key, 999]['engine_median'])})"
            for total, (key, _w, _t) in zip(both_well, CONFIGS, strict=True)
        )
        + "."
    )
    kernel_only = []
    for key, _w, _t in CONFIGS:
        mine = ours[key, 999]
        if not mine["kernel"]:
            continue
        for statistic in STATISTICS:
            well = esda_timings[key, statistic, 999].well_each
            if well:
                kernel_only.append(
                    f"{STAT_LABEL[statistic]}, {CONFIG_LABEL[key]}: "
                    f"{_ratio(well * context['industries'], mine['kernel_median'])}"
                )
    out.append(
        "- For reference only (not the headline): esda used well, projected for 88 "
        "industries at 999, against clustergeo's bare permutation kernel "
        "(`permutation_counts`, all 88 industries, both statistics' counts): "
        + "; ".join(kernel_only)
        + "."
    )
    out += [
        "",
        "### Correctness guard (industry 1, analytic statistics, must agree within 1e-9)",
        "",
        *[f"- {line}" for line in context["guard"]],
        "",
    ]
    return "\n".join(out)


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer esda samples and runs")
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).parents[1] / "data" / "processed" / "bench" / "hotspots.md",
    )
    parser.add_argument("--esda-well", type=int, help="industries timed for esda used well")
    parser.add_argument("--esda-defaults", type=int, help="industries timed for esda defaults")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and write the Markdown report."""
    args = _parse(argv)
    if args.worker:
        print("RESULT " + json.dumps(_worker(json.loads(args.worker))))
        return 0
    started = _now()
    source_start = _source_fingerprint()
    load_start = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    plan = {
        "well": args.esda_well if args.esda_well is not None else (2 if args.quick else 6),
        "defaults": args.esda_defaults
        if args.esda_defaults is not None
        else (1 if args.quick else 3),
        "well_9999": 0 if args.quick else 1,
        "defaults_9999": []
        if args.quick
        else [
            ("contiguity-binary", "contiguity", "binary", "gi_star"),
            ("contiguity-row", "contiguity", "row", "moran"),
        ],
        "runs": 1 if args.quick else 3,
        "build_repeats": 1 if args.quick else 3,
    }
    machine = _machine()
    _log(f"machine: {machine}")
    areas, read_seconds = _load_areas()
    _log(f"read {len(areas):,} LSOAs in {read_seconds:.1f} s")
    lq, synthetic = synthetic_lq(areas, INDUSTRIES, DATA_SEED)
    values = lq.to_numpy()
    _log(f"synthetic employment: {synthetic}")
    build = _build_weights(areas, plan["build_repeats"])
    for row in build.rows:
        _log(f"weights: {row}")
    inputs = _esda_inputs(build)
    guard = _guard(values, build, inputs)
    for line in guard:
        _log(f"guard: {line}")

    with tempfile.TemporaryDirectory(prefix="bench_hotspots_") as temporary:
        data = Path(temporary)
        np.save(data / "values.npy", values)
        np.save(data / "ids.npy", build.contiguity.ids.astype(str))
        from scipy import sparse

        sparse.save_npz(data / "contiguity.npz", sparse.csr_matrix(build.contiguity.matrix))
        sparse.save_npz(data / "kernel.npz", sparse.csr_matrix(build.kernel.matrix))
        ours, compiled = _run_clustergeo(data, data / "numba_cache", plan["runs"], args.quick)

    _log("esda: JIT warm-up")
    esda_warm_up = _esda_warm_up(inputs)
    esda_timings = _run_esda(values, inputs, plan)

    command = shlex.join(
        [os.path.relpath(sys.executable), os.path.relpath(__file__), *sys.argv[1:]]
    )
    context = {
        "machine": machine,
        "esda": esda_timings,
        "clustergeo": ours,
        "compiled": compiled,
        "plan": plan,
        "weights": build,
        "industries": INDUSTRIES,
        "n": len(areas),
        "synthetic": synthetic,
        "guard": guard,
        "esda_warm_up": esda_warm_up,
        "command": command,
        "load_start": load_start,
        "load_end": ", ".join(f"{x:.2f}" for x in os.getloadavg()),
        "total": _now() - started,
        "source": (source_start, _source_fingerprint()),
    }
    report = _report(context)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report, encoding="utf-8")
    print(report)
    _log(f"wrote {args.out} after {(_now() - started) / 60:.1f} min")
    return 0


if __name__ == "__main__":
    sys.exit(main())
