r"""Where the number of permutations, not the data, decides that an area is not significant.

With :math:`P` conditional permutations a pseudo p-value is never below
:math:`1/(P+1)`, or :math:`2/(P+1)` for a two-sided test (twice the smaller one-sided value).
An area whose observed statistic lies beyond every simulated one gets exactly this floor
:math:`f`, however extreme it is. Benjamini–Hochberg over :math:`m` tests passes the
:math:`r` smallest p-values only where :math:`p_{(r)} \le q\,r/m` (Benjamini & Hochberg 1995);
no p-value being below :math:`f`, it passes none unless at least :math:`f\,m/q` pass together.
Bonferroni needs :math:`f\,m \le q` for every area. Two-sided, with 9,999 permutations over
1,308 areas at :math:`q = 0.05`, six areas at or near 0.0002 must pass at once before any
does. Both corrections are monotone (a larger p-value never passes where a smaller one
failed), so an area at the floor left not significant means that no test of its correction
passed: an empty Local Moran map can then mean "too few permutations", not "no cluster".

:func:`floor_limits` finds, for each statistic classified by permutation p-values, the
industries with an area at the floor that the correction left not significant;
:func:`warn_floor_limits` also logs a warning for each, with the fix. :func:`limits_at_floor`
finds them in any table of permutation p-values and their classes (the circular stage's
co-location of the producers and users of a material).
:func:`permutations_needed` gives the permutations with which a single area at the floor passes
the correction on its own: :math:`c\,m/(P+1) \le q` (:math:`c` = 2 two-sided, else 1), the
bound Bonferroni and the first rank of Benjamini–Hochberg share, rounded up to a round count;
:func:`enough_permutations` raises a run's permutations to it before the run, up to
``hotspots.max_permutations``, so the floor is checked after the run only where even those
are too few. The number comes from the design (the tests and the level), not the results.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from clustergeo.config import HotspotsConfig
from clustergeo.vocab import MORAN_LEVEL, SIGNIFICANCE_LEVELS

__all__ = [
    "RAISE_THE_CAP",
    "FloorLimit",
    "correction_tests",
    "enough_permutations",
    "floor_limits",
    "limits_at_floor",
    "log_floor_limit",
    "merged_floor_limits",
    "permutations_for",
    "permutations_needed",
    "smallest_pseudo_p",
    "warn_floor_limits",
]

log = logging.getLogger(__name__)

Alternative = Literal["two-sided", "greater", "less", "folded"]

#: The statistics a run can classify by permutation p-values, with the words for each.
_STATISTICS = {"gi_star": "Gi*", "moran": "Local Moran's I"}
#: The least strict level each statistic is classified at: an area not significant there is
#: not significant at all.
_LEVELS = {
    "gi_star": max(level for level, _label in SIGNIFICANCE_LEVELS),
    "moran": MORAN_LEVEL,
}


def smallest_pseudo_p(permutations: int, alternative: Alternative) -> float | None:
    """The smallest pseudo p-value ``permutations`` can give: 1/(P+1), or 2/(P+1) two-sided.

    None without permutations.
    """
    if permutations <= 0:
        return None
    sides = 2 if alternative == "two-sided" else 1
    return sides / (permutations + 1)


def permutations_needed(tests: int, level: float, alternative: Alternative) -> int:
    r"""Permutations with which one area at the floor passes a correction over ``tests`` tests.

    The smallest :math:`P` with :math:`c\,m/(P+1) \le q` (``tests`` :math:`= m`, ``level``
    :math:`= q`, :math:`c` = 2 two-sided, else 1), rounded up to the next of 9, 19, 49, 99,
    199, 499, 999, ... (counts of the form :math:`d \cdot 10^k - 1`, :math:`d \in \{1, 2,
    5\}`) so that :math:`P + 1` is a round number, as the usual 999 and 9,999 are.
    """
    if tests < 1 or not 0 < level <= 1:
        raise ValueError(f"need at least one test and a level in (0, 1], got {tests}, {level}")
    sides = 2 if alternative == "two-sided" else 1
    draws = math.ceil(sides * tests / level)
    scale = 1
    while True:
        for step in (1, 2, 5):
            if step * scale >= max(draws, 2):
                return step * scale - 1
        scale *= 10


def correction_tests(settings: HotspotsConfig, tested: pd.Series | np.ndarray) -> int:
    """The most tests one correction of ``settings`` counts, from each column's tested cells.

    ``tested`` counts the values a run tests in each column (industry, stream side, ...):
    ``values.notna().sum()``, as the engine tests no missing value. An industry's tested
    cells with ``correction_scope`` ``industry``, every tested cell with ``all``, 1
    uncorrected.
    """
    if settings.correction == "none":
        return 1
    per_column = np.asarray(tested, dtype=np.int64)
    if per_column.size == 0:
        return 0
    return int(per_column.sum() if settings.correction_scope == "all" else per_column.max())


def permutations_for(settings: HotspotsConfig, tests: int, *, level: float | None = None) -> int:
    """The permutations with which one area at the floor passes the correction of ``settings``.

    :func:`permutations_needed` for ``tests`` tests at the level every permutation-classified
    statistic is classified at (the least strict level of each; the strictest of these), or
    at ``level`` where that is stricter (emerging hot spots at their own alpha); 0 where no
    statistic is classified by permutation p-values, or nothing is tested.
    """
    inference = {"gi_star": settings.gi_star_inference, "moran": settings.moran_inference}
    levels = [_LEVELS[s] for s, how in inference.items() if how == "permutation"]
    if not levels or tests < 1:
        return 0
    if level is not None:
        levels.append(level)
    return permutations_needed(tests, min(levels), settings.alternative)


def enough_permutations(
    settings: HotspotsConfig,
    tests: int,
    *,
    unit: str = "area",
    of: str = "",
    level: float | None = None,
) -> HotspotsConfig:
    """``settings`` with the permutations one area at the floor needs to pass the correction.

    Raised (and logged) from ``permutations`` to :func:`permutations_for` ``tests`` (at
    ``level`` where given and stricter), where that is more than ``permutations`` and at
    most ``max_permutations``. Otherwise ``settings`` as they are: no statistic classified
    by permutation p-values, no permutations, enough already, or more needed than
    ``max_permutations`` allows (logged; the floor check warns where it matters, advising
    at least this number). The number depends only on the run's design (its tests,
    correction, level and alternative), never on its results. ``of`` names what the
    permutations are for in the log (``for co-location``).
    """
    needed = permutations_for(settings, tests, level=level)
    if settings.permutations == 0 or needed <= settings.permutations:
        return settings
    what = f"Permutations{' ' + of if of else ''}"
    if needed > settings.max_permutations:
        log.info(
            "%s kept at %s: for %s beyond every permutation to pass the correction over %s "
            "tests %s are needed, more than hotspots.max_permutations (%s)",
            what,
            f"{settings.permutations:,}",
            _one(unit),
            f"{tests:,}",
            f"{needed:,}",
            f"{settings.max_permutations:,}",
        )
        return settings
    log.info(
        "%s raised from %s to %s, so that %s beyond every permutation can pass the "
        "correction over %s tests (hotspots.max_permutations, %s, caps this)",
        what,
        f"{settings.permutations:,}",
        f"{needed:,}",
        _one(unit),
        f"{tests:,}",
        f"{settings.max_permutations:,}",
    )
    return settings.model_copy(update={"permutations": needed})


def _one(unit: str) -> str:
    """``an area``, ``a grid cell``."""
    return f"{'an' if unit[:1] in tuple('aeiou') else 'a'} {unit}"


@dataclass(frozen=True)
class FloorLimit:
    """The industries whose areas at the permutation floor a correction left not significant.

    ``industries`` holds each industry's code, label and kind (``industry`` or ``cluster``
    for a cluster definition), in the table's order; ``areas`` counts those areas over all the
    industries; ``tests`` is the largest number of tests one correction counted (an
    industry's areas, or every area x industry for one family of all);
    ``permutations_needed`` the permutations with which one area at the floor would pass it;
    ``unit`` what the table's rows are (``area``, ``grid cell``); ``permutations`` how many
    the statistic ran (0 where not known); ``over_years`` that the limit gathers several
    years, each corrected on its own (``areas`` then counts area-years). Industries of kind
    ``stream`` are material streams (the circular stage's co-location), of kind ``stream
    side`` a stream's producers or users (its hot spots).
    """

    statistic: str
    statistic_words: str
    industries: tuple[tuple[str, str, str], ...]
    areas: int
    smallest_p: float
    level: float
    tests: int
    permutations_needed: int
    unit: str = "area"
    permutations: int = 0
    over_years: bool = False

    @property
    def groups_words(self) -> str:
        """``1 industry``, ``13 industries``, ``2 streams``: what the limit concerns."""
        count = len(self.industries)
        kinds = {kind for _code, _label, kind in self.industries}
        if kinds in ({"stream"}, {"stream side"}):
            (kind,) = kinds
            return f"1 {kind}" if count == 1 else f"{count:,} {kind}s"
        return "1 industry" if count == 1 else f"{count:,} industries"

    @property
    def correction_words(self) -> str:
        """``after the correction over 1,308 tests``, or ``even without a correction``."""
        if self.tests > 1:
            return f"after the correction over {self.tests:,} tests"
        return "even without a correction"

    @property
    def smallest_p_text(self) -> str:
        """The floor as a plain decimal (``0.0002``, ``0.00039992``), never in e-notation."""
        return f"{self.smallest_p:.10f}".rstrip("0")

    def to_record(self) -> dict[str, Any]:
        """As JSON-ready values, for the stage's report, with the words the report uses."""
        return {
            "statistic": self.statistic,
            "statistic_words": self.statistic_words,
            "correction_words": self.correction_words,
            "smallest_p_text": self.smallest_p_text,
            "industries": [
                {"code": code, "label": label, "kind": kind}
                for code, label, kind in self.industries
            ],
            "areas": self.areas,
            "smallest_p": self.smallest_p,
            "level": self.level,
            "tests": self.tests,
            "permutations_needed": self.permutations_needed,
            "unit": self.unit,
            "permutations": self.permutations,
            "over_years": self.over_years,
        }


def floor_limits(
    table: pd.DataFrame,
    settings: HotspotsConfig,
    *,
    unit: str = "area",
    labels: Mapping[str, str] | None = None,
    kind: str = "industry",
    at_least: int = 0,
    statistics: Mapping[str, tuple[str, float]] | None = None,
    only: Collection[str] | None = None,
) -> list[FloorLimit]:
    """Per statistic classified by permutation p-values, where its floor withheld significance.

    Parameters
    ----------
    table
        The hot-spot results (:func:`~clustergeo.hotspots.engine.local_hotspots`): one row per
        area x industry with ``industry_code`` and, for each statistic, ``<statistic>_p_sim``
        and ``<statistic>_class``; ``label`` and ``kind`` describe the industries where
        present (else the code, and ``industry``).
    settings
        The run's hot-spot settings (inference, permutations, alternative, correction).
    unit
        What a row's area is: ``area``, or ``grid cell`` on the surface stage's grid.
    labels
        Each industry's label by code, where ``table`` has no ``label`` column.
    kind
        What the columns are where ``table`` has no ``kind`` column: ``industry``, or
        ``stream side`` for the circular stage's producers and users of a material.
    at_least
        The permutations the run's raise needs (:func:`permutations_for` of every column's
        tests): the advice is never below it, or following it would change nothing.
    statistics
        The statistics to check, as for :func:`limits_at_floor` (column prefix: words and
        level); by default Gi* and Local Moran, where ``settings`` classify them by
        permutation p-values, each at the least strict level it is classified at.
    only
        Check only these of the default statistics (``gi_star``, ``moran``): those whose
        classes the caller's results depend on.

    Returns
    -------
    list of FloorLimit
        One per statistic with at least one such area, in the order of ``statistics`` (Gi*,
        Local Moran).
    """
    if statistics is None:
        inference = {"gi_star": settings.gi_star_inference, "moran": settings.moran_inference}
        statistics = {
            statistic: (words, _LEVELS[statistic])
            for statistic, words in _STATISTICS.items()
            if inference[statistic] == "permutation" and (only is None or statistic in only)
        }
    return limits_at_floor(
        table,
        statistics,
        group_column="industry_code",
        permutations=settings.permutations,
        alternative=settings.alternative,
        correction=settings.correction,
        correction_scope=settings.correction_scope,
        labels=labels,
        kind=kind,
        unit=unit,
        at_least=at_least,
    )


def limits_at_floor(
    table: pd.DataFrame,
    statistics: Mapping[str, tuple[str, float]],
    *,
    group_column: str,
    permutations: int,
    alternative: Alternative,
    correction: str,
    correction_scope: str,
    labels: Mapping[str, str] | None = None,
    kind: str = "industry",
    unit: str = "area",
    at_least: int = 0,
) -> list[FloorLimit]:
    """:func:`floor_limits` of any table of permutation p-values and their classes.

    ``statistics`` maps each statistic's column prefix (``<prefix>_p_sim``,
    ``<prefix>_class``, a class ``not_significant`` where its correction left it so) to its
    words and the least strict level it is classified at. Rows are grouped by
    ``group_column`` (an industry, a stream), each group its own family where
    ``correction_scope`` is ``industry``; ``labels`` name the groups where the table has no
    ``label`` column, and ``kind`` says what they are where it has no ``kind`` column.
    ``unit`` is what a row is (``area``, ``grid cell``); ``at_least`` as for
    :func:`floor_limits`.
    """
    floor = smallest_pseudo_p(permutations, alternative)
    if floor is None or floor >= 1 or table.empty:
        # A floor of 1 (one permutation, two-sided) is every p-value: nothing lies beyond.
        return []
    # Groups as small integers (the engine's column is categorical): the table has a row per
    # area x industry, millions on a national run, so no string is made per row.
    group = table[group_column]
    if isinstance(group.dtype, pd.CategoricalDtype):
        number, names = group.cat.codes.to_numpy(), group.cat.categories
    else:
        number, names = pd.factorize(group)
    limits = []
    for statistic, (words, level) in statistics.items():
        p = table[f"{statistic}_p_sim"].to_numpy(dtype=float)
        tested = ~np.isnan(p)
        # Pseudo p-values are multiples of 1/(P+1): the next above the floor is twice it, so
        # a relative margin only absorbs the rounding of the division.
        withheld = tested & (p <= floor * (1 + 1e-9))
        if withheld.any():
            withheld &= (table[f"{statistic}_class"] == "not_significant").to_numpy()
        if not withheld.any():
            continue
        rows = np.flatnonzero(withheld)
        flagged, first_withheld = np.unique(number[rows], return_index=True)
        # In the table's order of groups: the order in which they first appear.
        rank = np.empty(len(names), dtype=np.int64)
        appearance = pd.unique(number)
        rank[appearance] = np.arange(len(appearance))
        order = np.argsort(rank[flagged])
        flagged = flagged[order]
        # Each flagged group described from its first withheld row.
        described = table.iloc[rows[first_withheld[order]]]
        if correction == "none":
            tests = 1
        elif correction_scope == "all":
            tests = int(tested.sum())
        else:
            tests = int(np.bincount(number[tested], minlength=len(names))[flagged].max())
        limits.append(
            FloorLimit(
                statistic=statistic,
                statistic_words=words,
                industries=tuple(
                    (
                        str(names[f]),
                        _label(row, str(names[f]), labels),
                        str(row["kind"]) if "kind" in described else kind,
                    )
                    for f, (_, row) in zip(flagged, described.iterrows(), strict=True)
                ),
                areas=int(withheld.sum()),
                smallest_p=floor,
                level=level,
                tests=tests,
                permutations_needed=max(permutations_needed(tests, level, alternative), at_least),
                unit=unit,
                permutations=permutations,
            )
        )
    return limits


def _label(row: pd.Series, code: str, labels: Mapping[str, str] | None) -> str:
    if "label" in row.index:
        return str(row["label"])
    return str(labels.get(code, code)) if labels is not None else code


def merged_floor_limits(
    limits: Sequence[FloorLimit],
    order: Sequence[str],
    alternative: Alternative,
    *,
    at_least: int = 0,
    over_years: bool = False,
) -> list[FloorLimit]:
    """Limits found block by block (of industries, or of years), one per statistic.

    Each industry's correction lies within its block, so the union is exact: the industries
    of every block (in ``order``, the codes' order), their areas added up, the largest
    correction and the permutations it needs. With ``over_years`` the blocks include
    several years of the same areas: the areas added up are area-years, and the limit says
    so (:attr:`FloorLimit.over_years`).
    """
    position = {str(code): i for i, code in enumerate(order)}
    merged = []
    # Gi*, then Local Moran, then any other (emerging hot spots' Gi*), as they first come.
    statistics = dict.fromkeys([*_STATISTICS, *(limit.statistic for limit in limits)])
    for statistic in statistics:
        mine = [limit for limit in limits if limit.statistic == statistic]
        if not mine:
            continue
        industries = {
            code: (code, label, kind) for limit in mine for code, label, kind in limit.industries
        }
        tests = max(limit.tests for limit in mine)
        merged.append(
            FloorLimit(
                statistic=statistic,
                statistic_words=mine[0].statistic_words,
                industries=tuple(
                    industries[code]
                    for code in sorted(industries, key=lambda c: position.get(c, len(position)))
                ),
                areas=sum(limit.areas for limit in mine),
                smallest_p=mine[0].smallest_p,
                level=mine[0].level,
                tests=tests,
                permutations_needed=max(
                    permutations_needed(tests, mine[0].level, alternative),
                    *(limit.permutations_needed for limit in mine),
                    at_least,
                ),
                unit=mine[0].unit,
                permutations=mine[0].permutations,
                over_years=over_years or any(limit.over_years for limit in mine),
            )
        )
    return merged


#: What a pipeline's user sets to let an area at the floor pass (``{needed}`` the number).
RAISE_THE_CAP = "set hotspots.max_permutations to {needed} or more"


def log_floor_limit(limit: FloorLimit, permutations: int, fix: str = RAISE_THE_CAP) -> None:
    """Warn that the permutations, not the data, left these industries without a finding.

    ``fix`` says what to change, with ``{needed}`` for the permutations needed: by default the
    config's cap, up to which each stage raises its permutations by itself.
    """
    codes = [code for code, _label, _kind in limit.industries]
    shown = ", ".join(codes[:8]) + (f" and {len(codes) - 8} more" if len(codes) > 8 else "")
    counted = f"{limit.unit}-year" if limit.over_years else limit.unit
    if not limit.over_years:
        nothing = f"no {limit.unit} of {limit.groups_words} ({shown}) is significant"
    elif len(codes) == 1:  # each year is corrected on its own
        nothing = (
            f"in at least one year, no {limit.unit} of {limit.groups_words} ({shown}) is "
            "significant"
        )
    else:
        nothing = (
            f"for each of {limit.groups_words} ({shown}), in at least one year, no "
            f"{limit.unit} is significant"
        )
    log.warning(
        "%s: %s %s, though %s beyond all %s permutations "
        "(p = %s, the smallest they can give); %s so that such %s can pass",
        limit.statistic_words[:1].upper() + limit.statistic_words[1:],
        nothing,
        limit.correction_words,
        f"1 {counted} lies" if limit.areas == 1 else f"{limit.areas:,} {counted}s lie",
        f"{permutations:,}",
        limit.smallest_p_text,
        # Without thousands separators: the number is pasted into YAML as it is.
        fix.format(needed=limit.permutations_needed),
        _one(limit.unit),
    )


def warn_floor_limits(
    table: pd.DataFrame,
    settings: HotspotsConfig,
    *,
    unit: str = "area",
    labels: Mapping[str, str] | None = None,
    kind: str = "industry",
    fix: str = RAISE_THE_CAP,
    at_least: int = 0,
    only: Collection[str] | None = None,
) -> list[FloorLimit]:
    """:func:`floor_limits`, each logged as a warning that names the industries and ``fix``."""
    limits = floor_limits(
        table, settings, unit=unit, labels=labels, kind=kind, at_least=at_least, only=only
    )
    for limit in limits:
        log_floor_limit(limit, settings.permutations, fix)
    return limits
