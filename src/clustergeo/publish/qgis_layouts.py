"""QGIS print layouts: one A4 landscape page per map theme, ready for a board paper.

Each layout holds a map that follows its theme (so it shows that theme's layers in that
theme's styles, whatever the map canvas shows), a legend of what the map shows, a scale bar
in kilometres, a north arrow, a title and subtitle, and the data source and attribution.
They are written as the subset of QGIS's ``<Layout>`` XML that QGIS needs; QGIS fills in
every other property with its defaults.

Page plan (millimetres, A4 landscape 297 x 210)::

    +-----------------------------------------------------------+
    | title / subtitle                                          |
    | +-------------------------------------+ +---------------+ |
    | | map                        north ^  | | legend        | |
    | |                                     | |               | |
    | | scale bar                 close-up  | | source, credit| |
    | +-------------------------------------+ +---------------+ |
    +-----------------------------------------------------------+

On a national run each map also shows London enlarged, in a map of its own with its own
scale bar, in the bottom-right corner of the page's map (as drawn) or else its top-left,
whichever covers no area (:class:`LayoutCloseUp`); the map outlines its extent.
"""

from __future__ import annotations

import hashlib
import itertools
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final
from xml.sax.saxutils import quoteattr

__all__ = [
    "LAYOUT_MARGIN",
    "PAGE_MM",
    "LayoutCloseUp",
    "PrintLayout",
    "close_up_places",
    "layout_extent",
    "layouts_xml",
    "scale_bar_km",
    "source_height",
]

PAGE_MM: Final = (297.0, 210.0)
_MAP = (10.0, 24.0, 192.0, 176.0)  # x, y, width, height
_SIDE = (208.0, 24.0, 79.0)  # x, y, width of the legend and source column
#: The source and credit text: 7 pt, at most this many characters to a line of the side
#: column (DejaVu Sans averages about 1.3 mm a character at 7 pt), each line this tall.
_SOURCE_FONT_PT = 7.0
_SOURCE_LINE_CHARACTERS = 52
_SOURCE_LINE_MM = 3.2
#: The space between the legend's foot and the source text.
_LEGEND_GAP_MM = 3.0
_FONT = "DejaVu Sans"
_NORTH_ARROW = ":/images/north_arrows/layout_default_north_arrow.svg"
#: Scale-bar segment lengths to choose from, in kilometres.
_NICE_KM = (0.5, 1, 2, 5, 10, 20, 25, 50, 100, 200)


@dataclass(frozen=True)
class PrintLayout:
    """One page: its name (also the theme its map follows) and its texts."""

    theme: str
    title: str
    subtitle: str
    source: str
    #: The legend's layers, top first, as (layer id, title, the project's group of the layer):
    #: those the theme shows.
    legend: tuple[tuple[str, str, str], ...] = ()


@dataclass(frozen=True)
class LayoutCloseUp:
    """A part of the study area every layout also shows enlarged, in a map inside its map.

    ``view`` is the part's square extent (metres); ``box`` the inset's ``(x, y, width,
    height)`` on the page (millimetres), a place over no area (:func:`close_up_places`).
    """

    place: str
    view: tuple[float, float, float, float]
    box: tuple[float, float, float, float]


#: The sides a layout's close-up may have, largest first, and its distance from the map
#: frame's edges (mm).
_CLOSE_UP_SIDES_MM = (52.0, 46.0, 40.0)
_CLOSE_UP_INSET_MM = 3.0
#: The height of the close-up's title, set above it (mm).
_CLOSE_UP_TITLE_MM = 5.0
#: How far from every area the close-up and its title keep (mm), so that no label set at a
#: coast lies under it.
_CLOSE_UP_CLEARANCE_MM = 4.0


def close_up_places(
    bounds: Sequence[float],
) -> list[tuple[tuple[float, float, float, float], tuple[float, float, float, float]]]:
    """Where a close-up may go in every layout's map, in order of preference.

    Each place is the inset's box on the page ``(x, y, width, height)`` in millimetres and the
    extent ``(xmin, ymin, xmax, ymax)`` in metres that the box and its title cover on the
    main map of a study area of ``bounds``, with :data:`_CLOSE_UP_CLEARANCE_MM` round them:
    the caller takes the first that covers no area.
    The bottom-right and top-left corners of the map frame (the scale bar holds the
    bottom-left and the north arrow the top-right), each at every size of
    :data:`_CLOSE_UP_SIDES_MM`, the largest first.
    """
    extent = layout_extent(bounds)
    x0, y0, width, height = _MAP
    metres_per_mm = (extent[2] - extent[0]) / width
    gap, title, clear = _CLOSE_UP_INSET_MM, _CLOSE_UP_TITLE_MM, _CLOSE_UP_CLEARANCE_MM
    boxes = [
        box
        for side in _CLOSE_UP_SIDES_MM
        for box in (
            (x0 + width - gap - side, y0 + height - gap - side, side, side),
            (x0 + gap, y0 + gap + title, side, side),
        )
    ]
    places = []
    for x, y, w, h in boxes:
        # Page millimetres run down from the frame's top, metres up from the extent's foot.
        covered = (
            extent[0] + (x - clear - x0) * metres_per_mm,
            extent[3] - (y + h + clear - y0) * metres_per_mm,
            extent[0] + (x + w + clear - x0) * metres_per_mm,
            extent[3] - (y - title - clear - y0) * metres_per_mm,
        )
        places.append(((x, y, w, h), covered))
    return places


def _uuid(*parts: str) -> str:
    """A stable ``{8-4-4-4-12}`` id, so rewriting the project does not change it needlessly."""
    digest = hashlib.sha1("/".join(parts).encode(), usedforsecurity=False).hexdigest()
    return f"{{{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}}}"


def _font(size_pt: float, *, bold: bool = False) -> str:
    """A Qt font description: family, size, -1, style hint, weight (75 bold, 50 normal)."""
    return f"{_FONT},{size_pt:g},-1,5,{75 if bold else 50},0,0,0,0,0"


def _item(
    kind: int, uuid: str, box: tuple[float, float, float, float], *, z: int, attrs: str, body: str
) -> str:
    x, y, width, height = box
    return (
        f'<LayoutItem type="{kind}" uuid="{uuid}" templateUuid="{uuid}" id="" '
        f'position="{x:g},{y:g},mm" positionOnPage="{x:g},{y:g},mm" size="{width:g},{height:g},mm" '
        f'zValue="{z}" visibility="1" referencePoint="0" itemRotation="0" positionLock="false" '
        f'opacity="1" blendMode="0" excludeFromExports="0" groupUuid="" {attrs}>'
        '<FrameColor red="60" green="60" blue="60" alpha="255"/>'
        '<BackgroundColor red="255" green="255" blue="255" alpha="255"/>'
        f"{body}</LayoutItem>"
    )


#: The margin round the study area in a layout's map, as a share of its larger side: as in the
#: project's view, so no edge of the study area (Shetland's tip) runs into the frame.
LAYOUT_MARGIN: Final = 0.03


def layout_extent(bounds: Sequence[float]) -> tuple[float, float, float, float]:
    """The study area's bounds with a margin, widened to the map frame's proportions, centred."""
    xmin, ymin, xmax, ymax = (float(v) for v in bounds)
    pad = LAYOUT_MARGIN * max(xmax - xmin, ymax - ymin)
    xmin, ymin, xmax, ymax = xmin - pad, ymin - pad, xmax + pad, ymax + pad
    aspect = _MAP[2] / _MAP[3]
    width, height = xmax - xmin, ymax - ymin
    if width / height < aspect:
        width = height * aspect
    else:
        height = width / aspect
    cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
    return (cx - width / 2, cy - height / 2, cx + width / 2, cy + height / 2)


def scale_bar_km(extent_width_m: float) -> float:
    """A round segment length: two segments span about a fifth of the map's width."""
    target = extent_width_m / 1000 / 10
    return max((k for k in _NICE_KM if k <= target), default=_NICE_KM[0])


def _map_item(
    page: PrintLayout,
    uuid: str,
    extent: Sequence[float],
    *,
    box: tuple[float, float, float, float] = _MAP,
    z: int = 1,
    overview_of: str | None = None,
) -> str:
    """A map following the page's theme; ``overview_of`` a map whose extent it outlines."""
    xmin, ymin, xmax, ymax = extent
    overview = _overview(_uuid(uuid, "overview"), overview_of) if overview_of is not None else ""
    return _item(
        65639,
        uuid,
        box,
        z=z,
        attrs=f'frame="true" background="true" outlineWidthM="0.3,mm" frameJoinStyle="miter" '
        f'followPreset="true" followPresetName={quoteattr(page.theme)} keepLayerSet="false" '
        'drawCanvasItems="false" mapRotation="0" mapFlags="0" labelMargin="0,mm" isTemporal="0"',
        body=f'<Extent xmin="{xmin:.1f}" ymin="{ymin:.1f}" xmax="{xmax:.1f}" ymax="{ymax:.1f}"/>'
        f'<LayerSet/>{overview}<AtlasMap atlasDriven="0" scalingMode="2" margin="0.1"/>',
    )


def _overview(uuid: str, frame_map: str) -> str:
    """The extent of map ``frame_map`` outlined: a dark dashed line on a white one.

    The white keeps the dashes apart from the county lines and dark fills they cross.
    """
    strokes = (("255,255,255,255", "solid", "1.3"), ("34,34,34,255", "dash", "0.6"))
    layers = "".join(
        '<layer locked="0" enabled="1" pass="0" class="SimpleFill"><Option type="Map">'
        + "".join(
            f'<Option name="{name}" type="QString" value="{value}"/>'
            for name, value in (
                ("color", "0,0,0,0"),
                ("style", "no"),
                ("outline_color", colour),
                ("outline_style", style),
                ("outline_width", width),
                ("outline_width_unit", "MM"),
                ("joinstyle", "miter"),
            )
        )
        + "</Option></layer>"
        for colour, style, width in strokes
    )
    return (
        f'<ComposerMapOverview name="Close-up" uuid="{uuid}" frameMap="{frame_map}" '
        'blendMode="0" position="3" inverted="0" show="1" centered="0">'
        f'<symbol alpha="1" clip_to_extent="1" name="" force_rhr="0" type="fill">{layers}'
        "</symbol></ComposerMapOverview>"
    )


#: The most characters of a title set at full size on one line of the page's width.
_TITLE_CHARACTERS = 80


def _title_font(title: str) -> str:
    """The title's font: 15 pt, smaller for a long title so it stays on its one line.

    QGIS wraps a label's text inside its box and clips what does not fit, so a long industry
    name ("Professional, scientific and technical: ...") would lose its end under the subtitle.
    """
    return _font(max(9.0, round(15 * min(1.0, _TITLE_CHARACTERS / len(title)), 1)), bold=True)


#: Qt's vertical alignments of a label's text in its box.
_TOP, _BOTTOM = 32, 64


def _label(
    uuid: str,
    box: tuple[float, float, float, float],
    text: str,
    font: str,
    *,
    valign: int = _TOP,
) -> str:
    return _item(
        65641,
        uuid,
        box,
        z=3,
        attrs=f'frame="false" background="false" labelText={quoteattr(text)} htmlState="0" '
        f'marginX="0" marginY="0" halign="1" valign="{valign}"',
        body=f'<LabelFont style="" description="{font}"/>'
        '<FontColor red="30" green="30" blue="30" alpha="255"/>',
    )


#: The project's group of authority boundary layers, which the layouts' legend sets under a
#: heading of their own: one line and symbol each, they would otherwise read as classes of
#: the layer listed above them.
AUTHORITIES_GROUP: Final = "Authorities"
#: The principal places' layer title: in the authorities' group, so a heading names it too.
PLACES_TITLE: Final = "Principal places"


def _legend_tree(layers: Sequence[tuple[str, str, str]]) -> str:
    """The legend's own layer tree: the theme's layers, not the whole project's.

    The authority boundaries, in a run of them, go under an "Authority boundaries" heading
    ("Places and authority boundaries" where the principal places are among them).
    """
    parts = []
    for group, run in itertools.groupby(layers, key=lambda layer: layer[2] == AUTHORITIES_GROUP):
        members = list(run)
        nodes = "".join(
            f'<layer-tree-layer id="{layer_id}" name={quoteattr(title)} checked="Qt::Checked" '
            'expanded="1"><customproperties/></layer-tree-layer>'
            for layer_id, title, _group in members
        )
        places = any(title == PLACES_TITLE for _id, title, _group in members)
        heading = "Places and authority boundaries" if places else "Authority boundaries"
        parts.append(
            f'<layer-tree-group name="{heading}" checked="Qt::Checked" expanded="1">'
            f"<customproperties/>{nodes}</layer-tree-group>"
            if group
            else nodes
        )
    return "<layer-tree-group><customproperties/>" + "".join(parts) + "</layer-tree-group>"


def source_height(text: str) -> float:
    """The height (mm) the source text takes in the side column, with a line to spare.

    The text sits at the foot of the column, level with the map's lower edge, and the legend
    has the rest: a fixed source box left a long legend (the 21 sections of a GVA run) too
    little room, and QGIS clips a legend at its box.
    """
    lines = sum(
        max(1, len(textwrap.wrap(line, _SOURCE_LINE_CHARACTERS))) for line in text.split("\n")
    )
    return (lines + 1) * _SOURCE_LINE_MM


def _legend(
    uuid: str, map_uuid: str, layers: Sequence[tuple[str, str, str]], source_mm: float
) -> str:
    x, y, width = _SIDE
    height = _MAP[1] + _MAP[3] - source_mm - _LEGEND_GAP_MM - y
    styles = "".join(
        f'<style name="{name}" alignment="1" indent="0" marginTop="{top:g}" marginLeft="{left:g}">'
        f'<styleFont style="" description="{_font(size, bold=bold)}"/></style>'
        for name, size, bold, top, left in (
            ("title", 11, True, 0, 0),
            ("group", 9, True, 2.5, 0),
            ("subgroup", 8.5, True, 2, 0),
            ("symbol", 8, False, 1.5, 0),
            ("symbolLabel", 8, False, 1.5, 2),
        )
    )
    # Filtered by the map's content, the legend lists only the classes the page shows. No
    # title: the page's title says what the map is, and "Legend" would take a line from it.
    return _item(
        65642,
        uuid,
        (x, y, width, height),
        z=4,
        attrs=f'map_uuid="{map_uuid}" title="" legendFilterByMap="1" legendFilterByAtlas="0" '
        'resizeToContents="0" columnCount="1" splitLayer="0" equalColumnWidth="0" '
        'symbolWidth="6" symbolHeight="3.5" wrapChar="" lineSpacing="1" boxSpace="1" '
        'columnSpace="2" titleAlignment="1" frame="false" background="true" '
        'fontColor="#1e1e1e" rasterBorder="1" rasterBorderWidth="0" '
        'rasterBorderColor="0,0,0,255"',
        body=f"<styles>{styles}</styles>{_legend_tree(layers)}",
    )


def _scale_bar(
    uuid: str,
    map_uuid: str,
    extent: Sequence[float],
    frame: tuple[float, float, float, float] = _MAP,
    *,
    compact: bool = False,
) -> str:
    """Two segments of a round length, at the lower left inside the map ``frame``.

    ``compact``: in a box no larger than its bar and numbers, at the lower right (a
    close-up's, which its white box would otherwise hide a corner of).
    """
    km = scale_bar_km(extent[2] - extent[0])
    mm_per_km = frame[2] / ((extent[2] - extent[0]) / 1000)
    x, y, width, height = frame
    if compact:
        size = 2 * km * mm_per_km + 9
        box = (x + width - size - 1.5, y + height - 8.5, size, 7.0)
    else:
        box = (x + 4, y + height - 14, 2 * km * mm_per_km + 16, 11.0)
    font_pt, spacing = (6.5, 0.8) if compact else (7.5, 1.0)
    return _item(
        65646,
        uuid,
        box,
        z=5,
        attrs=f'mapUuid="{map_uuid}" style="Single Box" unitType="kilometers" unitLabel="km" '
        f'numMapUnitsPerScaleBarUnit="1000" numUnitsPerSegment="{km * 1000:g}" numSegments="2" '
        'numSegmentsLeft="0" numSubdivisions="1" segmentSizeMode="0" height="2" '
        f'labelBarSpace="1.5" boxContentSpace="{spacing:g}" alignment="0" outlineWidth="0.3" '
        'frame="false" background="true"',
        body=f'<text-style fontFamily="{_FONT}" fontSize="{font_pt:g}" fontSizeUnit="Point" '
        'textColor="30,30,30,255" fontWeight="50" namedStyle="Regular"/>'
        '<fillColor red="40" green="40" blue="40" alpha="255"/>'
        '<fillColor2 red="255" green="255" blue="255" alpha="255"/>'
        '<strokeColor red="40" green="40" blue="40" alpha="255"/>',
    )


def _north_arrow(uuid: str, map_uuid: str) -> str:
    box = (_MAP[0] + _MAP[2] - 14, _MAP[1] + 3, 10, 14)
    return _item(
        65640,
        uuid,
        box,
        z=6,
        attrs=f'mapUuid="{map_uuid}" file="{_NORTH_ARROW}" mode="2" resizeMode="0" '
        'northMode="0" northOffset="0" anchorPoint="0" pictureRotation="0" '
        'svgFillColor="30,30,30,255" svgBorderColor="30,30,30,255" svgBorderWidth="0.2" '
        'frame="false" background="false"',
        body="",
    )


def _close_up_items(page: PrintLayout, close_up: LayoutCloseUp, uuid: str) -> str:
    """The close-up's map, framed, its title above it and its own scale bar in it."""
    x, y, width, _height = close_up.box
    return (
        _map_item(page, uuid, close_up.view, box=close_up.box, z=2)
        + _label(
            _uuid(page.theme, "close-up title"),
            (x, y - _CLOSE_UP_TITLE_MM, width, _CLOSE_UP_TITLE_MM),
            f"{close_up.place}, enlarged",
            _font(8, bold=True),
            valign=_BOTTOM,
        )
        + _scale_bar(
            _uuid(page.theme, "close-up bar"), uuid, close_up.view, close_up.box, compact=True
        )
    )


def _layout(page: PrintLayout, extent: Sequence[float], close_up: LayoutCloseUp | None) -> str:
    ids = {part: _uuid(page.theme, part) for part in ("page", "map", "legend", "bar", "north")}
    ids |= {part: _uuid(page.theme, part) for part in ("title", "subtitle", "source", "close-up")}
    width, height = PAGE_MM
    page_item = _item(
        65638,
        ids["page"],
        (0, 0, width, height),
        z=0,
        attrs='frame="false" background="true"',
        body="",
    )
    side_x, _side_y, side_width = _SIDE
    source_mm = source_height(page.source)
    source_y = _MAP[1] + _MAP[3] - source_mm
    return (
        f'<Layout name={quoteattr(page.theme)} units="mm" printResolution="300" worldFileMap="">'
        f"<PageCollection>{page_item}</PageCollection>"
        + _map_item(
            page,
            ids["map"],
            extent,
            overview_of=ids["close-up"] if close_up is not None else None,
        )
        + (_close_up_items(page, close_up, ids["close-up"]) if close_up is not None else "")
        + _label(ids["title"], (_MAP[0], 6, width - 20, 9), page.title, _title_font(page.title))
        + _label(ids["subtitle"], (_MAP[0], 15.5, width - 20, 6), page.subtitle, _font(9))
        + _legend(ids["legend"], ids["map"], page.legend, source_mm)
        + _label(
            ids["source"],
            (side_x, source_y, side_width, source_mm),
            page.source,
            _font(_SOURCE_FONT_PT),
            valign=_BOTTOM,
        )
        + _scale_bar(ids["bar"], ids["map"], extent)
        + _north_arrow(ids["north"], ids["map"])
        + "</Layout>"
    )


def layouts_xml(
    pages: Sequence[PrintLayout],
    bounds: Sequence[float],
    close_up: LayoutCloseUp | None = None,
) -> str:
    """The project's ``<Layouts>`` element: one A4 landscape page per theme.

    Parameters
    ----------
    pages
        One per map theme, in the order the layout manager lists them.
    bounds
        The study area's ``(xmin, ymin, xmax, ymax)`` in British National Grid metres; every
        map shows it whole, widened to the frame's proportions.
    close_up
        A part of the study area every page also shows enlarged (London on a national run),
        its extent outlined on the page's map.
    """
    extent = layout_extent(bounds)
    return "<Layouts>" + "".join(_layout(page, extent, close_up) for page in pages) + "</Layouts>"
