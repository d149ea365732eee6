"""Helpers shared by the WSGI bridge tests."""

from __future__ import annotations

from twisted.logger import LogEvent


def failures(events: list[LogEvent]) -> list[LogEvent]:
    """The logged events that carry a traceback."""
    return [event for event in events if "log_failure" in event]
