"""whoami, asked at most once per process: for the namespace, or for an auth hint.

The route is heavily rate-limited, so its answer is kept even when it is a failure, and raised again.
Its ``name`` becomes the namespace every later call is made in (and a part of their URLs), so it is used
only when it is one: text that passes the manifests' namespace rule. Anything else is a malformed answer
naming whoami, never a namespace made of ``str()`` of whatever came.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from endpointctl.core.errors import ApiError, EndpointctlError, Interrupted
from endpointctl.core.spec import namespace_problem
from endpointctl.hub.wording import TokenOwner

# Ask whoami: ``retry`` within the usual budget, or once; raises ApiError or Interrupted.
Ask = Callable[[bool], Any]

DOING = "asking whoami"
SHOWN = 60  # characters of an unusable name worth quoting in an error
_HINT = (
    "give --namespace or ENDPOINTCTL_NAMESPACE so whoami is not needed; a proxy or gateway may be "
    "answering instead of the Hub: check ENDPOINTCTL_API_URL"
)


def unreadable(detail: str) -> ApiError:
    """whoami's answer has not the documented shape; worded as the hub's other malformed answers."""
    return ApiError(f"{DOING}: the API answered something endpointctl cannot read: {detail}", hint=_HINT)


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= SHOWN else text[: SHOWN - 3] + "..."


@dataclass(frozen=True)
class _Answer:
    info: dict[str, Any] | None
    error: EndpointctlError | None  # an ApiError, or Interrupted


class WhoamiCache:
    def __init__(self, ask: Ask) -> None:
        self._ask = ask
        self._answer: _Answer | None = None
        self._lock = threading.Lock()

    def info(self, *, retry: bool) -> dict[str, Any]:
        """whoami's answer; the first request decides it, whether it retries (for the namespace, which
        depends on it) or not (for a hint that only adds to an error already on its way)."""
        with self._lock:
            if self._answer is None:
                try:
                    self._answer = _Answer(self._object(retry), None)
                except (ApiError, Interrupted) as error:
                    self._answer = _Answer(None, error)
            answer = self._answer
        if answer.error is not None:
            raise answer.error
        assert answer.info is not None
        return answer.info

    def _object(self, retry: bool) -> dict[str, Any]:
        answer = self._ask(retry)  # every error of the call itself arrives as an ApiError already
        if not isinstance(answer, dict):
            raise unreadable(f"JSON that is not an object ({type(answer).__name__})")
        return dict(answer)

    def user(self) -> str:
        """The token's user name, when it can be a namespace."""
        try:
            info = self.info(retry=True)
        except ApiError as error:
            if error.status != 429:
                raise
            # Rate limited is not invalid: say so, and how to avoid asking at all.
            raise ApiError(
                error.message,
                status=429,
                hint="whoami is heavily rate-limited; give --namespace or ENDPOINTCTL_NAMESPACE "
                "so it is not needed",
            ) from None
        kind = info.get("type")  # not said (absent or null): read as a user's, as the name is all used
        if kind is not None and kind != "user":
            # huggingface_hub itself refuses a default namespace for any other (an organization's token):
            # whose namespace endpoints would be made in is then not the caller's own.
            raise ApiError(
                f"{DOING}: the token is not a user's ('type' is {_shown(kind)}): it has no namespace of "
                "its own",
                hint="give --namespace or ENDPOINTCTL_NAMESPACE",
            )
        if "name" not in info:
            raise unreadable("'name' is missing")
        name = info["name"]
        if not isinstance(name, str):
            raise unreadable(f"'name' is {type(name).__name__} ({_shown(name)}), not text")
        if namespace_problem(name) is not None:
            # namespace_problem's own words quote the whole name, however long: say it shorter.
            raise unreadable(
                f"'name' is {_shown(name)}, which is not a user or organization name, so it cannot be "
                "the namespace"
            )
        return name

    def owner(self) -> tuple[TokenOwner | None, bool]:
        """Whose token this is if whoami answers, and whether whoami rejected it outright.

        Only for a hint: what the answer lacks, or holds in another shape, is left out, never an error
        that would hide the one the hint is for."""
        try:
            info = self.info(retry=False)
        except EndpointctlError as error:
            return None, isinstance(error, ApiError) and error.status == 401
        auth = info.get("auth")
        access = auth.get("accessToken") if isinstance(auth, dict) else None
        access = access if isinstance(access, dict) else {}
        orgs = info.get("orgs")
        name = info.get("name")
        owner = TokenOwner(
            name=name if isinstance(name, str) else "?",
            orgs=tuple(
                org["name"]
                for org in (orgs if isinstance(orgs, list) else ())
                if isinstance(org, dict) and isinstance(org.get("name"), str)
            ),
            role=_text(access.get("role")),
            token_name=_text(access.get("displayName")),
        )
        return owner, False


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None
