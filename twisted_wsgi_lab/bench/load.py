"""The seam between ``labweb bench`` and whatever generates the load.

Everything else in the bench asks for load through ``run_load(plan) -> LoadResult`` and
nothing more. A plan becomes a ``LoadSpec`` run in a process of its own
(``load_tool.py``): wrk when it is installed and can express the plan, else labweb's
own Twisted load generator, which also makes the side load wrk cannot (idle keep-alive
connections, slow readers).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass

from .load_result import LoadResult
from .load_spec import LoadSpec
from .load_tool import LoadToolError, run_load_process
from .processes import BenchError

SLOW_READ_BYTES = 16 * 1024  # per read, every SLOW_READ_INTERVAL_MS: 160 KiB/s
SLOW_READ_INTERVAL_MS = 100.0


@dataclass(frozen=True)
class LoadPlan:
    """One load run: ``connections`` busy clients on ``url`` for ``seconds``, plus side load.

    ``idle_connections`` each make one request and then stay open, silent, for the
    whole run; ``slow_readers`` keep fetching ``slow_path`` and read it slowly.
    """

    url: str
    connections: int
    seconds: float
    method: str = "GET"
    body_bytes: int = 0
    idle_connections: int = 0
    slow_readers: int = 0
    slow_path: str = "/big"


def load_tool() -> str:
    """What makes the measured load, for the report: wrk if installed, else labweb's own."""
    if shutil.which("wrk") is None:
        return "labweb loadgen"
    return "wrk (labweb loadgen for idle connections and slow readers)"


def spec_for(plan: LoadPlan) -> LoadSpec:
    """The load generators' spec for ``plan``; idle connections stay open the whole run."""
    return LoadSpec(
        url=plan.url,
        connections=plan.connections,
        duration_seconds=plan.seconds,
        method=plan.method,
        body_bytes=plan.body_bytes,
        idle_connections=plan.idle_connections,
        idle_seconds=plan.seconds if plan.idle_connections else 0.0,
        slow_readers=plan.slow_readers,
        slow_path=plan.slow_path,
        slow_read_bytes=SLOW_READ_BYTES,
        slow_read_interval_ms=SLOW_READ_INTERVAL_MS,
    )


def run_load(plan: LoadPlan) -> LoadResult:
    """Run ``plan`` against 127.0.0.1 and return what the measured clients saw.

    Raises:
        BenchError: the load generator failed, printed no result, or overran.
    """
    try:
        return run_load_process(spec_for(plan))
    except (LoadToolError, ValueError) as error:
        raise BenchError(f"the load generator failed: {error}") from None
