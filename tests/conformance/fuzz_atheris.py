"""Coverage-guided fuzzing of RequestParser with atheris; pytest does not collect this file.

    pip install atheris
    python tests/conformance/fuzz_atheris.py -max_total_time=60 [corpus_dir ...]

It checks the same contract as ``test_fuzz_parser.py`` (see ``parser_invariants``): only
ProtocolError escapes, with a documented status, sticky once raised, and the same events
however the stream is cut. The first input bytes choose the limits and the cuts, the
rest is the stream. Without a corpus directory it starts from a few valid requests.

A failure leaves ``crash-<sha1>`` in the current directory; replay it with
``python tests/conformance/fuzz_atheris.py crash-<sha1>`` and turn it into a
``test_fuzz_regression_<n>`` in ``test_fuzz_parser.py``.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["twisted_wsgi_lab"]):
    from parser_invariants import SMALL_LIMITS, check_stream

    import twisted_wsgi_lab.http11.parser  # noqa: F401  (instrumented for coverage)

_SEEDS = [
    b"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
    b"POST /u?q=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\nhello",
    b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
    b'3;a="b" ;c\r\nabc\r\n0\r\nT: v\r\n\r\nGET / HTTP/1.0\r\n\r\n',
    b"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\nCONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n",
    b"\r\nGET http://h/p HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
]


def test_one_input(data: bytes) -> None:
    provider = atheris.FuzzedDataProvider(data)
    limits = SMALL_LIMITS if provider.ConsumeBool() else None
    cuts = [provider.ConsumeIntInRange(0, 512) for _ in range(provider.ConsumeIntInRange(0, 4))]
    check_stream(provider.ConsumeBytes(provider.remaining_bytes()), cuts, limits)


def _with_seed_corpus(argv: list[str]) -> list[str]:
    """Add a corpus directory of seeds unless the command line names one (or a file)."""
    if any(not arg.startswith("-") for arg in argv[1:]):
        return argv
    corpus = Path(tempfile.mkdtemp(prefix="labweb-fuzz-"))
    for index, seed in enumerate(_SEEDS):
        (corpus / f"seed-{index}").write_bytes(b"\x00\x00" + seed)  # default limits, uncut
    return [*argv, str(corpus)]


def main() -> None:
    atheris.Setup(_with_seed_corpus(sys.argv), test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
