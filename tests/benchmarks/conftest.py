"""Fixtures shared by the load generator tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from load_server import Seen, recording_factory
from twisted.internet import reactor


@pytest.fixture
def server(in_reactor: Callable[..., Any]) -> Iterator[tuple[str, Seen]]:
    """(base URL, what the server saw) of a recording server on 127.0.0.1."""
    seen = Seen()
    port = in_reactor(lambda: reactor.listenTCP(0, recording_factory(seen), interface="127.0.0.1"))
    yield f"http://127.0.0.1:{port.getHost().port}", seen
    in_reactor(port.stopListening)
