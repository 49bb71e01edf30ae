"""Check that employment and boundaries describe the same areas, and explain when they do not.

The commonest failure in practice is a boundary-vintage mismatch: 2011 MSOA boundaries with a
table on 2021 MSOAs (or the reverse), or LSOA data against MSOA polygons. Both sides use ONS
GSS codes, whose first three characters give the geography type (``E02`` MSOA, ``E01`` LSOA,
``E00`` output area, ``E06``-``E09`` districts...), and the codes ONS created for 2021 small
areas follow on after the last 2011 code, so the code itself says which vintage it is.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from clustergeo._errors import InputDataError
from clustergeo._validate import format_examples

__all__ = ["DISTRICT_LEVEL", "check_area_join", "describe_codes", "gss_level"]

log = logging.getLogger(__name__)

GEOGRAPHY_TYPES = {
    "E00": "output areas (England)",
    "W00": "output areas (Wales)",
    "E01": "LSOAs (England)",
    "W01": "LSOAs (Wales)",
    "E02": "MSOAs (England)",
    "W02": "MSOAs (Wales)",
    "E06": "unitary authorities",
    "E07": "non-metropolitan districts",
    "E08": "metropolitan districts",
    "E09": "London boroughs",
    "W06": "Welsh unitary authorities",
    "S12": "Scottish council areas",
    "E10": "counties",
    "E47": "combined authorities",
    "E12": "regions",
}

# Last code of each 2011 small-area series; ONS numbered new 2021 areas after these.
LAST_2011_CODE = {
    "E00": 176774,
    "W00": 10265,
    "E01": 33768,
    "W01": 1958,
    "E02": 6934,
    "W02": 423,
}


#: How large a GSS geography is, by code prefix: each level is made of areas of the levels
#: below it (output areas, LSOAs, MSOAs, districts, then counties, combined authorities,
#: regions and countries, all sums of districts).
_LEVEL = {
    **dict.fromkeys(("E00", "W00"), 0),
    **dict.fromkeys(("E01", "W01"), 1),
    **dict.fromkeys(("E02", "W02"), 2),
    **dict.fromkeys(("E06", "E07", "E08", "E09", "W06", "S12", "N09"), 3),  # districts
    **dict.fromkeys(("E10", "E11", "E13", "E47"), 4),
    **dict.fromkeys(("E12", "E15"), 5),
    **dict.fromkeys(("E92", "W92", "S92", "N92", "K02", "K03", "K04"), 6),
}
_LEVEL_NAMES = {4: "counties or combined authorities", 5: "regions", 6: "countries"}


def _prefix(code: str) -> str:
    return code[:3]


#: The level of districts in :data:`_LEVEL`: they and the levels above are merged by ONS,
#: never split.
DISTRICT_LEVEL = 3


def gss_level(code: str) -> int | None:
    """How large a GSS code's geography is (0 output areas ... 6 countries), None if unknown."""
    return _LEVEL.get(_prefix(code))


def _aggregates(boundary: Iterable[str], outside: Iterable[str]) -> list[str]:
    """Codes of ``outside`` for geographies made of areas of the boundaries' kind (sums)."""
    levels = [level for level in map(gss_level, boundary) if level is not None]
    if not levels:
        return []
    return sorted(c for c in outside if (gss_level(c) or -1) > max(levels))


def describe_codes(codes: Iterable[str]) -> str:
    """Say what kind of areas a set of codes are, e.g. ``"MSOAs (England), 2021 codes"``."""
    codes = list(codes)
    prefixes = Counter(_prefix(c) for c in codes)
    parts = []
    for prefix, _count in prefixes.most_common(2):
        label = GEOGRAPHY_TYPES.get(prefix, f"codes starting {prefix}")
        if prefix in LAST_2011_CODE:
            numbers = [int(c[3:]) for c in codes if _prefix(c) == prefix and c[3:].isdigit()]
            newer = sum(n > LAST_2011_CODE[prefix] for n in numbers)
            if newer:
                label += f", {newer} of them created in 2021 (2021 codes)"
        parts.append(label)
    return "; ".join(parts)


def check_area_join(
    boundary_codes: Iterable[str],
    employment_codes: Iterable[str],
    *,
    boundary_source: Path,
    employment_source: Path,
    vintage_lookup: Path | None = None,
) -> list[str]:
    """Check every boundary area has employment; explain mismatches.

    ``vintage_lookup`` is the lookup the table's codes were converted with
    (``employment.vintage``), if any: the hint then points to it.

    Employment rows for areas outside the boundary file are allowed (a national table used
    with regional boundaries); they are reported in the returned notes. Boundary areas with no
    employment rows are an error.

    Returns
    -------
    list of str
        Notes for the run report.

    Raises
    ------
    InputDataError
        When boundary areas have no employment, with a hint on the likely cause.
    """
    boundary = set(boundary_codes)
    employment = set(employment_codes)
    matched = boundary & employment
    no_employment = sorted(boundary - employment)
    outside = sorted(employment - boundary)
    aggregates = _aggregates(boundary, outside)
    if aggregates:
        kinds = sorted(
            {_LEVEL_NAMES.get(gss_level(c) or 0, describe_codes([c])) for c in aggregates}
        )
        raise InputDataError(
            f"Employment file {employment_source} has rows for {', '.join(kinds)} as well as "
            f"for the areas ({format_examples(aggregates)}): they are sums of the areas, and "
            "counted beside them they would count the same jobs twice in the reference "
            "economy. Remove those rows, or download the table for one kind of area."
        )
    notes = []
    if outside:
        notes.append(
            f"{len(outside)} areas in {employment_source.name} are not in the boundary file "
            f"{boundary_source.name} ({format_examples(outside, 3)}); they count only towards "
            "reference totals when concentration.reference is 'employment_file'"
        )
    # A regional map of a national table leaves most of the table outside; a table that
    # covers the map and a stray code or two more has codes the boundaries should have had.
    # Beside a table that joins: each such row's jobs would be lost to the areas, quietly.
    misspelt = {} if no_employment else _differ_in_case_or_spaces(outside, boundary)
    if misspelt:
        log.warning(
            "%d codes in %s differ from codes in the boundary file %s only in capitals or "
            "spaces (%s): they do not join, so their rows are left out of the areas. Write them "
            "as the boundary file does",
            len(misspelt),
            employment_source.name,
            boundary_source.name,
            format_examples([f"{code!r} for {fixed!r}" for code, fixed in misspelt.items()], 3),
        )
    if outside and matched and not no_employment and len(outside) <= max(1, len(employment) // 100):
        log.warning(
            "%d of the %d areas in %s are not in the boundary file %s: %s. A code the "
            "boundaries lack (a typo, or another vintage: see employment.vintage) still counts "
            "towards the reference totals when concentration.reference is 'employment_file'; "
            "remove its rows if it is not an area of the table's geography",
            len(outside),
            len(employment),
            employment_source.name,
            boundary_source.name,
            format_examples(outside, 3),
        )
    if not no_employment:
        return notes
    hint = _hint(no_employment, outside, matched, vintage_lookup)
    raise InputDataError(
        f"{len(no_employment)} of the {len(boundary)} areas in boundary file {boundary_source} "
        f"have no rows in employment file {employment_source}: "
        f"{format_examples(no_employment)}.\n{hint}"
    )


def _differ_in_case_or_spaces(outside: list[str], boundary: set[str]) -> dict[str, str]:
    """The table's codes that would join a boundary code in capitals without spaces."""
    return {
        code: code.strip().upper()
        for code in outside
        if code != code.strip().upper() and code.strip().upper() in boundary
    }


def _hint(
    no_employment: list[str],
    outside: list[str],
    matched: set[str],
    vintage_lookup: Path | None = None,
) -> str:
    misspelt = _differ_in_case_or_spaces(outside, set(no_employment))
    if misspelt:
        return (
            f"{len(misspelt)} of the employment file's codes differ from the boundaries' only "
            "in capitals or spaces ("
            + format_examples([f"{code!r} for {fixed!r}" for code, fixed in misspelt.items()], 3)
            + "): write the codes as the boundary file does (ONS codes are in capitals)."
        )
    boundary_kind = describe_codes(no_employment)
    if not outside:
        return (
            f"The employment file covers fewer areas than the boundaries ({boundary_kind}). "
            "Download the table for the whole study area, or use a boundary file for the "
            "areas the table covers."
        )
    employment_kind = describe_codes(outside)
    same_type = {_prefix(c) for c in no_employment} & {_prefix(c) for c in outside}
    if same_type and vintage_lookup is not None:
        return (
            f"The table's codes were converted to the boundaries' vintage with the lookup "
            f"{vintage_lookup} (employment.vintage), and these areas still have no rows; the "
            f"table's codes not in the boundaries include {format_examples(outside, 6)}. Check "
            "the lookup's rows for those codes (a blank or misspelt code, a pair that leads "
            "back to a code of the table) and employment.vintage.where."
        )
    if same_type and not matched:
        return (
            f"Both files use the same kind of codes but none match: the boundaries are "
            f"{boundary_kind}; the employment is {employment_kind}. This looks like a "
            "boundary-vintage mismatch (2011 vs 2021 areas): use boundaries of the same vintage "
            "as the table, or convert with the ONS 2011 → 2021 lookup."
        )
    if same_type:
        return (
            f"Some codes differ between the files (boundaries: {boundary_kind}; employment: "
            f"{employment_kind}); the table's codes not in the boundaries include "
            f"{format_examples(outside, 6)}. If the two come from different years this is a "
            "boundary-vintage mismatch (codes changed between them): use the same vintage for "
            "both, or give employment.vintage an ONS lookup of the changes to convert the table."
        )
    return (
        f"The files use different kinds of areas: the boundaries are {boundary_kind}, the "
        f"employment is {employment_kind}. Download the employment table for the same "
        "geography as the boundaries."
    )
