"""WorkerPool: the bridge's own threads, fed by one queue, stopped cleanly."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from twisted.logger import globalLogPublisher

from twisted_wsgi_lab.wsgi import WorkerPool

TIMEOUT = 10


def test_calls_run_in_the_pool_s_daemon_threads_with_their_arguments() -> None:
    pool = WorkerPool(2, name="tests-pool")
    seen: list[tuple[str, bool, int]] = []
    done = threading.Event()

    def record(number: int) -> None:
        thread = threading.current_thread()
        seen.append((thread.name, thread.daemon, number))
        done.set()

    pool.start()
    try:
        pool.callInThread(record, 7)
        assert done.wait(TIMEOUT)
    finally:
        pool.stop()
    [(name, daemon, number)] = seen
    assert name.startswith("tests-pool-") and daemon and number == 7


def test_calls_queued_before_start_wait_for_it_and_run_in_order() -> None:
    pool = WorkerPool(1)
    order: list[int] = []
    for number in range(5):
        pool.callInThread(order.append, number)
    assert order == []
    pool.start()
    pool.stop()  # runs what was queued first
    assert order == [0, 1, 2, 3, 4]


def test_stop_runs_what_is_queued_joins_the_threads_and_drops_later_calls() -> None:
    pool = WorkerPool(3)
    pool.start()
    threads = list(pool._threads)
    ran: list[int] = []
    for number in range(20):
        pool.callInThread(ran.append, number)
    pool.stop()
    assert sorted(ran) == list(range(20))
    assert not any(thread.is_alive() for thread in threads)
    pool.callInThread(ran.append, 99)
    assert 99 not in ran and pool.joined
    pool.stop()  # a second stop does nothing


def test_working_counts_the_threads_inside_a_call() -> None:
    pool = WorkerPool(4)
    inside, release = threading.Barrier(3), threading.Event()

    def hold() -> None:
        inside.wait(TIMEOUT)
        release.wait(TIMEOUT)

    pool.start()
    try:
        assert len(pool.working) == 0 and pool.max == 4
        pool.callInThread(hold)
        pool.callInThread(hold)
        inside.wait(TIMEOUT)
        assert len(pool.working) == 2
    finally:
        release.set()
        pool.stop()
    assert len(pool.working) == 0


def test_a_call_that_raises_is_logged_and_its_thread_goes_on() -> None:
    pool = WorkerPool(1)
    events: list[dict[str, Any]] = []
    globalLogPublisher.addObserver(events.append)
    ran = threading.Event()

    def fail() -> None:
        raise RuntimeError("boom")

    pool.start()
    try:
        pool.callInThread(fail)
        pool.callInThread(ran.set)
        assert ran.wait(TIMEOUT)
    finally:
        pool.stop()
        globalLogPublisher.removeObserver(events.append)
    [failure] = [event["log_failure"] for event in events if "log_failure" in event]
    assert failure.check(RuntimeError)


def test_a_pool_needs_a_thread() -> None:
    with pytest.raises(ValueError, match="at least one thread"):
        WorkerPool(0)
