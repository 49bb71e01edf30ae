"""The house fonts embedded in PDF maps from copies without layout tables, each subset made once.

matplotlib embeds a TrueType font in a PDF (``pdf.fonttype: 42``) by subsetting the font file it
drew with, with fontTools, for every face of every file it saves: it parses the file, including
its glyph substitution and positioning tables (``GSUB``, ``GPOS``, ``GDEF``, ``MATH``), subsets
them and writes them into the PDF. A PDF reader never reads them: the page places every glyph
itself, by glyph number and advance, as matplotlib shaped it. Those tables take about two
thirds of the time of a subset (the house regular face with a map's characters: 57-67 ms, and
20-22 ms from a copy without them, on the demo machine at a time it ran at about half its
usual speed), and the maps ask for the same small subsets again and again (ligatures and signs
beyond Latin-1 go in a second subset of a face in every file: 37 of the demo's 93 subsets
repeated one already made).

:func:`embed_from_twins` has matplotlib subset, for each house face, a twin of the face's cut
copy that holds the same glyphs in the same order with the same outlines, hinting and metrics
but no layout tables (:func:`layout_free_twin`), and keeps each subset it makes, by face and
glyphs, for the life of the process, and on disk beside the twin (:func:`subset_file`): a run
asks for the subsets the run before it asked for, and each process drawing maps for most of
those the other makes (the demo's two made 64 subsets, 1.1 s between them, where 56 were
distinct). The maps are drawn (shaped, kerned, ligatures formed) with the full cut copy as
before; only the font data written into the PDF changes: each file's pages, glyph widths and
text (its ``ToUnicode`` map) stay byte for byte what they were, and a file saved again is the
same bytes.

This replaces a function of matplotlib's PDF and PostScript backends
(``matplotlib.backends._backend_pdf_ps.get_glyphs_subset``, matplotlib 3.11), which is not public
API: it is replaced only where it has the form this module knows, and fonts other than the house
faces go to matplotlib's own function unchanged, as does a house face whose twin cannot be read.
The tests check that the replacement is in place with the matplotlib installed, so an upgrade
that changes the function shows there.
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import io
import json
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, NamedTuple

from clustergeo._errors import OutputError
from clustergeo.io import atomic_path

if TYPE_CHECKING:
    from fontTools.ttLib import TTFont

__all__ = ["LAYOUT_TABLES", "embed_from_twins", "layout_free_twin", "subset_file"]

log = logging.getLogger(__name__)

#: Tables that shape text (substitution, positioning, glyph classes, maths layout, legacy
#: kerning) and that a PDF reader never reads from an embedded font.
LAYOUT_TABLES: Final[tuple[str, ...]] = ("GSUB", "GPOS", "GDEF", "MATH", "BASE", "JSTF", "kern")

#: Bumped when the way twins are made changes, so stale twins are not reused.
_TWIN_VERSION: Final = "1"

#: Subsets kept per process; a map asks for a few per face, a run for a few hundred in all.
_KEPT_SUBSETS: Final = 512
#: Subsets kept on disk (a few kilobytes each); beyond this the least recently used go, down
#: to three quarters of it.
_KEPT_ON_DISK: Final = 2048
#: Seconds after which a hidden file being written is taken for one a killed process left.
_ABANDONED_AFTER_S: Final = 3600.0

_twins: dict[str, str] = {}
_subsets: OrderedDict[tuple[str, int, frozenset[int]], tuple[bytes, dict[int, int]]] = OrderedDict()
_lock = threading.Lock()
_matplotlib_subset: Callable[..., AbstractContextManager[Any]] | None = None


class _Subset(NamedTuple):
    """What matplotlib reads of a subset: the font, and old glyph numbers to new."""

    font: TTFont
    glyph_index_map: dict[int, int]


def layout_free_twin(cut: Path) -> Path:
    """A copy of the font file ``cut`` without :data:`LAYOUT_TABLES`, made once beside it.

    Only tables are dropped, and the others are kept as they are (the ``head`` table's time
    stamps too), so every glyph keeps its number, outline, hinting and advance, and the font
    its names. Written
    atomically; an existing twin is reused (the cut copy's name already changes with its source
    and with the way it is cut, the twin's with the way twins are made).
    """
    from fontTools.ttLib import TTFont

    target = cut.with_name(f"{cut.stem}-embed{_TWIN_VERSION}{cut.suffix}")
    if target.is_file():
        return target
    font = TTFont(cut, recalcTimestamp=False)
    for tag in LAYOUT_TABLES:
        if tag in font:
            del font[tag]
    with atomic_path(target) as tmp:
        font.save(tmp)
    return target


def _is_known_form(function: Callable[..., Any]) -> bool:
    """Whether ``function`` is matplotlib 3.11's ``get_glyphs_subset(fontfile, glyphs)``."""
    from matplotlib import font_manager
    from matplotlib.backends import _backend_pdf_ps

    results = getattr(_backend_pdf_ps, "SubsetResults", None)
    if function is _glyphs_subset or not hasattr(font_manager, "FontPath"):
        return False
    if getattr(results, "_fields", None) != ("font", "glyph_index_map"):
        return False
    try:
        parameters = list(inspect.signature(function).parameters)
    except (TypeError, ValueError):
        return False
    return parameters == ["fontfile", "glyphs"]


def embed_from_twins(cuts: Iterable[Path]) -> bool:
    """Have matplotlib embed each font file of ``cuts`` from its twin, each subset made once.

    Parameters
    ----------
    cuts
        The font files maps are drawn with (the cut house faces); their twins are made
        (:func:`layout_free_twin`) the first time.

    Returns
    -------
    bool
        Whether matplotlib's subsetting is now this module's: False with a matplotlib whose
        subsetting has another form, or where a twin cannot be made (the fonts are then
        embedded as matplotlib does).
    """
    global _matplotlib_subset  # noqa: PLW0603 (once per process)
    from fontTools.ttLib import TTLibError
    from matplotlib.backends import _backend_pdf_ps

    with _lock:
        if _matplotlib_subset is None and not _is_known_form(_backend_pdf_ps.get_glyphs_subset):
            log.debug("matplotlib's font subsetting has a new form: left as it is")
            return False
        try:
            twins = {os.path.realpath(cut): str(layout_free_twin(cut)) for cut in cuts}
        except (OSError, OutputError, TTLibError) as exc:
            log.debug("PDFs embed the house fonts as matplotlib subsets them: %s", exc)
            return False
        # matplotlib names a font by its real path, whatever path it was added under.
        _twins.update(twins)
        if _matplotlib_subset is None:
            _matplotlib_subset = _backend_pdf_ps.get_glyphs_subset
            _backend_pdf_ps.get_glyphs_subset = _glyphs_subset
    return True


def _glyphs_subset(fontfile: Any, glyphs: Iterable[int]) -> AbstractContextManager[Any]:
    """The subset matplotlib asks for, made from the twin of a house face and kept."""
    assert _matplotlib_subset is not None
    twin = _twins.get(os.path.realpath(fontfile))
    if twin is None:
        return _matplotlib_subset(fontfile, glyphs)
    face_index = int(getattr(fontfile, "face_index", 0))
    key = (twin, face_index, frozenset(int(g) for g in glyphs))
    with _lock:
        kept = _subsets.get(key)
        if kept is not None:
            _subsets.move_to_end(key)
    if kept is None:
        try:
            kept = _kept_or_made(twin, face_index, key[2])
        except OSError as exc:  # the twin went (a cache emptied during the run)
            log.debug("Subsetting %s itself: %s", fontfile, exc)
            return _matplotlib_subset(fontfile, glyphs)
        with _lock:
            _subsets[key] = kept
            while len(_subsets) > _KEPT_SUBSETS:
                _subsets.popitem(last=False)
    return _opened(*kept)


def _kept_or_made(
    twin: str, face_index: int, glyphs: frozenset[int]
) -> tuple[bytes, dict[int, int]]:
    """The subset kept on disk by an earlier run or another process, else made and kept."""
    path = subset_file(twin, face_index, glyphs)
    kept = _read_kept(path, glyphs)
    if kept is None:
        kept = _made_subset(twin, face_index, glyphs)
        _keep(path, kept)
    return kept


def _made_subset(
    twin: str, face_index: int, glyphs: frozenset[int]
) -> tuple[bytes, dict[int, int]]:
    """The subset of ``glyphs`` of the twin matplotlib makes, as the bytes it would write."""
    from matplotlib.font_manager import FontPath

    assert _matplotlib_subset is not None
    with _matplotlib_subset(FontPath(twin, face_index), glyphs) as made:
        saved = io.BytesIO()
        made.font.save(saved, reorderTables=False)  # as matplotlib saves a subset
        return saved.getvalue(), dict(made.glyph_index_map)


def subset_file(twin: str, face_index: int, glyphs: frozenset[int]) -> Path:
    """Where the subset of ``glyphs`` of a face's twin is kept between runs.

    Named by everything that decides its bytes: the twin (whose name holds the source font's
    SHA-256, the fontTools version and the versions of the cut and of the twin), the face,
    the glyphs, and the matplotlib and fontTools that subset it.
    """
    import fontTools
    import matplotlib

    identity = "|".join(
        [
            Path(twin).name,
            str(face_index),
            ",".join(str(g) for g in sorted(glyphs)),
            matplotlib.__version__,
            fontTools.version,
        ]
    )
    name = hashlib.sha256(identity.encode()).hexdigest()[:40]
    return Path(twin).parent / "subsets" / f"{name}.subset"


def _read_kept(path: Path, glyphs: frozenset[int]) -> tuple[bytes, dict[int, int]] | None:
    """A subset kept on disk (None when absent or not whole).

    The file is a line of JSON (the SHA-256 of the font's bytes and matplotlib's glyph map),
    then the font's bytes; a file whose bytes do not match, or whose map lacks a glyph asked
    for, is not used (it is made again and replaced).
    """
    try:
        data = path.read_bytes()
    except OSError:
        return None
    header, _, font = data.partition(b"\n")
    try:
        record = json.loads(header)
        glyph_map = {int(old): int(new) for old, new in record["glyph_index_map"]}
        whole = record["sha256"] == hashlib.sha256(font).hexdigest()
    except (ValueError, KeyError, TypeError):
        return None
    if not whole or not glyphs <= glyph_map.keys():
        log.debug("Not using the damaged font subset %s", path)
        return None
    with contextlib.suppress(OSError):
        os.utime(path)  # recently used: kept when the folder is trimmed
    return font, glyph_map


def _keep(path: Path, kept: tuple[bytes, dict[int, int]]) -> None:
    """Write a subset for later runs (atomically), then trim the folder; never fails a map."""
    font, glyph_map = kept
    header = json.dumps(
        {"sha256": hashlib.sha256(font).hexdigest(), "glyph_index_map": sorted(glyph_map.items())}
    )
    try:
        with atomic_path(path) as tmp:
            tmp.write_bytes(header.encode() + b"\n" + font)
        _trim(path.parent)
    except (OSError, OutputError) as exc:
        log.debug("Font subsets are not kept between runs: %s", exc)


def _trim(folder: Path) -> None:
    """Remove the least recently used kept subsets beyond :data:`_KEPT_ON_DISK`.

    Files being written (hidden, under :func:`~clustergeo.io.atomic_path`) are left alone,
    unless older than :data:`_ABANDONED_AFTER_S`. Files another process removes meanwhile
    are passed over.
    """
    kept: list[tuple[float, str]] = []
    now = time.time()
    for entry in os.scandir(folder):
        if not entry.name.endswith(".subset"):
            continue
        with contextlib.suppress(OSError):
            used = entry.stat().st_mtime
            if not entry.name.startswith("."):
                kept.append((used, entry.path))
            elif now - used > _ABANDONED_AFTER_S:
                Path(entry.path).unlink()
    if len(kept) <= _KEPT_ON_DISK:
        return
    kept.sort()
    for _used, path in kept[: len(kept) - _KEPT_ON_DISK * 3 // 4]:
        with contextlib.suppress(OSError):
            Path(path).unlink()


@contextlib.contextmanager
def _opened(data: bytes, glyph_index_map: dict[int, int]) -> Iterator[_Subset]:
    """A kept subset as a font of its own, closed after use; saved again it is the same bytes."""
    from fontTools.ttLib import TTFont

    # Without recalculation a font saved again keeps its time stamps and bounding boxes, so a
    # PDF saved twice is the same bytes.
    font = TTFont(io.BytesIO(data), recalcTimestamp=False, recalcBBoxes=False)
    with font:
        yield _Subset(font, dict(glyph_index_map))
