"""What a failed API call means: worth retrying or not, done or maybe done, and which error to raise.

``classify`` reads a failed attempt for the retry loop; ``translate`` turns an HTTP error answer into
endpointctl's error tree, worded by ``wording`` (what was being done, what the server said, what to do).
"""

from __future__ import annotations

from collections.abc import Callable

import httpx2
from huggingface_hub.errors import HfHubHTTPError

from endpointctl.core.errors import ApiError, AuthError, Conflict, NotFound, OutcomeUnknown, QuotaExceeded
from endpointctl.core.redact import Redactor
from endpointctl.core.settings import TokenInfo
from endpointctl.hub.retry import SEE_PLAN, Failure, Operation
from endpointctl.hub.wording import TokenOwner, auth_hint, server_message

# Whose token it is (None when whoami cannot say), and whether whoami rejected it outright.
OwnerLookup = Callable[[], tuple[TokenOwner | None, bool]]


def classify(error: BaseException, timeout: float, redactor: Redactor) -> Failure | None:
    """What a failed attempt means for retrying; None for anything that is not an API failure.

    ``redactor`` scrubs what the server said before it is cut (``wording.server_message``)."""
    if isinstance(error, HfHubHTTPError):
        response = error.response
        headers = {name.lower(): value for name, value in response.headers.items()}
        answer = f"{response.status_code}: {server_message(response, redactor)}"
        return Failure(answer, response.status_code, headers)
    if isinstance(error, httpx2.ConnectError | httpx2.ConnectTimeout | httpx2.PoolTimeout):
        return Failure(f"nothing: no connection ({type(error).__name__})", sent=False)
    if isinstance(error, httpx2.TimeoutException):
        return Failure(f"nothing within {timeout:g} s ({type(error).__name__})")
    if isinstance(error, httpx2.NetworkError | httpx2.RemoteProtocolError):
        return Failure(f"nothing: the connection dropped ({type(error).__name__})")
    return None


def is_quota(response: httpx2.Response) -> bool:
    # The API has answered 409 both for "name exists" and for "quota exceeded"; only the body tells.
    return response.status_code == 409 and "quota" in response.text.lower()


def is_name_taken(error: BaseException) -> bool:
    return (
        isinstance(error, HfHubHTTPError)
        and error.response.status_code == 409
        and not is_quota(error.response)
    )


def namespace_of(path: str) -> str | None:
    """The namespace in a management route: /v2/endpoint/{ns}/..., /v2/provider[/quotas]/{ns}."""
    parts = [part for part in path.split("/") if part]
    for i in range(len(parts) - 2):
        if parts[i] == "v2" and parts[i + 1] in ("endpoint", "provider"):
            rest = parts[i + 2 :]
            return rest[1] if rest[0] == "quotas" and len(rest) > 1 else rest[0]
    return None


def translate(
    error: HfHubHTTPError, op: Operation, token: TokenInfo, owner: OwnerLookup, redactor: Redactor
) -> ApiError:
    """The HTTP error answer to ``op`` as endpointctl's error, saying what was being done."""
    response = error.response
    status = response.status_code
    message = f"{op.doing}: the API answered {status}: {server_message(response, redactor)}"
    if op.attempts > 1:
        message += f" (attempt {op.attempts})"
    if status in (401, 403):
        request = response.request
        if request.url.path.endswith("/whoami-v2"):
            who, rejected = None, status == 401
        else:
            who, rejected = owner()
        hint = auth_hint(
            token,
            who,
            rejected=rejected,
            namespace=namespace_of(request.url.path),
            writing=request.method in ("POST", "PUT", "PATCH", "DELETE"),
        )
        return AuthError(message, status=status, hint=hint)
    if status == 404:
        return NotFound(message, status=status)
    if status == 409:
        if is_quota(response):
            return QuotaExceeded(message, status=status, hint="run `endpointctl hardware` to see quotas")
        return Conflict(message, status=status)
    return ApiError(message, status=status)


def malformed(doing: str, error: Exception, redactor: Redactor) -> ApiError:
    """An answer whose shape is not the documented one: which field, in which call — never "a bug"."""
    if isinstance(error, KeyError):
        detail = f"{error.args[0]!r} is missing" if error.args else "a field is missing"
    else:
        detail = redactor.shorten(str(error), 200)
    return ApiError(
        f"{doing}: the API answered something endpointctl cannot read: {detail}",
        hint="a proxy or gateway may be answering instead of the API, or the API changed; "
        "check ENDPOINTCTL_API_URL, and report it if it persists",
    )


def unreadable(error: ApiError, *, changes: bool) -> ApiError:
    """``error``, about an answer that cannot be read (too large, not JSON, not the documented shape); for
    a change, the server may have acted on it all the same: whether it did is unknown, never "not done"."""
    if not changes:
        return error
    return OutcomeUnknown(
        f"{error.message}; whether it took effect is unknown",
        status=error.status,
        hint=SEE_PLAN if error.hint is None else f"{SEE_PLAN}; {error.hint}",
    )
