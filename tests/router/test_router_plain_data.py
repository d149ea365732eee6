"""The router's data pieces (headers, cookies, responses, errors) load no Twisted.

They are plain values: a handler's tests, or a tool reading responses, can use them
without a reactor, and a slip that pulled Twisted in would show here first.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import twisted_wsgi_lab

ROOT = Path(twisted_wsgi_lab.__file__).parents[1]
PLAIN_MODULES = ["headers", "cookies", "response", "accept", "errors"]


def test_importing_the_data_modules_loads_no_twisted_module() -> None:
    imports = ", ".join(f"twisted_wsgi_lab.router.{name}" for name in PLAIN_MODULES)
    code = (
        f"import sys, {imports}; "
        "print(sorted(m for m in sys.modules if m.partition('.')[0] in ('twisted', 'zope')))"
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
