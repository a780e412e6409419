"""PURE: a duration as people type one on a command line: ``30s``, ``10m``, ``2h``, ``1d``, ``1h30m``.

Shared by ``logs --since`` and ``schedule hold --for``, so both read one spelling the same way; each
command sets its own longest.
"""

from __future__ import annotations

import re

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"(?:(\d{1,7})([smhd]))+")
_PART = re.compile(r"(\d{1,7})([smhd])")


def parse_duration(text: str) -> float:
    """Seconds in a duration (at least 1s; case and surrounding blanks ignored); ValueError saying why not."""
    compact = text.strip().lower()
    if not _DURATION.fullmatch(compact):
        raise ValueError(
            f"{text!r} is not a duration: give a number and a unit (s, m, h or d), e.g. 10m or 1h30m"
        )
    seconds = sum(int(number) * _UNITS[unit] for number, unit in _PART.findall(compact))
    if seconds <= 0:
        raise ValueError(f"{text!r} is no time at all: give a duration of at least 1s")
    return float(seconds)
