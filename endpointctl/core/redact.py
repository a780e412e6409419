"""PURE: scrub secret values from any text before it leaves the process, in every encoding they may wear.

Every stream endpointctl writes (stdout, stderr, huggingface_hub's debug log, JUnit XML) passes through
one ``Redactor``. It knows the token and every sensitive value of the loaded manifests (secret values
and registry passwords: ``Desired.sensitive_values``) and masks them as they may appear on the way out:

- raw, and base64 (an API may echo a request body encoded, the secret JSON-escaped inside), found by
  plain search;
- escaped, one encoding inside another: JSON (``\\"``, ``\\\\``, ``\\n``, ``\\u00e9``, surrogate
  pairs), YAML double-quoted and Python repr (``\\xE9``, ``\\U0001F600``, ``\\N``), a table's
  control characters (``\\x1b``, backslashes left alone), XML and HTML (``&amp;``, ``&quot;``,
  ``&#10;``, ``&#x27;``), URL (``%22``, and ``+`` for a space), YAML single quotes (``''``) and shell
  quotes (``'"'"'``);
- folded over lines, as YAML prints a long value: a space turned into a line break and indentation,
  or an escaped line break (``\\``, then the break and indentation) anywhere.

Escapes are not enumerated per secret (encoders differ: upper or lower hex, which characters they
escape, in which order they nest). The text is decoded instead, into views: every chain of up to
``MAX_DEPTH`` decoders that changes it, each view with whitespace runs read as one space (the folding),
and every character of a view remembering the stretch of the text it came from. A secret found in a
view, compared with its own whitespace read the same way, masks that stretch of the text. Decoding
something that was never encoded (a literal ``%41``) only makes a view in which nothing is found, so
ordinary output is left as it was; each decoder has its own views because decoding one encoding in a
text of another would garble a secret that holds that encoding's escape character.

No start of a secret survives a cut either: one of ``MIN_SECRET_LENGTH`` characters or more that is
cut off — just before a truncation mark (``…``, ``...``, ``[truncated]``) or, in a text that may have
been cut (``truncated=True``, ``shorten``), at its end — is masked, even when the cut fell inside an
escape. A start followed by other characters is left alone, so a URL secret does not mask every
``https://`` in sight. Whoever cuts or folds a message scrubs it first, with ``shorten``, so a cut can
never split a secret out of its mask.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from types import MappingProxyType

from endpointctl.core.redact_reach import prefix_end, reach, units
from endpointctl.core.redact_views import MAX_DEPTH, View, views

__all__ = ["MASK", "MAX_DEPTH", "MIN_SECRET_LENGTH", "TRUNCATION_MARKS", "Redactor"]

MASK = "***"
# The shortest value a manifest may hold as a secret (a ``spec.model.secrets`` value or an image's registry
# password): ``manifest.load`` refuses shorter ones, and the redactor ignores shorter values and base64
# fragments. The two must agree. Masking every occurrence of a short string would garble ordinary output
# ("main", "x2", a port) and so reveal the value anyway, by where the masks fall; refusing it up front is
# the only honest answer. Hugging Face tokens are far longer (hf_ plus 34 characters). It is also the
# shortest start of a secret masked at a cut.
MIN_SECRET_LENGTH = 8
# How Hugging Face tokens begin (a user's, an organization's): a secret that does is a token.
TOKEN_PREFIXES = ("hf_", "api_org_")
# How many of a token's own characters, after its prefix, make a start of it that is masked wherever it
# stands: five random characters are in no other text, while the prefix alone ("api_org_") is ordinary
# words about tokens.
TOKEN_START_RANDOM = 5
# What servers and libraries put where they cut a text (huggingface_hub's debug log: " ... [truncated]").
TRUNCATION_MARKS = ("…", "...", "[truncated]", "(truncated)")


def _masked_forms(secret: str) -> set[str]:
    """What plain search replaces: the value itself, as a manifest escapes it, and its base64 forms.

    Base64 hides the secret from views (no decoder reads it), so it is enumerated: the value's own,
    and that of the value as a JSON request body carries it, escaped (an API echoing a whole body
    encoded), both as httpx writes it (non-ASCII raw) and as json.dumps does by default.
    """
    # A manifest's own escape (``$$`` for ``$``, as export writes one): no decoder reads it back, since a
    # literal "$$" is common text.
    forms = {secret, secret.replace("$", "$$")}
    for carried in {secret, json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]}:
        raw = carried.encode()
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            encoded = encode(raw).decode()
            forms.add(encoded)
            forms.add(encoded.rstrip("="))
            # Inside a longer base64 text the value starts at one of three byte offsets; at each, only
            # the characters that encode its bytes alone are fixed.
            for shift in range(3):
                shifted = encode(b"\0" * shift + raw).decode()
                first = -(-8 * shift // 6)  # the first character without bits of the bytes before
                last = 8 * (shift + len(raw)) // 6  # the first character with bits of the bytes after
                forms.add(shifted[first:last])
    return {form for form in forms if len(form) >= MIN_SECRET_LENGTH}


_SPACE = re.compile(r"\s+")


_NO_EAGER: Mapping[str, tuple[int, int]] = MappingProxyType({})


def _canonical(form: str) -> str:
    """A form as views compare it: whitespace runs as one space, none at the ends."""
    return _SPACE.sub(" ", form).strip()


# -- what a view reveals -------------------------------------------------------------------------------

# Where a secret's start was cut off rather than followed by other characters: before a truncation mark,
# or, in a text that may have been cut, at its end (closing quotes and brackets aside, before either: a
# JSON string cut short still ends with its quote, and a quoted value cut short may be marked after its
# quote, '"Zq-abcde"…') — after what is left of an escape cut in its middle ("\u00", "&#x2",
# "%C3%A", a shell's '"'"), a lone surrogate (a pair cut in two) or the replacement character (a UTF-8
# sequence cut in two), none of which a view decodes.
# An escape inside another may be cut in both at once (a shell's '"'" HTML-escaped and cut in its last
# "&#x2"; a JSON "\\" URL-encoded and cut at "%5C%"): what is left of up to three, one after another.
_LEFT_OF_AN_ESCAPE = (
    r"[\ud800-\udbff\ufffd]?"
    r"(?:\\(?:u[0-9a-fA-F]{0,3}|U[0-9a-fA-F]{0,7}|x[0-9a-fA-F]?)?|&#?[xX]?[0-9A-Za-z]{0,7}"
    r"|(?:%[0-9a-fA-F]{2}){0,3}(?:%[0-9a-fA-F]?)?|'(?:\"(?:'\"?)?|\\'?)?){0,3}"
)
_ESCAPE_REACH = 12  # how far back into a start what is left of an escape may begin
_MARKS = "|".join(re.escape(mark) for mark in TRUNCATION_MARKS)
_CLOSING = r"[\s\"'\])}>]*"
_CUT_OFF = re.compile(_LEFT_OF_AN_ESCAPE + rf"(?={_CLOSING}(?:{_MARKS}))")
_CUT_OFF_OR_ENDING = re.compile(_LEFT_OF_AN_ESCAPE + rf"(?={_CLOSING}(?:{_MARKS}|$))")


def _shared(text: str, at: int, needle: str) -> int:
    """How many characters of ``needle`` the text holds from ``at``: a binary search of comparisons made
    at C speed (compared a character at a time, every near miss of a long secret cost its length in
    Python steps)."""
    low, high = 0, min(len(needle), len(text) - at)
    while low < high:
        middle = (low + high + 1) // 2
        if text.startswith(needle[:middle], at):
            low = middle
        else:
            high = middle - 1
    return low


def _covered(text: str, needle: str, at: int) -> int:
    """Where the chain of occurrences of ``needle`` that overlap one another, from the one at ``at``, ends.

    A secret of one repeated character over a run of it occurs at every position: read one by one, a
    megabyte took seconds. The last occurrence starting inside the stretch so far extends it, so the
    chain is followed a needle's length at a time."""
    end = at + len(needle)
    while (last := text.rfind(needle, at + 1, end + len(needle) - 1)) != -1:
        at, end = last, last + len(needle)
    return end


def _spans(
    view: View,
    needles: dict[str, list[str]],
    truncated: bool,
    eager: Mapping[str, tuple[int, int]] = _NO_EAGER,
) -> Iterator[tuple[int, int]]:
    """The stretches of the source text that hold a needle, or a start of one that was cut off; for a
    needle whose head is in ``eager`` (a token's), a start cut off only when it is longer than the token's
    prefix, and any start at least as long as ``eager`` says, cut off or not. ``needles`` are grouped by
    their first ``MIN_SECRET_LENGTH`` characters, each group searched once."""
    text = view.text
    cut_off = _CUT_OFF_OR_ENDING if truncated else _CUT_OFF
    for head, group in needles.items():
        cut_start, any_start = eager.get(head, (MIN_SECRET_LENGTH, None))
        longest = max(len(needle) for needle in group)
        at = text.find(head)
        while at != -1:
            covered = 0
            for needle in group:
                # Whole, the common case, found at C speed; only a needle's start is compared further.
                if text.startswith(needle, at):
                    chain = _covered(text, needle, at)
                    covered = max(covered, chain)
                    yield view.span(at, chain - 1)
                    continue
                stop = at + _shared(text, at, needle)
                end = _cut_off(text, at, stop, cut_off)
                if end is not None and stop - at >= cut_start:
                    yield view.span(at, end - 1)
                elif any_start is not None and stop - at >= any_start:
                    yield view.span(at, stop - 1)
            # What starts inside the stretch just masked and would end inside it too adds nothing.
            at = text.find(head, max(at + 1, covered - longest + 1))


def _cut_off(text: str, at: int, stop: int, cut_off: re.Pattern[str]) -> int | None:
    """Where a needle's start from ``at`` to ``stop`` ends, with what is left of an escape cut in its
    middle, if it was cut off there; None when other characters follow it. The escape may begin inside
    the start: the "&" of "&a…" is also the secret's own "&". So may the mark, when the secret goes on
    with the mark's first characters (a secret holding "'." cut just after its quote, then "...")."""
    for begin in range(stop, max(stop - _ESCAPE_REACH, at + MIN_SECRET_LENGTH) - 1, -1):
        cut = cut_off.match(text, begin)
        if cut is not None:
            return cut.end()
    return None


def _masked(text: str, spans: Iterable[tuple[int, int]]) -> str:
    pieces: list[str] = []
    last = 0
    for start, end in sorted(set(spans)):  # every view of the same stretch finds it again
        if end <= last:
            continue
        pieces += (text[last : max(start, last)], "" if start < last else MASK)
        last = end
    return "".join(pieces) + text[last:] if pieces else text


def _token_starts(secrets: Iterable[str]) -> dict[str, tuple[int, int]]:
    """For each head (a form's first ``MIN_SECRET_LENGTH`` characters) of a token's forms: how long a start
    of it must be to be masked where a cut ends it, and wherever it stands.

    Wherever it stands, not only at a cut: an API error quoting the first characters of the token it was
    sent shows none of them. That start must hold the prefix and ``TOKEN_START_RANDOM`` random characters,
    which no other text holds. At a cut, one character past the prefix is the token's: the prefix alone
    ("api_org_…", as texts about token formats write it) is not. A manifest's secret may start with a word
    ("postgres://"), so only its cut-off starts are masked, from ``MIN_SECRET_LENGTH`` on.
    """
    starts: dict[str, tuple[int, int]] = {}
    for secret in secrets:
        prefix = next((p for p in TOKEN_PREFIXES if secret.startswith(p)), None)
        if prefix is None:
            continue
        cut = max(MIN_SECRET_LENGTH, len(prefix) + 1)
        anywhere = max(MIN_SECRET_LENGTH, len(prefix) + TOKEN_START_RANDOM)
        for form in _masked_forms(secret):
            head = _canonical(form)[:MIN_SECRET_LENGTH]
            was = starts.get(head, (cut, anywhere))
            starts[head] = (min(was[0], cut), min(was[1], anywhere))
    return starts


class Redactor:
    """Shared by every writer of one process (the output sink, the hub's debug log, progress displays).

    Secrets are added from any thread while others scrub. Without a lock (this layer has no threads):
    ``list.append`` is atomic, and ``scrub`` rebuilds the masked forms whenever the number of secrets it
    last built them from has changed, from a copy of the list. A form built from an older copy is
    replaced at the next call, so no secret is ever dropped.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: list[str] = []
        # (secrets counted, plain forms, needles for views), replaced whole so readers see one build.
        self._built: tuple[int, tuple[str, ...], tuple[str, ...], Mapping[str, tuple[int, int]]] = (
            0,
            (),
            (),
            _NO_EAGER,
        )
        # (the plain forms it was worked out from, how far a form may reach): only ``shorten`` needs it.
        self._reach: tuple[tuple[str, ...], int] = ((), 0)
        # (secrets counted, the redactor ``line_by_line`` built from them)
        self._by_line: tuple[int, Redactor] | None = None
        self.add(*secrets)

    def add(self, *secrets: str | None) -> None:
        for secret in secrets:
            # Once is enough (the token is added by more than one owner); a rare duplicate from a race
            # costs only a rebuild.
            if secret and len(secret) >= MIN_SECRET_LENGTH and secret not in self._secrets:
                self._secrets.append(secret)

    def _current(self) -> tuple[tuple[str, ...], tuple[str, ...], Mapping[str, tuple[int, int]]]:
        count, forms, needles, eager = self._built
        if count != len(self._secrets):
            secrets = list(self._secrets)
            found: set[str] = set()
            for secret in secrets:
                found |= _masked_forms(secret)
            # Longest first, so a secret that contains another is masked whole.
            forms = tuple(sorted(found, key=len, reverse=True))
            # A secret whose folded form is too short to tell from ordinary words is only searched as is.
            canonical = {_canonical(form) for form in found}
            needles = tuple(sorted((n for n in canonical if len(n) >= MIN_SECRET_LENGTH), key=len))
            eager = _token_starts(secrets)
            self._built = (len(secrets), forms, needles, eager)
        return forms, needles, eager

    def reach(self) -> int:
        """How many units (characters, a run of whitespace counting one) the longest form of any secret
        may take, twice, plus how far from a cut decoding may read differently: the margin ``shorten``
        keeps past its limit when it cuts a long text before scrubbing it (``redact_reach``)."""
        forms, _, _ = self._current()
        built, margin = self._reach
        if built is not forms:
            margin = reach(forms)
            self._reach = (forms, margin)
        return margin

    def line_by_line(self) -> Redactor:
        """For text read one line at a time (an endpoint's logs): a redactor that also knows each line of
        a secret that spans several, as long as that line may be masked (``MIN_SECRET_LENGTH``). A key a
        container prints arrives as lines of its own, and a line in the middle of it is neither the secret
        nor a start of it."""
        secrets = list(self._secrets)
        built = self._by_line
        if built is None or built[0] != len(secrets):
            # Split where log lines are split (str.splitlines: CR, VT, FF, NEL, U+2028 too), not only at \n.
            parts = [part.strip() for secret in secrets for part in secret.splitlines() if part != secret]
            built = (len(secrets), Redactor([*secrets, *parts]))
            self._by_line = built
        return built[1]

    @classmethod
    def joined(cls, redactors: Iterable[Redactor]) -> Redactor:
        """One redactor for the secrets of several (a process-wide log filter). Scrubbing with each in
        turn would not do: one may mask the start of another's longer secret and so hide the rest of it
        from the one that knows it."""
        joined = cls()
        for redactor in redactors:
            joined.add(*list(redactor._secrets))
        return joined

    def scrub(self, text: str, *, truncated: bool = False) -> str:
        """``text`` with every form of every secret masked, and every start of one cut off before a
        truncation mark; with ``truncated`` (a text someone else may have cut, such as a server's
        message), at its end too."""
        return _masked(*self._found(text, truncated))

    def _found(self, text: str, truncated: bool) -> tuple[str, list[tuple[int, int]]]:
        """``text``, and the stretches of it to mask: where plain search and the views found a secret.

        Both read the text as it came. Masking plain forms before the views read it would hide a secret
        that holds another (a DATABASE_URL holding DB_PASSWORD): the inner one's mask breaks the outer
        one, so the views could no longer find it JSON-escaped, URL-encoded or cut off, and all of it
        but the inner secret would show. Overlapping stretches are merged into one mask."""
        forms, needles, eager = self._current()
        spans: list[tuple[int, int]] = []
        for form in forms:
            # Every occurrence, overlapping ones too (a form may begin inside another occurrence of itself),
            # each chain of them as one stretch.
            at = text.find(form)
            while at != -1:
                end = _covered(text, form, at)
                spans.append((at, end))
                at = text.find(form, end)
        if not needles:
            return text, spans
        heads: dict[str, list[str]] = {}
        for needle in needles:
            heads.setdefault(needle[:MIN_SECRET_LENGTH], []).append(needle)
        # A needle is folded (whitespace runs as one space): one without a space is found unfolded.
        found = views(text, fold=any(" " in needle for needle in needles))
        spans += (span for view in found for span in _spans(view, heads, truncated, eager))
        return text, spans

    def shorten(self, text: str, limit: int, *, mark: str = "…", fold: bool = False) -> str:
        """``text`` scrubbed, then folded to one line (``fold``) and cut to ``limit`` characters, ``mark``
        included. Scrubbing comes first, so a cut cannot split a secret out of its mask; the cut text is
        scrubbed again, so no start of a secret ends it. ``text`` is itself read as one that may have
        been cut: what is shortened is another's words (an answer's body), which its server may have
        cut already.

        A long text is cut before it is scrubbed (scrubbing megabytes to show 300 characters took
        minutes). Scrubbed, the cut text differs from the whole text's scrub only in what its last
        ``reach`` units (of the text as it came: masks are laid over it only once all is found) turn into:
        a form straddling the cut, masked as a start cut off, or views read differently near it. What
        comes before them is settled; when it scrubs to more than ``limit`` characters, those are what
        scrubbing the whole text would show. Masks shrink a text (a form of thousands of units is three
        characters), so the text is cut ``limit`` plus ``reach`` units in, then twice as far until enough
        is settled (the whole text at worst: linear all the same) — never kept short, which would show
        the cut's end: a start of a secret too short to be masked there."""
        margin = self.reach()
        cut = limit + 3 + margin  # one past ``limit``, and the whitespace a fold drops at either end
        while True:
            head = text[: prefix_end(text, cut)]
            plain, spans = self._found(head, truncated=True)
            if len(head) == len(text):
                clean = _masked(plain, spans)
                break
            settled = prefix_end(plain, units(plain) - margin)
            clean = _masked(
                plain[:settled], [(start, min(end, settled)) for start, end in spans if start < settled]
            )
            # Folded, what is settled is still a start of the whole text's, folded.
            if len(" ".join(clean.split()) if fold else clean) > limit:
                break
            cut *= 2
        if fold:
            clean = " ".join(clean.split())
        if len(clean) <= limit and len(head) == len(text):
            return clean
        return self.scrub(clean[: max(limit - len(mark), 0)] + mark)
