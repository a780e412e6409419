"""plan / apply / status end to end: the CLI, through huggingface_hub, against the sandbox over loopback."""

from __future__ import annotations

import copy
import json
import pathlib
import re
import shlex
from typing import Any

import pytest
import yaml
from builders import BASE_DOC
from clirunner import Cli, assert_replan_empty
from rewritten_answers import rewrite

from endpointctl.hub import client as hub_module
from endpointctl.sandbox import Sandbox

ROOT = pathlib.Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "manifests").glob("*.yaml"))
USER = "sandbox-user"


def write(tmp_path: pathlib.Path, name: str, body: str) -> str:
    path = tmp_path / name
    path.write_text(body)
    return str(path)


def manifest(name: str = "gpt2-demo", **extra: Any) -> str:
    """A manifest document; keyword arguments set spec keys (model and metadata keys go where they belong)."""
    doc = copy.deepcopy(BASE_DOC)
    doc["metadata"]["name"] = name
    doc["spec"]["scaling"] = {"minReplica": 1, "maxReplica": 1}
    for key, value in extra.items():
        if key in ("namespace", "labels"):
            doc["metadata"][key] = value
        elif key in ("secrets", "env", "repository", "task"):
            doc["spec"]["model"][key] = value
        else:
            doc["spec"][key] = value
    return yaml.safe_dump(doc, sort_keys=False)


def mutations(sandbox: Sandbox) -> int:
    return sandbox.mutating_count()


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_apply_then_plan_is_empty_with_no_mutating_call(
    cli: Cli, sandbox: Sandbox, clock: Any, example: Any
) -> None:
    applied = cli("apply", str(example), "--yes")
    assert applied.code == 0, applied.all
    clock.advance(10)  # let it deploy
    sandbox.reset_counts()
    assert_replan_empty(cli, sandbox, str(example))
    assert sandbox.counts().get("GET /v2/endpoint/{namespace}") == 1


def test_apply_all_examples_then_status(cli: Cli, sandbox: Sandbox, clock: Any) -> None:
    result = cli("apply", str(ROOT / "manifests"), "--yes", "-o", "json")
    assert result.code == 0, result.all
    records = json.loads(result.stdout)
    assert {r["outcome"] for r in records} == {"ok"}
    assert len(records) == len(EXAMPLES)
    assert sandbox.counts()["POST /v2/endpoint/{namespace}"] == len(EXAMPLES)
    clock.advance(10)
    status = cli("status", "-o", "json")
    rows = json.loads(status.stdout)
    assert {row["status"] for row in rows} == {"running"}
    assert all(row["url"].startswith(sandbox.url) for row in rows)
    assert {row["security"] for row in rows} == {"private"}
    assert {"name", "namespace", "status", "url", "security"} <= set(rows[0])


def test_plan_shows_each_field_and_detailed_exitcode(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    path = write(tmp_path, "m.yaml", manifest())
    created = cli("plan", path, "--detailed-exitcode", "-o", "json")
    assert created.code == 3
    (change,) = json.loads(created.stdout)
    assert (change["name"], change["namespace"], change["action"]) == ("gpt2-demo", USER, "create")
    assert {"path": "model.repository", "before": None, "after": "openai-community/gpt2"}.items() <= next(
        f for f in change["fields"] if f["path"] == "model.repository"
    ).items()
    assert mutations(sandbox) == 0

    assert cli("apply", path, "--yes").code == 0
    path = write(tmp_path, "m.yaml", manifest(scaling={"minReplica": 1, "maxReplica": 3}))
    updated = cli("plan", path, "-o", "yaml")
    (change,) = yaml.safe_load(updated.stdout)
    assert change["action"] == "update"
    assert [(f["path"], f["before"], f["after"], f["replace"]) for f in change["fields"]] == [
        ("scaling.maxReplica", 1, 3, False)
    ]
    table = cli("plan", path)
    assert "scaling.maxReplica: 1 -> 3" in table.stdout
    assert "~ update" in table.stdout


def test_a_blocked_change_fails_plan_detailed_exitcode_as_it_would_fail_apply(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path, client: Any, endpoint_body: Any
) -> None:
    """A pull request's plan job reads 3 as "changes, fine": a change apply will refuse (here: the name is
    someone else's endpoint) must not pass it, and fail only at apply on main."""
    response = client.post(f"/v2/endpoint/{USER}", json=endpoint_body("theirs"))
    assert response.status_code == 200, response.text
    paths = [write(tmp_path, "theirs.yaml", manifest("theirs")), write(tmp_path, "new.yaml", manifest("new"))]
    detailed = cli("plan", *paths, "--detailed-exitcode", "-o", "json")
    assert detailed.code == 1, detailed.all
    assert sorted(c["action"] for c in json.loads(detailed.stdout)) == ["blocked", "create"]
    assert "1 change(s) blocked: apply would send nothing for them and exit 1" in detailed.stderr
    plain = cli("plan", *paths, "-o", "json")
    assert (plain.code, plain.stdout) == (0, detailed.stdout)  # without the flag: shown, exit 0, as ever
    assert "change(s) blocked" not in plain.stderr
    assert cli("apply", *paths, "--yes").code == 1
    assert cli("plan", paths[1], "--detailed-exitcode").code == 0  # created: no change, none blocked
    assert mutations(sandbox) == 2  # theirs' create by hand, new's by apply


def test_replace_needs_allow_replace_and_confirmation(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path, clock: Any
) -> None:
    path = write(tmp_path, "m.yaml", manifest())
    assert cli("apply", path, "--yes").code == 0
    clock.advance(10)
    path = write(tmp_path, "m.yaml", manifest(security="private"))

    blocked = cli("apply", path, "--yes")
    assert blocked.code == 1
    assert "--allow-replace" in blocked.all

    sandbox.reset_counts()
    refused = cli("apply", path, "--allow-replace")  # no terminal, no --yes
    assert refused.code == 2
    assert mutations(sandbox) == 0

    replaced = cli("apply", path, "--allow-replace", "--yes", "-o", "json")
    assert replaced.code == 0, replaced.all
    (record,) = json.loads(replaced.stdout)
    assert record["action"] == "replace" and record["done"] == ["delete", "create"]
    status = json.loads(cli("status", "gpt2-demo", "-o", "json").stdout)
    assert status[0]["security"] == "private"


def test_existing_unmanaged_endpoint_is_refused_then_adopted(
    cli: Cli, sandbox: Sandbox, client: Any, endpoint_body: Any, tmp_path: pathlib.Path
) -> None:
    body = endpoint_body("gpt2-demo", tags=["owner=alice"])
    assert client.post(f"/v2/endpoint/{USER}", json=body).status_code == 200
    path = write(tmp_path, "m.yaml", manifest())
    sandbox.reset_counts()

    refused = cli("apply", path, "--yes", "-o", "json")
    assert refused.code == 1
    (record,) = json.loads(refused.stdout)
    assert record["outcome"] == "blocked" and "--adopt" in record["error"]
    assert mutations(sandbox) == 0

    adopted = cli("apply", path, "--yes", "--adopt")
    assert adopted.code == 0, adopted.all
    tags = client.get(f"/v2/endpoint/{USER}/gpt2-demo").json()["tags"]
    assert "owner=alice" in tags and "managed-by=endpointctl" in tags


def test_the_adopt_hint_runs_as_pasted(
    cli: Cli, sandbox: Sandbox, client: Any, endpoint_body: Any, tmp_path: pathlib.Path
) -> None:
    """A hint naming `endpointctl apply --adopt` without the manifest was exit 2 when pasted (review)."""
    assert (
        client.post(f"/v2/endpoint/{USER}", json=endpoint_body("gpt2-demo", tags=["owner=alice"])).status_code
        == 200
    )
    path = write(tmp_path, "m.yaml", manifest())
    (record,) = json.loads(cli("apply", path, "--yes", "-o", "json").stdout)
    hint = re.search(r"`(endpointctl apply [^`]*--adopt[^`]*)`", record["error"])
    assert hint is not None, record["error"]
    pasted = shlex.split(hint.group(1))[1:]
    assert path in pasted
    adopted = cli(*pasted, "--yes")
    assert adopted.code == 0, adopted.all


@pytest.mark.parametrize("file", ["m.yaml", "-m.yaml", "with space.yaml"])
def test_the_adopt_hint_for_a_manifest_naming_its_namespace_moves_nothing_else(
    cli: Cli, sandbox: Sandbox, client: Any, endpoint_body: Any, tmp_path: pathlib.Path, file: str
) -> None:
    """One file, `web` (no namespace) and `shared` (namespace acme, unmanaged there): the hint pasted took
    `--namespace acme` and created a second, billed `web` in acme (review). It adds the flag only for a
    document that names no namespace; a file named "-m.yaml" is given as "./-m.yaml"."""
    assert (
        client.post("/v2/endpoint/acme", json=endpoint_body("shared", tags=["owner=alice"])).status_code
        == 200
    )
    path = write(tmp_path, file, manifest("web") + "---\n" + manifest("shared", namespace="acme"))
    applied = cli("apply", path, "--yes", "-o", "json")
    (shared,) = [r for r in json.loads(applied.stdout) if r["name"] == "shared"]
    hint = re.search(r"`(endpointctl apply [^`]*--adopt[^`]*)`", shared["error"])
    assert hint is not None and "--namespace" not in hint.group(1), shared["error"]
    adopted = cli(*shlex.split(hint.group(1))[1:], "--yes")
    assert adopted.code == 0, adopted.all
    where = {
        (r["namespace"], r["name"])
        for r in json.loads(cli("status", "--namespace", "acme", "-o", "json").stdout)
    }
    assert where == {("acme", "shared")}


def test_the_adopt_hint_gives_the_runs_namespace_again_for_the_files_other_documents(
    cli: Cli, sandbox: Sandbox, client: Any, endpoint_body: Any, tmp_path: pathlib.Path
) -> None:
    """Run with --namespace acme: `b` (naming none) lands in acme. The hint left the flag out and, pasted,
    created a second `b` in the token's namespace (review)."""
    assert client.post("/v2/endpoint/acme", json=endpoint_body("a", tags=["owner=alice"])).status_code == 200
    path = write(tmp_path, "mixed.yaml", manifest("a", namespace="acme") + "---\n" + manifest("b"))
    applied = cli("apply", path, "--namespace", "acme", "--yes", "-o", "json")
    (a,) = [r for r in json.loads(applied.stdout) if r["name"] == "a"]
    hint = re.search(r"`(endpointctl apply [^`]*--adopt[^`]*)`", a["error"])
    assert hint is not None and "--namespace acme" in hint.group(1), a["error"]
    assert cli(*shlex.split(hint.group(1))[1:], "--yes").code == 0
    assert [r["name"] for r in json.loads(cli("status", "-o", "json").stdout)] == []  # none in the user's
    acme = {r["name"] for r in json.loads(cli("status", "--namespace", "acme", "-o", "json").stdout)}
    assert acme == {"a", "b"}


def test_prune_touches_only_its_own_stack(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path, client: Any
) -> None:
    for name, stack in (("keep", "prod"), ("drop", "prod"), ("other", "dev")):
        path = write(tmp_path, f"{name}.yaml", manifest(name))
        assert cli("apply", path, "--yes", "--stack", stack).code == 0
    assert cli("apply", write(tmp_path, "loose.yaml", manifest("loose")), "--yes").code == 0  # ours, no stack
    small = {
        "accelerator": "cpu",
        "instanceType": "intel-spr",
        "instanceSize": "x1",
        "scaling": {"minReplica": 0, "maxReplica": 1},
    }
    foreign = {
        "name": "manual",
        "type": "authenticated",
        "provider": {"vendor": "aws", "region": "us-east-1"},
        "compute": small,
        "model": {
            "repository": "openai-community/gpt2",
            "framework": "pytorch",
            "image": {"huggingface": {}},
        },
        "tags": ["endpointctl-stack=prod"],
    }
    assert client.post(f"/v2/endpoint/{USER}", json=foreign).status_code == 200  # stack tag, but not ours
    path = write(tmp_path, "keep.yaml", manifest("keep"))

    no_stack = cli("apply", path, "--prune", "--yes")
    assert no_stack.code == 2

    pruned = cli("apply", path, "--prune", "--stack", "prod", "--yes", "-o", "json")
    assert pruned.code == 0, pruned.all
    deleted = [r["name"] for r in json.loads(pruned.stdout) if r["action"] == "delete"]
    assert deleted == ["drop"]
    names = {ep["name"] for ep in client.get(f"/v2/endpoint/{USER}").json()["items"]}
    assert names == {"keep", "other", "loose", "manual"}


def test_listing_follows_every_page(
    cli: Cli, sandbox: Sandbox, client: Any, endpoint_body: Any, monkeypatch: Any
) -> None:
    small = {
        "accelerator": "cpu",
        "instanceType": "intel-spr",
        "instanceSize": "x1",
        "scaling": {"minReplica": 0, "maxReplica": 1},
    }
    for i in range(25):
        assert (
            client.post(f"/v2/endpoint/{USER}", json=endpoint_body(f"ep-{i:02d}", compute=small)).status_code
            == 200
        )
    monkeypatch.setattr(hub_module, "PAGE_SIZE", 20)
    sandbox.reset_counts()
    result = cli("status", "-o", "json")
    assert result.code == 0
    assert len(json.loads(result.stdout)) == 25
    assert sandbox.counts()["GET /v2/endpoint/{namespace}"] == 2
    assert "GET /v2/endpoint/{namespace}/{name}" not in sandbox.counts()


def test_whoami_once_and_never_when_namespaces_are_known(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    for name in ("one", "two", "three"):
        write(tmp_path, f"{name}.yaml", manifest(name))
    assert cli("plan", str(tmp_path)).code == 0
    assert sandbox.counts()["GET /api/whoami-v2"] == 1
    sandbox.reset_counts()
    assert cli("plan", str(tmp_path), "--namespace", USER).code == 0
    assert "GET /api/whoami-v2" not in sandbox.counts()
    sandbox.reset_counts()
    assert cli("plan", str(tmp_path), env={"ENDPOINTCTL_NAMESPACE": "acme"}).code == 0
    assert "GET /api/whoami-v2" not in sandbox.counts()


def test_broken_manifest_exits_2_with_location_and_no_api_call(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    path = write(tmp_path, "bad.yaml", manifest().replace("instanceSize", "instanceSise"))
    for command in ("validate", "plan", "apply"):
        result = cli(command, path, "--yes") if command == "apply" else cli(command, path)
        assert result.code == 2
        assert f"{path}:" in result.stderr
        assert "spec.compute.instanceSise" in result.stderr
        assert "did you mean 'instanceSize'" in result.stderr
        assert result.stdout == ""
    assert sum(sandbox.counts().values()) == 0


def test_state_in_manifest_is_reconciled(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path, clock: Any
) -> None:
    path = write(tmp_path, "m.yaml", manifest(state="paused"))
    assert cli("apply", path, "--yes").code == 0
    clock.advance(10)
    (row,) = json.loads(cli("status", "-o", "json").stdout)
    assert row["status"] == "paused"

    running = write(tmp_path, "m.yaml", manifest(state="running", scaling={"minReplica": 1, "maxReplica": 2}))
    result = cli("apply", running, "--yes", "-o", "json")
    (record,) = json.loads(result.stdout)
    assert record["done"] == ["resume", "update"]
    clock.advance(10)
    (row,) = json.loads(cli("status", "-o", "json").stdout)
    assert (row["status"], row["minReplica"], row["maxReplica"]) == ("running", 1, 2)
    assert_replan_empty(cli, sandbox, running)


def test_omitted_state_leaves_a_paused_endpoint_alone(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    path = write(tmp_path, "m.yaml", manifest())
    assert cli("apply", path, "--yes").code == 0
    assert cli("pause", "gpt2-demo").code == 0
    sandbox.reset_counts()
    result = cli("apply", path, "--yes")
    assert result.code == 0
    assert mutations(sandbox) == 0


def test_out_of_band_delete_plans_one_create(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path, client: Any
) -> None:
    path = write(tmp_path, "m.yaml", manifest())
    assert cli("apply", path, "--yes").code == 0
    client.delete(f"/v2/endpoint/{USER}/gpt2-demo")
    (change,) = json.loads(cli("plan", path, "-o", "json").stdout)
    assert change["action"] == "create"


def test_paused_endpoint_reaches_scaled_to_zero(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path, clock: Any
) -> None:
    path = write(tmp_path, "m.yaml", manifest(state="paused"))
    assert cli("apply", path, "--yes").code == 0
    clock.advance(10)
    target = write(
        tmp_path, "m.yaml", manifest(state="scaledToZero", scaling={"minReplica": 0, "maxReplica": 1})
    )
    result = cli("apply", target, "--yes", "-o", "json")
    assert result.code == 0, result.all
    (record,) = json.loads(result.stdout)
    assert record["done"] == ["resume", "update", "scale-to-zero"]
    (row,) = json.loads(cli("status", "-o", "json").stdout)
    assert (row["status"], row["minReplica"]) == ("scaledToZero", 0)
    assert_replan_empty(cli, sandbox, target)


def test_engine_image_with_health_route_converges(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path, clock: Any
) -> None:
    doc = yaml.safe_load(manifest())
    image = {"vLLM": {"url": "vllm/vllm-openai:v0.23.0", "port": 8000, "healthRoute": "/health"}}
    doc["spec"]["model"]["image"] = image
    path = write(tmp_path, "m.yaml", yaml.safe_dump(doc, sort_keys=False))
    applied = cli("apply", path, "--yes")
    assert applied.code == 0, applied.all
    clock.advance(10)
    assert_replan_empty(cli, sandbox, path)
    (row,) = json.loads(cli("status", "-o", "json").stdout)
    assert row["status"] == "running"


@pytest.mark.parametrize(
    ("state", "paused_again"),
    # One still deploying (pending, updating) is read until it settles: test_an_update_of_a_paused_endpoint.py
    [("running", True), ("scaledToZero", True), ("hibernating", False), (None, False)],
)
def test_an_update_that_wakes_a_paused_endpoint_is_paused_again(
    cli: Cli, sandbox: Sandbox, clock: Any, tmp_path: pathlib.Path, state: str | None, paused_again: bool
) -> None:
    """Unconfirmed whether the real API keeps a paused endpoint paused on update: never leave it billing.
    A state endpointctl does not know (or none) is never acted on, a pause included: it says so instead."""
    assert cli("apply", write(tmp_path, "m.yaml", manifest()), "--yes").code == 0
    clock.advance(10)
    assert cli("pause", "gpt2-demo").code == 0
    rewrite(sandbox, "PUT /v2/endpoint/{namespace}/{name}", lambda body: body["status"].update(state=state))
    sandbox.reset_counts()
    changed = write(tmp_path, "m.yaml", manifest(repository="openai-community/gpt2-medium"))
    result = cli("apply", changed, "--yes")
    assert result.code == 0, result.all
    assert ("pausing it again" in result.stderr) is paused_again
    assert ("not paused again" in result.stderr) is not paused_again
    counts = sandbox.counts()
    assert counts["PUT /v2/endpoint/{namespace}/{name}"] == 1
    assert counts.get("POST /v2/endpoint/{namespace}/{name}/pause", 0) == int(paused_again)
