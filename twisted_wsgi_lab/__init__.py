"""labweb: an HTTP/1.1 server on Twisted, built to be read, measured and bent.

The public names below are imported on first use (PEP 562), so ``import
twisted_wsgi_lab.http11`` stays free of Twisted and the twistd plugin stays light.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from .engine import (
        BodyReceiver,
        ConnectionObserver,
        Exchange,
        HTTPFactory,
        HTTPProtocol,
        IRequestHandler,
        ResponseStateError,
    )
    from .http11 import Limits
    from .router import (
        App,
        FileResponse,
        Form,
        HTTPError,
        Request,
        Response,
        Router,
        StreamingResponse,
        UploadFile,
        WebSocket,
        WebSocketDisconnect,
        abort,
    )
    from .wsgi import WSGIBridge

# public name -> the module that defines it
_EXPORTS = {
    "BodyReceiver": ".engine",
    "ConnectionObserver": ".engine",
    "ResponseStateError": ".engine",
    "Exchange": ".engine",
    "HTTPFactory": ".engine",
    "HTTPProtocol": ".engine",
    "IRequestHandler": ".engine",
    "Limits": ".http11",
    "App": ".router",
    "HTTPError": ".router",
    "Request": ".router",
    "Response": ".router",
    "Router": ".router",
    "StreamingResponse": ".router",
    "FileResponse": ".router",
    "Form": ".router",
    "UploadFile": ".router",
    "abort": ".router",
    "WebSocket": ".router",
    "WebSocketDisconnect": ".router",
    "WSGIBridge": ".wsgi",
}

__all__ = [
    "App",
    "BodyReceiver",
    "ConnectionObserver",
    "Exchange",
    "FileResponse",
    "Form",
    "HTTPError",
    "HTTPFactory",
    "HTTPProtocol",
    "IRequestHandler",
    "Limits",
    "Request",
    "Response",
    "ResponseStateError",
    "Router",
    "StreamingResponse",
    "UploadFile",
    "WSGIBridge",
    "WebSocket",
    "WebSocketDisconnect",
    "__version__",
    "abort",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'twisted_wsgi_lab' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
