"""--log-format and --log-level for labweb and twistd, and twistd's pid file on failure."""

from __future__ import annotations

import io
import json
import os

import pytest
from twisted.application.service import Application, Service
from twisted.logger import ILogObserver, LogLevel
from twisted.python.failure import Failure

from twisted_wsgi_lab.service.logging_setup import json_line, observer_for, twistd_observer
from twisted_wsgi_lab.service.under_twistd import TwistdService, remove_own_pid_file


def event(level: LogLevel = LogLevel.info, **fields: object) -> dict[str, object]:
    return {
        "log_level": level,
        "log_namespace": "labweb.test",
        "log_time": 1_700_000_000.25,
        "log_format": "served {n} requests",
        "n": 3,
        **fields,
    }


def test_a_json_line_has_time_level_namespace_and_text():
    record = json.loads(json_line(event()))
    assert record == {
        "time": "2023-11-14T22:13:20.250Z",
        "level": "info",
        "namespace": "labweb.test",
        "text": "served 3 requests",
    }


def test_a_json_line_of_a_failure_carries_its_traceback():
    try:
        raise ValueError("boom")
    except ValueError:
        failure = Failure()
    record = json.loads(json_line(event(LogLevel.error, log_failure=failure)))
    assert record["level"] == "error"
    assert "ValueError: boom" in record["traceback"]


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_events_below_the_level_are_dropped(log_format):
    stream = io.StringIO()
    observer = observer_for(stream, log_format=log_format, level="warn")
    observer(event(LogLevel.info))
    observer(event(LogLevel.debug))
    assert stream.getvalue() == ""
    observer(event(LogLevel.warn))
    assert "served 3 requests" in stream.getvalue()


def test_the_text_format_is_twisteds_own():
    stream = io.StringIO()
    observer_for(stream, log_format="text", level="debug")(event(LogLevel.debug))
    assert "[labweb.test#debug] served 3 requests" in stream.getvalue()


def test_under_twistd_the_application_gets_labwebs_observer():
    application = Application("labweb")
    config = {"nodaemon": True, "logfile": "", "syslog": False, "pidfile": ""}
    service = TwistdService(Service(), config, log_format="json", level="warn")
    service.setServiceParent(application)
    assert ILogObserver.providedBy(application.getComponent(ILogObserver))


def test_under_twistd_a_text_log_goes_where_twistd_would_put_it(tmp_path):
    log_file = tmp_path / "twistd.log"
    config = {"nodaemon": False, "logfile": str(log_file), "syslog": False}
    observer = twistd_observer(config, log_format="text", level="info")
    observer(event(LogLevel.info))
    observer(event(LogLevel.debug, log_format="hidden"))
    assert "served 3 requests" in log_file.read_text()
    assert "hidden" not in log_file.read_text()


class FailingToBind(Service):
    def privilegedStartService(self) -> None:
        raise SystemExit("labweb: cannot listen on 'tcp:80' (--listen): address already in use")


def test_a_failed_start_under_twistd_removes_our_pid_file(tmp_path):
    pid_file = tmp_path / "twistd.pid"
    pid_file.write_text(str(os.getpid()))
    service = TwistdService(
        FailingToBind(), {"pidfile": str(pid_file)}, log_format="text", level="info"
    )
    with pytest.raises(SystemExit):
        service.privilegedStartService()
    assert not pid_file.exists()


def test_a_pid_file_of_another_process_is_left_alone(tmp_path):
    pid_file = tmp_path / "twistd.pid"
    pid_file.write_text("1")
    remove_own_pid_file(str(pid_file))
    remove_own_pid_file(str(tmp_path / "absent.pid"))
    remove_own_pid_file("")
    assert pid_file.read_text() == "1"
