"""``--listen systemd:...``: labweb serves on a socket handed over as systemd does it
(fd 3 and up; LISTEN_FDS, LISTEN_FDNAMES and LISTEN_PID), as deploy/labweb.socket
sets it up."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.subprocess

ROOT = Path(__file__).resolve().parents[2]


def test_labweb_serves_on_a_socket_passed_by_the_systemd_protocol() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    port = listener.getsockname()[1]

    def as_systemd_does() -> None:  # in the child, before exec
        os.dup2(listener.fileno(), 3)
        os.set_inheritable(3, True)  # dup2 onto itself (fileno 3) keeps close-on-exec
        os.environ["LISTEN_FDS"] = "1"
        os.environ["LISTEN_FDNAMES"] = "labweb.socket"  # systemd 227 and newer name them
        os.environ["LISTEN_PID"] = str(os.getpid())

    process = subprocess.Popen(
        [sys.executable, "-m", "twisted_wsgi_lab", "--app", "examples.hello:app",
         "--listen", "systemd:domain=INET:index=0"],
        cwd=ROOT, env=None, preexec_fn=as_systemd_does, close_fds=False,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    listener.close()  # the child holds the socket now
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
        try:
            connection.request("GET", "/")
            response = connection.getresponse()
            assert response.status == 200
            assert b"Hello" in response.read()
        finally:
            connection.close()
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(20) == 0
