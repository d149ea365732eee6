"""``--fault`` and ``--fault-header``: parsed with the other options, wired by the service."""

from __future__ import annotations

import pytest
from twisted.logger import LogEvent, globalLogPublisher
from twisted.python import usage

from twisted_wsgi_lab import App
from twisted_wsgi_lab.lab import FaultInjector, parse_fault
from twisted_wsgi_lab.service.options import LabWebOptions
from twisted_wsgi_lab.service.tap import _http_service

APP = "examples.router_app:app"


def parse(*argv: str) -> LabWebOptions:
    options = LabWebOptions()
    options.parseOptions(["--listen", "tcp:0:interface=127.0.0.1", *argv])
    return options


def test_fault_is_repeatable_and_kept_in_order() -> None:
    options = parse("--fault", "delay:ms=100", "--fault", "reset:p=0.1")
    assert options["faults"] == [parse_fault("delay:ms=100"), parse_fault("reset:p=0.1")]
    assert not options["fault-header"]


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("slow", "--fault 'slow': unknown fault 'slow': choose one of delay, trickle,"),
        ("trickle:speed=3", "--fault 'trickle:speed=3': trickle: unknown parameter 'speed'"),
        ("reset:p=2", "--fault 'reset:p=2': reset: p='2' must be a chance above 0, at most 1"),
    ],
)
def test_a_bad_fault_is_a_usage_error_naming_the_option(given: str, message: str) -> None:
    with pytest.raises(usage.UsageError) as info:
        parse("--fault", given)
    assert str(info.value).startswith(message)


def test_without_fault_options_the_app_is_the_handler_itself() -> None:
    service = _http_service(parse("--app", APP))
    assert isinstance(service.factory.handler, App)


def test_faults_wrap_the_app_and_say_so_at_startup() -> None:
    said: list[LogEvent] = []
    globalLogPublisher.addObserver(said.append)
    try:
        service = _http_service(parse("--app", APP, "--fault", "truncate", "--fault-header"))
    finally:
        globalLogPublisher.removeObserver(said.append)
    handler = service.factory.handler
    assert isinstance(handler, FaultInjector) and isinstance(handler.handler, App)
    assert [str(rule.spec) for rule in handler.rules] == ["truncate"] and handler.header
    [warning] = [event for event in said if "fault injection is on" in event["log_format"]]
    assert warning["faults"] == "truncate"
