"""PURE: how much of a text a secret's form can take, so that a long text can be cut before it is
scrubbed (``Redactor.shorten``) without a form straddling the cut unseen.

Lengths are counted in units: a character, or a whole run of whitespace, which the views read as one
space however long it is (YAML's folds and indentation). A form is a secret's value (or one of its
base64 forms) written through up to ``MAX_DEPTH`` encodings. Each encoding writes a character in at
most as many units as the longest single match any decoder reads as that character (``expansion``):
ten for any character (``\\U0010FFFF``, ``&#1114111;``, ``&#x10FFFF;``), three per UTF-8 byte
(``%F0%9F%98%80``), twelve for a surrogate pair, and up to 33 for a named entity (``&ClockwiseContour
Integral;``); plus ``FOLD`` for a fold before it (an escaped line break: a backslash and a run of
whitespace). The characters of an escape are themselves ASCII that no decoder reads from more than ten,
so every further encoding multiplies by at most ``ratio``. At each end of a form, one match may also be
shared with the characters around it (an entity decoding to more than what the form holds), at most
``EDGE`` units per end and level. Chains compound: a 40-character token's base64 form is about 53
characters, so its longest form is about 53 · 12³ ≈ 92 000 units.

Not counted, since no encoder writes them: more than one fold between two characters, or a fold inside
an inner encoding whose whitespace was escaped character by character. Such a form is still masked
whole wherever it lies inside what is scrubbed; and since a start of a secret cut off at the end of a
text scrubbed as cut is masked, only one whose first ``MIN_SECRET_LENGTH`` characters alone take more
than the margin could cross the cut unmasked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache

from endpointctl.core.redact_views import LOOKAHEAD, MAX_DEPTH

ANY = 10  # units any decoder needs at most for any character: \U0010FFFF, &#1114111;, &#x10FFFF;
FOLD = 2  # a fold before a character: an escaped line break's backslash and its run of whitespace
EDGE = 34  # the longest single match ("&", a 32-character name, ";")


@cache
def _named() -> dict[str, int]:
    """For each character, the most units an entity takes per character it decodes to, itself among
    them (the decoder reads only entities closed by ";"). Built when first asked: a command that shows
    nothing a secret could be in (``--help``) neither imports the 2,000 entities nor walks them."""
    from html.entities import html5

    longest: dict[str, int] = {}
    for name, value in html5.items():
        if name.endswith(";"):
            share = -(-(len(name) + 1) // len(value))
            for character in value:
                longest[character] = max(longest.get(character, 0), share)
    return longest


@cache
def expansion(character: str) -> int:
    """The most units one match of any decoder takes to read as ``character``."""
    utf8 = len(character.encode("utf-8", "surrogatepass"))
    return max(ANY, 3 * utf8, _named().get(character, 0))


def reach(forms: Iterable[str]) -> int:
    """The most units the longest form of any of ``forms`` may take, twice, plus how far from a cut a
    view of the text before it may differ from one of the whole text (a match cut short, ``LOOKAHEAD``,
    read again by each further decoder from at most ``EDGE`` units a character)."""
    longest = 0
    for form in forms:
        expansions = [expansion(character) + FOLD for character in form]
        ratio = max([ANY + FOLD, *expansions])
        units = sum(expansions) + 2 * EDGE
        for _ in range(MAX_DEPTH - 1):
            units = ratio * units + 2 * EDGE
        longest = max(longest, units)
    settling = reread = LOOKAHEAD
    for _ in range(MAX_DEPTH - 1):
        reread *= EDGE
        settling += reread
    # Twice the longest form: one straddling the cut is found in the whole text and not in the cut one
    # (or only its start, as cut off), and a form overlapping it, whose mask merges with its own, may
    # begin as far again before that.
    return 2 * longest + settling


_RUN = re.compile(r"\s{2,}")


def units(text: str) -> int:
    """How many units ``text`` takes."""
    return len(text) - sum(run.end() - run.start() - 1 for run in _RUN.finditer(text))


def prefix_end(text: str, units: int) -> int:
    """Where the first ``units`` units of ``text`` end (its length if it has fewer; none if ``units`` is
    not positive: a margin may be more than all of a text that masks shrank)."""
    if units <= 0:
        return 0
    at = counted = 0
    for run in _RUN.finditer(text):
        start, end = run.span()
        if counted + start - at >= units:
            break
        counted += start - at + 1
        at = end
        if counted >= units:
            return at
    return min(len(text), at + units - counted)
