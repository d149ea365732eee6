"""A self-contained HTML report: the machine, the tables and the figures, in one file.

The figures are inlined as SVG, so the file can be mailed or attached to an issue
without its directory. Every text from the run is escaped.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

from .results import Summary

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; max-width: 72em; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: 0.2em 0.6em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.skipped { color: #666; }
svg { max-width: 100%; height: auto; }
"""
HEADERS = ("model", "concurrency", "req/s", "spread", "p50 ms", "p99 ms", "errors", "load CPU")


def cells(row: Summary) -> list[str]:
    cpu = row.generator_cpu_percent
    values = [
        row.model,
        str(row.concurrency),
        f"{row.requests_per_second:.1f}",
        f"{row.spread_percent:.0f}%",
        f"{row.p50_ms:.2f}",
        f"{row.p99_ms:.2f}",
        str(row.errors),
        "-" if cpu is None else f"{cpu:.0f}%",
    ]
    if row.kib_per_idle_connection is not None:
        values.append(f"{row.kib_per_idle_connection:.1f}")
    return values


def table(rows: Sequence[Summary]) -> str:
    """One HTML table of summaries."""
    headers = [*HEADERS, *(["KiB per idle conn"] if rows and rows[0].scenario == "idle" else [])]
    head = "".join(f"<th>{html.escape(name)}</th>" for name in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in cells(row)) + "</tr>"
        for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def inline_svg(path: Path) -> str:
    """The SVG's own markup, without its XML prolog."""
    text = path.read_text()
    start = text.find("<svg")
    return text[start:] if start >= 0 else ""


def render(
    machine_line: str,
    rows: Sequence[Summary],
    descriptions: dict[str, str],
    skipped: Sequence[tuple[str, str, str]],
    figures: dict[str, Path],
) -> str:
    """The whole page."""
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>labweb bench</title>",
        f"<style>{STYLE}</style></head><body><h1>labweb bench</h1>",
        f"<p>{html.escape(machine_line)}</p>",
    ]
    for scenario in dict.fromkeys(row.scenario for row in rows):
        description = descriptions.get(scenario, "")
        parts.append(f"<h2>{html.escape(scenario)}</h2><p>{html.escape(description)}</p>")
        if scenario in figures:
            parts.append(inline_svg(figures[scenario]))
        parts.append(table([row for row in rows if row.scenario == scenario]))
        notes = [f"{model}: {reason}" for name, model, reason in skipped if name == scenario]
        if notes:
            items = "".join(f"<li>{html.escape(note)}</li>" for note in notes)
            parts.append(f"<p class='skipped'>skipped:</p><ul class='skipped'>{items}</ul>")
    parts.append("</body></html>\n")
    return "\n".join(parts)
