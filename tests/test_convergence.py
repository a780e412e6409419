"""Apply converges from wherever it stopped, and restores what was changed behind its back.

The kill test runs apply as a real process and SIGKILLs it right after its k-th mutating call has been
committed by the sandbox, for every k; a second apply must then finish the job without creating anything
twice. The sandbox holds the k-th response back until the process is dead, so the kill lands at exactly
that point without any sleep.
"""

from __future__ import annotations

import json
import os
import pathlib
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from clirunner import Cli, assert_replan_empty
from test_cli_apply import manifest, write

from endpointctl.sandbox import ManualClock, Request, Response, Sandbox, SandboxConfig
from endpointctl.sandbox.transport import Handler

USER = "sandbox-user"
NS = f"/v2/endpoint/{USER}"
STACK = "conv"
CREATE = "POST /v2/endpoint/{namespace}"
MUTATING_METHODS = ("POST", "PUT", "DELETE")
# Generous bound for a subprocess to reach its k-th call; only a hang ever waits this long.
PROCESS_TIMEOUT = 60.0


@pytest.fixture
def sandbox(tmp_path: pathlib.Path, clock: ManualClock) -> Iterator[Sandbox]:
    """No deployment phases: the apply process cannot share the test's clock, so nothing may wait on it."""
    sb = Sandbox(SandboxConfig(db_path=tmp_path / "sandbox.sqlite", phases={}, clock=clock))
    sb.start()
    try:
        yield sb
    finally:
        sb.close()


def names(client: Any) -> list[str]:
    return sorted(item["name"] for item in client.get(NS, params={"limit": 100}).json()["items"])


# -- killed at every mutation ----------------------------------------------------------------------------

# The starting stack: conv-keep gets an update, conv-sleepy a pause, conv-old is pruned.
START = {
    "conv-keep": manifest("conv-keep"),
    "conv-old": manifest("conv-old"),
    "conv-sleepy": manifest("conv-sleepy"),
}
# The manifests to converge to: three creates (one of them to be paused), one update, one pause, one prune.
FINAL = {
    "conv-a": manifest("conv-a"),
    "conv-b": manifest("conv-b"),
    "conv-c": manifest("conv-c", state="paused"),
    "conv-keep": manifest("conv-keep", scaling={"minReplica": 1, "maxReplica": 2}),
    "conv-sleepy": manifest("conv-sleepy", state="paused"),
}
NEW = {"conv-a", "conv-b", "conv-c"}
# create a, create b, create c + pause c, update keep, pause sleepy, delete old.
MUTATIONS = 7


class KillSwitch:
    """Records every committed mutating call; holds back the response of the k-th until released."""

    def __init__(self, kill_at: int | None) -> None:
        self.kill_at = kill_at
        self.committed = threading.Event()
        self.release = threading.Event()
        self.calls: list[tuple[str, int]] = []
        self._lock = threading.Lock()

    def __call__(self, request: Request, call_next: Handler) -> Response:
        response = call_next(request)  # the sandbox has written its state by the time this returns
        if request.method not in MUTATING_METHODS:
            return response
        with self._lock:
            self.calls.append((request.route, response.status))
            hold = len(self.calls) == self.kill_at
        if hold:
            self.committed.set()
            self.release.wait(timeout=PROCESS_TIMEOUT)
        return response

    def creates(self) -> int:
        with self._lock:
            return sum(1 for route, status in self.calls if route == CREATE and status < 300)


def _stack_dirs(tmp_path: pathlib.Path) -> tuple[str, str]:
    start, final = tmp_path / "start", tmp_path / "final"
    for directory, docs in ((start, START), (final, FINAL)):
        directory.mkdir()
        for name, body in docs.items():
            write(directory, f"{name}.yaml", body)
    return str(start), str(final)


APPLY = ("--stack", STACK, "--prune", "--yes", "--parallelism", "1")


def test_the_final_apply_makes_every_mutation_the_kill_test_counts_on(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    start, final = _stack_dirs(tmp_path)
    assert cli("apply", start, *APPLY).code == 0
    switch = KillSwitch(kill_at=None)
    sandbox.add_middleware(switch)
    run = cli("apply", final, *APPLY, "-o", "json")
    assert run.code == 0, run.all
    assert len(switch.calls) == MUTATIONS
    assert {r["name"]: r["done"] for r in json.loads(run.stdout)} == {
        "conv-a": ["create"],
        "conv-b": ["create"],
        "conv-c": ["create", "pause"],
        "conv-keep": ["update"],
        "conv-sleepy": ["pause"],
        "conv-old": ["delete"],
    }


@pytest.mark.parametrize("kill_at", range(1, MUTATIONS + 1))
def test_apply_killed_after_any_mutation_converges_on_the_next_run(
    cli: Cli, sandbox: Sandbox, client: Any, token: str, tmp_path: pathlib.Path, kill_at: int
) -> None:
    start, final = _stack_dirs(tmp_path)
    assert cli("apply", start, *APPLY).code == 0

    switch = KillSwitch(kill_at)
    sandbox.add_middleware(switch)
    env = {
        **os.environ,
        "ENDPOINTCTL_API_URL": sandbox.url,
        "HF_TOKEN": token,
        "ENDPOINTCTL_STATE_DIR": str(tmp_path),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "endpointctl", "apply", final, *APPLY],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        reached = switch.committed.wait(timeout=PROCESS_TIMEOUT)
    finally:
        process.kill()  # SIGKILL: no handler runs, nothing is reported, the lock is not released by it
        _, stderr = process.communicate(timeout=PROCESS_TIMEOUT)
        switch.release.set()
    assert reached, f"apply ended before its mutation #{kill_at}: {stderr}"
    assert process.returncode == -signal.SIGKILL
    assert len(switch.calls) == kill_at

    switch.kill_at = None
    again = cli("apply", final, *APPLY, "-o", "json")
    assert again.code == 0, again.all

    assert_replan_empty(cli, sandbox, final, "--stack", STACK, "--prune")
    assert names(client) == sorted(FINAL)  # one endpoint per name, the pruned one gone
    assert switch.creates() == len(NEW)  # nothing created twice across the killed and the second run
    # Each mutation exactly once across both runs: the second run redid nothing and none was refused.
    assert len(switch.calls) == MUTATIONS
    assert all(status < 300 for _, status in switch.calls), switch.calls
    states = {item["name"]: item["status"]["state"] for item in client.get(NS).json()["items"]}
    assert states["conv-c"] == states["conv-sleepy"] == "paused"
    keep = client.get(f"{NS}/conv-keep").json()
    assert keep["compute"]["scaling"]["maxReplica"] == 2


# -- out-of-band changes ---------------------------------------------------------------------------------


def plan_changes(cli: Cli, path: str) -> list[dict[str, Any]]:
    run = cli("plan", path, "--detailed-exitcode", "-o", "json")
    assert run.code == 3, run.all
    changes: list[dict[str, Any]] = json.loads(run.stdout)
    return changes


def test_an_edited_replica_count_shows_in_plan_and_is_restored(
    cli: Cli, sandbox: Sandbox, client: Any, tmp_path: pathlib.Path
) -> None:
    path = write(tmp_path, "m.yaml", manifest(scaling={"minReplica": 1, "maxReplica": 2}))
    assert cli("apply", path, "--yes").code == 0
    edited = client.put(f"{NS}/gpt2-demo", json={"compute": {"scaling": {"minReplica": 0, "maxReplica": 4}}})
    assert edited.status_code == 200

    (change,) = plan_changes(cli, path)
    assert change["action"] == "update"
    assert {(f["path"], f["before"], f["after"]) for f in change["fields"]} == {
        ("scaling.minReplica", 0, 1),
        ("scaling.maxReplica", 4, 2),
    }
    assert cli("plan", path).stdout.count("scaling.maxReplica: 4 -> 2") == 1

    before = sandbox.counts()
    assert cli("apply", path, "--yes").code == 0
    after = sandbox.counts()
    assert (
        after.get("PUT /v2/endpoint/{namespace}/{name}", 0)
        - before.get("PUT /v2/endpoint/{namespace}/{name}", 0)
        == 1
    )
    scaling = client.get(f"{NS}/gpt2-demo").json()["compute"]["scaling"]
    assert (scaling["minReplica"], scaling["maxReplica"]) == (1, 2)
    assert_replan_empty(cli, sandbox, path)


def test_a_deleted_endpoint_plans_as_exactly_one_create(
    cli: Cli, sandbox: Sandbox, client: Any, tmp_path: pathlib.Path
) -> None:
    directory = tmp_path / "m"
    directory.mkdir()
    for name in ("oob-a", "oob-b"):
        write(directory, f"{name}.yaml", manifest(name))
    assert cli("apply", str(directory), "--yes").code == 0
    assert client.delete(f"{NS}/oob-b").status_code == 200

    changes = plan_changes(cli, str(directory))
    assert [(c["name"], c["action"]) for c in changes] == [("oob-b", "create")]
    table = cli("plan", str(directory)).stdout
    assert "oob-b" in table and "oob-a" not in table

    creates = sandbox.counts()[CREATE]
    before = sandbox.mutating_count()
    assert cli("apply", str(directory), "--yes").code == 0
    assert sandbox.counts()[CREATE] == creates + 1
    assert sandbox.mutating_count() == before + 1
    assert names(client) == ["oob-a", "oob-b"]
    assert_replan_empty(cli, sandbox, str(directory))


@pytest.mark.parametrize(
    ("wanted", "manual", "action"),
    [("running", "pause", "resume"), ("paused", "resume", "pause")],
)
def test_a_manual_lifecycle_change_against_a_set_state_is_restored(
    cli: Cli, sandbox: Sandbox, client: Any, tmp_path: pathlib.Path, wanted: str, manual: str, action: str
) -> None:
    path = write(tmp_path, "m.yaml", manifest(state=wanted))
    assert cli("apply", path, "--yes").code == 0
    assert client.post(f"{NS}/gpt2-demo/{manual}").status_code == 200

    (change,) = plan_changes(cli, path)
    assert change["action"] == action
    assert ("state", wanted) in {(f["path"], f["after"]) for f in change["fields"]}

    assert cli("apply", path, "--yes").code == 0
    assert client.get(f"{NS}/gpt2-demo").json()["status"]["state"] == wanted
    assert_replan_empty(cli, sandbox, path)


def test_a_manual_pause_without_a_set_state_is_left_alone(
    cli: Cli, sandbox: Sandbox, client: Any, tmp_path: pathlib.Path
) -> None:
    """The nightly pause job and apply must not fight: without `state`, a pause is not drift."""
    path = write(tmp_path, "m.yaml", manifest())
    assert cli("apply", path, "--yes").code == 0
    assert client.post(f"{NS}/gpt2-demo/pause").status_code == 200
    assert_replan_empty(cli, sandbox, path)
    assert yaml.safe_load(cli("status", "gpt2-demo", "-o", "yaml").stdout)[0]["status"] == "paused"
