"""Issue 9: unknown is never drift. Real answers leave fields out, send nulls and name states we do not know.

Through the sandbox over loopback, with a middleware that reshapes its answers as the real service may:
whatever is absent or null is unknown, and unknown never causes an update, a replace or a delete; a state
endpointctl does not know is shown verbatim, is never ready, and is never acted on.
"""

from __future__ import annotations

import copy
import json
import pathlib
from collections.abc import Callable
from typing import Any

import pytest
import yaml
from builders import BASE_DOC
from clirunner import Cli, assert_replan_empty
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rewritten_answers import each_endpoint, rewriting

from endpointctl.sandbox import Middleware, Sandbox
from endpointctl.sandbox.transport import Handler

LIST = "GET /v2/endpoint/{namespace}"
ONE = "GET /v2/endpoint/{namespace}/{name}"

# Every optional field the manifest below sets, as a path into the API's endpoint object.
OPTIONAL = (
    ("type",),
    ("privateService",),
    ("privateService", "region"),
    ("provider",),
    ("provider", "vendor"),
    ("provider", "region"),
    ("compute", "accelerator"),
    ("compute", "instanceType"),
    ("compute", "instanceSize"),
    ("compute", "scaling"),
    ("compute", "scaling", "minReplica"),
    ("compute", "scaling", "maxReplica"),
    ("compute", "scaling", "scaleToZeroTimeout"),
    ("model", "env"),
    ("model", "image"),
    ("model", "framework"),
    ("model", "secrets"),
    ("model", "revision"),
    ("model", "task"),
)


def full_manifest(name: str = "full") -> str:
    """A manifest that sets every field the plan compares."""
    doc = copy.deepcopy(BASE_DOC)
    doc["metadata"]["name"] = name
    spec = doc["spec"]
    spec["model"].update(
        {
            "env": {"MAX_BATCH": "8"},
            "framework": "pytorch",
            "image": {
                "tgi": {"url": "ghcr.io/huggingface/text-generation-inference:3.0", "maxInputLength": 1024}
            },
            "secrets": {"API_KEY": "${API_KEY}"},
        }
    )
    spec["scaling"] = {"minReplica": 1, "maxReplica": 2, "scaleToZeroTimeout": 15}
    spec["security"] = "private"
    spec["privateLink"] = {"accountId": "123456789012", "region": "us-east-1"}
    return yaml.safe_dump(doc, sort_keys=False)


def reshaping(edit: Callable[[dict[str, Any]], None]) -> Middleware:
    """A middleware that passes every endpoint the API returns (listed or read one by one) to ``edit``."""
    return rewriting((LIST, ONE), each_endpoint(edit))


def dropping(paths: list[tuple[str, ...]], null: bool) -> Callable[[dict[str, Any]], None]:
    def edit(item: dict[str, Any]) -> None:
        for path in paths:
            parent: Any = item
            for key in path[:-1]:
                parent = parent.get(key) if isinstance(parent, dict) else None
            if isinstance(parent, dict) and path[-1] in parent:
                if null:
                    parent[path[-1]] = None
                else:
                    del parent[path[-1]]

    return edit


def with_api_key(cli: Cli) -> Cli:
    """The usual CLI, with the full manifest's secret in its environment."""
    cli.environ["API_KEY"] = "s3cret-value-123"
    return cli


def deploy_full(cli: Cli, clock: Any, tmp_path: pathlib.Path) -> str:
    """The full manifest applied and running; its path."""
    path = tmp_path / "full.yaml"
    path.write_text(full_manifest())
    applied = cli("apply", str(path), "--yes")
    assert applied.code == 0, applied.all
    clock.advance(30)
    return str(path)


@pytest.fixture
def cli(cli: Cli) -> Cli:
    return with_api_key(cli)


@pytest.fixture
def deployed(cli: Cli, clock: Any, tmp_path: pathlib.Path) -> str:
    return deploy_full(cli, clock, tmp_path)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(OPTIONAL), unique=True, min_size=1), st.booleans())
def test_fields_an_answer_leaves_out_or_nulls_are_never_drift(
    cli: Cli, sandbox: Sandbox, deployed: str, paths: list[tuple[str, ...]], null: bool
) -> None:
    sandbox.clear_middleware()
    sandbox.add_middleware(reshaping(dropping(paths, null)))
    assert_replan_empty(cli, sandbox, deployed)
    # Not even --allow-replace finds anything to delete in what it cannot see.
    applied = cli("apply", deployed, "--yes", "--allow-replace", "-o", "json")
    assert applied.code == 0, applied.all
    assert sandbox.mutating_count() == 1  # the create in the fixture, nothing since


def test_a_live_answer_that_says_nothing_of_privatelink_or_its_region_is_not_a_replace(
    cli: Cli, sandbox: Sandbox, deployed: str
) -> None:
    def region_elsewhere(item: dict[str, Any]) -> None:
        item["privateService"] = {"accountId": "123456789012"}  # the region left out, as answers may

    sandbox.add_middleware(reshaping(region_elsewhere))
    assert_replan_empty(cli, sandbox, deployed)


def test_a_known_difference_is_still_drift(cli: Cli, sandbox: Sandbox, deployed: str) -> None:
    """What the answer does report is compared as before: leniency is about absence only."""

    def other_account(item: dict[str, Any]) -> None:
        item["privateService"] = {"accountId": "999999999999", "region": "us-east-1"}
        item["compute"]["scaling"]["maxReplica"] = 5

    sandbox.add_middleware(reshaping(other_account))
    plan = cli("plan", deployed, "-o", "json")
    assert plan.code == 0, plan.all
    (change,) = json.loads(plan.stdout)
    assert change["action"] == "blocked"
    paths = {field["path"] for field in change["fields"]}
    assert paths == {"privateLink", "scaling.maxReplica"}


def test_an_engine_change_is_a_replace_a_setting_inside_it_is_an_update(
    cli: Cli, sandbox: Sandbox, deployed: str, tmp_path: pathlib.Path
) -> None:
    path = pathlib.Path(deployed)
    inside = path.read_text().replace("maxInputLength: 1024", "maxInputLength: 2048")
    path.write_text(inside)
    plan = cli("plan", deployed, "-o", "json")
    (change,) = json.loads(plan.stdout)
    assert change["action"] == "update", change
    assert [f["path"] for f in change["fields"]] == ["model.image"]

    doc = yaml.safe_load(path.read_text())
    doc["spec"]["model"]["image"] = {"vLLM": {"url": "vllm/vllm-openai:v0.6"}}
    path.write_text(yaml.safe_dump(doc))
    blocked = cli("plan", deployed, "-o", "json")
    (change,) = json.loads(blocked.stdout)
    assert change["action"] == "blocked" and "model.image" in change["reason"], change
    sandbox.reset_counts()
    replaced = cli("apply", deployed, "--yes", "--allow-replace", "-o", "json")
    assert replaced.code == 0, replaced.all
    counts = sandbox.counts()
    assert counts.get("DELETE /v2/endpoint/{namespace}/{name}") == 1
    assert counts.get("POST /v2/endpoint/{namespace}") == 1
    assert not counts.get("PUT /v2/endpoint/{namespace}/{name}")


# -- states endpointctl does not know ------------------------------------------------------------------


def in_state(state: Any) -> Handler:
    def edit(item: dict[str, Any]) -> None:
        item["status"]["state"] = state

    return reshaping(edit)


@pytest.mark.parametrize("state", ["deleting", "building", "hibernating"])
def test_an_unknown_state_is_shown_verbatim_and_never_acted_on(
    cli: Cli, sandbox: Sandbox, deployed: str, state: str
) -> None:
    sandbox.add_middleware(in_state(state))
    table = cli("status")
    assert table.code == 0, table.all
    assert f" {state} " in table.stdout
    (record,) = json.loads(cli("status", "-o", "json").stdout)
    assert record["status"] == state

    # The manifest asks for paused: nothing is done to an endpoint in a state we cannot read.
    path = pathlib.Path(deployed)
    doc = yaml.safe_load(path.read_text())
    doc["spec"]["state"] = "paused"
    doc["spec"]["scaling"]["maxReplica"] = 3
    path.write_text(yaml.safe_dump(doc))
    sandbox.reset_counts()
    plan = cli("plan", deployed)
    assert plan.code == 0, plan.all
    assert f"its state '{state}' is not one endpointctl knows" in plan.stdout
    applied = cli("apply", deployed, "--yes", "--allow-replace")
    assert applied.code == 0, applied.all
    assert sandbox.mutating_count() == 0


def test_wait_never_takes_an_unknown_state_for_ready_and_names_it(
    cli: Cli, sandbox: Sandbox, deployed: str
) -> None:
    sandbox.add_middleware(in_state("building"))
    waited = cli("wait", "full", "--timeout", "0", "-o", "json")
    assert waited.code == 4, waited.all
    (record,) = json.loads(waited.stdout)
    assert record["status"] == "building"
    assert "'building'" in record["message"] and "not one endpointctl knows" in record["message"]


@pytest.mark.parametrize("state", [None, "", 7, "pending"])
def test_a_missing_or_odd_state_is_never_pending_unless_it_says_so(
    cli: Cli, sandbox: Sandbox, deployed: str, state: Any
) -> None:
    sandbox.add_middleware(in_state(state))
    run = cli("status", "-o", "json")
    assert run.code == 0, run.all
    (record,) = json.loads(run.stdout)
    assert record["status"] == ("pending" if state == "pending" else "not reported")


# -- the shape real answers have ----------------------------------------------------------------------

COMMIT = "11c5a3d5811f50298f278a704980280950aedb10"


def real_shaped(state: str) -> dict[str, Any]:
    """An endpoint as the service answered in captured payloads: a commit for the revision, the legacy
    "protected" type, no healthRoute, no privateService, no model.env or secrets, createdBy/updatedBy and
    a ``private`` status field we do not read."""
    return {
        "name": "real",
        "type": "protected",
        "accountId": None,
        "provider": {"vendor": "aws", "region": "us-east-1"},
        "compute": {
            "accelerator": "cpu",
            "instanceType": "intel-spr",
            "instanceSize": "x2",
            "scaling": {"minReplica": 0, "maxReplica": 1},
        },
        "model": {
            "repository": "openai-community/gpt2",
            "revision": COMMIT,
            "task": "text-generation",
            "framework": "pytorch",
            "image": {"huggingface": {}},
        },
        "status": {
            "createdAt": "2023-10-26T12:41:53.263Z",
            "createdBy": {"id": "6273f303f6d63a28483fde12", "name": "someone"},
            "updatedAt": "2023-10-26T12:41:53.263Z",
            "updatedBy": {"id": "6273f303f6d63a28483fde12", "name": "someone"},
            "private": None,
            "state": state,
            "message": "Endpoint is ready" if state == "running" else "Endpoint waiting to be scheduled",
            "readyReplica": 1 if state == "running" else 0,
            "targetReplica": 1 if state == "running" else 0,
        },
    }


@pytest.mark.parametrize("state", ["pending", "running"])
def test_a_real_shaped_answer_plans_nothing_and_apply_sends_nothing(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path, state: str
) -> None:
    doc = copy.deepcopy(BASE_DOC)
    doc["metadata"]["name"] = "real"
    doc["spec"]["model"].update({"revision": "main", "framework": "pytorch"})
    doc["spec"]["compute"] = {"accelerator": "cpu", "instanceType": "intel-spr", "instanceSize": "x2"}
    doc["spec"]["scaling"] = {"minReplica": 0, "maxReplica": 1}
    path = tmp_path / "real.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    sandbox.move_ref("openai-community/gpt2", "main", sha=COMMIT)  # the branch is where the answer says
    assert cli("apply", str(path), "--yes").code == 0

    def as_the_service_answers(item: dict[str, Any]) -> None:
        tags = item.get("tags")
        item.clear()
        item.update(real_shaped(state), tags=tags)  # the tags endpointctl set when it created it

    sandbox.add_middleware(reshaping(as_the_service_answers))
    sandbox.reset_counts()
    # No change; the one thing said is that the legacy type is not compared with the manifest's security.
    plan = cli("plan", str(path), "--detailed-exitcode", "-o", "json")
    assert plan.code == 0, plan.all
    ((record, note),) = [(r, n) for r in json.loads(plan.stdout) for n in r["notes"]]
    assert record["action"] == "noop" and record["steps"] == [] and "legacy type 'protected'" in note
    assert sandbox.mutating_count() == 0
    applied = cli("apply", str(path), "--yes")
    assert applied.code == 0, applied.all
    assert sandbox.mutating_count() == 0
    assert sandbox.counts().get("GET /api/models/{owner}/{model}/revision/{rev}") == 2  # one per run
