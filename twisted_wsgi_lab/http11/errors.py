"""Errors that carry the answer: the parser raises, only the protocol writes bytes."""


class LabWebError(Exception):
    """Base class of every error labweb raises on purpose."""


class ProtocolError(LabWebError):
    """The peer broke HTTP/1.1: answer with ``status`` and close the connection."""

    def __init__(self, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class ResponseHeaderError(LabWebError):
    """Hosted code produced a status line or header that cannot go on the wire.

    CR, LF or NUL in a header would let the application's data split the response
    (CWE-113); the server answers 500 instead of sending it.
    """


class ResponseLengthError(LabWebError):
    """Hosted code wrote more body bytes than its Content-Length announced."""
