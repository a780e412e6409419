"""PURE: the views of a text for the redactor (``redact``): every distinct chain of up to ``MAX_DEPTH``
decoders that changes it, each with its folds read, in work and memory linear in the text's size.

A view is decoded chunk by chunk, with each decoder's pattern splitting a chunk into literal stretches
and matches in one call, and each distinct match decoded once: a hostile text repeats a handful of
escapes millions of times, and a Python call per match was most of the cost. Chunks end where the whole
text's scan would be anyway (see ``_split``), so a view is exactly what decoding the text in one piece
gives, whatever its size; no window can split an escape or pair a run of backslashes differently.

A view keeps its text and where its chunks began, not where each of its characters came from: a map
per character costs tens of bytes a character in every view, gigabytes for a text of megabytes. Where a
character came from is worked out only for the characters asked about (where a secret was found), by
splitting that one chunk again. Views are explored depth first, so only one chain (at most
``MAX_DEPTH`` views and a folded one) is held at a time; views already explored are known by a digest of
their text, not the text.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import accumulate
from operator import ne

# Decoders applied one after another: a request body (JSON) echoed in an error message (JSON), printed
# with -o yaml, is three deep.
MAX_DEPTH = 3
# Characters a chunk holds before it is split (more when it ends in whitespace: see ``_chunk_stop``).
_CHUNK = 1 << 15
# How far past where a match starts any decoder's pattern looks to choose it: an entity is at most 34
# characters ("&", a name of 32, ";"); the other patterns look at 12 or fewer, or at whitespace only.
LOOKAHEAD = 40
# Distinct matches decoded once each, forgotten past this many (a text of random entity names).
_MEMO = 1 << 16


@dataclass(frozen=True)
class _Decoder:
    trigger: str  # a text without it has nothing this decoder would change
    pattern: re.Pattern[str]  # one group, around the whole match, so that ``split`` keeps the matches
    decode: Callable[[str], str]  # a match, decoded
    # Searched when the trigger is there: a text it does not match has nothing this decoder is for.
    gate: re.Pattern[str] | None = None


# JSON, YAML double-quoted and Python repr escapes: where they share a letter, it means the same.
_SIMPLE_ESCAPES = {
    **{c: c for c in "\"\\/' \t"},
    **dict(zip("abefnrtv0NLP_", "\a\b\x1b\f\n\r\t\v\0\x85\u2028\u2029\xa0", strict=True)),
}
_BACKSLASH = re.compile(
    r"(\\(?:u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}"  # a pair: json.dumps past U+FFFF
    r"|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|x[0-9a-fA-F]{2}"
    r"|\r?\n[ \t]*"  # YAML's escaped line break: it and the next line's indentation are nothing
    r"|[\"\\/' \tabefnrtv0NLP_]))"
)


def _unbackslash(token: str) -> str:
    kind = token[1]
    if kind == "u" and len(token) == 12:
        return chr(0x10000 + ((int(token[2:6], 16) - 0xD800) << 10) + int(token[8:], 16) - 0xDC00)
    if kind in "uUx":
        number = int(token[2:], 16)
        return chr(number) if number <= 0x10FFFF else token
    return "" if kind in "\r\n" else _SIMPLE_ESCAPES[kind]


def _unentity(token: str) -> str:
    if token[1] == "#":
        # As XML reads it: html.unescape would read &#128; to &#159; as Windows-1252 ("€" for U+0080).
        number = int(token[3:-1], 16) if token[2] in "xX" else int(token[2:-1])
        return chr(number) if number <= 0x10FFFF else token
    import html  # here, as hashlib is below: it loads the 2,000 named entities

    return html.unescape(token)


# One percent-encoded UTF-8 character per match, so each decoded character maps to its own escapes.
_PERCENT = (
    r"%[0-7][0-9a-fA-F]|%[cdCD][0-9a-fA-F]%[89abAB][0-9a-fA-F]"
    r"|%[eE][0-9a-fA-F](?:%[89abAB][0-9a-fA-F]){2}|%[fF][0-7](?:%[89abAB][0-9a-fA-F]){3}"
)


def _unpercent(token: str) -> str:
    if token == "+":
        return " "
    return bytes.fromhex(token.replace("%", "")).decode("utf-8", errors="replace")


DECODERS = (
    _Decoder("\\", _BACKSLASH, _unbackslash),
    # Control characters shown as \xNN with backslashes left as they are (a table made terminal-safe):
    # read by the decoder above, a literal backslash before a space or a quote would be taken as an escape.
    _Decoder("\\x", re.compile(r"(\\x[0-9a-fA-F]{2})"), lambda token: chr(int(token[2:], 16))),
    # xml.etree and html.escape: named entities (html knows them all) and numeric references.
    _Decoder(
        "&", re.compile(r"(&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});)"), _unentity
    ),
    _Decoder("%", re.compile(f"({_PERCENT})"), _unpercent),  # urllib's quote
    _Decoder("+", re.compile(rf"({_PERCENT}|\+)"), _unpercent),  # quote_plus: a literal + is %2B there
    _Decoder("'", re.compile(r"('\"'\"'|'\\''|'')"), lambda _: "'"),  # YAML single quotes, shlex.quote
    # Base64 as MIME, PEM and base64(1) wrap it, 76 or 64 characters a line: the line breaks, with the
    # blanks around them, are nothing. (Folding reads a break as a space, which no base64 form holds.)
    # Only where a line ends in 60 such characters or more: a line break is in nearly every text, and
    # read everywhere this view would double the views of most (measured: 4x the time of a status).
    _Decoder(
        "\n",
        re.compile(r"([ \t]*\r?\n[ \t]*)"),
        lambda _: "",
        # A line break first, so the search jumps from one to the next (a character class first took
        # 30 ns a character); then what stands before it.
        gate=re.compile(r"\n(?:(?<=[A-Za-z0-9+/=_-]{60}\n)|(?<=[A-Za-z0-9+/=_-]{60}\r\n))"),
    ),
)
_FOLD = _Decoder("", re.compile(r"(\s+)"), lambda _: " ")
_FOLDED = re.compile(r"[^\S ]|  ")
_NON_SPACE = re.compile(r"\S")


class _Memo(dict[str, str]):
    """Each distinct match decoded once."""

    def __init__(self, decode: Callable[[str], str]) -> None:
        super().__init__()
        self._decode = decode

    def __missing__(self, token: str) -> str:
        if len(self) >= _MEMO:
            self.clear()
        decoded = self[token] = self._decode(token)
        return decoded


def _chunk_stop(text: str, start: int) -> int:
    """Where the chunk from ``start`` ends: after a character that is not whitespace, so that no match
    of unbounded length (whitespace, YAML's escaped line break with its indentation) is cut short."""
    stop = start + _CHUNK
    if stop >= len(text):
        return len(text)
    if text[stop - 1].isspace():
        after = _NON_SPACE.search(text, stop)
        return after.end() if after else len(text)
    return stop


def _split(text: str, start: int, stop: int, decoder: _Decoder) -> tuple[list[str], int]:
    """``text[start:stop]`` split by the decoder (literal, match, literal, …, literal), up to where the
    next chunk starts, and that length.

    A match that starts more than ``LOOKAHEAD`` characters before the chunk's end was chosen seeing all
    its pattern looks at, and so was every position found not to start one: the whole text's scan makes
    the same choices there. The rest of the chunk is left to the next, which starts where the whole
    text's scan would be looking next.
    """
    chunk = text[start:stop]
    parts = decoder.pattern.split(chunk)
    if stop == len(text):
        return parts, len(chunk)
    settled = len(chunk) - LOOKAHEAD
    # From the end back to the last match that starts where the scan has settled: a few parts at most.
    kept, end = len(parts) - 2, len(chunk) - len(parts[-1])  # the last match, and where it ends
    while kept > 0 and end - len(parts[kept]) > settled:
        end -= len(parts[kept]) + len(parts[kept - 1])
        kept -= 2
    cut = max(end if kept > 0 else 0, settled + 1)
    return [*parts[: kept + 1], chunk[end if kept > 0 else 0 : cut]], cut


class View:
    """A text as a chain of decoders reads it; ``span`` says where its characters came from."""

    __slots__ = ("_cache", "_chunks", "_decoder", "_parent", "_starts", "text")

    def __init__(
        self,
        text: str,
        parent: View | None = None,
        decoder: _Decoder | None = None,
        starts: list[int] | None = None,
        chunks: list[tuple[int, int]] | None = None,
    ) -> None:
        self.text = text
        self._parent = parent
        self._decoder = decoder
        self._starts = starts or []  # where each chunk starts in this view
        self._chunks = chunks or []  # and the stretch of the parent's text it was split from
        self._cache: dict[int, tuple[list[int], list[int], list[bool]]] = {}

    def span(self, first: int, last: int) -> tuple[int, int]:
        """The stretch of the original text that characters ``first`` to ``last`` (included) came from."""
        view = self
        while view._parent is not None:
            first, last = view._parent_range(first)[0], view._parent_range(last)[1]
            view = view._parent
        return first, last + 1

    def _parent_range(self, index: int) -> tuple[int, int]:
        """The first and last characters of the parent that character ``index`` was decoded from."""
        chunk = bisect_right(self._starts, index) - 1
        offsets, parent_offsets, changed = self._layout(chunk)
        at = index - self._starts[chunk]
        part = bisect_right(offsets, at) - 1  # the last part starting at or before it: empty ones skipped
        origin = self._chunks[chunk][0] + parent_offsets[part]
        if changed[part]:
            return origin, self._chunks[chunk][0] + parent_offsets[part + 1] - 1
        return origin + at - offsets[part], origin + at - offsets[part]

    def _layout(self, chunk: int) -> tuple[list[int], list[int], list[bool]]:
        """Where each part of a chunk starts in this view and in the parent, and which were decoded."""
        layout = self._cache.get(chunk)
        if layout is None:
            assert self._parent is not None and self._decoder is not None
            start, stop = self._chunks[chunk]
            parts, _ = _split(self._parent.text, start, stop, self._decoder)
            decoded = parts.copy()
            decoded[1::2] = map(_Memo(self._decoder.decode).__getitem__, parts[1::2])
            offsets = [0, *accumulate(map(len, decoded))]
            parent_offsets = [0, *accumulate(map(len, parts))]
            if len(self._cache) >= 4:  # hits come in order, one chunk after another
                self._cache.clear()
            layout = self._cache[chunk] = (offsets, parent_offsets, list(map(ne, decoded, parts)))
        return layout


def _decoded(view: View, decoder: _Decoder) -> View | None:
    """The view read through ``decoder``; None when it changes nothing."""
    text, memo = view.text, _Memo(decoder.decode)
    pieces: list[str] = []
    starts: list[int] = []
    chunks: list[tuple[int, int]] = []
    changed, start, at = False, 0, 0
    while start < len(text):
        stop = _chunk_stop(text, start)
        parts, length = _split(text, start, stop, decoder)
        matches = parts[1::2]
        decoded = list(map(memo.__getitem__, matches))
        changed = changed or decoded != matches
        parts[1::2] = decoded
        piece = "".join(parts)
        starts.append(at)
        chunks.append((start, stop))
        pieces.append(piece)
        at += len(piece)
        start += length
    if not changed:
        return None
    return View("".join(pieces), view, decoder, starts, chunks)


def _digest(text: str) -> bytes:
    import hashlib  # here: OpenSSL's module costs a command that never scrubs (``--help``) ~2 ms

    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def views(text: str, *, fold: bool = True) -> Iterator[View]:
    """The text and every distinct decoding of it up to ``MAX_DEPTH`` deep, each with its folds read
    (``fold``; what holds no whitespace is found as well unfolded, at half the cost)."""
    return _explore(View(text), 0, {_digest(text): 0}, fold)


def _explore(view: View, depth: int, seen: dict[bytes, int], fold: bool) -> Iterator[View]:
    yield (_decoded(view, _FOLD) or view) if fold and _FOLDED.search(view.text) else view
    if depth == MAX_DEPTH:
        return
    for decoder in DECODERS:
        if decoder.trigger in view.text and (decoder.gate is None or decoder.gate.search(view.text)):
            decoded = _decoded(view, decoder)
            if decoded is None:
                continue
            # Depth first, a text may be met deep before it is met shallower: explored again from there,
            # as breadth first would have, so that every chain of up to MAX_DEPTH decoders is read.
            key = _digest(decoded.text)
            if seen.get(key, MAX_DEPTH + 1) > depth + 1:
                seen[key] = depth + 1
                yield from _explore(decoded, depth + 1, seen, fold)
