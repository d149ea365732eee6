"""``--log-format`` and ``--log-level``: one observer for ``labweb`` and for twistd.

The ``labweb`` command begins logging with ``observer_for(...)`` itself. twistd begins
logging on its own, after ``makeService``, with the ``ILogObserver`` component of its
application when there is one (Twisted's documented hook, also used by ``.tac``
files); ``twistd_observer`` builds that component so it writes where twistd would have
written (standard output with ``-n``, ``--logfile``, or syslog for text) in labweb's
format and at labweb's level. A ``--logger`` given to twistd still wins.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from typing import IO, Any

from twisted.logger import (
    FileLogObserver,
    FilteringLogObserver,
    ILogObserver,
    LogLevel,
    LogLevelFilterPredicate,
    formatEvent,
    textFileLogObserver,
)

LEVELS = {
    "debug": LogLevel.debug,
    "info": LogLevel.info,
    "warn": LogLevel.warn,
    "error": LogLevel.error,
}


def json_line(event: dict[str, Any]) -> str:
    """One event as one JSON object and a newline: time, level, namespace, text.

    ``time`` is ISO 8601 in UTC with milliseconds; a logged failure adds
    ``traceback``. The text is formatted as the text log would show it, so the two
    formats never say different things.
    """
    when = event.get("log_time")
    level = event.get("log_level")
    record: dict[str, object] = {
        "time": _iso_time(when) if isinstance(when, int | float) else None,
        "level": level.name if isinstance(level, type(LogLevel.info)) else "info",
        "namespace": event.get("log_namespace", ""),
        "text": formatEvent(event),
    }
    failure = event.get("log_failure")
    if failure is not None:
        record["traceback"] = failure.getTraceback()
    return json.dumps(record, ensure_ascii=False, default=str) + "\n"


def _iso_time(seconds: float) -> str:
    moment = datetime.fromtimestamp(seconds, tz=timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def observer_for(stream: IO[str], *, log_format: str, level: str) -> ILogObserver:
    """An observer writing ``stream`` in ``log_format``, dropping what is below ``level``."""
    if log_format == "json":
        writer: ILogObserver = FileLogObserver(stream, json_line)
    else:
        writer = textFileLogObserver(stream)
    return filtered(writer, level)


def filtered(observer: ILogObserver, level: str) -> ILogObserver:
    """``observer`` behind a filter that lets through ``level`` and above."""
    predicate = LogLevelFilterPredicate(defaultLogLevel=LEVELS[level])
    return FilteringLogObserver(observer, [predicate])


def twistd_observer(config: Any, *, log_format: str, level: str) -> ILogObserver:
    """The observer twistd would have built from ``config``, in labweb's format and level.

    ``config`` is twistd's own options (``--logfile``, ``--syslog``, ``-n``). Text goes
    through twistd's own choice of destination; JSON goes to the same file or standard
    output (with ``--syslog``, JSON makes no sense and text is kept).
    """
    from twisted.logger import LegacyLogObserverWrapper

    logger = _twistd_app_logger(config)
    if log_format == "json" and not config.get("syslog"):
        return observer_for(_twistd_stream(config), log_format="json", level=level)
    made = logger._getLogObserver()
    if not ILogObserver.providedBy(made):  # syslog's observer is a legacy one
        made = LegacyLogObserverWrapper(made)
    return filtered(made, level)


def _twistd_app_logger(config: Any) -> Any:
    try:
        from twisted.scripts._twistd_unix import UnixAppLogger

        return UnixAppLogger(config)
    except ImportError:  # Windows
        from twisted.application.app import AppLogger

        return AppLogger(config)


def _twistd_stream(config: Any) -> IO[str]:
    """Where twistd logs without ``--syslog``: as ``UnixAppLogger`` decides."""
    name = config.get("logfile") or ""
    if name == "-" or (config.get("nodaemon") and not name):
        return sys.stdout
    from twisted.python.logfile import LogFile

    log_file: IO[str] = LogFile.fromFullPath(name or "twistd.log")
    return log_file
