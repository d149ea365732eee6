"""The lab: watch and bend HTTP on a running server, on the engine's observer seam."""

from .dashboard import PREFIX, dashboard_app
from .exchange_record import ExchangeRecord, Outcome
from .har import har_document, write_har
from .mount import LabMount, is_local
from .recorder import Activity, ExchangeRecorder, record
from .trace import WireTrace, trace

__all__ = [
    "PREFIX",
    "Activity",
    "ExchangeRecord",
    "ExchangeRecorder",
    "LabMount",
    "Outcome",
    "WireTrace",
    "dashboard_app",
    "har_document",
    "is_local",
    "record",
    "trace",
    "write_har",
]
