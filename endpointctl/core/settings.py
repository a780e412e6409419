"""PURE: flags over environment over defaults, resolved once per command into a frozen ``Settings``.

The environment is passed in (a mapping), never read here, so a test decides exactly what a command sees.
Nothing is read from disk or the network: where the stored login lives is worked out here, and ``hub``
reads it only when a command needs the API.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from endpointctl.core.errors import UsageError

DEFAULT_REQUEST_TIMEOUT = 30.0
DEFAULT_RETRY_SECONDS = 300.0
SANDBOX_TOKEN = "hf_endpointctl_sandbox_token"
SANDBOX_TOKEN_SOURCE = "the sandbox's built-in token"


class OutputMode(StrEnum):
    TABLE = "table"
    JSON = "json"
    YAML = "yaml"


@dataclass(frozen=True)
class TokenInfo:
    """A token and where it came from (for messages); ``repr`` never shows the value."""

    value: str | None = field(repr=False)
    source: str
    # Where the stored login (`hf auth login`) is, when neither a flag nor the environment gave a token.
    stored_path: str | None = None


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


def _home(value: str, environ: Mapping[str, str]) -> str:
    home = environ.get("HOME")
    if home and (value == "~" or value.startswith("~/")):
        return home + value[1:]
    return value


def stored_login_path(environ: Mapping[str, str]) -> str | None:
    """Where `hf auth login` keeps the token, by the variables huggingface_hub reads; None if none says.

    HF_TOKEN_PATH, else HF_HOME/token, else $XDG_CACHE_HOME/huggingface/token, else
    $HOME/.cache/huggingface/token. An environment without any of them (a test's) has no stored login.
    """
    if environ.get("HF_TOKEN_PATH"):
        return _home(environ["HF_TOKEN_PATH"], environ)
    home = environ.get("HF_HOME")
    if not home:
        cache = environ.get("XDG_CACHE_HOME") or (
            environ["HOME"] + "/.cache" if environ.get("HOME") else None
        )
        if cache is None:
            return None
        home = cache + "/huggingface"
    return _home(home, environ).rstrip("/") + "/token"


def token_source(flag: str | None, environ: Mapping[str, str], *, sandbox: bool) -> TokenInfo:
    """--token, else HF_TOKEN, else (the sandbox's own token, or) the stored login to be read later."""
    if flag:
        return TokenInfo(flag, "--token")
    if environ.get("HF_TOKEN"):
        return TokenInfo(environ["HF_TOKEN"], "the HF_TOKEN environment variable")
    if sandbox:
        return TokenInfo(SANDBOX_TOKEN, SANDBOX_TOKEN_SOURCE)
    path = stored_login_path(environ)
    if path is None:
        return TokenInfo(None, "nowhere: no HF_TOKEN and no stored login")
    return TokenInfo(None, "the stored login (hf auth login)", stored_path=path)


@dataclass(frozen=True)
class Settings:
    api_url: str | None
    namespace: str | None
    sandbox: bool
    request_timeout: float
    token: TokenInfo
    # How long one API operation may keep retrying; 0 turns retries off.
    retry_seconds: float = DEFAULT_RETRY_SECONDS
    output: OutputMode = OutputMode.TABLE
    state_dir: str | None = None  # ENDPOINTCTL_STATE_DIR: where locks live; None: the user's state dir

    @classmethod
    def resolve(
        cls,
        environ: Mapping[str, str],
        *,
        sandbox: bool = False,
        namespace: str | None = None,
        token_flag: str | None = None,
        output: OutputMode | str = OutputMode.TABLE,
    ) -> Settings:
        timeout = _seconds(environ, "ENDPOINTCTL_REQUEST_TIMEOUT", DEFAULT_REQUEST_TIMEOUT, allow_zero=False)
        retry_seconds = _seconds(environ, "ENDPOINTCTL_RETRY_SECONDS", DEFAULT_RETRY_SECONDS, allow_zero=True)
        in_sandbox = sandbox or _truthy(environ.get("ENDPOINTCTL_SANDBOX"))
        return cls(
            api_url=environ.get("ENDPOINTCTL_API_URL") or None,
            namespace=namespace or environ.get("ENDPOINTCTL_NAMESPACE") or None,
            sandbox=in_sandbox,
            request_timeout=timeout,
            token=token_source(token_flag, environ, sandbox=in_sandbox),
            retry_seconds=retry_seconds,
            output=OutputMode(output),
            state_dir=environ.get("ENDPOINTCTL_STATE_DIR") or None,
        )
