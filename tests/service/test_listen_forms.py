"""``--listen``: every short form, every Twisted endpoint kind, and every error."""

from __future__ import annotations

import errno

import pytest
from twisted.internet import reactor
from twisted.internet.endpoints import serverFromString
from twisted.internet.error import CannotListenError
from twisted.internet.protocol import Factory, Protocol

from twisted_wsgi_lab.service.listen import (
    ListenError,
    bind_problem,
    build_endpoint,
    endpoint_for,
)


@pytest.mark.parametrize(
    ("given", "endpoint"),
    [
        pytest.param("8000", "tcp:8000", id="bare-port"),
        pytest.param(":8000", "tcp:8000", id="colon-port"),
        pytest.param(" 8000 ", "tcp:8000", id="spaces"),
        pytest.param("0", "tcp:0", id="any-port"),
        pytest.param("127.0.0.1:8000", "tcp:8000:interface=127.0.0.1", id="ipv4"),
        pytest.param("0.0.0.0:80", "tcp:80:interface=0.0.0.0", id="ipv4-any"),
        pytest.param("localhost:8000", "tcp:8000:interface=127.0.0.1", id="localhost"),
        pytest.param("[::1]:8000", "tcp6:8000:interface=\\:\\:1", id="ipv6"),
        pytest.param("[::]:8000", "tcp6:8000", id="ipv6-any"),
        pytest.param("[fe80::1:2]:80", "tcp6:80:interface=fe80\\:\\:1\\:2", id="ipv6-long"),
        pytest.param("tcp:8000", "tcp:8000", id="tcp"),
        pytest.param("tcp:8000:interface=127.0.0.1", "tcp:8000:interface=127.0.0.1", id="tcp-if"),
        pytest.param("tcp6:8000:interface=\\:\\:1", "tcp6:8000:interface=\\:\\:1", id="tcp6"),
        pytest.param("unix:/tmp/labweb.sock", "unix:/tmp/labweb.sock", id="unix"),
        pytest.param("unix:/tmp/l.sock:mode=660", "unix:/tmp/l.sock:mode=660", id="unix-mode"),
        pytest.param("ssl:8443:privateKey=k.pem", "ssl:8443:privateKey=k.pem", id="ssl"),
        pytest.param("systemd:domain=INET:index=0", "systemd:domain=INET:index=0", id="systemd"),
        pytest.param("haproxy:tcp:8000", "haproxy:tcp:8000", id="haproxy"),
    ],
)
def test_each_listen_form_becomes_its_twisted_endpoint(given, endpoint):
    assert endpoint_for(given) == endpoint


@pytest.mark.parametrize(
    ("given", "complaint", "example"),
    [
        pytest.param("", "empty", "8000", id="empty"),
        pytest.param("99999", "not a port", "8000", id="port-too-big"),
        pytest.param("127.0.0.1", "no port", "127.0.0.1:8000", id="ipv4-no-port"),
        pytest.param("127.0.0.1:", "not a port", "127.0.0.1:8000", id="ipv4-empty-port"),
        pytest.param("127.0.0.1:http", "not a port", "127.0.0.1:8000", id="ipv4-named-port"),
        pytest.param("127.0.0.1:70000", "not a port", "127.0.0.1:8000", id="ipv4-port-big"),
        pytest.param("1.2.3:80", "not an IPv4 address", "127.0.0.1:8000", id="bad-ipv4"),
        pytest.param("::1", "in brackets", "[::1]:8000", id="ipv6-bare"),
        pytest.param("::1:8000", "in brackets", "[::1]:8000", id="ipv6-unbracketed"),
        pytest.param("[::1]", "no port", "[::1]:8000", id="ipv6-no-port"),
        pytest.param("[::1]:x", "not a port", "[::1]:8000", id="ipv6-bad-port"),
        pytest.param("[nope]:80", "not an IPv6 address", "[::1]:8000", id="bad-ipv6"),
        pytest.param("unix:", "no socket path", "unix:/run/labweb.sock", id="unix-no-path"),
        pytest.param(
            "unix:/labweb-no-such-dir/app.sock",
            "directory '/labweb-no-such-dir' does not exist",
            "unix:/tmp/labweb.sock",
            id="unix-missing-directory",
        ),
    ],
)
def test_a_short_form_that_cannot_work_says_why_with_a_working_example(given, complaint, example):
    with pytest.raises(ListenError) as info:
        endpoint_for(given)
    message = str(info.value)
    assert complaint in message
    assert example in message
    assert "Unknown endpoint type" not in message


@pytest.mark.parametrize(
    ("given", "complaint", "example"),
    [
        pytest.param("bogus:1", "unknown endpoint type 'bogus'", "127.0.0.1:8000", id="type"),
        pytest.param("tcp", "no port given", "tcp:8000", id="tcp-no-port"),
        pytest.param("tcp:notaport", "not a port", "tcp:8000", id="tcp-port-word"),
        pytest.param("tcp:99999", "not a port", "tcp:8000", id="tcp-port-big"),
        pytest.param("tcp6:70000", "not a port", "tcp6:8000", id="tcp6-port-big"),
        pytest.param("tcp:80:backlog=many", "'many' is not a number", "tcp:8000", id="backlog"),
        pytest.param("tcp:80:colour=red", "no parameter 'colour'", "tcp:8000", id="parameter"),
        pytest.param("haproxy:bogus:1", "wraps another endpoint", "haproxy:tcp:8000", id="haproxy"),
        pytest.param(
            "systemd:domain=INET:index=0", "systemd passed no such socket", "index=0", id="sd"
        ),
        pytest.param(
            "systemd:domain=INET:name=web", "systemd passed no such socket", "index=0", id="sd-name"
        ),
    ],
)
def test_a_twisted_endpoint_that_cannot_be_built_says_why_in_plain_words(given, complaint, example):
    with pytest.raises(ListenError) as info:
        build_endpoint(reactor, given)
    message = str(info.value)
    assert complaint in message
    assert example in message
    for internal in ("invalid literal", "_parse", "positional argument", "Unknown endpoint"):
        assert internal not in message


@pytest.mark.parametrize(
    "given", ["8000", "127.0.0.1:0", "[::1]:0", "tcp:0", "unix:/tmp/x.sock", "haproxy:tcp:0"]
)
def test_every_good_form_builds_an_endpoint(given):
    assert build_endpoint(reactor, given) is not None


def test_a_short_form_listens_where_it_says():
    endpoint = build_endpoint(reactor, "127.0.0.1:0")
    port = []
    endpoint.listen(Factory.forProtocol(Protocol)).addCallback(port.append)
    try:
        assert port[0].getHost().host == "127.0.0.1"
    finally:
        port[0].stopListening()


def test_a_unix_socket_whose_lock_file_cannot_be_made_is_said_plainly(tmp_path):
    directory = tmp_path / "gone"
    directory.mkdir()
    endpoint = serverFromString(reactor, f"unix:{directory}/app.sock")
    directory.rmdir()  # after the check: as when the directory goes away before binding
    failures = []
    endpoint.listen(Factory.forProtocol(Protocol)).addErrback(failures.append)
    message = bind_problem(failures[0].value)
    assert message.startswith(f"cannot create the lock file '{directory}/app.sock.lock'")
    assert "Twisted keeps beside the socket" in message
    assert "->" not in message  # not Twisted's "'12345' -> b'...lock'"


def test_a_unix_socket_locked_by_another_server_says_so():
    error = CannotListenError(None, b"/run/app.sock", "Cannot acquire lock")
    assert bind_problem(error) == (
        "another process holds the lock file /run/app.sock.lock: "
        "is another server running on this socket?"
    )


def test_a_port_in_use_is_said_in_three_words():
    in_use = OSError(errno.EADDRINUSE, "Address already in use")
    error = CannotListenError("127.0.0.1", 8000, in_use)
    assert bind_problem(error) == "address already in use"
