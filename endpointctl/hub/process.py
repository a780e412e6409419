"""huggingface_hub's process-wide state, set on purpose and once: its HTTP client, its debug log, its URL.

huggingface_hub keeps one shared HTTP client (built by a factory that waits forever unless replaced),
one logger tree that prints request bodies under HF_DEBUG=1, and a module constant for the Inference
Endpoints base URL that its methods read at call time. Every ``Hub`` goes through this module:

- ``install`` sets the client factory only when it differs from the one in place (setting it closes the
  shared client) and attaches one scrubbing filter, once, that masks every secret any live Hub knows;
- the client follows a redirect only within the API's origin: httpx would send a 307's body (secrets
  included) to any other, and keep the Authorization header from http to https;
- ``point_at`` sets the base URL before each call, so a Hub never talks to the server of another one
  built after it; ``release`` puts the default back when a Hub closes, so nothing is left pointing at a
  sandbox that has stopped.

One API server at a time per process: two Hubs on different servers used at the same moment from
different threads would race on the constant. The CLI builds one Hub per command.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass

import httpx2
from huggingface_hub import constants
from huggingface_hub.utils import _http
from huggingface_hub.utils._http import hf_request_event_hook, set_client_factory

from endpointctl.core.errors import ApiError, UsageError
from endpointctl.core.redact import Redactor
from endpointctl.core.token_travel import plain_text_refusal
from endpointctl.hub.deadline import DeadlineTransport

ClientFactory = Callable[[], httpx2.Client]
DEFAULT_ENDPOINTS_URL = constants.INFERENCE_ENDPOINTS_ENDPOINT

_lock = threading.Lock()


def refuse_redirect_elsewhere(response: httpx2.Response) -> None:
    """A response hook: a redirect to another origin (scheme, host or port) ends the call instead.

    httpx follows it with a 307/308's body, and with the Authorization header when only the scheme
    changes: another server would receive the token and the request's secrets. The API has no reason
    to send one; a proxy or a wrong ENDPOINTCTL_API_URL does.
    """
    if not response.has_redirect_location:
        return
    here = response.request.url
    try:
        there = here.join(response.headers["Location"])
    except httpx2.InvalidURL:
        there = None
    if there is not None and there.origin == here.origin:
        return
    elsewhere = f"{there.scheme}://{there.netloc.decode('ascii')}" if there else "an unreadable address"
    raise ApiError(
        f"{response.request.method} {here.path}: the API at {here.scheme}://{here.netloc.decode('ascii')} "
        f"answered {response.status_code} redirecting to another origin ({elsewhere}); not followed, so "
        "neither the token nor the request body went there; if ENDPOINTCTL_API_URL is set, set it to the "
        "address the API answers on itself",
        status=response.status_code,
    )


@dataclass(frozen=True)
class TimeoutClientFactory:
    """huggingface_hub's own client, with a timeout and redirects kept to the API's origin: equal
    timeouts make equal factories (installed once). ``transport`` is for tests."""

    timeout: float
    transport: httpx2.BaseTransport | None = None

    def __call__(self) -> httpx2.Client:
        return httpx2.Client(
            event_hooks={"request": [hf_request_event_hook], "response": [refuse_redirect_elsewhere]},
            follow_redirects=True,
            timeout=httpx2.Timeout(self.timeout),
            # Each request done within the timeout in all, however slowly a server trickles its answer.
            transport=self.transport or DeadlineTransport(self.timeout),
        )


class _ScrubFilter(logging.Filter):
    """Masks, in every huggingface_hub log record, the secrets of every redactor still in use; then shows
    the text as the command's output shows outside text (``shown``: control characters as escapes, and
    under GitHub Actions no workflow command). huggingface_hub writes these records to stderr with its own
    handler: a server's ``X-HF-Warning``, and under HF_DEBUG the requests themselves."""

    def __init__(self) -> None:
        super().__init__()
        self._redactors: weakref.WeakSet[Redactor] = weakref.WeakSet()
        self._guard = threading.Lock()  # a WeakSet may not change while another thread iterates it
        self.shown: Callable[[str], str] | None = None

    def watch(self, redactor: Redactor) -> None:
        with self._guard:
            self._redactors.add(redactor)

    def filter(self, record: logging.LogRecord) -> bool:
        with self._guard:
            redactors = list(self._redactors)
        # Joined, not one after another: another hub's secret may be the start of this one's.
        text = Redactor.joined(redactors).scrub(record.getMessage())
        shown = self.shown
        record.msg, record.args = (shown(text) if shown is not None else text), None
        return True


_SCRUB = _ScrubFilter()


def install(factory: ClientFactory, redactor: Redactor, shown: Callable[[str], str] | None = None) -> None:
    """``shown``: how the command shows outside text (the last Hub's, as there is one per command)."""
    with _lock:
        if shown is not None:
            _SCRUB.shown = shown
        # Compared with what huggingface_hub holds, not with a record of ours: anyone may have set it.
        if factory != _http._GLOBAL_CLIENT_FACTORY:
            set_client_factory(factory)
        _SCRUB.watch(redactor)
        logger = logging.getLogger("huggingface_hub")
        # Records of child loggers reach the handlers, not the parent logger's filters: filter both.
        for target in (logger, *logger.handlers):
            if _SCRUB not in target.filters:
                target.addFilter(_SCRUB)


def api_url_problem(api_url: str, *, allow_plain_http: bool = False) -> str | None:
    """Why ``ENDPOINTCTL_API_URL`` cannot be used, or None. Read as huggingface_hub's client reads it
    (httpx); never quoted, for it may hold a password. Without '@', '\\', '?', '#' or spaces, the
    addresses made of it by adding a path reach the same server (tests/test_api_url.py)."""
    try:
        url = httpx2.URL(api_url)
    except httpx2.InvalidURL:
        return "not a URL; give the server's address, e.g. https://api.example.com"
    if url.scheme not in ("http", "https") or not url.host:
        return "expected an http or https address with a host, e.g. https://api.example.com"
    if url.port is not None and not 0 < url.port <= 65535:
        return f"port {url.port} is not one a server can listen on (1 to 65535)"
    if url.userinfo:
        return "a user name or password in the address is refused (it would be sent, and shown in errors)"
    if "@" in api_url or "\\" in api_url or any(c.isspace() or not c.isprintable() for c in api_url):
        return "an address with '@', a backslash, a space or a control character is refused"
    if url.query or url.fragment or "#" in api_url or "?" in api_url:
        return "an address with a query or a fragment is refused: give the server's address alone"
    refusal = None if allow_plain_http else plain_text_refusal(url.scheme, url.host)
    if refusal is not None:
        return f"the token would go to {url.scheme}://{url.host}: {refusal}; use https"
    return None


def refuse_bad_address(url: str, source: str, *, allow_plain_http: bool) -> None:
    """A ``UsageError`` naming ``source`` (what set ``url``) when ``api_url_problem`` finds one."""
    problem = api_url_problem(url, allow_plain_http=allow_plain_http)
    if problem is None:
        return
    plain = (
        " (ENDPOINTCTL_ALLOW_HTTP=1 allows plain http beyond this machine: only for a sandbox served with "
        "--allow-remote, and a throwaway token)"
    )
    raise UsageError(
        f"{source}: {problem}",
        hint="give the server's own https address" + (plain if "plain http" in problem else ""),
    )


def endpoints_url(api_url: str | None) -> str:
    """The Inference Endpoints base URL for ``ENDPOINTCTL_API_URL`` (``/v2`` below it), or the real one."""
    return api_url.rstrip("/") + "/v2" if api_url else DEFAULT_ENDPOINTS_URL


def point_at(base: str) -> None:
    if base != constants.INFERENCE_ENDPOINTS_ENDPOINT:
        constants.INFERENCE_ENDPOINTS_ENDPOINT = base


def release(base: str) -> None:
    with _lock:
        if base == constants.INFERENCE_ENDPOINTS_ENDPOINT:
            constants.INFERENCE_ENDPOINTS_ENDPOINT = DEFAULT_ENDPOINTS_URL


def keep_to_the_api() -> None:
    """With ENDPOINTCTL_API_URL (or --sandbox), no request goes anywhere else.

    huggingface_hub's user agent, unless telemetry is off, fetches a list of AI-agent harnesses from
    huggingface.co on the first request of every process: a call to a server the user did not name.
    """
    constants.HF_HUB_DISABLE_TELEMETRY = True
