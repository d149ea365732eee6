"""Fault specs: ``NAME[:k=v,...]`` parsed once, with errors that name what is wrong."""

from __future__ import annotations

import random

import pytest

from twisted_wsgi_lab.lab import FaultSpecError, parse_fault
from twisted_wsgi_lab.lab.faults import FaultName, FaultRule, rules_for


def test_a_bare_name_takes_the_defaults_and_always_fires() -> None:
    spec = parse_fault("trickle")
    assert spec.name is FaultName.TRICKLE
    assert dict(spec.params) == {"bytes": 10, "ms": 50}
    assert spec.chance is None and spec.every is None
    assert all(FaultRule(spec).fires() for _ in range(10))


def test_parameters_chance_and_count_are_read() -> None:
    assert parse_fault("delay:ms=250").param("ms") == 250
    assert parse_fault("reset:p=0.1").chance == 0.1
    assert parse_fault("truncate:every=5").every == 5
    assert parse_fault(" Wrong-Length : delta=-5 ").param("delta") == -5
    assert parse_fault("extra-1xx:count=3,status=102").params == {"count": 3, "status": 102}


def test_a_spec_prints_back_as_it_would_be_given() -> None:
    assert str(parse_fault("trickle:bytes=4,p=0.5")) == "trickle:bytes=4,ms=50,p=0.5"
    assert str(parse_fault("bad-status")) == "bad-status"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "slow",
            "unknown fault 'slow': choose one of delay, trickle, truncate, reset, "
            "bad-status, extra-1xx, wrong-length, stall-read",
        ),
        ("delay:bytes=3", "delay: unknown parameter 'bytes'; it takes ms, p, every"),
        ("delay:ms=fast", "delay: ms='fast' is not a whole number"),
        ("delay:ms=-1", "delay: ms=-1 is below 0"),
        ("reset:p=0", "reset: p='0' must be a chance above 0, at most 1"),
        ("reset:p=1.5", "reset: p='1.5' must be a chance above 0, at most 1"),
        ("truncate:every=0", "truncate: every=0 is below 1"),
        ("truncate:p=0.5,every=2", "truncate: give p= or every=, not both"),
        ("trickle:bytes", "trickle: 'bytes' is not key=value"),
        (
            "extra-1xx:status=101",
            "extra-1xx: status=101 must be 100 or 102 to 199 (101 switches protocols)",
        ),
        (
            "extra-1xx:status=200",
            "extra-1xx: status=200 must be 100 or 102 to 199 (101 switches protocols)",
        ),
    ],
)
def test_a_bad_spec_says_which_part_is_wrong(text: str, message: str) -> None:
    with pytest.raises(FaultSpecError) as info:
        parse_fault(text)
    assert str(info.value) == message


def test_every_n_hits_each_nth_eligible_response() -> None:
    [rule] = rules_for("truncate:every=3")
    assert [rule.fires() for _ in range(7)] == [False, False, True, False, False, True, False]


def test_a_chance_follows_the_seeded_random_source() -> None:
    [first] = rules_for("reset:p=0.5", random.Random(7))
    [second] = rules_for("reset:p=0.5", random.Random(7))
    hits = [first.fires() for _ in range(200)]
    assert hits == [second.fires() for _ in range(200)]
    assert 60 < sum(hits) < 140


def test_interim_responses_are_capped_so_a_header_cannot_make_huge_heads() -> None:
    assert parse_fault("extra-1xx:count=100").params["count"] == 100
    with pytest.raises(FaultSpecError, match="count=1000000 is above 100"):
        parse_fault("extra-1xx:count=1000000")
