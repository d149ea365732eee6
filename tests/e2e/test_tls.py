"""TLS: https for the app, ALPN for real clients, https:// in the log, one-line errors."""

from __future__ import annotations

import datetime
import ipaddress
import os
import queue
import re
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from twisted.internet import reactor
from twisted.internet.endpoints import serverFromString
from twisted.python import usage

from twisted_wsgi_lab.engine import HTTPFactory
from twisted_wsgi_lab.http11 import Limits
from twisted_wsgi_lab.service.http_service import HTTPService
from twisted_wsgi_lab.service.options import LabWebOptions
from twisted_wsgi_lab.testing import parse_responses
from twisted_wsgi_lab.wsgi import WSGIBridge

# Twisted's TLS endpoint still hands pyOpenSSL X509 and PKey objects to OpenSSL; not
# ours to fix.
pytestmark = [
    pytest.mark.filterwarnings("ignore:Passing pyOpenSSL X509 objects:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:Passing pyOpenSSL PKey objects:DeprecationWarning"),
]


def self_signed(directory):
    """Write a throwaway certificate and key for 127.0.0.1; return their paths."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def test_tls_endpoint_gives_https_scheme_and_closes_cleanly(in_reactor, tmp_path):
    cert, key = self_signed(tmp_path)

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [environ["wsgi.url_scheme"].encode()]

    description = f"ssl:0:interface=127.0.0.1:privateKey={key}:certKey={cert}"
    factory = HTTPFactory(WSGIBridge(app), limits=Limits())
    port = in_reactor(lambda: serverFromString(reactor, description).listen(factory))
    try:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        raw = socket.create_connection(("127.0.0.1", port.getHost().port), timeout=10)
        with context.wrap_socket(raw) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
        deadline = time.monotonic() + 10
        while factory.connections and time.monotonic() < deadline:
            time.sleep(0.01)
        # Connection: close over TLS: the server finished its side of the shutdown too.
        assert not factory.connections
    finally:
        in_reactor(port.stopListening)
    assert parse_responses(data)[0].body == b"https"


# -- real clients, which offer ALPN --------------------------------------------------


def hello(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello over TLS\n"]


@pytest.fixture
def https_port(in_reactor, tmp_path):
    """A TLS listener opened by labweb's own service; yields its port and certificate."""
    cert, key = self_signed(tmp_path)
    description = f"ssl:0:interface=127.0.0.1:privateKey={key}:certKey={cert}"
    service = HTTPService(
        HTTPFactory(WSGIBridge(hello), limits=Limits()), [description], app_name="hello"
    )
    in_reactor(service.privilegedStartService)
    try:
        yield service.ports[0].getHost().port, cert
    finally:
        in_reactor(service.stopService)


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_with_its_default_alpn_gets_200_over_https(https_port):
    port, cert = https_port
    result = subprocess.run(
        [
            "curl",
            "--silent",
            "--show-error",
            "--cacert",
            str(cert),
            "--max-time",
            "10",
            "--write-out",
            "\n%{http_code} %{http_version}",
            f"https://127.0.0.1:{port}/",
        ],
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "hello over TLS\n\n200 1.1"


def get_with_alpn(port, cert, protocols):
    """GET / with Python's ssl offering ``protocols``; the response and the ALPN choice."""
    context = ssl.create_default_context(cafile=str(cert))
    context.set_alpn_protocols(protocols)
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    with context.wrap_socket(raw, server_hostname="127.0.0.1") as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
        return parse_responses(data)[0], sock.selected_alpn_protocol()


def test_a_client_offering_h2_and_http11_is_given_http11(https_port):
    response, chosen = get_with_alpn(*https_port, ["h2", "http/1.1"])
    assert chosen == "http/1.1"
    assert (response.status, response.body) == (200, b"hello over TLS\n")


def test_a_client_offering_only_h2_is_served_without_alpn_not_sent_an_internal_error(
    https_port,
):
    # RFC 7301 lets a server that speaks none of the offered protocols go on without
    # ALPN; the client then knows it was not given h2 and may speak HTTP/1.1 or leave.
    response, chosen = get_with_alpn(*https_port, ["h2"])
    assert chosen is None
    assert response.status == 200


def test_a_client_without_alpn_is_still_served(https_port):
    response, chosen = get_with_alpn(*https_port, [])
    assert chosen is None
    assert response.status == 200


# -- the commands ----------------------------------------------------------------------

LABWEB = str(Path(sys.executable).with_name("labweb"))
TWISTD_RUN = (
    "import sys; from twisted.scripts.twistd import run; sys.argv[0] = 'twistd'; sys.exit(run())"
)
START_SECONDS = 20


def serving_line(process, stream):
    """The "labweb serving ... on" line, read while the child runs; fails on a deadline."""
    lines = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in stream], daemon=True).start()
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.1)
        except queue.Empty:
            assert process.poll() is None, "the child exited before serving"
            continue
        if "labweb serving" in line:
            return line
    raise AssertionError("no 'labweb serving' line")


@pytest.mark.subprocess
@pytest.mark.parametrize(
    ("argv", "stream"),
    [
        pytest.param([LABWEB], "stderr", id="labweb"),
        pytest.param(
            [sys.executable, "-c", TWISTD_RUN, "--pidfile=", "-n", "labweb"], "stdout", id="twistd"
        ),
    ],
)
def test_a_tls_listener_is_announced_as_an_https_url(tmp_path, argv, stream):
    cert, key = self_signed(tmp_path)
    listen = f"ssl:0:interface=127.0.0.1:privateKey={key}:certKey={cert}"
    process = subprocess.Popen(
        [*argv, "--listen", listen],
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = serving_line(process, getattr(process, stream))
        match = re.search(r" on https://127\.0\.0\.1:(\d+)/$", line.rstrip())
        assert match, line
        response, chosen = get_with_alpn(int(match.group(1)), cert, ["h2", "http/1.1"])
        assert (response.status, chosen) == (200, "http/1.1")
    finally:
        process.kill()
        process.communicate(timeout=START_SECONDS)


# -- refusing to start, in one line ----------------------------------------------------


def listen_error(listen):
    with pytest.raises(usage.UsageError) as info:
        LabWebOptions().parseOptions(["--listen", listen])
    return str(info.value)


def test_a_missing_certificate_file_is_named_with_the_option(tmp_path):
    _, key = self_signed(tmp_path)
    missing = tmp_path / "nowhere.pem"
    listen = f"ssl:0:privateKey={key}:certKey={missing}"
    assert listen_error(listen) == (
        f"--listen {listen!r}: cannot read {str(missing)!r}: No such file or directory"
    )


def test_an_unreadable_key_file_is_named_with_the_option(tmp_path):
    cert, _ = self_signed(tmp_path)
    listen = f"ssl:0:privateKey={tmp_path}:certKey={cert}"  # a directory: unreadable as root too
    assert (
        listen_error(listen)
        == f"--listen {listen!r}: cannot read {str(tmp_path)!r}: Is a directory"
    )


def test_a_file_that_is_not_pem_is_a_usage_error(tmp_path):
    cert, _ = self_signed(tmp_path)
    (tmp_path / "junk.pem").write_text("not a key\n")
    message = listen_error(f"ssl:0:privateKey={tmp_path / 'junk.pem'}:certKey={cert}")
    assert "not a PEM certificate and private key" in message


def test_a_key_that_is_not_the_certificates_is_a_usage_error(tmp_path):
    cert, _ = self_signed(tmp_path)
    (tmp_path / "other").mkdir()
    _, other_key = self_signed(tmp_path / "other")
    message = listen_error(f"ssl:0:privateKey={other_key}:certKey={cert}")
    assert "keys do not match" in message


@pytest.mark.subprocess
def test_without_pyopenssl_ssl_is_one_line_naming_the_tls_extra(tmp_path):
    cert, key = self_signed(tmp_path)
    hide = tmp_path / "hide"
    hide.mkdir()
    # Run before labweb's code: any import of OpenSSL now fails as if it were absent.
    (hide / "sitecustomize.py").write_text("import sys\nsys.modules['OpenSSL'] = None\n")
    listen = f"ssl:0:privateKey={key}:certKey={cert}"
    result = subprocess.run(
        [LABWEB, "--listen", listen],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(hide)},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=START_SECONDS,
    )
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"labweb: error: --listen {listen!r}: TLS needs pyOpenSSL: "
        'pip install "twisted-wsgi-lab[tls]"',
        "Try 'labweb --help'.",
    ]
