"""The engine's two state machines, each a table in one place.

A response walks ``ResponseState``; a connection walks ``ConnectionState``. Code moves
between states only through ``advance``, so a step the table does not list (a write
after ``finish()``, a response on a closed connection) fails loudly where it happens
instead of corrupting the next response on the wire.
"""

from __future__ import annotations

import enum
from typing import TypeVar


class ResponseStateError(RuntimeError):
    """Hosted code did something its response's state does not allow (a write after finish)."""


class ResponseState(enum.Enum):
    """Where one exchange's response is."""

    IDLE = enum.auto()  # nothing produced yet
    HEAD_SENT = enum.auto()  # status and fields accepted; held for the first body bytes
    BODY = enum.auto()  # bytes are on the wire: it can no longer become a 500
    DONE = enum.auto()  # finished (or switched protocols); later writes are refused
    ABORTED = enum.auto()  # the connection is gone or was cut; later writes are dropped

    # Every step looks a (state, action) pair up in a table, several times a request.
    # Enum's own __hash__ is a Python function; members are singletons compared by
    # identity, so the identity hash is a correct one and costs no Python call.
    __hash__ = object.__hash__


_R = ResponseState

# (state, action) -> next state. Anything missing raises ResponseStateError.
RESPONSE_TRANSITIONS: dict[tuple[ResponseState, str], ResponseState] = {
    (_R.IDLE, "start"): _R.HEAD_SENT,
    (_R.HEAD_SENT, "start"): _R.HEAD_SENT,  # a held head is replaced (500 after a failure)
    (_R.HEAD_SENT, "write"): _R.BODY,
    (_R.BODY, "write"): _R.BODY,
    (_R.HEAD_SENT, "finish"): _R.DONE,
    (_R.BODY, "finish"): _R.DONE,
    (_R.DONE, "finish"): _R.DONE,  # finishing twice is harmless
    (_R.IDLE, "switch"): _R.DONE,  # 101: the connection now speaks another protocol
    (_R.IDLE, "abort"): _R.ABORTED,
    (_R.HEAD_SENT, "abort"): _R.ABORTED,
    (_R.BODY, "abort"): _R.ABORTED,
    (_R.DONE, "abort"): _R.DONE,  # nothing left to cut
    (_R.ABORTED, "abort"): _R.ABORTED,
    (_R.ABORTED, "start"): _R.ABORTED,  # a thread still producing: dropped quietly
    (_R.ABORTED, "write"): _R.ABORTED,
    (_R.ABORTED, "finish"): _R.ABORTED,
}


class ConnectionState(enum.Enum):
    """Where one connection is in its life."""

    OPEN = enum.auto()  # reading requests and answering them
    LAST_RESPONSE = enum.auto()  # answer what is in flight, read no new request, close
    FAILED = enum.auto()  # a framing error: answer the requests before it, then the error
    CLOSING = enum.auto()  # close asked; unsent bytes drain (the send timer bounds it)
    LINGERING = enum.auto()  # our FIN is out; reading and dropping until the client closes
    SWITCHED = enum.auto()  # after 101 the transport belongs to another protocol
    CLOSED = enum.auto()  # connectionLost: nothing of it may run again

    __hash__ = object.__hash__  # as ResponseState's: no Python call per table lookup


_C = ConnectionState

CONNECTION_TRANSITIONS: dict[tuple[ConnectionState, str], ConnectionState] = {
    (_C.OPEN, "last_response"): _C.LAST_RESPONSE,
    (_C.OPEN, "fail"): _C.FAILED,
    (_C.LAST_RESPONSE, "fail"): _C.FAILED,
    (_C.OPEN, "close"): _C.CLOSING,
    (_C.LAST_RESPONSE, "close"): _C.CLOSING,
    (_C.FAILED, "close"): _C.CLOSING,
    (_C.CLOSING, "half_closed"): _C.LINGERING,
    (_C.OPEN, "switch"): _C.SWITCHED,
    (_C.OPEN, "lost"): _C.CLOSED,
    (_C.LAST_RESPONSE, "lost"): _C.CLOSED,
    (_C.FAILED, "lost"): _C.CLOSED,
    (_C.CLOSING, "lost"): _C.CLOSED,
    (_C.LINGERING, "lost"): _C.CLOSED,
    (_C.SWITCHED, "lost"): _C.CLOSED,
    (_C.CLOSED, "lost"): _C.CLOSED,
}

# States in which the connection still reads and answers HTTP requests. A tuple, not a
# set: membership by identity needs no enum __hash__ (a Python call) on the hot path.
ANSWERING = (_C.OPEN, _C.LAST_RESPONSE, _C.FAILED)

S = TypeVar("S", ResponseState, ConnectionState)


def advance(table: dict[tuple[S, str], S], state: S, action: str) -> S:
    """The state after ``action``, as ``table`` says.

    Raises:
        ResponseStateError: the table has no such step (a bug in the caller).
    """
    try:
        return table[state, action]
    except KeyError:
        raise ResponseStateError(f"cannot {action} in state {state.name}") from None
