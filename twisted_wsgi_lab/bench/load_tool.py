"""Run a ``LoadSpec`` in its own process, with wrk when installed, else labweb's loadgen.

The load runs in a child process so it never shares an event loop (or a GIL) with the
server or the runner, and its CPU is read from the kernel when the child is reaped
(``os.wait4``), since it competes with the server for the same cores. wrk is chosen
when ``shutil.which("wrk")`` finds it and it can express the spec (a method and a body
go through a Lua file); a request cap, pipelining, idle connections and slow readers
fall back to the loadgen, which does them all. Every child is bounded: past the spec's
hard deadline it is terminated, then killed, by its pid.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import IO

from .load_result import LoadResult
from .load_spec import LoadSpec
from .wrk import parse_wrk_output, script_file, wrk_can_run, wrk_command

POLL_SECONDS = 0.02
IDLE_READY = re.compile(r"loadgen: idle-ready established=(\d+) of \d+")


class LoadToolError(RuntimeError):
    """The load generator failed, printed no result, or overran its deadline."""


def choose_tool(spec: LoadSpec, *, prefer_wrk: bool = True) -> str:
    """'wrk' when installed (and wanted) and able to run ``spec``, else 'loadgen'."""
    if prefer_wrk and shutil.which("wrk") is not None and wrk_can_run(spec):
        return "wrk"
    return "loadgen"


def loadgen_command(spec: LoadSpec) -> list[str]:
    """The argv of ``python -m twisted_wsgi_lab.bench.loadgen`` for ``spec``."""
    command = [sys.executable, "-m", "twisted_wsgi_lab.bench.loadgen", spec.url]
    command += ["-c", str(spec.connections), "-d", str(spec.duration_seconds)]
    command += ["--warmup", str(spec.warmup_seconds), "-m", spec.method]
    command += ["--timeout", str(spec.timeout_seconds), "--pipeline", str(spec.pipeline)]
    command += ["--body-bytes", str(spec.body_bytes)]
    if spec.max_requests is not None:
        command += ["-n", str(spec.max_requests)]
    for name, value in spec.headers:
        command += ["-H", f"{name}: {value}"]
    command += ["--idle-connections", str(spec.idle_connections)]
    command += ["--idle-seconds", str(spec.idle_seconds), "--slow-readers", str(spec.slow_readers)]
    command += ["--slow-path", spec.slow_path, "--slow-read-bytes", str(spec.slow_read_bytes)]
    return [*command, "--slow-read-interval-ms", str(spec.slow_read_interval_ms)]


class LoadProcess:
    """One load generator child: started at once, its result read when it ends."""

    def __init__(self, spec: LoadSpec, *, tool: str | None = None, wrk_threads: int = 1) -> None:
        """Start the child now (after wrk's warm-up run, if any).

        Raises:
            ValueError: an unknown tool, or wrk for a spec only the loadgen can run.
        """
        self.spec = spec
        self.tool = tool or choose_tool(spec)
        if self.tool not in ("wrk", "loadgen") or (self.tool == "wrk" and not wrk_can_run(spec)):
            raise ValueError(f"{self.tool} cannot run this spec; choose_tool() picks one that can")
        self.cpu_seconds: float | None = None
        self._stack = ExitStack()
        try:
            self.process = self._start(wrk_threads)
        except BaseException:
            self._stack.close()
            raise
        self.deadline = time.monotonic() + spec.hard_deadline_seconds + 5

    def _start(self, wrk_threads: int) -> subprocess.Popen[bytes]:
        # files, not pipes: a child never blocks on a full pipe; read through their
        # names, so the reader's offset is never the writer's
        self._stdout = self._stack.enter_context(output_file())
        self._stderr = self._stack.enter_context(output_file())
        if self.tool == "wrk":
            script = self._stack.enter_context(script_file(self.spec))
            self._warm_up_wrk(script, wrk_threads)
            command = wrk_command(self.spec, threads=wrk_threads, script=script)
        else:
            command = loadgen_command(self.spec)
        return subprocess.Popen(command, stdout=self._stdout, stderr=self._stderr)

    def _warm_up_wrk(self, script: Path | None, threads: int) -> None:
        """wrk has no warm-up of its own: an unmeasured run first."""
        if self.spec.warmup_seconds <= 0:
            return
        command = wrk_command(
            self.spec, duration_seconds=self.spec.warmup_seconds, threads=threads, script=script
        )
        subprocess.run(
            command, capture_output=True, timeout=self.spec.hard_deadline_seconds, check=False
        )

    def idle_ready(self, timeout_seconds: float) -> int | None:
        """Wait for the loadgen's idle-ready line; the established count, or None."""
        deadline = time.monotonic() + timeout_seconds
        while time.monotonic() < deadline:
            match = IDLE_READY.search(read_all(self._stderr))
            if match is not None:
                return int(match.group(1))
            if self.process.poll() is not None:
                return None
            time.sleep(POLL_SECONDS)
        return None

    def result(self) -> LoadResult:
        """Wait for the child (never past its deadline) and parse what it printed.

        Raises:
            LoadToolError: it failed, printed no result, or overran and was stopped.
        """
        try:
            status = self._reap()
            output = read_all(self._stdout)
            if status != 0:
                raise LoadToolError(
                    f"{self.tool} exited with {status}: {read_all(self._stderr)[-500:]}"
                )
            return self._parse(output)
        finally:
            self._stack.close()

    def _parse(self, output: str) -> LoadResult:
        if self.tool == "wrk":
            spec = self.spec
            return parse_wrk_output(
                output, url=spec.url, connections=spec.connections, cpu_seconds=self.cpu_seconds
            )
        try:
            return LoadResult.from_json(json.loads(output))
        except ValueError as error:
            raise LoadToolError(f"loadgen printed no JSON result: {output[-500:]!r}") from error

    def _reap(self) -> int:
        """Wait with ``os.wait4`` for the child's own rusage; stop it past the deadline."""
        pid = self.process.pid
        while time.monotonic() < self.deadline:
            reaped, status, usage = os.wait4(pid, os.WNOHANG)
            if reaped == pid:
                self.cpu_seconds = usage.ru_utime + usage.ru_stime
                self.process.returncode = os.waitstatus_to_exitcode(status)
                return self.process.returncode
            time.sleep(POLL_SECONDS)
        self.stop()
        raise LoadToolError(f"{self.tool} overran its deadline and was stopped")

    def stop(self) -> None:
        """SIGTERM the child by its pid, then SIGKILL after 5 s."""
        if self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)


def output_file() -> IO[bytes]:
    """A temporary file for a child's output; the caller's ExitStack closes it."""
    return tempfile.NamedTemporaryFile(prefix="labweb-load-")


def read_all(file: IO[bytes]) -> str:
    """What the child wrote so far, read through a separate open of the file."""
    return Path(file.name).read_bytes().decode("utf-8", "replace")


def run_load_process(
    spec: LoadSpec, *, tool: str | None = None, wrk_threads: int = 1
) -> LoadResult:
    """Run ``spec`` in a child process (``choose_tool`` when ``tool`` is None); block for it."""
    return LoadProcess(spec, tool=tool, wrk_threads=wrk_threads).result()
