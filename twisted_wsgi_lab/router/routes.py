"""Registering routes: ``@route`` and its method shortcuts, shared by ``App`` and ``Router``.

A ``Router`` only records what it is given; ``App.include(router, prefix=...)`` adds
its routes to the App's one matcher. Methods default to GET alone: a route that took
every method by default would take a DELETE nobody meant to allow.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import suppress
from dataclasses import dataclass
from typing import Any, TypeVar
from weakref import WeakSet

Handler = Callable[..., Any]
H = TypeVar("H", bound=Handler)

KNOWN_METHODS = frozenset(
    {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "QUERY"}
)


# Every function a route decorator has registered, so a decorator meant to go under the
# route's (the lab's ``@fault``) can refuse to be put above it, where it would change
# nothing the router calls.
_ROUTED: WeakSet[Handler] = WeakSet()


def is_routed(handler: Handler) -> bool:
    """True when ``handler`` is already registered by a route decorator."""
    try:
        return handler in _ROUTED
    except TypeError:  # not weakly referenceable: not something we registered
        return False


@dataclass(frozen=True)
class RouteSpec:
    """One registration: a rule, its methods, the endpoint name and the handler."""

    rule: str
    methods: frozenset[str]
    endpoint: str
    handler: Handler


def _methods(methods: Iterable[str] | None) -> frozenset[str]:
    if methods is None:
        return frozenset({"GET"})
    if isinstance(methods, str):
        raise TypeError(f"methods={methods!r}: give a list, such as methods=[{methods!r}]")
    chosen = frozenset(method.upper() for method in methods)
    if not chosen:
        raise ValueError("methods=[]: a route needs at least one method")
    unknown = sorted(chosen - KNOWN_METHODS)
    if unknown:
        raise ValueError(f"unknown HTTP methods {unknown}; known: {sorted(KNOWN_METHODS)}")
    return chosen


def _remember(handler: Handler) -> None:
    with suppress(TypeError):  # a callable object without weak references
        _ROUTED.add(handler)


class Routes:
    """The decorators; subclasses decide what registering means (``_register``)."""

    def route(
        self, rule: str, methods: Iterable[str] | None = None, endpoint: str | None = None
    ) -> Callable[[H], H]:
        """Register the decorated function for ``rule`` and ``methods`` (GET by default)."""
        chosen = _methods(methods)

        def register(handler: H) -> H:
            name = endpoint or getattr(handler, "__name__", None) or repr(handler)
            self._register(RouteSpec(rule, chosen, name, handler))
            _remember(handler)
            return handler

        return register

    def get(self, rule: str, endpoint: str | None = None) -> Callable[[H], H]:
        """``route(rule, methods=["GET"])``; HEAD is answered by it too."""
        return self.route(rule, ["GET"], endpoint)

    def post(self, rule: str, endpoint: str | None = None) -> Callable[[H], H]:
        """``route(rule, methods=["POST"])``."""
        return self.route(rule, ["POST"], endpoint)

    def put(self, rule: str, endpoint: str | None = None) -> Callable[[H], H]:
        """``route(rule, methods=["PUT"])``."""
        return self.route(rule, ["PUT"], endpoint)

    def patch(self, rule: str, endpoint: str | None = None) -> Callable[[H], H]:
        """``route(rule, methods=["PATCH"])``."""
        return self.route(rule, ["PATCH"], endpoint)

    def delete(self, rule: str, endpoint: str | None = None) -> Callable[[H], H]:
        """``route(rule, methods=["DELETE"])``."""
        return self.route(rule, ["DELETE"], endpoint)

    def websocket(self, rule: str, endpoint: str | None = None) -> Callable[[H], H]:
        """Register ``async def handler(ws, **params)`` for WebSocket handshakes on ``rule``.

        Raises:
            TypeError: the handler is not an ``async def`` function.
        """
        from .ws_route import WebSocketRoute

        def register(handler: H) -> H:
            name = endpoint or getattr(handler, "__name__", None) or repr(handler)
            target = WebSocketRoute(handler)
            self._register(RouteSpec(rule, frozenset({"GET"}), name, target))
            return handler

        return register

    def _register(self, spec: RouteSpec) -> None:
        raise NotImplementedError


class Router(Routes):
    """A group of routes to include in an App under a prefix: ``app.include(router, "/api")``."""

    def __init__(self) -> None:
        self.specs: list[RouteSpec] = []

    def _register(self, spec: RouteSpec) -> None:
        self.specs.append(spec)
