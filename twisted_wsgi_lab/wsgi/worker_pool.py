"""The bridge's own thread pool: N long-lived threads fed by one ``SimpleQueue``.

Twisted's ``ThreadPool`` hands each call through its ``Team`` (a coordinator behind a
lock, a per-worker ``queue.Queue``, a closure and a log context per call): about an
eighth of the reactor thread's time on a hello-world load in thread mode. The bridge
needs none of it, since its threads never grow, shrink or report results, so this
pool is a queue and a loop. It keeps the part of ``ThreadPool``'s interface that
labweb uses (``start``, ``stop``, ``started``, ``callInThread``, ``max``, ``working``),
so the bridge, ``PoolWaitWatch`` and ``HTTPService`` take either pool.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from queue import SimpleQueue
from typing import Any

from twisted.logger import Logger

log = Logger()

_Job = tuple[Callable[..., object], tuple[Any, ...]] | None  # None: a thread's signal to end


class WorkerPool:
    """``threads`` daemon threads that run the calls queued with ``callInThread``.

    Calls run in the order queued. Calls queued before ``start()`` wait for it;
    ``stop()`` lets every call already queued run, then ends and joins the threads;
    calls queued after ``stop()`` are dropped, as ``ThreadPool`` drops them. The
    threads are daemons: one stuck in application code cannot keep the process alive.
    """

    def __init__(self, threads: int, *, name: str = "labweb-wsgi") -> None:
        if threads < 1:
            raise ValueError(f"a WorkerPool needs at least one thread, not {threads}")
        self.min = self.max = threads
        self.name = name
        self.started = False
        self.joined = False
        self._queue: SimpleQueue[_Job] = SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._busy: set[int] = set()  # idents of the threads running a call now

    @property
    def working(self) -> list[int]:
        """One entry per thread running a call now (``len()`` is what callers use)."""
        return list(self._busy)

    def callInThread(self, function: Callable[..., object], *args: Any) -> None:
        """Queue ``function(*args)`` for the next free thread (any thread may call)."""
        if not self.joined:
            self._queue.put((function, args))

    def start(self) -> None:
        """Start the threads (once)."""
        if self.started or self.joined:
            return
        self.started = True
        for number in range(self.max):
            thread = threading.Thread(target=self._work, name=f"{self.name}-{number}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        """Run what is queued, then end and join every thread.

        Never call it from the reactor thread while a call may wait for the reactor:
        ``HTTPService`` joins from a thread of its own (Twisted issue 10124).
        """
        if self.joined:
            return
        self.joined = True
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join()
        self._threads = []

    def _work(self) -> None:
        get, busy = self._queue.get, self._busy
        me = threading.get_ident()
        while (job := get()) is not None:
            function, args = job
            busy.add(me)
            try:
                function(*args)
            except BaseException:
                log.failure("call in a {pool} thread failed", pool=self.name)
            finally:
                busy.discard(me)
            del job, function, args  # hold nothing of a finished call while idle
