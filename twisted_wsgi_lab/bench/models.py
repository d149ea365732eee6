"""The serving models ``labweb bench`` compares, as data: a name and how to start it.

A model turns a ``Launch`` (port and app) into argv. One that cannot serve a scenario
(canned outside hello, native for a WSGI app, waitress when not installed) says why,
and the run shows that reason instead of a row. ``threads-N`` takes any pool size.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass

from .scenarios import Scenario

HOST = "127.0.0.1"
PY = sys.executable
REFERENCES = "twisted_wsgi_lab.bench.references"
# ``python -m twisted.scripts.twistd`` is a silent no-op (no ``__main__`` block).
TWISTD = (PY, "-c", "from twisted.scripts.twistd import run; run()")
BENCH_EXTRA = "pip install 'twisted-wsgi-lab[bench]'"
RE_THREADS = re.compile(r"threads-([1-9]\d*)")


@dataclass(frozen=True)
class Launch:
    """Where to listen and what to serve (``module:attribute``)."""

    port: int
    app: str


@dataclass(frozen=True)
class Model:
    """One serving model: its argv for a launch, and which apps it can serve.

    ``serves`` is ``"wsgi"`` or ``"native"``; ``hello_only`` models run no app at all;
    ``requires`` names a module that must be importable (an optional server).
    """

    name: str
    description: str
    command: Callable[[Launch], list[str]]
    serves: str = "wsgi"
    hello_only: bool = False
    requires: str | None = None
    tree: str | None = None  # a checkout whose labweb this model runs (``MODEL@TREE``)

    def skip_reason(self, scenario: Scenario) -> str | None:
        """Why this model sits ``scenario`` out, or None when it runs."""
        if self.hello_only and not (scenario.builtin and scenario.name == "hello"):
            return "runs no app: hello only"
        if self.requires is not None and importlib.util.find_spec(self.requires) is None:
            return f"{self.requires} is not installed ({BENCH_EXTRA})"
        if self.app_for(scenario) is None:
            other = "a native App" if self.serves == "wsgi" else "a WSGI app"
            return f"serves {self.serves} apps, the app is {other}"
        return None

    def app_for(self, scenario: Scenario) -> str | None:
        """The ``module:attribute`` this model serves for ``scenario``."""
        return scenario.wsgi_app if self.serves == "wsgi" else scenario.native_app


def listen(port: int) -> list[str]:
    return ["--listen", f"tcp:{port}:interface={HOST}"]


def labweb(*options: str) -> Callable[[Launch], list[str]]:
    """``python -m twisted_wsgi_lab`` with ``options``: the ``labweb`` command itself."""

    def command(launch: Launch) -> list[str]:
        return [PY, "-m", "twisted_wsgi_lab", *options, "--app", launch.app, *listen(launch.port)]

    return command


def reference(module: str) -> Callable[[Launch], list[str]]:
    """One of ``bench/references``, given the port and the app."""

    def command(launch: Launch) -> list[str]:
        return [PY, "-m", f"{REFERENCES}.{module}", str(launch.port), launch.app]

    return command


def engine_only(kind: str) -> Callable[[Launch], list[str]]:
    """``references/engine_only``: labweb's engine with no observer, or one that does nothing."""

    def command(launch: Launch) -> list[str]:
        return [PY, "-m", f"{REFERENCES}.engine_only", str(launch.port), launch.app, kind]

    return command


def twisted_web(launch: Launch) -> list[str]:
    """twisted.web's WSGIResource (its own pool of up to 20 threads); log to /dev/null."""
    dotted = launch.app.replace(":", ".")
    return [*TWISTD, "--pidfile=", f"--logfile={os.devnull}", "-n", "web", "--wsgi", dotted,
            *listen(launch.port)]  # fmt: skip


def canned(launch: Launch) -> list[str]:
    return [PY, "-m", f"{REFERENCES}.canned", str(launch.port)]


def waitress(launch: Launch) -> list[str]:
    return [PY, "-m", "waitress", f"--listen={HOST}:{launch.port}", launch.app]


def gunicorn(launch: Launch) -> list[str]:
    return [PY, "-m", "gunicorn", "--workers", "2", "--bind", f"{HOST}:{launch.port}", launch.app]


def threads(size: int) -> Model:
    """labweb ``--mode threads --threads size``."""
    return Model(
        f"threads-{size}",
        f"labweb --mode threads --threads {size}",
        labweb("--mode", "threads", "--threads", str(size)),
    )


MODELS: dict[str, Model] = {
    model.name: model
    for model in (
        Model("reactor", "labweb --mode reactor: the app in the reactor thread",
              labweb("--mode", "reactor")),
        threads(4),
        threads(16),
        threads(64),
        Model("workers-1", "labweb --mode reactor --workers 1: the base for workers-2",
              labweb("--mode", "reactor", "--workers", "1")),
        Model("workers-2", "labweb --mode reactor --workers 2: two processes, one socket",
              labweb("--mode", "reactor", "--workers", "2")),
        Model("reactor-access-log", "labweb --mode reactor --access-log /dev/null",
              labweb("--mode", "reactor", "--access-log", os.devnull)),
        Model("engine", "HTTPFactory(WSGIBridge(app)) alone, no observer (reactor thread)",
              engine_only("plain")),
        Model("engine-observed", "the engine row with one ConnectionObserver() that does nothing",
              engine_only("observed")),
        Model("native", "labweb serving a native App (handlers in the reactor thread)",
              labweb(), serves="native"),
        Model("twisted-web", "twistd web --wsgi (twisted.web's WSGIResource)", twisted_web),
        Model("threading", "stdlib ThreadingMixIn + wsgiref: a thread per connection",
              reference("threading_wsgiref")),
        Model("fork", "a process per connection (os.fork), like the teaching servers",
              reference("fork_per_connection")),
        Model("canned", "a raw Twisted Protocol answering canned bytes: the ceiling",
              canned, hello_only=True),
        Model("waitress", "waitress (4 threads)", waitress, requires="waitress"),
        Model("gunicorn", "gunicorn, 2 sync workers", gunicorn, requires="gunicorn"),
    )
}  # fmt: skip

# The rows that answer "reactor, threads or workers?"; the seam-cost rows
# (engine, engine-observed, reactor-access-log) and workers-1 run when asked for.
DEFAULT_MODELS = tuple(
    name
    for name in MODELS
    if name not in {"workers-1", "reactor-access-log", "engine", "engine-observed"}
)


def model_named(name: str) -> Model | None:
    """The model called ``name``, ``threads-N`` for any N included; None if unknown.

    ``MODEL@TREE`` is ``MODEL`` run from the labweb of another checkout (its
    ``twisted_wsgi_lab`` package is imported first), so a change is measured against
    the code before it side by side, in one run.
    """
    base, at, tree = name.partition("@")
    if at:
        model = model_named(base)
        return dataclasses.replace(model, name=name, tree=tree) if model and tree else None
    if name in MODELS:
        return MODELS[name]
    match = RE_THREADS.fullmatch(name)
    return threads(int(match[1])) if match else None


def tree_problem(tree: str) -> str | None:
    """Why ``tree`` cannot be run from (``MODEL@TREE``), or None when it can."""
    if not os.path.isfile(os.path.join(tree, "twisted_wsgi_lab", "__init__.py")):
        return f"{tree} is not a labweb checkout (no twisted_wsgi_lab/__init__.py in it)"
    return None
