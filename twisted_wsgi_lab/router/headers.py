"""Multi-valued text mappings: header fields (case-insensitive) and query arguments.

A plain ``dict`` loses what HTTP needs: a field may repeat (``Set-Cookie``, ``Vary``,
``?tag=a&tag=b``), the order of repeats matters, and header names compare without
case (RFC 9110 section 5.1). Both classes keep every value in insertion order and give
the first one where a single string is asked for, the way Flask's users expect.

Text here is ``str``. On the wire a field is bytes decoded as latin-1 (RFC 9110
section 5.5 admits obs-text, and latin-1 maps every byte to one code point), so
``Headers.from_wire(...).to_wire()`` gives the same bytes back.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TypeVar, Union, overload
from urllib.parse import unquote_to_bytes

_T = TypeVar("_T")
_D = TypeVar("_D")

# token (RFC 9110 section 5.6.2): what a field name may be.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# field-value (RFC 9110 section 5.5): HTAB, SP, VCHAR, obs-text. CR, LF and NUL are
# refused with every other control: one of them in a value would split the response.
_FIELD_VALUE = re.compile(r"[\t\x20-\x7e\x80-\xff]*")

HeadersInput = Union["Headers", Mapping[str, str], Iterable[tuple[str, str]], None]
"""What ``Headers`` (and ``Response``) accept: nothing, a mapping, pairs, or Headers."""


def _pairs(source: HeadersInput) -> list[tuple[str, str]]:
    """The (name, value) pairs of any accepted input, checked to be text.

    Raises:
        TypeError: a name or value is not ``str``, or an item is not a pair.
    """
    if source is None:
        return []
    if isinstance(source, Headers):
        return source.items()
    if isinstance(source, MultiDict):
        return source.multi_items()
    items = source.items() if isinstance(source, Mapping) else source
    pairs = []
    for item in items:
        if not isinstance(item, (tuple, list)) or len(item) != 2:
            raise TypeError(f"expected (name, value) pairs, got {item!r}")
        pairs.append(_checked_text(*item))
    return pairs


# A response's fields are often the very ones of the response before (a handler's
# Content-Type, say): each distinct list is checked and encoded once. The checks are
# a pure function of the text, so a hit is the answer they would give. Bounded in
# entries and in the size of each, so varying fields (cookies) cost a miss, never memory.
_WIRE_MAX_ENTRIES = 256
_WIRE_MAX_BYTES = 1024
_wire_fields: dict[tuple[tuple[str, str, str], ...], tuple[tuple[bytes, bytes], ...]] = {}


def _checked_wire(fields: tuple[tuple[str, str, str], ...]) -> tuple[tuple[bytes, bytes], ...]:
    wire = []
    for _, name, value in fields:
        if not _TOKEN.fullmatch(name):
            raise ValueError(f"header name {name!r} is not a token")
        if not _FIELD_VALUE.fullmatch(value):
            raise ValueError(
                f"header {name!r} has a control character or non-latin-1 text: {value!r}"
            )
        wire.append((name.encode("latin-1"), value.encode("latin-1")))
    return tuple(wire)


def _checked_text(name: object, value: object) -> tuple[str, str]:
    """Refuse non-text early: a stray int or bytes would fail far away, at write time."""
    if not isinstance(name, str) or not isinstance(value, str):
        raise TypeError(f"header names and values must be str, got {name!r}: {value!r}")
    return name, value


class Headers:
    """Header fields: case-insensitive names, repeated values, insertion order kept.

    ``headers[name]`` and ``get`` give the first value; ``getlist`` gives all of them.
    ``keys()``, iteration and ``len`` see each distinct name once (in the case it was
    first given); ``items()`` gives every (name, value) pair, repeats included, in
    order, which is what goes on the wire. ``headers[name] = value`` replaces every
    value of ``name`` in the place of the first; ``add`` appends another.
    """

    __slots__ = ("_fields",)

    def __init__(self, source: HeadersInput = None) -> None:
        # (lower-cased name, name as given, value): the lower-case copy is computed once.
        self._fields: list[tuple[str, str, str]] = (
            []
            if source is None
            else [(name.lower(), name, value) for name, value in _pairs(source)]
        )

    @classmethod
    def from_wire(cls, fields: Iterable[tuple[bytes, bytes]]) -> Headers:
        """Headers from the parser's fields (``RequestHead.headers``), decoded as latin-1."""
        return cls([(name.decode("latin-1"), value.decode("latin-1")) for name, value in fields])

    def to_wire(self) -> tuple[tuple[bytes, bytes], ...]:
        """Every field as latin-1 bytes, in order, for the response writer.

        A tuple, as it may be shared: equal fields give the same checked copy.

        Raises:
            ValueError: naming the field, when a name is not a token or a value holds a
                control character (CR, LF, NUL...) or text that latin-1 cannot encode.
        """
        key = tuple(self._fields)
        wire = _wire_fields.get(key)
        if wire is None:
            wire = _checked_wire(key)
            if sum([len(name) + len(value) for name, value in wire]) <= _WIRE_MAX_BYTES:
                if len(_wire_fields) >= _WIRE_MAX_ENTRIES:
                    _wire_fields.clear()
                _wire_fields[key] = wire
        return wire

    # -- reading ----------------------------------------------------------------------

    def __getitem__(self, name: str) -> str:
        key = name.lower()
        for lower, _, value in self._fields:
            if lower == key:
                return value
        raise KeyError(name)

    @overload
    def get(self, name: str) -> str | None: ...
    @overload
    def get(self, name: str, default: _D) -> str | _D: ...
    def get(self, name: str, default: object = None) -> object:
        """The first value of ``name``, or ``default`` when it is absent."""
        try:
            return self[name]
        except KeyError:
            return default

    def getlist(self, name: str) -> list[str]:
        """Every value of ``name`` in order; an empty list when it is absent."""
        key = name.lower()
        return [value for lower, _, value in self._fields if lower == key]

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        key = name.lower()
        return any(lower == key for lower, _, _ in self._fields)

    def keys(self) -> list[str]:
        """Each distinct name once, in the case and order it was first given."""
        seen: dict[str, str] = {}
        for lower, name, _ in self._fields:
            seen.setdefault(lower, name)
        return list(seen.values())

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __len__(self) -> int:
        return len({lower for lower, _, _ in self._fields})

    def items(self) -> list[tuple[str, str]]:
        """Every (name, value) pair in order, repeated names included."""
        return [(name, value) for _, name, value in self._fields]

    # -- writing ----------------------------------------------------------------------

    def __setitem__(self, name: str, value: str) -> None:
        name, value = _checked_text(name, value)
        key = name.lower()
        kept: list[tuple[str, str, str]] = []
        placed = False
        for field in self._fields:
            if field[0] != key:
                kept.append(field)
            elif not placed:
                kept.append((key, name, value))
                placed = True
        if not placed:
            kept.append((key, name, value))
        self._fields = kept

    def add(self, name: str, value: str) -> None:
        """Append another value of ``name`` after the ones already there."""
        if not (isinstance(name, str) and isinstance(value, str)):
            _checked_text(name, value)  # raises, naming both
        self._fields.append((name.lower(), name, value))

    def __delitem__(self, name: str) -> None:
        if name not in self:
            raise KeyError(name)
        key = name.lower()
        self._fields = [field for field in self._fields if field[0] != key]

    def setdefault(self, name: str, default: str) -> str:
        """The first value of ``name``; when absent, add ``default`` and return it."""
        if name not in self:
            self.add(name, default)
        return self[name]

    def update(self, source: HeadersInput) -> None:
        """Replace the values of every name in ``source`` by all of its values there.

        Like ``dict.update``, a name that ``source`` gives replaces this one's values;
        unlike it, a name repeated in ``source`` keeps every repeat.
        """
        incoming = Headers(source)
        for name in incoming:
            values = incoming.getlist(name)
            self[name] = values[0]
            for value in values[1:]:
                self.add(name, value)

    def copy(self) -> Headers:
        """An independent copy: changing it leaves this one alone."""
        return Headers(self)

    # -- comparing and showing --------------------------------------------------------

    def _grouped(self) -> dict[str, list[str]]:
        grouped: dict[str, list[str]] = {}
        for lower, _, value in self._fields:
            grouped.setdefault(lower, []).append(value)
        return grouped

    def __eq__(self, other: object) -> bool:
        """Equal when every name has the same values in the same order; case is ignored.

        The order between different names does not count: no HTTP semantics hang on it.
        """
        if not isinstance(other, (Headers, Mapping, list)):
            return NotImplemented
        try:
            return self._grouped() == Headers(other)._grouped()
        except TypeError:  # a list or mapping of something other than text pairs
            return False

    __hash__ = None  # type: ignore[assignment]  # mutable, like dict

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.items()!r})"


class MultiDict(Mapping[str, str]):
    """Query arguments (or form fields): case-sensitive keys, every value kept, read-only.

    The mapping protocol sees each key once and its first value, so ``dict(args)`` and
    ``args["page"]`` do what a Flask user expects; ``getlist`` and ``multi_items`` give
    the repeats. It is read-only because it describes a request that already arrived.
    """

    __slots__ = ("_items",)

    def __init__(self, source: Mapping[str, str] | Iterable[tuple[str, str]] | None = None) -> None:
        self._items: list[tuple[str, str]] = _pairs(source)

    def __getitem__(self, key: str) -> str:
        for name, value in self._items:
            if name == key:
                return value
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys(name for name, _ in self._items))

    def __len__(self) -> int:
        return len({name for name, _ in self._items})

    @overload
    def get(self, key: str) -> str | None: ...
    @overload
    def get(self, key: str, default: _D) -> str | _D: ...
    @overload
    def get(self, key: str, default: _D, type: Callable[[str], _T]) -> _T | _D: ...
    @overload
    def get(self, key: str, *, type: Callable[[str], _T]) -> _T | None: ...
    def get(
        self, key: str, default: object = None, type: Callable[[str], object] | None = None
    ) -> object:
        """The first value of ``key``, converted by ``type`` when given.

        ``args.get("page", 1, type=int)`` gives 1 for a missing key and for ``?page=x``
        alike: a value the conversion refuses (ValueError or TypeError) counts as absent,
        so a handler needs no try/except around a hand-typed URL.
        """
        try:
            value = self[key]
        except KeyError:
            return default
        if type is None:
            return value
        try:
            return type(value)
        except (ValueError, TypeError):
            return default

    def getlist(self, key: str) -> list[str]:
        """Every value of ``key`` in order; an empty list when it is absent."""
        return [value for name, value in self._items if name == key]

    def multi_items(self) -> list[tuple[str, str]]:
        """Every (key, value) pair in order, repeated keys included."""
        return list(self._items)

    def __eq__(self, other: object) -> bool:
        """Two MultiDicts are equal with the same pairs in the same order; else a Mapping."""
        if isinstance(other, MultiDict):
            return self._items == other._items
        return super().__eq__(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._items!r})"


def parse_query(query: bytes) -> MultiDict:
    """The arguments of a query string (the bytes after '?', as ``RequestHead.query``).

    Pairs are split on '&' only: ';' as a separator let caches and servers disagree
    about the arguments (CVE-2021-23336). '+' is a space and %XX escapes decode to bytes
    first, then the bytes decode as UTF-8 with bad sequences replaced (U+FFFD), never
    an exception. Empty segments are skipped; ``a`` and ``a=`` both give ``a: ""``.
    """
    pairs = []
    for segment in query.split(b"&"):
        if not segment:
            continue
        name, _, value = segment.partition(b"=")
        pairs.append((_unquote_plus(name), _unquote_plus(value)))
    return MultiDict(pairs)


def _unquote_plus(part: bytes) -> str:
    return unquote_to_bytes(part.replace(b"+", b" ")).decode("utf-8", "replace")
