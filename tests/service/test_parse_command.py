"""``labweb parse``: the parser's events over a captured stream, with offsets and exit codes."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from twisted_wsgi_lab.service.cli import main
from twisted_wsgi_lab.service.parse_command import describe

ROOT = Path(__file__).resolve().parents[2]

POST = b"POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\nhello"
GET_CLOSE = b"GET /next?x=1 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
CHUNKED = (
    b"POST /up HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Sum: 1\r\n\r\n"
)


def parse_file(tmp_path: Path, data: bytes, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    capture = tmp_path / "capture.http"
    capture.write_bytes(data)
    status = main(["parse", str(capture)])
    return status, capsys.readouterr().out


def test_a_single_request_prints_its_head_body_and_end_with_offsets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out = parse_file(tmp_path, POST, capsys)
    assert status == 0
    assert out.splitlines() == [
        "@59 RequestHead POST /echo HTTP/1.1 (2 fields; Content-Length 5)",
        "@64 BodyData 5 bytes 'hello'",
        "@64 EndOfMessage",
    ]


def test_pipelined_requests_follow_one_another_with_growing_offsets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out = parse_file(tmp_path, POST + GET_CLOSE, capsys)
    assert status == 0
    assert out.splitlines()[3:] == [
        f"@{len(POST + GET_CLOSE)} RequestHead GET /next?x=1 HTTP/1.1 "
        "(2 fields; no body; then close)",
        f"@{len(POST + GET_CLOSE)} EndOfMessage",
    ]


def test_a_chunked_body_shows_each_chunk_and_the_trailers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out = parse_file(tmp_path, CHUNKED, capsys)
    assert status == 0
    assert out.splitlines() == [
        "@66 RequestHead POST /up HTTP/1.1 (2 fields; chunked)",
        "@74 BodyData 5 bytes 'hello'",
        "@91 BodyData 6 bytes ' world'",
        f"@{len(CHUNKED)} EndOfMessage (1 trailer field)",
    ]


def test_a_long_body_is_shown_escaped_and_cut_at_60_bytes() -> None:
    body = b"\x00\xff" + b"a" * 100
    head = b"PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: %d\r\n\r\n" % len(body)
    line = describe(head + body).lines[1]
    assert line == f"@{len(head + body)} BodyData 102 bytes '\\x00\\xff{'a' * 58}'..."


def test_an_error_gives_its_status_message_and_the_offset_where_the_parser_stopped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"
    bad = b"GET / HTTP/1.1\r\nHost : a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"
    status, out = parse_file(tmp_path, good + bad, capsys)
    assert status == 1
    assert out.splitlines() == [
        "@27 RequestHead GET / HTTP/1.1 (1 field; no body)",
        "@27 EndOfMessage",
        "@55 error 400: whitespace between header field name and colon",
    ]


def test_a_bare_lf_is_refused_at_the_byte_that_breaks_the_rule() -> None:
    report = describe(b"GET / HTTP/1.1\nHost: a\r\n\r\n")
    assert report.status == 1
    assert report.lines == ["@15 error 400: bare LF in request head: lines must end with CRLF"]


def test_an_error_status_other_than_400_is_printed_as_the_parser_gave_it() -> None:
    report = describe(b"GET / HTTP/2.0\r\nHost: a\r\n\r\n")
    assert report.lines == ["@27 error 505: HTTP version not supported"]


@pytest.mark.parametrize(
    ("data", "where"),
    [
        (b"GET / HTTP/1.1\r\nHo", "head"),
        (b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nhel", "body"),
        (CHUNKED[:-4], "body"),
    ],
)
def test_a_stream_cut_inside_a_request_says_where_and_exits_3(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], data: bytes, where: str
) -> None:
    status, out = parse_file(tmp_path, data, capsys)
    assert status == 3
    last = out.splitlines()[-1]
    assert last == f"@{len(data)} incomplete: waiting for more bytes (inside the {where})"


def test_empty_lines_between_requests_are_not_an_incomplete_request() -> None:
    assert describe(POST + b"\r\n").status == 0
    assert describe(b"").lines == []


def test_a_dash_reads_the_stream_from_stdin(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(POST)))
    assert main(["parse", "-"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "@64 EndOfMessage"


def test_a_missing_file_is_one_line_naming_it_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope.http"
    assert main(["parse", str(missing)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    complaint = f"labweb parse: error: cannot read {missing}: No such file or directory\n"
    assert captured.err == complaint


def test_parse_without_a_file_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["parse"]) == 2
    assert "FILE" in capsys.readouterr().err


def test_parse_help_explains_the_output_and_the_exit_codes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["parse", "--help"]) == 0
    out = capsys.readouterr().out
    assert "usage: labweb parse" in out
    assert "exit status: 0" in out


def test_the_parse_command_loads_no_reactor() -> None:
    code = (
        "import sys; from twisted_wsgi_lab.service import parse_command; "
        "print('twisted.internet.reactor' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert result.stdout.strip() == "False"


@pytest.mark.subprocess
def test_python_m_runs_the_parse_command(tmp_path: Path) -> None:
    capture = tmp_path / "capture.http"
    capture.write_bytes(POST)
    result = subprocess.run(
        [sys.executable, "-m", "twisted_wsgi_lab", "parse", str(capture)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].startswith("@59 RequestHead POST /echo")
