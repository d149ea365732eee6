"""A bench run as a terminal table, a JSON document and a CSV file.

The JSON holds everything (machine, settings, skipped models, every round, the
summaries) and is what ``--compare`` and the plots read back; the CSV holds the
summaries, one row per scenario, model and concurrency, for a spreadsheet.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from .results import Measurement, Summary, summarize

FORMAT = "labweb-bench/1"


class ReportFormatError(Exception):
    """A file is not a ``labweb bench`` JSON report; ``str(error)`` says why."""


def build_document(
    machine: dict[str, Any],
    settings: dict[str, Any],
    measurements: Sequence[Measurement],
    skipped: Sequence[tuple[str, str, str]],
) -> dict[str, Any]:
    """Everything about a run, as plain JSON data."""
    return {
        "format": FORMAT,
        "machine": machine,
        "settings": settings,
        "skipped": [{"scenario": s, "model": m, "reason": r} for s, m, r in skipped],
        "summary": [asdict(item) for item in summarize(measurements)],
        "measurements": [item.to_json() for item in measurements],
    }


def write_json(path: Path, document: dict[str, Any]) -> None:
    path.write_text(json.dumps(document, indent=2) + "\n")


def read_json(path: Path) -> dict[str, Any]:
    """Read a report back.

    Raises:
        ReportFormatError: unreadable, not JSON, or not a ``labweb bench`` report.
    """
    try:
        document = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise ReportFormatError(f"{path}: {error}") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ReportFormatError(f"{path}: not a labweb bench JSON report ({FORMAT})")
    return document


def summaries(document: dict[str, Any]) -> list[Summary]:
    """The summary rows of a report; fields this version does not know are left out."""
    known = {item.name for item in fields(Summary)}
    return [Summary(**{k: v for k, v in row.items() if k in known}) for row in document["summary"]]


def write_csv(path: Path, rows: Sequence[Summary]) -> None:
    """One line per summary."""
    names = [item.name for item in fields(Summary)]
    with path.open("w", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=names)
        writer.writeheader()
        for row in rows:
            writer.writerow({name: getattr(row, name) for name in names})


COLUMNS = ("model", "conc", "req/s", "spread", "p50 ms", "p99 ms", "errors", "load cpu")


def format_number(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def table_rows(rows: Sequence[Summary]) -> list[list[str]]:
    """The cells of the table, one list per summary; no answer at all shows no latency."""
    return [
        [
            row.model,
            str(row.concurrency),
            format_number(row.requests_per_second),
            f"{row.spread_percent:.0f}%",
            format_number(row.p50_ms if row.requests_per_second else None, 2),
            format_number(row.p99_ms if row.requests_per_second else None, 2),
            str(row.errors),
            format_number(row.generator_cpu_percent, 0) + "%",
            *([format_number(row.kib_per_idle_connection)] if row.scenario == "idle" else []),
        ]
        for row in rows
    ]


def format_table(rows: Sequence[Summary], descriptions: dict[str, str]) -> str:
    """A plain-text table per scenario, its description above it."""
    blocks = []
    for scenario in dict.fromkeys(row.scenario for row in rows):
        chosen = [row for row in rows if row.scenario == scenario]
        header = [*COLUMNS, *(["KiB/idle"] if scenario == "idle" else [])]
        cells = [header, *table_rows(chosen)]
        widths = [max(len(line[i]) for line in cells) for i in range(len(header))]
        lines = [f"{scenario}: {descriptions.get(scenario, '')}".rstrip()]
        for number, line in enumerate(cells):
            lines.append(
                "  ".join(
                    cell.ljust(width) if column == 0 else cell.rjust(width)
                    for column, (cell, width) in enumerate(zip(line, widths, strict=True))
                )
            )
            if number == 0:
                lines.append("  ".join("-" * width for width in widths))
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)
