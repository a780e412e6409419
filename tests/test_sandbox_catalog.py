"""The sandbox's Inference Catalog: the routes huggingface_hub 2.4 calls for ``list_inference_catalog`` and
``create_inference_endpoint_from_catalog``, answered so that HfApi and the ``hf endpoints catalog`` CLI
work against it unchanged — and what they deploy is an endpoint like any other (export, adopt).

The ``hf`` CLI runs as a subprocess, its own entry point, with huggingface_hub's two hard-coded base URLs
(``INFERENCE_ENDPOINTS_ENDPOINT``, ``INFERENCE_CATALOG_ENDPOINT``, which no environment variable moves)
pointed at the sandbox first, and ``HF_ENDPOINT`` (whoami) in its environment. Several commands for one
test run in turn in one such process (``hf``): the interpreter and its imports cost ~0.45 s a process.
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx2 as httpx
import pytest
import yaml
from clirunner import Cli
from conftest import OUTSIDER_TOKEN, TOKEN, USER
from huggingface_hub import HfApi, constants
from huggingface_hub.errors import HfHubHTTPError

from endpointctl.sandbox import Request, Response, Sandbox
from endpointctl.sandbox.transport import Handler

pytestmark = pytest.mark.filterwarnings("ignore:.*is experimental:UserWarning")

LIST = "GET /api/v1/catalog/list"
LLAMA = "meta-llama/Llama-3.2-1B-Instruct"
ENDED = "--- hf exited"
# `hf ARGS` for each ARGS of the JSON list in argv[2], in turn, as .venv/bin/hf runs it: the last one ends
# the process (its exit status is the process's); each one before it ends with a line giving its code.
# Each command sets up what it uses itself (HfApi, the output format), and what the process keeps
# (huggingface_hub's shared HTTP client) is closed between commands as the end of a process closes it.
HF = f"""
import json, sys
from huggingface_hub import close_session, constants
base = sys.argv[1]
constants.INFERENCE_ENDPOINTS_ENDPOINT = base + "/v2"
constants.INFERENCE_CATALOG_ENDPOINT = base + "/api/v1/catalog"
from huggingface_hub.cli.hf import main
*before, last = json.loads(sys.argv[2])
for args in before:
    sys.argv = ["hf", *args]
    try:
        code = main()
    except SystemExit as ended:
        code = ended.code
    close_session()
    sys.stdout.flush()
    print("\\n{ENDED}", json.dumps(code or 0), flush=True)
sys.argv = ["hf", *last]
sys.exit(main())
"""


@pytest.fixture
def api(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Iterator[HfApi]:
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_TELEMETRY", True)
    monkeypatch.setattr(constants, "INFERENCE_ENDPOINTS_ENDPOINT", sandbox.url + "/v2")
    monkeypatch.setattr(constants, "INFERENCE_CATALOG_ENDPOINT", sandbox.url + "/api/v1/catalog")
    yield HfApi(endpoint=sandbox.url, token=TOKEN)


def hf(sandbox: Sandbox, tmp_path: pathlib.Path, *commands: list[str]) -> subprocess.CompletedProcess[str]:
    """One process running ``hf`` with each of ``commands`` in turn (HF); ``in_turn`` splits its stdout."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    env.update(
        HF_ENDPOINT=sandbox.url,
        HF_TOKEN=TOKEN,
        HF_HOME=str(tmp_path / "hf-home"),
        HF_HUB_DISABLE_TELEMETRY="1",
        HF_HUB_DISABLE_EXPERIMENTAL_WARNING="1",
        NO_COLOR="1",
    )
    return subprocess.run(
        [sys.executable, "-c", HF, sandbox.url, json.dumps(commands)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def in_turn(ran: subprocess.CompletedProcess[str]) -> list[tuple[int, str]]:
    """Each command's exit code and stdout, in order; the last one's code is the process's."""
    first, *rest = ran.stdout.split(f"\n{ENDED} ")
    codes, outputs = [], [first]
    for part in rest:
        code, output = part.split("\n", 1)
        codes.append(int(code))
        outputs.append(output)
    return list(zip([*codes, ran.returncode], outputs, strict=True))


# -- the wire: what list_inference_catalog reads ---------------------------------------------------------


def test_the_list_answers_the_documented_shape_without_a_token(sandbox: Sandbox) -> None:
    answer = httpx.get(f"{sandbox.url}/api/v1/catalog/list", timeout=10)
    assert answer.status_code == 200
    items = answer.json()["items"]
    assert {i["repoId"] for i in items} == {LLAMA, "Qwen/Qwen2.5-7B-Instruct", "BAAI/bge-small-en-v1.5"}
    for item in items:
        assert set(item) == {"repoId", "modelName", "authorName", "license", "task", "createdAt", "recipes"}
        assert item["createdAt"].endswith("Z")
        for recipe in item["recipes"]:
            assert {"publicId", "accelerator", "engineType"} <= set(recipe)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"task": "text-generation"}, {LLAMA: 2, "Qwen/Qwen2.5-7B-Instruct": 1}),
        ({"accelerator": "cpu"}, {LLAMA: 1, "BAAI/bge-small-en-v1.5": 1}),
        ({"engine": "vllm"}, {LLAMA: 1, "Qwen/Qwen2.5-7B-Instruct": 1}),
        ({"license": "mit"}, {"BAAI/bge-small-en-v1.5": 1}),
        ({"search": "llama"}, {LLAMA: 2}),
        ({"search": "nothing-like-it"}, {}),
        ({"limit": 1}, {LLAMA: 2}),
    ],
)
def test_hfapi_lists_the_catalog_with_every_filter(
    api: HfApi, query: dict[str, Any], expected: dict[str, int]
) -> None:
    models = api.list_inference_catalog(**query)
    assert {m.repo_id: len(m.recipes) for m in models} == expected


def test_hfapi_deploys_a_model_s_default_recipe_or_an_exact_one(api: HfApi, sandbox: Sandbox) -> None:
    default = api.create_inference_endpoint_from_catalog(LLAMA, name="llama-gpu", namespace="acme")
    assert (default.name, default.namespace, default.status) == ("llama-gpu", "acme", "pending")
    compute = default.raw["compute"]
    assert (compute["accelerator"], compute["instanceType"], compute["instanceSize"]) == (
        "gpu",
        "nvidia-l4",
        "x1",
    )
    assert default.raw["model"]["image"] == {"vLLM": {"url": "vllm/vllm-openai:v0.23.0", "port": 8000}}
    assert len(default.raw["model"]["revision"]) == 40 and default.raw["type"] == "private"

    cpu = api.create_inference_endpoint_from_catalog(LLAMA, name="llama-cpu", accelerator="cpu")
    assert cpu.raw["compute"]["accelerator"] == "cpu" and "llamacpp" in cpu.raw["model"]["image"]
    exact = api.create_inference_endpoint_from_catalog(recipe_id="smoky-paprika-7t4b1c9d")
    assert exact.name.startswith("bge-small-en-v1-5-") and exact.namespace == USER
    listed = {e.name for e in api.list_inference_endpoints(namespace=USER)}
    assert listed == {"llama-cpu", exact.name}  # real endpoints, listed like any other
    assert sandbox.counts()["POST /api/v1/catalog/recipe/{recipe}/deploy"] == 1


@pytest.mark.parametrize(
    ("call", "status"),
    [
        (lambda a: a.create_inference_endpoint_from_catalog("someone/not-in-catalog"), 404),
        (lambda a: a.create_inference_endpoint_from_catalog(recipe_id="no-such-recipe"), 404),
        (lambda a: a.create_inference_endpoint_from_catalog(LLAMA, accelerator="neuron"), 400),
        (lambda a: a.create_inference_endpoint_from_catalog(LLAMA, name="x", namespace="not-mine"), 401),
    ],
)
def test_hfapi_deploy_errors(api: HfApi, call: Any, status: int) -> None:
    with pytest.raises(HfHubHTTPError) as raised:
        call(api)
    assert raised.value.response.status_code == status


def test_a_deploy_needs_a_member_s_token_and_is_held_to_the_quota(sandbox: Sandbox) -> None:
    url = f"{sandbox.url}/api/v1/catalog/model/{LLAMA}/deploy"
    body = {"namespace": "acme"}
    assert httpx.post(url, json=body, timeout=10).status_code == 401
    outsider = {"Authorization": f"Bearer {OUTSIDER_TOKEN}"}
    assert httpx.post(url, json=body, headers=outsider, timeout=10).status_code == 401
    member = {"Authorization": f"Bearer {TOKEN}"}
    answers = [httpx.post(url, json=body, headers=member, timeout=10) for _ in range(5)]
    # The L4 quota is 4 accelerators: the fifth deploy is refused like a fifth create.
    assert [a.status_code for a in answers] == [200, 200, 200, 200, 409]
    assert "endpoint" in answers[0].json() and "Quota exceeded" in answers[4].json()["error"]


# -- the hf CLI, unchanged --------------------------------------------------------------------------


def test_hf_endpoints_catalog_ls_and_deploy_work_against_the_sandbox(
    sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    ran = hf(
        sandbox,
        tmp_path,
        ["endpoints", "catalog", "ls", "--engine", "vllm", "--json"],
        [
            "endpoints",
            "catalog",
            "deploy",
            "--recipe",
            "artisanal-quinoa-yz9ynamx",
            "--name",
            "qwen",
            "--json",
        ],
        ["endpoints", "catalog", "deploy", "--recipe", "no-such-recipe"],
    )
    (listed_code, listed), (deployed_code, deployed), (missing_code, _) = in_turn(ran)
    assert listed_code == 0, ran.stderr
    rows = json.loads(listed)
    assert {r["recipe_id"] for r in rows} == {"sizzling-biryani-g4xsi1ac", "artisanal-quinoa-yz9ynamx"}
    assert sandbox.counts()[LIST] == 1  # the listing's one read: the deploys read no listing

    assert deployed_code == 0, ran.stderr
    assert json.loads(deployed)["name"] == "qwen"
    assert missing_code == 404 % 256  # the hf CLI exits with the HTTP status (148)


def test_what_the_hf_cli_deployed_is_exported_and_adopted_with_tags_only(
    sandbox: Sandbox, tmp_path: pathlib.Path, cli: Cli, clock: Any
) -> None:
    deployed = hf(
        sandbox,
        tmp_path,
        ["endpoints", "catalog", "deploy", "--repo", "BAAI/bge-small-en-v1.5", "--name", "bge"],
    )
    assert deployed.returncode == 0, deployed.stderr
    clock.advance(10)
    out = tmp_path / "live"
    assert cli("export", "bge", "--dir", str(out)).code == 0
    doc = yaml.safe_load((out / "bge.yaml").read_text())
    assert doc["spec"]["model"]["image"] == {
        "tei": {"url": "ghcr.io/huggingface/text-embeddings-inference:cpu-1.8", "port": 80}
    }
    (change,) = json.loads(cli("plan", str(out), "--adopt", "-o", "json").stdout)
    assert [f["path"] for f in change["fields"]] == ["tags"]
    sent: list[tuple[str, Any]] = []

    def record(request: Request, handler: Handler) -> Response:
        if request.method != "GET":
            sent.append((request.route, json.loads(request.body or b"null")))
        return handler(request)

    sandbox.add_middleware(record)
    assert cli("apply", str(out), "--adopt", "--yes").code == 0
    # One update, carrying the tags and nothing else: no create, nothing that redeploys.
    ((route, body),) = sent
    assert route == "PUT /v2/endpoint/{namespace}/{name}" and list(body) == ["tags"]
    assert sorted(body["tags"]) == sorted(change["fields"][0]["after"])
    assert cli("plan", str(out), "--detailed-exitcode").code == 0


def test_endpointctl_reads_the_catalog_where_the_sandbox_serves_it(cli: Cli, sandbox: Sandbox) -> None:
    sandbox.reset_counts()
    assert cli("init", "Qwen/Qwen2.5-7B-Instruct").code == 0
    assert sandbox.counts()[LIST] == 1
