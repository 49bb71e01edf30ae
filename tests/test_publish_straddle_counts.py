"""The key findings count straddling findings by the rule the report's section uses."""

from __future__ import annotations

import pandas as pd
import pytest

from clustergeo.governance.summaries import (
    district_straddles,
    district_straddles_sentence,
    straddling_clusters,
)
from clustergeo.publish.key_findings import key_findings
from clustergeo.publish.report import _cluster_blocks
from conftest import plain_framing


@pytest.fixture
def findings() -> pd.DataFrame:
    """Three findings: one straddling by its core, one only by its extent, one inside."""
    return pd.DataFrame(
        {
            "cluster_id": ["a", "b", "c"],
            "name": ["Widgets: Northtown", "Gadgets: Southby", "Bolts: Westham"],
            "label": ["Widgets", "Gadgets", "Bolts"],
            "kind": ["cluster"] * 3,
            "strength": [90.0, 60.0, 30.0],
            "employment": [900.0, 600.0, 300.0],
            "employment_share": [0.2, 0.1, 0.05],
            "lq": [2.0, 1.8, 1.5],
            "n_units": [4, 3, 2],
            "straddles_districts": [True, False, False],
            # A missing flag (a finding the extent rule did not assess) counts as "no".
            "extent_straddles_districts": [True, True, None],
            "districts": ["North; East", "South", "West"],
            "extent_districts": ["North; East", "South; East", "West"],
        }
    )


@pytest.fixture
def links() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "cluster_id": ["a", "a", "b", "b", "b", "c"],
            "tier": ["district"] * 6,
            "part": ["core", "core", "core", "extent", "extent", "core"],
            "relation": ["lead", "shares", "lead", "lead", "shares", "lead"],
            "authority_name": ["North", "East", "South", "South", "East", "West"],
            "employment_share": [0.6, 0.4, 1.0, 0.7, 0.3, 1.0],
        }
    )


def _key_findings_text(findings: pd.DataFrame, links: pd.DataFrame) -> str:
    return "\n".join(
        key_findings(
            findings=findings,
            links=links,
            sites=None,
            global_statistics=None,
            n_industries=3,
            framing=plain_framing(),
        )
    )


def test_straddles_by_core_and_by_core_or_extent(findings: pd.DataFrame) -> None:
    flags = district_straddles(findings)
    assert flags["core"].tolist() == [True, False, False]
    assert flags["core_or_extent"].tolist() == [True, True, False]
    assert district_straddles_sentence(findings) == (
        "2 findings straddle district boundaries by core or extent (1 by the core itself)"
    )


def test_a_run_without_districts_has_no_straddles(findings: pd.DataFrame) -> None:
    bare = findings.drop(columns=["straddles_districts", "extent_straddles_districts"])
    assert not district_straddles(bare).to_numpy().any()
    assert district_straddles_sentence(bare) == (
        "No finding straddles a district boundary by its core or its extent"
    )


def test_key_findings_and_the_straddle_section_give_the_same_counts(
    findings: pd.DataFrame, links: pd.DataFrame
) -> None:
    items = key_findings(
        findings=findings,
        links=links,
        sites=None,
        global_statistics=None,
        n_industries=3,
        framing=plain_framing(),
    )
    sentence = district_straddles_sentence(findings)
    # Every straddler is named, with the districts that make it one (the extent's for b).
    assert f"{sentence}, so support needs authorities to work together: " in "\n".join(items)
    assert "Widgets: Northtown (North, East); Gadgets: Southby (South, East)." in "\n".join(items)
    section = [b.text for b in _cluster_blocks(findings, links, plain_framing()) if b.kind == "p"]
    assert any(text.startswith(f"{sentence};") for text in section)
    assert len(straddling_clusters(findings, links)) == 2


def test_a_straddling_finding_lists_its_lead_district_first(findings: pd.DataFrame) -> None:
    from clustergeo.publish.key_findings import _straddled_districts

    row = findings.iloc[0].copy()
    row["lead_district"] = "North"
    assert _straddled_districts(row, core=True) == "North, East"
    row["lead_district"] = "East"
    assert _straddled_districts(row, core=True) == "East, North"


def test_a_finding_listed_for_its_extent_gives_the_extents_counties_and_authority(
    findings: pd.DataFrame, links: pd.DataFrame
) -> None:
    governed = findings.assign(
        ca_status=["within_one_ca", "within_one_ca", "within_one_ca"],
        extent_ca_status=["within_one_ca", "partly_outside_ca", "within_one_ca"],
    )
    counties = pd.DataFrame(
        {
            "cluster_id": ["a", "a", "a", "a", "b", "b", "b"],
            "tier": ["upper_tier"] * 7,
            "part": ["core", "core", "extent", "extent", "core", "extent", "extent"],
            "relation": ["lead", "shares", "lead", "shares", "lead", "lead", "shares"],
            "authority_name": ["Northshire", "Eastshire"] * 2 + ["Northshire"] * 2 + ["Eastshire"],
            "employment_share": [0.9, 0.1, 0.8, 0.2, 1.0, 0.6, 0.4],
        }
    )
    table = straddling_clusters(governed, pd.concat([links, counties])).set_index("Finding")
    # An extent in the core's counties, in other shares, leaves the core's cell as it is.
    assert table.loc["Widgets: Northtown", "Counties or unitaries"] == (
        "Northshire 90%, Eastshire 10%"
    )
    assert table.loc["Widgets: Northtown", "Combined authority"] == "within one"
    # Listed for its extent: the extent's counties and authority follow the core's.
    gadgets = table.loc["Gadgets: Southby"]
    assert gadgets["Counties or unitaries"] == (
        "Northshire 100% (extent: Northshire 60%, Eastshire 40%)"
    )
    assert gadgets["Combined authority"] == "within one (extent: partly outside any)"
    assert gadgets["Extent districts"] == "South 70%, East 30%"


def test_upper_tier_and_regional_lines_are_counted_on_the_districts_basis(
    findings: pd.DataFrame, links: pd.DataFrame
) -> None:
    # a crosses a county line by its core; b only by its extent; c does not.
    governed = findings.assign(
        straddles_counties=[True, False, False],
        extent_straddles_counties=[True, True, False],
        straddles_regions=[True, False, False],
        extent_straddles_regions=[True, False, None],
    )
    text = _key_findings_text(governed, links)
    assert (
        "2 findings cross upper-tier lines as well (between counties, unitary authorities or "
        "metropolitan boroughs) by core or extent (1 by the core itself)." in text
    )
    # Both bases agree for the regions: no qualifier.
    assert "1 finding crosses a regional boundary: Widgets: Northtown." in text
    section = [b.text for b in _cluster_blocks(governed, links, plain_framing()) if b.kind == "p"]
    assert any(
        "2 findings cross upper-tier boundaries (between counties, unitary authorities or "
        "metropolitan boroughs) by core or extent (1 by the core itself)." in t
        for t in section
    )


def test_a_finding_partly_outside_any_combined_authority_says_how_much_lies_where(
    findings: pd.DataFrame, links: pd.DataFrame
) -> None:
    governed = findings.assign(
        ca_status=["partly_outside_ca", "within_one_ca", "within_one_ca"],
        extent_ca_status=["partly_outside_ca", "partly_outside_ca", "within_one_ca"],
    )
    authorities = pd.DataFrame(
        {
            "cluster_id": ["a", "a", "b"],
            "tier": ["combined_authority"] * 3,
            "part": ["core", "extent", "extent"],
            # a: 8% of its core in the East Midlands, a touch of 3% in the West Midlands.
            "relation": ["lead", "lead", "lead"],
            "authority_name": ["East Midlands", "East Midlands", "West Midlands"],
            "employment_share": [0.08, 0.1, 0.6],
        }
    )
    touch = authorities.iloc[[0]].assign(
        relation="touches", authority_name="West Midlands", employment_share=0.03
    )
    table = straddling_clusters(governed, pd.concat([links, authorities, touch])).set_index(
        "Finding"
    )
    assert table.loc["Widgets: Northtown", "Combined authority"] == (
        "partly outside any: East Midlands 8%, West Midlands 3%, none 89%"
    )
    assert table.loc["Gadgets: Southby", "Combined authority"] == (
        "within one (extent: partly outside any: West Midlands 60%, none 40%)"
    )


def test_a_finding_within_one_authority_names_it_and_london_reads_as_the_gla(
    findings: pd.DataFrame, links: pd.DataFrame
) -> None:
    governed = findings.assign(
        ca_status=["within_one_ca", "partly_outside_ca", "within_one_ca"],
        extent_ca_status=["within_one_ca", "partly_outside_ca", "within_one_ca"],
    )
    authorities = pd.DataFrame(
        {
            "cluster_id": ["a", "b", "b"],
            "tier": ["combined_authority"] * 3,
            "part": ["core", "core", "extent"],
            "relation": ["lead"] * 3,
            "authority_name": ["Greater London Authority", "West Midlands", "West Midlands"],
            "employment_share": [1.0, 0.7, 0.6],
        }
    )
    table = straddling_clusters(governed, pd.concat([links, authorities])).set_index("Finding")
    # The GLA is on the tier without being a combined authority (clustergeo.london).
    assert table.loc["Widgets: Northtown", "Combined authority"] == (
        "within the Greater London Authority"
    )
    assert table.loc["Gadgets: Southby", "Combined authority"] == (
        "partly outside any: West Midlands 70%, none 30%"
    )


def test_more_straddlers_than_are_named_are_said_to_be_the_strongest(
    findings: pd.DataFrame, links: pd.DataFrame
) -> None:
    many = pd.concat(
        [findings.iloc[[0]].assign(cluster_id=f"s{i}", name=f"Widgets: Town {i}") for i in range(4)]
    ).assign(strength=[90.0, 80.0, 70.0, 60.0])
    text = _key_findings_text(many, links)
    assert (
        "so support needs authorities to work together. The strongest three: Widgets: Town 0 "
        in text
    )
    assert "Widgets: Town 3" not in text


def test_a_straddling_findings_touches_follow_its_shares(
    findings: pd.DataFrame, links: pd.DataFrame
) -> None:
    touches = pd.DataFrame(
        {
            "cluster_id": ["a", "a"],
            "tier": ["district"] * 2,
            "part": ["core"] * 2,
            "relation": ["touches"] * 2,
            "authority_name": ["West", "Far"],
            # West's 4% is named; Far's half a percent is not.
            "employment_share": [0.04, 0.005],
        }
    )
    table = straddling_clusters(findings, pd.concat([links, touches])).set_index("Finding")
    assert table.loc["Widgets: Northtown", "Districts"] == "North 60%, East 40%; touches West 4%"
