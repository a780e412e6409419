"""An error answer's body, made one huggingface_hub can read: its status is what counts.

huggingface_hub reads an error answer's JSON body for the server's message before it raises the error
of its status. A body of a shape it does not expect (a list, a string, null, ``errors`` that is not a
list of objects), one nested too deeply to decode, or one not in UTF-8 made that reading fail instead,
so a gateway's 503 with such a body was never retried and read as "an answer endpointctl cannot read".
Such a body is replaced by an empty object before huggingface_hub sees it: the error is then its
status's, with no server message.
"""

from __future__ import annotations

import json
from typing import Any

EMPTY = b"{}"


def _texts(value: Any) -> bool:
    return isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value))


def _readable(data: Any) -> bool:
    """Whether huggingface_hub reads ``data`` for a message without failing (its ``_format``)."""
    if not isinstance(data, dict):
        return False
    error, errors = data.get("error"), data.get("errors")
    if error is not None and not _texts(error):
        return False
    description = data.get("error_description")
    if description is not None and not isinstance(description, str):
        return False
    if errors is None:
        return True
    return isinstance(errors, list) and all(
        isinstance(item, dict) and isinstance(item.get("message", ""), str) for item in errors
    )


def readable_error_body(content: bytes) -> bytes | None:
    """None: ``content`` can be read as it is (JSON of a shape huggingface_hub reads, or text, which it
    quotes); else the body to give it instead."""
    try:
        data = json.loads(content)
    except json.JSONDecodeError:
        return None  # text (an HTML page, a proxy's words): read as text
    except (ValueError, RecursionError):
        return EMPTY  # not UTF-8, or nested deeper than the decoder goes
    return None if _readable(data) else EMPTY
