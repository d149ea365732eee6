"""Tests of examples/router_app.py through the App's test client: no socket, no reactor."""

from __future__ import annotations

from examples.router_app import BOOKS, app


def test_the_index_links_to_the_first_book() -> None:
    response = app.test_client().get("/")
    assert response.status_code == 200
    assert 'href="/api/books/1"' in response.text


def test_a_book_is_json_and_a_missing_one_is_a_json_404() -> None:
    client = app.test_client()
    assert client.get("/api/books/1").json() == {"id": 1, "title": "Persuasion"}
    missing = client.get("/api/books/99")
    assert missing.status_code == 404
    assert missing.json() == {"error": "not found", "detail": "no book 99"}


def test_posting_a_book_creates_it() -> None:
    response = app.test_client().post("/api/books", json={"title": "Emma"})
    assert response.status_code == 201
    created = response.json()
    assert BOOKS[created["id"]]["title"] == "Emma"
    assert response.headers["location"] == f"/api/books/{created['id']}"


def test_a_bad_book_is_400() -> None:
    assert app.test_client().post("/api/books", json=["no"]).status_code == 400


def test_the_slow_page_waits_in_simulated_time() -> None:
    assert app.test_client().get("/slow").text == "waited half a second"


def test_the_countdown_streams_every_line() -> None:
    response = app.test_client().get("/countdown/3")
    assert response.text == "3...\n2...\n1...\nliftoff\n"


def test_the_path_converter_keeps_slashes() -> None:
    assert app.test_client().get("/files/a/b/c.txt").text == "you asked for a/b/c.txt\n"
