"""How much memory a server holds: the proportional set size of its whole process tree.

PSS, not RSS: a forked child shares its parent's pages, and RSS would count them once
per child. Linux only (``/proc``); elsewhere the figures are None.
"""

from __future__ import annotations

import threading
from pathlib import Path

PROC = Path("/proc")
SAMPLE_INTERVAL_SECONDS = 0.05


def children(pid: int) -> list[int]:
    """Direct children of ``pid``, from every thread's ``children`` list."""
    found: list[int] = []
    for path in (PROC / str(pid) / "task").glob("*/children"):
        try:
            found.extend(int(token) for token in path.read_text().split())
        except OSError:
            continue
    return found


def tree_kib(pid: int) -> int | None:
    """PSS of ``pid`` and all its descendants in KiB; None if ``/proc`` cannot say."""
    total = 0
    pending = [pid]
    seen: set[int] = set()
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        kib = _pss_kib(current)
        if kib is None and current == pid:
            return None
        total += kib or 0
        pending.extend(children(current))
    return total


def _pss_kib(pid: int) -> int | None:
    try:
        text = (PROC / str(pid) / "smaps_rollup").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    return None


class PeakSampler:
    """Sample a process tree's memory in a thread while a load runs; keep the peak."""

    def __init__(self, pid: int) -> None:
        self._pid = pid
        self._stop = threading.Event()
        self.peak_kib: int | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(SAMPLE_INTERVAL_SECONDS):
            kib = tree_kib(self._pid)
            if kib is not None and (self.peak_kib is None or kib > self.peak_kib):
                self.peak_kib = kib
