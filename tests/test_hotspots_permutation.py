"""Conditional-permutation counts: exactness, determinism, ties, islands and esda consistency."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from fractions import Fraction

import numba
import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from clustergeo.config import HotspotsConfig, WeightsConfig
from clustergeo.hotspots.engine import local_hotspots
from clustergeo.hotspots.permutation import (
    _BUCKETS_PER_DRAW,
    _SCAN,
    _exact_sums,
    _fixed_scales,
    _off_grid,
    _quantum_exponent,
    _rank_window,
    _single_precision_filter,
    _sort_into_buckets,
    permutation_counts,
    shared_draws,
)
from clustergeo.hotspots.weights import SpatialWeights, build_weights
from conftest import square_grid

# Seven areas: a star (hub 0 with leaves 1, 2, 3 and 4) continued as a line 4-5-6, so the
# cardinalities are k = 4, 1, 1, 1, 2, 2, 1.
N_TINY = 7
EDGES = [(0, 1), (0, 2), (0, 3), (0, 4), (4, 5), (5, 6)]
# Unequal weights, exact in binary floating point.
EDGE_WEIGHTS = [0.5, 1.0, 2.0, 1.5, 0.5, 3.0]
# Integer values with many ties, two industries.
VALUES = np.array([[2, 1, 3, 1, 3, 2, 5], [0, 0, 1, 0, 2, 1, 0]], dtype="float64").T


def _matrix(weights: list[float] | None = None) -> sparse.csr_array:
    data = [1.0] * len(EDGES) if weights is None else list(weights)
    rows = [a for a, _ in EDGES] + [b for _, b in EDGES]
    cols = [b for _, b in EDGES] + [a for a, _ in EDGES]
    matrix = sparse.csr_array((data + data, (rows, cols)), shape=(N_TINY, N_TINY))
    matrix.sort_indices()
    return matrix


def _exact_tail_probabilities(
    matrix: sparse.csr_array, x: np.ndarray, i: int, *, ordered: bool
) -> tuple[float, float]:
    """Exact P(sim >= obs) and P(sim <= obs) under conditional permutation of unit i.

    With equal weights the lag depends only on which k of the other n - 1 values fill the
    neighbour slots, so k-subsets are enumerated; with unequal weights every ordered
    assignment of k distinct other values to the k weighted slots is (equally likely).
    """
    start, stop = matrix.indptr[i], matrix.indptr[i + 1]
    neighbours, w = matrix.indices[start:stop], matrix.data[start:stop]
    observed = w @ x[neighbours]
    others = [j for j in range(len(x)) if j != i]
    choose = itertools.permutations if ordered else itertools.combinations
    # Integer values and weights exact in binary: every lag here is computed exactly.
    simulated = np.array([w @ x[list(draw)] for draw in choose(others, len(w))])
    return float((simulated >= observed).mean()), float((simulated <= observed).mean())


@pytest.mark.parametrize(
    ("equal_weights", "weights"),
    [(True, None), (False, None), (False, EDGE_WEIGHTS)],
    ids=["equal-weights-kernel", "general-kernel-binary", "general-kernel-weighted"],
)
def test_counts_match_the_exact_conditional_null(
    equal_weights: bool, weights: list[float] | None
) -> None:
    permutations = 20_000
    matrix = _matrix(weights)
    counts = permutation_counts(
        VALUES, matrix, permutations=permutations, seed=2011, equal_weights=equal_weights
    )
    assert counts.permutations == permutations
    for i in range(N_TINY):
        for c in range(VALUES.shape[1]):
            exact_ge, exact_le = _exact_tail_probabilities(
                matrix, VALUES[:, c], i, ordered=weights is not None
            )
            for exact, count in (
                (exact_ge, counts.count_ge[i, c]),
                (exact_le, counts.count_le[i, c]),
            ):
                standard_error = np.sqrt(exact * (1 - exact) / permutations)
                # Exact 0 or 1 (e.g. every draw ties) must come out exactly.
                assert abs(count / permutations - exact) <= 4 * standard_error + 1e-12, (
                    f"unit {i}, column {c}: estimated {count / permutations:.4f}, "
                    f"exact {exact:.4f} (4 SE = {4 * standard_error:.4f})"
                )


def test_row_standardised_weights_give_the_binary_counts() -> None:
    binary = _matrix()
    sums = binary.sum(axis=1)
    row = sparse.csr_array(sparse.diags_array(1 / sums) @ binary)
    a = permutation_counts(VALUES, binary, permutations=999, seed=5, equal_weights=True)
    b = permutation_counts(VALUES, row, permutations=999, seed=5, equal_weights=True)
    np.testing.assert_array_equal(a.count_ge, b.count_ge)
    np.testing.assert_array_equal(a.count_le, b.count_le)


def _random_problem(n: int = 60, k: int = 4, columns: int = 5, seed: int = 0):
    """A random symmetric graph (ring plus chords) and Poisson counts with plenty of ties."""
    rng = np.random.default_rng(seed)
    rows, cols = [], []
    for i in range(n):
        for step in range(1, k // 2 + 1):
            rows.append(i)
            cols.append((i + step) % n)
    chords = rng.integers(0, n, size=(n // 3, 2))
    chords = chords[chords[:, 0] != chords[:, 1]]
    rows.extend(chords[:, 0])
    cols.extend(chords[:, 1])
    matrix = sparse.coo_array((np.ones(len(rows)), (rows, cols)), shape=(n, n)).tocsr()
    matrix = matrix + matrix.T
    matrix.data[:] = 1.0
    values = rng.poisson(2.0, size=(n, columns)).astype("float64")
    weighted = matrix.copy()
    weighted.data = rng.uniform(0.1, 2.0, size=weighted.nnz)
    weighted = sparse.csr_array(weighted + weighted.T)  # symmetric, unequal
    return sparse.csr_array(matrix), weighted, values


@pytest.mark.parametrize("equal_weights", [True, False])
def test_same_seed_same_counts_different_seed_different(equal_weights: bool) -> None:
    binary, weighted, values = _random_problem()
    matrix = binary if equal_weights else weighted
    first = permutation_counts(
        values, matrix, permutations=199, seed=11, equal_weights=equal_weights
    )
    again = permutation_counts(
        values, matrix, permutations=199, seed=11, equal_weights=equal_weights
    )
    other = permutation_counts(
        values, matrix, permutations=199, seed=12, equal_weights=equal_weights
    )
    np.testing.assert_array_equal(first.count_ge, again.count_ge)
    np.testing.assert_array_equal(first.count_le, again.count_le)
    assert not np.array_equal(first.count_ge, other.count_ge)
    assert not np.array_equal(first.count_le, other.count_le)


@pytest.mark.parametrize("equal_weights", [True, False])
def test_counts_are_bounded_and_ties_count_both_ways(equal_weights: bool) -> None:
    binary, weighted, values = _random_problem(seed=3)
    matrix = binary if equal_weights else weighted
    permutations = 299
    counts = permutation_counts(
        values, matrix, permutations=permutations, seed=1, equal_weights=equal_weights
    )
    assert counts.count_ge.shape == values.shape
    assert (counts.count_ge >= 0).all()
    assert (counts.count_le >= 0).all()
    assert (counts.count_ge <= permutations).all()
    assert (counts.count_le <= permutations).all()
    assert (counts.count_ge + counts.count_le >= permutations).all()
    # Integer counts: exact ties occur, so the inequality is strict somewhere.
    assert (counts.count_ge + counts.count_le > permutations).any()


@pytest.mark.parametrize("equal_weights", [True, False])
def test_complete_graph_every_draw_ties_despite_rounding(equal_weights: bool) -> None:
    # Every other area is a neighbour, so each simulated lag is the observed lag summed in
    # another order: with values like 0.1 that can differ in the last bit, and must still tie.
    n = 6
    matrix = sparse.csr_array(np.ones((n, n)) - np.eye(n))
    values = np.array([[0.1, 0.7, 0.2, 0.3, 1e-3, 123.456]]).T
    counts = permutation_counts(
        values, matrix, permutations=50, seed=4, equal_weights=equal_weights
    )
    np.testing.assert_array_equal(counts.count_ge, 50)
    np.testing.assert_array_equal(counts.count_le, 50)


@pytest.mark.parametrize("equal_weights", [True, False])
def test_area_without_neighbours_gets_zero_counts(equal_weights: bool) -> None:
    matrix = _matrix().toarray()
    matrix = np.pad(matrix, ((0, 1), (0, 1)))  # an eighth area with no links
    values = np.vstack([VALUES, [[4.0, 1.0]]])
    counts = permutation_counts(
        values, sparse.csr_array(matrix), permutations=99, seed=1, equal_weights=equal_weights
    )
    np.testing.assert_array_equal(counts.count_ge[-1], 0)
    np.testing.assert_array_equal(counts.count_le[-1], 0)
    assert (counts.count_ge[:-1] + counts.count_le[:-1] >= 99).all()


@pytest.mark.parametrize("sort_from", [0, 10**9], ids=["sorted", "direct"])
@pytest.mark.parametrize("equal_weights", [True, False])
def test_cells_not_counted_leave_the_other_counts_unchanged(
    equal_weights: bool, sort_from: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("clustergeo.hotspots.permutation._SORT_FROM_AREAS", sort_from)
    binary, weighted, values = _tie_heavy_problem(seed=2)
    matrix = binary if equal_weights else weighted
    cells = np.random.default_rng(7).random(values.shape) < 0.7
    cells[3] = False  # an area with nothing to count: only drawn from
    every = permutation_counts(values, matrix, permutations=99, seed=5, equal_weights=equal_weights)
    some = permutation_counts(
        values, matrix, permutations=99, seed=5, equal_weights=equal_weights, cells=cells
    )
    np.testing.assert_array_equal(some.count_ge[cells], every.count_ge[cells])
    np.testing.assert_array_equal(some.count_le[cells], every.count_le[cells])
    np.testing.assert_array_equal(some.count_ge[3], 0)
    if equal_weights:  # the shared-sums kernel skips single cells too
        np.testing.assert_array_equal(some.count_ge[~cells], 0)
        np.testing.assert_array_equal(some.count_le[~cells], 0)


# --- the kernels against a brute-force exact recount on the same draws ----------------------


def _exact_recount(
    values: np.ndarray,
    matrix: sparse.csr_array,
    permutations: int,
    seed: int,
    *,
    equal: bool,
    number: type = Fraction,
) -> tuple[np.ndarray, np.ndarray]:
    """Counts by brute force in exact rational arithmetic, on the kernels' shared draws.

    Area i takes the first k_i members of each draw, its own place (if it is among them)
    taken by member k_i; each lag is the exact sum of weight x value over the slots. With
    ``number=float`` the sums are rounded instead (the naive count, for comparison).
    """
    matrix = sparse.csr_array(matrix)
    matrix.sort_indices()
    n, n_columns = values.shape
    cardinalities = np.diff(matrix.indptr)
    samples = shared_draws(cardinalities, permutations, seed)
    exact = [[number(float(v)) for v in row] for row in values]
    count_ge = np.zeros((n, n_columns), dtype=np.int64)
    count_le = np.zeros((n, n_columns), dtype=np.int64)
    for i in range(n):
        k = int(cardinalities[i])
        if k == 0:
            continue
        neighbours = matrix.indices[matrix.indptr[i] : matrix.indptr[i + 1]]
        weights = matrix.data[matrix.indptr[i] : matrix.indptr[i + 1]]
        slot_weights = [number(1) if equal else number(float(w)) for w in weights]
        draws = [
            [samples[p, k] if a == i else a for a in samples[p, :k]] for p in range(permutations)
        ]
        for c in range(n_columns):
            observed = sum(w * exact[j][c] for w, j in zip(slot_weights, neighbours, strict=True))
            for draw in draws:
                simulated = sum(w * exact[j][c] for w, j in zip(slot_weights, draw, strict=True))
                count_ge[i, c] += simulated >= observed
                count_le[i, c] += simulated <= observed
    return count_ge, count_le


def _tie_heavy_problem(seed: int) -> tuple[sparse.csr_array, sparse.csr_array, np.ndarray]:
    """Small counts, decimals that do not add up exactly in binary, zeros and signed values."""
    binary, _weighted, values = _random_problem(n=45, k=4, columns=4, seed=seed)
    rng = np.random.default_rng(seed)
    values[:, 1] = np.round(rng.random(45), 1) * (rng.random(45) < 0.6)  # 0.1 + 0.2 != 0.3
    values[:, 2] = np.round(rng.normal(size=45), 1)  # signed
    values[:, 3] = 0.1 * rng.integers(0, 3, 45)  # few distinct decimals: many exact ties
    weighted = binary.copy()
    weighted.data = rng.choice([0.1, 0.3, 0.7, 1.0, 1 / 3], size=weighted.nnz)
    return binary, sparse.csr_array(weighted), values


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize(
    ("equal_weights", "sort_from"),
    [(True, 0), (True, 10**9), (False, 0)],
    ids=["equal-weights-sorted", "equal-weights-direct", "kernel"],
)
def test_counts_equal_a_brute_force_exact_recount(
    equal_weights: bool, sort_from: int, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every neighbour count's sums sorted into the bucket index, or none (compared directly).
    monkeypatch.setattr("clustergeo.hotspots.permutation._SORT_FROM_AREAS", sort_from)
    binary, weighted, values = _tie_heavy_problem(seed)
    matrix = binary if equal_weights else weighted
    counts = permutation_counts(
        values, matrix, permutations=80, seed=seed, equal_weights=equal_weights
    )
    count_ge, count_le = _exact_recount(values, matrix, 80, seed, equal=equal_weights)
    np.testing.assert_array_equal(counts.count_ge, count_ge)
    np.testing.assert_array_equal(counts.count_le, count_le)
    assert (count_ge + count_le > 80).sum() > 20  # exact ties were met, many of them


def test_quantum_exponent_is_the_lowest_set_bit_of_the_exact_value() -> None:
    """Read from the bits, it equals the definition in exact rational arithmetic."""
    rng = np.random.default_rng(3)
    values = np.concatenate(
        [
            rng.standard_normal(2000) * 10.0 ** rng.integers(-300, 300, 2000),
            np.ldexp(1.0, np.arange(-1074, 1024)),  # every power of two, subnormals too
            [5e-324, -5e-324, 1e-310, -3e-320, 2.2250738585072014e-308, np.finfo(float).max],
            [0.1, -100.25, 1e-18, 3.0, 6.0, 2.0**53 - 1.0, -(2.0**60) * 3.0],
        ]
    )

    def definition(value: float) -> int:
        exact = Fraction(value)  # numerator / 2**k, or an integer
        exponent = 0
        while exact.denominator > 1:
            exact *= 2
            exponent -= 1
        numerator = abs(exact.numerator)
        while numerator % 2 == 0:
            numerator //= 2
            exponent += 1
        return exponent

    compiled = _quantum_exponents(values)
    np.testing.assert_array_equal(compiled, [definition(float(v)) for v in values])


@numba.njit(cache=False)
def _quantum_exponents(values: np.ndarray) -> np.ndarray:
    out = np.empty(len(values), dtype=np.int64)
    for i in range(len(values)):
        out[i] = _quantum_exponent(values[i])
    return out


def test_exact_sums_are_recognised_with_their_scale() -> None:
    """Sums exact in double precision, exact in 64-bit integers at a scale, or neither."""
    terms = 4
    limit = 2.0**53 / terms
    columns = np.array(
        [
            [0.0, 5.0, 10.0, -0.0, 35.0],  # counts rounded to five
            [-3.0, 2.0, 0.0, 7.0, -1.0],  # signed integers
            [limit, -limit, 0.0, 1.0, 2.0],  # at the bound of double precision
            [limit + 1.0, 0.0, 1.0, 2.0, 3.0],  # beyond it, within 64 bits
            [0.0, 0.5, 1.0, 2.0, 3.0],  # halves: exact as well
            [0.0, 100.25, 1.0, 2.0, 1e-18],  # a fraction of quantum 2**-110: no scale fits
            [0.0, 5.0, 10.0, 7.3125, 35.0],  # counts and one imputed mean, 2**-4 apart
            [0.0, np.nan, 1.0, 2.0, 3.0],
            [0.0, np.inf, 1.0, 2.0, 3.0],
            [0.0, 0.0, 0.0, 0.0, 0.0],
            [1.0, -0.25, 2.0, 0.0, 3.0],  # x + 1 could round for -1 < x < 0
            [1.0, -1.25, 2.0, 0.0, 3.0],
        ]
    )
    float_exact, fixed_scale, split_terms, _grid, _partly = _exact_sums(columns, terms)
    expected_float = [True, True, True, False, True, False, True, False, False, True, True, True]
    assert float_exact.tolist() == expected_float
    expected_scale = [1.0, 1.0, 1.0, 1.0, 2.0, 0.0, 16.0, 0.0, 0.0, 1.0, 0.0, 4.0]
    assert fixed_scale.tolist() == expected_scale
    # The scale serves sums of as many terms as keep them within 2**61: about 1,024 of
    # values near 2**51, none at a scale of 2**110 (1e-18's lowest bit is worth 2**-110).
    assert split_terms[[2, 3, 5]].tolist() == [1023, 1023, 0]
    usable = _fixed_scales(fixed_scale, split_terms, np.array([terms - 1, 2**20]))
    assert usable[0].tolist() == [1.0, 1.0, 1.0, 1.0, 2.0, 0.0, 16.0, 0.0, 0.0, 1.0, 0.0, 4.0]
    assert usable[1].tolist() == [1.0, 1.0, 0.0, 0.0, 2.0, 0.0, 16.0, 0.0, 0.0, 1.0, 0.0, 4.0]


@pytest.mark.parametrize("sort_from", [0, 10**9], ids=["sorted", "direct"])
def test_integer_counts_tie_exactly_without_windows(
    sort_from: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Counts rounded to five, signed integers, integers too large to sum exactly, and counts
    with a few cells imputed with a mean that does not add up exactly in binary.

    The first two columns take the exact-sum path (a floating-point tie is a tie); the last
    two have sums that round, so their near-ties are decided on the exact sums (in 64-bit
    integers at the column's scale).
    """
    monkeypatch.setattr("clustergeo.hotspots.permutation._SORT_FROM_AREAS", sort_from)
    binary, _weighted, values = _random_problem(n=45, k=4, columns=4, seed=5)
    rng = np.random.default_rng(5)
    values[:, 0] = 5.0 * rng.integers(0, 3, 45)
    values[:, 1] = rng.integers(-2, 3, 45).astype(float)
    values[:, 2] = 2.0**52 + rng.integers(0, 3, 45)  # odd sums above 2**53 round
    values[:, 3] = 5.0 * rng.integers(0, 3, 45)
    values[rng.random(45) < 0.15, 3] = 1.0 / 3.0  # imputed: 53 bits below the counts
    float_exact, fixed_scale, split_terms, _grid, _partly = _exact_sums(
        np.ascontiguousarray(values.T), 10
    )
    assert float_exact.tolist() == [True, True, False, False]
    assert (fixed_scale > 0).tolist() == [True, True, True, True]
    assert (split_terms >= 10).all()
    counts = permutation_counts(values, binary, permutations=80, seed=5, equal_weights=True)
    count_ge, count_le = _exact_recount(values, binary, 80, 5, equal=True)
    np.testing.assert_array_equal(counts.count_ge, count_ge)
    np.testing.assert_array_equal(counts.count_le, count_le)
    ties = count_ge + count_le - 80
    assert (ties[:, 0] > 10).sum() > 10  # most draws tie in places
    assert (ties[:, 2] > 0).sum() > 5  # ties among sums that do not add up exactly
    assert (ties[:, 3] > 0).sum() > 5


def test_partly_exact_columns_are_recognised() -> None:
    """A column is partly exact when at most an eighth of its values are off the grid, and
    at most an eighth of its non-zero values or a few distinct ones beside non-zero values
    on the grid."""
    counts = np.arange(1.0, 17.0)
    imputed_once = counts.copy()
    imputed_once[3] = 1.0 / 3.0
    imputed_twice = imputed_once.copy()
    imputed_twice[9] = 2.0 / 3.0  # 2 of 16: partly exact (16 // 8)
    imputed_thrice = imputed_twice.copy()
    imputed_thrice[12] = 0.1  # 3 of 16: too many
    sparse_decimals = np.zeros(16)
    sparse_decimals[[2, 7]] = [0.1, 0.7]  # every non-zero value off the grid
    sparse_counts = np.zeros(16)
    sparse_counts[[2, 7, 11]] = [5.0, 10.0, 1.0 / 3.0]  # mostly zeros, one imputed
    columns = np.vstack(
        [counts, imputed_once, imputed_twice, imputed_thrice, sparse_decimals, sparse_counts]
    )
    float_exact, _scale, _terms, grid, partly = _exact_sums(columns, 4)
    assert float_exact.tolist() == [True, False, False, False, False, False]
    assert partly.tolist() == [False, True, True, False, False, True]
    # 4 x 16 = 64 = 2**(53 + q): the grid of the counts is 2**-47.
    assert grid[0] == -47
    marks = _off_grid(np.ascontiguousarray(columns.T), grid, partly)
    assert marks.sum(axis=0).tolist() == [0, 1, 2, 0, 0, 1]
    assert marks[[3, 3, 9], [1, 2, 2]].all()
    # Among zeros, off-grid values make a column partly exact when they are a few distinct
    # ones (imputed means), not when they are many (LQs), whatever the on-grid values.
    sparse = np.zeros((2, 40))
    sparse[:, :6] = [1.0, 0.1, 0.3, 0.7, 1.1, 1.3]  # five decimals
    sparse[0, 5] = 0.1  # four distinct
    _float_exact, _scale, _terms, _grid, partly = _exact_sums(sparse, 4)
    assert partly.tolist() == [True, False]


@pytest.mark.parametrize("sort_from", [0, 10**9], ids=["sorted", "direct"])
@pytest.mark.parametrize(
    ("third", "ring"),
    [(1.0 / 3.0, 4), (1.0 / 48.0, 6)],
    ids=["thirds", "forty-eighths-some-counts-unsplit"],
)
def test_partly_exact_counts_equal_a_brute_force_exact_recount(
    sort_from: int, third: float, ring: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Small counts with a few cells imputed (1/3 and 2/3 do not add up to 1 in binary).

    Sums of counts alone are exact and tie as they are; sums with an imputed value may round
    onto an integer sum (1/3 + 2/3 + 2 is 3.0 in floating point but not exactly), and must be
    decided on the exact sums. Forty-eighths have fractions of 58 bits: split in 64-bit
    integers for sums of up to 8 terms only, so areas with 8 neighbours or more are decided
    on floating-point expansions, the others on the splits the tables keep.
    """
    monkeypatch.setattr("clustergeo.hotspots.permutation._SORT_FROM_AREAS", sort_from)
    binary, _weighted, values = _random_problem(n=48, k=ring, columns=2, seed=8)
    rng = np.random.default_rng(8)
    values[:, 0] = rng.integers(1, 4, 48)
    values[:, 1] = rng.integers(1, 4, 48)
    imputed = rng.choice(48, size=6, replace=False)
    values[imputed[:3], 0] = third
    values[imputed[3:], 0] = 2.0 * third
    values[imputed[:2], 1] = third
    _float_exact, scale, terms, _grid, partly = _exact_sums(np.ascontiguousarray(values.T), 10)
    assert partly.tolist() == [True, True]
    counts_of_areas = np.unique(np.diff(binary.indptr))
    usable = _fixed_scales(scale, terms, counts_of_areas)[:, 0] > 0
    if ring == 6:
        assert usable.any()
        assert not usable.all()
    else:
        assert usable.all()
    permutations = 400
    counts = permutation_counts(
        values, binary, permutations=permutations, seed=8, equal_weights=True
    )
    count_ge, count_le = _exact_recount(values, binary, permutations, 8, equal=True)
    np.testing.assert_array_equal(counts.count_ge, count_ge)
    np.testing.assert_array_equal(counts.count_le, count_le)
    assert (count_ge + count_le - permutations > 20).sum() > 20  # many exact ties
    # Rounded sums would have counted differently somewhere: the near-ties were met.
    naive_ge, naive_le = _exact_recount(values, binary, permutations, 8, equal=True, number=float)
    assert not (np.array_equal(naive_ge, count_ge) and np.array_equal(naive_le, count_le))


def test_kernel_p_values_equal_a_brute_force_exact_recount() -> None:
    """The engine's pseudo p-values with kernel weights, from exact counts on the same draws."""
    areas = square_grid(7, 6, digits=2)
    weights = build_weights(areas, method="kernel", k=5)
    assert not weights.binary
    rng = np.random.default_rng(11)
    frame = pd.DataFrame(
        {"A": rng.poisson(1.0, weights.n).astype(float), "B": np.round(rng.random(weights.n), 1)},
        index=weights.ids,
    )
    settings = HotspotsConfig(
        permutations=60,
        seed=3,
        alternative="folded",
        weights={"method": "kernel", "transform": "row"},
    )
    table = local_hotspots(frame, weights, settings).table
    count_ge, count_le = _exact_recount(
        frame.to_numpy(), weights.transformed("row"), 60, 3, equal=False
    )
    expected = (np.minimum(count_ge, count_le) + 1.0) / 61.0
    np.testing.assert_array_equal(table["gi_star_p_sim"].to_numpy().reshape(-1, 2), expected)
    assert (count_ge + count_le > 60).any()


@pytest.mark.parametrize("seed", [0, 1])
def test_single_precision_first_pass_keeps_near_ties_exact(seed: int) -> None:
    """Non-negative values closer than single precision resolves still count exactly."""
    _binary, weighted, values = _tie_heavy_problem(seed)
    values = np.abs(values)
    rng = np.random.default_rng(seed)
    # Values 1 + j * 2**-30: equal in single precision, distinct (and tied in sums) in double.
    values[:, 0] = 1.0 + rng.integers(0, 4, len(values)) * 2.0**-30
    assert _single_precision_filter(values, weighted.data, 4)
    counts = permutation_counts(values, weighted, permutations=80, seed=seed, equal_weights=False)
    count_ge, count_le = _exact_recount(values, weighted, 80, seed, equal=False)
    np.testing.assert_array_equal(counts.count_ge, count_ge)
    np.testing.assert_array_equal(counts.count_le, count_le)
    assert (count_ge[:, 0] + count_le[:, 0] > 80).sum() > 5  # exact ties among near-equals


def test_near_ties_are_not_ties() -> None:
    """A lag 1e-12 above the observed one is above it: no tolerance makes it a tie."""
    # Areas 0-1 and 2-3 are pairs; area 0's only neighbour, area 1, has the value 1.
    matrix = sparse.csr_array(
        (np.ones(4), ([0, 1, 2, 3], [1, 0, 3, 2])), shape=(4, 4), dtype=np.float64
    )
    values = np.array([[7.0], [1.0], [1.0 + 1e-12], [5.0]])
    permutations = 200
    counts = permutation_counts(
        values, matrix, permutations=permutations, seed=9, equal_weights=True
    )
    samples = shared_draws(np.diff(matrix.indptr), permutations, 9)
    drawn = np.where(samples[:, 0] == 0, samples[:, 1], samples[:, 0])  # area 0 swapped out
    assert (drawn == 2).sum() > 30  # the near-tie was drawn often
    assert counts.count_le[0, 0] == (drawn == 1).sum()  # only area 1's value ties
    assert counts.count_ge[0, 0] == permutations
    np.testing.assert_array_equal(
        counts.count_le, _exact_recount(values, matrix, permutations, 9, equal=True)[1]
    )


@pytest.mark.parametrize(
    ("scale", "shift"),
    [(1e-15, 1.0), (1e-310, 0.0), (1e250, 0.0), (0.0, 3.0)],
    ids=["tiny-spread", "subnormal", "huge", "constant"],
)
def test_equal_weights_buckets_survive_extreme_scales(
    scale: float, shift: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("clustergeo.hotspots.permutation._SORT_FROM_AREAS", 0)
    binary, _weighted, values = _random_problem(n=40, k=4, columns=2, seed=2)
    values = shift + scale * values
    counts = permutation_counts(values, binary, permutations=40, seed=3, equal_weights=True)
    count_ge, count_le = _exact_recount(values, binary, 40, 3, equal=True)
    np.testing.assert_array_equal(counts.count_ge, count_ge)
    np.testing.assert_array_equal(counts.count_le, count_le)


def test_a_window_open_to_infinity_counts_no_padding() -> None:
    # The upper end of an observed sum's window is observed * (1 + a few ulps): next to the
    # largest double it overflows to +inf, and every sum is at most it, none of the padding.
    sums = np.array([0.0, 0.97, 0.98, 0.99, 1.0])
    buckets = _BUCKETS_PER_DRAW * len(sums)
    sorted_sums = np.empty(len(sums) + _SCAN)
    start = np.empty(buckets + 1, dtype=np.int32)
    low, scale = _sort_into_buckets(
        sums,
        sorted_sums,
        np.empty(len(sums), dtype=np.int32),
        start,
        np.empty(buckets, dtype=np.int64),
        np.empty(len(sums), dtype=np.int64),
    )
    assert _rank_window(sorted_sums, start, low, scale, 0.995, np.inf) == (4, 5)
    assert _rank_window(sorted_sums, start, low, scale, 0.995, 1.0) == (4, 5)
    assert _rank_window(sorted_sums, start, low, scale, 0.975, 0.985) == (2, 3)


def test_counts_of_sums_that_reach_the_largest_double() -> None:
    # Four values of a quarter of the largest double sum to it exactly (rook neighbours: four
    # at most, so no sum overflows); the rest just below.
    rook = sparse.csr_array(build_weights(square_grid(20, 20, digits=2), method="rook").matrix)
    quarter = np.finfo(np.float64).max / 4
    rng = np.random.default_rng(5)
    values = np.full((400, 1), quarter)
    below = rng.random(400) < 0.6
    values[below, 0] = quarter * (1 - 10.0 ** rng.uniform(-7, -2, int(below.sum())))
    counts = permutation_counts(values, rook, permutations=19, seed=5, equal_weights=True)
    count_ge, count_le = _exact_recount(values, rook, 19, 5, equal=True)
    np.testing.assert_array_equal(counts.count_ge, count_ge)
    np.testing.assert_array_equal(counts.count_le, count_le)


def test_general_weights_refuse_magnitudes_beyond_exact_products() -> None:
    _binary, weighted, values = _random_problem(n=20, k=4, columns=2, seed=1)
    values[0, 0] = 1e200
    with pytest.raises(ValueError, match="between 2\\*\\*-400 and 2\\*\\*400"):
        permutation_counts(values, weighted, permutations=9, seed=1, equal_weights=False)


# --- consistency with esda on real data ------------------------------------------------------


@dataclass(frozen=True)
class _RealData:
    weights: SpatialWeights
    values: pd.DataFrame  # MSOA x a few sections, in weights.ids order


# Manufacturing (large counts), mining and quarrying (small counts, many ties), ICT.
SECTIONS = ["B", "C", "J"]
P_REAL = 999


@pytest.fixture(scope="module")
def midlands(midlands_employment: tuple[SpatialWeights, pd.DataFrame]) -> _RealData:
    weights, wide = midlands_employment
    return _RealData(weights, wide[SECTIONS])


def _exact_folded(simulated: np.ndarray, observed: np.ndarray, permutations: int) -> np.ndarray:
    """Tie-aware folded pseudo p-value from kept simulations (relative tolerance 1e-9)."""
    tolerance = 1e-9 * np.abs(observed)[:, None]
    ge = (simulated >= observed[:, None] - tolerance).sum(axis=1)
    le = (simulated <= observed[:, None] + tolerance).sum(axis=1)
    return (np.minimum(ge, le) + 1) / (permutations + 1)


@pytest.mark.realdata
@pytest.mark.filterwarnings(
    # esda's crand warns that its default alternative will change; esda's G_Local with
    # transform 'R' and no diagonal warns that it takes the row maximum as the self-weight
    # (1 for our binary contiguity, which is what we use too).
    "ignore:The alternative hypothesis for conditional randomization:DeprecationWarning",
    r"ignore:Gi\* requested:UserWarning",
)
@pytest.mark.parametrize("transform", ["binary", "row"])
def test_pseudo_p_values_agree_with_esda_within_monte_carlo_error(
    midlands: _RealData, transform: str
) -> None:
    import esda
    from libpysal.graph import Graph

    weights = midlands.weights
    graph = Graph.from_sparse(weights.matrix, ids=weights.ids)
    esda_transform = "B" if transform == "binary" else "R"
    settings = HotspotsConfig(
        permutations=P_REAL,
        alternative="folded",
        seed=20111,
        weights=WeightsConfig(transform=transform),  # type: ignore[arg-type]
    )
    table = local_hotspots(midlands.values, weights, settings).table
    differs, compared = 0, 0
    for section in SECTIONS:
        ours = table.loc[table["industry_code"] == section]
        assert (ours["area_code"].to_numpy() == weights.ids).all()
        y = midlands.values[section].to_numpy()
        exact: dict[str, list[np.ndarray]] = {"gi_star": [], "moran": []}
        for seed in (1, 2):
            g = esda.G_Local(
                y,
                graph,
                transform=esda_transform,
                star=True,
                permutations=P_REAL,
                keep_simulations=True,
                seed=seed,
                n_jobs=1,
            )
            m = esda.Moran_Local(
                y,
                graph,
                transformation=esda_transform,
                permutations=P_REAL,
                keep_simulations=True,
                seed=seed,
                n_jobs=1,
            )
            exact["gi_star"].append(_exact_folded(g.rGs, g.Gs, P_REAL))
            exact["moran"].append(_exact_folded(m.rlisas, m.Is, P_REAL))
            # esda's published p_sim folds with #(sim >= obs) and P - #(sim >= obs), i.e. it
            # counts #(sim < obs) on the low side, so ties with the observation (common with
            # integer counts) are not counted as extreme there; its kernels are also compiled
            # with fastmath, and G_Local's p_sim is float32 (hence the 1e-6 tolerance).
            differs += int((np.abs(g.p_sim - exact["gi_star"][-1]) > 1e-6).sum())
            differs += int((np.abs(m.p_sim - exact["moran"][-1]) > 1e-6).sum())
            compared += 2 * weights.n
        for statistic in ("gi_star", "moran"):
            p_ours = ours[f"{statistic}_p_sim"].to_numpy()
            seed1, seed2 = exact[statistic]
            ours_vs_esda = np.abs(p_ours - seed1).mean()
            esda_vs_esda = np.abs(seed1 - seed2).mean()
            # A statistical test, not equality: our draws differ from esda's, so our p-values
            # should be no further from esda's than esda's are from themselves under a new seed.
            assert ours_vs_esda <= 1.5 * esda_vs_esda + 0.005, (
                f"{section} {statistic}: mean |ours - esda| {ours_vs_esda:.4f}, "
                f"mean |esda seed 1 - seed 2| {esda_vs_esda:.4f}"
            )
    assert differs / compared > 0.1
