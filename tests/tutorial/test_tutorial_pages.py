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

TUTORIAL = sorted((ROOT / "docs" / "tutorial").glob("step*.md"))
TRACE_HOWTO = ROOT / "docs" / "howto" / "trace-a-client.md"
PIPELINING_HOWTO = ROOT / "docs" / "howto" / "pipelining-keepalive.md"
TRACE_LINE = re.compile(r"^(\d\d):(\d\d):(\d\d\.\d{3}) \[\d+\] (.*)$")


def test_the_tutorial_has_a_page_and_a_program_per_step() -> None:
    steps = [page.stem for page in TUTORIAL]
    assert steps == [f"step{n}" for n in range(1, 7)]
    for page in TUTORIAL:
        programs = re.findall(r"examples/tutorial/(step\d_\w+)\.py", page.read_text())
        assert programs and programs[0].startswith(page.stem + "_"), page.name
        assert (ROOT / "examples" / "tutorial" / f"{programs[0]}.py").is_file()


def replay(page: Path, directory: Path) -> Session:
    """Run the page's session; every ``text`` block on it is an output, and was compared."""
    session = Session(page, directory)
    session.run()
    shown = [block for block in blocks(page) if block.kind == "text"]
    assert session.commands_run >= 1
    assert session.outputs_compared == len(shown) >= 1
    return session


@pytest.mark.subprocess
@pytest.mark.parametrize("page", [*TUTORIAL, TRACE_HOWTO], ids=lambda page: page.stem)
def test_every_output_shown_on_the_page_is_what_the_programs_print(
    page: Path, tmp_path: Path
) -> None:
    replay(page, tmp_path)


@pytest.mark.subprocess
def test_the_pipelining_page_replays_and_its_trace_has_the_timing_the_text_describes(
    tmp_path: Path,
) -> None:
    """Times are normalised when outputs are compared; here they are checked."""
    session = replay(PIPELINING_HOWTO, tmp_path)
    events: list[tuple[float, str]] = []
    for line in session.servers[-1].transcript:
        if found := TRACE_LINE.match(line):
            hours, minutes, seconds, text = found.groups()
            events.append((int(hours) * 3600 + int(minutes) * 60 + float(seconds), text))

    def when(text: str, *, last: bool = False) -> float:
        times = [time for time, event in events if event.startswith(text)]
        return times[-1] if last else times[0]

    slow_answered = when("< this answers /slow") - when("> GET /fast")
    assert slow_answered >= 0.25  # the sleep held /slow, and /fast behind it
    assert when("< this answers /fast") >= when("< this answers /slow")
    idle = when("* timed out waiting (keepalive)") - when("< this answers /again")
    assert 1.9 <= idle < 10


@pytest.mark.parametrize("page", TUTORIAL, ids=lambda page: page.stem)
def test_every_code_excerpt_on_a_step_page_is_in_the_programs(page: Path) -> None:
    """The excerpts are copied from examples/tutorial/, and must stay so."""
    sources = "\n".join(path.read_text() for path in (ROOT / "examples" / "tutorial").glob("*.py"))
    excerpts = [block.text for block in blocks(page) if block.kind == "python"]
    for excerpt in excerpts:
        assert excerpt in sources, f"{page.name}: not in examples/tutorial/:\n{excerpt}"
