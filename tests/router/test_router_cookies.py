"""Cookies: the Cookie header read leniently, Set-Cookie written so browsers keep it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from http.cookies import SimpleCookie

import pytest

from twisted_wsgi_lab.router.cookies import (
    format_delete_cookie,
    format_set_cookie,
    parse_cookie_header,
    quote_cookie_value,
)
from twisted_wsgi_lab.router.headers import Headers

AWKWARD = 'a b,c;d"e\\f é € \x00\t='


def cookie_pair(set_cookie: str) -> str:
    """The name=value part of a Set-Cookie value, as a browser would send it back."""
    return set_cookie.split("; ")[0]


# -- parse_cookie_header ----------------------------------------------------------------


def test_a_cookie_header_gives_each_pair() -> None:
    assert parse_cookie_header("a=1; b=two") == {"a": "1", "b": "two"}


def test_pairs_are_stripped_around_names_and_values() -> None:
    assert parse_cookie_header("  a = 1 ;b=2;  ") == {"a": "1", "b": "2"}


def test_the_first_occurrence_of_a_name_wins() -> None:
    assert parse_cookie_header("a=specific; a=general") == {"a": "specific"}


def test_a_double_quoted_value_is_unquoted() -> None:
    assert parse_cookie_header('a="hello"') == {"a": "hello"}


def test_an_unbalanced_quote_is_kept_as_it_is() -> None:
    assert parse_cookie_header('a="hello; b=x"') == {"a": '"hello', "b": 'x"'}


def test_a_value_may_hold_equals_signs() -> None:
    assert parse_cookie_header("token=abc==") == {"token": "abc=="}


def test_an_empty_value_is_kept() -> None:
    assert parse_cookie_header('a=; b=""') == {"a": "", "b": ""}


@pytest.mark.parametrize(
    "header", ["no-equals", "=value", " = ", ";;;", "", "\x00", '"', "a"], ids=repr
)
def test_malformed_pairs_are_skipped_never_raised(header: str) -> None:
    assert parse_cookie_header(header) == {}


def test_a_malformed_pair_leaves_the_good_ones() -> None:
    assert parse_cookie_header("junk; a=1; =x; b=2") == {"a": "1", "b": "2"}


def test_raw_utf_8_from_the_wire_is_read_as_utf_8() -> None:
    header = Headers.from_wire(((b"cookie", "name=café".encode()),))["Cookie"]
    assert parse_cookie_header(header) == {"name": "café"}


def test_bytes_that_are_not_utf_8_stay_latin_1() -> None:
    assert parse_cookie_header("name=caf\xe9") == {"name": "café"}


def test_octal_escapes_from_pythons_http_cookies_are_read() -> None:
    morsel = SimpleCookie()
    morsel["a"] = "x;y,z"
    header = morsel.output(header="").strip()
    assert parse_cookie_header(header) == {"a": "x;y,z"}


def test_a_backslash_before_an_ordinary_character_stands_for_it() -> None:
    assert parse_cookie_header(r'a="x\"y\\z\q"') == {"a": 'x"y\\zq'}


def test_a_backslash_at_the_end_of_a_quoted_value_is_kept() -> None:
    assert parse_cookie_header('a="x\\"') == {"a": "x\\"}


# -- values -------------------------------------------------------------------------------


def test_cookie_octets_are_written_bare() -> None:
    assert quote_cookie_value("abc-123_!#$%&'()*+./:<=>?@[]^`{|}~") == (
        "abc-123_!#$%&'()*+./:<=>?@[]^`{|}~"
    )


def test_an_empty_value_is_written_bare() -> None:
    assert format_set_cookie("a", "") == "a=; Path=/"


@pytest.mark.parametrize("char", [" ", ",", ";", '"', "\\", "é", "\x7f", "\t"], ids=repr)
def test_a_value_outside_cookie_octets_is_quoted_with_octal_escapes(char: str) -> None:
    quoted = quote_cookie_value(f"x{char}y")
    assert quoted.startswith('"x\\') and quoted.endswith('y"')
    assert quoted.isascii() and all(c not in quoted[1:-1] for c in ' ,;"')


@pytest.mark.parametrize(
    "value",
    [AWKWARD, " ", "plain", '"already quoted"', "\\000", "日本語", "a\\"],
    ids=repr,
)
def test_every_value_round_trips_through_set_cookie_and_parse(value: str) -> None:
    set_cookie = format_set_cookie("name", value)
    wire = Headers([("Set-Cookie", set_cookie)]).to_wire()  # latin-1, no controls
    assert wire[0][1].isascii()
    assert parse_cookie_header(cookie_pair(set_cookie)) == {"name": value}


def test_several_awkward_cookies_round_trip_in_one_header() -> None:
    header = "; ".join(cookie_pair(format_set_cookie(n, AWKWARD + n)) for n in "abc")
    assert parse_cookie_header(header) == {n: AWKWARD + n for n in "abc"}


# -- format_set_cookie ------------------------------------------------------------------


def test_set_cookie_defaults_to_the_whole_site() -> None:
    assert format_set_cookie("sid", "abc") == "sid=abc; Path=/"


def test_set_cookie_writes_every_attribute() -> None:
    value = format_set_cookie(
        "sid",
        "abc",
        max_age=3600,
        expires=0,
        path="/app",
        domain="example.test",
        secure=True,
        httponly=True,
        samesite="lax",
    )
    assert value == (
        "sid=abc; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=3600; "
        "Domain=example.test; Path=/app; Secure; HttpOnly; SameSite=Lax"
    )


def test_path_none_leaves_the_path_out() -> None:
    assert format_set_cookie("a", "1", path=None) == "a=1"


def test_max_age_may_be_a_timedelta() -> None:
    assert "Max-Age=5400" in format_set_cookie("a", "1", max_age=timedelta(hours=1.5))


def test_max_age_zero_and_negative_are_written() -> None:
    assert "Max-Age=0" in format_set_cookie("a", "1", max_age=0)
    assert "Max-Age=-1" in format_set_cookie("a", "1", max_age=-1)


@pytest.mark.parametrize("max_age", [1.5, "60", True])
def test_max_age_refuses_anything_but_an_int_or_timedelta(max_age: object) -> None:
    with pytest.raises(TypeError):
        format_set_cookie("a", "1", max_age=max_age)  # type: ignore[arg-type]


def test_expires_from_an_aware_datetime_is_converted_to_gmt() -> None:
    plus_two = timezone(timedelta(hours=2))
    when = datetime(2030, 6, 1, 14, 30, 5, tzinfo=plus_two)
    assert "Expires=Sat, 01 Jun 2030 12:30:05 GMT" in format_set_cookie("a", "1", expires=when)


def test_expires_from_a_naive_datetime_is_taken_as_utc() -> None:
    when = datetime(2030, 6, 1, 12, 30, 5)
    assert "Expires=Sat, 01 Jun 2030 12:30:05 GMT" in format_set_cookie("a", "1", expires=when)


def test_expires_from_seconds_since_the_epoch() -> None:
    expected = "Expires=Sat, 01 Jun 2030 12:30:05 GMT"
    assert expected in format_set_cookie("a", "1", expires=1906547405)
    assert expected in format_set_cookie("a", "1", expires=1906547405.75)


@pytest.mark.parametrize(("given", "written"), [("STRICT", "Strict"), ("lax", "Lax")])
def test_samesite_is_case_insensitive_and_written_canonically(given: str, written: str) -> None:
    assert format_set_cookie("a", "1", samesite=given).endswith(f"SameSite={written}")


def test_samesite_none_with_secure_is_written() -> None:
    assert format_set_cookie("a", "1", secure=True, samesite="none").endswith(
        "Secure; SameSite=None"
    )


def test_samesite_none_without_secure_is_refused() -> None:
    with pytest.raises(ValueError, match="requires secure"):
        format_set_cookie("a", "1", samesite="None")


@pytest.mark.parametrize("samesite", ["", "strictly", "yes"])
def test_an_unknown_samesite_is_refused(samesite: str) -> None:
    with pytest.raises(ValueError, match="samesite"):
        format_set_cookie("a", "1", samesite=samesite)


@pytest.mark.parametrize("name", ["", "a b", "a;b", "a=b", "a,b", "é", "a\r\n", '"a"', "a\x00"])
def test_a_name_that_is_not_a_token_is_refused(name: str) -> None:
    with pytest.raises(ValueError, match="not a token"):
        format_set_cookie(name, "1")


def test_a_value_that_is_not_text_is_refused() -> None:
    with pytest.raises(TypeError):
        format_set_cookie("a", b"1")  # type: ignore[arg-type]


@pytest.mark.parametrize("path", ["", "app", "/a;b", "/a\r\nX: y", "/\x00", "/é"], ids=repr)
def test_a_path_that_breaks_the_attribute_is_refused(path: str) -> None:
    with pytest.raises(ValueError, match="Path"):
        format_set_cookie("a", "1", path=path)


def test_a_path_may_hold_a_space() -> None:
    assert format_set_cookie("a", "1", path="/my app").endswith("Path=/my app")


@pytest.mark.parametrize(
    "domain", ["", "a b", "a;b", "a\r\nb", "ex\x00ample", "exämple.test"], ids=repr
)
def test_a_domain_that_breaks_the_attribute_is_refused(domain: str) -> None:
    with pytest.raises(ValueError, match="Domain"):
        format_set_cookie("a", "1", domain=domain)


@pytest.mark.parametrize("name", ["__Secure-id", "__Host-id", "__secure-id", "__HOST-id"])
def test_a_prefixed_name_without_secure_is_refused(name: str) -> None:
    with pytest.raises(ValueError, match="requires secure"):
        format_set_cookie(name, "1")


def test_a_secure_prefixed_name_with_secure_is_written() -> None:
    assert format_set_cookie("__Secure-id", "1", secure=True, domain="example.test")


@pytest.mark.parametrize(("path", "domain"), [("/app", None), (None, None), ("/", "example.test")])
def test_a_host_prefixed_cookie_needs_the_root_path_and_no_domain(
    path: str | None, domain: str | None
) -> None:
    with pytest.raises(ValueError, match="__Host-"):
        format_set_cookie("__Host-id", "1", secure=True, path=path, domain=domain)


def test_a_host_prefixed_cookie_is_written_with_root_path_and_secure() -> None:
    assert format_set_cookie("__Host-id", "1", secure=True) == "__Host-id=1; Path=/; Secure"


# -- format_delete_cookie ---------------------------------------------------------------


def test_deleting_a_cookie_expires_it_now_and_in_the_past() -> None:
    assert format_delete_cookie("sid") == (
        "sid=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/"
    )


def test_deleting_names_the_path_and_domain_it_was_set_with() -> None:
    value = format_delete_cookie("sid", path="/app", domain="example.test")
    assert value.endswith("Max-Age=0; Domain=example.test; Path=/app")


def test_deleting_a_prefixed_cookie_adds_secure() -> None:
    assert format_delete_cookie("__Host-sid").endswith("Path=/; Secure")
    assert format_delete_cookie("__Secure-sid").endswith("Path=/; Secure")


def test_deleting_refuses_a_bad_name() -> None:
    with pytest.raises(ValueError):
        format_delete_cookie("a b")
