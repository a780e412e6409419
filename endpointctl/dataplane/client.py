"""Calls to a deployed endpoint's URL (the data plane): health probes, smoke tests, invoke.

Not the management API, so not through huggingface_hub: a plain httpx2 client with its own timeout.
The token goes only to endpoints that need one (never to a public endpoint), only over https or to a
loopback address over http (the sandbox), and never along a redirect (none is followed). No error raised
here carries a header or a request body. The client carries the command's redactor, so whatever quotes
an answer (the smoke runner's reasons) scrubs it before cutting it. Latency is measured on the injected
clock, so tests that add latency in the sandbox measure it without waiting for it.

An answer is read as it arrives, decoded (a gzip body counts as what it inflates to), within
``max_answer_bytes`` (``ENDPOINT_ANSWER_BYTES``, 64 MiB): past it the call fails saying so, and nothing more
is read. Read as JSON (``Reply.json``, ``answer_json``), an answer is strict JSON nested at most
``MAX_ANSWER_DEPTH`` levels: NaN and Infinity, which strict parsers refuse, make it not JSON, so they are
never written out again as JSON.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx2

from endpointctl.core.bounded_lines import TooMuch, read_within
from endpointctl.core.clock import Clock
from endpointctl.core.defaults import ENDPOINT_ANSWER_BYTES
from endpointctl.core.endpoint import Endpoint
from endpointctl.core.errors import EndpointctlError
from endpointctl.core.redact import Redactor
from endpointctl.core.spec import Security
from endpointctl.core.token_travel import plain_text_refusal

SCALE_UP_HEADER = "X-Scale-Up-Timeout"
# Arrays and objects inside each other in an answer read as JSON; a model's answer nests a few levels.
# Deeper is refused before anything shows or checks it (Python's own parser and writers give up at a few
# hundred to a thousand levels, with a RecursionError).
MAX_ANSWER_DEPTH = 100


class DataPlaneError(EndpointctlError):
    """The deployed URL could not be reached, did not answer in time, or answered more than is read."""


class NotJson(ValueError):
    """An answer that is not strict JSON, or nests too deeply; the message says which."""


def _finite(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):  # 1e999: read as infinity, written back as Infinity
        raise NotJson(f"{text} is out of range for a JSON number")
    return value


def _refused(name: str) -> Any:
    raise NotJson(f"{name} is not JSON (strict parsers refuse it)")


def _inside(container: list[Any] | dict[str, Any]) -> list[Any]:
    return list(container.values()) if isinstance(container, dict) else container


def _deeper_than(doc: Any, limit: int) -> bool:
    """Whether arrays and objects nest more than ``limit`` levels in ``doc``; level by level, no recursion."""
    level, depth = [doc], 0
    while level:
        containers = [item for item in level if isinstance(item, list | dict)]
        if not containers:
            return False
        depth += 1
        if depth > limit:
            return True
        level = [value for item in containers for value in _inside(item)]
    return False


def answer_json(body: bytes) -> Any:
    """An answer as strict JSON; ``NotJson`` (a ValueError) saying why when it is not: not JSON, NaN or
    Infinity (which strict parsers refuse), a number out of range, or nesting past ``MAX_ANSWER_DEPTH``."""
    try:
        doc = json.loads(body, parse_constant=_refused, parse_float=_finite)
    except NotJson:
        raise
    except RecursionError:
        raise NotJson(f"nested more than {MAX_ANSWER_DEPTH} levels deep") from None
    except ValueError as error:  # not JSON, not UTF-8, an integer of thousands of digits
        raise NotJson(str(error)) from None
    if _deeper_than(doc, MAX_ANSWER_DEPTH):
        raise NotJson(f"nested more than {MAX_ANSWER_DEPTH} levels deep")
    return doc


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    headers: Mapping[str, str]
    latency_ms: float

    def json(self) -> Any:
        """The body as JSON, or None when it is not strict JSON (``answer_json``)."""
        try:
            return answer_json(self.body)
        except NotJson:
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
    # The most read of one answer, decoded; past it the call fails (DataPlaneError) and reading stops.
    max_answer_bytes: int = ENDPOINT_ANSWER_BYTES
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
        http = self._http()
        request = http.build_request(
            method,
            url,
            headers=sent,
            json=body if content is None else None,
            content=content,
            timeout=httpx2.Timeout(limit),
        )
        started = self.clock.now()
        try:
            response = http.send(request, stream=True)
        except httpx2.TimeoutException:
            raise DataPlaneError(f"{method} {shown}: no answer within {limit:g} s") from None
        except httpx2.TransportError as error:
            raise DataPlaneError(f"{method} {shown}: could not connect ({type(error).__name__})") from None
        try:
            answer = read_within(response.iter_bytes(), self.max_answer_bytes)
        except TooMuch as error:
            raise DataPlaneError(f"{method} {shown}: the endpoint answered {error}") from None
        except httpx2.TimeoutException:
            raise DataPlaneError(f"{method} {shown}: the answer was not whole within {limit:g} s") from None
        except httpx2.TransportError as error:
            raise DataPlaneError(
                f"{method} {shown}: the connection broke off during the answer ({type(error).__name__})"
            ) from None
        except httpx2.DecodingError:
            raise DataPlaneError(f"{method} {shown}: an answer its Content-Encoding cannot decode") from None
        finally:
            response.close()
        latency_ms = (self.clock.now() - started) * 1000.0
        return Reply(response.status_code, answer, dict(response.headers), latency_ms)

    def health(self, endpoint: Endpoint, timeout: float | None = None) -> Reply:
        if not endpoint.url:
            raise DataPlaneError(f"endpoint '{endpoint.namespace}/{endpoint.name}' has no URL yet")
        url = endpoint.url.rstrip("/") + "/" + endpoint.health_route.lstrip("/")
        return self.request("GET", url, security=endpoint.security, timeout=timeout)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
