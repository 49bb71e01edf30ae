"""Maps of findings, anchor sites and industries side by side, in the house style.

Figures for reports, each with title, legend, scale bar, north arrow, source, attribution and
projection note, in British National Grid:

* :func:`plot_cluster_map` — every finding over the study area: clusters (core filled, extent
  dotted) and concentrations (hatched), coloured by industry with the fixed palette, numbered
  by rank on markers that never overlap (a marker pushed off its finding keeps a leader line
  to it), named in a key under the map;
* the same map of one part of the study area (``view``): London on a national run
  (:func:`~clustergeo.publish.map_geometry.london_view`), where at national scale 33
  boroughs are a few millimetres across;
* :func:`plot_site_inset` — one anchor site's footprint close up: the districts it touches,
  named on the map where the names fit, and the findings around it;
* :func:`plot_small_multiples` — one panel per industry (LQ, hot spots, Local Moran, or area
  against grid clusters), sharing one legend and one set of furniture.

Every figure is laid out from its light artists first and frozen before the area paths are
drawn (:func:`~clustergeo.publish.plotting.freeze_layout`), which is what keeps a run's
figures fast; markers and labels are then placed in the final display coordinates by
:mod:`~clustergeo.publish.placement`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

import geopandas as gpd
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import shapely
from matplotlib.axes import Axes
from matplotlib.backend_bases import RendererBase
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.text import Text
from matplotlib.transforms import blended_transform_factory

from clustergeo.clusters.strength import STAR_DIMENSIONS
from clustergeo.governance.summaries import and_list
from clustergeo.publish.layers import finding_points
from clustergeo.publish.map_geometry import (
    MapGeometry,
    coverage_collection,
    geometry_paths,
    path_collection,
    prepare_map_geometry,
)
from clustergeo.publish.palette import BASE_FILL, FILL_ALPHA
from clustergeo.publish.placement import Box, Point, candidate_offsets, place_boxes
from clustergeo.publish.plotting import (
    BOUNDARY_STYLES,
    CLOSE_UP_STYLE,
    FONT_SIZES,
    MARKER_DIAMETER_PT,
    MAX_MAP_HEIGHT_IN,
    REPORT_WIDTH_CM,
    add_attribution,
    add_map_furniture,
    add_north_arrow,
    add_scale_bar,
    boundary_handles,
    corner_coverage,
    crs_note,
    default_figsize,
    draw_outlines,
    drawn_tiers,
    figure_renderer,
    frame_map,
    freeze_layout,
    furniture_corners,
    geometry_for_map,
    house_style,
    outline_close_up,
    set_title,
    study_outline_handle,
    wrap_text,
)
from clustergeo.publish.series_breaks import BREAK_MARK, CHECK, RULE_WORDS
from clustergeo.vocab import ORDNANCE_SURVEY_ATTRIBUTION

__all__ = [
    "MAX_NUMBERED",
    "MIN_VISIBLE_PT",
    "RING_DIAMETER_PT",
    "Panel",
    "drawn_footprints_pt",
    "map_label",
    "name_places",
    "place_labels",
    "plot_cluster_map",
    "plot_site_inset",
    "plot_small_multiples",
    "small_multiple_columns",
]

_BASE_EDGE = "#ffffff"
_SITE_COLOUR = "#222222"
#: The size of an anchor site's diamond on the findings map, in points.
_SITE_MARKER_PT = 6.0
#: How many findings the cluster map numbers (the strongest); the rest are in the GeoPackage.
MAX_NUMBERED = 20
_MARKER_PT = MARKER_DIAMETER_PT
_CONCENTRATION_HATCH = "////"
#: A numbered finding drawn smaller than this across (points, its larger side) is ringed.
MIN_VISIBLE_PT = 8.0
#: Diameter of the ring drawn round a finding too small to see, in points.
RING_DIAMETER_PT = 11.0
_RING_WIDTH_PT = 1.6


def _legend(ax: Axes, handles: list[Patch | Line2D], title: str) -> None:
    ax.legend(
        handles=handles,
        title=title,
        loc="upper left",
        bbox_to_anchor=(1.02, 1.0),
        borderaxespad=0.0,
        alignment="left",
        title_fontproperties={"weight": "bold", "size": FONT_SIZES["legend_title"]},
    )


def _wrap(label: str) -> str:
    return wrap_text(label, FONT_SIZES["legend"], 120)


#: Anchor sites are diamonds: stars are the findings' ratings (after the European Cluster
#: Observatory), and a map listing "★ Manufacturing: Solihull" beside a ★ for a site would read
#: as one thing. The QGIS style and the web map draw the same.
SITE_MARKER = "D"


def _site_handles(*, lettered: bool) -> list[Patch | Line2D]:
    """The legend's anchor site and footprint; ``lettered`` where the key names the sites."""
    return [
        Line2D(
            [],
            [],
            marker=SITE_MARKER,
            markersize=6,
            color=_SITE_COLOUR,
            markeredgecolor="white",
            linestyle="none",
            label="Anchor site, lettered" if lettered else "Anchor site",
        ),
        Line2D(
            [],
            [],
            color=_SITE_COLOUR,
            linewidth=0.8,
            linestyle=(0, (3, 2)),
            label="Its footprint (dashed)",
        ),
    ]


def _kind_handles(kinds: set[str], has_extents: bool) -> list[Patch | Line2D]:
    handles: list[Patch | Line2D] = []
    if "cluster" in kinds:
        handles.append(
            Patch(facecolor="#bbbbbb", edgecolor="#555555", lw=1.0, label="Cluster core")
        )
        if has_extents:
            handles.append(
                # Drawn in each finding's colour; the key says so, or it reads as the
                # anchor sites' dashed footprints further down.
                Line2D(
                    [],
                    [],
                    color="#555555",
                    lw=0.9,
                    linestyle=(0, (2, 1.5)),
                    label=_wrap("Its extent (dotted, in its industry's colour)"),
                )
            )
    if "concentration" in kinds:
        handles.append(
            Patch(
                facecolor="#bbbbbb",
                edgecolor="#555555",
                hatch=_CONCENTRATION_HATCH,
                lw=1.0,
                label=_wrap("Concentration (one or a few specialised places)"),
            )
        )
    return handles


def _draw_sites(ax: Axes, sites: gpd.GeoDataFrame | None) -> list[tuple[float, float]]:
    """Draw site footprints and stars; return the stars' data coordinates."""
    if sites is None or sites.empty:
        return []
    ax.add_collection(
        path_collection(
            geometry_paths(sites.geometry.boundary),
            facecolors="none",
            edgecolors=_SITE_COLOUR,
            linewidths=0.8,
            linestyles=[(0, (3, 2))],
            zorder=7,
        ),
        autolim=False,
    )
    ax.scatter(
        sites["x"],
        sites["y"],
        marker=SITE_MARKER,
        s=_SITE_MARKER_PT**2,
        color=_SITE_COLOUR,
        edgecolors="white",
        linewidths=0.5,
        zorder=8,
        gid="site-markers",
    )
    return list(zip(sites["x"].astype(float), sites["y"].astype(float), strict=True))


#: The z-orders of the findings' fills and outlines. Authority outlines go just over both: a
#: boundary running through a finding, or along its edge, is what the maps are about.
_FINDING_FILL_Z = 5.0
_FINDING_LINE_Z = 6.0


def _draw_findings(
    ax: Axes,
    findings: gpd.GeoDataFrame,
    colours: Mapping[str, str],
    extents: gpd.GeoDataFrame | None,
) -> None:
    """Cluster cores filled, their extents dotted, concentrations hatched, by industry colour."""
    if findings.empty:
        return
    if extents is not None and not extents.empty:
        shown = extents.loc[extents["cluster_id"].isin(findings["cluster_id"])]
        shown = shown.loc[shown.get("kind", "cluster") == "cluster"]
        ax.add_collection(
            path_collection(
                geometry_paths(shown.geometry.boundary),
                facecolors="none",
                edgecolors=[colours[str(c)] for c in shown["industry_code"]],
                linewidths=0.9,
                linestyles=[(0, (2, 1.5))],
                zorder=5,
            ),
            autolim=False,
        )
    edge = [colours[str(c)] for c in findings["industry_code"]]
    paths = geometry_paths(findings.geometry)
    ax.add_collection(
        path_collection(
            paths, facecolors=edge, edgecolors="none", alpha=FILL_ALPHA, zorder=_FINDING_FILL_Z
        ),
        autolim=False,
    )
    ax.add_collection(
        path_collection(
            paths, facecolors="none", edgecolors=edge, linewidths=1.1, zorder=_FINDING_LINE_Z
        ),
        autolim=False,
    )
    concentrations = (
        findings.get("kind", pd.Series("cluster", index=findings.index)) == ("concentration")
    ).to_numpy()
    if concentrations.any():
        hatched = path_collection(
            [p for p, flag in zip(paths, concentrations, strict=True) if flag],
            facecolors="none",
            edgecolors=[c for c, flag in zip(edge, concentrations, strict=True) if flag],
            linewidths=0,
            zorder=6,
        )
        hatched.set_hatch(_CONCENTRATION_HATCH)
        ax.add_collection(hatched, autolim=False)


def _ring_handle() -> Line2D:
    return Line2D(
        [],
        [],
        marker="o",
        markersize=RING_DIAMETER_PT,
        markerfacecolor="none",
        markeredgecolor="#555555",
        markeredgewidth=_RING_WIDTH_PT,
        linestyle="none",
        label=_wrap("Numbered finding too small to see at this scale, ringed"),
    )


def _polygon_extent_pt(ax: Axes, findings: gpd.GeoDataFrame) -> np.ndarray:
    """The larger side of each finding's bounding box as the map draws it, in points."""
    if findings.empty:
        return np.zeros(0)
    fig = ax.get_figure(root=True)
    assert isinstance(fig, Figure)
    bounds = shapely.bounds(findings.geometry.to_numpy())
    low = ax.transData.transform(bounds[:, :2])
    high = ax.transData.transform(bounds[:, 2:])
    return np.asarray(np.abs(high - low).max(axis=1) / (fig.dpi / 72))


def _too_small(ax: Axes, findings: gpd.GeoDataFrame) -> np.ndarray:
    """Which findings the map draws less than :data:`MIN_VISIBLE_PT` across, either way."""
    return np.asarray(_polygon_extent_pt(ax, findings) < MIN_VISIBLE_PT)


def drawn_footprints_pt(ax: Axes, findings: gpd.GeoDataFrame) -> list[float]:
    """How large a drawn cluster map shows each numbered finding, in points.

    The larger side of the finding's polygon as drawn, or of its ring (the artist with gid
    ``finding-ring-<rank>``) where it has one: what a reader has to find it by.
    """
    fig = ax.get_figure(root=True)
    assert isinstance(fig, Figure)
    renderer = figure_renderer(fig)
    scale = fig.dpi / 72
    rings = {
        str(line.get_gid()): line.get_window_extent(renderer)
        for line in ax.get_lines()
        if str(line.get_gid()).startswith("finding-ring-")
    }
    sizes = []
    for rank, extent in zip(findings["rank"], _polygon_extent_pt(ax, findings), strict=True):
        ring = rings.get(f"finding-ring-{int(rank)}")
        ring_pt = max(ring.width, ring.height) / scale if ring is not None else 0.0
        sizes.append(float(max(extent, ring_pt)))
    return sizes


def _draw_rings(
    ax: Axes,
    centres: Sequence[tuple[float, float]],
    colours: Sequence[str],
    ranks: Sequence[int],
) -> None:
    """A ring in the industry's colour, edged dark, round each finding too small to see.

    The rings are drawn in points, so they keep their size whatever the map's scale; each is
    an artist of its own with gid ``finding-ring-<rank>``, so its drawn size can be measured.
    """
    for (x, y), colour, rank in zip(centres, colours, ranks, strict=True):
        for edge, width, zorder in (
            # A thin dark edge either side keeps a pale industry colour visible on the base.
            ("#444444", _RING_WIDTH_PT + 1.0, 8.0),
            (colour, _RING_WIDTH_PT, 8.1),
        ):
            (ring,) = ax.plot(
                [x],
                [y],
                marker="o",
                markersize=RING_DIAMETER_PT,
                markerfacecolor="none",
                markeredgecolor=edge,
                markeredgewidth=width,
                linestyle="none",
                zorder=zorder,
            )
        ring.set_gid(f"finding-ring-{rank}")


def _furniture_boxes(ax: Axes, renderer: RendererBase) -> list[Box]:
    """What sits on the map besides its content: scale bar, north arrow, close-up inset, legend."""
    extents = [artist.get_window_extent(renderer) for artist in ax.artists]
    extents += [inset.get_window_extent(renderer) for inset in ax.child_axes]
    legend = ax.get_legend()
    if legend is not None:
        extents.append(legend.get_window_extent(renderer))
    return [Box(e.x0, e.y0, e.x1, e.y1) for e in extents]


def _frame(ax: Axes, renderer: RendererBase) -> Box:
    extent = ax.get_window_extent(renderer)
    return Box(extent.x0, extent.y0, extent.x1, extent.y1)


#: How far a marker keeps from another finding's point, in points.
_ANCHOR_CLEARANCE_PT = 3.0


def _number_markers(
    ax: Axes,
    anchors: Sequence[tuple[float, float]],
    numbers: Sequence[int],
    *,
    avoid: Sequence[tuple[float, float]] = (),
    ringed: Sequence[bool] = (),
    letters: Sequence[str] = (),
) -> None:
    """Numbered markers beside their findings, never overlapping one another or the furniture.

    ``anchors`` are data coordinates, in priority order; ``avoid`` are points (the anchor
    sites' diamonds) that the markers must leave visible; ``ringed`` says which anchors carry
    a ring (:func:`_draw_rings`), which the markers leave visible too, their leader lines
    starting at its edge. ``letters``, one per ``avoid`` point, are written beside those
    points once the markers have their places, clear of them (the key names each site by its
    letter).
    """
    if not anchors and not letters:
        return
    fig = ax.get_figure(root=True)
    assert isinstance(fig, Figure)
    renderer = figure_renderer(fig)
    scale = fig.dpi / 72
    diameter = _MARKER_PT * scale
    to_display = ax.transData.transform
    site_mark = 6 * scale
    ring = RING_DIAMETER_PT / 2 * scale
    ringed = list(ringed) or [False] * len(anchors)
    display_anchors = [tuple(p) for p in to_display(np.asarray(anchors).reshape(-1, 2))]
    sites = [tuple(p) for p in to_display(np.asarray(avoid).reshape(-1, 2))]
    # Each letter is made where its site is, measured, then moved to its place.
    site_texts = [
        ax.text(
            *point,
            letter,
            ha="center",
            va="center_baseline",
            fontsize=FONT_SIZES["annotation"],
            fontweight="bold",
            color=_SITE_COLOUR,
            zorder=11,
            gid="site-letter",
            bbox={"boxstyle": "round,pad=0.12", "fc": "white", "ec": "none", "alpha": 0.85},
        )
        for point, letter in zip(avoid, letters, strict=False)
    ]
    letter_sizes = [_measure(ax, renderer, text) for text in site_texts]
    obstacles = [
        *_furniture_boxes(ax, renderer),
        *(
            Box.around(x, y, site_mark, site_mark)
            for x, y in to_display(np.asarray(avoid).reshape(-1, 2))
        ),
        *(
            Box.around(x, y, ring, ring)
            for (x, y), has_ring in zip(display_anchors, ringed, strict=True)
            if has_ring
        ),
    ]
    # The letters come after the markers: a finding keeps its place, a site's letter moves.
    spots = place_boxes(
        [*display_anchors, *sites[: len(site_texts)]],
        [(diameter, diameter)] * len(anchors) + letter_sizes,
        frame=_frame(ax, renderer),
        obstacles=obstacles,
        gap=1.5 * scale,
        step=diameter * 0.75,
        # Each finding's point stays in sight, where its leader line ends.
        anchor_clearance=_ANCHOR_CLEARANCE_PT * scale,
    )
    to_data = ax.transData.inverted().transform
    # Every letter moved off its diamond (the first ring of places is about twice its height
    # out) is tied back to it: among close sites, a letter can sit nearer another's diamond.
    _set_at_spots(
        ax,
        site_texts,
        sites[: len(site_texts)],
        letter_sizes,
        spots[len(anchors) :],
        leader_colour=_SITE_COLOUR,
        tie_beyond=1.0,
    )
    spots = spots[: len(anchors)]
    placed = [
        (n, a, s, r)
        for n, a, s, r in zip(numbers, display_anchors, spots, ringed, strict=True)
        if s
    ]
    if not placed:
        return
    centres = to_data(np.array([s for _n, _a, s, _r in placed]))
    for (number, anchor, spot, has_ring), (x, y) in zip(placed, centres, strict=True):
        distance = math.dist(anchor, spot)
        if distance > diameter / 2:
            # A short leader line ties a marker moved off its finding back to it (from the
            # edge of its ring, which stays clear).
            start = ring / distance if has_ring else 0.0
            begin = (
                anchor[0] + (spot[0] - anchor[0]) * start,
                anchor[1] + (spot[1] - anchor[1]) * start,
            )
            (ax_x, ax_y) = to_data(np.array([begin]))[0]
            ax.plot(
                [ax_x, x],
                [ax_y, y],
                color="#333333",
                lw=0.5,
                zorder=9,
                solid_capstyle="round",
                gid="marker-leader",
            )
        ax.text(
            x,
            y,
            str(number),
            ha="center",
            va="center_baseline",
            fontsize=FONT_SIZES["annotation"],
            fontweight="bold",
            color="#111111",
            zorder=11,
            gid="marker-number",
        )
    ax.scatter(
        centres[:, 0],
        centres[:, 1],
        s=_MARKER_PT**2,
        facecolors="white",
        edgecolors="#333333",
        linewidths=0.6,
        zorder=10,
        gid="markers",
    )


def _box_edge(
    centre: tuple[float, float], size: tuple[float, float], towards: tuple[float, float]
) -> tuple[float, float]:
    """Where the line from a box's ``centre`` to the point ``towards`` leaves the box."""
    dx, dy = towards[0] - centre[0], towards[1] - centre[1]
    edge = min(size[0] / 2 / abs(dx) if dx else math.inf, size[1] / 2 / abs(dy) if dy else math.inf)
    return centre[0] + dx * edge, centre[1] + dy * edge


def _set_at_spots(
    ax: Axes,
    texts: Sequence[Text],
    anchors: Sequence[tuple[float, float]],
    sizes: Sequence[tuple[float, float]],
    spots: Sequence[tuple[float, float] | None],
    *,
    leader_colour: str | None,
    tie_beyond: float = 1.0,
) -> None:
    """Move each text to its spot (display units), or drop it where it has none.

    A text set more than ``tie_beyond`` times its height from its anchor is tied back to it
    by a thin line in ``leader_colour`` (none where it is None), from the anchor to the edge
    of the text's box.
    """
    to_data = ax.transData.inverted().transform
    for text, anchor, (width, height), spot in zip(texts, anchors, sizes, spots, strict=True):
        if spot is None:
            text.remove()
            continue
        text.set_position(tuple(to_data(np.array([spot]))[0]))
        if leader_colour is None or math.dist(anchor, spot) <= tie_beyond * height:
            continue
        (x0, y0), (x1, y1) = to_data(np.array([anchor, _box_edge(spot, (width, height), anchor)]))
        ax.plot(
            [x0, x1],
            [y0, y1],
            color=leader_colour,
            lw=0.6,
            zorder=text.get_zorder() - 0.1,
            solid_capstyle="round",
            gid="leader-line",
        )


#: Width of one column of the key under the cluster map, in points: half the page less a gutter.
_KEY_COLUMN_PT = REPORT_WIDTH_CM / 2.54 * 72 / 2 - 18


#: District names on a close-up, in points: smaller than the numbers they sit among.
_DISTRICT_NAME_PT = 5.5
#: Place names on a map of the whole study area, in points: a little larger, being fewer;
#: and the diameter of the dot each names.
_PLACE_NAME_PT = 6.5
_PLACE_DOT_PT = 3.0
#: How far a place's name stands off its dot, in points.
_PLACE_GAP_PT = 2.0
#: How far from a place's point its dot may move to be clear of the findings' numbers, as a
#: share of the radius of a circle of the place's land: well inside a compact city.
_PLACE_DOT_REACH = 1.0
#: However small a place is at the map's scale, its dot may move this far to be clear (on a
#: national map a city is a point or two across).
_PLACE_DOT_MIN_REACH_PT = 4.0
#: Where no name fits beside a place's dot (a city under its own findings' numbers), the name
#: may stand up to this far from the dot, tied to it by a hairline.
_PLACE_CALLOUT_PT = 18.0
#: Clear dots tried for a name on a hairline, nearest the place's point first.
_CALLOUT_DOTS = 4
#: A name on a hairline keeps this far from every other mark, so it is not read as a label
#: of the number, site or letter beside it.
_CALLOUT_CLEARANCE_PT = 3.0
#: At most this many places are named on a map of the whole study area.
MAP_PLACES: Final = 8
#: A space as wide as a digit: numbers padded with it line up in the key's proportional type.
_FIGURE_SPACE = "\u2007"


def _key_lines(findings: pd.DataFrame) -> list[str]:
    """'1 ★★ Name (concentration)' per numbered finding, wrapped to half the page.

    Numbers are right-aligned to the widest (a close-up numbers findings past 99), padded
    with figure spaces; an entry's further lines start under its name.
    """
    ranks = [int(str(rank)) for rank in findings["rank"]] if "rank" in findings else []
    digits = max([2, *(len(str(rank)) for rank in ranks)])
    indent = "\n" + _FIGURE_SPACE * digits + "   "
    lines = []
    for row, broken in zip(findings.itertuples(), _series_broken(findings), strict=True):
        stars = "★" * int(getattr(row, "stars", 0) or 0)
        kind = " (concentration)" if getattr(row, "kind", "cluster") == "concentration" else ""
        number = str(int(str(row.rank))).rjust(digits, _FIGURE_SPACE)
        mark = f" {BREAK_MARK}" if broken else ""
        entry = f"{number}  {stars + ' ' if stars else ''}{row.name}{kind}{mark}"
        lines.append(
            wrap_text(entry, FONT_SIZES["annotation"], _KEY_COLUMN_PT).replace("\n", indent)
        )
    return lines


def _key_heading(
    findings: pd.DataFrame, numbered: pd.DataFrame, *, close_up: bool = False, total: int = 0
) -> list[str]:
    """The lines over the key: how many findings are numbered, what the stars mean; wrapped.

    An empty map says why it is empty rather than leave the reader to wonder. A close-up
    says its numbers are the whole map's ranks (``total``: the whole map's findings).
    """
    heading = []
    if close_up and findings.empty:
        heading.append("No finding lies in this close-up; the whole map shows every finding.")
    elif close_up:
        beyond = (
            f", which numbers only the strongest {MAX_NUMBERED}" if total > MAX_NUMBERED else ""
        )
        heading.append(
            f"Every finding in this close-up is numbered by its rank on the whole map{beyond}."
        )
    elif findings.empty:
        heading.append(
            "No cluster or concentration met the run's rules in this study area; the report "
            "says what was looked for."
        )
    if len(findings) > len(numbered):
        heading.append(
            f"The {len(numbered)} strongest of {len(findings)} findings are numbered; "
            "all are in the GeoPackage and the report."
        )
    if "stars" in numbered and numbered["stars"].fillna(0).astype(int).gt(0).any():
        heading.append(
            f"★: a star for each of {and_list(list(STAR_DIMENSIONS))} on which a finding "
            "ranks among the run's strongest."
        )
    if _series_broken(numbered).any():
        heading.append(
            f"{BREAK_MARK}: its yearly series looks broken ({RULE_WORDS}){CHECK}; the "
            "GeoPackage's findings layer gives each one's change."
        )
    return [wrap_text(line, FONT_SIZES["annotation"], 2 * _KEY_COLUMN_PT) for line in heading]


def _series_broken(findings: pd.DataFrame) -> np.ndarray:
    """Whether each finding's yearly series looks broken (its ``series_break`` is set)."""
    if "series_break" not in findings:
        return np.zeros(len(findings), dtype=bool)
    return (
        findings["series_break"].notna().to_numpy()
        & (findings["series_break"].astype(str).str.len() > 0).to_numpy()
    )


def site_letters(count: int) -> list[str]:
    """The letters naming ``count`` anchor sites on the cluster map: A to Z, then AA, AB...

    As spreadsheet columns are named (bijective base 26), however many sites there are.
    """
    letters = []
    for number in range(1, count + 1):
        name, rest = "", number
        while rest:
            rest, digit = divmod(rest - 1, 26)
            name = chr(ord("A") + digit) + name
        letters.append(name)
    return letters


def _site_key_lines(letters: Sequence[str], names: Sequence[str]) -> list[str]:
    """'A  ◆ Name' per anchor site, wrapped like the findings' entries."""
    return [
        wrap_text(f"{letter:>2}  ◆ {name}", FONT_SIZES["annotation"], _KEY_COLUMN_PT).replace(
            "\n", "\n      "
        )
        for letter, name in zip(letters, names, strict=True)
    ]


def _key_columns(entries: Sequence[str]) -> tuple[list[str], list[str]]:
    """Entries split into two balanced columns; an entry is never split between them."""
    total = sum(e.count("\n") + 1 for e in entries)
    left: list[str] = []
    count = 0
    split = len(entries)
    for index, entry in enumerate(entries):
        if count >= total / 2:
            split = index
            break
        left.append(entry)
        count += entry.count("\n") + 1
    return left, list(entries[split:])


@dataclass(frozen=True)
class _MapContent:
    """What a findings map draws: the whole study area's, or a close-up's share of it."""

    areas: gpd.GeoDataFrame
    findings: gpd.GeoDataFrame
    extents: gpd.GeoDataFrame | None
    boundaries: dict[str, gpd.GeoDataFrame]
    sites: gpd.GeoDataFrame | None
    letters: list[str]
    numbered: gpd.GeoDataFrame
    #: How many findings the whole map holds.
    total: int


def _map_content(
    areas: gpd.GeoDataFrame,
    findings: gpd.GeoDataFrame,
    *,
    extents: gpd.GeoDataFrame | None,
    boundaries: dict[str, gpd.GeoDataFrame],
    sites: gpd.GeoDataFrame | None,
    view: Sequence[float] | None,
) -> _MapContent:
    """The map's content; in a close-up, what lies in ``view``, every finding numbered.

    Sites keep the letters of the whole map, so the close-up's A is the whole map's A.

    Raises
    ------
    ValueError
        If ``view`` is not a finite box holding some area.
    """
    letters = site_letters(0 if sites is None else len(sites))
    total = len(findings)
    if view is None:
        numbered = findings.head(MAX_NUMBERED)
        return _MapContent(areas, findings, extents, boundaries, sites, letters, numbered, total)
    bounds = np.asarray(view, dtype=float).ravel()
    if bounds.size != 4 or not np.isfinite(bounds).all():
        raise ValueError(f"A close-up's view must be a finite box, not {tuple(view)!r}.")
    xmin, ymin, xmax, ymax = (float(b) for b in bounds)
    if not (xmin < xmax and ymin < ymax):
        raise ValueError(f"A close-up's view must be a finite box, not {tuple(view)!r}.")
    view_box = shapely.box(xmin, ymin, xmax, ymax)
    in_view = areas.loc[areas.intersects(view_box)]
    if in_view.empty:
        raise ValueError(f"A close-up's view {tuple(view)!r} holds no area of the study area.")
    near = findings.loc[findings.intersects(view_box)]
    if sites is not None:
        inside = sites.geometry.intersects(view_box).to_numpy()
        letters = [letter for letter, keep in zip(letters, inside, strict=True) if keep]
        sites = sites.loc[inside]
    return _MapContent(
        areas=in_view,
        findings=near,
        extents=extents.loc[extents.intersects(view_box)] if extents is not None else None,
        boundaries={tier: f.cx[xmin:xmax, ymin:ymax] for tier, f in boundaries.items()},
        sites=sites,
        letters=letters,
        numbered=near,
        total=total,
    )


def plot_cluster_map(
    areas: gpd.GeoDataFrame,
    findings: gpd.GeoDataFrame,
    *,
    colours: Mapping[str, str],
    labels: Mapping[str, str],
    title: str,
    subtitle: str | None = None,
    extents: gpd.GeoDataFrame | None = None,
    boundaries: Mapping[str, gpd.GeoDataFrame] | None = None,
    sites: gpd.GeoDataFrame | None = None,
    attribution: str = ORDNANCE_SURVEY_ATTRIBUTION,
    source: str | None = None,
    geometry: MapGeometry | None = None,
    view: Sequence[float] | None = None,
    close_up: tuple[str, Sequence[float]] | None = None,
    places: pd.DataFrame | None = None,
) -> tuple[Figure, Axes]:
    """Every finding over the study area, coloured by industry and numbered by rank.

    Parameters
    ----------
    areas
        The study area's small areas (drawn as a light base).
    findings
        Finding polygons (cores) with ``cluster_id``, ``rank``, ``kind``, ``industry_code``,
        ``name`` and ``stars``, strongest first; the first :data:`MAX_NUMBERED` are numbered
        and named in a key under the map.
    colours, labels
        Each industry's fixed colour and its name in the legend, by industry key.
    extents
        The findings' extent polygons (``cluster_id``, ``kind``), drawn dotted, or None.
    title, subtitle, boundaries, attribution, source, geometry
        As for :func:`clustergeo.publish.plotting.plot_lq_choropleth`.
    sites
        Anchor-site footprints with their point in ``x``, ``y`` and their ``name`` (each is
        lettered on the map and named in the key), or None.
    view
        ``(xmin, ymin, xmax, ymax)`` of a close-up
        (:func:`~clustergeo.publish.map_geometry.london_view`): only what lies in it is
        drawn, and every finding in it is numbered by its rank on the whole map (which
        numbers the strongest :data:`MAX_NUMBERED`); sites keep their letters. ``geometry``
        is then ignored: the close-up prepares its own, at its own scale.
    close_up
        ``(place, (xmin, ymin, xmax, ymax))`` of a close-up drawn as its own map: its extent
        is outlined here, and named in the legend.
    places
        The places to name on a map of the whole study area (``name``, ``x``, ``y`` and
        ``km2``, first to name first: :func:`~clustergeo.publish.places.principal_places`),
        each where it fits clear of the numbers and sites; a close-up names its districts
        instead.
    """
    close = view is not None
    content = _map_content(
        areas,
        findings,
        extents=extents,
        boundaries=dict(boundaries or {}),
        sites=sites,
        view=view,
    )
    areas, findings, extents, sites = (
        content.areas,
        content.findings,
        content.extents,
        content.sites,
    )
    overlays = content.boundaries
    tiers = drawn_tiers(overlays)
    if geometry is None or close:
        geometry = geometry_for_map(areas, overlays)
    numbered, letters = content.numbered, content.letters
    site_names = [] if sites is None else sites["name"].astype(str).tolist()
    key = _key_columns(_key_lines(numbered) + _site_key_lines(letters, site_names))
    heading = _key_heading(findings, numbered, close_up=close, total=content.total)
    key_lines = max(sum(e.count("\n") + 1 for e in column) for column in key) + sum(
        line.count("\n") + 1 for line in heading
    )
    present = [c for c in colours if c in set(findings["industry_code"].astype(str))]
    with house_style():
        handles: list[Patch | Line2D] = [
            Patch(
                facecolor=colours[c], edgecolor=colours[c], alpha=FILL_ALPHA, label=_wrap(labels[c])
            )
            for c in present
        ]
        handles += _kind_handles(
            set(findings.get("kind", pd.Series(dtype=str))),
            extents is not None and not extents.empty,
        )
        # A close-up's edge is the view's, not the study area's: no study outline.
        boundary_and_site_handles = [
            *boundary_handles(tiers, overlays),
            *([] if close else [study_outline_handle()]),
            *([_close_up_handle(close_up[0])] if close_up else []),
            *(_site_handles(lettered=True) if sites is not None and len(sites) else []),
        ]
        # The ring's entry may join the legend once the map's scale is known: counted now.
        legend_labels = [
            str(h.get_label()) for h in [*handles, _ring_handle(), *boundary_and_site_handles]
        ]
        width, height, key_height = _figure_size(areas, key_lines, legend_labels)
        fig = plt.figure(figsize=(width, height + key_height), layout="constrained")
        grid = fig.add_gridspec(2, 1, height_ratios=[height, key_height])
        ax = fig.add_subplot(grid[0])
        key_ax = fig.add_subplot(grid[1])
        key_ax.set_axis_off()
        frame_map(ax, view if view is not None else geometry.bounds, margin=0.0 if close else 0.03)
        set_title(ax, title, subtitle)
        _legend(ax, handles + boundary_and_site_handles, "Findings by industry")
        _write_key(fig, key_ax, key, heading)
        if close:
            # A close-up is all land: the scale bar and the arrow go inside, in the corners
            # the fewest findings cover (under the map they would meet the attribution).
            _close_up_furniture(ax, findings)
        else:
            add_map_furniture(ax, areas)
        add_attribution(ax, attribution, crs_note=crs_note(areas), source=source)
        freeze_layout(fig)
        # Which findings are too small to see is known only at the map's final scale; the
        # ring's legend entry is added then, and the layout frozen again around it.
        ringed = _too_small(ax, numbered)
        if ringed.any():
            _legend(
                ax, [*handles, _ring_handle(), *boundary_and_site_handles], "Findings by industry"
            )
            freeze_layout(fig)
        ax.add_collection(
            coverage_collection(
                geometry.areas, facecolors=BASE_FILL, edgecolors=_BASE_EDGE, linewidths=0.2
            ),
            autolim=False,
        )
        _draw_findings(ax, findings, colours, extents)
        draw_outlines(ax, geometry, tiers, study_outline=not close, above=_FINDING_LINE_Z)
        if close_up:
            outline_close_up(ax, close_up[1], zorder=_FINDING_LINE_Z + 0.4)
        anchors = finding_points(numbered, areas, view)
        _draw_rings(
            ax,
            [a for a, r in zip(anchors, ringed, strict=True) if r],
            [colours[str(c)] for c in numbered["industry_code"].loc[ringed]],
            numbered["rank"].astype(int).loc[ringed].tolist(),
        )
        stars = _draw_sites(ax, sites)
        _number_markers(
            ax,
            anchors,
            numbered["rank"].astype(int).tolist(),
            avoid=stars,
            ringed=ringed.tolist(),
            letters=letters,
        )
        _name_what_is_in_view(ax, areas, view, places)
    return fig, ax


def _name_what_is_in_view(
    ax: Axes, areas: gpd.GeoDataFrame, view: Sequence[float] | None, places: pd.DataFrame | None
) -> None:
    """A close-up's districts, or the principal places on a map of the whole study area."""
    if view is not None:
        _name_districts(ax, areas, view)
    elif places is not None:
        name_places(ax, places)


def _district_names(
    ax: Axes,
    areas: gpd.GeoDataFrame,
    view: Sequence[float],
    *,
    size_pt: float,
    width_pt: float,
    zorder: float,
    gid: str,
) -> tuple[list[Text], list[tuple[float, float]]]:
    """Each district's name at a point of its part of ``view``, largest part first.

    Italic, grey, on a light backing so it reads over the findings' fills; the caller moves
    each to a free spot or removes it. Returns the texts and their points (data coordinates).
    """
    if "district_name" not in areas or areas.empty:
        return [], []
    parts = areas[["district_name", "geometry"]].dissolve(by="district_name")
    parts = parts.set_geometry(parts.geometry.intersection(shapely.box(*view)))
    parts = parts.loc[~parts.geometry.is_empty]
    parts = parts.assign(area=parts.geometry.area).sort_values("area", ascending=False)
    points = [(p.x, p.y) for p in shapely.point_on_surface(parts.geometry.to_numpy())]
    texts = [
        _italic_name(
            ax,
            (x, y),
            wrap_text(str(name), size_pt, width_pt),
            size_pt=size_pt,
            colour="#3a3a3a",
            backing=0.6,
            zorder=zorder,
            gid=gid,
        )
        for name, (x, y) in zip(parts.index, points, strict=True)
    ]
    return texts, points


def _italic_name(
    ax: Axes,
    point: tuple[float, float],
    text: str,
    *,
    size_pt: float,
    colour: str,
    backing: float,
    zorder: float,
    gid: str,
) -> Text:
    """A place's or district's name at ``point``, for the caller to move or remove.

    Italic, on a light backing of opacity ``backing``, so it reads over the findings' fills.
    """
    return ax.text(
        *point,
        text,
        ha="center",
        va="center",
        fontsize=size_pt,
        fontstyle="italic",
        color=colour,
        linespacing=1.0,
        zorder=zorder,
        bbox={"boxstyle": "square,pad=0.08", "fc": "white", "ec": "none", "alpha": backing},
        gid=gid,
    )


def _name_districts(ax: Axes, areas: gpd.GeoDataFrame, view: Sequence[float]) -> None:
    """Each district's name on its part of a close-up, where it fits; else left off.

    A close-up is read by its places as much as by its numbers. Names go on or just beside
    their district, largest first, clear of the numbered markers and rings, the sites and
    their letters, the leader lines, the furniture and one another; a name with no room
    near its district is left off rather than set where it would name a neighbour.
    """
    texts, points = _district_names(
        ax, areas, view, size_pt=_DISTRICT_NAME_PT, width_pt=55, zorder=8.6, gid="district-name"
    )
    _set_clear_or_remove(ax, texts, points, max_distance_pt=9)


def name_places(ax: Axes, places: pd.DataFrame) -> None:
    """The study area's principal places (:func:`~clustergeo.publish.places.principal_places`).

    As on a road map: a dot in the place and its name right beside it, :data:`_PLACE_GAP_PT`
    off, on whichever side is clear of the numbered markers, the rings, the sites, the
    leader lines, the furniture and the names before it. A city is often where its findings'
    numbers are, so the dot goes at the place's point or, where that is covered, at the
    nearest clear point within :data:`_PLACE_DOT_REACH` of the radius of a circle of the
    place's land (its ``km2``): inside a compact place, so the name does not point at a
    neighbour (on a national map, where a city is a point or two across, within
    :data:`_PLACE_DOT_MIN_REACH_PT`, which may reach past a small city's edge). Where no
    name fits beside any such dot, as where a city lies under its own findings' numbers, the
    name stands clear of them, at most :data:`_PLACE_CALLOUT_PT` off, on a hairline from the
    dot (as a road atlas names a crowded town). A place with no such spot either is left off
    and the next in the list is tried, until :data:`MAP_PLACES` are named.
    """
    fig = ax.get_figure(root=True)
    assert isinstance(fig, Figure)
    renderer = figure_renderer(fig)
    scale = fig.dpi / 72
    taken = [*_furniture_boxes(ax, renderer), *_drawn_marks(ax, renderer)]
    frame = _frame(ax, renderer)
    # Map units (metres) per display unit, the map's aspect being equal.
    origin, east = ax.transData.transform([(0.0, 0.0), (1.0, 0.0)])
    metres_per_display = 1 / float(np.hypot(*(east - origin)))
    dots: list[tuple[float, float]] = []
    land = places["km2"] if "km2" in places else pd.Series(np.nan, index=places.index)
    for name_text, x, y, km2 in zip(
        places["name"].astype(str),
        places["x"].to_numpy(float),
        places["y"].to_numpy(float),
        land.to_numpy(float),
        strict=True,
    ):
        if len(dots) == MAP_PLACES:
            break
        reach = _PLACE_DOT_REACH * math.sqrt(km2 / math.pi) * 1000 if km2 > 0 else 0.0
        text = _italic_name(
            ax,
            (x, y),
            name_text,
            size_pt=_PLACE_NAME_PT,
            colour="#2a2a2a",
            backing=0.7,
            zorder=8.6,
            gid="place-name",
        )
        px, py = (float(v) for v in ax.transData.transform((x, y)))
        found = _dot_and_name(
            (px, py),
            _measure(ax, renderer, text),
            max(reach / metres_per_display, _PLACE_DOT_MIN_REACH_PT * scale),
            taken=taken,
            frame=frame,
            scale=scale,
        )
        if found is None:
            text.remove()
            continue
        dot, name, leader = found
        to_data = ax.transData.inverted().transform
        text.set_position(tuple(to_data(np.array([name.x0 + name.x1, name.y0 + name.y1]) / 2)))
        taken += [dot, name, *_along(leader, scale)]
        dots.append(tuple(to_data(np.array([(dot.x0 + dot.x1) / 2, (dot.y0 + dot.y1) / 2]))))
        if leader:
            (x0, y0), (x1, y1) = to_data(np.array(leader))
            ax.plot(
                [x0, x1],
                [y0, y1],
                color="#2a2a2a",
                lw=0.5,
                zorder=8.5,
                solid_capstyle="butt",
                gid="place-leader",
            )
    if dots:
        ax.scatter(
            [x for x, _y in dots],
            [y for _x, y in dots],
            s=_PLACE_DOT_PT**2,
            color="#2a2a2a",
            edgecolors="white",
            linewidths=0.5,
            zorder=8.55,
            gid="place-dots",
        )


def _dot_and_name(
    anchor: Sequence[float],
    size: tuple[float, float],
    reach: float,
    *,
    taken: Sequence[Box],
    frame: Box,
    scale: float,
) -> tuple[Box, Box, tuple[Point, Point] | None] | None:
    """A place's dot and name boxes (display units) and any hairline between them.

    The dot is the one nearest ``anchor`` within ``reach`` that is clear and has its name
    clear beside it. Names go in the cartographer's order of positions round a point: right,
    above, left, below, then the diagonals. Where no clear dot has room beside it, the
    nearest clear dots (:data:`_CALLOUT_DOTS`) are tried with the name further out, nearest
    first, on a hairline clear of everything drawn (the third item, from the dot's edge to
    the name's); None where that fails too.
    """
    half_dot = _PLACE_DOT_PT / 2 * scale
    width, height = size
    gap = _PLACE_GAP_PT * scale + half_dot
    sides = (
        (gap + width / 2, 0.0),
        (0.0, gap + height / 2),
        (-gap - width / 2, 0.0),
        (0.0, -gap - height / 2),
        (gap / 2 + width / 2, gap / 2 + height / 2),
        (-gap / 2 - width / 2, gap / 2 + height / 2),
        (-gap / 2 - width / 2, -gap / 2 - height / 2),
        (gap / 2 + width / 2, -gap / 2 - height / 2),
    )
    step = 2 * scale
    x0, y0 = float(anchor[0]), float(anchor[1])
    # Only what lies within reach of a dot, its name and a hairline can be in the way.
    around = reach + (_PLACE_CALLOUT_PT * scale + width + height)
    near = [t for t in taken if t.overlaps(Box(x0 - around, y0 - around, x0 + around, y0 + around))]
    clear_dots = []
    for dx, dy in candidate_offsets(step, int(reach // step)):
        if math.hypot(dx, dy) > reach + 1e-9:
            continue
        x, y = x0 + dx, y0 + dy
        dot = Box.around(x, y, half_dot, half_dot)
        if not dot.inside(frame) or any(dot.overlaps(t, 0.5 * scale) for t in near):
            continue
        clear_dots.append(dot)
        for sx, sy in sides:
            name = Box.around(x + sx, y + sy, width / 2, height / 2)
            if name.inside(frame, scale) and not any(name.overlaps(t, scale) for t in near):
                return dot, name, None
    for dot in clear_dots[:_CALLOUT_DOTS]:
        found = _called_out(dot, size, near, frame=frame, scale=scale)
        if found is not None:
            return dot, *found
    return None


def _called_out(
    dot: Box, size: tuple[float, float], taken: Sequence[Box], *, frame: Box, scale: float
) -> tuple[Box, tuple[Point, Point]] | None:
    """A name clear of ``taken`` up to :data:`_PLACE_CALLOUT_PT` off ``dot``, on a clear line.

    The name's nearest edge is at least twice the gap a name keeps beside its dot from the dot's
    edge, so the hairline shows, and :data:`_CALLOUT_CLEARANCE_PT` from anything else; the
    line runs from the dot's edge to the name's nearest point, half that clearance from
    anything drawn.
    """
    width, height = size
    cx, cy = (dot.x0 + dot.x1) / 2, (dot.y0 + dot.y1) / 2
    half_dot = (dot.x1 - dot.x0) / 2
    shortest = half_dot + 2 * _PLACE_GAP_PT * scale
    longest = _PLACE_CALLOUT_PT * scale
    step = 2 * scale
    for dx, dy in candidate_offsets(step, int((longest + width / 2) // step)):
        name = Box.around(cx + dx, cy + dy, width / 2, height / 2)
        near_x = min(max(cx, name.x0), name.x1)
        near_y = min(max(cy, name.y0), name.y1)
        length = math.hypot(near_x - cx, near_y - cy)
        if not shortest <= length <= longest or not name.inside(frame, scale):
            continue
        if any(name.overlaps(t, _CALLOUT_CLEARANCE_PT * scale) for t in taken):
            continue
        # From the dot's edge to a point short of the name, so neither is touched.
        ux, uy = (near_x - cx) / length, (near_y - cy) / length
        start = (cx + ux * (half_dot + 0.5 * scale), cy + uy * (half_dot + 0.5 * scale))
        end = (near_x - ux * 0.75 * scale, near_y - uy * 0.75 * scale)
        hairline = _along((start, end), scale)
        # Kept off other lines too: a hairline beside a leader is read as its twin.
        if any(b.overlaps(t, _CALLOUT_CLEARANCE_PT / 2 * scale) for b in hairline for t in taken):
            continue
        return name, (start, end)
    return None


def _along(line: tuple[Point, Point] | None, scale: float, half_pt: float = 0.5) -> list[Box]:
    """Boxes ``2 * half_pt`` points wide a point apart along ``line`` (none for no line)."""
    if line is None:
        return []
    (x0, y0), (x1, y1) = line
    steps = max(1, int(math.hypot(x1 - x0, y1 - y0) / scale))
    half = half_pt * scale
    return [
        Box.around(x0 + (x1 - x0) * t, y0 + (y1 - y0) * t, half, half)
        for t in np.linspace(0.0, 1.0, steps + 1)
    ]


def _drawn_marks(ax: Axes, renderer: RendererBase) -> list[Box]:
    """Boxes round what a name must not cover: numbered markers, rings, sites, leader lines."""
    fig = ax.get_figure(root=True)
    assert isinstance(fig, Figure)
    scale = fig.dpi / 72
    boxes = []
    for collection in ax.collections:
        half = {"markers": _MARKER_PT / 2, "site-markers": _SITE_MARKER_PT / 2 + 0.5}.get(
            str(collection.get_gid())
        )
        if half is not None:
            for x, y in ax.transData.transform(collection.get_offsets()):
                boxes.append(Box.around(x, y, half * scale, half * scale))
    for line in ax.lines:
        gid = str(line.get_gid())
        points = ax.transData.transform(np.column_stack(line.get_data()).astype(float))
        if gid.startswith("finding-ring-"):
            # Its dark edge is a point wider than the coloured ring.
            half = (RING_DIAMETER_PT + _RING_WIDTH_PT + 1.0) / 2 * scale
            boxes += [Box.around(x, y, half, half) for x, y in points]
        elif gid in {"leader-line", "marker-leader", "place-leader"} and len(points) == 2:
            # A line is covered by small boxes along it, a point apart.
            (x0, y0), (x1, y1) = points
            boxes += _along(((x0, y0), (x1, y1)), scale, half_pt=1.0)
    for text in ax.texts:
        if text.get_gid() == "site-letter":
            extent = text.get_window_extent(renderer)
            boxes.append(Box(extent.x0, extent.y0, extent.x1, extent.y1))
    return boxes


def _set_clear_or_remove(
    ax: Axes, texts: list[Text], points: list[tuple[float, float]], *, max_distance_pt: float
) -> None:
    """Move each name (in order) to the first free spot near its point, or remove it.

    Free of the numbered markers and rings, the sites, the leader lines, the map's furniture
    and the names placed before it, its centre within ``max_distance_pt`` of its point.
    """
    if not texts:
        return
    fig = ax.get_figure(root=True)
    assert isinstance(fig, Figure)
    renderer = figure_renderer(fig)
    scale = fig.dpi / 72
    spots = place_boxes(
        [tuple(p) for p in ax.transData.transform(np.asarray(points))],
        [_measure(ax, renderer, t) for t in texts],
        frame=_frame(ax, renderer),
        obstacles=[*_furniture_boxes(ax, renderer), *_drawn_marks(ax, renderer)],
        gap=1 * scale,
        step=3 * scale,
        max_distance=max_distance_pt * scale,
    )
    to_data = ax.transData.inverted().transform
    for text, spot in zip(texts, spots, strict=True):
        if spot is None:
            text.remove()
        else:
            text.set_position(tuple(to_data(np.array([spot]))[0]))


#: What the map's row holds above the legend beside it: the title, a three-line subtitle and
#: the gaps between them (inches).
_TITLE_ROOM_IN = 1.0


def _figure_size(
    areas: gpd.GeoDataFrame, key_lines: int, legend_labels: Sequence[str]
) -> tuple[float, float, float]:
    """The findings map's width, its row's height and its key's height (inches).

    The key under the map counts toward the page: a tall study area's map (the UK's) gives
    way, rather than the whole figure printing at 70% with its key at 5 pt. It gives way no
    further than the legend beside it needs (``legend_labels``, its entries' labels), which
    the row always holds: past that the figure runs over the page's height, and prints a
    little smaller.
    """
    width, height = default_figsize(areas)
    key_height = key_lines * FONT_SIZES["annotation"] * 1.25 / 72 + 0.35
    size = FONT_SIZES["legend"]
    lines = 1 + sum(label.count("\n") + 1 for label in legend_labels)
    legend = (lines * size * 1.2 + len(legend_labels) * size * 0.45) / 72 + _TITLE_ROOM_IN
    # Never shorter than the legend, even past the tallest a map is made (21 sections).
    return width, max(3.0, min(height, MAX_MAP_HEIGHT_IN - key_height), legend), key_height


def _write_key(
    fig: Figure, key_ax: Axes, key: Sequence[Sequence[str]], heading: Sequence[str]
) -> None:
    """The key under the map: its heading, then its entries in two columns."""
    # The key spans the page (the legend ends above it): columns in figure units across, in
    # the key's own units down.
    across = blended_transform_factory(fig.transFigure, key_ax.transAxes)
    for column, entries in enumerate(key):
        if not entries:
            continue
        key_ax.text(
            0.01 + 0.5 * column,
            1.0,
            "\n".join(entries),
            transform=across,
            ha="left",
            va="top",
            fontsize=FONT_SIZES["annotation"],
            color="#222222",
            linespacing=1.25,
            gid="map-key",
        ).set_in_layout(False)  # sized by the key's height; the layout would misread it
    if heading:
        key_ax.set_title(
            "\n".join(heading),
            fontsize=FONT_SIZES["annotation"],
            fontweight="normal",
            loc="left",
            gid="map-key",
        )


def _close_up_handle(place: str) -> Patch:
    return Patch(facecolor="none", label=f"{place}: close-up on its own map", **CLOSE_UP_STYLE)


def _close_up_furniture(ax: Axes, findings: gpd.GeoDataFrame) -> None:
    """The scale bar and north arrow inside the map, where the fewest findings are."""
    scale_corner, arrow_corner = furniture_corners(
        corner_coverage(ax, findings)
        if not findings.empty
        else dict.fromkeys(("lower left", "lower right", "upper left", "upper right"), 0.0)
    )
    add_scale_bar(ax, loc=scale_corner)
    add_north_arrow(ax, loc=arrow_corner)


def _measure(ax: Axes, renderer: RendererBase, text: Text) -> tuple[float, float]:
    extent = text.get_window_extent(renderer)
    return extent.width, extent.height


def map_label(ax: Axes, point: tuple[float, float], text: str, colour: str) -> Text:
    """A place's name centred on ``point`` (data coordinates), in ``colour`` on a white backing.

    Over the map's fills and lines, for :func:`place_labels` to move beside its place.
    """
    return ax.text(
        point[0],
        point[1],
        text,
        ha="center",
        va="center",
        fontsize=FONT_SIZES["annotation"],
        color=colour,
        zorder=9,
        gid="map-label",
        bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85},
    )


def place_labels(
    ax: Axes,
    texts: Sequence[Text],
    anchors: Sequence[tuple[float, float]],
    *,
    reach_pt: float,
    avoid: Sequence[tuple[float, float, float, float]] = (),
    leader_colour: str | None = None,
) -> None:
    """Move each text (in priority order) to a free spot near its anchor, or drop it.

    ``anchors`` are data coordinates; ``avoid`` are bounds, in data coordinates, of what the
    labels must leave visible (the features they name), as well as the map's furniture and
    one another. A text placed more than its own height from its anchor is tied back to it by
    a thin leader line in ``leader_colour`` (none where it is None), from the anchor to the
    edge of the text's box: beside a crowd of features, a name away from its feature
    otherwise reads as the name of whatever it sits next to. Call it once the layout is
    frozen (:func:`~clustergeo.publish.plotting.freeze_layout`), so the boxes stay put.
    """
    if not texts:
        return
    fig = ax.get_figure(root=True)
    assert isinstance(fig, Figure)
    renderer = figure_renderer(fig)
    scale = fig.dpi / 72
    sizes = [_measure(ax, renderer, t) for t in texts]
    display = [tuple(p) for p in ax.transData.transform(np.asarray(anchors).reshape(-1, 2))]
    features = []
    for xmin, ymin, xmax, ymax in avoid:
        (x0, y0), (x1, y1) = ax.transData.transform(np.array([[xmin, ymin], [xmax, ymax]]))
        features.append(Box(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)))
    spots = place_boxes(
        display,
        sizes,
        frame=_frame(ax, renderer),
        obstacles=[*_furniture_boxes(ax, renderer), *features],
        gap=2 * scale,
        step=6 * scale,
        max_distance=reach_pt * scale,
    )
    _set_at_spots(ax, texts, display, sizes, spots, leader_colour=leader_colour)


def plot_site_inset(
    site: pd.Series,
    areas: gpd.GeoDataFrame,
    findings: gpd.GeoDataFrame,
    *,
    colours: Mapping[str, str],
    labels: Mapping[str, str],
    title: str,
    subtitle: str | None = None,
    boundaries: Mapping[str, gpd.GeoDataFrame] | None = None,
    attribution: str = ORDNANCE_SURVEY_ATTRIBUTION,
    source: str | None = None,
    margin_km: float = 3.0,
) -> tuple[Figure, Axes]:
    """One anchor site close up: footprint, the districts it touches, nearby findings.

    Parameters
    ----------
    site
        A row of the governance stage's site table (footprint ``geometry``, ``x``, ``y``,
        ``name``).
    areas
        Small areas with ``district_name`` (names are written on the districts in view, where
        they fit clear of the site's label and the furniture).
    findings
        Finding polygons (``industry_code``, ``name``); those in view are drawn.
    colours, labels
        Each industry's fixed colour and name.
    margin_km
        How far beyond the footprint the map reaches.
    """
    footprint = site["geometry"]
    xmin, ymin, xmax, ymax = footprint.buffer(margin_km * 1000).bounds
    view = (xmin, ymin, xmax, ymax)
    in_view = areas.cx[xmin:xmax, ymin:ymax]
    near = findings.cx[xmin:xmax, ymin:ymax] if not findings.empty else findings
    clipped = {tier: frame.cx[xmin:xmax, ymin:ymax] for tier, frame in (boundaries or {}).items()}
    tiers = drawn_tiers(clipped)
    # The close-up is about an eighth of the full map's extent: simplify to its own scale.
    geometry = geometry_for_map(in_view, clipped)
    with house_style():
        size = REPORT_WIDTH_CM / 2.54 * 0.62
        fig, ax = plt.subplots(figsize=(size + 2.8, size + 0.9), layout="constrained")
        frame_map(ax, view, margin=0.0)
        set_title(ax, title, subtitle)
        present = [c for c in colours if c in set(near["industry_code"].astype(str))]
        handles: list[Patch | Line2D] = [
            Patch(
                facecolor=colours[c], edgecolor=colours[c], alpha=FILL_ALPHA, label=_wrap(labels[c])
            )
            for c in present
        ]
        handles += _kind_handles(set(near.get("kind", pd.Series(dtype=str))), False)
        _legend(
            ax,
            [*handles, *boundary_handles(tiers, clipped), *_site_handles(lettered=False)],
            "Around the site",
        )
        # The close-up is all land: the scale bar and the arrow go where the fewest findings
        # are, so they hide none of what the map is about.
        _close_up_furniture(ax, near)
        add_attribution(
            ax,
            attribution,
            crs_note=crs_note(areas),
            source=source,
            # Right-aligned under the square map: no wider than the map.
            width_pt=size * 72 - 12,
        )
        freeze_layout(fig)
        ax.add_collection(
            coverage_collection(
                geometry.areas, facecolors=BASE_FILL, edgecolors="#d6d2c8", linewidths=0.3
            ),
            autolim=False,
        )
        _draw_findings(ax, near, colours, None)
        draw_outlines(ax, geometry, tiers, above=_FINDING_LINE_Z)
        frame = gpd.GeoDataFrame([site], geometry="geometry", crs=areas.crs)
        _draw_sites(ax, frame)
        _label_site_and_districts(ax, site, in_view, view)
    return fig, ax


def _label_site_and_districts(
    ax: Axes, site: pd.Series, areas: gpd.GeoDataFrame, view: Sequence[float]
) -> None:
    """The site's name beside its marker, then each district's name inside its part of the view.

    Districts are named largest part first; a name that fits nowhere clear of the others, the
    site and the furniture is left off (the subtitle lists the districts the site touches).
    """
    fig = ax.get_figure(root=True)
    assert isinstance(fig, Figure)
    marker = 7.0
    site_text = map_label(
        ax,
        (float(site["x"]), float(site["y"])),
        wrap_text(str(site["name"]), FONT_SIZES["annotation"], 110),
        _SITE_COLOUR,
    )
    names, points = _district_names(
        ax, areas, view, size_pt=FONT_SIZES["annotation"], width_pt=90, zorder=6.5, gid="map-label"
    )
    texts = [site_text, *names]
    anchors = [(float(site["x"]), float(site["y"])), *points]
    # The marker itself is an obstacle: the site's name goes beside it, not over it.
    renderer = figure_renderer(fig)
    scale = fig.dpi / 72
    sx, sy = ax.transData.transform(np.array([[site["x"], site["y"]]]))[0]
    marker_box = Box.around(sx, sy, marker * scale, marker * scale)
    width, height = _measure(ax, renderer, site_text)
    frame = _frame(ax, renderer)
    furniture = _furniture_boxes(ax, renderer)
    (spot,) = place_boxes(
        [(sx, sy)],
        [(width, height)],
        frame=frame,
        obstacles=[*furniture, marker_box],
        gap=2 * scale,
        step=4 * scale,
    )
    taken = [*furniture, marker_box]
    to_data = ax.transData.inverted().transform
    if spot is None:
        site_text.remove()
    else:
        site_text.set_position(tuple(to_data(np.array([spot]))[0]))
        taken.append(Box.around(spot[0], spot[1], width / 2, height / 2))
    districts = texts[1:]
    if districts:
        sizes = [_measure(ax, renderer, t) for t in districts]
        display = [tuple(p) for p in ax.transData.transform(np.asarray(anchors[1:]))]
        spots = place_boxes(
            display,
            sizes,
            frame=frame,
            obstacles=taken,
            gap=2 * scale,
            step=5 * scale,
            max_distance=60 * scale,
        )
        for text, place in zip(districts, spots, strict=True):
            if place is None:
                text.remove()
            else:
                text.set_position(tuple(to_data(np.array([place]))[0]))


@dataclass(frozen=True)
class Panel:
    """One panel of a small-multiples figure: its title and how to draw its content."""

    title: str
    draw: Callable[[Axes], None]


def small_multiple_columns(panels: int) -> int:
    """How many panels a row of small multiples holds: three, or two for up to four panels."""
    return 3 if panels > 4 else 2 if panels > 1 else 1


def plot_small_multiples(
    areas: gpd.GeoDataFrame,
    panels: Sequence[Panel],
    *,
    handles: list[Patch | Line2D],
    title: str,
    subtitle: str | None = None,
    boundaries: Mapping[str, gpd.GeoDataFrame] | None = None,
    attribution: str = ORDNANCE_SURVEY_ATTRIBUTION,
    source: str | None = None,
    geometry: MapGeometry | None = None,
) -> tuple[Figure, list[Axes]]:
    """Maps of the study area side by side, one per panel, with one legend and one furniture.

    Each panel's drawing function draws its content; county and combined-authority outlines
    and the study outline go over it (district outlines would clutter maps this small). The
    caption (subtitle, source, attribution, projection) is wrapped to the page under the
    legend, so none of it is cut off.
    """
    overlays = {k: v for k, v in (boundaries or {}).items() if k != "district" and len(v)}
    tiers = [t for t in BOUNDARY_STYLES if t in overlays]
    if geometry is None:
        geometry = prepare_map_geometry(areas, overlays)
    n = len(panels)
    ncols = small_multiple_columns(n)
    nrows = math.ceil(n / ncols)
    x0, y0, x1, y1 = geometry.bounds
    aspect = (y1 - y0) / max(x1 - x0, 1.0)
    width = REPORT_WIDTH_CM / 2.54
    panel_height = width / ncols * aspect
    size = FONT_SIZES["attribution"]
    note = f"{subtitle}\n" if subtitle else ""
    caption_parts = [note + (source or ""), attribution, f"Projection: {crs_note(areas)}"]
    caption = wrap_text("\n".join(p for p in caption_parts if p), size, width * 72 - 30)
    caption_height = (caption.count("\n") + 1) * size * 1.3 / 72 + 0.1
    legend_rows = math.ceil((len(handles) + len(tiers) + 1) / 3)
    legend_height = legend_rows * FONT_SIZES["annotation"] * 1.6 / 72 + 0.15
    with house_style():
        fig = plt.figure(
            figsize=(width, min(panel_height * nrows + 0.9, 8.0) + legend_height + caption_height),
            layout="constrained",
        )
        grid = fig.add_gridspec(
            nrows + 2,
            ncols,
            height_ratios=[panel_height] * nrows + [legend_height, caption_height],
        )
        axes = [fig.add_subplot(grid[i // ncols, i % ncols]) for i in range(nrows * ncols)]
        legend_ax = fig.add_subplot(grid[nrows, :])
        legend_ax.set_axis_off()
        caption_ax = fig.add_subplot(grid[nrows + 1, :])
        caption_ax.set_axis_off()
        for ax, panel in zip(axes, panels, strict=False):
            frame_map(ax, geometry.bounds)
            ax.set_title(
                wrap_text(
                    panel.title, FONT_SIZES["legend_title"], width * 72 / ncols - 12, weight="bold"
                ),
                fontsize=FONT_SIZES["legend_title"],
                loc="left",
            )
        for ax in axes[n:]:
            ax.set_axis_off()
        fig.suptitle(
            wrap_text(title, FONT_SIZES["title"], width * 72 - 24, weight="bold"),
            x=0.01,
            ha="left",
            fontsize=FONT_SIZES["title"],
            fontweight="bold",
        )
        outline = study_outline_handle()
        legend_ax.legend(
            handles=[*handles, *boundary_handles(tiers, overlays), outline],
            loc="upper center",
            ncols=3,
            fontsize=FONT_SIZES["annotation"],
            frameon=False,
        )
        caption_ax.text(
            0.0,
            1.0,
            caption,
            transform=caption_ax.transAxes,
            ha="left",
            va="top",
            fontsize=size,
            color="#555555",
            gid="footer",
            linespacing=1.3,
        )
        # In the emptiest corner of their panel (the last's for the bar, the first's for the
        # arrow), lower for the bar and upper for the arrow where corners are alike.
        scale = corner_coverage(axes[n - 1], areas)
        add_scale_bar(
            axes[n - 1], loc=min(scale, key=lambda c: (scale[c], not c.startswith("lower")))
        )
        arrow = corner_coverage(axes[0], areas)
        add_north_arrow(
            axes[0], loc=min(arrow, key=lambda c: (arrow[c], not c.startswith("upper")))
        )
        freeze_layout(fig)
        for ax, panel in zip(axes, panels, strict=False):
            panel.draw(ax)
            draw_outlines(ax, geometry, tiers, study_outline=True)
    return fig, axes[:n]
