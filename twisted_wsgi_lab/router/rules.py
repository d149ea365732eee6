"""The URL rule language: ``/users/<int:id>/files/<path:rest>`` parsed into a ``Rule``.

A rule is ``/`` followed by segments separated by ``/``. A segment is static text, one
parameter, or a mix (``<name>.txt``, ``v<int:major>.<int:minor>``); a parameter is
``<name>`` (the ``string`` converter) or ``<converter:name>``. Static text is compared
with the *decoded* request segment, so it is written unencoded (``/café``, not
``/caf%C3%A9``). An empty last segment (``/dir/``) is the trailing slash; an empty
segment anywhere else (``/a//b``) is refused, since it could never be built or meant.
A multi-segment converter (``path``) must be the whole last segment: it takes the rest
of the path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from twisted_wsgi_lab.router.converters import (
    DEFAULT,
    Converter,
    ConverterRegistry,
    compile_pattern,
)

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_BUILT_INS = ConverterRegistry()  # never added to: the default for parse_rule
_PIECE = re.compile(r"<([^<>]*)>|([^<>]+)|([<>])")  # a parameter, static text, or a stray


class RuleError(ValueError):
    """A rule string is malformed; the message says where and why."""


@dataclass(frozen=True, slots=True)
class Param:
    """One ``<converter:name>`` of a rule."""

    name: str
    converter: Converter


@dataclass(frozen=True, slots=True)
class Segment:
    """The text between two slashes of a rule: static text, parameters, or a mix."""

    parts: tuple[str | Param, ...]  # never empty; a static segment is one str, maybe ""

    @property
    def static(self) -> str | None:
        """The text of an all-static segment, or None when it has a parameter."""
        first = self.parts[0]
        return first if len(self.parts) == 1 and isinstance(first, str) else None

    @property
    def params(self) -> tuple[Param, ...]:
        return tuple(part for part in self.parts if isinstance(part, Param))

    @property
    def key(self) -> str:
        """The shape without parameter names: ``<int>.txt``; equal keys match alike."""
        return "".join(f"<{p.converter.name}>" if isinstance(p, Param) else p for p in self.parts)

    def regex(self) -> str:
        """A regex for the whole segment: group ``p<i>`` per parameter, static text escaped.

        Named groups, so groups inside a converter's own regex do not shift the numbering.
        """
        pieces: list[str] = []
        count = 0
        for part in self.parts:
            if isinstance(part, Param):
                pieces.append(f"(?P<p{count}>{part.converter.regex})")
                count += 1
            else:
                pieces.append(re.escape(part))
        return "".join(pieces)

    def pattern(self) -> re.Pattern[str]:
        return compile_pattern(self.regex())


@dataclass(frozen=True, slots=True)
class Rule:
    """A parsed rule: its text as written, its segments, its parameter names in order."""

    text: str
    segments: tuple[Segment, ...]
    param_names: tuple[str, ...]

    @property
    def key(self) -> tuple[str, ...]:
        """The shape without parameter names: two rules with one key match the same paths."""
        return tuple(segment.key for segment in self.segments)


def parse_rule(text: str, converters: ConverterRegistry | None = None) -> Rule:
    """Parse ``text`` into a ``Rule``, naming converters from ``converters``.

    Raises:
        RuleError: no leading ``/``; an empty segment before the last; empty ``<>``, an
            unbalanced ``<`` or ``>``, a parameter name that is not an identifier; an
            unknown converter (the message lists the known ones); a parameter name used
            twice; a ``path`` parameter that is not the whole last segment.
    """
    if not text.startswith("/"):
        raise RuleError(f"rule {text!r} must start with '/'")
    registry = converters if converters is not None else _BUILT_INS
    raw_segments = text[1:].split("/")
    segments = []
    for index, raw in enumerate(raw_segments):
        if raw == "" and index < len(raw_segments) - 1:
            raise RuleError(f"rule {text!r} has an empty segment (two '/' in a row)")
        segments.append(_parse_segment(text, raw, registry))
    rule = Rule(text, tuple(segments), tuple(p.name for s in segments for p in s.params))
    _check_params(rule)
    return rule


def _parse_segment(text: str, raw: str, registry: ConverterRegistry) -> Segment:
    if raw == "":
        return Segment(("",))
    parts: list[str | Param] = []
    for match in _PIECE.finditer(raw):
        inside, static, stray = match.groups()
        if stray is not None:
            raise RuleError(f"rule {text!r} has an unbalanced {stray!r} in {raw!r}")
        parts.append(static if static is not None else _parse_param(text, inside, registry))
    return Segment(tuple(parts))


def _parse_param(text: str, inside: str, registry: ConverterRegistry) -> Param:
    if inside == "":
        raise RuleError(f"rule {text!r} has an empty '<>'")
    converter_name, colon, name = inside.rpartition(":")
    if not _NAME.fullmatch(name):
        raise RuleError(f"rule {text!r}: parameter name {name!r} is not an identifier")
    if not colon:
        return Param(name, DEFAULT)
    try:
        converter = registry.get(converter_name)
    except KeyError:
        known = ", ".join(registry.names())
        raise RuleError(
            f"rule {text!r}: unknown converter {converter_name!r} (known: {known})"
        ) from None
    return Param(name, converter)


def _check_params(rule: Rule) -> None:
    seen: set[str] = set()
    for name in rule.param_names:
        if name in seen:
            raise RuleError(f"rule {rule.text!r} uses the parameter name {name!r} twice")
        seen.add(name)
    for index, segment in enumerate(rule.segments):
        last = index == len(rule.segments) - 1
        for param in segment.params:
            if param.converter.multi_segment and not (last and len(segment.parts) == 1):
                raise RuleError(
                    f"rule {rule.text!r}: <{param.converter.name}:{param.name}> takes the "
                    "rest of the path, so it must be the whole last segment"
                )
