"""Streaming a long employment table (Parquet) into one year's areas x industries matrix.

A national table (35,000 LSOAs x 730 SIC classes x 9 years, 230 million rows) is far too
big to load as a data frame of strings. It is read one year at a time with a Parquet filter,
only the three columns needed (``area_code``, ``industry_code``, ``employment``), batch by
batch; codes are mapped to matrix positions through their dictionaries (or once per batch for
plain strings), so no Python object is made per row. Peak memory is one year's dense float64
matrix plus one batch.

Checks, each naming the file and examples: unknown area codes, duplicate area x industry rows,
negative counts. Null counts are suppressed cells (NaN); pairs absent from the table are zero.
Spaces around a code are not part of it (``"C10 "`` is ``C10``), as when a CSV is ingested.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from clustergeo._errors import InputDataError
from clustergeo._validate import format_examples

__all__ = ["CodePositions", "EmploymentPanel", "code_positions", "open_panel"]

log = logging.getLogger(__name__)

_COLUMNS = ("area_code", "industry_code", "employment")


class CodePositions:
    """Each code's position in ``lookup`` (-1 if absent), for one batch after another.

    A dictionary-encoded column is looked up through its dictionary, and the positions of a
    dictionary are kept for the next batch: the batches of a Parquet row group, and usually
    of a whole file, repeat one dictionary (every area code of a national table, 35,000
    strings, in each of a year's 200 batches), so it is cast and looked up once rather than
    once a batch. A repeated dictionary is recognised by comparing it with the one kept.
    """

    def __init__(self, lookup: pa.Array) -> None:
        self._lookup = lookup
        self._dictionary: pa.Array | None = None
        self._positions = np.empty(0, dtype=np.int64)

    def __call__(self, column: pa.ChunkedArray | pa.Array) -> np.ndarray:
        """The positions of ``column``'s values, one per row."""
        chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
        parts = [self._chunk_positions(chunk) for chunk in chunks]
        return np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)

    def _chunk_positions(self, chunk: pa.Array) -> np.ndarray:
        if not pa.types.is_dictionary(chunk.type):
            return self._find(chunk)
        dictionary = chunk.dictionary
        if self._dictionary is None or not dictionary.equals(self._dictionary):
            self._positions = self._find(dictionary)
            self._dictionary = dictionary
        positions: np.ndarray = self._positions[chunk.indices.to_numpy(zero_copy_only=False)]
        return positions

    def _find(self, values: pa.Array) -> np.ndarray:
        """Each value's position, a value with spaces around it found by its trimmed text.

        Spaces padding a code (``"C10 "``, as fixed-width exports write them) are not part of
        it, as when a CSV is ingested; only the values not found as they are get trimmed.
        """
        text = values.cast(pa.string())
        found = pc.index_in(text, value_set=self._lookup).fill_null(-1)
        positions: np.ndarray = found.to_numpy(zero_copy_only=False)
        missing = np.flatnonzero(positions < 0)
        if len(missing):
            positions = positions.copy()
            trimmed = pc.utf8_trim_whitespace(text.take(pa.array(missing)))
            again = pc.index_in(trimmed, value_set=self._lookup).fill_null(-1)
            positions[missing] = again.to_numpy(zero_copy_only=False)
        return positions


def code_positions(column: pa.ChunkedArray | pa.Array, lookup: pa.Array) -> np.ndarray:
    """Each value's position in ``lookup`` (-1 if absent), via the dictionary when encoded."""
    return CodePositions(lookup)(column)


def _distinct(column: pa.ChunkedArray | pa.Array) -> set[str]:
    """The column's distinct values as text, without spaces around them.

    Only the distinct values are cast: a dictionary column's codes are compared, not its
    millions of strings (opening 730 industries' table, 0.6 s against 1.6 s).
    """
    distinct = pc.unique(column).drop_null().cast(pa.string())
    return set(pc.utf8_trim_whitespace(distinct).to_pylist())


def _blank(column: pa.ChunkedArray | pa.Array) -> int:
    """How many of the column's codes are empty or spaces only: a row without its code."""
    blank = pc.equal(pc.utf8_trim_whitespace(column.cast(pa.string())), "")
    return int(pc.sum(blank).as_py() or 0)


@dataclass(frozen=True)
class EmploymentPanel:
    """A long employment table on disk: its years and industries, read a year at a time."""

    path: Path
    dataset: ds.Dataset
    years: list[int]
    industries: list[str]

    def __reduce__(self) -> tuple[Any, tuple[Path, list[int], list[str]]]:
        # Sent to Dask workers as its path: each worker opens the table itself.
        return (_reopen, (self.path, self.years, self.industries))

    def _year_filter(self, year: int) -> ds.Expression:
        return ds.field("year") == year

    def year_matrix(self, year: int, area_codes: pd.Index) -> pd.DataFrame:
        """Employment of ``year``: areas (``area_codes`` order) x industries (sorted codes).

        NaN where a count is suppressed (null); 0 where the pair is not in the table.
        """
        n, k = len(area_codes), len(self.industries)
        matrix = np.zeros((n, k))
        # Which pairs have a row: set, not counted (numpy's add.at counted 3 million pairs in
        # 0.18 s); more rows than pairs set means some pair came twice, found by a recount.
        seen = np.zeros(n * k, dtype=np.bool_)
        rows_read = 0
        unknown: set[str] = set()
        for rows, cols, counts in self._year_rows(year, area_codes, unknown):
            matrix[rows, cols] = counts
            seen[rows.astype(np.int64) * k + cols] = True
            rows_read += len(rows)
        if rows_read == 0 and unknown:
            raise InputDataError(
                f"{self.path}: none of the area codes of {year} is in the boundaries (e.g. "
                f"{format_examples(sorted(unknown))}); the table and the boundaries' "
                "areas.code_column must use the same codes."
            )
        pairs = int(np.count_nonzero(seen))
        if rows_read > pairs:
            repeated = np.zeros(n * k, dtype=np.int32)
            for rows, cols, _counts in self._year_rows(year, area_codes, set()):
                np.add.at(repeated, rows.astype(np.int64) * k + cols, 1)
            where = np.flatnonzero(repeated > 1)
            examples = [f"{area_codes[i // k]} x {self.industries[i % k]}" for i in where[:5]]
            raise InputDataError(
                f"{self.path}: {len(where)} area x industry pairs appear more than "
                f"once in {year}, e.g. {', '.join(examples)}; keep one row per area, industry "
                "and year."
            )
        if unknown:
            log.warning(
                "%s: %d area codes of %d are not in the boundaries and are left out: %s",
                self.path,
                len(unknown),
                year,
                format_examples(sorted(unknown)),
            )
        without_rows = np.flatnonzero(~seen.reshape(n, k).any(axis=1))
        if len(without_rows):
            log.warning(
                "%s: areas without a row in %d: %d of %d (e.g. %s); their employment is taken "
                "as zero: check that the table and the boundaries use the same codes",
                self.path,
                year,
                len(without_rows),
                n,
                format_examples(area_codes[without_rows[:5]]),
            )
        absent = n * k - pairs
        if absent:
            log.info(
                "%d area x industry pairs are not in the %d table: zero employment", absent, year
            )
        return pd.DataFrame(
            matrix, index=pd.Index(area_codes, name="area_code"), columns=self.industries
        )

    def _year_rows(
        self, year: int, area_codes: pd.Index, unknown: set[str]
    ) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """``year``'s rows a batch at a time: area and industry positions, and the counts.

        Rows of areas not in ``area_codes`` are left out, their codes added to ``unknown``.

        Raises
        ------
        InputDataError
            If a count is not a number, negative or infinite, or rows have no area code
            (counted over the year).
        """
        area_positions = CodePositions(pa.array(area_codes.astype(str).to_numpy()))
        industry_positions = CodePositions(pa.array(self.industries))
        uncoded = 0
        for batch in _batches(self.dataset, list(_COLUMNS), self.path, self._year_filter(year)):
            uncoded += batch.column("area_code").null_count
            if batch.num_rows == 0 or uncoded:
                continue
            rows = area_positions(batch.column("area_code"))
            cols = industry_positions(batch.column("industry_code"))
            try:
                employment = batch.column("employment").cast(pa.float64())
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
                raise InputDataError(
                    f"{self.path}: employment in {year} that is not a number ({error}); counts "
                    "must be numbers (null for a suppressed cell)."
                ) from None
            counts = employment.to_numpy(zero_copy_only=False)
            written = batch.column("employment")
            if _kind(written.type) == "text":
                # Text "nan" casts to NaN: a suppressed cell is null, not the word.
                words = np.isnan(counts) & written.is_valid().to_numpy(zero_copy_only=False)
                if words.any():
                    examples = format_examples(_distinct(written.filter(pa.array(words))))
                    raise InputDataError(
                        f"{self.path}: {int(words.sum())} employment counts in {year} are the "
                        f"text {examples}, not numbers; write a suppressed count as null, not "
                        "as text."
                    )
            if (rows < 0).any():
                strays = batch.column("area_code").filter(pa.array(rows < 0))
                uncoded += _blank(strays)
                unknown.update(_distinct(strays) - {""})
                keep = rows >= 0
                rows, cols, counts = rows[keep], cols[keep], counts[keep]
            for wrong, what in ((counts < 0, "negative"), (np.isinf(counts), "infinite")):
                if wrong.any():
                    raise InputDataError(
                        f"{self.path}: {int(wrong.sum())} {what} employment counts in {year} "
                        f"(e.g. areas {format_examples(area_codes[rows[wrong]])}); counts must "
                        "be finite and zero or more (null for a suppressed cell)."
                    )
            yield rows, cols, counts
        if uncoded:
            raise InputDataError(
                f"{self.path}: {uncoded:,} rows of {year} have no area_code; give every row the "
                "code of its area (a suppressed count is a null employment, not a missing code)."
            )


def _year_values(column: pa.Array, path: Path) -> tuple[set[int], set[float]]:
    """A batch's distinct years, and any that are not whole (a year column of floats).

    Raises
    ------
    InputDataError
        If the column holds neither integers nor floating-point numbers (text, dates).
    """
    if pa.types.is_dictionary(column.type):
        column = column.dictionary_decode()
    values = pc.unique(column).drop_null().to_pylist()
    if pa.types.is_integer(column.type):
        return {int(v) for v in values}, set()
    if pa.types.is_floating(column.type):
        whole = {float(v) for v in values if float(v).is_integer()}
        return {int(v) for v in whole}, {float(v) for v in values} - whole
    raise InputDataError(
        f"{path}: the year column holds {column.type} values such as "
        f"{format_examples([str(v) for v in values[:5]])}, not numbers; write the years as "
        "integers (or as year=<year> folders)."
    )


def _kind(data_type: pa.DataType) -> str:
    """``text``, ``number``, ``any`` (a column of nulls) or the type's name: what must agree."""
    if pa.types.is_dictionary(data_type):
        data_type = data_type.value_type
    if pa.types.is_null(data_type):
        return "any"
    if pa.types.is_string(data_type) or pa.types.is_large_string(data_type):
        return "text"
    if any(
        check(data_type)
        for check in (pa.types.is_integer, pa.types.is_floating, pa.types.is_decimal)
    ):
        return "number"
    return str(data_type)


def _read_as_floats(first: pa.DataType, types: list[pa.DataType]) -> bool:
    """Whether a numeric column must be read as floats, not as its first file's type.

    Arrow reads every file with the first file's type: integers would truncate (or refuse)
    another file's fractions, and a first file of nulls only would read every count as null.
    """
    if pa.types.is_floating(first):
        return False
    return (
        pa.types.is_null(first)
        or pa.types.is_decimal(first)
        or any(pa.types.is_floating(t) or pa.types.is_decimal(t) for t in types)
    )


def _files_agreeing(dataset: ds.Dataset, path: Path) -> ds.Dataset:
    """``dataset``, once every file is found to hold the columns, of one kind in all files.

    Arrow reads a folder with its first file's types: a file without the employment column
    would read as suppressed counts, integer codes in one file and text in another would
    merge ``01`` with ``1``. Each file's footer is read to find these before anything else.
    Counts that are integers in one file and floats in another are read as floats.

    Raises
    ------
    InputDataError
        Naming the files that lack a column or hold it as another kind.
    """
    problems: list[str] = []
    numeric: dict[str, list[pa.DataType]] = {"year": [], "employment": []}
    fragments = list(dataset.get_fragments())
    first_file = Path(fragments[0].path).name if fragments else ""
    for fragment in fragments:
        name = Path(fragment.path).name
        try:
            schema = fragment.physical_schema
        except (pa.ArrowException, OSError):
            problems.append(f"{name} is not a Parquet file (move it out of the folder)")
            continue
        lacking = [c for c in _COLUMNS if c not in schema.names]
        if lacking:
            problems.append(f"{name} has no {', '.join(lacking)}")
        for column in (*_COLUMNS, "year"):
            if column not in schema.names:
                continue
            given, first = schema.field(column).type, dataset.schema.field(column).type
            if "any" not in (_kind(given), _kind(first)) and _kind(given) != _kind(first):
                problems.append(f"{name} holds {column} as {given}, {first_file} as {first}")
            if column in numeric:
                numeric[column].append(given)
        problems += _folder_year_contradicted(fragment, schema, name)
    if problems:
        raise InputDataError(
            f"{path}: its files do not agree: {format_examples(problems)}. Write every file "
            "with the columns area_code, industry_code, year and employment, each of one kind "
            "(codes as text, years and counts as numbers)."
        )
    schema = dataset.schema
    for column, types in numeric.items():
        index = schema.get_field_index(column)
        if types and _read_as_floats(schema.field(index).type, types):
            schema = schema.set(index, pa.field(column, pa.float64()))
    if schema.equals(dataset.schema):
        return dataset
    return ds.dataset(path, schema=schema, format="parquet", partitioning=dataset.partitioning)


def _folder_year_contradicted(fragment: ds.Fragment, schema: pa.Schema, name: str) -> list[str]:
    """A file in a ``year=<year>`` folder whose own year column says another year.

    Arrow reads such a file as of its folder's year: its own years would be lost unsaid. The
    years are read from the file's footer statistics, or from the column where it has none.
    """
    folder_year = ds.get_partition_keys(fragment.partition_expression).get("year")
    if folder_year is None or "year" not in schema.names:
        return []
    footer = fragment.metadata
    leaves = footer.row_group(0).num_columns if footer.num_row_groups else 0
    # The Parquet column of ``year`` (nested columns before it have several leaves).
    leaf = next(
        (j for j in range(leaves) if footer.row_group(0).column(j).path_in_schema == "year"), None
    )
    if leaf is None:
        return []
    bounds = [footer.row_group(i).column(leaf).statistics for i in range(footer.num_row_groups)]
    if all(stats is not None and stats.has_min_max for stats in bounds):
        years = {stats.min for stats in bounds} | {stats.max for stats in bounds}
    else:
        years = set(pq.read_table(fragment.path, columns=["year"]).column(0).to_pylist())
    others = sorted(str(year) for year in years - {folder_year, None})
    if not others:
        return []
    return [f"{name} in the folder year={folder_year} holds year {', '.join(others)}"]


def _batches(
    dataset: ds.Dataset, columns: list[str], path: Path, where: ds.Expression | None = None
) -> Iterator[pa.RecordBatch]:
    """The batches of ``columns`` (rows ``where`` holds); a file Arrow cannot read is named.

    A folder's files are read with the first file's column types: a damaged file, or one
    whose codes or years do not convert to those types, stops the scan. The file is then
    found by reading each in turn (on the way to the error only).
    """
    batches = iter(dataset.scanner(columns=columns, filter=where).to_batches())
    while True:
        try:
            batch = next(batches)
        except StopIteration:
            return
        except (pa.ArrowException, OSError) as error:
            culprit = _unreadable_file(dataset, columns)
            raise InputDataError(
                f"{path}: cannot read {culprit or 'the employment table'} ({error}). Every "
                "file must be whole Parquet with the same columns of the same types "
                "(area_code, industry_code, year, employment): write that file again."
            ) from None
        yield batch


def _unreadable_file(dataset: ds.Dataset, columns: list[str]) -> str | None:
    """The name of the first file of ``dataset`` whose ``columns`` do not read."""
    for fragment in dataset.get_fragments():
        try:
            fragment.to_table(schema=dataset.schema, columns=columns)
        except (pa.ArrowException, OSError):
            return Path(fragment.path).name
    return None


def _dataset(path: Path) -> ds.Dataset:
    """The table as an Arrow dataset, ``year=<year>`` folders read as a year column.

    Arrow types a folder's year as int32; files that keep their own year column, as pandas
    writes it (int64), need the folders' year typed as theirs.
    """
    try:
        return ds.dataset(path, format="parquet", partitioning="hive")
    except pa.ArrowException:
        as_int64 = ds.partitioning(pa.schema([("year", pa.int64())]), flavor="hive")
        try:
            return ds.dataset(path, format="parquet", partitioning=as_int64)
        except pa.ArrowException:
            pass
        raise


def _hidden_parquet_files(folder: Path) -> list[str]:
    """Parquet files under ``folder`` that Arrow's dataset skips for a ``_`` name.

    A file or folder name on the way starting with ``_`` (``_part.parquet``). Hidden files
    and folders (``.ipynb_checkpoints``, macOS's ``._`` copies) and Delta Lake's
    ``_delta_log`` are not counts, so they are not named.
    """
    found = []
    for file in folder.rglob("*.parquet"):
        parts = file.relative_to(folder).parts
        hidden = any(part.startswith(".") for part in parts) or "_delta_log" in parts
        if not hidden and any(part.startswith("_") for part in parts):
            found.append(str(file.relative_to(folder)))
    return sorted(found)


def _reopen(path: Path, years: list[int], industries: list[str]) -> EmploymentPanel:
    # As open_panel read it: a Dask worker must read the counts with the same types.
    dataset = _files_agreeing(_dataset(path), path)
    return EmploymentPanel(path=path, dataset=dataset, years=years, industries=industries)


def open_panel(path: Path) -> EmploymentPanel:
    """Open a Parquet employment table (file or ``year=``-partitioned folder) and check it.

    Raises
    ------
    InputDataError
        If the path is not Parquet or lacks a required column; the message names both.
    """
    if not path.exists():
        raise InputDataError(f"The employment table {path} does not exist.")
    try:
        dataset = _dataset(path)
    except (pa.ArrowException, OSError) as error:
        raise InputDataError(
            f"{path} is not a Parquet employment table ({error}); write it with columns "
            "area_code, industry_code, year and employment."
        ) from None
    hidden = _hidden_parquet_files(path) if path.is_dir() else []
    if hidden:
        log.warning(
            "%s: Parquet files whose name or folder starts with '_' are left out of the "
            "table, as Arrow and Spark leave them (%s); rename them if they are part of it",
            path,
            format_examples(hidden, 3),
        )
    if path.is_dir() and not dataset.files:
        only = f" but ones left out ({format_examples(hidden, 3)})" if hidden else ""
        raise InputDataError(
            f"The employment folder {path} holds no Parquet files{only}; put the table there "
            "(one or more .parquet files, or year=<year> folders of them)."
        )
    missing = [c for c in (*_COLUMNS, "year") if c not in dataset.schema.names]
    if missing:
        raise InputDataError(
            f"{path} has no column{'s' if len(missing) > 1 else ''} {', '.join(missing)}; a "
            "panel needs area_code, industry_code, year (a column or year=<year> folders) and "
            "employment."
        )
    counts_type = dataset.schema.field("employment").type
    if _kind(counts_type) not in {"number", "text", "any"}:
        raise InputDataError(
            f"{path}: the employment column holds {counts_type} values, not numbers; write "
            "the counts as integers or floats (null for a suppressed cell)."
        )
    dataset = _files_agreeing(dataset, path)
    # One streaming pass over two columns: never the whole column in memory.
    years: set[int] = set()
    not_whole: set[float] = set()
    industries: set[str] = set()
    uncoded = undated = 0
    for batch in _batches(dataset, ["year", "industry_code"], path):
        undated += batch.column("year").null_count
        whole, fractions = _year_values(batch.column("year"), path)
        years |= whole
        not_whole |= fractions
        codes = _distinct(batch.column("industry_code"))
        industries.update(codes - {""})
        uncoded += batch.column("industry_code").null_count
        if "" in codes:
            uncoded += _blank(batch.column("industry_code"))
    if undated:
        raise InputDataError(f"{path}: {undated:,} rows have no year; give every row its year.")
    if not_whole:
        raise InputDataError(
            f"{path}: years must be whole numbers, not {format_examples(sorted(not_whole))}."
        )
    if uncoded:
        raise InputDataError(
            f"{path}: {uncoded:,} rows have no industry_code; give every row the code of its "
            "industry (a suppressed count is a null employment, not a missing code)."
        )
    _say_empty_year_folders(dataset, path, years)
    return EmploymentPanel(
        path=path, dataset=dataset, years=sorted(years), industries=sorted(industries)
    )


def _say_empty_year_folders(dataset: ds.Dataset, path: Path, years: set[int]) -> None:
    """Warn of ``year=<year>`` folders without a row (no file, or files of no rows).

    Arrow knows a folder only by its files: an empty one is found by listing the table's own.
    """
    folders = {
        ds.get_partition_keys(fragment.partition_expression).get("year")
        for fragment in dataset.get_fragments()
    }
    if path.is_dir():
        folders |= {
            int(child.name[len("year=") :])
            for child in path.iterdir()
            if child.is_dir()
            and child.name.startswith("year=")
            and child.name[len("year=") :].isdigit()
        }
    empty = sorted(int(year) for year in folders - years - {None})
    if not empty:
        return
    names = ", ".join(f"year={year}" for year in empty)
    log.warning(
        "%s: no rows in %s, so the panel has no %s; put the rows of %s there, or remove %s",
        path,
        names,
        ", ".join(map(str, empty)),
        "that year" if len(empty) == 1 else "each year in its folder",
        "the folder" if len(empty) == 1 else "the empty folders",
    )
