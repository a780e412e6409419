"""Endpoint operations on one API server with one token, through huggingface_hub.

huggingface_hub's endpoint methods have no timeout and no retry, its listing reads one page of 20, and
its debug log prints request bodies (secrets included). Every call here goes through ``calls.ApiCalls``
(a deadline per request, retries per operation, errors worded); a create is retried only in ways that
cannot duplicate it, and listing follows ``nextCursor`` itself, to the last page or to a clear error.

The hub reports what it found; deciding what that means (adopt an endpoint found after a lost create
answer, or refuse it) is the engine's.
"""

from __future__ import annotations

import contextlib
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx2
from huggingface_hub.errors import HfHubHTTPError
from huggingface_hub.utils._headers import build_hf_headers
from huggingface_hub.utils._http import get_session, hf_raise_for_status

from endpointctl.core.endpoint import Endpoint, Hardware
from endpointctl.core.errors import (
    ApiError,
    EndpointctlError,
    Interrupted,
    NotFound,
    OutcomeUnknown,
    QuotaExceeded,
)
from endpointctl.core.names import name_key
from endpointctl.core.spec import Desired
from endpointctl.core.suggest import command_for
from endpointctl.hub.calls import GATEWAY_HINT, UNREADABLE_ANSWERS, carries_error, endpoint_path
from endpointctl.hub.catalog import CatalogCalls
from endpointctl.hub.failures import is_name_taken, malformed
from endpointctl.hub.logs import LogCalls
from endpointctl.hub.models import ModelCalls
from endpointctl.hub.requests import create_arguments, update_arguments
from endpointctl.hub.responses import to_hardware
from endpointctl.hub.retry import SEE_PLAN
from endpointctl.hub.wording import excerpt, quota_figures, server_message

# The reference documents only the server's default page size (20); a larger page means fewer calls.
# A server that refuses it (400/422) is asked again without ``limit``, and not sent it again.
PAGE_SIZE = 100
MAX_PAGES = 1000  # 100 000 endpoints at PAGE_SIZE: a namespace never has that many; a broken server might
_LIMIT_REFUSED_STATUSES = (400, 422)


@dataclass(frozen=True)
class Created:
    endpoint: Endpoint
    # Set when the create's answer was lost (a 5xx, a timeout, a dropped connection) or said the name is
    # taken, and the endpoint was then found by name: what the server last answered. Whether the endpoint
    # found is the one asked for, and may be adopted, is the caller's decision.
    found_after: str | None = None


# A create's answer that cannot be read, or that leaves its outcome unknown (an error beside it).
_UNREADABLE_OR_UNKNOWN: tuple[type[BaseException], ...] = (*UNREADABLE_ANSWERS, OutcomeUnknown)


class Hub(ModelCalls, CatalogCalls, LogCalls):
    """Endpoint operations on one API server with one token (the plumbing is ``ApiCalls``; revision
    lookups on the Hub are ``RevisionCalls``, model metadata ``ModelCalls``, the catalog ``CatalogCalls``)."""

    # -- who ----------------------------------------------------------------------------------------

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
        seen: set[str] = set()
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
            endpoints.extend(self._endpoint(raw, namespace, doing) for raw in items)
            # Only an absent, null or empty cursor ends the listing. Any other value (0, false, [], {})
            # is not a cursor we can follow, and taking it for "no more pages" would act on a part of
            # the listing as if it were all of it: ``_next`` refuses it.
            following = page.get("nextCursor")
            if following is None or following == "":
                return self._once_each(doing, endpoints)
            cursor = self._next(doing, following, seen)

    def _once_each(self, doing: str, endpoints: list[Endpoint]) -> list[Endpoint]:
        """The listing, if it names each endpoint once: one listed twice (pages that moved while they were
        read, in any case or spelling) is a reading that cannot be trusted, never two endpoints to act on."""
        counts = Counter(name_key(endpoint.name) for endpoint in endpoints)
        repeated = sorted({ep.name for ep in endpoints if counts[name_key(ep.name)] > 1})
        if repeated:
            names = ", ".join(repr(name) for name in repeated[:5]) + (", ..." if len(repeated) > 5 else "")
            raise ApiError(
                f"{doing}: the API listed {names} more than once; a listing that repeats an endpoint "
                "is never used",
                hint="try again: the pages may have moved while they were read",
            )
        return endpoints

    def _next(self, doing: str, cursor: Any, seen: set[str]) -> str:
        """The next page's cursor, if the listing can go on: a cursor is text, new, and within the cap.

        A server answering a cursor it answered before would send us round forever, and one that never
        stops, through ever new cursors, for as long as it likes; both are errors, never a partial list.
        """
        if not isinstance(cursor, str):
            raise ApiError(
                f"{doing}: the API answered a 'nextCursor' that is {type(cursor).__name__}, not text: "
                f"{excerpt(json.dumps(cursor), self._redactor)}; the pages after it cannot be read, "
                "and the listing is never used without them"
            )
        if cursor in seen:
            raise ApiError(f"{doing}: the API answered a 'nextCursor' it had answered before (a loop)")
        if len(seen) + 1 >= MAX_PAGES:
            raise ApiError(f"{doing}: more than {MAX_PAGES} pages; stopped rather than list without end")
        seen.add(cursor)
        return cursor

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
        doing = doing or f"reading endpoint '{namespace}/{name}'"
        self._refuse_an_error_beside(doing, raw)
        return self._endpoint(raw, namespace, doing)

    def hardware(self, namespace: str) -> list[Hardware]:
        doing = f"listing hardware for namespace '{namespace}'"
        answer = self._get_json(doing, f"/provider/{namespace}")
        try:
            return to_hardware(answer)
        except (KeyError, TypeError, AttributeError, ArithmeticError, ValueError) as error:
            # ArithmeticError: a number JSON allows and Python reads as infinite (1e400) has no int.
            raise malformed(doing, error, self._redactor) from None

    # -- changing -----------------------------------------------------------------------------------

    def create(self, namespace: str, desired: Desired, tags: tuple[str, ...]) -> Created:
        """Create once, never twice.

        A create is not simply retried: only a 429 or a connection that was never made says for sure
        that nothing was created. After an answer that leaves the outcome unknown (5xx, a timeout, a
        dropped connection) or says the name is taken, the endpoint is read by name first: found, it is
        returned with ``found_after`` set, for the caller to judge; only when absent is it sent again.
        """
        op = self._retry.start(f"creating endpoint '{namespace}/{desired.name}'", changes=True)
        arguments = create_arguments(desired, tags)

        def attempt() -> Created:
            try:
                raw = self._api.create_inference_endpoint(
                    desired.name, namespace=namespace, token=self._token.value, **arguments
                ).raw
                self._refuse_an_error_beside(op.doing, raw, sent=True)
                return Created(self._endpoint(raw, namespace, op.doing, changes=True))
            except (HfHubHTTPError, httpx2.TransportError) as error:
                failure = self._classify(error)
                if failure is None or not (failure.outcome_unknown or is_name_taken(error)):
                    raise
                found = self._read_back(op.doing, namespace, desired.name, failure.answer, op.deadline)
                if found is None:
                    op.not_done = True  # known not created, should an interrupt end it here
                    raise  # not created: send it again, after the backoff
                return Created(found, found_after=failure.answer)
            except _UNREADABLE_OR_UNKNOWN:
                # Answered, with something that cannot be read (too large, not JSON, not an endpoint, an
                # error beside it): the endpoint as read by name tells. Not there (yet) proves nothing
                # after a success status: the answer's own error stands, its outcome unknown.
                answer = "a success status whose answer could not be read"
                found = self._read_back(op.doing, namespace, desired.name, answer, op.deadline)
                if found is None:
                    raise
                return Created(found, found_after=answer)

        try:
            return self._run(op, attempt)
        except QuotaExceeded as error:
            raise self._with_quota_figures(error, namespace, desired) from None

    def _read_back(
        self, doing: str, namespace: str, name: str, answered: str, deadline: float
    ) -> Endpoint | None:
        """The endpoint a create answered with ``answered`` may have made, read by name within the create's
        ``deadline``; None: it is not there. A read that cannot tell (interrupted, failed, partial) leaves
        the create's outcome unknown: it is never sent again then, and the error says so."""
        try:
            return self.get(
                namespace,
                name,
                doing=f"checking whether endpoint '{namespace}/{name}' was created "
                f"(the create was answered with {answered})",
                deadline=deadline,
            )
        except Interrupted:
            raise Interrupted(
                f"{doing}: interrupted while checking whether it went through (it was "
                f"answered with {answered}); not sent again; whether it was created is unknown",
                hint=SEE_PLAN,
                outcome_unknown=True,
            ) from None
        except ApiError as unread:
            # Not read back (a partial answer, a 5xx, one too large): never sent blind again.
            raise OutcomeUnknown(
                f"{unread.message}; not sent again: whether it was created is unknown",
                status=unread.status,
                hint=SEE_PLAN,
            ) from None

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

    def _change(self, doing: str, namespace: str, call: Callable[[], Any]) -> Endpoint:
        """A call answered with the endpoint it changed (huggingface_hub's ``InferenceEndpoint``)."""
        raw = self._call(doing, lambda: call().raw, changes=True)
        self._refuse_an_error_beside(doing, raw, sent=True)
        return self._endpoint(raw, namespace, doing, changes=True)

    def update(
        self,
        namespace: str,
        name: str,
        desired: Desired | None,
        paths: tuple[str, ...],
        tags: tuple[str, ...],
    ) -> Endpoint:
        """Send ``paths`` (values from ``desired``) and ``tags`` (the full list). Beside paths, no tags leaves
        them as they are; with no paths the update is tags-only (``schedule hold``/``release``, no manifest
        needed), and its list is sent even when empty: a release of a hold that was the only tag."""
        kwargs: dict[str, Any] = {}
        if paths:
            assert desired is not None, "the values of paths come from a manifest"
            kwargs = update_arguments(desired, paths)
        # Beside paths, () means "tags unchanged" (apply plans a tag list only when it changes, and it always
        # holds the ownership tags, so it is never empty). An update with neither is never planned.
        if tags or not paths:
            kwargs["tags"] = list(tags)
        return self._change(
            f"updating endpoint '{namespace}/{name}'",
            namespace,
            lambda: self._api.update_inference_endpoint(
                name, namespace=namespace, token=self._token.value, **kwargs
            ),
        )

    def pause(self, namespace: str, name: str) -> Endpoint:
        return self._change(
            f"pausing endpoint '{namespace}/{name}'",
            namespace,
            lambda: self._api.pause_inference_endpoint(name, namespace=namespace, token=self._token.value),
        )

    def resume(self, namespace: str, name: str) -> Endpoint:
        return self._change(
            f"resuming endpoint '{namespace}/{name}'",
            namespace,
            lambda: self._api.resume_inference_endpoint(
                name, namespace=namespace, running_ok=True, token=self._token.value
            ),
        )

    def scale_to_zero(self, namespace: str, name: str) -> Endpoint:
        return self._change(
            f"scaling endpoint '{namespace}/{name}' to zero",
            namespace,
            lambda: self._api.scale_to_zero_inference_endpoint(
                name, namespace=namespace, token=self._token.value
            ),
        )

    def delete(self, namespace: str, name: str) -> None:
        """Delete it; an endpoint that is already gone (404) is what was asked for.

        Sent here rather than by huggingface_hub's ``delete_inference_endpoint``, which drops the answer's
        body: a success status whose body says ``error`` (the API's error shape) deleted nothing, and
        only the body tells.
        """
        doing = f"deleting endpoint '{namespace}/{name}'"
        url = f"{self._base}/endpoint/{endpoint_path(namespace, name)}"
        headers = build_hf_headers(token=self._token.value)

        def send() -> None:
            response = get_session().delete(url, headers=headers)
            hf_raise_for_status(response)
            # Named with its namespace: the hub cannot tell where a bare command would land.
            self._deleted(doing, response, command_for("status", namespace, name))

        with contextlib.suppress(NotFound):
            self._call(doing, send, changes=True)

    def _deleted(self, doing: str, response: httpx2.Response, status: str) -> None:
        """Refuse a delete's success answer unless it says done: the documented body is ``{}``, and an empty
        body is taken as done too; one with an ``error`` is not, nor one that is no JSON object (a
        gateway's page, not the API's answer)."""
        if not response.content.strip():
            return
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise OutcomeUnknown(
                f"{doing}: the API answered {response.status_code} with a body that is not the API's: "
                f"{excerpt(response.text, self._redactor)}; whether it was deleted is unknown",
                status=response.status_code,
                hint=f"{GATEWAY_HINT}; run `{status}` to see whether it is still there",
            )
        if carries_error(body):
            raise OutcomeUnknown(
                f"{doing}: the API answered {response.status_code} with an error: "
                f"{server_message(response, self._redactor)}; whether it was deleted is unknown",
                status=response.status_code,
                hint=f"run `{status}` to see whether it is still there",
            )
