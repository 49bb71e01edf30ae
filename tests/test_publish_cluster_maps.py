"""Tests for clustergeo.publish.cluster_maps: crowded findings stay readable on the page."""

from __future__ import annotations

import geopandas as gpd
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import shapely
from matplotlib.text import Text
from shapely.geometry import box

from clustergeo.publish.cluster_maps import (
    MIN_VISIBLE_PT,
    RING_DIAMETER_PT,
    Panel,
    drawn_footprints_pt,
    plot_cluster_map,
    plot_site_inset,
    plot_small_multiples,
    site_letters,
)
from clustergeo.publish.palette import industry_colours
from clustergeo.publish.plotting import furniture_corners, layout_problems

SOURCE = "Source: a test grid of 1 km squares, 2024."
_CROWDED_PREVIEW = __import__("os").environ.get("PREVIEW")
LONG = "Professional, scientific and technical activities of a very long name"


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture
def areas() -> gpd.GeoDataFrame:
    """A 12 km × 8 km block of 1 km squares in British National Grid."""
    x0, y0, side = 400_000, 280_000, 1_000
    cells = [
        box(x0 + c * side, y0 + r * side, x0 + (c + 1) * side, y0 + (r + 1) * side)
        for r in range(8)
        for c in range(12)
    ]
    return gpd.GeoDataFrame(
        {"area_code": [f"E0200{i:04d}" for i in range(len(cells))]},
        geometry=cells,
        crs="EPSG:27700",
    )


@pytest.fixture
def crowded(areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Fifteen one-square findings packed into the top-right corner, strongest first."""
    corner = areas.geometry.iloc[[95, 94, 93, 83, 82, 81, 71, 70, 69, 59, 58, 57, 47, 46, 45]]
    codes = ["C", "J", "M", "H", "F"] * 3
    return gpd.GeoDataFrame(
        {
            "cluster_id": [f"c{i}" for i in range(15)],
            "rank": np.arange(1, 16),
            "kind": ["cluster", "concentration", "cluster"] * 5,
            "industry_code": codes,
            "name": [f"Finding number {i + 1} with a long place name" for i in range(15)],
            "stars": [3, 2, 1, 0, 0] * 3,
        },
        geometry=corner.to_numpy(),
        crs="EPSG:27700",
    )


def _labels() -> dict[str, str]:
    return {
        "C": "Manufacturing",
        "J": "Information and communication",
        "M": LONG,
        "H": "Transport and storage",
        "F": "Construction",
    }


def test_crowded_markers_never_overlap_and_nothing_runs_off_the_page(areas, crowded):
    labels = _labels()
    fig, ax = plot_cluster_map(
        areas,
        crowded,
        colours=industry_colours(labels),
        labels=labels,
        title="A crowded corner " * 4,
        subtitle="Every finding sits in one corner, under the north arrow. " * 3,
        source=SOURCE,
    )
    fig.canvas.draw()
    fig.savefig(_CROWDED_PREVIEW) if _CROWDED_PREVIEW else None
    numbers = [t.get_text() for t in fig.findobj(Text) if t.get_gid() == "marker-number"]
    assert sorted(int(n) for n in numbers) == list(range(1, 16))
    assert layout_problems(fig) == []
    texts = [t.get_text() for t in fig.findobj(Text)]
    assert any(SOURCE in t for t in texts)
    # The key names every numbered finding; the legend names each industry present once.
    key = "\n".join(texts)
    assert "15  Finding number 15" in key
    legend = [t.get_text().replace("\n", " ") for t in ax.get_legend().get_texts()]
    assert legend[:5] == [labels[c] for c in industry_colours(labels) if c in labels][:5]
    # The key says what its stars are.
    assert "★: a star for each of size, specialisation and focus" in key.replace("\n", " ")


def test_layout_problems_reports_cut_off_text_and_overlapping_markers(areas):
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.text(2.5, 0.5, "far off the page", transform=ax.transAxes)
    ax.text(0.5, 0.5, "1", gid="marker-number")
    ax.text(0.5, 0.5, "2", gid="marker-number")
    fig.canvas.draw()
    problems = layout_problems(fig)
    assert any("far off the page" in p for p in problems)
    assert any("overlap" in p for p in problems)


def test_small_multiple_titles_wrap_inside_the_page(areas):
    panels = [Panel(LONG, lambda ax: None) for _ in range(6)]
    fig, _axes = plot_small_multiples(
        areas, panels, handles=[], title="Six long titles", source=SOURCE
    )
    fig.canvas.draw()
    assert layout_problems(fig) == []


def test_findings_without_kind_or_stars_are_drawn(areas, crowded):
    labels = _labels()
    plain = crowded.drop(columns=["kind", "stars"]).head(3)
    fig, _ax = plot_cluster_map(
        areas, plain, colours=industry_colours(labels), labels=labels, title="Plain", source=SOURCE
    )
    fig.canvas.draw()
    assert layout_problems(fig) == []
    numbers = [t.get_text() for t in fig.findobj(Text) if t.get_gid() == "marker-number"]
    assert sorted(numbers) == ["1", "2", "3"]
    # No stars, so no word on them.
    assert not any("★" in t.get_text() for t in fig.findobj(Text))


def test_a_map_without_findings_says_why_it_is_empty(areas, crowded):
    labels = _labels()
    fig, _ax = plot_cluster_map(
        areas,
        crowded.head(0),
        colours=industry_colours(labels),
        labels=labels,
        title="None",
        source=SOURCE,
    )
    fig.canvas.draw()
    assert layout_problems(fig) == []
    key = [t.get_text() for t in fig.findobj(Text) if t.get_gid() == "map-key"]
    assert any(text.startswith("No cluster or concentration met the run's rules") for text in key)


def _sites(areas: gpd.GeoDataFrame, cells: list[int]) -> gpd.GeoDataFrame:
    """Anchor sites centred on the given squares, each a 600 m footprint."""
    points = areas.geometry.iloc[cells].centroid
    return gpd.GeoDataFrame(
        {
            "name": [f"Site number {i + 1} park" for i in range(len(cells))],
            "x": points.x.to_numpy(),
            "y": points.y.to_numpy(),
        },
        geometry=points.buffer(600).to_numpy(),
        crs="EPSG:27700",
    )


def _centre(text: Text) -> np.ndarray:
    extent = text.get_window_extent(text.get_figure(root=True).canvas.get_renderer())
    return np.asarray(extent.get_points().mean(axis=0))


@pytest.mark.parametrize("findings", [15, 0])
def test_anchor_sites_are_lettered_beside_their_diamonds_and_named_in_the_key(
    areas, crowded, findings
):
    labels = _labels()
    # Two sites among the crowded findings, one in the open.
    sites = _sites(areas, [94, 70, 12])
    fig, ax = plot_cluster_map(
        areas,
        crowded.head(findings),
        colours=industry_colours(labels),
        labels=labels,
        title="Sites",
        sites=sites,
        source=SOURCE,
    )
    fig.canvas.draw()
    assert layout_problems(fig) == []
    letters = {t.get_text(): t for t in fig.findobj(Text) if t.get_gid() == "site-letter"}
    assert sorted(letters) == ["A", "B", "C"]
    scale = fig.dpi / 72
    markers = [_centre(t) for t in fig.findobj(Text) if t.get_gid() == "marker-number"]
    for letter, (x, y) in zip("ABC", zip(sites["x"], sites["y"], strict=True), strict=True):
        centre = _centre(letters[letter])
        diamond = ax.transData.transform((x, y))
        # Beside its diamond, not on it, and clear of every numbered marker.
        assert 4 * scale < np.hypot(*(centre - diamond))
        assert all(np.hypot(*(centre - m)) > 8 * scale for m in markers)
        if letter == "C":  # in the open: right beside it
            assert np.hypot(*(centre - diamond)) < 20 * scale
    # Each letter is tied to its diamond by a line, so a letter among close sites is not
    # read as a neighbour's.
    leaders = [line for line in ax.get_lines() if line.get_gid() == "leader-line"]
    assert len(leaders) >= 3
    key = "\n".join(t.get_text() for t in fig.findobj(Text) if t.get_gid() == "map-key")
    assert "A  ◆ Site number 1 park" in key
    assert "C  ◆ Site number 3 park" in key
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "Anchor site, lettered" in legend


def test_a_site_close_up_names_its_site_without_a_letter(areas, crowded):
    labels = _labels()
    site = _sites(areas, [12]).iloc[0]
    named = areas.assign(district_name="Somewhere")
    fig, ax = plot_site_inset(
        site,
        named,
        crowded,
        colours=industry_colours(labels),
        labels=labels,
        title=site["name"],
        source=SOURCE,
    )
    fig.canvas.draw()
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    # Its title names the one site: there is no key of letters to point to.
    assert "Anchor site" in legend
    assert "Anchor site, lettered" not in legend
    assert not [t for t in fig.findobj(Text) if t.get_gid() == "site-letter"]


def test_a_site_close_up_keeps_its_scale_bar_and_arrow_off_the_findings(areas, crowded):
    labels = _labels()
    # A site in the middle of the block; findings fill the whole bottom half of its view.
    site = _sites(areas, [41]).iloc[0]
    below = areas.loc[areas.geometry.centroid.y < site["y"]]
    findings = crowded.head(1).set_geometry([below.union_all()], crs=areas.crs)
    fig, ax = plot_site_inset(
        site,
        areas.assign(district_name="Somewhere"),
        findings,
        colours=industry_colours(labels),
        labels=labels,
        title="Site",
        source=SOURCE,
    )
    fig.canvas.draw()
    # AnchoredOffsetbox location codes: 1 upper right, 2 upper left.
    assert sorted(artist.loc for artist in ax.artists) == [1, 2]
    # Drawn over the findings' fills and hatching where a corner is covered all the same.
    top = max(c.get_zorder() for c in [*ax.collections, *ax.patches, *ax.lines])
    assert all(artist.get_zorder() > top for artist in ax.artists)
    assert layout_problems(fig) == []


def test_furniture_goes_to_the_least_covered_corners():
    empty = dict.fromkeys(("lower left", "lower right", "upper left", "upper right"), 0.0)
    # All alike: the scale bar low, the arrow high, as maps usually have them.
    assert furniture_corners(empty) == ("lower left", "upper left")
    covered = {**empty, "lower left": 0.6, "upper left": 0.2, "upper right": 0.1}
    assert furniture_corners(covered) == ("lower right", "upper right")


def test_site_letters_go_on_past_z():
    assert site_letters(3) == ["A", "B", "C"]
    letters = site_letters(30)
    assert letters[25:] == ["Z", "AA", "AB", "AC", "AD"]
    many = site_letters(703)
    assert many[701:] == ["ZZ", "AAA"]
    assert len(set(many)) == 703


def test_layout_problems_ignores_the_hidden_axes_of_a_map(areas):
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.set_axis_off()
    ax.set_xlim(0, 1)
    # Tick labels outside the page are never drawn when the axes are off.
    ax.set_position((0.9, -0.5, 0.5, 0.5))
    fig.draw_without_rendering()
    assert layout_problems(fig, require_source=False) == []


def test_layout_problems_reports_a_map_without_a_source_line(areas, crowded):
    labels = _labels()
    fig, _ax = plot_cluster_map(
        areas, crowded.head(2), colours=industry_colours(labels), labels=labels, title="No source"
    )
    fig.draw_without_rendering()
    assert layout_problems(fig) == ["the map has no 'Source:' line under it"]


def test_layout_problems_reports_a_legend_over_the_caption(areas):
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.set_axis_off()
    ax.plot([0, 1], [0, 1], label="a line")
    ax.legend(loc="lower right")
    # The caption sits where the legend is, inside the axes' lower-right corner.
    ax.text(0.98, 0.05, "Source: here", ha="right", transform=ax.transAxes, gid="footer")
    fig.draw_without_rendering()
    assert layout_problems(fig) == ["the legend covers the caption 'Source: here'"]


def test_a_finding_too_small_to_see_is_ringed_and_its_marker_moved_off_the_ring(areas, crowded):
    labels = _labels()
    findings = crowded.head(2).copy()
    # Finding 2 is a 40 m square: a fraction of a point on a 12 km map.
    x, y = findings.geometry.iloc[1].centroid.coords[0]
    findings.loc[findings.index[1], "geometry"] = box(x, y, x + 40, y + 40)
    fig, ax = plot_cluster_map(
        areas,
        findings,
        colours=industry_colours(labels),
        labels=labels,
        title="Tiny",
        source=SOURCE,
    )
    fig.draw_without_rendering()
    assert layout_problems(fig) == []
    rings = {line.get_gid() for line in ax.get_lines() if line.get_gid()}
    assert rings == {"finding-ring-2", "marker-leader"}
    footprints = drawn_footprints_pt(ax, findings)
    assert footprints[0] >= MIN_VISIBLE_PT
    assert footprints[1] == pytest.approx(RING_DIAMETER_PT, abs=2.0)
    legend = [t.get_text().replace("\n", " ") for t in ax.get_legend().get_texts()]
    assert "Numbered finding too small to see at this scale, ringed" in legend
    # The number sits off the ring, so the ring (and the finding in it) stays visible.
    scale = fig.dpi / 72
    ring = next(line for line in ax.get_lines() if line.get_gid() == "finding-ring-2")
    centre = ax.transData.transform(np.column_stack(ring.get_data()))[0]
    number = next(
        t for t in fig.findobj(Text) if t.get_gid() == "marker-number" and t.get_text() == "2"
    )
    spot = number.get_window_extent().get_points().mean(axis=0)
    assert np.hypot(*(spot - centre)) >= (RING_DIAMETER_PT + 12) / 2 * scale


def test_findings_large_enough_to_see_get_no_ring(areas, crowded):
    labels = _labels()
    fig, ax = plot_cluster_map(
        areas,
        crowded.head(3),
        colours=industry_colours(labels),
        labels=labels,
        title="Large enough",
        source=SOURCE,
    )
    fig.draw_without_rendering()
    assert not [line for line in ax.get_lines() if str(line.get_gid()).startswith("finding-ring")]
    legend = [t.get_text().replace("\n", " ") for t in ax.get_legend().get_texts()]
    assert not any("ringed" in text for text in legend)


def test_labels_go_beside_their_features_tied_back_by_leader_lines():
    from clustergeo.publish.cluster_maps import place_labels
    from clustergeo.publish.plotting import freeze_layout

    fig, ax = plt.subplots(figsize=(4, 4))
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 100)
    freeze_layout(fig)
    # Three small features side by side near the middle, and one whose box fills the map.
    features = [(40, 48, 44, 52), (46, 48, 50, 52), (52, 48, 56, 52)]
    anchors = [((x0 + x1) / 2, (y0 + y1) / 2) for x0, y0, x1, y1 in features]
    texts = [
        ax.text(x, y, f"Place {i}", ha="center", va="center") for i, (x, y) in enumerate(anchors)
    ]
    place_labels(ax, texts, anchors, reach_pt=60, avoid=features, leader_colour="#555555")
    renderer = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in texts]
    feature_boxes = [ax.transData.transform([(x0, y0), (x1, y1)]) for x0, y0, x1, y1 in features]
    for i, label in enumerate(boxes):
        # Clear of every feature and of the other names.
        for (fx0, fy0), (fx1, fy1) in feature_boxes:
            assert label.x1 <= fx0 or label.x0 >= fx1 or label.y1 <= fy0 or label.y0 >= fy1
        assert not any(label.overlaps(other) for other in boxes[i + 1 :])
    # Each name moved off its feature has a line from the feature to the edge of its box.
    leaders = [line for line in ax.get_lines() if line.get_gid() == "leader-line"]
    assert len(leaders) == 3
    for line, anchor, label in zip(leaders, anchors, boxes, strict=True):
        (x0, y0), (x1, y1) = line.get_xydata()
        assert (x0, y0) == pytest.approx(anchor)
        ex, ey = ax.transData.transform((x1, y1))
        on_edge = min(
            abs(ex - label.x0), abs(ex - label.x1), abs(ey - label.y0), abs(ey - label.y1)
        )
        assert on_edge < 1.5
    # A name with no free spot within reach is left off rather than laid over the map.
    crowded = ax.text(10, 10, "Crowded out", ha="center", va="center")
    place_labels(ax, [crowded], [(10, 10)], reach_pt=60, avoid=[(0, 0, 100, 100)])
    assert crowded.axes is None


def _national(london_side_km: float) -> gpd.GeoDataFrame:
    """A 100 km square of 10 km areas with a London region of 2 × 2 areas near its middle."""
    side = 10_000
    cells, regions = [], []
    for r in range(10):
        for c in range(10):
            cells.append(box(c * side, r * side, (c + 1) * side, (r + 1) * side))
            regions.append("London" if r in (4, 5) and c in (4, 5) else "South East")
    frame = gpd.GeoDataFrame(
        {"area_code": [f"E0{i:03d}" for i in range(100)], "region_name": regions},
        geometry=cells,
        crs="EPSG:27700",
    )
    # London's extent is its four areas' 20 km; scale the study area round it.
    return frame.set_geometry(frame.scale(london_side_km / 20, london_side_km / 20, origin=(0, 0)))


def test_a_national_run_gets_a_london_close_up_and_a_regional_one_does_not() -> None:
    from clustergeo.publish.map_geometry import CLOSE_UP_RATIO, london_view

    view = london_view(_national(20))
    assert view is not None
    xmin, ymin, xmax, ymax = view
    # A square round London's 40-60 km, with a margin.
    assert xmax - xmin == pytest.approx(ymax - ymin)
    assert xmin < 40_000
    assert xmax > 60_000
    assert xmax - xmin == pytest.approx(22_000)
    # A study area under five times London's extent needs no close-up (100 km vs 20 km is
    # exactly five: the rule's edge); nor one without London, or without regions.
    assert CLOSE_UP_RATIO == 5.0
    centres = _national(20).geometry.centroid
    small = _national(20).loc[centres.x.between(20_000, 80_000) & centres.y.between(20_000, 80_000)]
    assert london_view(small) is None
    assert london_view(_national(20).assign(region_name="Wales")) is None
    assert london_view(_national(20).drop(columns="region_name")) is None
    # The ONS code names London as well as its name.
    coded = _national(20).assign(
        region_code=lambda f: np.where(f["region_name"] == "London", "E12000007", "E12000008")
    )
    assert london_view(coded.drop(columns="region_name")) == pytest.approx(view)


def test_the_london_close_up_numbers_every_finding_in_it_by_its_rank() -> None:
    from clustergeo.publish.map_geometry import london_view

    areas = _national(20).assign(district_name=lambda f: [f"Borough {i}" for i in range(100)])
    cells = areas.geometry.to_numpy()
    # 25 findings ranked 1-25: the 21st to 25th in London, the rest outside it, and one
    # (rank 3) reaching from outside into London, anchored in a London area.
    geometries = [cells[i] for i in (0, 9, 90, 99, 1, 2, 3, 10, 20, 30, 11, 12, 13, 8, 18)]
    geometries += [cells[i] for i in (28, 38, 48, 58, 68)]
    geometries += [cells[i] for i in (44, 45, 54, 55, 44)]
    geometries[2] = shapely.union(cells[90], cells[55]).envelope
    findings = gpd.GeoDataFrame(
        {
            "cluster_id": [f"c{i}" for i in range(25)],
            "rank": np.arange(1, 26),
            "kind": "cluster",
            "industry_code": "C",
            "name": [f"Finding {i + 1}" for i in range(25)],
            "stars": 0,
            "anchor_area_code": ["E0000"] * 2 + ["E0054"] + ["E0000"] * 22,
        },
        geometry=geometries,
        crs="EPSG:27700",
    )
    view = london_view(areas)
    assert view is not None
    labels = {"C": "Manufacturing"}
    sites = _sites(areas, [0, 45])
    fig, ax = plot_cluster_map(
        areas,
        findings,
        colours=industry_colours(labels),
        labels=labels,
        title="London",
        source=SOURCE,
        sites=sites,
        view=view,
    )
    fig.canvas.draw()
    assert layout_problems(fig) == []
    numbers = sorted(int(t.get_text()) for t in fig.findobj(Text) if t.get_gid() == "marker-number")
    # Findings 21-25 are in view, beyond the whole map's 20, and 3 reaches into it.
    assert numbers == [3, 21, 22, 23, 24, 25]
    key = "\n".join(t.get_text() for t in fig.findobj(Text) if t.get_gid() == "map-key")
    assert "Every finding in this close-up is numbered by its rank on the whole map" in key
    assert "21  Finding 21" in key
    assert "Finding 1\n" not in key
    # The site in view keeps the whole map's letter B; the one outside is left out.
    letters = [t.get_text() for t in fig.findobj(Text) if t.get_gid() == "site-letter"]
    assert letters == ["B"]
    assert "B  ◆ Site number 2 park" in key
    assert "A  ◆" not in key
    # The close-up shows its view, without the study area's outline.
    assert ax.get_xlim() == pytest.approx((view[0], view[2]))
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "Study area" not in legend
    # Finding 3 is numbered in its anchor area (40-50 km east, 50-60 km north), not just
    # anywhere on the part of its shape in view (39-60 km east, 50-61 km north).
    marker = next(
        t for t in fig.findobj(Text) if t.get_gid() == "marker-number" and t.get_text() == "3"
    )
    x, y = ax.transData.inverted().transform(_centre(marker))
    assert np.hypot(x - 45_000, y - 55_000) < 2_500
    # The districts are named where a name fits, clear of the numbers; none outside the view.
    names = [t for t in fig.findobj(Text) if t.get_gid() == "district-name"]
    assert names
    assert {t.get_text() for t in names} <= {
        f"Borough {i}" for i in (33, 34, 35, 36, 43, 44, 45, 46, 53, 54, 55, 56, 63, 64, 65, 66)
    }
    renderer = fig.canvas.get_renderer()
    numbers = [
        t.get_window_extent(renderer) for t in fig.findobj(Text) if t.get_gid() == "marker-number"
    ]
    for name in names:
        box = name.get_window_extent(renderer)
        assert not any(box.overlaps(number) for number in numbers), name.get_text()


def test_a_finding_is_numbered_in_its_anchor_area_on_the_whole_map() -> None:
    """A finding named after the area with most of the industry is numbered there.

    The finding runs along the bottom row of a 100 km square and up its right-hand column
    (an L: its shape's own inner point lies along the row); its anchor is the top of the
    column, 90-100 km east and north.
    """
    areas = _national(20)
    cells = areas.geometry.to_numpy()
    shape = shapely.union_all([cells[i] for i in [*range(10), 19, 29, 39, 49, 59, 69, 79, 89, 99]])
    findings = gpd.GeoDataFrame(
        {
            "cluster_id": ["c0"],
            "rank": [1],
            "kind": "cluster",
            "industry_code": "C",
            "name": ["Finding 1"],
            "stars": 0,
            "anchor_area_code": ["E0099"],
        },
        geometry=[shape],
        crs="EPSG:27700",
    )
    labels = {"C": "Manufacturing"}
    fig, ax = plot_cluster_map(
        areas, findings, colours=industry_colours(labels), labels=labels, title="L", source=SOURCE
    )
    fig.canvas.draw()
    marker = next(t for t in fig.findobj(Text) if t.get_gid() == "marker-number")
    x, y = ax.transData.inverted().transform(_centre(marker))
    assert np.hypot(x - 95_000, y - 95_000) < 7_500


def test_the_whole_map_outlines_the_close_up_and_an_empty_close_up_says_so() -> None:
    from matplotlib.patches import Rectangle

    from clustergeo.publish.map_geometry import london_view

    areas = _national(20)
    cells = areas.geometry.to_numpy()
    outside = gpd.GeoDataFrame(
        {
            "cluster_id": ["c0"],
            "rank": [1],
            "kind": ["cluster"],
            "industry_code": ["C"],
            "name": ["Finding 1"],
            "stars": [0],
        },
        geometry=[cells[0]],
        crs="EPSG:27700",
    )
    # No finding in London: no close-up to draw.
    assert london_view(areas) is not None
    assert london_view(areas, outside) is None
    view = london_view(areas)
    assert view is not None
    labels = {"C": "Manufacturing"}
    colours = industry_colours(labels)
    fig, ax = plot_cluster_map(
        areas,
        outside,
        colours=colours,
        labels=labels,
        title="Whole",
        source=SOURCE,
        close_up=("London", view),
    )
    (outline,) = [p for p in ax.patches if p.get_gid() == "close-up-extent"]
    assert isinstance(outline, Rectangle)
    assert (outline.get_x(), outline.get_width()) == pytest.approx((view[0], view[2] - view[0]))
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "London: close-up on its own map" in legend
    # Drawn all the same, an empty close-up says why it is empty, not how it is numbered.
    fig, _ax = plot_cluster_map(
        areas, outside, colours=colours, labels=labels, title="London", source=SOURCE, view=view
    )
    key = "\n".join(t.get_text() for t in fig.findobj(Text) if t.get_gid() == "map-key")
    assert "No finding lies in this close-up" in key
    assert "numbered by its rank" not in key
    # A view holding no area, or not a box, is refused with a message.
    with pytest.raises(ValueError, match="holds no area"):
        plot_cluster_map(
            areas,
            outside,
            colours=colours,
            labels=labels,
            title="Nowhere",
            view=(500_000.0, 500_000.0, 510_000.0, 510_000.0),
        )
    for bad in [(0, 0, np.nan, 1), (), (10, 10, 0, 0)]:
        with pytest.raises(ValueError, match="finite box"):
            plot_cluster_map(areas, outside, colours=colours, labels=labels, title="x", view=bad)


@pytest.mark.parametrize("industries", [1, 15, 21])
def test_a_tall_study_areas_map_key_and_legend_fit_together(industries: int) -> None:
    from clustergeo.publish.palette import SECTION_COLOURS
    from clustergeo.publish.plotting import MAX_MAP_HEIGHT_IN

    # A study area twice as tall as wide (the UK's is about 1.8), 20 findings in the key, in
    # up to 21 industries with names long enough to wrap in the legend.
    areas = _national(20)
    areas = areas.set_geometry(areas.scale(1.0, 2.0, origin=(0, 0)))
    cells = areas.geometry.to_numpy()
    codes = [c for c in SECTION_COLOURS if "," not in c][:industries]
    findings = gpd.GeoDataFrame(
        {
            "cluster_id": [f"c{i}" for i in range(max(20, industries))],
            "rank": np.arange(1, max(20, industries) + 1),
            "kind": "cluster",
            "industry_code": [codes[i % len(codes)] for i in range(max(20, industries))],
            "name": [
                f"Professional, scientific and technical activities: a long place name {i + 1}"
                for i in range(20)
            ]
            + [f"Another {i}" for i in range(max(0, industries - 20))],
            "stars": 1,
        },
        geometry=[cells[(i * 5) % 100] for i in range(max(20, industries))],
        crs="EPSG:27700",
    )
    labels = {c: f"Section {c}: activities of a name long enough to wrap twice over" for c in codes}
    fig, ax = plot_cluster_map(
        areas,
        findings,
        colours=industry_colours(labels),
        labels=labels,
        title="Tall",
        subtitle="A subtitle of the length the runs write, which wraps onto a second line. " * 2,
        source=SOURCE,
    )
    fig.canvas.draw()
    # Nothing runs off the page or overlaps; the legend ends above the key.
    assert layout_problems(fig) == []
    renderer = fig.canvas.get_renderer()
    legend = ax.get_legend().get_window_extent(renderer)
    key = min(
        t.get_window_extent(renderer).y1 for t in fig.findobj(Text) if t.get_gid() == "map-key"
    )
    assert legend.y0 > key
    if industries == 1:
        # The map gives way to the key: the figure prints at full size, its key at 7 pt.
        assert fig.get_figheight() <= MAX_MAP_HEIGHT_IN + 1e-9


def _class_map_with_close_up(
    areas: gpd.GeoDataFrame, classes: dict[str, tuple[str, str]]
) -> tuple[plt.Figure, plt.Axes, tuple[float, float, float, float]]:
    """A category map of ``areas`` (column ``kind``), its geometry prepared as a run's are."""
    from clustergeo.publish.map_geometry import london_view
    from clustergeo.publish.plotting import geometry_for_map, plot_category_map

    view = london_view(areas)
    assert view is not None
    geometry = geometry_for_map(areas)
    assert geometry.close_up is not None
    assert geometry.close_up.view == view
    fig, ax = plot_category_map(
        areas,
        "kind",
        classes,
        legend_title="Class",
        title="Whole",
        source=SOURCE,
        geometry=geometry,
    )
    return fig, ax, view


def test_every_map_of_a_national_run_shows_london_enlarged_under_its_key() -> None:
    from matplotlib.colors import to_rgb

    from clustergeo.publish.map_geometry import close_up_geometry
    from clustergeo.publish.plotting import figure_renderer

    hot, cold = "#cb181d", "#2171b5"
    areas = _national(20).assign(
        kind=lambda f: np.where(f["region_name"] == "London", "hot", "cold")
    )
    classes = {"hot": ("Persistent hot spot", hot), "cold": ("Persistent cold spot", cold)}
    fig, ax, view = _class_map_with_close_up(areas, classes)
    (inset,) = [a for a in fig.axes if a.get_label() == "close-up of London"]
    assert inset.get_title(loc="left") == "London, enlarged"
    assert inset.get_xlim() == pytest.approx((view[0], view[2]))
    assert inset.get_ylim() == pytest.approx((view[1], view[3]))
    # The inset holds the areas the view touches: London's four and the ring round them.
    close_up = close_up_geometry("London", view, areas)
    assert close_up is not None
    assert sorted(areas.iloc[close_up.members]["region_name"].value_counts()) == [4, 12]
    # The map outlines the view: dashes on a wider white line under them.
    (outline,) = [p for p in ax.patches if p.get_gid() == "close-up-extent"]
    (halo,) = [p for p in ax.patches if p.get_gid() == "close-up-extent-halo"]
    assert (outline.get_x(), outline.get_width()) == pytest.approx((view[0], view[2] - view[0]))
    assert halo.get_bbox().bounds == pytest.approx(outline.get_bbox().bounds)
    assert halo.get_linewidth() > outline.get_linewidth()
    assert halo.get_zorder() < outline.get_zorder()
    # Under the key, beside the map, on the page, and nothing cut off or covered.
    renderer = figure_renderer(fig)
    key = ax.get_legend().get_window_extent(renderer)
    box_ = inset.get_tightbbox(renderer)
    assert box_.y1 <= key.y0
    assert box_.x0 >= ax.get_window_extent(renderer).x1
    assert box_.x1 <= fig.bbox.x1
    assert layout_problems(fig) == []
    # Drawn in the map's colours: London hot at the inset's middle, its surroundings cold.
    fig.canvas.draw()
    pixels = np.asarray(fig.canvas.buffer_rgba())[..., :3] / 255
    height = pixels.shape[0]

    def colour_at(x: float, y: float) -> np.ndarray:
        px, py = inset.transData.transform((x, y))
        return pixels[int(height - py), int(px)]

    middle = ((view[0] + view[2]) / 2 + 2_500, (view[1] + view[3]) / 2 + 2_500)
    assert colour_at(*middle) == pytest.approx(to_rgb(hot), abs=0.02)
    assert colour_at(view[0] + 500, view[1] + 500) == pytest.approx(to_rgb(cold), abs=0.02)


def test_a_map_without_room_beside_it_draws_no_close_up() -> None:
    # A strip 100 km by 30 km, its seven classes all present: a short figure whose key of
    # seven long entries leaves no square of room under it.
    areas = _national(20)
    centres = areas.geometry.centroid
    strip = areas.loc[centres.y.between(30_000, 60_000)].reset_index(drop=True)
    strip["kind"] = [f"c{i % 7}" for i in range(len(strip))]
    colours = ["#67000d", "#cb181d", "#fe9929", "#fcbba1", "#2171b5", "#6baed6", "#969696"]
    classes = {f"c{i}": (f"Trend number {i} of seven", c) for i, c in enumerate(colours)}
    fig, ax, _view = _class_map_with_close_up(strip, classes)
    assert fig.get_size_inches()[1] < 3.5
    assert [a for a in fig.axes if a.get_label() == "close-up of London"] == []
    assert [p for p in ax.patches if str(p.get_gid()).startswith("close-up-extent")] == []


def test_the_greater_london_authoritys_outline_is_not_called_a_combined_authoritys(areas):
    from clustergeo.publish.plotting import boundary_handles

    gla = gpd.GeoDataFrame(
        {"code": ["E61000001"], "name": ["Greater London Authority"]},
        geometry=[areas.union_all()],
        crs=areas.crs,
    )
    cas = gla.assign(code="E47000007", name="West Midlands")
    tiers = ["combined_authority"]
    assert [h.get_label() for h in boundary_handles(tiers)] == ["Combined authority"]
    assert [h.get_label() for h in boundary_handles(tiers, {"combined_authority": cas})] == [
        "Combined authority"
    ]
    with_gla = {"combined_authority": pd.concat([cas, gla])}
    assert [h.get_label() for h in boundary_handles(tiers, with_gla)] == [
        "Combined authority or GLA"
    ]
    labels = _labels()
    findings = gpd.GeoDataFrame(
        {"cluster_id": ["a"], "rank": [1], "kind": ["cluster"], "industry_code": ["C"]},
        geometry=[areas.geometry.iloc[40]],
        crs=areas.crs,
    )
    _fig, ax = plot_cluster_map(
        areas,
        findings.assign(name="Widgets: Middle", stars=0),
        colours=industry_colours(labels),
        labels=labels,
        title="London",
        boundaries=with_gla,
        source=SOURCE,
    )
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "Combined authority or GLA" in legend


def test_place_names_keep_off_the_numbers_leader_lines_and_rings(areas, crowded):
    labels = _labels()
    # Every finding a 40 m square: ringed, its number moved off the ring on a leader line.
    centres = crowded.geometry.centroid
    tiny = crowded.set_geometry([box(p.x, p.y, p.x + 40, p.y + 40) for p in centres])

    def draw(places=None):
        fig, ax = plot_cluster_map(
            areas,
            tiny,
            colours=industry_colours(labels),
            labels=labels,
            title="Crowded",
            source=SOURCE,
            places=places,
        )
        fig.canvas.draw()
        return fig, ax

    _fig, ax = draw()
    leaders = [line for line in ax.get_lines() if line.get_gid() == "marker-leader"]
    assert leaders
    # A place at the middle of each leader line, with land enough to move its dot.
    middles = [np.column_stack(line.get_data()).astype(float).mean(axis=0) for line in leaders]
    places = pd.DataFrame(
        {
            "name": [f"Town {i}" for i in range(len(middles))],
            "x": [x for x, _y in middles],
            "y": [y for _x, y in middles],
            "km2": 4.0,
        }
    )
    fig, ax = draw(places)
    renderer = fig.canvas.get_renderer()
    names = [t.get_window_extent(renderer) for t in ax.texts if t.get_gid() == "place-name"]
    assert names
    lines = [
        ax.transData.transform(np.column_stack(line.get_data()).astype(float))
        for line in ax.get_lines()
        if line.get_gid() == "marker-leader" or str(line.get_gid()).startswith("finding-ring-")
    ]
    for extent in names:
        for points in lines:
            # A line along its length; a ring, its centre.
            samples = np.linspace(points[0], points[1], 50) if len(points) == 2 else points
            assert not any(extent.contains(x, y) for x, y in samples)
    # What names keep off covers every leader line along its length.
    from clustergeo.publish.cluster_maps import _drawn_marks

    marks = _drawn_marks(ax, renderer)
    for points in (p for p in lines if len(p) == 2):
        for x, y in np.linspace(points[0], points[1], 7):
            assert any(m.x0 <= x <= m.x1 and m.y0 <= y <= m.y1 for m in marks)
    # Nor do their dots sit on a line (each place lies on one, so every dot has moved).
    (dots,) = [c for c in ax.collections if c.get_gid() == "place-dots"]
    for dot in ax.transData.transform(dots.get_offsets()):
        for points in (p for p in lines if len(p) == 2):
            samples = np.linspace(points[0], points[1], 50)
            assert np.hypot(*(samples - dot).T).min() > 1.5 * fig.dpi / 72
    assert layout_problems(fig) == []


def test_a_name_with_no_room_beside_its_dot_hangs_on_a_hairline_clear_of_everything() -> None:
    from clustergeo.publish.cluster_maps import (
        _CALLOUT_CLEARANCE_PT,
        _PLACE_CALLOUT_PT,
        _PLACE_GAP_PT,
        _along,
        _dot_and_name,
    )
    from clustergeo.publish.placement import Box

    # A dot in a corridor 10 units wide running down between markers, under a band of them:
    # no name fits beside it, but one fits below the markers, its line down the corridor.
    taken = [
        Box(-60.0, 4.0, 60.0, 30.0),
        Box(-60.0, -12.0, -5.0, 4.0),
        Box(5.0, -12.0, 60.0, 4.0),
    ]
    frame = Box(-100.0, -100.0, 100.0, 100.0)
    found = _dot_and_name((0.0, 0.0), (40.0, 8.0), 3.0, taken=taken, frame=frame, scale=1.0)
    assert found is not None
    dot, name, leader = found
    assert leader is not None
    assert np.hypot((dot.x0 + dot.x1) / 2, (dot.y0 + dot.y1) / 2) <= 3.0
    # Below the markers, clear of them by the callout's clearance, within its reach.
    assert not any(name.overlaps(t, _CALLOUT_CLEARANCE_PT) for t in taken)
    (x0, y0), (x1, y1) = leader
    assert y0 < dot.y0
    assert name.y1 < y1 < y0
    assert abs(x0) < 5.0
    assert abs(x1) < 5.0
    assert np.hypot(x1 - x0, y1 - y0) <= _PLACE_CALLOUT_PT
    # The hairline keeps half the clearance off every mark, and shows: its name is at least
    # twice a beside-the-dot gap from the dot's edge.
    assert not any(
        b.overlaps(t, _CALLOUT_CLEARANCE_PT / 2) for b in _along(leader, 1.0) for t in taken
    )
    assert dot.y0 - name.y1 >= 2 * _PLACE_GAP_PT
    # With the corridor closed there is nowhere: the place is left off.
    closed = [*taken, Box(-5.0, -12.0, 5.0, -4.0)]
    assert _dot_and_name((0.0, 0.0), (40.0, 8.0), 3.0, taken=closed, frame=frame, scale=1.0) is None


@pytest.mark.parametrize("gap", [True, False])
def test_a_town_ringed_by_numbers_is_named_through_the_gap_or_left_off(gap: bool) -> None:
    from clustergeo.publish.cluster_maps import _MARKER_PT, name_places

    fig, ax = plt.subplots(figsize=(4, 4), dpi=100)
    ax.set_xlim(0, 100_000)
    ax.set_ylim(0, 100_000)
    ax.set_aspect("equal")
    fig.canvas.draw()
    scale = fig.dpi / 72
    (x0, _), (x1, _) = ax.transData.transform([(0.0, 0.0), (1000.0, 0.0)])
    metres_per_pt = 1000 / ((x1 - x0) / scale)
    # Numbered markers 12 pt round the town, touching, but for one gap to the south.
    radius = 12 * metres_per_pt
    angles = [a for a in range(0, 360, 45) if a != 270 or not gap]
    ax.scatter(
        [50_000 + radius * np.cos(np.radians(a)) for a in angles],
        [50_000 + radius * np.sin(np.radians(a)) for a in angles],
        s=_MARKER_PT**2,
        gid="markers",
    )
    land = np.pi * (3 * metres_per_pt / 1000) ** 2  # a circle of 3 pt
    name_places(ax, pd.DataFrame({"name": ["Ringham"], "x": [50e3], "y": [50e3], "km2": [land]}))
    names = [t for t in ax.texts if t.get_gid() == "place-name"]
    hairlines = [line for line in ax.get_lines() if line.get_gid() == "place-leader"]
    if not gap:
        assert names == []
        assert hairlines == []
        return
    (name,) = names
    (hairline,) = hairlines
    renderer = fig.canvas.get_renderer()
    extent = name.get_window_extent(renderer)
    (sx, sy), (ex, ey) = ax.transData.transform(np.column_stack(hairline.get_data()))
    centre = ax.transData.transform((50e3, 50e3))
    # Down through the gap, from beside the dot to the name, below the ring of markers.
    assert abs(sx - centre[0]) < 2 * scale
    assert abs(ex - centre[0]) < 2 * scale
    assert ey < sy < centre[1]
    assert extent.y0 - scale <= ey <= extent.y1 + scale
    markers = ax.transData.transform(ax.collections[0].get_offsets())
    half = _MARKER_PT / 2 * scale
    assert extent.y1 < markers[:, 1].min() - half


def test_names_keep_off_a_close_up_inset_and_a_legend_inside_the_map() -> None:
    from clustergeo.publish.cluster_maps import name_places

    fig, ax = plt.subplots(figsize=(4, 4), dpi=100)
    ax.set_xlim(0, 100_000)
    ax.set_ylim(0, 100_000)
    ax.set_aspect("equal")
    ax.inset_axes((0.6, 0.6, 0.38, 0.38))
    ax.plot([], [], label="A legend entry")
    ax.legend(loc="lower left")
    fig.canvas.draw()
    # Insetham and Legendby lie under the inset and the legend, in too little land to move
    # out; Openfield lies in the open.
    places = pd.DataFrame(
        {
            "name": ["Insetham", "Legendby", "Openfield"],
            "x": [80_000.0, 8_000.0, 40_000.0],
            "y": [80_000.0, 4_000.0, 50_000.0],
            "km2": [0.01, 0.01, 0.01],
        }
    )
    name_places(ax, places)
    assert [t.get_text() for t in ax.texts if t.get_gid() == "place-name"] == ["Openfield"]
