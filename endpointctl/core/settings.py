"""Flags over environment over defaults, resolved once into a frozen Settings."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from endpointctl.core.errors import UsageError

DEFAULT_REQUEST_TIMEOUT = 30.0
DEFAULT_RETRY_SECONDS = 300.0
SANDBOX_TOKEN = "hf_endpointctl_sandbox_token"


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def _seconds(environ: Mapping[str, str], name: str, default: float, *, allow_zero: bool) -> float:
    raw = environ.get(name)
    try:
        value = float(raw) if raw else default
    except ValueError:
        raise UsageError(f"{name} must be a number of seconds, found {raw!r}") from None
    if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        raise UsageError(f"{name} must be {'zero or more' if allow_zero else 'positive'}, found {raw!r}")
    return value


@dataclass(frozen=True)
class Settings:
    api_url: str | None
    namespace: str | None
    sandbox: bool
    request_timeout: float
    token_flag: str | None
    # How long one API operation may keep retrying; 0 turns retries off.
    retry_seconds: float = DEFAULT_RETRY_SECONDS

    @classmethod
    def resolve(
        cls,
        environ: Mapping[str, str],
        *,
        sandbox: bool = False,
        namespace: str | None = None,
        token_flag: str | None = None,
    ) -> Settings:
        timeout = _seconds(environ, "ENDPOINTCTL_REQUEST_TIMEOUT", DEFAULT_REQUEST_TIMEOUT, allow_zero=False)
        retry_seconds = _seconds(environ, "ENDPOINTCTL_RETRY_SECONDS", DEFAULT_RETRY_SECONDS, allow_zero=True)
        return cls(
            api_url=environ.get("ENDPOINTCTL_API_URL") or None,
            namespace=namespace or environ.get("ENDPOINTCTL_NAMESPACE") or None,
            sandbox=sandbox or _truthy(environ.get("ENDPOINTCTL_SANDBOX")),
            request_timeout=timeout,
            token_flag=token_flag,
            retry_seconds=retry_seconds,
        )
