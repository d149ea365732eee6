"""The HTTP/1.1 engine on Twisted: connections, the pipeline, exchanges, timers.

Everything hosted code needs comes from here: ``IRequestHandler`` to implement, the
``Exchange`` it is handed, and ``HTTPFactory`` to serve it.
"""

from .exchange import Exchange
from .interfaces import BodyReceiver, IRequestHandler
from .protocol import HTTPFactory, HTTPProtocol

__all__ = ["BodyReceiver", "Exchange", "HTTPFactory", "HTTPProtocol", "IRequestHandler"]
