"""Response and StreamingResponse: plain values with the defaults Flask users expect."""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, Iterator
from datetime import timedelta
from http import HTTPStatus

import pytest

from twisted_wsgi_lab.router.headers import Headers
from twisted_wsgi_lab.router.response import Response, StreamingResponse

# -- construction -----------------------------------------------------------------------


def test_an_empty_response_is_a_200_of_octet_stream() -> None:
    response = Response()
    assert (response.status, response.body) == (200, b"")
    assert response.content_type == "application/octet-stream"


def test_a_text_body_is_utf_8_html_by_default() -> None:
    response = Response("café")
    assert response.body == "café".encode()
    assert response.content_type == "text/html; charset=utf-8"


def test_a_bytes_body_is_octet_stream_by_default() -> None:
    assert Response(b"\x00\x01").content_type == "application/octet-stream"


def test_a_content_type_argument_wins_over_the_default_and_the_headers() -> None:
    response = Response("x", headers={"content-type": "text/html"}, content_type="text/plain")
    assert response.headers.getlist("Content-Type") == ["text/plain"]


def test_a_content_type_among_the_headers_is_kept() -> None:
    response = Response("x", headers=[("content-type", "text/csv")])
    assert response.content_type == "text/csv"


@pytest.mark.parametrize(
    "headers",
    [{"X-A": "1"}, [("X-A", "1")], Headers({"X-A": "1"})],
    ids=["dict", "pairs", "headers"],
)
def test_headers_may_be_given_in_any_form_and_become_headers(headers: object) -> None:
    response = Response(b"", headers=headers)  # type: ignore[arg-type]
    assert isinstance(response.headers, Headers)
    assert response.headers["x-a"] == "1"


def test_headers_given_as_headers_are_copied_not_shared() -> None:
    mine = Headers({"X-A": "1"})
    Response(b"", headers=mine).headers.add("X-B", "2")
    assert "X-B" not in mine


def test_a_body_of_another_type_is_refused() -> None:
    with pytest.raises(TypeError, match="bytes or str"):
        Response(123)  # type: ignore[arg-type]


def test_headers_that_are_not_text_are_refused() -> None:
    with pytest.raises(TypeError):
        Response(b"", headers={"X-A": 1})  # type: ignore[arg-type]


# -- status and body --------------------------------------------------------------------


@pytest.mark.parametrize("status", [100, 204, 418, 599])
def test_any_status_from_100_to_599_is_accepted(status: int) -> None:
    assert Response(status=status).status == status


@pytest.mark.parametrize("status", [99, 600, 0, -200, True, "200", 200.0, None])
def test_a_status_outside_100_to_599_is_refused(status: object) -> None:
    with pytest.raises(ValueError, match="status"):
        Response(status=status)  # type: ignore[arg-type]


def test_assigning_a_bad_status_later_is_refused_too() -> None:
    response = Response()
    with pytest.raises(ValueError):
        response.status = 1000
    assert response.status == 200


def test_an_http_status_member_becomes_a_plain_int() -> None:
    status = Response(status=HTTPStatus.NOT_FOUND).status
    assert status == 404 and type(status) is int


def test_assigning_text_to_the_body_stores_utf_8() -> None:
    response = Response()
    response.body = "é"
    assert response.body == b"\xc3\xa9"


def test_assigning_another_type_to_the_body_is_refused() -> None:
    response = Response()
    with pytest.raises(TypeError):
        response.body = None  # type: ignore[assignment]


# -- content_type -----------------------------------------------------------------------


def test_content_type_reads_and_replaces_the_header() -> None:
    response = Response("x")
    response.content_type = "text/plain; charset=utf-8"
    assert response.headers.getlist("content-type") == ["text/plain; charset=utf-8"]


def test_assigning_none_to_content_type_removes_the_header() -> None:
    response = Response("x")
    response.content_type = None
    assert response.content_type is None and "Content-Type" not in response.headers
    response.content_type = None  # already absent: no error
    assert response.content_type is None


# -- cookies ----------------------------------------------------------------------------


def test_set_cookie_appends_one_set_cookie_each_time() -> None:
    response = Response()
    response.set_cookie("a", "1")
    response.set_cookie(
        "b",
        "x y",
        max_age=timedelta(minutes=1),
        expires=0,
        path="/p",
        domain="example.test",
        secure=True,
        httponly=True,
        samesite="strict",
    )
    assert response.headers.getlist("Set-Cookie") == [
        "a=1; Path=/",
        'b="x\\040y"; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=60; '
        "Domain=example.test; Path=/p; Secure; HttpOnly; SameSite=Strict",
    ]


def test_set_cookie_passes_errors_through_and_adds_nothing() -> None:
    response = Response()
    with pytest.raises(ValueError):
        response.set_cookie("a", "1", samesite="None")
    assert "Set-Cookie" not in response.headers


def test_delete_cookie_appends_an_expired_set_cookie() -> None:
    response = Response()
    response.delete_cookie("sid", path="/app", domain="example.test")
    assert response.headers["Set-Cookie"] == (
        "sid=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Domain=example.test; Path=/app"
    )


# -- redirect ---------------------------------------------------------------------------


def test_redirect_is_a_302_with_a_location_by_default() -> None:
    response = Response.redirect("/login?next=%2Fhome")
    assert response.status == 302
    assert response.headers["Location"] == "/login?next=%2Fhome"
    assert type(response) is Response


def test_redirect_body_links_to_the_escaped_location() -> None:
    response = Response.redirect('/a?x="<b>"&y=1')
    assert b'href="/a?x=&quot;&lt;b&gt;&quot;&amp;y=1"' in response.body
    assert response.content_type == "text/html; charset=utf-8"


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_redirect_accepts_every_redirect_status(status: int) -> None:
    assert Response.redirect("/", status).status == status


@pytest.mark.parametrize("status", [200, 300, 304, 305, 404])
def test_redirect_refuses_other_statuses(status: int) -> None:
    with pytest.raises(ValueError, match="redirect status"):
        Response.redirect("/", status)


@pytest.mark.parametrize(
    "url", ["/a\r\nSet-Cookie: x=1", "/a\nb", "/a\rb", "/a\x00", "/a\tb", "/a\x7f"], ids=repr
)
def test_redirect_refuses_control_characters_in_the_url(url: str) -> None:
    with pytest.raises(ValueError, match="control character"):
        Response.redirect(url)


def test_redirect_percent_encodes_spaces_and_non_ascii_text() -> None:
    response = Response.redirect("https://example.test/café menu?q=€&r=%41")
    location = response.headers["Location"]
    assert location == "https://example.test/caf%C3%A9%20menu?q=%E2%82%AC&r=%41"
    assert response.headers.to_wire()  # goes on the wire as it is


def test_redirect_called_on_a_subclass_still_gives_a_plain_response() -> None:
    assert type(StreamingResponse.redirect("/")) is Response


# -- json -------------------------------------------------------------------------------


def test_json_is_compact_utf_8_application_json() -> None:
    response = Response.json({"name": "café", "list": [1, 2]})
    assert response.body == '{"name":"café","list":[1,2]}'.encode()
    assert response.content_type == "application/json"
    assert response.status == 200


def test_json_takes_a_status_and_headers() -> None:
    response = Response.json([], 201, {"Location": "/items/1"})
    assert (response.status, response.headers["Location"], response.body) == (
        201,
        "/items/1",
        b"[]",
    )


def test_json_of_none_is_null() -> None:
    assert Response.json(None).body == b"null"


def test_json_refuses_what_json_cannot_encode() -> None:
    with pytest.raises(TypeError):
        Response.json({"when": object()})


@pytest.mark.parametrize("number", [float("nan"), float("inf"), float("-inf")])
def test_json_refuses_nan_and_infinities(number: float) -> None:
    with pytest.raises(ValueError):
        Response.json({"x": number})


def test_json_body_parses_back_to_the_data() -> None:
    data = {"text": 'quote " backslash \\ newline \n', "n": 1.5, "ok": True, "none": None}
    assert json.loads(Response.json(data).body) == data


def test_repr_shows_status_type_and_size() -> None:
    assert repr(Response("hi")) == "<Response 200 'text/html; charset=utf-8' 2 bytes>"


# -- StreamingResponse ------------------------------------------------------------------


def chunks() -> Iterator[bytes]:
    yield b"a"
    yield b"b"


async def async_chunks() -> AsyncGenerator[str, None]:
    yield "a"


def test_a_streaming_response_holds_the_stream_and_an_empty_body() -> None:
    stream = chunks()
    response = StreamingResponse(stream)
    assert response.stream is stream
    assert response.body == b""
    assert not response.is_async
    assert isinstance(response, Response)


def test_a_streaming_response_defaults_to_octet_stream() -> None:
    assert StreamingResponse([b"x"]).content_type == "application/octet-stream"


def test_a_streaming_response_takes_status_headers_and_content_type() -> None:
    response = StreamingResponse(
        ["line\n"], 206, {"X-A": "1"}, content_type="text/plain; charset=utf-8"
    )
    assert response.status == 206
    assert response.headers["X-A"] == "1"
    assert response.content_type == "text/plain; charset=utf-8"


def test_an_async_iterable_is_a_stream_too() -> None:
    stream = async_chunks()
    response = StreamingResponse(stream)
    assert response.is_async
    assert repr(response) == "<StreamingResponse 200 'application/octet-stream' async stream>"
    stream.aclose().close()  # the generator never started; close it without a loop


def test_a_sync_stream_shows_in_repr() -> None:
    assert "sync stream" in repr(StreamingResponse(iter([b""])))


@pytest.mark.parametrize("stream", [b"whole", "whole", bytearray(b"whole")], ids=repr)
def test_a_whole_body_is_refused_as_a_stream(stream: object) -> None:
    with pytest.raises(TypeError, match="use Response"):
        StreamingResponse(stream)  # type: ignore[arg-type]


@pytest.mark.parametrize("stream", [None, 5, object()], ids=repr)
def test_something_not_iterable_is_refused_as_a_stream(stream: object) -> None:
    with pytest.raises(TypeError, match="iterable"):
        StreamingResponse(stream)  # type: ignore[arg-type]


def test_a_streaming_response_refuses_a_bad_status() -> None:
    with pytest.raises(ValueError):
        StreamingResponse([b""], status=42)


def test_a_streaming_response_sets_cookies_like_a_response() -> None:
    response = StreamingResponse([b""])
    response.set_cookie("a", "1")
    assert response.headers["Set-Cookie"] == "a=1; Path=/"


class _Counted(Response):
    """A subclass with setters of its own: the constructor's values go through them."""

    @Response.body.setter  # type: ignore[attr-defined,misc]
    def body(self, value: bytes | str) -> None:
        Response.body.fset(self, value)  # type: ignore[attr-defined]
        self.headers["X-Body-Length"] = str(len(self._body))


def test_a_subclass_setter_sees_the_constructors_body() -> None:
    assert _Counted(b"abc").headers.get("X-Body-Length") == "3"
    assert _Counted("héllo").headers.get("X-Body-Length") == "6"
    assert Response(b"abc").body == b"abc"
