"""Read employment (or GVA) by area, industry and year in the layouts people actually download.

Five layouts are read (``format: auto`` recognises the first three by their header):

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
    ``area_code, industry_code, employment`` (and optionally ``year``).
``long`` and ``wide_years``
    Any other table, described in the config (:mod:`clustergeo.ingest.mapped`).

Every reader returns an :class:`EmploymentTable` whose rows carry a ``year``, so one table can
hold several years; :func:`select_year` picks the year a single-year stage uses.

Suppressed cells are kept as missing (NaN) and counted, never turned into zero. In Nomis
files a cell is suppressed when ``OBS_VALUE`` is empty, when ``OBS_STATUS``
is one of Nomis's suppression markers (``Q``, ``X``, ``!``, ``*``, ``-``, ``.``), or when
``OBS_CONF`` marks it confidential. Other non-normal statuses keep their value and are
counted in the report. A value that is not a number without a status saying why is an
error: it is a damaged or edited file, not a suppression.

Values are checked by one policy for every layout (:func:`build_table`): counts cannot be
negative or implausibly large (above :data:`MAX_COUNT`, more than the UK's workforce); any
value above :data:`MAX_VALUE` stops the run; fractional counts are kept and noted.
"""

from __future__ import annotations

import csv
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from clustergeo._errors import InputDataError
from clustergeo._validate import Problems, format_examples, rows_label
from clustergeo.industries import TOTAL_CODE, normalise_sic_code, parse_industry_code, sic_hierarchy
from clustergeo.ingest.industry_levels import MixedLevels, choose_industry_level
from clustergeo.ingest.numbers import NumberFormat, decide_number_format, parse_numbers
from clustergeo.ingest.tables import RawTable, parse_delimited, read_raw_table, table_kind
from clustergeo.io import check_is_file, read_text

__all__ = [
    "COUNT_MEASURES",
    "MAX_COUNT",
    "MAX_VALUE",
    "EmploymentFormat",
    "EmploymentTable",
    "Measure",
    "ReadOptions",
    "build_table",
    "combine_tables",
    "detect_employment_format",
    "note_suppressed",
    "read_employment",
    "read_nomis_bres",
    "read_nomis_census_wide",
    "read_tidy_employment",
    "select_year",
]

log = logging.getLogger(__name__)

EmploymentFormat = Literal["nomis_bres", "nomis_census_wide", "tidy", "long", "wide_years"]
Measure = Literal[
    "employment",
    "employees",
    "full_time_employees",
    "part_time_employees",
    "gva_current_prices",
    "gva_chained_volume",
]
#: Measures that count people: whole numbers, never negative.
COUNT_MEASURES: frozenset[str] = frozenset(
    {"employment", "employees", "full_time_employees", "part_time_employees"}
)
MEASURE_LABELS: dict[str, str] = {
    "employment": "employment (employees and working owners)",
    "employees": "employees",
    "full_time_employees": "full-time employees",
    "part_time_employees": "part-time employees",
    "gva_current_prices": "GVA at current prices (£ million)",
    "gva_chained_volume": "GVA in chained volume measures (constant prices, £ million)",
}
#: Above the whole UK workforce (about 33 million in 2024): no area x industry cell employs more.
MAX_COUNT = 40_000_000
#: Above ten times the UK's annual GVA in pounds: no cell of any measure is larger.
MAX_VALUE = 1e13

SUPPRESSION_STATUSES = frozenset({"Q", "X", "!", "*", "-", "."})
TIDY_SUPPRESSION_MARKERS = ("", "*", "x", "X", "..", ":", "-", "!", "[c]", "[u]", "[x]")
_CONFIDENTIAL = frozenset({"T", "TRUE", "1", "Y", "YES", "CONFIDENTIAL"})
_AREA_LABEL = re.compile(r"^\s*([A-Z][A-Z0-9]{2,})\s+:\s+(.*\S)\s*$")
_YEAR = re.compile(r"^\s*(\d{4})(?:$|[-/]\d{1,2}(?:[-/]\d{1,2})?(?:[ T].*)?$|\.0$)")
TIDY_COLUMNS = ("area_code", "industry_code", "employment")
DATA_COLUMNS = ["area_code", "industry_code", "year", "employment"]


@dataclass(frozen=True)
class ReadOptions:
    """How to read values and codes, the same for every layout (``employment.*`` keys).

    Attributes
    ----------
    measure
        What the values are; None when the config does not say (a Nomis file may say itself).
    number_format
        ``auto``, ``uk`` or ``european`` (:mod:`clustergeo.ingest.numbers`).
    mixed_levels
        ``refuse``, ``finest`` or ``sections`` (:mod:`clustergeo.ingest.industry_levels`).
    sic_digits
        Pad numeric industry codes with leading zeros to this many digits (spreadsheets drop
        them: ``161`` for ``0161``).
    year
        The year of a table that has no year column.
    """

    measure: Measure | None = None
    number_format: NumberFormat = "auto"
    mixed_levels: MixedLevels = "refuse"
    sic_digits: int | None = None
    year: int | None = None


@dataclass
class EmploymentTable:
    """Employment counts (or GVA) in tidy form, with what was learnt while reading them.

    Attributes
    ----------
    data
        One row per area x industry x year: ``area_code``, ``industry_code`` (canonical SIC
        code), ``year`` (nullable integer: missing only when neither the table nor
        ``employment.year`` says), ``employment`` (float; NaN where the source suppressed the
        cell; for GVA measures the value in the table's unit).
    year_totals
        Published all-industry totals (a census "All categories" column, a "Total" row) per
        area and year: ``area_code``, ``year``, ``total``; None when the source has none.
    industry_names, area_names
        Labels from the source.
    source, format
        The file and layout read.
    measure
        What the values are (see :data:`Measure`), when the config or the file says.
    notes
        Plain-language facts about the read for the run report (suppressed cells, rows
        filtered, encoding fallback...).
    year_label
        How the source names its years (``DATE`` in Nomis files), for messages.
    """

    data: pd.DataFrame
    source: Path
    format: EmploymentFormat
    year_totals: pd.DataFrame | None = None
    industry_names: dict[str, str] = field(default_factory=dict)
    area_names: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    n_suppressed: int = 0
    measure: str | None = None
    year_label: str = "year"

    @property
    def years(self) -> list[int]:
        """The years in the table, in order (empty when it has none)."""
        return sorted(int(y) for y in self.data["year"].dropna().unique())

    @property
    def area_totals(self) -> pd.Series | None:
        """Published totals by area code, for a single-year table (None when unpublished)."""
        if self.year_totals is None:
            return None
        if len(self.year_totals["year"].dropna().unique()) > 1:
            raise InputDataError(
                f"Employment file {self.source} holds several years; choose one with "
                "employment.date before using its area totals."
            )
        totals = self.year_totals.set_index("area_code")["total"]
        return totals.rename("total")

    @property
    def measure_label(self) -> str:
        """The measure in words, for reports."""
        return MEASURE_LABELS.get(self.measure or "", "not stated (set employment.measure)")


# -- layout detection ------------------------------------------------------------------------


def detect_employment_format(path: Path) -> EmploymentFormat:
    """Recognise the layout of an employment CSV from its header and first rows.

    Raises
    ------
    InputDataError
        If the header matches none of the known layouts; the message shows the header.
    """
    path = check_is_file(Path(path), "Employment file")
    if table_kind(path) != "text":
        raise InputDataError(
            f"Employment file {path} is a {table_kind(path)} file: set employment.format to "
            "'long' or 'wide_years' and employment.columns to say which columns hold what."
        )
    notes: list[str] = []
    text = read_text(path, notes)
    if not text.strip():
        raise _empty_file(path)
    return _detect(text, path)


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
        "employment.format in the config; for any other table set employment.format to "
        "'long' (or 'wide_years') and employment.columns."
    )


def _find_census_header(lines: list[str]) -> int | None:
    """Index of the header line of a Nomis census table (preamble lines come before it)."""
    for index, line in enumerate(lines[:60]):
        following = lines[index + 1] if index + 1 < len(lines) else ""
        first_cell = next(csv.reader([following]), [""])
        if line.count(",") >= 2 and first_cell and _AREA_LABEL.match(first_cell[0]):
            return index
    return None


def _empty_file(path: Path) -> InputDataError:
    return InputDataError(
        f"Employment file {path} is empty: download the table again (Nomis 'download "
        "data' → CSV) and check it has a header and rows."
    )


# -- shared checks and policies --------------------------------------------------------------


def parse_years(
    values: pd.Series, *, column: str, lines: pd.Series, problems: Problems
) -> pd.Series:
    """Years from cells such as ``2021``, ``2021-01-01`` or ``2021.0``; others are a problem."""
    text = values.astype(str)
    unique = pd.Series(text.unique())
    parsed = pd.to_numeric(unique.str.extract(_YEAR, expand=False), errors="coerce")
    years = text.map(dict(zip(unique, parsed, strict=True))).astype("Int64")
    bad = years.isna()
    if bad.any():
        problems.add(
            f"the {column} column does not hold a year on {rows_label(lines[bad].tolist())} "
            f"(values {format_examples(text[bad].unique())}); a year is four digits, e.g. 2021"
        )
    return years


def _pad_codes(codes: pd.Series, digits: int | None) -> pd.Series:
    if digits is None:
        return codes
    numeric = codes.str.fullmatch(r"\d+") & (codes.str.len() < digits)
    return codes.where(~numeric, codes.str.zfill(digits))


def _lost_zeros_problem(codes: pd.Series) -> str | None:
    """A hint when numeric codes look like numbers whose leading zero a spreadsheet dropped."""
    hierarchy = sic_hierarchy()
    unique = pd.Series(codes.unique())
    numeric = unique[unique.str.fullmatch(r"\d+")]
    if numeric.empty:
        return None
    width = int(numeric.str.len().mode().iloc[0])
    short = numeric[numeric.str.len() == width - 1]
    full = numeric[numeric.str.len() == width]
    # Lost zeros leave no full-width code of divisions 01-09 behind.
    if width not in (2, 4, 5) or short.empty or full.str.startswith("0").any():
        return None
    padded = short.str.zfill(width)
    restorable = short[padded.map(hierarchy.is_valid) & padded.str.startswith("0")]
    if restorable.empty:
        return None
    return (
        f"industry codes {format_examples(sorted(restorable), 4)} are one digit shorter than "
        f"the others and are valid SIC 2007 codes with a leading zero "
        f"({format_examples(sorted(restorable.str.zfill(width)), 2)}): a spreadsheet dropped "
        f"the zeros. Set employment.sic_digits: {width} to restore them"
    )


#: Layouts whose values count people whatever ``employment.measure`` says: Nomis's census
#: and BRES tables never hold output.
_PEOPLE_LAYOUTS: frozenset[str] = frozenset({"nomis_census_wide", "nomis_bres"})


def _value_checks(  # noqa: PLR0917 (one call site, every argument named by position)
    tidy: pd.DataFrame,
    lines: pd.Series,
    measure: str | None,
    problems: Problems,
    notes: list[str],
    layout: str,
) -> None:
    """Negative, implausibly large and fractional values, by the measure's policy."""
    values = tidy["employment"]
    counts = measure is None or measure in COUNT_MEASURES
    huge = values.abs() > MAX_VALUE
    if counts:
        huge |= values > MAX_COUNT
    if huge.any():
        limit = f"{MAX_COUNT:,}" if counts else f"{MAX_VALUE:g}"
        problems.add(
            f"implausible values on {rows_label(lines[huge].tolist())} "
            f"({format_examples(values[huge].map('{:g}'.format).unique(), 3)}): above {limit}, "
            "more than any area and industry can hold. Check the column is the count (not an "
            "identifier or a sum over the whole table) and that it was exported as a number"
        )
    negative = values < 0
    if negative.any():
        if counts:
            problems.add(
                f"negative employment on {rows_label(lines[negative].tolist())}; counts cannot "
                "be below zero — check the column is a count, not a change"
                + (
                    ""
                    if measure or layout in _PEOPLE_LAYOUTS
                    else " (employment.measure is not set, so the values are read as jobs: if "
                    "they are output, which can be negative, set it to gva_current_prices or "
                    "gva_chained_volume)"
                )
            )
        else:
            where = tidy.loc[negative]
            cells = where["area_code"] + "/" + where["industry_code"]
            if where["year"].notna().all():
                cells = cells + " in " + where["year"].astype(str)
            n = int(negative.sum())
            notes.append(
                f"{n} negative value{'' if n == 1 else 's'} kept as published "
                f"({format_examples(cells, 4)}): "
                "GVA can be negative; concentration measures of those cells are not meaningful"
            )
    if counts:
        finite = values.dropna()
        fractional = finite[finite != np.round(finite)]
        if len(fractional):
            notes.append(
                f"{len(fractional)} counts are not whole numbers "
                f"(e.g. {format_examples(fractional.map('{:g}'.format).unique(), 3)}): kept as "
                "given. BRES and census counts are whole numbers; check the column is a count "
                "and not a rate, share or full-time equivalent"
            )


def _quoted_if_listy(values: Iterable[str]) -> list[str]:
    """Values holding a comma quoted, so a list of them reads as one value each."""
    return [f"'{value}'" if "," in value else value for value in values]


def suppression_hint(markers: Sequence[str]) -> str:
    """What a value cell may hold: a number, or one of the layout's suppression markers."""
    shown = ", ".join(f"'{marker}'" for marker in markers if marker)
    return f"values must be numbers, or empty or one of {shown} for suppressed cells"


def build_table(
    cells: pd.DataFrame,
    *,
    source: Path,
    format: EmploymentFormat,
    options: ReadOptions,
    delimiter: str | None,
    notes: list[str],
    problems: Problems,
    non_numeric_hint: str | None = None,
    non_numeric_lead: str = "non-numeric employment",
    parse_codes: bool = True,
) -> tuple[pd.DataFrame, pd.DataFrame | None, int]:
    """Turn text cells into the tidy table every layout returns, applying the shared policies.

    Parameters
    ----------
    cells
        ``area_code``, ``industry_code`` (as labelled in the file, or canonical when
        ``parse_codes`` is False), ``year`` (Int64), ``value`` (text), ``suppressed`` (bool:
        the layout's own markers), ``line`` (file line of each cell).
    source, format, options, delimiter
        The file, its layout, the config's reading options and the text separator.
    notes, problems
        Collected for the report and the error message.
    non_numeric_hint, non_numeric_lead
        How a value that is not a number is reported: the words before its lines, and the
        advice after them (by default, the tidy layouts' suppression markers).
    parse_codes
        Parse the industry labels into SIC codes (False when they are canonical already).

    Returns
    -------
    tidy, totals, n_suppressed
        ``area_code, industry_code, year, employment``; published totals per area and year;
        how many cells were suppressed.
    """
    cells = _without_empty_rows(cells, notes)
    lines = cells["line"]
    codes = _pad_codes(cells["industry_code"].astype(str).str.strip(), options.sic_digits)
    if parse_codes:
        # Parse each distinct label once: tables repeat a few hundred labels millions of times.
        unique = codes.unique()
        codes = codes.map(dict(zip(unique, map(parse_industry_code, unique), strict=True)))
    convention, number_problem = decide_number_format(
        cells.loc[~cells["suppressed"], "value"],
        delimiter=delimiter,
        configured=options.number_format,
    )
    if number_problem:
        problems.add(number_problem)
    values = parse_numbers(cells["value"], convention)
    if convention == "european" and options.number_format == "auto":
        notes.append("numbers are in European notation (1.250,5); read them as such")
    raw = cells["value"].astype(str).str.strip()
    suppressed = cells["suppressed"] | (values.isna() & (raw == ""))
    non_numeric = values.isna() & ~suppressed
    if non_numeric.any() and not number_problem:
        problems.add(
            f"{non_numeric_lead} on {rows_label(lines[non_numeric].tolist())} "
            f"(values {format_examples(_quoted_if_listy(raw[non_numeric].unique()))}); "
            f"{non_numeric_hint or suppression_hint(TIDY_SUPPRESSION_MARKERS)}"
        )
    tidy = pd.DataFrame(
        {
            "area_code": cells["area_code"].astype(str).str.strip(),
            "industry_code": codes,
            "year": cells["year"].astype("Int64"),
            "employment": values.where(~suppressed).astype("float64"),
        }
    )
    is_total = tidy["industry_code"] == TOTAL_CODE
    totals = _published_totals(tidy, is_total, lines, problems, notes)
    keep = ~is_total
    tidy, lines, suppressed = tidy.loc[keep], lines.loc[keep], suppressed.loc[keep]
    if tidy.empty:
        problems.add("no data rows after the header")
        problems.raise_if_any()
    hierarchy = sic_hierarchy()
    unique_codes = pd.Series(tidy["industry_code"].unique())
    unknown = unique_codes[~unique_codes.map(hierarchy.is_valid)]
    lost = None if options.sic_digits else _lost_zeros_problem(unique_codes)
    if lost:
        problems.add(lost)
    elif len(unknown):
        empty = tidy["industry_code"].str.strip() == ""
        if empty.any():
            problems.add(
                f"empty industry code on {rows_label(sorted(set(lines[empty])))} (notes below "
                "the table? remove them)"
            )
        named = unknown[unknown.str.strip() != ""]
        if len(named):
            problems.add(
                f"industry codes that are not UK SIC 2007: {format_examples(sorted(named))}; "
                "use section letters or 2- to 5-digit SIC 2007 codes"
            )
    else:
        # Levels can only be compared between valid codes.
        tidy, level_notes = choose_industry_level(tidy, options.mixed_levels, source=source)
        notes.extend(level_notes)
        lines, suppressed = lines.loc[tidy.index], suppressed.loc[tidy.index]
    _check_rows(tidy, lines, problems)
    _value_checks(tidy, lines, options.measure, problems, notes, format)
    if totals is not None and not problems:
        _check_published_totals(tidy, totals, source=source, notes=notes)
    return tidy.reset_index(drop=True), totals, int(suppressed.sum())


#: Sections whose rows a table of every industry has (T, households as employers, and U,
#: extraterritorial bodies, are often left out).
_ECONOMY = frozenset("ABCDEFGHIJKLMNOPQRS")


def _check_published_totals(
    tidy: pd.DataFrame, totals: pd.DataFrame, *, source: object, notes: list[str]
) -> None:
    """Warn where an area-year's industries do not add up to its published all-industry row.

    Compared where the area-year has a known value for every industry of the table. They may
    add up to less (a download of some industries), never to more, and to the total itself
    where the rows are whole sections covering the economy, beyond rounding: 2% of the total
    plus 2.5 a row (BRES rounds each cell to 5). More than the total (or, for a whole
    economy, another total) is what chained-volume GVA and index numbers give, which do not
    add up across industries and so make no location quotients, or a mistyped total.
    """
    keys = ["area_code", "year"]
    grouped = tidy.groupby(keys, dropna=False)["employment"]
    compared = pd.DataFrame(
        {"summed": grouped.sum(min_count=1), "rows": grouped.size(), "known": grouped.count()}
    ).join(totals.set_index(keys)["total"], how="inner")
    codes = tidy["industry_code"].unique()
    # Only where every industry row is there and known: a suppressed cell lowers the sum.
    compared = compared[(compared["known"] == len(codes)) & compared["total"].notna()]
    if compared.empty:
        return
    hierarchy = sic_hierarchy()
    sections = {section for c in codes for section in hierarchy.section_of(c).split(",")}
    whole_economy = all(c.replace(",", "").isalpha() for c in codes) and sections >= _ECONOMY
    gap = compared["summed"] - compared["total"]
    rounding = 0.02 * compared["total"].abs() + 2.5 * compared["rows"]
    wrong = (gap.abs() if whole_economy else gap) > rounding
    if not wrong.any():
        return
    relative = gap.abs() / compared["total"].abs().clip(lower=1)
    worst = compared[wrong].loc[relative[wrong].sort_values(ascending=False).index[:3]]
    examples = [
        f"{area} {year}: {summed:,.0f} against {total:,.0f}"
        for (area, year), summed, total in zip(
            worst.index, worst["summed"], worst["total"], strict=True
        )
    ]
    message = (
        f"Employment file {source}: in {int(wrong.sum()):,} of {len(compared):,} area-years the "
        f"industries add up to {'other than' if whole_economy else 'more than'} the published "
        f"all-industry total beyond rounding ({'; '.join(examples)}). Counts and GVA at current "
        "prices add up; chained-volume GVA and index numbers do not, and make no location "
        "quotients: use current prices or counts. A mistyped total row: correct or remove it"
    )
    log.warning("%s", message)
    notes.append(message)


def _without_empty_rows(cells: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    """``cells`` without the lines that hold nothing at all (Excel's ``,,,,`` rows), noted.

    Compared with ``""`` as read, not stripped: a national table has millions of cells.
    """
    empty = pd.Series(True, index=cells.index)
    for column in ("area_code", "industry_code", "value"):
        empty &= cells[column].isna() | cells[column].eq("")
    if not empty.any():
        return cells
    empty_lines = set(cells.loc[empty, "line"]) - set(cells.loc[~empty, "line"])
    if not empty_lines:
        return cells
    notes.append(f"empty rows left out: {rows_label(sorted(empty_lines))}")
    return cells.loc[~cells["line"].isin(empty_lines)]


def _published_totals(
    tidy: pd.DataFrame,
    is_total: pd.Series,
    lines: pd.Series,
    problems: Problems,
    notes: list[str],
) -> pd.DataFrame | None:
    """The all-industry rows (``is_total``) as the areas' published totals, or None.

    Checked as the industries' rows are: a repeated total row would be summed into its
    area's total and lower every LQ of the area.
    """
    if not is_total.any():
        return None
    notes.append(
        f"{int(is_total.sum())} all-industry rows used as published area totals, not as an industry"
    )
    _check_rows(tidy.loc[is_total], lines.loc[is_total], problems)
    return tidy.loc[is_total, ["area_code", "year", "employment"]].rename(
        columns={"employment": "total"}
    )


def _check_rows(tidy: pd.DataFrame, lines: pd.Series, problems: Problems) -> None:
    """Empty area codes and duplicate area x industry x year rows."""
    empty_area = tidy["area_code"].isna() | (tidy["area_code"].astype(str).str.strip() == "")
    if empty_area.any():
        problems.add(f"empty area code on {rows_label(lines[empty_area].tolist())}")
    keys = ["area_code", "industry_code", "year"]
    duplicated = tidy.duplicated(keys, keep=False) & ~empty_area
    if duplicated.any():
        pairs = tidy.loc[duplicated, keys].drop_duplicates()
        examples = [
            f"{a}/{i}" + ("" if pd.isna(y) else f"/{y}")
            for a, i, y in pairs.itertuples(index=False)
        ]
        problems.add(
            f"{len(pairs)} area x industry pairs appear more than once "
            f"({format_examples(examples)}) on {rows_label(sorted(set(lines[duplicated])))}; "
            "keep one row for each area, industry and year: remove a repeated row, or, where "
            "the file stacks several measures or dates, choose one with employment.filter or "
            "employment.date"
        )


_SUPPRESSED_NOTE = "suppressed cells kept as missing (not zero)"


def note_suppressed(table: EmploymentTable, count: int) -> None:
    """Record how many cells were suppressed, with a note naming some and what they cost.

    Their LQs are missing; and where the table publishes no totals, each area's total is the
    sum of its published cells, so it leaves them out and that area's LQs of that year lean
    high: the note says so, so that a reader does not take the lean for a finding.
    """
    table.n_suppressed = count
    table.notes = [n for n in table.notes if _SUPPRESSED_NOTE not in n]
    if not count:
        return
    missing = table.data.loc[table.data["employment"].isna()]
    cells = missing["area_code"].astype(str) + "/" + missing["industry_code"].astype(str)
    if missing["year"].notna().all() and len(set(table.data["year"].dropna())) > 1:
        cells = cells + " in " + missing["year"].astype(str)
    where = f", e.g. {format_examples(cells, 3)}" if len(cells) else ""
    totals = (
        ""
        if table.year_totals is not None
        else "; the table gives no area totals, so each area's total is the sum of its "
        "published cells and leaves them out: those areas' other LQs of those years lean high"
    )
    table.notes.append(
        f"{count} {_SUPPRESSED_NOTE}{where}: their LQs are reported as missing{totals}"
    )


def _labels(codes: pd.Series, names: pd.Series) -> dict[str, str]:
    pairs = pd.DataFrame({"code": codes.to_numpy(), "name": names.to_numpy()})
    return dict(pairs.drop_duplicates("code").itertuples(index=False, name=None))


def _year_column(raw: RawTable, options: ReadOptions) -> pd.Series:
    """The year of a table without a year column: ``employment.year``, else missing."""
    return pd.Series(options.year, index=raw.frame.index, dtype="Int64")


# -- choosing a year -------------------------------------------------------------------------


def select_year(table: EmploymentTable, date: str | int | None) -> EmploymentTable:
    """Keep the one year a single-year stage uses.

    Parameters
    ----------
    table
        A table with any number of years.
    date
        ``employment.date``: the year to keep; None keeps the last year (see
        :func:`clustergeo.ingest.years.analysis_year`).

    Returns
    -------
    EmploymentTable
        The rows (and published totals) of that year, with a note when others were dropped.

    Raises
    ------
    InputDataError
        When the year chosen is not in the table, or a year is chosen for a table that has none.
    """
    from clustergeo.ingest.years import analysis_year

    label, source = table.year_label, table.source
    years = table.years
    chosen = analysis_year(years, date, source=source, label=label)
    if chosen is None or len(years) == 1:
        return table
    keep = table.data["year"] == chosen
    totals = table.year_totals
    if totals is not None:
        totals = totals.loc[totals["year"] == chosen]
    kept = table.data.loc[keep.fillna(False)].reset_index(drop=True)
    how = "employment.date" if date is not None else "the last year (set employment.date)"
    selected = replace(
        table,
        data=kept,
        year_totals=totals,
        notes=[*table.notes, f"kept {label} = {chosen} of {len(years)} values in the file ({how})"],
    )
    note_suppressed(selected, int(kept["employment"].isna().sum()))
    return selected


def combine_tables(tables: list[EmploymentTable]) -> EmploymentTable:
    """Stack tables read from several files (one file per year, say) into one.

    Raises
    ------
    InputDataError
        When the files hold the same area x industry x year twice, or differ in layout or
        measure.
    """
    if len(tables) == 1:
        return tables[0]
    first = tables[0]
    formats = {t.format for t in tables}
    measures = {t.measure for t in tables}
    if len(formats) > 1 or len(measures) > 1:
        raise InputDataError(
            "The employment files differ in layout or measure "
            f"({', '.join(sorted(str(f) for f in formats | measures))}); give files of one table."
        )
    data = pd.concat([t.data for t in tables], ignore_index=True)
    keys = ["area_code", "industry_code", "year"]
    repeated = data.duplicated(keys, keep=False)
    if repeated.any():
        years = sorted({int(y) for y in data.loc[repeated, "year"].dropna()})
        raise InputDataError(
            f"{int(repeated.sum())} area x industry x year rows appear in more than one of the "
            f"employment files ({', '.join(t.source.name for t in tables)})"
            + (f", in {format_examples(years)}" if years else "")
            + ": give each year once (a table without a year column needs one file, or "
            "employment.year)."
        )
    totals = [t.year_totals for t in tables if t.year_totals is not None]
    if totals:
        # Summed, a total given twice would double its area's total and lower every LQ.
        every_total = pd.concat(totals, ignore_index=True)
        twice = every_total.loc[every_total.duplicated(["area_code", "year"], keep=False)]
        if not twice.empty:
            pairs = sorted(
                {f"{a}/{y}" for a, y in zip(twice["area_code"], twice["year"], strict=True)}
            )
            raise InputDataError(
                f"{len(pairs)} areas' all-industry totals appear in more than one of the "
                f"employment files ({', '.join(t.source.name for t in tables)}): "
                f"{format_examples(pairs)}. Give each area's total for a year in one file."
            )
    notes = [f"read {len(tables)} files: {format_examples([t.source.name for t in tables], 4)}"]
    for table in tables:
        notes += [f"{table.source.name}: {note}" for note in table.notes]
    return EmploymentTable(
        data=data,
        source=first.source.parent / f"{{{','.join(t.source.name for t in tables)}}}",
        format=first.format,
        year_totals=pd.concat(totals, ignore_index=True) if totals else None,
        industry_names={k: v for t in tables for k, v in t.industry_names.items()},
        area_names={k: v for t in tables for k, v in t.area_names.items()},
        notes=notes,
        n_suppressed=sum(t.n_suppressed for t in tables),
        measure=first.measure,
        year_label=first.year_label,
    )


# -- tidy ------------------------------------------------------------------------------------


def read_tidy_employment(
    path: Path, *, options: ReadOptions | None = None, all_years: bool = False
) -> EmploymentTable:
    """Read a tidy table with columns ``area_code, industry_code, employment`` (and ``year``).

    Parameters
    ----------
    path
        The CSV file (optionally gzip-compressed), Parquet file or workbook.
    options
        Reading options from the config (measure, number format, industry levels...).
    all_years
        Keep every year of a table with a ``year`` column; otherwise it must hold one.

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
    options = options or ReadOptions()
    raw = read_raw_table(path)
    frame = raw.frame
    frame.columns = [c.strip() for c in frame.columns]
    missing = [c for c in TIDY_COLUMNS if c not in frame.columns]
    if missing:
        raise InputDataError(
            f"Employment file {path} lacks the column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)} of the tidy layout; it has {', '.join(frame.columns)}. "
            "Rename the columns to area_code, industry_code, employment, or set "
            "employment.format: long and employment.columns to map yours."
        )
    problems = Problems(path, "Employment file")
    lines = raw.lines()
    years = (
        parse_years(frame["year"], column="year", lines=lines, problems=problems)
        if "year" in frame.columns
        else _year_column(raw, options)
    )
    value = frame["employment"].str.strip()
    cells = pd.DataFrame(
        {
            "area_code": frame["area_code"],
            "industry_code": frame["industry_code"],
            "year": years,
            "value": value,
            "suppressed": value.isin(TIDY_SUPPRESSION_MARKERS),
            "line": lines,
        }
    )
    notes = list(raw.notes)
    tidy, totals, n_suppressed = build_table(
        cells,
        source=path,
        format="tidy",
        options=options,
        delimiter=raw.delimiter,
        notes=notes,
        problems=problems,
    )
    problems.raise_if_any()
    table = EmploymentTable(
        data=tidy[DATA_COLUMNS],
        source=path,
        format="tidy",
        year_totals=totals,
        notes=notes,
        measure=options.measure,
    )
    note_suppressed(table, n_suppressed)
    return table if all_years else select_year(table, None)


# -- Nomis BRES long -------------------------------------------------------------------------


def read_nomis_bres(
    path: Path,
    *,
    date: str | None = None,
    employment_status: str | None = None,
    options: ReadOptions | None = None,
    all_years: bool = False,
) -> EmploymentTable:
    """Read a Nomis long CSV export (BRES and other Nomis datasets with an INDUSTRY dimension).

    Parameters
    ----------
    path
        The CSV as exported by Nomis (optionally gzip-compressed).
    date
        Which ``DATE`` to keep when the file has several years (default: the last).
    employment_status
        Which ``EMPLOYMENT_STATUS_NAME`` to keep when the file has several
        (e.g. ``"Employment"``, ``"Employees"``).
    options
        Reading options from the config.
    all_years
        Keep every ``DATE`` (each row's ``year``) instead of one.

    Returns
    -------
    EmploymentTable

    Raises
    ------
    InputDataError
        When required columns are missing, several statuses are present and none was chosen, the
        date chosen is not in the file, or counts are negative, duplicated or not SIC 2007
        industries.
    """
    path = Path(path)
    options = options or ReadOptions()
    raw = read_raw_table(path)
    frame = raw.frame
    frame.columns = [c.strip().upper() for c in frame.columns]
    notes = list(raw.notes)
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
    lines = raw.lines()
    frame = _filter_dimension(frame, "MEASURE_NAME", "Count", path, notes)
    frame = _filter_dimension(frame, "MEASURES_NAME", "Value", path, notes)
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
    if "DATE" in frame.columns:
        years = parse_years(frame["DATE"], column="DATE", lines=lines, problems=problems)
        problems.raise_if_any()
    else:
        years = pd.Series(options.year, index=frame.index, dtype="Int64")

    industry_code = frame["INDUSTRY_CODE"].map(normalise_sic_code)
    hierarchy = sic_hierarchy()
    if "INDUSTRY_NAME" in frame.columns:
        # Some Nomis industry types carry the SIC code only in the name ("29 : Manufacture…").
        from_name = frame["INDUSTRY_NAME"].map(normalise_sic_code)
        use_name = ~industry_code.map(hierarchy.is_valid) & from_name.map(hierarchy.is_valid)
        industry_code = industry_code.where(~use_name, from_name)
    cells, status = _nomis_cells(frame, industry_code, years, lines, value_column)
    hint = (
        "OBS_STATUS does not mark those cells as suppressed; "
        if "OBS_STATUS" in frame.columns
        else ""
    ) + "re-download the table from Nomis (suppressed cells are left empty)"
    measure = options.measure or _nomis_measure(frame)
    tidy, totals, n_suppressed = build_table(
        cells,
        source=path,
        format="nomis_bres",
        options=replace(options, measure=measure),
        delimiter=raw.delimiter,
        notes=notes,
        problems=problems,
        non_numeric_hint=hint,
        non_numeric_lead=f"{value_column} is not a number",
        parse_codes=False,
    )
    flagged = ~status.isin(["", "A"]) & ~cells["suppressed"] & ~cells["value"].eq("")
    if flagged.any():
        counts = status[flagged].value_counts().sort_index()
        notes.append(
            "cells with a non-normal OBS_STATUS kept with their value: "
            + ", ".join(f"{code}: {n}" for code, n in counts.items())
        )
    problems.raise_if_any()
    table = EmploymentTable(
        data=tidy[DATA_COLUMNS],
        source=path,
        format="nomis_bres",
        year_totals=totals,
        notes=notes,
        measure=measure,
        year_label="DATE",
    )
    if "INDUSTRY_NAME" in frame.columns:
        table.industry_names = _labels(industry_code, frame["INDUSTRY_NAME"])
    if "GEOGRAPHY_NAME" in frame.columns:
        table.area_names = _labels(frame["GEOGRAPHY_CODE"].str.strip(), frame["GEOGRAPHY_NAME"])
    note_suppressed(table, n_suppressed)
    return table if all_years else select_year(table, date)


_NOMIS_STATUS_MEASURES: dict[str, Measure] = {
    "employment": "employment",
    "employees": "employees",
    "full-time employees": "full_time_employees",
    "part-time employees": "part_time_employees",
}


def _nomis_cells(
    frame: pd.DataFrame,
    industry_code: pd.Series,
    years: pd.Series,
    lines: pd.Series,
    value_column: str,
) -> tuple[pd.DataFrame, pd.Series]:
    """The cells of a Nomis long table, suppressed by OBS_STATUS or OBS_CONF; and the status."""
    raw_value = frame[value_column].str.strip()
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
    cells = pd.DataFrame(
        {
            "area_code": frame["GEOGRAPHY_CODE"],
            "industry_code": industry_code,
            "year": years,
            "value": raw_value,
            "suppressed": status_suppressed | confidential,
            "line": lines,
        }
    )
    return cells, status


def _nomis_measure(frame: pd.DataFrame) -> Measure | None:
    """The measure a Nomis file states in its one EMPLOYMENT_STATUS_NAME."""
    if "EMPLOYMENT_STATUS_NAME" not in frame.columns:
        return None
    names = frame["EMPLOYMENT_STATUS_NAME"].str.strip().str.lower().unique()
    return _NOMIS_STATUS_MEASURES.get(names[0]) if len(names) == 1 else None


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
    """Keep one value of a dimension the user must choose (the employment status)."""
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

_CENSUS_SUPPRESSION_MARKERS = ("", "*", "x", "X", "..", ":", "-")


def read_nomis_census_wide(
    path: Path, *, options: ReadOptions | None = None, all_years: bool = False
) -> EmploymentTable:
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
        negative counts, duplicate areas, totals that disagree with the industry columns, and
        a file cut short (a data row with fewer fields than the header).
    """
    path = check_is_file(Path(path), "Employment file")
    options = options or ReadOptions()
    notes: list[str] = []
    text = read_text(path, notes)
    if not text.strip():
        raise _empty_file(path)
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
    raw = parse_delimited(text, path, skip=header_index, stop_at_short_rows=bulk)
    frame = raw.frame
    frame.columns = [str(c).strip() for c in frame.columns]
    line_numbers = raw.lines()
    keep, area_codes, area_names, value_columns = _census_areas(frame, bulk=bulk, notes=notes)
    problems = Problems(path, "Employment file")
    if not bulk:
        _check_short_census_rows(frame, keep, line_numbers, problems)
    frame = frame.loc[keep]
    area_codes, area_names = area_codes.loc[keep], area_names.loc[keep]
    line_numbers = line_numbers.loc[keep]

    industries, total_column = _census_industry_columns(value_columns, problems)
    columns = list(industries)
    values = frame[columns].melt(var_name="column", value_name="value", ignore_index=False)
    cells = pd.DataFrame(
        {
            "area_code": area_codes.reindex(values.index).to_numpy(),
            "industry_code": values["column"].map(industries).to_numpy(),
            "year": pd.array([options.year] * len(values), dtype="Int64"),
            "value": values["value"].str.strip().to_numpy(),
            "line": line_numbers.reindex(values.index).to_numpy(),
        }
    )
    cells["suppressed"] = cells["value"].isin(_CENSUS_SUPPRESSION_MARKERS)
    tidy, _, n_suppressed = build_table(
        cells,
        source=path,
        format="nomis_census_wide",
        options=options,
        delimiter=raw.delimiter,
        notes=notes,
        problems=problems,
        non_numeric_hint=suppression_hint(_CENSUS_SUPPRESSION_MARKERS),
        non_numeric_lead="non-numeric counts",
        parse_codes=False,
    )
    totals: pd.DataFrame | None = None
    if total_column is not None:
        convention, _ = decide_number_format(
            frame[total_column], delimiter=raw.delimiter, configured=options.number_format
        )
        total_values = parse_numbers(frame[total_column], convention)
        totals = pd.DataFrame(
            {
                "area_code": area_codes.to_numpy(),
                "year": pd.array([options.year] * len(frame), dtype="Int64"),
                "total": total_values.to_numpy(),
            }
        )
        _check_census_totals(
            tidy,
            totals=totals,
            frame=frame,
            total_column=total_column,
            lines=line_numbers,
            problems=problems,
        )
    problems.raise_if_any()
    table = EmploymentTable(
        data=tidy[DATA_COLUMNS],
        source=path,
        format="nomis_census_wide",
        year_totals=totals,
        industry_names={code: column for column, code in industries.items()},
        area_names=dict(zip(area_codes, area_names, strict=True)),
        notes=notes,
        measure=options.measure,
    )
    note_suppressed(table, n_suppressed)
    return table if all_years else select_year(table, None)


def _check_short_census_rows(
    frame: pd.DataFrame, keep: pd.Series, lines: pd.Series, problems: Problems
) -> None:
    """An area row with fewer fields than the header is a cut file, not suppressed cells.

    The parser gives short rows back padded (footnote lines after the data are short too);
    among them, a row that names an area was cut.
    """
    padded = frame.attrs.get("padded_rows", set())
    cut = keep & frame.index.isin(sorted(padded))
    if cut.any():
        problems.add(
            f"{rows_label(lines[cut].tolist())} end before the last column: the file was cut "
            "short (an interrupted download) or damaged. Download it again (a suppressed cell "
            "is still written, as ',,')"
        )


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


def _check_census_totals(
    tidy: pd.DataFrame,
    *,
    totals: pd.DataFrame,
    frame: pd.DataFrame,
    total_column: str,
    lines: pd.Series,
    problems: Problems,
) -> None:
    """The published total must equal the sum of the industries where no cell is suppressed."""
    summed = tidy.groupby("area_code", sort=False)["employment"].sum(min_count=1)
    complete = tidy["employment"].notna().groupby(tidy["area_code"], sort=False).all()
    published = totals.set_index("area_code")["total"]
    compare = pd.DataFrame({"summed": summed, "complete": complete}).reindex(published.index)
    mismatch = (
        compare["complete"].fillna(False).astype(bool)
        & ~np.isclose(compare["summed"], published, rtol=0, atol=0.5)
    ).to_numpy()
    if mismatch.any():
        rows = lines.to_numpy()[mismatch].tolist()
        problems.add(
            f"the '{total_column}' column differs from the sum of the industry columns on "
            f"{rows_label(rows)}; check the download is complete and unedited"
        )


# -- any layout ------------------------------------------------------------------------------


def read_employment(
    path: Path,
    format: EmploymentFormat | Literal["auto"] = "auto",
    *,
    date: str | None = None,
    employment_status: str | None = None,
    options: ReadOptions | None = None,
    all_years: bool = False,
) -> EmploymentTable:
    """Read an employment table in any of the layouts recognised from the header.

    Parameters
    ----------
    path
        The file.
    format
        One of ``"nomis_bres"``, ``"nomis_census_wide"``, ``"tidy"``, or ``"auto"`` to detect.
        (``long`` and ``wide_years`` tables are read from their config by
        :func:`clustergeo.ingest.mapped.read_configured_employment`.)
    date
        The year to keep (``employment.date``); needed when the table holds several.
    employment_status
        Choice for Nomis BRES files holding several statuses.
    options
        Reading options from the config.
    all_years
        Keep every year (``date`` is then ignored).

    Returns
    -------
    EmploymentTable
    """
    path = Path(path)
    options = options or ReadOptions()
    layout = detect_employment_format(path) if format == "auto" else format
    if layout != "nomis_bres" and employment_status is not None:
        raise InputDataError(
            f"employment.employment_status applies to Nomis BRES files, but {path} is a "
            f"{layout} table; remove it from the config."
        )
    if layout == "nomis_bres":
        table = read_nomis_bres(
            path, employment_status=employment_status, options=options, all_years=True
        )
    elif layout == "nomis_census_wide":
        table = read_nomis_census_wide(path, options=options, all_years=True)
    elif layout == "tidy":
        table = read_tidy_employment(path, options=options, all_years=True)
    else:
        raise InputDataError(
            f"employment.format '{layout}' needs employment.columns; read it with "
            "clustergeo.ingest.mapped.read_mapped_table."
        )
    if not all_years:
        table = select_year(table, date)
    log.info(
        "Read %s: %s layout, %d areas x %d industries",
        path.name,
        layout,
        table.data["area_code"].nunique(),
        table.data["industry_code"].nunique(),
    )
    return table
