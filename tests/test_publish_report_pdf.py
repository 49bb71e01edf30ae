"""report.pdf: the self-contained report page printed on A4, sections from new pages, numbered."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PageObject, PdfReader

from clustergeo._errors import OutputError
from clustergeo.publish.report import Block, to_html
from clustergeo.publish.report_pdf import PDF_SYSTEM_PACKAGES, write_report_pdf
from clustergeo.stages import registry as r
from clustergeo.stages.paths import RunPaths

#: A4 in PDF points (210 x 297 mm), to the point.
A4_PT = (595, 842)


def _text(reader: PdfReader) -> list[str]:
    return [page.extract_text() for page in reader.pages]


def _images(reader: PdfReader) -> set[int]:
    """The document's distinct embedded images (pages share one resource dictionary)."""
    return {
        image.indirect_reference.idnum
        for page in reader.pages
        for image in page.images
        if image.indirect_reference is not None
    }


def _draws_an_image(page: PageObject) -> bool:
    """Whether the page's content paints an image (the ``Do`` operator)."""
    return b" Do" in page.get_contents().get_data()


@pytest.fixture
def small_report(tmp_path: Path) -> str:
    """A two-section report page with one embedded map, as the publish stage builds it."""
    figure = tmp_path / "figures" / "map.png"
    figure.parent.mkdir()
    Image.new("RGBA", (400, 300), (200, 120, 40, 255)).save(figure)
    blocks = [
        Block("h1", "Test region: report"),
        Block("h2", "Key findings"),
        Block("list", items=("**No. 1 on the maps, Widgets: Northtown** (cluster): 900 jobs.",)),
        Block("h2", "Maps"),
        Block("img", "The findings", path="figures/map.png"),
    ]
    return to_html(blocks, "Test region: report", tmp_path)


def test_the_pdf_is_a4_with_a_section_per_page_numbered_and_the_map_embedded(
    small_report: str, tmp_path: Path
) -> None:
    target = write_report_pdf(small_report, tmp_path / "report.pdf")
    reader = PdfReader(target)
    pages = _text(reader)
    # "Maps" starts a page of its own; "Key findings" stays under the title.
    assert len(pages) == 2
    assert pages[0].startswith("Test region: report\nKey findings\nNo. 1 on the maps")
    assert pages[1].startswith("Maps")
    for number, (page, text) in enumerate(zip(reader.pages, pages, strict=True), start=1):
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == A4_PT
        assert f"Page {number} of 2" in text
        assert "Test region: report" in text.splitlines()[-1]
    assert len(_images(reader)) == 1
    assert [_draws_an_image(page) for page in reader.pages] == [False, True]
    # Nothing is left beside the PDF by its atomic write.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["figures", "report.pdf"]


def test_a_missing_pdf_library_names_the_packages_to_install(
    small_report: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As if WeasyPrint (or the Pango it loads on import) were not installed.
    monkeypatch.setitem(sys.modules, "weasyprint", None)
    with pytest.raises(OutputError, match=r"report\.pdf") as raised:
        write_report_pdf(small_report, tmp_path / "report.pdf")
    for package in PDF_SYSTEM_PACKAGES:
        assert package in str(raised.value)
    assert not (tmp_path / "report.pdf").exists()


def test_the_demo_report_pdf_leads_with_the_key_findings_and_carries_every_map(
    demo_run: RunPaths,
) -> None:
    pdf = demo_run[r.REPORT_PDF]
    assert pdf.read_bytes().startswith(b"%PDF-")
    reader = PdfReader(pdf)
    assert len(reader.pages) > 1
    pages = _text(reader)
    # After the title and the synthetic-data notice, the first thing said is the key findings.
    first = pages[0]
    assert first.startswith("clustergeo: demo (synthetic demo data)")
    lead, findings = first.split("Key findings\n", 1)
    assert "Data and method" not in lead
    assert re.match(r"\d+ clusters? and \d+ concentrations? in \d+ industr", findings)
    assert "No. 1 on the maps" in findings
    assert f"Page 1 of {len(pages)}" in first
    # Every map of the HTML page is in the PDF, as an image (not a link to a file).
    page = demo_run[r.REPORT_HTML].read_text(encoding="utf-8")
    maps = page.count('<img src="data:image/png;base64,')
    assert maps >= 4
    assert len(_images(reader)) == maps


def test_a_wide_table_fits_the_width_of_the_page(tmp_path: Path) -> None:
    import pandas as pd
    from weasyprint import HTML

    # The straddle table's shape: eleven columns, long lists of authorities in some cells.
    places = "Sandwell 45%, Walsall 21%, Wolverhampton 19%, Dudley 15%; touches Birmingham 3%"
    table = pd.DataFrame(
        {
            f"Column number {i}": [
                places if i % 3 == 0 else "+11,111" if i % 3 == 1 else "outside any"
            ]
            * 6
            for i in range(11)
        }
    )
    page = to_html(
        [Block("h1", "Wide"), Block("h2", "Straddles"), Block("table", table=table)],
        "Wide",
        tmp_path,
    )
    document = HTML(string=page).render()

    def boxes(box: object) -> list[object]:
        return [box, *(b for child in getattr(box, "children", []) or [] for b in boxes(child))]

    tables = [
        (box, printed)
        for printed in document.pages
        for box in boxes(printed._page_box)
        if type(box).__name__ == "TableBox"
    ]
    assert tables
    for box, printed in tables:
        # Within the page's 15 mm right margin (CSS pixels: 96 to the inch).
        assert box.position_x + box.margin_width() <= printed.width - 15 / 25.4 * 96 + 1
    # No number is broken over two lines: each numeric cell holds one line of text.
    cells = [
        box
        for printed in document.pages
        for box in boxes(printed._page_box)
        if type(box).__name__ == "TableCellBox"
    ]
    numeric = [
        cell
        for cell in cells
        if "".join(t.text for t in boxes(cell) if type(t).__name__ == "TextBox").startswith("+")
    ]
    assert numeric
    for cell in numeric:
        assert len([b for b in boxes(cell) if type(b).__name__ == "LineBox"]) == 1
