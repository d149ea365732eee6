"""What the faults that hit one response do to it, decided from its head.

No Twisted here: the plan is made from the request head and the response's first
bytes (its head, held by the exchange until the first body bytes), and says how the
head is rewritten, how long to hold the bytes, how to pace them, and where to cut.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

from ...http11 import RequestHead
from ...http11.writer import reason_phrase
from .spec import FaultName, FaultRule, FaultSpec

BAD_STATUS_LINE = b"HTTP/1.1 2OO OK"  # letters O, not zeros: no parser takes it
_CONTENT_LENGTH = re.compile(rb"^(content-length:[ \t]*)(\d+)", re.I | re.M)
_CHUNKED = re.compile(rb"^transfer-encoding:.*chunked", re.I | re.M)
_BODILESS = (204, 304)


@dataclass(frozen=True)
class ResponseHead:
    """The parts of a response head that decide which faults can hit it."""

    status: int
    content_length: int | None
    chunked: bool
    has_body: bool

    @classmethod
    def parse(cls, head: bytes, request: RequestHead) -> ResponseHead:
        """Read the status and framing of ``head`` (as the engine wrote it: valid)."""
        status = int(head.split(b" ", 2)[1])
        found = _CONTENT_LENGTH.search(head)
        length = int(found.group(2)) if found else None
        has_body = request.method != b"HEAD" and status not in _BODILESS and length != 0
        return cls(status, length, _CHUNKED.search(head) is not None, has_body)


def eligible(name: FaultName, response: ResponseHead, request: RequestHead) -> bool:
    """True if fault ``name`` can show on this response (a cut needs a body...)."""
    if name is FaultName.TRUNCATE or name is FaultName.RESET:
        return response.has_body
    if name is FaultName.WRONG_LENGTH:
        return response.has_body and response.content_length is not None
    if name is FaultName.EXTRA_1XX:
        return request.version >= (1, 1)  # RFC 9110 section 15.2: never to HTTP/1.0
    return name is not FaultName.STALL_READ


@dataclass(frozen=True)
class ResponsePlan:
    """The faults' effect on one response.

    ``head`` replaces the response's head, and ``interim`` (1xx responses) goes before
    it: the faults that rewrite a head rewrite the final one, whatever their order.
    ``cut_after`` counts body bytes (as framed on the wire) after which ``cut``
    (TRUNCATE: close, RESET: RST) ends the connection. ``close_after``: close once the
    response is out, as the stream cannot be trusted past a wrong length or a bad
    status line.
    """

    faults: tuple[FaultSpec, ...]
    head: bytes
    interim: bytes = b""
    delay_seconds: float = 0.0
    trickle: tuple[int, float] | None = None  # bytes, seconds between them
    cut: FaultName | None = None
    cut_after: int = 0
    close_after: bool = False

    @property
    def sent_head(self) -> bytes:
        """What goes out before the body: the interim responses, then the head."""
        return self.interim + self.head


def plan_response(
    rules: Iterable[FaultRule], request: RequestHead, head: bytes, first_body: bytes
) -> ResponsePlan:
    """Ask each rule whether it hits this response, and combine those that do.

    ``head`` ends with its blank line; ``first_body`` is what was written with it.
    """
    response = ResponseHead.parse(head, request)
    hits = tuple(
        rule.spec for rule in rules if eligible(rule.spec.name, response, request) and rule.fires()
    )
    plan = ResponsePlan(hits, head)
    for spec in hits:
        plan = _apply(plan, spec, response, first_body)
    return plan


def _apply(
    plan: ResponsePlan, spec: FaultSpec, response: ResponseHead, first_body: bytes
) -> ResponsePlan:
    name, value = spec.name, spec.param
    if name is FaultName.DELAY:
        return replace(plan, delay_seconds=plan.delay_seconds + (value("ms") or 0) / 1000)
    if name is FaultName.TRICKLE:
        return replace(plan, trickle=(value("bytes") or 1, (value("ms") or 0) / 1000))
    if name is FaultName.BAD_STATUS:
        _, _, fields = plan.head.partition(b"\r\n")
        return replace(plan, head=BAD_STATUS_LINE + b"\r\n" + fields, close_after=True)
    if name is FaultName.EXTRA_1XX:
        return replace(plan, interim=plan.interim + _interim(value("count") or 1, value("status")))
    if name is FaultName.WRONG_LENGTH:
        return replace(plan, head=_wrong_length(plan.head, value("delta") or 0), close_after=True)
    cut_after = value("bytes")
    if cut_after is None:  # half the body: of its length if announced, else of its start
        cut_after = (response.content_length or len(first_body)) // 2
    if plan.cut is None or cut_after < plan.cut_after:  # the earliest cut wins
        return replace(plan, cut=name, cut_after=cut_after)
    return plan


def _interim(count: int, status: int | None) -> bytes:
    code = status or 103
    line = b"HTTP/1.1 %d %s\r\n" % (code, reason_phrase(code) or b"Interim")
    return b"".join(line + b"X-Labweb-Interim: %d\r\n\r\n" % (n + 1) for n in range(count))


def _wrong_length(head: bytes, delta: int) -> bytes:
    def announce(found: re.Match[bytes]) -> bytes:
        return found.group(1) + b"%d" % max(0, int(found.group(2)) + delta)

    return _CONTENT_LENGTH.sub(announce, head, count=1)
