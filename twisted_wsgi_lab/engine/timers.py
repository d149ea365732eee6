"""Every timeout of a connection, computed in one place.

A connection waits for one thing at a time from its client or its handler (a head, a
body, the next request, an answer), so those kinds share one timer slot. Sending to a
slow reader and lingering after a close have their own slots, since they run beside
the others. ``deadline`` is the one computation of when each kind is due.
"""

from __future__ import annotations

import enum
from collections.abc import Callable

from twisted.internet.interfaces import IDelayedCall, IReactorTime

from ..http11 import Limits

# After a half-close (ours or the client's), how long the other side may stay silent
# before the connection is closed fully; data still arriving restarts the wait.
LINGER_SECONDS = 2.0


class TimerKind(enum.Enum):
    """What a connection is waiting for, and so which timeout applies."""

    KEEPALIVE = enum.auto()  # an idle connection, between requests
    HEADER = enum.auto()  # the rest of a request head
    BODY = enum.auto()  # more of a body the handler is waiting for
    RESPONSE = enum.auto()  # the handler's answer to the request in front
    SEND = enum.auto()  # the client to read what was sent
    LINGER = enum.auto()  # the client to close after our FIN
    EOF_GRACE = enum.auto()  # a response to begin after the client's FIN

    # Looked up in _SLOT on every arm: members are singletons compared by identity, so
    # the identity hash is correct and, unlike Enum's own, costs no Python call.
    __hash__ = object.__hash__


_WAIT_SLOT, _SEND_SLOT, _LINGER_SLOT = 0, 1, 2
_SLOT = {
    TimerKind.KEEPALIVE: _WAIT_SLOT,
    TimerKind.HEADER: _WAIT_SLOT,
    TimerKind.BODY: _WAIT_SLOT,
    TimerKind.RESPONSE: _WAIT_SLOT,
    TimerKind.SEND: _SEND_SLOT,
    TimerKind.LINGER: _LINGER_SLOT,
    TimerKind.EOF_GRACE: _LINGER_SLOT,
}


# Module globals: reading a member off its Enum class costs a metaclass call on 3.11.
_KEEPALIVE, _HEADER, _BODY = TimerKind.KEEPALIVE, TimerKind.HEADER, TimerKind.BODY
_RESPONSE, _SEND, _LINGER = TimerKind.RESPONSE, TimerKind.SEND, TimerKind.LINGER
_EOF_GRACE = TimerKind.EOF_GRACE


class ConnectionTimers:
    """Three timer slots and the deadlines of every kind; ``fired(kind)`` when one is due."""

    def __init__(
        self, limits: Limits, clock: IReactorTime, fired: Callable[[TimerKind], None]
    ) -> None:
        self._limits = limits
        self._clock = clock
        self._fired = fired
        self._calls: list[IDelayedCall | None] = [None, None, None]
        self._kinds: list[TimerKind | None] = [None, None, None]
        self._deadlines = [0.0, 0.0, 0.0]
        self.request_began_at = 0.0  # the first byte of the request being read
        self.answer_began_at = 0.0  # when the handler was given the request in front

    def deadline(self, kind: TimerKind, now: float) -> float:
        """When ``kind`` is due if armed at ``now``: the one place each rule lives."""
        limits = self._limits
        if kind is _KEEPALIVE:
            return now + limits.keepalive_timeout_seconds
        if kind is _RESPONSE:  # from the start of the answer: re-arming keeps it
            return self.answer_began_at + limits.response_timeout_seconds
        if kind is _SEND:
            return now + limits.send_timeout_seconds
        if kind is _LINGER or kind is _EOF_GRACE:
            return now + LINGER_SECONDS
        seconds = limits.header_timeout_seconds if kind is _HEADER else limits.body_timeout_seconds
        whole = limits.request_timeout_seconds  # the whole-request deadline caps both
        if whole is None:
            return now + seconds
        return min(now + seconds, self.request_began_at + whole)

    def waiting_for(self) -> TimerKind | None:
        """The kind armed in the shared slot (keep-alive, head, body or response)."""
        return self._kinds[_WAIT_SLOT]

    def armed(self, kind: TimerKind) -> bool:
        """True if ``kind`` is the kind armed in its slot."""
        return self._kinds[_SLOT[kind]] is kind

    def arm(self, kind: TimerKind) -> None:
        """Arm ``kind`` in its slot, replacing what was armed there.

        Rescheduling a reactor timer on every request costs; a pending call that fires
        before the current deadline re-arms itself for the time left instead. A call
        made fresh is always made for the time left, never for the kind's full length.
        """
        slot = _SLOT[kind]
        now = self._clock.seconds()
        deadline = self.deadline(kind, now)
        self._kinds[slot] = kind
        self._deadlines[slot] = deadline
        call = self._calls[slot]
        if call is None:
            self._calls[slot] = self._clock.callLater(max(deadline - now, 0), self._due, slot)
        elif call.getTime() > deadline:  # pushed later on every request: nearly never
            call.reset(max(deadline - now, 0))

    def cancel(self, kind: TimerKind) -> None:
        """Disarm ``kind`` if it is what its slot holds (a pending call then does nothing)."""
        slot = _SLOT[kind]
        if self._kinds[slot] is kind:
            self._kinds[slot] = None
            if slot != _WAIT_SLOT:  # the wait slot's call is kept for reuse; the others go
                self._drop_call(slot)

    def cancel_wait(self) -> None:
        """Disarm whatever the shared slot waits for."""
        self._kinds[_WAIT_SLOT] = None

    def cancel_all(self) -> None:
        """The connection is gone: nothing of it may fire later."""
        for slot in (_WAIT_SLOT, _SEND_SLOT, _LINGER_SLOT):
            self._kinds[slot] = None
            self._drop_call(slot)

    def _drop_call(self, slot: int) -> None:
        call = self._calls[slot]
        self._calls[slot] = None
        if call is not None and call.active():
            call.cancel()

    def _due(self, slot: int) -> None:
        self._calls[slot] = None
        kind = self._kinds[slot]
        if kind is None:
            return
        left = self._deadlines[slot] - self._clock.seconds()
        if left > 0:
            self._calls[slot] = self._clock.callLater(left, self._due, slot)
            return
        self._kinds[slot] = None
        self._fired(kind)
