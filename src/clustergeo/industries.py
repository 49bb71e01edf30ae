"""The UK SIC 2007 hierarchy and user cluster definitions.

SIC 2007 codes come at five levels: section (a letter, ``C``), division (2 digits, ``29``),
group (3 digits, ``29.1``), class (4 digits, ``29.10``) and subclass (5 digits, ``29100``).
Codes are compared in a canonical form without dots or spaces. Some tables publish combined
codes: the Census 2011 WP605EW table has one column for sections R and S together (``R,S``).

A cluster definition names SIC codes at any level; a code covers every finer code beneath it.
Definitions are resolved against the industry codes present in the employment data: a data
industry belongs to a definition when one of the definition's codes covers it. When a
definition needs finer detail than the data has (a division list against section-level data),
it cannot be computed and is reported as such, never approximated silently.

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

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from clustergeo._errors import InputDataError
from clustergeo._validate import Problems, format_examples

__all__ = [
    "LOCAL_SERVING",
    "ClusterDefinition",
    "SicHierarchy",
    "is_traded",
    "normalise_sic_code",
    "read_cluster_definitions",
    "resolve_cluster_definitions",
    "sic_hierarchy",
]

# Nomis BRES publishes DEFRA/Scottish Government agricultural data under this pseudo subclass.
NOMIS_PSEUDO_CODES = frozenset({"01000"})

_LEVELS = {1: "section", 2: "division", 3: "group", 4: "class", 5: "subclass"}

#: Local-serving (non-traded) SIC 2007 codes, after the local industries of Porter (2003) and
#: Delgado, Porter & Stern (2016): construction (F), retail trade (47), food and beverage
#: service (56), real estate (68), public administration (84), pre-primary, primary and
#: secondary education (85.1-85.3), human health and social work (86-88) and personal
#: services (96). Higher education (85.4), hotels (55), wholesale (46) and the repair trades
#: are left traded: they sell well beyond their area.
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
        if code in NOMIS_PSEUDO_CODES:
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

    def _covers_part(self, definition_code: str, data_code: str) -> bool:
        if definition_code.isalpha():
            return self.section_of(data_code) == definition_code
        if data_code.isalpha():
            return False
        return data_code.startswith(definition_code)

    def overlaps(self, definition_code: str, data_code: str) -> bool:
        """Whether the two codes share any finer industry (one may be broader than the other)."""
        for part in data_code.split(","):
            if self._covers_part(definition_code, part) or self._covers_part(part, definition_code):
                return True
        return False


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


def read_cluster_definitions(path: Path | str = "default") -> list[ClusterDefinition]:
    """Read cluster definitions from YAML.

    Parameters
    ----------
    path
        ``"default"`` for the shipped definitions (automotive, aerospace, digital and ICT, food
        and drink, construction, waste and circular economy), or a YAML file of the form
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
    if str(path) == "default":
        source: Path | str = "clustergeo default cluster definitions"
        text = resources.files("clustergeo.data").joinpath("cluster_definitions.yaml")
        raw: Any = yaml.safe_load(text.read_text("utf-8"))
    else:
        source = Path(path)
        try:
            raw = yaml.safe_load(source.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise InputDataError(
                f"Cluster definitions {source} are not valid YAML: {exc}"
            ) from None
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
        codes = tuple(dict.fromkeys(normalise_sic_code(c) for c in entry["sic"]))
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


@dataclass(frozen=True)
class Resolution:
    """Cluster definitions resolved against the data's industries."""

    resolved: list[ClusterDefinition]
    unresolved: dict[str, str]
    """Definition key → why it cannot be computed from this data."""


def resolve_cluster_definitions(
    definitions: Iterable[ClusterDefinition], data_codes: Iterable[str]
) -> Resolution:
    """Match each definition to the data industries it is made of.

    A definition can be computed when every data industry it overlaps is wholly covered by it:
    the data is at least as detailed as the definition. Otherwise it is reported as unresolved,
    with the codes that are too coarse.
    """
    hierarchy = sic_hierarchy()
    codes = sorted(set(data_codes))
    resolved: list[ClusterDefinition] = []
    unresolved: dict[str, str] = {}
    for definition in definitions:
        members = [
            code
            for code in codes
            if any(hierarchy.covers(sic, code) for sic in definition.sic_codes)
        ]
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
    return Resolution(resolved=resolved, unresolved=unresolved)
