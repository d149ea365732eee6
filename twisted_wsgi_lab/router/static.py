"""``app.static(url_prefix, directory)``: the files of a directory, served by the App.

A mount is two routes (GET and HEAD) under one endpoint name, so ``url_for`` builds
its URLs: ``url_prefix/<path:filename>`` for files and, with an index file,
``url_prefix/`` for the directory itself. Each request is answered in the reactor
thread with one ``stat`` (and one more for an index file); the body is a
``FileResponse``, read block by block while the client reads.

What the client can learn is kept to what it may fetch. Anything that is not a
readable regular file inside the directory is the same ``404``: a name that tries to
climb out, a symlink that leads out, a directory without an index file, a FIFO, a
file the server may not read. A ``403`` would tell the client that something is there.
No directory is ever listed.

A directory with an index file is served at its URL with a slash (``/docs/``); without
the slash (``/docs``) it gets a ``308`` to it, so the page's relative links resolve
against the directory, as nginx and Apache do.
"""

from __future__ import annotations

import os
import stat
from typing import TYPE_CHECKING

from .conditional import Validators, if_range_holds, is_not_modified, validators_for
from .errors import HTTPError
from .file_response import FileResponse
from .ranges import ByteRange, byte_range
from .response import Response
from .static_paths import real_directory, resolve_inside

if TYPE_CHECKING:
    from .app import App
    from .request import Request


def mount_static(
    app: App,
    url_prefix: str,
    directory: str | os.PathLike[str],
    *,
    endpoint: str,
    index: str | None,
) -> None:
    """Register the routes of a static mount on ``app`` (see ``App.static``).

    Raises:
        ValueError: ``url_prefix`` does not start with ``/`` or ends with one.
        NotADirectoryError: ``directory`` is not a directory (now, at import time).
        RouteConflictError: a route of the same shape already takes GET or HEAD.
    """
    if url_prefix and (not url_prefix.startswith("/") or url_prefix.endswith("/")):
        raise ValueError(f"url_prefix {url_prefix!r}: start with '/' and do not end with one")
    files = StaticFiles(directory, index=index)
    methods = ["GET", "HEAD"]
    app.route(url_prefix + "/<path:filename>", methods, endpoint)(files)
    if index is not None:
        app.route(url_prefix + "/", methods, endpoint)(files)


class StaticFiles:
    """The handler of one mount: ``(request, filename="")`` to a response."""

    def __init__(self, directory: str | os.PathLike[str], *, index: str | None) -> None:
        if index is not None and (not index or "/" in index or index in (".", "..")):
            raise ValueError(f"index {index!r}: give a plain file name such as 'index.html'")
        self.root = real_directory(directory)
        self.index = index

    def __repr__(self) -> str:
        return f"<StaticFiles {self.root!r} index={self.index!r}>"

    def __call__(self, request: Request, filename: str = "") -> Response:
        """Answer a GET or HEAD for ``filename`` (a decoded path, ``""`` for the root).

        Raises:
            HTTPError: 404 for anything but a regular file inside the directory; 416
                for a range past the end of the file.
        """
        wants_directory = filename == "" or filename.endswith("/")
        name = filename.removesuffix("/")
        path = self.root if name == "" else resolve_inside(self.root, name)
        found = _stat(path)
        if found is not None and stat.S_ISDIR(found.st_mode):
            path, found = self._index_of(name)
            if found is not None and not wants_directory:
                return _slash_redirect(request)
        elif wants_directory or (found is not None and not _readable_file(path, found)):
            found = None  # "file.txt/" names no directory; a FIFO or device is no file
        if path is None or found is None:
            raise HTTPError(404)
        return file_answer(request, path, found)

    def _index_of(self, name: str) -> tuple[str | None, os.stat_result | None]:
        """The index file of the directory ``name`` and its stat, if it is a regular file."""
        if self.index is None:
            return None, None
        path = resolve_inside(self.root, f"{name}/{self.index}" if name else self.index)
        found = _stat(path)
        if found is None or not _readable_file(path, found):
            return None, None
        return path, found


def _stat(path: str | None) -> os.stat_result | None:
    """``os.stat(path)``, or None for anything that cannot be stat'ed (gone, no right)."""
    if path is None:
        return None
    try:
        return os.stat(path)
    except (OSError, ValueError):
        return None


def _readable_file(path: str | None, found: os.stat_result) -> bool:
    """True for a regular file this process may read (a 404 otherwise, never a 403)."""
    return path is not None and stat.S_ISREG(found.st_mode) and os.access(path, os.R_OK)


def _slash_redirect(request: Request) -> Response:
    """308 to the directory's URL with a slash: relative, so any mount prefix works."""
    last = request.raw_path.rsplit(b"/", 1)[-1].decode("latin-1")
    query = "?" + request.query_string.decode("latin-1") if request.query_string else ""
    return Response.redirect(f"./{last}/{query}", status=308)


def file_answer(request: Request, path: str, found: os.stat_result) -> Response:
    """The response to a GET or HEAD for the regular file ``path``: 200, 206 or 304.

    Raises:
        HTTPError: 416 for a single range that lies past the end of the file.
    """
    validators = validators_for(found)
    fields = {
        "ETag": validators.etag,
        "Last-Modified": validators.last_modified,
        "Accept-Ranges": "bytes",
    }
    if_none_match = _field(request, "if-none-match")
    if is_not_modified(validators, if_none_match, request.headers.get("if-modified-since")):
        not_modified = Response(b"", 304, fields)
        not_modified.content_type = None
        return not_modified
    span = _requested_range(request, validators, found.st_size)
    if span is None:
        return FileResponse(path, length=found.st_size, headers=fields)
    fields["Content-Range"] = span.content_range
    return FileResponse(path, offset=span.first, length=span.length, status=206, headers=fields)


def _field(request: Request, name: str) -> str | None:
    """Every value of a list field, joined as one (RFC 9110 section 5.3); None if absent."""
    values = request.headers.getlist(name)
    return ", ".join(values) if values else None


def _requested_range(request: Request, validators: Validators, size: int) -> ByteRange | None:
    """The one range to send, or None for the whole file.

    Only GET has ranges (RFC 9110 section 14.2: a HEAD gets the fields of the whole
    file); an ``If-Range`` that does not hold means the whole file too.

    Raises:
        HTTPError: 416 (see ``ranges.byte_range``).
    """
    value = _field(request, "range")
    if value is None or request.method != "GET":
        return None
    if_range = request.headers.get("if-range")
    if if_range is not None and not if_range_holds(validators, if_range):
        return None
    return byte_range(value, size)
