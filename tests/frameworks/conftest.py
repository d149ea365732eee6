"""Fixtures for serving real frameworks: labweb on 127.0.0.1:0, in both serving modes.

These are tests/e2e/conftest.py's fixtures, copied because only the root conftest may
load plugins. The one difference is ``running_reactor``: a reactor runs once per
process, so this one starts it only if it is not running yet. tests/e2e's fixture starts
it unconditionally, which is why tests/e2e must run first when both are collected, as it
does from the repo root and with ``pytest tests/e2e tests/frameworks`` (the other order
fails in tests/e2e's fixture).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from twisted.internet import reactor
from twisted.internet.threads import blockingCallFromThread
from twisted.python.threadpool import ThreadPool

from twisted_wsgi_lab.http11 import Limits
from twisted_wsgi_lab.protocol import HTTPFactory
from twisted_wsgi_lab.wsgi import WSGIBridge


@pytest.fixture(autouse=True, scope="module")
def collect_garbage_after_the_module() -> Iterator[None]:
    """Finalize what the frameworks left for the garbage collector, here and now.

    A framework that leaves a file unclosed in a reference cycle makes it warn (an error
    under filterwarnings=error) wherever the collector next runs, in any later test
    directory; collecting here keeps the blame in tests/frameworks.
    """
    yield
    gc.collect()


@pytest.fixture(scope="session")
def running_reactor() -> Iterator[Any]:
    """The global reactor, running in a daemon thread: started here unless it runs already."""
    if reactor.running:
        yield reactor  # its owner (tests/e2e's fixture) stops it at the end of the session
        return
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
    """Each framework test runs once per WSGI serving mode."""
    return str(request.param)


@pytest.fixture
def serve(in_reactor: Callable[..., Any], mode: str) -> Iterator[Callable[..., int]]:
    """serve(app, **limits) -> port of labweb listening on 127.0.0.1 for this test."""
    ports = []
    pool = ThreadPool(minthreads=4, maxthreads=4, name="frameworks") if mode == "threads" else None
    if pool is not None:
        pool.start()

    def start(app: Any, **limits: Any) -> int:
        def listen() -> Any:
            factory = HTTPFactory(WSGIBridge(app, threadpool=pool), limits=Limits(**limits))
            return reactor.listenTCP(0, factory, interface="127.0.0.1")

        port = in_reactor(listen)
        ports.append(port)
        return int(port.getHost().port)

    yield start
    for port in ports:
        in_reactor(port.stopListening)
    if pool is not None:
        pool.stop()
