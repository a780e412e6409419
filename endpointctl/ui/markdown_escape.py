"""Text from outside as GitHub-flavoured markdown that shows it as it is and does nothing else.

Names, model ids, messages, values and error text come from the API and from manifests, and the markdown
is posted to a pull request (a job summary, a sticky comment). There, text that is not escaped could
break the table (``|``, a newline), format itself (``*``, ``_``, ``~``, ``$`` math, links), run as HTML
(``<script>``, an ``<img>``), hide what follows or forge the sticky comment's marker (``<!-- -->``),
ping people (``@someone``, ``@org/team``), or cross-reference issues (``#12``, ``org/repo#12``).

So, for every piece of such text:

- a line break (CR, LF, CRLF) or a tab becomes a space: a cell is one line, and a row one line;
- other control characters, lone surrogates and the invisible characters the terminal shows as escapes
  (bidirectional overrides, zero-width spaces: ``escapes.printable``) are shown the same way here;
- every character markdown or HTML gives a meaning (``& < > | \\ ` * _ ~ [ ] $``), and ``:`` (so that
  no ``https:`` or ``mailto:`` becomes a link), is written as an HTML character reference. A reference
  is literal text to markdown (``&#42;`` never starts emphasis, and ``&#124;`` never splits a cell),
  shows as the character itself in a table cell and inside an HTML block such as ``<summary>`` alike
  (a backslash escape would show its backslash there), and leaves no raw ``<!--`` in the comment's
  source for a marker search to find. The output sink's redactor reads HTML references too, so a
  secret it masks is still found in this form;
- a word that GitHub would turn into a mention, a reference, an emoji or a link once the markdown is
  rendered (these act on the rendered text, where a reference is already its character again: ``&#64;``
  still pings) is put inside ``<code>``, where GitHub does none of that: ``@alice`` shows as
  ``<code>@alice</code>``, visible and exact, with nothing invisible inserted. (An e-mail address
  still becomes a ``mailto:`` link inside it: a link, not a notification.)

The only raw HTML in the output is the renderer's own: ``<code>``, ``<br>``, ``<details>`` and
``<summary>``. Secret values never reach ``ui``; error text that quotes one is scrubbed by the caller
before it is escaped here (``markdown.Cells``), and the whole output again by the sink.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from endpointctl.ui.escapes import printable

_LINE_BREAK = re.compile(r"\r\n|[\r\n\t]")
_ENTITIES = {
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    "|": "&#124;",
    "\\": "&#92;",
    "`": "&#96;",
    "*": "&#42;",
    "_": "&#95;",
    "~": "&#126;",
    "[": "&#91;",
    "]": "&#93;",
    "$": "&#36;",
    ":": "&#58;",
}
_SPECIAL = re.compile("[" + re.escape("".join(_ENTITIES)) + "]")
# GitHub links "www." after a space or a bracket even inside <code>; not "www&#46;".
_WWW = re.compile(r"(www)\.", re.IGNORECASE)
# What GitHub links once rendered: mentions and e-mail addresses (@), issue and pull request references
# (#12, org/repo#12, GH-12), URLs (scheme:// and www.) and emoji shortcodes (:name:).
_ACTIVE = re.compile(r"[@#]|://|www\.|gh-[0-9]|:[^\s:]+:", re.IGNORECASE)
_WORD = re.compile(r"\S+")


def one_line(text: str) -> str:
    """``text`` on one line: line breaks and tabs as spaces, other invisible characters as escapes."""
    return printable(_LINE_BREAK.sub(" ", text))


def _references(text: str) -> str:
    return _WWW.sub(r"\1&#46;", _SPECIAL.sub(lambda m: _ENTITIES[m.group()], text))


def code(text: str) -> str:
    """``text`` as inline code: for names, model ids, URLs and values. "" stays an empty cell."""
    shown = one_line(text).strip()
    return f"<code>{_references(shown)}</code>" if shown else ""


def _word(match: re.Match[str]) -> str:
    word = match.group()
    return f"<code>{_references(word)}</code>" if _ACTIVE.search(word) else _references(word)


def text(text: str) -> str:
    """``text`` as plain words: for messages, notes and reasons; an active word as inline code."""
    return _WORD.sub(_word, one_line(text)).strip()


def row(cells: Sequence[str]) -> str:
    """One table row of cells already escaped (``text``, ``code``, or the renderer's own markup)."""
    return "| " + " | ".join(cells) + " |"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A GFM pipe table; ``headers`` are the renderer's own words, ``rows`` cells already escaped."""
    lines = [row([text(h) for h in headers]), row(["---"] * len(headers))]
    for cells in rows:
        if len(cells) != len(headers):
            raise ValueError(f"a row of {len(cells)} cells in a table of {len(headers)} columns")
        lines.append(row(cells))
    return "\n".join(lines) + "\n"
