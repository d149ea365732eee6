"""The options of ``labweb`` and ``twistd labweb``: defaults, sizes, seconds and errors."""

from __future__ import annotations

import pytest
from twisted.application.service import IServiceMaker
from twisted.plugin import getPlugins
from twisted.python import usage

from twisted_wsgi_lab.http11.limits import GIB, KIB, MIB, Limits
from twisted_wsgi_lab.service.options import LIMIT_OPTIONS, LabWebOptions
from twisted_wsgi_lab.service.units import parse_count, parse_seconds


def parse(*argv: str) -> LabWebOptions:
    options = LabWebOptions()
    options.parseOptions(list(argv))
    return options


def usage_error(*argv: str) -> str:
    with pytest.raises(usage.UsageError) as info:
        parse(*argv)
    return str(info.value)


# -- defaults --------------------------------------------------------------------------


def test_without_options_labweb_listens_on_port_8080():
    assert parse()["listen"] == ["tcp:8080"]


def test_without_options_every_limit_is_the_library_default():
    assert parse()["limits"] == Limits()


def test_without_options_the_built_in_page_is_served_by_8_threads_with_a_watchdog():
    options = parse()
    assert options["app"] is None
    assert options["app-dir"] == "."
    assert (options["mode"], options["threads"]) == ("threads", 8)
    assert options["watchdog"] == 0.5
    assert options["script-name"] == ""


def test_the_defaults_of_one_parse_do_not_leak_into_the_next():
    parse("--listen", "tcp:1234", "--max-body", "1K")
    assert parse()["listen"] == ["tcp:8080"]
    assert parse()["limits"] == Limits()


# -- --listen --------------------------------------------------------------------------


def test_listen_is_repeatable_in_order_and_replaces_the_default():
    options = parse("--listen", "tcp:8001", "-l", "tcp:8002:interface=127.0.0.1", "--listen=tcp:0")
    assert options["listen"] == ["tcp:8001", "tcp:8002:interface=127.0.0.1", "tcp:0"]


@pytest.mark.parametrize("endpoint", ["bogus:1", "tcp:notaport", "tcp", "tcp:80:backlog=many"])
def test_a_bad_endpoint_is_a_usage_error_naming_listen_and_the_endpoint(endpoint):
    message = usage_error("--listen", "tcp:0", "--listen", endpoint)
    assert message.startswith("--listen ")
    assert repr(endpoint) in message


def test_an_endpoint_whose_certificate_is_missing_is_a_usage_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # ssl: looks for server.pem in the working directory
    message = usage_error("--listen", "ssl:0")
    assert message.startswith("--listen 'ssl:0'")
    assert "server.pem" in message


# -- limits ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("65536", 65536),
        ("64K", 64 * KIB),
        ("64k", 64 * KIB),
        ("64KB", 64 * KIB),
        ("64KiB", 64 * KIB),
        ("1M", MIB),
        ("16MiB", 16 * MIB),
        ("1G", GIB),
        ("2g", 2 * GIB),
        ("512B", 512),
        (" 8 K ", 8 * KIB),
    ],
)
def test_max_body_accepts_sizes_with_binary_units(text, size):
    assert parse("--max-body", text)["limits"].max_body_bytes == size


@pytest.mark.parametrize(("text", "seconds"), [("10", 10.0), ("2.5", 2.5), ("0.05", 0.05)])
def test_timeouts_accept_whole_and_fractional_seconds(text, seconds):
    assert parse("--header-timeout", text)["limits"].header_timeout_seconds == seconds


def example_value(parser: object) -> tuple[str, float]:
    """A command-line value for a limit of this kind, and what it should become."""
    if parser is parse_count:
        return "7", 7
    if parser is parse_seconds:
        return "2.5", 2.5
    return "3K", 3 * KIB


@pytest.mark.parametrize(
    ("option", "field", "parser"), [pytest.param(*row, id=row[0]) for row in LIMIT_OPTIONS]
)
def test_each_limit_option_sets_its_own_limit_and_no_other(option, field, parser):
    text, expected = example_value(parser)
    limits = parse(f"--{option}", text)["limits"]
    assert getattr(limits, field) == expected
    assert limits == Limits(**{field: expected})


def test_several_limits_combine():
    limits = parse("--max-head", "32K", "--max-headers", "50", "--keepalive-timeout", "5")["limits"]
    assert limits == Limits(
        max_head_bytes=32 * KIB, max_header_count=50, keepalive_timeout_seconds=5
    )


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--max-body", "lots"),
        ("--max-body", "1.5M"),
        ("--max-body", "-1"),
        ("--max-body", "0"),
        ("--max-body", "64X"),
        ("--max-body", "K"),
        ("--max-head", "0K"),
        ("--max-headers", "1K"),
        ("--max-headers", "0"),
        ("--max-pipelined", "-3"),
        ("--header-timeout", "soon"),
        ("--header-timeout", "-inf"),
        ("--keepalive-timeout", "0"),
        ("--body-timeout", "-5"),
        ("--body-spool", ""),
        ("--header-timeout", "nan"),
        ("--keepalive-timeout", "inf"),
        ("--max-body", "64i"),
    ],
)
def test_a_bad_limit_is_a_usage_error_naming_the_option_and_value(option, value):
    message = usage_error(option, value)
    assert message.startswith(f"{option} {value!r}")


# -- serving mode ----------------------------------------------------------------------


def test_threads_mode_takes_a_thread_count():
    options = parse("--mode", "threads", "--threads", "3")
    assert (options["mode"], options["threads"]) == ("threads", 3)


@pytest.mark.parametrize(
    "argv",
    [
        ("--mode", "processes"),
        ("--threads", "many"),
        ("--threads", "0"),
        ("--script-name", "app"),
        ("--script-name", "/app/"),
    ],
)
def test_a_bad_mode_thread_count_or_prefix_is_a_usage_error_naming_the_option(argv):
    assert usage_error(*argv).startswith(argv[0] + " ")


def test_reactor_mode_is_still_there_for_apps_that_never_block():
    assert parse("--mode", "reactor")["mode"] == "reactor"


@pytest.mark.parametrize(
    ("value", "seconds"), [("2", 2.0), ("0.25", 0.25), ("0", None), ("off", None), ("OFF", None)]
)
def test_watchdog_takes_seconds_and_0_or_off_disables_it(value, seconds):
    assert parse("--watchdog", value)["watchdog"] == seconds


@pytest.mark.parametrize("value", ["-1", "soon", "nan", "inf"])
def test_a_bad_watchdog_is_a_usage_error_naming_the_option(value):
    assert usage_error("--watchdog", value).startswith(f"--watchdog {value!r}")


def test_an_unknown_option_is_a_usage_error():
    assert "max-bodie" in usage_error("--max-bodie", "1K")


# -- one set of options for both commands -----------------------------------------------


def test_the_twistd_plugin_offers_the_same_options_as_the_labweb_command():
    makers = {maker.tapname: maker for maker in getPlugins(IServiceMaker)}
    assert makers["labweb"].options is LabWebOptions


def test_help_lists_listen_and_every_limit_option_with_its_default():
    help_text = str(LabWebOptions())
    assert "--listen=" in help_text
    for option, _, _ in LIMIT_OPTIONS:
        assert f"--{option}=" in help_text
    words = " ".join(help_text.split())  # the help is wrapped at 80 columns
    assert f"then 431 [default: {Limits().max_header_count}]" in words


# -- the app without --app, as gunicorn takes it --------------------------------------


def test_a_positional_app_is_the_same_as_app():
    assert parse("examples.hello:app")["app"] == "examples.hello:app"


def test_options_may_come_after_a_positional_app():
    options = parse("examples.hello:app", "--listen", "tcp:0", "--threads", "2")
    assert (options["app"], options["listen"], options["threads"]) == (
        "examples.hello:app",
        ["tcp:0"],
        2,
    )


def test_the_same_app_given_both_ways_is_fine():
    assert parse("--app", "a:app", "a:app")["app"] == "a:app"


def test_two_different_apps_are_a_usage_error_naming_both():
    message = usage_error("--app", "a:app", "b:app")
    assert message.startswith("two apps: --app a:app and b:app")


def test_more_than_one_positional_app_is_a_usage_error():
    assert usage_error("a:app", "b:app").startswith("one app at most, got 2: a:app b:app")


def test_an_option_after_double_dash_is_an_app_not_an_option():
    assert usage_error("a:app", "--", "--listen").startswith("one app at most")


# -- units -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30", 30.0), ("30s", 30.0), ("0.5s", 0.5), ("500ms", 0.5), (".25", 0.25), ("2S", 2.0)],
)
def test_timeouts_accept_seconds_with_an_s_or_ms_suffix(text, seconds):
    assert parse("--header-timeout", text)["limits"].header_timeout_seconds == seconds


@pytest.mark.parametrize(
    ("option", "field"),
    [
        ("--request-timeout", "request_timeout_seconds"),
        ("--max-connections", "max_connections"),
        ("--websocket-ping-interval", "websocket_ping_interval_seconds"),
    ],
)
def test_a_limit_that_can_be_off_takes_off(option, field):
    assert getattr(parse(option, "off")["limits"], field) is None


def test_off_is_refused_for_a_limit_that_cannot_be_off():
    assert usage_error("--max-body", "off").startswith("--max-body 'off': not a size")


@pytest.mark.parametrize("value", ["0", "-1", "lots", "1.5.2", "nan"])
@pytest.mark.parametrize(
    ("option", "field", "parser"), LIMIT_OPTIONS, ids=[r[0] for r in LIMIT_OPTIONS]
)
def test_every_limit_error_names_the_option_never_the_field(option, field, parser, value):
    message = usage_error(f"--{option}", value)
    assert message.startswith(f"--{option} {value!r}: ")
    assert field not in message
    assert "invalid literal" not in message


@pytest.mark.parametrize(
    ("option", "shown"),
    [
        ("max-body", "1G"),
        ("max-head", "64K"),
        ("body-spool", "1M"),
        ("max-headers", "100"),
        ("header-timeout", "10s"),
        ("response-timeout", "300s"),
        ("request-timeout", "off"),
        ("max-connections", "off"),
        ("watchdog", "0.5s"),
    ],
)
def test_help_shows_each_default_as_the_user_would_type_it(option, shown):
    words = " ".join(str(LabWebOptions()).split())
    entry = words[words.index(f"--{option}=") :]
    entry = entry[: entry.index("]") + 1]
    assert entry.endswith(f"[default: {shown}]")


@pytest.mark.parametrize(
    ("option", "field", "parser"), LIMIT_OPTIONS, ids=[r[0] for r in LIMIT_OPTIONS]
)
def test_every_default_shown_in_help_parses_back_to_the_default(option, field, parser):
    words = " ".join(str(LabWebOptions()).split())
    entry = words[words.index(f"--{option}=") :]
    shown = entry[entry.index("[default: ") + len("[default: ") : entry.index("]")]
    assert getattr(parse(f"--{option}", shown)["limits"], field) == getattr(Limits(), field)


def test_watchdog_takes_seconds_with_a_suffix():
    assert parse("--watchdog", "250ms")["watchdog"] == 0.25


# -- --listen short forms ----------------------------------------------------------------


def test_listen_short_forms_become_twisted_endpoints_and_the_given_text_is_kept():
    options = parse("-l", "8000", "-l", "127.0.0.1:8001", "-l", "[::1]:8002")
    assert options["listen"] == [
        "tcp:8000",
        "tcp:8001:interface=127.0.0.1",
        "tcp6:8002:interface=\\:\\:1",
    ]
    assert options["listen-as-given"] == ["8000", "127.0.0.1:8001", "[::1]:8002"]


@pytest.mark.parametrize(
    ("given", "example"),
    [("127.0.0.1", "127.0.0.1:8000"), ("::1", "[::1]:8000"), ("bogus:1", "127.0.0.1:8000")],
)
def test_a_bad_listen_names_the_option_and_shows_a_working_example(given, example):
    message = usage_error("--listen", given)
    assert message.startswith(f"--listen {given!r}: ")
    assert example in message
    assert "Unknown endpoint type" not in message


# -- logging and --debug -----------------------------------------------------------------


def test_logging_is_text_at_info_without_debug():
    options = parse()
    assert (options["log-format"], options["log-level"], options["debug"]) == ("text", "info", 0)


def test_debug_implies_the_debug_log_level_unless_one_is_given():
    assert parse("--debug")["log-level"] == "debug"
    assert parse("--debug", "--log-level", "warn")["log-level"] == "warn"


@pytest.mark.parametrize(
    ("given", "level"),
    [
        ("debug", "debug"),
        ("INFO", "info"),
        ("warn", "warn"),
        ("warning", "warn"),
        ("error", "error"),
    ],
)
def test_log_level_takes_the_usual_names(given, level):
    assert parse("--log-level", given)["log-level"] == level


@pytest.mark.parametrize(("option", "value"), [("--log-level", "loud"), ("--log-format", "xml")])
def test_a_bad_log_option_is_a_usage_error_naming_it(option, value):
    assert usage_error(option, value).startswith(f"{option} {value!r}: choose")
