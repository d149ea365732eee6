"""A tiny HTTP/1.1 client on a raw socket that prints every request and response.

The tutorial points it at each step's server. It shows what a server did with the
connection (reused it, closed it, answered pipelined requests or dropped them), which
curl and browsers hide. Run ``python examples/tutorial/client.py --help``.
"""

from __future__ import annotations

import argparse
import socket

TIMEOUT_SECONDS = 5.0
SILENCE_SECONDS = 2.0  # how long an answer may take beside the silent client


class Connection:
    """One TCP connection to the server, read as HTTP/1.1 responses."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT_SECONDS)
        self.buffer = b""
        print(f"* connected to 127.0.0.1:{port}")

    def _more(self) -> bool:
        """Read what has arrived; False once the server has closed the connection."""
        data = self.sock.recv(65536)
        self.buffer += data
        return bool(data)

    def _take(self, size: int) -> bytes:
        while len(self.buffer) < size and self._more():
            pass
        taken, self.buffer = self.buffer[:size], self.buffer[size:]
        return taken

    def _line(self) -> bytes:
        while b"\r\n" not in self.buffer and self._more():
            pass
        line, _, self.buffer = self.buffer.partition(b"\r\n")
        return line

    def response(self) -> dict[str, str] | None:
        """Print the next response; its fields, or None if the server closed first."""
        status = self._line()
        if not status:
            return None
        print(f"< {status.decode('latin-1')}")
        fields: dict[str, str] = {}
        while line := self._line():
            print(f"< {line.decode('latin-1')}")
            name, _, value = line.decode("latin-1").partition(":")
            fields[name.lower()] = value.strip()
        print("<")
        body = self._body(fields)
        if body:
            print(body.decode("utf-8", "replace"), end="" if body.endswith(b"\n") else "\n")
        return fields

    def _body(self, fields: dict[str, str]) -> bytes:
        """The body, framed as RFC 9112 says: Content-Length, chunked, or until close."""
        if "content-length" in fields:
            return self._take(int(fields["content-length"]))
        if fields.get("transfer-encoding") == "chunked":
            body = b""
            while size := int(self._line().split(b";")[0], 16):
                body += self._take(size)
                self._line()
            self._line()  # the empty line after the last chunk (no trailers here)
            return body
        while self._more():
            pass
        body, self.buffer = self.buffer, b""
        return body

    def closed_by_server(self) -> bool:
        """Wait briefly for more bytes: True when the server closed the connection."""
        try:
            return not self.buffer and not self._more()
        except TimeoutError:
            return False

    def close(self) -> None:
        self.sock.close()


def request(port: int, path: str, *, data: str | None, last: bool) -> bytes:
    """The bytes of one request; the last one asks the server to close."""
    method = "GET" if data is None else "POST"
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}"]
    if data is not None:
        lines += ["Content-Type: text/plain", f"Content-Length: {len(data.encode())}"]
    if last:
        lines.append("Connection: close")
    for line in lines:
        print(f"> {line}")
    print(">")
    if data:
        print(data)
    return ("\r\n".join(lines) + "\r\n\r\n" + (data or "")).encode()


def one_by_one(port: int, paths: list[str], data: str | None, *, keep_open: bool) -> None:
    """Each request after the previous response, on the same connection while it lasts."""
    connection = Connection(port)
    for index, path in enumerate(paths):
        last = index == len(paths) - 1 and not keep_open
        connection.sock.sendall(request(port, path, data=data, last=last))
        fields = connection.response()
        if fields is None:
            print("* the server closed the connection without answering")
            break
        if index < len(paths) - 1:
            if fields.get("connection") == "close":
                print("* the server will close this connection: open another one")
                connection.close()
                connection = Connection(port)
            else:
                print("* the connection stays open: reuse it")
    finish(connection)


def finish(connection: Connection, ending: str = "") -> None:
    """Wait until the server closes the connection (or a few seconds pass), then close."""
    if connection.closed_by_server():
        print(f"* closed by the server{ending}")
    else:
        print(f"* still open after {TIMEOUT_SECONDS:g} seconds: closing it")
    connection.close()


def pipelined(port: int, paths: list[str], data: str | None, *, keep_open: bool) -> None:
    """Every request in one write, then every response that comes back."""
    connection = Connection(port)
    wire = b"".join(
        request(port, path, data=data, last=index == len(paths) - 1 and not keep_open)
        for index, path in enumerate(paths)
    )
    connection.sock.sendall(wire)
    answered = 0
    while answered < len(paths) and connection.response() is not None:
        answered += 1
    ending = "" if answered == len(paths) else f" after {answered} of {len(paths)} responses"
    finish(connection, ending)


def beside_a_silent_client(port: int, paths: list[str], data: str | None) -> None:
    """Ask while another client holds a connection open and sends nothing."""
    silent = socket.create_connection(("127.0.0.1", port))
    print("* a silent client connects and sends nothing")
    connection = Connection(port)
    connection.sock.sendall(request(port, paths[0], data=data, last=True))
    connection.sock.settimeout(SILENCE_SECONDS)
    try:
        connection.response()
    except TimeoutError:
        print(f"* no answer after {SILENCE_SECONDS:g} seconds")
        print("* the silent client leaves")
        silent.close()
        connection.sock.settimeout(TIMEOUT_SECONDS)
        connection.response()
    else:
        silent.close()
    connection.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("port", type=int)
    parser.add_argument("paths", nargs="+", metavar="path")
    parser.add_argument("--data", help="send each request as a POST with this body")
    parser.add_argument(
        "--keep-open",
        action="store_true",
        help="never ask to close: wait for the server to close the idle connection",
    )
    how = parser.add_mutually_exclusive_group()
    how.add_argument("--pipeline", action="store_true", help="send every request at once")
    how.add_argument(
        "--beside-silent-client",
        action="store_true",
        help="ask while another connection stays silent",
    )
    options = parser.parse_args(argv)
    if options.pipeline:
        pipelined(options.port, options.paths, options.data, keep_open=options.keep_open)
    elif options.beside_silent_client:
        beside_a_silent_client(options.port, options.paths, options.data)
    else:
        one_by_one(options.port, options.paths, options.data, keep_open=options.keep_open)


if __name__ == "__main__":
    main()
