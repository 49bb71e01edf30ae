r"""Conditional-permutation inference for local statistics, for every industry at once.

Conditional randomisation (Anselin 1995) holds area *i*'s value fixed and gives its
:math:`k_i` neighbour slots values drawn without replacement from the other :math:`n-1`
areas. Every local statistic used here (Gi, Gi*, Local Moran's I) is a monotone function of
the neighbour lag :math:`L_i = \sum_j w_{ij} x_j` once :math:`x_i` is fixed, so each kernel
counts, per area and industry, how many simulated lags are at least (``count_ge``) and at
most (``count_le``) the observed lag. P-values for any alternative follow from the counts.
The draws depend only on the areas, never on the variable, so one set is shared by all
industries.

Two kernels:

``equal-weight rows`` (binary or row-standardised weights)
    A unit's simulated lag is then the sum of :math:`k_i` random other values, so its null
    distribution depends only on :math:`k_i` up to excluding the unit itself. For each
    distinct :math:`k` we draw :math:`P` ordered samples of :math:`k+1` areas, sort the sums of
    their first :math:`k` members once per industry, and count by binary search. The draws
    that happen to include unit *i* among their first :math:`k` members are corrected exactly
    (*i* is swapped for the sample's spare member), so every unit receives :math:`P`
    independent exact draws of :math:`k_i` distinct other areas. Cost:
    :math:`O(nK \log P)` after :math:`O(PK\sum k)` for the sums.
``general weights`` (kernels, inverse distance)
    Each unit draws its own :math:`P \times k_i` permutation (seeded per unit, so results do
    not depend on thread scheduling) and forms the weighted sums for all industries in the
    same pass: :math:`O(nPkK)`, compiled and parallel.

Ties: with integer counts, simulated and observed lags are often exactly equal. They are
counted as "at least as extreme" in both directions, comparing with a tolerance of
:math:`10^{-9}` of the lag's scale so that floating-point summation order can never turn a tie
into a miss (esda compiles its comparison with ``fastmath`` and can miss exact ties).
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np
from scipy import sparse

__all__ = ["PermutationCounts", "permutation_counts"]

_TIE_TOLERANCE = 1e-9
_SINGLE_TIE_TOLERANCE = 1e-5


@dataclass(frozen=True)
class PermutationCounts:
    """Simulated lags at least / at most the observed one, per area x industry."""

    count_ge: np.ndarray
    count_le: np.ndarray
    permutations: int


@numba.njit(cache=True, inline="always")
def _splitmix64(state: np.uint64) -> tuple[np.uint64, np.uint64]:
    state = state + np.uint64(0x9E3779B97F4A7C15)
    z = state
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return state, z ^ (z >> np.uint64(31))


@numba.njit(cache=True, inline="always")
def _below(state: np.uint64, bound: int) -> tuple[np.uint64, int]:
    """A uniform integer in [0, bound) from 53 random bits (bias below 2**-40 for our sizes)."""
    state, bits = _splitmix64(state)
    value = int((bits >> np.uint64(11)) * (1.0 / 9007199254740992.0) * bound)
    return state, min(value, bound - 1)


@numba.njit(cache=True)
def _draw_samples(n: int, size: int, permutations: int, seed: int) -> np.ndarray:
    """``permutations`` ordered samples of ``size`` distinct indices from range(n)."""
    out = np.empty((permutations, size), dtype=np.int64)
    pool = np.arange(n)
    swapped = np.empty(size, dtype=np.int64)
    state = np.uint64(seed)
    for p in range(permutations):
        # Partial Fisher-Yates; the swaps are undone so the pool is the identity again.
        for m in range(size):
            state, offset = _below(state, n - m)
            j = m + offset
            swapped[m] = j
            pool[m], pool[j] = pool[j], pool[m]
            out[p, m] = pool[m]
        for m in range(size - 1, -1, -1):
            j = swapped[m]
            pool[m], pool[j] = pool[j], pool[m]
    return out


@numba.njit(cache=True, parallel=True)
def _sums_of_first(values: np.ndarray, samples: np.ndarray, k: int) -> np.ndarray:
    permutations = samples.shape[0]
    n_columns = values.shape[1]
    sums = np.zeros((permutations, n_columns))
    for p in numba.prange(permutations):
        for m in range(k):
            row = samples[p, m]
            for c in range(n_columns):
                sums[p, c] += values[row, c]
    return sums


@numba.njit(cache=True, parallel=True)
def _count_equal_weights(  # noqa: PLR0917 -- numba kernels take no keyword-only arguments
    units: np.ndarray,
    observed: np.ndarray,
    scale: np.ndarray,
    values: np.ndarray,
    samples: np.ndarray,
    sums: np.ndarray,
    sorted_sums: np.ndarray,
    member_ptr: np.ndarray,
    member_draw: np.ndarray,
    k: int,
    count_ge: np.ndarray,
    count_le: np.ndarray,
) -> None:
    permutations = samples.shape[0]
    n_columns = values.shape[1]
    for position in numba.prange(len(units)):
        i = units[position]
        for c in range(n_columns):
            tol = _TIE_TOLERANCE * (abs(observed[i, c]) + scale[c])
            column = sorted_sums[:, c]
            ge = permutations - np.searchsorted(column, observed[i, c] - tol, side="left")
            le = np.searchsorted(column, observed[i, c] + tol, side="right")
            # Draws whose first k members include i: use the spare member instead of i.
            for slot in range(member_ptr[position], member_ptr[position + 1]):
                p = member_draw[slot]
                old = sums[p, c]
                new = old - values[i, c] + values[samples[p, k], c]
                ge += (new >= observed[i, c] - tol) - (old >= observed[i, c] - tol)
                le += (new <= observed[i, c] + tol) - (old <= observed[i, c] + tol)
            count_ge[i, c] = ge
            count_le[i, c] = le


@numba.njit(cache=True)
def _memberships(
    units: np.ndarray, samples: np.ndarray, k: int, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """For each unit of the group, the draws that include it among their first k members."""
    position_of = np.full(n, -1, dtype=np.int64)
    for position in range(len(units)):
        position_of[units[position]] = position
    counts = np.zeros(len(units) + 1, dtype=np.int64)
    permutations = samples.shape[0]
    for p in range(permutations):
        for m in range(k):
            position = position_of[samples[p, m]]
            if position >= 0:
                counts[position + 1] += 1
    pointer = np.cumsum(counts)
    fill = pointer[:-1].copy()
    draws = np.empty(pointer[-1], dtype=np.int64)
    for p in range(permutations):
        for m in range(k):
            position = position_of[samples[p, m]]
            if position >= 0:
                draws[fill[position]] = p
                fill[position] += 1
    return pointer, draws


@numba.njit(cache=True, parallel=True)
def _count_general_weights(  # noqa: PLR0917 -- numba kernels take no keyword-only arguments
    indptr: np.ndarray,
    weights: np.ndarray,
    observed: np.ndarray,
    scale: np.ndarray,
    values: np.ndarray,
    permutations: int,
    seed: int,
    count_ge: np.ndarray,
    count_le: np.ndarray,
) -> None:
    n, n_columns = values.shape
    # One pool per block of units (not per unit): allocating n-1 indices for every unit
    # would cost O(n^2). Swaps are undone after each draw, so a pool can be reused.
    n_blocks = min(n, 256)
    for block in numba.prange(n_blocks):
        pool = np.arange(n - 1)
        simulated = np.empty(n_columns, dtype=np.float32)
        ge = np.empty(n_columns, dtype=np.int64)
        le = np.empty(n_columns, dtype=np.int64)
        tol = np.empty(n_columns)
        for i in range(block * n // n_blocks, (block + 1) * n // n_blocks):
            start, stop = indptr[i], indptr[i + 1]
            k = stop - start
            if k == 0:
                continue
            w = weights[start:stop]
            swapped = np.empty(k, dtype=np.int64)
            chosen = np.empty(k, dtype=np.int64)
            for c in range(n_columns):
                tol[c] = _SINGLE_TIE_TOLERANCE * (abs(observed[i, c]) + scale[c])
                ge[c] = 0
                le[c] = 0
            state = np.uint64(seed) ^ (np.uint64(i + 1) * np.uint64(0xD1B54A32D192ED03))
            for _p in range(permutations):
                for m in range(k):
                    state, offset = _below(state, n - 1 - m)
                    j = m + offset
                    swapped[m] = j
                    pool[m], pool[j] = pool[j], pool[m]
                    # Indices of the other n-1 areas skip i itself.
                    chosen[m] = pool[m] + (pool[m] >= i)
                simulated[:] = 0.0
                for m in range(k):
                    row = chosen[m]
                    for c in range(n_columns):
                        simulated[c] += w[m] * values[row, c]
                for c in range(n_columns):
                    ge[c] += simulated[c] >= observed[i, c] - tol[c]
                    le[c] += simulated[c] <= observed[i, c] + tol[c]
                # Undo the swaps in reverse so the pool is the identity again.
                for m in range(k - 1, -1, -1):
                    j = swapped[m]
                    pool[m], pool[j] = pool[j], pool[m]
            for c in range(n_columns):
                count_ge[i, c] = ge[c]
                count_le[i, c] = le[c]


@numba.njit(cache=True, parallel=True)
def _weighted_lags(
    indptr: np.ndarray, indices: np.ndarray, weights: np.ndarray, values: np.ndarray
) -> np.ndarray:
    """Lags summed neighbour by neighbour in the values' precision, as the kernel sums them."""
    n, n_columns = values.shape
    lags = np.zeros((n, n_columns), dtype=values.dtype)
    for i in numba.prange(n):
        for slot in range(indptr[i], indptr[i + 1]):
            row = indices[slot]
            for c in range(n_columns):
                lags[i, c] += weights[slot] * values[row, c]
    return lags


def permutation_counts(
    values: np.ndarray,
    matrix: sparse.csr_array,
    *,
    permutations: int,
    seed: int,
    equal_weights: bool,
) -> PermutationCounts:
    """Count simulated neighbour lags at least / at most the observed lag.

    Parameters
    ----------
    values
        ``n x K`` array (no missing values; impute before calling).
    matrix
        ``n x n`` weights without self-weights, as used for the lag.
    permutations
        Number of draws :math:`P` per area.
    seed
        Seed of the draws; the same seed gives the same counts on any machine.
    equal_weights
        Whether every row's non-zero weights are equal (binary or row-standardised), which
        enables the exact shared-draw kernel.

    Returns
    -------
    PermutationCounts
        Counts are zero for areas without neighbours.
    """
    values = np.ascontiguousarray(values, dtype=np.float64)
    matrix = sparse.csr_array(matrix)
    matrix.sort_indices()
    n, n_columns = values.shape
    cardinalities = np.diff(matrix.indptr)
    count_ge = np.zeros((n, n_columns), dtype=np.int64)
    count_le = np.zeros((n, n_columns), dtype=np.int64)
    mean_abs = np.abs(values).mean(axis=0) if n else np.zeros(n_columns)
    if not equal_weights:
        # General weights gather random rows of the whole matrix for every draw, so the kernel
        # is bound by memory bandwidth: single precision halves it. The observed lags are
        # summed in the same precision and order as the simulated ones, so exact ties stay
        # exact, and the tie tolerance is widened to single precision.
        single = values.astype(np.float32)
        weights32 = matrix.data.astype(np.float32)
        observed32 = _weighted_lags(
            matrix.indptr.astype(np.int64), matrix.indices, weights32, single
        )
        scale = mean_abs * float(np.abs(matrix.data).sum() / max(n, 1))
        _count_general_weights(
            matrix.indptr.astype(np.int64),
            weights32,
            observed32,
            scale,
            single,
            permutations,
            seed,
            count_ge,
            count_le,
        )
        return PermutationCounts(count_ge, count_le, permutations)

    # Row-standardised rows have equal weights 1/k: compare unscaled sums instead.
    sums_observed = np.ascontiguousarray(
        sparse.csr_array((np.ones_like(matrix.data), matrix.indices, matrix.indptr), matrix.shape)
        @ values
    )
    for k in np.unique(cardinalities):
        if k == 0 or k >= n:
            continue
        units = np.flatnonzero(cardinalities == k).astype(np.int64)
        samples = _draw_samples(n, int(k) + 1, permutations, seed + int(k) * 1_000_003)
        sums = _sums_of_first(values, samples, int(k))
        sorted_sums = np.sort(sums, axis=0)
        pointer, draws = _memberships(units, samples, int(k), n)
        _count_equal_weights(
            units,
            sums_observed,
            mean_abs * k,
            values,
            samples,
            sums,
            sorted_sums,
            pointer,
            draws,
            int(k),
            count_ge,
            count_le,
        )
    return PermutationCounts(count_ge, count_le, permutations)
