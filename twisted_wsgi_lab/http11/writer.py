"""Frame responses: status line, header fields, and a body delimited the right way.

How the body is delimited (RFC 9112 section 6.3), in order of preference:

- no body at all: HEAD, 1xx, 204 and 304 (RFC 9110 section 6.4.1);
- Content-Length when the hosted code gave it;
- chunked for an HTTP/1.1 request;
- otherwise the end of the connection (HTTP/1.0), so the connection closes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from http import HTTPStatus

from .errors import ResponseHeaderError, ResponseLengthError
from .events import RequestHead
from .grammar import comma_list

_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_FIELD_VALUE = re.compile(rb"[\t\x20-\x7e\x80-\xff]*")
_REASON = re.compile(rb"[\t\x20-\x7e\x80-\xff]*")
# The server owns the framing; these from hosted code are dropped (Connection is read).
_HOP_BY_HOP = frozenset(
    {b"connection", b"keep-alive", b"transfer-encoding", b"proxy-connection", b"upgrade", b"te"}
)

# Checking and copying the hosted code's fields was the largest part of start(), and an
# app sends the same few header lists again and again. So the outcome of copying each
# list (a pure function of the list) is kept: the next response with an equal list
# reuses it and no check is skipped, since only lists that passed every check are kept.
# Bounded in entries and in the size of each, so varying fields (cookies) cost a miss,
# never memory.
_COPIED_FIELDS_MAX_ENTRIES = 256
_COPIED_FIELDS_MAX_BYTES = 1024
_copied_fields: dict[object, _CopiedFields] = {}


# Looked up for every native response: HTTPStatus(status) is an Enum call in Python,
# so the phrases are encoded once into a plain dict.
_PHRASES = {status.value: status.phrase.encode("ascii") for status in HTTPStatus}


def reason_phrase(status: int) -> bytes:
    """The standard reason phrase for ``status``, or b"" for an unregistered code."""
    return _PHRASES.get(status, b"")


def informational(status: int = 100) -> bytes:
    """An interim 1xx response such as 100 Continue; it never carries fields here."""
    return b"HTTP/1.1 %d %s\r\n\r\n" % (status, reason_phrase(status))


def error_response(status: int, detail: str, *, server: bytes, date: bytes) -> bytes:
    """A complete plain-text response that closes the connection, for refused requests."""
    phrase = reason_phrase(status)
    body = b"%d %s: %s\n" % (status, phrase, detail.encode("ascii", "replace"))
    return b"".join(
        [
            b"HTTP/1.1 %d %s\r\n" % (status, phrase),
            b"Content-Type: text/plain; charset=utf-8\r\n",
            b"Content-Length: %d\r\n" % len(body),
            b"Connection: close\r\n",
            b"Date: " + date + b"\r\n",
            b"Server: " + server + b"\r\n\r\n",
            body,
        ]
    )


class _CopiedFields:
    """The app's fields once checked: wire bytes, Content-Length, names, Connection: close."""

    __slots__ = ("block", "closes", "length", "seen")

    def __init__(
        self, block: bytes, length: bytes | None, seen: frozenset[bytes], closes: bool
    ) -> None:
        self.block = block
        self.length = length
        self.seen = seen
        self.closes = closes


class ResponseWriter:
    """Turn one response into bytes, for the request whose head is given."""

    __slots__ = (
        "_head",
        "_mode",
        "_remaining",
        "keep_alive",
        "promised_length",
        "server",
        "status",
    )

    def __init__(self, head: RequestHead, *, server: bytes) -> None:
        self._head = head
        self.server = server
        self.status = 0
        self.keep_alive = head.keep_alive
        self._mode = ""  # "none", "length", "chunked" or "close", fixed by start()
        self._remaining = 0
        self.promised_length = 0  # the Content-Length sent, in "length" mode

    def start(
        self,
        status: int,
        reason: bytes,
        headers: Iterable[tuple[bytes, bytes]],
        *,
        date: bytes,
        known_length: int | None = None,
    ) -> bytes:
        """Return the status line and header section.

        ``known_length`` is the body's length when the server knows it although the app
        gave no Content-Length (a list of bytes, a file): it is sent as Content-Length.

        Raises:
            ResponseHeaderError: a status, reason, name or value that cannot be sent
                as it is: CR, LF or NUL would split the response (CWE-113).
        """
        status_line = _status_lines.get((status, reason)) or _status_line(status, reason)
        copied = _copy_fields(headers, keep_upgrade=status == 426)
        if copied.closes:
            self.keep_alive = False
        self.status = status
        lines = [status_line, copied.block, self._framing(status, copied.length, known_length)]
        seen = copied.seen
        if b"date" not in seen:
            lines.append(b"Date: " + date + b"\r\n")
        if b"server" not in seen:
            lines.append(_server_lines.get(self.server) or _server_line(self.server))
        lines.append(b"\r\n")
        return b"".join(lines)

    def switching(self, headers: Iterable[tuple[bytes, bytes]], *, date: bytes) -> bytes:
        """Return a ``101 Switching Protocols`` head; ``switched()`` records that it went.

        RFC 9110 section 15.2.2: only for an HTTP/1.1 request that asked to upgrade, and
        the response names the protocol in ``Upgrade``; ``Connection: upgrade`` is added.

        Raises:
            ResponseHeaderError: the request did not ask, or no Upgrade field is given.
        """
        if not self._head.upgrade:
            raise ResponseHeaderError("101 answers only a request that asked to upgrade")
        lines = [b"HTTP/1.1 101 Switching Protocols\r\n"]
        fields = list(headers)
        if not any(name.lower() == b"upgrade" for name, _ in fields):
            raise ResponseHeaderError("a 101 response must name the protocol in Upgrade")
        for name, value in fields:
            if _TOKEN.fullmatch(name) is None or _FIELD_VALUE.fullmatch(value) is None:
                raise ResponseHeaderError(f"invalid header {name!r}")
            if name.lower() not in (b"connection", b"content-length", b"transfer-encoding"):
                lines.append(name + b": " + value + b"\r\n")
        lines.append(b"Connection: Upgrade\r\nDate: " + date + b"\r\n")
        lines.append(b"Server: " + self.server + b"\r\n\r\n")
        return b"".join(lines)

    def switched(self) -> None:
        """The 101 went out: nothing more of HTTP is written on this connection."""
        self.status = 101
        self._mode = "switched"
        self.keep_alive = False

    @property
    def unsent_length(self) -> int:
        """Bytes a Content-Length promised that were not written (0 if none or not known)."""
        return self._remaining if self._mode == "length" else 0

    def _framing(self, status: int, length: bytes | None, known_length: int | None) -> bytes:
        """Choose how the body is delimited; return the fields that say so.

        Without a body (HEAD, 204, 304) the field gives the length a GET would get, so
        a ``known_length`` is used only when it is a body the app made for HEAD: an
        empty body there (or any body of a 304) says nothing of that length.
        """
        head = self._head
        if head.method == b"HEAD" or status == 204 or status == 304:
            self._mode = "none"
            if length is None and known_length and status != 204 and status != 304:
                length = b"%d" % known_length
            field = b""
            if length is not None and status != 204:
                field = b"Content-Length: " + length + b"\r\n"
        elif length is not None:
            self._mode = "length"
            self._remaining = self.promised_length = int(length)
            field = b"Content-Length: " + length + b"\r\n"
        elif known_length is not None:
            self._mode = "length"
            self._remaining = self.promised_length = known_length
            field = b"Content-Length: %d\r\n" % known_length
        elif head.version >= (1, 1):
            self._mode = "chunked"
            field = b"Transfer-Encoding: chunked\r\n"
        else:
            self._mode = "close"
            self.keep_alive = False
            field = b""
        if not self.keep_alive:
            return field + b"Connection: close\r\n"
        if head.version < (1, 1):
            return field + b"Connection: keep-alive\r\n"
        return field

    def body(self, data: bytes) -> bytes:
        """Frame a piece of the body (nothing for HEAD and bodiless statuses).

        Raises:
            ResponseLengthError: more bytes than Content-Length announced.
        """
        mode = self._mode
        if mode == "length":
            self.check_length(len(data))
            self._remaining -= len(data)
            return data
        if mode == "chunked":
            return b"%x\r\n%s\r\n" % (len(data), data) if data else b""
        if mode == "close":
            return data
        return b""

    def check_length(self, size: int) -> None:
        """Raise now if ``size`` more body bytes would overrun the Content-Length.

        Raises:
            ResponseLengthError: they would; nothing is framed.
        """
        if self._mode == "length" and size > self._remaining:
            raise ResponseLengthError("response body longer than its Content-Length")

    def end(self) -> bytes:
        """Bytes that close the body; a short Content-Length body makes us close too."""
        if self._mode == "chunked":
            return b"0\r\n\r\n"
        if self._mode == "length" and self._remaining:
            self.keep_alive = False  # the peer will wait for bytes that never come
        return b""

    @property
    def started(self) -> bool:
        """True once the status line has been produced."""
        return bool(self._mode)


# Status lines, each checked once: an app answers with a handful of (status, reason)
# pairs. Only pairs that passed are kept, so a hit is what the checks would say.
_STATUS_LINES_MAX_ENTRIES = 64
_status_lines: dict[tuple[int, bytes], bytes] = {}


def _status_line(status: int, reason: bytes) -> bytes:
    """``HTTP/1.1 status reason`` and its CRLF, checked.

    Raises:
        ResponseHeaderError: not a final status, or a control character in the reason.
    """
    if not 200 <= status <= 599:
        raise ResponseHeaderError(f"status {status} cannot be a final response")
    if _REASON.fullmatch(reason) is None:
        raise ResponseHeaderError("control character in reason phrase")
    line = b"HTTP/1.1 %d %s\r\n" % (status, reason)
    if len(_status_lines) >= _STATUS_LINES_MAX_ENTRIES:
        _status_lines.clear()
    _status_lines[status, reason] = line
    return line


# A server sends one Server value (or a handful): each line is built once.
_server_lines: dict[bytes, bytes] = {}


def _server_line(server: bytes) -> bytes:
    line = b"Server: " + server + b"\r\n"
    if len(_server_lines) >= _STATUS_LINES_MAX_ENTRIES:
        _server_lines.clear()
    _server_lines[server] = line
    return line


def _copy_fields(headers: Iterable[tuple[bytes, bytes]], *, keep_upgrade: bool) -> _CopiedFields:
    """The checked copy of ``headers``, from the cache when an equal list passed before.

    Raises:
        ResponseHeaderError: a name or value that cannot be sent.
    """
    fields = headers if type(headers) is tuple else tuple(headers)
    key = (fields, keep_upgrade)
    try:
        copied = _copied_fields.get(key)
    except TypeError:  # an unhashable item (a list pair): checked, never kept
        return _checked_fields(fields, keep_upgrade=keep_upgrade)
    if copied is None:
        copied = _checked_fields(fields, keep_upgrade=keep_upgrade)
        if len(copied.block) <= _COPIED_FIELDS_MAX_BYTES:
            if len(_copied_fields) >= _COPIED_FIELDS_MAX_ENTRIES:
                _copied_fields.clear()
            _copied_fields[key] = copied
    return copied


def _checked_fields(headers: Iterable[tuple[bytes, bytes]], *, keep_upgrade: bool) -> _CopiedFields:
    """Check and copy the app's fields.

    Framing fields are the server's: Content-Length is kept aside for ``_framing``,
    hop-by-hop fields are dropped (a ``Connection: close`` among them is honoured),
    except ``Upgrade`` when ``keep_upgrade``: a 426 must name the protocol to
    upgrade to (RFC 9110 section 15.5.22).

    Raises:
        ResponseHeaderError: a name or value that cannot be sent.
    """
    length: bytes | None = None
    seen: set[bytes] = set()
    lines: list[bytes] = []
    closes = False
    for name, value in headers:
        if _TOKEN.fullmatch(name) is None:
            raise ResponseHeaderError(f"invalid header name {name!r}")
        if _FIELD_VALUE.fullmatch(value) is None:
            raise ResponseHeaderError(f"control character in header {name!r}")
        lower = name.lower()
        if lower in _HOP_BY_HOP and not (keep_upgrade and lower == b"upgrade"):
            if lower == b"connection" and b"close" in comma_list(value):
                closes = True
        elif lower == b"content-length":
            length = _checked_length(value, length)
        else:
            seen.add(lower)
            lines.append(name + b": " + value + b"\r\n")
    return _CopiedFields(b"".join(lines), length, frozenset(seen), closes)


def _checked_length(value: bytes, previous: bytes | None) -> bytes:
    value = value.strip(b" \t")
    if not value.isdigit() or (previous is not None and previous != value):
        raise ResponseHeaderError(f"invalid Content-Length {value!r}")
    return value
