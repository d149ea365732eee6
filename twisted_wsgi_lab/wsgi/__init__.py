"""The WSGI bridge (PEP 3333) over labweb's HTTP/1.1 engine."""

from .bridge import WSGIBridge
from .reactor_mode import WSGIApp
from .worker_pool import WorkerPool

__all__ = ["WSGIApp", "WSGIBridge", "WorkerPool"]
