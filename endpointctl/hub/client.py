"""The only package that talks to huggingface_hub (with `session.py`); raw API dicts stop here.

huggingface_hub's endpoint methods have no timeout and no retry, its listing reads one page of 20, and
its debug log prints request bodies (secrets included). This module gives every call a timeout,
retries each operation under ``retry.RetryPolicy`` (a create only in ways that cannot duplicate it),
follows ``nextCursor`` itself through huggingface_hub's session and header helpers, scrubs the debug
log, and turns HTTP errors into endpointctl's error tree with a message that says what was being done.
An answer whose body is not the JSON it should be is an ``ApiError`` too, never a bare ValueError.
"""

from __future__ import annotations

import json
import logging
import random
import threading
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import httpx2
from huggingface_hub import HfApi, constants
from huggingface_hub.errors import HfHubHTTPError
from huggingface_hub.utils._headers import build_hf_headers
from huggingface_hub.utils._http import (
    get_session,
    hf_raise_for_status,
)

from endpointctl.core.diff import diff_endpoint
from endpointctl.core.errors import (
    ApiError,
    AuthError,
    Conflict,
    EndpointctlError,
    Interrupted,
    NotFound,
    QuotaExceeded,
    WaitTimeout,
)
from endpointctl.core.models import (
    DEFAULT_FRAMEWORK,
    DEFAULT_IMAGE,
    DEFAULT_SECURITY,
    MANAGED_TAG,
    Desired,
    Endpoint,
    Hardware,
)
from endpointctl.core.redact import Redactor
from endpointctl.core.settings import DEFAULT_REQUEST_TIMEOUT, DEFAULT_RETRY_SECONDS
from endpointctl.engine.clock import Clock, SystemClock
from endpointctl.hub.responses import to_endpoint, to_hardware, update_arguments
from endpointctl.hub.retry import Failure, Operation, RetryPolicy
from endpointctl.hub.session import (
    TokenInfo,
    _excerpt,
    _failure,
    _install_client,
    _is_name_taken,
    _is_quota,
    _namespace_of,
    _server_message,
    _WhoamiAnswer,
    resolve_token,
)
from endpointctl.hub.wording import TokenOwner, auth_hint, quota_figures

# The reference documents only the server's default page size (20); a larger page means fewer calls.
# A server that refuses it (400/422) is asked again without ``limit``, and not sent it again.
__all__ = ["Hub", "TokenInfo", "resolve_token"]

PAGE_SIZE = 100
_LIMIT_REFUSED_STATUSES = (400, 422)
# How much of a body that is not JSON an error message quotes (scrubbed).
# wait_absent's polling: from 1 s, doubling up to 10 s, each drawn from the upper half (jitter).
ABSENT_POLL_INITIAL = 1.0
ABSENT_POLL_CAP = 10.0
T = TypeVar("T")
log = logging.getLogger("endpointctl.hub")


class Hub:
    """Endpoint operations on one API server with one token."""

    def __init__(
        self,
        *,
        token: TokenInfo,
        api_url: str | None = None,
        timeout: float = DEFAULT_REQUEST_TIMEOUT,
        redactor: Redactor | None = None,
        clock: Clock | None = None,
        retry_seconds: float = DEFAULT_RETRY_SECONDS,
        rng: random.Random | None = None,
        cancel: threading.Event | None = None,
        report: Callable[[str], None] | None = None,
    ) -> None:
        self._token = token
        self._timeout = timeout
        self._redactor = redactor or Redactor()
        self._redactor.add(token.value)
        if api_url:
            base = api_url.rstrip("/")
            # huggingface_hub reads this constant at call time and offers no other override.
            constants.INFERENCE_ENDPOINTS_ENDPOINT = base + "/v2"
            self._api = HfApi(endpoint=base, token=token.value)
        else:
            self._api = HfApi(token=token.value)
        _install_client(timeout, self._redactor)
        self._retry = RetryPolicy(
            clock=clock or SystemClock(), budget=retry_seconds, rng=rng, cancel=cancel, report=report
        )
        self._report = report
        self._rng = rng or random.Random()
        # whoami is asked at most once per process, whether for the namespace or for an auth hint, and
        # its answer is kept even when it is a failure: the route is heavily rate-limited.
        self._whoami_answer: _WhoamiAnswer | None = None
        self._whoami_lock = threading.Lock()
        # Set once the API has refused ``limit``: every later listing uses its default page size.
        self._server_page_size = False

    # -- calls ------------------------------------------------------------------------------------

    def _call(self, doing: str, fn: Callable[[], T], *, deadline: float | None = None) -> T:
        """One operation, retried within its budget (or within ``deadline``, shared with a larger one)."""
        return self._run(self._retry.start(doing, deadline), fn)

    def _run(self, op: Operation, fn: Callable[[], T]) -> T:
        try:
            return self._retry.run(op, fn, self._classify)
        except HfHubHTTPError as error:
            raise self._translate(error, op) from None
        except httpx2.TransportError as error:
            failure = self._classify(error)
            answer = failure.answer if failure else f"nothing: could not reach it ({type(error).__name__})"
            raise ApiError(f"{op.doing}: the API answered {answer}") from None
        except json.JSONDecodeError as error:
            # Raised inside huggingface_hub, after its status check passed: a success status.
            raise ApiError(
                f"{op.doing}: the API answered a success status with a body that is not JSON: "
                f"{_excerpt(error.doc, self._redactor)}",
                hint="a proxy or gateway may be answering instead of the API; check ENDPOINTCTL_API_URL",
            ) from None

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
        url = f"{constants.INFERENCE_ENDPOINTS_ENDPOINT}{path}"
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
            f"{_excerpt(response.text, self._redactor)}",
            status=response.status_code,
            hint="a proxy or gateway may be answering instead of the API; check ENDPOINTCTL_API_URL",
        )

    def _classify(self, error: BaseException) -> Failure | None:
        return _failure(error, self._timeout)

    def _translate(self, error: HfHubHTTPError, op: Operation) -> ApiError:
        response = error.response
        status = response.status_code
        message = f"{op.doing}: the API answered {status}: {_server_message(response)}"
        if op.attempts > 1:
            message += f" (attempt {op.attempts})"
        if status in (401, 403):
            request = response.request
            if request.url.path.endswith("/whoami-v2"):
                owner, rejected = None, status == 401
            else:
                owner, rejected = self._token_owner()
            hint = auth_hint(
                self._token,
                owner,
                rejected=rejected,
                namespace=_namespace_of(request.url.path),
                writing=request.method in ("POST", "PUT", "PATCH", "DELETE"),
            )
            return AuthError(message, status=status, hint=hint)
        if status == 404:
            return NotFound(message, status=status)
        if status == 409:
            if _is_quota(response):
                return QuotaExceeded(message, status=status, hint="run `endpointctl hardware` to see quotas")
            return Conflict(message, status=status)
        return ApiError(message, status=status)

    def _whoami_info(self, *, retry: bool) -> dict[str, Any]:
        """whoami's answer, asked at most once per process; a failure is kept and raised again.

        ``retry``: within the usual budget (the namespace depends on it); otherwise one try, for a
        hint that only adds to an error already on its way. Whichever comes first is the answer.
        """
        with self._whoami_lock:
            if self._whoami_answer is None:
                # Without retries the deadline is now: the first failure ends it, with no second request.
                op = self._retry.start("asking whoami", deadline=None if retry else self._retry.clock.now())
                try:
                    info = self._run(op, lambda: self._api.whoami(token=self._token.value))
                except (ApiError, Interrupted) as error:
                    self._whoami_answer = _WhoamiAnswer(None, error)
                else:
                    self._whoami_answer = _WhoamiAnswer(dict(info), None)
            answer = self._whoami_answer
        if answer.error is not None:
            raise answer.error
        assert answer.info is not None
        return answer.info

    def _token_owner(self) -> tuple[TokenOwner | None, bool]:
        """Whose token this is if whoami answers, and whether whoami rejected it outright."""
        try:
            info = self._whoami_info(retry=False)
        except EndpointctlError as error:
            return None, isinstance(error, ApiError) and error.status == 401
        access = ((info.get("auth") or {}).get("accessToken")) or {}
        owner = TokenOwner(
            name=str(info.get("name", "?")),
            orgs=tuple(str(org.get("name")) for org in info.get("orgs") or ()),
            role=access.get("role"),
            token_name=access.get("displayName"),
        )
        return owner, False

    def whoami(self) -> str:
        """The token's user name; asked at most once per process (the route is heavily rate-limited)."""
        try:
            info = self._whoami_info(retry=True)
        except ApiError as error:
            if error.status != 429:
                raise
            # Rate limited is not invalid: say so, and how to avoid asking at all.
            raise ApiError(
                error.message,
                status=429,
                hint="whoami is heavily rate-limited; give --namespace or ENDPOINTCTL_NAMESPACE "
                "so it is not needed",
            ) from None
        return str(info["name"])

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

    def _note(self, line: str) -> None:
        log.info("%s", line)
        if self._report is not None:
            self._report(line)

    def get(self, namespace: str, name: str) -> Endpoint | None:
        return self._read(namespace, name, f"reading endpoint '{namespace}/{name}'")

    def _read(self, namespace: str, name: str, doing: str, deadline: float | None = None) -> Endpoint | None:
        try:
            raw = self._call(
                doing,
                lambda: (
                    self._api.get_inference_endpoint(name, namespace=namespace, token=self._token.value).raw
                ),
                deadline=deadline,
            )
        except NotFound:
            return None
        return to_endpoint(raw, namespace)

    def create(self, namespace: str, desired: Desired, tags: tuple[str, ...]) -> Endpoint:
        """Create once, never twice.

        A create is not simply retried: only a 429 or a connection that was never made says for sure
        that nothing was created. After an answer that leaves the outcome unknown (5xx, a timeout, a
        dropped connection) or says the name is taken, the endpoint is read by name first: ours and as
        desired, it is adopted; someone else's stops with an error; only when absent is it sent again.
        """
        op = self._retry.start(f"creating endpoint '{namespace}/{desired.name}'")

        def attempt() -> Endpoint:
            try:
                return to_endpoint(self._send_create(namespace, desired, tags), namespace)
            except (HfHubHTTPError, httpx2.TransportError) as error:
                failure = self._classify(error)
                if failure is None or not (failure.outcome_unknown or _is_name_taken(error)):
                    raise
                try:
                    found = self._read(
                        namespace,
                        desired.name,
                        f"checking whether endpoint '{namespace}/{desired.name}' was created "
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
                return self._claim(found, desired, tags, op.doing)

        try:
            return self._run(op, attempt)
        except QuotaExceeded as error:
            raise self._with_quota_figures(error, namespace, desired) from None

    def _claim(self, found: Endpoint, desired: Desired, tags: tuple[str, ...], doing: str) -> Endpoint:
        """Adopt an endpoint found after an unanswered create, if it is the one we asked for."""
        if MANAGED_TAG not in found.tags:
            raise Conflict(
                f"{doing}: an endpoint of that name exists without endpointctl's ownership tag "
                f"'{MANAGED_TAG}', so this run did not create it; nothing was changed",
                hint="find out who created it; `endpointctl apply --adopt` takes it over",
            )
        differing = [change.path for change in diff_endpoint(desired, found)]
        if set(tags) - set(found.tags):
            differing.append("tags")
        if differing:
            raise Conflict(
                f"{doing}: an endpoint of that name exists, tagged as endpointctl's, but differs from the "
                f"manifest in {', '.join(differing)}; another run may have created it",
                hint="run `endpointctl plan` to see the difference, then apply again",
            )
        log.info("%s: the create went through although its answer was lost; adopted", doing)
        return found

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

    def _send_create(self, namespace: str, desired: Desired, tags: tuple[str, ...]) -> dict[str, Any]:
        spec = desired.spec
        scaling = spec.scaling
        link = spec.private_link
        security = spec.security or DEFAULT_SECURITY
        raw: dict[str, Any] = self._api.create_inference_endpoint(
            desired.name,
            namespace=namespace,
            repository=spec.model.repository,
            revision=spec.model.revision,
            task=spec.model.task,
            framework=(spec.model.framework or DEFAULT_FRAMEWORK).value,
            custom_image=spec.model.image or DEFAULT_IMAGE,
            env=spec.model.env,
            secrets=spec.model.secrets,
            vendor=spec.provider.vendor.value,
            region=spec.provider.region,
            accelerator=spec.compute.accelerator.value,
            instance_type=spec.compute.instance_type,
            instance_size=spec.compute.instance_size,
            min_replica=1 if scaling is None or scaling.min_replica is None else scaling.min_replica,
            max_replica=1 if scaling is None or scaling.max_replica is None else scaling.max_replica,
            scale_to_zero_timeout=None if scaling is None else scaling.scale_to_zero_timeout,
            type=security.wire,
            private_link_account_id=link.account_id if link else None,
            private_link_region=link.region if link else None,
            tags=list(tags),
            token=self._token.value,
        ).raw
        return raw

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

    def wait_absent(self, namespace: str, name: str, *, timeout: float) -> None:
        """Read the endpoint until the API answers 404, for a create of the same name after a delete.

        The API may delete asynchronously: a create sent while the old endpoint is still there gets a
        409. Polls back off from 1 s to 10 s with jitter, on the injected clock; the reads' retries share
        the same ``timeout``. Raises WaitTimeout when it is still there after ``timeout`` seconds, and
        Interrupted (at once, from the sleep) on an interrupt.
        """
        where = f"'{namespace}/{name}'"
        clock = self._retry.clock
        deadline = clock.now() + timeout
        ceiling = ABSENT_POLL_INITIAL
        while True:
            found = self._read(
                namespace, name, f"checking whether endpoint {where} is gone after its delete", deadline
            )
            if found is None:
                return
            left = deadline - clock.now()
            if left <= 0:
                raise WaitTimeout(
                    f"endpoint {where} was deleted but still exists after {timeout:g} s "
                    f"(status {found.status.value})",
                    hint="the API may still be deleting it; run the same command again later",
                )
            if not self._retry.sleep(min(left, self._rng.uniform(ceiling / 2, ceiling))):
                raise Interrupted(
                    f"interrupted while waiting for endpoint {where} to be gone after its delete; "
                    f"it was still there (status {found.status.value})"
                )
            ceiling = min(ABSENT_POLL_CAP, ceiling * 2)

    def hardware(self, namespace: str) -> list[Hardware]:
        doing = f"listing hardware for namespace '{namespace}'"
        return to_hardware(self._get_json(doing, f"/provider/{namespace}"))
