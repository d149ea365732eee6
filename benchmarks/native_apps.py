"""The native App counterparts of ``apps.py``, for the ``labweb-native`` row.

Kept apart from ``apps.py`` so that the WSGI rows (and ``--before`` trees that predate
the App) import nothing of the router. ``labweb --app native_apps:hello``.
"""

from __future__ import annotations

from apps import HELLO_BODY

from twisted_wsgi_lab import App, Request, Response

hello = App()


@hello.get("/")
def greet(request: Request) -> Response:
    """The same bytes as the WSGI ``hello``: a short plain-text greeting."""
    return Response(HELLO_BODY, content_type="text/plain; charset=utf-8")
