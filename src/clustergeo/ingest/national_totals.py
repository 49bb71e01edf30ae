"""National totals by industry (and year): the reference of national LQs and of shift-share.

A CSV with ``industry_code`` and ``employment`` (or ``value``, for GVA), and optionally
``year``. Without a year column the totals are of one year: the year the run analyses. With
one, every year the run needs must have a row for every industry.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from clustergeo._validate import Problems, format_examples
from clustergeo.io import read_text

__all__ = ["national_totals_years", "read_national_totals", "read_national_totals_by_year"]

log = logging.getLogger(__name__)

_VALUE_COLUMNS = ("employment", "value")


def _read(path: Path, problems: Problems) -> tuple[pd.DataFrame, bool]:
    """The file's rows as ``industry_code``, ``year`` (or missing) and ``value``."""
    notes: list[str] = []
    text = read_text(path, notes)
    table = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    table.columns = [str(c).strip() for c in table.columns]
    value_column = next((c for c in _VALUE_COLUMNS if c in table.columns), None)
    missing_columns = [] if "industry_code" in table.columns else ["industry_code"]
    if value_column is None:
        missing_columns.append("employment")
    if missing_columns:
        problems.add(
            f"no column {', '.join(missing_columns)}; its columns are "
            f"{', '.join(table.columns)}. Name them industry_code and employment (or value), "
            "and year for totals of several years"
        )
        problems.raise_if_any()
    assert value_column is not None
    codes = table["industry_code"].str.strip()
    raw = table[value_column]
    values = pd.to_numeric(raw.str.replace(",", "").str.strip(), errors="coerce")
    bad = values.isna() | np.isinf(values)
    if bad.any():
        shown = [f"{c} ({v!r})" for c, v in zip(codes[bad], raw[bad], strict=True)]
        problems.add(
            f"{value_column} is not a number for {format_examples(shown)}: give the totals"
        )
    if (values < 0).any():
        problems.add(
            f"negative {value_column} for {format_examples(codes[values < 0])}: totals cannot be "
            "negative"
        )
    has_year = "year" in table.columns
    years = pd.Series(pd.NA, index=table.index, dtype="Int64")
    if has_year:
        parsed = pd.to_numeric(table["year"].str.strip().str[:4], errors="coerce")
        if parsed.isna().any():
            problems.add(
                f"year is not a year for {format_examples(table.loc[parsed.isna(), 'year'])}"
            )
        years = parsed.astype("Int64")
    for note in notes:
        log.info("Note: %s", note)
    frame = pd.DataFrame({"industry_code": codes, "year": years, "value": values})
    return frame, has_year


def national_totals_years(path: Path) -> list[int]:
    """The years a national totals file gives totals for (empty: one year, no year column)."""
    problems = Problems(path, "National totals file")
    frame, has_year = _read(path, problems)
    problems.raise_if_any()
    return sorted(int(y) for y in frame["year"].dropna().unique()) if has_year else []


def read_national_totals(path: Path, industries: pd.Index, year: int | None = None) -> pd.Series:
    """National totals by industry of one year (the year the run analyses).

    Read like the employment tables (gzip, UTF-8 or Windows-1252). Every industry of the
    data must have a non-negative number; one error lists every problem. A file with a
    ``year`` column gives the totals of ``year``.
    """
    problems = Problems(path, "National totals file")
    frame, has_year = _read(path, problems)
    problems.raise_if_any()
    if has_year:
        available = sorted(int(y) for y in frame["year"].dropna().unique())
        if year is None or year not in available:
            problems.add(
                f"it has totals for {format_examples(available)} but the run analyses "
                f"{year if year is not None else 'a table without years'}: give totals of "
                "that year"
            )
            problems.raise_if_any()
        frame = frame.loc[frame["year"] == year]
    missing = sorted(set(industries) - set(frame["industry_code"]))
    if missing:
        problems.add(
            f"no row for industries {', '.join(missing)}; add them (columns industry_code, "
            "employment)"
        )
    repeated = frame["industry_code"].duplicated()
    if repeated.any():
        problems.add(
            f"industries {format_examples(frame.loc[repeated, 'industry_code'])} appear twice"
            + (f" for {year}" if has_year else "")
            + ": give each once"
        )
    problems.raise_if_any()
    return pd.Series(frame["value"].to_numpy(dtype=float), index=frame["industry_code"].to_numpy())


def read_national_totals_by_year(
    path: Path, industries: pd.Index, years: Sequence[int]
) -> pd.DataFrame:
    """National totals of every industry in each of ``years``: a years x industries frame.

    Raises
    ------
    InputDataError
        When the file has no ``year`` column, lacks a year or an industry in a year, or has
        any problem :func:`read_national_totals` names.
    """
    problems = Problems(path, "National totals file")
    frame, has_year = _read(path, problems)
    problems.raise_if_any()
    if not has_year:
        problems.add(
            "it has no year column: totals compared over time need one row per industry and "
            "year (columns industry_code, year, employment)"
        )
        problems.raise_if_any()
    wanted = frame.loc[frame["year"].isin(list(years))]
    repeated = wanted.duplicated(["industry_code", "year"])
    if repeated.any():
        pairs = (
            wanted.loc[repeated, "industry_code"] + "/" + wanted.loc[repeated, "year"].astype(str)
        )
        problems.add(f"industry x year rows appear twice: {format_examples(pairs)}")
        problems.raise_if_any()
    wide = wanted.pivot(index="year", columns="industry_code", values="value")
    wide = wide.reindex(index=list(years), columns=list(industries))
    gaps = [
        f"{code}/{year}" for year, row in wide.iterrows() for code, v in row.items() if pd.isna(v)
    ]
    if gaps:
        problems.add(
            f"no total for {len(gaps)} industry x year pairs ({format_examples(gaps)}): give "
            "every industry of the table in every year compared"
        )
    problems.raise_if_any()
    return wide.astype("float64")
