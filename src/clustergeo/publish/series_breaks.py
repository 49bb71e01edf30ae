"""Yearly series that look broken: a finding led by a reclassification rather than growth.

Regional accounts count output where a firm reports it, so a head office moving into a
district, or a firm reclassified between industries, makes its series leap (in ONS's GVA by
local authority, Warwick's utilities rose 24.6-fold over 1998–2023). Such a finding can lead
the ranking on one firm's books, so every place that lists the strongest (the report's tables,
the maps' key, the web map, the GeoPackage) marks it, and states the rule in the same words.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd

__all__ = [
    "BREAK_MARK",
    "CHECK",
    "RULE_WORDS",
    "SeriesBreak",
    "marked_names",
    "series_break",
    "series_breaks",
    "with_series_breaks",
]

#: A finding whose series grew this many times over, or jumped by this factor in a single
#: year while growing or shrinking threefold, is more often a reclassification or a head
#: office moving (output is counted where a firm reports it) than growth.
_MANIFOLD: Final = 10.0
_ONE_YEAR_JUMP: Final = 2.0

#: The rule, as every output that marks a broken series states it.
RULE_WORDS: Final = (
    "a tenfold rise, or a twofold jump or fall in one year that carries at least half of a "
    "threefold change"
)
#: What a reader should do about a broken series, after the words saying how it broke.
CHECK: Final = ": worth checking for a reclassification or a head office moving first"
#: The mark after a finding's name where its series looks broken, explained beside the list.
BREAK_MARK: Final = "†"


@dataclass(frozen=True)
class SeriesBreak:
    """How one finding's yearly series looks broken (:func:`series_break`), over which years."""

    #: 'rose 24.6-fold', 'jumped ×4.0 in 2013 alone'.
    change: str
    #: The years compared, '1998–2023'.
    period: str

    @property
    def clause(self) -> str:
        """'its series over 1998–2023 rose 24.6-fold', said after the finding's name."""
        return f"its series over {self.period} {self.change}"

    @property
    def warning(self) -> str:
        """The clause with what to check: 'its series ... rose 24.6-fold: worth checking ...'."""
        return f"{self.clause}{CHECK}"

    @property
    def sentence(self) -> str:
        """The warning as a sentence on its own, as the GeoPackage and the web map give it."""
        return f"{self.warning[0].upper()}{self.warning[1:]}."


def series_break(row: pd.Series) -> str:
    """How a finding's yearly series looks broken ('rose 24.6-fold'), or '' where it does not.

    ``row`` is a row of the growth stage's findings table (``start_year``, ``end_year`` and
    ``value_<year>``). Only the years compared count, and only those with a value: the first
    and last such values give the whole change, and each known year is compared with the
    known year before it, so a jump across a missing year is seen ('in 2001-2003'). A
    one-year jump counts where it carries at least half of the whole period's change (in
    logarithms): a series doubling every year has no break.
    """
    try:
        first, last = int(row["start_year"]), int(row["end_year"])
    except (KeyError, TypeError, ValueError):
        return ""
    years = sorted(
        year
        for c in row.index
        if str(c).startswith("value_")
        and str(c)[6:].isdigit()
        and first <= (year := int(str(c)[6:])) <= last
    )
    # A value that is no number (a blank, a stray string) is a year without a value.
    numbers = pd.to_numeric(pd.Series([row[f"value_{year}"] for year in years]), errors="coerce")
    known = [(year, float(value)) for year, value in zip(years, numbers, strict=True)]
    known = [(year, value) for year, value in known if np.isfinite(value) and value > 0]
    if len(known) < 2:
        return ""
    start, end = known[0][1], known[-1][1]
    if end / start >= _MANIFOLD:
        # From the first and last years with a value, named where they are not the period's.
        span = (
            f" from {known[0][0]} to {known[-1][0]}"
            if (known[0][0], known[-1][0]) != (first, last)
            else ""
        )
        return f"rose {end / start:.1f}-fold{span}"
    whole = abs(np.log(end / start))
    if whole < np.log(3):
        return ""
    values = np.array([value for _year, value in known])
    steps = np.log(values[1:] / values[:-1])
    at = int(np.argmax(np.abs(steps)))
    if abs(steps[at]) >= np.log(_ONE_YEAR_JUMP) and abs(steps[at]) >= whole / 2:
        way = "jumped" if steps[at] > 0 else "fell"
        before, year = known[at][0], known[at + 1][0]
        when = f"in {year} alone" if year == before + 1 else f"in {before}–{year}"
        return f"{way} ×{np.exp(abs(steps[at])):.1f} {when}"
    return ""


def series_breaks(findings: pd.DataFrame) -> dict[str, SeriesBreak]:
    """By finding ID, how its series looks broken, for the findings whose series does.

    ``findings`` is the growth stage's findings table (one row per finding, ``cluster_id``,
    ``start_year``, ``end_year`` and ``value_<year>``).
    """
    breaks = {}
    for _index, row in findings.iterrows():
        change = series_break(row)
        if change:
            period = f"{int(row['start_year'])}–{int(row['end_year'])}"
            breaks[str(row["cluster_id"])] = SeriesBreak(change=change, period=period)
    return breaks


def marked_names(
    ids: Iterable[object], names: Iterable[object], breaks: Mapping[str, SeriesBreak]
) -> list[str]:
    """Each finding's name, with :data:`BREAK_MARK` after it where its series looks broken."""
    return [
        f"{name} {BREAK_MARK}" if str(cluster_id) in breaks else str(name)
        for cluster_id, name in zip(ids, names, strict=True)
    ]


def with_series_breaks(
    findings: gpd.GeoDataFrame, breaks: Mapping[str, SeriesBreak]
) -> gpd.GeoDataFrame:
    """The findings layer with ``series_break``: :attr:`SeriesBreak.sentence`, else null."""
    sentences = {cluster_id: b.sentence for cluster_id, b in breaks.items()}
    # Text even where no series broke: the GeoPackage field is a string field in every run.
    marked = findings["cluster_id"].astype(str).map(sentences).astype(object)
    return findings.assign(series_break=marked.where(marked.notna(), None))
