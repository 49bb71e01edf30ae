"""Hot-spot benchmark: clustergeo against esda, interleaved in one process, on the same weights.

Run from the repository root with the project's environment (``make bench`` runs it)::

    .venv/bin/python benchmarks/bench_hotspots.py [--quick] [--out data/processed/bench/hotspots.md]
        [--readme README.md | --no-readme]

Workload
    The real ONS LSOA 2011 boundaries of England and Wales (N = 34,753, super generalised) and
    synthetic employment for K = 88 industries (negative-binomial counts around lognormal area
    totals, one to four planted clusters per industry); the variable analysed is the location
    quotient, computed by :func:`clustergeo.concentration.location_quotients`.

Weights
    Tolerant queen contiguity (1 m), used binary and row-standardised, and a gaussian kernel
    over each area's 6 nearest areas with an adaptive bandwidth (the 6th neighbour's
    distance), row-standardised. Built once by clustergeo; esda gets the same sparse matrices
    as a libpysal ``Graph``.

How it is timed, so that it holds on a busy machine
    Both libraries are warmed up first (numba kernels compiled or loaded, joblib's workers
    started). Then, for each weights x permutations configuration, the runs alternate:
    clustergeo's full call for all industries, esda's ``G_Local(star=True)`` on one industry,
    ``G_Local(star=False)`` and ``Moran_Local`` on the same industry, and again,
    ``--repeats`` times, each esda round on a different industry. Whatever else the machine
    does falls on both. Each row reports the minimum and the median of the wall time and of
    this process's CPU time, the load average over the configuration, and the ratio of esda's
    projected time for all K industries (median per industry x K) to clustergeo's median, and
    of the minima. At 9,999 permutations there are two rounds, esda on one industry in the
    first, with the n_jobs found faster at 999 on the same weights.

Fresh memory, and memory just given back
    Each round calls clustergeo twice: after esda's calls, as a user's one call in a
    process runs, and again at once. Its result table alone is 12 float columns of 3 million
    rows (0.29 GB), and every call writes it into memory the system hands the process anew,
    which costs page faults, counted as system CPU time. How much depends on the machine:
    on a virtual machine whose balloon device reports free memory to its host (Linux's free
    page reporting, for blocks of 2 MB and more, about 2 s after they are freed) the memory
    of a call that comes seconds after the last has gone back to the host, and the host
    must supply it again on first touch; the call made again at once gets back what the
    first has just freed. The table gives both, each with its system CPU time; the targets
    are judged on the first (a single call, as users make it).

esda "used well"
    A ``Graph`` (not a ``W``), ``keep_simulations=False``, a seed, and the faster of
    ``n_jobs=1`` and ``n_jobs=-1`` measured on the first industry (each probe after an
    untimed clustergeo call). One esda call computes one statistic for one industry;
    clustergeo's call computes, for every industry, Gi* and Local Moran's I with analytic and
    permutation p-values, Gi with its analytic z, FDR, classes and the long table. The Gi*
    and Local Moran rows set that whole call against one esda statistic. The "Gi*, Gi and
    Local Moran" rows set it against esda's three calls on each industry, summed round by
    round, Gi without permutations as clustergeo computes it: the same statistics and
    inference on both sides (esda still without FDR, classes or a long table).

Also measured
    Peak resident memory of a fresh process running each configuration; the analytic pass
    as the engine runs it (the column sums and the kernel; what depends on the weights alone,
    their row sums, per-area constants and merged neighbour lists, is prepared once per
    weights) against a kernel that moves the same bytes (its memory floor), each with its
    arrays in memory (the caches emptied first) and again in cache; how
    time grows with N (5k, 10k, 35k and 70k areas) and with K (10, 88, 300 industries), with
    the fitted power; a variable that ties with many draws (the employment counts rounded to
    five, whole and with 1% of cells suppressed, against the LQs); the global Moran's I and
    General G of every industry with 999 permutations, against esda's ``Moran`` and ``G`` on
    the same graph; and a first run on an empty numba cache (compile) and on a full one
    (load). Before anything is timed, clustergeo's analytic Gi* and Gi z and Local Moran's I
    are checked against esda's on one industry, and esda's published ``p_sim`` is compared
    with an exact-tie recount of esda's own simulations.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import gc
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
BOUNDARIES = (
    REPO.parent
    / "shared"
    / "data"
    / "boundaries_lsoa2011_bsc_strokemaps"
    / "LSOA_Dec2011_BSC_EW_V3.geojson.gz"
)
INDUSTRIES = 88
DATA_SEED = 20240611
ESDA_SEED = 12345
KERNEL_K = 6
START, END = "<!-- bench-hotspots:start -->", "<!-- bench-hotspots:end -->"
GUARD_Z = 1e-12
GIB = 1024**3


@dataclass(frozen=True)
class Config:
    """One row pair of the table: weights, transform and permutations."""

    key: str
    weights: str  # "contiguity" or "kernel"
    transform: str  # "binary" or "row"
    permutations: int
    label: str


CONFIGS = (
    Config("contiguity-binary", "contiguity", "binary", 999, "tolerant contiguity, binary"),
    Config("contiguity-row", "contiguity", "row", 999, "tolerant contiguity, row-std."),
    Config("kernel-row", "kernel", "row", 999, "adaptive gaussian kernel (k = 6), row-std."),
    Config("contiguity-binary-9999", "contiguity", "binary", 9999, "tolerant contiguity, binary"),
    Config("kernel-row-9999", "kernel", "row", 9999, "adaptive gaussian kernel (k = 6), row-std."),
)
STATISTICS = (("gi_star", "Gi*"), ("moran", "Local Moran"))
# esda computes one statistic per call: these three calls do what one clustergeo call does.
ESDA_CALLS = (("gi_star", "Gi*"), ("gi", "Gi"), ("moran", "Local Moran"))
# clustergeo reports Gi's statistic and analytic z only (no permutation p-value), so esda's
# Gi is timed computing just those: without permutations.
ANALYTIC_ONLY = frozenset({"gi"})
ALL = "all"
ALL_LABEL = "Gi*, Gi and Local Moran"


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------


def _log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


@dataclass
class Timings:
    """Wall and CPU seconds of repeated calls."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    #: The part of ``cpu`` spent in the kernel (mostly handing the process fresh memory).
    system: list[float] = field(default_factory=list)

    def add(self, function: Callable[[], object], *, collect: bool = True) -> object:
        """Call ``function``, record its wall and CPU seconds, return its result.

        The garbage is collected first (so no collection falls inside the timing) unless
        ``collect`` is false: a collection walks every Python object and so moves what the
        caches hold.
        """
        if collect:
            gc.collect()
        start, cpu, system = time.perf_counter(), time.process_time(), os.times().system
        result = function()
        self.wall.append(time.perf_counter() - start)
        self.cpu.append(time.process_time() - cpu)
        self.system.append(os.times().system - system)
        return result

    @property
    def wall_min(self) -> float:
        """Fastest wall time."""
        return min(self.wall)

    @property
    def wall_median(self) -> float:
        """Median wall time."""
        return statistics.median(self.wall)

    @property
    def cpu_min(self) -> float:
        """Least CPU time (this process, all threads)."""
        return min(self.cpu)

    @property
    def cpu_median(self) -> float:
        """Median CPU time (this process, all threads)."""
        return statistics.median(self.cpu)

    @property
    def system_median(self) -> float:
        """Median system CPU time (this process, all threads)."""
        return statistics.median(self.system)


def _seconds(value: float | None) -> str:
    if value is None or not np.isfinite(value):
        return "—"
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    if value >= 0.1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def _ratio(value: float | None) -> str:
    return "—" if value is None or not np.isfinite(value) else f"{value:,.0f}×"


def _load() -> tuple[float, float, float]:
    one, five, fifteen = os.getloadavg()
    return one, five, fifteen


def _proc_status(field_name: str) -> int:
    """A memory field of /proc/self/status in bytes (VmHWM = peak RSS since exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"{field_name} not in /proc/self/status")


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
                ram = f"{int(line.split()[1]) / 1024**2:.0f} GiB"
                break
    return {
        "nproc": str(len(os.sched_getaffinity(0))),
        "cpu": cpu,
        "ram": ram,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "numba": numba.__version__,
        "threads": str(numba.config.NUMBA_NUM_THREADS),  # type: ignore[attr-defined]
        "esda": esda.__version__,
        "libpysal": libpysal.__version__,
    }


# --------------------------------------------------------------------------------------------
# Workload
# --------------------------------------------------------------------------------------------


def _load_areas() -> Any:
    from clustergeo.ingest.boundaries import read_boundaries

    frame = read_boundaries(BOUNDARIES, code_column="LSOA11CD").frame
    return frame.rename(columns={"code": "area_code"}).reset_index(drop=True)


def synthetic_employment(areas: Any, industries: int, seed: int) -> pd.DataFrame:
    """Synthetic employment counts with planted clusters (areas x industries)."""
    import shapely

    from clustergeo.demo.national import synthetic_counts

    points = shapely.get_coordinates(areas.geometry.representative_point().to_numpy()) / 1000.0
    workload = synthetic_counts(points, industries, seed)
    codes = areas["area_code"].astype(str).to_numpy()
    return pd.DataFrame(
        workload.counts[0].astype(float),
        index=pd.Index(codes, name="area_code"),
        columns=workload.industries,
    )


def synthetic_lq(areas: Any, industries: int, seed: int) -> pd.DataFrame:
    """Location quotients of :func:`synthetic_employment` (areas x industries)."""
    return lq_of(synthetic_employment(areas, industries, seed))


def lq_of(employment: pd.DataFrame) -> pd.DataFrame:
    """Location quotients of an areas x industries employment table (reference: its totals)."""
    from clustergeo.concentration import location_quotients

    counts = employment.to_numpy()
    long = location_quotients(
        employment,
        area_totals=employment.sum(axis=1),
        reference_industry=employment.sum(axis=0),
        reference_total=float(counts.sum()),
    )
    lq = long["lq"].to_numpy().reshape(counts.shape)
    if not np.isfinite(lq).all():
        raise RuntimeError("synthetic LQs are not all finite")
    return pd.DataFrame(lq, index=employment.index, columns=employment.columns)


def _doubled(areas: Any) -> Any:
    """The areas twice: a copy shifted 1,000 km east, with its own codes (70k areas)."""
    import geopandas as gpd
    import shapely

    copy = areas.copy()
    copy["geometry"] = shapely.transform(
        copy.geometry.to_numpy(), lambda xy: xy + np.array([1_000_000.0, 0.0])
    )
    copy["area_code"] = "X" + copy["area_code"].astype(str)
    return gpd.GeoDataFrame(pd.concat([areas, copy], ignore_index=True), crs=areas.crs)


def _settings(config: Config) -> Any:
    from clustergeo.config import HotspotsConfig

    weights: dict[str, object] = {"transform": config.transform}
    if config.weights == "kernel":
        weights |= {"method": "kernel", "k": KERNEL_K}
    return HotspotsConfig(permutations=config.permutations, weights=weights)


# --------------------------------------------------------------------------------------------
# esda
# --------------------------------------------------------------------------------------------


def _esda_call(statistic: str, y: np.ndarray, graph: Any, transform: str, **options: Any) -> Any:
    import esda

    with _quiet():
        if statistic in {"gi_star", "gi"}:
            return esda.G_Local(
                y, graph, transform=transform[0].upper(), star=statistic == "gi_star", **options
            )
        return esda.Moran_Local(y, graph, transformation=transform[0].lower(), **options)


def _esda_well(  # noqa: PLR0917 -- the one call shape every esda timing uses
    statistic: str, y: np.ndarray, graph: Any, transform: str, n_jobs: int, permutations: int
) -> Any:
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


def _esda_permutations(statistic: str, permutations: int) -> int:
    """The permutations esda runs for ``statistic``: none where clustergeo reports no p_sim."""
    return 0 if statistic in ANALYTIC_ONLY else permutations


def _esda_warm_up(graph: Any) -> float:
    """Compile esda's numba code here and in joblib's workers (not timed later)."""
    from libpysal.graph import Graph

    small = Graph.from_sparse(graph.sparse[:400, :400])
    y = np.random.default_rng(0).random(400)
    start = time.perf_counter()
    for statistic, _label in ESDA_CALLS:
        for n_jobs in (1, -1):
            for transform in ("binary", "row"):
                _esda_well(
                    statistic, y, small, transform, n_jobs, _esda_permutations(statistic, 99)
                )
    return time.perf_counter() - start


def _guard(values: np.ndarray, contiguity: Any, graph: Any) -> list[str]:
    """Analytic statistics agree with esda; esda's p_sim against an exact-tie recount."""
    from clustergeo.hotspots.statistics import gi, gi_star, local_moran

    y = values[:, 0]
    lines = []
    _g, z = gi_star(values[:, [0]], contiguity.matrix, binary=True, row_standardise=False)
    _g, z_plain = gi(values[:, [0]], contiguity.matrix, row_standardise=False)
    for statistic, label, ours in (("gi_star", "Gi*", z), ("gi", "Gi", z_plain)):
        reference = _esda_call(statistic, y, graph, "binary", permutations=0)
        difference = float(np.max(np.abs(ours[:, 0] - reference.Zs)))
        lines.append(f"{label} z, binary contiguity: max |clustergeo − esda Zs| = {difference:.1e}")
        if not difference <= GUARD_Z:
            raise AssertionError(lines[-1])
    for transform, row in (("binary", False), ("row", True)):
        moran_i, _z, _lag = local_moran(values[:, [0]], contiguity.matrix, row_standardise=row)
        reference = _esda_call("moran", y, graph, transform, permutations=0)
        difference = float(np.max(np.abs(moran_i[:, 0] - reference.Is)))
        lines.append(f"Local Moran I, {transform}: max |clustergeo − esda Is| = {difference:.1e}")
        if not difference <= GUARD_Z:
            raise AssertionError(lines[-1])
    # esda folds its count of simulations >= the observed value with P minus that count, so
    # on the low side it counts only simulations strictly below: ties are left out there.
    result = _esda_call(
        "gi_star", y, graph, "binary", permutations=999, keep_simulations=True, seed=ESDA_SEED
    )
    simulated, observed = result.rGs, result.Gs[:, None]
    at_least = (simulated >= observed).sum(axis=1)
    at_most = (simulated <= observed).sum(axis=1)
    exact = (np.minimum(at_least, at_most) + 1.0) / 1000.0
    differs = np.abs(result.p_sim - exact) > 1e-6
    lines.append(
        f"esda G_Local p_sim (999 permutations, industry 1) against an exact-tie recount of "
        f"esda's own simulations: {int(differs.sum()):,} of {len(y):,} areas differ, "
        f"largest |Δp| {float(np.abs(result.p_sim - exact).max()):.3f}"
    )
    return lines


# --------------------------------------------------------------------------------------------
# The interleaved runs
# --------------------------------------------------------------------------------------------


@dataclass
class Row:
    """Measurements of one configuration."""

    config: Config
    #: clustergeo's call after esda's: seconds later, its memory comes fresh from the system.
    ours: Timings = field(default_factory=Timings)
    #: The same call again at once, into the memory the first has just given back.
    again: Timings = field(default_factory=Timings)
    esda: dict[str, Timings] = field(default_factory=dict)
    n_jobs: dict[str, int] = field(default_factory=dict)
    load: list[tuple[float, float, float]] = field(default_factory=list)
    table_rows: int = 0
    hot_spots: int = 0


def _sample(industries: int, count: int) -> list[int]:
    return sorted({int(i) for i in np.linspace(0, industries - 1, count + 2)[1:-1].round()})


def _interleaved(
    config: Config,
    frame: pd.DataFrame,
    weights: Any,
    graph: Any,
    *,
    repeats: int,
    esda_industries: int,
    n_jobs: dict[str, int] | None = None,
) -> Row:
    from clustergeo.hotspots.engine import local_hotspots

    settings = _settings(config)
    row = Row(config)
    row.load.append(_load())
    values = frame.to_numpy()
    for statistic, _label in ESDA_CALLS:
        row.esda[statistic] = Timings()
        if statistic in ANALYTIC_ONLY:  # no permutations: n_jobs does not apply
            row.n_jobs[statistic] = 1
            continue
        if n_jobs is not None:  # measured on the same weights at 999 permutations
            row.n_jobs[statistic] = n_jobs[statistic]
            continue
        # esda's faster n_jobs on the first industry, each probe after a clustergeo run
        # (not counted in clustergeo's timings, which have one run per round).
        probe = {}
        for jobs in (1, -1):
            local_hotspots(frame, weights, settings)
            start = time.perf_counter()
            _esda_well(statistic, values[:, 0], graph, config.transform, jobs, config.permutations)
            probe[jobs] = time.perf_counter() - start
        row.n_jobs[statistic] = min(probe, key=lambda jobs: probe[jobs])
    sample = _sample(frame.shape[1], esda_industries)
    for repeat in range(repeats):
        row.ours.add(lambda: local_hotspots(frame, weights, settings))
        result = row.again.add(lambda: local_hotspots(frame, weights, settings))
        if repeat < repeats - 1:
            del result
        for statistic, _label in ESDA_CALLS:
            if repeat < len(sample):
                j = sample[repeat]
                row.esda[statistic].add(
                    functools.partial(
                        _esda_well,
                        statistic,
                        values[:, j],
                        graph,
                        config.transform,
                        row.n_jobs[statistic],
                        _esda_permutations(statistic, config.permutations),
                    )
                )
        row.load.append(_load())
    # The three calls on each industry, summed: esda doing what one clustergeo call does.
    calls = [row.esda[statistic] for statistic, _label in ESDA_CALLS]
    row.esda[ALL] = Timings(
        wall=[sum(times) for times in zip(*(t.wall for t in calls), strict=True)],
        cpu=[sum(times) for times in zip(*(t.cpu for t in calls), strict=True)],
    )
    table = result.table  # type: ignore[attr-defined]
    row.table_rows = len(table)
    row.hot_spots = int(table["gi_star_class"].astype(str).str.startswith("hot").sum())
    _log(
        f"{config.key}: clustergeo min {row.ours.wall_min:.3f} s, median "
        f"{row.ours.wall_median:.3f} s (again at once: {row.again.wall_min:.3f} s, "
        f"{row.again.wall_median:.3f} s); esda Gi* median "
        f"{row.esda['gi_star'].wall_median if row.esda['gi_star'].wall else float('nan'):.2f} "
        "s per industry"
    )
    return row


# --------------------------------------------------------------------------------------------
# Separate processes: peak memory, cold and warm first runs
# --------------------------------------------------------------------------------------------

PEAK_SCRIPT = """
import json, sys, numpy as np, pandas as pd
from scipy import sparse
sys.path.insert(0, {bench!r})
import bench_hotspots as bench
from clustergeo.hotspots.engine import local_hotspots
from clustergeo.hotspots.weights import SpatialWeights
data = {data!r}
values = np.load(data + "/values.npy"); ids = np.load(data + "/ids.npy")
matrix = sparse.csr_array(sparse.load_npz(data + "/{weights}.npz"))
weights = SpatialWeights(ids=ids, matrix=matrix, method="x", binary=bool((matrix.data == 1).all()))
frame = pd.DataFrame(values, index=ids, columns=[f"IND{{j:03d}}" for j in range(values.shape[1])])
config = [c for c in bench.CONFIGS if c.key == {key!r}][0]
local_hotspots(frame, weights, bench._settings(config))
print("RESULT " + json.dumps({{"peak": bench._proc_status("VmHWM")}}))
"""


def _subprocess(arguments: list[str], env: dict[str, str] | None = None) -> tuple[str, str]:
    completed = subprocess.run(
        [sys.executable, *arguments], capture_output=True, text=True, env=env, check=False
    )
    if completed.returncode != 0:
        raise RuntimeError(f"subprocess failed:\n{completed.stderr[-4000:]}")
    return completed.stdout, completed.stderr


def _peak_memory(data: Path, config: Config) -> int:
    script = PEAK_SCRIPT.format(
        bench=str(Path(__file__).parent), data=str(data), weights=config.weights, key=config.key
    )
    stdout, _stderr = _subprocess(["-c", script])
    line = next(line for line in stdout.splitlines() if line.startswith("RESULT "))
    return int(json.loads(line.removeprefix("RESULT "))["peak"])


def _first_runs() -> dict[str, float | str]:
    """``python -m clustergeo.hotspots`` on an empty numba cache, then on the full one."""
    _log("first runs on an empty and a full numba cache")
    out: dict[str, float | str] = {}
    with tempfile.TemporaryDirectory(prefix="numba_cache_") as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        for label in ("cold", "cached"):
            start = time.perf_counter()
            stdout, stderr = _subprocess(["-m", "clustergeo.hotspots"], env)
            out[label] = time.perf_counter() - start
            # A compile is logged (stderr: the announcement, then the summary); a load from
            # the cache is printed (stdout).
            logged = stderr.strip().splitlines()
            out[f"{label}_said"] = (stdout.strip().splitlines() or logged or [""])[-1]
            out[f"{label}_log"] = logged[0] if logged else ""
    return out


# --------------------------------------------------------------------------------------------
# The analytic pass against its memory floor
# --------------------------------------------------------------------------------------------


def _last_level_cache_bytes() -> int:
    """Bytes of every distinct last-level cache of this process's CPUs (sysfs), else 64 MiB.

    A processor may have several last-level caches (one per core complex, or per socket);
    each is counted once, by the CPUs that share it.
    """
    units = {"K": 1024, "M": 1024**2, "G": 1024**3}
    caches: dict[tuple[int, str], int] = {}
    for cpu in sorted(os.sched_getaffinity(0)):
        for index in Path(f"/sys/devices/system/cpu/cpu{cpu}/cache").glob("index*"):
            with contextlib.suppress(OSError, ValueError, KeyError):
                if (index / "type").read_text().strip() == "Instruction":
                    continue
                text = (index / "size").read_text().strip()
                size = int(text[:-1]) * units[text[-1]] if text[-1] in units else int(text)
                shared = (index / "shared_cpu_list").read_text().strip()
                caches[int((index / "level").read_text()), shared] = size
    if not caches:
        return 64 * 1024**2
    top = max(level for level, _ in caches)
    return sum(size for (level, _), size in caches.items() if level == top)


def _read_through_kernel() -> Callable[[np.ndarray], float]:
    """A kernel reading an array on every thread (each thread through its own caches)."""
    import numba

    @numba.njit(parallel=True, cache=False)
    def read_through(buffer):  # type: ignore[no-untyped-def]
        total = 0.0
        for i in numba.prange(buffer.shape[0]):
            total += buffer[i]
        return total

    return read_through


def _memory_floor_kernel() -> Callable[..., None]:
    import numba

    @numba.njit(parallel=True, cache=False)
    def stream(values, out1, out2, out3, out4, out5, out6, codes, n_blocks):  # type: ignore[no-untyped-def]  # noqa: PLR0917
        n, k = values.shape
        for block in numba.prange(n_blocks):
            for i in range(block * n // n_blocks, (block + 1) * n // n_blocks):
                for c in range(k):
                    x = values[i, c]
                    out1[i, c] = x
                    out2[i, c] = x
                    out3[i, c] = x
                    out4[i, c] = x
                    out5[i, c] = x
                    out6[i, c] = x
                    codes[i, c] = 1

    return stream


def _analytic_pass(frame: pd.DataFrame, weights: Any, repeats: int) -> dict[str, float]:
    """The engine's analytic pass and a kernel moving the same bytes, interleaved.

    Each is timed in two states of the caches. From memory: before the call, every thread
    reads through a buffer twice the size of the last-level caches, so the call's inputs and
    outputs come from and go to main memory (the memory floor is about bytes moved to and
    from memory). From cache: the same call made again and again, its arrays where the
    previous call left them (on a machine whose last-level cache holds them, a floor of
    cache bandwidth, not memory's).
    """
    import numba

    from clustergeo.hotspots.statistics import (
        StatisticsOutput,
        column_sums,
        local_statistics,
        statistics_weights,
    )

    # As the engine calls it: the values column by column (pandas' layout) and a row-major copy,
    # what depends on the weights alone prepared once (the engine keeps it with the weights),
    # the column sums formed in the pass (the engine forms them while filling missing values).
    values = np.ascontiguousarray(frame.to_numpy())
    columns = np.asfortranarray(values)
    prepared = statistics_weights(weights.matrix, binary=True, row_standardise=False)
    shape = values.shape
    outputs = [np.empty(shape) for _ in range(6)]
    codes = np.empty(shape, dtype=np.int8)
    untested = np.zeros(shape, dtype=bool)
    rows = np.arange(shape[0])
    stream = _memory_floor_kernel()
    blocks = min(shape[0], 64 * numba.get_num_threads())
    stream(values, *outputs, codes, blocks)
    flush = np.ones(max(2 * _last_level_cache_bytes(), 256 * 1024**2) // 8)
    read_through = _read_through_kernel()

    def analytic() -> None:
        local_statistics(
            columns,
            columns,
            weights.matrix,
            contiguous=values,
            binary=True,
            row_standardise=False,
            untested=untested,
            rows=rows,
            out=StatisticsOutput(
                value=outputs[0],
                gi_star=outputs[1],
                gi_star_z=outputs[2],
                gi_z=outputs[3],
                moran_i=outputs[4],
                moran_z=outputs[5],
                quadrant=codes,
            ),
            sums=column_sums(columns),
            prepared=prepared,
        )

    def floor() -> None:
        stream(values, *outputs, codes, blocks)

    functions = {"analytic": analytic, "floor": floor}
    timings = {(name, state): Timings() for name in functions for state in "mc"}
    for _ in range(repeats):
        for name, function in functions.items():
            gc.collect()
            read_through(flush)
            timings[name, "m"].add(function, collect=False)
    # From cache: once the caches have settled on the arrays of calls made one after another
    # (a processor's cache keeps little of a call's data just after a larger stream).
    for name, function in functions.items():
        for _ in range(3):
            function()
        for _ in range(repeats):
            timings[name, "c"].add(function, collect=False)
    moved = values.nbytes + 6 * values.nbytes + codes.nbytes
    floor_memory = timings["floor", "m"].wall_min
    return {
        "analytic": timings["analytic", "m"].wall_min,
        "floor": floor_memory,
        "analytic_median": timings["analytic", "m"].wall_median,
        "floor_median": timings["floor", "m"].wall_median,
        "analytic_cached": timings["analytic", "c"].wall_min,
        "floor_cached": timings["floor", "c"].wall_min,
        "gigabytes": moved / 1e9,
        "bandwidth": moved / 1e9 / floor_memory,
        "flushed_megabytes": flush.nbytes / 1e6,
    }


# --------------------------------------------------------------------------------------------
# A variable that ties with most draws
# --------------------------------------------------------------------------------------------


def _tie_heavy(
    employment: pd.DataFrame, lq: pd.DataFrame, weights: Any, repeats: int
) -> dict[str, float]:
    """The engine on employment counts rounded to five and on the LQs, interleaved.

    Counts rounded to five (as Nomis publishes BRES) make a neighbour sum equal to many
    simulated sums; every one of those ties is counted exactly. With 1% of the cells
    suppressed (missing, so imputed with the column mean) the sums that hold an imputed
    value no longer add up exactly in double precision.
    """
    from clustergeo.hotspots.engine import local_hotspots

    settings = _settings(next(c for c in CONFIGS if c.key == "contiguity-binary"))
    rounded = (employment / 5.0).round() * 5.0
    suppressed = rounded.mask(np.random.default_rng(DATA_SEED).random(rounded.shape) < 0.01)
    on_lq, on_counts, on_suppressed = Timings(), Timings(), Timings()
    for _ in range(repeats):
        on_lq.add(lambda: local_hotspots(lq, weights, settings))
        on_counts.add(lambda: local_hotspots(rounded, weights, settings))
        on_suppressed.add(lambda: local_hotspots(suppressed, weights, settings))
    return {
        "lq_min": on_lq.wall_min,
        "lq_median": on_lq.wall_median,
        "counts_min": on_counts.wall_min,
        "counts_median": on_counts.wall_median,
        "suppressed_min": on_suppressed.wall_min,
        "suppressed_median": on_suppressed.wall_median,
    }


def _global(frame: pd.DataFrame, weights: Any, graph: Any, repeats: int) -> dict[str, float]:
    """Global Moran's I and General G with 999 permutations: every industry against esda's.

    clustergeo's one ``global_statistics`` call for all industries (binary weights), and
    esda's ``Moran`` and ``G`` on one industry each, interleaved; esda's time for every
    industry is projected from its medians. Before timing, Moran's I is checked against
    esda's on the first industry.
    """
    import esda

    from clustergeo.hotspots.global_statistics import global_statistics

    def ours() -> pd.DataFrame:
        return global_statistics(
            frame,
            weights,
            transform="binary",
            permutations=999,
            seed=ESDA_SEED,
            alternative="two-sided",
        )

    values = frame.to_numpy()
    table = ours()
    with _quiet():
        reference = esda.Moran(values[:, 0], graph, transformation="B", permutations=0)
    first = float(table["moran_i"].iloc[0])
    if not np.isclose(first, reference.I, rtol=1e-12, atol=0):
        raise AssertionError(f"Moran's I {first} against esda's {reference.I}")
    timings = {"ours": Timings(), "moran": Timings(), "g": Timings()}
    for repeat in range(repeats):
        timings["ours"].add(ours)
        if repeat < 2:
            y = values[:, repeat]
            with _quiet():
                timings["moran"].add(
                    functools.partial(esda.Moran, y, graph, transformation="B", permutations=999)
                )
                timings["g"].add(functools.partial(esda.G, y, graph, permutations=999))
    esda_median = (timings["moran"].wall_median + timings["g"].wall_median) * frame.shape[1]
    _log(
        f"global statistics: clustergeo min {timings['ours'].wall_min:.2f} s, median "
        f"{timings['ours'].wall_median:.2f} s; esda Moran + G median "
        f"{esda_median / frame.shape[1]:.2f} s per industry"
    )
    return {
        "ours_min": timings["ours"].wall_min,
        "ours_median": timings["ours"].wall_median,
        "esda_per_industry": timings["moran"].wall_median + timings["g"].wall_median,
        "esda_projected": esda_median,
        "ratio": esda_median / timings["ours"].wall_median,
    }


# --------------------------------------------------------------------------------------------
# Scaling in N and K
# --------------------------------------------------------------------------------------------


def _power(sizes: list[float], seconds: list[float]) -> float:
    """Least-squares slope of log(seconds) on log(size)."""
    return float(np.polyfit(np.log(sizes), np.log(seconds), 1)[0])


def _best_of(frame: pd.DataFrame, weights: Any, settings: Any, repeats: int) -> float:
    """Fastest wall time of ``repeats`` calls after one untimed call."""
    from clustergeo.hotspots.engine import local_hotspots

    local_hotspots(frame, weights, settings)
    timings = Timings()
    for _ in range(repeats):
        timings.add(lambda: local_hotspots(frame, weights, settings))
    return timings.wall_min


def _scaling(areas: Any, repeats: int, quick: bool) -> dict[str, list[tuple[int, float]]]:
    from clustergeo.hotspots.weights import build_weights

    settings = _settings(CONFIGS[0])
    out: dict[str, list[tuple[int, float]]] = {"N": [], "K": []}
    doubled = _doubled(areas)
    for n in (5_000, 10_000, len(areas), len(doubled)):
        subset = (doubled if n > len(areas) else areas).iloc[:n]
        weights = build_weights(subset, method="contiguity")
        frame = synthetic_lq(subset, INDUSTRIES, DATA_SEED)
        out["N"].append((n, _best_of(frame, weights, settings, repeats)))
        _log(f"scaling N = {n:,}: {out['N'][-1][1]:.3f} s")
    weights = build_weights(areas, method="contiguity")
    for k in (10, 88) if quick else (10, 88, 300):
        frame = synthetic_lq(areas, k, DATA_SEED)
        out["K"].append((k, _best_of(frame, weights, settings, repeats)))
        _log(f"scaling K = {k}: {out['K'][-1][1]:.3f} s")
    return out


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------


def _ratios(
    row: Row, statistic: str, industries: int, ours: Timings | None = None
) -> tuple[float | None, float | None]:
    """The speed-up: esda's projected time over clustergeo's (``row.ours`` by default)."""
    timing = row.esda.get(statistic)
    ours = ours if ours is not None else row.ours
    if timing is None or not timing.wall or not ours.wall:
        return None, None
    median = timing.wall_median * industries / ours.wall_median
    best = timing.wall_min * industries / ours.wall_min
    return median, best


def _jobs(row: Row, statistic: str) -> str:
    """The n_jobs esda ran ``statistic`` with, or each of the three calls summed in ``ALL``."""
    if statistic != ALL:
        return f"n_jobs={row.n_jobs[statistic]}"
    permuted = [(s, label) for s, label in ESDA_CALLS if s not in ANALYTIC_ONLY]
    chosen = {row.n_jobs[s] for s, _label in permuted}
    jobs = (
        f"n_jobs={chosen.pop()}"
        if len(chosen) == 1
        else "n_jobs: " + ", ".join(f"{label} {row.n_jobs[s]}" for s, label in permuted)
    )
    return f"3 calls, Gi without permutations, {jobs}"


def _main_table(rows: list[Row], peaks: dict[str, int], industries: int) -> list[str]:
    lines = [
        "| statistic | weights | permutations | esda used well, s per industry (min / median) "
        f"| esda for {industries} industries (projected from the median) "
        f"| clustergeo, all {industries} industries, after esda's calls: wall s (min / median) "
        "| CPU s (min / median; of it, system) | speed-up (medians / minima) "
        "| clustergeo called again at once: wall s (min / median; system CPU) "
        "| speed-up, called again at once (medians / minima) "
        "| load average during the row | clustergeo peak memory |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for statistic, label in (*STATISTICS, (ALL, ALL_LABEL)):
        for row in rows:
            timing = row.esda.get(statistic)
            median, best = _ratios(row, statistic, industries)
            again_median, again_best = _ratios(row, statistic, industries, row.again)
            load = max(entry[0] for entry in row.load)
            esda_cell = (
                f"{_seconds(timing.wall_min)} / {_seconds(timing.wall_median)} "
                f"({_jobs(row, statistic)}, {len(timing.wall)} "
                f"industr{'y' if len(timing.wall) == 1 else 'ies'})"
                if timing and timing.wall
                else "not timed"
            )
            projected = _seconds(timing.wall_median * industries) if timing and timing.wall else "—"
            lines.append(
                f"| {label} | {row.config.label} | {row.config.permutations:,} | {esda_cell} "
                f"| {projected} | {_seconds(row.ours.wall_min)} / {_seconds(row.ours.wall_median)} "
                f"| {_seconds(row.ours.cpu_min)} / {_seconds(row.ours.cpu_median)}; "
                f"{_seconds(row.ours.system_median)} "
                f"| {_ratio(median)} / {_ratio(best)} "
                f"| {_seconds(row.again.wall_min)} / {_seconds(row.again.wall_median)}; "
                f"{_seconds(row.again.system_median)} "
                f"| {_ratio(again_median)} / {_ratio(again_best)} | {load:.2f} "
                f"| {peaks.get(row.config.key, 0) / GIB:.2f} GiB |"
            )
    return lines


def _verdict(ok: bool) -> str:
    return "**met**" if ok else "**not met**"


def _targets(rows: list[Row], peaks: dict[str, int], industries: int) -> list[str]:
    lines = []
    for row in rows:
        if row.config.permutations != 999:
            continue
        goal = 25 if row.config.weights == "kernel" else 1000
        for statistic, label in (*STATISTICS, (ALL, f"{ALL_LABEL} (esda's three calls)")):
            median, best = _ratios(row, statistic, industries)
            again, _again_best = _ratios(row, statistic, industries, row.again)
            if median is None or best is None or again is None:
                continue
            lines.append(
                f"- ≥ {goal:,}× esda used well, {label}, {row.config.label}, 999 permutations: "
                f"{median:,.0f}× (medians), {best:,.0f}× (minima); called again at once "
                f"{again:,.0f}× (medians) — {_verdict(median >= goal)}"
            )
    for row in rows:
        if row.config.weights == "kernel" and row.config.permutations == 9999:
            lines.append(
                f"- 9,999 kernel permutations for all {industries} industries under 60 s: "
                f"{row.ours.wall_median:.1f} s (median) — {_verdict(row.ours.wall_median < 60)}"
            )
    if peaks:
        worst = max(peaks.values())
        lines.append(
            f"- Peak memory under 2 GiB (largest configuration, whole process): "
            f"{worst / GIB:.2f} GiB — {_verdict(worst < 2 * GIB)}"
        )
    return lines


def _scaling_table(scaling: dict[str, list[tuple[int, float]]]) -> list[str]:
    lines = [
        "| grows with | size | clustergeo wall s (min) | fitted power |",
        "|---|---:|---:|---:|",
    ]
    for name, label in (("N", "areas N (K = 88)"), ("K", "industries K (N = 34,753)")):
        points = scaling[name]
        power = _power([size for size, _ in points], [s for _, s in points])
        for size, seconds in points:
            lines.append(f"| {label} | {size:,} | {_seconds(seconds)} | {power:.2f} |")
    return lines


def _readme_block(context: dict[str, Any]) -> str:
    machine = context["machine"]
    first = context["first_runs"]
    analytic = context["analytic"]
    memory_ratio = analytic["analytic"] / analytic["floor"]
    ties = context["ties"]
    overall = context["global"]
    lines = [
        *_main_table(context["rows"], context["peaks"], context["industries"]),
        "",
        *_targets(context["rows"], context["peaks"], context["industries"]),
        "",
        *_scaling_table(context["scaling"]),
        "",
        f"- Analytic pass (column sums, then Gi*, Gi, Local Moran's I and their z in one "
        "kernel), from memory (the caches emptied before each call by reading "
        f"{analytic['flushed_megabytes']:,.0f} MB): {analytic['analytic'] * 1e3:.1f} ms at "
        f"best, {analytic['analytic_median'] * 1e3:.1f} ms median; a kernel moving the same "
        f"{analytic['gigabytes']:.2f} GB: {analytic['floor'] * 1e3:.1f} ms at best "
        f"({analytic['bandwidth']:.1f} GB/s), {analytic['floor_median'] * 1e3:.1f} ms median: "
        f"{memory_ratio:.1f}× its memory floor at best — {_verdict(memory_ratio <= 2)} (2× "
        f"aimed at) — and {analytic['analytic_median'] / analytic['floor_median']:.1f}× in "
        "medians. From cache (calls one after another, at best): "
        f"{analytic['analytic_cached'] * 1e3:.1f} ms against "
        f"{analytic['floor_cached'] * 1e3:.1f} ms, "
        f"{analytic['analytic_cached'] / analytic['floor_cached']:.1f}×.",
        "- Employment counts rounded to five instead of LQs (binary contiguity, 999 "
        "permutations; a neighbour sum ties with many draws, each tie counted exactly): "
        f"{_seconds(ties['counts_min'])} / {_seconds(ties['counts_median'])} s (min / median); "
        "with 1% of the cells suppressed (imputed with the mean, so sums with an imputed value "
        f"round): {_seconds(ties['suppressed_min'])} / {_seconds(ties['suppressed_median'])} s; "
        f"against {_seconds(ties['lq_min'])} / {_seconds(ties['lq_median'])} s on the LQs.",
        "- Global Moran's I and General G (binary contiguity, 999 permutations each), all "
        f"{context['industries']} industries in one call: {_seconds(overall['ours_min'])} / "
        f"{_seconds(overall['ours_median'])} s (min / median); esda's `Moran` and `G`, "
        f"{overall['esda_per_industry']:.1f} s per industry (median), "
        f"{overall['esda_projected']:,.0f} s projected: {overall['ratio']:,.0f}× (medians).",
        f"- First run on an empty numba cache: {first['cold']:.0f} s ({first['cold_log']}; "
        f"{first['cold_said']}). With the cache filled: {first['cached']:.1f} s "
        f"({first['cached_said']}).",
        f"- Load average (1 min) at the start {context['load_start'][0]:.2f}, at the end "
        f"{context['load_end'][0]:.2f}, highest during the interleaved rows "
        f"{max(entry[0] for row in context['rows'] for entry in row.load):.2f}.",
        "",
        f"_{machine['nproc']} CPUs ({machine['cpu']}), {machine['ram']}, Python "
        f"{machine['python']}, numba {machine['numba']}, esda {machine['esda']}, libpysal "
        f"{machine['libpysal']}; `{context['command']}`, {context['total'] / 60:.0f} min._",
    ]
    return "\n".join(lines)


def _report(context: dict[str, Any]) -> str:
    out = [
        "# Hot-spot benchmark: clustergeo vs esda (interleaved)",
        "",
        f"Generated {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}. Method: see the "
        "docstring of `benchmarks/bench_hotspots.py`.",
        "",
        f"- Workload: N = {context['n']:,} LSOAs, K = {context['industries']} industries "
        f"(synthetic counts, seed {DATA_SEED}); {context['rows'][0].table_rows:,} result rows.",
        f"- Weights: {context['contiguity']}; {context['kernel']}.",
        f"- esda warm-up (not timed): {context['esda_warm_up']:.1f} s.",
        "",
        _readme_block(context),
        "",
        "## Correctness guard (industry 1)",
        "",
        *[f"- {line}" for line in context["guard"]],
        "",
        "## Every run",
        "",
    ]
    for row in context["rows"]:
        out.append(
            f"- {row.config.label}, {row.config.permutations:,}: clustergeo wall "
            f"{', '.join(_seconds(s) for s in row.ours.wall)}; CPU "
            f"{', '.join(_seconds(s) for s in row.ours.cpu)} (system "
            f"{', '.join(_seconds(s) for s in row.ours.system)}); called again at once: wall "
            f"{', '.join(_seconds(s) for s in row.again.wall)}, system "
            f"{', '.join(_seconds(s) for s in row.again.system)}; load "
            f"{', '.join(f'{entry[0]:.2f}' for entry in row.load)}"
        )
        for statistic, label in ESDA_CALLS:
            timing = row.esda.get(statistic)
            if timing and timing.wall:
                out.append(
                    f"  - esda {label}: wall {', '.join(_seconds(s) for s in timing.wall)}; "
                    f"CPU (this process; joblib workers not counted) "
                    f"{', '.join(_seconds(s) for s in timing.cpu)}"
                )
    return "\n".join(out) + "\n"


def _update_readme(readme: Path, block: str) -> None:
    text = readme.read_text(encoding="utf-8")
    if START not in text or END not in text:
        raise SystemExit(f"{readme} has no {START} ... {END} markers")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    readme.write_text(f"{head}{START}\n{block}\n{END}{tail}", encoding="utf-8")
    _log(f"updated the table in {readme}")


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, no 9,999 rows")
    parser.add_argument("--repeats", type=int, default=None, help="interleaved repeats per row")
    parser.add_argument("--out", type=Path, default=REPO / "data/processed/bench/hotspots.md")
    parser.add_argument("--readme", type=Path, default=REPO / "README.md")
    parser.add_argument("--no-readme", action="store_true", help="leave the README alone")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, write the report and the README's table."""
    from libpysal.graph import Graph
    from scipy import sparse

    from clustergeo.hotspots.warmup import warm_up
    from clustergeo.hotspots.weights import build_weights

    args = _parse(argv)
    started = time.perf_counter()
    load_start = _load()
    repeats = args.repeats or (3 if args.quick else 5)
    machine = _machine()
    _log(f"machine: {machine}")

    first_runs = _first_runs()
    warm_up()

    areas = _load_areas()
    employment = synthetic_employment(areas, INDUSTRIES, DATA_SEED)
    frame = lq_of(employment)
    contiguity = build_weights(areas, method="contiguity")
    kernel = build_weights(areas, method="kernel", k=KERNEL_K)
    weights = {"contiguity": contiguity, "kernel": kernel}
    graphs = {name: Graph.from_sparse(w.matrix) for name, w in weights.items()}
    for name, w in weights.items():
        if np.count_nonzero(w.matrix.diagonal()) or np.count_nonzero(
            graphs[name].sparse.diagonal()
        ):
            raise AssertionError(f"{name} weights have self-weights")
    guard = _guard(frame.to_numpy(), contiguity, graphs["contiguity"])
    for line in guard:
        _log(f"guard: {line}")
    esda_warm_up = _esda_warm_up(graphs["contiguity"])

    configs = [c for c in CONFIGS if not (args.quick and c.permutations > 999)]
    rows: list[Row] = []
    for config in configs:
        many = config.permutations <= 999
        # At 9,999 permutations: two interleaved rounds, esda on one industry, with the n_jobs
        # found faster at 999 on the same weights.
        same = [
            r
            for r in rows
            if r.config.weights == config.weights and r.config.transform == config.transform
        ]
        rows.append(
            _interleaved(
                config,
                frame,
                weights[config.weights],
                graphs[config.weights],
                repeats=repeats if many else 2,
                esda_industries=repeats if many else 1,
                n_jobs=None if many or not same else same[0].n_jobs,
            )
        )

    analytic = _analytic_pass(frame, contiguity, repeats * 2)
    ties = _tie_heavy(employment, frame, contiguity, repeats)
    _log(f"analytic pass {analytic}; tie-heavy variable {ties}")
    with tempfile.TemporaryDirectory(prefix="bench_hotspots_") as temporary:
        data = Path(temporary)
        np.save(data / "values.npy", frame.to_numpy())
        np.save(data / "ids.npy", contiguity.ids.astype(str))
        for name, w in weights.items():
            sparse.save_npz(data / f"{name}.npz", sparse.csr_matrix(w.matrix))
        peaks = {config.key: _peak_memory(data, config) for config in configs}
    _log(f"peak memory {peaks}")
    scaling = _scaling(areas, max(2, repeats // 2), args.quick)

    command = shlex.join(
        [os.path.relpath(sys.executable, REPO), "benchmarks/bench_hotspots.py", *sys.argv[1:]]
    )
    context = {
        "machine": machine,
        "rows": rows,
        "peaks": peaks,
        "industries": INDUSTRIES,
        "n": len(areas),
        "guard": guard,
        "esda_warm_up": esda_warm_up,
        "first_runs": first_runs,
        "analytic": analytic,
        "ties": ties,
        "global": _global(frame, contiguity, graphs["contiguity"], 3),
        "scaling": scaling,
        "contiguity": contiguity.method + f" ({contiguity.matrix.nnz:,} links)",
        "kernel": kernel.method + f" ({kernel.matrix.nnz:,} links)",
        "load_start": load_start,
        "load_end": _load(),
        "command": command,
        "total": time.perf_counter() - started,
    }
    report = _report(context)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report, encoding="utf-8")
    _log(f"wrote {args.out}")
    if not args.no_readme:
        _update_readme(args.readme, _readme_block(context))
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
