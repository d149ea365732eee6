"""The recorder's exchanges as a HAR 1.2 document, without a packet capture.

Browsers' developer tools and HAR viewers read the standard fields; labweb adds its
own under names starting with ``_`` (as HAR allows): ``_raw`` holds both directions'
bytes, escaped reversibly (``lab.text``), with their full counts, and ``_outcome``
says how the exchange ended. Timings are measured by the server: ``send`` is the
request arriving (first byte to last), ``wait`` the hosted code working until the
first response byte, ``receive`` the response leaving; ``blocked``, ``dns``,
``connect`` and ``ssl`` are the client's and so are -1 (not known).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qsl

from .. import __version__
from .exchange_record import ExchangeRecord, parse_response_head
from .text import escape_bytes


def har_document(records: Iterable[ExchangeRecord]) -> dict[str, Any]:
    """``{"log": {"version": "1.2", "creator": ..., "entries": [...]}}``, oldest first."""
    return {
        "log": {
            "version": "1.2",
            "creator": {"name": "labweb", "version": __version__},
            "entries": [har_entry(record) for record in records],
        }
    }


def write_har(records: Iterable[ExchangeRecord], path: str) -> None:
    """Write the document to ``path`` whole or not at all (a temporary file, renamed).

    Raises:
        OSError: the directory cannot be written.
    """
    text = json.dumps(har_document(records), indent=1)
    directory = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(prefix=".har-", dir=directory)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def _milliseconds(seconds: float) -> float:
    return round(max(seconds, 0.0) * 1000, 3)


def _timings(record: ExchangeRecord) -> dict[str, float]:
    """The three phases the server sees; a missing moment takes the one before it."""
    started = record.started
    received = max(started, record.request_end_at or record.head_at or started)
    first_out = max(received, record.response_start_at or received)
    finished = max(first_out, record.finished_at or first_out)
    return {
        "blocked": -1,
        "dns": -1,
        "connect": -1,
        "ssl": -1,
        "send": _milliseconds(received - started),
        "wait": _milliseconds(first_out - received),
        "receive": _milliseconds(finished - first_out),
    }


def _request(record: ExchangeRecord) -> dict[str, Any]:
    head = record.head
    head_size = bytes(record.raw_in).find(b"\r\n\r\n")
    head_size = head_size + 4 if head_size >= 0 else -1
    if head is None:
        return {
            "method": "",
            "url": "",
            "httpVersion": "",
            "cookies": [],
            "headers": [],
            "queryString": [],
            "headersSize": -1,
            "bodySize": record.bytes_in,
        }
    host = head.authority.decode("latin-1") or "localhost"
    target = head.target.decode("latin-1")
    url = target if "://" in target else f"{record.scheme}://{host}{target}"
    return {
        "method": record.method,
        "url": url,
        "httpVersion": f"HTTP/{head.version[0]}.{head.version[1]}",
        "cookies": [],
        "headers": [
            {"name": name.decode("latin-1"), "value": value.decode("latin-1")}
            for name, value in head.headers
        ],
        "queryString": [
            {"name": name, "value": value}
            for name, value in parse_qsl(head.query.decode("latin-1"), keep_blank_values=True)
        ],
        "headersSize": head_size,
        "bodySize": record.bytes_in - head_size if head_size >= 0 else -1,
    }


def _response(record: ExchangeRecord) -> dict[str, Any]:
    parsed = parse_response_head(bytes(record.raw_out))
    mime = next((v for n, v in parsed.headers if n.lower() == "content-type"), "")
    body_size = record.bytes_out - parsed.size if parsed.size >= 0 else -1
    return {
        "status": record.status or 0,
        "statusText": parsed.reason,
        "httpVersion": "HTTP/1.1" if record.bytes_out else "",
        "cookies": [],
        "headers": [{"name": name, "value": value} for name, value in parsed.headers],
        "content": {"size": max(body_size, 0), "mimeType": mime},
        "redirectURL": next((v for n, v in parsed.headers if n.lower() == "location"), ""),
        "headersSize": parsed.size,
        "bodySize": body_size,
    }


def har_entry(record: ExchangeRecord) -> dict[str, Any]:
    """One exchange as a HAR entry, with labweb's ``_raw`` and ``_outcome``."""
    timings = _timings(record)
    return {
        "startedDateTime": datetime.fromtimestamp(record.started, timezone.utc).isoformat(),
        "time": round(timings["send"] + timings["wait"] + timings["receive"], 3),
        "request": _request(record),
        "response": _response(record),
        "cache": {},
        "timings": timings,
        "connection": str(record.connection_id),
        "_peer": record.peer,
        "_outcome": record.outcome.value,
        "_error": record.error,
        "_raw": {
            "request": escape_bytes(bytes(record.raw_in)),
            "response": escape_bytes(bytes(record.raw_out)),
            "requestBytes": record.bytes_in,
            "responseBytes": record.bytes_out,
        },
    }
