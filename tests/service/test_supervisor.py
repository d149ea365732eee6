"""The supervisor's decisions, with fake worker handles and a Clock: no processes."""

from __future__ import annotations

import itertools
import signal

import pytest
from twisted.internet.task import Clock
from twisted.python import usage

from twisted_wsgi_lab.service.options import LabWebOptions
from twisted_wsgi_lab.service.supervisor import (
    _TRANSITIONS,
    RETIRE_SIGNAL,
    BackOff,
    Supervisor,
    WorkerState,
    next_state,
)
from twisted_wsgi_lab.service.workers_options import parse_workers, supervises

_pids = itertools.count(1000)


class FakeHandle:
    def __init__(self) -> None:
        self.pid = next(_pids)
        self.signals: list[int] = []

    def signal(self, signum: int) -> None:
        self.signals.append(signum)


class Harness:
    """A Supervisor whose spawned workers are FakeHandles, kept by number."""

    def __init__(self, target: int = 2, **kwargs: object) -> None:
        self.clock = Clock()
        self.handles: dict[int, FakeHandle] = {}
        self.gave_up: list[str] = []
        self.supervisor = Supervisor(
            spawn=self.spawn,
            target=target,
            clock=self.clock,
            give_up=self.gave_up.append,
            **kwargs,  # type: ignore[arg-type]
        )

    def spawn(self, number: int) -> FakeHandle:
        self.handles[number] = FakeHandle()
        return self.handles[number]

    def state(self, number: int) -> WorkerState | None:
        worker = self.supervisor.workers.get(number)
        return None if worker is None else worker.state

    def ready_all(self) -> None:
        for number, worker in list(self.supervisor.workers.items()):
            if worker.state is WorkerState.STARTING:
                self.supervisor.worker_ready(number)

    def terminated(self) -> list[int]:
        """Workers asked to go: SIGTERM (the instance stops) or RETIRE_SIGNAL (only they go)."""
        asked = (signal.SIGTERM, RETIRE_SIGNAL)
        return [n for n, h in self.handles.items() if any(s in h.signals for s in asked)]

    def ready_count(self) -> int:
        return sum(w.state is WorkerState.READY for w in self.supervisor.workers.values())


def test_every_worker_is_started_at_once():
    harness = Harness(target=3)
    harness.supervisor.start()
    assert sorted(harness.handles) == [1, 2, 3]
    assert all(harness.state(n) is WorkerState.STARTING for n in (1, 2, 3))


def test_a_worker_that_dies_after_it_was_ready_is_replaced_at_once():
    harness = Harness(target=2)
    harness.supervisor.start()
    harness.ready_all()
    harness.supervisor.worker_exited(1, "signal SIGKILL")
    assert sorted(harness.supervisor.workers) == [2, 3]


def test_start_up_failures_back_off_doubling_and_reset_once_a_worker_is_ready():
    harness = Harness(target=1)
    harness.supervisor.start()
    harness.supervisor.worker_ready(1)
    harness.supervisor.worker_exited(1, "status 1")  # died serving: replaced at once
    assert list(harness.supervisor.workers) == [2]
    for number, delay in [(2, 0.5), (3, 1.0), (4, 2.0)]:
        harness.supervisor.worker_exited(number, "status 1")  # died at start-up
        assert harness.supervisor.workers == {}
        harness.clock.advance(delay - 0.01)
        assert harness.supervisor.workers == {}
        harness.clock.advance(0.01)
        assert list(harness.supervisor.workers) == [number + 1]
    harness.supervisor.worker_ready(5)
    harness.supervisor.worker_exited(5, "status 1")
    harness.supervisor.worker_exited(6, "status 1")
    harness.clock.advance(0.5)  # back to the first delay
    assert list(harness.supervisor.workers) == [7]
    assert harness.gave_up == []


def test_it_gives_up_when_no_worker_was_ever_ready():
    harness = Harness(target=2, max_boot_failures=3)
    harness.supervisor.start()
    for number in range(1, 5):
        harness.supervisor.worker_exited(number, "status 1")
        harness.clock.advance(60)
    assert len(harness.gave_up) == 1
    assert "3 failed in a row, the last: status 1" in harness.gave_up[0]


def test_backoff_is_capped():
    backoff = BackOff(first_seconds=0.5, max_seconds=30)
    delays = [backoff.failed() for _ in range(10)]
    assert delays[:4] == [0.5, 1.0, 2.0, 4.0]
    assert max(delays) == 30


def test_ttin_adds_a_worker_and_ttou_retires_the_oldest_but_never_the_last():
    harness = Harness(target=2)
    harness.supervisor.start()
    harness.ready_all()
    harness.supervisor.add_worker()
    assert sorted(harness.supervisor.workers) == [1, 2, 3]
    harness.ready_all()
    harness.supervisor.remove_worker()
    assert harness.terminated() == [1]
    assert harness.state(1) is WorkerState.RETIRING
    harness.supervisor.worker_exited(1, "status 0")
    harness.supervisor.remove_worker()
    harness.supervisor.worker_exited(2, "status 0")
    harness.supervisor.remove_worker()  # already one: nothing
    assert harness.supervisor.target == 1
    assert list(harness.supervisor.workers) == [3]
    assert harness.terminated() == [1, 2]


def test_a_rolling_replacement_never_has_fewer_ready_workers_than_wanted():
    harness = Harness(target=3)
    harness.supervisor.start()
    harness.ready_all()
    harness.supervisor.replace_all()
    for new in (4, 5, 6):
        # one new worker at a time, and no old one stopped before it is ready
        starting = [n for n, w in harness.supervisor.workers.items() if w.state.name == "STARTING"]
        assert starting == [new]
        assert harness.ready_count() == 3
        harness.supervisor.worker_ready(new)
        old = new - 3
        assert harness.terminated()[-1] == old
        assert harness.ready_count() == 3
        harness.supervisor.worker_exited(old, "status 0")
    assert sorted(harness.supervisor.workers) == [4, 5, 6]
    assert harness.ready_count() == 3


def test_an_old_worker_that_dies_during_a_replacement_leaves_new_code_to_replace_it():
    harness = Harness(target=2)
    harness.supervisor.start()
    harness.ready_all()
    harness.supervisor.replace_all()
    harness.supervisor.worker_exited(2, "signal SIGKILL")
    assert sorted(harness.supervisor.workers) == [1, 3]  # 3, starting, takes its place
    harness.supervisor.worker_ready(3)
    assert sorted(harness.supervisor.workers) == [1, 3, 4]
    assert harness.supervisor.workers[4].generation == 1
    harness.supervisor.worker_ready(4)
    assert harness.terminated() == [1]


def test_stop_retires_everyone_restarts_nothing_and_fires_when_all_exited():
    harness = Harness(target=2)
    harness.supervisor.start()
    harness.supervisor.worker_ready(1)  # 2 is still starting
    stopped = harness.supervisor.stop()
    assert harness.terminated() == [1, 2]
    harness.supervisor.worker_exited(1, "status 0")
    harness.supervisor.worker_exited(2, "signal SIGTERM")
    harness.clock.advance(60)
    assert stopped.called
    assert harness.supervisor.workers == {}
    assert len(harness.handles) == 2


def test_every_transition_in_the_table_moves_as_written_and_others_raise():
    for (state, event), after in _TRANSITIONS.items():
        assert next_state(state, event) is after
    for state in WorkerState:
        for event in ("ready", "retire"):
            if (state, event) not in _TRANSITIONS:
                with pytest.raises(ValueError):
                    next_state(state, event)


@pytest.mark.parametrize(("text", "count"), [("1", 1), ("4", 4), ("auto", None), ("AUTO", None)])
def test_workers_is_a_count_or_auto(text, count, monkeypatch):
    monkeypatch.setattr("os.cpu_count", lambda: 6)
    assert parse_workers(text) == (count or 6)


@pytest.mark.parametrize("text", ["0", "-1", "two", ""])
def test_workers_refuses_anything_else(text):
    with pytest.raises(usage.UsageError, match="--workers"):
        parse_workers(text)


def test_one_worker_without_reload_is_the_single_process_of_before():
    options = LabWebOptions()
    options.parseOptions([])
    assert options["workers"] == 1 and not supervises(options)
    options = LabWebOptions()
    options.parseOptions(["--reload"])
    assert supervises(options)
    assert options["argv"] == ["--reload"]


def test_workers_need_endpoints_whose_socket_can_be_shared(tmp_path):
    options = LabWebOptions()
    with pytest.raises(usage.UsageError, match="use a tcp:, tcp6: or ssl: endpoint"):
        options.parseOptions(["--workers", "2", "--listen", f"unix:{tmp_path / 's'}"])


def test_a_worker_retired_alone_gets_retire_signal_and_a_stopping_instance_sigterm() -> None:
    """Found by review: a worker replaced on HUP answered the health check with 503."""
    harness = Harness(target=1)
    harness.supervisor.start()
    harness.ready_all()
    harness.supervisor.replace_all()
    harness.ready_all()
    assert harness.handles[1].signals == [RETIRE_SIGNAL]
    harness.supervisor.stop()
    assert harness.handles[2].signals == [signal.SIGTERM]
