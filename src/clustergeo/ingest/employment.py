"""Read employment counts by area and industry in the layouts people actually download.

Three layouts are recognised (``format: auto`` picks by the header):

``nomis_bres``
    Nomis long CSV as the Nomis API and the "download data" page export BRES (dataset
    NM_189_1 and its predecessors): one row per observation with ``DATE``,
    ``GEOGRAPHY_CODE``, ``GEOGRAPHY_NAME``, ``INDUSTRY_CODE``, ``INDUSTRY_NAME``,
    ``EMPLOYMENT_STATUS_NAME``, ``MEASURE_NAME``, ``MEASURES_NAME``, ``OBS_VALUE``,
    ``OBS_STATUS``, ``OBS_CONF``… Reduced extracts that keep ``DATE, GEOGRAPHY_CODE,
    INDUSTRY_CODE`` and name the value ``COUNT`` are accepted too.
``nomis_census_wide``
    A Nomis census table such as WP605EW: one row per area, the area as ``"CODE : NAME"``,
    one column per industry titled ``"<code> <title>"`` (``"C Manufacturing"``,
    ``"R,S Arts, …"``) and optionally an ``"All categories: …"`` total. The preamble and
    footnote lines of Nomis web downloads are skipped, and Nomis bulk files
    (``geography code`` column, ``"Industry: C Manufacturing; measures: Value"`` headers)
    are read too.
``tidy``
    ``area_code, industry_code, employment``.

Suppressed cells are kept as missing (NaN) and counted, never turned into zero. In Nomis
files a cell is suppressed when ``OBS_VALUE`` is empty, when ``OBS_STATUS``
is one of Nomis's suppression markers (``Q``, ``X``, ``!``, ``*``, ``-``, ``.``), or when
``OBS_CONF`` marks it confidential. Other non-normal statuses keep their value and are
counted in the report. A value that is not a number without a status saying why is an
error: it is a damaged or edited file, not a suppression.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from clustergeo._errors import InputDataError
from clustergeo._validate import Problems, format_examples, rows_label
from clustergeo.industries import normalise_sic_code, sic_hierarchy
from clustergeo.io import read_text

__all__ = [
    "EmploymentFormat",
    "EmploymentTable",
    "detect_employment_format",
    "read_employment",
    "read_nomis_bres",
    "read_nomis_census_wide",
    "read_tidy_employment",
]

log = logging.getLogger(__name__)

EmploymentFormat = Literal["nomis_bres", "nomis_census_wide", "tidy"]

SUPPRESSION_STATUSES = frozenset({"Q", "X", "!", "*", "-", "."})
_CONFIDENTIAL = frozenset({"T", "TRUE", "1", "Y", "YES", "CONFIDENTIAL"})
_AREA_LABEL = re.compile(r"^\s*([A-Z][A-Z0-9]{2,})\s+:\s+(.*\S)\s*$")
_AREA_CODE = re.compile(r"^[A-Z][A-Z0-9]{2,}$")
TIDY_COLUMNS = ("area_code", "industry_code", "employment")


@dataclass
class EmploymentTable:
    """Employment counts in tidy form, with what was learnt while reading them.

    Attributes
    ----------
    data
        One row per area x industry: ``area_code``, ``industry_code`` (canonical SIC code),
        ``employment`` (float; NaN where the source suppressed the cell).
    area_totals
        Published all-industry totals per area when the source has them (a census "All
        categories" column), else None; used so suppressed cells do not shrink area totals.
    industry_names, area_names
        Labels from the source.
    source, format
        The file and layout read.
    notes
        Plain-language facts about the read for the run report (suppressed cells, rows
        filtered, encoding fallback...).
    """

    data: pd.DataFrame
    source: Path
    format: EmploymentFormat
    area_totals: pd.Series | None = None
    industry_names: dict[str, str] = field(default_factory=dict)
    area_names: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    n_suppressed: int = 0


# -- reading text ----------------------------------------------------------------------------


def _read_text(path: Path, notes: list[str]) -> str:
    if not path.exists():
        raise InputDataError(f"Employment file {path} does not exist.")
    text = read_text(path, notes)
    if not text.strip():
        raise InputDataError(
            f"Employment file {path} is empty: download the table again (Nomis 'download "
            "data' → CSV) and check it has a header and rows."
        )
    return text


def _sniff_delimiter(text: str, path: Path) -> str:
    """The delimiter that splits the most lines into the same number (≥ 2) of fields.

    Counting characters on the header alone would mistake a semicolon-separated table whose
    quoted titles contain commas (Excel in many European locales) for a comma-separated one.
    """
    lines = [line for line in text.splitlines()[:60] if line.strip()]
    best, best_score = ",", (0, 0)
    for delimiter in (",", ";", "\t", "|"):
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
            f"Employment file {path} has a single column on its first line ({first[:80]!r}): "
            "it is not a comma-separated table. Export it from Nomis as CSV."
        )
    return best


def _frame_from_text(text: str, path: Path, skip: int = 0) -> pd.DataFrame:
    delimiter = _sniff_delimiter(text, path)
    try:
        return pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            dtype=str,
            keep_default_na=False,
            skiprows=skip,
            skipinitialspace=False,
        )
    except (pd.errors.ParserError, csv.Error) as exc:
        raise InputDataError(
            f"Employment file {path} cannot be parsed as CSV ({exc}). Check that it was saved "
            "as CSV and that quoted fields are closed."
        ) from None


def _to_number(values: pd.Series) -> pd.Series:
    """Counts as numbers; anything else (text, "inf", "nan") becomes NaN for the caller to report.

    Thousands separators are allowed. Infinity is not a count, so it is treated as text.
    """
    cleaned = values.astype(str).str.strip().str.replace(",", "", regex=False)
    numbers = pd.to_numeric(cleaned.where(cleaned != "", None), errors="coerce")
    return numbers.where(~np.isinf(numbers.astype("float64")))


# -- layout detection ------------------------------------------------------------------------


def detect_employment_format(path: Path) -> EmploymentFormat:
    """Recognise the layout of an employment CSV from its header and first rows.

    Raises
    ------
    InputDataError
        If the header matches none of the known layouts; the message shows the header.
    """
    notes: list[str] = []
    text = _read_text(Path(path), notes)
    return _detect(text, Path(path))


def _detect(text: str, path: Path) -> EmploymentFormat:
    head = text[:20000]
    first_line = head.splitlines()[0] if head else ""
    header = {h.strip().strip('"').upper() for h in re.split(r"[,;\t]", first_line)}
    if {"GEOGRAPHY_CODE", "INDUSTRY_CODE"} <= header or "OBS_VALUE" in header:
        return "nomis_bres"
    if {c.upper() for c in TIDY_COLUMNS} <= header:
        return "tidy"
    if "GEOGRAPHY CODE" in header or _find_census_header(head.splitlines()) is not None:
        return "nomis_census_wide"
    raise InputDataError(
        f"Cannot recognise the layout of employment file {path}. Its first line is:\n"
        f"  {first_line[:300]}\n"
        "Expected a Nomis BRES long CSV (DATE, GEOGRAPHY_CODE, INDUSTRY_CODE, OBS_VALUE, ...), "
        "a Nomis census wide table (first column 'CODE : NAME', one column per industry) or a "
        "tidy CSV (area_code, industry_code, employment). If it is one of these, set "
        "employment.format in the config; if it is another Nomis table, download that one."
    )


def _find_census_header(lines: list[str]) -> int | None:
    """Index of the header line of a Nomis census table (preamble lines come before it)."""
    for index, line in enumerate(lines[:60]):
        following = lines[index + 1] if index + 1 < len(lines) else ""
        first_cell = next(csv.reader([following]), [""])
        if line.count(",") >= 2 and first_cell and _AREA_LABEL.match(first_cell[0]):
            return index
    return None


# -- tidy ------------------------------------------------------------------------------------


def read_tidy_employment(path: Path) -> EmploymentTable:
    """Read a tidy CSV with columns ``area_code, industry_code, employment``.

    Parameters
    ----------
    path
        The CSV file (optionally gzip-compressed).

    Returns
    -------
    EmploymentTable

    Raises
    ------
    InputDataError
        Listing missing columns, empty codes, negative or non-numeric counts, duplicate
        area x industry rows and codes that are not UK SIC 2007.
    """
    path = Path(path)
    notes: list[str] = []
    frame = _frame_from_text(_read_text(path, notes), path)
    frame.columns = [c.strip() for c in frame.columns]
    missing = [c for c in TIDY_COLUMNS if c not in frame.columns]
    if missing:
        raise InputDataError(
            f"Employment file {path} lacks the column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)} of the tidy layout; it has {', '.join(frame.columns)}. "
            "Rename the columns to area_code, industry_code, employment."
        )
    problems = Problems(path, "Employment file")
    tidy = pd.DataFrame(
        {
            "area_code": frame["area_code"].str.strip(),
            "industry_code": frame["industry_code"].map(normalise_sic_code),
            "employment": _to_number(frame["employment"]),
        }
    )
    lines = pd.Series(np.arange(len(frame)) + 2, index=frame.index)
    raw_value = frame["employment"].str.strip()
    suppressed = raw_value.isin(["", "*", "x", "X", "..", ":", "-", "!"])
    non_numeric = tidy["employment"].isna() & ~suppressed
    if non_numeric.any():
        problems.add(
            f"non-numeric employment on {rows_label(lines[non_numeric].tolist())} "
            f"(values {format_examples(raw_value[non_numeric].unique())}); counts must be "
            "numbers, or empty / '*' / 'x' for suppressed cells"
        )
    _check_common(tidy, lines, problems)
    problems.raise_if_any()
    table = EmploymentTable(data=tidy, source=path, format="tidy", notes=notes)
    _note_suppressed(table, int(suppressed.sum()))
    return table


# -- Nomis BRES long -------------------------------------------------------------------------


def read_nomis_bres(
    path: Path, *, date: str | None = None, employment_status: str | None = None
) -> EmploymentTable:
    """Read a Nomis long CSV export (BRES and other Nomis datasets with an INDUSTRY dimension).

    Parameters
    ----------
    path
        The CSV as exported by Nomis (optionally gzip-compressed).
    date
        Which ``DATE`` to keep when the file has several years.
    employment_status
        Which ``EMPLOYMENT_STATUS_NAME`` to keep when the file has several
        (e.g. ``"Employment"``, ``"Employees"``).

    Returns
    -------
    EmploymentTable

    Raises
    ------
    InputDataError
        When required columns are missing, several years or statuses are present and none was
        chosen, or counts are negative, duplicated or not SIC 2007 industries.
    """
    path = Path(path)
    notes: list[str] = []
    frame = _frame_from_text(_read_text(path, notes), path)
    frame.columns = [c.strip().upper() for c in frame.columns]
    value_column = "OBS_VALUE" if "OBS_VALUE" in frame.columns else "COUNT"
    required = ["GEOGRAPHY_CODE", "INDUSTRY_CODE", value_column]
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise InputDataError(
            f"Employment file {path} is not a Nomis long CSV: it lacks {', '.join(missing)}. "
            f"Its columns are {format_examples(frame.columns, 12)}. Download the table from "
            "Nomis as CSV with the geography, industry and value columns, or set "
            "employment.format to the layout it has."
        )
    lines = pd.Series(np.arange(len(frame)) + 2, index=frame.index)
    frame = _filter_dimension(frame, "MEASURE_NAME", "Count", path, notes)
    frame = _filter_dimension(frame, "MEASURES_NAME", "Value", path, notes)
    frame = _choose_one(
        frame, "DATE", chosen=date, config_key="employment.date", path=path, notes=notes
    )
    frame = _choose_one(
        frame,
        "EMPLOYMENT_STATUS_NAME",
        chosen=employment_status,
        config_key="employment.employment_status",
        path=path,
        notes=notes,
    )
    lines = lines.loc[frame.index]

    problems = Problems(path, "Employment file")
    industry_code = frame["INDUSTRY_CODE"].map(normalise_sic_code)
    if "INDUSTRY_NAME" in frame.columns:
        # Some Nomis industry types carry the SIC code only in the name ("29 : Manufacture…").
        from_name = frame["INDUSTRY_NAME"].map(normalise_sic_code)
        hierarchy = sic_hierarchy()
        use_name = ~industry_code.map(hierarchy.is_valid) & from_name.map(hierarchy.is_valid)
        industry_code = industry_code.where(~use_name, from_name)
    raw_value = frame[value_column].str.strip()
    value = _to_number(raw_value)
    status = (
        frame["OBS_STATUS"].str.strip().str.upper()
        if "OBS_STATUS" in frame.columns
        else pd.Series("", index=frame.index)
    )
    confidential = (
        frame["OBS_CONF"].str.strip().str.upper().isin(_CONFIDENTIAL)
        if "OBS_CONF" in frame.columns
        else pd.Series(False, index=frame.index)
    )
    status_suppressed = status.isin(SUPPRESSION_STATUSES)
    suppressed = status_suppressed | confidential | value.isna()
    non_numeric = value.isna() & (raw_value != "") & ~status_suppressed & ~confidential
    if non_numeric.any():
        problems.add(
            f"{value_column} is not a number on {rows_label(lines[non_numeric].tolist())} "
            f"(values {format_examples(raw_value[non_numeric].unique())})"
            + (
                " and OBS_STATUS does not mark those cells as suppressed"
                if "OBS_STATUS" in frame.columns
                else ""
            )
            + "; re-download the table from Nomis (suppressed cells are left empty)"
        )
    flagged = ~suppressed & ~status.isin(["", "A"])
    if flagged.any():
        counts = status[flagged].value_counts().sort_index()
        notes.append(
            "cells with a non-normal OBS_STATUS kept with their value: "
            + ", ".join(f"{code}: {n}" for code, n in counts.items())
        )
    tidy = pd.DataFrame(
        {
            "area_code": frame["GEOGRAPHY_CODE"].str.strip(),
            "industry_code": industry_code,
            "employment": value.where(~suppressed),
        }
    )
    _check_common(tidy, lines, problems)
    problems.raise_if_any()
    table = EmploymentTable(data=tidy.reset_index(drop=True), source=path, format="nomis_bres")
    table.notes = notes
    if "INDUSTRY_NAME" in frame.columns:
        table.industry_names = _labels(tidy["industry_code"], frame["INDUSTRY_NAME"])
    if "GEOGRAPHY_NAME" in frame.columns:
        table.area_names = dict(zip(tidy["area_code"], frame["GEOGRAPHY_NAME"], strict=True))
    _note_suppressed(table, int(suppressed.sum()))
    return table


def _filter_dimension(
    frame: pd.DataFrame, column: str, keep: str, path: Path, notes: list[str]
) -> pd.DataFrame:
    """Keep the rows of a Nomis measure dimension that hold counts (e.g. MEASURE_NAME=Count)."""
    if column not in frame.columns:
        return frame
    values = frame[column].str.strip()
    if values.unique().size <= 1:
        return frame
    if keep not in set(values):
        raise InputDataError(
            f"Employment file {path} has several {column} values "
            f"({format_examples(sorted(values.unique()))}) and none is '{keep}'. "
            f"Download the table with {column} = {keep}."
        )
    dropped = int((values != keep).sum())
    notes.append(f"kept {column} = {keep}; dropped {dropped} rows of other {column} values")
    return frame.loc[values == keep]


def _choose_one(
    frame: pd.DataFrame,
    column: str,
    *,
    chosen: str | None,
    config_key: str,
    path: Path,
    notes: list[str],
) -> pd.DataFrame:
    """Keep one value of a dimension the user must choose (year, employment status)."""
    if column not in frame.columns:
        if chosen is not None:
            raise InputDataError(
                f"{config_key} is set to {chosen!r} but employment file {path} has no "
                f"{column} column; remove {config_key} from the config."
            )
        return frame
    values = frame[column].str.strip()
    available = sorted(values.unique())
    if chosen is None:
        if len(available) > 1:
            raise InputDataError(
                f"Employment file {path} holds several {column} values: "
                f"{format_examples(available)}. Choose one with {config_key} in the config."
            )
        return frame
    if chosen not in available:
        raise InputDataError(
            f"{config_key} is {chosen!r} but employment file {path} only has {column} "
            f"{format_examples(available)}. Set {config_key} to one of these."
        )
    if len(available) > 1:
        notes.append(f"kept {column} = {chosen} of {len(available)} values in the file")
    return frame.loc[values == chosen]


# -- Nomis census wide -----------------------------------------------------------------------


def read_nomis_census_wide(path: Path) -> EmploymentTable:
    """Read a Nomis census table with one row per area and one column per industry.

    Works for the Nomis web download (preamble lines, a ``"CODE : NAME"`` area column,
    footnotes after the data) and for Nomis bulk files (``geography code`` column and
    ``"Industry: C Manufacturing; measures: Value"`` headers). A column whose title starts
    with ``"All categories"`` or ``"Total"`` is taken as the published area total.

    Returns
    -------
    EmploymentTable

    Raises
    ------
    InputDataError
        Listing industry columns that are not SIC 2007 sections or codes, non-numeric or
        negative counts, duplicate areas, and totals that disagree with the industry columns.
    """
    path = Path(path)
    notes: list[str] = []
    text = _read_text(path, notes)
    lines_all = text.splitlines()
    bulk = "geography code" in lines_all[0].lower() if lines_all else False
    header_index = 0 if bulk else _find_census_header(lines_all)
    if header_index is None:
        raise InputDataError(
            f"Employment file {path} does not look like a Nomis census table: no row has an "
            "area written as 'CODE : NAME' (e.g. 'E02005377 : Hinckley and Bosworth 001'). "
            "Download it from Nomis with 'geography: code and name', or use the tidy layout."
        )
    if header_index:
        notes.append(f"skipped {header_index} preamble lines of the Nomis download")
    frame = _frame_from_text("\n".join(lines_all[header_index:]), path)
    frame.columns = [str(c).strip() for c in frame.columns]
    keep, area_codes, area_names, value_columns = _census_areas(frame, bulk=bulk, notes=notes)
    frame = frame.loc[keep]
    area_codes = area_codes.loc[keep]
    area_names = area_names.loc[keep]
    line_numbers = pd.Series(frame.index.to_numpy() + header_index + 2, index=frame.index)

    problems = Problems(path, "Employment file")
    industries, total_column = _census_industry_columns(value_columns, problems)
    counts = frame[list(industries)].apply(_to_number).astype("float64")
    raw = frame[list(industries)]
    suppressed_mask = raw.apply(lambda s: s.str.strip().isin(["", "*", "x", "X", "..", ":", "-"]))
    non_numeric = counts.isna() & ~suppressed_mask
    if non_numeric.any(axis=None):
        rows = line_numbers[non_numeric.any(axis=1)].tolist()
        values = pd.unique(raw.where(non_numeric).stack().dropna().to_numpy())
        problems.add(f"non-numeric counts on {rows_label(rows)} (values {format_examples(values)})")
    long = counts.set_axis(list(industries.values()), axis=1).assign(area_code=area_codes)
    tidy = long.melt(id_vars="area_code", var_name="industry_code", value_name="employment")
    tidy_lines = pd.concat([line_numbers] * len(industries), ignore_index=True)
    tidy = tidy.reset_index(drop=True)
    _check_common(tidy, tidy_lines, problems)

    totals: pd.Series | None = None
    if total_column is not None:
        totals = pd.Series(
            _to_number(frame[total_column]).to_numpy(), index=area_codes.to_numpy(), name="total"
        )
        complete = ~suppressed_mask.any(axis=1).to_numpy()
        summed = counts.sum(axis=1).to_numpy()
        mismatch = complete & ~np.isclose(summed, totals.to_numpy(), rtol=0, atol=0.5)
        if mismatch.any():
            rows = line_numbers[mismatch].tolist()
            problems.add(
                f"the '{total_column}' column differs from the sum of the industry columns on "
                f"{rows_label(rows)}; check the download is complete and unedited"
            )
    problems.raise_if_any()
    table = EmploymentTable(
        data=tidy,
        source=path,
        format="nomis_census_wide",
        area_totals=totals,
        industry_names={code: column for column, code in industries.items()},
        area_names=dict(zip(area_codes, area_names, strict=True)),
        notes=notes,
    )
    _note_suppressed(table, int(suppressed_mask.to_numpy().sum()))
    return table


def _census_areas(
    frame: pd.DataFrame, *, bulk: bool, notes: list[str]
) -> tuple[pd.Series, pd.Series, pd.Series, list[str]]:
    """Rows that are areas, their codes and names, and the candidate value columns."""
    if bulk:
        code_column = next(c for c in frame.columns if c.lower() == "geography code")
        area_codes = frame[code_column].str.strip()
        area_names = frame["geography"].str.strip() if "geography" in frame.columns else area_codes
        value_columns = [c for c in frame.columns if c.lower().startswith(("industry", "total"))]
        return pd.Series(True, index=frame.index), area_codes, area_names, value_columns
    labels = frame.iloc[:, 0].astype(str).str.extract(_AREA_LABEL)
    keep = labels[0].notna()
    # Footnotes and blank lines after the data are not areas.
    dropped = int((~keep & (frame.iloc[:, 0].str.strip() != "")).sum())
    if dropped:
        notes.append(f"ignored {dropped} footnote lines after the data")
    return keep, labels[0], labels[1], list(frame.columns[1:])


def _census_industry_columns(
    value_columns: list[str], problems: Problems
) -> tuple[dict[str, str], str | None]:
    """Map industry column titles to SIC codes, and find the published total column."""
    hierarchy = sic_hierarchy()
    industries: dict[str, str] = {}
    total_column: str | None = None
    bad_columns = []
    for column in value_columns:
        title = re.sub(r"^(Industry[^:]*:\s*)", "", column)
        title = re.sub(r";\s*measures:.*$", "", title).strip()
        if title.lower().startswith(("all categories", "total")):
            total_column = column
        elif title:
            code = normalise_sic_code(title.split(" ", 1)[0])
            if hierarchy.is_valid(code):
                industries[column] = code
            else:
                bad_columns.append(column)
    if bad_columns:
        problems.add(
            f"columns that are not UK SIC 2007 industries: {format_examples(bad_columns, 4)}. "
            "Industry columns must start with a section letter or SIC code ('C Manufacturing'); "
            "this may be a different Nomis table — download one by industry (e.g. WP605EW)"
        )
    if not industries:
        problems.add("no industry columns found")
        problems.raise_if_any()
    return industries, total_column


# -- shared checks ---------------------------------------------------------------------------


def _check_common(tidy: pd.DataFrame, lines: pd.Series, problems: Problems) -> None:
    """Run the checks every layout shares: codes, negatives, duplicates, SIC validity."""
    if tidy.empty:
        problems.add("no data rows after the header")
        return
    lines = pd.Series(lines.to_numpy(), index=tidy.index)
    empty_area = tidy["area_code"].isna() | (tidy["area_code"].astype(str).str.strip() == "")
    if empty_area.any():
        problems.add(f"empty area code on {rows_label(lines[empty_area].tolist())}")
    negative = tidy["employment"] < 0
    if negative.any():
        problems.add(
            f"negative employment on {rows_label(lines[negative].tolist())}; counts cannot be "
            "below zero — check the column is a count, not a change"
        )
    duplicated = tidy.duplicated(["area_code", "industry_code"], keep=False) & ~empty_area
    if duplicated.any():
        pairs = tidy.loc[duplicated, ["area_code", "industry_code"]].drop_duplicates()
        examples = [f"{a}/{i}" for a, i in pairs.itertuples(index=False)]
        problems.add(
            f"{len(pairs)} area x industry pairs appear more than once "
            f"({format_examples(examples)}) on {rows_label(lines[duplicated].tolist())}; "
            "a file with several years or measures needs employment.date or a filtered download"
        )
    hierarchy = sic_hierarchy()
    codes = pd.Series(tidy["industry_code"].unique())
    unknown = codes[~codes.map(hierarchy.is_valid)]
    if len(unknown):
        problems.add(
            f"industry codes that are not UK SIC 2007: {format_examples(sorted(unknown))}; "
            "use section letters or 2- to 5-digit SIC 2007 codes"
        )


def _labels(codes: pd.Series, names: pd.Series) -> dict[str, str]:
    pairs = pd.DataFrame({"code": codes.to_numpy(), "name": names.to_numpy()})
    return dict(pairs.drop_duplicates("code").itertuples(index=False, name=None))


def _note_suppressed(table: EmploymentTable, count: int) -> None:
    table.n_suppressed = count
    if count:
        table.notes.append(
            f"{count} suppressed cells kept as missing (not zero); their LQs are reported as "
            "missing"
        )


def read_employment(
    path: Path,
    format: EmploymentFormat | Literal["auto"] = "auto",
    *,
    date: str | None = None,
    employment_status: str | None = None,
) -> EmploymentTable:
    """Read an employment table in any supported layout.

    Parameters
    ----------
    path
        The CSV file.
    format
        One of ``"nomis_bres"``, ``"nomis_census_wide"``, ``"tidy"``, or ``"auto"`` to detect.
    date, employment_status
        Choices for Nomis BRES files holding several years or statuses.

    Returns
    -------
    EmploymentTable
    """
    path = Path(path)
    layout = detect_employment_format(path) if format == "auto" else format
    if layout != "nomis_bres" and (date is not None or employment_status is not None):
        raise InputDataError(
            f"employment.date / employment.employment_status apply to Nomis BRES files, but "
            f"{path} is a {layout} table; remove them from the config."
        )
    if layout == "nomis_bres":
        table = read_nomis_bres(path, date=date, employment_status=employment_status)
    elif layout == "nomis_census_wide":
        table = read_nomis_census_wide(path)
    else:
        table = read_tidy_employment(path)
    log.info(
        "Read %s: %s layout, %d areas x %d industries",
        path.name,
        layout,
        table.data["area_code"].nunique(),
        table.data["industry_code"].nunique(),
    )
    return table
