"""HTTP/1.1 framing without I/O: the request parser, its events and the response writer.

Nothing under this package imports Twisted (a test enforces it), so it can be read,
tested and fuzzed on its own.
"""

from .errors import LabWebError, ProtocolError, ResponseHeaderError, ResponseLengthError
from .events import BodyData, EndOfMessage, Event, Headers, RequestHead
from .limits import Limits
from .parser import RequestParser

__all__ = [
    "BodyData",
    "EndOfMessage",
    "Event",
    "Headers",
    "LabWebError",
    "Limits",
    "ProtocolError",
    "RequestHead",
    "RequestParser",
    "ResponseHeaderError",
    "ResponseLengthError",
]
