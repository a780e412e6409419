"""The token itself, read when a command first needs the API: as given, or from the stored login."""

from __future__ import annotations

from pathlib import Path

from huggingface_hub import constants, get_token

from endpointctl.core.settings import TokenInfo

NO_TOKEN = "nowhere: no HF_TOKEN and no stored login"


def read_token(token: TokenInfo) -> TokenInfo:
    """``token`` with its value: a flag's or HF_TOKEN's as given, else the stored login's, else None.

    The stored login is looked for where the command's environment says (``Settings``), so a test's
    environment never reaches the user's real login. Where that is huggingface_hub's own file, its own
    lookup reads it: it also refreshes a browser login that is about to expire.
    """
    if token.value is not None or token.stored_path is None:
        return token
    path = Path(token.stored_path).expanduser()
    if path == Path(constants.HF_TOKEN_PATH).expanduser():
        value = get_token()
    else:
        try:
            value = path.read_text(encoding="utf-8").strip() or None
        except OSError:
            value = None
    return TokenInfo(value, token.source if value else NO_TOKEN)
