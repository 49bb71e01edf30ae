"""Tests for clustergeo.publish.map_page: an offline page that draws, switches and explains."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Polygon, box

from clustergeo.publish.map_page import map_page, page_data, svg_path

SOURCE = "Source: a test grid, 2024."


def test_svg_path_measures_from_the_top_left_and_closes_every_ring():
    holed = Polygon(box(0, 0, 10, 10).exterior.coords, [box(2, 2, 4, 4).exterior.coords])
    d = svg_path(holed, x_left=0, y_top=10)
    # The exterior then the hole, each closed; y runs down from the top (y = 10 is 0).
    assert d == "M10 10 10 0 0 0 0 10ZM4 8 4 6 2 6 2 8Z"
    assert svg_path(box(100, 200, 101, 201), x_left=100, y_top=201) == "M1 1 1 0 0 0 0 1Z"


@pytest.fixture
def run_layers() -> dict[str, object]:
    crs = "EPSG:27700"
    findings = gpd.GeoDataFrame(
        {
            "rank": [1, 2],
            "cluster_id": ["manufacturing-A", "logistics-B"],
            "name": ["Manufacturing: Alpha </script> & Beta", "Transport and storage: Gamma"],
            "kind": ["cluster", "concentration"],
            "industry_code": ["manufacturing", "logistics"],
            "label": ["Manufacturing", "Transport and storage"],
            "stars": [2, 0],
            "employment": [1234.0, 567.0],
            "employment_share": [0.25, 0.05],
            "lq": [2.5, 4.0],
            "n_units": [3, 1],
            "ca_status": ["outside_any_ca", "within_one_ca"],
        },
        geometry=[box(0, 0, 2000, 2000), box(6000, 6000, 7000, 7000)],
        crs=crs,
    )
    links = pd.DataFrame(
        {
            "cluster_id": ["manufacturing-A", "manufacturing-A", "logistics-B", "logistics-B"],
            "tier": ["district", "district", "combined_authority", "district"],
            "authority_name": ["Westshire", "Eastshire", "Middle CA", "Eastshire"],
            "employment_share": [0.6, 0.4, 1.0, 1.0],
            "part": ["core", "core", "core", "core"],
        }
    )
    districts = gpd.GeoDataFrame(
        {"name": ["Westshire", "Eastshire"]},
        geometry=[box(0, 0, 5000, 10000), box(5000, 0, 10000, 10000)],
        crs=crs,
    )
    return {"findings": findings, "links": links, "districts": districts}


def _page(run_layers) -> tuple[str, dict[str, object]]:
    data = page_data(
        findings=run_layers["findings"],
        extents=None,
        links=run_layers["links"],
        authorities={"district": run_layers["districts"]},
        sites=None,
        colours={"manufacturing": "#332288", "logistics": "#aa4499"},
        labels={"manufacturing": "Manufacturing", "logistics": "Transport and storage"},
        bounds=(0, 0, 10000, 10000),
    )
    return map_page(data, title="Test run", source=SOURCE, attribution="Test attribution"), data


def test_page_is_self_contained_and_carries_the_findings(run_layers):
    page, data = _page(run_layers)
    # Nothing is fetched: no external script, style, image or font.
    assert not re.search(r"""<(script|link|img)[^>]+(src|href)=""", page)
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in page
    # A finding's name cannot end the data's script element early.
    payload = re.search(
        r'<script type="application/json" id="map-data">(.*?)</script>', page, flags=re.S
    )
    assert payload is not None
    assert json.loads(payload.group(1)) == json.loads(json.dumps(data))
    first = data["findings"][0]
    assert first["authorities"] == [["district", "Westshire", 0.6], ["district", "Eastshire", 0.4]]
    # Districts before combined authorities, and whether it lies in one at all.
    second = data["findings"][1]
    assert second["authorities"] == [
        ["district", "Eastshire", 1.0],
        ["combined_authority", "Middle CA", 1.0],
    ]
    assert (first["ca_status"], second["ca_status"]) == (
        "outside any combined authority",
        "within one combined authority: Middle CA",
    )
    assert (first["employment"], first["share"], first["lq"]) == (1234.0, 0.25, 2.5)
    assert [i["code"] for i in data["industries"]] == ["manufacturing", "logistics"]
    assert SOURCE in page


def test_page_draws_switches_industries_and_explains_a_finding_in_chromium(
    run_layers, tmp_path: Path, chromium: list[str]
):
    page, _data = _page(run_layers)
    # After the page's own script (in a block, as its names are taken): click the first
    # finding, switch manufacturing off, and write what a reader sees into the body's data.
    probe = """<script>{
    const first = document.querySelector("path.finding");
    first.dispatchEvent(new MouseEvent("click", {bubbles: true}));
    const panel = document.getElementById("panel");
    document.body.dataset.findings = document.querySelectorAll("path.finding").length;
    document.body.dataset.panelShown = getComputedStyle(panel).display;
    document.body.dataset.panelText = panel.textContent.replace(/"/g, "'");
    const box = document.querySelector('input[value="manufacturing"]');
    box.checked = false;
    box.dispatchEvent(new Event("change"));
    document.body.dataset.hidden = getComputedStyle(first).display;
    }</script></body>"""
    path = tmp_path / "map.html"
    path.write_text(page.replace("</body>", probe), encoding="utf-8")
    dom = subprocess.run(
        [
            *chromium,
            "--virtual-time-budget=5000",
            "--dump-dom",
            path.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    attributes = dict(re.findall(r'data-([a-z-]+)="([^"]*)"', dom))
    assert attributes["ready"] == "1"
    assert attributes["findings"] == "2"
    assert attributes["panel-shown"] == "block"
    text = attributes["panel-text"]
    assert "Manufacturing: Alpha" in text
    assert "1,234" in text
    assert "Westshire 60%" in text
    assert "Combined authoritiesoutside any combined authority" in text
    assert "2.50" in text
    assert attributes["hidden"] == "none"


def test_the_gla_is_listed_as_a_strategic_authority_not_a_combined_authority() -> None:
    from clustergeo.publish.map_page import _shares

    links = pd.DataFrame(
        {
            "cluster_id": ["a", "a", "b"],
            "tier": ["district", "combined_authority", "combined_authority"],
            "authority_code": ["E09000001", "E61000001", "E47000007"],
            "authority_name": ["City of London", "Greater London Authority", "West Midlands"],
            "employment_share": [1.0, 1.0, 1.0],
            "part": "core",
        }
    )
    assert _shares(links) == {
        "a": [
            ["district", "City of London", 1.0],
            ["strategic_authority", "Greater London Authority", 1.0],
        ],
        "b": [["combined_authority", "West Midlands", 1.0]],
    }
