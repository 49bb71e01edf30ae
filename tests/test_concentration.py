"""Location quotients: hand-computed values, intervals, floors and invariants."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from clustergeo.concentration import (
    LqSettings,
    aggregate_cluster_definitions,
    employment_matrix,
    location_quotients,
    specialisation_indices,
)

# Three areas x two industries, small enough to check by hand.
COUNTS = pd.DataFrame(
    {"C": [60.0, 10.0, 30.0], "J": [40.0, 90.0, 70.0]},
    index=pd.Index(["a1", "a2", "a3"], name="area_code"),
)


def _study_lq(counts: pd.DataFrame, **kwargs: float) -> pd.DataFrame:
    totals = counts.sum(axis=1)
    return location_quotients(
        counts, totals, counts.sum(axis=0), float(totals.sum()), LqSettings(**kwargs)
    ).set_index(["area_code", "industry_code"])


def test_lq_matches_hand_computation() -> None:
    lq = _study_lq(COUNTS)
    # C: reference share 100/300; a1 share 60/100 -> LQ 0.6 / (1/3) = 1.8.
    assert lq.loc[("a1", "C"), "lq"] == pytest.approx(1.8)
    # J: reference share 200/300; a2 share 0.9 -> LQ 1.35.
    assert lq.loc[("a2", "J"), "lq"] == pytest.approx(1.35)
    assert lq.loc[("a2", "C"), "lq"] == pytest.approx(0.3)
    assert lq.loc[("a1", "C"), "reference_share"] == pytest.approx(1 / 3)


def test_interval_is_moineddin_delta_method() -> None:
    lq = _study_lq(COUNTS, confidence_level=0.9)
    row = lq.loc[("a1", "C")]
    variance = 1 / 60 - 1 / 100 + 1 / 100 - 1 / 300
    z = stats.norm.ppf(0.95)
    assert row["lq_lower"] == pytest.approx(1.8 * np.exp(-z * np.sqrt(variance)))
    assert row["lq_upper"] == pytest.approx(1.8 * np.exp(z * np.sqrt(variance)))
    assert row["lq_lower"] < row["lq"] < row["lq_upper"]


def test_zero_count_interval_uses_exact_poisson_upper_limit() -> None:
    counts = pd.DataFrame({"C": [0.0, 50.0], "J": [100.0, 50.0]}, index=["a1", "a2"])
    row = _study_lq(counts).loc[("a1", "C")]
    assert row["lq"] == 0
    assert row["lq_lower"] == 0
    upper_count = stats.chi2.ppf(0.975, 2) / 2  # 3.689
    assert row["lq_upper"] == pytest.approx((upper_count / 100) / (50 / 200))


def test_reference_area_has_lq_one() -> None:
    # The whole reference economy, taken as one area, has LQ = 1 in every industry.
    whole = COUNTS.sum(axis=0).to_frame().T.set_axis(["all"])
    lq = _study_lq(whole)
    assert lq["lq"].to_numpy() == pytest.approx(1.0)


def test_employment_weighted_mean_lq_is_one() -> None:
    lq = _study_lq(COUNTS).reset_index()
    for _code, group in lq.groupby("industry_code"):
        weights = group["area_total"] / group["area_total"].sum()
        assert (weights * group["lq"]).sum() == pytest.approx(1.0)


def test_suppressed_cell_gives_missing_lq_not_zero() -> None:
    counts = COUNTS.copy()
    counts.loc["a2", "C"] = np.nan
    totals = pd.Series([100.0, 100.0, 100.0], index=counts.index)
    lq = location_quotients(counts, totals, COUNTS.sum(), 300.0).set_index(
        ["area_code", "industry_code"]
    )
    row = lq.loc[("a2", "C")]
    assert np.isnan(row["lq"])
    assert np.isnan(row["lq_upper"])
    assert row["lq_note"] == "suppressed"
    assert row["lq_unreliable"]


def test_floors_flag_but_keep_the_lq() -> None:
    counts = pd.DataFrame({"C": [4.0, 500.0], "J": [36.0, 500.0]}, index=["tiny", "big"])
    lq = _study_lq(counts, min_area_employment=100, min_cell_employment=5)
    tiny = lq.loc[("tiny", "C")]
    assert tiny["lq_unreliable"]
    assert tiny["lq_note"] == "small area"
    assert np.isfinite(tiny["lq"])
    assert not lq.loc[("big", "C"), "lq_unreliable"]
    small_cell = _study_lq(
        pd.DataFrame({"C": [3.0, 500.0], "J": [997.0, 500.0]}, index=["x", "y"])
    ).loc[("x", "C")]
    assert small_cell["lq_note"] == "small count"


def test_output_under_the_floor_is_a_small_value_not_a_small_count() -> None:
    # GVA (no intervals: not a count of people) of £3m against a floor of 5.
    counts = pd.DataFrame({"C": [3.0, 500.0], "J": [997.0, 500.0]}, index=["x", "y"])
    totals = counts.sum(axis=1)
    lq = location_quotients(
        counts, totals, counts.sum(axis=0), float(totals.sum()), LqSettings(intervals=False)
    ).set_index(["area_code", "industry_code"])
    assert lq.loc[("x", "C"), "lq_note"] == "small value"
    assert lq.loc[("x", "C"), "lq_unreliable"]


def test_negative_output_is_noted_as_negative() -> None:
    """GVA can be negative: such a cell's LQ is kept, flagged, and noted as negative rather than
    as a small count; so is every cell of an area whose total is negative."""
    counts = pd.DataFrame(
        {"B": [-40.0, 300.0, 20.0], "C": [900.0, 700.0, -50.0]}, index=["mine", "mill", "loss"]
    )
    lq = _study_lq(counts, min_area_employment=100, min_cell_employment=5)
    assert lq.loc[("mine", "B"), "lq_note"] == "negative"
    assert lq.loc[("mine", "B"), "lq_unreliable"]
    assert lq.loc[("mine", "C"), "lq_note"] == ""
    assert lq.loc[("loss", "B"), "lq_note"] == "negative"
    assert lq.loc[("loss", "C"), "lq_note"] == "negative"
    # An industry whose reference output is negative: every area's LQ of it is noted.
    counts = pd.DataFrame({"B": [-40.0, 10.0], "C": [900.0, 700.0]}, index=["mine", "mill"])
    lq = _study_lq(counts, min_area_employment=100, min_cell_employment=5)
    assert (lq.xs("B", level="industry_code")["lq_note"] == "negative").all()


def test_zero_reference_total_is_an_error() -> None:
    zero = pd.DataFrame({"C": [0.0]}, index=["a"])
    with pytest.raises(Exception, match="no employment"):
        location_quotients(zero, pd.Series([0.0], index=["a"]), pd.Series({"C": 0.0}), 0.0)


def test_employment_matrix_keeps_suppressed_missing_and_absent_zero() -> None:
    tidy = pd.DataFrame(
        {
            "area_code": ["a", "a", "b"],
            "industry_code": ["C", "J", "C"],
            "employment": [5.0, np.nan, 7.0],
        }
    )
    matrix = employment_matrix(tidy)
    assert np.isnan(matrix.loc["a", "J"])
    assert matrix.loc["b", "J"] == 0.0


def test_cluster_definition_sums_members_and_stays_missing_when_one_is_suppressed() -> None:
    matrix = pd.DataFrame({"D": [1.0, np.nan], "E": [2.0, 3.0]}, index=["a", "b"])
    summed = aggregate_cluster_definitions(matrix, {"energy_waste": ("D", "E")})
    assert summed.loc["a", "energy_waste"] == 3.0
    assert np.isnan(summed.loc["b", "energy_waste"])


def test_specialisation_indices_by_hand() -> None:
    counts = pd.DataFrame({"C": [50.0, 100.0], "J": [50.0, 0.0]}, index=["mixed", "mono"])
    reference = pd.Series({"C": 0.5, "J": 0.5})
    result = specialisation_indices(counts, reference)
    assert result.loc["mixed", "krugman_index"] == pytest.approx(0.0)
    assert result.loc["mono", "krugman_index"] == pytest.approx(1.0)
    assert result.loc["mixed", "hhi"] == pytest.approx(0.5)
    assert result.loc["mono", "hhi"] == pytest.approx(1.0)


count_matrices = st.integers(min_value=2, max_value=6).flatmap(
    lambda n: st.lists(
        st.lists(st.integers(min_value=1, max_value=5000), min_size=3, max_size=3),
        min_size=n,
        max_size=n,
    )
)


@settings(max_examples=60, deadline=None)
@given(
    rows=count_matrices, scale=st.floats(min_value=0.01, max_value=1000), seed=st.integers(0, 99)
)
def test_lq_invariant_to_scaling_and_row_order(
    rows: list[list[int]], scale: float, seed: int
) -> None:
    counts = pd.DataFrame(
        rows, columns=["C", "J", "M"], index=[f"a{i}" for i in range(len(rows))], dtype=float
    )
    base = _study_lq(counts, min_area_employment=0, min_cell_employment=0)["lq"]
    scaled = _study_lq(counts * scale, min_area_employment=0, min_cell_employment=0)["lq"]
    assert scaled.to_numpy() == pytest.approx(base.to_numpy(), rel=1e-9)
    shuffled = counts.sample(frac=1, random_state=seed)
    reordered = _study_lq(shuffled, min_area_employment=0, min_cell_employment=0)["lq"]
    assert reordered.reindex(base.index).to_numpy() == pytest.approx(base.to_numpy(), rel=1e-12)
