"""Captions and titles wrapped to a width in the house font, with few measurements."""

from __future__ import annotations

import itertools
import random
import sys

import pytest

from clustergeo.publish import plotting
from clustergeo.publish.plotting import text_width, wrap_text

CAPTION = (
    "Clusters: neighbouring Gi* hot spots (FDR-controlled, p ≤ 0.05), cores of own LQ at "
    "least 1.25, with at least 500 employees; concentrations: single areas of LQ at least 2."
    "\nSource: ONS Census 2011 (Nomis), Office for National Statistics licensed under the "
    "Open Government Licence v.3.0. Contains OS data © Crown copyright and database right."
)


def _word_by_word(text: str, size: float, width_pt: float, weight: str = "normal") -> str:
    """Each word added to the line while the line stays within the width (the reference)."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split(" "):
            candidate = f"{line} {word}" if line else word
            if line and text_width(candidate, size, weight) > width_pt:
                lines.append(line)
                line = word
            else:
                line = candidate
        lines.append(line)
    return "\n".join(lines)


def _texts() -> list[str]:
    rng = random.Random(7)
    words = CAPTION.replace("\n", " ").split(" ")
    odd = [
        "",
        " ",
        "  leading spaces and  double  spaces ",
        "Antidisestablishmentarianism-and-other-long-words-that-cannot-be-broken short",
        "one",
        "\n\nempty paragraphs\n",
        "tail  \n  head",
    ]
    shuffled = [" ".join(rng.choice(words) for _ in range(rng.randint(1, 60))) for _ in range(20)]
    return [CAPTION, *odd, *shuffled]


@pytest.mark.parametrize("width_pt", [1.0, 40.0, 95.5, 180.0, 333.0, 5_000.0, float("nan")])
@pytest.mark.parametrize("size", [7.0, 9.5])
def test_lines_break_where_adding_word_by_word_breaks_them(size: float, width_pt: float) -> None:
    for text in _texts():
        assert wrap_text(text, size, width_pt) == _word_by_word(text, size, width_pt), text
    bold = wrap_text(CAPTION, size, width_pt, "bold")
    assert bold == _word_by_word(CAPTION, size, width_pt, "bold")


def test_every_line_of_several_words_fits_and_takes_all_the_words_that_fit() -> None:
    width = 200.0
    for paragraph in CAPTION.split("\n"):
        lines = wrap_text(paragraph, 8.0, width).split("\n")
        assert len(lines) > 2
        for line, following in itertools.pairwise(lines):
            assert text_width(line, 8.0, "normal") <= width
            # The next line's first word would not have fitted on this one.
            assert text_width(f"{line} {following.split(' ')[0]}", 8.0, "normal") > width


def test_a_line_is_found_with_a_few_measurements_of_text_about_its_length(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    measured: list[str] = []
    measure = plotting.text_width

    def counting(text: str, size: float, weight: str = "normal") -> float:
        measured.append(text)
        return measure(text, size, weight)

    long_paragraph = " ".join([CAPTION.replace("\n", " ")] * 6)
    for width in (90.0, 250.0, 480.0):
        measured.clear()
        monkeypatch.setattr(sys.modules[__name__], "text_width", counting)
        _word_by_word(long_paragraph, 8.0, width)
        one_by_one = list(measured)
        measured.clear()
        monkeypatch.setattr(plotting, "text_width", counting)
        lines = wrap_text(long_paragraph, 8.0, width).split("\n")
        monkeypatch.undo()
        # From the previous line's length: a few measurements a line, where word by word
        # measures every word but a line's first; never a text much longer than a line, so
        # not much more text measured in all than word by word where lines are short.
        longest_line = max(len(line.split()) for line in lines)
        assert max(len(text.split()) for text in measured) <= 2 * longest_line + 1
        assert sum(map(len, measured)) <= 1.5 * sum(map(len, one_by_one))
        if longest_line >= 8:
            assert len(measured) < len(one_by_one) / 2
