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
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from clustergeo._errors import InputDataError
from clustergeo._validate import Problems, format_examples

__all__ = [
    "ClusterDefinition",
    "SicHierarchy",
    "normalise_sic_code",
    "read_cluster_definitions",
    "resolve_cluster_definitions",
    "shipped_definition_sets",
    "sic_hierarchy",
]

# Nomis BRES publishes DEFRA/Scottish Government agricultural data under this pseudo subclass.
NOMIS_PSEUDO_CODES = frozenset({"01000"})

_LEVELS = {1: "section", 2: "division", 3: "group", 4: "class", 5: "subclass"}


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


@dataclass(frozen=True)
class ClusterDefinition:
    """A named set of SIC codes standing for one industrial cluster."""

    key: str
    label: str
    sic_codes: tuple[str, ...]
    description: str = ""
    industry_codes: tuple[str, ...] = field(default=())
    """Data industry codes that make it up, once resolved against the data."""


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
        unknown_fields = sorted(set(entry) - {"label", "description", "sic"})
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
        definitions.append(
            ClusterDefinition(
                key=str(key),
                label=str(entry.get("label") or key),
                sic_codes=codes,
                description=" ".join(str(entry.get("description", "")).split()),
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
            resolved.append(
                ClusterDefinition(
                    key=definition.key,
                    label=definition.label,
                    sic_codes=definition.sic_codes,
                    description=definition.description,
                    industry_codes=tuple(members),
                )
            )
    return Resolution(resolved=resolved, unresolved=unresolved)
