"""The official huggingface_hub client, unchanged, against the sandbox.

Runs in a subprocess so HF_ENDPOINT and HF_TOKEN are in the environment before huggingface_hub is
imported (it reads HF_ENDPOINT once, at import time).
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
import textwrap
from collections.abc import Iterator

import pytest

from endpointctl.sandbox import Sandbox, SandboxConfig, WallClock

SCRIPT = textwrap.dedent(
    """
    import json, sys
    from huggingface_hub import HfApi, constants
    from huggingface_hub.errors import HfHubHTTPError
    from huggingface_hub.utils import build_hf_headers, get_session

    base = sys.argv[1]
    constants.INFERENCE_ENDPOINTS_ENDPOINT = base + "/v2"
    api = HfApi()
    out = {}

    me = api.whoami()
    out["whoami"] = {"name": me["name"], "orgs": [o["name"] for o in me["orgs"]]}

    ep = api.create_inference_endpoint(
        "fidelity-ep",
        repository="distilbert/distilbert-base-uncased-finetuned-sst-2-english",
        framework="pytorch",
        task="text-classification",
        accelerator="cpu",
        vendor="aws",
        region="us-east-1",
        instance_size="x2",
        instance_type="intel-spr",
        type="authenticated",
        tags=["team=ml", "managed-by=endpointctl"],
        env={"MAX_BATCH": "8"},
        secrets={"API_KEY": "s3cret"},
    )
    out["created"] = {"status": ep.status, "type": ep.type, "namespace": ep.namespace}
    ep.wait(timeout=30, refresh_every=0.05)
    out["waited"] = {"status": ep.status, "url": ep.url}
    # Raw POST with the client's own auth headers: InferenceClient.text_classification expects the
    # serverless API's nested [[...]], while a dedicated endpoint answers a flat list.
    answer = get_session().post(ep.url, json={"inputs": "I love it"}, headers=build_hf_headers())
    out["inference"] = answer.json()[0]["label"]

    got = api.get_inference_endpoint("fidelity-ep")
    out["got"] = {
        "tags": got.raw["tags"],
        "env": got.raw["model"]["env"],
        "secrets": got.raw["model"]["secrets"],
        "created_at_tz": str(got.created_at.tzinfo),
    }
    out["listed"] = [e.name for e in api.list_inference_endpoints()]
    out["listed_all"] = sorted(e.name for e in api.list_inference_endpoints(namespace="*"))

    updated = api.update_inference_endpoint("fidelity-ep", min_replica=1, max_replica=2, tags=["team=ml"])
    out["updated"] = {"status": updated.status, "max": updated.raw["compute"]["scaling"]["maxReplica"]}
    updated.wait(timeout=30, refresh_every=0.05)

    paused = api.pause_inference_endpoint("fidelity-ep")
    out["paused"] = {"status": paused.status, "url": paused.url}
    resumed = api.resume_inference_endpoint("fidelity-ep")
    out["resumed"] = resumed.status
    resumed.wait(timeout=30, refresh_every=0.05)
    again = api.resume_inference_endpoint("fidelity-ep", running_ok=True)
    out["resumed_again"] = again.status
    try:
        api.resume_inference_endpoint("fidelity-ep", running_ok=False)
        out["resume_not_ok"] = None
    except HfHubHTTPError as err:
        out["resume_not_ok"] = err.response.status_code

    zero = api.scale_to_zero_inference_endpoint("fidelity-ep")
    out["zero"] = {"status": zero.status, "url_kept": zero.url == again.url}

    hardware = api.list_inference_endpoints_hardware()
    out["hardware"] = {
        "count": len(hardware),
        "spr_used": next(h.used_accelerators for h in hardware if h.id == "aws-us-east-1-intel-spr-x2"),
    }

    failing = api.create_inference_endpoint(
        "fidelity-fail",
        repository="sandbox/fail-deploy",
        framework="pytorch",
        accelerator="cpu",
        vendor="aws",
        region="us-east-1",
        instance_size="x1",
        instance_type="intel-spr",
    )
    try:
        failing.wait(timeout=30, refresh_every=0.05)
        out["fail_wait"] = "returned"
    except Exception as err:
        out["fail_wait"] = type(err).__name__

    try:
        api.create_inference_endpoint(
            "fidelity-ep", repository="x/y", framework="pytorch", accelerator="cpu", vendor="aws",
            region="us-east-1", instance_size="x1", instance_type="intel-spr",
        )
    except HfHubHTTPError as err:
        out["conflict"] = [err.response.status_code, "already exists" in str(err)]

    api.delete_inference_endpoint("fidelity-ep")
    api.delete_inference_endpoint("fidelity-fail")
    out["after_delete"] = [e.name for e in api.list_inference_endpoints()]
    print(json.dumps(out))
    """
)


@pytest.fixture
def live_sandbox(tmp_path: pathlib.Path) -> Iterator[Sandbox]:
    """A sandbox on the real clock with short phases, so wait() genuinely polls: each phase lasts two of
    the script's refresh intervals (0.05 s), so every wait reads the endpoint again and again before it
    is done (16 reads in all); longer phases only add idle time."""
    config = SandboxConfig(
        db_path=tmp_path / "fidelity.sqlite",
        phases={"pending": 0.1, "initializing": 0.1, "updating": 0.1},
        clock=WallClock(),
    )
    with Sandbox(config) as sb:
        sb.start()
        yield sb


def test_huggingface_hub_client_works_unchanged(
    live_sandbox: Sandbox, tmp_path: pathlib.Path, token: str
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    env.update(
        HF_ENDPOINT=live_sandbox.url,
        HF_TOKEN=token,
        HF_HOME=str(tmp_path / "hf-home"),
        HF_HUB_DISABLE_TELEMETRY="1",
        HF_HUB_DISABLE_IMPLICIT_TOKEN="0",
    )
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, live_sandbox.url],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])

    assert out["whoami"] == {"name": "sandbox-user", "orgs": ["acme"]}
    assert out["created"] == {"status": "pending", "type": "authenticated", "namespace": "sandbox-user"}
    assert out["waited"] == {
        "status": "running",
        "url": f"{live_sandbox.url}/endpoints/sandbox-user/fidelity-ep",
    }
    assert out["inference"] == "POSITIVE"
    assert out["got"] == {
        "tags": ["team=ml", "managed-by=endpointctl"],
        "env": {"MAX_BATCH": "8"},
        "secrets": {"API_KEY": "********"},
        "created_at_tz": "UTC",
    }
    assert out["listed"] == ["fidelity-ep"]
    assert out["listed_all"] == ["fidelity-ep"]
    assert out["updated"] == {"status": "updating", "max": 2}
    assert out["paused"] == {"status": "paused", "url": None}
    assert out["resumed"] == "pending"
    assert out["resumed_again"] == "running"
    assert out["resume_not_ok"] == 400
    assert out["zero"] == {"status": "scaledToZero", "url_kept": True}
    assert out["hardware"]["count"] > 50
    assert out["hardware"]["spr_used"] == 2
    assert out["fail_wait"] == "InferenceEndpointError"
    assert out["conflict"] == [409, True]
    assert out["after_delete"] == []

    counts = live_sandbox.counts()
    assert counts["GET /api/whoami-v2"] >= 1
    assert counts["POST /v2/endpoint/{namespace}/{name}/resume"] == 3
