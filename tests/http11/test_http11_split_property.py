"""Property: how the stream is cut into reads never changes what the parser sees."""

from __future__ import annotations

from dataclasses import dataclass

from http11_support import byte_by_byte, merge_body
from hypothesis import given, settings
from hypothesis import strategies as st

from twisted_wsgi_lab.http11 import BodyData, EndOfMessage, Event, RequestHead, RequestParser

_TCHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_PATH_CHARS = "abcXYZ019-._~!$&'()*+,;=:@/"
_VALUE_CHARS = "".join(chr(c) for c in range(0x21, 0x7F)) + " \t"


@dataclass(frozen=True)
class Sent:
    """One generated request: its bytes and what the parser must report for it."""

    wire: bytes
    method: bytes
    path: bytes
    body: bytes
    trailers: tuple[tuple[bytes, bytes], ...]


def _ascii(alphabet: str, *, min_size: int = 0, max_size: int = 12) -> st.SearchStrategy[bytes]:
    text = st.text(alphabet, min_size=min_size, max_size=max_size)
    return text.map(lambda value: value.encode("ascii"))


def _field_value() -> st.SearchStrategy[bytes]:
    return _ascii(_VALUE_CHARS).map(lambda value: value.strip(b" \t"))


_FIELDS = st.lists(st.tuples(_ascii(_TCHARS, min_size=1).map(b"x-".__add__), _field_value()))
_EXTENSION = st.sampled_from([b"", b";a", b";a=b", b'; name="quoted;value"'])


@st.composite
def _chunked(draw: st.DrawFn, body: bytes) -> tuple[bytes, tuple[tuple[bytes, bytes], ...]]:
    """Encode ``body`` in chunks of drawn sizes, with extensions and trailers."""
    cuts = sorted(draw(st.lists(st.integers(0, len(body)), max_size=4)))
    pieces = [body[a:b] for a, b in zip([0, *cuts], [*cuts, len(body)], strict=True)]
    wire = b""
    for piece in filter(None, pieces):
        size = draw(st.sampled_from([b"%x", b"%X", b"00%x"])) % len(piece)
        wire += size + draw(_EXTENSION) + b"\r\n" + piece + b"\r\n"
    trailers = tuple(draw(st.lists(st.tuples(_ascii(_TCHARS, min_size=1), _field_value()))))
    wire += b"0" + draw(_EXTENSION) + b"\r\n"
    wire += b"".join(name + b": " + value + b"\r\n" for name, value in trailers)
    lowered = tuple((name.lower(), value) for name, value in trailers)
    return wire + b"\r\n", lowered


@st.composite
def _request(draw: st.DrawFn) -> Sent:
    method = draw(st.sampled_from([b"GET", b"POST", b"PUT", b"PATCH"]))
    path = b"/" + draw(_ascii(_PATH_CHARS))
    version = draw(st.sampled_from([b"1.0", b"1.1"]))
    fields = [(b"Host", b"example.com"), *draw(_FIELDS)]
    body = draw(st.binary(max_size=64))
    framings = ["length", "chunked"] if body else ["length", "chunked", "none"]
    framing = draw(st.sampled_from(framings))
    trailers: tuple[tuple[bytes, bytes], ...] = ()
    encoded = body
    if framing == "length":
        fields.append((b"Content-Length", b"%d" % len(body)))
    elif framing == "chunked":
        fields.append((b"Transfer-Encoding", b"chunked"))
        encoded, trailers = draw(_chunked(body))
    fields = draw(st.permutations(fields))
    lines = [b"%s %s HTTP/%s" % (method, path, version)]
    lines += [
        name + b":" + draw(st.sampled_from([b"", b" ", b"\t"])) + value for name, value in fields
    ]
    wire = draw(st.sampled_from([b"", b"\r\n"])) + b"\r\n".join(lines) + b"\r\n\r\n" + encoded
    return Sent(wire, method, path, body, trailers)


def _feed(pieces: list[bytes]) -> list[Event]:
    parser = RequestParser()
    events: list[Event] = []
    for piece in pieces:
        events.extend(parser.feed(piece))
    assert parser.between_requests
    assert all(event.data for event in events if isinstance(event, BodyData))
    return events


def _expected(sent: Sent) -> list[object]:
    body = [BodyData(sent.body)] if sent.body else []
    return [(sent.method, sent.path), *body, EndOfMessage(trailers=sent.trailers)]


@settings(max_examples=200, deadline=None)
@given(st.lists(_request(), min_size=1, max_size=4), st.data())
def test_a_stream_gives_the_same_events_whole_byte_by_byte_and_split_anywhere(
    sent: list[Sent], data: st.DataObject
) -> None:
    stream = b"".join(request.wire for request in sent)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=8), label="cuts"))
    split = [stream[a:b] for a, b in zip([0, *cuts], [*cuts, len(stream)], strict=True)]
    whole = merge_body(_feed([stream]))
    assert merge_body(_feed(byte_by_byte(stream))) == whole
    assert merge_body(_feed(split)) == whole
    reduced = [(e.method, e.path) if isinstance(e, RequestHead) else e for e in whole]
    assert reduced == [event for request in sent for event in _expected(request)]
