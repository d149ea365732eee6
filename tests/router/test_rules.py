"""The rule language: what parses into which segments, and every way a rule is refused."""

from __future__ import annotations

import re

import pytest

from twisted_wsgi_lab.router.converters import (
    FLOAT,
    INT,
    PATH,
    STRING,
    UUID,
    ConverterError,
    ConverterRegistry,
)
from twisted_wsgi_lab.router.rules import Param, RuleError, Segment, parse_rule


def test_a_static_rule_is_one_static_segment_per_slash() -> None:
    rule = parse_rule("/users/list")
    assert rule.text == "/users/list"
    assert rule.segments == (Segment(("users",)), Segment(("list",)))
    assert rule.param_names == ()
    assert [s.static for s in rule.segments] == ["users", "list"]


def test_the_root_and_a_trailing_slash_are_an_empty_last_segment() -> None:
    assert parse_rule("/").segments == (Segment(("",)),)
    assert parse_rule("/dir/").segments == (Segment(("dir",)), Segment(("",)))


def test_parameters_name_their_converter_and_default_to_string() -> None:
    rule = parse_rule("/users/<int:id>/files/<path:rest>")
    assert rule.param_names == ("id", "rest")
    assert rule.segments[1] == Segment((Param("id", INT),))
    assert rule.segments[3] == Segment((Param("rest", PATH),))
    assert parse_rule("/<name>").segments[0] == Segment((Param("name", STRING),))
    assert parse_rule("/<uuid:u>/<float:f>").param_names == ("u", "f")
    assert parse_rule("/<uuid:u>/<float:f>").segments[1].params == (Param("f", FLOAT),)
    assert parse_rule("/<uuid:u>").segments[0].params == (Param("u", UUID),)


def test_a_segment_may_mix_static_text_and_several_parameters() -> None:
    segment = parse_rule("/v<int:major>.<int:minor>").segments[0]
    assert segment.parts == ("v", Param("major", INT), ".", Param("minor", INT))
    assert segment.static is None
    assert segment.key == "v<int>.<int>"
    found = segment.pattern().fullmatch("v1.20")
    assert found is not None
    assert (found["p0"], found["p1"]) == ("1", "20")
    assert segment.pattern().fullmatch("v1x20") is None  # the dot is escaped


def test_the_shape_key_ignores_parameter_names() -> None:
    assert parse_rule("/a/<int:x>.txt").key == parse_rule("/a/<int:y>.txt").key
    assert parse_rule("/a/<int:x>").key != parse_rule("/a/<x>").key


def test_static_text_is_kept_as_written_unencoded() -> None:
    assert parse_rule("/café/a b").segments[0].static == "café"
    assert parse_rule("/café/a b").segments[1].static == "a b"


def test_a_custom_converter_is_named_from_the_registry_given() -> None:
    registry = ConverterRegistry()
    hexes = registry.add("hex", "[0-9a-f]+", lambda text: int(text, 16), lambda v: f"{v:x}")
    assert hexes.priority == 30
    assert registry.get("hex") is hexes
    assert parse_rule("/c/<hex:color>", registry).segments[1].params == (Param("color", hexes),)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("users", "must start with '/'"),
        ("", "must start with '/'"),
        ("/a//b", "empty segment"),
        ("//", "empty segment"),
        ("/a/<>", "empty '<>'"),
        ("/a/<id", "unbalanced '<'"),
        ("/a/id>", "unbalanced '>'"),
        ("/a/<<id>>", "unbalanced '<'"),
        ("/a/<in/t:id>", "unbalanced"),
        ("/a/<int:>", "not an identifier"),
        ("/a/<int:1x>", "not an identifier"),
        ("/a/<int(signed=True):x>", "unknown converter 'int(signed=True)'"),
        ("/a/<x>/<int:x>", "parameter name 'x' twice"),
        ("/a/<x>-<x>", "parameter name 'x' twice"),
        ("/a/<path:p>/b", "whole last segment"),
        ("/a/<path:p>/", "whole last segment"),
        ("/a/x<path:p>", "whole last segment"),
        ("/a/<path:p>.txt", "whole last segment"),
    ],
)
def test_malformed_rules_raise_rule_error_saying_why(text: str, message: str) -> None:
    with pytest.raises(RuleError, match=re.escape(message)):
        parse_rule(text)


def test_an_unknown_converter_is_named_and_the_known_ones_listed() -> None:
    with pytest.raises(RuleError) as info:
        parse_rule("/a/<integer:x>")
    assert "'integer'" in str(info.value)
    assert "known: float, int, path, string, uuid" in str(info.value)


def test_rule_error_is_a_value_error() -> None:
    assert issubclass(RuleError, ValueError)


@pytest.mark.parametrize(
    ("name", "regex", "message"),
    [
        ("int", "[0-9]+", "already registered"),
        ("my-conv", "[a-z]+", "not an identifier"),
        ("bad", "[a-z", "bad regex"),
        ("named", "(?P<p0>[a-z]+)", "named groups"),
        ("maybe", "[a-z]*", "matches the empty string"),
    ],
)
def test_a_custom_converter_is_refused_when_it_could_not_work(
    name: str, regex: str, message: str
) -> None:
    with pytest.raises(ConverterError, match=re.escape(message)):
        ConverterRegistry().add(name, regex)


def test_a_registry_holds_only_its_own_custom_converters() -> None:
    first = ConverterRegistry()
    first.add("word", "[a-z]+")
    with pytest.raises(RuleError, match="unknown converter 'word'"):
        parse_rule("/<word:w>", ConverterRegistry())
    assert parse_rule("/<word:w>", first).param_names == ("w",)
