"""The run report: key findings first, then method, findings, authorities, maps and caveats.

After the key findings come the data and method, the findings and who governs them, the maps,
a glossary, the limitations and the provenance. Written as Markdown (``report.md``) and HTML
(``report.html``) beside the GeoPackage, from one list of blocks, so the two always say the
same thing. The Markdown links its figures by paths
relative to the run folder; the HTML page carries them inside itself, so it can be e-mailed as
one file, and its print rules (:data:`PRINT_CSS`) lay it out on A4 for a browser's print and for
``report.pdf`` (:mod:`clustergeo.publish.report_pdf`).
"""

from __future__ import annotations

import base64
import html
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from clustergeo.clusters.strength import STAR_DIMENSIONS
from clustergeo.governance.summaries import (
    and_list,
    by_core_or_extent,
    ca_status_with_shares,
    district_straddles_sentence,
    first_few,
    lead_combined_authorities,
    lead_first,
    markdown_table,
    percent,
    plural,
    straddling_clusters,
    tier_straddles,
)
from clustergeo.london import GREATER_LONDON_AUTHORITY
from clustergeo.publish.framing import ClusterRule, Framing, HotspotMethod
from clustergeo.publish.key_findings import (
    combined_authorities_sentence,
    glossary_items,
    key_findings,
    limitations,
    sector_peak_words,
    sector_total,
    straddled_tiers,
)
from clustergeo.publish.series_breaks import BREAK_MARK, RULE_WORDS, SeriesBreak, marked_names
from clustergeo.vocab import GI_STAR_HOT_CLASSES

__all__ = [
    "PRINT_CSS",
    "Block",
    "definition_words",
    "local_finding_counts",
    "maup_blocks",
    "maup_key_finding",
    "provenance_blocks",
    "report_blocks",
    "report_figures",
    "table_size",
    "to_html",
    "to_markdown",
]

_TOP_CLUSTERS = 10
#: The governing tiers' headings in the authority summaries, lowest tier first.
_TIER_HEADINGS = {
    "district": "Districts",
    "upper_tier": "Counties and unitary authorities",
    "combined_authority": "Combined authorities",
}


@dataclass(frozen=True)
class Block:
    """One element of the report: a heading, paragraph, list, table or figure."""

    kind: str
    text: str = ""
    items: tuple[str, ...] = ()
    table: pd.DataFrame | None = None
    path: str = ""


def report_figures(
    root: Path, drawn: Sequence[Path], sites: pd.DataFrame | None
) -> list[tuple[str, str]]:
    """The overview figures the report shows, as (path relative to ``root``, caption).

    Only figures this run ``drawn`` are listed: the cluster map (and its London close-up, on a
    national run), each assessed site's close-up,
    the hot spots side by side and, with an employment grid, the area-versus-grid comparison.
    """
    figures = [
        ("figures/clusters.png", "Clusters and concentrations, numbered by strength"),
        (
            "figures/clusters_london.png",
            "London close up: every finding in view numbered by its rank on the map above",
        ),
    ]
    if sites is not None:
        figures += [
            (f"figures/site_{row.site_key}.png", f"{row.name}: its footprint and surroundings")
            for row in sites.itertuples()
            if row.status != "outside_study_area"
        ]
    figures += [
        ("figures/lq_all.png", "Location quotients, industry by industry"),
        ("figures/hotspots_all.png", "Hot and cold spots (Getis-Ord Gi*), industry by industry"),
        (
            "figures/lisa_all.png",
            "Local Moran clusters and outliers (LISA), industry by industry",
        ),
        ("figures/maup.png", "Findings on the areas and on the employment grid"),
    ]
    drawn_here = {p.resolve() for p in drawn}
    return [(path, caption) for path, caption in figures if (root / path).resolve() in drawn_here]


def report_blocks(
    *,
    framing: Framing,
    hotspot_method: HotspotMethod,
    cluster_rule: ClusterRule,
    provenance: dict[str, Any],
    clusters: pd.DataFrame,
    links: pd.DataFrame,
    sites: pd.DataFrame | None,
    figures: Sequence[tuple[str, str]],
    n_areas: int,
    n_industries: int,
    global_statistics: pd.DataFrame | None = None,
    n_definitions: int = 0,
    change_over_time: Sequence[Block] = (),
    authority_summaries: pd.DataFrame | None = None,
    site_links: pd.DataFrame | None = None,
    grid_finding: str | None = None,
    local_counts: pd.DataFrame | None = None,
    industry_totals: Mapping[str, float] | None = None,
    definitions: Sequence[str] = (),
    series_breaks: Mapping[str, SeriesBreak] | None = None,
) -> list[Block]:
    """The report's content from the run's outputs.

    Parameters
    ----------
    framing
        The run's name, data and attribution (its title says "synthetic demo data" for the
        demo).
    hotspot_method, cluster_rule
        How hot spots were found and which areas could join a cluster.
    provenance
        The run's provenance record (config file, inputs, versions).
    clusters
        Clusters with their governance flags.
    links
        Cluster-authority links.
    sites
        Anchor sites with their flags, or None.
    figures
        (relative path, caption) of the figures to show, in order.
    n_areas, n_industries
        Size of the study area's table: its industries, and with ``n_definitions`` its
        cluster definitions (groups of its industries); 0 counts them among the industries.
    global_statistics
        Global Moran's I and General G per industry, or None.
    change_over_time
        The growth (and emerging hot spot) sections, placed before the maps.
    authority_summaries
        One plain-language paragraph per authority touched by a finding (``tier``,
        ``summary``), or None.
    site_links
        Site-authority links (:func:`~clustergeo.governance.overlay.authority_links`), to give
        each site's districts their shares; None lists them by name.
    grid_finding
        The key finding of the area-versus-grid comparison (:func:`maup_key_finding`), last
        among the key findings; None leaves it out.
    local_counts
        :func:`local_finding_counts` of the run's hot spots, shown beside the global tests;
        None leaves them out.
    industry_totals
        Each industry's total in the study area (by industry code): a site without a
        finding of its sector is then told which concentration threshold it falls short of.
    definitions
        The cluster definitions findings were sought in, each with what makes it up
        (:func:`definition_words`), said after the data.
    series_breaks
        By finding ID, how a finding's yearly series looks broken
        (:func:`~clustergeo.publish.series_breaks.series_breaks`): said with it among the key
        findings, and marked in the tables of the strongest and of those that straddle.
    """
    method, rules = hotspot_method, cluster_rule
    # The key findings count the industries findings were sought in; the data's size stays.
    sought_in = len(rules.analysed) if rules.analysed else n_industries + n_definitions
    if global_statistics is not None and rules.analysed:
        # Whether each industry is clustered at all, for the industries findings were sought
        # in (the cluster definitions, or every industry with ``clusters.of: industries``).
        global_statistics = global_statistics.loc[
            global_statistics["industry_code"].astype(str).isin(rules.analysed)
        ]
    # The industries whose findings are reported: sought, and traded unless asked for.
    reported = set(rules.analysed) - set(rules.non_traded_left_out) if rules.analysed else None
    blocks = [Block("h1", f"{framing.title}: report")]
    if framing.synthetic:
        blocks.append(
            Block(
                "p",
                "**Synthetic demo data.** Every place, code and number in this report was "
                "generated from a seed; nothing describes a real place.",
            )
        )
    blocks += [
        Block("h2", "Key findings"),
        Block(
            "list",
            items=(
                *key_findings(
                    findings=clusters,
                    links=links,
                    sites=sites,
                    global_statistics=global_statistics,
                    n_industries=sought_in,
                    framing=framing,
                    correction=hotspot_method.correction,
                    concentrations=rules.concentrations,
                    industry_totals=industry_totals,
                    sought=reported,
                    series_warnings={
                        cluster_id: b.warning for cluster_id, b in (series_breaks or {}).items()
                    },
                ),
                *((grid_finding,) if grid_finding else ()),
            ),
        ),
    ]
    source = framing.employment_source
    blocks += [
        Block("h2", "Data and method"),
        Block(
            "p",
            f"Data: {source}, for {table_size(n_areas, n_industries, n_definitions)}."
            f"{framing.data_note} " + _basis_words(framing),
        ),
        *(
            [
                Block(
                    "p",
                    "Findings are sought in these cluster definitions, each made of UK SIC "
                    f"2007 industries: {'; '.join(definitions)}.",
                )
            ]
            if definitions
            else []
        ),
        Block(
            "p",
            f"A location quotient (LQ) compares an industry's share of an area's "
            f"{framing.quantity} with its share in {framing.lq_reference}: above 1, the area "
            "is more specialised than that reference. "
            + (
                "GVA is not a count of people, so LQs carry no confidence interval."
                if framing.values_are_gva
                else "LQs resting on too few workers are flagged as unreliable."
            ),
        ),
        Block(
            "p",
            "Hot spots are areas whose neighbourhood (the area and its neighbours, "
            f"{method.weights}) has a higher LQ than chance would give: the Getis-Ord Gi* "
            f"statistic, with {_p_value_words(method)}. With {n_areas:,} areas tested in "
            "each industry, some would look significant by chance, so the false discovery rate is "
            "controlled (Benjamini-Hochberg)"
            + (
                "."
                if method.correction == "fdr_bh"
                else f" — here the correction is {method.correction}."
            ),
        ),
        Block(
            "p",
            f"A **cluster** is a group of neighbouring hot spots (corrected p ≤ "
            f"{rules.significance:g}{_hot_classes_words(rules.hot_spot_classes)}). Its "
            "**core** is the "
            f"hot spots whose own LQ is at least {rules.min_lq:g}, which must hold at least "
            f"{framing.amount(rules.min_employment)} in the industry between them; its "
            "**extent** adds the "
            "hot spots around and between them that are not specialised themselves, so a "
            "span that crosses a boundary through them is kept whole.",
        ),
        Block("p", _concentration_words(rules, framing)),
        Block(
            "p",
            "Each finding is placed in its districts, counties or unitary authorities, "
            "combined authorities and regions through its areas, core and extent apart. It "
            f"straddles a tier only when more than {rules.straddle_share:.0%} of its "
            f"{'GVA' if framing.values_are_gva else 'employment'} lies outside its lead "
            "authority of that tier; smaller spills are listed as touches"
            + _partner_words(rules, framing)
            + ". Findings are "
            "ranked by a strength score ("
            + (
                "size, specialisation and focus: GVA allows no significance"
                if framing.values_are_gva
                else "size, specialisation, focus and significance"
            )
            + ") and get up to three stars, one for "
            "each of size (the finding's share of the industry in the study area, so a "
            "small industry's findings can earn it), specialisation (its LQ) and focus (the "
            "industry's share of the finding's own total) on which they are in the top "
            f"{rules.star_share:.0%} of the run's findings, after the European "
            "Cluster Observatory.",
        ),
    ]
    # Industries left out with no finding to leave out are not worth a word.
    left_out = {code: n for code, n in rules.non_traded_left_out.items() if n}
    if left_out:
        # Named as the tables name them ('Construction', not 'construction' or 'F').
        labels = (
            dict(
                zip(
                    global_statistics["industry_code"].astype(str),
                    global_statistics["label"],
                    strict=True,
                )
            )
            if global_statistics is not None and "label" in global_statistics
            else {}
        )
        blocks.append(
            Block(
                "p",
                "Local-serving industries follow where people live and are not industrial "
                "clusters, so their findings are left out: "
                + "; ".join(
                    f"{labels.get(code) or code} ({plural(n, 'finding')})"
                    for code, n in left_out.items()
                )
                + ". Set `clusters.include_non_traded: true` to list them.",
            )
        )
    if global_statistics is not None and not global_statistics.empty:
        blocks += _global_blocks(
            global_statistics, method.global_permutations, local_counts=local_counts, method=method
        )
    blocks += _cluster_blocks(clusters, links, framing, series_breaks)
    if sites is not None and not sites.empty:
        blocks += _site_blocks(
            sites,
            clusters.set_index("cluster_id")["name"],
            site_links,
            year=framing.employment_year,
            amount=framing.amount,
            correction=hotspot_method.correction,
            concentrations=rules.concentrations,
            industry_totals=industry_totals,
            sought=reported,
        )
    if authority_summaries is not None and not authority_summaries.empty:
        blocks += _authority_blocks(
            authority_summaries, rules.straddle_share, _partner_size(rules, framing)
        )
    blocks += change_over_time
    if figures:
        blocks.append(Block("h2", "Maps"))
        blocks += [Block("img", caption, path=path) for path, caption in figures]
    blocks += [
        Block("h2", "Glossary"),
        Block("list", items=glossary_items(values_are_gva=framing.values_are_gva)),
        Block("h2", "Limitations"),
        Block("list", items=limitations(framing, method, rules)),
    ]
    blocks += _provenance_blocks(provenance, method)
    return blocks


def _permutations_line(method: HotspotMethod) -> str:
    """The provenance's permutations: the seed and how many, the global tests' apart."""
    line = f"Permutation seed {method.seed}, {method.permutations:,} permutations"
    if method.global_permutations and method.global_permutations != method.permutations:
        line += (
            f" for the local statistics, {method.global_permutations:,} for global Moran's I "
            "and General G"
        )
    return line


def maup_blocks(
    maup: pd.DataFrame,
    *,
    cell_m: float | None,
    local_serving: Mapping[str, str] | None = None,
    evenly_spread: float | None = None,
    grid_clusters: pd.DataFrame | None = None,
    amount: Callable[[float], str] = "{:,.0f} jobs".format,
    finding_names: Mapping[str, str] | None = None,
    finding_sizes: Mapping[str, float] | None = None,
) -> list[Block]:
    """How far the clusters depend on the areas: the area-versus-grid comparison in words.

    ``maup`` is :func:`clustergeo.surface.maup.compare_clusters`' table; industries in
    ``local_serving`` (code → label) are left out, as their findings on the areas are.
    ``evenly_spread`` is the share of the areas whose jobs the grid spread evenly over their
    cells, for want of land-use data: over those the grid differs from the areas in who
    neighbours whom, not in detail within an area, and says so. With ``grid_clusters`` (the
    grid's clusters: ``cluster_id``, ``label``, ``employment``, ``districts``) the largest
    clusters found on the grid alone are named, with their size in ``amount``'s words: a
    median size says nothing of the one large belt the areas split. Each says how much of it
    lies in concentrations found on the areas (``concentration_share``), named by
    ``finding_names`` (ID → name): the areas may see such a belt as places, not as nothing.
    With ``finding_sizes`` (ID → the cluster's jobs on the areas, its extent's) a second
    paragraph says how far the grid changes the clusters it finds again: their size, and
    whether they cross a county or unitary line.
    """
    left_out = dict(local_serving or {})
    traded, counts, on_areas = _maup_counts(maup, left_out)
    if traded.empty:
        return []
    grid_only = traded.loc[traded["stability"] == "grid-only"]
    grid = f"a grid of {cell_m:,g} m cells" if cell_m else "the employment grid"
    text = (
        f"The employment is also spread onto {grid} and its hot spots joined into clusters as "
        "on the areas, to show how much a finding's shape depends on the areas (the "
        "modifiable areal unit problem). "
    )
    even = evenly_spread is not None and evenly_spread >= 0.5
    if even:
        which = "any area" if evenly_spread is not None and evenly_spread >= 1.0 else "most areas"
        text += (
            f"Without land-use data for {which}, each area's jobs are spread evenly over its "
            "cells: the grid differs from the areas in which places neighbour which, not in "
            "detail within an area, and a large rural area's jobs are thinned over many cells, "
            "so a cluster there can fade. "
        )
    if on_areas:
        stable = int(counts.get("stable", 0))
        text += (
            f"Of the {plural(on_areas, 'cluster')} on the areas, {stable} "
            f"{'reappears' if stable == 1 else 'reappear'} in much the same place (stable: "
            "overlapping a grid cluster by at least half), "
            f"{int(counts.get('shifted', 0))} in another shape (shifted"
            + _barely_overlapping(traded)
            + f") and {int(counts.get('area-only', 0))} not at all (area-only). "
        )
    if not grid_only.empty:
        size = float(grid_only["grid_km2"].median())
        text += (
            f"The grid finds {plural(len(grid_only), 'cluster')} the areas do not (grid-only; "
            f"half of them {size:,.0f} km² or less)"
            + (
                "."
                if even
                else ": often a few cells of jobs inside a larger area, which the area's "
                "average hides."
            )
        )
        largest = _largest_grid_only(grid_only, grid_clusters, amount, finding_names or {})
        if largest:
            text += f" {'It is' if len(grid_only) == 1 else 'The largest'}: {largest}."
    on_places = int(counts.get("concentration", 0))
    if on_places:
        text += (
            f" {plural(on_places, 'more grid cluster')} {'lies' if on_places == 1 else 'lie'} "
            "on places the areas find as concentrations (single places, not compared as "
            "clusters)."
        )
    shown_out = sorted(
        label for code, label in left_out.items() if code in set(maup["industry_code"].astype(str))
    )
    if shown_out:
        text += f" Local-serving industries are left out here too: {', '.join(shown_out)}."
    changes = _grid_changes(traded, grid_clusters, finding_sizes, finding_names or {}, amount)
    return [
        Block("h2", "Areas or a grid: how much the findings depend on the areas"),
        Block("p", text.strip()),
        *([Block("p", changes)] if changes else []),
    ]


#: A shifted cluster overlapping its grid cluster by less than this (intersection over union)
#: is hardly found again, and the text says how many are.
_BARELY = 0.1


def _barely_overlapping(traded: pd.DataFrame) -> str:
    """'; 7 of them overlapping their grid cluster by less than a tenth ...', or nothing."""
    if "iou" not in traded:
        return ""
    shifted = traded.loc[traded["stability"] == "shifted", "iou"].astype(float)
    barely = int((shifted < _BARELY).sum())
    if not barely:
        return ""
    return (
        f"; {barely} of them overlapping their grid cluster by less than a tenth, hardly "
        "found again"
    )


#: A grid cluster this many times a cluster's core, or this share of it, changes its size.
_GRID_JOINS, _GRID_SPLITS = 2.0, 0.5
#: How many clusters each list of changed county lines names.
_NAMED_LINE_CHANGES = 3


def _grid_changes(
    traded: pd.DataFrame,
    grid_clusters: pd.DataFrame | None,
    sizes: Mapping[str, float] | None,
    names: Mapping[str, str],
    amount: Callable[[float], str],
) -> str:
    """How the grid changes the clusters it finds again: their size and their county lines.

    '... in another shape' covers a cluster the grid finds about as large and one it joins to
    a belt ten times its size; and the county lines a cluster crosses decide who governs it.
    """
    compared = traded.loc[traded["stability"].isin(["stable", "shifted"])]
    if compared.empty or not {"area_cluster_id", "grid_cluster_id"} <= set(compared.columns):
        return ""
    sizes_said = _grid_sizes(compared, grid_clusters, sizes, names, amount)
    lines_said = _grid_county_lines(compared, names, after_sizes=bool(sizes_said))
    return " ".join(part for part in (sizes_said, lines_said) if part)


def _grid_sizes(
    compared: pd.DataFrame,
    grid_clusters: pd.DataFrame | None,
    sizes: Mapping[str, float] | None,
    names: Mapping[str, str],
    amount: Callable[[float], str],
) -> str:
    """How many clusters found again lie in a grid cluster far larger or smaller than their core.

    Both are cores: the grid's clusters are its hot cells specialised themselves, so a
    cluster's core (``sizes``) is set against them, in ``amount``'s unit.
    """
    if not sizes or grid_clusters is None or grid_clusters.empty:
        return ""
    grid_size = grid_clusters.set_index(grid_clusters["cluster_id"].astype(str))["employment"]
    area_ids = compared["area_cluster_id"].astype(str)
    ratio = compared["grid_cluster_id"].astype(str).map(grid_size) / area_ids.map(
        lambda i: sizes.get(i, float("nan"))
    )
    parts: list[str] = []
    for larger, kept in ((True, ratio > _GRID_JOINS), (False, ratio < _GRID_SPLITS)):
        count = int(kept.sum())
        if not count:
            continue
        ratios = ratio.loc[kept].to_numpy(dtype=float)
        row = compared.loc[kept].iloc[int(np.argmax(ratios) if larger else np.argmin(ratios))]
        area_id, grid_id = str(row["area_cluster_id"]), str(row["grid_cluster_id"])
        verb = ("lies in" if count == 1 else "lie in") if not parts else "in"
        their = "its" if count == 1 else "their"
        size = "more than twice" if larger else "under half"
        where = f"a grid cluster {size} the size of {their} core" if not parts else f"one {size}"
        parts.append(
            f"{count} {verb} {where} ({'the most' if larger else 'the least'}: "
            f"{names.get(area_id, area_id)}, {amount(sizes[area_id])} in its core on the areas "
            f"and {amount(float(grid_size[grid_id]))} on the grid)"
        )
    if not parts:
        return ""
    joins = bool((ratio > _GRID_JOINS).any())
    effects = ["joins some to what lies around them"] if joins else []
    if (ratio < _GRID_SPLITS).any():
        effects.append(
            f"thins {'others' if joins else 'some'} that large areas spread over their cells"
        )
    return (
        f"Of the {plural(len(compared), 'cluster')} the grid finds again, "
        + " and ".join(parts)
        + f": the grid {' and '.join(effects)}."
    )


def _grid_county_lines(
    compared: pd.DataFrame, names: Mapping[str, str], *, after_sizes: bool
) -> str:
    """For how many clusters found again the grid changes whether they cross a county line.

    Clusters whose flag is unknown on either view are left out of the count.
    """
    lines = ["area_straddles_counties", "grid_straddles_counties"]
    if not set(lines) <= set(compared.columns):
        return ""
    known = compared.loc[compared[lines].notna().all(axis=1)]
    on_areas, on_grid = (known[line].astype(bool) for line in lines)
    flips = known.loc[on_areas != on_grid]
    if flips.empty:
        return ""
    across = flips["grid_straddles_counties"].astype(bool)
    lists: list[str] = []
    for where, which in (("on the grid only", across), ("on the areas only", ~across)):
        count = int(which.sum())
        if not count:
            continue
        named = [names.get(str(i), str(i)) for i in flips.loc[which, "area_cluster_id"]]
        shown = first_few(named, _NAMED_LINE_CHANGES)
        verb = ("crosses one " if count == 1 else "cross one ") if not lists else ""
        lists.append(f"{count} {verb}{where} ({shown})")
    of = "of them" if after_sizes else f"of the {plural(len(compared), 'cluster')} it finds again"
    return (
        "Whether a cluster crosses a county or unitary line, and so who would govern it, "
        f"differs on the grid for {len(flips)} {of}: {', '.join(lists)}."
    )


#: How many grid-only clusters the section names, and how many districts each names.
_NAMED_GRID_ONLY = 3
_NAMED_DISTRICTS = 6


#: The least share of a grid-only cluster's jobs in the areas' concentrations that is said.
_PLACES_SAID = 0.05


def _largest_grid_only(
    grid_only: pd.DataFrame,
    grid_clusters: pd.DataFrame | None,
    amount: Callable[[float], str],
    finding_names: Mapping[str, str],
) -> str:
    """The largest grid-only clusters, "<industry> across <districts> (<size>)", joined by ';'.

    The size says how much of the cluster the areas' concentrations hold, where they hold
    5% or more: "(36,357 jobs, 55% of them in the areas' concentrations at Derby and at
    Amber Valley / Bolsover and others)".
    """
    needed = {"cluster_id", "label", "employment", "districts"}
    if grid_clusters is None or not needed <= set(grid_clusters.columns):
        return ""
    sized = grid_clusters.loc[
        grid_clusters["cluster_id"].isin(set(grid_only["grid_cluster_id"]))
    ].sort_values(["employment", "cluster_id"], ascending=[False, True])
    places = grid_only.set_index("grid_cluster_id")
    named = []
    for _, row in sized.head(_NAMED_GRID_ONLY).iterrows():
        # The lead district first, so a list cut short keeps it.
        districts = lead_first(row["districts"], row.get("lead_district"))
        if len(districts) > _NAMED_DISTRICTS:
            others = len(districts) - (_NAMED_DISTRICTS - 1)
            districts = [*districts[: _NAMED_DISTRICTS - 1], f"{others} other districts"]
        where = f" {'across' if len(districts) > 1 else 'in'} {and_list(districts)}"
        size = amount(float(row["employment"]))
        held = _held_by_places(places, str(row["cluster_id"]), finding_names)
        named.append(f"{row['label']}{where if districts else ''} ({size}{held})")
    return "; ".join(named)


def _held_by_places(places: pd.DataFrame, grid_id: str, finding_names: Mapping[str, str]) -> str:
    """', 55% of them in the areas' concentrations at Derby and at …', or nothing."""
    if not {"concentration_share", "concentration_ids"} <= set(places.columns):
        return ""
    share = places["concentration_share"].get(grid_id)
    held = places["concentration_ids"].get(grid_id)
    ids = [i for i in held.split(";") if i] if isinstance(held, str) else []
    if not (ids and share is not None and float(share) >= _PLACES_SAID):
        return ""
    # A finding's name is its industry, then its place: the industry is the cluster's own.
    at = [f"at {str(finding_names.get(i, i)).split(': ', 1)[-1]}" for i in ids]
    kind = "concentration" if len(ids) == 1 else "concentrations"
    return f", {percent(share)} of them in the areas' {kind} {and_list(at)}"


def _maup_counts(
    maup: pd.DataFrame, local_serving: Mapping[str, str]
) -> tuple[pd.DataFrame, pd.Series, int]:
    """The comparison's rows of traded industries, their counts by stability, and the areas'.

    The last is how many of the rows are clusters on the areas (every label but grid-only and
    concentration, which are rows of grid clusters).
    """
    traded = maup.loc[~maup["industry_code"].astype(str).isin(set(local_serving))]
    counts = traded["stability"].value_counts()
    return (
        traded,
        counts,
        int(counts.drop(["grid-only", "concentration"], errors="ignore").sum()),
    )


def maup_key_finding(
    maup: pd.DataFrame, *, cell_m: float | None, local_serving: Mapping[str, str] | None = None
) -> str | None:
    """How many of the clusters on the areas hold on the grid, in a key finding's words.

    Counted as :func:`maup_blocks` counts them (local-serving industries left out); None
    where no cluster on the areas was compared.
    """
    traded, counts, on_areas = _maup_counts(maup, dict(local_serving or {}))
    if not on_areas:
        return None
    grid = f"a {cell_m / 1000:g} km grid" if cell_m else "the employment grid"
    stable = int(counts.get("stable", 0))
    barely = _barely_overlapping(traded)
    return (
        f"On {grid}, {stable} of the {plural(on_areas, 'cluster')} on the areas "
        f"{'reappears' if stable == 1 else 'reappear'} in much the same place, "
        f"{int(counts.get('shifted', 0))} in another shape"
        + (f" ({barely.removeprefix('; ')})" if barely else "")
        + " and "
        f"{int(counts.get('area-only', 0))} not at all: how much each depends on the areas is "
        "in the section on areas or a grid."
    )


#: SIC codes a definition's words list before saying how many more there are.
_CODES_SAID = 10


def definition_words(label: str, sic_codes: Sequence[str], names: Mapping[str, str]) -> str:
    """A cluster definition and what makes it up, in words.

    'Manufacturing (C)'; with several industries the data name, each by its name ('Energy,
    water and waste (D Electricity..., and E Water supply...)'); otherwise its SIC codes
    ('Automotive and mobility (SIC 29, 22.11, 27.20)'), at most :data:`_CODES_SAID` of them.
    """
    named = [names[c] for c in sic_codes if c in names]
    if len(named) == len(sic_codes) and len(named) > 1:
        return f"{label} ({and_list(named)})"
    shown = ", ".join(_dotted(c) for c in sic_codes[:_CODES_SAID])
    more = len(sic_codes) - _CODES_SAID
    return f"{label} ({'SIC ' if len(named) < len(sic_codes) else ''}{shown}" + (
        f" and {more} more)" if more > 0 else ")"
    )


def _dotted(code: str) -> str:
    """A canonical SIC code as it is written: '2910' as '29.10', '261' as '26.1'."""
    return f"{code[:2]}.{code[2:]}" if code.isdigit() and len(code) > 2 else code


def table_size(n_areas: int, n_industries: int, n_definitions: int = 0) -> str:
    """'1,308 areas and 20 industries, with 6 cluster definitions made of them'.

    With ``n_definitions`` 0 the industries count the definitions too, and say so.
    """
    industries = plural(n_industries, "industry", "industries")
    if not n_definitions:
        return f"{plural(n_areas, 'area')} and {industries} and cluster definitions"
    return (
        f"{plural(n_areas, 'area')} and {industries}, with "
        f"{plural(n_definitions, 'cluster definition')} made of them"
    )


def _basis_words(framing: Framing) -> str:
    """Where the values are counted, in one sentence."""
    if framing.values_are_gva:
        return "GVA is workplace-based: output is counted where it is produced."
    return f"Employment is {framing.employment_basis}-based" + (
        ": it counts people where they work, which is what clusters are about."
        if framing.employment_basis == "workplace"
        else ": it counts people where they live, which only approximates where industries are."
    )


def _partner_size(rules: ClusterRule, framing: Framing) -> str | None:
    """'1,000 jobs': the piece of a finding that shares it whatever its share, or None."""
    size = rules.concentrations.get("min_employment")
    return None if size is None else framing.amount(float(size))


def _partner_words(rules: ClusterRule, framing: Framing) -> str:
    """', but an authority holding 1,000 jobs or more of it ... always shares it'."""
    size = _partner_size(rules, framing)
    if size is None:
        return ""
    return (
        f", but an authority holding {size} or more of it (the least a concentration may "
        "hold) always shares it"
    )


def _concentration_words(rules: ClusterRule, framing: Framing) -> str:
    settings = rules.concentrations
    if not settings.get("enabled", False):
        return "Concentrations (one or a few specialised places) were not looked for in this run."
    specialised = (
        f"is at least {settings['min_lq']:g} (GVA is not a count, so there is no test)"
        if framing.values_are_gva
        else f"is significantly above {settings['min_lq']:g} (one-sided test, false discovery "
        f"rate {settings['significance']:g})"
    )
    return (
        "A **concentration** is a place, or a few neighbouring places, whose own LQ "
        f"{specialised} and which has at least "
        f"{framing.amount(settings['min_employment'])} in the industry and "
        f"{settings['min_employment_share']:.1%} of the industry's {framing.quantity} in the "
        "study area. "
        "A concentration is not a cluster: a large plant among residential areas makes one "
        "place (or a few side by side) specialised, but the neighbourhood around them is "
        "not, so Gi*, which sums each area with its neighbours, does not see it; beyond its "
        "own places, nothing around it shares the industry."
    )


#: Fewer areas than this and a whole-area test can rarely show a pattern (the usual rule of
#: thumb for global Moran's I), so its 'random' says 'not shown', not 'absent'.
_FEW_AREAS = 30


def local_finding_counts(
    hotspots: pd.DataFrame, hot_classes: Collection[str] = GI_STAR_HOT_CLASSES
) -> pd.DataFrame:
    """Per industry (the index), its areas found by each local statistic after correction.

    ``gi_star_hot``: areas whose Gi* class is one of ``hot_classes`` (the run's, those
    clusters are built from). ``moran_high_high``: areas in a Local Moran high-high cluster.
    """
    codes = hotspots["industry_code"].astype(str).to_numpy()
    found = pd.DataFrame(
        {
            "gi_star_hot": hotspots["gi_star_class"].astype(str).isin(list(hot_classes)).to_numpy(),
            "moran_high_high": (hotspots["moran_class"].astype(str) == "HH").to_numpy(),
        }
    )
    return found.groupby(codes, sort=False).sum()


def _global_blocks(
    table: pd.DataFrame,
    permutations: int = 0,
    *,
    local_counts: pd.DataFrame | None = None,
    method: HotspotMethod | None = None,
) -> list[Block]:
    """The industries analysed, each with whether it is clustered at all.

    With ``local_counts``, each industry's hot-spot and high-high areas stand beside its
    global tests, and industries Gi* finds hot spots in but Local Moran no high-high cluster
    are named with the reason.
    """
    shown = table.loc[table["kind"] == "cluster"] if (table["kind"] == "cluster").any() else table
    n_areas = int(shown["n_areas"].max()) if "n_areas" in shown else 0
    few = 0 < n_areas < _FEW_AREAS
    p_column = "moran_p_sim" if shown["moran_p_sim"].notna().any() else "moran_p_norm"
    labels = shown["label"].fillna(shown["industry_code"])
    frame = pd.DataFrame(
        {
            "Industry": labels,
            "Moran's I": shown["moran_i"].map("{:.3f}".format),
            "p": shown[p_column].map(lambda v: f"{v:.3g}"),
            "General G z": shown["general_g_z"].map("{:.1f}".format),
            "Pattern": shown["pattern"].replace({"random": "not shown"})
            if few
            else shown["pattern"],
        }
    )
    local_words: list[Block] = []
    if local_counts is not None:
        counts = local_counts.reindex(shown["industry_code"].astype(str)).fillna(0).astype(int)
        hot = pd.Series(counts["gi_star_hot"].to_numpy(), index=shown.index)
        high_high = pd.Series(counts["moran_high_high"].to_numpy(), index=shown.index)
        frame["Gi* hot-spot areas"] = hot.map("{:,}".format)
        frame["Local Moran high-high areas"] = high_high.map("{:,}".format)
        local_words = _local_statistics_words(
            labels.loc[(hot > 0) & (high_high == 0)].astype(str).tolist(), method
        )
    over = f"the study area's {n_areas:,} areas" if n_areas else "the areas"
    return [
        Block("h2", "Is each industry clustered at all?"),
        Block(
            "p",
            "Before where: whether. Global Moran's I is above its expectation when similar "
            "values sit side by side; Getis-Ord General G's z is positive when high values "
            "sit beside high ones. "
            + (
                f"p-values from the normal approximation, over {over}."
                if p_column == "moran_p_norm"
                else "p-values from "
                + (f"{permutations:,} " if permutations else "")
                + f"random permutations of the values over {over}"
                + (
                    f" (so none is below {1 / (permutations + 1):.2g} one-sided, "
                    f"{2 / (permutations + 1):.2g} two-sided)"
                    if permutations
                    else ""
                )
                + "."
            )
            + (
                f" With fewer than {_FEW_AREAS} areas these tests can rarely show a pattern "
                "at all, so an industry without one is 'not shown', not evenly spread."
                if few
                else ""
            )
            + (
                " The last two columns count the areas each local statistic finds"
                + (
                    ""
                    if method is not None and method.correction == "none"
                    else ", after the correction for testing many areas"
                )
                + ": Gi* hot spots and Local Moran's high-high areas."
                if local_counts is not None
                else ""
            ),
        ),
        Block("table", table=frame),
        *local_words,
    ]


def _local_statistics_words(industries: list[str], method: HotspotMethod | None) -> list[Block]:
    """Why Local Moran finds no high-high cluster where Gi* finds hot spots, if it happens.

    Said where Gi* is classified by its analytic z, which counts an area's own value, and
    Local Moran by permutation, which holds it: by permutation both test the same neighbour
    sums, and analytically both count the area's own value.
    """
    if (
        not industries
        or method is None
        or method.gi_star_inference != "analytic"
        or method.moran_inference != "permutation"
    ):
        return []
    return [
        Block(
            "p",
            "The two local statistics ask different questions. Gi*'s z (its analytic "
            "p-values) adds each area's own value to its neighbours', so one high value among "
            "ordinary neighbours can make a hot spot. Local Moran's permutation test holds "
            "each area's own value and asks whether its neighbours are more like it than "
            "random areas would be, so it finds a high-high cluster only where high values "
            f"sit side by side. In {and_list(industries)}, Gi* finds hot spots and Local "
            "Moran no high-high area: the neighbours of their high areas do not stand out "
            "enough from random ones.",
        )
    ]


def _hot_classes_words(classes: Sequence[str]) -> str:
    """': hot spots at 95% or 99% confidence, `hot_95` and `hot_99` in the outputs'."""
    if not classes:
        return ""
    ordered = sorted(classes)
    levels = [c.removeprefix("hot_") + "%" for c in ordered]
    return (
        f": hot spots at {' or '.join(levels)} confidence, "
        f"{and_list([f'`{c}`' for c in ordered])} in the outputs"
    )


def _p_value_words(method: HotspotMethod) -> str:
    if method.gi_star_inference == "analytic":
        return "p-values from its normal approximation"
    return f"p-values from {method.permutations:,} conditional permutations"


def _cluster_blocks(
    clusters: pd.DataFrame,
    links: pd.DataFrame,
    framing: Framing,
    series_breaks: Mapping[str, SeriesBreak] | None = None,
) -> list[Block]:
    """The strongest findings and those straddling boundaries, sized in the run's unit.

    A finding whose yearly series looks broken is marked in the table, and a note under it
    says how: it may lead the ranking on one firm's books.
    """
    size = framing.size_heading
    breaks = series_breaks or {}
    blocks = [Block("h2", "The strongest findings")]
    if clusters.empty:
        return [*blocks, Block("p", "No cluster or concentration met the rules in this run.")]
    order = ["strength", "cluster_id"] if "strength" in clusters else ["employment", "cluster_id"]
    ranked = clusters.sort_values(order, ascending=[False, True])
    top = ranked.head(_TOP_CLUSTERS)
    table = pd.DataFrame(
        {
            "Finding": marked_names(top["cluster_id"], top["name"], breaks),
            "Kind": top.get("kind", pd.Series("cluster", index=top.index)),
            "Stars": _star_words(top),
            "Strength": top.get("strength", pd.Series(float("nan"), index=top.index)).map(
                "{:.0f}".format
            ),
            size: top["employment"].map("{:,.0f}".format),
            "Share of industry": top["employment_share"].map(
                lambda v: f"{v:.1%}" if v < 0.1 else f"{v:.0%}"
            ),
            "LQ": top["lq"].map("{:.2f}".format),
            "Areas (core / extent)": [
                f"{n} / {e}"
                for n, e in zip(
                    top["n_units"], top.get("extent_n_units", top["n_units"]), strict=True
                )
            ],
        }
    )
    kinds = clusters.get("kind", pd.Series("cluster", index=clusters.index)).value_counts()
    blocks += [
        Block(
            "p",
            f"{plural(int(kinds.get('cluster', 0)), 'cluster')} and "
            f"{plural(int(kinds.get('concentration', 0)), 'concentration')} in all; the "
            f"{len(top)} strongest:",
        ),
        Block("table", table=table),
        *_break_notes(top["cluster_id"], top["name"], breaks),
        Block("h2", "Findings that straddle boundaries"),
    ]
    straddling = straddling_clusters(clusters, links).rename(columns={"Employment": size})
    upper_tier = tier_straddles(clusters, "counties")
    counties = int(upper_tier["core_or_extent"].sum())
    if straddling.empty:
        blocks.append(Block("p", f"{district_straddles_sentence(clusters)}."))
    else:
        # The table's rows are found by their names, unique in a run's findings (if they are
        # not, none is marked rather than the wrong one).
        unique = clusters["name"].is_unique
        ids = dict(zip(clusters["name"].astype(str), clusters["cluster_id"], strict=True))
        ids = ids if unique else {}
        names = [str(name) for name in straddling["Finding"]]
        straddling_ids = [ids.get(name, "") for name in names]
        straddling["Finding"] = marked_names(straddling_ids, names, breaks)
        blocks += [
            Block(
                "p",
                f"{district_straddles_sentence(clusters)}; {plural(counties, 'finding')} "
                f"{'crosses' if counties == 1 else 'cross'} upper-tier boundaries (between "
                "counties, unitary authorities or metropolitan boroughs)"
                + (by_core_or_extent(upper_tier) or " by the core itself")
                + ". "
                f"Shares are of the {'GVA' if framing.values_are_gva else 'employment'} in "
                "the industry.",
            ),
            Block("table", table=straddling),
            *_break_notes(straddling_ids, names, breaks),
        ]
    gaps = clusters.loc[
        _flags(clusters, "governance_gap") | _flags(clusters, "extent_governance_gap")
    ]
    blocks.append(Block("h2", "Governance gaps"))
    if gaps.empty:
        blocks.append(
            Block(
                "p",
                "No finding is a governance gap: for each, core and extent, one district, "
                "county or unitary, or combined authority holds more than half of its "
                f"{'GVA' if framing.values_are_gva else 'employment'} and could lead support "
                "for it.",
            )
        )
    else:
        blocks.append(
            Block(
                "list",
                items=tuple(
                    f"{row.name}: no authority holds a majority{_largest_district(row)}."
                    for row in gaps.itertuples()
                ),
            )
        )
    # The same sentence as the key findings', each finding counted once.
    if (ca := combined_authorities_sentence(clusters, links)) is not None:
        blocks.append(Block("p", ca))
    return blocks


def _break_notes(
    ids: Iterable[object], names: Iterable[object], series_breaks: Mapping[str, SeriesBreak]
) -> list[Block]:
    """The note under a table of findings on those marked: how each one's series broke."""
    marked = [
        f"{name} ({series_breaks[str(cluster_id)].clause})"
        for cluster_id, name in zip(ids, names, strict=True)
        if str(cluster_id) in series_breaks
    ]
    if not marked:
        return []
    return [
        Block(
            "p",
            f"{BREAK_MARK} Worth checking for a reclassification or a head office moving "
            f"before {'it is' if len(marked) == 1 else 'they are'} taken as "
            f"{'a finding' if len(marked) == 1 else 'findings'}: "
            f"{'its yearly series looks' if len(marked) == 1 else 'their yearly series look'} "
            f"broken ({RULE_WORDS}). {'; '.join(marked)}.",
        )
    ]


#: The star columns and the measure each is for.
_STAR_MEASURES = {f"star_{measure}": measure for measure in STAR_DIMENSIONS}


def _star_words(findings: pd.DataFrame) -> pd.Series:
    """Each finding's stars and what earned them ('★★ size, focus'), or '–' without one."""

    def words(row: pd.Series) -> str:
        stars = int(row.get("stars", 0) or 0)
        if not stars:
            return "–"
        earned = [
            measure
            for column, measure in _STAR_MEASURES.items()
            if not pd.isna(row.get(column)) and bool(row.get(column))
        ]
        return "★" * stars + (f" {', '.join(earned)}" if earned else "")

    return findings.apply(words, axis=1) if len(findings) else pd.Series(dtype=object)


def _largest_district(finding: Any) -> str:
    """`` (largest district share 40%, Hinckley)``, or nothing in a run without districts."""
    share, name = getattr(finding, "lead_share", None), getattr(finding, "lead_district", None)
    if share is None or pd.isna(share):
        return ""
    return f" (largest district share {share:.0%}, {name})"


def _authority_blocks(
    summaries: pd.DataFrame, straddle_share: float, partner_size: str | None = None
) -> list[Block]:
    """Each authority's findings in a paragraph, tier by tier (districts first), by name."""
    blocks = [
        Block("h2", "Findings by authority"),
        Block(
            "p",
            "For each authority a finding touches: the findings it is part of (holding more "
            f"than {straddle_share:.0%} of one"
            + (
                f", or {partner_size} or more of it, the least a concentration may hold"
                if partner_size
                else ""
            )
            + ") and those it only touches, which it shares and "
            "with whom, and how much of each lies outside it. Shares here are of each "
            "finding's whole extent (its core and the hot spots around it), so they can differ "
            "from the straddle table's, which are of the core. A unitary or metropolitan "
            "district, its own upper tier, is listed once, among the districts.",
        ),
    ]
    districts = set(summaries.loc[summaries["tier"] == "district", "authority_code"])
    for tier, heading in _TIER_HEADINGS.items():
        rows = summaries.loc[summaries["tier"] == tier]
        if tier == "upper_tier":
            rows = rows.loc[~rows["authority_code"].isin(districts)]
        if rows.empty:
            continue
        # By name, for a reader looking a place up (codes would part a county's districts).
        rows = rows.sort_values(
            "authority_name", key=lambda names: names.astype(str).str.casefold(), kind="stable"
        )
        gla = (rows["authority_code"].astype(str) == GREATER_LONDON_AUTHORITY[0]).any()
        blocks += [
            Block("h3", heading + (" and the Greater London Authority" if gla else "")),
            Block("list", items=tuple(str(v) for v in rows["summary"])),
        ]
    return blocks


def _flags(frame: pd.DataFrame, column: str) -> pd.Series:
    """A yes/no flag column as booleans; all False when the run's tiers give no such flag."""
    if column not in frame:
        return pd.Series(False, index=frame.index)
    return frame[column].fillna(False).astype(bool)


#: The least share (of its jobs or of its land) of a site's footprint that a district it only
#: touches must hold to be named in the site table: a sliver across a line is left out.
_TOUCH_NAMED = 0.01


def _site_district_shares(sites: pd.DataFrame, links: pd.DataFrame) -> pd.Series:
    """Each site's districts with their shares, largest first: 'Upton Fields 87% (land 60%), …'.

    The districts it straddles, their shares on the site's own basis (``share_basis``:
    employment, else land); shares of employment give the land's beside them, since spreading
    an area's jobs evenly over it can put a site's jobs in a denser neighbour (an airport on
    a city's edge). Then, after 'touches', the districts it only touches (``touches`` in the
    links) that hold at least 1% of its jobs or of its land: a rural district can hold a
    quarter of a site's land and a sliver of its jobs.
    """
    districts = links.loc[links["tier"] == "district"]
    basis = sites.set_index("site_key")["share_basis"] if "share_basis" in sites else None
    shown = {}
    for key, own in districts.groupby("site_key", sort=False):
        on_land = basis is not None and basis.get(key) == "area"
        share = own["area_km2_share" if on_land else "employment_share"]
        ranked = own.assign(share=share).sort_values(
            ["share", "authority_name"], ascending=[False, True]
        )
        land = None if on_land else ranked.get("area_km2_share")
        touching = ranked["relation"] == "touches"
        held = ranked["share"] if land is None else ranked["share"].combine(land.fillna(0), max)
        touched = ranked.loc[touching & (held >= _TOUCH_NAMED)]
        shown[key] = _with_shares(ranked.loc[~touching], land) + (
            f"; touches {_with_shares(touched, land)}" if not touched.empty else ""
        )
    return sites["site_key"].map(shown).astype(object)


def _with_shares(districts: pd.DataFrame, land: pd.Series | None) -> str:
    """'Coventry 87% (land 33%), Warwick 12% (land 53%)': each district's ``share``, and land's."""
    return ", ".join(
        f"{name} {percent(float(share))}"
        + ("" if land is None else f" (land {percent(float(land.loc[i]))})")
        for i, name, share in zip(
            districts.index, districts["authority_name"], districts["share"], strict=True
        )
    )


def _site_straddles(sites: pd.DataFrame) -> pd.Series:
    """The tiers above the districts each site straddles, or 'no' (:func:`straddled_tiers`)."""
    return pd.Series(
        [straddled_tiers(site) or "no" for _, site in sites.iterrows()],
        index=sites.index,
        dtype=object,
    )


def _site_blocks(
    sites: pd.DataFrame,
    names: pd.Series,
    links: pd.DataFrame | None = None,
    *,
    year: str | int | None = None,
    amount: Callable[[float], str] = "{:,.0f} jobs".format,
    correction: str = "fdr_bh",
    concentrations: Mapping[str, Any] | None = None,
    industry_totals: Mapping[str, float] | None = None,
    sought: Collection[str] | None = None,
) -> list[Block]:
    assessed = sites.loc[sites["status"] != "outside_study_area"]

    def named(ids: object) -> str:
        # Finding names hold commas, so several are set apart by semicolons.
        return "; ".join(str(names.get(i, i)) for i in str(ids or "").split(";") if i)

    blocks = [Block("h2", "Anchor sites")]
    if assessed.empty:
        return [*blocks, Block("p", "No anchor site lies in the study area.")]
    table = pd.DataFrame(
        {
            "Site": assessed["name"],
            "Footprint": assessed["buffer_km"].map("{:g} km".format),
            "Districts": _districts_column(assessed, links),
            "Straddles": _site_straddles(assessed),
            "Combined authority": _site_ca_status(assessed, links),
            "Clusters of its sector in or near": (
                assessed["sector_clusters_in"].fillna("").map(named)
                + assessed["sector_clusters_near"]
                .fillna("")
                .map(lambda v: f" (near: {named(v)})" if v else "")
            ).where(
                lambda found: found != "",
                [
                    _no_sector_cluster(
                        site,
                        amount,
                        correction,
                        concentrations=concentrations,
                        industry_total=sector_total(site, industry_totals),
                        sought=sought,
                    )
                    for _, site in assessed.iterrows()
                ],
            ),
        }
    )
    outside = sites.loc[sites["status"] == "outside_study_area", "name"]
    blocks.append(Block("table", table=table))
    basis = _share_basis_sentence(assessed)
    if basis:
        blocks.append(Block("p", basis))
    blocks.append(
        Block(
            "p",
            "A site is matched with findings of its sector through the industries the data "
            "give (a food park matches any manufacturing where the data are by section), and "
            + (f"on the data's year, {year}" if year else "on the data's year")
            + ": a site built or grown since cannot show its own activity in them.",
        )
    )
    if not outside.empty:
        blocks.append(
            Block("p", "Outside the study area, not assessed: " + ", ".join(outside) + ".")
        )
    return blocks


def _no_sector_cluster(
    site: pd.Series,
    amount: Callable[[float], str],
    correction: str,
    *,
    concentrations: Mapping[str, Any] | None = None,
    industry_total: float | None = None,
    sought: Collection[str] | None = None,
) -> str:
    """The site table's word for a site without a finding of its sector: what it has instead."""
    peak = sector_peak_words(
        site,
        amount,
        correction,
        concentrations=concentrations,
        industry_total=industry_total,
        sought=sought,
    )
    return f"none; its sector's highest LQ there is {peak}" if peak else "none"


def _site_ca_status(sites: pd.DataFrame, links: pd.DataFrame | None) -> pd.Series:
    """The site table's combined authority: its status in words, its lead and its shares."""
    leads = (
        lead_combined_authorities(links, key="site_key")
        if links is not None and "site_key" in sites
        else pd.Series(dtype=object)
    )
    tier = (
        links.loc[links["tier"] == "combined_authority"]
        if links is not None and "tier" in links and "site_key" in links
        else pd.DataFrame(columns=["site_key", "authority_name", "employment_share"])
    )

    def words(site: pd.Series) -> str:
        own = tier.loc[tier["site_key"] == site.get("site_key")]
        if site.get("share_basis") == "area" and "area_km2_share" in own:
            # Shares on the site's own basis, as its districts' (_site_district_shares).
            own = own.assign(employment_share=own["area_km2_share"])
        return ca_status_with_shares(site.get("ca_status"), own, leads.get(site.get("site_key")))

    return pd.Series([words(site) for _, site in sites.iterrows()], index=sites.index, dtype=object)


def _districts_column(sites: pd.DataFrame, links: pd.DataFrame | None) -> pd.Series:
    """The site table's districts: with their shares where the links give them."""
    named = (
        sites.get("districts", pd.Series("", index=sites.index)).fillna("").str.replace("; ", ", ")
    )
    if links is None or links.empty or "site_key" not in sites:
        return named
    shares = _site_district_shares(sites, links)
    return shares.where(shares.notna(), named)


#: What a site's authorities are judged on, by its ``share_basis``.
_SHARE_BASES = {
    "employment": "the employment in its footprint (each area's spread evenly over the area)",
    "area": "its footprint's land (its areas are whole districts or hold no employment, "
    "which cannot place its jobs within them)",
}


def _share_basis_sentence(sites: pd.DataFrame) -> str:
    """What the sites' shares of their authorities are of, naming the sites where they differ."""
    if "share_basis" not in sites:
        return ""
    bases = sites["share_basis"].where(sites["share_basis"].isin(_SHARE_BASES.keys()))
    present = set(bases.dropna())
    if not present:
        return ""
    if len(present) == 1:
        return (
            "A site's districts, county line and combined authority are judged on "
            f"{_SHARE_BASES[present.pop()]}."
        )
    parts = [
        f"{_SHARE_BASES[basis]} for {'; '.join(sites.loc[bases == basis, 'name'])}"
        for basis in _SHARE_BASES
        if (bases == basis).any()
    ]
    return (
        "A site's districts, county line and combined authority are judged on "
        + ", and on ".join(parts)
        + "."
    )


def provenance_blocks(provenance: dict[str, Any], method: HotspotMethod | None) -> list[Block]:
    """The report's provenance: config, inputs with checksums, seed, software."""
    return _provenance_blocks(provenance, method)


def _provenance_blocks(provenance: dict[str, Any], method: HotspotMethod | None) -> list[Block]:
    inputs = provenance["inputs"]
    versions = provenance["versions"]
    return [
        Block("h2", "Provenance"),
        Block(
            "list",
            items=(
                f"Config: {Path(provenance['config_file']).name}",
                *(
                    # The file's name only: where it sat on the machine that ran is
                    # private and meaningless to a reader (provenance.json has the path).
                    f"{role}: {Path(v['path']).name} (sha256 {v['sha256'][:16]}…)"
                    for role, v in inputs.items()
                ),
                *([_permutations_line(method)] if method is not None else []),
                "Software: " + ", ".join(f"{k} {v}" for k, v in versions.items()),
                "Full record: provenance.json"
                + (
                    "; every layer: clustergeo.gpkg (open clustergeo.qgs in QGIS)."
                    if method is not None
                    else "."
                ),
            ),
        ),
    ]


def to_markdown(blocks: Sequence[Block]) -> str:
    """The report as Markdown."""
    lines: list[str] = []
    for block in blocks:
        if block.kind == "h1":
            lines += [f"# {block.text}", ""]
        elif block.kind == "h2":
            lines += [f"## {block.text}", ""]
        elif block.kind == "h3":
            lines += [f"### {block.text}", ""]
        elif block.kind == "p":
            lines += [block.text, ""]
        elif block.kind == "list":
            lines += [*(f"- {item}" for item in block.items), ""]
        elif block.kind == "table" and block.table is not None:
            lines += [markdown_table(block.table), ""]
        elif block.kind == "img":
            lines += [f"![{block.text}]({block.path})", "", f"*{block.text}*", ""]
    return "\n".join(lines)


_CSS = """
body { font-family: "DejaVu Sans", Arial, sans-serif; max-width: 60rem; margin: 2rem auto;
       padding: 0 1rem; color: #222; line-height: 1.45; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.25rem; margin-top: 2rem; }
table { border-collapse: collapse; font-size: 0.85rem; margin: 0.5rem 0 1rem; }
th, td { border-bottom: 1px solid #ddd; padding: 0.3rem 0.5rem; text-align: left;
         vertical-align: top; }
th { background: #f3f1ec; }
figure { margin: 1rem 0 2rem; break-inside: avoid; } img { max-width: 100%; }
h2 { break-after: avoid; }
figcaption { font-size: 0.85rem; color: #555; }
code { font-family: "DejaVu Sans Mono", monospace; font-size: 0.9em; background: #f3f1ec;
       padding: 0 0.15em; }
"""

#: How the page prints (from a browser, and as ``report.pdf``): A4, each section from a new
#: page but the key findings under the title, figures and table rows never split, numbered
#: pages with the report's title at their foot.
PRINT_CSS = """
@page { size: A4; margin: 16mm 15mm 18mm;
        @bottom-left { content: string(report-title); font: 7.5pt "DejaVu Sans", Arial, sans-serif;
                       color: #666; }
        @bottom-right { content: "Page " counter(page) " of " counter(pages);
                        font: 7.5pt "DejaVu Sans", Arial, sans-serif; color: #666; } }
@media print {
  body { max-width: none; margin: 0; padding: 0; font-size: 10pt; }
  h1 { string-set: report-title content(); }
  h2 { break-before: page; }
  h1 + h2, h1 + p + h2 { break-before: auto; }
  h2, h3 { break-after: avoid; }
  figure { break-inside: avoid; margin: 0.5rem 0 1rem; }
  figure img { max-height: 245mm; object-fit: contain; }
  /* The first figure under a heading shares its page with it. */
  h2 + figure img { max-height: 228mm; }
  thead { display: table-header-group; } tr { break-inside: avoid; }
  /* The wide tables (straddles, growth, circular zones) fit A4's width: smaller type, and a
     cell of words may hyphenate one (at a syllable, by the page's language) rather than push
     the table off the page; a number or a single word never breaks. */
  table { font-size: 8pt; }
  th, td { padding: 0.15rem 0.3rem; }
  th.text, td.text { hyphens: auto; }
}
"""


def _inline(text: str) -> str:
    """Escape text for HTML, keeping **bold** and `code` (a setting or column name)."""

    def bold(part: str) -> str:
        pieces = part.split("**")
        return "".join(f"<strong>{p}</strong>" if i % 2 else p for i, p in enumerate(pieces))

    parts = html.escape(text).split("`")
    if len(parts) % 2 == 0:  # an unmatched backtick is a character, not code
        return bold(html.escape(text))
    return "".join(f"<code>{p}</code>" if i % 2 else bold(p) for i, p in enumerate(parts))


def _embedded(root: Path, path: str) -> str:
    """A figure as a ``data:`` URI, so the page needs no file beside it."""
    data = base64.b64encode((root / path).read_bytes()).decode("ascii")
    return f"data:image/png;base64,{data}"


def _cell(tag: str, value: object) -> str:
    """A table cell; one of several words is marked ``text``, which print may hyphenate.

    A number or a single word is never broken: '+11,111' split over two lines misreads.
    """
    text = str(value)
    kind = ' class="text"' if " " in text.strip() else ""
    return f"<{tag}{kind}>{html.escape(text)}</{tag}>"


def to_html(blocks: Sequence[Block], title: str, root: Path) -> str:
    """The report as one self-contained HTML page: figures from ``root`` are embedded."""
    body: list[str] = []
    for block in blocks:
        if block.kind in ("h1", "h2", "h3"):
            body.append(f"<{block.kind}>{_inline(block.text)}</{block.kind}>")
        elif block.kind == "p":
            body.append(f"<p>{_inline(block.text)}</p>")
        elif block.kind == "list":
            body.append("<ul>" + "".join(f"<li>{_inline(i)}</li>" for i in block.items) + "</ul>")
        elif block.kind == "table" and block.table is not None:
            head = "".join(_cell("th", c) for c in block.table.columns)
            rows = "".join(
                "<tr>" + "".join(_cell("td", v) for v in row) + "</tr>"
                for row in block.table.itertuples(index=False)
            )
            body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
        elif block.kind == "img":
            body.append(
                f'<figure><img src="{_embedded(root, block.path)}" '
                f'alt="{html.escape(block.text)}">'
                f"<figcaption>{html.escape(block.text)}</figcaption></figure>"
            )
    return (
        '<!DOCTYPE html>\n<html lang="en-GB"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{_CSS}{PRINT_CSS}</style></head><body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )
