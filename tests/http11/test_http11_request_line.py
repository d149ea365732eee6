"""The request line (RFC 9112 section 3): method, the four target forms, the version."""

from __future__ import annotations

import pytest
from http11_support import parse, refusal

from twisted_wsgi_lab.http11 import EndOfMessage, RequestHead


def request(line: bytes, *fields: bytes) -> bytes:
    return b"\r\n".join([line, *fields]) + b"\r\n\r\n"


def head_of(data: bytes) -> RequestHead:
    events = parse(data)
    assert isinstance(events[0], RequestHead)
    assert events[1:] == [EndOfMessage()]
    return events[0]


@pytest.mark.parametrize("method", [b"GET", b"POST", b"get", b"M-SEARCH", b"X!#$%&'*+.^_`|~1"])
def test_any_token_is_accepted_as_a_method_and_kept_as_sent(method: bytes) -> None:
    head = head_of(request(method + b" / HTTP/1.1", b"Host: a"))
    assert head.method == method


@pytest.mark.parametrize("method", [b"GE(T", b"G/T", b"GE\x01T", b"G\xe9T", b"GET:"])
def test_a_method_that_is_not_a_token_is_refused_with_400(method: bytes) -> None:
    assert refusal(request(method + b" / HTTP/1.1", b"Host: a")) == 400


def test_origin_form_splits_path_and_query_and_takes_authority_from_host() -> None:
    head = head_of(request(b"GET /a%20b/c?x=1&y=%2F HTTP/1.1", b"Host: example.com:8080"))
    assert (head.target, head.path, head.query) == (
        b"/a%20b/c?x=1&y=%2F",
        b"/a%20b/c",
        b"x=1&y=%2F",
    )
    assert head.authority == b"example.com:8080"


def test_absolute_form_authority_wins_over_host() -> None:
    head = head_of(request(b"GET http://target.example:81/p?q HTTP/1.1", b"Host: other"))
    assert (head.authority, head.path, head.query) == (b"target.example:81", b"/p", b"q")


@pytest.mark.parametrize("fields", [(), (b"Host: a b",), (b"Host: a", b"Host: a")])
def test_absolute_form_on_http_1_1_still_needs_one_valid_host(fields: tuple[bytes, ...]) -> None:
    assert refusal(request(b"GET http://target/ HTTP/1.1", *fields)) == 400


def test_absolute_form_on_http_1_0_without_host_takes_the_authority_of_the_target() -> None:
    assert head_of(request(b"GET http://target:81/ HTTP/1.0")).authority == b"target:81"


@pytest.mark.parametrize(
    ("target", "path", "query"),
    [
        (b"https://a", b"/", b""),
        (b"HTTP://a?q=1", b"/", b"q=1"),
        (b"http://[::1]:8080/x", b"/x", b""),
    ],
)
def test_absolute_form_accepts_http_and_https_with_an_empty_path_meaning_slash(
    target: bytes, path: bytes, query: bytes
) -> None:
    head = head_of(request(b"GET " + target + b" HTTP/1.1", b"Host: a"))
    assert (head.path, head.query) == (path, query)


@pytest.mark.parametrize("target", [b"ftp://a/", b"file:///etc/passwd", b"ws://a/"])
def test_absolute_form_with_a_scheme_other_than_http_is_refused_with_400(target: bytes) -> None:
    assert refusal(request(b"GET " + target + b" HTTP/1.1", b"Host: a")) == 400


@pytest.mark.parametrize("target", [b"http://user@a/", b"http://user:pw@a/", b"http://@a/"])
def test_absolute_form_with_userinfo_is_refused_with_400(target: bytes) -> None:
    assert refusal(request(b"GET " + target + b" HTTP/1.1", b"Host: a")) == 400


@pytest.mark.parametrize("target", [b"http:///p", b"http://a b/", b"http://a:1:2/"])
def test_absolute_form_with_a_missing_or_invalid_authority_is_refused_with_400(
    target: bytes,
) -> None:
    assert refusal(request(b"GET " + target + b" HTTP/1.1", b"Host: a")) == 400


def test_asterisk_form_is_accepted_with_options() -> None:
    head = head_of(request(b"OPTIONS * HTTP/1.1", b"Host: a"))
    assert (head.target, head.path, head.authority) == (b"*", b"*", b"a")


@pytest.mark.parametrize("method", [b"GET", b"POST", b"options"])
def test_asterisk_form_with_any_method_but_options_is_refused_with_400(method: bytes) -> None:
    assert refusal(request(method + b" * HTTP/1.1", b"Host: a")) == 400


@pytest.mark.parametrize("target", [b"example.com:443", b"[::1]:443", b"10.0.0.1:80"])
def test_authority_form_is_accepted_with_connect(target: bytes) -> None:
    head = head_of(request(b"CONNECT " + target + b" HTTP/1.1", b"Host: " + target))
    assert (head.authority, head.path) == (target, b"")


@pytest.mark.parametrize("method", [b"GET", b"OPTIONS", b"connect"])
def test_authority_form_with_any_method_but_connect_is_refused_with_400(method: bytes) -> None:
    assert refusal(request(method + b" example.com:443 HTTP/1.1", b"Host: a")) == 400


@pytest.mark.parametrize("target", [b"/", b"*", b"http://a/", b"example.com", b"a@b:443"])
def test_connect_with_anything_but_host_and_port_is_refused_with_400(target: bytes) -> None:
    assert refusal(request(b"CONNECT " + target + b" HTTP/1.1", b"Host: a")) == 400


@pytest.mark.parametrize("version", [(1, 0), (1, 1)])
def test_http_1_0_and_1_1_are_accepted(version: tuple[int, int]) -> None:
    line = b"GET / HTTP/%d.%d" % version
    assert head_of(request(line, b"Host: a")).version == version


@pytest.mark.parametrize("version", [b"HTTP/2.0", b"HTTP/3.0", b"HTTP/0.9"])
def test_another_major_version_is_refused_with_505(version: bytes) -> None:
    assert refusal(request(b"GET / " + version, b"Host: a")) == 505


@pytest.mark.parametrize("version", [b"HTTP/10.1", b"HTTP/1.10", b"HTTP/1"])
def test_a_version_that_is_not_digit_dot_digit_is_refused_with_400(version: bytes) -> None:
    assert refusal(request(b"GET / " + version, b"Host: a")) == 400


@pytest.mark.parametrize(
    "line",
    [
        pytest.param(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", id="tls-hello"),
        pytest.param(b"hello", id="garbage"),
        pytest.param(b"GET  / HTTP/1.1", id="double-space-before-target"),
        pytest.param(b"GET /  HTTP/1.1", id="double-space-before-version"),
        pytest.param(b" GET / HTTP/1.1", id="leading-space"),
        pytest.param(b"GET / HTTP/1.1 ", id="trailing-space"),
        pytest.param(b"GET\t/\tHTTP/1.1", id="tabs"),
        pytest.param(b"GET / ", id="missing-version"),
        pytest.param(b"GET /", id="http-0.9-style"),
        pytest.param(b"GET", id="method-only"),
        pytest.param(b"GET / http/1.1", id="lower-case-version"),
        pytest.param(b"GET / HTTP/1", id="version-without-minor"),
        pytest.param(b"GET / HTTP/1.10", id="two-digit-minor"),
        pytest.param(b"GET / HTTP/1.1x", id="junk-after-version"),
    ],
)
def test_a_malformed_request_line_is_refused_with_400(line: bytes) -> None:
    assert refusal(request(line, b"Host: a")) == 400


@pytest.mark.parametrize("target", [b"/a#frag", b"/#", b"http://a/#x"])
def test_a_fragment_in_the_target_is_refused_with_400(target: bytes) -> None:
    assert refusal(request(b"GET " + target + b" HTTP/1.1", b"Host: a")) == 400


@pytest.mark.parametrize("target", [b"/%", b"/%2", b"/%zz", b"/a?b=%G0", b"/%%41"])
def test_malformed_percent_encoding_in_the_target_is_refused_with_400(target: bytes) -> None:
    assert refusal(request(b"GET " + target + b" HTTP/1.1", b"Host: a")) == 400


def test_well_formed_percent_encoding_is_kept_encoded() -> None:
    head = head_of(request(b"GET /%41%2f%Ab HTTP/1.1", b"Host: a"))
    assert head.path == b"/%41%2f%Ab"


@pytest.mark.parametrize("byte", [b"\x80", b"\xc3\xa9", b"\xff", b"\x7f", b"\x00"])
def test_a_raw_non_ascii_or_control_byte_in_the_target_is_refused_with_400(byte: bytes) -> None:
    assert refusal(request(b"GET /caf" + byte + b" HTTP/1.1", b"Host: a")) == 400


def test_empty_lines_before_a_request_are_ignored() -> None:
    events = parse(b"\r\n\r\n\r\n" + request(b"GET / HTTP/1.1", b"Host: a"))
    assert isinstance(events[0], RequestHead)
    assert events[0].path == b"/"


def test_empty_lines_between_pipelined_requests_are_ignored() -> None:
    one = request(b"GET /1 HTTP/1.1", b"Host: a")
    events = parse(one + b"\r\n" + request(b"GET /2 HTTP/1.1", b"Host: a"))
    assert [event.path for event in events if isinstance(event, RequestHead)] == [b"/1", b"/2"]
