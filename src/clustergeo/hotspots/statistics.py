r"""Local statistics for an areas x industries matrix, all industries in one pass.

**Getis-Ord Gi\*** (Getis & Ord 1992; Ord & Getis 1995, *Geographical Analysis* 27(4),
eq. 14-15), for weights :math:`w^*_{ij}` that include the area itself:

.. math:: z^*_i = \frac{\sum_j w^*_{ij} x_j - \bar x W^*_i}
                {s \sqrt{\left(n S^*_{1i} - W^{*2}_i\right) / (n-1)}}

with :math:`W^*_i = \sum_j w^*_{ij}`, :math:`S^*_{1i} = \sum_j w^{*2}_{ij}`, and
:math:`\bar x`, :math:`s` (population standard deviation) over all *n* areas. The self-weight
is 1 for binary weights and the row's largest weight for general weights, before any row
standardisation. For binary weights this equals esda's ``G_Local(star=True).Zs``. The
general-weights form is invariant to rescaling a row, so row-standardised weights give the
same z as binary ones. (esda's analytic variance treats row sums as counts of neighbours, so
its ``Zs`` for ``transform='R'`` differ from this standard form.)

**Gi** is the same with :math:`w_{ii} = 0` and the mean and deviation taken over the other
:math:`n-1` areas.

**Local Moran's I** (Anselin 1995) as esda computes it: with :math:`z = (x-\bar x)/s`,
:math:`I_i = (n-1)\, z_i \sum_j w_{ij} z_j / \sum_k z_k^2`. The analytic z uses the moments
under conditional randomisation (Sokal, Oden & Thomson 1998, *Geographical Analysis* 30(4),
eqs. A7-A8). Quadrants: HH (high value, high neighbours), LL, HL, LH; a value or lag of
exactly zero counts as low, as in esda.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from scipy import sparse, special

__all__ = [
    "Alternative",
    "gi",
    "gi_star",
    "local_moran",
    "moran_quadrant_codes",
    "moran_quadrants",
    "permutation_p_values",
]

Alternative = Literal["two-sided", "greater", "less", "folded"]


def _with_self_weights(matrix: sparse.csr_array, binary: bool) -> sparse.csr_array:
    if binary:
        self_weight = np.ones(matrix.shape[0])
    else:
        self_weight = np.asarray(matrix.max(axis=1).todense()).ravel()
        self_weight[self_weight == 0] = 1.0
    return sparse.csr_array(matrix + sparse.diags_array(self_weight))


def _row_standardise(matrix: sparse.csr_array) -> sparse.csr_array:
    sums = np.asarray(matrix.sum(axis=1)).ravel()
    scale = np.divide(1.0, sums, out=np.zeros_like(sums, dtype="float64"), where=sums > 0)
    return sparse.csr_array(sparse.diags_array(scale) @ matrix)


def gi_star(
    values: np.ndarray, matrix: sparse.csr_array, *, binary: bool, row_standardise: bool
) -> tuple[np.ndarray, np.ndarray]:
    r"""Gi* statistic and analytic z for every column of ``values``.

    Parameters
    ----------
    values
        ``n x K`` array without missing values.
    matrix
        Weights without self-weights (untransformed).
    binary
        Whether the weights are binary (self-weight 1) or general (self-weight = row maximum).
    row_standardise
        Whether to row-standardise after adding the self-weight (z is unchanged by it).

    Returns
    -------
    g, z
        ``n x K`` arrays: :math:`G^*_i = \sum_j w^*_{ij} x_j / \sum_j x_j` and its z-score.
    """
    star = _with_self_weights(matrix, binary)
    if row_standardise:
        star = _row_standardise(star)
    n = values.shape[0]
    lag = star @ values
    total_weight = np.asarray(star.sum(axis=1)).ravel()[:, None]
    sum_squares = np.asarray(star.multiply(star).sum(axis=1)).ravel()[:, None]
    mean = values.mean(axis=0)
    std = values.std(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        g = lag / values.sum(axis=0)
        spread = np.sqrt((n * sum_squares - total_weight**2) / (n - 1))
        z = (lag - mean * total_weight) / (std * spread)
    # An area whose neighbourhood is every area has no variance under the null: no z.
    z = np.where(np.isclose(spread, 0.0, atol=1e-12), np.nan, z)
    return g, z


def gi(
    values: np.ndarray, matrix: sparse.csr_array, *, row_standardise: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Gi (area itself excluded) and its analytic z, means taken over the other areas."""
    weights = _row_standardise(matrix) if row_standardise else matrix
    n = values.shape[0]
    lag = weights @ values
    total_weight = np.asarray(weights.sum(axis=1)).ravel()[:, None]
    sum_squares = np.asarray(weights.multiply(weights).sum(axis=1)).ravel()[:, None]
    others = n - 1
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = (values.sum(axis=0) - values) / others
        mean_square = ((values**2).sum(axis=0) - values**2) / others
        std = np.sqrt(np.clip(mean_square - mean**2, 0, None))
        g = lag / (values.sum(axis=0) - values)
        spread = np.sqrt((others * sum_squares - total_weight**2) / (others - 1))
        z = (lag - mean * total_weight) / (std * spread)
    z = np.where(np.isclose(spread, 0.0, atol=1e-12), np.nan, z)
    return g, z


def local_moran(
    values: np.ndarray, matrix: sparse.csr_array, *, row_standardise: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Local Moran's I, its analytic z (conditional randomisation) and the spatial lag of z.

    Returns
    -------
    i, z, lag
        ``n x K`` arrays. ``i`` equals esda's ``Moran_Local(...).Is``.
    """
    weights = _row_standardise(matrix) if row_standardise else matrix
    n = values.shape[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        standard = (values - values.mean(axis=0)) / values.std(axis=0)
    lag = weights @ standard
    sum_squares = (standard**2).sum(axis=0)
    # Moments of z_i * lag_i / m2 under conditional randomisation (Sokal et al. 1998).
    m2 = sum_squares / n
    row_sum = np.asarray(weights.sum(axis=1)).ravel()[:, None]
    row_sum_squares = np.asarray(weights.multiply(weights).sum(axis=1)).ravel()[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        moran_i = (n - 1) * standard * lag / sum_squares
        expectation = -(standard**2 * row_sum) / ((n - 1) * m2)
        variance = (
            (standard / m2) ** 2
            * (np.float64(n) / (n - 2))
            * (row_sum_squares - row_sum**2 / (n - 1))
            * (m2 - standard**2 / (n - 1))
        )
        anselin_i = standard * lag / m2
        z = (anselin_i - expectation) / np.sqrt(variance)
    return moran_i, z, lag


def moran_quadrant_codes(standard_values: np.ndarray, lag: np.ndarray) -> np.ndarray:
    """Quadrant codes 0 HH, 1 LH, 2 LL, 3 HL (value, neighbours); zero counts as low (esda)."""
    high = standard_values > 0
    high_lag = lag > 0
    return np.where(high, np.where(high_lag, 0, 3), np.where(high_lag, 1, 2)).astype(np.int8)


def moran_quadrants(standard_values: np.ndarray, lag: np.ndarray) -> np.ndarray:
    """Quadrant labels HH, LH, LL, HL (value, neighbours); zero counts as low, as in esda."""
    labels = np.asarray(["HH", "LH", "LL", "HL"], dtype=object)
    return np.asarray(labels[moran_quadrant_codes(standard_values, lag)])


def permutation_p_values(
    count_ge: np.ndarray,
    count_le: np.ndarray,
    permutations: int,
    alternative: Alternative,
    *,
    direction: np.ndarray | None = None,
) -> np.ndarray:
    r"""Pseudo p-values :math:`(c + 1)/(P + 1)` from counts of simulated lags.

    Parameters
    ----------
    count_ge, count_le
        Simulations with a lag at least / at most the observed lag.
    permutations
        :math:`P`.
    alternative
        ``greater``: the statistic is larger than under randomness (hot spots for Gi*, positive
        association for Moran's I); ``less``: smaller; ``two-sided``: twice the smaller
        one-sided p-value, capped at 1; ``folded``: the smaller one-sided p-value, which is
        what esda reports as ``p_sim``.
    direction
        Per area and industry, +1 when the statistic increases with the lag, -1 when it
        decreases (Local Moran's I for an area below the mean), 0 when it does not depend on
        it (p-value 1). None means +1 everywhere (Gi, Gi*).

    Notes
    -----
    With :math:`P` permutations the smallest attainable p-value is :math:`1/(P+1)`.
    """
    scale = permutations + 1.0
    greater = (count_ge + 1.0) / scale
    less = (count_le + 1.0) / scale
    if direction is not None:
        greater, less = (
            np.where(direction < 0, less, greater),
            np.where(direction < 0, greater, less),
        )
    if alternative == "greater":
        p = greater
    elif alternative == "less":
        p = less
    elif alternative == "two-sided":
        p = np.minimum(1.0, 2 * np.minimum(greater, less))
    else:
        p = np.minimum(greater, less)
    if direction is not None:
        p = np.where(direction == 0, 1.0, p)
    return p


def normal_p_values(z: np.ndarray, alternative: Alternative) -> np.ndarray:
    """P-values of z-scores under the standard normal for the given alternative."""
    # scipy.special.ndtr is the standard normal CDF without scipy.stats' per-call overhead.
    if alternative == "greater":
        p = special.ndtr(-z)
    elif alternative == "less":
        p = special.ndtr(z)
    elif alternative == "two-sided":
        p = 2 * special.ndtr(-np.abs(z))
    else:
        p = special.ndtr(-np.abs(z))
    return np.asarray(p, dtype="float64")
