"""The native App: routes, requests, responses, handlers on the reactor."""

from .app import App
from .errors import HTTPError, abort
from .forms import Form
from .request import Request
from .response import Response, StreamingResponse
from .routes import Router
from .uploads import UploadFile

__all__ = [
    "App",
    "Form",
    "HTTPError",
    "Request",
    "Response",
    "Router",
    "StreamingResponse",
    "UploadFile",
    "abort",
]
