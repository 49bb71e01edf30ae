r"""Emerging hot spots: Gi* every year, a Mann-Kendall trend in each area's z, 17 categories.

The method of ArcGIS Pro's *Emerging Hot Spot Analysis* (Esri, "How Emerging Hot Spot
Analysis works"), and of R's sfdep (``emerging_hotspot_analysis``), for every industry at once:

1. Getis-Ord Gi* for every area x industry in every year, by
   :func:`~clustergeo.hotspots.engine.local_hotspots`, with the run's weights, inference and
   multiple-testing correction. A year's hot (cold) spot is a positive (negative) z whose
   corrected p-value (``gi_star_p_fdr``) is at most ``alpha``.
2. The Mann-Kendall trend test (:func:`mann_kendall`) on each area x industry's series of
   Gi* z-scores: is the clustering getting stronger or weaker over the years?
3. One of seventeen categories per area x industry (:func:`classify`) from the final year's
   state, how many years were hot or cold, when, and the trend.

With ``time_lag`` the Gi* of a year also counts the previous year (a space-time
neighbourhood, see :func:`space_time_weights`).

Departures from ArcGIS, each deliberate:

* **Significance** is the run's hot-spot level, ``alpha`` = 0.05 on the corrected p-value
  (ArcGIS counts bins significant at 90% confidence). A hot spot in a trend is then a hot
  spot on the run's Gi* maps, and clusters are built from the same level.
* **The global window** (the mean and variance a Gi* compares against) is one year, or the
  two years of a time-lagged neighbourhood: ArcGIS's "individual time step" and "neighborhood
  time step" windows. Its default, the entire cube, is not offered: location quotients are
  relative to each year's own economy, and a national panel never holds every year at once.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numba
import numpy as np
import pandas as pd
from scipy import sparse

from clustergeo._errors import InputDataError
from clustergeo._validate import format_examples
from clustergeo.config import HotspotsConfig
from clustergeo.hotspots.engine import HotspotResult, local_hotspots, log_policies, policies_of
from clustergeo.hotspots.permutation_floor import (
    FloorLimit,
    floor_limits,
    log_floor_limit,
    merged_floor_limits,
)
from clustergeo.hotspots.warmup import refresh_module_cache
from clustergeo.hotspots.weights import SpatialWeights
from clustergeo.vocab import (
    EMERGING_CLASSES,
    EMERGING_COLD_CATEGORIES,
    EMERGING_HOT_CATEGORIES,
    EMERGING_NO_PATTERN,
    EMERGING_NOT_TESTED,
    GI_STAR_CLASSES,
)

__all__ = [
    "EMERGING_COLUMNS",
    "EmergingAnalysis",
    "EmergingCells",
    "FloorCheck",
    "MannKendall",
    "classify",
    "emerging_analysis",
    "emerging_cells",
    "emerging_frame",
    "emerging_hot_spots",
    "gi_star_settings",
    "log_what_years_allow",
    "mann_kendall",
    "minimum_trend_p",
    "space_time_hotspots",
    "space_time_weights",
    "year_states",
    "yearly_hotspots",
]

log = logging.getLogger(__name__)

#: The columns of an emerging-hot-spot table, in order.
EMERGING_COLUMNS = (
    "area_code",
    "industry_code",
    "category",
    "trend_tau",
    "trend_z",
    "trend_p",
    "years_hot",
    "years_cold",
    "final_class",
    "first_year",
    "last_year",
    "years_tested",
)

#: Fewest years a trend is tested on; fewer give NaN.
MIN_TREND_YEARS = 3
#: Suffix of an area's code for its copy in the previous year (space-time weights).
PREVIOUS_YEAR_SUFFIX = " (previous year)"

# A cell's state in one year (compiled code uses these numbers).
NOT_SIGNIFICANT, HOT, COLD, UNTESTED = 0, 1, 2, 3

# Positions of the categories in EMERGING_CLASSES: a trend's position within its family, the
# cold family after the hot one, then no pattern and not tested.
_NEW, _CONSECUTIVE, _INTENSIFYING, _PERSISTENT, _DIMINISHING, _SPORADIC, _OSCILLATING = range(7)
_HISTORICAL = 7
_COLD_OFFSET = len(EMERGING_HOT_CATEGORIES)
_NO_PATTERN_CODE = EMERGING_CLASSES.index(EMERGING_NO_PATTERN)
_NOT_TESTED_CODE = EMERGING_CLASSES.index(EMERGING_NOT_TESTED)
if EMERGING_CLASSES[: 2 * _COLD_OFFSET] != (*EMERGING_HOT_CATEGORIES, *EMERGING_COLD_CATEGORIES):
    raise RuntimeError("vocab.EMERGING_CLASSES must list the hot, then the cold categories")


# --- Mann-Kendall --------------------------------------------------------------------------


@dataclass(frozen=True)
class MannKendall:
    """The Mann-Kendall trend test of each series (arrays of the series' cell shape)."""

    #: Kendall's tau-b between the values and time.
    tau: np.ndarray
    #: Kendall's score S: concordant minus discordant pairs of years.
    s: np.ndarray
    #: The normal score of S (continuity-corrected by default); positive for a rising trend.
    z: np.ndarray
    #: Two-sided p-value of z.
    p: np.ndarray
    #: Years with a value (the test's n).
    years: np.ndarray


@numba.njit(cache=True, parallel=True)
def _mann_kendall_kernel(  # noqa: PLR0917 -- numba kernels take no keyword-only arguments
    series: np.ndarray,
    min_years: int,
    continuity: float,
    tau: np.ndarray,
    score: np.ndarray,
    z: np.ndarray,
    p: np.ndarray,
    years: np.ndarray,
) -> None:
    n_years, cells = series.shape
    for c in numba.prange(cells):
        values = np.empty(n_years)
        m = 0
        for t in range(n_years):
            value = series[t, c]
            if not np.isnan(value):
                values[m] = value
                m += 1
        years[c] = m
        if m < min_years:
            tau[c] = np.nan
            score[c] = np.nan
            z[c] = np.nan
            p[c] = np.nan
            continue
        s = 0.0
        # Over the members of each group of t tied values, sum (t-1)(2t+5) and (t-1): the
        # group contributes t(t-1)(2t+5) and t(t-1) in all.
        tie_variance = 0.0
        tie_pairs = 0.0
        for i in range(m):
            equal = 0
            for j in range(m):
                if values[j] == values[i]:
                    equal += 1
                elif j > i:
                    s += 1.0 if values[j] > values[i] else -1.0
            tie_variance += (equal - 1) * (2 * equal + 5)
            tie_pairs += equal - 1
        pairs = m * (m - 1) / 2.0
        variance = (m * (m - 1) * (2 * m + 5) - tie_variance) / 18.0
        score[c] = s
        untied = pairs - tie_pairs / 2.0
        tau[c] = s / math.sqrt(untied * pairs) if untied > 0 else np.nan
        if variance <= 0:
            # Every value the same: no order, no test.
            z[c] = np.nan
            p[c] = np.nan
            continue
        if s > 0:
            normal = (s - continuity) / math.sqrt(variance)
        elif s < 0:
            normal = (s + continuity) / math.sqrt(variance)
        else:
            normal = 0.0
        z[c] = normal
        p[c] = math.erfc(abs(normal) / math.sqrt(2.0))


def mann_kendall(
    series: np.ndarray, *, continuity: bool = True, min_years: int = MIN_TREND_YEARS
) -> MannKendall:
    r"""The Mann-Kendall trend test along axis 0 (years) of ``series``, NaN-aware.

    Parameters
    ----------
    series
        Years x cells (or years x any shape; or one series of years), in time order. NaN
        where a year has no value: the test uses the other years, in order.
    continuity
        Subtract 1 from :math:`|S|` before dividing by its standard deviation (the usual
        continuity correction, Kendall 1975; ArcGIS and R's ``Kendall`` package use it).
        ``False`` gives the uncorrected score, as ``scipy.stats.kendalltau`` does.
    min_years
        Cells with fewer years than this get NaN.

    Returns
    -------
    MannKendall
        ``tau``, ``s``, ``z``, ``p`` and ``years``, each of shape ``series.shape[1:]``.

    Notes
    -----
    For the :math:`n` values :math:`x_1, \dots, x_n` of a cell in time order (Mann 1945;
    Kendall 1975, *Rank Correlation Methods*, 4th ed., Griffin, ch. 4):

    .. math::

        S = \sum_{i<j} \operatorname{sgn}(x_j - x_i), \qquad
        \operatorname{Var}(S) = \frac{n(n-1)(2n+5) - \sum_g t_g(t_g-1)(2t_g+5)}{18},

    where :math:`t_g` is the size of the :math:`g`-th group of tied values (the tie
    correction of Kendall 1975, eq. 4.3; years never tie). Then
    :math:`z = (S - \operatorname{sgn}(S)) / \sqrt{\operatorname{Var}(S)}` (0 when
    :math:`S = 0`), the two-sided :math:`p = 2\,(1 - \Phi(|z|))`, and Kendall's
    :math:`\tau_b = S / \sqrt{(n_0 - n_1)\, n_0}` with :math:`n_0 = n(n-1)/2` and
    :math:`n_1 = \sum_g t_g(t_g-1)/2`. A series whose values are all equal has
    :math:`\operatorname{Var}(S) = 0`: its z, p and tau are NaN.

    With :math:`n < 5` no trend reaches :math:`p \le 0.05` (:func:`minimum_trend_p`).
    """
    values = np.asarray(series, dtype=np.float64)
    if values.ndim == 0:
        raise ValueError("mann_kendall needs a series of years along axis 0")
    shape = values.shape[1:]
    flat = np.ascontiguousarray(values.reshape(values.shape[0], -1))
    cells = flat.shape[1]
    tau, score, z, p = (np.empty(cells) for _ in range(4))
    years = np.empty(cells, dtype=np.int64)
    _mann_kendall_kernel(flat, int(min_years), 1.0 if continuity else 0.0, tau, score, z, p, years)
    return MannKendall(
        tau=tau.reshape(shape),
        s=score.reshape(shape),
        z=z.reshape(shape),
        p=p.reshape(shape),
        years=years.reshape(shape),
    )


def minimum_trend_p(years: int, *, continuity: bool = True) -> float:
    """The smallest p-value :func:`mann_kendall` can give for ``years`` values (no ties)."""
    if years < 2:
        return math.nan
    score = years * (years - 1) / 2
    variance = years * (years - 1) * (2 * years + 5) / 18
    return math.erfc((score - (1.0 if continuity else 0.0)) / math.sqrt(variance) / math.sqrt(2))


# --- The seventeen categories --------------------------------------------------------------


def year_states(z: np.ndarray, p: np.ndarray, *, alpha: float) -> np.ndarray:
    """Each cell's state in each year: hot, cold, not significant or untested (int8 codes).

    Hot is ``p <= alpha`` with ``z > 0``, cold ``p <= alpha`` with ``z < 0``; untested where
    z or p is NaN.
    """
    z = np.asarray(z, dtype=np.float64)
    p = np.asarray(p, dtype=np.float64)
    significant = p <= alpha
    states = np.full(z.shape, NOT_SIGNIFICANT, dtype=np.int8)
    states[significant & (z > 0)] = HOT
    states[significant & (z < 0)] = COLD
    states[np.isnan(z) | np.isnan(p)] = UNTESTED
    return states


@numba.njit(cache=True, inline="always")
def _family_code(  # noqa: PLR0911 -- one return per rule, in the order classify() states them
    kind_years: int, other_years: int, run: int, rising: int, n_years: int
) -> int:
    """A trend's position in its family, for a cell whose final year is of its kind."""
    if 10 * kind_years >= 9 * n_years:
        if rising > 0:
            return _INTENSIFYING
        if rising < 0:
            return _DIMINISHING
        return _PERSISTENT
    if other_years > 0:
        return _OSCILLATING
    if kind_years == 1:
        return _NEW
    if kind_years == run:
        return _CONSECUTIVE
    return _SPORADIC


@numba.njit(cache=True, parallel=True)
def _classify_kernel(  # noqa: PLR0912, PLR0917 -- one pass per cell; numba takes no keywords
    states: np.ndarray,
    trend_z: np.ndarray,
    trend_p: np.ndarray,
    alpha: float,
    codes: np.ndarray,
    years_hot: np.ndarray,
    years_cold: np.ndarray,
) -> None:
    n_years, cells = states.shape
    for c in numba.prange(cells):
        hot = 0
        cold = 0
        untested = False
        for t in range(n_years):
            state = states[t, c]
            if state == HOT:
                hot += 1
            elif state == COLD:
                cold += 1
            elif state == UNTESTED:
                untested = True
        years_hot[c] = hot
        years_cold[c] = cold
        if untested:
            codes[c] = _NOT_TESTED_CODE
            continue
        # +1 a significant rise of z, -1 a significant fall, 0 none (a NaN p is none).
        trend = 0
        if trend_p[c] <= alpha:
            if trend_z[c] > 0:
                trend = 1
            elif trend_z[c] < 0:
                trend = -1
        last = states[n_years - 1, c]
        run = 0
        for t in range(n_years - 1, -1, -1):
            if states[t, c] != last:
                break
            run += 1
        if last == HOT:
            codes[c] = _family_code(hot, cold, run, trend, n_years)
        elif last == COLD:
            # A cold spot intensifies as its z falls.
            codes[c] = _COLD_OFFSET + _family_code(cold, hot, run, -trend, n_years)
        elif 10 * hot >= 9 * n_years:
            codes[c] = _HISTORICAL
        elif 10 * cold >= 9 * n_years:
            codes[c] = _COLD_OFFSET + _HISTORICAL
        else:
            codes[c] = _NO_PATTERN_CODE


_CATEGORY_DTYPE = pd.CategoricalDtype(list(EMERGING_CLASSES))


def _as_categories(codes: np.ndarray) -> pd.Categorical[Any]:
    """Category codes as a categorical of ``vocab.EMERGING_CLASSES``."""
    return pd.Categorical.from_codes(codes, dtype=_CATEGORY_DTYPE, validate=False)


@dataclass(frozen=True)
class EmergingCells:
    """Per cell: its category's code (in ``vocab.EMERGING_CLASSES``), trend, hot and cold years."""

    codes: np.ndarray
    trend: MannKendall
    years_hot: np.ndarray
    years_cold: np.ndarray

    @property
    def categories(self) -> pd.Categorical[Any]:
        """The categories as a categorical of ``vocab.EMERGING_CLASSES``."""
        return _as_categories(self.codes)


def _categorise(
    states: np.ndarray, trend_z: np.ndarray, trend_p: np.ndarray, alpha: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    states = np.ascontiguousarray(states, dtype=np.int8)
    if states.ndim != 2:
        raise ValueError("the states (z and p) must be years x cells")
    cells = states.shape[1]
    trend_z = np.ascontiguousarray(trend_z, dtype=np.float64).reshape(cells)
    trend_p = np.ascontiguousarray(trend_p, dtype=np.float64).reshape(cells)
    codes = np.empty(cells, dtype=np.int8)
    years_hot = np.empty(cells, dtype=np.int16)
    years_cold = np.empty(cells, dtype=np.int16)
    _classify_kernel(states, trend_z, trend_p, float(alpha), codes, years_hot, years_cold)
    return codes, years_hot, years_cold


def classify(
    z: np.ndarray,
    p: np.ndarray,
    trend_z: np.ndarray,
    trend_p: np.ndarray,
    *,
    alpha: float = 0.05,
) -> pd.Categorical[Any]:
    r"""The emerging-hot-spot category of every cell, from its Gi* series and trend.

    Parameters
    ----------
    z, p
        Years x cells (in time order): each year's Gi* z-score and its corrected p-value.
        NaN in either marks a year without a result.
    trend_z, trend_p
        One per cell: the Mann-Kendall z and p of the cell's z series (:func:`mann_kendall`).
    alpha
        Significance of a year's hot or cold spot and of the trend.

    Returns
    -------
    pandas.Categorical
        One category per cell, of ``vocab.EMERGING_CLASSES``: the seventeen categories, or
        ``not_tested`` for a cell without a result in some year.

    Notes
    -----
    The rules of ArcGIS Pro's Emerging Hot Spot Analysis ("How Emerging Hot Spot Analysis
    works", Esri), as it states them. With *n* years: a year is a *hot spot* when its
    :math:`p \le \alpha` and :math:`z > 0`, a *cold spot* when :math:`p \le \alpha` and
    :math:`z < 0`; "90% of the time steps" means at least :math:`0.9\,n` years (so all of
    them when :math:`n < 10`); the trend is significant when its :math:`p \le \alpha`,
    rising when its z is positive.

    ``new_hot_spot``
        A hot spot in the final year that has never been a hot spot before.
    ``consecutive_hot_spot``
        A single uninterrupted run of at least two hot-spot years, ending in the final year;
        never a hot spot before that run; fewer than 90% of the years hot spots.
    ``intensifying_hot_spot``
        A hot spot in at least 90% of the years, including the final year, with a
        significant upward trend in z (the clustering of high values grows stronger).
    ``persistent_hot_spot``
        A hot spot in at least 90% of the years with no significant trend.
    ``diminishing_hot_spot``
        A hot spot in at least 90% of the years, including the final year, with a
        significant downward trend in z.
    ``sporadic_hot_spot``
        A hot spot in the final year that has been an on-again, off-again hot spot before;
        fewer than 90% of the years hot spots, and no year a cold spot.
    ``oscillating_hot_spot``
        A hot spot in the final year that was a cold spot in an earlier year; fewer than
        90% of the years hot spots.
    ``historical_hot_spot``
        Not a hot spot in the final year, but a hot spot in at least 90% of the years.
    the cold equivalents (``new_cold_spot`` ... ``historical_cold_spot``)
        The same rules with cold for hot, and hot for cold; an *intensifying* cold spot's z
        falls significantly (the clustering of low values grows stronger), a *diminishing*
        one's rises.
    ``no_pattern``
        None of the above.

    Where ArcGIS's wording lets two categories match, the rule applied is:

    * the final year decides first: a cell hot in its final year takes a hot category (never
      ``historical_cold_spot``), a cell cold in its final year a cold one;
    * a hot spot in the final year that was a cold spot before is ``oscillating_hot_spot``
      even when it also reads as new or consecutive (it did not emerge from nothing);
    * 90% hot with the final year not hot is ``historical_hot_spot`` (ArcGIS's "persistent"
      does not say "including the final year", but "historical" names this case);
    * a trend whose p-value is NaN (fewer than three years, or every z equal) is no
      significant trend.

    Consequences worth knowing: with fewer than ten years no historical category can
    occur (90% of the years is all of them), and with fewer than five years no trend is
    significant at 0.05, so no intensifying or diminishing category either.
    """
    z = np.asarray(z, dtype=np.float64)
    p = np.asarray(p, dtype=np.float64)
    if z.shape != p.shape:
        raise ValueError(f"z and p must have the same shape, got {z.shape} and {p.shape}")
    if z.ndim == 1:
        z, p = z[:, None], p[:, None]
    codes, _hot, _cold = _categorise(year_states(z, p, alpha=alpha), trend_z, trend_p, alpha)
    return _as_categories(codes)


def emerging_cells(z: np.ndarray, states: np.ndarray, *, alpha: float) -> EmergingCells:
    """The trend test and the categories of years x cells of Gi* z and their states.

    ``states`` are :func:`year_states` of the same cells: a caller that streams years keeps
    them (one byte) instead of the p-values.
    """
    trend = mann_kendall(z)
    codes, years_hot, years_cold = _categorise(states, trend.z, trend.p, alpha)
    return EmergingCells(codes=codes, trend=trend, years_hot=years_hot, years_cold=years_cold)


def emerging_frame(
    area_code: pd.Categorical[Any],
    industry_code: pd.Categorical[Any],
    cells: EmergingCells,
    final_class: pd.Categorical[Any],
    years: list[int],
) -> pd.DataFrame:
    """The long table (:data:`EMERGING_COLUMNS`) of cells already categorised."""
    rows = len(cells.codes)
    tested = cells.trend.years
    return pd.DataFrame(
        {
            "area_code": area_code,
            "industry_code": industry_code,
            "category": cells.categories,
            "trend_tau": cells.trend.tau,
            "trend_z": cells.trend.z,
            "trend_p": cells.trend.p,
            "years_hot": cells.years_hot,
            "years_cold": cells.years_cold,
            "final_class": final_class,
            "first_year": np.full(rows, years[0], dtype=np.int32),
            "last_year": np.full(rows, years[-1], dtype=np.int32),
            "years_tested": tested.astype(np.int16),
        },
        columns=list(EMERGING_COLUMNS),
    )


# --- Gi* each year, with or without the previous year --------------------------------------


def gi_star_settings(settings: HotspotsConfig) -> HotspotsConfig:
    """The hot-spot settings with only what Gi* needs: no permutations for analytic Gi*.

    The emerging categories use Gi* alone, so Local Moran's permutations are skipped when
    Gi* is classified by its analytic p-value; Gi*'s numbers are unchanged.
    """
    if settings.gi_star_inference == "analytic":
        return settings.model_copy(update={"permutations": 0, "moran_inference": "analytic"})
    return settings


def space_time_weights(weights: SpatialWeights) -> SpatialWeights:
    r"""Weights over each area this year and last: a space-time neighbourhood of one year.

    Returns
    -------
    SpatialWeights
        Over :math:`2n` areas: the ``n`` areas of ``weights`` (this year), then a copy of each
        for the previous year (code + :data:`PREVIOUS_YEAR_SUFFIX`).

    Notes
    -----
    Area *i* this year neighbours, with the weights of ``weights``:

    * its spatial neighbours this year (as in a one-year Gi*);
    * itself and its spatial neighbours in the previous year. Its own previous year gets
      Gi*'s self-weight (1 for binary weights, the row's largest weight otherwise), so its
      previous year counts as much as its own value does this year.

    This is ArcGIS's space-time neighbourhood with a neighbourhood time step of one interval
    ("all bins within the neighbourhood distance, and their bins in the previous time
    step"), and sfdep's ``k = 1``. A previous-year copy neighbours its own spatial neighbours
    in the previous year only; it is never reported. An island (no spatial neighbour) gets
    no previous-year link, so it stays untested, as the weights' island policy says.
    """
    n = weights.n
    matrix = sparse.csr_array(weights.matrix, dtype=np.float64)
    has_neighbours = weights.cardinalities > 0
    # Gi*'s own self-weight rule (statistics._with_self_weights), for the area's previous year.
    own = np.ones(n) if weights.binary else np.asarray(matrix.max(axis=1).todense()).ravel()
    lagged = sparse.csr_array(
        sparse.diags_array(has_neighbours.astype(np.float64)) @ (matrix + sparse.diags_array(own))
    )
    empty = sparse.csr_array((n, n), dtype=np.float64)
    stacked = sparse.csr_array(sparse.block_array([[matrix, lagged], [empty, matrix]]))
    stacked.eliminate_zeros()
    ids = np.asarray(weights.ids).astype(str)
    previous = np.char.add(ids, PREVIOUS_YEAR_SUFFIX)
    if np.isin(previous, ids).any():
        raise InputDataError(
            f"Area codes end in {PREVIOUS_YEAR_SUFFIX!r}, which time-lagged weights use for "
            "the previous year's copy of each area; rename those areas."
        )
    return SpatialWeights(
        # Fixed-width text, not Python objects: the engine picks the reported areas with
        # np.isin, which compares object arrays element by element against every code (70,000
        # x 35,000 comparisons for the LSOAs, minutes a call) but sorts text arrays (0.2 s).
        ids=np.concatenate([ids, previous]),
        matrix=stacked,
        method=f"{weights.method}, with the previous year",
        binary=weights.binary,
        islands=weights.islands,
        attached=weights.attached,
        notes=weights.notes,
    )


def space_time_hotspots(
    current: pd.DataFrame,
    previous: pd.DataFrame,
    space_time: SpatialWeights,
    settings: HotspotsConfig,
    *,
    say_policies: bool = True,
) -> HotspotResult:
    """Gi* of this year's ``current`` values with last year's ``previous`` as neighbours.

    ``space_time`` is :func:`space_time_weights` of the areas. The mean and variance Gi*
    compares against are over both years' values (ArcGIS's "neighborhood time step" global
    window); the correction counts this year's tests only. The result has one row per area
    (this year) x industry, as :func:`~clustergeo.hotspots.engine.local_hotspots` gives;
    ``say_policies`` as there.
    """
    n = space_time.n // 2
    ids = space_time.ids[:n]
    stacked = np.vstack(
        [
            current.reindex(ids).to_numpy(dtype=np.float64),
            previous.reindex(index=ids, columns=current.columns).to_numpy(dtype=np.float64),
        ]
    )
    values = pd.DataFrame(stacked, index=space_time.ids, columns=current.columns)
    return local_hotspots(values, space_time, settings, report_for=ids, say_policies=say_policies)


# --- The whole analysis --------------------------------------------------------------------


def _check_years(values_by_year: Mapping[int, pd.DataFrame], min_years: int) -> list[int]:
    """The years in order, after checking every year has the same areas and industries."""
    problems = [
        f"{year!r} is not a year"
        for year in values_by_year
        if not isinstance(year, int | np.integer)
    ]
    if problems:
        raise InputDataError("Emerging hot spots: " + "; ".join(problems) + ".")
    years = sorted(int(year) for year in values_by_year)
    if len(years) < min_years:
        raise InputDataError(
            f"Emerging hot spots need at least {min_years} years for a trend; got "
            f"{len(years)} ({', '.join(map(str, years)) or 'none'}). Add years to the input."
        )
    first = values_by_year[years[0]]
    for year in years:
        frame = values_by_year[year]
        for what, labels in (("area", frame.index), ("industry", frame.columns)):
            if labels.has_duplicates:
                repeated = labels[labels.duplicated()].unique()
                problems.append(f"{year} repeats {what} codes {format_examples(repeated)}")
        for what, expected, got in (
            ("areas", first.index, frame.index),
            ("industries", first.columns, frame.columns),
        ):
            missing = expected.difference(got)
            extra = got.difference(expected)
            if len(missing) or len(extra):
                detail = [
                    f"lacks {format_examples(missing)}" if len(missing) else "",
                    f"adds {format_examples(extra)}" if len(extra) else "",
                ]
                problems.append(
                    f"{year} has other {what} than {years[0]}: it "
                    + " and ".join(d for d in detail if d)
                )
    if problems:
        raise InputDataError(
            "Emerging hot spots need the same areas and industries every year: "
            + "; ".join(problems)
            + ". Give every year the same codes (NaN for a missing value)."
        )
    return years


def log_what_years_allow(years: list[int], alpha: float, time_lag: bool) -> None:
    """Say which categories the number and spacing of ``years`` rule out."""
    n = len(years)
    if n < 10:
        log.info(
            "Emerging hot spots over %d years: '90%% of the years' means all %d, and no "
            "area can be a historical hot or cold spot (that needs 10 years or more)",
            n,
            n,
        )
    if minimum_trend_p(n) > alpha:
        log.warning(
            "With %d years no Mann-Kendall trend can reach p <= %g (the smallest possible p "
            "is %.3f): no area can be an intensifying or diminishing hot or cold spot",
            n,
            alpha,
            minimum_trend_p(n),
        )
    gaps = np.diff(years)
    if len(set(gaps.tolist())) > 1:
        log.warning(
            "The years %s are not evenly spaced: the trend test uses their order only%s",
            ", ".join(map(str, years)),
            ", and a year's time-lagged neighbours are in the year before it in the list"
            if time_lag
            else "",
        )


def yearly_hotspots(
    values_by_year: Mapping[int, pd.DataFrame],
    weights: SpatialWeights,
    settings: HotspotsConfig,
    *,
    time_lag: bool = False,
) -> Iterator[tuple[int, HotspotResult]]:
    """Hot spots of each year in turn, each year's Gi* with last year's neighbours if asked.

    Parameters
    ----------
    values_by_year, weights, time_lag
        As for :func:`emerging_hot_spots`.
    settings
        Hot-spot settings, used as given.

    Yields
    ------
    tuple of int and HotspotResult
        Each year (in order) and its :func:`~clustergeo.hotspots.engine.local_hotspots`
        result (rows: areas in the weights' order x industries in the first year's column
        order). With ``time_lag`` a year after the first is :func:`space_time_hotspots`.
        The policies the years applied (missing values, untestable areas and columns) are
        logged once, after the last year, not once a year.
    """
    years = _check_years(values_by_year, 1)
    columns = values_by_year[years[0]].columns
    unknown = values_by_year[years[0]].index.difference(pd.Index(weights.ids))
    if len(unknown):
        raise InputDataError(
            f"{len(unknown)} areas of the values are not in the weights: "
            f"{format_examples(unknown)}. Build the weights from the same boundaries."
        )
    space_time = space_time_weights(weights) if time_lag else None
    reports: dict[int, dict[str, Any]] = {}
    for index, year in enumerate(years):
        values = values_by_year[year][columns]
        if space_time is not None and index > 0:
            previous = values_by_year[years[index - 1]]
            result = space_time_hotspots(values, previous, space_time, settings, say_policies=False)
        else:
            result = local_hotspots(values, weights, settings, say_policies=False)
        reports[year] = result.report
        yield year, result
    _say_yearly_policies(reports)


def _say_yearly_policies(reports: Mapping[int, Mapping[str, Any]]) -> None:
    """Log once the policies the years' hot spots applied, naming the years they differ in.

    Missing values are counted per year here; untestable areas and constant columns are said
    as :func:`~clustergeo.hotspots.engine.log_policies` says them for one call.
    """
    years = list(reports)
    span = f"{years[0]}–{years[-1]}" if len(years) > 1 else str(years[0])

    def by_year(key: str) -> dict[int, int]:
        return {year: int(report[key]) for year, report in reports.items() if report[key]}

    missing = by_year("missing_values")
    if missing:
        counts = set(missing.values())
        if len(missing) == len(years) and len(counts) == 1:
            what = (
                f"{counts.pop()} area x industry values are missing in each of the "
                f"{len(years)} years ({span})"
            )
        else:
            which = "all" if len(missing) == len(years) else f"{len(missing)} of the"
            what = (
                f"Area x industry values are missing in {which} {len(years)} years ({span}): "
                + format_examples(f"{count} in {year}" for year, count in missing.items())
            )
        log.info("%s: no result for them, mean value as a neighbour", what)
    constant: dict[str, list[int]] = {}
    for year, report in reports.items():
        for column in report["zero_variance_columns"]:
            constant.setdefault(column, []).append(year)
    merged = policies_of(list(reports.values()))
    log_policies(
        {
            **merged,
            "missing_values": 0,  # said above, year by year
            "zero_variance_columns": [
                column if len(when) == len(years) else f"{column} ({format_examples(when)})"
                for column, when in constant.items()
            ],
        }
    )


def emerging_hot_spots(
    values_by_year: Mapping[int, pd.DataFrame],
    weights: SpatialWeights,
    settings: HotspotsConfig,
    *,
    time_lag: bool = False,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Emerging hot spots of every industry: Gi* each year, the trend, the category.

    Parameters
    ----------
    values_by_year
        Year -> areas x industries (the analysed variable, e.g. LQs), indexed by area code,
        with the same areas and industries every year; NaN where a value is missing.
    weights
        Spatial weights over the areas.
    settings
        The run's ``hotspots`` settings: Gi* inference, alternative and correction.
    time_lag
        Count each area's neighbours (and itself) in the previous year as neighbours
        (:func:`space_time_weights`). The first year has no previous year: its Gi* is the
        spatial one, as the first time step of an ArcGIS space-time cube.
    alpha
        Significance of a year's hot or cold spot (on ``gi_star_p_fdr``) and of the trend.

    Returns
    -------
    pandas.DataFrame
        One row per area x industry (areas in the weights' order, industries in the input's
        column order) with :data:`EMERGING_COLUMNS`: ``category`` (:func:`classify`),
        ``trend_tau``, ``trend_z``, ``trend_p`` (:func:`mann_kendall` of the Gi* z series),
        ``years_hot`` and ``years_cold`` (years significant at ``alpha``), ``final_class``
        (the final year's Gi* class, as on the hot-spot maps), ``first_year``,
        ``last_year`` and ``years_tested`` (years with a Gi* result).

    Raises
    ------
    InputDataError
        Fewer than three years, or years with different areas or industries.

    Notes
    -----
    The module docstring and :func:`classify` state the method and every rule. An area x
    industry without a Gi* result in some year (a missing value, an island, an industry
    with one value everywhere that year) is ``not_tested``; its trend uses the years it has.
    :func:`emerging_analysis` also says where too few permutations withheld a year's hot or
    cold spots.
    """
    return emerging_analysis(
        values_by_year, weights, settings, time_lag=time_lag, alpha=alpha
    ).table


@dataclass(frozen=True)
class EmergingAnalysis:
    """Emerging hot spots (:func:`emerging_hot_spots`) and where their permutations fell short."""

    table: pd.DataFrame
    #: The industries with, in some year, an area at the permutation floor that the
    #: correction left not significant at ``alpha``: at most one limit, for Gi*.
    floor: list[FloorLimit]


def emerging_analysis(
    values_by_year: Mapping[int, pd.DataFrame],
    weights: SpatialWeights,
    settings: HotspotsConfig,
    *,
    time_lag: bool = False,
    alpha: float = 0.05,
    check: FloorCheck | None = None,
) -> EmergingAnalysis:
    """:func:`emerging_hot_spots`, with each year's Gi* checked at its permutation floor.

    A year's Gi* classified by permutation p-values can miss a hot spot for want of
    permutations, not of data (:mod:`clustergeo.hotspots.permutation_floor`): an area beyond
    every permutation whose corrected p-value stays above ``alpha``. The years' limits are
    merged into one (the industries of any year, their area-years added up) and logged as a
    warning, as ``check`` says (by default: every area, industries named by code, the
    advice to call with more permutations).
    """
    check = check or FloorCheck()
    years = _check_years(values_by_year, MIN_TREND_YEARS)
    columns = values_by_year[years[0]].columns
    log_what_years_allow(years, alpha, time_lag)
    n_cells = weights.n * len(columns)
    z = np.empty((len(years), n_cells))
    states = np.empty((len(years), n_cells), dtype=np.int8)
    table = pd.DataFrame()
    gi_star = gi_star_settings(settings)
    limits: list[FloorLimit] = []
    yearly = yearly_hotspots(values_by_year, weights, gi_star, time_lag=time_lag)
    for index, (_year, result) in enumerate(yearly):
        table = result.table
        z[index] = table["gi_star_z"].to_numpy()
        states[index] = year_states(z[index], table["gi_star_p_fdr"].to_numpy(), alpha=alpha)
        if gi_star.gi_star_inference == "permutation":
            limits += _year_floor_limits(table, states[index], gi_star, alpha, check)
    floor = merged_floor_limits(
        limits,
        [str(c) for c in columns],
        gi_star.alternative,
        at_least=check.at_least,
        over_years=len(years) > 1,
    )
    for limit in floor:
        log_floor_limit(limit, gi_star.permutations, check.fix)
    cells = emerging_cells(z, states, alpha=alpha)
    area_code = pd.Categorical.from_codes(
        np.repeat(np.arange(weights.n), len(columns)),
        categories=pd.Index(np.asarray(weights.ids).astype(str)),
        validate=False,
    )
    industry_code = pd.Categorical(
        np.tile(columns.astype(str).to_numpy(), weights.n),
        categories=sorted(set(columns.astype(str))),
    )
    final_class = pd.Categorical(table["gi_star_class"], categories=list(GI_STAR_CLASSES))
    result_table = emerging_frame(area_code, industry_code, cells, final_class, years)
    _log_counts(result_table)
    return EmergingAnalysis(result_table, floor)


@dataclass(frozen=True)
class FloorCheck:
    """How :func:`emerging_analysis` checks and reports each year's permutation floor."""

    #: Each industry's label and kind (``industry``, ``cluster``) by code; the code, and
    #: ``industry``, where missing.
    labels: Mapping[str, str] | None = None
    kinds: Mapping[str, str] | None = None
    #: The areas the categories are reported for (the others, an edge buffer, only lend
    #: neighbours and count in the correction); None for every area.
    report_for: Collection[str] | None = None
    #: The least permutations the advice gives (what the caller's raise needed).
    at_least: int = 0
    #: What the warning advises, with ``{needed}`` for the permutations needed.
    fix: str = "call with permutations={needed} or more"


def _year_floor_limits(
    table: pd.DataFrame,
    states: np.ndarray,
    settings: HotspotsConfig,
    alpha: float,
    check: FloorCheck,
) -> list[FloorLimit]:
    """One year's Gi* limits at ``alpha``, where a year's hot or cold spot is judged.

    Every tested area counts in the correction's tests; only the reported ones are counted
    as withheld.
    """
    withheld = states == NOT_SIGNIFICANT
    if check.report_for is not None:
        withheld &= _by_category(table["area_code"], set(map(str, check.report_for)).__contains__)
    codes = table["industry_code"]
    judged = pd.DataFrame(
        {
            "industry_code": codes,
            "emerging_p_sim": table["gi_star_p_sim"],
            # Categorical: no string per row (millions of rows on a national run).
            "emerging_class": pd.Categorical.from_codes(
                withheld.astype(np.int8),
                categories=pd.Index(["significant_or_unreported", "not_significant"]),
            ),
        }
    )
    if check.kinds is not None:
        kinds = check.kinds
        judged["kind"] = _by_category(codes, lambda code: kinds.get(code, "industry"))
    return floor_limits(
        judged,
        settings,
        labels=check.labels,
        at_least=check.at_least,
        statistics={"emerging": ("emerging hot spots' Gi*", alpha)},
    )


def _by_category(column: pd.Series, value: Callable[[str], Any]) -> np.ndarray:
    """``value`` of each row's code, worked out once per category of the engine's column.

    The result table's codes are categorical, millions of rows on a national run: no string
    is made per row.
    """
    per_category = np.array([value(str(code)) for code in column.cat.categories])
    return per_category[column.cat.codes.to_numpy()]


def _log_counts(table: pd.DataFrame) -> None:
    counts = table["category"].value_counts()
    found = [f"{counts[c]} {c}" for c in EMERGING_CLASSES if counts.get(c, 0)]
    log.info("Emerging hot spots: %s", ", ".join(found) or "no areas")


# numba's cache of this module's kernels, checked against the sources they are built from.
refresh_module_cache(globals())
