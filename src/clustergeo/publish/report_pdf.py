"""The run report as a PDF, printed from its self-contained HTML page.

``report.pdf`` is the page ``report.html`` laid out for A4 paper by WeasyPrint, using the print
rules of the page's own style sheet (:data:`clustergeo.publish.report.PRINT_CSS`): each section
starts on a new page, a figure is never split across pages, tables repeat their header row and
every page is numbered. The PDF is therefore the page a reader would print from a browser, with
the same words and the same embedded maps, but made by the pipeline on any machine. The maps go
into it as the PNG files hold them (:mod:`clustergeo.publish.report_images`).

WeasyPrint is a Python package (pinned in ``pyproject.toml``) that draws text through the Pango
system library (Debian: ``libpango-1.0-0`` and ``libpangoft2-1.0-0``); where Pango is missing
the stage stops with an :class:`~clustergeo._errors.OutputError` that names the packages, rather
than a library traceback.
"""

from __future__ import annotations

import base64
import logging
import re
from pathlib import Path
from typing import Any

from clustergeo._errors import OutputError
from clustergeo.io import atomic_path
from clustergeo.publish.report_images import pass_pngs_through

__all__ = ["PDF_SYSTEM_PACKAGES", "write_report_pdf"]

log = logging.getLogger(__name__)

#: The Debian packages WeasyPrint loads at run time (it finds them by name, not through pip).
PDF_SYSTEM_PACKAGES = ("libpango-1.0-0", "libpangoft2-1.0-0")


def write_report_pdf(page: str, target: Path) -> Path:
    """Print the report's HTML ``page`` to an A4 PDF at ``target``, atomically.

    Parameters
    ----------
    page
        The self-contained report page (images embedded as ``data:`` URIs), as written to
        ``report.html``; nothing beside it is read.
    target
        Where the PDF goes.

    Returns
    -------
    Path
        ``target``.

    Raises
    ------
    OutputError
        If WeasyPrint or the Pango library it draws text with is not installed (the message
        names the packages to install), or the file cannot be written.
    """
    try:
        # Imported here: loading WeasyPrint opens Pango, which only the PDF needs.
        from weasyprint import HTML
        from weasyprint.urls import URLFetcher, URLFetcherResponse
    except (ImportError, OSError) as exc:
        raise OutputError(
            f"Cannot write {target}: the PDF report needs WeasyPrint and the Pango library "
            f"({exc}). Install them with `pip install -e .` and, on Debian or Ubuntu, "
            f"`apt-get install {' '.join(PDF_SYSTEM_PACKAGES)}`, then re-run the publish stage."
        ) from None
    pass_pngs_through()
    # The page's figures are set aside before it is parsed and handed back from memory:
    # WeasyPrint's HTML parser reads a data: URI character by character, which took a
    # quarter of the demo report's time. Only these figures can be fetched (nothing from the
    # machine or the network), and one that cannot be read stops the PDF rather than leaving
    # a hole in it.
    figures: dict[str, bytes] = {}

    def set_aside(match: re.Match[str]) -> str:
        key = f"{_FIGURE_SCHEME}:{len(figures)}"
        figures[key] = base64.b64decode(match.group(1))
        return key

    class PageFigures(URLFetcher):  # type: ignore[misc]  # WeasyPrint is untyped
        def fetch(self, url: str, headers: object = None) -> Any:
            return URLFetcherResponse(url, figures[url], {"Content-Type": "image/png"})

    fetcher = PageFigures(allowed_protocols={_FIGURE_SCHEME}, fail_on_errors=True)
    with atomic_path(target) as tmp:
        HTML(string=_EMBEDDED_PNG.sub(set_aside, page), url_fetcher=fetcher).write_pdf(tmp)
    log.info("Wrote %s", target)
    return target


#: A figure embedded in the report page, and the made-up scheme it is fetched by instead.
_EMBEDDED_PNG = re.compile(r"data:image/png;base64,([A-Za-z0-9+/=]+)")
_FIGURE_SCHEME = "clustergeo-figure"
