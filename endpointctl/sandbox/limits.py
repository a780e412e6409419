"""What the sandbox accepts from the network: how big a body, how deep its JSON, how many waiting.

The sandbox may be reached by anything on its address, so a request is bounded before it is parsed:
a body over ``MAX_BODY_BYTES`` is answered 413 without being read into memory, and JSON nested deeper
than ``MAX_JSON_DEPTH`` is answered 400 before ``json.loads`` (which would recurse until a
``RecursionError`` and turn a bad request into a 500 with a traceback). The real API's bodies are a
few kilobytes and five levels deep, so both limits leave room for any honest client.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_BODY_BYTES = 1024 * 1024  # 1 MiB
MAX_JSON_DEPTH = 64
# How many connections the kernel queues before the server accepts them. The standard library's
# default of 5 makes a burst of clients (a parallel apply, a load test) time out or, on some systems,
# be reset; the kernel caps the number at net.core.somaxconn anyway.
LISTEN_BACKLOG = 256
# A line of a chunked body (its size) is a few hex digits; anything longer is not HTTP.
MAX_CHUNK_LINE_BYTES = 1024

# A JSON string, escapes included (the unrolled form, so a long string costs one linear pass).
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(rb"[^\[\]{}]+")


class JSONTooDeep(ValueError):
    """Raised instead of parsing; a ValueError so callers' "invalid JSON" handling answers 400."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"nested deeper than {limit} levels")


def exceeds_depth(document: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether any array or object in ``document`` sits more than ``limit`` levels deep.

    Brackets inside strings do not count. Malformed JSON may be misjudged, which is harmless: the
    parser refuses it either way.
    """
    depth = 0
    for byte in _NOT_BRACKET.sub(b"", _STRING.sub(b"", document)):
        if byte in b"[{":
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def loads(document: bytes) -> Any:
    """``json.loads`` that refuses nesting past ``MAX_JSON_DEPTH`` (JSONTooDeep) before parsing."""
    if exceeds_depth(document):
        raise JSONTooDeep(MAX_JSON_DEPTH)
    return json.loads(document)
