"""QGIS layer styles (QML) for the GeoPackage, generated from the plotting module's palettes.

Every layer of ``clustergeo.gpkg`` opens styled in QGIS: the styles are stored in the
GeoPackage's ``layer_styles`` table (the table QGIS itself reads and writes, one row per
style, ``useAsDefault`` marking the one applied on opening). The colours and class breaks are
those of :mod:`clustergeo.publish.plotting`, so QGIS and the static figures always agree.

Styles
    LQ layers: graduated on a ``<key>_lq`` column with the fixed breaks 0.5, 0.8, 1.25, 2, 4;
    hot-spot layers: categorised on ``<key>_hotspot`` with the fixed hot/cold palette; both
    with one style per cluster definition (the first is the default, the others are in the
    layer's Styles menu). Clusters: outlines coloured by industry and labelled by name.
    Anchor sites: a diamond labelled by name, their footprints a dashed outline. Authority tiers:
    outlines by tier, as on the maps.

QML is written as the small subset of the format QGIS needs (renderer, symbols, labels);
QGIS fills in every other setting with its defaults.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Final
from xml.sax.saxutils import quoteattr

from matplotlib.colors import to_rgba

from clustergeo.publish.palette import BASE_FILL, FILL_ALPHA
from clustergeo.publish.plotting import (
    BOUNDARY_STYLES,
    HOTSPOT_CLASS_COLOURS,
    HOTSPOT_CLASS_LABELS,
    HOTSPOT_CLASSES,
    LQ_BREAKS,
    LQ_CLASS_COLOURS,
    LQ_NO_DATA_LABEL,
    LQ_UNRELIABLE_LABEL,
    LQ_VALUE_LABELS,
    MORAN_CLASS_COLOURS,
    MORAN_CLASS_LABELS,
    MORAN_MAP_CLASSES,
)

__all__ = [
    "OUTLINED_FINDINGS",
    "LayerStyle",
    "base_style",
    "boundary_style",
    "category_style",
    "cluster_style",
    "findings_style",
    "footprint_style",
    "hotspot_style",
    "lisa_style",
    "lq_style",
    "site_style",
    "surface_band_renderer",
]

QGIS_VERSION = "3.22.0-Białowieża"
#: The largest finite upper bound QGIS keeps for an open-ended top class.
_TOP = 1e9
_NOT_TESTED_COLOUR = "#d9d9d9"
_REGION_STYLE = {"color": "#000000", "linewidth": 1.4, "linestyle": "-"}


@dataclass(frozen=True)
class LayerStyle:
    """One named style of one layer, as a row of ``layer_styles``."""

    layer: str
    name: str
    qml: str
    default: bool
    description: str
    renderer: str
    classes: int


def _rgba(colour: str, alpha: float = 1.0) -> str:
    r, g, b, a = to_rgba(colour, alpha)
    return f"{round(r * 255)},{round(g * 255)},{round(b * 255)},{round(a * 255)}"


def _options(values: dict[str, str]) -> str:
    inner = "".join(
        f'<Option type="QString" name={quoteattr(k)} value={quoteattr(v)}/>'
        for k, v in values.items()
    )
    return f'<Option type="Map">{inner}</Option>'


def _symbol(name: str, kind: str, layer_class: str, *layers: dict[str, str]) -> str:
    """A QGIS symbol of one or more symbol layers of ``layer_class``, the first drawn first."""
    body = "".join(
        f'<layer class="{layer_class}" enabled="1" locked="0" pass="0">{_options(values)}</layer>'
        for values in layers
    )
    return (
        f'<symbol type="{kind}" name={quoteattr(name)} alpha="1" clip_to_extent="1" '
        f'force_rhr="0">{body}</symbol>'
    )


def fill_symbol(
    name: str,
    fill: str | None,
    *,
    outline: str = "#ffffff",
    width_mm: float = 0.1,
    dash: bool = False,
    dot: bool = False,
    fill_alpha: float = 1.0,
    pattern: str = "solid",
    halo: str | None = None,
) -> str:
    """A SimpleFill symbol; ``fill=None`` draws the outline only, ``dash`` or ``dot`` it.

    ``pattern`` is QGIS's brush name (``solid``, or a hatch such as ``f_diagonal``). ``halo``
    draws a wider outline of that colour under the outline, so it stands out on fills of any
    colour (an orange line on a red LQ class).
    """
    layer = {
        "color": _rgba(fill, fill_alpha) if fill else "0,0,0,0",
        "style": pattern if fill else "no",
        "outline_color": _rgba(outline),
        "outline_width": f"{width_mm:g}",
        "outline_width_unit": "MM",
        "outline_style": "dot" if dot else "dash" if dash else "solid",
        "joinstyle": "round",
    }
    under = (
        [
            layer
            | {
                "color": "0,0,0,0",
                "style": "no",
                "outline_color": _rgba(halo),
                "outline_width": f"{width_mm + 0.7:g}",
            }
        ]
        if halo
        else []
    )
    return _symbol(name, "fill", "SimpleFill", *under, layer)


def marker_symbol(name: str, colour: str, *, size_mm: float = 4.0, shape: str = "diamond") -> str:
    """A marker with a white outline: a diamond for point sites (as on the figures)."""
    return _symbol(
        name,
        "marker",
        "SimpleMarker",
        {
            "name": shape,
            "color": _rgba(colour),
            "outline_color": "255,255,255,255",
            "outline_width": "0.3",
            "outline_width_unit": "MM",
            "size": f"{size_mm:g}",
            "size_unit": "MM",
        },
    )


@dataclass(frozen=True)
class LabelRule:
    """How QGIS labels a layer: what, how it looks, which wins a collision, at what scales.

    Attributes
    ----------
    expression
        A QGIS expression for the label text (a field is ``'"name"'``).
    size_pt, colour, bold, italic
        The text's look; every label has a white buffer so it reads over any fill.
    placement
        QGIS's placement enum: 0 around a point, 1 over a point, 4 horizontal inside or
        around a polygon.
    priority
        QGIS's label priority, 0–10 (10 placed first when labels collide), or a QGIS
        expression giving it per feature (the strongest findings first).
    min_scale
        The most zoomed-out scale denominator at which labels show (e.g. 600,000 for
        1:600,000), or None for every scale.
    obstacle
        Whether the features repel other layers' labels.
    obstacle_boundary_only
        Whether they repel them from their boundaries only (QGIS's "polygon boundary"
        obstacle type) rather than from their whole interior: a tier of authorities that
        covers the map would otherwise leave no room for the names of the tier below it.
    point
        A QGIS expression giving the point to label each feature around (QGIS's label
        geometry generator), or None for the feature's own geometry.
    """

    expression: str
    size_pt: float = 8.0
    colour: str = "30,30,30,255"
    bold: bool = True
    italic: bool = False
    placement: int = 1
    priority: int | str = 5
    min_scale: float | None = None
    obstacle: bool = True
    obstacle_boundary_only: bool = False
    point: str | None = None


def _labeling(rule: LabelRule) -> str:
    """QGIS simple labelling with collision handling: colliding labels are left off.

    Notes
    -----
    QGIS's PAL engine places labels in priority order and drops any that would overlap a
    placed label or an obstacle (``displayAll="0"``), so what is drawn never overlaps; a
    data-defined ``Priority`` property lets the stronger finding win. In the XML, ``scaleMax``
    is the most zoomed-out scale denominator at which labels show (QGIS reads it into
    ``minimumScale``).
    """
    fixed_priority = rule.priority if isinstance(rule.priority, int) else 5
    data_defined = ""
    if isinstance(rule.priority, str):
        data_defined = (
            '<dd_properties><Option type="Map"><Option name="name" type="QString" value=""/>'
            '<Option name="properties" type="Map"><Option name="Priority" type="Map">'
            '<Option name="active" type="bool" value="true"/>'
            f'<Option name="expression" type="QString" value={quoteattr(rule.priority)}/>'
            '<Option name="type" type="int" value="3"/></Option></Option>'
            '<Option name="type" type="QString" value="collection"/></Option></dd_properties>'
        )
    scale = (
        f'scaleVisibility="1" scaleMin="0" scaleMax="{rule.min_scale:.0f}"'
        if rule.min_scale
        else 'scaleVisibility="0"'
    )
    weight = ' fontWeight="63" namedStyle="Bold"' if rule.bold else ' fontWeight="50"'
    generator = (
        f' geometryGenerator={quoteattr(rule.point)} geometryGeneratorEnabled="1" '
        'geometryGeneratorType="PointGeometry"'
        if rule.point
        else ""
    )
    return (
        '<labeling type="simple"><settings calloutType="simple">'
        f'<text-style fieldName={quoteattr(rule.expression)} isExpression="1" '
        f'fontSize="{rule.size_pt:g}" fontSizeUnit="Point" textColor="{rule.colour}"'
        f'{weight} fontItalic="{int(rule.italic)}">'
        '<text-buffer bufferDraw="1" bufferSize="0.7" bufferSizeUnits="MM" '
        'bufferColor="255,255,255,255" bufferOpacity="0.85"/></text-style>'
        '<text-format wrapChar="" autoWrapLength="18" multilineAlign="3"/>'
        f'<placement placement="{rule.placement}" dist="1" distUnits="MM" '
        f'priority="{fixed_priority}" centroidInside="1" fitInPolygonOnly="0"{generator}/>'
        f'<rendering obstacle="{int(rule.obstacle)}" '
        f'obstacleType="{int(rule.obstacle_boundary_only)}" displayAll="0" drawLabels="1" '
        f'limitNumLabels="0" {scale} upsidedownLabels="0"/>'
        f"{data_defined}"
        "</settings></labeling>"
    )


#: Labels of each authority tier: counties and combined authorities at every scale, district
#: names once zoomed in to a county, so a region's map is not a carpet of names. Each tier
#: keeps the others' names off its boundary lines only: the tiers nest, so names kept out of
#: every county's interior would leave none for the districts.
AUTHORITY_LABELS: dict[str, LabelRule] = {
    "combined_authority": LabelRule(
        '"name"',
        size_pt=9.0,
        colour="106,61,154,255",
        placement=4,
        priority=4,
        obstacle_boundary_only=True,
    ),
    "county": LabelRule(
        '"name"',
        size_pt=8.0,
        colour="48,48,48,255",
        placement=4,
        priority=3,
        obstacle_boundary_only=True,
    ),
    "district": LabelRule(
        '"name"',
        size_pt=7.0,
        colour="90,90,90,255",
        bold=False,
        italic=True,
        placement=4,
        priority=1,
        min_scale=400_000,
        obstacle_boundary_only=True,
    ),
}

#: Findings carry their rank (the number on every map and in the report), the strongest
#: placed first when labels collide: ranks 1 to 40 from priority 10 down to 5 (QGIS clamps
#: ranks beyond), so the numbers the report names are the ones a crowded view keeps. Size
#: would not do: one very large finding (the City of London's finance, by GVA) squeezes every
#: other finding to the bottom of a scale of employment.
FINDING_LABEL: Final = LabelRule(
    '"rank"',
    size_pt=8.0,
    placement=0,
    priority='scale_linear("rank", 1, 40, 10, 5)',
    obstacle=False,
    # Around the point the maps number it at (its anchor area), not the shape's centroid.
    point='if("label_x" IS NULL, point_on_surface($geometry), make_point("label_x", "label_y"))',
)
#: Anchor sites are few and what a reader looks for: their names go just after the strongest
#: findings' numbers (a crowded national view keeps the numbers the report names, and a site's
#: name shows once zoomed in), and have the places all round their point to choose from.
SITE_LABEL: Final = LabelRule('"name"', size_pt=7.5, placement=0, priority=9)
#: The principal places are for finding one's way: named as on the findings map (italic, not
#: bold), after every finding's number (ranks 1-40 take priorities 10 down to 5) and the
#: sites, before the authorities' names.
PLACE_LABEL: Final = LabelRule(
    '"name"', size_pt=8.0, bold=False, italic=True, placement=0, priority=5
)


def _document(renderer: str, labeling: str = "") -> str:
    labels_enabled = "1" if labeling else "0"
    return (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
        f'<qgis version="{QGIS_VERSION}" styleCategories="Symbology|Labeling" '
        f'labelsEnabled="{labels_enabled}">{renderer}{labeling}'
        "<blendMode>0</blendMode><featureBlendMode>0</featureBlendMode>"
        "<layerOpacity>1</layerOpacity></qgis>\n"
    )


#: The longest line of a legend label, in characters: the print layouts' legend is 79 mm wide
#: and fits about 48 at its 8 pt (SIC section names run to 54).
_LEGEND_LINE: Final = 44


def _legend_label(label: str) -> str:
    """A class's label broken into lines the layouts' legend fits (QGIS breaks at newlines)."""
    return textwrap.fill(label, _LEGEND_LINE)


def _graduated(attr: str, ranges: Sequence[tuple[float, float, str, str]]) -> str:
    rows = "".join(
        f'<range lower="{lower:.15g}" upper="{upper:.15g}" symbol="{i}" '
        f'label={quoteattr(_legend_label(label))} render="true"/>'
        for i, (lower, upper, label, _symbol) in enumerate(ranges)
    )
    symbols = "".join(symbol for *_rest, symbol in ranges)
    return (
        f'<renderer-v2 type="graduatedSymbol" attr={quoteattr(attr)} '
        'graduatedMethod="GraduatedColor" symbollevels="0" enableorderby="0" forceraster="0">'
        f"<ranges>{rows}</ranges><symbols>{symbols}</symbols></renderer-v2>"
    )


def _categorized(attr: str, categories: Sequence[tuple[str, str, str]]) -> str:
    rows = "".join(
        f'<category value={quoteattr(value)} symbol="{i}" label={quoteattr(_legend_label(label))} '
        'render="true"/>'
        for i, (value, label, _symbol) in enumerate(categories)
    )
    symbols = "".join(symbol for *_rest, symbol in categories)
    return (
        f'<renderer-v2 type="categorizedSymbol" attr={quoteattr(attr)} symbollevels="0" '
        'enableorderby="0" forceraster="0">'
        f"<categories>{rows}</categories><symbols>{symbols}</symbols></renderer-v2>"
    )


def _single(symbol: str) -> str:
    return (
        '<renderer-v2 type="singleSymbol" symbollevels="0" enableorderby="0" forceraster="0">'
        f"<symbols>{symbol}</symbols></renderer-v2>"
    )


#: Stand-in values the LQ style's expression gives areas without a usable LQ, below every
#: real LQ (LQs are never negative), so a graduated renderer can show them as classes.
_LQ_NO_DATA_VALUE = -2.0
_LQ_UNRELIABLE_VALUE = -1.0


def lq_expression(key: str) -> str:
    """The QGIS expression the LQ style classifies: the LQ, or a stand-in for the flags.

    An unreliable LQ gives -1 and no data (a missing LQ not flagged) -2, so both get their own
    class, as on the figures, instead of an unreliable LQ showing in full colour. The flag
    comes first, as on the figures: a suppressed cell is flagged (suppression hides small
    numbers) and has no LQ.
    """
    return (
        f'CASE WHEN "{key}_unreliable" THEN {_LQ_UNRELIABLE_VALUE:g} '
        f'WHEN "{key}_lq" IS NULL THEN {_LQ_NO_DATA_VALUE:g} ELSE "{key}_lq" END'
    )


def lq_style(
    layer: str, key: str, label: str, *, default: bool, unreliable: str = LQ_UNRELIABLE_LABEL
) -> LayerStyle:
    """Graduated LQ of cluster definition ``key``, with the figures' fixed breaks and colours.

    The unreliable and no-data classes come first, in the figures' grey and white; the
    unreliable class is labelled ``unreliable`` (the reasons the layer has, as on the figures:
    :func:`~clustergeo.publish.plotting.unreliable_label`).
    """
    ranges = [
        (
            _LQ_NO_DATA_VALUE - 0.5,
            _LQ_NO_DATA_VALUE + 0.5,
            LQ_NO_DATA_LABEL,
            fill_symbol("0", LQ_CLASS_COLOURS[LQ_NO_DATA_LABEL], outline="#8c8c8c"),
        ),
        (
            _LQ_UNRELIABLE_VALUE - 0.5,
            _LQ_UNRELIABLE_VALUE + 0.5,
            unreliable,
            fill_symbol("1", LQ_CLASS_COLOURS[LQ_UNRELIABLE_LABEL], outline="#ffffff"),
        ),
    ]
    for i, name in enumerate(LQ_VALUE_LABELS):
        lower, upper = LQ_BREAKS[i], LQ_BREAKS[i + 1]
        upper = _TOP if math.isinf(upper) else upper
        symbol = fill_symbol(
            str(len(ranges)), LQ_CLASS_COLOURS[name], outline="#ffffff", width_mm=0.1
        )
        ranges.append((lower, upper, f"LQ {name}", symbol))
    return LayerStyle(
        layer=layer,
        name=f"LQ: {label}",
        qml=_document(_graduated(lq_expression(key), ranges)),
        default=default,
        description=(
            f"Location quotient of {label}, fixed breaks 0.5, 0.8, 1.25, 2, 4; {unreliable} "
            "LQs grey, missing ones white"
        ),
        renderer="graduatedSymbol",
        classes=len(ranges),
    )


def hotspot_style(layer: str, key: str, label: str, *, default: bool) -> LayerStyle:
    """Hot and cold spots of ``key`` in the fixed palette, plus 'not tested' in grey."""
    return category_style(
        layer,
        f"{key}_hotspot",
        [
            *(
                (cls, HOTSPOT_CLASS_LABELS[cls], HOTSPOT_CLASS_COLOURS[cls])
                for cls in HOTSPOT_CLASSES
            ),
            ("not_tested", "Not tested", _NOT_TESTED_COLOUR),
        ],
        name=f"Hot spots: {label}",
        description=f"Getis-Ord Gi* hot and cold spots of {label}",
        default=default,
    )


def hotspot_outline_style(layer: str, key: str, label: str) -> LayerStyle:
    """Hot and cold spots of ``key`` as outlines only, to lie over the LQ map of ``key``.

    Areas that are not significant (or not tested) have no category, so QGIS draws nothing
    for them: one map then shows the LQs, where they cluster, and the findings.
    """
    return category_style(
        layer,
        f"{key}_hotspot",
        [
            (cls, HOTSPOT_CLASS_LABELS[cls], HOTSPOT_CLASS_COLOURS[cls])
            for cls in HOTSPOT_CLASSES
            if cls != "not_significant"
        ],
        name=f"Hot spot outlines: {label}",
        description=f"Getis-Ord Gi* hot and cold spots of {label}, outlined over its LQ map",
        default=False,
        outlined=True,
    )


def lisa_style(layer: str, key: str, label: str) -> LayerStyle:
    """Local Moran clusters and outliers of ``key`` (HH, HL, LH, LL) in the maps' colours."""
    categories = [
        (cls, MORAN_CLASS_LABELS[cls], fill_symbol(str(i), MORAN_CLASS_COLOURS[cls]))
        for i, cls in enumerate(MORAN_MAP_CLASSES)
    ]
    return LayerStyle(
        layer=layer,
        name=f"Local Moran: {label}",
        qml=_document(_categorized(f"{key}_moran", categories)),
        default=False,
        description=(
            f"Local Moran's I (LISA) of {label}: high-high and low-low clusters, high-low and "
            "low-high outliers"
        ),
        renderer="categorizedSymbol",
        classes=len(categories),
    )


def cluster_style(
    colours: Mapping[str, str],
    labels: Mapping[str, str],
    *,
    layer: str = "clusters",
    label_findings: bool = True,
) -> LayerStyle:
    """Findings coloured by industry (``industry_code``).

    The findings layer's cores are filled with the industry's colour at the maps' opacity and
    labelled by rank (a short number, the same as on the maps and in the report; the full
    name is in the attribute form), stronger findings winning collisions; extents and grid
    findings are outlines, left unlabelled, their core already carries the number.
    """
    categories = [
        (
            code,
            labels.get(code, code),
            fill_symbol(
                str(i),
                colour if label_findings else None,
                outline=colour,
                width_mm=0.7 if label_findings else 0.8,
                fill_alpha=FILL_ALPHA,
            ),
        )
        for i, (code, colour) in enumerate(colours.items())
    ]
    return LayerStyle(
        layer=layer,
        name="Clusters by industry",
        qml=_document(
            _categorized("industry_code", categories),
            _labeling(FINDING_LABEL) if label_findings else "",
        ),
        default=True,
        description=(
            "Finding cores filled by industry, labelled by their rank on the maps and in the report"
            if label_findings
            else "Finding outlines by industry"
        ),
        renderer="categorizedSymbol",
        classes=len(categories),
    )


def _rule_based(rules: Sequence[tuple[str, str, str]]) -> str:
    """A rule-based renderer: each (filter expression, legend label, symbol) in order."""
    rows = "".join(
        f'<rule key="rule_{i}" filter={quoteattr(expression)} '
        f'label={quoteattr(_legend_label(label))} symbol="{i}"/>'
        for i, (expression, label, _symbol) in enumerate(rules)
    )
    symbols = "".join(symbol for *_rest, symbol in rules)
    return (
        '<renderer-v2 type="RuleRenderer" symbollevels="0" enableorderby="0" forceraster="0">'
        f'<rules key="rules_root">{rows}</rules><symbols>{symbols}</symbols></renderer-v2>'
    )


#: The name of the findings' outlined styles, before the definition's label.
OUTLINED_FINDINGS: Final = "Findings outlined: "


def findings_style(
    layer: str,
    key: str,
    label: str,
    colour: str,
    *,
    labelled: bool,
    extent: bool = False,
    outlined: bool = False,
    members: Mapping[str, tuple[str, str]] | None = None,
) -> LayerStyle:
    """One industry's findings only, as on its cluster map; other industries are not drawn.

    Cores of clusters are filled with the industry's colour at the figures' opacity,
    concentrations hatched, extents (``extent=True``) a dotted outline; the legend names each
    kind present. The layer holds every industry, so an industry's map theme switches to this
    style rather than filtering the layer (QGIS's themes store styles, not filters). Labels
    are the findings' ranks, for this industry's findings only.

    The style shows the findings whose ``industry_code`` is the cluster definition's ``key``,
    in ``colour``. A run that finds clusters per data industry (``clusters.of: industries``)
    gives ``members`` instead: the industries that make up the definition, by code, each with
    its label and colour, so that each is drawn as the overview and the cluster map draw it.

    ``outlined`` draws the clusters' cores as outlines only, with a white halo, and the
    concentrations hatched as ever (named "Findings outlined: <label>"), for the themes
    whose statistic the findings lie over: a filled core would hide the hot spots it is
    made of.
    """
    shown = dict(members) if members else {key: (label, colour)}
    several = len(shown) > 1
    rules: list[tuple[str, str, str]] = []
    for code, (name, tint) in shown.items():
        industry = f'"industry_code" = {_quoted(code)}'
        named = name if several else label
        if extent:
            rules.append(
                (
                    industry,
                    f"{named}: extent",
                    # Dotted, as on the figures: the combined authorities' line is dashed.
                    fill_symbol(str(len(rules)), None, outline=tint, width_mm=0.45, dot=True),
                )
            )
            continue
        rules += [
            (
                f"{industry} AND \"kind\" = 'cluster'",
                f"{named}: cluster",
                fill_symbol(
                    str(len(rules)),
                    None if outlined else tint,
                    outline=tint,
                    width_mm=0.9 if outlined else 0.7,
                    fill_alpha=FILL_ALPHA,
                    halo="#ffffff" if outlined else None,
                ),
            ),
            (
                f"{industry} AND \"kind\" = 'concentration'",
                f"{named}: concentration",
                # Hatched either way: its sparse lines hide little of what lies under them.
                fill_symbol(
                    str(len(rules) + 1),
                    tint,
                    outline=tint,
                    width_mm=0.6 if outlined else 0.5,
                    pattern="f_diagonal",
                    halo="#ffffff" if outlined else None,
                ),
            ),
        ]
    industry = f'"industry_code" IN ({", ".join(_quoted(code) for code in shown)})'
    labeling = ""
    if labelled:
        rule = FINDING_LABEL
        labeling = _labeling(replace(rule, expression=f'CASE WHEN {industry} THEN "rank" END'))
    return LayerStyle(
        layer=layer,
        name=f"{OUTLINED_FINDINGS if outlined else 'Findings: '}{label}",
        qml=_document(_rule_based(rules), labeling),
        default=False,
        description=f"{label} findings only"
        + (", outlined" if outlined else "")
        + (", labelled by their rank on the maps and in the report" if labelled else ""),
        renderer="RuleRenderer",
        classes=len(rules),
    )


def _quoted(value: str) -> str:
    """A QGIS expression string literal (single quotes doubled)."""
    return "'" + value.replace("'", "''") + "'"


def base_style(layer: str) -> LayerStyle:
    """The small areas as the cluster maps' neutral base: a pale fill, faint white edges."""
    return LayerStyle(
        layer=layer,
        name="Study area",
        qml=_document(
            _rule_based(
                [
                    (
                        "",
                        "Areas analysed",
                        fill_symbol("0", BASE_FILL, outline="#ffffff", width_mm=0.1),
                    )
                ]
            )
        ),
        default=False,
        description="The study area's small areas in the maps' neutral base colour",
        renderer="RuleRenderer",
        classes=1,
    )


#: Classes of the employment surface, in jobs per grid cell: below the first nothing is drawn,
#: so a sparse surface does not hide the layers under it. Fixed (as the LQ breaks are) so a
#: colour means the same number in every industry's layer.
SURFACE_BREAKS: Final = (1.0, 10.0, 50.0, 250.0, 1000.0)
#: Sequential colours of the classes above, from ColorBrewer's YlGnBu (colour-blind safe).
SURFACE_COLOURS: Final = ("#c7e9b4", "#7fcdbb", "#41b6c4", "#2c7fb8", "#253494")


def surface_band_renderer(band: int) -> str:
    """QGIS's single-band pseudocolour renderer of one band of the employment surface.

    Notes
    -----
    A discrete colour ramp gives each cell the colour of the first item whose value it does
    not exceed, so the items are the upper bounds of :data:`SURFACE_BREAKS`'s classes: below
    1 job transparent, then one colour per class, the last open-ended (``inf``). Nodata cells
    (the GeoTIFF's nodata value) are transparent through the provider's own nodata.
    """
    bounds = [*SURFACE_BREAKS[1:], math.inf]
    items = ['<item label="fewer than 1" value="1" color="#ffffff" alpha="0"/>']
    for lower, upper, colour in zip(SURFACE_BREAKS, bounds, SURFACE_COLOURS, strict=True):
        text = f"{lower:,.0f} or more" if math.isinf(upper) else f"{lower:,.0f}–{upper:,.0f}"
        value = "inf" if math.isinf(upper) else f"{upper:g}"
        items.append(f'<item label="{text}" value="{value}" color="{colour}" alpha="255"/>')
    return (
        f'<rasterrenderer type="singlebandpseudocolor" band="{band}" opacity="1" '
        f'alphaBand="-1" nodataColor="" classificationMin="0" '
        f'classificationMax="{SURFACE_BREAKS[-1]:g}">'
        "<rasterTransparency/><minMaxOrigin><limits>None</limits><extent>WholeRaster</extent>"
        "<statAccuracy>Estimated</statAccuracy></minMaxOrigin>"
        '<rastershader><colorrampshader colorRampType="DISCRETE" classificationMode="1" '
        f'clip="0" minimumValue="0" maximumValue="{SURFACE_BREAKS[-1]:g}">'
        f"{''.join(items)}</colorrampshader></rastershader></rasterrenderer>"
    )


def site_style() -> LayerStyle:
    """Anchor sites: a dark diamond labelled by the site's name."""
    return LayerStyle(
        layer="anchor_sites",
        name="Anchor sites",
        qml=_document(_single(marker_symbol("0", "#222222")), _labeling(SITE_LABEL)),
        default=True,
        description="Anchor sites labelled by name",
        renderer="singleSymbol",
        classes=1,
    )


def place_style() -> LayerStyle:
    """The principal places: a small dark dot named in italic, as on the findings map."""
    return LayerStyle(
        layer="places",
        name="Principal places",
        qml=_document(
            _single(marker_symbol("0", "#2a2a2a", size_mm=1.2, shape="circle")),
            _labeling(PLACE_LABEL),
        ),
        default=True,
        description="The study area's principal places, named",
        renderer="singleSymbol",
        classes=1,
    )


def footprint_style() -> LayerStyle:
    """Anchor-site footprints: a dashed dark outline."""
    return LayerStyle(
        layer="site_footprints",
        name="Site footprints",
        qml=_document(_single(fill_symbol("0", None, outline="#222222", width_mm=0.5, dash=True))),
        default=True,
        description="Functional footprint of each anchor site (its buffer)",
        renderer="singleSymbol",
        classes=1,
    )


def boundary_style(tier: str) -> LayerStyle:
    """Authority outlines in the maps' line style for the tier."""
    style = BOUNDARY_STYLES.get(tier, _REGION_STYLE)
    dash = not isinstance(style["linestyle"], str) or style["linestyle"] != "-"
    # Matplotlib widths are points; QGIS widths here are millimetres (1 pt = 0.3528 mm).
    width_mm = round(float(style["linewidth"]) * 0.3528 * 1.5, 2)
    symbol = fill_symbol("0", None, outline=str(style["color"]), width_mm=width_mm, dash=dash)
    label = AUTHORITY_LABELS.get(tier)
    return LayerStyle(
        layer=tier,
        name=f"{tier.replace('_', ' ').capitalize()} boundaries",
        qml=_document(_single(symbol), _labeling(label) if label else ""),
        default=True,
        description=f"{tier.replace('_', ' ').capitalize()} outlines, as on the maps",
        renderer="singleSymbol",
        classes=1,
    )


def category_style(
    layer: str,
    attr: str,
    categories: Sequence[tuple[str, str, str]],
    *,
    name: str,
    description: str,
    default: bool,
    outlined: bool = False,
) -> LayerStyle:
    """Polygons categorised on ``attr``: each (value, label, colour), the figures' colours.

    ``outlined`` draws each category as a thick outline in its colour on a white halo and no
    fill, to lie over another layer; values with no category are not drawn.
    """
    rows = [
        (
            value,
            label,
            fill_symbol(str(i), None, outline=colour, width_mm=0.6, halo="#ffffff")
            if outlined
            else fill_symbol(str(i), colour, outline="#ffffff", width_mm=0.1),
        )
        for i, (value, label, colour) in enumerate(categories)
    ]
    return LayerStyle(
        layer=layer,
        name=name,
        qml=_document(_categorized(attr, rows)),
        default=default,
        description=description,
        renderer="categorizedSymbol",
        classes=len(rows),
    )
