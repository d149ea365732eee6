"""The supervisor's decisions: which workers to start, retire and replace, and when.

No processes here: a worker is a handle that can be signalled, and events come in as
method calls (a worker said it is ready, a worker exited, a signal asked for more or
fewer, for new code, or for a stop). ``supervisor_service.py`` turns processes and
signals into those calls, so the rules below are tested with fakes and a ``Clock``.

The rules, applied after every event (``_reconcile``):

1. More workers *ready* than wanted (SIGTTOU, or a new one came up during a rolling
   replacement): retire the surplus with SIGTERM, each stopping gracefully; workers of
   an older generation go first, then the oldest.
2. Fewer workers alive (not retiring) than wanted: start the missing ones, unless a
   back-off is running after start-up failures.
3. Workers of an older generation remain (SIGHUP or ``--reload`` bumped the
   generation) and none is starting: start one more. When it is ready, rule 1 retires
   an old one. So a rolling replacement never serves with fewer ready workers than
   wanted, and never refuses a connection: the listening sockets stay open throughout.

A worker that exits before it is ready failed at start-up: the next start waits
0.5 s, doubling up to 30 s, and the back-off resets when a worker becomes ready. If no
worker has ever become ready after ``max_boot_failures`` such failures in a row, the
supervisor gives up (the app cannot start; waiting longer will not help).
"""

from __future__ import annotations

import enum
import signal
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IDelayedCall, IReactorTime
from twisted.logger import Logger

log = Logger()

FIRST_BACKOFF_SECONDS = 0.5
MAX_BACKOFF_SECONDS = 30.0
MAX_BOOT_FAILURES = 5


RETIRE_SIGNAL = signal.SIGUSR2  # one worker goes; the instance stays


class WorkerState(enum.Enum):
    STARTING = enum.auto()  # spawned; its readiness message has not come yet
    READY = enum.auto()  # accepting on the shared sockets
    RETIRING = enum.auto()  # sent SIGTERM: finishing its requests, accepting no more


# (state, event) -> next state. An exit removes the worker from any state; a pair not
# here is a bug in the caller and raises.
_TRANSITIONS: dict[tuple[WorkerState, str], WorkerState] = {
    (WorkerState.STARTING, "ready"): WorkerState.READY,
    (WorkerState.STARTING, "retire"): WorkerState.RETIRING,
    (WorkerState.READY, "retire"): WorkerState.RETIRING,
    (WorkerState.RETIRING, "ready"): WorkerState.RETIRING,  # it came up as we stopped it
}


def next_state(state: WorkerState, event: str) -> WorkerState:
    """The state after ``event``.

    Raises:
        ValueError: ``event`` cannot happen in ``state``.
    """
    try:
        return _TRANSITIONS[(state, event)]
    except KeyError:
        raise ValueError(f"a {state.name} worker cannot {event!r}") from None


class WorkerHandle(Protocol):
    """A running worker process as the supervisor sees it."""

    @property
    def pid(self) -> int: ...

    def signal(self, signum: int) -> None:
        """Send ``signum``; nothing happens if the process is already gone."""


@dataclass
class Worker:
    number: int  # 1, 2, 3, ... in the order started; never reused
    generation: int  # the code generation it was started for
    handle: WorkerHandle
    state: WorkerState = WorkerState.STARTING

    @property
    def name(self) -> str:
        return f"worker {self.number} (pid {self.handle.pid})"


class BackOff:
    """Delays before starting a worker again after start-up failures in a row."""

    def __init__(
        self, first_seconds: float = FIRST_BACKOFF_SECONDS, max_seconds: float = MAX_BACKOFF_SECONDS
    ) -> None:
        self.first_seconds = first_seconds
        self.max_seconds = max_seconds
        self.failures = 0

    def failed(self) -> float:
        """Count one failure; return how long to wait before the next start."""
        self.failures += 1
        return float(min(self.max_seconds, self.first_seconds * 2 ** (self.failures - 1)))

    def succeeded(self) -> None:
        self.failures = 0


class Supervisor:
    """Keep ``target`` workers ready; replace, add, retire and stop them.

    ``spawn(number)`` starts worker ``number`` and returns its handle. ``give_up`` is
    called with a reason once workers keep failing before any was ever ready.
    """

    def __init__(
        self,
        *,
        spawn: Callable[[int], WorkerHandle],
        target: int,
        clock: IReactorTime,
        give_up: Callable[[str], None],
        max_boot_failures: int = MAX_BOOT_FAILURES,
        backoff: BackOff | None = None,
    ) -> None:
        if target < 1:
            raise ValueError(f"need at least one worker, got {target}")
        self.target = target
        self.workers: dict[int, Worker] = {}
        self.generation = 0
        self._spawn = spawn
        self._clock = clock
        self._give_up = give_up
        self._max_boot_failures = max_boot_failures
        self._backoff = backoff or BackOff()
        self._numbers = 0
        self._ever_ready = False
        self._not_before = 0.0
        self._retry: IDelayedCall | None = None
        self.stopping = False
        self._given_up = False
        self._stop_waiters: list[Deferred[None]] = []

    def pids(self) -> list[int]:
        return [worker.handle.pid for worker in self.workers.values()]

    def start(self) -> None:
        self._reconcile()

    # ------------------------------------------------------------ events

    def worker_ready(self, number: int) -> None:
        worker = self.workers.get(number)
        if worker is None:
            return
        worker.state = next_state(worker.state, "ready")
        self._ever_ready = True
        self._backoff.succeeded()
        log.info("{worker} ready", worker=worker.name)
        self._reconcile()

    def worker_exited(self, number: int, how: str) -> None:
        """``how`` says how it ended, for the log: ``status 1``, ``signal SIGKILL``."""
        worker = self.workers.pop(number, None)
        if worker is None:
            return
        if worker.state is WorkerState.RETIRING:
            log.info("{worker} stopped ({how})", worker=worker.name, how=how)
        elif worker.state is WorkerState.STARTING:
            self._boot_failed(worker, how)
        else:
            log.warn("{worker} died ({how}); starting another", worker=worker.name, how=how)
        self._reconcile()
        self._fire_if_stopped()

    def add_worker(self) -> None:
        """SIGTTIN: one more worker."""
        self.target += 1
        log.info("SIGTTIN: {n} workers wanted", n=self.target)
        self._reconcile()

    def remove_worker(self) -> None:
        """SIGTTOU: one fewer, never below one."""
        if self.target == 1:
            log.info("SIGTTOU: already down to one worker")
            return
        self.target -= 1
        log.info("SIGTTOU: {n} workers wanted", n=self.target)
        self._reconcile()

    def replace_all(self) -> None:
        """SIGHUP or a reload: replace every worker, one at a time, with new code."""
        self.generation += 1
        self._backoff.succeeded()
        self._not_before = 0.0
        self._reconcile()

    def stop(self) -> Deferred[None]:
        """Retire every worker; the Deferred fires once the last has exited."""
        waiter: Deferred[None] = Deferred()
        self._stop_waiters.append(waiter)
        if not self.stopping:
            self.stopping = True
            if self._retry is not None and self._retry.active():
                self._retry.cancel()
            for worker in list(self.workers.values()):
                if worker.state is not WorkerState.RETIRING:
                    self._retire(worker)
        self._fire_if_stopped()
        return waiter

    def signal_all(self, signum: int) -> None:
        for worker in self.workers.values():
            worker.handle.signal(signum)

    # ------------------------------------------------------------ rules

    def _fire_if_stopped(self) -> None:
        if self.stopping and not self.workers:
            waiters, self._stop_waiters = self._stop_waiters, []
            for waiter in waiters:
                waiter.callback(None)

    def _boot_failed(self, worker: Worker, how: str) -> None:
        if self.stopping or self._given_up:
            return
        delay = self._backoff.failed()
        self._not_before = self._clock.seconds() + delay
        failures = self._backoff.failures
        if not self._ever_ready and failures >= self._max_boot_failures:
            self._given_up = True
            self._give_up(f"no worker could start ({failures} failed in a row, the last: {how})")
            return
        log.error(
            "{worker} failed at start-up ({how}); next start in {s:g}s",
            worker=worker.name,
            how=how,
            s=delay,
        )

    def _reconcile(self) -> None:
        if self.stopping or self._given_up:
            return
        ready = [w for w in self.workers.values() if w.state is WorkerState.READY]
        surplus = len(ready) - self.target
        if surplus > 0:
            ready.sort(key=lambda w: (w.generation == self.generation, w.number))
            for worker in ready[:surplus]:
                self._retire(worker)
        alive = [w for w in self.workers.values() if w.state is not WorkerState.RETIRING]
        missing = self.target - len(alive)
        old = any(w.generation < self.generation for w in alive)
        starting = any(w.state is WorkerState.STARTING for w in alive)
        if missing <= 0 and old and not starting:
            missing = 1  # rolling replacement: one extra, then an old one retires
        if missing > 0:
            self._start(missing)

    def _start(self, count: int) -> None:
        wait = self._not_before - self._clock.seconds()
        if wait > 0:
            if self._retry is None or not self._retry.active():
                self._retry = self._clock.callLater(wait, self._reconcile)
            return
        for _ in range(count):
            self._numbers += 1
            handle = self._spawn(self._numbers)
            self.workers[self._numbers] = Worker(self._numbers, self.generation, handle)

    def _retire(self, worker: Worker) -> None:
        """Ask ``worker`` to finish its requests and exit.

        SIGTERM when the whole instance stops; SIGUSR2 when only this worker goes (a
        HUP, a TTOU, a reload): the instance stays up, so the worker must not answer
        the health check with 503 nor serve out a drain delay, as a stopping instance
        does.
        """
        worker.state = next_state(worker.state, "retire")
        worker.handle.signal(signal.SIGTERM if self.stopping else RETIRE_SIGNAL)
