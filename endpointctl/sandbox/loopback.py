"""Loopback only: where the sandbox may listen, and which names a request may address it by.

Listening on loopback keeps other machines out, but not a web page in the user's own browser: with DNS
rebinding, a name the page controls (``attacker.example``) resolves to 127.0.0.1, and the browser then
sends the page's requests to the sandbox as same-origin, Host header and all. Every name the sandbox's
own clients use is a loopback name or address, so a request naming anything else did not come from one.
"""

from __future__ import annotations

import ipaddress
import re

# host, or [IPv6 literal], each with an optional port (RFC 9110's Host, without userinfo or IPvFuture).
_HOST_HEADER = re.compile(r"(?:\[(?P<ipv6>[0-9A-Fa-f:.]+)\]|(?P<host>[^:\[\]]+))(?::(?P<port>[0-9]{1,5}))?")


def is_loopback(host: str) -> bool:
    """Whether binding ``host`` keeps the server reachable from this machine only.

    Only literal loopback addresses and "localhost" count: an empty host or 0.0.0.0 is every
    interface, and a name may resolve elsewhere tomorrow.
    """
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def names_loopback(host_header: str) -> bool:
    """Whether a Host header names this machine's loopback: ``127.0.0.1:8080``, ``[::1]``, ``localhost``.

    0.0.0.0 does not count: browsers have sent it to local servers ("0.0.0.0 day"), and no client of a
    loopback-only sandbox needs it.
    """
    match = _HOST_HEADER.fullmatch(host_header.strip())
    if match is None:
        return False
    if match["ipv6"] is not None:
        try:
            return ipaddress.IPv6Address(match["ipv6"]).is_loopback
        except ValueError:
            return False
    return is_loopback(match["host"])


def foreign_host_message(host_header: str) -> str:
    return (
        "The sandbox answers only requests addressed to a loopback name or address,"
        f" not {host_header[:100]!r} (serve with --allow-remote to be reached by other names)"
    )
