"""Operator bugs an independent review of the service reproduced; each failed before its fix."""

import pytest
from twisted.python import usage

from twisted_wsgi_lab.service.options import LabWebOptions


def test_tcp6_endpoint_with_unescaped_interface_names_no_internals():
    # Twisted's own documented form for IPv6 needs \: escapes; the natural
    # unescaped form must give a plain error, not a Python TypeError text.
    options = LabWebOptions()
    with pytest.raises(usage.UsageError) as caught:
        options.parseOptions(["--listen", "tcp6:8000:interface=::1"])
    message = str(caught.value)
    assert "_parseServer" not in message and "multiple values" not in message, message


def test_help_shows_each_default_once():
    text = str(LabWebOptions())
    drain = text[text.index("--drain-delay") :]
    drain = drain[: drain.index("\n      --")]  # up to the next option's line
    assert drain.count("[default:") == 1, drain


def test_haproxy_without_inner_type_names_the_fix():
    options = LabWebOptions()
    with pytest.raises(usage.UsageError) as caught:
        options.parseOptions(["--listen", "haproxy:8000"])
    assert "unknown endpoint type '8000'" not in str(caught.value), caught.value


def _logged():
    from twisted.internet.task import Clock

    from twisted_wsgi_lab import App, HTTPFactory
    from twisted_wsgi_lab.service.access_log import AccessLog
    from twisted_wsgi_lab.testing import connect

    app = App()
    app.get("/hello")(lambda request: "hi")
    lines: list[str] = []
    factory = HTTPFactory(app, clock=Clock())
    factory.add_observer(AccessLog(lines.append))
    protocol, transport = connect(factory, peer=("192.0.2.9", 5000))
    return protocol, transport, lines


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GET /hello HTTP/1.1\r\n\r\n",  # no Host: 400
        b"GET /hello HTTP/1.1\r\nHost: a\r\nX: a\x00b\r\n\r\n",  # bad field: 400
        b"GET /" + b"x" * 20000 + b" HTTP/1.1\r\nHost: a\r\n\r\n",  # 414
    ],
)
def test_error_responses_the_engine_writes_are_logged(request_bytes: bytes) -> None:
    protocol, transport, lines = _logged()
    protocol.dataReceived(request_bytes)
    assert transport.value().startswith(b"HTTP/1.1 4"), transport.value()[:40]
    assert len(lines) == 1, lines  # "one line per response"


def test_a_slow_importing_app_gets_a_clear_error_not_a_traceback(tmp_path, monkeypatch):
    """The supervisor's start-up check has a 60 s timeout; an app slower to import
    (a big model, a slow DB at import) makes `labweb --workers 2` die with an
    uncaught subprocess.TimeoutExpired traceback."""
    import subprocess

    from twisted_wsgi_lab.service import supervisor_service as module

    (tmp_path / "slow_import.py").write_text("import time; time.sleep(3)\napp = None\n")
    monkeypatch.setattr(module, "CHECK_TIMEOUT_SECONDS", 1.0)  # stands for 60 s
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    options = LabWebOptions()
    options.parseOptions(
        [
            "slow_import:app",
            "--app-dir",
            str(tmp_path),
            "--workers",
            "2",
            "--listen",
            "tcp:0:interface=127.0.0.1",
        ]
    )
    try:
        module.supervisor_service(options)
    except subprocess.TimeoutExpired as error:
        pytest.fail(f"uncaught {error!r}")
    except SystemExit:
        pass
