"""Turning a request body into form fields and uploaded files, a chunk at a time.

Two parsers share one small interface (``feed`` each chunk, ``finish`` at the end,
``close`` to drop what they hold), chosen by the Content-Type:

- ``multipart/form-data`` goes through python-multipart's sans-IO ``MultipartParser``,
  whose callbacks arrive here as each chunk is parsed. A file part is written to its
  ``UploadFile`` as its bytes come (spilling to disk past ``upload_spool_bytes``), so a
  300 MiB upload never sits in memory; every other count and size is checked in the
  callback that would grow it, before the bytes are kept.
- ``application/x-www-form-urlencoded`` is collected, bounded by
  ``max_form_field_bytes`` as it arrives, then split by ``parse_query``: the same rules
  as the query string (only ``&`` separates, bad UTF-8 is replaced), and a whole form
  this small gains nothing from being split piecemeal.

Every refusal is an ``HTTPError`` naming the limit's command-line option, answered with
``Connection: close``: the rest of a refused body is not worth reading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Protocol

from python_multipart import MultipartParser
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import parse_options_header

from ..http11 import Limits
from .errors import HTTPError
from .headers import parse_query
from .uploads import UploadFile

Fields = list[tuple[str, str]]

URLENCODED = b"application/x-www-form-urlencoded"
MULTIPART = b"multipart/form-data"
# RFC 2046 section 5.1.1: 1 to 70 bchars, the last one not a space.
_BOUNDARY = re.compile(rb"[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]")
# Each header line of a part costs its name and value plus ": " and CRLF.
_HEADER_LINE_OVERHEAD = 4
# RFC 7578 section 4.4: a part without Content-Type is text/plain.
_DEFAULT_PART_TYPE = "text/plain"


def refuse(status: int, detail: str) -> HTTPError:
    """The error that answers a refused form; the connection closes after it."""
    return HTTPError(status, detail, headers={"Connection": "close"})


class FormParser(Protocol):
    """What reads a form body: chunks in, fields and uploads out."""

    def feed(self, data: bytes) -> None:
        """Parse one chunk. Raises ``HTTPError`` (413, 400) to refuse the form."""

    def finish(self) -> tuple[Fields, list[UploadFile]]:
        """The body is complete: the fields and uploads, in order. Raises ``HTTPError``."""

    def close(self) -> None:
        """Drop everything held, uploads included (temporary files are freed)."""


def choose_parser(content_type: str | None, limits: Limits, *, has_body: bool) -> FormParser:
    """The parser for a body of ``content_type``.

    A request with neither body nor Content-Type (a GET) has an empty form.

    Raises:
        HTTPError: 415 for any other type; 400 for multipart without a usable boundary.
    """
    kind, params = parse_options_header(content_type)
    if kind == MULTIPART:
        return MultipartFormParser(_boundary(params.get(b"boundary")), limits)
    if kind == URLENCODED or (not kind and not has_body):
        return UrlencodedFormParser(limits)
    got = kind.decode("latin-1") or "no Content-Type"
    raise refuse(
        415, f"expected application/x-www-form-urlencoded or multipart/form-data, got {got}"
    )


def _boundary(value: bytes | None) -> bytes:
    if not value:
        raise refuse(400, "multipart/form-data without a boundary parameter")
    if not _BOUNDARY.fullmatch(value):
        raise refuse(
            400,
            f"the multipart boundary {value.decode('latin-1')!r} is not 1 to 70 of the"
            " characters RFC 2046 allows",
        )
    return value


class UrlencodedFormParser:
    """``a=1&b=2``, held (up to ``max_form_field_bytes``) until the body ends."""

    def __init__(self, limits: Limits) -> None:
        self._limits = limits
        self._data = bytearray()

    def feed(self, data: bytes) -> None:
        limit = self._limits.max_form_field_bytes
        if len(self._data) + len(data) > limit:
            raise refuse(
                413, f"the urlencoded form is larger than {limit} bytes (--max-form-field)"
            )
        self._data += data

    def finish(self) -> tuple[Fields, list[UploadFile]]:
        fields = parse_query(bytes(self._data)).multi_items()
        self._data = bytearray()
        limit = self._limits.max_form_parts
        if len(fields) > limit:
            raise refuse(413, f"the form has more than {limit} fields (--max-form-parts)")
        return fields, []

    def close(self) -> None:
        self._data = bytearray()


@dataclass(slots=True)
class _Part:
    """The multipart part being read: its header section, then where its data goes."""

    head_bytes: int = 0
    header_name: bytearray = field(default_factory=bytearray)
    header_value: bytearray = field(default_factory=bytearray)
    headers: dict[str, str] = field(default_factory=dict)  # names lower-cased
    name: str = ""
    upload: UploadFile | None = None  # None: a plain field, kept in ``value``
    value: bytearray = field(default_factory=bytearray)


class MultipartFormParser:
    """``multipart/form-data`` (RFC 7578): python-multipart's events, checked and kept."""

    def __init__(self, boundary: bytes, limits: Limits) -> None:
        self._limits = limits
        self._fields: Fields = []
        self._uploads: list[UploadFile] = []
        self._part_count = 0
        self._part = _Part()
        self._fed = False
        self._ended = False
        head = limits.max_part_head_bytes
        self._parser = MultipartParser(
            boundary,
            callbacks={
                "on_part_begin": self._part_begin,
                "on_header_field": self._header_name,
                "on_header_value": self._header_value,
                "on_header_end": self._header_end,
                "on_headers_finished": self._headers_finished,
                "on_part_data": self._part_data,
                "on_part_end": self._part_end,
                "on_end": self._end,
            },
            # the library's per-line bounds, no tighter than ours on the whole section
            max_header_size=head,
            max_header_count=head // _HEADER_LINE_OVERHEAD + 1,
        )

    def feed(self, data: bytes) -> None:
        """Parse ``data``; the callbacks below run inside, and may refuse the form."""
        self._fed = self._fed or bool(data)
        try:
            self._parser.write(data)
        except FormParserError as error:
            if str(error).startswith("Maximum header"):  # its line or count bound
                raise self._head_too_large() from None
            raise refuse(400, f"malformed multipart body: {error}") from None

    def finish(self) -> tuple[Fields, list[UploadFile]]:
        """The fields and uploads; an empty body is an empty form."""
        if self._fed and not self._ended:
            raise refuse(400, "the multipart body ended before its closing boundary")
        return self._fields, self._uploads

    def close(self) -> None:
        for upload in self._uploads:
            upload.close()
        self._part = _Part()

    # -- python-multipart's callbacks, in the order it calls them --------------------

    def _part_begin(self) -> None:
        self._part_count += 1
        limit = self._limits.max_form_parts
        if self._part_count > limit:
            raise refuse(413, f"the form has more than {limit} fields and files (--max-form-parts)")
        self._part = _Part()

    def _header_name(self, data: bytes, start: int, end: int) -> None:
        self._grow_head(end - start)
        self._part.header_name += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._grow_head(end - start)
        self._part.header_value += data[start:end]

    def _header_end(self) -> None:
        part = self._part
        self._grow_head(_HEADER_LINE_OVERHEAD)
        name = part.header_name.decode("latin-1").lower()
        part.headers[name] = part.header_value.decode("latin-1")
        part.header_name, part.header_value = bytearray(), bytearray()

    def _grow_head(self, size: int) -> None:
        self._part.head_bytes += size
        if self._part.head_bytes > self._limits.max_part_head_bytes:
            raise self._head_too_large()

    def _head_too_large(self) -> HTTPError:
        limit = self._limits.max_part_head_bytes
        return refuse(
            413, f"a multipart part's header section is larger than {limit} bytes (--max-part-head)"
        )

    def _headers_finished(self) -> None:
        part = self._part
        part.name, filename = _disposition(part.headers.get("content-disposition"))
        if filename is not None:
            content_type = part.headers.get("content-type", _DEFAULT_PART_TYPE)
            part.upload = UploadFile(
                part.name,
                filename,
                content_type,
                part.headers,
                spool_bytes=self._limits.upload_spool_bytes,
            )
            self._uploads.append(part.upload)  # from now on, close() reaches it

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        part, size = self._part, end - start
        if part.upload is None:
            limit = self._limits.max_form_field_bytes
            if len(part.value) + size > limit:
                raise refuse(
                    413, f"form field {part.name!r} is larger than {limit} bytes (--max-form-field)"
                )
            part.value += data[start:end]
            return
        upload, limit = part.upload, self._limits.max_upload_bytes
        if upload.size + size > limit:
            raise refuse(
                413,
                f"uploaded file {upload.filename!r} (field {part.name!r}) is larger than"
                f" {limit} bytes (--max-upload)",
            )
        upload.write(memoryview(data)[start:end])

    def _part_end(self) -> None:
        part = self._part
        if part.upload is None:
            self._fields.append((part.name, part.value.decode("utf-8", "replace")))
        else:
            part.upload.rewind()
        self._part = _Part()

    def _end(self) -> None:
        self._ended = True


def _disposition(value: str | None) -> tuple[str, str | None]:
    """The field name and file name (None for a plain field) of a part.

    Header bytes were decoded as latin-1, so encoding back gives the bytes sent, which
    browsers send as UTF-8 (RFC 7578 section 4.2; ``filename*`` is not used there).

    Raises:
        HTTPError: 400 without ``Content-Disposition: form-data; name=...``.
    """
    kind, params = parse_options_header(value)
    if kind != b"form-data" or b"name" not in params:
        raise refuse(400, "a multipart part without Content-Disposition: form-data; name=...")
    name = params[b"name"].decode("utf-8", "replace")
    filename = params.get(b"filename")
    return name, None if filename is None else filename.decode("utf-8", "replace")
