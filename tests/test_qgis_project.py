"""The QGIS project writer on hand-built inputs: themes, surface bands, relations, layouts.

Real QGIS reading the demo's project is tested in ``test_publish.py``; these check the
document's structure without QGIS.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import geopandas as gpd
import pytest
from shapely.geometry import box

from clustergeo.publish.framing import Framing
from clustergeo.publish.qgis_layouts import (
    LayoutCloseUp,
    close_up_places,
    layout_extent,
    scale_bar_km,
)
from clustergeo.publish.qgis_project import (
    OVERVIEW_THEME,
    SurfaceBands,
    layout_close_up,
    project_for_layers,
)
from clustergeo.publish.qgis_styles import (
    base_style,
    boundary_style,
    cluster_style,
    findings_style,
    hotspot_outline_style,
    hotspot_style,
    lisa_style,
    lq_style,
)

DEFINITIONS = [("manufacturing", "Manufacturing"), ("logistics", "Transport and storage")]
COLOURS = {"manufacturing": "#332288", "logistics": "#AA4499"}
FRAMING = Framing(
    run_name="test",
    description="",
    synthetic=True,
    employment_basis="workplace",
    employment_source="a test table",
    lq_reference="the study area",
    year=2021,
)


def _project(
    *,
    with_sites: bool = False,
    surface: SurfaceBands | None = None,
    close_up: LayoutCloseUp | None = None,
) -> ET.Element:
    layers: dict[str, str | None] = {
        "clusters": "Polygon",
        "cluster_extents": "Polygon",
        "areas_lq": "Polygon",
        "hotspots_areas": "Polygon",
        "district": "Polygon",
        "cluster_authorities": None,
        "authority_summaries": None,
    }
    if with_sites:
        layers |= {"anchor_sites": "Point", "site_authorities": None}
    labels = dict(DEFINITIONS)
    styles = [
        *(lq_style("areas_lq", k, v, default=i == 0) for i, (k, v) in enumerate(DEFINITIONS)),
        base_style("areas_lq"),
        *(
            hotspot_style("hotspots_areas", k, v, default=i == 0)
            for i, (k, v) in enumerate(DEFINITIONS)
        ),
        *(lisa_style("hotspots_areas", k, v) for k, v in DEFINITIONS),
        *(hotspot_outline_style("hotspots_areas", k, v) for k, v in DEFINITIONS),
        cluster_style(COLOURS, labels),
        cluster_style(COLOURS, labels, layer="cluster_extents", label_findings=False),
        *(findings_style("clusters", k, v, COLOURS[k], labelled=True) for k, v in DEFINITIONS),
        *(
            findings_style("clusters", k, v, COLOURS[k], labelled=True, outlined=True)
            for k, v in DEFINITIONS
        ),
        *(
            findings_style("cluster_extents", k, v, COLOURS[k], labelled=False, extent=True)
            for k, v in DEFINITIONS
        ),
        boundary_style("district"),
    ]
    xml = project_for_layers(
        framing=FRAMING,
        geopackage_name="clustergeo.gpkg",
        layers=layers,
        styles=styles,
        extent=(400_000, 250_000, 460_000, 340_000),
        definitions=DEFINITIONS,
        surface=surface,
        close_up=close_up,
    )
    return ET.fromstring(xml.split("\n", 1)[1])


def _names(root: ET.Element) -> dict[str, str]:
    return {
        str(layer.findtext("id")): str(layer.findtext("layername"))
        for layer in root.iter("maplayer")
    }


def test_themes_record_only_the_layers_they_show_each_in_its_industry_style() -> None:
    root = _project()
    names = _names(root)
    themes = {
        preset.get("name"): {
            names[str(layer.get("id"))]: (layer.get("visible"), layer.get("style"))
            for layer in preset.iter("layer")
        }
        for preset in root.iter("visibility-preset")
    }
    assert list(themes) == [
        OVERVIEW_THEME,
        "Manufacturing",
        "Manufacturing: hot spots",
        "Manufacturing: Local Moran",
        "Transport and storage",
        "Transport and storage: hot spots",
        "Transport and storage: Local Moran",
    ]
    assert all(visible == "1" for theme in themes.values() for visible, _ in theme.values())
    assert themes["Transport and storage"] == {
        "Clusters and concentrations (cores)": ("1", "Findings: Transport and storage"),
        "Cluster extents": ("1", "Findings: Transport and storage"),
        "Districts": ("1", "District boundaries"),
        "Location quotients, small areas": ("1", "LQ: Transport and storage"),
        # One click: the industry's LQs, its hot spots outlined over them, its findings.
        "Hot spots over the LQs (outlines)": ("1", "Hot spot outlines: Transport and storage"),
    }
    hot = themes["Manufacturing: hot spots"]
    assert hot["Hot spots (Getis-Ord Gi*)"] == ("1", "Hot spots: Manufacturing")
    # Over the hot spots the findings are outlined: filled, they would hide them.
    assert hot["Clusters and concentrations (cores)"] == ("1", "Findings outlined: Manufacturing")
    assert "Location quotients, small areas" not in hot
    lisa = themes["Manufacturing: Local Moran"]
    assert lisa["Local Moran clusters and outliers (LISA)"] == ("1", "Local Moran: Manufacturing")
    assert lisa["Clusters and concentrations (cores)"][1] == "Findings outlined: Manufacturing"
    # The overview is the project as it opens: the layers switched on, in their current style.
    tree = {
        node.get("name"): node.get("checked") == "Qt::Checked"
        for node in root.find("layer-tree-group").iter("layer-tree-layer")  # type: ignore[union-attr]
    }
    assert set(themes[OVERVIEW_THEME]) == {name for name, on in tree.items() if on}
    assert themes[OVERVIEW_THEME]["Location quotients, small areas"] == ("1", "Study area")
    # The hot spots are drawn over the findings' translucent cores, which would hide them.
    order = list(tree)
    assert order.index("Hot spots over the LQs (outlines)") < order.index(
        "Clusters and concentrations (cores)"
    )


def test_a_layer_offers_its_styles_and_opens_on_the_overview_style() -> None:
    root = _project()
    layers = {layer.findtext("layername"): layer for layer in root.iter("maplayer")}
    manager = layers["Location quotients, small areas"].find("map-layer-style-manager")
    assert manager is not None
    assert manager.get("current") == "Study area"
    assert [s.get("name") for s in manager.iter("map-layer-style")] == [
        "Study area",
        "LQ: Manufacturing",
        "LQ: Transport and storage",
    ]
    # The Gi* layer and the Local Moran layer show one GeoPackage layer, each its own styles.
    hot = layers["Hot spots (Getis-Ord Gi*)"].find("map-layer-style-manager")
    lisa = layers["Local Moran clusters and outliers (LISA)"].find("map-layer-style-manager")
    assert hot is not None
    assert lisa is not None
    assert {s.get("name", "")[:9] for s in hot.iter("map-layer-style")} == {"Hot spots"}
    assert {s.get("name", "")[:11] for s in lisa.iter("map-layer-style")} == {"Local Moran"}


def test_surface_bands_are_layers_off_by_default_in_their_group() -> None:
    root = _project(
        surface=SurfaceBands("surface/employment.tif", ("manufacturing", "logistics"), 250.0)
    )
    rasters = [layer for layer in root.iter("maplayer") if layer.get("type") == "raster"]
    assert [r.findtext("layername") for r in rasters] == ["Manufacturing", "Transport and storage"]
    for band, raster in enumerate(rasters, start=1):
        assert raster.findtext("datasource") == "./surface/employment.tif"
        renderer = raster.find("pipe/rasterrenderer")
        assert renderer is not None
        assert (renderer.get("type"), renderer.get("band")) == ("singlebandpseudocolor", str(band))
        items = renderer.findall(".//item")
        assert [i.get("value") for i in items] == ["1", "10", "50", "250", "1000", "inf"]
        assert items[0].get("alpha") == "0"
        assert "per 250 m grid cell" in str(raster.findtext("abstract"))
    group = next(g for g in root.iter("layer-tree-group") if g.get("name") == "Employment surface")
    assert group.get("checked") == "Qt::Unchecked"
    assert {n.get("checked") for n in group.iter("layer-tree-layer")} == {"Qt::Unchecked"}


def test_relations_join_layers_present_and_skip_the_rest() -> None:
    without_sites = _project()
    pairs = {
        (rel.get("name"), rel.get("referencedLayer", "").split("_")[0])
        for rel in without_sites.iter("relation")
    }
    assert ("Authorities of this finding", "clusters") in pairs
    assert ("Clusters of this authority", "district") in pairs
    assert not any("site" in name for name, _ in pairs if name)
    with_sites = _project(with_sites=True)
    names = {rel.get("name") for rel in with_sites.iter("relation")}
    assert "Authorities of this site" in names
    for rel in with_sites.iter("relation"):
        field = rel.find("fieldRef")
        assert field is not None
        assert field.get("referencedField")
        assert field.get("referencingField")


def test_every_layer_has_an_abstract_with_the_measure_year_and_source() -> None:
    root = _project()
    for layer in root.iter("maplayer"):
        abstract = str(layer.findtext("abstract"))
        assert "workplace-based employment, 2021" in abstract, layer.findtext("layername")
        assert "Source: synthetic demo data" in abstract
        assert layer.findtext("resourceMetadata/abstract") == abstract


def test_one_layout_per_theme_follows_it() -> None:
    root = _project()
    themes = [p.get("name") for p in root.iter("visibility-preset")]
    layouts = root.findall("Layouts/Layout")
    assert [layout.get("name") for layout in layouts] == themes
    for layout in layouts:
        types = [item.get("type") for item in layout.iter("LayoutItem")]
        # Page, map, title, subtitle, legend, source, scale bar, north arrow.
        assert sorted(types) == sorted(
            ["65638", "65639", "65641", "65641", "65642", "65641", "65646", "65640"]
        )
        page = layout.find("PageCollection/LayoutItem")
        assert page is not None
        assert page.get("size") == "297,210,mm"
        map_item = next(i for i in layout.iter("LayoutItem") if i.get("type") == "65639")
        assert map_item.get("followPresetName") == layout.get("name")
        # The subtitle says how the findings are drawn: outlined over hot spots and Local
        # Moran classes, filled over the LQs.
        subtitle = next(
            str(i.get("labelText"))
            for i in layout.iter("LayoutItem")
            if "Findings numbered by rank" in str(i.get("labelText"))
        )
        name = str(layout.get("name"))
        if name.endswith((": hot spots", ": Local Moran")):
            assert "cores outlined" in subtitle, name
        elif name != OVERVIEW_THEME:
            assert "cores filled" in subtitle, name
        assert map_item.get("followPreset") == "true"
        # The legend lists the theme's layers, in its order, and no other.
        legend = next(i for i in layout.iter("LayoutItem") if i.get("type") == "65642")
        theme = next(
            p for p in root.iter("visibility-preset") if p.get("name") == layout.get("name")
        )
        assert [n.get("id") for n in legend.iter("layer-tree-layer")] == [
            layer.get("id") for layer in theme.iter("layer")
        ]


def test_layout_extent_keeps_the_study_area_whole_in_the_frames_proportions() -> None:
    xmin, ymin, xmax, ymax = layout_extent((0, 0, 100_000, 200_000))
    assert (xmax - xmin) / (ymax - ymin) == pytest.approx(192 / 176)
    # A margin of 3% of the longer side on every side: no edge touches the frame.
    assert ymin == pytest.approx(-6_000)
    assert ymax == pytest.approx(206_000)
    assert xmin < -6_000
    assert xmax > 106_000
    assert (xmin + xmax) / 2 == pytest.approx(50_000)


@pytest.mark.parametrize(
    ("width_m", "segment_km"), [(4_000, 0.5), (60_000, 5), (120_000, 10), (900_000, 50)]
)
def test_scale_bar_segments_are_round_kilometres(width_m: float, segment_km: float) -> None:
    assert scale_bar_km(width_m) == segment_km


def test_a_long_title_is_set_smaller_to_stay_on_its_line() -> None:
    from clustergeo.publish.qgis_layouts import _title_font

    assert _title_font("Manufacturing: location quotients").split(",")[1] == "15"
    long = "Professional, scientific and technical: location quotients, hot spots and findings"
    size = float(_title_font(long + " (synthetic demo data)").split(",")[1])
    assert 9 <= size < 15
    assert size * len(long + " (synthetic demo data)") <= 15 * 80 + 15


def test_the_layout_legend_sets_the_authority_boundaries_under_a_heading() -> None:
    from clustergeo.publish.qgis_layouts import _legend_tree

    tree = _legend_tree(
        [
            ("sites", "Anchor sites", "Anchor sites"),
            ("cores", "Clusters and concentrations (cores)", "Clusters"),
            ("ca", "Combined authorities", "Authorities"),
            ("county", "Counties", "Authorities"),
            ("lq", "Location quotients, small areas", "Location quotients"),
        ]
    )
    # The single-line boundary layers would otherwise read as classes of the cores above.
    heading = '<layer-tree-group name="Authority boundaries"'
    assert tree.count(heading) == 1
    inside = tree.split(heading, 1)[1].split("</layer-tree-group>", 1)[0]
    assert 'id="ca"' in inside
    assert 'id="county"' in inside
    assert 'id="cores"' not in inside
    assert 'id="lq"' not in inside
    assert tree.index('id="cores"') < tree.index(heading) < tree.index('id="lq"')
    # With the principal places among them, the heading names them too.
    with_places = _legend_tree(
        [
            ("places", "Principal places", "Authorities"),
            ("ca", "Combined authorities", "Authorities"),
        ]
    )
    assert '<layer-tree-group name="Places and authority boundaries"' in with_places


def _mm(item: ET.Element, attribute: str) -> tuple[float, float]:
    first, second, _unit = str(item.get(attribute)).split(",")
    return float(first), float(second)


@pytest.mark.parametrize("source_lines", [2, 6, 12])
def test_the_legend_takes_the_side_column_down_to_the_source_text(source_lines: int) -> None:
    from clustergeo.publish.qgis_layouts import PrintLayout, layouts_xml, source_height

    # A long source (a GVA run's names its release and boundaries) pushes the legend up; a
    # short one leaves it the room, instead of a fixed box that clipped a long legend's foot.
    source = "\n".join(f"Line {i} of the source and its credits." for i in range(source_lines))
    page = PrintLayout("Overview", "Title", "Subtitle", source, (("a", "A", "Clusters"),))
    layout = ET.fromstring(layouts_xml([page], (0, 0, 100_000, 100_000))).find("Layout")
    assert layout is not None
    items = {i.get("type"): i for i in layout.iter("LayoutItem") if i.get("type") != "65641"}
    labels = [i for i in layout.iter("LayoutItem") if i.get("type") == "65641"]
    source_item = next(i for i in labels if i.get("labelText") == source)
    legend, map_item = items["65642"], items["65639"]
    assert legend.get("title") == ""
    legend_top = _mm(legend, "position")[1]
    legend_foot = legend_top + _mm(legend, "size")[1]
    source_top = _mm(source_item, "position")[1]
    map_foot = _mm(map_item, "position")[1] + _mm(map_item, "size")[1]
    # The source sits at the foot of the column, level with the map's lower edge, tall
    # enough for its lines (3.2 mm each at 7 pt), and the legend ends just above it.
    assert source_top + _mm(source_item, "size")[1] == pytest.approx(map_foot)
    assert source_item.get("valign") == "64"
    assert _mm(source_item, "size")[1] == pytest.approx(source_height(source))
    assert source_height(source) >= 3.2 * source_lines
    assert 0 < source_top - legend_foot <= 3.0 + 1e-9
    # A wrapped line counts as two: 52 characters fill a line of the 79 mm column.
    assert source_height("x " * 40) == pytest.approx(source_height("x\nx"))


def test_extents_are_dotted_so_they_are_not_read_as_combined_authorities() -> None:
    # Both in purples on a manufacturing theme: the combined authorities' line is dashed.
    extent = findings_style(
        "cluster_extents", "manufacturing", "Manufacturing", "#332288", labelled=False, extent=True
    ).qml
    authority = boundary_style("combined_authority").qml
    assert 'name="outline_style" value="dot"' in extent
    assert 'name="outline_style" value="dash"' in authority


def test_outlined_findings_have_no_fill_and_a_halo() -> None:
    style = findings_style(
        "clusters", "manufacturing", "Manufacturing", "#332288", labelled=True, outlined=True
    )
    assert style.name == "Findings outlined: Manufacturing"
    # Clusters' cores unfilled; concentrations hatched as ever.
    assert 'name="style" value="no"' in style.qml
    assert 'name="style" value="solid"' not in style.qml
    assert 'name="style" value="f_diagonal"' in style.qml
    # A white line under each coloured outline, so it reads over red hot spots.
    assert 'name="outline_color" value="255,255,255,255"' in style.qml


def _grid(columns: int, rows: int, london: set[tuple[int, int]]) -> gpd.GeoDataFrame:
    """10 km squares, ``columns`` by ``rows``; those in ``london`` (column, row) in London."""
    cells = [(c, r) for r in range(rows) for c in range(columns)]
    return gpd.GeoDataFrame(
        {
            "area_code": [f"E{i:03d}" for i in range(len(cells))],
            "region_name": ["London" if cell in london else "Elsewhere" for cell in cells],
        },
        geometry=[
            box(c * 10_000, r * 10_000, (c + 1) * 10_000, (r + 1) * 10_000) for c, r in cells
        ],
        crs="EPSG:27700",
    )


def test_close_up_places_are_corners_of_the_map_frame_largest_first() -> None:
    places = close_up_places((0, 0, 100_000, 200_000))
    sides = [box_[2] for box_, _covered in places]
    assert sides == sorted(sides, reverse=True)
    extent = layout_extent((0, 0, 100_000, 200_000))
    metres = (extent[2] - extent[0]) / 192  # a millimetre of the map frame
    for (x, y, width, height), covered in places:
        # Inside the map frame (10, 24, 192 x 176 mm), square.
        assert width == height
        assert x >= 10
        assert y >= 24
        assert x + width <= 202
        assert y + height <= 200
        # What it covers on the map: its box, the 5 mm title above it and 4 mm round both.
        assert covered[2] - covered[0] == pytest.approx((width + 8) * metres)
        assert covered[3] - covered[1] == pytest.approx((height + 5 + 8) * metres)
        assert covered[0] == pytest.approx(extent[0] + (x - 4 - 10) * metres)
    # The first: the bottom-right corner, 3 mm in from the frame, so it covers the map from
    # 1 mm under its foot (3 mm less the 4 mm kept clear) up to its title and clearance.
    (x, y, side, _), covered = places[0]
    assert (x + side, y + side) == pytest.approx((199, 197))
    assert covered[1] == pytest.approx(extent[1] - 1 * metres)
    assert covered[3] == pytest.approx(extent[1] + (3 + side + 5 + 4) * metres)
    # The second: the top-left corner, its title 3 mm under the frame's top.
    (x, y, side, _), covered = places[1]
    assert (x, y - 5) == pytest.approx((13, 27))
    assert covered[3] == pytest.approx(extent[3] + 1 * metres)
    assert covered[1] == pytest.approx(extent[3] - (3 + 5 + side + 4) * metres)


def test_a_national_layout_shows_london_enlarged_where_the_map_is_empty() -> None:
    # A tall study area 100 by 300 km, London's 2 x 2 squares in its middle: the frame's
    # proportions leave sea beside it, and the close-up takes a corner of it.
    tall = _grid(10, 30, {(4, 14), (5, 14), (4, 15), (5, 15)})
    close_up = layout_close_up(tall)
    assert close_up is not None
    assert close_up.place == "London"
    xmin, ymin, xmax, ymax = close_up.view
    assert xmin < 40_000
    assert ymin < 140_000
    assert xmax > 60_000
    assert ymax > 160_000
    covered = dict(close_up_places(tall.total_bounds))[close_up.box]
    assert not tall.intersects(box(*covered)).any()
    # A study area filling the frame leaves no corner free; a region without London needs none.
    wide = _grid(22, 20, {(10, 10), (11, 10), (10, 11), (11, 11)})
    assert layout_close_up(wide) is None
    assert layout_close_up(tall.assign(region_name="Elsewhere")) is None


def test_every_layout_frames_the_close_up_and_outlines_it_on_its_map() -> None:
    close_up = LayoutCloseUp("London", (40_000, 140_000, 60_000, 160_000), (153, 151, 46, 46))
    root = _project(close_up=close_up)
    for layout in root.findall("Layouts/Layout"):
        maps = [i for i in layout.iter("LayoutItem") if i.get("type") == "65639"]
        assert len(maps) == 2
        main, inset = maps
        assert inset.get("position") == "153,151,mm"
        assert inset.get("size") == "46,46,mm"
        assert inset.get("followPresetName") == layout.get("name")
        extent = inset.find("Extent")
        assert extent is not None
        assert [float(extent.get(k, "nan")) for k in ("xmin", "ymin", "xmax", "ymax")] == [
            40_000,
            140_000,
            60_000,
            160_000,
        ]
        (overview,) = main.iter("ComposerMapOverview")
        assert overview.get("frameMap") == inset.get("uuid")
        assert overview.get("show") == "1"
        titles = [i.get("labelText") for i in layout.iter("LayoutItem") if i.get("type") == "65641"]
        assert "London, enlarged" in titles
        # Each map its own scale bar: the close-up's is inside its box.
        bars = {i.get("mapUuid"): i for i in layout.iter("LayoutItem") if i.get("type") == "65646"}
        assert set(bars) == {main.get("uuid"), inset.get("uuid")}
        bar_x, bar_y = (
            float(v) for v in str(bars[inset.get("uuid")].get("position"))[:-3].split(",")
        )
        assert 153 < bar_x < 153 + 46
        assert 151 < bar_y < 151 + 46
    # Without a close-up, one map and no overview.
    plain = _project()
    for layout in plain.findall("Layouts/Layout"):
        assert [i.get("type") for i in layout.iter("LayoutItem")].count("65639") == 1
        assert not list(layout.iter("ComposerMapOverview"))
