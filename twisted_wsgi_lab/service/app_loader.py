"""Find the WSGI application named by ``--app module:attribute`` (gunicorn's convention)."""

from __future__ import annotations

import ast
import importlib
import os
import re
import sys
from typing import Any, cast

from ..http11.errors import LabWebError
from ..wsgi import WSGIApp

_EXPRESSION = re.compile(r"([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)(\((.*)\))?", re.S)


class AppLoadError(LabWebError):
    """``--app`` or ``--app-dir`` names nothing usable; the message says what."""


def load_app(spec: str, app_dir: str = ".") -> WSGIApp:
    """Import ``module:attribute`` (or ``module:factory(args)``) from ``app_dir``.

    ``app_dir`` goes first on sys.path, as gunicorn puts the current directory, so an
    app next to where the server starts is found. A bare ``module`` means
    ``module:application``.

    Raises:
        AppLoadError: no such directory, module or attribute, bad factory arguments, a
            factory that raised, or an object that is not callable.
    """
    module_name, _, expression = spec.partition(":")
    if not module_name:
        raise AppLoadError(f"--app {spec!r}: expected module:attribute, e.g. myapp:app")
    directory = os.path.abspath(app_dir)
    if not os.path.isdir(directory):
        raise AppLoadError(f"--app-dir {app_dir!r} is not a directory")
    if directory not in sys.path:
        sys.path.insert(0, directory)
    module = _import(module_name, spec)
    match = _EXPRESSION.fullmatch(expression or "application")
    if match is None:
        raise AppLoadError(f"--app {spec!r}: {expression!r} is not an attribute name or call")
    name, call, arguments = match.groups()
    found: Any = module
    for part in name.split("."):
        if not hasattr(found, part):
            raise AppLoadError(f"module {module_name!r} has no attribute {name!r} (--app {spec})")
        found = getattr(found, part)
    if call:
        found = _call_factory(found, arguments, spec)
    if not callable(found):
        kind = type(found).__name__
        raise AppLoadError(f"--app {spec!r} is not callable (it is a {kind}); name a WSGI app")
    return cast(WSGIApp, found)


def _import(module_name: str, spec: str) -> Any:
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        missing = error.name or ""
        if module_name == missing or module_name.startswith(missing + "."):
            raise AppLoadError(f"no module named {missing!r} (--app {spec})") from None
        raise AppLoadError(f"importing {module_name!r} failed: {error}") from None
    except Exception as error:
        raise AppLoadError(
            f"importing {module_name!r} failed: {type(error).__name__}: {error}"
        ) from None


def _call_factory(factory: Any, arguments: str, spec: str) -> Any:
    """Call ``factory`` with arguments that must be Python literals."""
    try:
        call = ast.parse(f"f({arguments})", mode="eval").body
        # One call of f: not f(1)(2), and no *args or **kwargs unpacking.
        if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Name):
            raise ValueError("not a single call")
        if any(kw.arg is None for kw in call.keywords):
            raise ValueError("** unpacking")
        args = [ast.literal_eval(node) for node in call.args]
        kwargs = {str(kw.arg): ast.literal_eval(kw.value) for kw in call.keywords}
    except (SyntaxError, ValueError):
        raise AppLoadError(f"--app {spec!r}: factory arguments must be Python literals") from None
    if not callable(factory):
        raise AppLoadError(f"--app {spec!r}: {type(factory).__name__} is not a factory")
    try:
        return factory(*args, **kwargs)
    except Exception as error:
        raise AppLoadError(
            f"--app {spec!r}: the factory raised {type(error).__name__}: {error}"
        ) from None
