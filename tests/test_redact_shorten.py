"""``Redactor.shorten`` shows exactly what scrubbing the whole text, then cutting it, would show.

``shorten`` cuts a long text before scrubbing it (``limit`` plus ``reach`` units in, then twice as far
until enough of it is settled) and re-scrubs what it cut. Its docstring promises that the shortcut cannot
be seen: for any text, any secrets, any limit and mark, folded or not, the result is the whole text
scrubbed as one that may have been cut, folded if asked, then its first ``limit - len(mark)`` characters
and the mark, scrubbed again so that no start of a secret ends it. ``reference`` works that promise out
with the public API alone (``scrub``, then a cut), never by repeating ``shorten``'s own steps, and every
test compares the two.

A wrong shortcut only shows where the scrub of the cut text and that of the whole text differ, and what
differs is kept past the margin. So each test builds a text where the difference would come into view if
one step were wrong (a mutation review found that the rest of the suite passed with each of them):

- a text that ends in a start of a secret is one that was cut, and it is masked (a short text is scrubbed
  whole: ``truncated``);
- the cut leaves a start of a secret before the mark: the re-scrub masks it;
- whitespace runs are long in characters and one unit each: folding, not the raw length, says whether
  enough is settled; a start of a secret followed by a run longer than the margin (in characters) is
  still two units from the cut, and a run of any length is one unit, never split;
- a form three encodings deep, about 12³ units a character (the longest that ``reach`` allows for), cut
  inside nested escapes, is not masked as a start cut off: only the margin keeps it from being shown
  unmasked, so the margin must cover it, past the first cut and past what each cut keeps as settled;
- masks shrink a text, so what is settled may scrub to fewer than ``limit`` characters: the cut doubles,
  and where it stops (what is settled about ``limit`` characters long, a text a unit shorter or longer
  than a cut) matters;
- the cost the shortcut exists for, which no output shows: a long text is cut ``limit`` plus ``reach``
  units in (its runs whole, not in characters), once when that settles enough, twice as far each time
  it does not.

What the margin's slack hides cannot be tested by output: ``reach`` is twice the longest form plus a
reading distance, so a margin somewhat smaller (the longest form once, no reading distance, no fold
allowance) still covers every form encoders write. That is left to ``redact_reach``'s own reasoning.

Hypothesis varies secrets (quotes, backslashes, ``&<>%+``, non-ASCII and astral characters, mostly
whitespace), their encodings, where a form or a start of one lies against the cuts, limits, marks and
folding.
"""

from __future__ import annotations

import base64
import functools
import html
import json
import re
from collections.abc import Callable, Iterable
from urllib.parse import quote, quote_plus

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_redact_at_scale import NOISE as SCALE_NOISE

from endpointctl.core.redact import MASK, MIN_SECRET_LENGTH, Redactor
from endpointctl.core.redact_reach import prefix_end
from endpointctl.core.redact_reach import units as reach_units

# -- the promise, worked out with the public API -------------------------------------------------------------

_RUN = re.compile(r"\s{2,}")


def units(text: str) -> int:
    """Units as ``redact_reach`` documents them, counted here on its own (a mutated ``units`` must not
    move where these tests put things): a character, or a whole run of whitespace."""
    return len(text) - sum(len(run) - 1 for run in _RUN.findall(text))


def take(text: str, count: int) -> str:
    """The first ``count`` units of ``text``: tokens that are a whole run of whitespace (possessive, never
    split to make up the count) or one other character."""
    taken = re.match(rf"(?:\s++|\S){{0,{max(count, 0)}}}", text)
    assert taken is not None  # zero tokens match anywhere
    return taken.group()


def folded(text: str) -> str:
    return " ".join(text.split())


def reference(redactor: Redactor, text: str, limit: int, mark: str = "…", fold: bool = False) -> str:
    """What ``shorten`` promises: the whole text scrubbed as one that may have been cut, folded if asked;
    if longer than ``limit``, its first ``limit - len(mark)`` characters and the mark, scrubbed again."""
    return cut_as_promised(redactor, redactor.scrub(text, truncated=True), limit, mark, fold)


def cut_as_promised(redactor: Redactor, clean: str, limit: int, mark: str = "…", fold: bool = False) -> str:
    """``reference`` from the whole text's scrub (worked out once for a long text shortened both ways)."""
    if fold:
        clean = folded(clean)
    if len(clean) <= limit:
        return clean
    return redactor.scrub(clean[: max(limit - len(mark), 0)] + mark)


@functools.lru_cache(maxsize=4)  # the cases that share a text run one after the other
def scrubbed_whole(secrets: tuple[str, ...], text: str) -> str:
    """``reference``'s first step for a long text that several cases shorten (folded and not): the whole
    text scrubbed as one that may have been cut, once per text, by a redactor of the same secrets that
    does nothing else (so nothing the one under test did can change it). ``cut_as_promised`` does the rest."""
    return Redactor(secrets).scrub(text, truncated=True)


def first_cut(redactor: Redactor, limit: int) -> int:
    """Where ``shorten`` cuts a long text first, in units: ``limit`` and ``reach`` past it, and three more
    (one past the limit, and the whitespace a fold may drop at either end)."""
    return limit + 3 + redactor.reach()


# -- secrets and their encodings -----------------------------------------------------------------------------

SECRET = "Zq-abcdefgh-ijkl"
START = SECRET[:11]  # a start of it, longer than MIN_SECRET_LENGTH: masked where it looks cut off


def escaped(value: str) -> str:
    """Every character as the longest escape a backslash decoder reads as one (eight hex digits), with a
    fold (YAML's escaped line break: a backslash and a line break) between two of them: twelve units a
    character, the most ``redact_reach`` allows a character at any depth (``ANY`` plus ``FOLD``)."""
    return "\\\n".join(f"\\U{ord(character):08X}" for character in value)


@functools.lru_cache(maxsize=8)  # pure, and tens of thousands of characters long: once per value
def deepest(value: str) -> str:
    """``value`` escaped ``MAX_DEPTH`` (three) times over: close to 12³ units a character."""
    return escaped(escaped(escaped(value)))


def longest_plain(secret: str) -> str:
    """The longest form the redactor masks by plain search: base64 of the value as a JSON body carries it
    (``json.dumps``' ASCII escapes: six characters for é, twelve for an astral character)."""
    return base64.b64encode(json.dumps(secret)[1:-1].encode()).decode()


def _entities(value: str) -> str:
    return "".join(f"&#x{ord(character):X};" for character in value)


ENCODERS: dict[str, Callable[[str], str]] = {
    "raw": lambda v: v,
    "json": lambda v: json.dumps(v, ensure_ascii=False)[1:-1],
    "json-ascii": lambda v: json.dumps(v)[1:-1],
    "repr": lambda v: repr(v)[1:-1],
    "url": lambda v: quote(v, safe=""),
    "url-plus": quote_plus,
    "html": lambda v: html.escape(v),
    "entities": _entities,
    "yaml-single": lambda v: v.replace("'", "''"),
    "shell": lambda v: v.replace("'", "'\"'\"'"),
    "base64": lambda v: base64.b64encode(v.encode()).decode(),
    "json-in-json": lambda v: json.dumps(json.dumps(v))[1:-1],
    "url-of-json": lambda v: quote(json.dumps(v)),
    "html-of-json": lambda v: html.escape(json.dumps(v, ensure_ascii=False)),
    "deepest": deepest,
}


# -- 1. a short text is scrubbed whole, as one that may have been cut ----------------------------------------


@pytest.mark.parametrize("fold", [False, True])
@pytest.mark.parametrize(
    ("ending", "shown"),
    [
        (START, MASK),
        (f'"{START}', f'"{MASK}'),
        (f'"{START}"', f'"{MASK}"'),  # a JSON string cut short still ends with its quote
        (f"({START})", f"({MASK})"),
        (quote(START), MASK),
        (quote(START) + "%6", MASK),  # cut inside an escape: what is left of it goes too
        (json.dumps(START, ensure_ascii=True)[1:-1].replace("Z", "\\u005A"), MASK),
        (_entities(START), MASK),
        (START + "  \n ", MASK + "  \n "),  # whitespace after it: still at the end
    ],
)
def test_a_short_text_ending_in_a_start_of_a_secret_is_read_as_cut(
    ending: str, shown: str, fold: bool
) -> None:
    """What is shortened is another's words, which their server may already have cut: a start of a
    secret at the end of it is masked, even when the text is short enough to be scrubbed whole."""
    redactor = Redactor([SECRET])
    text = "error: " + ending
    expected = "error: " + shown
    assert redactor.shorten(text, 300, fold=fold) == reference(redactor, text, 300, fold=fold)
    assert redactor.shorten(text, 300, fold=fold) == (folded(expected) if fold else expected)
    # Followed by other words, the same start is not the secret: left as it is.
    assert redactor.shorten(text + " and more", 300) == text + " and more"


# -- 2. what the cut leaves before the mark ------------------------------------------------------------------

# A secret with a character for each decoder's escape (quotes, backslash, ``&<>``, ``+%``, non-ASCII, astral).
ODD = "Zq\"é&\\<x😀|+%'yz-more"


@pytest.mark.parametrize("mark", ["…", "...", " ... [truncated]"])
@pytest.mark.parametrize("fold", [False, True])
@pytest.mark.parametrize("encoder", ["raw", "json", "json-ascii", "url", "url-plus", "entities"])
@pytest.mark.parametrize("secret", [SECRET, ODD])
def test_a_start_of_a_secret_left_before_the_mark_is_masked(
    secret: str, encoder: str, fold: bool, mark: str
) -> None:
    """A near miss (the secret's first characters, then others) is shown in the whole text; cut between
    them, what is left before the mark is a start of the secret, and the cut text is scrubbed again."""
    redactor = Redactor([secret])
    limit = 120
    start = ENCODERS[encoder](secret[:11])
    near_miss = ENCODERS[encoder](secret[:11] + "X but not the secret")
    assert near_miss.startswith(start)  # the encoder writes each character on its own
    kept = limit - len(mark)
    text = "q" * (kept - len(start)) + near_miss + " and more words" * 10
    assert redactor.scrub(text, truncated=True) == text  # nothing in it is the secret
    shortened = redactor.shorten(text, limit, mark=mark, fold=fold)
    assert shortened == reference(redactor, text, limit, mark, fold)
    assert shortened == "q" * (kept - len(start)) + MASK + mark


# -- 3. long texts: what masks shrink, and where the cuts fall -----------------------------------------------


@functools.lru_cache(maxsize=4)  # pure: the cases that differ only in folding share one
def masked_stretch(secret: str, count: int) -> str:
    """Exactly ``count`` units (a few hundred at least) that scrub to a few masks: the longest plain form
    of ``secret`` three encodings deep (tens of thousands of units each, three characters once masked),
    as many times as fit, then once escaped, stretched to what is left by folds between its last two
    characters (two units each; its first character written as itself changes the parity)."""
    plain = longest_plain(secret)
    deep = deepest(plain)
    copies = max(count - 12 * len(plain) - 9, 0) // units(deep)
    rest = count - copies * units(deep)
    escapes = [f"\\U{ord(character):08X}" for character in plain]
    if (rest - units(escaped(plain))) % 2:
        escapes[0] = plain[0]
    folds = (rest - units("\\\n".join(escapes))) // 2
    assert folds >= 0
    return deep * copies + "\\\n".join(escapes[:-1]) + "\\\n" * (1 + folds) + escapes[-1]


def test_folding_not_the_raw_length_decides_whether_enough_is_settled() -> None:
    """Runs of whitespace are one unit each, and long: what the first cut settles holds ``limit`` units
    less what masks took, far fewer than ``limit`` characters folded though hundreds unfolded. Stopping
    there would show a folded text that ends far short of ``limit``."""
    redactor = Redactor([SECRET])
    limit = 80
    # Each occurrence of the secret is masked by plain search before the cut is settled: 13 units fewer.
    text = ("ab" + " " * 40) * 30 + SECRET * 5 + " after" * 40 + "q" * first_cut(redactor, limit)
    shortened = redactor.shorten(text, limit, fold=True)
    assert shortened == reference(redactor, text, limit, fold=True)
    assert len(shortened) == limit and shortened.startswith("ab ab ab ") and shortened.endswith("…")
    # Unfolded, the runs themselves fill the limit.
    unfolded = redactor.shorten(text, limit)
    assert unfolded == reference(redactor, text, limit) == "ab" + " " * 40 + "ab" + " " * 35 + "…"


# A secret that is mostly whitespace: a mask (three units) may take more units than the form it replaced.
SPACY = "Zq" + " " * 6 + "a"


@pytest.mark.parametrize("fold", [False, True])
@pytest.mark.parametrize("run", range(1, 5))
@pytest.mark.parametrize("masks", [1, 2])
def test_where_doubling_stops(masks: int, run: int, fold: bool) -> None:
    """What the first cut settles scrubs to about ``limit`` characters: ``masks`` occurrences of a
    mostly-whitespace secret (each masked in more units than it took) and a leading run of ``run``
    characters (one unit) bring it to ``limit`` and a character or two more or fewer, folded or not, so
    that the cut stops or doubles right there. Either way the result is the whole text's."""
    redactor = Redactor([SPACY])
    limit = 80
    cut = first_cut(redactor, limit)
    text = " " * run + SPACY * masks + "w" * (limit + 10) + " " + "q" * 2 * cut
    shortened = redactor.shorten(text, limit, fold=fold)
    assert shortened == cut_as_promised(redactor, scrubbed_whole((SPACY,), text), limit, fold=fold)
    if fold:  # the leading run dropped: the masks, then the words
        assert shortened == (MASK * masks + "w" * limit)[: limit - 1] + "…"


@pytest.mark.parametrize("fold", [False, True])
@pytest.mark.parametrize("more", [-1, 0, 1])
@pytest.mark.parametrize("cuts", [1, 2])
def test_a_text_as_long_as_a_cut_is_scrubbed_whole(cuts: int, more: int, fold: bool) -> None:
    """Texts of masks, then a start of the secret at their very end, one unit shorter than a cut (the
    first, or the second), as long, or one unit longer: a cut that takes the whole text scrubs it as
    one that may have been cut, and the start is masked; one that leaves a unit out does not settle the
    start, and the next one takes the whole text."""
    redactor = Redactor([SECRET])
    limit = 80
    count = first_cut(redactor, limit) * cuts + more
    text = masked_stretch(SECRET, count - 7 - len(START)) + " words " + START
    assert units(text) == count
    shortened = redactor.shorten(text, limit, fold=fold)
    assert shortened == cut_as_promised(redactor, scrubbed_whole((SECRET,), text), limit, fold=fold)
    assert shortened.endswith(" words " + MASK)


def test_a_start_one_run_before_the_cut_is_not_settled_however_long_the_run() -> None:
    """The first cut ends just after a run of whitespace longer than the margin, after a start of the
    secret. Cut there, the start looks cut off and is masked; in the whole text words follow it, and it is
    shown (unfolded, the final cut falls inside the run and masks it, but as the 11 characters it is). The
    start is two units from the cut, well inside the margin, though its characters are further from it
    than the margin: settled by characters, it would be shown as a mask."""
    redactor = Redactor([SECRET])
    limit = 80
    cut = first_cut(redactor, limit)
    before = masked_stretch(SECRET, cut - len(START) - 1)
    run = " " * (redactor.reach() + limit)  # more characters than the margin has units
    text = before + START + run + "more words"
    assert units(before + START + run) == cut
    masks = redactor.scrub(before)
    assert len(masks + START) < limit - 1 and "Zq" not in masks  # the start comes into view
    whole = redactor.scrub(text, truncated=True)
    shortened = redactor.shorten(text, limit)
    assert shortened == cut_as_promised(redactor, whole, limit)
    assert shortened == masks + MASK + " " * (limit - 1 - len(masks) - len(START)) + "…"
    # Folded, the words after the run are in view: the start is shown.
    shortened = redactor.shorten(text, limit, fold=True)
    assert shortened == cut_as_promised(redactor, whole, limit, fold=True)
    assert shortened == masks + START + " more words"


@pytest.mark.parametrize("inside", [30_000, 30_001, 30_005])
def test_a_form_cut_inside_nested_escapes_is_not_settled(inside: int) -> None:
    """A form three encodings deep starts ``inside`` units before the first cut. Cut there, in the
    middle of an escape inside an escape, it is masked as a start cut off (what is left of up to three
    escapes is read); the margin keeps it out of what is settled all the same, and the whole text's
    scrub masks it whole. Before it, masks only, so it would come into view."""
    redactor = Redactor([SECRET])
    limit = 80
    cut = first_cut(redactor, limit)
    form = deepest(longest_plain(SECRET))
    assert inside < units(form) < redactor.reach()
    before = masked_stretch(SECRET, cut - inside)
    text = before + form + " and more words" * 8
    assert redactor.scrub(form[:inside], truncated=True).startswith(MASK)  # a start cut off, nested escapes
    masks = redactor.scrub(before)
    shortened = redactor.shorten(text, limit)
    assert shortened == reference(redactor, text, limit)
    assert shortened == (masks + MASK + " and more words" * 8)[: limit - 1] + "…"


# Non-ASCII and astral characters: six and twelve characters each as json.dumps escapes them, so the
# base64 of the escaped value (a plain form, and so a needle for views) is long.
LONG_SECRET = "Zq-" + "é€😀" * 4


@pytest.mark.parametrize("shift", [0, 1, 2, 7])
def test_the_margin_covers_the_longest_form_three_encodings_deep(shift: int) -> None:
    """The longest form an encoder chain may write (``MAX_DEPTH`` encodings of the longest plain form,
    twelve units a character at each): ``reach`` is at least its length, and a text that holds it is
    shortened as if scrubbed whole. With a margin shorter than the form, the first cut would fall inside
    it, in nested escapes, where it is not masked as a start cut off, and its escapes would be shown."""
    redactor = Redactor([LONG_SECRET])
    limit = 80
    form = deepest(longest_plain(LONG_SECRET))
    assert units(form) > 12**3 * len(longest_plain(LONG_SECRET)) * 0.99
    assert units(form) <= redactor.reach()
    text = "key: " + "x" * shift + form + " and more words" * 8
    shortened = redactor.shorten(text, limit)
    assert shortened == reference(redactor, text, limit)
    assert shortened.startswith("key: " + "x" * shift + MASK + " and more words")


# -- 4. what the shortcut is for: a long text is cut before it is scrubbed -----------------------------------


class Recording(Redactor):
    """Remembers the long texts it is asked to scrub: the cuts ``shorten`` makes (the final re-scrub of
    what is shown is a few hundred characters at most)."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__(secrets)
        self.cuts: list[str] = []

    def _found(self, text: str, truncated: bool) -> tuple[str, list[tuple[int, int]]]:
        if len(text) > 1000:
            self.cuts.append(text)
        return super()._found(text, truncated)


@pytest.mark.parametrize("fold", [False, True])
@pytest.mark.parametrize("offset", range(6))
def test_a_long_text_is_cut_limit_plus_reach_units_in(offset: int, fold: bool) -> None:
    """Scrubbing megabytes to show a few hundred characters took minutes: a text with nothing to mask
    is scrubbed once, cut ``limit`` plus ``reach`` units in (and the three units ``first_cut`` says).
    Counted in units: a run of whitespace is one, taken whole wherever the cut falls (``offset`` moves
    the runs against it), and an astral character is one, like any other. Counted in characters, the
    cut would hold fewer units and be cut again; starting closer, it would be cut four times."""
    limit = 300
    redactor = Recording([SECRET])
    # Seven units in eleven characters, for twice the first cut: cut once, as much again left out.
    text = "x" * offset + "wörd😀, \n\t  " * (2 * first_cut(redactor, limit) // 7)
    shortened = redactor.shorten(text, limit, fold=fold)
    assert redactor.cuts == [take(text, first_cut(redactor, limit))]
    assert shortened == cut_as_promised(redactor, scrubbed_whole((SECRET,), text), limit, fold=fold)


def test_a_long_text_of_masks_is_cut_twice_as_far_each_time() -> None:
    """Masks shrink what a cut settles: the cut goes twice as far each time, never less far (which would
    show the cut's end) and not by more than doubling (the work stays linear)."""
    limit = 80
    redactor = Recording([SECRET])
    cut = first_cut(redactor, limit)
    text = masked_stretch(SECRET, cut * 3 // 2) + " and then words" * 20 + "q" * 3 * cut
    shortened = redactor.shorten(text, limit)
    # What a cut settles is all but its last ``reach`` units: masks only, until the cut is four times the
    # first (masks for a cut and a half of it, then words).
    assert [units(head) for head in redactor.cuts] == [cut, 2 * cut, 4 * cut]
    assert shortened == reference(redactor, text, limit)


# -- 5. units: a run of whitespace is one, however long ------------------------------------------------------


@pytest.mark.parametrize("length", [2, 80, 101, 1_001, 65_537, 1_000_000])
def test_a_run_of_any_length_is_one_unit_and_never_split(length: int) -> None:
    """Views read a run as one space however long it is, so the margin counts it as one unit, and a cut
    takes it whole: cut inside it, a start of a secret before it would look cut off. Runs longer than any
    short test text included (a cap on a run's length would split it into several units)."""
    run = (" \t\n\r\u3000" * length)[:length]
    text = "ab" + run + "cd" + run + "e"
    assert reach_units(text) == units(text) == 7
    assert prefix_end(text, 2) == 2
    assert prefix_end(text, 3) == 2 + length  # the run, whole
    assert prefix_end(text, 5) == 4 + length
    assert prefix_end(text, 6) == len(text) - 1
    assert prefix_end(text, 7) == prefix_end(text, 10**9) == len(text)


# -- 6. any text, any secrets --------------------------------------------------------------------------------

SECRET_CHARACTERS = st.one_of(
    st.sampled_from(list("\"'\\&<>%+;#= .…é€😀\n\t|\u2028\xa0")),
    st.characters(min_codepoint=0x21, max_codepoint=0x7E),
)
SECRETS = st.one_of(
    st.sampled_from([SECRET, ODD, SPACY, "\t \t \t \t", "ZqZqZqZqZq"]),
    st.text(SECRET_CHARACTERS, min_size=MIN_SECRET_LENGTH - 2, max_size=24).map(lambda rest: "Zq" + rest),
)
ENCODER_NAMES = st.sampled_from(sorted(ENCODERS))
# The noise the scale tests put around secrets, and what a shortened text also meets: masks, astral
# characters and the quotes and brackets a form can end in.
NOISE = st.sampled_from([MASK, *SCALE_NOISE, "😀" * 3, "\U0010fffd", '"', ")"])


def pieces(secret: str) -> st.SearchStrategy[str]:
    """Forms of the secret, starts of them (at the end of a text, a start cut off), near misses (a start,
    then something else), whitespace runs long and short, escapes and marks."""
    write = ENCODER_NAMES.map(lambda name: ENCODERS[name])
    cut = st.integers(1, len(secret) - 1)
    return st.one_of(
        write.map(lambda encode: encode(secret)),
        st.tuples(write, cut).map(lambda w: w[0](secret[: w[1]])),
        st.tuples(write, cut).map(lambda w: w[0](secret[: w[1]] + "X")),
        st.integers(1, 300).map(lambda n: " " * n),
        st.integers(1, 40).map(lambda n: "\n\t " * n),
        NOISE,
        st.text(st.sampled_from(list("ab01 .,-\\&#;%xu\n😀")), max_size=30),
    )


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.data(),
    secret=SECRETS,
    limit=st.integers(0, 200),
    mark=st.sampled_from(["…", "...", " ... [truncated]", ""]),
    fold=st.booleans(),
)
def test_a_text_is_shortened_as_if_scrubbed_whole_then_cut(
    data: st.DataObject, secret: str, limit: int, mark: str, fold: bool
) -> None:
    """Texts shorter than the first cut, scrubbed whole by ``shorten`` too: every encoding, starts of the
    secret at the end or before the cut, runs that folding shrinks, astral characters, limits from none
    to a few hundred."""
    redactor = Redactor([secret, "Zp-second-secret"])
    text = "".join(data.draw(st.lists(pieces(secret), max_size=12), label="pieces"))
    shortened = redactor.shorten(text, limit, mark=mark, fold=fold)
    assert shortened == reference(redactor, text, limit, mark, fold)
    assert len(shortened) <= max(limit, len(mark))


LONG_PIECES = st.sampled_from(
    ["form", "start", "near miss", "start and run", "deepest", "deepest, cut short"]
)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    secret=st.sampled_from([SECRET, ODD, SPACY]),
    encoder=ENCODER_NAMES,
    kind=LONG_PIECES,
    inside=st.one_of(st.integers(-20, 40), st.sampled_from([100, 1_000, 20_000])),
    limit=st.sampled_from([MIN_SECRET_LENGTH, 80, 300]),
    mark=st.sampled_from(["…", " ... [truncated]"]),
    fold=st.booleans(),
)
def test_a_long_text_is_shortened_as_if_scrubbed_whole_then_cut(
    secret: str, encoder: str, kind: str, inside: int, limit: int, mark: str, fold: bool
) -> None:
    """Masks first (a few characters for a cut's worth of units), then a form of the secret, a start of
    one or a near miss, beginning ``inside`` units before the first cut (after it when negative: the cut
    falls among the masks), then words and runs. The first cut falls inside the piece or near it, and what
    it settles is masks only: the piece and what follows come into view only as the whole text's scrub
    shows them, or as a wrong shortcut does."""
    redactor = Redactor([secret])
    cut = first_cut(redactor, limit)
    form = ENCODERS[encoder](secret)
    piece = {
        "form": form,
        "start": ENCODERS[encoder](secret[:-1]),
        "near miss": ENCODERS[encoder](secret[:-1] + "X"),
        "start and run": ENCODERS[encoder](secret[:-1]) + " " * 3000,
        "deepest": deepest(secret),
        "deepest, cut short": deepest(secret)[: max(inside + 1, 1)],  # then words: a near miss
    }[kind]
    before = masked_stretch(secret, cut - inside) if inside < cut else ""
    text = before + piece + " then words,   and runs\n" * 20 + "q" * 500
    shortened = redactor.shorten(text, limit, mark=mark, fold=fold)
    assert shortened == reference(redactor, text, limit, mark, fold)


@pytest.mark.parametrize("character", ["`", "|", "é", "⇒", "€"])
def test_a_characters_reach_covers_its_longest_named_entity(character: str) -> None:
    """The redactor reads named entities (``&DiacriticalGrave;`` is a "`"): how far a match reading as a
    character may stretch is at least its longest such name, or a cut could split one unseen."""
    from html.entities import html5

    from endpointctl.core.redact_reach import expansion

    names = [name for name, value in html5.items() if value == character and name.endswith(";")]
    assert names, character
    assert expansion(character) >= max(len("&" + name) for name in names)
