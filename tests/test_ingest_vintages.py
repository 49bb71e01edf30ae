"""Tests for boundary vintages: detecting 2011 and 2021 codes and moving counts between them.

A hand-built lookup in the ONS format (MSOA11CD, CHGIND, MSOA21CD) with one area unchanged,
two merged and one split in two, and 2021 polygons whose areas make the split's shares 1/4
and 3/4, so every converted count can be worked out by hand.
"""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from clustergeo._errors import InputDataError
from clustergeo.config import VintageConfig
from clustergeo.ingest.employment import EmploymentTable
from clustergeo.ingest.vintages import convert_to_boundary_vintage, read_vintage_lookup, vintage_of

LOOKUP = (
    "\ufeffMSOA11CD,MSOA11NM,CHGIND,MSOA21CD,MSOA21NM\n"
    "E02000001,A 001,U,E02000001,A 001\n"
    "E02000002,A 002,M,E02007001,A 010\n"
    "E02000003,A 003,M,E02007001,A 010\n"
    "E02000004,A 004,S,E02007002,A 011\n"
    "E02000004,A 004,S,E02007003,A 012\n"
)
SPEC = VintageConfig(lookup=Path("lookup.csv"), from_column="MSOA11CD", to_column="MSOA21CD")


def areas_2021() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"area_code": ["E02000001", "E02007001", "E02007002", "E02007003"]},
        geometry=[
            box(0, 0, 100, 100),
            box(100, 0, 200, 100),
            box(200, 0, 300, 25),
            box(200, 25, 300, 100),
        ],
        crs="EPSG:27700",
    )


def table_2011(values: dict[str, float]) -> EmploymentTable:
    data = pd.DataFrame(
        {
            "area_code": list(values),
            "industry_code": "C",
            "year": pd.array([2011] * len(values), dtype="Int64"),
            "employment": list(values.values()),
        }
    )
    return EmploymentTable(data=data, source=Path("wp605ew.csv"), format="tidy")


@pytest.fixture
def lookup_path(tmp_path: Path) -> Path:
    path = tmp_path / "lookup.csv"
    path.write_text(LOOKUP, encoding="utf-8")
    return path


def test_vintage_of_codes(lookup_path: Path) -> None:
    lookup = read_vintage_lookup(lookup_path, SPEC)
    assert vintage_of({"E02000001", "E02000004"}, lookup) == ("older", 1)
    assert vintage_of({"E02000001", "E02007002"}, lookup) == ("newer", 1)
    assert vintage_of({"E02000001"}, lookup) == ("unchanged", 0)
    assert vintage_of({"E02000004", "E02007002"}, lookup)[0] == "mixed"


def test_merges_are_summed_and_splits_shared_by_area(lookup_path: Path) -> None:
    table = table_2011({"E02000001": 10, "E02000002": 20, "E02000003": 30, "E02000004": 400})
    converted, notes = convert_to_boundary_vintage(table, SPEC, lookup_path, areas_2021())
    result = converted.data.set_index("area_code")["employment"].to_dict()
    assert result == {"E02000001": 10, "E02007001": 50, "E02007002": 100, "E02007003": 300}
    assert converted.data["employment"].sum() == table.data["employment"].sum()
    assert "1 areas unchanged" in notes[0]
    assert "2 merged (summed)" in notes[0]
    assert "1 split between several areas" in notes[0]
    assert "(400 of 460, 86.96%, estimated)" in notes[0]


def test_a_suppressed_cell_stays_missing_where_it_lands(lookup_path: Path) -> None:
    table = table_2011(
        {"E02000001": 10, "E02000002": float("nan"), "E02000003": 30, "E02000004": 4}
    )
    converted, _ = convert_to_boundary_vintage(table, SPEC, lookup_path, areas_2021())
    result = converted.data.set_index("area_code")["employment"]
    assert math.isnan(result["E02007001"])
    assert result["E02007002"] == 1


def test_a_renamed_area_keeps_its_name_and_a_merged_one_takes_the_boundaries(
    tmp_path: Path,
) -> None:
    # Glasgow City and North Lanarkshire changed codes in 2019 (S12000046 -> S12000049):
    # converted, the table's name must follow the code, or the area is named by its code.
    path = tmp_path / "lookup.csv"
    path.write_text(
        "MSOA11CD,CHGIND,MSOA21CD\n"
        "E02000001,U,E02000001\n"
        "E02000005,X,E02007005\n"
        "E02000002,M,E02007001\n"
        "E02000003,M,E02007001\n",
        encoding="utf-8",
    )
    areas = gpd.GeoDataFrame(
        {"area_code": ["E02000001", "E02007005", "E02007001"]},
        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1)],
        crs="EPSG:27700",
    )
    table = table_2011({"E02000001": 1, "E02000005": 2, "E02000002": 3, "E02000003": 4})
    named = EmploymentTable(
        data=table.data,
        source=table.source,
        format="tidy",
        area_names={
            "E02000001": "A 001",
            "E02000005": "A 005",
            "E02000002": "A 002",
            "E02000003": "A 003",
        },
    )
    converted, _ = convert_to_boundary_vintage(named, SPEC, path, areas)
    assert converted.area_names == {"E02000001": "A 001", "E02007005": "A 005"}


def test_newer_table_onto_older_boundaries_splits_merged_areas(lookup_path: Path) -> None:
    areas_2011 = gpd.GeoDataFrame(
        {"area_code": ["E02000001", "E02000002", "E02000003", "E02000004"]},
        geometry=[box(0, 0, 1, 1), box(0, 0, 2, 1), box(0, 0, 2, 3), box(5, 5, 6, 6)],
        crs="EPSG:27700",
    )
    table = table_2011({"E02000001": 10, "E02007001": 80, "E02007002": 1, "E02007003": 2})
    converted, notes = convert_to_boundary_vintage(table, SPEC, lookup_path, areas_2011)
    result = converted.data.set_index("area_code")["employment"].to_dict()
    # E02007001 (2021) is E02000002 (area 2) + E02000003 (area 6): 80 shared 1/4 and 3/4.
    assert result == {"E02000001": 10, "E02000002": 20, "E02000003": 60, "E02000004": 3}
    assert "newer to the older vintage" in notes[0]


def test_same_vintage_converts_nothing(lookup_path: Path) -> None:
    table = table_2011({"E02000001": 10, "E02007001": 5})
    converted, notes = convert_to_boundary_vintage(table, SPEC, lookup_path, areas_2021())
    assert converted is table
    assert "nothing converted" in notes[0]


def test_split_refused_when_asked(lookup_path: Path) -> None:
    spec = SPEC.model_copy(update={"split": "refuse"})
    table = table_2011({"E02000004": 4})
    with pytest.raises(InputDataError, match="split between several areas"):
        convert_to_boundary_vintage(table, spec, lookup_path, areas_2021())


def test_split_without_boundaries_is_refused(lookup_path: Path) -> None:
    with pytest.raises(InputDataError, match="needs the boundaries of the new areas"):
        convert_to_boundary_vintage(table_2011({"E02000004": 4}), SPEC, lookup_path, None)


def test_a_table_mixing_vintages_is_refused(lookup_path: Path) -> None:
    table = table_2011({"E02000004": 4, "E02007001": 5})
    with pytest.raises(InputDataError, match="mixes codes of both vintages") as error:
        convert_to_boundary_vintage(table, SPEC, lookup_path, areas_2021())
    assert "Download the table for one vintage" in str(error.value)


def test_a_table_with_both_codes_of_a_change_is_told_so(lookup_path: Path) -> None:
    """A table holding an area and the one the lookup says replaced it points at the lookup's
    row, not only at the table."""
    table = table_2011({"E02000001": 3, "E02000002": 4, "E02007001": 5})
    with pytest.raises(InputDataError, match="mixes codes of both vintages") as error:
        convert_to_boundary_vintage(table, SPEC, lookup_path, areas_2021())
    assert "the table has both codes of E02000002 → E02007001" in str(error.value)
    assert "that row of lookup.csv does not apply" in str(error.value)
    # An unchanged area maps to itself: not a row that fails to apply.
    assert "E02000001 → E02000001" not in str(error.value)


@pytest.mark.parametrize(
    "written", ["{year}", "01/04/{year} 00:00:00"], ids=["years", "ons-code-history-dates"]
)
def test_a_table_between_a_lookups_changes_is_told_so(tmp_path: Path, written: str) -> None:
    """A changes list of several dates (and district to combined-authority memberships) makes a
    table of one vintage look mixed: the message names the dates and the memberships, and
    points to ``where``, rather than ask for a table of one vintage. Years and the UK dates
    of the ONS code history are both read as dates."""
    path = tmp_path / "changes.csv"
    rows = [
        "E06000057,Northumberland,E47000011,North of Tyne,new_geo,2018",
        "E07000004,Aylesbury Vale,E06000060,Buckinghamshire,merger,2020",
        "E07000005,Chiltern,E06000060,Buckinghamshire,merger,2020",
        "E07000163,Craven,E06000065,North Yorkshire,merger,2023",
        "E08000016,Barnsley,E08000038,Barnsley,new_code,2025",
        "S12000015,Fife,S12000047,Fife,new_code,2018",
    ]
    dated = [
        row.rsplit(",", 1)[0] + "," + written.format(year=row.rsplit(",", 1)[1]) for row in rows
    ]
    path.write_text(
        "\n".join(["oldcd,oldnm,newcd,newnm,type,start", *dated]) + "\n", encoding="utf-8"
    )
    spec = VintageConfig(lookup=path, from_column="oldcd", to_column="newcd")
    codes = ["E06000057", "E06000060", "E06000065", "E08000016", "S12000047"]
    table = table_2011(dict.fromkeys(codes, 1.0))
    with pytest.raises(InputDataError, match="mixes codes of both vintages") as error:
        convert_to_boundary_vintage(table, spec, path, None)
    message = str(error.value)
    assert "1 rows map a code to another geography (E06000057 → E47000011)" in message
    retiring = written.format(year=2025)
    creating = ", ".join(written.format(year=year) for year in (2018, 2020, 2023))
    assert (
        f"the changes that retire the table's codes date from start {retiring} and those that "
        f"create its codes from {creating}, so the table is of one vintage between them"
    ) in message
    assert "employment.vintage.where" in message


def test_lad_changes_list_follows_chains(tmp_path: Path) -> None:
    path = tmp_path / "changes.csv"
    path.write_text(
        "oldcd,oldnm,newcd,newnm,type,start\n"
        "E07000190,Taunton Deane,E07000246,Somerset West and Taunton,merger,2019\n"
        "E07000191,West Somerset,E07000246,Somerset West and Taunton,merger,2019\n"
        "E07000246,Somerset West and Taunton,E06000066,Somerset,merger,2023\n"
        "E07000187,Mendip,E06000066,Somerset,merger,2023\n"
        "E06000057,Northumberland,E47000011,North of Tyne,new_geo,2018\n"
    )
    spec = VintageConfig(
        lookup=path, from_column="oldcd", to_column="newcd", where={"type": ["merger", "new_code"]}
    )
    areas = gpd.GeoDataFrame(
        {"area_code": ["E06000066", "E06000057"]},
        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)],
        crs="EPSG:27700",
    )
    table = table_2011({"E07000190": 5, "E07000191": 6, "E07000187": 7, "E06000057": 8})
    converted, _ = convert_to_boundary_vintage(table, spec, path, areas)
    result = converted.data.set_index("area_code")["employment"].to_dict()
    assert result == {"E06000066": 18, "E06000057": 8}


@pytest.mark.realdata
def test_census_2011_msoas_onto_2021_east_midlands_boundaries(shared_data: Path) -> None:
    from clustergeo.ingest.employment import read_employment

    folder = shared_data / "boundaries_msoa2021_lookups_virtuk"
    table = read_employment(
        shared_data
        / "census2011_wp_msoa_industry"
        / "workplace_popCensus2011_MSOA_bySICcode_20sections.csv"
    )
    areas = gpd.read_file(folder / "msoa2021_boundaries_east_midlands.geojson").to_crs("EPSG:27700")
    areas = areas.rename(columns={"MSOA21CD": "area_code"})[["area_code", "geometry"]]
    converted, notes = convert_to_boundary_vintage(
        table, SPEC, folder / "MSOA11_to_MSOA21_to_LAD22_Lookup.csv", areas
    )
    # Every 2021 East Midlands MSOA gets employment; no job is lost or made up.
    assert set(areas["area_code"]) <= set(converted.data["area_code"])
    by_industry = table.data.groupby("industry_code")["employment"].sum()
    pd.testing.assert_series_equal(
        converted.data.groupby("industry_code")["employment"].sum(),
        by_industry,
        check_exact=False,
        rtol=1e-12,
    )
    assert "4 split between several areas" in notes[0]


def test_a_lookup_splitting_a_district_is_warned(
    tmp_path: Path, lookup_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """ONS merges districts and never splits one: such a row is a mistake in the lookup."""
    path = tmp_path / "changes.csv"
    path.write_text("old,new\nS12000050,S12000044\nS12000050,S12000046\n", encoding="utf-8")
    spec = VintageConfig(lookup=path, from_column="old", to_column="new")
    areas = gpd.GeoDataFrame(
        {"area_code": ["S12000044", "S12000046"]},
        geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100)],
        crs="EPSG:27700",
    )
    convert_to_boundary_vintage(table_2011({"S12000050": 10}), spec, path, areas)
    assert "changes.csv maps S12000050 to S12000044, S12000046: districts are merged" in caplog.text
    caplog.clear()
    # MSOAs are split by ONS: shared by area without a warning.
    table = table_2011({"E02000001": 10, "E02000002": 20, "E02000003": 30, "E02000004": 400})
    convert_to_boundary_vintage(table, SPEC, lookup_path, areas_2021())
    assert "districts are merged" not in caplog.text
