"""PURE: flags over environment over defaults, resolved once per command into a frozen ``Settings``.

The environment is passed in (a mapping), never read here, so a test decides exactly what a command sees.
Nothing is read from disk or the network: where the stored login lives is worked out here, and ``hub``
reads it only when a command needs the API.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from endpointctl.core.defaults import MAX_SECONDS
from endpointctl.core.errors import UsageError
from endpointctl.core.hub_tasks import accepted_tasks

DEFAULT_REQUEST_TIMEOUT = 30.0
DEFAULT_RETRY_SECONDS = 300.0
SANDBOX_TOKEN = "hf_endpointctl_sandbox_token"
SANDBOX_TOKEN_SOURCE = "the sandbox's built-in token"


class OutputMode(StrEnum):
    """``-o``: a table for people (``wide``: every column, where a command has more than fit 100 columns;
    elsewhere the same as ``table``), or the stable JSON or YAML records."""

    TABLE = "table"
    WIDE = "wide"
    JSON = "json"
    YAML = "yaml"
    MARKDOWN = "markdown"

    @property
    def structured(self) -> bool:
        """JSON or YAML (records, for programs), as opposed to a table of either width (for people)."""
        return self in (OutputMode.JSON, OutputMode.YAML)

    @property
    def markdown(self) -> bool:
        """GitHub-flavoured markdown: a summary line and a table, for a PR comment or a job summary."""
        return self is OutputMode.MARKDOWN


@dataclass(frozen=True)
class TokenInfo:
    """A token and where it came from (for messages); ``repr`` never shows the value."""

    value: str | None = field(repr=False)
    source: str
    # Where the stored login (`hf auth login`) is, when neither a flag nor the environment gave a token.
    stored_path: str | None = None
    # The command runs in the process's own environment: huggingface_hub's own lookup finds the token
    # (HUGGING_FACE_HUB_TOKEN, trusted-publisher OIDC, a refreshed browser login, Colab secrets too).
    hub_lookup: bool = False


_TRUE = ("1", "true", "yes", "on")
_FALSE = ("", "0", "false", "no", "off")


def _truthy(value: str | None, name: str) -> bool:
    """A switch from the environment. Anything but a known yes or no is a usage error, before any call:
    ENDPOINTCTL_SANDBOX=y read as "no" sent a job meant for the sandbox to the real API."""
    said = (value or "").strip().lower()
    if said in _TRUE:
        return True
    if said in _FALSE:
        return False
    raise UsageError(
        f"{name} must be 1, true, yes or on (or 0, false, no, off, or unset), found {value!r}",
        hint="nothing was sent",
    )


def _seconds(environ: Mapping[str, str], name: str, default: float, *, allow_zero: bool) -> float:
    raw = environ.get(name)
    try:
        value = float(raw) if raw else default
    except ValueError:
        raise UsageError(f"{name} must be a number of seconds, found {raw!r}") from None
    if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero) or value > MAX_SECONDS:
        least = "zero or more" if allow_zero else "positive"
        raise UsageError(f"{name} must be {least} and at most {MAX_SECONDS:.0f} (a week), found {raw!r}")
    return value


def _api_url(environ: Mapping[str, str]) -> str | None:
    """ENDPOINTCTL_API_URL; set but empty is a mistake (a CI variable that was never filled in), never
    "the real API": a job meant for a staging server or a sandbox would change production."""
    value = environ.get("ENDPOINTCTL_API_URL")
    if value is not None and not value.strip():
        raise UsageError(
            "ENDPOINTCTL_API_URL is set but empty",
            hint="give the server's address, or unset it to use the real API",
        )
    return value or None


_VARIABLE = re.compile(r"\$(\w+|\{\w+\})")


def _home(value: str, environ: Mapping[str, str]) -> str:
    """``~`` and ``$VAR`` expanded from ``environ`` (not the process's), as huggingface_hub expands them."""
    value = _VARIABLE.sub(lambda m: environ.get(m[1].strip("{}"), m[0]), value)
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


NO_TOKEN = "nowhere: no HF_TOKEN and no stored login"
STORED_LOGIN = "the stored login (hf auth login)"


def token_as_sent(value: str) -> str:
    """A token as huggingface_hub sends it: line breaks and surrounding blanks dropped (a secret pasted
    with its newline)."""
    return value.replace("\r", "").replace("\n", "").strip()


def clean_token(value: str, name: str) -> str:
    """The token as it is sent (``token_as_sent``), checked. A blank one, or one with a space, a control
    character or a non-ASCII letter inside, is a usage error naming ``name``, before any call: sent, it
    was refused as 401 or failed as "could not reach it", which pointed at the network. The value is
    never shown."""
    token = token_as_sent(value)
    if not token:
        what = "is empty" if not value else "holds only blanks"
        raise UsageError(f"{name} {what}", hint=f"give {name} the token, or leave it out; nothing was sent")
    odd = next((c for c in token if not c.isascii() or not c.isprintable() or c.isspace()), None)
    if odd is not None:
        what = (
            "a space"
            if odd.isspace()
            else "a control character"
            if odd.isascii()
            else "a non-ASCII character"
        )
        raise UsageError(
            f"{name} holds {what} inside it, which no token has; nothing was sent",
            hint=f"check how {name} was set (quoting, a copied line, an encoding)",
        )
    return token


def token_source(
    flag: str | None, environ: Mapping[str, str], *, sandbox: bool, own_environment: bool = False
) -> TokenInfo:
    """--token, else HF_TOKEN, else (the sandbox's own token, or) the stored login, read later.

    ``own_environment``: ``environ`` is the process's environment, so huggingface_hub's own lookup may
    be used; an injected one (a test's) only ever leads to the login file under its own home.
    """
    if flag is not None:  # given empty, refused (clean_token): `--token "$UNSET"` must not use another login
        return TokenInfo(clean_token(flag, "--token"), "--token")
    if environ.get("HF_TOKEN"):
        return TokenInfo(clean_token(environ["HF_TOKEN"], "HF_TOKEN"), "the HF_TOKEN environment variable")
    if sandbox:
        return TokenInfo(SANDBOX_TOKEN, SANDBOX_TOKEN_SOURCE)
    if own_environment:
        return TokenInfo(None, STORED_LOGIN, hub_lookup=True)
    path = stored_login_path(environ)
    if path is None:
        return TokenInfo(None, NO_TOKEN)
    return TokenInfo(None, STORED_LOGIN, stored_path=path)


def namespace_setting(flag: str | None, environ: Mapping[str, str]) -> str | None:
    """--namespace, else ENDPOINTCTL_NAMESPACE, checked: set but empty is a mistake (an unset variable in a
    script), never a reason to fall back to the token's own user and act there."""
    from endpointctl.core.spec import namespace_problem  # pydantic: only when a namespace is given

    for value, where in (
        (flag, "--namespace"),
        (environ.get("ENDPOINTCTL_NAMESPACE"), "ENDPOINTCTL_NAMESPACE"),
    ):
        if value is None:
            continue
        problem = namespace_problem(value)
        if problem is not None:
            raise UsageError(f"{where}: {problem}", hint="give a user or organization name, or leave it out")
        return value
    return None


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
    # ENDPOINTCTL_ALLOW_HTTP: the token may go over plain http beyond this machine (a remote sandbox's).
    allow_plain_http: bool = False
    # ENDPOINTCTL_TASKS: tasks taken as known, never as a typo of one (core/hub_tasks.py).
    accepted_tasks: frozenset[str] = frozenset()

    @classmethod
    def resolve(
        cls,
        environ: Mapping[str, str],
        *,
        sandbox: bool = False,
        namespace: str | None = None,
        token_flag: str | None = None,
        output: OutputMode | str = OutputMode.TABLE,
        own_environment: bool = False,
    ) -> Settings:
        """``own_environment``: ``environ`` is the process's own (see ``token_source``)."""
        timeout = _seconds(environ, "ENDPOINTCTL_REQUEST_TIMEOUT", DEFAULT_REQUEST_TIMEOUT, allow_zero=False)
        retry_seconds = _seconds(environ, "ENDPOINTCTL_RETRY_SECONDS", DEFAULT_RETRY_SECONDS, allow_zero=True)
        in_sandbox = sandbox or _truthy(environ.get("ENDPOINTCTL_SANDBOX"), "ENDPOINTCTL_SANDBOX")
        return cls(
            api_url=_api_url(environ),
            namespace=namespace_setting(namespace, environ),
            sandbox=in_sandbox,
            request_timeout=timeout,
            token=token_source(token_flag, environ, sandbox=in_sandbox, own_environment=own_environment),
            retry_seconds=retry_seconds,
            output=OutputMode(output),
            state_dir=environ.get("ENDPOINTCTL_STATE_DIR") or None,
            allow_plain_http=_truthy(environ.get("ENDPOINTCTL_ALLOW_HTTP"), "ENDPOINTCTL_ALLOW_HTTP"),
            accepted_tasks=accepted_tasks(environ),
        )
