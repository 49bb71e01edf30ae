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
    their first :math:`k` members once per industry, and count by binary search (branch-free,
    in each industry's contiguous row of sorted sums). The draws that happen to include unit
    *i* among their first :math:`k` members are corrected exactly (*i* is swapped for the
    sample's spare member), so every unit receives :math:`P` independent exact draws of
    :math:`k_i` distinct other areas. Cost: :math:`O(nK \log P)` after :math:`O(PK\sum k)` for
    the sums.
``general weights`` (kernels, inverse distance)
    Each unit draws its own :math:`P \times k_i` permutation (seeded per unit, so results do
    not depend on thread scheduling) and forms the weighted sums for all industries in the
    same pass: :math:`O(nPkK)`, compiled and parallel. The partial Fisher-Yates shuffle keeps
    only the few positions it moved, not an array of :math:`n-1` indices, and the sums are
    compared in single precision against thresholds that decide every float32 sum exactly as
    the double-precision bounds would.

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
    """Industries x draws: the sum of the first ``k`` members of each draw, per industry."""
    permutations = samples.shape[0]
    n_columns = values.shape[1]
    sums = np.empty((n_columns, permutations))
    n_chunks = min(permutations, 64)
    for chunk in numba.prange(n_chunks):
        total = np.empty(n_columns)
        for p in range(chunk * permutations // n_chunks, (chunk + 1) * permutations // n_chunks):
            total[:] = 0.0
            for m in range(k):
                row = samples[p, m]
                for c in range(n_columns):
                    total[c] += values[row, c]
            for c in range(n_columns):
                sums[c, p] = total[c]
    return sums


@numba.njit(cache=True, inline="always")
def _bucket(value: float, low: float, scale: float, buckets: int) -> int:
    """The bucket of ``value``: non-decreasing in ``value``, clamped to 0 .. buckets-1."""
    position = (value - low) * scale
    if not position >= 0.0:  # below the first bucket (or NaN, which finite sums never give)
        return 0
    if position >= buckets - 1:
        return buckets - 1
    return int(position)


@numba.njit(cache=True, parallel=True)
def _bucket_index(
    sorted_sums: np.ndarray, buckets: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per industry, where each of ``buckets`` equal value ranges starts in its sorted sums.

    ``start[c, b]`` is the first draw whose bucket is at least ``b``. Since the bucket is
    non-decreasing in the value, every sum below a value's bucket is below the value and
    every sum above it is above: a search for the value only looks within its bucket.
    """
    n_columns, permutations = sorted_sums.shape
    start = np.empty((n_columns, buckets + 1), dtype=np.int64)
    low = np.empty(n_columns)
    scale = np.empty(n_columns)
    for c in numba.prange(n_columns):
        column = sorted_sums[c]
        low[c] = column[0]
        span = column[permutations - 1] - column[0]
        # A span too small for the division to stay finite puts everything in one bucket.
        scale[c] = buckets / span if span > 0 else 0.0
        if not np.isfinite(scale[c]):
            scale[c] = 0.0
        bucket = 0
        for p in range(permutations):
            reached = _bucket(column[p], low[c], scale[c], buckets)
            while bucket <= reached:
                start[c, bucket] = p
                bucket += 1
        while bucket <= buckets:
            start[c, bucket] = permutations
            bucket += 1
    return start, low, scale


@numba.njit(cache=True, inline="always")
def _first_above(column: np.ndarray, value: float, first: int, last: int, strict: bool) -> int:
    """First index in ``first .. last`` of a sorted column with an entry >= (> if strict)."""
    while first < last:
        middle = (first + last) >> 1
        if column[middle] < value or (strict and column[middle] == value):
            first = middle + 1
        else:
            last = middle
    return first


@numba.njit(cache=True, parallel=True)
def _count_equal_weights(  # noqa: PLR0917 -- numba kernels take no keyword-only arguments
    units: np.ndarray,
    observed: np.ndarray,
    scale: np.ndarray,
    values: np.ndarray,
    samples: np.ndarray,
    sums: np.ndarray,
    sorted_sums: np.ndarray,
    index: tuple[np.ndarray, np.ndarray, np.ndarray],
    member_ptr: np.ndarray,
    member_draw: np.ndarray,
    k: int,
    count_ge: np.ndarray,
    count_le: np.ndarray,
) -> None:
    permutations = samples.shape[0]
    n_columns = values.shape[1]
    start, low_sum, bucket_scale = index
    buckets = start.shape[1] - 1
    for position in numba.prange(len(units)):
        i = units[position]
        for c in range(n_columns):
            tol = _TIE_TOLERANCE * (abs(observed[i, c]) + scale[c])
            low = observed[i, c] - tol
            high = observed[i, c] + tol
            # The same counts as np.searchsorted(column, low, "left") and (high, "right"),
            # searching only the bucket of each bound.
            column = sorted_sums[c]
            bucket = _bucket(low, low_sum[c], bucket_scale[c], buckets)
            below = _first_above(column, low, start[c, bucket], start[c, bucket + 1], False)
            bucket = _bucket(high, low_sum[c], bucket_scale[c], buckets)
            le = _first_above(column, high, start[c, bucket], start[c, bucket + 1], True)
            ge = permutations - below
            # Draws whose first k members include i: use the spare member instead of i.
            for slot in range(member_ptr[position], member_ptr[position + 1]):
                p = member_draw[slot]
                old = sums[c, p]
                new = old - values[i, c] + values[samples[p, k], c]
                ge += (new >= low) - (old >= low)
                le += (new <= high) - (old <= high)
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


@numba.njit(cache=True, inline="always")
def _single_at_least(bound: float) -> np.float32:
    """The smallest float32 >= ``bound``: for a float32 x, ``x >= bound`` iff ``x >=`` it."""
    single = np.float32(bound)
    if np.float64(single) < bound:
        single = np.nextafter(single, np.float32(np.inf))
    return single


@numba.njit(cache=True, inline="always")
def _single_at_most(bound: float) -> np.float32:
    """The largest float32 <= ``bound``: for a float32 x, ``x <= bound`` iff ``x <=`` it."""
    single = np.float32(bound)
    if np.float64(single) > bound:
        single = np.nextafter(single, np.float32(-np.inf))
    return single


@numba.njit(cache=True, parallel=True)
def _count_general_weights(  # noqa: PLR0912, PLR0915, PLR0917 -- one compiled pass
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
    n_blocks = min(n, 256)
    for block in numba.prange(n_blocks):
        first, last = block * n // n_blocks, (block + 1) * n // n_blocks
        most = 0
        for i in range(first, last):
            most = max(most, indptr[i + 1] - indptr[i])
        simulated = np.empty(n_columns, dtype=np.float32)
        low = np.empty(n_columns, dtype=np.float32)
        high = np.empty(n_columns, dtype=np.float32)
        ge = np.empty(n_columns, dtype=count_ge.dtype)
        le = np.empty(n_columns, dtype=count_le.dtype)
        chosen = np.empty((permutations, most), dtype=np.int64)
        moved_from = np.empty(most, dtype=np.int64)
        moved_value = np.empty(most, dtype=np.int64)
        for i in range(first, last):
            start, stop = indptr[i], indptr[i + 1]
            k = stop - start
            if k == 0:
                continue
            w = weights[start:stop]
            for c in range(n_columns):
                tol = _SINGLE_TIE_TOLERANCE * (abs(observed[i, c]) + scale[c])
                # The float64 bounds as float32 thresholds that decide every float32 lag the
                # same way, so the comparisons run in single precision.
                low[c] = _single_at_least(observed[i, c] - tol)
                high[c] = _single_at_most(observed[i, c] + tol)
                ge[c] = 0
                le[c] = 0
            # All of the unit's draws first: the summing loop below then knows every row it
            # will read, and the processor can fetch them ahead.
            state = np.uint64(seed) ^ (np.uint64(i + 1) * np.uint64(0xD1B54A32D192ED03))
            for p in range(permutations):
                # A partial Fisher-Yates shuffle of the other n-1 areas (0 .. n-2), its first
                # k positions chosen. Only the positions it moved differ from the identity,
                # so they are tracked in a short list instead of an array of n-1 indices.
                moved = 0
                for m in range(k):
                    state, offset = _below(state, n - 1 - m)
                    j = m + offset
                    at_m = m
                    at_j = j
                    slot_j = -1
                    for slot in range(moved):
                        if moved_from[slot] == m:
                            at_m = moved_value[slot]
                        if moved_from[slot] == j:
                            at_j = moved_value[slot]
                            slot_j = slot
                    # Swap positions m and j: m (never read again) takes j's area, j takes m's.
                    if slot_j < 0:
                        moved_from[moved] = j
                        moved_value[moved] = at_m
                        moved += 1
                    else:
                        moved_value[slot_j] = at_m
                    # Indices of the other n-1 areas skip i itself.
                    chosen[p, m] = at_j + (at_j >= i)
            # Each lag is summed over the slots in order, as 0 + w0 x0 + w1 x1 + ...: starting
            # from w0 x0 instead can only turn a -0 into +0, which compare the same. The last
            # slot's sum is compared as soon as it is formed.
            last = k - 1
            for p in range(permutations):
                row = chosen[p, 0]
                for c in range(n_columns):
                    simulated[c] = w[0] * values[row, c]
                for m in range(1, last):
                    row = chosen[p, m]
                    for c in range(n_columns):
                        simulated[c] += w[m] * values[row, c]
                row = chosen[p, last]
                for c in range(n_columns):
                    lag = simulated[c] + w[last] * values[row, c] if last > 0 else simulated[c]
                    ge[c] += lag >= low[c]
                    le[c] += lag <= high[c]
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
    if not (values.dtype == np.float64 and values.flags.c_contiguous and values.flags.writeable):
        # One layout for the compiled kernels (numba types read-only arrays separately).
        values = np.array(values, dtype=np.float64, order="C")
    matrix = sparse.csr_array(matrix)
    matrix.sort_indices()
    n, n_columns = values.shape
    cardinalities = np.diff(matrix.indptr)
    count_type = np.int32 if permutations < np.iinfo(np.int32).max else np.int64
    count_ge = np.zeros((n, n_columns), dtype=count_type)
    count_le = np.zeros((n, n_columns), dtype=count_type)
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
        sorted_sums = np.sort(sums, axis=1)
        # About two draws per bucket: a search then mostly reads one or two sums.
        index = _bucket_index(sorted_sums, 2 * permutations)
        pointer, draws = _memberships(units, samples, int(k), n)
        _count_equal_weights(
            units,
            sums_observed,
            mean_abs * k,
            values,
            samples,
            sums,
            sorted_sums,
            index,
            pointer,
            draws,
            int(k),
            count_ge,
            count_le,
        )
    return PermutationCounts(count_ge, count_le, permutations)
