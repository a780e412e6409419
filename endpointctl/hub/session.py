"""huggingface_hub's plumbing for the hub: the token, a client with timeouts, a scrubbed debug log, and how
an HTTP failure is classified and worded. Part of the one package that talks to huggingface_hub.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx2
from huggingface_hub import get_token
from huggingface_hub.errors import HfHubHTTPError
from huggingface_hub.utils._http import (
    hf_request_event_hook,
    set_client_factory,
)

from endpointctl.core.errors import (
    EndpointctlError,
)
from endpointctl.core.redact import Redactor
from endpointctl.hub.retry import Failure

# The reference documents only the server's default page size (20); a larger page means fewer calls.
# A server that refuses it (400/422) is asked again without ``limit``, and not sent it again.

BODY_EXCERPT = 120  # characters of an unexpected body worth quoting in an error


@dataclass(frozen=True)
class TokenInfo:
    value: str | None
    source: str  # where it came from, for error messages; never the value


def resolve_token(explicit: str | None, environ: Mapping[str, str]) -> TokenInfo:
    if explicit:
        return TokenInfo(explicit, "--token")
    if environ.get("HF_TOKEN"):
        return TokenInfo(environ["HF_TOKEN"], "the HF_TOKEN environment variable")
    stored = get_token()
    if stored:
        return TokenInfo(stored, "the stored login (hf auth login)")
    return TokenInfo(None, "nowhere: no HF_TOKEN and no stored login")


class _ScrubFilter(logging.Filter):
    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self._redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self._redactor.scrub(record.getMessage())
        record.args = None
        return True


def _install_client(timeout: float, redactor: Redactor) -> None:
    def factory() -> httpx2.Client:
        return httpx2.Client(
            event_hooks={"request": [hf_request_event_hook]},
            follow_redirects=True,
            timeout=httpx2.Timeout(timeout),
        )

    set_client_factory(factory)
    hub_logger = logging.getLogger("huggingface_hub")
    if not any(isinstance(f, _ScrubFilter) for f in hub_logger.filters):
        hub_logger.addFilter(_ScrubFilter(redactor))
    for handler in hub_logger.handlers:
        handler.addFilter(_ScrubFilter(redactor))


def _server_message(response: httpx2.Response) -> str:
    message = response.headers.get("X-Error-Message")
    if message:
        return message
    try:
        body = response.json()
    except ValueError:
        return response.text[:300].strip() or response.reason_phrase
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        return str(body["error"])
    return response.text[:300]


def _failure(error: BaseException, timeout: float) -> Failure | None:
    """What a failed attempt means for retrying; None for anything that is not an API failure."""
    if isinstance(error, HfHubHTTPError):
        response = error.response
        headers = {name.lower(): value for name, value in response.headers.items()}
        return Failure(f"{response.status_code}: {_server_message(response)}", response.status_code, headers)
    if isinstance(error, httpx2.ConnectError | httpx2.ConnectTimeout | httpx2.PoolTimeout):
        return Failure(f"nothing: no connection ({type(error).__name__})", sent=False)
    if isinstance(error, httpx2.TimeoutException):
        return Failure(f"nothing within {timeout:g} s ({type(error).__name__})")
    if isinstance(error, httpx2.NetworkError | httpx2.RemoteProtocolError):
        return Failure(f"nothing: the connection dropped ({type(error).__name__})")
    return None


def _excerpt(text: str, redactor: Redactor) -> str:
    """The start of a body for an error message: scrubbed, one line, quoted."""
    head = " ".join(text[:BODY_EXCERPT].split())
    more = "..." if len(text) > BODY_EXCERPT else ""
    return repr(redactor.scrub(head) + more) if head else "nothing (an empty body)"


@dataclass(frozen=True)
class _WhoamiAnswer:
    """whoami's one answer in this process: what it said, or how it failed."""

    info: dict[str, Any] | None
    error: EndpointctlError | None  # an ApiError, or Interrupted


def _is_quota(response: httpx2.Response) -> bool:
    # The API has answered 409 both for "name exists" and for "quota exceeded"; only the body tells.
    return response.status_code == 409 and "quota" in response.text.lower()


def _is_name_taken(error: BaseException) -> bool:
    return (
        isinstance(error, HfHubHTTPError)
        and error.response.status_code == 409
        and not _is_quota(error.response)
    )


def _namespace_of(path: str) -> str | None:
    """The namespace in a management route: /v2/endpoint/{ns}/..., /v2/provider[/quotas]/{ns}."""
    parts = [part for part in path.split("/") if part]
    for i in range(len(parts) - 2):
        if parts[i] == "v2" and parts[i + 1] in ("endpoint", "provider"):
            rest = parts[i + 2 :]
            return rest[1] if rest[0] == "quotas" and len(rest) > 1 else rest[0]
    return None
