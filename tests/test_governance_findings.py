"""Findings placed on the tiers by core and by extent, and named: hand-computed cases."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from clustergeo.governance.findings import finding_names, govern_findings

SIDE = 1000.0


def test_names_lead_with_the_lead_district_then_the_others_alphabetically() -> None:
    governed = pd.DataFrame(
        {
            "label": ["Making", "Making", "Moving", "Storing"],
            "districts": ["Alpha; Beta", "Alpha; Beta; Gamma", "Alpha", None],
            "lead_district": ["Beta", "Gamma", "Alpha", None],
        },
        index=[3, 1, 2, 0],
    )
    assert finding_names(governed).to_dict() == {
        3: "Making: Beta / Alpha",
        1: "Making: Gamma / Alpha and others",
        2: "Moving: Alpha",
        0: "Storing",
    }


def test_names_use_place_names_for_authorities_ons_names_inverted() -> None:
    governed = pd.DataFrame(
        {
            "label": ["Making", "Making"],
            "districts": ["Herefordshire, County of", "Bristol, City of; South Gloucestershire"],
            "lead_district": ["Herefordshire, County of", "Bristol, City of"],
        }
    )
    assert finding_names(governed).tolist() == [
        "Making: Herefordshire",
        "Making: Bristol / South Gloucestershire",
    ]


def test_the_second_name_is_the_district_holding_most_after_the_lead() -> None:
    governed = pd.DataFrame(
        {
            "cluster_id": ["M-1"],
            "label": ["Making"],
            "districts": ["Alpha; Beta; Gamma"],
            "lead_district": ["Gamma"],
        }
    )
    shares = pd.Series(
        [0.11, 0.19, 0.70],
        index=pd.MultiIndex.from_tuples([("M-1", "Alpha"), ("M-1", "Beta"), ("M-1", "Gamma")]),
    )
    assert finding_names(governed, shares=shares).tolist() == ["Making: Gamma / Beta and others"]
    # Without shares, alphabetically.
    assert finding_names(governed).tolist() == ["Making: Gamma / Alpha and others"]
    # A symbiosis zone is named the same way, its shares indexed by its zone_id.
    zone = governed.rename(columns={"cluster_id": "zone_id"}).assign(label="Residues")
    assert finding_names(zone, shares=shares).tolist() == ["Residues: Gamma / Beta and others"]


def test_findings_that_would_share_a_name_are_told_apart_by_direction_else_area() -> None:
    # District "Town", 4 km x 4 km of 1 km squares centred on (2000, 2000). Three findings of
    # one industry in it: cores at the north-west corner, the east edge and the centre, and a
    # fourth, of the same industry, on the square beside the east one (same direction).
    cells = [(x, y) for x in range(4) for y in range(4)]
    areas = gpd.GeoDataFrame(
        {
            "area_code": [f"a{x}{y}" for x, y in cells],
            "area_name": [f"Town {x}{y}" for x, y in cells],
            "district_name": ["Town"] * len(cells),
        },
        geometry=[box(x * SIDE, y * SIDE, (x + 1) * SIDE, (y + 1) * SIDE) for x, y in cells],
        crs="EPSG:27700",
    )
    cores = {
        "a03": box(0, 3 * SIDE, SIDE, 4 * SIDE),  # centre (500, 3500): north-west
        "a31": box(3 * SIDE, SIDE, 4 * SIDE, 2 * SIDE),  # (3500, 1500): east
        "a32": box(3 * SIDE, 2 * SIDE, 4 * SIDE, 3 * SIDE),  # (3500, 2500): east as well
        "mid": box(1800, 1800, 2200, 2200),  # at the centre
        "b00": box(0, 0, SIDE, SIDE),  # another industry: its name is its own
    }
    governed = gpd.GeoDataFrame(
        {
            "label": ["Making"] * 4 + ["Moving"],
            "districts": ["Town"] * 5,
            "lead_district": ["Town"] * 5,
            "anchor_area_code": ["a03", "a31", "a32", "a11", "a00"],
        },
        geometry=list(cores.values()),
        crs="EPSG:27700",
    )
    assert finding_names(governed, areas).tolist() == [
        "Making: Town, north-west",
        "Making: Town 31",
        "Making: Town 32",
        "Making: Town, central",
        "Moving: Town",
    ]
    # Without the areas (or polygons), the names are as before.
    assert finding_names(governed).tolist() == ["Making: Town"] * 4 + ["Moving: Town"]
    # Two findings spanning Town and another district, both east: the area's name follows.
    spanning = gpd.GeoDataFrame(
        {
            "label": ["Storing"] * 2,
            "districts": ["Else; Town"] * 2,
            "lead_district": ["Town"] * 2,
            "anchor_area_code": ["a31", "a32"],
        },
        geometry=[cores["a31"], cores["a32"]],
        crs="EPSG:27700",
    )
    assert finding_names(spanning, areas).tolist() == [
        "Storing: Town / Else, Town 31",
        "Storing: Town / Else, Town 32",
    ]


def test_names_stay_unique_whatever_is_missing() -> None:
    # The lead district is not among the areas, and one finding has no anchor: the direction
    # and the area cannot tell them apart, so the ID does.
    areas = gpd.GeoDataFrame(
        {"area_code": ["a1"], "area_name": ["Town 1"], "district_name": ["Town"]},
        geometry=[box(0, 0, SIDE, SIDE)],
        crs="EPSG:27700",
    )
    governed = gpd.GeoDataFrame(
        {
            "cluster_id": ["M-x", "M-y", "E-1", "E-2"],
            "label": ["Making", "Making", "Energy, water", "Energy, water"],
            "districts": ["Else", "Else", None, None],
            "lead_district": ["Else", "Else", None, None],
            "anchor_area_code": [None, None, "a1", "b7"],
        },
        geometry=[box(0, 0, 1, 1), None, box(0, 0, 1, 1), box(5, 5, 6, 6)],
        crs="EPSG:27700",
    )
    names = finding_names(governed, areas)
    assert names.is_unique
    assert names.tolist() == [
        "Making: Else (M-x)",
        "Making: Else (M-y)",
        # Placed in no district: named by the area, after a colon as every name is.
        "Energy, water: Town 1",
        "Energy, water: b7",
    ]
    # Circular zones are named the same way, with their zone_id as the last resort.
    zones = governed.drop(columns="cluster_id").assign(zone_id=["z1", "z2", "z3", "z4"])
    assert finding_names(zones, areas).tolist()[:2] == ["Making: Else (z1)", "Making: Else (z2)"]


@pytest.fixture
def row() -> gpd.GeoDataFrame:
    """Four 1 km squares west to east: districts D1, D1, D2, D3; counties K1, K1, K2, K2."""
    return gpd.GeoDataFrame(
        {
            "area_code": ["a", "b", "c", "d"],
            "area_km2": [1.0] * 4,
            "district_code": ["D1", "D1", "D2", "D3"],
            "district_name": ["One", "One", "Two", "Three"],
            "upper_tier_code": ["K1", "K1", "K2", "K2"],
            "upper_tier_name": ["West", "West", "East", "East"],
        },
        geometry=[box(i * SIDE, 0, (i + 1) * SIDE, SIDE) for i in range(4)],
        crs="EPSG:27700",
    )


def test_core_and_extent_are_placed_apart(row: gpd.GeoDataFrame) -> None:
    # One finding: core a, b (900 and 60 jobs); its extent adds c (40 jobs, in another
    # district and county) and d, which employs none in the industry.
    findings = gpd.GeoDataFrame(
        {"cluster_id": ["X-a"], "label": ["Making"]},
        geometry=[box(0, 0, 2 * SIDE, SIDE)],
        crs="EPSG:27700",
    )
    members = pd.DataFrame(
        {
            "cluster_id": ["X-a"] * 4,
            "area_code": ["a", "b", "c", "d"],
            "part": ["core", "core", "extent", "extent"],
            "employment": [900.0, 60.0, 40.0, None],
        }
    )
    placed = govern_findings(findings, members, row, edge_distance_m=500)
    (governed,) = placed.findings.to_dict("records")
    assert list(placed.findings.columns[:2]) == ["cluster_id", "name"]
    assert governed["name"] == "Making: One"
    assert governed["single_district"]
    assert governed["lead_share"] == 1.0
    # The extent: 40 of 1,000 jobs (4%) in Two only touch it; Three holds none.
    assert not governed["extent_straddles_districts"]
    assert governed["extent_lead_share"] == pytest.approx(0.96)
    assert governed["extent_touches"] == (
        "Two (district) 4.0%; Three (district) 0.0%; East (county or unitary authority) 4.0%"
    )
    assert not governed["extent_straddles_counties"]
    # At a 3% straddle share the extent straddles both tiers; the core still does not.
    strict = govern_findings(findings, members, row, straddle_share=0.03).findings.iloc[0]
    assert strict["extent_straddles_districts"]
    assert strict["extent_straddles_counties"]
    assert not strict["straddles_districts"]
    # The core's square b touches c: Two is within 500 m, Three (1 km on) is not.
    assert governed["near_authorities"] == "Two (district); East (county or unitary authority)"
    links = placed.links.set_index(["part", "tier", "authority_code"])
    assert links.loc[("core", "district", "D1"), "employment"] == 960
    assert links.loc[("extent", "district", "D3"), "employment"] == 0
    assert links.loc[("extent", "district", "D3"), "area_km2_share"] == 0.25
    assert links.loc[("extent", "district", "D2"), "relation"] == "touches"
    assert ("core", "district", "D2") not in links.index
