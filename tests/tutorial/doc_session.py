"""Replay a documentation page's terminal session and compare what it shows.

A page of docs/tutorial/ or docs/howto/ is a session: ``sh`` blocks are commands, a
``text`` block right after one is its output, ``<!-- start-server -->`` before an
``sh`` block starts that command in the background, and ``<!-- server-output -->``
before a ``text`` block shows what the server printed since the last such block
(labweb's own timestamped log lines left out). Everything runs in a scratch directory
where ``examples`` links to the real one, on 127.0.0.1, with port 8000 in the page
standing for the port the server really got. Times, dates, ports and labweb's version
are normalised on both sides; everything else must match exactly.
"""

from __future__ import annotations

import os
import queue
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WAIT_SECONDS = 20.0
DOC_PORT = "8000"
LISTENING = re.compile(r"(?:listening|serving) .*on http://127\.0\.0\.1:(\d+)/")
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\dT\S+ \[")
TOKEN = re.compile(r"<!-- (start-server|server-output) -->|```(\w*)\n(.*?)```", re.S)
NORMALISE = [
    (re.compile(r"\b\d\d:\d\d:\d\d\.\d{3}\b"), "HH:MM:SS.mmm"),
    (re.compile(r"\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT"), "DATE GMT"),
    (re.compile(r"127\.0\.0\.1:\d+"), "127.0.0.1:PORT"),
    (re.compile(r"labweb/\d+\.\d+\.\d+"), "labweb/VERSION"),
]


def normalise(text: str) -> str:
    """What may differ between two runs, replaced; trailing spaces dropped."""
    for pattern, replacement in NORMALISE:
        text = pattern.sub(replacement, text)
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines())


@dataclass
class Block:
    kind: str  # "sh", "text", "python", ... or a marker: "start-server", "server-output"
    text: str
    start: int
    end: int


def blocks(page: Path) -> list[Block]:
    """The page's fenced blocks and markers, in order."""
    found = []
    for match in TOKEN.finditer(page.read_text()):
        kind = match.group(1) or match.group(2)
        found.append(Block(kind, match.group(3) or "", match.start(), match.end()))
    return found


def command_line(text: str, port: str) -> list[str]:
    """The page's one command, with ``python``/``labweb`` as this interpreter runs them."""
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    assert len(lines) == 1, f"one command per sh block, not {lines}"
    words = shlex.split(re.sub(rf"\b{DOC_PORT}\b", port, lines[0]))
    programs = {"python": [sys.executable], "labweb": [sys.executable, "-m", "twisted_wsgi_lab"]}
    assert words[0] in programs or words[0] == "cat", f"not a command the session runs: {words}"
    return programs.get(words[0], ["cat"]) + words[1:]


class Server:
    """A long-running command whose merged output is read as it comes."""

    def __init__(self, command: list[str], cwd: Path, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.transcript: list[str] = []  # every line, log lines too
        self._unread: list[str] = []  # lines read while waiting for the port
        threading.Thread(target=self._read, daemon=True).start()
        self.port = self._wait_for_port()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def _next(self, deadline: float) -> str | None:
        try:
            line = self.lines.get(timeout=max(0.0, min(0.2, deadline - time.monotonic())))
        except queue.Empty:
            return None
        self.transcript.append(line)
        return line

    def _wait_for_port(self) -> str:
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            line = self._next(deadline)
            if line is not None:
                self._unread.append(line)
                if found := LISTENING.search(line):
                    return found.group(1)
            assert self.process.poll() is None or not self.lines.empty(), self.text()
        raise AssertionError(f"the server never said where it listens:\n{self.text()}")

    def output_lines(self, count: int, quiet_seconds: float | None = None) -> list[str]:
        """The next ``count`` lines that are not labweb's log lines (bounded wait).

        With ``quiet_seconds``, stop early once nothing came for that long.
        """
        shown: list[str] = []
        deadline = time.monotonic() + WAIT_SECONDS
        heard = time.monotonic()
        while len(shown) < count and time.monotonic() < deadline:
            line = self._unread.pop(0) if self._unread else self._next(deadline)
            if line is None:
                if quiet_seconds is not None and time.monotonic() - heard > quiet_seconds:
                    break
                continue
            heard = time.monotonic()
            if not LOG_LINE.match(line):
                shown.append(line)
        return shown

    def text(self) -> str:
        return "\n".join(self.transcript)

    def stop(self) -> None:
        """Ctrl-C, as the page tells the reader; killed if that is not enough."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=WAIT_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=WAIT_SECONDS)
        while self._next(time.monotonic()) is not None:
            pass
        if self.process.stdout is not None:
            self.process.stdout.close()


@dataclass
class Session:
    """The page replayed in ``directory``; ``servers`` keeps every server it started."""

    page: Path
    directory: Path
    servers: list[Server] = field(default_factory=list)
    record: bool = False  # rewrite the page's output blocks instead of comparing
    commands_run: int = 0
    outputs_compared: int = 0
    _recorded: list[tuple[Block, str]] = field(default_factory=list)

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}

    def run(self) -> None:
        (self.directory / "examples").symlink_to(ROOT / "examples")
        items = blocks(self.page)
        try:
            self._walk(items)
        finally:
            for server in self.servers:
                server.stop()
        if self.record:
            self._rewrite()

    def _rewrite(self) -> None:
        text = self.page.read_text()
        for block, output in reversed(self._recorded):
            text = f"{text[: block.start]}```text\n{output.strip()}\n```{text[block.end :]}"
        self.page.write_text(text)

    def _walk(self, items: list[Block]) -> None:
        text = self.page.read_text()
        index = 0
        while index < len(items):
            item = items[index]
            following = items[index + 1] if index + 1 < len(items) else None
            if item.kind == "start-server":
                assert following is not None and following.kind == "sh"
                self._start(following.text)
                index += 2
            elif item.kind == "server-output":
                assert following is not None and following.kind == "text"
                self._compare_server_output(following)
                index += 2
            elif item.kind == "sh":
                shown = following
                if shown is not None and shown.kind == "text":
                    if text[item.end : shown.start].strip():  # prose between: not its output
                        shown = None
                else:
                    shown = None
                output = self._command(item.text, shown.text if shown else None)
                if shown is not None:
                    self._compare(item.text, shown, output)
                    index += 1
                index += 1
            else:
                index += 1

    def _port(self) -> str:
        return self.servers[-1].port if self.servers else DOC_PORT

    def _start(self, text: str) -> None:
        if self.servers:
            self.servers[-1].stop()
        command = command_line(re.sub(rf"\b{DOC_PORT}\b", "0", text), "0")
        self.servers.append(Server(command, self.directory, self.env))

    def _command(self, text: str, shown: str | None) -> str:
        command = command_line(text, self._port())
        self.commands_run += 1
        if command[0] == "cat":
            return self._file(Path(self.directory, command[1]), shown)
        result = subprocess.run(
            command,
            cwd=self.directory,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=WAIT_SECONDS,
        )
        return result.stdout

    def _file(self, path: Path, shown: str | None) -> str:
        """A file a server writes as it goes: wait until it shows what the page shows."""
        deadline = time.monotonic() + (1.0 if self.record or shown is None else WAIT_SECONDS)
        while True:
            text = path.read_text() if path.exists() else ""
            done = shown is not None and normalise(text) == normalise(shown)
            if done or time.monotonic() > deadline:
                return text
            time.sleep(0.1)

    def _compare(self, what: str, shown: Block, actual: str) -> None:
        self.outputs_compared += 1
        if self.record:  # as the reader would see it with the server on port 8000
            port = self.servers[-1].port if self.servers else DOC_PORT
            self._recorded.append((shown, actual.replace(f"127.0.0.1:{port}", "127.0.0.1:8000")))
            return
        assert normalise(actual) == normalise(shown.text), (
            f"{self.page.name}: `{what.strip()}` printed\n{actual}\n"
            f"but the page shows\n{shown.text}"
        )

    def _compare_server_output(self, shown: Block) -> None:
        assert self.servers, "server output shown before a server was started"
        if self.record:  # everything until the output stays quiet for a second
            lines = self.servers[-1].output_lines(10_000, quiet_seconds=1.0)
        else:
            lines = self.servers[-1].output_lines(len(normalise(shown.text).splitlines()))
        self._compare("the server", shown, "\n".join(lines))


if __name__ == "__main__":  # python tests/tutorial/doc_session.py docs/howto/PAGE.md
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        Session(Path(sys.argv[1]).resolve(), Path(scratch), record=True).run()
