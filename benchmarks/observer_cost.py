"""What the observer seam costs: plain labweb, one do-nothing observer, the access log.

The factory builds the plain ``HTTPProtocol`` while no observer is registered, and
``ObservedHTTPProtocol`` once one is. An observer that overrides no event should
therefore cost next to nothing (target: within 3% of plain), and the access log shows
what a real observer costs. All three rows are the same small server (this file, run
with ``--serve``): the hello WSGI app in reactor mode, so only the observer differs.
They are loaded side by side, in alternating rounds, by ``compare_servers.py``'s own
machinery (wrk on 127.0.0.1, medians over rounds, the spread).

    python benchmarks/observer_cost.py --connections 50 --seconds 5 --rounds 5
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import compare_servers
from compare_servers import Launch, ServerSpec
from scenarios import SCENARIOS

KINDS = ("plain", "noop-observer", "access-log")


def serve(kind: str, port: int) -> None:
    """Serve ``apps.hello`` in reactor mode on 127.0.0.1:``port`` with the ``kind`` observer."""
    from apps import hello
    from twisted.internet import reactor

    from twisted_wsgi_lab import HTTPFactory, WSGIBridge
    from twisted_wsgi_lab.engine import ConnectionObserver
    from twisted_wsgi_lab.service.access_log import AccessLog, open_access_log

    factory = HTTPFactory(WSGIBridge(hello))
    if kind == "noop-observer":
        factory.add_observer(ConnectionObserver())  # overrides no event
    elif kind == "access-log":
        log_file = open_access_log(os.devnull, factory.clock)
        factory.add_observer(AccessLog(log_file))
    reactor.listenTCP(port, factory, interface="127.0.0.1")  # type: ignore[attr-defined]
    reactor.run()  # type: ignore[attr-defined]


def serve_command(kind: str) -> Callable[[Launch], list[str]]:
    """argv that runs this file as the ``kind`` server on the launch's port."""

    def argv(launch: Launch) -> list[str]:
        return [sys.executable, __file__, "--serve", kind, "--port", str(launch.port)]

    return argv


def specs() -> list[ServerSpec]:
    """One row per kind; ``plain`` is the baseline the others are divided by."""
    return [
        ServerSpec(
            kind,
            f"HTTPFactory(WSGIBridge(apps.hello)), reactor mode, {kind}",
            serve_command(kind),
            baseline=kind == "plain",
        )
        for kind in KINDS
    ]


def compare(options: argparse.Namespace) -> int:
    """Load the three servers in alternating rounds and print the table and ratios."""
    options.scenario = SCENARIOS["hello"]
    options.specs = specs()
    options.threads = 1
    wrk = shutil.which("wrk")
    servers: list[compare_servers.RunningServer] = []
    try:
        if wrk is None:
            raise compare_servers.BenchmarkError("wrk is not installed")
        with tempfile.TemporaryDirectory(prefix="observer_cost-") as log_dir:
            try:
                compare_servers.start_all(options, Path(log_dir), servers)
                results = compare_servers.run_rounds(servers, options, wrk)
            finally:
                for server in servers:
                    compare_servers.stop_server(server)
    except compare_servers.BenchmarkError as error:
        print(f"observer_cost: error: {error}", file=sys.stderr)
        for line in error.details:
            print(line, file=sys.stderr)
        return 1
    print(
        f"wrk -t1 -c{options.connections} -d{options.seconds}s, {options.rounds} round(s), "
        "median over rounds; target: noop-observer within 3% of plain"
    )
    print(compare_servers.format_table(results))
    for line in compare_servers.headline(results):
        print(line)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--serve", choices=KINDS, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--seconds", type=int, default=5, help="wrk duration per run")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds")
    parser.add_argument("--connections", type=int, default=50, help="wrk -c")
    parser.add_argument("--warmup-seconds", type=int, default=1, help="unmeasured run first")
    options = parser.parse_args(argv)
    if options.serve:
        serve(options.serve, options.port)
        return 0
    return compare(options)


if __name__ == "__main__":
    raise SystemExit(main())
