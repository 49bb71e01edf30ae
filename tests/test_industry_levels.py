"""Tests for ONS industry groupings and tables mixing industry levels (never summed twice)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from clustergeo._errors import InputDataError
from clustergeo.industries import (
    TOTAL_CODE,
    contains_industry,
    parse_industry_code,
    read_cluster_definitions,
    resolve_cluster_definitions,
)
from clustergeo.ingest.industry_levels import choose_industry_level, nested_industries

SOURCE = Path("table.csv")


@pytest.mark.parametrize(
    ("label", "code"),
    [
        ("Total", TOTAL_CODE),
        ("All industries", TOTAL_CODE),
        ("A-E", "A,B,C,D,E"),
        ("ABDE (1-9; 35-39)", "A,B,D,E"),
        ("AB (1-9)", "A,B"),
        ("C (10-33)", "C"),
        ("CA-CB (10-15)", "10,11,12,13,14,15"),
        ("CH (24-25)", "24,25"),
        ("49-51", "49,50,51"),
        ("68IMP", "68IMP"),
        ("L (68)", "L"),
        ("0161", "0161"),
        ("29.10", "2910"),
        ("29 : Manufacture of motor vehicles", "29"),
        ("AB", "AB"),  # a bare run of letters is not read as sections: likely a typo
    ],
)
def test_parse_industry_code(label: str, code: str) -> None:
    assert parse_industry_code(label) == code


def test_containment() -> None:
    assert contains_industry("C", "29")
    assert contains_industry("C", "10,11,12")
    assert contains_industry("A,B,C,D,E", "C")
    assert contains_industry("L", "68IMP")
    assert not contains_industry("68", "68IMP")  # ONS publishes 68 beside 68IMP
    assert not contains_industry("29", "29")


def frame(codes_values: dict[str, float]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "area_code": "E1",
            "industry_code": list(codes_values),
            "year": 2022,
            "employment": list(codes_values.values()),
        }
    )


def test_sections_and_their_divisions_are_refused_by_default() -> None:
    table = frame({"C": 100, "10": 40, "11": 60, "F": 50})
    with pytest.raises(InputDataError, match="mixes industry levels: C contains 10, 11") as excinfo:
        choose_industry_level(table, "refuse", source=SOURCE)
    assert "employment.mixed_levels" in str(excinfo.value)
    assert "count the same jobs twice" in str(excinfo.value)


def test_finest_keeps_a_partition_that_adds_up_once() -> None:
    divisions = {f"{d:02d}": 1.0 for d in range(10, 34)}
    table = frame({"C": 24.0, **divisions, "F": 50.0})
    kept, notes = choose_industry_level(table, "finest", source=SOURCE)
    assert set(kept["industry_code"]) == {*divisions, "F"}
    assert kept["employment"].sum() == 74  # C's 24 counted once, through its divisions
    assert "dropped 1 that contain or lie inside them: C" in notes[0]


def test_finest_refuses_when_finer_rows_do_not_cover_the_broader() -> None:
    table = frame({"C": 100, "29": 40, "F": 50})
    with pytest.raises(InputDataError, match=r"C \(only 29 inside it\)"):
        choose_industry_level(table, "finest", source=SOURCE)


def test_sections_keeps_whole_sections() -> None:
    table = frame({"A,B,C,D,E": 160, "A,B,D,E": 60, "C": 100, "29": 40, "F": 50})
    kept, _ = choose_industry_level(table, "sections", source=SOURCE)
    assert sorted(kept["industry_code"]) == ["A,B,D,E", "C", "F"]
    assert kept["employment"].sum() == 210


def test_rows_overlapping_without_nesting_are_refused() -> None:
    table = frame({"16,17,18,19,20": 10, "19,20,21": 5})
    with pytest.raises(InputDataError, match="overlap without one containing the other"):
        choose_industry_level(table, "finest", source=SOURCE)


def test_nested_industries_of_a_clean_table_is_empty() -> None:
    assert nested_industries(["A", "B", "C", "R,S"]) == ({}, [])


def test_missing_codes_of_a_definition_are_listed(tmp_path: Path) -> None:
    path = tmp_path / "defs.yaml"
    path.write_text(
        "clusters:\n"
        "  automotive:\n    label: Automotive\n    sic: ['29.10', '29.20', '29.31', '29.32']\n"
        "  food:\n    label: Food\n    sic: ['10.11']\n"
    )
    definitions = read_cluster_definitions(path)
    resolution = resolve_cluster_definitions(definitions, ["2910", "2920", "2932", "1011"])
    assert resolution.missing_codes == {"automotive": ["2931"]}
    assert resolution.missing_share == {"automotive": 0.25}
    assert [d.industry_codes for d in resolution.resolved] == [("2910", "2920", "2932"), ("1011",)]
    coverage = resolution.coverage(warn_share=0.1)
    assert coverage == {
        "automotive": {"missing_codes": ["2931"], "missing_share": 0.25, "warn": True}
    }
    assert resolution.coverage(warn_share=0.5)["automotive"]["warn"] is False
