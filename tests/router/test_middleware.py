"""Middleware and request hooks wrap every answer, errors included."""

from __future__ import annotations

from typing import Any

from twisted.internet.task import deferLater

from twisted_wsgi_lab import App, Request, Response


def test_middleware_wraps_in_registration_order_and_sees_errors_too() -> None:
    app = App()
    order: list[str] = []

    @app.middleware
    async def outer(request: Request, call_next: Any) -> Response:
        order.append("outer in")
        response = await call_next(request)
        order.append("outer out")
        response.headers["X-Outer"] = "1"
        return response

    @app.middleware
    async def inner(request: Request, call_next: Any) -> Response:
        order.append("inner in")
        response = await call_next(request)
        order.append("inner out")
        response.headers["X-Inner"] = str(response.status)
        return response

    app.get("/")(lambda request: "home")
    client = app.test_client()
    response = client.get("/")
    assert order == ["outer in", "inner in", "inner out", "outer out"]
    assert (response.headers["X-Outer"], response.headers["X-Inner"]) == ("1", "200")
    for path, method, status in (("/missing", "GET", "404"), ("/", "POST", "405")):
        assert client.request(method, path).headers["X-Inner"] == status


def test_a_middleware_may_answer_alone_and_may_await() -> None:
    app = App()

    @app.middleware
    async def gate(request: Request, call_next: Any) -> Any:
        await deferLater(request.clock, 0.5, lambda: None)
        if request.headers.get("x-key") != "secret":
            return "no entry", 403
        return await call_next(request)

    app.get("/")(lambda request: "inside")
    client = app.test_client()
    assert client.get("/").status_code == 403
    assert client.get("/", headers={"X-Key": "secret"}).text == "inside"


def test_before_request_may_short_circuit_and_after_request_sees_every_response() -> None:
    app = App()
    seen: list[int] = []

    @app.before_request
    def maintenance(request: Request) -> Any:
        if request.args.get("down"):
            return "down for maintenance", 503
        return None

    @app.after_request
    def stamp(request: Request, response: Response) -> Response:
        seen.append(response.status)
        response.headers["X-Stamped"] = "yes"
        return response

    app.get("/")(lambda request: "up")
    client = app.test_client()
    assert client.get("/").headers["X-Stamped"] == "yes"
    assert client.get("/", query={"down": "1"}).status_code == 503
    assert client.get("/nowhere").headers["X-Stamped"] == "yes"
    assert seen == [200, 503, 404]


def test_a_failing_middleware_is_a_500_and_an_error_handler_applies() -> None:
    app = App()

    @app.middleware
    async def broken(request: Request, call_next: Any) -> Response:
        raise RuntimeError("middleware bug")

    @app.errorhandler(RuntimeError)
    def oops(request: Request, error: RuntimeError) -> Any:
        return f"handled: {error}", 500

    app.get("/")(lambda request: "never")
    response = app.test_client().get("/")
    assert (response.status_code, response.text) == (500, "handled: middleware bug")


def test_an_after_request_hook_that_forgets_to_return_is_a_500_naming_it() -> None:
    app = App()
    app.after_request(lambda request, response: None)
    app.get("/")(lambda request: "x")
    assert app.test_client().get("/").status_code == 500


def test_error_handlers_get_the_request_for_a_404() -> None:
    app = App()

    @app.errorhandler(404)
    def missing(request: Request, error: Any) -> str:
        return f"no {request.path}", 404

    assert app.test_client().get("/nothing/here").text == "no /nothing/here"


def test_routing_follows_the_method_on_the_wire_not_a_rewritten_one() -> None:
    app = App()

    @app.middleware
    async def relabel(request: Request, call_next: Any) -> Response:
        request.method = request.headers.get("X-Method-Label") or request.method
        return await call_next(request)

    app.route("/thing", methods=["POST"])(lambda request: "posted")
    app.route("/thing", methods=["DELETE"])(lambda request: "deleted")
    client = app.test_client()
    response = client.post("/thing", headers={"X-Method-Label": "DELETE"})
    assert response.text == "posted"
