"""hub's HTTP behaviour through huggingface_hub, against scripted answers (httpx2.MockTransport).

Each test scripts the server's answers per request and records when (by the injected ManualClock)
each request was made, so "no retry sooner than advertised" and "no retry at all" are counted, not
assumed.
"""

from __future__ import annotations

import email.utils
import itertools
import json
import random
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import builders
import httpx2
import pytest
from builders import desired
from clocks import InterruptedAt
from huggingface_hub.utils import set_client_factory
from huggingface_hub.utils._http import default_client_factory

from endpointctl.core.errors import ApiError, AuthError, Interrupted, QuotaExceeded
from endpointctl.core.outcomes import ChangeOutcome, ChangeResult
from endpointctl.core.plan import Action, Change, Plan, Step, StepKind
from endpointctl.core.settings import TokenInfo
from endpointctl.core.tags import MANAGED_TAG, ownership_tags
from endpointctl.engine.executor import Executor
from endpointctl.hub import Hub
from endpointctl.sandbox import ManualClock

API = "https://api.test"
SECRET = "hf_the_secret_token_value_42"
NOW = 1_760_000_000.0
CREATE = "POST /v2/endpoint/acme"
GET_ONE = "GET /v2/endpoint/acme/gpt2-demo"
Answer = httpx2.Response | Exception


@dataclass
class Server:
    """Answers from a script per request key ("METHOD /path"); the last answer repeats."""

    clock: ManualClock
    script: dict[str, list[Answer]] = field(default_factory=dict)
    seen: list[tuple[str, float]] = field(default_factory=list)

    def handle(self, request: httpx2.Request) -> httpx2.Response:
        key = f"{request.method} {request.url.path}"
        self.seen.append((key, self.clock.now()))
        answers = self.script.get(key)
        if not answers:
            return httpx2.Response(404, json={"error": "Not found"})
        answer = answers.pop(0) if len(answers) > 1 else answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer

    def requests(self) -> list[str]:
        return [key for key, _ in self.seen]

    def times(self, key: str) -> list[float]:
        return [at for k, at in self.seen if k == key]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
def server(clock: ManualClock) -> Iterator[Server]:
    yield Server(clock)
    set_client_factory(default_client_factory)


@pytest.fixture
def hub(server: Server, clock: ManualClock) -> Hub:
    return make_hub(server, clock)


def make_hub(
    server: Server,
    clock: ManualClock,
    retry_seconds: float = 120.0,
    *,
    cancel: threading.Event | None = None,
    handle: Callable[[httpx2.Request], httpx2.Response] | None = None,
) -> Hub:
    """A hub answered by ``server``'s script (through ``handle``, when a test wraps it)."""
    token = TokenInfo(SECRET, "the HF_TOKEN environment variable")
    return Hub(
        token=token,
        api_url=API,
        clock=clock,
        retry_seconds=retry_seconds,
        rng=random.Random(3),
        cancel=cancel,
        # Answers from the script instead of a network.
        client_factory=lambda: httpx2.Client(transport=httpx2.MockTransport(handle or server.handle)),
    )


def error(status: int, message: str = "nope", **headers: str) -> httpx2.Response:
    return httpx2.Response(status, json={"error": message}, headers=headers)


def raw_endpoint(
    name: str = "gpt2-demo", tags: tuple[str, ...] = ("team=nlp", MANAGED_TAG)
) -> dict[str, Any]:
    return builders.raw_endpoint(name, state="pending", tags=tags)


def ok(doc: Any) -> httpx2.Response:
    return httpx2.Response(200, json=doc)


def gaps(times: list[float]) -> list[float]:
    # Rounded: the ManualClock's float sums are off by ~1e-7 s at epoch magnitudes.
    return [round(b - a, 6) for a, b in itertools.pairwise(times)]


TAGS = ("team=nlp", *ownership_tags(None))


# -- honouring what the server asks -------------------------------------------------------------------


def test_retry_after_as_a_date_is_honoured(server: Server, hub: Hub, clock: ManualClock) -> None:
    # The server's clock is an hour ahead of ours; its Date and Retry-After agree, so we wait 7 s.
    server_now = NOW + 3600
    limited = error(
        429,
        "slow down",
        **{
            "Date": email.utils.formatdate(server_now, usegmt=True),
            "Retry-After": email.utils.formatdate(server_now + 7, usegmt=True),
        },
    )
    server.script[GET_ONE] = [limited, ok(raw_endpoint())]
    assert hub.get("acme", "gpt2-demo") is not None
    (gap,) = gaps(server.times(GET_ONE))
    assert gap >= 7


def test_ratelimit_reset_is_honoured(server: Server, hub: Hub) -> None:
    page = ok({"items": [raw_endpoint()], "nextCursor": None})
    server.script["GET /v2/endpoint/acme"] = [error(503, "busy", RateLimit='"default";r=0;t=12'), page]
    assert [ep.name for ep in hub.list_endpoints("acme")] == ["gpt2-demo"]
    (gap,) = gaps(server.times("GET /v2/endpoint/acme"))
    assert gap >= 12


def test_backoff_grows_and_is_jittered_without_server_hints(server: Server, clock: ManualClock) -> None:
    hub = make_hub(server, clock, retry_seconds=10_000)
    server.script[GET_ONE] = [*([error(502, "bad gateway")] * 8), ok(raw_endpoint())]
    assert hub.get("acme", "gpt2-demo") is not None
    waits = gaps(server.times(GET_ONE))
    assert len(waits) == 8
    assert all(0 <= wait <= min(30.0, 2.0**n) for n, wait in enumerate(waits))
    assert len(set(waits)) == len(waits)  # jittered: no two the same


def test_timeouts_and_dropped_connections_are_retried(server: Server, hub: Hub) -> None:
    server.script[GET_ONE] = [
        httpx2.ReadTimeout("slow"),
        httpx2.RemoteProtocolError("Server disconnected without sending a response."),
        ok(raw_endpoint()),
    ]
    assert hub.get("acme", "gpt2-demo") is not None
    assert server.requests() == [GET_ONE] * 3


CHANGES = ("PUT /v2/endpoint/acme/gpt2-demo", "POST /v2/endpoint/acme/gpt2-demo/pause", CREATE)


def changes(hub: Hub) -> list[Callable[[], object]]:
    """An update, a pause and a create of gpt2-demo in acme: the routes of ``CHANGES``, in that order."""
    d = desired()
    return [
        lambda: hub.update("acme", "gpt2-demo", d, ("model.task",), ()),
        lambda: hub.pause("acme", "gpt2-demo"),
        lambda: hub.create("acme", d, TAGS),
    ]


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_answers_that_mean_no_are_never_retried(server: Server, hub: Hub, status: int) -> None:
    for key in CHANGES:
        server.script[key] = [error(status)]
    server.script["GET /api/whoami-v2"] = [ok({"type": "user", "name": "alice", "orgs": [{"name": "acme"}]})]
    for call in changes(hub):
        with pytest.raises(ApiError) as caught:
            call()
        assert caught.value.status == status
        assert "attempt" not in caught.value.message
    mutations = [key for key in server.requests() if not key.startswith("GET")]
    assert len(mutations) == 3  # one each, never retried


def test_a_500_is_reported_not_retried(server: Server, hub: Hub) -> None:
    server.script[GET_ONE] = [error(500, "boom")]
    with pytest.raises(ApiError, match="reading endpoint 'acme/gpt2-demo': the API answered 500: boom"):
        hub.get("acme", "gpt2-demo")
    assert len(server.seen) == 1


def test_giving_up_says_what_how_often_and_the_last_answer(server: Server, clock: ManualClock) -> None:
    hub = make_hub(server, clock, retry_seconds=30)
    server.script["GET /v2/endpoint/acme"] = [error(503, "Service Unavailable")]
    with pytest.raises(ApiError) as caught:
        hub.list_endpoints("acme")
    attempts = len(server.seen)
    assert attempts > 1
    assert caught.value.message.startswith(
        f"listing endpoints of namespace 'acme': gave up after {attempts} attempts in "
    )
    assert caught.value.message.endswith("the API last answered 503: Service Unavailable")
    assert clock.now() - NOW <= 30


def test_every_page_of_a_listing_shares_one_budget(server: Server, clock: ManualClock) -> None:
    hub = make_hub(server, clock, retry_seconds=30)
    pages = iter([ok({"items": [raw_endpoint("a")], "nextCursor": "c1"})])

    def answer(request: httpx2.Request) -> httpx2.Response:
        server.seen.append((request.url.params.get("cursor", "first"), clock.now()))
        if "cursor" not in request.url.params:
            return next(pages)
        return error(503, "busy")

    set_client_factory(lambda: httpx2.Client(transport=httpx2.MockTransport(answer)))
    with pytest.raises(ApiError, match="gave up"):
        hub.list_endpoints("acme")
    assert server.requests()[0] == "first" and set(server.requests()[1:]) == {"c1"}
    assert clock.now() - NOW <= 30


def test_delete_whose_first_answer_was_lost_is_done(server: Server, hub: Hub) -> None:
    server.script["DELETE /v2/endpoint/acme/gpt2-demo"] = [
        error(503, "busy"),
        error(404, "Endpoint not found"),
    ]
    hub.delete("acme", "gpt2-demo")
    server.script["DELETE /v2/endpoint/acme/other"] = [error(404, "Endpoint not found")]
    hub.delete("acme", "other")  # already gone: what a delete asks for (issue 8, class 4)
    assert server.requests().count("DELETE /v2/endpoint/acme/other") == 1


# -- a create is never sent twice blindly -------------------------------------------------------------


def test_a_429_on_create_is_simply_retried(server: Server, hub: Hub) -> None:
    server.script[CREATE] = [error(429, "slow down", **{"Retry-After": "2"}), ok(raw_endpoint())]
    assert hub.create("acme", desired(), TAGS).endpoint.name == "gpt2-demo"
    assert server.requests() == [CREATE, CREATE]
    assert gaps(server.times(CREATE))[0] >= 2


def test_a_create_that_never_connected_is_simply_retried(server: Server, hub: Hub) -> None:
    server.script[CREATE] = [httpx2.ConnectError("refused"), ok(raw_endpoint())]
    hub.create("acme", desired(), TAGS)
    assert server.requests() == [CREATE, CREATE]


def test_an_unanswered_create_is_read_before_it_is_sent_again(server: Server, hub: Hub) -> None:
    server.script[CREATE] = [error(503, "busy"), ok(raw_endpoint())]
    server.script[GET_ONE] = [error(404, "Endpoint not found")]
    hub.create("acme", desired(), TAGS)
    assert server.requests() == [CREATE, GET_ONE, CREATE]


@pytest.mark.parametrize(
    "lost",
    [httpx2.ReadTimeout("slow"), httpx2.RemoteProtocolError("disconnected"), error(504, "gateway timeout")],
    ids=["timeout", "dropped", "504"],
)
def test_a_create_that_went_through_unanswered_is_reported_as_found(
    server: Server, hub: Hub, clock: ManualClock, lost: Answer
) -> None:
    server.script[CREATE] = [lost]
    server.script[GET_ONE] = [ok(raw_endpoint())]
    created = hub.create("acme", desired(), TAGS)
    assert created.endpoint.name == "gpt2-demo" and created.endpoint.managed
    assert created.found_after is not None  # the hub reports; the executor decides
    assert server.requests() == [CREATE, GET_ONE]
    server.seen.clear()
    result = apply_create(hub, clock)
    assert result.outcome is ChangeOutcome.OK and result.endpoint is not None  # ours and as desired: adopted
    assert server.requests() == [CREATE, GET_ONE]


def apply_create(hub: Hub, clock: ManualClock) -> ChangeResult:
    """The create step as apply runs it: the executor judges what the hub found."""
    d = desired()
    create = Change(d.name, "acme", Action.CREATE, steps=(Step(StepKind.CREATE, tags=TAGS),), desired=d)
    (result,) = Executor(hub=hub, clock=clock, report=lambda _line: None).run(Plan((create,)))
    return result


def test_an_unanswered_create_finding_someone_elses_endpoint_stops(
    server: Server, hub: Hub, clock: ManualClock
) -> None:
    server.script[CREATE] = [httpx2.ReadTimeout("slow")]
    server.script[GET_ONE] = [ok(raw_endpoint(tags=("team=nlp",)))]
    result = apply_create(hub, clock)
    assert result.outcome is ChangeOutcome.FAILED
    assert "without endpointctl's ownership tag" in (result.error or "")
    assert result.not_done == ["create"]
    assert server.requests() == [CREATE, GET_ONE]


def test_an_unanswered_create_finding_ours_but_different_stops(
    server: Server, hub: Hub, clock: ManualClock
) -> None:
    different = raw_endpoint()
    different["model"]["task"] = "fill-mask"
    server.script[CREATE] = [error(502, "bad gateway")]
    server.script[GET_ONE] = [ok(different)]
    result = apply_create(hub, clock)
    assert result.outcome is ChangeOutcome.FAILED
    assert "differs from the manifest in model.task" in (result.error or "")
    assert server.requests() == [CREATE, GET_ONE]


def test_name_taken_is_resolved_by_reading_and_never_called_quota(
    server: Server, hub: Hub, clock: ManualClock
) -> None:
    server.script[CREATE] = [error(409, "Endpoint 'gpt2-demo' already exists in namespace 'acme'")]
    server.script[GET_ONE] = [ok(raw_endpoint(tags=()))]
    assert hub.create("acme", desired(), TAGS).found_after is not None
    server.seen.clear()
    result = apply_create(hub, clock)
    assert result.outcome is ChangeOutcome.FAILED
    assert "quota" not in (result.error or "").lower()
    assert "without endpointctl's ownership tag" in (result.error or "")


def test_quota_409_is_a_quota_error_with_the_figures(server: Server, hub: Hub) -> None:
    body = "Quota exceeded for intel-spr: 32 of 32 accelerators in use, 2 more requested"
    server.script[CREATE] = [error(409, body)]
    compute = {
        "id": "aws-us-east-1-intel-spr-x2",
        "accelerator": "cpu",
        "instanceType": "intel-spr",
        "instanceSize": "x2",
        "numAccelerators": 1,
        "quota": {"maxAccelerators": 32, "usedAccelerators": 31},
    }
    region = {"name": "us-east-1", "computes": [compute]}
    server.script["GET /v2/provider/acme"] = [ok({"vendors": [{"name": "aws", "regions": [region]}]})]
    with pytest.raises(QuotaExceeded) as caught:
        hub.create("acme", desired(), TAGS)
    message = caught.value.message
    assert "Quota exceeded" in message
    assert (
        "quota for intel-spr: 31 of 32 accelerators in use, and this endpoint needs 2 (2 replicas of x2)"
        in message
    )
    assert GET_ONE not in server.requests()  # a quota error is never taken for "exists"
    assert server.requests().count(CREATE) == 1


# -- authentication -----------------------------------------------------------------------------------


def whoami(role: str = "write", orgs: tuple[str, ...] = ("acme",)) -> httpx2.Response:
    return ok(
        {
            "type": "user",
            "name": "alice",
            "orgs": [{"name": org} for org in orgs],
            "auth": {"accessToken": {"role": role, "displayName": "ci-token"}},
        }
    )


def test_403_says_where_the_token_came_from_whose_it_is_and_what_it_lacks(server: Server, hub: Hub) -> None:
    server.script[CREATE] = [error(403, "Forbidden")]
    server.script["GET /api/whoami-v2"] = [whoami(role="read")]
    with pytest.raises(AuthError) as caught:
        hub.create("acme", desired(), TAGS)
    hint = caught.value.hint or ""
    assert "the HF_TOKEN environment variable" in hint
    assert "belongs to 'alice' (token 'ci-token', role 'read')" in hint
    assert "a read token cannot change endpoints" in hint
    assert SECRET not in caught.value.message + hint
    assert server.requests().count(CREATE) == 1


def test_401_for_a_namespace_the_user_is_not_in(server: Server, hub: Hub) -> None:
    server.script["GET /v2/endpoint/acme"] = [error(401, "not a member")]
    server.script["GET /api/whoami-v2"] = [whoami(orgs=("other-org",))]
    with pytest.raises(AuthError) as caught:
        hub.list_endpoints("acme")
    assert "'alice' is not a member of 'acme' (member of: other-org)" in (caught.value.hint or "")


def test_401_everywhere_means_an_invalid_token(server: Server, hub: Hub) -> None:
    server.script["GET /v2/endpoint/acme"] = [error(401, "A valid user or organization token is required")]
    server.script["GET /api/whoami-v2"] = [error(401, "Invalid user token.")]
    with pytest.raises(AuthError) as caught:
        hub.list_endpoints("acme")
    hint = caught.value.hint or ""
    assert "invalid, expired or revoked" in hint and "HF_TOKEN" in hint
    assert SECRET not in caught.value.message + hint


def test_a_401_while_whoami_is_rate_limited_does_not_blame_the_token(server: Server, hub: Hub) -> None:
    server.script["GET /v2/endpoint/acme"] = [error(401, "not a member")]
    server.script["GET /api/whoami-v2"] = [error(429, "rate limited")]
    with pytest.raises(AuthError) as caught:
        hub.list_endpoints("acme")
    hint = caught.value.hint or ""
    assert "invalid" not in hint and "HF_TOKEN" in hint
    assert "likely lacks Inference Endpoints read access on 'acme'" in hint


def test_a_401_from_whoami_itself_says_the_token_is_invalid(server: Server, hub: Hub) -> None:
    server.script["GET /api/whoami-v2"] = [error(401, "Invalid user token.")]
    with pytest.raises(AuthError) as caught:
        hub.whoami()
    assert "invalid, expired or revoked" in (caught.value.hint or "")
    assert server.requests() == ["GET /api/whoami-v2"]


def test_a_rate_limited_whoami_is_never_called_an_invalid_token(server: Server, clock: ManualClock) -> None:
    hub = make_hub(server, clock, retry_seconds=20)
    server.script["GET /api/whoami-v2"] = [error(429, "rate limited", **{"Retry-After": "5"})]
    with pytest.raises(ApiError) as caught:
        hub.whoami()
    assert not isinstance(caught.value, AuthError)
    text = (caught.value.message + (caught.value.hint or "")).lower()
    assert "invalid" not in text and "429" in text
    assert "ENDPOINTCTL_NAMESPACE" in (caught.value.hint or "")
    assert all(gap >= 5 for gap in gaps(server.times("GET /api/whoami-v2")))


def test_a_whoami_that_recovers_is_asked_once(server: Server, hub: Hub) -> None:
    server.script["GET /api/whoami-v2"] = [error(429, "rate limited", **{"Retry-After": "1"}), whoami()]
    assert hub.whoami() == "alice" and hub.whoami() == "alice"
    assert server.requests() == ["GET /api/whoami-v2"] * 2


def test_the_create_body_is_unchanged_by_retries(server: Server, hub: Hub) -> None:
    bodies: list[dict[str, Any]] = []

    def answer(request: httpx2.Request) -> httpx2.Response:
        bodies.append(json.loads(request.content))
        return error(429, "slow down") if len(bodies) == 1 else ok(raw_endpoint())

    set_client_factory(lambda: httpx2.Client(transport=httpx2.MockTransport(answer)))
    hub.create("acme", desired(), TAGS)
    assert len(bodies) == 2 and bodies[0] == bodies[1]
    assert MANAGED_TAG in bodies[0]["tags"]


def test_whoami_is_asked_once_for_every_auth_hint(server: Server, hub: Hub) -> None:
    server.script["GET /v2/endpoint/acme"] = [error(401, "not a member")]
    server.script[CREATE] = [error(403, "Forbidden")]
    server.script["GET /api/whoami-v2"] = [whoami(orgs=("other-org",))]
    for call in (lambda: hub.list_endpoints("acme"), lambda: hub.list_endpoints("acme")):
        with pytest.raises(AuthError) as caught:
            call()
        assert "'alice' is not a member of 'acme'" in (caught.value.hint or "")
    with pytest.raises(AuthError):
        hub.create("acme", desired(), TAGS)
    assert hub.whoami() == "alice"
    assert server.requests().count("GET /api/whoami-v2") == 1


def test_a_whoami_asked_for_the_namespace_serves_the_auth_hints(server: Server, hub: Hub) -> None:
    server.script["GET /api/whoami-v2"] = [whoami(role="read")]
    server.script[CREATE] = [error(403, "Forbidden")]
    assert hub.whoami() == "alice"
    with pytest.raises(AuthError) as caught:
        hub.create("acme", desired(), TAGS)
    assert "a read token cannot change endpoints" in (caught.value.hint or "")
    assert server.requests().count("GET /api/whoami-v2") == 1


def test_a_failed_whoami_is_kept_not_asked_again(server: Server, clock: ManualClock) -> None:
    hub = make_hub(server, clock, retry_seconds=5)
    server.script["GET /v2/endpoint/acme"] = [error(401, "not a member")]
    server.script["GET /api/whoami-v2"] = [error(429, "rate limited", **{"Retry-After": "10"}), whoami()]
    with pytest.raises(ApiError, match="429"):
        hub.whoami()  # 10 s asked for, 5 s of budget: one request
    clock.advance(10)  # the server's hold over (until then, no request to it is sent at all)
    for _ in range(2):
        with pytest.raises(AuthError) as caught:
            hub.list_endpoints("acme")
        assert "invalid" not in (caught.value.hint or "")  # rate limited is not rejected
    with pytest.raises(ApiError, match="429"):
        hub.whoami()
    assert server.requests().count("GET /api/whoami-v2") == 1


def test_a_whoami_for_a_hint_is_tried_once_and_its_failure_kept(server: Server, hub: Hub) -> None:
    server.script["GET /v2/endpoint/acme"] = [error(401, "not a member")]
    server.script["GET /api/whoami-v2"] = [error(429, "rate limited", **{"Retry-After": "1"}), whoami()]
    with pytest.raises(AuthError):
        hub.list_endpoints("acme")
    with pytest.raises(ApiError, match="429") as caught:
        hub.whoami()
    assert "ENDPOINTCTL_NAMESPACE" in (caught.value.hint or "")
    assert server.requests().count("GET /api/whoami-v2") == 1


# -- interrupts -----------------------------------------------------------------------------------------


def test_ctrl_c_while_waiting_out_a_rate_limit_sends_no_second_create(server: Server) -> None:
    cancel = threading.Event()
    clock = InterruptedAt(NOW, at=NOW + 3, cancel=cancel)
    server.clock = clock
    hub = Hub(
        token=TokenInfo(SECRET, "the HF_TOKEN environment variable"),
        api_url=API,
        clock=clock,
        rng=random.Random(3),
        cancel=cancel,
    )
    set_client_factory(lambda: httpx2.Client(transport=httpx2.MockTransport(server.handle)))
    server.script[CREATE] = [error(429, "slow down", **{"Retry-After": "60"}), ok(raw_endpoint())]
    with pytest.raises(Interrupted) as caught:
        hub.create("acme", desired(), TAGS)
    assert server.requests() == [CREATE]
    assert clock.now() - NOW < 4
    message = caught.value.message
    assert message.startswith("creating endpoint 'acme/gpt2-demo': interrupted after 1 attempt")
    assert "429: slow down" in message and "not sent again" in message and "not done" in message


def test_ctrl_c_after_a_create_checked_absent_says_it_was_not_created(server: Server) -> None:
    cancel = threading.Event()
    clock = InterruptedAt(NOW, at=NOW + 0.1, cancel=cancel)
    server.clock = clock
    hub = Hub(token=TokenInfo(SECRET, "env"), api_url=API, clock=clock, rng=random.Random(3), cancel=cancel)
    set_client_factory(lambda: httpx2.Client(transport=httpx2.MockTransport(server.handle)))
    server.script[CREATE] = [error(503, "busy", **{"Retry-After": "30"})]
    server.script[GET_ONE] = [error(404, "Not found")]
    with pytest.raises(Interrupted) as caught:
        hub.create("acme", desired(), TAGS)
    assert server.requests() == [CREATE, GET_ONE]
    assert "it was not done" in caught.value.message
    assert "unknown" not in caught.value.message


# -- answers that are not JSON --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "what"),
    [
        (b"<html><body>Gateway says hi " + SECRET.encode() + b"</body></html>", "a body that is not JSON"),
        (b'["a", "list"]', "JSON that is not an object (list)"),
    ],
)
def test_a_listing_page_that_is_not_a_json_object_is_an_api_error(
    server: Server, hub: Hub, body: bytes, what: str
) -> None:
    server.script["GET /v2/endpoint/acme"] = [httpx2.Response(200, content=body)]
    with pytest.raises(ApiError) as caught:
        hub.list_endpoints("acme")
    message = caught.value.message
    assert message.startswith(f"listing endpoints of namespace 'acme': the API answered 200 with {what}: ")
    assert caught.value.status == 200
    assert SECRET not in message and body[:10].decode() in message
    assert len(server.seen) == 1


def test_hardware_that_is_not_json_is_an_api_error(server: Server, hub: Hub) -> None:
    server.script["GET /v2/provider/acme"] = [httpx2.Response(200, content=b"\xff\xfe not even utf-8")]
    with pytest.raises(
        ApiError, match="listing hardware for namespace 'acme': the API answered 200 with a body"
    ):
        hub.hardware("acme")


def test_an_endpoint_answer_that_is_not_json_is_an_api_error(server: Server, hub: Hub) -> None:
    server.script[GET_ONE] = [httpx2.Response(200, content=b"Service temporarily moved " + SECRET.encode())]
    with pytest.raises(ApiError) as caught:
        hub.get("acme", "gpt2-demo")
    message = caught.value.message
    assert message.startswith(
        "reading endpoint 'acme/gpt2-demo': the API answered a success status with a body that is not JSON: "
        "'Service temporarily moved "
    )
    assert SECRET not in message


# -- page size and deadlines -----------------------------------------------------------------------------


def test_a_refused_page_size_falls_back_to_the_servers_default_once_for_the_process(
    server: Server, hub: Hub
) -> None:
    params: list[dict[str, str]] = []

    def answer(request: httpx2.Request) -> httpx2.Response:
        params.append(dict(request.url.params))
        if "limit" in request.url.params:
            return error(422, "limit must be at most 50")
        if request.url.params.get("cursor") == "c1":
            return ok({"items": [raw_endpoint("b")], "nextCursor": None})
        return ok({"items": [raw_endpoint("a")], "nextCursor": "c1"})

    set_client_factory(lambda: httpx2.Client(transport=httpx2.MockTransport(answer)))
    assert [ep.name for ep in hub.list_endpoints("acme")] == ["a", "b"]
    assert [ep.name for ep in hub.list_endpoints("other")] == ["a", "b"]
    assert params == [{"limit": "100"}, {}, {"cursor": "c1"}, {}, {"cursor": "c1"}]


def test_a_listing_refused_without_a_page_size_too_is_an_error(server: Server, hub: Hub) -> None:
    server.script["GET /v2/endpoint/acme"] = [error(400, "bad request")]
    with pytest.raises(ApiError, match="400: bad request") as caught:
        hub.list_endpoints("acme")
    assert caught.value.status == 400
    assert server.requests() == ["GET /v2/endpoint/acme"] * 2


def test_a_listing_never_retries_past_the_callers_deadline(server: Server, clock: ManualClock) -> None:
    hub = make_hub(server, clock, retry_seconds=300)
    server.script["GET /v2/endpoint/acme"] = [error(503, "busy")]
    with pytest.raises(ApiError, match="gave up"):
        hub.list_endpoints("acme", deadline=NOW + 20)
    assert len(server.seen) > 1
    assert clock.now() - NOW <= 20


def test_ctrl_c_while_checking_an_unanswered_create_says_its_outcome_is_unknown(server: Server) -> None:
    cancel = threading.Event()
    clock = InterruptedAt(NOW, at=NOW + 0.1, cancel=cancel)
    server.clock = clock
    hub = Hub(token=TokenInfo(SECRET, "env"), api_url=API, clock=clock, rng=random.Random(3), cancel=cancel)
    set_client_factory(lambda: httpx2.Client(transport=httpx2.MockTransport(server.handle)))
    server.script[CREATE] = [error(503, "busy")]
    server.script[GET_ONE] = [error(429, "slow down", **{"Retry-After": "30"})]
    with pytest.raises(Interrupted) as caught:
        hub.create("acme", desired(), TAGS)
    assert server.requests() == [CREATE, GET_ONE]
    message = caught.value.message
    assert message.startswith(
        "creating endpoint 'acme/gpt2-demo': interrupted while checking whether it went"
    )
    assert "whether it was created is unknown" in message


def test_the_read_after_a_lost_create_answer_ends_with_the_creates_budget(
    server: Server, clock: ManualClock
) -> None:
    """The check is part of the create: its retries share the create's deadline, not a budget of their own."""
    hub = make_hub(server, clock, retry_seconds=60.0)
    server.script[CREATE] = [error(429, "slow down", **{"Retry-After": "30"}), error(503, "busy")]
    server.script[GET_ONE] = [error(503, "still busy")]
    with pytest.raises(ApiError):
        hub.create("acme", desired(), TAGS)
    assert server.times(CREATE)[1] >= NOW + 30  # the second attempt came after the asked-for wait
    assert clock.now() <= NOW + 60  # and the reads stopped at the create's deadline, not 60 s after it


def test_an_unanswered_create_finding_ours_with_other_tags_stops(
    server: Server, hub: Hub, clock: ManualClock
) -> None:
    """Same spec, our ownership tag, but not this stack's: another run created it; not adopted."""
    server.script[CREATE] = [httpx2.ReadTimeout("slow")]
    server.script[GET_ONE] = [ok(raw_endpoint())]  # team=nlp and managed-by, no stack tag
    d = desired()
    stacked = (*TAGS, "endpointctl-stack=prod")
    create = Change(d.name, "acme", Action.CREATE, steps=(Step(StepKind.CREATE, tags=stacked),), desired=d)
    (result,) = Executor(hub=hub, clock=clock, report=lambda _line: None).run(Plan((create,)))
    assert result.outcome is ChangeOutcome.FAILED
    assert "differs from the manifest in tags" in (result.error or "")
    assert server.requests() == [CREATE, GET_ONE]


@pytest.mark.parametrize("said", ["backend timed out; partial results", {"code": 504}])
def test_one_endpoint_answered_with_an_error_beside_it_is_never_read(
    server: Server, hub: Hub, said: Any
) -> None:
    """As a listing's page: a 200 carrying ``error`` is not the endpoint, and not its absence either."""
    server.script[GET_ONE] = [ok({**raw_endpoint(), "error": said})]
    with pytest.raises(ApiError, match="with an error beside it") as raised:
        hub.get("acme", "gpt2-demo")
    assert "nothing in that answer is used" in str(raised.value)


@pytest.mark.parametrize("said", [None, "", [], {}])
def test_one_endpoint_with_an_empty_error_key_is_read(server: Server, hub: Hub, said: Any) -> None:
    server.script[GET_ONE] = [ok({**raw_endpoint(), "error": said})]
    found = hub.get("acme", "gpt2-demo")
    assert found is not None and found.name == "gpt2-demo"


def test_the_hardware_catalog_answered_with_an_error_beside_it_is_never_read(
    server: Server, hub: Hub
) -> None:
    server.script["GET /v2/provider/acme"] = [ok({"vendors": [], "error": "partial results"})]
    with pytest.raises(ApiError, match=r"listing hardware for namespace 'acme': .* error beside it"):
        hub.hardware("acme")


def test_a_lost_create_whose_check_is_answered_with_an_error_beside_it_is_unknown(
    server: Server, hub: Hub
) -> None:
    """Neither "created" nor "not created": the create is not sent again, and the error says so."""
    server.script[CREATE] = [httpx2.ReadTimeout("slow")]
    server.script[GET_ONE] = [ok({**raw_endpoint(), "error": "partial results"})]
    with pytest.raises(ApiError) as raised:
        hub.create("acme", desired(), TAGS)
    assert "whether it was created is unknown" in raised.value.message
    assert "endpointctl plan" in (raised.value.hint or "")
    assert server.requests() == [CREATE, GET_ONE]


DEEP = b'{"a":' * 5_000 + b"1" + b"}" * 5_000  # far past the JSON decoder's recursion limit


@pytest.mark.parametrize("route", ["one", "listing"])
def test_json_nested_too_deeply_is_a_clear_api_error(server: Server, hub: Hub, route: str) -> None:
    answer = httpx2.Response(200, content=DEEP, headers={"Content-Type": "application/json"})
    if route == "one":
        server.script[GET_ONE] = [answer]
        call: Callable[[], object] = lambda: hub.get("acme", "gpt2-demo")  # noqa: E731
    else:
        server.script["GET /v2/endpoint/acme"] = [answer]
        call = lambda: hub.list_endpoints("acme")  # noqa: E731
    with pytest.raises(ApiError, match="nested too deeply to read; nothing in it is used"):
        call()


def test_a_change_answered_with_an_error_beside_it_is_of_unknown_effect_and_not_sent_again(
    server: Server, hub: Hub
) -> None:
    """An update, a pause or a create answered 200 with ``error`` beside the endpoint: it was sent and
    maybe done, maybe not. Never taken as done, never sent again: the error says to look with plan."""
    changed = ok({**raw_endpoint(), "error": "backend timed out; partial results"})
    for key in CHANGES:
        server.script[key] = [changed]
    for call in changes(hub):
        with pytest.raises(ApiError) as caught:
            call()
        assert "error beside it: 'backend timed out; partial results'" in caught.value.message
        assert caught.value.message.endswith("whether it took effect is unknown")
        assert "endpointctl plan" in (caught.value.hint or "")
    # One each, never sent again; the create is read back by name, and not found there stays unknown.
    sent = server.requests()
    assert sent.count("POST /v2/endpoint/acme") == 1 and len(sent) == 4
    assert sent[-1] == "GET /v2/endpoint/acme/gpt2-demo"


def _pause_change() -> Change:
    d = desired()
    return Change(d.name, "acme", Action.UPDATE, steps=(Step(StepKind.PAUSE),), desired=d, live=None)


def test_a_pause_interrupted_after_a_503_is_shown_as_unknown_not_as_not_done(
    server: Server, clock: ManualClock
) -> None:
    """The 503 may come after the server paused it: the interrupt stops the retries, and the step is
    neither done nor surely not done."""
    cancel = threading.Event()

    def handle(request: httpx2.Request) -> httpx2.Response:
        cancel.set()  # Ctrl-C while the answer is on its way
        return server.handle(request)

    server.script["POST /v2/endpoint/acme/gpt2-demo/pause"] = [error(503, "busy")]
    hub = make_hub(server, clock, cancel=cancel, handle=handle)
    executor = Executor(hub=hub, clock=clock, report=lambda _line: None, cancel=cancel)
    (result,) = executor.run(Plan((_pause_change(),)))
    assert result.outcome is ChangeOutcome.INTERRUPTED
    assert (result.unknown, result.surely_not_done) == (["pause"], [])
    assert "leaves unknown whether it took effect" in (result.error or "")


def test_a_create_whose_read_back_gives_up_is_unknown_and_sent_once(
    server: Server, clock: ManualClock
) -> None:
    server.script[CREATE] = [error(503, "busy")]
    server.script[GET_ONE] = [error(503, "still busy")]
    result = apply_create(make_hub(server, clock, retry_seconds=30.0), clock)
    assert result.outcome is ChangeOutcome.FAILED
    assert (result.unknown, result.surely_not_done) == (["create"], [])
    assert "not sent again: whether it was created is unknown" in (result.error or "")
    assert server.requests().count(CREATE) == 1
