"""What a ``dask-local`` cluster's workers log: not what the run tells the user itself.

A task that stops on bad input raises one of clustergeo's errors; the client raises it again
and the command prints its message (exit 2). The worker would also print that error as
"Compute Failed", with the task and a traceback. :class:`QuietUserErrors`, registered on the
cluster's workers, leaves those records out, and the warnings distributed logs for each task
still running as a worker closes ("... ended with CancelledError", which it logs only then:
after a failure, or an interrupted run, which the command reports itself). Every other
record is printed as before: a task failing on anything but clustergeo's own errors keeps its
"Compute Failed" and traceback, and memory warnings stay.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin

from clustergeo._errors import ClusterGeoError

__all__ = ["QuietUserErrors"]

#: A traceback line of a file of the clustergeo package (installed, or a checkout's src).
_PACKAGE_FILE = re.compile(r'File "[^"]*[/\\]clustergeo[/\\][^"]*\.py"')
#: The worker's loggers of those records.
_LOGGERS = ("distributed.worker", "distributed.worker.state_machine")


def _error_names(error: type[BaseException]) -> set[str]:
    """The names of ``error`` and of every subclass of it defined so far."""
    names = {error.__name__}
    for subclass in error.__subclasses__():
        names |= _error_names(subclass)
    return names


def _told_by_the_command(exception: str, traceback: str) -> bool:
    """Whether a failed task's exception (its repr) is one of clustergeo's, raised in its code.

    The subclasses are looked up when a task fails: the module that raised one has been
    imported by then.
    """
    name = exception.split("(", 1)[0]
    return name in _error_names(ClusterGeoError) and _PACKAGE_FILE.search(traceback) is not None


class _ToldByTheCommand(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = str(record.msg)
        if message.startswith("Compute Failed"):
            # Key, state, task, the exception's repr and the traceback's text.
            args = record.args if isinstance(record.args, tuple) else ()
            if len(args) == 5:
                return not _told_by_the_command(str(args[3]), str(args[4]))
            return True
        return not message.endswith("ended with CancelledError")


class QuietUserErrors(WorkerPlugin):  # type: ignore[misc]  # distributed is untyped here
    """A worker plugin: filter the records above out of the worker's log."""

    name = "clustergeo-quiet-user-errors"

    def setup(self, worker: Any) -> None:
        told = _ToldByTheCommand()
        for name in _LOGGERS:
            logging.getLogger(name).addFilter(told)
