"""The Date value, and the canned responses the protocol sends without the app."""

from __future__ import annotations

import re
from email.utils import formatdate

import h11
import pytest

from twisted_wsgi_lab.http11 import dates
from twisted_wsgi_lab.http11.dates import http_date
from twisted_wsgi_lab.http11.writer import error_response, informational, reason_phrase

IMF_FIXDATE = re.compile(
    rb"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} "
    rb"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} "
    rb"[0-9]{2}:[0-9]{2}:[0-9]{2} GMT"
)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (0.0, b"Thu, 01 Jan 1970 00:00:00 GMT"),
        (784111777.0, b"Sun, 06 Nov 1994 08:49:37 GMT"),  # the example of RFC 9110 5.6.7
        (784111777.999, b"Sun, 06 Nov 1994 08:49:37 GMT"),
        (1_000_000_000.5, b"Sun, 09 Sep 2001 01:46:40 GMT"),
    ],
)
def test_http_date_is_imf_fixdate_in_gmt(now: float, expected: bytes) -> None:
    assert http_date(now) == expected
    assert IMF_FIXDATE.fullmatch(http_date(now))


def test_http_date_is_formatted_once_per_second(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[float] = []

    def counting(timeval: float, **kwargs: bool) -> str:
        calls.append(timeval)
        return formatdate(timeval, **kwargs)

    monkeypatch.setattr(dates, "formatdate", counting)
    first = http_date(1_700_000_000.1)
    assert http_date(1_700_000_000.9) is first
    assert calls == [1_700_000_000]
    assert http_date(1_700_000_001.0) == b"Tue, 14 Nov 2023 22:13:21 GMT"
    assert calls == [1_700_000_000, 1_700_000_001]


def test_informational_is_a_bare_status_line() -> None:
    assert informational() == b"HTTP/1.1 100 Continue\r\n\r\n"
    assert informational(103) == b"HTTP/1.1 103 Early Hints\r\n\r\n"


def test_an_unregistered_status_has_an_empty_reason_phrase() -> None:
    assert (reason_phrase(404), reason_phrase(599)) == (b"Not Found", b"")


@pytest.mark.parametrize("status", [400, 408, 413, 414, 417, 431, 501, 505])
def test_error_response_is_complete_and_closes_the_connection(status: int) -> None:
    date = b"Thu, 01 Jan 1970 00:00:00 GMT"
    wire = error_response(status, "bad thing \u00e9", server=b"lab/1", date=date)
    head, _, body = wire.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    assert lines[0] == b"HTTP/1.1 %d %s" % (status, reason_phrase(status))
    assert b"Connection: close" in lines
    assert b"Content-Length: %d" % len(body) in lines
    assert (b"Date: " + date, b"Server: lab/1") == (lines[-2], lines[-1])
    assert body == b"%d %s: bad thing ?\n" % (status, reason_phrase(status))

    client = h11.Connection(h11.CLIENT)
    client.send(h11.Request(method="GET", target="/", headers=[("Host", "a")]))
    client.receive_data(wire)
    response = client.next_event()
    assert isinstance(response, h11.Response)
    assert response.status_code == status
