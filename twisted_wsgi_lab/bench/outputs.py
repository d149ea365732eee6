"""What a finished run leaves behind in ``--out``: JSON, CSV, plots, HTML, and the table.

Plots need the ``bench`` extra; without it the JSON, CSV, HTML (tables only) and the
terminal table are still written, and one line says which extra adds the figures.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from .html_report import render
from .machine import machine_line
from .plots import plots_unavailable, write_plots
from .report import build_document, format_table, summaries, write_csv, write_json
from .runner import Outcome

JSON_NAME = "results.json"
CSV_NAME = "results.csv"
HTML_NAME = "report.html"


def write_outputs(
    out: Path,
    machine: dict[str, Any],
    settings: dict[str, Any],
    descriptions: dict[str, str],
    outcome: Outcome,
    stdout: TextIO,
    note: Callable[[str], None],
) -> dict[str, Any]:
    """Write every output, print the table, and return the JSON document."""
    document = build_document(machine, settings, outcome.measurements, outcome.skipped)
    rows = summaries(document)
    write_json(out / JSON_NAME, document)
    write_csv(out / CSV_NAME, rows)
    figures: dict[str, Path] = {}
    missing = plots_unavailable()
    if missing is None:
        for path in write_plots(rows, descriptions_as_titles(descriptions), out):
            if path.suffix == ".svg":
                figures[path.stem] = path
    else:
        note(missing)
    page = render(machine_line(machine), rows, descriptions, outcome.skipped, figures)
    (out / HTML_NAME).write_text(page)
    print(machine_line(machine), file=stdout)
    print(format_table(rows, descriptions), file=stdout)
    note(f"wrote {out / JSON_NAME}, {out / CSV_NAME}, {out / HTML_NAME}")
    return document


def descriptions_as_titles(descriptions: dict[str, str]) -> dict[str, str]:
    """Figure titles: ``scenario: what the app does``."""
    return {name: f"{name}: {text}" for name, text in descriptions.items()}
