"""Helpers for the sans-IO tests: every stream is fed whole and also byte by byte.

A parser that answers differently depending on how TCP cut the bytes is a parser two
peers can disagree with, so ``parse`` and ``refusal`` check that both readings agree.
"""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from twisted_wsgi_lab.http11 import BodyData, Event, Limits, ProtocolError, RequestParser


def merge_body(events: Iterable[Event]) -> list[Event]:
    """Join adjacent BodyData: how a body is cut into events is not part of the contract."""
    merged: list[Event] = []
    for event in events:
        if isinstance(event, BodyData) and merged and isinstance(merged[-1], BodyData):
            merged[-1] = BodyData(merged[-1].data + event.data)
        else:
            merged.append(event)
    return merged


def feed_pieces(pieces: Iterable[bytes], limits: Limits | None = None) -> list[Event]:
    """Feed ``pieces`` one after another to a fresh parser and collect every event."""
    parser = RequestParser(limits)
    events: list[Event] = []
    for piece in pieces:
        events.extend(parser.feed(piece))
    return events


def byte_by_byte(data: bytes) -> list[bytes]:
    return [data[index : index + 1] for index in range(len(data))]


def parse(data: bytes, limits: Limits | None = None) -> list[Event]:
    """The events of a valid stream, the same whether fed whole or byte by byte."""
    whole = merge_body(feed_pieces([data], limits))
    assert merge_body(feed_pieces(byte_by_byte(data), limits)) == whole
    return whole


def refusal(data: bytes, limits: Limits | None = None) -> int:
    """The status a refused stream gets, the same whether fed whole or byte by byte."""
    statuses = []
    for pieces in ([data], byte_by_byte(data)):
        with pytest.raises(ProtocolError) as info:
            feed_pieces(pieces, limits)
        statuses.append(info.value.status)
    assert statuses[0] == statuses[1], f"whole gave {statuses[0]}, bytewise {statuses[1]}"
    return statuses[0]
