"""Fixtures for protocol tests: a connection timed by the test's own Clock."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from twisted.internet.task import Clock
from twisted.logger import LogEvent, globalLogPublisher

from twisted_wsgi_lab.engine import HTTPFactory, HTTPProtocol
from twisted_wsgi_lab.http11 import Limits
from twisted_wsgi_lab.testing import connect


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make(clock: Clock) -> Callable[..., tuple[HTTPProtocol, Any]]:
    """make(handler, **limits) -> (protocol, transport), timed by the test's Clock."""

    def build(handler: Any, **limits: Any) -> tuple[HTTPProtocol, Any]:
        factory = HTTPFactory(handler, limits=Limits(**limits), clock=clock)
        return connect(factory)

    return build


@pytest.fixture
def logged() -> Iterator[list[LogEvent]]:
    """Every log event emitted during the test."""
    events: list[LogEvent] = []
    globalLogPublisher.addObserver(events.append)
    yield events
    globalLogPublisher.removeObserver(events.append)
