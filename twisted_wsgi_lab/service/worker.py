"""A worker process: serve on the listening sockets a supervisor opened; say when ready.

The supervisor runs ``python -m twisted_wsgi_lab.service.worker --number N --listen-fds
5,6 -- <the labweb arguments>``. The worker parses the same options as the supervisor
did, builds the same service (``tap.makeService``: the same app, mode, limits, access
log and watchdog), but instead of binding it adopts the sockets it inherited:

- fd 3: written by the worker, read by the supervisor. ``ready`` once the reactor runs
  and the stop signals are in place: from then on SIGTERM is a graceful stop.
- fd 4: written by nobody. When the supervisor dies, even by SIGKILL, the worker reads
  end-of-file here and stops gracefully instead of serving on as an orphan.
- fd 5 onwards: the listening sockets, in ``--listen`` order.

The worker leaves the supervisor's process group, so Ctrl-C in a terminal reaches the
supervisor alone, which stops the workers gracefully (else each would get the SIGINT
and then the supervisor's SIGTERM: two signals, a forced stop).

With ``--check``, the worker only imports the app and exits: 0, or 1 with the error on
stderr. The supervisor runs that before its first workers, and before SIGHUP or
``--reload`` replaces them, so broken code is one clear error and never replaces
working code.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import sys
import threading
from typing import Any

from twisted.internet import tcp

READY_FD = 3
SUPERVISOR_FD = 4
FIRST_LISTEN_FD = 5
READY_MESSAGE = b"ready\n"


def worker_command(
    labweb_argv: list[str], *, number: int = 0, listen_fds: int = 0, check: bool = False
) -> list[str]:
    """argv that starts worker ``number`` on ``listen_fds`` sockets (or checks the app)."""
    command = [sys.executable, "-m", "twisted_wsgi_lab.service.worker"]
    if check:
        command.append("--check")
    else:
        fds = range(FIRST_LISTEN_FD, FIRST_LISTEN_FD + listen_fds)
        command += ["--number", str(number), "--listen-fds", ",".join(map(str, fds))]
    return [*command, "--", *labweb_argv]


def main(argv: list[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else argv
    split = arguments.index("--") if "--" in arguments else len(arguments)
    parser = argparse.ArgumentParser(prog="labweb-worker")
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--number", type=int, default=0)
    parser.add_argument("--listen-fds", default="")
    own = parser.parse_args(arguments[:split])

    from twisted.python import usage

    from .options import LabWebOptions

    options = LabWebOptions()
    try:
        options.parseOptions(arguments[split + 1 :])
    except usage.UsageError as error:
        print(f"labweb: error: {error}", file=sys.stderr)
        return 2
    if own.check:
        return check_app(options)
    fds = [int(fd) for fd in own.listen_fds.split(",") if fd]
    return serve(options, own.number, fds)


def check_app(options: Any) -> int:
    """Import the app as a worker would; 1 and the reason on stderr if that fails."""
    from .app_loader import AppLoadError, load_app

    if not options["app"]:
        return 0
    try:
        load_app(options["app"], options["app-dir"])
    except AppLoadError as error:
        print(f"labweb: error: {error}", file=sys.stderr, flush=True)
        return 1
    return 0


def serve(options: Any, number: int, fds: list[int]) -> int:
    """Serve until the supervisor asks for a stop (SIGTERM) or goes away."""
    from twisted.internet import reactor
    from twisted.logger import FileLogObserver, formatEventAsClassicLogText, globalLogBeginner

    from .http_service import HTTPService
    from .logging_setup import filtered, json_line
    from .supervisor import RETIRE_SIGNAL
    from .tap import makeService

    os.setpgid(0, 0)
    prefix = f"[worker {number}] "

    def formatted(event: Any) -> str | None:
        if options["log-format"] == "json":
            return json_line({**event, "worker": number})
        text = formatEventAsClassicLogText(event)
        return None if text is None else prefix + text

    # The same format and level as the supervisor's own log (--log-format, --log-level).
    observer = filtered(FileLogObserver(sys.stderr, formatted), options["log-level"])
    globalLogBeginner.beginLoggingTo([observer], redirectStandardIO=False)
    options["workers"], options["reload"], options["multiprocess"] = 1, False, True
    service = makeService(options)
    if not isinstance(service, HTTPService):
        raise TypeError(f"a worker serves an HTTPService, not {service!r}")
    service.ports = [
        adopt(reactor, fd, description, service.factory)
        for fd, description in zip(fds, options["listen"], strict=True)
    ]
    service.startService()
    reactor.addSystemEventTrigger("before", "shutdown", service.stopService)

    def retire(signum: int, frame: Any) -> None:
        """Only this worker goes (the supervisor's RETIRE_SIGNAL): no 503, no drain."""
        service.health = None
        service.drain_delay_seconds = 0.0
        reactor.callFromThread(reactor.stop)  # type: ignore[attr-defined]

    signal.signal(RETIRE_SIGNAL, retire)
    _watch_supervisor(reactor)
    reactor.callWhenRunning(os.write, READY_FD, READY_MESSAGE)
    reactor.run()
    return 0


def adopt(reactor: Any, fd: int, description: str, factory: Any) -> Any:
    """Accept on inherited socket ``fd`` with ``factory`` (under TLS for ``ssl:``).

    Twisted duplicates the descriptor, so the inherited one is closed afterwards. An
    adopted TCP port is closed without ``shutdown()`` when it stops listening, which
    would otherwise end accepting for every process sharing the socket.
    """
    from twisted.internet.endpoints import serverFromString

    from .tls import is_tls, never_fail_alpn

    probe = socket.socket(fileno=fd)
    family = probe.family
    probe.detach()
    endpoint = serverFromString(reactor, description)
    if is_tls(endpoint):
        from twisted.protocols.tls import TLSMemoryBIOFactory

        never_fail_alpn(endpoint, factory.acceptableProtocols())
        factory = TLSMemoryBIOFactory(endpoint._sslContextFactory, False, factory)
    # What reactor.adoptStreamPort does for TCP, with the subclass.
    port = SharedPort._fromListeningDescriptor(reactor, fd, family, factory)
    port.startListening()
    os.close(fd)
    return port


class SharedPort(tcp.Port):
    """A TCP port that accepts one connection per wake-up, so workers share them out.

    Every worker waiting on a shared socket is woken for a new connection. Twisted's
    port accepts up to a hundred in a loop when it wakes, so the first worker awake
    takes a whole burst: of the sixteen keep-alive connections wrk opens, the other
    worker got none (measured), and two workers served as fast as one. Taking one and
    going back to the reactor lets the others take theirs, and a busy worker, not back
    in its reactor yet, leaves new connections to the idle ones.
    """

    def doRead(self) -> None:
        self.numberAccepts = 1
        super().doRead()


def _watch_supervisor(reactor: Any) -> None:
    """Stop gracefully once fd 4 reads end-of-file: the supervisor is gone."""

    def gone() -> None:
        from twisted.internet.error import ReactorNotRunning
        from twisted.logger import Logger

        Logger().warn("the supervisor is gone: stopping")
        with contextlib.suppress(ReactorNotRunning):
            reactor.stop()

    def wait() -> None:
        try:
            while os.read(SUPERVISOR_FD, 512):
                pass
        except OSError:
            pass
        reactor.callFromThread(gone)

    threading.Thread(target=wait, name="labweb-supervisor-watch", daemon=True).start()


if __name__ == "__main__":
    raise SystemExit(main())
