"""Turn a request line and its field lines into a validated ``RequestHead``.

The rules here decide how a message is framed and routed, so each one follows the
MUST of RFC 9112 and refuses what the RFC lets a recipient refuse: when two servers
read one message two ways, requests get smuggled between them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NoReturn

from .errors import ProtocolError
from .events import Headers, RequestHead
from .grammar import (
    ABSOLUTE_TARGET,
    FIELD_LINE,
    FIELD_VALUE,
    HOST,
    OTHER_VERSION,
    REQUEST_HEAD,
    REQUEST_LINE,
    check_percent_encoding,
    comma_list,
    valid_host,
)
from .limits import Limits


def parse_head(block: bytes, limits: Limits) -> RequestHead:
    """Parse everything before the empty line that ends a request head.

    Raises:
        ProtocolError: 400 for bad syntax, 414 for a long request line, 431 for too many
            fields, 413 for a body over the limit, 417, 501 or 505 as RFC 9110 says.
    """
    lines = block.split(b"\r\n")
    request_line = lines[0]
    match = REQUEST_HEAD.fullmatch(block)
    if (
        match is None
        or len(request_line) > limits.max_request_line_bytes
        or len(lines) - 1 > limits.max_header_count
    ):
        _refuse(block, lines, limits)
    method, target, major, minor = match.groups()
    if major != b"1":
        raise ProtocolError("HTTP version not supported", status=505)
    # Every line is now known to be ``token ":" value``: split each at its first colon,
    # which cannot be inside the name, instead of matching two patterns per line.
    fields = []
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        fields.append((name.lower(), value.strip(b" \t")))
    return interpret(method, target, _VERSIONS[minor], tuple(fields), limits)


_VERSIONS = {b"%d" % minor: (1, minor) for minor in range(10)}


def _refuse(block: bytes, lines: list[bytes], limits: Limits) -> NoReturn:
    """Raise the error for a head that ``REQUEST_HEAD`` or a limit refused.

    The rules are tried in the order a reader meets them, so the answer names the
    first thing wrong: a bare LF, then the limits, the request line, the field lines.
    """
    if block.count(b"\n") != len(lines) - 1:  # every LF must be part of a CRLF
        raise ProtocolError("bare LF in request head: lines must end with CRLF")
    if len(lines[0]) > limits.max_request_line_bytes:
        raise ProtocolError("request line too long", status=414)
    if len(lines) - 1 > limits.max_header_count:
        raise ProtocolError("too many header fields", status=431)
    parse_request_line(lines[0])
    parse_fields(lines[1:])
    raise AssertionError(f"REQUEST_HEAD refused a head no rule refuses: {block!r}")


def parse_request_line(line: bytes) -> tuple[bytes, bytes, tuple[int, int]]:
    """Split ``method SP request-target SP HTTP-version`` (RFC 9112 section 3)."""
    match = REQUEST_LINE.fullmatch(line)
    if match is None:
        other = OTHER_VERSION.fullmatch(line)
        if other is not None and other.group(1) != b"1":
            raise ProtocolError("HTTP version not supported", status=505)
        raise ProtocolError("invalid request line")
    method, target, major, minor = match.groups()
    if major != b"1":
        raise ProtocolError("HTTP version not supported", status=505)
    return method, target, (1, int(minor))


def parse_fields(lines: list[bytes]) -> Headers:
    """Parse field lines; names are lower-cased, wire order is kept.

    obs-fold (a line starting with whitespace) is refused with 400, which RFC 9112
    section 5.2 allows, and so is whitespace between a field name and its colon, which
    section 5.1 requires.
    """
    fields = []
    for line in lines:
        match = FIELD_LINE.fullmatch(line)
        value = match.group(2).strip(b" \t") if match is not None else b""
        if match is None or FIELD_VALUE.fullmatch(value) is None:
            raise ProtocolError(_field_problem(line))
        fields.append((match.group(1).lower(), value))
    return tuple(fields)


def _field_problem(line: bytes) -> str:
    if line[:1] in (b" ", b"\t"):
        return "obsolete line folding in header field"
    name, colon, _ = line.partition(b":")
    if not colon:
        return "header field without a colon"
    if name != name.rstrip(b" \t"):
        return "whitespace between header field name and colon"
    if not name:
        return "empty header field name"
    return "invalid character in header field"


# One-byte tests as ints: ``b"#" in target`` makes CPython first try the bytes as an
# index, raise a TypeError and clear it, five times the cost of ``0x23 in target``.
_HASH, _PERCENT = ord("#"), ord("%")

# RequestHead(...) runs the named tuple's generated __new__, a Python function of
# twelve arguments: with keywords it was the dearest step of a small head. The parser
# builds every head through tuple.__new__ instead, with the fields in this order.
_new_tuple = tuple.__new__
_HEAD_FIELDS = (
    "method",
    "target",
    "version",
    "headers",
    "path",
    "query",
    "authority",
    "content_length",
    "chunked",
    "keep_alive",
    "expects_continue",
    "upgrade",
)
assert RequestHead._fields == _HEAD_FIELDS, "RequestHead's fields moved: update interpret()"

# The fields that decide framing and routing, gathered in one pass over the head.
_FRAMING_FIELDS = frozenset(
    {b"content-length", b"transfer-encoding", b"connection", b"expect", b"upgrade"}
)
_ABSENT: tuple[bytes, ...] = ()


def interpret(
    method: bytes, target: bytes, version: tuple[int, int], headers: Headers, limits: Limits
) -> RequestHead:
    """Apply the routing and framing rules to a syntactically valid head."""
    # Only the framing fields a request carries get a list: most carry Host alone, and
    # lists built and thrown away per request showed in the profile.
    hosts: list[bytes] = []
    fields: dict[bytes, list[bytes]] = {}
    for name, value in headers:
        if name == b"host":
            hosts.append(value)
        elif name in _FRAMING_FIELDS:
            found = fields.get(name)
            if found is None:
                fields[name] = [value]
            else:
                found.append(value)
    _form, path, query, target_authority = split_target(method, target)
    authority = _host(hosts, version, target_authority)
    if fields:
        content_length, chunked, keep_alive, expects_continue, upgrade = _framing(
            fields, version, limits
        )
    else:
        # Most requests carry no framing field but Host: no body, no Expect, no
        # Upgrade, and the version alone decides keep-alive.
        content_length, chunked, keep_alive = None, False, version >= (1, 1)
        expects_continue = upgrade = False
    return _new_tuple(  # the fields in _HEAD_FIELDS order
        RequestHead,
        (
            method,
            target,
            version,
            headers,
            path,
            query,
            authority,
            content_length,
            chunked,
            keep_alive,
            expects_continue,
            upgrade,
        ),
    )


def _framing(
    fields: dict[bytes, list[bytes]], version: tuple[int, int], limits: Limits
) -> tuple[int | None, bool, bool, bool, bool]:
    """(content_length, chunked, keep_alive, expects_continue, upgrade) from the fields."""
    get = fields.get
    content_length = _content_length(get(b"content-length", _ABSENT), limits)
    chunked = _chunked(get(b"transfer-encoding", _ABSENT))
    if chunked and content_length is not None:
        raise ProtocolError("both Content-Length and Transfer-Encoding")
    connection = _list(get(b"connection", _ABSENT))
    if version >= (1, 1):
        keep_alive = b"close" not in connection
    else:
        keep_alive = b"keep-alive" in connection and b"close" not in connection
    if chunked and version < (1, 1):
        keep_alive = False  # RFC 9112 section 6.1: faulty framing, close after it
    expects_continue = _expects_continue(get(b"expect", _ABSENT), version)
    upgrade = b"upgrade" in fields and b"upgrade" in connection and version >= (1, 1)
    return content_length, chunked, keep_alive, expects_continue, upgrade


def split_target(method: bytes, target: bytes) -> tuple[str, bytes, bytes, bytes]:
    """Return (form, path, query, authority) for the four forms of RFC 9112 section 3.2."""
    if _HASH in target:
        raise ProtocolError("fragment in request-target")
    if _PERCENT in target:  # the check is a regex search; most targets have no '%' at all
        check_percent_encoding(target)
    if target[:1] == b"/":
        if method == b"CONNECT":
            raise ProtocolError("CONNECT needs an authority-form target")
        path, _, query = target.partition(b"?")
        return "origin", path, query, b""
    if target == b"*":
        if method != b"OPTIONS":
            raise ProtocolError("asterisk-form is only for OPTIONS")
        return "asterisk", b"*", b"", b""
    if method == b"CONNECT":
        if HOST.fullmatch(target) is None or b":" not in target.rpartition(b"]")[2]:
            raise ProtocolError("invalid authority-form target")
        return "authority", b"", b"", target
    absolute = ABSOLUTE_TARGET.fullmatch(target)
    if absolute is None:
        raise ProtocolError("invalid request-target")
    scheme, authority, rest = absolute.groups()
    if scheme.lower() not in (b"http", b"https"):
        raise ProtocolError("absolute-form target with a scheme other than http(s)")
    host = (
        authority.rpartition(b":")[0]
        if authority.rfind(b":") > authority.rfind(b"]")
        else authority
    )
    if not host or b"@" in authority or HOST.fullmatch(authority) is None:
        raise ProtocolError("invalid authority in absolute-form target")  # RFC 9110 4.2.1
    path, _, query = rest.partition(b"?")
    return "absolute", path or b"/", query, authority


# A server hears the same few Host values again and again: each one found valid is
# kept, and the next request naming it skips the pattern. Only values that passed are
# kept, so a hit is the answer the check would give; bounded, so a client inventing
# hosts costs a miss, never memory.
_VALID_HOSTS_MAX_ENTRIES = 256
_valid_hosts: set[bytes] = set()


def _host(hosts: Sequence[bytes], version: tuple[int, int], target_authority: bytes) -> bytes:
    """Host rules of RFC 9112 section 3.2: exactly one on HTTP/1.1, always valid."""
    if len(hosts) > 1:
        raise ProtocolError("more than one Host header field")
    if not hosts:
        if version >= (1, 1):
            raise ProtocolError("HTTP/1.1 request without Host")
    elif hosts[0] not in _valid_hosts:
        if not valid_host(hosts[0]):
            raise ProtocolError("invalid Host header field")
        if len(_valid_hosts) >= _VALID_HOSTS_MAX_ENTRIES:
            _valid_hosts.clear()
        _valid_hosts.add(hosts[0])
    if target_authority:
        return target_authority  # the target's authority wins over Host
    return hosts[0] if hosts else b""


def _content_length(fields: Sequence[bytes], limits: Limits) -> int | None:
    """Digits only; repeats allowed only when identical (RFC 9110 section 8.6)."""
    if not fields:
        return None
    values = [item.strip(b" \t") for value in fields for item in value.split(b",")]
    if any(not value.isdigit() or not value.isascii() for value in values):
        raise ProtocolError("invalid Content-Length")
    if len(set(values)) > 1:
        raise ProtocolError("conflicting Content-Length values")
    digits = values[0].lstrip(b"0") or b"0"
    if len(digits) > 19 or int(digits) > limits.max_body_bytes:
        raise ProtocolError("request body larger than the limit", status=413)
    return int(digits)


def _chunked(fields: Sequence[bytes]) -> bool:
    """Transfer-Encoding must be exactly a final ``chunked`` (RFC 9112 section 6.3)."""
    if not fields:
        return False
    codings = _list(fields)
    if not codings or codings[-1] != b"chunked":
        raise ProtocolError("Transfer-Encoding without a final chunked")
    if len(codings) > 1:
        if b"chunked" in codings[:-1]:
            raise ProtocolError("chunked applied more than once")
        raise ProtocolError("transfer coding not implemented", status=501)
    return True


def _expects_continue(fields: Sequence[bytes], version: tuple[int, int]) -> bool:
    """``Expect: 100-continue`` counts from HTTP/1.1 on (RFC 9110 section 10.1.1).

    Only a member other than 100-continue earns 417; empty members are ignored and a
    repeated 100-continue is still just that.
    """
    if not fields or version < (1, 1):
        return False
    members = set(_list(fields))
    if members - {b"100-continue"}:
        raise ProtocolError("unsupported expectation", status=417)
    return bool(members)


def _list(fields: Sequence[bytes]) -> list[bytes]:
    """The elements of every line of one list-valued field, in order."""
    return [item for value in fields for item in comma_list(value)]
