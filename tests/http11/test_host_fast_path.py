"""The quick Host check accepts exactly what the full RFC 3986 pattern accepts."""

from __future__ import annotations

import itertools

from twisted_wsgi_lab.http11.grammar import HOST, valid_host

_PIECES = [b"a", b"1", b".", b"-", b":", b"[", b"]", b"%", b"%4", b"_", b" ", b"@", b"/"]
_PIECES += [b"%zz", b"::1", b"\x00", b"\xff", b"~"]


def test_valid_host_agrees_with_the_host_pattern_on_every_short_combination() -> None:
    for size in range(4):
        for combination in itertools.product(_PIECES, repeat=size):
            value = b"".join(combination)
            assert valid_host(value) == (HOST.fullmatch(value) is not None), value


def test_valid_host_takes_the_usual_hosts_and_refuses_a_space() -> None:
    for value in (b"127.0.0.1:8080", b"example.com", b"[::1]:80", b"a%20b", b""):
        assert valid_host(value)
    assert not valid_host(b"exa mple.com")
