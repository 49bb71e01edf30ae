"""Sorting helpers the hot-spot kernels inline.

:func:`finish_sort`
    The last pass of a bucket sort: values already grouped into buckets in order of value,
    each bucket in any order, are put in order by one insertion pass over the whole run. No
    value moves out of its bucket, so the pass costs about one comparison per value when
    the buckets hold one or two values each, and no loop over the buckets themselves (most
    of them empty). A crowded bucket should be sorted before the pass.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["finish_sort"]


@numba.njit(cache=True, inline="always")
def finish_sort(values: np.ndarray, companions: np.ndarray, size: int) -> None:
    """Sort ``values[:size]`` in place by insertion, moving ``companions`` alongside.

    Stable: equal values keep their order.
    """
    for a in range(1, size):
        value = values[a]
        if values[a - 1] > value:
            companion = companions[a]
            j = a - 1
            while j >= 0 and values[j] > value:
                values[j + 1] = values[j]
                companions[j + 1] = companions[j]
                j -= 1
            values[j + 1] = value
            companions[j + 1] = companion
