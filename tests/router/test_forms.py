"""``await request.form()``: fields, uploads, spilling, every limit, malformed bodies,
and the release of uploads when the request is over."""

from __future__ import annotations

import html
import random
from pathlib import Path
from typing import Any

import pytest
from twisted.internet.task import Clock

from twisted_wsgi_lab import App, HTTPFactory, Limits, Request
from twisted_wsgi_lab.router import Form, UploadFile
from twisted_wsgi_lab.router.form_parsers import MultipartFormParser
from twisted_wsgi_lab.router.test_client import TestClient, TestResponse
from twisted_wsgi_lab.service.options import LIMIT_OPTIONS
from twisted_wsgi_lab.testing import connect, parse_responses

BOUNDARY = "b0undary"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"
OPTION = {field: f"--{option}" for option, field, _ in LIMIT_OPTIONS}


def part(
    name: str, value: str | bytes, filename: str | None = None, content_type: str | None = None
) -> bytes:
    disposition = f'form-data; name="{name}"'
    if filename is not None:
        disposition += f'; filename="{filename}"'
    head = f"Content-Disposition: {disposition}\r\n"
    if content_type is not None:
        head += f"Content-Type: {content_type}\r\n"
    data = value.encode() if isinstance(value, str) else value
    return f"--{BOUNDARY}\r\n{head}\r\n".encode() + data + b"\r\n"


def multipart(*parts: bytes) -> bytes:
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def form_app(seen: list[Form] | None = None) -> App:
    """An App whose /form answers with what it parsed (and keeps the form in ``seen``)."""
    app = App()

    @app.route("/form", methods=["GET", "POST"])
    async def read_form(request: Request) -> dict[str, Any]:
        form = await request.form()
        if seen is not None:
            seen.append(form)
        return {
            "fields": [list(pair) for pair in form.multi_items()],
            "files": [
                [u.name, u.filename, u.content_type, u.size, u.read().decode("latin-1")]
                for u in form.files.all()
            ],
        }

    return app


def client_for(app: App, **limits: Any) -> TestClient:
    client = app.test_client()
    client.factory.limits = Limits(**limits)
    return client


def post_multipart(client: TestClient, body: bytes, content_type: str = MULTIPART) -> TestResponse:
    return client.post("/form", data=body, headers={"Content-Type": content_type})


# -- fields and files ------------------------------------------------------------------


def test_urlencoded_fields_and_repeats_are_read() -> None:
    client = form_app().test_client()
    response = client.post("/form", data={"name": "Ada", "tag": ["a", "b"], "empty": ""})
    assert response.json() == {
        "fields": [["name", "Ada"], ["tag", "a"], ["tag", "b"], ["empty", ""]],
        "files": [],
    }


def test_urlencoded_decoding_matches_the_query_string_rules() -> None:
    client = form_app().test_client()
    body = "a=1+2%21&b=%FF&&c"
    response = client.post(
        "/form", data=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.json()["fields"] == [["a", "1 2!"], ["b", "\ufffd"], ["c", ""]]


def test_multipart_fields_repeats_and_a_file_are_read() -> None:
    body = multipart(
        part("name", "Ada"),
        part("tag", "a"),
        part("tag", "b"),
        part("doc", b"line 1\r\nline 2", filename="notes.txt", content_type="text/markdown"),
    )
    response = post_multipart(form_app().test_client(), body)
    assert response.status_code == 200
    assert response.json() == {
        "fields": [["name", "Ada"], ["tag", "a"], ["tag", "b"]],
        "files": [["doc", "notes.txt", "text/markdown", 14, "line 1\r\nline 2"]],
    }


def test_get_getlist_and_files_getlist_work_as_documented() -> None:
    seen: list[Form] = []
    body = multipart(
        part("tag", "a"),
        part("tag", "b"),
        part("photos", b"one", filename="1.jpg", content_type="image/jpeg"),
        part("photos", b"two!", filename="2.jpg", content_type="image/jpeg"),
    )
    post_multipart(form_app(seen).test_client(), body)
    [form] = seen
    assert form.get("tag") == "a"
    assert form.getlist("tag") == ["a", "b"]
    assert form.get("missing") is None
    assert form.getlist("photos") == []  # a file is not a field
    assert form.files["photos"].filename == "1.jpg"
    assert [u.size for u in form.files.getlist("photos")] == [3, 4]
    assert list(form.files) == ["photos"]
    assert "other" not in form.files


def test_a_file_part_without_content_type_is_text_plain_and_names_decode_as_utf8() -> None:
    body = multipart(part("caf\u00e9", "cr\u00e8me"), part("f", b"x", filename="\u00e9t\u00e9.txt"))
    response = post_multipart(form_app().test_client(), body)
    assert response.json() == {
        "fields": [["caf\u00e9", "cr\u00e8me"]],
        "files": [["f", "\u00e9t\u00e9.txt", "text/plain", 1, "x"]],
    }


def test_an_empty_filename_is_still_a_file_part() -> None:
    body = multipart(part("f", b"", filename=""))
    response = post_multipart(form_app().test_client(), body)
    assert response.json()["files"] == [["f", "", "text/plain", 0, ""]]


def test_a_small_upload_stays_in_memory_and_a_large_one_spills_to_a_file() -> None:
    seen: list[Form] = []
    client = client_for(form_app(seen), upload_spool_bytes=1000)
    small, large = b"s" * 1000, bytes(range(256)) * 20  # 1000 and 5120 bytes
    body = multipart(part("small", small, filename="s"), part("large", large, filename="l"))
    response = post_multipart(client, body)
    assert response.status_code == 200
    uploads = seen[0].files
    assert (uploads["small"].size, uploads["large"].size) == (1000, 5120)
    assert response.json()["files"][1][4].encode("latin-1") == large
    assert uploads["small"].in_memory
    assert not uploads["large"].in_memory


def test_save_copies_the_whole_upload_wherever_the_read_position_is(tmp_path: Path) -> None:
    app = App()
    data = bytes(range(256)) * 10

    @app.post("/form")
    async def save(request: Request) -> str:
        upload = (await request.form()).files["f"]
        first = upload.read(10)
        upload.save(tmp_path / "copy.bin")
        return repr((first, len(upload.read())))

    client = client_for(app, upload_spool_bytes=100)
    response = post_multipart(client, multipart(part("f", data, filename="f.bin")))
    assert response.text == repr((data[:10], len(data) - 10))
    assert (tmp_path / "copy.bin").read_bytes() == data


def test_uploads_are_closed_once_the_response_is_sent() -> None:
    seen: list[Form] = []
    client = client_for(form_app(seen), upload_spool_bytes=10)
    post_multipart(client, multipart(part("f", b"x" * 100, filename="f")))
    [upload] = seen[0].files.all()
    assert not upload.in_memory
    assert upload.closed


def test_uploads_are_closed_when_the_client_leaves_mid_body() -> None:
    readers: list[Request] = []
    app = App()

    @app.post("/form")
    async def wait_for_form(request: Request) -> str:
        readers.append(request)
        await request.form()
        return "never"

    protocol, _ = connect(HTTPFactory(app, limits=Limits(upload_spool_bytes=10), clock=Clock()))
    body = multipart(part("f", b"x" * 1000, filename="f"))
    head = f"POST /form HTTP/1.1\r\nHost: a\r\nContent-Type: {MULTIPART}\r\n"
    protocol.dataReceived(f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body[:500])
    parser = readers[0]._form._parser  # type: ignore[union-attr]
    assert isinstance(parser, MultipartFormParser)
    [upload] = parser._uploads
    assert upload.size > 0 and not upload.closed  # parsed as the bytes arrived
    protocol.connectionLost(None)
    assert upload.closed


def test_an_empty_body_gives_an_empty_form_for_both_types() -> None:
    client = form_app().test_client()
    empty = {"fields": [], "files": []}
    assert client.post("/form", data={}).json() == empty
    assert post_multipart(client, multipart()).json() == empty
    assert post_multipart(client, b"").json() == empty
    assert client.get("/form").json() == empty  # no body and no Content-Type


def test_form_twice_gives_the_same_form_and_other_reads_are_refused() -> None:
    app = App()

    @app.post("/form")
    async def twice(request: Request) -> str:
        first, second = await request.form(), await request.form()
        with pytest.raises(RuntimeError):
            request.body()
        with pytest.raises(RuntimeError):
            request.stream()
        return str(first is second)

    assert app.test_client().post("/form", data={"a": "1"}).text == "True"


def test_form_after_body_is_refused() -> None:
    app = App()

    @app.post("/form")
    async def after_body(request: Request) -> str:
        await request.body()
        with pytest.raises(RuntimeError):
            request.form()
        return "ok"

    assert app.test_client().post("/form", data={"a": "1"}).text == "ok"


# -- the parser alone: chunk boundaries do not matter ----------------------------------


def test_the_multipart_parser_gives_the_same_form_however_the_body_is_split() -> None:
    body = multipart(
        part("a", "1"),
        part("f", bytes(range(256)) * 8 + b"\r\n--b0undar", filename="f.bin"),
        part("b", "two"),
    )

    def parse(pieces: list[bytes]) -> tuple[Any, Any]:
        parser = MultipartFormParser(BOUNDARY.encode(), Limits(upload_spool_bytes=100))
        for piece in pieces:
            parser.feed(piece)
        fields, uploads = parser.finish()
        try:
            return fields, [(u.name, u.filename, u.read()) for u in uploads]
        finally:
            parser.close()

    whole = parse([body])
    assert whole[0] == [("a", "1"), ("b", "two")]
    assert parse([bytes([byte]) for byte in body]) == whole
    cuts = sorted(random.Random(7).sample(range(1, len(body)), 40))
    assert parse([body[i:j] for i, j in zip([0, *cuts], [*cuts, len(body)], strict=True)]) == whole


# -- limits: 413 naming the option, and the connection closes ---------------------------


def refused(response: TestResponse, status: int, *phrases: str) -> None:
    assert response.status_code == status, response.text
    for phrase in phrases:
        assert phrase in html.unescape(response.text)
    assert response.headers.get("connection") == "close"


def test_too_many_parts_is_413_naming_max_form_parts() -> None:
    client = client_for(form_app(), max_form_parts=2)
    body = multipart(part("a", "1"), part("b", "2"), part("c", b"3", filename="c"))
    refused(post_multipart(client, body), 413, "more than 2", OPTION["max_form_parts"])
    assert post_multipart(client, multipart(part("a", "1"), part("b", "2"))).status_code == 200


def test_too_many_urlencoded_fields_is_413_naming_max_form_parts() -> None:
    client = client_for(form_app(), max_form_parts=2)
    refused(client.post("/form", data={"a": "1", "b": "2", "c": "3"}), 413, "--max-form-parts")
    assert client.post("/form", data={"a": "1", "b": "2"}).status_code == 200


def test_a_large_part_head_is_413_naming_max_part_head() -> None:
    client = client_for(form_app(), max_part_head_bytes=200)
    long_name = part("n" * 300, "v")
    refused(post_multipart(client, multipart(long_name)), 413, "200 bytes", "--max-part-head")


def test_many_header_lines_add_up_against_max_part_head() -> None:
    client = client_for(form_app(), max_part_head_bytes=200)
    extra = "".join(f"X-Extra-{i}: {'v' * 20}\r\n" for i in range(10))  # each under 200
    body = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="a"\r\n{extra}\r\n1\r\n'
    response = post_multipart(client, body.encode() + f"--{BOUNDARY}--\r\n".encode())
    refused(response, 413, "--max-part-head")


def test_a_large_field_is_413_naming_max_form_field() -> None:
    client = client_for(form_app(), max_form_field_bytes=100)
    refused(post_multipart(client, multipart(part("a", "x" * 101))), 413, "'a'", "--max-form-field")
    assert post_multipart(client, multipart(part("a", "x" * 100))).status_code == 200


def test_a_file_is_not_held_to_the_field_limit() -> None:
    client = client_for(form_app(), max_form_field_bytes=100)
    body = multipart(part("f", b"x" * 1000, filename="f"))
    assert post_multipart(client, body).status_code == 200


def test_a_large_urlencoded_form_is_413_naming_max_form_field() -> None:
    client = client_for(form_app(), max_form_field_bytes=100)
    refused(client.post("/form", data={"a": "x" * 100}), 413, "urlencoded", "--max-form-field")


def test_a_large_upload_is_413_naming_max_upload() -> None:
    client = client_for(form_app(), max_upload_bytes=1000, upload_spool_bytes=100)
    body = multipart(part("doc", b"x" * 1001, filename="big.pdf"))
    refused(post_multipart(client, body), 413, "'big.pdf'", "1000 bytes", "--max-upload")
    ok = multipart(part("doc", b"x" * 1000, filename="big.pdf"))
    assert post_multipart(client, ok).status_code == 200


def test_an_upload_over_the_limit_is_refused_before_the_body_ends() -> None:
    """The parser runs as bytes arrive: the 413 goes out with most of the body unsent."""
    app = form_app()
    protocol, transport = connect(
        HTTPFactory(app, limits=Limits(max_upload_bytes=1000), clock=Clock())
    )
    head = (
        f"POST /form HTTP/1.1\r\nHost: a\r\nContent-Type: {MULTIPART}\r\n"
        "Content-Length: 10000000\r\n\r\n"
    )
    protocol.dataReceived(head.encode() + part("f", b"x" * 2000, filename="f"))
    [response] = parse_responses(transport.value())
    assert response.status == 413
    assert b"--max-upload" in response.body


def test_every_limit_message_names_an_option_that_exists() -> None:
    named = {"--max-form-parts", "--max-part-head", "--max-form-field", "--max-upload"}
    assert named <= set(OPTION.values())
    assert OPTION["upload_spool_bytes"] == "--upload-spool"


def test_the_form_limits_refuse_nonsense_values() -> None:
    for field in ("max_form_parts", "max_part_head_bytes", "max_upload_bytes"):
        with pytest.raises(ValueError, match=field):
            Limits(**{field: 0})


# -- malformed bodies: 400; other types: 415 -------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "phrase"),
    [
        ("multipart/form-data", "without a boundary"),
        ("multipart/form-data; boundary=", "without a boundary"),
        ("multipart/form-data; boundary=" + "x" * 71, "1 to 70"),
        ('multipart/form-data; boundary="a\\b"', "1 to 70"),
        ('multipart/form-data; boundary="ends with space "', "1 to 70"),
    ],
)
def test_a_missing_or_bad_boundary_is_400(content_type: str, phrase: str) -> None:
    client = form_app().test_client()
    response = post_multipart(client, multipart(part("a", "1")), content_type)
    refused(response, 400, phrase)


def test_a_body_with_another_boundary_is_400() -> None:
    client = form_app().test_client()
    body = multipart(part("a", "1")).replace(BOUNDARY.encode(), b"0ther")
    refused(post_multipart(client, body), 400, "malformed multipart body")


def test_a_truncated_body_is_400() -> None:
    client = form_app().test_client()
    body = multipart(part("a", "1"), part("f", b"data", filename="f"))
    for cut in (len(body) - 5, len(body) // 2, 10):
        refused(post_multipart(client, body[:cut]), 400, "ended before its closing boundary")


@pytest.mark.parametrize(
    "head",
    [
        b"Content-Type: text/plain\r\n",
        b'Content-Disposition: attachment; name="a"\r\n',
        b'Content-Disposition: form-data; filename="a"\r\n',
    ],
)
def test_a_part_without_a_form_data_name_is_400(head: bytes) -> None:
    client = form_app().test_client()
    body = f"--{BOUNDARY}\r\n".encode() + head + b"\r\nv\r\n" + f"--{BOUNDARY}--\r\n".encode()
    refused(post_multipart(client, body), 400, "Content-Disposition: form-data; name=")


def test_a_bad_header_line_in_a_part_is_400() -> None:
    client = form_app().test_client()
    body = f"--{BOUNDARY}\r\nbad header\r\n\r\nv\r\n--{BOUNDARY}--\r\n".encode()
    refused(post_multipart(client, body), 400, "malformed multipart body")


@pytest.mark.parametrize("content_type", ["application/json", "text/plain", "multipart/mixed"])
def test_another_content_type_is_415(content_type: str) -> None:
    client = form_app().test_client()
    response = client.post("/form", data=b"{}", headers={"Content-Type": content_type})
    refused(response, 415, "multipart/form-data", content_type)


def test_a_body_without_content_type_is_415() -> None:
    response = form_app().test_client().post("/form", data=b"a=1")
    refused(response, 415, "no Content-Type")


def test_an_error_handler_sees_the_form_refusal() -> None:
    app = form_app()
    app.errorhandler(413)(lambda request, error: ({"limit": error.detail}, 413))
    client = client_for(app, max_form_field_bytes=10)
    response = client.post("/form", data={"a": "x" * 20})
    assert response.status_code == 413
    assert "--max-form-field" in response.json()["limit"]


def test_upload_file_reads_and_seeks_like_a_file() -> None:
    upload = UploadFile("f", "f.txt", "text/plain", {}, spool_bytes=4)
    upload.write(b"abc")
    assert upload.in_memory
    upload.write(b"defg")
    assert not upload.in_memory
    upload.rewind()
    assert (upload.read(2), upload.read(), upload.size) == (b"ab", b"cdefg", 7)
    upload.seek(3)
    assert upload.read() == b"defg"
    upload.close()
    assert upload.closed


def test_a_handler_that_answers_without_awaiting_its_form_leaves_no_file_open() -> None:
    app = App()

    @app.post("/form")
    async def early(request: Request) -> str:
        request.form()  # never awaited: the body that follows is dropped, not parsed
        return "early"

    client = client_for(app, upload_spool_bytes=10)
    response = post_multipart(client, multipart(part("f", b"x" * 1000, filename="f")))
    assert response.text == "early"
