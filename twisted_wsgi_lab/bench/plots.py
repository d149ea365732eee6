"""One figure per scenario: throughput, and p50/p99 latency, against concurrency.

matplotlib comes with the ``bench`` extra; ``plots_unavailable`` says so in one line
when it is missing, and the rest of the run goes on without figures. The Agg backend
draws without a display.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .results import Summary

EXTRA_HINT = "plots need matplotlib: pip install 'twisted-wsgi-lab[bench]'"


def plots_unavailable() -> str | None:
    """None when matplotlib can be imported, else the one line saying which extra adds it."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return EXTRA_HINT
    return None


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as pyplot

    return pyplot


def scenario_rows(rows: Sequence[Summary], scenario: str) -> dict[str, list[Summary]]:
    """The rows of one scenario by model, each sorted by concurrency."""
    by_model: dict[str, list[Summary]] = {}
    for row in rows:
        if row.scenario == scenario:
            by_model.setdefault(row.model, []).append(row)
    return {model: sorted(items, key=lambda r: r.concurrency) for model, items in by_model.items()}


def draw_scenario(pyplot: Any, scenario: str, title: str, rows: Sequence[Summary]) -> Any:
    """req/s, then latency (p50 solid, p99 dashed), then memory per idle connection if any."""
    by_model = scenario_rows(rows, scenario)
    with_memory = any(r.kib_per_idle_connection is not None for i in by_model.values() for r in i)
    panels = 3 if with_memory else 2
    figure, axes = pyplot.subplots(1, panels, figsize=(5.5 * panels, 4.2))
    palette = pyplot.get_cmap("tab20").colors  # twenty colours: every model its own
    for number, (model, items) in enumerate(by_model.items()):
        levels = [row.concurrency for row in items]
        color = palette[(2 * number) % 20 + (2 * number) // 20 % 2]
        axes[0].plot(levels, [r.requests_per_second for r in items], "o-", color=color, label=model)
        axes[1].plot(levels, [r.p50_ms for r in items], "o-", color=color)
        axes[1].plot(levels, [r.p99_ms for r in items], "x--", color=color)
        if with_memory:
            memory = [r.kib_per_idle_connection or 0.0 for r in items]
            axes[2].plot(levels, memory, "o-", color=color)
    label_axes(axes, scenario)
    figure.suptitle(title)
    figure.tight_layout()
    return figure


def label_axes(axes: Sequence[Any], scenario: str) -> None:
    """Log scales for concurrency and latency; a label on every axis."""
    for panel in axes:
        panel.set_xscale("log", base=2)
        panel.set_xlabel("idle connections" if scenario == "idle" else "concurrent connections")
        panel.grid(True, alpha=0.3)
    axes[0].set_ylabel("requests per second (median)")
    axes[1].set_ylabel("latency ms: p50 solid, p99 dashed")
    axes[1].set_yscale("log")
    if len(axes) > 2:
        axes[2].set_ylabel("server memory per idle connection, KiB")
        axes[2].set_yscale("symlog", linthresh=1.0)  # growth can be ~0, even below it
        axes[2].set_ylim(bottom=0)
    axes[0].legend(fontsize="small")


def write_plots(rows: Sequence[Summary], titles: dict[str, str], directory: Path) -> list[Path]:
    """Write ``<scenario>.png`` and ``<scenario>.svg`` for every scenario; return the paths."""
    pyplot = _pyplot()
    written: list[Path] = []
    for scenario in dict.fromkeys(row.scenario for row in rows):
        figure = draw_scenario(pyplot, scenario, titles.get(scenario, scenario), rows)
        for suffix in (".png", ".svg"):
            path = directory / f"{scenario}{suffix}"
            figure.savefig(path, dpi=100)
            written.append(path)
        pyplot.close(figure)
    return written
