"""Calls to a deployed endpoint's URL (the data plane): health probes, smoke tests, invoke.

Not the management API, so not through huggingface_hub: a plain httpx2 client with its own timeout.
The token goes only to endpoints that need one (never to a public endpoint), only over https or to a
loopback address over http (the sandbox), and never along a redirect (none is followed). No error raised
here carries a header or a request body. The client carries the command's redactor, so whatever quotes
an answer (the smoke runner's reasons) scrubs it before cutting it. Latency is measured on the injected
clock, so tests that add latency in the sandbox measure it without waiting for it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx2

from endpointctl.core.clock import Clock
from endpointctl.core.endpoint import Endpoint
from endpointctl.core.errors import EndpointctlError
from endpointctl.core.redact import Redactor
from endpointctl.core.spec import Security
from endpointctl.core.token_travel import plain_text_refusal

SCALE_UP_HEADER = "X-Scale-Up-Timeout"


class DataPlaneError(EndpointctlError):
    """The deployed URL could not be reached or did not answer in time."""


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    headers: Mapping[str, str]
    latency_ms: float

    def json(self) -> Any:
        """The body as JSON, or None when it is not JSON."""
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


def shown_url(url: str) -> str:
    """``url`` as messages may show it: no user name or password, query or fragment (a signed URL's
    signature, a password someone put in it); what is left names the server and the route."""
    try:
        parsed = httpx2.URL(url)
    except httpx2.InvalidURL:
        return "(an address that is not a URL)"
    # The forms as sent (IDNA, percent-encoded), never decoded: a decoded path could hold a newline that
    # starts a line of its own in a message, or a `?` that reads as the query this hides.
    host = parsed.raw_host.decode("ascii", errors="replace")
    host = f"[{host}]" if ":" in host else host  # IPv6, as a URL writes it
    port = f":{parsed.port}" if parsed.port is not None else ""
    path = parsed.raw_path.split(b"?", 1)[0].decode("ascii", errors="replace")
    hidden = "?…" if parsed.query or parsed.fragment else ""
    return f"{parsed.scheme}://{host}{port}{path}{hidden}"


def address_refusal(url: str, *, token: bool) -> str | None:
    """Why ``url`` may not be called, or None. Never one holding a user name or password (httpx would send
    it, and the API never gives one); with the token, only encrypted or never off the machine."""
    try:
        parsed = httpx2.URL(url)
    except httpx2.InvalidURL:
        return "not a URL; pass the endpoint's https URL"
    if parsed.userinfo:
        return "a user name or password in the URL is refused; pass the endpoint's URL without one"
    refusal = plain_text_refusal(parsed.scheme, parsed.host) if token else None
    if refusal is None:
        return None
    return (
        f"refusing to send the token to {parsed.scheme}://{parsed.host or '?'}: {refusal}; use the "
        "endpoint's https URL (the token goes over plain http only to a loopback address, such as the "
        "sandbox's)"
    )


@dataclass
class DeployedClient:
    token: str | None
    clock: Clock
    timeout: float = 30.0
    transport: httpx2.BaseTransport | None = None
    # The command's redactor (its output's), which knows the token and the manifests' secrets.
    redactor: Redactor = field(default_factory=Redactor)
    _client: httpx2.Client | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.redactor.add(self.token)

    def _http(self) -> httpx2.Client:
        if self._client is None:
            self._client = httpx2.Client(transport=self.transport, follow_redirects=False)
        return self._client

    def _auth(self, security: Security | None) -> dict[str, str]:
        # An unknown level gets the token: withholding it could only turn a working call into a 401.
        if security is Security.PUBLIC or not self.token:
            return {}
        return {"Authorization": f"Bearer {self.token}"}

    def request(
        self,
        method: str,
        url: str,
        *,
        security: Security | None,
        body: Any = None,
        content: bytes | None = None,
        content_type: str | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> Reply:
        auth = self._auth(security)
        shown = shown_url(url)
        refusal = address_refusal(url, token=bool(auth))
        if refusal is not None:
            raise DataPlaneError(f"{method} {shown}: {refusal}")
        sent = {**auth, **(headers or {})}
        if content_type:
            sent["Content-Type"] = content_type
        limit = timeout if timeout is not None else self.timeout
        started = self.clock.now()
        try:
            response = self._http().request(
                method,
                url,
                headers=sent,
                json=body if content is None else None,
                content=content,
                timeout=httpx2.Timeout(limit),
            )
        except httpx2.TimeoutException:
            raise DataPlaneError(f"{method} {shown}: no answer within {limit:g} s") from None
        except httpx2.TransportError as error:
            raise DataPlaneError(f"{method} {shown}: could not connect ({type(error).__name__})") from None
        latency_ms = (self.clock.now() - started) * 1000.0
        return Reply(response.status_code, response.content, dict(response.headers), latency_ms)

    def health(self, endpoint: Endpoint, timeout: float | None = None) -> Reply:
        if not endpoint.url:
            raise DataPlaneError(f"endpoint '{endpoint.namespace}/{endpoint.name}' has no URL yet")
        url = endpoint.url.rstrip("/") + "/" + endpoint.health_route.lstrip("/")
        return self.request("GET", url, security=endpoint.security, timeout=timeout)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
