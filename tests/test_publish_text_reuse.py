"""Text measured, shaped and rasterised once per process: matplotlib's own numbers and pixels."""

from __future__ import annotations

import dataclasses
import io
import warnings
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
import matplotlib.text as mtext
import numpy as np
import pytest
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.backends.backend_mixed import MixedModeRenderer
from matplotlib.backends.backend_pdf import PdfFile, RendererPdf
from matplotlib.backends.backend_svg import RendererSVG
from matplotlib.font_manager import FontProperties, fontManager, get_font
from matplotlib.ft2font import FT2Font

from clustergeo.publish import text_reuse
from clustergeo.publish.plotting import house_style
from clustergeo.publish.text_reuse import reuse_text_work

# Kerned pairs, ligatures, signs beyond Latin-1, a combining accent, a line of digits.
STRINGS = ("AVAWaToTy", "fi ffl fl", "– ≥ £1,250 → ★", "q\u0301 Ŵŷẁ", "0123456789", "", "lp")
FACES = (
    FontProperties(family="DejaVu Sans", size=9),
    FontProperties(family="DejaVu Sans", size=11, weight="bold"),
    FontProperties(family="DejaVu Sans", size=6.5, style="italic"),
    FontProperties(family="DejaVu Sans Mono", size=8),
)


@pytest.fixture
def originals() -> Iterator[dict[str, Any]]:
    """matplotlib's own functions, with the replacements in place during the test."""
    with house_style():
        assert reuse_text_work()
        yield dict(text_reuse._originals)


def _renderers() -> list[Any]:
    fig = plt.figure(figsize=(3, 2), dpi=300)
    pdf = RendererPdf(PdfFile(io.BytesIO()), 72, 144, 216)
    svg = RendererSVG(216, 144, io.StringIO())
    renderers = [
        RendererAgg(900, 600, 300),
        RendererAgg(216, 144, 72),
        pdf,
        svg,
        MixedModeRenderer(fig, 3, 2, 72, pdf),
    ]
    plt.close(fig)
    return renderers


def test_the_replacements_are_in_place_with_the_installed_matplotlib(
    originals: dict[str, Any],
) -> None:
    assert mtext._get_text_metrics_with_cache is text_reuse._text_metrics
    assert RendererAgg.draw_text is text_reuse._draw_text
    assert RendererAgg._draw_text_glyphs_and_boxes is text_reuse._draw_glyphs
    assert FT2Font.get_sfnt_table is text_reuse._sfnt_table
    assert reuse_text_work()  # again: nothing changes
    assert text_reuse._originals == originals


def test_sizes_are_matplotlibs_for_every_renderer(originals: dict[str, Any]) -> None:
    with house_style():
        for renderer in _renderers():
            for prop in FACES:
                for text in STRINGS:
                    own = originals["metrics"](renderer, text, prop, False, 300)
                    for _ in range(2):  # made, then kept
                        assert text_reuse._text_metrics(renderer, text, prop, False, 300) == own
    # Another size, resolution or face is measured afresh, not taken from the memo.
    agg = RendererAgg(900, 600, 300)
    small, large = FontProperties(size=8), FontProperties(size=16)
    assert text_reuse._text_metrics(agg, "Hinckley", small, False, 300) != (
        text_reuse._text_metrics(agg, "Hinckley", large, False, 300)
    )
    assert text_reuse._text_metrics(agg, "Hinckley", small, False, 300) != (
        text_reuse._text_metrics(RendererAgg(216, 144, 72), "Hinckley", small, False, 72)
    )


def test_a_change_of_settings_measures_afresh(originals: dict[str, Any]) -> None:
    agg = RendererAgg(900, 600, 300)
    generic = FontProperties(family="sans-serif", size=9)  # the font the settings choose
    for settings in (
        {"font.sans-serif": ["DejaVu Sans"]},
        {"font.sans-serif": ["DejaVu Sans Mono"]},
        {"font.sans-serif": ["DejaVu Sans"], "text.hinting": "no_hinting"},
    ):
        with mpl.rc_context(settings):
            own = RendererAgg(900, 600, 300).get_text_width_height_descent(
                "Hinckley", generic, False
            )
            assert text_reuse._text_metrics(agg, "Hinckley", generic, False, 300) == own
    with mpl.rc_context({"font.sans-serif": ["DejaVu Sans Mono"]}):
        monospace = text_reuse._text_metrics(agg, "Hinckley", generic, False, 300)
    with mpl.rc_context({"font.sans-serif": ["DejaVu Sans"]}):
        assert monospace != text_reuse._text_metrics(agg, "Hinckley", generic, False, 300)


def test_font_tables_are_matplotlibs_and_fresh(originals: dict[str, Any]) -> None:
    font = get_font(fontManager._find_fonts_by_props(FACES[0]))
    for name in ("head", "maxp", "OS/2", "hhea", "post", "pclt"):
        own = originals["tables"](font, name)
        kept = font.get_sfnt_table(name)
        assert kept == own
        if kept is not None:
            kept.clear()  # a caller changing its copy changes no one else's
            assert font.get_sfnt_table(name) == own


def test_a_pdf_or_svg_measures_through_its_mixed_renderer_from_the_memo(
    originals: dict[str, Any],
) -> None:
    fig = plt.figure(figsize=(3, 2))
    pdf = RendererPdf(PdfFile(io.BytesIO()), 72, 144, 216)
    prop = FontProperties(family="DejaVu Sans", size=7.5)
    size = text_reuse._text_metrics(pdf, "Market Harborough", prop, False, 72)
    mixed = MixedModeRenderer(fig, 3, 2, 72, pdf)

    def measured_again(*args: Any) -> None:
        raise AssertionError("measured again")

    pdf.get_text_width_height_descent = measured_again  # type: ignore[method-assign]
    assert text_reuse._text_metrics(mixed, "Market Harborough", prop, False, 72) == size
    plt.close(fig)


def test_a_font_added_to_matplotlib_measures_afresh(
    originals: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A font matplotlib learns of (as the house faces are added) may now be the one chosen."""
    # Sizes measured with the changed list stay out of the process's memo.
    monkeypatch.setattr(text_reuse, "_metrics", {})
    prop = FontProperties(family="DejaVu Sans", size=9)
    before = text_reuse._text_metrics(RendererAgg(900, 600, 300), "Hinckley", prop, False, 300)
    # The regular face (the list's order is the font directory's, which differs by machine):
    # renamed, it matches the properties as well as DejaVu Sans does, and comes first.
    mono = next(
        entry
        for entry in fontManager.ttflist
        if entry.name == "DejaVu Sans Mono"
        and (entry.style, entry.variant, entry.stretch) == ("normal", "normal", "normal")
        and entry.weight in (400, "normal", "regular")
    )
    fontManager._findfont_cached.cache_clear()
    monkeypatch.setattr(
        fontManager,
        "ttflist",
        [dataclasses.replace(mono, name="DejaVu Sans"), *fontManager.ttflist],
    )
    try:
        own = RendererAgg(900, 600, 300).get_text_width_height_descent("Hinckley", prop, False)
        assert own != before
        assert (
            text_reuse._text_metrics(RendererAgg(900, 600, 300), "Hinckley", prop, False, 300)
            == own
        )
    finally:
        monkeypatch.undo()
        fontManager._findfont_cached.cache_clear()


def test_mathematical_text_is_measured_by_matplotlib(
    originals: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[Any] = []

    def counted(*args: Any) -> Any:
        calls.append(args[3])
        return originals["metrics"](*args)

    monkeypatch.setitem(text_reuse._originals, "metrics", counted)
    agg = RendererAgg(900, 600, 300)
    for _ in range(2):
        text_reuse._text_metrics(agg, r"$\alpha^2$", FontProperties(size=9), True, 300)
    assert calls == [True, True]


def _figure_pixels() -> np.ndarray:
    """A figure of text at many fractions of a pixel, turned, slanted, mathematical, aliased."""
    with house_style():
        fig = plt.figure(figsize=(4, 3), dpi=300)
        for row in range(12):
            x = 0.02 + row * 0.00137
            y = 0.95 - row * 0.0731
            fig.text(x, y, STRINGS[row % len(STRINGS)] + " Nuneaton", fontsize=6 + row % 4)
        fig.text(0.7, 0.1, "Hinckley and Bosworth", rotation=90, fontsize=7)
        fig.text(0.5, 0.4, "Warwickshire", rotation=33.3, fontsize=8, fontweight="bold")
        fig.text(0.5, 0.7, r"LQ $\geq 1.25$, $x^2_i$, $\frac{1}{2}$, $\sqrt{x}$", fontsize=8)
        fig.text(0.5, 0.85, "aliased text", fontsize=7, antialiased=False)
        fig.text(0.5, 0.55, "Leicestershire", fontsize=7, fontstyle="italic")
        buffer = io.BytesIO()
        fig.savefig(buffer, format="rgba", dpi=300)
        size = fig.canvas.get_width_height(physical=True)
        plt.close(fig)
    return np.frombuffer(buffer.getvalue(), dtype=np.uint8).reshape(size[1], size[0], 4)


def test_pixels_are_matplotlibs(originals: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    first = _figure_pixels()
    again = _figure_pixels()  # every string and glyph image now from the memos
    with monkeypatch.context() as own:
        own.setattr(RendererAgg, "draw_text", originals["draw_text"])
        own.setattr(RendererAgg, "_draw_text_glyphs_and_boxes", originals["glyphs"])
        own.setattr(mtext, "_get_text_metrics_with_cache", originals["metrics"])
        matplotlibs = _figure_pixels()
    assert (matplotlibs[..., :3] < 128).any()  # the text is there
    np.testing.assert_array_equal(first, matplotlibs)
    np.testing.assert_array_equal(again, matplotlibs)


def test_a_full_memo_is_emptied_and_the_pixels_stay(
    originals: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = _figure_pixels()
    monkeypatch.setattr(text_reuse, "_KEPT", 5)
    for memo in ("_glyph_images", "_shapes", "_metrics"):
        monkeypatch.setattr(text_reuse, memo, {})
    np.testing.assert_array_equal(_figure_pixels(), expected)
    assert len(text_reuse._glyph_images) <= 5
    assert len(text_reuse._shapes) <= 5
    assert len(text_reuse._metrics) <= 5


def test_a_matplotlib_of_another_form_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    def measure(renderer: Any, text: str, fontprop: Any, ismath: Any) -> None:
        raise AssertionError("not to be called")

    monkeypatch.setattr(text_reuse, "_originals", {})
    monkeypatch.setattr(mtext, "_get_text_metrics_with_cache", measure)
    draw_text = RendererAgg.draw_text
    assert not reuse_text_work()
    assert mtext._get_text_metrics_with_cache is measure
    assert RendererAgg.draw_text is draw_text


class _Styled:
    """What ``draw_text`` reads of a Text: its font features and language."""

    def __init__(self, features: Any = None, language: Any = None) -> None:
        self.features, self.language = features, language

    def get_fontfeatures(self) -> Any:
        return self.features

    def get_language(self) -> Any:
        return self.language


def _drawn(
    originals: dict[str, Any] | None,
    texts: list[tuple[float, float, str, FontProperties, float, bool, Any]],
    dpi: float = 300,
) -> np.ndarray:
    """RGBA of ``texts`` (x, y, string, font, angle, anti-aliased, styled) drawn by Agg.

    With ``originals``, by matplotlib's own functions.
    """
    renderer = RendererAgg(400, 160, dpi)
    draw_text = originals["draw_text"] if originals else RendererAgg.draw_text
    with pytest.MonkeyPatch.context() as patch:
        if originals:
            patch.setattr(RendererAgg, "_draw_text_glyphs_and_boxes", originals["glyphs"])
        for x, y, text, prop, angle, antialiased, styled in texts:
            gc = renderer.new_gc()
            gc.set_antialiased(antialiased)
            draw_text(renderer, gc, x, y, text, prop, angle, False, styled)
            gc.restore()
    return np.asarray(renderer.buffer_rgba()).copy()


def test_a_glyph_whole_pixels_away_is_the_kept_image_moved(originals: dict[str, Any]) -> None:
    prop = FontProperties(family="DejaVu Sans", size=7)
    first = [(40.3, 80.7, "Nuneaton", prop, 0.0, True, None)]
    np.testing.assert_array_equal(_drawn(None, first), _drawn(originals, first))
    images = len(text_reuse._glyph_images)
    for dx, dy in ((3, 0), (-5, 2), (17, -11)):
        moved = [(40.3 + dx, 80.7 + dy, "Nuneaton", prop, 0.0, True, None)]
        np.testing.assert_array_equal(_drawn(None, moved), _drawn(originals, moved))
    assert len(text_reuse._glyph_images) == images  # every glyph came from the memo


@pytest.mark.parametrize(
    ("first", "second"),
    [
        pytest.param({"antialiased": True}, {"antialiased": False}, id="anti-aliasing"),
        pytest.param({"angle": 0.0}, {"angle": 33.3}, id="angle"),
        pytest.param({"size": 8.0}, {"size": 9.0}, id="size"),
        pytest.param({"weight": "normal"}, {"weight": "bold"}, id="face"),
        pytest.param({"dpi": 300}, {"dpi": 150}, id="resolution"),
        pytest.param({"hinting": "default"}, {"hinting": "no_hinting"}, id="hinting"),
        pytest.param({"features": None}, {"features": ("-liga", "-kern")}, id="features"),
        pytest.param({"language": None}, {"language": "ca"}, id="language"),
    ],
)
def test_drawing_one_way_then_another_draws_each_as_matplotlib(
    originals: dict[str, Any], first: dict[str, Any], second: dict[str, Any]
) -> None:
    """Every part of the shape and glyph keys: the second way is never the first's memo."""

    def drawn(way: dict[str, Any], own: bool) -> np.ndarray:
        prop = FontProperties(
            family="DejaVu Sans", size=way.get("size", 8.0), weight=way.get("weight", "normal")
        )
        styled = _Styled(way.get("features"), way.get("language"))
        # Ligatures, kerned pairs and dotless and dotted i: what features and language change.
        texts = [(30.25, 60.5, "fi ffl AV To ıi İI", prop, way.get("angle", 0.0), True, styled)]
        texts = [(*t[:5], way.get("antialiased", True), t[6]) for t in texts]
        with mpl.rc_context({"text.hinting": way.get("hinting", "default")}):
            return _drawn(originals if own else None, texts, way.get("dpi", 300))

    assert not np.array_equal(drawn(first, own=True), drawn(second, own=True))
    for way in (first, second, first):
        np.testing.assert_array_equal(drawn(way, own=False), drawn(way, own=True))


@pytest.mark.parametrize(
    ("first", "second", "renderer"),
    [
        pytest.param({}, {"weight": "bold"}, "agg", id="weight"),
        pytest.param({}, {"style": "italic"}, "agg", id="style"),
        pytest.param({}, {"family": "DejaVu Sans Mono"}, "svg", id="family"),
        pytest.param({}, {"pdf.use14corefonts": True}, "pdf", id="core fonts"),
        pytest.param({}, {"font.enable_last_resort": False}, "agg", id="last resort"),
    ],
)
def test_measuring_one_way_then_another_gives_matplotlibs_sizes(
    originals: dict[str, Any], first: dict[str, Any], second: dict[str, Any], renderer: str
) -> None:
    """Every part of the size key: the second way is never the first's memo."""
    make = {
        "agg": lambda: RendererAgg(900, 600, 300),
        "svg": lambda: RendererSVG(216, 144, io.StringIO()),
        "pdf": lambda: RendererPdf(PdfFile(io.BytesIO()), 72, 144, 216),
    }[renderer]
    text = "AV To Wa \U0001f600"  # kerned pairs, and a sign no house face holds

    def measured(way: dict[str, Any], own: bool) -> tuple[float, float, float]:
        properties = {key: way[key] for key in ("weight", "style", "family") if key in way}
        prop = FontProperties(**{"family": "DejaVu Sans", "size": 9, **properties})
        settings = {key: value for key, value in way.items() if "." in key}
        with mpl.rc_context(settings), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the sign missing from the fonts
            if own:
                return make().get_text_width_height_descent(text, prop, False)  # type: ignore[no-any-return]
            return text_reuse._text_metrics(make(), text, prop, False, 72)  # type: ignore[no-any-return]

    assert measured(first, own=True) != measured(second, own=True)
    for way in (first, second, first):
        assert measured(way, own=False) == measured(way, own=True)


def test_boxes_handed_as_a_generator_are_drawn_as_matplotlib(originals: dict[str, Any]) -> None:
    """TeX hands ``_draw_text_glyphs_and_boxes`` its rules as a generator."""
    rules = [(2.0, 3.0, 40.0, 0.6), (5.0, 9.0, 0.4, 12.0)]

    def drawn(function: Any) -> np.ndarray:
        renderer = RendererAgg(200, 100, 300)
        gc = renderer.new_gc()
        function(renderer, gc, 20.5, 60.25, 0.0, iter([]), (rule for rule in rules))
        return np.asarray(renderer.buffer_rgba()).copy()

    np.testing.assert_array_equal(drawn(text_reuse._draw_glyphs), drawn(originals["glyphs"]))
    assert (drawn(text_reuse._draw_glyphs)[..., 3] > 0).any()


def test_another_matplotlib_series_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(text_reuse, "_originals", {})
    monkeypatch.setattr(mpl, "__version__", "3.12.0")
    draw_text = RendererAgg.__dict__["draw_text"]
    assert not reuse_text_work()
    assert RendererAgg.__dict__["draw_text"] is draw_text


def test_fonts_of_another_form_are_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(text_reuse, "_originals", {})
    fonts = SimpleNamespace(FT2Font=type("FT2Font", (), {"_layout": None}), RenderMode=None)
    monkeypatch.setattr(text_reuse, "ft2font", fonts)
    draw_text = RendererAgg.__dict__["draw_text"]
    assert not reuse_text_work()
    assert RendererAgg.__dict__["draw_text"] is draw_text
