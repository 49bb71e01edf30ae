"""The run report as a PDF, printed from its self-contained HTML page.

``report.pdf`` is the page ``report.html`` laid out for A4 paper by WeasyPrint, using the print
rules of the page's own style sheet (:data:`clustergeo.publish.report.PRINT_CSS`): each section
starts on a new page, a figure is never split across pages, tables repeat their header row and
every page is numbered. The PDF is therefore the page a reader would print from a browser, with
the same words and the same embedded maps, but made by the pipeline on any machine.

WeasyPrint is a Python package (pinned in ``pyproject.toml``) that draws text through the Pango
system library (Debian: ``libpango-1.0-0`` and ``libpangoft2-1.0-0``); where Pango is missing
the stage stops with an :class:`~clustergeo._errors.OutputError` that names the packages, rather
than a library traceback.
"""

from __future__ import annotations

import logging
from pathlib import Path

from clustergeo._errors import OutputError
from clustergeo.io import atomic_path

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
    except (ImportError, OSError) as exc:
        raise OutputError(
            f"Cannot write {target}: the PDF report needs WeasyPrint and the Pango library "
            f"({exc}). Install them with `pip install -e .` and, on Debian or Ubuntu, "
            f"`apt-get install {' '.join(PDF_SYSTEM_PACKAGES)}`, then re-run the publish stage."
        ) from None
    with atomic_path(target) as tmp:
        HTML(string=page).write_pdf(tmp)
    log.info("Wrote %s", target)
    return target
