"""PDF maps embed the house fonts from layout-free twins, each subset made once and kept on disk."""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import pytest
from fontTools.ttLib import TTFont
from fontTools.ttLib.tables import _h_e_a_d as head_table
from matplotlib import font_manager
from matplotlib.backends import _backend_pdf_ps
from pypdf import PdfReader

from clustergeo.publish import pdf_fonts
from clustergeo.publish.house_fonts import use_house_fonts
from clustergeo.publish.pdf_fonts import LAYOUT_TABLES, embed_from_twins, layout_free_twin
from clustergeo.publish.plotting import house_style

# Kerned pairs, ligatures (a second subset of the face in every file), signs beyond Latin-1,
# an accent typed as a combining mark, three faces.
TEXT = "AVAWaToTy fi ffl fl – ≥ £1,250 → ★ q\u0301 Ŵŷẁ"


@pytest.fixture
def matplotlib_subsetting() -> Iterator[Callable[..., Any]]:
    """matplotlib's own subsetting, whatever the house fonts have installed; restored after."""
    use_house_fonts()
    installed = _backend_pdf_ps.get_glyphs_subset
    original = pdf_fonts._matplotlib_subset or installed
    yield original
    _backend_pdf_ps.get_glyphs_subset = installed


@pytest.fixture
def kept_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Subsets kept on disk in a folder of the test's own, none kept in memory to begin with."""
    folder = tmp_path / "subsets"
    named = pdf_fonts.subset_file
    monkeypatch.setattr(
        pdf_fonts, "subset_file", lambda twin, face, glyphs: folder / named(twin, face, glyphs).name
    )
    monkeypatch.setattr(pdf_fonts, "_subsets", type(pdf_fonts._subsets)())
    return folder


@pytest.fixture
def made(monkeypatch: pytest.MonkeyPatch, matplotlib_subsetting: Callable[..., Any]) -> list[Any]:
    """The glyph sets matplotlib is asked to subset from now on."""
    asked: list[frozenset[int]] = []

    def counting(fontfile: Any, glyphs: Any) -> Any:
        asked.append(frozenset(glyphs))
        return matplotlib_subsetting(fontfile, glyphs)

    monkeypatch.setattr(pdf_fonts, "_matplotlib_subset", counting)
    return asked


def _subset_bytes(glyphs: set[int]) -> bytes:
    fontfile = font_manager.FontPath(str(_house_faces()[0]), 0)
    with pdf_fonts._glyphs_subset(fontfile, glyphs) as subset:
        assert set(subset.glyph_index_map) >= glyphs
        return bytes(_backend_pdf_ps.font_as_file(subset.font).getvalue())


def _map_pdf() -> bytes:
    with house_style():
        fig = plt.figure(figsize=(4, 2))
        fig.text(0.05, 0.7, TEXT, fontsize=9)
        fig.text(0.05, 0.45, TEXT, fontsize=11, fontweight="bold")
        fig.text(0.05, 0.2, TEXT, fontsize=8, fontstyle="italic")
        fig.text(0.05, 0.05, "Monospace: fi ≥ 1", family="DejaVu Sans Mono", fontsize=8)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="pdf", metadata={"CreationDate": None})
        plt.close(fig)
    return buffer.getvalue()


def _fonts(pdf: bytes) -> dict[str, dict[str, Any]]:
    """Per font of the page (by base name without the subset tag): what the page reads of it."""
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    fonts = {}
    for entry in page["/Resources"]["/Font"].values():
        font = entry.get_object()
        cid = font["/DescendantFonts"][0].get_object()
        descriptor = cid["/FontDescriptor"].get_object()
        name = f"{font['/BaseFont'][7:]}:{len(cid['/W'])}:{cid['/W'][0]}"
        fonts[name] = {
            "widths": list(cid["/W"]),
            "cid_to_gid": cid["/CIDToGIDMap"].get_object().get_data(),
            "to_unicode": font["/ToUnicode"].get_object().get_data(),
            "font": TTFont(io.BytesIO(descriptor["/FontFile2"].get_object().get_data())),
        }
    return fonts


def test_the_replacement_is_in_place_with_the_installed_matplotlib() -> None:
    use_house_fonts()
    # Fails when a matplotlib upgrade changes the function: PDFs are then still right, but
    # slow to save again, and this module needs a look.
    assert _backend_pdf_ps.get_glyphs_subset is pdf_fonts._glyphs_subset


def test_pdfs_read_the_same_with_fonts_from_the_twins(
    matplotlib_subsetting: Callable[..., Any],
) -> None:
    with_twins = _map_pdf()
    _backend_pdf_ps.get_glyphs_subset = matplotlib_subsetting
    as_matplotlib = _map_pdf()

    pages = [PdfReader(io.BytesIO(pdf)).pages[0] for pdf in (with_twins, as_matplotlib)]
    assert pages[0].get_contents().get_data() == pages[1].get_contents().get_data()
    assert pages[0].extract_text() == pages[1].extract_text()
    ours, theirs = _fonts(with_twins), _fonts(as_matplotlib)
    assert sorted(ours) == sorted(theirs)
    # Regular, bold and oblique with a second subset each for the ligatures and signs, and the
    # monospace face, which is not a house face.
    assert len(ours) >= 7
    for name, font in ours.items():
        other = theirs[name]
        for part in ("widths", "to_unicode"):
            assert font[part] == other[part], (name, part)
        # Each character the page sets is drawn with the same outline and advance (a subset's
        # glyph numbers may differ: matplotlib's also holds glyphs the substitutions reach).
        assert len(font["cid_to_gid"]) == len(other["cid_to_gid"]), name
        for cid in range(len(font["cid_to_gid"]) // 2):
            glyphs = [
                f["font"].getGlyphName(int.from_bytes(f["cid_to_gid"][2 * cid : 2 * cid + 2]))
                for f in (font, other)
            ]
            assert font["font"]["glyf"][glyphs[0]] == other["font"]["glyf"][glyphs[1]], name
            assert font["font"]["hmtx"][glyphs[0]] == other["font"]["hmtx"][glyphs[1]], name
        if "Mono" in name:
            assert "GSUB" in font["font"], "a font other than the house faces is matplotlib's"
        else:
            assert not set(LAYOUT_TABLES) & set(font["font"].keys()), name
            assert "GSUB" in other["font"], name


def _house_faces() -> list[Path]:
    """The font files matplotlib draws the house faces with (the cut copies)."""
    use_house_fonts()
    faces = [
        font_manager.FontProperties(family="DejaVu Sans", weight=weight, style=style)
        for weight, style in (("normal", "normal"), ("bold", "normal"), ("normal", "italic"))
    ]
    return [Path(font_manager.findfont(face)) for face in faces]


def test_twins_keep_every_glyph_and_drop_only_layout_tables() -> None:
    for cut in _house_faces():
        assert os.path.realpath(cut) in pdf_fonts._twins, cut
        twin = Path(pdf_fonts._twins[os.path.realpath(cut)])
        assert twin == layout_free_twin(cut)
        full, lean = TTFont(cut), TTFont(twin)
        assert lean.getGlyphOrder() == full.getGlyphOrder()
        assert set(lean.keys()) == set(full.keys()) - set(LAYOUT_TABLES)
        # Every table kept is the cut copy's, byte for byte (the head table's checksum of the
        # whole file aside).
        for tag in set(lean.reader.keys()) - {"head"}:
            assert lean.reader[tag] == full.reader[tag], (cut.name, tag)
        assert lean["head"].modified == full["head"].modified


def test_twins_are_found_under_the_real_path_of_their_font(tmp_path: Path) -> None:
    cut = _house_faces()[0]
    linked = tmp_path / "linked-fonts"
    linked.symlink_to(cut.parent, target_is_directory=True)
    assert embed_from_twins([linked / cut.name])
    twin = pdf_fonts._twins[os.path.realpath(linked / cut.name)]
    assert os.path.realpath(twin) == os.path.realpath(layout_free_twin(cut))


def test_a_pdf_saved_again_is_the_same_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    first = _map_pdf()
    # fontTools stamps a font it saves with the time unless told not to.
    later = head_table.timestampNow() + 3600
    monkeypatch.setattr(head_table, "timestampNow", lambda: later)
    assert _map_pdf() == first


def test_a_twin_gone_during_a_run_leaves_the_subset_to_matplotlib(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    cut = _house_faces()[0]
    monkeypatch.setitem(pdf_fonts._twins, os.path.realpath(cut), str(tmp_path / "gone.ttf"))
    monkeypatch.setattr(pdf_fonts, "_subsets", type(pdf_fonts._subsets)())
    with pdf_fonts._glyphs_subset(font_manager.FontPath(str(cut), 0), {36, 57}) as subset:
        assert "GSUB" in subset.font  # matplotlib's own subset of the cut copy
    assert not pdf_fonts._subsets


def test_each_subset_is_made_once_and_handed_out_fresh(kept_in: Path, made: list[Any]) -> None:
    glyphs = {36, 57, 68}
    data = [_subset_bytes(glyphs) for _ in range(3)]
    assert made == [frozenset(glyphs)]
    assert data[0] == data[1] == data[2]
    _subset_bytes(glyphs | {69})
    assert len(made) == 2


def test_a_subset_kept_on_disk_serves_later_processes(
    kept_in: Path, made: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _map_pdf()
    # Three house faces with a second subset each; the monospace face is not a house face, so
    # its subsets are matplotlib's, made every time.
    kept = len(list(kept_in.glob("*.subset")))
    assert kept == 6
    made_first = len(made)
    # A later run (or the other worker drawing maps): nothing in memory, the house faces on disk.
    monkeypatch.setattr(pdf_fonts, "_subsets", type(pdf_fonts._subsets)())
    assert _map_pdf() == first
    assert len(made) - made_first == made_first - kept


def test_a_damaged_kept_subset_is_made_again_and_replaced(
    kept_in: Path, made: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    glyphs = {36, 57, 68}
    fresh = _subset_bytes(glyphs)
    (kept,) = kept_in.glob("*.subset")
    whole = kept.read_bytes()
    for damaged in (whole[:-10], whole[:-1] + bytes([whole[-1] ^ 1]), b"{}\n" + whole, b""):
        kept.write_bytes(damaged)
        monkeypatch.setattr(pdf_fonts, "_subsets", type(pdf_fonts._subsets)())
        made.clear()
        assert _subset_bytes(glyphs) == fresh
        assert made == [frozenset(glyphs)]
        assert kept.read_bytes() == whole


def test_kept_subsets_are_trimmed_to_the_most_recently_used(
    kept_in: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pdf_fonts, "_KEPT_ON_DISK", 4)
    twin = pdf_fonts._twins[os.path.realpath(_house_faces()[0])]
    sets = [frozenset({36, 57, 68 + i}) for i in range(4)]
    for age, glyphs in enumerate(sets):
        _subset_bytes(set(glyphs))
        os.utime(pdf_fonts.subset_file(twin, 0, glyphs), (1_000 + age, 1_000 + age))
    # Another process's file being written is no kept subset; one left for an hour and more
    # was left by a process that was killed.
    writing = kept_in / ".another.subset.clustergeo-partial.subset"
    writing.write_bytes(b"")
    abandoned = kept_in / ".a-killed.subset.clustergeo-partial.subset"
    abandoned.write_bytes(b"")
    os.utime(abandoned, (1, 1))
    # The first set, used again from disk, becomes the most recently used; a fifth set goes
    # beyond the limit, and the folder is trimmed to three quarters of it.
    monkeypatch.setattr(pdf_fonts, "_subsets", type(pdf_fonts._subsets)())
    _subset_bytes(set(sets[0]))
    fifth = frozenset({36, 57, 90})
    _subset_bytes(set(fifth))
    left = {p.name for p in kept_in.glob("*.subset") if not p.name.startswith(".")}
    assert left == {pdf_fonts.subset_file(twin, 0, g).name for g in (sets[0], sets[3], fifth)}
    assert writing.exists()
    assert not abandoned.exists()


def test_an_unwritable_folder_still_gives_the_subset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, made: list[Any]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setattr(
        pdf_fonts, "subset_file", lambda twin, face, glyphs: blocker / "subsets" / "x.subset"
    )
    monkeypatch.setattr(pdf_fonts, "_subsets", type(pdf_fonts._subsets)())
    assert _subset_bytes({36, 57, 68})
    assert made == [frozenset({36, 57, 68})]


def test_a_matplotlib_of_another_form_is_left_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def older(fontfile: str, characters: str) -> Any:  # matplotlib 3.10's form
        raise AssertionError("not called")

    monkeypatch.setattr(_backend_pdf_ps, "get_glyphs_subset", older)
    monkeypatch.setattr(pdf_fonts, "_matplotlib_subset", None)
    assert not embed_from_twins([])
    assert _backend_pdf_ps.get_glyphs_subset is older
