"""labweb bench's command line, models, load parsing and optional extras, without load."""

from __future__ import annotations

import importlib.util
import io
import sys
from pathlib import Path

import pytest

from twisted_wsgi_lab.bench import cli, load, models, outputs, processes, runner
from twisted_wsgi_lab.bench.load_result import LoadResult
from twisted_wsgi_lab.bench.plots import plots_unavailable
from twisted_wsgi_lab.bench.progress import LineProgress, make_progress
from twisted_wsgi_lab.bench.results import Measurement
from twisted_wsgi_lab.bench.runner import Outcome
from twisted_wsgi_lab.bench.scenarios import SCENARIOS, user_scenario


def run_main(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as info:
        raise SystemExit(cli.main(list(argv)))
    return int(str(info.value.code)), capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "option"),
    [
        (["--concurrency", "1,x"], "--concurrency"),
        (["--concurrency", "0"], "--concurrency"),
        (["--duration", "soon"], "--duration"),
        (["--rounds", "0"], "--rounds"),
        (["--rounds", "2,3"], "--rounds"),
        (["--models", "reactor,bogus"], "--models"),
        (["--scenarios", "hello,nope"], "--scenarios"),
        (["--app", "no_such_module_here:app"], "--app"),
        (["--app", "json"], "--app"),
        (["--compare", "missing-old.json", "missing-new.json"], "--compare"),
    ],
)
def test_bad_input_is_one_line_naming_the_option(
    capsys: pytest.CaptureFixture[str], argv: list[str], option: str
) -> None:
    code, err = run_main(capsys, *argv)
    assert code == 2
    assert err.count("\n") == 1
    assert err.startswith(f"labweb bench: error: {option}")


def test_without_wrk_the_bench_loads_with_labweb_s_own_generator(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(load.shutil, "which", lambda name: None)
    assert load.load_tool() == "labweb loadgen"
    spec = load.spec_for(load.LoadPlan("http://127.0.0.1:9/", 4, 1.0, idle_connections=8))
    assert (spec.connections, spec.idle_connections, spec.idle_seconds) == (4, 8, 1.0)


def test_threads_models_take_any_pool_size() -> None:
    model = models.model_named("threads-7")
    assert model is not None
    argv = model.command(models.Launch(8000, "m:app"))
    assert argv[2:] == [
        "twisted_wsgi_lab",
        *("--mode", "threads", "--threads", "7", "--app", "m:app"),
        *("--listen", "tcp:8000:interface=127.0.0.1"),
    ]
    assert models.model_named("threads-0") is None


def test_a_model_at_a_tree_is_that_model_run_from_another_checkout(tmp_path: Path) -> None:
    model = models.model_named(f"native@{tmp_path}")
    assert model is not None
    assert (model.name, model.tree, model.serves) == (f"native@{tmp_path}", str(tmp_path), "native")
    launch = models.Launch(8000, "m:app")
    assert model.command(launch) == models.MODELS["native"].command(launch)
    assert models.model_named("nothing@/tmp") is None
    assert models.model_named("reactor@") is None


def test_a_tree_without_labweb_is_refused_naming_the_option(tmp_path: Path) -> None:
    with pytest.raises(cli.UsageError, match=f"--models reactor@{tmp_path}: .*no twisted_wsgi_lab"):
        cli.chosen_models(f"reactor,reactor@{tmp_path}")


def test_the_server_of_a_model_at_a_tree_imports_that_trees_labweb(tmp_path: Path) -> None:
    tree = tmp_path / "other"
    (tree / "twisted_wsgi_lab").mkdir(parents=True)
    (tree / "twisted_wsgi_lab" / "__init__.py").write_text("WHERE = 'the other tree'\n")
    probe = [sys.executable, "-c", "import twisted_wsgi_lab as t; print(t.WHERE)"]
    env = runner.server_environment(str(tree))
    server = processes.start_server(f"reactor@{tree}", 0, probe, tmp_path, env, cwd=str(tree))
    assert server.process.wait(timeout=60) == 0
    assert server.log_path.read_text().strip() == "the other tree"


def test_a_model_that_cannot_serve_a_scenario_says_why() -> None:
    assert models.MODELS["canned"].skip_reason(SCENARIOS["blocking"]) == "runs no app: hello only"
    assert models.MODELS["canned"].skip_reason(SCENARIOS["hello"]) is None
    wsgi_app = user_scenario("myapp:app", "wsgi")
    assert (
        models.MODELS["native"].skip_reason(wsgi_app) == "serves native apps, the app is a WSGI app"
    )
    native_app = user_scenario("myapp:app", "native")
    assert (
        models.MODELS["reactor"].skip_reason(native_app)
        == "serves wsgi apps, the app is a native App"
    )
    assert models.MODELS["native"].skip_reason(native_app) is None


def test_an_optional_server_that_is_not_installed_is_skipped_naming_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    reason = models.MODELS["waitress"].skip_reason(SCENARIOS["hello"])
    assert reason == "waitress is not installed (pip install 'twisted-wsgi-lab[bench]')"


def block_imports(monkeypatch: pytest.MonkeyPatch, *names: str) -> None:
    """Make ``import name`` raise ImportError, as if the extra were not installed."""
    for name in names:
        monkeypatch.setitem(sys.modules, name, None)


def test_without_matplotlib_the_run_still_writes_its_reports_and_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    block_imports(monkeypatch, "matplotlib", "matplotlib.pyplot")
    assert plots_unavailable() == "plots need matplotlib: pip install 'twisted-wsgi-lab[bench]'"
    result = LoadResult("wrk", "u", 4, 1.0, 500, 0, {"200": 500}, latency_ms={"p50": 1, "p99": 2})
    outcome = Outcome([Measurement("hello", "reactor", 4, 1, result)])
    notes: list[str] = []
    stdout = io.StringIO()
    outputs.write_outputs(
        tmp_path, {"cores": 2}, {}, {"hello": "hi"}, outcome, stdout, notes.append
    )
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "report.html",
        "results.csv",
        "results.json",
    ]
    assert notes[0] == plots_unavailable()
    assert "reactor" in stdout.getvalue() and "500.0" in stdout.getvalue()


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_without_rich_progress_is_plain_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stderr", Terminal())
    block_imports(monkeypatch, "rich", "rich.console", "rich.progress")
    progress = make_progress(2)
    assert isinstance(progress, LineProgress)
    progress.step("hello c=4 r1 reactor: 100 req/s")
    assert sys.stderr.getvalue() == "[1/2] hello c=4 r1 reactor: 100 req/s\n"


def test_on_a_terminal_with_rich_progress_is_a_live_bar(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("rich")
    monkeypatch.setattr(sys, "stderr", Terminal())
    progress = make_progress(1)
    try:
        assert not isinstance(progress, LineProgress)
        progress.step("hello")
    finally:
        progress.close()
