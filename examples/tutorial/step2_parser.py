"""Step 2: HTTP/1.1 without a socket: labweb's sans-IO parser and response writer.

Bytes go into ``RequestParser`` and events come out; ``ResponseWriter`` turns a
status, fields and a body into framed bytes. Nothing here does I/O, so the same code
serves any socket, a test, or a file of captured bytes (docs/tutorial/step2.md).
"""

from __future__ import annotations

from twisted_wsgi_lab.http11 import (
    BodyData,
    Event,
    ProtocolError,
    RequestHead,
    RequestParser,
)
from twisted_wsgi_lab.http11.writer import ResponseWriter

# A fixed Date, so this program prints the same bytes every time it runs.
DATE = b"Tue, 01 Dec 2026 12:00:00 GMT"

CAPTURED = (
    b"POST /echo HTTP/1.1\r\nHost: example\r\nContent-Length: 5\r\n\r\nhello"
    b"GET /bye HTTP/1.1\r\nHost: example\r\nConnection: close\r\n\r\n"
)


def describe(event: Event) -> str:
    """One line per event: what a server needs to know, not every field."""
    if isinstance(event, RequestHead):
        framing = "no body" if not event.has_body else f"Content-Length {event.content_length}"
        if event.chunked:
            framing = "chunked"
        then = "keep-alive" if event.keep_alive else "close"
        target = event.target.decode("ascii")
        return f"RequestHead {event.method.decode('ascii')} {target} ({framing}; {then})"
    if isinstance(event, BodyData):
        return f"BodyData {event.data!r}"
    return "EndOfMessage"


def parse(chunks: list[bytes]) -> list[Event]:
    """Feed ``chunks`` one after another; every event they complete."""
    parser = RequestParser()
    return [event for chunk in chunks for event in parser.feed(chunk)]


def joined(events: list[Event]) -> list[Event]:
    """Consecutive body pieces as one: how a body is cut depends on the reads."""
    merged: list[Event] = []
    for event in events:
        if isinstance(event, BodyData) and merged and isinstance(merged[-1], BodyData):
            merged[-1] = BodyData(merged[-1].data + event.data)
        else:
            merged.append(event)
    return merged


def show_wire(label: str, wire: bytes) -> None:
    print(label)
    for line in wire.splitlines(keepends=True):
        print("   ", repr(line)[2:-1])


def main() -> None:
    print("1. Two pipelined requests in one read:")
    whole = parse([CAPTURED])
    for event in whole:
        print("   ", describe(event))

    trickled = parse([CAPTURED[i : i + 1] for i in range(len(CAPTURED))])
    pieces = sum(isinstance(event, BodyData) for event in trickled)
    same = "the same requests" if joined(trickled) == joined(whole) else "DIFFERENT requests"
    print(f"2. The same bytes one at a time: {len(trickled)} events, the body in {pieces} pieces;")
    print(f"   joined, {same}")

    print("3. Requests that break the rules:")
    for broken in (
        b"GET / HTTP/1.1\r\n\r\n",
        b"GET / HTTP/1.1\nHost: a\n\n",
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
    ):
        try:
            parse([broken])
        except ProtocolError as error:
            print(f"    {repr(broken)[2:-1]}")
            print(f"      -> {error.status} {error}")

    parser = RequestParser()
    post, _, _, bye, _ = parser.feed(CAPTURED)
    assert isinstance(post, RequestHead) and isinstance(bye, RequestHead)
    fields = [(b"Content-Type", b"text/plain")]

    writer = ResponseWriter(post, server=b"step2")
    wire = writer.start(200, b"OK", [*fields, (b"Content-Length", b"5")], date=DATE)
    show_wire("4. A response with a Content-Length:", wire + writer.body(b"hello") + writer.end())

    writer = ResponseWriter(post, server=b"step2")
    wire = writer.start(200, b"OK", fields, date=DATE)
    wire += writer.body(b"hel") + writer.body(b"lo") + writer.end()
    show_wire("5. The same body in two pieces, length unknown: chunked", wire)

    writer = ResponseWriter(bye, server=b"step2")
    wire = writer.start(200, b"OK", [*fields, (b"Content-Length", b"4")], date=DATE)
    show_wire("6. The answer to a request that asked to close:", wire + writer.body(b"bye\n"))
    print(f"   keep the connection open afterwards? {writer.keep_alive}")


if __name__ == "__main__":
    main()
