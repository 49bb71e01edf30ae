"""Find industry rows that contain other rows, so no job is counted twice.

Nomis lets a user select sections *and* their divisions in one download, and ONS GVA tables
publish every level at once (``Total``, ``A-E``, ``C``, ``CA-CB (10-15)``...). Summing such a
table counts manufacturing twice (200 instead of 100). The readers therefore look for codes
that contain other codes of the same table (``C`` contains ``29``; ``A,B,C,D,E`` contains
``C``), and follow ``employment.mixed_levels``:

``refuse`` (the default)
    Stop, naming the nested codes.
``finest``
    Keep the rows that contain no other row: the most detailed partition. A broader row is
    dropped only when the rows inside it cover it completely (to the SIC group), so nothing
    is lost; otherwise the run stops, naming what would be lost.
``sections``
    Keep whole sections (or the combinations of sections the table publishes, such as
    ``A,B,D,E``) that contain no other such row; drop the rows inside them and the broader
    aggregates. Rows inside no kept section stay as they are.

Either way the kept rows are checked not to overlap, and what was dropped is noted.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

import pandas as pd

from clustergeo._errors import InputDataError
from clustergeo._validate import format_examples
from clustergeo.industries import contains_industry, overlaps_industry, sic_hierarchy

__all__ = ["MixedLevels", "choose_industry_level", "nested_industries"]

MixedLevels = Literal["refuse", "finest", "sections"]


def _sections(code: str) -> set[str]:
    return set(sic_hierarchy().section_of(code).split(","))


def nested_industries(codes: Iterable[str]) -> tuple[dict[str, list[str]], list[tuple[str, str]]]:
    """Which codes contain which, and which overlap without either containing the other.

    Parameters
    ----------
    codes
        Canonical industry codes of one table (valid SIC 2007 codes or combinations).

    Returns
    -------
    contained, overlapping
        Code → the codes it contains (only codes with some), and pairs that overlap without
        nesting (``CC-CG`` beside ``CD-CE``).
    """
    unique = sorted(set(codes))
    by_section: dict[str, list[str]] = defaultdict(list)
    for code in unique:
        for section in _sections(code):
            by_section[section].append(code)
    contained: dict[str, list[str]] = defaultdict(list)
    overlapping: set[tuple[str, str]] = set()
    seen: set[tuple[str, str]] = set()
    for members in by_section.values():
        for index, first in enumerate(members):
            for second in members[index + 1 :]:
                pair = (first, second) if first < second else (second, first)
                if pair in seen:
                    continue
                seen.add(pair)
                if contains_industry(first, second):
                    contained[first].append(second)
                elif contains_industry(second, first):
                    contained[second].append(first)
                elif overlaps_industry(first, second):
                    overlapping.add(pair)
    return {k: sorted(v) for k, v in contained.items()}, sorted(overlapping)


def choose_industry_level(
    frame: pd.DataFrame, policy: MixedLevels, *, source: Path, what: str = "Employment file"
) -> tuple[pd.DataFrame, list[str]]:
    """Keep one level of a table whose industry rows nest, by ``policy``.

    Parameters
    ----------
    frame
        Tidy rows with an ``industry_code`` column of canonical codes.
    policy
        ``"refuse"``, ``"finest"`` or ``"sections"`` (see the module docstring).
    source
        The file, for messages.

    Returns
    -------
    frame, notes
        The rows kept, and what was dropped, for the report.

    Raises
    ------
    InputDataError
        For nested codes under ``refuse``; rows that overlap without nesting; and under
        ``finest``, broader rows that their finer rows do not cover completely.
    """
    codes = frame["industry_code"].unique().tolist()
    contained, overlapping = nested_industries(codes)
    if not contained and not overlapping:
        return frame, []
    if overlapping:
        pairs = [f"{a} and {b}" for a, b in overlapping]
        raise InputDataError(
            f"{what} {source} has industry rows that overlap without one containing the other: "
            f"{format_examples(pairs, 4)}. Their sum would count some jobs twice and no single "
            "level can be kept; download the table at one level of SIC 2007."
        )
    if policy == "refuse":
        examples = [
            f"{outer} contains {format_examples(inner, 3)}" for outer, inner in contained.items()
        ]
        raise InputDataError(
            f"{what} {source} mixes industry levels: {format_examples(examples, 4)}. Summing "
            "its rows would count the same jobs twice. Download one level (Nomis: select only "
            "sections, or only divisions), or set employment.mixed_levels to 'finest' (keep "
            "the most detailed rows) or 'sections' (keep whole sections)."
        )
    keep = (
        _finest(codes, contained, source, what)
        if policy == "finest"
        else _sections_level(codes, contained)
    )
    dropped = sorted(set(codes) - keep)
    kept_frame = frame.loc[frame["industry_code"].isin(keep)]
    note = (
        f"industry rows at several levels: kept the {len(keep)} "
        f"{'most detailed' if policy == 'finest' else 'section-level'} codes "
        f"(employment.mixed_levels: {policy}) and dropped {len(dropped)} that contain or lie "
        f"inside them: {format_examples(dropped)}"
    )
    return kept_frame, [note]


def _finest(codes: list[str], contained: dict[str, list[str]], source: Path, what: str) -> set[str]:
    hierarchy = sic_hierarchy()
    incomplete = []
    for outer, inner in contained.items():
        covered: set[str] = set()
        for code in inner:
            covered |= hierarchy.units(code)
        if not hierarchy.units(outer) <= covered:
            incomplete.append(f"{outer} (only {format_examples(inner, 3)} inside it)")
    if incomplete:
        raise InputDataError(
            f"{what} {source} mixes industry levels, and the finer rows do not cover these "
            f"broader ones: {format_examples(incomplete, 4)}. Keeping the finest rows would "
            "lose the rest of them; set employment.mixed_levels to 'sections', or download "
            "one level."
        )
    return {code for code in codes if code not in contained}


def _sections_level(codes: list[str], contained: dict[str, list[str]]) -> set[str]:
    whole_sections = [c for c in codes if all(part.isalpha() for part in c.split(","))]
    # The smallest whole-section rows: those containing no other whole-section row.
    kept_sections = {
        c for c in whole_sections if not any(s in contained.get(c, ()) for s in whole_sections)
    }
    inside = {code for section in kept_sections for code in contained.get(section, ())}
    broader = {c for c in codes if any(k in contained.get(c, ()) for k in kept_sections)}
    others = {c for c in codes if c not in inside and c not in broader and c not in kept_sections}
    # A finer row inside no kept section stays, unless it sits inside another kept finer row.
    others = {c for c in others if not any(c in contained.get(o, ()) for o in others)}
    return kept_sections | others
