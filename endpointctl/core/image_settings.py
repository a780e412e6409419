"""PURE: what each ``model.image`` setting holds, as the API takes it: text, a flag, or a count.

One rule for both directions: a manifest's value outside it is a validation error, and a value the API
reports outside it is left out of an export (a manifest could not hold it).
"""

from __future__ import annotations

from typing import Any

from endpointctl.core.strict import Expanded, expanded_number

# What each image setting holds, as the API takes it (``credentials`` is checked with the secrets).
_IMAGE_TEXTS = frozenset({"url", "healthRoute", "quantize", "pooling", "modelPath"})
_IMAGE_FLAGS = frozenset({"disableCustomKernels"})
_IMAGE_COUNTS = frozenset(
    {
        "port",
        "maxBatchPrefillTokens",
        "maxBatchTotalTokens",
        "maxInputLength",
        "maxTotalTokens",
        "ctxSize",
        "nParallel",
        "tensorParallelSize",
        "dataParallelSize",
    }
)
_PORT_MAX = 65535


def as_sent(key: str, value: Any) -> Any:
    """A setting's value as the API takes it: a count that ``${VAR}`` expansion produced is a number.

    Sent as the text "8080", the API would be asked for a string where it takes a number, and the plan
    could never compare it with the 8080 it reports (another JSON type is unknown, never drift), so a
    changed variable would never be applied.
    """
    return expanded_number(value) if key in _IMAGE_COUNTS else value


def setting_problem(key: str, value: Any) -> str | None:
    """Why an image setting's value is not what the API takes, or None. A manifest's is refused at
    validation (the API would refuse it only at the create or update, after other endpoints' changes went
    out); one the API reports is left out of an export. Values are not shown (a URL may hold a login)."""
    if isinstance(value, Expanded) and key not in _IMAGE_TEXTS:
        value = expanded_number(value)
    if key in _IMAGE_TEXTS:
        return None if isinstance(value, str) and value.strip() else "expected a non-empty string"
    if key in _IMAGE_FLAGS:
        return None if isinstance(value, bool) else "expected true or false"
    if key not in _IMAGE_COUNTS:
        return None
    top = _PORT_MAX if key == "port" else None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1 or (top and value > top):
        return f"expected a whole number from 1 to {top}" if top else "expected a whole number, 1 or more"
    return None
