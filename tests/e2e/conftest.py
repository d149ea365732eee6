"""End-to-end fixtures: the real reactor in a thread, labweb on 127.0.0.1:0."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from twisted.internet import reactor
from twisted.internet.threads import blockingCallFromThread

from twisted_wsgi_lab.http11 import Limits
from twisted_wsgi_lab.protocol import HTTPFactory
from twisted_wsgi_lab.wsgi import WSGIBridge


@pytest.fixture(scope="session")
def running_reactor() -> Iterator[Any]:
    """The global reactor, running in a daemon thread for the whole session."""
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


@pytest.fixture
def serve(in_reactor: Callable[..., Any]) -> Iterator[Callable[..., int]]:
    """serve(app, **limits) -> port of labweb listening on 127.0.0.1 for this test."""
    ports = []

    def start(app: Any, **limits: Any) -> int:
        def listen() -> Any:
            factory = HTTPFactory(WSGIBridge(app), limits=Limits(**limits))
            return reactor.listenTCP(0, factory, interface="127.0.0.1")

        port = in_reactor(listen)
        ports.append(port)
        return int(port.getHost().port)

    yield start
    for port in ports:
        in_reactor(port.stopListening)
