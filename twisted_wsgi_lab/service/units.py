"""Sizes, durations and counts as a user types them, both ways.

The command line reads ``64K``, ``30s`` or ``off``, and ``--help`` shows every default
the same way (``1G``, not ``1073741824``), so what the help says can be typed back.
Sizes are binary multiples (``K`` is 1024), as nginx and waitress count them.
"""

from __future__ import annotations

import math
import re

_SIZE = re.compile(r"([0-9]+)\s*(?:([KMG])i?)?B?", re.IGNORECASE)
_SIZE_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3}
_DURATION = re.compile(r"([0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)\s*(ms|s)?", re.IGNORECASE)
_DURATION_UNITS = {"": 1.0, "s": 1.0, "ms": 0.001}

OFF = "off"


def parse_size(text: str) -> int:
    """Bytes from ``"65536"``, ``"64K"``, ``"1M"``, ``"1GiB"``.

    Raises:
        ValueError: anything else, with examples of what is understood.
    """
    match = _SIZE.fullmatch(text.strip())
    if match is None:
        raise ValueError("not a size such as 65536, 64K, 16M or 1G")
    return int(match.group(1)) * _SIZE_UNITS[(match.group(2) or "").upper()]


def parse_seconds(text: str) -> float:
    """Seconds from ``"10"``, ``"2.5"``, ``"30s"``, ``"0.5s"`` or ``"500ms"``.

    A sign is never part of a duration, so ``-1`` is refused here, as are NaN and
    infinity (the pattern has no room for them).

    Raises:
        ValueError: anything else, with examples of what is understood.
    """
    match = _DURATION.fullmatch(text.strip())
    if match is None:
        raise ValueError("not a duration such as 10, 2.5, 30s or 500ms")
    seconds = float(match.group(1)) * _DURATION_UNITS[(match.group(2) or "").lower()]
    if not math.isfinite(seconds):
        raise ValueError("not a duration such as 10, 2.5, 30s or 500ms")
    return seconds


def parse_count(text: str) -> int:
    """A whole number from ``"100"``; ``"1K"`` or ``"2.5"`` is refused.

    Raises:
        ValueError: not a whole number, with an example.
    """
    stripped = text.strip()
    if not stripped.isdigit():
        raise ValueError("not a whole number such as 100")
    return int(stripped)


def format_size(size: int) -> str:
    """``1073741824`` as ``1G``, ``65536`` as ``64K``; other sizes in bytes."""
    for suffix in ("G", "M", "K"):
        unit = _SIZE_UNITS[suffix]
        if size >= unit and size % unit == 0:
            return f"{size // unit}{suffix}"
    return str(size)


def format_seconds(seconds: float) -> str:
    """``10.0`` as ``10s``, ``0.5`` as ``0.5s``."""
    return f"{seconds:g}s"


def format_value(value: object, parse: object) -> str:
    """A default as the user would type it for an option read by ``parse``."""
    if value is None:
        return OFF
    if parse is parse_size and isinstance(value, int):
        return format_size(value)
    if parse is parse_seconds and isinstance(value, int | float):
        return format_seconds(value)
    return str(value)
