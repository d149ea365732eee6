"""ReactorHandoff: calls from pool threads reach the reactor in order, many per wake-up."""

from __future__ import annotations

import threading
from collections.abc import Callable

from twisted.logger import globalLogPublisher

from twisted_wsgi_lab.wsgi.handoff import ReactorHandoff


class FakeReactor:
    """Counts wake-ups; runs the calls from threads only when told to."""

    def __init__(self) -> None:
        self.queued: list[Callable[[], None]] = []
        self._lock = threading.Lock()  # callFromThread is thread-safe; so is this

    def callFromThread(self, function: Callable[[], None]) -> None:
        with self._lock:
            self.queued.append(function)

    def run_pending(self) -> None:
        with self._lock:
            queued, self.queued = self.queued, []
        for function in queued:
            function()


def test_calls_queued_before_the_drain_share_one_wake_up_and_keep_their_order() -> None:
    reactor, ran = FakeReactor(), []
    handoff = ReactorHandoff(reactor)
    for number in range(5):
        handoff.call(ran.append, number)
    assert len(reactor.queued) == 1 and ran == []
    reactor.run_pending()
    assert ran == [0, 1, 2, 3, 4]


def test_a_call_after_the_drain_wakes_the_reactor_again() -> None:
    reactor, ran = FakeReactor(), []
    handoff = ReactorHandoff(reactor)
    handoff.call(ran.append, 1)
    reactor.run_pending()
    handoff.call(ran.append, 2)
    assert len(reactor.queued) == 1
    reactor.run_pending()
    assert ran == [1, 2]


def test_a_call_made_while_draining_is_run_by_a_drain() -> None:
    reactor, ran = FakeReactor(), []
    handoff = ReactorHandoff(reactor)
    handoff.call(lambda: handoff.call(ran.append, "later"))
    reactor.run_pending()
    reactor.run_pending()  # if the first drain did not take it, the wake-up it asked for does
    assert ran == ["later"] and reactor.queued == []


def test_a_call_that_raises_is_logged_and_the_others_still_run() -> None:
    reactor, ran, events = FakeReactor(), [], []
    handoff = ReactorHandoff(reactor)
    globalLogPublisher.addObserver(events.append)
    try:
        handoff.call(lambda: 1 / 0)
        handoff.call(ran.append, "next")
        reactor.run_pending()
    finally:
        globalLogPublisher.removeObserver(events.append)
    assert ran == ["next"]
    [failure] = [event["log_failure"] for event in events if "log_failure" in event]
    assert failure.check(ZeroDivisionError)


def test_no_call_from_many_threads_is_lost() -> None:
    reactor, ran = FakeReactor(), []
    handoff = ReactorHandoff(reactor)
    stop = threading.Event()

    def drain_until_stopped() -> None:  # a stand-in reactor thread
        while not stop.is_set() or reactor.queued:
            reactor.run_pending()

    drainer = threading.Thread(target=drain_until_stopped)
    drainer.start()

    def produce(base: int) -> None:
        for number in range(2000):
            handoff.call(ran.append, base + number)

    producers = [threading.Thread(target=produce, args=(n * 10_000,)) for n in range(4)]
    for thread in producers:
        thread.start()
    for thread in producers:
        thread.join()
    stop.set()
    drainer.join()
    reactor.run_pending()
    assert sorted(ran) == sorted(n * 10_000 + k for n in range(4) for k in range(2000))
