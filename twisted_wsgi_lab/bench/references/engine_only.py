"""labweb's engine alone, with or without one do-nothing observer: what the seam costs.

``HTTPFactory(WSGIBridge(app))`` calls the app in the reactor thread and builds the
plain ``HTTPProtocol``; with ``observed``, one ``ConnectionObserver()`` that overrides
no event is registered, so the factory builds ``ObservedHTTPProtocol`` and each event
hook runs its empty loop. Nothing else differs, so the two rows side by side show the
seam's price. ``python -m ...engine_only PORT module:app [plain|observed]``.
"""

from __future__ import annotations

import sys

from twisted.internet import reactor

from twisted_wsgi_lab import ConnectionObserver, HTTPFactory, WSGIBridge

from .app_loading import load_wsgi_app

KINDS = ("plain", "observed")


def main(argv: list[str] | None = None) -> None:
    """Serve ``module:app`` on ``127.0.0.1:PORT`` until killed."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 3 or not args[0].isdigit() or args[2] not in KINDS:
        raise SystemExit(
            "usage: python -m twisted_wsgi_lab.bench.references.engine_only"
            " PORT module:app plain|observed"
        )
    factory = HTTPFactory(WSGIBridge(load_wsgi_app(args[1])))
    if args[2] == "observed":
        factory.add_observer(ConnectionObserver())  # overrides no event
    reactor.listenTCP(int(args[0]), factory, interface="127.0.0.1")  # type: ignore[arg-type]
    reactor.run()


if __name__ == "__main__":
    main()
