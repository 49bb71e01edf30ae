"""A finding whose yearly series looks broken is marked wherever the strongest are listed."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from clustergeo.publish.cluster_maps import _key_heading, _key_lines
from clustergeo.publish.map_page import page_data
from clustergeo.publish.report import _cluster_blocks
from clustergeo.publish.series_breaks import (
    SeriesBreak,
    marked_names,
    series_breaks,
    with_series_breaks,
)
from conftest import plain_framing

WARWICK = SeriesBreak(change="rose 24.6-fold", period="1998–2023")


@pytest.fixture
def findings() -> gpd.GeoDataFrame:
    """Three findings, the second (a utility's head office) on a broken series."""
    return gpd.GeoDataFrame(
        {
            "cluster_id": ["a", "b", "c"],
            "rank": [1, 2, 3],
            "name": ["Finance: City", "Utilities: Warwick", "Education: Oxford"],
            "label": ["Finance", "Utilities", "Education"],
            "industry_code": ["K", "D", "P"],
            "kind": ["cluster", "concentration", "cluster"],
            "stars": [3, 1, 2],
            "strength": [97.0, 89.0, 86.0],
            "employment": [83138.0, 2165.0, 2845.0],
            "employment_share": [0.38, 0.034, 0.019],
            "lq": [5.19, 9.82, 5.33],
            "n_units": [3, 1, 1],
            # Only Warwick's straddles districts (the head office's neighbour holds 40%).
            "straddles_districts": [False, True, False],
            "extent_straddles_districts": [False, True, False],
            "districts": ["City", "Warwick; Leamington", "Oxford"],
            "extent_districts": ["City", "Warwick; Leamington", "Oxford"],
        },
        geometry=[box(0, 0, 1000, 1000), box(2000, 0, 3000, 1000), box(0, 2000, 1000, 3000)],
        crs="EPSG:27700",
    )


def test_the_series_of_each_finding_is_judged_from_its_years() -> None:
    series = pd.DataFrame(
        {
            "cluster_id": ["a", "b"],
            "start_year": [1998, 1998],
            "end_year": [2000, 2000],
            "value_1998": [100.0, 88.0],
            "value_1999": [105.0, 900.0],
            "value_2000": [110.0, 2165.0],
        }
    )
    assert series_breaks(series) == {"b": SeriesBreak(change="rose 24.6-fold", period="1998–2000")}
    assert WARWICK.clause == "its series over 1998–2023 rose 24.6-fold"
    assert WARWICK.sentence == (
        "Its series over 1998–2023 rose 24.6-fold: worth checking for a reclassification or a "
        "head office moving first."
    )
    assert marked_names(["a", "b"], ["Finance: City", "Utilities: Warwick"], {"b": WARWICK}) == [
        "Finance: City",
        "Utilities: Warwick †",
    ]


def test_the_findings_tables_mark_a_broken_series_and_say_how(findings) -> None:
    links = pd.DataFrame(
        {
            "cluster_id": ["b", "b"],
            "tier": ["district", "district"],
            "part": ["core", "core"],
            "relation": ["lead", "shares"],
            "authority_name": ["Warwick", "Leamington"],
            "employment_share": [0.6, 0.4],
        }
    )
    blocks = _cluster_blocks(findings, links, plain_framing(), {"b": WARWICK})
    table, straddling = [b.table for b in blocks if b.kind == "table"][:2]
    assert table is not None
    assert straddling is not None
    assert straddling["Finding"].tolist() == ["Utilities: Warwick †"]
    assert table["Finding"].tolist() == [
        "Finance: City",
        "Utilities: Warwick †",
        "Education: Oxford",
    ]
    # A note under each table that marks it.
    notes = [b.text for b in blocks if b.kind == "p" and b.text.startswith("†")]
    assert notes == 2 * [
        "† Worth checking for a reclassification or a head office moving before it is taken "
        "as a finding: its yearly series looks broken (a tenfold rise, or a twofold jump or "
        "fall in one year that carries at least half of a threefold change). Utilities: "
        "Warwick (its series over 1998–2023 rose 24.6-fold)."
    ]
    # Two marked: said of both.
    both = _cluster_blocks(findings, links, plain_framing(), {"b": WARWICK, "c": WARWICK})
    (note, *_rest) = [b.text for b in both if b.kind == "p" and b.text.startswith("†")]
    assert "before they are taken as findings: their yearly series look broken" in note
    assert note.endswith("Education: Oxford (its series over 1998–2023 rose 24.6-fold).")
    kinds = [b.kind for b in blocks]
    assert kinds[kinds.index("table") + 1] == "p"
    # Without series (a single year's run) nothing is marked.
    plain = _cluster_blocks(findings, links, plain_framing())
    assert not any(b.kind == "p" and b.text.startswith("†") for b in plain)
    assert next(b.table for b in plain if b.kind == "table")["Finding"].str.contains("†").sum() == 0


def test_the_findings_layer_holds_text_whether_or_not_a_series_broke(findings, tmp_path) -> None:
    import pyogrio

    for breaks in ({}, {"b": WARWICK}):
        path = tmp_path / f"findings{len(breaks)}.gpkg"
        with_series_breaks(findings, breaks).to_file(path, layer="clusters", engine="pyogrio")
        info = pyogrio.read_info(path, layer="clusters")
        types = dict(zip(info["fields"], info["dtypes"], strict=True))
        assert types["series_break"] == "object"


def test_a_value_that_is_no_number_is_a_year_without_a_value() -> None:
    from clustergeo.publish.series_breaks import series_break

    row = pd.Series(
        {
            "start_year": 2010,
            "end_year": 2012,
            "value_2010": 10.0,
            "value_2011": None,
            "value_2012": "110",
        },
        dtype=object,
    )
    assert series_break(row) == "rose 11.0-fold"
    assert series_break(row.replace("110", "n/a")) == ""


def test_the_maps_key_and_the_web_map_mark_it_from_the_findings_layer(findings) -> None:
    layer = with_series_breaks(findings, {"b": WARWICK})
    assert layer["series_break"].isna().tolist() == [True, False, True]
    lines = _key_lines(layer)
    assert lines[1].endswith("Utilities: Warwick (concentration) †")
    assert not any(line.endswith("†") for line in (lines[0], lines[2]))
    heading = " ".join(_key_heading(layer, layer)).replace("\n", " ")
    assert "†: its yearly series looks broken" in heading
    assert "head office moving first; the GeoPackage's findings layer gives each" in heading
    # The key of findings without a broken series says nothing of it.
    assert "†" not in " ".join(_key_heading(findings, findings))
    data = page_data(
        findings=layer,
        extents=None,
        links=pd.DataFrame(columns=["cluster_id", "tier", "part", "authority_name"]),
        authorities={},
        sites=None,
        colours={"K": "#111111", "D": "#222222", "P": "#333333"},
        labels={"K": "Finance", "D": "Utilities", "P": "Education"},
        bounds=(0.0, 0.0, 3000.0, 3000.0),
    )
    assert [f["series"] for f in data["findings"]] == ["", WARWICK.sentence, ""]
