"""The ``labweb`` command: the twistd plugin's options, without twistd around them."""

from __future__ import annotations

import sys

from twisted.logger import globalLogBeginner
from twisted.python import usage

from .logging_setup import observer_for
from .options import LabWebOptions
from .parse_command import run as run_parse
from .tap import makeService


def main(argv: list[str] | None = None) -> int:
    """Parse options, serve until SIGTERM or Ctrl-C, and return the exit status.

    ``labweb parse ...`` and ``labweb bench ...`` are other commands, with their own
    arguments: the parser alone, and the serving models compared under load. Neither
    starts the reactor here; bench is imported only when asked for.
    """
    if argv is None:
        argv = sys.argv[1:]
    if argv[:1] == ["parse"]:
        return run_parse(argv[1:])
    if argv[:1] == ["bench"]:
        from ..bench.cli import main as run_bench

        return run_bench(argv[1:])
    options = LabWebOptions()
    options.synopsis = (  # type: ignore[attr-defined]  # twistd has its own
        "Usage: labweb [options] [module:app]\n"
        "       labweb parse FILE  (the request parser alone; see labweb parse --help)\n"
        "       labweb bench ...   (compare serving models under load; see labweb bench --help)"
    )
    try:
        options.parseOptions(argv)
    except usage.UsageError as error:
        print(f"labweb: error: {error}\nTry 'labweb --help'.", file=sys.stderr)
        return 2
    observer = observer_for(
        sys.stderr, log_format=options["log-format"], level=options["log-level"]
    )
    globalLogBeginner.beginLoggingTo([observer], redirectStandardIO=False)
    service = makeService(options)
    from twisted.internet import reactor

    service.privilegedStartService()
    service.startService()
    reactor.addSystemEventTrigger("before", "shutdown", service.stopService)
    reactor.run()
    return 0
