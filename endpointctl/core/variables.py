"""PURE: ``ENDPOINTCTL_VARIABLES``, the manifests' ``${VAR}`` values given as one text instead of one
environment variable each: a ``NAME=value`` a line; blank lines and lines starting with ``#`` are skipped,
a line's trailing CR is dropped (a secret saved on Windows), and a value is everything after the first
``=``, spaces included.

Every value given here is treated as a secret, whatever the manifest does with it: masked in all output
from the start of the run (``sensitive``), as the GitHub workflows mask each one in the log — every value
the redactor masks at all (``MIN_SECRET_LENGTH`` characters or more: a shorter one would mask ordinary
words). Give values that are not secret through the environment.

Why it exists: a CI secret holding every value (the GitHub workflows' ``ENDPOINT_SECRETS``) once had to be
exported a variable a line, and a line named ``PATH``, ``LD_PRELOAD``, ``HTTPS_PROXY`` or one of the step's
own inputs changed what the step ran — no list of refused names is ever complete. Read here, a name reaches
nothing but the manifests' expansion. A value given here wins over an environment variable of that name.

No message here ever shows a value, or a line that is not ``NAME=value`` (it may be a pasted secret).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

VARIABLES = "ENDPOINTCTL_VARIABLES"
NAME_PATTERN = r"[A-Za-z_][A-Za-z0-9_]*"  # a variable name, as ${NAME} and this text take it
_NAME = re.compile(NAME_PATTERN)


class VariablesError(ValueError):
    """Lines of ``ENDPOINTCTL_VARIABLES`` that are not ``NAME=value``, by line number."""


def parse(text: str) -> dict[str, str]:
    """The values ``text`` gives, by name; raises naming every bad line at once."""
    values: dict[str, str] = {}
    lines: dict[str, int] = {}
    problems: list[str] = []
    # "\n" only: str.splitlines would also cut a value at a form feed, a U+2028 or a "\x1c".
    for number, raw in enumerate(text.split("\n"), 1):
        line = raw.removesuffix("\r")
        if not line.strip() or line.startswith("#"):
            continue
        name, equals, value = line.partition("=")
        if not equals or not _NAME.fullmatch(name):
            problems.append(f"line {number} is not NAME=value (a letter or _, then letters, digits or _)")
        elif name in values:  # the name unsaid: a secret pasted whole can read as a NAME=value line
            problems.append(f"line {number} repeats the name of line {lines[name]}")
        else:
            values[name], lines[name] = value, number
    if problems:
        raise VariablesError(f"{VARIABLES}: " + "; ".join(problems))
    return values


def sensitive(text: str) -> list[str]:
    """Every value ``text`` may hold, read leniently (before it is checked): what follows each line's first
    ``=``, and whole each line that is not ``NAME=value``, or whose value is no more than ``=`` (a
    base64 or base32 secret pasted whole reads as a NAME and its padding), so that even a malformed text
    shows none."""
    found: list[str] = []
    for raw in text.split("\n"):
        line = raw.removesuffix("\r")
        name, equals, value = line.partition("=")
        if value.strip("="):
            found.append(value)
        if not equals or not _NAME.fullmatch(name) or not value.strip("="):
            found.append(line)
    return [value for value in found if value.strip()]


def interpolation_environment(environ: Mapping[str, str]) -> Mapping[str, str]:
    """What the manifests' ``${VAR}``s read: the environment, with ``ENDPOINTCTL_VARIABLES``'s values over
    it and the variable itself left out (no manifest needs every value at once)."""
    text = environ.get(VARIABLES)
    if text is None:
        return environ
    merged = {name: value for name, value in environ.items() if name != VARIABLES}
    merged.update(parse(text))
    return merged
