"""``labweb bench --compare old.json new.json``: what changed between two runs.

Rows are matched on (scenario, model, concurrency); a row in only one run is listed
as added or gone. A change smaller than the larger spread of the two rows is marked
``~``: within the noise of those runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .results import Summary


@dataclass(frozen=True)
class Change:
    """One row of the comparison; ``old`` or ``new`` is None for a row in one run only."""

    key: tuple[str, str, int]
    old: Summary | None
    new: Summary | None

    @property
    def rate_change_percent(self) -> float | None:
        if self.old is None or self.new is None or self.old.requests_per_second == 0:
            return None
        return 100.0 * (self.new.requests_per_second / self.old.requests_per_second - 1.0)

    @property
    def p99_change_percent(self) -> float | None:
        if self.old is None or self.new is None or self.old.p99_ms == 0:
            return None
        return 100.0 * (self.new.p99_ms / self.old.p99_ms - 1.0)

    @property
    def within_noise(self) -> bool:
        change = self.rate_change_percent
        if change is None or self.old is None or self.new is None:
            return False
        return abs(change) <= max(self.old.spread_percent, self.new.spread_percent)


def compare(old: Sequence[Summary], new: Sequence[Summary]) -> list[Change]:
    """Changes in the order of the new run, then rows that only the old run had."""
    old_rows = {row.key(): row for row in old}
    new_rows = {row.key(): row for row in new}
    keys = [*new_rows, *(key for key in old_rows if key not in new_rows)]
    return [Change(key, old_rows.get(key), new_rows.get(key)) for key in keys]


def signed(value: float | None) -> str:
    return "-" if value is None else f"{value:+.1f}%"


def format_changes(changes: Sequence[Change]) -> str:
    """The comparison as a plain-text table."""
    header = ("scenario", "model", "conc", "old req/s", "new req/s", "change", "p99 change")
    lines = [header]
    for change in changes:
        old, new = change.old, change.new
        rate = signed(change.rate_change_percent)
        if old is None:
            rate = "added"
        elif new is None:
            rate = "gone"
        elif change.within_noise:
            rate += " ~"
        lines.append(
            (
                change.key[0],
                change.key[1],
                str(change.key[2]),
                "-" if old is None else f"{old.requests_per_second:.1f}",
                "-" if new is None else f"{new.requests_per_second:.1f}",
                rate,
                signed(change.p99_change_percent),
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    text = [
        "  ".join(
            cell.ljust(w) if i < 2 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(line, widths, strict=True))
        )
        for line in lines
    ]
    text.insert(1, "  ".join("-" * width for width in widths))
    text.append("~: within the larger spread of the two runs (noise)")
    return "\n".join(text)
