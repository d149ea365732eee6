"""The matcher: converters, precedence whatever the order, 405, HEAD, redirects, building."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

import pytest

from twisted_wsgi_lab.router.converters import ConverterRegistry
from twisted_wsgi_lab.router.matcher import (
    BuildError,
    Found,
    Match,
    Matcher,
    MethodNotAllowed,
    NotFound,
    Redirect,
    RouteConflictError,
    RouteInfo,
)
from twisted_wsgi_lab.router.rules import parse_rule

GET = frozenset({"GET"})


def matcher_of(*rules: str, registry: ConverterRegistry | None = None) -> Matcher:
    """A matcher with each rule on GET, its endpoint and target being the rule text."""
    matcher = Matcher()
    for text in rules:
        matcher.add(parse_rule(text, registry), GET, text, text)
    return matcher


def match(matcher: Matcher, path: str, method: str = "GET") -> Match:
    return matcher.match(path.split("/"), method)


def found(matcher: Matcher, path: str, method: str = "GET") -> tuple[str, dict[str, Any]]:
    """The endpoint and params ``path`` matches; fails the test on anything but Found."""
    result = match(matcher, path, method)
    assert isinstance(result, Found), (path, result)
    return result.endpoint, result.params


# -- converters ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "path", "params"),
    [
        ("/u/<name>", "/u/alice", {"name": "alice"}),
        ("/u/<string:name>", "/u/a.b c", {"name": "a.b c"}),
        ("/n/<int:n>", "/n/0042", {"n": 42}),
        ("/f/<float:x>", "/f/2.50", {"x": 2.5}),
        (
            "/id/<uuid:u>",
            "/id/12345678-ABCD-1234-abcd-1234567890AB",
            {"u": uuid.UUID("12345678-abcd-1234-abcd-1234567890ab")},
        ),
        ("/p/<path:rest>", "/p/a", {"rest": "a"}),
        ("/p/<path:rest>", "/p/a/b/c.txt", {"rest": "a/b/c.txt"}),
        ("/p/<path:rest>", "/p/a/b/", {"rest": "a/b/"}),
    ],
)
def test_each_converter_matches_and_converts(rule: str, path: str, params: dict[str, Any]) -> None:
    assert found(matcher_of(rule), path) == (rule, params)


@pytest.mark.parametrize(
    ("rule", "path"),
    [
        ("/u/<name>", "/u/"),
        ("/n/<int:n>", "/n/-1"),
        ("/n/<int:n>", "/n/1.5"),
        ("/n/<int:n>", "/n/\u0663"),  # an Arabic-Indic digit: int() would take it
        ("/n/<int:n>", "/n/" + "9" * 5000),  # int() refuses: no match, not an error
        ("/f/<float:x>", "/f/1"),
        ("/f/<float:x>", "/f/.5"),
        ("/id/<uuid:u>", "/id/12345678-abcd-1234-abcd-1234567890a"),
        ("/p/<path:rest>", "/p/"),
        ("/p/<path:rest>", "/p"),
    ],
)
def test_each_converter_refuses_what_is_not_its_type(rule: str, path: str) -> None:
    assert isinstance(match(matcher_of(rule), path), NotFound | Redirect)


def test_a_custom_converter_converts_both_ways() -> None:
    registry = ConverterRegistry()
    registry.add("hex", "[0-9a-f]+", lambda text: int(text, 16), lambda value: f"{value:x}")
    matcher = matcher_of("/c/<hex:color>", registry=registry)
    assert found(matcher, "/c/ff") == ("/c/<hex:color>", {"color": 255})
    assert isinstance(match(matcher, "/c/fg"), NotFound)
    assert matcher.build("/c/<hex:color>", {"color": 4095}) == "/c/fff"


def test_a_decoded_slash_stays_in_its_segment_and_only_path_takes_it() -> None:
    """The caller splits before decoding: ``/u/a%2Fb`` arrives as ["", "u", "a/b"]."""
    matcher = matcher_of("/u/<name>", "/p/<path:rest>")
    assert isinstance(matcher.match(["", "u", "a/b"], "GET"), NotFound)
    assert found(matcher, "/p/x") == ("/p/<path:rest>", {"rest": "x"})
    result = matcher.match(["", "p", "a/b", "c"], "GET")
    assert isinstance(result, Found) and result.params == {"rest": "a/b/c"}


def test_path_segments_must_start_with_the_empty_root() -> None:
    with pytest.raises(ValueError, match="must start with ''"):
        matcher_of("/a").match(["a"], "GET")


# -- precedence ---------------------------------------------------------------------


def test_static_beats_converters_and_backtracking_finds_the_other_branch() -> None:
    matcher = matcher_of("/a/<int:x>/b", "/a/<name>/c", "/a/new/c")
    assert found(matcher, "/a/5/b") == ("/a/<int:x>/b", {"x": 5})
    assert found(matcher, "/a/5/c") == ("/a/<name>/c", {"name": "5"})
    assert found(matcher, "/a/new/c") == ("/a/new/c", {})
    assert isinstance(match(matcher, "/a/x/b"), NotFound)


def test_path_comes_last_and_is_backtracked_into() -> None:
    matcher = matcher_of("/a/<path:rest>", "/a/<int:x>/b")
    assert found(matcher, "/a/5/b") == ("/a/<int:x>/b", {"x": 5})
    assert found(matcher, "/a/5/c") == ("/a/<path:rest>", {"rest": "5/c"})
    assert found(matcher, "/a/5") == ("/a/<path:rest>", {"rest": "5"})


# Rules that overlap, and the winner for each path whatever order they were added in.
OVERLAPPING = [
    "/x/<int:v>",
    "/x/<float:v>",
    "/x/<v>",
    "/x/<v>.txt",
    "/x/<int:v>.txt",
    "/x/<path:v>",
    "/x/7",
]
WINNERS = {
    "/x/7": "/x/7",
    "/x/8": "/x/<int:v>",
    "/x/8.5": "/x/<float:v>",
    "/x/8.txt": "/x/<int:v>.txt",
    "/x/a.txt": "/x/<v>.txt",
    "/x/a": "/x/<v>",
    "/x/a/b": "/x/<path:v>",
}


@pytest.mark.parametrize("order", list(itertools.permutations(OVERLAPPING[:5])))
def test_precedence_does_not_depend_on_registration_order(order: tuple[str, ...]) -> None:
    matcher = matcher_of(*order, *OVERLAPPING[5:])
    assert {path: found(matcher, path)[0] for path in WINNERS} == WINNERS


@pytest.mark.parametrize("order", list(itertools.permutations(OVERLAPPING[4:])))
def test_precedence_of_mixed_path_and_static_does_not_depend_on_order(
    order: tuple[str, ...],
) -> None:
    matcher = matcher_of(*OVERLAPPING[:4], *order)
    assert {path: found(matcher, path)[0] for path in WINNERS} == WINNERS


def test_custom_converters_sit_between_the_numbers_and_string() -> None:
    registry = ConverterRegistry()
    registry.add("word", "[a-z0-9]+")
    registry.add("early", "[a-z]+", priority=5)
    for order in itertools.permutations(["/<int:n>", "/<word:w>", "/<s>"]):
        matcher = matcher_of(*order, registry=registry)
        assert found(matcher, "/12")[0] == "/<int:n>"
        assert found(matcher, "/ab1")[0] == "/<word:w>"
        assert found(matcher, "/a-b")[0] == "/<s>"
    early = matcher_of("/<int:n>", "/<early:e>", registry=registry)
    assert found(early, "/ab")[0] == "/<early:e>"


def test_mixed_segments_with_several_parameters() -> None:
    matcher = matcher_of("/v<int:major>.<int:minor>", "/files/<name>.<ext>", "/<page>")
    assert found(matcher, "/v1.2") == ("/v<int:major>.<int:minor>", {"major": 1, "minor": 2})
    assert found(matcher, "/v1") == ("/<page>", {"page": "v1"})
    assert found(matcher, "/files/a.b.c") == ("/files/<name>.<ext>", {"name": "a.b", "ext": "c"})


# -- methods ------------------------------------------------------------------------


def test_a_path_without_the_method_gets_405_with_every_allowed_method() -> None:
    matcher = Matcher()
    matcher.add(parse_rule("/r/<int:x>"), frozenset({"GET", "PUT"}), "item", None)
    matcher.add(parse_rule("/r/<name>"), frozenset({"delete"}), "named", None)
    result = match(matcher, "/r/5", "POST")
    assert result == MethodNotAllowed(frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"}))
    assert matcher.allowed_methods(["", "r", "5"]) == result.allowed
    assert matcher.allowed_methods(["", "r", "x"]) == frozenset({"DELETE", "OPTIONS"})
    assert matcher.allowed_methods(["", "nothing"]) == frozenset()


def test_a_method_on_a_lower_precedence_rule_is_found_by_backtracking() -> None:
    matcher = Matcher()
    matcher.add(parse_rule("/r/<int:x>"), GET, "by-id", None)
    matcher.add(parse_rule("/r/<name>"), frozenset({"POST"}), "by-name", None)
    assert found(matcher, "/r/5", "POST") == ("by-name", {"name": "5"})
    assert found(matcher, "/r/5", "GET") == ("by-id", {"x": 5})


def test_head_is_served_by_get_unless_head_has_its_own_rule() -> None:
    matcher = Matcher()
    matcher.add(parse_rule("/a"), GET, "get-a", None)
    matcher.add(parse_rule("/b"), GET, "get-b", None)
    matcher.add(parse_rule("/b"), frozenset({"HEAD"}), "head-b", None)
    assert found(matcher, "/a", "HEAD") == ("get-a", {})
    assert found(matcher, "/b", "HEAD") == ("head-b", {})
    assert isinstance(match(matcher, "/a", "OPTIONS"), MethodNotAllowed)


def test_options_is_found_when_a_rule_registers_it() -> None:
    matcher = Matcher()
    matcher.add(parse_rule("/a"), frozenset({"OPTIONS"}), "options-a", None)
    assert found(matcher, "/a", "OPTIONS") == ("options-a", {})


# -- trailing slash -----------------------------------------------------------------


def test_a_missing_trailing_slash_redirects_but_an_extra_one_does_not() -> None:
    matcher = matcher_of("/dir/", "/file", "/<int:n>/")
    assert match(matcher, "/dir") == Redirect(add_trailing_slash=True)
    assert match(matcher, "/5") == Redirect()
    assert match(matcher, "/dir", "POST") == Redirect()  # then 405 at /dir/
    assert isinstance(match(matcher, "/file/"), NotFound)
    assert isinstance(match(matcher, "/other"), NotFound)
    assert found(matcher, "/dir/") == ("/dir/", {})


def test_no_redirect_when_the_path_itself_matches_a_rule() -> None:
    matcher = matcher_of("/dir/", "/<name>")
    assert found(matcher, "/dir") == ("/<name>", {"name": "dir"})


def test_the_root_matches_only_the_root_rule() -> None:
    matcher = matcher_of("/")
    assert found(matcher, "/") == ("/", {})
    assert isinstance(match(matcher, "/a"), NotFound)


# -- registration -------------------------------------------------------------------


def test_the_same_shape_and_method_twice_is_a_conflict_naming_both_endpoints() -> None:
    matcher = Matcher()
    matcher.add(parse_rule("/a/<int:x>"), frozenset({"GET", "POST"}), "first", None)
    with pytest.raises(RouteConflictError) as info:
        matcher.add(parse_rule("/a/<int:y>"), frozenset({"POST"}), "second", None)
    assert "'first'" in str(info.value) and "'second'" in str(info.value)
    assert isinstance(info.value, ValueError)
    matcher.add(parse_rule("/a/<int:y>"), frozenset({"PUT"}), "third", None)
    assert found(matcher, "/a/5", "PUT") == ("third", {"y": 5})
    assert found(matcher, "/a/5", "POST") == ("first", {"x": 5})


def test_a_refused_registration_leaves_nothing_behind() -> None:
    matcher = Matcher()
    matcher.add(parse_rule("/a"), GET, "first", None)
    with pytest.raises(RouteConflictError):
        matcher.add(parse_rule("/a"), frozenset({"GET", "PUT"}), "second", None)
    assert matcher.allowed_methods(["", "a"]) == frozenset({"GET", "HEAD", "OPTIONS"})
    assert [info.endpoint for info in matcher.routes()] == ["first"]


def test_a_route_needs_a_method() -> None:
    with pytest.raises(ValueError, match="at least one method"):
        Matcher().add(parse_rule("/a"), frozenset(), "a", None)


def test_routes_are_listed_in_registration_order_with_sorted_methods() -> None:
    matcher = Matcher()
    matcher.add(parse_rule("/b"), frozenset({"POST", "GET"}), "b", None)
    matcher.add(parse_rule("/a/<int:x>"), GET, "a", None)
    assert matcher.routes() == [
        RouteInfo("/b", ("GET", "POST"), "b"),
        RouteInfo("/a/<int:x>", ("GET",), "a"),
    ]


# -- building -----------------------------------------------------------------------


def test_build_converts_quotes_and_puts_the_rest_in_the_query() -> None:
    matcher = matcher_of("/u/<name>/<int:n>", "/files/<path:rest>", "/v<int:a>.<float:b>")
    assert matcher.build("/u/<name>/<int:n>", {"name": "a b?#%", "n": 7}) == "/u/a%20b%3F%23%25/7"
    assert matcher.build("/files/<path:rest>", {"rest": "a b/c"}) == "/files/a%20b/c"
    assert matcher.build("/v<int:a>.<float:b>", {"a": 1, "b": 2.5}) == "/v1.2.5"
    built = matcher.build("/u/<name>/<int:n>", {"name": "x", "n": 1, "q": [1, 2], "z": None})
    assert built == "/u/x/1?q=1&q=2"


def test_build_and_match_round_trip() -> None:
    matcher = matcher_of("/id/<uuid:u>/<name>", "/café/<path:p>")
    value = uuid.UUID("12345678-abcd-1234-abcd-1234567890ab")
    path = matcher.build("/id/<uuid:u>/<name>", {"u": value, "name": "é&?"})
    assert path == "/id/12345678-abcd-1234-abcd-1234567890ab/%C3%A9%26%3F"
    decoded = ["", "id", str(value), "é&?"]
    assert found(matcher, "/".join(decoded)) == ("/id/<uuid:u>/<name>", {"u": value, "name": "é&?"})
    assert matcher.build("/café/<path:p>", {"p": "x"}) == "/caf%C3%A9/x"


def test_build_uses_the_first_rule_whose_parameters_are_all_given() -> None:
    matcher = Matcher()
    matcher.add(parse_rule("/items/<int:id>"), GET, "items", None)
    matcher.add(parse_rule("/items/"), GET, "items", None)
    assert matcher.build("items", {"id": 3}) == "/items/3"
    assert matcher.build("items", {"page": 2}) == "/items/?page=2"


def test_build_names_the_missing_parameters() -> None:
    matcher = matcher_of("/u/<name>/<int:n>")
    with pytest.raises(BuildError) as info:
        matcher.build("/u/<name>/<int:n>", {"name": "a"})
    assert "'/u/<name>/<int:n>'" in str(info.value) and "missing parameter(s) n" in str(info.value)
    assert isinstance(info.value, LookupError)


def test_build_of_an_unknown_endpoint_suggests_a_close_one() -> None:
    matcher = Matcher()
    for endpoint in ("show_user", "list_users"):
        matcher.add(parse_rule(f"/{endpoint}"), GET, endpoint, None)
    with pytest.raises(BuildError, match="among the 2 registered; did you mean 'show_user'"):
        matcher.build("show_usr", {})
    with pytest.raises(BuildError, match=r"no endpoint 'zzz' among the 2 registered$"):
        matcher.build("zzz", {})


@pytest.mark.parametrize(
    ("rule", "params"),
    [
        ("/n/<int:n>", {"n": -1}),
        ("/n/<int:n>", {"n": "seven"}),
        ("/f/<float:x>", {"x": 1e20}),
        ("/u/<name>", {"name": "a/b"}),
        ("/u/<name>", {"name": ""}),
        ("/p/<path:p>", {"p": "/abs"}),
        ("/id/<uuid:u>", {"u": "not-a-uuid"}),
    ],
)
def test_build_refuses_a_value_that_would_not_route_back(rule: str, params: dict[str, Any]) -> None:
    with pytest.raises(BuildError, match="cannot build"):
        matcher_of(rule).build(rule, params)
