r"""Conditional-permutation inference for local statistics, for every industry at once.

Conditional randomisation (Anselin 1995) holds area *i*'s value fixed and gives its
:math:`k_i` neighbour slots values drawn without replacement from the other :math:`n-1`
areas. Every local statistic used here (Gi, Gi*, Local Moran's I) is a monotone function of
the neighbour lag :math:`L_i = \sum_j w_{ij} x_j` once :math:`x_i` is fixed, so the kernels
count, per area and industry, how many simulated lags are at least (``count_ge``) and at most
(``count_le``) the observed lag. P-values for any alternative follow from the counts.

**Shared draws.** One set of :math:`P` ordered samples of :math:`k_{max}+1` distinct areas
serves every area and every industry (as in esda). Area *i* takes the first :math:`k_i`
members of each sample; when *i* itself is among them it is replaced by the sample's next
member, :math:`k_i`. Each area so receives :math:`P` exact draws of :math:`k_i` distinct
other areas, uniform over ordered draws: a given draw :math:`t` arises directly with
probability :math:`1/(n)_{k}` and by replacing *i* in :math:`k` ways with probability
:math:`1/(n)_{k+1}` each, in all :math:`1/(n-1)_k`. The draws depend only on the number of
areas, the largest neighbour count and the seed, never on the values, so a block of
industries on a Dask worker gets the draws of the whole run.

``equal-weight rows`` (binary or row-standardised weights)
    The simulated lag is then the sum of :math:`k_i` random other values, so its null
    distribution depends only on :math:`k_i` (and, through the replacement, on the area's own
    value). For every neighbour count :math:`k` present and every industry the kernel forms the
    :math:`P` sums once (prefix sums over each sample's members, shared by all counts), sorts
    them into a bucket index, and then counts each area of that count by looking up its lag:
    :math:`O(PKk_{max} + nK)` instead of esda's :math:`O(nPKk)`. Counts that few areas have
    skip the sort: their areas are compared with every draw. Draws that contain the area
    itself are corrected one by one (on average :math:`Pk/n` per area).
``general weights`` (kernels, inverse distance)
    Each area's simulated lag :math:`\sum_m w_{im} x_{d_m}` is formed for every draw and
    industry, :math:`O(nPkK)`. The draws are shared by all areas, so the kernel gathers the
    rows of a block of draws once, member by member with the draws side by side, and runs
    every area of a block of areas over them while they are in cache: each product is one
    long vectorised loop over the block's draws x industries. For non-negative values and
    weights (location quotients, counts, densities, kernel weights) this first pass runs in
    single precision, twice the numbers per vector: it only sorts the draws into certainly
    below, certainly above, and "too close to call", and the last are decided in double
    precision and exactly (below).

**Ties are exact.** A simulated lag counts as at least (at most) the observed one when it is
so as an exact sum of the double-precision inputs, whatever order they are added in. The
kernels compare the floating-point sums first: a simulated sum outside the observed sum's
rounding-error window, :math:`|\tilde s - \tilde o| > (4k+8)\,u\,(\sum|w x|_{sim} +
\sum|w x|_{obs})` with :math:`u = 2^{-53}` (a bound twice the classical
:math:`\gamma_k \sum |w_j x_j|` of Higham 2002, *Accuracy and Stability of Numerical
Algorithms*, §3.1, for each sum), is decided by the floating-point comparison. Inside the
window the comparison is made exactly (:mod:`clustergeo.hotspots.exact`). For non-negative
values and weights a sum is zero exactly when every term is, so zero lags tie without an
exact check. With equal weights, an industry whose values are all integers (employment
counts) small enough that no sum of them reaches :math:`2^{53}` has every sum exact (more
generally: values on a grid of multiples of a power of two, see :func:`_exact_sums`), so its
floating-point comparisons are the exact ones and its windows hold ties only, counted as such
without an exact check (counts rounded to five tie with many draws). Where a few values are
off the grid (counts with suppressed cells imputed with the mean), sums of the others are
still exact: the tables list, per neighbour count, the sums that hold an off-grid value, and
an observed sum of on-grid values is compared exactly only with the listed sums in its window
(the rest are counted from their ranks). Earlier versions compared within a relative
tolerance (:math:`10^{-9}`, and :math:`10^{-5}` in single precision for general weights),
which counted near-ties as ties.
With general weights the first pass decides a draw only where the rounding bound of its own
precision allows: in single precision a sum of :math:`k` non-negative products of rounded
inputs is within a relative :math:`(k + 3)\,u_s` (:math:`u_s = 2^{-24}`) of the exact sum, so
the double-precision window is widened by the relative :math:`(2k + 12)\,u_s` (which also
covers rounding the widened bounds to single precision), and values and weights are kept
where single precision neither underflows nor overflows (non-zero magnitudes within
:math:`2^{\pm 60}`, at most 63 neighbours); otherwise the first pass runs in double precision
with the window itself. Each draw the first pass cannot decide is noted, counted both ways,
and decided afterwards in double precision or, inside the window, exactly (only those draws,
so the work grows with the permutations, not with their square); the counts therefore do not
depend on how the first pass rounds or orders its sums (it may fuse multiplies and adds).
esda compiles its comparison with ``fastmath`` and counts only simulations strictly below
the observed value on the low side, so its ``p_sim`` differs from the exact count where
ties occur (common with integer counts and zero values).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np
from scipy import sparse

from clustergeo.hotspots.exact import (
    SAFE_MAGNITUDE,
    expansion_sign,
    grow_expansion,
    two_product,
)
from clustergeo.hotspots.intrinsics import float_bits, trailing_zeros
from clustergeo.hotspots.ordering import finish_sort
from clustergeo.hotspots.warmup import refresh_module_cache

__all__ = ["PermutationCounts", "draw_memberships", "permutation_counts", "shared_draws"]

#: Unit roundoff of double precision.
_UNIT = 2.0**-53
#: Bytes of sorted sums and bucket index kept at once (larger runs go in waves of counts).
_TABLE_BUDGET = 64 * 1024**2
#: Areas per block of the counting kernels: a block's rows stay in cache across industries.
_BLOCK_AREAS = 128
#: Draws too close to call noted before the general-weights kernel decides them.
_NOTES = 256
#: Draws per block of the general-weights kernel (their gathered rows stay in cache).
_BLOCK_DRAWS = 16
#: Neighbour counts held by at least this many areas get their sums sorted; areas of rarer
#: counts are compared with every draw (2P comparisons beat sorting P sums for a few areas).
_SORT_FROM_AREAS = 192


@dataclass(frozen=True)
class PermutationCounts:
    """Simulated lags at least / at most the observed one, per area x industry."""

    count_ge: np.ndarray
    count_le: np.ndarray
    permutations: int


# --------------------------------------------------------------------------------------------
# Draws
# --------------------------------------------------------------------------------------------


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


def shared_draws(cardinalities: np.ndarray, permutations: int, seed: int) -> np.ndarray:
    """The samples every area draws its neighbours from: ``permutations x (k_max + 1)``."""
    n = len(cardinalities)
    largest = int(cardinalities.max()) if n else 0
    size = min(largest + 1, n)
    if permutations == 0 or size == 0:
        return np.zeros((permutations, 0), dtype=np.int64)
    return np.asarray(_draw_samples(n, size, permutations, seed))


@numba.njit(cache=True)
def _memberships(samples: np.ndarray, cardinalities: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = len(cardinalities)
    permutations, size = samples.shape
    counts = np.zeros(n + 1, dtype=np.int64)
    for p in range(permutations):
        for m in range(size):
            area = samples[p, m]
            if m < cardinalities[area]:
                counts[area + 1] += 1
    pointer = np.cumsum(counts)
    fill = pointer[:-1].copy()
    draws = np.empty(pointer[-1], dtype=np.int64)
    for p in range(permutations):
        for m in range(size):
            area = samples[p, m]
            if m < cardinalities[area]:
                draws[fill[area]] = p
                fill[area] += 1
    return pointer, draws


def draw_memberships(
    samples: np.ndarray, cardinalities: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """For each area, the draws (ascending) whose first ``k_i`` members include it (CSR)."""
    return _memberships(
        np.ascontiguousarray(samples, dtype=np.int64),
        np.ascontiguousarray(cardinalities, dtype=np.int64),
    )


@numba.njit(cache=True, inline="always")
def _member_slot(samples: np.ndarray, p: int, k: int, area: int) -> int:
    """Where ``area`` sits among the first ``k`` members of draw ``p`` (-1: not there)."""
    for m in range(k):
        if samples[p, m] == area:
            return m
    return -1


# --------------------------------------------------------------------------------------------
# Windows: which floating-point comparisons cannot be trusted
# --------------------------------------------------------------------------------------------


@numba.njit(cache=True, inline="always")
def _window(  # noqa: PLR0917 -- numba kernels take no keyword-only arguments
    observed: float,
    observed_abs: float,
    simulated_abs: float,
    k: int,
    non_negative: bool,
    exact_sums: bool = False,
) -> tuple[float, float]:
    """The interval of computed simulated lags that must be compared with the observed exactly.

    Outside ``[low, high]`` the floating-point comparison gives the exact answer. For
    non-negative terms the bound is relative (and zero-width at zero, where both sums are
    exact); otherwise absolute, from the sums of absolute terms. Where every sum is exact
    (``exact_sums``) the window is the observed value alone, and a sum in it ties exactly.
    """
    if exact_sums:
        return observed, observed
    factor = (4.0 * k + 8.0) * _UNIT
    if non_negative:
        return observed * (1.0 - factor), observed * (1.0 + factor)
    width = factor * (observed_abs + simulated_abs)
    return observed - width, observed + width


# --------------------------------------------------------------------------------------------
# Equal-weight rows: sums per neighbour count, sorted into a bucket index
# --------------------------------------------------------------------------------------------


@numba.njit(cache=True, inline="always")
def _bucket(value: float, low: float, scale: float, buckets: int) -> int:
    """The bucket of ``value``: non-decreasing in ``value``, clamped to 0 .. buckets-1."""
    position = (value - low) * scale
    if not position >= 0.0:  # below the first bucket (or NaN, which finite sums never give)
        return 0
    if position >= buckets - 1:
        return buckets - 1
    return int(position)


#: Sums compared without branches when looking a value up in its bucket (with four buckets
#: per draw a bucket rarely holds more); the sorted sums are padded with this many +inf so
#: the comparisons never run past the end.
_SCAN = 2
#: Buckets of the bucket index per simulated sum.
_BUCKETS_PER_DRAW = 4


@numba.njit(cache=True, inline="always")
def _index_below(sorted_sums: np.ndarray, first: int, last: int, value: float) -> int:
    """First index in ``first .. last`` of the sorted sums with an entry >= ``value``.

    Sums after ``last`` belong to higher buckets, so they are above ``value``: comparing a
    fixed ``_SCAN`` of them from ``first`` counts without a branch per sum.
    """
    if last - first <= _SCAN:
        count = first
        for t in range(first, first + _SCAN):
            count += sorted_sums[t] < value
        return count
    if last - first <= 16:
        while first < last and sorted_sums[first] < value:
            first += 1
        return first
    while first < last:  # a crowded bucket (e.g. many equal sums): binary search
        middle = (first + last) >> 1
        if sorted_sums[middle] < value:
            first = middle + 1
        else:
            last = middle
    return first


@numba.njit(cache=True, inline="always")
def _index_above(sorted_sums: np.ndarray, first: int, last: int, value: float) -> int:
    """First index in ``first .. last`` of the sorted sums with an entry > ``value``."""
    if last - first <= _SCAN:
        count = first
        for t in range(first, first + _SCAN):
            count += sorted_sums[t] <= value
        # A window's upper end that overflowed to +inf counts the +inf padding too.
        return min(count, last)
    if last - first <= 16:
        while first < last and sorted_sums[first] <= value:
            first += 1
        return first
    while first < last:
        middle = (first + last) >> 1
        if sorted_sums[middle] <= value:
            first = middle + 1
        else:
            last = middle
    return first


@numba.njit(cache=True, inline="always")
def _rank_window(  # noqa: PLR0917 -- numba kernels take no keyword-only arguments
    sorted_sums: np.ndarray,
    start: np.ndarray,
    low_sum: float,
    scale: float,
    low: float,
    high: float,
) -> tuple[int, int]:
    """How many sums are below ``low``, and how many are at most ``high`` (``low <= high``).

    Every sum in a bucket below a value's bucket is below the value and every sum in a bucket
    above it is above, so only the value's own bucket is searched.
    """
    buckets = len(start) - 1
    bucket = _bucket(low, low_sum, scale, buckets)
    below = _index_below(sorted_sums, start[bucket], start[bucket + 1], low)
    top = _bucket(high, low_sum, scale, buckets)
    if top == bucket:
        # Every sum before ``below`` is below ``low``, so at most ``high``: search on from it.
        at_most = _index_above(sorted_sums, below, start[bucket + 1], high)
    else:
        at_most = _index_above(sorted_sums, start[top], start[top + 1], high)
    return below, at_most


@numba.njit(cache=True)
def _sort_into_buckets(  # noqa: PLR0917 -- numba kernels take no keyword-only arguments
    sums: np.ndarray,
    sorted_out: np.ndarray,
    draws_out: np.ndarray,
    start: np.ndarray,
    counts: np.ndarray,
    bucket_of: np.ndarray,
) -> tuple[float, float]:
    """Sort ``sums`` (and their draw numbers) by bucket; index where each bucket starts.

    ``sorted_out`` has ``_SCAN`` more entries than ``sums``: they are set to +inf.
    """
    permutations = len(sums)
    buckets = len(start) - 1
    low = sums.min()
    span = sums.max() - low
    scale = buckets / span if span > 0.0 else 0.0
    if not np.isfinite(scale):  # a span too small for the division to stay finite
        scale = 0.0
    counts[:] = 0
    for p in range(permutations):
        bucket_of[p] = _bucket(sums[p], low, scale, buckets)
        counts[bucket_of[p]] += 1
    total = 0
    crowded = 0
    for b in range(buckets):
        here = counts[b]
        start[b] = total
        counts[b] = total
        total += here
        crowded += here > 24
    start[buckets] = total
    for p in range(permutations):
        b = bucket_of[p]
        sorted_out[counts[b]] = sums[p]
        draws_out[counts[b]] = p
        counts[b] += 1
    sorted_out[permutations:] = np.inf
    # A crowded bucket is sorted on its own; then one insertion pass orders every bucket (a
    # sum never moves out of its bucket: the buckets are in order of value).
    for b in range(buckets if crowded else 0):
        first, last = start[b], start[b + 1]
        if last - first > 24:
            block = sorted_out[first:last]
            if block.min() == block.max():  # equal sums (often zeros): already in order
                continue
            order = np.argsort(block)
            sorted_out[first:last] = block[order]
            draws_out[first:last] = draws_out[first:last][order]
    finish_sort(sorted_out, draws_out, permutations)
    return low, scale


@numba.njit(cache=True, inline="always")
def _list_off_grid_sums(
    sorted_draws: np.ndarray, first_off: np.ndarray, k: int, positions: np.ndarray
) -> int:
    """Write the sorted positions of the sums of ``k`` members that hold one off the grid.

    ``first_off`` is each draw's first member off the grid; returns how many were written.
    """
    listed = 0
    for t in range(len(sorted_draws)):
        if first_off[sorted_draws[t]] < k:
            positions[listed] = t
            listed += 1
    return listed


@numba.njit(cache=True, parallel=True)
def _equal_weight_tables(  # noqa: PLR0917 -- numba kernels take no keyword-only arguments
    columns: np.ndarray,
    samples: np.ndarray,
    group_of_size: np.ndarray,
    groups: int,
    sorted_groups: np.ndarray,
    sorted_sums: np.ndarray,
    sorted_draws: np.ndarray,
    starts: np.ndarray,
    lows: np.ndarray,
    scales: np.ndarray,
    largest_abs: np.ndarray,
    off_grid: np.ndarray,
    list_of_column: np.ndarray,
    listed_positions: np.ndarray,
    listed_counts: np.ndarray,
    fixed_scales: np.ndarray,
    sorted_splits: np.ndarray,
) -> None:
    """Per industry and neighbour count: the sorted simulated sums and their bucket index.

    Counts held by few areas (``sorted_groups`` false) keep their sums unsorted (in draw
    order, which their ``sorted_draws`` say), without a bucket index.

    ``columns`` is the values industry-major (K x n). Sums run over each draw's members in
    order, so the sum of the first k members is a prefix of the sum of the first k + 1.

    For a partly exact column (``list_of_column`` >= 0, see :func:`_exact_sums`) the sorted
    positions of the sums that hold a value off the grid (``off_grid``, ``n x K``), and so may
    be rounded, are listed in order in ``listed_positions[g, list_of_column[c]]``, their number in
    ``listed_counts``; every other sum of the column is exact. Where the column also has a
    fixed scale (see :func:`_exact_sums`), every sorted sum's exact value is kept, split as
    :func:`_split` splits a value, in ``sorted_splits[g, list_of_column[c], :, t]`` (integer
    parts, then fractions), so that comparing it exactly takes no pass over its members.
    """
    n_columns = columns.shape[0]
    permutations, size = samples.shape
    size_of_group = np.empty(groups, dtype=np.int64)
    for m in range(size + 1):
        if group_of_size[m] >= 0:
            size_of_group[group_of_size[m]] = m
    for c in numba.prange(n_columns):
        column = columns[c]
        column_list = list_of_column[c]
        sums = np.empty((groups, permutations))
        counts = np.empty(starts.shape[2], dtype=np.int64)
        bucket_of = np.empty(permutations, dtype=np.int64)
        # The first member off the grid in each draw (size: none).
        first_off = np.full(permutations if column_list >= 0 else 0, size, dtype=np.int64)
        fixed_scale, split_size = _split_extent(fixed_scales[:, c], size_of_group, column_list)
        splits = np.empty((groups, 2, permutations if fixed_scale > 0.0 else 0), dtype=np.int64)
        largest = np.zeros(groups)
        if split_size:
            _split_sums(column, samples, group_of_size, split_size, fixed_scale, splits)
        for p in range(permutations):
            total = 0.0
            total_abs = 0.0
            for m in range(size):
                member = samples[p, m]
                value = column[member]
                total += value
                total_abs += abs(value)
                if column_list >= 0 and first_off[p] == size and off_grid[member, c]:
                    first_off[p] = m
                if m + 1 < size and group_of_size[m + 1] >= 0:
                    sums[group_of_size[m + 1], p] = total
                # An area of count m may swap itself for member m: bound its draws by m + 1.
                g = group_of_size[m]
                if g >= 0:
                    largest[g] = max(largest[g], total_abs)
        for g in range(groups):
            largest_abs[g, c] = largest[g]
            lows[g, c], scales[g, c] = _order_sums(
                sums[g],
                sorted_groups[g],
                sorted_sums[g, c],
                sorted_draws[g, c],
                starts[g, c],
                counts,
                bucket_of,
            )
            if column_list >= 0:  # partly exact
                listed_counts[g, column_list] = _list_off_grid_sums(
                    sorted_draws[g, c],
                    first_off,
                    size_of_group[g],
                    listed_positions[g, column_list],
                )
                _keep_splits(
                    splits[g],
                    sorted_draws[g, c],
                    split_size >= size_of_group[g],
                    sorted_splits[g],
                    column_list,
                )


@numba.njit(cache=True, inline="always")
def _split_sums(  # noqa: PLR0917 -- numba kernels take no keyword-only arguments
    column: np.ndarray,
    samples: np.ndarray,
    group_of_size: np.ndarray,
    split_size: int,
    fixed_scale: float,
    splits: np.ndarray,
) -> None:
    """Each draw's exact sums of its first members, split as :func:`_split` splits a value.

    For the neighbour counts up to ``split_size``: ``splits[group, :, p]`` (integer part,
    fraction times ``fixed_scale``), as prefixes like the sums themselves.
    """
    for p in range(samples.shape[0]):
        whole, part = np.int64(0), np.int64(0)
        for m in range(split_size):
            value_whole, value_part = _split(column[samples[p, m]], fixed_scale)
            whole += value_whole
            part += value_part
            g = group_of_size[m + 1]
            if g >= 0:
                splits[g, 0, p] = whole
                splits[g, 1, p] = part


@numba.njit(cache=True, inline="always")
def _order_sums(  # noqa: PLR0917 -- numba kernels take no keyword-only arguments
    sums: np.ndarray,
    sort: bool,
    sorted_sums: np.ndarray,
    sorted_draws: np.ndarray,
    start: np.ndarray,
    counts: np.ndarray,
    bucket_of: np.ndarray,
) -> tuple[float, float]:
    """One neighbour count's sums of one column, sorted into the bucket index if ``sort``.

    Else they stay in draw order (``sorted_draws`` the identity). Returns the bucket index's
    low sum and scale (zeros when not sorted).
    """
    if sort:
        return _sort_into_buckets(sums, sorted_sums, sorted_draws, start, counts, bucket_of)
    sorted_sums[: len(sums)] = sums
    for t in range(len(sums)):
        sorted_draws[t] = t
    return 0.0, 0.0


@numba.njit(cache=True, inline="always")
def _keep_splits(
    splits: np.ndarray, order: np.ndarray, formed: bool, kept: np.ndarray, column_list: int
) -> None:
    """Keep a partly exact column's ``splits`` of a group's sums in their sorted ``order``.

    ``splits`` is ``2 x P``, in draw order; kept as ``kept[column_list]`` if ``formed``.
    """
    if formed:
        kept[column_list, 0] = splits[0][order]
        kept[column_list, 1] = splits[1][order]


@numba.njit(cache=True, inline="always")
def _split_extent(
    fixed_scales: np.ndarray, size_of_group: np.ndarray, column_list: int
) -> tuple[float, int]:
    """A partly exact column's fixed scale, and the most members of a sum it splits exactly.

    ``fixed_scales`` are the column's, by neighbour count (0 where none fits); ``(0.0, 0)``
    for a column that is not partly exact, or has no fixed scale.
    """
    fixed_scale = 0.0
    split_size = 0
    for g in range(len(fixed_scales) if column_list >= 0 else 0):
        if fixed_scales[g] > 0.0:
            fixed_scale = fixed_scales[g]
            split_size = max(split_size, size_of_group[g])
    return fixed_scale, split_size


@numba.njit(cache=True, inline="always")
def _split(value: float, fixed_scale: float) -> tuple[np.int64, np.int64]:
    """``value`` as its integer part and its fraction times ``fixed_scale``, both exact.

    Exact for the values of a column :func:`_exact_sums` gives a ``fixed_scale`` to.
    """
    floor = np.floor(value)
    return np.int64(floor), np.int64((value - floor) * fixed_scale)


@numba.njit(cache=True, inline="always")
def _split_sign(whole: np.int64, part: np.int64, k: int, fixed_scale: float) -> int:
    """Sign of ``whole + part / fixed_scale``: a difference of two split sums of ``k`` terms."""
    # The fractions differ by less than k in all: a larger whole difference decides.
    if whole > k or whole < -k:
        return 1 if whole > 0 else -1
    total = whole * np.int64(fixed_scale) + part
    return int(total > 0) - int(total < 0)


@numba.njit(cache=True, inline="always")
def _split_neighbours(
    rows: np.ndarray, neighbours: np.ndarray, c: int, fixed_scale: float
) -> tuple[np.int64, np.int64]:
    """The neighbours' exact sum of column ``c``, split as :func:`_split` splits one value."""
    whole, part = np.int64(0), np.int64(0)
    for j in neighbours:
        value_whole, value_part = _split(rows[j, c], fixed_scale)
        whole += value_whole
        part += value_part
    return whole, part


@numba.njit(cache=True)
def _exact_equal_sign(  # noqa: PLR0917 -- numba kernels take no keyword-only arguments
    rows: np.ndarray,
    samples: np.ndarray,
    p: int,
    k: int,
    c: int,
    replaced: int,
    neighbours: np.ndarray,
    scratch: np.ndarray,
    fixed_scale: float,
) -> int:
    """Sign of (draw ``p``'s exact sum) - (the neighbours' exact sum), for column ``c``.

    With a ``fixed_scale`` (see :func:`_exact_sums`) each value splits exactly into its
    integer part and its fraction, and the fraction times the scale is an integer: both
    differences of sums are formed exactly in 64-bit integers. Else the sums are formed as
    expansions of floating-point numbers.
    """
    if fixed_scale > 0.0:
        whole, part = np.int64(0), np.int64(0)
        for m in range(k):
            member = samples[p, m]
            if member == replaced:
                member = samples[p, k]
            value_whole, value_part = _split(rows[member, c], fixed_scale)
            whole += value_whole
            part += value_part
        neighbour_whole, neighbour_part = _split_neighbours(rows, neighbours, c, fixed_scale)
        return _split_sign(whole - neighbour_whole, part - neighbour_part, k, fixed_scale)
    length = 0
    for m in range(k):
        member = samples[p, m]
        if member == replaced:
            member = samples[p, k]
        length = grow_expansion(scratch, length, rows[member, c])
    for j in neighbours:
        length = grow_expansion(scratch, length, -rows[j, c])
    return expansion_sign(scratch, length)


@numba.njit(cache=True, inline="always")
def _decide(  # noqa: PLR0917 -- numba kernels take no keyword-only arguments
    simulated: float,
    low: float,
    high: float,
    in_window_tie: bool,
    rows: np.ndarray,
    samples: np.ndarray,
    p: int,
    k: int,
    c: int,
    replaced: int,
    neighbours: np.ndarray,
    scratch: np.ndarray,
    fixed_scale: float,
) -> int:
    """Sign of (simulated - observed), exact: by floating point outside the window.

    Inside it, a tie when ``in_window_tie`` says the sums there are exact, else decided on the
    exact sums.
    """
    if simulated < low:
        return -1
    if simulated > high:
        return 1
    if in_window_tie:
        return 0
    return _exact_equal_sign(rows, samples, p, k, c, replaced, neighbours, scratch, fixed_scale)


@numba.njit(cache=True, inline="always")
def _sorted_sign(  # noqa: PLR0917 -- numba kernels take no keyword-only arguments
    t: int,
    splits: np.ndarray,
    observed_split: tuple[np.int64, np.int64],
    rows: np.ndarray,
    samples: np.ndarray,
    sorted_draws: np.ndarray,
    k: int,
    c: int,
    neighbours: np.ndarray,
    scratch: np.ndarray,
    fixed_scale: float,
) -> int:
    """Sign of (the sum at sorted position ``t``) - (the neighbours' sum), exact.

    From the sum's kept split (``splits``, ``2 x P``, against ``observed_split``, the
    neighbours' sum split alike) where the tables kept one, else from its members.
    """
    if splits.shape[1]:
        whole, part = observed_split
        return _split_sign(splits[0, t] - whole, splits[1, t] - part, k, fixed_scale)
    return _exact_equal_sign(
        rows, samples, sorted_draws[t], k, c, -1, neighbours, scratch, fixed_scale
    )


@numba.njit(cache=True, inline="always")
def _observed_split(
    splits: np.ndarray, rows: np.ndarray, neighbours: np.ndarray, c: int, fixed_scale: float
) -> tuple[np.int64, np.int64]:
    """The neighbours' sum split as the kept ``splits`` are (zeros where none are kept)."""
    if splits.shape[1]:
        return _split_neighbours(rows, neighbours, c, fixed_scale)
    return np.int64(0), np.int64(0)


@numba.njit(cache=True, inline="always")
def _decide_listed(  # noqa: PLR0917 -- numba kernels take no keyword-only arguments
    column: np.ndarray,
    listed: np.ndarray,
    splits: np.ndarray,
    low: float,
    high: float,
    observed: float,
    rows: np.ndarray,
    samples: np.ndarray,
    sorted_draws: np.ndarray,
    k: int,
    c: int,
    neighbours: np.ndarray,
    scratch: np.ndarray,
    fixed_scale: float,
    sorted_column: bool = True,
) -> tuple[int, int]:
    """Corrections to counts made by floating-point comparison with an exact ``observed``.

    ``listed`` are the positions in ``column`` of the sums that may be rounded, in order;
    those within ``[low, high]`` are decided on the exact sums instead (see
    :func:`_sorted_sign`). In a ``sorted_column`` their sums are in order too, and the first
    in the window is found by bisection. Returns the changes to the counts at least and at
    most the observed sum.
    """
    first, last = 0, len(listed)
    while sorted_column and first < last:  # the first listed sum in the window
        middle = (first + last) >> 1
        if column[listed[middle]] < low:
            first = middle + 1
        else:
            last = middle
    more = 0
    fewer = 0
    if sorted_column and (first == len(listed) or column[listed[first]] > high):
        return more, fewer
    observed_split = _observed_split(splits, rows, neighbours, c, fixed_scale)
    for index in range(first, len(listed)):
        t = listed[index]
        simulated = column[t]
        if not low <= simulated <= high:
            if sorted_column and simulated > high:
                break
            continue
        sign = _sorted_sign(
            t,
            splits,
            observed_split,
            rows,
            samples,
            sorted_draws,
            k,
            c,
            neighbours,
            scratch,
            fixed_scale,
        )
        more += (sign >= 0) - (simulated >= observed)
        fewer += (sign <= 0) - (simulated <= observed)
    return more, fewer


@numba.njit(cache=True)
def _count_directly(  # noqa: PLR0917 -- numba kernels take no keyword-only arguments
    rows: np.ndarray,
    observed: np.ndarray,
    observed_abs: np.ndarray,
    on_grid: np.ndarray,
    units: np.ndarray,
    indptr: np.ndarray,
    indices: np.ndarray,
    samples: np.ndarray,
    sums: np.ndarray,
    draws_of: np.ndarray,
    largest_abs: np.ndarray,
    non_negative: np.ndarray,
    exact_sums: np.ndarray,
    fixed_scales: np.ndarray,
    list_of_column: np.ndarray,
    listed_positions: np.ndarray,
    listed_counts: np.ndarray,
    sorted_splits: np.ndarray,
    k: int,
    skipped: np.ndarray,
    ge: np.ndarray,
    le: np.ndarray,
) -> None:
    """Counts of a few areas against the unsorted sums of their count (``K x P``).

    Cells ``skipped`` (``K x areas``) get zero counts. In a partly exact column an observed
    sum of values on the grid (``on_grid``) is counted as in an exact column, then the sums
    listed as holding a value off the grid that fall in its window are decided exactly.
    Other sums in a window are decided exactly too; both from their kept splits where the
    tables kept them (see :func:`_sorted_sign`).
    """
    n_columns = sums.shape[0]
    permutations = samples.shape[0]
    scratch = np.empty(2 * k + 2)
    no_splits = np.empty((2, 0), dtype=np.int64)
    no_listed = np.empty(0, dtype=listed_positions.dtype)
    for c in range(n_columns):
        draws = sums[c]
        draw_of = draws_of[c]
        column_list = list_of_column[c]
        fixed_scale = fixed_scales[c]
        splits = sorted_splits[column_list] if column_list >= 0 and fixed_scale > 0.0 else no_splits
        listed = (
            listed_positions[column_list, : listed_counts[column_list]]
            if column_list >= 0
            else no_listed
        )
        for u in range(len(units)):
            if skipped[c, u]:
                ge[c, u] = 0
                le[c, u] = 0
                continue
            obs = observed[c, u]
            exact_observed = column_list >= 0 and on_grid[c, u]
            low, high = _window(
                obs,
                observed_abs[c, u],
                largest_abs[c],
                k,
                non_negative[c],
                exact_sums[c] or exact_observed,
            )
            at_least = 0
            at_most = 0
            for p in range(permutations):
                at_least += draws[p] >= low
                at_most += draws[p] <= high
            ge[c, u] = at_least
            le[c, u] = at_most
            if exact_sums[c] or (non_negative[c] and obs == 0.0):
                continue  # exact sums, or zeros: exact already
            if not exact_observed and at_least + at_most == permutations:
                continue  # nothing in the window
            i = units[u]
            neighbours = indices[indptr[i] : indptr[i + 1]]
            if exact_observed:
                if len(listed):
                    low, high = _window(obs, observed_abs[c, u], largest_abs[c], k, non_negative[c])
                    more, fewer = _decide_listed(
                        draws,
                        listed,
                        splits,
                        low,
                        high,
                        obs,
                        rows,
                        samples,
                        draw_of,
                        k,
                        c,
                        neighbours,
                        scratch,
                        fixed_scale,
                        False,
                    )
                    ge[c, u] += more
                    le[c, u] += fewer
                continue
            observed_split = _observed_split(splits, rows, neighbours, c, fixed_scale)
            for p in range(permutations):
                if not low <= draws[p] <= high:
                    continue
                sign = _sorted_sign(
                    p,
                    splits,
                    observed_split,
                    rows,
                    samples,
                    draw_of,
                    k,
                    c,
                    neighbours,
                    scratch,
                    fixed_scale,
                )
                ge[c, u] -= sign < 0
                le[c, u] -= sign > 0


@numba.njit(cache=True, parallel=True)
def _count_equal_weights(  # noqa: PLR0912, PLR0915, PLR0917 -- one pass
    rows: np.ndarray,
    sorted_groups: np.ndarray,
    indptr: np.ndarray,
    indices: np.ndarray,
    blocks: np.ndarray,
    units: np.ndarray,
    group_of_size: np.ndarray,
    samples: np.ndarray,
    member_pointer: np.ndarray,
    member_draws: np.ndarray,
    sorted_sums: np.ndarray,
    sorted_draws: np.ndarray,
    starts: np.ndarray,
    lows: np.ndarray,
    scales: np.ndarray,
    largest_abs: np.ndarray,
    non_negative: np.ndarray,
    exact_sums: np.ndarray,
    fixed_scales: np.ndarray,
    off_grid: np.ndarray,
    list_of_column: np.ndarray,
    listed_positions: np.ndarray,
    listed_counts: np.ndarray,
    sorted_splits: np.ndarray,
    skip: np.ndarray,
    count_ge: np.ndarray,
    count_le: np.ndarray,
) -> None:
    """Counts for the areas listed in ``units``, in blocks of one neighbour count each.

    Cells ``skip`` marks (``n x K``, or ``0 x 0`` for none) get zero counts: their results
    are not wanted, and cells whose value is missing tie with many draws. In columns whose
    sums are all exact (``exact_sums``) a sum equal to the observed one is a tie as it is. In
    partly exact columns (``list_of_column`` >= 0) an observed sum of values on the grid is
    exact, and so is its floating-point comparison with every sum not listed in
    ``listed_positions``: only the listed sums in its window are compared exactly. Sums in
    the window of an observed sum that holds a value off the grid are compared exactly, from
    their ``sorted_splits`` where the tables kept them.
    """
    n_columns = rows.shape[1]
    permutations = samples.shape[0]
    signed = not non_negative.all()
    any_skipped = skip.shape[0] > 0
    any_partly = listed_positions.shape[1] > 0
    for block in numba.prange(len(blocks) - 1):
        no_splits = np.empty((2, 0), dtype=np.int64)
        no_listed = np.empty(0, dtype=listed_positions.dtype)
        first, last = blocks[block], blocks[block + 1]
        size = last - first
        k = indptr[units[first] + 1] - indptr[units[first]]
        g = group_of_size[k]
        skipped = np.zeros((n_columns, size), dtype=np.bool_)
        if any_skipped:
            for u in range(size):
                for c in range(n_columns):
                    skipped[c, u] = skip[units[first + u], c]
        # Industry-major, so the loop over the block's areas for one industry is contiguous.
        observed = np.empty((n_columns, size))
        observed_abs = observed if not signed else np.empty((n_columns, size))
        ge = np.empty((n_columns, size), dtype=count_ge.dtype)
        le = np.empty((n_columns, size), dtype=count_le.dtype)
        scratch = np.empty(2 * k + 2)
        # The observed lags, summed here from the neighbours' rows (in any order: ties are
        # decided exactly), rather than by a sparse product over every area beforehand.
        lag = np.empty(n_columns)
        lag_abs = np.empty(n_columns)
        # Whether each observed lag of a partly exact column sums values on the grid only.
        on_grid = np.empty((n_columns, size if any_partly else 0), dtype=np.bool_)
        lag_on_grid = np.empty(n_columns, dtype=np.bool_)
        for u in range(size):
            i = units[first + u]
            lag[:] = 0.0
            for slot in range(indptr[i], indptr[i + 1]):
                j = indices[slot]
                for c in range(n_columns):
                    lag[c] += rows[j, c]
            for c in range(n_columns):
                observed[c, u] = lag[c]
            # Sums of absolute values bound the rounding of sums with negative terms only.
            if signed:
                lag_abs[:] = 0.0
                for slot in range(indptr[i], indptr[i + 1]):
                    j = indices[slot]
                    for c in range(n_columns):
                        lag_abs[c] += abs(rows[j, c])
                for c in range(n_columns):
                    observed_abs[c, u] = lag_abs[c]
            if any_partly:
                lag_on_grid[:] = True
                for slot in range(indptr[i], indptr[i + 1]):
                    j = indices[slot]
                    for c in range(n_columns):
                        lag_on_grid[c] &= not off_grid[j, c]
                for c in range(n_columns):
                    on_grid[c, u] = lag_on_grid[c]
        if not sorted_groups[g]:
            # Few areas have this count: compare each with every draw instead of sorting.
            _count_directly(
                rows,
                observed,
                observed_abs,
                on_grid,
                units[first:last],
                indptr,
                indices,
                samples,
                sorted_sums[g],
                sorted_draws[g],
                largest_abs[g],
                non_negative,
                exact_sums,
                fixed_scales[g],
                list_of_column,
                listed_positions[g],
                listed_counts[g],
                sorted_splits[g],
                k,
                skipped,
                ge,
                le,
            )
        for c in range(n_columns if sorted_groups[g] else 0):
            column = sorted_sums[g, c]
            start = starts[g, c]
            low_sum, scale = lows[g, c], scales[g, c]
            positive = non_negative[c]
            exact = exact_sums[c]
            largest = largest_abs[g, c]
            column_list = list_of_column[c]
            fixed_scale = fixed_scales[g, c]
            splits = (
                sorted_splits[g, column_list]
                if column_list >= 0 and fixed_scale > 0.0
                else no_splits
            )
            listed = (
                listed_positions[g, column_list, : listed_counts[g, column_list]]
                if column_list >= 0
                else no_listed
            )
            # Non-negative sums: the zeros come first, and a zero ties exactly with a zero.
            zeros = _index_above(column, 0, permutations, 0.0) if positive else 0
            for u in range(size):
                if skipped[c, u]:
                    ge[c, u] = 0
                    le[c, u] = 0
                    continue
                obs = observed[c, u]
                if positive and obs == 0.0:
                    ge[c, u] = permutations
                    le[c, u] = zeros
                    continue
                if column_list >= 0 and on_grid[c, u]:
                    # The observed sum is exact, and so are its comparisons with the exact
                    # sums: all are counted from its ranks, then the listed sums in its window
                    # are decided on their exact sums.
                    under, at_most = _rank_window(column, start, low_sum, scale, obs, obs)
                    ge[c, u] = permutations - under
                    le[c, u] = at_most
                    if len(listed):
                        low, high = _window(obs, observed_abs[c, u], largest, k, positive)
                        i = units[first + u]
                        more, fewer = _decide_listed(
                            column,
                            listed,
                            splits,
                            low,
                            high,
                            obs,
                            rows,
                            samples,
                            sorted_draws[g, c],
                            k,
                            c,
                            indices[indptr[i] : indptr[i + 1]],
                            scratch,
                            fixed_scale,
                        )
                        ge[c, u] += more
                        le[c, u] += fewer
                    continue
                low, high = _window(obs, observed_abs[c, u], largest, k, positive, exact)
                below, above = _rank_window(column, start, low_sum, scale, low, high)
                ge[c, u] = permutations - above
                le[c, u] = below
                if exact:  # the sums in the window equal the observed one: ties
                    ge[c, u] += above - below
                    le[c, u] += above - below
                    continue
                if above == below:
                    continue
                # Sums in the window: compare them exactly (rare but for sums that hold a
                # value off the grid, which the kept splits make cheap).
                i = units[first + u]
                neighbours = indices[indptr[i] : indptr[i + 1]]
                observed_split = _observed_split(splits, rows, neighbours, c, fixed_scale)
                for t in range(below, above):
                    sign = _sorted_sign(
                        t,
                        splits,
                        observed_split,
                        rows,
                        samples,
                        sorted_draws[g, c],
                        k,
                        c,
                        neighbours,
                        scratch,
                        fixed_scale,
                    )
                    ge[c, u] += sign >= 0
                    le[c, u] += sign <= 0
        # Draws that contain the area itself: swap it for the spare member. Both sums are
        # formed for every industry at once, from whole rows.
        before_sums = np.empty(n_columns)
        after_sums = np.empty(n_columns)
        for u in range(size):
            i = units[first + u]
            neighbours = indices[indptr[i] : indptr[i + 1]]
            for slot in range(member_pointer[i], member_pointer[i + 1]):
                p = member_draws[slot]
                before_sums[:] = 0.0
                after_sums[:] = 0.0
                for m in range(k):
                    member = samples[p, m]
                    swapped = samples[p, k] if member == i else member
                    for c in range(n_columns):
                        before_sums[c] += rows[member, c]
                        after_sums[c] += rows[swapped, c]
                for c in range(n_columns):
                    if skipped[c, u]:
                        continue
                    obs = observed[c, u]
                    low, high = _window(
                        obs,
                        observed_abs[c, u],
                        largest_abs[g, c],
                        k,
                        non_negative[c],
                        exact_sums[c],
                    )
                    # In the window and exact: zero lags of non-negative values, or exact sums.
                    in_window_tie = exact_sums[c] or (non_negative[c] and obs == 0.0)
                    before = _decide(
                        before_sums[c],
                        low,
                        high,
                        in_window_tie,
                        rows,
                        samples,
                        p,
                        k,
                        c,
                        -1,
                        neighbours,
                        scratch,
                        fixed_scales[g, c],
                    )
                    after = _decide(
                        after_sums[c],
                        low,
                        high,
                        in_window_tie,
                        rows,
                        samples,
                        p,
                        k,
                        c,
                        i,
                        neighbours,
                        scratch,
                        fixed_scales[g, c],
                    )
                    ge[c, u] += (after >= 0) - (before >= 0)
                    le[c, u] += (after <= 0) - (before <= 0)
        for u in range(size):
            i = units[first + u]
            for c in range(n_columns):
                count_ge[i, c] = ge[c, u]
                count_le[i, c] = le[c, u]


@numba.njit(cache=True, parallel=True)
def _non_negative_rows(columns: np.ndarray) -> np.ndarray:
    """Whether each row of ``columns`` (an industry's values) has no negative value."""
    result = np.empty(columns.shape[0], dtype=np.bool_)
    for c in numba.prange(columns.shape[0]):
        result[c] = columns[c].min() >= 0.0 if columns.shape[1] else True
    return result


@numba.njit(cache=True, inline="always")
def _quantum_exponent(value: float) -> int:
    """The exponent of the value of the lowest set mantissa bit of a finite, non-zero value.

    Read from the IEEE 754 bits: a normal value is ``(2**52 + mantissa) * 2**(biased - 1075)``,
    a subnormal one (biased exponent 0) ``mantissa * 2**-1074``.
    """
    bits = float_bits(value)
    biased = (bits >> 52) & 0x7FF
    mantissa = bits & 0xF_FFFF_FFFF_FFFF
    if biased == 0:
        return int(trailing_zeros(mantissa) - 1074)
    return int(trailing_zeros(mantissa | 0x10_0000_0000_0000) + biased - 1075)


@numba.njit(cache=True, inline="always")
def _off_the_grid(value: float, grid_exponent: int) -> bool:
    """Whether a finite ``value`` is not a multiple of :math:`2^q`, ``q = grid_exponent``."""
    return value != 0.0 and _quantum_exponent(value) < grid_exponent


@numba.njit(cache=True, inline="always")
def _grid_exponent(largest: float, terms: int) -> int:
    """The least ``q`` with ``terms`` times ``largest`` (finite, > 0) at most :math:`2^{53+q}`.

    Formed from the exact integer product of ``largest``'s mantissa and ``terms``, so no
    rounding can make the bound too small (for more than 1,023 terms, from the power of two
    above each, which may give one more than the least).
    """
    fraction, exponent = math.frexp(largest)
    bits = 0
    if terms > 1023:
        while (np.int64(1) << bits) < terms:
            bits += 1
        return int(exponent - 53 + bits)
    product = np.int64(fraction * 9007199254740992.0) * np.int64(terms)  # < 2**63
    while (np.int64(1) << bits) < product:
        bits += 1
    return int(exponent - 53 - 53 + bits)


#: Distinct values off the grid that still make a column partly exact when they are many
#: among its non-zero values: the imputed values of a sparse count (the mean, one value).
_FEW_IMPUTED = 4


@numba.njit(cache=True, inline="always")
def _count_distinct(seen: np.ndarray, distinct: int, value: float) -> int:
    """How many distinct values with ``value``: ``seen[:distinct]`` holds those seen so far.

    Counting stops at one more than ``len(seen)``.
    """
    if distinct > len(seen):
        return distinct
    for index in range(distinct):
        if seen[index] == value:
            return distinct
    if distinct < len(seen):
        seen[distinct] = value
    return distinct + 1


@numba.njit(cache=True, parallel=True)
def _exact_sums(
    columns: np.ndarray, terms: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    r"""For each row of ``columns``: are sums of ``terms`` of its values exact, and how.

    Every finite value is an integer multiple of a power of two, its quantum (the value of its
    lowest set mantissa bit). With :math:`2^q` the row's grid (``grid_exponent``: the least
    :math:`q` with ``terms`` times the largest magnitude at most :math:`2^{53+q}`), a value
    is on the grid when its quantum is at least :math:`2^q`: any sum of ``terms`` values on
    the grid, in any order, is a multiple of :math:`2^q` that double precision holds, so it
    is computed exactly. ``float_exact``: every value is on the grid (integer counts, for
    one). ``partly_exact``: some are not, but at most an eighth of the values, and either at
    most an eighth of the non-zero values or a few distinct values beside some non-zero ones
    on the grid (counts with cells imputed with the mean, sparse or not; not LQs among
    zeros): sums of values on the grid are still exact, and :func:`_off_grid` marks the
    others.

    ``fixed_scale`` (else 0): each value is its integer part (exact) plus its fraction (also
    exact, :math:`x - \lfloor x \rfloor`, unless :math:`-1 < x < 0`); with :math:`2^f` the
    smallest quantum of the fractions, the fractions times :math:`2^{-f}` are integers.
    ``split_terms``: the most terms whose integer parts' sums and :math:`2^{-f}` times the
    number of terms stay within :math:`2^{61}` (no scale where not even one). For sums of
    that many terms at most,
    :func:`_exact_equal_sign` forms the differences of sums exactly in 64-bit integers:
    counts with cells imputed with the mean, for one, whose sums double precision rounds.
    """
    n_columns = columns.shape[0]
    float_exact = np.zeros(n_columns, dtype=np.bool_)
    partly_exact = np.zeros(n_columns, dtype=np.bool_)
    fixed_scale = np.zeros(n_columns)
    split_terms = np.zeros(n_columns, dtype=np.int64)
    grid_exponent = np.zeros(n_columns, dtype=np.int64)
    for c in numba.prange(n_columns):
        largest = 0.0
        finite = True
        for value in columns[c]:
            if not np.isfinite(value):
                finite = False
                break
            largest = max(largest, abs(value))
        if not finite:
            continue
        if largest == 0.0:
            float_exact[c] = True
            fixed_scale[c] = 1.0
            split_terms[c] = _MOST_TERMS
            continue
        grid = _grid_exponent(largest, terms)
        grid_exponent[c] = grid
        lowest_fraction = 2000
        splits = True
        non_zero = 0
        off_grid_count = 0
        distinct_off = np.empty(_FEW_IMPUTED)
        distinct = 0  # off-grid values told apart, up to one more than _FEW_IMPUTED
        for value in columns[c]:
            if value == 0.0:
                continue
            non_zero += 1
            if _off_the_grid(value, grid):
                off_grid_count += 1
                distinct = _count_distinct(distinct_off, distinct, value)
            if -1.0 < value < 0.0:
                # Its fraction, value + 1, can round (Sterbenz's lemma covers the others).
                splits = False
            fraction = value - np.floor(value)
            if fraction != 0.0:
                lowest_fraction = min(lowest_fraction, _quantum_exponent(fraction))
        float_exact[c] = off_grid_count == 0
        partly_exact[c] = 0 < off_grid_count <= len(columns[c]) // 8 and (
            off_grid_count <= non_zero // 8
            or (distinct <= _FEW_IMPUTED and off_grid_count < non_zero)
        )
        scale = 1.0 if lowest_fraction == 2000 else math.ldexp(1.0, -lowest_fraction)
        most = np.floor(2.0**61 / max(largest + 1.0, scale))
        if splits and most >= 1.0:
            fixed_scale[c] = scale
            split_terms[c] = _MOST_TERMS if most >= _MOST_TERMS else int(most)
    return float_exact, fixed_scale, split_terms, grid_exponent, partly_exact


#: More terms than any sum has (a bound on :func:`_exact_sums`' ``split_terms``).
_MOST_TERMS = 2**40


def _fixed_scales(
    fixed_scale: np.ndarray, split_terms: np.ndarray, sizes: np.ndarray
) -> np.ndarray:
    """``len(sizes) x K``: each column's fixed scale where it splits sums of ``size + 1`` terms.

    A draw's members and its spare; 0 where the column has no fixed scale for them.
    """
    return np.where(split_terms[None, :] >= sizes[:, None] + 1, fixed_scale[None, :], 0.0)


@numba.njit(cache=True, parallel=True)
def _off_grid(rows: np.ndarray, grid_exponent: np.ndarray, partly_exact: np.ndarray) -> np.ndarray:
    """``n x K``: which values of the ``partly_exact`` columns are off their grid.

    See :func:`_exact_sums`; the other columns are marked on it.
    """
    n, n_columns = rows.shape
    marks = np.zeros((n, n_columns), dtype=np.bool_)
    for i in numba.prange(n):
        for c in range(n_columns):
            if partly_exact[c]:
                marks[i, c] = _off_the_grid(rows[i, c], grid_exponent[c])
    return marks


def _without_rows(matrix: sparse.csr_array, dropped: np.ndarray) -> sparse.csr_array:
    """``matrix`` with the rows ``dropped`` (boolean per row) emptied."""
    lengths = np.where(dropped, 0, np.diff(matrix.indptr))
    keep = np.repeat(~dropped, np.diff(matrix.indptr))
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    emptied = sparse.csr_array(
        (matrix.data[keep], matrix.indices[keep], indptr), shape=matrix.shape
    )
    emptied.has_sorted_indices = matrix.has_sorted_indices
    return emptied


def _blocks_by_count(units: np.ndarray, cardinalities: np.ndarray) -> np.ndarray:
    """Boundaries of blocks of at most ``_BLOCK_AREAS`` consecutive units of one count."""
    counts = cardinalities[units]
    change = np.flatnonzero(np.diff(counts)) + 1
    edges = [0]
    for first, last in zip(np.r_[0, change], np.r_[change, len(units)], strict=True):
        edges.extend(range(int(first) + _BLOCK_AREAS, int(last), _BLOCK_AREAS))
        edges.append(int(last))
    return np.asarray(edges, dtype=np.int64)


def _count_equal(  # noqa: PLR0917
    rows: np.ndarray,
    columns: np.ndarray,
    matrix: sparse.csr_array,
    samples: np.ndarray,
    memberships: tuple[np.ndarray, np.ndarray],
    non_negative: np.ndarray,
    skip: np.ndarray,
    count_ge: np.ndarray,
    count_le: np.ndarray,
) -> None:
    n_columns = rows.shape[1]
    permutations, size = samples.shape
    # A sum runs over at most ``size`` members (a draw's first k and its spare).
    exact_sums, fixed_scale, split_terms, grid_exponents, partly_exact = _exact_sums(columns, size)
    # Partly exact columns: which values are off their grid, and a list of sums each.
    partly = int(partly_exact.sum())
    list_of_column = np.full(n_columns, -1, dtype=np.int64)
    list_of_column[partly_exact] = np.arange(partly)
    off_grid = (
        _off_grid(rows, grid_exponents, partly_exact)
        if partly
        else np.zeros((0, 0), dtype=np.bool_)
    )
    cardinalities = np.diff(matrix.indptr)
    # Every count is below the samples' size (k_max + 1, or n when some area neighbours all).
    sizes = np.unique(cardinalities[cardinalities > 0])
    buckets = _BUCKETS_PER_DRAW * permutations
    # Kept splits, by list: wanted when a partly exact column has a fixed scale.
    kept = partly if (partly_exact & (split_terms > 0)).any() else 0
    per_size = (
        n_columns * (permutations * 12 + (buckets + 1) * 4)
        + partly * permutations * 4
        + kept * permutations * 16
    )
    wave = max(1, _TABLE_BUDGET // max(per_size, 1))
    indptr = matrix.indptr.astype(np.int64)
    indices = matrix.indices.astype(np.int64)
    areas_with = np.bincount(cardinalities, minlength=size + 1)
    for first in range(0, len(sizes), wave):
        wave_sizes = sizes[first : first + wave]
        group_of_size = np.full(size + 1, -1, dtype=np.int64)
        group_of_size[wave_sizes] = np.arange(len(wave_sizes))
        groups = len(wave_sizes)
        fixed_scales = _fixed_scales(fixed_scale, split_terms, wave_sizes)
        # Sorting P sums pays off when many areas look them up.
        sorted_groups = areas_with[wave_sizes] >= _SORT_FROM_AREAS
        sorted_sums = np.empty((groups, n_columns, permutations + _SCAN))
        sorted_draws = np.empty((groups, n_columns, permutations), dtype=np.int32)
        starts = np.empty((groups, n_columns, buckets + 1), dtype=np.int32)
        lows = np.empty((groups, n_columns))
        scales = np.empty((groups, n_columns))
        largest_abs = np.empty((groups, n_columns))
        listed_positions = np.empty((groups, partly, permutations), dtype=np.int32)
        listed_counts = np.zeros((groups, partly), dtype=np.int64)
        sorted_splits = np.empty((groups, kept, 2, permutations), dtype=np.int64)
        _equal_weight_tables(
            columns,
            samples,
            group_of_size,
            groups,
            sorted_groups,
            sorted_sums,
            sorted_draws,
            starts,
            lows,
            scales,
            largest_abs,
            off_grid,
            list_of_column,
            listed_positions,
            listed_counts,
            fixed_scales,
            sorted_splits,
        )
        units = np.flatnonzero(np.isin(cardinalities, wave_sizes))
        units = units[np.argsort(cardinalities[units], kind="stable")].astype(np.int64)
        _count_equal_weights(
            rows,
            sorted_groups,
            indptr,
            indices,
            _blocks_by_count(units, cardinalities),
            units,
            group_of_size,
            samples,
            memberships[0],
            memberships[1],
            sorted_sums,
            sorted_draws,
            starts,
            lows,
            scales,
            largest_abs,
            non_negative,
            exact_sums,
            fixed_scales,
            off_grid,
            list_of_column,
            listed_positions,
            listed_counts,
            sorted_splits,
            skip,
            count_ge,
            count_le,
        )


# --------------------------------------------------------------------------------------------
# General weights
# --------------------------------------------------------------------------------------------


@numba.njit(cache=True)
def _exact_weighted_sign(  # noqa: PLR0917 -- numba kernels take no keyword-only arguments
    rows: np.ndarray,
    weights: np.ndarray,
    neighbours: np.ndarray,
    samples: np.ndarray,
    p: int,
    c: int,
    area: int,
    scratch: np.ndarray,
) -> int:
    """Sign of sum_m w_m x[draw_m] - sum_m w_m x[neighbour_m], exactly, for column ``c``.

    A draw with the neighbours' value in every slot (zeros, a few common counts) ties: found
    before any exact arithmetic.
    """
    k = len(weights)
    same = True
    for m in range(k):
        member = samples[p, m]
        if member == area:
            member = samples[p, k]
        if rows[member, c] != rows[neighbours[m], c]:
            same = False
            break
    if same:
        return 0
    length = 0
    for m in range(k):
        member = samples[p, m]
        if member == area:
            member = samples[p, k]
        product, error = two_product(weights[m], rows[member, c])
        length = grow_expansion(scratch, length, product)
        length = grow_expansion(scratch, length, error)
    for m in range(k):
        product, error = two_product(weights[m], rows[neighbours[m], c])
        length = grow_expansion(scratch, length, -product)
        length = grow_expansion(scratch, length, -error)
    return expansion_sign(scratch, length)


@numba.njit(cache=True, inline="always")
def _weighted_draw(  # noqa: PLR0917 -- numba kernels take no keyword-only arguments
    rows: np.ndarray, weights: np.ndarray, samples: np.ndarray, p: int, c: int, area: int
) -> float:
    """The simulated lag of draw ``p`` for ``area`` and column ``c``, in double precision."""
    k = len(weights)
    total = 0.0
    for m in range(k):
        member = samples[p, m]
        if member == area:
            member = samples[p, k]
        total += weights[m] * rows[member, c]
    return total


@numba.njit(cache=True)
def _decide_noted(  # noqa: PLR0917 -- numba kernels take no keyword-only arguments
    rows: np.ndarray,
    indptr: np.ndarray,
    indices: np.ndarray,
    data: np.ndarray,
    samples: np.ndarray,
    first: int,
    low: np.ndarray,
    high: np.ndarray,
    notes: np.ndarray,
    noted: int,
    ge: np.ndarray,
    le: np.ndarray,
) -> None:
    """Decide the noted draws (area in the block, column, draw), counted both ways so far.

    In double precision outside the window, exactly inside it.
    """
    scratch = np.empty(4 * (samples.shape[1] + 1))
    for r in range(noted):
        u, c, p = notes[r, 0], notes[r, 1], notes[r, 2]
        i = first + u
        start, stop = indptr[i], indptr[i + 1]
        simulated_lag = _weighted_draw(rows, data[start:stop], samples, p, c, i)
        if simulated_lag < low[u, c]:
            ge[u, c] -= 1
        elif simulated_lag > high[u, c]:
            le[u, c] -= 1
        else:
            sign = _exact_weighted_sign(
                rows, data[start:stop], indices[start:stop], samples, p, c, i, scratch
            )
            ge[u, c] -= sign < 0
            le[u, c] -= sign > 0


@numba.njit(cache=True, parallel=True, fastmath={"contract"})
def _count_general_weights(  # noqa: PLR0912, PLR0915, PLR0917 -- one pass
    rows: np.ndarray,
    indptr: np.ndarray,
    indices: np.ndarray,
    data: np.ndarray,
    filter_rows: np.ndarray,
    filter_data: np.ndarray,
    filter_unit: float,
    samples: np.ndarray,
    member_pointer: np.ndarray,
    member_draws: np.ndarray,
    largest_abs: np.ndarray,
    non_negative: np.ndarray,
    count_ge: np.ndarray,
    count_le: np.ndarray,
) -> None:
    """Counts with general weights: a first pass, then exact decisions of its close calls.

    The first pass runs in the precision of ``filter_rows``; each draw too close to call in
    it is noted and decided in double precision, exactly inside the window.

    ``filter_rows`` and ``filter_data`` are the values and weights in that precision and
    ``filter_unit`` its unit roundoff (0 when it is double precision: the window itself).
    """
    n, n_columns = rows.shape
    permutations, size = samples.shape
    n_blocks = (n + _BLOCK_AREAS - 1) // _BLOCK_AREAS
    for block in numba.prange(n_blocks):
        first, last = block * _BLOCK_AREAS, min(n, (block + 1) * _BLOCK_AREAS)
        width = last - first
        low = np.empty((width, n_columns))
        high = np.empty((width, n_columns))
        # The window in the precision of the first pass, widened by its rounding error.
        filter_low = np.empty((width, n_columns), dtype=filter_rows.dtype)
        filter_high = np.empty((width, n_columns), dtype=filter_rows.dtype)
        # A window of zero width is an exact tie (both sums are exactly zero); in the others
        # a first-pass sum is too close to call.
        is_open = np.zeros((width, n_columns), dtype=np.bool_)
        ge = np.zeros((width, n_columns), dtype=count_ge.dtype)
        le = np.zeros((width, n_columns), dtype=count_le.dtype)
        # The draws too close to call (area in the block, column, draw), decided in batches.
        notes = np.empty((_NOTES, 3), dtype=np.int64)
        noted = 0
        simulated = np.empty(_BLOCK_DRAWS * n_columns, dtype=filter_rows.dtype)
        gathered = np.empty((size, _BLOCK_DRAWS * n_columns), dtype=filter_rows.dtype)
        cursor = np.empty(width, dtype=np.int64)
        most = 0
        for u in range(width):
            i = first + u
            cursor[u] = member_pointer[i]
            k = indptr[i + 1] - indptr[i]
            most = max(most, k)
            weight_abs = 0.0
            for slot in range(indptr[i], indptr[i + 1]):
                weight_abs += abs(data[slot])
            for c in range(n_columns):
                total = 0.0
                total_abs = 0.0
                for slot in range(indptr[i], indptr[i + 1]):
                    total += data[slot] * rows[indices[slot], c]
                    total_abs += abs(data[slot] * rows[indices[slot], c])
                low[u, c], high[u, c] = _window(
                    total, total_abs, weight_abs * largest_abs[c], k, non_negative[c]
                )
            # Zero with a double-precision first pass; for the single-precision one (values
            # and weights non-negative, so the window is too) the relative rounding bound
            # 2 (k + 3) u of the sum in single precision, plus the conversion of the bound.
            margin = (2.0 * k + 12.0) * filter_unit
            for c in range(n_columns):
                filter_low[u, c] = low[u, c] * (1.0 - margin)
                filter_high[u, c] = high[u, c] * (1.0 + margin)
                is_open[u, c] = filter_low[u, c] < filter_high[u, c]
        if most == 0:
            continue
        for draw_block in range(0, permutations, _BLOCK_DRAWS):
            block_draws = min(_BLOCK_DRAWS, permutations - draw_block)
            # The rows of this block's draws, once for every area of the block: member m of
            # every draw of the block side by side, so each product runs over one long row.
            for m in range(min(most + 1, size)):
                for b in range(block_draws):
                    member = samples[draw_block + b, m]
                    for c in range(n_columns):
                        gathered[m, b * n_columns + c] = filter_rows[member, c]
            span = block_draws * n_columns
            for u in range(width):
                i = first + u
                start = indptr[i]
                k = indptr[i + 1] - start
                if k == 0:
                    continue
                ge_u, le_u, low_u, high_u = ge[u], le[u], filter_low[u], filter_high[u]
                # A draw containing the area itself takes its spare member instead (rare).
                own_draws = (
                    cursor[u] < member_pointer[i + 1]
                    and member_draws[cursor[u]] < draw_block + block_draws
                )
                # Two products per pass over the block: fewer loads and stores of the sums.
                weight = filter_data[start]
                row = gathered[0]
                if k % 2:
                    for j in range(span):
                        simulated[j] = weight * row[j]
                else:
                    second_weight = filter_data[start + 1]
                    second_row = gathered[1]
                    for j in range(span):
                        simulated[j] = weight * row[j] + second_weight * second_row[j]
                for m in range(2 - k % 2, k, 2):
                    weight = filter_data[start + m]
                    row = gathered[m]
                    second_weight = filter_data[start + m + 1]
                    second_row = gathered[m + 1]
                    for j in range(span):
                        simulated[j] += weight * row[j] + second_weight * second_row[j]
                if own_draws:
                    while (
                        cursor[u] < member_pointer[i + 1]
                        and member_draws[cursor[u]] < draw_block + block_draws
                    ):
                        p = member_draws[cursor[u]]
                        cursor[u] += 1
                        b = p - draw_block
                        own = _member_slot(samples, p, k, i)
                        base = b * n_columns
                        for c in range(n_columns):
                            simulated[base + c] = 0.0
                        for m in range(k):
                            weight = filter_data[start + m]
                            row = gathered[k if m == own else m]
                            for c in range(n_columns):
                                simulated[base + c] += weight * row[base + c]
                open_u = is_open[u]
                for b in range(block_draws):
                    base = b * n_columns
                    close = 0
                    for c in range(n_columns):
                        at_least = simulated[base + c] >= low_u[c]
                        at_most = simulated[base + c] <= high_u[c]
                        ge_u[c] += at_least
                        le_u[c] += at_most
                        close += at_least & at_most & open_u[c]
                    if close == 0:
                        continue
                    # Counted both ways for now; note the draw to decide it below.
                    for c in range(n_columns):
                        if (
                            open_u[c]
                            and simulated[base + c] >= low_u[c]
                            and simulated[base + c] <= high_u[c]
                        ):
                            notes[noted, 0], notes[noted, 1] = u, c
                            notes[noted, 2] = draw_block + b
                            noted += 1
                            if noted == _NOTES:
                                _decide_noted(
                                    rows, indptr, indices, data, samples, first, low, high,
                                    notes, noted, ge, le,
                                )  # fmt: skip
                                noted = 0
        # The last draws too close to call in the first pass (rare).
        _decide_noted(rows, indptr, indices, data, samples, first, low, high, notes, noted, ge, le)
        for u in range(width):
            for c in range(n_columns):
                count_ge[first + u, c] = ge[u, c]
                count_le[first + u, c] = le[u, c]


#: Unit roundoff of single precision.
_SINGLE_UNIT = 2.0**-24
#: Non-zero values and weights between these magnitudes keep every single-precision product
#: and sum of the first pass a normal number (no underflow to zero, no overflow).
_SINGLE_SMALLEST, _SINGLE_LARGEST = 2.0**-60, 2.0**60


def _single_precision_filter(values: np.ndarray, weights: np.ndarray, largest_count: int) -> bool:
    """Whether the general-weights kernel may sift the draws in single precision first.

    Only for non-negative values and weights (the rounding bound of the sums is then
    relative to the sum itself, so few draws fall in the widened window) whose non-zero
    magnitudes keep single-precision arithmetic free of underflow and overflow.
    """
    if (values < 0).any() or (weights < 0).any():
        return False
    for array in (values, weights):
        magnitude = array[array != 0]
        if magnitude.size and (
            magnitude.min() < _SINGLE_SMALLEST or magnitude.max() > _SINGLE_LARGEST
        ):
            return False
    return largest_count < 2**6


def _check_magnitudes(values: np.ndarray, weights: np.ndarray) -> None:
    """Refuse values or weights too large or too small for exact products (never in practice)."""
    for name, array in (("values", values), ("weights", weights)):
        magnitude = np.abs(array[array != 0])
        if magnitude.size and (
            magnitude.max() > SAFE_MAGNITUDE or magnitude.min() < 1.0 / SAFE_MAGNITUDE
        ):
            raise ValueError(
                f"Permutation inference with general weights needs non-zero {name} between "
                f"2**-400 and 2**400 in magnitude (got {magnitude.min():.3g} to "
                f"{magnitude.max():.3g}); rescale the variable or the weights."
            )


def permutation_counts(
    values: np.ndarray,
    matrix: sparse.csr_array,
    *,
    permutations: int,
    seed: int,
    equal_weights: bool,
    columns: np.ndarray | None = None,
    cells: np.ndarray | None = None,
) -> PermutationCounts:
    """Count simulated neighbour lags at least / at most the observed lag, exactly.

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
        enables the shared-sums kernel.
    columns
        ``values.T`` as a C-contiguous float64 array (``K x n``), if the caller has it (a
        Fortran-ordered ``values`` gives it without a copy).
    cells
        Which cells to count (``n x K`` boolean), or None for all. Areas with no cell to
        count get zero counts (they still serve as draws, so the other counts are the
        same); with equal weights so do the other cells not counted.

    Returns
    -------
    PermutationCounts
        Counts are zero for areas without neighbours and areas not counted.

    Notes
    -----
    Ties are decided on the exact sums of the double-precision inputs (see the module
    notes), so the counts do not depend on summation order, thread count or memory layout.
    """
    if not (values.dtype == np.float64 and values.flags.c_contiguous and values.flags.writeable):
        # One layout for the compiled kernels (numba types read-only arrays separately).
        values = np.array(values, dtype=np.float64, order="C")
    matrix = sparse.csr_array(matrix)
    if not matrix.has_sorted_indices:
        # Sorted in a copy: the caller's matrix (whose arrays csr_array shares) stays as given.
        matrix = matrix.copy()
        matrix.sort_indices()
    n, n_columns = values.shape
    cardinalities = np.diff(matrix.indptr).astype(np.int64)
    count_type = np.int32 if permutations < np.iinfo(np.int32).max else np.int64
    count_ge = np.zeros((n, n_columns), dtype=count_type)
    count_le = np.zeros((n, n_columns), dtype=count_type)
    if n == 0 or n_columns == 0 or permutations == 0 or not cardinalities.any():
        return PermutationCounts(count_ge, count_le, permutations)
    samples = shared_draws(cardinalities, permutations, seed)
    memberships = draw_memberships(samples, cardinalities)
    skip = np.zeros((0, 0), dtype=np.bool_)
    if cells is not None:
        skipped = np.ascontiguousarray(~np.asarray(cells, dtype=bool))
        if skipped.any():
            skip = skipped
        areas = np.asarray(~skipped.all(axis=1))
        if not areas.all():
            # Areas not counted keep their place in the draws (drawn from the whole region,
            # as above) but lose their neighbours here, so the kernels pass over them.
            matrix = _without_rows(matrix, ~areas)
    if equal_weights:
        if columns is None or columns.shape != values.shape[::-1]:
            columns = values.T
        if not (columns.dtype == np.float64 and columns.flags.c_contiguous):
            columns = np.ascontiguousarray(columns, dtype=np.float64)
        # Always read-only (pandas hands out read-only arrays): numba compiles one version.
        columns = columns.view()
        columns.flags.writeable = False
        non_negative = _non_negative_rows(columns)
        _count_equal(
            values, columns, matrix, samples, memberships, non_negative, skip, count_ge, count_le
        )
        return PermutationCounts(count_ge, count_le, permutations)
    non_negative = np.ascontiguousarray(values.min(axis=0) >= 0.0)
    data = matrix.data.astype(np.float64)
    _check_magnitudes(values, data)
    largest_abs = np.abs(values).max(axis=0)
    single = _single_precision_filter(values, data, int(cardinalities.max()))
    _count_general_weights(
        values,
        matrix.indptr.astype(np.int64),
        matrix.indices.astype(np.int64),
        data,
        values.astype(np.float32) if single else values,
        data.astype(np.float32) if single else data,
        _SINGLE_UNIT if single else 0.0,
        samples,
        memberships[0],
        memberships[1],
        largest_abs,
        non_negative & bool((data >= 0).all()),
        count_ge,
        count_le,
    )
    return PermutationCounts(count_ge, count_le, permutations)


# numba's cache of this module's kernels, checked against the sources they are built from.
refresh_module_cache(globals())
