"""Local statistics: parity with esda on real data, hand computations, p-values and quadrants."""

from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass
from typing import Any

import numba
import numpy as np
import pandas as pd
import pytest
from scipy import sparse, stats

from clustergeo.hotspots import statistics
from clustergeo.hotspots.statistics import (
    StatisticsOutput,
    column_sums,
    gi,
    gi_star,
    local_moran,
    local_statistics,
    moran_quadrant_codes,
    moran_quadrants,
    normal_p_values,
    permutation_p_values,
    permutation_p_values_into,
    statistics_weights,
)
from clustergeo.hotspots.weights import SpatialWeights


def _symmetric(n: int, edges: list[tuple[int, int]], weights: list[float] | None = None):
    data = [1.0] * len(edges) if weights is None else list(weights)
    rows = [a for a, _ in edges] + [b for _, b in edges]
    cols = [b for _, b in edges] + [a for a, _ in edges]
    return sparse.csr_array((data + data, (rows, cols)), shape=(n, n))


LINE4 = _symmetric(4, [(0, 1), (1, 2), (2, 3)])


# --- Gi* by hand -----------------------------------------------------------------------------


def test_gi_star_z_by_hand_on_a_four_area_line() -> None:
    # x = 1, 2, 4, 9 on the line 0-1-2-3. n = 4, mean 4, population variance
    # (9 + 4 + 0 + 25) / 4 = 9.5. Binary self-weight 1, so W*_i = S*_1i = k_i + 1.
    #   area 0: W* = 2, lag 1 + 2 = 3,      z = (3 - 8) / (sqrt(9.5) sqrt((4*2 - 4) / 3))
    #   area 1: W* = 3, lag 1 + 2 + 4 = 7,  z = (7 - 12) / (sqrt(9.5) sqrt((4*3 - 9) / 3))
    #   area 2: W* = 3, lag 2 + 4 + 9 = 15, z = (15 - 12) / sqrt(9.5)
    #   area 3: W* = 2, lag 4 + 9 = 13,     z = (13 - 8) / (sqrt(9.5) sqrt(4/3))
    x = np.array([[1.0], [2.0], [4.0], [9.0]])
    expected = np.array(
        [
            -5 / np.sqrt(9.5 * 4 / 3),
            -5 / np.sqrt(9.5),
            3 / np.sqrt(9.5),
            5 / np.sqrt(9.5 * 4 / 3),
        ]
    )
    g, z = gi_star(x, LINE4, binary=True, row_standardise=False)
    np.testing.assert_allclose(z[:, 0], expected, rtol=0, atol=1e-12)
    np.testing.assert_allclose(g[:, 0], np.array([3, 7, 15, 13]) / 16, rtol=0, atol=1e-15)
    # Row standardisation changes G* but not its z.
    _g, z_row = gi_star(x, LINE4, binary=True, row_standardise=True)
    np.testing.assert_allclose(z_row, z, rtol=0, atol=1e-12)


def test_gi_z_by_hand_on_a_four_area_line() -> None:
    # Gi excludes the area: mean and population variance over the other n - 1 = 3 areas.
    # Area 1: others 1, 4, 9 -> mean 14/3, E[x^2] = 98/3, var = 98/3 - 196/9 = 98/9.
    # W_1 = S_11 = 2, lag = 1 + 4 = 5: z = (5 - 28/3) / (sqrt(98/9) sqrt((3*2 - 4) / 2)).
    x = np.array([[1.0], [2.0], [4.0], [9.0]])
    _g, z = gi(x, LINE4, row_standardise=False)
    assert z[1, 0] == pytest.approx((5 - 28 / 3) / np.sqrt(98 / 9), abs=1e-12)
    _g, z_row = gi(x, LINE4, row_standardise=True)
    np.testing.assert_allclose(z_row, z, rtol=0, atol=1e-12)


def test_general_weights_gi_star_z_is_invariant_to_row_standardisation() -> None:
    matrix = _symmetric(5, [(0, 1), (1, 2), (2, 3), (3, 4), (0, 4)], [0.5, 2.0, 1.0, 3.0, 0.25])
    x = np.array([[3.0, 1.0], [7.0, 0.0], [1.0, 4.0], [2.0, 9.0], [8.0, 2.0]])
    _g, z = gi_star(x, matrix, binary=False, row_standardise=False)
    _g, z_row = gi_star(x, matrix, binary=False, row_standardise=True)
    assert np.isfinite(z).all()
    np.testing.assert_allclose(z_row, z, rtol=0, atol=1e-12)


# --- Local Moran's z by hand: Sokal, Oden & Thomson (1998) A7/A8 -----------------------------


def _exact_conditional_moments(x: np.ndarray, matrix: sparse.csr_array, i: int):
    """Mean and variance of z_i * lag_i / m2 over every conditional permutation of unit i."""
    n = len(x)
    z = (x - x.mean()) / x.std()
    m2 = (z**2).mean()
    start, stop = matrix.indptr[i], matrix.indptr[i + 1]
    w = matrix.data[start:stop]
    others = [j for j in range(n) if j != i]
    draws = np.array(
        [z[i] * (w @ z[list(chosen)]) / m2 for chosen in itertools.permutations(others, len(w))]
    )
    return draws.mean(), draws.var()


def test_moran_z_matches_sokal_a7_a8_by_hand_and_by_enumeration() -> None:
    # Hub 0 with neighbours 1..3, line 3-4-5; weights binary or row-standardised.
    matrix = _symmetric(6, [(0, 1), (0, 2), (0, 3), (3, 4), (4, 5)])
    x = np.array([5.0, 1.0, 3.0, 8.0, 2.0, 2.0])
    n = len(x)
    for row in (False, True):
        weights = matrix
        if row:
            sums = weights.sum(axis=1)
            weights = sparse.csr_array(sparse.diags_array(1 / sums) @ weights)
        moran_i, moran_z, lag = local_moran(x[:, None], matrix, row_standardise=row)
        z = (x - x.mean()) / x.std()
        m2 = (z**2).sum() / n  # 1 with the population standard deviation
        for i in range(n):
            w_i = weights.sum(axis=1)[i]
            w2_i = (weights.multiply(weights)).sum(axis=1)[i]
            observed = z[i] * (weights @ z)[i] / m2
            # A7 and A8 (conditional randomisation), written out.
            expectation = -(z[i] ** 2) * w_i / ((n - 1) * m2)
            variance = (
                (z[i] / m2) ** 2
                * n
                / (n - 2)
                * (w2_i - w_i**2 / (n - 1))
                * (m2 - z[i] ** 2 / (n - 1))
            )
            assert moran_z[i, 0] == pytest.approx(
                (observed - expectation) / np.sqrt(variance), abs=1e-12
            )
            # A7/A8 are the exact moments of the conditional-permutation distribution.
            mean, var = _exact_conditional_moments(x, weights, i)
            assert mean == pytest.approx(expectation, abs=1e-12)
            assert var == pytest.approx(variance, rel=1e-12)
            assert moran_z[i, 0] == pytest.approx((observed - mean) / np.sqrt(var), abs=1e-9)
            # esda's scaling of I: (n - 1) z_i lag_i / sum z^2.
            assert moran_i[i, 0] == pytest.approx((n - 1) * z[i] * lag[i, 0] / (z**2).sum())


# --- p-values and quadrants ------------------------------------------------------------------


def test_permutation_p_values_for_each_alternative() -> None:
    permutations = 99
    count_ge = np.array([0, 50, 99, 10, 99])
    count_le = np.array([99, 50, 0, 95, 99])  # last: every draw tied with the observation
    greater = (count_ge + 1) / 100
    less = (count_le + 1) / 100
    expected = {
        "greater": [0.01, 0.51, 1.00, 0.11, 1.00],
        "less": [1.00, 0.51, 0.01, 0.96, 1.00],
        "two-sided": [0.02, 1.00, 0.02, 0.22, 1.00],
        "folded": [0.01, 0.51, 0.01, 0.11, 1.00],
    }
    np.testing.assert_allclose(expected["greater"], greater)
    np.testing.assert_allclose(expected["less"], less)
    for alternative, values in expected.items():
        p = permutation_p_values(count_ge, count_le, permutations, alternative)  # type: ignore[arg-type]
        np.testing.assert_allclose(p, values, rtol=0, atol=1e-15, err_msg=alternative)
    # Direction -1 (Moran's I of a low-value area falls as the lag rises) swaps the tails;
    # direction 0 (a value exactly at the mean) cannot be tested: p = 1.
    direction = np.array([-1, 1, -1, 0, 1])
    p = permutation_p_values(count_ge, count_le, permutations, "greater", direction=direction)
    np.testing.assert_allclose(p, [1.00, 0.51, 0.01, 1.00, 1.00], rtol=0, atol=1e-15)
    p = permutation_p_values(count_ge, count_le, permutations, "less", direction=direction)
    np.testing.assert_allclose(p, [0.01, 0.51, 1.00, 1.00, 1.00], rtol=0, atol=1e-15)
    p = permutation_p_values(count_ge, count_le, permutations, "two-sided", direction=direction)
    np.testing.assert_allclose(p, [0.02, 1.00, 0.02, 1.00, 1.00], rtol=0, atol=1e-15)
    # The smallest attainable p-value is 1/(P + 1).
    assert permutation_p_values(np.array([0]), np.array([99]), 99, "greater")[0] == 1 / 100


def test_normal_p_values_for_each_alternative() -> None:
    z = np.array([-1.959963984540054, 0.0, 1.959963984540054, 3.0])
    np.testing.assert_allclose(normal_p_values(z, "greater"), stats.norm.sf(z), rtol=1e-14)
    np.testing.assert_allclose(normal_p_values(z, "less"), stats.norm.cdf(z), rtol=1e-14)
    np.testing.assert_allclose(
        normal_p_values(z, "two-sided"), [0.05, 1.0, 0.05, 2 * stats.norm.sf(3.0)], rtol=1e-12
    )
    np.testing.assert_allclose(
        normal_p_values(z, "folded"), [0.025, 0.5, 0.025, stats.norm.sf(3.0)], rtol=1e-12
    )


def test_moran_quadrants_count_zero_as_low() -> None:
    standard = np.array([1.0, -1.0, -1.0, 1.0, 0.0, 1.0, 0.0, 0.0, -2.0])
    lag = np.array([1.0, 1.0, -1.0, -1.0, 1.0, 0.0, 0.0, -1.0, 0.0])
    np.testing.assert_array_equal(
        moran_quadrants(standard, lag), ["HH", "LH", "LL", "HL", "LH", "HL", "LL", "LL", "LL"]
    )
    # Works column-wise on n x K arrays too.
    assert moran_quadrants(standard.reshape(3, 3), lag.reshape(3, 3)).shape == (3, 3)


# --- parity with esda on real data -----------------------------------------------------------


@dataclass(frozen=True)
class _RealData:
    weights: SpatialWeights
    values: np.ndarray  # MSOA x section employment, in weights.ids order
    sections: list[str]


@pytest.fixture(scope="module")
def midlands(midlands_employment: tuple[SpatialWeights, pd.DataFrame]) -> _RealData:
    weights, wide = midlands_employment
    return _RealData(weights, wide.to_numpy(), [str(c) for c in wide.columns])


def _graph(weights: SpatialWeights):
    from libpysal.graph import Graph

    return Graph.from_sparse(weights.matrix, ids=weights.ids)


@pytest.mark.realdata
def test_gi_star_z_matches_esda_for_all_sections(midlands: _RealData) -> None:
    import esda

    graph = _graph(midlands.weights)
    _g, z = gi_star(midlands.values, midlands.weights.matrix, binary=True, row_standardise=False)
    assert len(midlands.sections) == 20
    for c, section in enumerate(midlands.sections):
        reference = esda.G_Local(
            midlands.values[:, c], graph, transform="B", star=True, permutations=0
        )
        np.testing.assert_allclose(z[:, c], reference.Zs, rtol=0, atol=1e-9, err_msg=section)


@pytest.mark.realdata
def test_row_standardised_gi_star_z_equals_binary(midlands: _RealData) -> None:
    # esda's analytic Zs for transform='R' treat the row sum as a neighbour count and so
    # differ; the general-weights form used here is invariant to rescaling a row.
    _g, z_binary = gi_star(
        midlands.values, midlands.weights.matrix, binary=True, row_standardise=False
    )
    _g, z_row = gi_star(midlands.values, midlands.weights.matrix, binary=True, row_standardise=True)
    np.testing.assert_allclose(z_row, z_binary, rtol=0, atol=1e-12)


@pytest.mark.realdata
def test_gi_z_matches_esda_non_star(midlands: _RealData) -> None:
    # esda's G_Local(star=False) takes the mean and variance over the other n - 1 areas, as
    # ours does: the two agree to rounding (checked: ~1e-14).
    import esda

    graph = _graph(midlands.weights)
    _g, z = gi(midlands.values, midlands.weights.matrix, row_standardise=False)
    for c, section in enumerate(midlands.sections):
        reference = esda.G_Local(
            midlands.values[:, c], graph, transform="B", star=False, permutations=0
        )
        np.testing.assert_allclose(z[:, c], reference.Zs, rtol=0, atol=1e-9, err_msg=section)


@pytest.mark.realdata
@pytest.mark.parametrize(("transformation", "row"), [("B", False), ("R", True)])
def test_local_moran_matches_esda(midlands: _RealData, transformation: str, row: bool) -> None:
    import esda

    graph = _graph(midlands.weights)
    n = midlands.weights.n
    moran_i, moran_z, _lag = local_moran(
        midlands.values, midlands.weights.matrix, row_standardise=row
    )
    for c, section in enumerate(midlands.sections):
        reference = esda.Moran_Local(
            midlands.values[:, c], graph, transformation=transformation, permutations=0
        )
        np.testing.assert_allclose(
            moran_i[:, c], reference.Is, rtol=1e-9, atol=1e-9, err_msg=section
        )
        # esda's EIc/VIc are Sokal et al.'s A7/A8 for Anselin's I_i = z_i lag_i / m2, while
        # its Is is scaled by (n - 1)/sum(z^2) = (n - 1)/(n m2): Is = (n - 1)/n * I_i. So the
        # conditional z is ((n/(n-1)) Is - EIc) / sqrt(VIc), not (Is - EIc) / sqrt(VIc).
        assert hasattr(reference, "EIc")
        assert hasattr(reference, "VIc")
        reference_z = (n / (n - 1) * reference.Is - reference.EIc) / np.sqrt(reference.VIc)
        np.testing.assert_allclose(moran_z[:, c], reference_z, rtol=0, atol=1e-9, err_msg=section)


# --- the engine's one-pass kernels give the reference functions' bits -------------------------


def _same_bits(actual: np.ndarray, expected: np.ndarray) -> None:
    assert actual.shape == expected.shape
    assert actual.dtype == expected.dtype
    np.testing.assert_array_equal(actual.view(np.uint8), expected.view(np.uint8))


def _random_weights(
    n: int, *, binary: bool, seed: int, sorted_rows: bool = False
) -> sparse.csr_array:
    """Symmetric random weights with an island and rows of many sizes, indices unsorted.

    With ``sorted_rows``, each row's indices in order, as clustergeo's weights are.
    """
    rng = np.random.default_rng(seed)
    dense = np.triu(rng.random((n, n)) < 0.08, 1)
    dense = dense | dense.T
    dense[0, :] = dense[:, 0] = False  # an island
    values = dense * (1.0 if binary else rng.uniform(0.1, 3.0, size=(n, n)))
    values = np.triu(values) + np.triu(values, 1).T
    matrix = sparse.csr_array(values)
    if sorted_rows:
        return matrix
    # Reverse each row's indices: the kernels must follow the stored order, as scipy does.
    for i in range(n):
        row = slice(matrix.indptr[i], matrix.indptr[i + 1])
        matrix.indices[row] = matrix.indices[row][::-1]
        matrix.data[row] = matrix.data[row][::-1]
    matrix.has_sorted_indices = False
    return matrix


@pytest.mark.parametrize("binary", [True, False])
@pytest.mark.parametrize("row_standardise", [False, True])
@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("imputed", [True, False])
@pytest.mark.parametrize("sorted_rows", [False, True])
def test_local_statistics_gives_the_reference_bits(
    binary: bool, row_standardise: bool, order: str, imputed: bool, sorted_rows: bool
) -> None:
    n, k = 80, 5
    rng = np.random.default_rng(3)
    matrix = _random_weights(n, binary=binary, seed=4, sorted_rows=sorted_rows)
    values = np.asarray(rng.gamma(2.0, 1.0, size=(n, k)), order=order)
    values[:, 2] = np.round(values[:, 2])  # ties, zeros in the standardised values
    values[:, 3] = 1.5  # constant: NaN and infinities everywhere
    # Imputed: a value missing from the raw values; otherwise the values are the raw ones.
    raw = values.copy(order=order) if imputed else values
    if imputed:
        raw[5, 1] = np.nan
    untested = rng.random((n, k)) < 0.1
    untested[:, 3] = True
    reported = rng.random(n) < 0.8
    rows = np.full(n, -1)
    rows[reported] = np.arange(reported.sum())
    shape = (int(reported.sum()), k)
    out = StatisticsOutput(
        value=np.empty(shape),
        gi_star=np.empty(shape),
        gi_star_z=np.empty(shape),
        gi_z=np.empty(shape),
        moran_i=np.empty(shape),
        moran_z=np.empty(shape),
        quadrant=np.empty(shape, dtype=np.int8),
        gi_star_p_norm=np.empty(shape),
        moran_p_norm=np.empty(shape),
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        local_statistics(
            raw,
            values,
            matrix,
            binary=binary,
            row_standardise=row_standardise,
            untested=untested,
            rows=rows,
            out=out,
            alternative="two-sided",
        )
        g_star, z_star = gi_star(values, matrix, binary=binary, row_standardise=row_standardise)
        _g, z_gi = gi(values, matrix, row_standardise=row_standardise)
        moran_i, moran_z, lag = local_moran(values, matrix, row_standardise=row_standardise)
        standard = (values - values.mean(axis=0)) * (1.0 / values.std(axis=0))
    quadrant = moran_quadrant_codes(standard, lag)
    quadrant[untested] = 4

    def blank(array: np.ndarray) -> np.ndarray:
        return np.where(untested, np.nan, array)[reported]

    _same_bits(out.value, raw[reported])
    _same_bits(out.gi_star, blank(g_star))
    _same_bits(out.gi_star_z, blank(z_star))
    _same_bits(out.gi_z, blank(z_gi))
    _same_bits(out.moran_i, blank(moran_i))
    _same_bits(out.moran_z, blank(moran_z))
    _same_bits(out.quadrant, quadrant[reported])
    # The normal p-values written in the same pass: scipy's, NaN where the z is.
    _same_bits(out.gi_star_p_norm, normal_p_values(out.gi_star_z, "two-sided"))
    _same_bits(out.moran_p_norm, normal_p_values(out.moran_z, "two-sided"))
    # The test means something: finite statistics where tested, except the constant column.
    assert np.isfinite(out.gi_star_z[~untested[reported]]).mean() > 0.9


@pytest.mark.parametrize("sorted_rows", [False, True])
def test_lag_slots_hold_each_matrix_in_its_own_order(sorted_rows: bool) -> None:
    matrix = _random_weights(40, binary=False, seed=6, sorted_rows=sorted_rows)
    prepared = statistics_weights(matrix, binary=False, row_standardise=True)
    slots = prepared.slots
    for bit, weights, column in ((1, prepared.star, 0), (2, prepared.plain, 1)):
        held = (slots.kinds & bit) != 0
        # Row by row, the slots holding this matrix give its indices and weights in order.
        np.testing.assert_array_equal(slots.indices[held], weights.indices)
        _same_bits(slots.weights[held, column], weights.data)
        row_of_slot = np.repeat(np.arange(40), np.diff(slots.indptr))
        row_of_entry = np.repeat(np.arange(40), np.diff(weights.indptr))
        np.testing.assert_array_equal(row_of_slot[held], row_of_entry)
    assert np.isin(slots.kinds, [1, 2, 3]).all()
    if sorted_rows:
        # A neighbour in both matrices takes one slot; each area's own slot is Gi*'s alone.
        assert (slots.kinds == 3).sum() == matrix.nnz
        assert (slots.kinds == 1).sum() == 40
        assert len(slots.indices) == matrix.nnz + 40


@pytest.mark.parametrize("imputed", [True, False])
def test_local_statistics_copies_values_that_are_not_finite(imputed: bool) -> None:
    # Infinite values never come from the pipeline's variables, but a caller's may have them:
    # the value column gives them as given, NaN where a value is missing.
    n, k = 30, 3
    values = np.asfortranarray(np.random.default_rng(8).gamma(2.0, 1.0, size=(n, k)))
    values[4, 0] = np.inf
    values[7, 2] = -np.inf
    raw = values.copy(order="F") if imputed else values
    if imputed:
        raw[9, 1] = np.nan
    out = StatisticsOutput(
        *(np.empty((n, k)) for _ in range(6)), quadrant=np.empty((n, k), dtype=np.int8)
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        local_statistics(
            raw,
            values,
            _random_weights(n, binary=True, seed=2),
            binary=True,
            row_standardise=False,
            untested=np.zeros((n, k), dtype=bool),
            rows=np.arange(n),
            out=out,
        )
    _same_bits(out.value, np.ascontiguousarray(raw))
    assert np.isnan(out.value[9, 1]) == imputed


@numba.njit
def _compiled_normal_p(z: np.ndarray, alternative: int, ndtr: Any) -> np.ndarray:
    out = np.empty_like(z)
    for i in range(z.shape[0]):
        for c in range(z.shape[1]):
            out[i, c] = statistics._normal_p(z[i, c], alternative, ndtr)
    return out


@pytest.mark.skipif(statistics._NDTR is None, reason="scipy's ndtr is not callable here")
@pytest.mark.parametrize("alternative", ["two-sided", "greater", "less", "folded"])
def test_the_statistics_kernels_normal_p_values_are_scipys_bits(alternative: str) -> None:
    rng = np.random.default_rng(1)
    z = rng.standard_normal((300, 7)) * 4
    z[0, :] = [np.nan, np.inf, -np.inf, 0.0, -0.0, 40.0, -40.0]
    z[1, :] = [1e-300, -1e-300, 0.7071067811865476, -0.7071067811865476, 8.3, -8.3, 37.5]
    out = _compiled_normal_p(z, statistics._ALTERNATIVE_CODES[alternative], statistics._NDTR)
    _same_bits(out, normal_p_values(z, alternative))  # type: ignore[arg-type]


@pytest.mark.parametrize("alternative", ["two-sided", "greater", "less", "folded"])
def test_permutation_p_values_into_gives_the_reference_bits(alternative: str) -> None:
    rng = np.random.default_rng(2)
    n, k, permutations = 200, 4, 99
    count_ge = rng.integers(0, permutations + 1, size=(n, k)).astype(np.int32)
    count_le = np.minimum(permutations, permutations - count_ge + rng.integers(0, 3, (n, k)))
    count_le = count_le.astype(np.int32)
    values = np.asfortranarray(rng.integers(0, 5, size=(n, k)).astype(float))
    values[:, 0] = 2.0  # its mean exactly: Moran's I does not depend on the lag
    untested = rng.random((n, k)) < 0.05
    reported = rng.random(n) < 0.9
    rows = np.full(n, -1)
    rows[reported] = np.arange(reported.sum())
    shape = (int(reported.sum()), k)
    gi_star_p, moran_p = np.empty(shape), np.empty(shape)
    gi_star_keys = np.empty(shape, dtype=np.int32)
    moran_keys = np.empty(shape, dtype=np.int32)
    with np.errstate(divide="ignore", invalid="ignore"):
        levels = permutation_p_values_into(
            count_ge,
            count_le,
            permutations,
            alternative,  # type: ignore[arg-type]
            values,
            untested=untested,
            rows=rows,
            gi_star_out=gi_star_p,
            moran_out=moran_p,
            gi_star_keys=gi_star_keys,
            moran_keys=moran_keys,
        )
        direction = np.sign((values - values.mean(axis=0)) / values.std(axis=0))
    expected_gi_star = permutation_p_values(count_ge, count_le, permutations, alternative)  # type: ignore[arg-type]
    expected_moran = permutation_p_values(
        count_ge,
        count_le,
        permutations,
        alternative,  # type: ignore[arg-type]
        direction=direction,
    )
    _same_bits(gi_star_p, np.where(untested, np.nan, expected_gi_star)[reported])
    _same_bits(moran_p, np.where(untested, np.nan, expected_moran)[reported])
    # The keys index the levels: p = levels[key], -1 where untested.
    for p, keys in ((gi_star_p, gi_star_keys), (moran_p, moran_keys)):
        np.testing.assert_array_equal(keys < 0, np.isnan(p))
        _same_bits(np.where(keys >= 0, levels[keys], np.nan), p)
    assert (np.diff(levels) >= 0).all()
    assert levels[-1] == 1.0


@pytest.mark.parametrize("order", ["C", "F"])
def test_column_sums_give_numpys_bits_in_either_layout(order: str) -> None:
    values = np.asarray(np.random.default_rng(5).lognormal(size=(20_001, 3)), order=order)
    sums = column_sums(values)
    total, mean, std, squares, moran = (
        sums.total,
        sums.mean,
        sums.std,
        sums.squares,
        sums.moran_squares,
    )
    _same_bits(total, values.sum(axis=0))
    _same_bits(mean, values.mean(axis=0))
    _same_bits(std, values.std(axis=0))
    _same_bits(squares, (values**2).sum(axis=0))
    standard = (values - values.mean(axis=0)) * (1.0 / values.std(axis=0))
    _same_bits(moran, (standard * standard).sum(axis=0))


def test_column_sums_give_numpys_bits_for_every_length_and_kind_of_column() -> None:
    # Lengths around numpy's pairwise blocks (8 sums of up to 128 terms, halves a multiple
    # of 8), signed and tiny values, signed zeros, a constant column (no deviation).
    rng = np.random.default_rng(11)
    lengths = [*range(1, 300), 1023, 1024, 1025, 4096, 8191, 8193, 34_753, 100_003]
    for n in lengths:
        values = np.asfortranarray(
            np.column_stack(
                [
                    rng.standard_normal(n) * 10.0 ** rng.uniform(-8, 8, n),
                    rng.integers(0, 4, n) / 7.0,
                    np.full(n, -0.0),
                    np.full(n, 0.3),
                ]
            )
        )
        _assert_numpys_sums(values)
    # No areas, and single precision (summed by numpy itself).
    _assert_numpys_sums(np.zeros((0, 3), order="F"))
    _assert_numpys_sums(np.asfortranarray(rng.random((50, 2)), dtype=np.float32))


def _assert_numpys_sums(values: np.ndarray) -> None:
    # numpy warns of the mean of no values (and column_sums with it): NaN, as numpy gives.
    with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        sums = column_sums(values)
        standard = (values - values.mean(axis=0)) * (1.0 / values.std(axis=0))
        expected = {
            "total": values.sum(axis=0),
            "mean": values.mean(axis=0),
            "std": values.std(axis=0),
            "squares": (values**2).sum(axis=0),
            "moran_squares": (standard * standard).sum(axis=0),
        }
    for name, wanted in expected.items():
        actual = getattr(sums, name)
        assert np.array_equal(actual, wanted, equal_nan=True), (len(values), name)
        assert np.array_equal(np.signbit(actual), np.signbit(wanted)), (len(values), name)
