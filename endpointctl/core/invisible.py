"""PURE: the characters that change what a reader sees without showing themselves.

Text from outside (names, messages, log lines, a manifest's keys) is shown with these as escapes, in a
terminal, a table, a comment or a YAML or JSON string, so that what is read is what is there:
- the bidirectional marks, overrides, embeddings and isolates (a name that reads "prod" but is "dorp"
  reversed), and the line and paragraph separators (a line break to YAML and to some terminals);
- zero-width and blank-looking characters: the zero-width space, the word joiner and the invisible
  operators, the soft hyphen, the Hangul and Mongolian fillers, the interlinear annotation marks, the
  deprecated format characters and the BOM (two names that look the same).
Joiners (U+200C, U+200D) are left alone: scripts and emoji sequences need them.

``INVISIBLE`` is a regular-expression character class body of characters in the Basic Multilingual
Plane, each written as a ``\\uXXXX`` escape by JSON and YAML alike; ``TAGS`` (U+E0000-U+E007F, invisible
"tag" characters that can spell hidden text) lie beyond it and are escaped only where text is shown.
"""

from __future__ import annotations

INVISIBLE = (
    "\u00ad\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b\u200e\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f"
    "\u3164\uffa0\ufeff\ufff9-\ufffb"
)
TAGS = "\U000e0000-\U000e007f"


def escape(code: int) -> str:
    """A character as the escape that shows it: ``\\xNN`` for a control character (C0, DEL, C1),
    ``\\uXXXX`` for another, ``\\UXXXXXXXX`` beyond the Basic Multilingual Plane."""
    if code <= 0x9F:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


# What GitHub's runner reads as a workflow command in a log line: "::" starting it, "##[" anywhere. YAML
# that may be shown there double-quotes a string holding either, where "##[" is written "\x23#[" (and a
# line a fold starts with "::" can be made inert by an escape): the same data, read back.
WORKFLOW_COMMAND_MARKS = ("::", "##[")
