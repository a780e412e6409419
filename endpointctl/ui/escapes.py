"""Text from outside shown as itself: control characters and lone surrogates written as escapes.

Names, messages and values come from the API (or from a manifest's keys and file names), and an ESC
sequence in one would otherwise drive the reader's terminal: retitle it, clear it, hide a line, rewrite
what was printed. A lone surrogate (JSON can carry ``"\\ud83d"``) cannot be encoded at all, so writing it
would crash the command instead.
"""

from __future__ import annotations

import re

from endpointctl.core.invisible import INVISIBLE, TAGS, escape

# C0 (ESC, BEL, CR, newlines and tabs included: a cell is one line), DEL, C1 (where 0x9b is CSI), the
# invisible characters (``core.invisible``), and the surrogates, which only ever come alone in a str (a
# decoder joins a valid pair into one character).
_ONE_LINE = re.compile(f"[\x00-\x1f\x7f-\x9f{INVISIBLE}{TAGS}\ud800-\udfff]")
# The same less newline and tab: in text printed as lines, those only move the cursor on, as meant. JSON
# and YAML documents pass through here whole: they escape the tag characters their own way before
# (``render.dump``, ``yaml_output.dump``), since a ``\\U`` escape is no JSON.
_LINES = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{INVISIBLE}{TAGS}\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    return escape(ord(match.group()))


def printable(text: str) -> str:
    """``text`` on one line, every control character shown as ``\\xNN``, and an invisible one or a
    surrogate as ``\\uXXXX`` (``\\UXXXXXXXX`` beyond the Basic Multilingual Plane)."""
    return _ONE_LINE.sub(_escape, text)


def terminal_text(text: str) -> str:
    """``printable``, except that newlines and tabs are kept: for text that is printed as lines."""
    return _LINES.sub(_escape, text)


# GitHub's runner reads a line of a step's output as a workflow command (``::error``, ``::add-mask::``,
# ``::stop-commands::``) when it starts with "::" once its leading whitespace is trimmed, and the legacy
# form ``##[command]`` anywhere in a line. Text from outside (an API's error, a container's log line) on
# stderr cannot be fenced off without fencing off endpointctl's own annotations too: so the character
# that would start a command is shown as an escape, as control characters are.
_COMMAND_START = re.compile(r"^(\s*):(?=:)")


def inert(line: str) -> str:
    """``line`` as GitHub's runner reads no workflow command in it."""
    return _COMMAND_START.sub(r"\1\\x3a", line).replace("##[", "\\x23#[")
