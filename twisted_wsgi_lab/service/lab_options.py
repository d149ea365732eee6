"""The lab's options: ``--lab``, ``--lab-remote``, ``--lab-in-workers``, ``--lab-last``,
``--har``. Kept beside ``options.py``, which lists them with the others."""

from __future__ import annotations

import os
from typing import Any

from twisted.python import usage

from .units import parse_count

LAB_PARAMETERS: list[list[Any]] = [
    [
        "har",
        None,
        None,
        "write the last --lab-last exchanges as a HAR file here when the server stops,"
        " and on SIGUSR1 [default: off]",
    ],
    ["lab-last", None, "100", "with --lab or --har: how many exchanges the recorder keeps"],
]

LAB_FLAGS: list[list[Any]] = [
    [
        "lab",
        None,
        "mount the live dashboard at /_lab, for clients on this machine only"
        " (see docs/dashboard.md)",
    ],
    ["lab-remote", None, "with --lab: let clients on other machines see /_lab too"],
    [
        "lab-in-workers",
        None,
        "with --lab and --workers or --reload: mount /_lab in each worker, on the public"
        " listener (each shows only its own connections)",
    ],
]


def check_lab_options(options: Any) -> None:
    """Check the lab's options after the others (``--workers`` is a number by then).

    Raises:
        usage.UsageError: a bad count, a flag without ``--lab``, the dashboard in
            workers without ``--lab-in-workers``, or ``--har`` with workers.
    """
    if str(options["lab-last"]) != "100" and not (options["lab"] or options["har"]):
        raise usage.UsageError("--lab-last goes with --lab or --har, neither of which was given")
    try:
        options["lab-last"] = parse_count(str(options["lab-last"]))
    except ValueError as error:
        raise usage.UsageError(f"--lab-last {options['lab-last']!r}: {error}") from None
    if options["lab-last"] < 1:
        raise usage.UsageError(f"--lab-last {options['lab-last']}: keep at least 1")
    target = options["har"]
    if target is not None:
        # Absolute now: twistd may change directory before the file is written.
        options["har"] = os.path.abspath(target)
        if not os.path.isdir(os.path.dirname(options["har"])):
            raise usage.UsageError(f"--har {target!r}: its directory does not exist")
    for flag in ("lab-remote", "lab-in-workers"):
        if options[flag] and not options["lab"]:
            raise usage.UsageError(f"--{flag} goes with --lab, which was not given")
    workers = options["workers"] > 1 or options["reload"]
    if workers and options["lab"] and not options["lab-in-workers"]:
        raise usage.UsageError(
            "--lab with --workers or --reload would put /_lab on every worker's public"
            " listener, each showing only its own connections: add --lab-in-workers to"
            " accept that, or serve with one process"
        )
    if workers and options["har"]:
        raise usage.UsageError(
            "--har with --workers or --reload: every worker would write the same file;"
            " serve with one process to record a HAR"
        )
