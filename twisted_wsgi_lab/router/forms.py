"""``await request.form()``: a form body, parsed as it arrives, and released at the end.

The body goes to a ``FormReader``, the exchange's body receiver, which hands each chunk
to the form parser (``form_parsers``) at once: nothing waits in a buffer, and the
socket is read no faster than the chunks are parsed and written to disk, which is the
backpressure. The first refusal (a limit, a malformed body) settles the form as that
``HTTPError`` and the rest of the body is dropped.

What a form holds, its temporary files above all, is closed when the exchange ends:
after the response is complete, or when the client goes away first.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from twisted.internet.defer import Deferred, fail, succeed
from twisted.python.failure import Failure

from .errors import HTTPError
from .form_parsers import FormParser, choose_parser
from .headers import MultiDict
from .uploads import Files, UploadFile

if TYPE_CHECKING:
    from ..engine import Exchange
    from ..http11 import Headers as WireHeaders


class Form(MultiDict):
    """The fields of a form (``get``, ``getlist``, ``form[name]``), and its ``files``.

    Fields are text; a field sent as a file is in ``files`` only, so ``form.get(name)``
    never hands a file's bytes to code expecting a short string.
    """

    __slots__ = ("files",)

    def __init__(
        self, fields: Iterable[tuple[str, str]] = (), files: Iterable[UploadFile] = ()
    ) -> None:
        super().__init__(list(fields))
        self.files = Files(files)

    def close(self) -> None:
        """Close every upload (done for you when the request is over)."""
        for upload in self.files.all():
            upload.close()

    def __repr__(self) -> str:
        return f"Form({self.multi_items()!r}, files={self.files!r})"


class FormReader:
    """Receives the body, feeds the parser chunk by chunk; ``wait()`` gives the form."""

    def __init__(self, parser: FormParser | None, refusal: Failure | None = None) -> None:
        self._parser = parser
        self._outcome: Form | Failure | None = refusal
        self._waiters: list[Deferred[Form]] = []

    @classmethod
    def start(cls, exchange: Exchange, content_type: str | None) -> FormReader:
        """Read the body of ``exchange`` as a form, or refuse it without reading (415).

        The reader is closed when the response is complete or the client goes away.
        """
        try:
            parser = choose_parser(content_type, exchange.limits, has_body=exchange.head.has_body)
        except HTTPError:
            return cls(None, Failure())
        reader = cls(parser)
        exchange.on_finish(reader.close)
        exchange.on_disconnect(reader.close)
        exchange.receive_body(reader)
        return reader

    def wait(self) -> Deferred[Form]:
        """The form, once the body is complete; or the error that refused it."""
        outcome = self._outcome
        if outcome is None:
            waiter: Deferred[Form] = Deferred()
            self._waiters.append(waiter)
            return waiter
        return fail(outcome) if isinstance(outcome, Failure) else succeed(outcome)

    def body_data(self, data: bytes) -> None:
        if self._outcome is not None or self._parser is None:
            return  # refused already: the rest of the body is dropped
        try:
            self._parser.feed(data)
        except Exception:  # a limit, a malformed body, or a full disk: never to the engine
            self._settle(Failure())

    def body_end(self, trailers: WireHeaders) -> None:
        if self._outcome is not None or self._parser is None:
            return
        try:
            fields, uploads = self._parser.finish()
        except Exception:
            self._settle(Failure())
            return
        self._settle(Form(fields, uploads))

    def _settle(self, outcome: Form | Failure) -> None:
        if isinstance(outcome, Failure):
            self.close()  # a refused form's partial uploads go at once
        self._outcome = outcome
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if isinstance(outcome, Failure):
                waiter.errback(outcome)
            else:
                waiter.callback(outcome)

    def close(self) -> None:
        """Free what the form holds: its uploads' memory and temporary files.

        Body bytes that still arrive after this (a handler answered without reading
        the whole form) are dropped, not parsed into closed files.
        """
        parser, self._parser = self._parser, None
        if parser is not None:
            parser.close()
