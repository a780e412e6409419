"""Endpoint operations on one API server with one token, through huggingface_hub.

huggingface_hub's endpoint methods have no timeout and no retry, its listing reads one page of 20, and
its debug log prints request bodies (secrets included). Every call here has a timeout (``process``),
each operation is retried under ``retry.RetryPolicy`` (a create only in ways that cannot duplicate it),
listing follows ``nextCursor`` itself through huggingface_hub's session and header helpers, and HTTP
errors become endpointctl's errors with a message that says what was being done (``failures``).
An answer whose body is not the JSON it should be is an ``ApiError`` too, never a bare ValueError.

The hub reports what it found; deciding what that means (adopt an endpoint found after a lost create
answer, or refuse it) is the engine's.
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx2
from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError
from huggingface_hub.utils._headers import build_hf_headers
from huggingface_hub.utils._http import get_session, hf_raise_for_status

from endpointctl.core.clock import Cancel, Clock
from endpointctl.core.endpoint import Endpoint, Hardware
from endpointctl.core.errors import ApiError, EndpointctlError, Interrupted, NotFound, QuotaExceeded
from endpointctl.core.redact import Redactor
from endpointctl.core.settings import DEFAULT_REQUEST_TIMEOUT, DEFAULT_RETRY_SECONDS, TokenInfo
from endpointctl.core.spec import Desired
from endpointctl.hub import process
from endpointctl.hub.failures import classify, is_name_taken, translate
from endpointctl.hub.requests import create_arguments, update_arguments
from endpointctl.hub.responses import to_endpoint, to_hardware
from endpointctl.hub.retry import Failure, Operation, RetryPolicy
from endpointctl.hub.whoami import WhoamiCache
from endpointctl.hub.wording import excerpt, quota_figures

# The reference documents only the server's default page size (20); a larger page means fewer calls.
# A server that refuses it (400/422) is asked again without ``limit``, and not sent it again.
PAGE_SIZE = 100
_LIMIT_REFUSED_STATUSES = (400, 422)
_GATEWAY_HINT = "a proxy or gateway may be answering instead of the API; check ENDPOINTCTL_API_URL"
T = TypeVar("T")
log = logging.getLogger("endpointctl.hub")


@dataclass(frozen=True)
class Created:
    endpoint: Endpoint
    # Set when the create's answer was lost (a 5xx, a timeout, a dropped connection) or said the name is
    # taken, and the endpoint was then found by name: what the server last answered. Whether the endpoint
    # found is the one asked for, and may be adopted, is the caller's decision.
    found_after: str | None = None


class Hub:
    def __init__(
        self,
        *,
        token: TokenInfo,
        api_url: str | None = None,
        timeout: float = DEFAULT_REQUEST_TIMEOUT,
        redactor: Redactor | None = None,
        clock: Clock,
        retry_seconds: float = DEFAULT_RETRY_SECONDS,
        rng: random.Random | None = None,
        cancel: Cancel | None = None,
        report: Callable[[str], None] | None = None,
        client_factory: process.ClientFactory | None = None,
    ) -> None:
        """``client_factory`` builds huggingface_hub's shared HTTP client (default: one with ``timeout``);
        tests pass one with an ``httpx2.MockTransport``."""
        self._token = token
        self._timeout = timeout
        self._redactor = redactor or Redactor()
        self._redactor.add(token.value)
        self._base = process.endpoints_url(api_url)
        self._api = (
            HfApi(endpoint=api_url.rstrip("/"), token=token.value) if api_url else HfApi(token=token.value)
        )
        process.install(client_factory or process.TimeoutClientFactory(timeout), self._redactor)
        self._retry = RetryPolicy(clock=clock, budget=retry_seconds, rng=rng, cancel=cancel, report=report)
        self._report = report
        self._whoami = WhoamiCache(self._ask_whoami)
        # Set once the API has refused ``limit``: every later listing uses its default page size.
        self._server_page_size = False

    def close(self) -> None:
        """Stop pointing huggingface_hub at this hub's server (a sandbox that is about to stop, say)."""
        process.release(self._base)

    # -- calls ------------------------------------------------------------------------------------

    def _call(self, doing: str, fn: Callable[[], T], *, deadline: float | None = None) -> T:
        """One operation, retried within its budget (or within ``deadline``, shared with a larger one)."""
        return self._run(self._retry.start(doing, deadline), fn)

    def _run(self, op: Operation, fn: Callable[[], T]) -> T:
        def attempt() -> T:
            process.point_at(self._base)  # HfApi reads the base URL at call time
            return fn()

        try:
            return self._retry.run(op, attempt, self._classify)
        except HfHubHTTPError as error:
            raise translate(error, op, self._token, self._whoami.owner, self._redactor) from None
        except httpx2.TransportError as error:
            failure = self._classify(error)
            answer = failure.answer if failure else f"nothing: could not reach it ({type(error).__name__})"
            raise ApiError(f"{op.doing}: the API answered {answer}") from None
        except json.JSONDecodeError as error:
            # Raised inside huggingface_hub, after its status check passed: a success status.
            raise ApiError(
                f"{op.doing}: the API answered a success status with a body that is not JSON: "
                f"{excerpt(error.doc, self._redactor)}",
                hint=_GATEWAY_HINT,
            ) from None

    def _classify(self, error: BaseException) -> Failure | None:
        return classify(error, self._timeout, self._redactor)

    def _get_json(
        self,
        doing: str,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        deadline: float | None = None,
    ) -> dict[str, Any]:
        """GET a management route through huggingface_hub's session, retried; its JSON object body.

        For the routes huggingface_hub reads incompletely (listing) or not at all (hardware).
        """
        url = f"{self._base}{path}"
        headers = build_hf_headers(token=self._token.value)

        def fetch() -> dict[str, Any]:
            response = get_session().get(url, headers=headers, params=dict(params or {}))
            hf_raise_for_status(response)
            return self._json_object(response, doing)

        return self._call(doing, fetch, deadline=deadline)

    def _json_object(self, response: httpx2.Response, doing: str) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:  # not JSON, or not UTF-8
            what = "a body that is not JSON"
        else:
            if isinstance(body, dict):
                return body
            what = f"JSON that is not an object ({type(body).__name__})"
        raise ApiError(
            f"{doing}: the API answered {response.status_code} with {what}: "
            f"{excerpt(response.text, self._redactor)}",
            status=response.status_code,
            hint=_GATEWAY_HINT,
        )

    def _note(self, line: str) -> None:
        log.info("%s", line)
        if self._report is not None:
            self._report(line)

    # -- who ----------------------------------------------------------------------------------------

    def _ask_whoami(self, retry: bool) -> dict[str, Any]:
        # Without retries the deadline is now: the first failure ends it, with no second request.
        op = self._retry.start("asking whoami", deadline=None if retry else self._retry.clock.now())
        return dict(self._run(op, lambda: self._api.whoami(token=self._token.value)))

    def whoami(self) -> str:
        """The token's user name; asked at most once per process (the route is heavily rate-limited)."""
        return self._whoami.user()

    # -- reading ------------------------------------------------------------------------------------

    def list_endpoints(self, namespace: str, *, deadline: float | None = None) -> list[Endpoint]:
        """Every endpoint of a namespace, following ``nextCursor`` through every page.

        All or nothing: a page that still fails after its retries fails the whole listing, since an
        endpoint on a page we could not read would otherwise look absent. The pages share one budget,
        which ends no later than ``deadline`` (on this hub's clock) when one is given.
        """
        doing = f"listing endpoints of namespace '{namespace}'"
        budget = self._retry.start(doing, not_after=deadline).deadline
        endpoints: list[Endpoint] = []
        cursor: str | None = None
        while True:
            params: dict[str, str | int] = {} if self._server_page_size else {"limit": PAGE_SIZE}
            if cursor:
                params["cursor"] = cursor
            try:
                page = self._get_json(doing, f"/endpoint/{namespace}", params=params, deadline=budget)
            except ApiError as error:
                if "limit" not in params or error.status not in _LIMIT_REFUSED_STATUSES:
                    raise
                self._server_page_size = True
                self._note(
                    f"{doing}: the API refused limit={PAGE_SIZE} ({error.status}); "
                    "listing with its default page size"
                )
                continue  # the same page again, once: without limit, a refusal is final
            items = page.get("items")
            if not isinstance(items, list):
                raise ApiError(f"{doing}: the API answered a page without a list of 'items'")
            endpoints.extend(to_endpoint(raw, namespace) for raw in items)
            cursor = page.get("nextCursor")
            if not cursor:
                return endpoints

    def get(
        self, namespace: str, name: str, *, doing: str | None = None, deadline: float | None = None
    ) -> Endpoint | None:
        """One endpoint by name; None when the API answers 404. ``doing`` words an error."""
        try:
            raw = self._call(
                doing or f"reading endpoint '{namespace}/{name}'",
                lambda: (
                    self._api.get_inference_endpoint(name, namespace=namespace, token=self._token.value).raw
                ),
                deadline=deadline,
            )
        except NotFound:
            return None
        return to_endpoint(raw, namespace)

    def hardware(self, namespace: str) -> list[Hardware]:
        doing = f"listing hardware for namespace '{namespace}'"
        return to_hardware(self._get_json(doing, f"/provider/{namespace}"))

    # -- changing -----------------------------------------------------------------------------------

    def create(self, namespace: str, desired: Desired, tags: tuple[str, ...]) -> Created:
        """Create once, never twice.

        A create is not simply retried: only a 429 or a connection that was never made says for sure
        that nothing was created. After an answer that leaves the outcome unknown (5xx, a timeout, a
        dropped connection) or says the name is taken, the endpoint is read by name first: found, it is
        returned with ``found_after`` set, for the caller to judge; only when absent is it sent again.
        """
        op = self._retry.start(f"creating endpoint '{namespace}/{desired.name}'")
        arguments = create_arguments(desired, tags)

        def attempt() -> Created:
            try:
                raw = self._api.create_inference_endpoint(
                    desired.name, namespace=namespace, token=self._token.value, **arguments
                ).raw
                return Created(to_endpoint(raw, namespace))
            except (HfHubHTTPError, httpx2.TransportError) as error:
                failure = self._classify(error)
                if failure is None or not (failure.outcome_unknown or is_name_taken(error)):
                    raise
                try:
                    found = self.get(
                        namespace,
                        desired.name,
                        doing=f"checking whether endpoint '{namespace}/{desired.name}' was created "
                        f"(the create was answered with {failure.answer})",
                        deadline=op.deadline,
                    )
                except Interrupted:
                    raise Interrupted(
                        f"{op.doing}: interrupted while checking whether it went through (it was "
                        f"answered with {failure.answer}); not sent again; whether it was created is unknown",
                        hint="run `endpointctl plan` to see where things stand",
                    ) from None
                if found is None:
                    op.not_done = True  # known not created, should an interrupt end it here
                    raise  # not created: send it again, after the backoff
                return Created(found, found_after=failure.answer)

        try:
            return self._run(op, attempt)
        except QuotaExceeded as error:
            raise self._with_quota_figures(error, namespace, desired) from None

    def _with_quota_figures(self, error: QuotaExceeded, namespace: str, desired: Desired) -> QuotaExceeded:
        try:
            figures = quota_figures(self.hardware(namespace), desired)
        except EndpointctlError:
            figures = None  # the quota error stands on its own; the figures only add to it
        if figures is None:
            return error
        return QuotaExceeded(
            f"{error.message}; {figures}",
            status=error.status,
            hint="pause or delete endpoints of that instance type, pick another one, or ask Hugging Face "
            "for more quota; `endpointctl hardware` lists quotas",
        )

    def update(
        self, namespace: str, name: str, desired: Desired, paths: tuple[str, ...], tags: tuple[str, ...]
    ) -> Endpoint:
        kwargs = update_arguments(desired, paths)
        if tags:
            kwargs["tags"] = list(tags)
        raw = self._call(
            f"updating endpoint '{namespace}/{name}'",
            lambda: (
                self._api.update_inference_endpoint(
                    name, namespace=namespace, token=self._token.value, **kwargs
                ).raw
            ),
        )
        return to_endpoint(raw, namespace)

    def pause(self, namespace: str, name: str) -> Endpoint:
        raw = self._call(
            f"pausing endpoint '{namespace}/{name}'",
            lambda: (
                self._api.pause_inference_endpoint(name, namespace=namespace, token=self._token.value).raw
            ),
        )
        return to_endpoint(raw, namespace)

    def resume(self, namespace: str, name: str) -> Endpoint:
        raw = self._call(
            f"resuming endpoint '{namespace}/{name}'",
            lambda: (
                self._api.resume_inference_endpoint(
                    name, namespace=namespace, running_ok=True, token=self._token.value
                ).raw
            ),
        )
        return to_endpoint(raw, namespace)

    def scale_to_zero(self, namespace: str, name: str) -> Endpoint:
        raw = self._call(
            f"scaling endpoint '{namespace}/{name}' to zero",
            lambda: (
                self._api.scale_to_zero_inference_endpoint(
                    name, namespace=namespace, token=self._token.value
                ).raw
            ),
        )
        return to_endpoint(raw, namespace)

    def delete(self, namespace: str, name: str) -> None:
        op = self._retry.start(f"deleting endpoint '{namespace}/{name}'")
        try:
            self._run(
                op,
                lambda: self._api.delete_inference_endpoint(
                    name, namespace=namespace, token=self._token.value
                ),
            )
        except NotFound:
            if op.attempts == 1:
                raise
            # An earlier attempt whose answer was lost did the deleting: gone is what was asked for.
