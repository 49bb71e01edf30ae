"""Reading and writing files at the edges of stages.

Every output goes through :func:`atomic_path`: it is written to a temporary file in the same
folder and renamed into place only when complete, so a crash never leaves a half-written
GeoPackage or table where QGIS or the next stage would find it. Temporary files carry a name
no user file has (``.<name>.<random>.clustergeo-partial<suffix>``), so that cleaning up after a
killed run can never touch a file clustergeo did not write (:func:`is_temporary`).

While a stage runs, :func:`recording_writes` collects every file written through this module:
the stage runner uses it to remove the stage's outputs that the current config no longer
produces. Table libraries are imported only by the functions that need them, so the command
line stays quick to start.
"""

from __future__ import annotations

import contextlib
import contextvars
import errno
import gzip
import hashlib
import json
import logging
import os
import re
import tempfile
import zlib
from collections.abc import Collection, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, cast

from clustergeo._errors import InputDataError, OutputError

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

__all__ = [
    "atomic_path",
    "check_is_file",
    "file_head",
    "file_sha256",
    "is_temporary",
    "note_written",
    "parquet_rows",
    "read_text",
    "recording_writes",
    "write_csv",
    "write_geopackage_layers",
    "write_json",
    "write_parquet",
    "write_text",
]

log = logging.getLogger(__name__)

# QGIS 3.22's GDAL warns that GeoPackage 1.4 (what current GDAL writes) "may only be partially
# supported"; 1.2 opens cleanly in every QGIS in use.
GEOPACKAGE_VERSION = "1.2"

_PARTIAL_MARK = ".clustergeo-partial"
_TEMPORARY_NAME = re.compile(r"^\..+\.[A-Za-z0-9_]{8}" + re.escape(_PARTIAL_MARK) + r"(\.[^./]+)?$")
_WRITTEN: contextvars.ContextVar[set[Path] | None] = contextvars.ContextVar(
    "clustergeo_written", default=None
)


def is_temporary(path: Path) -> bool:
    """Whether ``path`` is a temporary file of :func:`atomic_path` (left by a killed run)."""
    return bool(_TEMPORARY_NAME.match(Path(path).name))


@contextlib.contextmanager
def recording_writes() -> Iterator[set[Path]]:
    """Collect, in the yielded set, every file :func:`atomic_path` completes inside the block."""
    written: set[Path] = set()
    token = _WRITTEN.set(written)
    try:
        yield written
    finally:
        _WRITTEN.reset(token)


def note_written(paths: Iterable[Path]) -> None:
    """Record files completed by another process (a worker of this stage) as written now.

    :func:`atomic_path` records what this process writes; a forked worker's record dies with
    it, so the parent notes the files the worker reports.
    """
    written = _WRITTEN.get()
    if written is not None:
        written.update(Path(p).resolve() for p in paths)


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it onto ``target`` on success.

    Parameters
    ----------
    target
        The final output path. Its folder is created if missing.

    Yields
    ------
    Path
        A path in the same folder (so the rename is atomic) with the same suffix, so that
        drivers choosing a format by extension still work. On success, a sidecar that QGIS
        or GDAL left beside the old ``target`` (``<target>.aux.xml``) is deleted.

    Raises
    ------
    OutputError
        If the folder cannot be written (read-only, full disk); the message names the path.
    """
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, tmp_name = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=f"{_PARTIAL_MARK}{target.suffix}", dir=target.parent
        )
        os.close(handle)
    except OSError as exc:
        raise OutputError(_explain_os_error(exc, target)) from None
    tmp = Path(tmp_name)
    # Drivers such as GDAL refuse to create a dataset over an existing file.
    tmp.unlink()
    try:
        yield tmp
        # QGIS and GDAL keep what they learn of a file (a raster's statistics and histograms, a
        # GeoPackage's metadata) beside it, in ``<name>.aux.xml``, and read it back without
        # checking it against the file: left beside the new file it would describe the old one
        # (stretching a new raster's colours to the old values). It goes first, so a failed
        # rename leaves the old file with no sidecar, never the new one with the old sidecar.
        target.with_name(f"{target.name}.aux.xml").unlink(missing_ok=True)
        tmp.replace(target)
    except OSError as exc:
        raise OutputError(_explain_os_error(exc, target)) from None
    except Exception as exc:
        if not _is_gdal_write_error(exc):
            raise
        # GDAL reports a failed write (full disk, file size limit) as its own error.
        raise OutputError(
            f"Cannot write {target}: {exc}. Check the free space and the file size limits of "
            "the output folder, then re-run; the previous file, if any, is untouched."
        ) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    written = _WRITTEN.get()
    if written is not None:
        written.add(target.resolve())


def _is_gdal_write_error(exc: Exception) -> bool:
    """Pyogrio's data-source and layer errors, told apart without importing pyogrio."""
    kind = type(exc)
    return kind.__module__.startswith("pyogrio") and kind.__name__ in (
        "DataSourceError",
        "DataLayerError",
    )


def _explain_os_error(exc: OSError, target: Path) -> str:
    if exc.errno == errno.ENOSPC:
        return f"No space left on the device while writing {target}: free some space and re-run."
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return (
            f"Cannot write {target}: the folder is not writable ({exc.strerror}). "
            "Choose another output folder in the config or fix its permissions."
        )
    return f"Cannot write {target}: {exc.strerror or exc}."


def file_sha256(path: Path, chunk_size: int = 1 << 20) -> str:
    """Return the hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


#: How much of a file is looked at before reading the rest: enough to recognise its encoding,
#: small enough that a huge file of the wrong kind is refused without being read.
SNIFF_BYTES = 1 << 16

_ZIP_MAGIC = b"PK\x03\x04"
_PARQUET_MAGIC = b"PAR1"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def check_is_file(path: Path, what: str = "Input") -> Path:
    """Raise a clear error when ``path`` is missing or is a folder.

    Parameters
    ----------
    path
        The path named in the config.
    what
        How the message names the input, e.g. ``"Employment file"``.

    Returns
    -------
    Path
        ``path`` itself, for chaining.
    """
    path = Path(path)
    if path.is_dir():
        raise InputDataError(
            f"{what} {path} is a folder, not a file: name the file itself in the config "
            "(for example the .csv inside the folder)."
        )
    if not path.exists():
        raise InputDataError(f"{what} {path} does not exist.")
    return path


def file_head(path: Path, size: int = SNIFF_BYTES) -> bytes:
    """The first ``size`` bytes of a file as stored (compressed or not)."""
    with Path(path).open("rb") as handle:
        return handle.read(size)


def _open_bytes(path: Path, head: bytes) -> BinaryIO:
    if head[:2] == b"\x1f\x8b":
        return cast(BinaryIO, gzip.open(path, "rb"))
    return Path(path).open("rb")


def read_text(path: Path, notes: list[str]) -> str:
    """Read a text table as downloaded: gzip or not; UTF-8, UTF-16 or Windows-1252.

    The first 64 KiB are looked at before the rest is read, so a folder, a spreadsheet or a
    file of binary data (NUL bytes: a damaged download, a disk image) is refused at once,
    however large it is, instead of being read whole into memory.

    Nomis and Excel exports sometimes arrive in Windows-1252 ("Ynys Môn" as byte 0xF4), and
    Excel's "Unicode text" export is UTF-16; either fallback is recorded in ``notes`` for the
    run report.

    Raises
    ------
    InputDataError
        For a folder, a damaged gzip file, a zip or Parquet file, or binary data.
    """
    path = check_is_file(Path(path), "File")
    stored_head = file_head(path, 4)
    try:
        with _open_bytes(path, stored_head) as handle:
            head = handle.read(SNIFF_BYTES)
            encoding = _text_encoding(head, path)
            raw = head + handle.read()
    except (EOFError, OSError, zlib.error) as exc:
        if stored_head[:2] != b"\x1f\x8b":
            raise
        raise InputDataError(
            f"{path} is a damaged or incomplete gzip file ({exc or 'it ends too early'}); "
            "download it again, or give the uncompressed CSV."
        ) from None
    if encoding.startswith("utf-16"):
        notes.append(f"{path.name} is UTF-16 text (Excel's 'Unicode text' export); read as such")
        try:
            return raw.decode(encoding).lstrip("\ufeff")
        except UnicodeDecodeError:
            raise InputDataError(
                f"{path} starts like UTF-16 text but cannot be decoded as UTF-16: it is "
                "damaged or cut short; export it again (as CSV UTF-8 if you can)."
            ) from None
    if b"\x00" in raw:
        offset = raw.index(b"\x00")
        raise InputDataError(_binary_message(path, offset))
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        notes.append(f"{path.name} is not UTF-8; read it as Windows-1252 (Latin-1) text")
        return raw.decode("cp1252", errors="replace")


def _text_encoding(head: bytes, path: Path) -> str:
    """The encoding of a text file from its first bytes; refuse what is not text."""
    if head.startswith(_UTF16_BOMS):
        return "utf-16"
    if head.startswith(_ZIP_MAGIC):
        raise InputDataError(
            f"{path} is a zip archive or an Excel workbook, not a text table: unzip it, or "
            "for an employment table give the .xlsx file with employment.sheet set."
        )
    if head.startswith(_PARQUET_MAGIC):
        raise InputDataError(
            f"{path} is a Parquet file, not a text table: give it a .parquet name, or "
            "export it as CSV."
        )
    if b"\x00" in head:
        # UTF-16 without a byte-order mark has a NUL in every other byte of ASCII text.
        even, odd = head[0::2], head[1::2]
        if even and odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
            return "utf-16-le"
        if odd and even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
            return "utf-16-be"
        raise InputDataError(_binary_message(path, head.index(b"\x00")))
    return "utf-8"


def _binary_message(path: Path, offset: int) -> str:
    return (
        f"{path} is not a text table: it holds binary data (a NUL byte at byte {offset:,}). "
        "It may be a damaged or unfinished download, or a file of another kind with a .csv "
        "name; download it again."
    )


def write_parquet(
    frame: pd.DataFrame, path: Path, *, dictionary_floats: Collection[str] | None = None
) -> Path:
    """Write a DataFrame (GeoParquet if it is a GeoDataFrame) atomically.

    Parquet writers dictionary-encode every column by default: Arrow builds a column's
    dictionary until it grows too large, then falls back to plain values. On millions of
    continuous floats (z-scores, statistics, normal p-values) the attempt saves nothing and
    was a quarter of the time of writing a national panel's part (2.2 million hot-spot rows:
    0.90-0.99 s with it, 0.65-0.72 s without it on those columns, 157.0 MB and 151.9 MB).
    With ``dictionary_floats`` given, a floating-point column is dictionary-encoded only if
    it is named there (p-values whose values repeat, as
    :data:`~clustergeo.vocab.REPEATING_P_COLUMNS`); every other column (codes, classes,
    text) still is.
    """
    options: dict[str, Any] = {}
    if dictionary_floats is not None:
        named = set(dictionary_floats)
        options["use_dictionary"] = [
            str(column)
            for column, dtype in frame.dtypes.items()
            if getattr(dtype, "kind", "O") != "f" or column in named
        ]
    with atomic_path(path) as tmp:
        frame.to_parquet(tmp, index=False, **options)
    log.info("Wrote %s (%d rows)", path, len(frame))
    return path


def parquet_rows(path: Path) -> int | None:
    """The rows of a Parquet file as its footer gives them; None if missing or unreadable.

    Reads the footer only: a cheap check that a part written earlier is still whole.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        return int(pq.read_metadata(path).num_rows)
    except (OSError, pa.ArrowException):
        return None


def write_csv(frame: pd.DataFrame, path: Path, *, quote_text: bool = True) -> Path:
    """Write a table as UTF-8 CSV atomically (no index).

    Through Arrow's CSV writer, about ten times as fast as pandas' on tables of numbers (0.05
    s against 0.46 s for the Midlands' 34,008 hot-spot rows): every number is written in the
    fewest digits that read back to the same double, text is quoted (as R's ``write.csv``
    quotes it), missing values are empty, and booleans are ``true``/``false``. pandas writes
    instead a table Arrow cannot type (a column of mixed kinds), one whose values Arrow would
    write otherwise than pandas reads them back (dates and durations, two header rows), one
    of a single column (whose missing values Arrow writes as blank lines, which readers skip)
    and a table that must quote only the text that needs it (``quote_text=False``: a file
    that copies a published layout, such as Nomis' tables).
    """
    with atomic_path(path) as tmp:
        if not (quote_text and _arrow_csv(frame, tmp)):
            frame.to_csv(tmp, index=False)
    log.info("Wrote %s (%d rows)", path, len(frame))
    return path


def _arrow_csv(frame: pd.DataFrame, path: Path) -> bool:
    """Write ``frame`` with Arrow's CSV writer; False where pandas should (see write_csv)."""
    import pandas as pd
    import pyarrow as pa
    from pyarrow import csv

    if frame.shape[1] < 2 or isinstance(frame.columns, pd.MultiIndex):
        return False
    kinds = frame.dtypes.map(lambda dtype: getattr(dtype, "kind", "O"))
    if kinds.isin(["M", "m"]).any() or any(
        isinstance(dtype, pd.PeriodDtype | pd.IntervalDtype) for dtype in frame.dtypes
    ):
        return False
    try:
        csv.write_csv(pa.Table.from_pandas(frame, preserve_index=False), path)
    except (pa.ArrowException, ValueError):
        # Any type Arrow cannot write (mixed kinds, nested values), and duplicate column
        # names (a ValueError), which pandas writes as they are.
        return False
    return True


def write_json(data: Mapping[str, Any], path: Path) -> Path:
    """Write a JSON document atomically, indented for people to read."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")
    log.info("Wrote %s", path)
    return path


def write_text(text: str, path: Path) -> Path:
    """Write a UTF-8 text document (Markdown, HTML) atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    log.info("Wrote %s", path)
    return path


def write_geopackage_layers(layers: Mapping[str, gpd.GeoDataFrame], path: Path) -> Path:
    """Write several layers into one GeoPackage atomically.

    The whole file is built under a temporary name and renamed at the end, so the previous
    GeoPackage (if any) stays intact and valid until the new one is complete.
    """
    with atomic_path(path) as tmp:
        for name, layer in layers.items():
            layer.to_file(
                tmp,
                layer=name,
                driver="GPKG",
                engine="pyogrio",
                VERSION=GEOPACKAGE_VERSION,
                append=tmp.exists(),
            )
    log.info("Wrote %s (layers: %s)", path, ", ".join(layers))
    return path
