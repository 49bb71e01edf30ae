"""Governance overlay: upper tiers, authority links, straddle flags and nearby authorities."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from clustergeo.governance.overlay import (
    add_upper_tier,
    authority_links,
    governance_flags,
    nearby_authorities,
)
from conftest import GRID_X0 as X0
from conftest import GRID_Y0 as Y0
from conftest import square_grid

WARKS = ("E10000031", "Warwickshire")
LEICS = ("E10000018", "Leicestershire")
WMCA = ("E47000007", "West Midlands")
EMCCA = ("E47000018", "East Midlands")
WEST = ("E12000005", "West Midlands")
EAST = ("E12000004", "East Midlands")
NONE = (None, None)

#: district code -> (name, county, combined authority, region)
DISTRICTS: dict[str, tuple[str, tuple[Any, Any], tuple[Any, Any], tuple[str, str]]] = {
    "E07000219": ("Nuneaton and Bedworth", WARKS, NONE, WEST),
    "E07000220": ("Rugby", WARKS, NONE, WEST),
    "E07000222": ("Warwick", WARKS, NONE, WEST),
    "E07000132": ("Hinckley and Bosworth", LEICS, NONE, EAST),
    "E06000016": ("Leicester", NONE, NONE, EAST),
    "E08000026": ("Coventry", NONE, WMCA, WEST),
    "E08000025": ("Birmingham", NONE, WMCA, WEST),
    "E06000015": ("Derby", NONE, EMCCA, EAST),
}


def _pieces(owners: dict[str, list[tuple[str | None, float]]]) -> pd.DataFrame:
    """Pieces of each owner: (district code or None for no authority at all, employment)."""
    rows = []
    for owner, parts in owners.items():
        for district, employment in parts:
            row: dict[str, Any] = {"cluster_id": owner, "employment": employment}
            if district is None:
                for tier in ("district", "upper_tier", "combined_authority", "region"):
                    row[f"{tier}_code"] = row[f"{tier}_name"] = None
            else:
                name, county, ca, region = DISTRICTS[district]
                upper = county if county[0] is not None else (district, name)
                row.update(
                    district_code=district,
                    district_name=name,
                    upper_tier_code=upper[0],
                    upper_tier_name=upper[1],
                    combined_authority_code=ca[0],
                    combined_authority_name=ca[1],
                    region_code=region[0],
                    region_name=region[1],
                )
            rows.append(row)
    return pd.DataFrame(rows)


# --- upper tier ------------------------------------------------------------------------------


def test_upper_tier_is_the_county_else_the_district_itself() -> None:
    areas = pd.DataFrame(
        {
            "area_code": ["a", "b", "c", "d"],
            "district_code": ["E07000219", "E08000026", "E06000016", "E07000132"],
            "district_name": ["Nuneaton and Bedworth", "Coventry", "Leicester", "Hinckley"],
            "county_code": ["E10000031", None, "", "E10000018"],
            "county_name": ["Warwickshire", None, "", "Leicestershire"],
        }
    )
    tiered = add_upper_tier(areas)
    assert tiered["upper_tier_code"].tolist() == [
        "E10000031",
        "E08000026",
        "E06000016",
        "E10000018",
    ]
    assert tiered["upper_tier_name"].tolist() == [
        "Warwickshire",
        "Coventry",
        "Leicester",
        "Leicestershire",
    ]
    # The input is left as it was.
    assert "upper_tier_code" not in areas


def test_upper_tier_is_not_added_without_counties() -> None:
    areas = pd.DataFrame(
        {"area_code": ["a"], "district_code": ["E08000026"], "district_name": ["Coventry"]}
    )
    tiered = add_upper_tier(areas)
    assert list(tiered.columns) == ["area_code", "district_code", "district_name"]
    pd.testing.assert_frame_equal(tiered, areas)


def test_upper_tier_without_districts_is_the_county_or_unknown() -> None:
    """Without districts an area outside every county may be in any unitary: unknown."""
    counties_only = pd.DataFrame(
        {"county_code": ["E10000031", None, ""], "county_name": ["Warwickshire", None, ""]}
    )
    tiered = add_upper_tier(counties_only)
    assert tiered["upper_tier_code"].tolist() == ["E10000031", pd.NA, pd.NA]
    assert tiered["upper_tier_name"].tolist() == ["Warwickshire", pd.NA, pd.NA]


# --- links -----------------------------------------------------------------------------------


@pytest.fixture
def link_pieces() -> pd.DataFrame:
    pieces = _pieces(
        {
            "C-1": [("E07000219", 60.0), ("E07000132", 30.0), ("E08000026", 10.0)],
            "C-2": [("E08000026", 50.0)],
        }
    )
    pieces["area_km2"] = [1.0, 2.0, 1.0, 3.0]
    return pieces


def test_authority_links_shares_and_order(link_pieces: pd.DataFrame) -> None:
    links = authority_links(link_pieces, "cluster_id", ["employment", "area_km2"])
    assert list(links.columns) == [
        "cluster_id",
        "tier",
        "authority_code",
        "authority_name",
        "n_pieces",
        "employment",
        "employment_share",
        "area_km2",
        "area_km2_share",
        "relation",
    ]
    one = links.loc[links["cluster_id"] == "C-1"]
    expected = [
        ("district", "E07000219", "Nuneaton and Bedworth", 1, 60.0, 0.6, 1.0, 0.25),
        ("district", "E07000132", "Hinckley and Bosworth", 1, 30.0, 0.3, 2.0, 0.5),
        ("district", "E08000026", "Coventry", 1, 10.0, 0.1, 1.0, 0.25),
        ("upper_tier", "E10000031", "Warwickshire", 1, 60.0, 0.6, 1.0, 0.25),
        ("upper_tier", "E10000018", "Leicestershire", 1, 30.0, 0.3, 2.0, 0.5),
        ("upper_tier", "E08000026", "Coventry", 1, 10.0, 0.1, 1.0, 0.25),
        ("combined_authority", "E47000007", "West Midlands", 1, 10.0, 0.1, 1.0, 0.25),
        ("region", "E12000005", "West Midlands", 2, 70.0, 0.7, 2.0, 0.5),
        ("region", "E12000004", "East Midlands", 1, 30.0, 0.3, 2.0, 0.5),
    ]
    got = [
        tuple(row) for row in one.drop(columns=["cluster_id", "relation"]).itertuples(index=False)
    ]
    assert len(got) == len(expected)
    for row, want in zip(got, expected, strict=True):
        assert row[:4] == want[:4]
        assert row[4:] == pytest.approx(want[4:])
    two = links.loc[links["cluster_id"] == "C-2"]
    assert two["tier"].tolist() == ["district", "upper_tier", "combined_authority", "region"]
    assert (two["employment_share"] == 1.0).all()
    assert links.index.tolist() == list(range(len(links)))


def test_authority_link_shares_sum_to_one_unless_pieces_lack_a_code(
    link_pieces: pd.DataFrame,
) -> None:
    links = authority_links(link_pieces, "cluster_id", ["employment", "area_km2"])
    sums = links.groupby(["cluster_id", "tier"])[["employment_share", "area_km2_share"]].sum()
    for tier in ("district", "upper_tier", "region"):
        assert sums.loc[("C-1", tier)].tolist() == pytest.approx([1.0, 1.0])
    # 90% of C-1's employment lies in no combined authority.
    assert sums.loc[("C-1", "combined_authority")].tolist() == pytest.approx([0.1, 0.25])
    assert sums.loc[("C-2", "combined_authority")].tolist() == pytest.approx([1.0, 1.0])


def test_authority_links_leave_out_tiers_the_pieces_do_not_have() -> None:
    pieces = pd.DataFrame(
        {
            "site_key": ["s", "s"],
            "district_code": ["D1", "D2"],
            "district_name": ["One", "Two"],
            "area_km2": [3.0, 1.0],
        }
    )
    links = authority_links(pieces, "site_key", ["area_km2"])
    assert links["tier"].tolist() == ["district", "district"]
    assert links["authority_code"].tolist() == ["D1", "D2"]
    assert links["area_km2_share"].tolist() == pytest.approx([0.75, 0.25])


def test_authority_link_share_is_missing_when_the_owner_has_no_weight() -> None:
    pieces = pd.DataFrame(
        {
            "cluster_id": ["c"],
            "district_code": ["D1"],
            "district_name": ["One"],
            "employment": [0.0],
        }
    )
    links = authority_links(pieces, "cluster_id", ["employment"])
    assert links["n_pieces"].tolist() == [1]
    assert np.isnan(links["employment_share"].iloc[0])


def test_authority_links_when_no_piece_is_in_a_combined_authority() -> None:
    pieces = _pieces({"C-1": [("E07000219", 60.0), ("E07000132", 40.0)]})
    links = authority_links(pieces, "cluster_id", ["employment"])
    assert "combined_authority" not in set(links["tier"])


def test_authority_links_of_no_pieces_is_an_empty_table() -> None:
    pieces = _pieces({"C-1": [("E08000026", 1.0)]}).iloc[:0]
    links = authority_links(pieces, "cluster_id", ["employment"])
    assert links.empty


# --- flags -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def flags() -> pd.DataFrame:
    owners: dict[str, list[tuple[str | None, float]]] = {
        "single": [("E08000026", 100.0)],
        "two_unitaries": [("E08000026", 70.0), ("E08000025", 30.0)],
        "one_county": [("E07000219", 40.0), ("E07000220", 60.0)],
        "county_majority": [("E07000219", 40.0), ("E07000220", 30.0), ("E07000222", 30.0)],
        "gap": [("E07000219", 40.0), ("E07000132", 30.0), ("E06000016", 30.0)],
        "partly_outside": [("E08000026", 60.0), ("E07000219", 40.0)],
        "split": [("E06000015", 50.0), ("E08000026", 50.0)],
        "empty_member": [("E08000026", 100.0), ("E08000025", 0.0)],
        "unknown_half": [("E08000026", 50.0), (None, 50.0)],
        "sliver": [("E07000219", 96.0), ("E07000132", 4.0)],
        "just_over": [("E07000219", 94.0), ("E07000132", 6.0)],
    }
    return governance_flags(_pieces(owners), "cluster_id", "employment").set_index("cluster_id")


def test_flags_of_a_cluster_in_one_district(flags: pd.DataFrame) -> None:
    row = flags.loc["single"]
    assert row["n_districts"] == 1
    assert row["single_district"]
    assert not row["straddles_districts"]
    assert not row["straddles_counties"]
    assert not row["straddles_regions"]
    assert row["ca_status"] == "within_one_ca"
    assert row["districts"] == "Coventry"
    assert row["lead_district"] == "Coventry"
    assert row["lead_share"] == 1.0
    assert not row["governance_gap"]


def test_flags_keep_the_owners_in_order_of_appearance(flags: pd.DataFrame) -> None:
    assert flags.index.tolist()[:3] == ["single", "two_unitaries", "one_county"]
    assert len(flags) == 11


def test_two_unitary_districts_straddle_counties(flags: pd.DataFrame) -> None:
    row = flags.loc["two_unitaries"]
    assert row["straddles_districts"]
    assert not row["single_district"]
    assert row["straddles_counties"]
    assert not row["straddles_regions"]
    assert row["ca_status"] == "within_one_ca"
    assert row["districts"] == "Birmingham; Coventry"
    assert row["lead_district"] == "Coventry"
    assert row["lead_share"] == pytest.approx(0.7)
    assert not row["governance_gap"]


def test_two_districts_of_one_county_do_not_straddle_counties(flags: pd.DataFrame) -> None:
    row = flags.loc["one_county"]
    assert row["n_districts"] == 2
    assert row["straddles_districts"]
    assert not row["straddles_counties"]
    assert row["ca_status"] == "outside_any_ca"
    assert row["lead_district"] == "Rugby"
    assert row["lead_share"] == pytest.approx(0.6)


def test_county_holding_the_majority_is_no_gap_even_with_split_districts(
    flags: pd.DataFrame,
) -> None:
    row = flags.loc["county_majority"]
    assert row["n_districts"] == 3
    assert row["lead_district"] == "Nuneaton and Bedworth"
    assert row["lead_share"] == pytest.approx(0.4)
    assert not row["straddles_counties"]
    assert not row["governance_gap"]


def test_no_authority_with_a_majority_is_a_governance_gap(flags: pd.DataFrame) -> None:
    # 40/30/30 over Warwickshire, Leicestershire and the unitary Leicester, no CA.
    row = flags.loc["gap"]
    assert row["n_districts"] == 3
    assert row["straddles_counties"]
    assert row["straddles_regions"]
    assert row["ca_status"] == "outside_any_ca"
    assert row["districts"] == "Hinckley and Bosworth; Leicester; Nuneaton and Bedworth"
    assert row["lead_share"] == pytest.approx(0.4)
    assert row["governance_gap"]


def test_unitary_district_beside_a_county_straddles_counties(flags: pd.DataFrame) -> None:
    row = flags.loc["partly_outside"]
    assert row["straddles_counties"]
    assert not row["straddles_regions"]
    assert row["ca_status"] == "partly_outside_ca"
    assert row["lead_district"] == "Coventry"
    assert not row["governance_gap"]


def test_even_split_across_cas_and_regions_is_a_gap_and_ties_go_to_the_smaller_code(
    flags: pd.DataFrame,
) -> None:
    row = flags.loc["split"]
    assert row["ca_status"] == "split_across_cas"
    assert row["straddles_regions"]
    assert row["straddles_counties"]
    # 50% is not more than half.
    assert row["governance_gap"]
    assert row["lead_district"] == "Derby"  # E06000015 < E08000026
    assert row["lead_share"] == 0.5


def test_member_without_employment_touches_but_does_not_share(flags: pd.DataFrame) -> None:
    row = flags.loc["empty_member"]
    assert row["n_districts"] == 1
    assert not row["straddles_districts"]
    assert row["districts"] == "Coventry"
    # Birmingham is unitary, its own upper tier: named once.
    assert row["touches"] == "Birmingham (district) 0.0%"
    assert row["lead_share"] == 1.0
    assert not row["governance_gap"]


def test_pieces_in_no_authority_count_in_the_total_only(flags: pd.DataFrame) -> None:
    row = flags.loc["unknown_half"]
    assert row["n_districts"] == 1
    assert row["single_district"]
    assert row["lead_share"] == pytest.approx(0.5)
    assert row["ca_status"] == "partly_outside_ca"
    assert row["governance_gap"]


def test_a_sliver_over_a_county_line_touches_and_does_not_straddle(flags: pd.DataFrame) -> None:
    # 4% in Hinckley and Bosworth (Leicestershire): at most 5% outside the lead.
    row = flags.loc["sliver"]
    assert not row["straddles_districts"]
    assert not row["straddles_counties"]
    assert not row["straddles_regions"]
    assert row["single_district"]
    assert row["districts"] == "Nuneaton and Bedworth"
    assert row["touches"] == (
        "Hinckley and Bosworth (district) 4.0%; Leicestershire (county or unitary authority) "
        "4.0%; East Midlands (region) 4.0%"
    )


def test_a_piece_as_large_as_a_concentration_shares_however_small_its_share() -> None:
    # The M4 corridor's ICT: 4% of £62bn in West Berkshire is £2.5bn, no mere touch; a sliver
    # of £40m beside it is one.
    pieces = _pieces(
        {
            "large": [("E07000219", 59_500.0), ("E07000132", 2_500.0)],
            "sliver": [("E07000219", 960.0), ("E07000132", 40.0)],
        }
    )
    flags = governance_flags(pieces, "cluster_id", "employment", partner_size=500.0).set_index(
        "cluster_id"
    )
    large = flags.loc["large"]
    assert large["straddles_districts"]
    assert large["straddles_counties"]
    assert large["districts"] == "Hinckley and Bosworth; Nuneaton and Bedworth"
    assert large["n_districts"] == 2
    assert "Hinckley and Bosworth" not in large["touches"]
    sliver = flags.loc["sliver"]
    assert not sliver["straddles_districts"]
    assert sliver["touches"].startswith("Hinckley and Bosworth (district) 4.0%")
    links = authority_links(pieces, "cluster_id", ["employment"], partner_size=500.0).set_index(
        ["cluster_id", "tier", "authority_code"]
    )
    assert links.loc[("large", "district", "E07000132"), "relation"] == "shares"
    assert links.loc[("sliver", "district", "E07000132"), "relation"] == "touches"
    # Without a size, shares alone decide: both are touches.
    alone = governance_flags(pieces, "cluster_id", "employment").set_index("cluster_id")
    assert not alone.loc["large", "straddles_districts"]


def test_more_than_the_straddle_share_outside_the_lead_straddles(flags: pd.DataFrame) -> None:
    row = flags.loc["just_over"]
    assert row["straddles_districts"]
    assert row["straddles_counties"]
    assert row["districts"] == "Hinckley and Bosworth; Nuneaton and Bedworth"
    assert row["touches"] == ""


def test_straddle_share_is_a_setting() -> None:
    pieces = _pieces({"c": [("E07000219", 94.0), ("E07000132", 6.0)]})
    strict = governance_flags(pieces, "cluster_id", "employment", straddle_share=0.0)
    loose = governance_flags(pieces, "cluster_id", "employment", straddle_share=0.1)
    assert strict["straddles_counties"].item()
    assert not loose["straddles_counties"].item()
    assert loose["touches"].item().startswith("Hinckley and Bosworth (district) 6.0%")


def test_link_relation_is_lead_shares_or_touches() -> None:
    pieces = _pieces({"c": [("E07000219", 60.0), ("E07000220", 37.0), ("E07000132", 3.0)]})
    links = authority_links(pieces, "cluster_id", ["employment"])
    districts = links.loc[links["tier"] == "district"]
    assert districts["authority_name"].tolist() == [
        "Nuneaton and Bedworth",
        "Rugby",
        "Hinckley and Bosworth",
    ]
    assert districts["relation"].tolist() == ["lead", "shares", "touches"]
    counties = links.loc[links["tier"] == "upper_tier"]
    assert counties["relation"].tolist() == ["lead", "touches"]


def test_combined_authority_status_uses_the_straddle_share() -> None:
    # 97% in Coventry (West Midlands CA), 3% in Nuneaton (no CA): within one CA.
    pieces = _pieces(
        {
            "mostly_in": [("E08000026", 97.0), ("E07000219", 3.0)],
            "mostly_out": [("E07000219", 97.0), ("E08000026", 3.0)],
        }
    )
    flags = governance_flags(pieces, "cluster_id", "employment").set_index("cluster_id")
    assert flags.loc["mostly_in", "ca_status"] == "within_one_ca"
    assert flags.loc["mostly_out", "ca_status"] == "outside_any_ca"
    assert "West Midlands (combined authority) 3.0%" in flags.loc["mostly_out", "touches"]


def test_flags_of_tiers_the_pieces_lack_are_left_out() -> None:
    pieces = _pieces({"c": [("E07000219", 40.0), ("E07000132", 60.0)]})
    districts_only = pieces[["cluster_id", "district_code", "district_name", "employment"]]
    flags = governance_flags(districts_only, "cluster_id", "employment")
    assert "straddles_counties" not in flags
    assert "straddles_regions" not in flags
    assert "ca_status" not in flags
    assert flags["governance_gap"].tolist() == [False]
    regions_only = pieces[["cluster_id", "region_code", "region_name", "employment"]]
    flags = governance_flags(regions_only, "cluster_id", "employment")
    assert flags["straddles_regions"].tolist() == [True]
    # Regions do not govern: no gap flag without a governing tier.
    assert "governance_gap" not in flags
    assert "lead_district" not in flags


def test_flags_when_no_piece_is_in_a_combined_authority() -> None:
    pieces = _pieces({"C-1": [("E07000219", 60.0), ("E07000132", 40.0)]})
    flags = governance_flags(pieces, "cluster_id", "employment")
    assert flags["ca_status"].tolist() == ["outside_any_ca"]
    assert flags["governance_gap"].tolist() == [False]


# --- nearby authorities ----------------------------------------------------------------------


def _two_districts(right: str) -> gpd.GeoDataFrame:
    """A 6 x 3 grid: columns 0-2 in Nuneaton and Bedworth, columns 3-5 in ``right``."""
    areas = square_grid(6, 3)
    left = areas["area_code"].str[2].astype(int) <= 2
    name, county, ca, _region = DISTRICTS[right]
    areas["district_code"] = np.where(left, "E07000219", right)
    areas["district_name"] = np.where(left, "Nuneaton and Bedworth", name)
    areas["county_code"] = np.where(left, WARKS[0], county[0])
    areas["county_name"] = np.where(left, WARKS[1], county[1])
    areas["combined_authority_code"] = np.where(left, None, ca[0])
    areas["combined_authority_name"] = np.where(left, None, ca[1])
    return gpd.GeoDataFrame(add_upper_tier(areas), geometry="geometry", crs=areas.crs)


def _near(areas: gpd.GeoDataFrame, members: dict[str, list[str]], distance_m: float) -> pd.Series:
    rows = [(owner, code) for owner, codes in members.items() for code in codes]
    member_table = pd.DataFrame(rows, columns=["cluster_id", "area_code"])
    pieces = member_table.merge(pd.DataFrame(areas.drop(columns="geometry")), on="area_code")
    links = pd.concat(
        [
            pieces.dropna(subset=[f"{tier}_code"])
            .assign(tier=tier, authority_code=pieces[f"{tier}_code"])[
                ["cluster_id", "tier", "authority_code"]
            ]
            .drop_duplicates()
            for tier in ("district", "upper_tier", "combined_authority")
        ],
        ignore_index=True,
    )
    shapes = gpd.GeoDataFrame(
        member_table,
        geometry=areas.set_index("area_code").geometry.reindex(member_table["area_code"]).values,
        crs=areas.crs,
    ).dissolve(by="cluster_id", as_index=False)
    return nearby_authorities(shapes, "cluster_id", areas, links, distance_m)


def test_authority_beyond_the_distance_is_not_near() -> None:
    # A11 is 100 m from the boundary between columns 2 and 3.
    near = _near(_two_districts("E07000132"), {"C-A11": ["A11"]}, 50.0)
    assert near.to_dict() == {"C-A11": ""}


def test_authority_within_the_distance_is_named_with_its_tier() -> None:
    near = _near(_two_districts("E07000132"), {"C-A11": ["A11"]}, 150.0)
    assert near.to_dict() == {
        "C-A11": "Hinckley and Bosworth (district); Leicestershire (county or unitary authority)"
    }


def test_unitary_district_is_named_once_and_its_combined_authority_too() -> None:
    near = _near(_two_districts("E08000026"), {"C-A11": ["A11"]}, 150.0)
    assert near.to_dict() == {"C-A11": "Coventry (district); West Midlands (combined authority)"}


def test_touched_authorities_are_never_listed() -> None:
    areas = _two_districts("E07000132")
    members = {"C-A12": ["A12", "A13"], "C-A00": ["A00"]}
    # C-A12 reaches both districts; C-A00 is 200 m from the boundary.
    near = _near(areas, members, 150.0)
    assert near.to_dict() == {"C-A00": "", "C-A12": ""}
    near = _near(areas, members, 250.0)
    assert near.to_dict() == {
        "C-A00": "Hinckley and Bosworth (district); Leicestershire (county or unitary authority)",
        "C-A12": "",
    }


def test_shape_far_from_every_area_has_no_nearby_authority() -> None:
    areas = _two_districts("E07000132")
    shapes = gpd.GeoDataFrame(
        {"cluster_id": ["far"]}, geometry=[box(X0 - 5_000, Y0, X0 - 4_900, Y0 + 100)], crs=27700
    )
    links = pd.DataFrame({"cluster_id": [], "tier": [], "authority_code": []})
    assert nearby_authorities(shapes, "cluster_id", areas, links, 1000.0).to_dict() == {"far": ""}


def test_no_shapes_give_an_empty_series() -> None:
    areas = _two_districts("E07000132")
    shapes = gpd.GeoDataFrame({"cluster_id": []}, geometry=gpd.GeoSeries([]), crs=areas.crs)
    links = pd.DataFrame({"cluster_id": [], "tier": [], "authority_code": []})
    near = nearby_authorities(shapes, "cluster_id", areas, links, 1000.0)
    assert near.empty


def test_flags_of_no_pieces_are_an_empty_table() -> None:
    """A run without clusters has no pieces: no flags, no crash."""
    pieces = _pieces({"C-1": [("E08000026", 1.0)]}).iloc[:0]
    flags = governance_flags(pieces, "cluster_id", "employment")
    assert flags.empty
    assert "ca_status" in flags
