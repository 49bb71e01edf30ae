"""What a ``dask-local`` cluster's workers log: not what the run tells the user itself.

A task that stops on bad input raises one of clustergeo's errors; the client raises it again
and the command prints its message (exit 2). The worker would also print that error as
"Compute Failed", with the task and a traceback, and, as the cluster closes under the tasks
still running, a "CancelledError" warning for each. :class:`QuietUserErrors`, registered on
the cluster's workers, leaves those out; every other worker record (a task failing on
anything else, memory warnings) is printed as before.
"""

from __future__ import annotations

import logging
from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin

__all__ = ["QuietUserErrors"]

#: The exception text of a task that failed on one of the errors the command prints itself.
_TOLD = ("ConfigError(", "InputDataError(", "OutputError(")
#: The worker's loggers of those records.
_LOGGERS = ("distributed.worker", "distributed.worker.state_machine")


class _ToldByTheRun(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = str(record.msg)
        if message.startswith("Compute Failed") and isinstance(record.args, tuple):
            exception = record.args[3] if len(record.args) > 3 else ""
            return not str(exception).startswith(_TOLD)
        # Logged only as a worker closes with tasks still running: after a failure.
        return not message.endswith("ended with CancelledError")


class QuietUserErrors(WorkerPlugin):  # type: ignore[misc]  # distributed is untyped here
    """A worker plugin: filter the records above out of the worker's log."""

    name = "clustergeo-quiet-user-errors"

    def setup(self, worker: Any) -> None:
        told = _ToldByTheRun()
        for name in _LOGGERS:
            logging.getLogger(name).addFilter(told)
