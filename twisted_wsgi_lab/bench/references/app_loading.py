"""``module:attribute`` to a WSGI callable, for the reference servers."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

WSGIApp = Callable[..., Any]


def load_wsgi_app(spec: str) -> WSGIApp:
    """Import ``module:attribute`` and return it; the current directory is importable."""
    module_name, _, attribute = spec.partition(":")
    module = importlib.import_module(module_name)
    app: WSGIApp = getattr(module, attribute or "app")
    return app
