"""Maps of clusters, anchor sites and hot spots across industries, in the house style.

Three figures for reports, each with title, legend, scale bar, north arrow, attribution and
projection note, in British National Grid:

* :func:`plot_cluster_map` — every cluster over the study area, coloured by industry and
  numbered (the legend names each number), with district, county and combined-authority
  boundaries and the anchor sites;
* :func:`plot_site_inset` — one anchor site's footprint close up: the authorities it
  touches, named on the map, and the clusters around it;
* :func:`plot_hotspot_small_multiples` — the hot-spot map of every cluster definition side by
  side, sharing one legend, so industries compare at a glance;
* :func:`plot_maup_comparison` — per industry, the clusters found on the areas over those
  found on the employment grid, to see which survive a change of units.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Callable, Mapping, Sequence

import geopandas as gpd
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from shapely.geometry.base import BaseGeometry

from clustergeo.publish.plotting import (
    BOUNDARY_STYLES,
    FONT_SIZES,
    HOTSPOT_CLASS_COLOURS,
    HOTSPOT_CLASS_LABELS,
    HOTSPOT_CLASSES,
    REPORT_WIDTH_CM,
    add_attribution,
    add_map_furniture,
    add_north_arrow,
    add_scale_bar,
    boundary_handles,
    cluster_colours,
    crs_note,
    default_figsize,
    frame_map,
    house_style,
    set_title,
)
from clustergeo.vocab import ORDNANCE_SURVEY_ATTRIBUTION

__all__ = [
    "plot_cluster_map",
    "plot_hotspot_small_multiples",
    "plot_maup_comparison",
    "plot_site_inset",
]

_BASE_FILL = "#f2f0eb"
_BASE_EDGE = "#ffffff"
_SITE_COLOUR = "#222222"
_KEY_WRAP = 42
_MAX_NUMBERED = 20


def _wrap(label: str) -> str:
    return textwrap.fill(label, 24)


def _draw_boundaries(ax: Axes, boundaries: Mapping[str, gpd.GeoDataFrame]) -> list[str]:
    """Draw authority outlines (lowest tier first); return the tiers drawn."""
    tiers = [t for t in BOUNDARY_STYLES if t in boundaries and len(boundaries[t])]
    for zorder, tier in enumerate(tiers, start=3):
        style = dict(BOUNDARY_STYLES[tier])
        style.pop("label")
        boundaries[tier].boundary.plot(ax=ax, zorder=zorder, **style)
    return tiers


def _site_handles() -> list[Patch | Line2D]:
    return [
        Line2D(
            [],
            [],
            marker="*",
            markersize=9,
            color=_SITE_COLOUR,
            markeredgecolor="white",
            linestyle="none",
            label="Anchor site",
        ),
        Line2D(
            [], [], color=_SITE_COLOUR, linewidth=0.8, linestyle=(0, (3, 2)), label="Its footprint"
        ),
    ]


def _draw_sites(ax: Axes, sites: gpd.GeoDataFrame | None, *, label: bool) -> None:
    if sites is None or sites.empty:
        return
    sites.boundary.plot(ax=ax, color=_SITE_COLOUR, linewidth=0.8, linestyle=(0, (3, 2)), zorder=7)
    ax.scatter(
        sites["x"],
        sites["y"],
        marker="*",
        s=90,
        color=_SITE_COLOUR,
        edgecolors="white",
        linewidths=0.5,
        zorder=8,
    )
    if label:
        for row in sites.itertuples():
            ax.annotate(
                textwrap.fill(str(row.name), 22),
                (row.x, row.y),
                xytext=(5, 5),
                textcoords="offset points",
                fontsize=FONT_SIZES["annotation"],
                color=_SITE_COLOUR,
                zorder=9,
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8},
            )


def plot_cluster_map(
    areas: gpd.GeoDataFrame,
    clusters: gpd.GeoDataFrame,
    *,
    title: str,
    subtitle: str | None = None,
    boundaries: Mapping[str, gpd.GeoDataFrame] | None = None,
    sites: gpd.GeoDataFrame | None = None,
    attribution: str = ORDNANCE_SURVEY_ATTRIBUTION,
) -> tuple[Figure, Axes]:
    """Every cluster over the study area, coloured by industry and numbered.

    Parameters
    ----------
    areas
        The study area's small areas (drawn as a light base).
    clusters
        Cluster polygons with ``label`` (industry) and ``name``; numbered in their order (put
        the most important first), up to 20 numbers, named in a key under the map.
    title, subtitle, boundaries, attribution
        As for :func:`clustergeo.publish.plotting.plot_lq_choropleth`.
    sites
        Anchor-site footprints with their point in ``x``, ``y``, or None.
    """
    colours = cluster_colours(clusters["label"].astype(str))
    with house_style():
        numbered = clusters.head(_MAX_NUMBERED).reset_index(drop=True)
        key_columns = _key_columns(numbered["name"].astype(str).tolist())
        width, height = default_figsize(areas)
        key_height = _key_height(max(key_columns, key=len))
        fig = plt.figure(figsize=(width, min(height + key_height, 11.0)), layout="constrained")
        # The numbered key gets a row of its own under the map, in two columns.
        grid = fig.add_gridspec(2, 1, height_ratios=[height, max(key_height, 0.01)])
        ax = fig.add_subplot(grid[0])
        key_ax = fig.add_subplot(grid[1])
        key_ax.set_axis_off()
        areas.plot(ax=ax, color=_BASE_FILL, edgecolor=_BASE_EDGE, linewidth=0.2)
        tiers = _draw_boundaries(ax, boundaries or {})
        if not clusters.empty:
            clusters.plot(
                ax=ax,
                color=[colours[str(v)] for v in clusters["label"]],
                alpha=0.45,
                edgecolor="none",
                zorder=5,
            )
            clusters.boundary.plot(
                ax=ax, color=[colours[str(v)] for v in clusters["label"]], linewidth=1.2, zorder=6
            )
        for number, row in enumerate(numbered.itertuples(), start=1):
            # The number stands beside its cluster, on a short leader, so small clusters show.
            point = row.geometry.representative_point()
            ax.annotate(
                str(number),
                (point.x, point.y),
                xytext=(9, 9),
                textcoords="offset points",
                ha="center",
                va="center",
                fontsize=FONT_SIZES["annotation"],
                fontweight="bold",
                color="#111111",
                zorder=9,
                bbox={"boxstyle": "circle,pad=0.2", "fc": "white", "ec": "#333333", "lw": 0.5},
                arrowprops={"arrowstyle": "-", "color": "#333333", "lw": 0.5, "shrinkA": 0},
            )
        _draw_sites(ax, sites, label=False)
        frame_map(ax, areas.total_bounds)
        set_title(ax, title, subtitle)
        industry_handles: list[Patch | Line2D] = [
            Patch(facecolor=colour, edgecolor=colour, alpha=0.6, label=_wrap(label))
            for label, colour in colours.items()
        ]
        extra = _site_handles() if sites is not None and len(sites) else []
        ax.legend(
            handles=[*industry_handles, *boundary_handles(tiers), *extra],
            title="Clusters by industry",
            loc="upper left",
            bbox_to_anchor=(1.02, 1.0),
            borderaxespad=0.0,
            alignment="left",
            title_fontproperties={"weight": "bold", "size": FONT_SIZES["legend_title"]},
        )
        for column, lines in enumerate(key_columns):
            key_ax.text(
                0.5 * column,
                1.0,
                "\n".join(lines),
                transform=key_ax.transAxes,
                ha="left",
                va="top",
                fontsize=FONT_SIZES["annotation"],
                color="#222222",
            )
        if len(clusters) > len(numbered):
            key_ax.set_title(
                f"The {len(numbered)} largest of {len(clusters)} clusters are numbered; "
                "all are in the GeoPackage.",
                fontsize=FONT_SIZES["annotation"],
                fontweight="normal",
                loc="left",
            )
        add_map_furniture(ax, areas)
        add_attribution(ax, attribution, crs_note=crs_note(areas))
    return fig, ax


def _key_columns(names: Sequence[str]) -> tuple[list[str], list[str]]:
    """'1  Name' entries wrapped to half the page width, split into two balanced columns.

    An entry is never split between the columns.
    """
    entries = [
        textwrap.wrap(f"{number:>2}  {name}", _KEY_WRAP, subsequent_indent="      ")
        for number, name in enumerate(names, start=1)
    ]
    total = sum(len(entry) for entry in entries)
    left: list[str] = []
    split = len(entries)
    for index, entry in enumerate(entries):
        if len(left) >= total / 2:
            split = index
            break
        left += entry
    right = [line for entry in entries[split:] for line in entry]
    return left, right


def _key_height(lines: Sequence[str]) -> float:
    """Inches the key's longer column needs (7 pt text, line spacing 1.2, and its heading)."""
    if not lines:
        return 0.3
    return len(lines) * FONT_SIZES["annotation"] * 1.2 / 72 + 0.45


def plot_site_inset(
    site: pd.Series,
    areas: gpd.GeoDataFrame,
    clusters: gpd.GeoDataFrame,
    *,
    title: str,
    subtitle: str | None = None,
    boundaries: Mapping[str, gpd.GeoDataFrame] | None = None,
    attribution: str = ORDNANCE_SURVEY_ATTRIBUTION,
    margin_km: float = 3.0,
) -> tuple[Figure, Axes]:
    """One anchor site close up: footprint, the authorities it touches, nearby clusters.

    Parameters
    ----------
    site
        A row of the governance stage's site table (footprint ``geometry``, ``x``, ``y``,
        ``name``).
    areas
        Small areas with ``district_name`` (names are written on the districts in view).
    clusters
        Cluster polygons (``label``, ``name``); those in view are drawn.
    margin_km
        How far beyond the footprint the map reaches.
    """
    footprint = site["geometry"]
    xmin, ymin, xmax, ymax = footprint.buffer(margin_km * 1000).bounds
    view = (xmin, ymin, xmax, ymax)
    in_view = areas.cx[xmin:xmax, ymin:ymax]
    near = clusters.cx[xmin:xmax, ymin:ymax] if not clusters.empty else clusters
    colours = cluster_colours(clusters["label"].astype(str)) if not clusters.empty else {}
    with house_style():
        size = REPORT_WIDTH_CM / 2.54 * 0.62
        fig, ax = plt.subplots(figsize=(size + 2.8, size + 0.6), layout="constrained")
        in_view.plot(ax=ax, color=_BASE_FILL, edgecolor="#d6d2c8", linewidth=0.3)
        if not near.empty:
            near.plot(
                ax=ax,
                color=[colours[str(v)] for v in near["label"]],
                alpha=0.45,
                edgecolor=[colours[str(v)] for v in near["label"]],
                linewidth=1.2,
                zorder=5,
            )
        clipped = {
            tier: frame.cx[xmin:xmax, ymin:ymax] for tier, frame in (boundaries or {}).items()
        }
        tiers = _draw_boundaries(ax, clipped)
        _label_districts(ax, in_view, view, avoid=footprint.buffer(300))
        _draw_sites(ax, gpd.GeoDataFrame([site], geometry="geometry", crs=areas.crs), label=True)
        frame_map(ax, view, margin=0.0)
        set_title(ax, title, subtitle)
        handles: list[Patch | Line2D] = [
            Patch(facecolor=colours[label], edgecolor=colours[label], alpha=0.6, label=_wrap(label))
            for label in sorted(set(near["label"].astype(str)))
        ]
        ax.legend(
            handles=[*handles, *boundary_handles(tiers), *_site_handles()],
            loc="upper left",
            bbox_to_anchor=(1.02, 1.0),
            borderaxespad=0.0,
            title="Around the site",
            alignment="left",
            title_fontproperties={"weight": "bold", "size": FONT_SIZES["legend_title"]},
        )
        add_scale_bar(ax, loc="lower left")
        add_north_arrow(ax, loc="upper right")
        add_attribution(ax, attribution, crs_note=crs_note(areas))
    return fig, ax


def _label_districts(
    ax: Axes, areas: gpd.GeoDataFrame, view: Sequence[float], *, avoid: BaseGeometry
) -> None:
    """Write each district's name inside its part of the view, away from ``avoid``."""
    if "district_name" not in areas or areas.empty:
        return
    xmin, ymin, xmax, ymax = view
    frame = areas[["district_name", "geometry"]].dissolve(by="district_name")
    clipped = frame.clip((xmin, ymin, xmax, ymax))
    for name, shape in clipped.geometry.items():
        if shape.is_empty:
            continue
        # Keep the name off the site's own label where the district leaves room for it.
        room = shape.difference(avoid)
        point = (room if not room.is_empty else shape).representative_point()
        ax.annotate(
            textwrap.fill(str(name), 18),
            (point.x, point.y),
            ha="center",
            va="center",
            fontsize=FONT_SIZES["annotation"],
            fontstyle="italic",
            color="#444444",
            zorder=4,
        )


def _small_multiples(
    areas: gpd.GeoDataFrame,
    panels: Mapping[str, Callable[[Axes], None]],
    *,
    handles: list[Patch | Line2D],
    title: str,
    subtitle: str | None,
    boundaries: Mapping[str, gpd.GeoDataFrame] | None,
    attribution: str,
) -> tuple[Figure, list[Axes]]:
    """Maps of the study area side by side, one per panel, with one legend and one furniture.

    Each panel's drawing function draws its content; county and combined-authority outlines
    go over it (district outlines would clutter maps this small).
    """
    n = len(panels)
    ncols = 3 if n > 4 else 2 if n > 1 else 1
    nrows = math.ceil(n / ncols)
    x0, y0, x1, y1 = areas.total_bounds
    aspect = (y1 - y0) / max(x1 - x0, 1.0)
    width = REPORT_WIDTH_CM / 2.54
    panel_height = width / ncols * aspect
    with house_style():
        fig = plt.figure(
            figsize=(width, min(panel_height * nrows + 2.2, 9.5)), layout="constrained"
        )
        # A last row for the shared legend keeps it clear of the title and the maps.
        grid = fig.add_gridspec(nrows + 1, ncols, height_ratios=[1.0] * nrows + [0.3])
        axes = [fig.add_subplot(grid[i // ncols, i % ncols]) for i in range(nrows * ncols)]
        legend_ax = fig.add_subplot(grid[nrows, :])
        legend_ax.set_axis_off()
        tiers: list[str] = []
        overlays = {k: v for k, v in (boundaries or {}).items() if k != "district"}
        for ax, (panel, draw) in zip(axes, panels.items(), strict=False):
            draw(ax)
            tiers = _draw_boundaries(ax, overlays)
            frame_map(ax, areas.total_bounds)
            ax.set_title(textwrap.fill(panel, 34), fontsize=FONT_SIZES["legend_title"], loc="left")
        for ax in axes[n:]:
            ax.set_axis_off()
        fig.suptitle(title, x=0.01, ha="left", fontsize=FONT_SIZES["title"], fontweight="bold")
        legend_ax.legend(
            handles=[*handles, *boundary_handles(tiers)],
            loc="center",
            ncols=3,
            fontsize=FONT_SIZES["annotation"],
            frameon=False,
        )
        add_scale_bar(axes[n - 1], loc="lower left")
        add_north_arrow(axes[0], loc="upper right")
        note = f"{subtitle} " if subtitle else ""
        # A figure-level label: constrained layout keeps it clear of the maps and legend.
        fig.supxlabel(
            f"{note}{attribution}. Projection: {crs_note(areas)}",
            x=0.99,
            ha="right",
            fontsize=FONT_SIZES["attribution"],
            color="#555555",
        )
    return fig, axes[:n]


def plot_hotspot_small_multiples(
    areas: gpd.GeoDataFrame,
    columns: Mapping[str, str],
    *,
    title: str,
    subtitle: str | None = None,
    boundaries: Mapping[str, gpd.GeoDataFrame] | None = None,
    attribution: str = ORDNANCE_SURVEY_ATTRIBUTION,
) -> tuple[Figure, list[Axes]]:
    """Hot-spot maps of several industries side by side, sharing one legend.

    Parameters
    ----------
    areas
        Polygons with one hot-spot class column per industry.
    columns
        Panel title → class column, in panel order.
    """

    def draw(column: str) -> Callable[[Axes], None]:
        def _draw(ax: Axes) -> None:
            classes = areas[column].astype("string").fillna("")
            colours = [HOTSPOT_CLASS_COLOURS.get(c, "#ffffff") for c in classes]
            areas.plot(ax=ax, color=colours, edgecolor="none", linewidth=0)

        return _draw

    handles: list[Patch | Line2D] = [
        Patch(
            facecolor=HOTSPOT_CLASS_COLOURS[c],
            edgecolor="#bdbdbd",
            lw=0.3,
            label=HOTSPOT_CLASS_LABELS[c],
        )
        for c in HOTSPOT_CLASSES
    ]
    return _small_multiples(
        areas,
        {panel: draw(column) for panel, column in columns.items()},
        handles=handles,
        title=title,
        subtitle=subtitle,
        boundaries=boundaries,
        attribution=attribution,
    )


_GRID_FILL = "#f28e2b"
_AREA_OUTLINE = "#1f3a5f"


def plot_maup_comparison(
    areas: gpd.GeoDataFrame,
    area_clusters: gpd.GeoDataFrame,
    grid_clusters: gpd.GeoDataFrame,
    labels: Mapping[str, str],
    *,
    title: str,
    subtitle: str | None = None,
    boundaries: Mapping[str, gpd.GeoDataFrame] | None = None,
    attribution: str = ORDNANCE_SURVEY_ATTRIBUTION,
) -> tuple[Figure, list[Axes]]:
    """Area clusters (outlines) over grid clusters (filled), one panel per industry.

    Parameters
    ----------
    labels
        Industry code → panel title, in panel order.
    """

    def draw(code: str) -> Callable[[Axes], None]:
        def _draw(ax: Axes) -> None:
            areas.plot(ax=ax, color=_BASE_FILL, edgecolor="none")
            grid = grid_clusters.loc[grid_clusters["industry_code"] == code]
            if not grid.empty:
                grid.plot(ax=ax, color=_GRID_FILL, alpha=0.75, edgecolor="none", zorder=5)
            mine = area_clusters.loc[area_clusters["industry_code"] == code]
            if not mine.empty:
                mine.boundary.plot(ax=ax, color=_AREA_OUTLINE, linewidth=0.9, zorder=6)

        return _draw

    handles: list[Patch | Line2D] = [
        Patch(facecolor=_GRID_FILL, alpha=0.75, label="Cluster on the employment grid"),
        Line2D([], [], color=_AREA_OUTLINE, linewidth=0.9, label="Cluster on the areas"),
    ]
    return _small_multiples(
        areas,
        {label: draw(code) for code, label in labels.items()},
        handles=handles,
        title=title,
        subtitle=subtitle,
        boundaries=boundaries,
        attribution=attribution,
    )
