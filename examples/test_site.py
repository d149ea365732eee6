"""examples/site does what the teaching servers did; tested through the test client."""

from __future__ import annotations

from examples.site import app


def test_the_home_page_is_a_template_with_a_session_counter() -> None:
    client = app.test_client()
    assert "been here 1 time " in client.get("/").text
    assert "been here 2 times" in client.get("/").text


def test_query_parameters_are_remembered_in_the_session() -> None:
    client = app.test_client()
    response = client.get("/hello", query={"name": "Ada <3"})
    assert (response.status_code, response.headers["location"]) == (303, "/")
    assert "Welcome, Ada &lt;3!" in client.get("/").text  # escaped by the template


def test_404_and_418_use_the_site_template() -> None:
    client = app.test_client()
    missing = client.get("/no/such/page")
    assert missing.status_code == 404 and "<h1>404</h1>" in missing.text
    teapot = client.get("/teapot")
    assert teapot.status_code == 418 and "will not brew coffee" in teapot.text


def test_middleware_times_every_answer_errors_included() -> None:
    client = app.test_client()
    assert client.get("/").headers["server-timing"].startswith("app;dur=")
    assert "server-timing" in client.get("/nowhere").headers


def test_cors_lets_only_the_front_end_origin_read_the_api() -> None:
    client = app.test_client()
    allowed = client.get("/api/visits", headers={"Origin": "http://localhost:3000"})
    assert allowed.headers["access-control-allow-origin"] == "http://localhost:3000"
    other = client.get("/api/visits", headers={"Origin": "http://evil.example"})
    assert "access-control-allow-origin" not in other.headers


def test_static_files_are_served_and_traversal_is_refused() -> None:
    client = app.test_client()
    css = client.get("/static/site.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert (
        client.get("/static/site.css", headers={"If-None-Match": css.headers["etag"]}).status_code
        == 304
    )
    assert client.get("/static/..%2Fapp.py").status_code == 404


def test_the_chat_page_and_its_websocket_broadcast_to_every_member() -> None:
    client = app.test_client()
    assert "new WebSocket" in client.get("/chat").text
    with client.websocket_connect("/ws/chat") as ada, client.websocket_connect("/ws/chat") as bob:
        ada.send_text("hello from ada")
        assert ada.receive_text() == "hello from ada"
        assert bob.receive_text() == "hello from ada"


def test_a_file_upload_is_parsed_with_its_fields() -> None:
    boundary = "site-test-boundary"
    body = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="note"\r\n\r\nhello\r\n'
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="file"; filename="notes.txt"\r\n'
        "Content-Type: text/plain\r\n\r\nsome notes\r\n"
        f"--{boundary}--\r\n"
    ).encode()
    client = app.test_client()
    assert "<form" in client.get("/upload").text
    response = client.post(
        "/upload",
        data=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert "Got notes.txt (10 bytes, text/plain): hello." in response.text
