"""Field lines (RFC 9112 section 5), line endings, the head limits and the Host field."""

from __future__ import annotations

import pytest
from http11_support import parse, refusal

from twisted_wsgi_lab.http11 import Limits, ProtocolError, RequestHead, RequestParser


def request(*fields: bytes, line: bytes = b"GET / HTTP/1.1") -> bytes:
    return b"\r\n".join([line, *fields]) + b"\r\n\r\n"


def head_of(data: bytes, limits: Limits | None = None) -> RequestHead:
    head = parse(data, limits)[0]
    assert isinstance(head, RequestHead)
    return head


def test_field_names_are_lower_cased_and_wire_order_is_kept() -> None:
    head = head_of(request(b"Host: a", b"X-B: 1", b"x-a: 2", b"X-B: 3", b"ACCEPT: */*"))
    assert head.headers == (
        (b"host", b"a"),
        (b"x-b", b"1"),
        (b"x-a", b"2"),
        (b"x-b", b"3"),
        (b"accept", b"*/*"),
    )


def test_repeated_fields_are_joined_with_a_comma_by_get() -> None:
    head = head_of(request(b"Host: a", b"Accept: x", b"accept: y"))
    assert head.get(b"accept") == b"x, y"
    assert head.get(b"missing") is None


@pytest.mark.parametrize(
    ("line", "value"),
    [
        (b"X:v", b"v"),
        (b"X: v", b"v"),
        (b"X:\t \tv \t ", b"v"),
        (b"X: a  b\tc ", b"a  b\tc"),
        (b"X:", b""),
        (b"X:   ", b""),
        (b"X: caf\xc3\xa9", b"caf\xc3\xa9"),
    ],
)
def test_optional_whitespace_around_a_value_is_trimmed_and_inner_whitespace_kept(
    line: bytes, value: bytes
) -> None:
    assert head_of(request(b"Host: a", line)).headers[1] == (b"x", value)


@pytest.mark.parametrize("space", [b"\x0b", b"\x0c", b"\r"])
def test_only_space_and_tab_are_trimmed_other_trailing_whitespace_is_refused_with_400(
    space: bytes,
) -> None:
    assert refusal(request(b"Host: a", b"X: v" + space)) == 400


def test_obs_text_at_the_end_of_a_value_is_kept_not_trimmed() -> None:
    assert head_of(request(b"Host: a", b"X: v\xa0")).headers[1] == (b"x", b"v\xa0")


@pytest.mark.parametrize("line", [b"X : v", b"X\t: v", b"Host : a"])
def test_whitespace_before_colon_is_refused_with_400(line: bytes) -> None:
    assert refusal(request(b"Host: a", line)) == 400


@pytest.mark.parametrize("fold", [b" continued", b"\tcontinued"])
def test_obs_fold_is_refused_with_400(fold: bytes) -> None:
    assert refusal(request(b"Host: a", b"X: v", fold)) == 400


def test_a_field_line_without_a_colon_is_refused_with_400() -> None:
    assert refusal(request(b"Host: a", b"X-No-Colon")) == 400


def test_an_empty_field_name_is_refused_with_400() -> None:
    assert refusal(request(b"Host: a", b": v")) == 400


@pytest.mark.parametrize("name", [b"X Y", b"X(Y)", b"X/Y", b'X"', b"X\x00", b"caf\xc3\xa9"])
def test_a_field_name_that_is_not_a_token_is_refused_with_400(name: bytes) -> None:
    assert refusal(request(b"Host: a", name + b": v")) == 400


@pytest.mark.parametrize(
    "byte", [b"\r", b"\x00", b"\x01", b"\x08", b"\x0b", b"\x0c", b"\x1b", b"\x1f", b"\x7f"]
)
def test_a_control_byte_in_a_value_is_refused_with_400(byte: bytes) -> None:
    assert refusal(request(b"Host: a", b"X: a" + byte + b"b")) == 400


@pytest.mark.timeout(20)
@pytest.mark.parametrize(
    "line",
    [
        pytest.param(b"X:" + b" " * 60_000 + b"\x01", id="spaces-then-a-control-byte"),
        pytest.param(b"X: a" + b" \t" * 30_000 + b"\x00", id="inner-whitespace-then-nul"),
        pytest.param(b"X:" + b"\t" * 60_000, id="only-whitespace"),
    ],
)
def test_a_long_run_of_whitespace_in_a_value_is_judged_without_backtracking(line: bytes) -> None:
    """A value pattern with lazy parts between OWS runs took hours on 60 KB of spaces."""
    limits = Limits(max_head_bytes=128 * 1024, max_request_line_bytes=8192)
    data = request(b"Host: a", line)
    if line.endswith((b"\x00", b"\x01")):
        assert refusal(data, limits) == 400
    else:
        assert head_of(data, limits).headers[1] == (b"x", b"")


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"GET / HTTP/1.1\nHost: a\n\n", id="all-lines"),
        pytest.param(b"GET / HTTP/1.1\r\nHost: a\n\r\n", id="one-field"),
        pytest.param(b"GET / HTTP/1.1\r\nHost: a\r\n\n", id="final-line"),
        pytest.param(b"GET / HTTP/1.1\r\nX: a\nb\r\nHost: a\r\n\r\n", id="inside-a-value"),
        pytest.param(b"\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", id="leading-empty-line"),
        pytest.param(b"\r\n\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", id="after-a-leading-crlf"),
    ],
)
def test_a_bare_lf_is_refused_with_400(data: bytes) -> None:
    assert refusal(data) == 400


@pytest.mark.parametrize(
    "partial",
    [
        pytest.param(b"GET / HTTP/1.1\nHost: a", id="request-line"),
        pytest.param(b"GET / HTTP/1.1\r\nHost: a\nX: b", id="field-line"),
        pytest.param(b"\nGET / HTTP/1.1", id="leading-empty-line"),
        pytest.param(b"\r\n\nGET / HTTP/1.1", id="after-a-leading-crlf"),
    ],
)
def test_a_bare_lf_is_refused_before_the_head_is_complete_however_it_is_split(
    partial: bytes,
) -> None:
    for cut in range(len(partial) + 1):
        parser = RequestParser()
        with pytest.raises(ProtocolError) as info:
            parser.feed(partial[:cut])
            parser.feed(partial[cut:])
        assert info.value.status == 400, cut


def test_a_request_line_at_the_limit_is_accepted() -> None:
    line = b"GET /" + b"a" * 50 + b" HTTP/1.1"
    assert len(line) == 64
    head = head_of(request(b"Host: a", line=line), Limits(max_request_line_bytes=64))
    assert head.path == b"/" + b"a" * 50


def test_a_request_line_over_the_limit_is_refused_with_414() -> None:
    limits = Limits(max_request_line_bytes=64)
    line = b"GET /" + b"a" * 51 + b" HTTP/1.1"
    assert len(line) == 65
    assert refusal(request(b"Host: a", line=line), limits) == 414


def test_a_request_line_longer_than_the_whole_head_limit_is_still_refused_with_414() -> None:
    limits = Limits(max_request_line_bytes=64, max_head_bytes=128)
    assert refusal(request(b"Host: a", line=b"GET /" + b"a" * 200 + b" HTTP/1.1"), limits) == 414


def test_a_long_request_line_is_refused_before_it_ends() -> None:
    parser = RequestParser(Limits(max_request_line_bytes=64))
    assert parser.feed(b"GET /" + b"a" * 59) == []
    with pytest.raises(ProtocolError) as info:
        parser.feed(b"a")
    assert info.value.status == 414


def test_as_many_fields_as_the_limit_are_accepted() -> None:
    fields = [b"Host: a", b"X-1: 1", b"X-2: 2"]
    assert len(head_of(request(*fields), Limits(max_header_count=3)).headers) == 3


def test_too_many_fields_are_refused_with_431() -> None:
    fields = [b"Host: a", b"X-1: 1", b"X-2: 2", b"X-3: 3"]
    assert refusal(request(*fields), Limits(max_header_count=3)) == 431


def test_a_head_at_the_size_limit_is_accepted() -> None:
    data = request(b"Host: a", b"X: " + b"v" * 96)
    assert len(data) == 128
    assert head_of(data, Limits(max_head_bytes=128)).get(b"x") == b"v" * 96


def test_a_head_over_the_size_limit_is_refused_with_431() -> None:
    data = request(b"Host: a", b"X: " + b"v" * 200)
    assert refusal(data, Limits(max_head_bytes=128)) == 431


def test_a_large_head_is_refused_before_it_ends() -> None:
    parser = RequestParser(Limits(max_head_bytes=128))
    assert parser.feed(b"GET / HTTP/1.1\r\nHost: a\r\nX: ") == []
    with pytest.raises(ProtocolError) as info:
        parser.feed(b"v" * 200)
    assert info.value.status == 431


def test_a_missing_host_on_http_1_1_is_refused_with_400() -> None:
    assert refusal(request(b"Accept: */*")) == 400


def test_a_missing_host_on_http_1_0_is_allowed() -> None:
    assert head_of(request(line=b"GET / HTTP/1.0")).authority == b""


@pytest.mark.parametrize("version", [b"1.0", b"1.1"])
@pytest.mark.parametrize(
    "fields", [(b"Host: a", b"Host: a"), (b"Host: a", b"X: 1", b"host: b"), (b"Host: a, b",)]
)
def test_a_repeated_host_is_refused_with_400(version: bytes, fields: tuple[bytes, ...]) -> None:
    assert refusal(request(*fields, line=b"GET / HTTP/" + version)) == 400


@pytest.mark.parametrize(
    "host",
    [b"a b", b"a/b", b"user@a", b"a:b", b"a:1:2", b"[::1", b"::1", b"caf\xc3\xa9", b"a%zz", b"a?b"],
)
def test_an_invalid_host_is_refused_with_400(host: bytes) -> None:
    assert refusal(request(b"Host: " + host)) == 400


@pytest.mark.parametrize(
    "host", [b"a", b"example.com:8080", b"a:", b"[::1]", b"[::1]:80", b"10.0.0.1", b"a%41"]
)
def test_a_valid_host_becomes_the_authority(host: bytes) -> None:
    assert head_of(request(b"Host: " + host)).authority == host


@pytest.mark.parametrize("field", [b"Host:", b"Host: ", b"Host:\t"])
def test_an_empty_host_is_allowed(field: bytes) -> None:
    assert head_of(request(field)).authority == b""
