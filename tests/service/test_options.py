"""The options of ``labweb`` and ``twistd labweb``: defaults, sizes, seconds and errors."""

from __future__ import annotations

import pytest
from twisted.application.service import IServiceMaker
from twisted.plugin import getPlugins
from twisted.python import usage

from twisted_wsgi_lab.http11.limits import GIB, KIB, MIB, Limits
from twisted_wsgi_lab.service.options import LIMIT_OPTIONS, LabWebOptions, parse_seconds


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
    if parser is int:
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
