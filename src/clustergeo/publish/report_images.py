"""The report's PNG figures put into its PDF as they are, not decoded and compressed again.

A PDF holds an 8-bit RGB or grey image as a zlib stream of PNG-filtered rows (``FlateDecode``
with ``Predictor`` 15: PDF 1.7, ISO 32000-1, 7.4.4.4), which is exactly the concatenated
``IDAT`` data of a non-interlaced PNG of that kind (PNG specification, 2nd edition, W3C 2003,
sections 9 to 11). WeasyPrint nonetheless decodes every PNG with Pillow and compresses its
pixels again to get that stream: over half the time of the report PDF (2.4 of 4.2 s on the
demo, 3.3 of 6.2 s on the Midlands run, on the demo machine at a time it ran at about half its
usual speed), for the same pixels.

:func:`pass_pngs_through` has WeasyPrint take the ``IDAT`` data of such a PNG instead (every map
the pipeline writes is one: :mod:`clustergeo.publish.png`); any other image (alpha, palette,
16-bit, interlaced, not a PNG) goes through WeasyPrint's own code. It replaces WeasyPrint's
``RasterImage._get_png_data``, which is not public API, only where it has the form this module
knows; the tests check that it is in place with the WeasyPrint installed and that the images
in the PDF decode to the pixels of the figures.
"""

from __future__ import annotations

import inspect
import struct
import threading
from collections.abc import Callable
from typing import Any, Final

from clustergeo.publish.png import PNG_SIGNATURE

__all__ = ["idat_stream", "pass_pngs_through"]

#: PNG colour types a PDF image reads as they are: grey (0) and RGB (2).
_GREY_OR_RGB: Final = frozenset({0, 2})

_weasyprint_png_data: Callable[[Any], bytes] | None = None
_lock = threading.Lock()


def idat_stream(png: bytes) -> bytes | None:
    """The zlib stream of an 8-bit, non-interlaced grey or RGB ``png``; None for any other.

    The stream is the PNG's ``IDAT`` chunks joined, read without decompressing; a file that is
    not such a PNG (or ends early) gives None.
    """
    if not png.startswith(PNG_SIGNATURE) or png[12:16] != b"IHDR" or len(png) < 33:
        return None
    _width, _height, depth, colour, _compression, _filter, interlace = struct.unpack(
        ">IIBBBBB", png[16:29]
    )
    if depth != 8 or colour not in _GREY_OR_RGB or interlace != 0:
        return None
    data: list[bytes] = []
    at = len(PNG_SIGNATURE)
    while at + 8 <= len(png):
        (length,) = struct.unpack(">I", png[at : at + 4])
        kind = png[at + 4 : at + 8]
        if at + 12 + length > len(png):
            return None
        if kind == b"IDAT":
            data.append(png[at + 8 : at + 8 + length])
        elif kind == b"IEND":
            return b"".join(data) or None
        at += 12 + length
    return None


def _png_data(pillow_image: Any) -> bytes:
    """WeasyPrint's ``_get_png_data``, reading the file's own stream where it can."""
    assert _weasyprint_png_data is not None
    source = getattr(pillow_image, "fp", None)
    getvalue = getattr(source, "getvalue", None)
    if pillow_image.format == "PNG" and pillow_image.mode in {"L", "RGB"} and getvalue:
        stream = idat_stream(getvalue())
        if stream is not None:
            return stream
    return _weasyprint_png_data(pillow_image)


def pass_pngs_through() -> bool:
    """Have WeasyPrint put 8-bit grey and RGB PNGs into PDFs as they are, in this process.

    Returns
    -------
    bool
        Whether WeasyPrint now does (False with a WeasyPrint whose image code has another form:
        images are then compressed again, as WeasyPrint does).
    """
    global _weasyprint_png_data  # noqa: PLW0603 (once per process)
    from weasyprint.images import RasterImage

    with _lock:
        if _weasyprint_png_data is not None:
            return True
        original = inspect.getattr_static(RasterImage, "_get_png_data", None)
        if not isinstance(original, staticmethod) or original.__func__ is _png_data:
            return False
        if list(inspect.signature(original.__func__).parameters) != ["pillow_image"]:
            return False
        _weasyprint_png_data = original.__func__
        RasterImage._get_png_data = staticmethod(_png_data)
    return True
