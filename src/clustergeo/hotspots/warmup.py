"""Compile the hot-spot kernels once, and say so, instead of pausing silently on a first run.

The hot-spot statistics run in numba kernels compiled with ``cache=True``: the first process
that uses them compiles them (about a minute on a fresh install) and writes machine code to
numba's cache (``__pycache__`` beside the sources, or ``NUMBA_CACHE_DIR``); every later
process loads it in a second or two. :func:`warm_up` runs every kernel of the engine once on
a tiny made-up region, so the compiling happens at a moment of our choosing (``make setup``,
or just before a run's first hot-spot statistics, with a log line) and says how long it took
and whether it compiled or loaded the kernels.

numba keys each kernel's cached code to its own source file only; code a kernel inlines from
another file (the LLVM pieces of :mod:`~clustergeo.hotspots.intrinsics`, the exact arithmetic
of :mod:`~clustergeo.hotspots.exact`) and constants it compiles in (the class codes of
:mod:`clustergeo.vocab`) do not enter the key, so after an update that changed only such a
file numba would load the old machine code. Each kernel module therefore ends with
:func:`refresh_module_cache`, which keeps a fingerprint of every file the kernels are
compiled from beside numba's cache and empties the module's cache when they no longer
match: on import, before any of its kernels can run, in every process.

Run ``python -m clustergeo.hotspots`` to compile (or check) the cache from a shell.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import numba
import numpy as np
import pandas as pd
from numba.core.registry import CPUDispatcher
from scipy import sparse

from clustergeo import vocab
from clustergeo._errors import OutputError
from clustergeo.io import atomic_path
from clustergeo.vocab import MORAN_LEVEL

__all__ = ["WarmUp", "compiled_kernels", "ensure_warm", "refresh_stale_cache", "warm_up"]

log = logging.getLogger(__name__)

#: What a run logs before it compiles the kernels.
COMPILING_MESSAGE = "compiling the hot-spot kernels once (cached for later runs)"
#: Seconds between the progress lines of a compile.
PROGRESS_EVERY_S = 10.0
#: The file, in each of numba's cache folders, naming the sources its kernels were compiled from.
SOURCES_STAMP = "kernel-sources.sha256"
#: The modules of this package that define kernels.
_KERNEL_MODULES = (
    "emerging",
    "engine",
    "exact",
    "global_statistics",
    "multiple_testing",
    "permutation",
    "statistics",
)
#: The modules of this package whose code the kernels inline without defining kernels.
_INLINED_MODULES = ("intrinsics", "ordering")
#: Kernel modules whose cached code :func:`refresh_module_cache` threw away in this process.
_discarded: set[str] = set()


@dataclass(frozen=True)
class WarmUp:
    """What :func:`warm_up` did."""

    compiled: int
    loaded: int
    seconds: float

    @property
    def from_cache(self) -> bool:
        """Whether every kernel came from numba's cache (nothing was compiled)."""
        return self.compiled == 0

    def describe(self) -> str:
        """One line for a log or a terminal."""
        if self.from_cache and not self.loaded:
            return "hot-spot kernels ready (already loaded in this process)"
        if self.from_cache:
            return f"hot-spot kernels loaded from numba's cache in {self.seconds:.1f} s"
        return (
            f"compiled {self.compiled} hot-spot kernel signatures in {self.seconds:.1f} s "
            f"(loaded {self.loaded} from cache); later runs load them from the cache"
        )


def _kernel_modules() -> list[ModuleType]:
    return [importlib.import_module(f"{__package__}.{name}") for name in _KERNEL_MODULES]


def kernel_sources() -> list[Path]:
    """Every file the kernels are compiled from.

    Their modules, what they inline, and the vocabulary whose constants (class codes) numba
    compiles into them. Found without importing them: kernel modules ask while importing.
    """
    package = Path(__file__).parent
    files = [package / f"{name}.py" for name in (*_KERNEL_MODULES, *_INLINED_MODULES)]
    return sorted([*files, Path(str(vocab.__file__))])


def _fingerprint(sources: Iterable[Path]) -> str:
    """SHA-256 of numba's version and each source file's name and bytes."""
    digest = hashlib.sha256(f"numba {numba.__version__}\n".encode())
    for source in sorted(sources):
        digest.update(f"{source.name}\n".encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()


def refresh_stale_cache(
    kernels: Iterable[CPUDispatcher], sources: Iterable[Path], stamp_name: str = SOURCES_STAMP
) -> bool:
    """Empty numba's cache of ``kernels`` unless it was compiled from ``sources`` as they are.

    Call it before the kernels run in this process. The fingerprint of the sources is kept
    in ``stamp_name`` in each cache folder; where it is missing or differs, every
    kernel cached there is emptied (each compiles afresh, and is cached again, when next
    called) and then the new fingerprint is written, so a run stopped in between only empties
    the cache again. Kernels this process already holds are compiled again once every cache
    is emptied (there are none when it runs as a module is imported). A cache that cannot be
    written is left as it is, without a fingerprint, and tried again by the next run.

    Returns
    -------
    bool
        Whether compiled code was thrown away: a cache from other sources, or from before
        fingerprints were kept (not an empty cache).
    """
    fingerprint = _fingerprint(sources)
    # Each kernel's on-disk cache: numba keeps it on the dispatcher, with its folder.
    by_folder: dict[Path, list[tuple[CPUDispatcher, Any]]] = {}
    for kernel in kernels:
        cache = getattr(kernel, "_cache", None)
        folder = getattr(cache, "cache_path", None)
        if folder is not None:  # numba's null cache (``cache=False``) has no folder
            by_folder.setdefault(Path(folder), []).append((kernel, cache))
    stale: list[CPUDispatcher] = []
    discarded = False
    for folder, cached in by_folder.items():
        stamp = folder / stamp_name
        try:
            recorded: str | None = stamp.read_text().strip()
        except OSError:
            recorded = None
        if recorded == fingerprint:
            continue
        # numba's data files hold the machine code (an emptied index leaves them behind).
        discarded = discarded or recorded is not None or any(folder.glob("*.nbc"))
        try:
            for _kernel, cache in cached:
                cache.flush()  # an empty index: every signature compiles afresh
        except OSError as exc:  # numba could not cache there either
            log.debug("Cannot empty the kernel cache in %s: %s", folder, exc)
            continue
        stale += [kernel for kernel, _cache in cached]
        try:
            with atomic_path(stamp) as tmp:
                tmp.write_text(fingerprint + "\n")
        except OutputError as exc:
            log.debug("Cannot record the kernels' sources: %s", exc)
    for kernel in stale:
        if kernel.signatures:
            kernel.recompile()
    return discarded


def refresh_module_cache(namespace: dict[str, Any]) -> None:
    """:func:`refresh_stale_cache` for the kernels of a module, called as its last line.

    ``namespace`` is the module's ``globals()``; each module keeps its own fingerprint
    (``kernel-sources.<module>.sha256``), as it is imported on its own.
    """
    module = str(namespace["__name__"])
    kernels = [
        value
        for value in namespace.values()
        if isinstance(value, CPUDispatcher) and value.__module__ == module
    ]
    if refresh_stale_cache(kernels, kernel_sources(), f"kernel-sources.{module}.sha256"):
        _discarded.add(module)


def compiled_kernels() -> Iterator[CPUDispatcher]:
    """Every numba kernel of the hot-spot engine."""
    for module in _kernel_modules():
        for value in vars(module).values():
            if isinstance(value, CPUDispatcher) and value.__module__ == module.__name__:
                yield value


def _counts() -> tuple[int, int]:
    """Signatures compiled and loaded from the cache so far, over every kernel."""
    compiled = loaded = 0
    for kernel in compiled_kernels():
        stats = kernel.stats
        compiled += sum(stats.cache_misses.values())
        loaded += sum(stats.cache_hits.values())
    return compiled, loaded


@contextlib.contextmanager
def _progress(every: float, compiled_before: int) -> Iterator[None]:
    """Log, every ``every`` seconds until the block ends, how far the compile has got.

    A compile of a fresh install takes about a minute; the lines show it is moving. The
    counts are read from another thread while numba compiles: a read that meets a count
    being added is skipped until the next line.
    """
    done = threading.Event()
    started = time.perf_counter()

    def beat() -> None:
        while not done.wait(every):
            try:
                compiled = _counts()[0] - compiled_before
            except RuntimeError:  # a count was added while it was read
                continue
            log.info(
                "still compiling the hot-spot kernels: %d signatures compiled in %.0f s",
                compiled,
                time.perf_counter() - started,
            )

    thread = threading.Thread(target=beat, name="compile-progress", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


def _tiny_region() -> tuple[pd.DataFrame, np.ndarray, sparse.csr_array, sparse.csr_array]:
    """Thirty areas on a 6 x 5 grid with rook neighbours, and three industries.

    The values have ties, a zero column stretch, a missing cell and a constant industry, so
    every branch that has its own compiled code runs.
    """
    rows, cols = 6, 5
    n = rows * cols
    links = [(r * cols + c, r * cols + c + 1) for r in range(rows) for c in range(cols - 1)] + [
        (r * cols + c, (r + 1) * cols + c) for r in range(rows - 1) for c in range(cols)
    ]
    left, right = np.array(links).T
    binary = sparse.coo_array(
        (np.ones(2 * len(links)), (np.r_[left, right], np.r_[right, left])), shape=(n, n)
    ).tocsr()
    general = binary.copy()
    general.data = 1.0 / (1.0 + np.arange(general.nnz) % 3)
    ids = np.array([f"W{i:02d}" for i in range(n)])
    grid = np.arange(n, dtype=float)
    values = pd.DataFrame(
        {"A": grid % 4, "B": np.where(grid < 10, 0.0, grid / 7), "C": 2.0}, index=ids
    )
    values.iloc[3, 0] = np.nan
    return values, ids, sparse.csr_array(binary), sparse.csr_array(general)


def _run_every_kernel() -> None:
    values, ids, binary, general = _tiny_region()
    # The made-up region's missing cell and constant industry are not the user's to read about.
    engine_log = logging.getLogger("clustergeo.hotspots.engine")
    level = engine_log.level
    engine_log.setLevel(logging.ERROR)
    try:
        _run_on(values, ids, binary, general)
    finally:
        engine_log.setLevel(level)


def _run_on(
    values: pd.DataFrame, ids: np.ndarray, binary: sparse.csr_array, general: sparse.csr_array
) -> None:
    from clustergeo.config import HotspotsConfig
    from clustergeo.hotspots.emerging import emerging_cells, year_states
    from clustergeo.hotspots.engine import correct_pooled, local_hotspots
    from clustergeo.hotspots.global_statistics import global_statistics
    from clustergeo.hotspots.permutation import permutation_counts
    from clustergeo.hotspots.weights import SpatialWeights

    equal = SpatialWeights(ids=ids, matrix=binary, method="warm-up", binary=True)
    weighted = SpatialWeights(ids=ids, matrix=general, method="warm-up", binary=False)
    for weights, settings in (
        (equal, HotspotsConfig(permutations=19)),
        (equal, HotspotsConfig(permutations=19, correction_scope="all")),
        (weighted, HotspotsConfig(permutations=19, weights={"transform": "row"})),
    ):
        result = local_hotspots(values, weights, settings, report_for=list(ids[2:]))
    # General weights on signed values: the first pass of the counts in double precision
    # (non-negative values, as above, take the single-precision one).
    signed = np.nan_to_num(values.to_numpy(dtype=np.float64)) - 1.5
    permutation_counts(signed, general, permutations=19, seed=0, equal_weights=False)
    # Global Moran's I and General G, with their permutations.
    global_statistics(
        values, equal, transform="binary", permutations=19, seed=0, alternative="two-sided"
    )
    # The pooled correction of results computed in parts (the Dask backend).
    correct_pooled(result.table, HotspotsConfig(permutations=19, correction_scope="all"))
    # Emerging hot spots: the trend test and the categories of a few years of z.
    z = np.tile(np.arange(4.0)[:, None], (1, 3))
    emerging_cells(z, year_states(z, np.full_like(z, 0.01), alpha=0.05), alpha=0.05)


def _probes() -> list[Callable[[], object]]:
    """The cheapest kernel of each module that the engine uses, on one-cell inputs."""
    from clustergeo.hotspots.emerging import mann_kendall
    from clustergeo.hotspots.engine import _class_kernel, _Corrected
    from clustergeo.hotspots.global_statistics import permuted_cross_products
    from clustergeo.hotspots.multiple_testing import discrete_table
    from clustergeo.hotspots.permutation import shared_draws
    from clustergeo.hotspots.statistics import _insert_self_weights

    one = np.zeros((1, 1))
    code = np.zeros((1, 1), dtype=np.int8)
    return [
        lambda: shared_draws(np.array([1, 1], dtype=np.int64), 1, 0),
        lambda: discrete_table(np.zeros((1, 1), dtype=np.int32), np.array([1.0])),
        lambda: _insert_self_weights(
            np.zeros(2, dtype=np.int64), np.empty(0, dtype=np.int64), np.empty(0), True, 1
        ),
        lambda: mann_kendall(np.zeros((3, 1))),
        lambda: permuted_cross_products(np.zeros((2, 1)), sparse.csr_array((2, 2)), 1, 0),
        lambda: _class_kernel(
            one,
            one.copy(),
            _Corrected().arguments(),
            np.array([0.05]),
            one.copy(),
            _Corrected().arguments(),
            MORAN_LEVEL,
            code,
            code.copy(),
            code.copy(),
            1,
        ),
    ]


_state = {"warm": False, "warming": False}


def warm_up(*, announce: bool = True) -> WarmUp:
    """Compile (or load from numba's cache) every hot-spot kernel, on a tiny region.

    Parameters
    ----------
    announce
        Log :data:`COMPILING_MESSAGE` (INFO) before compiling when the cache is cold, and a
        line of progress every :data:`PROGRESS_EVERY_S` seconds while it compiles.

    Returns
    -------
    WarmUp
        How many kernel signatures were compiled and loaded, and the seconds it took.

    Notes
    -----
    Whether the cache is cold is told by the first kernel's own load: numba reports every
    signature it compiled (a cache miss) or loaded (a hit).
    """
    started = time.perf_counter()
    compiled_before, loaded_before = _counts()  # imports every kernel module
    if _discarded and announce:
        log.info("the hot-spot kernels changed since numba cached them: compiling them afresh")
    _state["warming"] = True
    try:
        # One cheap kernel per module first: a miss among them (the module changed, or the
        # cache is empty) is announced before the long compile, not after it, and the
        # compile then reports its progress.
        compiling = False
        for probe in _probes():
            probe()
            if _counts()[0] > compiled_before:
                compiling = announce
                break
        if compiling:
            log.info(COMPILING_MESSAGE)
            with _progress(PROGRESS_EVERY_S, compiled_before):
                _run_every_kernel()
        else:
            _run_every_kernel()
    finally:
        _state["warming"] = False
    _state["warm"] = True
    compiled, loaded = _counts()
    report = WarmUp(
        compiled=compiled - compiled_before,
        loaded=loaded - loaded_before,
        seconds=time.perf_counter() - started,
    )
    if report.compiled:
        log.info("%s", report.describe())
    else:
        log.debug("%s", report.describe())
    return report


def ensure_warm() -> None:
    """Warm the kernels up once per process, before the first hot-spot statistics."""
    if not (_state["warm"] or _state["warming"]):
        warm_up()


def main() -> int:
    """``python -m clustergeo.hotspots``: compile or load the kernels and say which."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    report = warm_up()
    if report.from_cache:  # a compile is already logged, at info level
        print(report.describe())
    return 0
