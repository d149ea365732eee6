"""The native App: routes, requests, responses, handlers on the reactor."""

from .app import App
from .errors import HTTPError, abort
from .file_response import FileResponse
from .forms import Form
from .request import Request
from .response import Response, StreamingResponse
from .routes import Router
from .uploads import UploadFile
from .websocket import WebSocket, WebSocketDisconnect

__all__ = [
    "App",
    "FileResponse",
    "Form",
    "HTTPError",
    "Request",
    "Response",
    "Router",
    "StreamingResponse",
    "UploadFile",
    "WebSocket",
    "WebSocketDisconnect",
    "abort",
]
