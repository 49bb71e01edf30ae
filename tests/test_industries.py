"""Tests for the UK SIC 2007 hierarchy and cluster definitions (``clustergeo.industries``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from clustergeo._errors import InputDataError
from clustergeo.industries import (
    ClusterDefinition,
    normalise_sic_code,
    read_cluster_definitions,
    resolve_cluster_definitions,
    sic_hierarchy,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("29.10", "2910"),
        ("30.30", "3030"),
        (" c ", "C"),
        ("R, S", "R,S"),
        ("R,S", "R,S"),
        ("29 : Manufacture of motor vehicles, trailers and semi-trailers", "29"),
        ("01 : Crop and animal production, hunting and related service activities", "01"),
        ("29100", "29100"),
        (29, "29"),
    ],
)
def test_normalise_sic_code(raw: object, expected: str) -> None:
    assert normalise_sic_code(raw) == expected


@pytest.mark.parametrize(
    ("code", "valid"),
    [
        ("C", True),
        ("R,S", True),
        ("29", True),
        ("01", True),
        ("261", True),
        ("2910", True),
        ("29100", True),
        ("3030", True),
        ("01000", True),  # Nomis's pseudo subclass for DEFRA agricultural data
        ("ZZ", False),
        ("V", False),
        ("34", False),  # no division 34 in SIC 2007
        ("2999", False),  # no group 299
        ("1234567", False),
        ("2", False),
        ("R,ZZ", False),
        ("", False),
    ],
)
def test_sic_hierarchy_is_valid(code: str, valid: bool) -> None:
    assert sic_hierarchy().is_valid(code) is valid


def test_sic_hierarchy_levels_and_names() -> None:
    hierarchy = sic_hierarchy()
    assert hierarchy.level("C") == "section"
    assert hierarchy.level("29") == "division"
    assert hierarchy.level("291") == "group"
    assert hierarchy.level("2910") == "class"
    assert hierarchy.level("29100") == "subclass"
    assert hierarchy.name("C") == "Manufacturing"
    assert hierarchy.name("29") == "Manufacture of motor vehicles, trailers and semi-trailers"
    assert hierarchy.name("261") == "Manufacture of electronic components and boards"
    assert hierarchy.name("2910") == ""
    assert len(hierarchy.sections) == 21


@pytest.mark.parametrize(
    ("code", "section"),
    [("29", "C"), ("29100", "C"), ("01", "A"), ("C", "C"), ("R,S", "R,S"), ("62", "J")],
)
def test_section_of(code: str, section: str) -> None:
    assert sic_hierarchy().section_of(code) == section


@pytest.mark.parametrize(
    ("definition", "data", "covered"),
    [
        ("C", "29", True),  # a section covers its divisions
        ("C", "29100", True),
        ("F", "41", True),
        ("C", "41", False),
        ("261", "26110", True),  # "26.1" covers "26110"
        ("261", "262", False),
        ("29", "29", True),
        ("29", "C", False),  # a division does not cover its whole section
        ("R", "R,S", False),  # R does not cover the combined R,S column
        ("R", "R", True),
        ("2910", "291", False),
    ],
)
def test_covers(definition: str, data: str, covered: bool) -> None:
    assert sic_hierarchy().covers(definition, data) is covered


def test_overlaps() -> None:
    hierarchy = sic_hierarchy()
    assert hierarchy.overlaps("29", "C")
    assert hierarchy.overlaps("R", "R,S")
    assert hierarchy.overlaps("C", "29")
    assert not hierarchy.overlaps("29", "F")


def _definition(key: str, *codes: str) -> ClusterDefinition:
    return ClusterDefinition(key=key, label=key.title(), sic_codes=codes)


def test_resolve_division_definition_against_section_data_is_unresolved() -> None:
    resolution = resolve_cluster_definitions([_definition("automotive", "29")], ["C", "F", "G"])
    assert resolution.resolved == []
    reason = resolution.unresolved["automotive"]
    assert "finer industry detail" in reason
    assert "C" in reason


def test_resolve_section_definition_against_division_data() -> None:
    resolution = resolve_cluster_definitions(
        [_definition("construction", "F")], ["10", "29", "41", "42", "43", "46"]
    )
    assert resolution.unresolved == {}
    (resolved,) = resolution.resolved
    assert resolved.key == "construction"
    assert resolved.industry_codes == ("41", "42", "43")


def test_resolve_definition_with_no_codes_in_data() -> None:
    resolution = resolve_cluster_definitions([_definition("aerospace", "3030")], ["10", "41"])
    assert resolution.resolved == []
    assert resolution.unresolved["aerospace"] == "none of its codes appear in the data"


def test_resolve_combined_rs_column_is_too_coarse_for_section_r() -> None:
    resolution = resolve_cluster_definitions([_definition("arts", "R")], ["C", "R,S"])
    assert "R,S" in resolution.unresolved["arts"]


def test_resolve_combined_de_column_is_covered_by_sections_d_and_e_together() -> None:
    """ONS GVA publishes sections D and E as one row ('DE (35-39)'): a D+E definition is it."""
    both = _definition("energy_waste", "D", "E")
    resolution = resolve_cluster_definitions([both, _definition("energy", "D")], ["C", "D,E"])
    assert [d.key for d in resolution.resolved] == ["energy_waste"]
    assert resolution.resolved[0].industry_codes == ("D,E",)
    assert "D,E" in resolution.unresolved["energy"]


def test_shipped_default_definitions_load() -> None:
    definitions = read_cluster_definitions()
    keys = [d.key for d in definitions]
    assert keys == [
        "automotive",
        "aerospace",
        "digital_ict",
        "food_drink",
        "ceramics",
        "circular_economy",
        "construction",
    ]
    automotive = definitions[0]
    assert automotive.sic_codes == ("29", "2211", "2720")
    assert automotive.label == "Automotive and mobility"
    assert "\n" not in automotive.description
    hierarchy = sic_hierarchy()
    assert all(hierarchy.is_valid(c) for d in definitions for c in d.sic_codes)


def test_default_definitions_resolve_against_division_data() -> None:
    divisions = list(sic_hierarchy().divisions)
    resolution = resolve_cluster_definitions(read_cluster_definitions("default"), divisions)
    resolved = {d.key: d for d in resolution.resolved}
    assert resolved["construction"].industry_codes == ("41", "42", "43")
    assert resolved["food_drink"].industry_codes == ("10", "11")
    # Automotive needs 22.11 and 27.20, finer than divisions 22 and 27.
    assert "automotive" in resolution.unresolved


def test_custom_definitions_file(tmp_path: Path) -> None:
    path = tmp_path / "clusters.yaml"
    path.write_text(
        "clusters:\n"
        "  rail:\n"
        "    label: Rail\n"
        "    description: |\n"
        "      Rolling stock\n"
        "      and repair.\n"
        "    sic: ['30.20', '33.17']\n",
        encoding="utf-8",
    )
    (rail,) = read_cluster_definitions(path)
    assert rail.key == "rail"
    assert rail.sic_codes == ("3020", "3317")
    assert rail.description == "Rolling stock and repair."


def test_bad_definitions_give_one_error_listing_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "clusters.yaml"
    path.write_text(
        "clusters:\n"
        "  Bad-Key:\n"
        "    sic: ['29']\n"
        "  space:\n"
        "    label: Space\n"
        "    sic: ['30.30', 'ZZ', '1234567']\n"
        "  empty:\n"
        "    label: Nothing\n"
        "  typo:\n"
        "    label: Typo\n"
        "    sics: ['10']\n",
        encoding="utf-8",
    )
    with pytest.raises(InputDataError, match="4 problems") as excinfo:
        read_cluster_definitions(path)
    message = str(excinfo.value)
    assert str(path) in message
    assert "key 'Bad-Key' must be lower case" in message
    assert "'space' lists codes that are not UK SIC 2007 codes: ZZ, 1234567" in message
    assert "'empty' has no 'sic' list" in message
    assert "'typo' has no 'sic' list" in message


def test_unquoted_codes_are_refused_before_they_name_other_industries(tmp_path: Path) -> None:
    path = tmp_path / "clusters.yaml"
    # YAML reads 01.1 as 1.1 (read back as division 11, beverages) and 0111 as octal 73.
    path.write_text(
        "clusters:\n"
        "  crops: {label: Crops, sic: [01.1, '29']}\n"
        "  growing: {label: Growing, sic: [0111]}\n"
        "  cars: {label: Cars, sic: 29}\n"
        "  odd: {label: Odd, sic: {a: 1}}\n"
        "  one: {label: One, sic: '29.10'}\n",
        encoding="utf-8",
    )
    with pytest.raises(InputDataError, match="4 problems") as excinfo:
        read_cluster_definitions(path)
    message = str(excinfo.value)
    assert "'crops': write every SIC code in quotes: 1.1 was read as a number" in message
    assert "'growing': write every SIC code in quotes: 73 was read as a number" in message
    assert "'cars': write every SIC code in quotes: 29 was read as a number" in message
    assert "'odd': 'sic' must be a list of codes" in message
    # One code written alone, as text, is one code.
    path.write_text("clusters:\n  one: {label: One, sic: '29.10'}\n", encoding="utf-8")
    assert read_cluster_definitions(path)[0].sic_codes == ("2910",)


def test_definitions_with_unknown_field_and_combined_code(tmp_path: Path) -> None:
    path = tmp_path / "clusters.yaml"
    path.write_text(
        "clusters:\n  arts:\n    lable: Arts\n    sic: ['R,S']\n",
        encoding="utf-8",
    )
    with pytest.raises(InputDataError, match="2 problems") as excinfo:
        read_cluster_definitions(path)
    message = str(excinfo.value)
    assert "unknown fields lable" in message
    assert "R,S" in message


def test_definitions_without_clusters_mapping(tmp_path: Path) -> None:
    path = tmp_path / "clusters.yaml"
    path.write_text("- automotive\n- aerospace\n", encoding="utf-8")
    with pytest.raises(InputDataError, match="top-level 'clusters:' mapping") as excinfo:
        read_cluster_definitions(path)
    assert str(path) in str(excinfo.value)


def test_definitions_that_are_not_yaml(tmp_path: Path) -> None:
    path = tmp_path / "clusters.yaml"
    path.write_text("clusters: {automotive: [29\n", encoding="utf-8")
    with pytest.raises(InputDataError, match="not valid YAML") as excinfo:
        read_cluster_definitions(path)
    assert str(path) in str(excinfo.value)


def test_industrial_strategy_sectors_are_the_eight_with_sources() -> None:
    definitions = read_cluster_definitions("industrial_strategy")
    assert [d.key for d in definitions] == [
        "advanced_manufacturing",
        "clean_energy",
        "creative_industries",
        "defence",
        "digital_technologies",
        "financial_services",
        "life_sciences",
        "professional_business_services",
    ]
    for definition in definitions:
        assert any("Industrial Strategy Sector Definitions List" in s for s in definition.sources)
        assert definition.traded
    # Where the government publishes no SIC definition, the list says it is a best fit.
    best_fit = {d.key for d in definitions if d.description.startswith("Best fit")}
    assert {"clean_energy", "defence", "digital_technologies"} <= best_fit


@pytest.mark.realdata
def test_industrial_strategy_sectors_resolve_against_bres_subclasses(shared_data: Path) -> None:
    """Every sector is computable from BRES at SIC 5 digits; codes BRES omits are listed."""
    table = (
        shared_data
        / "bres_itl2_sic_2015_2021"
        / "bres_fulltimeemployees_gb_sic5digit_2009_2021.csv"
    )
    codes = {
        line.split(",")[2]
        for line in table.read_text(encoding="utf-8").splitlines()[1:]
        if line.count(",") >= 3
    }
    resolution = resolve_cluster_definitions(read_cluster_definitions("industrial_strategy"), codes)
    assert resolution.unresolved == {}
    assert len(resolution.resolved) == 8
    # The GB file leaves out a few subclasses (e.g. 28.11 engines and turbines, 26.60
    # electromedical equipment): they are listed, and each sector keeps most of its codes.
    assert resolution.missing_codes["life_sciences"] == ["2660"]
    assert all(share < 0.25 for share in resolution.missing_share.values())


@pytest.mark.parametrize(
    ("codes", "traded"),
    [
        (["F"], False),
        (["47", "56"], False),
        # Households as employers of domestic staff follow where wealthy households live.
        (["T"], False),
        (["97"], False),
        # Higher education and hotels sell well beyond their area.
        (["854"], True),
        (["55"], True),
        (["S"], True),
        (["C", "F"], True),
    ],
)
def test_local_serving_industries_are_not_traded(codes: list[str], traded: bool) -> None:
    from clustergeo.industries import is_traded

    assert is_traded(codes) is traded
