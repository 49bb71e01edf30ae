"""Read any long or wide-by-year table by a column mapping in the config.

Real downloads rarely come in one of the three layouts clustergeo recognises by their header.
A Nesta pull of Nomis BRES has ``year, geo_type, geo_nm, geo_cd, SIC4, value``; the ONS GVA
tables have one column per year, or a ``dates.date`` column and four measures stacked in one
Parquet file. ``employment.columns`` says which column holds what:

.. code-block:: yaml

    employment:
      path: bres_nuts2_sic4_2015_2018/nomis_BRES_*_TYPE450.csv.gz   # several files, one per year
      format: long
      columns: {area: geo_cd, area_name: geo_nm, industry: SIC4, value: value, year: year}
      measure: employment

``format: wide_years`` reads one column per year (headers such as ``1998`` … ``2022``) with
``columns`` naming the area and industry columns only. ``employment.filter`` keeps the rows of
a stacked table that hold one measure (``{variable.name: GVA Current Prices £m}``).

Codes are always read as text, so SIC ``0161`` keeps its zero; industry labels go through
:func:`clustergeo.industries.parse_industry_code`, which also reads ONS groupings
(``CA-CB (10-15)``). Every check and policy of :func:`clustergeo.ingest.employment.build_table`
applies.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import pandas as pd

from clustergeo._errors import InputDataError
from clustergeo._validate import Problems, format_examples
from clustergeo.config import ColumnsConfig, EmploymentConfig
from clustergeo.industries import parse_industry_code
from clustergeo.ingest.employment import (
    DATA_COLUMNS,
    TIDY_SUPPRESSION_MARKERS,
    EmploymentTable,
    ReadOptions,
    build_table,
    combine_tables,
    note_suppressed,
    parse_years,
    read_employment,
)
from clustergeo.ingest.tables import RawTable, read_raw_table
from clustergeo.ingest.years import check_years

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = [
    "read_configured_employment",
    "read_mapped_table",
    "read_options",
    "read_run_employment",
]

log = logging.getLogger(__name__)

#: A year column's header: the year, perhaps with a note such as ONS's ``[p]`` (provisional)
#: or ``[r]`` (revised), also written ``(p)`` or ``p``.
_YEAR_HEADER = re.compile(r"^\s*(\d{4})\s*(?:\[[^\]]*\]|\([^)]*\)|[pPrR])?\s*$")
#: A header pandas made unique (``2022.1`` for a second ``2022``).
_REPEATED_HEADER = re.compile(r"^(.*)\.(\d+)$")


def read_options(config: EmploymentConfig) -> ReadOptions:
    """The reading options of an ``employment`` config section."""
    return ReadOptions(
        measure=config.measure,
        number_format=config.number_format,
        mixed_levels=config.mixed_levels,
        sic_digits=config.sic_digits,
        year=config.year,
    )


def _need_columns(raw: RawTable, wanted: dict[str, str | None]) -> None:
    missing = {
        role: column
        for role, column in wanted.items()
        if column and column not in raw.frame.columns
    }
    if missing:
        listed = ", ".join(f"{role} → '{column}'" for role, column in missing.items())
        raise InputDataError(
            f"Employment file {raw.source} has no column{'s' if len(missing) > 1 else ''} "
            f"{listed}; its columns are {format_examples(raw.frame.columns, 16)}. Fix "
            "employment.columns in the config (names are case-sensitive)."
        )


def _apply_filters(raw: RawTable, filters: dict[str, list[str]], notes: list[str]) -> pd.DataFrame:
    frame = raw.frame
    for column, wanted in filters.items():
        if column not in frame.columns:
            raise InputDataError(
                f"employment.filter names the column '{column}', which employment file "
                f"{raw.source} does not have; its columns are "
                f"{format_examples(frame.columns, 16)}."
            )
        values = frame[column].str.strip()
        keep = values.isin(wanted)
        if not keep.any():
            raise InputDataError(
                f"employment.filter keeps {column} = {format_examples(wanted)}, but employment "
                f"file {raw.source} has only {format_examples(sorted(values.unique()))}. Fix "
                "the value in the config."
            )
        if not keep.all():
            notes.append(
                f"kept {column} = {format_examples(wanted)}; dropped {int((~keep).sum())} rows "
                "of other values"
            )
        frame = frame.loc[keep]
    return frame


# Words that name each measure in a stacked table's measure column (ONS: "GVA Current Prices
# £m", "GVA Constant Prices £m", "CVM Index", "Implied deflator").
_MEASURE_WORDS = {
    "gva_current_prices": ("current",),
    "gva_chained_volume": ("chained", "constant"),
    "employment": ("employment",),
    "employees": ("employees",),
    "full_time_employees": ("full",),
    "part_time_employees": ("part",),
}
# Values that are not amounts: they do not add up over industries, so no LQ can use them.
_NOT_AN_AMOUNT = re.compile(r"\b(index|deflator|rate|per ?cent)\b|%", re.IGNORECASE)


def _example_value(values: list[str], measure: str | None) -> str:
    """The value the hint suggests keeping: one naming the configured measure, else an amount."""
    amounts = [value for value in values if not _NOT_AN_AMOUNT.search(str(value))]
    words = _MEASURE_WORDS.get(measure or "", ())
    named = [value for value in amounts if any(word in str(value).lower() for word in words)]
    return (named or amounts or values)[0]


def _stacked_hint(
    frame: pd.DataFrame, keys: list[str], mapped: set[str], measure: str | None
) -> str | None:
    """When rows repeat, name the unmapped columns that tell them apart (e.g. the measure).

    The example kept is the value that names ``employment.measure`` when one does, else the
    first that is an amount (not an index or a deflator, which no LQ can use).
    """
    repeated = frame.duplicated(keys, keep=False)
    if not repeated.any():
        return None
    varying = [
        column
        for column in frame.columns
        if column not in mapped and frame.loc[repeated].groupby(keys)[column].nunique().max() > 1
    ]
    if not varying:
        return None
    column = varying[0]
    values = sorted(frame.loc[repeated, column].unique())
    return (
        f"rows repeat for the same area, industry and year, told apart by the column "
        f"'{column}' ({format_examples(values, 4)}): keep one with employment.filter, e.g. "
        f"filter: {{{column}: {_example_value(values, measure)!r}}}"
    )


def read_mapped_table(
    path: Path,
    *,
    layout: Literal["long", "wide_years"],
    columns: ColumnsConfig,
    filters: dict[str, list[str]] | None = None,
    options: ReadOptions | None = None,
    sheet: str | None = None,
    header_row: int = 1,
) -> EmploymentTable:
    """Read one long or wide-by-year table, every year kept.

    Parameters
    ----------
    path
        A CSV (plain or gzip), Parquet or xlsx file.
    layout
        ``"long"``: one row per area x industry (x year); ``"wide_years"``: one column per
        year.
    columns
        Which columns hold the area, industry, value and year (and their names).
    filters
        Column → values to keep (rows of other measures stacked in the same table).
    options
        Reading options from the config.
    sheet, header_row
        For workbooks (and text files with title lines): where the table is.

    Returns
    -------
    EmploymentTable
        Every year of the table.

    Raises
    ------
    InputDataError
        For columns that are missing, filters that keep nothing, repeated rows, and every
        problem :func:`~clustergeo.ingest.employment.build_table` finds.
    """
    path = Path(path)
    options = options or ReadOptions()
    filters = filters or {}
    raw = read_raw_table(path, sheet=sheet, header_row=header_row)
    raw.frame.columns = [str(c).strip() for c in raw.frame.columns]
    roles = {
        "area": columns.area,
        "industry": columns.industry,
        "value": columns.value,
        "year": columns.year,
        "area_name": columns.area_name,
        "industry_name": columns.industry_name,
    }
    _need_columns(raw, roles)
    notes = list(raw.notes)
    frame = _apply_filters(raw, filters, notes)
    lines = raw.lines().loc[frame.index]
    problems = Problems(path, "Employment file")
    if layout == "long":
        assert columns.value is not None  # checked by the config
        years = (
            parse_years(frame[columns.year], column=columns.year, lines=lines, problems=problems)
            if columns.year
            else pd.Series(options.year, index=frame.index, dtype="Int64")
        )
        problems.raise_if_any()
        keyed = pd.DataFrame(
            {"area": frame[columns.area], "industry": frame[columns.industry], "year": years}
        )
        hint = _stacked_hint(
            pd.concat([keyed, frame], axis=1),
            ["area", "industry", "year"],
            {c for c in roles.values() if c},
            options.measure,
        )
        if hint:
            problems.add(hint)
            problems.raise_if_any()
        value = frame[columns.value].str.strip()
        cells = pd.DataFrame(
            {
                "area_code": frame[columns.area],
                "industry_code": frame[columns.industry],
                "year": years,
                "value": value,
                "line": lines,
            }
        )
    else:
        year_columns = {c: int(m[1]) for c in frame.columns if (m := _YEAR_HEADER.match(c))}
        if not year_columns:
            raise InputDataError(
                f"Employment file {path} has no year columns (headers such as 2015 or 2022): "
                f"its columns are {format_examples(frame.columns, 16)}. Use format: long for a "
                "table with a year column."
            )
        _refuse_repeated_years(path, list(frame.columns), year_columns)
        ignored = [c for c in frame.columns if c not in year_columns and c not in roles.values()]
        _refuse_misspelt_years(path, list(frame.columns), ignored, year_columns)
        if ignored:
            notes.append(f"columns not used: {format_examples(ignored, 6)}")
        melted = frame[list(year_columns)].melt(
            var_name="header", value_name="value", ignore_index=False
        )
        cells = pd.DataFrame(
            {
                "area_code": frame[columns.area].reindex(melted.index).to_numpy(),
                "industry_code": frame[columns.industry].reindex(melted.index).to_numpy(),
                "year": pd.array(melted["header"].map(year_columns).to_numpy(), dtype="Int64"),
                "value": melted["value"].str.strip().to_numpy(),
                "line": lines.reindex(melted.index).to_numpy(),
            }
        )
    cells["suppressed"] = cells["value"].isin(TIDY_SUPPRESSION_MARKERS)
    tidy, totals, n_suppressed = build_table(
        cells,
        source=path,
        format=layout,
        options=options,
        delimiter=raw.delimiter,
        notes=notes,
        problems=problems,
        non_numeric_lead=(
            f"the value ('{columns.value}') is not a number"
            if columns.value
            else "a year column holds a value that is not a number"
        ),
    )
    problems.raise_if_any()
    table = EmploymentTable(
        data=tidy[DATA_COLUMNS],
        source=path,
        format=layout,
        year_totals=totals,
        notes=notes,
        measure=options.measure,
        year_label=f"'{columns.year}'" if columns.year else "year",
    )
    if columns.area_name:
        names = frame[[columns.area, columns.area_name]].drop_duplicates(columns.area)
        table.area_names = dict(
            zip(names[columns.area].str.strip(), names[columns.area_name], strict=True)
        )
    if columns.industry_name:
        names = frame[[columns.industry, columns.industry_name]].drop_duplicates(columns.industry)
        codes = names[columns.industry].str.strip().map(parse_industry_code)
        table.industry_names = dict(zip(codes, names[columns.industry_name], strict=True))
    note_suppressed(table, n_suppressed)
    return table


def _refuse_repeated_years(path: Path, headers: list[str], year_columns: dict[str, int]) -> None:
    """Stop where two columns head the same year: one of them would be dropped unsaid."""
    columns_of: dict[int, list[str]] = {}
    for header in headers:
        year = year_columns.get(header)
        repeated = _REPEATED_HEADER.match(header)
        if year is None and repeated and repeated[1] in year_columns:
            year = year_columns[repeated[1]]
        if year is not None:
            columns_of.setdefault(year, []).append(header)
    twice = {year: names for year, names in columns_of.items() if len(names) > 1}
    if twice:
        where = [
            f"{year} heads columns {', '.join(str(headers.index(n) + 1) for n in names)}"
            for year, names in sorted(twice.items())
        ]
        raise InputDataError(
            f"Employment file {path}: {'; '.join(where)}. Each year must head one column: "
            "correct the header of the column that holds another year, or remove the copy."
        )


#: Letters typed for the digits they look like: O for 0, l or I for 1.
_DIGIT_LOOKALIKES = str.maketrans({"O": "0", "o": "0", "l": "1", "I": "1"})


def _refuse_misspelt_years(
    path: Path, headers: list[str], ignored: list[str], year_columns: dict[str, int]
) -> None:
    """Stop where a column left out is a year with a letter for a digit ('201O').

    Left out, its year would be missing from every series, with a mere note.
    """
    misspelt = []
    for header in ignored:
        read = header.translate(_DIGIT_LOOKALIKES)
        match = _YEAR_HEADER.match(read) if read != header else None
        if match and int(match[1]) not in year_columns.values():
            misspelt.append(
                f"'{header}' (column {headers.index(header) + 1}) reads as {match[1]} with a "
                "letter for a digit"
            )
    if misspelt:
        raise InputDataError(
            f"Employment file {path}: {'; '.join(misspelt)}. Correct the header, or remove the "
            "column: a year column left out would leave that year out of every series."
        )


def read_configured_employment(config: EmploymentConfig, paths: list[Path]) -> EmploymentTable:
    """Read the employment files of a config, every year kept.

    Parameters
    ----------
    config
        The ``employment`` section.
    paths
        Its files, resolved (:meth:`clustergeo.config.RunConfig.employment_paths`).

    Returns
    -------
    EmploymentTable
        All years of all files; :func:`~clustergeo.ingest.employment.select_year` with
        ``config.date`` picks the one a single-year stage analyses.
    """
    options = read_options(config)
    tables = []
    for path in paths:
        if config.format in ("long", "wide_years"):
            assert config.columns is not None  # checked by the config
            filters = {k: v if isinstance(v, list) else [v] for k, v in config.filter.items()}
            table = read_mapped_table(
                path,
                layout=config.format,
                columns=config.columns,
                filters=filters,
                options=options,
                sheet=config.sheet,
                header_row=config.header_row,
            )
        else:
            table = read_employment(
                path,
                config.format,
                employment_status=config.employment_status,
                options=options,
                all_years=True,
            )
        tables.append(table)
    combined = combine_tables(tables)
    log.info(
        "Read %d employment file%s: %d areas x %d industries x %d years (%s)",
        len(paths),
        "" if len(paths) == 1 else "s",
        combined.data["area_code"].nunique(),
        combined.data["industry_code"].nunique(),
        max(len(combined.years), 1),
        combined.measure_label,
    )
    return combined


def read_run_employment(
    config: EmploymentConfig,
    paths: list[Path],
    *,
    vintage_lookup: Path | None,
    areas: gpd.GeoDataFrame | None,
) -> tuple[EmploymentTable, list[str]]:
    """The employment of a run: every year read, on the boundaries' vintage, years checked.

    Parameters
    ----------
    config
        The ``employment`` section.
    paths
        Its files, resolved.
    vintage_lookup
        The resolved ``employment.vintage.lookup`` (None without a ``vintage`` section).
    areas
        The boundary file's areas (``area_code``, geometry) when the table is converted to
        their vintage, else None (areas split between vintages then cannot be shared).

    Returns
    -------
    table, notes
        Every year of the table, and every note for the report.

    Raises
    ------
    InputDataError
        For every problem of the files, and when the years are not comparable (an area or an
        industry code missing from some years; :func:`clustergeo.ingest.years.check_years`).
    """
    from clustergeo.ingest.vintages import convert_to_boundary_vintage

    table = read_configured_employment(config, paths)
    notes = list(table.notes)
    if config.vintage is not None and vintage_lookup is not None:
        table, vintage_notes = convert_to_boundary_vintage(
            table, config.vintage, vintage_lookup, areas
        )
        notes.extend(vintage_notes)
    notes.extend(check_years(table.data, source=table.source))
    return table, notes
