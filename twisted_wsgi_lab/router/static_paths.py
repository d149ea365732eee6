"""Turning a URL's file name into a real path that is certainly inside the served directory.

The router decodes each path segment on its own, so the name a static handler gets may
hold what the URL spelled as ``%2e%2e``, ``%2f``, ``%5c`` or ``%00``: the name is checked
as a value, whatever its spelling on the wire. Two checks, either one enough for the
usual attacks, both kept because each covers what the other cannot:

- the name itself: segments split on ``/`` must be non-empty and neither ``.`` nor
  ``..``; a backslash (a separator on Windows) or a NUL byte refuses the whole name;
- the result: the real path (symlinks resolved) must lie inside the real directory,
  so a symlink that leads out is refused and one that stays inside is followed.

Every refusal is the same ``None``, which the handler answers with 404: the client
learns nothing about what exists outside, or why a name was refused.

A race remains that no path check closes: someone who may write inside the directory
can swap a checked component for a symlink before the file is opened. The directory
is trusted not to change under an attacker's hand.
"""

from __future__ import annotations

import os

_FORBIDDEN_SEGMENTS = frozenset({"", ".", ".."})


def real_directory(directory: str | os.PathLike[str]) -> str:
    """The real path of ``directory``, checked to be a directory now.

    Raises:
        NotADirectoryError: ``directory`` does not exist or is not a directory.
    """
    root = os.path.realpath(directory)
    if not os.path.isdir(root):
        raise NotADirectoryError(f"static directory {os.fspath(directory)!r} is not a directory")
    return root


def name_segments(name: str) -> list[str] | None:
    """The segments of a relative file name, or None if any spelling could escape.

    An empty name, a leading ``/`` (an absolute path), a doubled ``/``, a ``.`` or ``..``
    segment, a backslash and a NUL byte are all refused.
    """
    if not name or "\x00" in name or "\\" in name:
        return None
    segments = name.split("/")
    if any(segment in _FORBIDDEN_SEGMENTS for segment in segments):
        return None
    return segments


def resolve_inside(root: str, name: str) -> str | None:
    """The real path that ``name`` names under ``root``, or None if it is not inside.

    ``root`` must already be a real path (``real_directory``). The result may not
    exist: the caller's ``stat`` says so.
    """
    segments = name_segments(name)
    if segments is None:
        return None
    candidate = os.path.realpath(os.path.join(root, *segments))
    try:
        inside = os.path.commonpath([root, candidate]) == root
    except ValueError:  # another drive, on Windows
        return None
    return candidate if inside else None
