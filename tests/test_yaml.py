"""The YAML reader: keys given twice are refused, and every key remembers its line."""

from __future__ import annotations

import pytest

from clustergeo._yaml import YamlSyntaxError, read_yaml


def test_lines_of_keys_and_list_items_are_recorded() -> None:
    document = read_yaml("a:\n  b: 1\n  c:\n    - x\n    - y\nd: [1, 2]\n")
    assert document.data == {"a": {"b": 1, "c": ["x", "y"]}, "d": [1, 2]}
    assert document.lines[("a",)] == 1
    assert document.lines[("a", "b")] == 2
    assert document.lines[("a", "c", 1)] == 5
    assert document.lines[("d", 1)] == 6
    # A path below a written key (a field pydantic adds) points to that key's line.
    assert document.line_of(("a", "c", 1, "nested")) == 5
    assert document.line_of(("unknown",)) is None


def test_every_key_given_twice_is_listed_with_both_lines() -> None:
    with pytest.raises(YamlSyntaxError) as caught:
        read_yaml("a: 1\nb:\n  c: 1\n  c: 2\na: 3\n")
    message = str(caught.value)
    assert "the key 'a' twice (lines 1 and 5)" in message
    assert "the key 'b.c' twice (lines 3 and 4)" in message


def test_keys_are_compared_as_yaml_values() -> None:
    """``1`` and ``0x1`` are the same integer key; ``'1'`` (a string) is another key."""
    with pytest.raises(YamlSyntaxError, match="twice"):
        read_yaml("1: a\n0x1: b\n")
    assert read_yaml("1: a\n'1': b\n").data == {1: "a", "1": "b"}


def test_merge_keys_may_be_overridden() -> None:
    """``<<: *base`` copies a mapping whose keys the mapping itself may then replace."""
    document = read_yaml("base: &b {x: 1, y: 2}\nuse:\n  <<: *b\n  x: 3\n")
    assert document.data["use"] == {"x": 3, "y": 2}


def test_text_that_is_not_yaml_or_not_utf8() -> None:
    with pytest.raises(YamlSyntaxError, match="is not valid YAML"):
        read_yaml("a: [1\n")
    with pytest.raises(YamlSyntaxError, match=r"is not UTF-8 text \(byte 0xf4 on line 2"):
        read_yaml("a: 1\nb: Ynys Môn\n".encode("cp1252"))
    assert read_yaml(b"\xef\xbb\xbfa: 1\n").data == {"a": 1}
    assert read_yaml("").data is None
