"""The published outputs: styles in the GeoPackage, the QGIS project, atomic writes, real QGIS.

The QGIS tests run Debian's QGIS (``python3-qgis``) headless in the system Python, on the
demo run: they skip where QGIS is not installed, unless ``CLUSTERGEO_REQUIRE_QGIS`` is set
(as in CI), when they fail instead.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyogrio
import pytest

from clustergeo._errors import OutputError
from clustergeo.config import load_config
from clustergeo.stages import publish
from clustergeo.stages import registry as r
from clustergeo.stages.paths import RunPaths
from conftest import REPO, plain_framing

QGIS_PYTHON = os.environ.get("CLUSTERGEO_QGIS_PYTHON", "/usr/bin/python3")
CHECK_SCRIPT = REPO / "tests" / "qgis" / "check_outputs.py"
PROJECT_GROUPS = [
    "Anchor sites",
    "Clusters",
    "Circular economy",
    "Authorities",
    "Hot spots",
    "Location quotients",
]


def _styles(gpkg: Path) -> list[dict[str, Any]]:
    with sqlite3.connect(gpkg) as db:
        db.row_factory = sqlite3.Row
        return [dict(row) for row in db.execute("SELECT * FROM layer_styles ORDER BY id")]


def _renderer(qml: str) -> tuple[str, int]:
    kind = re.search(r'<renderer-v2 type="(\w+)"', qml)
    assert kind is not None
    classes = len(re.findall(r"<range |<category ", qml)) or 1
    return kind.group(1), classes


def test_every_map_layer_has_one_default_style(demo_run: RunPaths) -> None:
    styles = _styles(demo_run[r.GEOPACKAGE])
    spatial = {
        str(name)
        for name, geometry in pyogrio.list_layers(demo_run[r.GEOPACKAGE])
        if geometry is not None
    }
    defaults = [s["f_table_name"] for s in styles if s["useAsDefault"]]
    assert sorted(defaults) == sorted(spatial)
    assert {s["f_geometry_column"] for s in styles} == {"geom"}
    # One LQ and one hot-spot style per cluster definition; the first is the default.
    lq = [s for s in styles if s["f_table_name"] == "areas_lq"]
    assert [s["styleName"] for s in lq][:2] == [
        "LQ: Manufacturing",
        "LQ: Information and communication",
    ]
    assert [s["useAsDefault"] for s in lq] == [1] + [0] * (len(lq) - 1)
    assert len(lq) == 7  # one LQ style per definition, and the plain study-area base


def test_the_district_layer_added_later_takes_its_place_among_the_layers(
    demo_run: RunPaths,
) -> None:
    from clustergeo.publish.layers import build_layers, with_district_layer

    tables = publish._read_tables(demo_run)
    whole = build_layers(tables)
    later = with_district_layer(build_layers(tables, districts=False), tables)
    assert list(later) == list(whole)
    assert list(whole)[:2] == ["areas_lq", "district_lq"]
    pd.testing.assert_frame_equal(later["district_lq"], whole["district_lq"])
    # The GeoPackage lists them in that order.
    written = [str(name) for name, _ in pyogrio.list_layers(demo_run[r.GEOPACKAGE])]
    assert [name for name in written if name in whole][:2] == ["areas_lq", "district_lq"]


def test_styles_use_the_figures_breaks_and_palette(demo_run: RunPaths) -> None:
    styles = {
        (s["f_table_name"], s["styleName"]): s["styleQML"] for s in _styles(demo_run[r.GEOPACKAGE])
    }
    lq = styles[("areas_lq", "LQ: Manufacturing")]
    assert _renderer(lq) == ("graduatedSymbol", 8)
    bounds = [float(v) for v in re.findall(r'lower="(-?[\d.e+]+)"', lq)]
    # No data (-2) and unreliable (-1) stand-ins first, then the figures' breaks.
    assert bounds == [-2.5, -1.5, 0.0, 0.5, 0.8, 1.25, 2.0, 4.0]
    # The flag first (a suppressed cell is flagged and has no LQ), as on the figures.
    assert 'CASE WHEN "manufacturing_unreliable" THEN -1 WHEN "manufacturing_lq" IS NULL' in lq
    # The figures' grey for an unreliable LQ (#b4b4b4), not a value colour.
    assert 'value="180,180,180,255"' in lq
    # RdBu's darkest red for LQ >= 4, as on the maps (#b2182b).
    assert 'value="178,24,43,255"' in lq
    hot = styles[("hotspots_areas", "Hot spots: Manufacturing")]
    assert _renderer(hot) == ("categorizedSymbol", 6)
    assert re.findall(r'<category value="(\w+)"', hot) == [
        "hot_99",
        "hot_95",
        "not_significant",
        "cold_95",
        "cold_99",
        "not_tested",
    ]
    lisa = styles[("hotspots_areas", "Local Moran: Manufacturing")]
    assert _renderer(lisa) == ("categorizedSymbol", 5)
    assert re.findall(r'<category value="(\w+)"', lisa) == [
        "HH",
        "HL",
        "LH",
        "LL",
        "not_significant",
    ]
    # Findings are labelled by their rank (the number on the maps), the strongest first,
    # and colliding labels are dropped rather than piled up.
    clusters = styles[("clusters", "Clusters by industry")]
    assert "fieldName='\"rank\"'" in clusters
    assert 'displayAll="0"' in clusters
    assert 'name="Priority"' in clusters
    assert 'scale_linear("rank", 1, 40, 10, 5)' in clusters
    # Each number has the places round its point, and no finding is an obstacle to another's.
    assert '<placement placement="0"' in clusters
    assert '<rendering obstacle="0"' in clusters
    # Around the point the maps number it at, not the shape's own centroid.
    assert """geometryGenerator='if("label_x" IS NULL""" in clusters
    assert 'geometryGeneratorType="PointGeometry"' in clusters
    assert 'labelsEnabled="1"' in clusters
    district = styles[("district", "District boundaries")]
    assert 'scaleVisibility="1"' in district


def test_project_refers_to_the_geopackage_by_a_relative_path(demo_run: RunPaths) -> None:
    root = ET.parse(demo_run[r.QGIS_PROJECT]).getroot()
    sources = [e.text or "" for e in root.iter("datasource")]
    assert sources
    # Every layer of the GeoPackage, and the employment surface's bands beside it.
    assert all(
        s.startswith("./clustergeo.gpkg|layername=") or s == f"./{r.SURFACE_TIF.path}"
        for s in sources
    )
    assert root.find("properties/Paths/Absolute").text == "false"  # type: ignore[union-attr]
    groups = [g.get("name") for g in root.find("layer-tree-group")]  # type: ignore[union-attr]
    assert groups == [*PROJECT_GROUPS, "Employment surface", "Tables"]
    assert root.find("projectCrs/spatialrefsys/authid").text == "EPSG:27700"  # type: ignore[union-attr]
    extent = root.find("ProjectViewSettings/DefaultViewExtent")
    assert extent is not None
    assert float(extent.get("xmin", "nan")) < float(extent.get("xmax", "nan"))


def test_a_failed_write_leaves_the_previous_geopackage_whole(
    demo_run: RunPaths, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Publish a copy of the demo run, then make the next publish fail half-way through.
    run = tmp_path / "processed"
    shutil.copytree(demo_run.root, run)
    config = load_config(demo_run.root.parent / "demo.yaml").model_copy(update={"output_dir": run})
    paths = RunPaths.for_config(config)
    before = paths[r.GEOPACKAGE].read_bytes()
    real_write = pyogrio.write_dataframe
    calls = {"n": 0}

    def failing_write(*args: Any, **kwargs: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 5:
            raise OSError(28, "No space left on device")
        real_write(*args, **kwargs)

    monkeypatch.setattr(publish.pyogrio, "write_dataframe", failing_write)
    with pytest.raises(OutputError, match="No space left"):
        publish.run(config)
    assert paths[r.GEOPACKAGE].read_bytes() == before
    leftovers = [
        p.name
        for p in run.iterdir()
        if p.name not in (".clustergeo", ".clustergeo.lock")
        and (p.name.startswith(".") or "tmp" in p.name)
    ]
    assert leftovers == []
    assert calls["n"] == 5


def _qgis_available() -> bool:
    try:
        result = subprocess.run(
            [QGIS_PYTHON, "-c", "import qgis.core"], capture_output=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0


@pytest.fixture(scope="module")
def qgis_python() -> str:
    if not _qgis_available():
        if os.environ.get("CLUSTERGEO_REQUIRE_QGIS"):
            pytest.fail(f"QGIS required (CI) but `import qgis.core` fails in {QGIS_PYTHON}")
        pytest.skip(f"QGIS (python3-qgis) not installed for {QGIS_PYTHON}")
    return QGIS_PYTHON


def _open_in_qgis(python: str, run_dir: Path, png: Path) -> dict[str, Any]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": str(png.parent)}
    result = subprocess.run(
        [python, str(CHECK_SCRIPT), str(run_dir), str(png)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return report


@pytest.mark.qgis
def test_qgis_opens_every_layer_styled(
    demo_run: RunPaths, qgis_python: str, tmp_path: Path
) -> None:
    report = _open_in_qgis(qgis_python, demo_run.root, tmp_path / "project.png")
    defaults = {
        s["f_table_name"]: _renderer(s["styleQML"])
        for s in _styles(demo_run[r.GEOPACKAGE])
        if s["useAsDefault"]
    }
    layers = report["layers"]
    expected = {str(name) for name in pyogrio.list_layers(demo_run[r.GEOPACKAGE])[:, 0]}
    assert set(layers) == expected - {"layer_styles"}
    for name, seen in layers.items():
        info = pyogrio.read_info(demo_run[r.GEOPACKAGE], layer=name)
        assert seen["valid"], name
        assert seen["features"] == info["features"], name
        if name in defaults:
            assert seen["crs"] == "EPSG:27700", name
            assert (seen["renderer"], seen["classes"]) == defaults[name], name
    assert layers["areas_lq"]["attribute"].startswith('CASE WHEN "manufacturing_unreliable"')
    assert layers["hotspots_areas"]["renderer"] == "categorizedSymbol"
    assert layers["clusters"]["labels"]
    assert layers["anchor_sites"]["labels"]
    # The demo's one principal place (its dense centre) is a labelled point, as on its map.
    assert layers["places"]["labels"]
    assert layers["places"]["features"] == 1
    # Authorities are named; extents and grid findings leave the number to their core.
    assert layers["county"]["labels"]
    assert layers["district"]["labels"]
    assert not layers["cluster_extents"]["labels"]

    assert report["project_read"]
    assert report["project_crs"] == "EPSG:27700"
    assert report["project_title"] == "clustergeo: demo (synthetic demo data)"
    assert not report["project_absolute_paths"]
    assert report["groups"] == [*PROJECT_GROUPS, "Employment surface", "Tables"]
    assert all(layer["valid"] for layer in report["project_layers"].values())
    assert (
        report["project_layers"]["Clusters and concentrations (cores)"]["renderer"]
        == "categorizedSymbol"
    )
    assert report["painted_share"] > 0.3
    # QGIS's own labelling results: short labels (finding numbers, site and authority names),
    # none overlapping another.
    drawn = report["labels_drawn"]
    assert {"1", "2", "3"} <= set(drawn)
    assert "Demo park (mira like)" in drawn
    assert report["label_overlaps"] == []
    # Each finding's number lies around the point the maps number it at (its anchor area):
    # within its 1 mm distance and its own size of that point, at 1,200 pixels across.
    reach = report["finding_label_reach"]
    assert reach
    assert max(reach) < 25
    assert (tmp_path / "project.png").stat().st_size > 10_000
    # Zoomed in to about 1:100,000, district names show inside the counties around them
    # (each tier keeps names off its boundary lines, not out of its whole interior).
    zoomed = report["zoomed_labels"]
    assert zoomed["by_layer"].get("Districts")
    assert zoomed["by_layer"].get("Counties")
    # The employment surface: one band per cluster definition, named, in British National Grid.
    raster = report["rasters"]["employment.tif"]
    definitions = [str(c) for c in pd.read_parquet(demo_run[r.MAUP])["industry_code"].unique()]
    assert raster["valid"]
    assert raster["crs"] == "EPSG:27700"
    assert raster["bands"] == 6
    assert raster["nodata"] == -9999.0
    names = [name.split(": ", 1)[1] for name in raster["band_names"]]
    assert set(definitions) <= set(names)
    assert names[0] == "manufacturing"


def _qgis_script(python: str, script: str, *args: str, scratch: Path) -> Any:
    """Run ``script`` in QGIS's Python, headless; what its last line prints, as JSON."""
    result = subprocess.run(
        [python, "-c", script, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": str(scratch)},
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


_EVALUATE_LQ_EXPRESSION = """
import json, sys
from qgis.core import (QgsApplication, QgsExpression, QgsExpressionContext, QgsFeature,
                       QgsField, QgsFields)
from qgis.PyQt.QtCore import QVariant
app = QgsApplication([], False)
app.initQgis()
fields = QgsFields()
fields.append(QgsField("m_lq", QVariant.Double))
fields.append(QgsField("m_unreliable", QVariant.Bool))
values = []
for lq, flag in json.loads(sys.argv[2]):
    feature = QgsFeature(fields)
    feature.setAttribute("m_lq", lq)
    feature.setAttribute("m_unreliable", flag)
    context = QgsExpressionContext()
    context.setFeature(feature)
    values.append(QgsExpression(sys.argv[1]).evaluate(context))
print(json.dumps(values))
"""


@pytest.mark.qgis
def test_qgis_classes_an_lq_as_the_figures_do(qgis_python: str, tmp_path: Path) -> None:
    """The LQ style's expression, evaluated by QGIS, gives each case the figures' class."""
    from clustergeo.publish.plotting import LQ_NO_DATA_LABEL, LQ_UNRELIABLE_LABEL, classify_lq
    from clustergeo.publish.qgis_styles import lq_expression

    # A suppressed cell (flagged, no LQ), a missing LQ, a flagged LQ, a sound one, no flag.
    cases = [(None, True), (None, False), (2.5, True), (2.5, False), (2.5, None)]
    classes = _qgis_script(
        qgis_python,
        _EVALUATE_LQ_EXPRESSION,
        lq_expression("m"),
        json.dumps(cases),
        scratch=tmp_path,
    )
    assert classes == [-1, -2, -1, 2.5, 2.5]
    figures = classify_lq(
        pd.Series([np.nan if lq is None else lq for lq, _flag in cases]),
        pd.Series([flag for _lq, flag in cases], dtype="boolean"),
    )
    assert list(figures) == [
        LQ_UNRELIABLE_LABEL,
        LQ_NO_DATA_LABEL,
        LQ_UNRELIABLE_LABEL,
        "2–4",
        "2–4",
    ]


def _definition_labels(run: RunPaths) -> list[str]:
    """The run's cluster definitions' labels, in their order (the themes' order)."""
    from clustergeo.stages import intermediates

    return [d.label for d in intermediates.read_industries(run).definitions]


@pytest.fixture(scope="module")
def demo_project(
    demo_run: RunPaths, qgis_python: str, tmp_path_factory: pytest.TempPathFactory
) -> tuple[dict[str, Any], Path]:
    """What real QGIS reports about the demo's project, and the folder of its renders."""
    folder = tmp_path_factory.mktemp("qgis_project")
    return _open_in_qgis(qgis_python, demo_run.root, folder / "project.png"), folder


@pytest.mark.qgis
def test_qgis_themes_open_on_the_overview_and_switch_an_industry_together(
    demo_run: RunPaths, demo_project: tuple[dict[str, Any], Path]
) -> None:
    report, _folder = demo_project
    labels = _definition_labels(demo_run)
    layers = report["project_layers"]
    views = ("", ": hot spots", ": Local Moran")
    expected = ["Overview: every industry", *(f"{label}{v}" for label in labels for v in views)]
    assert sorted(report["themes"]) == sorted(expected)
    # The project opens on the overview: its layers are exactly those switched on.
    overview = report["themes"]["Overview: every industry"]
    opened = [name for name, layer in layers.items() if layer["visible"]]
    assert overview["visible"] == opened
    assert {entry["style"] for entry in overview["layers"].values()} >= {
        "Study area",
        "Clusters by industry",
    }
    # An industry's theme shows its LQ, findings and extents in its own styles, nothing else
    # of another industry; its hot-spot and Local Moran views switch the same findings.
    manufacturing = report["themes"]["Manufacturing"]["layers"]
    assert manufacturing["Location quotients, small areas"]["style"] == "LQ: Manufacturing"
    assert (
        manufacturing["Clusters and concentrations (cores)"]["style"] == "Findings: Manufacturing"
    )
    assert manufacturing["Cluster extents"]["style"] == "Findings: Manufacturing"
    assert "Hot spots (Getis-Ord Gi*)" not in manufacturing
    hot = report["themes"]["Manufacturing: hot spots"]["layers"]
    assert hot["Hot spots (Getis-Ord Gi*)"]["style"] == "Hot spots: Manufacturing"
    # Outlined over the hot spots, which filled cores would hide.
    assert hot["Clusters and concentrations (cores)"]["style"] == "Findings outlined: Manufacturing"
    assert "Location quotients, small areas" not in hot
    lisa = report["themes"]["Manufacturing: Local Moran"]["layers"]
    assert lisa["Local Moran clusters and outliers (LISA)"]["style"] == "Local Moran: Manufacturing"
    for theme in report["themes"].values():
        assert all(layer["visible"] for layer in theme["layers"].values())
    # Choosing the theme in QGIS switches the layer tree to it.
    applied = report["applied_theme"]
    assert applied["theme"] == "Manufacturing"
    shown = {name for name, layer in applied["layers"].items() if layer["visible"]}
    assert shown == set(report["themes"]["Manufacturing"]["visible"])
    assert applied["layers"]["Location quotients, small areas"]["style"] == "LQ: Manufacturing"
    # The theme renders only manufacturing's findings: their numbers, none overlapping.
    clusters = pyogrio.read_dataframe(demo_run[r.GEOPACKAGE], layer="clusters", read_geometry=False)
    ranks = {
        str(rank) for rank in clusters.loc[clusters["industry_code"] == "manufacturing", "rank"]
    }
    others = {str(rank) for rank in clusters["rank"]} - ranks
    drawn = set(report["theme_render"]["labels_drawn"])
    assert ranks & drawn
    assert not others & drawn
    assert report["theme_render"]["label_overlaps"] == []
    assert report["theme_render"]["painted_share"] > 0.3


@pytest.mark.qgis
def test_qgis_shows_each_band_of_the_employment_surface_styled(
    demo_run: RunPaths, demo_project: tuple[dict[str, Any], Path]
) -> None:
    report, _folder = demo_project
    labels = _definition_labels(demo_run)
    layers = report["project_layers"]
    # The employment surface: one pseudocolour layer per band, named, off, nodata transparent.
    surface = {n: x for n, x in layers.items() if x["group"] == "Employment surface"}
    assert list(surface) == labels
    for band, (name, layer) in enumerate(surface.items(), start=1):
        assert layer["valid"], name
        assert layer["kind"] == "raster"
        assert not layer["visible"]
        assert (layer["renderer"], layer["band"], layer["classes"]) == (
            "singlebandpseudocolor",
            band,
            6,
        )
        assert layer["transparent_first_class"]
        assert layer["uses_source_nodata"]


@pytest.mark.qgis
def test_qgis_relations_and_abstracts(demo_project: tuple[dict[str, Any], Path]) -> None:
    report, _folder = demo_project
    layers = report["project_layers"]
    # Relations from findings, sites and authorities to their tables, valid in QGIS.
    relations = {(x["referenced"], x["referencing"]): x for x in report["relations"]}
    assert all(x["valid"] for x in report["relations"])
    assert relations[("Clusters and concentrations (cores)", "Cluster authorities")]["fields"] == [
        ["cluster_id", "cluster_id"]
    ]
    assert ("Anchor sites", "Site authorities") in relations
    assert ("Site footprints", "Site authorities") in relations
    assert ("Districts", "Authority summaries") in relations

    # Every layer says what it holds and where it comes from.
    for name, layer in layers.items():
        assert layer["abstract"].strip(), name
        assert layer["metadata_abstract"] == layer["abstract"], name
        assert "Source: synthetic demo data" in layer["abstract"], name


@pytest.mark.qgis
def test_qgis_has_an_a4_layout_per_theme_that_exports(
    demo_run: RunPaths, demo_project: tuple[dict[str, Any], Path]
) -> None:
    from PIL import Image

    report, folder = demo_project
    labels = _definition_labels(demo_run)
    views = ("", ": hot spots", ": Local Moran")
    expected = ["Overview: every industry", *(f"{label}{v}" for label in labels for v in views)]
    # One A4 landscape layout per theme, its map following the theme; one exported to PNG.
    layouts = report["layouts"]
    assert layouts["names"] == expected
    for name, layout in layouts["items"].items():
        assert layout["page_mm"] == [297.0, 210.0], name
        assert layout["map_theme"] == name
        assert {
            "QgsLayoutItemMap",
            "QgsLayoutItemLegend",
            "QgsLayoutItemScaleBar",
            "QgsLayoutItemPicture",
            "QgsLayoutItemLabel",
        } <= set(layout["types"]), name
        # What the legend lists fits its box: QGIS would clip the rest.
        assert 0 < layout["legend"]["content_mm"] <= layout["legend"]["box_mm"], name
    assert layouts["exported"] == "Manufacturing"
    assert layouts["export_ok"]
    assert layouts["export_size"] == [1169, 826]
    assert layouts["export_painted_share"] > 0.25
    with Image.open(folder / "project_layout.png") as image:
        colours = image.convert("RGB").getcolors(maxcolors=1_000_000)
        assert colours is not None
        assert len(colours) > 50


@pytest.mark.qgis
def test_qgis_project_still_opens_when_the_run_folder_is_moved(
    demo_run: RunPaths, qgis_python: str, tmp_path: Path
) -> None:
    moved = tmp_path / "shared with a colleague"
    moved.mkdir()
    for path in (demo_run[r.GEOPACKAGE], demo_run[r.QGIS_PROJECT]):
        shutil.copy2(path, moved / path.name)
    (moved / "surface").mkdir()
    shutil.copy2(demo_run[r.SURFACE_TIF], moved / r.SURFACE_TIF.path)
    report = _open_in_qgis(qgis_python, moved, tmp_path / "moved.png")
    assert report["project_read"]
    sources = [layer["source"] for layer in report["project_layers"].values()]
    assert all(source.startswith(str(moved)) for source in sources)
    assert all(layer["valid"] for layer in report["project_layers"].values())


def test_cluster_site_and_small_multiple_figures_are_print_quality(demo_run: RunPaths) -> None:
    from PIL import Image

    names = ["clusters", "hotspots_all", "lisa_all"] + [
        f"site_{key}"
        for key in ("mira_like_park", "crosses_ca_edge_park", "inside_one_district_park")
    ]
    for name in names:
        png = demo_run[r.FIGURES] / f"{name}.png"
        assert (demo_run[r.FIGURES] / f"{name}.pdf").read_bytes().startswith(b"%PDF"), name
        svg = (demo_run[r.FIGURES] / f"{name}.svg").read_text(encoding="utf-8")
        # Captions are editable text, and every map says where its data come from.
        assert "<text" in svg, name
        assert "Source: synthetic demo data" in svg, name
        with Image.open(png) as image:
            dpi = image.info["dpi"]
            assert round(dpi[0]) == 300, name
            # 17 cm wide for full-width figures; the site close-ups are narrower.
            assert image.width >= 1500, name
            colours = image.convert("RGB").getcolors(maxcolors=1_000_000)
            assert colours is not None
            assert len(colours) > 50, name
    # A hot spot need not be specialised itself: its maps say so.
    hot = (demo_run[r.FIGURES] / "hotspots_all.svg").read_text(encoding="utf-8")
    assert "An area is hot when it and its neighbours together stand out" in hot
    # The grid comparison's key tells the clusters it compares from the concentrations.
    maup = (demo_run[r.FIGURES] / "maup.svg").read_text(encoding="utf-8")
    for entry in (
        "Cluster on the employment grid",
        "Cluster on the areas",
        "Concentration on the areas (not compared)",
    ):
        assert entry in maup


def _figure_problems(run: RunPaths, config: Any) -> dict[str, list[str]]:
    """Redraw every map of a run and measure its text, markers and numbered findings."""
    import matplotlib.pyplot as plt

    from clustergeo.publish.circular import circular_layers, stream_map_jobs
    from clustergeo.publish.cluster_maps import MAX_NUMBERED, drawn_footprints_pt
    from clustergeo.publish.figures import figure_jobs, map_boundaries, map_data
    from clustergeo.publish.layers import build_layers
    from clustergeo.publish.plotting import layout_problems
    from clustergeo.stages import intermediates

    definitions = [(d.key, d.label) for d in intermediates.read_industries(run).definitions]
    tables = publish._read_tables(run)
    layers = build_layers(tables)
    data = map_data(layers, definitions)
    reference = intermediates.read_lq_reference(run)
    framing = publish._framing(
        config, reference.label, intermediates.read_inputs_record(run), reference.year
    )
    jobs = figure_jobs(
        data,
        definitions=definitions,
        framing=framing,
        hotspot_method=publish._hotspot_method(
            intermediates.read_hotspot_record(run), intermediates.read_floor_limits(run)
        ),
        cluster_rule=publish._cluster_rule(intermediates.read_cluster_record(run), config),
        grid_cell_m=config.surface.cell_m if config.surface else None,
    )
    circular = intermediates.read_circular(run)
    if circular is not None and config.circular is not None:
        streams = circular_layers(
            circular.streams,
            circular.findings,
            circular.zones,
            circular.zone_authorities,
            circular.colocation,
        )
        jobs += stream_map_jobs(
            streams,
            areas=tables.areas,
            boundaries=map_boundaries(layers),
            framing=framing,
            distance_km=config.circular.distance_km,
        )
    # Every map the run drew is measured but the change-over-time maps (runs with years).
    drawn = {p.stem for p in run[r.FIGURES].glob("*.png")}
    over_time = ("growth_", "emerging_")
    assert {job.name for job in jobs} == {n for n in drawn if not n.startswith(over_time)}
    problems = {}
    for job in jobs:
        fig = job.draw()
        # Text and marker boxes are measured without rasterising the map.
        fig.draw_without_rendering()
        found = layout_problems(fig)
        if job.name == "clusters":
            # Every numbered finding can be found on the map: drawn, or ringed, a few
            # points across at least.
            numbered = data.findings.head(MAX_NUMBERED)
            found += [
                f"finding {rank} is drawn {size:.1f} pt across"
                for rank, size in zip(
                    numbered["rank"], drawn_footprints_pt(fig.axes[0], numbered), strict=True
                )
                if size < _VISIBLE_PT
            ]
        if found:
            problems[job.name] = found
        plt.close(fig)
    return problems


#: The least size, in points, at which a numbered finding counts as visible on the printed map.
_VISIBLE_PT = 6.0


def test_every_demo_figure_keeps_its_text_on_the_page_and_markers_apart(
    demo_run: RunPaths,
) -> None:
    config = load_config(demo_run.root.parent / "demo.yaml")
    assert _figure_problems(demo_run, config) == {}


@pytest.mark.realdata
def test_every_real_figure_keeps_its_text_on_the_page_and_markers_apart(
    rutland_run: RunPaths,
) -> None:
    config = load_config(REPO / "pipelines" / "rutland-census2011.yaml")
    config = config.model_copy(update={"output_dir": rutland_run.root})
    assert _figure_problems(rutland_run, config) == {}
    for svg in rutland_run[r.FIGURES].glob("*.svg"):
        assert "Source: Census 2011" in svg.read_text(encoding="utf-8"), svg.name


@pytest.mark.realdata
def test_a_study_area_of_five_areas_is_not_said_to_be_evenly_spread(
    rutland_run: RunPaths,
) -> None:
    # Rutland is 5 MSOAs: whole-area tests over so few areas can rarely show a pattern.
    markdown = rutland_run[r.REPORT_MD].read_text(encoding="utf-8")
    assert "With 5 areas tested in each industry" in markdown
    # The data's size is the table's, not the six definitions findings were sought in.
    assert "for 5 areas and 20 industries, with 6 cluster definitions made of them" in markdown
    # The permutations of the global tests, which set the smallest p the table can show.
    assert "p-values from 999 random permutations of the values over the study area's 5 " in (
        markdown
    )
    assert "two-sided). With fewer than 30 areas" in markdown
    section = markdown.split("## Is each industry clustered at all?")[1].split("\n## ")[0]
    assert "| not shown |" in section
    assert "random" not in section.split("|", 1)[1]
    # No local-serving industry had a finding to leave out, so none is said to be.
    assert "so their findings are left out" not in markdown
    # Rutland has findings on the employment grid only: the MAUP map's key lists only those,
    # and the empty findings map says why it is empty.
    maup = (rutland_run[r.FIGURES] / "maup.svg").read_text(encoding="utf-8")
    assert "Cluster on the employment grid" in maup
    assert "Cluster on the areas" not in maup
    assert "Concentration on the areas" not in maup
    clusters = (rutland_run[r.FIGURES] / "clusters.svg").read_text(encoding="utf-8")
    assert "No cluster or concentration met the run" in clusters


def test_report_in_markdown_and_html_says_the_same(demo_run: RunPaths) -> None:
    from html.parser import HTMLParser

    markdown = demo_run[r.REPORT_MD].read_text(encoding="utf-8")
    page = demo_run[r.REPORT_HTML].read_text(encoding="utf-8")
    for heading in (
        "Data and method",
        "Is each industry clustered at all?",
        "The strongest findings",
        "Findings that straddle boundaries",
        "Governance gaps",
        "Anchor sites",
        "Maps",
        "Provenance",
    ):
        assert f"## {heading}" in markdown
        assert f"<h2>{heading}</h2>" in page
    assert "Synthetic demo data" in markdown
    # What each cluster definition is made of, so a combined one reads as what it holds.
    assert (
        "Energy, water and waste (D Electricity, gas, steam and air conditioning supply and E"
        in (markdown)
    )
    assert "Manufacturing: Tamewood / Upton Fields" in markdown
    assert "Tamewood 53%, Upton Fields 47%" in markdown
    # Why a concentration is not a cluster, and the demo's planted plant among the findings.
    assert "A concentration is not a cluster" in markdown
    assert "| concentration |" in markdown
    assert "county line and combined authority are judged on the employment" in markdown

    class Links(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.images: list[str] = []

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag == "img":
                self.images += [v or "" for k, v in attrs if k == "src"]

    links = Links()
    links.feed(page)
    # The page carries its maps inside itself: e-mailed alone, it loses none of them.
    assert links.images
    assert all(src.startswith("data:image/png;base64,") for src in links.images)
    shown = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", markdown)
    assert len(shown) == len(links.images)
    for name in ("clusters", "lq_all", "hotspots_all", "lisa_all"):
        assert f"figures/{name}.png" in shown
    assert all((demo_run.root / src).exists() for src in shown)


def test_report_leads_with_findings_and_names_no_local_path(demo_run: RunPaths) -> None:
    markdown = demo_run[r.REPORT_MD].read_text(encoding="utf-8")
    page = demo_run[r.REPORT_HTML].read_text(encoding="utf-8")
    headings = re.findall(r"^## (.+)$", markdown, flags=re.MULTILINE)
    assert headings[0] == "Key findings"
    for heading in ("Findings by authority", "Glossary", "Limitations"):
        assert heading in headings
    findings = markdown.split("## Key findings")[1].split("## ")[0]
    kinds = pd.read_parquet(demo_run[r.GOVERNED_CLUSTERS])["kind"].value_counts()
    assert f"{kinds['cluster']} clusters and {kinds['concentration']} concentrations" in findings
    assert "No. 1 on the maps, Information and communication: Oakhurst Fold" in findings
    # Each finding counted once: the combined authorities' counts add up to the findings.
    assert (
        "Combined authorities: 2 findings lie within one combined authority (all in Central "
        "Mercia Combined Authority); "
        "1 finding lies partly outside any combined authority; 4 findings lie outside any "
        "combined authority." in findings
    )
    assert kinds.sum() == 2 + 1 + 4
    # The governance section says the same, in the same words.
    governance = markdown.split("## Governance gaps")[1].split("## ")[0]
    assert (
        "Combined authorities: 2 findings lie within one combined authority (all in Central "
        "Mercia" in governance
    )
    assert "Anchor site **Demo park (mira like)** sits in Manufacturing" in findings
    # Nothing of the machine that ran: no absolute path, no link to a local file.
    for text in (markdown, page):
        assert str(demo_run.root.parent) not in text
        assert "file:" not in text
        assert not re.search(r"""(src|href)=["']/""", text)


def test_report_opens_in_a_headless_browser_with_every_map_and_prints(
    demo_run: RunPaths, tmp_path: Path, chromium: list[str]
) -> None:
    page = demo_run[r.REPORT_HTML].read_text(encoding="utf-8")
    # A copy of the page (away from the run folder, so nothing beside it can help) that
    # records, once loaded, how many of its images decoded.
    probe = (
        "<script>window.addEventListener('load', () => {const images = [...document.images];"
        "document.body.dataset.loaded = images.filter(i => i.complete && i.naturalWidth > 0)"
        ".length + '/' + images.length;});</script>"
    )
    copy = tmp_path / "alone.html"
    copy.write_text(page.replace("</body>", probe + "</body>"), encoding="utf-8")
    flags = ["--virtual-time-budget=15000"]
    dom = subprocess.run(
        [*chromium, *flags, "--dump-dom", copy.as_uri()],
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
    ).stdout
    loaded = re.search(r'data-loaded="(\d+)/(\d+)"', dom)
    assert loaded is not None, dom[:500]
    assert int(loaded.group(2)) >= 4
    assert loaded.group(1) == loaded.group(2)
    pdf = tmp_path / "report.pdf"
    subprocess.run(
        [*chromium, *flags, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", copy.as_uri()],
        capture_output=True,
        timeout=180,
        check=True,
    )
    assert pdf.read_bytes().startswith(b"%PDF")
    assert pdf.stat().st_size > 100_000


def test_geopackage_carries_the_run_provenance(demo_run: RunPaths) -> None:
    metadata = pyogrio.read_info(demo_run[r.GEOPACKAGE], layer="areas_lq")["dataset_metadata"]
    provenance = json.loads(demo_run[r.PROVENANCE].read_text(encoding="utf-8"))
    assert json.loads(metadata["CONFIG"]) == provenance["config"]
    assert json.loads(metadata["INPUTS_SHA256"]) == {
        role: entry["sha256"] for role, entry in provenance["inputs"].items()
    }
    assert json.loads(metadata["PACKAGE_VERSIONS"])["clustergeo"]
    assert metadata["PERMUTATION_SEED"] == str(provenance["config"]["hotspots"]["seed"])
    assert metadata["SYNTHETIC"] == "synthetic demo data"
    assert provenance["outputs"]["qgis_project"].endswith("clustergeo.qgs")


@pytest.mark.qgis
@pytest.mark.realdata
def test_qgis_opens_the_rutland_employment_surface(
    rutland_run: RunPaths, qgis_python: str, tmp_path: Path
) -> None:
    """Rutland's real grid (OSM land, 250 m) opens in QGIS with its CRS, bands and names."""
    report = _open_in_qgis(qgis_python, rutland_run.root, tmp_path / "rutland.png")
    raster = report["rasters"]["employment.tif"]
    assert raster["valid"]
    assert raster["crs"] == "EPSG:27700"
    definitions = [
        "manufacturing",
        "digital_ict",
        "professional_scientific",
        "logistics",
        "construction",
        "energy_waste",
    ]
    assert raster["bands"] == len(definitions)
    assert [name.split(": ", 1)[1] for name in raster["band_names"]] == definitions
    assert all(layer["valid"] for layer in report["layers"].values())
    provenance = json.loads(rutland_run[r.PROVENANCE].read_text(encoding="utf-8"))
    assert provenance["config"]["surface"]["osm"].endswith("rutland-latest.osm.pbf")


def test_surface_uses_osm_land_fetched_online_from_its_cache(
    demo_run: RunPaths, tmp_path: Path
) -> None:
    """``osm_online`` queries Overpass once; a cached result is used without the network."""
    import geopandas as gpd
    from shapely.geometry import box

    from clustergeo.stages import surface

    run = tmp_path / "processed"
    shutil.copytree(demo_run.root, run)
    raw = tmp_path / "raw"
    shutil.copytree(demo_run.root.parent / "raw", raw)
    config = load_config(demo_run.root.parent / "demo.yaml")
    config = config.model_copy(
        update={
            "output_dir": run,
            "data_dir": raw,
            "surface": config.surface.model_copy(update={"osm_online": True}),  # type: ignore[union-attr]
        }
    )
    areas = gpd.read_parquet(demo_run[r.AREAS])
    x0, y0, _x1, _y1 = areas.loc[areas["area_code"] == "X02000151"].total_bounds
    land = gpd.GeoDataFrame(
        {"osm_id": ["way/1"], "kind": ["industrial"], "name": ["Test Park"]},
        geometry=[box(x0, y0, x0 + 300, y0 + 300)],
        crs="EPSG:27700",
    )
    land.to_parquet(raw / "osm_employment_land_demo.parquet")
    surface.run(config)
    report = json.loads(RunPaths.for_config(config)[r.SURFACE_REPORT].read_text(encoding="utf-8"))
    assert report["land_polygons"] == 1
    assert len(report["allocation"]["fallback_areas"]) < 1500


def test_the_run_writes_an_offline_map_page_of_its_findings(demo_run: RunPaths) -> None:
    page = demo_run[r.MAP_PAGE].read_text(encoding="utf-8")
    assert "https://" not in page
    assert not re.search(r"""<(script|link|img)[^>]+(src|href)=""", page)
    payload = re.search(
        r'<script type="application/json" id="map-data">(.*?)</script>', page, flags=re.S
    )
    assert payload is not None
    data = json.loads(payload.group(1))
    n_findings = len(pd.read_parquet(demo_run[r.GOVERNED_CLUSTERS]))
    assert len(data["findings"]) == n_findings
    assert [f["rank"] for f in data["findings"]] == list(range(1, n_findings + 1))
    assert len(data["sites"]) == 3


def test_change_maps_share_the_run_geometry_only_for_its_areas_in_its_order() -> None:
    """A map colours the shared geometry's paths by its own rows, so the order must agree."""
    from types import SimpleNamespace

    areas = pd.DataFrame({"area_code": ["E01", "E02", "E03"]})
    data: Any = SimpleNamespace(areas=areas, geometry="the run's geometry")
    assert publish._shared_geometry(data, areas.copy()) == "the run's geometry"
    assert publish._shared_geometry(data, areas.iloc[::-1]) is None
    assert publish._shared_geometry(data, areas.iloc[:2]) is None


_READ_LAYOUT_MAPS = """
import json, sys
from qgis.core import QgsApplication, QgsLayoutItemMap, QgsProject
app = QgsApplication([], False)
app.initQgis()
project = QgsProject.instance()
read = project.read(sys.argv[1])
layouts = {}
for layout in project.layoutManager().printLayouts():
    maps = [i for i in layout.items() if isinstance(i, QgsLayoutItemMap)]
    layouts[layout.name()] = [
        {
            "uuid": m.uuid(),
            "extent": [m.extent().xMinimum(), m.extent().yMinimum(),
                       m.extent().xMaximum(), m.extent().yMaximum()],
            "theme": m.followVisibilityPresetName(),
            "overviews": [
                {"linked": o.linkedMap().uuid() if o.linkedMap() else None,
                 "enabled": o.enabled(),
                 "stroke": o.frameSymbol().symbolLayer(o.frameSymbol().symbolLayerCount() - 1)
                     .strokeStyle()}
                for o in (m.overviews().overview(i) for i in range(m.overviews().size()))
            ],
        }
        for m in maps
    ]
print(json.dumps({"read": read, "layouts": layouts}))
project.clear()
app.exitQgis()
"""


@pytest.mark.qgis
def test_qgis_reads_the_layouts_close_up_and_outlines_it(qgis_python: str, tmp_path: Path) -> None:
    """Real QGIS links every layout's overview to its close-up map, which follows the theme."""
    from clustergeo.publish.qgis_layouts import LayoutCloseUp
    from clustergeo.publish.qgis_project import project_for_layers

    view = (500_000.0, 150_000.0, 560_000.0, 210_000.0)
    project = tmp_path / "clustergeo.qgs"
    project.write_text(
        project_for_layers(
            framing=plain_framing(),
            geopackage_name="clustergeo.gpkg",
            layers={"clusters": "Polygon", "district": "Polygon"},
            styles=[],
            extent=(0, 0, 650_000, 1_200_000),
            close_up=LayoutCloseUp("London", view, (153, 151, 46, 46)),
        ),
        encoding="utf-8",
    )
    report = _qgis_script(qgis_python, _READ_LAYOUT_MAPS, str(project), scratch=tmp_path)
    assert report["read"]
    assert report["layouts"]
    for name, maps in report["layouts"].items():
        # The page's map outlines the close-up (QGIS lists items in no set order).
        (main,) = [m for m in maps if m["overviews"]]
        (inset,) = [m for m in maps if m is not main]
        assert inset["extent"] == pytest.approx(list(view)), name
        assert inset["theme"] == main["theme"] == name
        assert inset["overviews"] == []
        # Outlined dashed (Qt's DashLine, 2) on the main map, linked to the close-up.
        assert main["overviews"] == [{"linked": inset["uuid"], "enabled": True, "stroke": 2}]
