"""--reload's watching: which files count, and the polling watcher on a Clock."""

from __future__ import annotations

import os
import time

import pytest
from twisted.internet.task import Clock

from twisted_wsgi_lab.service.reloader import (
    PollingWatcher,
    WatchfilesWatcher,
    changes,
    python_files,
)


def test_only_python_files_outside_hidden_cache_and_virtualenv_directories_are_watched(tmp_path):
    for name in ["app.py", "pkg/views.py", "notes.txt", ".git/hook.py", "pkg/__pycache__/x.py"]:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("")
    (tmp_path / "venv" / "lib").mkdir(parents=True)
    (tmp_path / "venv" / "pyvenv.cfg").write_text("")
    (tmp_path / "venv" / "lib" / "site.py").write_text("")
    found = sorted(os.path.relpath(path, tmp_path) for path in python_files(str(tmp_path)))
    assert found == ["app.py", os.path.join("pkg", "views.py")]


def test_changes_lists_added_removed_and_modified_paths():
    before = {"a.py": (1, 10), "b.py": (1, 10), "c.py": (1, 10)}
    after = {"a.py": (1, 10), "b.py": (2, 10), "d.py": (1, 1)}
    assert changes(before, after) == ["b.py", "c.py", "d.py"]


def test_the_polling_watcher_reports_a_change_at_the_next_poll(tmp_path):
    module = tmp_path / "mod.py"
    module.write_text("A = 1\n")
    clock = Clock()
    seen: list[list[str]] = []
    watcher = PollingWatcher(str(tmp_path), seen.append, clock=clock)
    watcher.start()
    clock.advance(0.5)
    assert seen == []
    module.write_text("A = 22\n")  # a different size, whatever the clock's resolution
    clock.advance(0.5)
    assert seen == [[str(module)]]
    clock.advance(0.5)
    assert len(seen) == 1
    watcher.stop()


class ThreadReactor:
    """Just enough reactor for the watchfiles watcher: calls from its thread, recorded."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def callFromThread(self, function, paths):
        self.calls.append(paths)


def test_the_watchfiles_watcher_reports_python_files_outside_hidden_directories(tmp_path):
    watchfiles = pytest.importorskip("watchfiles")
    (tmp_path / ".hidden").mkdir()
    reactor = ThreadReactor()
    watcher = WatchfilesWatcher(str(tmp_path), print, watchfiles, reactor)
    watcher.start()
    try:
        deadline = time.monotonic() + 10
        while not reactor.calls and time.monotonic() < deadline:
            (tmp_path / ".hidden" / "x.py").write_text(str(time.monotonic()))
            (tmp_path / "notes.txt").write_text(str(time.monotonic()))
            (tmp_path / "mod.py").write_text(str(time.monotonic()))
            time.sleep(0.2)
    finally:
        watcher.stop()
    assert reactor.calls
    assert {path for paths in reactor.calls for path in paths} == {str(tmp_path / "mod.py")}
