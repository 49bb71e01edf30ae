"""Co-location statistics of producers and users: against esda, by hand and by brute force."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from clustergeo.circular.colocation import (
    Inference,
    _permutation_orders,
    bivariate_local_moran,
    bivariate_moran,
    coagglomeration,
    global_colocation,
    local_colocation,
)
from clustergeo.hotspots.permutation import shared_draws
from clustergeo.hotspots.statistics import permutation_p_values
from clustergeo.hotspots.weights import SpatialWeights, build_weights
from conftest import square_grid


@pytest.fixture(scope="module")
def grid() -> SpatialWeights:
    return build_weights(square_grid(12, 10, digits=2))


def _pair(weights: SpatialWeights, seed: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    n = weights.n
    producers = pd.DataFrame(
        {"s1": rng.gamma(2.0, size=n), "s2": rng.gamma(1.0, size=n)}, index=weights.ids
    )
    users = pd.DataFrame(
        {"s1": 0.5 * producers["s1"] + rng.gamma(2.0, size=n), "s2": rng.gamma(3.0, size=n)},
        index=weights.ids,
    )
    return producers, users


def test_a_hand_computed_bivariate_local_moran() -> None:
    # Three areas in a row (A-B-C), binary weights: z of x = (-1.2247, 0, 1.2247) and
    # z of y = (1.2247, -1.2247, 0) with population deviations. I_A = (n-1) z_xA lag_A / sum zx^2
    # = 2 * (-1.2247) * (-1.2247) / 3 = 1.0; I_B = 0; I_C = 2 * 1.2247 * (-1.2247) / 3 = -1.0.
    matrix = sparse.csr_array(np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]], dtype=float))
    moran, lag, quadrant = bivariate_local_moran(
        np.array([[1.0], [2.0], [3.0]]), np.array([[3.0], [1.0], [2.0]]), matrix
    )
    np.testing.assert_allclose(moran.ravel(), [1.0, 0.0, -1.0], atol=1e-12)
    np.testing.assert_allclose(
        lag.ravel(), [-1.224744871391589, 1.224744871391589, -1.224744871391589]
    )
    # A: low x among low y (LL, code 2); C: high x among low y (HL, code 3).
    assert quadrant.ravel()[[0, 2]].tolist() == [2, 3]


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")
@pytest.mark.parametrize(("transform", "esda_transform"), [("row", "r"), ("binary", "b")])
def test_local_statistic_equals_esda_and_p_values_agree_within_monte_carlo_error(
    grid: SpatialWeights, transform: str, esda_transform: str
) -> None:
    import esda
    from libpysal.graph import Graph

    producers, users = _pair(grid)
    permutations = 999
    table = local_colocation(
        producers,
        users,
        grid,
        Inference(transform, permutations, 3, "folded"),  # type: ignore[arg-type]
    )
    graph = Graph.from_sparse(grid.matrix, ids=grid.ids)
    for stream in ("s1", "s2"):
        ours = table.loc[table["stream"] == stream]
        assert (ours["area_code"].to_numpy() == grid.ids).all()
        runs = [
            esda.Moran_Local_BV(
                producers[stream].to_numpy(),
                users[stream].to_numpy(),
                graph,
                transformation=esda_transform,
                permutations=permutations,
                seed=seed,
            )
            for seed in (1, 2)
        ]
        # The statistic is the same number (1e-12); the pseudo p-values come from other
        # random draws, so they are compared as two esda runs compare with each other.
        np.testing.assert_allclose(ours["pu_i"].to_numpy(), runs[0].Is, atol=1e-12)
        ours_vs_esda = np.abs(ours["pu_p_sim"].to_numpy() - runs[0].p_sim).mean()
        esda_vs_esda = np.abs(runs[0].p_sim - runs[1].p_sim).mean()
        assert ours_vs_esda < 2.0 * esda_vs_esda + 0.005
        reverse = esda.Moran_Local_BV(
            users[stream].to_numpy(),
            producers[stream].to_numpy(),
            graph,
            transformation=esda_transform,
            permutations=0,
        )
        np.testing.assert_allclose(ours["up_i"].to_numpy(), reverse.Is, atol=1e-12)


def test_p_values_are_exact_counts_on_the_engines_shared_draws(grid: SpatialWeights) -> None:
    """The conditional null by brute force: area i keeps x_i, its neighbours get drawn y."""
    producers, users = _pair(grid, seed=4)
    permutations, seed = 199, 11
    table = local_colocation(
        producers, users, grid, Inference("row", permutations, seed, "greater")
    )
    matrix = sparse.csr_array(grid.transformed("row"))
    cardinalities = np.diff(matrix.indptr)
    samples = shared_draws(cardinalities, permutations, seed)
    x = producers["s1"].to_numpy()
    y = users["s1"].to_numpy()
    zx = (x - x.mean()) / x.std()
    expected = np.empty(grid.n)
    for i in range(grid.n):
        k = int(cardinalities[i])
        weights = matrix.data[matrix.indptr[i] : matrix.indptr[i + 1]]
        observed = zx[i] * float(
            weights @ y[matrix.indices[matrix.indptr[i] : matrix.indptr[i + 1]]]
        )
        extreme = 0
        for p in range(permutations):
            draw = [samples[p, k] if a == i else a for a in samples[p, :k]]
            extreme += zx[i] * float(weights @ y[draw]) >= observed
        expected[i] = (extreme + 1) / (permutations + 1)
    ours = table.loc[table["stream"] == "s1", "pu_p_sim"].to_numpy()
    np.testing.assert_array_equal(ours, expected)


def test_streams_sharing_a_side_give_the_results_they_give_alone(grid: SpatialWeights) -> None:
    producers, users = _pair(grid)
    users["s2"] = users["s1"]  # two streams, one users' column
    inference = Inference("binary", 99, 5, "two-sided")
    together = local_colocation(producers, users, grid, inference)
    alone = local_colocation(producers[["s2"]], users[["s2"]], grid, inference)
    pd.testing.assert_frame_equal(
        together.loc[together["stream"] == "s2"].reset_index(drop=True), alone
    )


def test_missing_values_and_edge_areas_are_not_tested_or_reported(grid: SpatialWeights) -> None:
    producers, users = _pair(grid)
    first = str(grid.ids[0])
    producers.loc[first, "s1"] = np.nan
    study = [str(c) for c in grid.ids[:-10]]
    table = local_colocation(
        producers, users, grid, Inference("row", 99, 5, "two-sided"), report_for=study
    )
    assert set(table["area_code"]) == set(study)
    missing = table.loc[(table["area_code"] == first) & (table["stream"] == "s1")].iloc[0]
    assert np.isnan(missing["pu_i"])
    assert missing["pu_class"] == "not_tested"
    assert set(table["pu_class"]) <= {"HH", "LH", "LL", "HL", "not_significant", "not_tested"}
    assert table["colocated"].equals((table["pu_class"] == "HH") | (table["up_class"] == "HH"))


def test_a_planted_pair_is_significantly_colocated(grid: SpatialWeights) -> None:
    rng = np.random.default_rng(2)
    producers = pd.DataFrame({"s": rng.gamma(2.0, size=grid.n)}, index=grid.ids)
    users = pd.DataFrame({"s": rng.gamma(2.0, size=grid.n)}, index=grid.ids)
    block = [f"A{r:02d}{c:02d}" for r in range(3, 7) for c in range(3, 7)]
    producers.loc[block[::2], "s"] += 8.0
    users.loc[block[1::2], "s"] += 8.0
    table = local_colocation(producers, users, grid, Inference("row", 999, 9, "greater"))
    colocated = set(table.loc[table["colocated"], "area_code"])
    assert colocated
    assert colocated <= set(block)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_global_bivariate_moran_equals_esda(grid: SpatialWeights) -> None:
    import esda
    from libpysal.graph import Graph

    producers, users = _pair(grid)
    graph = Graph.from_sparse(grid.matrix, ids=grid.ids)
    row = global_colocation(
        producers, users, grid, transform="row", permutations=999, seed=1, alternative="folded"
    ).set_index("stream")
    binary = global_colocation(
        producers, users, grid, transform="binary", permutations=0, seed=1, alternative="folded"
    ).set_index("stream")
    s0 = float(grid.matrix.sum())
    for stream in ("s1", "s2"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reference = esda.Moran_BV(
                producers[stream].to_numpy(), users[stream].to_numpy(), graph, permutations=999
            )
            unscaled = esda.Moran_BV(
                producers[stream].to_numpy(),
                users[stream].to_numpy(),
                graph,
                transformation="b",
                permutations=0,
            )
        assert row.loc[stream, "moran_bv_i"] == pytest.approx(reference.I, abs=1e-12)
        # esda leaves out n / S0 (1 for row-standardised weights).
        assert binary.loc[stream, "moran_bv_i"] == pytest.approx(
            unscaled.I * grid.n / s0, abs=1e-12
        )
        assert abs(row.loc[stream, "moran_bv_p_sim"] - reference.p_sim) < 0.05
    assert bivariate_moran(
        producers["s1"].to_numpy(), producers["s1"].to_numpy(), grid.transformed("row")
    ) == pytest.approx(
        esda.Moran(producers["s1"].to_numpy(), graph, transformation="r", permutations=0).I,
        abs=1e-12,
    )


@pytest.mark.parametrize(
    ("method", "transform"), [("contiguity", "binary"), ("contiguity", "row"), ("knn", "binary")]
)
def test_global_bivariate_ties_are_counted_exactly(method: str, transform: str) -> None:
    # Producers and users each in two areas of a 10 x 10 lattice: many arrangements of the
    # users' values give a cross-product equal to the observed one in exact arithmetic, and
    # rounding used to put them either side. Recounted in integers: n z scaled by the standard
    # deviation is the integer n v - sum v, and row-standardised weights times 840 (a multiple
    # of every neighbour count) are integers, so the sign of each comparison is exact. The
    # nearest-neighbour weights are not symmetric: their lag of x sums columns of other lengths.
    weights = build_weights(square_grid(10, 10, digits=2), method=method, k=5)  # type: ignore[arg-type]
    n, permutations, seed = weights.n, 499, 3
    x, y = np.zeros(n), np.zeros(n)
    x[[11, 57]] = 1.0
    y[[12, 80]] = 1.0
    matrix = weights.matrix.toarray()
    if transform == "row":
        matrix = 840 * matrix / matrix.sum(axis=1, keepdims=True)
    lag = np.rint(matrix).astype(np.int64).T @ (n * x - x.sum()).astype(np.int64)
    y_scaled = (n * y - y.sum()).astype(np.int64)
    observed = lag @ y_scaled
    simulated = np.concatenate(
        [
            lag @ y_scaled[order]
            for order in _permutation_orders(n, permutations, np.random.default_rng(seed))
        ]
    )
    assert (simulated == observed).any()  # the case is about ties
    frames = [pd.DataFrame({"s": v}, index=weights.ids) for v in (x, y)]
    for alternative in ("greater", "less", "two-sided", "folded"):
        got = global_colocation(
            *frames,
            weights,
            transform=transform,  # type: ignore[arg-type]
            permutations=permutations,
            seed=seed,
            alternative=alternative,  # type: ignore[arg-type]
        )
        expected = permutation_p_values(
            np.array((simulated >= observed).sum()),
            np.array((simulated <= observed).sum()),
            permutations,
            alternative,  # type: ignore[arg-type]
        )
        assert got["moran_bv_p_sim"].iloc[0] == float(expected), alternative


def test_global_bivariate_leaves_out_infinite_values(grid: SpatialWeights) -> None:
    # An infinite value is missing, as for the local statistics: the area is left out, where
    # it used to make I NaN and the p-value its smallest.
    producers, users = _pair(grid)
    results = []
    for value in (np.inf, np.nan):
        changed = producers.copy()
        changed.iloc[5, 0] = value
        results.append(
            global_colocation(
                changed, users, grid, transform="row", permutations=99, seed=1, alternative="less"
            )
        )
    pd.testing.assert_frame_equal(results[0], results[1])
    assert results[0]["n_areas"].tolist() == [grid.n - 1, grid.n]
    assert results[0]["moran_bv_p_sim"].gt(0.01).all()


def test_coagglomeration_by_hand() -> None:
    # Areas of 100, 100 and 200 jobs: a = (0.25, 0.25, 0.5), sum a^2 = 0.375.
    totals = pd.Series([100.0, 100.0, 200.0], index=["A", "B", "C"])
    producers = pd.DataFrame({"together": [10.0, 0.0, 0.0], "like_jobs": [5.0, 5.0, 10.0]})
    users = pd.DataFrame({"together": [4.0, 0.0, 0.0], "like_jobs": [0.0, 0.0, 7.0]})
    producers.index = users.index = totals.index
    gamma = coagglomeration(producers, users, totals)
    # together: s = (1, 0, 0) on both sides: ((0.75)^2 + (0.25)^2 + (0.5)^2) / 0.625 = 1.4
    assert gamma["together"] == pytest.approx(1.4)
    # Producers spread exactly like all jobs: every term is 0, whatever the users do.
    assert gamma["like_jobs"] == pytest.approx(0.0)
