"""The plumbing every hub operation goes through: one API server, one token, retries, errors worded.

``ApiCalls`` runs each operation under the retry policy with a deadline per request (``deadline``),
behind the server's shared rate-limit gate (``limiter``: one per server for the whole process),
notices whether the API has ever answered (``reach``), turns HTTP errors, transport failures and
malformed answers into endpointctl's errors (``failures``), and converts answers once (``responses``).
``client.Hub`` adds the operations themselves.
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import quote

import httpx2
from huggingface_hub import HfApi, constants
from huggingface_hub.errors import HfHubHTTPError
from huggingface_hub.utils._headers import build_hf_headers
from huggingface_hub.utils._http import get_session, hf_raise_for_status

from endpointctl.core.bounded_lines import TooMuch
from endpointctl.core.clock import Cancel, Clock
from endpointctl.core.endpoint import Endpoint
from endpointctl.core.errors import ApiError, NotFound, OutcomeUnknown, PartialAnswer
from endpointctl.core.redact import Redactor
from endpointctl.core.settings import DEFAULT_REQUEST_TIMEOUT, DEFAULT_RETRY_SECONDS, TokenInfo
from endpointctl.hub import process
from endpointctl.hub.deadline import operation_left
from endpointctl.hub.failures import classify, malformed, translate, unreadable
from endpointctl.hub.limiter import Limiter, limiter_for
from endpointctl.hub.reach import Reach
from endpointctl.hub.responses import Malformed, to_endpoint
from endpointctl.hub.retry import SEE_PLAN, Failure, Operation, RetryPolicy
from endpointctl.hub.whoami import WhoamiCache
from endpointctl.hub.wording import excerpt

GATEWAY_HINT = "a proxy or gateway may be answering instead of the API; check ENDPOINTCTL_API_URL"
T = TypeVar("T")
log = logging.getLogger("endpointctl.hub")


def carries_error(answer: Mapping[str, Any]) -> bool:
    """Whether an answer says ``error``: an empty one (null, "", [], {}, as a serializer writing every
    optional field would send) says nothing, as an absent one does."""
    return answer.get("error") not in (None, "", [], {})


def endpoint_path(namespace: str, name: str) -> str:
    """``namespace/name`` for a URL path, each quoted whole: a name with '/', '..' or '?' in it (refused
    on the command line already) can never reach another route; nor can '.' or '..', which quoting
    leaves as they are and a URL reads as a step up."""
    return "/".join(
        quote(part, safe="") if part.strip(".") else part.replace(".", "%2E") for part in (namespace, name)
    )


# What reading an answer that came raises when it cannot be read: a body its Content-Encoding does not
# decode, too large (TooMuch, a ValueError), not JSON, nested too deeply, or of a shape huggingface_hub
# does not expect. ``_attempts`` words each; a create reads back by name after one (``Hub.create``).
UNREADABLE_ANSWERS: tuple[type[BaseException], ...] = (
    httpx2.DecodingError,
    ValueError,
    KeyError,
    TypeError,
    AttributeError,
    RecursionError,
)


class ApiCalls:
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
        api_source: str = "the API address given",
        log_text: Callable[[str], str] | None = None,
        allow_plain_http: bool = False,
    ) -> None:
        """``client_factory`` builds huggingface_hub's shared HTTP client (default: one with ``timeout``);
        tests pass one with an ``httpx2.MockTransport``. ``api_source`` says what set ``api_url``."""
        # Before anything is sent or huggingface_hub is pointed anywhere. The Hub's address (whoami,
        # models) is ENDPOINTCTL_API_URL's server, else huggingface_hub's own, which HF_ENDPOINT may have
        # moved: the token goes there too, so the same rule holds for it.
        if api_url:
            process.refuse_bad_address(api_url, api_source, allow_plain_http=allow_plain_http)
        else:
            process.refuse_bad_address(constants.ENDPOINT, "HF_ENDPOINT", allow_plain_http=allow_plain_http)
        self._token = token
        self._timeout = timeout
        self._redactor = redactor or Redactor()
        self._redactor.add(token.value)
        self._base = process.endpoints_url(api_url)
        self._api = (
            HfApi(endpoint=api_url.rstrip("/"), token=token.value) if api_url else HfApi(token=token.value)
        )
        # huggingface_hub's own log lines (a server's X-HF-Warning, HF_DEBUG's requests) shown as ours are.
        process.install(client_factory or process.TimeoutClientFactory(timeout), self._redactor, log_text)
        if api_url:
            process.keep_to_the_api()  # no telemetry or registry call to huggingface.co beside it
        self._reach = Reach(self._base, api_source)
        self._retry = RetryPolicy(clock=clock, budget=retry_seconds, rng=rng, cancel=cancel, report=report)
        # Every request passes its server's gate: the Endpoints API's (endpoints, logs, catalog), and the
        # Hub's (whoami, models, revisions), the same one when ENDPOINTCTL_API_URL names one server.
        self._limiter = limiter_for(self._base, clock)
        self._hub_limiter = limiter_for(self._api.endpoint, clock)
        self._report = report
        self._whoami = WhoamiCache(self._ask_whoami)
        # Set once the API has refused ``limit``: every later listing uses its default page size.
        self._server_page_size = False

    def _ask_whoami(self, retry: bool) -> Any:
        """The answer as it came: whoami.py refuses one that is no JSON object (a dict() here would read
        ``[["name", "x"]]`` as one)."""
        # Without retries the deadline is now: the first failure ends it, with no second request.
        op = self._retry.start("asking whoami", deadline=None if retry else self._retry.clock.now())
        return self._run(op, lambda: self._api.whoami(token=self._token.value), limiter=self._hub_limiter)

    def close(self) -> None:
        """Stop pointing huggingface_hub at this hub's server (a sandbox that is about to stop, say)."""
        process.release(self._base)

    # -- calls ------------------------------------------------------------------------------------

    def _call(
        self,
        doing: str,
        fn: Callable[[], T],
        *,
        deadline: float | None = None,
        limiter: Limiter | None = None,
        changes: bool = False,
    ) -> T:
        """One operation, retried within its budget (or within ``deadline``, shared with a larger one);
        ``changes``: it is a change, which an answer that cannot be read leaves unknown, not undone."""
        return self._run(self._retry.start(doing, deadline, changes=changes), fn, limiter=limiter)

    def _run(self, op: Operation, fn: Callable[[], T], *, limiter: Limiter | None = None) -> T:
        """``op`` done by ``fn``, retried, behind ``limiter`` (default: the Endpoints API's).

        A change that an earlier attempt may have made (its answer a 5xx, a timeout) and a later one did
        not (a 400, a 409, a 429 to the end, not sent for a hold) is unknown, never "not done"."""
        try:
            return self._attempts(op, fn, limiter=limiter)
        except (OutcomeUnknown, NotFound):
            raise  # a 404 after it: gone, which a delete asked for and the others report as such
        except ApiError as error:
            if not (op.changes and op.maybe_done_by is not None):
                raise
            raise OutcomeUnknown(
                f"{error.message}; {op.why_unknown()}",
                status=error.status,
                hint=SEE_PLAN,
            ) from None

    def _attempts(self, op: Operation, fn: Callable[[], T], *, limiter: Limiter | None = None) -> T:
        """``_run``'s attempts, each failure in words."""

        def attempt() -> T:
            process.point_at(self._base)  # HfApi reads the base URL at call time
            left = None if op.not_after is None else max(op.not_after - self._retry.clock.now(), 0.0)
            with operation_left(left):
                result = fn()
            self._reach.answered = True
            return result

        def classify(error: BaseException) -> Failure | None:
            failure = self._classify(error)
            self._reach.note(failure, op)
            return failure

        try:
            return self._retry.run(op, attempt, classify, limiter or self._limiter)
        except HfHubHTTPError as error:
            raise translate(error, op, self._token, self._whoami.owner, self._redactor) from None
        except httpx2.TooManyRedirects:
            raise ApiError(f"{op.doing}: the API answered with redirects that go round in a loop") from None
        except httpx2.DecodingError as error:
            # A body its Content-Encoding does not decode: an answer came, and it cannot be read.
            raise self._unreadable_answer(
                op, f"answered a body that cannot be decoded ({self._redactor.shorten(str(error), 200)})"
            ) from None
        except httpx2.RequestError as error:
            failure = self._classify(error)
            answer = failure.answer if failure else f"nothing: could not reach it ({type(error).__name__})"
            raise self._reach.explain(ApiError(f"{op.doing}: the API answered {answer}")) from None
        except ApiError as error:
            raise self._reach.explain(error) from None
        # An answer that cannot be read: after a change, whether it took effect is unknown.
        except TooMuch as error:
            # An answer past API_ANSWER_BYTES (decoded), stopped there by the transport (``deadline``).
            raise self._unreadable_answer(
                op, f"sent {error} (the most endpointctl reads of an answer)"
            ) from None
        except json.JSONDecodeError as error:
            # Raised inside huggingface_hub, after its status check passed: a success status.
            raise self._unreadable_answer(
                op,
                f"answered a success status with a body that is not JSON: "
                f"{excerpt(error.doc, self._redactor)}",
            ) from None
        except (KeyError, TypeError, AttributeError, ValueError) as error:
            # Only huggingface_hub's reading of an answer runs in ``fn``: it met a shape it did not expect.
            raise unreadable(malformed(op.doing, error, self._redactor), changes=op.changes) from None
        except RecursionError:
            # JSON nested a thousand levels deep: the decoder gives up on it (a broken or hostile server).
            raise self._unreadable_answer(
                op, "answered JSON nested too deeply to read; nothing in it is used"
            ) from None

    @staticmethod
    def _unreadable_answer(op: Operation, what: str) -> ApiError:
        """An answer to ``op`` that cannot be read: "the API ``what``"; after a change, its outcome is
        unknown (``failures.unreadable``)."""
        return unreadable(ApiError(f"{op.doing}: the API {what}", hint=GATEWAY_HINT), changes=op.changes)

    def _endpoint(self, raw: Any, namespace: str, doing: str, *, changes: bool = False) -> Endpoint:
        try:
            return to_endpoint(raw, namespace)
        except Malformed as error:
            raise unreadable(malformed(doing, error, self._redactor), changes=changes) from None

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
        return self._get_json_at(doing, f"{self._base}{path}", params=params, deadline=deadline)

    def _get_json_at(
        self,
        doing: str,
        url: str,
        *,
        params: Mapping[str, str | int] | None = None,
        deadline: float | None = None,
    ) -> dict[str, Any]:
        """GET ``url`` as ``_get_json`` does: retried, a JSON object, never one with an error beside it."""
        headers = build_hf_headers(token=self._token.value)

        def fetch() -> dict[str, Any]:
            response = get_session().get(url, headers=headers, params=dict(params or {}))
            hf_raise_for_status(response)
            return self._json_object(response, doing)

        answer = self._call(doing, fetch, deadline=deadline)
        self._refuse_an_error_beside(doing, answer)
        return answer

    def _refuse_an_error_beside(self, doing: str, answer: Mapping[str, Any], *, sent: bool = False) -> None:
        """A success answer that also carries an ``error`` (the API's error body) says it is not whole,
        or not what was asked ("partial results"): what it holds is never used as if it were. After a
        change was ``sent``, whether it took effect is then unknown."""
        if not carries_error(answer):
            return
        said = answer["error"]
        text = said if isinstance(said, str) else json.dumps(said)
        message = (
            f"{doing}: the API answered success with an error beside it: {excerpt(text, self._redactor)}"
        )
        if sent:
            raise OutcomeUnknown(f"{message}; whether it took effect is unknown", hint=SEE_PLAN)
        raise PartialAnswer(
            f"{message}; nothing in that answer is used",
            hint="try again later; if it persists, a proxy or the API is failing",
        )

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
            hint=GATEWAY_HINT,
        )

    def _note(self, line: str) -> None:
        log.info("%s", line)
        if self._report is not None:
            self._report(line)
