"""Growth, index series and shift-share against values computed by hand.

The shift-share example: two areas A and B, two industries x and y, and a cluster definition
xy = x + y. Base year: A has x = 100, y = 50; B has x = 200, y = 150. End year: A has x = 130,
y = 40; B has x = 210, y = 180. The table as reference: E_x 300 → 340 (g_x = 2/15), E_y 200 →
220 (g_y = 0.1), E 500 → 560 (G = 0.12). Every expected number below is worked from these.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from clustergeo.growth.measures import compound_annual_growth, growth_table, index_series
from clustergeo.growth.series import KEYS, combined_series, values_by_year
from clustergeo.growth.shift_share import (
    reference_from_totals,
    reference_growth,
    shift_share,
)

# Exact arithmetic on a few hundred: only floating-point rounding separates the two sides.
TOL = 1e-9

DEFINITIONS = {"xy": ("x", "y")}


def _employment() -> pd.DataFrame:
    rows = [
        ("A", "x", 2015, 100.0),
        ("A", "y", 2015, 50.0),
        ("B", "x", 2015, 200.0),
        ("B", "y", 2015, 150.0),
        ("A", "x", 2018, 130.0),
        ("A", "y", 2018, 40.0),
        ("B", "x", 2018, 210.0),
        ("B", "y", 2018, 180.0),
    ]
    return pd.DataFrame(rows, columns=["area_code", "industry_code", "year", "employment"])


@pytest.fixture
def wide() -> pd.DataFrame:
    return values_by_year(_employment(), DEFINITIONS)


def _at(frame: pd.DataFrame | pd.Series, area: str, code: str, kind: str = "industry") -> object:
    return frame.loc[(area, code, kind)]


# --- values by year ------------------------------------------------------------------------------


def test_values_by_year_sums_definitions_and_keeps_suppressed_cells_missing() -> None:
    employment = _employment()
    employment.loc[
        (employment["area_code"] == "B") & (employment["year"] == 2018), "employment"
    ] = [
        np.nan,
        180.0,
    ]
    wide = values_by_year(employment, DEFINITIONS)
    assert list(wide.columns) == [2015, 2018]
    assert list(wide.index.names) == KEYS
    assert _at(wide, "A", "xy", "cluster")[2015] == 150.0
    assert _at(wide, "A", "xy", "cluster")[2018] == 170.0
    # A suppressed member makes the definition unknown, not smaller.
    assert np.isnan(_at(wide, "B", "x")[2018])
    assert np.isnan(_at(wide, "B", "xy", "cluster")[2018])


def test_values_by_year_counts_a_pair_left_out_of_the_table_as_zero() -> None:
    employment = _employment()
    employment = employment.loc[
        ~((employment["area_code"] == "A") & (employment["industry_code"] == "y"))
        | (employment["year"] == 2015)
    ]
    wide = values_by_year(employment, DEFINITIONS)
    assert _at(wide, "A", "y")[2018] == 0.0


def test_combined_series_adds_members_and_is_unknown_with_an_unknown_member(
    wide: pd.DataFrame,
) -> None:
    members = pd.DataFrame(
        {
            "group": [1, 1, 2, 2],
            "industry_code": ["x", "x", "xy", "xy"],
            "area_code": ["A", "B", "A", "B"],
        }
    )
    kinds = {"x": "industry", "xy": "cluster"}
    combined = combined_series(wide, members, kinds=kinds)
    assert combined.loc[1, 2015] == 300.0
    assert combined.loc[1, 2018] == 340.0
    assert combined.loc[2, 2018] == 560.0
    gapped = wide.copy()
    gapped.loc[("B", "x", "industry"), 2018] = np.nan
    assert np.isnan(combined_series(gapped, members, kinds=kinds).loc[1, 2018])
    assert combined_series(gapped, members, kinds=kinds).loc[1, 2015] == 300.0


# --- growth measures -----------------------------------------------------------------------------


def test_cagr_is_the_constant_yearly_rate() -> None:
    # 100 → 121 in two years is 10% a year; 100 → 0 is -100%; 64 → 125 in 3 years is 25%.
    rates = compound_annual_growth(np.array([100.0, 100.0, 64.0]), np.array([121.0, 0.0, 125.0]), 2)
    assert rates[0] == pytest.approx(0.1, abs=TOL)
    assert rates[1] == pytest.approx(-1.0, abs=TOL)
    assert compound_annual_growth(np.array([64.0]), np.array([125.0]), 3)[0] == pytest.approx(
        0.25, abs=TOL
    )


@pytest.mark.parametrize(
    ("start", "end"), [(0.0, 10.0), (-5.0, 10.0), (10.0, -1.0), (np.nan, 10.0), (10.0, np.nan)]
)
def test_cagr_is_undefined_without_a_positive_start_or_with_a_negative_end(
    start: float, end: float
) -> None:
    assert np.isnan(compound_annual_growth(np.array([start]), np.array([end]), 3)[0])


def test_cagr_refuses_a_period_of_no_years() -> None:
    with pytest.raises(ValueError, match="positive number of years"):
        compound_annual_growth(np.array([1.0]), np.array([2.0]), 0)


def test_growth_table_by_hand(wide: pd.DataFrame) -> None:
    lq = pd.DataFrame({2015: 1.0, 2018: 1.25}, index=wide.index)
    table = growth_table(wide, 2015, 2018, lq)
    row = _at(table, "A", "x")
    assert row["start_value"] == 100.0
    assert row["end_value"] == 130.0
    assert row["change"] == 30.0
    assert row["change_pct"] == pytest.approx(0.3, abs=TOL)
    assert row["cagr"] == pytest.approx(1.3 ** (1 / 3) - 1, abs=TOL)
    assert row["lq_change"] == pytest.approx(0.25, abs=TOL)
    assert row["growth_note"] == ""
    assert _at(table, "A", "y")["cagr"] == pytest.approx(0.8 ** (1 / 3) - 1, abs=TOL)


def test_growth_table_says_why_a_rate_is_missing() -> None:
    index = pd.MultiIndex.from_tuples(
        [("A", "x", "industry"), ("A", "y", "industry"), ("A", "z", "industry")], names=KEYS
    )
    wide = pd.DataFrame({2015: [0.0, np.nan, 5.0], 2018: [7.0, 3.0, 0.0]}, index=index)
    table = growth_table(wide, 2015, 2018)
    assert list(table["growth_note"]) == ["starts at zero", "missing (suppressed) value", ""]
    assert np.isnan(table["cagr"].iloc[0])
    assert table["cagr"].iloc[2] == -1.0
    assert table["start_lq"].isna().all()


def test_index_series_is_100_in_the_base_year() -> None:
    index = pd.MultiIndex.from_tuples([("A", "x", "industry"), ("A", "y", "industry")], names=KEYS)
    wide = pd.DataFrame({2015: [100.0, 0.0], 2016: [110.0, 4.0], 2017: [121.0, 8.0]}, index=index)
    series = index_series(wide, 2015)
    assert list(series.loc[("A", "x", "industry")]) == pytest.approx([100.0, 110.0, 121.0])
    assert series.loc[("A", "y", "industry")].isna().all()


# --- shift-share ---------------------------------------------------------------------------------

# (area, code, kind): (national share, industry mix, competitive share), worked by hand.
CLASSIC = {
    ("A", "x", "industry"): (12.0, 4 / 3, 50 / 3),
    ("A", "y", "industry"): (6.0, -1.0, -15.0),
    ("B", "x", "industry"): (24.0, 8 / 3, -50 / 3),
    ("B", "y", "industry"): (18.0, -3.0, 15.0),
    # xy grew as the economy (g_xy = G = 0.12): no industry mix.
    ("A", "xy", "cluster"): (18.0, 0.0, 2.0),
    ("B", "xy", "cluster"): (42.0, 0.0, -2.0),
}

# Homothetic values e_i E_j / E (e_A = 150, e_B = 350), competitive and allocation effects.
ESTEBAN_MARQUILLAS = {
    ("A", "x", "industry"): (90.0, 15.0, 5 / 3),
    ("A", "y", "industry"): (60.0, -18.0, 3.0),
    ("B", "x", "industry"): (210.0, -17.5, 5 / 6),
    ("B", "y", "industry"): (140.0, 14.0, 1.0),
}


def _decompose(wide: pd.DataFrame, method: str = "classic", **kwargs: object) -> pd.DataFrame:
    reference = reference_growth(wide[2015], wide[2018], label="the table", **kwargs)  # type: ignore[arg-type]
    return shift_share(wide[2015], wide[2018], reference, method)  # type: ignore[arg-type]


def test_classic_shift_share_by_hand(wide: pd.DataFrame) -> None:
    table = _decompose(wide)
    assert table["reference_growth"].iloc[0] == pytest.approx(0.12, abs=TOL)
    assert _at(table, "A", "x")["industry_growth"] == pytest.approx(2 / 15, abs=TOL)
    for key, (ns, im, cs) in CLASSIC.items():
        row = table.loc[key]
        assert row["national_share"] == pytest.approx(ns, abs=TOL), key
        assert row["industry_mix"] == pytest.approx(im, abs=TOL), key
        assert row["competitive_share"] == pytest.approx(cs, abs=TOL), key


def test_components_add_up_to_the_change_exactly(wide: pd.DataFrame) -> None:
    # Including a series that starts at zero, where all growth is competitive.
    wide = wide.copy()
    wide.loc[("A", "y", "industry"), 2015] = 0.0
    table = _decompose(wide, "esteban_marquillas")
    summed = table["national_share"] + table["industry_mix"] + table["competitive_share"]
    np.testing.assert_allclose(summed, table["change"], rtol=0, atol=TOL)
    assert _at(table, "A", "y")["national_share"] == 0.0
    assert _at(table, "A", "y")["competitive_share"] == pytest.approx(40.0, abs=TOL)
    # The allocation split needs the area's own growth rate, undefined from zero.
    assert np.isnan(_at(table, "A", "y")["allocation_effect"])


def test_esteban_marquillas_splits_the_competitive_share_by_hand(wide: pd.DataFrame) -> None:
    table = _decompose(wide, "esteban_marquillas")
    for key, (homothetic, effect, allocation) in ESTEBAN_MARQUILLAS.items():
        row = table.loc[key]
        assert row["homothetic_value"] == pytest.approx(homothetic, abs=TOL), key
        assert row["competitive_effect"] == pytest.approx(effect, abs=TOL), key
        assert row["allocation_effect"] == pytest.approx(allocation, abs=TOL), key
        assert row["competitive_effect"] + row["allocation_effect"] == pytest.approx(
            CLASSIC[key][2], abs=TOL
        )


def test_classic_has_no_esteban_marquillas_columns(wide: pd.DataFrame) -> None:
    assert "allocation_effect" not in _decompose(wide).columns


def test_a_region_as_reference_uses_its_areas_alone(wide: pd.DataFrame) -> None:
    # Region = A: x 100 → 130 (g = 0.3), y 50 → 40 (g = -0.2), total 150 → 170 (G = 2/15).
    table = _decompose(wide, areas=pd.Index(["A"]))
    row = _at(table, "B", "x")
    assert row["national_share"] == pytest.approx(200 * 2 / 15, abs=TOL)
    assert row["industry_mix"] == pytest.approx(200 * (0.3 - 2 / 15), abs=TOL)
    assert row["competitive_share"] == pytest.approx(10 - 200 * 0.3, abs=TOL)


def test_national_totals_as_reference(wide: pd.DataFrame) -> None:
    # Nation: x 1000 → 1100 (g = 0.1), y 1000 → 900 (g = -0.1): G = 0, xy flat.
    totals = pd.DataFrame({"x": [1000.0, 1100.0], "y": [1000.0, 900.0]}, index=[2015, 2018])
    reference = reference_from_totals(totals, 2015, 2018, DEFINITIONS, label="nation")
    assert reference.total_growth == 0.0
    table = shift_share(wide[2015], wide[2018], reference)
    row = _at(table, "A", "x")
    assert row["national_share"] == 0.0
    assert row["industry_mix"] == pytest.approx(10.0, abs=TOL)
    assert row["competitive_share"] == pytest.approx(20.0, abs=TOL)
    assert _at(table, "A", "xy", "cluster")["industry_mix"] == pytest.approx(0.0, abs=TOL)


def test_a_value_missing_in_one_year_leaves_both_years_of_the_reference(
    wide: pd.DataFrame,
) -> None:
    wide = wide.copy()
    wide.loc[("B", "x", "industry"), 2018] = np.nan
    reference = reference_growth(wide[2015], wide[2018], label="the table")
    # x's reference is A alone (100 → 130); the total counts only cells known in both years.
    assert reference.industry_growth.loc[("x", "industry")] == pytest.approx(0.3, abs=TOL)
    assert reference.total_start == 300.0
    assert reference.total_end == 350.0
    table = shift_share(wide[2015], wide[2018], reference)
    components = ["change", "national_share", "industry_mix", "competitive_share"]
    assert table.loc[("B", "x", "industry"), components].isna().all()
