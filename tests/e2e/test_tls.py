"""On a TLS endpoint the app sees wsgi.url_scheme == "https"."""

from __future__ import annotations

import datetime
import socket
import ssl
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from twisted.internet import reactor
from twisted.internet.endpoints import serverFromString

from twisted_wsgi_lab.engine import HTTPFactory
from twisted_wsgi_lab.http11 import Limits
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
