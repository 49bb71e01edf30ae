"""The producer -> user matrix: material streams between industries, read, checked and resolved.

A **stream** names a material (construction and demolition waste, food residues, metal
scrap...), the industries that produce it and the industries that can use it, as UK SIC 2007
codes at any level, with the sources the link comes from. clustergeo ships two matrices in
``data/circular/``: ``default`` (ten streams at class level, for BRES-like data) and
``sections`` (four streams at section level, for Census workplace tables, each saying what
finer detail would add); a user gives a YAML file of the same layout instead.

Each side of a stream is resolved against the data's industries exactly as a cluster
definition is (:func:`clustergeo.industries.resolve_cluster_definitions`): a side is made of
the data industries its codes cover, and a side that needs finer detail than the data has
makes the stream unrunnable on that data, reported with the reason, never approximated.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from clustergeo._errors import InputDataError
from clustergeo._validate import Problems, format_examples
from clustergeo.industries import (
    ClusterDefinition,
    normalise_sic_code,
    resolve_cluster_definitions,
    sic_hierarchy,
    written_sic_codes,
)

__all__ = [
    "SIDES",
    "Stream",
    "StreamResolution",
    "read_streams",
    "resolve_streams",
    "shipped_matrices",
    "side_key",
]

#: The two sides of a stream, in the order they are reported.
SIDES = ("producers", "users")
_KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
_STREAM_FIELDS = {"label", "material", "producers", "users", "sources", "finer"}
_SIDE_FIELDS = {"label", "sic"}


@dataclass(frozen=True)
class Stream:
    """One material stream: who produces it, who can use it, and where the link comes from."""

    key: str
    label: str
    material: str
    producer_label: str
    producer_codes: tuple[str, ...]
    user_label: str
    user_codes: tuple[str, ...]
    sources: tuple[str, ...]
    finer: str = ""
    """What finer industry detail would add (section-level streams)."""
    producer_industries: tuple[str, ...] = field(default=())
    """The data industry codes the producers are made of, once resolved."""
    user_industries: tuple[str, ...] = field(default=())
    """The data industry codes the users are made of, once resolved."""

    def codes(self, side: str) -> tuple[str, ...]:
        """The SIC codes of ``side`` (``producers`` or ``users``)."""
        return self.producer_codes if side == "producers" else self.user_codes

    def industries(self, side: str) -> tuple[str, ...]:
        """The data industries of ``side``, once resolved."""
        return self.producer_industries if side == "producers" else self.user_industries

    def side_label(self, side: str) -> str:
        """The plain name of ``side``."""
        return self.producer_label if side == "producers" else self.user_label


def side_key(stream: str, side: str) -> str:
    """The column key of one side of a stream: ``construction_demolition_producers``."""
    return f"{stream}_{side}"


def shipped_matrices() -> list[str]:
    """Names of the matrices shipped with clustergeo (``default``, ``sections``)."""
    folder = resources.files("clustergeo.data").joinpath("circular")
    return sorted(
        entry.name.removesuffix(".yaml")
        for entry in folder.iterdir()
        if entry.name.endswith(".yaml")
    )


def _load(path: Path | str) -> tuple[Any, Path | str]:
    if str(path) in shipped_matrices():
        text = resources.files("clustergeo.data").joinpath("circular").joinpath(f"{path}.yaml")
        return yaml.safe_load(text.read_text("utf-8")), f"clustergeo's shipped matrix '{path}'"
    source = Path(path)
    if not source.is_file():
        raise InputDataError(
            f"Material-stream matrix {source} does not exist: give a YAML file (see "
            f"src/clustergeo/data/circular/default.yaml) or a shipped matrix "
            f"({', '.join(shipped_matrices())})."
        )
    try:
        return yaml.safe_load(source.read_text(encoding="utf-8")), source
    except yaml.YAMLError as exc:
        raise InputDataError(f"Material-stream matrix {source} is not valid YAML: {exc}") from None


def _side_label(key: str, side: str, entry: object, problems: Problems) -> str | None:
    """The label of one side, or None after recording what is wrong with it."""
    if not isinstance(entry, dict) or not entry.get("sic"):
        problems.add(f"'{key}': '{side}' needs a 'sic' list of codes, e.g. {{sic: ['41', '42']}}")
        return None
    unknown = sorted(set(entry) - _SIDE_FIELDS)
    if unknown:
        problems.add(f"'{key}': '{side}' has unknown fields {', '.join(unknown)}")
    return str(entry.get("label") or side)


def read_streams(path: Path | str = "default") -> list[Stream]:
    """Read and check a producer -> user matrix.

    Parameters
    ----------
    path
        A shipped matrix (:func:`shipped_matrices`: ``default``, ``sections``) or a YAML file
        ``streams: {key: {label, material, producers: {label, sic}, users: {label, sic},
        sources: [...]}}``.

    Returns
    -------
    list of Stream
        In file order, with canonical SIC codes.

    Raises
    ------
    InputDataError
        One message listing every stream with a bad key, a missing side, unknown fields,
        codes that are not UK SIC 2007, producers and users that share industries, or no
        sources.
    """
    raw, source = _load(path)
    problems = Problems(source, "Material-stream matrix")
    if not isinstance(raw, dict) or not isinstance(raw.get("streams"), dict) or not raw["streams"]:
        problems.add(
            "expected a top-level 'streams:' mapping of key -> {label, producers: {sic: [...]}, "
            "users: {sic: [...]}, sources: [...]}"
        )
        problems.raise_if_any()
    hierarchy = sic_hierarchy()
    streams = []
    for key, entry in raw["streams"].items():
        if not _KEY_PATTERN.match(str(key)):
            problems.add(
                f"key '{key}' must be lower case letters, digits and underscores "
                "(it names columns and files)"
            )
            continue
        if not isinstance(entry, dict):
            problems.add(f"'{key}' must be a mapping with producers, users and sources")
            continue
        unknown = sorted(set(entry) - _STREAM_FIELDS)
        if unknown:
            problems.add(f"'{key}' has unknown fields {', '.join(unknown)}")
        sides: dict[str, tuple[str, tuple[str, ...]]] = {}
        for side in SIDES:
            label = _side_label(str(key), side, entry.get(side), problems)
            if label is None:
                continue
            listed, problem = written_sic_codes(entry[side]["sic"])
            if problem:
                problems.add(f"'{key}': {side}: {problem}")
                continue
            codes = tuple(dict.fromkeys(normalise_sic_code(c) for c in listed))
            invalid = [c for c in codes if not hierarchy.is_valid(c) or "," in c]
            if invalid:
                problems.add(
                    f"'{key}': {side} list codes that are not UK SIC 2007 codes: "
                    f"{format_examples(invalid)} — use section letters, or 2- to 5-digit "
                    "codes such as '38' or '38.32'"
                )
                continue
            sides[side] = (label, codes)
        if len(sides) < len(SIDES):
            continue
        shared = [
            f"{p} / {u}"
            for p in sides["producers"][1]
            for u in sides["users"][1]
            if hierarchy.overlaps(p, u)
        ]
        if shared:
            problems.add(
                f"'{key}': producers and users share industries ({format_examples(shared)}); "
                "an industry on both sides would co-locate with itself — keep each code on "
                "one side"
            )
            continue
        sources = entry.get("sources", [])
        sources = [sources] if isinstance(sources, str) else list(sources or [])
        if not sources:
            problems.add(
                f"'{key}' has no 'sources': say where the producer -> user link comes from"
            )
            continue
        streams.append(
            Stream(
                key=str(key),
                label=str(entry.get("label") or key),
                material=" ".join(str(entry.get("material", "")).split()),
                producer_label=sides["producers"][0],
                producer_codes=sides["producers"][1],
                user_label=sides["users"][0],
                user_codes=sides["users"][1],
                sources=tuple(" ".join(str(s).split()) for s in sources),
                finer=" ".join(str(entry.get("finer", "")).split()),
            )
        )
    problems.raise_if_any()
    return streams


@dataclass(frozen=True)
class StreamResolution:
    """Streams resolved against the data's industries."""

    resolved: list[Stream]
    unresolved: dict[str, str]
    """Stream key → why it cannot be computed from this data."""


def resolve_streams(streams: Iterable[Stream], data_codes: Iterable[str]) -> StreamResolution:
    """Match each side of each stream to the data industries it is made of.

    A stream runs when both sides resolve (see
    :func:`clustergeo.industries.resolve_cluster_definitions`); otherwise it is listed in
    :attr:`StreamResolution.unresolved` with the side and the reason.
    """
    streams = list(streams)
    codes = sorted(set(data_codes))
    definitions = [
        ClusterDefinition(
            key=side_key(stream.key, side),
            label=stream.side_label(side),
            sic_codes=stream.codes(side),
        )
        for stream in streams
        for side in SIDES
    ]
    resolution = resolve_cluster_definitions(definitions, codes)
    members = {d.key: d.industry_codes for d in resolution.resolved}
    resolved, unresolved = [], {}
    for stream in streams:
        reasons = [
            f"{side}: {resolution.unresolved[side_key(stream.key, side)]}"
            for side in SIDES
            if side_key(stream.key, side) in resolution.unresolved
        ]
        if reasons:
            unresolved[stream.key] = "; ".join(reasons)
            continue
        resolved.append(
            replace(
                stream,
                producer_industries=members[side_key(stream.key, "producers")],
                user_industries=members[side_key(stream.key, "users")],
            )
        )
    return StreamResolution(resolved=resolved, unresolved=unresolved)
