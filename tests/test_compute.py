"""The Dask backend: the same hot spots as the in-process engine, bit for bit, and clear errors."""

from __future__ import annotations

import logging
import operator
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from distributed import Client

from clustergeo import load_config
from clustergeo._errors import ConfigError, InputDataError
from clustergeo.compute import LOOPBACK, dask_client, describe_client, kernel_threads
from clustergeo.config import ComputeConfig, HotspotsConfig
from clustergeo.hotspots.engine import local_hotspots
from clustergeo.hotspots.partitioned import column_blocks, partitioned_hotspots
from clustergeo.hotspots.weights import build_weights
from clustergeo.panels.employment import open_panel
from clustergeo.stages import hotspots as hotspots_stage
from clustergeo.stages import registry as r
from clustergeo.stages.paths import RunPaths
from conftest import demo_config, square_grid


@pytest.fixture(scope="module")
def client(dask_cluster: str) -> Iterator[Client]:
    with Client(dask_cluster) as connected:
        yield connected


@pytest.fixture(scope="module")
def grid_values() -> pd.DataFrame:
    """Nine industries on a 12 x 10 grid: skewed counts, a missing cell and a constant column."""
    areas = square_grid(12, 10, digits=2)
    rng = np.random.default_rng(7)
    values = pd.DataFrame(
        rng.negative_binomial(2, 0.3, size=(len(areas), 9)).astype(float),
        index=pd.Index(areas["area_code"], name="area_code"),
        columns=[f"I{j}" for j in range(9)],
    )
    # A planted cluster in a 4 x 4 block for every other industry, so there are hot spots.
    block = [f"{row:02d}{col:02d}" for row in range(3, 7) for col in range(4, 8)]
    planted = values.index.str[1:].isin(block)
    values.loc[planted, values.columns[::2]] += 25.0
    values.iloc[5, 2] = np.nan
    values["I6"] = 3.0
    return values


def _weights(method: str) -> Any:
    areas = square_grid(12, 10, digits=2)
    if method == "kernel":
        return build_weights(areas, method="kernel", k=5)
    return build_weights(areas)


SETTINGS = {
    "binary": HotspotsConfig(permutations=199),
    "row": HotspotsConfig(permutations=199, weights={"transform": "row"}),
    "kernel": HotspotsConfig(permutations=99, weights={"method": "kernel", "transform": "row"}),
    "pooled-permutation": HotspotsConfig(
        permutations=999, gi_star_inference="permutation", correction_scope="all"
    ),
    "pooled-analytic": HotspotsConfig(
        permutations=199, moran_inference="analytic", correction_scope="all"
    ),
    "pooled-bonferroni": HotspotsConfig(
        permutations=199, correction="bonferroni", correction_scope="all"
    ),
    "greater-no-permutations": HotspotsConfig(
        permutations=0, moran_inference="analytic", alternative="greater"
    ),
}


@pytest.mark.parametrize("name", list(SETTINGS))
@pytest.mark.parametrize("per_task", [1, 4, 50])
def test_dask_hotspots_equal_in_process(
    client: Client, grid_values: pd.DataFrame, name: str, per_task: int
) -> None:
    settings = SETTINGS[name]
    weights = _weights(settings.weights.method)
    study = list(grid_values.index[10:100])
    expected = local_hotspots(grid_values, weights, settings, report_for=study)
    got = partitioned_hotspots(
        grid_values, weights, settings, client, report_for=study, industries_per_task=per_task
    )
    pd.testing.assert_frame_equal(got.table, expected.table, check_exact=True)
    assert got.report == expected.report
    # Not a vacuous comparison: the run found hot spots and tested most cells.
    assert expected.report["hot_spots"] > 0
    assert got.table["gi_star_p_fdr"].notna().mean() > 0.8


def test_pooled_correction_differs_from_per_industry(
    client: Client, grid_values: pd.DataFrame
) -> None:
    """The pooled family is really pooled: its adjusted p-values are not the per-industry ones."""
    weights = _weights("contiguity")
    pooled = partitioned_hotspots(
        grid_values, weights, SETTINGS["pooled-permutation"], client, industries_per_task=2
    ).table
    per_industry = local_hotspots(
        grid_values,
        weights,
        SETTINGS["pooled-permutation"].model_copy(update={"correction_scope": "industry"}),
    ).table
    assert not np.allclose(pooled["gi_star_p_fdr"], per_industry["gi_star_p_fdr"], equal_nan=True)
    assert (pooled["gi_star_p_fdr"].dropna() >= pooled["gi_star_p_sim"].dropna()).all()


def test_column_blocks_cover_every_column_once() -> None:
    blocks = column_blocks(list(range(10)), 4)
    assert [(b.start, b.stop) for b in blocks] == [(0, 4), (4, 8), (8, 10)]
    assert column_blocks([], 4) == []


def test_kernel_threads_share_the_cores(client: Client) -> None:
    """Two one-thread workers on this machine each get half its cores (at least one)."""
    threads = kernel_threads(client)
    assert len(threads) == 2
    assert set(threads.values()) == {max(1, (os.cpu_count() or 1) // 2)}
    assert "2 workers, 2 threads" in describe_client(client)


def test_demo_hotspots_stage_on_dask_equals_in_process(
    demo_run: RunPaths, dask_cluster: str, tmp_path: Path
) -> None:
    """The pipeline's hot-spot stage sent to a running cluster writes the in-process table."""
    config = load_config(demo_config(tmp_path))
    shutil.copytree(demo_run.root, config.output_dir)
    config = config.model_copy(
        update={"compute": ComputeConfig(backend=dask_cluster, industries_per_task=3)}
    )
    hotspots_stage.run(config)
    paths = RunPaths.for_config(config)
    got = pd.read_parquet(paths[r.HOTSPOTS])
    expected = pd.read_parquet(demo_run[r.HOTSPOTS])
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    assert len(expected) > 1000


def test_unknown_backend_is_named() -> None:
    with pytest.raises(ValueError, match="dask-local"):
        ComputeConfig(backend="dask")


def test_unreachable_scheduler_says_what_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("clustergeo.compute.CONNECT_TIMEOUT_S", 1)
    with (
        pytest.raises(ConfigError, match=r"tcp://127\.0\.0\.1:9.*dask scheduler.*dask-local"),
        dask_client(ComputeConfig(backend="tcp://127.0.0.1:9")),
    ):
        pass


def test_local_backend_starts_no_dask() -> None:
    with dask_client(ComputeConfig()) as client:
        assert client is None


@pytest.mark.e2e
def test_dask_local_listens_on_this_machine_only() -> None:
    """The scheduler and its dashboard (which has no login) are bound to the loopback address."""
    with dask_client(ComputeConfig(backend="dask-local", workers=1)) as client:
        assert client is not None
        scheduler = client.cluster.scheduler
        assert scheduler.address.startswith(f"tcp://{LOOPBACK}:")
        dashboard = {sock.getsockname()[0] for sock in scheduler.http_server._sockets.values()}
        assert dashboard == {LOOPBACK}


@pytest.mark.e2e
def test_dask_local_compiles_the_kernels_before_its_workers_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The workers then load the kernels from numba's cache instead of each compiling them."""
    from clustergeo import compute
    from clustergeo.hotspots import warmup

    calls: list[str] = []
    monkeypatch.setattr(warmup, "ensure_warm", lambda: calls.append("warm"))
    start = compute._local_cluster
    monkeypatch.setattr(
        compute, "_local_cluster", lambda config: calls.append("workers") or start(config)
    )
    with dask_client(ComputeConfig(backend="dask-local", workers=1)) as client:
        assert client is not None
    assert calls == ["warm", "workers"]
    calls.clear()
    with dask_client(ComputeConfig()):
        pass
    assert calls == []  # in-process runs warm up when they first compute, as before


@pytest.mark.e2e
def test_dask_local_workers_leave_out_the_errors_the_run_prints(
    capfd: pytest.CaptureFixture[str],
) -> None:
    """Bad input stops a task with a message the command prints: the worker does not repeat
    it with a traceback. A task failing on anything else is still logged by its worker."""
    with dask_client(ComputeConfig(backend="dask-local", workers=1)) as client:
        assert client is not None
        with pytest.raises(InputDataError, match="no-such-table does not exist"):
            client.submit(open_panel, Path("no-such-table"), pure=False).result()
        with pytest.raises(ZeroDivisionError):
            client.submit(operator.truediv, 1, 0, pure=False).result()
    err = capfd.readouterr().err
    assert "no-such-table" not in err
    assert err.count("Compute Failed") == 1
    assert "ZeroDivisionError(" in err


def _compute_failed(exception: str, traceback: str) -> logging.LogRecord:
    """A record as distributed's worker logs a failed task."""
    return logging.LogRecord(
        "distributed.worker",
        logging.ERROR,
        "worker.py",
        1,
        "Compute Failed\nKey: %s\nState: %s\nTask: %s\nException: %r\nTraceback: %r\n",
        ("key", "executing", "task", exception, traceback),
        None,
    )


def test_only_clustergeos_own_errors_are_left_out_of_a_workers_log() -> None:
    import clustergeo.fetch.http  # noqa: F401 -- defines FetchError, as in a worker that raised it
    from clustergeo._dask_workers import _ToldByTheCommand

    told = _ToldByTheCommand()
    ours = '  File "/x/src/clustergeo/panels/employment.py", line 9, in _year_rows\n'
    # A subclass defined in a module of its own (the fetch command's) is one of ours too.
    assert not told.filter(_compute_failed("FetchError('no answer')", ours))
    assert not told.filter(_compute_failed("InputDataError('bad counts')", ours))
    # Another library's error of the same name, and any other error, are logged.
    assert told.filter(_compute_failed("ConfigError('x')", '  File "/x/other/lib.py"\n'))
    assert told.filter(_compute_failed("ZeroDivisionError('a defect')", ours))
    other = logging.LogRecord("distributed.worker", logging.WARNING, "w.py", 1, "Memory", (), None)
    assert told.filter(other)
