"""export writes nothing that a later plan would act on by itself (review of the export round trip):

- an endpoint whose state alone makes the planner replace it (``failed``) or block it (``updateFailed``
  asking the configuration reported again) is refused by the planner's own verdict, nothing written;
- an endpoint scaled to zero whose ``minReplica`` may be the API's unknown 0/0 is written without
  ``state``, so the plan after the next request wakes it scales nothing down, under either sandbox reading;
- an endpoint the API lists without a readable tag list (absent, null, not all text), whose plan is
  blocked, is refused the same way: whether endpointctl manages it and its labels are unknown, and an
  export would guess them;
- a secret named like a runner's own credential (``CI_JOB_TOKEN``, ``AWS_*``, ...) is exported under a
  ``SECRET_`` placeholder (``core.variables.runner_variable``), so an apply of the export on a runner never
  sends the runner's own login.

Through the CLI against the sandbox over loopback, and pure where the inputs vary (hypothesis).
"""

from __future__ import annotations

import json
import pathlib
from collections.abc import Iterator
from typing import Any

import httpx2 as httpx
import pytest
from builders import live
from clirunner import Cli
from conftest import PHASES, TOKEN, USER
from hypothesis import given
from hypothesis import strategies as st
from rewritten_answers import each_endpoint, rewrite
from test_cli_apply import manifest, write
from test_export_round_trip import GET, LIST, exported, ok, plan_json

from endpointctl.core.endpoint import Status
from endpointctl.core.export import Exported, export, variable_name
from endpointctl.core.variables import runner_variable
from endpointctl.sandbox import ManualClock, Sandbox, SandboxConfig

ROOT = pathlib.Path(__file__).resolve().parent.parent
TWO_EXAMPLES = (str(ROOT / "manifests" / "gpt2.yaml"), str(ROOT / "manifests" / "sentiment.yaml"))
UPDATE = "PUT /v2/endpoint/{namespace}/{name}"


@pytest.fixture(params=[False, True], ids=["replicas as configured", "0/0 unless running"])
def sandbox(request: pytest.FixtureRequest, tmp_path: pathlib.Path, clock: ManualClock) -> Iterator[Sandbox]:
    """The sandbox under each reading of the replicas of an endpoint that is not running (unconfirmed)."""
    zero = request.param
    config = SandboxConfig(tmp_path / "db.sqlite", dict(PHASES), clock, zero_replicas_unless_running=zero)
    with Sandbox(config) as sb:
        sb.start(host="127.0.0.1", port=0)
        yield sb


def _in_state(state: str) -> Any:
    @each_endpoint
    def change(doc: dict[str, Any]) -> None:
        if doc.get("name") == "gpt2-demo":
            doc["status"]["state"] = state

    return change


# -- 1. a failed endpoint: the planner's verdict, not a second copy of its rules ------------------------


@pytest.mark.parametrize("state", ["failed", "updateFailed"])
def test_an_endpoint_whose_state_would_plan_a_replace_or_a_block_is_not_exported(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path, state: str
) -> None:
    ok(cli("apply", *TWO_EXAMPLES, "--yes"))
    clock.advance(10)
    for route in (GET, LIST):
        rewrite(sandbox, route, _in_state(state))
    out = tmp_path / "live"
    for args in ((), ("gpt2-demo", "sentiment-en"), ("gpt2-demo",)):
        refused = ok(cli("export", *args, "--dir", str(out)), 1)
        if state == "failed":
            assert f"cannot export {USER}/gpt2-demo: its state is {state}" in refused.stderr, refused.all
            assert "would replace it" in refused.stderr
        else:  # never replaced, blocked: the planner's verdict all the same
            assert (
                f"cannot export {USER}/gpt2-demo: a plan on its manifest would be blocked" in refused.stderr
            )
            assert "its last update failed" in refused.stderr, refused.all
        assert "nothing was written" in refused.stderr
        assert "bug" not in refused.stderr
        assert not out.exists()
        assert ok(cli("export", *args), 1).stdout == ""
    # The other endpoint, named alone, is exported and plans nothing.
    ok(cli("export", "sentiment-en", "--dir", str(out)))
    assert list(exported(out)) == ["sentiment-en"]
    assert plan_json(cli, str(out), "--detailed-exitcode") == []


# -- 2. scaled to zero: an unknown floor never becomes a state that scales a woken endpoint down ---------


def _wake(sandbox: Sandbox, clock: ManualClock) -> None:
    """A request to the sleeping endpoint, as traffic would send it; it runs once it has started."""
    headers = {"Authorization": f"Bearer {TOKEN}"}
    doc = httpx.get(f"{sandbox.url}/v2/endpoint/{USER}/gpt2-demo", headers=headers, timeout=10).json()
    assert doc["status"]["state"] == "scaledToZero"
    httpx.post(doc["status"]["url"], json={"inputs": "hi"}, headers=headers, timeout=10)
    clock.advance(10)
    doc = httpx.get(f"{sandbox.url}/v2/endpoint/{USER}/gpt2-demo", headers=headers, timeout=10).json()
    assert doc["status"]["state"] == "running"


@pytest.mark.parametrize("low", [0, 1])
def test_an_endpoint_scaled_to_zero_round_trips_before_and_after_it_wakes(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path, low: int
) -> None:
    path = write(tmp_path, "m.yaml", manifest(scaling={"minReplica": low, "maxReplica": 2}))
    ok(cli("apply", path, "--yes"))
    clock.advance(10)
    ok(cli("scale-to-zero", "gpt2-demo"))
    out = tmp_path / "live"
    run = ok(cli("export", "gpt2-demo", "--dir", str(out)))
    spec = exported(out)["gpt2-demo"]["spec"]
    known_floor = low == 0 and not sandbox.config.zero_replicas_unless_running
    # Scaled to zero by its own known minReplica 0, it is running; otherwise the state is not written.
    assert spec.get("state") == ("running" if known_floor else None), run.all
    assert known_floor or "state left out (not compared)" in run.stderr
    assert plan_json(cli, str(out), "--detailed-exitcode") == []
    _wake(sandbox, clock)
    sandbox.reset_counts()
    assert plan_json(cli, str(out), "--detailed-exitcode") == []
    ok(cli("apply", str(out), "--yes"))
    assert sandbox.mutating_count() == 0, sandbox.counts()


@pytest.mark.parametrize(("low", "state"), [(None, None), (1, None), (0, "running")])
def test_only_a_known_floor_of_zero_writes_the_state_of_one_scaled_to_zero(
    low: int | None, state: str | None
) -> None:
    result = export(
        live(status=Status.SCALED_TO_ZERO, min_replica=low, max_replica=None if low is None else 2)
    )
    assert isinstance(result, Exported)
    assert result.document["spec"].get("state") == state


# -- 3. a runner's own credential: never a placeholder, never a secret's source -------------------------

# At least these families; core/variables.py holds the one definition.
RUNNER_PREFIXES = (
    *("GITHUB_", "ACTIONS_", "RUNNER_", "CI_", "GITLAB_", "AWS_", "AZURE_", "GOOGLE_", "GCP_"),
    *("HF_", "HUGGING_FACE_", "ENDPOINTCTL_"),
)
RUNNER_NAMES = st.builds(
    "{}{}".format,
    st.sampled_from(RUNNER_PREFIXES),
    st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_", max_size=12),
) | st.sampled_from(
    ["CI_JOB_TOKEN", "AWS_SECRET_ACCESS_KEY", "GITLAB_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"]
)
ANY_NAMES = RUNNER_NAMES | st.text(min_size=1, max_size=16)


@given(RUNNER_NAMES)
def test_a_secret_named_like_a_runner_credential_is_exported_under_a_name_of_its_own(name: str) -> None:
    assert runner_variable(name)
    assert variable_name(name) == f"SECRET_{name}"


@given(ANY_NAMES)
def test_no_exported_placeholder_is_a_variable_the_runner_sets(name: str) -> None:
    assert not runner_variable(variable_name(name))


def test_a_ci_job_token_secret_is_never_sent_the_runner_s_token(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path
) -> None:
    secrets = {"CI_JOB_TOKEN": "${MY_JOB_SECRET}", "AWS_SECRET_ACCESS_KEY": "${MY_AWS_SECRET}"}
    values = {"MY_JOB_SECRET": "endpoint-job-secret-0001", "MY_AWS_SECRET": "endpoint-aws-secret-0002"}
    ok(cli("apply", write(tmp_path, "m.yaml", manifest(secrets=secrets)), "--yes", env=values))
    clock.advance(10)
    out = tmp_path / "live"
    ok(cli("export", "gpt2-demo", "--dir", str(out)))
    assert exported(out)["gpt2-demo"]["spec"]["model"]["secrets"] == {
        "AWS_SECRET_ACCESS_KEY": "${SECRET_AWS_SECRET_ACCESS_KEY}",
        "CI_JOB_TOKEN": "${SECRET_CI_JOB_TOKEN}",
    }
    # In GitLab CI: the runner's own job token and AWS keys are set, the placeholders' variables are not.
    runner = {
        "CI_JOB_TOKEN": "glcbt-the-runner-s-job-token-42",
        "AWS_SECRET_ACCESS_KEY": "aws-runner-key-4242",
    }
    sandbox.reset_counts()
    refused = ok(cli("apply", str(out), "--rotate-secrets", "--yes", env=runner), 2)
    assert "SECRET_AWS_SECRET_ACCESS_KEY" in refused.stderr or "SECRET_CI_JOB_TOKEN" in refused.stderr
    assert sandbox.mutating_count() == 0
    assert not any(value in refused.all for value in runner.values())
    assert sandbox.counts().get(UPDATE) is None


# -- 4. tags the API gives no readable list of: the planner blocks it, so export refuses it ------------


@pytest.mark.parametrize("tags", ["absent", None, [1, "managed-by=endpointctl"]])
def test_an_endpoint_listed_without_a_readable_tag_list_is_not_exported(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path, tags: Any
) -> None:
    ok(cli("apply", *TWO_EXAMPLES, "--yes"))
    clock.advance(10)

    @each_endpoint
    def unreadable(doc: dict[str, Any]) -> None:
        if doc.get("name") != "gpt2-demo":
            return
        if tags == "absent":
            doc.pop("tags", None)
        else:
            doc["tags"] = tags

    for route in (GET, LIST):
        rewrite(sandbox, route, unreadable)
    out = tmp_path / "live"
    for args in ((), ("gpt2-demo", "sentiment-en"), ("gpt2-demo",)):
        refused = ok(cli("export", *args, "--dir", str(out)), 1)
        assert f"cannot export {USER}/gpt2-demo: a plan on its manifest would be blocked" in refused.stderr
        assert "no readable tag list" in refused.stderr and "nothing was written" in refused.stderr
        assert "bug" not in refused.stderr, refused.all
        assert not out.exists()
        assert ok(cli("export", *args), 1).stdout == ""
    ok(cli("export", "sentiment-en", "--dir", str(out)))
    assert list(exported(out)) == ["sentiment-en"]


@pytest.mark.parametrize(
    "argv", [("export",), ("status",), ("pause",), ("status", "gpt2-demo", "sentiment-en")], ids=" ".join
)
def test_a_selector_says_which_endpoints_it_could_not_match_for_unknown_labels(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, argv: tuple[str, ...]
) -> None:
    """gpt2-demo has team=nlp, but the API lists no tags for it: not matched by a guess, nor in silence."""
    ok(cli("apply", *TWO_EXAMPLES, "--yes"))
    clock.advance(10)

    @each_endpoint
    def unreadable(doc: dict[str, Any]) -> None:
        if doc.get("name") == "gpt2-demo":
            doc.pop("tags", None)

    rewrite(sandbox, LIST, unreadable)
    sandbox.reset_counts()
    result = ok(cli(*argv, "-l", "team=nlp", "-o", "json"))
    records = json.loads(result.stdout)
    assert [r.get("name") or r["metadata"]["name"] for r in records] == ["sentiment-en"]
    assert (
        "1 endpoint(s) not matched by the selector because the API gave no readable tag list for them, so "
        f"their labels are unknown: {USER}/gpt2-demo" in result.stderr
    ), result.stderr
    assert sandbox.mutating_count() == (1 if argv == ("pause",) else 0)  # sentiment-en's pause alone
