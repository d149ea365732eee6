"""The Date header value, formatted at most once per second (RFC 9110 section 6.6.1)."""

from __future__ import annotations

from email.utils import formatdate

_cached_second = -1
_cached_value = b""


def http_date(now: float) -> bytes:
    """Return IMF-fixdate for ``now`` (seconds since the epoch), cached per whole second."""
    global _cached_second, _cached_value
    second = int(now)
    if second != _cached_second:
        _cached_value = formatdate(second, usegmt=True).encode("ascii")
        _cached_second = second
    return _cached_value
