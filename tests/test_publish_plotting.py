"""Tests for clustergeo.publish.plotting: fixed classes, the LQ map and saving figures."""

from __future__ import annotations

import logging
import math
import re
from pathlib import Path

import geopandas as gpd
import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import is_color_like
from matplotlib.image import imread
from matplotlib.offsetbox import AnchoredOffsetbox
from matplotlib.text import Text
from shapely.geometry import box

from clustergeo._errors import InputDataError
from clustergeo.publish import plotting
from clustergeo.publish.plotting import (
    BOUNDARY_STYLES,
    HOTSPOT_CLASS_COLOURS,
    HOTSPOT_CLASS_LABELS,
    HOTSPOT_CLASSES,
    LQ_BREAKS,
    LQ_CLASS_COLOURS,
    LQ_CLASSES,
    LQ_NO_DATA_LABEL,
    LQ_UNRELIABLE_LABEL,
    LQ_VALUE_LABELS,
    MapInputError,
    add_scale_bar,
    classify_lq,
    plot_lq_choropleth,
    save_figure,
    study_outline_handle,
    unreliable_label,
)
from clustergeo.vocab import GI_STAR_CLASSES

NEAR_AVERAGE = "0.8–1.25 (near average)"
DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
MSOA_MIDLANDS = (
    DATA / "boundaries_msoa2011_lsoa2011_martinjc" / "msoa2011_midlands_martinjc.geojson"
)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture
def grid() -> gpd.GeoDataFrame:
    """Twelve 1 km squares (4 columns × 3 rows) in British National Grid near Birmingham."""
    x0, y0, size = 400_000, 280_000, 1_000
    cells = [
        box(x0 + col * size, y0 + row * size, x0 + (col + 1) * size, y0 + (row + 1) * size)
        for row in range(3)
        for col in range(4)
    ]
    lq = [0.2, 0.5, 0.8, 1.0, 1.25, 2.0, 4.0, 7.5, np.nan, 0.9, 1.6, 3.0]
    unreliable = [False] * 9 + [True, False, False]
    return gpd.GeoDataFrame(
        {"area_code": [f"E0200{i:04d}" for i in range(12)], "lq": lq, "lq_unreliable": unreliable},
        geometry=cells,
        crs="EPSG:27700",
    )


@pytest.fixture
def districts(grid: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    halves = grid.assign(district=["west", "west", "east", "east"] * 3)
    return halves.dissolve(by="district")[["geometry"]]


def legend_labels(ax: plt.Axes) -> list[str]:
    legend = ax.get_legend()
    assert legend is not None
    # Long labels are wrapped onto two lines in the legend.
    return [text.get_text().replace("\n", " ") for text in legend.get_texts()]


def area_fills(ax: plt.Axes, areas: gpd.GeoDataFrame) -> list[tuple[float, ...]]:
    """The fill each area is drawn in: that of the one area path its inner point falls in.

    Areas of one class are drawn as one compound path, so the fill is found by place.
    """
    collection = ax.collections[0]
    paths, fills = collection.get_paths(), collection.get_facecolors()
    found = []
    for point in areas.geometry.representative_point():
        hits = [i for i, path in enumerate(paths) if path.contains_point((point.x, point.y))]
        assert len(hits) == 1, f"{point} lies in {len(hits)} area paths"
        found.append(tuple(fills[hits[0]]))
    return found


# --- Constants -------------------------------------------------------------------------------


def test_lq_constants_are_consistent():
    assert tuple(LQ_BREAKS) == (0, 0.5, 0.8, 1.25, 2.0, 4.0, math.inf)
    assert len(LQ_VALUE_LABELS) == len(LQ_BREAKS) - 1
    assert tuple(LQ_CLASSES) == (*LQ_VALUE_LABELS, LQ_UNRELIABLE_LABEL, LQ_NO_DATA_LABEL)
    assert tuple(LQ_CLASS_COLOURS) == LQ_CLASSES
    colours = list(LQ_CLASS_COLOURS.values())
    assert all(re.fullmatch(r"#[0-9a-f]{6}", colour) for colour in colours)
    assert len(set(colours)) == len(colours)


def test_hotspot_constants_are_consistent():
    assert HOTSPOT_CLASSES == (
        "hot_99",
        "hot_95",
        "not_significant",
        "cold_95",
        "cold_99",
    )
    # The maps show every class the hot-spot engine gives, in its order.
    assert tuple(c for c in GI_STAR_CLASSES if c != "not_tested") == HOTSPOT_CLASSES
    assert tuple(HOTSPOT_CLASS_COLOURS) == HOTSPOT_CLASSES
    assert tuple(HOTSPOT_CLASS_LABELS) == HOTSPOT_CLASSES
    assert all(is_color_like(colour) for colour in HOTSPOT_CLASS_COLOURS.values())


def test_constants_cannot_be_changed_by_accident():
    with pytest.raises(TypeError):
        LQ_CLASS_COLOURS["≥ 4"] = "#000000"  # type: ignore[index]


def test_importing_does_not_change_global_style():
    before = dict(mpl.rcParams)
    with plotting.house_style():
        assert mpl.rcParams["font.sans-serif"] == ["DejaVu Sans"]
    assert dict(mpl.rcParams) == before


# --- classify_lq ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.0, "< 0.5"),
        (0.499, "< 0.5"),
        (0.5, "0.5–0.8"),
        (0.799, "0.5–0.8"),
        (0.8, NEAR_AVERAGE),
        (1.0, NEAR_AVERAGE),
        (1.249, NEAR_AVERAGE),
        (1.25, "1.25–2"),
        (2.0, "2–4"),
        (3.999, "2–4"),
        (4.0, "≥ 4"),
        (250.0, "≥ 4"),
    ],
)
def test_classify_lq_puts_break_values_in_the_upper_class(value, expected):
    assert list(classify_lq(pd.Series([value]))) == [expected]


def test_classify_lq_missing_and_unreliable_have_their_own_classes():
    values = pd.Series([1.0, np.nan, 3.0, np.nan, 0.3], index=list("abcde"))
    unreliable = pd.Series([False, False, True, True, pd.NA], index=list("abcde"), dtype="boolean")
    result = classify_lq(values, unreliable)
    assert list(result) == [
        NEAR_AVERAGE,
        LQ_NO_DATA_LABEL,
        LQ_UNRELIABLE_LABEL,  # flagged wins over the value
        LQ_UNRELIABLE_LABEL,  # flagged wins over missing
        "< 0.5",  # a missing flag counts as not flagged
    ]


def test_classify_lq_always_has_every_category():
    result = classify_lq(pd.Series([1.0, 1.1]))
    assert isinstance(result, pd.Categorical)
    assert tuple(result.categories) == LQ_CLASSES
    assert not result.ordered


def test_classify_lq_aligns_flags_by_index_not_position():
    values = pd.Series([0.3, 5.0], index=["x", "y"])
    flags = pd.Series([False, True], index=["y", "x"])
    assert list(classify_lq(values, flags)) == [LQ_UNRELIABLE_LABEL, "≥ 4"]


def test_classify_lq_accepts_nullable_floats():
    values = pd.Series([0.6, None], dtype="Float64")
    assert list(classify_lq(values)) == ["0.5–0.8", LQ_NO_DATA_LABEL]


@pytest.mark.parametrize("bad", [-0.1, math.inf])
def test_classify_lq_rejects_impossible_values(bad):
    with pytest.raises(MapInputError, match=r"negative or infinite \(index 1\)"):
        classify_lq(pd.Series([1.0, bad]))


def test_classify_lq_rejects_flags_that_do_not_line_up():
    values = pd.Series([1.0, 2.0], index=["a", "b"])
    with pytest.raises(MapInputError, match="no flag for index b"):
        classify_lq(values, pd.Series([True], index=["a"]))
    with pytest.raises(MapInputError, match="True/False"):
        classify_lq(values, pd.Series(["yes", "no"], index=["a", "b"]))


# --- plot_lq_choropleth -----------------------------------------------------------------------


def test_plot_returns_figure_and_axes_with_full_legend(grid, districts):
    fig, ax = plot_lq_choropleth(
        grid,
        title="Manufacturing",
        subtitle="LQ vs England, 2021",
        boundaries={"district": districts, "county": districts.dissolve()},
    )
    assert isinstance(fig, plt.Figure)
    assert ax.figure is fig
    labels = legend_labels(ax)
    for label in LQ_CLASSES:
        assert label in labels
    assert BOUNDARY_STYLES["district"]["label"] in labels
    assert BOUNDARY_STYLES["county"]["label"] in labels
    assert BOUNDARY_STYLES["combined_authority"]["label"] not in labels
    assert ax.get_title(loc="left") == "Manufacturing"
    assert list(ax.get_xticks()) == []
    assert list(ax.get_yticks()) == []
    assert ax.get_xlabel() == ""
    assert ax.get_aspect() == 1.0
    texts = " ".join(t.get_text() for t in ax.texts)
    assert "LQ vs England, 2021" in texts
    assert "Contains OS data © Crown copyright and database right" in texts
    assert "British National Grid" in texts


def test_empty_boundary_layer_is_left_out_quietly(grid, districts):
    _, ax = plot_lq_choropleth(
        grid, title="Empty county layer", boundaries={"county": districts.iloc[:0]}
    )
    assert BOUNDARY_STYLES["county"]["label"] not in legend_labels(ax)


def test_legend_lists_only_the_classes_on_the_map_in_their_fixed_order(grid):
    _, ax_all = plot_lq_choropleth(grid, title="All classes")
    assert legend_labels(ax_all) == [
        *reversed(LQ_VALUE_LABELS),
        LQ_UNRELIABLE_LABEL,
        LQ_NO_DATA_LABEL,
    ]
    only_average = grid.assign(lq=1.0, lq_unreliable=False)
    _, ax_one = plot_lq_choropleth(only_average, title="One class")
    assert legend_labels(ax_one) == [NEAR_AVERAGE]


def test_unreliable_label_names_the_reasons_given_in_a_fixed_order():
    assert unreliable_label(None) == LQ_UNRELIABLE_LABEL
    assert unreliable_label(["small count", None, np.nan]) == "unreliable (small count)"
    assert unreliable_label(["small value"]) == "unreliable (small value)"
    assert unreliable_label(["suppressed", "small count", "small count"]) == (
        "unreliable (small count or suppressed)"
    )
    assert unreliable_label(["negative", "suppressed", "small area", "small count"]) == (
        "unreliable (small count, small area total, negative or suppressed)"
    )
    # Nothing to name (no flagged area drawn, or an unknown note): every reason.
    assert unreliable_label([]) == LQ_UNRELIABLE_LABEL
    assert unreliable_label(["withheld"]) == LQ_UNRELIABLE_LABEL


def test_lq_legend_names_only_the_reasons_of_the_flagged_areas_drawn(grid):
    # Area 9 is flagged for a small count; area 0's note is not drawn as flagged.
    notes = [""] * 12
    notes[9], notes[0] = "small count", "suppressed"
    noted = grid.assign(lq_note=notes)
    _, ax = plot_lq_choropleth(noted, title="Census", note_column="lq_note")
    labels = legend_labels(ax)
    assert "unreliable (small count)" in labels
    assert LQ_UNRELIABLE_LABEL not in labels
    with pytest.raises(MapInputError, match="no column 'why'"):
        plot_lq_choropleth(noted, title="Census", note_column="why")


def test_study_outline_is_drawn_under_the_county_line_as_its_key_shows(grid, districts):
    geometry = plotting.geometry_for_map(grid, {"county": districts.dissolve()})
    fig, ax = plt.subplots()
    plotting.draw_outlines(ax, geometry, ["county"], study_outline=True)
    county, outline = sorted(ax.collections, key=lambda c: c.get_linewidth()[0])
    handle = study_outline_handle()
    assert handle.get_label() == "Study area"
    assert outline.get_linewidth()[0] == handle.get_linewidth()
    assert outline.get_alpha() == handle.get_alpha()
    assert mpl.colors.same_color(outline.get_edgecolor()[0][:3], handle.get_color())
    # A wider, paler band under the county line, so the two read apart where they coincide.
    assert outline.get_linewidth()[0] > county.get_linewidth()[0]
    assert outline.get_zorder() < county.get_zorder()
    assert handle.get_linewidth() > max(style["linewidth"] for style in BOUNDARY_STYLES.values())
    plt.close(fig)


def test_hotspot_and_lisa_legends_list_the_classes_present(grid):
    classes = ["hot_99", "not_significant", "not_tested"] * 4
    _, ax = plotting.plot_hotspot_map(grid.assign(c=classes), "c", title="Hot")
    assert legend_labels(ax) == ["Hot spot, 99% confidence", "Not significant", "no data"]
    quadrants = ["HH", "LL", "HL", "not_significant"] * 3
    _, ax = plotting.plot_lisa_map(grid.assign(m=quadrants), "m", title="LISA")
    assert legend_labels(ax) == [
        "High-high (cluster)",
        "High-low (outlier)",
        "Low-low (cluster)",
        "Not significant",
    ]
    assert area_fills(ax, grid)[0] == mpl.colors.to_rgba(plotting.MORAN_CLASS_COLOURS["HH"])


def test_areas_are_filled_with_their_class_colour(grid):
    _, ax = plot_lq_choropleth(grid, title="Colours", unreliable_column=None)
    expected = [LQ_CLASS_COLOURS[label] for label in classify_lq(grid["lq"])]
    np.testing.assert_allclose(area_fills(ax, grid), [mpl.colors.to_rgba(c) for c in expected])
    # One path per class drawn, not one per area.
    assert len(ax.collections[0].get_paths()) == len(set(expected))


def test_plot_draws_into_a_given_axes(grid):
    fig, ax = plt.subplots(1, 2, layout="constrained")
    returned_fig, returned_ax = plot_lq_choropleth(grid, title="Left", ax=ax[0])
    assert returned_fig is fig
    assert returned_ax is ax[0]
    assert not ax[1].has_data()


def test_plot_never_shows(grid, monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("plt.show() was called")

    monkeypatch.setattr(plt, "show", fail)
    plot_lq_choropleth(grid, title="Quiet")


def test_geographic_crs_is_refused_with_the_fix(grid):
    with pytest.raises(ValueError, match=r"geographic CRS.*to_crs\(27700\)"):
        plot_lq_choropleth(grid.to_crs(4326), title="Degrees")


def test_missing_crs_is_refused(grid):
    with pytest.raises(ValueError, match=r"no CRS.*set_crs\(27700\)"):
        plot_lq_choropleth(grid.set_crs(None, allow_override=True), title="No CRS")


def test_every_problem_is_reported_at_once(grid, districts):
    bad = grid.drop(columns=["lq_unreliable"]).to_crs(4326)
    with pytest.raises(MapInputError) as caught:
        plot_lq_choropleth(
            bad,
            column="location_quotient",
            title="Broken",
            boundaries={"district": districts, "ward": districts},
        )
    message = str(caught.value)
    assert "no column 'location_quotient'" in message
    assert "unreliable_column=None" in message
    assert "geographic CRS" in message
    assert "boundaries['district'] is in" in message
    assert "unknown tier 'ward'" in message
    # The command line reports ClusterGeoError subclasses without a traceback.
    assert isinstance(caught.value, InputDataError)


def test_scale_bar_and_north_arrow_never_hide_data(grid):
    # The grid fills its frame, so there is no empty corner: the furniture goes under the map.
    fig, ax = plot_lq_choropleth(grid, title="Full frame")
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    furniture = [a for a in ax.artists if isinstance(a, AnchoredOffsetbox)]
    assert furniture
    map_box = ax.get_window_extent(renderer)
    for artist in furniture:
        extent = artist.get_window_extent(renderer)
        assert extent.y1 <= map_box.y0 + 1
        assert fig.bbox.contains(extent.x0, extent.y0)


def test_scale_bar_and_north_arrow_go_in_empty_corners(grid):
    # Without the right-hand cells of the top and bottom rows, both right corners are empty.
    notched = grid.drop(index=[2, 3, 10, 11])
    fig, ax = plot_lq_choropleth(notched, title="Notched")
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    map_box = ax.get_window_extent(renderer)
    furniture = [a.get_window_extent(renderer) for a in ax.artists]
    assert len(furniture) == 2
    for extent in furniture:
        assert map_box.contains((extent.x0 + extent.x1) / 2, (extent.y0 + extent.y1) / 2)
        assert extent.x0 > map_box.x0 + map_box.width / 2


def test_scale_bar_has_a_round_length(grid):
    _, ax = plt.subplots()
    ax.set_xlim(0, 37_000)
    ax.set_ylim(0, 20_000)
    scale_bar = add_scale_bar(ax)
    assert isinstance(scale_bar, AnchoredOffsetbox)
    labels = [c.get_text() for c in scale_bar.get_child().get_children() if isinstance(c, Text)]
    # A quarter of 37 km is 9.25 km; the largest 1-2-5 length below it is 5 km.
    assert labels == ["0", "2.5", "5", "km"]


def test_a_scale_bar_too_short_for_three_numbers_shows_its_ends():
    # A small multiple of the whole UK: 1,000 km across a 1.2-inch panel makes a 100 km bar
    # 0.12 in long, with no room for "50" between "0" and "100".
    fig, ax = plt.subplots(figsize=(1.5, 2))
    ax.set_position((0.1, 0.1, 0.8, 0.8))
    ax.set_xlim(0, 1_000_000)
    ax.set_ylim(0, 1_200_000)
    scale_bar = add_scale_bar(ax, length_m=100_000)
    labels = [c.get_text() for c in scale_bar.get_child().get_children() if isinstance(c, Text)]
    assert labels == ["0", "100", "km"]
    plt.close(fig)


# --- save_figure ------------------------------------------------------------------------------


def test_save_figure_writes_png_pdf_and_svg_atomically(grid, tmp_path, caplog):
    fig, _ = plot_lq_choropleth(grid, title="Saved", source="Source: a test grid, 2024.")
    width_in, height_in = fig.get_size_inches()
    with caplog.at_level(logging.INFO, logger="clustergeo.publish.plotting"):
        paths = save_figure(fig, tmp_path / "maps" / "lq_grid")
    stem = tmp_path / "maps" / "lq_grid"
    assert paths == [stem.with_suffix(".png"), stem.with_suffix(".pdf"), stem.with_suffix(".svg")]
    assert all(path.stat().st_size > 0 for path in paths)
    # Nothing else is left behind: no ".partial" temporary files.
    assert sorted(p.name for p in (tmp_path / "maps").iterdir()) == [
        "lq_grid.pdf",
        "lq_grid.png",
        "lq_grid.svg",
    ]
    pixels = imread(paths[0])
    # matplotlib truncates the size in pixels, so allow one pixel either way.
    assert pixels.shape[:2] == pytest.approx((height_in * 300, width_in * 300), abs=1)
    assert width_in == pytest.approx(17 / 2.54)
    assert paths[1].read_bytes().startswith(b"%PDF")
    svg = paths[2].read_text(encoding="utf-8")
    assert svg.lstrip().startswith("<?xml")
    # Text is text, so a designer can edit the captions.
    assert "<text" in svg
    assert "Source: a test grid, 2024." in svg
    assert not plt.fignum_exists(fig.number)
    written = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    # Written SVG first (its bytes are those of the figure's first drawing, as when checking
    # whether a figure is unchanged), returned in the order of the formats.
    assert written == [f"Wrote {path}" for path in (paths[2], paths[0], paths[1])]


def test_save_figure_records_300_dpi(grid, tmp_path):
    pil_image = pytest.importorskip("PIL.Image")
    fig, _ = plot_lq_choropleth(grid, title="Dpi")
    (png,) = save_figure(fig, tmp_path / "lq", formats=("png",))
    with pil_image.open(png) as image:
        assert image.info["dpi"] == pytest.approx((300, 300), abs=0.01)


def test_save_figure_png_is_opaque_rgb_with_savefigs_pixels(grid, tmp_path):
    from PIL import Image

    fig, _ = plot_lq_choropleth(grid, title="Pixels")
    reference = tmp_path / "reference.png"
    with plotting.house_style():
        fig.savefig(reference, dpi=300)
    (png,) = save_figure(fig, tmp_path / "lq", formats=("png",))
    with Image.open(png) as image, Image.open(reference) as drawn:
        assert image.mode == "RGB"
        assert drawn.mode == "RGBA"
        assert image.info["Software"].startswith("Matplotlib")
        rgba = np.asarray(drawn)
        assert (rgba[..., 3] == 255).all()
        np.testing.assert_array_equal(np.asarray(image), rgba[..., :3])


def test_save_figure_png_of_a_plain_figure_at_another_dpi(tmp_path):
    from matplotlib.figure import Figure
    from PIL import Image

    # A figure made without pyplot has no Agg canvas of its own.
    fig = Figure(figsize=(2.0, 1.5))
    fig.add_subplot().plot([0, 1], [1, 0], color="#d7301f")
    reference = tmp_path / "reference.png"
    with plotting.house_style():
        fig.savefig(reference, dpi=150)
    (png,) = save_figure(fig, tmp_path / "plain", formats=("png",), dpi=150)
    with Image.open(png) as image, Image.open(reference) as drawn:
        assert image.size == drawn.size == (300, 225)
        # PNG stores whole pixels per metre.
        assert image.info["dpi"] == pytest.approx((150, 150), abs=0.05)
        np.testing.assert_array_equal(np.asarray(image), np.asarray(drawn)[..., :3])


def test_fit_height_to_map_fills_the_width_and_restores_the_limits(grid):
    wide = grid.assign(geometry=grid.geometry.scale(3.0, 1.0, origin=(400_000, 280_000)))
    fig, ax = plt.subplots(figsize=(6.7, 6.0), layout="constrained")
    plotting.frame_map(ax, tuple(wide.total_bounds))
    ax.set_title("A wide map")
    limits = ax.get_xlim(), ax.get_ylim()
    plotting.fit_height_to_map(fig, ax)
    assert (ax.get_xlim(), ax.get_ylim()) == limits
    assert ax.get_adjustable() == "box"
    plotting.freeze_layout(fig)
    # The map now fills the box the layout gave it: no empty paper above or below.
    allotted, drawn = ax.get_position(original=True), ax.get_position(original=False)
    assert abs(allotted.height - drawn.height) * fig.get_figheight() < 0.03
    assert fig.get_figheight() < 6.0
    assert fig.get_layout_engine() is None


def test_fit_height_to_map_stops_at_the_tallest_page(grid):
    tall = grid.assign(geometry=grid.geometry.scale(1.0, 8.0, origin=(400_000, 280_000)))
    fig, ax = plt.subplots(figsize=(6.7, 4.0), layout="constrained")
    plotting.frame_map(ax, tuple(tall.total_bounds))
    plotting.fit_height_to_map(fig, ax)
    assert fig.get_figheight() == pytest.approx(9.5)


def test_save_figure_is_reproducible(grid, tmp_path):
    first = save_figure(plot_lq_choropleth(grid, title="Same")[0], tmp_path / "a", ("svg",))
    second = save_figure(plot_lq_choropleth(grid, title="Same")[0], tmp_path / "b", ("svg",))
    assert first[0].read_bytes() == second[0].read_bytes()


def test_save_figure_accepts_a_single_format_name(tmp_path):
    fig, _ = plt.subplots()
    assert save_figure(fig, tmp_path / "one", formats="pdf") == [tmp_path / "one.pdf"]


def test_save_figure_refuses_bad_formats_and_extensions(tmp_path):
    fig, _ = plt.subplots()
    with pytest.raises(ValueError, match=r"unsupported format 'docx'.*without the extension"):
        save_figure(fig, tmp_path / "map.png", formats=("png", "docx"))
    assert list(tmp_path.iterdir()) == []


# --- Real data --------------------------------------------------------------------------------


@pytest.mark.realdata
def test_real_boundaries_map_and_save(tmp_path, shared_data):
    msoa = gpd.read_file(shared_data / MSOA_MIDLANDS.relative_to(DATA))
    rutland_and_melton = msoa[msoa["LAD_FILE_CODE"].isin(["E06000017", "E07000133"])]
    areas = rutland_and_melton.to_crs(27700).assign(
        lq=np.linspace(0.1, 5.0, len(rutland_and_melton)), lq_unreliable=False
    )
    districts = areas.dissolve(by="LAD_FILE_CODE")[["geometry"]]
    fig, ax = plot_lq_choropleth(areas, title="Real", boundaries={"district": districts})
    assert set(LQ_VALUE_LABELS) <= set(legend_labels(ax))
    paths = save_figure(fig, tmp_path / "real", formats=("png",))
    assert paths[0].exists()


def test_a_figure_drawn_the_same_keeps_its_files_and_a_changed_one_is_written(tmp_path):
    import hashlib

    def figure(colour):
        fig, ax = plt.subplots(figsize=(2, 2))
        ax.plot([0, 1], [0, 1], color=colour)
        ax.set_title("Kept?")
        return fig

    stem = tmp_path / "map"
    first = save_figure(figure("red"), stem)
    recorded = {p.suffix[1:]: hashlib.sha256(p.read_bytes()).hexdigest() for p in first}
    stamps = {p: p.stat().st_mtime_ns for p in first}
    # The same figure: every file kept as it is, in the order of the formats.
    kept = save_figure(figure("red"), stem, unchanged=recorded)
    assert kept == first
    assert {p: p.stat().st_mtime_ns for p in kept} == stamps
    # Another figure under the same record: drawn and written.
    changed = save_figure(figure("blue"), stem, unchanged=recorded)
    assert [p.suffix for p in changed] == [".png", ".pdf", ".svg"]
    assert hashlib.sha256(stem.with_suffix(".svg").read_bytes()).hexdigest() != recorded["svg"]
    # A file no longer as recorded, or a record without every format: written again.
    save_figure(figure("red"), stem)
    stem.with_suffix(".pdf").write_bytes(b"edited")
    rewritten = save_figure(figure("red"), stem, unchanged=recorded)
    assert hashlib.sha256(rewritten[1].read_bytes()).hexdigest() == recorded["pdf"]
    partial = {k: v for k, v in recorded.items() if k != "png"}
    before = stem.with_suffix(".png").stat().st_mtime_ns
    save_figure(figure("red"), stem, unchanged=partial)
    assert stem.with_suffix(".png").stat().st_mtime_ns != before
    # A setting that changes the PNG and not the shapes (a matplotlibrc turning anti-aliasing
    # off) makes another SVG too: its files are written, not kept.
    with mpl.rc_context({"lines.antialiased": False}):
        redrawn = save_figure(figure("red"), stem, unchanged=recorded)
    assert hashlib.sha256(redrawn[0].read_bytes()).hexdigest() != recorded["png"]


def test_a_near_white_class_and_not_tested_are_outlined_in_the_legend() -> None:
    from matplotlib.colors import to_hex

    from clustergeo.vocab import EMERGING_CATEGORY_COLOURS, EMERGING_CATEGORY_LABELS

    classes = ["persistent_hot_spot", "no_pattern", "not_tested"]
    handles = plotting.class_handles(classes, EMERGING_CATEGORY_COLOURS, EMERGING_CATEGORY_LABELS)
    edges = {h.get_label(): to_hex(h.get_edgecolor(), keep_alpha=True) for h in handles}
    # A red swatch needs no outline; near-white "no pattern" a light one, so it shows on the
    # page; "not tested" the outline of no data, which it is drawn as.
    assert edges["Persistent hot spot"].endswith("00")  # transparent: no outline
    assert edges["No pattern detected"] == "#bdbdbdff"
    assert edges["Not tested"] == "#8c8c8cff"


def test_not_tested_areas_are_outlined_as_no_data_on_a_category_map() -> None:
    from matplotlib.colors import to_hex

    from clustergeo.vocab import EMERGING_CATEGORY_COLOURS, EMERGING_CATEGORY_LABELS

    cells = [box(400_000 + i * 1000, 280_000, 401_000 + i * 1000, 281_000) for i in range(3)]
    areas = gpd.GeoDataFrame(
        {"trend": ["no_pattern", "not_tested", "persistent_hot_spot"]},
        geometry=cells,
        crs="EPSG:27700",
    )
    categories = {
        c: (EMERGING_CATEGORY_LABELS[c], EMERGING_CATEGORY_COLOURS[c])
        for c in ("persistent_hot_spot", "no_pattern", "not_tested")
    }
    _fig, ax = plotting.plot_category_map(
        areas, "trend", categories, legend_title="Trend", title="T", source="Source: test."
    )
    # White "not tested" would pass for near-white "no pattern": it is outlined, alone.
    outlined = [
        c
        for c in ax.collections
        if len(c.get_paths()) and to_hex(c.get_edgecolor()[0]) == "#8c8c8c"
    ]
    assert [len(c.get_paths()) for c in outlined] == [1]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "Not tested" in legend
    assert "no data" not in legend
