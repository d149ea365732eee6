"""Each fault met by real clients over 127.0.0.1: treq, and requests (urllib3 under it).

What each client does here is what docs/faults.md tells; every wait is bounded.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
import treq
from server_process import LABWEB, ROOT, TWISTD, ServerProcess
from twisted.internet.defer import ensureDeferred
from twisted.web.client import ResponseFailed
from twisted.web.http import _DataLoss

from twisted_wsgi_lab import App, Request, StreamingResponse
from twisted_wsgi_lab.lab import FaultInjector

TIMEOUT = 5
BODY = b"0123456789" * 100  # 1000 bytes


def fault_app() -> App:
    app = App()
    app.get("/")(lambda request: BODY)
    app.get("/chunked")(lambda request: StreamingResponse(iter([BODY[:500], BODY[500:]])))

    @app.post("/upload")
    async def upload(request: Request) -> str:
        return str(len(await request.body()))

    return app


@pytest.fixture
def port(serve_handler: Callable[..., int]) -> int:
    return serve_handler(FaultInjector(fault_app(), header=True))


@pytest.fixture
def with_treq(in_reactor: Callable[..., Any], port: int) -> Callable[..., tuple[int, bytes]]:
    """with_treq(fault, path) -> (status, body) as treq gets them, or what it raises."""

    def fetch(fault: str, path: str = "/", **kwargs: Any) -> tuple[int, bytes]:
        async def get() -> tuple[int, bytes]:
            response = await treq.request(
                kwargs.pop("method", "GET"),
                f"http://127.0.0.1:{port}{path}",
                headers={"X-Labweb-Fault": fault},
                timeout=TIMEOUT,
                persistent=False,
                **kwargs,
            )
            return response.code, await treq.content(response)

        return in_reactor(lambda: ensureDeferred(get()))  # type: ignore[no-any-return]

    return fetch


@pytest.fixture
def session(port: int) -> Iterator[Callable[..., requests.Response]]:
    """session(fault, path) -> the requests Response; one pooled session per test."""
    with requests.Session() as client:

        def fetch(fault: str | None, path: str = "/", **kwargs: Any) -> requests.Response:
            kwargs.setdefault("timeout", TIMEOUT)
            method = kwargs.pop("method", "GET")
            url = f"http://127.0.0.1:{port}{path}"
            headers = {"X-Labweb-Fault": fault} if fault else {}
            return client.request(method, url, headers=headers, **kwargs)

        yield fetch


def elapsed(call: Callable[[], Any]) -> tuple[Any, float]:
    started = time.monotonic()
    return call(), time.monotonic() - started


def failure_names(error: ResponseFailed) -> set[str]:
    return {type(reason.value).__name__ for reason in error.reasons}


def test_delay_both_clients_wait_then_get_the_whole_response(session, with_treq) -> None:
    response, seconds = elapsed(lambda: session("delay:ms=300"))
    assert (response.status_code, response.content, seconds >= 0.3) == (200, BODY, True)
    (code, body), seconds = elapsed(lambda: with_treq("delay:ms=300"))
    assert (code, body, seconds >= 0.3) == (200, BODY, True)


def test_delay_past_a_read_timeout_is_a_timeout_for_requests(session) -> None:
    with pytest.raises(requests.ReadTimeout):
        session("delay:ms=1000", timeout=(TIMEOUT, 0.2))


def test_trickle_both_clients_get_the_body_in_pieces_over_time(session, in_reactor, port) -> None:
    response, seconds = elapsed(lambda: session("trickle:bytes=100,ms=20", stream=True))
    pieces, seconds = elapsed(lambda: list(response.iter_content(100)))
    assert b"".join(pieces) == BODY and seconds >= 0.15  # 10 pieces, 20 ms apart

    async def collect() -> list[bytes]:
        got = await treq.get(
            f"http://127.0.0.1:{port}/chunked",
            headers={"X-Labweb-Fault": "trickle:bytes=100,ms=20"},
            timeout=TIMEOUT,
        )
        parts: list[bytes] = []
        await treq.collect(got, parts.append)
        return parts

    parts = in_reactor(lambda: ensureDeferred(collect()))
    assert b"".join(parts) == BODY and len(parts) > 2


def test_truncate_requests_raises_incomplete_read_treq_data_loss(session, with_treq) -> None:
    with pytest.raises(requests.exceptions.ChunkedEncodingError, match="IncompleteRead"):
        session("truncate")
    with pytest.raises(requests.exceptions.ChunkedEncodingError, match="IncompleteRead"):
        session("truncate", path="/chunked")
    with pytest.raises(ResponseFailed) as info:
        with_treq("truncate")
    assert failure_names(info.value) == {"ConnectionDone", _DataLoss.__name__}  # a clean FIN


def test_reset_requests_raises_connection_reset_treq_connection_lost(session, with_treq) -> None:
    with pytest.raises(requests.exceptions.ChunkedEncodingError, match="ConnectionResetError"):
        session("reset")
    with pytest.raises(ResponseFailed) as info:
        with_treq("reset:bytes=10", "/chunked")
    assert failure_names(info.value) == {"ConnectionLost", _DataLoss.__name__}  # no FIN


def test_bad_status_requests_raises_bad_status_line_treq_parse_error(session, with_treq) -> None:
    with pytest.raises(requests.ConnectionError, match="BadStatusLine"):
        session("bad-status")
    with pytest.raises(ResponseFailed) as info:
        with_treq("bad-status")
    assert failure_names(info.value) == {"ParseError"}
    assert "non-integer status code" in str(info.value.reasons[0].value)


def test_extra_103s_are_skipped_by_treq_but_returned_by_requests(session, with_treq) -> None:
    assert with_treq("extra-1xx:count=2") == (200, BODY)
    early = session("extra-1xx:count=2")
    assert (early.status_code, early.headers["X-Labweb-Interim"], early.content) == (103, "1", b"")
    # The real 200 was left unread; urllib3 sees bytes waiting on the pooled connection
    # and opens a new one, so the next request on the session gets its own answer.
    after = session(None, "/chunked")
    assert (after.status_code, after.headers.get("Transfer-Encoding")) == (200, "chunked")


def test_an_extra_100_continue_is_skipped_by_both(session, with_treq) -> None:
    assert with_treq("extra-1xx:status=100,count=3") == (200, BODY)
    response = session("extra-1xx:status=100,count=3")
    assert (response.status_code, response.content) == (200, BODY)


def test_a_length_too_long_is_incomplete_for_both(session, with_treq) -> None:
    with pytest.raises(requests.exceptions.ChunkedEncodingError, match="10 more expected"):
        session("wrong-length:delta=10")
    with pytest.raises(ResponseFailed) as info:
        with_treq("wrong-length:delta=10")
    assert _DataLoss.__name__ in failure_names(info.value)


def test_a_length_too_short_gives_both_a_shorter_body_without_error(session, with_treq) -> None:
    response = session("wrong-length:delta=-5")
    assert (response.status_code, response.content) == (200, BODY[:-5])
    assert with_treq("wrong-length:delta=-5") == (200, BODY[:-5])


def test_stall_read_holds_an_upload_back_for_both(session, with_treq) -> None:
    upload = b"u" * 200_000
    response, seconds = elapsed(
        lambda: session("stall-read:ms=300", "/upload", method="POST", data=upload)
    )
    assert (response.text, seconds >= 0.3) == ("200000", True)
    (code, body), seconds = elapsed(
        lambda: with_treq("stall-read:ms=300", "/upload", method="POST", data=upload)
    )
    assert (code, body, seconds >= 0.3) == (200, b"200000", True)
    with pytest.raises(requests.ReadTimeout):
        session("stall-read:ms=1000", "/upload", method="POST", data=upload, timeout=(5, 0.2))


@pytest.mark.subprocess
@pytest.mark.parametrize("command", [LABWEB, TWISTD], ids=["labweb", "twistd"])
def test_fault_on_the_command_line_bends_every_nth_response(command: tuple[str, ...]) -> None:
    server = ServerProcess(
        command, "--app", "examples.router_app:app", "--fault", "bad-status:every=2", cwd=ROOT
    )
    try:
        assert "fault injection is on: bad-status:every=2" in server.text()
        url = f"http://127.0.0.1:{server.port}/"
        assert requests.get(url, timeout=TIMEOUT).status_code == 200
        with pytest.raises(requests.ConnectionError, match="BadStatusLine"):
            requests.get(url, timeout=TIMEOUT)
    finally:
        server.signal(signal.SIGTERM)
        server.kill()


def test_a_wsgi_app_in_threads_is_bent_the_same_way(serve_handler) -> None:
    """The injector wraps any handler: here the WSGI bridge, writing from pool threads."""
    from twisted.python.threadpool import ThreadPool

    from twisted_wsgi_lab import WSGIBridge

    def wsgi_app(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        yield from (BODY[:300], BODY[300:600], BODY[600:])

    pool = ThreadPool(minthreads=2, maxthreads=2, name="fault-tests")
    pool.start()
    try:
        injector = FaultInjector(WSGIBridge(wsgi_app, threadpool=pool), "trickle:bytes=200,ms=20")
        url = f"http://127.0.0.1:{serve_handler(injector)}/"
        response, seconds = elapsed(lambda: requests.get(url, timeout=TIMEOUT))
        assert (response.status_code, response.content, seconds >= 0.08) == (200, BODY, True)
        asked = requests.get(url, headers={"X-Labweb-Fault": "reset"}, timeout=TIMEOUT)
        assert asked.content == BODY  # no --fault-header here: the header is ignored
    finally:
        pool.stop()
