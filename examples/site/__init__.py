"""A small site that does everything the teaching servers did and wished for.

``labweb --app examples.site:app`` serves it; ``docs/origins.md`` walks through it.
"""

from .app import app

__all__ = ["app"]
