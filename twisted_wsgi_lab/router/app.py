"""``App``: the native router, an ``IRequestHandler`` beside the WSGI bridge.

Routes are added to one compiled matcher as they are declared, so a conflict is an
error at import time, not a surprise at the first request. Handlers take the request
first (as in Klein: no thread-locals, since coroutines interleave on one thread).
"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Callable, Iterable
from functools import cached_property
from typing import TYPE_CHECKING, Any

from zope.interface import implementer

from ..engine import ConnectionObserver, Exchange, IRequestHandler
from .converters import ConverterRegistry
from .cors import CORSPolicy
from .dispatch import Dispatch, path_segments
from .errors import HTTPError
from .matcher import Found, Match, Matcher, RouteInfo
from .middleware import Middleware
from .response import Response
from .routes import Handler, Router, Routes, RouteSpec
from .rules import parse_rule
from .sessions import SessionStore
from .static import mount_static
from .templates import Templates, TemplateSetupError

if TYPE_CHECKING:
    from .test_client import TestClient
    from .wsgi_adapter import WSGIAdapter


STATIC_MATCH_CACHE = 1024


@implementer(IRequestHandler)
class App(Routes):
    """A web application: routes, error handlers, and the engine's request handler.

    ``debug=True`` shows tracebacks in 500 pages; never in production. ``secret_key``
    (one key, or a list whose first key signs and all verify) enables
    ``request.session``; ``template_folder`` enables ``render_template``.
    """

    def __init__(
        self,
        *,
        debug: bool = False,
        secret_key: str | bytes | list[str | bytes] | None = None,
        session_cookie: str = "session",
        session_max_age_seconds: int = 14 * 24 * 3600,
        template_folder: str | os.PathLike[str] | None = None,
    ) -> None:
        self.debug = debug
        self.sessions = (
            SessionStore(
                secret_key, cookie_name=session_cookie, max_age_seconds=session_max_age_seconds
            )
            if secret_key is not None
            else None
        )
        self.templates = (
            Templates(template_folder, _caller_directory()) if template_folder else None
        )
        self.converters = ConverterRegistry()
        self.matcher = Matcher()
        self._error_handlers: dict[int | type[BaseException], Handler] = {}
        self._methods: set[str] = set()
        self._static_matches: dict[tuple[bytes, str], Found] = {}
        self.middlewares: list[Middleware] = []
        self.before_hooks: list[Handler] = []
        self.after_hooks: list[Handler] = []
        self.connection_observers: list[ConnectionObserver] = []

    def __repr__(self) -> str:
        return f"<App with {len(self.matcher.routes())} routes>"

    # -- declaring ----------------------------------------------------------------

    def _register(self, spec: RouteSpec) -> None:
        rule = parse_rule(spec.rule, self.converters)
        self.matcher.add(rule, spec.methods, spec.endpoint, spec.handler)
        self._methods |= spec.methods
        self._static_matches.clear()  # a new rule may change what a path matches

    def match(self, raw_path: bytes, method: str) -> Match:
        """Match the still-encoded path; a static route's match is remembered.

        A route with no parameter always matches the same way, so its match is kept
        (up to ``STATIC_MATCH_CACHE`` paths, so odd spellings cannot grow it for ever).

        Raises:
            HTTPError: 400 for a path that is not UTF-8.
        """
        key = (raw_path, method)
        found = self._static_matches.get(key)
        if found is not None:
            return found
        match = self.matcher.match(path_segments(raw_path), method)
        if (
            isinstance(match, Found)
            and not match.rule.param_names
            and len(self._static_matches) < STATIC_MATCH_CACHE
        ):
            self._static_matches[key] = match
        return match

    def include(self, router: Router, prefix: str = "") -> None:
        """Add every route of ``router`` under ``prefix`` (``"/api"``)."""
        if prefix and (not prefix.startswith("/") or prefix.endswith("/")):
            raise ValueError(f"prefix {prefix!r}: start with '/' and do not end with one")
        for spec in router.specs:
            self._register(dataclasses.replace(spec, rule=prefix + spec.rule))

    def add_converter(
        self,
        name: str,
        regex: str,
        to_python: Callable[[str], Any] = str,
        to_url: Callable[[Any], str] = str,
    ) -> None:
        """Make ``<name:param>`` usable in rules declared from now on."""
        self.converters.add(name, regex, to_python, to_url)

    def static(
        self,
        url_prefix: str,
        directory: str | os.PathLike[str],
        *,
        endpoint: str = "static",
        index: str | None = "index.html",
    ) -> None:
        """Serve the files under ``directory`` at ``url_prefix`` (docs/static.md).

        GET and HEAD, with validators, 304s and single ranges; anything outside the
        directory, or not a regular file, is a 404. ``url_for(endpoint, filename=...)``
        builds a file's URL; mount several directories under distinct endpoints.

        Raises:
            ValueError: ``url_prefix`` does not start with '/' or ends with one.
            NotADirectoryError: ``directory`` is not a directory.
        """
        mount_static(self, url_prefix, directory, endpoint=endpoint, index=index)

    def errorhandler(self, key: int | type[BaseException]) -> Callable[[Handler], Handler]:
        """Handle a status (``404``) or an exception class; called as ``(request, error)``."""
        if isinstance(key, int) and not 400 <= key <= 599:
            raise ValueError(f"errorhandler({key}): only 4xx and 5xx statuses are errors")

        def register(handler: Handler) -> Handler:
            self._error_handlers[key] = handler
            return handler

        return register

    def middleware(self, function: Middleware) -> Middleware:
        """Wrap every request: ``async def mw(request, call_next)``; first is outermost."""
        self.middlewares.append(function)
        return function

    def before_request(self, function: Handler) -> Handler:
        """Call ``function(request)`` before the route; a return value answers instead."""
        self.before_hooks.append(function)
        return function

    def after_request(self, function: Handler) -> Handler:
        """Call ``function(request, response)`` on every response; it returns the response."""
        self.after_hooks.append(function)
        return function

    def add_observer(self, observer: ConnectionObserver) -> None:
        """Tell ``observer`` every event of the connections this App is served on.

        Wherever the App is served (``labweb``, ``twistd labweb``, ``HTTPFactory(app)``,
        the test client), the factory registers these observers; add them before
        serving starts, as a factory sees only the observers it was built with.
        """
        self.connection_observers.append(observer)

    def add_cors(
        self,
        allow_origins: str | list[str] = "*",
        allow_methods: list[str] | None = None,
        allow_headers: list[str] | None = None,
        allow_credentials: bool = False,
        expose_headers: list[str] | None = None,
        max_age: int = 600,
    ) -> None:
        """Answer CORS preflights and mark allowed cross-origin responses (outermost)."""
        policy = CORSPolicy(
            allow_origins,
            allow_methods=allow_methods,
            allow_headers=allow_headers,
            allow_credentials=allow_credentials,
            expose_headers=expose_headers,
            max_age=max_age,
        )
        self.middlewares.insert(0, policy.middleware)

    def render_template(self, name: str, /, **context: Any) -> Response:
        """Render ``name`` from ``template_folder`` with ``context`` (autoescaped HTML).

        Raises:
            TemplateSetupError: no ``template_folder``, or Jinja2 is not installed.
        """
        if self.templates is None:
            raise TemplateSetupError("render_template needs App(template_folder=...)")
        return Response(self.templates.render(name, context))

    # -- looking up ---------------------------------------------------------------

    def error_handler_for(self, error: BaseException) -> Handler | None:
        """The handler for ``error``: by status for an HTTPError, else by class (MRO)."""
        handlers = self._error_handlers
        if isinstance(error, HTTPError) and error.status in handlers:
            return handlers[error.status]
        for cls in type(error).__mro__:
            if cls in handlers:
                return handlers[cls]
        if not isinstance(error, HTTPError) and 500 in handlers:
            return handlers[500]
        return None

    def url_for(self, endpoint: str, **params: Any) -> str:
        """The path of ``endpoint`` with ``params``; extra params become the query string.

        Raises:
            BuildError: an unknown endpoint, or a missing parameter (named).
        """
        return self.matcher.build(endpoint, params)

    @property
    def routes(self) -> list[RouteInfo]:
        """Every route: rule, methods and endpoint, in the order they were declared."""
        return self.matcher.routes()

    def all_methods(self) -> frozenset[str]:
        """Every method some route takes (for ``OPTIONS *``)."""
        methods = set(self._methods)
        if "GET" in methods:
            methods.add("HEAD")
        return frozenset(methods)

    # -- serving ------------------------------------------------------------------

    def handle(self, exchange: Exchange) -> None:
        """IRequestHandler: answer one request."""
        Dispatch(self, exchange).run()

    @cached_property
    def wsgi(self) -> WSGIAdapter:
        """This App as a PEP 3333 callable (for gunicorn or any WSGI server)."""
        from .wsgi_adapter import WSGIAdapter

        return WSGIAdapter(self)

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        """An App is a WSGI callable too, as a Flask app is: ``gunicorn module:app``."""
        return self.wsgi(environ, start_response)

    def test_client(self) -> TestClient:
        """A client that drives the real protocol in memory: no sockets, no reactor."""
        from .test_client import TestClient

        return TestClient(self)


def _caller_directory() -> str:
    """The directory of the module that made the App: relative folders start there."""
    frame = sys._getframe(2)
    filename = frame.f_globals.get("__file__")
    return os.path.dirname(os.path.abspath(filename)) if filename else os.getcwd()
