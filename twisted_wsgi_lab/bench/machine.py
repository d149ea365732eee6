"""The machine a run was measured on: figures from one machine compare only with its own."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import twisted_wsgi_lab


def package_version(name: str) -> str | None:
    """The installed version of a distribution, or None."""
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def tool_version(argv: list[str]) -> str:
    """First line a ``--version`` command prints, or ''."""
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    lines = (done.stdout or done.stderr).strip().splitlines()
    return " ".join(lines[0].split()[:2]) if lines else ""  # "wrk 4.1.0", not the copyright


def describe_machine(load_tool: str) -> dict[str, Any]:
    """Cores, platform, Python, Twisted, labweb and load generator versions."""
    return {
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "processor": platform.machine(),
        "python": sys.version.split()[0],
        "twisted": package_version("twisted"),
        "labweb": twisted_wsgi_lab.__version__,
        "load_generator": load_tool,
        "load_generator_version": tool_version([load_tool, "--version"])
        if load_tool == "wrk"
        else "",
    }


def machine_line(machine: dict[str, Any]) -> str:
    """One line naming the machine, for the terminal and the HTML report."""
    load = machine.get("load_generator_version") or machine.get("load_generator")
    return (
        f"{machine.get('cores')} cores, {machine.get('platform')}, Python {machine.get('python')}, "
        f"Twisted {machine.get('twisted')}, labweb {machine.get('labweb')}, load from {load}"
    )
