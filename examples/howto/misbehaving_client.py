"""A client that breaks HTTP/1.1 on purpose, to watch with ``labweb --trace``.

Each kind is one request as a buggy or hostile client sends it; the script prints
the answer's status line and whether the server closed the connection
(docs/howto/trace-a-client.md).
"""

from __future__ import annotations

import argparse
import socket

SMUGGLED = b"0\r\n\r\nGET /admin HTTP/1.1\r\nHost: example\r\n\r\n"
UPLOAD = "".join(f"row {n}\n" for n in range(1, 201))

REQUESTS = {
    # lines ending in LF alone, as a hand-written client or `printf` often sends
    "bare-lf": b"GET / HTTP/1.1\nHost: example\n\n",
    # a field value continued on the next line (obs-fold), gone since RFC 7230
    "obs-fold": b"GET / HTTP/1.1\r\nHost: example\r\nX-Note: first\r\n  second\r\n\r\n",
    # CL.TE smuggling: a front end that trusts Content-Length passes "0\r\n\r\n" as
    # the body, and a back end that trusts chunked then reads GET /admin as a request
    "smuggle": (
        b"POST / HTTP/1.1\r\nHost: example\r\nContent-Length: %d\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n%s" % (len(SMUGGLED), SMUGGLED)
    ),
    # nothing wrong, only long: the trace cuts it after --trace-bytes
    "upload": (
        b"POST /upload HTTP/1.1\r\nHost: example\r\nContent-Type: text/csv\r\n"
        b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(UPLOAD), UPLOAD.encode())
    ),
}


def send(port: int, kind: str) -> None:
    """Send one kind of request, then read until the server closes."""
    data = REQUESTS[kind]
    answer = b""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(data)
        while chunk := sock.recv(65536):
            answer += chunk
    status_line = answer.split(b"\r\n", 1)[0].decode("latin-1")
    body = answer.partition(b"\r\n\r\n")[2].decode("latin-1").strip()
    print(f"sent {len(data)} bytes ({kind})")
    print(f"answer: {status_line}")
    print(f"body: {body}")
    print("the server closed the connection")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("port", type=int)
    parser.add_argument("kind", choices=sorted(REQUESTS))
    options = parser.parse_args()
    send(options.port, options.kind)


if __name__ == "__main__":
    main()
