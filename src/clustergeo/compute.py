"""Where the expensive work runs: this process, a local Dask cluster or an existing one.

``compute.backend`` in the run config chooses:

``local``
    Everything in this process (numba already uses every core). Dask is not imported.
``dask-local``
    A :class:`distributed.LocalCluster` of worker processes on this machine, one thread each,
    started for the run and closed after it.
a scheduler address (``tcp://host:8786``)
    An existing Dask cluster: started by hand (``dask scheduler`` / ``dask worker``), by
    dask-jobqueue on an HPC batch system, or by dask-kubernetes. Workers need clustergeo and
    its dependencies installed at the same version as the client.

Work sent to Dask gives the same numbers as the local run: tasks are split by industry (and
year), every task runs the same compiled code on the same inputs, and the permutation draws
depend only on the areas and the seed, never on which industries a task holds.

Each worker's compiled kernels get a fair share of its machine's cores
(:func:`kernel_threads`), so two workers on two cores do not each start two threads.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from clustergeo._errors import ConfigError
from clustergeo.config import ComputeConfig

if TYPE_CHECKING:
    from distributed import Client

__all__ = ["dask_client", "describe_client", "kernel_threads", "set_kernel_threads"]

log = logging.getLogger(__name__)

#: The address a ``dask-local`` cluster listens on: this machine only.
LOOPBACK = "127.0.0.1"
#: Seconds to wait for an existing scheduler before giving up.
CONNECT_TIMEOUT_S = 20


def _local_cluster(config: ComputeConfig) -> Client:
    from distributed import Client, LocalCluster

    workers = config.workers or os.cpu_count() or 1
    cluster = LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        memory_limit=config.memory_limit,
        # The scheduler and its dashboard listen on this machine only: the dashboard has no
        # login, and the workers are local. Any free port: two runs must not fight over 8787.
        host=LOOPBACK,
        dashboard_address=f"{LOOPBACK}:0",
        silence_logs=logging.WARNING,
    )
    from clustergeo._dask_workers import QuietUserErrors

    client = Client(cluster)
    try:
        client.register_plugin(QuietUserErrors())
    except BaseException:
        client.close()
        cluster.close()
        raise
    return client


def _remote_client(address: str) -> Client:
    from distributed import Client

    try:
        return Client(address, timeout=CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError) as error:
        raise ConfigError(
            f"compute.backend: no Dask scheduler answered at {address} within "
            f"{CONNECT_TIMEOUT_S} s ({error}). Start one (`dask scheduler`, then `dask worker "
            f"{address}` on each machine), check the address and firewall, or use "
            "'backend: dask-local' to run on this machine."
        ) from None


def _quiet_dask() -> None:
    """Keep Dask's own log lines (workers starting, stopping) for ``-vv`` runs.

    Importing distributed sets its loggers from Dask's config, so this runs after the import.
    """
    import distributed  # noqa: F401 -- its import configures the loggers set here

    debugging = logging.getLogger("clustergeo").getEffectiveLevel() <= logging.DEBUG
    logging.getLogger("distributed").setLevel(logging.DEBUG if debugging else logging.WARNING)


@contextmanager
def dask_client(config: ComputeConfig) -> Iterator[Client | None]:
    """A Dask client for the configured backend, or None for ``local``; closed on exit."""
    if not config.distributed:
        yield None
        return
    _quiet_dask()
    if config.backend == "dask-local":
        # Compiled (or loaded) here, where a compile is announced with its progress: workers
        # started on a cold or stale cache would each compile them again, silently.
        from clustergeo.hotspots.warmup import ensure_warm

        ensure_warm()
        client = _local_cluster(config)
    else:
        client = _remote_client(config.backend)
    log.info("Dask: %s", describe_client(client))
    if client.dashboard_link:
        log.info("Dask dashboard (progress, memory per worker): %s", client.dashboard_link)
    try:
        yield client
    finally:
        cluster = client.cluster
        client.close()
        if cluster is not None and config.backend == "dask-local":
            cluster.close()


def describe_client(client: Client) -> str:
    """Workers, threads and memory of a client's cluster, in one line."""
    workers = client.scheduler_info(n_workers=-1)["workers"]
    threads = sum(int(w["nthreads"]) for w in workers.values())
    memory = sum(int(w.get("memory_limit") or 0) for w in workers.values())
    memory_text = f", {memory / 1024**3:.1f} GiB" if memory else ""
    return f"{len(workers)} workers, {threads} threads{memory_text} at {client.scheduler.address}"


def kernel_threads(client: Client) -> dict[str, int]:
    """Compiled-kernel threads per worker address: its host's cores shared among its workers.

    Dask runs one task per worker thread; the numba kernels inside a task are parallel too, so
    without this two workers on a 2-core machine would each start two kernel threads.
    """
    cores: dict[str, int] = client.run(os.cpu_count)
    workers = client.scheduler_info(n_workers=-1)["workers"]
    per_host: dict[str, int] = {}
    for info in workers.values():
        per_host[info["host"]] = per_host.get(info["host"], 0) + int(info["nthreads"])
    return {
        address: max(1, int(cores.get(address) or 1) // per_host[info["host"]])
        for address, info in workers.items()
    }


def set_kernel_threads(threads: dict[str, int]) -> None:
    """In a task: give this worker's numba kernels their share of the cores."""
    import numba
    from distributed import get_worker

    share = threads.get(get_worker().address, 1)
    most = int(numba.config.NUMBA_NUM_THREADS)  # type: ignore[attr-defined]
    numba.set_num_threads(max(1, min(share, most)))
