"""The kernels' warm-up: it compiles (and says so) on an empty cache, and loads from a full one."""

from __future__ import annotations

import ast
import importlib
import os
import subprocess
import sys
import threading
from pathlib import Path
from types import CodeType, ModuleType

import numpy as np
import pandas as pd
import pytest

from clustergeo.config import HotspotsConfig
from clustergeo.hotspots import warmup
from clustergeo.hotspots.engine import local_hotspots
from clustergeo.hotspots.weights import build_weights
from conftest import square_grid


def test_every_engine_kernel_is_covered_and_in_process_calls_compile_nothing() -> None:
    warmup.warm_up()
    again = warmup.warm_up()
    assert again.compiled == 0
    assert again.from_cache
    assert "already loaded" in again.describe()
    kernels = {kernel.__name__ for kernel in warmup.compiled_kernels()}
    assert {"_statistics_kernel", "_count_equal_weights", "_count_general_weights"} <= kernels
    assert {"_family_major", "_class_kernel", "_permutation_p_kernel"} <= kernels
    # The kernels the warm-up ran have a compiled signature now.
    ran = [kernel for kernel in warmup.compiled_kernels() if kernel.signatures]
    assert len(ran) >= 12


def test_a_real_run_after_the_warm_up_compiles_nothing_new() -> None:
    warmup.warm_up()
    before = {kernel.__name__: len(kernel.signatures) for kernel in warmup.compiled_kernels()}
    areas = square_grid(6, 6, digits=2)
    for method, transform in (("contiguity", "binary"), ("kernel", "row")):
        weights = build_weights(areas, method=method, k=5)  # type: ignore[arg-type]
        values = pd.DataFrame(
            np.random.default_rng(1).poisson(2.0, (weights.n, 4)).astype(float),
            index=weights.ids,
            columns=list("ABCD"),
        )
        settings = HotspotsConfig(
            permutations=99, weights={"method": method, "transform": transform}
        )
        local_hotspots(values, weights, settings)
    after = {kernel.__name__: len(kernel.signatures) for kernel in warmup.compiled_kernels()}
    assert after == before


@pytest.mark.slow
def test_an_empty_cache_compiles_with_a_message_and_a_full_one_loads(tmp_path: Path) -> None:
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path))
    command = [sys.executable, "-m", "clustergeo.hotspots"]
    cold = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    assert warmup.COMPILING_MESSAGE in cold.stderr
    # A compile of tens of seconds says how far it has got every ten seconds.
    assert "still compiling the hot-spot kernels: " in cold.stderr
    # The compile is logged (stderr) once, and not printed again.
    assert "compiled " in cold.stderr
    assert cold.stdout == ""
    assert any(tmp_path.rglob("*.nbi"))  # numba's cache index files were written
    warm = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    assert warmup.COMPILING_MESSAGE not in warm.stderr
    assert warm.stdout.startswith("hot-spot kernels loaded from numba's cache")


def test_a_long_compile_reports_its_progress_until_it_ends(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    counts = iter([(3, 0), (7, 0)])
    monkeypatch.setattr(warmup, "_counts", lambda: next(counts, (7, 0)))
    caplog.set_level("INFO", logger="clustergeo.hotspots.warmup")
    with warmup._progress(0.01, compiled_before=1):
        # The compile: until two progress lines have been logged.
        for _ in range(500):
            if sum("still compiling" in r.getMessage() for r in caplog.records) >= 2:
                break
            threading.Event().wait(0.01)
    lines = [r.getMessage() for r in caplog.records if "still compiling" in r.getMessage()]
    assert lines[0].startswith("still compiling the hot-spot kernels: 2 signatures compiled in ")
    assert lines[1].startswith("still compiling the hot-spot kernels: 6 signatures compiled in ")
    # Once the block has ended, nothing more is logged.
    after = len(caplog.records)
    threading.Event().wait(0.05)
    assert len(caplog.records) == after


_HELPER = """
from numba import njit


@njit
def piece(x):
    return x + {step}
"""
_KERNEL = """
from numba import njit

from helper import piece


@njit(cache=True)
def kernel(x):
    return piece(x)
"""
_RUN = """
import sys
from pathlib import Path

import kernels
from clustergeo.hotspots.warmup import refresh_stale_cache

here = Path(kernels.__file__).parent
if sys.argv[1] == "refresh":
    emptied = refresh_stale_cache([kernels.kernel], [here / "helper.py", here / "kernels.py"])
    print("emptied" if emptied else "kept")
print(kernels.kernel(1.0), sum(kernels.kernel.stats.cache_hits.values()))
"""


def test_a_change_to_a_file_a_kernel_inlines_empties_the_stale_cache(tmp_path: Path) -> None:
    (tmp_path / "helper.py").write_text(_HELPER.format(step=1.0))
    (tmp_path / "kernels.py").write_text(_KERNEL)
    (tmp_path / "run.py").write_text(_RUN)
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "cache"))

    def run(mode: str) -> list[str]:
        done = subprocess.run(
            [sys.executable, "run.py", mode],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout.split()

    # First run: nothing cached, nothing to empty; compiled (no cache hit) and cached.
    assert run("refresh") == ["kept", "2.0", "0"]
    assert run("refresh") == ["kept", "2.0", "1"]  # loaded from the cache
    (tmp_path / "helper.py").write_text(_HELPER.format(step=2.0))
    # numba alone keys the cached code to kernels.py only: it loads the old machine code.
    assert run("plain") == ["2.0", "1"]
    # The refresh sees the helper changed: the cache is emptied and the kernel compiled anew,
    assert run("refresh") == ["emptied", "3.0", "0"]
    # and cached again.
    assert run("refresh") == ["kept", "3.0", "1"]
    assert run("plain") == ["3.0", "1"]


def _module_origins(module: ModuleType) -> dict[str, set[str]]:
    """Per top-level name of ``module``, the clustergeo modules its value comes from.

    ``from clustergeo.x import NAME`` gives ``clustergeo.x``; ``NAME = <expression>`` the
    modules of the imported names the expression reads.
    """
    tree = ast.parse(Path(str(module.__file__)).read_text())
    imported: dict[str, str] = {}
    origins: dict[str, set[str]] = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("clustergeo"):
            for alias in node.names:
                imported[alias.asname or alias.name] = str(node.module)
                origins[alias.asname or alias.name] = {str(node.module)}
        elif isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            read = {n.id for n in ast.walk(node.value) if isinstance(n, ast.Name)}
            for target in targets:
                if isinstance(target, ast.Name):
                    origins[target.id] = {imported[name] for name in read if name in imported}
    return origins


def _names_read(code: CodeType) -> set[str]:
    names = set(code.co_names)
    for constant in code.co_consts:
        if isinstance(constant, CodeType):
            names |= _names_read(constant)
    return names


def test_the_fingerprint_covers_every_file_a_kernel_takes_code_or_constants_from() -> None:
    sources = {path.resolve() for path in warmup.kernel_sources()}
    for module in warmup._kernel_modules():
        assert Path(str(module.__file__)).resolve() in sources
        origins = _module_origins(module)
        for kernel in warmup.compiled_kernels():
            if kernel.__module__ != module.__name__:
                continue
            for name in _names_read(kernel.py_func.__code__) & set(origins):
                for origin in origins[name]:
                    path = Path(str(importlib.import_module(origin).__file__)).resolve()
                    # Weights and config reach the kernels as arguments, never as code.
                    if origin not in {"clustergeo.config", "clustergeo.hotspots.weights"}:
                        assert path in sources, f"{kernel.__name__} reads {name} from {origin}"


def test_each_kernel_module_checked_its_cache_when_imported() -> None:
    fingerprint = warmup._fingerprint(warmup.kernel_sources())
    for module in warmup._kernel_modules():
        kernels = [k for k in warmup.compiled_kernels() if k.__module__ == module.__name__]
        folder = Path(kernels[0]._cache.cache_path)
        stamp = folder / f"kernel-sources.{module.__name__}.sha256"
        assert stamp.read_text().strip() == fingerprint
