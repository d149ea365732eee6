"""The lab: watch and bend HTTP on a running server, on the engine's observer seam."""

from .dashboard import PREFIX, dashboard_app
from .exchange_record import ExchangeRecord, Outcome
from .faults import FaultInjector, FaultSpec, FaultSpecError, fault, parse_fault
from .har import har_document, write_har
from .mount import LabMount, is_local
from .recorder import Activity, ExchangeRecorder, record
from .trace import WireTrace, trace

__all__ = [
    "PREFIX",
    "Activity",
    "ExchangeRecord",
    "ExchangeRecorder",
    "FaultInjector",
    "FaultSpec",
    "FaultSpecError",
    "LabMount",
    "Outcome",
    "WireTrace",
    "dashboard_app",
    "fault",
    "har_document",
    "is_local",
    "parse_fault",
    "record",
    "trace",
    "write_har",
]
