"""The circular stage end to end on the demo: the planted pair and gap are found and placed."""

from __future__ import annotations

import json
import sqlite3

import geopandas as gpd
import pandas as pd
import pyogrio

from clustergeo.publish.circular import _where
from clustergeo.stages import registry as r
from clustergeo.stages.paths import RunPaths

STREAM = "construction_demolition"


def _truth(demo_run: RunPaths) -> pd.DataFrame:
    return pd.read_csv(demo_run.root.parent / "raw" / "truth_circular.csv", dtype=str)


def _names(demo_run: RunPaths) -> pd.DataFrame:
    return pd.read_csv(demo_run.root.parent / "raw" / "lookup.csv", dtype=str)


def _members(zones: pd.DataFrame) -> pd.Series:
    return zones["member_codes"].str.split(";").map(set)


def _planted(truth: pd.DataFrame, name: str) -> set[str]:
    return set(truth.loc[truth["name"] == name, "area_code"])


def _name_of(demo_run: RunPaths, tier: str, code: str) -> str:
    lookup = _names(demo_run).drop_duplicates(f"{tier}_code").set_index(f"{tier}_code")
    return str(lookup.loc[code, f"{tier}_name"])


def test_the_planted_pair_is_one_zone_needing_its_authorities_to_cooperate(
    demo_run: RunPaths,
) -> None:
    truth = _truth(demo_run)
    zones = gpd.read_parquet(demo_run[r.CIRCULAR_ZONES])
    producers, users = _planted(truth, "waste_producers"), _planted(truth, "waste_users")
    mine = zones.loc[(zones["stream"] == STREAM) & _members(zones).map(lambda c: bool(c & users))]
    assert len(mine) == 1
    zone = mine.iloc[0]
    assert zone["kind"] == "zone"
    core = set(zone["member_codes"].split(";"))
    # Most of each planted side is in the zone's core (edge areas may fall below the floors).
    assert len(core & producers) >= 0.75 * len(producers)
    assert len(core & users) >= 0.75 * len(users)
    assert zone["n_producer_findings"] == 1
    assert zone["n_user_findings"] == 1
    assert "colocated" in zone["linked_by"]
    assert zone["distance_km"] == 0.0

    # The producers sit in a combined authority, the users in a county outside any.
    sides = truth.drop_duplicates("name").set_index("name")
    p, u = sides.loc["waste_producers"], sides.loc["waste_users"]
    assert p["county_code"] != u["county_code"]
    assert pd.notna(p["combined_authority_code"])
    assert pd.isna(u["combined_authority_code"])
    assert zone["producers_district_code"] == p["district_code"]
    assert zone["users_district_code"] == u["district_code"]
    assert zone["producers_combined_authority_code"] == p["combined_authority_code"]
    assert zone["cooperation"] == "combined_authority_and_outside"
    assert zone["cooperation_needed"]
    ca = _name_of(demo_run, "combined_authority", p["combined_authority_code"])
    county = _name_of(demo_run, "county", u["county_code"])
    assert zone["agreement"] == f"{ca} (producers) and {county} (users)"
    assert zone["broker"] == "none"
    assert zone["ca_status"] == "partly_outside_ca"
    assert zone["straddles_counties"]

    # Each side's authorities are listed, and the report names the parties.
    links = pd.read_parquet(demo_run[r.CIRCULAR_ZONE_AUTHORITIES])
    lead = links.loc[
        (links["zone_id"] == zone["zone_id"])
        & (links["tier"] == "district")
        & (links["relation"] == "lead")
    ].set_index("side")
    assert lead.loc["producers", "authority_code"] == p["district_code"]
    assert lead.loc["users", "authority_code"] == u["district_code"]
    report = demo_run[r.REPORT_MD].read_text(encoding="utf-8")
    assert f"{ca} (producers) and {county} (users)" in report


def test_the_planted_producers_without_users_are_a_gap(demo_run: RunPaths) -> None:
    truth = _truth(demo_run)
    zones = gpd.read_parquet(demo_run[r.CIRCULAR_ZONES])
    planted = _planted(truth, "producers_without_users")
    mine = zones.loc[(zones["stream"] == STREAM) & _members(zones).map(lambda c: bool(c & planted))]
    assert len(mine) == 1
    gap = mine.iloc[0]
    assert gap["kind"] == "gap"
    assert len(set(gap["member_codes"].split(";")) & planted) >= 0.75 * len(planted)
    report = json.loads(demo_run[r.CIRCULAR_REPORT].read_text(encoding="utf-8"))
    assert gap["nearest_user_km"] > report["distance_km"]
    assert not gap["cooperation_needed"]
    district = truth.loc[truth["name"] == "producers_without_users", "district_code"].iloc[0]
    assert gap["lead_district"] == _name_of(demo_run, "district", district)
    assert gap["producers_district_code"] == district
    markdown = demo_run[r.REPORT_MD].read_text(encoding="utf-8")
    gaps_section = markdown.split("## Gaps: producers with few users near", 1)[1]
    assert gap["lead_district"] in gaps_section.split("\n## ", 1)[0]
    # Users beyond the study area are not counted, and the section says so.
    assert "leave out those beyond it" in gaps_section.split("\n## ", 1)[0]


def test_every_section_stream_runs_with_its_sources_and_counts(demo_run: RunPaths) -> None:
    streams = pd.read_csv(demo_run[r.CIRCULAR_STREAMS_CSV])
    assert (streams["status"] == "run").all()
    assert streams["sources"].str.len().gt(0).all()
    assert streams["finer"].str.len().gt(0).all()  # section streams say what detail would add
    zones = pd.read_parquet(demo_run[r.CIRCULAR_ZONES])
    counted = zones.groupby(["stream", "kind"]).size().unstack(fill_value=0)
    for row in streams.itertuples():
        assert row.zones == counted.get("zone", pd.Series(dtype=int)).get(row.stream, 0)
        assert row.gaps == counted.get("gap", pd.Series(dtype=int)).get(row.stream, 0)
    # Construction's producers surround its users more than chance would give in the demo.
    construction = streams.set_index("stream").loc[STREAM]
    assert construction["moran_bv_i"] > 0
    colocation = pd.read_parquet(demo_run[r.CIRCULAR_COLOCATION])
    assert set(colocation["stream"]) == set(streams["stream"])
    assert len(colocation) == 1500 * len(streams)


def test_circular_layers_styles_maps_and_report(demo_run: RunPaths) -> None:
    layers = dict(pyogrio.list_layers(demo_run[r.GEOPACKAGE]))
    for name in ("circular_findings", "circular_zones"):
        assert layers[name] == "MultiPolygon" or layers[name] == "Polygon"
    for name in ("circular_streams", "circular_zone_authorities", "circular_colocation"):
        assert layers[name] is None
    with sqlite3.connect(demo_run[r.GEOPACKAGE]) as db:
        styled = {row[0] for row in db.execute("SELECT f_table_name FROM layer_styles")}
    assert {"circular_findings", "circular_zones"} <= styled
    streams = pd.read_csv(demo_run[r.CIRCULAR_STREAMS_CSV])
    for stream in streams["stream"]:
        assert (demo_run[r.FIGURES] / f"circular_{stream}.png").stat().st_size > 10_000
    report = demo_run[r.REPORT_MD].read_text(encoding="utf-8")
    assert "## Resource efficiency: one firm's waste, another's raw material" in report
    assert "figures/circular_construction_demolition.png" in report
    assert "What finer industry detail would add" in report
    assert report.index("Resource efficiency") < report.index("## Provenance")
    # The global co-location test's permutations (the run's global tests'), which set the
    # smallest p its column can show.
    assert (
        "(the bivariate Moran's I, with a p-value from 999 random permutations, so none is "
        "below 0.001 one-sided, 0.002 two-sided)" in report
    )
    # A test of the whole study area, told apart from the zones, which are places.
    assert "It is one test of the whole study area, not of any place" in report


def test_zones_are_named_uniquely_after_their_material_and_districts(demo_run: RunPaths) -> None:
    zones = gpd.read_parquet(demo_run[r.CIRCULAR_ZONES])
    assert zones.columns[1] == "name"
    assert zones["name"].is_unique
    assert all(
        name.startswith(f"{label}: ")
        for name, label in zip(zones["name"], zones["label"], strict=True)
    )


def test_report_rows_sharing_their_districts_say_what_tells_them_apart() -> None:
    rows = pd.DataFrame(
        {
            "label": ["Residues"] * 6,
            "districts": [
                "Leicester",
                "Leicester",
                "Telford",
                "Blaby; Leicester",
                "Blaby; Leicester",
                None,
            ],
            "lead_district": ["Leicester", "Leicester", "Telford", "Leicester", "Leicester", None],
            "name": [
                "Residues: Leicester, north-west",
                "Residues: Leicester, north",
                "Residues: Telford 023",
                "Residues: Leicester / Blaby",
                "Residues: Leicester / Blaby, south",
                "Residues: Town 1",
            ],
        }
    )
    assert _where(rows).tolist() == [
        "Leicester (north-west)",
        "Leicester (north)",
        "Telford 023",
        "Blaby, Leicester",
        # The compass point is from the lead district's centre: it stands beside that name.
        "Blaby, Leicester (south)",
        # In no district: the area its name gives.
        "Town 1",
    ]


def test_report_rows_named_by_their_second_districts_share_keep_what_tells_them_apart() -> None:
    # In three districts, each named after the one holding most after the lead (Gamma), which
    # is not the first alphabetically.
    rows = pd.DataFrame(
        {
            "label": ["Residues"] * 2,
            "districts": ["Alpha; Beta; Gamma"] * 2,
            "lead_district": ["Gamma"] * 2,
            "name": [
                "Residues: Gamma / Beta and others, north",
                "Residues: Gamma / Beta and others, south",
            ],
        }
    )
    assert _where(rows).tolist() == ["Alpha, Beta, Gamma (north)", "Alpha, Beta, Gamma (south)"]


def test_a_gap_across_districts_names_every_district_that_can_act_lead_first() -> None:
    from clustergeo.publish.circular import _unlinked_table

    rows = pd.DataFrame(
        {
            "zone_id": ["g1", "g2"],
            "label": ["Residues"] * 2,
            "districts": ["Tamewood; Upton Fields", "Pellbury"],
            "lead_district": ["Upton Fields", "Pellbury"],
            "name": ["Residues: Upton Fields / Tamewood", "Residues: Pellbury"],
            "producer_employment": [500.0, 300.0],
            "nearest_user_km": [12.0, None],
            "users_nearby_employment": [40.0, 0.0],
            "users_nearby_lq": [0.3, None],
        }
    )
    table = _unlinked_table(rows, "Who could act")
    assert table["Who could act"].tolist() == ["Upton Fields, Tamewood", "Pellbury"]


def test_a_table_cut_to_its_largest_rows_says_so() -> None:
    from clustergeo.publish.circular import _zone_blocks

    n = 16
    scattered = pd.DataFrame(
        {
            "zone_id": [f"s{i}" for i in range(n)],
            "kind": ["scattered"] * n,
            "label": ["Residues"] * n,
            "districts": [f"D{i}" for i in range(n)],
            "lead_district": [f"D{i}" for i in range(n)],
            "name": [f"Residues: D{i}" for i in range(n)],
            "producer_employment": [1000.0 + i for i in range(n)],
            "nearest_user_km": [None] * n,
            "users_nearby_employment": [100.0] * n,
            "users_nearby_lq": [0.9] * n,
        }
    )
    blocks = _zone_blocks(scattered, distance_km=10)
    (table,) = [b.table for b in blocks if b.kind == "table"]
    assert len(table) == 15
    assert blocks[-1].text.startswith("The 15 largest of 16 scattered producer places")
    # Fifteen fit whole: nothing to say.
    fewer = _zone_blocks(scattered.iloc[:15], distance_km=10)
    assert not any("largest of" in b.text for b in fewer)


def test_a_stream_map_without_one_side_says_why_it_has_no_zone_or_gap() -> None:
    from clustergeo.publish.circular import _stream_subtitle

    both = _stream_subtitle({"producers", "users"}, 10)
    assert "A zone joins producers and users within 10 km" in both
    no_producers = _stream_subtitle({"users"}, 10)
    assert no_producers.endswith("No producer place was found, so the map has no zone and no gap.")
    assert "A zone joins" not in no_producers
    assert "No producer place was found" in _stream_subtitle(set(), 10)
    # Producers without users can still be gaps: the map says what one is.
    no_users = _stream_subtitle({"producers"}, 10)
    assert "No user place was found, so the map has no zone; a gap is producers" in no_users


def test_districts_with_inverted_ons_names_read_as_places_in_the_tables() -> None:
    from clustergeo.publish.circular import _unlinked_table

    rows = pd.DataFrame(
        {
            "zone_id": ["g1", "g2"],
            "label": ["Residues"] * 2,
            "districts": ["Herefordshire, County of", "Bristol, City of; South Gloucestershire"],
            "lead_district": ["Herefordshire, County of", "Bristol, City of"],
            # As finding_names names them: each district as a place.
            "name": ["Residues: Herefordshire", "Residues: Bristol / South Gloucestershire, north"],
            "producer_employment": [500.0, 300.0],
            "nearest_user_km": [75.0, 12.0],
            "users_nearby_employment": [40.0, 10.0],
            "users_nearby_lq": [0.7, 0.4],
        }
    )
    table = _unlinked_table(rows, "Who could act")
    # The compass point still goes beside the lead district, now named as a place.
    assert table["Where"].tolist() == ["Herefordshire", "Bristol (north), South Gloucestershire"]
    assert table["Who could act"].tolist() == ["Herefordshire", "Bristol, South Gloucestershire"]


def test_a_few_user_places_are_named_as_what_every_zone_rests_on() -> None:
    from clustergeo.publish.circular import _few_user_places

    shared = ["Coventry 031", "Walsall 017"]
    assert _few_user_places({"Residues": shared, "Food waste": shared}) == (
        "The users of every stream are found at only 2 places in this run, Coventry 031 and "
        "Walsall 017: every zone, gap and distance to the nearest user place of each stream "
        "rests on them, so check them first."
    )
    # Streams with places of their own, one of them many: only the few are named.
    assert _few_user_places(
        {"Residues": ["Coventry 031"], "Food waste": [f"Town {i}" for i in range(6)]}
    ) == (
        "The users are found at few places: those of Residues at only 1 place, Coventry 031: "
        "every zone, gap and distance to the nearest user place of that stream rests on it, so "
        "check it first."
    )
    assert _few_user_places({"Food waste": [f"Town {i}" for i in range(6)]}) == ""
    assert _few_user_places({}) == ""
