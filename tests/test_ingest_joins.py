"""Tests for checking that boundaries and employment describe the same areas."""

from __future__ import annotations

from pathlib import Path

import pytest

from clustergeo._errors import InputDataError
from clustergeo.ingest.joins import check_area_join, describe_codes

BOUNDARIES = Path("boundaries/msoa_2011_bgc.geojson")
EMPLOYMENT = Path("employment/wp605ew.csv")

# 2011 MSOAs in Hinckley and Bosworth; ONS numbered 2021 MSOAs from E02006935 on.
MSOA_2011 = ["E02005377", "E02005378", "E02005379", "E02005380"]
MSOA_2021_NEW = ["E02006935", "E02006936", "E02006937", "E02006938"]
LSOA_2011 = ["E01025614", "E01025615", "E01025616", "E01025617", "E01025618"]


def check(boundary: list[str], employment: list[str]) -> list[str]:
    return check_area_join(
        boundary, employment, boundary_source=BOUNDARIES, employment_source=EMPLOYMENT
    )


def test_join_passes_when_every_area_has_employment() -> None:
    assert check(MSOA_2011, MSOA_2011 * 20) == []


def test_extra_employment_areas_are_noted() -> None:
    notes = check(MSOA_2011[:2], MSOA_2011)
    assert len(notes) == 1
    assert notes[0].startswith("2 areas in wp605ew.csv are not in the boundary file")
    assert "msoa_2011_bgc.geojson" in notes[0]
    assert "employment_file" in notes[0]


def test_a_stray_area_beside_a_covered_map_is_warned(caplog: pytest.LogCaptureFixture) -> None:
    """A table that covers every boundary area and one code more has a code the boundaries
    should have had: warned, naming it. A regional map of a national table is only noted."""
    districts = [f"E07{n:06d}" for n in range(100, 300)]
    with caplog.at_level("WARNING", logger="clustergeo.ingest.joins"):
        notes = check(districts, [*districts, "E07999999"])
    assert "(E07999999)" in notes[0]
    assert "1 of the 201 areas in wp605ew.csv are not in the boundary file" in caplog.text
    assert "E07999999. A code the boundaries lack" in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING", logger="clustergeo.ingest.joins"):
        check(districts[:20], districts)
        # Not before an error: a boundary area without rows is the problem then.
        with pytest.raises(InputDataError, match="have no rows"):
            check([*districts, "E07999998"], [*districts, "E07999999"])
    assert caplog.text == ""


def test_codes_differing_only_in_capitals_or_spaces_are_said_to(
    caplog: pytest.LogCaptureFixture,
) -> None:
    lower = [code.lower() for code in MSOA_2011]
    with pytest.raises(InputDataError, match="only in capitals or spaces") as excinfo:
        check(MSOA_2011, lower)
    assert "'e02005377' for 'E02005377'" in str(excinfo.value)
    assert "different kinds of areas" not in str(excinfo.value)
    # One such row beside its twin joins nothing: its jobs would leave the areas unsaid.
    with caplog.at_level("WARNING", logger="clustergeo.ingest.joins"):
        check(MSOA_2011, [*MSOA_2011, " e02005378 "])
    assert "differ from codes in the boundary file msoa_2011_bgc.geojson only in" in caplog.text
    assert "' e02005378 ' for 'E02005378'" in caplog.text


def test_vintage_mismatch_2011_boundaries_2021_table() -> None:
    with pytest.raises(InputDataError, match="boundary-vintage mismatch") as excinfo:
        check(MSOA_2011, MSOA_2021_NEW)
    message = str(excinfo.value)
    assert message.startswith("4 of the 4 areas in boundary file")
    assert str(BOUNDARIES) in message
    assert str(EMPLOYMENT) in message
    assert "E02005377, E02005378, E02005379, E02005380" in message
    assert "none match" in message
    assert "the boundaries are MSOAs (England)" in message
    assert "4 of them created in 2021 (2021 codes)" in message
    assert "2011 → 2021 lookup" in message


def test_vintage_mismatch_with_some_codes_shared() -> None:
    # Most 2021 MSOAs kept their 2011 codes; split or merged ones got new codes.
    with pytest.raises(InputDataError, match="Some codes differ") as excinfo:
        check(MSOA_2011, [*MSOA_2011[:3], *MSOA_2021_NEW[:2]])
    message = str(excinfo.value)
    assert message.startswith("1 of the 4 areas")
    assert "E02005380" in message
    assert "boundary-vintage mismatch" in message
    assert "2 of them created in 2021" in message
    assert "the table's codes not in the boundaries include E02006935, E02006936" in message
    assert "employment.vintage" in message


def test_codes_a_vintage_lookup_left_unconverted_point_to_the_lookup() -> None:
    """The lookup is already given: the message sends the user to its rows, not for one."""
    lookup = Path("lookups/msoa11_msoa21.csv")
    with pytest.raises(InputDataError, match="converted to the boundaries' vintage") as excinfo:
        check_area_join(
            MSOA_2011,
            [*MSOA_2011[:3], *MSOA_2021_NEW[:2]],
            boundary_source=BOUNDARIES,
            employment_source=EMPLOYMENT,
            vintage_lookup=lookup,
        )
    message = str(excinfo.value)
    assert "with the lookup lookups/msoa11_msoa21.csv (employment.vintage)" in message
    assert "include E02006935, E02006936" in message
    assert "give employment.vintage" not in message


def test_lsoa_table_with_msoa_boundaries() -> None:
    with pytest.raises(InputDataError, match="different kinds of areas") as excinfo:
        check(MSOA_2011, LSOA_2011)
    message = str(excinfo.value)
    assert str(BOUNDARIES) in message
    assert "the boundaries are MSOAs (England), the employment is LSOAs (England)" in message
    assert "same geography" in message


def test_employment_covering_fewer_areas() -> None:
    with pytest.raises(InputDataError, match="covers fewer areas") as excinfo:
        check(MSOA_2011, MSOA_2011[:3])
    message = str(excinfo.value)
    assert message.startswith("1 of the 4 areas in boundary file")
    assert "E02005380" in message
    assert str(EMPLOYMENT) in message


def test_missing_areas_are_listed_with_a_count_of_the_rest() -> None:
    boundary = [f"E020{n:05d}" for n in range(5377, 5397)]
    with pytest.raises(InputDataError, match="E02005392, … and 4 more") as excinfo:
        check(boundary, boundary[:8])
    assert str(excinfo.value).startswith("12 of the 20 areas")


@pytest.mark.parametrize(
    ("codes", "description"),
    [
        (MSOA_2011, "MSOAs (England)"),
        (["E02006934"], "MSOAs (England)"),  # the last 2011 MSOA code
        (["E02006935"], "MSOAs (England), 1 of them created in 2021 (2021 codes)"),
        ([*MSOA_2011, *MSOA_2021_NEW[:2]], "MSOAs (England), 2 of them created in 2021"),
        (LSOA_2011, "LSOAs (England)"),
        (["E01033768"], "LSOAs (England)"),
        (["E01033769"], "LSOAs (England), 1 of them created in 2021 (2021 codes)"),
        (["W02000423", "W02000424"], "MSOAs (Wales), 1 of them created in 2021"),
        (["E07000132", "E07000134", "E06000016"], "non-metropolitan districts; unitary"),
        (["E47000013"], "combined authorities"),
        (["UKF1", "UKF2"], "codes starting UKF"),
        ([*LSOA_2011, *MSOA_2011], "LSOAs (England); MSOAs (England)"),
    ],
)
def test_describe_codes(codes: list[str], description: str) -> None:
    assert describe_codes(codes).startswith(description)


def test_rows_for_regions_or_districts_beside_their_areas_are_refused() -> None:
    """A region's row is the sum of its districts: in the reference it counts them twice."""
    districts = ["E08000025", "E08000026"]
    with pytest.raises(InputDataError, match=r"rows for regions as well as for the areas \(E12"):
        check(districts, [*districts, "E12000005"])
    with pytest.raises(InputDataError, match=r"unitary authorities.*E06000016"):
        check(MSOA_2011, [*MSOA_2011, "E06000016"])
    # Areas of the same kind outside the boundaries are the reference economy's own.
    assert len(check(districts[:1], districts)) == 1
