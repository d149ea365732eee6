"""What an application returns: ``wsgi.file_wrapper``, and its length when knowable.

A body whose length is known before it is sent goes out with Content-Length instead
of chunked: the client knows the size, and an HTTP/1.0 connection can be kept alive.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import IO, Any

FILE_BLOCK_BYTES = 64 * 1024
# A body item larger than this goes to the connection a slice at a time, each sent only
# while the client keeps up. Backpressure then acts every slice, and the send timeout
# measures a stall (no slice taken), not the time a huge item needs to drain.
WRITE_SLICE_BYTES = 64 * 1024


class FileWrapper:
    """``wsgi.file_wrapper``: a file sent in blocks, never read whole.

    The bridge iterates it like any response, so the same backpressure applies: a slow
    client pauses the reads. Blocks are at least 64 KiB, whatever the app asks, since
    smaller reads only cost more reactor turns.
    """

    def __init__(self, filelike: IO[bytes], block_size: int = 8192) -> None:
        self.filelike = filelike
        self.block_size = max(block_size, FILE_BLOCK_BYTES)

    def __iter__(self) -> Iterator[bytes]:
        read = self.filelike.read
        while block := read(self.block_size):
            yield block

    def close(self) -> None:
        """PEP 3333: closing the wrapper closes the file."""
        close = getattr(self.filelike, "close", None)
        if close is not None:
            close()

    def remaining_bytes(self) -> int | None:
        """Bytes from the current position to the end of a regular file, else None."""
        try:
            size = os.fstat(self.filelike.fileno()).st_size
            return max(size - self.filelike.tell(), 0)
        except (AttributeError, OSError, ValueError):
            return None


def slices(chunk: bytes) -> Iterator[bytes]:
    """``chunk`` in pieces of at most ``WRITE_SLICE_BYTES``, each copied once."""
    view = memoryview(chunk)
    for start in range(0, len(chunk), WRITE_SLICE_BYTES):
        yield bytes(view[start : start + WRITE_SLICE_BYTES])


def known_length(result: Any) -> int | None:
    """The body length of ``result`` if it is knowable without iterating it."""
    kind = type(result)
    if kind is list or kind is tuple:
        if len(result) == 1:  # the usual [body]: no generator to walk it
            item = result[0]
            return len(item) if type(item) is bytes else None
        if all(type(item) is bytes for item in result):
            return sum(len(item) for item in result)
        return None
    if kind is FileWrapper:
        length: int | None = result.remaining_bytes()
        return length
    return None
