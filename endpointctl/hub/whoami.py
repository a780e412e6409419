"""whoami, asked at most once per process: for the namespace, or for an auth hint.

The route is heavily rate-limited, so its answer is kept even when it is a failure, and raised again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from endpointctl.core.errors import ApiError, EndpointctlError, Interrupted
from endpointctl.hub.wording import TokenOwner

# Ask whoami: ``retry`` within the usual budget, or once; raises ApiError or Interrupted.
Ask = Callable[[bool], dict[str, Any]]


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
                    self._answer = _Answer(dict(self._ask(retry)), None)
                except (ApiError, Interrupted) as error:
                    self._answer = _Answer(None, error)
            answer = self._answer
        if answer.error is not None:
            raise answer.error
        assert answer.info is not None
        return answer.info

    def user(self) -> str:
        """The token's user name."""
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
        return str(info["name"])

    def owner(self) -> tuple[TokenOwner | None, bool]:
        """Whose token this is if whoami answers, and whether whoami rejected it outright."""
        try:
            info = self.info(retry=False)
        except EndpointctlError as error:
            return None, isinstance(error, ApiError) and error.status == 401
        access = ((info.get("auth") or {}).get("accessToken")) or {}
        owner = TokenOwner(
            name=str(info.get("name", "?")),
            orgs=tuple(str(org.get("name")) for org in info.get("orgs") or ()),
            role=access.get("role"),
            token_name=access.get("displayName"),
        )
        return owner, False
