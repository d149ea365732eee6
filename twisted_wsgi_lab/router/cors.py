"""CORS: which other origins' pages may call this App from a browser (the Fetch standard).

A preflight (``OPTIONS`` with ``Origin`` and ``Access-Control-Request-Method``) is
answered here, without reaching a handler. Other requests from an allowed origin get
``Access-Control-Allow-Origin``; a disallowed one gets none, so the browser keeps the
answer from the page. ``Vary: Origin`` is sent whenever the answer depends on the
origin, so a cache never serves one origin's answer to another. ``*`` is never sent
with credentials: the browser would refuse it, so the origin is echoed instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from twisted.internet.defer import Deferred

from .response import Response

if TYPE_CHECKING:
    from .request import Request

DEFAULT_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]


class CORSConfigError(ValueError):
    """``add_cors`` was given something no browser could use."""


def _check_origin(origin: str) -> str:
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path or parts.query:
        raise CORSConfigError(
            f"allow_origins: {origin!r} is not an origin such as 'https://example.com'"
            " (scheme and host, no path, no trailing slash)"
        )
    return origin


class CORSPolicy:
    """One App's CORS rules, applied by ``middleware``."""

    def __init__(
        self,
        allow_origins: str | list[str],
        *,
        allow_methods: list[str] | None,
        allow_headers: list[str] | None,
        allow_credentials: bool,
        expose_headers: list[str] | None,
        max_age: int,
    ) -> None:
        if isinstance(allow_origins, str) and allow_origins != "*":
            raise CORSConfigError("allow_origins: give '*' or a list of origins")
        self.any_origin = allow_origins == "*"
        self.origins = set() if self.any_origin else {_check_origin(o) for o in allow_origins}
        self.methods = [m.upper() for m in (allow_methods or DEFAULT_METHODS)]
        self.headers = [h.lower() for h in (allow_headers or [])]
        self.credentials = allow_credentials
        self.expose = expose_headers or []
        self.max_age = max_age

    def allows(self, origin: str) -> bool:
        return self.any_origin or origin in self.origins

    @property
    def varies(self) -> bool:
        """True when the answer depends on the Origin (anything but a plain ``*``)."""
        return not self.any_origin or self.credentials

    def middleware(
        self, request: Request, call_next: Callable[[Request], Deferred[Response]]
    ) -> Any:
        origin = request.headers.get("origin")
        if origin is None:
            return call_next(request)
        wanted = request.headers.get("access-control-request-method")
        if request.method == "OPTIONS" and wanted is not None:
            return self.preflight(origin, wanted, request)
        return call_next(request).addCallback(self._mark, origin)

    def preflight(self, origin: str, method: str, request: Request) -> Response:
        """The answer to a preflight: what the browser may send, or why not."""
        asked = request.headers.get("access-control-request-headers") or ""
        wanted_headers = [h.strip().lower() for h in asked.split(",") if h.strip()]
        refusal = self._refusal(origin, method.upper(), wanted_headers)
        response = Response(refusal or b"", status=400 if refusal else 204)
        if self.varies:
            response.headers.add("Vary", "Origin")
        if refusal:
            return response
        self._allow_origin(response, origin)
        response.headers["Access-Control-Allow-Methods"] = ", ".join(self.methods)
        if wanted_headers:
            allowed = wanted_headers if "*" in self.headers else self.headers
            response.headers["Access-Control-Allow-Headers"] = ", ".join(allowed)
        response.headers["Access-Control-Max-Age"] = str(self.max_age)
        return response

    def _refusal(self, origin: str, method: str, headers: list[str]) -> str | None:
        if not self.allows(origin):
            return f"CORS: origin {origin} is not allowed"
        if method not in self.methods:
            return f"CORS: method {method} is not allowed"
        if "*" not in self.headers:
            extra = sorted(set(headers) - set(self.headers))
            if extra:
                return f"CORS: headers {', '.join(extra)} are not allowed"
        return None

    def _mark(self, response: Response, origin: str) -> Response:
        if self.varies:
            response.headers.add("Vary", "Origin")
        if self.allows(origin):
            self._allow_origin(response, origin)
            if self.expose:
                response.headers["Access-Control-Expose-Headers"] = ", ".join(self.expose)
        return response

    def _allow_origin(self, response: Response, origin: str) -> None:
        if self.any_origin and not self.credentials:
            response.headers["Access-Control-Allow-Origin"] = "*"
            return
        response.headers["Access-Control-Allow-Origin"] = origin  # never * with credentials
        if self.credentials:
            response.headers["Access-Control-Allow-Credentials"] = "true"
