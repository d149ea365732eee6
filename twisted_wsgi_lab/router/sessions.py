"""Cookie sessions: ``request.session``, a dict kept in a signed cookie.

The cookie holds JSON signed with itsdangerous (never pickle: a leaked key must not
mean code execution) and a timestamp, so an old cookie expires even if a browser keeps
it. A tampered, expired or unreadable cookie gives an empty session, never an error
page. Keys rotate: the first key of the list signs, every key verifies.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from itsdangerous import BadSignature, URLSafeTimedSerializer

from .cookies import format_delete_cookie, format_set_cookie

if TYPE_CHECKING:
    from .request import Request
    from .response import Response

SALT = "labweb.session"


class SessionError(RuntimeError):
    """The App was not set up for sessions."""


class Session(dict[str, Any]):
    """A dict that knows whether it was changed, so only a change sets a cookie.

    Changes inside a value (``session["cart"].append(x)``) are not seen: set
    ``session.modified = True`` after them.
    """

    def __init__(self, data: dict[str, Any] | None = None) -> None:
        super().__init__(data or {})
        self.modified = False

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        self.modified = True

    def __delitem__(self, key: str) -> None:
        super().__delitem__(key)
        self.modified = True

    def clear(self) -> None:
        super().clear()
        self.modified = True

    def pop(self, key: str, *default: Any) -> Any:
        self.modified = self.modified or key in self
        return super().pop(key, *default)

    def popitem(self) -> tuple[str, Any]:
        self.modified = True
        return super().popitem()

    def setdefault(self, key: str, default: Any = None) -> Any:
        if key not in self:
            self.modified = True
        return super().setdefault(key, default)

    def update(self, *args: Any, **kwargs: Any) -> None:
        super().update(*args, **kwargs)
        self.modified = True


class SessionStore:
    """Loads a request's session from its cookie and saves a changed one."""

    def __init__(
        self,
        secret_key: str | bytes | Iterable[str | bytes],
        *,
        cookie_name: str = "session",
        max_age_seconds: int = 14 * 24 * 3600,
    ) -> None:
        given = [secret_key] if isinstance(secret_key, str | bytes) else list(secret_key)
        keys = [key.encode("utf-8") if isinstance(key, str) else key for key in given]
        if not keys or not all(keys):
            raise SessionError("secret_key: give a non-empty key (or a list of them)")
        # itsdangerous signs with the last key and verifies with all: the first given
        # is the current one, so it goes last.
        self._serializer = URLSafeTimedSerializer(list(reversed(keys)), salt=SALT, serializer=json)
        self.cookie_name = cookie_name
        self.max_age_seconds = max_age_seconds

    def load(self, request: Request) -> Session:
        """The session in the request's cookie, or an empty one."""
        value = request.cookies.get(self.cookie_name)
        if not value:
            return Session()
        try:
            data = self._serializer.loads(value, max_age=self.max_age_seconds)
        except (BadSignature, ValueError):  # tampered, expired or not ours: start afresh
            return Session()
        return Session(data if isinstance(data, dict) else None)

    def save(self, request: Request, session: Session, response: Response) -> None:
        """Set (or delete) the cookie if the session changed; say it varies by cookie."""
        response.headers.add("Vary", "Cookie")
        if not session.modified:
            return
        if not session:
            response.headers.add("Set-Cookie", format_delete_cookie(self.cookie_name))
            return
        value = self._serializer.dumps(dict(session))
        response.headers.add(
            "Set-Cookie",
            format_set_cookie(
                self.cookie_name,
                str(value),
                max_age=self.max_age_seconds,
                httponly=True,
                samesite="Lax",
                secure=request.scheme == "https",
            ),
        )
