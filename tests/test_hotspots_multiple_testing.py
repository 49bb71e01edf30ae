"""FDR correction: the sorting and the counting implementations against a plain numpy one."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from clustergeo.hotspots.multiple_testing import (
    adjust_columns_into,
    adjust_discrete_p_values,
    adjust_p_values,
)
from clustergeo.hotspots.statistics import permutation_levels


def _plain_bh(p: np.ndarray, scope: str = "industry") -> np.ndarray:
    """Benjamini-Hochberg in plain numpy, one argsort over all families at once."""
    family = p.reshape(-1, 1) if scope == "all" else p
    tested = ~np.isnan(family)
    m = tested.sum(axis=0)
    order = np.argsort(np.where(tested, family, np.inf), axis=0)
    ranked = np.take_along_axis(np.where(tested, family, np.inf), order, axis=0)
    ranks = np.arange(1, family.shape[0] + 1)[:, None]
    with np.errstate(invalid="ignore"):
        scaled = ranked * m[None, :] / ranks
    scaled = np.minimum.accumulate(scaled[::-1], axis=0)[::-1]
    adjusted = np.empty_like(scaled)
    np.put_along_axis(adjusted, order, np.minimum(scaled, 1.0), axis=0)
    return np.where(tested, adjusted, np.nan).reshape(p.shape)


def _same_bits(actual: np.ndarray, expected: np.ndarray) -> None:
    assert actual.shape == expected.shape
    np.testing.assert_array_equal(actual.view(np.uint64), expected.view(np.uint64))


def _p_values(rng: np.random.Generator, shape: tuple[int, int], permutations: int) -> np.ndarray:
    """Pseudo p-values (many ties), a few continuous ones, exact zeros and ones, and NaN."""
    p = (rng.integers(0, permutations + 1, size=shape) + 1.0) / (permutations + 1.0)
    continuous = rng.random(shape) < 0.3
    p[continuous] = rng.random(int(continuous.sum()))
    p[rng.random(shape) < 0.01] = 1.0
    p[rng.random(shape) < 0.002] = 0.0
    p[rng.random(shape) < 0.1] = np.nan
    p[:, 0] = np.nan  # an untested industry
    return p


@pytest.mark.parametrize("scope", ["industry", "all"])
@pytest.mark.parametrize(
    "shape",
    [(1, 1), (7, 3), (500, 9), (70_000, 3)],  # the last is sorted by two threads
)
def test_bh_gives_the_plain_numpy_bits(shape: tuple[int, int], scope: str) -> None:
    rng = np.random.default_rng(shape[0])
    p = _p_values(rng, shape, permutations=99)
    _same_bits(adjust_p_values(p, "fdr_bh", scope), _plain_bh(p, scope))  # type: ignore[arg-type]
    # Any memory layout.
    fortran = np.asfortranarray(p)
    _same_bits(adjust_p_values(fortran, "fdr_bh", scope), _plain_bh(p, scope))  # type: ignore[arg-type]


@pytest.mark.parametrize("shape", [(1, 1), (63, 2), (64, 3), (65, 1), (20_000, 5), (2_000, 90)])
def test_bh_into_a_columns_array_gives_the_same_bits(shape: tuple[int, int]) -> None:
    # Row counts either side of the transposing kernels' blocks, and more columns than a line.
    p = _p_values(np.random.default_rng(shape[0]), shape, permutations=99)
    out = np.full(shape, -1.0)
    adjust_columns_into(p, out)
    _same_bits(out, _plain_bh(p, "industry"))
    # Into a column of a table's block, as the engine writes it (contiguous), and into a
    # strided view.
    for order in ("F", "C"):
        block = np.full((shape[0] * shape[1], 3), -1.0, order=order)
        adjust_columns_into(p, block[:, 1].reshape(shape))
        _same_bits(block[:, 1].reshape(shape), out)
        assert (block[:, [0, 2]] == -1.0).all()


@pytest.mark.parametrize("shape", [(0,), (0, 3), (5, 0), (0, 0)])
@pytest.mark.parametrize("method", ["fdr_bh", "bonferroni", "none"])
@pytest.mark.parametrize("scope", ["industry", "all"])
def test_no_tests_adjust_to_no_p_values(shape: tuple[int, ...], method: str, scope: str) -> None:
    adjusted = adjust_p_values(np.empty(shape), method, scope)  # type: ignore[arg-type]
    assert adjusted.shape == shape


def test_bh_into_an_array_of_another_shape_is_refused() -> None:
    p = np.full((100, 3), 0.5)
    larger = np.full((100, 3), -1.0)
    with pytest.raises(ValueError, match="shape"):
        adjust_columns_into(p, larger[:2])
    assert (larger == -1.0).all()


def _keys(rng: np.random.Generator, shape: tuple[int, int], levels: int) -> np.ndarray:
    # Skewed towards small keys, as significant permutation tests are, with untested cells.
    keys = np.minimum(rng.geometric(0.05, size=shape) - 1, levels - 1).astype(np.int32)
    keys[rng.random(shape) < 0.1] = -1
    keys[:, -1] = -1
    return keys


@pytest.mark.parametrize("alternative", ["greater", "two-sided", "folded"])
@pytest.mark.parametrize("scope", ["industry", "all"])
def test_counting_bh_gives_the_sorting_bits(alternative: str, scope: str) -> None:
    rng = np.random.default_rng(7)
    permutations = 99
    levels = permutation_levels(permutations, alternative)  # type: ignore[arg-type]
    keys = _keys(rng, (3_000, 6), len(levels))
    p = np.where(keys >= 0, levels[keys], np.nan)
    expected = adjust_p_values(p, "fdr_bh", scope)  # type: ignore[arg-type]
    _same_bits(expected, _plain_bh(p, scope))
    _same_bits(adjust_discrete_p_values(keys, levels, scope), expected)  # type: ignore[arg-type]
    out = np.full(keys.shape, -5.0)
    returned = adjust_discrete_p_values(keys, levels, scope, out=out)  # type: ignore[arg-type]
    assert returned is out
    _same_bits(out, expected)


KEYS = hnp.arrays(
    np.int64,
    hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=15),
    elements=st.integers(-1, 7),
)


@settings(max_examples=80, deadline=None)
@given(
    keys=KEYS,
    levels=st.lists(st.sampled_from([0.01, 0.02, 0.05, 0.3, 1.0]), min_size=8, max_size=8),
    scope=st.sampled_from(["industry", "all"]),
)
def test_counting_bh_matches_sorting_with_repeated_levels(
    keys: np.ndarray, levels: list[float], scope: str
) -> None:
    sorted_levels = np.sort(np.asarray(levels))  # repeated levels are ties across keys
    p = np.where(keys >= 0, sorted_levels[np.maximum(keys, 0)], np.nan)
    _same_bits(
        adjust_discrete_p_values(keys, sorted_levels, scope),  # type: ignore[arg-type]
        _plain_bh(p, scope),
    )


def test_counting_bh_refuses_bad_levels() -> None:
    keys = np.zeros((3, 2), dtype=np.int32)
    with pytest.raises(ValueError, match="non-decreasing"):
        adjust_discrete_p_values(keys, np.array([0.5, 0.1]))
    with pytest.raises(ValueError, match="beyond"):
        adjust_discrete_p_values(keys + 2, np.array([0.1, 0.5]))
    with pytest.raises(ValueError, match="2-D"):
        adjust_discrete_p_values(np.zeros(3, dtype=np.int32), np.array([0.1]))


def _analytic_p_values(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """Normal p-values of z with clusters of large |z|, as analytic hot-spot p-values are."""
    from scipy import special

    z = rng.normal(size=shape)
    hot = rng.random(shape) < 0.03
    z[hot] += rng.choice([-1.0, 1.0], size=int(hot.sum())) * rng.uniform(2, 12, int(hot.sum()))
    p = 2 * special.ndtr(-np.abs(z))
    p[rng.random(shape) < 0.05] = np.nan
    p[: shape[0] // 10, -1] = p[0, -1]  # a run of exact ties
    return p


@pytest.mark.parametrize("shape", [(30, 2), (5_000, 4), (40_000, 3)])
def test_bh_of_analytic_p_values_gives_the_plain_numpy_bits(shape: tuple[int, int]) -> None:
    # Groups of buckets that cannot lower the running minimum are adjusted as a whole, the
    # rest sorted: both paths run on every family here.
    p = _analytic_p_values(np.random.default_rng(shape[0]), shape)
    out = np.empty(shape)
    adjust_columns_into(p, out)
    _same_bits(out, _plain_bh(p, "industry"))
    _same_bits(adjust_p_values(p, "fdr_bh", "all"), _plain_bh(p, "all"))


P_VALUES = hnp.arrays(
    np.float64,
    hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=40),
    elements=st.one_of(
        st.floats(0.0, 2.5),
        st.sampled_from([0.0, 1.0, 1e-300, 5e-324, np.inf, np.nan, 2.0**-10, 2.0**-15]),
        st.floats(0.49, 0.51),
    ),
)


@settings(max_examples=150, deadline=None)
@given(p=P_VALUES, scope=st.sampled_from(["industry", "all"]))
def test_bh_gives_the_plain_numpy_bits_for_any_values(p: np.ndarray, scope: str) -> None:
    # Values above 1 fall in the last bucket, which has no upper bound; subnormal ones in the
    # first. (BH of a negative "p-value" depends on the order of its ties, so none is drawn.)
    _same_bits(adjust_p_values(p, "fdr_bh", scope), _plain_bh(p, scope))  # type: ignore[arg-type]
