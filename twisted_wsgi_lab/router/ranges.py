"""``Range: bytes=...`` on a file of known size (RFC 9110 section 14).

One range is served as ``206 Partial Content``. Several ranges are answered with the
whole file and ``200``, which RFC 9110 section 14.2 allows ("a server MAY ignore the
Range header field"): a ``multipart/byteranges`` body costs more code than it saves
bytes for what browsers and download tools ask, and many small ranges of one file are
a known amplification attack on servers that do answer them.

A field that does not follow the grammar, or names another unit, is ignored (200,
whole file), as the RFC asks of a unit it does not know. A well-formed single range
that starts past the end is answered ``416`` with ``Content-Range: bytes */size``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import HTTPError

_DIGITS = re.compile(r"[0-9]+")


@dataclass(frozen=True, slots=True)
class ByteRange:
    """The bytes ``first`` to ``last`` included of a file of ``size`` bytes."""

    first: int
    last: int
    size: int

    @property
    def length(self) -> int:
        """How many bytes the range holds."""
        return self.last - self.first + 1

    @property
    def content_range(self) -> str:
        """The Content-Range field value of a 206: ``bytes 0-99/1000``."""
        return f"bytes {self.first}-{self.last}/{self.size}"


def range_specs(value: str) -> list[tuple[str, str]] | None:
    """The ``(first, last)`` text pairs of a ``bytes=`` field, or None if it is not one.

    Each side is digits or empty, never both empty; whitespace is allowed only around
    the commas. The unit compares without case (RFC 9110 section 14.1).
    """
    unit, equals, ranges = value.partition("=")
    if not equals or unit.strip().lower() != "bytes":
        return None
    specs: list[tuple[str, str]] = []
    for element in ranges.split(","):
        element = element.strip(" \t")
        if not element:
            continue  # an empty list element is skipped (RFC 9110 section 5.6.1)
        first, dash, last = element.partition("-")
        if not dash or not (first or last):
            return None
        if any(side and not _DIGITS.fullmatch(side) for side in (first, last)):
            return None
        specs.append((first, last))
    return specs or None


def byte_range(value: str, size: int) -> ByteRange | None:
    """The one range ``value`` asks for in a file of ``size`` bytes; None means "all of it".

    None for a field to ignore and for several ranges. ``a-b`` past the end is cut to
    the end; ``-n`` is the last ``n`` bytes (all of them if the file is smaller).

    Raises:
        HTTPError: 416, with ``Content-Range: bytes */size``, for a single range with
            no byte in the file (a start at or past the end, ``-0``, any range of an
            empty file).
    """
    specs = range_specs(value)
    if specs is None or len(specs) != 1:
        return None
    [(first_text, last_text)] = specs
    if not first_text:  # a suffix: the last n bytes
        suffix = int(last_text)
        if suffix == 0 or size == 0:
            raise _unsatisfiable(size)
        return ByteRange(max(0, size - suffix), size - 1, size)
    first = int(first_text)
    if last_text and int(last_text) < first:
        return None  # not a valid range-spec: ignored (RFC 9110 section 14.1.1)
    if first >= size:
        raise _unsatisfiable(size)
    last = min(int(last_text), size - 1) if last_text else size - 1
    return ByteRange(first, last, size)


def _unsatisfiable(size: int) -> HTTPError:
    return HTTPError(
        416, "the range asked for is not in the file", headers={"Content-Range": f"bytes */{size}"}
    )
