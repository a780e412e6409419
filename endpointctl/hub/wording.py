"""How the hub words an API failure: what the server said, an excerpt of a body it should not have sent,
and for an auth or quota refusal, where the token came from, whose it is, which permission it likely
lacks and the quota figures — never a token's value.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx2

from endpointctl.core.endpoint import Hardware, name_key, same_name
from endpointctl.core.redact import Redactor
from endpointctl.core.settings import TokenInfo
from endpointctl.core.spec import Desired

BODY_EXCERPT = 120  # characters of an unexpected body worth quoting in an error
SERVER_TEXT = 300  # characters of a body without an error message worth quoting as the server's words


def server_message(response: httpx2.Response, redactor: Redactor) -> str:
    """What the server said went wrong: its X-Error-Message, its JSON ``error``, or the body's start.

    Scrubbed here, before the body is cut, and read as a text that may have been cut: an API that
    echoes a request may have cut the echo in the middle of a secret.
    """
    message = response.headers.get("X-Error-Message")
    if message:
        return redactor.scrub(message, truncated=True)
    try:
        body = response.json()
    except ValueError:
        return redactor.shorten(response.text, SERVER_TEXT).strip() or response.reason_phrase
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        return redactor.scrub(str(body["error"]), truncated=True)
    return redactor.shorten(response.text, SERVER_TEXT)


def excerpt(text: str, redactor: Redactor) -> str:
    """The start of a body for an error message: scrubbed, then one line, cut and quoted."""
    head = redactor.shorten(text, BODY_EXCERPT, mark="...", fold=True)
    return repr(head) if head else "nothing (an empty body)"


@dataclass(frozen=True)
class TokenOwner:
    """What whoami says about a token; never its value."""

    name: str
    orgs: tuple[str, ...]
    role: str | None
    token_name: str | None


def auth_hint(
    token: TokenInfo,
    owner: TokenOwner | None,
    *,
    rejected: bool,
    namespace: str | None,
    writing: bool,
) -> str:
    """Where the token came from, whose it is and which permission it likely lacks: never its value.

    ``owner`` is what whoami said, if it answered; ``rejected`` is whoami answering 401, the one sure
    sign of a bad token (a rate-limited or unreachable whoami says nothing about the token).
    """
    parts = [f"the token came from {token.source}"]
    if token.source.startswith("the HF_TOKEN"):
        parts[0] += " (it takes precedence over the stored login)"
    access = "write" if writing else "read"
    where = f" on '{namespace}'" if namespace else ""
    if rejected:
        parts.append(
            "whoami rejects it: it is invalid, expired or revoked; "
            "create a new one at https://huggingface.co/settings/tokens"
        )
        return "; ".join(parts)
    if owner is None:
        parts.append(f"it likely lacks Inference Endpoints {access} access{where}")
        return "; ".join(parts)
    described = f"it belongs to '{owner.name}'"
    if owner.token_name or owner.role:
        described += f" (token '{owner.token_name or '?'}', role '{owner.role or '?'}')"
    parts.append(described)
    if namespace and namespace not in (owner.name, *owner.orgs):
        members = ", ".join(owner.orgs) or "no organization"
        parts.append(f"'{owner.name}' is not a member of '{namespace}' (member of: {members})")
    elif owner.role == "read" and writing:
        parts.append("a read token cannot change endpoints: use a token with the write role")
    elif owner.role == "fineGrained":
        parts.append(
            f"the fine-grained token likely lacks the Inference Endpoints {access} permission{where}"
        )
    else:
        parts.append(f"it likely lacks Inference Endpoints {access} access{where}")
    return "; ".join(parts)


def quota_figures(rows: list[Hardware], desired: Desired) -> str | None:
    """The namespace's quota for the instance type a create asked for, as the hardware listing has it."""
    compute, provider = desired.spec.compute, desired.spec.provider
    same_type = [
        row
        for row in rows
        if same_name(row.instance_type, compute.instance_type) and row.quota_max is not None
    ]
    exact = [
        row
        for row in same_type
        if name_key(row.vendor, row.region, row.instance_size)
        == name_key(provider.vendor.value, provider.region, compute.instance_size)
    ]
    candidates = exact or same_type
    if not candidates:
        return None
    row = candidates[0]
    scaling = desired.spec.scaling
    replicas = 1 if scaling is None or scaling.max_replica is None else scaling.max_replica
    needs = replicas * row.num_accelerators
    return (
        f"the namespace's quota for {row.instance_type}: {row.quota_used or 0} of {row.quota_max} "
        f"accelerators in use, and this endpoint needs {needs} "
        f"({replicas} replica{'s' if replicas != 1 else ''} of {row.instance_size})"
    )
