"""Cookies: reading a ``Cookie`` header leniently, writing ``Set-Cookie`` strictly.

Reading follows what browsers send rather than the letter of RFC 6265: a malformed
pair is skipped, never an error, because one bad cookie set by some other page on the
same domain must not break every request. Writing refuses whatever a browser would
drop in silence (a name that is not a token, ``SameSite=None`` without ``Secure``, a
``__Host-`` cookie with a Domain), so the mistake shows where it was made.

Values: RFC 6265 section 4.1.1 allows only cookie-octets (printable ASCII without
space, DQUOTE, comma, semicolon and backslash), bare or between double quotes. Any
other value is encoded as UTF-8 and written between double quotes with each byte
outside cookie-octet as a backslash and three octal digits, the convention Python's
``http.cookies`` reads too. ``parse_cookie_header`` undoes it.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime, formatdate

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_COOKIE_OCTETS = frozenset(
    b"\x21"
    + bytes(range(0x23, 0x2C))  # not ","
    + bytes(range(0x2D, 0x3B))  # not ";"
    + bytes(range(0x3C, 0x5C))  # not "\"
    + bytes(range(0x5D, 0x7F))
)
_ESCAPE = re.compile(r"\\([0-3][0-7]{2}|.)", re.DOTALL)
# Path and Domain values: any CHAR but controls and ';' (RFC 6265 section 4.1.1); a
# Domain has no spaces either.
_PATH = re.compile(r"/[\x20-\x3a\x3c-\x7e]*")
_DOMAIN = re.compile(r"[\x21-\x3a\x3c-\x7e]+")
_PATH_RULE = "it must start with '/' and hold no control character or ';'"
_DOMAIN_RULE = "it must be non-empty ASCII with no space, control character or ';'"
_SAME_SITE = {"strict": "Strict", "lax": "Lax", "none": "None"}
# Cookie name prefixes (RFC 6265bis section 4.1.3), matched case-insensitively.
_SECURE_PREFIXES = ("__secure-", "__host-")


def parse_cookie_header(value: str) -> dict[str, str]:
    """The cookies of a ``Cookie`` request header, name to value.

    Pairs are split on ';' and stripped; a pair without '=' or with an empty name is
    skipped. The first occurrence of a name wins: browsers send the cookie with the
    longest matching path first (RFC 6265 section 5.4). A double-quoted value is
    unquoted. ``value`` may be wire text decoded as latin-1 (as ``Headers`` gives it):
    bytes that form UTF-8 are read as UTF-8, anything else stays latin-1.
    """
    cookies: dict[str, str] = {}
    for pair in value.split(";"):
        name, equals, raw = pair.partition("=")
        name = name.strip()
        if equals and name and name not in cookies:
            cookies[name] = _unquote(raw.strip())
    return cookies


def format_set_cookie(
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
) -> str:
    """A ``Set-Cookie`` field value.

    ``expires`` is a datetime (a naive one is taken as UTC) or seconds since the epoch;
    ``max_age`` is seconds or a timedelta. ``samesite`` is Strict, Lax or None in any
    case. ``path=None`` leaves the Path attribute out (the browser then uses the
    request's directory); the default "/" sends the cookie to the whole site.

    Raises:
        ValueError: the name is not a token; samesite is unknown, or "None" without
            secure; a ``__Secure-``/``__Host-`` name breaks its prefix's rules; the
            path does not start with '/' or holds a control or ';'; the domain is
            empty or holds a space, a control or ';'.
        TypeError: value is not str, or max_age not an int or timedelta.
    """
    if not _TOKEN.fullmatch(name):
        raise ValueError(f"cookie name {name!r} is not a token")
    if not isinstance(value, str):
        raise TypeError(f"cookie value must be str, got {value!r}")
    _check_prefix(name, secure=secure, path=path, domain=domain)
    parts = [f"{name}={quote_cookie_value(value)}", *_lifetime(expires, max_age)]
    parts += _scope(domain, path)
    parts += [flag for flag, wanted in (("Secure", secure), ("HttpOnly", httponly)) if wanted]
    if samesite is not None:
        parts.append(f"SameSite={_same_site(samesite, secure=secure)}")
    return "; ".join(parts)


def format_delete_cookie(name: str, *, path: str | None = "/", domain: str | None = None) -> str:
    """A ``Set-Cookie`` value that makes the browser drop ``name`` now.

    Max-Age=0 for current browsers and an Expires in 1970 for old ones. The cookie is
    matched by name, path and domain, so give the ones it was set with. A
    ``__Secure-``/``__Host-`` cookie gets ``Secure``: without it the browser would
    refuse this Set-Cookie and keep the cookie.

    Raises:
        ValueError: as ``format_set_cookie`` for the name, path and domain.
    """
    secure = name.lower().startswith(_SECURE_PREFIXES)
    return format_set_cookie(
        name, "", max_age=0, expires=0, path=path, domain=domain, secure=secure
    )


def quote_cookie_value(value: str) -> str:
    """``value`` as it goes after ``name=``: bare when it is all cookie-octets, else quoted.

    Quoted form: UTF-8 bytes, each one outside cookie-octet written as ``\\ooo``.
    """
    raw = value.encode("utf-8")
    if all(byte in _COOKIE_OCTETS for byte in raw):
        return value
    escaped = "".join(chr(byte) if byte in _COOKIE_OCTETS else f"\\{byte:03o}" for byte in raw)
    return f'"{escaped}"'


def _unquote(value: str) -> str:
    """The text of a cookie value, quoted or bare, from wire text."""
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return _decode(_unescape(value[1:-1]))
    return _decode(_wire_bytes(value))


def _unescape(text: str) -> bytes:
    """Bytes of a quoted value's inside: ``\\ooo`` is one byte, ``\\x`` is ``x``."""
    raw = bytearray()
    position = 0
    for match in _ESCAPE.finditer(text):
        raw += _wire_bytes(text[position : match.start()])
        escaped = match.group(1)
        raw += bytes([int(escaped, 8)]) if len(escaped) == 3 else _wire_bytes(escaped)
        position = match.end()
    raw += _wire_bytes(text[position:])
    return bytes(raw)


def _wire_bytes(text: str) -> bytes:
    """The bytes behind wire text (latin-1), or UTF-8 for text that never was on a wire."""
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8")


def _decode(raw: bytes) -> str:
    """UTF-8 when the bytes are UTF-8; else latin-1, which is what ``http.cookies`` wrote."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _lifetime(expires: datetime | float | None, max_age: int | timedelta | None) -> list[str]:
    parts = []
    if expires is not None:
        parts.append(f"Expires={_http_date(expires)}")
    if max_age is not None:
        parts.append(f"Max-Age={_seconds(max_age)}")
    return parts


def _scope(domain: str | None, path: str | None) -> list[str]:
    parts = []
    if domain is not None:
        parts.append(f"Domain={_attribute('Domain', domain, _DOMAIN, _DOMAIN_RULE)}")
    if path is not None:
        parts.append(f"Path={_attribute('Path', path, _PATH, _PATH_RULE)}")
    return parts


def _check_prefix(name: str, *, secure: bool, path: str | None, domain: str | None) -> None:
    """Browsers drop a prefixed cookie that breaks its rules (RFC 6265bis section 4.1.3)."""
    lowered = name.lower()
    if lowered.startswith(_SECURE_PREFIXES) and not secure:
        raise ValueError(f"cookie {name!r}: its prefix requires secure=True")
    if lowered.startswith("__host-") and (path != "/" or domain is not None):
        raise ValueError(f"cookie {name!r}: a __Host- cookie needs path='/' and no domain")


def _same_site(samesite: str, *, secure: bool) -> str:
    canonical = _SAME_SITE.get(samesite.lower())
    if canonical is None:
        raise ValueError(f"samesite must be Strict, Lax or None, not {samesite!r}")
    if canonical == "None" and not secure:
        raise ValueError("samesite='None' requires secure=True: browsers refuse it otherwise")
    return canonical


def _http_date(expires: datetime | float) -> str:
    """IMF-fixdate (RFC 9110 section 5.6.7), the only date form to send."""
    if isinstance(expires, datetime):
        if expires.tzinfo is None:
            expires = expires.replace(tzinfo=timezone.utc)
        return format_datetime(expires.astimezone(timezone.utc), usegmt=True)
    return formatdate(expires, usegmt=True)


def _seconds(max_age: int | timedelta) -> int:
    if isinstance(max_age, timedelta):
        return int(max_age.total_seconds())
    if isinstance(max_age, bool) or not isinstance(max_age, int):
        raise TypeError(f"max_age must be an int or a timedelta, got {max_age!r}")
    return max_age


def _attribute(label: str, value: str, pattern: re.Pattern[str], rule: str) -> str:
    if not pattern.fullmatch(value):
        raise ValueError(f"cookie {label} {value!r} refused: {rule}")
    return value
