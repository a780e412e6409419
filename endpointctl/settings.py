"""Flags over environment over defaults, resolved once into a frozen Settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from endpointctl.errors import UsageError

DEFAULT_REQUEST_TIMEOUT = 30.0
SANDBOX_TOKEN = "hf_endpointctl_sandbox_token"


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class Settings:
    api_url: str | None
    namespace: str | None
    sandbox: bool
    request_timeout: float
    token_flag: str | None

    @classmethod
    def resolve(
        cls,
        environ: Mapping[str, str],
        *,
        sandbox: bool = False,
        namespace: str | None = None,
        token_flag: str | None = None,
    ) -> Settings:
        raw_timeout = environ.get("ENDPOINTCTL_REQUEST_TIMEOUT")
        try:
            timeout = float(raw_timeout) if raw_timeout else DEFAULT_REQUEST_TIMEOUT
        except ValueError:
            raise UsageError(
                f"ENDPOINTCTL_REQUEST_TIMEOUT must be a number of seconds, found {raw_timeout!r}"
            ) from None
        if timeout <= 0:
            raise UsageError("ENDPOINTCTL_REQUEST_TIMEOUT must be positive")
        return cls(
            api_url=environ.get("ENDPOINTCTL_API_URL") or None,
            namespace=namespace or environ.get("ENDPOINTCTL_NAMESPACE") or None,
            sandbox=sandbox or _truthy(environ.get("ENDPOINTCTL_SANDBOX")),
            request_timeout=timeout,
            token_flag=token_flag,
        )
