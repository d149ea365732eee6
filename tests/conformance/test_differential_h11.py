"""Differential test: labweb's RequestParser and h11 must read a request the same way.

Both parsers get the same bytes: generated requests, then mutated at the byte level.
Each answer is reduced to a ``Verdict``: the request head (method, target, version,
fields, framing), the body, the trailers and the offset where the message ended, or a
refusal. When the verdicts disagree, the disagreement must be one of
``KNOWN_DIFFERENCES``: a named predicate over the bytes, each carrying the sentence of
RFC 9110/9112 that allows labweb's reading. Anything else is a bug in one of the two.

How each parser is read and normalised lives in ``h11_differential``. A verdict still
waiting for bytes is undecided, not a refusal: h11 refuses some unfinished heads early
(a first byte below 0x21) where labweb waits for the whole head.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from h11_differential import (
    Fields,
    H11Reading,
    Head,
    LabwebReading,
    Outcome,
    Verdict,
    disagreement,
    read_with_h11,
    read_with_labweb,
)
from hypothesis import HealthCheck, example, given, settings
from mutated_requests import mutated, requests

from twisted_wsgi_lab.http11 import EndOfMessage, Limits


@dataclass(frozen=True)
class Observation:
    """Everything a known difference may look at."""

    data: bytes
    ours: Verdict
    theirs: Verdict
    labweb: LabwebReading
    h11: H11Reading


@dataclass(frozen=True)
class KnownDifference:
    name: str
    stricter: str  # the parser that refuses: "labweb" or "h11"
    rfc: str  # the sentence that allows labweb's reading
    applies: Callable[[Observation], bool]

    def explains(self, seen: Observation) -> bool:
        """True when the stricter parser did not accept and the predicate holds.

        Not accepting includes still waiting: labweb, which ends a trailer section only
        at CRLF CRLF, waits for one where h11 already took a bare LF as the end.
        """
        stricter = seen.ours if self.stricter == "labweb" else seen.theirs
        return stricter.outcome is not Outcome.ACCEPTED and self.applies(seen)


# Independent readings of the RFC grammar, so a predicate does not borrow labweb's code.
_CTL_IN_VALUE = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
_PCT_ENCODED_OK = re.compile(rb"(?:[^%]|%[0-9A-Fa-f]{2})*")
_URI_HOST = (
    rb"(?:\[(?:[0-9A-Fa-f:.]+|v[0-9A-Fa-f]+\.[A-Za-z0-9\-._~!$&'()*+,;=:]+)\]"
    rb"|(?:[A-Za-z0-9\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})*)"
)
_HOST_FIELD = re.compile(_URI_HOST + rb"(?::[0-9]*)?")  # RFC 9110 section 7.2
_AUTHORITY_FORM = re.compile(_URI_HOST + rb":[0-9]*")  # RFC 9112 section 3.2.3
_ABSOLUTE_URI = re.compile(rb"[A-Za-z][A-Za-z0-9+\-.]*:[^#]*")  # RFC 3986 section 4.3
_HTTP_URI = re.compile(  # RFC 9110 section 4.2.1, with a non-empty host
    rb"(?i:https?)://(?!:|[/?]|$)" + _URI_HOST + rb"(?::[0-9]*)?(?:[/?][^#]*)?"
)
_TCHAR = rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]"
_QUOTED = rb'"(?:[\t \x21\x23-\x5b\x5d-\x7e\x80-\xff]|\\[\t \x21-\x7e\x80-\xff])*"'
_CHUNK_LINE = re.compile(  # RFC 9112 section 7.1.1, BWS included
    rb"[0-9A-Fa-f]+(?:[ \t]*;[ \t]*"
    + _TCHAR
    + rb"+(?:[ \t]*=[ \t]*(?:"
    + _TCHAR
    + rb"+|"
    + _QUOTED
    + rb"))?)*"
)


def _lines(block: bytes) -> list[bytes]:
    return [line.removesuffix(b"\r") for line in block.split(b"\n")]


def _values(fields: Fields, name: bytes) -> list[bytes]:
    return [value for key, value in fields if key == name]


def _list_members(values: list[bytes]) -> list[bytes]:
    return [m.strip(b" \t").lower() for v in values for m in v.split(b",") if m.strip(b" \t")]


def _their_head(seen: Observation) -> Head | None:
    return seen.theirs.head


def _obs_fold(seen: Observation) -> bool:
    field_lines = _lines(seen.h11.head_bytes)[1:] + _lines(seen.h11.trailer_bytes)
    return any(line[:1] in (b" ", b"\t") for line in field_lines)


def _bare_lf(seen: Observation) -> bool:
    block = seen.h11.head_bytes + seen.h11.trailer_bytes
    return block.count(b"\n") != block.count(b"\r\n")


def _ctl_in_field_value(seen: Observation) -> bool:
    head = _their_head(seen)
    fields = (head.fields if head else ()) + seen.h11.verdict.trailers
    return any(_CTL_IN_VALUE.search(value) for _, value in fields)


def _invalid_host(seen: Observation) -> bool:
    head = _their_head(seen)
    hosts = _values(head.fields, b"host") if head else []
    return any(_HOST_FIELD.fullmatch(host) is None for host in hosts)


def _higher_minor_version_without_host(seen: Observation) -> bool:
    head = _their_head(seen)
    if head is None or not head.version.startswith(b"1."):
        return False
    return head.version > b"1.1" and not _values(head.fields, b"host")


def _unsupported_major_version(seen: Observation) -> bool:
    head = _their_head(seen)
    return head is not None and not head.version.startswith(b"1.")


def _target_outside_grammar(seen: Observation) -> bool:
    head = _their_head(seen)
    if head is None:
        return False
    target = head.target
    if b"#" in target or _PCT_ENCODED_OK.fullmatch(target) is None:
        return True
    known_form = (
        target.startswith(b"/")
        or target == b"*"
        or _AUTHORITY_FORM.fullmatch(target) is not None
        or _ABSOLUTE_URI.fullmatch(target) is not None
    )
    return not known_form


def _target_form_not_for_method(seen: Observation) -> bool:
    head = _their_head(seen)
    if head is None:
        return False
    if head.method == b"CONNECT":
        return _AUTHORITY_FORM.fullmatch(head.target) is None
    if head.target == b"*":
        return head.method != b"OPTIONS"
    authority_form = _AUTHORITY_FORM.fullmatch(head.target) is not None
    return authority_form and _HTTP_URI.fullmatch(head.target) is None


def _absolute_form_not_an_http_uri(seen: Observation) -> bool:
    head = _their_head(seen)
    if head is None or head.method == b"CONNECT" or head.target.startswith(b"/"):
        return False
    absolute = _ABSOLUTE_URI.fullmatch(head.target) is not None
    return absolute and _HTTP_URI.fullmatch(head.target) is None  # userinfo fails it too


def _unsupported_expectation(seen: Observation) -> bool:
    head = _their_head(seen)
    if head is None or head.version < b"1.1":
        return False
    members = _list_members(_values(head.fields, b"expect"))
    return any(member != b"100-continue" for member in members)


def _length_and_chunked(seen: Observation) -> bool:
    names = {name for name, _ in seen.h11.fields}
    return {b"content-length", b"transfer-encoding"} <= names


def _body_over_limit(seen: Observation) -> bool:
    head = _their_head(seen)
    limit = Limits().max_body_bytes
    if head is None:
        return False
    if head.content_length is not None:
        return head.content_length > limit
    sizes = [line.split(b";")[0].strip(b" \t") for line in seen.h11.chunk_lines]
    sizes = [size for size in sizes if re.fullmatch(rb"[0-9A-Fa-f]+", size)]
    return sum(int(size, 16) for size in sizes) > limit


def _chunk_line_outside_grammar(seen: Observation) -> bool:
    return any(_CHUNK_LINE.fullmatch(line) is None for line in seen.h11.chunk_lines)


def _bws_before_chunk_extension(seen: Observation) -> bool:
    return any(
        re.match(rb"[0-9A-Fa-f]+[ \t]+;", line) and _CHUNK_LINE.fullmatch(line)
        for line in seen.h11.chunk_lines
    )


def _leading_empty_line(seen: Observation) -> bool:
    return seen.data.startswith(b"\r\n") and seen.theirs.head is None


def _transfer_encoding_list_h11_will_not_split(seen: Observation) -> bool:
    head = seen.ours.head
    if head is None or not head.chunked:
        return False
    return _values(head.fields, b"transfer-encoding") != [b"chunked"]


def _framing_fields_in_trailers(seen: Observation) -> bool:
    ends = [event for event in seen.labweb.events if isinstance(event, EndOfMessage)]
    names = {name for end in ends for name, _ in end.trailers}
    return bool(names & {b"content-length", b"transfer-encoding"})


_LONG_NUMERAL = re.compile(rb"^(?:content-length:[ \t]*)?[0-9a-f]{21}", re.I | re.M)


def _long_numerals(seen: Observation) -> bool:
    return _LONG_NUMERAL.search(seen.data) is not None


KNOWN_DIFFERENCES: tuple[KnownDifference, ...] = (
    KnownDifference(
        "obs-fold refused",
        "labweb",
        "RFC 9112 section 5.2: A server that receives an obs-fold in a request message that"
        ' is not within a "message/http" container MUST either reject the message by'
        " sending a 400 (Bad Request), preferably with a representation explaining that"
        " obsolete line folding is unacceptable, or replace each received obs-fold with one"
        " or more SP octets prior to interpreting the field value or forwarding the message"
        " downstream.",
        _obs_fold,
    ),
    KnownDifference(
        "bare LF refused as a line terminator",
        "labweb",
        "RFC 9112 section 2.2: Although the line terminator for the start-line and fields is"
        " the sequence CRLF, a recipient MAY recognize a single LF as a line terminator and"
        " ignore any preceding CR.",
        _bare_lf,
    ),
    KnownDifference(
        "control characters refused in field values",
        "labweb",
        "RFC 9110 section 5.5: Field values containing other CTL characters are also"
        " invalid; however, recipients MAY retain such characters for the sake of"
        " robustness when they appear within a safe context (e.g., an application-specific"
        " quoted string that will not be processed by any downstream HTTP parser).",
        _ctl_in_field_value,
    ),
    KnownDifference(
        "invalid Host refused",
        "labweb",
        "RFC 9112 section 3.2: A server MUST respond with a 400 (Bad Request) status code to"
        " any HTTP/1.1 request message that lacks a Host header field and to any request"
        " message that contains more than one Host header field line or a Host header field"
        " with an invalid field value.",
        _invalid_host,
    ),
    KnownDifference(
        "HTTP/1.x above 1.1 read as 1.1, so Host is required",
        "labweb",
        "RFC 9110 section 2.5: A recipient that receives a message with a major version"
        " number that it implements and a minor version number higher than what it"
        " implements SHOULD process the message as if it were in the highest minor version"
        " within that major version to which the recipient is conformant.",
        _higher_minor_version_without_host,
    ),
    KnownDifference(
        "major version other than 1 refused with 505",
        "labweb",
        "RFC 9110 section 15.6.6: The 505 (HTTP Version Not Supported) status code indicates"
        " that the server does not support, or refuses to support, the major version of HTTP"
        " that was used in the request message.",
        _unsupported_major_version,
    ),
    KnownDifference(
        "request-target outside the grammar (fragment, bad %-encoding, no form)",
        "labweb",
        "RFC 9112 section 3: Recipients of an invalid request-line SHOULD respond with either"
        " a 400 (Bad Request) error or a 301 (Moved Permanently) redirect with the"
        " request-target properly encoded.",
        _target_outside_grammar,
    ),
    KnownDifference(
        "asterisk-form only for OPTIONS, authority-form only and always for CONNECT",
        "labweb",
        "RFC 9112 section 3.2.3: The authority-form of request-target is only used for"
        " CONNECT requests. Section 3.2.4: The asterisk-form of request-target is only used"
        " for a server-wide OPTIONS request.",
        _target_form_not_for_method,
    ),
    KnownDifference(
        "absolute-form that is not an http(s) URI with a host and without userinfo",
        "labweb",
        'RFC 9110 section 4.2.4: Before making use of an "http" or "https" URI reference'
        " received from an untrusted source, a recipient SHOULD parse for userinfo and treat"
        " its presence as an error. Section 4.2.1: A recipient that processes such a URI"
        " reference [with an empty host identifier] MUST reject it as invalid. Section 7.4:"
        " the server decides whether to process the request itself, forward the request to"
        " another server, redirect the client to a different resource, respond with an"
        " error, or drop the connection.",
        _absolute_form_not_an_http_uri,
    ),
    KnownDifference(
        "expectation other than 100-continue refused with 417",
        "labweb",
        "RFC 9110 section 10.1.1: A server that receives an Expect field value containing a"
        " member other than 100-continue MAY respond with a 417 (Expectation Failed) status"
        " code to indicate that the unexpected expectation cannot be met.",
        _unsupported_expectation,
    ),
    KnownDifference(
        "Content-Length with Transfer-Encoding refused",
        "labweb",
        "RFC 9112 section 6.1: A server MAY reject a request that contains both"
        " Content-Length and Transfer-Encoding or process such a request in accordance with"
        " the Transfer-Encoding alone.",
        _length_and_chunked,
    ),
    KnownDifference(
        "body larger than Limits.max_body_bytes refused with 413",
        "labweb",
        "RFC 9110 section 15.5.14: The 413 (Content Too Large) status code indicates that"
        " the server is refusing to process a request because the request content is larger"
        " than the server is willing or able to process.",
        _body_over_limit,
    ),
    KnownDifference(
        "chunk-size line outside the chunk grammar (trailing whitespace, raw bytes in extensions)",
        "labweb",
        "RFC 9112 section 2.2: When a server listening only for HTTP request messages, or"
        " processing what appears from the start-line to be an HTTP request message,"
        " receives a sequence of octets that does not match the HTTP-message grammar aside"
        " from the robustness exceptions listed above, the server SHOULD respond with a 400"
        " (Bad Request) response and close the connection.",
        _chunk_line_outside_grammar,
    ),
    KnownDifference(
        "BWS before ';' in a chunk-size line read (h11 refuses it)",
        "h11",
        'RFC 9112 section 7.1.1: chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS'
        " chunk-ext-val ] ). RFC 9110 section 5.6.3: A recipient MUST parse for such bad"
        " whitespace and remove it before interpreting the protocol element.",
        _bws_before_chunk_extension,
    ),
    KnownDifference(
        "empty lines before the request-line skipped (h11 refuses them)",
        "h11",
        "RFC 9112 section 2.2: In the interest of robustness, a server that is expecting to"
        " receive and parse a request-line SHOULD ignore at least one empty line (CRLF)"
        " received prior to the request-line.",
        _leading_empty_line,
    ),
    KnownDifference(
        "Transfer-Encoding read as a list: empty elements and repeated lines (h11 wants"
        " exactly one line 'chunked')",
        "h11",
        "RFC 9110 section 5.6.1.2: A recipient MUST parse and ignore a reasonable number of"
        " empty list elements: enough to handle common mistakes by senders that merge"
        " values, but not so much that they could be used as a denial-of-service mechanism.",
        _transfer_encoding_list_h11_will_not_split,
    ),
    KnownDifference(
        "framing fields in trailers ignored, not validated (h11 validates them)",
        "h11",
        "RFC 9110 section 6.5.2: a recipient MUST NOT merge a trailer field into a header"
        " section unless the recipient understands the corresponding header field definition"
        " and that definition explicitly permits and defines how trailer field values can"
        " be safely merged.",
        _framing_fields_in_trailers,
    ),
    KnownDifference(
        "numerals longer than 20 digits read (h11 caps Content-Length and chunk-size)",
        "h11",
        "RFC 9110 section 8.6: Content-Length = 1*DIGIT; RFC 9112 section 7.1: chunk-size ="
        " 1*HEXDIG. Recipients MUST anticipate potentially large hexadecimal numerals and"
        " prevent parsing errors due to integer conversion overflows or precision loss due"
        " to integer representation.",
        _long_numerals,
    ),
)


def observe(data: bytes) -> tuple[Observation, str | None]:
    labweb, theirs = read_with_labweb(data), read_with_h11(data)
    seen = Observation(data, labweb.verdict, theirs.verdict, labweb, theirs)
    return seen, disagreement(labweb.verdict, theirs.verdict)


def explanations(seen: Observation) -> list[str]:
    return [d.name for d in KNOWN_DIFFERENCES if d.explains(seen)]


def check_agreement(data: bytes) -> None:
    """Assert that every disagreement on ``data`` is explained.

    h11 refuses the empty lines labweb skips before a request-line, so a stream that
    starts with them is compared a second time without them: the rest must still agree.
    """
    variants = [data]
    while data.startswith(b"\r\n"):
        data = data[2:]
    if data is not variants[0]:
        variants.append(data)
    for variant in variants:
        seen, problem = observe(variant)
        if problem is not None:
            assert explanations(seen), (
                f"{problem} and no known difference explains it:\n"
                f"  bytes  {variant!r}\n  labweb {seen.ours}\n  h11    {seen.theirs}"
            )


# Tests --------------------------------------------------------------------------------

_CHUNKED_HEAD = b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated(requests()))
@example(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
@example(b"POST /u HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhelloGET / HTTP/1.1\r\n")
@example(_CHUNKED_HEAD + b'3;x="y"\r\nabc\r\n0\r\nT: v\r\n\r\n')
@example(b"GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n")  # obs-fold
@example(b"GET / HTTP/1.1\nHost: a\n\n")  # bare LF
@example(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1 \r\nx\r\n0\r\n\r\n")
@example(_CHUNKED_HEAD.replace(b"a\r\n", b"a\r\nContent-Length: 1\r\n") + b"0\r\n\r\n")
@example(b"\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n")  # leading empty line
@example(b"GET /a#b HTTP/1.1\r\nHost: a\r\n\r\n")
@example(b"GET * HTTP/1.1\r\nHost: a\r\n\r\n")
@example(b"GET / HTTP/2.0\r\n\r\n")
@example(b"GET / HTTP/1.1\r\nHost: a\r\nX: \x01\r\n\r\n")
def test_labweb_and_h11_agree_on_every_request_but_the_known_differences(data: bytes) -> None:
    check_agreement(data)


@pytest.mark.parametrize("difference", KNOWN_DIFFERENCES, ids=lambda d: d.name[:40])
def test_every_known_difference_names_its_rfc_sentence(difference: KnownDifference) -> None:
    assert difference.stricter in ("labweb", "h11")
    assert difference.rfc.startswith("RFC 911")


_SAMPLES = {
    "obs-fold refused": b"GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n",
    "bare LF refused as a line terminator": b"GET / HTTP/1.1\nHost: a\n\n",
    "control characters refused in field values": b"GET / HTTP/1.1\r\nHost: a\r\nX: \x7f\r\n\r\n",
    "invalid Host refused": b"GET / HTTP/1.1\r\nHost: a/b\r\n\r\n",
    "HTTP/1.x above 1.1 read as 1.1, so Host is required": b"GET / HTTP/1.2\r\n\r\n",
    "major version other than 1 refused with 505": b"GET / HTTP/2.0\r\n\r\n",
    "request-target outside the grammar (fragment, bad %-encoding, no form)": (
        b"GET /%zz HTTP/1.1\r\nHost: a\r\n\r\n"
    ),
    "asterisk-form only for OPTIONS, authority-form only and always for CONNECT": (
        b"CONNECT / HTTP/1.1\r\nHost: a\r\n\r\n"
    ),
    "absolute-form that is not an http(s) URI with a host and without userinfo": (
        b"GET http://u@h/ HTTP/1.1\r\nHost: a\r\n\r\n"
    ),
    "expectation other than 100-continue refused with 417": (
        b"GET / HTTP/1.1\r\nHost: a\r\nExpect: fancy\r\n\r\n"
    ),
    "Content-Length with Transfer-Encoding refused": (
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
    ),
    "body larger than Limits.max_body_bytes refused with 413": (
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999\r\n\r\n"
    ),
    "chunk-size line outside the chunk grammar (trailing whitespace, raw bytes in extensions)": (
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1\t\r\nx\r\n0\r\n\r\n"
    ),
    "BWS before ';' in a chunk-size line read (h11 refuses it)": (
        _CHUNKED_HEAD + b"1 ;a\r\nx\r\n0\r\n\r\n"
    ),
    "empty lines before the request-line skipped (h11 refuses them)": (
        b"\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"
    ),
    "Transfer-Encoding read as a list: empty elements and repeated lines (h11 wants"
    " exactly one line 'chunked')": (
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked,\r\n\r\n0\r\n\r\n"
    ),
    "framing fields in trailers ignored, not validated (h11 validates them)": (
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"0\r\nContent-Length: x\r\n\r\n"
    ),
    "numerals longer than 20 digits read (h11 caps Content-Length and chunk-size)": (
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0000000000000000000001\r\n\r\nx"
    ),
}


@pytest.mark.parametrize("name", sorted(_SAMPLES))
def test_each_known_difference_is_seen_and_explained_on_a_sample(name: str) -> None:
    seen, problem = observe(_SAMPLES[name])
    assert problem is not None
    assert name in explanations(seen)


@pytest.mark.parametrize(
    "expect",
    [b"Expect:\r\n", b"Expect: 100-continue, 100-continue\r\n", b"Expect: ,\r\n"],
)
def test_an_expect_field_without_other_members_is_not_refused(expect: bytes) -> None:
    data = b"GET / HTTP/1.1\r\nHost: a\r\n" + expect + b"\r\n"
    assert read_with_labweb(data).verdict.outcome is Outcome.ACCEPTED


@pytest.mark.parametrize("target", [b"http://:80/x", b"https://:443", b"http://:/"])
def test_an_absolute_form_target_with_an_empty_host_is_refused(target: bytes) -> None:
    """RFC 9110 section 4.2.1: a recipient MUST reject an http URI with an empty host.

    Not a disagreement with h11, which takes any target: found reading the predicates.
    """
    data = b"GET " + target + b" HTTP/1.1\r\nHost: a\r\n\r\n"
    assert read_with_labweb(data).verdict.outcome is Outcome.REJECTED
