"""Fixtures for protocol tests: a connection timed by the test's own Clock."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from twisted.internet.task import Clock

from twisted_wsgi_lab.engine.protocol import HTTPFactory, HTTPProtocol
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
