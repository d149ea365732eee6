"""What ``twistd labweb`` loads: ``Options`` and ``makeService``.

The twistd dropin names this module by string, so nothing here is imported until the
labweb plugin is chosen.
"""

from __future__ import annotations

import sys
import traceback
from typing import Any

from twisted.application.service import IService
from twisted.logger import Logger

from ..engine import HTTPFactory, IRequestHandler
from ..lab import ExchangeRecorder
from ..router import App
from ..wsgi import WorkerPool, WSGIBridge
from .access_log import AccessLog, open_access_log
from .app_loader import AppLoadError, load_app
from .default_app import default_page
from .health import HealthCheck
from .http_service import HTTPService
from .lab_setup import install_har, lab_recorder, with_dashboard
from .options import LabWebOptions
from .proxy_headers import ProxyHeadersHandler
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

        service: IService = supervisor_service(options)
    else:
        service = _http_service(options)
    twistd_config = getattr(options, "parent", None)  # twistd's own options, under twistd
    if twistd_config is None:
        return service
    from .under_twistd import TwistdService

    return TwistdService(
        service, twistd_config, log_format=options["log-format"], level=options["log-level"]
    )


def _load(options: LabWebOptions) -> tuple[Any, str]:
    """The app and its name; with ``--debug``, the traceback of a failed import too."""
    if not options["app"]:
        return default_page(lab=options["lab"]), "the built-in page"
    try:
        return load_app(options["app"], options["app-dir"]), options["app"]
    except AppLoadError as error:
        cause = error.__cause__ or error.__context__  # what the app itself raised
        if options["debug"] and cause is not None:
            traceback.print_exception(type(cause), cause, cause.__traceback__, file=sys.stderr)
        raise SystemExit(f"labweb: error: {error}") from None


def _http_service(options: LabWebOptions) -> HTTPService:
    app, app_name = _load(options)
    limits = options["limits"]
    if isinstance(app, App):
        return _native_service(app, app_name, options)
    pool = None
    if options["mode"] == "threads":
        count = options["threads"]
        pool = WorkerPool(count, name="labweb-wsgi")  # daemon threads, as the pool's own
        app_name += f" in {count} threads"
    bridge = WSGIBridge(
        app,
        script_name=options["script-name"],
        threadpool=pool,
        debug=options["debug"],
        multiprocess=bool(options.get("multiprocess")),
    )
    recorder = lab_recorder(options)
    handler = with_dashboard(
        _with_faults(bridge, options), recorder, options, pool_status=bridge.pool_status
    )
    handler, health = _with_health(_behind_proxies(handler, options), options)
    factory = _observe(HTTPFactory(handler, limits=limits), options, recorder)
    return HTTPService(
        factory,
        options["listen"],
        app_name=app_name,
        threadpool=pool,
        watchdog_seconds=options["watchdog"],
        watchdog_hint=REACTOR_MODE_HINT if pool is None else "",
        health=health,
        drain_delay_seconds=options["drain-delay"],
    )


def _trace(factory: HTTPFactory, options: LabWebOptions) -> None:
    """``--trace``: the wire trace, to standard error or ``--trace-file``."""
    from ..lab import trace

    target = options["trace-file"]
    try:
        stream = open(target, "a", encoding="utf-8") if target else sys.stderr  # noqa: SIM115
    except OSError as error:
        raise SystemExit(
            f"labweb: error: --trace-file {target!r}: {error.strerror or error}"
        ) from None
    trace(factory, stream, max_bytes=options["trace-bytes"])


def _with_health(
    handler: IRequestHandler, options: LabWebOptions
) -> tuple[IRequestHandler, HealthCheck | None]:
    """Put the readiness answer of ``--health-path`` in front of ``handler``."""
    if not options["health-path"]:
        return handler, None
    health = HealthCheck(handler, options["health-path"])
    return health, health


def _observe(
    factory: HTTPFactory, options: LabWebOptions, recorder: ExchangeRecorder | None
) -> HTTPFactory:
    """Register the observers the options ask for (none: the plain, free path)."""
    if recorder is not None:
        factory.add_observer(recorder)
        if options["har"]:
            install_har(recorder, options["har"])
    if options["trace"]:
        _trace(factory, options)
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


def _with_faults(handler: IRequestHandler, options: LabWebOptions) -> IRequestHandler:
    """``--fault`` and ``--fault-header``: the handler inside a ``FaultInjector``.

    Innermost, so health checks are answered straight; without either option nothing
    is wrapped and the plain path runs.
    """
    faults, header = options["faults"], options["fault-header"]
    if not faults and not header:
        return handler
    from ..lab import FaultInjector

    asked = " and X-Labweb-Fault from requests" if header else ""
    log.warn(
        "fault injection is on: {faults}{asked}; responses are broken on purpose,"
        " never run this in production",
        faults=", ".join(str(spec) for spec in faults) or "no fault by default",
        asked=asked,
    )
    return FaultInjector(handler, faults, header=header)


def _behind_proxies(handler: IRequestHandler, options: LabWebOptions) -> IRequestHandler:
    """With ``--proxy-headers``, the handler behind a ``ProxyHeadersHandler``."""
    if not options["proxy-headers"]:
        return handler
    networks = options["trusted-networks"]
    log.info(
        "--proxy-headers: believing forwarding fields from {networks}",
        networks=", ".join(str(network) for network in networks),
    )
    return ProxyHeadersHandler(handler, networks, kind=options["proxy-header-kind"])


def _native_service(app: App, app_name: str, options: LabWebOptions) -> HTTPService:
    """A native App is the engine's handler itself: it runs in the reactor thread."""
    if options["debug"]:
        app.debug = True  # tracebacks in its 500 pages
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
    recorder = lab_recorder(options)
    handler = with_dashboard(_with_faults(app, options), recorder, options)
    handler, health = _with_health(_behind_proxies(handler, options), options)
    # The handler may wrap the App: its observers are handed over by name.
    factory = HTTPFactory(handler, limits=options["limits"], observers=app.connection_observers)
    factory = _observe(factory, options, recorder)
    return HTTPService(
        factory,
        options["listen"],
        app_name=f"{app_name} (native App)",
        watchdog_seconds=options["watchdog"],
        watchdog_hint=NATIVE_APP_HINT,
        health=health,
        drain_delay_seconds=options["drain-delay"],
    )
