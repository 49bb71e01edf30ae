r"""Stage 2, concentration: location quotients with confidence intervals, and specialisation.

The location quotient of area *i* in industry *j* compares the industry's share of the area's
employment with its share of a reference economy:

.. math:: LQ_{ij} = \frac{e_{ij} / e_i}{E_j / E}

where :math:`e_{ij}` is the area's employment in the industry, :math:`e_i` the area's total,
:math:`E_j` the reference employment in the industry and :math:`E` the reference total
(Isard 1960; Miller, Gibson & Wright 1991). The reference is all areas of the study area, every
area of the employment table (a national table gives national LQs), or supplied national totals.

Confidence intervals follow Moineddin, Beyene & Boyle (2003), "On the location quotient
confidence interval", *Geographical Analysis* 35(3): 249–256, treating counts as Poisson and
applying the delta method to :math:`\ln LQ`:

.. math:: \operatorname{Var}(\ln LQ_{ij}) \approx
          \frac{1}{e_{ij}} - \frac{1}{e_i} + \frac{1}{E_j} - \frac{1}{E}

giving :math:`LQ \exp(\pm z_{1-\alpha/2} \sqrt{\operatorname{Var}})`. For a zero count the
logarithm is undefined; the interval is then :math:`[0, u/(e_i E_j/E)]` with :math:`u` the
exact (Garwood 1936) upper Poisson limit for an observed zero, :math:`\chi^2_{1-\alpha/2,2}/2`.

The interval treats the values as counts of people. For values that are not counts (GVA in
pounds) it would change with the unit (£m or £), so it is not computed (``intervals=False``):
the LQ itself does not depend on the unit.

Small denominators make LQs noisy (an area of 40 workers with 4 in one industry can show
LQ = 40). LQs are always reported, but flagged ``lq_unreliable`` when the area employs fewer
than ``min_area_employment`` people in total or the cell holds fewer than
``min_cell_employment``; suppressed cells give a missing LQ, never a zero.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

from clustergeo._errors import InputDataError
from clustergeo._validate import format_examples
from clustergeo.config import ConcentrationConfig

__all__ = [
    "LqSettings",
    "absent_pairs_notes",
    "aggregate_cluster_definitions",
    "district_location_quotients",
    "employment_matrix",
    "location_quotients",
    "lq_above_test",
    "lq_log_variance",
    "lq_matrix",
    "specialisation_indices",
]


@dataclass(frozen=True)
class LqSettings:
    """Floors and interval level for :func:`location_quotients`.

    ``intervals`` is False for values that are not counts of people (GVA): the Poisson
    interval would depend on the unit, so ``lq_lower`` and ``lq_upper`` are left missing.
    """

    min_area_employment: float = 100
    min_cell_employment: float = 5
    confidence_level: float = 0.95
    intervals: bool = True

    @classmethod
    def from_config(cls, config: ConcentrationConfig) -> LqSettings:
        """Settings from the ``concentration`` section of a run config."""
        return cls(
            min_area_employment=config.min_area_employment,
            min_cell_employment=config.min_cell_employment,
            confidence_level=config.confidence_level,
        )


def employment_matrix(employment: pd.DataFrame) -> pd.DataFrame:
    """Pivot tidy employment (area_code, industry_code, employment) to areas x industries.

    Missing (suppressed) cells stay NaN; area x industry pairs absent from the table are zero.
    """
    matrix = employment.pivot_table(
        index="area_code",
        columns="industry_code",
        values="employment",
        aggfunc="first",
        dropna=False,
    )
    present = employment.assign(one=1).pivot_table(
        index="area_code", columns="industry_code", values="one", aggfunc="first"
    )
    matrix = matrix.where(present.notna(), 0.0)
    return matrix.sort_index().sort_index(axis=1).astype("float64")


def absent_pairs_notes(employment: pd.DataFrame, matrix: pd.DataFrame) -> list[str]:
    """Say how many area x industry pairs the table leaves out (they count as zero), and which.

    Tables that omit zero rows are normal; a download cut short, or a row deleted, looks the
    same, so the count, the first areas and pairs are reported for the user to judge (the
    caller logs it).
    """
    present = employment.groupby("area_code")["industry_code"].nunique()
    absent = (matrix.shape[1] - present.reindex(matrix.index, fill_value=0)).astype(int)
    absent = absent.loc[absent > 0]
    if absent.empty:
        return []
    industries = set(matrix.columns)
    pairs = [
        f"{area} x {industry}"
        for area in absent.index[:3]
        for industry in sorted(
            industries - set(employment.loc[employment["area_code"] == area, "industry_code"])
        )[:2]
    ]
    note = (
        f"{int(absent.sum())} area x industry pairs are not in the employment table and count "
        f"as zero employment, in {len(absent)} areas: {format_examples(absent.index)} (e.g. "
        f"{', '.join(pairs)}). Tables that leave out zero rows are fine; a download cut short, "
        "or a row deleted, is not."
    )
    return [note]


def aggregate_cluster_definitions(
    matrix: pd.DataFrame, definitions: Mapping[str, Sequence[str]]
) -> pd.DataFrame:
    """Sum each cluster definition's member industries; missing if any member is suppressed.

    A suppressed member makes the sum unknown: it is kept missing rather than understated.
    """
    columns = {
        key: matrix[list(codes)]
        .sum(axis=1, min_count=len(codes))
        .where(matrix[list(codes)].notna().all(axis=1))
        for key, codes in definitions.items()
    }
    return pd.DataFrame(columns, index=matrix.index)


def lq_matrix(e_ij: np.ndarray, e_i: np.ndarray, share: np.ndarray) -> np.ndarray:
    r"""Location quotients :math:`(e_{ij}/e_i)/(E_j/E)` of an areas x industries array.

    ``e_i`` is a column of area totals and ``share`` a row of reference shares
    :math:`E_j/E`. NaN where the quotient is undefined: a suppressed (NaN) count, an area
    without employment, an industry without reference employment.
    """
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        lq = (e_ij / e_i) / share
    return np.where(~np.isfinite(lq) | np.isnan(e_ij), np.nan, lq)


def lq_log_variance(
    e_ij: np.ndarray | float,
    e_i: np.ndarray | float,
    big_e_j: np.ndarray | float,
    big_e: float,
) -> np.ndarray:
    r"""Delta-method variance of :math:`\ln LQ` (Moineddin, Beyene & Boyle 2003).

    .. math:: \operatorname{Var}(\ln LQ) \approx
              \frac{1}{e_{ij}} - \frac{1}{e_i} + \frac{1}{E_j} - \frac{1}{E}

    Counts are treated as Poisson. Clipped at 0 (a cell holding the whole area's employment
    in an industry holding the whole reference gives a tiny negative value by rounding);
    infinite for a zero count.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        variance = 1 / np.asarray(e_ij, dtype="float64") - 1 / np.asarray(e_i, dtype="float64")
        variance = variance + 1 / np.asarray(big_e_j, dtype="float64") - 1 / float(big_e)
    return np.asarray(np.clip(variance, 0, None))


def lq_above_test(
    lq: np.ndarray, variance: np.ndarray, threshold: float
) -> tuple[np.ndarray, np.ndarray]:
    r"""One-sided test that a location quotient exceeds ``threshold``.

    :math:`H_0: LQ \le L_0` against :math:`H_1: LQ > L_0`, on the log scale with the
    delta-method variance of :func:`lq_log_variance`:

    .. math:: z = \frac{\ln LQ - \ln L_0}{\sqrt{\operatorname{Var}(\ln LQ)}}, \qquad
              p = 1 - \Phi(z)

    The lower bound of the two-sided 95% interval of :func:`location_quotients` lies above
    :math:`L_0` exactly when :math:`p < 0.025`. Returns ``(z, p)``; both NaN where the LQ is
    undefined, and ``p`` is 1 for a zero LQ (it cannot exceed any positive threshold).
    """
    lq = np.asarray(lq, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (np.log(lq) - np.log(threshold)) / np.sqrt(variance)
    z = np.where(lq == 0, -np.inf, z)
    p = special.ndtr(-z)  # the normal upper tail, as scipy.stats.norm.sf computes it
    undefined = np.isnan(lq)
    return np.where(undefined, np.nan, z), np.where(undefined, np.nan, p)


def location_quotients(
    counts: pd.DataFrame,
    area_totals: pd.Series,
    reference_industry: pd.Series,
    reference_total: float,
    settings: LqSettings | None = None,
) -> pd.DataFrame:
    """Location quotients with confidence intervals for every area x column of ``counts``.

    Parameters
    ----------
    counts
        Areas x industries (or cluster definitions) employment; NaN where suppressed.
    area_totals
        Each area's total employment over all industries, :math:`e_i` (aligned to ``counts``).
    reference_industry
        Reference employment per column of ``counts``, :math:`E_j`.
    reference_total
        Reference total employment :math:`E`.
    settings
        Floors and interval level.

    Returns
    -------
    pandas.DataFrame
        Long table, one row per area x column, in the order of ``counts``: ``area_code``,
        ``industry_code``, ``employment``, ``area_total``, ``reference_share``
        (:math:`E_j/E`), ``lq``, ``lq_lower``, ``lq_upper``, ``lq_unreliable`` and
        ``lq_note`` ('suppressed', 'negative', 'small area', 'small count', or for values that
        are not counts (``settings.intervals`` False) 'small value', or '').

    Notes
    -----
    See the module docstring for the formula and the interval (Moineddin et al. 2003).
    """
    settings = settings or LqSettings()
    if reference_total <= 0:
        raise InputDataError("The reference economy has no employment: LQs cannot be computed.")
    e_ij = counts.to_numpy(dtype="float64")
    e_i = area_totals.reindex(counts.index).to_numpy(dtype="float64")[:, None]
    big_e_j = reference_industry.reindex(counts.columns).to_numpy(dtype="float64")[None, :]
    big_e = float(reference_total)
    share = big_e_j / big_e
    # A fractional count (a grid cell's share of an area) can make the interval unbounded.
    lq = lq_matrix(e_ij, e_i, share)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        z = special.ndtri(0.5 + settings.confidence_level / 2)  # scipy.stats.norm.ppf
        half_width = z * np.sqrt(lq_log_variance(e_ij, e_i, big_e_j, big_e))
        lower = lq * np.exp(-half_width)
        upper = lq * np.exp(half_width)
        # scipy.stats.chi2.ppf(q, 2) / 2: scipy computes chi2.ppf as 2 * gammaincinv(df / 2, q).
        zero_upper = special.gammaincinv(1.0, 0.5 + settings.confidence_level / 2)
        zero = e_ij == 0
        lower = np.where(zero, 0.0, lower)
        upper = np.where(zero, (zero_upper / e_i) / share, upper)
    undefined = np.isnan(lq) | (not settings.intervals)
    lower = np.where(undefined, np.nan, lower)
    upper = np.where(undefined, np.nan, upper)

    suppressed = np.isnan(e_ij)
    # Output (GVA) can be negative: a share of or in a negative total is no concentration.
    negative = (e_ij < 0) | np.broadcast_to((e_i < 0) | (share < 0), e_ij.shape)
    small_area = np.broadcast_to(e_i < settings.min_area_employment, e_ij.shape)
    small_count = ~suppressed & (e_ij < settings.min_cell_employment)
    note = np.select(
        [suppressed, negative, small_area, small_count],
        # GVA under the floor is a small value, not a count.
        [
            "suppressed",
            "negative",
            "small area",
            "small count" if settings.intervals else "small value",
        ],
        "",
    )
    n_areas, n_columns = e_ij.shape
    return pd.DataFrame(
        {
            "area_code": np.repeat(counts.index.to_numpy(), n_columns),
            "industry_code": np.tile(counts.columns.to_numpy(), n_areas),
            "employment": e_ij.ravel(),
            "area_total": np.repeat(e_i.ravel(), n_columns),
            "reference_share": np.tile(share.ravel(), n_areas),
            "lq": lq.ravel(),
            "lq_lower": lower.ravel(),
            "lq_upper": upper.ravel(),
            "lq_unreliable": (note != "").ravel(),
            "lq_note": note.ravel(),
        }
    )


def specialisation_indices(counts: pd.DataFrame, reference_share: pd.Series) -> pd.DataFrame:
    r"""How specialised each area's employment mix is.

    ``krugman_index`` is Krugman's (1991) dissimilarity between the area's industry shares
    :math:`s_{ij}` and the reference shares :math:`S_j`, :math:`K_i = \sum_j |s_{ij} - S_j|`
    (0 = same mix as the reference, 2 = no industry in common). ``hhi`` is the
    Hirschman–Herfindahl index of the area's shares, :math:`\sum_j s_{ij}^2`. Both use only
    industries with known counts (suppressed cells are left out).
    """
    known = counts.fillna(0.0)
    totals = known.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        shares = known.div(totals, axis=0)
    reference = reference_share.reindex(counts.columns).fillna(0.0)
    reference = reference / reference.sum()
    return pd.DataFrame(
        {
            "krugman_index": (shares - reference).abs().sum(axis=1).where(totals > 0),
            "hhi": (shares**2).sum(axis=1).where(totals > 0),
        }
    ).rename_axis("area_code")


def district_location_quotients(
    counts: pd.DataFrame,
    *,
    area_totals: pd.Series,
    district_of: pd.Series,
    reference_industry: pd.Series,
    reference_total: float,
    settings: LqSettings,
) -> pd.DataFrame:
    """LQs of districts: the same formula on employment summed over each district's areas.

    A district's count is missing when any of its areas' counts is suppressed.
    """
    keys = district_of.reindex(counts.index).to_numpy()
    by_district = counts.groupby(keys).sum(min_count=1).where(counts.notna().groupby(keys).all())
    district_totals = area_totals.reindex(counts.index).groupby(keys).sum()
    return location_quotients(
        by_district, district_totals, reference_industry, reference_total, settings
    ).rename(columns={"area_code": "district_code"})
