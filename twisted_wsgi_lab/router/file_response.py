"""A file, or a slice of one, as a response body read block by block.

``FileResponse`` is a ``StreamingResponse`` whose stream is a lazy generator over the
file: the one push producer that sends every streamed body (``sending.StreamSender``)
pulls a block only while the client keeps reading, so a slow client pauses the reads,
a 1 GiB file holds a few 64 KiB blocks in memory, and a client that leaves closes the
generator, which closes the file. Being a ``StreamingResponse`` also means middleware,
``after_request`` hooks and ``app.wsgi`` handle it as they handle any stream.

The file is opened when the first block is wanted, not when the response is made, so
a response that is never sent (the client left, a hook replaced it) holds no file
descriptor. Opening, ``stat`` and reads run in the reactor thread: on a local disk they
take microseconds, one block per turn of the reactor. A file on a slow network mount
would stall every connection while it reads; serve those from a thread instead.

The length is fixed when the response is made and sent as ``Content-Length``. If the
file shrinks meanwhile, the body comes out short and the exchange closes the
connection (the client sees a truncated response, never misframed bytes); if it grows,
only the announced bytes are sent.
"""

from __future__ import annotations

import mimetypes
import os
import stat
from collections.abc import Iterator
from typing import BinaryIO

from .headers import HeadersInput
from .response import OCTET_STREAM, StreamingResponse

BLOCK_BYTES = 64 * 1024

# Python's built-in table alone, not the host's /etc/mime.types: a file gets the same
# type on every machine. Web types that older built-in tables lack are added.
_TYPES = mimetypes.MimeTypes()
for _type, _extension in (
    ("text/javascript", ".js"),  # RFC 9239; older tables say application/javascript
    ("text/javascript", ".mjs"),
    ("font/woff", ".woff"),
    ("font/woff2", ".woff2"),
    ("image/webp", ".webp"),
    ("image/avif", ".avif"),
):
    _TYPES.add_type(_type, _extension)

# A compressed file is served as what it is: Content-Encoding would make browsers
# unpack ``backup.tar.gz`` while downloading it.
_COMPRESSED = {"gzip": "application/gzip", "bzip2": "application/x-bzip2", "xz": "application/x-xz"}


def content_type_for(name: str) -> str:
    """The Content-Type for a file called ``name``; text types are declared UTF-8.

    Unknown names are ``application/octet-stream``: a download, never a guess a
    browser might render.
    """
    guessed, encoding = _TYPES.guess_type(name, strict=False)
    if encoding is not None:
        return _COMPRESSED.get(encoding, OCTET_STREAM)
    if guessed is None:
        return OCTET_STREAM
    return f"{guessed}; charset=utf-8" if guessed.startswith("text/") else guessed


def open_regular_file(path: str) -> BinaryIO:
    """Open ``path`` for reading if it is a regular file.

    ``O_NONBLOCK`` makes opening a FIFO return at once instead of blocking the reactor
    until some writer shows up; the check on the open descriptor then refuses it, and
    a device too, whatever ``path`` was when it was looked at before.

    Raises:
        OSError: it cannot be opened, or it is not a regular file (``EINVAL``).
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    descriptor = os.open(path, flags)
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise OSError(22, "not a regular file", path)
        os.set_blocking(descriptor, True)
    except BaseException:
        os.close(descriptor)
        raise
    return os.fdopen(descriptor, "rb", buffering=0)


def read_blocks(
    path: str, offset: int, length: int, block_bytes: int = BLOCK_BYTES
) -> Iterator[bytes]:
    """Up to ``length`` bytes of ``path`` from ``offset``, in blocks of ``block_bytes``.

    Nothing is opened until the first block is asked for; closing the generator closes
    the file. It ends early if the file ends early.
    """
    with open_regular_file(path) as file:
        file.seek(offset)
        remaining = length
        while remaining > 0:
            block = file.read(min(block_bytes, remaining))
            if not block:
                return
            remaining -= len(block)
            yield block


class FileResponse(StreamingResponse):
    """``length`` bytes of the file at ``path`` from ``offset``, with a Content-Length.

    Without ``length``, the rest of the file from ``offset`` (its size is read now).
    Without ``content_type``, it comes from the file name (``content_type_for``).
    Conditional requests and ranges are ``app.static``'s business; a handler that
    returns a ``FileResponse`` sends exactly the bytes it names.

    Raises:
        OSError: ``length`` is not given and ``path`` cannot be stat'ed.
        ValueError: a negative ``offset`` or ``length``.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        offset: int = 0,
        length: int | None = None,
        status: int = 200,
        headers: HeadersInput = None,
        content_type: str | None = None,
    ) -> None:
        self.path = os.fspath(path)
        if length is None:
            length = max(0, os.stat(self.path).st_size - offset)
        if offset < 0 or length < 0:
            raise ValueError(f"offset {offset} and length {length} must not be negative")
        self.offset, self.length = offset, length
        content_type = content_type or content_type_for(os.path.basename(self.path))
        super().__init__(read_blocks(self.path, offset, length), status, headers, content_type)
        self.headers["Content-Length"] = str(length)

    def __repr__(self) -> str:
        span = f"{self.offset}+{self.length}"
        return f"<FileResponse {self.status} {self.path!r} bytes {span} {self.content_type!r}>"
