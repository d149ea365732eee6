"""Fuzz the request parser: any bytes, cut anywhere, keep the contract of parser_invariants.

Two sources of bytes: plain ``st.binary()``, which mostly tests the first line, and
generated requests mutated at the byte level, which reach the fields, the bodies and the
chunked framing. Each stream is fed whole, cut at random offsets and byte by byte, with
the default limits and with limits small enough to hit 413, 414 and 431.

The coverage-guided twin is ``fuzz_atheris.py`` next to this file. A crash either fuzzer
finds becomes a ``test_fuzz_regression_<n>`` below.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, example, find, given, settings
from hypothesis import strategies as st
from mutated_requests import mutated, requests
from parser_invariants import (
    DOCUMENTED_STATUSES,
    SMALL_LIMITS,
    Outcome,
    check_same_outcome,
    check_stream,
    feed_pieces,
    split_at,
)

from twisted_wsgi_lab.http11 import EndOfMessage, Limits

_LIMITS = st.sampled_from([None, SMALL_LIMITS])
_PIPELINES = st.lists(mutated(requests(), max_edits=2), min_size=1, max_size=3).map(b"".join)
_FUZZ = settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _byte_by_byte(data: bytes) -> list[bytes]:
    return [data[index : index + 1] for index in range(len(data))]


def _check_all_ways(data: bytes, cuts: list[int], limits: Limits | None) -> Outcome:
    whole = check_stream(data, cuts, limits)
    bytewise = feed_pieces(_byte_by_byte(data), limits)
    check_same_outcome(data, bytewise, whole, "byte by byte")
    return whole


@_FUZZ
@given(st.binary(max_size=300), st.lists(st.integers(0, 300), max_size=6), _LIMITS)
@example(b"", [], None)
@example(b"\r\n\r\n\r\n", [1, 3], None)
@example(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", [5, 17], SMALL_LIMITS)
@example(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", [], None)  # a TLS ClientHello
def test_random_bytes_only_ever_raise_protocol_error_with_a_documented_status(
    data: bytes, cuts: list[int], limits: Limits | None
) -> None:
    _check_all_ways(data, cuts, limits)


@_FUZZ
@given(_PIPELINES, st.lists(st.integers(0, 600), max_size=6), _LIMITS)
@example(
    b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
    b'3;a="b"\r\nabc\r\n0\r\nT: v\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n',
    [60, 61, 62],
    None,
)
def test_mutated_requests_give_the_same_events_whole_cut_and_byte_by_byte(
    data: bytes, cuts: list[int], limits: Limits | None
) -> None:
    _check_all_ways(data, cuts, limits)


@pytest.mark.parametrize("accepted", [True, False], ids=["accepted", "refused"])
def test_the_structured_strategy_yields_both_accepted_and_refused_requests(
    accepted: bool,
) -> None:
    """Guard the strategy itself: a fuzzer that only makes garbage tests the first line."""

    def outcome_is(data: bytes) -> bool:
        outcome = feed_pieces([data])
        complete = any(isinstance(event, EndOfMessage) for event in outcome.events)
        return complete if accepted else outcome.status is not None

    # find() raises NoSuchExample when the strategy never yields such a request.
    assert outcome_is(find(requests(), outcome_is, settings=settings(database=None)))


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b"GET /" + b"a" * 64 + b" HTTP/1.1\r\nHost: a\r\n\r\n", 414),
        (b"GET / HTTP/1.1\r\nHost: a\r\n" + b"X: y\r\n" * 6 + b"\r\n", 431),
        (b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 49\r\n\r\n", 413),
        (b"GET / HTTP/1.1\r\nHost: a\r\nExpect: x\r\n\r\n", 417),
        (b"GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501),
        (b"GET / HTTP/2.0\r\n\r\n", 505),
    ],
)
def test_each_documented_status_is_reachable_with_small_limits(data: bytes, status: int) -> None:
    assert status in DOCUMENTED_STATUSES
    outcome = check_stream(data, [len(data) // 2], SMALL_LIMITS)
    assert outcome.status == status


def test_split_at_keeps_every_byte_in_order() -> None:
    assert split_at(b"abcdef", [4, 99, -3, 2]) == [b"", b"ab", b"cd", b"ef", b""]


# Regressions found by the fuzzers: each was a status that depended on the cut.


@pytest.mark.parametrize("limits", [SMALL_LIMITS, None], ids=["small", "default"])
def test_fuzz_regression_1(limits: Limits | None) -> None:
    """A bare LF early in a request line that then grows too long: 400 or 414, not both."""
    line_bytes = (limits or Limits()).max_request_line_bytes
    data = b"GET /\n" + b"a" * line_bytes + b" HTTP/1.1\r\nHost: a\r\n\r\n"
    whole = feed_pieces([data], limits)
    assert feed_pieces(_byte_by_byte(data), limits) == whole


@pytest.mark.parametrize("limits", [SMALL_LIMITS, None], ids=["small", "default"])
def test_fuzz_regression_2(limits: Limits | None) -> None:
    """A bare LF early in a head that then grows too large: 400 or 431, not both.

    Found by the structured fuzzer as ``b" CONNECT ... Content-Length: 0 \\r \\n\\r\\n..."``.
    """
    head_bytes = (limits or Limits()).max_head_bytes
    data = b"GET / HTTP/1.1\nHost: a\r\nX: " + b"y" * head_bytes + b"\r\n\r\n"
    whole = feed_pieces([data], limits)
    assert feed_pieces([data[:20], data[20:]], limits) == whole


@pytest.mark.parametrize("limits", [SMALL_LIMITS, None], ids=["small", "default"])
def test_fuzz_regression_3(limits: Limits | None) -> None:
    """An over-long request line whose CRLF came with it is refused at once, like cut.

    Found by fuzz_atheris.py as ``b"PTIONS * HTTP/1.1\\x00...\\r\\nHost: a\\r\\n[\\r\\nCON3"``.
    """
    line_bytes = (limits or Limits()).max_request_line_bytes
    data = b"GET /" + b"a" * line_bytes + b" HTTP/1.1\r\nHost: a\r\n"
    whole = feed_pieces([data], limits)
    assert feed_pieces([data[: line_bytes + 1], data[line_bytes + 1 :]], limits) == whole


@pytest.mark.parametrize("limits", [SMALL_LIMITS, None], ids=["small", "default"])
def test_fuzz_regression_4(limits: Limits | None) -> None:
    """A request line longer than the whole head limit is a 414, whole or cut.

    Found by fuzz_atheris.py as 165 bytes of binary ending in CRLF: 431 whole, 414 cut.
    """
    limits_used = limits or Limits()
    data = b"GET /" + b"a" * limits_used.max_head_bytes + b" HTTP/1.1\r\n"
    cut = limits_used.max_request_line_bytes + 1
    whole = feed_pieces([data], limits)
    assert feed_pieces([data[:cut], data[cut:]], limits) == whole
