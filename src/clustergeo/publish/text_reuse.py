"""matplotlib's text measured, shaped and rasterised once per process, for every map that uses it.

matplotlib 3.11 keeps the size of a text for one renderer only, and shapes and rasterises it
anew each time it draws it. A map is measured by one renderer while its layout is fitted, then
drawn by three more (PNG, PDF and SVG), and a run's maps repeat the same legend entries,
attribution, scale bar and source notes. The demo's publish stage, run in one process,
measured text 2,731 times with matplotlib's own caches (about a millisecond each, spent shaping
the string with HarfBuzz and loading its glyphs) and 543 times with this module's, shaped 683
strings for its PNGs where 178 were different, and rasterised 17,293 glyphs of which 6,541
differed in face, size and position within a pixel.

:func:`reuse_text_work` replaces four of matplotlib's functions in this process. None is
public API, so they are replaced only under matplotlib 3.11 and where each has the form this
module knows; the tests check that they are in place with the matplotlib installed, so an
upgrade shows there.

- ``matplotlib.text._get_text_metrics_with_cache``: the width, height and descent of a plain
  (not mathematical) string kept for every Agg, PDF and SVG renderer alike, by what they depend
  on: the renderer's kind (and resolution, for Agg), the string, the font properties, the
  settings that choose, load and measure with the font, and the fonts matplotlib knows
  (:func:`_font_key`).
- ``RendererAgg.draw_text``: the glyphs and positions HarfBuzz shapes a string into, kept by
  font, size, resolution, hinting flags, font features and language.
- ``RendererAgg._draw_text_glyphs_and_boxes``: each glyph's rasterised image kept by font, size,
  resolution, hinting flags, anti-aliasing, rotation and slant, and the pen position's fraction
  of a pixel (FreeType places glyphs to 1/64 pixel). A glyph drawn whole pixels away from a kept
  one is the same image moved by those pixels: the outline is moved by whole pixels after
  hinting, and coverage is computed on the same pixel grid.
- ``FT2Font.get_sfnt_table``: a font's table (read twice for every layout of a text) kept by
  font file, face and table, and handed out as a fresh dict each time.

So every figure is drawn with the same numbers and pixels as matplotlib's own functions give
(the tests compare them key by key, and every PNG, PDF and SVG of the demo and the Midlands
run is byte for byte the same), and each memo is emptied when it holds :data:`_KEPT` entries.
One difference: a warning about a glyph missing from the fonts is given once per string and
process, not each time the string is drawn. The demo's publish stage took
18.5-20.5 s with them and 21.6-21.9 s without (three runs each, alternated, on a machine running
at about half its usual speed).
"""

from __future__ import annotations

import inspect
import logging
import math
import threading
from collections.abc import Callable, Iterable
from typing import Any, Final, cast

import matplotlib as mpl
import matplotlib.text as mtext
import numpy as np
from matplotlib import font_manager, ft2font
from matplotlib.backends import backend_agg
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.backends.backend_mixed import MixedModeRenderer

__all__ = ["reuse_text_work"]

log = logging.getLogger(__name__)

#: Entries kept per memo before it is emptied: a run of maps needs a few thousand glyph
#: images (about a kilobyte each at 300 dpi, so a full memo holds some 50 MB) and a few
#: hundred strings.
_KEPT: Final = 50_000

_lock = threading.Lock()
_originals: dict[str, Callable[..., Any]] = {}
_metrics: dict[tuple[Any, ...], tuple[float, float, float]] = {}
_shapes: dict[tuple[Any, ...], tuple[tuple[Any, int, float, float], ...]] = {}
_glyph_images: dict[tuple[Any, ...], tuple[np.ndarray, int, int]] = {}
_tables: dict[tuple[str, int, str], dict[str, Any] | None] = {}
#: The settings that list the fonts of each generic family (matplotlib's ``findfont`` reads
#: them for a family named by one of these aliases, in lower case).
_FAMILY_SETTINGS: Final = {
    "serif": "font.serif",
    "sans-serif": "font.sans-serif",
    "sans serif": "font.sans-serif",
    "sans": "font.sans-serif",
    "cursive": "font.cursive",
    "fantasy": "font.fantasy",
    "monospace": "font.monospace",
}
#: The settings that make a font object (``get_font``: the last-resort fallback font, the
#: kerning factor and the hinting factor, which matplotlib 3.11 no longer uses) and measure
#: with it (hinting, the PDF core fonts). Read with ``dict.get``, so a setting matplotlib
#: drops reads as None.
_MEASURING_SETTINGS: Final = (
    "font.enable_last_resort",
    "text.hinting",
    "text.hinting_factor",
    "text.kerning_factor",
    "pdf.use14corefonts",
)
_NOT_KEPT: Final = object()
#: The renderers whose text sizes are kept: Agg, PDF and SVG (set when installed).
_measured_kinds: tuple[type, ...] = ()
#: matplotlib's hinting flags for the Agg backend's settings (a function it has not typed).
_hinting_flag: Callable[[], Any] = backend_agg.get_hinting_flag

#: The matplotlib series whose functions the replacements repeat (two of them re-implement
#: matplotlib's drawing of text, which a later series may change under the same signature).
_MATPLOTLIB_SERIES: Final = "3.11."
#: The parameters of each replaced function in matplotlib 3.11.
_KNOWN_PARAMETERS: Final = {
    "metrics": ["renderer", "text", "fontprop", "ismath", "dpi"],
    "draw_text": ["self", "gc", "x", "y", "s", "prop", "angle", "ismath", "mtext"],
    "glyphs": ["self", "gc", "x", "y", "angle", "glyphs", "boxes"],
}


def reuse_text_work() -> bool:
    """Have matplotlib keep text sizes, shapes and glyph images for the whole process.

    Calling it again does nothing.

    Returns
    -------
    bool
        Whether the replacements are in place (False with a matplotlib whose functions have
        another form: text is then measured and drawn as matplotlib does).
    """
    global _measured_kinds  # noqa: PLW0603 (once per process)
    from matplotlib.backends.backend_pdf import RendererPdf
    from matplotlib.backends.backend_svg import RendererSVG

    with _lock:
        if _originals:
            return True
        if not mpl.__version__.startswith(_MATPLOTLIB_SERIES):
            log.debug("matplotlib %s: text drawn as matplotlib does", mpl.__version__)
            return False
        originals = {
            "metrics": mtext.__dict__.get("_get_text_metrics_with_cache"),
            "draw_text": RendererAgg.__dict__.get("draw_text"),
            "glyphs": RendererAgg.__dict__.get("_draw_text_glyphs_and_boxes"),
        }
        font_methods = ("_layout", "_render_glyph", "_set_transform", "set_size")
        if not all(hasattr(ft2font.FT2Font, name) for name in font_methods) or not hasattr(
            ft2font, "RenderMode"
        ):
            log.debug("matplotlib's fonts have another form: text drawn as matplotlib does")
            return False
        for name, function in originals.items():
            if not _has_parameters(function, _KNOWN_PARAMETERS[name]):
                log.debug("matplotlib's %s has another form: text drawn as matplotlib does", name)
                return False
        tables = ft2font.FT2Font.get_sfnt_table
        if not (tables.__doc__ or "").startswith("get_sfnt_table(self: matplotlib.ft2font.FT2Font"):
            log.debug("matplotlib's font tables have another form: text drawn as matplotlib does")
            return False
        _originals.update(originals)  # type: ignore[arg-type]
        _originals["tables"] = tables
        _measured_kinds = (RendererAgg, RendererPdf, RendererSVG)
        ft2font.FT2Font.get_sfnt_table = _sfnt_table  # type: ignore[method-assign,assignment]
        setattr(mtext, "_get_text_metrics_with_cache", _text_metrics)  # noqa: B010 (untyped)
        RendererAgg.draw_text = _draw_text  # type: ignore[method-assign]
        RendererAgg._draw_text_glyphs_and_boxes = _draw_glyphs  # type: ignore[method-assign]
    return True


def _has_parameters(function: Any, parameters: list[str]) -> bool:
    if not callable(function) or function in (_text_metrics, _draw_text, _draw_glyphs):
        return False
    try:
        return list(inspect.signature(function).parameters) == parameters
    except (TypeError, ValueError):
        return False


def _remember(memo: dict[Any, Any], key: Any, value: Any) -> Any:
    if len(memo) >= _KEPT:
        memo.clear()
    memo[key] = value
    return value


def _text_metrics(renderer: Any, text: str, fontprop: Any, ismath: Any, dpi: float) -> Any:
    """Width, height and descent of ``text``, as ``renderer.get_text_width_height_descent``."""
    # A PDF or SVG is drawn through a renderer that hands each call to the vector renderer
    # (or to an Agg one while it rasterises).
    measuring = renderer._renderer if isinstance(renderer, MixedModeRenderer) else renderer
    kind = type(measuring)
    if ismath is not False or kind not in _measured_kinds:
        return _originals["metrics"](renderer, text, fontprop, ismath, dpi)
    key = (kind, measuring.dpi if kind is RendererAgg else None, text, *_font_key(fontprop))
    kept = _metrics.get(key)
    if kept is None:
        # Measured by the renderer itself: matplotlib's own cache for it would hand out what
        # it measured before a change of settings.
        kept = _remember(
            _metrics, key, renderer.get_text_width_height_descent(text, fontprop, False)
        )
    return kept


def _font_key(fontprop: Any) -> tuple[Any, ...]:
    """What the font and size of a text with ``fontprop`` depend on, as a key.

    The properties; for a generic family (``sans-serif``...) the fonts the settings list for
    it; the settings that make and measure with the font (:data:`_MEASURING_SETTINGS`); and the
    fonts matplotlib knows. Settings are read as the dictionary matplotlib's settings are,
    without its checks per key.
    """
    rc = cast(dict[str, Any], mpl.rcParams)  # a dict subclass
    families = tuple(fontprop.get_family())
    listed = tuple(
        tuple(dict.get(rc, _FAMILY_SETTINGS[family.lower()], ()))
        for family in families
        if family.lower() in _FAMILY_SETTINGS
    )
    manager = font_manager.fontManager
    return (
        families,
        fontprop.get_style(),
        fontprop.get_variant(),
        fontprop.get_weight(),
        fontprop.get_stretch(),
        fontprop.get_size_in_points(),
        fontprop.get_file(),
        listed,
        tuple(dict.get(rc, key) for key in _MEASURING_SETTINGS),
        id(manager),
        len(manager.ttflist),
        len(manager.afmlist),
    )


def _sfnt_table(self: Any, name: str) -> dict[str, Any] | None:
    """``FT2Font.get_sfnt_table``: a font file's table read once, handed out as a fresh dict."""
    path = getattr(self, "fname", None)
    if not isinstance(path, str):  # a font read from a file object
        return _originals["tables"](self, name)  # type: ignore[no-any-return]
    key = (path, int(getattr(self, "face_index", 0)), name)
    kept = _tables.get(key, _NOT_KEPT)
    if kept is _NOT_KEPT:
        kept = _remember(_tables, key, _originals["tables"](self, name))
    return None if kept is None else dict(kept)  # type: ignore[call-overload]


def _hashable(value: Any) -> Any:
    """``value`` (a font feature list or a language) as a key, or raises TypeError."""
    if value is None or isinstance(value, (str, int, float)):
        return value
    out = tuple(_hashable(item) for item in value)
    hash(out)
    return out


def _draw_text(  # noqa: PLR0917 -- matplotlib's signature
    self: Any,
    gc: Any,
    x: float,
    y: float,
    s: str,
    prop: Any,
    angle: float,
    ismath: Any = False,
    mtext: Any = None,
) -> None:
    """``RendererAgg.draw_text``, each string's shaped glyphs kept."""
    if ismath:
        return _originals["draw_text"](self, gc, x, y, s, prop, angle, ismath, mtext)  # type: ignore[no-any-return]
    font = self._prepare_font(prop)
    features = mtext.get_fontfeatures() if mtext is not None else None
    language = mtext.get_language() if mtext is not None else None
    flags = _hinting_flag()
    size = prop.get_size_in_points()
    try:
        key: tuple[Any, ...] | None = (
            font,
            size,
            self.dpi,
            s,
            flags,
            _hashable(features),
            _hashable(language),
        )
    except TypeError:
        key = None
    glyphs = _shapes.get(key) if key is not None else None
    if glyphs is None:
        glyphs = tuple(
            (item.ft_object, item.glyph_index, item.x, item.y)
            for item in font._layout(s, flags=flags, features=features, language=language)
        )
        if key is not None:
            _remember(_shapes, key, glyphs)
    self._draw_text_glyphs_and_boxes(
        gc, x, y, angle, ((face, size, index, 0, 1, dx, dy) for face, index, dx, dy in glyphs), []
    )
    return None


def _draw_glyphs(  # noqa: PLR0917 -- matplotlib's signature
    self: Any,
    gc: Any,
    x: float,
    y: float,
    angle: float,
    glyphs: Iterable[tuple[Any, float, int, float, float, float, float]],
    boxes: Any,
) -> None:
    """``RendererAgg._draw_text_glyphs_and_boxes``, each glyph's image kept (no boxes)."""
    boxes = list(boxes)  # TeX hands a generator
    if boxes:
        _originals["glyphs"](self, gc, x, y, angle, glyphs, boxes)
        return
    # As matplotlib: y runs downwards, FreeType's upwards; the pen position in 1/64 pixel.
    cos = math.cos(math.radians(angle))
    sin = math.sin(math.radians(angle))
    load_flags = _hinting_flag()
    antialiased = gc.get_antialiased()
    mode = ft2font.RenderMode.NORMAL if antialiased else ft2font.RenderMode.MONO
    height = self.height
    matrices: dict[tuple[float, float], tuple[np.ndarray, tuple[int, ...]]] = {}
    for font, size, glyph_index, slant, extend, dx, dy in glyphs:
        matrix = matrices.get((slant, extend))
        if matrix is None:
            fixed = (
                (0x10000 * np.array([[cos, -sin], [sin, cos]]) @ [[extend, extend * slant], [0, 1]])
                .round()
                .astype(int)
            )
            matrix = matrices[(slant, extend)] = (fixed, tuple(fixed.ravel().tolist()))
        pen_x = round(0x40 * (x + dx * cos - dy * sin))
        pen_y = round(0x40 * (height - y + dx * sin + dy * cos))
        subpixel = (pen_x & 0x3F, pen_y & 0x3F)  # in 1/64 pixel
        key = (font, size, self.dpi, glyph_index, load_flags, antialiased, matrix[1], subpixel)
        kept = _glyph_images.get(key)
        if kept is None:
            font.set_size(size, self.dpi)
            font._set_transform(matrix[0], [pen_x, pen_y])
            bitmap = font._render_glyph(glyph_index, load_flags, mode)
            buffer = bitmap.buffer
            if not antialiased:
                buffer *= 0xFF
            # The image's corner relative to the pen's whole pixel.
            kept = _remember(
                _glyph_images, key, (buffer, bitmap.left - (pen_x >> 6), bitmap.top - (pen_y >> 6))
            )
        buffer, left, top = kept
        # draw_text_image's y runs downwards, to the image's bottom side.
        self._renderer.draw_text_image(
            buffer,
            left + (pen_x >> 6),
            int(height) - (top + (pen_y >> 6)) + buffer.shape[0],
            0,
            gc,
        )
