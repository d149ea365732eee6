"""What ``--lab`` and ``--har`` add to a server: one recorder, the dashboard, the file.

Nothing of the lab is built or registered without them, so a plain server keeps the
plain protocol. The dashboard is composed in front of the application's handler and
inside the proxy-header handler, so its locality check sees the client a trusted
proxy reported.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Callable
from typing import Any

from twisted.logger import Logger

from ..engine import IRequestHandler
from ..lab import ExchangeRecorder, LabMount, dashboard_app, write_har

log = Logger()


def lab_recorder(options: Any) -> ExchangeRecorder | None:
    """The recorder ``--lab`` or ``--har`` need; None when neither was given."""
    if not options["lab"] and not options["har"]:
        return None
    return ExchangeRecorder(max_exchanges=options["lab-last"])


def with_dashboard(
    handler: IRequestHandler,
    recorder: ExchangeRecorder | None,
    options: Any,
    pool_status: Callable[[], dict[str, int] | None] | None = None,
) -> IRequestHandler:
    """``handler`` with ``/_lab`` in front of it when ``--lab`` asks for it."""
    if recorder is None or not options["lab"]:
        return handler
    who = "any client (--lab-remote)" if options["lab-remote"] else "clients on this machine"
    log.info("--lab: the dashboard is at /_lab, for {who}", who=who)
    dashboard = dashboard_app(recorder, pool_status=pool_status)
    return LabMount(dashboard, handler, allow_remote=options["lab-remote"])


def save_har(recorder: ExchangeRecorder, path: str) -> None:
    """Write the HAR file now; a failure is logged, never raised into the reactor."""
    try:
        write_har(recorder.exchanges, path)
    except OSError as error:
        log.error("--har {path!r}: {error}", path=path, error=error.strerror or error)
        return
    log.info("--har: wrote {n} exchanges to {path}", n=len(recorder.exchanges), path=path)


def install_har(recorder: ExchangeRecorder, path: str) -> None:
    """Write ``path`` once the server has stopped, and whenever SIGUSR1 comes.

    The signal is taken when the reactor starts, after twistd has set up its logging:
    twistd only takes SIGUSR1 (to reopen ``--logfile``) when nobody has it yet, so it
    keeps its own and this handler calls it after writing the file.
    """
    from twisted.internet import reactor

    reactor.addSystemEventTrigger("after", "shutdown", save_har, recorder, path)
    reactor.callWhenRunning(_take_sigusr1, recorder, path)


def _take_sigusr1(recorder: ExchangeRecorder, path: str) -> None:
    from twisted.internet import reactor

    before = signal.getsignal(signal.SIGUSR1)

    def on_signal(signum: int, frame: Any) -> None:
        reactor.callFromThread(save_har, recorder, path)  # type: ignore[attr-defined]
        if callable(before):
            before(signum, frame)

    with contextlib.suppress(ValueError):  # not the main thread (a test): at stop only
        signal.signal(signal.SIGUSR1, on_signal)
