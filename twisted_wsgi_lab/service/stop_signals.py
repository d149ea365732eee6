"""SIGTERM and Ctrl-C: the first stops gracefully, a second one stops now.

The reactor's own handlers (``_SignalReactorMixin.sigTerm``/``sigInt``) call
``reactor.stop``; a second signal during the graceful stop would call it again and log a
``ReactorNotRunning`` traceback while the stop goes on waiting. These handlers wrap the
reactor's, so they work the same under ``labweb`` and ``twistd -n labweb``: the first
signal says what the stop waits for and is passed on; a second one (or any signal once
the service is already stopping) ends the process at once, as gunicorn does.

The forced exit status is 128 + the signal number (130 for Ctrl-C, 143 for SIGTERM):
what a shell reports for a process killed by that signal, so supervisors read it as
"stopped by a signal, not cleanly". ``os._exit`` skips the drain and every shutdown
trigger on purpose; requests still in flight are cut.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any, NoReturn

from twisted.logger import Logger

log = Logger()

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def plural(count: int, noun: str) -> str:
    """``1 request``, ``2 requests``."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


class StopSignals:
    """Wrap the handlers already installed for SIGTERM and SIGINT.

    ``in_flight`` counts the requests a graceful stop waits for; ``stopping`` says
    whether the service is already stopping for another reason.
    """

    def __init__(
        self,
        *,
        in_flight: Callable[[], int],
        stopping: Callable[[], bool],
        timeout_seconds: float,
        exit_now: Callable[[int], NoReturn] = os._exit,
    ) -> None:
        self._in_flight = in_flight
        self._stopping = stopping
        self._timeout_seconds = timeout_seconds
        self._exit_now = exit_now
        self._previous: dict[int, Callable[[int, FrameType | None], Any]] = {}
        self._signalled = False

    def install(self) -> None:
        """Wrap the current Python handlers; call after the reactor installed its own.

        A signal with no Python handler (ignored, default, or Python's own
        ``KeyboardInterrupt``) is left alone: nothing of labweb's would run for it
        anyway. Only the main thread may set handlers; elsewhere this does nothing.
        """
        if threading.current_thread() is not threading.main_thread():
            return
        for signum in STOP_SIGNALS:
            current = signal.getsignal(signum)
            if callable(current) and current is not signal.default_int_handler:
                self._previous[signum] = current
                signal.signal(signum, self.handle)

    def handle(self, signum: int, frame: FrameType | None) -> None:
        """Pass the first signal on; exit at once on the next one."""
        name = signal.Signals(signum).name
        if self._signalled or self._stopping():
            self._force(name, 128 + signum)
        self._signalled = True
        count = self._in_flight()
        if count:
            log.info(
                "graceful stop: waiting for {requests} (up to {s:g}s); "
                "send the signal again to stop now",
                requests=plural(count, "request"),
                s=self._timeout_seconds,
            )
        self._previous[signum](signum, frame)

    def _force(self, name: str, status: int) -> NoReturn:
        log.warn(
            "second {name}: stopping now, {requests} cut",
            name=name,
            requests=plural(self._in_flight(), "request"),
        )
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        self._exit_now(status)
