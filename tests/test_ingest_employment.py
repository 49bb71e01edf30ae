"""Tests for the employment readers (``clustergeo.ingest.employment``).

The fixtures in ``tests/fixtures`` mirror real downloads: a Nomis API CSV of BRES with every
column Nomis writes (suppressed and confidential cells included), a reduced BRES extract, a
Census 2011 WP605EW table as the Nomis web page and the Nomis bulk service write it, and a tidy
CSV. Validation tests write small variants of them into ``tmp_path``.
"""

from __future__ import annotations

import csv
import gzip
import io
import math
from pathlib import Path

import pandas as pd
import pytest

from clustergeo._errors import InputDataError
from clustergeo.ingest.employment import (
    EmploymentTable,
    ReadOptions,
    detect_employment_format,
    read_employment,
    read_nomis_bres,
    read_nomis_census_wide,
    read_tidy_employment,
)
from clustergeo.ingest.tables import parse_delimited

FIXTURES = Path(__file__).parent / "fixtures"
BRES_API = FIXTURES / "nomis_bres_api.csv"
BRES_MULTI = FIXTURES / "nomis_bres_multi.csv"
BRES_REDUCED = FIXTURES / "bres_reduced.csv"
WP605EW_WEB = FIXTURES / "wp605ew_web.csv"
WP605EW_BULK = FIXTURES / "wp605ew_bulk.csv"
TIDY = FIXTURES / "tidy.csv"

HINCKLEY_MSOAS = ["E02005377", "E02005378", "E02005379", "E02005380", "E02005381"]
SECTIONS = [*"ABCDEFGHIJKLMNOPQ", "R,S", "T", "U"]


def cell(table: EmploymentTable, area: str, industry: str) -> float:
    """The employment of one area x industry cell."""
    data = table.data
    rows = data.loc[(data["area_code"] == area) & (data["industry_code"] == industry)]
    assert len(rows) == 1, f"{area}/{industry} appears {len(rows)} times"
    return float(rows["employment"].iloc[0])


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def edit_csv(source: Path, tmp_path: Path, edit: dict[tuple[int, str], str]) -> Path:
    """Copy a fully quoted Nomis CSV, changing cells given as (data row index, column)."""
    rows = list(csv.reader(source.read_text(encoding="utf-8").splitlines()))
    header = rows[0]
    for (index, column), value in edit.items():
        rows[index + 1][header.index(column)] = value
    buffer = io.StringIO()
    csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(rows)
    return write(tmp_path, source.name, buffer.getvalue())


# -- layout detection ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "layout"),
    [
        (BRES_API, "nomis_bres"),
        (BRES_MULTI, "nomis_bres"),
        (BRES_REDUCED, "nomis_bres"),
        (WP605EW_WEB, "nomis_census_wide"),
        (WP605EW_BULK, "nomis_census_wide"),
        (TIDY, "tidy"),
    ],
    ids=lambda value: value.name if isinstance(value, Path) else value,
)
def test_detect_employment_format(path: Path, layout: str) -> None:
    assert detect_employment_format(path) == layout


@pytest.mark.parametrize(
    ("path", "layout"),
    [
        (BRES_API, "nomis_bres"),
        (BRES_REDUCED, "nomis_bres"),
        (WP605EW_WEB, "nomis_census_wide"),
        (WP605EW_BULK, "nomis_census_wide"),
        (TIDY, "tidy"),
    ],
    ids=lambda value: value.name if isinstance(value, Path) else value,
)
def test_read_employment_auto_uses_detected_layout(path: Path, layout: str) -> None:
    table = read_employment(path)
    assert table.format == layout
    assert table.source == path
    assert list(table.data.columns) == ["area_code", "industry_code", "year", "employment"]


@pytest.mark.parametrize("path", [BRES_API, BRES_REDUCED, TIDY], ids=lambda p: p.name)
def test_employment_is_float(path: Path) -> None:
    assert read_employment(path).data["employment"].dtype == "float64"


@pytest.mark.parametrize("path", [WP605EW_WEB, WP605EW_BULK], ids=lambda p: p.name)
def test_census_employment_is_float(path: Path) -> None:
    assert read_employment(path).data["employment"].dtype == "float64"


# -- Nomis BRES API export -------------------------------------------------------------------


def test_read_nomis_bres_api_values() -> None:
    table = read_nomis_bres(BRES_API)
    assert table.format == "nomis_bres"
    assert len(table.data) == 16
    assert sorted(table.data["industry_code"].unique()) == ["25", "28", "29", "46"]
    assert sorted(table.data["area_code"].unique()) == [
        "E01025614",
        "E01025615",
        "E01025616",
        "E01025617",
    ]
    assert cell(table, "E01025614", "29") == 1250
    assert cell(table, "E01025616", "46") == 150
    # A published zero stays zero.
    assert cell(table, "E01025616", "25") == 0


def test_read_nomis_bres_api_suppressed_cells_are_missing_not_zero() -> None:
    table = read_nomis_bres(BRES_API)
    # OBS_STATUS "Q" with an empty OBS_VALUE.
    assert math.isnan(cell(table, "E01025615", "29"))
    # OBS_CONF "T": confidential although Nomis gave a value.
    assert math.isnan(cell(table, "E01025617", "28"))
    assert table.n_suppressed == 2
    assert table.data["employment"].isna().sum() == 2
    assert any("2 suppressed cells kept as missing (not zero)" in n for n in table.notes)


def test_read_nomis_bres_api_labels() -> None:
    table = read_nomis_bres(BRES_API)
    assert table.area_names["E01025614"] == "Hinckley and Bosworth 001A"
    assert table.area_names["E01025617"] == "Hinckley and Bosworth 002B"
    assert (
        table.industry_names["29"]
        == "29 : Manufacture of motor vehicles, trailers and semi-trailers"
    )
    assert set(table.industry_names) == {"25", "28", "29", "46"}
    assert table.area_totals is None


def test_read_nomis_bres_gzip(tmp_path: Path) -> None:
    path = tmp_path / "nomis_bres_api.csv.gz"
    path.write_bytes(gzip.compress(BRES_API.read_bytes()))
    table = read_employment(path)
    assert table.format == "nomis_bres"
    assert cell(table, "E01025614", "29") == 1250
    assert table.n_suppressed == 2


def test_read_nomis_bres_industry_code_taken_from_name(tmp_path: Path) -> None:
    # Some Nomis industry types carry the SIC code only in INDUSTRY_NAME.
    edits = {(i, "INDUSTRY_CODE"): f"{146800665 + i}" for i in range(4)}
    path = edit_csv(BRES_API, tmp_path, edits)
    table = read_nomis_bres(path)
    assert sorted(table.data["industry_code"].unique()) == ["25", "28", "29", "46"]


def test_read_nomis_bres_non_normal_status_kept_and_noted(tmp_path: Path) -> None:
    path = edit_csv(BRES_API, tmp_path, {(0, "OBS_STATUS"): "P", (1, "OBS_STATUS"): "P"})
    table = read_nomis_bres(path)
    assert cell(table, "E01025614", "25") == 40
    assert any("non-normal OBS_STATUS kept with their value: P: 2" in n for n in table.notes)


@pytest.mark.parametrize("status", ["X", "!", "*", "-", "."])
def test_read_nomis_bres_other_suppression_markers(tmp_path: Path, status: str) -> None:
    path = edit_csv(BRES_API, tmp_path, {(0, "OBS_STATUS"): status, (0, "OBS_VALUE"): "0"})
    table = read_nomis_bres(path)
    assert math.isnan(cell(table, "E01025614", "25"))
    assert table.n_suppressed == 3


def test_read_nomis_bres_thousands_separators(tmp_path: Path) -> None:
    path = edit_csv(BRES_API, tmp_path, {(2, "OBS_VALUE"): "1,250"})
    assert cell(read_nomis_bres(path), "E01025614", "29") == 1250


def test_read_nomis_bres_keeps_counts_of_several_measures(tmp_path: Path) -> None:
    rows = list(csv.reader(BRES_API.read_text(encoding="utf-8").splitlines()))
    header = rows[0]
    extra = []
    for row in rows[1:5]:
        percent = list(row)
        percent[header.index("MEASURE")] = "2"
        percent[header.index("MEASURE_NAME")] = "Industry percentage"
        percent[header.index("OBS_VALUE")] = "12.5"
        extra.append(percent)
    buffer = io.StringIO()
    csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(rows + extra)
    path = write(tmp_path, "bres.csv", buffer.getvalue())
    table = read_nomis_bres(path)
    assert len(table.data) == 16
    assert cell(table, "E01025614", "29") == 1250
    assert any("kept MEASURE_NAME = Count; dropped 4 rows" in n for n in table.notes)


# -- choosing a year and an employment status ------------------------------------------------


def test_several_dates_without_date_keep_the_last_and_say_so() -> None:
    table = read_nomis_bres(BRES_MULTI, employment_status="Employment")
    assert table.years == [2022]
    assert "kept DATE = 2022 of 2 values in the file (the last year (set employment.date))" in (
        table.notes
    )
    with pytest.raises(InputDataError, match="only has DATE 2021–2022") as excinfo:
        read_nomis_bres(BRES_MULTI, date="2019", employment_status="Employment")
    assert str(BRES_MULTI) in str(excinfo.value)


def test_several_statuses_without_employment_status_is_an_error() -> None:
    with pytest.raises(
        InputDataError, match="several EMPLOYMENT_STATUS_NAME values: Employees, Employment"
    ) as excinfo:
        read_nomis_bres(BRES_MULTI, date="2022")
    message = str(excinfo.value)
    assert str(BRES_MULTI) in message
    assert "employment.employment_status" in message


def test_date_not_in_file_is_an_error() -> None:
    with pytest.raises(InputDataError, match=r"employment.date is '2019'") as excinfo:
        read_nomis_bres(BRES_MULTI, date="2019", employment_status="Employment")
    message = str(excinfo.value)
    assert str(BRES_MULTI) in message
    assert "only has DATE 2021–2022" in message


def test_employment_status_not_in_file_is_an_error() -> None:
    with pytest.raises(InputDataError, match="only has EMPLOYMENT_STATUS_NAME") as excinfo:
        read_nomis_bres(BRES_MULTI, date="2022", employment_status="Full-time employees")
    assert "Employees, Employment" in str(excinfo.value)


@pytest.mark.parametrize(
    ("date", "status", "expected"),
    [
        ("2022", "Employment", {"E01025614": 1250, "E01025616": 225}),
        ("2022", "Employees", {"E01025614": 1200, "E01025616": 200}),
        ("2021", "Employment", {"E01025614": 1125, "E01025616": 225}),
    ],
)
def test_date_and_employment_status_choice(
    date: str, status: str, expected: dict[str, float]
) -> None:
    table = read_employment(BRES_MULTI, date=date, employment_status=status)
    assert len(table.data) == 2
    assert {a: cell(table, a, "29") for a in expected} == expected
    assert f"kept DATE = {date} of 2 values in the file (employment.date)" in table.notes
    assert f"kept EMPLOYMENT_STATUS_NAME = {status} of 2 values in the file" in table.notes


def test_date_for_file_without_date_column(tmp_path: Path) -> None:
    path = write(tmp_path, "tidy_like.csv", "GEOGRAPHY_CODE,INDUSTRY_CODE,OBS_VALUE\nE1,29,5\n")
    with pytest.raises(InputDataError, match="no DATE column") as excinfo:
        read_nomis_bres(path, date="2022")
    assert "employment.date" in str(excinfo.value)


def test_date_with_a_census_table_is_an_error() -> None:
    # A census table has no year column: employment.date cannot choose among its years.
    with pytest.raises(InputDataError, match="has no year column") as excinfo:
        read_employment(WP605EW_WEB, date="2011")
    assert str(WP605EW_WEB) in str(excinfo.value)
    assert "employment.year" in str(excinfo.value)


# -- reduced BRES extract --------------------------------------------------------------------


def test_read_bres_reduced() -> None:
    table = read_employment(BRES_REDUCED)
    assert table.format == "nomis_bres"
    assert len(table.data) == 12
    # Leading zeros of SIC divisions survive.
    assert sorted(table.data["industry_code"].unique()) == ["03", "25", "29", "30"]
    assert cell(table, "UKF2", "29") == 4500
    assert cell(table, "UKG3", "03") == 15
    assert math.isnan(cell(table, "UKF2", "30"))
    assert table.n_suppressed == 1
    assert table.area_names["UKF2"] == "Leicestershire, Rutland and Northamptonshire"
    assert table.industry_names["03"] == "03 : Fishing and aquaculture"


def test_nomis_file_missing_value_column(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "bres.csv",
        "DATE,GEOGRAPHY_CODE,GEOGRAPHY_NAME,INDUSTRY_CODE,VALUE\n2021,UKF1,Derbys,29,5000\n",
    )
    with pytest.raises(InputDataError, match="is not a Nomis long CSV: it lacks COUNT") as excinfo:
        read_nomis_bres(path)
    message = str(excinfo.value)
    assert str(path) in message
    assert "VALUE" in message


# -- Census 2011 WP605EW ---------------------------------------------------------------------


def test_read_wp605ew_web_download() -> None:
    table = read_nomis_census_wide(WP605EW_WEB)
    assert table.format == "nomis_census_wide"
    assert len(table.data) == 5 * 20
    assert sorted(table.data["area_code"].unique()) == HINCKLEY_MSOAS
    assert sorted(table.data["industry_code"].unique()) == sorted(SECTIONS)
    assert cell(table, "E02005377", "C") == 459
    assert cell(table, "E02005378", "C") == 586
    assert cell(table, "E02005380", "R,S") == 345
    assert cell(table, "E02005381", "B") == 0
    assert table.n_suppressed == 0
    assert not table.data["employment"].isna().any()


def test_read_wp605ew_web_download_totals_and_names() -> None:
    table = read_nomis_census_wide(WP605EW_WEB)
    assert table.area_totals is not None
    assert table.area_totals.to_dict() == {
        "E02005377": 2678,
        "E02005378": 1627,
        "E02005379": 1326,
        "E02005380": 3374,
        "E02005381": 3796,
    }
    sums = table.data.groupby("area_code")["employment"].sum()
    pd.testing.assert_series_equal(
        sums.astype(float), table.area_totals.astype(float), check_names=False
    )
    assert table.area_names["E02005377"] == "Hinckley and Bosworth 001"
    assert table.industry_names["C"] == "C Manufacturing"
    assert table.industry_names["R,S"] == (
        "R,S Arts, entertainment and recreation; other service activities"
    )


def test_read_wp605ew_web_download_notes_preamble_and_footnotes() -> None:
    table = read_nomis_census_wide(WP605EW_WEB)
    assert "skipped 6 preamble lines of the Nomis download" in table.notes
    assert "ignored 1 footnote lines after the data" in table.notes


def test_read_wp605ew_bulk_matches_web_download() -> None:
    bulk = read_nomis_census_wide(WP605EW_BULK)
    web = read_nomis_census_wide(WP605EW_WEB)
    assert bulk.format == "nomis_census_wide"
    pd.testing.assert_frame_equal(bulk.data, web.data)
    assert bulk.area_totals is not None
    assert web.area_totals is not None
    assert bulk.area_totals.to_dict() == web.area_totals.to_dict()
    assert bulk.area_names["E02005379"] == "Hinckley and Bosworth 003"
    assert bulk.industry_names["C"] == "Industry: C Manufacturing; measures: Value"
    assert bulk.notes == []


def test_read_bulk_with_rural_urban_column(tmp_path: Path) -> None:
    lines = WP605EW_BULK.read_text(encoding="utf-8").splitlines()
    rows = list(csv.reader(lines))
    rows[0].insert(3, "Rural Urban")
    for row in rows[1:]:
        row.insert(3, "Total")
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    path = write(tmp_path, "bulk.csv", buffer.getvalue())
    table = read_employment(path)
    assert cell(table, "E02005377", "C") == 459
    assert len(table.data) == 100


def test_census_suppressed_cells(tmp_path: Path) -> None:
    text = WP605EW_WEB.read_text(encoding="utf-8")
    text = text.replace(
        "E02005378 : Hinckley and Bosworth 002,1627,6,3,",
        "E02005378 : Hinckley and Bosworth 002,1627,*,3,",
    )
    path = write(tmp_path, "wp605ew.csv", text)
    table = read_nomis_census_wide(path)
    assert math.isnan(cell(table, "E02005378", "A"))
    assert table.n_suppressed == 1
    # The published total stands for the area (the row is not checked against the sum).
    assert table.area_totals is not None
    assert table.area_totals["E02005378"] == 1627


def test_census_total_disagreeing_with_sum(tmp_path: Path) -> None:
    text = WP605EW_WEB.read_text(encoding="utf-8")
    text = text.replace(
        "E02005379 : Hinckley and Bosworth 003,1326,",
        "E02005379 : Hinckley and Bosworth 003,1426,",
    )
    path = write(tmp_path, "wp605ew.csv", text)
    with pytest.raises(InputDataError, match="differs from the sum") as excinfo:
        read_nomis_census_wide(path)
    message = str(excinfo.value)
    assert str(path) in message
    assert "'All categories: Industry'" in message
    # Header is line 7 of the file (after six preamble lines); E02005379 is line 10.
    assert "line 10;" in message


def test_census_header_from_another_table(tmp_path: Path) -> None:
    # WP606EW (occupation) has the same layout but its columns are not industries.
    text = (
        "2011 super output area - middle layer,All categories: Occupation,"
        '"1. Managers, directors and senior officials",2. Professional occupations,'
        "3. Associate professional and technical occupations\n"
        "E02005377 : Hinckley and Bosworth 001,1000,200,300,500\n"
    )
    path = write(tmp_path, "wp606ew.csv", text)
    assert detect_employment_format(path) == "nomis_census_wide"
    with pytest.raises(InputDataError, match="not UK SIC 2007 industries") as excinfo:
        read_employment(path)
    message = str(excinfo.value)
    assert str(path) in message
    assert "1. Managers, directors and senior officials" in message
    assert "no industry columns found" in message


def test_census_negative_counts(tmp_path: Path) -> None:
    text = WP605EW_WEB.read_text(encoding="utf-8").replace(
        "E02005381 : Hinckley and Bosworth 005,3796,81,",
        "E02005381 : Hinckley and Bosworth 005,3796,-81,",
    )
    path = write(tmp_path, "wp605ew.csv", text)
    with pytest.raises(InputDataError, match="negative employment on line 12;") as excinfo:
        read_nomis_census_wide(path)
    assert str(path) in str(excinfo.value)
    # A census table counts people: no advice to read it as GVA, measure or no measure.
    assert "gva" not in str(excinfo.value)


def _census_with_non_numeric_cell(tmp_path: Path) -> Path:
    text = WP605EW_WEB.read_text(encoding="utf-8").replace(
        "E02005377 : Hinckley and Bosworth 001,2678,52,",
        "E02005377 : Hinckley and Bosworth 001,2678,5z,",
    )
    return write(tmp_path, "wp605ew.csv", text)


def test_census_non_numeric_counts(tmp_path: Path) -> None:
    path = _census_with_non_numeric_cell(tmp_path)
    with pytest.raises(InputDataError, match="non-numeric counts on line 8 ") as excinfo:
        read_nomis_census_wide(path)
    message = str(excinfo.value)
    assert str(path) in message
    assert "5z" in message


def test_census_non_numeric_counts_lists_only_bad_values(tmp_path: Path) -> None:
    path = _census_with_non_numeric_cell(tmp_path)
    with pytest.raises(InputDataError) as excinfo:
        read_nomis_census_wide(path)
    assert "non-numeric counts on line 8 (values 5z)" in str(excinfo.value)


def test_census_without_area_labels(tmp_path: Path) -> None:
    path = write(tmp_path, "census.csv", "area,C Manufacturing,F Construction\nE02005377,1,2\n")
    with pytest.raises(InputDataError, match="does not look like a Nomis census table") as exc:
        read_nomis_census_wide(path)
    assert str(path) in str(exc.value)


# -- tidy ------------------------------------------------------------------------------------


def test_read_tidy() -> None:
    table = read_tidy_employment(TIDY)
    assert table.format == "tidy"
    assert len(table.data) == 6
    assert cell(table, "E02005378", "C") == 586
    assert math.isnan(cell(table, "E02005379", "G"))
    assert table.n_suppressed == 1
    assert table.area_totals is None


def test_tidy_codes_are_canonical(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "tidy.csv",
        "area_code,industry_code,employment\n"
        ' E02005377 ,29.10,10\nE02005377, f ,20\nE02005377,"R, S",30\n',
    )
    table = read_tidy_employment(path)
    assert table.data["industry_code"].tolist() == ["2910", "F", "R,S"]
    assert table.data["area_code"].tolist() == ["E02005377"] * 3


def test_tidy_missing_column(tmp_path: Path) -> None:
    path = write(tmp_path, "tidy.csv", "area_code,industry_code,count\nE02005377,C,5\n")
    with pytest.raises(InputDataError, match="lacks the column employment") as excinfo:
        read_employment(path, "tidy")
    message = str(excinfo.value)
    assert str(path) in message
    assert "it has area_code, industry_code, count" in message


# -- problems every layout reports -----------------------------------------------------------


@pytest.mark.parametrize("content", ["", "   \n\n", "\r\n"])
def test_empty_file(tmp_path: Path, content: str) -> None:
    path = write(tmp_path, "empty.csv", content)
    with pytest.raises(InputDataError, match="is empty") as excinfo:
        read_employment(path)
    assert str(path) in str(excinfo.value)


def test_empty_file_with_byte_order_mark(tmp_path: Path) -> None:
    path = write(tmp_path, "empty.csv", "\ufeff\r\n")
    with pytest.raises(InputDataError, match="is empty") as excinfo:
        read_employment(path)
    assert str(path) in str(excinfo.value)


def test_header_only_file(tmp_path: Path) -> None:
    path = write(tmp_path, "tidy.csv", "area_code,industry_code,employment\n")
    with pytest.raises(InputDataError, match="no data rows after the header") as excinfo:
        read_employment(path)
    assert str(path) in str(excinfo.value)


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.csv"
    with pytest.raises(InputDataError, match="does not exist") as excinfo:
        read_employment(path)
    assert str(path) in str(excinfo.value)


def test_unrecognised_layout(tmp_path: Path) -> None:
    # A Nomis API export of a table with no industry dimension (population estimates).
    path = write(
        tmp_path,
        "population.csv",
        "LSOA11CD,LSOA11NM,All Ages\nE01025614,Hinckley and Bosworth 001A,1587\n",
    )
    with pytest.raises(InputDataError, match="Cannot recognise the layout") as excinfo:
        read_employment(path)
    message = str(excinfo.value)
    assert str(path) in message
    assert "LSOA11CD,LSOA11NM,All Ages" in message
    assert "employment.format" in message


def test_single_column_file(tmp_path: Path) -> None:
    path = write(tmp_path, "codes.csv", "area_code\nE02005377\n")
    with pytest.raises(InputDataError, match="single column") as excinfo:
        read_tidy_employment(path)
    assert str(path) in str(excinfo.value)


def test_semicolon_delimited_tidy_is_read(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "tidy.csv",
        "area_code;industry_code;employment\r\nE02005377;C;459\r\nE02005377;G;407\r\n",
    )
    assert detect_employment_format(path) == "tidy"
    table = read_employment(path)
    assert cell(table, "E02005377", "C") == 459
    assert cell(table, "E02005377", "G") == 407


def test_semicolon_delimited_bres_is_read(tmp_path: Path) -> None:
    rows = list(csv.reader(BRES_REDUCED.read_text(encoding="utf-8").splitlines()))
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";", lineterminator="\r\n").writerows(rows)
    path = write(tmp_path, "bres.csv", buffer.getvalue())
    table = read_employment(path)
    assert cell(table, "UKF2", "29") == 4500
    assert table.area_names["UKF2"] == "Leicestershire, Rutland and Northamptonshire"
    assert (
        table.industry_names["25"]
        == "25 : Manufacture of fabricated metal products, except machinery and equipment"
    )


def test_semicolon_delimited_census_is_read(tmp_path: Path) -> None:
    # As Excel in a European locale saves WP605EW: ';' between fields, titles keep commas.
    lines = WP605EW_WEB.read_text(encoding="utf-8").splitlines()[6:12]
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";", lineterminator="\r\n").writerows(csv.reader(lines))
    path = write(tmp_path, "wp605ew.csv", buffer.getvalue())
    table = read_employment(path)
    assert cell(table, "E02005377", "C") == 459
    assert len(table.data) == 100


def test_latin1_file_is_read_with_a_note(tmp_path: Path) -> None:
    text = (
        "DATE,GEOGRAPHY_NAME,GEOGRAPHY_CODE,INDUSTRY_NAME,INDUSTRY_CODE,COUNT\n"
        '2021,Ynys Môn,W06000001,"29 : Manufacture of motor vehicles, trailers and '
        'semi-trailers",29,450\n'
        "2021,Ynys Môn,W06000001,03 : Fishing and aquaculture,03,75\n"
    )
    path = write(tmp_path, "bres_wales.csv", text, encoding="latin-1")
    table = read_employment(path)
    assert table.area_names["W06000001"] == "Ynys Môn"
    assert cell(table, "W06000001", "29") == 450
    assert any("bres_wales.csv is not UTF-8" in n and "Windows-1252" in n for n in table.notes)


def test_utf8_file_has_no_encoding_note(tmp_path: Path) -> None:
    text = "area_code,industry_code,employment\nW02000001,C,5\n"
    path = write(tmp_path, "tidy.csv", "\ufeff" + text)
    table = read_employment(path)
    assert not any("UTF-8" in n for n in table.notes)
    assert cell(table, "W02000001", "C") == 5


def test_negative_counts_name_lines(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "tidy.csv",
        "area_code,industry_code,employment\nE02005377,C,459\nE02005377,G,-5\nE02005378,C,-1\n",
    )
    with pytest.raises(InputDataError, match="negative employment on lines 3, 4") as excinfo:
        read_tidy_employment(path)
    assert str(path) in str(excinfo.value)


def test_negative_values_without_a_measure_suggest_one(tmp_path: Path) -> None:
    """A negative value with no measure stated may be GVA read as jobs: the message says how to
    say so; with a count measure stated it does not."""
    path = write(
        tmp_path,
        "tidy.csv",
        "area_code,industry_code,employment\nE02005377,C,459\nE02005377,G,-5\n",
    )
    with pytest.raises(InputDataError, match="negative employment on line 3;") as excinfo:
        read_tidy_employment(path)
    assert "employment.measure is not set" in str(excinfo.value)
    assert "gva_current_prices" in str(excinfo.value)
    with pytest.raises(InputDataError, match="negative employment on line 3;") as excinfo:
        read_tidy_employment(path, options=ReadOptions(measure="employees"))
    assert "employment.measure" not in str(excinfo.value)


def test_negative_counts_in_nomis_file(tmp_path: Path) -> None:
    path = edit_csv(BRES_API, tmp_path, {(4, "OBS_VALUE"): "-15"})
    with pytest.raises(InputDataError, match="negative employment on line 6") as excinfo:
        read_nomis_bres(path)
    assert str(path) in str(excinfo.value)
    assert "gva" not in str(excinfo.value)


def test_non_numeric_counts(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "tidy.csv",
        "area_code,industry_code,employment\nE02005377,C,459\nE02005377,G,four\nE02005378,C,12a\n",
    )
    with pytest.raises(InputDataError, match="non-numeric employment on lines 3, 4") as excinfo:
        read_tidy_employment(path)
    message = str(excinfo.value)
    assert str(path) in message
    assert "four, 12a" in message


def test_non_numeric_obs_value_not_marked_suppressed(tmp_path: Path) -> None:
    path = edit_csv(BRES_API, tmp_path, {(3, "OBS_VALUE"): "n/a"})
    with pytest.raises(InputDataError, match="OBS_VALUE is not a number on line 5") as excinfo:
        read_nomis_bres(path)
    message = str(excinfo.value)
    assert str(path) in message
    assert "n/a" in message


def test_non_numeric_count_in_reduced_extract_names_count_column(tmp_path: Path) -> None:
    text = BRES_REDUCED.read_text(encoding="utf-8").replace(
        "UKG3,03 : Fishing and aquaculture,03,15", "UKG3,03 : Fishing and aquaculture,03,n/a"
    )
    path = write(tmp_path, "bres_reduced.csv", text)
    with pytest.raises(InputDataError, match="COUNT is not a number on line 10") as excinfo:
        read_nomis_bres(path)
    assert "OBS_VALUE" not in str(excinfo.value)


def test_duplicate_area_industry(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "tidy.csv",
        "area_code,industry_code,employment\nE02005377,C,459\nE02005377,G,407\nE02005377,C,460\n",
    )
    with pytest.raises(InputDataError, match="appear more than once") as excinfo:
        read_tidy_employment(path)
    message = str(excinfo.value)
    assert str(path) in message
    assert "(E02005377/C) on lines 2, 4" in message


def test_duplicate_rows_in_nomis_file(tmp_path: Path) -> None:
    # Two years of "Employment" with the DATE column cut out: each cell appears twice.
    rows = list(csv.reader(BRES_MULTI.read_text(encoding="utf-8").splitlines()))
    header = rows[0]
    status = header.index("EMPLOYMENT_STATUS_NAME")
    keep = [i for i, column in enumerate(header) if column != "DATE"]
    trimmed = [[row[i] for i in keep] for row in rows if row[status] != "Employees"]
    buffer = io.StringIO()
    csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(trimmed)
    path = write(tmp_path, "bres.csv", buffer.getvalue())
    with pytest.raises(InputDataError, match="2 area x industry pairs") as excinfo:
        read_nomis_bres(path)
    assert "E01025614/29, E01025616/29" in str(excinfo.value)


def test_industry_codes_not_in_sic_2007(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "tidy.csv",
        "area_code,industry_code,employment\nE02005377,C,459\nE02005377,ZZ,5\n"
        "E02005377,1234567,5\nE02005377,34,1\n",
    )
    with pytest.raises(InputDataError, match="not UK SIC 2007") as excinfo:
        read_tidy_employment(path)
    message = str(excinfo.value)
    assert str(path) in message
    assert "1234567, 34, ZZ" in message


def test_empty_area_code(tmp_path: Path) -> None:
    path = write(tmp_path, "tidy.csv", "area_code,industry_code,employment\n,C,459\n")
    with pytest.raises(InputDataError, match="empty area code on line 2"):
        read_tidy_employment(path)


def test_every_problem_is_listed_at_once(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "tidy.csv",
        "area_code,industry_code,employment\nE02005377,C,-1\nE02005377,ZZ,x1\nE02005377,C,3\n",
    )
    with pytest.raises(InputDataError, match="has 4 problems") as excinfo:
        read_tidy_employment(path)
    message = str(excinfo.value)
    for part in ("non-numeric", "negative", "more than once", "not UK SIC 2007"):
        assert part in message


@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_lines_are_numbered_as_an_editor_numbers_them(newline: str) -> None:
    """Arrow skips empty lines and reads a quoted value across lines as one record: each row's
    line is still the line it starts on in the file."""
    rows = ["a,b,c", '1,"x', 'y",3', "4,5,6", "", "7,8,9"]
    raw = parse_delimited(newline.join(rows) + newline, Path("t.csv"))
    assert raw.lines().tolist() == [2, 4, 6]
    with pytest.raises(InputDataError, match="line 6 has fewer fields"):
        parse_delimited(newline.join([*rows[:-1], "7,8", "9,9,9"]) + newline, Path("t.csv"))
    preamble = parse_delimited(newline.join(["title", *rows]) + newline, Path("t.csv"), skip=1)
    assert preamble.lines().tolist() == [3, 5, 7]


def test_footnote_rows_come_back_in_place_with_their_lines() -> None:
    """A reader that takes short rows back (a Nomis census web download's footnotes) gets them
    where they stand in the file, padded, with their own lines."""
    text = "title\na,b,c\n1,2,3\nnote\n\n4,5,6\nfoot\n"
    raw = parse_delimited(text, Path("t.csv"), skip=1, stop_at_short_rows=False)
    assert raw.frame.to_numpy().tolist() == [
        ["1", "2", "3"],
        ["note", "", ""],
        ["4", "5", "6"],
        ["foot", "", ""],
    ]
    assert raw.lines().tolist() == [3, 4, 6, 7]
    assert raw.frame.attrs["padded_rows"] == {1, 3}
