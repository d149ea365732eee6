"""The page labweb serves when no ``--app`` is given."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from html import escape
from typing import Any

from .. import __version__

_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>labweb {version}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:42rem;margin:3rem auto;
line-height:1.5;padding:0 1rem}}code,pre{{background:#f3f3f3;padding:.1rem .3rem}}</style>
</head>
<body>
<h1>labweb is running</h1>
<p>labweb {version} is an HTTP/1.1 server built on Twisted: a sans-IO request parser,
a protocol that owns keep-alive, pipelining and backpressure, and a WSGI bridge that
runs Flask, Django, Pyramid or Bottle apps unchanged. It is also a lab for watching
how a web server works.</p>
<p>You are seeing the built-in page because no application was given.
This request was <code>{method} {path}</code> over {protocol}.</p>
<h2>Serve your own app</h2>
<pre>labweb --app mymodule:app              # module:attribute, like gunicorn
labweb --app mymodule:create_app()     # call a factory
twistd -n labweb --app mymodule:app    # the same, as a twistd plugin
labweb --help                          # every option</pre>
<h2>The lab</h2>
{lab}
</body>
</html>
"""


_LAB_ON = """<p>The dashboard is on: <a href="/_lab">/_lab</a> shows the live connections,
the last exchanges with their raw bytes, and counters, updated as requests come. It
answers clients on this machine only, unless labweb runs with <code>--lab-remote</code>.</p>
"""

_LAB_OFF = """<p>Start labweb with <code>--lab</code> to watch this server live at
<a href="/_lab">/_lab</a>: the connections, the last exchanges with their raw bytes,
counters and latency. <code>--trace</code> prints every byte to standard error, and
<code>--har FILE</code> saves the last exchanges as a HAR file.</p>
"""

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def default_page(*, lab: bool) -> WSGIApp:
    """The built-in page; it links to the dashboard, and says how to turn it on."""

    def default_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        """Describe labweb and how to serve an application with it."""
        body = _PAGE.format(
            version=__version__,
            method=escape(environ["REQUEST_METHOD"]),
            path=escape(environ["PATH_INFO"]),
            protocol=escape(environ["SERVER_PROTOCOL"]),
            lab=_LAB_ON if lab else _LAB_OFF,
        ).encode("utf-8")
        start_response(
            "200 OK",
            [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body)))],
        )
        return [body]

    return default_app


default_app = default_page(lab=False)
