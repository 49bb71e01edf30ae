"""Tests for tables read by a column mapping (``long``, ``wide_years``), years and measures.

Small tables are written into ``tmp_path`` in every container the readers accept (CSV, gzip,
Parquet, xlsx); the real Nesta BRES pull and the ONS GVA tables in ``../shared/data`` are read
as shipped, by config alone, and checked against the totals their PROVENANCE.md records.
"""

from __future__ import annotations

import gzip
import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from clustergeo._errors import InputDataError
from clustergeo.config import ColumnsConfig, EmploymentConfig
from clustergeo.ingest.employment import ReadOptions, select_year
from clustergeo.ingest.mapped import _example_value, read_configured_employment, read_mapped_table
from clustergeo.ingest.years import check_years

NESTA_COLUMNS = {
    "area": "geo_cd",
    "area_name": "geo_nm",
    "industry": "SIC4",
    "value": "value",
    "year": "year",
}
NESTA_HEADER = ",year,geo_type,geo_nm,geo_cd,SIC4,value,cluster_name\n"


def nesta_text(year: int, rows: list[tuple[str, str, str]]) -> str:
    """A file in the Nesta layout: unnamed index, year, geo_type, geo_nm, geo_cd, SIC4, value."""
    lines = [
        f"{i},{year},nuts 2013 level 2,Area {code},{code},{sic},{value},manufacture_food"
        for i, (code, sic, value) in enumerate(rows)
    ]
    return NESTA_HEADER + "\n".join(lines) + "\n"


def employment_config(**settings: Any) -> EmploymentConfig:
    return EmploymentConfig.model_validate({"path": "unused", **settings})


def cell(data: pd.DataFrame, area: str, industry: str, year: int | None = None) -> float:
    rows = data.loc[(data["area_code"] == area) & (data["industry_code"] == industry)]
    if year is not None:
        rows = rows.loc[rows["year"] == year]
    assert len(rows) == 1, rows
    return float(rows["employment"].iloc[0])


def test_nesta_layout_several_files_keep_every_year_and_leading_zeros(tmp_path: Path) -> None:
    paths = []
    for year, scale in ((2015, 1), (2016, 2)):
        path = tmp_path / f"nomis_BRES_{year}_TYPE450.csv.gz"
        rows = [("UKF1", "0161", str(30 * scale)), ("UKF2", "0161", str(50 * scale))]
        rows += [("UKF1", "2910", str(400 * scale)), ("UKF2", "2910", "")]
        path.write_bytes(gzip.compress(nesta_text(year, rows).encode()))
        paths.append(path)
    config = employment_config(format="long", columns=NESTA_COLUMNS, measure="employment")
    table = read_configured_employment(config, paths)
    assert table.years == [2015, 2016]
    assert list(table.data.columns) == ["area_code", "industry_code", "year", "employment"]
    assert sorted(table.data["industry_code"].unique()) == ["0161", "2910"]
    assert cell(table.data, "UKF2", "0161", 2016) == 100
    assert math.isnan(cell(table.data, "UKF2", "2910", 2015))
    assert table.n_suppressed == 2
    assert table.measure == "employment"
    assert table.area_names["UKF1"] == "Area UKF1"
    single = select_year(table, "2016")
    assert single.years == [2016]
    assert cell(single.data, "UKF1", "2910") == 800
    assert "kept 'year' = 2016 of 2 values in the file (employment.date)" in single.notes


def test_several_years_without_a_chosen_one_give_the_last_to_the_single_year_stages(
    tmp_path: Path,
) -> None:
    path = tmp_path / "both.csv"
    text = nesta_text(2015, [("UKF1", "0161", "30")]) + "1,2016,nuts,Area,UKF1,0161,40,x\n"
    path.write_text(text)
    table = read_configured_employment(
        employment_config(format="long", columns=NESTA_COLUMNS), [path]
    )
    last = select_year(table, None)
    assert last.years == [2016]
    assert cell(last.data, "UKF1", "0161") == 40
    assert "kept 'year' = 2016 of 2 values in the file (the last year" in " ".join(last.notes)
    with pytest.raises(InputDataError, match="only has 'year' 2015–2016") as excinfo:
        select_year(table, "2019")
    assert "remove it to analyse the last year" in str(excinfo.value)


def test_the_same_year_in_two_files_is_refused(tmp_path: Path) -> None:
    paths = []
    for name in ("a.csv", "b.csv"):
        path = tmp_path / name
        path.write_text(nesta_text(2015, [("UKF1", "0161", "30")]))
        paths.append(path)
    with pytest.raises(InputDataError, match="appear in more than one of the employment files"):
        read_configured_employment(employment_config(format="long", columns=NESTA_COLUMNS), paths)


def test_wide_by_year_with_ons_groupings_and_a_total_row(tmp_path: Path) -> None:
    path = tmp_path / "gva.csv"
    path.write_text(
        "LAD_code,LAD_name,SIC07_code,SIC07_description,2021,2022\n"
        "E06000021,Stoke-on-Trent,Total,All industries,100,110\n"
        "E06000021,Stoke-on-Trent,C (10-33),Manufacturing,30,33\n"
        'E06000021,Stoke-on-Trent,CA-CB (10-15),"Food, textiles",10,11\n'
        "E06000021,Stoke-on-Trent,CC-CM (16-33),Other manufacturing,20,22\n"
        "E06000021,Stoke-on-Trent,J (58-63),Information and communication,70,77\n"
    )
    columns = ColumnsConfig(
        area="LAD_code", industry="SIC07_code", industry_name="SIC07_description"
    )
    with pytest.raises(InputDataError, match="mixes industry levels"):
        read_mapped_table(path, layout="wide_years", columns=columns, options=ReadOptions())
    table = read_mapped_table(
        path,
        layout="wide_years",
        columns=columns,
        options=ReadOptions(measure="gva_current_prices", mixed_levels="finest"),
    )
    codes = sorted(table.data["industry_code"].unique())
    assert codes == [
        "10,11,12,13,14,15",
        "16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33",
        "J",
    ]
    single = select_year(table, "2022")
    # The finest rows add up to the published total: nothing counted twice.
    assert single.data["employment"].sum() == 110
    assert single.area_totals is not None
    assert single.area_totals["E06000021"] == 110
    assert table.industry_names["J"] == "Information and communication"


_GVA_HEADER = "LAD_code,LAD_name,SIC07_code,SIC07_description"
_GVA_COLUMNS = ColumnsConfig(area="LAD_code", industry="SIC07_code")


def _gva(path: Path, years: str, *rows: str, measure: str = "gva_current_prices") -> Any:
    path.write_text(f"{_GVA_HEADER},{years}\n" + "".join(f"{row}\n" for row in rows))
    return read_mapped_table(
        path, layout="wide_years", columns=_GVA_COLUMNS, options=ReadOptions(measure=measure)
    )


@pytest.mark.parametrize("header", ["2023 (p)", "2023p", "2023 [p]", "2023 (r)"])
def test_a_provisional_or_revised_year_is_the_year(tmp_path: Path, header: str) -> None:
    """ONS marks a year's figures "[p]", written "(p)" or "p" in re-saved copies too."""
    table = _gva(tmp_path / "gva.csv", f"2022,{header}", "E06000021,Stoke,J (58-63),Info,70,77")
    assert sorted(table.data["year"].unique()) == [2022, 2023]


def test_a_year_heading_two_columns_is_refused(tmp_path: Path) -> None:
    """The second column would be dropped unsaid (pandas names it 2022.1)."""
    with pytest.raises(InputDataError, match=r"2022 heads columns 5, 6\. Each year must head one"):
        _gva(tmp_path / "gva.csv", "2022,2022", "E06000021,Stoke,J (58-63),Info,70,77")
    with pytest.raises(InputDataError, match=r"2022 heads columns 5, 6"):
        _gva(tmp_path / "gva.csv", "2022,2022 [p]", "E06000021,Stoke,J (58-63),Info,70,77")


def test_a_year_header_with_a_letter_for_a_digit_is_refused(tmp_path: Path) -> None:
    """'201O' would otherwise be a column not used, and 2010 missing from every series."""
    row = "E06000021,Stoke,J (58-63),Info,70,77,80"
    with pytest.raises(InputDataError, match=r"'201O' \(column 6\) reads as 2010 with a letter"):
        _gva(tmp_path / "gva.csv", "2009,201O,2011", row)
    with pytest.raises(InputDataError, match=r"'2Ol1' \(column 7\) reads as 2011"):
        _gva(tmp_path / "gva.csv", "2009,2010,2Ol1", row)
    # A column of other words is only noted.
    table = _gva(tmp_path / "gva.csv", "2009,2010,Notes", "E06000021,Stoke,J (58-63),Info,70,77,x")
    assert any(note.startswith("columns not used: ") and "Notes" in note for note in table.notes)


def test_excels_empty_rows_are_left_out_and_notes_below_the_table_named(tmp_path: Path) -> None:
    row = "E06000021,Stoke,J (58-63),Info,70,77"
    table = _gva(tmp_path / "gva.csv", "2022,2023", row, ",,,,,", ",,,,,")
    assert table.data["employment"].tolist() == [70.0, 77.0]
    assert "empty rows left out: lines 3, 4" in table.notes
    with pytest.raises(InputDataError, match=r"empty industry code on line 3 \(notes below"):
        _gva(tmp_path / "gva.csv", "2022,2023", row, "Source: ONS,,,,,")


def test_a_title_above_the_header_is_told_to_set_header_row(tmp_path: Path) -> None:
    path = tmp_path / "gva.csv"
    path.write_text(
        "Regional GVA, current prices\n"
        f"{_GVA_HEADER},2022,2023\n"
        "E06000021,Stoke,J (58-63),Info,70,77\n"
        "E06000021,Stoke,C (10-33),Manufacturing,30,33\n"
    )
    with pytest.raises(InputDataError, match=r"the header \(line 1\) has 2 fields and most"):
        read_mapped_table(path, layout="wide_years", columns=_GVA_COLUMNS)
    table = read_mapped_table(path, layout="wide_years", columns=_GVA_COLUMNS, header_row=2)
    assert len(table.data) == 4


def test_an_area_empty_in_every_industry_for_some_years_is_warned(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Not a suppressed cell or two: the area's whole year is missing."""
    path = tmp_path / "gva.csv"
    table = _gva(
        path,
        "2021,2022,2023",
        "E06000021,Stoke,J (58-63),Info,,70,77",
        "E06000021,Stoke,C (10-33),Manufacturing,,30,33",
        "E06000015,Derby,J (58-63),Info,5,,6",
        "E06000015,Derby,C (10-33),Manufacturing,50,51,52",
    )
    check_years(table.data, source=path)
    assert "1 area has no value in any industry for some years: E06000021 (2021)" in caplog.text


def test_negative_gva_is_kept_and_noted_with_its_year(tmp_path: Path) -> None:
    """GVA can be negative (Southampton's agriculture and mining, 2022: -1)."""
    table = _gva(tmp_path / "gva.csv", "2021,2022", "E06000045,Southampton,AB (1-9),Farm,2,-1")
    assert table.data["employment"].tolist() == [2.0, -1.0]
    assert any(
        "1 negative value kept as published (E06000045/A,B in 2022)" in n for n in table.notes
    )


def test_a_row_repeated_in_a_wide_table_is_named_once_by_its_lines(tmp_path: Path) -> None:
    row = "E06000021,Stoke,J (58-63),Info,70,77"
    repeated = r"\(E06000021/J/2022, E06000021/J/2023\) on lines 2, 3;"
    with pytest.raises(InputDataError, match=repeated):
        _gva(tmp_path / "gva.csv", "2022,2023", row, row)


def test_a_repeated_total_row_is_refused_rather_than_summed_into_the_area_total(
    tmp_path: Path,
) -> None:
    """Summed, it would double the area's total and halve every LQ of the area, unsaid."""
    total = "E08000021,Newcastle upon Tyne,Total,All industries,4322,12223"
    row = "E08000021,Newcastle upon Tyne,J (58-63),Info,70,77"
    with pytest.raises(InputDataError, match=r"E08000021/TOTAL/2022.* on lines 2, 3;"):
        _gva(tmp_path / "gva.csv", "2022,2023", total, total, row)


def test_a_total_given_in_two_files_is_refused(tmp_path: Path) -> None:
    """Files split by industry, each repeating the area's total: summed, it would double."""
    header = f"{_GVA_HEADER},2022\n"
    total = "E06000021,Stoke,Total,All industries,100\n"
    (tmp_path / "a.csv").write_text(header + total + "E06000021,Stoke,C (10-33),Making,30\n")
    (tmp_path / "b.csv").write_text(header + total + "E06000021,Stoke,J (58-63),Info,70\n")
    config = employment_config(
        format="wide_years", columns={"area": "LAD_code", "industry": "SIC07_code"}
    )
    with pytest.raises(InputDataError, match=r"totals appear in more than one .* E06000021/2022"):
        read_configured_employment(config, [tmp_path / "a.csv", tmp_path / "b.csv"])


def test_a_decimal_comma_in_a_comma_separated_file_is_not_a_thousands_separator(
    tmp_path: Path,
) -> None:
    """Removing the comma would read 1487,5 as 14,875; thousands come in groups of three."""
    row = 'E06000021,Stoke,J (58-63),Info,"1,487","1487,5"'
    with pytest.raises(InputDataError, match=r"not a number on line 2 \(values '1487,5'\)"):
        _gva(tmp_path / "gva.csv", "2022,2023", row)
    table = _gva(tmp_path / "gva.csv", "2022,2023", 'E06000021,Stoke,J (58-63),Info,"1,487",1487')
    assert table.data["employment"].tolist() == [1487.0, 1487.0]


def test_industries_adding_up_to_more_than_the_published_total_are_warned(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """As chained-volume GVA does; a download of some industries adds up to less, unwarned."""
    total = "E06000021,Stoke,Total,All,100,100"
    some = ["E06000021,Stoke,C (10-33),Manufacturing,30,30", "E06000021,Stoke,J (58-63),Info,40,40"]
    _gva(tmp_path / "partial.csv", "2022,2023", total, *some)
    assert "add up to" not in caplog.text
    too_much = "E06000021,Stoke,J (58-63),Info,40,90"
    _gva(tmp_path / "cvm.csv", "2022,2023", total, some[0], too_much)
    assert "in 1 of 2 area-years the industries add up to more than the published" in caplog.text
    assert "E06000021 2023: 120 against 100" in caplog.text
    assert "chained-volume GVA and index numbers do not" in caplog.text


def test_stacked_hint_suggests_an_amount_of_the_measure() -> None:
    """The filter suggested names the configured measure, else an amount: never an index or a
    deflator, which do not add up over industries."""
    ons = ["CVM Index", "GVA Constant Prices £m", "GVA Current Prices £m", "Implied deflator"]
    assert _example_value(ons, "gva_current_prices") == "GVA Current Prices £m"
    assert _example_value(ons, "gva_chained_volume") == "GVA Constant Prices £m"
    assert _example_value(ons, None) == "GVA Constant Prices £m"
    assert _example_value(["Growth rate", "Index"], None) == "Growth rate"
    assert _example_value(["Corporate GVA", "Share (%)"], "employment") == "Corporate GVA"


def test_stacked_measures_need_a_filter(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "dates.date": pd.to_datetime(["2022-01-01"] * 4).date,
            "variable.name": ["GVA Current Prices £m", "CVM Index"] * 2,
            "geography.code": ["E06000021"] * 2 + ["E06000015"] * 2,
            "industry.code": ["J (58-63)"] * 4,
            "value": [775.0, 101.5, 2.5, 99.0],
        }
    )
    path = tmp_path / "gva.parquet"
    frame.to_parquet(path)
    settings = {
        "format": "long",
        "columns": {
            "area": "geography.code",
            "industry": "industry.code",
            "value": "value",
            "year": "dates.date",
        },
        "measure": "gva_current_prices",
    }
    with pytest.raises(
        InputDataError, match=r"told apart by the column 'variable\.name'"
    ) as excinfo:
        read_configured_employment(employment_config(**settings), [path])
    assert "employment.filter" in str(excinfo.value)
    # The example kept is the configured measure, not the first value in the column.
    assert "filter: {variable.name: 'GVA Current Prices £m'}" in str(excinfo.value)
    config = employment_config(**settings, filter={"variable.name": "GVA Current Prices £m"})
    table = read_configured_employment(config, [path])
    assert table.years == [2022]
    assert cell(table.data, "E06000021", "J") == 775
    # GVA is not a count: a fractional value is not noted as one.
    assert cell(table.data, "E06000015", "J") == 2.5
    assert not any("not whole numbers" in note for note in table.notes)


def test_xlsx_with_title_rows_and_numeric_codes(tmp_path: Path) -> None:
    path = tmp_path / "bres.xlsx"
    frame = pd.DataFrame({"area": ["E1", "E1"], "sic": ["0161", "2910"], "jobs": [5, 7]})
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        pd.DataFrame([["BRES extract"], ["2022"]]).to_excel(
            writer, sheet_name="Data", header=False, index=False
        )
        frame.to_excel(writer, sheet_name="Data", startrow=3, index=False)
    config = employment_config(
        format="long",
        columns={"area": "area", "industry": "sic", "value": "jobs"},
        sheet="Data",
        header_row=4,
        year=2022,
    )
    table = read_configured_employment(config, [path])
    assert sorted(table.data["industry_code"]) == ["0161", "2910"]
    assert table.years == [2022]
    assert cell(table.data, "E1", "0161") == 5


def test_spreadsheet_that_dropped_leading_zeros(tmp_path: Path) -> None:
    path = tmp_path / "resaved.csv"
    path.write_text("area,sic,jobs\nE1,161,5\nE1,2910,7\nE1,1011,9\n")
    settings = {"format": "long", "columns": {"area": "area", "industry": "sic", "value": "jobs"}}
    with pytest.raises(InputDataError, match="dropped the zeros") as excinfo:
        read_configured_employment(employment_config(**settings), [path])
    assert "employment.sic_digits: 4" in str(excinfo.value)
    table = read_configured_employment(employment_config(**settings, sic_digits=4), [path])
    assert sorted(table.data["industry_code"]) == ["0161", "1011", "2910"]


def test_missing_mapped_column_lists_the_columns(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("geo,sic,v\nE1,29,5\n")
    config = employment_config(
        format="long", columns={"area": "geo_cd", "industry": "sic", "value": "v"}
    )
    with pytest.raises(InputDataError, match="area → 'geo_cd'") as excinfo:
        read_configured_employment(config, [path])
    assert "geo, sic, v" in str(excinfo.value)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"format": "long"}, "needs 'columns'"),
        ({"format": "long", "columns": {"area": "a", "industry": "i"}}, "needs columns.value"),
        ({"format": "tidy", "columns": {"area": "a", "industry": "i"}}, "apply to formats"),
        (
            {"format": "wide_years", "columns": {"area": "a", "industry": "i", "value": "v"}},
            "remove columns.value",
        ),
        (
            {
                "format": "long",
                "columns": {"area": "a", "industry": "i", "value": "v", "year": "y"},
                "year": 2011,
            },
            "choose the year",
        ),
    ],
)
def test_config_checks_the_layout(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        employment_config(**settings)


# -- the real files, as shipped ----------------------------------------------------------------


@pytest.mark.realdata
def test_nesta_bres_nuts2_sic4_as_shipped(shared_data: Path) -> None:
    folder = shared_data / "bres_nuts2_sic4_2015_2018"
    paths = sorted(folder.glob("nomis_BRES_*_TYPE450.csv.gz"))
    config = employment_config(format="long", columns=NESTA_COLUMNS, measure="employment")
    table = read_configured_employment(config, paths)
    # GB totals recorded in PROVENANCE.md.
    totals = table.data.groupby("year")["employment"].sum().to_dict()
    assert totals == {2015: 29_142_880, 2016: 29_589_490, 2017: 29_918_130, 2018: 30_147_640}
    assert table.data["area_code"].nunique() == 39
    assert table.data["industry_code"].nunique() == 525
    assert "0161" in set(table.data["industry_code"])


@pytest.mark.realdata
def test_ons_gva_wide_csv_as_shipped(shared_data: Path) -> None:
    path = (
        shared_data
        / "ons_rgva_lad_by_industry"
        / "rgva_lad_currentprices_gbp_m_release2024_1998_2022.csv"
    )
    config = employment_config(
        format="wide_years",
        columns={"area": "LAD_code", "area_name": "LAD_name", "industry": "SIC07_code"},
        measure="gva_current_prices",
        mixed_levels="finest",
        date="2022",
    )
    table = select_year(read_configured_employment(config, [path]), config.date)
    stoke = table.data.loc[table.data["area_code"] == "E06000021"].set_index("industry_code")
    # PROVENANCE.md: Stoke-on-Trent 2022, all industries £6,845m, J £775m (11.32%).
    assert table.area_totals is not None
    assert table.area_totals["E06000021"] == 6845
    assert stoke.loc["J", "employment"] == 775
    assert round(775 / 6845 * 100, 2) == 11.32
    # The finest rows add up to the published total, to the £m rounding of each row.
    assert abs(stoke["employment"].sum() - 6845) <= 0.5 * len(stoke)
    assert table.data["area_code"].nunique() == 361


@pytest.mark.realdata
def test_ons_gva_parquet_as_shipped(shared_data: Path) -> None:
    path = shared_data / "ons_rgva_lad_by_industry" / "RGVA_LAD_release2025_1998_2023.parquet"
    config = employment_config(
        format="long",
        columns={
            "area": "geography.code",
            "industry": "industry.code",
            "value": "value",
            "year": "dates.date",
        },
        filter={"variable.name": "GVA Current Prices £m"},
        measure="gva_current_prices",
        mixed_levels="sections",
    )
    table = select_year(read_configured_employment(config, [path]), "2023")
    stoke = table.data.loc[table.data["area_code"] == "E06000021"].set_index("industry_code")
    # PROVENANCE.md: 2023, 2025 release: total £7,020m, J £860m.
    assert stoke.loc["J", "employment"] == 860
    assert table.area_totals is not None
    assert table.area_totals["E06000021"] == 7020
    assert "A,B" in stoke.index
    assert "D,E" in stoke.index
