"""The matcher: every rule compiled into one segment tree, walked once per request.

A request path is matched segment by segment down a trie, so its cost depends on the
path and on the rules that share its prefix, not on how many rules there are.

Input. ``match`` and ``allowed_methods`` take ``path.split("/")`` with each segment
percent-decoded by the caller, the leading empty string included (``/a/b`` is
``["", "a", "b"]``, ``/`` is ``["", ""]``). Decoding after splitting keeps ``%2F`` inside
its segment; such a segment (one holding ``/``) is offered to no one-segment converter.

Precedence, the same whatever the registration order. At each segment, in this order:

1. a static segment (a dict lookup);
2. one-segment parameters, by the sort key (priority, mixed-or-plain, static length,
   shape): lower converter ``priority`` first (int 10, uuid 10, float 20, custom 30 by
   default, string 50); a segment's priority is the largest of its parameters'; at equal
   priority a mixed segment (``<name>.txt``) comes before a plain one (``<name>``), the
   one with more static text first; the shape (``<int>.txt``) breaks the remaining ties;
3. a multi-segment parameter (``path``, priority 90), which takes the rest of the path.

A branch that leads nowhere is backed out of (backtracking), so ``/a/<int:x>/b`` and
``/a/<name>/c`` both match. The first rule reached that has the request's method wins;
HEAD is served by a rule with GET when no rule has HEAD itself. If rules match the path
but none has the method, the answer is ``MethodNotAllowed`` with every method of every
rule matching the path, plus HEAD when GET is there and OPTIONS always (the caller
answers OPTIONS itself). If nothing matches a path without a trailing slash but the
same path with one does, the answer is ``Redirect`` (the caller sends 308 to ``path/``);
``/dir/`` never redirects to ``/dir``.

Differences from Werkzeug's ``Map`` (tests/router/test_werkzeug_oracle.py compares the
two where they agree):

- Werkzeug matches the decoded PATH_INFO, where ``%2F`` has become ``/``; here it stays
  inside its segment and matches only ``path``, which re-joins segments with ``/``.
- Werkzeug orders overlapping dynamic rules by its own weights (static text, then
  argument count, then converter weight); here the order above applies.
- Werkzeug redirects ``/dir`` to ``/dir/`` as soon as the static ``dir`` node has a
  slash child, before trying parameters (``/<name>`` loses to ``/dir/``); here the
  redirect comes only when nothing matches ``/dir``. Werkzeug redirects only for a
  method the slashed rule allows; here any path match of ``/dir/`` redirects.
- Werkzeug merges ``//`` (``merge_slashes``) and accepts non-ASCII digits for ``int``
  and ``float``; here an empty inner segment matches nothing (a path value keeps it)
  and digits are ``[0-9]``.
- A converter whose ``to_python`` raises ``ValueError`` (an int of more than 4,300
  digits) does not match here, and the next candidate is tried (``/n/<x>`` after
  ``/n/<int:x>``); Werkzeug answers 404 at once.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from twisted_wsgi_lab.router.rules import Param, Rule, Segment


class RouteConflictError(ValueError):
    """A rule of the same shape already has one of these methods."""


class BuildError(LookupError):
    """``url_for`` cannot build a path: unknown endpoint, missing or invalid parameters."""


@dataclass(frozen=True, slots=True)
class Found:
    """The path and method matched ``rule``; ``params`` are converted values by name."""

    target: object
    endpoint: str
    params: dict[str, Any]
    rule: Rule


@dataclass(frozen=True, slots=True)
class MethodNotAllowed:
    """Rules match the path but not the method: answer 405 with ``Allow: allowed``."""

    allowed: frozenset[str]


@dataclass(frozen=True, slots=True)
class Redirect:
    """Only the path with a trailing ``/`` matches: answer 308 to it."""

    add_trailing_slash: bool = True


@dataclass(frozen=True, slots=True)
class NotFound:
    """No rule matches the path (nor the path with a trailing ``/``)."""


Match = Found | MethodNotAllowed | Redirect | NotFound


@dataclass(frozen=True, slots=True)
class RouteInfo:
    """One registered route, as ``routes()`` lists it."""

    rule: str
    methods: tuple[str, ...]  # sorted, as registered (no implied HEAD or OPTIONS)
    endpoint: str


@dataclass(frozen=True, slots=True)
class _Route:
    rule: Rule
    methods: frozenset[str]
    endpoint: str
    target: object


class _Node:
    """A trie node: the routes ending here, and the edges to the next segment."""

    __slots__ = ("dynamic", "edges", "methods", "routes", "static", "tails")

    def __init__(self) -> None:
        self.static: dict[str, _Node] = {}
        self.dynamic: list[_Edge] = []  # one-segment parameters, in precedence order
        self.tails: list[_Edge] = []  # multi-segment parameters, in precedence order
        self.edges: dict[str, _Edge] = {}  # both of the above, by segment key
        self.routes: dict[str, _Route] = {}  # by method
        self.methods: frozenset[str] = frozenset()


class _Edge:
    """A parameter segment: its compiled regex, its conversions, and the node after it."""

    __slots__ = ("child", "converters", "order", "pattern")

    def __init__(self, segment: Segment) -> None:
        params = segment.params
        static_length = sum(len(part) for part in segment.parts if isinstance(part, str))
        mixed = 0 if static_length else 1
        self.order = (max(p.converter.priority for p in params), mixed, -static_length, segment.key)
        self.pattern = segment.pattern()
        self.converters: tuple[Callable[[str], Any], ...] = tuple(
            p.converter.to_python for p in params
        )
        self.child = _Node()

    def convert(self, text: str) -> tuple[Any, ...] | None:
        """The converted values if ``text`` matches, else None (a ValueError is no match)."""
        found = self.pattern.fullmatch(text)
        if found is None:
            return None
        try:
            return tuple(f(found[f"p{i}"]) for i, f in enumerate(self.converters))
        except ValueError:
            return None


class Matcher:
    """Rules registered with ``add``, matched with ``match``, built with ``build``."""

    def __init__(self) -> None:
        self._root = _Node()
        self._routes: list[_Route] = []
        self._endpoints: dict[str, list[_Route]] = {}

    def add(self, rule: Rule, methods: frozenset[str], endpoint: str, target: object) -> None:
        """Route ``methods`` on ``rule`` to ``target``, known to ``build`` as ``endpoint``.

        Method names are upper-cased. The route shares the tree with every rule of the
        same shape (``/a/<int:x>`` and ``/a/<int:y>``); each keeps its own names.

        Raises:
            ValueError: ``methods`` is empty.
            RouteConflictError: a rule of the same shape already has one of the methods;
                the message names both endpoints.
        """
        methods = frozenset(m.upper() for m in methods)
        if not methods:
            raise ValueError(f"rule {rule.text!r} for {endpoint!r} needs at least one method")
        node = self._root
        for segment in rule.segments:
            node = _child(node, segment)
        for method in sorted(methods & node.routes.keys()):
            other = node.routes[method]
            raise RouteConflictError(
                f"{method} {rule.text} for endpoint {endpoint!r} conflicts with "
                f"{method} {other.rule.text} already routed to endpoint {other.endpoint!r}"
            )
        route = _Route(rule, methods, endpoint, target)
        node.routes.update(dict.fromkeys(methods, route))
        node.methods |= methods
        self._routes.append(route)
        self._endpoints.setdefault(endpoint, []).append(route)

    def match(self, path_segments: list[str], method: str) -> Match:
        """What to do with a request for this path and method (see the module docstring)."""
        segments = _without_root(path_segments)
        allowed: set[str] = set()
        for node, values in _walk(self._root, segments, 0, ()):
            route = node.routes.get(method)
            if route is None and method == "HEAD":
                route = node.routes.get("GET")
            if route is not None:
                params = dict(zip(route.rule.param_names, values, strict=True))
                return Found(route.target, route.endpoint, params, route.rule)
            allowed |= node.methods
        if allowed:
            return MethodNotAllowed(_allow_header_set(allowed))
        if segments and segments[-1] != "" and _matches(self._root, [*segments, ""]):
            return Redirect()
        return NotFound()

    def allowed_methods(self, path_segments: list[str]) -> frozenset[str]:
        """Every method some rule allows on this path, with HEAD and OPTIONS; empty if none."""
        allowed: set[str] = set()
        for node, _ in _walk(self._root, _without_root(path_segments), 0, ()):
            allowed |= node.methods
        return _allow_header_set(allowed) if allowed else frozenset()

    def build(self, endpoint: str, params: dict[str, Any]) -> str:
        """The path for ``endpoint`` with ``params``; parameters no rule takes go in the query.

        The first rule registered for ``endpoint`` whose parameters are all given is used.
        Values go through their converter's ``to_url``, must match its regex (so the
        path built routes back here), and are percent-encoded (``/`` kept for ``path``).
        Query values that are lists repeat; None values are left out.

        Raises:
            BuildError: unknown endpoint (with a close name, if any); missing parameters
                (named); a value its converter refuses.
        """
        routes = self._endpoints.get(endpoint)
        if routes is None:
            raise BuildError(_unknown_endpoint(endpoint, list(self._endpoints)))
        for route in routes:
            names = route.rule.param_names
            if all(name in params for name in names):
                path = _build_path(route.rule, params, endpoint)
                query = {k: v for k, v in params.items() if k not in names and v is not None}
                return f"{path}?{urlencode(query, doseq=True)}" if query else path
        raise BuildError(_missing_params(endpoint, routes, params))

    def routes(self) -> list[RouteInfo]:
        """Every route in registration order: rule text, sorted methods, endpoint."""
        return [RouteInfo(r.rule.text, tuple(sorted(r.methods)), r.endpoint) for r in self._routes]


def _child(node: _Node, segment: Segment) -> _Node:
    """The node after ``segment``, created (and its edge placed in order) if new."""
    static = segment.static
    if static is not None:
        return node.static.setdefault(static, _Node())
    edge = node.edges.get(segment.key)
    if edge is None:
        edge = node.edges[segment.key] = _Edge(segment)
        multi = any(p.converter.multi_segment for p in segment.params)
        edges = node.tails if multi else node.dynamic
        edges.append(edge)
        edges.sort(key=lambda e: e.order)
    return edge.child


def _walk(
    node: _Node, segments: list[str], index: int, values: tuple[Any, ...]
) -> Iterator[tuple[_Node, tuple[Any, ...]]]:
    """Every node with routes that ``segments[index:]`` leads to, in precedence order."""
    if index == len(segments):
        if node.routes:
            yield node, values
        return
    segment = segments[index]
    child = node.static.get(segment)
    if child is not None:
        yield from _walk(child, segments, index + 1, values)
    if "/" not in segment:
        for edge in node.dynamic:
            converted = edge.convert(segment)
            if converted is not None:
                yield from _walk(edge.child, segments, index + 1, values + converted)
    for edge in node.tails:
        converted = edge.convert("/".join(segments[index:]))
        if converted is not None and edge.child.routes:
            yield edge.child, values + converted


def _matches(root: _Node, segments: list[str]) -> bool:
    return next(_walk(root, segments, 0, ()), None) is not None


def _without_root(path_segments: list[str]) -> list[str]:
    """The segments after the leading ``/``.

    Raises:
        ValueError: the first element is not the empty string before the leading ``/``.
    """
    if not path_segments or path_segments[0] != "":
        raise ValueError(
            f"path segments must start with '' (path.split('/')), got {path_segments!r}"
        )
    return path_segments[1:]


def _allow_header_set(methods: set[str]) -> frozenset[str]:
    if "GET" in methods:
        methods = methods | {"HEAD"}
    return frozenset(methods | {"OPTIONS"})


def _build_path(rule: Rule, params: dict[str, Any], endpoint: str) -> str:
    return "/" + "/".join(_build_segment(s, params, endpoint) for s in rule.segments)


def _build_segment(segment: Segment, params: dict[str, Any], endpoint: str) -> str:
    pieces = []
    for part in segment.parts:
        if isinstance(part, Param):
            pieces.append(_build_value(part, params[part.name], endpoint))
        else:
            pieces.append(quote(part, safe=""))
    return "".join(pieces)


def _build_value(param: Param, value: Any, endpoint: str) -> str:
    converter = param.converter
    try:
        text = converter.to_url(value)
    except (TypeError, ValueError) as error:
        raise BuildError(
            f"cannot build {endpoint!r}: {param.name}={value!r} is not a {converter.name} ({error})"
        ) from None
    if not converter.pattern().fullmatch(text) or (not converter.multi_segment and "/" in text):
        raise BuildError(
            f"cannot build {endpoint!r}: {param.name}={value!r} gives {text!r}, "
            f"which <{converter.name}:{param.name}> would not match"
        )
    return quote(text, safe="/" if converter.multi_segment else "")


def _unknown_endpoint(endpoint: str, known: list[str]) -> str:
    close = difflib.get_close_matches(endpoint, known, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"no endpoint {endpoint!r} among the {len(known)} registered{hint}"


def _missing_params(endpoint: str, routes: list[_Route], params: dict[str, Any]) -> str:
    def missing(route: _Route) -> list[str]:
        return [name for name in route.rule.param_names if name not in params]

    closest = min(routes, key=lambda route: len(missing(route)))
    return (
        f"cannot build {endpoint!r} ({closest.rule.text}): "
        f"missing parameter(s) {', '.join(missing(closest))}"
    )
