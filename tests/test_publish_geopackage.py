"""The published GeoPackage: layers as given, typed columns, the styles table, the metadata."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import box

from clustergeo._errors import OutputError
from clustergeo.publish import geopackage
from clustergeo.publish.geopackage import write_geopackage
from clustergeo.publish.palette import FILL_ALPHA, industry_colours, industry_labels
from clustergeo.publish.qgis_styles import LayerStyle, _rgba


def _layers() -> dict[str, gpd.GeoDataFrame | pd.DataFrame]:
    areas = gpd.GeoDataFrame(
        {
            "area_code": ["E01000001", "E01000002", "E01000003"],
            "lq": [1.5, np.nan, 0.25],
            "jobs": np.array([120, 0, 75], dtype=np.int64),
            # A flag with a missing value, as a merge of two tables leaves it.
            "straddles_counties": pd.Series([True, None, False], dtype=object),
        },
        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(0, 1, 1, 2)],
        crs="EPSG:27700",
    )
    long_table = pd.DataFrame(
        {
            "area_code": np.repeat(["E01000001", "E01000002"], 3),
            "industry_code": ["C", "H", "M"] * 2,
            "gi_star_z": np.linspace(-2.5, 3.5, 6),
            "significant": [True, False, True, False, False, True],
        }
    )
    return {"areas_lq": areas, "hotspots": long_table}


def _style() -> LayerStyle:
    return LayerStyle(
        layer="areas_lq",
        name="LQ",
        qml="<qgis/>",
        default=True,
        description="Location quotients",
        renderer="graduatedSymbol",
        classes=5,
    )


@pytest.mark.parametrize("arrow", [True, False], ids=["through Arrow", "feature by feature"])
def test_layers_read_back_as_written_with_typed_columns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, arrow: bool
) -> None:
    monkeypatch.setattr(geopackage, "_GDAL_TAKES_ARROW", arrow)
    layers = _layers()
    path = write_geopackage(
        layers, tmp_path / "out.gpkg", metadata={"TITLE": "Test"}, styles=[_style()]
    )
    names = [name for name, _ in pyogrio.list_layers(path)]
    assert names == ["areas_lq", "hotspots", "layer_styles"]

    areas = pyogrio.read_dataframe(path, layer="areas_lq", use_arrow=True)
    assert areas.crs.to_epsg() == 27700
    assert areas.geometry.equals(layers["areas_lq"].geometry)
    np.testing.assert_array_equal(areas["lq"], layers["areas_lq"]["lq"])
    assert areas["jobs"].tolist() == [120, 0, 75]
    hotspots = pyogrio.read_dataframe(path, layer="hotspots", read_geometry=False)
    pd.testing.assert_frame_equal(hotspots, layers["hotspots"], check_dtype=False)

    with sqlite3.connect(path) as db:
        columns = {row[1]: row[2] for row in db.execute("pragma table_info('areas_lq')")}
        flags = db.execute("select straddles_counties from areas_lq order by fid").fetchall()
        styles = db.execute("select id, f_table_name, useAsDefault from layer_styles").fetchall()
    # A flag is a boolean column, its missing value NULL (not the text "None" or "False").
    assert columns["straddles_counties"] == "BOOLEAN"
    assert flags == [(1,), (None,), (0,)]
    assert columns["jobs"] == "INTEGER"
    assert styles == [(1, "areas_lq", 1)]
    assert pyogrio.read_info(path, layer="areas_lq")["dataset_metadata"]["TITLE"] == "Test"


def test_a_failed_write_leaves_the_previous_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_geopackage(_layers(), tmp_path / "out.gpkg", metadata={}, styles=[])
    before = path.read_bytes()
    write = pyogrio.write_dataframe

    def fails_on_the_second_layer(frame: pd.DataFrame, target: Path, **options: Any) -> None:
        if options["layer"] == "hotspots":
            raise OSError("disk full")
        write(frame, target, **options)

    monkeypatch.setattr(pyogrio, "write_dataframe", fails_on_the_second_layer)
    # Said as the stage says it: the file it could not write, and why.
    with pytest.raises(OutputError, match=r"out\.gpkg: disk full"):
        write_geopackage(_layers(), path, metadata={}, styles=[_style()])
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.gpkg"]


def test_lq_styles_name_the_reasons_their_layer_flags_lqs_for() -> None:
    areas = gpd.GeoDataFrame(
        {
            "m_lq": [0.5, 2.0, np.nan],
            "m_unreliable": [False, True, False],
            "m_lq_note": ["", "small count", ""],
            "s_lq": [1.0, 1.0, 1.0],
            "s_unreliable": [False, False, False],
            "s_lq_note": ["", "", ""],
        },
        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1)],
        crs="EPSG:27700",
    )
    styles = geopackage.layer_styles(
        {"areas_lq": areas}, [("m", "Manufacturing"), ("s", "Services")]
    )
    by_name = {style.name: style for style in styles}
    census = by_name["LQ: Manufacturing"]
    assert 'label="unreliable (small count)"' in census.qml
    assert "unreliable (small count) LQs grey" in census.description
    # A layer with nothing flagged keeps the label naming every reason.
    assert 'label="unreliable (small, negative or suppressed)"' in by_name["LQ: Services"].qml


def test_findings_per_industry_show_in_the_theme_of_the_definition_made_of_them() -> None:
    # clusters.of: industries: the findings carry the data's industry codes (SIC divisions
    # here), while the map themes are the cluster definitions'.
    findings = gpd.GeoDataFrame(
        {
            "cluster_id": ["c1", "c2", "c3"],
            "industry_code": ["29", "30", "K"],
            "label": ["Motor vehicles", "Other transport equipment", "Finance"],
            "kind": ["cluster", "concentration", "cluster"],
            "rank": [1, 2, 3],
        },
        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1)],
        crs="EPSG:27700",
    )
    definitions = [("automotive", "Automotive"), ("construction", "Construction")]
    # Construction (section F) has no finding, so no colour of its own among them.
    codes = {"automotive": ("29", "30"), "construction": ("F",)}
    styles = {
        s.name: s
        for s in geopackage.layer_styles({"clusters": findings}, definitions, codes)
        if s.layer == "clusters"
    }
    automotive = styles["Findings: Automotive"].qml
    assert "&quot;industry_code&quot; = '29' AND" in automotive
    assert "&quot;industry_code&quot; = '30' AND" in automotive
    assert "IN ('29', '30')" in automotive  # the rank labels of both
    assert "&quot;industry_code&quot; = 'F'" in styles["Findings: Construction"].qml
    # Each member in the colour the overview and the cluster map give it, named in the legend.
    labels = industry_labels(
        definitions, zip(findings["industry_code"], findings["label"], strict=True)
    )
    colours = industry_colours(labels)
    assert colours["29"] != colours["30"]
    assert f'value="{_rgba(colours["29"], FILL_ALPHA)}"' in automotive
    assert f'value="{_rgba(colours["30"])}"' in automotive
    assert 'label="Motor vehicles: cluster"' in automotive
    assert 'label="Other transport equipment: concentration"' in automotive
    # A run of the definitions themselves filters on each definition's own key.
    own = {s.name: s.qml for s in geopackage.layer_styles({"clusters": findings}, definitions)}
    assert "&quot;industry_code&quot; = 'automotive' AND" in own["Findings: Automotive"]
    assert 'label="Automotive: cluster"' in own["Findings: Automotive"]


@pytest.mark.parametrize("arrow", [True, False], ids=["through Arrow", "feature by feature"])
def test_an_empty_layer_keeps_its_kind_of_geometry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, arrow: bool
) -> None:
    monkeypatch.setattr(geopackage, "_GDAL_TAKES_ARROW", arrow)
    empty = gpd.GeoDataFrame(
        {"cluster_id": pd.Series([], dtype=str)}, geometry=gpd.GeoSeries([], crs="EPSG:27700")
    )
    path = write_geopackage(
        {**_layers(), "clusters": empty, "anchor_sites": empty},
        tmp_path / "run.gpkg",
        metadata={},
        styles=[_style()],
        geometry_types={"clusters": "Polygon", "anchor_sites": "Point", "hotspots": None},
    )
    # A run without findings: QGIS still opens the layers as polygons and points.
    assert pyogrio.read_info(path, layer="clusters")["geometry_type"] == "MultiPolygon"
    assert pyogrio.read_info(path, layer="anchor_sites")["geometry_type"] == "Point"
    assert pyogrio.read_info(path, layer="clusters")["features"] == 0
