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
        self._handed_over = False

    def body_data(self, data: bytes) -> None:
        self._file.write(data)
        self._length += len(data)

    def body_end(self, trailers: Headers) -> None:
        self._file.seek(0)
        self._handed_over = True
        self._on_complete(self._file, self._length)

    def discard(self) -> None:
        """The client left before the app got the body: free the memory or file now.

        Once handed over the file is the app's ``wsgi.input``, closed by whoever runs
        the app when it is done; closing it here could pull it from under a pool
        thread still reading it.
        """
        if not self._handed_over:
            self._file.close()
