"""Static maps for reports: one house style, fixed class breaks and one way to save.

Every figure clustergeo draws comes from this module, so that a location quotient (LQ) of 1.3
is the same colour in every map of every report, and every map carries the same scale bar,
north arrow and attribution. The style is applied inside each plotting function through
:func:`house_style`; importing the module never changes matplotlib's global settings.

Maps need coordinates in metres (British National Grid, EPSG:27700, is what the pipeline
uses): the scale bar measures distances on the map, which would be wrong in degrees.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import json
import logging
import math
import textwrap
import zlib
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, Literal, cast

import geopandas as gpd
import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import PIL
import shapely
from matplotlib.axes import Axes
from matplotlib.backend_bases import RendererBase
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.offsetbox import (
    AnchoredOffsetbox,
    AuxTransformBox,
    DrawingArea,
    HPacker,
    TextArea,
    VPacker,
)
from matplotlib.patches import Patch, Polygon, Rectangle
from matplotlib.path import Path as MplPath
from matplotlib.text import Annotation, Text
from matplotlib.transforms import blended_transform_factory
from PIL import Image as PILImage

from clustergeo._errors import InputDataError, OutputError
from clustergeo._validate import format_examples
from clustergeo.io import atomic_path, file_sha256, note_written
from clustergeo.london import GREATER_LONDON_AUTHORITY
from clustergeo.publish.house_fonts import house_font_files, use_house_fonts
from clustergeo.publish.map_geometry import (
    CloseUp,
    MapGeometry,
    coverage_collection,
    london_close_up,
    prepare_map_geometry,
)
from clustergeo.publish.png import write_rgb_png
from clustergeo.publish.text_reuse import reuse_text_work
from clustergeo.vocab import (
    GI_STAR_CLASSES,
    ORDNANCE_SURVEY_ATTRIBUTION,
    WORKING_EPSG,
)

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

__all__ = [
    "BOUNDARY_STYLES",
    "CLOSE_UP_STYLE",
    "FIGURE_FORMATS",
    "FONT_SIZES",
    "HOTSPOT_CLASSES",
    "HOTSPOT_CLASS_COLOURS",
    "HOTSPOT_CLASS_LABELS",
    "HOUSE_RC_PARAMS",
    "LQ_BREAKS",
    "LQ_CLASSES",
    "LQ_CLASS_COLOURS",
    "LQ_DTYPE",
    "LQ_NOTE_WORDS",
    "LQ_NO_DATA_LABEL",
    "LQ_UNRELIABLE_HATCH",
    "LQ_UNRELIABLE_HATCH_COLOUR",
    "LQ_UNRELIABLE_LABEL",
    "LQ_VALUE_LABELS",
    "MARKER_DIAMETER_PT",
    "MAX_MAP_HEIGHT_IN",
    "MORAN_CLASS_COLOURS",
    "MORAN_CLASS_LABELS",
    "MORAN_MAP_CLASSES",
    "REPORT_WIDTH_CM",
    "STUDY_OUTLINE_STYLE",
    "MapInputError",
    "add_attribution",
    "add_close_up_inset",
    "add_map_furniture",
    "add_north_arrow",
    "add_scale_bar",
    "boundary_handles",
    "class_handles",
    "classify_lq",
    "corner_coverage",
    "crs_note",
    "default_figsize",
    "draw_areas",
    "draw_outlines",
    "drawn_tiers",
    "figure_renderer",
    "fit_height_to_map",
    "frame_map",
    "freeze_layout",
    "furniture_corners",
    "geometry_for_map",
    "house_style",
    "layout_problems",
    "lq_class_handles",
    "outline_close_up",
    "plot_category_map",
    "plot_hotspot_map",
    "plot_lisa_map",
    "plot_lq_choropleth",
    "save_figure",
    "set_title",
    "study_outline_handle",
    "text_width",
    "unreliable_label",
    "wrap_text",
]

log = logging.getLogger(__name__)


class MapInputError(InputDataError, ValueError):
    """The data given to a map function cannot be mapped as it is (no CRS, degrees, bad LQ...).

    It is a :class:`clustergeo.InputDataError`, so the command line prints its message without a
    traceback, and a :class:`ValueError`, which is what callers of a plotting function expect.
    """


#: Diameter of a numbered marker on a map, in points: room for two digits at annotation size.
MARKER_DIAMETER_PT: Final = 12.0

# --- House style -----------------------------------------------------------------------------

#: Width of a full-width figure in an A4 report with 2 cm margins; fonts are sized for this.
REPORT_WIDTH_CM: Final = 17.0

#: Font sizes in points, chosen to be read on paper at :data:`REPORT_WIDTH_CM`.
FONT_SIZES: Final[Mapping[str, float]] = MappingProxyType(
    {
        "title": 11.0,
        "subtitle": 8.5,
        "legend": 7.5,
        "legend_title": 8.0,
        "annotation": 7.0,
        "attribution": 6.0,
    }
)

#: matplotlib settings applied by :func:`house_style` (never globally).
HOUSE_RC_PARAMS: Final[Mapping[RcKeyType, Any]] = MappingProxyType(
    {
        "font.family": "sans-serif",
        "font.sans-serif": ["DejaVu Sans"],
        "font.size": FONT_SIZES["legend"],
        "axes.titlesize": FONT_SIZES["title"],
        "axes.titleweight": "bold",
        "axes.titlelocation": "left",
        "legend.fontsize": FONT_SIZES["legend"],
        "legend.title_fontsize": FONT_SIZES["legend_title"],
        "legend.frameon": False,
        "figure.facecolor": "white",
        "savefig.facecolor": "white",
        "savefig.dpi": 300,
        # The page as laid out, whatever a user's matplotlibrc says: maps are laid out to
        # their page, and a PNG's size is known before it is drawn.
        "savefig.bbox": "standard",
        # No layout engine unless a map asks for one, so a frozen map stays frozen.
        "figure.autolayout": False,
        "figure.constrained_layout.use": False,
        # Laid out at the resolution it is saved at: text measured at screen resolution is
        # hinted a few points narrower, enough to push an outside legend off the page.
        "figure.dpi": 300,
        "hatch.linewidth": 0.6,
        # Text stays text in the SVG (<text> elements naming DejaVu Sans, then any sans-serif),
        # so a designer can edit a caption in Inkscape or Illustrator; a fixed hash salt makes
        # repeated runs byte-identical.
        "svg.fonttype": "none",
        "svg.hashsalt": "clustergeo",
        # TrueType fonts in PDFs stay editable in Illustrator and Inkscape.
        "pdf.fonttype": 42,
        # A map's page is mostly coordinates, which zlib's fastest level packs nearly as
        # well as matplotlib's default 6 in a fraction of the time (the Midlands LQ map of
        # manufacturing: 0.92 MB in 0.17 s against 0.83 MB in 0.28 s).
        "pdf.compression": 1,
    }
)


@contextlib.contextmanager
def house_style() -> Iterator[None]:
    """Apply the clustergeo house style to figures created inside the ``with`` block.

    Yields
    ------
    None
        matplotlib's settings are restored when the block ends.

    Examples
    --------
    >>> with house_style():
    ...     fig, ax = plt.subplots()

    Notes
    -----
    The house fonts are matplotlib's DejaVu Sans cut to the characters maps print
    (:func:`~clustergeo.publish.house_fonts.use_house_fonts`), which makes saving a PDF about
    twice as fast and leaves every map as it was. Text is measured, shaped and rasterised once
    per process (:func:`~clustergeo.publish.text_reuse.reuse_text_work`), with the same result.
    """
    use_house_fonts()
    reuse_text_work()
    with mpl.rc_context(dict(HOUSE_RC_PARAMS)):
        yield


# --- Location quotient classes ---------------------------------------------------------------

#: Fixed LQ class breaks; each class is ``[lower, upper)``, so 0.8 is near average and 1.25 is
#: not. They are symmetric on a log scale about 1 (0.8 ↔ 1.25, 0.5 ↔ 2).
LQ_BREAKS: Final = (0.0, 0.5, 0.8, 1.25, 2.0, 4.0, math.inf)

#: Labels of the value classes, lowest first (one per interval of :data:`LQ_BREAKS`).
LQ_VALUE_LABELS: Final = (
    "< 0.5",
    "0.5–0.8",
    "0.8–1.25 (near average)",
    "1.25–2",
    "2–4",
    "≥ 4",
)
#: Flagged LQs: a count (or value) under the run's floor, an area whose total is, a negative
#: value (GVA), or a cell the source suppressed (which it does to small numbers).
LQ_UNRELIABLE_LABEL: Final = "unreliable (small, negative or suppressed)"
#: The legend's word for each reason an LQ is flagged (the ``lq_note`` values of
#: :func:`clustergeo.concentration.location_quotients`), in the order it lists them.
LQ_NOTE_WORDS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "small count": "small count",
        "small value": "small value",
        "small area": "small area total",
        "negative": "negative",
        "suppressed": "suppressed",
    }
)
LQ_NO_DATA_LABEL: Final = "no data"

#: Every category :func:`classify_lq` can return, in this fixed order.
LQ_CLASSES: Final = (*LQ_VALUE_LABELS, LQ_UNRELIABLE_LABEL, LQ_NO_DATA_LABEL)

#: The categorical dtype of :func:`classify_lq` results (unordered: the last two are not values).
LQ_DTYPE: Final = pd.CategoricalDtype(list(LQ_CLASSES), ordered=False)

#: Fill colour of each LQ class. The value classes are ColorBrewer RdBu (9 classes) reversed,
#: which is colour-blind safe and prints in greyscale as a monotone ramp from the centre;
#: blue and red at equal distances from 1 on a log scale have equal strength. The near-average
#: class is a neutral grey-beige rather than RdBu's white so that it is not mistaken for paper.
#: A QGIS style generator should read the colours from here.
LQ_CLASS_COLOURS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "< 0.5": "#4393c3",
        "0.5–0.8": "#92c5de",
        "0.8–1.25 (near average)": "#ebe6da",
        "1.25–2": "#f4a582",
        "2–4": "#d6604d",
        "≥ 4": "#b2182b",
        LQ_UNRELIABLE_LABEL: "#b4b4b4",
        LQ_NO_DATA_LABEL: "#ffffff",
    }
)
#: The unreliable class is mid grey with white diagonal hatching. The grey alone must tell it
#: apart from every value class, because small urban areas are too small to show the hatch.
LQ_UNRELIABLE_HATCH: Final = "//////"
LQ_UNRELIABLE_HATCH_COLOUR: Final = "#ffffff"
# "No data" areas are white with a grey outline, so they read as gaps rather than a value.
_NO_DATA_EDGE_COLOUR: Final = "#8c8c8c"
_AREA_EDGE_COLOUR: Final = "#ffffff"
_AREA_EDGE_WIDTH: Final = 0.2

# --- Hot-spot classes ------------------------------------------------------------------------

#: Hot-spot classes drawn on maps (Getis-Ord Gi* with confidence levels), hottest first;
#: ``not_tested`` is drawn as no data.
HOTSPOT_CLASSES: Final = tuple(c for c in GI_STAR_CLASSES if c != "not_tested")
#: The conventional ArcGIS "Hot Spot Analysis" ramp, which GeoDa and most reports imitate.
HOTSPOT_CLASS_COLOURS: Final[Mapping[str, str]] = MappingProxyType(
    dict(
        zip(
            HOTSPOT_CLASSES,
            ("#d62f27", "#ed7551", "#f7f7f2", "#849eba", "#4575b5"),
            strict=True,
        )
    )
)


def _class_label(name: str) -> str:
    """``hot_99`` → "Hot spot, 99% confidence"; ``not_significant`` → "Not significant"."""
    kind, _, level = name.partition("_")
    if kind in ("hot", "cold") and level.isdigit():
        return f"{kind.capitalize()} spot, {level}% confidence"
    return name.replace("_", " ").capitalize()


HOTSPOT_CLASS_LABELS: Final[Mapping[str, str]] = MappingProxyType(
    {name: _class_label(name) for name in HOTSPOT_CLASSES}
)

# --- Local Moran classes ---------------------------------------------------------------------

#: Local Moran cluster and outlier classes drawn on maps: high-high and low-low clusters, then
#: the outliers, then not significant (``not_tested`` is drawn as no data).
MORAN_MAP_CLASSES: Final = ("HH", "HL", "LH", "LL", "not_significant")
#: GeoDa's LISA cluster-map colours (Anselin 1995), with the hot-spot maps' neutral.
MORAN_CLASS_COLOURS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "HH": "#d7191c",
        "HL": "#f4a6a6",
        "LH": "#a6c8f4",
        "LL": "#2c7bb6",
        "not_significant": "#f7f7f2",
    }
)
MORAN_CLASS_LABELS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "HH": "High-high (cluster)",
        "HL": "High-low (outlier)",
        "LH": "Low-high (outlier)",
        "LL": "Low-low (cluster)",
        "not_significant": "Not significant",
    }
)

#: The study area's outline on the small multiples and the cluster maps: a pale band under
#: the authority lines, so that where it runs along a county boundary it reads as a second
#: line (a halo) rather than as the same one, and alone where the two part.
STUDY_OUTLINE_STYLE: Final[Mapping[str, Any]] = MappingProxyType(
    {"label": "Study area", "color": "#a8a8a8", "linewidth": 2.6, "alpha": 0.6}
)

# --- Boundary overlays -----------------------------------------------------------------------

#: Line style of each tier of authority boundary, drawn in this order (lowest tier first).
BOUNDARY_STYLES: Final[Mapping[str, Mapping[str, Any]]] = MappingProxyType(
    {
        "district": MappingProxyType(
            {"label": "District boundary", "color": "#7a7a7a", "linewidth": 0.4, "linestyle": "-"}
        ),
        "county": MappingProxyType(
            {"label": "County boundary", "color": "#303030", "linewidth": 0.9, "linestyle": "-"}
        ),
        "combined_authority": MappingProxyType(
            {
                "label": "Combined authority",
                "color": "#6a3d9a",
                "linewidth": 1.1,
                "linestyle": (0, (4, 2)),
            }
        ),
    }
)

_LEGEND_WRAP_CHARS: Final = 24
# A corner with at most this share of data is free for the scale bar or north arrow.
_EMPTY_CORNER: Final = 0.05
_Corner = Literal["upper left", "upper right", "lower left", "lower right"]


# --- Classification --------------------------------------------------------------------------


def classify_lq(values: pd.Series, unreliable: pd.Series | None = None) -> pd.Categorical:
    r"""Put location quotients into the fixed house classes.

    Parameters
    ----------
    values
        Location quotients (non-negative; missing values allowed).
    unreliable
        Optional True/False flag, aligned to ``values`` by index, marking areas whose LQ rests
        on too little employment to be trusted (or whose cell is negative, or suppressed). A
        missing flag counts as not flagged.

    Returns
    -------
    pandas.Categorical
        One class per value, in the order of ``values``, with categories :data:`LQ_CLASSES`
        (always all of them, so every map gets the same legend). Flagged areas are
        :data:`LQ_UNRELIABLE_LABEL` whatever their value; unflagged missing values are
        :data:`LQ_NO_DATA_LABEL`.

    Raises
    ------
    MapInputError
        If values are not numeric, negative or infinite, or the flag is not True/False or does
        not align with ``values``.

    Notes
    -----
    Class :math:`k` holds :math:`b_k \le LQ < b_{k+1}` for the breaks
    :math:`b = (0, 0.5, 0.8, 1.25, 2, 4, \infty)` (:data:`LQ_BREAKS`), so 0.8 is near average
    and 1.25 is in "1.25–2".
    """
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        raise MapInputError(
            f"LQ values must be numbers, got dtype {values.dtype}; convert the column with "
            "pandas.to_numeric first."
        )
    numbers = values.to_numpy(dtype="float64", na_value=np.nan)
    missing = np.isnan(numbers)
    invalid = ~missing & ((numbers < 0) | np.isinf(numbers))
    if invalid.any():
        raise MapInputError(
            f"{int(invalid.sum())} LQ values are negative or infinite (index "
            f"{format_examples(values.index[invalid])}); an LQ is a ratio of shares and lies in "
            "[0, ∞) — check the employment counts behind them."
        )
    codes = np.searchsorted(np.asarray(LQ_BREAKS), np.where(missing, 0.0, numbers), side="right")
    codes = codes - 1
    codes[missing] = LQ_CLASSES.index(LQ_NO_DATA_LABEL)
    if unreliable is not None:
        flags = _align_flags(unreliable, values)
        codes[flags] = LQ_CLASSES.index(LQ_UNRELIABLE_LABEL)
    return pd.Categorical.from_codes(codes, dtype=LQ_DTYPE)


def _align_flags(unreliable: pd.Series, values: pd.Series) -> np.ndarray[Any, np.dtype[np.bool_]]:
    if not pd.api.types.is_bool_dtype(unreliable):
        raise MapInputError(
            f"The unreliable flag must be True/False, got dtype {unreliable.dtype}."
        )
    if not unreliable.index.equals(values.index):
        missing_labels = values.index.difference(unreliable.index)
        if not (values.index.is_unique and unreliable.index.is_unique) or len(missing_labels):
            raise MapInputError(
                "The unreliable flag does not line up with the LQ values: "
                + (
                    f"no flag for index {format_examples(missing_labels)}"
                    if len(missing_labels)
                    else "one of the indexes has duplicate labels"
                )
                + ". Build both from the same table."
            )
        unreliable = unreliable.reindex(values.index)
    return unreliable.to_numpy(dtype="bool", na_value=False)


# --- Validation ------------------------------------------------------------------------------


def _crs_problem(frame: gpd.GeoDataFrame, name: str) -> str | None:
    """Return why ``frame`` cannot be drawn with a scale bar, or None if it can."""
    crs = frame.crs
    if crs is None:
        return (
            f"{name} has no CRS. If its coordinates are British National Grid eastings and "
            f"northings, call .set_crs({WORKING_EPSG}); if they are longitude/latitude, call "
            f".set_crs(4326).to_crs({WORKING_EPSG})."
        )
    if crs.is_geographic:
        return (
            f"{name} is in a geographic CRS ({crs.name}, degrees) but maps need a projected CRS "
            f"in metres for the scale bar: reproject with .to_crs({WORKING_EPSG}) "
            "(British National Grid)."
        )
    units = {axis.unit_name for axis in crs.axis_info}
    if not units <= {"metre", "meter"}:
        return (
            f"{name} is in {crs.name}, whose units are {', '.join(sorted(units))}, but maps need "
            f"metres for the scale bar: reproject with .to_crs({WORKING_EPSG}) "
            "(British National Grid)."
        )
    return None


def _validate_choropleth_inputs(
    areas: gpd.GeoDataFrame,
    column: str,
    unreliable_column: str | None,
    boundaries: Mapping[str, gpd.GeoDataFrame] | None,
) -> None:
    problems: list[str] = []
    if not isinstance(areas, gpd.GeoDataFrame):
        raise MapInputError(f"areas must be a GeoDataFrame, got {type(areas).__name__}.")
    if len(areas) == 0 or areas.geometry.isna().all() or areas.geometry.is_empty.all():
        problems.append("areas has no rows with a geometry, so there is nothing to map.")
    if column not in areas.columns:
        problems.append(
            f"areas has no column {column!r} (columns: {format_examples(areas.columns)}); "
            "pass column= the name of the LQ column."
        )
    if unreliable_column is not None and unreliable_column not in areas.columns:
        problems.append(
            f"areas has no column {unreliable_column!r} flagging unreliable LQs; pass "
            "unreliable_column= its name, or unreliable_column=None to map without the flag."
        )
    if (crs_problem := _crs_problem(areas, "areas")) is not None:
        problems.append(crs_problem)
    for tier, frame in (boundaries or {}).items():
        if tier not in BOUNDARY_STYLES:
            problems.append(
                f"boundaries has an unknown tier {tier!r}; use {', '.join(BOUNDARY_STYLES)}."
            )
            continue
        if not isinstance(frame, gpd.GeoDataFrame | gpd.GeoSeries):
            problems.append(
                f"boundaries[{tier!r}] must be a GeoDataFrame, got {type(frame).__name__}."
            )
        elif areas.crs is not None and frame.crs != areas.crs:
            where = "has no CRS" if frame.crs is None else f"is in {frame.crs.name}"
            problems.append(
                f"boundaries[{tier!r}] {where} but areas is in {areas.crs.name}; "
                "reproject it with .to_crs(areas.crs)."
            )
    if problems:
        raise MapInputError(
            "Cannot draw the LQ map:\n" + "\n".join(f"  - {problem}" for problem in problems)
        )


# --- Map furniture ---------------------------------------------------------------------------


def _nice_length(target: float) -> float:
    """Return the largest 1, 2 or 5 × 10^k not above ``target`` (``target`` > 0)."""
    exponent = math.floor(math.log10(target))
    for mantissa in (5.0, 2.0, 1.0):
        if mantissa * 10.0**exponent <= target:
            return mantissa * 10.0**exponent
    return 10.0**exponent


def _format_distance(metres: float, unit: str) -> str:
    value = metres / 1000.0 if unit == "km" else metres
    return f"{value:g}"


#: The least printed distance, in inches, between two numbers of a scale bar.
_MIN_TICK_GAP_IN: Final = 0.3


def _scale_bar_box(
    ax: Axes, length_m: float | None, fraction: float, segments: int
) -> AuxTransformBox:
    if segments < 1 or fraction <= 0 or (length_m is not None and length_m <= 0):
        raise ValueError("length_m, fraction and segments must be positive.")
    x_min, x_max = ax.get_xlim()
    if length_m is None:
        length_m = _nice_length(abs(x_max - x_min) * fraction)
    unit = "km" if length_m >= 1000 else "m"
    fig = ax.get_figure()
    if fig is None:
        raise ValueError("A scale bar needs an Axes that belongs to a figure.")
    # x follows the map scale (metres); y is in inches so the bar has a fixed printed height.
    # The box recomputes on every draw, so the bar stays true after the layout is adjusted.
    box = AuxTransformBox(blended_transform_factory(ax.transData, fig.dpi_scale_trans))
    bar_height = 0.045
    segment = length_m / segments
    for i in range(segments):
        box.add_artist(
            Rectangle(
                (i * segment, 0.0),
                segment,
                bar_height,
                facecolor="black" if i % 2 == 0 else "white",
                edgecolor="black",
                linewidth=0.5,
            )
        )
    # The middle number only where it has room beside the others (on a small multiple of a
    # whole country a 100 km bar is a few millimetres long: "0 50100").
    printed_in = length_m * ax.bbox.width / fig.dpi / max(abs(x_max - x_min), 1e-9)
    middle = segments % 2 == 0 and printed_in / 2 >= _MIN_TICK_GAP_IN
    ticks = [0.0, length_m / 2, length_m] if middle else [0.0, length_m]
    for tick in ticks:
        box.add_artist(
            Text(
                tick,
                bar_height + 0.03,
                _format_distance(tick, unit),
                ha="center",
                va="bottom",
                fontsize=FONT_SIZES["annotation"],
            )
        )
    # The unit follows the end of the bar, so the numbers stay centred on their ticks.
    box.add_artist(
        Text(
            length_m * 1.04,
            bar_height / 2,
            unit,
            ha="left",
            va="center",
            fontsize=FONT_SIZES["annotation"],
        )
    )
    return box


def _north_arrow_box(size: float) -> VPacker:
    width = size * 0.6
    arrow = DrawingArea(width, size)
    tip, notch = (width / 2, size), (width / 2, size * 0.3)
    arrow.add_artist(
        Polygon([tip, (0.0, 0.0), notch], closed=True, facecolor="black", edgecolor="black", lw=0.6)
    )
    arrow.add_artist(
        Polygon(
            [tip, (width, 0.0), notch], closed=True, facecolor="white", edgecolor="black", lw=0.6
        )
    )
    letter = TextArea(
        "N", textprops={"fontsize": FONT_SIZES["annotation"] + 1, "fontweight": "bold"}
    )
    return VPacker(children=[letter, arrow], align="center", pad=0, sep=1)


#: The scale bar's and north arrow's z-order: over every fill, outline and site of a map
#: (findings at 5-6, footprints at 7, site markers at 8), under the numbered markers.
FURNITURE_ZORDER: Final = 8.5


def add_scale_bar(
    ax: Axes,
    *,
    length_m: float | None = None,
    fraction: float = 0.25,
    segments: int = 2,
    loc: _Corner = "lower left",
    bbox_to_anchor: tuple[float, float] | None = None,
) -> AnchoredOffsetbox:
    """Draw a black-and-white segmented scale bar on a map.

    Parameters
    ----------
    ax
        A map whose data coordinates are metres (a projected CRS such as British National Grid).
        Call this after the map extent is set.
    length_m
        Length of the bar in metres. By default the largest 1, 2 or 5 × 10^k metres not longer
        than ``fraction`` of the map width.
    fraction
        Target share of the map width for the default length.
    segments
        Number of alternating black and white segments (2 or 4 read best).
    loc
        Corner of the map to put the bar in or, with ``bbox_to_anchor``, corner of the bar to
        put at that point.
    bbox_to_anchor
        A point in axes fractions, e.g. ``(0, 0)`` with ``loc="upper left"`` to hang the bar
        under the map's bottom-left corner.

    Returns
    -------
    matplotlib.offsetbox.AnchoredOffsetbox
        The scale bar artist, already added to ``ax``.

    Raises
    ------
    ValueError
        If ``length_m``, ``fraction`` or ``segments`` is not positive.
    """
    anchored = AnchoredOffsetbox(
        loc=loc,
        child=_scale_bar_box(ax, length_m, fraction, segments),
        pad=0.4,
        borderpad=0.6 if bbox_to_anchor is None else 0.0,
        frameon=True,
        bbox_to_anchor=bbox_to_anchor,
        bbox_transform=ax.transAxes,
    )
    # A light backing keeps the numbers legible where the bar has to sit over data or over an
    # authority line running out of the study area, and lets the data show through faintly.
    anchored.patch.set(facecolor="white", edgecolor="none", alpha=0.75)
    # Over the map's fills and lines, whenever they are drawn.
    anchored.set_zorder(FURNITURE_ZORDER)
    ax.add_artist(anchored)
    return anchored


def add_north_arrow(
    ax: Axes,
    *,
    loc: _Corner = "upper right",
    size: float = 18.0,
    bbox_to_anchor: tuple[float, float] | None = None,
) -> AnchoredOffsetbox:
    """Draw a north arrow with an "N" on a map.

    Parameters
    ----------
    ax
        The map.
    loc
        Corner of the map to put the arrow in or, with ``bbox_to_anchor``, corner of the arrow
        to put at that point.
    size
        Height of the arrow in points.
    bbox_to_anchor
        A point in axes fractions to anchor the arrow to instead of a corner of the map.

    Returns
    -------
    matplotlib.offsetbox.AnchoredOffsetbox
        The north arrow artist, already added to ``ax``.

    Notes
    -----
    The arrow points up the map, which is grid north on British National Grid. True north
    differs from it by under 3° anywhere in Great Britain (about 1° in the Midlands), which is
    invisible at report scale.
    """
    anchored = AnchoredOffsetbox(
        loc=loc,
        child=_north_arrow_box(size),
        pad=0.3,
        borderpad=0.6 if bbox_to_anchor is None else 0.0,
        frameon=True,
        bbox_to_anchor=bbox_to_anchor,
        bbox_transform=ax.transAxes,
    )
    # The scale bar's light backing: a dark arrow over a dark fill (a close-up of a site is
    # all land) would otherwise be lost.
    anchored.patch.set(facecolor="white", edgecolor="none", alpha=0.75)
    anchored.set_zorder(FURNITURE_ZORDER)
    ax.add_artist(anchored)
    return anchored


def furniture_corners(coverage: Mapping[_Corner, float]) -> tuple[_Corner, _Corner]:
    """The corners for the scale bar and the north arrow: the two least covered.

    ``coverage`` is each corner's share covered by what the map shows
    (:func:`corner_coverage`). Between corners covered alike, the scale bar goes low and the
    arrow high, as maps usually have them.
    """
    scale_corner = min(coverage, key=lambda c: (coverage[c], not c.startswith("lower")))
    rest = [c for c in coverage if c != scale_corner]
    arrow_corner = min(rest, key=lambda c: (coverage[c], not c.startswith("upper")))
    return scale_corner, arrow_corner


def add_map_furniture(
    ax: Axes,
    areas: gpd.GeoDataFrame,
    *,
    coverage: Mapping[_Corner, float] | None = None,
) -> list[AnchoredOffsetbox]:
    """Put the scale bar and north arrow in empty corners of the map, or else under it.

    Inside the map is the convention, but only where they hide no data: a study area that
    fills its frame gets both hanging under the map's bottom-left corner, opposite the
    attribution. ``coverage`` is the share of each corner with data, when already known
    (:func:`corner_coverage`). Returns the artists added.
    """
    coverage = coverage if coverage is not None else corner_coverage(ax, areas)
    scale_corner, arrow_corner = furniture_corners(coverage)
    if coverage[scale_corner] <= _EMPTY_CORNER and coverage[arrow_corner] <= _EMPTY_CORNER:
        return [add_scale_bar(ax, loc=scale_corner), add_north_arrow(ax, loc=arrow_corner)]
    furniture = HPacker(
        children=[_scale_bar_box(ax, None, 0.25, 2), _north_arrow_box(14.0)],
        align="bottom",
        pad=0,
        sep=10,
    )
    anchored = AnchoredOffsetbox(
        loc="upper left",
        child=furniture,
        pad=0.2,
        borderpad=0.0,
        frameon=False,
        bbox_to_anchor=(0.0, 0.0),
        bbox_transform=ax.transAxes,
    )
    ax.add_artist(anchored)
    return [anchored]


def add_attribution(
    ax: Axes,
    text: str,
    *,
    crs_note: str | None = None,
    source: str | None = None,
    width_pt: float | None = None,
) -> Annotation:
    """Write the data source, attribution and map projection under the bottom-right of a map.

    Parameters
    ----------
    ax
        The map.
    text
        Attribution required by the data licences; may span several lines.
    crs_note
        Projection to name after the attribution, e.g. ``"British National Grid"``.
    source
        The data source and its year ("Source: Census 2011 ..."), written first.
    width_pt
        The widest the block may be, in points; by default 60% of the figure's width (the
        scale bar may hang under the map's left corner).

    Returns
    -------
    matplotlib.text.Annotation
        The text artist, placed just outside the map so it never hides data.
    """
    fig = _root_figure(ax)
    width = width_pt if width_pt is not None else 0.6 * fig.get_figwidth() * 72
    size = FONT_SIZES["attribution"]
    lines = [wrap_text(source, size, width)] if source else []
    lines += [wrap_text(line, size, width) for line in text.split("\n")]
    if crs_note is not None:
        lines.append(f"Projection: {crs_note}")
    return ax.annotate(
        "\n".join(lines),
        xy=(1.0, 0.0),
        xycoords="axes fraction",
        xytext=(0.0, -4.0),
        textcoords="offset points",
        ha="right",
        va="top",
        multialignment="right",
        fontsize=size,
        color="#555555",
        gid="footer",
    )


def crs_note(frame: gpd.GeoDataFrame) -> str:
    """The projection of a frame as a map should name it ("British National Grid (EPSG:27700)")."""
    if frame.crs.to_epsg() == WORKING_EPSG:
        return f"British National Grid (EPSG:{WORKING_EPSG})"
    return str(frame.crs.name)


@functools.cache
def _measuring_renderer() -> RendererAgg:
    # At 72 dpi one pixel is one point.
    return RendererAgg(1, 1, 72)  # type: ignore[no-untyped-call]


@functools.cache
def _house_font(size: float, weight: str) -> FontProperties:
    with house_style():
        return FontProperties(size=size, weight=weight)


@functools.lru_cache(maxsize=8192)
def text_width(text: str, size: float, weight: str = "normal") -> float:
    """The width in points of one line of ``text`` in the house font.

    Remembered: every map of a run wraps the same subtitle and caption.
    """
    width, _height, _descent = _measuring_renderer().get_text_width_height_descent(  # type: ignore[no-untyped-call]
        text, _house_font(size, weight), ismath=False
    )
    return float(width)


def wrap_text(text: str, size: float, width_pt: float, weight: str = "normal") -> str:
    """``text`` broken between words into lines no wider than ``width_pt`` points, as drawn.

    Lines are measured in the house font rather than counted in characters, so a caption
    wraps where it would otherwise run off the figure. Existing line breaks are kept. Each
    line takes as many words as fit (at least one, however wide).

    A line's width only grows as words are added to it (each adds a space and its glyphs'
    advances, far more than kerning across the space takes back), so the words that fit are
    a run from the line's first. Its end is searched for from the previous line's number of
    words, outwards by one word, two, four..., then by halving: two or three measurements a
    line where its length changes little, rather than one for every word, and never of a
    text much longer than the line.
    """
    fits = functools.partial(_fits, size=size, width_pt=width_pt, weight=weight)
    lines: list[str] = []
    guess = 1
    for paragraph in text.split("\n"):
        words = paragraph.split(" ")
        start = 0
        while True:
            end = _line_end(words, start, guess, fits)
            lines.append(_line_text(words[start:end])[0])
            if end == len(words):
                break
            guess, start = end - start, end
    return "\n".join(lines)


def _line_text(words: Sequence[str]) -> tuple[str, int]:
    """``words`` as a line shows them, and how many words that is.

    Joined by single spaces, with the empty words (from repeated spaces) before the first
    non-empty one dropped.
    """
    first = next((i for i, word in enumerate(words) if word), len(words))
    return " ".join(words[first:]), len(words) - first


def _fits(words: Sequence[str], size: float, width_pt: float, weight: str) -> bool:
    """Whether ``words`` fit on one line (a line's first word always does)."""
    line, count = _line_text(words)
    # Nor is a line broken by a width that is no number.
    return count <= 1 or not text_width(line, size, weight) > width_pt


def _line_end(
    words: Sequence[str], start: int, guess: int, fits: Callable[[Sequence[str]], bool]
) -> int:
    """One past the last word of the line that starts at ``words[start]``.

    ``fits(words[start:end])`` must hold for every ``end`` up to the answer and for none
    beyond it; the search starts from ``guess`` words.
    """
    last = len(words)
    fitting, too_wide = start + 1, last + 1
    probe = min(start + max(guess, 1), last)
    if fits(words[start:probe]):
        fitting, step = probe, 1
        while fitting < last:
            probe = min(fitting + step, last)
            if not fits(words[start:probe]):
                too_wide = probe
                break
            fitting, step = probe, 2 * step
    else:
        too_wide, step = probe, 1
        while too_wide - step > fitting:
            probe = too_wide - step
            if fits(words[start:probe]):
                fitting = probe
                break
            too_wide, step = probe, 2 * step
    while too_wide - fitting > 1:
        middle = (fitting + too_wide) // 2
        if fits(words[start:middle]):
            fitting = middle
        else:
            too_wide = middle
    return fitting


def set_title(ax: Axes, title: str, subtitle: str | None, *, width_pt: float | None = None) -> None:
    """Bold title above a map, with an optional smaller subtitle between it and the map.

    Both are wrapped to ``width_pt`` points (by default the figure's width less a margin), so
    neither runs off the page however long the run's name or data source.
    """
    gap = 4.0
    fig = _root_figure(ax)
    width = width_pt if width_pt is not None else fig.get_figwidth() * 72 - 24
    title = wrap_text(title, FONT_SIZES["title"], width, weight="bold")
    if subtitle is not None:
        subtitle = wrap_text(subtitle, FONT_SIZES["subtitle"], width)
    if subtitle is None:
        ax.set_title(title, loc="left", fontsize=FONT_SIZES["title"], pad=gap + 2)
        return
    ax.annotate(
        subtitle,
        xy=(0.0, 1.0),
        xycoords="axes fraction",
        xytext=(0.0, gap),
        textcoords="offset points",
        ha="left",
        va="bottom",
        fontsize=FONT_SIZES["subtitle"],
        color="#333333",
        gid="subtitle",
    )
    # The title sits above however many lines the subtitle has (line spacing 1.2).
    subtitle_height = (subtitle.count("\n") + 1) * FONT_SIZES["subtitle"] * 1.2
    ax.set_title(title, loc="left", fontsize=FONT_SIZES["title"], pad=gap + subtitle_height + 3)


def _legend_label(label: str) -> str:
    return textwrap.fill(label, _LEGEND_WRAP_CHARS)


def unreliable_label(notes: Iterable[object] | None) -> str:
    """The legend's words for flagged LQs, naming the reasons among ``notes`` only.

    ``notes`` are the ``lq_note`` values of the flagged areas a map shows (missing values and
    notes of unflagged areas may be among them and are ignored); ``None`` gives every reason
    (:data:`LQ_UNRELIABLE_LABEL`). A census map flags small counts only, and its legend says
    so instead of naming negative and suppressed values the data cannot have.
    """
    if notes is None:
        return LQ_UNRELIABLE_LABEL
    given = {note for note in notes if isinstance(note, str)}
    words = [word for note, word in LQ_NOTE_WORDS.items() if note in given]
    if not words:
        return LQ_UNRELIABLE_LABEL
    listed = words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"
    return f"unreliable ({listed})"


def lq_class_handles(
    present: Collection[str] | None = None, unreliable: str = LQ_UNRELIABLE_LABEL
) -> list[Patch | Line2D]:
    """Legend entries of the LQ classes, those ``present`` only, highest class first.

    ``unreliable`` is the flagged class's label (:func:`unreliable_label`).
    """
    handles: list[Patch | Line2D] = []
    # Highest class first: readers look for concentrations at the top of the key.
    for label in (*reversed(LQ_VALUE_LABELS), LQ_UNRELIABLE_LABEL, LQ_NO_DATA_LABEL):
        if present is not None and label not in present:
            continue
        style: dict[str, Any] = {"facecolor": LQ_CLASS_COLOURS[label], "edgecolor": "none"}
        shown = label
        if label == LQ_UNRELIABLE_LABEL:
            style.update(hatch=LQ_UNRELIABLE_HATCH, edgecolor=LQ_UNRELIABLE_HATCH_COLOUR, lw=0)
            shown = unreliable
        elif label == LQ_NO_DATA_LABEL:
            style.update(edgecolor=_NO_DATA_EDGE_COLOUR, linewidth=0.5)
        handles.append(Patch(label=_legend_label(shown), **style))
    return handles


def class_handles(
    classes: Sequence[str],
    colours: Mapping[str, str],
    labels: Mapping[str, str],
    present: Collection[str] | None = None,
    *,
    no_data: bool = False,
) -> list[Patch | Line2D]:
    """Legend entries of fixed map classes, those ``present`` only, with "no data" if any.

    A near-white class ("not significant", "no pattern") is outlined so its swatch shows on
    the page; "not tested" is outlined as "no data" is, which it is drawn like.
    """
    handles: list[Patch | Line2D] = [
        Patch(
            label=_legend_label(labels[name]),
            facecolor=colours[name],
            edgecolor=_NO_DATA_EDGE_COLOUR
            if name == "not_tested"
            else "#bdbdbd"
            if _pale(colours[name])
            else "none",
            linewidth=0.5,
        )
        for name in classes
        if present is None or name in present
    ]
    if no_data:
        handles.append(
            Patch(
                label=LQ_NO_DATA_LABEL, facecolor="#ffffff", edgecolor=_NO_DATA_EDGE_COLOUR, lw=0.5
            )
        )
    return handles


def _pale(colour: str) -> bool:
    """Whether a fill is too near white for its swatch to show without an outline."""
    return min(to_rgb(colour)) >= _PALE_CHANNEL


#: A fill whose every channel is at least this is near-white ("not significant" #f7f7f2).
_PALE_CHANNEL: Final = 0.94


def boundary_handles(
    tiers: Sequence[str], boundaries: Mapping[str, gpd.GeoDataFrame] | None = None
) -> list[Patch | Line2D]:
    """Legend entries for the authority outlines of ``tiers``, in their map line styles.

    Where the drawn ``boundaries`` put the Greater London Authority on the combined
    authorities' tier (:mod:`clustergeo.london`), that entry says so: London's outline is
    not a combined authority's.
    """
    handles: list[Patch | Line2D] = []
    for tier in tiers:
        style = dict(BOUNDARY_STYLES[tier])
        if tier == "combined_authority" and _holds_the_gla((boundaries or {}).get(tier)):
            style["label"] = "Combined authority or GLA"
        handles.append(Line2D([], [], **style))
    return handles


def _holds_the_gla(frame: gpd.GeoDataFrame | None) -> bool:
    if frame is None or "code" not in frame:
        return False
    return bool((frame["code"].astype(str) == GREATER_LONDON_AUTHORITY[0]).any())


def study_outline_handle() -> Line2D:
    """The legend entry of the study area's outline, as :func:`draw_outlines` draws it."""
    return Line2D([], [], **dict(STUDY_OUTLINE_STYLE))


#: The tallest a report-width map figure is made (inches): with its caption it fits an A4
#: page of the report at full size (the print style lets a figure take 245 mm).
MAX_MAP_HEIGHT_IN: Final = 9.5


def default_figsize(areas: gpd.GeoDataFrame) -> tuple[float, float]:
    """Figure size (inches) of a report-width map of ``areas`` with a legend on its right."""
    width = REPORT_WIDTH_CM / 2.54
    x_min, y_min, x_max, y_max = areas.total_bounds
    aspect = (y_max - y_min) / max(x_max - x_min, 1.0)
    # About 2 inches go to the legend and 1 inch to the title and attribution.
    height = (width - 2.0) * aspect + 1.0
    return width, float(np.clip(height, 3.0, MAX_MAP_HEIGHT_IN))


def fit_height_to_map(fig: Figure, ax: Axes) -> None:
    """Shrink or grow a figure's height so an equal-aspect map fills its width.

    Constrained layout gives the map a box, then equal aspect shrinks the map inside it; the
    difference would be empty paper above and below the map in the report. While the height
    is fitted the map's limits stretch to fill its box instead (``adjustable="datalim"``), so
    the box, and the legend anchored to its edge, stay where they are once the map fills it:
    the height the box lacks is then read off one layout. The margins constrained layout
    leaves round the box are text and furniture, fixed in inches, so the box grows by what
    the figure grows (a second layout agreed to 0.0001 in on every map of the demo and was
    dropped). The layout at the final size is left to :func:`freeze_layout`.
    """
    xlim, ylim = ax.get_xlim(), ax.get_ylim()
    # Height over width of the map on paper: equal aspect draws a metre the same both ways.
    map_ratio = float(ax.get_aspect()) * abs(ylim[1] - ylim[0]) / abs(xlim[1] - xlim[0])
    adjustable = ax.get_adjustable()
    ax.set_adjustable("datalim")
    # matplotlib logs a warning each time it stretches limits that were set by hand; here the
    # stretch is the point, and the limits are put back afterwards.
    axes_log = logging.getLogger("matplotlib.axes._base")
    level = axes_log.level
    axes_log.setLevel(logging.ERROR)
    try:
        fig.draw_without_rendering()
        box = ax.get_position(original=True)
        width, height = fig.get_size_inches()
        lacking = map_ratio * box.width * width - box.height * height
        target = min(height + lacking, MAX_MAP_HEIGHT_IN)
        if abs(target - height) >= 0.02:
            fig.set_size_inches(width, target, forward=False)
    finally:
        axes_log.setLevel(level)
        ax.set_adjustable(adjustable)
        ax.set_xlim(xlim)
        ax.set_ylim(ylim)


def figure_renderer(fig: Figure) -> RendererBase:
    """The renderer of a figure's canvas, to measure text and boxes in display units."""
    renderer: RendererBase = cast("Any", fig.canvas).get_renderer()
    return renderer


#: Text ids (gid) of placed labels and key blocks, which must not overlap one another.
_PLACED_TEXT: Final = frozenset({"map-key", "map-label", "site-letter"})
#: How every map's data-source line begins (:func:`add_attribution`, ``Framing.source_line``).
_SOURCE_MARK: Final = "Source:"


def layout_problems(
    fig: Figure, tolerance_pt: float = 0.5, *, require_source: bool = True
) -> list[str]:
    """What a reader would see as broken in a drawn figure: cut-off text, covered markers.

    Measures every visible text in display units and reports, in words, each one that runs
    off the page, each pair of map labels or key blocks (gid ``"map-label"``, ``"map-key"``)
    that overlap, each pair of numbered markers (texts with gid ``"marker-number"``) whose
    discs overlap, and a caption under the map (gid ``"footer"``) that a legend covers. With
    ``require_source`` (every map of a run), a figure without a visible "Source:" line is a
    problem too. An empty list means the figure is print-ready in these respects.
    """
    renderer = figure_renderer(fig)
    scale = fig.dpi / 72
    page = fig.bbox
    slack = tolerance_pt * scale
    problems: list[str] = []
    # Tick labels of an axes drawn without axes (every map, the key) are never drawn.
    hidden = {
        id(text)
        for ax in fig.axes
        if not ax.axison
        for axis in (ax.xaxis, ax.yaxis)
        for text in axis.findobj(Text)
    }
    for text in fig.findobj(Text):
        if id(text) in hidden or not text.get_visible() or not text.get_text().strip():
            continue
        box = text.get_window_extent(renderer)
        if (
            box.x0 < page.x0 - slack
            or box.y0 < page.y0 - slack
            or box.x1 > page.x1 + slack
            or box.y1 > page.y1 + slack
        ):
            problems.append(f"text {text.get_text()[:40]!r} runs off the page")
    blocks = [t for t in fig.findobj(Text) if t.get_gid() in _PLACED_TEXT and t.get_visible()]
    extents = [b.get_window_extent(renderer) for b in blocks]
    for i, first in enumerate(extents):
        for j in range(i + 1, len(extents)):
            if first.overlaps(extents[j]):
                problems.append(
                    f"texts {blocks[i].get_text()[:30]!r} and {blocks[j].get_text()[:30]!r} overlap"
                )
    footers = [t for t in fig.findobj(Text) if t.get_gid() == "footer" and t.get_visible()]
    if require_source and not any(_SOURCE_MARK in t.get_text() for t in footers):
        problems.append(f"the map has no {_SOURCE_MARK!r} line under it")
    for legend in (ax.get_legend() for ax in fig.axes):
        if legend is None or not legend.get_visible():
            continue
        frame = legend.get_window_extent(renderer)
        problems += [
            f"the legend covers the caption {footer.get_text()[:30]!r}"
            for footer in footers
            if frame.overlaps(footer.get_window_extent(renderer))
        ]
    markers = [
        t.get_window_extent(renderer).get_points().mean(axis=0)
        for t in fig.findobj(Text)
        if t.get_gid() == "marker-number"
    ]
    for i, first in enumerate(markers):
        for second in markers[i + 1 :]:
            if float(np.hypot(*(first - second))) < MARKER_DIAMETER_PT * scale - slack:
                problems.append(f"numbered markers at {first} and {second} overlap")
    return problems


def freeze_layout(fig: Figure) -> None:
    """Fix every axes where the layout put it, so heavy map layers never trigger a re-layout.

    The layout is computed from the light artists (titles, legend, furniture, captions); the
    thousands of area paths drawn afterwards sit inside the map frame and cannot change it.
    """
    fig.draw_without_rendering()
    for ax in fig.axes:
        ax.set_position(ax.get_position(original=False))
    # No engine at all (the house style turns automatic engines off): a placeholder engine
    # would make every savefig lay out (and so draw) the whole figure once more.
    with house_style():
        fig.set_layout_engine(None)
    _pull_inside(fig)


def _pull_inside(fig: Figure, margin_pt: float = 3.0, rounds: int = 4) -> None:
    """Shrink the axes towards the page until every title, legend and caption is on it.

    Constrained layout can leave an outside legend or a caption a few points beyond the
    paper (it lays out the axes' boxes before equal aspect shrinks them). The axes (and the
    text anchored to them) are mapped into the page less what overflows; text keeps its size,
    so the check is repeated until nothing is cut off.
    """
    width, height = fig.get_size_inches()
    margin = margin_pt / 72
    for _ in range(rounds):
        tight = fig.get_tightbbox(figure_renderer(fig))
        if tight is None:
            return
        left = max(0.0, margin - tight.x0)
        right = max(0.0, tight.x1 - (width - margin))
        bottom = max(0.0, margin - tight.y0)
        top = max(0.0, tight.y1 - (height - margin))
        if max(left, right, bottom, top) < 0.5 / 72:
            return
        # An affine map of figure fractions that takes the content's box to the page's.
        x_scale = (tight.width - left - right) / tight.width
        y_scale = (tight.height - bottom - top) / tight.height
        x_from, y_from = tight.x0 / width, tight.y0 / height
        x_to, y_to = (tight.x0 + left) / width, (tight.y0 + bottom) / height
        for ax in fig.axes:
            box = ax.get_position(original=False)
            ax.set_position(
                (
                    x_to + (box.x0 - x_from) * x_scale,
                    y_to + (box.y0 - y_from) * y_scale,
                    box.width * x_scale,
                    box.height * y_scale,
                )
            )
            ax.apply_aspect()
            ax.set_position(ax.get_position(original=False))


# --- Maps ------------------------------------------------------------------------------------


def plot_lq_choropleth(
    areas: gpd.GeoDataFrame,
    column: str = "lq",
    *,
    title: str,
    subtitle: str | None = None,
    unreliable_column: str | None = "lq_unreliable",
    note_column: str | None = None,
    boundaries: Mapping[str, gpd.GeoDataFrame] | None = None,
    attribution: str = ORDNANCE_SURVEY_ATTRIBUTION,
    source: str | None = None,
    geometry: MapGeometry | None = None,
    ax: Axes | None = None,
) -> tuple[Figure, Axes]:
    """Map location quotients in the fixed house classes.

    Parameters
    ----------
    areas
        One row per area with its LQ, in a projected CRS in metres (British National Grid,
        EPSG:27700, in the pipeline).
    column
        Name of the LQ column.
    title
        Map title, in bold above the map.
    subtitle
        Optional smaller line under the title (industry, year, reference area).
    unreliable_column
        Name of a True/False column flagging LQs resting on small numbers (or negative, or
        suppressed); those areas are hatched grey whatever their LQ. ``None`` maps without the
        flag.
    note_column
        Name of a text column saying why an area's LQ is flagged (``lq_note``: "small count",
        "small area", "negative" or "suppressed"); the legend then names only the reasons
        among the flagged areas drawn. ``None`` names every reason.
    boundaries
        Authority outlines to draw over the map, keyed by tier: ``"district"`` (thin grey),
        ``"county"`` (darker, thicker) and ``"combined_authority"`` (dashed purple). Each must
        be in the same CRS as ``areas``. They are added to the legend.
    attribution
        Licence attribution written under the map, followed by the projection.
    source
        The data source and year, written above the attribution ("Source: ...").
    geometry
        The areas' and boundaries' paths, prepared once for many maps
        (:func:`~clustergeo.publish.map_geometry.prepare_map_geometry`); by default made here.
    ax
        Axes to draw into; by default a new figure 17 cm wide (an A4 page within margins) whose
        height fits the map. The legend sits outside the right edge of the map, so give
        ``ax`` a figure made with ``layout="constrained"`` to keep it on the page.

    Returns
    -------
    fig : matplotlib.figure.Figure
        The figure; save it with :func:`save_figure`. It is never shown.
    ax : matplotlib.axes.Axes
        The map axes.

    Raises
    ------
    MapInputError
        (a ``ValueError``) listing every problem found: missing columns, a missing or
        geographic CRS, boundaries in another CRS, unknown tiers, invalid LQ values.

    Notes
    -----
    The colours and breaks are fixed (:data:`LQ_BREAKS`), so an LQ of 1.3 is the same colour in
    every map; the legend lists the classes this map shows, in that fixed order.
    """
    _validate_choropleth_inputs(areas, column, unreliable_column, boundaries)
    if note_column is not None and note_column not in areas.columns:
        raise MapInputError(
            f"areas has no column {note_column!r} saying why LQs are flagged; pass "
            "note_column= its name, or note_column=None to name every reason in the legend."
        )
    classes = classify_lq(
        areas[column], None if unreliable_column is None else areas[unreliable_column]
    )
    codes = np.asarray(classes.codes)
    present = {LQ_CLASSES[code] for code in np.unique(codes)}
    hatched = codes == LQ_CLASSES.index(LQ_UNRELIABLE_LABEL)
    notes = None if note_column is None else areas[note_column].to_numpy()[hatched]
    return _class_map(
        areas,
        colours=[LQ_CLASS_COLOURS[LQ_CLASSES[code]] for code in codes],
        no_data=codes == LQ_CLASSES.index(LQ_NO_DATA_LABEL),
        hatched=hatched,
        handles=lq_class_handles(present, unreliable_label(notes)),
        legend_title="Location quotient",
        title=title,
        subtitle=subtitle,
        boundaries=boundaries,
        attribution=attribution,
        source=source,
        geometry=geometry,
        ax=ax,
    )


def _class_map(
    areas: gpd.GeoDataFrame,
    *,
    colours: list[str],
    no_data: np.ndarray,
    hatched: np.ndarray,
    handles: list[Patch | Line2D],
    legend_title: str,
    title: str,
    subtitle: str | None,
    boundaries: Mapping[str, gpd.GeoDataFrame] | None,
    attribution: str,
    source: str | None,
    geometry: MapGeometry | None,
    ax: Axes | None,
) -> tuple[Figure, Axes]:
    """Draw areas in fixed class colours with overlays, legend and map furniture.

    The light artists (title, legend, furniture, captions) are laid out first; on a figure of
    its own the layout is then frozen and the area paths drawn, so the thousands of paths are
    never measured by the layout.
    """
    overlays = dict(boundaries or {})
    tiers = drawn_tiers(overlays)
    if geometry is None:
        geometry = geometry_for_map(areas, overlays)
    with house_style():
        own_figure = ax is None
        if ax is None:
            fig, ax = plt.subplots(figsize=default_figsize(areas), layout="constrained")
        else:
            fig = _root_figure(ax)
        frame_map(ax, geometry.bounds)
        set_title(ax, title, subtitle)
        ax.legend(
            handles=[*handles, *boundary_handles(tiers, overlays)],
            title=legend_title,
            loc="upper left",
            bbox_to_anchor=(1.02, 1.0),
            borderaxespad=0.0,
            alignment="left",
            handlelength=2.0,
            handleheight=1.2,
            title_fontproperties={"weight": "bold", "size": FONT_SIZES["legend_title"]},
        )
        add_map_furniture(ax, areas)
        add_attribution(ax, attribution, crs_note=crs_note(areas), source=source)
        if own_figure:
            fit_height_to_map(fig, ax)
            freeze_layout(fig)
        draw_areas(ax, geometry.areas, colours, no_data=no_data, hatched=hatched)
        draw_outlines(ax, geometry, tiers)
        if own_figure and geometry.close_up is not None:
            inset = add_close_up_inset(ax, geometry.close_up)
            if inset is not None:
                members = geometry.close_up.members
                draw_areas(
                    inset,
                    geometry.close_up.geometry.areas,
                    [colours[i] for i in members],
                    no_data=no_data[members],
                    hatched=hatched[members],
                )
                draw_outlines(inset, geometry.close_up.geometry, tiers)
    return fig, ax


#: How a close-up's extent is outlined on the whole map (and keyed in its legend).
CLOSE_UP_STYLE: Final[Mapping[str, Any]] = MappingProxyType(
    {"edgecolor": "#222222", "linewidth": 1.0, "linestyle": (0.0, (4.0, 1.5))}
)
#: The smallest side of an inset close-up worth drawing, in inches.
_MIN_INSET_IN: Final = 1.2
#: The largest, in inches: beyond it a close-up adds paper, not detail.
_MAX_INSET_IN: Final = 2.4
#: Space kept between the legend and the inset's title, in points.
_INSET_GAP_PT: Final = 10.0
#: Room above the inset for its title and below it for its scale bar, in points.
_INSET_TITLE_PT: Final = 14.0
_INSET_SCALE_PT: Final = 26.0


def outline_close_up(ax: Axes, view: Sequence[float], *, zorder: float = 6.4) -> None:
    """Outline on the whole map the extent a close-up shows enlarged.

    The dashes run on a white line, so they stay apart from the county lines and dark fills
    they cross.
    """
    xmin, ymin, xmax, ymax = view
    halo = {"edgecolor": "white", "linewidth": CLOSE_UP_STYLE["linewidth"] + 1.6}
    for style, z, gid in (
        (halo, zorder - 0.01, "close-up-extent-halo"),
        (CLOSE_UP_STYLE, zorder, "close-up-extent"),
    ):
        ax.add_patch(
            Rectangle(
                (xmin, ymin), xmax - xmin, ymax - ymin, facecolor="none", zorder=z, gid=gid, **style
            )
        )


def add_close_up_inset(ax: Axes, close_up: CloseUp) -> Axes | None:
    """An inset axes under the map's legend showing ``close_up.view`` enlarged, or None.

    Call it once the layout is frozen (:func:`freeze_layout`): the inset takes the free
    column under the legend, beside the map, from the legend's left edge to the page's,
    a square of at most :data:`_MAX_INSET_IN` inches, titled with the place's name and with
    a scale bar under it. The map outlines the view. None (and nothing drawn) where the
    column has no room for a square of :data:`_MIN_INSET_IN` inches, or the map no legend.
    The caller fills the inset (its data coordinates are the map's).
    """
    legend = ax.get_legend()
    if legend is None:
        return None
    fig = _root_figure(ax)
    renderer = figure_renderer(fig)
    to_inches = fig.dpi_scale_trans.inverted()
    key = legend.get_window_extent(renderer).transformed(to_inches)
    frame = ax.get_window_extent(renderer).transformed(to_inches)
    width_in, height_in = fig.get_size_inches()
    left = key.x0
    top = key.y0 - (_INSET_GAP_PT + _INSET_TITLE_PT) / 72
    bottom = frame.y0 + _INSET_SCALE_PT / 72
    side = min(width_in - 3 / 72 - left, top - bottom, _MAX_INSET_IN)
    if side < _MIN_INSET_IN:
        log.debug("No room beside the map for a close-up of %s", close_up.place)
        return None
    inset = fig.add_axes(
        (left / width_in, (top - side) / height_in, side / width_in, side / height_in),
        label=f"close-up of {close_up.place}",
    )
    frame_map(inset, close_up.view, margin=0.0)
    for spine in inset.spines.values():
        spine.set(visible=True, edgecolor=CLOSE_UP_STYLE["edgecolor"], linewidth=0.8)
    inset.set_facecolor("white")
    inset.set_title(
        f"{close_up.place}, enlarged",
        loc="left",
        pad=3.0,
        fontsize=FONT_SIZES["legend_title"],
        fontweight="bold",
    )
    # Under the inset, its backing clear of the frame.
    add_scale_bar(inset, fraction=0.4, loc="upper left", bbox_to_anchor=(0.0, -2 / 72 / side))
    outline_close_up(ax, close_up.view)
    return inset


def drawn_tiers(boundaries: Mapping[str, gpd.GeoDataFrame]) -> list[str]:
    """The authority tiers of ``boundaries`` a map draws, lowest first.

    Those with a line style and at least one authority: an empty overlay draws nothing, so it
    gets no legend entry either.
    """
    return [tier for tier in BOUNDARY_STYLES if tier in boundaries and len(boundaries[tier])]


def geometry_for_map(
    areas: gpd.GeoDataFrame, boundaries: Mapping[str, gpd.GeoDataFrame] | None = None
) -> MapGeometry:
    """The geometry a map of ``areas`` with ``boundaries`` draws, prepared once to share.

    The areas and the outlines of the :func:`drawn_tiers`, simplified to the printed scale
    (:func:`~clustergeo.publish.map_geometry.prepare_map_geometry`): what a map given no
    ``geometry`` prepares for itself, so maps of the same areas can be given it instead.
    """
    overlays = dict(boundaries or {})
    drawn = {tier: overlays[tier] for tier in drawn_tiers(overlays)}
    return replace(prepare_map_geometry(areas, drawn), close_up=london_close_up(areas, drawn))


def draw_areas(
    ax: Axes,
    paths: Sequence[MplPath],
    colours: Sequence[str],
    *,
    no_data: np.ndarray | None = None,
    hatched: np.ndarray | None = None,
    edgecolor: str = _AREA_EDGE_COLOUR,
    linewidth: float = _AREA_EDGE_WIDTH,
) -> None:
    """Fill each area's path in its colour; outline no-data areas, hatch flagged ones."""
    ax.add_collection(
        coverage_collection(paths, facecolors=colours, edgecolors=edgecolor, linewidths=linewidth),
        autolim=False,
    )
    if no_data is not None and no_data.any():
        ax.add_collection(
            coverage_collection(
                [p for p, flag in zip(paths, no_data, strict=True) if flag],
                facecolors="none",
                edgecolors=_NO_DATA_EDGE_COLOUR,
                linewidths=0.3,
            ),
            autolim=False,
        )
    if hatched is not None and hatched.any():
        # Hatch lines take the edge colour; a zero edge width keeps the outline itself hidden.
        collection = coverage_collection(
            [p for p, flag in zip(paths, hatched, strict=True) if flag],
            facecolors="none",
            edgecolors=LQ_UNRELIABLE_HATCH_COLOUR,
            linewidths=0,
        )
        collection.set_hatch(LQ_UNRELIABLE_HATCH)
        ax.add_collection(collection, autolim=False)


def draw_outlines(
    ax: Axes,
    geometry: MapGeometry,
    tiers: Sequence[str],
    *,
    study_outline: bool = False,
    above: float | None = None,
) -> None:
    """Draw the authority outlines of ``tiers`` (lowest tier first), and the study outline.

    They go under whatever is drawn from z-order 5, or, with ``above``, just over that
    z-order: over the findings drawn up to it, so a boundary that runs through or along one
    shows (the governance the map is about).
    """
    first = 3.0 if above is None else above + 0.1
    step = 1.0 if above is None else 0.1
    levels = [first + step * i for i in range(len(tiers))]
    for zorder, tier in zip(levels, tiers, strict=True):
        style = dict(BOUNDARY_STYLES[tier])
        style.pop("label")
        ax.add_collection(
            coverage_collection(
                geometry.outlines.get(tier, []),
                facecolors="none",
                edgecolors=style["color"],
                linewidths=style["linewidth"],
                linestyles=[style["linestyle"]],
                zorder=zorder,
            ),
            autolim=False,
        )
    if study_outline:
        # Under the authority lines (drawn from ``first``), over whatever they are over.
        ax.add_collection(
            coverage_collection(
                geometry.study_outline,
                facecolors="none",
                edgecolors=STUDY_OUTLINE_STYLE["color"],
                linewidths=STUDY_OUTLINE_STYLE["linewidth"],
                alpha=STUDY_OUTLINE_STYLE["alpha"],
                zorder=first - 0.05,
            ),
            autolim=False,
        )


def plot_hotspot_map(
    areas: gpd.GeoDataFrame,
    column: str,
    *,
    title: str,
    subtitle: str | None = None,
    boundaries: Mapping[str, gpd.GeoDataFrame] | None = None,
    attribution: str = ORDNANCE_SURVEY_ATTRIBUTION,
    source: str | None = None,
    geometry: MapGeometry | None = None,
    ax: Axes | None = None,
) -> tuple[Figure, Axes]:
    """Map Getis-Ord Gi* hot- and cold-spot classes in the fixed house colours.

    Parameters
    ----------
    areas
        Polygons in a projected CRS with a class column holding values of
        :data:`HOTSPOT_CLASSES`; anything else (``not_tested``, missing) is drawn as no data.
    column
        The class column.
    title, subtitle, boundaries, attribution, source, geometry, ax
        As for :func:`plot_lq_choropleth`.

    Returns
    -------
    fig, ax
        The figure (never shown) and the map axes.

    Notes
    -----
    The classes keep their colours in every map; the legend lists those this map shows.
    """
    return _categorical_map(
        areas,
        column,
        classes=HOTSPOT_CLASSES,
        colours=HOTSPOT_CLASS_COLOURS,
        labels=HOTSPOT_CLASS_LABELS,
        legend_title="Getis-Ord Gi*",
        title=title,
        subtitle=subtitle,
        boundaries=boundaries,
        attribution=attribution,
        source=source,
        geometry=geometry,
        ax=ax,
    )


def plot_lisa_map(
    areas: gpd.GeoDataFrame,
    column: str,
    *,
    title: str,
    subtitle: str | None = None,
    boundaries: Mapping[str, gpd.GeoDataFrame] | None = None,
    attribution: str = ORDNANCE_SURVEY_ATTRIBUTION,
    source: str | None = None,
    geometry: MapGeometry | None = None,
    ax: Axes | None = None,
) -> tuple[Figure, Axes]:
    """Map Local Moran's I cluster and outlier classes (HH, HL, LH, LL) in fixed colours.

    Parameters
    ----------
    areas
        Polygons with a class column holding values of :data:`MORAN_MAP_CLASSES`; anything
        else (``not_tested``, missing) is drawn as no data.
    column
        The class column.
    title, subtitle, boundaries, attribution, source, geometry, ax
        As for :func:`plot_lq_choropleth`.

    Notes
    -----
    The colours are GeoDa's convention (Anselin 1995's LISA cluster map): high-high red,
    low-low blue, and the outliers in their lighter tints, high-low pink, low-high light blue.
    """
    return _categorical_map(
        areas,
        column,
        classes=MORAN_MAP_CLASSES,
        colours=MORAN_CLASS_COLOURS,
        labels=MORAN_CLASS_LABELS,
        legend_title="Local Moran's I",
        title=title,
        subtitle=subtitle,
        boundaries=boundaries,
        attribution=attribution,
        source=source,
        geometry=geometry,
        ax=ax,
    )


def _categorical_map(
    areas: gpd.GeoDataFrame,
    column: str,
    *,
    classes: Sequence[str],
    colours: Mapping[str, str],
    labels: Mapping[str, str],
    legend_title: str,
    title: str,
    subtitle: str | None,
    boundaries: Mapping[str, gpd.GeoDataFrame] | None,
    attribution: str,
    source: str | None,
    geometry: MapGeometry | None,
    ax: Axes | None,
) -> tuple[Figure, Axes]:
    problems = [p for p in (_crs_problem(areas, "areas"),) if p]
    if column not in areas.columns:
        problems.append(f"areas has no column {column!r}")
    if problems:
        raise MapInputError(f"Cannot draw the {legend_title} map: " + "; ".join(problems))
    values = areas[column].astype("string").fillna("")
    known = values.isin(classes).to_numpy()
    present = set(values[known])
    # "Not tested" is a class of its own in the legend, but drawn as no data is: outlined,
    # or its white would pass for a near-white class ("no pattern", "not significant").
    untested = (values == "not_tested").to_numpy()
    return _class_map(
        areas,
        colours=[colours.get(c, "#ffffff") for c in values],
        no_data=~known | untested,
        hatched=np.zeros(len(areas), dtype=bool),
        handles=class_handles(classes, colours, labels, present, no_data=bool((~known).any())),
        legend_title=legend_title,
        title=title,
        subtitle=subtitle,
        boundaries=boundaries,
        attribution=attribution,
        source=source,
        geometry=geometry,
        ax=ax,
    )


def frame_map(ax: Axes, bounds: Sequence[float], margin: float = 0.03) -> None:
    """Zoom a map to ``bounds`` (xmin, ymin, xmax, ymax) plus a margin, at equal aspect, bare.

    No ticks, axis labels or frame: a map's coordinates are given by its scale bar and
    projection note, not by tick labels.
    """
    x_min, y_min, x_max, y_max = (float(b) for b in bounds)
    pad = margin * max(x_max - x_min, y_max - y_min)
    ax.set_xlim(x_min - pad, x_max + pad)
    ax.set_ylim(y_min - pad, y_max + pad)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xticks([])
    ax.set_yticks([])
    # geopandas labels the axes "Easting [metre]" etc., which a map does not need.
    ax.set_xlabel("")
    ax.set_ylabel("")
    for spine in ax.spines.values():
        spine.set_visible(False)


def corner_coverage(ax: Axes, areas: gpd.GeoDataFrame) -> dict[_Corner, float]:
    """Return the share of each corner of the map, about the size of a scale bar, with data."""
    x_min, x_max = ax.get_xlim()
    y_min, y_max = ax.get_ylim()
    # Coverage is sampled on a grid of points rather than by intersecting polygons, which is
    # fast and does not fail on the slightly invalid geometries common in boundary files.
    grid_x = np.linspace(0.01, 0.32, 16) * (x_max - x_min)
    grid_y = np.linspace(0.01, 0.16, 8) * (y_max - y_min)
    offsets_x, offsets_y = (a.ravel() for a in np.meshgrid(grid_x, grid_y))
    index = areas.geometry.sindex
    coverage: dict[_Corner, float] = {}
    corners: tuple[_Corner, ...] = ("lower left", "lower right", "upper left", "upper right")
    for corner in corners:
        xs = x_min + offsets_x if corner.endswith("left") else x_max - offsets_x
        ys = y_min + offsets_y if corner.startswith("lower") else y_max - offsets_y
        points = shapely.points(xs, ys)
        point_rows, _ = index.query(points, predicate="intersects")
        coverage[corner] = len(np.unique(point_rows)) / len(points)
    return coverage


def _root_figure(ax: Axes) -> Figure:
    fig = ax.get_figure(root=True)
    if not isinstance(fig, Figure):
        raise ValueError("The Axes passed as ax= does not belong to a figure.")
    return fig


# --- Saving ----------------------------------------------------------------------------------


#: Every figure of a run is written in these formats: PNG for documents and slides, PDF and SVG
#: (with editable text) for print and design.
FIGURE_FORMATS: Final = ("png", "pdf", "svg")


def save_figure(
    fig: Figure,
    path_stem: Path,
    formats: Sequence[str] = FIGURE_FORMATS,
    dpi: int = 300,
    unchanged: Mapping[str, str] | None = None,
) -> list[Path]:
    """Write a figure in several formats, each atomically, then close it.

    Parameters
    ----------
    fig
        The figure to save.
    path_stem
        Output path without extension; ``".png"``, ``".svg"``... are appended.
    formats
        File formats to write (any matplotlib supports: png, svg, pdf...); one name is enough.
    dpi
        Resolution of raster formats; 300 is print quality.
    unchanged
        The checksums (sha256) of this figure's files as the same code last wrote them, by
        format. Where the figure's SVG comes out the same as that SVG and every format's
        file is still the one recorded, the files are kept as they are instead of being
        drawn again: the SVG holds every shape, colour and word of the figure (its text as
        text) and, in its metadata, a checksum of what else decides the PNG and the PDF
        (:func:`_drawing_fingerprint`: the matplotlib settings, the rendering libraries'
        versions, the fonts), so the same SVG from the same code is the same PNG and PDF.

    Returns
    -------
    list of Path
        The files written, in the order of ``formats``.

    Raises
    ------
    ValueError
        If a format is not supported or ``path_stem`` already ends in an image extension.
    clustergeo.OutputError
        If a file cannot be written; files already written stay complete.

    Notes
    -----
    The figure is closed even when writing fails, so a pipeline run never leaks figures.
    Dates are left out of SVG and PDF metadata so that re-running a stage does not change the
    files.
    """
    path_stem = Path(path_stem)
    if isinstance(formats, str):
        formats = (formats,)
    supported = fig.canvas.get_supported_filetypes()
    problems = [f"unsupported format {fmt!r}" for fmt in formats if fmt not in supported]
    if path_stem.suffix.lstrip(".").lower() in supported:
        problems.append(
            f"path_stem {str(path_stem)!r} already ends in {path_stem.suffix}; pass it "
            "without the extension"
        )
    if not formats:
        problems.append("no formats given")
    if problems:
        plt.close(fig)
        raise ValueError(
            "Cannot save figure: "
            + "; ".join(problems)
            + f". Supported formats: {', '.join(sorted(supported))}."
        )
    written: list[Path] = []
    try:
        with house_style():
            kept = _kept_files(fig, path_stem, formats, dpi, unchanged or {})
            if kept:
                note_written(kept)
                log.info("Kept %s.{%s}: the figure is unchanged", path_stem, ",".join(formats))
                return kept
            # The SVG first, as the check for an unchanged figure draws it: its bytes are then
            # those of the figure's first drawing either way.
            for fmt in sorted(formats, key=lambda f: f != "svg"):
                target = path_stem.with_name(f"{path_stem.name}.{fmt}")
                metadata = _svg_metadata() if fmt == "svg" else None
                if fmt == "pdf":
                    metadata = {"CreationDate": None}
                with atomic_path(target) as tmp:
                    if fmt == "png":
                        _write_opaque_png(fig, tmp, dpi)
                    else:
                        fig.savefig(tmp, format=fmt, dpi=dpi, metadata=metadata)
                log.info("Wrote %s", target)
                written.append(target)
    finally:
        plt.close(fig)
    return sorted(written, key=lambda t: list(formats).index(t.suffix[1:]))


#: matplotlib settings that do not change a saved figure (key bindings, the GUI, where a save
#: dialog opens), left out of :func:`_drawing_fingerprint`.
_NOT_DRAWING: Final = (
    "keymap.",
    "webagg.",
    "backend",
    "interactive",
    "toolbar",
    "savefig.directory",
)


def _drawing_fingerprint() -> str:
    """A checksum of everything besides the figure that decides its PNG and PDF bytes.

    The effective matplotlib settings (the house style over whatever a ``matplotlibrc`` sets:
    anti-aliasing, PDF core fonts... change a PNG or a PDF and not the SVG), the versions of
    the libraries that rasterise, compress and embed fonts, and the cut house fonts in use.
    Written into every SVG (its ``Identifier``), so an SVG the same as the last is a PNG and a
    PDF the same as the last.
    """
    from fontTools import version as fonttools_version
    from matplotlib import ft2font

    settings = sorted(
        (key, repr(value))
        for key, value in mpl.rcParams.items()
        if not key.startswith(_NOT_DRAWING)
    )
    state = {
        "settings": settings,
        "versions": [
            mpl.__version__,
            getattr(ft2font, "__freetype_version__", ""),
            fonttools_version,
            PIL.__version__,
            zlib.ZLIB_RUNTIME_VERSION,
        ],
        "fonts": house_font_files(),
    }
    text = json.dumps(state, sort_keys=True)
    return "clustergeo-drawing:" + hashlib.sha256(text.encode()).hexdigest()[:32]


def _svg_metadata() -> dict[str, str | None]:
    return {"Date": None, "Identifier": _drawing_fingerprint()}


def _kept_files(
    fig: Figure, path_stem: Path, formats: Sequence[str], dpi: int, unchanged: Mapping[str, str]
) -> list[Path]:
    """The figure's files, if they can be kept as they are (see :func:`save_figure`), else []."""
    targets = [path_stem.with_name(f"{path_stem.name}.{fmt}") for fmt in formats]
    if "svg" not in formats or not set(formats) <= set(unchanged):
        return []
    if not all(
        t.is_file() and file_sha256(t) == unchanged[f]
        for t, f in zip(targets, formats, strict=True)
    ):
        return []
    svg = io.BytesIO()
    fig.savefig(svg, format="svg", dpi=dpi, metadata=_svg_metadata())
    if hashlib.sha256(svg.getvalue()).hexdigest() != unchanged["svg"]:
        return []
    return targets


def _write_opaque_png(fig: Figure, target: Path, dpi: int) -> None:
    """Save ``fig`` as an RGB PNG at ``dpi``: the pixels ``savefig`` draws, on white, no alpha.

    A map's page is white, so the alpha channel matplotlib writes is 255 everywhere: it only
    costs a quarter more data to filter and compress, and every reader that prints the PNG
    (WeasyPrint, for ``report.pdf``) splits it off again into a mask. The figure is drawn by
    ``savefig`` as raw RGBA (so its face colour, canvas and the saving flags are as for any
    other format) and composited on white where anything is transparent.
    """
    raw = io.BytesIO()
    fig.savefig(raw, format="rgba", dpi=dpi)
    width, height = (int(v) for v in fig.get_size_inches() * dpi)
    pixels = raw.getvalue()
    if len(pixels) != width * height * 4:
        raise OutputError(
            f"Cannot write {target}: the figure drew {len(pixels)} bytes of pixels, not the "
            f"{width} x {height} its size of {fig.get_size_inches()} in at {dpi} dpi holds."
        )
    rgba = np.frombuffer(pixels, dtype=np.uint8).reshape(height, width, 4)
    if int(rgba[..., 3].min()) < 255:
        image = PILImage.frombuffer("RGBA", (width, height), pixels, "raw", "RGBA", 0, 1)
        image = PILImage.alpha_composite(PILImage.new("RGBA", image.size, "white"), image)
        rgb = np.asarray(image.convert("RGB"))
    else:
        rgb = rgba[..., :3]
    write_rgb_png(
        rgb,
        target,
        dpi=dpi,
        software=f"Matplotlib version{mpl.__version__}, https://matplotlib.org/",
    )


def plot_category_map(
    areas: gpd.GeoDataFrame,
    column: str,
    categories: Mapping[str, tuple[str, str]],
    *,
    legend_title: str,
    title: str,
    subtitle: str | None = None,
    boundaries: Mapping[str, gpd.GeoDataFrame] | None = None,
    attribution: str = ORDNANCE_SURVEY_ATTRIBUTION,
    source: str | None = None,
    geometry: MapGeometry | None = None,
    ax: Axes | None = None,
) -> tuple[Figure, Axes]:
    """Map a class column in fixed colours: each value of ``categories`` its own colour.

    Parameters
    ----------
    areas
        Polygons in a projected CRS with the class column.
    column
        The class column.
    categories
        Class value → (legend label, fill colour), in legend order. Values not listed (or
        missing) are drawn as no data.
    legend_title, title, subtitle, boundaries, attribution, source, geometry, ax
        As for :func:`plot_lq_choropleth`.

    Returns
    -------
    fig, ax
        The figure (never shown) and the map axes.

    Notes
    -----
    Drawn as the hot-spot and Local Moran maps are: a class keeps its colour (the caller's
    fixed palette, the same as its QGIS style) on every map, and the legend lists the classes
    this map shows.
    """
    return _categorical_map(
        areas,
        column,
        classes=list(categories),
        colours={value: colour for value, (_label, colour) in categories.items()},
        labels={value: label for value, (label, _colour) in categories.items()},
        legend_title=legend_title,
        title=title,
        subtitle=subtitle,
        boundaries=boundaries,
        attribution=attribution,
        source=source,
        geometry=geometry,
        ax=ax,
    )
