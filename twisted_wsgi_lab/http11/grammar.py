"""The ABNF of RFC 9110/9112 that labweb checks, as compiled patterns and small checks.

Each pattern is strict on purpose: every lenient reading (whitespace in a chunk size,
bare LF, a space before a colon) has been a request-smuggling vector somewhere.
"""

from __future__ import annotations

import re

from .errors import ProtocolError

_TCHAR = rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]"
TOKEN = re.compile(_TCHAR + rb"+")

# method SP request-target SP HTTP-version (RFC 9112 section 3): single spaces only.
REQUEST_LINE = re.compile(rb"(" + _TCHAR + rb"+) ([\x21-\x7e]+) HTTP/([0-9])\.([0-9])")
# Anything shaped like a request line but naming another protocol version: 505, not 400.
OTHER_VERSION = re.compile(rb"\S+ \S+ HTTP/([0-9])\.[0-9]")  # DIGIT "." DIGIT only

# field-name ":" OWS field-value OWS (RFC 9112 section 5), in two linear steps: split
# at the colon, then strip OWS and check the value. One pattern with a lazy value between
# two OWS runs backtracks cubically on a long run of spaces before a bad byte.
FIELD_LINE = re.compile(rb"(" + _TCHAR + rb"+):(.*)", re.DOTALL)
# The value admits HTAB, SP, VCHAR and obs-text; every other control byte (CR, LF and
# NUL included) is refused.
FIELD_VALUE = re.compile(rb"[\t\x20-\x7e\x80-\xff]*")
# A whole head at once: REQUEST_LINE, then each field line after the CRLF that ends the
# line before, with the checks of FIELD_LINE and FIELD_VALUE. One linear pass (no class
# here admits CR or LF, so each line's end is certain) instead of two patterns per line.
# A head it refuses is checked again rule by rule, to name the problem.
REQUEST_HEAD = re.compile(
    REQUEST_LINE.pattern + rb"(?:\r\n" + _TCHAR + rb"+:[\t\x20-\x7e\x80-\xff]*)*"
)

_PCT_BROKEN = re.compile(rb"%(?![0-9A-Fa-f]{2})")
ABSOLUTE_TARGET = re.compile(rb"([A-Za-z][A-Za-z0-9+.\-]*)://([^/?#]*)([^#]*)")

# uri-host [ ":" port ] (RFC 3986 section 3.2.2); an empty Host is allowed.
_REG_NAME = rb"(?:[A-Za-z0-9\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})*"
_IP_LITERAL = rb"\[[0-9A-Za-z:.\-_~!$&'()*+,;=%]+\]"
HOST = re.compile(rb"(?:" + _IP_LITERAL + rb"|" + _REG_NAME + rb")(?::[0-9]*)?")
# A subset of HOST (a name or IPv4 address of the usual characters, an optional port)
# that a single character class matches: ``re`` walks HOST's group of alternatives once
# per character, which made it the dearest check of a request head. What this refuses
# is still tried against HOST, so the two accept exactly what HOST alone accepts.
_PLAIN_HOST = re.compile(rb"[A-Za-z0-9.\-]*(?::[0-9]*)?")


def valid_host(value: bytes) -> bool:
    """True if ``value`` is ``uri-host [ ":" port ]`` (an empty one included)."""
    return _PLAIN_HOST.fullmatch(value) is not None or HOST.fullmatch(value) is not None


_QUOTED = rb'"(?:[\t \x21\x23-\x5b\x5d-\x7e\x80-\xff]|\\[\t \x21-\x7e\x80-\xff])*"'
# chunk-size [ chunk-ext ] (RFC 9112 section 7.1.1), exactly:
#   chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
# so whitespace may stand only before a ';' and around '=', never alone after the size
# or at the end of the line.
CHUNK_LINE = re.compile(
    rb"([0-9A-Fa-f]+)((?:[ \t]*;[ \t]*"
    + _TCHAR
    + rb"+(?:[ \t]*=[ \t]*(?:"
    + _TCHAR
    + rb"+|"
    + _QUOTED
    + rb"))?)*)"
)


def comma_list(value: bytes) -> list[bytes]:
    """Split a #rule list, dropping empty elements and OWS (RFC 9110 section 5.6.1)."""
    return [item.strip(b" \t").lower() for item in value.split(b",") if item.strip(b" \t")]


def check_percent_encoding(part: bytes) -> None:
    """Refuse a '%' not followed by two hex digits: decoding it later would guess."""
    if _PCT_BROKEN.search(part):
        raise ProtocolError("malformed percent-encoding in request-target")


def chunk_size(line: bytes, *, limit: int) -> int:
    """Return the size announced by one chunk-size line.

    Extensions after ';' are checked against the grammar and skipped (RFC 9112 section
    7.1.1). The size is hex digits only; whitespace may follow it only where the grammar
    puts BWS, before a ';'. Lenient size parsing is a classic request-smuggling vector.
    The limit is checked before a body byte is buffered.

    Raises:
        ProtocolError: not hex or bad extensions (400), or larger than ``limit`` (413).
    """
    match = CHUNK_LINE.fullmatch(line)
    if match is None:
        raise ProtocolError("invalid chunk-size line")
    digits = match.group(1).lstrip(b"0") or b"0"
    if len(digits) > 16:
        raise ProtocolError("chunk size too large", status=413)
    size = int(digits, 16)
    if size > limit:
        raise ProtocolError("request body larger than the limit", status=413)
    return size
