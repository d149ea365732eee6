"""The watchdog's parts without a reactor: episodes on a fake clock, stacks, the warning."""

from __future__ import annotations

import sys
import threading
from types import FrameType

import pytest
from twisted.internet.task import Clock
from twisted.logger import LogEvent, formatEvent, globalLogPublisher

from twisted_wsgi_lab.service.watchdog import BlockedEpisodes, Watchdog, request_line_on_stack

THRESHOLD = 0.5


def test_a_fresh_heartbeat_is_no_episode():
    episodes = BlockedEpisodes(THRESHOLD, now=0.0)
    for tick in range(1, 40):
        now = tick * THRESHOLD / 4
        episodes.beat(now)
        assert episodes.check(now + 0.1) is None


def test_a_stale_heartbeat_is_reported_once_then_its_end_once():
    episodes = BlockedEpisodes(THRESHOLD, now=0.0)
    episodes.beat(1.0)
    assert episodes.check(1.4) is None  # under the threshold
    assert episodes.check(1.6) == ("blocked", pytest.approx(0.6))
    assert episodes.check(2.0) is None  # still the same episode
    assert episodes.check(9.0) is None
    episodes.beat(9.5)
    assert episodes.check(9.6) == ("free", pytest.approx(8.5))
    assert episodes.check(9.7) is None


def test_the_next_episode_is_reported_again():
    episodes = BlockedEpisodes(THRESHOLD, now=0.0)
    assert episodes.check(0.6) == ("blocked", pytest.approx(0.6))
    episodes.beat(1.0)
    assert episodes.check(1.1) == ("free", pytest.approx(1.0))
    assert episodes.check(2.0) == ("blocked", pytest.approx(1.0))


class FakeExchange:
    @property
    def request_line(self) -> str:
        return "GET /held HTTP/1.1"


class FakeCall:
    """Like the WSGI bridge's ReactorCall: the exchange is a private attribute."""

    def __init__(self) -> None:
        self._exchange = FakeExchange()

    def run(self) -> FrameType:
        return app_code()


def app_code() -> FrameType:
    self = "a str has no request_line"  # a `self` that is no request is passed over
    assert self
    return sys._getframe()


def test_the_request_is_found_through_a_call_holding_an_exchange():
    assert request_line_on_stack(FakeCall().run()) == "GET /held HTTP/1.1"


def test_the_request_is_found_in_a_local_named_exchange():
    def handler(exchange: FakeExchange) -> FrameType:
        return sys._getframe()

    assert request_line_on_stack(handler(FakeExchange())) == "GET /held HTTP/1.1"


def test_a_stack_without_a_request_gives_none():
    assert request_line_on_stack(app_code()) is None
    assert request_line_on_stack(None) is None


def test_a_watchdog_names_the_request_blocking_its_reactor_thread():
    """The heartbeat runs on a Clock; a thread standing in for the reactor blocks."""
    events: list[LogEvent] = []
    globalLogPublisher.addObserver(events.append)
    clock, now = Clock(), [0.0]
    release, held = threading.Event(), threading.Event()
    watchdog = Watchdog(0.05, clock=clock, hint="try --mode threads", now=lambda: now[0])

    def reactor_thread(exchange: FakeExchange) -> None:
        watchdog.start()  # the first beat records this thread as the reactor's
        held.set()
        release.wait(10)

    blocked = threading.Thread(target=reactor_thread, args=(FakeExchange(),))
    try:
        blocked.start()
        assert held.wait(10)
        now[0] = 1.0  # no beat since 0.0: blocked
        for _ in range(200):
            if any("blocked" in formatEvent(e) for e in events):
                break
            threading.Event().wait(0.01)
    finally:
        release.set()
        blocked.join(10)
        watchdog.stop()
        globalLogPublisher.removeObserver(events.append)
    [warning] = [formatEvent(e) for e in events if "blocked" in formatEvent(e)]
    assert "blocked for 1.00 s by GET /held HTTP/1.1" in warning
    assert warning.endswith("; try --mode threads")
