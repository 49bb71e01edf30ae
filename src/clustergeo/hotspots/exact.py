r"""Exact signs of sums of double-precision numbers, for deciding permutation ties.

A simulated neighbour lag ties the observed one when the two are equal as exact sums of the
double-precision inputs, whatever order a computer adds them in. The permutation kernels
compare their floating-point sums first and call these functions only when the two sums are
within their rounding-error bound of each other, which is rare.

The sign of :math:`\sum_t a_t` is computed without rounding error by accumulating the terms
in a floating-point expansion (Shewchuk 1997, *Discrete & Computational Geometry* 18(3),
"Adaptive precision floating-point arithmetic and fast robust geometric predicates"): an
exact sum held as a list of non-overlapping doubles of increasing magnitude, grown one term
at a time with Knuth's error-free TwoSum (GROW-EXPANSION with zero elimination). The sign of
an expansion is the sign of its largest component. Products :math:`w x` enter as the exact
pair :math:`(\mathrm{fl}(wx), wx - \mathrm{fl}(wx))` from Dekker's TwoProduct (Veltkamp
splitting). Both transformations are exact in IEEE round-to-nearest double precision as long
as nothing overflows and products do not underflow: the kernels check that every non-zero
value and weight lies within :data:`SAFE_MAGNITUDE`.

The code must not be compiled with ``fastmath``: the transformations rely on every
operation being rounded exactly as written.
"""

from __future__ import annotations

import numba
import numpy as np

from clustergeo.hotspots.warmup import refresh_module_cache

__all__ = ["SAFE_MAGNITUDE", "expansion_sign", "grow_expansion", "two_product", "two_sum"]

#: Non-zero magnitudes within [1 / SAFE_MAGNITUDE, SAFE_MAGNITUDE] keep TwoProduct exact.
SAFE_MAGNITUDE = 2.0**400


@numba.njit(cache=True, inline="always")
def two_sum(a: float, b: float) -> tuple[float, float]:
    """``s = fl(a + b)`` and the exact error ``a + b - s`` (Knuth)."""
    s = a + b
    b_virtual = s - a
    a_virtual = s - b_virtual
    return s, (a - a_virtual) + (b - b_virtual)


@numba.njit(cache=True, inline="always")
def _split(a: float) -> tuple[float, float]:
    """``a = high + low`` with both halves of 26 significant bits (Veltkamp)."""
    c = 134217729.0 * a  # 2**27 + 1
    high = c - (c - a)
    return high, a - high


@numba.njit(cache=True, inline="always")
def two_product(a: float, b: float) -> tuple[float, float]:
    """``p = fl(a * b)`` and the exact error ``a * b - p`` (Dekker)."""
    p = a * b
    a_high, a_low = _split(a)
    b_high, b_low = _split(b)
    error = a_low * b_low - (((p - a_high * b_high) - a_low * b_high) - a_high * b_low)
    return p, error


@numba.njit(cache=True, inline="always")
def grow_expansion(expansion: np.ndarray, length: int, term: float) -> int:
    """Add ``term`` to the expansion ``expansion[:length]`` in place; return its new length."""
    q = term
    kept = 0
    for j in range(length):
        # ``kept`` never passes ``j``: writing at ``kept`` cannot overwrite an unread part.
        q, error = two_sum(q, expansion[j])
        if error != 0.0:
            expansion[kept] = error
            kept += 1
    if q != 0.0:
        expansion[kept] = q
        kept += 1
    return kept


@numba.njit(cache=True, inline="always")
def expansion_sign(expansion: np.ndarray, length: int) -> int:
    """-1, 0 or +1: the sign of the exact sum an expansion holds (its largest part's sign)."""
    if length == 0:
        return 0
    return 1 if expansion[length - 1] > 0.0 else -1


# numba's cache of this module's kernels, checked against the sources they are built from.
refresh_module_cache(globals())
