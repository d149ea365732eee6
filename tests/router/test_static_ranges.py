"""Ranges, validators and conditional requests, as pure functions: no file, no socket."""

from __future__ import annotations

import os

import pytest

from twisted_wsgi_lab import HTTPError
from twisted_wsgi_lab.router.conditional import (
    Validators,
    entity_tags,
    http_date_seconds,
    if_range_holds,
    is_not_modified,
    validators_for,
)
from twisted_wsgi_lab.router.file_response import content_type_for
from twisted_wsgi_lab.router.ranges import ByteRange, byte_range, range_specs

SIZE = 1000
V = Validators('"abc-3e8"', 784111777)  # 06 Nov 1994 08:49:37 GMT
DATE = "Sun, 06 Nov 1994 08:49:37 GMT"
LATER = "Sun, 06 Nov 1994 08:49:38 GMT"
EARLIER = "Sun, 06 Nov 1994 08:49:36 GMT"

# -- Range ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "first", "last"),
    [
        ("bytes=0-99", 0, 99),
        ("bytes=100-", 100, 999),
        ("bytes=-100", 900, 999),
        ("bytes=-5000", 0, 999),  # a suffix longer than the file is all of it
        ("bytes=990-5000", 990, 999),  # a last byte past the end is cut to the end
        ("bytes=999-999", 999, 999),
        ("BYTES=0-0", 0, 0),  # the unit compares without case
        ("bytes= 5-9 ", 5, 9),
        ("bytes=5-9,", 5, 9),  # an empty list element is skipped
    ],
)
def test_a_single_range_is_served(value: str, first: int, last: int) -> None:
    span = byte_range(value, SIZE)
    assert span == ByteRange(first, last, SIZE)
    assert span.length == last - first + 1
    assert span.content_range == f"bytes {first}-{last}/{SIZE}"


@pytest.mark.parametrize(
    "value",
    [
        "bytes=0-1,5-6",  # several ranges: the whole file, 200
        "bytes=0-1, 2000-3000",
        "bytes=9-5",  # last before first: not a range-spec
        "items=0-5",  # another unit
        "bytes 0-5",
        "bytes=",
        "bytes=-",
        "bytes=a-b",
        "bytes=+1-2",
        "bytes=1 -2",
        "bytes=0x1-2",
        "bytes=1-2-3",
        "",
    ],
)
def test_anything_but_one_well_formed_range_means_the_whole_file(value: str) -> None:
    assert byte_range(value, SIZE) is None


@pytest.mark.parametrize(
    ("value", "size"),
    [("bytes=1000-", 1000), ("bytes=5000-6000", 1000), ("bytes=-0", 1000), ("bytes=0-", 0)],
)
def test_a_range_with_no_byte_in_the_file_is_416_with_the_size(value: str, size: int) -> None:
    with pytest.raises(HTTPError) as info:
        byte_range(value, size)
    assert info.value.status == 416
    assert info.value.headers["Content-Range"] == f"bytes */{size}"


def test_range_specs_keep_every_element_for_the_caller_to_count() -> None:
    assert range_specs("bytes=0-1, -5 ,7-") == [("0", "1"), ("", "5"), ("7", "")]


# -- validators -------------------------------------------------------------------


def test_validators_change_with_mtime_or_size_and_are_strong(tmp_path: os.PathLike[str]) -> None:
    path = os.path.join(tmp_path, "f")
    with open(path, "wb") as file:
        file.write(b"12345")
    os.utime(path, ns=(784111777_000000000, 784111777_000000000))
    first = validators_for(os.stat(path))
    assert first.etag.startswith('"') and first.etag.endswith('-5"')
    assert first.last_modified == DATE
    os.utime(path, ns=(784111777_000000001, 784111777_000000001))
    assert validators_for(os.stat(path)).etag != first.etag  # nanoseconds count


@pytest.mark.parametrize(
    ("value", "tags"),
    [
        ('"a"', ['"a"']),
        ('"a", W/"b" ,"c"', ['"a"', 'W/"b"', '"c"']),
        ('"a,b", "c"', ['"a,b"', '"c"']),  # a comma may sit inside a tag
        (' , "a",, ', ['"a"']),
        ('""', ['""']),
        ("a", None),
        ('"a" "b"', None),
        ('w/"a"', None),  # W/ is case-sensitive
        ('"a', None),
    ],
)
def test_entity_tag_lists_follow_the_grammar(value: str, tags: list[str] | None) -> None:
    assert entity_tags(value) == tags


@pytest.mark.parametrize(
    "value",
    [DATE, "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994"],
)
def test_the_three_http_date_formats_are_read(value: str) -> None:
    assert http_date_seconds(value) == 784111777


@pytest.mark.parametrize("value", ["yesterday", "", "Sun, 99 Nov 1994 08:49:37 GMT", "-1"])
def test_a_value_that_is_no_date_is_none(value: str) -> None:
    assert http_date_seconds(value) is None


# -- 304 --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("if_none_match", "if_modified_since", "not_modified"),
    [
        ('"abc-3e8"', None, True),
        ('W/"abc-3e8"', None, True),  # weak comparison for If-None-Match
        ('"x", "abc-3e8"', None, True),
        ("*", None, True),
        ('"other"', None, False),
        (None, DATE, True),
        (None, LATER, True),
        (None, EARLIER, False),
        (None, "not a date", False),
        ('"other"', LATER, False),  # If-None-Match wins: the date is not looked at
        ('"abc-3e8"', EARLIER, True),
        ("garbage", LATER, False),  # an unparsable If-None-Match is ignored, still present
        (None, None, False),
    ],
)
def test_not_modified_follows_rfc_9110_13_2_2(
    if_none_match: str | None, if_modified_since: str | None, not_modified: bool
) -> None:
    assert is_not_modified(V, if_none_match, if_modified_since) is not_modified


# -- If-Range ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("if_range", "holds"),
    [
        ('"abc-3e8"', True),
        ('W/"abc-3e8"', False),  # If-Range takes strong validators only
        ('"other"', False),
        (DATE, True),
        (LATER, False),  # a date must be an exact match, not "not older than"
        (EARLIER, False),
        ("nonsense", False),
    ],
)
def test_if_range_holds_only_for_the_same_version(if_range: str, holds: bool) -> None:
    assert if_range_holds(V, if_range) is holds


# -- Content-Type -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("site.css", "text/css; charset=utf-8"),
        ("index.html", "text/html; charset=utf-8"),
        ("app.js", "text/javascript; charset=utf-8"),
        ("notes.txt", "text/plain; charset=utf-8"),
        ("logo.png", "image/png"),
        ("data.json", "application/json"),
        ("font.woff2", "font/woff2"),
        ("backup.tar.gz", "application/gzip"),
        ("README", "application/octet-stream"),
        ("thing.unknownext", "application/octet-stream"),
    ],
)
def test_the_content_type_comes_from_the_name(name: str, content_type: str) -> None:
    assert content_type_for(name) == content_type
