"""The prefetch hint: compiled into a prefetch instruction, and changing no result."""

from __future__ import annotations

import platform

import numba
import numpy as np
import pytest

from clustergeo.hotspots.prefetch import prefetch


@numba.njit(cache=False)
def _row_sums_with_prefetch(values: np.ndarray, ahead: int) -> np.ndarray:
    n, k = values.shape
    out = np.zeros(n)
    for i in range(n):
        if i + ahead < n:
            for c in range(0, k, 8):
                prefetch(values, i + ahead, c)
        for c in range(k):
            out[i] += values[i, c]
    return out


def test_prefetching_changes_no_result() -> None:
    values = np.random.default_rng(0).random((50, 19))
    in_turn = np.cumsum(values, axis=1)[:, -1]  # the kernel's order: term by term
    for ahead in (0, 1, 4, 60):
        np.testing.assert_array_equal(_row_sums_with_prefetch(values, ahead), in_turn)


@pytest.mark.skipif(platform.machine() not in {"x86_64", "AMD64"}, reason="x86-64 assembly")
def test_the_hint_becomes_a_prefetch_instruction() -> None:
    _row_sums_with_prefetch(np.ones((3, 3)), 1)
    (assembly,) = _row_sums_with_prefetch.inspect_asm().values()
    assert "prefetcht0" in assembly
