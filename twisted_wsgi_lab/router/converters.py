"""Converters: what a ``<name:param>`` in a rule accepts, and how its value round-trips.

A converter's ``regex`` describes the text of one decoded path segment (or, for ``path``,
of the rest of the path joined by ``/``); ``to_python`` turns that text into the handler's
argument and ``to_url`` turns an argument back into text for ``url_for``.

Digits are ``[0-9]``, not ``\\d``: ``\\d`` also matches other scripts' digits, which
``int()`` would accept, so ``/users/\\u0663`` would reach the handler as user 3.

Custom regexes need not exclude ``/``: whether a regex can match ``/`` cannot be decided
in general, so the matcher guarantees it instead. A one-segment converter only ever sees
one segment, and a segment that holds a decoded ``/`` (sent as ``%2F``) is offered to no
one-segment converter at all, built-in or custom. A regex that matches the empty string
is refused: an empty last segment is the trailing slash, not a parameter.
"""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

CUSTOM_PRIORITY = 30  # between the numbers (10, 20) and string (50)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class ConverterError(ValueError):
    """A custom converter cannot be registered (bad name or regex, or a name taken)."""


@dataclass(frozen=True, slots=True)
class Converter:
    """One parameter type: the text it accepts and the conversions both ways.

    ``priority`` orders converters that compete for the same segment (lower first);
    ``multi_segment`` converters take one or more whole segments at the end of a path.
    """

    name: str
    regex: str
    to_python: Callable[[str], Any] = field(repr=False)
    to_url: Callable[[Any], str] = field(repr=False)
    priority: int
    multi_segment: bool = False

    def pattern(self) -> re.Pattern[str]:
        """The regex compiled for ``fullmatch``; DOTALL, since a segment may hold a newline."""
        return compile_pattern(self.regex)


@functools.lru_cache(maxsize=1024)
def compile_pattern(regex: str) -> re.Pattern[str]:
    """Compile a converter's (or a segment's) regex; cached, so each is compiled once."""
    return re.compile(regex, re.DOTALL)


def _int_to_url(value: Any) -> str:
    return str(int(value))


def _float_to_url(value: Any) -> str:
    return str(float(value))


def _uuid_to_url(value: Any) -> str:
    return str(value).lower()


_HEX = "[0-9a-fA-F]"

STRING = Converter("string", r"[^/]+", str, str, priority=50)
INT = Converter("int", r"[0-9]+", int, _int_to_url, priority=10)
FLOAT = Converter("float", r"[0-9]+\.[0-9]+", float, _float_to_url, priority=20)
UUID = Converter(
    "uuid",
    f"{_HEX}{{8}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{12}}",
    uuid.UUID,
    _uuid_to_url,
    priority=10,
)
PATH = Converter("path", r"[^/].*", str, str, priority=90, multi_segment=True)
BUILT_INS = (STRING, INT, FLOAT, UUID, PATH)
DEFAULT = STRING  # what ``<name>`` without a converter means


class ConverterRegistry:
    """The converters one App's rules may name: the built-ins plus its own."""

    def __init__(self) -> None:
        self._converters: dict[str, Converter] = {c.name: c for c in BUILT_INS}

    def add(
        self,
        name: str,
        regex: str,
        to_python: Callable[[str], Any] = str,
        to_url: Callable[[Any], str] = str,
        *,
        priority: int = CUSTOM_PRIORITY,
    ) -> Converter:
        """Register a one-segment converter under ``name`` and return it.

        Raises:
            ConverterError: ``name`` is not an identifier or is taken; ``regex`` does
                not compile, has named groups (the matcher names its own), or matches
                the empty string.
        """
        if not _NAME.fullmatch(name):
            raise ConverterError(f"converter name {name!r} is not an identifier")
        if name in self._converters:
            raise ConverterError(f"converter {name!r} is already registered")
        _check_regex(name, regex)
        converter = Converter(name, regex, to_python, to_url, priority)
        self._converters[name] = converter
        return converter

    def get(self, name: str) -> Converter:
        """The converter called ``name``.

        Raises:
            KeyError: no converter has that name.
        """
        return self._converters[name]

    def names(self) -> tuple[str, ...]:
        """Every registered name, sorted: for error messages."""
        return tuple(sorted(self._converters))


def _check_regex(name: str, regex: str) -> None:
    try:
        pattern = compile_pattern(regex)
    except re.error as error:
        raise ConverterError(f"converter {name!r}: bad regex {regex!r}: {error}") from None
    if pattern.groupindex:
        raise ConverterError(f"converter {name!r}: regex {regex!r} has named groups")
    if pattern.fullmatch(""):
        raise ConverterError(f"converter {name!r}: regex {regex!r} matches the empty string")
