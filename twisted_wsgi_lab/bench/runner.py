"""Run a bench: serve each scenario under each model, load them in alternating rounds.

For one scenario every applicable model is started at once, each on its own free port
on 127.0.0.1, and must answer ``GET /`` with 200 before anything is measured. After an
unmeasured warm-up, every concurrency level is measured in rounds that alternate the
models (A B C A B C ...): a drift of the shared machine lands on all of them alike.
The servers are always stopped, whatever failed.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .load import LoadPlan, run_load
from .load_result import LoadResult
from .memory import PeakSampler, tree_kib
from .models import Launch, Model
from .processes import (
    HOST,
    BenchError,
    Server,
    free_ports,
    start_server,
    stop_server,
    wait_until_ready,
)
from .progress import Progress
from .results import Measurement
from .scenarios import Scenario


@dataclass(frozen=True)
class Settings:
    """What to run: the command line, checked."""

    scenarios: tuple[Scenario, ...]
    models: tuple[Model, ...]
    concurrency: tuple[int, ...]
    duration_seconds: float
    rounds: int
    warmup_seconds: float = 1.0


@dataclass
class Outcome:
    """Every round measured, and every (scenario, model) left out with its reason."""

    measurements: list[Measurement] = field(default_factory=list)
    skipped: list[tuple[str, str, str]] = field(default_factory=list)


def applicable(
    scenario: Scenario, models: Sequence[Model]
) -> tuple[list[Model], list[tuple[str, str, str]]]:
    """Split ``models`` into those that serve ``scenario`` and those skipped, with reasons."""
    runnable: list[Model] = []
    skipped: list[tuple[str, str, str]] = []
    for model in models:
        reason = model.skip_reason(scenario)
        if reason is None:
            runnable.append(model)
        else:
            skipped.append((scenario.name, model.name, reason))
    return runnable, skipped


def count_steps(settings: Settings) -> int:
    """How many load runs the settings make: the progress bar's total."""
    per_model = len(settings.concurrency) * settings.rounds
    return sum(
        per_model * len(applicable(scenario, settings.models)[0]) for scenario in settings.scenarios
    )


def alternation(
    models: Sequence[str], concurrency: Sequence[int], rounds: int
) -> list[tuple[int, int, str]]:
    """The order of the runs: per concurrency level, rounds of every model in turn."""
    return [
        (level, number, model)
        for level in concurrency
        for number in range(1, rounds + 1)
        for model in models
    ]


def run_bench(settings: Settings, progress: Progress, outcome: Outcome) -> None:
    """Measure every scenario in turn into ``outcome``; skipped models become notes.

    ``outcome`` is the caller's, so what was measured before a failure is kept.

    Raises:
        BenchError: a server died or the load failed during a run.
    """
    for scenario in settings.scenarios:
        models, skipped = applicable(scenario, settings.models)
        for _, model_name, reason in skipped:
            progress.note(f"{scenario.name}: skipping {model_name}: {reason}")
        outcome.skipped.extend(skipped)
        if models:
            measure_scenario(scenario, models, settings, progress, outcome)


def server_environment(tree: str | None = None) -> dict[str, str]:
    """The environment with the current directory importable, as for ``labweb --app``.

    With ``tree`` (``MODEL@TREE``) that checkout comes first, so its labweb is the one run
    (the server starts in it too: see ``start_server``'s ``cwd``).
    """
    env = dict(os.environ)
    first = [os.path.abspath(tree)] if tree is not None else []
    paths = [*first, os.getcwd(), *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def measure_scenario(
    scenario: Scenario,
    models: Sequence[Model],
    settings: Settings,
    progress: Progress,
    outcome: Outcome,
) -> None:
    """Start the models' servers for one scenario, measure them, and stop them.

    A server that does not start is skipped, with its reason and output shown; the
    others are measured.
    """
    servers: dict[str, Server] = {}
    with tempfile.TemporaryDirectory(prefix="labweb-bench-") as log_dir:
        try:
            for model, port in zip(models, free_ports(len(models)), strict=True):
                argv = model.command(Launch(port, model.app_for(scenario) or ""))
                env = server_environment(model.tree)
                # ``python -m`` puts its working directory first on sys.path: a model
                # run from another checkout starts in it, so that labweb is the one run.
                servers[model.name] = start_server(
                    model.name, port, argv, Path(log_dir), env, cwd=model.tree
                )
            for name in list(servers):
                if not started(servers[name], scenario, progress, outcome):
                    stop_server(servers.pop(name))
            warm_up(scenario, servers.values(), settings)
            outcome.measurements.extend(measure_rounds(scenario, servers, settings, progress))
        finally:
            for server in servers.values():
                stop_server(server)


def started(server: Server, scenario: Scenario, progress: Progress, outcome: Outcome) -> bool:
    """Whether ``server`` answers; if not, say why and record it as skipped."""
    try:
        wait_until_ready(server)
    except BenchError as error:
        progress.note(f"{scenario.name}: skipping {error}")
        for line in error.details:
            progress.note(line)
        outcome.skipped.append((scenario.name, server.name, str(error)))
        return False
    return True


def url_of(server: Server) -> str:
    return f"http://{HOST}:{server.port}/"


def warm_up(scenario: Scenario, servers: Iterable[Server], settings: Settings) -> None:
    """One unmeasured run per server at the first concurrency level (imports, caches)."""
    if settings.warmup_seconds <= 0:
        return
    for server in servers:
        run_load(scenario.plan(url_of(server), settings.concurrency[0], settings.warmup_seconds))


def measure_rounds(
    scenario: Scenario, servers: dict[str, Server], settings: Settings, progress: Progress
) -> list[Measurement]:
    """Every (concurrency, round, model) in alternating order."""
    measurements = []
    for level, number, name in alternation(list(servers), settings.concurrency, settings.rounds):
        server = servers[name]
        plan = scenario.plan(url_of(server), level, settings.duration_seconds)
        measurement = measure_once(server, scenario, plan, level, number)
        measurements.append(measurement)
        progress.step(
            f"{scenario.name} c={level} r{number} {name}: "
            f"{measurement.load.requests_per_second:.0f} req/s"
        )
    return measurements


def measure_once(
    server: Server, scenario: Scenario, plan: LoadPlan, level: int, number: int
) -> Measurement:
    """One load run; for ``idle`` the server's memory before and at its peak too."""
    server.ensure_running()
    before = peak = None
    if scenario.idle:
        before = tree_kib(server.process.pid)
        with PeakSampler(server.process.pid) as sampler:
            load = checked_load(server, plan)
        peak = sampler.peak_kib
    else:
        load = checked_load(server, plan)
    server.ensure_running()
    return Measurement(scenario.name, server.name, level, number, load, before, peak)


def checked_load(server: Server, plan: LoadPlan) -> LoadResult:
    """``run_load``, with the server's own output attached when the load fails."""
    try:
        return run_load(plan)
    except BenchError as error:
        server.ensure_running()
        raise BenchError(f"{server.name}: {error}", details=error.details) from None
