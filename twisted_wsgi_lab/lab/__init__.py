"""The lab: watch and bend HTTP on a running server, on the engine's observer seam."""

from .trace import WireTrace, trace

__all__ = ["WireTrace", "trace"]
