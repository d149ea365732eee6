"""PoolWaitWatch: one warning per episode of requests waiting for a free thread."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from twisted.internet.task import Clock
from twisted.logger import LogLevel, globalLogPublisher

from twisted_wsgi_lab.wsgi.pool_wait import PoolWaitWatch


class FakePool:
    """A pool of ``max`` threads that runs nothing until told to."""

    def __init__(self, threads: int) -> None:
        self.max = threads
        self.queue: list[tuple[Callable[..., None], tuple[Any, ...]]] = []

    def callInThread(self, function: Callable[..., None], *args: Any) -> None:
        self.queue.append((function, args))

    def take(self) -> None:
        """A thread becomes free and takes the oldest call."""
        function, args = self.queue.pop(0)
        function(*args)


@pytest.fixture
def warnings() -> Iterator[list[str]]:
    seen: list[str] = []

    def observe(event: dict[str, Any]) -> None:
        if event.get("log_level") == LogLevel.warn and "free thread" in event["log_format"]:
            seen.append(event["log_format"].format(**event))

    globalLogPublisher.addObserver(observe)
    yield seen
    globalLogPublisher.removeObserver(observe)


def test_a_request_waiting_one_second_is_reported_with_its_wait(warnings):
    clock, pool = Clock(), FakePool(1)
    watch = PoolWaitWatch(pool, clock)
    watch.submit(lambda: None)
    pool.take()  # the first runs at once
    watch.submit(lambda: None)  # the second waits for it
    clock.advance(0.9)
    assert warnings == []
    clock.advance(0.2)
    assert warnings == [
        "1 requests waiting for a free thread (the oldest for 1.1 s); consider --threads (now 1)"
    ]


def test_more_waiting_than_threads_is_reported_at_once(warnings):
    clock, pool = Clock(), FakePool(1)
    watch = PoolWaitWatch(pool, clock)
    for _ in range(3):
        watch.submit(lambda: None)
    pool.take()
    watch.submit(lambda: None)  # three wait for one thread
    assert len(warnings) == 1
    assert warnings[0].startswith("2 requests waiting") or warnings[0].startswith("3 requests")


def test_one_episode_is_one_warning_however_long_it_lasts(warnings):
    clock, pool = Clock(), FakePool(1)
    watch = PoolWaitWatch(pool, clock)
    watch.submit(lambda: None)
    watch.submit(lambda: None)
    pool.take()
    for _ in range(40):
        clock.advance(0.5)
    assert len(warnings) == 1


def test_a_new_episode_is_reported_again_but_not_within_the_quiet_time(warnings):
    clock, pool = Clock(), FakePool(1)
    watch = PoolWaitWatch(pool, clock, quiet_seconds=30)
    for _ in range(2):  # two episodes, 10 s apart: only the first is reported
        watch.submit(lambda: None)
        clock.advance(2)
        pool.take()
        assert watch.waiting == 0
        clock.advance(10)
    assert len(warnings) == 1
    clock.advance(30)
    watch.submit(lambda: None)
    clock.advance(2)
    assert len(warnings) == 2


def test_calls_are_run_in_the_pool_and_no_timer_is_left_when_nothing_waits():
    clock, pool = Clock(), FakePool(2)
    watch = PoolWaitWatch(pool, clock)
    ran: list[int] = []
    watch.submit(lambda: ran.append(1))
    pool.take()
    clock.advance(5)
    assert ran == [1]
    assert clock.getDelayedCalls() == []
