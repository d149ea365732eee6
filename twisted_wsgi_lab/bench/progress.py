"""Progress while the bench runs: a rich progress bar if rich is installed, else lines.

Progress goes to standard error, so standard output holds only the table.
"""

from __future__ import annotations

import sys
from typing import Any, Protocol, TextIO


class Progress(Protocol):
    """What the runner reports: one step done, or a note worth a line of its own."""

    def step(self, description: str) -> None: ...

    def note(self, line: str) -> None: ...

    def close(self) -> None: ...


class LineProgress:
    """One line per step on a stream: always available."""

    def __init__(self, total: int, stream: TextIO | None = None) -> None:
        self._total = total
        self._done = 0
        self._stream = sys.stderr if stream is None else stream

    def step(self, description: str) -> None:
        self._done += 1
        print(f"[{self._done}/{self._total}] {description}", file=self._stream, flush=True)

    def note(self, line: str) -> None:
        print(line, file=self._stream, flush=True)

    def close(self) -> None:
        return None


class RichProgress:
    """A live bar with the current step, from ``rich`` (the ``bench`` extra)."""

    def __init__(self, total: int, rich_progress: Any) -> None:
        self._bar = rich_progress
        self._task = self._bar.add_task("labweb bench", total=total)
        self._bar.start()

    def step(self, description: str) -> None:
        self._bar.update(self._task, advance=1, description=description)

    def note(self, line: str) -> None:
        self._bar.console.print(line, markup=False, highlight=False)

    def close(self) -> None:
        self._bar.stop()


def make_progress(total: int, *, plain: bool = False) -> Progress:
    """Rich's bar on a terminal when installed; plain lines otherwise."""
    if plain or not sys.stderr.isatty():
        return LineProgress(total)
    try:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeRemainingColumn
        from rich.progress import Progress as RichBar
    except ImportError:
        return LineProgress(total)
    bar = RichBar(
        TextColumn("{task.description:<40}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
    )
    return RichProgress(total, bar)
