"""What ``twistd labweb`` needs beyond the ``labweb`` command: its log and its pid file.

twistd writes its pid file before ``privilegedStartService`` binds the ports, and
removes it after a failed start only for an ``Exception``; labweb's one-line
``SystemExit`` for a port in use is not one, so the file stayed behind and the next
``twistd`` refused to start ("Another twistd server is running"). ``TwistdService``
removes it, if it still names this process.
"""

from __future__ import annotations

import contextlib
import os
from typing import Any

from twisted.application.service import IService, MultiService
from twisted.logger import ILogObserver
from twisted.python.components import Componentized

from .logging_setup import twistd_observer


class TwistdService(MultiService):
    """``service`` as twistd runs it: labweb's log observer, no pid file left on failure."""

    def __init__(self, service: IService, twistd_config: Any, *, log_format: str, level: str):
        super().__init__()
        self._config = twistd_config
        self._log_format = log_format
        self._level = level
        service.setServiceParent(self)

    def setServiceParent(self, parent: Any) -> None:
        """Give twistd's application labweb's log observer, unless it has one already.

        twistd asks the application for an ``ILogObserver`` component when it begins
        logging, which is after this; a ``--logger`` given to twistd still comes first.
        """
        if isinstance(parent, Componentized) and parent.getComponent(ILogObserver) is None:
            observer = twistd_observer(self._config, log_format=self._log_format, level=self._level)
            parent.setComponent(ILogObserver, observer)
        super().setServiceParent(parent)

    def privilegedStartService(self) -> None:
        try:
            super().privilegedStartService()
        except SystemExit:
            remove_own_pid_file(self._config.get("pidfile") or "")
            raise


def remove_own_pid_file(path: str) -> None:
    """Remove ``path`` if it holds this process's id; never another server's file."""
    if not path:
        return
    try:
        with open(path) as pid_file:
            written = pid_file.read().strip()
    except OSError:
        return
    if written == str(os.getpid()):
        with contextlib.suppress(OSError):
            os.unlink(path)
