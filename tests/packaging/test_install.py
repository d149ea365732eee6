"""Installed into a fresh virtualenv, labweb shows up in ``twistd --help``, and goes away.

The twistd dropin ``twisted/plugins/labweb.py`` must be found after both a regular and an
editable install, and an uninstall must take it (and nothing of Twisted's) away again.
The venv gets Twisted and labweb's other runtime dependencies from the package index
(pip's cache makes repeats fast); labweb itself is installed from a copy of this
checkout with ``--no-deps``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = [pytest.mark.packaging, pytest.mark.timeout(300)]

ROOT = Path(__file__).resolve().parents[2]
QUICK_SECONDS = 60  # venv creation, uninstall, --help
NETWORK_SECONDS = 180  # anything that may download or build
LISTED = re.compile(r"^\s+labweb\s+An HTTP/1\.1 server", re.M)
NOT_COPIED = shutil.ignore_patterns(
    ".git",
    "__pycache__",
    "*.pyc",
    "dropin.cache",
    ".*_cache",
    ".hypothesis",
    "*.egg-info",
    "build",
    "dist",
    "site",
    ".venv",
    "venv",
)


@dataclass(frozen=True)
class Venv:
    """A virtualenv with Twisted but not labweb, and a copy of this checkout beside it."""

    path: Path
    source: Path
    workdir: Path

    def run(self, *argv: str, timeout: float = QUICK_SECONDS) -> subprocess.CompletedProcess[str]:
        """Run ``argv[0]`` from the venv's bin directory, outside the checkout."""
        program = str(self.path / "bin" / argv[0])
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
        env["VIRTUAL_ENV"] = str(self.path)
        env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
        return subprocess.run(
            [program, *argv[1:]],
            cwd=self.workdir,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def check(self, *argv: str, timeout: float = QUICK_SECONDS) -> str:
        """Run and insist on success; return stdout."""
        result = self.run(*argv, timeout=timeout)
        assert result.returncode == 0, f"{argv}:\n{result.stdout}\n{result.stderr}"
        return result.stdout

    def pip(self, *arguments: str, timeout: float = NETWORK_SECONDS) -> str:
        return self.check("python", "-m", "pip", *arguments, timeout=timeout)

    def twistd_help(self) -> str:
        return self.check("twistd", "--help")


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Venv]:
    base = tmp_path_factory.mktemp("packaging")
    source = base / "source"
    shutil.copytree(ROOT, source, ignore=NOT_COPIED)
    workdir = base / "elsewhere"
    workdir.mkdir()
    subprocess.run(
        [sys.executable, "-m", "venv", str(base / "venv")],
        check=True,
        capture_output=True,
        timeout=QUICK_SECONDS,
    )
    env = Venv(base / "venv", source, workdir)
    env.pip("install", "--quiet", *runtime_dependencies())
    yield env


def runtime_dependencies() -> list[str]:
    """The ``[project] dependencies`` of pyproject.toml (Twisted among them)."""
    text = (ROOT / "pyproject.toml").read_text()
    block = re.search(r"^dependencies = \[(.*?)^\]", text, re.M | re.S)
    assert block is not None
    return re.findall(r'^\s*"([^"]+)"', block.group(1), re.M)


def test_a_fresh_venv_with_twisted_does_not_know_labweb(venv):
    assert not LISTED.search(venv.twistd_help())
    assert "twisted-wsgi-lab" not in venv.pip("list", timeout=QUICK_SECONDS)


def test_pip_install_lists_labweb_in_twistd_and_uninstall_removes_it(venv):
    venv.pip("install", "--quiet", "--no-deps", str(venv.source))
    assert LISTED.search(venv.twistd_help())
    assert "--max-body=" in venv.check("labweb", "--help")
    assert "--max-body=" in venv.check("twistd", "labweb", "--help")
    page = "(files('twisted_wsgi_lab.lab') / 'dashboard_page' / 'dashboard.js').read_text()"
    script = venv.check("python", "-c", f"from importlib.resources import files; print({page})")
    assert "new WebSocket" in script  # the --lab dashboard's files are package data

    venv.pip("uninstall", "--yes", "twisted-wsgi-lab", timeout=QUICK_SECONDS)
    assert not LISTED.search(venv.twistd_help())  # and Twisted's own plugins still load
    assert not (venv.path / "bin" / "labweb").exists()


def test_pip_install_editable_lists_labweb_in_twistd_and_runs_labweb(venv):
    venv.pip("install", "--quiet", "--no-deps", "--editable", str(venv.source))
    try:
        assert LISTED.search(venv.twistd_help())
        assert "--max-body=" in venv.check("labweb", "--help")
        imported = venv.check(
            "python", "-c", "import twisted_wsgi_lab; print(twisted_wsgi_lab.__file__)"
        )
        assert Path(imported.strip()).is_relative_to(venv.source)
    finally:
        venv.pip("uninstall", "--yes", "twisted-wsgi-lab", timeout=QUICK_SECONDS)
