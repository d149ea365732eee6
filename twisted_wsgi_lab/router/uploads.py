"""``UploadFile``: one file of a multipart form, in memory while small, on disk past that.

An upload is written as its bytes arrive, so the server holds at most
``upload_spool_bytes`` of it in memory: past that threshold what was kept moves to an
anonymous temporary file (unlinked at once, so nothing is left on disk even if the
process dies) and the rest goes straight there. The file is closed, and its disk space
freed, when the request is over: a handler that wants to keep an upload calls
``save(path)`` before it answers.

Reading and saving are plain blocking file calls in the reactor thread, as the spooled
request body of the WSGI bridge is: writes go to the page cache, and a handler that
moves gigabytes can ``deferToThread(upload.save, path)``.
"""

from __future__ import annotations

import io
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO

COPY_BYTES = 1024 * 1024  # the slice save() copies at a time


class UploadFile:
    """An uploaded file: what the client said about it, and its bytes.

    ``filename`` is exactly what the client sent (possibly empty, possibly with ``../``
    in it): never use it as a path without checking it.
    """

    def __init__(
        self,
        name: str,
        filename: str,
        content_type: str,
        headers: Mapping[str, str],
        *,
        spool_bytes: int,
    ) -> None:
        self.name = name  # the form field it was sent under
        self.filename = filename
        self.content_type = content_type
        self.headers = dict(headers)  # the part's own header fields, names lower-cased
        self.size = 0
        self._spool_bytes = spool_bytes
        self._memory: io.BytesIO | None = io.BytesIO()  # None once spilled
        self._file: IO[bytes] = self._memory

    def __repr__(self) -> str:
        return f"<UploadFile {self.name}={self.filename!r} {self.size} bytes>"

    @property
    def in_memory(self) -> bool:
        """True while the upload is below the spool threshold (no temporary file)."""
        return self._memory is not None

    @property
    def closed(self) -> bool:
        """True once the request is over (or ``close()`` was called)."""
        return self._file.closed

    def write(self, data: bytes | memoryview) -> None:
        """Append bytes as they arrive; past the spool threshold, to a temporary file."""
        if self._memory is not None and self.size + len(data) > self._spool_bytes:
            self._spill(self._memory)
        self._file.write(data)
        self.size += len(data)

    def _spill(self, memory: io.BytesIO) -> None:
        disk = tempfile.TemporaryFile()  # noqa: SIM115 (owned here, closed by close())
        with memory.getbuffer() as view:
            disk.write(view)
        self._file, self._memory = disk, None
        memory.close()

    def rewind(self) -> None:
        """Make the first ``read()`` start at the beginning: the upload is complete."""
        self._file.seek(0)

    def read(self, size: int = -1) -> bytes:
        """Read from the current position, as a file would (all of it by default)."""
        return self._file.read(size)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        """Move the read position, as a file would."""
        return self._file.seek(offset, whence)

    def save(self, path: str | Path) -> None:
        """Copy the whole upload to ``path`` (created or replaced), a slice at a time."""
        position = self._file.tell()
        self._file.seek(0)
        try:
            with open(path, "wb") as target:
                shutil.copyfileobj(self._file, target, COPY_BYTES)
        finally:
            self._file.seek(position)

    def close(self) -> None:
        """Drop the bytes: the temporary file is closed and its space freed."""
        self._file.close()


class Files(Mapping[str, UploadFile]):
    """The uploads of a form by field name: ``files[name]`` is the first one sent under
    that name, ``files.getlist(name)`` every one (``<input type=file multiple>``)."""

    __slots__ = ("_items",)

    def __init__(self, items: Iterable[UploadFile] = ()) -> None:
        self._items = list(items)

    def __getitem__(self, name: str) -> UploadFile:
        for upload in self._items:
            if upload.name == name:
                return upload
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys(upload.name for upload in self._items))

    def __len__(self) -> int:
        return len({upload.name for upload in self._items})

    def getlist(self, name: str) -> list[UploadFile]:
        """Every upload sent under ``name``, in order; an empty list when there is none."""
        return [upload for upload in self._items if upload.name == name]

    def all(self) -> list[UploadFile]:
        """Every upload of the form, in the order they arrived."""
        return list(self._items)

    def __repr__(self) -> str:
        return f"Files({self._items!r})"
