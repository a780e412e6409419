"""The sandbox's management API over real HTTP: wire shapes, codes, lifecycle, quotas, counts."""

from __future__ import annotations

import pathlib
import socket
import threading
from collections.abc import Callable
from typing import Any

import httpx2 as httpx
import pytest

from endpointctl.sandbox import ManualClock, Request, Response, Sandbox, SandboxConfig
from endpointctl.sandbox.transport import Handler

# Mirrors conftest: the sandbox fixture's user and phase durations.
USER = "sandbox-user"
OUTSIDER_TOKEN = "hf_outsider_token_456"
PHASES = {"pending": 1.0, "initializing": 1.0, "updating": 1.0}

NS = f"/v2/endpoint/{USER}"
Body = Callable[..., dict[str, Any]]


def create(client: httpx.Client, body: dict[str, Any], namespace: str = USER) -> dict[str, Any]:
    r = client.post(f"/v2/endpoint/{namespace}", json=body)
    assert r.status_code == 200, r.text
    doc: dict[str, Any] = r.json()
    return doc


def get(client: httpx.Client, name: str, namespace: str = USER) -> dict[str, Any]:
    r = client.get(f"/v2/endpoint/{namespace}/{name}")
    assert r.status_code == 200, r.text
    doc: dict[str, Any] = r.json()
    return doc


def state(client: httpx.Client, name: str) -> str:
    return str(get(client, name)["status"]["state"])


def deploy(client: httpx.Client, clock: ManualClock, body: dict[str, Any]) -> dict[str, Any]:
    create(client, body)
    clock.advance(PHASES["pending"] + PHASES["initializing"])
    doc = get(client, body["name"])
    assert doc["status"]["state"] == "running"
    return doc


# -- create and read -----------------------------------------------------------------------------


def test_create_returns_pending_endpoint_with_every_required_key(
    client: httpx.Client, endpoint_body: Body
) -> None:
    body = endpoint_body(tags=["team=ml", "env=dev"])
    body["model"]["env"] = {"MAX_BATCH": "8"}
    body["model"]["secrets"] = {"API_KEY": "s3cret"}
    r = client.post(NS, json=body)

    assert r.status_code == 200
    doc = r.json()
    assert doc["name"] == "my-endpoint"
    assert doc["type"] == "authenticated"
    assert doc["accountId"] is None
    assert doc["healthRoute"] == "/health"
    assert doc["tags"] == ["team=ml", "env=dev"]
    assert doc["experimentalFeatures"] == {"cacheHttpResponses": False}
    assert doc["notifications"] == {}
    assert doc["provider"] == {"vendor": "aws", "region": "us-east-1"}
    assert doc["compute"]["id"] == "aws-us-east-1-intel-spr-x2"
    assert doc["compute"]["scaling"] == {"minReplica": 1, "maxReplica": 1, "scaleToZeroTimeout": None}
    model = doc["model"]
    assert model["repository"] == body["model"]["repository"]
    # Resolved from main (nothing asked), as the service answers: a commit, even while pending.
    assert len(model["revision"]) == 40 and set(model["revision"]) <= set("0123456789abcdef")
    assert model["task"] == "text-classification"
    assert model["framework"] == "pytorch"
    assert model["image"] == {"huggingface": {}}
    assert model["env"] == {"MAX_BATCH": "8"}
    assert model["secrets"] == {"API_KEY": "********"}
    assert "s3cret" not in r.text
    status = doc["status"]
    assert status["state"] == "pending"
    assert status["message"] == "Endpoint waiting to be scheduled"
    assert status["createdAt"].endswith("Z") and status["updatedAt"].endswith("Z")
    assert status["createdBy"]["name"] == USER and status["updatedBy"]["name"] == USER
    assert status["readyReplica"] == 0 and status["targetReplica"] == 1
    assert status["private"] is None
    assert "url" not in status


def test_lifecycle_progresses_with_the_clock(
    client: httpx.Client, clock: ManualClock, sandbox_url: str, endpoint_body: Body
) -> None:
    create(client, endpoint_body())
    assert state(client, "my-endpoint") == "pending"
    clock.advance(1)
    doc = get(client, "my-endpoint")
    assert doc["status"]["state"] == "initializing"
    assert "url" not in doc["status"]
    clock.advance(1)
    doc = get(client, "my-endpoint")
    assert doc["status"]["state"] == "running"
    assert doc["status"]["message"] == "Endpoint is ready"
    assert doc["status"]["url"] == f"{sandbox_url}/endpoints/{USER}/my-endpoint"
    assert doc["status"]["readyReplica"] == 1 and doc["status"]["targetReplica"] == 1


def test_get_unknown_endpoint_is_404(client: httpx.Client) -> None:
    r = client.get(f"{NS}/nope")
    assert r.status_code == 404
    assert r.json() == {"error": "Endpoint not found"}


def test_delete(client: httpx.Client, endpoint_body: Body) -> None:
    create(client, endpoint_body())
    r = client.delete(f"{NS}/my-endpoint")
    assert r.status_code == 200 and r.json() == {}
    assert client.get(f"{NS}/my-endpoint").status_code == 404
    assert client.delete(f"{NS}/my-endpoint").status_code == 404


def test_endpoints_in_an_org_namespace(client: httpx.Client, endpoint_body: Body) -> None:
    create(client, endpoint_body("org-ep"), namespace="acme")
    assert get(client, "org-ep", namespace="acme")["name"] == "org-ep"
    assert client.get(f"{NS}/org-ep").status_code == 404


# -- listing -------------------------------------------------------------------------------------


def test_list_paginates_in_creation_order(client: httpx.Client, endpoint_body: Body) -> None:
    names = [f"ep-{i:02d}" for i in range(25)]
    for name in names:
        create(client, endpoint_body(name, instanceSize="x1"))

    first = client.get(NS).json()
    assert [e["name"] for e in first["items"]] == names[:20]
    assert first["nextCursor"]
    second = client.get(NS, params={"cursor": first["nextCursor"]}).json()
    assert [e["name"] for e in second["items"]] == names[20:]
    assert second.get("nextCursor") is None

    small = client.get(NS, params={"limit": 10}).json()
    assert len(small["items"]) == 10


def test_list_filters_by_tags_and_search(client: httpx.Client, endpoint_body: Body) -> None:
    create(client, endpoint_body("alpha-one", tags=["a", "b"]))
    create(client, endpoint_body("alpha-two", tags=["a"]))
    create(client, endpoint_body("beta", tags=["b"]))

    def names(**params: str) -> list[str]:
        return [e["name"] for e in client.get(NS, params=params).json()["items"]]

    assert names(tags="a") == ["alpha-one", "alpha-two"]
    assert names(tags="a,b") == ["alpha-one"]
    assert names(search="alpha") == ["alpha-one", "alpha-two"]
    assert names(search="bet", tags="b") == ["beta"]


@pytest.mark.parametrize("params", [{"limit": "0"}, {"limit": "101"}, {"limit": "x"}, {"cursor": "garbage!"}])
def test_list_rejects_bad_paging(client: httpx.Client, params: dict[str, str]) -> None:
    r = client.get(NS, params=params)
    assert r.status_code == 400
    assert "error" in r.json()


# -- conflicts and quota -------------------------------------------------------------------------


def test_name_clash_and_quota_are_both_409_but_distinguishable(
    client: httpx.Client, endpoint_body: Body
) -> None:
    gpu = {"accelerator": "gpu", "instanceType": "nvidia-l4"}
    create(client, endpoint_body("big", instanceSize="x4", **gpu))

    clash = client.post(NS, json=endpoint_body("big", instanceSize="x4", **gpu))
    assert clash.status_code == 409
    assert "already exists" in clash.json()["error"]
    assert "quota" not in clash.json()["error"].lower()

    over = client.post(NS, json=endpoint_body("small", instanceSize="x1", **gpu))
    assert over.status_code == 409
    assert "quota" in over.json()["error"].lower()
    assert "nvidia-l4" in over.json()["error"]

    # A paused endpoint holds no accelerators.
    assert client.post(f"{NS}/big/pause").status_code == 200
    create(client, endpoint_body("small", instanceSize="x1", **gpu))


def test_quota_counts_max_replicas(client: httpx.Client, endpoint_body: Body) -> None:
    r = client.post(
        NS,
        json=endpoint_body(
            "wide", accelerator="gpu", instanceType="nvidia-t4", instanceSize="x1", maxReplica=5
        ),
    )
    assert r.status_code == 409 and "quota" in r.json()["error"].lower()


def test_provider_listing_reports_namespace_quota(client: httpx.Client, endpoint_body: Body) -> None:
    create(client, endpoint_body(instanceSize="x4", maxReplica=2))
    doc = client.get(f"/v2/provider/{USER}").json()
    rows = [
        (vendor["name"], region["name"], compute)
        for vendor in doc["vendors"]
        for region in vendor["regions"]
        for compute in region["computes"]
    ]
    assert {v for v, _, _ in rows} == {"aws", "azure", "gcp"}
    statuses = {c["status"] for _, _, c in rows}
    assert {"available", "low_availability", "not_available", "deprecated"} <= statuses
    spr = next(c for v, r, c in rows if c["id"] == "aws-us-east-1-intel-spr-x1")
    assert spr["quota"] == {"maxAccelerators": 32, "usedAccelerators": 8}
    assert spr["gpuMemoryGb"] is None and spr["pricePerHour"] == 0.034
    # Deprecated on aws in July 2025 (the service's pricing page): listed, but not for new endpoints.
    icl = [c for v, r, c in rows if c["instanceType"] == "intel-icl"]
    assert icl and {c["status"] for c in icl} == {"deprecated"}
    l4 = next(c for v, r, c in rows if c["id"] == "aws-us-east-1-nvidia-l4-x1")
    assert l4 == {
        "id": "aws-us-east-1-nvidia-l4-x1",
        "accelerator": "gpu",
        "instanceType": "nvidia-l4",
        "instanceSize": "x1",
        "architecture": "Nvidia L4",
        "numAccelerators": 1,
        "numCpus": 8,
        "memoryGb": 30.0,
        "gpuMemoryGb": 24,
        "pricePerHour": 0.8,
        "status": "available",
        "quota": {"maxAccelerators": 4, "usedAccelerators": 0},
    }


def test_public_provider_listing_needs_no_token(sandbox_url: str) -> None:
    doc = httpx.get(f"{sandbox_url}/v2/provider").json()
    compute = doc["vendors"][0]["regions"][0]["computes"][0]
    assert "pricePerHour" in compute and "quota" not in compute


# -- validation ----------------------------------------------------------------------------------


def _drop(path: str) -> Callable[[dict[str, Any]], None]:
    def edit(body: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target = body
        for key in parents:
            target = target[key]
        del target[last]

    return edit


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(body: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target = body
        for key in parents:
            target = target[key]
        target[last] = value

    return edit


@pytest.mark.parametrize(
    ("edit", "needle"),
    [
        (_set("name", "Upper"), "Upper"),
        (_set("name", "a" * 33), "name"),
        (_set("name", "under_score"), "under_score"),
        (_drop("model"), "model"),
        (_drop("model.repository"), "model.repository"),
        (_drop("compute.scaling.maxReplica"), "maxReplica"),
        (_set("type", "secret"), "secret"),
        (_set("provider.vendor", "ovh"), "ovh"),
        (_set("provider.region", "mars-1"), "mars-1"),
        (_set("compute.instanceSize", "x3"), "x3"),
        (_set("compute.instanceType", "nvidia-z9"), "nvidia-z9"),
        (_set("compute.accelerator", "gpu"), "gpu"),
        (_set("compute.scaling.minReplica", 3), "minReplica"),
        (_set("model.image", {"tgi": {}}), "url"),
        (_set("privateService", {"accountId": "123456789012"}), "privateService"),
    ],
)
def test_create_validation_errors_are_400_naming_the_problem(
    client: httpx.Client, endpoint_body: Body, edit: Callable[[dict[str, Any]], None], needle: str
) -> None:
    body = endpoint_body()
    if needle == "privateService":
        body["provider"] = {"vendor": "gcp", "region": "us-east4"}
        body["compute"]["instanceType"] = "intel-spr"
    edit(body)
    r = client.post(NS, json=body)
    assert r.status_code == 400, r.text
    assert needle in r.json()["error"]


def test_deprecated_compute_cannot_be_deployed(client: httpx.Client, endpoint_body: Body) -> None:
    body = endpoint_body(accelerator="gpu", instanceType="nvidia-t4", instanceSize="x1")
    body["provider"] = {"vendor": "gcp", "region": "us-east4"}
    r = client.post(NS, json=body)
    assert r.status_code == 400 and "deprecated" in r.json()["error"]


def test_private_service_on_aws(client: httpx.Client, endpoint_body: Body) -> None:
    doc = create(client, endpoint_body(privateService={"accountId": "123456789012", "region": "us-east-1"}))
    assert doc["privateService"]["accountId"] == "123456789012"
    assert doc["status"]["private"]["serviceName"].startswith("com.amazonaws.vpce.us-east-1.")


@pytest.mark.parametrize("content", [b"{not json", b"[1, 2]", b""])
def test_malformed_bodies_are_400(client: httpx.Client, content: bytes) -> None:
    r = client.post(NS, content=content, headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    assert isinstance(r.json()["error"], str)


def test_legacy_protected_type_is_accepted_and_returned(client: httpx.Client, endpoint_body: Body) -> None:
    assert create(client, endpoint_body(type="protected"))["type"] == "protected"


# -- auth ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer nope"}, {"Authorization": "hf_abcdefgh"}])
def test_missing_or_malformed_token_is_401(sandbox_url: str, headers: dict[str, str]) -> None:
    r = httpx.get(f"{sandbox_url}{NS}", headers=headers)
    assert r.status_code == 401
    assert r.json() == {"error": "A valid user or organization token, sent as a Bearer, is required"}


def test_foreign_namespace_is_401(sandbox_url: str, client: httpx.Client) -> None:
    outsider = {"Authorization": f"Bearer {OUTSIDER_TOKEN}"}
    assert httpx.get(f"{sandbox_url}{NS}", headers=outsider).status_code == 401
    assert httpx.get(f"{sandbox_url}/v2/endpoint/acme", headers=outsider).status_code == 401
    assert httpx.get(f"{sandbox_url}/v2/endpoint/outsider", headers=outsider).status_code == 200
    assert client.get("/v2/endpoint/acme").status_code == 200
    assert client.get("/v2/endpoint/someone-else").status_code == 401


def test_whoami(sandbox_url: str, client: httpx.Client) -> None:
    doc = client.get("/api/whoami-v2").json()
    assert doc["type"] == "user" and doc["name"] == USER
    assert [o["name"] for o in doc["orgs"]] == ["acme"]
    assert doc["auth"]["accessToken"] == {"role": "write", "displayName": "sandbox"}
    outsider = httpx.get(
        f"{sandbox_url}/api/whoami-v2", headers={"Authorization": f"Bearer {OUTSIDER_TOKEN}"}
    )
    assert outsider.json()["name"] == "outsider" and outsider.json()["orgs"] == []
    bad = httpx.get(f"{sandbox_url}/api/whoami-v2", headers={"Authorization": "Bearer bad"})
    assert bad.status_code == 401 and bad.json() == {"error": "Invalid user token."}


# -- update --------------------------------------------------------------------------------------


def test_update_redeploys_a_running_endpoint(
    client: httpx.Client, clock: ManualClock, endpoint_body: Body
) -> None:
    before = deploy(client, clock, endpoint_body(tags=["a"]))
    clock.advance(10)
    r = client.put(f"{NS}/my-endpoint", json={"compute": {"scaling": {"maxReplica": 2}}, "tags": ["b"]})
    assert r.status_code == 200
    doc = r.json()
    assert doc["status"]["state"] == "updating"
    assert doc["status"]["message"] == "Endpoint waiting for the update"
    assert doc["status"]["url"] == before["status"]["url"]
    assert doc["compute"]["scaling"] == {"minReplica": 1, "maxReplica": 2, "scaleToZeroTimeout": None}
    assert doc["tags"] == ["b"]
    assert doc["status"]["updatedAt"] != before["status"]["updatedAt"]
    assert doc["status"]["createdAt"] == before["status"]["createdAt"]
    clock.advance(1)
    assert state(client, "my-endpoint") == "running"


def test_update_merges_nested_and_replaces_maps(client: httpx.Client, endpoint_body: Body) -> None:
    body = endpoint_body()
    body["model"]["env"] = {"A": "1", "B": "2"}
    body["model"]["secrets"] = {"S": "x"}
    create(client, body)
    commit = "abc123".ljust(40, "0")
    r = client.put(f"{NS}/my-endpoint", json={"model": {"env": {"C": "3"}, "revision": commit}})
    doc = r.json()
    assert doc["model"]["env"] == {"C": "3"}
    assert doc["model"]["revision"] == commit
    assert doc["model"]["repository"] == body["model"]["repository"]
    assert doc["model"]["secrets"] == {"S": "********"}
    assert doc["compute"]["instanceType"] == "intel-spr"


def test_tag_only_update_does_not_redeploy(
    client: httpx.Client, clock: ManualClock, endpoint_body: Body
) -> None:
    deploy(client, clock, endpoint_body())
    doc = client.put(f"{NS}/my-endpoint", json={"tags": ["x"]}).json()
    assert doc["status"]["state"] == "running" and doc["tags"] == ["x"]


@pytest.mark.parametrize(
    "patch",
    [
        {"provider": {"vendor": "aws", "region": "eu-west-1"}},
        {"privateService": {"accountId": "1"}},
        {"compute": {"instanceSize": "x3"}},
        {"compute": {"scaling": {"minReplica": 5}}},
        {"type": "nope"},
        {"name": "renamed"},
    ],
)
def test_update_validation_is_400(client: httpx.Client, endpoint_body: Body, patch: dict[str, Any]) -> None:
    create(client, endpoint_body())
    r = client.put(f"{NS}/my-endpoint", json=patch)
    assert r.status_code == 400, r.text


def test_update_of_unknown_endpoint_is_404(client: httpx.Client) -> None:
    assert client.put(f"{NS}/ghost", json={"tags": []}).status_code == 404


def test_update_while_paused_stays_paused(
    client: httpx.Client, clock: ManualClock, endpoint_body: Body
) -> None:
    deploy(client, clock, endpoint_body())
    client.post(f"{NS}/my-endpoint/pause")
    doc = client.put(f"{NS}/my-endpoint", json={"model": {"revision": "2" * 40}}).json()
    assert doc["status"]["state"] == "paused"
    assert doc["model"]["revision"] == "2" * 40


def test_update_quota_is_checked(client: httpx.Client, endpoint_body: Body) -> None:
    create(client, endpoint_body(accelerator="gpu", instanceType="nvidia-a10g", instanceSize="x1"))
    r = client.put(f"{NS}/my-endpoint", json={"compute": {"scaling": {"maxReplica": 5}}})
    assert r.status_code == 409 and "quota" in r.json()["error"].lower()
    r = client.put(f"{NS}/my-endpoint", json={"compute": {"scaling": {"maxReplica": 4}}})
    assert r.status_code == 200


# -- pause / resume / scale to zero --------------------------------------------------------------


def test_pause_and_resume(client: httpx.Client, clock: ManualClock, endpoint_body: Body) -> None:
    running = deploy(client, clock, endpoint_body(minReplica=2, maxReplica=3))
    url = running["status"]["url"]

    paused = client.post(f"{NS}/my-endpoint/pause")
    assert paused.status_code == 200
    doc = paused.json()
    assert doc["status"]["state"] == "paused"
    assert doc["compute"]["scaling"]["minReplica"] == 0 and doc["compute"]["scaling"]["maxReplica"] == 0
    assert doc["status"].get("url") is None

    again = client.post(f"{NS}/my-endpoint/pause")
    assert again.status_code == 200 and again.json()["status"]["state"] == "paused"
    assert client.post(f"{NS}/my-endpoint/scale-to-zero").status_code == 400

    resumed = client.post(f"{NS}/my-endpoint/resume").json()
    assert resumed["status"]["state"] == "pending"
    assert (
        resumed["compute"]["scaling"]["minReplica"] == 1 and resumed["compute"]["scaling"]["maxReplica"] == 1
    )
    clock.advance(2)
    doc = get(client, "my-endpoint")
    assert doc["status"]["state"] == "running" and doc["status"]["url"] == url

    already = client.post(f"{NS}/my-endpoint/resume")
    assert already.status_code == 400
    assert "already running" in already.text


def test_scale_to_zero_and_resume(client: httpx.Client, clock: ManualClock, endpoint_body: Body) -> None:
    url = deploy(client, clock, endpoint_body())["status"]["url"]
    doc = client.post(f"{NS}/my-endpoint/scale-to-zero").json()
    assert doc["status"]["state"] == "scaledToZero"
    assert doc["status"]["url"] == url
    assert doc["status"]["readyReplica"] == 0
    assert client.post(f"{NS}/my-endpoint/scale-to-zero").status_code == 200

    doc = client.post(f"{NS}/my-endpoint/resume").json()
    assert doc["status"]["state"] == "initializing"
    clock.advance(1)
    assert state(client, "my-endpoint") == "running"


def test_transitions_on_unknown_endpoint_are_404(client: httpx.Client) -> None:
    for action in ("pause", "resume", "scale-to-zero"):
        assert client.post(f"{NS}/ghost/{action}").status_code == 404


def test_idle_endpoint_scales_to_zero_after_timeout(
    client: httpx.Client, clock: ManualClock, endpoint_body: Body
) -> None:
    deploy(client, clock, endpoint_body(minReplica=0, scaleToZeroTimeout=2))
    clock.advance(119)
    assert state(client, "my-endpoint") == "running"
    clock.advance(1)
    doc = get(client, "my-endpoint")
    assert doc["status"]["state"] == "scaledToZero"
    assert doc["status"]["url"]


def test_min_replica_one_never_scales_to_zero(
    client: httpx.Client, clock: ManualClock, endpoint_body: Body
) -> None:
    deploy(client, clock, endpoint_body())
    clock.advance(24 * 3600)
    assert state(client, "my-endpoint") == "running"


def test_fail_deploy(client: httpx.Client, clock: ManualClock, endpoint_body: Body) -> None:
    create(client, endpoint_body(repository="sandbox/fail-deploy"))
    clock.advance(1)
    assert state(client, "my-endpoint") == "initializing"
    clock.advance(1)
    doc = get(client, "my-endpoint")
    assert doc["status"]["state"] == "failed"
    assert doc["status"]["message"] == "Endpoint failed to deploy"
    assert doc["status"]["errorMessage"]
    assert client.post(f"{NS}/my-endpoint/resume").status_code == 400
    # Not recoverable in place: only delete and create again.
    fixed = client.put(f"{NS}/my-endpoint", json={"model": {"repository": "distilbert/ok"}})
    assert fixed.status_code == 400 and "create it again" in fixed.json()["error"]


def test_fail_update(client: httpx.Client, clock: ManualClock, endpoint_body: Body) -> None:
    deploy(client, clock, endpoint_body())
    client.put(f"{NS}/my-endpoint", json={"model": {"repository": "sandbox/fail-update"}})
    assert state(client, "my-endpoint") == "updating"
    clock.advance(1)
    doc = get(client, "my-endpoint")
    assert doc["status"]["state"] == "updateFailed"
    assert doc["status"]["errorMessage"]
    # Fixing the config recovers it.
    client.put(f"{NS}/my-endpoint", json={"model": {"repository": "distilbert/ok"}})
    clock.advance(1)
    assert state(client, "my-endpoint") == "running"


# -- counts, admin, server -----------------------------------------------------------------------


def test_counts(sandbox: Sandbox, client: httpx.Client, endpoint_body: Body) -> None:
    sandbox.reset_counts()
    create(client, endpoint_body())
    get(client, "my-endpoint")
    get(client, "my-endpoint")
    client.put(f"{NS}/my-endpoint", json={"tags": []})
    client.post(f"{NS}/my-endpoint/pause")
    client.get(NS)
    client.get("/api/whoami-v2")
    client.delete(f"{NS}/my-endpoint")
    assert sandbox.counts() == {
        "POST /v2/endpoint/{namespace}": 1,
        "GET /v2/endpoint/{namespace}/{name}": 2,
        "PUT /v2/endpoint/{namespace}/{name}": 1,
        "POST /v2/endpoint/{namespace}/{name}/pause": 1,
        "GET /v2/endpoint/{namespace}": 1,
        "GET /api/whoami-v2": 1,
        "DELETE /v2/endpoint/{namespace}/{name}": 1,
    }
    assert sandbox.mutating_count() == 4

    admin = client.get("/_sandbox/counts").json()
    assert admin == {"counts": sandbox.counts(), "mutating": 4}
    assert sum(sandbox.counts().values()) == 8  # admin routes are not counted
    assert client.post("/_sandbox/counts/reset").status_code == 200
    assert sandbox.counts() == {}


def test_reset_deletes_endpoints_and_keeps_serving(
    sandbox: Sandbox, client: httpx.Client, endpoint_body: Body
) -> None:
    create(client, endpoint_body("one"))
    sandbox.reset()
    assert client.get(NS).json()["items"] == []
    create(client, endpoint_body("two"))
    assert client.post("/_sandbox/reset").status_code == 200
    assert client.get(NS).json()["items"] == []


def test_unknown_route_and_method(client: httpx.Client) -> None:
    r = client.get("/v3/nothing")
    assert r.status_code == 404 and "error" in r.json()
    r = client.get(f"{NS}/x/pause")
    assert r.status_code == 405 and "error" in r.json()


def test_state_persists_and_url_follows_the_new_address(
    tmp_path: pathlib.Path, clock: ManualClock, endpoint_body: Body, token: str
) -> None:
    config = SandboxConfig(db_path=tmp_path / "state.sqlite", phases={}, clock=clock)
    headers = {"Authorization": f"Bearer {token}"}
    first = Sandbox(config)
    url1 = first.start()
    assert httpx.post(f"{url1}{NS}", json=endpoint_body(), headers=headers).status_code == 200
    first_doc = httpx.get(f"{url1}{NS}/my-endpoint", headers=headers).json()
    # Started while the first still holds its port, so the OS cannot hand the same port out again.
    with Sandbox(config) as second:
        url2 = second.start()
        first.close()
        assert url2 != url1
        doc = httpx.get(f"{url2}{NS}/my-endpoint", headers=headers).json()
    assert first_doc["status"]["url"] == f"{url1}/endpoints/{USER}/my-endpoint"
    assert doc["status"]["url"] == f"{url2}/endpoints/{USER}/my-endpoint"
    assert doc["status"]["createdAt"] == first_doc["status"]["createdAt"]


def test_serve_forever_in_the_foreground(tmp_path: pathlib.Path, clock: ManualClock, token: str) -> None:
    sb = Sandbox(SandboxConfig(db_path=tmp_path / "db.sqlite", clock=clock))
    url = sb.bind()
    thread = threading.Thread(target=sb.serve_forever)
    thread.start()
    try:
        r = httpx.get(f"{url}/api/whoami-v2", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200
    finally:
        sb.stop()
        thread.join(timeout=5)
        sb.close()
    assert not thread.is_alive()


def test_taken_port_raises(tmp_path: pathlib.Path, clock: ManualClock) -> None:
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        sb = Sandbox(SandboxConfig(db_path=tmp_path / "db.sqlite", clock=clock))
        with pytest.raises(OSError):
            sb.start(port=port)
        sb.close()


def test_middleware_wraps_every_counted_route(
    sandbox: Sandbox, client: httpx.Client, endpoint_body: Body
) -> None:
    seen: list[str] = []

    def throttle_creates(request: Request, call_next: Handler) -> Response:
        seen.append(request.route)
        if request.route == "POST /v2/endpoint/{namespace}":
            return Response(429, b'{"error": "Too many requests"}', headers={"Retry-After": "1"})
        return call_next(request)

    sandbox.add_middleware(throttle_creates)
    r = client.post(NS, json=endpoint_body())
    assert r.status_code == 429 and r.headers["Retry-After"] == "1"
    assert client.get(f"{NS}/my-endpoint").status_code == 404
    client.get("/_sandbox/counts")
    assert seen == ["POST /v2/endpoint/{namespace}", "GET /v2/endpoint/{namespace}/{name}"]


def test_middleware_can_commit_then_drop_the_connection(
    sandbox: Sandbox, client: httpx.Client, endpoint_body: Body
) -> None:
    def drop_after_commit(request: Request, call_next: Handler) -> Response:
        response = call_next(request)
        if request.method == "POST":
            response.drop_connection = True
        return response

    sandbox.add_middleware(drop_after_commit)
    with pytest.raises(httpx.TransportError):
        client.post(NS, json=endpoint_body())
    sandbox.clear_middleware()
    assert get(client, "my-endpoint")["name"] == "my-endpoint"


def test_unknown_image_fields_are_dropped_like_the_api(client: httpx.Client, endpoint_body: Body) -> None:
    body = endpoint_body()
    body["model"]["image"] = {
        "vLLM": {
            "url": "vllm/vllm-openai:v0.23.0",
            "port": 8000,
            "health_route": "/ping",
            "tensorParallelSize": 2,
        }
    }
    doc = create(client, body)
    expected = {"vLLM": {"url": "vllm/vllm-openai:v0.23.0", "port": 8000, "tensorParallelSize": 2}}
    assert doc["model"]["image"] == expected
    assert get(client, "my-endpoint")["model"]["image"] == expected

    image = {
        "custom": {
            "url": "ghcr.io/acme/app:1",
            "credentials": {"username": "bot", "password": "pw-12345678", "token": "t"},
            "pooling": "mean",
        }
    }
    r = client.put(f"{NS}/my-endpoint", json={"model": {"image": image}})
    assert r.status_code == 200, r.text
    shown = r.json()["model"]["image"]
    assert shown == {
        "custom": {"url": "ghcr.io/acme/app:1", "credentials": {"username": "bot", "password": "********"}}
    }
    assert "pw-12345678" not in r.text

    r = client.put(f"{NS}/my-endpoint", json={"model": {"image": {"huggingface": {"url": "x"}}}})
    assert r.json()["model"]["image"] == {"huggingface": {}}
