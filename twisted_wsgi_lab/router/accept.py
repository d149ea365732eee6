"""Content negotiation on the Accept header (RFC 9110 section 12.5.1), as much as needed.

The router answers errors as HTML or JSON; this module decides which by weighing the
two media types against the client's ranges. The most specific range that matches a
type sets its quality (``application/json`` over ``application/*`` over ``*/*``), so
``application/json;q=0, */*`` refuses JSON. Parameters other than q are ignored.
"""

from __future__ import annotations

import re
from typing import NamedTuple

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ) (RFC 9110 section 12.4.2)
_QVALUE = re.compile(r"0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?")


class MediaRange(NamedTuple):
    """One element of an Accept header, lower-cased: ``text``, ``html``, 0.9."""

    type: str
    subtype: str
    quality: float


def media_ranges(accept: str) -> list[MediaRange]:
    """The ranges of an Accept value in order; an ill-formed element is skipped.

    Ill-formed: not ``type/subtype`` tokens, ``*/subtype``, or a q that is not a
    qvalue. Skipping it, not raising, keeps one odd client from getting a 400 page.
    """
    ranges = []
    for element in accept.split(","):
        media, *parameters = element.split(";")
        kind, slash, subtype = media.strip().lower().partition("/")
        if not (slash and _TOKEN.fullmatch(kind) and _TOKEN.fullmatch(subtype)):
            continue
        if kind == "*" and subtype != "*":
            continue
        quality = _quality_parameter(parameters)
        if quality is not None:
            ranges.append(MediaRange(kind, subtype, quality))
    return ranges


def _quality_parameter(parameters: list[str]) -> float | None:
    """The q parameter's value, 1.0 without one, None when it is not a qvalue."""
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "q":
            value = value.strip()
            return float(value) if _QVALUE.fullmatch(value) else None
    return 1.0


def quality_of(accept: str | None, media_type: str) -> float:
    """How much the client wants ``media_type`` (``type/subtype``), from 0 to 1.

    No Accept header means anything goes (1.0); a header that matches nothing gives 0.
    """
    if accept is None:
        return 1.0
    kind, _, subtype = media_type.lower().partition("/")
    best_specificity, best_quality = -1, 0.0
    for entry in media_ranges(accept):
        if (entry.type, entry.subtype) == (kind, subtype):
            specificity = 2
        elif (entry.type, entry.subtype) == (kind, "*"):
            specificity = 1
        elif (entry.type, entry.subtype) == ("*", "*"):
            specificity = 0
        else:
            continue
        if specificity > best_specificity:
            best_specificity, best_quality = specificity, entry.quality
        elif specificity == best_specificity:
            best_quality = max(best_quality, entry.quality)
    return best_quality


def prefers_json(accept: str | None) -> bool:
    """True when the client ranks ``application/json`` strictly above ``text/html``.

    A tie goes to HTML: browsers send ``*/*`` along with text/html, and a missing
    header or ``*/*`` alone (curl, fetch) is best served a page a human can read.
    """
    if not accept:
        return False
    return quality_of(accept, "application/json") > quality_of(accept, "text/html")
