"""``labweb bench``: the same app under every serving model, loaded the same way.

Bad input is one line naming the option, exit status 2; a run that cannot go on (no
load generator, a server that does not start) is one line and its log tail, status 1.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from .compare import compare, format_changes
from .load import load_tool
from .machine import describe_machine
from .models import DEFAULT_MODELS, MODELS, Model, model_named, tree_problem
from .outputs import write_outputs
from .processes import BenchError
from .progress import make_progress
from .report import ReportFormatError, read_json, summaries
from .runner import Outcome, Settings, count_steps, run_bench
from .scenarios import SCENARIOS, Scenario, user_scenario

EXIT_USAGE = 2
EXIT_FAILED = 1

EPILOG = """\
examples:
  labweb bench --scenarios hello,blocking --models reactor,threads-16 --duration 2
  labweb bench --app myapp:app --concurrency 1,16,64
  labweb bench --compare before/results.json after/results.json
"""


class UsageError(Exception):
    """Bad command-line input; ``str(error)`` names the option."""


class Parser(argparse.ArgumentParser):
    """argparse, with errors as one line and no usage block."""

    def error(self, message: str) -> NoReturn:
        print(f"labweb bench: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def build_parser() -> Parser:
    parser = Parser(
        prog="labweb bench",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add = parser.add_argument
    add(
        "--app",
        metavar="MOD:APP",
        help="a WSGI app or native App of yours, instead of the scenarios",
    )
    add("--scenarios", default=",".join(SCENARIOS), help=f"from: {','.join(SCENARIOS)}")
    add(
        "--models",
        default=",".join(DEFAULT_MODELS),
        help="from: "
        + ",".join(MODELS)
        + " (threads-N: any N; MODEL@DIR: MODEL run from the labweb checkout in DIR); default: "
        + ",".join(DEFAULT_MODELS),
    )
    add("--concurrency", default="1,16,64,256", help="connection counts to measure")
    add("--duration", default="5", metavar="S", help="seconds per load run (wrk: whole seconds)")
    add("--rounds", default="3", metavar="N", help="alternating rounds; medians over them")
    add("--warmup", default="1", metavar="S", help="unmeasured seconds per server first; 0: none")
    add("--out", type=Path, default=Path("bench-results"), metavar="DIR", help="where results go")
    add("--plain", action="store_true", help="progress as lines, not a bar")
    add("--compare", nargs=2, type=Path, metavar=("OLD", "NEW"), help="compare two results.json")
    return parser  # fmt: skip


def positive_ints(option: str, text: str) -> tuple[int, ...]:
    """``"1,16,64"`` -> ``(1, 16, 64)``; anything else is a UsageError naming ``option``."""
    try:
        values = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise UsageError(f"{option}: {text!r} is not a comma-separated list of integers") from None
    if any(value < 1 for value in values):
        raise UsageError(f"{option}: {text!r}: every value must be at least 1")
    return values


def positive_int(option: str, text: str) -> int:
    """One integer of at least 1, or a UsageError naming ``option``."""
    values = positive_ints(option, text)
    if len(values) != 1:
        raise UsageError(f"{option}: {text!r} must be one integer")
    return values[0]


def number(option: str, text: str, *, minimum: float) -> float:
    """A number of at least ``minimum``, or a UsageError naming ``option``."""
    try:
        value = float(text)
    except ValueError:
        raise UsageError(f"{option}: {text!r} is not a number") from None
    if value < minimum or value != value:
        raise UsageError(f"{option}: {text!r} must be at least {minimum:g}")
    return value


def chosen_models(text: str) -> tuple[Model, ...]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    models = [model_named(name) for name in names]
    unknown = [name for name, model in zip(names, models, strict=True) if model is None]
    if unknown or not names:
        known = ",".join(MODELS)
        raise UsageError(f"--models: unknown {','.join(unknown) or 'empty list'}; from: {known}")
    chosen = tuple(model for model in models if model is not None)
    for model in chosen:
        problem = tree_problem(model.tree) if model.tree is not None else None
        if problem is not None:
            raise UsageError(f"--models {model.name}: {problem}")
    return chosen


def chosen_scenarios(text: str) -> tuple[Scenario, ...]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in SCENARIOS]
    if unknown or not names:
        known = ",".join(SCENARIOS)
        raise UsageError(f"--scenarios: unknown {','.join(unknown) or 'empty list'}; from: {known}")
    return tuple(SCENARIOS[name] for name in names)


def app_kind(spec: str) -> str:
    """``"wsgi"`` or ``"native"``: what ``--app`` names, imported from the current directory."""
    from twisted_wsgi_lab import App

    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise UsageError(f"--app: {spec!r} is not module:attribute")
    sys.path.insert(0, os.getcwd())
    try:
        target = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as error:
        raise UsageError(f"--app: cannot load {spec}: {error}") from None
    if isinstance(target, App):
        return "native"
    if callable(target):
        return "wsgi"
    raise UsageError(f"--app: {spec} is neither a WSGI callable nor a native App")


def settings_from(options: argparse.Namespace) -> Settings:
    """Check every option; raise UsageError naming the first bad one."""
    if options.app is not None:
        scenarios: tuple[Scenario, ...] = (user_scenario(options.app, app_kind(options.app)),)
    else:
        scenarios = chosen_scenarios(options.scenarios)
    return Settings(
        scenarios=scenarios,
        models=chosen_models(options.models),
        concurrency=positive_ints("--concurrency", options.concurrency),
        duration_seconds=number("--duration", options.duration, minimum=0.1),
        rounds=positive_int("--rounds", options.rounds),
        warmup_seconds=number("--warmup", options.warmup, minimum=0.0),
    )


def settings_json(settings: Settings) -> dict[str, Any]:
    return {
        "scenarios": [scenario.name for scenario in settings.scenarios],
        "models": [model.name for model in settings.models],
        "concurrency": list(settings.concurrency),
        "duration_seconds": settings.duration_seconds,
        "rounds": settings.rounds,
        "warmup_seconds": settings.warmup_seconds,
    }


def run_compare(old: Path, new: Path) -> int:
    """Print the change from one report to another."""
    try:
        changes = compare(summaries(read_json(old)), summaries(read_json(new)))
    except ReportFormatError as error:
        print(f"labweb bench: error: --compare: {error}", file=sys.stderr)
        return EXIT_USAGE
    print(format_changes(changes))
    return 0


def run(settings: Settings, out: Path, plain: bool) -> int:
    """Measure, then write every output to ``out``, even after a failure midway."""
    out.mkdir(parents=True, exist_ok=True)
    machine = describe_machine(load_tool())
    progress = make_progress(count_steps(settings), plain=plain)
    outcome = Outcome()
    failure: BenchError | None = None
    try:
        run_bench(settings, progress, outcome)
    except BenchError as error:
        failure = error
    except KeyboardInterrupt:
        failure = BenchError("interrupted; the reports hold what was measured until then")
    finally:
        progress.close()
    if failure is not None:
        print(f"labweb bench: error: {failure}", file=sys.stderr)
        print("\n".join(failure.details), file=sys.stderr)
    if outcome.measurements:
        descriptions = {scenario.name: scenario.description for scenario in settings.scenarios}
        settings_data = settings_json(settings)
        write_outputs(out, machine, settings_data, descriptions, outcome, sys.stdout, progress.note)
    return EXIT_FAILED if failure is not None else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line, then compare two runs or make a new one."""
    options = build_parser().parse_args(argv)
    if options.compare is not None:
        return run_compare(*options.compare)
    try:
        settings = settings_from(options)
    except UsageError as error:
        print(f"labweb bench: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    return run(settings, options.out, options.plain)
