"""PURE: ``ENDPOINTCTL_VARIABLES``, the manifests' ``${VAR}`` values given as one text instead of one
environment variable each: a ``NAME=value`` a line; blank lines and lines starting with ``#`` are skipped,
a line's trailing CR is dropped (a secret saved on Windows), and a value is everything after the first
``=``, spaces included.

Why it exists: a CI secret holding every value (the GitHub workflows' ``ENDPOINT_SECRETS``) once had to be
exported a variable a line, and a line named ``PATH``, ``LD_PRELOAD``, ``HTTPS_PROXY`` or one of the step's
own inputs changed what the step ran — no list of refused names is ever complete. Read here, a name reaches
nothing but the manifests' expansion. A value given here wins over an environment variable of that name.

No message here ever shows a value, or a line that is not ``NAME=value`` (it may be a pasted secret).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from endpointctl.manifest.interpolate import NAME_PATTERN

VARIABLES = "ENDPOINTCTL_VARIABLES"
_NAME = re.compile(NAME_PATTERN)


class VariablesError(ValueError):
    """Lines of ``ENDPOINTCTL_VARIABLES`` that are not ``NAME=value``, by line number."""


def parse(text: str) -> dict[str, str]:
    """The values ``text`` gives, by name; raises naming every bad line at once."""
    values: dict[str, str] = {}
    problems: list[str] = []
    # "\n" only: str.splitlines would also cut a value at a form feed, a U+2028 or a "\x1c".
    for number, raw in enumerate(text.split("\n"), 1):
        line = raw.removesuffix("\r")
        if not line.strip() or line.startswith("#"):
            continue
        name, equals, value = line.partition("=")
        if not equals or not _NAME.fullmatch(name):
            problems.append(f"line {number} is not NAME=value (a letter or _, then letters, digits or _)")
        elif name in values:
            problems.append(f"line {number} gives {name} again")
        else:
            values[name] = value
    if problems:
        raise VariablesError(f"{VARIABLES}: " + "; ".join(problems))
    return values


def interpolation_environment(environ: Mapping[str, str]) -> Mapping[str, str]:
    """What the manifests' ``${VAR}``s read: the environment, with ``ENDPOINTCTL_VARIABLES``'s values over
    it and the variable itself left out (no manifest needs every value at once)."""
    text = environ.get(VARIABLES)
    if text is None:
        return environ
    merged = {name: value for name, value in environ.items() if name != VARIABLES}
    merged.update(parse(text))
    return merged
