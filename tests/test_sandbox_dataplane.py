"""The deployed endpoints' URLs: task-shaped answers, security levels, states, cold starts, overrides."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx2 as httpx
import pytest

from endpointctl.sandbox import ManualClock, Sandbox

USER = "sandbox-user"
OUTSIDER_TOKEN = "hf_outsider_token_456"
NS = f"/v2/endpoint/{USER}"
Body = Callable[..., dict[str, Any]]


def deploy(client: httpx.Client, clock: ManualClock, body: dict[str, Any], namespace: str = USER) -> str:
    r = client.post(f"/v2/endpoint/{namespace}", json=body)
    assert r.status_code == 200, r.text
    clock.advance(2)
    doc = client.get(f"/v2/endpoint/{namespace}/{body['name']}").json()
    assert doc["status"]["state"] == "running"
    return str(doc["status"]["url"])


def state(client: httpx.Client, name: str) -> str:
    return str(client.get(f"{NS}/{name}").json()["status"]["state"])


@pytest.fixture
def running(client: httpx.Client, clock: ManualClock, endpoint_body: Body) -> str:
    """URL of a running authenticated text-classification endpoint named my-endpoint."""
    return deploy(client, clock, endpoint_body())


# -- answers per task ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("task", "repository", "inputs", "check"),
    [
        (
            "text-classification",
            "distilbert/sst2",
            "I love this, it is great",
            lambda out: out[0]["label"] == "POSITIVE" and out[1]["label"] == "NEGATIVE",
        ),
        (
            "text-classification",
            "distilbert/sst2",
            "This is awful",
            lambda out: out[0]["label"] == "NEGATIVE",
        ),
        (
            "translation",
            "Helsinki-NLP/opus-mt-en-zh",
            "Hello world",
            lambda out: any("\u4e00" <= ch <= "\u9fff" for ch in out[0]["translation_text"]),
        ),
        (
            "translation",
            "Helsinki-NLP/opus-mt-en-fr",
            "Hello",
            lambda out: isinstance(out[0]["translation_text"], str),
        ),
        (
            "text-generation",
            "gpt2",
            "Once upon",
            lambda out: out[0]["generated_text"].startswith("Once upon"),
        ),
        (
            "text2text-generation",
            "google/flan-t5-small",
            "Q?",
            lambda out: isinstance(out[0]["generated_text"], str),
        ),
        ("summarization", "facebook/bart-large-cnn", "a b c", lambda out: "summary_text" in out[0]),
        (
            "feature-extraction",
            "sentence-transformers/all-MiniLM-L6-v2",
            "hello",
            lambda out: len(out) == 1 and len(out[0]) == 16 and all(isinstance(x, float) for x in out[0]),
        ),
        (
            "fill-mask",
            "bert-base-uncased",
            "Paris is [MASK].",
            lambda out: "[MASK]" not in out[0]["sequence"],
        ),
        (None, "someone/custom-model", "hi", lambda out: "generated_text" in out[0]),
        ("custom", "someone/custom-model", "hi", lambda out: "generated_text" in out[0]),
    ],
)
def test_answers_in_the_task_shape(
    client: httpx.Client,
    clock: ManualClock,
    endpoint_body: Body,
    task: str | None,
    repository: str,
    inputs: str,
    check: Callable[[Any], bool],
) -> None:
    url = deploy(client, clock, endpoint_body(task=task, repository=repository))
    r = client.post(url, json={"inputs": inputs})
    assert r.status_code == 200, r.text
    assert check(r.json()), r.json()
    # Deterministic, and the trailing-slash form is the same route.
    assert client.post(f"{url}/", json={"inputs": inputs}).json() == r.json()


def test_embeddings_are_deterministic_per_input(
    client: httpx.Client, clock: ManualClock, endpoint_body: Body
) -> None:
    url = deploy(client, clock, endpoint_body(task="feature-extraction", repository="baai/bge-small"))
    a = client.post(url, json={"inputs": ["one", "two"]}).json()
    b = client.post(url, json={"inputs": ["one", "two"]}).json()
    assert a == b and len(a) == 2 and a[0] != a[1]


def test_speech_recognition_takes_raw_audio(
    client: httpx.Client, clock: ManualClock, endpoint_body: Body
) -> None:
    url = deploy(
        client, clock, endpoint_body(task="automatic-speech-recognition", repository="openai/whisper-tiny")
    )
    r = client.post(url, content=b"RIFF\x00\x01fake-wav", headers={"Content-Type": "audio/wav"})
    assert r.status_code == 200
    assert isinstance(r.json()["text"], str)


def test_missing_inputs_is_a_validation_error(client: httpx.Client, running: str) -> None:
    r = client.post(running, json={"text": "x"})
    assert r.status_code == 422
    assert r.json()["error"].startswith("Input validation error")


def test_chat_completions(client: httpx.Client, clock: ManualClock, endpoint_body: Body) -> None:
    url = deploy(client, clock, endpoint_body(task="text-generation", repository="meta/llama"))
    r = client.post(f"{url}/v1/chat/completions", json={"messages": [{"role": "user", "content": "hi"}]})
    assert r.status_code == 200
    assert r.json()["choices"][0]["message"]["role"] == "assistant"


# -- health and states ---------------------------------------------------------------------------


def test_health(client: httpx.Client, running: str) -> None:
    assert client.get(f"{running}/health").status_code == 200


def test_not_yet_running_is_503(
    client: httpx.Client, clock: ManualClock, sandbox_url: str, endpoint_body: Body
) -> None:
    client.post(NS, json=endpoint_body())
    url = f"{sandbox_url}/endpoints/{USER}/my-endpoint"
    r = client.get(f"{url}/health")
    assert r.status_code == 503 and "error" in r.json()
    clock.advance(2)
    assert client.get(f"{url}/health").status_code == 200


def test_paused_is_400_invalid_state(client: httpx.Client, running: str) -> None:
    client.post(f"{NS}/my-endpoint/pause")
    r = client.post(running, json={"inputs": "x"})
    assert r.status_code == 400
    assert r.json() == {"error": "Bad Request: Invalid state"}


def test_failed_is_503(
    client: httpx.Client, clock: ManualClock, sandbox_url: str, endpoint_body: Body
) -> None:
    client.post(NS, json=endpoint_body(repository="sandbox/fail-deploy"))
    clock.advance(2)
    r = client.post(f"{sandbox_url}/endpoints/{USER}/my-endpoint", json={"inputs": "x"})
    assert r.status_code == 503


def test_unknown_endpoint_is_404(client: httpx.Client, sandbox_url: str) -> None:
    assert client.post(f"{sandbox_url}/endpoints/{USER}/ghost", json={"inputs": "x"}).status_code == 404


def test_requests_update_last_used_at(client: httpx.Client, clock: ManualClock, running: str) -> None:
    clock.advance(30)
    client.post(running, json={"inputs": "x"})
    doc = client.get(f"{NS}/my-endpoint").json()
    assert doc["status"]["lastUsedAt"] == "2025-10-09T08:53:52.000000Z"


def test_traffic_keeps_a_scale_to_zero_endpoint_up(
    client: httpx.Client, clock: ManualClock, endpoint_body: Body
) -> None:
    url = deploy(client, clock, endpoint_body(minReplica=0, scaleToZeroTimeout=1))
    clock.advance(50)
    client.post(url, json={"inputs": "x"})
    clock.advance(50)
    assert state(client, "my-endpoint") == "running"
    clock.advance(10)
    assert state(client, "my-endpoint") == "scaledToZero"


# -- cold start from zero ------------------------------------------------------------------------


def test_scaled_to_zero_wakes_with_503(client: httpx.Client, clock: ManualClock, running: str) -> None:
    client.post(f"{NS}/my-endpoint/scale-to-zero")
    r = client.post(running, json={"inputs": "good"})
    assert r.status_code == 503
    assert r.json() == {"error": "Endpoint is scaling up", "estimated_time": 1.0}
    assert state(client, "my-endpoint") == "initializing"
    clock.advance(1)
    assert state(client, "my-endpoint") == "running"
    assert client.post(running, json={"inputs": "good"}).status_code == 200


def test_scale_up_timeout_holds_the_request(client: httpx.Client, clock: ManualClock, running: str) -> None:
    client.post(f"{NS}/my-endpoint/scale-to-zero")
    before = clock.now()
    r = client.post(running, json={"inputs": "good"}, headers={"X-Scale-Up-Timeout": "30"})
    assert r.status_code == 200
    assert r.json()[0]["label"] == "POSITIVE"
    assert clock.now() - before == pytest.approx(1.0)
    assert state(client, "my-endpoint") == "running"


def test_scale_up_timeout_too_short_is_503(client: httpx.Client, clock: ManualClock, running: str) -> None:
    client.post(f"{NS}/my-endpoint/scale-to-zero")
    r = client.post(running, json={"inputs": "x"}, headers={"X-Scale-Up-Timeout": "0.5"})
    assert r.status_code == 503
    assert r.json()["error"] == "Endpoint is scaling up"


# -- security levels -----------------------------------------------------------------------------


def _call(url: str, token: str | None) -> int:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.post(url, json={"inputs": "x"}, headers=headers).status_code


@pytest.mark.parametrize(
    ("etype", "none", "outsider", "member"),
    [
        ("public", 200, 200, 200),
        ("authenticated", 401, 200, 200),
        ("protected", 401, 200, 200),
        ("private", 401, 403, 200),
    ],
)
def test_security_levels(
    client: httpx.Client,
    clock: ManualClock,
    endpoint_body: Body,
    token: str,
    etype: str,
    none: int,
    outsider: int,
    member: int,
) -> None:
    url = deploy(client, clock, endpoint_body(type=etype))
    assert (_call(url, None), _call(url, OUTSIDER_TOKEN), _call(url, token)) == (none, outsider, member)
    assert _call(url, "hf_x") == (200 if etype == "public" else 401)  # malformed: too short


def test_private_endpoint_of_an_org_admits_members(
    client: httpx.Client, clock: ManualClock, endpoint_body: Body, token: str
) -> None:
    url = deploy(client, clock, endpoint_body(type="private"), namespace="acme")
    assert _call(url, token) == 200
    assert _call(url, OUTSIDER_TOKEN) == 403


def test_private_service_is_only_reachable_through_privatelink(
    client: httpx.Client, clock: ManualClock, endpoint_body: Body, token: str
) -> None:
    url = deploy(
        client, clock, endpoint_body(privateService={"accountId": "123456789012", "region": "us-east-1"})
    )
    r = httpx.post(url, json={"inputs": "x"}, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 403
    assert r.json() == {"error": "This endpoint is only reachable through AWS PrivateLink"}


# -- overrides -----------------------------------------------------------------------------------


def test_set_dataplane_forces_status_body_and_latency(
    sandbox: Sandbox, client: httpx.Client, clock: ManualClock, running: str
) -> None:
    sandbox.set_dataplane(USER, "my-endpoint", status=500)
    r = client.post(running, json={"inputs": "good"})
    assert r.status_code == 500 and "error" in r.json()
    assert client.get(f"{running}/health").status_code == 200

    sandbox.set_dataplane(USER, "my-endpoint", body=[{"label": "WRONG", "score": 1.0}], latency_ms=1500)
    before = clock.now()
    r = client.post(running, json={"inputs": "good"})
    assert r.status_code == 200 and r.json()[0]["label"] == "WRONG"
    assert clock.now() - before == pytest.approx(1.5)

    sandbox.clear_dataplane(USER, "my-endpoint")
    assert client.post(running, json={"inputs": "good"}).json()[0]["label"] == "POSITIVE"


def test_dataplane_override_over_admin_routes(client: httpx.Client, running: str) -> None:
    admin = f"/_sandbox/dataplane/{USER}/my-endpoint"
    assert client.put(admin, json={"status": 502}).status_code == 200
    assert client.post(running, json={"inputs": "x"}).status_code == 502
    assert client.delete(admin).status_code == 200
    assert client.post(running, json={"inputs": "x"}).status_code == 200


def test_dataplane_requests_are_counted_but_not_mutating(
    sandbox: Sandbox, client: httpx.Client, running: str
) -> None:
    sandbox.reset_counts()
    client.get(f"{running}/health")
    client.post(running, json={"inputs": "x"})
    assert sandbox.counts() == {
        "GET /endpoints/{namespace}/{name}/health": 1,
        "POST /endpoints/{namespace}/{name}": 1,
    }
    assert sandbox.mutating_count() == 0
