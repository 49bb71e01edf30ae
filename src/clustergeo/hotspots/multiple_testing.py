r"""Multiple-testing control for hot-spot p-values.

Benjamini & Hochberg (1995) controls the false discovery rate: the adjusted p-value of the
*r*-th smallest of *m* p-values is :math:`\min_{s \ge r} \min(1, m\,p_{(s)}/s)`. Bonferroni
multiplies every p-value by *m*. Missing p-values (areas left out, industries not tested) are
not counted in *m* and stay missing.

Tied p-values all get the adjusted value of the last of them in sorted order (the running
minimum from the largest p-value down reaches it first), so the order among ties never
matters. Two implementations give the same bits:

* :func:`adjust_p_values`, for any p-values, sorts each family once (numpy's vectorised
  argsort, the families split between threads) and computes the running minimum in compiled
  code.
* :func:`adjust_discrete_p_values`, for p-values that take few distinct values (permutation
  p-values take at most :math:`P + 2`), counts how many tests fall on each value instead of
  sorting: :math:`O(n + L)` per family for *L* distinct values.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Literal

import numba
import numpy as np

__all__ = ["Correction", "adjust_discrete_p_values", "adjust_p_values"]

Correction = Literal["fdr_bh", "bonferroni", "none"]

#: Below this many p-values, sorting in one thread is faster than starting a second one.
_PARALLEL_SORT_MIN = 200_000


def _argsort_rows(p: np.ndarray) -> np.ndarray:
    """``np.argsort(p, axis=1)`` (NaN last), the rows split between threads when large."""
    workers = min(numba.get_num_threads(), p.shape[0])
    if workers < 2 or p.size < _PARALLEL_SORT_MIN:
        return np.argsort(p, axis=1)
    order = np.empty(p.shape, dtype=np.intp)
    bounds = np.linspace(0, p.shape[0], workers + 1).astype(int)

    def sort(part: int) -> None:
        rows = slice(bounds[part], bounds[part + 1])
        order[rows] = np.argsort(p[rows], axis=1)

    # numpy sorts without holding the GIL, so threads sort in parallel.
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(sort, range(workers)))
    return order


@numba.njit(cache=True, parallel=True)
def _bh_sorted(p: np.ndarray, order: np.ndarray, adjusted: np.ndarray) -> None:
    """BH for every row (family) of ``p``, given each row's argsort with NaN last."""
    families, size = p.shape
    for f in numba.prange(families):
        tested = 0
        while tested < size and not np.isnan(p[f, order[f, tested]]):
            tested += 1
        running = np.inf
        for rank in range(tested, 0, -1):
            index = order[f, rank - 1]
            # The same operations, in the same order, as the running minimum written with
            # numpy: p * m / rank, then the minimum from the end, then capped at 1.
            running = min(running, p[f, index] * np.float64(tested) / np.float64(rank))
            adjusted[f, index] = min(running, 1.0)
        for rank in range(tested, size):
            adjusted[f, order[f, rank]] = np.nan


def _bh_families(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg within each row of a 2-D array; NaN is not a test."""
    p = np.ascontiguousarray(p, dtype=np.float64)
    adjusted = np.empty_like(p)
    _bh_sorted(p, _argsort_rows(p), adjusted)
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
    family = p.reshape(-1, 1) if scope == "all" else p.reshape(p.shape[0], -1)
    if method == "bonferroni":
        m = (~np.isnan(family)).sum(axis=0)
        adjusted = np.minimum(family * m[None, :], 1.0)
    else:
        # Families become rows, each contiguous for the sort (no copy for a Fortran array).
        adjusted = _bh_families(family.T).T
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
    # One histogram per thread, added up at the end.
    chunks = max(1, min(numba.get_num_threads(), keys.shape[0]))
    table = _bh_levels(_level_counts(keys, len(levels), pooled, chunks), levels)
    if out is None:
        out = np.empty(keys.shape)
    _take_levels(keys, table, pooled, out)
    return out
