r"""How strong each finding is: a score from 0 to 100 and 0 to 3 stars.

The stars follow the European Cluster Observatory (Ketels & Sölvell 2006, *Innovation
Clusters in the 10 New Member States of the European Union*, Europe INNOVA Paper 1; Sölvell,
Ketels & Lindqvist 2009, *The European Cluster Observatory: EU Cluster Mapping and
Strengthening Clusters in Europe*, Europe INNOVA Paper 12), which gives a regional cluster one
star for each of three dimensions on which it stands out:

``size``
    the finding's share of the industry's employment in the study area,
    :math:`e_f / E_j^{study}` (the Observatory: share of the industry's European employment);
``specialisation``
    the finding's location quotient, taken as one area;
``focus``
    the industry's share of all the jobs in the finding's areas, :math:`e_f / \sum_{i \in f}
    e_i`: how much of the place is this industry.

A finding gets a star for a dimension when it is in the top ``star_share`` (default the top
decile) of the run's findings on it, as the Observatory does for size and focus: with *N*
findings, the :math:`\lceil N \cdot share \rceil` largest values, ties included. (The
Observatory gives the specialisation star for an LQ of at least 2 instead; a decile keeps the
three stars equally rare whatever the data's industry detail, since section-level LQs of 2
are common.) ``stars`` is their number, 0 to 3.

The **strength** score adds the evidence: ``significance``, the number of standard errors by
which the finding's log LQ exceeds 0 (:math:`z = \ln LQ_f / \sqrt{\operatorname{Var}(\ln
LQ_f)}`, Moineddin, Beyene & Boyle 2003), the same statistic for clusters and
concentrations. It is the mean of the four percentile ranks among the run's findings,
:math:`(r - 1) / (N - 1)` with average ranks for ties (1 for a lone finding), times 100. Of
GVA, which is not a count, there is no such z, and the strength is the mean of the other three.
Growth joins the dimensions once findings have a time dimension.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

__all__ = ["STAR_DIMENSIONS", "STRENGTH_DIMENSIONS", "strength_scores"]

#: Dimensions that earn a star: column of the findings table holding each.
STAR_DIMENSIONS = {"size": "employment_share", "specialisation": "lq", "focus": "focus"}
#: Dimensions of the strength score.
STRENGTH_DIMENSIONS = {**STAR_DIMENSIONS, "significance": "lq_z"}


def _percentile_rank(values: pd.Series) -> pd.Series:
    if len(values) == 1:
        return pd.Series(1.0, index=values.index)
    return (values.rank(method="average") - 1) / (len(values) - 1)


def strength_scores(findings: pd.DataFrame, star_share: float = 0.1) -> pd.DataFrame:
    """Stars and strength of every finding, aligned to ``findings``.

    Parameters
    ----------
    findings
        One row per finding with ``employment_share``, ``lq``, ``focus`` and ``lq_z``.
    star_share
        The top share of findings that earns a star on a dimension (0.1: the top decile).

    Returns
    -------
    pandas.DataFrame
        ``star_size``, ``star_specialisation``, ``star_focus`` (bool), ``stars`` (0-3) and
        ``strength`` (0-100). A missing value ranks lowest and earns no star; a dimension
        missing for every finding is left out of the strength.
    """
    n = len(findings)
    out = pd.DataFrame(index=findings.index)
    if n == 0:
        for name in STAR_DIMENSIONS:
            out[f"star_{name}"] = pd.Series(dtype=bool)
        out["stars"] = pd.Series(dtype="int64")
        out["strength"] = pd.Series(dtype="float64")
        return out
    top = math.ceil(n * star_share)
    for name, column in STAR_DIMENSIONS.items():
        values = findings[column].astype(float)
        # Rank 1 is the largest; "min" ties share the best rank, so ties at the cut all get it.
        rank = values.rank(method="min", ascending=False)
        out[f"star_{name}"] = (rank <= top) & values.notna()
    out["stars"] = out[[f"star_{name}" for name in STAR_DIMENSIONS]].sum(axis=1).astype("int64")
    # A dimension no finding has (significance, of GVA) is left out rather than tied.
    ranks = [
        _percentile_rank(findings[column].astype(float).fillna(-np.inf))
        for column in STRENGTH_DIMENSIONS.values()
        if findings[column].notna().any()
    ]
    out["strength"] = (100 * pd.concat(ranks, axis=1).mean(axis=1)).round(1)
    return out
