"""PEP 3333's ``start_response``: status and headers checked and kept until sent."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Any

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


class StartResponse:
    """The ``start_response`` callable for one application call.

    Errors are raised while the application is still running, as the PEP asks, so it
    can see them: a status that is not ``"NNN reason"`` or headers that are not a list
    of (str, str) tuples raise at once. CR/LF inside values are refused later by the
    writer, which turns them into a 500 before anything is sent.
    """

    def __init__(self, send: Callable[[bytes], None]) -> None:
        self._send = send  # how the serving mode puts body bytes out
        self.status: tuple[int, bytes] | None = None
        self.headers: tuple[tuple[bytes, bytes], ...] = ()
        self.head_sent = False

    def __call__(
        self,
        status: str,
        response_headers: list[tuple[str, str]],
        exc_info: ExcInfo | None = None,
    ) -> Callable[[bytes], None]:
        if exc_info is not None:
            try:
                if self.head_sent:
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None  # break the traceback cycle, as the PEP advises
        elif self.status is not None:
            raise AssertionError("start_response() called again without exc_info")
        self.status = parse_status(status)
        self.headers = encode_headers(response_headers)
        return self.write

    def rebind(self, send: Callable[[bytes], None]) -> None:
        """Send body bytes through ``send`` from now on (the call that made it is over)."""
        self._send = send

    def write(self, data: bytes) -> None:
        """PEP 3333's write() callable: the bytes go out before the returned iterable."""
        if self.status is None:
            raise AssertionError("write() called before start_response()")
        check_body_bytes(data, "write()")
        if data:
            self._send(data)


def check_body_bytes(data: object, source: str) -> bytes:
    """Return ``data`` if it is bytes; a str is the usual mistake.

    Raises:
        TypeError: naming ``source`` and the type given.
    """
    if type(data) is not bytes:
        raise TypeError(f"{source} gave {type(data).__name__}, not bytes")
    return data


# Apps answer with a handful of status lines; each one is split and checked once. Only
# exact str values that passed are kept, so a hit is the very answer a check would give.
_STATUS_CACHE_MAX_ENTRIES = 64
_parsed_statuses: dict[str, tuple[int, bytes]] = {}


def parse_status(status: Any) -> tuple[int, bytes]:
    """Split ``"200 OK"`` into (200, b"OK").

    Raises:
        TypeError: not a str.
        ValueError: not three digits, a space and a latin-1 reason.
    """
    if type(status) is not str:
        raise TypeError(f"status must be str, not {type(status).__name__}")
    parsed = _parsed_statuses.get(status)
    if parsed is not None:
        return parsed
    code = status[:3]
    if status[3:4] != " " or not ("100" <= code <= "599" and code.isdigit()):
        raise ValueError(f"status must look like '200 OK', got {status!r}")
    parsed = int(code), status[4:].encode("latin-1")
    if len(_parsed_statuses) >= _STATUS_CACHE_MAX_ENTRIES:
        _parsed_statuses.clear()
    _parsed_statuses[status] = parsed
    return parsed


# Apps send the same few header lists again and again; each distinct list is encoded
# once. The checks run on every call, so what is refused never depends on what was
# seen before; a list that passed them is str pairs only, equal exactly when their
# encodings are. Bounded in entries and in the size of each, so varying headers
# (cookies) cost a miss, never memory.
_ENCODED_MAX_ENTRIES = 256
_ENCODED_MAX_BYTES = 1024
_encoded_headers: dict[tuple[tuple[str, str], ...], tuple[tuple[bytes, bytes], ...]] = {}


def encode_headers(headers: Any) -> tuple[tuple[bytes, bytes], ...]:
    """Encode a list of (name, value) str tuples to latin-1 bytes.

    Raises:
        TypeError: not a list of 2-tuples of str.
        UnicodeEncodeError: a name or value outside latin-1.
    """
    if type(headers) is not list:
        raise TypeError(f"response headers must be a list, not {type(headers).__name__}")
    for item in headers:
        if type(item) is not tuple or len(item) != 2:
            raise TypeError(f"each response header must be a (name, value) tuple: {item!r}")
        if type(item[0]) is not str or type(item[1]) is not str:
            raise TypeError(f"header names and values must be str: {item!r}")
    key = tuple(headers)
    encoded = _encoded_headers.get(key)
    if encoded is None:
        encoded = tuple([(name.encode("latin-1"), value.encode("latin-1")) for name, value in key])
        if sum([len(name) + len(value) for name, value in encoded]) <= _ENCODED_MAX_BYTES:
            if len(_encoded_headers) >= _ENCODED_MAX_ENTRIES:
                _encoded_headers.clear()
            _encoded_headers[key] = encoded
    return encoded
