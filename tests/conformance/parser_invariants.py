"""What must hold for any bytes fed to RequestParser, however the network cut them.

Shared by ``test_fuzz_parser.py`` (Hypothesis) and ``fuzz_atheris.py`` (coverage-guided),
so both fuzzers check exactly the same contract:

- the only exception that leaves ``feed``/``next_event`` is ``ProtocolError``;
- its status is one the parser documents: 400, 413, 414, 417, 431, 501 or 505;
- once it has raised, the parser raises that same error on every later call;
- the events come in request order (head, body pieces, end), with no empty body piece
  and never more body than Content-Length announced;
- feeding the stream in pieces gives the same events (adjacent BodyData merged), the
  same error status and the same unread bytes as feeding it whole; the events completed
  before a refusal are compared too.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from twisted_wsgi_lab.http11 import (
    BodyData,
    EndOfMessage,
    Event,
    Limits,
    ProtocolError,
    RequestHead,
    RequestParser,
)

DOCUMENTED_STATUSES = frozenset({400, 413, 414, 417, 431, 501, 505})

# Limits small enough for short fuzz inputs to reach every 413, 414 and 431 branch.
SMALL_LIMITS = Limits(
    max_request_line_bytes=40,
    max_head_bytes=160,
    max_header_count=6,
    max_body_bytes=48,
    max_chunk_line_bytes=24,
    max_trailer_bytes=48,
)


@dataclass(frozen=True)
class Outcome:
    """What one parser made of a stream."""

    events: tuple[Event, ...]  # adjacent BodyData merged
    status: int | None  # the ProtocolError status, or None when nothing was refused
    unread_bytes: int | None  # bytes still buffered, when nothing was refused


def merge_body(events: Iterable[Event]) -> tuple[Event, ...]:
    """Join adjacent BodyData: how a body is cut into events is not part of the contract."""
    merged: list[Event] = []
    for event in events:
        if isinstance(event, BodyData) and merged and isinstance(merged[-1], BodyData):
            merged[-1] = BodyData(merged[-1].data + event.data)
        else:
            merged.append(event)
    return tuple(merged)


def split_at(data: bytes, cuts: Iterable[int]) -> list[bytes]:
    """``data`` cut at the given offsets (clamped and sorted); empty pieces are kept."""
    points = sorted(min(max(cut, 0), len(data)) for cut in cuts)
    return [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]


def feed_pieces(pieces: Iterable[bytes], limits: Limits | None = None) -> Outcome:
    """Give ``pieces`` to a fresh parser one by one, pulling every event after each.

    ``receive_data`` and ``next_event`` are used rather than ``feed``, as the protocol
    does, so the events completed before a refusal are kept and compared too.
    """
    parser = RequestParser(limits)
    events: list[Event] = []
    try:
        for piece in pieces:
            parser.receive_data(piece)
            while (event := parser.next_event()) is not None:
                events.append(event)
    except ProtocolError as error:
        check_refusal(parser, error)
        return Outcome(merge_body(events), error.status, None)
    return Outcome(merge_body(events), None, parser.buffered_bytes)


def check_feed(data: bytes, expected: Outcome, limits: Limits | None = None) -> None:
    """``feed`` returns the events of ``expected``, or raises its error.

    On a refusal ``feed`` raises and so returns none of the events it completed before
    it: only the status can be compared.
    """
    parser = RequestParser(limits)
    try:
        events = parser.feed(data)
    except ProtocolError as error:
        check_refusal(parser, error)
        assert error.status == expected.status, "feed refused with another status"
    else:
        assert expected.status is None, "feed accepted what next_event refused"
        assert merge_body(events) == expected.events, "feed gave other events"


def check_refusal(parser: RequestParser, error: ProtocolError) -> None:
    """A documented status, and the same error again on every later call."""
    assert error.status in DOCUMENTED_STATUSES, f"undocumented status {error.status}"
    for call in (parser.next_event, lambda: parser.feed(b""), lambda: parser.feed(b"\r\n")):
        try:
            call()
        except ProtocolError as again:
            assert again is error, "a later call raised a different error"
        else:
            raise AssertionError("a parser that refused the stream accepted more calls")


def check_event_order(events: Sequence[Event], limits: Limits | None = None) -> None:
    """Head, then body pieces, then the end, request after request."""
    max_body_bytes = (limits or Limits()).max_body_bytes
    head: RequestHead | None = None
    body_bytes = 0
    for event in events:
        if isinstance(event, RequestHead):
            assert head is None, "a head inside a message"
            head, body_bytes = event, 0
            continue
        assert head is not None, f"{type(event).__name__} outside a message"
        if isinstance(event, BodyData):
            assert event.data, "an empty BodyData"
            body_bytes += len(event.data)
            assert body_bytes <= max_body_bytes, "more body than the limit"
            if not head.chunked:
                assert body_bytes <= (head.content_length or 0), "body past Content-Length"
        else:
            assert isinstance(event, EndOfMessage)
            if not head.chunked:
                assert body_bytes == (head.content_length or 0), "short Content-Length body"
            assert head.chunked or not event.trailers, "trailers without chunked"
            head = None


def check_same_outcome(data: bytes, cut: Outcome, whole: Outcome, how: str) -> None:
    if cut != whole:
        raise AssertionError(f"{how} gave {cut}, whole gave {whole}")


def check_stream(data: bytes, cuts: Iterable[int], limits: Limits | None = None) -> Outcome:
    """Check ``data`` whole and cut at ``cuts``; return the outcome of the whole stream."""
    whole = feed_pieces([data], limits)
    check_event_order(whole.events, limits)
    check_feed(data, whole, limits)
    cuts = sorted(cuts)
    check_same_outcome(data, feed_pieces(split_at(data, cuts), limits), whole, f"cut at {cuts}")
    return whole
