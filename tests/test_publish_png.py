"""The map PNG writer: any reader gets the same pixels, resolution and software back."""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from clustergeo.publish.png import write_rgb_png


def _chunks(path: Path) -> list[tuple[bytes, bytes]]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, at = [], 8
    while at < len(data):
        length = int.from_bytes(data[at : at + 4], "big")
        kind, body = data[at + 4 : at + 8], data[at + 8 : at + 8 + length]
        crc = int.from_bytes(data[at + 8 + length : at + 12 + length], "big")
        assert crc == zlib.crc32(kind + body)
        chunks.append((kind, body))
        at += 12 + length
    return chunks


def test_pixels_resolution_and_software_read_back(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    pixels = rng.integers(0, 256, size=(37, 53, 3), dtype=np.uint8)
    pixels[:10] = (255, 255, 255)  # flat runs, as on a map's paper
    target = tmp_path / "map.png"
    write_rgb_png(pixels, target, dpi=300, software="Matplotlib version3, https://matplotlib.org/")
    with Image.open(target) as image:
        image.load()
        assert image.mode == "RGB"
        assert image.size == (53, 37)
        # PNG keeps whole pixels per metre: 11,811 for 300 dpi.
        assert image.info["dpi"] == pytest.approx((300, 300), abs=0.01)
        assert image.info["Software"] == "Matplotlib version3, https://matplotlib.org/"
        np.testing.assert_array_equal(np.asarray(image), pixels)
    kinds = [kind for kind, _ in _chunks(target)]
    assert kinds == [b"IHDR", b"pHYs", b"tEXt", b"IDAT", b"IEND"]


def test_rows_are_unfiltered(tmp_path: Path) -> None:
    pixels = np.full((4, 5, 3), (10, 20, 30), dtype=np.uint8)
    target = tmp_path / "flat.png"
    write_rgb_png(pixels, target, dpi=72, software="test")
    (idat,) = [body for kind, body in _chunks(target) if kind == b"IDAT"]
    rows = np.frombuffer(zlib.decompress(idat), dtype=np.uint8).reshape(4, 16)
    assert (rows[:, 0] == 0).all()  # filter type 0 on every row
    np.testing.assert_array_equal(rows[:, 1:].reshape(4, 5, 3), pixels)


def test_a_view_of_rgba_pixels_is_written_as_its_rgb(tmp_path: Path) -> None:
    rgba = np.random.default_rng(5).integers(0, 256, size=(3, 4, 4), dtype=np.uint8)
    rgba[..., 3] = 255
    target = tmp_path / "view.png"
    write_rgb_png(rgba[..., :3], target, dpi=150, software="test")
    with Image.open(target) as image:
        np.testing.assert_array_equal(np.asarray(image), rgba[..., :3])


@pytest.mark.parametrize(
    "pixels",
    [np.zeros((3, 4), dtype=np.uint8), np.zeros((3, 4, 4), dtype=np.uint8), np.zeros((3, 4, 3))],
)
def test_anything_but_rgb_bytes_is_refused(tmp_path: Path, pixels: np.ndarray) -> None:
    with pytest.raises(ValueError, match="height x width x 3 uint8"):
        write_rgb_png(pixels, tmp_path / "bad.png", dpi=300, software="test")
    assert not (tmp_path / "bad.png").exists()
