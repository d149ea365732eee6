"""The examples in docs/ run: a user who copies them gets passing tests."""

from __future__ import annotations

import importlib.util
import json
import re
import shlex
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_the_testing_guide_examples_pass_as_one_test_file(tmp_path: Path) -> None:
    """docs/testing.md builds one test file block by block; run it as a user would."""
    text = (ROOT / "docs" / "testing.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) >= 3
    test_file = tmp_path / "test_greeting.py"
    test_file.write_text("\n\n".join(blocks))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test_file)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 passed" in result.stdout


def snippets(page: str) -> list[str]:
    text = (ROOT / "docs" / page).read_text()
    return re.findall(r"```python\n(.*?)```", text, re.S)


def router_snippets() -> list[str]:
    return snippets("router.md")


# The App's pages: each feature has a snippet that builds an App and checks it.
APP_PAGES = [
    "router.md",
    "middleware.md",
    "sessions.md",
    "cors.md",
    "templates.md",
    "lab.md",
    "faults.md",
    "dashboard.md",
]
APP_SNIPPETS = [(page, i) for page in APP_PAGES for i in range(len(snippets(page)))]


def test_the_router_guide_has_a_snippet_per_feature() -> None:
    assert len(router_snippets()) >= 10
    assert all(snippets(page) for page in APP_PAGES)


@pytest.mark.parametrize(("page", "index"), APP_SNIPPETS, ids=[f"{p}-{i}" for p, i in APP_SNIPPETS])
def test_each_app_page_snippet_runs_as_it_is(page: str, index: int) -> None:
    """Every snippet is complete: it builds an App and checks it with the test client."""
    code = compile(snippets(page)[index], f"docs/{page} snippet {index + 1}", "exec")
    exec(code, {"__name__": f"snippet_{page}_{index}"})


def test_the_parser_page_has_its_snippet() -> None:
    assert snippets("parser.md")


@pytest.mark.parametrize("index", range(len(snippets("parser.md"))))
def test_each_parser_page_snippet_runs_as_it_is(index: int) -> None:
    """docs/parser.md parses captured bytes with no Twisted: the snippet checks itself."""
    code = compile(snippets("parser.md")[index], f"docs/parser.md snippet {index + 1}", "exec")
    exec(code, {"__name__": f"snippet_parser_{index}"})


def static_snippets() -> list[str]:
    text = (ROOT / "docs" / "static.md").read_text()
    return re.findall(r"```python\n(.*?)```", text, re.S)


@pytest.mark.parametrize("index", range(len(static_snippets())))
def test_each_static_files_guide_snippet_runs_as_it_is(
    index: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The snippets write their files in the current directory: an empty one here."""
    monkeypatch.chdir(tmp_path)
    code = compile(static_snippets()[index], f"docs/static.md snippet {index + 1}", "exec")
    exec(code, {"__name__": f"static_snippet_{index}"})


def websocket_snippets() -> list[str]:
    text = (ROOT / "docs" / "websocket.md").read_text()
    return re.findall(r"```python\n(.*?)```", text, re.S)


def test_the_websocket_guide_has_its_snippets() -> None:
    assert len(websocket_snippets()) >= 4


@pytest.mark.parametrize("index", range(len(websocket_snippets())))
def test_each_websocket_guide_snippet_runs_as_it_is(index: int) -> None:
    """Every snippet builds an App and checks it with the test client's WebSocket."""
    code = compile(websocket_snippets()[index], f"docs/websocket.md snippet {index + 1}", "exec")
    exec(code, {"__name__": f"websocket_snippet_{index}"})


def forms_snippets() -> list[str]:
    text = (ROOT / "docs" / "forms.md").read_text()
    return re.findall(r"```python\n(.*?)```", text, re.S)


def test_the_forms_guide_has_its_snippets() -> None:
    assert len(forms_snippets()) >= 3


@pytest.mark.parametrize("index", range(len(forms_snippets())))
def test_each_forms_guide_snippet_runs_as_it_is(index: int) -> None:
    code = compile(forms_snippets()[index], f"docs/forms.md snippet {index + 1}", "exec")
    exec(code, {"__name__": f"forms_snippet_{index}"})


def test_the_readme_app_snippet_answers() -> None:
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    [snippet] = [block for block in blocks if "App()" in block]
    namespace: dict[str, object] = {}
    exec(compile(textwrap.dedent(snippet), "README.md", "exec"), namespace)
    app = namespace["app"]
    assert app.test_client().get("/hello/ada").json() == {"hello": "ada"}  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "name",
    ["labweb.socket", "labweb.service", "nginx.conf", "haproxy.cfg", "haproxy-proxy-protocol.cfg"],
)
def test_the_deployment_guide_shows_each_tested_configuration_exactly(name: str) -> None:
    """docs/deploy.md and the files the e2e tests run must not drift apart."""
    text = (ROOT / "deploy" / name).read_text()
    assert text in (ROOT / "docs" / "deploy.md").read_text()


def marked_blocks(page: str) -> dict[str, str]:
    """Blocks marked ``<!-- test: NAME -->`` just above their fence, by name."""
    text = (ROOT / "docs" / page).read_text()
    return dict(re.findall(r"<!-- test: (\w+) -->\n```\w+\n(.*?)```", text, re.S))


def labweb_command(line: str) -> list[str]:
    """``labweb ...`` as this interpreter's ``python -m twisted_wsgi_lab ...``."""
    words = shlex.split(line.replace("\\\n", " "))
    assert words[0] == "labweb"
    return [sys.executable, "-m", "twisted_wsgi_lab", *words[1:]]


@pytest.mark.subprocess
def test_the_benchmarks_page_quick_run_writes_every_report(tmp_path: Path) -> None:
    """docs/benchmarks.md's first command, run as it is: table, JSON, CSV, HTML, plots."""
    done = subprocess.run(
        labweb_command(marked_blocks("benchmarks.md")["quick"]),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    out = tmp_path / "bench-results"
    document = json.loads((out / "results.json").read_text())
    rates = {row["model"]: row["requests_per_second"] for row in document["summary"]}
    assert set(rates) == {"reactor", "threads-4", "canned"}
    assert all(rate > 0 for rate in rates.values()), rates
    assert "reactor" in done.stdout and "canned" in done.stdout
    assert (out / "results.csv").read_text().count("\n") == 4
    page = (out / "report.html").read_text()
    assert "<table>" in page and "threads-4" in page
    if importlib.util.find_spec("matplotlib") is not None:
        assert (out / "hello.png").stat().st_size > 0
        assert "<svg" in page  # the figure is inside the page, not beside it


@pytest.mark.subprocess
def test_the_benchmarks_page_measures_a_users_native_app(tmp_path: Path) -> None:
    """The page's myapp.py under ``labweb bench --app``: native runs, reactor is skipped."""
    blocks = marked_blocks("benchmarks.md")
    (tmp_path / "myapp.py").write_text(blocks["myapp"])
    done = subprocess.run(
        labweb_command(blocks["myapp_bench"]),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    document = json.loads((tmp_path / "myapp-results" / "results.json").read_text())
    assert {row["model"] for row in document["summary"]} == {"native"}
    assert document["skipped"][0]["model"] == "reactor"
    assert "skipping reactor" in done.stderr
