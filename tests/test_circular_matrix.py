"""The producer -> user matrix: shipped matrices valid and sourced, bad files reported whole."""

from __future__ import annotations

from pathlib import Path

import pytest

from clustergeo._errors import InputDataError
from clustergeo.circular.matrix import read_streams, resolve_streams, shipped_matrices
from clustergeo.industries import sic_hierarchy

SECTIONS = [*list("ABCDEFGHIJKLMNOPQ"), "R,S", "T", "U"]


def test_shipped_matrices_are_valid_sourced_and_cover_the_issue_streams() -> None:
    assert shipped_matrices() == ["default", "sections"]
    default = {s.key: s for s in read_streams("default")}
    assert set(default) == {
        "construction_demolition",
        "food_drink_residues",
        "metals",
        "plastics",
        "paper",
        "wood_pallets",
        "plasterboard_gypsum",
        "weee",
        "end_of_life_vehicles",
        "chemicals_solvents",
    }
    hierarchy = sic_hierarchy()
    for matrix in shipped_matrices():
        for stream in read_streams(matrix):
            assert stream.sources, stream.key
            assert stream.producer_codes
            assert stream.user_codes
            assert not any(
                hierarchy.overlaps(p, u) for p in stream.producer_codes for u in stream.user_codes
            )
    for stream in read_streams("sections"):
        assert stream.finer, f"{stream.key} must say what finer detail adds"


def test_section_streams_run_on_section_data_and_class_streams_say_why_not() -> None:
    sections = resolve_streams(read_streams("sections"), SECTIONS)
    assert not sections.unresolved
    demolition = next(s for s in sections.resolved if s.key == "construction_demolition")
    assert demolition.producer_industries == ("F",)
    assert demolition.user_industries == ("E",)
    detailed = resolve_streams(read_streams("default"), SECTIONS)
    assert not detailed.resolved
    assert "finer industry detail" in detailed.unresolved["construction_demolition"]
    assert detailed.unresolved["construction_demolition"].startswith("producers:")


def test_class_level_data_resolve_a_stream_to_its_classes() -> None:
    data = [
        "41100",
        "42110",
        "43110",
        "38110",
        "38210",
        "38320",
        "08120",
        "23610",
        "23630",
        "47110",
    ]
    resolved = resolve_streams(read_streams("default"), data)
    demolition = next(s for s in resolved.resolved if s.key == "construction_demolition")
    assert demolition.producer_industries == ("41100", "42110", "43110")
    assert demolition.user_industries == ("08120", "23610", "23630", "38110", "38210", "38320")


def test_a_bad_matrix_lists_every_problem_with_the_stream(tmp_path: Path) -> None:
    path = tmp_path / "streams.yaml"
    path.write_text(
        "streams:\n"
        "  Bad-Key: {producers: {sic: [F]}, users: {sic: [E]}, sources: [x]}\n"
        "  no_users: {producers: {sic: [F]}, sources: [x]}\n"
        "  bad_code: {producers: {sic: ['99.99']}, users: {sic: [E]}, sources: [x]}\n"
        "  shared: {producers: {sic: ['38']}, users: {sic: ['38.32']}, sources: [x]}\n"
        "  unsourced: {producers: {sic: [F]}, users: {sic: [E]}}\n"
        "  typo: {producers: {sic: [F]}, users: {sic: [E]}, sources: [x], tonnes: 3}\n"
        # YAML reads 02.10 as the number 2.1, which would read back as division 21.
        "  unquoted: {producers: {sic: [02.10]}, users: {sic: [E]}, sources: [x]}\n",
        encoding="utf-8",
    )
    with pytest.raises(InputDataError) as error:
        read_streams(path)
    message = str(error.value)
    assert str(path) in message
    for expected in (
        "key 'Bad-Key'",
        "'no_users': 'users' needs a 'sic' list",
        "'bad_code': producers list codes that are not UK SIC 2007 codes: 9999",
        "'shared': producers and users share industries (38 / 3832)",
        "'unsourced' has no 'sources'",
        "'typo' has unknown fields tonnes",
        "'unquoted': producers: write every SIC code in quotes: 2.1 was read as a number",
    ):
        assert expected in message


def test_a_missing_or_unparsable_matrix_says_what_to_give(tmp_path: Path) -> None:
    with pytest.raises(InputDataError, match="does not exist"):
        read_streams(tmp_path / "absent.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("streams: [", encoding="utf-8")
    with pytest.raises(InputDataError, match="not valid YAML"):
        read_streams(broken)
