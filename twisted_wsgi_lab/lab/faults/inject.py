"""Where faults are switched on: a listener (``FaultInjector``), a route (``@fault``),
or a request that asks for one (``X-Labweb-Fault``, only where the server opted in).

All three end in ``bend``: the response faults go between the exchange and its
connection (``FaultyConnection``), and ``stall-read`` holds the request back before
the hosted code sees it, so its body is not read. Nothing is wrapped where no fault
is configured: a server without faults runs the plain path.
"""

from __future__ import annotations

import functools
import inspect
import random
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IDelayedCall
from twisted.internet.task import deferLater
from twisted.logger import Logger
from zope.interface import implementer

from ...engine import Exchange, IRequestHandler, answer_failure
from ...router import Request
from ...router.routes import is_routed
from .spec import FaultName, FaultRule, FaultSpec, FaultSpecError, parse_fault, rules_for
from .wire import FaultyConnection

HEADER = b"x-labweb-fault"
_HEADER_RULES_KEPT = 256  # distinct header values whose every= counts are remembered

H = TypeVar("H", bound=Callable[..., Any])
FaultsGiven = str | FaultSpec | Sequence[str | FaultSpec]

log = Logger()


def bend(exchange: Exchange, rules: Sequence[FaultRule]) -> float:
    """Put the response faults of ``rules`` on ``exchange``; return the stall in seconds."""
    response_rules = [rule for rule in rules if rule.spec.name is not FaultName.STALL_READ]
    if response_rules:
        exchange.interpose(lambda wire: FaultyConnection.around(wire, exchange, response_rules))
    return sum(
        (rule.spec.param("ms") or 0) / 1000
        for rule in rules
        if rule.spec.name is FaultName.STALL_READ and rule.fires()
    )


@implementer(IRequestHandler)
class FaultInjector:
    """``handler`` with faults on every request (``faults``) and, with ``header=True``,
    those a request names in ``X-Labweb-Fault: NAME[:PARAMS]`` (one per field).

    ``rng`` decides the ``p=`` chances; seed it for a test that hits the same
    responses every run. A header that names no valid fault is answered with 400.

    Raises:
        FaultSpecError: a fault in ``faults`` that cannot be parsed.
    """

    def __init__(
        self,
        handler: IRequestHandler,
        faults: FaultsGiven = (),
        *,
        header: bool = False,
        rng: random.Random | None = None,
    ) -> None:
        self.handler = handler
        self.rules = rules_for(faults, rng)
        self.header = header
        self._random = rng or random.Random()
        self._header_rules: dict[bytes, FaultRule] = {}

    def __repr__(self) -> str:
        faults = ", ".join(str(rule.spec) for rule in self.rules)
        return f"<FaultInjector [{faults}] header={self.header} around {self.handler!r}>"

    def handle(self, exchange: Exchange) -> None:
        """Bend the exchange, then hand it on (after the stall, if one hits)."""
        rules = self.rules
        if self.header:
            try:
                rules = (*rules, *self._asked(exchange))
            except FaultSpecError as error:
                _refuse(exchange, f"X-Labweb-Fault: {error}")
                return
        stall_seconds = bend(exchange, rules) if rules else 0.0
        if stall_seconds:
            late = exchange.clock.callLater(stall_seconds, self._handle_late, exchange)
            exchange.on_disconnect(functools.partial(_cancel_pending, late))
        else:
            self.handler.handle(exchange)

    def _asked(self, exchange: Exchange) -> list[FaultRule]:
        """The rules named by the request's header fields; one per distinct value."""
        asked = []
        for name, value in exchange.head.headers:
            if name != HEADER:
                continue
            rule = self._header_rules.get(value)
            if rule is None:
                rule = FaultRule(parse_fault(value.decode("latin-1")), self._random)
                if len(self._header_rules) >= _HEADER_RULES_KEPT:
                    self._header_rules.clear()
                self._header_rules[value] = rule
            asked.append(rule)
        return asked

    def _handle_late(self, exchange: Exchange) -> None:
        """After a stall: as the engine does, a handler that raises gets the 500 rule."""
        if exchange.disconnected:
            return
        try:
            self.handler.handle(exchange)
        except Exception:
            log.failure("request handler {handler} failed", handler=self.handler)
            answer_failure(exchange)


def _cancel_pending(call: IDelayedCall) -> None:
    """The client left: a stall still running is forgotten, with the exchange it holds."""
    if call.active():
        call.cancel()


def _refuse(exchange: Exchange, message: str) -> None:
    body = message.encode("latin-1", "replace") + b"\n"
    exchange.start_response(400, b"Bad Request", [(b"Content-Type", b"text/plain")])
    exchange.write(body)
    exchange.finish()


def fault(*faults: str | FaultSpec, rng: random.Random | None = None) -> Callable[[H], H]:
    """Bend the responses of one native route: put it under ``@app.get(...)``.

    ``@fault("trickle:bytes=10,ms=50")``; several faults combine. The faults are
    parsed here, so a typo fails at import time, and ``every=N`` counts this route's
    responses.

    Raises:
        FaultSpecError: a fault that cannot be parsed.
        TypeError: put above the route's decorator, where it would bend nothing.
    """
    rules = rules_for(list(faults), rng)

    def decorate(handler: H) -> H:
        if is_routed(handler):
            raise TypeError(
                f"@fault{faults!r} on {getattr(handler, '__name__', handler)!r}: put it below "
                "@app.get(...) (or the route's decorator): above it, the route is already "
                "registered and would never be bent"
            )

        @functools.wraps(handler)
        def bent(request: Request, *args: Any, **kwargs: Any) -> Any:
            stall_seconds = bend(request.exchange, rules)
            call = functools.partial(handler, request, *args, **kwargs)
            return _stalled(request.exchange, stall_seconds, call) if stall_seconds else call()

        return bent  # type: ignore[return-value]

    return decorate


async def _stalled(exchange: Exchange, seconds: float, call: Callable[[], Any]) -> Any:
    """The route's value, after ``seconds`` in which its request is left unread."""
    await deferLater(exchange.clock, seconds)
    value = call()
    if inspect.iscoroutine(value) or isinstance(value, Deferred):
        value = await value
    return value
