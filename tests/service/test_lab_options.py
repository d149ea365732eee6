"""--lab, --har and their companions: checked like every option, composed by the service."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest
from twisted.internet.task import Clock
from twisted.python import usage

from twisted_wsgi_lab.engine import HTTPFactory
from twisted_wsgi_lab.lab import ExchangeRecorder
from twisted_wsgi_lab.service.options import LabWebOptions
from twisted_wsgi_lab.service.tap import makeService
from twisted_wsgi_lab.testing import connect, parse_responses

LOCAL = "tcp:0:interface=127.0.0.1"


def parse(*argv: str) -> LabWebOptions:
    options = LabWebOptions()
    options.parseOptions([*argv, "--listen", LOCAL])
    return options


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["--lab-remote"], "--lab-remote goes with --lab"),
        (["--lab-in-workers"], "--lab-in-workers goes with --lab"),
        (["--lab", "--workers", "2"], "add --lab-in-workers"),
        (["--lab", "--reload"], "add --lab-in-workers"),
        (["--har", "x.har", "--workers", "2"], "--har with --workers"),
        (["--har", "/nonexistent-dir/x.har"], "--har '/nonexistent-dir/x.har'"),
        (["--lab", "--lab-last", "0"], "--lab-last 0"),
        (["--lab", "--lab-last", "many"], "--lab-last 'many'"),
        (["--lab-last", "5"], "--lab-last goes with --lab or --har"),
    ],
)
def test_a_lab_option_that_cannot_work_is_a_usage_error_naming_it(
    argv: list[str], named: str
) -> None:
    with pytest.raises(usage.UsageError) as error:
        parse(*argv)
    assert named in str(error.value)


def test_lab_in_workers_is_the_explicit_way_to_put_the_dashboard_in_workers() -> None:
    options = parse("--lab", "--workers", "2", "--lab-in-workers")
    assert options["lab"] and options["lab-in-workers"]


def test_a_relative_har_path_is_kept_absolute_for_a_later_change_of_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert parse("--har", "x.har")["har"] == str(tmp_path / "x.har")


def factory_of(*argv: str) -> HTTPFactory:
    service = makeService(parse(*argv))
    factory: HTTPFactory = service.factory  # type: ignore[attr-defined]
    factory.clock = Clock()  # in memory: timers on a Clock, not on the global reactor
    return factory


def get(factory: HTTPFactory, path: str, peer: str = "127.0.0.1") -> tuple[int, bytes]:
    protocol, transport = connect(factory, peer=(peer, 4000))
    protocol.dataReceived(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n".encode())
    [response] = parse_responses(transport.value())
    return response.status, response.body


def test_without_the_lab_nothing_observes_and_the_page_says_how_to_turn_it_on() -> None:
    factory = factory_of("--mode", "reactor")
    assert factory.observers == ()
    status, page = get(factory, "/")
    assert status == 200 and b"Start labweb with <code>--lab</code>" in page
    assert b'<a href="/_lab">/_lab</a>' in page


def test_lab_mounts_the_dashboard_for_local_clients_and_the_page_links_to_it() -> None:
    factory = factory_of("--lab", "--lab-last", "7", "--mode", "reactor")
    [recorder] = factory.observers
    assert isinstance(recorder, ExchangeRecorder) and recorder.exchanges.maxlen == 7
    assert b"The dashboard is on" in get(factory, "/")[1]
    status, body = get(factory, "/_lab/state")
    state = json.loads(body)
    assert status == 200 and state["counters"]["responses"] == {"200": 1}
    assert state["pool"] is None  # reactor mode: no thread pool
    status, body = get(factory, "/_lab/state", peer="192.0.2.1")
    assert status == 200 and b"labweb is running" in body  # the app answers that client


def test_in_thread_mode_the_dashboard_shows_the_pool() -> None:
    factory = factory_of("--lab", "--threads", "3")
    state = json.loads(get(factory, "/_lab/state")[1])
    assert state["pool"] == {"threads": 3, "busy": 0, "waiting": 0}


NATIVE_APP = """
from twisted_wsgi_lab import App, ConnectionObserver

class Count(ConnectionObserver):
    statuses = []

    def response_finished(self, connection, exchange):
        self.statuses.append(exchange.status)

app = App()
app.add_observer(Count())
app.get("/")(lambda request: "native")
app.get("/seen")(lambda request: {"statuses": Count.statuses})
"""


def test_a_served_app_s_observers_see_its_connections_behind_other_handlers(
    tmp_path: Path,
) -> None:
    (tmp_path / "observed_native_app.py").write_text(NATIVE_APP)
    factory = factory_of(
        "--app", "observed_native_app:app", "--app-dir", str(tmp_path),
        "--health-path", "/healthz", "--lab",
    )  # fmt: skip
    assert get(factory, "/")[1] == b"native"
    assert get(factory, "/healthz")[0] == 200
    assert json.loads(get(factory, "/seen")[1]) == {"statuses": [200, 200]}


def test_sigusr1_writes_the_har_and_still_reaches_a_handler_twistd_set_before(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """twistd reopens --logfile on SIGUSR1: taking the signal must not silence that."""
    from twisted_wsgi_lab.service import lab_setup

    saved: list[str] = []
    reopened: list[int] = []
    monkeypatch.setattr(lab_setup, "save_har", lambda recorder, path: saved.append(path))
    previous = signal.signal(signal.SIGUSR1, lambda signum, frame: reopened.append(signum))
    try:
        lab_setup._take_sigusr1(ExchangeRecorder(), "x.har")
        os.kill(os.getpid(), signal.SIGUSR1)
        from twisted.internet import reactor

        reactor.runUntilCurrent()  # type: ignore[attr-defined]  # the queued save
    finally:
        signal.signal(signal.SIGUSR1, previous)
    assert saved == ["x.har"]
    assert reopened == [signal.SIGUSR1]
