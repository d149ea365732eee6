"""The tutorial and the lab how-tos show what their programs really print.

Each page is replayed as a reader would type it (tests/tutorial/doc_session.py):
the servers started on 127.0.0.1, the clients run, and every output block compared
with what the programs printed, so the pages cannot drift from the code.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from doc_session import ROOT, Session, blocks

pytestmark = pytest.mark.subprocess

TUTORIAL = sorted((ROOT / "docs" / "tutorial").glob("step*.md"))
HOWTOS = [ROOT / "docs" / "howto" / name for name in ("trace-a-client.md", "pipelining-keepalive.md")]


def test_the_tutorial_has_a_page_and_a_program_per_step() -> None:
    steps = [page.stem for page in TUTORIAL]
    assert steps == [f"step{n}" for n in range(1, 7)]
    for page in TUTORIAL:
        programs = re.findall(r"examples/tutorial/(step\d_\w+)\.py", page.read_text())
        assert programs and programs[0].startswith(page.stem + "_"), page.name
        assert (ROOT / "examples" / "tutorial" / f"{programs[0]}.py").is_file()


@pytest.mark.parametrize("page", TUTORIAL + HOWTOS, ids=lambda page: page.stem)
def test_every_output_shown_on_the_page_is_what_the_programs_print(
    page: Path, tmp_path: Path
) -> None:
    session = Session(page, tmp_path)
    session.run()
    shown = [block for block in blocks(page) if block.kind == "text"]
    assert session.commands_run >= 1
    assert session.outputs_compared >= 1
    assert len(shown) >= session.outputs_compared


@pytest.mark.parametrize("page", TUTORIAL, ids=lambda page: page.stem)
def test_every_code_excerpt_on_a_step_page_is_in_the_programs(page: Path) -> None:
    """The excerpts are copied from examples/tutorial/, and must stay so."""
    sources = "\n".join(path.read_text() for path in (ROOT / "examples" / "tutorial").glob("*.py"))
    excerpts = [block.text for block in blocks(page) if block.kind == "python"]
    for excerpt in excerpts:
        assert excerpt in sources, f"{page.name}: not in examples/tutorial/:\n{excerpt}"
