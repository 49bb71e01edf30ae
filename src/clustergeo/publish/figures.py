"""Every static map of a run, drawn from its layers and framing, saved into one folder.

The maps: one hot-spot map and one LQ map per cluster definition, the cluster map, a close-up
of each anchor site in the study area, the hot spots of every definition side by side, and
(with an employment grid) the clusters on the areas against those on the grid. Every map
carries the run's title, data source and attribution from its :class:`Framing`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from clustergeo._console import progress
from clustergeo.publish.cluster_maps import (
    plot_cluster_map,
    plot_hotspot_small_multiples,
    plot_maup_comparison,
    plot_site_inset,
)
from clustergeo.publish.framing import ClusterRule, Framing, HotspotMethod
from clustergeo.publish.plotting import plot_hotspot_map, plot_lq_choropleth, save_figure
from clustergeo.vocab import CA_STATUS_WORDS, TIERS

__all__ = ["draw_figures", "map_boundaries", "site_flags_text"]

Layers = Mapping[str, gpd.GeoDataFrame | pd.DataFrame]


def draw_figures(
    layers: Layers,
    *,
    areas: gpd.GeoDataFrame,
    definitions: Sequence[tuple[str, str]],
    framing: Framing,
    hotspot_method: HotspotMethod,
    cluster_rule: ClusterRule,
    grid_cell_m: float | None,
    folder: Path,
) -> list[Path]:
    """Draw and save every map of the run; return the files written.

    ``areas`` are the study area's areas; ``definitions`` the cluster definitions'
    ``(key, label)``, in the order to draw them.
    """
    boundaries = map_boundaries(layers)
    written = _hotspot_figures(
        layers,
        definitions=definitions,
        framing=framing,
        method=hotspot_method,
        boundaries=boundaries,
        folder=folder,
    )
    written += _cluster_figures(
        layers,
        areas=areas,
        definitions=definitions,
        framing=framing,
        rule=cluster_rule,
        grid_cell_m=grid_cell_m,
        boundaries=boundaries,
        folder=folder,
    )
    written += _lq_figures(layers, definitions, framing, boundaries, folder)
    return written


def map_boundaries(layers: Layers) -> dict[str, gpd.GeoDataFrame]:
    """Authority outlines drawn on every map.

    Regions are left off: at this scale their outline only repeats the study area's.
    """
    return {
        tier: frame
        for tier in TIERS
        if tier != "region" and isinstance(frame := layers.get(tier), gpd.GeoDataFrame)
    }


def _map(framing: Framing, heading: str, boundaries: dict[str, gpd.GeoDataFrame]) -> dict[str, Any]:
    return {
        "title": framing.heading(heading),
        "attribution": framing.attribution,
        "boundaries": boundaries,
    }


def _lq_figures(
    layers: Layers,
    definitions: Sequence[tuple[str, str]],
    framing: Framing,
    boundaries: dict[str, gpd.GeoDataFrame],
    folder: Path,
) -> list[Path]:
    areas_lq = layers["areas_lq"]
    assert isinstance(areas_lq, gpd.GeoDataFrame)
    written = []
    for key, label in progress(definitions, "LQ maps"):
        fig, _ax = plot_lq_choropleth(
            areas_lq,
            f"{key}_lq",
            subtitle=framing.lq_subtitle,
            unreliable_column=f"{key}_unreliable",
            **_map(framing, f"{label}: location quotient", boundaries),
        )
        written.extend(save_figure(fig, folder / f"lq_{key}"))
    return written


def _cluster_figures(
    layers: Layers,
    *,
    areas: gpd.GeoDataFrame,
    definitions: Sequence[tuple[str, str]],
    framing: Framing,
    rule: ClusterRule,
    grid_cell_m: float | None,
    boundaries: dict[str, gpd.GeoDataFrame],
    folder: Path,
) -> list[Path]:
    """The cluster map, one close-up per anchor site in the study area, hot spots side by side."""
    clusters = layers["clusters"]
    hotspot_areas = layers["hotspots_areas"]
    assert isinstance(clusters, gpd.GeoDataFrame)
    assert isinstance(hotspot_areas, gpd.GeoDataFrame)
    sites = layers.get("site_footprints")
    inside = None
    if isinstance(sites, gpd.GeoDataFrame):
        inside = sites.loc[sites["status"] != "outside_study_area"]
    ranked = clusters.sort_values(["employment", "cluster_id"], ascending=[False, True])
    written = []
    fig, _ax = plot_cluster_map(
        areas,
        ranked,
        subtitle=(
            "Clusters: neighbouring Gi* hot spots (FDR-controlled, p ≤ "
            f"{rule.significance:g}), cores of own LQ at least {rule.min_lq:g}, "
            f"employing at least {rule.min_employment:,.0f}; and concentrations, single "
            "specialised places. Numbered by employment."
        ),
        sites=inside,
        **_map(framing, "Industrial clusters and the authorities they fall in", boundaries),
    )
    written.extend(save_figure(fig, folder / "clusters"))
    if inside is not None:
        for _index, site in progress(list(inside.iterrows()), "Site maps"):
            fig, _ax = plot_site_inset(
                site,
                areas,
                clusters,
                subtitle=f"{site['buffer_km']:g} km footprint. {site_flags_text(site)}",
                **_map(framing, str(site["name"]), boundaries),
            )
            written.extend(save_figure(fig, folder / f"site_{site['site_key']}"))
    if definitions:
        fig, _axes = plot_hotspot_small_multiples(
            hotspot_areas,
            {label: f"{key}_hotspot" for key, label in definitions},
            title=framing.heading("Hot spots across industries"),
            subtitle="Getis-Ord Gi*, false discovery rate controlled (Benjamini-Hochberg).",
            boundaries=boundaries,
            attribution=framing.attribution,
        )
        written.extend(save_figure(fig, folder / "hotspots_all"))
    grid = layers.get("grid_clusters")
    if isinstance(grid, gpd.GeoDataFrame) and definitions:
        fig, _axes = plot_maup_comparison(
            areas,
            clusters,
            grid,
            dict(definitions),
            title=framing.heading("Clusters on the areas and on the employment grid"),
            subtitle=f"Grid of {grid_cell_m:g} m cells." if grid_cell_m else None,
            boundaries=boundaries,
            attribution=framing.attribution,
        )
        written.extend(save_figure(fig, folder / "maup"))
    return written


def site_flags_text(site: pd.Series) -> str:
    """The site's governance in a line: districts, counties, combined-authority status."""
    parts = []
    if isinstance(site.get("districts"), str) and site["districts"]:
        parts.append(f"Districts: {site['districts'].replace('; ', ', ')}.")
    if site.get("straddles_counties") is True or site.get("straddles_counties") == 1:
        parts.append("Straddles counties.")
    status = CA_STATUS_WORDS.get(str(site.get("ca_status")), "")
    if status:
        parts.append(f"{status.capitalize()}.")
    return " ".join(parts)


def _hotspot_figures(
    layers: Layers,
    *,
    definitions: Sequence[tuple[str, str]],
    framing: Framing,
    method: HotspotMethod,
    boundaries: dict[str, gpd.GeoDataFrame],
    folder: Path,
) -> list[Path]:
    hotspot_areas = layers["hotspots_areas"]
    assert isinstance(hotspot_areas, gpd.GeoDataFrame)
    written = []
    for key, label in progress(definitions, "Hot-spot maps"):
        fig, _ax = plot_hotspot_map(
            hotspot_areas,
            f"{key}_hotspot",
            subtitle=method.subtitle,
            **_map(framing, f"{label}: hot and cold spots", boundaries),
        )
        written.extend(save_figure(fig, folder / f"hotspots_{key}"))
    return written
