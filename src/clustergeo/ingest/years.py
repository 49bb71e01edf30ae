"""The years of an employment table: the one the single-year stages analyse; are they comparable.

A table read by :mod:`clustergeo.ingest.employment` keeps every year it holds. Two rules follow.

* **The analysed year.** Hot spots, clusters, governance, the grid and the maps describe one year:
  ``employment.date`` when the config gives it, else the table's last year (the most recent
  picture). Location quotients are computed for every year; the growth stage compares years.
* **Comparable years.** Growth, change in LQ and shift-share compare the same areas and the same
  industries across years. A table that lacks an area in some years (a district code that
  changed with a boundary change, an interrupted download) or whose industry grouping changes
  between years (two ONS releases stacked: ``J`` up to 2022, ``58-60`` and ``61-63`` from 2023)
  would compare different things, and the reference economy itself would change from year to
  year. Such a table stops the run with the areas or codes and the years named; missing
  *cells* (suppressed values, area x industry pairs absent in one year) are not this: they stay
  missing or zero by the readers' rules.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

import pandas as pd

from clustergeo._errors import InputDataError
from clustergeo._validate import format_examples

__all__ = ["analysis_year", "check_years", "year_ranges"]

log = logging.getLogger(__name__)


def year_ranges(years: Iterable[int]) -> str:
    """Years as compact ranges: ``1998–2002, 2005, 2007–2008``."""
    ordered = sorted({int(y) for y in years})
    parts: list[str] = []
    start = previous = None
    for year in ordered:
        if start is None:
            start = previous = year
        elif previous is not None and year == previous + 1:
            previous = year
        else:
            parts.append(f"{start}" if start == previous else f"{start}–{previous}")
            start = previous = year
    if start is not None:
        parts.append(f"{start}" if start == previous else f"{start}–{previous}")
    return ", ".join(parts)


def analysis_year(
    years: Sequence[int], date: str | int | None, *, source: object, label: str = "year"
) -> int | None:
    """The year the single-year stages analyse: ``date`` if given, else the last year.

    Parameters
    ----------
    years
        The table's years, in order (empty for a table without years).
    date
        ``employment.date``: a year of the table, or None.
    source, label
        The file and how it names its years, for messages.

    Returns
    -------
    int or None
        The year; None for a table without years.

    Raises
    ------
    InputDataError
        When ``date`` is not one of the years, or names a year for a table without any.
    """
    if date is None:
        return int(years[-1]) if len(years) else None
    chosen_text = str(date).strip()
    if not len(years):
        raise InputDataError(
            f"employment.date is set to {chosen_text!r} but employment file {source} has no "
            f"{label} column; remove employment.date from the config (or, for a table of one "
            "year without a year column, say which year with employment.year)."
        )
    chosen = int(chosen_text) if chosen_text.isdigit() else None
    if chosen not in years:
        raise InputDataError(
            f"employment.date is {chosen_text!r} but employment file {source} only has "
            f"{label} {year_ranges(years)}. Set employment.date to one of these, or remove it "
            "to analyse the last year."
        )
    return chosen


def _years_of(data: pd.DataFrame, column: str) -> dict[str, frozenset[int]]:
    """The years each value of ``column`` (each area, each industry) has rows in."""
    pairs = data[[column, "year"]].dropna().drop_duplicates()
    found: dict[str, set[int]] = {}
    for code, year in zip(pairs[column].astype(str), pairs["year"].astype(int), strict=True):
        found.setdefault(code, set()).add(year)
    return {code: frozenset(years) for code, years in found.items()}


def check_years(data: pd.DataFrame, *, source: object) -> list[str]:
    """Check that every year of a table holds the same areas and the same industry codes.

    Parameters
    ----------
    data
        ``area_code``, ``industry_code``, ``year`` (one row per area x industry x year).
    source
        The file(s), for messages.

    Returns
    -------
    list of str
        Notes for the report (years missing from the run of years).

    Raises
    ------
    InputDataError
        Listing the areas missing from some years and the industry codes present in some
        years only, with the fix for each.
    """
    years = sorted(int(y) for y in data["year"].dropna().unique())
    if len(years) < 2:  # one year compares with nothing
        return []
    problems = []
    every = set(years)
    areas = _years_of(data, "area_code")
    partial = {code: present for code, present in areas.items() if len(present) < len(years)}
    if partial:
        examples = [
            f"{code} (none in {year_ranges(every - present)})" for code, present in partial.items()
        ]
        problems.append(
            f"{len(partial)} area{'s are' if len(partial) > 1 else ' is'} missing from some "
            f"years: {format_examples(examples, 6)}. Every year must hold the same areas, or "
            "growth and the reference economy change with the list of areas. Codes that change "
            "with boundary changes need employment.vintage (an ONS lookup) to put every year "
            "on one vintage; an area with no employment in a year needs its rows, with zeros"
        )
    industries = _years_of(data, "industry_code")
    partial_industries = {c: p for c, p in industries.items() if len(p) < len(years)}
    if partial_industries:
        by_years: dict[frozenset[int], list[str]] = {}
        for code, present in partial_industries.items():
            by_years.setdefault(present, []).append(code)
        groups = [
            f"{format_examples(sorted(codes), 6)} only in {year_ranges(present)}"
            for present, codes in sorted(by_years.items(), key=lambda item: min(item[0]))
        ]
        problems.append(
            "the industry codes change between years ("
            + "; ".join(groups)
            + "): the years group industries differently (two ONS releases stacked, say), so "
            "they cannot be compared. Read one release, or give every year the same codes"
        )
    if problems:
        listed = "\n".join(f"  - {p}" for p in problems)
        raise InputDataError(
            f"Employment file {source} holds {year_ranges(years)}, but its years are not "
            f"comparable:\n{listed}"
        )
    notes = _areas_without_values(data, years)
    gaps = sorted(set(range(years[0], years[-1] + 1)) - every)
    if gaps:
        notes.append(
            f"the table has no rows for {year_ranges(gaps)} within {years[0]}–{years[-1]}: "
            "growth rates use the years' real distance; index series have gaps"
        )
    return notes


def _areas_without_values(data: pd.DataFrame, years: list[int]) -> list[str]:
    """Warn of areas whose rows of a year are all empty: a year missing, not cells suppressed.

    Every cell is then missing, so the area's LQs and growth over those years are missing
    too; a table usually suppresses some industries of an area, not all of them.
    """
    if "employment" not in data:
        return []
    known = data["employment"].notna().groupby([data["area_code"], data["year"]]).any()
    empty = known[~known]
    if empty.empty:
        return []
    by_area: dict[str, list[int]] = {}
    for area, year in empty.index:
        by_area.setdefault(str(area), []).append(int(year))
    examples = [f"{area} ({year_ranges(found)})" for area, found in sorted(by_area.items())]
    message = (
        f"{len(by_area)} area{'s have' if len(by_area) > 1 else ' has'} no value in any "
        f"industry for some years: {format_examples(examples, 6)}. Those years are missing "
        "for them (every cell taken as suppressed), so are their LQs and growth from or to "
        "those years; if the area did not exist then, set growth.base_year after them"
    )
    log.warning("%s", message)
    return [message]
