"""The native App, through its test client: routes, methods, values, errors, requests."""

from __future__ import annotations

import json
from typing import Any

import pytest
from twisted.internet.defer import Deferred, succeed
from twisted.internet.task import deferLater
from twisted.logger import LogEvent, globalLogPublisher

from twisted_wsgi_lab import App, HTTPError, Request, Response, Router, abort


@pytest.fixture
def logged() -> Any:
    events: list[LogEvent] = []
    globalLogPublisher.addObserver(events.append)
    yield events
    globalLogPublisher.removeObserver(events.append)


@pytest.fixture
def app() -> App:
    app = App()

    @app.get("/")
    def index(request: Request) -> str:
        return "<h1>home</h1>"

    @app.route("/items/<int:item_id>", methods=["GET", "PUT"])
    def item(request: Request, item_id: int) -> dict[str, Any]:
        return {"id": item_id, "method": request.method}

    @app.post("/echo")
    async def echo(request: Request) -> bytes:
        return await request.body()

    @app.get("/dir/")
    def directory(request: Request) -> str:
        return "listing"

    return app


# -- routes and methods ------------------------------------------------------------


def test_a_route_answers_html_for_a_string(app: App) -> None:
    response = app.test_client().get("/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.text == "<h1>home</h1>"


def test_a_converter_passes_a_typed_parameter(app: App) -> None:
    response = app.test_client().put("/items/42")
    assert response.json() == {"id": 42, "method": "PUT"}
    assert response.headers["content-type"].startswith("application/json")


def test_routes_take_get_only_unless_told(app: App) -> None:
    response = app.test_client().post("/")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD, OPTIONS"


def test_head_is_answered_by_the_get_handler_without_a_body(app: App) -> None:
    response = app.test_client().head("/")
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["content-length"] == str(len("<h1>home</h1>"))


def test_options_is_answered_with_allow(app: App) -> None:
    response = app.test_client().options("/items/7")
    assert response.status_code == 204
    assert response.headers["allow"] == "GET, HEAD, OPTIONS, PUT"


def test_an_unknown_path_is_404_and_a_non_matching_converter_too(app: App) -> None:
    client = app.test_client()
    assert client.get("/nowhere").status_code == 404
    assert client.get("/items/forty-two").status_code == 404


def test_a_missing_trailing_slash_is_a_308_that_keeps_query_and_method(app: App) -> None:
    app.route("/upload/", methods=["POST"])(lambda request: "ok")
    client = app.test_client()
    response = client.get("/dir", query={"page": "2"})
    assert response.status_code == 308
    assert response.headers["location"] == "./dir/?page=2"
    assert client.post("/upload").status_code == 308  # 308: the client repeats the POST


def test_the_same_rule_and_method_twice_is_refused_naming_both_handlers(app: App) -> None:
    with pytest.raises(ValueError, match=r"index.*second|second.*index"):

        @app.get("/", endpoint="second")
        def second(request: Request) -> str:
            return "again"


def test_404_and_405_go_out_without_reading_the_body(app: App) -> None:
    from twisted_wsgi_lab.engine import HTTPFactory
    from twisted_wsgi_lab.testing import connect, parse_responses

    protocol, transport = connect(
        HTTPFactory(app, clock=__import__("twisted.internet.task").internet.task.Clock())
    )
    protocol.dataReceived(b"POST /nowhere HTTP/1.1\r\nHost: a\r\nContent-Length: 1000000\r\n\r\n")
    [response] = parse_responses(transport.value())
    assert response.status == 404


# -- url_for, sub-routers, the route list ----------------------------------------


def test_url_for_builds_paths_with_extra_params_as_query(app: App) -> None:
    assert app.url_for("item", item_id=5) == "/items/5"
    assert app.url_for("item", item_id=5, tab="a b") == "/items/5?tab=a+b"


def test_url_for_names_a_missing_parameter(app: App) -> None:
    with pytest.raises(LookupError, match="item_id"):
        app.url_for("item")


def test_a_router_is_included_under_a_prefix() -> None:
    api = Router()

    @api.get("/users/<name>")
    def user(request: Request, name: str) -> dict[str, str]:
        return {"user": name}

    app = App()
    app.include(api, prefix="/api")
    assert app.test_client().get("/api/users/ada").json() == {"user": "ada"}
    assert app.url_for("user", name="ada") == "/api/users/ada"


def test_routes_lists_every_rule_with_methods_and_endpoint(app: App) -> None:
    listed = {(route.rule, route.endpoint) for route in app.routes}
    assert ("/items/<int:item_id>", "item") in listed
    assert ("/echo", "echo") in listed


# -- return values ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "status", "content_type", "body"),
    [
        (b"\x00raw", 200, "application/octet-stream", b"\x00raw"),
        ([1, 2], 200, "application/json", b"[1,2]"),
        (("made", 201), 201, "text/html; charset=utf-8", b"made"),
        (("teapot", 418, {"X-Kind": "tea"}), 418, "text/html; charset=utf-8", b"teapot"),
        (("plain", {"Content-Type": "text/plain"}), 200, "text/plain", b"plain"),
        (Response(b"r", status=202, content_type="text/x-r"), 202, "text/x-r", b"r"),
        (succeed({"a": 1}), 200, "application/json", b'{"a":1}'),
    ],
)
def test_each_kind_of_return_value_becomes_a_response(
    value: Any, status: int, content_type: str, body: bytes
) -> None:
    app = App()
    app.get("/")(lambda request: value)
    response = app.test_client().get("/")
    assert (response.status_code, response.content) == (status, body)
    assert response.headers["content-type"] == content_type


def test_a_coroutine_that_awaits_a_deferred_is_answered() -> None:
    app = App()

    @app.get("/slow")
    async def slow(request: Request) -> str:
        await deferLater(request.clock, 5.0, lambda: None)  # simulated time in the client
        return "done"

    assert app.test_client().get("/slow").text == "done"


def test_generators_sync_and_async_stream_a_chunked_body() -> None:
    app = App()

    @app.get("/sync")
    def numbers(request: Request) -> Any:
        return (f"{n}\n" for n in range(200))

    @app.get("/async")
    async def letters(request: Request) -> Any:
        async def gen() -> Any:
            for letter in "abc":
                await deferLater(request.clock, 0.1, lambda: None)
                yield letter

        return gen()

    client = app.test_client()
    response = client.get("/sync")
    assert response.headers["transfer-encoding"] == "chunked"
    assert response.text.splitlines()[-1] == "199"
    assert client.get("/async").text == "abc"


def test_none_is_a_500_whose_log_names_the_handler(logged: list[LogEvent]) -> None:
    app = App()

    @app.get("/")
    def forgot(request: Request) -> None:
        return None

    assert app.test_client().get("/").status_code == 500
    assert any("forgot" in str(event.get("handler")) for event in logged)


# -- errors -----------------------------------------------------------------------


def test_abort_gives_its_status_and_a_small_html_page() -> None:
    app = App()
    app.get("/gone")(lambda request: abort(410, "moved away"))
    response = app.test_client().get("/gone")
    assert response.status_code == 410
    assert "moved away" in response.text
    assert response.headers["content-type"].startswith("text/html")


def test_error_pages_are_json_for_a_client_that_prefers_json(app: App) -> None:
    response = app.test_client().get("/nowhere", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.json()["status"] == 404


def test_error_handlers_by_status_and_by_exception_class(logged: list[LogEvent]) -> None:
    app = App()

    class OutOfStockError(Exception):
        pass

    @app.get("/buy")
    def buy(request: Request) -> str:
        raise OutOfStockError("no more")

    @app.errorhandler(404)
    def not_found(request: Request, error: HTTPError) -> Any:
        return {"missing": True}, 404

    @app.errorhandler(OutOfStockError)
    def sold_out(request: Request, error: OutOfStockError) -> Any:
        return f"sorry: {error}", 409

    client = app.test_client()
    assert client.get("/nothing").json() == {"missing": True}
    response = client.get("/buy")
    assert (response.status_code, response.text) == (409, "sorry: no more")


def test_an_unhandled_exception_is_a_500_logged_and_shown_only_in_debug(
    logged: list[LogEvent],
) -> None:
    for debug in (False, True):
        app = App(debug=debug)

        @app.get("/")
        def broken(request: Request) -> str:
            raise ZeroDivisionError("secret detail")

        response = app.test_client().get("/")
        assert response.status_code == 500
        assert ("ZeroDivisionError" in response.text) is debug
    assert any(event.get("handler") == "broken" for event in logged)


# -- the request ------------------------------------------------------------------


def test_the_request_exposes_path_query_headers_cookies_and_client() -> None:
    app = App()
    seen: dict[str, Any] = {}

    @app.get("/café/<name>")
    def look(request: Request, name: str) -> str:
        seen.update(
            path=request.path,
            name=name,
            tags=request.args.getlist("tag"),
            first=request.args.get("tag"),
            agent=request.headers.get("USER-AGENT"),
            cookie=request.cookies.get("flavour"),
            url=request.url,
            scheme=request.scheme,
            client=request.client,
        )
        return "ok"

    client = app.test_client()
    client.cookies["flavour"] = "mint"
    client.get("/caf%C3%A9/z%20z", query={"tag": ["a", "b"]}, headers={"User-Agent": "t/1"})
    assert seen["path"] == "/café/z z"
    assert seen["name"] == "z z"
    assert (seen["tags"], seen["first"]) == (["a", "b"], "a")
    assert (seen["agent"], seen["cookie"]) == ("t/1", "mint")
    assert seen["url"] == "http://testserver/caf%C3%A9/z%20z?tag=a&tag=b"
    assert seen["scheme"] == "http"
    assert seen["client"] == ("127.0.0.1", 40000)


def test_json_bodies_415_and_400() -> None:
    app = App()

    @app.post("/data")
    async def data(request: Request) -> Any:
        return {"got": await request.json()}

    client = app.test_client()
    assert client.post("/data", json={"x": [1]}).json() == {"got": {"x": [1]}}
    assert client.post("/data", data="x=1").status_code == 415
    bad = client.post("/data", data=b"{nope", headers={"Content-Type": "application/json"})
    assert bad.status_code == 400


def test_a_body_read_as_a_stream_arrives_whole() -> None:
    app = App()

    @app.post("/count")
    async def count(request: Request) -> dict[str, int]:
        total = 0
        async for chunk in request.stream():
            total += len(chunk)
        return {"bytes": total}

    assert app.test_client().post("/count", data=b"x" * 100_000).json() == {"bytes": 100_000}


def test_a_handler_that_never_reads_the_body_leaves_the_connection_usable() -> None:
    from twisted.internet.task import Clock

    from twisted_wsgi_lab.engine import HTTPFactory
    from twisted_wsgi_lab.testing import connect, parse_responses

    app = App()
    app.route("/ignore", methods=["POST"])(lambda request: "ignored")
    app.get("/next")(lambda request: "next")
    protocol, transport = connect(HTTPFactory(app, clock=Clock()))
    protocol.dataReceived(
        b"POST /ignore HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"
        b"GET /next HTTP/1.1\r\nHost: a\r\n\r\n"
    )
    first, second = parse_responses(transport.value())
    assert (first.body, second.body) == (b"ignored", b"next")


def test_cookies_set_by_the_app_persist_in_the_test_client() -> None:
    app = App()

    @app.get("/login")
    def login(request: Request) -> Response:
        response = Response("in")
        response.set_cookie("user", "ada lovelace", httponly=True)
        return response

    @app.get("/me")
    def me(request: Request) -> str:
        return request.cookies.get("user", "nobody")

    @app.get("/logout")
    def logout(request: Request) -> Response:
        response = Response("out")
        response.delete_cookie("user")
        return response

    client = app.test_client()
    client.get("/login")
    assert client.get("/me").text == "ada lovelace"
    client.get("/logout")
    assert client.get("/me").text == "nobody"


def test_json_default_content_is_compact() -> None:
    app = App()
    app.get("/")(lambda request: {"a": [1, 2]})
    assert json.loads(app.test_client().get("/").content) == {"a": [1, 2]}


def test_a_handler_that_never_answers_gets_the_response_timeout_in_simulated_time() -> None:
    app = App()
    app.get("/")(lambda request: Deferred())
    assert app.test_client().get("/").status_code == 503
