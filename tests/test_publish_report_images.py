"""The report PDF holds its PNG figures as the files hold them, with the same pixels."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pypdf import PdfReader
from weasyprint.images import RasterImage

from clustergeo.publish import report_images
from clustergeo.publish.png import write_rgb_png
from clustergeo.publish.report import Block, to_html
from clustergeo.publish.report_images import idat_stream, pass_pngs_through
from clustergeo.publish.report_pdf import write_report_pdf


def _pixels(height: int, width: int, channels: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    # Flat blocks with noise, as a map's areas and their anti-aliased edges.
    blocks = rng.integers(0, 256, size=(height // 10 + 1, width // 10 + 1, channels))
    pixels = np.repeat(np.repeat(blocks, 10, axis=0), 10, axis=1)[:height, :width]
    edges = rng.random((height, width)) < 0.05
    pixels[edges] = rng.integers(0, 256, size=(int(edges.sum()), channels))
    return pixels.astype(np.uint8)


def _png(pixels: np.ndarray, **options: object) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels.squeeze()).save(buffer, format="PNG", **options)
    return buffer.getvalue()


def test_the_stream_of_a_map_png_is_its_rows(tmp_path: Path) -> None:
    pixels = _pixels(37, 53, 3, seed=1)
    write_rgb_png(pixels, tmp_path / "map.png", dpi=300, software="clustergeo")
    stream = idat_stream((tmp_path / "map.png").read_bytes())
    assert stream is not None
    rows = np.frombuffer(zlib.decompress(stream), dtype=np.uint8).reshape(37, 1 + 53 * 3)
    assert (rows[:, 0] == 0).all()
    np.testing.assert_array_equal(rows[:, 1:].reshape(pixels.shape), pixels)


def _chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    chunks, at = [], 8
    while at < len(png):
        (length,) = struct.unpack(">I", png[at : at + 4])
        chunks.append((png[at + 4 : at + 8], png[at + 8 : at + 8 + length]))
        at += 12 + length
    return chunks


def _rebuilt(chunks: list[tuple[bytes, bytes]]) -> bytes:
    out = [b"\x89PNG\r\n\x1a\n"]
    for kind, data in chunks:
        crc = zlib.crc32(data, zlib.crc32(kind)) & 0xFFFFFFFF
        out.append(struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc))
    return b"".join(out)


def test_a_stream_split_over_chunks_is_joined() -> None:
    pixels = _pixels(200, 300, 3, seed=2)
    chunks = _chunks(_png(pixels))
    (data,) = [data for kind, data in chunks if kind == b"IDAT"]
    thirds = [data[: len(data) // 3], data[len(data) // 3 : 2 * len(data) // 3]]
    thirds.append(data[2 * len(data) // 3 :])
    before_end = [chunk for chunk in chunks if chunk[0] not in {b"IDAT", b"IEND"}]
    split = _rebuilt([*before_end, *[(b"IDAT", part) for part in thirds], (b"IEND", b"")])
    assert Image.open(io.BytesIO(split)).convert("RGB").tobytes() == pixels.tobytes()
    assert idat_stream(split) == data


def _interlaced_header() -> bytes:
    chunks = _chunks(_png(_pixels(20, 30, 3, seed=6)))
    kind, header = chunks[0]
    return _rebuilt([(kind, header[:12] + b"\x01"), *chunks[1:]])


def _palette_png() -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(_pixels(20, 30, 3, seed=8)).quantize(16).save(buffer, format="PNG")
    return buffer.getvalue()


def _sixteen_bit_png() -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(_pixels(20, 30, 1, seed=9).squeeze().astype(np.uint16) * 257).save(
        buffer, format="PNG"
    )
    return buffer.getvalue()


def _sixteen_bit_rgb_png() -> bytes:
    """A 16-bit RGB PNG, which Pillow opens as 8-bit "RGB": only its header tells."""
    chunks = _chunks(_png(_pixels(20, 30, 3, seed=10)))
    kind, header = chunks[0]
    rows = np.frombuffer(zlib.decompress(chunks[1][1]), dtype=np.uint8).reshape(20, 1 + 90)
    wide = np.zeros((20, 1 + 180), dtype=np.uint8)
    wide[:, 1::2] = rows[:, 1:]  # filter type 0, each sample's high byte
    chunks = [(kind, header[:8] + b"\x10" + header[9:]), (b"IDAT", zlib.compress(wide.tobytes()))]
    return _rebuilt([*chunks, (b"IEND", b"")])


@pytest.mark.parametrize(
    ("make", "why"),
    [
        (lambda: _png(_pixels(20, 30, 4, seed=3)), "alpha"),
        (_sixteen_bit_png, "16-bit"),
        (_sixteen_bit_rgb_png, "16-bit RGB"),
        (_palette_png, "palette"),
        (_interlaced_header, "interlaced"),
        (lambda: _png(_pixels(20, 30, 3, seed=7))[:-30], "truncated"),
        (lambda: b"GIF89a" + bytes(40), "not a PNG"),
    ],
)
def test_other_images_are_left_to_weasyprint(make: Callable[[], bytes], why: str) -> None:
    assert idat_stream(make()) is None, why


def test_the_replacement_is_in_place_with_the_installed_weasyprint() -> None:
    # Fails when a WeasyPrint upgrade changes the method: report PDFs are then still right,
    # but slow again, and this module needs a look.
    assert pass_pngs_through()
    assert RasterImage.__dict__["_get_png_data"].__func__ is report_images._png_data


@pytest.mark.parametrize(("channels", "passed"), [(3, True), (1, True), (4, False)])
def test_report_figures_keep_their_pixels(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, channels: int, passed: bool
) -> None:
    pass_pngs_through()
    compressed_again: list[str] = []
    weasyprint_own = report_images._weasyprint_png_data
    assert weasyprint_own is not None

    def counted(pillow_image: Image.Image) -> bytes:
        compressed_again.append(pillow_image.mode)
        return weasyprint_own(pillow_image)

    monkeypatch.setattr(report_images, "_weasyprint_png_data", counted)
    pixels = _pixels(120, 160, channels, seed=channels)
    if channels == 4:
        pixels[..., 3] = 255
    figure = tmp_path / "figures" / "map.png"
    figure.parent.mkdir()
    if channels == 3:
        write_rgb_png(pixels, figure, dpi=300, software="clustergeo")
    else:
        figure.write_bytes(_png(pixels))
    page = to_html(
        [Block("h1", "Report"), Block("img", "A map", path="figures/map.png")], "R", tmp_path
    )
    reader = PdfReader(write_report_pdf(page, tmp_path / "report.pdf"))
    images = [image for p in reader.pages for image in p.images]
    assert len(images) == 1
    embedded = np.asarray(images[0].image)
    # An image with alpha comes out with it (WeasyPrint keeps it as a soft mask).
    np.testing.assert_array_equal(embedded, pixels.squeeze())
    assert (not compressed_again) == passed
