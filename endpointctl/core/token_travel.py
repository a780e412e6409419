"""PURE: where a token may be sent: encrypted (https) anywhere; over plain http only to this machine.

The management API's address (``ENDPOINTCTL_API_URL``) and a deployed endpoint's URL both pass this rule.
Each caller parses its URL with the client that will connect to it (httpx) and passes the parts here, so
what is checked is what is reached, never another parser's reading of the same text.
"""

from __future__ import annotations

import ipaddress


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 or localhost: a name or address that never leaves the machine."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def plain_text_refusal(scheme: str, host: str) -> str | None:
    """Why a token may not go to ``scheme://host``, or None when it may."""
    if scheme == "https" or (scheme == "http" and is_loopback(host)):
        return None
    if scheme not in ("http", "https"):
        return f"{scheme or 'no scheme'} is not http or https"
    return "over plain http it would leave this machine unencrypted"
