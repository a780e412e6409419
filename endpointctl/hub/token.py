"""The token itself, read when a command first needs the API: as given, or from the stored login."""

from __future__ import annotations

from pathlib import Path

from huggingface_hub import get_token

from endpointctl.core.settings import NO_TOKEN, TokenInfo


def read_token(token: TokenInfo) -> TokenInfo:
    """``token`` with its value: a flag's or HF_TOKEN's as given, else the stored login's, else None.

    In the process's own environment huggingface_hub's lookup finds it, exactly as `hf` would (it also
    refreshes a browser login about to expire). In an injected environment (a test's) only the login
    file under that environment's home is read, so a test never reaches the user's real login.
    """
    if token.value is not None:
        return token
    if token.hub_lookup:
        value = get_token()
    elif token.stored_path is None:
        return token
    else:
        path = Path(token.stored_path)
        try:
            value = path.read_text(encoding="utf-8").strip() or None
        except OSError:
            value = None
    return TokenInfo(value, token.source if value else NO_TOKEN)
