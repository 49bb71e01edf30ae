"""The UK SIC 2007 hierarchy and user cluster definitions.

SIC 2007 codes come at five levels: section (a letter, ``C``), division (2 digits, ``29``),
group (3 digits, ``29.1``), class (4 digits, ``29.10``) and subclass (5 digits, ``29100``).
Codes are compared in a canonical form without dots or spaces. Some tables publish combined
codes: the Census 2011 WP605EW table has one column for sections R and S together (``R,S``).

A cluster definition names SIC codes at any level; a code covers every finer code beneath it.
Definitions are resolved against the industry codes present in the employment data: a data
industry belongs to a definition when one of the definition's codes covers it. When a
definition needs finer detail than the data has (a division list against section-level data),
it cannot be computed and is reported as such, never approximated silently. A definition
whose codes are missing from the data is computed from the codes present, and the missing codes
are listed (:attr:`Resolution.missing_codes`), never dropped silently.

ONS publishes some tables (regional GVA, the national accounts) by *groupings* of SIC 2007
rather than single codes: letter ranges (``A-E``, ``G-T``), runs of sections (``ABDE``), the
A*38 manufacturing groups (``CA-CB (10-15)``), division ranges (``49-51``) and owner-occupiers'
imputed rental (``68IMP``). :func:`parse_industry_code` reads these into the same canonical form:
a combination of whole sections (``A,B,D,E``) or of divisions (``10,11,12,13,14,15``).
``68IMP`` is a pseudo code in section L that no SIC division covers, because ONS publishes
division 68 without it (``68`` and ``68IMP`` are siblings that add up to ``L``).

**Traded and local-serving industries.** Porter (2003), "The economic performance of regions",
*Regional Studies* 37(6–7): 549–578, and Delgado, Porter & Stern (2016), "Defining clusters of
related industries", *Journal of Economic Geography* 16(1): 1–38, split industries into
*traded* ones, which sell beyond their region and can cluster for reasons of competitiveness,
and *local* ones, which serve the people around them and are spread in proportion to them.
A concentration of builders, shops or surgeries follows where people live and is not an
industrial cluster. :data:`LOCAL_SERVING` lists the SIC 2007 codes treated as local-serving;
a data industry or cluster definition wholly inside it is non-traded, and a definition may
say so itself (``traded: false``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from clustergeo._errors import InputDataError
from clustergeo._validate import Problems, format_examples
from clustergeo._yaml import YamlSyntaxError, read_yaml

__all__ = [
    "LOCAL_SERVING",
    "TOTAL_CODE",
    "ClusterDefinition",
    "SicHierarchy",
    "contains_industry",
    "coverage_notes",
    "is_traded",
    "normalise_sic_code",
    "overlaps_industry",
    "parse_industry_code",
    "read_cluster_definitions",
    "resolve_cluster_definitions",
    "shipped_definition_sets",
    "sic_hierarchy",
    "written_sic_codes",
]

log = logging.getLogger(__name__)

# Nomis BRES publishes DEFRA/Scottish Government agricultural data under a pseudo subclass
# (01000); ONS GVA tables publish owner-occupiers' imputed rental apart from division 68 (68IMP).
NOMIS_PSEUDO_CODES = frozenset({"01000"})
ONS_PSEUDO_CODES = frozenset({"68IMP"})
PSEUDO_CODES = NOMIS_PSEUDO_CODES | ONS_PSEUDO_CODES

#: The code given to an all-industries row ("Total", "All industries", "All categories...").
TOTAL_CODE = "TOTAL"
_TOTAL_LABEL = re.compile(r"^\s*(total|all|all industries|all categories\b.*)\s*$", re.IGNORECASE)

#: ONS A*38 groupings of manufacturing (section C) into runs of divisions.
A38_MANUFACTURING = {
    "CA": ("10", "12"),
    "CB": ("13", "15"),
    "CC": ("16", "18"),
    "CD": ("19", "19"),
    "CE": ("20", "20"),
    "CF": ("21", "21"),
    "CG": ("22", "23"),
    "CH": ("24", "25"),
    "CI": ("26", "26"),
    "CJ": ("27", "27"),
    "CK": ("28", "28"),
    "CL": ("29", "30"),
    "CM": ("31", "33"),
}
_ONS_GROUPING = re.compile(
    r"^\s*(?P<head>[A-Z]{1,4}(?:\s*-\s*[A-Z]{1,2})?|\d{1,2}(?:\s*-\s*\d{1,2})?)"
    r"\s*(?:\((?P<divisions>[\d\s,;\-]+)\))?\s*$"
)

_LEVELS = {1: "section", 2: "division", 3: "group", 4: "class", 5: "subclass"}

#: Local-serving (non-traded) SIC 2007 codes, after the local industries of Porter (2003) and
#: Delgado, Porter & Stern (2016): construction (F), retail trade (47), food and beverage
#: service (56), real estate (68), public administration (84), pre-primary, primary and
#: secondary education (85.1-85.3), human health and social work (86-88), personal
#: services (96) and households as employers of domestic staff (section T, divisions 97-98),
#: which follow where wealthy households live. Higher education (85.4), hotels (55),
#: wholesale (46) and the repair trades are left traded: they sell well beyond their area.
LOCAL_SERVING: tuple[str, ...] = (
    "F",
    "47",
    "56",
    "68",
    "84",
    "851",
    "852",
    "853",
    "86",
    "87",
    "88",
    "96",
    "T",
)


def normalise_sic_code(code: object) -> str:
    """Return a SIC code in canonical form: upper case, no dots, spaces or leading labels.

    ``"29.10"`` → ``"2910"``; ``" c "`` → ``"C"``; ``"R, S"`` → ``"R,S"``;
    ``"29 : Manufacture of motor vehicles"`` → ``"29"``.
    """
    text = str(code).strip()
    text = text.split(" : ", 1)[0]
    parts = [re.sub(r"[\s.]", "", part).upper() for part in text.split(",")]
    return ",".join(part for part in parts if part)


@dataclass(frozen=True)
class SicHierarchy:
    """Sections, divisions and groups of UK SIC 2007 with their titles."""

    sections: Mapping[str, str]
    divisions: Mapping[str, str]
    groups: Mapping[str, str]
    division_section: Mapping[str, str]

    def level(self, code: str) -> str:
        """Level of a canonical code: section, division, group, class or subclass."""
        if code.isalpha():
            return "section"
        return _LEVELS.get(len(code), "unknown")

    def is_valid(self, code: str) -> bool:
        """Whether a canonical code (or every part of a combined code) exists in SIC 2007."""
        parts = code.split(",")
        return all(self._is_valid_part(part) for part in parts)

    def _is_valid_part(self, code: str) -> bool:
        if code in PSEUDO_CODES:
            return True
        if code.isalpha():
            return code in self.sections
        if not code.isdigit() or not 2 <= len(code) <= 5:
            return False
        if code[:2] not in self.divisions:
            return False
        return len(code) == 2 or code[:3] in self.groups

    def section_of(self, code: str) -> str:
        """The section letter(s) a canonical code belongs to (``R,S`` for a combined code)."""
        parts = []
        for part in code.split(","):
            parts.append(part if part.isalpha() else self.division_section[part[:2]])
        return ",".join(dict.fromkeys(parts))

    def name(self, code: str) -> str:
        """The official title of a section, division or group ('' when not known)."""
        if code.isalpha():
            return self.sections.get(code, "")
        if len(code) == 2:
            return self.divisions.get(code, "")
        if len(code) == 3:
            return self.groups.get(code, "")
        return ""

    def covers(self, definition_code: str, data_code: str) -> bool:
        """Whether ``definition_code`` covers the whole of ``data_code``.

        A section covers every code in it; a numeric code covers itself and every longer code
        starting with it. A combined data code (``R,S``) is covered only when all its parts are.
        """
        return all(self._covers_part(definition_code, part) for part in data_code.split(","))

    def covered_by(self, definition_codes: Iterable[str], data_code: str) -> bool:
        """Whether the codes together cover the whole of ``data_code``.

        Each part of a combined data code needs one code covering it: sections ``D`` and ``E``
        together cover ONS's ``DE (35-39)`` (``D,E``), which neither covers alone.
        """
        codes = tuple(definition_codes)
        return all(
            any(self._covers_part(code, part) for code in codes) for part in data_code.split(",")
        )

    def _covers_part(self, definition_code: str, data_code: str) -> bool:
        if definition_code.isalpha():
            return self.section_of(data_code) == definition_code
        if data_code.isalpha():
            return False
        if data_code in ONS_PSEUDO_CODES:
            # 68IMP is published beside division 68, not inside it.
            return data_code == definition_code
        return data_code.startswith(definition_code)

    def divisions_of(self, code: str) -> list[str]:
        """The divisions a section (or a canonical code of sections) is made of."""
        return [
            division
            for part in code.split(",")
            for division, section in self.division_section.items()
            if section == part
        ]

    def units(self, code: str) -> frozenset[str]:
        """The SIC groups (3 digits) a canonical code spans; finer codes give their group.

        Used to check that rows of a finer level cover a broader row completely. Pseudo codes
        are their own unit.
        """
        units: set[str] = set()
        for part in code.split(","):
            if part in PSEUDO_CODES:
                units.add(part)
            elif part.isalpha():
                for division in self.divisions_of(part):
                    units |= self._groups_of(division)
            elif len(part) == 2:
                units |= self._groups_of(part)
            else:
                units.add(part[:3])
        return frozenset(units)

    def _groups_of(self, division: str) -> set[str]:
        groups = {group for group in self.groups if group[:2] == division}
        return groups or {division}

    def overlaps(self, definition_code: str, data_code: str) -> bool:
        """Whether the two codes share any finer industry (one may be broader than the other)."""
        for part in data_code.split(","):
            if self._covers_part(definition_code, part) or self._covers_part(part, definition_code):
                return True
        return False


def contains_industry(outer: str, inner: str) -> bool:
    """Whether canonical code ``outer`` wholly contains a different code ``inner``.

    Every part of ``inner`` must be covered by a part of ``outer``: ``C`` contains ``29`` and
    ``10,11,12``; ``A,B,C,D,E`` contains ``C``; ``68`` does not contain ``68IMP``.
    """
    if outer == inner:
        return False
    hierarchy = sic_hierarchy()
    outer_parts = outer.split(",")
    return all(
        any(hierarchy._covers_part(o, part) for o in outer_parts) for part in inner.split(",")
    )


def overlaps_industry(first: str, second: str) -> bool:
    """Whether two canonical codes share any industry."""
    hierarchy = sic_hierarchy()
    return any(hierarchy.overlaps(part, second) for part in first.split(","))


@lru_cache(maxsize=8192)
def parse_industry_code(label: str) -> str:
    """The canonical code of an industry as tables label it, ONS groupings included.

    Parameters
    ----------
    label
        A SIC code in any spelling (``"29.10"``, ``"0161"``, ``"C"``, ``"29 : Manufacture…"``),
        an all-industries label (``"Total"``, ``"All industries"``), or an ONS grouping
        (``"A-E"``, ``"ABDE (1-9; 35-39)"``, ``"CA-CB (10-15)"``, ``"49-51"``, ``"68IMP"``).

    Returns
    -------
    str
        :data:`TOTAL_CODE` for an all-industries row; the canonical code otherwise. A label
        that is none of these is returned normalised, for the caller to report as invalid.

    Notes
    -----
    A grouping becomes whole sections when its letters are sections whose divisions are
    exactly the divisions it lists (``C (10-33)`` → ``C``, ``ABDE (1-9; 35-39)`` → ``A,B,D,E``)
    and a combination of divisions otherwise (``CA-CB (10-15)`` → ``10,11,12,13,14,15``).
    Division ranges keep only divisions that exist in SIC 2007 (``1-9`` has no ``04``).
    """
    text = str(label).strip()
    if _TOTAL_LABEL.match(text):
        return TOTAL_CODE
    code = normalise_sic_code(text)
    hierarchy = sic_hierarchy()
    if hierarchy.is_valid(code):
        return code
    grouped = _ons_grouping(text, hierarchy)
    return grouped if grouped is not None else code


def _division_range(first: str, last: str, hierarchy: SicHierarchy) -> list[str]:
    low, high = int(first), int(last)
    return [d for d in sorted(hierarchy.divisions) if low <= int(d) <= high]


def _ons_grouping(text: str, hierarchy: SicHierarchy) -> str | None:
    match = _ONS_GROUPING.match(text.upper())
    if match is None:
        return None
    head = re.sub(r"\s", "", match["head"])
    listed: list[str] | None = None
    if match["divisions"]:
        listed = []
        for piece in re.split(r"[;,]", match["divisions"]):
            bounds = [b for b in re.split(r"-", piece.strip()) if b]
            if not bounds or not all(b.isdigit() for b in bounds):
                return None
            listed += _division_range(bounds[0], bounds[-1], hierarchy)
    sections = _sections_of_head(head, hierarchy)
    if sections is not None and len(head) > 1 and head.isalpha() and listed is None:
        # A bare run of letters ("AB") is too easily a typo; ONS writes "AB (1-9)".
        return None
    if sections is not None and (
        listed is None or sorted(hierarchy.divisions_of(",".join(sections))) == sorted(listed)
    ):
        return ",".join(sections)
    divisions = listed if listed is not None else _divisions_of_head(head, hierarchy)
    if not divisions:
        return None
    return ",".join(dict.fromkeys(divisions))


def _sections_of_head(head: str, hierarchy: SicHierarchy) -> list[str] | None:
    """``A-E`` → A..E; ``ABDE`` → A, B, D, E; None when the letters are not sections."""
    letters = sorted(hierarchy.sections)
    if re.fullmatch(r"[A-Z]-[A-Z]", head):
        first, last = head.split("-")
        chosen = [s for s in letters if first <= s <= last]
        return chosen if first in letters and last in letters else None
    if head.isalpha() and head not in A38_MANUFACTURING and all(c in letters for c in head):
        return list(head)
    return None


def _divisions_of_head(head: str, hierarchy: SicHierarchy) -> list[str]:
    """``CA-CB`` → 10..15; ``49-51`` → 49, 50, 51; ``[]`` when it is neither."""
    parts = head.split("-")
    if all(p in A38_MANUFACTURING for p in parts):
        return _division_range(
            A38_MANUFACTURING[parts[0]][0], A38_MANUFACTURING[parts[-1]][1], hierarchy
        )
    if all(p.isdigit() for p in parts) and len(parts) == 2:
        return _division_range(parts[0], parts[1], hierarchy)
    return []


@cache
def sic_hierarchy() -> SicHierarchy:
    """The UK SIC 2007 hierarchy shipped with clustergeo."""
    text = resources.files("clustergeo.data").joinpath("sic2007.yaml").read_text("utf-8")
    raw = yaml.safe_load(text)
    division_section = {
        division: letter
        for letter, entry in raw["sections"].items()
        for division in entry["divisions"]
    }
    return SicHierarchy(
        sections={letter: entry["name"] for letter, entry in raw["sections"].items()},
        divisions=dict(raw["divisions"]),
        groups=dict(raw["groups"]),
        division_section=division_section,
    )


def is_traded(codes: Iterable[str]) -> bool:
    """Whether an industry (or a set of codes) is traded: not wholly local-serving.

    ``codes`` are canonical SIC codes (a combined code such as ``R,S`` counts as all its
    parts). Traded unless every code lies inside :data:`LOCAL_SERVING`; a code that is not a
    SIC 2007 code (a user's own industry) counts as traded.
    """
    hierarchy = sic_hierarchy()
    codes = list(codes)
    if not all(hierarchy.is_valid(code) for code in codes):
        return True
    parts = [part for code in codes for part in code.split(",")]
    # A section is local when every one of its divisions is (section L is division 68).
    expanded = [
        division
        for part in parts
        for division in (
            [d for d, section in hierarchy.division_section.items() if section == part]
            if part.isalpha()
            else [part]
        )
    ]
    return not expanded or not all(
        any(hierarchy.covers(local, part) for local in LOCAL_SERVING) for part in expanded
    )


@dataclass(frozen=True)
class ClusterDefinition:
    """A named set of SIC codes standing for one industrial cluster."""

    key: str
    label: str
    sic_codes: tuple[str, ...]
    description: str = ""
    industry_codes: tuple[str, ...] = field(default=())
    """Data industry codes that make it up, once resolved against the data."""
    traded: bool = True
    """False for a local-serving industry (see the module docstring)."""
    sources: tuple[str, ...] = ()
    """Where the code list comes from."""


_KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")


def shipped_definition_sets() -> list[str]:
    """Names of the cluster-definition sets shipped with clustergeo (``default``, ...)."""
    folder = resources.files("clustergeo.data").joinpath("definitions")
    return sorted(
        entry.name.removesuffix(".yaml")
        for entry in folder.iterdir()
        if entry.name.endswith(".yaml")
    )


def read_cluster_definitions(path: Path | str = "default") -> list[ClusterDefinition]:
    """Read cluster definitions from YAML.

    Parameters
    ----------
    path
        The name of a shipped set (:func:`shipped_definition_sets`: ``"default"``, the sectors of
        the Midlands industrial-clusters report; ``"sections"``, for data published by SIC
        section only), or a YAML file of the form
        ``clusters: {key: {label: ..., description: ..., sic: [codes]}}``.

    Returns
    -------
    list of ClusterDefinition
        In file order, with canonical SIC codes.

    Raises
    ------
    InputDataError
        Listing every definition with a bad key, no codes, or codes not in SIC 2007.
    """
    if str(path) in shipped_definition_sets():
        source: Path | str = f"clustergeo's shipped cluster definitions '{path}'"
        text = resources.files("clustergeo.data").joinpath("definitions").joinpath(f"{path}.yaml")
        raw: Any = read_yaml(text.read_text("utf-8")).data
    else:
        source = Path(path)
        try:
            raw = read_yaml(source.read_bytes()).data
        except YamlSyntaxError as exc:
            raise InputDataError(f"Cluster definitions file {source} {exc}") from None
    problems = Problems(source, "Cluster definitions")
    if not isinstance(raw, dict) or not isinstance(raw.get("clusters"), dict):
        problems.add("expected a top-level 'clusters:' mapping of key -> {label, sic: [codes]}")
        problems.raise_if_any()
    hierarchy = sic_hierarchy()
    definitions = []
    for key, entry in raw["clusters"].items():
        if not _KEY_PATTERN.match(str(key)):
            problems.add(
                f"key '{key}' must be lower case letters, digits and underscores "
                "(it becomes a column name)"
            )
            continue
        if not isinstance(entry, dict) or not entry.get("sic"):
            problems.add(f"'{key}' has no 'sic' list of codes")
            continue
        unknown_fields = sorted(set(entry) - {"label", "description", "sic", "traded", "sources"})
        if unknown_fields:
            problems.add(f"'{key}' has unknown fields {', '.join(unknown_fields)}")
        listed, problem = written_sic_codes(entry["sic"])
        if problem:
            problems.add(f"'{key}': {problem}")
            continue
        codes = tuple(dict.fromkeys(normalise_sic_code(c) for c in listed))
        invalid = [c for c in codes if not hierarchy.is_valid(c) or "," in c]
        if invalid:
            problems.add(
                f"'{key}' lists codes that are not UK SIC 2007 codes: {format_examples(invalid)}"
                " — use section letters, or 2- to 5-digit codes such as '29' or '30.30'"
            )
            continue
        traded = entry.get("traded", is_traded(codes))
        if not isinstance(traded, bool):
            problems.add(f"'{key}': 'traded' must be true or false, not {traded!r}")
            continue
        sources = entry.get("sources", [])
        sources = [sources] if isinstance(sources, str) else sources
        definitions.append(
            ClusterDefinition(
                key=str(key),
                label=str(entry.get("label") or key),
                sic_codes=codes,
                description=" ".join(str(entry.get("description", "")).split()),
                traded=traded,
                sources=tuple(" ".join(str(s).split()) for s in sources),
            )
        )
    problems.raise_if_any()
    return definitions


def written_sic_codes(sic: object) -> tuple[list[str], str | None]:
    """A ``sic`` entry of a YAML file as the codes written, or why they cannot be read so.

    One code may stand alone (``sic: "29.10"``). Codes must be text: YAML reads an unquoted
    ``01.1`` as the number 1.1, ``02.10`` as 2.1 and ``0111`` as 73 (octal), all of them other
    industries' codes once read back, so no number is taken for a code.
    """
    listed = [sic] if isinstance(sic, str | int | float) else sic
    if not isinstance(listed, list):
        return [], f'\'sic\' must be a list of codes, such as sic: ["29", "30.30"], not {sic!r}'
    numbers = [c for c in listed if not isinstance(c, str)]
    if numbers:
        read = "was read as a number" if len(numbers) == 1 else "were read as numbers"
        return [], (
            f"write every SIC code in quotes: {format_examples([repr(c) for c in numbers])} "
            f"{read}, and YAML reads 01.1 as 1.1, 02.10 as 2.1 and 0111 as 73, so numbers "
            'would name other industries. For example sic: ["01.1", "29"]'
        )
    return listed, None


@dataclass(frozen=True)
class Resolution:
    """Cluster definitions resolved against the data's industries."""

    resolved: list[ClusterDefinition]
    unresolved: dict[str, str]
    """Definition key → why it cannot be computed from this data."""
    missing_codes: dict[str, list[str]] = field(default_factory=dict)
    """Definition key → its codes with no industry in the data (computed without them)."""
    missing_share: dict[str, float] = field(default_factory=dict)
    """Definition key → the share of its codes missing from the data."""

    def coverage(self, warn_share: float) -> dict[str, dict[str, Any]]:
        """Per definition: its missing codes, their share, and whether it is above ``warn_share``.

        A structure for the ingest report and the run report.
        """
        return {
            key: {
                "missing_codes": codes,
                "missing_share": round(self.missing_share[key], 4),
                "warn": self.missing_share[key] > warn_share,
            }
            for key, codes in self.missing_codes.items()
        }


def coverage_notes(resolution: Resolution, warn_share: float) -> list[str]:
    """Notes (and warnings) on the codes of each definition missing from the data.

    Parameters
    ----------
    resolution
        Definitions resolved against the data.
    warn_share
        A definition missing more than this share of its codes is logged as a warning.

    Returns
    -------
    list of str
        One note per definition with missing codes, naming them.
    """
    notes = []
    for key, codes in resolution.missing_codes.items():
        share = resolution.missing_share[key]
        note = (
            f"cluster definition '{key}': {len(codes)} of its codes have no industry in the "
            f"data ({format_examples(codes)}; {share:.0%} of its codes)"
        )
        if key not in resolution.unresolved:
            note += "; computed from the codes present"
        if share > warn_share:
            log.warning(
                "Cluster definition '%s' loses %.0f%% of its codes: %s",
                key,
                share * 100,
                format_examples(codes),
            )
        notes.append(note)
    return notes


def resolve_cluster_definitions(
    definitions: Iterable[ClusterDefinition], data_codes: Iterable[str]
) -> Resolution:
    """Match each definition to the data industries it is made of.

    A definition can be computed when every data industry it overlaps is wholly covered by it:
    the data is at least as detailed as the definition. Otherwise it is reported as unresolved,
    with the codes that are too coarse. Each of a definition's own codes that no data industry
    overlaps is listed in :attr:`Resolution.missing_codes` (the definition is computed from the
    rest): a 47-class definition against a table lacking two of the classes is computed from
    45, and says which two.
    """
    hierarchy = sic_hierarchy()
    codes = sorted(set(data_codes))
    resolved: list[ClusterDefinition] = []
    unresolved: dict[str, str] = {}
    missing_codes: dict[str, list[str]] = {}
    missing_share: dict[str, float] = {}
    for definition in definitions:
        absent = [
            sic
            for sic in definition.sic_codes
            if not any(hierarchy.overlaps(sic, code) for code in codes)
        ]
        if absent:
            missing_codes[definition.key] = absent
            missing_share[definition.key] = len(absent) / len(definition.sic_codes)
        members = [code for code in codes if hierarchy.covered_by(definition.sic_codes, code)]
        partial = [
            code
            for code in codes
            if code not in members
            and any(hierarchy.overlaps(sic, code) for sic in definition.sic_codes)
        ]
        if partial:
            unresolved[definition.key] = (
                f"needs finer industry detail than the data has: the data's code"
                f"{'s' if len(partial) > 1 else ''} {format_examples(partial)} only partly "
                f"belong{'' if len(partial) > 1 else 's'} to it"
            )
        elif not members:
            unresolved[definition.key] = "none of its codes appear in the data"
        else:
            resolved.append(replace(definition, industry_codes=tuple(members)))
    return Resolution(
        resolved=resolved,
        unresolved=unresolved,
        missing_codes=missing_codes,
        missing_share=missing_share,
    )
