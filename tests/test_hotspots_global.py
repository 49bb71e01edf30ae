"""Global Moran's I and General G: hand-computed values, esda, and permutation inference."""

from __future__ import annotations

import itertools

import esda
import libpysal
import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from clustergeo.hotspots.global_statistics import (
    general_g,
    global_statistics,
    moran_i,
    permutation_order,
    permuted_cross_products,
)
from clustergeo.hotspots.weights import SpatialWeights, build_weights
from conftest import square_grid

#: Four areas in a row: a - b - c - d.
PATH = sparse.csr_array(
    np.array([[0, 1, 0, 0], [1, 0, 1, 0], [0, 1, 0, 1], [0, 0, 1, 0]], dtype=float)
)
X = np.array([1.0, 2.0, 3.0, 4.0])


def test_moran_i_of_a_path_by_hand() -> None:
    # z = (-1.5, -0.5, 0.5, 1.5); sum w z_i z_j = 2 (0.75 - 0.25 + 0.75) = 2.5; S0 = 6;
    # sum z^2 = 5: I = 4/6 x 2.5/5 = 1/3, E[I] = -1/3.
    result = moran_i(X, PATH)
    assert result["moran_i"] == pytest.approx(1 / 3, abs=1e-15)
    assert result["moran_expected"] == pytest.approx(-1 / 3, abs=1e-15)


def test_general_g_of_a_path_by_hand() -> None:
    # sum w x_i x_j = 2 (2 + 6 + 12) = 40; (sum x)^2 - sum x^2 = 100 - 30 = 70; G = 4/7.
    # E[G] = S0 / (n (n - 1)) = 6 / 12.
    result = general_g(X, PATH)
    assert result["general_g"] == pytest.approx(4 / 7, abs=1e-15)
    assert result["general_g_expected"] == pytest.approx(0.5, abs=1e-15)


@pytest.fixture(scope="module")
def grid_values() -> tuple[SpatialWeights, pd.DataFrame]:
    grid = square_grid(7, 6)
    weights = build_weights(grid)
    rng = np.random.default_rng(5)
    smooth = np.add.outer(np.arange(6), np.arange(7)).ravel() / 4.0
    values = pd.DataFrame(
        {
            "clustered": smooth + rng.gamma(2.0, 0.3, size=42),
            "noise": rng.gamma(2.0, 0.5, size=42),
        },
        index=weights.ids,
    )
    return weights, values


@pytest.mark.parametrize("transform", ["binary", "row"])
def test_moran_equals_esda(
    grid_values: tuple[SpatialWeights, pd.DataFrame], transform: str
) -> None:
    weights, values = grid_values
    ours = global_statistics(
        values, weights, transform=transform, permutations=0, seed=1, alternative="two-sided"
    ).set_index("industry_code")
    w = libpysal.weights.WSP(weights.matrix).to_W(silence_warnings=True)
    for column in values:
        reference = esda.Moran(
            values[column].to_numpy(),
            w,
            transformation="B" if transform == "binary" else "R",
            permutations=0,
        )
        row = ours.loc[column]
        assert row["moran_i"] == pytest.approx(reference.I, rel=1e-12)
        assert row["moran_expected"] == pytest.approx(reference.EI, rel=1e-12)
        assert row["moran_z"] == pytest.approx(reference.z_rand, rel=1e-10)
        # esda's two-tailed randomisation p-value.
        assert row["moran_p_norm"] == pytest.approx(reference.p_rand, rel=1e-9)


def test_general_g_equals_esda(grid_values: tuple[SpatialWeights, pd.DataFrame]) -> None:
    weights, values = grid_values
    ours = global_statistics(
        values, weights, transform="binary", permutations=0, seed=1, alternative="folded"
    ).set_index("industry_code")
    w = libpysal.weights.WSP(weights.matrix).to_W(silence_warnings=True)
    for column in values:
        reference = esda.G(values[column].to_numpy(), w, permutations=0)
        row = ours.loc[column]
        assert row["general_g"] == pytest.approx(reference.G, rel=1e-12)
        assert row["general_g_expected"] == pytest.approx(reference.EG, rel=1e-12)
        assert row["general_g_z"] == pytest.approx(reference.z_norm, rel=1e-9)
        # esda's G p-value is the folded one-sided value.
        assert row["general_g_p_norm"] == pytest.approx(reference.p_norm, rel=1e-9)


def test_permutation_p_values_match_the_exact_distribution() -> None:
    # Every one of the 24 orders of 1..4 on the path, enumerated.
    observed = moran_i(X, PATH)["moran_i"]
    exact = np.mean(
        [
            moran_i(np.array(order), PATH)["moran_i"] >= observed - 1e-12
            for order in itertools.permutations(X)
        ]
    )
    weights = SpatialWeights(ids=np.array(list("abcd")), matrix=PATH, method="path", binary=True)
    values = pd.DataFrame({"x": X}, index=list("abcd"))
    result = global_statistics(
        values, weights, transform="binary", permutations=9999, seed=3, alternative="greater"
    ).iloc[0]
    # 9,999 draws: the standard error of the estimate is below 0.005.
    assert result["moran_p_sim"] == pytest.approx(exact, abs=0.015)


def test_a_clustered_column_is_clustered_and_noise_is_not(
    grid_values: tuple[SpatialWeights, pd.DataFrame],
) -> None:
    weights, values = grid_values
    table = global_statistics(
        values, weights, transform="binary", permutations=999, seed=7, alternative="two-sided"
    ).set_index("industry_code")
    assert table.loc["clustered", "pattern"] == "clustered"
    assert table.loc["clustered", "moran_p_sim"] == pytest.approx(0.002)  # (0 + 1) x 2 / 1000
    assert table.loc["noise", "pattern"] == "random"
    again = global_statistics(
        values, weights, transform="binary", permutations=999, seed=7, alternative="two-sided"
    )
    pd.testing.assert_frame_equal(table.reset_index(), again)


def test_missing_values_study_area_and_untestable_columns(
    grid_values: tuple[SpatialWeights, pd.DataFrame],
) -> None:
    weights, values = grid_values
    values = values.assign(constant=1.0, negative=-values["noise"])
    values.iloc[0, 0] = np.nan
    study = list(weights.ids[:30])
    table = global_statistics(
        values,
        weights,
        transform="binary",
        permutations=0,
        seed=1,
        alternative="two-sided",
        report_for=study,
    ).set_index("industry_code")
    assert table.loc["clustered", "n_areas"] == 29
    assert table.loc["noise", "n_areas"] == 30
    assert table.loc["constant", "pattern"] == "not_tested"
    assert table.loc["negative", "pattern"] == "not_tested"
    assert np.isnan(table.loc["constant", "moran_i"])


def _restricted_grid(transform: str) -> tuple[np.ndarray, sparse.csr_array]:
    grid = square_grid(6, 5)
    matrix = sparse.csr_array(build_weights(grid).matrix, dtype=float)
    if transform == "row":
        matrix = sparse.csr_array(sparse.diags_array(1.0 / matrix.sum(axis=1)) @ matrix)
    rng = np.random.default_rng(11)
    return rng.gamma(2.0, 1.0, size=(30, 3)), matrix


@pytest.mark.parametrize("transform", ["binary", "row"])
def test_permuted_cross_products_equal_a_recount_of_each_permutation(transform: str) -> None:
    # Row 0 is the observed arrangement, row p the values moved by permutation_order(p): each
    # recomputed here with numpy, per column, from the same orders.
    values, w = _restricted_grid(transform)
    crosses = permuted_cross_products(values, w, permutations=50, seed=4)
    assert crosses.shape == (51, 2, 3)
    orders = [permutation_order(30, p, np.uint64(4)) for p in range(51)]
    np.testing.assert_array_equal(orders[0], np.arange(30))
    assert all(sorted(order) == list(range(30)) for order in orders)
    assert len({tuple(order) for order in orders}) == 51
    for p, order in enumerate(orders):
        for c in range(3):
            x = values[order, c]
            z = x - values[:, c].mean()
            assert crosses[p, 0, c] == pytest.approx(float(z @ (w @ z)), rel=1e-12, abs=1e-12)
            assert crosses[p, 1, c] == pytest.approx(float(x @ (w @ x)), rel=1e-12)


def test_p_values_count_the_permutations_at_least_as_extreme() -> None:
    values, w = _restricted_grid("binary")
    ids = np.array([f"A{i:02d}" for i in range(30)])
    weights = SpatialWeights(ids=ids, matrix=w, method="grid", binary=True)
    frame = pd.DataFrame(values, index=ids, columns=["a", "b", "c"])
    table = global_statistics(
        frame, weights, transform="binary", permutations=99, seed=8, alternative="greater"
    )
    crosses = permuted_cross_products(values, w, permutations=99, seed=8)
    for c, row in table.iterrows():
        at_least = (crosses[1:, :, c] >= crosses[0, :, c]).sum(axis=0)
        assert row["moran_p_sim"] == (at_least[0] + 1) / 100
        assert row["general_g_p_sim"] == (at_least[1] + 1) / 100


def test_permutations_do_not_depend_on_threads_or_on_the_other_industries(
    grid_values: tuple[SpatialWeights, pd.DataFrame],
) -> None:
    import numba

    weights, values = grid_values
    kwargs = {"transform": "row", "permutations": 199, "seed": 2, "alternative": "two-sided"}
    both = global_statistics(values, weights, **kwargs)  # type: ignore[arg-type]
    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        one_thread = global_statistics(values, weights, **kwargs)  # type: ignore[arg-type]
    finally:
        numba.set_num_threads(threads)
    pd.testing.assert_frame_equal(both, one_thread)
    # An industry alone, and one with a missing value (its own areas, its own weights).
    alone = global_statistics(values[["noise"]], weights, **kwargs)  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(alone, both.iloc[[1]].reset_index(drop=True))
    gappy = values.assign(gappy=values["noise"].where(values.index != values.index[5]))
    mixed = global_statistics(gappy, weights, **kwargs).set_index("industry_code")  # type: ignore[arg-type]
    assert mixed.loc["gappy", "n_areas"] == 41
    pd.testing.assert_frame_equal(mixed.iloc[:2].reset_index(), both)


def test_each_permutation_has_its_own_stream() -> None:
    # Streams that start a whole number of splitmix64 steps apart run along each other: with
    # seed 0, permutation p + 1 would be permutation p moved on by a draw.
    for seed in (0, 2, 2**62, 20111):
        orders = [permutation_order(30, p, np.uint64(seed)) for p in range(1, 401)]
        shifted = np.mean([b[-1] == a[-2] for a, b in itertools.pairwise(orders)])
        assert shifted < 0.1  # 1 in 30 by chance
        assert len({tuple(order) for order in orders}) == 400


def test_exact_ties_count_both_ways() -> None:
    # Two areas with a count of 1 on a 10 x 10 lattice: most arrangements tie with the
    # observed one exactly (n^2 z'Wz and x'Wx are whole numbers) but not after rounding.
    side = 10
    n = side * side
    links = [(r * side + c, r * side + c + 1) for r in range(side) for c in range(side - 1)]
    links += [(r * side + c, (r + 1) * side + c) for r in range(side - 1) for c in range(side)]
    left, right = np.array(links).T
    w = sparse.csr_array(
        (np.ones(2 * len(links)), (np.r_[left, right], np.r_[right, left])), shape=(n, n)
    )
    dense = w.toarray().astype(np.int64)
    row_sums = dense.sum(axis=1)
    x = np.zeros(n, dtype=np.int64)
    x[[22, 55]] = 1

    def exact(values: np.ndarray) -> tuple[int, int]:
        total = int(values.sum())
        cross = int(values @ dense @ values)
        scaled_z = n * n * cross - 2 * n * total * int(row_sums @ values) + total**2 * dense.sum()
        return scaled_z, cross

    ids = np.array([f"A{i:03d}" for i in range(n)])
    weights = SpatialWeights(ids=ids, matrix=w, method="grid", binary=True)
    frame = pd.DataFrame({"x": x.astype(float)}, index=ids)
    observed = exact(x)
    simulated = [exact(x[permutation_order(n, p, np.uint64(6))]) for p in range(1, 500)]
    for alternative, at_least in (("greater", np.greater_equal), ("less", np.less_equal)):
        table = global_statistics(
            frame, weights, transform="binary", permutations=499, seed=6, alternative=alternative
        )
        counts = [sum(bool(at_least(s[k], observed[k])) for s in simulated) for k in (0, 1)]
        assert table.loc[0, "moran_p_sim"] == (counts[0] + 1) / 500
        assert table.loc[0, "general_g_p_sim"] == (counts[1] + 1) / 500
    assert sum(s[0] == observed[0] for s in simulated) > 100


def test_general_g_needs_two_areas_with_a_value() -> None:
    weights = SpatialWeights(ids=np.array(list("abcd")), matrix=PATH, method="path", binary=True)
    values = pd.DataFrame({"one": [0.0, 0.0, 2.5, 0.0], "two": X}, index=list("abcd"))
    table = global_statistics(
        values, weights, transform="binary", permutations=99, seed=1, alternative="two-sided"
    ).set_index("industry_code")
    assert np.isnan(table.loc["one", ["general_g", "general_g_z", "general_g_p_sim"]]).all()
    assert np.isfinite(table.loc["one", ["moran_i", "moran_z", "moran_p_sim"]].astype(float)).all()
    assert np.isfinite(table.loc["two", "general_g_p_sim"])
