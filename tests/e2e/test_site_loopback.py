"""examples/site on a real port, with requests as the browser: sessions (and a tampered
one), CORS, templates, middleware, static files and traversal attempts."""

from __future__ import annotations

import http.client
from collections.abc import Callable

import pytest
import requests

from examples.site import app


@pytest.fixture
def base_url(serve_handler: Callable[..., int]) -> str:
    return f"http://127.0.0.1:{serve_handler(app)}"


def test_a_session_follows_a_browser_and_a_tampered_cookie_starts_afresh(base_url: str) -> None:
    with requests.Session() as browser:
        assert "been here 1 time " in browser.get(base_url + "/", timeout=10).text
        assert "been here 2 times" in browser.get(base_url + "/", timeout=10).text
        cookie = browser.cookies["session"]
        browser.cookies.clear()
        browser.cookies.set("session", cookie[:-2] + ("AA" if cookie[-2:] != "AA" else "BB"))
        page = browser.get(base_url + "/", timeout=10)
        assert page.status_code == 200
        assert "been here 1 time " in page.text  # the forged cookie counts for nothing


def test_the_name_from_the_query_reaches_the_template_escaped(base_url: str) -> None:
    with requests.Session() as browser:
        page = browser.get(base_url + "/hello", params={"name": "<b>Ada</b>"}, timeout=10)
        assert page.url == base_url + "/"  # followed the 303
        assert "Welcome, &lt;b&gt;Ada&lt;/b&gt;!" in page.text
        assert page.headers["Server-Timing"].startswith("app;dur=")


def test_cors_headers_reach_a_real_client(base_url: str) -> None:
    allowed = requests.get(
        base_url + "/api/visits", headers={"Origin": "http://localhost:3000"}, timeout=10
    )
    assert allowed.headers["Access-Control-Allow-Origin"] == "http://localhost:3000"
    preflight = requests.options(
        base_url + "/api/visits",
        headers={"Origin": "http://localhost:3000", "Access-Control-Request-Method": "GET"},
        timeout=10,
    )
    assert preflight.status_code == 204


@pytest.mark.parametrize(
    "target",
    [
        "/static/../app.py",
        "/static/..%2fapp.py",
        "/static/%2e%2e/app.py",
        "/static/..%5capp.py",
        "/static/%2fetc%2fpasswd",
        "/static/site.css%00.png",
    ],
)
def test_traversal_attempts_from_a_raw_client_are_404(base_url: str, target: str) -> None:
    host, port = base_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.request("GET", target)  # sent as written: no client-side normalising
        response = connection.getresponse()
        assert response.status == 404
        assert b"import" not in response.read()
    finally:
        connection.close()


def test_the_stylesheet_is_served_with_validators(base_url: str) -> None:
    first = requests.get(base_url + "/static/site.css", timeout=10)
    assert first.status_code == 200
    again = requests.get(
        base_url + "/static/site.css", headers={"If-None-Match": first.headers["ETag"]}, timeout=10
    )
    assert again.status_code == 304
