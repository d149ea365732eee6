"""Property: the one-pattern check of a whole head refuses exactly what the rules do.

``parse_head`` matches the request line and every field line with one pattern and
only falls back to checking rule by rule to name what is wrong. Whatever the bytes,
it must end as the rules alone would: the same head, or the same error.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from twisted_wsgi_lab.http11 import Limits, ProtocolError, RequestHead
from twisted_wsgi_lab.http11.head import interpret, parse_fields, parse_head, parse_request_line

_PIECES = [
    b"GET",
    b"OPTIONS",
    b" ",
    b"  ",
    b"/",
    b"/a?b",
    b"*",
    b"http://h/",
    b"HTTP/1.1",
    b"HTTP/1.0",
    b"HTTP/2.0",
    b"HTTP/1",
    b"\r\n",
    b"\n",
    b"\r",
    b"Host",
    b"host",
    b":",
    b"a",
    b"1",
    b"\t",
    b"\x00",
    b"\x7f",
    b"\x80",
    b"x-y",
    b"Content-Length",
    b"Connection",
    b"close",
    b"Transfer-Encoding",
    b"chunked",
]
_VALID_START = b"GET / HTTP/1.1\r\nHost: a"
_HEADS = st.one_of(
    st.lists(st.sampled_from(_PIECES), max_size=16).map(b"".join),
    st.lists(st.sampled_from(_PIECES), max_size=8).map(lambda p: _VALID_START + b"".join(p)),
)


def _rule_by_rule(block: bytes, limits: Limits) -> object:
    """Each rule in turn, with no shared pattern: the meaning parse_head must keep."""
    lines = block.split(b"\r\n")
    if block.count(b"\n") != len(lines) - 1:
        raise ProtocolError("bare LF in request head: lines must end with CRLF")
    if len(lines[0]) > limits.max_request_line_bytes:
        raise ProtocolError("request line too long", status=414)
    if len(lines) - 1 > limits.max_header_count:
        raise ProtocolError("too many header fields", status=431)
    method, target, version = parse_request_line(lines[0])
    return interpret(method, target, version, parse_fields(lines[1:]), limits)


def _outcome(parse: object, block: bytes, limits: Limits) -> object:
    try:
        return parse(block, limits)  # type: ignore[operator]
    except ProtocolError as error:
        return (error.status, str(error))


@settings(max_examples=600, deadline=None)
@given(_HEADS, st.sampled_from([Limits(), Limits(max_request_line_bytes=12, max_header_count=2)]))
def test_the_whole_head_pattern_ends_as_the_rules_do(block: bytes, limits: Limits) -> None:
    assert _outcome(parse_head, block, limits) == _outcome(_rule_by_rule, block, limits)


def test_the_property_sees_both_good_and_refused_heads() -> None:
    limits = Limits()
    assert _outcome(parse_head, _VALID_START, limits) == _outcome(
        _rule_by_rule, _VALID_START, limits
    )
    assert isinstance(_outcome(parse_head, _VALID_START, limits), RequestHead)
    refused = _VALID_START + b"\r\nX : y"
    assert _outcome(parse_head, refused, limits) == (
        400,
        "whitespace between header field name and colon",
    )
