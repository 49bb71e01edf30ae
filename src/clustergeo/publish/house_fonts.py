"""The house fonts cut to the characters maps print, so that saving a PDF does not parse the world.

A PDF map embeds its fonts as TrueType (``pdf.fonttype: 42``, so the text stays editable), and
matplotlib subsets each font for each file it saves by loading the whole font file with
fontTools. DejaVu Sans and DejaVu Sans Bold cover most of Unicode in about 700 kB each, with
large glyph-substitution and positioning tables; loading and subsetting them took a third to a
half of every PDF's save time. :func:`use_house_fonts` makes, once per machine, a copy of each
face the maps print (regular, bold, and the oblique of the site maps' district names) cut to
:data:`HOUSE_CHARACTERS` and has matplotlib find the copy under the same family name
"DejaVu Sans", so the maps, the SVG's ``font-family`` and the PDF's embedded font name are
unchanged and each save parses a font about a third of the size (saving a PDF map with
both weights took 0.25 s instead of 0.62 s on the demo machine).

The copies also leave out the kerning feature of the OpenType positioning table (``GPOS``
``kern``), the bulk of that table. Without it matplotlib's text shaping kerns from the legacy
``kern`` table the copies keep, which holds the same pairs, so every glyph lands where it did
(tested pair by pair; accents typed as combining marks keep their ``mark`` and ``mkmk``
placement). One exception: a kerned pair with a combining mark typed between its letters
("T" + U+0301 + "o") is kerned as if the mark were not there, where the full font does not
kern it. A PDF reader never uses the feature, yet fontTools parsed and rewrote it for every
face of every PDF: over a third of each font subset (38-42 -> 24-26 ms per face on the demo
machine).
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal

from matplotlib import font_manager

from clustergeo._errors import OutputError
from clustergeo.io import atomic_path
from clustergeo.publish.pdf_fonts import embed_from_twins

if TYPE_CHECKING:
    from fontTools.ttLib import TTFont

__all__ = ["HOUSE_CHARACTERS", "font_cache_dir", "house_font_files", "slim_font", "use_house_fonts"]

log = logging.getLogger(__name__)

#: Unicode blocks the maps print, as inclusive code-point ranges: ASCII and Latin-1, Latin
#: Extended-A and -B and Extended Additional (Welsh ŵ ŷ ẁ), combining accents, Greek, general
#: punctuation (– — …), super- and subscripts, currency (£ €), letter-like symbols and number
#: forms, arrows (→ ↔ ⟲), mathematical operators (− ≤ ≥ ∞), geometric shapes and
#: miscellaneous symbols (★).
HOUSE_CHARACTERS: Final[tuple[tuple[int, int], ...]] = (
    (0x0020, 0x007E),
    (0x00A0, 0x024F),
    (0x0300, 0x036F),
    (0x0370, 0x03FF),
    (0x1E00, 0x1EFF),
    (0x2000, 0x206F),
    (0x2070, 0x209F),
    (0x20A0, 0x20CF),
    (0x2100, 0x218F),
    (0x2190, 0x21FF),
    (0x2200, 0x22FF),
    (0x25A0, 0x25FF),
    (0x2600, 0x26FF),
    (0x27F0, 0x27FF),
)

#: The house faces cut down, by matplotlib weight and style.
_HOUSE_FAMILY: Final = "DejaVu Sans"
_FACES: Final[tuple[tuple[str, Literal["normal", "italic"]], ...]] = (
    ("normal", "normal"),
    ("bold", "normal"),
    ("normal", "italic"),
)

#: Bumped when the way the copies are cut changes, so stale copies are not reused.
_CUT_VERSION: Final = "4"

_installed = False
#: The names of the cut copies in use in this process (empty: the full fonts).
_copies: tuple[str, ...] = ()


def font_cache_dir() -> Path:
    """Where the cut fonts are kept: ``$XDG_CACHE_HOME/clustergeo/fonts`` (``~/.cache`` default)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "clustergeo" / "fonts"


def slim_font(source: Path, folder: Path) -> Path:
    """A copy of the TrueType font ``source`` cut to :data:`HOUSE_CHARACTERS`, made once.

    Parameters
    ----------
    source
        The full font file.
    folder
        The cache folder; the copy's name holds the source's SHA-256 and the fontTools version,
        so a changed font or fontTools makes a new copy rather than reusing a stale one.

    Returns
    -------
    Path
        The cut copy (written atomically the first time).

    Notes
    -----
    Everything that decides how a kept glyph looks and is spaced in matplotlib is kept:
    outlines, hinting instructions (the PNGs are rasterised with them), metrics, the ``kern``
    table, the glyph substitutions (``GSUB``: ligatures such as "fi") with their glyph classes
    (``GDEF``), and the font's names, so the copy is "DejaVu Sans" to matplotlib, to the PDF
    reader and in the SVG. Of the glyph positioning table (``GPOS``) only the accent placement
    (``mark``, ``mkmk``) is kept: its kerning is the legacy ``kern`` table's, which matplotlib
    then reads instead, and the PDFs that embed the font never read it.
    """
    from fontTools import subset, version
    from fontTools.ttLib import TTFont

    digest = hashlib.sha256(source.read_bytes()).hexdigest()[:16]
    target = folder / f"{source.stem}-{digest}-ft{version}-cut{_CUT_VERSION}{source.suffix}"
    if target.is_file():
        return target
    # The source's own time stamp, not the time of cutting: the same copy (and every PDF
    # that embeds it) wherever and whenever it is cut.
    font = TTFont(source, recalcTimestamp=False)
    options = subset.Options(
        layout_features=sorted(_layout_features(font) - {"kern"}),
        name_IDs=["*"],
        name_languages=["*"],
        name_legacy=True,
        notdef_outline=True,
        glyph_names=True,
        hinting=True,
        legacy_kern=True,
    )
    # FontForge's time stamp, which fontTools cannot subset and says so on stderr.
    options.drop_tables += ["FFTM"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[c for low, high in HOUSE_CHARACTERS for c in range(low, high + 1)])
    subsetter.subset(font)
    with atomic_path(target) as tmp:
        font.save(tmp)
    log.debug("Cut %s to the house characters: %s", source, target)
    return target


def _layout_features(font: TTFont) -> set[str]:
    """Every OpenType layout feature tag of ``font`` (substitution and positioning)."""
    return {
        record.FeatureTag
        for table in ("GSUB", "GPOS")
        if table in font and font[table].table.FeatureList is not None
        for record in font[table].table.FeatureList.FeatureRecord
    }


def use_house_fonts() -> None:
    """Have matplotlib find the cut copies of the house faces of DejaVu Sans, in this process.

    The copies are made in :func:`font_cache_dir` the first time (about a second each) and
    reused after, each with the twin PDFs embed it from
    (:func:`~clustergeo.publish.pdf_fonts.embed_from_twins`). Where the cache cannot be
    written the full fonts stay in use: the maps are the same, only slower to save as PDF.
    Calling it again does nothing.

    Notes
    -----
    matplotlib picks, among fonts scoring equally, the first it knows; the copies are put
    first so that they, not the full fonts, are "DejaVu Sans".
    """
    global _installed  # noqa: PLW0603 (once per process)
    if _installed:
        return
    _installed = True
    manager = font_manager.fontManager
    copies: list[Path] = []
    try:
        for weight, style in _FACES:
            source = Path(
                manager.findfont(
                    font_manager.FontProperties(family=_HOUSE_FAMILY, weight=weight, style=style),
                    fallback_to_default=False,
                )
            )
            copy = slim_font(source, font_cache_dir())
            # addfont appends the copy and forgets earlier look-ups; it is moved first before
            # the next look-up.
            manager.addfont(copy)
            manager.ttflist.insert(0, manager.ttflist.pop())
            copies.append(copy)
    except (OSError, OutputError, ValueError) as exc:
        log.debug("Keeping the full house fonts: %s", exc)
        return
    embed_from_twins(copies)
    global _copies  # noqa: PLW0603 (once per process, as above)
    _copies = tuple(copy.name for copy in copies)


def house_font_files() -> tuple[str, ...]:
    """The file names of the cut copies this process draws with (none: the full fonts).

    Each name holds its source's checksum, the fontTools version and the way it was cut.
    """
    return _copies
