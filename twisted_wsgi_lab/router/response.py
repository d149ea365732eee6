"""What a handler may return when a plain value is not enough: status, headers, cookies.

A ``Response`` holds the whole body as bytes; a ``StreamingResponse`` holds an
iterable (sync or async) that the dispatcher pulls chunk by chunk, so a slow client
pauses the source instead of filling memory. Neither frames anything: Content-Length
or chunked is the HTTP/1.1 writer's choice, made from what the dispatcher knows.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterable, Iterable
from datetime import datetime, timedelta
from html import escape
from json import dumps
from typing import Any
from urllib.parse import quote

from .cookies import format_delete_cookie, format_set_cookie
from .headers import Headers, HeadersInput

HTML = "text/html; charset=utf-8"
JSON = "application/json"  # RFC 8259 section 11: no charset parameter, UTF-8 always
OCTET_STREAM = "application/octet-stream"

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# A control character in a Location would split the response (CWE-113).
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Printable ASCII is left as it is ('%' included, so escapes already there survive);
# space and non-ASCII text are percent-encoded as UTF-8, as an IRI becomes a URI.
_URL_SAFE = "".join(chr(code) for code in range(0x21, 0x7F))


class Response:
    """A status, header fields and a whole body.

    ``body`` is bytes; text given for it is encoded as UTF-8. Without a
    ``content_type`` argument or a Content-Type among ``headers``, text is served as
    ``text/html; charset=utf-8`` and bytes as ``application/octet-stream``, the
    defaults Flask users know. ``headers`` is copied, never shared with the caller.

    Raises:
        ValueError: ``status`` outside 100..599.
        TypeError: ``body`` neither bytes nor str, or ``headers`` not text pairs.
    """

    def __init__(
        self,
        body: bytes | str = b"",
        status: int = 200,
        headers: HeadersInput = None,
        content_type: str | None = None,
    ) -> None:
        self.headers = Headers(headers)
        # The setters below check and convert; the usual plain int and bytes pass
        # their checks as they are, so they are stored here without the calls, unless
        # a subclass has setters of its own, which must see the values.
        plain = not self._own_setters
        if plain and type(status) is int and 100 <= status <= 599:
            self._status = status
        else:
            self.status = status
        if plain and type(body) is bytes:
            self._body = body
        else:
            self.body = body
        if content_type is None and (headers is None or "Content-Type" not in self.headers):
            content_type = HTML if isinstance(body, str) else OCTET_STREAM
        if content_type is None:
            pass  # the headers given carry it
        elif plain and headers is None:  # nothing to replace: added, not searched for
            self.headers.add("Content-Type", content_type)
        else:
            self.content_type = content_type

    # True for a subclass that defines its own status, body or content_type.
    _own_setters = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._own_setters = any(
            name in vars(klass)
            for klass in cls.__mro__[: cls.__mro__.index(Response)]
            for name in ("status", "body", "content_type")
        )

    @property
    def status(self) -> int:
        """The status code; assigning one outside 100..599 raises ValueError."""
        return self._status

    @status.setter
    def status(self, status: int) -> None:
        if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
            raise ValueError(f"status must be an int from 100 to 599, not {status!r}")
        self._status = int(status)  # an HTTPStatus member becomes a plain int

    @property
    def body(self) -> bytes:
        """The body bytes; assigning text stores its UTF-8 encoding."""
        return self._body

    @body.setter
    def body(self, body: bytes | str) -> None:
        if isinstance(body, str):
            body = body.encode("utf-8")
        elif not isinstance(body, bytes):
            raise TypeError(f"body must be bytes or str, not {type(body).__name__}")
        self._body = body

    @property
    def content_type(self) -> str | None:
        """The Content-Type field; assigning None removes it."""
        return self.headers.get("Content-Type")

    @content_type.setter
    def content_type(self, value: str | None) -> None:
        if value is not None:
            self.headers["Content-Type"] = value
        elif "Content-Type" in self.headers:
            del self.headers["Content-Type"]

    def set_cookie(
        self,
        name: str,
        value: str,
        *,
        max_age: int | timedelta | None = None,
        expires: datetime | float | None = None,
        path: str | None = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: str | None = None,
    ) -> None:
        """Append a Set-Cookie field; the arguments and errors are ``format_set_cookie``'s."""
        self.headers.add(
            "Set-Cookie",
            format_set_cookie(
                name,
                value,
                max_age=max_age,
                expires=expires,
                path=path,
                domain=domain,
                secure=secure,
                httponly=httponly,
                samesite=samesite,
            ),
        )

    def delete_cookie(self, name: str, path: str | None = "/", domain: str | None = None) -> None:
        """Append a Set-Cookie field that expires ``name`` (see ``format_delete_cookie``)."""
        self.headers.add("Set-Cookie", format_delete_cookie(name, path=path, domain=domain))

    @classmethod
    def redirect(cls, url: str, status: int = 302) -> Response:
        """A redirect to ``url`` with a short HTML body for clients that do not follow.

        Spaces and non-ASCII text in ``url`` are percent-encoded as UTF-8; the rest is
        sent as given, so a relative URL stays relative. Always a plain ``Response``.

        Raises:
            ValueError: a control character (CR, LF, NUL...) in ``url``, or ``status``
                not one of 301, 302, 303, 307, 308.
        """
        if status not in REDIRECT_STATUSES:
            raise ValueError(f"redirect status must be one of 301, 302, 303, 307, 308: {status}")
        if _CONTROL.search(url):
            raise ValueError(f"control character in redirect URL {url!r}")
        location = quote(url, safe=_URL_SAFE)
        link = escape(location)
        body = f'<!doctype html>\n<title>Redirecting</title>\n<p><a href="{link}">{link}</a></p>\n'
        return Response(body, status, [("Location", location)])

    @classmethod
    def json(cls, data: object, status: int = 200, headers: HeadersInput = None) -> Response:
        """``data`` as compact UTF-8 JSON, ``application/json``. Always a plain Response.

        NaN and infinities are refused: they are not JSON, and browsers' parsers choke.

        Raises:
            TypeError: ``data`` holds something ``json`` cannot encode.
            ValueError: ``data`` holds NaN or an infinity, or a circular reference.
        """
        text = dumps(data, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        return Response(text.encode("utf-8"), status, headers, content_type=JSON)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.status} {self.content_type!r} {len(self.body)} bytes>"


class StreamingResponse(Response):
    """A response whose body comes from ``stream``, chunk by chunk.

    ``stream`` is a sync iterable or an async iterable of bytes or str chunks (str is
    sent as UTF-8). ``body`` stays ``b""``: the dispatcher sends ``stream`` instead, so it
    must test for ``StreamingResponse`` before ``Response``. Without a content type the
    default is ``application/octet-stream``: the server cannot know what the chunks
    are, and a text type with a charset would be a guess browsers might act on.

    Raises:
        TypeError: ``stream`` is bytes or str (a whole body, not chunks; use
            ``Response``) or is not iterable at all.
        ValueError: ``status`` outside 100..599.
    """

    def __init__(
        self,
        stream: Iterable[bytes | str] | AsyncIterable[bytes | str],
        status: int = 200,
        headers: HeadersInput = None,
        content_type: str | None = None,
    ) -> None:
        if isinstance(stream, (bytes, bytearray, str)):
            raise TypeError("stream must yield chunks; for a whole body use Response")
        if not isinstance(stream, (Iterable, AsyncIterable)):
            raise TypeError(f"stream must be an iterable or async iterable, not {stream!r}")
        super().__init__(b"", status, headers, content_type)
        self.stream = stream

    @property
    def is_async(self) -> bool:
        """True when ``stream`` is an async iterable, to be consumed with ``async for``."""
        return isinstance(self.stream, AsyncIterable)

    def __repr__(self) -> str:
        kind = "async" if self.is_async else "sync"
        return f"<{type(self).__name__} {self.status} {self.content_type!r} {kind} stream>"
