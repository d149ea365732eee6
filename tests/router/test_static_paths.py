"""Static file names: every spelling that could climb out of the directory is refused."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from twisted_wsgi_lab.router.static_paths import name_segments, real_directory, resolve_inside


@pytest.fixture
def root(tmp_path: Path) -> str:
    """A served directory ``site`` next to a ``secret.txt`` that must stay out of reach."""
    site = tmp_path / "site"
    (site / "css").mkdir(parents=True)
    (site / "css" / "site.css").write_text("body {}\n")
    (tmp_path / "secret.txt").write_text("secret\n")
    (tmp_path / "outside").mkdir()
    return real_directory(site)


@pytest.mark.parametrize(
    "name",
    [
        "..",
        "../secret.txt",
        "css/../../secret.txt",
        "css/..",  # inside after all, but a '..' segment is refused whatever it leads to
        "./css/site.css",
        "css//site.css",
        "/etc/passwd",
        "css/",
        "..\\secret.txt",
        "css\\site.css",
        "css/site.css\x00.png",
        "\x00",
        "",
    ],
)
def test_a_name_that_could_escape_is_refused_before_any_lookup(root: str, name: str) -> None:
    assert name_segments(name) is None
    assert resolve_inside(root, name) is None


def test_names_as_the_router_decodes_them_are_checked_as_values(root: str) -> None:
    """``%2e%2e``, ``%2f``, ``%5c`` and ``%00`` arrive here already decoded."""
    for decoded in ("../secret.txt", "..", "css/../../secret.txt", "..\\x", "a\x00"):
        assert resolve_inside(root, decoded) is None


def test_a_plain_name_resolves_to_the_real_path_inside(root: str) -> None:
    assert resolve_inside(root, "css/site.css") == os.path.join(root, "css", "site.css")
    assert resolve_inside(root, "css") == os.path.join(root, "css")


def test_a_missing_file_still_resolves_so_stat_can_say_404(root: str) -> None:
    assert resolve_inside(root, "nothing/here.txt") == os.path.join(root, "nothing", "here.txt")


def test_dotted_names_that_are_not_dot_segments_are_files(root: str) -> None:
    assert resolve_inside(root, "...") == os.path.join(root, "...")
    assert resolve_inside(root, "a..b/.hidden") == os.path.join(root, "a..b", ".hidden")


def test_a_symlink_leading_out_is_refused(root: str) -> None:
    os.symlink(os.path.join(root, "..", "secret.txt"), os.path.join(root, "leak.txt"))
    os.symlink(os.path.join(root, "..", "outside"), os.path.join(root, "door"))
    os.symlink("/", os.path.join(root, "slash"))
    assert resolve_inside(root, "leak.txt") is None
    assert resolve_inside(root, "door/anything") is None
    assert resolve_inside(root, "slash/etc/passwd") is None


def test_a_symlink_that_stays_inside_is_followed(root: str) -> None:
    os.symlink(os.path.join(root, "css", "site.css"), os.path.join(root, "latest.css"))
    os.symlink("css", os.path.join(root, "styles"))
    assert resolve_inside(root, "latest.css") == os.path.join(root, "css", "site.css")
    assert resolve_inside(root, "styles/site.css") == os.path.join(root, "css", "site.css")


def test_a_served_directory_reached_through_a_symlink_is_its_real_path(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "a.txt").write_text("a")
    os.symlink(tmp_path / "real", tmp_path / "link")
    root = real_directory(tmp_path / "link")
    assert root == os.path.realpath(tmp_path / "real")
    assert resolve_inside(root, "a.txt") == os.path.join(root, "a.txt")


def test_a_sibling_directory_sharing_the_prefix_is_outside(tmp_path: Path) -> None:
    """``/srv/site`` must not admit ``/srv/site-private``: compare paths, not strings."""
    (tmp_path / "site").mkdir()
    (tmp_path / "site-private").mkdir()
    root = real_directory(tmp_path / "site")
    os.symlink(tmp_path / "site-private", tmp_path / "site" / "p")
    assert resolve_inside(root, "p") is None


def test_the_served_directory_must_exist(tmp_path: Path) -> None:
    with pytest.raises(NotADirectoryError):
        real_directory(tmp_path / "missing")
    (tmp_path / "file").write_text("")
    with pytest.raises(NotADirectoryError):
        real_directory(tmp_path / "file")
