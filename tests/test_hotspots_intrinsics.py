"""The LLVM IR helpers: the prefetch hint, the eight-lane running sums and the bit readers."""

from __future__ import annotations

import platform

import numba
import numpy as np
import pytest

from clustergeo.hotspots.intrinsics import float_bits, lane_sums, prefetch, trailing_zeros

X86_64 = platform.machine() in {"x86_64", "AMD64"}


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


@pytest.mark.skipif(not X86_64, reason="x86-64 assembly")
def test_the_hint_becomes_a_prefetch_instruction() -> None:
    _row_sums_with_prefetch(np.ones((3, 3)), 1)
    (assembly,) = _row_sums_with_prefetch.inspect_asm().values()
    assert "prefetcht0" in assembly


@numba.njit(cache=False)
def _four_sums(column: np.ndarray, first: int, runs: int, shift: float, scale: float) -> np.ndarray:
    out = np.empty(4)
    out[0] = lane_sums(column, first, runs, 0, shift, scale)
    out[1] = lane_sums(column, first, runs, 1, shift, scale)
    out[2] = lane_sums(column, first, runs, 2, shift, scale)
    out[3] = lane_sums(column, first, runs, 3, shift, scale)
    return out


@pytest.mark.parametrize("runs", [1, 2, 3, 16])
@pytest.mark.parametrize("first", [0, 5])
def test_lane_sums_give_numpys_bits(runs: int, first: int) -> None:
    # numpy sums at most 128 terms in eight running sums (term i into sum i % 8), then adds
    # the sums pairwise: for 8 to 128 terms, ``np.sum`` is exactly that.
    rng = np.random.default_rng(runs + first)
    column = rng.lognormal(size=first + 8 * runs + 3) * rng.choice(
        [-1.0, 1.0], size=first + 8 * runs + 3
    )
    terms = column[first : first + 8 * runs]
    shift, scale = 0.37, 1.0 / 0.91
    expected = [
        terms.sum(),
        (terms * terms).sum(),
        ((terms - shift) ** 2).sum(),
        (((terms - shift) * scale) ** 2).sum(),
    ]
    got = _four_sums(column, first, runs, shift, scale)
    np.testing.assert_array_equal(got.view(np.uint64), np.array(expected).view(np.uint64))


def test_lane_sums_keep_numpys_order_where_another_order_differs() -> None:
    # Terms whose sum depends on the order: one huge value cancels in numpy's lanes, so a
    # sum in turn (or with reassociated lanes) gives another number.
    terms = np.array([1e16, 1.0, -1e16, 1.0, 3.0, 1.0, 5.0, 1.0] * 2)
    assert float(terms.sum()) != float(np.cumsum(terms)[-1])
    assert _four_sums(terms, 0, 2, 0.0, 1.0)[0] == terms.sum()


@pytest.mark.skipif(not X86_64, reason="x86-64 assembly")
def test_lane_sums_run_on_vector_registers() -> None:
    _four_sums(np.ones(16), 0, 2, 0.0, 1.0)
    (assembly,) = _four_sums.inspect_asm().values()
    assert "vaddpd" in assembly or "addpd" in assembly


@numba.njit(cache=False)
def _bits_and_zeros(values: np.ndarray, words: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    bits = np.empty(len(values), dtype=np.int64)
    zeros = np.empty(len(words), dtype=np.int64)
    for i in range(len(values)):
        bits[i] = float_bits(values[i])
    for i in range(len(words)):
        zeros[i] = trailing_zeros(words[i])
    return bits, zeros


def test_float_bits_and_trailing_zeros_read_the_machine_words() -> None:
    values = np.array([0.0, -0.0, 1.0, -2.5, 5e-324, np.inf, np.nan, np.finfo(float).max])
    words = np.array([1, 2, 12, -(2**63), 0, 2**52, -1, 3 << 40], dtype=np.int64)
    bits, zeros = _bits_and_zeros(values, words)
    np.testing.assert_array_equal(bits, values.view(np.int64))
    expected = [64 if w == 0 else (int(w) & -int(w)).bit_length() - 1 for w in words]
    np.testing.assert_array_equal(zeros, expected)
