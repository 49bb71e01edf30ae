"""One console for log lines and progress bars, so that neither garbles the other.

On a terminal, log records go through rich's handler on the same stderr console that draws the
progress bars: a bar stays at the bottom while log lines scroll above it. Elsewhere (CI, a file,
a pipe) log lines are plain text with a timestamp and no bars are drawn; the stage's log lines
say what is done. rich is imported only when a terminal needs it.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable, Iterator
from functools import cache
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["configure_logging", "console", "progress", "status"]

T = TypeVar("T")

_PLAIN_FORMAT = "%(asctime)s %(levelname)-7s %(message)s"


def _interactive() -> bool:
    return sys.stderr.isatty()


@cache
def console() -> Console:
    """The stderr console shared by log lines and progress bars."""
    from rich.console import Console

    return Console(stderr=True)


def configure_logging(verbosity: int) -> None:
    """Send clustergeo's log records to stderr: -1 warnings only, 0 info, 1 more, 2+ debug."""
    level = logging.DEBUG if verbosity > 1 else logging.INFO if verbosity >= 0 else logging.WARNING
    handler: logging.Handler
    if _interactive():
        from rich.logging import RichHandler

        handler = RichHandler(
            console=console(), show_path=False, markup=False, log_time_format="%H:%M:%S"
        )
        handler.setFormatter(logging.Formatter("%(message)s"))
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(_PLAIN_FORMAT, "%H:%M:%S"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    logging.getLogger("clustergeo").setLevel(level)


def progress(items: Iterable[T], description: str, total: int | None = None) -> Iterator[T]:
    """Iterate over ``items`` with a progress bar on the shared console, on a terminal only."""
    if not _interactive():
        yield from items
        return
    from rich.progress import track

    yield from track(items, description=description, total=total, transient=True, console=console())


class status:  # noqa: N801 (used as a context manager, like rich's own)
    """A spinner with a message on a terminal while a long step without a loop runs."""

    def __init__(self, message: str) -> None:
        self._message = message
        self._status: object | None = None

    def __enter__(self) -> status:
        if _interactive():
            spinner = console().status(self._message)
            spinner.__enter__()
            self._status = spinner
        return self

    def __exit__(self, *exc: object) -> None:
        if self._status is not None:
            self._status.__exit__(*exc)  # type: ignore[attr-defined]
