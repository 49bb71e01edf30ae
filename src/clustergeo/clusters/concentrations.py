r"""Concentrations: single places specialised in an industry that Gi* cannot see.

A large plant among residential areas (Jaguar Land Rover at Solihull: 6,087 manufacturing
jobs in one MSOA, LQ 8.1, whose neighbours employ well under the national share) is
invisible to Gi*: the statistic sums an area with its neighbours, and the plant's
neighbourhood is average. Users still expect it reported, as what it is: a **concentration**,
one place (or a few neighbouring places) whose own specialisation is significant, which is
not a cluster because no neighbourhood shares it.

The rule, per industry *j*, for the study area's areas not already in a cluster of *j* (in its
core or its extent):

1. **Significant specialisation.** The one-sided test of :math:`H_0: LQ_{ij} \le L_0`
   (``min_lq``, default 3) on the log LQ with the delta-method variance of Moineddin, Beyene
   & Boyle (2003),

   .. math:: z_{ij} = \frac{\ln LQ_{ij} - \ln L_0}
                          {\sqrt{1/e_{ij} - 1/e_i + 1/E_j - 1/E}}, \qquad p_{ij} = 1 - \Phi(z_{ij}),

   with the Benjamini & Hochberg (1995) false discovery rate controlled over the industry's
   areas: corrected :math:`p \le` ``significance``. LQs flagged unreliable (small area or
   small count) are left out. :math:`L_0 = 3` asks that the industry's share of the area's
   jobs be at least three times its national share: the European Cluster Observatory's
   specialisation star is :math:`LQ \ge 2` for whole regions (Sölvell, Ketels & Lindqvist
   2009), but small areas of a few thousand workers pass 2 easily inside an industrial
   region (on the Midlands, 1.4 times as specialised in manufacturing as England and Wales,
   :math:`L_0 = 2` yields about twice as many concentrations, most of them ordinary
   manufacturing neighbourhoods).
   For values that are not counts of people (GVA in £), the test has no meaning: its variance
   treats values as Poisson counts, so it would change with the unit (£m or £k). There the
   rule is the LQ itself, :math:`LQ_{ij} \ge L_0`, and the report says so.
2. **Neighbouring specialised areas are one concentration**: a plant whose site spans two
   areas, or a small group too small for Gi* to see, is reported once.
3. **Size.** A concentration employs at least ``min_employment`` people in the industry
   (default 1,000) and at least ``min_employment_share`` of the industry's study-area
   employment (default 0.4%), so a concentration is a sizeable part of the region's industry
   whatever the industry's size.

Local Moran's I (Anselin 1995) names a spatial outlier a significant high-low area. It is
reported for each concentration (``moran_outlier``) rather than required: single plants
usually sit among average areas, not markedly low ones, and their Local Moran statistic is
then not significant (on the Midlands, none of Jaguar Land Rover Solihull, Rolls-Royce Derby
and Toyota Burnaston is a significant high-low outlier, though all three are in the high-low
quadrant).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from clustergeo.clusters.delineate import Group, Groups, join_neighbours
from clustergeo.concentration import lq_above_test, lq_log_variance
from clustergeo.config import ConcentrationsConfig
from clustergeo.hotspots.multiple_testing import adjust_p_values
from clustergeo.hotspots.weights import SpatialWeights

__all__ = ["concentration_floor", "find_concentrations", "lq_tests"]


def lq_tests(
    results: pd.DataFrame, settings: ConcentrationsConfig, reference_total: float
) -> pd.DataFrame:
    """The LQ-above-threshold test of every row, corrected within each industry.

    Returns ``lq_test_z``, ``lq_test_p`` and ``lq_test_p_fdr`` aligned to ``results``
    (which needs ``industry_code``, ``employment``, ``area_total``, ``reference_share`` and
    ``lq``). NaN where the LQ is undefined.
    """
    share = results["reference_share"].to_numpy(dtype=float)
    variance = lq_log_variance(
        results["employment"].to_numpy(dtype=float),
        results["area_total"].to_numpy(dtype=float),
        share * reference_total,
        reference_total,
    )
    z, p = lq_above_test(results["lq"].to_numpy(dtype=float), variance, settings.min_lq)
    adjusted = np.full(len(results), np.nan)
    for _code, rows in results.groupby("industry_code", observed=True, sort=False).indices.items():
        adjusted[rows] = adjust_p_values(p[rows].reshape(-1, 1), "fdr_bh").ravel()
    return pd.DataFrame(
        {"lq_test_z": z, "lq_test_p": p, "lq_test_p_fdr": adjusted}, index=results.index
    )


def concentration_floor(settings: ConcentrationsConfig, industry_employment: float) -> float:
    """The smallest employment of a concentration of an industry employing this many."""
    return max(settings.min_employment, settings.min_employment_share * industry_employment)


def find_concentrations(
    results: pd.DataFrame,
    weights: SpatialWeights,
    settings: ConcentrationsConfig,
    columns: list[str],
    *,
    taken: pd.Series,
    reference_total: float,
    values_are_counts: bool = True,
) -> Groups:
    r"""The concentrations of each industry (see the module docstring for the rule).

    Parameters
    ----------
    results
        One row per study-area area x industry: ``area_code``, ``industry_code``,
        ``employment``, ``area_total``, ``reference_share``, ``lq`` and, when known,
        ``lq_unreliable``.
    weights
        The run's spatial weights: neighbouring specialised areas are one concentration.
    settings
        The ``clusters.concentrations`` section of the config.
    columns
        Industry / cluster-definition codes to look at.
    taken
        Aligned to ``results``: True for rows already in a cluster of their industry.
    reference_total
        Employment of the LQ's reference economy, :math:`E`.
    values_are_counts
        False for GVA: specialisation is then :math:`LQ \ge L_0`, without the count test.

    Returns
    -------
    Groups
        One :class:`Group` per concentration (``kind`` ``"concentration"``; its extent is its
        core) and, per industry, ``specialised_areas``, ``concentrations`` and
        ``dropped_small``.
    """
    found = Groups()
    if not settings.enabled:
        return found
    results = results.loc[results["industry_code"].astype(str).isin(columns)]
    tests = lq_tests(results, settings, reference_total)
    reliable = (
        ~results["lq_unreliable"].astype(bool)
        if "lq_unreliable" in results
        else pd.Series(True, index=results.index)
    )
    if values_are_counts:
        specialised = (tests["lq_test_p_fdr"] <= settings.significance) & reliable
    else:
        tests.loc[:, :] = np.nan
        specialised = (results["lq"] >= settings.min_lq) & reliable
    study_employment = results.groupby("industry_code", observed=True)["employment"].sum()
    chosen = results.assign(**tests).loc[specialised & ~taken.reindex(results.index).fillna(False)]
    for code in columns:
        group = chosen.loc[chosen["industry_code"].astype(str) == code]
        floor = concentration_floor(settings, float(study_employment.get(code, 0.0)))
        counts = {"specialised_areas": len(group), "concentrations": 0, "dropped_small": 0}
        found.per_industry[code] = counts
        if group.empty:
            continue
        labels = join_neighbours(group["area_code"], weights)
        for label in np.unique(labels):
            part = group.iloc[np.flatnonzero(labels == label)]
            if float(part["employment"].sum()) < floor:
                counts["dropped_small"] += 1
                continue
            counts["concentrations"] += 1
            found.groups.append(Group(code, "concentration", part, part))
    return found
