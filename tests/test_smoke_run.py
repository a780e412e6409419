"""Smoke tests against the sandbox's data plane over loopback: tasks, auth, cold starts, retries, states."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx2 as httpx
import pytest
from builders import raw_endpoint

from endpointctl.core.endpoint import Endpoint
from endpointctl.core.outcomes import SmokeOutcome
from endpointctl.core.spec import Desired, Manifest
from endpointctl.dataplane.client import DeployedClient
from endpointctl.dataplane.runner import run_smoke
from endpointctl.engine.polling import pacer
from endpointctl.hub.responses import to_endpoint
from endpointctl.sandbox import ManualClock, Sandbox
from endpointctl.sandbox.transport import Handler, Request, Response

USER = "sandbox-user"
Body = Callable[..., dict[str, Any]]
LOADING = {"error": "Model sst2 is currently loading", "estimated_time": 20.0}


@pytest.fixture
def deployed(token: str, clock: ManualClock) -> Iterator[DeployedClient]:
    client = DeployedClient(token=token, clock=clock, timeout=10)
    yield client
    client.close()


@pytest.fixture
def seen(sandbox: Sandbox) -> list[Request]:
    """Every data-plane request the sandbox received, headers included."""
    requests: list[Request] = []

    def record(request: Request, handler: Handler) -> Response:
        if not request.path.startswith("/v2/"):
            requests.append(request)
        return handler(request)

    sandbox.add_middleware(record)
    return requests


@pytest.fixture
def deploy(client: httpx.Client, clock: ManualClock, endpoint_body: Body) -> Callable[..., Endpoint]:
    def make(name: str = "sst2", namespace: str = USER, **overrides: Any) -> Endpoint:
        r = client.post(f"/v2/endpoint/{namespace}", json=endpoint_body(name, **overrides))
        assert r.status_code == 200, r.text
        clock.advance(3)
        return observe(client, name, namespace)

    return make


def observe(client: httpx.Client, name: str, namespace: str = USER) -> Endpoint:
    return to_endpoint(client.get(f"/v2/endpoint/{namespace}/{name}").json(), namespace)


def desired(name: str, task: str, smoke: dict[str, Any] | None) -> Desired:
    doc: dict[str, Any] = {
        "apiVersion": "endpointctl/v1",
        "kind": "InferenceEndpoint",
        "metadata": {"name": name},
        "spec": {
            "model": {"repository": "someone/model", "task": task},
            "provider": {"vendor": "aws", "region": "us-east-1"},
            "compute": {"accelerator": "cpu", "instanceType": "intel-spr", "instanceSize": "x2"},
        },
    }
    if smoke is not None:
        doc["spec"]["smokeTest"] = smoke
    return Desired(Manifest.model_validate(doc), "test:1")


# -- default request and shape per task ----------------------------------------------------------


@pytest.mark.parametrize(
    ("task", "repository"),
    [
        ("text-classification", "distilbert/distilbert-base-uncased-finetuned-sst-2-english"),
        ("translation", "Helsinki-NLP/opus-mt-en-zh"),
        ("text-generation", "openai-community/gpt2"),
        ("text2text-generation", "google/flan-t5-xxl"),
        ("feature-extraction", "BAAI/bge-small-zh-v1.5"),
        ("automatic-speech-recognition", "openai/whisper-large-v3"),
    ],
)
def test_default_request_and_task_shape(
    deploy: Callable[..., Endpoint],
    deployed: DeployedClient,
    seen: list[Request],
    task: str,
    repository: str,
) -> None:
    endpoint = deploy(task=task, repository=repository)
    (result,) = run_smoke(deployed, [(endpoint, None)], pace=pacer(deployed.clock))
    assert result.outcome is SmokeOutcome.PASS, result.reason
    assert result.reason == f"HTTP 200, {task} shape"
    assert (result.status, result.attempts, result.url) == (200, 1, endpoint.url)
    (request,) = seen
    if task == "automatic-speech-recognition":
        assert request.header("content-type") == "audio/wav" and request.body[:4] == b"RIFF"
    else:
        assert json.loads(request.body)["inputs"]


def test_wrong_shape_fails(
    sandbox: Sandbox, deploy: Callable[..., Endpoint], deployed: DeployedClient
) -> None:
    endpoint = deploy(task="translation", repository="Helsinki-NLP/opus-mt-en-zh")
    sandbox.set_dataplane(USER, "sst2", body=[{"generated_text": "oops"}])
    (result,) = run_smoke(deployed, [(endpoint, None)], pace=pacer(deployed.clock))
    assert result.outcome is SmokeOutcome.FAIL and result.reason.startswith("not a translation answer")


# -- manifest expectations -----------------------------------------------------------------------

EXPECT_POSITIVE = {"expect": {"json": {"path": "[0].label", "equals": "POSITIVE"}, "maxLatencyMs": 1000}}


def test_assertions_pass_and_fail_on_real_answers(
    sandbox: Sandbox, deploy: Callable[..., Endpoint], deployed: DeployedClient
) -> None:
    endpoint = deploy()
    spec = desired("sst2", "text-classification", {"request": {"inputs": "I love it"}, **EXPECT_POSITIVE})
    assert run_smoke(deployed, [(endpoint, spec)], pace=pacer(deployed.clock))[0].outcome is SmokeOutcome.PASS
    sandbox.set_dataplane(USER, "sst2", body=[{"label": "NEGATIVE", "score": 0.9}])
    (result,) = run_smoke(deployed, [(endpoint, spec)], pace=pacer(deployed.clock))
    assert result.outcome is SmokeOutcome.FAIL
    assert result.reason == '[0].label: expected "POSITIVE", found "NEGATIVE"'


def test_status_and_latency_failures(
    sandbox: Sandbox, deploy: Callable[..., Endpoint], deployed: DeployedClient
) -> None:
    endpoint = deploy()
    spec = desired("sst2", "text-classification", EXPECT_POSITIVE)
    sandbox.set_dataplane(USER, "sst2", status=500)
    (result,) = run_smoke(deployed, [(endpoint, spec)], pace=pacer(deployed.clock))
    assert result.outcome is SmokeOutcome.FAIL and result.status == 500
    assert result.reason.startswith("expected HTTP 200, got 500: ")

    sandbox.set_dataplane(USER, "sst2", latency_ms=1500)
    (slow,) = run_smoke(deployed, [(endpoint, spec)], pace=pacer(deployed.clock))
    assert slow.outcome is SmokeOutcome.FAIL and slow.latency_ms == pytest.approx(1500)
    assert slow.reason.endswith("took 1500 ms, more than maxLatencyMs 1000")

    sandbox.set_dataplane(USER, "sst2", latency_ms=400)
    (fast,) = run_smoke(deployed, [(endpoint, spec)], pace=pacer(deployed.clock))
    assert fast.outcome is SmokeOutcome.PASS and fast.latency_ms == pytest.approx(400)


# -- cold starts and retries ---------------------------------------------------------------------


def test_scaled_to_zero_is_woken_with_x_scale_up_timeout(
    client: httpx.Client,
    deploy: Callable[..., Endpoint],
    deployed: DeployedClient,
    seen: list[Request],
    clock: ManualClock,
) -> None:
    deploy(minReplica=0, scaleToZeroTimeout=15)
    client.post(f"/v2/endpoint/{USER}/sst2/scale-to-zero")
    endpoint = observe(client, "sst2")
    assert endpoint.status.value == "scaledToZero"
    spec = desired("sst2", "text-classification", {**EXPECT_POSITIVE, "coldStartTimeoutSeconds": 120})
    (result,) = run_smoke(deployed, [(endpoint, spec)], pace=pacer(deployed.clock))
    assert result.outcome is SmokeOutcome.PASS, result.reason
    assert seen[0].header("x-scale-up-timeout") == "120"
    # One held call woke it; then a second, warm call measured the latency that maxLatencyMs is about.
    assert len(seen) == 2 and result.attempts == 1
    assert result.cold_start_seconds == pytest.approx(1.0)
    assert result.latency_ms == pytest.approx(0.0)
    assert "woken from cold in 1.0 s" in result.notes


def test_cold_start_when_the_proxy_ignores_x_scale_up_timeout(
    sandbox: Sandbox,
    client: httpx.Client,
    deploy: Callable[..., Endpoint],
    deployed: DeployedClient,
    seen: list[Request],
) -> None:
    deploy(minReplica=0, scaleToZeroTimeout=15)
    client.post(f"/v2/endpoint/{USER}/sst2/scale-to-zero")
    sandbox.set_dataplane(USER, "sst2", honor_scale_up_timeout=False)
    (result,) = run_smoke(deployed, [(observe(client, "sst2"), None)], pace=pacer(deployed.clock))
    # The first call answered 503 with estimated_time 1.0; the retry after it found the replica up.
    assert result.outcome is SmokeOutcome.PASS, result.reason
    assert [r.header("x-scale-up-timeout") for r in seen] == ["300", "299"]
    assert result.attempts == 2 and result.cold_start_seconds == pytest.approx(1.0)


def test_model_loading_503_is_retried_after_estimated_time(
    sandbox: Sandbox, deploy: Callable[..., Endpoint], deployed: DeployedClient, clock: ManualClock
) -> None:
    endpoint = deploy()
    sandbox.set_dataplane(USER, "sst2", status=503, body=LOADING, times=3)
    before = clock.now()
    (result,) = run_smoke(deployed, [(endpoint, None)], pace=pacer(deployed.clock))
    assert result.outcome is SmokeOutcome.PASS, result.reason
    assert result.attempts == 4
    assert clock.now() - before == pytest.approx(60.0)
    assert result.cold_start_seconds == pytest.approx(60.0)


def test_retries_stop_at_the_cold_start_budget(
    sandbox: Sandbox, deploy: Callable[..., Endpoint], deployed: DeployedClient, clock: ManualClock
) -> None:
    endpoint = deploy()
    sandbox.set_dataplane(USER, "sst2", status=503, body=LOADING)
    spec = desired("sst2", "text-classification", {"coldStartTimeoutSeconds": 50})
    before = clock.now()
    (result,) = run_smoke(deployed, [(endpoint, spec)], pace=pacer(deployed.clock))
    assert result.outcome is SmokeOutcome.FAIL
    assert result.reason.startswith(
        "not ready within the cold-start budget of 50 s (4 attempts; last answer HTTP 503"
    )
    assert clock.now() - before == pytest.approx(50.0)


def test_call_timeout_is_bounded_by_the_budget(token: str, clock: ManualClock) -> None:
    timeouts: list[Any] = []

    def answer(request: httpx.Request) -> httpx.Response:
        timeouts.append(request.extensions["timeout"])
        return httpx.Response(200, json=[{"label": "POSITIVE", "score": 1.0}])

    client = DeployedClient(token=token, clock=clock, timeout=30, transport=httpx.MockTransport(answer))
    cold = _endpoint(status="scaledToZero")
    warm = _endpoint(status="running")
    spec = desired("sst2", "text-classification", {"coldStartTimeoutSeconds": 5})
    run_smoke(client, [(cold, spec), (warm, spec), (warm, None)], pace=pacer(client.clock))
    assert [t["read"] for t in timeouts] == [5, 5, 30]


def _endpoint(status: str, **raw: Any) -> Endpoint:
    doc = raw_endpoint(
        "sst2",
        state=status,
        url="https://dataplane.test/sst2",
        model={"repository": "a/b", "task": "text-classification"},
        **raw,
    )
    return to_endpoint(doc, USER)


# -- states --------------------------------------------------------------------------------------


def test_paused_fails_at_once_with_the_resume_hint(
    client: httpx.Client, deploy: Callable[..., Endpoint], deployed: DeployedClient, seen: list[Request]
) -> None:
    stale = deploy()
    client.post(f"/v2/endpoint/{USER}/sst2/pause")
    pace = pacer(deployed.clock)
    # A bare command lands in the endpoint's namespace: the hint need not name it.
    (result,) = run_smoke(deployed, [(observe(client, "sst2"), None)], pace=pace, implied_namespace=USER)
    assert (result.outcome, result.reason, result.attempts) == (
        SmokeOutcome.FAIL,
        "paused — run endpointctl resume sst2",
        0,
    )
    assert seen == []
    # Paused after the listing was read: the proxy's 400 "Invalid state" says the same. Where a bare
    # command lands is not known here, so the hint names the namespace.
    (late,) = run_smoke(deployed, [(stale, None)], pace=pace)
    assert (late.outcome, late.reason, late.status) == (
        SmokeOutcome.FAIL,
        f"paused — run endpointctl resume sst2 --namespace {USER}",
        400,
    )


def test_unreachable_url_fails_with_the_reason(
    deploy: Callable[..., Endpoint], deployed: DeployedClient
) -> None:
    endpoint = deploy()
    (result,) = run_smoke(
        deployed,
        [(endpoint, None)],
        pace=pacer(deployed.clock),
        url_override={"sst2": "http://127.0.0.1:9/x"},
    )
    assert result.outcome is SmokeOutcome.FAIL and "could not connect" in result.reason


# -- security levels -----------------------------------------------------------------------------


def test_public_gets_no_token_protected_and_private_get_it(
    deploy: Callable[..., Endpoint], deployed: DeployedClient, seen: list[Request], token: str
) -> None:
    public = deploy("pub", type="public")
    protected = deploy("prot", type="authenticated")
    private = deploy("priv", namespace="acme", type="private")
    results = run_smoke(
        deployed, [(public, None), (protected, None), (private, None)], pace=pacer(deployed.clock)
    )
    assert [r.outcome for r in results] == [SmokeOutcome.PASS] * 3, [r.reason for r in results]
    assert [r.header("authorization") for r in seen] == [None, f"Bearer {token}", f"Bearer {token}"]
    assert "private without PrivateLink: reachable over the internet" in results[2].notes[0]


def test_privatelink_is_skipped_unless_a_url_inside_the_network_is_given(
    deploy: Callable[..., Endpoint],
    deployed: DeployedClient,
    seen: list[Request],
    sandbox: Sandbox,
    token: str,
) -> None:
    link = {"accountId": "123456789012", "region": "us-east-1"}
    endpoint = deploy("vault", type="private", privateService=link)
    (skipped,) = run_smoke(deployed, [(endpoint, None)], pace=pacer(deployed.clock))
    assert skipped.outcome is SmokeOutcome.SKIPPED and seen == []
    assert "PrivateLink" in skipped.reason and "123456789012" in skipped.reason
    assert "--url vault=" in skipped.reason

    inside = f"{sandbox.url}/privatelink/{USER}/vault"
    (called,) = run_smoke(
        deployed, [(endpoint, None)], pace=pacer(deployed.clock), url_override={f"{USER}/vault": inside}
    )
    assert called.outcome is SmokeOutcome.PASS, called.reason
    assert called.url == inside and seen[0].header("authorization") == f"Bearer {token}"


def test_privatelink_route_serves_only_privatelink_endpoints_and_members(
    deploy: Callable[..., Endpoint], sandbox: Sandbox, token: str
) -> None:
    deploy("plain")
    deploy("vault", type="private", privateService={"accountId": "123456789012"})
    base = f"{sandbox.url}/privatelink/{USER}"
    member = {"Authorization": f"Bearer {token}"}
    assert httpx.post(f"{base}/plain", json={"inputs": "x"}, headers=member).status_code == 404
    assert httpx.post(f"{base}/vault", json={"inputs": "x"}).status_code == 401
    outsider = {"Authorization": "Bearer hf_outsider_token_456"}
    assert httpx.post(f"{base}/vault", json={"inputs": "x"}, headers=outsider).status_code == 403
    assert httpx.post(f"{base}/vault", json={"inputs": "x"}, headers=member).status_code == 200
    assert httpx.get(f"{base}/vault/health", headers=member).status_code == 200
