"""huggingface_hub's process-wide state, set on purpose and once: its HTTP client, its debug log, its URL.

huggingface_hub keeps one shared HTTP client (built by a factory that waits forever unless replaced),
one logger tree that prints request bodies under HF_DEBUG=1, and a module constant for the Inference
Endpoints base URL that its methods read at call time. Every ``Hub`` goes through this module:

- ``install`` sets the client factory only when it differs from the one in place (setting it closes the
  shared client) and attaches one scrubbing filter, once, that masks every secret any live Hub knows;
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

from endpointctl.core.redact import Redactor

ClientFactory = Callable[[], httpx2.Client]
DEFAULT_ENDPOINTS_URL = constants.INFERENCE_ENDPOINTS_ENDPOINT

_lock = threading.Lock()


@dataclass(frozen=True)
class TimeoutClientFactory:
    """huggingface_hub's own client, with a timeout: equal timeouts make equal factories (installed once)."""

    timeout: float

    def __call__(self) -> httpx2.Client:
        return httpx2.Client(
            event_hooks={"request": [hf_request_event_hook]},
            follow_redirects=True,
            timeout=httpx2.Timeout(self.timeout),
        )


class _ScrubFilter(logging.Filter):
    """Masks, in every huggingface_hub log record, the secrets of every redactor still in use."""

    def __init__(self) -> None:
        super().__init__()
        self._redactors: weakref.WeakSet[Redactor] = weakref.WeakSet()
        self._guard = threading.Lock()  # a WeakSet may not change while another thread iterates it

    def watch(self, redactor: Redactor) -> None:
        with self._guard:
            self._redactors.add(redactor)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        with self._guard:
            redactors = list(self._redactors)
        for redactor in redactors:
            message = redactor.scrub(message)
        record.msg, record.args = message, None
        return True


_SCRUB = _ScrubFilter()


def install(factory: ClientFactory, redactor: Redactor) -> None:
    with _lock:
        # Compared with what huggingface_hub holds, not with a record of ours: anyone may have set it.
        if factory != _http._GLOBAL_CLIENT_FACTORY:
            set_client_factory(factory)
        _SCRUB.watch(redactor)
        logger = logging.getLogger("huggingface_hub")
        # Records of child loggers reach the handlers, not the parent logger's filters: filter both.
        for target in (logger, *logger.handlers):
            if _SCRUB not in target.filters:
                target.addFilter(_SCRUB)


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
