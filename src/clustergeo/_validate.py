"""Collect every problem found in an input, then raise once.

Following osmnx's ``_validate``: a reader records each problem it finds instead of stopping
at the first, so the user sees the whole list and fixes it in one go.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from clustergeo._errors import InputDataError

__all__ = [
    "Problems",
    "file_name_problem",
    "format_examples",
    "rows_label",
    "shapefile_parts_problem",
]

_MAX_EXAMPLES = 8


def format_examples(values: Iterable[object], limit: int = _MAX_EXAMPLES) -> str:
    """Return the first ``limit`` values joined by commas, with a count of the rest.

    Parameters
    ----------
    values
        Codes, row numbers or other items to list.
    limit
        How many to show before summarising the remainder.

    Returns
    -------
    str
        For example ``"E02000001, E02000002, … and 10 more"``.
    """
    items = [str(v) for v in values]
    shown = ", ".join(items[:limit])
    if len(items) > limit:
        shown += f", … and {len(items) - limit} more"
    return shown


#: Characters besides letters and digits that a name used in file names may hold.
_FILE_NAME_PUNCTUATION = "_-. "
_FILE_NAME_LENGTH = 100


def file_name_problem(name: str) -> str:
    """Why ``name`` cannot be part of a file name, or ``""`` when it can.

    Run names and anchor-site keys become parts of file names (``figures/site_<key>.png``);
    a separator or ``..`` in one could write outside the output folder. A name must start with
    a letter or digit and hold only letters, digits, spaces, ``_``, ``-`` and ``.``, so it can
    never name another folder, on any operating system.
    """
    if not name or len(name) > _FILE_NAME_LENGTH:
        return f"must be 1 to {_FILE_NAME_LENGTH} characters long"
    odd = sorted({ch for ch in name if not (ch.isalnum() or ch in _FILE_NAME_PUNCTUATION)})
    if odd:
        return (
            f"holds {', '.join(repr(ch) for ch in odd)}: it becomes part of file names, so "
            "use only letters, digits, spaces, '_', '-' and '.'"
        )
    if not name[0].isalnum():
        return "must start with a letter or a digit: it becomes part of file names"
    return ""


#: The files a Shapefile cannot be read without, besides the ``.shp``, and what each holds.
SHAPEFILE_PARTS: dict[str, str] = {
    ".shx": "the index of the shapes",
    ".dbf": "the attribute table, with the codes and names",
}


def shapefile_parts_problem(path: Path) -> str:
    """Why a Shapefile cannot be read whole (its ``.shx`` or ``.dbf`` is missing), or ``""``.

    The message follows the file's name, e.g. ``f"Boundary file {path} {problem}"``.

    Notes
    -----
    A Shapefile is several files of one name side by side. Without the ``.dbf`` GDAL still
    reads the shapes, with no columns, so the code column would be reported missing from an
    empty list of columns, when the real cause is a file left behind when the Shapefile was
    copied or unzipped. Extensions match in any case (``.DBF`` from older software). Any
    other file is ``""``.
    """
    if path.suffix.lower() != ".shp" or not path.parent.is_dir():
        return ""
    present = {sibling.name.lower() for sibling in path.parent.iterdir()}
    missing = [
        f"{path.stem}{extension} ({holds})"
        for extension, holds in SHAPEFILE_PARTS.items()
        if f"{path.stem}{extension}".lower() not in present
    ]
    if not missing:
        return ""
    return (
        f"is a Shapefile without {' or '.join(missing)}: a Shapefile is several files of one "
        f"name side by side (.shp, .shx, .dbf and .prj). Copy all of them into {path.parent} "
        "(or unzip the whole download there), or use a GeoPackage or GeoJSON version."
    )


def rows_label(rows: Sequence[int]) -> str:
    """Describe data rows as a user sees them in a spreadsheet (header is line 1).

    Each line once, in order: a wide table's row can hold several bad cells.
    """
    lines = sorted(set(rows))
    return "line" + ("s " if len(lines) > 1 else " ") + format_examples(lines)


class Problems:
    """An accumulator of problems found in one input file.

    Parameters
    ----------
    source
        The file (or config section) the problems belong to; named in the message.
    what
        A short noun phrase for the input, e.g. ``"employment table"``.
    """

    def __init__(self, source: Path | str, what: str) -> None:
        self.source = source
        self.what = what
        self._items: list[str] = []

    def add(self, message: str) -> None:
        """Record one problem; ``message`` should say what is wrong and how to fix it."""
        self._items.append(message)

    def __bool__(self) -> bool:
        return bool(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def raise_if_any(self, error: type[InputDataError] = InputDataError) -> None:
        """Raise one error listing every recorded problem, if there are any."""
        if not self._items:
            return
        count = len(self._items)
        header = f"{self.what} {self.source} has {count} problem{'s' if count > 1 else ''}:"
        body = "\n".join(f"  - {item}" for item in self._items)
        raise error(f"{header}\n{body}")
