"""The lab: watch and bend HTTP on a running server, on the engine's observer seam."""

from .faults import FaultInjector, FaultSpec, FaultSpecError, fault, parse_fault
from .trace import WireTrace, trace

__all__ = [
    "FaultInjector",
    "FaultSpec",
    "FaultSpecError",
    "WireTrace",
    "fault",
    "parse_fault",
    "trace",
]
