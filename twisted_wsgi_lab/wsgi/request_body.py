"""Reactor mode's ``wsgi.input``: the whole body, received before the app is called.

Small bodies stay in memory; past ``spool_bytes`` they spill to a temporary file, so
a large upload costs disk, not memory. The file object gives ``read()``, ``read(n)``,
``readline()``, ``readlines()`` and iteration as PEP 3333 asks.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from typing import IO

from ..http11 import Headers


class SpooledBody:
    """A ``BodyReceiver`` that stores the body and hands it over once complete."""

    def __init__(self, spool_bytes: int, on_complete: Callable[[IO[bytes], int], None]) -> None:
        # The file outlives this call: it becomes wsgi.input, closed with the request.
        self._file: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=spool_bytes)  # noqa: SIM115
        self._length = 0
        self._on_complete = on_complete

    def body_data(self, data: bytes) -> None:
        self._file.write(data)
        self._length += len(data)

    def body_end(self, trailers: Headers) -> None:
        self._file.seek(0)
        self._on_complete(self._file, self._length)

    def discard(self) -> None:
        """The request will never be answered: free the memory or file now."""
        self._file.close()
