"""The step 6 App tested in memory, as docs/tutorial/step6.md shows: no socket."""

from __future__ import annotations

from examples.tutorial.step6_router import ROOMS, app


def test_a_room_is_json_and_joining_it_is_201() -> None:
    client = app.test_client()
    assert client.get("/rooms/1").json() == {"room": 1, "members": ["ada", "grace"]}
    joined = client.post("/rooms/3", data=b"alan")
    assert (joined.status_code, joined.json()) == (201, {"room": 3, "joined": "alan"})
    assert ROOMS.pop(3) == ["alan"]


def test_a_missing_room_is_404_and_a_wrong_method_405() -> None:
    client = app.test_client()
    assert client.get("/rooms/9").status_code == 404
    refused = client.post("/")
    assert refused.status_code == 405
    assert refused.headers["allow"] == "GET, HEAD, OPTIONS"
