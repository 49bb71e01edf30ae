"""Tests for clustergeo.publish.placement and map_geometry: boxes that never overlap, paths."""

from __future__ import annotations

import math

import geopandas as gpd
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.path import Path
from shapely.geometry import LineString, MultiPolygon, Polygon, box

from clustergeo.publish.map_geometry import (
    coverage_collection,
    geometry_paths,
    path_collection,
    prepare_map_geometries,
    prepare_map_geometry,
    simplify_to_scale,
)
from clustergeo.publish.placement import Box, candidate_offsets, place_boxes

FRAME = Box(0.0, 0.0, 100.0, 100.0)


def _render(path: Path) -> np.ndarray:
    """``path`` filled black on a 100 × 100 pixel white canvas spanning 0–10 on both axes."""
    return _draw(path_collection([path], facecolors="black", edgecolors="none"))[:, :, 0]


def _draw(collection) -> np.ndarray:
    """The RGBA pixels of ``collection`` on a 100 × 100 pixel canvas spanning 0–10 both ways."""
    fig, ax = plt.subplots(figsize=(1, 1), dpi=100)
    fig.subplots_adjust(0, 0, 1, 1)
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 10)
    ax.set_axis_off()
    ax.add_collection(collection)
    fig.canvas.draw()
    pixels = np.asarray(fig.canvas.buffer_rgba()).copy()  # type: ignore[attr-defined]
    plt.close(fig)
    return pixels


def test_box_overlap_and_inside_by_hand():
    a = Box(0, 0, 10, 10)
    assert a.overlaps(Box(5, 5, 15, 15))
    # Touching edges do not overlap, but do within a gap.
    assert not a.overlaps(Box(10, 0, 20, 10))
    assert a.overlaps(Box(10, 0, 20, 10), gap=0.5)
    assert a.inside(FRAME)
    assert not a.inside(FRAME, margin=1.0)
    assert Box.around(5, 5, 2, 1) == Box(3, 4, 7, 6)


def test_candidates_start_at_the_anchor_then_up_right_in_rings():
    offsets = list(candidate_offsets(step=10.0, rings=2))
    # 1 + 8 + 16 candidates.
    assert len(offsets) == 25
    assert offsets[0] == (0.0, 0.0)
    assert offsets[1] == pytest.approx((10 / math.sqrt(2), 10 / math.sqrt(2)))
    radii = [math.hypot(*o) for o in offsets]
    assert radii[1:9] == pytest.approx([10.0] * 8)
    assert radii[9:] == pytest.approx([20.0] * 16)


def test_first_box_keeps_its_anchor_and_a_second_moves_clear():
    spots = place_boxes([(50, 50), (50, 50)], [(10, 10), (10, 10)], frame=FRAME, gap=1.0)
    assert spots[0] == (50, 50)
    assert spots[1] is not None
    first = Box.around(*spots[0], 5, 5)
    second = Box.around(*spots[1], 5, 5)
    assert not first.overlaps(second, gap=1.0)


def test_many_boxes_on_one_point_never_overlap_and_stay_in_the_frame():
    anchors = [(95.0, 95.0)] * 30
    spots = place_boxes(anchors, [(8, 8)] * 30, frame=FRAME, gap=1.0, step=6.0)
    assert all(s is not None for s in spots)
    boxes = [Box.around(spot[0], spot[1], 4, 4) for spot in spots if spot is not None]
    assert all(b.inside(FRAME, 1.0) for b in boxes)
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])


def test_obstacles_are_avoided_and_a_label_out_of_reach_is_left_off():
    furniture = Box(40, 40, 60, 60)
    (spot,) = place_boxes([(50, 50)], [(10, 10)], frame=FRAME, obstacles=[furniture], gap=1.0)
    assert spot is not None
    assert not Box.around(*spot, 5, 5).overlaps(furniture, gap=1.0)
    (none,) = place_boxes(
        [(50, 50)], [(10, 10)], frame=FRAME, obstacles=[furniture], gap=1.0, max_distance=5.0
    )
    assert none is None


def test_a_box_larger_than_the_frame_finds_no_spot():
    assert place_boxes([(50, 50)], [(200, 10)], frame=FRAME) == [None]


def test_geometry_paths_keep_holes_parts_and_order():
    square = box(0, 0, 10, 10)
    holed = Polygon(square.exterior.coords, [box(2, 2, 4, 4).exterior.coords])
    two = MultiPolygon([box(20, 0, 21, 1), box(30, 0, 31, 1)])
    line = LineString([(0, 0), (5, 5)])
    paths = geometry_paths([holed, None, two, line])
    assert len(paths) == 4
    # Exterior (5 coordinates) then the hole (5), each opened by MOVETO and closed.
    assert len(paths[0].vertices) == 10
    assert list(paths[0].codes).count(Path.MOVETO) == 2
    assert list(paths[0].codes).count(Path.CLOSEPOLY) == 2
    # The hole is given the same way round as the exterior; drawn, it must still be empty
    # (matplotlib fills by the non-zero winding rule).
    pixels = _render(paths[0])
    assert pixels[100 - 30, 30] == 255  # the hole's centre, (3, 3): paper
    assert pixels[100 - 70, 70] == 0  # (7, 7): filled
    assert len(paths[1].vertices) == 0
    assert list(paths[2].codes).count(Path.MOVETO) == 2
    assert Path.CLOSEPOLY not in list(paths[3].codes)
    np.testing.assert_allclose(paths[3].vertices, [[0, 0], [5, 5]])


def test_simplify_to_scale_drops_detail_under_half_a_pixel_only():
    # A 20 km square edge with a 2 m wiggle: at 2,000 pixels a pixel is 10 m, so the wiggle
    # goes; a 50 m notch (5 pixels) stays.
    wiggly = Polygon([(0, 0), (10_000, 2), (20_000, 0), (20_000, 20_000), (0, 20_000)])
    notched = Polygon([(0, 0), (10_000, 50), (20_000, 0), (20_000, 20_000), (0, 20_000)])
    frame = gpd.GeoSeries([wiggly, notched], crs="EPSG:27700")
    simplified = simplify_to_scale(frame, extent_m=20_000)
    assert len(simplified.iloc[0].exterior.coords) == 5
    assert len(simplified.iloc[1].exterior.coords) == 6
    assert simplified.crs == frame.crs


def _squares() -> list[Path]:
    """Four 2 × 2 squares with gaps between them, one with a hole."""
    shapes = [box(1, 1, 3, 3), box(4, 1, 6, 3), box(1, 5, 3, 7), box(4, 5, 6, 7)]
    shapes[3] = shapes[3].difference(box(4.5, 5.5, 5.5, 6.5))
    return geometry_paths(gpd.GeoSeries(shapes))


def test_coverage_collection_draws_one_path_per_style_with_the_same_pixels():
    paths = _squares()
    style = {
        "facecolors": ["#d7301f", "#2c7fb8", "#d7301f", "#2c7fb8"],
        "edgecolors": ["#333333", "#333333", "#333333", "#ffffff"],
        "linewidths": [0.5, 0.5, 0.5, 1.0],
    }
    joined = coverage_collection(paths, **style)
    # Squares 0 and 2 share every style; 1 and 3 differ in their edges.
    assert len(joined.get_paths()) == 3
    sizes = sorted(len(p.vertices) for p in joined.get_paths())
    assert sizes == sorted(
        [len(paths[0].vertices) * 2, len(paths[1].vertices), len(paths[3].vertices)]
    )
    # Apart from the grouping, it is the collection drawn one path per area.
    np.testing.assert_array_equal(_draw(joined), _draw(path_collection(paths, **style)))


def test_coverage_collection_keeps_holes_and_takes_single_styles():
    # Pixel (row, column) of map point (x, y) on the 0-10 canvas: (100 - 10 y, 10 x).
    joined = coverage_collection(_squares(), facecolors="black")
    assert len(joined.get_paths()) == 1
    # Nothing is stroked when no edge is asked for.
    assert len(joined.get_edgecolors()) == 0
    pixels = _draw(joined)[:, :, 0]
    assert pixels[80, 20] == 0  # inside square 0
    assert pixels[48, 42] == 0  # inside square 3, beside its hole
    assert pixels[40, 50] == 255  # the hole
    assert pixels[80, 35] == 255  # the gap between squares 0 and 1
    outlines = coverage_collection(_squares(), facecolors="none", edgecolors="black")
    assert len(outlines.get_facecolors()) == 0
    assert _draw(outlines)[80, 20, 0] == 255  # square 0 is outlined, not filled


def test_map_geometry_for_a_panel_has_fewer_vertices_and_the_same_frame():
    # A wiggly coverage: 3 x 3 squares 10 km across whose edges zig-zag 20 m every 100 m.
    def wiggly(x0: float, y0: float) -> Polygon:
        size, step = 10_000.0, 100.0
        ticks = np.arange(0.0, size, step)
        wiggle = np.where(np.arange(len(ticks)) % 2 == 0, 0.0, 20.0)
        bottom = np.column_stack([x0 + ticks, y0 + wiggle])
        right = np.column_stack([x0 + size + wiggle, y0 + ticks])
        top = np.column_stack([x0 + size - ticks, y0 + size + wiggle])
        left = np.column_stack([x0 + wiggle, y0 + size - ticks])
        return Polygon(np.concatenate([bottom, right, top, left]))

    areas = gpd.GeoDataFrame(
        geometry=[wiggly(x * 10_000.0, y * 10_000.0) for x in range(3) for y in range(3)],
        crs="EPSG:27700",
    )
    counties = gpd.GeoDataFrame(geometry=[areas.union_all()], crs="EPSG:27700")
    page, panel = prepare_map_geometries(areas, {"county": counties}, [2000, 666])
    alone = prepare_map_geometry(areas, {"county": counties})

    def vertices(paths: list[Path]) -> int:
        return sum(len(p.vertices) for p in paths)

    # The full-width geometry is the one prepare_map_geometry makes on its own.
    assert vertices(page.areas) == vertices(alone.areas)
    assert vertices(page.study_outline) == vertices(alone.study_outline)
    assert page.bounds == panel.bounds == alone.bounds
    # Zig-zags of 20 m are under half a pixel of a 30 km map 666 pixels wide (22.5 m), not of
    # one 2,000 pixels wide (7.5 m): the panel keeps fewer vertices.
    assert vertices(panel.areas) < vertices(page.areas)
    assert vertices(panel.outlines["county"]) < vertices(page.outlines["county"])
    assert vertices(panel.study_outline) < vertices(page.study_outline)
    assert len(panel.areas) == len(page.areas) == len(areas)


def test_coverage_collection_refuses_other_styles_per_path_and_takes_empty_input():
    paths = _squares()
    with pytest.raises(ValueError, match="alpha cannot be given per path"):
        coverage_collection(paths, facecolors="black", alpha=[0.5, 0.6, 0.7, 0.8])
    # One dash pattern (a tuple) or one value in a list is a style for every path.
    dashed = coverage_collection(
        paths, facecolors="none", edgecolors="black", linewidths=1.0, linestyles=[(0, (3, 2))]
    )
    assert len(dashed.get_paths()) == 1
    assert len(coverage_collection([], facecolors=[]).get_paths()) == 0
    mixed = coverage_collection(paths, facecolors=["none", "black", "none", "black"])
    assert len(mixed.get_paths()) == 2


def test_crossed_leader_lines_are_swapped_where_both_boxes_fit():
    from clustergeo.publish.placement import _segments_cross, _uncrossed

    anchors = [(20.0, 50.0), (80.0, 50.0)]
    crossed = [(80.0, 70.0), (20.0, 70.0)]
    assert _segments_cross(anchors[0], crossed[0], anchors[1], crossed[1])
    spots = _uncrossed(anchors, [(10.0, 10.0)] * 2, list(crossed), FRAME, [], 1.0)
    assert spots == [(20.0, 70.0), (80.0, 70.0)]
    # A box that would not fit at the other's spot (here: out of the frame) stays put.
    wide = [(10.0, 10.0), (50.0, 10.0)]
    assert _uncrossed(anchors, wide, list(crossed), FRAME, [], 1.0) == crossed
    # Nor does a swap onto an obstacle happen.
    blocked = _uncrossed(
        anchors, [(10.0, 10.0)] * 2, list(crossed), FRAME, [Box(75, 65, 85, 75)], 1.0
    )
    assert blocked == crossed
    # Nor one that would take a box out of its reach of its anchor: here B's would go from 2
    # to 45 from its anchor (the total shrinks, A's falls from 90 to 44).
    near, far = [(5.0, 10.0), (50.0, 9.0)], [(95.0, 11.0), (49.0, 11.0)]
    small = [(2.0, 2.0)] * 2
    assert _uncrossed(near, small, list(far), FRAME, [], 0.5) == [far[1], far[0]]
    assert _uncrossed(near, small, list(far), FRAME, [], 0.5, [100.0, 10.0]) == far
    # A box at its anchor has no leader line, and lines that only touch do not cross.
    assert not _segments_cross((0, 0), (0, 0), (-1, -1), (1, 1))
    assert not _segments_cross((0, 0), (2, 0), (2, 0), (2, 2))


def test_placed_leader_lines_do_not_cross_where_a_swap_fits(monkeypatch):
    from clustergeo.publish import placement

    rng = np.random.default_rng(7)
    anchors = [tuple(p) for p in rng.uniform(40, 60, size=(12, 2))]
    sizes = [(6.0, 6.0)] * len(anchors)

    def crossings(spots):
        return [
            (i, j)
            for i in range(len(spots))
            for j in range(i + 1, len(spots))
            if placement._segments_cross(anchors[i], spots[i], anchors[j], spots[j])
        ]

    spots = place_boxes(anchors, sizes, frame=FRAME, gap=1.0, step=4.0)
    assert all(s is not None for s in spots)
    boxes = [Box.around(s[0], s[1], 3, 3) for s in spots if s is not None]
    assert not any(a.overlaps(b, 1.0) for i, a in enumerate(boxes) for b in boxes[i + 1 :])
    assert crossings(spots) == []
    # The greedy placement alone crosses a pair here.
    monkeypatch.setattr(placement, "_uncrossed", lambda _a, _s, placed, *_rest: placed)
    assert crossings(place_boxes(anchors, sizes, frame=FRAME, gap=1.0, step=4.0))


def test_a_box_keeps_clear_of_the_other_boxes_anchors_where_their_lines_end() -> None:
    # The first box sits on its own anchor, over the second's: the second's leader line
    # would then end under it.
    anchors = [(50.0, 50.0), (53.0, 50.0)]
    sizes = [(10.0, 10.0)] * 2
    crowded = place_boxes(anchors, sizes, frame=FRAME, gap=1.0, step=5.0)
    assert crowded[0] == (50.0, 50.0)
    spots = place_boxes(anchors, sizes, frame=FRAME, gap=1.0, step=5.0, anchor_clearance=2.0)
    clear = [Box.around(x, y, 2.0, 2.0) for x, y in anchors]
    for index, spot in enumerate(spots):
        assert spot is not None
        placed = Box.around(spot[0], spot[1], 5.0, 5.0)
        assert not any(placed.overlaps(b) for k, b in enumerate(clear) if k != index)
    first, second = (Box.around(x, y, 5.0, 5.0) for x, y in spots)  # type: ignore[misc]
    assert not first.overlaps(second, 1.0)


def test_boxes_of_one_anchor_point_do_not_push_each_other_off_it() -> None:
    # Two findings on one point: the first keeps it, as it would without the clearance.
    spots = place_boxes(
        [(50.0, 50.0), (50.0, 50.0)],
        [(10.0, 10.0)] * 2,
        frame=FRAME,
        gap=1.0,
        step=5.0,
        anchor_clearance=2.0,
    )
    assert spots[0] == (50.0, 50.0)
    assert spots[1] is not None
    assert spots[1] != (50.0, 50.0)
