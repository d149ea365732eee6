"""The supervisor process of ``--workers N`` and ``--reload``: sockets, processes, signals.

It binds every ``--listen`` endpoint once, exactly as a single labweb would, then stops
reading those sockets itself: each worker inherits them (``childFDs`` of
``reactor.spawnProcess``) and adopts them (``worker.py``). All workers accept on the
same sockets, so one that stops accepting (retired, replaced, killed) leaves no
connection behind: a connection waiting in the backlog is taken by another worker.

Signals, as gunicorn's arbiter takes them:

- SIGTERM, SIGINT: close the supervisor's copy of the sockets, send SIGTERM to every
  worker (each does its own graceful stop, within ``--shutdown-timeout``), exit 0 once
  all are gone. A second one forwards the signal (a worker's second signal stops it at
  once), waits briefly, and exits with 128 + the signal number.
- SIGHUP: check that the app still imports (in a subprocess), then replace the workers
  one at a time: a new one starts, and an old one is retired once the new one is ready.
- SIGTTIN, SIGTTOU: one worker more, one fewer.

The decisions themselves (what to start or retire, back-off) are in ``supervisor.py``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import Any, NoReturn

from twisted.application.service import Service
from twisted.internet.defer import Deferred
from twisted.internet.endpoints import serverFromString
from twisted.internet.error import ProcessExitedAlready, ProcessTerminated
from twisted.internet.interfaces import IDelayedCall
from twisted.internet.protocol import Factory, ProcessProtocol
from twisted.internet.utils import getProcessOutputAndValue
from twisted.logger import Logger
from twisted.python.failure import Failure

from .http_service import _clean_exit, describe_address
from .reloader import make_watcher
from .stop_signals import STOP_SIGNALS, plural
from .supervisor import Supervisor
from .tls import is_tls
from .worker import FIRST_LISTEN_FD, READY_FD, READY_MESSAGE, SUPERVISOR_FD, worker_command

log = Logger()

CHECK_TIMEOUT_SECONDS = 60.0
KILL_GRACE_SECONDS = 5.0  # past --shutdown-timeout, a worker still there is killed
FORCED_WAIT_SECONDS = 3.0  # after a second signal, how long workers get to exit
GIVE_UP_STATUS = 3  # as gunicorn's "worker failed to boot"


def supervisor_service(options: Any) -> SupervisorService:
    """Check the app imports, then build the supervisor (nothing is bound yet).

    Raises:
        SystemExit: the app cannot be imported; the message is the worker's own.
    """
    if options["app"]:
        try:
            result = subprocess.run(
                worker_command(options["argv"], check=True),
                env=child_environment(options),
                capture_output=True,
                text=True,
                timeout=CHECK_TIMEOUT_SECONDS,
            )
        except subprocess.TimeoutExpired:
            raise SystemExit(
                f"labweb: error: --app {options['app']!r} did not finish importing within"
                f" {CHECK_TIMEOUT_SECONDS:.0f} s"
            ) from None
        if result.returncode != 0:
            message = result.stderr.strip() or f"--app {options['app']!r} cannot be loaded"
            raise SystemExit(message)
    return SupervisorService(options)


def child_environment(options: Any) -> dict[str, str]:
    """The workers' environment: ours; with ``--reload``, no ``.pyc`` written.

    A ``.pyc`` is trusted when the source has the same size and modification second,
    so an edit within the second of the last import could load the old code.
    """
    environment = dict(os.environ)
    if options["reload"]:
        environment["PYTHONDONTWRITEBYTECODE"] = "1"
    return environment


def describe_exit(reason: Failure) -> str:
    """``status 0``, ``status 1``, ``signal SIGKILL``: how a worker ended."""
    value = reason.value
    if isinstance(value, ProcessTerminated) and value.signal is not None:
        return f"signal {signal.Signals(value.signal).name}"
    return f"status {getattr(value, 'exitCode', None) or 0}"


class ProcessHandle:
    """A spawned worker, as ``Supervisor`` wants it: a pid that can be signalled."""

    def __init__(self, transport: Any) -> None:
        self._transport = transport
        self.pid: int = transport.pid

    def signal(self, signum: int) -> None:
        with contextlib.suppress(ProcessExitedAlready):
            self._transport.signalProcess(signum)


class WorkerProtocol(ProcessProtocol):
    """Tell the supervisor when worker ``number`` says ready, and when it exits."""

    def __init__(self, number: int, supervisor: Supervisor) -> None:
        self.number = number
        self.supervisor = supervisor
        self._said = b""
        self._ready = False

    def childDataReceived(self, child_fd: int, data: bytes) -> None:
        if child_fd != READY_FD or self._ready:
            return
        self._said += data
        if READY_MESSAGE in self._said:
            self._ready = True
            self.supervisor.worker_ready(self.number)

    def processEnded(self, reason: Failure) -> None:
        self.supervisor.worker_exited(self.number, describe_exit(reason))


class SharedSocket(Factory):
    """The factory a supervisor binds with: it never accepts, so it never builds."""

    noisy = False


class SupervisorService(Service):
    """Bind once, run the workers, and turn signals into ``Supervisor`` calls."""

    def __init__(self, options: Any) -> None:
        from twisted.internet import reactor

        self.options = options
        self.reactor: Any = reactor
        self.sockets: list[Any] = []  # the bound ports, no longer read by this process
        self.exit_status = 0
        self.supervisor = Supervisor(
            spawn=self._spawn, target=options["workers"], clock=reactor, give_up=self._give_up
        )
        self._null = -1
        self._previous: dict[int, Any] = {}
        self._signalled = False
        self._watcher: Any = None
        self._checking = False
        self._check_again: str | None = None
        self._kill_timer: IDelayedCall | None = None

    # ------------------------------------------------------------ start

    def privilegedStartService(self) -> None:
        """Bind every endpoint now, as ``HTTPService`` does: a port in use fails here.

        Raises:
            SystemExit: an endpoint cannot listen; the message names it.
        """
        for description in self.options["listen"]:
            results: list[Any] = []
            endpoint = serverFromString(self.reactor, description)
            endpoint.listen(SharedSocket()).addBoth(results.append)
            if not results or isinstance(results[0], Failure):
                self._close_sockets()
                reason = results[0].getErrorMessage() if results else "did not bind at once"
                raise SystemExit(f"labweb: cannot listen on {description!r}: {reason}")
            port = results[0]
            port.stopReading()  # the workers accept; this process only holds the socket
            self.sockets.append(port)
            log.info(
                "labweb serving {app} on {where} with {workers}{reload}",
                app=self.options["app"] or "the built-in page",
                where=describe_address(port.getHost(), description, tls=is_tls(endpoint)),
                workers=plural(self.options["workers"], "worker"),
                reload=", reloading on changes" if self.options["reload"] else "",
            )
        super().privilegedStartService()

    def startService(self) -> None:
        if not self.sockets:
            self.privilegedStartService()
        super().startService()
        self._null = os.open(os.devnull, os.O_RDONLY)
        self.reactor.addSystemEventTrigger("after", "shutdown", self._exit_with_status)
        self.reactor.callWhenRunning(self._when_running)

    def _when_running(self) -> None:
        if not self.running:
            return
        self._install_signals()
        self.supervisor.start()
        if self.options["reload"]:
            self._watcher = make_watcher(self.options["app-dir"], self._files_changed, self.reactor)
            self._watcher.start()

    def _spawn(self, number: int) -> ProcessHandle:
        child_fds: dict[int, Any] = {0: self._null, 1: 1, 2: 2, READY_FD: "r", SUPERVISOR_FD: "w"}
        for index, port in enumerate(self.sockets):
            child_fds[FIRST_LISTEN_FD + index] = port.fileno()
        command = worker_command(self.options["argv"], number=number, listen_fds=len(self.sockets))
        transport = self.reactor.spawnProcess(
            WorkerProtocol(number, self.supervisor),
            command[0],
            command,
            env=child_environment(self.options),
            childFDs=child_fds,
        )
        return ProcessHandle(transport)

    # ------------------------------------------------------------ stop

    def stopService(self) -> Deferred[None]:
        """Stop accepting, retire every worker, wait for them (killing the stuck)."""
        super().stopService()
        if self._watcher is not None:
            self._watcher.stop()
        self._close_sockets()
        # Workers first serve out --drain-delay, then get --shutdown-timeout to finish.
        timeout = self.options["limits"].shutdown_timeout_seconds + self.options["drain-delay"]
        count = len(self.supervisor.workers)
        if count:
            log.info(
                "graceful stop: stopping {workers} (up to {s:g}s); "
                "send the signal again to stop now",
                workers=plural(count, "worker"),
                s=timeout,
            )
        self._kill_timer = self.reactor.callLater(timeout + KILL_GRACE_SECONDS, self._kill_stuck)
        stopped = self.supervisor.stop()
        stopped.addCallback(self._stopped)
        return stopped

    def _stopped(self, _: object) -> None:
        if self._kill_timer is not None and self._kill_timer.active():
            self._kill_timer.cancel()
        if self.exit_status == 0:
            _clean_exit(None)

    def _kill_stuck(self) -> None:
        log.warn("workers still running past the shutdown timeout: killing them")
        self.supervisor.signal_all(signal.SIGKILL)

    def _close_sockets(self) -> None:
        """Close this process's copy only: ``shutdown()`` would end accepting everywhere."""
        sockets, self.sockets = self.sockets, []
        for port in sockets:
            port.socket.close()

    def _give_up(self, reason: str) -> None:
        log.error("labweb: {reason}; giving up", reason=reason)
        self.exit_status = GIVE_UP_STATUS
        self.reactor.callLater(0, self.reactor.stop)

    def _exit_with_status(self) -> None:
        if self.exit_status:
            _flush_and_exit(self.exit_status)

    # ------------------------------------------------------------ signals

    def _install_signals(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        for signum in STOP_SIGNALS:
            self._previous[signum] = signal.getsignal(signum)
            signal.signal(signum, self._stop_signal)
        actions = {
            signal.SIGHUP: lambda: self.reload("SIGHUP"),
            signal.SIGTTIN: self.supervisor.add_worker,
            signal.SIGTTOU: self.supervisor.remove_worker,
        }
        for signum, action in actions.items():
            signal.signal(signum, self._later(action))

    def _later(self, action: Callable[[], None]) -> Callable[[int, FrameType | None], None]:
        """A signal handler that runs ``action`` in the reactor, not inside the handler."""

        def handle(signum: int, frame: FrameType | None) -> None:
            self.reactor.callFromThread(action)

        return handle

    def _stop_signal(self, signum: int, frame: FrameType | None) -> None:
        if self._signalled or not self.running:
            self._force(signum)
        self._signalled = True
        previous = self._previous.get(signum)
        if callable(previous) and previous is not signal.default_int_handler:
            previous(signum, frame)
        else:
            self.reactor.callFromThread(self.reactor.stop)

    def _force(self, signum: int) -> NoReturn:
        """Second signal: pass it on (each worker then stops at once), then exit.

        It is passed on again every half second: a worker that got the supervisor's
        first SIGTERM an instant before may not have run its handler yet, and the
        kernel merges two pending signals of one kind into one. A worker still there
        after a few seconds is killed, and every worker is reaped before the exit.
        """
        name = signal.Signals(signum).name
        pids = self.supervisor.pids()
        workers = plural(len(pids), "worker")
        log.warn("second {name}: stopping {workers} now", name=name, workers=workers)
        deadline = time.monotonic() + FORCED_WAIT_SECONDS
        while pids and time.monotonic() < deadline:
            _send(pids, signum)
            pause = time.monotonic() + 0.5
            while pids and time.monotonic() < pause:
                time.sleep(0.02)
                pids = [pid for pid in pids if not _reaped(pid)]
        _send(pids, signal.SIGKILL)
        while pids and time.monotonic() < deadline + 1:
            time.sleep(0.02)
            pids = [pid for pid in pids if not _reaped(pid)]
        _flush_and_exit(128 + signum)

    # ------------------------------------------------------------ reload

    def _files_changed(self, paths: list[str]) -> None:
        names = ", ".join(os.path.relpath(path, self.options["app-dir"]) for path in paths[:3])
        more = f" and {len(paths) - 3} more" if len(paths) > 3 else ""
        self.reload(f"{names}{more} changed")

    def reload(self, why: str) -> None:
        """Check the new code imports in a subprocess; if so, replace every worker."""
        if self.supervisor.stopping:
            return
        if self._checking:
            self._check_again = why
            return
        self._checking = True
        command = worker_command(self.options["argv"], check=True)
        checked: Deferred[tuple[bytes, bytes, int]] = getProcessOutputAndValue(
            command[0], command[1:], env=child_environment(self.options), reactor=self.reactor
        )
        # A new version that hangs while importing must not block every later reload.
        checked.addTimeout(CHECK_TIMEOUT_SECONDS, self.reactor)
        checked.addCallbacks(
            lambda result: self._checked(result, why),
            lambda failure: self._check_killed(failure, why),
        )
        checked.addErrback(lambda failure: log.failure("reload check failed", failure))
        checked.addBoth(self._check_done)

    def _checked(self, result: tuple[bytes, bytes, int], why: str) -> None:
        _, errors, status = result
        if self.supervisor.stopping:
            return
        if status != 0:
            message = errors.decode(errors="replace").strip() or f"status {status}"
            log.error(
                "{why}: not reloading, the new code does not load; still serving the "
                "previous code: {message}",
                why=why,
                message=message,
            )
            return
        log.info(
            "{why}: replacing {workers} one at a time",
            why=why,
            workers=plural(len(self.supervisor.workers), "worker"),
        )
        self.supervisor.replace_all()

    def _check_killed(self, failure: Failure, why: str) -> None:
        """The check ended by a signal: Twisted fails with (out, err, signal number)."""
        value = failure.value
        if not isinstance(value, tuple):
            failure.raiseException()
        self._checked((value[0], value[1], 128 + value[2]), why)

    def _check_done(self, _: object) -> None:
        self._checking = False
        again, self._check_again = self._check_again, None
        if again is not None:
            self.reload(again)


def _send(pids: list[int], signum: int) -> None:
    for pid in pids:
        with contextlib.suppress(OSError):
            os.kill(pid, signum)


def _reaped(pid: int) -> bool:
    """Whether child ``pid`` has exited (reaping it), or was reaped already."""
    try:
        return os.waitpid(pid, os.WNOHANG)[0] == pid
    except ChildProcessError:
        return True


def _flush_and_exit(status: int) -> NoReturn:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(status)
