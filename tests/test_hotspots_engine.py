"""The hot-spot engine: policies, classes, alignment, multiple testing and an end-to-end run."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from clustergeo.config import HotspotsConfig
from clustergeo.hotspots.engine import classify_gi_star, local_hotspots
from clustergeo.hotspots.multiple_testing import adjust_p_values
from clustergeo.hotspots.permutation import permutation_counts
from clustergeo.hotspots.statistics import (
    gi,
    gi_star,
    local_moran,
    moran_quadrants,
    normal_p_values,
    permutation_p_values,
)
from clustergeo.hotspots.weights import SpatialWeights, build_weights
from conftest import GRID_X0 as X0
from conftest import square_grid

SMALL = HotspotsConfig(permutations=199)


def _grid(nx: int, ny: int, **kwargs: Any) -> gpd.GeoDataFrame:
    return square_grid(nx, ny, digits=2, **kwargs)


def _concat(*frames: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=27700)


def _values(weights: SpatialWeights, seed: int = 0, columns: tuple[str, ...] = ("C", "J")):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        rng.gamma(2.0, 1.0, size=(weights.n, len(columns))),
        index=pd.Index(weights.ids, name="area_code"),
        columns=list(columns),
    )


def _rows(table: pd.DataFrame, industry: str) -> pd.DataFrame:
    return table.loc[table["industry_code"] == industry].set_index("area_code")


STAT_COLUMNS = ["gi_star", "gi_star_z", "gi_star_p_norm", "gi_star_p_sim", "gi_z", "moran_i"]
STAT_COLUMNS += ["moran_z", "moran_p_norm", "moran_p_sim"]


# --- policies --------------------------------------------------------------------------------


def test_island_with_exclude_policy_is_not_tested() -> None:
    far = _grid(1, 1, x0=X0 + 5_000, prefix="F")
    weights = build_weights(_concat(_grid(4, 4), far), islands="exclude")
    assert weights.islands == ("F0000",)
    result = local_hotspots(_values(weights), weights, SMALL)
    for industry in ("C", "J"):
        rows = _rows(result.table, industry)
        island = rows.loc["F0000"]
        assert island["gi_star_class"] == "not_tested"
        assert island["moran_class"] == "not_tested"
        assert island["moran_quadrant"] == ""
        assert island[[*STAT_COLUMNS, "gi_star_p_fdr", "moran_p_fdr"]].isna().all()
        assert np.isfinite(island["value"])
        others = rows.drop(index="F0000")
        assert np.isfinite(others[STAT_COLUMNS].to_numpy(dtype=float)).all()
        assert (others["gi_star_class"] != "not_tested").all()
    assert result.report["areas_without_neighbours"] == 1


def test_missing_value_is_not_tested_and_its_neighbours_see_the_mean() -> None:
    weights = build_weights(_grid(4, 4))
    values = _values(weights)
    hole = "A0101"
    values.loc[hole, "C"] = np.nan
    result = local_hotspots(values, weights, SMALL)
    rows = _rows(result.table, "C")
    assert rows.loc[hole, "gi_star_class"] == "not_tested"
    assert rows.loc[hole, "moran_class"] == "not_tested"
    assert rows.loc[hole, STAT_COLUMNS].isna().all()
    assert np.isnan(rows.loc[hole, "value"])
    others = rows.drop(index=hole)
    assert np.isfinite(others[STAT_COLUMNS].to_numpy(dtype=float)).all()
    # The other industry is untouched.
    assert (_rows(result.table, "J")["gi_star_class"] != "not_tested").all()
    assert result.report["missing_values"] == 1
    # As a neighbour, the missing area takes the mean of the others.
    imputed = values.copy()
    imputed.loc[hole, "C"] = values["C"].drop(index=hole).mean()
    reference = _rows(local_hotspots(imputed, weights, SMALL).table, "C").drop(index=hole)
    pd.testing.assert_frame_equal(
        others[STAT_COLUMNS], reference[STAT_COLUMNS], check_exact=False, rtol=1e-12
    )


def test_zero_variance_industry_is_not_tested() -> None:
    weights = build_weights(_grid(4, 4))
    values = _values(weights)
    values["K"] = 1.0
    result = local_hotspots(values, weights, SMALL)
    rows = _rows(result.table, "K")
    assert (rows["gi_star_class"] == "not_tested").all()
    assert (rows["moran_class"] == "not_tested").all()
    assert rows[[*STAT_COLUMNS, "gi_star_p_fdr", "moran_p_fdr"]].isna().all().all()
    assert result.report["zero_variance_columns"] == ["K"]
    assert (_rows(result.table, "C")["gi_star_class"] != "not_tested").all()


def _all_missing_run() -> pd.DataFrame:
    weights = build_weights(_grid(4, 4))
    values = _values(weights)
    values["T"] = np.nan  # an industry suppressed in every area
    result = local_hotspots(values, weights, SMALL)
    rows = _rows(result.table, "T")
    assert (rows["gi_star_class"] == "not_tested").all()
    assert (rows["moran_class"] == "not_tested").all()
    assert result.report["zero_variance_columns"] == ["T"]
    return rows


def test_all_missing_industry_is_not_tested_without_warnings() -> None:
    # pytest turns any warning into an error, so this also checks none escapes.
    _all_missing_run()


def test_isolated_pair_beside_a_big_component_gets_finite_results() -> None:
    pair = _grid(2, 1, x0=X0 + 5_000, prefix="P")
    weights = build_weights(_concat(_grid(5, 5), pair), islands="exclude")
    summary = weights.summary()
    assert summary["components"] == 2
    assert summary["islands"] == 0
    audit = weights.audit().set_index("area_code")
    assert (audit.loc[["P0000", "P0001"], "component_size"] == 2).all()
    result = local_hotspots(_values(weights, seed=3), weights, SMALL)
    for industry in ("C", "J"):
        rows = _rows(result.table, industry).loc[["P0000", "P0001"]]
        assert np.isfinite(rows[STAT_COLUMNS].to_numpy(dtype=float)).all()
        assert (rows["gi_star_class"] != "not_tested").all()
        # Gi* of each member of the pair sums the same two values.
        assert rows["gi_star"].iloc[0] == pytest.approx(rows["gi_star"].iloc[1])


def test_single_unit_study_area_runs_and_tests_nothing() -> None:
    weights = build_weights(_grid(1, 1))
    values = pd.DataFrame({"C": [3.0], "J": [0.5]}, index=weights.ids)
    result = local_hotspots(values, weights, SMALL)
    table = result.table
    assert len(table) == 2
    assert (table["gi_star_class"] == "not_tested").all()
    assert (table["moran_class"] == "not_tested").all()
    assert table[[*STAT_COLUMNS, "gi_star_p_fdr", "moran_p_fdr"]].isna().all().all()
    assert result.report["areas_without_neighbours"] == 1


# --- classes ---------------------------------------------------------------------------------


def test_planted_block_is_hot_and_high_high() -> None:
    weights = build_weights(_grid(12, 12))
    rng = np.random.default_rng(1)
    field = rng.normal(1.0, 0.1, size=(12, 12))
    field[4:8, 4:8] += 2.0
    values = pd.DataFrame({"C": field.ravel()}, index=weights.ids)
    block = [f"A{r:02d}{c:02d}" for r in range(4, 8) for c in range(4, 8)]
    interior = [f"A{r:02d}{c:02d}" for r in range(5, 7) for c in range(5, 7)]
    # Analytic Moran inference here: with 199 permutations the smallest two-sided p-value is
    # 0.01, which cannot survive Benjamini-Hochberg over 144 areas at 0.05.
    config = HotspotsConfig(permutations=199, moran_inference="analytic")
    rows = _rows(local_hotspots(values, weights, config).table, "C")
    inside = rows.loc[block]
    assert inside["gi_star_class"].str.startswith("hot_").all()
    assert (inside["gi_star_z"] > 0).all()
    assert (inside["moran_quadrant"] == "HH").all()
    assert (rows.loc[interior, "moran_class"] == "HH").all()
    assert (rows.loc[interior, "gi_star_class"] == "hot_99").all()
    outside = rows.drop(index=block)
    assert not outside["gi_star_class"].isin(["hot_99", "hot_95"]).any()
    assert not outside["gi_star_class"].str.startswith("cold").any()
    assert (outside["moran_class"] != "HH").all()
    # The permutation p-values point the same way.
    assert (rows.loc[interior, "gi_star_p_sim"] <= 0.01).all()


def test_results_follow_the_weights_order_whatever_the_input_order() -> None:
    weights = build_weights(_grid(5, 4))
    values = _values(weights, seed=7)
    ordered = local_hotspots(values, weights, SMALL).table
    shuffled = values.sample(frac=1.0, random_state=3)
    shuffled = shuffled[["J", "C"]][::-1]  # rows and columns in another order
    assert list(shuffled.index) != list(weights.ids)
    table = local_hotspots(shuffled, weights, SMALL).table
    assert (table["area_code"].to_numpy()[::2] == weights.ids).all()
    key = ["area_code", "industry_code"]
    pd.testing.assert_frame_equal(
        table.sort_values(key).reset_index(drop=True),
        ordered.sort_values(key).reset_index(drop=True),
    )
    # And an input with extra areas not in the weights: they are ignored.
    extra = pd.concat([values, pd.DataFrame({"C": [9.0], "J": [9.0]}, index=["ZZZ"])])
    pd.testing.assert_frame_equal(local_hotspots(extra, weights, SMALL).table, ordered)


# --- multiple testing ------------------------------------------------------------------------


def _reference_bh(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg by its definition: min over s >= r of min(1, m p_(s) / s)."""
    out = np.full(p.shape, np.nan)
    tested = np.flatnonzero(~np.isnan(p))
    m = len(tested)
    for i in tested:
        # Rank of p_i allowing ties: every p_j <= p_i with s = its rank bounds the adjustment.
        candidates = [
            min(1.0, m * p[j] / (np.sum(p[tested] <= p[j]))) for j in tested if p[j] >= p[i]
        ]
        out[i] = min(candidates)
    return out


def test_bh_matches_a_hand_computed_example() -> None:
    p = np.array([[0.01], [0.04], [0.03], [0.005], [0.5]])
    # Sorted 0.005, 0.01, 0.03, 0.04, 0.5; m p / rank = 0.025, 0.025, 0.05, 0.05, 0.5;
    # running minimum from the top leaves them as they are.
    expected = np.array([[0.025], [0.05], [0.05], [0.025], [0.5]])
    np.testing.assert_allclose(adjust_p_values(p, "fdr_bh"), expected, rtol=0, atol=1e-15)
    np.testing.assert_allclose(_reference_bh(p[:, 0]), expected[:, 0], rtol=0, atol=1e-15)
    # A step-up case: the 0.04 at rank 4 pulls the 0.035 at rank 3 down to 0.05.
    p = np.array([[0.001], [0.035], [0.04], [0.04], [0.9]])
    expected = np.array([[0.005], [0.05], [0.05], [0.05], [0.9]])
    np.testing.assert_allclose(adjust_p_values(p, "fdr_bh"), expected, rtol=0, atol=1e-15)


def test_bonferroni_is_capped_at_one_and_nan_is_not_counted() -> None:
    p = np.array([[0.01, np.nan], [np.nan, 0.2], [0.02, 0.6], [0.4, np.nan]])
    adjusted = adjust_p_values(p, "bonferroni")
    # Column C has three tests, column J two.
    expected = np.array([[0.03, np.nan], [np.nan, 0.4], [0.06, 1.0], [1.0, np.nan]])
    np.testing.assert_allclose(adjusted, expected, rtol=0, atol=1e-15)
    bh = adjust_p_values(p, "fdr_bh")
    np.testing.assert_array_equal(np.isnan(bh), np.isnan(p))
    np.testing.assert_allclose(bh[:, 0], [0.03, np.nan, 0.03, 0.4], rtol=0, atol=1e-15)
    assert np.isnan(adjust_p_values(np.full((3, 2), np.nan), "fdr_bh")).all()
    none = adjust_p_values(p, "none")
    np.testing.assert_array_equal(none, p)
    assert none is not p


def test_scope_all_pools_every_cell_and_industry_each_column() -> None:
    p = np.array([[0.001, 0.04], [0.02, 0.03], [0.5, np.nan]])
    by_industry = adjust_p_values(p, "fdr_bh", scope="industry")
    np.testing.assert_allclose(by_industry[:, 0], _reference_bh(p[:, 0]), rtol=0, atol=1e-15)
    np.testing.assert_allclose(by_industry[:, 1], _reference_bh(p[:, 1]), rtol=0, atol=1e-15)
    pooled = adjust_p_values(p, "fdr_bh", scope="all")
    np.testing.assert_allclose(
        pooled, _reference_bh(p.ravel()).reshape(p.shape), rtol=0, atol=1e-15
    )
    # Five tests in the pooled family, three and two in the columns.
    np.testing.assert_allclose(
        adjust_p_values(p, "bonferroni", scope="all"),
        [[0.005, 0.2], [0.1, 0.15], [1.0, np.nan]],
        rtol=0,
        atol=1e-15,
    )
    assert not np.allclose(pooled[:2], by_industry[:2])


P_VALUES = hnp.arrays(
    np.float64,
    hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=12),
    elements=st.one_of(
        st.floats(0.0, 1.0, allow_nan=False),
        st.sampled_from([0.0, 0.01, 0.05, 1.0, np.nan]),  # ties, bounds and missing
    ),
)


@settings(max_examples=60, deadline=None)
@given(p=P_VALUES, scope=st.sampled_from(["industry", "all"]))
def test_bh_properties(p: np.ndarray, scope: str) -> None:
    adjusted = adjust_p_values(p, "fdr_bh", scope=scope)  # type: ignore[arg-type]
    np.testing.assert_array_equal(np.isnan(adjusted), np.isnan(p))
    tested = ~np.isnan(p)
    assert (adjusted[tested] >= p[tested] - 1e-15).all()
    assert (adjusted[tested] <= 1.0).all()
    families = [p.ravel()] if scope == "all" else list(p.T)
    results = [adjusted.ravel()] if scope == "all" else list(adjusted.T)
    for family, result in zip(families, results, strict=True):
        keep = ~np.isnan(family)
        raw, adj = family[keep], result[keep]
        order = np.argsort(raw, kind="stable")
        assert (np.diff(adj[order]) >= -1e-15).all()  # monotone in p
        np.testing.assert_allclose(adj, _reference_bh(raw), rtol=1e-12, atol=1e-15)
    bonferroni = adjust_p_values(p, "bonferroni", scope=scope)  # type: ignore[arg-type]
    assert (bonferroni[tested] >= adjusted[tested] - 1e-15).all()
    assert (bonferroni[tested] <= 1.0).all()


# --- invariance ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def grid_weights() -> SpatialWeights:
    return build_weights(_grid(5, 5))


@settings(max_examples=40, deadline=None)
@given(
    x=hnp.arrays(np.int64, 25, elements=st.integers(0, 50)),
    a=st.floats(0.01, 100.0),
    b=st.floats(-1_000.0, 1_000.0),
)
def test_gi_star_z_is_invariant_to_positive_affine_transforms(
    grid_weights: SpatialWeights, x: np.ndarray, a: float, b: float
) -> None:
    if np.ptp(x) == 0:
        return  # constant: nothing to test (covered by the zero-variance test)
    config = HotspotsConfig(permutations=0, moran_inference="analytic")
    frame = pd.DataFrame({"v": x.astype(float)}, index=grid_weights.ids)
    z = local_hotspots(frame, grid_weights, config).table["gi_star_z"].to_numpy()
    z_affine = local_hotspots(a * frame + b, grid_weights, config).table["gi_star_z"].to_numpy()
    assert np.isfinite(z).all()
    np.testing.assert_allclose(z_affine, z, rtol=0, atol=1e-7)


# --- the engine against the reference functions, one statistic and one pass at a time -------


def _plain_bh(p: np.ndarray, scope: str) -> np.ndarray:
    family = p.reshape(-1, 1) if scope == "all" else p
    tested = ~np.isnan(family)
    m = tested.sum(axis=0)
    order = np.argsort(np.where(tested, family, np.inf), axis=0)
    ranked = np.take_along_axis(np.where(tested, family, np.inf), order, axis=0)
    with np.errstate(invalid="ignore"):
        scaled = ranked * m[None, :] / np.arange(1, family.shape[0] + 1)[:, None]
    scaled = np.minimum.accumulate(scaled[::-1], axis=0)[::-1]
    adjusted = np.empty_like(scaled)
    np.put_along_axis(adjusted, order, np.minimum(scaled, 1.0), axis=0)
    return np.where(tested, adjusted, np.nan).reshape(p.shape)


def _reference_results(
    values: pd.DataFrame,
    weights: SpatialWeights,
    settings: HotspotsConfig,
    report_for: set[str] | None,
) -> dict[str, np.ndarray]:
    """Every column of the engine's table, from the plain numpy reference functions."""
    raw = values.reindex(weights.ids).to_numpy(dtype="float64")
    missing = np.isnan(raw)
    known = (~missing).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(missing, 0.0, raw).sum(axis=0) / known
        std = np.sqrt(np.where(missing, 0.0, (raw - mean) ** 2).sum(axis=0) / known)
    filled = np.nan_to_num(np.where(missing, mean, raw))
    constant = ~(std > 1e-12 * np.abs(mean))
    reported = np.ones(weights.n, dtype=bool)
    if report_for is not None:
        reported = np.isin(weights.ids, list(report_for))
    untested = missing | constant | (weights.cardinalities == 0)[:, None] | ~reported[:, None]
    row = settings.weights.transform == "row"
    with np.errstate(divide="ignore", invalid="ignore"):
        g, z = gi_star(filled, weights.matrix, binary=weights.binary, row_standardise=row)
        _g, gi_z = gi(filled, weights.matrix, row_standardise=row)
        moran_i, moran_z, lag = local_moran(filled, weights.matrix, row_standardise=row)
        standard = (filled - filled.mean(axis=0)) / filled.std(axis=0)
    results = {
        "value": raw,
        "gi_star": g,
        "gi_star_z": z,
        "gi_star_p_norm": normal_p_values(z, settings.alternative),
        "gi_z": gi_z,
        "moran_i": moran_i,
        "moran_z": moran_z,
        "moran_p_norm": normal_p_values(moran_z, settings.alternative),
        "gi_star_p_sim": np.full(raw.shape, np.nan),
        "moran_p_sim": np.full(raw.shape, np.nan),
    }
    if settings.permutations:
        counts = permutation_counts(
            filled,
            weights.transformed(settings.weights.transform),
            permutations=settings.permutations,
            seed=settings.seed,
            equal_weights=weights.binary,
        )
        p_values = (counts.count_ge, counts.count_le, settings.permutations, settings.alternative)
        results["gi_star_p_sim"] = permutation_p_values(*p_values)
        results["moran_p_sim"] = permutation_p_values(*p_values, direction=np.sign(standard))
    for name, array in results.items():
        if name != "value":
            results[name] = np.where(untested, np.nan, array)
    for statistic, inference in (
        ("gi_star", settings.gi_star_inference),
        ("moran", settings.moran_inference),
    ):
        p = results[f"{statistic}_p_{'norm' if inference == 'analytic' else 'sim'}"]
        if settings.correction == "fdr_bh":
            results[f"{statistic}_p_fdr"] = _plain_bh(p, settings.correction_scope)
        else:
            results[f"{statistic}_p_fdr"] = adjust_p_values(
                p, settings.correction, settings.correction_scope
            )
    results["gi_star_class"] = classify_gi_star(results["gi_star_z"], results["gi_star_p_fdr"])
    quadrant = np.asarray(moran_quadrants(standard, lag), dtype=object)
    significant = results["moran_p_fdr"] <= 0.05
    results["moran_class"] = np.where(significant, quadrant, "not_significant")
    results["moran_class"][untested] = "not_tested"
    quadrant[untested] = ""
    results["moran_quadrant"] = quadrant
    results["area_code"] = np.repeat(np.asarray(weights.ids), raw.shape[1]).reshape(raw.shape)
    results["industry_code"] = np.tile(values.columns.to_numpy(str), (weights.n, 1))
    return {name: array[reported].ravel() for name, array in results.items()}


@pytest.mark.parametrize(
    ("method", "overrides"),
    [
        ("contiguity", {}),
        ("contiguity", {"gi_star_inference": "permutation", "alternative": "folded"}),
        ("contiguity", {"alternative": "greater", "correction_scope": "all"}),
        ("contiguity", {"alternative": "less", "correction": "bonferroni", "transform": "row"}),
        ("contiguity", {"correction": "none", "moran_inference": "analytic"}),
        ("contiguity", {"permutations": 0, "moran_inference": "analytic"}),
        ("kernel", {"transform": "row"}),
        ("kernel", {"gi_star_inference": "permutation", "moran_inference": "analytic"}),
    ],
)
def test_engine_gives_the_reference_functions_bits(method: str, overrides: dict[str, Any]) -> None:
    far = _grid(1, 1, x0=X0 + 5_000, prefix="F")
    areas = _concat(_grid(9, 8), far)
    islands = "exclude" if method == "contiguity" else "nearest"
    weights = build_weights(areas, method=method, k=5, islands=islands)  # type: ignore[arg-type]
    values = _values(weights, seed=4, columns=("J", "C", "A", "Z"))
    values["A"] = np.round(values["A"])  # ties
    values["Z"] = 2.5  # nothing to test
    values.iloc[[3, 40], 1] = np.nan
    transform = overrides.pop("transform", "binary")
    weights_config: dict[str, Any] = {"transform": transform, "method": method, "k": 5}
    config = HotspotsConfig(**({"permutations": 199} | overrides), weights=weights_config)
    study = {code for code in weights.ids if not code.startswith("A00")}
    for report_for in (None, study):
        with np.errstate(divide="ignore", invalid="ignore"):
            expected = _reference_results(values, weights, config, report_for)
        table = local_hotspots(values, weights, config, report_for=report_for).table
        assert list(table.columns)[:2] == ["area_code", "industry_code"]
        assert len(table) == len(expected["value"])
        for name, reference in expected.items():
            column = table[name]
            if isinstance(column.dtype, pd.CategoricalDtype):
                np.testing.assert_array_equal(column.astype(str).to_numpy(), reference.astype(str))
            else:
                actual = column.to_numpy()
                np.testing.assert_array_equal(actual.view(np.uint64), reference.view(np.uint64))


# --- end to end on the synthetic demo --------------------------------------------------------


def test_planted_clusters_are_found_in_the_synthetic_demo() -> None:
    from clustergeo.demo.region import build_demo_region

    region = build_demo_region(seed=2011, n_areas=600)
    counts = region.employment.pivot(
        index="area_code", columns="industry_code", values="employment"
    ).astype("float64")
    area_totals = counts.sum(axis=1)
    industry_totals = counts.sum(axis=0)
    lq = counts.div(area_totals, axis=0).div(industry_totals / industry_totals.sum(), axis=1)

    weights = build_weights(region.areas)
    result = local_hotspots(lq, weights, HotspotsConfig(permutations=999))
    table = result.table
    position = {code: i for i, code in enumerate(weights.ids)}
    assert set(region.truth["cluster_name"]) == {
        "mira_like",
        "crosses_ca_edge",
        "inside_one_district",
    }
    for name, planted_rows in region.truth.groupby("cluster_name"):
        (section,) = planted_rows["industry_code"].unique()
        planted = set(planted_rows["area_code"])
        rows = table.loc[table["industry_code"] == section]
        hot = set(rows.loc[rows["gi_star_class"].str.startswith("hot_"), "area_code"])
        found = len(planted & hot) / len(planted)
        assert found >= 0.9, f"{name}: {found:.0%} of planted areas are hot in {section}"
        members = weights.matrix[[position[code] for code in planted]]
        near = planted | set(weights.ids[np.unique(members.indices)])
        precise = len(hot & near) / len(hot)
        assert precise >= 0.8, (
            f"{name}: {precise:.0%} of hot areas in {section} are planted or adjacent"
        )


@pytest.mark.parametrize("columns", [("C",), ("C", "J")])
def test_correcting_keeps_the_uncorrected_p_values_whatever_the_number_of_industries(
    columns: tuple[str, ...],
) -> None:
    # The analytic p-values are corrected in a copy: with one industry the transposed column
    # is contiguous already, and correcting "it" in place would overwrite gi_star_p_norm.
    weights = build_weights(_grid(7, 7), method="queen")
    table = local_hotspots(_values(weights, seed=4, columns=columns), weights, SMALL).table
    for industry in columns:
        rows = _rows(table, industry)
        np.testing.assert_array_equal(
            rows["gi_star_p_norm"], normal_p_values(rows["gi_star_z"].to_numpy(), "two-sided")
        )
        np.testing.assert_array_equal(
            rows["gi_star_p_fdr"],
            adjust_p_values(rows[["gi_star_p_norm"]].to_numpy(), "fdr_bh").ravel(),
        )
