"""The HAR export: HAR 1.2's shape, labweb's raw bytes, written whole."""

from __future__ import annotations

import codecs
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from twisted.internet.task import Clock

from twisted_wsgi_lab import App, HTTPFactory
from twisted_wsgi_lab.lab import record, write_har
from twisted_wsgi_lab.testing import connect

REQUEST = b"POST /form?x=1&y=two HTTP/1.1\r\nHost: lab.test\r\nContent-Length: 5\r\n\r\nhello"
ENTRY_KEYS = {"startedDateTime", "time", "request", "response", "cache", "timings"}
REQUEST_KEYS = {"method", "url", "httpVersion", "cookies", "headers", "queryString"}
REQUEST_KEYS |= {"headersSize", "bodySize"}
RESPONSE_KEYS = {"status", "statusText", "httpVersion", "cookies", "headers", "content"}
RESPONSE_KEYS |= {"redirectURL", "headersSize", "bodySize"}


def recorded_document() -> tuple[dict[str, Any], bytes]:
    app = App()

    @app.post("/form")
    async def form(request: Any) -> str:
        return "read " + (await request.body()).decode()

    clock = Clock()
    clock.advance(1_790_000_000)
    factory = HTTPFactory(app, clock=clock)
    recorder = record(factory)
    protocol, transport = connect(factory)
    protocol.dataReceived(REQUEST)
    protocol.dataReceived(b"GET /x HTTP/1.1\r\nHost: lab.test\r\nBad\x01: y\r\n\r\n")
    return recorder.har(), transport.value()


def test_the_document_has_har_1_2_s_required_fields() -> None:
    document, _ = recorded_document()
    log = document["log"]
    assert log["version"] == "1.2" and log["creator"]["name"] == "labweb"
    for entry in log["entries"]:
        assert entry.keys() >= ENTRY_KEYS
        assert entry["request"].keys() >= REQUEST_KEYS
        assert entry["response"].keys() >= RESPONSE_KEYS
        assert {"send", "wait", "receive"} <= entry["timings"].keys()
        assert entry["time"] == sum(entry["timings"][k] for k in ("send", "wait", "receive"))
        datetime.fromisoformat(entry["startedDateTime"])
    json.dumps(document)  # nothing that JSON cannot hold


def test_a_real_exchange_appears_with_its_fields_and_exact_bytes() -> None:
    document, sent = recorded_document()
    first, refused = document["log"]["entries"]
    request, response = first["request"], first["response"]
    assert (request["method"], request["url"]) == ("POST", "http://lab.test/form?x=1&y=two")
    assert request["queryString"] == [{"name": "x", "value": "1"}, {"name": "y", "value": "two"}]
    assert request["bodySize"] == 5
    assert {"name": "host", "value": "lab.test"} in request["headers"]
    assert (response["status"], response["statusText"]) == (200, "OK")
    assert response["content"] == {
        "size": len("read hello"),
        "mimeType": "text/html; charset=utf-8",
    }
    assert codecs.escape_decode(first["_raw"]["request"].encode())[0] == REQUEST
    raw_out = codecs.escape_decode(first["_raw"]["response"].encode())[0]
    assert sent.startswith(raw_out) and raw_out.endswith(b"read hello")
    assert first["startedDateTime"].startswith("2026-09-21T")
    assert refused["_outcome"] == "engine-error" and refused["response"]["status"] == 400
    assert "\\x01" in refused["_raw"]["request"]


def test_write_har_replaces_the_file_whole(tmp_path: Path) -> None:
    path = tmp_path / "out.har"
    path.write_text("old")
    app = App()
    app.get("/")(lambda request: "hi")
    recorder = record(factory := HTTPFactory(app, clock=Clock()))
    connect(factory)[0].dataReceived(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
    write_har(recorder.exchanges, str(path))
    assert json.loads(path.read_text())["log"]["entries"][0]["response"]["status"] == 200
    assert [p.name for p in tmp_path.iterdir()] == ["out.har"]  # no temporary file left
