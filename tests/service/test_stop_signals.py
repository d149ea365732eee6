"""The stop signals in-process: real signals to this process, with a fake exit."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from types import FrameType
from typing import NoReturn

import pytest
from twisted.logger import LogEvent, formatEvent, globalLogPublisher

from twisted_wsgi_lab.service.stop_signals import StopSignals


class ExitCalledError(Exception):
    """Stands in for os._exit so the test process lives on."""


def fake_exit(status: int) -> NoReturn:
    raise ExitCalledError(status)


@pytest.fixture
def reactor_handlers() -> Iterator[list[int]]:
    """Handlers standing in for the reactor's on SIGTERM and SIGINT; restored after."""
    seen: list[int] = []

    def reactor_handler(signum: int, frame: FrameType | None) -> None:
        seen.append(signum)

    saved = {s: signal.signal(s, reactor_handler) for s in (signal.SIGTERM, signal.SIGINT)}
    yield seen
    for signum, handler in saved.items():
        signal.signal(signum, handler)


def messages(events: list[LogEvent]) -> list[str]:
    return [str(formatEvent(event)) for event in events]


def stop_signals(in_flight: int = 2, *, stopping: bool = False) -> StopSignals:
    return StopSignals(
        in_flight=lambda: in_flight,
        stopping=lambda: stopping,
        timeout_seconds=30,
        exit_now=fake_exit,
    )


def capture() -> tuple[list[LogEvent], object]:
    events: list[LogEvent] = []
    globalLogPublisher.addObserver(events.append)
    return events, events.append


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_the_first_signal_is_passed_on_and_the_second_exits_128_plus_it(reactor_handlers, signum):
    events, observer = capture()
    try:
        stop_signals().install()
        signal.raise_signal(signum)
        assert reactor_handlers == [signum]
        with pytest.raises(ExitCalledError) as exited:
            signal.raise_signal(signum)
    finally:
        globalLogPublisher.removeObserver(observer)  # type: ignore[arg-type]
    assert exited.value.args == (128 + signum,)
    assert reactor_handlers == [signum]  # the reactor never hears of the second one
    assert messages(events) == [
        "graceful stop: waiting for 2 requests (up to 30s); send the signal again to stop now",
        f"second {signal.Signals(signum).name}: stopping now, 2 requests cut",
    ]


def test_a_sigint_after_a_sigterm_is_a_second_signal_too(reactor_handlers):
    stop_signals().install()
    signal.raise_signal(signal.SIGTERM)
    with pytest.raises(ExitCalledError) as exited:
        signal.raise_signal(signal.SIGINT)
    assert exited.value.args == (128 + signal.SIGINT,)


def test_a_signal_while_the_service_already_stops_exits_at_once(reactor_handlers):
    stop_signals(stopping=True).install()
    with pytest.raises(ExitCalledError):
        signal.raise_signal(signal.SIGTERM)
    assert reactor_handlers == []


def test_with_nothing_in_flight_the_first_signal_logs_no_wait(reactor_handlers):
    events, observer = capture()
    try:
        stop_signals(in_flight=0).install()
        signal.raise_signal(signal.SIGTERM)
    finally:
        globalLogPublisher.removeObserver(observer)  # type: ignore[arg-type]
    assert reactor_handlers == [signal.SIGTERM]
    assert messages(events) == []


def test_a_signal_without_a_python_handler_is_left_alone():
    saved = signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        stop_signals().install()
        assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
    finally:
        signal.signal(signal.SIGTERM, saved)
