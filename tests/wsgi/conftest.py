"""Fixtures for WSGI bridge tests: a validated app served on a Clock, and the log."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from twisted.internet.task import Clock
from twisted.logger import LogEvent, globalLogPublisher

from twisted_wsgi_lab.engine import HTTPFactory
from twisted_wsgi_lab.http11 import Limits
from twisted_wsgi_lab.testing import connect
from twisted_wsgi_lab.wsgi import WSGIBridge


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def serve(clock: Clock) -> Callable[..., Any]:
    """serve(app, **limits) -> (protocol, transport) for the app behind WSGIBridge."""

    def build(app: Any, **limits: Any) -> Any:
        bridge = WSGIBridge(app)
        return connect(HTTPFactory(bridge, limits=Limits(**limits), clock=clock))

    return build


@pytest.fixture
def logged() -> Iterator[list[LogEvent]]:
    """Every log event emitted during the test."""
    events: list[LogEvent] = []
    globalLogPublisher.addObserver(events.append)
    yield events
    globalLogPublisher.removeObserver(events.append)
