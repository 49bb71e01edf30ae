"""Progress bars for loops a user waits for, shown only on an interactive terminal."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

from rich.progress import track

__all__ = ["progress"]

T = TypeVar("T")


def progress(items: Iterable[T], description: str, total: int | None = None) -> Iterator[T]:
    """Iterate over ``items`` with a progress bar on stderr when it is a terminal.

    In logs and CI (no terminal) the bar is suppressed; the stage's log lines say what is done.
    """
    yield from track(
        items,
        description=description,
        total=total,
        transient=True,
        disable=not sys.stderr.isatty(),
        console=None,
    )
