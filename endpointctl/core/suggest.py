"""PURE: the "did you mean" of every message that names an unknown word (a key, a region, a holiday code)."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import Any


def did_you_mean(word: Any, choices: Sequence[str]) -> str:
    """`` (did you mean 'X'?)`` for the closest of ``choices``, or "" when none is close or it is ``word``.

    Case-insensitive, so `InstanceType`, `GPU` or `Intel-SPR` still find their match.
    """
    if not isinstance(word, str):
        return ""
    lowered = {choice.lower(): choice for choice in choices}
    close = difflib.get_close_matches(word.lower(), list(lowered), n=1)
    return f" (did you mean '{lowered[close[0]]}'?)" if close and lowered[close[0]] != word else ""
