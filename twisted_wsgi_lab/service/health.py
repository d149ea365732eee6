"""The readiness answer a load balancer polls (``--health-path``).

Answered by the server itself, before the application, so a balancer learns whether
this process should get traffic, not whether one page works. It turns to 503 the
moment a graceful stop begins, so a balancer that polls on a kept-alive connection
takes the instance out of rotation while its in-flight requests finish.
"""

from __future__ import annotations

from zope.interface import implementer

from ..engine import Exchange, IRequestHandler
from ..http11.writer import reason_phrase

_READY = b"ok\n"
_STOPPING = b"stopping\n"


@implementer(IRequestHandler)
class HealthCheck:
    """Answers ``GET``/``HEAD path`` with 200 while serving, 503 once stopping."""

    def __init__(self, inner: IRequestHandler, path: str) -> None:
        self.inner = inner
        self.path = path.encode("ascii")
        self.ready = True

    def __repr__(self) -> str:
        return repr(self.inner)

    def handle(self, exchange: Exchange) -> None:
        head = exchange.head
        if head.path != self.path or head.method not in (b"GET", b"HEAD"):
            self.inner.handle(exchange)
            return
        body = _READY if self.ready else _STOPPING
        fields = [
            (b"Content-Type", b"text/plain; charset=utf-8"),
            (b"Cache-Control", b"no-store"),
        ]
        if not self.ready:
            fields.append((b"Connection", b"close"))
        status = 200 if self.ready else 503
        exchange.start_response(status, reason_phrase(status), fields, known_length=len(body))
        exchange.write(body)
        exchange.finish()
