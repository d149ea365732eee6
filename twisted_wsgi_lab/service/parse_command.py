"""``labweb parse FILE``: run the sans-IO parser over a captured request stream.

The stream is given to ``http11.RequestParser`` exactly as a connection would, and each
event is printed with the byte offset where it ended, so a capture (``tcpdump``, ``nc
-l``, a fuzzer's output) can be read the way the server reads it. Nothing here imports
Twisted's reactor: the parser is sans-IO, and so is this command.

Exit status: 0 when every request in the stream is complete, 1 when the stream breaks
HTTP/1.1 (the error and its offset are the last line), 2 for a usage error or a file
that cannot be read, 3 when the stream ends inside a request.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

from ..http11 import (
    BodyData,
    EndOfMessage,
    Event,
    Limits,
    ProtocolError,
    RequestHead,
    RequestParser,
)

EXIT_COMPLETE = 0
EXIT_PROTOCOL_ERROR = 1
EXIT_USAGE = 2
EXIT_INCOMPLETE = 3
SHOWN_BODY_BYTES = 60  # a BodyData line shows at most this many bytes, escaped

_DESCRIPTION = """\
Feed a captured request stream (raw bytes, several pipelined requests allowed) to
labweb's HTTP/1.1 parser, with the server's default limits, and print each event with
the byte offset where it ended: '@52 RequestHead ...', '@57 BodyData ...',
'@57 EndOfMessage'. A stream that breaks the RFC ends with '@N error STATUS: message',
N being the number of bytes the parser had when it refused; a stream cut short ends
with '@N incomplete: waiting for more bytes (inside the head|body)'.
"""

_EPILOG = """\
exit status: 0 every request complete, 1 the stream breaks HTTP/1.1,
2 usage error or unreadable file, 3 the stream ends inside a request
"""


@dataclass(frozen=True, slots=True)
class Report:
    """What ``labweb parse`` prints, one line per event, and the exit status."""

    lines: list[str]
    status: int


def describe(stream: bytes, limits: Limits | None = None) -> Report:
    """Parse ``stream`` as one connection's bytes and describe every event.

    The stream is fed whole, so an event's offset is what the parser had consumed when
    it handed the event out. On an error the stream is replayed byte by byte from the
    last event, so the offset is where the error became certain however TCP had cut
    the bytes (the parser promises the same answer for every split).
    """
    parser = RequestParser(limits)
    parser.receive_data(stream)
    lines: list[str] = []
    offset = 0
    in_body = False
    while True:
        try:
            event = parser.next_event()
        except ProtocolError as error:
            at = _error_offset(stream, offset, limits)
            lines.append(f"@{at} error {error.status}: {error}")
            return Report(lines, EXIT_PROTOCOL_ERROR)
        if event is None:
            break
        offset = len(stream) - parser.buffered_bytes
        lines.append(f"@{offset} {describe_event(event)}")
        if isinstance(event, RequestHead):
            in_body = True
        elif isinstance(event, EndOfMessage):
            in_body = False
    if in_body or not parser.between_requests:
        where = "body" if in_body else "head"
        lines.append(f"@{len(stream)} incomplete: waiting for more bytes (inside the {where})")
        return Report(lines, EXIT_INCOMPLETE)
    return Report(lines, EXIT_COMPLETE)


def _error_offset(stream: bytes, start: int, limits: Limits | None) -> int:
    """How many bytes of ``stream`` a parser fed byte by byte holds when it refuses.

    The bytes before ``start`` (the end of the last good event) are fed at once: they
    parsed cleanly the first time, so only the rest needs the slow walk.
    """
    parser = RequestParser(limits)
    fed = start
    parser.receive_data(stream[:start])
    try:
        _drain(parser)
        while fed < len(stream):
            parser.receive_data(stream[fed : fed + 1])
            fed += 1
            _drain(parser)
    except ProtocolError:
        return fed
    return len(stream)  # not reached while the parser keeps its promise


def _drain(parser: RequestParser) -> None:
    while parser.next_event() is not None:
        pass


def describe_event(event: Event) -> str:
    """One line for one event, without its offset."""
    if isinstance(event, RequestHead):
        return describe_head(event)
    if isinstance(event, BodyData):
        shown = repr(event.data[:SHOWN_BODY_BYTES])[1:]
        more = "..." if len(event.data) > SHOWN_BODY_BYTES else ""
        return f"BodyData {len(event.data)} bytes {shown}{more}"
    if event.trailers:
        return f"EndOfMessage ({_count(len(event.trailers), 'trailer field')})"
    return "EndOfMessage"


def describe_head(head: RequestHead) -> str:
    """``RequestHead GET /path HTTP/1.1 (3 fields; Content-Length 5)``."""
    method = head.method.decode("ascii", "backslashreplace")
    target = head.target.decode("ascii", "backslashreplace")
    version = f"HTTP/{head.version[0]}.{head.version[1]}"
    if head.chunked:
        framing = "chunked"
    elif head.content_length is not None:
        framing = f"Content-Length {head.content_length}"
    else:
        framing = "no body"
    notes = [_count(len(head.headers), "field"), framing]
    if not head.keep_alive:
        notes.append("then close")
    if head.expects_continue:
        notes.append("expects 100-continue")
    if head.upgrade:
        notes.append("asks to upgrade")
    return f"RequestHead {method} {target} {version} ({'; '.join(notes)})"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _arguments() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="labweb parse",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("file", metavar="FILE", help="the captured bytes; '-' reads stdin")
    return parser


def _read(name: str) -> bytes:
    """The bytes of ``name``, or of stdin for '-'.

    Raises:
        OSError: the file cannot be read.
    """
    if name == "-":
        return sys.stdin.buffer.read()
    return Path(name).read_bytes()


def run(argv: list[str]) -> int:
    """``labweb parse`` with its arguments (without the word "parse"); the exit status."""
    try:
        arguments = _arguments().parse_args(argv)
    except SystemExit as stop:  # --help (0) or a usage error (2), already printed
        return stop.code if isinstance(stop.code, int) else EXIT_USAGE
    try:
        stream = _read(arguments.file)
    except OSError as error:
        reason = error.strerror or str(error)
        print(f"labweb parse: error: cannot read {arguments.file}: {reason}", file=sys.stderr)
        return EXIT_USAGE
    report = describe(stream)
    for line in report.lines:
        print(line)
    return report.status
