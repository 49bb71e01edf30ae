"""The house fonts embedded in PDF maps from copies without layout tables, each subset made once.

matplotlib embeds a TrueType font in a PDF (``pdf.fonttype: 42``) by subsetting the font file it
drew with, with fontTools, for every face of every file it saves: it parses the file, including
its glyph substitution and positioning tables (``GSUB``, ``GPOS``, ``GDEF``, ``MATH``), subsets
them and writes them into the PDF. A PDF reader never reads them: the page places every glyph
itself, by glyph number and advance, as matplotlib shaped it. Those tables are most of the time
a subset takes (about 60 of 67 ms per face on the demo machine, measured on the house regular
face with a map's characters), and the maps ask for the same small subsets again and again
(ligatures and signs beyond Latin-1 go in a second subset of a face in every file: 37 of the
demo's 93 subsets repeat one already made).

:func:`embed_from_twins` has matplotlib subset, for each house face, a twin of the face's cut
copy that holds the same glyphs in the same order with the same outlines, hinting and metrics
but no layout tables (:func:`layout_free_twin`), and keeps each subset it makes, by face and
glyphs, for the life of the process. The maps are drawn (shaped, kerned, ligatures formed) with
the full cut copy as before; only the font data written into the PDF changes, and each file's
pages, glyph widths and text (its ``ToUnicode`` map) stay byte for byte what they were.

This replaces a function of matplotlib's PDF and PostScript backends
(``matplotlib.backends._backend_pdf_ps.get_glyphs_subset``, matplotlib 3.11), which is not public
API: it is replaced only where it has the form this module knows, and fonts other than the house
faces go to matplotlib's own function unchanged. The tests check that the replacement is in
place with the matplotlib installed, so an upgrade that changes the function shows there.
"""

from __future__ import annotations

import inspect
import io
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Final

from clustergeo.io import atomic_path

__all__ = ["LAYOUT_TABLES", "embed_from_twins", "embedding_twins", "layout_free_twin"]

log = logging.getLogger(__name__)

#: Tables that shape text (substitution, positioning, glyph classes, maths layout, legacy
#: kerning) and that a PDF reader never reads from an embedded font.
LAYOUT_TABLES: Final[tuple[str, ...]] = ("GSUB", "GPOS", "GDEF", "MATH", "BASE", "JSTF", "kern")

#: Subsets kept per process; a map asks for a few per face, a run for a few hundred in all.
_KEPT_SUBSETS: Final = 512

_twins: dict[str, str] = {}
_subsets: OrderedDict[tuple[str, int, frozenset[int]], tuple[bytes, dict[int, int]]] = OrderedDict()
_lock = threading.Lock()
_matplotlib_subset: Callable[..., AbstractContextManager[Any]] | None = None


def layout_free_twin(cut: Path) -> Path:
    """A copy of the font file ``cut`` without :data:`LAYOUT_TABLES`, made once beside it.

    Only tables are dropped, so every glyph keeps its number, outline, hinting and advance, and
    the font its names. Written atomically; an existing twin is reused (the cut copy's name
    already changes with its source and with the way it is cut).
    """
    from fontTools.ttLib import TTFont

    target = cut.with_name(f"{cut.stem}-embed{cut.suffix}")
    if target.is_file():
        return target
    font = TTFont(cut)
    for tag in LAYOUT_TABLES:
        if tag in font:
            del font[tag]
    with atomic_path(target) as tmp:
        font.save(tmp)
    return target


def embedding_twins(cuts: Iterable[Path]) -> dict[Path, Path]:
    """Each cut house face with its :func:`layout_free_twin`."""
    return {cut: layout_free_twin(cut) for cut in cuts}


def _is_known_form(function: Callable[..., Any]) -> bool:
    """Whether ``function`` is matplotlib 3.11's ``get_glyphs_subset(fontfile, glyphs)``."""
    from matplotlib import font_manager
    from matplotlib.backends import _backend_pdf_ps

    if not hasattr(_backend_pdf_ps, "SubsetResults") or not hasattr(font_manager, "FontPath"):
        return False
    try:
        parameters = list(inspect.signature(function).parameters)
    except (TypeError, ValueError):
        return False
    return parameters == ["fontfile", "glyphs"]


def embed_from_twins(twins: Mapping[Path, Path]) -> bool:
    """Have matplotlib embed each font in ``twins`` from its twin, each subset made once.

    Parameters
    ----------
    twins
        The font files maps are drawn with, each with its :func:`layout_free_twin`.

    Returns
    -------
    bool
        Whether matplotlib's subsetting is now this module's (False with a matplotlib whose
        subsetting has another form: the fonts are then embedded as matplotlib does).
    """
    global _matplotlib_subset  # noqa: PLW0603 (once per process)
    from matplotlib.backends import _backend_pdf_ps

    with _lock:
        _twins.update({str(cut): str(twin) for cut, twin in twins.items()})
        if _matplotlib_subset is None:
            if not _is_known_form(_backend_pdf_ps.get_glyphs_subset):
                log.debug("matplotlib's font subsetting has a new form: left as it is")
                return False
            _matplotlib_subset = _backend_pdf_ps.get_glyphs_subset
            _backend_pdf_ps.get_glyphs_subset = _glyphs_subset
    return True


def _glyphs_subset(fontfile: Any, glyphs: Iterable[int]) -> AbstractContextManager[Any]:
    """The subset matplotlib asks for, made from the twin of a house face and kept."""
    from fontTools.ttLib import TTFont
    from matplotlib.backends import _backend_pdf_ps
    from matplotlib.font_manager import FontPath

    assert _matplotlib_subset is not None
    twin = _twins.get(str(fontfile))
    if twin is None:
        return _matplotlib_subset(fontfile, glyphs)
    face_index = int(getattr(fontfile, "face_index", 0))
    key = (twin, face_index, frozenset(int(g) for g in glyphs))
    with _lock:
        kept = _subsets.get(key)
        if kept is not None:
            _subsets.move_to_end(key)
    if kept is None:
        with _matplotlib_subset(FontPath(twin, face_index), key[2]) as made:
            saved = io.BytesIO()
            made.font.save(saved, reorderTables=False)  # as matplotlib saves a subset
            kept = (saved.getvalue(), dict(made.glyph_index_map))
        with _lock:
            _subsets[key] = kept
            while len(_subsets) > _KEPT_SUBSETS:
                _subsets.popitem(last=False)
    data, glyph_index_map = kept
    font = TTFont(io.BytesIO(data))
    return _backend_pdf_ps.SubsetResults(font, dict(glyph_index_map))._as_cm()
