"""What the app behind every model does, and what load it gets: the built-in scenarios.

A scenario names a WSGI app and its native App twin (``apps.py``, ``native_apps.py``)
and turns one concurrency level into a ``LoadPlan``. ``--app mod:app`` makes the one
scenario ``app``: a user's app, loaded with plain GETs.
"""

from __future__ import annotations

from dataclasses import dataclass

from .apps import LARGE_BODY_BYTES
from .load import LoadPlan

APPS = "twisted_wsgi_lab.bench.apps"
NATIVE_APPS = "twisted_wsgi_lab.bench.native_apps"
IDLE_ACTIVE_CONNECTIONS = 4  # busy clients beside the idle ones
SLOW_READERS = 8  # more than the smallest thread pool, on purpose


@dataclass(frozen=True)
class Scenario:
    """One kind of work and the load it gets at each concurrency level.

    ``kind`` is ``"wsgi"`` or ``"native"`` for a user's app; built-in scenarios have
    both a WSGI app and a native one.
    """

    name: str
    description: str
    wsgi_app: str | None  # module:attribute
    native_app: str | None
    method: str = "GET"
    body_bytes: int = 0
    idle: bool = False  # concurrency = idle connections held beside a small busy load
    slow_readers: int = 0
    builtin: bool = True

    def plan(self, url: str, concurrency: int, seconds: float) -> LoadPlan:
        """The load for one concurrency level."""
        if self.idle:
            return LoadPlan(url, IDLE_ACTIVE_CONNECTIONS, seconds, idle_connections=concurrency)
        return LoadPlan(
            url,
            concurrency,
            seconds,
            method=self.method,
            body_bytes=self.body_bytes,
            slow_readers=self.slow_readers,
        )


def _builtin(
    name: str, description: str, *, method: str = "GET", body_bytes: int = 0, slow_readers: int = 0
) -> Scenario:
    return Scenario(
        name,
        description,
        f"{APPS}:{name}",
        f"{NATIVE_APPS}:{name}",
        method=method,
        body_bytes=body_bytes,
        slow_readers=slow_readers,
    )


SCENARIOS: dict[str, Scenario] = {
    scenario.name: scenario
    for scenario in (
        _builtin("hello", "answer at once: the server's own cost"),
        _builtin("blocking", "sleep 10 ms, then answer (a database call)"),
        _builtin("cpu", "compute about 2 ms in Python, then answer"),
        _builtin("download", f"answer with {LARGE_BODY_BYTES // 1024} KiB"),
        _builtin(
            "upload",
            f"POST {LARGE_BODY_BYTES // 1024} KiB, read it all",
            method="POST",
            body_bytes=LARGE_BODY_BYTES,
        ),
        Scenario(
            "idle",
            f"N idle keep-alive connections beside {IDLE_ACTIVE_CONNECTIONS} busy ones "
            "(memory per connection)",
            f"{APPS}:hello",
            f"{NATIVE_APPS}:hello",
            idle=True,
        ),
        _builtin(
            "slow",
            f"hello under load while {SLOW_READERS} clients read 16 MiB slowly",
            slow_readers=SLOW_READERS,
        ),
    )
}


def user_scenario(app: str, kind: str) -> Scenario:
    """The one scenario of ``--app``: the user's app, loaded with GET /."""
    wsgi_app = app if kind == "wsgi" else None
    native_app = app if kind == "native" else None
    return Scenario("app", f"{app}, GET /", wsgi_app, native_app, builtin=False)
