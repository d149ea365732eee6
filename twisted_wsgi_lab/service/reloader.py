"""``--reload``: notice when a ``.py`` file under the app directory changes.

With ``watchfiles`` installed (the ``dev`` extra) the operating system says so; without
it, the modification times are polled twice a second, which needs nothing and costs a
directory walk. Either way the supervisor is told the changed paths in the reactor
thread, and decides what to do (``supervisor_service.py`` checks the new code imports
before replacing the workers).

Hidden directories, ``__pycache__`` and virtual environments are not watched: an app
directory of ``.`` often holds one, and its thousands of files are not the app's code.
"""

from __future__ import annotations

import importlib
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from twisted.internet.task import LoopingCall

POLL_INTERVAL_SECONDS = 0.5
SKIPPED_DIRECTORIES = frozenset({"__pycache__", "node_modules", "site-packages"})

Changed = Callable[[list[str]], None]
Stamp = tuple[int, int]  # st_mtime_ns, st_size


def watched(directory: str) -> bool:
    """Whether files under ``directory`` (a name, not a path) are watched."""
    name = os.path.basename(directory)
    return not (name.startswith(".") or name in SKIPPED_DIRECTORIES)


def python_files(root: str) -> Iterator[str]:
    """Every ``.py`` file under ``root``, outside skipped and virtual-env directories."""
    for directory, subdirectories, files in os.walk(root):
        subdirectories[:] = [
            name
            for name in subdirectories
            if watched(name) and not os.path.exists(os.path.join(directory, name, "pyvenv.cfg"))
        ]
        for name in files:
            if name.endswith(".py"):
                yield os.path.join(directory, name)


def snapshot(root: str) -> dict[str, Stamp]:
    stamps: dict[str, Stamp] = {}
    for path in python_files(root):
        try:
            status = os.stat(path)
        except OSError:  # removed between the walk and the stat
            continue
        stamps[path] = (status.st_mtime_ns, status.st_size)
    return stamps


def changes(before: dict[str, Stamp], after: dict[str, Stamp]) -> list[str]:
    """Paths added, removed or modified between two snapshots, sorted."""
    return sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))


class PollingWatcher:
    """Compare modification times and sizes every ``interval_seconds``."""

    def __init__(
        self,
        root: str,
        changed: Changed,
        *,
        interval_seconds: float = POLL_INTERVAL_SECONDS,
        clock: Any = None,
    ) -> None:
        self.root = root
        self._changed = changed
        self._interval_seconds = interval_seconds
        self._stamps = snapshot(root)
        self._loop = LoopingCall(self.poll)
        if clock is not None:
            self._loop.clock = clock

    def start(self) -> None:
        self._loop.start(self._interval_seconds, now=False)

    def stop(self) -> None:
        if self._loop.running:
            self._loop.stop()

    def poll(self) -> None:
        stamps = snapshot(self.root)
        found = changes(self._stamps, stamps)
        self._stamps = stamps
        if found:
            self._changed(found)


class WatchfilesWatcher:
    """``watchfiles.watch`` in a daemon thread; changes are handed to the reactor."""

    def __init__(self, root: str, changed: Changed, watchfiles: Any, reactor: Any) -> None:
        self.root = root
        self._changed = changed
        self._watchfiles = watchfiles
        self._reactor = reactor
        self._stop = threading.Event()

    def start(self) -> None:
        threading.Thread(target=self._watch, name="labweb-reload", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()

    def _watch(self) -> None:
        batches = self._watchfiles.watch(
            self.root,
            watch_filter=self._watchfiles.PythonFilter(),
            stop_event=self._stop,
            raise_interrupt=False,
        )
        for batch in batches:
            paths = sorted(
                path
                for _, path in batch
                if all(watched(part) for part in Path(path).relative_to(self.root).parts[:-1])
            )
            if paths:
                self._reactor.callFromThread(self._changed, paths)


def make_watcher(root: str, changed: Changed, reactor: Any) -> PollingWatcher | WatchfilesWatcher:
    """The watchfiles watcher when it is installed, else the polling one."""
    root = os.path.abspath(root)
    try:
        watchfiles = importlib.import_module("watchfiles")
    except ImportError:
        return PollingWatcher(root, changed, clock=reactor)
    return WatchfilesWatcher(root, changed, watchfiles, reactor)
