"""Who must co-operate to close a loop: each co-operation level, its parties and broker."""

from __future__ import annotations

import pandas as pd
import pytest

from clustergeo.circular.cooperation import zone_governance
from clustergeo.governance.overlay import add_upper_tier

# Seven areas. D1 and D2 are districts of the county Northshire, D3 of Southshire; all three
# are in the North Combined Authority. D4 is a unitary outside any combined authority, D5 a
# district of Westshire in the West Combined Authority.
_AREAS = pd.DataFrame(
    [
        ("a1", "D1", "Ashby", "K1", "Northshire", "C1", "North CA"),
        ("a2", "D1", "Ashby", "K1", "Northshire", "C1", "North CA"),
        ("a7", "D1", "Ashby", "K1", "Northshire", "C1", "North CA"),
        ("a3", "D2", "Brook", "K1", "Northshire", "C1", "North CA"),
        ("a4", "D3", "Carron", "K2", "Southshire", "C1", "North CA"),
        ("a5", "D4", "Dunmore", None, None, None, None),
        ("a6", "D5", "Elmet", "K3", "Westshire", "C2", "West CA"),
    ],
    columns=[
        "area_code",
        "district_code",
        "district_name",
        "county_code",
        "county_name",
        "combined_authority_code",
        "combined_authority_name",
    ],
)

#: zone -> (kind, stream, producers' core areas, users' core areas)
_ZONES = {
    "ca_and_outside": ("zone", "s", ["a1"], ["a5"]),
    "districts": ("zone", "s", ["a1"], ["a3"]),
    "counties": ("zone", "s", ["a1"], ["a4"]),
    "cas": ("zone", "s", ["a1"], ["a6"]),
    "one": ("zone", "s", ["a1", "a2"], ["a7"]),
    # Producers: 30 jobs in Ashby, 70 in Brook, so Brook leads them, as it leads the users.
    "weighted": ("zone", "t", ["a1", "a3"], ["a3"]),
    "gap": ("gap", "s", ["a5"], []),
}
_EMPLOYMENT = {
    "s_producers": pd.Series(100.0, index=_AREAS["area_code"]),
    "s_users": pd.Series(50.0, index=_AREAS["area_code"]),
    "t_producers": pd.Series({"a1": 30.0, "a3": 70.0}),
    "t_users": pd.Series({"a3": 10.0}),
}


@pytest.fixture(scope="module")
def governed() -> tuple[pd.DataFrame, pd.DataFrame]:
    zones = pd.DataFrame(
        [(zone_id, kind, stream) for zone_id, (kind, stream, _p, _u) in _ZONES.items()],
        columns=["zone_id", "kind", "stream"],
    )
    members = pd.DataFrame(
        [
            (zone_id, code, "core", side)
            for zone_id, (_k, _s, producers, users) in _ZONES.items()
            for side, codes in (("producers", producers), ("users", users))
            for code in codes
        ],
        columns=["zone_id", "area_code", "part", "side"],
    )
    flags, links = zone_governance(
        zones, members, add_upper_tier(_AREAS), _EMPLOYMENT, straddle_share=0.1
    )
    return flags.set_index("zone_id"), links


@pytest.mark.parametrize(
    ("zone_id", "level", "agreement", "broker"),
    [
        (
            "ca_and_outside",
            "combined_authority_and_outside",
            "North CA (producers) and Dunmore (users)",
            "none",
        ),
        # Two districts of one county: the county convenes (and disposes of their waste).
        ("districts", "across_districts", "Ashby (producers) and Brook (users)", "Northshire"),
        # Two counties of one combined authority: the combined authority convenes.
        (
            "counties",
            "across_counties",
            "Northshire (producers) and Southshire (users)",
            "North CA",
        ),
        ("cas", "across_combined_authorities", "North CA (producers) and West CA (users)", "none"),
        ("one", "one_district", "", "Ashby"),
        ("weighted", "one_district", "", "Brook"),
    ],
)
def test_each_level_names_the_parties_and_the_broker(
    governed: tuple[pd.DataFrame, pd.DataFrame],
    zone_id: str,
    level: str,
    agreement: str,
    broker: str,
) -> None:
    flags, _links = governed
    row = flags.loc[zone_id]
    assert row["cooperation"] == level
    assert row["agreement"] == agreement
    assert row["broker"] == broker
    assert row["cooperation_needed"] == (level != "one_district")


def test_sides_are_placed_by_their_own_employment(
    governed: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    flags, links = governed
    row = flags.loc["weighted"]
    assert row["producers_district_name"] == "Brook"
    assert row["producers_district_share"] == pytest.approx(0.7)
    assert row["users_district_share"] == pytest.approx(1.0)
    producers = links.loc[
        (links["zone_id"] == "weighted")
        & (links["side"] == "producers")
        & (links["tier"] == "district")
    ].set_index("authority_name")
    assert producers["employment_share"].to_dict() == pytest.approx({"Brook": 0.7, "Ashby": 0.3})
    assert producers.loc["Ashby", "relation"] == "shares"  # 0.3 > the 0.1 straddle share
    # The whole zone weighs both sides: Ashby 30, Brook 70 + 10.
    whole = links.loc[
        (links["zone_id"] == "weighted") & (links["side"] == "zone") & (links["tier"] == "district")
    ].set_index("authority_name")
    assert whole.loc["Brook", "employment_share"] == pytest.approx(80 / 110)


def test_a_zone_across_the_combined_authority_line_gets_the_overlay_flags(
    governed: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    flags, _links = governed
    row = flags.loc["ca_and_outside"]
    # 100 producer jobs in the CA, 50 user jobs outside it.
    assert row["ca_status"] == "partly_outside_ca"
    assert row["straddles_counties"]
    assert row["lead_district"] == "Ashby"
    assert row["lead_share"] == pytest.approx(100 / 150)


def test_a_gap_is_placed_on_its_producers_and_needs_no_agreement(
    governed: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    flags, _links = governed
    gap = flags.loc["gap"]
    assert pd.isna(gap["cooperation"])
    assert not gap["cooperation_needed"]
    assert gap["lead_district"] == "Dunmore"
    assert gap["ca_status"] == "outside_any_ca"
    assert gap["producers_district_name"] == "Dunmore"
    assert pd.isna(gap["users_district_name"])


def test_a_side_mostly_outside_any_combined_authority_says_how_much_lies_in_one() -> None:
    areas = add_upper_tier(_AREAS)
    zones = pd.DataFrame([("split", "zone", "u")], columns=["zone_id", "kind", "stream"])
    # Producers: 40 jobs in Ashby (North CA), 60 in Dunmore (in none); users in Elmet (West CA).
    members = pd.DataFrame(
        [
            ("split", "a1", "core", "producers"),
            ("split", "a5", "core", "producers"),
            ("split", "a6", "core", "users"),
        ],
        columns=["zone_id", "area_code", "part", "side"],
    )
    employment = {
        "u_producers": pd.Series({"a1": 40.0, "a5": 60.0}),
        "u_users": pd.Series({"a6": 10.0}),
    }
    flags, _links = zone_governance(zones, members, areas, employment, straddle_share=0.1)
    row = flags.set_index("zone_id").loc["split"]
    assert row["cooperation"] == "combined_authority_and_outside"
    assert row["agreement"] == ("Dunmore (producers, 40% of them in North CA) and West CA (users)")
