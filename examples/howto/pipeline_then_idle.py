"""Two pipelined requests, a third on the same connection, then silence.

Run it against ``labweb --trace`` to watch the responses leave in request order, the
connection being reused, and the keep-alive timeout closing it
(docs/howto/pipelining-keepalive.md).
"""

from __future__ import annotations

import argparse
import socket
import time


def request(path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: example\r\n\r\n".encode()


def read_responses(sock: socket.socket, count: int) -> list[bytes]:
    """Read until ``count`` whole responses (each with a Content-Length) arrived."""
    data = b""
    responses: list[bytes] = []
    while len(responses) < count:
        head, found, rest = data.partition(b"\r\n\r\n")
        length = next(
            (
                int(line.split(b":")[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            ),
            None,
        )
        if found and length is not None and len(rest) >= length:
            responses.append(rest[:length])
            data = rest[length:]
            continue
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection too early")
        data += chunk
    return responses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("port", type=int)
    port = parser.parse_args().port
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(request("/slow") + request("/fast"))
        print("sent GET /slow and GET /fast in one write")
        for body in read_responses(sock, 2):
            print(f"answer: {body.decode().strip()}")
        sock.sendall(request("/again"))
        print("sent GET /again on the same connection")
        [body] = read_responses(sock, 1)
        print(f"answer: {body.decode().strip()}")
        idle_since = time.monotonic()
        print("now silent; the server closes the connection when it has been idle too long")
        assert sock.recv(65536) == b""
        print(f"closed by the server after {round(time.monotonic() - idle_since)} s idle")


if __name__ == "__main__":
    main()
