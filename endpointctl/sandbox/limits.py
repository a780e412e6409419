"""What the sandbox accepts from the network: how big a body, how deep its JSON, how long to send it.

The sandbox may be reached by anything on its address, so a request is bounded before it is parsed:
a body over ``MAX_BODY_BYTES`` is answered 413 without being read into memory, and JSON nested deeper
than ``MAX_JSON_DEPTH`` is answered 400 before ``json.loads`` (which would recurse until a
``RecursionError`` and turn a bad request into a 500 with a traceback). The real API's bodies are a
few kilobytes and five levels deep, so both limits leave room for any honest client. A client that
goes silent, or trickles its request, is disconnected after ``REQUEST_TIMEOUT_SECONDS``: each one
holds a thread and a file descriptor, and enough of them stop the server answering anyone.
"""

from __future__ import annotations

import json
from typing import Any

MAX_BODY_BYTES = 1024 * 1024  # 1 MiB
MAX_JSON_DEPTH = 64
# How many connections the kernel queues before the server accepts them. The standard library's
# default of 5 makes a burst of clients (a parallel apply, a load test) time out or, on some systems,
# be reset; the kernel caps the number at net.core.somaxconn anyway.
LISTEN_BACKLOG = 256
# A line of a chunked body (its size) is a few hex digits; anything longer is not HTTP.
MAX_CHUNK_LINE_BYTES = 1024
# A chunked body's trailer is a header block, so it gets http.server's limit for headers (100 lines).
MAX_TRAILER_LINES = 100
# How long a connection may stay silent before a request, and how long a request may take to arrive
# once it has begun (head and body together, so trickling a byte at a time does not reset the clock).
REQUEST_TIMEOUT_SECONDS = 30.0

_QUOTE, _BACKSLASH = ord('"'), ord("\\")
_OPENERS, _CLOSERS = frozenset(b"[{"), frozenset(b"]}")


class JSONTooDeep(ValueError):
    """Raised instead of parsing; a ValueError so callers' "invalid JSON" handling answers 400."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"nested deeper than {limit} levels")


def exceeds_depth(document: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether any array or object in ``document`` sits more than ``limit`` levels deep.

    One pass, each byte looked at once: the body is hostile input, and a scan that restarts at every
    quote (as a regex over strings does) is quadratic, which a 48 KB body turned into seconds of a
    GIL-holding server. Brackets inside strings do not count. Malformed JSON may be misjudged, which is
    harmless as long as the parser sees the same characters (``loads`` makes sure it does): up to the
    point where it refuses the document, it has nested exactly as deep as counted here.
    """
    depth = 0
    in_string = escaped = False
    for byte in document:
        if in_string:
            if escaped:
                escaped = False
            elif byte == _BACKSLASH:
                escaped = True
            elif byte == _QUOTE:
                in_string = False
        elif byte == _QUOTE:
            in_string = True
        elif byte in _OPENERS:
            depth += 1
            if depth > limit:
                return True
        elif byte in _CLOSERS:
            depth -= 1
    return False


def loads(document: bytes) -> Any:
    """``json.loads`` that refuses nesting past ``MAX_JSON_DEPTH`` (JSONTooDeep) before parsing.

    Only UTF-8 (a BOM allowed, as json.loads allows it): json.loads would also take UTF-16 and UTF-32,
    whose multi-byte characters can hold a quote's byte and so hide brackets from the byte-wise depth
    check. In UTF-8 every byte below 0x80 is the ASCII character, so the check and the parser agree.
    """
    text = document.decode("utf-8-sig")  # a UnicodeDecodeError is a ValueError: callers answer 400
    if exceeds_depth(document):
        raise JSONTooDeep(MAX_JSON_DEPTH)
    return json.loads(text)
