"""One colour per industry, everywhere and always: the figures, QGIS, the map page, the report.

A finding's colour is looked up by its industry's key (the cluster definition's key, such as
``manufacturing``, or the SIC section's letter), never by the order in which a run happened to
find industries, so manufacturing is the same indigo in every map, layer and run.

The shipped cluster definitions share nine colours, Paul Tol's "muted" qualitative scheme
(Tol 2021), chosen for readers with colour-vision deficiency. Two definitions share a colour
only where no shipped set shows both (``manufacturing`` is the section-level envelope of
``automotive``; ``energy_waste`` of ``circular_economy``). The assignment maximises the
smallest CIEDE2000 difference between the industries of each shipped set under normal vision
and simulated protanopia, deuteranopia and tritanopia (Machado et al. 2009), for the full colour
(outlines, legend keys) and for the map's tint (the colour at :data:`FILL_ALPHA` over
:data:`BASE_FILL`); ``tests/test_publish_palette.py`` holds it to :data:`MIN_DIFFERENCE` and
:data:`MIN_FILL_DIFFERENCE`.

SIC sections (runs whose findings are built per industry, ``clusters.of: industries``) get 21
fixed colours, all told apart under normal vision; no 21 colours can all be told apart by a
colour-blind reader, which is why every finding on a map is also numbered and keyed by name.
A key the tables do not know (a cluster definition of the user's own) takes the first colour
no other industry of the run uses, in the order of the run's definitions.

References
----------
P. Tol, "Colour Schemes", SRON technical note SRON/EPS/TN/09-002, issue 3.2, 2021.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Final

__all__ = [
    "BASE_FILL",
    "FILL_ALPHA",
    "INDUSTRY_COLOURS",
    "MIN_DIFFERENCE",
    "MIN_FILL_DIFFERENCE",
    "SECTION_COLOURS",
    "SHIPPED_SETS",
    "industry_colours",
    "industry_labels",
]

#: Paul Tol's "muted" scheme, in the order the shipped definitions take it.
_MUTED: Final = (
    "#332288",  # indigo
    "#CC6677",  # rose
    "#DDCC77",  # sand
    "#88CCEE",  # cyan
    "#882255",  # wine
    "#117733",  # green
    "#999933",  # olive
    "#44AA99",  # teal
    "#AA4499",  # purple
)

#: The colour of every shipped cluster definition, by its key.
INDUSTRY_COLOURS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "manufacturing": _MUTED[0],
        "automotive": _MUTED[0],
        "aerospace": _MUTED[1],
        "digital_ict": _MUTED[2],
        "food_drink": _MUTED[3],
        "ceramics": _MUTED[4],
        "energy_waste": _MUTED[5],
        "circular_economy": _MUTED[5],
        "construction": _MUTED[6],
        "professional_scientific": _MUTED[7],
        "logistics": _MUTED[8],
    }
)

#: The shipped definition sets (``data/definitions/``): the industries a map shows together.
SHIPPED_SETS: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {
        "sections": (
            "manufacturing",
            "digital_ict",
            "professional_scientific",
            "logistics",
            "construction",
            "energy_waste",
        ),
        "default": (
            "automotive",
            "aerospace",
            "digital_ict",
            "food_drink",
            "ceramics",
            "circular_economy",
            "construction",
        ),
    }
)

#: The SIC 2007 sections: the muted scheme for the sections of the shipped definitions, then
#: Okabe & Ito's (2008) colours and seven more, all at least 8 CIEDE2000 apart, and at least 7
#: apart as the maps' tints (at FILL_ALPHA over BASE_FILL). Administrative services (N) are
#: slate and arts (R) brown: as sky and steel blue beside water's cyan (E) the three read as
#: one light blue on the maps.
SECTION_COLOURS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "A": "#009E73",
        "B": "#882255",
        "C": _MUTED[0],
        "D": _MUTED[5],
        "E": "#88CCEE",
        "F": _MUTED[6],
        "G": "#E69F00",
        "H": _MUTED[8],
        "I": "#D55E00",
        "J": _MUTED[2],
        "K": "#CC6677",
        "L": "#CC79A7",
        "M": _MUTED[7],
        "N": "#7570B3",
        "O": "#0072B2",
        "P": "#F0E442",
        "Q": "#EE99AA",
        "R,S": "#8C510A",
        "R": "#8C510A",
        "S": "#777777",
        "T": "#BBBBBB",
        "U": "#000000",
    }
)

#: The unfilled base of the cluster maps, and the opacity findings are filled with over it.
BASE_FILL: Final = "#f2f0eb"
FILL_ALPHA: Final = 0.6

#: The smallest CIEDE2000 difference between two industries of one shipped set, under normal
#: vision and each simulated dichromacy: full colours, and tints at FILL_ALPHA over BASE_FILL.
MIN_DIFFERENCE: Final = 10.0
MIN_FILL_DIFFERENCE: Final = 8.0

# Colours for keys neither table knows, after the muted scheme: Okabe & Ito's, then greys.
_SPARE: Final = (
    *_MUTED,
    "#E69F00",
    "#56B4E9",
    "#009E73",
    "#D55E00",
    "#0072B2",
    "#CC79A7",
    "#F0E442",
    "#777777",
)


def industry_colours(keys: Iterable[str]) -> dict[str, str]:
    """The colour of each industry key, in the order given (duplicates once).

    Known keys (:data:`INDUSTRY_COLOURS`, :data:`SECTION_COLOURS`) keep their fixed colour;
    each unknown key takes the first colour of the spare list that no key of ``keys`` uses,
    so pass every industry of the run (its definitions, in their order), not only those found.
    """
    wanted = list(dict.fromkeys(str(k) for k in keys))
    fixed = {k: INDUSTRY_COLOURS.get(k) or SECTION_COLOURS.get(k) for k in wanted}
    taken = {c for c in fixed.values() if c}
    spare = iter([c for c in _SPARE if c not in taken])
    colours: dict[str, str] = {}
    for key in wanted:
        colour = fixed[key]
        if colour is None:
            # More unknown industries than spare colours: reuse the scheme from the start.
            colour = next(spare, None) or _SPARE[len(colours) % len(_SPARE)]
        colours[key] = colour
    return colours


def industry_labels(
    definitions: Iterable[tuple[str, str]], *findings: Iterable[tuple[object, object]]
) -> dict[str, str]:
    """Each industry key's name: the cluster definitions' first, then any other found.

    ``findings`` are ``(industry_code, label)`` pairs of finding layers; a key the
    definitions do not name (an industry section's finding) takes the finding's label. The
    order of the result is the order colours are given out in.
    """
    labels = dict(definitions)
    for pairs in findings:
        for code, label in pairs:
            labels.setdefault(str(code), str(label))
    return labels
