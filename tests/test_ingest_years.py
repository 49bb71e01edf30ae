"""The years of a table: the analysed year, and whether the years can be compared."""

from __future__ import annotations

import pandas as pd
import pytest

from clustergeo._errors import InputDataError
from clustergeo.ingest.years import analysis_year, check_years, year_ranges


def _table(rows: list[tuple[str, str, int]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["area_code", "industry_code", "year"])
    return frame.assign(employment=10.0)


def _full(areas: list[str], industries: list[str], years: list[int]) -> list[tuple[str, str, int]]:
    return [(a, i, y) for a in areas for i in industries for y in years]


def test_year_ranges_are_compact() -> None:
    assert year_ranges([2005, 1998, 1999, 2000, 2007, 2008]) == "1998–2000, 2005, 2007–2008"
    assert year_ranges([2021]) == "2021"
    assert year_ranges([]) == ""


def test_the_analysed_year_is_the_last_unless_chosen() -> None:
    assert analysis_year([2015, 2016, 2018], None, source="t.csv") == 2018
    assert analysis_year([2015, 2016, 2018], "2016", source="t.csv") == 2016
    assert analysis_year([], None, source="t.csv") is None


def test_a_chosen_year_not_in_the_table_is_named_with_the_years() -> None:
    with pytest.raises(InputDataError, match=r"'2017' but employment file t.csv only has year"):
        analysis_year([2015, 2016, 2018], "2017", source="t.csv")
    with pytest.raises(InputDataError, match="has no year column"):
        analysis_year([], "2017", source="t.csv")


def test_comparable_years_pass_and_a_gap_is_noted() -> None:
    table = _table(_full(["A", "B"], ["C", "F"], [2015, 2016, 2018]))
    assert check_years(table, source="t.csv") == [
        "the table has no rows for 2017 within 2015–2018: growth rates use the years' real "
        "distance; index series have gaps"
    ]
    assert check_years(_table(_full(["A"], ["C"], [2021])), source="t.csv") == []


def test_an_area_missing_from_some_years_stops_naming_it_and_the_years() -> None:
    rows = _full(["A", "B"], ["C"], [2015, 2016, 2017])
    rows = [r for r in rows if not (r[0] == "B" and r[2] >= 2016)]
    with pytest.raises(InputDataError) as caught:
        check_years(_table(rows), source="t.csv")
    message = str(caught.value)
    assert "t.csv holds 2015–2017, but its years are not comparable" in message
    assert "1 area is missing from some years: B (none in 2016–2017)" in message
    assert "employment.vintage" in message


def test_a_change_of_industry_grouping_between_years_stops() -> None:
    # Two releases stacked: J up to 2016, then its divisions 58-60 and 61-63.
    rows = _full(["A"], ["C", "J"], [2015, 2016]) + _full(["A"], ["C", "58-60", "61-63"], [2017])
    with pytest.raises(InputDataError) as caught:
        check_years(_table(rows), source="t.csv")
    message = str(caught.value)
    assert "the industry codes change between years (J only in 2015–2016" in message
    assert "58-60, 61-63 only in 2017" in message
    assert "Read one release" in message
