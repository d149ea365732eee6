"""Fault injection: bend responses so an HTTP client can be tested against them.

``FaultInjector`` bends every response of a handler (``labweb --fault``), ``@fault``
one native route's, and ``FaultInjector(..., header=True)`` those a request asks for
in ``X-Labweb-Fault`` (``--fault-header``). See docs/faults.md.
"""

from .inject import HEADER, FaultInjector, bend, fault
from .plan import ResponsePlan
from .spec import FaultName, FaultRule, FaultSpec, FaultSpecError, parse_fault, rules_for
from .wire import FaultyConnection

__all__ = [
    "HEADER",
    "FaultInjector",
    "FaultName",
    "FaultRule",
    "FaultSpec",
    "FaultSpecError",
    "FaultyConnection",
    "ResponsePlan",
    "bend",
    "fault",
    "parse_fault",
    "rules_for",
]
