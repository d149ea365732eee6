"""HTTPError, abort and the error pages: HTML for people, JSON for clients that ask."""

from __future__ import annotations

import json

import pytest

from twisted_wsgi_lab.http11.errors import LabWebError
from twisted_wsgi_lab.router.errors import HTTPError, abort, error_response, reason_phrase
from twisted_wsgi_lab.router.headers import Headers

# -- HTTPError and abort ----------------------------------------------------------------


def test_an_http_error_carries_status_detail_and_headers() -> None:
    error = HTTPError(405, "use GET", headers={"Allow": "GET, HEAD"})
    assert (error.status, error.detail) == (405, "use GET")
    assert error.headers == Headers({"Allow": "GET, HEAD"})
    assert str(error) == "405 Method Not Allowed: use GET"


def test_an_http_error_without_detail_or_headers() -> None:
    error = HTTPError(404)
    assert (error.detail, len(error.headers), str(error)) == (None, 0, "404 Not Found")


def test_an_http_error_is_a_labweb_error() -> None:
    assert isinstance(HTTPError(500), LabWebError)


@pytest.mark.parametrize("status", [200, 302, 399, 600, 99, True, "404"])
def test_an_http_error_refuses_a_status_that_is_not_an_error(status: object) -> None:
    with pytest.raises(ValueError, match="400 to 599"):
        HTTPError(status)  # type: ignore[arg-type]


def test_abort_raises_an_http_error() -> None:
    with pytest.raises(HTTPError) as info:
        abort(401, "log in first", headers=[("WWW-Authenticate", 'Basic realm="lab"')])
    assert info.value.status == 401
    assert info.value.detail == "log in first"
    assert info.value.headers["www-authenticate"] == 'Basic realm="lab"'


def test_abort_with_a_status_that_is_not_an_error_raises_value_error() -> None:
    with pytest.raises(ValueError):
        abort(200)


# -- reason_phrase ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "phrase"),
    [(200, "OK"), (404, "Not Found"), (418, "I'm a Teapot"), (599, "Unknown"), (0, "Unknown")],
)
def test_reason_phrase_is_the_registered_one_or_unknown(status: int, phrase: str) -> None:
    assert reason_phrase(status) == phrase


# -- error_response: HTML -----------------------------------------------------------------


def test_an_error_page_is_html_with_the_status_as_title() -> None:
    response = error_response(404, "no room 7", accept=None)
    page = response.body.decode()
    assert response.status == 404
    assert response.content_type == "text/html; charset=utf-8"
    assert page.startswith("<!doctype html>\n")
    assert "<title>404 Not Found</title>" in page
    assert "<h1>404 Not Found</h1>" in page
    assert "<p>no room 7</p>" in page
    assert "<pre>" not in page


def test_the_detail_is_escaped_in_html() -> None:
    page = error_response(400, "<script>alert('x')</script> & \"", accept=None).body.decode()
    assert "<script>" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;" in page


def test_an_error_page_without_detail_has_no_paragraph() -> None:
    assert b"<p>" not in error_response(500, None, accept=None).body


def test_the_traceback_is_shown_escaped_in_pre() -> None:
    traceback = 'Traceback:\n  File "<app>", line 1\nKeyError: <b>'
    page = error_response(500, "boom", accept=None, debug_traceback=traceback).body.decode()
    assert "<pre>Traceback:\n  File &quot;&lt;app&gt;&quot;, line 1\nKeyError: &lt;b&gt;</pre>" in (
        page
    )


def test_an_error_page_for_an_unregistered_status_says_unknown() -> None:
    assert b"<title>599 Unknown</title>" in error_response(599, None, accept=None).body


@pytest.mark.parametrize(
    "accept",
    [
        None,
        "",
        "*/*",
        "text/html",
        "application/json, text/html",
        "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    ],
    ids=repr,
)
def test_browsers_and_undecided_clients_get_html(accept: str | None) -> None:
    content_type = error_response(404, None, accept=accept).content_type
    assert content_type == "text/html; charset=utf-8"


# -- error_response: JSON ---------------------------------------------------------------


def test_a_client_preferring_json_gets_a_json_document() -> None:
    response = error_response(404, "no room 7", accept="application/json")
    assert response.status == 404
    assert response.content_type == "application/json"
    assert json.loads(response.body) == {"status": 404, "error": "Not Found", "detail": "no room 7"}


def test_the_json_document_has_a_null_detail_when_there_is_none() -> None:
    response = error_response(500, None, accept="application/json")
    assert json.loads(response.body)["detail"] is None


def test_the_json_document_carries_the_traceback_when_given() -> None:
    response = error_response(
        500, "boom", accept="application/json", debug_traceback="Traceback: <x>"
    )
    assert json.loads(response.body)["traceback"] == "Traceback: <x>"


def test_the_json_detail_is_not_html_escaped() -> None:
    response = error_response(400, "<b> & é", accept="application/json")
    assert json.loads(response.body)["detail"] == "<b> & é"


# -- error_response: headers ------------------------------------------------------------


@pytest.mark.parametrize("accept", [None, "application/json"])
def test_error_responses_vary_on_accept(accept: str | None) -> None:
    assert error_response(404, None, accept=accept).headers["Vary"] == "Accept"


def test_an_http_errors_headers_go_on_the_error_response() -> None:
    error = HTTPError(405, headers={"Allow": "GET, HEAD", "Vary": "Origin"})
    response = error_response(error.status, error.detail, accept=None, headers=error.headers)
    assert response.headers["Allow"] == "GET, HEAD"
    assert response.headers.getlist("Vary") == ["Origin"]
    assert response.headers.to_wire()


def test_error_response_refuses_a_status_out_of_range() -> None:
    with pytest.raises(ValueError):
        error_response(700, None, accept=None)
