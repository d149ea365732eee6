"""Templates: Jinja2 with autoescaping, from the ``templates`` extra.

Jinja2 is imported on first use, so an App without templates needs no Jinja2, and one
that uses them without the extra gets one line naming it.
"""

from __future__ import annotations

import os
from typing import Any

INSTALL_HINT = 'templates need Jinja2: pip install "twisted-wsgi-lab[templates]"'


class TemplateSetupError(RuntimeError):
    """Templates were used without a folder, or without Jinja2."""


class Templates:
    """A folder of Jinja2 templates; every one is autoescaped."""

    def __init__(self, folder: str | os.PathLike[str], base: str) -> None:
        self.folder = os.path.join(base, os.fspath(folder))
        self._environment: Any = None

    def render(self, name: str, context: dict[str, Any]) -> str:
        """Render template ``name`` with ``context``.

        Raises:
            TemplateSetupError: Jinja2 is missing (the message names the extra).
            jinja2.TemplateNotFound: no such template in the folder.
        """
        return str(self._jinja().get_template(name).render(**context))

    def _jinja(self) -> Any:
        if self._environment is None:
            try:
                import jinja2
            except ImportError:
                raise TemplateSetupError(INSTALL_HINT) from None
            self._environment = jinja2.Environment(
                loader=jinja2.FileSystemLoader(self.folder),
                autoescape=True,  # every template, whatever its name: HTML is the norm here
                auto_reload=True,
            )
        return self._environment
