"""PURE: bytes as they arrive, read whole or split into text lines, within limits a broken server cannot
get past.

``read_within`` reads a body whole, up to a limit past which it stops and raises ``TooMuch``; ``head`` reads
only its start. Every answer endpointctl reads whole goes through them: the API's (``hub.deadline``, the
logs' JSON and the replica list) and a deployed endpoint's (``dataplane.client``).

A logs route answers text of any length; a broken or hostile one may send a line without end, or a body
without end. Lines are cut at ``line_bytes`` (the cut marked), a line that goes on past ``line_discard``
more bytes is an error (nothing is shown of it but its start, and nothing is held of the rest), and a body
past ``total_bytes`` is an error too (``None`` for a stream meant to go on: ``--follow``). Bytes are read
as UTF-8, anything else shown as U+FFFD: nothing a server sends can make reading fail.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from endpointctl.core.defaults import API_ANSWER_BYTES
from endpointctl.core.logs import CUT_MARK


class TooMuch(ValueError):
    """What a server sent is past a limit; the message says which, for an error that names the call."""


@dataclass(frozen=True)
class Limits:
    line_bytes: int = 8 * 1024  # of one line, kept (the rest cut)
    line_discard: int = 1024 * 1024  # of one line, read past what is kept before giving up on it
    total_bytes: int | None = API_ANSWER_BYTES  # of the whole body; None: no end is expected


def head(chunks: Iterable[bytes], limit: int) -> bytes:
    """At most ``limit`` bytes of ``chunks``; the rest is never read."""
    body = bytearray()
    for chunk in chunks:
        body += chunk[: limit - len(body)]
        if len(body) >= limit:
            break
    return bytes(body)


def read_within(chunks: Iterable[bytes], limit: int) -> bytes:
    """All of ``chunks``, read as they arrive; more than ``limit`` bytes raises ``TooMuch`` once the limit
    is passed, so no more than ``limit`` (and the chunk that passed it) is ever held."""
    body = head(chunks, limit + 1)
    if len(body) > limit:
        raise TooMuch(f"more than {_size(limit)} in one answer; stopped reading there")
    return body


@dataclass
class _Line:
    kept: bytearray
    dropped: int = 0
    cut: bool = False


def split(chunks: Iterable[bytes], limits: Limits) -> Iterator[str]:
    """The lines of ``chunks`` (``\\n`` or ``\\r\\n`` ends one; a last line without one is a line too)."""
    total = 0
    line = _Line(bytearray())
    for chunk in chunks:
        total += len(chunk)
        if limits.total_bytes is not None and total > limits.total_bytes:
            raise TooMuch(f"more than {_size(limits.total_bytes)} without ending; stopped reading there")
        *ended, rest = chunk.split(b"\n")
        for piece in ended:
            if not line.kept and len(piece) <= limits.line_bytes:  # a whole line in this chunk: at once
                yield (piece[:-1] if piece.endswith(b"\r") else piece).decode("utf-8", errors="replace")
                continue
            _take(line, piece, limits)
            yield _text(line)
            line = _Line(bytearray())
        _take(line, rest, limits)
    if line.kept or line.cut:
        yield _text(line)


def _take(line: _Line, piece: bytes, limits: Limits) -> None:
    if not piece:
        return
    room = limits.line_bytes - len(line.kept)
    if room > 0:
        line.kept += piece[:room]
    if len(piece) > max(room, 0):
        line.cut = True
        line.dropped += len(piece) - max(room, 0)
        if line.dropped > limits.line_discard:
            raise TooMuch(
                f"a line longer than {_size(limits.line_bytes + limits.line_discard)}; stopped reading there"
            )


def _text(line: _Line) -> str:
    kept = bytes(line.kept)
    if not line.cut and kept.endswith(b"\r"):
        kept = kept[:-1]
    text = kept.decode("utf-8", errors="replace")
    return text + CUT_MARK if line.cut else text


def _size(count: int) -> str:
    if count >= 1024 * 1024 and count % (1024 * 1024) == 0:
        return f"{count // (1024 * 1024)} MiB"
    if count >= 1024 and count % 1024 == 0:
        return f"{count // 1024} KiB"
    return f"{count} bytes"
