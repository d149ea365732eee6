"""What ``twistd labweb`` loads: ``Options`` and ``makeService``.

The twistd dropin names this module by string, so nothing here is imported until the
labweb plugin is chosen.
"""

from __future__ import annotations

import threading
from typing import Any

from twisted.application.service import IService
from twisted.logger import Logger
from twisted.python.threadpool import ThreadPool

from ..engine import HTTPFactory
from ..router import App
from ..wsgi import WSGIBridge
from .access_log import AccessLog, open_access_log
from .app_loader import AppLoadError, load_app
from .default_app import default_app
from .http_service import HTTPService
from .options import LabWebOptions
from .workers_options import supervises

Options = LabWebOptions

log = Logger()

NATIVE_APP_HINT = (
    "a native handler that blocks holds every client: await a Deferred, or move the"
    " blocking call to a thread with twisted.internet.threads.deferToThread"
)

REACTOR_MODE_HINT = (
    "if the app blocks (database, network, disk, sleep), serve it with --mode threads"
)


def makeService(options: LabWebOptions) -> IService:
    """Build the listening service from parsed options.

    Raises:
        SystemExit: ``--app`` names nothing usable; the one-line message says why.
    """
    if supervises(options):  # --workers above 1, or --reload: this process supervises
        from .supervisor_service import supervisor_service

        return supervisor_service(options)
    if options["app"]:
        try:
            app = load_app(options["app"], options["app-dir"])
        except AppLoadError as error:
            raise SystemExit(f"labweb: error: {error}") from None
        app_name = options["app"]
    else:
        app, app_name = default_app, "the built-in page"
    limits = options["limits"]
    if isinstance(app, App):
        return _native_service(app, app_name, options)
    pool = None
    if options["mode"] == "threads":
        count = options["threads"]
        pool = ThreadPool(minthreads=count, maxthreads=count, name="labweb-wsgi")
        pool.threadFactory = _daemon_thread  # type: ignore[assignment]
        app_name += f" in {count} threads"
    bridge = WSGIBridge(
        app,
        script_name=options["script-name"],
        threadpool=pool,
        multiprocess=bool(options.get("multiprocess")),
    )
    factory = _observe(HTTPFactory(bridge, limits=limits), options)
    return HTTPService(
        factory,
        options["listen"],
        app_name=app_name,
        threadpool=pool,
        watchdog_seconds=options["watchdog"],
        watchdog_hint=REACTOR_MODE_HINT if pool is None else "",
    )


def _observe(factory: HTTPFactory, options: LabWebOptions) -> HTTPFactory:
    """Register the observers the options ask for (none: the plain, free path)."""
    target = options["access-log"]
    if target:
        try:
            log_file = open_access_log(target, factory.clock)
        except OSError as error:
            raise SystemExit(
                f"labweb: error: --access-log {target!r}: {error.strerror or error}"
            ) from None
        from twisted.internet import reactor

        reactor.addSystemEventTrigger("after", "shutdown", log_file.flush)
        factory.add_observer(AccessLog(log_file, log_format=options["access-log-format"]))
    return factory


def _native_service(app: App, app_name: str, options: LabWebOptions) -> IService:
    """A native App is the engine's handler itself: it runs in the reactor thread."""
    if options["serving-options-given"]:
        log.warn(
            "--mode and --threads apply to WSGI apps only: {app} is a native App, whose"
            " handlers run in the reactor thread (use deferToThread for blocking work)",
            app=app_name,
        )
    if options["script-name"]:
        log.warn(
            "--script-name applies to WSGI apps only: {app} is a native App; mount its"
            " routes under a prefix with app.include(router, prefix=...)",
            app=app_name,
        )
    factory = _observe(HTTPFactory(app, limits=options["limits"]), options)
    return HTTPService(
        factory,
        options["listen"],
        app_name=f"{app_name} (native App)",
        watchdog_seconds=options["watchdog"],
        watchdog_hint=NATIVE_APP_HINT,
    )


def _daemon_thread(*args: Any, **kwargs: Any) -> threading.Thread:
    """Pool threads are daemons: one stuck in app code cannot keep the process alive."""
    return threading.Thread(*args, daemon=True, **kwargs)
