"""Validators of a file and the conditional requests they answer (RFC 9110 section 13).

A file's ``ETag`` is made of its modification time in nanoseconds and its size, the
scheme nginx uses: it changes when either does, costs one ``stat`` and no read, and is
strong, so it may validate a range (``If-Range`` takes strong validators only). The
inode is left out: it would tell clients about the server's disks and change on every
deploy that copies files. ``Last-Modified`` is the same time, to the second.

The order of evaluation is RFC 9110 section 13.2.2's: ``If-None-Match`` decides when it
is present and ``If-Modified-Since`` is then ignored, because an entity-tag is a finer
validator than a date to the second. Everything here is pure: no file, no socket.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import formatdate, parsedate_tz

# entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE; etagc is any visible byte but DQUOTE
# (RFC 9110 section 8.8.3), so a comma may sit inside a tag: split by the grammar.
_ENTITY_TAG = re.compile(r'\s*(W/)?("[\x21\x23-\x7e\x80-\xff]*")\s*(?:,|$)')


@dataclass(frozen=True, slots=True)
class Validators:
    """The ``ETag`` and ``Last-Modified`` of one version of a file."""

    etag: str  # quoted: '"17f0c2a3b4d5e6f7-2a"'
    modified_seconds: int  # Last-Modified as a Unix time, whole seconds

    @property
    def last_modified(self) -> str:
        """The Last-Modified field value (an IMF-fixdate)."""
        return formatdate(self.modified_seconds, usegmt=True)


def validators_for(stat: os.stat_result) -> Validators:
    """The validators of the file ``stat`` describes."""
    return Validators(f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"', int(stat.st_mtime))


def entity_tags(value: str) -> list[str] | None:
    """The entity-tags of an ``If-None-Match`` (or ``If-Match``) list, weak ones as ``W/"x"``.

    Empty list elements are skipped (RFC 9110 section 5.6.1). A value that does not
    follow the grammar gives None: the caller then ignores the field, as if absent.
    """
    tags: list[str] = []
    position = 0
    while position < len(value):
        if value[position] in " \t,":
            position += 1
            continue
        match = _ENTITY_TAG.match(value, position)
        if match is None:
            return None
        tags.append((match.group(1) or "") + match.group(2))
        position = match.end()
    return tags


def http_date_seconds(value: str) -> int | None:
    """The Unix time of an HTTP-date, or None if ``value`` is not one.

    The three formats of RFC 9110 section 5.6.7 are taken (IMF-fixdate, RFC 850 and
    asctime); anything unparsable or impossible is None, and the field is then ignored.
    """
    try:
        parsed = parsedate_tz(value)
        if parsed is None:
            return None
        moment = datetime(*parsed[:6], tzinfo=timezone.utc)  # refuses day 99, hour 25...
    except (ValueError, OverflowError, IndexError):
        return None
    return int(moment.timestamp()) - (parsed[9] or 0)


def _weak_match(tags: list[str], etag: str) -> bool:
    """Weak comparison (RFC 9110 section 8.8.3.2): ``W/`` is ignored on both sides."""
    bare = etag.removeprefix("W/")
    return any(tag.removeprefix("W/") == bare for tag in tags)


def is_not_modified(
    validators: Validators, if_none_match: str | None, if_modified_since: str | None
) -> bool:
    """True when a GET or HEAD with these fields should be answered ``304 Not Modified``.

    ``If-None-Match: *`` matches any file that exists. An unparsable ``If-None-Match``
    is ignored whole, and so is an ``If-Modified-Since`` that is not a date.
    """
    if if_none_match is not None:
        if if_none_match.strip() == "*":
            return True
        tags = entity_tags(if_none_match)
        if tags is not None:
            return _weak_match(tags, validators.etag)
    if if_modified_since is not None and if_none_match is None:
        since = http_date_seconds(if_modified_since)
        return since is not None and validators.modified_seconds <= since
    return False


def if_range_holds(validators: Validators, if_range: str) -> bool:
    """True when ``If-Range`` lets the range be served (RFC 9110 section 13.1.5).

    An entity-tag must match strongly (a weak one never does); a date must be exactly
    the Last-Modified time. Anything else, unparsable values included, means "send
    the whole file", which is always a correct answer.
    """
    value = if_range.strip()
    if value.startswith(('"', "W/")):
        return value == validators.etag and not value.startswith("W/")
    return http_date_seconds(value) == validators.modified_seconds
