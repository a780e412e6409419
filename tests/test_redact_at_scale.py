"""The redactor at scale: chunked decoding, cutting before scrubbing, and bounded memory.

``redact_views`` decodes a text chunk by chunk and ``Redactor.shorten`` cuts a long text ``reach`` units
past its limit before scrubbing it (further when masks leave too little of it settled: ``redact_reach``).
Neither may change what is shown: a text is scrubbed as if it were decoded in one piece, and a long text
is shortened exactly as scrubbing all of it, then cutting, would. Secrets are put where those shortcuts
could go wrong: straddling chunk boundaries and the cut, in encodings whose escapes (entities, folds,
whitespace and backslash runs) are long. Speed is not asserted; memory is, with ``tracemalloc``.
"""

from __future__ import annotations

import html
import json
import re
import tracemalloc
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_secrets_never_shown import ENCODERS, assert_clean

from endpointctl.core import redact_views
from endpointctl.core.redact import MASK, MIN_SECRET_LENGTH, Redactor
from endpointctl.core.redact_reach import prefix_end
from endpointctl.core.redact_views import LOOKAHEAD, views

ONE_PIECE = 1 << 40  # a chunk longer than any text: decoding in one piece, the reference


@contextmanager
def chunked(size: int) -> Iterator[None]:
    """Views decoded in chunks of ``size`` (a monkeypatch per example: hypothesis reruns the body)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(redact_views, "_CHUNK", size)
        yield


def snapshot(text: str, fold: bool = True) -> list[tuple[str, list[tuple[int, int]]]]:
    """Every view's text and where each of its characters came from."""
    return [(v.text, [v.span(i, i) for i in range(len(v.text))]) for v in views(text, fold=fold)]


_UNITS = re.compile(r"\s{2,}")


def units(text: str) -> int:
    """As ``redact_reach`` documents it: a character, or a run of whitespace, is one unit."""
    return len(text) - sum(len(run) - 1 for run in _UNITS.findall(text))


def take(text: str, count: int) -> str:
    """The first ``count`` units of ``text``, worked out independently of ``prefix_end``: up to ``count``
    tokens, each a whole run of whitespace (possessive: never split to make up the count) or a character."""
    taken = re.match(rf"(?:\s++|\S){{0,{max(count, 0)}}}", text)
    assert taken is not None  # zero tokens match anywhere
    return taken.group()


def folded(text: str) -> str:
    return " ".join(text.split())


# -- secrets, their encodings, and text around them -------------------------------------------------------

SECRET_CHARACTERS = st.one_of(
    st.sampled_from(list("\"'\\&<>%+;# é€😀\n\t|")),
    st.characters(min_codepoint=0x21, max_codepoint=0x7E),
)
SECRETS = st.text(SECRET_CHARACTERS, min_size=MIN_SECRET_LENGTH, max_size=20).map(lambda s: "Zq" + s)


def _yaml_fold(value: str) -> str:
    """JSON-escaped, with YAML's escaped line break and indentation between two of its characters."""
    middle = len(value) // 2
    rest = json.dumps(value[middle:])[1:-1]
    rest = "\\" + rest if rest.startswith(" ") else rest  # as YAML escapes it, or indentation would eat it
    return json.dumps(value[:middle])[1:-1] + "\\\n" + " " * 37 + rest


def _spread(value: str) -> str:
    """Whitespace runs long enough to cross a chunk boundary where the value holds one."""
    return re.sub(r"\s", lambda m: m.group() + " \t" * 40, value)


WRITERS: dict[str, Callable[[str], str]] = {
    **ENCODERS,
    "yaml-fold": _yaml_fold,
    "spread": _spread,
    "entities": lambda v: "".join(f"&#x{ord(c):06X};" for c in v),
    "url-of-json": lambda v: quote(json.dumps(v)),
    "html-of-json": lambda v: html.escape(json.dumps(v, ensure_ascii=False)),
}
NOISE = [
    "&amp;",
    "&ClockwiseContourIntegral;",
    "&" + "a" * 31 + ";",  # the longest name the decoder tries
    "&" + "b" * 45,  # longer than an entity, never closed
    "\\u0041",
    "\\ud83d\\ude00",
    "%41",
    "%F0%9F%98%80",
    "+",
    "''",
    "'\"'\"'",
    "\\\n      ",
    "...",
    "…",
    " ... [truncated]",
]


def pieces(secret: str) -> st.SearchStrategy[str]:
    writer = st.sampled_from(sorted(WRITERS)).map(lambda name: WRITERS[name])
    return st.one_of(
        writer.map(lambda write: write(secret)),
        st.tuples(writer, st.integers(1, len(secret) - 1)).map(lambda w: w[0](secret[: w[1]]) + "…"),
        st.sampled_from(NOISE),
        st.integers(1, 120).map(lambda n: " " * n),
        st.integers(1, 60).map(lambda n: "\n\t " * n),
        st.integers(1, 90).map(lambda n: "\\" * n),
        st.text(st.sampled_from(list("ab01 \\&#;%xu\n")), max_size=40),
    )


def texts(secret: str) -> st.SearchStrategy[str]:
    return st.lists(pieces(secret), min_size=5, max_size=40).map("".join)


# -- 1. chunking is invisible -----------------------------------------------------------------------------

SIZES = [LOOKAHEAD + 1, 64, 97, 128, 256]


# Each text is read at every size, against one reading in one piece: boundaries fall in five places in
# it for the price of six readings. Mutations that cut a chunk a little short (a look-ahead of 16 instead
# of 40, a whitespace stop missing line breaks, a match kept in the wrong chunk) failed in 35 of 48 runs
# so, against 24 of 48 with one size drawn per text over 120 texts, at twice the cost.
@settings(max_examples=30, deadline=None)
@given(data=st.data(), secret=SECRETS, fold=st.booleans())
def test_views_decoded_in_chunks_are_the_views_of_the_text_in_one_piece(
    data: st.DataObject, secret: str, fold: bool
) -> None:
    text = data.draw(texts(secret), label="text")
    with chunked(ONE_PIECE):
        whole = snapshot(text, fold)
    for size in SIZES:
        with chunked(size):
            assert snapshot(text, fold) == whole, f"chunks of {size}"


# As above, every size per text: the same three mutations failed in 3 of 30 runs so, against 1 of 30 with
# one size drawn per text over 120 texts.
@settings(max_examples=30, deadline=None)
@given(data=st.data(), secret=SECRETS)
def test_a_text_scrubbed_in_chunks_is_scrubbed_as_in_one_piece(data: st.DataObject, secret: str) -> None:
    text = data.draw(texts(secret), label="text")
    redactor = Redactor([secret])
    with chunked(ONE_PIECE):
        whole = redactor.scrub(text), redactor.scrub(text, truncated=True)
    for size in SIZES:
        with chunked(size):
            assert (redactor.scrub(text), redactor.scrub(text, truncated=True)) == whole, f"chunks of {size}"
    assert_clean(whole[0], "scrubbed", [secret])


def test_escapes_across_every_boundary_of_real_chunks_read_as_in_one_piece() -> None:
    """The real chunk size, on a text of several chunks, with a secret's forms crossing each boundary.

    Between them, plain words: a view reads them as they are, so every view's chunk boundaries fall a
    little after the text's, among the forms too (about two in three of them; with escapes in the words,
    which each view reads shorter, none did), and a view is decoded at a fraction of the cost."""
    secret = 'Zq"é&\\ x😀|<k'
    redactor = Redactor([secret])
    size = redact_views._CHUNK
    text = ""
    for boundary in range(1, 4):
        # Up to a little before the boundary, then forms and escapes over it, a different length each time.
        text += ("lorem-ipsum-dolor-" * size)[: boundary * size - len(text) - 60 - boundary * 11]
        for name in sorted(WRITERS):
            text += WRITERS[name](secret) + " \\" * boundary + " " * (20 * boundary) + "&#x1F600;"
    assert len(text) > 3 * size

    def read() -> list[tuple[str, list[tuple[int, int]]]]:
        # Every view's text, and where a sample of its characters came from: a chunk mapped wrongly puts
        # hundreds of them wrong. Every character is compared at small chunk sizes above.
        return [(v.text, [v.span(i, i) for i in range(0, len(v.text), 127)]) for v in views(text)]

    # Scrubbed as is only: ``truncated`` changes what is masked at the text's end alone, far from any
    # boundary here (and no start of the secret ends it); the chunking tests above scrub both ways.
    with chunked(ONE_PIECE):
        whole_views = read()
        whole = redactor.scrub(text)
    assert read() == whole_views
    assert redactor.scrub(text) == whole
    assert whole.count(MASK) >= 3 * len(WRITERS)
    for name, write in WRITERS.items():
        assert write(secret) not in whole, name


@pytest.mark.parametrize("mark", ["…", "...", " ... [truncated]"])
def test_a_quoted_start_marked_after_its_closing_quote_is_masked(mark: str) -> None:
    """Found by the chunking test: a value cut short, then quoted (JSON, and that in HTML), then marked."""
    redactor = Redactor(["Zq-abcdefghij"])
    assert redactor.scrub(f'said "Zq-abcdefg"{mark}') == f'said "{MASK}"{mark}'
    assert redactor.scrub(f"said &quot;Zq-abcdefg&quot;){mark}") == f"said &quot;{MASK}&quot;){mark}"
    assert redactor.scrub(f'said "Zq-abcdefg" and more{mark}') == f'said "Zq-abcdefg" and more{mark}'


def test_a_whitespace_run_or_escaped_line_break_longer_than_a_chunk_is_one_match() -> None:
    secret = "Zq-abcdefgh ijkl mnop"
    redactor = Redactor([secret])
    fold = "\\\n" + " " * 500 + "\t" * 300  # nothing, as YAML reads it: the space comes before it
    run = "\n" * 200 + " " * 300  # one space, as views read it
    text = "x" * 30 + "Zq-abcdefgh " + fold + "ijkl" + run + "mnop and " + "\\" * 301 + '"'
    with chunked(64):
        assert redactor.scrub(text) == "x" * 30 + MASK + " and " + "\\" * 301 + '"'
        chunked_views = snapshot(text)
    with chunked(ONE_PIECE):
        assert snapshot(text) == chunked_views


# -- 2. a long text is shortened as if it were scrubbed whole, then cut ------------------------------------


class Remembering(Redactor):
    """A redactor that works out what to mask in a text once. ``shorten`` scrubs a text whole when it has
    cut twice as far past its end (masks shrank what it kept), and ``reference`` scrubs the same text the
    same way again: for the same text and ``truncated``, what ``_found`` returns depends on nothing else
    (the secrets are fixed), so the answer remembered is the one the second call would work out."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__(secrets)
        self._remembered: dict[tuple[str, bool], tuple[str, list[tuple[int, int]]]] = {}

    def _found(self, text: str, truncated: bool) -> tuple[str, list[tuple[int, int]]]:
        found = self._remembered.get((text, truncated))
        if found is None:
            found = self._remembered[text, truncated] = super()._found(text, truncated)
        return found[0], list(found[1])  # a list of its own for each caller, as a fresh scrub gives


def first_cut(redactor: Redactor, limit: int) -> int:
    """Where ``shorten`` cuts a long text first, in units: its margin past ``limit``, and three more
    (one past the limit, and the whitespace a fold may drop at either end)."""
    return limit + 3 + redactor.reach()


def reference(redactor: Redactor, text: str, limit: int, mark: str = "…", fold: bool = False) -> str:
    """What ``shorten`` promises: the whole text scrubbed (as one that may have been cut), folded, then
    cut to ``limit`` with ``mark`` and scrubbed again."""
    clean = redactor.scrub(text, truncated=True)
    if fold:
        clean = folded(clean)
    if len(clean) <= limit:
        return clean
    return redactor.scrub(clean[: max(limit - len(mark), 0)] + mark)


def kept_before_a_far_cut(limit: int) -> str:
    """What ``reference`` gives for a text of q's, ``limit`` and the margin of them or more, then a form
    of the secret: the whole text scrubbed starts with all its q's (a mask starts where a form or a start
    of one does, at the secret's "Z" or an escape's first character, after the q's), so cut to ``limit``
    it is ``limit - 1`` q's and the mark. Written out, not worked out again by scrubbing hundreds of
    thousands of characters per case: this is what ``reference`` returned for every such case here."""
    return "q" * (limit - 1) + "…"


def _longest(value: str) -> str:
    """Every character as the longest escapes the decoders read, three deep: a numeric reference, each
    of its characters percent-encoded, each of those as an eight-digit escape after a fold."""
    first = "".join(f"&#x{ord(c):06X};" for c in value)
    second = "".join(f"%{ord(c):02X}" for c in first)
    return "\\\n  ".join(f"\\U{ord(c):08X}" for c in second)


def test_masks_that_shrink_what_is_kept_do_not_bring_the_cut_into_view() -> None:
    """Each mask takes three characters, but may stand for thousands of units: cut at ``limit`` plus
    the margin, a text of long forms scrubs to less than ``limit``, and the end of the cut (a start of
    the secret too short to be masked there) would be shown where the whole text's scrub masks it."""
    secret = "Zq-abcdefgh"
    redactor = Remembering([secret])
    form = _longest(secret)
    assert redactor.scrub(form) == MASK
    limit = 300
    cut = first_cut(redactor, limit)
    count = cut // units(form) + 1
    for before in range(1, MIN_SECRET_LENGTH):  # the start's units before the cut: too few to mask
        pad = cut - before - count * units(form)
        text = form * count + "x" * max(pad, 0) + secret + " and more"
        shortened = redactor.shorten(text, limit)
        assert shortened == reference(redactor, text, limit)
        assert secret[:before] not in shortened
        assert shortened.count(MASK) == count + 1


@pytest.mark.parametrize("fold", [False, True])
def test_a_text_of_masks_only_is_shortened_as_a_whole(fold: bool) -> None:
    """One mask for all of it (overlapping finds of a periodic secret): nothing to cut."""
    redactor = Remembering(["ZqZqZqZqZq"])
    text = "%5A%71" * (first_cut(redactor, 300) // 6 + 2)  # past the first cut: long, and cut first
    assert units(text) > first_cut(redactor, 300)
    assert redactor.shorten(text, 300, fold=fold) == reference(redactor, text, 300, fold=fold) == MASK


SHORT_SECRETS = st.sampled_from(["Zq-abcdefgh", 'Zq"é&\\ x😀|', "Zq  x\ty'<>+%"])
FILLERS = st.one_of(
    st.text(st.sampled_from(list("ab01 .,-\n\t&;#%\\u")), min_size=1, max_size=30),
    st.sampled_from(NOISE),
    st.integers(2, 50).map(lambda n: "lorem" + " " * n),
)


@settings(max_examples=20, deadline=None)
@given(
    secret=SHORT_SECRETS,
    writer=st.sampled_from(sorted(WRITERS)),
    filler=st.lists(FILLERS, min_size=1, max_size=6).map("".join),
    masks=st.integers(0, 40),
    shift=st.integers(-5, 15),
    limit=st.sampled_from([MIN_SECRET_LENGTH, 80, 300]),
    mark=st.sampled_from(["…", "...", " ... [truncated]"]),
    fold=st.booleans(),
)
def test_a_long_text_is_shortened_as_if_scrubbed_whole_then_cut(
    secret: str, writer: str, filler: str, masks: int, shift: int, limit: int, mark: str, fold: bool
) -> None:
    """A form of the secret starts near where ``shorten`` cuts first (``shift`` tenths of the form's
    units before it, or after it) and often straddles it; some forms before it are masked whole, so
    that what is kept after scrubbing is shorter than what was cut."""
    redactor = Remembering([secret])
    form = WRITERS[writer](secret)
    long_form = _longest(secret)
    start = max(first_cut(redactor, limit) - shift * max(units(form) // 10, 1), 0)
    before = long_form * masks
    pad = filler * (start // max(units(filler), 1) + 2)
    text = before + take(pad, max(start - units(before), 0)) + form + "\n\n" + pad[:500]
    shortened = redactor.shorten(text, limit, mark=mark, fold=fold)
    assert shortened == reference(redactor, text, limit, mark, fold)
    assert len(shortened) <= max(limit, len(mark))
    assert_clean(shortened, "shortened", [secret])


def test_a_form_that_starts_before_the_cut_and_ends_after_it_is_masked() -> None:
    secret = 'Zq"é&\\ x😀|'
    redactor = Redactor([secret])
    limit = 80
    cut = first_cut(redactor, limit)
    for name in sorted(WRITERS):
        form = WRITERS[name](secret)
        for inside in (1, units(form) - 1):  # its units before the cut
            shortened = redactor.shorten("q" * (cut - inside) + form + " tail", limit)
            assert shortened == kept_before_a_far_cut(limit), name
            assert_clean(shortened, name, [secret])
            # In view, cut by ``limit``, with a long text after it.
            text = "q" * (limit - inside) + form + " " * cut + "tail"
            assert_clean(redactor.shorten(text, limit), name, [secret])


def test_a_whitespace_run_longer_than_the_margin_is_one_unit_of_it() -> None:
    """Views read a run as one space, so the margin counts it as one unit: this text is short, scrubbed
    whole, and a start of the secret followed by other words is shown; cut inside the run, it would
    look cut off and be masked."""
    secret = "Zq-abcdefgh ijkl"
    redactor = Redactor([secret])
    text = "q" * 20 + "Zq-abcdefgh" + " " * (2 * redactor.reach()) + "nope"
    assert redactor.shorten(text, 80, fold=True) == "q" * 20 + "Zq-abcdefgh nope"
    # Not folded, it is cut: the start before the mark is a start cut off, the whole text's scrub as well.
    assert redactor.shorten(text, 80) == reference(redactor, text, 80) == "q" * 20 + MASK + "…"


# -- 3. where the first units end ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "count", "end"),
    [
        ("", 5, 0),
        ("abc", -4, 0),  # less than none is none, not a cut from the end
        ("abc", 0, 0),
        ("abc", 2, 2),
        ("abc", 9, 3),
        ("a     b", 2, 6),  # the run is one unit, taken whole
        ("a     b", 3, 7),
        ("a     b", 1, 1),  # not cut inside the run
        ("  \n\t x", 1, 5),
        ("  \n\t x", 2, 6),
        ("a b", 2, 2),  # a lone space is a unit like any character
        ("a\u2028\u3000b", 3, 4),  # Unicode whitespace is whitespace
        ("ab  ", 3, 4),
    ],
)
def test_prefix_end(text: str, count: int, end: int) -> None:
    assert prefix_end(text, count) == end


WHITESPACE_HEAVY = st.text(st.sampled_from(list("ab \t\n\r\x0b\x0c\x1c\x85\xa0\u2028\u3000")), max_size=80)


@settings(max_examples=400, deadline=None)
@given(text=WHITESPACE_HEAVY, count=st.integers(0, 90))
def test_prefix_end_takes_as_many_units_as_asked_and_never_splits_a_run(text: str, count: int) -> None:
    end = prefix_end(text, count)
    assert 0 <= end <= len(text)
    assert units(text[:end]) == min(count, units(text))
    assert text[:end] == take(text, count)
    # A run is taken whole or not at all: what is left does not go on with a run that was started.
    assert not (0 < end < len(text) and text[end - 1].isspace() and text[end].isspace())
    assert units(text[:end]) + units(text[end:]) == units(text)
    assert prefix_end(text, count + 1) >= end


# -- 4. memory is linear in the text ----------------------------------------------------------------------

# Under tracemalloc every allocation is traced, and decoding a text of escapes allocates for each one:
# scrubbing a megabyte takes seconds. Memory is measured on one chunk and on 64: by what each character
# past the first chunk adds. A few chunks are not enough: something kept every few chunks (a suffix of
# the text, say) grows with the square of the number of chunks and only shows at dozens of them (review).
SCRUBBED_CHUNKS = 64
# The chunks measured are an eighth of the real ones (two megabytes in 64 of those: four seconds traced).
# What linearity depends on is how many chunks a view is decoded in, not their size: per character, the
# memory taken, and that taken by each break tried (a map per character, no chunking, a prefix or a
# suffix of the text kept every chunk or every other one), came out within 1% at either size, failing and
# passing alike; what is kept per chunk weighs more per character in smaller ones.
MEASURED_CHUNK = 1 << 12
# Bytes a scrub may hold for each character of the text: views hold their texts and where their chunks
# began (about 7 a character); a map of where each character came from takes tens in every view.
PER_CHARACTER = 25
# Shortening cuts first: it scrubs a few times its margin (``reach``) whatever the text's length (~12 MB
# for this secret's 138,000-unit reach). The text is long enough that this is under the bound below a
# character, and scrubbing all of it first would be several times over it (~8 a character).
SHORTENED = 5_000_000
PER_CHARACTER_SHORTENED = 4


def hostile(secret: str, size: int) -> str:
    """Escapes by the hundred thousand, long whitespace and backslash runs, entity-like names, starts of
    the secret that are not it; and the secret itself, plain and encoded, at the start, the middle and
    the end (every view holding one maps it back through all its chunks)."""
    block = (
        "\\u0041&amp;%41" * 30
        + " " * 300
        + "\\" * 101
        + "&ClockwiseContourIntegral;\\\n      "
        + secret[:-1]
        + "-"
        + "\n\t" * 150
        + quote(secret[: MIN_SECRET_LENGTH - 1])
    )
    body = (block * (size // len(block) + 1))[:size]
    secrets = f" {secret} {quote(secret)} {html.escape(json.dumps(secret))} "
    third = size // 3
    return secrets + body[:third] + secrets + body[third : 2 * third] + secrets + body[2 * third :]


def peak(work: Callable[[], str]) -> tuple[str, int]:
    """What ``work`` returns, and the most memory it held at once."""
    tracemalloc.start()
    try:
        return work(), tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_scrubbing_hostile_text_takes_memory_linear_in_it() -> None:
    secret = "Zq-abcdefgh&1"
    redactor = Redactor([secret])
    one = hostile(secret, MEASURED_CHUNK)
    text = hostile(secret, SCRUBBED_CHUNKS * MEASURED_CHUNK)
    with chunked(MEASURED_CHUNK):
        _, base = peak(lambda: redactor.scrub(one))
        clean, used = peak(lambda: redactor.scrub(text))
    # What each character past the first chunk added, and all of it: neither a map per character nor
    # anything quadratic (growth), nor a large constant (all of it).
    grown = used - base
    assert grown < PER_CHARACTER * (len(text) - len(one)), f"{grown / (len(text) - len(one)):.0f} B/char"
    assert used < PER_CHARACTER * len(text), f"{used / 1e6:.1f} MB"
    assert clean.count(MASK) == 9
    assert secret not in clean and quote(secret) not in clean
    assert clean.count(secret[:-1] + "-") == text.count(secret[:-1] + "-")  # near misses left alone


def test_shortening_megabytes_takes_bounded_memory() -> None:
    secret = "Zq-abcdefgh&1"
    redactor = Redactor([secret])
    text = hostile(secret, SHORTENED)
    shortened, used = peak(lambda: redactor.shorten(text, 300, fold=True))
    assert used < PER_CHARACTER_SHORTENED * len(text), f"{used / 1e6:.1f} MB"
    assert len(shortened) == 300 and shortened.startswith(f"{MASK} {MASK} &quot;{MASK}&quot; \\u0041")
    # Nothing but masks: cut twice as far, and again, until enough is settled.
    text = ("%5A%71%2D" + "%61%62%63%64%65%66%67%68%26%31") * (SHORTENED // 39)
    shortened, used = peak(lambda: redactor.shorten(text, 300))
    assert used < PER_CHARACTER_SHORTENED * len(text), f"{used / 1e6:.1f} MB"
    assert shortened == MASK * 99 + "**…"


# -- 5. the margin covers the longest forms encoders write --------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(secret=SECRETS, more=st.text(SECRET_CHARACTERS, min_size=1, max_size=10))
def test_reach_grows_with_the_secret(secret: str, more: str) -> None:
    assert Redactor([secret]).reach() <= Redactor([secret + more]).reach()
    assert Redactor([secret]).reach() <= Redactor([secret, "Zp-another-one"]).reach()


def _chains(secret: str) -> dict[str, str]:
    """Real encoders, one inside another, each escaping as much as it can."""
    json_ascii = json.dumps(secret)[1:-1]  # a surrogate pair, twelve characters, for each non-BMP character
    return {
        "json-html-url": quote(
            html.escape(json_ascii).encode("ascii", "xmlcharrefreplace").decode(), safe=""
        ),
        "html-of-json-url": quote(
            html.escape(json.dumps(secret, ensure_ascii=False)[1:-1])
            .encode("ascii", "xmlcharrefreplace")
            .decode(),
            safe="",
        ),
        "json-json-url": quote(json.dumps(json_ascii)[1:-1], safe=""),
        "longest": _longest(secret),
    }


@pytest.mark.parametrize("secret", ["Zq😀😀😀😀😀😀😀😀", "Zq|||||||\"'&<>😀", "Zq" + "\U0010fffd" * 10])
def test_reach_covers_the_longest_forms_and_they_are_masked_across_the_cut(secret: str) -> None:
    redactor = Redactor([secret])
    limit = 80
    cut = first_cut(redactor, limit)
    for name, form in _chains(secret).items():
        assert units(form) <= redactor.reach(), name
        assert redactor.scrub(f"x {form} y") == f"x {MASK} y", name
        for inside in (MIN_SECRET_LENGTH, units(form) // 3, units(form) - 1):
            shortened = redactor.shorten("q" * (cut - inside) + form + " tail", limit)
            assert shortened == kept_before_a_far_cut(limit), name
            assert_clean(shortened, name, [secret])
        # The form itself in view, cut by shorten, at each end.
        text = "q" * (limit - MIN_SECRET_LENGTH) + form + "q" * cut
        assert redactor.shorten(text, limit) == "q" * (limit - MIN_SECRET_LENGTH) + MASK + "q" * 4 + "…"
