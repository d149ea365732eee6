"""Every limit and timeout in one place, with units in the names."""

from __future__ import annotations

from dataclasses import dataclass

KIB = 1024
MIB = 1024 * KIB
GIB = 1024 * MIB


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on what one connection may make the server hold or wait for.

    Shared by the parser, the protocol, the ``labweb`` command line and twistd, so a
    default changes in exactly one place.
    """

    max_request_line_bytes: int = 8 * KIB  # then 414
    max_head_bytes: int = 64 * KIB  # request line + fields; then 431
    max_header_count: int = 100  # then 431
    max_body_bytes: int = 1 * GIB  # then 413
    max_chunk_line_bytes: int = 4 * KIB  # chunk-size line with extensions; then 400
    max_trailer_bytes: int = 16 * KIB  # then 431
    max_pipelined_requests: int = 16  # heads parsed ahead of the response in flight
    header_timeout_seconds: float = 10.0  # first byte of a head to its end; then 408
    body_timeout_seconds: float = 60.0  # longest silence inside a request body; then 408
    keepalive_timeout_seconds: float = 15.0  # idle connection between requests; then close
    request_timeout_seconds: float | None = None  # whole request, head to last byte
    send_timeout_seconds: float = 60.0  # longest a response waits for the client to read
    response_timeout_seconds: float = 300.0  # handler's time to begin its answer; then 503
    max_connections: int | None = None  # beyond it, new connections get 503
    shutdown_timeout_seconds: float = 30.0  # in-flight requests get this long on SIGTERM
    body_spool_bytes: int = 1 * MIB  # request bodies beyond this spill to a temporary file
    max_websocket_message_bytes: int = 1 * MIB  # one reassembled message; then close 1009
    websocket_ping_interval_seconds: float | None = 20.0  # keep-alive ping; None: never
    websocket_ping_timeout_seconds: float = 20.0  # no pong this long after a ping; close 1011
    websocket_close_timeout_seconds: float = 10.0  # our close waits this long for the reply
    max_form_parts: int = 1000  # fields and files in one form body; then 413
    max_part_head_bytes: int = 8 * KIB  # header section of one multipart part; then 413
    max_form_field_bytes: int = 1 * MIB  # one non-file field, or a whole urlencoded form; 413
    max_upload_bytes: int = 1 * GIB  # one uploaded file; then 413
    upload_spool_bytes: int = 1 * MIB  # uploaded files beyond this spill to a temporary file

    def __post_init__(self) -> None:
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if value is not None and not 0 < value < float("inf"):  # NaN fails too
                raise ValueError(f"{name} must be a positive number, got {value!r}")
