"""The HTTP/1.1 engine on Twisted: connections, the pipeline, exchanges, timers.

Everything hosted code needs comes from here: ``IRequestHandler`` to implement, the
``Exchange`` it is handed, and ``HTTPFactory`` to serve it; ``ConnectionObserver`` to
watch every connection.
"""

from .exchange import Exchange
from .factory import HTTPFactory
from .failure import answer_failure
from .interfaces import BodyReceiver, Connection, IRequestHandler
from .observers import ConnectionObserver, ObservedHTTPProtocol
from .protocol import HTTPProtocol
from .states import ConnectionState, ResponseState, ResponseStateError
from .timers import TimerKind

__all__ = [
    "BodyReceiver",
    "Connection",
    "ConnectionObserver",
    "ConnectionState",
    "Exchange",
    "HTTPFactory",
    "HTTPProtocol",
    "IRequestHandler",
    "ObservedHTTPProtocol",
    "ResponseState",
    "ResponseStateError",
    "TimerKind",
    "answer_failure",
]
