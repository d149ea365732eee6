"""Cookie sessions, CORS and templates on the native App, through its test client."""

from __future__ import annotations

import builtins
import time
from pathlib import Path
from typing import Any

import pytest
from itsdangerous import URLSafeTimedSerializer

from twisted_wsgi_lab import App, Request
from twisted_wsgi_lab.router.cors import CORSConfigError
from twisted_wsgi_lab.router.sessions import SessionError
from twisted_wsgi_lab.router.templates import TemplateSetupError


def counter_app(**options: Any) -> App:
    app = App(**options)

    @app.get("/count")
    def count(request: Request) -> dict[str, int]:
        request.session["n"] = request.session.get("n", 0) + 1
        return {"n": request.session["n"]}

    @app.get("/peek")
    def peek(request: Request) -> dict[str, Any]:
        return {"n": request.session.get("n")}

    @app.get("/logout")
    def logout(request: Request) -> str:
        request.session.clear()
        return "bye"

    return app


# -- sessions ---------------------------------------------------------------------


def test_a_session_survives_between_requests_in_a_signed_httponly_lax_cookie() -> None:
    client = counter_app(secret_key="s3cret").test_client()
    first = client.get("/count")
    cookie = first.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Max-Age=" in cookie
    assert "Secure" not in cookie  # plain HTTP here
    assert "Cookie" in first.headers.getlist("vary")
    assert client.get("/count").json() == {"n": 2}


def test_only_a_changed_session_sets_a_cookie() -> None:
    client = counter_app(secret_key="s3cret").test_client()
    client.get("/count")
    peek = client.get("/peek")
    assert peek.json() == {"n": 1}
    assert "set-cookie" not in peek.headers
    assert "Cookie" in peek.headers.getlist("vary")


def test_a_tampered_cookie_gives_an_empty_session_not_an_error() -> None:
    client = counter_app(secret_key="s3cret").test_client()
    client.get("/count")
    client.cookies["session"] = client.cookies["session"][:-3] + "abc"
    assert client.get("/peek").json() == {"n": None}
    client.cookies["session"] = "not even close"
    assert client.get("/peek").status_code == 200


def test_a_cookie_signed_with_another_key_or_expired_is_ignored() -> None:
    forged = URLSafeTimedSerializer(b"other", salt="labweb.session").dumps({"n": 99})
    client = counter_app(secret_key="s3cret", session_max_age_seconds=60).test_client()
    client.cookies["session"] = forged
    assert client.get("/peek").json() == {"n": None}
    old = URLSafeTimedSerializer(b"s3cret", salt="labweb.session")
    real_time = time.time
    try:
        time.time = lambda: real_time() - 3600  # type: ignore[assignment]
        client.cookies["session"] = old.dumps({"n": 5})
    finally:
        time.time = real_time  # type: ignore[assignment]
    assert client.get("/peek").json() == {"n": None}


def test_keys_rotate_the_first_signs_and_every_key_verifies() -> None:
    old_client = counter_app(secret_key="old").test_client()
    old_client.get("/count")
    rotated = counter_app(secret_key=["new", "old"]).test_client()
    rotated.cookies.update(old_client.cookies)
    assert rotated.get("/count").json() == {"n": 2}  # read with the old key
    new_only = counter_app(secret_key="new").test_client()
    new_only.cookies.update(rotated.cookies)
    assert new_only.get("/peek").json() == {"n": 2}  # re-signed with the new key


def test_clearing_the_session_deletes_the_cookie() -> None:
    client = counter_app(secret_key="s3cret").test_client()
    client.get("/count")
    client.get("/logout")
    assert "session" not in client.cookies


def test_a_session_without_a_secret_key_is_an_error_naming_it() -> None:
    response = counter_app().test_client().get("/count")
    assert response.status_code == 500
    with pytest.raises(SessionError, match="secret_key"):
        App(secret_key="")


def test_the_session_payload_is_json_never_pickle() -> None:
    client = counter_app(secret_key="s3cret").test_client()
    client.get("/count")
    payload = URLSafeTimedSerializer(b"s3cret", salt="labweb.session").loads(
        client.cookies["session"]
    )
    assert payload == {"n": 1}


# -- CORS -------------------------------------------------------------------------


def cors_app(**options: Any) -> tuple[App, list[str]]:
    app = App()
    reached: list[str] = []

    @app.route("/api", methods=["GET", "PUT"])
    def api(request: Request) -> dict[str, bool]:
        reached.append(request.method)
        return {"ok": True}

    app.add_cors(**options)
    return app, reached


def test_a_preflight_is_answered_without_reaching_the_handler() -> None:
    app, reached = cors_app(allow_origins=["https://a.example"], allow_headers=["X-Token"])
    response = app.test_client().options(
        "/api",
        headers={
            "Origin": "https://a.example",
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "x-token",
        },
    )
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "https://a.example"
    assert "PUT" in response.headers["access-control-allow-methods"]
    assert response.headers["access-control-allow-headers"] == "x-token"
    assert response.headers["access-control-max-age"] == "600"
    assert "Origin" in response.headers.getlist("vary")
    assert reached == []


def test_a_disallowed_origin_gets_no_allow_origin() -> None:
    app, _ = cors_app(allow_origins=["https://a.example"])
    client = app.test_client()
    simple = client.get("/api", headers={"Origin": "https://evil.example"})
    assert simple.status_code == 200
    assert "access-control-allow-origin" not in simple.headers
    assert "Origin" in simple.headers.getlist("vary")
    preflight = client.options(
        "/api",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )
    assert preflight.status_code == 400
    assert "access-control-allow-origin" not in preflight.headers


def test_any_origin_is_star_without_credentials_and_echoed_with_them() -> None:
    app, _ = cors_app(allow_origins="*", expose_headers=["X-Total"])
    response = app.test_client().get("/api", headers={"Origin": "https://b.example"})
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["access-control-expose-headers"] == "X-Total"
    assert "Origin" not in response.headers.getlist("vary")
    app, _ = cors_app(allow_origins="*", allow_credentials=True)
    response = app.test_client().get("/api", headers={"Origin": "https://b.example"})
    assert response.headers["access-control-allow-origin"] == "https://b.example"
    assert response.headers["access-control-allow-credentials"] == "true"
    assert "Origin" in response.headers.getlist("vary")


def test_a_request_without_origin_is_untouched_and_a_bad_origin_is_refused() -> None:
    app, _ = cors_app(allow_origins=["https://a.example"])
    assert "access-control-allow-origin" not in app.test_client().get("/api").headers
    with pytest.raises(CORSConfigError, match="allow_origins"):
        App().add_cors(allow_origins=["https://a.example/"])


def test_a_preflight_for_a_method_not_allowed_is_refused() -> None:
    app, _ = cors_app(allow_origins="*", allow_methods=["GET"])
    response = app.test_client().options(
        "/api", headers={"Origin": "https://a.example", "Access-Control-Request-Method": "PUT"}
    )
    assert response.status_code == 400
    assert "PUT" in response.text


# -- templates --------------------------------------------------------------------


@pytest.fixture
def template_dir(tmp_path: Path) -> Path:
    (tmp_path / "hello.html").write_text("<p>Hello, {{ name }}!</p>")
    return tmp_path


def test_templates_render_with_a_context_and_escape_it(template_dir: Path) -> None:
    app = App(template_folder=template_dir)
    app.get("/<name>")(lambda request, name: app.render_template("hello.html", name=name))
    response = app.test_client().get("/%3Cscript%3EAda")
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.text == "<p>Hello, &lt;script&gt;Ada!</p>"


def test_without_jinja2_the_error_names_the_extra(
    template_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_import = builtins.__import__

    def no_jinja(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "jinja2":
            raise ImportError("No module named 'jinja2'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_jinja)
    app = App(template_folder=template_dir)
    with pytest.raises(TemplateSetupError, match=r"twisted-wsgi-lab\[templates\]"):
        app.render_template("hello.html", name="x")


def test_render_template_without_a_folder_says_so() -> None:
    with pytest.raises(TemplateSetupError, match="template_folder"):
        App().render_template("x.html")


def test_the_session_cookie_is_secure_on_https() -> None:
    from twisted_wsgi_lab.testing import MemoryConnection, exchange_for, parse_responses

    app = counter_app(secret_key="s3cret")
    exchange = exchange_for(
        b"GET /count HTTP/1.1\r\nHost: x\r\n\r\n", MemoryConnection(secure=True)
    )
    app.handle(exchange)
    [response] = parse_responses(bytes(exchange.connection.written))  # type: ignore[attr-defined]
    assert b"Secure" in (response.header(b"set-cookie") or b"")
