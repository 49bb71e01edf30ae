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
    Anchor sites: a star labelled by name, their footprints a dashed outline. Authority tiers:
    outlines by tier, as on the maps.

QML is written as the small subset of the format QGIS needs (renderer, symbols, labels);
QGIS fills in every other setting with its defaults.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import quoteattr

from matplotlib.colors import to_rgba

from clustergeo.publish.plotting import (
    BOUNDARY_STYLES,
    HOTSPOT_CLASS_COLOURS,
    HOTSPOT_CLASS_LABELS,
    HOTSPOT_CLASSES,
    LQ_BREAKS,
    LQ_CLASS_COLOURS,
    LQ_VALUE_LABELS,
)

__all__ = [
    "LayerStyle",
    "boundary_style",
    "cluster_style",
    "footprint_style",
    "hotspot_style",
    "lq_style",
    "site_style",
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


def _symbol(name: str, kind: str, layer_class: str, values: dict[str, str]) -> str:
    return (
        f'<symbol type="{kind}" name={quoteattr(name)} alpha="1" clip_to_extent="1" '
        f'force_rhr="0"><layer class="{layer_class}" enabled="1" locked="0" pass="0">'
        f"{_options(values)}</layer></symbol>"
    )


def fill_symbol(
    name: str,
    fill: str | None,
    *,
    outline: str = "#ffffff",
    width_mm: float = 0.1,
    dash: bool = False,
) -> str:
    """A SimpleFill symbol; ``fill=None`` draws the outline only."""
    return _symbol(
        name,
        "fill",
        "SimpleFill",
        {
            "color": _rgba(fill) if fill else "0,0,0,0",
            "style": "solid" if fill else "no",
            "outline_color": _rgba(outline),
            "outline_width": f"{width_mm:g}",
            "outline_width_unit": "MM",
            "outline_style": "dash" if dash else "solid",
            "joinstyle": "round",
        },
    )


def marker_symbol(name: str, colour: str, *, size_mm: float = 4.0) -> str:
    """A star marker with a white outline, for point sites."""
    return _symbol(
        name,
        "marker",
        "SimpleMarker",
        {
            "name": "star",
            "color": _rgba(colour),
            "outline_color": "255,255,255,255",
            "outline_width": "0.3",
            "outline_width_unit": "MM",
            "size": f"{size_mm:g}",
            "size_unit": "MM",
        },
    )


def _labeling(field: str, *, size_pt: float = 8.0, placement: int = 1, always: bool = False) -> str:
    """Simple labels from ``field``, dark text with a white buffer (readable over any fill).

    ``placement`` is QGIS's enum: 0 around a point, 1 over a point, 2 along lines, 4 free
    inside polygons ("horizontal"). ``always`` shows labels even where they collide.
    """
    return (
        '<labeling type="simple"><settings calloutType="simple">'
        f'<text-style fieldName={quoteattr(field)} isExpression="0" fontSize="{size_pt:g}" '
        'fontSizeUnit="Point" textColor="30,30,30,255" fontWeight="63" namedStyle="Bold">'
        '<text-buffer bufferDraw="1" bufferSize="0.8" bufferSizeUnits="MM" '
        'bufferColor="255,255,255,255" bufferOpacity="0.85"/></text-style>'
        '<text-format wrapChar="" autoWrapLength="24" multilineAlign="3"/>'
        f'<placement placement="{placement}" dist="1" distUnits="MM" '
        'centroidInside="1" fitInPolygonOnly="0"/>'
        f'<rendering obstacle="1" displayAll="{int(always)}" drawLabels="1" '
        'limitNumLabels="0"/>'
        "</settings></labeling>"
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


def _graduated(attr: str, ranges: Sequence[tuple[float, float, str, str]]) -> str:
    rows = "".join(
        f'<range lower="{lower:.15g}" upper="{upper:.15g}" symbol="{i}" '
        f'label={quoteattr(label)} render="true"/>'
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
        f'<category value={quoteattr(value)} symbol="{i}" label={quoteattr(label)} render="true"/>'
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


def lq_style(layer: str, key: str, label: str, *, default: bool) -> LayerStyle:
    """Graduated LQ of cluster definition ``key``, with the figures' fixed breaks and colours."""
    ranges = []
    for i, name in enumerate(LQ_VALUE_LABELS):
        lower, upper = LQ_BREAKS[i], LQ_BREAKS[i + 1]
        upper = _TOP if math.isinf(upper) else upper
        symbol = fill_symbol(str(i), LQ_CLASS_COLOURS[name], outline="#ffffff", width_mm=0.1)
        ranges.append((lower, upper, f"LQ {name}", symbol))
    return LayerStyle(
        layer=layer,
        name=f"LQ: {label}",
        qml=_document(_graduated(f"{key}_lq", ranges)),
        default=default,
        description=f"Location quotient of {label}, fixed breaks 0.5, 0.8, 1.25, 2, 4",
        renderer="graduatedSymbol",
        classes=len(ranges),
    )


def hotspot_style(layer: str, key: str, label: str, *, default: bool) -> LayerStyle:
    """Hot and cold spots of ``key`` in the fixed palette, plus 'not tested' in grey."""
    categories = [
        (cls, HOTSPOT_CLASS_LABELS[cls], fill_symbol(str(i), HOTSPOT_CLASS_COLOURS[cls]))
        for i, cls in enumerate(HOTSPOT_CLASSES)
    ]
    categories.append(
        (
            "not_tested",
            "Not tested",
            fill_symbol(str(len(categories)), _NOT_TESTED_COLOUR),
        )
    )
    return LayerStyle(
        layer=layer,
        name=f"Hot spots: {label}",
        qml=_document(_categorized(f"{key}_hotspot", categories)),
        default=default,
        description=f"Getis-Ord Gi* hot and cold spots of {label}",
        renderer="categorizedSymbol",
        classes=len(categories),
    )


def cluster_style(
    colours: Mapping[str, str],
    labels: Mapping[str, str],
    *,
    layer: str = "clusters",
    name_field: str = "name",
) -> LayerStyle:
    """Finding outlines coloured by industry (``industry_code``), labelled by ``name_field``."""
    categories = [
        (code, labels.get(code, code), fill_symbol(str(i), None, outline=colour, width_mm=0.8))
        for i, (code, colour) in enumerate(colours.items())
    ]
    return LayerStyle(
        layer=layer,
        name="Clusters by industry",
        qml=_document(
            _categorized("industry_code", categories), _labeling(name_field, placement=1)
        ),
        default=True,
        description="Cluster outlines by industry, labelled",
        renderer="categorizedSymbol",
        classes=len(categories),
    )


def site_style() -> LayerStyle:
    """Anchor sites: a dark star labelled by the site's name."""
    return LayerStyle(
        layer="anchor_sites",
        name="Anchor sites",
        qml=_document(_single(marker_symbol("0", "#222222")), _labeling("name", placement=0)),
        default=True,
        description="Anchor sites labelled by name",
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
    return LayerStyle(
        layer=tier,
        name=f"{tier.replace('_', ' ').capitalize()} boundaries",
        qml=_document(_single(symbol)),
        default=True,
        description=f"{tier.replace('_', ' ').capitalize()} outlines, as on the maps",
        renderer="singleSymbol",
        classes=1,
    )
