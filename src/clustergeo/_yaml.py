"""YAML as clustergeo reads it: safe, every key given once, and where each key was written.

``yaml.safe_load`` keeps the last of two equal keys in a mapping, so a second ``hotspots:``
section, or a cluster definition pasted twice under one name, silently replaces the first.
:func:`read_yaml` refuses a repeated key instead, naming both lines, and remembers the line of
every key and list item so that a value refused later (by the config's validation) can be
pointed to where it is written.

Only YAML's safe subset is read (no Python objects), as with ``yaml.safe_load``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

__all__ = ["KeyPath", "YamlDocument", "YamlSyntaxError", "read_yaml"]

#: Where a value sits in a document: mapping keys and list positions from the top.
KeyPath = tuple[str | int, ...]

_MERGE_TAG = "tag:yaml.org,2002:merge"


class YamlSyntaxError(ValueError):
    """The text is not valid YAML, or gives a key twice; the message says where.

    The message continues a sentence naming the file: ``<file> is not valid YAML: ...`` or
    ``<file> gives the key 'hotspots' twice (lines 3 and 12): ...``.
    """


@dataclass(frozen=True)
class YamlDocument:
    """The data of a YAML text and the line (from 1) each key or list item is written on."""

    data: Any
    lines: Mapping[KeyPath, int] = field(default_factory=dict)

    def line_of(self, path: KeyPath) -> int | None:
        """The line of ``path``, or of the closest enclosing key written in the text."""
        for end in range(len(path), 0, -1):
            line = self.lines.get(path[:end])
            if line is not None:
                return line
        return None


def read_yaml(text: str | bytes) -> YamlDocument:
    """Parse YAML, refusing any mapping that gives a key twice.

    Parameters
    ----------
    text
        The document (one YAML document; an empty text is ``None``), as text or as the bytes
        of a file, which must be UTF-8 (a byte-order mark is dropped).

    Returns
    -------
    YamlDocument
        The data, as ``yaml.safe_load`` gives it, and the line of every key and list item.

    Raises
    ------
    YamlSyntaxError
        When the bytes are not UTF-8, the text is not YAML, or a mapping repeats a key: every
        repeated key is listed with its lines, e.g. ``gives the key 'hotspots' twice (lines 3
        and 12)``.
    """
    if isinstance(text, bytes):
        text = _decoded(text)
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return YamlDocument(data=None)
        lines: dict[KeyPath, int] = {}
        repeated: list[str] = []
        _walk(node, (), lines, repeated, loader)
        if repeated:
            raise YamlSyntaxError(
                "gives " + " and ".join(repeated) + ": YAML would keep only the last and "
                "silently drop the other, so give each key once."
            )
        return YamlDocument(data=loader.construct_document(node), lines=lines)
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(f"is not valid YAML: {exc}") from None
    finally:
        loader.dispose()


def _decoded(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise YamlSyntaxError(
            f"is not UTF-8 text (byte {data[exc.start]:#04x} on line {line}; Windows-1252 "
            "writes 'ô' so). Save it as UTF-8 in your editor and run again."
        ) from None


def _walk(
    node: yaml.Node,
    path: KeyPath,
    lines: dict[KeyPath, int],
    repeated: list[str],
    loader: yaml.SafeLoader,
) -> None:
    """Record the line of every key and item below ``node``; list keys given twice."""
    if isinstance(node, yaml.MappingNode):
        seen: dict[object, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                continue  # '<<: *base' merges another mapping; its keys may be overridden
            key = _key(key_node, loader)
            line = key_node.start_mark.line + 1
            child = (*path, str(key_node.value))
            if key in seen:
                dotted = ".".join(str(part) for part in child)
                repeated.append(f"the key '{dotted}' twice (lines {seen[key]} and {line})")
            else:
                seen[key] = line
                lines[child] = line
            _walk(value_node, child, lines, repeated, loader)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines[(*path, index)] = item.start_mark.line + 1
            _walk(item, (*path, index), lines, repeated, loader)


def _key(node: yaml.Node, loader: yaml.SafeLoader) -> object:
    """A key as YAML compares keys: ``1`` and ``01`` are the same integer."""
    if not isinstance(node, yaml.ScalarNode):
        return (node.tag, node.start_mark.index)  # a complex key: equal only to itself
    value = loader.construct_object(node)
    return (type(value).__name__, value)
