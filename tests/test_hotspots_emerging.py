"""Emerging hot spots: the Mann-Kendall test, every category rule, and the analysis on a grid."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from clustergeo._errors import InputDataError
from clustergeo.config import HotspotsConfig
from clustergeo.hotspots.emerging import (
    EMERGING_COLUMNS,
    classify,
    emerging_hot_spots,
    mann_kendall,
    minimum_trend_p,
    space_time_weights,
    yearly_hotspots,
)
from clustergeo.hotspots.engine import local_hotspots
from clustergeo.hotspots.weights import SpatialWeights, build_weights
from clustergeo.vocab import (
    EMERGING_CATEGORIES,
    EMERGING_CATEGORY_COLOURS,
    EMERGING_CATEGORY_LABELS,
    EMERGING_CLASSES,
)
from conftest import square_grid

# --- Mann-Kendall ----------------------------------------------------------------------------


def test_mann_kendall_equals_scipy_kendalltau_without_ties() -> None:
    rng = np.random.default_rng(11)
    series = rng.normal(size=(12, 300)) + np.linspace(0, 1.5, 12)[:, None]
    got = mann_kendall(series, continuity=False)
    years = np.arange(12)
    for cell in range(series.shape[1]):
        reference = stats.kendalltau(years, series[:, cell], method="asymptotic")
        assert got.tau[cell] == pytest.approx(reference.statistic, rel=1e-12, abs=1e-15)
        assert got.p[cell] == pytest.approx(reference.pvalue, rel=1e-12)
    # No ties: S is tau times the number of pairs.
    np.testing.assert_allclose(got.s, got.tau * 12 * 11 / 2, rtol=1e-12)
    assert (got.years == 12).all()


def test_mann_kendall_tie_correction_equals_scipy() -> None:
    """Scipy's asymptotic variance with ties in x only is Kendall's tie-corrected Var(S)."""
    rng = np.random.default_rng(5)
    series = rng.integers(0, 4, size=(15, 200)).astype(float)
    got = mann_kendall(series, continuity=False)
    years = np.arange(15)
    for cell in range(series.shape[1]):
        reference = stats.kendalltau(years, series[:, cell], method="asymptotic")
        assert got.tau[cell] == pytest.approx(reference.statistic, rel=1e-12, abs=1e-15)
        assert got.p[cell] == pytest.approx(reference.pvalue, rel=1e-12)


def test_mann_kendall_hand_values_with_ties() -> None:
    # 1, 2, 2, 3: five rising pairs, one tie -> S = 5; one group of two ties.
    # Var(S) = (4*3*13 - 2*1*9) / 18 = 138 / 18; z = (5 - 1) / sqrt(138/18).
    # tau_b = 5 / sqrt((6 - 1) * 6).
    result = mann_kendall(np.array([1.0, 2.0, 2.0, 3.0]))
    z = 4 / math.sqrt(138 / 18)
    assert result.s == 5
    assert result.z == pytest.approx(z, rel=1e-14)
    assert result.p == pytest.approx(math.erfc(z / math.sqrt(2)), rel=1e-14)
    assert result.tau == pytest.approx(5 / math.sqrt(30), rel=1e-14)
    assert result.years == 4

    # 3, 1, 1, 2, 2, 2: S = -5 + 3 + 3 = 1; groups of 2 and 3 ties:
    # Var(S) = (6*5*17 - 2*1*9 - 3*2*11) / 18 = 426 / 18; tau_b = 1 / sqrt((15 - 4) * 15).
    series = np.array([3.0, 1.0, 1.0, 2.0, 2.0, 2.0])
    corrected = mann_kendall(series)
    assert corrected.s == 1
    assert corrected.z == 0.0  # |S| - 1 = 0
    assert corrected.p == 1.0
    uncorrected = mann_kendall(series, continuity=False)
    assert uncorrected.z == pytest.approx(1 / math.sqrt(426 / 18), rel=1e-14)
    assert uncorrected.tau == pytest.approx(1 / math.sqrt(11 * 15), rel=1e-14)


def test_mann_kendall_falling_series_and_the_smallest_p() -> None:
    # 5 strictly falling values: S = -10, Var(S) = 5*4*15/18, z = -(10 - 1)/sqrt(50/3).
    result = mann_kendall(np.array([5.0, 4.0, 3.0, 2.0, 1.0]))
    z = -9 / math.sqrt(50 / 3)
    assert result.z == pytest.approx(z, rel=1e-14)
    assert result.tau == -1.0
    assert result.p == pytest.approx(minimum_trend_p(5), rel=1e-14)
    assert minimum_trend_p(5) < 0.05 < minimum_trend_p(4)


def test_mann_kendall_skips_missing_years_and_needs_three() -> None:
    series = np.array(
        [
            [1.0, np.nan, 1.0, 4.0],
            [np.nan, np.nan, 2.0, 3.0],
            [3.0, 2.0, 2.0, np.nan],
            [2.0, np.nan, 3.0, 1.0],
            [5.0, 1.0, 3.0, np.nan],
        ]
    )
    got = mann_kendall(series)
    assert got.years.tolist() == [4, 2, 5, 3]
    for cell in (0, 3):
        compact = series[:, cell][~np.isnan(series[:, cell])]
        alone = mann_kendall(compact)
        for name in ("tau", "s", "z", "p"):
            assert getattr(got, name)[cell] == getattr(alone, name)
    assert np.isnan([got.tau[1], got.s[1], got.z[1], got.p[1]]).all()
    # A constant series has no order: S = 0 and no test.
    constant = mann_kendall(np.full(6, 2.5))
    assert constant.s == 0
    assert np.isnan([constant.z, constant.p, constant.tau]).all()


def test_mann_kendall_keeps_the_cell_shape() -> None:
    series = np.random.default_rng(2).normal(size=(6, 4, 3))
    got = mann_kendall(series)
    assert got.z.shape == (4, 3)
    flat = mann_kendall(series.reshape(6, 12))
    np.testing.assert_array_equal(got.z.ravel(), flat.z)


# --- The category rules, on hand-built series ------------------------------------------------

# A year is written as one character: H a hot spot (z = 3, p = 0.001), C a cold spot, "." not
# significant (z = 0.8, p = 0.4), x no result.
_YEAR = {"H": (3.0, 0.001), "C": (-3.0, 0.001), ".": (0.8, 0.4), "x": (np.nan, np.nan)}
_TREND = {"up": (3.5, 0.001), "down": (-3.5, 0.001), "none": (0.3, 0.7)}


def _category(years: str, trend: str = "none", alpha: float = 0.05) -> str:
    z, p = np.array([_YEAR[year] for year in years]).T
    trend_z, trend_p = _TREND[trend]
    return str(classify(z, p, np.array([trend_z]), np.array([trend_p]), alpha=alpha)[0])


@pytest.mark.parametrize(
    ("years", "expected"),
    [
        ("....H", "new_hot_spot"),
        ("H", "persistent_hot_spot"),  # one year, hot: 100% of the years
        ("..........H", "new_hot_spot"),
        ("....C", "new_cold_spot"),
    ],
)
def test_new_a_first_significant_final_year(years: str, expected: str) -> None:
    assert _category(years) == expected


@pytest.mark.parametrize(
    ("years", "expected"),
    [
        ("...HH", "consecutive_hot_spot"),  # a run of two is enough
        ("..HHHHHHHH", "consecutive_hot_spot"),  # 8 of 10 years: under 90%
        (".HHHHHHHHH", "persistent_hot_spot"),  # 9 of 10 is 90%: no longer consecutive
        (".HHHHHHHH", "consecutive_hot_spot"),  # 8 of 9 is 89%
        ("H..HH", "sporadic_hot_spot"),  # hot before the final run
        ("...CC", "consecutive_cold_spot"),
    ],
)
def test_consecutive_one_final_run_of_two_or_more(years: str, expected: str) -> None:
    assert _category(years) == expected


@pytest.mark.parametrize(
    ("years", "trend", "expected"),
    [
        ("HHHHH", "up", "intensifying_hot_spot"),
        (".HHHHHHHHH", "up", "intensifying_hot_spot"),  # exactly 90%
        (".HHHH", "up", "consecutive_hot_spot"),  # 80%: the trend does not matter
        ("HHHHHHHHH.", "up", "historical_hot_spot"),  # the final year must be hot
        ("CCCCC", "down", "intensifying_cold_spot"),  # colder and colder
    ],
)
def test_intensifying_ninety_percent_and_a_significant_rise(
    years: str, trend: str, expected: str
) -> None:
    assert _category(years, trend) == expected


@pytest.mark.parametrize(
    ("years", "expected"),
    [
        ("HHHHH", "persistent_hot_spot"),
        ("HHHHHHHHHC", "oscillating_cold_spot"),  # the final year decides first
        ("CHHHHHHHHH", "persistent_hot_spot"),  # 90% hot: not oscillating
        ("CCCCCCCCCC", "persistent_cold_spot"),
    ],
)
def test_persistent_ninety_percent_and_no_trend(years: str, expected: str) -> None:
    assert _category(years) == expected


def test_the_trend_is_significant_at_p_equal_to_alpha_and_not_above() -> None:
    z, p = np.array([_YEAR["H"]] * 5).T
    at_alpha = classify(z, p, np.array([2.0]), np.array([0.05]))[0]
    above = classify(z, p, np.array([2.0]), np.array([0.0500001]))[0]
    missing = classify(z, p, np.array([np.nan]), np.array([np.nan]))[0]
    assert (at_alpha, above, missing) == (
        "intensifying_hot_spot",
        "persistent_hot_spot",
        "persistent_hot_spot",
    )


@pytest.mark.parametrize(
    ("years", "trend", "expected"),
    [
        ("HHHHH", "down", "diminishing_hot_spot"),
        ("H.HHHHHHHH", "down", "diminishing_hot_spot"),  # exactly 90%
        ("CCCCC", "up", "diminishing_cold_spot"),  # warming up
        ("HHHHHHHHH.", "down", "historical_hot_spot"),  # the final year must be hot
    ],
)
def test_diminishing_ninety_percent_and_a_significant_fall(
    years: str, trend: str, expected: str
) -> None:
    assert _category(years, trend) == expected


@pytest.mark.parametrize(
    ("years", "expected"),
    [
        ("H.H.H", "sporadic_hot_spot"),
        ("H...H", "sporadic_hot_spot"),
        ("HH.HH", "sporadic_hot_spot"),  # 80%, and the final run is not the only one
        ("H.H..", "no_pattern"),  # not hot in the final year
        ("C.C.C", "sporadic_cold_spot"),
    ],
)
def test_sporadic_on_and_off_never_the_opposite(years: str, expected: str) -> None:
    assert _category(years) == expected


@pytest.mark.parametrize(
    ("years", "expected"),
    [
        ("C.H.H", "oscillating_hot_spot"),
        ("C...H", "oscillating_hot_spot"),  # not new: it was a cold spot
        ("C..HH", "oscillating_hot_spot"),  # not consecutive either
        ("CCCCCCCCCH", "oscillating_hot_spot"),  # not historical cold: the final year is hot
        ("H.C.C", "oscillating_cold_spot"),
    ],
)
def test_oscillating_final_year_opposite_to_an_earlier_one(years: str, expected: str) -> None:
    assert _category(years) == expected


@pytest.mark.parametrize(
    ("years", "expected"),
    [
        ("HHHHHHHHH.", "historical_hot_spot"),
        ("HHHHHHHH..", "no_pattern"),  # 80%
        ("HHHHHHHH.", "no_pattern"),  # under 10 years 90% is every year
        ("CCCCCCCCC.", "historical_cold_spot"),
        ("CCCCCCCCC..H", "oscillating_hot_spot"),
    ],
)
def test_historical_ninety_percent_but_not_the_final_year(years: str, expected: str) -> None:
    assert _category(years) == expected


@pytest.mark.parametrize(
    ("years", "trend", "expected"),
    [
        (".....", "none", "no_pattern"),
        (".....", "up", "no_pattern"),
        ("H....", "none", "no_pattern"),
        ("HHHx.", "none", "not_tested"),
        ("x", "none", "not_tested"),
    ],
)
def test_no_pattern_and_not_tested(years: str, trend: str, expected: str) -> None:
    assert _category(years, trend) == expected


def test_significance_is_p_at_most_alpha_with_a_signed_z() -> None:
    z = np.array([0.5, 0.5, 2.0, 0.0, -2.0])
    p = np.array([0.6, 0.6, 0.05, 0.001, 0.05])
    # Year 3 is hot at p = alpha; year 4 has no sign, so it is neither; year 5 cold.
    trend = np.array([0.0]), np.array([1.0])
    assert classify(z[:3], p[:3], *trend)[0] == "new_hot_spot"
    assert classify(z[:4], p[:4], *trend)[0] == "no_pattern"
    assert classify(z, p, *trend)[0] == "oscillating_cold_spot"
    # A stricter alpha turns p = 0.05 into not significant.
    assert classify(z[:3], p[:3], *trend, alpha=0.01)[0] == "no_pattern"


def test_classify_is_vectorised_over_cells() -> None:
    cases = [("....H", "none"), ("HHHHH", "up"), ("C.C.C", "none"), (".....", "none")]
    z = np.array([[_YEAR[y][0] for y in years] for years, _ in cases]).T
    p = np.array([[_YEAR[y][1] for y in years] for years, _ in cases]).T
    trend_z, trend_p = np.array([_TREND[t] for _, t in cases]).T
    got = classify(z, p, trend_z, trend_p)
    assert list(got) == [_category(years, trend) for years, trend in cases]
    assert list(got.categories) == list(EMERGING_CLASSES)


def test_every_category_has_a_label_and_a_distinct_colour() -> None:
    assert len(EMERGING_CATEGORIES) == 17
    assert set(EMERGING_CATEGORY_COLOURS) == set(EMERGING_CLASSES)
    assert set(EMERGING_CATEGORY_LABELS) == set(EMERGING_CLASSES)
    assert len(set(EMERGING_CATEGORY_COLOURS.values())) == len(EMERGING_CLASSES)


def test_the_emerging_categories_are_told_apart_with_colour_vision_deficiency_too() -> None:
    import itertools

    from clustergeo.publish.colour_vision import DEFICIENCIES, ciede2000, hex_to_lab

    # "Not tested" is drawn as no data, outlined: it is not told apart by its fill.
    colours = {c: v for c, v in EMERGING_CATEGORY_COLOURS.items() if c != "not_tested"}
    for vision in ("normal", *DEFICIENCIES):
        for first, second in itertools.combinations(colours, 2):
            difference = ciede2000(
                hex_to_lab(colours[first], vision), hex_to_lab(colours[second], vision)
            )
            # 5 apart for every reader; 12 (several times just noticeable) in normal vision.
            assert difference >= (12 if vision == "normal" else 5), (vision, first, second)
    # Within each family the most established and current trend is the darkest.
    for family in ("hot", "cold"):
        lightness = {
            c: hex_to_lab(v)[0] for c, v in colours.items() if c.endswith(f"_{family}_spot")
        }
        assert min(lightness, key=lightness.__getitem__) == f"intensifying_{family}_spot"


# --- The analysis on a grid ------------------------------------------------------------------

YEARS = list(range(2015, 2025))
SETTINGS = HotspotsConfig(permutations=0, moran_inference="analytic")


def _grid() -> tuple[SpatialWeights, np.ndarray, np.ndarray]:
    areas = square_grid(9, 9)
    codes = areas["area_code"].to_numpy()
    rows = np.array([int(code[1]) for code in codes])
    cols = np.array([int(code[2]) for code in codes])
    return build_weights(areas), rows, cols


def _planted() -> dict[int, pd.DataFrame]:
    """Ten years on a 9 x 9 grid; each industry plants one pattern in a 3 x 3 block."""
    weights, rows, cols = _grid()

    def block(row: int, col: int) -> np.ndarray:
        return (rows >= row) & (rows < row + 3) & (cols >= col) & (cols < col + 3)

    rng = np.random.default_rng(3)
    background = 1 + 0.1 * rng.standard_normal((len(YEARS), weights.n))
    last = len(YEARS) - 1
    by_year = {}
    for t, year in enumerate(YEARS):
        wiggle = 0.05 * (-1) ** t  # no trend: alternately a little up and down
        base = background[t]
        by_year[year] = pd.DataFrame(
            {
                "PERSIST": np.where(block(0, 0), 4 + wiggle, base),
                "RISE": np.where(block(0, 0), 2 + 0.5 * t, base),
                "FADE": np.where(block(0, 0), 7 - 0.5 * t, base),
                "NEW": np.where(block(6, 6) & (t == last), 4.0, base),
                "CONSEC": np.where(block(6, 6) & (t >= last - 2), 4.0, base),
                "COLD": np.where(block(3, 3), 0.02 * (-1) ** t, base),
            },
            index=weights.ids,
        )
    return by_year


def test_planted_patterns_are_found_at_their_centres() -> None:
    weights, _, _ = _grid()
    table = emerging_hot_spots(_planted(), weights, SETTINGS)
    assert list(table.columns) == list(EMERGING_COLUMNS)
    assert len(table) == 81 * 6
    found = table.set_index(["area_code", "industry_code"])["category"].astype(str)
    assert found[("A11", "PERSIST")] == "persistent_hot_spot"
    assert found[("A11", "RISE")] == "intensifying_hot_spot"
    assert found[("A11", "FADE")] == "diminishing_hot_spot"
    assert found[("A77", "NEW")] == "new_hot_spot"
    assert found[("A77", "CONSEC")] == "consecutive_hot_spot"
    assert found[("A44", "COLD")] == "persistent_cold_spot"
    # Far from every block, nothing.
    assert (found.loc["A08"] == "no_pattern").all()
    row = table[(table["area_code"] == "A77") & (table["industry_code"] == "CONSEC")].iloc[0]
    assert (row["years_hot"], row["years_cold"], row["years_tested"]) == (3, 0, 10)
    assert (row["first_year"], row["last_year"], row["final_class"]) == (2015, 2024, "hot_99")


def test_the_trend_is_mann_kendall_of_each_years_gi_star() -> None:
    weights, _, _ = _grid()
    by_year = _planted()
    table = emerging_hot_spots(by_year, weights, SETTINGS)
    z = np.stack([local_hotspots(by_year[y], weights, SETTINGS).table["gi_star_z"] for y in YEARS])
    expected = mann_kendall(z)
    np.testing.assert_array_equal(table["trend_z"].to_numpy(), expected.z)
    np.testing.assert_array_equal(table["trend_tau"].to_numpy(), expected.tau)
    # Row order: areas in the weights' order, industries in the input's order.
    assert table["area_code"].astype(str).iloc[:6].tolist() == ["A00"] * 6
    assert table["industry_code"].astype(str).iloc[:6].tolist() == list(by_year[2015].columns)


def test_results_do_not_depend_on_row_or_column_order() -> None:
    weights, _, _ = _grid()
    by_year = _planted()
    shuffled = {
        year: frame.sample(frac=1.0, random_state=year).iloc[:, ::-1]
        for year, frame in reversed(by_year.items())
    }
    key = ["area_code", "industry_code"]
    expected = emerging_hot_spots(by_year, weights, SETTINGS).sort_values(key, ignore_index=True)
    got = emerging_hot_spots(shuffled, weights, SETTINGS).sort_values(key, ignore_index=True)
    pd.testing.assert_frame_equal(
        got.astype({"industry_code": str}), expected.astype({"industry_code": str})
    )


def test_time_lag_gi_star_by_hand() -> None:
    """Gi* of a year with last year's neighbours, from Ord & Getis's formula over both years."""
    areas = square_grid(4, 4)
    weights = build_weights(areas)
    rng = np.random.default_rng(8)
    by_year = {
        year: pd.DataFrame({"X": rng.gamma(2.0, 1.0, weights.n)}, index=weights.ids)
        for year in (2020, 2021, 2022)
    }
    settings = HotspotsConfig(permutations=0, moran_inference="analytic", correction="none")
    yearly = dict(yearly_hotspots(by_year, weights, settings, time_lag=True))
    assert list(yearly) == [2020, 2021, 2022]
    # The first year has no previous year: its Gi* is the spatial one.
    pd.testing.assert_frame_equal(
        yearly[2020].table, local_hotspots(by_year[2020], weights, settings).table
    )
    links = weights.matrix.toarray() > 0
    n = weights.n
    for year, previous in ((2021, 2020), (2022, 2021)):
        x = np.concatenate([by_year[year]["X"], by_year[previous]["X"]])
        mean, sd = x.mean(), x.std()
        got = yearly[year].table
        assert got["area_code"].astype(str).tolist() == list(weights.ids)
        for i in range(n):
            # Itself and its neighbours, this year and last, with weight 1 each; the mean
            # and deviation are over both years' 2n values.
            own = links[i] | (np.arange(n) == i)
            w = np.concatenate([own, own]).astype(float)
            total = w.sum()
            spread = math.sqrt((2 * n * (w**2).sum() - total**2) / (2 * n - 1))
            expected = ((w * x).sum() - mean * total) / (sd * spread)
            assert got["gi_star_z"].iloc[i] == pytest.approx(expected, rel=1e-12)
            assert got["value"].iloc[i] == by_year[year]["X"].iloc[i]
    # The emerging table's trend is that of these z-scores.
    table = emerging_hot_spots(by_year, weights, settings, time_lag=True)
    z = np.stack([yearly[year].table["gi_star_z"].to_numpy() for year in yearly])
    np.testing.assert_array_equal(table["trend_z"].to_numpy(), mann_kendall(z).z)


def test_space_time_weights_link_this_year_to_last() -> None:
    weights = build_weights(square_grid(3, 3))
    space_time = space_time_weights(weights)
    assert space_time.n == 18
    matrix = space_time.matrix.toarray()
    spatial = weights.matrix.toarray()
    np.testing.assert_array_equal(matrix[:9, :9], spatial)
    np.testing.assert_array_equal(matrix[:9, 9:], spatial + np.eye(9))
    np.testing.assert_array_equal(matrix[9:, 9:], spatial)
    assert not matrix[9:, :9].any()
    assert space_time.ids[9] == f"{weights.ids[0]} (previous year)"
    # Codes as fixed-width text: numpy's isin (the engine's pick of the reported areas)
    # compares object arrays pair by pair, quadratic in the areas.
    assert space_time.ids.dtype.kind == "U"
    assert space_time.binary
    # General weights: an area's own previous year gets Gi*'s self-weight, the row's largest.
    kernel = build_weights(square_grid(3, 3), method="kernel", k=4)
    general = space_time_weights(kernel).matrix.toarray()
    row_max = kernel.matrix.toarray().max(axis=1)
    np.testing.assert_array_equal(np.diag(general[:9, 9:]), row_max)
    assert not space_time_weights(kernel).binary


def test_time_lag_keeps_planted_patterns() -> None:
    weights, _, _ = _grid()
    table = emerging_hot_spots(_planted(), weights, SETTINGS, time_lag=True)
    found = table.set_index(["area_code", "industry_code"])["category"].astype(str)
    assert found[("A11", "PERSIST")] == "persistent_hot_spot"
    assert found[("A44", "COLD")] == "persistent_cold_spot"
    # Last year's low values are neighbours now: the block is still hot in its final year.
    assert found[("A77", "NEW")] == "new_hot_spot"


def test_missing_values_make_an_area_not_tested_but_keep_its_trend() -> None:
    weights, _, _ = _grid()
    by_year = _planted()
    by_year[2018] = by_year[2018].copy()
    by_year[2018].loc["A11", "PERSIST"] = np.nan
    table = emerging_hot_spots(by_year, weights, SETTINGS)
    row = table[(table["area_code"] == "A11") & (table["industry_code"] == "PERSIST")].iloc[0]
    assert row["category"] == "not_tested"
    assert row["years_tested"] == 9
    assert not np.isnan(row["trend_z"])


def test_bad_years_are_named() -> None:
    weights, _, _ = _grid()
    by_year = _planted()
    with pytest.raises(InputDataError, match=r"at least 3 years.*got 2 \(2015, 2016\)"):
        emerging_hot_spots({y: by_year[y] for y in YEARS[:2]}, weights, SETTINGS)
    changed = dict(by_year)
    changed[2019] = by_year[2019].drop(index=["A00", "A01"]).rename(columns={"NEW": "NEW2"})
    with pytest.raises(InputDataError, match=r"(?s)2019 has other areas.*lacks A00, A01") as error:
        emerging_hot_spots(changed, weights, SETTINGS)
    assert "2019 has other industries than 2015: it lacks NEW and adds NEW2" in str(error.value)
    unknown = {y: frame.rename(index={"A00": "Z99"}) for y, frame in by_year.items()}
    with pytest.raises(InputDataError, match=r"1 areas of the values are not in the weights: Z99"):
        emerging_hot_spots(unknown, weights, SETTINGS)


def test_policies_are_logged_once_for_all_years(caplog: pytest.LogCaptureFixture) -> None:
    """Missing values and constant columns are said once, naming the years, not once a year."""
    weights, _, _ = _grid()
    by_year = {year: frame.copy() for year, frame in _planted().items()}
    years = list(by_year)
    for frame in by_year.values():
        frame.iloc[0, 0] = np.nan
        frame["FLAT"] = 1.0
    by_year[years[1]].iloc[1, 0] = np.nan
    with caplog.at_level("INFO", logger="clustergeo.hotspots"):
        emerging_hot_spots(by_year, weights, SETTINGS)
    missing = [r.getMessage() for r in caplog.records if "values are missing" in r.getMessage()]
    assert missing == [
        f"Area x industry values are missing in all {len(years)} years "
        f"({years[0]}–{years[-1]}): 1 in {years[0]}, 2 in {years[1]}, "
        + ", ".join(f"1 in {year}" for year in years[2:8])
        + ", … and 2 more: no result for them, mean value as a neighbour"
    ]
    flat = [r.getMessage() for r in caplog.records if "same value in every area" in r.getMessage()]
    assert flat == ["Not tested (same value in every area): FLAT"]
    caplog.clear()
    with caplog.at_level("INFO", logger="clustergeo.hotspots"):
        emerging_hot_spots(
            {y: by_year[y].drop(columns="FLAT") for y in years[::2]}, weights, SETTINGS
        )
    missing = [r.getMessage() for r in caplog.records if "values are missing" in r.getMessage()]
    assert missing == [
        f"1 area x industry values are missing in each of the {len(years[::2])} years "
        f"({years[0]}–{years[::2][-1]}): no result for them, mean value as a neighbour"
    ]


def test_what_the_years_rule_out_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    weights, _, _ = _grid()
    by_year = _planted()
    four = {year: by_year[year] for year in (2015, 2016, 2018, 2019)}
    with caplog.at_level("INFO", logger="clustergeo.hotspots.emerging"):
        table = emerging_hot_spots(four, weights, SETTINGS, time_lag=True)
    assert "no area can be a historical hot or cold spot" in caplog.text
    assert "no area can be an intensifying or diminishing" in caplog.text
    assert "not evenly spaced" in caplog.text
    assert not table["category"].astype(str).str.startswith(("intensifying", "historical")).any()
