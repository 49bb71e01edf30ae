"""The house fonts cut to the characters maps print: same maps, same names, made once."""

from __future__ import annotations

import io
import re
import string
from collections.abc import Iterator
from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pytest
from fontTools.ttLib import TTFont
from matplotlib import font_manager
from matplotlib.font_manager import get_font
from matplotlib.textpath import text_to_path

from clustergeo.publish import house_fonts
from clustergeo.publish.house_fonts import HOUSE_CHARACTERS, slim_font, use_house_fonts
from clustergeo.publish.plotting import HOUSE_RC_PARAMS, house_style

#: Kerned pairs (AV, Wa, To), the symbols the maps and legends print, Welsh and Polish letters.
SAMPLE = "AVAWaToTy Hot spots – £1,250 ≥ 0.8 → ↔ × ★ ⟲ − ∞ ± ² © ° … Ŵŷẁ łż"


def _full_font(face: str) -> Path:
    """The font matplotlib ships for a face ("normal", "bold", "oblique"), whatever the house
    fonts are."""
    weight = 700 if face == "bold" else 400
    style = "oblique" if face == "oblique" else "normal"
    for entry in font_manager.fontManager.ttflist:
        if entry.name == "DejaVu Sans" and entry.weight == weight:
            path = Path(entry.fname)
            if "mpl-data" in path.parts and entry.style == style:
                return path
    raise AssertionError(f"matplotlib's DejaVu Sans {face} not found")


#: The last two parts of the folder the cut copies are made in (:func:`font_cache_dir`).
_CUT_FOLDER = ("clustergeo", "fonts")


@pytest.fixture
def full_fonts_first(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """matplotlib as it starts (no house fonts yet), with a fresh font cache; restored after."""
    manager = font_manager.fontManager
    # The cut copies live in a "clustergeo/fonts" cache folder (this run's or another test's);
    # matching that, not any "clustergeo" in the path, keeps matplotlib's own fonts in a
    # checkout or environment that is itself under a folder of that name.
    shipped = [e for e in manager.ttflist if Path(e.fname).parent.parts[-2:] != _CUT_FOLDER]
    monkeypatch.setattr(manager, "ttflist", shipped)
    monkeypatch.setattr(house_fonts, "_installed", False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    manager._findfont_cached.cache_clear()
    yield tmp_path
    manager._findfont_cached.cache_clear()


@pytest.fixture(scope="module")
def cut_fonts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("fonts")
    return {face: slim_font(_full_font(face), folder) for face in ("normal", "bold", "oblique")}


def _cmap(path: Path) -> dict[int, str]:
    return dict(TTFont(path).getBestCmap())


def test_cut_fonts_keep_every_house_character_the_full_font_has(
    cut_fonts: dict[str, Path],
) -> None:
    for face, cut in cut_fonts.items():
        full = _cmap(_full_font(face))
        wanted = {c for low, high in HOUSE_CHARACTERS for c in range(low, high + 1) if c in full}
        kept = _cmap(cut)
        assert wanted <= set(kept)
        assert set(kept) <= wanted
        assert {ord(c) for c in SAMPLE} <= set(kept)
        # Well under half the size: that is the point of the copy.
        assert cut.stat().st_size < _full_font(face).stat().st_size / 2


def test_cut_fonts_keep_the_family_name_kerning_and_ligatures(cut_fonts: dict[str, Path]) -> None:
    for face, cut in cut_fonts.items():
        font = TTFont(cut)
        assert font["name"].getDebugName(1) == "DejaVu Sans"
        assert font["name"].getDebugName(6) == TTFont(_full_font(face))["name"].getDebugName(6)
        assert "kern" in font
        assert "GSUB" in font
        # Of the positioning table, the accent placement only: its kerning (the bulk of it,
        # which every PDF's font subset parsed) is the kern table's.
        kept = {r.FeatureTag for r in font["GPOS"].table.FeatureList.FeatureRecord}
        assert kept == {"mark", "mkmk"}


#: Letters and signs whose every ordered pair the layout test sets: ASCII letters, digits
#: and punctuation, accented letters of Latin-1 and Latin Extended-A (the kerning classes
#: hold accented capitals), Welsh and Greek letters, and the dashes, quotes and signs of the
#: legends.
_PAIRED = list(
    string.ascii_letters
    + string.digits
    + ".,:;-'\"()/&%*?!"
    + "ÀÄÅÇÉÖÜàäçéöüŁłŚśŻżŴŵŶŷẀẁΑΔΣαμσ"
    + "–—‘’“”…€£−≤≥×→"
)


def _glyph_places(font: Path, text: str) -> np.ndarray:
    """Where matplotlib's text layout puts each glyph of ``text`` (after kerning), at 100 pt."""
    face = get_font(str(font))
    face.set_size(100, 72)
    glyphs, _, _ = text_to_path.get_glyphs_with_font(face, text)
    return np.array([(x, y) for _glyph, x, y, _size in glyphs])


def test_cut_fonts_place_every_glyph_where_the_full_fonts_do(cut_fonts: dict[str, Path]) -> None:
    # Each string sets one letter before and after every other: every ordered pair, kerned or
    # not, then accents placed as combining marks (on letters with no precomposed form, so
    # shaping cannot swap in one) and the ligatures the substitutions make (one glyph each).
    marks = " q\u0301 1\u0304 a\u0301\u0323 \u0174\u0301 m\u0331 x\u0308 \u03c9\u0301 fi ffl"
    lines = ["".join(a + b for b in _PAIRED) + marks for a in _PAIRED]
    for face, cut in cut_fonts.items():
        for line in lines:
            np.testing.assert_array_equal(
                _glyph_places(cut, line), _glyph_places(_full_font(face), line), err_msg=face
            )


def test_cut_fonts_are_made_once(cut_fonts: dict[str, Path]) -> None:
    folder = cut_fonts["normal"].parent
    before = cut_fonts["normal"].stat().st_mtime_ns
    assert slim_font(_full_font("normal"), folder) == cut_fonts["normal"]
    assert cut_fonts["normal"].stat().st_mtime_ns == before


def _render(text: str) -> np.ndarray:
    fig = plt.figure(figsize=(4, 1), dpi=300)
    fig.text(0.01, 0.6, text, fontsize=7)
    fig.text(0.01, 0.35, text, fontsize=9, fontweight="bold")
    fig.text(0.01, 0.1, text, fontsize=7, fontstyle="italic")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return np.asarray(plt.imread(io.BytesIO(buffer.getvalue())))


def test_maps_drawn_with_the_house_fonts_are_pixel_identical(full_fonts_first: Path) -> None:
    tmp_path = full_fonts_first
    with mpl.rc_context(dict(HOUSE_RC_PARAMS)):
        full = _render(SAMPLE)
    assert "mpl-data" in font_manager.findfont("DejaVu Sans")
    with house_style():
        cut = _render(SAMPLE)
        assert Path(font_manager.findfont("DejaVu Sans")).is_relative_to(tmp_path)
        bold = font_manager.FontProperties(family="DejaVu Sans", weight="bold")
        assert Path(font_manager.findfont(bold)).is_relative_to(tmp_path)
        # The site maps name their districts in italic: DejaVu Sans Oblique, cut too.
        italic = font_manager.FontProperties(family="DejaVu Sans", style="italic")
        assert Path(font_manager.findfont(italic)).is_relative_to(tmp_path)
        assert "Oblique" in Path(font_manager.findfont(italic)).name
    np.testing.assert_array_equal(cut, full)


def test_pdf_and_svg_name_the_house_font(full_fonts_first: Path) -> None:
    with house_style():
        assert Path(font_manager.findfont("DejaVu Sans")).is_relative_to(full_fonts_first)
        fig = plt.figure(figsize=(3, 1))
        fig.text(0.1, 0.5, SAMPLE)
        pdf, svg = io.BytesIO(), io.BytesIO()
        fig.savefig(pdf, format="pdf")
        fig.savefig(svg, format="svg")
        plt.close(fig)
    assert re.search(rb"/BaseFont /[A-Z]{6}\+DejaVuSans\s", pdf.getvalue())
    assert b"/FontFile2" in pdf.getvalue()  # embedded as TrueType
    assert "font-family: 'DejaVu Sans'" in svg.getvalue().decode()
    assert "<text" in svg.getvalue().decode()


def test_an_unwritable_cache_keeps_the_full_fonts(
    monkeypatch: pytest.MonkeyPatch, full_fonts_first: Path
) -> None:
    blocker = full_fonts_first / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    use_house_fonts()
    assert "mpl-data" in font_manager.findfont("DejaVu Sans")
