"""``labweb --app`` and ``twistd -n labweb --app`` tell a native App from a WSGI callable."""

from __future__ import annotations

import json
import signal
import urllib.request

import pytest
from server_process import LABWEB, ROOT, TWISTD, ServerProcess

pytestmark = pytest.mark.subprocess


def fetch(port: int, path: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
        return response.status, response.read()


@pytest.mark.parametrize("command", [LABWEB, TWISTD], ids=["labweb", "twistd"])
def test_a_native_app_is_served_natively(command: tuple[str, ...]) -> None:
    server = ServerProcess(command, "--app", "examples.router_app:app", cwd=ROOT)
    try:
        assert "native App" in server.text()
        status, body = fetch(server.port, "/api/books/1")
        assert (status, json.loads(body)["title"]) == (200, "Persuasion")
        assert "--mode" not in server.text()  # no warning when no serving option was given
    finally:
        server.signal(signal.SIGTERM)
        server.kill()


def test_mode_given_for_a_native_app_is_named_as_not_applying() -> None:
    server = ServerProcess(
        LABWEB, "--app", "examples.router_app:app", "--mode", "reactor", cwd=ROOT
    )
    try:
        assert "--mode and --threads apply to WSGI apps only" in server.text()
        assert fetch(server.port, "/")[0] == 200
    finally:
        server.signal(signal.SIGTERM)
        server.kill()
