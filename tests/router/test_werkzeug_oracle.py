"""Werkzeug's ``Map`` as an oracle: same rules, same paths, same endpoint and parameters.

Hypothesis draws a handful of rules from a small vocabulary (so they overlap often) with
the converters both routers have (string, int, float, uuid, path), and paths rendered
from those rules, some with the trailing slash toggled or a segment swapped.

Which rules a path matches is judged by Werkzeug alone, one single-rule ``Map`` per rule.
Where the two designs legitimately differ, the comparison is restricted (see also the
docstring of ``twisted_wsgi_lab.router.matcher``):

- precedence between two rules that both match a path: each router orders overlapping
  dynamic rules its own way, so such a path is only required to be found by both;
- Werkzeug redirects ``/dir`` to ``/dir/`` before trying parameters (``/dir/`` wins
  over ``/<name>`` for ``/dir``): a Werkzeug redirect where we find a rule is accepted
  when the path with a slash added does match a rule;
- ``%2F``: Werkzeug sees decoded PATH_INFO; the generator never puts ``/`` in a value;
- ``//`` (Werkzeug merges slashes) and non-ASCII digits (Werkzeug's ``\\d``): the
  generator makes neither.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import unquote

from hypothesis import event, given, settings
from hypothesis import strategies as st
from werkzeug.exceptions import NotFound as WerkzeugNotFound
from werkzeug.routing import Map, MapAdapter, RequestRedirect
from werkzeug.routing import Rule as WerkzeugRule

from twisted_wsgi_lab.router.matcher import Found, Matcher, NotFound, Redirect
from twisted_wsgi_lab.router.rules import parse_rule

WORDS = ["a", "b", "dir", "v1"]
TEXT = "abcxyzABC0123456789-_.~ é"
CONVERTERS = ["string", "int", "float", "uuid"]
ORACLE = settings(max_examples=200, deadline=timedelta(seconds=2))


@st.composite
def segment_shapes(draw: st.DrawFn) -> tuple[str, str, str]:
    """(prefix, converter or "" for a static segment, suffix)."""
    if draw(st.booleans()):
        return (draw(st.sampled_from(WORDS)), "", "")
    prefix = draw(st.sampled_from(["", "", "v", "x-"]))
    suffix = draw(st.sampled_from(["", "", ".txt", "_z"]))
    return (prefix, draw(st.sampled_from(CONVERTERS)), suffix)


@st.composite
def rule_texts(draw: st.DrawFn) -> str:
    shapes = draw(st.lists(segment_shapes(), min_size=1, max_size=3))
    parts = [f"{p}<{c}:p{i}>{s}" if c else p for i, (p, c, s) in enumerate(shapes)]
    if draw(st.booleans()):
        parts.append(f"<path:p{len(shapes)}>")
    elif draw(st.booleans()):
        parts.append("")
    return "/" + "/".join(parts)


def value_for(converter: str, draw: st.DrawFn) -> str:
    if converter == "int":
        return str(draw(st.integers(0, 10**6))).zfill(draw(st.integers(1, 3)))
    if converter == "float":
        return f"{draw(st.integers(0, 999))}.{draw(st.integers(0, 999))}"
    if converter == "uuid":
        text = str(draw(st.uuids()))
        return text.upper() if draw(st.booleans()) else text
    if converter == "path":
        return "/".join(draw(st.lists(st.text(TEXT, min_size=1, max_size=4), min_size=1)))
    return draw(st.text(TEXT, min_size=1, max_size=6))


@st.composite
def paths_for(draw: st.DrawFn, rule_text: str, *, mutate: bool = True) -> str:
    """A path rendered from ``rule_text``, maybe with its slash toggled or a word swapped."""
    segments = []
    for segment in parse_rule(rule_text).segments:
        pieces = [
            part if isinstance(part, str) else value_for(part.converter.name, draw)
            for part in segment.parts
        ]
        segments.append("".join(pieces))
    if not mutate:
        return "/" + "/".join(segments)
    if draw(st.integers(0, 3)) == 0:
        segments[draw(st.integers(0, len(segments) - 1))] = draw(st.sampled_from(WORDS))
    path = "/" + "/".join(segments)
    if draw(st.booleans()) and path != "/":
        path = path[:-1] if path.endswith("/") else path + "/"
    return path


@st.composite
def cases(draw: st.DrawFn) -> tuple[list[str], str]:
    texts = draw(st.lists(rule_texts(), min_size=1, max_size=6))
    unique = list({parse_rule(text).key: text for text in texts}.values())  # no conflicts
    return unique, draw(paths_for(draw(st.sampled_from(unique))))


def werkzeug_adapter(texts: list[str]) -> MapAdapter:
    rules = [WerkzeugRule(text, endpoint=text, methods=["GET"]) for text in texts]
    return Map(rules, strict_slashes=True, merge_slashes=False).bind("example.org")


def werkzeug_match(adapter: MapAdapter, path: str) -> tuple[str, dict[str, Any]] | str:
    """(endpoint, params), or "redirect" or "not found"."""
    try:
        endpoint, params = adapter.match(path, method="GET")
    except RequestRedirect:
        return "redirect"
    except WerkzeugNotFound:
        return "not found"
    return str(endpoint), params


def our_matcher(texts: list[str]) -> Matcher:
    matcher = Matcher()
    for text in texts:
        matcher.add(parse_rule(text), frozenset({"GET"}), text, None)
    return matcher


@ORACLE
@given(cases())
def test_werkzeug_and_the_matcher_agree_on_endpoint_and_params(
    case: tuple[list[str], str],
) -> None:
    texts, path = case
    ours = our_matcher(texts).match(path.split("/"), "GET")
    theirs = werkzeug_match(werkzeug_adapter(texts), path)
    matching = [t for t in texts if isinstance(werkzeug_match(werkzeug_adapter([t]), path), tuple)]
    event(
        f"{len(matching)} rules match, werkzeug: {theirs if isinstance(theirs, str) else 'found'}"
    )
    if not matching:
        expected = {"redirect": Redirect(), "not found": NotFound()}
        assert isinstance(theirs, str), (texts, path, theirs)
        assert ours == expected[theirs], (texts, path, ours, theirs)
        return
    assert isinstance(ours, Found), (texts, path, ours, theirs)
    if theirs == "redirect":  # Werkzeug's early redirect: /dir/ beats /<name> for /dir
        assert our_matcher(texts).match([*path.split("/"), ""], "GET") != NotFound()
        return
    assert isinstance(theirs, tuple), (texts, path, theirs)
    if len(matching) == 1:
        assert (ours.endpoint, ours.params) == theirs, (texts, path)


@ORACLE
@given(rule_texts(), st.data())
def test_werkzeug_and_the_matcher_build_the_same_path(text: str, data: st.DataObject) -> None:
    """Compared decoded: the two routers percent-encode different sets of characters."""
    path = data.draw(paths_for(text, mutate=False))
    matched = werkzeug_match(werkzeug_adapter([text]), path)
    assert isinstance(matched, tuple), (text, path, matched)
    params = matched[1]
    ours = our_matcher([text]).build(text, params)
    assert unquote(ours) == unquote(werkzeug_adapter([text]).build(text, params)), (text, params)
