"""Turn the ``>`` lines of one connection in a wire trace back into the raw bytes.

``labweb --trace-file`` writes what a client sent, escaped; this undoes the escaping
so ``labweb parse`` can replay the capture through the parser alone
(docs/howto/trace-a-client.md). A piece the trace cut (``--trace-bytes``) cannot be
restored, so that is refused.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

LINE = re.compile(r"^\S+ \[(\d+)\] ([<>*]) (.*)$")
ESCAPE = re.compile(r"\\(x[0-9a-f]{2}|r|n|\\)")


def unescape(text: str) -> bytes:
    """The trace's escapes undone: ``\\r``, ``\\n``, ``\\xNN`` and ``\\\\``."""

    def one(match: re.Match[str]) -> str:
        code = match.group(1)
        simple = {"r": "\r", "n": "\n", "\\": "\\"}
        return simple[code] if code in simple else chr(int(code[1:], 16))

    return ESCAPE.sub(one, text).encode("latin-1")


def received(trace: str, connection: int) -> bytes:
    """Every byte the trace shows ``connection`` receiving, in order."""
    data = b""
    last_mark = ""
    for line in trace.splitlines():
        found = LINE.match(line)
        if not found or int(found.group(1)) != connection:
            continue
        mark, text = found.group(2), found.group(3)
        if mark == ">":
            data += unescape(text)
        elif mark == "*" and "more bytes not shown" in text and last_mark == ">":
            sys.exit(f"what connection {connection} sent was cut: trace with more --trace-bytes")
        last_mark = mark
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trace", type=Path, help="a file written by --trace-file")
    parser.add_argument("connection", type=int, help="the number in [brackets]")
    parser.add_argument("--output", type=Path, required=True)
    options = parser.parse_args()
    data = received(options.trace.read_text(), options.connection)
    options.output.write_bytes(data)
    print(f"wrote {len(data)} bytes from connection {options.connection} to {options.output}")


if __name__ == "__main__":
    main()
