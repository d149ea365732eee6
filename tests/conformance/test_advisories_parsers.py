"""One regression test per published request-parser advisory, with bytes written for labweb.

Sources: the GitHub security advisories, NVD records and HackerOne reports of h11,
llhttp (Node.js) and aiohttp, and the server-side bug list in TROPHIES.md of
narfindustries/http-garden (the ``test_garden_*`` tests, one per class of bug).

Each test checks what a user would notice: the status of the parser's ProtocolError
(the same whether the bytes come whole or one at a time) or the exact events it
yields, and, where the advisory is about request smuggling, that the smuggled request
never reaches the WSGI application and that the connection closes after the error.
"""

from __future__ import annotations

import pytest
from parser_advisory_support import (
    SMUGGLED,
    assert_refused_and_closed,
    events_of,
    read_stream,
    refusal,
    serve,
)

from twisted_wsgi_lab.http11 import BodyData, EndOfMessage, RequestHead

CHUNKED_POST = b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
ONE_CHUNK = b"1\r\nA\r\n0\r\n\r\n"


def head_of(data: bytes) -> RequestHead:
    head = events_of(data)[0]
    assert isinstance(head, RequestHead)
    return head


# -- h11 ------------------------------------------------------------------------------


def test_cve_2025_43859_h11_any_two_bytes_after_chunk_data_are_refused() -> None:
    """h11 before 0.16 skipped whatever two bytes followed a chunk's data instead of
    requiring CRLF, so with a proxy that reads on to the next CRLF a request could hide
    in a chunk. labweb must deliver the chunk, then refuse the body with 400."""
    attack = CHUNKED_POST + b"2\r\nABXY0\r\n\r\n" + SMUGGLED
    reading = read_stream(attack)
    assert reading.status == 400
    assert reading.events[1:] == [BodyData(b"AB")]
    assert_refused_and_closed(attack, 400)


# -- llhttp (Node.js) -----------------------------------------------------------------


@pytest.mark.parametrize(
    "transfer_encoding",
    [b"Transfer-Encoding: chunkedchunked", b"Transfer-Encoding: chunked\r\n abc"],
    ids=["chunkedchunked", "obs-fold-bypass"],
)
def test_cve_2022_32213_llhttp_transfer_encoding_must_end_in_exactly_chunked(
    transfer_encoding: bytes,
) -> None:
    """llhttp read ``chunkedchunked`` (and, after the first fix, ``chunked`` folded onto
    another line) as chunked while other servers saw an unknown coding, so they split the
    stream differently. labweb must answer 400 and close (RFC 9112 sections 5.2, 6.3)."""
    attack = b"POST / HTTP/1.1\r\nHost: a\r\n" + transfer_encoding + b"\r\n\r\n"
    attack += ONE_CHUNK + SMUGGLED
    assert refusal(attack) == 400
    assert_refused_and_closed(attack, 400)


def test_cve_2022_32214_llhttp_bare_lf_does_not_end_a_field_line() -> None:
    """llhttp ended a field line at a bare LF, so after ``Dummy: x<LF>Content-Length: 24``
    it took 24 bytes as a body where a CRLF-only proxy saw the next request, and each
    served a different second request. A bare LF in the head gets 400 (RFC 9112 2.2)."""
    decoy = b"GET /decoy HTTP/1.1\r\nX: "
    attack = b"GET / HTTP/1.1\r\nHost: a\r\nDummy: x\nContent-Length: %d\r\n\r\n" % len(decoy)
    attack += decoy + SMUGGLED
    assert refusal(attack) == 400
    assert_refused_and_closed(attack, 400)


def test_cve_2022_32215_llhttp_folded_transfer_encoding_is_refused() -> None:
    """llhttp mishandled a Transfer-Encoding value continued on an obs-fold line
    (``chunked`` then `` , chunked-false``), so it and a proxy could disagree on whether
    the body was chunked. labweb must refuse obs-fold with 400 (RFC 9112 section 5.2)."""
    attack = b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n , chunked-false\r\n"
    attack += b"\r\n" + ONE_CHUNK + SMUGGLED
    assert refusal(attack) == 400
    assert_refused_and_closed(attack, 400)


def test_cve_2023_30589_llhttp_bare_cr_does_not_end_a_field_line() -> None:
    """llhttp took a CR without LF as the end of a field line, turning
    ``X-Abc:<CR>xTransfer-Encoding: chunked`` into a framing field that a proxy saw as
    part of a value. A CR inside a field line must get 400 (RFC 9110 section 5.5)."""
    attack = b"POST / HTTP/1.1\r\nHost: a\r\nX-Abc:\rxTransfer-Encoding: chunked\r\n\r\n"
    attack += ONE_CHUNK + SMUGGLED
    assert refusal(attack) == 400
    assert_refused_and_closed(attack, 400)


def test_cve_2024_27982_llhttp_space_before_content_length_is_refused() -> None:
    """Node.js misread a Content-Length line that began with a space (an obs-fold of the
    field before it), so a request could ride in as the body of another. labweb must
    refuse the folded line with 400 instead of guessing (RFC 9112 section 5.2)."""
    attack = b"POST /hello HTTP/1.1\r\nHost: a\r\nUpgrade-Insecure-Requests: 1\r\n"
    attack += b" Content-Length: %d\r\n\r\n" % len(SMUGGLED) + SMUGGLED
    assert refusal(attack) == 400
    assert_refused_and_closed(attack, 400)


# -- aiohttp --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        b"Content-Length: -0\r\n\r\nX",
        b"Content-Length: +0_1\r\n\r\nX",
        b"Header: v\x00alue\r\n\r\n",
        b"Header: v\ralue\r\n\r\n",
        b"Header: v\nalue\r\n\r\n",
        b"Content-Length : 1\r\n\r\nX",
    ],
    ids=["minus-zero", "plus-underscore", "nul", "cr", "lf", "space-before-colon"],
)
def test_cve_2023_47627_aiohttp_lenient_header_parsing_is_refused(fields: bytes) -> None:
    """aiohttp's pure-Python parser read Content-Length with int() (signs, underscores),
    kept NUL, CR and LF in values and stripped spaces before the colon. Each of these
    must get 400 (RFC 9110 sections 5.5 and 8.6, RFC 9112 section 5.1)."""
    attack = b"GET / HTTP/1.1\r\nHost: a\r\n" + fields + SMUGGLED
    assert refusal(attack) == 400
    assert_refused_and_closed(attack, 400)


def test_cve_2023_47641_aiohttp_unknown_coding_containing_chunked_is_refused() -> None:
    """aiohttp took any Transfer-Encoding containing ``chunked`` (``chunked123``) as
    chunked, ahead of a Content-Length that a proxy used instead. Both fields together,
    or a final coding that is not exactly chunked, must get 400 (RFC 9112 section 6.3)."""
    coding = b"Transfer-Encoding: chunked123\r\n"
    assert refusal(b"POST / HTTP/1.1\r\nHost: a\r\n" + coding + b"\r\n" + ONE_CHUNK) == 400
    body = b"0\r\n\r\n" + SMUGGLED
    attack = b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: %d\r\n" % len(body)
    attack += coding + b"\r\n" + body
    assert refusal(attack) == 400
    assert_refused_and_closed(attack, 400)


@pytest.mark.parametrize(
    "head",
    [
        "GET / HTTP/1\u00f61\r\nHost: a\r\n\r\n".encode(),
        "GET / HTTP/1.\U0001d7d9\r\nHost: a\r\n\r\n".encode(),
        b"GET/: HTTP/1.1\r\nHost: a\r\n\r\n",
        b"GET/: / HTTP/1.1\r\nHost: a\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a\r\nContent-Encoding?: chunked\r\n\r\n",
    ],
    ids=["any-char-as-dot", "unicode-digit", "method-poc", "method-separators", "field-name"],
)
def test_cve_2024_23829_aiohttp_separators_and_unicode_digits_are_refused(head: bytes) -> None:
    """aiohttp's Python parser matched the version with ``HTTP/(\\d).(\\d)`` (any code
    point as the dot, Unicode digits) and let separators into methods and field names.
    Only ASCII ``DIGIT.DIGIT`` and tokens may pass; the rest must get 400."""
    assert refusal(head + SMUGGLED) == 400
    assert_refused_and_closed(head + SMUGGLED, 400)


def test_cve_2025_69224_aiohttp_non_ascii_does_not_case_fold_into_chunked() -> None:
    """aiohttp lower-cased Transfer-Encoding as Unicode text, so ``chun\\u212aed`` (KELVIN
    SIGN) folded into ``chunked`` where ASCII-only peers saw an unknown coding. labweb
    lower-cases ASCII bytes only, so the coding is not chunked and gets 400."""
    attack = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chun\u212aed\r\n\r\n".encode()
    attack += ONE_CHUNK + SMUGGLED
    assert refusal(attack) == 400
    assert_refused_and_closed(attack, 400)


# -- HTTP Garden: chunked framing -----------------------------------------------------


@pytest.mark.parametrize(
    "size", [b"0_2e", b"0x2e", b"+2e", b"-0", b"-0x0", b"1these-bytes-never-get-validated"]
)
def test_garden_chunk_size_that_is_not_plain_hex(size: bytes) -> None:
    """Servers parsed chunk sizes with int() or strtoll() or as the longest hex prefix,
    so ``0_2e``, ``0x``, signs and trailing junk framed bodies their own way (Garden
    server bugs 1, 22, 25; transducer bugs 7, 19). Anything but HEXDIG before ';': 400."""
    attack = CHUNKED_POST + size + b"\r\n" + b"x" * 46 + b"\r\n0\r\n\r\n" + SMUGGLED
    assert refusal(attack) == 400
    assert_refused_and_closed(attack, 400)


@pytest.mark.parametrize("line", [b"           0", b"\t0", b"0  ", b"0\t", b"1 0"])
def test_garden_whitespace_in_chunk_size(line: bytes) -> None:
    """Whitespace before a chunk size was accepted and forwarded (Garden transducer bug
    24); two parsers that trim it differently read different sizes. RFC 9112 section
    7.1 allows none before the size, nor after it unless a ';' follows: 400."""
    attack = CHUNKED_POST + line + b"\r\n\r\n" + SMUGGLED
    assert refusal(attack) == 400


def test_garden_empty_chunk_size() -> None:
    """An empty chunk-size line was read as the last chunk (Garden server bug 17), so an
    extra CRLF between chunks ended the body early. It must get 400."""
    attack = CHUNKED_POST + b"1\r\nA\r\n\r\n" + b"8\r\nAAAAAAAA\r\n0\r\n\r\n" + SMUGGLED
    reading = read_stream(attack)
    assert reading.status == 400
    assert reading.events[1:] == [BodyData(b"A")]
    assert_refused_and_closed(attack, 400)


@pytest.mark.parametrize(
    "size", [b"10000000000000001", b"ffffffffffffffff", b"ffffffffffffffffffffffffffffffff"]
)
def test_garden_chunk_size_overflow(size: bytes) -> None:
    """A chunk size past 64 bits wraps in C parsers (2**64 + 1 becomes 1), so a huge
    chunk passes as a small one. Not a TROPHIES entry: the overflow form of the chunk-size
    class above. labweb must refuse it with 413 before buffering a body byte."""
    attack = CHUNKED_POST + size + b"\r\nA\r\n0\r\n\r\n" + SMUGGLED
    reading = read_stream(attack)
    assert reading.status == 413
    assert len(reading.events) == 1
    assert_refused_and_closed(attack, 413)


@pytest.mark.parametrize(
    "body",
    [b"5\r\r;ABCD\r\n34\r\nE\r\n0\r\n\r\n", b"2;a=b\r\rXX\r\n0\r\n\r\n", b"1\r0\n"],
    ids=["cr-before-ext", "cr-after-ext", "cr-as-line-end"],
)
def test_garden_bare_cr_in_chunk_line(body: bytes) -> None:
    """A CR followed by anything but LF ended chunk lines in llhttp, and proxies forwarded
    such a CR inside chunk extensions (Garden server bug 31, transducer bugs 3, 4, 36),
    which together smuggle requests. A chunk line with a bare CR must get 400."""
    attack = CHUNKED_POST + body + SMUGGLED
    assert refusal(attack) == 400
    assert_refused_and_closed(attack, 400)


@pytest.mark.parametrize(
    "body",
    [b"a\r\n0123456789\n0\r\n\r\n", b"a\n0123456789\r\n0\r\n\r\n", b"0\n\r\n"],
    ids=["after-data", "after-size", "after-last-chunk"],
)
def test_garden_bare_lf_in_chunked_framing(body: bytes) -> None:
    """A bare LF was accepted as a chunk line terminator (Garden transducer bug 13; Go's
    CVE-2025-22871), which a peer reading LF as part of an extension frames differently.
    RFC 9112 section 7.1 allows only CRLF here, so labweb refuses with 400."""
    attack = CHUNKED_POST + body + SMUGGLED
    assert refusal(attack) == 400
    assert_refused_and_closed(attack, 400)


def test_garden_trailer_section_is_parsed_not_skipped() -> None:
    """Puma ended a chunked body at any ``CRLF XX`` after the last chunk (Garden server
    bug 39, CVE-2023-40175), so a trailer field became a request. labweb must read the
    trailer as a field and let only the one request through."""
    attack = b"GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
    attack += b"0\r\nX:POST /smuggled HTTP/1.1\r\n\r\n"
    events = events_of(attack)
    assert events[1:] == [EndOfMessage(trailers=((b"x", b"POST /smuggled HTTP/1.1"),))]
    served = serve(attack)
    assert [(request.method, request.path) for request in served.seen] == [("GET", "/")]
    assert served.statuses == [200]
    assert not served.closed


def test_garden_invalid_chunk_closes_the_connection() -> None:
    """Cheroot answered an invalid chunk but kept the connection, resuming after the next
    CRLF, so the rest of the bad body ran as a request (Garden server bug 47). labweb
    must answer 400 and close without reading further."""
    attack = CHUNKED_POST + b"INVALID!!!\r\n" + SMUGGLED
    assert refusal(attack) == 400
    assert_refused_and_closed(attack, 400)


# -- HTTP Garden: field lines ---------------------------------------------------------


@pytest.mark.parametrize(
    "field",
    [
        b"Header: v\x00\ralue",
        b"Test: test\x00THESE BYTES GET DROPPED",
        b"Evil: evil\x00",
        b"Header: va\rlue",
        b"Invalid-Header: this\rvalue\ris\rinvalid",
        b"Transfer-Encoding: \x0bchunked",
        b"Transfer-Encoding: chunked\x0c",
    ],
    ids=["nul-cr", "nul-truncation", "trailing-nul", "cr", "many-cr", "vt", "ff"],
)
def test_garden_control_characters_in_field_values(field: bytes) -> None:
    """NUL and CR were kept, stripped or used to cut field values (Garden server bugs 2,
    34, 35, 43; transducer bugs 10, 12); VT or FF around ``chunked`` is the same trick.
    RFC 9110 section 5.5 lets a recipient reject such values; labweb answers 400."""
    attack = b"POST / HTTP/1.1\r\nHost: a\r\n" + field + b"\r\n\r\n" + ONE_CHUNK + SMUGGLED
    assert refusal(attack) == 400
    assert_refused_and_closed(attack, 400)


@pytest.mark.parametrize(
    "head",
    [
        b"GET / HTTP/1.1\r\nHost: a\r\nVisible: :/\rSmuggled: :)\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a\r\n\rZGET /evil: HTTP/1.1\r\nHost: a\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\r\n\r\n",
    ],
    ids=["cr-ends-field", "cr-ends-head", "cr-before-crlf"],
)
def test_garden_bare_cr_as_line_terminator(head: bytes) -> None:
    """CPython's http.server and Mongoose ended field lines at a bare CR, and Node.js
    ended the head at ``CRLF CR X`` (Garden server bugs 13, 30). Only CRLF ends a line
    (RFC 9112 section 2.2), so a stray CR must get 400."""
    assert refusal(head + SMUGGLED) == 400
    assert_refused_and_closed(head + SMUGGLED, 400)


@pytest.mark.parametrize(
    "head",
    [
        b"GET /\nHTTP/1.1\r\nHost: a\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a\r\nUseless:\n\n",
        b"GET / HTTP/1.1\nHost: whatever\nConnection: close\n\n",
        b"GET / HTTP/1.1\r\nHost: whatever\r\nTe\nst: test\r\nConnection: close\r\n\r\n",
    ],
    ids=["lf-in-request-line", "lf-ends-head", "lf-only", "lf-in-field-name"],
)
def test_garden_bare_lf_as_line_terminator(head: bytes) -> None:
    """Servers took a bare LF as whitespace in the request line or as a line end, while
    proxies forwarded it untouched (Garden server bugs 9, 19; transducer bugs 14, 16).
    RFC 9112 section 2.2 lets a server refuse it; labweb does, with 400."""
    assert refusal(head + SMUGGLED) == 400
    assert_refused_and_closed(head + SMUGGLED, 400)


def test_garden_whitespace_between_field_name_and_colon() -> None:
    """aiohttp, Cheroot and OpenLiteSpeed stripped whitespace before the colon, so
    ``Content-Length : 34`` framed a body a proxy ignored (Garden server bug 3). RFC
    9112 section 5.1 says a server MUST reject it with 400."""
    attack = b"GET / HTTP/1.1\r\nHost: whatever\r\nContent-Length : %d\r\n\r\n" % len(SMUGGLED)
    attack += SMUGGLED
    assert refusal(attack) == 400
    assert_refused_and_closed(attack, 400)


@pytest.mark.parametrize("indent", [b"\t", b" "])
def test_garden_whitespace_before_first_field_line(indent: bytes) -> None:
    """aiohttp stripped whitespace before the first field name (Garden server bug 4),
    reading ``<TAB>Content-Length: 1`` as a framing field that others saw as a folded or
    invalid line. A head whose first field line starts with whitespace must get 400."""
    attack = b"GET / HTTP/1.1\r\n" + indent + b"Content-Length: 1\r\nHost: a\r\n\r\nX"
    attack += SMUGGLED
    assert refusal(attack) == 400
    assert_refused_and_closed(attack, 400)


@pytest.mark.parametrize(
    "name",
    [
        b"\xefoo",
        b"Content-Length\x85",
        b"Content-Length\xa0",
        b"\x00\x01\x02\x03\x04\x05\x06\x07\x08\t\x0b\x0c\x0e\x0f\x10\x11\x12\x13\x14\x15"
        b'\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f "(),/;<=>?@[/]{}',
        b"Header\x85",
    ],
    ids=["non-ascii", "nel-suffix", "nbsp-suffix", "delimiters", "nel-in-name"],
)
def test_garden_invalid_bytes_in_field_names(name: bytes) -> None:
    """Servers let non-token bytes into field names, and Gunicorn stripped \\x85 or \\xa0
    from their end, so ``Content-Length\\x85`` framed a body (Garden server bugs 8, 14,
    20; transducer bug 6). A field name must be a token, else 400."""
    attack = b"GET / HTTP/1.1\r\nHost: a\r\n" + name + b": 10\r\n\r\n0123456789" + SMUGGLED
    assert refusal(attack) == 400
    assert_refused_and_closed(attack, 400)


@pytest.mark.parametrize(
    "head",
    [
        b"GET / HTTP/1.1\r\n: ignored\r\nHost: whatever\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a\r\n:\r\nI: am chopped off\r\n\r\n",
    ],
    ids=["empty-name", "colon-only"],
)
def test_garden_empty_field_name(head: bytes) -> None:
    """Empty field names were accepted, and Mongoose ended the head at ``:`` alone
    (Garden server bugs 18, 27). A field name has at least one tchar; 400."""
    assert refusal(head + SMUGGLED) == 400
    assert_refused_and_closed(head + SMUGGLED, 400)


@pytest.mark.parametrize(
    "fields",
    [
        b"Content-Length 10\r\n\r\n0123456789",
        b"Transfer-\r\nEncoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n",
    ],
    ids=["space-for-colon", "name-continued"],
)
def test_garden_field_line_without_colon(fields: bytes) -> None:
    """Mongoose split names from values at a space and Passenger joined a name across
    lines (Garden server bugs 28, 37), reading framing fields where proxies saw junk.
    A field line without a colon must get 400."""
    attack = b"POST / HTTP/1.1\r\nHost: a\r\n" + fields + SMUGGLED
    assert refusal(attack) == 400
    assert_refused_and_closed(attack, 400)


@pytest.mark.parametrize(
    "fields",
    [
        b"Host: a\r\nTransfer-Encoding: \xa0chunked\xa0",
        b"Host: a\r\nTransfer-Encoding: \x85chunked",
        b"Host: a\r\nTransfer-Encoding: \xffchunked\xff",
        b"Host: \xffa\xff\r\nTransfer-Encoding: chunked",
    ],
    ids=["nbsp", "nel", "ff", "host"],
)
def test_garden_obs_text_is_not_whitespace(fields: bytes) -> None:
    """Tornado, Waitress and Bun trimmed \\xa0, \\x85 or any byte over \\x80 from values
    as if they were whitespace (Garden server bugs 12, 41, 46), turning ``\\xa0chunked``
    into chunked. Such bytes are obs-text, never OWS: this framing or Host gets 400."""
    attack = b"POST / HTTP/1.1\r\n" + fields + b"\r\n\r\n" + ONE_CHUNK + SMUGGLED
    assert refusal(attack) == 400
    assert_refused_and_closed(attack, 400)


def test_garden_obs_text_stays_in_a_field_value() -> None:
    """The other half of Garden server bug 41: ``User: \\x85admin\\xa0`` was trimmed to
    ``admin``, bypassing a proxy's ACL on exact values. labweb must hand the value to
    the application byte for byte."""
    attack = b"GET /login HTTP/1.1\r\nHost: a\r\nUser: \x85admin\xa0\r\n\r\n"
    assert (b"user", b"\x85admin\xa0") in head_of(attack).headers
    served = serve(attack)
    assert served.seen[0].headers["HTTP_USER"] == "\x85admin\xa0"
    assert served.statuses == [200]


# -- HTTP Garden: Content-Length and Transfer-Encoding --------------------------------


@pytest.mark.parametrize(
    "value", [b"+1_0", b"-48", b"1Z", b"0x10", b"1_0", b"+10", b"10.0", b"1 0"]
)
def test_garden_content_length_that_is_not_digits(value: bytes) -> None:
    """Content-Length went through int() or strtoll() or was cut to its longest valid
    prefix, so ``+1_0``, ``-48`` and ``1Z`` framed bodies differently or looped forever
    (Garden server bugs 10, 26, 29; transducer bug 1). Only 1*DIGIT passes, else 400."""
    attack = b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: " + value + b"\r\n\r\n"
    attack += b"0123456789" + SMUGGLED
    assert refusal(attack) == 400
    assert_refused_and_closed(attack, 400)


def test_garden_content_length_leading_zeros_are_decimal() -> None:
    """OpenLiteSpeed parsed ``Content-Length: 010`` with strtoll(, , 0) as octal 8
    (Garden server bug 32). Leading zeros are valid decimal digits: the body is ten
    bytes, and the bytes after them are the next request."""
    attack = b"GET / HTTP/1.1\r\nHost: whatever\r\nContent-Length: 010\r\n\r\n0123456789"
    attack += b"GET /next HTTP/1.1\r\nHost: whatever\r\n\r\n"
    events = events_of(attack)
    assert head_of(attack).content_length == 10
    assert events[1:3] == [BodyData(b"0123456789"), EndOfMessage()]
    assert isinstance(events[3], RequestHead) and events[3].path == b"/next"
    served = serve(attack)
    assert [(request.path, request.body) for request in served.seen] == [
        ("/", b"0123456789"),
        ("/next", b""),
    ]


@pytest.mark.parametrize(
    "fields",
    [
        b"Content-Length: \r\n",
        b"Content-Length: \r\nContent-Length: 43\r\n",
        b"Content-Length: 43\r\nContent-Length: \r\n",
    ],
    ids=["empty", "empty-first", "empty-last"],
)
def test_garden_empty_content_length(fields: bytes) -> None:
    """An empty Content-Length was read as 0, as "until the timeout", or as 0 ahead of a
    later non-empty one (Garden server bugs 16, 38, 42; transducer bugs 5, 11). It is
    not 1*DIGIT, so labweb answers 400."""
    attack = b"GET / HTTP/1.1\r\nHost: a\r\n" + fields + b"\r\n" + SMUGGLED
    assert refusal(attack) == 400
    assert_refused_and_closed(attack, 400)


@pytest.mark.parametrize(
    "fields",
    [b"Content-Length: 1\r\nContent-Length: 0", b"Content-Length: 0\r\nContent-Length: 1"],
    ids=["first-wins", "last-wins"],
)
def test_garden_conflicting_content_lengths(fields: bytes) -> None:
    """H2O kept the first of two different Content-Length values and FastHTTP the last
    (Garden server bugs 23, 33), each matching a proxy that kept the other. RFC 9112
    section 6.3 makes differing values an unrecoverable error: 400 and close."""
    attack = b"GET / HTTP/1.1\r\nHost: a\r\n" + fields + b"\r\n\r\nZ" + SMUGGLED
    assert refusal(attack) == 400
    assert_refused_and_closed(attack, 400)


def test_garden_content_length_with_transfer_encoding() -> None:
    """relayd forwarded requests carrying both Content-Length and chunked (Garden
    transducer bugs 15, 23), the classic CL.TE desync. labweb must not pick one: a
    request with both gets 400 and the connection closes (RFC 9112 section 6.1)."""
    attack = b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked"
    attack += b"\r\n\r\n0\r\n\r\n" + SMUGGLED
    assert refusal(attack) == 400
    assert_refused_and_closed(attack, 400)


def test_garden_repeated_transfer_encoding_chunked() -> None:
    """Tornado treated two ``Transfer-Encoding: chunked`` lines as no body at all, while
    Pound forwarded them as one chunked (Garden server bug 11, transducer bug 25). The
    lines join to ``chunked, chunked``: chunked twice, which must get 400."""
    attack = b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
    attack += b"Transfer-Encoding: chunked\r\n\r\n1\r\nZ\r\n0\r\n\r\n" + SMUGGLED
    assert refusal(attack) == 400
    assert_refused_and_closed(attack, 400)


def test_garden_leading_comma_in_transfer_encoding() -> None:
    """Gunicorn, Mongoose and Passenger saw ``,chunked`` as an unknown coding while
    proxies read chunked (Garden server bug 21, transducer bugs 9, 15, 18). Empty list
    elements are ignored (RFC 9110 section 5.6.1), so it is chunked; with a
    Content-Length as well, the request gets 400."""
    head = b"POST / HTTP/1.1\r\nHost: whatever\r\nTransfer-Encoding: ,chunked\r\n"
    assert head_of(head + b"\r\n" + ONE_CHUNK).chunked
    attack = head + b"Content-Length: 5\r\n\r\n0\r\n\r\n" + SMUGGLED
    assert refusal(attack) == 400
    assert_refused_and_closed(attack, 400)


@pytest.mark.parametrize(
    ("value", "status"),
    [(b"blegh", 400), (b"chunked, identity", 400), (b"gzip", 400), (b"identity, chunked", 501)],
)
def test_garden_unknown_transfer_coding(value: bytes, status: int) -> None:
    """FastHTTP treated every unknown coding as chunked (Garden server bug 44). A final
    coding other than chunked leaves the length unknown: 400 and close (RFC 9112
    section 6.3); a coding labweb cannot decode before chunked gets 501."""
    attack = b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: " + value + b"\r\n\r\n"
    attack += b"1\r\nZ\r\n0\r\n\r\n" + SMUGGLED
    assert refusal(attack) == status
    assert_refused_and_closed(attack, status)


# -- HTTP Garden: request line ---------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        b"GET /test HTTP/1.32",
        b"GET / HTTP/\r\r1.1",
        b"GET / HTTP/4294967295.255",
        b"\x00 / HTTP/............0596.7407.",
        b"GET / HTTP/1.1.1",
        b"GET / http/1.1",
    ],
    ids=["longest-prefix", "cr-in-version", "overflow", "garbage", "extra-part", "lowercase"],
)
def test_garden_malformed_http_version(line: bytes) -> None:
    """aiohttp read ``HTTP/1.32`` as its longest valid prefix, FastHTTP and Waitress did
    not check versions, and libevent overflowed them (Garden server bugs 5, 15, 24,
    40). HTTP-version is ``HTTP/DIGIT.DIGIT`` exactly; anything else gets 400."""
    assert refusal(line + b"\r\nHost: a\r\n\r\n" + SMUGGLED) == 400


@pytest.mark.parametrize(
    "method", [b'G=":<>(e),[T];?"', b"\x00", b"GET\x0b", b"G\xc3\xa9T", b"GET/"]
)
def test_garden_invalid_method(method: bytes) -> None:
    """aiohttp read a method as its longest valid prefix, so ``G=":<>(e),[T];?"`` was
    served as ``G``, a way round method ACLs (Garden server bugs 6, 40). A method is a
    token (RFC 9110 section 9.1); anything else gets 400."""
    attack = method + b" /get HTTP/1.1\r\nHost: a\r\n\r\n" + SMUGGLED
    assert refusal(attack) == 400
    assert_refused_and_closed(attack, 400)


@pytest.mark.parametrize("target", [b"!", b"get", b"/a#frag", b"/%zz", b"http://a@b/"])
def test_garden_invalid_request_target(target: bytes) -> None:
    """aiohttp did not validate request targets at all (Garden server bug 7). A target
    must be one of the four forms of RFC 9112 section 3.2, without a fragment or broken
    percent-encoding; anything else gets 400."""
    assert refusal(b"GET " + target + b" HTTP/1.1\r\nHost: a\r\n\r\n") == 400


# -- HTTP Garden: message boundaries on a connection ----------------------------------


def test_garden_valid_request_is_answered_before_an_invalid_one() -> None:
    """Mongoose and Uvicorn closed the connection early when junk was pipelined after a
    valid request (Garden server bug 45). After ``Connection: close`` labweb must answer
    the valid request, then close without reading the junk."""
    attack = b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\nInvalid\r\n\r\n"
    reading = read_stream(attack)
    assert reading.status == 400
    assert [type(event) for event in reading.events] == [RequestHead, EndOfMessage]
    served = serve(attack)
    assert served.statuses == [200]
    assert [request.path for request in served.seen] == ["/"]
    assert served.closed


def test_garden_zero_content_length_means_no_body() -> None:
    """Puma read pipelined requests in its first buffer as the body of a request that
    said ``Content-Length: 0`` (Garden server bug 48). The first body is empty; the
    second request's 34-byte body is data, never a third request."""
    second_body = b"GET / HTTP/1.1\r\nHost: a\r\nid: 2\r\n\r\n"
    attack = b"POST /0 HTTP/1.1\r\nContent-Length: 0\r\nConnection:keep-alive\r\nHost: a\r\n"
    attack += b"id: 0\r\n\r\nPOST /1 HTTP/1.1\r\nHost: a\r\nid: 1\r\n"
    attack += b"Content-Length: %d\r\n\r\n" % len(second_body) + second_body
    served = serve(attack)
    assert [(request.path, request.body) for request in served.seen] == [
        ("/0", b""),
        ("/1", second_body),
    ]
    assert served.statuses == [200, 200]
    assert not served.closed


def test_garden_get_body_is_framed_by_content_length() -> None:
    """relayd dropped GET bodies but kept their Content-Length (Garden transducer bug
    21), so a server ignoring GET bodies would run the body as a request. labweb must
    read the ten bytes as the GET's body and only then parse the next request."""
    attack = b"GET /with-body HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n1234567890"
    attack += b"GET /next HTTP/1.1\r\nHost: a\r\n\r\n"
    served = serve(attack)
    assert [(request.path, request.body) for request in served.seen] == [
        ("/with-body", b"1234567890"),
        ("/next", b""),
    ]
    assert served.statuses == [200, 200]
