"""The /_lab dashboard App, its live feed, and the mount that keeps it local."""

from __future__ import annotations

import pytest
from twisted.internet.task import Clock

from twisted_wsgi_lab import App, HTTPFactory
from twisted_wsgi_lab.lab import ExchangeRecorder, LabMount, dashboard_app
from twisted_wsgi_lab.router.ws_test_client import WebSocketRefusedError
from twisted_wsgi_lab.testing import connect, parse_responses


def lab_app() -> tuple[App, ExchangeRecorder]:
    """The dashboard App, recording itself, with one route of a user's beside it."""
    recorder = ExchangeRecorder(max_exchanges=500)
    app = dashboard_app(recorder, pool_status=lambda: {"threads": 4, "busy": 1, "waiting": 2})
    app.get("/hello")(lambda request: "hi")
    app.add_observer(recorder)
    return app, recorder


def test_the_page_and_its_files_come_from_the_package_with_a_strict_policy() -> None:
    client = lab_app()[0].test_client()
    page = client.get("/_lab")
    assert page.status_code == 200 and "<title>labweb lab</title>" in page.text
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    assert 'src="/_lab/dashboard.js"' in page.text
    script = client.get("/_lab/dashboard.js")
    assert script.headers["Content-Type"].startswith("text/javascript")
    assert "new WebSocket" in script.text and "http" not in script.text.replace("https:", "")
    assert client.get("/_lab/dashboard.css").status_code == 200


def test_state_and_one_exchange_with_its_raw_bytes() -> None:
    app, _ = lab_app()
    client = app.test_client()
    client.get("/hello", headers={"X-Probe": "a\tb"})
    state = client.get("/_lab/state").json()
    # This request for the state is counted, and answered after the snapshot was taken.
    assert state["counters"]["requests"] == 2 and state["counters"]["responses"] == {"200": 1}
    assert state["pool"] == {"threads": 4, "busy": 1, "waiting": 2}
    [hello] = state["exchanges"]
    assert (hello["method"], hello["target"], hello["status"]) == ("GET", "/hello", 200)
    detail = client.get(f"/_lab/exchanges/{hello['number']}").json()
    assert "X-Probe: a\\tb\\r\\n" in detail["raw_in"]
    assert detail["raw_out"].startswith("HTTP/1.1 200 OK\\r\\n")
    assert client.get("/_lab/exchanges/999").status_code == 404


def test_the_har_download_holds_the_exchanges() -> None:
    app, _ = lab_app()
    client = app.test_client()
    client.get("/hello")
    download = client.get("/_lab/har")
    assert "attachment" in download.headers["Content-Disposition"]
    [entry] = download.json()["log"]["entries"]
    assert entry["request"]["url"] == "http://testserver/hello"


def test_the_feed_sends_the_state_then_one_batch_for_many_requests() -> None:
    app, _ = lab_app()
    client = app.test_client()
    with client.websocket_connect("/_lab/feed") as ws:
        first = ws.receive_json()
        [handshake] = first["exchanges"]  # the feed's own 101, as it is done by then
        assert (handshake["target"], handshake["status"]) == ("/_lab/feed", 101)
        for _ in range(50):
            client.get("/hello")
        batch = ws.receive_json()
        assert [x["target"] for x in batch["exchanges"]] == ["/hello"] * 50
        assert batch["counters"]["responses"]["200"] == 50


def test_a_page_from_another_site_cannot_open_the_feed() -> None:
    client = lab_app()[0].test_client()
    with pytest.raises(WebSocketRefusedError) as refused:
        client.websocket_connect("/_lab/feed", headers={"Origin": "http://evil.example"})
    assert refused.value.response.status_code == 403


def mounted(allow_remote: bool = False) -> HTTPFactory:
    user = App()

    @user.get("/<path:rest>")
    def anything(request: object, rest: str) -> tuple[str, int]:
        return f"the app's own {rest}", 404

    recorder = ExchangeRecorder()
    factory = HTTPFactory(
        LabMount(dashboard_app(recorder), user, allow_remote=allow_remote), clock=Clock()
    )
    factory.add_observer(recorder)
    return factory


def answer(factory: HTTPFactory, peer: str, *fields: str, path: str = "/_lab/state") -> bytes:
    protocol, transport = connect(factory, peer=(peer, 5000))
    head = "".join(f"{field}\r\n" for field in fields)
    protocol.dataReceived(f"GET {path} HTTP/1.1\r\n{head}\r\n".encode())
    [response] = parse_responses(transport.value())
    return response.body


@pytest.mark.parametrize(
    ("peer", "fields", "reaches_dashboard"),
    [
        ("127.0.0.1", ["Host: 127.0.0.1:8080"], True),
        ("127.0.0.1", ["Host: localhost"], True),
        ("::1", ["Host: [::1]:8080"], True),
        ("192.0.2.1", ["Host: 127.0.0.1:8080"], False),  # another machine
        ("127.0.0.1", ["Host: a", "X-Forwarded-For: 203.0.113.9"], False),  # via a proxy
        ("127.0.0.1", ["Host: 127.0.0.1", "Forwarded: for=203.0.113.9"], False),
        ("127.0.0.1", ["Host: attacker.example"], False),  # DNS rebinding
    ],
)
def test_only_local_clients_reach_the_dashboard(
    peer: str, fields: list[str], reaches_dashboard: bool
) -> None:
    body = answer(mounted(), peer, *fields)
    assert (b'"counters"' in body) is reaches_dashboard
    assert (body == b"the app's own _lab/state") is not reaches_dashboard


def test_lab_remote_lets_other_machines_in_and_other_paths_go_to_the_app() -> None:
    factory = mounted(allow_remote=True)
    assert b'"counters"' in answer(factory, "192.0.2.1", "Host: example.net")
    assert answer(factory, "127.0.0.1", "Host: a", path="/_labx") == b"the app's own _labx"


def test_the_feed_stops_once_the_page_has_gone() -> None:
    app, _ = lab_app()
    client = app.test_client()
    with client.websocket_connect("/_lab/feed") as ws:
        ws.receive_json()
    client.clock.advance(1)  # the loop wakes once, finds the socket closed, and ends
    assert client.clock.getDelayedCalls() == []
