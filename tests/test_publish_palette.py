"""The industry palette: fixed by key, and told apart under simulated colour-vision deficiency.

Colour differences are CIEDE2000 (checked here against Sharma, Wu & Dalal's 2005 test pairs);
deficiencies are simulated with Machado, Oliveira & Fernandes's (2009) matrices at severity 1.
The thresholds are the palette module's: 10 between full colours and 8 between the map's tints
(a difference of about 1 is just noticeable between patches side by side).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from matplotlib.colors import to_rgb

from clustergeo.publish.colour_vision import (
    DEFICIENCIES,
    MACHADO_2009,
    ciede2000,
    hex_to_lab,
    simulate,
    srgb_to_lab,
)
from clustergeo.publish.palette import (
    BASE_FILL,
    FILL_ALPHA,
    INDUSTRY_COLOURS,
    MIN_DIFFERENCE,
    MIN_FILL_DIFFERENCE,
    SECTION_COLOURS,
    SHIPPED_SETS,
    industry_colours,
)

VISIONS = ("normal", *DEFICIENCIES)


@pytest.mark.parametrize(
    ("lab1", "lab2", "expected"),
    [
        # Sharma, Wu & Dalal (2005), Table 1: pairs 1, 7, 13, 17, 19, 21-24 and 25.
        ((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485), 2.0425),
        ((50.0, 0.0, 0.0), (50.0, -1.0, 2.0), 2.3669),
        ((50.0, 2.49, -0.001), (50.0, -2.49, 0.0009), 7.1792),
        ((50.0, 2.5, 0.0), (73.0, 25.0, -18.0), 27.1492),
        ((50.0, 2.5, 0.0), (56.0, -27.0, -3.0), 31.9030),
        ((50.0, 2.5, 0.0), (50.0, 3.1736, 0.5854), 1.0000),
        ((50.0, 2.5, 0.0), (50.0, 3.2972, 0.0), 1.0000),
        ((50.0, 2.5, 0.0), (50.0, 1.8634, 0.5757), 1.0000),
        ((50.0, 2.5, 0.0), (50.0, 3.2592, 0.3350), 1.0000),
        ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
    ],
)
def test_ciede2000_reproduces_the_published_test_pairs(lab1, lab2, expected):
    assert ciede2000(np.array(lab1), np.array(lab2)) == pytest.approx(expected, abs=5e-5)
    # The difference is symmetric.
    assert ciede2000(np.array(lab2), np.array(lab1)) == pytest.approx(expected, abs=5e-5)


def test_lab_of_white_and_black_and_a_primary():
    assert srgb_to_lab(np.array([1.0, 1.0, 1.0])) == pytest.approx([100.0, 0.0, 0.0], abs=1e-3)
    assert srgb_to_lab(np.array([0.0, 0.0, 0.0])) == pytest.approx([0.0, 0.0, 0.0], abs=1e-9)
    # sRGB red in CIELAB (D65), as every colour reference tabulates it.
    assert srgb_to_lab(np.array([1.0, 0.0, 0.0])) == pytest.approx([53.24, 80.09, 67.20], abs=0.02)


def test_machado_matrices_keep_greys_grey():
    for name, matrix in MACHADO_2009.items():
        assert np.asarray(matrix).sum(axis=1) == pytest.approx([1, 1, 1], abs=2e-6), name
    for vision in DEFICIENCIES:
        assert simulate("#808080", vision) == pytest.approx(to_rgb("#808080"), abs=1e-5)
        assert simulate("#ffffff", vision) == pytest.approx([1, 1, 1], abs=1e-5)


def test_simulation_confuses_what_dichromats_confuse():
    """The old palette's construction and manufacturing look alike to a deuteranope."""
    construction, manufacturing = "#1b9e77", "#e7298a"  # ColorBrewer Dark2, as they were
    normal = ciede2000(hex_to_lab(construction), hex_to_lab(manufacturing))
    deutan = ciede2000(
        hex_to_lab(construction, "deuteranopia"), hex_to_lab(manufacturing, "deuteranopia")
    )
    assert normal > 70
    assert deutan < MIN_FILL_DIFFERENCE
    # A tritanope confuses blues with greens, but still tells red from green.
    red, green = "#d62728", "#2ca02c"
    assert ciede2000(hex_to_lab(red, "tritanopia"), hex_to_lab(green, "tritanopia")) > 40


def _tint(colour: str) -> np.ndarray:
    return FILL_ALPHA * np.array(to_rgb(colour)) + (1 - FILL_ALPHA) * np.array(to_rgb(BASE_FILL))


def _smallest_difference(colours: list[str], *, tinted: bool) -> tuple[float, str]:
    smallest, where = np.inf, ""
    for a, b in itertools.combinations(colours, 2):
        for vision in VISIONS:
            rgb_a = _tint(a) if tinted else np.array(to_rgb(a))
            rgb_b = _tint(b) if tinted else np.array(to_rgb(b))
            difference = ciede2000(
                srgb_to_lab(simulate(rgb_a, vision)), srgb_to_lab(simulate(rgb_b, vision))
            )
            if difference < smallest:
                smallest, where = difference, f"{a} vs {b} ({vision})"
    return float(smallest), where


@pytest.mark.parametrize("name", sorted(SHIPPED_SETS))
def test_every_shipped_set_is_told_apart_under_every_vision(name):
    colours = list(industry_colours(SHIPPED_SETS[name]).values())
    assert len(set(colours)) == len(colours), "two industries of one set share a colour"
    full, where = _smallest_difference(colours, tinted=False)
    assert full >= MIN_DIFFERENCE, where
    tint, where = _smallest_difference(colours, tinted=True)
    assert tint >= MIN_FILL_DIFFERENCE, where


def test_sections_are_told_apart_under_normal_vision():
    colours = list(dict.fromkeys(SECTION_COLOURS.values()))
    smallest = min(
        ciede2000(hex_to_lab(a), hex_to_lab(b)) for a, b in itertools.combinations(colours, 2)
    )
    assert smallest >= 8.0
    # As the maps fill findings: tints over the base, where differences shrink.
    tinted = min(
        ciede2000(srgb_to_lab(_tint(a)), srgb_to_lab(_tint(b)))
        for a, b in itertools.combinations(colours, 2)
    )
    assert tinted >= 7.0


def test_colours_are_keyed_by_industry_not_by_what_was_found():
    everything = industry_colours(SHIPPED_SETS["sections"])
    assert industry_colours(["energy_waste"]) == {"energy_waste": everything["energy_waste"]}
    assert industry_colours(reversed(SHIPPED_SETS["sections"])) == everything
    assert everything["manufacturing"] == INDUSTRY_COLOURS["automotive"] == SECTION_COLOURS["C"]


def test_unknown_keys_take_colours_no_other_industry_of_the_run_uses():
    colours = industry_colours(["manufacturing", "my_batteries", "digital_ict", "my_rail"])
    assert colours["manufacturing"] == INDUSTRY_COLOURS["manufacturing"]
    assert len(set(colours.values())) == 4
    # Deterministic: the same definitions give the same colours.
    assert industry_colours(["manufacturing", "my_batteries", "digital_ict", "my_rail"]) == colours
