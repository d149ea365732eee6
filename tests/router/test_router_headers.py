"""Headers and MultiDict: multi-valued, ordered, and safe to put on the wire."""

from __future__ import annotations

import pytest

from twisted_wsgi_lab.router.headers import Headers, MultiDict, parse_query


def sample() -> Headers:
    return Headers([("Content-Type", "text/plain"), ("Set-Cookie", "a=1"), ("set-cookie", "b=2")])


# -- construction ---------------------------------------------------------------------


def test_headers_start_empty_from_none() -> None:
    headers = Headers()
    assert (len(headers), headers.items(), list(headers)) == (0, [], [])


def test_headers_are_built_from_a_dict_keeping_its_order() -> None:
    headers = Headers({"B": "2", "A": "1"})
    assert headers.items() == [("B", "2"), ("A", "1")]


def test_headers_are_built_from_pairs_keeping_repeats() -> None:
    assert sample().getlist("SET-COOKIE") == ["a=1", "b=2"]


def test_headers_accept_two_item_lists_as_pairs() -> None:
    assert Headers([["X-A", "1"]]).items() == [("X-A", "1")]  # type: ignore[list-item]


def test_headers_built_from_headers_are_an_independent_copy() -> None:
    original = sample()
    copy = Headers(original)
    copy.add("X-New", "1")
    assert "X-New" not in original
    assert "X-New" in copy


def test_copy_is_independent_of_the_original() -> None:
    original = sample()
    duplicate = original.copy()
    duplicate["Content-Type"] = "text/html"
    assert original["Content-Type"] == "text/plain"


def test_headers_built_from_a_multidict_keep_every_value() -> None:
    assert Headers(MultiDict([("a", "1"), ("a", "2")])).getlist("a") == ["1", "2"]


@pytest.mark.parametrize(
    "source",
    [
        [("Name", 1)],
        [(b"Name", "value")],
        [("only-one",)],
        ["ab"],
        {"Name": None},
    ],
    ids=["int-value", "bytes-name", "one-item", "a-string", "none-value"],
)
def test_headers_refuse_anything_but_text_pairs(source: object) -> None:
    with pytest.raises(TypeError):
        Headers(source)  # type: ignore[arg-type]


# -- reading --------------------------------------------------------------------------


def test_getitem_gives_the_first_value_whatever_the_case() -> None:
    assert sample()["SET-cookie"] == "a=1"


def test_getitem_raises_key_error_for_a_missing_name() -> None:
    with pytest.raises(KeyError):
        sample()["X-Missing"]


def test_get_gives_the_first_value_or_the_default() -> None:
    headers = sample()
    assert headers.get("content-type") == "text/plain"
    assert headers.get("X-Missing") is None
    assert headers.get("X-Missing", "fallback") == "fallback"


def test_getlist_of_a_missing_name_is_empty() -> None:
    assert sample().getlist("X-Missing") == []


def test_contains_ignores_case_and_refuses_non_strings() -> None:
    headers = sample()
    assert "content-TYPE" in headers
    assert "X-Missing" not in headers
    assert b"Content-Type" not in headers


def test_keys_iteration_and_len_see_each_name_once_in_its_first_case() -> None:
    headers = sample()
    assert headers.keys() == ["Content-Type", "Set-Cookie"]
    assert list(headers) == ["Content-Type", "Set-Cookie"]
    assert len(headers) == 2


def test_items_give_every_pair_in_order_with_the_case_given() -> None:
    assert sample().items() == [
        ("Content-Type", "text/plain"),
        ("Set-Cookie", "a=1"),
        ("set-cookie", "b=2"),
    ]


# -- writing --------------------------------------------------------------------------


def test_setitem_replaces_every_value_in_the_place_of_the_first() -> None:
    headers = sample()
    headers.add("X-After", "1")
    headers["SET-COOKIE"] = "c=3"
    assert headers.items() == [
        ("Content-Type", "text/plain"),
        ("SET-COOKIE", "c=3"),
        ("X-After", "1"),
    ]


def test_setitem_of_a_new_name_appends_it() -> None:
    headers = sample()
    headers["X-New"] = "1"
    assert headers.items()[-1] == ("X-New", "1")


def test_setitem_refuses_a_non_string_value() -> None:
    with pytest.raises(TypeError):
        sample()["Content-Length"] = 5  # type: ignore[assignment]


def test_add_appends_another_value() -> None:
    headers = sample()
    headers.add("Set-Cookie", "c=3")
    assert headers.getlist("set-cookie") == ["a=1", "b=2", "c=3"]


def test_add_refuses_a_non_string_value() -> None:
    with pytest.raises(TypeError):
        sample().add("Vary", None)  # type: ignore[arg-type]


def test_delitem_removes_every_value() -> None:
    headers = sample()
    del headers["set-cookie"]
    assert headers.items() == [("Content-Type", "text/plain")]


def test_delitem_of_a_missing_name_raises_key_error() -> None:
    headers = sample()
    with pytest.raises(KeyError):
        del headers["X-Missing"]


def test_setdefault_keeps_an_existing_value_and_adds_a_missing_one() -> None:
    headers = sample()
    assert headers.setdefault("content-type", "text/html") == "text/plain"
    assert headers.setdefault("Vary", "Accept") == "Accept"
    assert headers.getlist("Vary") == ["Accept"]


def test_update_replaces_the_names_it_gives_and_keeps_the_others() -> None:
    headers = sample()
    headers.update({"set-cookie": "z=9", "X-New": "1"})
    assert headers.getlist("Set-Cookie") == ["z=9"]
    assert headers["Content-Type"] == "text/plain"
    assert headers["X-New"] == "1"


def test_update_with_repeated_names_keeps_every_repeat() -> None:
    headers = Headers({"Vary": "Cookie"})
    headers.update([("Vary", "Accept"), ("Vary", "Origin")])
    assert headers.getlist("vary") == ["Accept", "Origin"]


def test_update_with_none_changes_nothing() -> None:
    headers = sample()
    headers.update(None)
    assert headers == sample()


# -- comparing and showing ------------------------------------------------------------


def test_equality_ignores_name_case_and_order_between_names() -> None:
    assert Headers([("A", "1"), ("B", "2")]) == Headers([("b", "2"), ("a", "1")])


def test_equality_counts_the_order_of_repeated_values() -> None:
    assert Headers([("A", "1"), ("A", "2")]) != Headers([("A", "2"), ("A", "1")])


def test_headers_compare_equal_to_a_dict_or_pairs_with_the_same_fields() -> None:
    assert Headers({"A": "1"}) == {"a": "1"}
    assert Headers({"A": "1"}) == [("A", "1")]


def test_headers_do_not_compare_with_unrelated_objects() -> None:
    assert Headers() != 0
    assert Headers() != "x"
    assert Headers() != [1, 2]
    assert Headers() != {"A": 1}


def test_headers_are_unhashable_because_they_are_mutable() -> None:
    with pytest.raises(TypeError):
        hash(Headers())


def test_repr_shows_every_pair() -> None:
    assert repr(Headers([("A", "1")])) == "Headers([('A', '1')])"


# -- the wire -------------------------------------------------------------------------


def test_from_wire_decodes_latin_1_and_to_wire_gives_the_same_bytes_back() -> None:
    fields = ((b"host", b"example.test"), (b"x-raw", b"caf\xc3\xa9 \xff"))
    headers = Headers.from_wire(fields)
    assert headers["Host"] == "example.test"
    assert headers["X-Raw"] == "caf\xc3\xa9 \xff"
    assert tuple(headers.to_wire()) == fields


def test_to_wire_keeps_the_case_and_order_of_names() -> None:
    assert sample().to_wire() == (
        (b"Content-Type", b"text/plain"),
        (b"Set-Cookie", b"a=1"),
        (b"set-cookie", b"b=2"),
    )


def test_to_wire_checks_every_list_of_fields_even_after_a_good_one() -> None:
    good = Headers([("X-Note", "fine")])
    assert good.to_wire() == ((b"X-Note", b"fine"),)
    good["X-Note"] = "bad\r\nSet-Cookie: evil=1"
    with pytest.raises(ValueError, match="X-Note"):
        good.to_wire()


@pytest.mark.parametrize(
    "value", ["a\r\nSet-Cookie: evil=1", "a\nb", "a\rb", "a\x00b", "a\x7fb", "a\x01b"]
)
def test_to_wire_refuses_control_characters_in_a_value_naming_the_header(value: str) -> None:
    headers = Headers([("X-Bad", value)])
    with pytest.raises(ValueError, match="X-Bad"):
        headers.to_wire()


def test_to_wire_allows_a_tab_in_a_value() -> None:
    assert Headers([("X-Tab", "a\tb")]).to_wire() == ((b"X-Tab", b"a\tb"),)


@pytest.mark.parametrize("name", ["X-Bad\r\n", "X Bad", "X-Bad\x00", "", "X:Bad", "Ünicode"])
def test_to_wire_refuses_a_name_that_is_not_a_token(name: str) -> None:
    with pytest.raises(ValueError, match="is not a token"):
        Headers([(name, "1")]).to_wire()


def test_to_wire_refuses_text_latin_1_cannot_encode_naming_the_header() -> None:
    with pytest.raises(ValueError, match="X-Euro"):
        Headers([("X-Euro", "5 €")]).to_wire()


# -- MultiDict --------------------------------------------------------------------------


def args() -> MultiDict:
    return MultiDict([("tag", "a"), ("page", "2"), ("tag", "b"), ("bad", "x")])


def test_multidict_getitem_gives_the_first_value() -> None:
    assert args()["tag"] == "a"


def test_multidict_getitem_raises_key_error_for_a_missing_key() -> None:
    with pytest.raises(KeyError):
        args()["missing"]


def test_multidict_keys_are_case_sensitive() -> None:
    assert "Tag" not in args()


def test_multidict_getlist_gives_every_value_in_order() -> None:
    assert args().getlist("tag") == ["a", "b"]
    assert args().getlist("missing") == []


def test_multidict_follows_the_mapping_protocol_with_first_values() -> None:
    arguments = args()
    assert list(arguments) == ["tag", "page", "bad"]
    assert len(arguments) == 3
    assert dict(arguments) == {"tag": "a", "page": "2", "bad": "x"}


def test_multidict_multi_items_keep_every_pair() -> None:
    assert args().multi_items() == [("tag", "a"), ("page", "2"), ("tag", "b"), ("bad", "x")]


def test_multidict_get_gives_the_first_value_or_the_default() -> None:
    assert args().get("tag") == "a"
    assert args().get("missing") is None
    assert args().get("missing", "none") == "none"


def test_multidict_get_converts_with_type() -> None:
    assert args().get("page", type=int) == 2
    assert args().get("page", 1, type=int) == 2


def test_multidict_get_gives_the_default_when_the_conversion_fails() -> None:
    assert args().get("bad", 1, type=int) == 1
    assert args().get("bad", type=int) is None


def test_multidict_get_gives_the_default_for_a_missing_key_without_converting() -> None:
    assert args().get("missing", "raw", type=int) == "raw"


def test_multidict_get_lets_other_conversion_errors_through() -> None:
    def broken(value: str) -> int:
        raise RuntimeError(value)

    with pytest.raises(RuntimeError):
        args().get("page", type=broken)


def test_multidict_from_a_dict_or_nothing() -> None:
    assert MultiDict({"a": "1"}).multi_items() == [("a", "1")]
    assert len(MultiDict()) == 0


def test_multidict_refuses_non_text() -> None:
    with pytest.raises(TypeError):
        MultiDict([("a", 1)])  # type: ignore[list-item]


def test_multidicts_are_equal_with_the_same_pairs_in_order() -> None:
    assert args() == args()
    assert MultiDict([("a", "1"), ("a", "2")]) != MultiDict([("a", "2"), ("a", "1")])


def test_multidict_compares_with_a_dict_by_first_values() -> None:
    assert MultiDict([("a", "1"), ("a", "2")]) == {"a": "1"}


def test_multidict_is_read_only_and_unhashable() -> None:
    arguments = args()
    with pytest.raises(TypeError):
        arguments["tag"] = "c"  # type: ignore[index]
    with pytest.raises(TypeError):
        hash(arguments)


def test_multidict_repr_shows_every_pair() -> None:
    assert repr(MultiDict([("a", "1")])) == "MultiDict([('a', '1')])"


# -- parse_query ------------------------------------------------------------------------


def test_parse_query_keeps_repeats_in_order() -> None:
    assert parse_query(b"a=1&b=2&a=3").multi_items() == [("a", "1"), ("b", "2"), ("a", "3")]


def test_parse_query_decodes_plus_as_space_and_percent_escapes_as_utf_8() -> None:
    query = parse_query(b"q=caf%C3%A9+au+lait&sym=%2B%26%3D&na%6De=x")
    assert query["q"] == "café au lait"
    assert query["sym"] == "+&="
    assert query["name"] == "x"


def test_parse_query_keeps_blank_values() -> None:
    assert parse_query(b"a=&b&c=1").multi_items() == [("a", ""), ("b", ""), ("c", "1")]


def test_parse_query_skips_empty_segments() -> None:
    assert parse_query(b"&a=1&&b=2&").multi_items() == [("a", "1"), ("b", "2")]


def test_parse_query_of_nothing_is_empty() -> None:
    assert len(parse_query(b"")) == 0


def test_parse_query_replaces_bad_utf_8_instead_of_raising() -> None:
    assert parse_query(b"a=%FF%FE&b=\xff")["a"] == "\ufffd\ufffd"
    assert parse_query(b"b=\xff")["b"] == "\ufffd"


def test_parse_query_does_not_split_on_semicolons() -> None:
    assert parse_query(b"a=1;b=2").multi_items() == [("a", "1;b=2")]


def test_parse_query_splits_only_at_the_first_equals_sign() -> None:
    assert parse_query(b"expr=a=b")["expr"] == "a=b"


def test_parse_query_leaves_a_broken_percent_escape_as_it_is() -> None:
    assert parse_query(b"a=100%&b=%zz")["a"] == "100%"
    assert parse_query(b"b=%zz")["b"] == "%zz"
