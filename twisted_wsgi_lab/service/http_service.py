"""The service that listens on each ``--listen`` endpoint with one HTTPFactory."""

from __future__ import annotations

import threading
from typing import Any

from twisted.application.service import Service
from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.defer import Deferred, DeferredList
from twisted.internet.interfaces import IListeningPort
from twisted.internet.task import deferLater
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.python.threadpool import ThreadPool

from ..engine import HTTPFactory
from ..wsgi import WorkerPool
from .health import HealthCheck
from .listen import bind_problem
from .proxy_protocol import inner_endpoint, server_endpoint
from .stop_signals import StopSignals
from .tls import is_tls, never_fail_alpn
from .watchdog import Watchdog

log = Logger()

POOL_JOIN_GRACE_SECONDS = 2.0
# How long an idle connection is left open once the drain begins: a connection accepted
# just before the listener closed may carry a request its client is sending right now,
# and closing it as idle would give that client an empty reply.
IDLE_CLOSE_GRACE_SECONDS = 0.25


def describe_address(address: object, description: str, *, tls: bool = False) -> str:
    """A URL for a TCP address (IPv6 in brackets), else the endpoint as given."""
    scheme = "https" if tls else "http"
    if isinstance(address, IPv6Address):
        return f"{scheme}://[{address.host}]:{address.port}/"
    if isinstance(address, IPv4Address):
        return f"{scheme}://{address.host}:{address.port}/"
    return f"{description} ({type(address).__name__})"


class HTTPService(Service):
    """Listen on every endpoint; stop listening when stopped.

    Once the reactor runs, the service also wraps the stop signals (a second one exits
    at once) and, with ``watchdog_seconds``, watches the reactor thread for blocking.
    """

    def __init__(
        self,
        factory: HTTPFactory,
        endpoints: list[str],
        *,
        app_name: str,
        threadpool: ThreadPool | WorkerPool | None = None,
        watchdog_seconds: float | None = None,
        watchdog_hint: str = "",
        health: HealthCheck | None = None,
        drain_delay_seconds: float = 0.0,
    ) -> None:
        self.factory = factory
        self.health = health
        self.drain_delay_seconds = drain_delay_seconds
        self.endpoints = endpoints
        self.app_name = app_name
        self.threadpool = threadpool
        self.ports: list[IListeningPort] = []
        self.watchdog = (
            None
            if watchdog_seconds is None
            else Watchdog(watchdog_seconds, clock=factory.clock, hint=watchdog_hint)
        )
        self.stop_signals = StopSignals(
            in_flight=lambda: factory.requests_in_flight,
            stopping=lambda: not self.running,
            timeout_seconds=factory.limits.shutdown_timeout_seconds,
        )

    def privilegedStartService(self) -> None:
        """Bind every endpoint now, so a port in use is one clear error at startup.

        Raises:
            SystemExit: an endpoint cannot listen; the message names it.
        """
        from twisted.internet import reactor

        for description in self.endpoints:
            results: list[Any] = []
            endpoint = server_endpoint(reactor, description)
            never_fail_alpn(inner_endpoint(endpoint), self.factory.acceptableProtocols())
            listening = endpoint.listen(self.factory)
            listening.addBoth(results.append)
            if not results:  # only TCP/UNIX/SSL are supported, and those bind at once
                raise SystemExit(f"labweb: --listen {description!r} did not bind at once")
            if isinstance(results[0], Failure):
                self._stop_ports()
                error = results[0].value
                reason = results[0].getErrorMessage() if error is None else bind_problem(error)
                raise SystemExit(f"labweb: cannot listen on {description!r} (--listen): {reason}")
            port: IListeningPort = results[0]
            self.ports.append(port)
            log.info(
                "labweb serving {app} on {where}",
                app=self.app_name,
                where=describe_address(
                    port.getHost(), description, tls=is_tls(inner_endpoint(endpoint))
                ),
            )
        super().privilegedStartService()

    def startService(self) -> None:
        if not self.ports:
            self.privilegedStartService()
        if self.threadpool is not None:
            self.threadpool.start()
        super().startService()
        from twisted.internet import reactor

        # After startup: the reactor's signal handlers are installed by then (these
        # wrap them), and a slow start is not taken for a blocked reactor.
        reactor.callWhenRunning(self._when_running)

    def _when_running(self) -> None:
        if not self.running:
            return
        self.stop_signals.install()
        if self.watchdog is not None:
            self.watchdog.start()

    def stopService(self) -> Deferred[Any] | None:
        """Stop accepting, close idle connections, give in-flight requests time to end.

        With ``--health-path``, the readiness answer turns to 503 first; with
        ``--drain-delay`` the server then goes on serving that long, so a balancer's
        next checks take it out of rotation before it stops accepting.
        """
        if self.health is not None:
            self.health.ready = False
        super().stopService()
        if self.drain_delay_seconds:
            log.info(
                "graceful stop: serving {seconds} s more while balancers see 503",
                seconds=self.drain_delay_seconds,
            )
            return deferLater(self.factory.clock, self.drain_delay_seconds, self._stop)
        return self._stop()

    def _stop(self) -> Deferred[Any]:
        stopping = self._stop_ports()
        stopping.addCallback(lambda _: self._drain())
        stopping.addCallback(lambda _: self._stop_threadpool())
        stopping.addCallback(self._stop_watchdog)
        stopping.addCallback(_clean_exit)
        return stopping

    def _stop_watchdog(self, _: object) -> None:
        """Last: a reactor blocked while draining is still worth a warning."""
        if self.watchdog is not None:
            self.watchdog.stop()

    def _stop_ports(self) -> Deferred[Any]:
        ports, self.ports = self.ports, []
        stopping = [port.stopListening() for port in ports]
        return DeferredList([d for d in stopping if d is not None])

    def _stop_threadpool(self) -> Deferred[None]:
        """Join the pool's threads from a thread of their own, never the reactor's.

        A pool thread may be waiting for the reactor to take its last bytes; joining
        it from the reactor thread would deadlock (Twisted issue 10124).
        """
        stopped: Deferred[None] = Deferred()
        pool = self.threadpool
        if pool is None or not pool.started:
            stopped.callback(None)
            return stopped
        from twisted.internet import reactor

        def fire() -> None:
            if grace.active():
                grace.cancel()
            if not stopped.called:
                stopped.callback(None)

        def join() -> None:
            pool.stop()
            reactor.callFromThread(fire)  # type: ignore[attr-defined]

        # An app thread that never returns must not hold the exit past a short grace;
        # the pool's threads are daemons, so the process can still end.
        grace = self.factory.clock.callLater(POOL_JOIN_GRACE_SECONDS, fire)
        threading.Thread(target=join, name="labweb-pool-stop", daemon=True).start()
        return stopped

    def _drain(self) -> Deferred[None]:
        """Fire once every connection is gone, or at the shutdown timeout."""
        factory = self.factory
        clock = factory.clock
        for protocol in list(factory.connections):
            if protocol.requests_in_flight:
                protocol.close_when_idle()  # closes right after its response

        def close_idle() -> None:
            for protocol in list(factory.connections):
                protocol.close_when_idle()

        clock.callLater(IDLE_CLOSE_GRACE_SECONDS, close_idle)
        deadline = clock.seconds() + factory.limits.shutdown_timeout_seconds
        drained: Deferred[None] = Deferred()

        def check() -> None:
            if not factory.connections:
                drained.callback(None)
            elif clock.seconds() >= deadline:
                log.warn("shutdown timeout: dropping {n} connections", n=len(factory.connections))
                for protocol in list(factory.connections):
                    protocol.transport.abortConnection()  # type: ignore[union-attr]
                drained.callback(None)
            else:
                clock.callLater(0.05, check)

        check()
        return drained


def _clean_exit(_: object) -> None:
    """After a completed graceful stop, exit 0 rather than die by the signal.

    twistd re-raises the SIGTERM or SIGINT that stopped the reactor, so its exit status
    would say "killed". The stop was orderly (nothing in flight was lost), so labweb
    reports success, as the ``labweb`` command does.
    """
    from twisted.internet import reactor

    if getattr(reactor, "_exitSignal", None) is not None:
        reactor._exitSignal = None  # type: ignore[attr-defined]
