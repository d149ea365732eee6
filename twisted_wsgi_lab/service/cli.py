"""The ``labweb`` command: the twistd plugin's options, without twistd around them."""

from __future__ import annotations

import sys

from twisted.logger import globalLogBeginner
from twisted.python import usage

from .logging_setup import observer_for
from .options import LabWebOptions
from .tap import makeService


def main(argv: list[str] | None = None) -> int:
    """Parse options, serve until SIGTERM or Ctrl-C, and return the exit status."""
    options = LabWebOptions()
    options.synopsis = "Usage: labweb [options] [module:app]"  # type: ignore[attr-defined]  # twistd has its own
    try:
        options.parseOptions(sys.argv[1:] if argv is None else argv)
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
