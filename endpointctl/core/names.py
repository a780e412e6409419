"""PURE: what an endpoint name may be, as the API takes it: lowercase letters, digits and '-', starting and
ending with a letter or digit, at most 32 characters (reference §3: a name outside this is a 400); and a
model repository id.

Light on purpose (the command line checks names before it loads anything else): a name given as NAME is
checked here before any call, since huggingface_hub puts it into a URL path as it is ('..', '/', '?').
"""

from __future__ import annotations

import re

NAME_RE = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
NAME_MAX = 32
# A Hub model repository id, owner/name: the same repository whatever its case (the Hub redirects).
REPOSITORY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$")


def name_problem(name: str) -> str | None:
    """Everything wrong with ``name`` said at once (with a likely meant name), or None when it is one."""
    if len(name) <= NAME_MAX and NAME_RE.fullmatch(name):
        return None
    if not name:
        return "an endpoint name cannot be empty"
    faults: list[str] = []
    if len(name) > NAME_MAX:
        faults.append(f"it is {len(name)} characters long, at most {NAME_MAX} are allowed")
    if not NAME_RE.fullmatch(name):
        faults.append("use only a-z, 0-9 and '-', starting and ending with a letter or digit")
    suggestion = re.sub(r"[^a-z0-9]+", "-", name.lower())[:NAME_MAX].strip("-")
    hint = f" (did you mean '{suggestion}'?)" if suggestion and suggestion != name else ""
    return f"invalid endpoint name {name!r}: " + "; ".join(faults) + hint


def name_key(name: str) -> str:
    """A listed name as endpoints are told apart, whatever case or blanks an answer spells it with: two
    items of one listing with one key are one endpoint listed twice, never two to act on."""
    return name.strip().casefold()
