"""labweb bench's command line, models, load parsing and optional extras, without load."""

from __future__ import annotations

import importlib.util
import io
import socket
import sys
import time
from pathlib import Path

import pytest

from twisted_wsgi_lab.bench import cli, load, models, outputs
from twisted_wsgi_lab.bench.load import parse_wrk_output
from twisted_wsgi_lab.bench.load_result import LoadResult
from twisted_wsgi_lab.bench.plots import plots_unavailable
from twisted_wsgi_lab.bench.progress import LineProgress, make_progress
from twisted_wsgi_lab.bench.results import Measurement
from twisted_wsgi_lab.bench.runner import Outcome
from twisted_wsgi_lab.bench.scenarios import SCENARIOS, user_scenario

WRK_OUTPUT = """\
Running 1s test @ http://127.0.0.1:8080/
  1 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   420.00us  100.00us   2.50ms   90.00%
    Req/Sec     9.50k   500.00    10.00k    80.00%
  Latency Distribution
     50%  400.00us
     75%  450.00us
     90%  500.00us
     99%    1.20ms
  9500 requests in 1.00s, 1.50MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 5
Requests/sec:   9500.00
Transfer/sec:      1.50MB
"""


def test_wrk_output_becomes_a_load_result_with_rate_latency_and_errors() -> None:
    result = parse_wrk_output(WRK_OUTPUT, url="http://127.0.0.1:8080/", connections=4)
    assert result.requests_per_second == 9500.0
    assert result.latency_ms == pytest.approx(
        {"p50": 0.4, "p75": 0.45, "p90": 0.5, "p99": 1.2, "max": 2.5}
    )
    assert result.errors == 3
    assert result.status_counts == {"2xx-3xx": 9495, "other": 5}
    assert result.bytes_received == int(1.5 * 1024 * 1024)


def test_unreadable_wrk_output_is_an_error_not_a_zero() -> None:
    with pytest.raises(load.BenchError, match="could not read"):
        parse_wrk_output("wrk: something went wrong", url="u", connections=1)


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


def test_without_a_load_generator_the_command_says_what_to_install(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(load.shutil, "which", lambda name: None)
    code, err = run_main(capsys, "--scenarios", "hello", "--out", str(tmp_path / "out"))
    assert code == 1
    assert err == "labweb bench: error: wrk is not installed (Debian/Ubuntu: apt-get install wrk)\n"


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


def test_idle_connections_to_a_server_that_never_answers_give_up_in_bounded_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A connection limit (waitress: 100) must cost the run seconds, not a timeout each."""
    monkeypatch.setattr(load, "IDLE_OPEN_SECONDS", 0.5)
    with socket.create_server(("127.0.0.1", 0), backlog=64) as silent:  # never accepts
        port = silent.getsockname()[1]
        started = time.monotonic()
        opened = load.open_idle_connections("127.0.0.1", port, 20)
        elapsed = time.monotonic() - started
        for sock in opened:
            sock.close()
    assert elapsed < 2.0
    assert 0 < len(opened) <= 20
