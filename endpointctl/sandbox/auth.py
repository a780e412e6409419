"""Who is calling: Bearer tokens map to the one sandbox user, or to an outsider with no orgs.

There is no token database: any ``hf_`` token is the configured user, so newcomers can use whatever
token they have lying around; ``hf_outsider...`` tokens exist so tests can exercise org-only access.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from .transport import ErrorAnswer

TOKEN_RE = re.compile(r"^hf_\S{4,}$")
OUTSIDER_PREFIX = "hf_outsider"
OUTSIDER = "outsider"
MISSING_TOKEN = "A valid user or organization token, sent as a Bearer, is required"


@dataclass(frozen=True)
class Caller:
    name: str
    orgs: tuple[str, ...]

    def member_of(self, namespace: str) -> bool:
        return namespace == self.name or namespace in self.orgs


def bearer_token(headers: Mapping[str, str]) -> str | None:
    value = headers.get("authorization", "")
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def identify(headers: Mapping[str, str], user: str, orgs: tuple[str, ...]) -> Caller | None:
    """The caller behind the request's token, or None if it carries no valid token."""
    token = bearer_token(headers)
    if token is None or not TOKEN_RE.match(token):
        return None
    if token.startswith(OUTSIDER_PREFIX):
        return Caller(OUTSIDER, ())
    return Caller(user, orgs)


def require_caller(headers: Mapping[str, str], user: str, orgs: tuple[str, ...]) -> Caller:
    caller = identify(headers, user, orgs)
    if caller is None:
        raise ErrorAnswer(401, MISSING_TOKEN)
    return caller


def require_namespace(caller: Caller, namespace: str) -> None:
    # 401 rather than 403: huggingface_hub's `namespace="*"` listing skips orgs that answer 401.
    if not caller.member_of(namespace):
        raise ErrorAnswer(401, f"You are not a member of namespace '{namespace}', or it does not exist")
