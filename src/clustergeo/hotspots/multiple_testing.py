r"""Multiple-testing control for hot-spot p-values.

Benjamini & Hochberg (1995) controls the false discovery rate: the adjusted p-value of the
*r*-th smallest of *m* p-values is :math:`\min_{s \ge r} \min(1, m\,p_{(s)}/s)`. Bonferroni
multiplies every p-value by *m*. Missing p-values (areas left out, industries not tested) are
not counted in *m* and stay missing.

Tied p-values all get the adjusted value of the last of them in sorted order (the running
minimum from the largest p-value down reaches it first), so the order among ties never
matters. Two implementations give the same bits:

* :func:`adjust_p_values`, for any p-values, sorts each family by buckets (a counting sort
  on the value, about one p-value per bucket, then the few in a bucket by insertion):
  :math:`O(n)` per family instead of a comparison sort's :math:`O(n \log n)`, families in
  parallel. Only the p-values that can lower the running minimum are sorted: a group of
  buckets whose smallest possible ratio is above a bound on the minimum it enters with is
  adjusted to that minimum as a whole. The families of an ``n x K`` array (its columns) are
  made contiguous, and the results put back, by transposing blocks of rows, each read and
  written as runs of memory.
* :func:`adjust_discrete_p_values`, for p-values that take few distinct values (permutation
  p-values take at most :math:`P + 2`), counts how many tests fall on each value instead of
  sorting: :math:`O(n + L)` per family for *L* distinct values.
"""

from __future__ import annotations

import functools
from typing import Literal

import numba
import numpy as np

from clustergeo.hotspots.ordering import finish_sort
from clustergeo.hotspots.warmup import refresh_module_cache

__all__ = [
    "Correction",
    "adjust_columns_into",
    "adjust_discrete_p_values",
    "adjust_p_values",
    "discrete_table",
]

Correction = Literal["fdr_bh", "bonferroni", "none"]


@numba.njit(cache=True, inline="always")
def _bucket_of(
    p: float, bits: np.int64, linear_from: float, scale: float, offset: np.int64
) -> np.int64:
    """A bucket number non-decreasing in ``p``: linear above ``linear_from``, by bits below.

    P-values are nearly uniform where they are large and spread over many orders of magnitude
    where they are small, so the large ones are bucketed by value and the small ones by their
    exponent and the first two bits of their mantissa (the bits of a non-negative double
    order like the double).
    """
    if p >= linear_from:
        return offset + min(np.int64(min(p, 2.0) * scale), np.int64(scale))
    return max(np.int64(0), bits >> np.int64(50))


@numba.njit(cache=True)
def _bucket_count(exponent: int) -> int:
    """Buckets of :func:`_bucket_of`: four per binary order below ``2**-exponent``, then linear."""
    return ((1023 - exponent) << 2) + (1 << exponent) + 1


@functools.lru_cache(maxsize=8)
def _bucket_bounds(exponent: int) -> tuple[np.ndarray, np.ndarray]:
    """Bounds on the p-values each bucket of :func:`_bucket_of` holds: ``lower <= p < upper``.

    Bounds, not the values held: below ``linear_from`` a bucket is a run of bit patterns
    (``lower`` is its first double, ``upper`` the next run's first), above it a run of
    ``1 / scale`` (``upper`` is the next bucket's first value). The first bucket also holds
    negative numbers and the last everything from 1 up, so they are unbounded there.
    """
    scale = 2.0**exponent
    offset = (1023 - exponent) << 2
    bucket = np.arange(_bucket_count(exponent), dtype=np.int64)
    by_bits = np.minimum(bucket, offset - 1)
    lower = np.where(bucket >= offset, (bucket - offset) / scale, (by_bits << 50).view(np.float64))
    upper = np.where(
        bucket >= offset, (bucket - offset + 1) / scale, ((by_bits + 1) << 50).view(np.float64)
    )
    lower[0] = -np.inf
    upper[-1] = np.inf
    lower.flags.writeable = upper.flags.writeable = False
    return lower, upper


#: Buckets per group (as a shift) that :func:`_bh_family` decides, as a whole, need no sorting.
_GROUP_SHIFT = 3


@numba.njit(cache=True)
def _bh_family(  # noqa: PLR0912, PLR0915, PLR0917 -- one pass over a family
    p: np.ndarray,
    out: np.ndarray,
    exponent: int,
    lower: np.ndarray,
    upper: np.ndarray,
    scratch: tuple[np.ndarray, ...],
) -> None:
    """Benjamini-Hochberg for one family (NaN: not a test), into ``out`` (may be ``p``).

    The tests are counted into buckets by p-value (:func:`_bucket_of`), and the buckets into
    groups of ``2**_GROUP_SHIFT``. From the largest p-value down, the running minimum of the
    ratios ``p * m / rank`` is at most the ratio of a group's last test, which is at most
    ``upper * m / rank_end`` (``upper`` bounds the group's p-values, ``rank_end`` is the rank
    of its last test); and every ratio in a group is at least ``lower * m / rank_end`` (a
    non-negative p over a smaller rank is no smaller; negative values fall in the first
    bucket, whose ``lower`` is -inf). These are the same rounded operations as the ratios
    themselves, and rounding is monotonic, so a group whose lower ratio is at least the
    bound of the groups above it cannot lower the running minimum: each of its tests is
    adjusted to the minimum it enters with. Only the other groups' tests are sorted (by
    bucket, then by insertion: about one p-value per bucket) and run through the minimum one
    by one. On the benchmark's Gi* p-values (35,000 areas, 88 industries) that is about one
    test in eight; a family with many small p-values keeps more of its groups.
    """
    counts, group_counts, group_end, entering, live, sorted_p, order, bucket_of = scratch
    size = len(p)
    bits = p.view(np.int64)
    scale = np.float64(2.0**exponent)
    linear_from = 1.0 / scale
    offset = np.int64(1023 - exponent) << np.int64(2)
    buckets = _bucket_count(exponent)
    groups = ((buckets - 1) >> _GROUP_SHIFT) + 1
    counts[:buckets] = 0
    group_counts[:groups] = 0
    tested = 0
    for i in range(size):
        if np.isnan(p[i]):
            bucket_of[i] = -1
            continue
        home = _bucket_of(p[i], bits[i], linear_from, scale, offset)
        bucket_of[i] = home
        counts[home] += 1
        group_counts[home >> _GROUP_SHIFT] += 1
        tested += 1
    m = np.float64(tested)
    # Which groups can lower the running minimum.
    bound = np.inf
    rank_end = tested
    for g in range(groups - 1, -1, -1):
        group_end[g] = rank_end
        live[g] = False
        if group_counts[g] == 0:
            continue
        first_bucket = g << _GROUP_SHIFT
        last_bucket = min(buckets, (g + 1) << _GROUP_SHIFT) - 1
        live[g] = lower[first_bucket] * m / np.float64(rank_end) < bound
        bound = min(bound, upper[last_bucket] * m / np.float64(rank_end))
        rank_end -= group_counts[g]
    # Bucket sort of the live groups' tests: where each bucket starts, then place them.
    placed = 0
    for g in range(groups):
        if live[g]:
            for bucket in range(g << _GROUP_SHIFT, min(buckets, (g + 1) << _GROUP_SHIFT)):
                here = counts[bucket]
                counts[bucket] = placed
                placed += here
    for i in range(size):
        bucket = bucket_of[i]
        if bucket >= 0 and live[bucket >> _GROUP_SHIFT]:
            slot = counts[bucket]
            sorted_p[slot] = p[i]
            order[slot] = i
            counts[bucket] = slot + 1
    # ``counts`` now holds where each live bucket ends: a crowded bucket (ties, say) is sorted
    # on its own, then one insertion pass puts every bucket in order (each test moves within
    # its bucket only).
    first = 0
    for g in range(groups):
        if live[g]:
            for bucket in range(g << _GROUP_SHIFT, min(buckets, (g + 1) << _GROUP_SHIFT)):
                last = counts[bucket]
                if last - first > 24:
                    within = np.argsort(sorted_p[first:last])
                    sorted_p[first:last] = sorted_p[first:last][within]
                    order[first:last] = order[first:last][within]
                first = last
    finish_sort(sorted_p, order, placed)
    # The running minimum from the largest p-value down: the same operations, in the same
    # order, as written with numpy (p * m / rank, the minimum from the end, capped at 1).
    running = np.inf
    slot = placed - 1
    for g in range(groups - 1, -1, -1):
        if not live[g]:
            entering[g] = running
            continue
        rank = group_end[g]
        for _ in range(group_counts[g]):
            running = min(running, sorted_p[slot] * m / np.float64(rank))
            sorted_p[slot] = min(running, 1.0)
            rank -= 1
            slot -= 1
    # Written last, as ``out`` may be ``p``: every p-value has been read.
    for i in range(size):
        bucket = bucket_of[i]
        if bucket < 0:
            out[i] = np.nan
        elif not live[bucket >> _GROUP_SHIFT]:
            out[i] = min(entering[bucket >> _GROUP_SHIFT], 1.0)
    for slot in range(placed):
        out[order[slot]] = sorted_p[slot]


def _bucket_exponent(size: int) -> int:
    """One to two p-values per linear bucket: 2**exponent buckets for a family of ``size``."""
    return int(min(24, max(10, np.floor(np.log2(max(size, 1))))))


#: Rows of an ``n x K`` array per block of the transposing kernels: a block's rows are one run
#: of memory, and each column's part of them (64 values, 512 bytes) one run of the transpose.
_TRANSPOSE_ROWS = 64


@numba.njit(cache=True, parallel=True)
def _family_major(p: np.ndarray, out: np.ndarray) -> None:
    """``out[c, i] = p[i, c]``: the columns of an ``n x K`` array as the rows of ``out``.

    By blocks of rows, in parallel: numpy's transposing copy reads the array down its columns,
    one value a row apart (35,000 x 88 p-values, two threads: 7.1 ms against 2.5 ms, and
    6.1 ms against 1.8 ms back).
    """
    n, n_columns = p.shape
    for block in numba.prange((n + _TRANSPOSE_ROWS - 1) // _TRANSPOSE_ROWS):
        first = block * _TRANSPOSE_ROWS
        last = min(n, first + _TRANSPOSE_ROWS)
        for c in range(n_columns):
            for i in range(first, last):
                out[c, i] = p[i, c]


@numba.njit(cache=True, parallel=True)
def _area_major(by_family: np.ndarray, out: np.ndarray) -> None:
    """``out[i, c] = by_family[c, i]``: :func:`_family_major` undone, by the same blocks."""
    n_columns, n = by_family.shape
    for block in numba.prange((n + _TRANSPOSE_ROWS - 1) // _TRANSPOSE_ROWS):
        first = block * _TRANSPOSE_ROWS
        last = min(n, first + _TRANSPOSE_ROWS)
        for i in range(first, last):
            for c in range(n_columns):
                out[i, c] = by_family[c, i]


@numba.njit(cache=True)
def _scratch(copies: int, size: int, exponent: int) -> tuple[np.ndarray, ...]:
    """Working arrays of :func:`_bh_family` for a family of ``size``, ``copies`` of each."""
    buckets = _bucket_count(exponent)
    groups = ((buckets - 1) >> _GROUP_SHIFT) + 1
    return (
        np.empty((copies, buckets), dtype=np.int32),  # tests per bucket, then where it starts
        np.empty((copies, groups), dtype=np.int64),  # tests per group
        np.empty((copies, groups), dtype=np.int64),  # rank of each group's last test
        np.empty((copies, groups)),  # the running minimum a group enters with
        np.empty((copies, groups), dtype=np.bool_),  # whether the group can lower it
        np.empty((copies, size)),  # the live tests' p-values, sorted
        np.empty((copies, size), dtype=np.int64),  # and where each came from
        np.empty((copies, size), dtype=np.int32),  # every test's bucket
    )


@numba.njit(cache=True, inline="always")
def _copy_of(scratch: tuple[np.ndarray, ...], copy: int) -> tuple[np.ndarray, ...]:
    counts, group_counts, group_end, entering, live, sorted_p, order, bucket_of = scratch
    return (
        counts[copy],
        group_counts[copy],
        group_end[copy],
        entering[copy],
        live[copy],
        sorted_p[copy],
        order[copy],
        bucket_of[copy],
    )


@numba.njit(cache=True, parallel=True)
def _bh_rows(  # noqa: PLR0917 -- numba kernels take no keyword-only arguments
    p: np.ndarray,
    out: np.ndarray,
    exponent: int,
    lower: np.ndarray,
    upper: np.ndarray,
    threads: int,
) -> None:
    """Benjamini-Hochberg within each row (family) of a C-contiguous ``K x n`` array.

    Each of ``threads`` tasks takes every ``threads``-th family, with one set of working
    arrays (allocated once, not per family).
    """
    families, n = p.shape
    scratch = _scratch(threads, n, exponent)
    for thread in numba.prange(threads):
        mine = _copy_of(scratch, thread)
        for family in range(thread, families, threads):
            _bh_family(p[family], out[family], exponent, lower, upper, mine)


def adjust_columns_into(p: np.ndarray, out: np.ndarray) -> None:
    """Benjamini-Hochberg within each column of an ``n x K`` float64 array, into ``out``.

    The bits of ``adjust_p_values(p, "fdr_bh", "industry")``, written into an ``n x K``
    array (a column of the caller's table, say) instead of a new one. Any memory layout; the
    engine's, C-contiguous, is the one the warm-up compiles for.
    """
    if out.shape != p.shape:
        raise ValueError(f"out has shape {out.shape}, the p-values {p.shape}")
    by_family = np.empty((p.shape[1], p.shape[0]))
    _family_major(p, by_family)
    # In place: a family's p-values are all read (into its buckets, and the tests that can
    # lower the minimum into a sorted copy) before any adjusted value is written.
    exponent = _bucket_exponent(p.shape[0])
    threads = max(1, min(numba.get_num_threads(), p.shape[1]))
    _bh_rows(by_family, by_family, exponent, *_bucket_bounds(exponent), threads)
    _area_major(by_family, out)


def _bh(p: np.ndarray, scope: Literal["industry", "all"]) -> np.ndarray:
    """Benjamini-Hochberg of an ``n x K`` array within columns or over every cell."""
    p = np.ascontiguousarray(p, dtype=np.float64)
    if not p.flags.writeable:
        p = p.copy()
    adjusted = np.empty_like(p)
    if scope == "all":
        flat = p.reshape(-1)
        exponent = _bucket_exponent(flat.size)
        _bh_family(
            flat,
            adjusted.reshape(-1),
            exponent,
            *_bucket_bounds(exponent),
            _copy_of(_scratch(1, flat.size, exponent), 0),
        )
    else:
        adjust_columns_into(p, adjusted)
    return adjusted


def adjust_p_values(
    p: np.ndarray, method: Correction, scope: Literal["industry", "all"] = "industry"
) -> np.ndarray:
    """Adjust an ``n x K`` array of p-values within each industry column or across all cells.

    Parameters
    ----------
    p
        P-values; NaN where nothing was tested.
    method
        ``fdr_bh`` (Benjamini-Hochberg), ``bonferroni`` or ``none``.
    scope
        ``industry``: one family per column (per industry or cluster definition);
        ``all``: one family of every area x industry test.

    Returns
    -------
    numpy.ndarray
        Adjusted p-values, never smaller than the unadjusted ones.
    """
    p = np.asarray(p, dtype=float)
    if method == "none":
        return p.copy()
    # Every cell one family, or one family per column (an array of no rows has columns too).
    columns = int(np.prod(p.shape[1:], dtype=np.int64))
    family = p.reshape(-1, 1) if scope == "all" else p.reshape(p.shape[0], columns)
    if method == "bonferroni":
        m = (~np.isnan(family)).sum(axis=0)
        adjusted = np.minimum(family * m[None, :], 1.0)
    else:
        adjusted = _bh(family, scope)
    return np.asarray(adjusted, dtype=float).reshape(p.shape)


@numba.njit(cache=True, parallel=True)
def _level_counts(keys: np.ndarray, levels: int, pooled: bool, chunks: int) -> np.ndarray:
    """Tests per family (column, or one pooled family) and level; negative keys are untested."""
    n, n_columns = keys.shape
    families = 1 if pooled else n_columns
    partial = np.zeros((chunks, families, levels), dtype=np.int64)
    for chunk in numba.prange(chunks):
        for i in range(chunk * n // chunks, (chunk + 1) * n // chunks):
            for c in range(n_columns):
                key = keys[i, c]
                if key >= 0:
                    partial[chunk, 0 if pooled else c, key] += 1
    total: np.ndarray = partial.sum(axis=0)
    return total


@numba.njit(cache=True)
def _bh_levels(counts: np.ndarray, values: np.ndarray) -> np.ndarray:
    """BH-adjusted value of each level in each family, from the number of tests per level."""
    families, levels = counts.shape
    adjusted = np.full((families, levels), np.nan)
    for f in range(families):
        tested = 0
        for level in range(levels):
            tested += counts[f, level]
        # ``rank`` is the rank of the last test at this level: every test at or below it.
        rank = tested
        running = np.inf
        for level in range(levels - 1, -1, -1):
            if counts[f, level] == 0:
                continue
            running = min(running, values[level] * np.float64(tested) / np.float64(rank))
            adjusted[f, level] = min(running, 1.0)
            rank -= counts[f, level]
    return adjusted


@numba.njit(cache=True, parallel=True)
def _take_levels(keys: np.ndarray, table: np.ndarray, pooled: bool, out: np.ndarray) -> None:
    n, n_columns = keys.shape
    for i in numba.prange(n):
        for c in range(n_columns):
            key = keys[i, c]
            out[i, c] = table[0 if pooled else c, key] if key >= 0 else np.nan


def discrete_table(
    keys: np.ndarray, levels: np.ndarray, scope: Literal["industry", "all"] = "industry"
) -> np.ndarray:
    """The BH-adjusted value of every level in every family (one row, or one per column).

    ``table[family, key]`` is the adjusted p-value of a test whose p-value is
    ``levels[key]``, from the number of tests at each level.
    """
    # One histogram per thread, added up at the end.
    chunks = max(1, min(numba.get_num_threads(), keys.shape[0]))
    counts = _level_counts(keys, len(levels), scope == "all", chunks)
    return np.asarray(_bh_levels(counts, np.ascontiguousarray(levels, dtype=np.float64)))


def adjust_discrete_p_values(
    keys: np.ndarray,
    levels: np.ndarray,
    scope: Literal["industry", "all"] = "industry",
    *,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Benjamini-Hochberg for p-values given as indices into a short list of levels.

    Gives the same bits as ``adjust_p_values(levels[keys], "fdr_bh", scope)`` (with NaN where
    ``keys`` is negative), by counting the tests at each level instead of sorting.

    Parameters
    ----------
    keys
        ``n x K`` integer array: the p-value of a test is ``levels[key]``; negative = untested.
    levels
        The distinct p-values a test can take, in non-decreasing order (equal neighbours are
        allowed, e.g. two-sided p-values capped at 1).
    scope
        ``industry``: one family per column; ``all``: one family of every cell.
    out
        Optional C-contiguous ``n x K`` float64 array to write into.

    Returns
    -------
    numpy.ndarray
        Adjusted p-values (``out`` if given), NaN where untested.
    """
    keys = np.asarray(keys)
    levels = np.ascontiguousarray(levels, dtype=np.float64)
    if keys.ndim != 2:
        raise ValueError("keys must be a 2-D array")
    if len(levels) > 1 and np.any(np.diff(levels) < 0):
        raise ValueError("levels must be in non-decreasing order")
    if keys.size and keys.max() >= len(levels):
        raise ValueError("a key is beyond the last level")
    pooled = scope == "all"
    table = discrete_table(keys, levels, scope)
    if out is None:
        out = np.empty(keys.shape)
    _take_levels(keys, table, pooled, out)
    return out


# numba's cache of this module's kernels, checked against the sources they are built from.
refresh_module_cache(globals())
