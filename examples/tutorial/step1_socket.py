"""Step 1: a web server on a bare blocking socket, as the teaching servers began.

It reads one ``recv(1024)``, prints it, answers with one fixed response and closes.
docs/tutorial/step1.md runs it and shows what goes wrong: one client at a time, no
framing of the request, no keep-alive.
"""

from __future__ import annotations

import argparse
import socket

RESPONSE = (
    b"HTTP/1.1 200 OK\r\n"
    b"Content-Type: text/plain\r\n"
    b"Content-Length: 14\r\n"
    b"Connection: close\r\n"
    b"\r\n"
    b"Hello, world!\n"
)


def serve(port: int) -> None:
    """Accept, read, answer, close; then the next client, forever."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(5)
    print(f"listening on http://127.0.0.1:{listener.getsockname()[1]}/", flush=True)
    while True:
        client, (host, client_port) = listener.accept()
        with client:
            print(f"accepted {host}:{client_port}", flush=True)
            request = client.recv(1024)  # and hope the whole request came in this read
            if not request:
                print("  it closed without sending anything", flush=True)
                continue
            for line in request.decode("latin-1").splitlines(keepends=True):
                shown = line.replace("\r", "\\r").replace("\n", "\\n")
                print(f"  > {shown}", flush=True)
            client.sendall(RESPONSE)
            print("  < HTTP/1.1 200 OK, then close", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    try:
        serve(parser.parse_args().port)
    except KeyboardInterrupt:
        print("stopped", flush=True)


if __name__ == "__main__":
    main()
