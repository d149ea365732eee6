"""Accept negotiation: q-values, wildcards and the most specific range (RFC 9110 12.5.1)."""

from __future__ import annotations

import pytest

from twisted_wsgi_lab.router.accept import MediaRange, media_ranges, prefers_json, quality_of


def test_media_ranges_are_parsed_lower_cased_with_their_quality() -> None:
    assert media_ranges("Text/HTML;level=1;Q=0.5, application/*, */*;q=0") == [
        MediaRange("text", "html", 0.5),
        MediaRange("application", "*", 1.0),
        MediaRange("*", "*", 0.0),
    ]


@pytest.mark.parametrize(
    "element",
    [
        "text",
        "/html",
        "text/",
        "*/html",
        "te xt/html",
        "text/html;q=2",
        "text/html;q=1.5",
        "text/html;q=0.1234",
        "text/html;q=abc",
        "text/html;q=nan",
        "text/html;q=-1",
        "text/html;q=",
        "",
    ],
    ids=repr,
)
def test_an_ill_formed_range_is_skipped(element: str) -> None:
    assert media_ranges(f"{element}, application/json") == [MediaRange("application", "json", 1.0)]


@pytest.mark.parametrize("q", ["0", "0.", "0.5", "0.123", "1", "1.", "1.000"])
def test_every_qvalue_form_is_read(q: str) -> None:
    assert media_ranges(f"text/html; q = {q}")[0].quality == float(q)


def test_no_accept_header_accepts_anything() -> None:
    assert quality_of(None, "text/html") == 1.0


def test_a_type_no_range_matches_has_quality_zero() -> None:
    assert quality_of("image/png", "text/html") == 0.0


def test_the_most_specific_range_sets_the_quality() -> None:
    accept = "*/*;q=0.1, application/*;q=0.5, application/json;q=0"
    assert quality_of(accept, "application/json") == 0.0
    assert quality_of(accept, "application/xml") == 0.5
    assert quality_of(accept, "text/html") == 0.1


def test_equally_specific_ranges_give_the_highest_quality() -> None:
    assert quality_of("text/html;q=0.2, text/html;q=0.7", "text/html") == 0.7


def test_quality_of_ignores_the_case_of_the_type_asked() -> None:
    assert quality_of("application/json", "Application/JSON") == 1.0


@pytest.mark.parametrize(
    "accept",
    [
        "application/json",
        "application/*",
        "application/json, text/html;q=0.9",
        "text/html;q=0.5, application/json;q=0.6",
        "application/json, */*;q=0.1",
        "application/*, text/*;q=0.5",
    ],
)
def test_json_is_preferred_when_it_ranks_above_html(accept: str) -> None:
    assert prefers_json(accept)


@pytest.mark.parametrize(
    "accept",
    [
        None,
        "",
        "*/*",
        "text/html",
        "text/*",
        "application/json, text/html",
        "application/json;q=0.9, text/html",
        "application/json;q=0, */*",
        "image/png",
        "garbage",
        "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    ],
    ids=repr,
)
def test_html_is_chosen_on_a_tie_or_when_it_ranks_higher(accept: str | None) -> None:
    assert not prefers_json(accept)
