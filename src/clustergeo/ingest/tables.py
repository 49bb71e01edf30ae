"""Read a downloaded table into text columns, whatever file it came in.

Every reader of employment tables starts here. A file is recognised by its first bytes, not
its name: Parquet (``PAR1``), an Excel workbook (a zip archive), or text (CSV, optionally
gzip-compressed; UTF-8, UTF-16 or Windows-1252; ``,`` ``;`` tab or ``|`` separated). Every
column comes back as text, with ``""`` for an empty cell, so that codes keep their leading
zeros (SIC ``0161``) and the caller decides what is a number.

A text file is parsed with Arrow's CSV reader, which reports every row whose number of fields
differs from the header. Such rows are never padded with empty cells: an empty cell means a
suppressed count, and a download cut mid-row would otherwise pass for one (a WP605EW table cut
at 60% moved LQs by up to 42%). A short last line means the file was cut (an interrupted
download); a short or long row elsewhere means a damaged file. Both stop the run.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from clustergeo._errors import InputDataError
from clustergeo._validate import format_examples, rows_label
from clustergeo.io import check_is_file, file_head, read_text

__all__ = [
    "RawTable",
    "TableKind",
    "parse_delimited",
    "read_lookup_table",
    "read_raw_table",
    "sniff_delimiter",
    "table_kind",
]

TableKind = Literal["text", "parquet", "xlsx"]

_DELIMITERS = (",", ";", "\t", "|")


@dataclass
class RawTable:
    """A table as read, every column text.

    Attributes
    ----------
    frame
        The rows, every column of dtype ``str`` with ``""`` for an empty cell.
    source
        The file.
    kind
        ``"text"``, ``"parquet"`` or ``"xlsx"``.
    delimiter
        The field separator of a text file (None otherwise).
    first_line
        The line (spreadsheet row) of the file holding the frame's first row, so messages can
        name lines as a user sees them; for Parquet, 1 is the first row.
    notes
        What was learnt while reading (encoding fallbacks...).
    row_lines
        The file line of each row of ``frame`` when rows do not follow one per line from
        ``first_line`` (a text file with empty lines, which hold no row); None otherwise.
    """

    frame: pd.DataFrame
    source: Path
    kind: TableKind
    delimiter: str | None = None
    first_line: int = 2
    notes: list[str] = field(default_factory=list)
    row_lines: np.ndarray | None = None

    def lines(self) -> pd.Series:
        """The file line (spreadsheet row, Parquet row) of every row of ``frame``."""
        if self.row_lines is not None:
            return pd.Series(self.row_lines, index=self.frame.index)
        return pd.Series(np.arange(len(self.frame)) + self.first_line, index=self.frame.index)


def table_kind(path: Path) -> TableKind:
    """Recognise Parquet and Excel files by their first bytes; anything else is text."""
    head = file_head(path, 4)
    if head == b"PAR1":
        return "parquet"
    if head == b"PK\x03\x04":
        return "xlsx"
    return "text"


def sniff_delimiter(text: str, path: Path, what: str = "Employment file") -> str:
    """The delimiter that splits the most lines into the same number (≥ 2) of fields.

    Counting characters on the header alone would mistake a semicolon-separated table whose
    quoted titles contain commas (Excel in many European locales) for a comma-separated one.
    """
    lines = [line for line in text[:200_000].splitlines()[:60] if line.strip()]
    best, best_score = ",", (0, 0)
    for delimiter in _DELIMITERS:
        counts = [len(fields) for fields in csv.reader(lines, delimiter=delimiter)]
        counts = [c for c in counts if c >= 2]
        if not counts:
            continue
        mode = max(set(counts), key=lambda c: (counts.count(c), c))
        score = (counts.count(mode), mode)
        if score > best_score:
            best, best_score = delimiter, score
    if best_score == (0, 0):
        first = lines[0] if lines else ""
        raise InputDataError(
            f"{what} {path} has a single column on its first line ({first[:80]!r}): "
            "it is not a comma-separated table. Export it from Nomis as CSV."
        )
    return best


def _unique_names(names: list[str]) -> list[str]:
    """Header names made unique the way pandas does (``a``, ``a.1``...)."""
    seen: dict[str, int] = {}
    unique = []
    for name in names:
        if name in seen:
            seen[name] += 1
            unique.append(f"{name}.{seen[name]}")
        else:
            seen[name] = 0
            unique.append(name)
    return unique


def parse_delimited(
    text: str,
    path: Path,
    *,
    what: str = "Employment file",
    skip: int = 0,
    delimiter: str | None = None,
    stop_at_short_rows: bool = True,
) -> RawTable:
    """Parse CSV text (after ``skip`` preamble lines) into text columns.

    Parameters
    ----------
    text
        The file's text.
    path
        The file, for messages.
    what
        How messages name the file.
    skip
        Lines before the header (a Nomis web download's preamble).
    delimiter
        The separator; sniffed when None.
    stop_at_short_rows
        Stop on rows with fewer fields than the header. Readers whose tables end with
        footnote lines (Nomis census web downloads) pass False and get those rows back padded
        with empty cells, to tell footnotes from data themselves.

    Raises
    ------
    InputDataError
        When rows have more fields than the header (a damaged file), fewer (a file cut short
        or damaged) or a quoted field never closes.
    """
    body = "\n".join(text.splitlines()[skip:]) if skip else text
    delimiter = delimiter or sniff_delimiter(body, path, what)
    header_line = next(iter(body.splitlines()), "")
    names = _unique_names(
        [name.strip() for name in next(csv.reader([header_line], delimiter=delimiter), [])]
    )
    if not names:
        raise InputDataError(f"{what} {path} has no header line.")
    bad_rows: list[tuple[int, int, str]] = []

    def on_bad_row(row: pa_csv.InvalidRow) -> str:
        bad_rows.append((int(row.number or 0), int(row.actual_columns), str(row.text)))
        return "skip"

    try:
        table = pa_csv.read_csv(
            io.BytesIO(body.encode("utf-8")),
            read_options=pa_csv.ReadOptions(
                use_threads=False, column_names=names, skip_rows=1, block_size=1 << 24
            ),
            parse_options=pa_csv.ParseOptions(
                delimiter=delimiter, invalid_row_handler=on_bad_row, newlines_in_values=True
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as exc:
        raise InputDataError(
            f"{what} {path} cannot be parsed as CSV ({exc}). A quoted field that never closes "
            "usually means the download was cut short: download it again, and check it was "
            "saved as CSV."
        ) from None
    frame = table.to_pandas().astype(str)
    # Arrow numbers records (the header 1), skipping empty lines: the file's line of each.
    records = len(frame) + len(bad_rows) + 1
    record_lines = _record_lines(body, records=records, delimiter=delimiter)
    if record_lines is None and bad_rows:
        record_lines = np.arange(1, records + 1)
    row_lines = None
    if record_lines is not None:
        record_lines += skip
        bad_rows = [(int(record_lines[n - 1]) if n else skip, a, row) for n, a, row in bad_rows]
        data_lines = record_lines[1:]
        # The frame holds the records Arrow did not skip as bad.
        row_lines = data_lines[~np.isin(data_lines, [line for line, _, _ in bad_rows])]
    raw = RawTable(
        frame=frame,
        source=path,
        kind="text",
        delimiter=delimiter,
        first_line=skip + 2,
        row_lines=row_lines,
    )
    if bad_rows:
        _report_bad_rows(
            raw,
            bad_rows=bad_rows,
            expected=len(names),
            text=text,
            what=what,
            stop_at_short_rows=stop_at_short_rows,
        )
    return raw


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _record_lines(body: str, *, records: int, delimiter: str) -> np.ndarray | None:
    """The line of ``body`` (1 the first) each of Arrow's ``records`` starts on.

    Arrow skips empty lines without numbering them. None when ``body`` has none: records are
    then lines, unless a quoted value spans lines, as Arrow numbers them. With empty lines,
    a quoted value spanning lines is followed through with Python's CSV reader.
    """
    if not any(gap in body for gap in ("\n\n", "\r\r", "\n\r\n")):
        return None
    lines = np.flatnonzero([bool(line) for line in _LINE_BREAK.split(body)]) + 1
    if len(lines) != records:
        reader = csv.reader(io.StringIO(body, newline=""), delimiter=delimiter)
        starts, end = [], 0
        for row in reader:
            if row:
                starts.append(end + 1)
            end = reader.line_num
        lines = np.array(starts)
    return lines.astype(np.int64) if len(lines) == records else None


def _report_bad_rows(
    raw: RawTable,
    *,
    bad_rows: list[tuple[int, int, str]],
    expected: int,
    text: str,
    what: str,
    stop_at_short_rows: bool,
) -> None:
    long_rows = [line for line, actual, _ in bad_rows if actual > expected]
    short_rows = [(line, actual, row) for line, actual, row in bad_rows if actual < expected]
    last_line = len(text.rstrip("\r\n").splitlines())
    # Cut mid-row: the last line lacks its line ending, or ends inside a quoted field.
    ends_cut = not text.endswith(("\n", "\r")) or text.count('"') % 2 == 1
    cut = [line for line, _, _ in short_rows if line >= last_line and ends_cut]
    problems = []
    if cut:
        problems.append(
            f"the file ends in the middle of a row (its last line, {cut[0]}, has "
            f"{next(a for line, a, _ in short_rows if line == cut[0])} of {expected} fields): "
            "the download was interrupted. Download the file again"
        )
    if long_rows and len(long_rows) > (len(raw.frame) + len(bad_rows)) / 2:
        problems.append(
            f"the header (line {raw.first_line - 1}) has {expected} field"
            f"{'s' if expected > 1 else ''} and most lines more: is a title or a note above "
            "the table's header (set employment.header_row to the line of the header), or do "
            "fields hold the separator unquoted?"
        )
    elif long_rows:
        problems.append(
            f"{rows_label(long_rows)} {_have(long_rows)} more fields than the header's "
            f"{expected}: a field holds an unquoted separator, or the file is damaged"
        )
    other_short = [line for line, _, _ in short_rows if line not in cut]
    # Short rows below the table after an empty line, or of one field: notes, not data rows
    # (Excel drops a row's trailing separators when its last cells are empty).
    last_row = int(raw.lines().max()) if len(raw.frame) else 0
    below = (
        bool(other_short)
        and min(other_short) > last_row
        and (
            min(other_short) > last_row + 1
            or all(a == 1 for line, a, _ in short_rows if line in other_short)
        )
    )
    if other_short and stop_at_short_rows and below:
        problems.append(
            f"{rows_label(other_short)} below the table {_have(other_short)} fewer fields than "
            f"the header's {expected}: notes below the table (remove them), or a file cut "
            "short (download it again)"
        )
    elif other_short and stop_at_short_rows:
        problems.append(
            f"{rows_label(other_short)} {_have(other_short)} fewer fields than the header's "
            f"{expected}: the file is damaged or cut short (an empty field must still be "
            "written, as ',,')"
        )
    if problems:
        body = "\n".join(f"  - {p}" for p in problems)
        count = len(problems)
        raise InputDataError(
            f"{what} {raw.source} has {count} problem{'s' if count > 1 else ''}:\n{body}"
        )
    # Footnote rows: give them back padded, for the caller to recognise.
    fields = [
        next(csv.reader([row], delimiter=raw.delimiter or ","), []) for _, _, row in short_rows
    ]
    columns = list(raw.frame.columns)
    extra = pd.DataFrame(
        [[*cells, *[""] * (len(columns) - len(cells))] for cells in fields], columns=columns
    )
    lines = np.concatenate(
        [raw.lines().to_numpy(), np.array([line for line, _, _ in short_rows], dtype=np.int64)]
    )
    order = np.argsort(lines, kind="stable")
    raw.frame = pd.concat([raw.frame, extra], ignore_index=True).iloc[order]
    raw.frame = raw.frame.reset_index(drop=True)
    raw.row_lines = lines[order]
    raw.frame.attrs["padded_rows"] = set(np.flatnonzero(order >= len(lines) - len(extra)).tolist())


def _have(rows: list[int]) -> str:
    return "have" if len(rows) > 1 else "has"


def _text_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Every column as text, empty for a missing value; whole floats without ``.0``.

    A Parquet or Excel column of numbers becomes the text a CSV of it would hold, so every
    layout is parsed by the same code.
    """
    columns = {}
    for name in frame.columns:
        values = frame[name]
        missing = values.isna()
        if pd.api.types.is_float_dtype(values):
            numbers = values.to_numpy(dtype="float64", na_value=np.nan)
            whole = np.isfinite(numbers) & (numbers == np.round(numbers))
            text = values.astype(str)
            text = text.where(
                ~whole,
                pd.Series(numbers, index=values.index).where(whole).astype("Int64").astype(str),
            )
            columns[str(name)] = text.where(~missing, "").astype(str)
        else:
            columns[str(name)] = values.where(~missing, "").astype(str)
    return pd.DataFrame(columns, index=frame.index)


def _read_parquet(path: Path, what: str, columns: list[str] | None) -> RawTable:
    try:
        schema = pq.read_schema(path)
        names = [n for n in schema.names if columns is None or n in columns]
        frame = pq.read_table(path, columns=names).to_pandas()
    except (pa.ArrowException, OSError) as exc:
        raise InputDataError(
            f"{what} {path} is a damaged or incomplete Parquet file ({exc}); download or "
            "write it again."
        ) from None
    return RawTable(frame=_text_columns(frame), source=path, kind="parquet", first_line=1)


def _read_xlsx(path: Path, what: str, sheet: str | None, header_row: int) -> RawTable:
    try:
        import openpyxl  # type: ignore[import-untyped]  # noqa: F401  (pandas' xlsx engine)
    except ImportError:  # pragma: no cover - openpyxl is a dependency
        raise InputDataError(f"Reading {path} needs openpyxl: pip install openpyxl.") from None
    try:
        workbook = pd.ExcelFile(path, engine="openpyxl")
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise InputDataError(
            f"{what} {path} is a damaged or incomplete Excel workbook ({exc}); download or "
            "save it again."
        ) from None
    with workbook:
        sheets = [str(s) for s in workbook.sheet_names]
        if sheet is None:
            if len(sheets) > 1:
                raise InputDataError(
                    f"{what} {path} has {len(sheets)} sheets ({format_examples(sheets)}): "
                    "name the one holding the table with employment.sheet."
                )
            sheet = sheets[0]
        if sheet not in sheets:
            raise InputDataError(
                f"employment.sheet is {sheet!r} but {path} has the sheets "
                f"{format_examples(sheets)}. Set employment.sheet to one of these."
            )
        frame = pd.read_excel(workbook, sheet_name=sheet, header=header_row - 1, dtype=object)
    frame.columns = [str(c).strip() for c in frame.columns]
    frame = frame.dropna(how="all")
    return RawTable(
        frame=_text_columns(frame).reset_index(drop=True),
        source=path,
        kind="xlsx",
        first_line=header_row + 1,
    )


def read_raw_table(
    path: Path,
    *,
    what: str = "Employment file",
    sheet: str | None = None,
    header_row: int = 1,
    columns: list[str] | None = None,
) -> RawTable:
    """Read a CSV (plain or gzip), Parquet or xlsx file into text columns.

    Parameters
    ----------
    path
        The file. Its kind is recognised from its first bytes.
    what
        How messages name the file.
    sheet
        For a workbook: the sheet holding the table (needed when it has several).
    header_row
        The row of the header (1 = the first line), for text files and workbooks with title
        rows above the table.
    columns
        For Parquet: read only these columns (the others are never loaded).

    Returns
    -------
    RawTable

    Raises
    ------
    InputDataError
        For a folder, an empty, damaged, truncated or binary file, or rows whose number of
        fields differs from the header.
    """
    path = check_is_file(Path(path), what)
    if path.stat().st_size == 0:
        raise _empty(path, what)
    kind = table_kind(path)
    if kind == "parquet":
        return _read_parquet(path, what, columns)
    if kind == "xlsx":
        return _read_xlsx(path, what, sheet, header_row)
    notes: list[str] = []
    text = read_text(path, notes)
    if not text.strip():
        raise _empty(path, what)
    raw = parse_delimited(text, path, what=what, skip=header_row - 1)
    raw.notes = notes
    return raw


def _empty(path: Path, what: str) -> InputDataError:
    return InputDataError(
        f"{what} {path} is empty: download the table again (Nomis 'download data' → CSV) "
        "and check it has a header and rows."
    )


def read_lookup_table(path: Path, notes: list[str], what: str = "Lookup file") -> pd.DataFrame:
    """Read a small CSV lookup (area → authority codes) as text columns.

    Empty files, rows with more or fewer fields than the header (a ragged or cut file) and
    binary files stop with a message naming the file and the lines.
    """
    path = check_is_file(Path(path), what)
    text = read_text(path, notes)
    if not text.strip():
        raise InputDataError(
            f"{what} {path} is empty: download it again, and check it has a header and rows."
        )
    raw = parse_delimited(text, path, what=what, delimiter=",")
    raw.frame.columns = [c.strip() for c in raw.frame.columns]
    return raw.frame
