"""``--workers`` and ``--reload``: how many processes serve, and whether a supervisor runs.

One process (the default) is today's server: no supervisor, nothing forked. With more
than one worker, or with ``--reload``, the process that parses the options becomes a
supervisor: it binds every ``--listen`` endpoint once and runs workers that accept on
those sockets (see ``supervisor_service.py``).
"""

from __future__ import annotations

import os
from typing import Any

from twisted.python import usage

# Endpoint types whose listening socket a worker can adopt: a TCP socket (plain, or
# under TLS that each worker does itself).
_ADOPTABLE = ("TCP4ServerEndpoint", "TCP6ServerEndpoint", "SSL4ServerEndpoint")


def parse_workers(text: str) -> int:
    """A worker count from ``"4"``, or ``"auto"`` for one per CPU.

    Raises:
        usage.UsageError: not a whole number of at least 1, nor ``auto``.
    """
    if text.strip().lower() == "auto":
        return os.cpu_count() or 1
    try:
        count = int(text)
    except ValueError:
        count = 0
    if count < 1:
        raise usage.UsageError(
            f"--workers {text!r}: give a number of processes (1 or more) or auto"
        )
    return count


def supervises(options: Any) -> bool:
    """Whether these options run a supervisor and workers rather than one process."""
    return bool(options["workers"] > 1 or options["reload"])


def check_worker_options(options: Any) -> None:
    """Turn ``--workers`` into a number; refuse endpoints a worker cannot adopt.

    Raises:
        usage.UsageError: a bad count, or a ``--listen`` other than tcp, tcp6 or ssl
            while workers are asked for.
    """
    options["workers"] = parse_workers(str(options["workers"]))
    if not supervises(options):
        return
    from twisted.internet import reactor
    from twisted.internet.endpoints import serverFromString

    for description in options["listen"]:
        kind = type(serverFromString(reactor, description)).__name__
        if kind not in _ADOPTABLE:
            raise usage.UsageError(
                f"--listen {description!r}: --workers and --reload share TCP sockets "
                "between processes; use a tcp:, tcp6: or ssl: endpoint"
            )
