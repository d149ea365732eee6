"""``NAME[:k=v,...]``: what one fault is, its parameters, and when it fires.

A spec is parsed once (from ``--fault``, a decorator or the ``X-Labweb-Fault`` header)
into a frozen ``FaultSpec``; a ``FaultRule`` adds what changes while serving: the
count of eligible responses (``every=N``) and the random source (``p=``), which a test
seeds so the same responses are hit every run.
"""

from __future__ import annotations

import enum
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType


class FaultSpecError(ValueError):
    """A fault description that cannot be used; the message names the part at fault."""


class FaultName(enum.Enum):
    """The faults, by the names used on the command line."""

    DELAY = "delay"  # hold the response's first bytes for ms
    TRICKLE = "trickle"  # send bytes every ms
    TRUNCATE = "truncate"  # end the body after bytes, then close (FIN)
    RESET = "reset"  # cut the connection (RST) after bytes of the body
    BAD_STATUS = "bad-status"  # a status line no parser accepts
    EXTRA_1XX = "extra-1xx"  # interim responses before the real one
    WRONG_LENGTH = "wrong-length"  # Content-Length off by delta
    STALL_READ = "stall-read"  # read nothing of the request for ms before handling it


NAMES = ", ".join(name.value for name in FaultName)

# Each fault's own parameters and their defaults (None: computed per response).
PARAMETERS: dict[FaultName, dict[str, int | None]] = {
    FaultName.DELAY: {"ms": 500},
    FaultName.TRICKLE: {"bytes": 10, "ms": 50},
    FaultName.TRUNCATE: {"bytes": None},
    FaultName.RESET: {"bytes": None},
    FaultName.BAD_STATUS: {},
    FaultName.EXTRA_1XX: {"count": 1, "status": 103},
    FaultName.WRONG_LENGTH: {"delta": 10},
    FaultName.STALL_READ: {"ms": 1000},
}

# The smallest value each parameter takes (delta may be negative: no minimum).
_MINIMUM = {"ms": 0, "bytes": 0, "count": 1}
# The largest: a client that may name faults (--fault-header) must not make the server
# build megabytes of interim heads for one request.
_MAXIMUM = {"count": 100}
_COMMON = ("p", "every")


@dataclass(frozen=True)
class FaultSpec:
    """One fault: its name, its parameters (defaults filled in) and how often it fires.

    ``chance`` is the probability a response is hit; ``every`` hits every Nth eligible
    response. Neither: every eligible response is hit.
    """

    name: FaultName
    params: Mapping[str, int | None] = field(default_factory=lambda: MappingProxyType({}))
    chance: float | None = None
    every: int | None = None

    def __str__(self) -> str:
        given = [f"{key}={value}" for key, value in self.params.items() if value is not None]
        if self.chance is not None:
            given.append(f"p={self.chance:g}")
        if self.every is not None:
            given.append(f"every={self.every}")
        return self.name.value + (":" + ",".join(given) if given else "")

    def param(self, key: str) -> int | None:
        """The parameter ``key`` (its default if not given)."""
        return self.params.get(key)


def parse_fault(text: str) -> FaultSpec:
    """Parse ``NAME[:k=v,k=v]``, such as ``delay:ms=500`` or ``reset:p=0.1,bytes=0``.

    Raises:
        FaultSpecError: an unknown fault (the valid ones are listed), an unknown
            parameter (the fault's are listed), or a value out of range.
    """
    name_text, _, rest = text.strip().partition(":")
    try:
        name = FaultName(name_text.strip().lower())
    except ValueError:
        raise FaultSpecError(f"unknown fault {name_text!r}: choose one of {NAMES}") from None
    params = dict(PARAMETERS[name])
    chance: float | None = None
    every: int | None = None
    for item in filter(None, (part.strip() for part in rest.split(","))):
        key, equals, value = (piece.strip() for piece in item.partition("="))
        if not equals:
            raise FaultSpecError(f"{name.value}: {item!r} is not key=value")
        if key == "p":
            chance = _chance(name, value)
        elif key == "every":
            every = _number(name, key, value, minimum=1)
        elif key in params:
            params[key] = _number(name, key, value, minimum=_MINIMUM.get(key))
            if key in _MAXIMUM and params[key] > _MAXIMUM[key]:  # type: ignore[operator]
                raise FaultSpecError(f"{name.value}: {key}={value} is above {_MAXIMUM[key]}")
        else:
            known = ", ".join([*PARAMETERS[name], *_COMMON])
            raise FaultSpecError(f"{name.value}: unknown parameter {key!r}; it takes {known}")
    if chance is not None and every is not None:
        raise FaultSpecError(f"{name.value}: give p= or every=, not both")
    _check_status(name, params)
    return FaultSpec(name, MappingProxyType(params), chance, every)


def _number(name: FaultName, key: str, value: str, *, minimum: int | None) -> int:
    try:
        number = int(value)
    except ValueError:
        raise FaultSpecError(f"{name.value}: {key}={value!r} is not a whole number") from None
    if minimum is not None and number < minimum:
        raise FaultSpecError(f"{name.value}: {key}={number} is below {minimum}")
    return number


def _chance(name: FaultName, value: str) -> float:
    try:
        chance = float(value)
    except ValueError:
        chance = -1.0
    if not 0 < chance <= 1:
        raise FaultSpecError(f"{name.value}: p={value!r} must be a chance above 0, at most 1")
    return chance


def _check_status(name: FaultName, params: Mapping[str, int | None]) -> None:
    status = params.get("status")
    if name is FaultName.EXTRA_1XX and (status == 101 or not 100 <= (status or 0) <= 199):
        raise FaultSpecError(
            f"extra-1xx: status={status} must be 100 or 102 to 199 (101 switches protocols)"
        )


class FaultRule:
    """A spec while serving: decides which eligible responses it hits.

    One rule is shared by every response it may hit (a listener's, a route's), so
    ``every=3`` counts across connections.
    """

    def __init__(self, spec: FaultSpec, rng: random.Random | None = None) -> None:
        self.spec = spec
        self._random = rng or random.Random()
        self._seen = 0

    def __repr__(self) -> str:
        return f"<FaultRule {self.spec}>"

    def fires(self) -> bool:
        """Count one eligible response; True if the fault hits it."""
        spec = self.spec
        self._seen += 1
        if spec.every is not None:
            return self._seen % spec.every == 0
        if spec.chance is not None:
            return self._random.random() < spec.chance
        return True


def rules_for(
    faults: str | FaultSpec | Sequence[str | FaultSpec],
    rng: random.Random | None = None,
) -> tuple[FaultRule, ...]:
    """Rules for one fault or several, given as text or as specs.

    Raises:
        FaultSpecError: a text that ``parse_fault`` refuses.
    """
    items = [faults] if isinstance(faults, str | FaultSpec) else list(faults)
    specs = [item if isinstance(item, FaultSpec) else parse_fault(item) for item in items]
    return tuple(FaultRule(spec, rng) for spec in specs)
