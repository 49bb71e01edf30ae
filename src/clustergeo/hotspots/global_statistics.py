r"""Is the industry clustered at all? Global Moran's I and Getis-Ord General G per industry.

Local statistics say *where*; these say *whether*: an industry spread at random over the
areas can still show a few local hot spots by chance, and one that is clustered shows it
here first. Both are computed on the variable the local statistics analyse (the LQ by
default), over the study area's areas with a value, with the run's weights restricted to
them (transformed as configured, the diagonal zero).

**Moran's I** (Moran 1950; Cliff & Ord 1981), with :math:`z_i = x_i - \bar x`,
:math:`S_0 = \sum_{ij} w_{ij}`:

.. math:: I = \frac{n}{S_0} \frac{\sum_i \sum_j w_{ij} z_i z_j}{\sum_i z_i^2},
          \qquad E[I] = -\frac{1}{n - 1}

and its variance under randomisation (Cliff & Ord 1981, eq. 1.38), with
:math:`S_1 = \frac12 \sum_{ij} (w_{ij} + w_{ji})^2`, :math:`S_2 = \sum_i (w_{i\cdot} +
w_{\cdot i})^2` and the kurtosis :math:`k = n \sum z_i^4 / (\sum z_i^2)^2`:

.. math:: \operatorname{Var}(I) = \frac{n[(n^2 - 3n + 3)S_1 - nS_2 + 3S_0^2]
          - k[(n^2 - n)S_1 - 2nS_2 + 6S_0^2]}{(n-1)(n-2)(n-3)S_0^2} - E[I]^2

**General G** (Getis & Ord 1992), for non-negative values:

.. math:: G = \frac{\sum_i \sum_{j \ne i} w_{ij} x_i x_j}{\sum_i \sum_{j \ne i} x_i x_j},
          \qquad E[G] = \frac{S_0}{n(n-1)}

with the variance of Getis & Ord (1992, eq. 12) in the moments :math:`m_r = \sum x_i^r`. A
high G means high values sit beside high values; Moran's I also counts low beside low.

**Inference.** z-scores from the moments above, and pseudo p-values from ``permutations``
random permutations of the values over the areas (seeded), :math:`(c + 1)/(P + 1)` with *c*
the permutations at least as extreme, for the run's ``alternative`` (as the local
statistics). The verdict ``pattern`` is ``clustered`` when Moran's permutation p-value is at
most 0.05 and I exceeds E[I], ``dispersed`` when it is at most 0.05 and I is below, else
``random``. esda's ``Moran`` and ``G`` give the same statistics, moments and z-scores (tested);
esda's ``G`` always uses binary weights, this module the run's.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import Literal

import numpy as np
import pandas as pd
from scipy import sparse

from clustergeo.hotspots.statistics import normal_p_values, permutation_p_values
from clustergeo.hotspots.weights import SpatialWeights

__all__ = ["PATTERN_LEVEL", "general_g", "global_statistics", "moran_i", "permutation_orders"]

Alternative = Literal["two-sided", "greater", "less", "folded"]
#: Largest permutation p-value of Moran's I called a pattern.
PATTERN_LEVEL = 0.05
_CHUNK = 256


def _sums(w: sparse.csr_array) -> tuple[float, float, float]:
    s0 = float(w.sum())
    symmetric = w + w.T
    s1 = 0.5 * float(symmetric.multiply(symmetric).sum())
    s2 = float(((np.asarray(w.sum(axis=1)).ravel() + np.asarray(w.sum(axis=0)).ravel()) ** 2).sum())
    return s0, s1, s2


def _z(difference: float, variance: float) -> float:
    """A z-score, NaN when the variance vanishes (every area the neighbour of every other)."""
    return difference / np.sqrt(variance) if variance > 0 else float("nan")


def moran_i(x: np.ndarray, w: sparse.csr_array) -> dict[str, float]:
    """Moran's I with its expectation, randomisation variance and z-score.

    ``w`` is ``n x n`` with a zero diagonal, as used (already transformed).
    """
    n = len(x)
    z = x - x.mean()
    s0, s1, s2 = _sums(w)
    sum_squares = float((z**2).sum())
    i = n / s0 * float(z @ (w @ z)) / sum_squares
    expected = -1.0 / (n - 1)
    k = n * float((z**4).sum()) / sum_squares**2
    a = n * ((n**2 - 3 * n + 3) * s1 - n * s2 + 3 * s0**2)
    b = k * ((n**2 - n) * s1 - 2 * n * s2 + 6 * s0**2)
    variance = (a - b) / ((n - 1) * (n - 2) * (n - 3) * s0**2) - expected**2
    return {
        "moran_i": i,
        "moran_expected": expected,
        "moran_variance": variance,
        "moran_z": _z(i - expected, variance),
    }


def general_g(x: np.ndarray, w: sparse.csr_array) -> dict[str, float]:
    """Getis-Ord General G with its expectation, variance and z-score (non-negative ``x``)."""
    n = len(x)
    s0, s1, s2 = _sums(w)
    m1, m2, m3, m4 = (float((x**r).sum()) for r in (1, 2, 3, 4))
    g = float(x @ (w @ x)) / (m1**2 - m2)
    expected = s0 / (n * (n - 1))
    b0 = (n**2 - 3 * n + 3) * s1 - n * s2 + 3 * s0**2
    b1 = -((n**2 - n) * s1 - 2 * n * s2 + 6 * s0**2)
    b2 = -(2 * n * s1 - (n + 3) * s2 + 6 * s0**2)
    b3 = 4 * (n - 1) * s1 - 2 * (n + 1) * s2 + 8 * s0**2
    b4 = s1 - s2 + s0**2
    second = (b0 * m2**2 + b1 * m4 + b2 * m1**2 * m2 + b3 * m1 * m3 + b4 * m1**4) / (
        (m1**2 - m2) ** 2 * n * (n - 1) * (n - 2) * (n - 3)
    )
    variance = second - expected**2
    return {
        "general_g": g,
        "general_g_expected": expected,
        "general_g_variance": variance,
        "general_g_z": _z(g - expected, variance),
    }


def _permutation_counts(
    x: np.ndarray,
    w: sparse.csr_array,
    observed: tuple[float, float],
    permutations: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    r"""How many permutations give an I (a G) at least / at most the observed one.

    Both statistics are monotone in their cross-product :math:`x^\top W x` of the permuted
    values (the denominators do not change under permutation), so the counts compare those.
    """
    z = x - x.mean()
    ge = np.zeros(2, dtype=np.int64)
    le = np.zeros(2, dtype=np.int64)
    for order in permutation_orders(len(x), permutations, rng):
        for column, values in enumerate((z, x)):
            shuffled = values[order]
            cross = (shuffled * (w @ shuffled)).sum(axis=0)
            ge[column] += int((cross >= observed[column]).sum())
            le[column] += int((cross <= observed[column]).sum())
    return ge, le


def permutation_orders(n: int, permutations: int, rng: np.random.Generator) -> Iterator[np.ndarray]:
    """Random permutations of ``range(n)``, as ``n x chunk`` index arrays, chunk by chunk.

    Each column is one permutation; a chunk holds at most 256 of them, so the permuted
    values of every chunk fit in memory at national scale. The global statistics of one run
    draw their permutations from one seeded generator in this order.
    """
    done = 0
    while done < permutations:
        size = min(_CHUNK, permutations - done)
        yield rng.permuted(np.tile(np.arange(n), (size, 1)), axis=1).T
        done += size


def global_statistics(
    values: pd.DataFrame,
    weights: SpatialWeights,
    *,
    transform: Literal["binary", "row"],
    permutations: int,
    seed: int,
    alternative: Alternative,
    report_for: Collection[str] | None = None,
) -> pd.DataFrame:
    """Global Moran's I and General G of every column of ``values``.

    Parameters
    ----------
    values
        Areas x industries, indexed by area code; NaN where missing.
    weights
        The run's spatial weights.
    transform
        The weights' transform (``binary`` or ``row``), applied after restricting them to the
        areas used.
    permutations, seed
        Random permutations of each industry's values, from one seeded generator.
    alternative
        What a p-value means (as :func:`~clustergeo.hotspots.statistics.normal_p_values`).
    report_for
        The study area's areas; None uses every area with a value.

    Returns
    -------
    pandas.DataFrame
        One row per column: ``industry_code``, ``n_areas``, ``moran_i``, ``moran_expected``,
        ``moran_z``, ``moran_p_norm``, ``moran_p_sim``, ``general_g``,
        ``general_g_expected``, ``general_g_z``, ``general_g_p_norm``, ``general_g_p_sim``
        and ``pattern``. Columns with fewer than 4 areas or no variation are not tested
        (missing values, pattern ``not_tested``).
    """
    rng = np.random.default_rng(seed)
    position = pd.Series(np.arange(weights.n), index=weights.ids)
    rows = []
    for code in values.columns:
        column = values[code]
        if report_for is not None:
            column = column.loc[column.index.isin(set(report_for))]
        column = column.dropna()
        column = column.loc[column.index.isin(position.index)]
        row: dict[str, object] = {"industry_code": str(code), "n_areas": len(column)}
        x = column.to_numpy(dtype="float64")
        index = position.loc[column.index].to_numpy()
        w = sparse.csr_array(weights.matrix[index][:, index])
        if transform == "row":
            sums = np.asarray(w.sum(axis=1)).ravel()
            scale = np.divide(1.0, sums, out=np.zeros_like(sums), where=sums > 0)
            w = sparse.csr_array(sparse.diags_array(scale) @ w)
        if len(x) < 4 or np.ptp(x) == 0 or w.sum() == 0 or (x < 0).any():
            rows.append({**row, "pattern": "not_tested"})
            continue
        moran = moran_i(x, w)
        g = general_g(x, w)
        row |= moran | g
        z = x - x.mean()
        observed = (float(z @ (w @ z)), float(x @ (w @ x)))
        row["moran_p_norm"] = float(normal_p_values(np.array(moran["moran_z"]), alternative))
        row["general_g_p_norm"] = float(normal_p_values(np.array(g["general_g_z"]), alternative))
        if permutations:
            ge, le = _permutation_counts(x, w, observed, permutations, rng)
            p_sim = permutation_p_values(ge, le, permutations, alternative)
            row["moran_p_sim"], row["general_g_p_sim"] = float(p_sim[0]), float(p_sim[1])
        decisive = row.get("moran_p_sim", row["moran_p_norm"])
        above = moran["moran_i"] > moran["moran_expected"]
        row["pattern"] = (
            ("clustered" if above else "dispersed")
            if float(decisive) <= PATTERN_LEVEL  # type: ignore[arg-type]
            else "random"
        )
        rows.append(row)
    columns = [
        "industry_code",
        "n_areas",
        "moran_i",
        "moran_expected",
        "moran_z",
        "moran_p_norm",
        "moran_p_sim",
        "general_g",
        "general_g_expected",
        "general_g_z",
        "general_g_p_norm",
        "general_g_p_sim",
        "pattern",
    ]
    return pd.DataFrame(rows).reindex(columns=columns)
