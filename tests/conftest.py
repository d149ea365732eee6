"""Fixtures for tests over real sockets: the reactor in a thread, labweb on 127.0.0.1:0.

Tests that need no sockets (tests/http11, tests/protocol, tests/wsgi) use Clocks and
StringTransports instead, and override ``serve`` in their own conftest.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from twisted.internet import reactor
from twisted.internet.threads import blockingCallFromThread
from twisted.python.threadpool import ThreadPool

from twisted_wsgi_lab.engine import HTTPFactory
from twisted_wsgi_lab.http11 import Limits
from twisted_wsgi_lab.wsgi import WSGIBridge


@pytest.fixture(scope="session")
def running_reactor() -> Iterator[Any]:
    """The global reactor, running in a daemon thread for the rest of the session."""
    thread = threading.Thread(
        target=reactor.run, kwargs={"installSignalHandlers": False}, daemon=True
    )
    thread.start()
    yield reactor
    reactor.callFromThread(reactor.stop)
    thread.join(10)


@pytest.fixture
def in_reactor(running_reactor: Any) -> Callable[..., Any]:
    """Run ``f(*args)`` in the reactor thread and wait for its (Deferred) result."""

    def call(f: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return blockingCallFromThread(running_reactor, f, *args, **kwargs)

    return call


@pytest.fixture(params=["reactor", "threads"])
def mode(request: pytest.FixtureRequest) -> str:
    """A test using ``serve`` runs once per WSGI serving mode."""
    return str(request.param)


@pytest.fixture
def serve(serve_handler: Callable[..., int], mode: str) -> Iterator[Callable[..., int]]:
    """serve(app, script_name="", **limits) -> port of labweb on 127.0.0.1 for this test."""
    pool = ThreadPool(minthreads=4, maxthreads=4, name="tests") if mode == "threads" else None
    if pool is not None:
        pool.start()

    def start(app: Any, *, script_name: str = "", **limits: Any) -> int:
        bridge = WSGIBridge(app, script_name=script_name, threadpool=pool)
        return serve_handler(bridge, **limits)

    yield start
    if pool is not None:
        pool.stop()


@pytest.fixture
def serve_handler(in_reactor: Callable[..., Any]) -> Iterator[Callable[..., int]]:
    """serve_handler(handler, **limits) -> port of any IRequestHandler (an App...) on
    127.0.0.1, through the engine alone; every port stops listening after the test."""
    ports = []

    def start(handler: Any, **limits: Any) -> int:
        def listen() -> Any:
            factory = HTTPFactory(handler, limits=Limits(**limits))
            return reactor.listenTCP(0, factory, interface="127.0.0.1")

        port = in_reactor(listen)
        ports.append(port)
        return int(port.getHost().port)

    yield start
    for port in ports:
        in_reactor(port.stopListening)
