"""--proxy-headers: the parsers (no sockets), then the handler on in-memory connections."""

from __future__ import annotations

import ipaddress
import json
from typing import Any

import pytest
from twisted.internet.address import IPv4Address, IPv6Address, UNIXAddress
from twisted.internet.task import Clock
from twisted.logger import LogEvent, globalLogPublisher

from twisted_wsgi_lab import App, HTTPFactory, Request
from twisted_wsgi_lab.service.access_log import AccessLog
from twisted_wsgi_lab.service.proxy_headers import (
    ForwardedElement,
    Node,
    Origin,
    ProxyHeaderError,
    ProxyHeadersHandler,
    origin_from_headers,
    parse_forwarded,
    parse_networks,
    parse_node,
    parse_x_forwarded_for,
    with_port,
)
from twisted_wsgi_lab.testing import MemoryConnection, connect, exchange_for, parse_responses
from twisted_wsgi_lab.wsgi import WSGIBridge

LOOPBACK = parse_networks("127.0.0.0/8,::1")
PROXIES = parse_networks("127.0.0.0/8,::1,10.0.0.0/8")
ip = ipaddress.ip_address


def origin(*headers: tuple[bytes, bytes], kind: str = "auto") -> Origin | None:
    return origin_from_headers(headers, PROXIES, kind=kind)


# -- nodes ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "node"),
    [
        ("192.0.2.7", Node(ip("192.0.2.7"))),
        ("192.0.2.7:4711", Node(ip("192.0.2.7"), 4711)),
        ("[2001:db8::7]", Node(ip("2001:db8::7"))),
        ("[2001:db8::7]:4711", Node(ip("2001:db8::7"), 4711)),
        ("2001:db8::7", Node(ip("2001:db8::7"))),
        ("unknown", Node(None)),
        ("UNKNOWN", Node(None)),
        ("_hidden", Node(None)),
        ("192.0.2.7:_port", Node(ip("192.0.2.7"))),
    ],
)
def test_a_node_is_an_address_with_an_optional_port_or_an_unknown_client(
    text: str, node: Node
) -> None:
    assert parse_node(text) == node


@pytest.mark.parametrize(
    "text",
    ["", "example.com", "192.0.2.7:", "192.0.2.7:99999", "192.0.2.7:8x", "[192.0.2.7]",
     "[2001:db8::7", "[2001:db8::7]x", "1.2.3", "_", "192.0.2.7 "],
)  # fmt: skip
def test_anything_else_is_not_a_node(text: str) -> None:
    with pytest.raises(ProxyHeaderError):
        parse_node(text)


# -- Forwarded ----------------------------------------------------------------------


def test_forwarded_reads_for_proto_and_host_of_every_element() -> None:
    value = b'for=192.0.2.60;proto=HTTPS;by=203.0.113.43;host="a.example:8443", for=10.0.0.1'
    assert parse_forwarded(value) == [
        ForwardedElement(Node(ip("192.0.2.60")), "https", b"a.example:8443"),
        ForwardedElement(Node(ip("10.0.0.1"))),
    ]


def test_forwarded_quoted_values_keep_commas_semicolons_and_escapes() -> None:
    [element] = parse_forwarded(b'For="[2001:db8:cafe::17]:4711";HOST="x\\.example"')
    assert element == ForwardedElement(Node(ip("2001:db8:cafe::17"), 4711), None, b"x.example")


def test_forwarded_allows_empty_elements_and_empty_pairs() -> None:
    assert parse_forwarded(b" , for=192.0.2.1;;proto=http ,") == [
        ForwardedElement(Node(ip("192.0.2.1")), "http")
    ]
    assert parse_forwarded(b"") == []


@pytest.mark.parametrize(
    "value",
    [b"for=", b'for="192.0.2.1', b"junk", b"for=192.0.2.1 x", b"for=[::1]",
     b"for=192.0.2.1;for=192.0.2.2", b"proto=ftp", b'host="a b"', b"for=example.com",
     b"for=192.0.2.1 for=192.0.2.2", b"=x"],
)  # fmt: skip
def test_a_malformed_forwarded_value_is_refused_whole(value: bytes) -> None:
    with pytest.raises(ProxyHeaderError):
        parse_forwarded(value)


# -- X-Forwarded-For ----------------------------------------------------------------


def test_x_forwarded_for_lists_nodes_left_to_right() -> None:
    assert parse_x_forwarded_for(b"203.0.113.7, 2001:db8::1,unknown, [::1]:80") == [
        Node(ip("203.0.113.7")),
        Node(ip("2001:db8::1")),
        Node(None),
        Node(ip("::1"), 80),
    ]


@pytest.mark.parametrize("value", [b"", b"203.0.113.7,,10.0.0.1", b"evil", b"1.2.3.4; x"])
def test_a_malformed_x_forwarded_for_is_refused(value: bytes) -> None:
    with pytest.raises(ProxyHeaderError):
        parse_x_forwarded_for(value)


# -- trusted networks ---------------------------------------------------------------


def test_trusted_proxies_are_addresses_or_networks() -> None:
    assert parse_networks(" 10.0.0.0/8, ::1 ,192.0.2.1") == (
        ipaddress.ip_network("10.0.0.0/8"),
        ipaddress.ip_network("::1/128"),
        ipaddress.ip_network("192.0.2.1/32"),
    )


@pytest.mark.parametrize("text", ["", " , ", "10.0.0.0/33", "localhost", "10.0.0.0/8,nope"])
def test_a_bad_network_is_refused_by_name(text: str) -> None:
    with pytest.raises(ValueError, match=r"network|not an IP"):
        parse_networks(text)


# -- deciding -----------------------------------------------------------------------


def test_x_forwarded_for_takes_the_right_most_untrusted_address() -> None:
    found = origin((b"x-forwarded-for", b"198.51.100.1, 203.0.113.7, 10.0.0.2, 10.0.0.3"))
    assert found is not None and found.client == Node(ip("203.0.113.7"))


def test_when_every_hop_is_trusted_the_left_most_is_the_client() -> None:
    found = origin((b"x-forwarded-for", b"10.0.0.9, 127.0.0.1"))
    assert found is not None and found.client == Node(ip("10.0.0.9"))


def test_repeated_field_lines_are_one_list() -> None:
    found = origin((b"x-forwarded-for", b"203.0.113.7"), (b"x-forwarded-for", b"10.0.0.2"))
    assert found is not None and found.client == Node(ip("203.0.113.7"))


def test_an_ipv4_mapped_ipv6_hop_counts_as_its_ipv4_address() -> None:
    found = origin((b"x-forwarded-for", b"203.0.113.7, ::ffff:10.0.0.2"))
    assert found is not None and found.client == Node(ip("203.0.113.7"))


def test_x_forwarded_proto_host_and_port_take_the_right_most_value() -> None:
    found = origin(
        (b"x-forwarded-proto", b"http, HTTPS"),
        (b"x-forwarded-host", b"spoofed.example, shop.example"),
        (b"x-forwarded-port", b"8443"),
    )
    assert found == Origin(None, "https", b"shop.example", 8443)


def test_a_malformed_x_forwarded_field_is_ignored_alone() -> None:
    found = origin(
        (b"x-forwarded-for", b"not-an-address"),
        (b"x-forwarded-proto", b"gopher"),
        (b"x-forwarded-host", b"bad host"),
        (b"x-forwarded-port", b"70000"),
    )
    assert found == Origin()
    found = origin((b"x-forwarded-for", b"garbage"), (b"x-forwarded-proto", b"https"))
    assert found == Origin(None, "https")


def test_forwarded_takes_scheme_and_host_from_the_element_of_the_client() -> None:
    found = origin(
        (
            b"forwarded",
            b'for=198.51.100.1;proto=http, for="[2001:db8::7]:4711";proto=https;host=shop.example,'
            b" for=10.0.0.2;proto=http;host=internal",
        )
    )
    assert found == Origin(Node(ip("2001:db8::7"), 4711), "https", b"shop.example")


def test_an_obfuscated_client_stops_the_walk_without_an_address() -> None:
    found = origin((b"forwarded", b"for=198.51.100.1, for=_hidden;proto=https, for=10.0.0.2"))
    assert found == Origin(Node(None), "https", None)


def test_a_malformed_forwarded_field_is_ignored() -> None:
    assert origin((b"forwarded", b'for="198.51.100.1')) is None


def test_auto_prefers_x_forwarded_which_common_proxies_always_set() -> None:
    headers = ((b"forwarded", b"for=198.51.100.66"), (b"x-forwarded-for", b"203.0.113.7"))
    auto = origin(*headers)
    assert auto is not None and auto.client == Node(ip("203.0.113.7"))
    forwarded = origin(*headers, kind="forwarded")
    assert forwarded is not None and forwarded.client == Node(ip("198.51.100.66"))
    assert origin(headers[0], kind="x-forwarded") is None
    only = origin(headers[0])
    assert only is not None and only.client == Node(ip("198.51.100.66"))


def test_a_request_without_forwarding_fields_has_no_origin() -> None:
    assert origin((b"host", b"a"), (b"x-real-ip", b"203.0.113.7")) is None


@pytest.mark.parametrize(
    ("authority", "port", "scheme", "expected"),
    [
        (b"shop.example", 8443, "https", b"shop.example:8443"),
        (b"shop.example:8080", 443, "https", b"shop.example"),
        (b"[2001:db8::1]:8080", 80, "http", b"[2001:db8::1]"),
        (b"[2001:db8::1]", 81, "http", b"[2001:db8::1]:81"),
        (b"", 81, "http", b""),
    ],
)
def test_x_forwarded_port_replaces_the_port_of_the_host(
    authority: bytes, port: int, scheme: str, expected: bytes
) -> None:
    assert with_port(authority, port, scheme) == expected


# -- the handler on one exchange -----------------------------------------------------


class Recorder:
    """An inner handler that keeps the exchange it is given."""

    def __init__(self) -> None:
        self.exchanges: list[Any] = []

    def handle(self, exchange: Any) -> None:
        self.exchanges.append(exchange)


def handled(request: bytes, *, peer: tuple[str, int], networks: Any = ()) -> Any:
    inner = Recorder()
    connection = MemoryConnection(peer=peer)
    ProxyHeadersHandler(inner, networks).handle(exchange_for(request, connection))  # type: ignore[arg-type]
    [exchange] = inner.exchanges
    return exchange


SPOOF = (
    b"GET /p HTTP/1.1\r\nHost: internal:8080\r\nX-Forwarded-For: 203.0.113.7\r\n"
    b"X-Forwarded-Proto: https\r\nX-Forwarded-Host: shop.example\r\n\r\n"
)


def test_a_trusted_peer_sets_the_client_scheme_and_host() -> None:
    exchange = handled(SPOOF, peer=("127.0.0.1", 5000))
    assert exchange.client_address == IPv4Address("TCP", "203.0.113.7", 0)
    assert (exchange.scheme, exchange.is_secure, exchange.authority) == (
        "https",
        True,
        b"shop.example",
    )
    assert exchange.peer_address == IPv4Address("TCP", "127.0.0.1", 5000)
    assert exchange.head.authority == b"internal:8080"  # the head is never changed


def test_an_untrusted_peer_changes_nothing() -> None:
    exchange = handled(SPOOF, peer=("198.51.100.9", 5000))
    assert exchange.client_address == IPv4Address("TCP", "198.51.100.9", 5000)
    assert (exchange.scheme, exchange.authority) == ("http", b"internal:8080")


def test_the_trusted_networks_are_the_ones_given() -> None:
    exchange = handled(SPOOF, peer=("127.0.0.1", 5000), networks=parse_networks("10.0.0.0/8"))
    assert exchange.client_address == IPv4Address("TCP", "127.0.0.1", 5000)
    exchange = handled(SPOOF, peer=("10.1.2.3", 5000), networks=parse_networks("10.0.0.0/8"))
    assert exchange.client_address == IPv4Address("TCP", "203.0.113.7", 0)


def test_an_ipv6_client_with_a_port_becomes_an_ipv6_address() -> None:
    request = b'GET / HTTP/1.1\r\nHost: a\r\nForwarded: for="[2001:db8::7]:4711"\r\n\r\n'
    exchange = handled(request, peer=("127.0.0.1", 5000))
    assert exchange.client_address == IPv6Address("TCP", "2001:db8::7", 4711)


def test_the_handler_trusts_unix_sockets_loopback_v6_and_nothing_by_default_beyond() -> None:
    handler = ProxyHeadersHandler(Recorder())  # type: ignore[arg-type]
    assert handler.trusts(UNIXAddress(b"/run/labweb.sock"))
    assert handler.trusts(IPv6Address("TCP", "::1", 1))
    assert handler.trusts(IPv6Address("TCP", "::ffff:127.0.0.1", 1))
    assert not handler.trusts(IPv6Address("TCP", "2001:db8::1", 1))
    assert not handler.trusts(IPv4Address("TCP", "192.168.1.1", 1))


def test_an_unknown_header_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="proxy header kind"):
        ProxyHeadersHandler(Recorder(), kind="both")  # type: ignore[arg-type]


def test_a_malformed_field_is_logged_at_debug_and_the_request_goes_on() -> None:
    events: list[LogEvent] = []
    globalLogPublisher.addObserver(events.append)
    try:
        request = b'GET / HTTP/1.1\r\nHost: a\r\nForwarded: for="oops\r\n\r\n'
        exchange = handled(request, peer=("127.0.0.1", 5000))
    finally:
        globalLogPublisher.removeObserver(events.append)
    assert exchange.client_address == IPv4Address("TCP", "127.0.0.1", 5000)
    [event] = [e for e in events if "proxy-headers" in e.get("log_format", "")]
    assert event["log_level"].name == "debug"


def test_set_origin_refuses_a_scheme_other_than_http_or_https() -> None:
    exchange = exchange_for(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
    with pytest.raises(ValueError, match="scheme"):
        exchange.set_origin(scheme="ftp")
    exchange.set_origin(scheme="https")
    exchange.set_origin()  # all None: back to the connection's own values
    assert (exchange.scheme, exchange.authority) == ("http", b"a")


# -- through the engine: a WSGI app and a native App ---------------------------------


def environ_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    keys = ("REMOTE_ADDR", "REMOTE_PORT", "wsgi.url_scheme", "HTTP_HOST", "SERVER_NAME",
            "SERVER_PORT", "HTTP_X_FORWARDED_FOR")  # fmt: skip
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps({key: environ.get(key) for key in keys}).encode()]


def wsgi_environ(request: bytes, *, peer: tuple[str, int]) -> dict[str, Any]:
    handler = ProxyHeadersHandler(WSGIBridge(environ_app))
    protocol, transport = connect(HTTPFactory(handler, clock=Clock()), peer=peer)
    protocol.dataReceived(request)
    [response] = parse_responses(transport.value())
    return json.loads(response.body)  # type: ignore[no-any-return]


FORWARDED_REQUEST = (
    b"GET /p?q=1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nX-Forwarded-For: 203.0.113.7, 127.0.0.1"
    b"\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Host: shop.example\r\n"
    b"X-Forwarded-Port: 8443\r\n\r\n"
)


def test_a_wsgi_app_behind_a_trusted_proxy_sees_the_client() -> None:
    env = wsgi_environ(FORWARDED_REQUEST, peer=("127.0.0.1", 40000))
    assert env == {
        "REMOTE_ADDR": "203.0.113.7",
        "REMOTE_PORT": "0",
        "wsgi.url_scheme": "https",
        "HTTP_HOST": "shop.example:8443",
        "SERVER_NAME": "shop.example",
        "SERVER_PORT": "8443",
        "HTTP_X_FORWARDED_FOR": "203.0.113.7, 127.0.0.1",  # the field itself stays
    }


def test_a_wsgi_app_reached_directly_sees_the_peer() -> None:
    env = wsgi_environ(FORWARDED_REQUEST, peer=("198.51.100.9", 40000))
    assert env["REMOTE_ADDR"] == "198.51.100.9"
    assert env["REMOTE_PORT"] == "40000"
    assert env["wsgi.url_scheme"] == "http"
    assert (env["HTTP_HOST"], env["SERVER_NAME"], env["SERVER_PORT"]) == (
        "127.0.0.1:8080",
        "127.0.0.1",
        "8080",
    )


def native_app() -> App:
    app = App(secret_key="test-secret")

    @app.get("/p")
    def page(request: Request) -> dict[str, Any]:
        request.session["seen"] = True
        return {
            "client": request.client,
            "scheme": request.scheme,
            "host": request.host,
            "url": request.url,
        }

    return app


def native(request: bytes, *, peer: tuple[str, int]) -> tuple[dict[str, Any], Any]:
    lines: list[str] = []
    factory = HTTPFactory(ProxyHeadersHandler(native_app()), clock=Clock())
    factory.add_observer(AccessLog(lines.append))
    protocol, transport = connect(factory, peer=peer)
    protocol.dataReceived(request)
    [response] = parse_responses(transport.value())
    return json.loads(response.body), (response, lines)


def test_a_native_app_behind_a_trusted_proxy_sees_the_client_scheme_and_host() -> None:
    seen, (response, lines) = native(FORWARDED_REQUEST, peer=("127.0.0.1", 40000))
    assert seen == {
        "client": ["203.0.113.7", 0],
        "scheme": "https",
        "host": "shop.example:8443",
        "url": "https://shop.example:8443/p?q=1",
    }
    cookie = (response.header(b"set-cookie") or b"").decode()
    assert "; Secure" in cookie  # the session cookie follows the reported scheme
    assert lines[0].startswith("203.0.113.7 - - [")  # and so does the access log


def test_a_native_app_reached_directly_sees_the_peer() -> None:
    seen, (response, lines) = native(FORWARDED_REQUEST, peer=("198.51.100.9", 40000))
    assert seen == {
        "client": ["198.51.100.9", 40000],
        "scheme": "http",
        "host": "127.0.0.1:8080",
        "url": "http://127.0.0.1:8080/p?q=1",
    }
    assert "; Secure" not in (response.header(b"set-cookie") or b"").decode()
    assert lines[0].startswith("198.51.100.9 - - [")


# -- the options ----------------------------------------------------------------------


def parsed(*arguments: str) -> Any:
    from twisted_wsgi_lab.service.options import LabWebOptions

    options = LabWebOptions()
    options.parseOptions(["--listen", "tcp:0:interface=127.0.0.1", *arguments])
    return options


def test_the_options_default_to_loopback_and_auto() -> None:
    options = parsed("--proxy-headers")
    assert options["proxy-headers"]
    assert options["trusted-networks"] == LOOPBACK
    assert options["proxy-header-kind"] == "auto"
    assert not parsed()["proxy-headers"]


def test_a_bad_trusted_proxy_is_a_usage_error_naming_the_option() -> None:
    from twisted.python.usage import UsageError

    with pytest.raises(UsageError, match=r"--trusted-proxies '10\.0\.0\.0/8,nope': 'nope'"):
        parsed("--proxy-headers", "--trusted-proxies", "10.0.0.0/8,nope")
    with pytest.raises(UsageError, match="--proxy-header-kind 'both'"):
        parsed("--proxy-header-kind", "both")
