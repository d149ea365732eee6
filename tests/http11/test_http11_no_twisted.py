"""The sans-IO package stays free of Twisted, so it can be read and fuzzed on its own."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import twisted_wsgi_lab.http11

PACKAGE = Path(twisted_wsgi_lab.http11.__file__).parent
ROOT = PACKAGE.parents[1]


def test_importing_http11_loads_no_twisted_module() -> None:
    code = (
        "import sys, twisted_wsgi_lab.http11, twisted_wsgi_lab.http11.writer, "
        "twisted_wsgi_lab.http11.dates; "
        "print(sorted(m for m in sys.modules if m.partition('.')[0] == 'twisted'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert result.stdout.strip() == "[]"


def _imported_roots(source: str) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            roots.update(alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.partition(".")[0])
    return roots


@pytest.mark.parametrize("path", sorted(PACKAGE.glob("**/*.py")), ids=lambda path: path.name)
def test_no_module_of_http11_imports_twisted(path: Path) -> None:
    assert "twisted" not in _imported_roots(path.read_text(encoding="utf-8"))


def test_the_import_check_would_see_every_spelling_of_a_twisted_import() -> None:
    source = "import os, twisted\nimport twisted.internet\nfrom twisted.web import http\n"
    for line in source.splitlines():
        assert "twisted" in _imported_roots(line)
    assert "twisted" not in _imported_roots("from twisted_wsgi_lab import http11\n")
