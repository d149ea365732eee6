"""``FaultyConnection``: one exchange's connection, with its response's faults applied.

The exchange writes through it (``Exchange.interpose``) instead of to the protocol.
The first response write carries the whole head, so the plan is made there; from then
on bytes are held (``delay``), paced (``trickle``) or cut (``truncate``, ``reset``).
While bytes are held the exchange's producer is paused, so a large body waits in the
application, not here; and the exchange's end is passed on only once its last byte
has left, so the next pipelined response still follows it.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import TYPE_CHECKING

from twisted.internet.interfaces import IAddress, IDelayedCall, IProtocol

from ...engine import Connection, Exchange, ResponseState
from .plan import ResponsePlan, plan_response
from .spec import FaultName, FaultRule

if TYPE_CHECKING:
    from twisted.internet.interfaces import IReactorTime

    from ...http11 import Limits


class Phase(enum.Enum):
    """Where one response is: UNPLANNED -> DELAYING (with a delay) -> FLOWING; CUT from
    DELAYING or FLOWING at the cut point; GONE once the cut is made or the client left.
    """

    UNPLANNED = enum.auto()  # no response byte yet (a 100 Continue passes as it is)
    DELAYING = enum.auto()  # everything is held until the delay ends
    FLOWING = enum.auto()  # bytes pass, or trickle
    CUT = enum.auto()  # the cut point was reached: nothing more passes
    GONE = enum.auto()  # the connection was cut, or lost: nothing is left to do


class FaultyConnection:
    """The ``Connection`` one exchange talks to while faults may hit its response."""

    def __init__(self, connection: Connection, exchange: Exchange, rules: Sequence[FaultRule]):
        self._connection = connection
        self._exchange = exchange
        self._rules = tuple(rules)
        self.limits: Limits = connection.limits
        self.clock: IReactorTime = connection.clock
        self.server_header = connection.server_header
        self.plan: ResponsePlan | None = None  # made at the first response write
        self._pending = bytearray()
        self._written = 0  # response bytes let through so far, rewritten head included
        self._timer: IDelayedCall | None = None
        self.phase = Phase.UNPLANNED
        self._finished: Exchange | None = None  # its end, held until the bytes are out
        exchange.on_connection_lost(self._lost)  # finished or not: it may hold the end

    @classmethod
    def around(
        cls, connection: Connection, exchange: Exchange, rules: Sequence[FaultRule]
    ) -> Connection:
        """``connection`` with ``rules`` on ``exchange``'s response: one plan per response.

        Faults from several places (a listener's, a route's) join the plan of the
        ``FaultyConnection`` already there: one wrapped in another would plan again from
        bytes the outer one rewrote, and bend an interim head or trip on a bad status.
        """
        if isinstance(connection, FaultyConnection) and connection._exchange is exchange:
            connection._rules = (*connection._rules, *rules)
            return connection
        return cls(connection, exchange, rules)

    # -- passed through ---------------------------------------------------------------

    @property
    def peer(self) -> IAddress:
        return self._connection.peer

    @property
    def host(self) -> IAddress:
        return self._connection.host

    @property
    def secure(self) -> bool:
        return self._connection.secure

    @property
    def answering(self) -> bool:
        return self._connection.answering

    def date(self) -> bytes:
        return self._connection.date()

    def body_wanted(self, exchange: Exchange) -> None:
        self._connection.body_wanted(exchange)

    def reset(self) -> None:
        self._connection.reset()

    def switch_protocol(self, exchange: Exchange, protocol: IProtocol, head: bytes) -> None:
        self._connection.switch_protocol(exchange, protocol, head)  # a 101 is never bent

    # -- bent -------------------------------------------------------------------------

    @property
    def writes_paused(self) -> bool:
        """True while bytes are held here, or the client is not reading."""
        return self._holding or self._connection.writes_paused

    @property
    def _holding(self) -> bool:
        return bool(self._pending) or self.phase is Phase.DELAYING

    def write(self, data: bytes) -> None:
        """Let ``data`` through as the plan says; a 100 Continue goes out as it is."""
        if self.phase is Phase.UNPLANNED:
            if self._exchange.state is ResponseState.IDLE:
                self._connection.write(data)  # 100 Continue: not the response itself
                return
            data = self._start(data)
        elif self.phase is Phase.CUT or self.phase is Phase.GONE:
            return
        plan = self.plan
        assert plan is not None
        cut = False
        if plan.cut is not None:
            room = len(plan.sent_head) + plan.cut_after - self._written
            cut = len(data) >= room
            data = data[:room]
        self._written += len(data)
        self._send(data)
        if cut:
            self.phase = Phase.CUT
            self._pause_producer()
            if not self._holding:
                self._cut()  # else once the held bytes are out (_drained)

    def exchange_finished(self, exchange: Exchange) -> None:
        """Pass the end on once the last byte has left (the next response waits for it)."""
        if self.phase is Phase.CUT or self.phase is Phase.GONE:
            return  # the connection is going: its loss ends every exchange
        if self._holding:
            self._finished = exchange
            return
        self._end(exchange)

    def abort(self) -> None:
        """The hosted code gave up: what is held goes out first, then the close."""
        self._stop_timer()
        if self.phase is Phase.DELAYING:
            self.phase = Phase.FLOWING
        if self._pending:
            self._connection.write(bytes(self._pending))
            self._pending.clear()
        self._connection.abort()

    # -- the plan ---------------------------------------------------------------------

    def _start(self, data: bytes) -> bytes:
        head, _, body = data.partition(b"\r\n\r\n")
        plan = plan_response(self._rules, self._exchange.head, head + b"\r\n\r\n", body)
        self.plan = plan
        self.phase = Phase.FLOWING
        if plan.delay_seconds:
            self.phase = Phase.DELAYING
            self._timer = self.clock.callLater(plan.delay_seconds, self._tick)
        return plan.sent_head + body

    def _send(self, data: bytes) -> None:
        plan = self.plan
        assert plan is not None
        if not self._holding and plan.trickle is None:
            self._connection.write(data)
            return
        self._pending += data
        self._pause_producer()
        if self._timer is None:
            self._tick()

    def _tick(self) -> None:
        """Let held bytes out: all of them after a delay, else one trickle's worth."""
        self._timer = None
        if self.phase is Phase.DELAYING:
            self.phase = Phase.FLOWING
        if not self._connection.answering:
            self._lost()  # closing already: what is written now would be lost
            return
        trickle = self.plan.trickle if self.plan is not None else None
        pending = self._pending
        if trickle is None:
            chunk = bytes(pending)
            pending.clear()
        elif self._connection.writes_paused:
            chunk = b""  # the client is not reading: try again in a while
        else:
            chunk = bytes(pending[: trickle[0]])
            del pending[: trickle[0]]
        if chunk:
            self._connection.write(chunk)
        if trickle is not None and (chunk or pending):
            self._timer = self.clock.callLater(trickle[1], self._tick)
        if not pending:
            self._drained()

    def _drained(self) -> None:
        producer = self._exchange.producer
        if producer is not None and not self._connection.writes_paused:
            producer.resumeProducing()  # it may write (and finish) at once: look again
        if self._pending:
            return
        if self.phase is Phase.CUT:
            self._cut()
        elif self._finished is not None:
            exchange, self._finished = self._finished, None
            self._end(exchange)

    def _end(self, exchange: Exchange) -> None:
        if self.plan is not None and self.plan.close_after:
            self._connection.abort()  # close after the response: its framing was a lie
        self._connection.exchange_finished(exchange)

    def _cut(self) -> None:
        """End the connection where the plan says: a close (FIN), or a reset (RST)."""
        plan = self.plan
        assert plan is not None
        self._stop_timer()
        self.phase = Phase.GONE
        if plan.cut is FaultName.RESET:
            # One reactor turn for the bytes before the cut to leave the transport's
            # buffer (a reset drops what is unsent), then the reset.
            self._timer = self.clock.callLater(0, self._reset_next_turn)
        else:
            self._connection.abort()

    def _reset_next_turn(self) -> None:
        self._timer = self.clock.callLater(0, self._connection.reset)

    def _pause_producer(self) -> None:
        producer = self._exchange.producer
        if producer is not None:
            producer.pauseProducing()

    def _stop_timer(self) -> None:
        timer, self._timer = self._timer, None
        if timer is not None and timer.active():
            timer.cancel()

    def _lost(self) -> None:
        """The connection is gone: nothing held will ever leave."""
        self._stop_timer()
        self.phase = Phase.GONE
        self._pending.clear()
        self._finished = None
