"""``python -m twisted_wsgi_lab``: the same as the ``labweb`` command."""

from .service.cli import main

raise SystemExit(main())
