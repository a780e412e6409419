"""An error answer's body, made one huggingface_hub can read: its status is what counts.

huggingface_hub reads an error answer's body for the server's message before it raises the error of its
status. A few bodies make that reading fail instead (JSON that is not an object, ``errors`` of a shape
it cannot walk, JSON nested too deeply to decode, a body not in UTF-8), so a gateway's 503 with one was
never retried and read as "an answer endpointctl cannot read". Only such a body is replaced, by an empty
one: the error is then its status's, with its reason phrase for a message. Every body huggingface_hub
reads is kept as it came, for the messages and for what tells a quota's 409 from a name's.

Whether huggingface_hub can read a body is asked of huggingface_hub itself: its rules are its own.
"""

from __future__ import annotations

import httpx2
from huggingface_hub.errors import HfHubHTTPError
from huggingface_hub.utils._http import hf_raise_for_status

_NOWHERE = httpx2.Request("GET", "https://error-body.invalid/")


def readable_error_body(status: int, content: bytes) -> bytes | None:
    """None: huggingface_hub raises the error of ``status`` over ``content`` as it is; else the body to
    give it instead (empty). The headers play no part: what huggingface_hub reads of them cannot fail."""
    trial = httpx2.Response(status, content=content, request=_NOWHERE)
    try:
        hf_raise_for_status(trial)
    except HfHubHTTPError:
        return None
    except Exception:
        return b""
    return None  # not an error status to huggingface_hub: nothing to read for
