"""The examples in docs/ run: a user who copies them gets passing tests."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

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
