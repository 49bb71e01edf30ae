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

import ctypes
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numba
import numpy as np
from scipy import sparse, special

from clustergeo.hotspots.intrinsics import LANES, lane_sums, prefetch
from clustergeo.hotspots.warmup import refresh_module_cache

__all__ = [
    "Alternative",
    "ColumnSums",
    "StatisticsOutput",
    "StatisticsWeights",
    "column_sums",
    "gi",
    "gi_star",
    "local_moran",
    "local_statistics",
    "moran_quadrant_codes",
    "moran_quadrants",
    "normal_p_values",
    "permutation_levels",
    "permutation_p_values",
    "permutation_p_values_into",
    "row_major",
    "statistics_weights",
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
    """Each row divided by its sum (rows summing to zero become empty), in the row's order.

    Scaled entry by entry rather than as ``diags(1 / sums) @ matrix``, whose product lists
    each row's entries in reverse: the lags then add up in the order of the weights.
    """
    matrix = sparse.csr_array(matrix)
    indptr, indices, data = _standardised(
        matrix.indptr, matrix.indices, matrix.data.astype(np.float64)
    )
    return sparse.csr_array((data, indices.copy(), indptr.copy()), shape=matrix.shape)


@numba.njit(cache=True)
def _insert_self_weights(
    indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, binary: bool, n_columns: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The CSR arrays of ``matrix + diag(self weight)`` for sorted rows, as scipy builds them.

    The self-weight is 1 for binary weights and the row's largest weight otherwise (scipy's
    ``max(axis=1)``, which counts the implicit zeros of a row that is not full; 1 where that
    is 0), added to a diagonal entry already present.
    """
    n = len(indptr) - 1
    has_diagonal = np.zeros(n, dtype=np.bool_)
    for i in range(n):
        for slot in range(indptr[i], indptr[i + 1]):
            if indices[slot] == i:
                has_diagonal[i] = True
    star_indptr = np.empty(n + 1, dtype=np.int64)
    star_indptr[0] = 0
    for i in range(n):
        star_indptr[i + 1] = star_indptr[i] + (indptr[i + 1] - indptr[i]) + (not has_diagonal[i])
    star_indices = np.empty(star_indptr[n], dtype=np.int64)
    star_data = np.empty(star_indptr[n])
    for i in range(n):
        first, last = indptr[i], indptr[i + 1]
        self_weight = 1.0
        if not binary:
            largest = 0.0 if last - first < n_columns else -np.inf
            for slot in range(first, last):
                largest = max(largest, data[slot])
            self_weight = 1.0 if largest == 0.0 else largest
        out = star_indptr[i]
        placed = False
        for slot in range(first, last):
            j = indices[slot]
            if not placed and j >= i:
                placed = True
                if j == i:
                    star_indices[out] = i
                    star_data[out] = data[slot] + self_weight
                    out += 1
                    continue
                star_indices[out] = i
                star_data[out] = self_weight
                out += 1
            star_indices[out] = j
            star_data[out] = data[slot]
            out += 1
        if not placed:
            star_indices[out] = i
            star_data[out] = self_weight
    return star_indptr, star_indices, star_data


def _row_sums(indptr: np.ndarray, data: np.ndarray) -> np.ndarray:
    """Each CSR row's sum, with the bits of scipy's ``sum(axis=1)`` (``np.add.reduceat``)."""
    sums = np.zeros(len(indptr) - 1)
    filled = np.flatnonzero(np.diff(indptr))
    if len(filled):
        sums[filled] = np.add.reduceat(data, indptr[:-1][filled])
    return sums


def _without_zeros(
    indptr: np.ndarray, indices: np.ndarray, data: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The CSR arrays without stored zeros, as scipy's arithmetic leaves its results."""
    keep = data != 0.0
    if keep.all():
        return indptr, indices, data
    kept = np.concatenate([[0], np.cumsum(keep)])
    return kept[indptr], indices[keep], data[keep]


def _standardised(
    indptr: np.ndarray, indices: np.ndarray, data: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The CSR arrays with each row divided by its sum; rows summing to zero become empty."""
    sums = _row_sums(indptr, data)
    scale = np.divide(1.0, sums, out=np.zeros_like(sums), where=sums > 0)
    return _without_zeros(
        indptr, indices, scale[np.repeat(np.arange(len(sums)), np.diff(indptr))] * data
    )


@dataclass(frozen=True)
class _RowWeights:
    """One weights matrix as the statistics kernel reads it: CSR arrays, sums, sums of squares."""

    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    sums: np.ndarray
    squares: np.ndarray


def _row_weights(
    indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, row_standardise: bool
) -> _RowWeights:
    """A matrix's arrays and row sums, row-standardised as :func:`_row_standardise` does.

    The same numbers as scipy's ``sum(axis=1)`` of the matrix and of
    ``matrix.multiply(matrix)`` for rows in index order, without building scipy matrices
    (which cost more than the statistics kernel on 35,000 areas). Like scipy's products, the
    row-standardised matrix and the squares keep no zeros, so each sum adds the same terms
    in the same order.
    """
    if row_standardise:
        indptr, indices, data = _standardised(indptr, indices, data)
    square_indptr, _, squares = _without_zeros(indptr, indices, data * data)
    return _RowWeights(
        indptr, indices, data, _row_sums(indptr, data), _row_sums(square_indptr, squares)
    )


def _scipy_row_weights(matrix: sparse.csr_array) -> _RowWeights:
    """:func:`_row_weights` of a matrix as scipy orders it (rows not in index order)."""
    return _RowWeights(
        matrix.indptr.astype(np.int64),
        matrix.indices.astype(np.int64),
        matrix.data.astype(np.float64),
        np.asarray(matrix.sum(axis=1)).ravel(),
        np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel(),
    )


@dataclass(frozen=True)
class _LagSlots:
    """The Gi* and plain weights' entries merged row by row, in one CSR-like structure.

    Slot ``s`` of row ``i`` (``indptr[i] <= s < indptr[i + 1]``) is neighbour ``indices[s]``
    with weight ``weights[s, 0]`` in the Gi* matrix if ``kinds[s] & _IN_STAR``, and
    ``weights[s, 1]`` in the plain one if ``kinds[s] & _IN_PLAIN``. Each matrix's entries keep
    their order, so every lag adds the same terms in the same order as a product with that
    matrix alone.
    """

    indptr: np.ndarray
    indices: np.ndarray
    weights: np.ndarray
    kinds: np.ndarray


_IN_STAR, _IN_PLAIN = 1, 2


@numba.njit(cache=True)
def _merge_slots(  # noqa: PLR0917 -- numba kernels take no keyword-only arguments
    star_indptr: np.ndarray,
    star_indices: np.ndarray,
    star_data: np.ndarray,
    indptr: np.ndarray,
    indices: np.ndarray,
    data: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:class:`_LagSlots`' arrays: each row's two lists merged, one slot where both hold j."""
    n = len(indptr) - 1
    size = len(star_indices) + len(indices)
    merged_indptr = np.zeros(n + 1, dtype=np.int64)
    merged_indices = np.empty(size, dtype=np.int64)
    weights = np.zeros((size, 2))
    kinds = np.zeros(size, dtype=np.int8)
    out = 0
    for i in range(n):
        s, s_end = star_indptr[i], star_indptr[i + 1]
        p, p_end = indptr[i], indptr[i + 1]
        while s < s_end or p < p_end:
            take_star = s < s_end and (p == p_end or star_indices[s] <= indices[p])
            take_plain = p < p_end and (s == s_end or indices[p] <= star_indices[s])
            if take_star:
                merged_indices[out] = star_indices[s]
                weights[out, 0] = star_data[s]
                kinds[out] |= _IN_STAR
                s += 1
            if take_plain:
                merged_indices[out] = indices[p]
                weights[out, 1] = data[p]
                kinds[out] |= _IN_PLAIN
                p += 1
            out += 1
        merged_indptr[i + 1] = out
    return merged_indptr, merged_indices[:out], weights[:out], kinds[:out]


def _lag_slots(star: _RowWeights, plain: _RowWeights) -> _LagSlots:
    """:class:`_LagSlots` of the Gi* and plain weights."""
    return _LagSlots(
        *_merge_slots(star.indptr, star.indices, star.data, plain.indptr, plain.indices, plain.data)
    )


@dataclass(frozen=True)
class StatisticsWeights:
    """The weights as :func:`local_statistics` reads them: Gi*'s (with self-weights), and plain.

    ``per_area`` holds what the statistics need of each area's weights, ``7 x n``: Gi*'s
    total weight, the reciprocal of its spread and whether that spread is zero; the same for
    Gi; Moran's variance factor (:func:`_per_area_constants`).
    """

    star: _RowWeights
    plain: _RowWeights
    per_area: np.ndarray
    #: Both matrices' entries row by row, for the kernel to gather each neighbour once
    #: (:func:`_lag_slots`).
    slots: _LagSlots


def _per_area_constants(star: _RowWeights, plain: _RowWeights) -> np.ndarray:
    """:class:`StatisticsWeights`' ``per_area`` rows, as the reference functions form them."""
    n = len(star.sums)
    with np.errstate(divide="ignore", invalid="ignore"):
        star_spread = _spread(star.squares, star.sums, n)
        spread = _spread(plain.squares, plain.sums, n - 1)
        return np.ascontiguousarray(
            np.stack(
                [
                    star.sums,
                    1.0 / star_spread,
                    np.isclose(star_spread, 0.0, atol=1e-12),
                    plain.sums,
                    spread,
                    np.isclose(spread, 0.0, atol=1e-12),
                    _moran_factor(plain.squares, plain.sums, n),
                ]
            ).astype(np.float64)
        )


def statistics_weights(
    matrix: sparse.csr_array, *, binary: bool, row_standardise: bool
) -> StatisticsWeights:
    """The Gi* (self-weights added) and the plain weights, as the reference functions use them.

    They depend on the weights alone, so a caller running the statistics again on the same
    weights can prepare them once and pass them to :func:`local_statistics`.

    For rows in index order (every matrix clustergeo builds), straight from the CSR arrays;
    otherwise through scipy, whose sums and products then follow orders of their own.
    """
    matrix = sparse.csr_array(matrix)
    if not matrix.has_sorted_indices:
        star = _with_self_weights(matrix, binary)
        if row_standardise:
            star = _row_standardise(star)
        plain = _row_standardise(matrix) if row_standardise else matrix
        star_weights = _scipy_row_weights(star)
        plain_weights = _scipy_row_weights(sparse.csr_array(plain))
        return StatisticsWeights(
            star_weights,
            plain_weights,
            _per_area_constants(star_weights, plain_weights),
            _lag_slots(star_weights, plain_weights),
        )
    arrays = (
        matrix.indptr.astype(np.int64),
        matrix.indices.astype(np.int64),
        matrix.data.astype(np.float64),
    )
    # The star matrix as ``matrix + diag`` gives it: rows in order, no stored zeros.
    star = _row_weights(
        *_without_zeros(*_insert_self_weights(*arrays, binary, matrix.shape[1])), row_standardise
    )
    plain = _row_weights(*arrays, row_standardise)
    return StatisticsWeights(star, plain, _per_area_constants(star, plain), _lag_slots(star, plain))


def _spread(sum_squares: np.ndarray, total_weight: np.ndarray, n: int) -> np.ndarray:
    r"""Ord & Getis's :math:`\sqrt{(n S_{1i} - W_i^2) / (n - 1)}` for each area."""
    return np.asarray(np.sqrt((n * sum_squares - total_weight**2) / (n - 1)))


def _moran_factor(row_sum_squares: np.ndarray, row_sum: np.ndarray, n: int) -> np.ndarray:
    r"""Sokal et al.'s :math:`\sum_j w_{ij}^2 - W_i^2 / (n - 1)` for each area."""
    return np.asarray(row_sum_squares - row_sum**2 / (n - 1))


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
        # Products with reciprocals of the per-industry and per-area constants: the compiled
        # kernel computes the same operations, and multiplies are cheaper than divisions.
        g = lag * (1.0 / values.sum(axis=0))
        spread = _spread(sum_squares, total_weight, n)
        z = (lag - mean * total_weight) * (1.0 / std) * (1.0 / spread)
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
        per_other = 1.0 / np.float64(others)
        mean = (values.sum(axis=0) - values) * per_other
        mean_square = ((values**2).sum(axis=0) - values * values) * per_other
        std = np.sqrt(np.clip(mean_square - mean * mean, 0, None))
        g = lag / (values.sum(axis=0) - values)
        spread = _spread(sum_squares, total_weight, others)
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
        standard = (values - values.mean(axis=0)) * (1.0 / values.std(axis=0))
    lag = weights @ standard
    sum_squares = (standard * standard).sum(axis=0)
    # Moments of z_i * lag_i / m2 under conditional randomisation (Sokal et al. 1998).
    m2 = sum_squares / n
    row_sum = np.asarray(weights.sum(axis=1)).ravel()[:, None]
    row_sum_squares = np.asarray(weights.multiply(weights).sum(axis=1)).ravel()[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        per_other = 1.0 / np.float64(n - 1)
        per_m2 = 1.0 / m2
        factor = _moran_factor(row_sum_squares, row_sum, n)
        square = standard * standard
        moran_i = (n - 1) * standard * lag * (1.0 / sum_squares)
        expectation = -(square * row_sum) * (1.0 / ((n - 1) * m2))
        ratio = standard * per_m2
        variance = ratio * ratio * (np.float64(n) / (n - 2)) * factor * (m2 - square * per_other)
        anselin_i = standard * lag * per_m2
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
    With :math:`P` permutations the smallest attainable p-value is :math:`1/(P+1)`, or
    :math:`2/(P+1)` two-sided.
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


# --------------------------------------------------------------------------------------------
# Everything at once, for the engine
# --------------------------------------------------------------------------------------------
#
# The functions above are the reference: plain numpy, one statistic at a time, with an n x K
# temporary for every step. At national scale (35,000 areas x 88 industries) those passes
# cost more than the statistics themselves. ``local_statistics`` computes the same numbers in
# one compiled pass over the areas and writes them straight into the caller's arrays. The
# per-industry and per-area constants (means, deviations, row sums of the weights) come from
# the very numpy expressions used above, and every per-cell expression repeats the reference's
# operations in the same order, so the results are identical to the last bit (the tests check
# this).


@dataclass(frozen=True)
class StatisticsOutput:
    """Where :func:`local_statistics` writes: ``rows_out x K`` C-contiguous arrays."""

    value: np.ndarray
    gi_star: np.ndarray
    gi_star_z: np.ndarray
    gi_z: np.ndarray
    moran_i: np.ndarray
    moran_z: np.ndarray
    quadrant: np.ndarray
    #: Where to write the normal p-values of ``gi_star_z`` and ``moran_z`` (with
    #: ``local_statistics(alternative=...)``), or None.
    gi_star_p_norm: np.ndarray | None = None
    moran_p_norm: np.ndarray | None = None


@dataclass(frozen=True)
class ColumnSums:
    """Per-column constants of an ``n x K`` array, as numpy's reductions compute them.

    ``total``, ``mean`` and ``std`` are ``values.sum(axis=0)``, ``values.mean(axis=0)`` and
    ``values.std(axis=0)``; ``squares`` is ``(values**2).sum(axis=0)`` and ``moran_squares``
    the sum of squared z-scores ``(((values - mean) * (1 / std))**2).sum(axis=0)``.
    """

    total: np.ndarray
    mean: np.ndarray
    std: np.ndarray
    squares: np.ndarray
    moran_squares: np.ndarray


@numba.njit(cache=True)
def _summand(x: float, mode: int, shift: float, scale: float) -> float:
    """Term ``mode`` of a column sum: x, x², (x - shift)², or ((x - shift) * scale)²."""
    if mode == 0:
        return x
    if mode == 1:
        return x * x
    deviation = x - shift
    if mode == 2:
        return deviation * deviation
    deviation = deviation * scale
    return deviation * deviation


#: numpy's pairwise summation sums runs of at most this many terms directly (in
#: :data:`~clustergeo.hotspots.intrinsics.LANES` running sums).
_PAIRWISE_BLOCK = 128


@numba.njit(cache=True)
def _block_sum(  # noqa: PLR0917 -- numba kernels take no keyword-only arguments
    column: np.ndarray, first: int, n: int, mode: int, shift: float, scale: float
) -> float:
    """A run of at most 128 terms summed as numpy does: in turn below 8, else 8 running sums.

    The running sums take the terms in groups of eight (:func:`lane_sums`, on vector
    registers); the terms after the last whole group are added to their total in turn.
    """
    if n < LANES:
        total = -0.0
        for i in range(first, first + n):
            total += _summand(column[i], mode, shift, scale)
        return total
    whole = n - n % LANES
    total = lane_sums(column, first, whole // LANES, mode, shift, scale)
    for i in range(first + whole, first + n):
        total += _summand(column[i], mode, shift, scale)
    return total


@numba.njit(cache=True)
def _pairwise_sum(  # noqa: PLR0917 -- numba kernels take no keyword-only arguments
    column: np.ndarray, first: int, n: int, mode: int, shift: float, scale: float
) -> float:
    """A contiguous float64 run summed term by term in the order of numpy's pairwise summation.

    The order of numpy's ``pairwise_sum`` (``numpy/_core/src/umath/loops_utils.h.src``):
    a run of at most 128 terms by :func:`_block_sum`; a longer one split in two halves (the
    first a multiple of 8 terms), each summed the same way, then added. Walked with a stack
    of halves rather than by recursion, which numba's cache does not reload reliably.
    """
    if n <= _PAIRWISE_BLOCK:
        return _block_sum(column, first, n, mode, shift, scale)
    # Per level of halving: the run, the sum of its first half, whether that is known.
    start = np.empty(64, dtype=np.int64)
    length = np.empty(64, dtype=np.int64)
    left = np.empty(64)
    left_done = np.zeros(64, dtype=np.bool_)
    depth = 0
    start[0], length[0] = first, n
    while True:
        while length[depth] > _PAIRWISE_BLOCK:  # down the first halves
            half = length[depth] // 2
            half -= half % 8
            start[depth + 1], length[depth + 1] = start[depth], half
            left_done[depth + 1] = False
            depth += 1
        value = _block_sum(column, start[depth], length[depth], mode, shift, scale)
        while True:  # up, until a second half is still to sum
            depth -= 1
            if depth < 0:
                return value
            if not left_done[depth]:
                left[depth] = value
                left_done[depth] = True
                half = length[depth] // 2
                half -= half % 8
                start[depth + 1] = start[depth] + half
                length[depth + 1] = length[depth] - half
                left_done[depth + 1] = False
                depth += 1
                break
            value = left[depth] + value


@numba.njit(cache=True, parallel=True, error_model="numpy")
def _column_sums_kernel(columns: np.ndarray, out: np.ndarray) -> None:
    """:class:`ColumnSums` of each row of ``columns`` (``K x n``) into ``out`` (``5 x K``)."""
    n_columns, n = columns.shape
    for c in numba.prange(n_columns):
        column = columns[c]
        # As numpy reduces: the identity 0 plus the pairwise sum (so -0.0 terms give 0.0).
        total = 0.0 + _pairwise_sum(column, 0, n, 0, 0.0, 1.0)
        mean = total / n
        std = np.sqrt((0.0 + _pairwise_sum(column, 0, n, 2, mean, 1.0)) / n)
        out[0, c] = total
        out[1, c] = mean
        out[2, c] = std
        out[3, c] = 0.0 + _pairwise_sum(column, 0, n, 1, 0.0, 1.0)
        out[4, c] = 0.0 + _pairwise_sum(column, 0, n, 3, mean, 1.0 / std)


def column_sums(values: np.ndarray) -> ColumnSums:
    """The per-column constants of ``values``, with the bits of numpy's whole-array reductions.

    numpy's summation order depends on the memory layout. For a Fortran-ordered array (what
    pandas gives) each column is contiguous, and numpy's reduction along axis 0 sums each
    column pairwise on its own: a compiled kernel repeats those sums term by term, columns in
    parallel and without ``n x K`` temporaries (the mean and deviation as numpy's ``mean`` and
    ``std`` form them from the same sums). The tests compare the bits with numpy's. (numpy
    before 2.3 summed a long column in buffers of 8,192 values, one after another; hence the
    project's lower bound.)
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        if (
            values.ndim != 2
            or values.dtype != np.float64
            or not values.shape[0]
            or values.flags.c_contiguous
            or not values.flags.f_contiguous
        ):
            total = values.sum(axis=0)
            mean = values.mean(axis=0)
            std = values.std(axis=0)
            return ColumnSums(
                total,
                mean,
                std,
                (values**2).sum(axis=0),
                (((values - mean) * (1.0 / std)) ** 2).sum(axis=0),
            )
    # Read-only whatever the caller holds, so numba compiles one version.
    columns = values.T.view()
    columns.flags.writeable = False
    sums = np.empty((5, values.shape[1]))
    _column_sums_kernel(columns, sums)
    return ColumnSums(sums[0], sums[1], sums[2], sums[3], sums[4])


def row_major(values: np.ndarray, contiguous: np.ndarray | None = None) -> np.ndarray:
    """``values`` as a writable C-contiguous float64 array: ``contiguous`` if given, or a copy.

    One memory layout for the compiled kernels, so each is compiled (and cached) once: pandas
    hands out read-only arrays, and numba types those separately.
    """
    if contiguous is not None:
        if contiguous.shape != values.shape:
            raise ValueError("contiguous must have the shape of values")
        values = contiguous
    if values.dtype == np.float64 and values.flags.c_contiguous and values.flags.writeable:
        return values
    return np.array(values, dtype=np.float64, order="C")


def _area_scalars(n: int) -> np.ndarray:
    """N - 1, 1 / (n - 1) and n / (n - 2), as the reference functions compute them."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.array([n - 1.0, 1.0 / np.float64(n - 1), np.float64(n) / np.float64(n - 2)])


@numba.njit(cache=True, inline="always")
def _normal_p(value: float, alternative: int, ndtr: Callable[[float, int], float]) -> float:
    """:func:`normal_p_values` of one z (alternative by its code), through scipy's ``ndtr``."""
    if alternative == 0:
        return float(ndtr(-value, 0))
    if alternative == 1:
        return float(ndtr(value, 0))
    if alternative == 2:
        return 2 * float(ndtr(-abs(value), 0))
    return float(ndtr(-abs(value), 0))


#: How many areas ahead the statistics kernel prefetches neighbours' rows (measured: 1, 2, 4
#: and 8 on England's LSOAs; 4 the fastest).
_PREFETCH_AHEAD = 4
#: float64 values in a 64-byte cache line.
_LINE_VALUES = 8


@numba.njit(cache=True, parallel=True, error_model="numpy")
def _statistics_kernel(  # noqa: PLR0912, PLR0915, PLR0917 -- one pass, every statistic
    values: np.ndarray,
    untested: np.ndarray,
    missing: np.ndarray,
    rows: np.ndarray,
    slot_indptr: np.ndarray,
    slot_indices: np.ndarray,
    slot_weights: np.ndarray,
    slot_kinds: np.ndarray,
    per_area: np.ndarray,
    column_vectors: np.ndarray,
    scalars: np.ndarray,
    n_blocks: int,
    out: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    quadrant_out: np.ndarray,
    alternative: int,
    ndtr: Callable[[float, int], float],
    p_out: tuple[np.ndarray, np.ndarray],
) -> None:
    """Every analytic statistic of every reported cell, in one parallel pass over the areas.

    The loops over industries have no branches (results of untested cells are replaced by
    NaN with a select), so they run on vector registers; each area's rows of the outputs
    are written once, in full. The normal p-values of an area's z follow (``p_out`` with
    rows), from its rows of z while they are in cache.
    """
    gi_star_p_out, moran_p_out = p_out
    with_p = gi_star_p_out.shape[0] > 0
    with_missing = missing.shape[0] > 0
    n, n_columns = values.shape
    value_out, gi_star_out, gi_star_z_out, gi_z_out, moran_i_out, moran_z_out = out
    others, per_other, nn2 = scalars[0], scalars[1], scalars[2]
    mean = column_vectors[0]
    per_std = column_vectors[1]
    per_total = column_vectors[2]
    total = column_vectors[3]
    total_squares = column_vectors[4]
    per_moran_squares = column_vectors[5]
    m2 = column_vectors[6]
    per_m2 = column_vectors[7]
    per_moran_scale = column_vectors[8]
    for block in numba.prange(n_blocks):
        lag_star = np.empty(n_columns)
        lag = np.empty(n_columns)
        lag_standard = np.empty(n_columns)
        for i in range(block * n // n_blocks, (block + 1) * n // n_blocks):
            row = rows[i]
            if row < 0:
                continue
            # The neighbours' rows of an area a few ahead, on their way into the cache.
            ahead = min(i + _PREFETCH_AHEAD, n - 1)
            for slot in range(slot_indptr[ahead], slot_indptr[ahead + 1]):
                for c in range(0, n_columns, _LINE_VALUES):
                    prefetch(values, slot_indices[slot], c)
            lag_star[:] = 0.0
            lag[:] = 0.0
            lag_standard[:] = 0.0
            # Each neighbour's row read once, for every lag it is in.
            for slot in range(slot_indptr[i], slot_indptr[i + 1]):
                j = slot_indices[slot]
                kind = slot_kinds[slot]
                star_entry = slot_weights[slot, 0]
                entry = slot_weights[slot, 1]
                if kind == _IN_STAR | _IN_PLAIN:
                    for c in range(n_columns):
                        neighbour = values[j, c]
                        lag_star[c] += star_entry * neighbour
                        lag[c] += entry * neighbour
                        lag_standard[c] += entry * ((neighbour - mean[c]) * per_std[c])
                elif kind == _IN_STAR:
                    for c in range(n_columns):
                        lag_star[c] += star_entry * values[j, c]
                else:
                    for c in range(n_columns):
                        neighbour = values[j, c]
                        lag[c] += entry * neighbour
                        lag_standard[c] += entry * ((neighbour - mean[c]) * per_std[c])
            # Per area: Gi* total weight, reciprocal spread and whether it is zero; the same
            # for Gi; Moran's variance factor.
            star_weight = per_area[0, i]
            per_star_spread = per_area[1, i]
            star_flat = per_area[2, i] != 0.0
            weight_sum = per_area[3, i]
            spread = per_area[4, i]
            flat = per_area[5, i] != 0.0
            moran_factor = per_area[6, i]
            for c in range(n_columns):
                x = values[i, c]
                skip = untested[i, c]
                value_out[row, c] = x
                g_star = lag_star[c] * per_total[c]
                gi_star_out[row, c] = np.nan if skip else g_star
                z_star = (lag_star[c] - mean[c] * star_weight) * per_std[c] * per_star_spread
                gi_star_z_out[row, c] = np.nan if skip or star_flat else z_star
                # Gi: mean and deviation over the other n - 1 areas.
                other_mean = (total[c] - x) * per_other
                other_square = (total_squares[c] - x * x) * per_other
                variance = other_square - other_mean * other_mean
                variance = 0.0 if variance < 0.0 else variance  # keeps NaN, as np.clip does
                z_gi = (lag[c] - other_mean * weight_sum) / (np.sqrt(variance) * spread)
                gi_z_out[row, c] = np.nan if skip or flat else z_gi
                # Local Moran's I
                z = (x - mean[c]) * per_std[c]
                lagged = lag_standard[c]
                square = z * z
                moran_i = others * z * lagged * per_moran_squares[c]
                moran_i_out[row, c] = np.nan if skip else moran_i
                expectation = -(square * weight_sum) * per_moran_scale[c]
                ratio = z * per_m2[c]
                moran_variance = ratio * ratio * nn2 * moran_factor * (m2[c] - square * per_other)
                moran_z = (z * lagged * per_m2[c] - expectation) / np.sqrt(moran_variance)
                moran_z_out[row, c] = np.nan if skip else moran_z
                # 0 HH, 1 LH, 2 LL, 3 HL (value, neighbours), in arithmetic that vectorises.
                high = np.int8(z > 0)
                high_lag = np.int8(lagged > 0)
                code = high * (3 - 3 * high_lag) + (1 - high) * (2 - high_lag)
                quadrant_out[row, c] = 4 if skip else code
            if with_missing:
                for c in range(n_columns):
                    if missing[i, c]:
                        value_out[row, c] = np.nan
            if with_p:
                for c in range(n_columns):
                    gi_star_p_out[row, c] = _normal_p(gi_star_z_out[row, c], alternative, ndtr)
                    moran_p_out[row, c] = _normal_p(moran_z_out[row, c], alternative, ndtr)


def local_statistics(
    raw: np.ndarray,
    values: np.ndarray,
    matrix: sparse.csr_array,
    *,
    binary: bool,
    row_standardise: bool,
    untested: np.ndarray,
    rows: np.ndarray,
    out: StatisticsOutput,
    contiguous: np.ndarray | None = None,
    sums: ColumnSums | None = None,
    alternative: Alternative | None = None,
    prepared: StatisticsWeights | None = None,
) -> None:
    """Gi*, Gi and Local Moran's I with their analytic z for every cell, in one pass.

    The same numbers as :func:`gi_star`, :func:`gi` and :func:`local_moran` (and
    :func:`moran_quadrant_codes`), to the last bit, written only for the areas reported.

    Parameters
    ----------
    raw
        ``n x K`` values as given (copied to ``out.value``, NaN included).
    values
        ``n x K`` values without missing values (imputed).
    matrix
        Weights without self-weights (untransformed).
    binary, row_standardise
        As for :func:`gi_star`.
    untested
        ``n x K`` boolean: cells whose results are NaN (quadrant code 4).
    rows
        Per area, its row in the outputs, or -1 for an area not reported.
    out
        ``rows_out x K`` C-contiguous arrays to write into.
    contiguous
        ``values`` as a C-contiguous float64 array, if the caller has one already.
    sums
        :func:`column_sums` of ``values``, if the caller has them already.
    alternative
        With ``out.gi_star_p_norm`` and ``out.moran_p_norm``: also write the normal p-values
        of the z (:func:`normal_p_values`) for this alternative, in the same pass.
    prepared
        :func:`statistics_weights` of ``matrix`` with the same ``binary`` and
        ``row_standardise``, if the caller has them already.
    """
    n = values.shape[0]
    # Per-industry constants, with the bits of the numpy expressions of the reference
    # functions above (:func:`column_sums`).
    sums = column_sums(values) if sums is None else sums
    total, mean, std = sums.total, sums.mean, sums.std
    total_squares, moran_squares = sums.squares, sums.moran_squares
    with np.errstate(divide="ignore", invalid="ignore"):
        m2 = moran_squares / n
        column_vectors = np.ascontiguousarray(
            np.stack(
                [
                    mean,
                    1.0 / std,
                    1.0 / total,
                    total,
                    total_squares,
                    1.0 / moran_squares,
                    m2,
                    1.0 / m2,
                    1.0 / ((n - 1) * m2),
                ]
            )
        )

    if prepared is None:
        prepared = statistics_weights(matrix, binary=binary, row_standardise=row_standardise)
    p_out = (
        (out.gi_star_p_norm, out.moran_p_norm)
        if alternative is not None
        and out.gi_star_p_norm is not None
        and out.moran_p_norm is not None
        else None
    )
    ndtr: Callable[[float, int], float] = _NO_NDTR if _NDTR is None or p_out is None else _NDTR
    # The kernel copies the values, then NaN where missing; infinite values (never from the
    # pipeline's variables) are copied by numpy afterwards. Raw values that are the values
    # (nothing imputed) need neither.
    as_given = raw is values
    not_finite = _NONE_MISSING if as_given else _not_finite_rows(raw)
    _statistics_kernel(
        row_major(values, contiguous),
        np.ascontiguousarray(untested),
        not_finite,
        np.ascontiguousarray(rows, dtype=np.int64),
        prepared.slots.indptr,
        prepared.slots.indices,
        prepared.slots.weights,
        prepared.slots.kinds,
        prepared.per_area,
        column_vectors,
        _area_scalars(n),
        # Blocks of areas share a thread's scratch space; many, to balance the threads.
        min(n, 64 * numba.get_num_threads()),
        (out.value, out.gi_star, out.gi_star_z, out.gi_z, out.moran_i, out.moran_z),
        out.quadrant,
        _ALTERNATIVE_CODES.get(alternative or "two-sided", 2),
        ndtr,
        p_out if p_out is not None and _NDTR is not None else (_NO_P, _NO_P),
    )
    if not as_given and np.isinf(raw[not_finite]).any():
        reported = np.asarray(rows) >= 0
        out.value[...] = raw if reported.all() else raw[reported]
    if p_out is not None and alternative is not None and _NDTR is None:
        p_out[0][...] = normal_p_values(out.gi_star_z, alternative)
        p_out[1][...] = normal_p_values(out.moran_z, alternative)


def _not_finite_rows(raw: np.ndarray) -> np.ndarray:
    """Where ``raw`` is NaN or infinite, row-major (as the kernels read it) whatever its layout."""
    out = np.empty(raw.shape, dtype=np.bool_)
    np.isfinite(raw, out=out)
    return np.logical_not(out, out=out)


_ALTERNATIVE_CODES = {"greater": 0, "less": 1, "two-sided": 2, "folded": 3}


def _scipy_ndtr() -> Callable[[float, int], float] | None:
    """Scipy's standard normal CDF as a C function numba can call, or None if unavailable.

    The ufunc ``scipy.special.ndtr`` and ``cython_special.ndtr`` wrap the same C function;
    calling it from compiled code gives the ufunc's bits without a pass of its own.
    """
    from scipy.special import cython_special

    capsule = getattr(cython_special, "__pyx_capi__", {}).get("__pyx_fuse_1ndtr")
    if capsule is None:
        return None
    api = ctypes.pythonapi
    api.PyCapsule_GetName.restype = ctypes.c_char_p
    api.PyCapsule_GetName.argtypes = [ctypes.py_object]
    api.PyCapsule_GetPointer.restype = ctypes.c_void_p
    api.PyCapsule_GetPointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
    signature = api.PyCapsule_GetName(capsule)
    if signature != b"double (double, int __pyx_skip_dispatch)":
        return None
    function = ctypes.CFUNCTYPE(ctypes.c_double, ctypes.c_double, ctypes.c_int)(
        api.PyCapsule_GetPointer(capsule, signature)
    )
    # The same numbers as the ufunc: check, never assume.
    probe = np.array([-40.0, -8.5, -1.0, -0.3, 0.0, 0.7, 1.9642, 6.0, np.inf, -np.inf])
    if not np.array_equal(np.array([function(x, 0) for x in probe]), special.ndtr(probe)):
        return None
    return function


_NDTR = _scipy_ndtr()
#: Stands in for ``ndtr`` (never called) when the statistics kernel writes no p-values.
_NO_NDTR: Callable[[float, int], float] = ctypes.CFUNCTYPE(
    ctypes.c_double, ctypes.c_double, ctypes.c_int
)(lambda _value, _skip: math.nan)
_NO_P = np.empty((0, 0))
#: Stands in for the mask of values that are not finite when there are none.
_NONE_MISSING = np.empty((0, 0), dtype=np.bool_)


def permutation_levels(permutations: int, alternative: Alternative) -> np.ndarray:
    """Every p-value :func:`permutation_p_values` can give, in non-decreasing order.

    Level ``c`` (for ``c = 0 .. P``) is the p-value of a test whose count, for the
    alternative, is ``c``: the one-sided count, or the smaller of the two for ``two-sided``
    and ``folded``. The last level, 1, is for a statistic that does not depend on the lag.
    """
    scale = permutations + 1.0
    one_sided = (np.arange(permutations + 1) + 1.0) / scale
    levels = np.minimum(1.0, 2 * one_sided) if alternative == "two-sided" else one_sided
    return np.append(levels, 1.0)


@numba.njit(cache=True, parallel=True, error_model="numpy")
def _permutation_p_kernel(  # noqa: PLR0917 -- a numba kernel, one pass
    count_ge: np.ndarray,
    count_le: np.ndarray,
    levels: np.ndarray,
    alternative: int,
    values: np.ndarray,
    mean: np.ndarray,
    std: np.ndarray,
    untested: np.ndarray,
    rows: np.ndarray,
    gi_star_out: np.ndarray,
    gi_star_keys: np.ndarray,
    moran_out: np.ndarray,
    moran_keys: np.ndarray,
) -> None:
    n, n_columns = count_ge.shape
    flat = len(levels) - 1
    with_gi_star_keys = gi_star_keys.shape[0] > 0
    with_moran_keys = moran_keys.shape[0] > 0
    for i in numba.prange(n):
        row = rows[i]
        if row < 0:
            continue
        # Selects rather than branches, so the loop over industries runs on vector registers.
        for c in range(n_columns):
            ge = count_ge[i, c]
            le = count_le[i, c]
            smaller = min(ge, le)
            key = ge if alternative == 0 else (le if alternative == 1 else smaller)
            # Local Moran's I decreases with the lag where the area is below the mean, and
            # does not depend on it where the area is at the mean.
            standard = (values[i, c] - mean[c]) / std[c]
            reversed_key = le if alternative == 0 else ge
            moran_key = reversed_key if standard < 0 and alternative < 2 else key
            moran_key = flat if standard == 0 else moran_key
            skip = untested[i, c]
            gi_star_out[row, c] = np.nan if skip else levels[key]
            moran_out[row, c] = np.nan if skip else levels[moran_key]
            if with_gi_star_keys:
                gi_star_keys[row, c] = -1 if skip else key
            if with_moran_keys:
                moran_keys[row, c] = -1 if skip else moran_key


def permutation_p_values_into(
    count_ge: np.ndarray,
    count_le: np.ndarray,
    permutations: int,
    alternative: Alternative,
    values: np.ndarray,
    *,
    contiguous: np.ndarray | None = None,
    untested: np.ndarray,
    rows: np.ndarray,
    gi_star_out: np.ndarray,
    moran_out: np.ndarray,
    gi_star_keys: np.ndarray | None = None,
    moran_keys: np.ndarray | None = None,
    sums: ColumnSums | None = None,
) -> np.ndarray:
    """Gi* and Local Moran pseudo p-values from the counts, written for the reported areas.

    The same numbers as :func:`permutation_p_values` (for Moran with the direction
    ``sign((values - mean) / std)``), NaN where untested. Optionally also each p-value's
    index into :func:`permutation_levels` (-1 where untested), for
    :func:`~clustergeo.hotspots.multiple_testing.adjust_discrete_p_values`.

    Returns
    -------
    numpy.ndarray
        The levels the keys index.
    """
    levels = permutation_levels(permutations, alternative)
    sums = column_sums(values) if sums is None else sums
    mean, std = sums.mean, sums.std
    no_keys = np.empty((0, 0), dtype=np.int32)
    _permutation_p_kernel(
        count_ge,
        count_le,
        levels,
        _ALTERNATIVE_CODES[alternative],
        row_major(values, contiguous),
        mean,
        std,
        np.ascontiguousarray(untested),
        np.ascontiguousarray(rows, dtype=np.int64),
        gi_star_out,
        no_keys if gi_star_keys is None else gi_star_keys,
        moran_out,
        no_keys if moran_keys is None else moran_keys,
    )
    return levels


# numba's cache of this module's kernels, checked against the sources they are built from.
refresh_module_cache(globals())
