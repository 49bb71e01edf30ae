"""Circular economy outputs: GeoPackage layers and styles, one map per stream, a report section.

Fed by the circular stage's tables (never the config). The words are for the small firms and
programme officers the policy report describes: resource efficiency, reducing waste, cutting
disposal costs, one firm's waste as another's raw material; not carbon accounting.

Layers
    ``circular_findings`` (producer and user findings of every stream, polygons, ``side``),
    ``circular_zones`` (symbiosis zones and gaps, ``kind``, with their authorities and
    co-operation flags), and the attribute tables ``circular_streams``,
    ``circular_zone_authorities`` and ``circular_colocation``.
Maps
    ``figures/circular_<stream>.png``: producers, users, zones and gaps of one stream.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final, Literal

import geopandas as gpd
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from clustergeo.governance.findings import finding_names, plain_name
from clustergeo.governance.summaries import and_list, lead_first, plural
from clustergeo.publish.cluster_maps import map_label, place_labels
from clustergeo.publish.figures import FigureJob
from clustergeo.publish.framing import Framing
from clustergeo.publish.map_geometry import (
    MapGeometry,
    coverage_collection,
    geometry_paths,
    path_collection,
)
from clustergeo.publish.plotting import (
    FONT_SIZES,
    add_attribution,
    add_map_furniture,
    boundary_handles,
    crs_note,
    default_figsize,
    draw_outlines,
    drawn_tiers,
    fit_height_to_map,
    frame_map,
    freeze_layout,
    geometry_for_map,
    house_style,
    set_title,
    wrap_text,
)
from clustergeo.publish.qgis_styles import (
    LabelRule,
    LayerStyle,
    _categorized,
    _document,
    _labeling,
    fill_symbol,
)
from clustergeo.publish.report import Block

__all__ = [
    "SIDE_COLOURS",
    "circular_layers",
    "circular_report_blocks",
    "circular_styles",
    "plot_stream_map",
    "stream_map_jobs",
]

#: Producers warm, users green: the same in the maps and in QGIS.
SIDE_COLOURS = {"producers": "#d95f02", "users": "#1b9e77"}
_ZONE_COLOUR = "#1f78b4"
_GAP_COLOUR = "#e7298a"
_SCATTERED_COLOUR = "#7f7f7f"
_BASE_FILL = "#f2f0eb"
_COOPERATION_WORDS = {
    "across_combined_authorities": "producers and users in different combined authorities",
    "combined_authority_and_outside": "one side in a combined authority, the other outside",
    "across_counties": "producers and users in different counties or unitary authorities",
    "across_districts": "producers and users in different districts of one county",
    "one_district": "both sides in one district",
}


def circular_layers(
    streams: pd.DataFrame,
    findings: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame,
    zone_authorities: pd.DataFrame,
    colocation: pd.DataFrame,
) -> dict[str, gpd.GeoDataFrame | pd.DataFrame]:
    """The circular layers of the GeoPackage, in the order they are written."""
    sides = findings.assign(
        stream=findings["industry_code"].str.rsplit("_", n=1).str[0],
        side=findings["industry_code"].str.rsplit("_", n=1).str[1],
    )
    return {
        "circular_findings": sides,
        "circular_zones": zones,
        "circular_streams": streams,
        "circular_zone_authorities": zone_authorities,
        "circular_colocation": colocation,
    }


#: A zone's label in QGIS: what it is and its lead district ("Gap, Birmingham"), not its id.
_ZONE_LABEL = (
    "CASE WHEN \"kind\" = 'zone' THEN 'Symbiosis zone' WHEN \"kind\" = 'gap' THEN 'Gap' "
    "ELSE 'Users scattered' END || ', ' || coalesce(\"lead_district\", \"zone_id\")"
)


def circular_styles(layers: Mapping[str, object]) -> list[LayerStyle]:
    """QGIS styles of the circular layers present: sides by colour, zones and gaps outlined."""
    styles = []
    if "circular_findings" in layers:
        categories = [
            (side, f"{side.capitalize()} of a material", fill_symbol(str(i), colour))
            for i, (side, colour) in enumerate(SIDE_COLOURS.items())
        ]
        styles.append(
            LayerStyle(
                layer="circular_findings",
                name="Producers and users",
                qml=_document(_categorized("side", categories)),
                default=True,
                description="Where each stream's producers and users are concentrated",
                renderer="categorizedSymbol",
                classes=len(categories),
            )
        )
    if "circular_zones" in layers:
        categories = [
            (
                "zone",
                "Symbiosis zone",
                fill_symbol("0", None, outline=_ZONE_COLOUR, width_mm=0.9),
            ),
            (
                "gap",
                "Gap: producers, few users near",
                fill_symbol("1", None, outline=_GAP_COLOUR, width_mm=0.9, dash=True),
            ),
            (
                "scattered",
                "Producers, users near but scattered",
                fill_symbol("2", None, outline=_SCATTERED_COLOUR, width_mm=0.6, dash=True),
            ),
        ]
        styles.append(
            LayerStyle(
                layer="circular_zones",
                name="Symbiosis zones and gaps",
                qml=_document(
                    _categorized("kind", categories),
                    _labeling(LabelRule(_ZONE_LABEL, placement=1, priority=7)),
                ),
                default=True,
                description=(
                    "Symbiosis opportunity zones (solid), gaps (dashed) and producers with "
                    "users scattered near (grey)"
                ),
                renderer="categorizedSymbol",
                classes=len(categories),
            )
        )
    return styles


def plot_stream_map(
    areas: gpd.GeoDataFrame,
    findings: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame,
    *,
    title: str,
    subtitle: str,
    producers_label: str,
    users_label: str,
    boundaries: Mapping[str, gpd.GeoDataFrame] | None = None,
    attribution: str,
    source: str | None = None,
    geometry: MapGeometry | None = None,
) -> tuple[Figure, Axes]:
    """One stream: its producers, its users, its symbiosis zones and its gaps.

    ``findings`` are the stream's producer and user findings (``side``); ``zones`` its zones,
    gaps and scattered producer findings (``kind``); zones and gaps are labelled by their
    lead district. Laid out as every map is (title, legend, furniture, then the source,
    attribution and projection under it), frozen, and only then are the areas drawn.
    """
    overlays = dict(boundaries or {})
    tiers = drawn_tiers(overlays)
    if geometry is None:
        geometry = geometry_for_map(areas, overlays)
    with house_style():
        fig, ax = plt.subplots(figsize=default_figsize(areas), layout="constrained")
        frame_map(ax, geometry.bounds)
        set_title(ax, title, subtitle)
        ax.legend(
            handles=[
                *_stream_handles(
                    producers_label,
                    users_label,
                    set(zones["kind"].astype(str)),
                    set(findings["side"].astype(str)) if "side" in findings else set(),
                ),
                *boundary_handles(tiers, overlays),
            ],
            title="Material stream",
            loc="upper left",
            bbox_to_anchor=(1.02, 1.0),
            borderaxespad=0.0,
            alignment="left",
            title_fontproperties={"weight": "bold", "size": FONT_SIZES["legend_title"]},
        )
        add_map_furniture(ax, areas)
        add_attribution(ax, attribution, crs_note=crs_note(areas), source=source)
        fit_height_to_map(fig, ax)
        freeze_layout(fig)
        ax.add_collection(
            coverage_collection(
                geometry.areas, facecolors=_BASE_FILL, edgecolors="#ffffff", linewidths=0.2
            ),
            autolim=False,
        )
        for side, colour in SIDE_COLOURS.items():
            part = findings.loc[findings["side"] == side]
            ax.add_collection(
                path_collection(
                    geometry_paths(part.geometry),
                    facecolors=colour,
                    edgecolors=colour,
                    alpha=0.6,
                    linewidths=0.6,
                    zorder=6,
                ),
                autolim=False,
            )
        # Over the producers and users: the lines between their authorities are the point.
        draw_outlines(ax, geometry, tiers, above=6)
        for kind, _words, colour, width, dash, zorder in _ZONE_LINES:
            part = zones.loc[zones["kind"] == kind]
            ax.add_collection(
                path_collection(
                    geometry_paths(part.buffer(_OUTLINE_BUFFER_M).boundary),
                    facecolors="none",
                    edgecolors=colour,
                    linewidths=width,
                    linestyles=[dash],
                    zorder=zorder,
                ),
                autolim=False,
            )
        _label_zones(ax, zones.loc[zones["kind"].isin(list(_LABELLED))])
    return fig, ax


#: How zones, gaps and scattered producers are outlined, in legend order: kind, legend words,
#: colour, width, dash and z-order (zones and gaps over the scattered producers).
_ZONE_LINES: tuple[tuple[str, str, str, float, Literal["-", "--", ":"], int], ...] = (
    ("zone", "Symbiosis zone", _ZONE_COLOUR, 1.4, "-", 8),
    ("gap", "Gap: few users near", _GAP_COLOUR, 1.4, "--", 8),
    ("scattered", "Producers with users near, scattered", _SCATTERED_COLOUR, 0.9, ":", 7),
)
#: The legend's text column, in points: as wide as the other maps' legends.
_LEGEND_WIDTH_PT = 120
#: How far outside its places a zone's outline runs, in metres, so it reads around the fills.
_OUTLINE_BUFFER_M = 400


def _stream_handles(
    producers_label: str, users_label: str, kinds: set[str], sides: set[str]
) -> list[Patch | Line2D]:
    """The legend's entries: the two sides (which name the stream), then the outlines drawn.

    A side with no place on the map (of ``sides``, those drawn) still names the stream, and
    says that none was found.
    """

    def side(key: str, words: str, label: str) -> Patch:
        none = "" if key in sides else " (none found)"
        return Patch(facecolor=SIDE_COLOURS[key], alpha=0.6, label=_wrap(f"{words}: {label}{none}"))

    handles: list[Patch | Line2D] = [
        side("producers", "Producers", producers_label),
        side("users", "Users", users_label),
    ]
    handles += [
        Line2D([], [], color=colour, linewidth=width, linestyle=dash, label=_wrap(words))
        for kind, words, colour, width, dash, _zorder in _ZONE_LINES
        if kind in kinds
    ]
    return handles


#: The kinds of place named on a stream's map, in the order their names are placed, with the
#: colour of the name (that of the outline): scattered producers are many and unnamed.
_LABELLED: Final = {"zone": _ZONE_COLOUR, "gap": _GAP_COLOUR}
#: How far a name may go from its zone or gap, in points, on a leader line.
_LABEL_REACH_PT: Final = 90.0


def _label_zones(ax: Axes, zones: gpd.GeoDataFrame) -> None:
    """Name each zone and gap by its lead district, once per district and kind, beside it.

    Zones are named first, then gaps, the larger producer employment first in each. A name
    goes beside its place, clear of the box around each part of every zone and gap, of the
    other names and the furniture, tied back by a leader line where it sits away from it; one
    that fits nowhere within reach is left off (the report's tables list every zone and gap).
    """
    if zones.empty or "lead_district" not in zones:
        return
    order = {kind: i for i, kind in enumerate(_LABELLED)}
    named = zones.assign(_order=zones["kind"].map(order))
    named = named.sort_values(["_order", "producer_employment"], ascending=[True, False])
    # One name per district and kind: three gaps in one city would print its name thrice.
    named = named.drop_duplicates(["kind", "lead_district"])
    # Each part's box, not the whole zone's: a zone of two places far apart would otherwise
    # keep every name out of the country between them.
    outlines = zones.buffer(_OUTLINE_BUFFER_M).explode(index_parts=False)
    texts, anchors = [], []
    for row in named.itertuples():
        district = getattr(row, "lead_district", None)
        if not isinstance(district, str) or not district:
            continue
        point = row.geometry.representative_point()
        name = textwrap.fill(plain_name(district), 18)
        texts.append(map_label(ax, (point.x, point.y), name, _LABELLED[str(row.kind)]))
        anchors.append((point.x, point.y))
    place_labels(
        ax,
        texts,
        anchors,
        reach_pt=_LABEL_REACH_PT,
        avoid=[tuple(b) for b in outlines.bounds.to_numpy()],
        leader_colour="#555555",
    )


def _wrap(text: str) -> str:
    return wrap_text(text, FONT_SIZES["legend"], _LEGEND_WIDTH_PT)


def _stream_subtitle(sides: set[str], distance_km: float) -> str:
    """What a stream's map shows: zones and gaps, or why it can show neither.

    Without producer places there is nothing to join or to lack users; without user places
    there is no zone, but producers can still be gaps (few users within reach, counted
    area by area).
    """
    text = "Producers and users concentrated (clusters and single places). "
    gap = "a gap is producers with clearly fewer users within reach than the economy's average."
    if "producers" not in sides:
        return text + "No producer place was found, so the map has no zone and no gap."
    if "users" not in sides:
        return text + f"No user place was found, so the map has no zone; {gap}"
    return text + (
        f"A zone joins producers and users within {distance_km:g} km or side by side; {gap}"
    )


def stream_map_jobs(
    layers: Mapping[str, gpd.GeoDataFrame | pd.DataFrame],
    *,
    areas: gpd.GeoDataFrame,
    boundaries: Mapping[str, gpd.GeoDataFrame],
    framing: Framing,
    distance_km: float,
    geometry: MapGeometry | None = None,
) -> list[FigureJob]:
    """One map per stream that ran (``circular_<stream>``), as jobs to draw.

    ``geometry`` is the study area's prepared for the run's other maps, if made already
    (:func:`~clustergeo.publish.plotting.geometry_for_map` of ``areas`` and ``boundaries``).
    """
    streams = layers["circular_streams"]
    findings = layers["circular_findings"]
    zones = layers["circular_zones"]
    assert isinstance(findings, gpd.GeoDataFrame)
    assert isinstance(zones, gpd.GeoDataFrame)
    if geometry is None:
        # Simplified once for every stream's map.
        geometry = geometry_for_map(areas, boundaries)

    def job(row: Any) -> FigureJob:
        mine = findings.loc[findings["stream"] == row.stream]
        sides = set(mine["side"].astype(str)) if "side" in mine else set()
        return FigureJob(
            f"circular_{row.stream!s}",
            lambda: plot_stream_map(
                areas,
                mine,
                zones.loc[zones["stream"] == row.stream],
                title=framing.heading(f"{row.label!s}: producers and users"),
                subtitle=_stream_subtitle(sides, distance_km),
                producers_label=str(row.producers),
                users_label=str(row.users),
                boundaries=boundaries,
                attribution=framing.attribution,
                source=framing.source_line,
                geometry=geometry,
            )[0],
        )

    return [job(row) for row in streams.loc[streams["status"] == "run"].itertuples()]


def circular_report_blocks(
    streams: pd.DataFrame,
    zones: pd.DataFrame,
    *,
    distance_km: float,
    figures: Sequence[str],
    global_permutations: int = 0,
    user_places: Mapping[str, Sequence[str]] | None = None,
) -> list[Block]:
    """The report's circular-economy section, in plain words for firms and programme officers.

    ``figures`` are the stream maps' paths relative to the report
    (``figures/circular_<stream>.png``); ``global_permutations`` those of the global
    bivariate Moran's I (0: not said); ``user_places`` each stream's (by its label) user
    places by name, named where they are few (its zones and gaps are measured to them).
    """
    ran = streams.loc[streams["status"] == "run"]
    blocks = [
        Block("h2", "Resource efficiency: one firm's waste, another's raw material"),
        Block(
            "p",
            "Reducing waste saves firms money: every skip sent to landfill is a disposal cost, "
            "and a material another firm can use is a cost turned into a sale. That works "
            "best where the firms that produce a waste and the firms that could use it are "
            "close. For each material stream below, this section maps where its producers "
            "and its users are concentrated, and finds **symbiosis zones**, places where "
            f"both sit side by side or within {distance_km:g} km of each other, and **gaps**, "
            "places with many producers and clearly fewer users within reach than the "
            "economy as a whole has for as many jobs, where a programme could help set up "
            "collection, reuse or recycling. Producer places with no user place near but "
            "users within reach in ordinary numbers are listed apart: there the users are "
            "scattered, and a programme would broker links with firms already nearby.",
        ),
    ]
    table = pd.DataFrame(
        {
            "Material": ran["label"],
            "From (producers)": ran["producers"],
            "To (users)": ran["users"],
            "Producer places": ran["producer_findings"].astype(int),
            "User places": ran["user_findings"].astype(int),
            "Zones": ran["zones"].astype(int),
            "…needing authorities to co-operate": ran["zones_needing_cooperation"].astype(int),
            "Gaps": ran["gaps"].astype(int),
            "Users near, scattered": ran["scattered"].astype(int),
            "Found together? (p)": [
                _together(i, p)
                for i, p in zip(ran["moran_bv_i"], ran["moran_bv_p_sim"], strict=True)
            ],
        }
    )
    blocks.append(Block("table", table=table))
    blocks.append(
        Block(
            "p",
            '"Found together?" asks whether, across the whole study area, places with more '
            "producers are surrounded by places with more users than chance would give (the "
            "bivariate Moran's I, with a p-value from "
            + (
                f"{global_permutations:,} random permutations, so none is below "
                f"{1 / (global_permutations + 1):.2g} one-sided, "
                f"{2 / (global_permutations + 1):.2g} two-sided"
                if global_permutations
                else "random permutations"
            )
            + "). It is one test of the whole study area, not of any place: a stream can be "
            "found together overall yet have few places where both sit side by side; the "
            "zones below are those places. A place counts as a producer or user place when "
            "the run's cluster rules find a cluster or a single large concentration of that "
            "side there.",
        )
    )
    not_run = streams.loc[streams["status"] != "run"]
    if not not_run.empty:
        blocks.append(
            Block(
                "p",
                "Streams that need finer industry detail than this data has, and were not run: "
                + "; ".join(f"{row.label}" for row in not_run.itertuples())
                + ". See `circular/streams.csv` for why.",
            )
        )
    if (ran["finer"].fillna("") != "").any():
        blocks.append(
            Block(
                "p",
                "**Read these as leads to check, not findings.** With industry detail by "
                "section only, each side is a whole section: the users' section E also holds "
                "water supply and sewerage, so a user place can be a water company's offices "
                "or works rather than waste firms, and most producers' jobs make no waste of "
                "the stream. Check the firms in a zone or gap before acting on it; the last "
                "part of this section says what finer data would settle.",
            )
        )
    few = _few_user_places(user_places or {})
    if few:
        blocks.append(Block("p", few))
    blocks += _zone_blocks(zones, distance_km)
    labels = ran.set_index("stream")["label"]
    if figures:
        blocks.append(Block("h2", "Maps of each material stream"))
    for path in figures:
        stream = Path(path).stem.removeprefix("circular_")
        caption = f"{labels.get(stream, stream)}: producers, users, symbiosis zones and gaps"
        blocks.append(Block("img", caption, path=path))
    finer = ran.loc[ran["finer"].fillna("") != ""]
    if not finer.empty:
        blocks.append(Block("h2", "What finer industry detail would add"))
        blocks.append(
            Block(
                "list",
                items=tuple(f"**{row.label}.** {row.finer}" for row in finer.itertuples()),
            )
        )
    blocks.append(Block("h2", "Where the links between industries come from"))
    blocks.append(
        Block(
            "list",
            items=tuple(
                f"**{row.label}.** " + " ".join(str(row.sources).split(" | "))
                for row in ran.itertuples()
            ),
        )
    )
    return blocks


def _together(moran: float, p: float) -> str:
    if pd.isna(moran):
        return "not tested"
    verdict = "yes" if moran > 0 and p <= 0.05 else "apart" if moran < 0 and p <= 0.05 else "no"
    return f"{verdict} ({p:.3g})"


def _zone_blocks(zones: pd.DataFrame, distance_km: float) -> list[Block]:
    found = zones.loc[zones["kind"] == "zone"]
    gaps = zones.loc[zones["kind"] == "gap"]
    blocks = [Block("h2", "Symbiosis zones and the authorities that must co-operate")]
    if found.empty:
        blocks.append(Block("p", "No producer place has a user place near it in this run."))
    else:
        needing = found.loc[found["cooperation_needed"].fillna(False).astype(bool)]
        blocks.append(
            Block(
                "p",
                f"{plural(len(found), 'zone')} in all; in {len(needing)} the producers and the "
                "users sit in different authorities, so closing the loop needs an agreement "
                "between them (the broker, where there is one, holds both sides).",
            )
        )
        ranked = found.sort_values(["producer_employment", "zone_id"], ascending=[False, True])
        blocks.append(
            Block(
                "table",
                table=pd.DataFrame(
                    {
                        "Material": ranked["label"],
                        "Where": _where(ranked),
                        "Producer jobs": ranked["producer_employment"].map("{:,.0f}".format),
                        "User jobs": ranked["user_employment"].map("{:,.0f}".format),
                        "Co-operation": ranked["cooperation"].map(
                            lambda v: _COOPERATION_WORDS.get(str(v), "")
                        ),
                        "Between": ranked["agreement"].fillna(""),
                        "Broker": ranked["broker"].fillna(""),
                    }
                ).head(_TABLE_ROWS),
            )
        )
        blocks += _shown(len(found), "zones")
    blocks.append(Block("h2", "Gaps: producers with few users near"))
    if gaps.empty:
        blocks.append(Block("p", "No producer place lacks users within reach."))
    else:
        blocks.append(
            Block(
                "p",
                f"Users' jobs within {distance_km:g} km are set against all jobs there: a "
                "ratio below 1 means fewer users for the size of the local economy than in "
                "the economy the run compares with; a gap's ratio is below 1 beyond chance "
                "(its confidence interval lies below 1). Only the run's areas are counted: "
                "near the edge of the study area the users within reach and the nearest user "
                "place leave out those beyond it.",
            )
        )
        blocks.append(Block("table", table=_unlinked_table(gaps, "Who could act")))
        blocks += _shown(len(gaps), "gaps")
    scattered = zones.loc[zones["kind"] == "scattered"]
    if not scattered.empty:
        blocks.append(Block("h2", "Producers with users near but scattered"))
        blocks.append(
            Block(
                "p",
                "No user place is near these producer places, but users are found within "
                "reach in ordinary numbers (a ratio not clearly below 1), spread among "
                "other firms.",
            )
        )
        blocks.append(Block("table", table=_unlinked_table(scattered, "Who could broker")))
        blocks += _shown(len(scattered), "scattered producer places")
    return blocks


#: At most this many user places in a run are named, with a word on what rests on them.
_FEW_USER_PLACES = 5


def _few_user_places(places: Mapping[str, Sequence[str]]) -> str:
    """Which streams' users are found at only a few places, naming them, or nothing.

    'The users of every stream are found at only 2 places in this run, Coventry 031 and
    Walsall 017: ...' where the streams share them, else one clause per stream with few.
    """
    few = {
        label: list(names) for label, names in places.items() if 0 < len(names) <= _FEW_USER_PLACES
    }
    if not few:
        return ""
    shared = {tuple(names) for names in few.values()}
    ending = (
        ": every zone, gap and distance to the nearest user place of {which} rests on "
        "{them}, so check {them} first."
    )
    if len(shared) == 1 and len(few) == len(places) and len(places) > 1:
        (names,) = shared
        them = "it" if len(names) == 1 else "them"
        return (
            f"The users of every stream are found at only {plural(len(names), 'place')} in "
            f"this run, {and_list(list(names))}" + ending.format(which="each stream", them=them)
        )
    clauses = [
        f"those of {label} at only {plural(len(names), 'place')}, {and_list(names)}"
        for label, names in few.items()
    ]
    them = "it" if all(len(n) == 1 for n in few.values()) else "them"
    which = "that stream" if len(few) == 1 else "those streams"
    return (
        "The users are found at few places: "
        + "; ".join(clauses)
        + ending.format(which=which, them=them)
    )


def _where(rows: pd.DataFrame) -> pd.Series:
    """The districts each row lies in, with what tells apart rows of a material that share them.

    That is what the row's ``name`` adds to the name its districts alone give (see
    :func:`~clustergeo.governance.findings.finding_names`): a compass point, in brackets beside
    the lead district since the districts are a comma-separated list ('Leicester (north-west)'),
    the anchor area's name standing in for its district ('Telford and Wrekin 023') or after
    the list, or the ID in brackets. A row in no district shows its name's place.
    """
    listed = [
        [d for d in districts.split("; ") if d]
        for districts in rows["districts"].fillna("").astype(str)
    ]
    # Districts read as places ('Herefordshire'), as the names do.
    where = [", ".join(plain_name(d) for d in parts) for parts in listed]
    if "name" not in rows:
        return pd.Series(where, index=rows.index)
    leads = rows.get("lead_district", pd.Series("", index=rows.index)).fillna("").astype(str)
    shown = []
    for parts, districts, lead, name, plains in zip(
        listed, where, leads, rows["name"].astype(str), _plain_names(rows, leads), strict=True
    ):
        if not parts:
            # Placed in no district: its name's place (an area, or nothing) is all there is.
            shown.append(name.split(": ", 1)[1] if ": " in name else "")
            continue
        # The longest name its districts alone could give (the second district is the one
        # holding most after the lead, which the shares in the name decided).
        plain = max((p for p in plains if name.startswith(p)), key=len, default=name)
        added = name.removeprefix(plain)
        if added.startswith(", "):
            # The compass point is from the lead district's centre: it goes beside that name.
            at = parts.index(lead) if lead in parts else len(parts) - 1
            places = [plain_name(d) for d in parts]
            places[at] = f"{places[at]} ({added[2:]})"
            shown.append(", ".join(places))
        else:
            shown.append(districts + added)
    return pd.Series(shown, index=rows.index)


def _plain_names(rows: pd.DataFrame, leads: pd.Series) -> list[list[str]]:
    """Per row, every name its label and districts alone can give, whichever is second."""
    alphabetical = finding_names(rows)
    names = []
    for (_, row), lead, first in zip(rows.iterrows(), leads, alphabetical, strict=True):
        parts = [d for d in str(row["districts"] or "").split("; ") if d]
        others = [d for d in parts if d != lead] if lead in parts else []
        more = " and others" if len(parts) > 2 else ""
        names.append(
            [
                first,
                *(
                    f"{row['label']}: {plain_name(lead)} / {plain_name(other)}{more}"
                    for other in others
                ),
            ]
        )
    return names


#: Rows a zone, gap or scattered table shows; the rest are in the CSVs.
_TABLE_ROWS = 15


def _shown(count: int, what: str) -> list[Block]:
    """A line saying a table shows only the largest rows, where it does."""
    if count <= _TABLE_ROWS:
        return []
    return [
        Block(
            "p",
            f"The {_TABLE_ROWS} largest of {count:,} {what} by producer jobs; every one is in "
            "`circular/zones.csv`.",
        )
    ]


def _unlinked_table(rows: pd.DataFrame, actor: str) -> pd.DataFrame:
    """Gaps or scattered producer places, largest first (at most 15)."""
    ranked = rows.sort_values(["producer_employment", "zone_id"], ascending=[False, True])
    return pd.DataFrame(
        {
            "Material": ranked["label"],
            "Where": _where(ranked),
            "Producer jobs": ranked["producer_employment"].map("{:,.0f}".format),
            "Nearest user place": ranked["nearest_user_km"].map(
                lambda v: "none in the study area" if pd.isna(v) else f"{v:.0f} km"
            ),
            "User jobs within reach": ranked["users_nearby_employment"].map("{:,.0f}".format),
            "Users for the jobs there (1 = average)": ranked["users_nearby_lq"].map(
                lambda v: "" if pd.isna(v) else f"{v:.2f}"
            ),
            # Every district the place straddles can act on it, the lead first.
            actor: [
                ", ".join(plain_name(d) for d in lead_first(districts, lead))
                for districts, lead in zip(
                    ranked["districts"], ranked["lead_district"], strict=True
                )
            ],
        }
    ).head(_TABLE_ROWS)
