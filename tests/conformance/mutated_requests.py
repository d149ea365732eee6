"""Hypothesis strategies for the conformance tests: plausible requests, then broken ones.

``requests()`` builds one request the way a client might (any of the four target forms,
odd versions, framing by Content-Length or chunked with extensions and trailers, maybe a
pipelined request behind it); ``mutated(...)`` then inserts, deletes or replaces a few
bytes, drawn mostly from the bytes parsers disagree about: SP, HTAB, CR, LF, NUL, VT,
',', ':', ';', digits and hex letters.
"""

from __future__ import annotations

from hypothesis import strategies as st

TCHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
VCHARS = "".join(chr(code) for code in range(0x21, 0x7F))

# The bytes where parsers have historically disagreed, each on its own.
INTERESTING_BYTES = tuple(
    bytes([code]) for code in b" \t\r\n\x00\x0b\x0c,:;=\"'#%/?*@[]\\0159aAfFgZ\x01\x7f\x80\xff"
)

_FORMS = {
    "origin": [b"/", b"/a/b?c=d&e=", b"/%41%2F;p", b"/~user/file.txt", b"//double"],
    "absolute": [
        b"http://example.com/x?y=1",
        b"HTTPS://example.com:8443",
        b"http://[::1]:8080/",
        b"http://u:p@example.com/",
        b"ftp://example.com/",
    ],
    "authority": [b"example.com:443", b"[2001:db8::1]:443", b"h:", b"example.com"],
    "asterisk": [b"*"],
}
_METHOD_FOR_FORM = {
    "origin": [b"GET", b"POST", b"PUT", b"HEAD", b"DELETE", b"PATCH", b"X-Custom!"],
    "absolute": [b"GET", b"POST", b"OPTIONS"],
    "authority": [b"CONNECT"],
    "asterisk": [b"OPTIONS"],
}
_ANY_METHOD = st.sampled_from(sorted({m for ms in _METHOD_FOR_FORM.values() for m in ms}))
_VERSIONS = [b"1.1"] * 12 + [b"1.0"] * 4 + [b"1.2", b"1.9", b"2.0", b"0.9"]
_HOSTS = [b"example.com", b"example.com:8080", b"[::1]:80", b"127.0.0.1", b"", b"a.b-c_d~e"]
_TRANSFER_ENCODINGS = [b"chunked"] * 4 + [b"Chunked", b"chunked, ", b"gzip, chunked"]
_CHUNK_EXTENSIONS = [b"", b"", b";a", b";a=b", b'; n="q;v\\"x"', b";a ;b=c", b"; a = b", b" ;a"]


def _ascii(alphabet: str, *, min_size: int = 0, max_size: int = 8) -> st.SearchStrategy[bytes]:
    text = st.text(alphabet, min_size=min_size, max_size=max_size)
    return text.map(lambda value: value.encode("ascii"))


_TOKEN = _ascii(TCHARS, min_size=1)
_VALUE = _ascii(VCHARS + " \t").map(lambda value: value.strip(b" \t"))
_EXTRA_FIELD = st.tuples(_TOKEN.map(b"X-".__add__), _VALUE)
_OTHER_FIELD = st.sampled_from(
    [
        (b"Connection", b"close"),
        (b"Connection", b"keep-alive"),
        (b"Connection", b"Upgrade"),
        (b"Upgrade", b"websocket"),
        (b"Expect", b"100-continue"),
        (b"Expect", b"100-Continue"),
        (b"Expect", b"fancy"),
        (b"Accept", b"*/*"),
    ]
)


@st.composite
def _request_line(draw: st.DrawFn) -> tuple[bytes, bytes, bytes]:
    form = draw(st.sampled_from(["origin"] * 5 + sorted(_FORMS)))
    target = draw(st.sampled_from(_FORMS[form]))
    fits = draw(st.integers(0, 9)) > 0  # now and then a form the method does not take
    method = draw(st.sampled_from(_METHOD_FOR_FORM[form]) if fits else _ANY_METHOD)
    return method, target, draw(st.sampled_from(_VERSIONS))


@st.composite
def chunked_body(draw: st.DrawFn, body: bytes) -> bytes:
    """Encode ``body`` as chunks of drawn sizes, with extensions and trailers."""
    cuts = sorted(draw(st.lists(st.integers(0, len(body)), max_size=3)))
    pieces = [body[a:b] for a, b in zip([0, *cuts], [*cuts, len(body)], strict=True)]
    wire = b""
    for piece in filter(None, pieces):
        size = draw(st.sampled_from([b"%x", b"%X", b"0%x"])) % len(piece)
        wire += size + draw(st.sampled_from(_CHUNK_EXTENSIONS)) + b"\r\n" + piece + b"\r\n"
    wire += draw(st.sampled_from([b"0", b"000"])) + draw(st.sampled_from(_CHUNK_EXTENSIONS))
    trailers = draw(st.lists(_EXTRA_FIELD, max_size=2))
    return wire + b"\r\n" + b"".join(name + b": " + value + b"\r\n" for name, value in trailers)


@st.composite
def _framing(draw: st.DrawFn) -> tuple[list[tuple[bytes, bytes]], bytes]:
    """Framing fields and the body bytes they announce."""
    body = draw(st.binary(max_size=16))
    framing = draw(st.sampled_from(["none"] + ["length", "chunked"] * 3 + ["both"]))
    fields: list[tuple[bytes, bytes]] = []
    if framing in ("length", "both"):
        length = len(body) + draw(st.sampled_from([0, 0, 0, 1, -1]))
        digits = b"%d" % max(length, 0)
        digits = draw(st.sampled_from([digits, digits, b"00" + digits, digits + b", " + digits]))
        fields.append((b"Content-Length", digits))
    if framing in ("chunked", "both"):
        fields.append((b"Transfer-Encoding", draw(st.sampled_from(_TRANSFER_ENCODINGS))))
        return fields, draw(chunked_body(body)) + b"\r\n"
    return fields, body if framing != "none" else b""


@st.composite
def requests(draw: st.DrawFn) -> bytes:
    """One request as a client would send it, perhaps followed by a pipelined one."""
    method, target, version = draw(_request_line())
    hosts = draw(st.sampled_from([1] * 8 + [0, 2]))
    fields = [(b"Host", draw(st.sampled_from(_HOSTS))) for _ in range(hosts)]
    framing, body = draw(_framing())
    fields += framing
    fields += draw(st.lists(st.one_of(_OTHER_FIELD, _EXTRA_FIELD), max_size=3))
    fields = draw(st.permutations(fields))
    lines = [method + b" " + target + b" HTTP/" + version]
    ows = st.sampled_from([b"", b" ", b" ", b"\t"])
    lines += [name + b":" + draw(ows) + value + draw(ows) for name, value in fields]
    head = b"\r\n".join(lines) + b"\r\n\r\n"
    leading = draw(st.sampled_from([b"", b"", b"", b"\r\n"]))
    tail = draw(st.sampled_from([b"", b"", b"GET /next HTTP/1.1\r\nHost: a\r\n\r\n"]))
    return leading + head + body + tail


@st.composite
def mutated(draw: st.DrawFn, base: st.SearchStrategy[bytes], max_edits: int = 3) -> bytes:
    """``base`` with up to ``max_edits`` bytes inserted, deleted or replaced; maybe cut short."""
    data = bytearray(draw(base))
    for _ in range(draw(st.integers(0, max_edits))):
        kind = draw(st.sampled_from(["insert", "delete", "replace"]))
        at = draw(st.integers(0, len(data)))
        byte = draw(st.sampled_from(INTERESTING_BYTES))
        if kind == "insert":
            data[at:at] = byte
        elif kind == "delete":
            del data[at : at + 1]
        else:
            data[at : at + 1] = byte
    if draw(st.integers(0, 7)) == 0:  # now and then the connection stops mid-request
        del data[draw(st.integers(0, len(data))) :]
    return bytes(data)
