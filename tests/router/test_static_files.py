"""``app.static`` through the test client: types, validators, 304, 206, 416, traversal."""

from __future__ import annotations

import os
from email.utils import formatdate
from pathlib import Path

import pytest

from twisted_wsgi_lab import App, FileResponse, Request
from twisted_wsgi_lab.router.matcher import RouteConflictError

CSS = b"body { color: teal }\n"


@pytest.fixture
def site(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    (site / "css").mkdir(parents=True)
    (site / "css" / "site.css").write_bytes(CSS)
    (site / "index.html").write_text("<h1>home</h1>\n")
    (site / "docs").mkdir()
    (site / "docs" / "index.html").write_text("<p>docs</p>\n")
    (site / "empty").mkdir()
    (site / "digits.bin").write_bytes(bytes(range(256)) * 4)
    (tmp_path / "secret.txt").write_text("secret\n")
    return site


@pytest.fixture
def app(site: Path) -> App:
    app = App()
    app.static("/static", site)
    return app


def test_a_file_is_served_with_its_type_length_and_validators(app: App, site: Path) -> None:
    response = app.test_client().get("/static/css/site.css")
    assert response.status_code == 200
    assert response.content == CSS
    headers = response.headers
    assert headers["Content-Type"] == "text/css; charset=utf-8"
    assert headers["Content-Length"] == str(len(CSS))
    assert headers["Accept-Ranges"] == "bytes"
    assert headers["ETag"].startswith('"')
    mtime = int(os.stat(site / "css" / "site.css").st_mtime)
    assert headers["Last-Modified"] == formatdate(mtime, usegmt=True)


def test_head_gives_the_fields_of_get_and_no_body(app: App) -> None:
    client = app.test_client()
    get, head = client.get("/static/css/site.css"), client.head("/static/css/site.css")
    assert head.status_code == 200
    assert head.content == b""
    for name in ("Content-Type", "Content-Length", "ETag", "Last-Modified", "Accept-Ranges"):
        assert head.headers[name] == get.headers[name]


def test_other_methods_are_405_with_allow(app: App) -> None:
    response = app.test_client().post("/static/css/site.css")
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, HEAD, OPTIONS"


def test_url_for_builds_file_and_root_urls(app: App) -> None:
    assert app.url_for("static", filename="css/site.css") == "/static/css/site.css"
    assert app.url_for("static", filename="a b.css") == "/static/a%20b.css"
    assert app.url_for("static") == "/static/"


def test_several_mounts_live_side_by_side_under_their_endpoints(site: Path) -> None:
    app = App()
    app.static("/static", site)
    app.static("/styles", site / "css", endpoint="styles")
    assert app.url_for("styles", filename="site.css") == "/styles/site.css"
    assert app.test_client().get("/styles/site.css").content == CSS
    with pytest.raises(RouteConflictError):
        app.static("/static", site / "docs", endpoint="again")


def test_a_bad_mount_is_refused_at_import_time(site: Path) -> None:
    app = App()
    with pytest.raises(NotADirectoryError):
        app.static("/static", site / "missing")
    for prefix in ("static", "/static/"):
        with pytest.raises(ValueError, match="url_prefix"):
            app.static(prefix, site)
    with pytest.raises(ValueError, match="index"):
        app.static("/static", site, index="../index.html")


def test_a_routes_own_handler_can_return_a_file_response(site: Path) -> None:
    app = App()

    @app.get("/download")
    def download(request: Request) -> FileResponse:
        return FileResponse(site / "digits.bin", offset=10, length=5)

    response = app.test_client().get("/download")
    assert response.content == bytes(range(10, 15))
    assert response.headers["Content-Type"] == "application/octet-stream"


# -- 304 -------------------------------------------------------------------------


def test_a_matching_etag_is_304_with_validators_and_no_body(app: App) -> None:
    client = app.test_client()
    etag = client.get("/static/css/site.css").headers["ETag"]
    response = client.get("/static/css/site.css", headers={"If-None-Match": f'"x", W/{etag}'})
    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["ETag"] == etag
    assert "Content-Type" not in response.headers
    assert client.head("/static/css/site.css", headers={"If-None-Match": etag}).status_code == 304


def test_if_modified_since_is_304_unless_the_file_is_newer(app: App) -> None:
    client = app.test_client()
    last_modified = client.get("/static/css/site.css").headers["Last-Modified"]
    same = client.get("/static/css/site.css", headers={"If-Modified-Since": last_modified})
    assert same.status_code == 304
    old = "Sun, 06 Nov 1994 08:49:37 GMT"
    assert client.get("/static/css/site.css", headers={"If-Modified-Since": old}).content == CSS


def test_if_none_match_wins_over_if_modified_since(app: App) -> None:
    client = app.test_client()
    last_modified = client.get("/static/css/site.css").headers["Last-Modified"]
    fields = {"If-None-Match": '"stale"', "If-Modified-Since": last_modified}
    assert client.get("/static/css/site.css", headers=fields).status_code == 200


# -- ranges ----------------------------------------------------------------------


def test_a_single_range_is_206_with_content_range(app: App) -> None:
    client = app.test_client()
    response = client.get("/static/digits.bin", headers={"Range": "bytes=10-19"})
    assert response.status_code == 206
    assert response.content == bytes(range(10, 20))
    assert response.headers["Content-Range"] == "bytes 10-19/1024"
    assert response.headers["Content-Length"] == "10"
    suffix = client.get("/static/digits.bin", headers={"Range": "bytes=-4"})
    assert (suffix.content, suffix.headers["Content-Range"]) == (
        bytes(range(252, 256)),
        "bytes 1020-1023/1024",
    )
    tail = client.get("/static/digits.bin", headers={"Range": "bytes=1000-"})
    assert tail.content == (bytes(range(256)) * 4)[1000:]


def test_a_range_past_the_end_is_416_with_the_size(app: App) -> None:
    response = app.test_client().get("/static/digits.bin", headers={"Range": "bytes=5000-"})
    assert response.status_code == 416
    assert response.headers["Content-Range"] == "bytes */1024"


def test_several_ranges_are_answered_with_the_whole_file(app: App) -> None:
    response = app.test_client().get("/static/digits.bin", headers={"Range": "bytes=0-1,5-6"})
    assert response.status_code == 200
    assert len(response.content) == 1024


def test_head_ignores_range(app: App) -> None:
    response = app.test_client().head("/static/digits.bin", headers={"Range": "bytes=0-9"})
    assert response.status_code == 200
    assert response.headers["Content-Length"] == "1024"


def test_if_range_serves_the_range_only_for_the_same_version(app: App) -> None:
    client = app.test_client()
    first = client.get("/static/digits.bin")
    for validator in (first.headers["ETag"], first.headers["Last-Modified"]):
        same = client.get(
            "/static/digits.bin", headers={"Range": "bytes=0-9", "If-Range": validator}
        )
        assert same.status_code == 206
    for stale in ('"stale"', "W/" + first.headers["ETag"], "Sun, 06 Nov 1994 08:49:37 GMT"):
        changed = client.get(
            "/static/digits.bin", headers={"Range": "bytes=0-9", "If-Range": stale}
        )
        assert (changed.status_code, len(changed.content)) == (200, 1024)


def test_an_empty_file_is_served_and_has_no_ranges(app: App, site: Path) -> None:
    (site / "empty.txt").write_bytes(b"")
    client = app.test_client()
    assert client.get("/static/empty.txt").content == b""
    assert client.get("/static/empty.txt").headers["Content-Length"] == "0"
    assert client.get("/static/empty.txt", headers={"Range": "bytes=0-"}).status_code == 416


# -- directories and index.html --------------------------------------------------


def test_a_directory_with_an_index_serves_it_at_its_slash_url(app: App) -> None:
    client = app.test_client()
    assert client.get("/static/").text == "<h1>home</h1>\n"
    assert client.get("/static/docs/").text == "<p>docs</p>\n"
    assert client.get("/static/docs/").headers["Content-Type"] == "text/html; charset=utf-8"


def test_a_directory_without_its_slash_is_redirected_to_it(app: App) -> None:
    response = app.test_client().get("/static/docs", query={"v": "1"})
    assert response.status_code == 308
    assert response.headers["Location"] == "./docs/?v=1"


def test_a_directory_without_an_index_is_404_never_a_listing(app: App) -> None:
    client = app.test_client()
    assert client.get("/static/empty/").status_code == 404
    assert client.get("/static/empty").status_code == 404  # no redirect: nothing to show
    assert client.get("/static/css/").status_code == 404


def test_without_an_index_no_directory_is_served(site: Path) -> None:
    app = App()
    app.static("/static", site, index=None)
    client = app.test_client()
    assert client.get("/static/docs/").status_code == 404
    assert client.get("/static/docs").status_code == 404
    assert client.get("/static/").status_code == 404


def test_a_file_with_a_trailing_slash_is_404(app: App) -> None:
    assert app.test_client().get("/static/css/site.css/").status_code == 404


# -- traversal -------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/static/../secret.txt",
        "/static/..%2fsecret.txt",
        "/static/..%2Fsecret.txt",
        "/static/%2e%2e/secret.txt",
        "/static/%2E%2E%2Fsecret.txt",
        "/static/css/..%2f..%2fsecret.txt",
        "/static/..%2f..%2f..%2f..%2f..%2f..%2fetc/passwd",
        "/static/..%5csecret.txt",
        "/static/..\\secret.txt",
        "/static/css%2fsite.css%00.png",
        "/static/%00",
        "/static//etc/passwd",
        "/static/%2fetc%2fpasswd",
        "/static/./css/site.css",
        "/static/css//site.css",
        "/static/leak.txt",  # a symlink out
        "/static/door/secret.txt",  # a symlinked directory out
    ],
)
def test_every_spelling_of_a_way_out_is_404(app: App, site: Path, path: str) -> None:
    os.symlink(site.parent / "secret.txt", site / "leak.txt")
    os.symlink(site.parent, site / "door")
    response = app.test_client().get(path)
    assert response.status_code == 404
    assert b"secret" not in response.content


def test_a_symlink_inside_the_directory_is_served(app: App, site: Path) -> None:
    os.symlink(site / "css" / "site.css", site / "latest.css")
    assert app.test_client().get("/static/latest.css").content == CSS


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_404_and_never_blocks(app: App, site: Path) -> None:
    os.mkfifo(site / "pipe")
    assert app.test_client().get("/static/pipe").status_code == 404


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads anything")
def test_an_unreadable_file_is_404_not_403(app: App, site: Path) -> None:
    locked = site / "locked.txt"
    locked.write_text("no")
    locked.chmod(0)
    try:
        assert app.test_client().get("/static/locked.txt").status_code == 404
    finally:
        locked.chmod(0o644)


def test_a_file_gone_before_its_body_is_read_is_a_500_not_a_hang(tmp_path: Path) -> None:
    """Opened when the first block is wanted: a failure there still answers, with 500."""
    app = App()

    @app.get("/gone")
    def gone(request: Request) -> FileResponse:
        return FileResponse(tmp_path / "never-there.bin", length=10)

    assert app.test_client().get("/gone").status_code == 500
