"""apply --wait / --smoke: deploying is done when the model answers correctly at its URL."""

from __future__ import annotations

import json
import pathlib
import shlex
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from clirunner import Cli
from test_cli_apply import EXAMPLES, USER, manifest, write

from endpointctl.sandbox import Sandbox

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_apply_wait_smoke_deploys_every_example(cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path) -> None:
    junit = tmp_path / "smoke.xml"
    result = cli(
        "apply", str(ROOT / "manifests"), "--yes", "--smoke", "--junit-xml", str(junit), "-o", "json"
    )
    assert result.code == 0, result.all
    records = json.loads(result.stdout)
    assert len(records) == len(EXAMPLES)
    assert {r["wait"]["outcome"] for r in records} == {"ready"}
    assert {r["smoke"]["verdict"] for r in records} == {"pass"}
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None and suite.get("tests") == str(len(EXAMPLES)) and suite.get("failures") == "0"
    # Waiting reads one listing per poll, never one GET per endpoint.
    assert "GET /v2/endpoint/{namespace}/{name}" not in sandbox.counts()


def test_apply_wait_fails_fast_on_a_failed_deploy(cli: Cli, tmp_path: pathlib.Path) -> None:
    path = write(tmp_path, "m.yaml", manifest(repository="sandbox/fail-deploy"))
    result = cli("apply", path, "--yes", "--wait", "-o", "json")
    assert result.code == 1
    (record,) = json.loads(result.stdout)
    assert (record["outcome"], record["wait"]["outcome"]) == ("ok", "failed")
    assert "failed" in result.stderr
    # The hint names the manifest, so that it runs as pasted (review).
    assert shlex.join(["endpointctl", "apply", path, "--allow-replace"]) in record["wait"]["hint"]


def test_a_failed_deploy_is_a_failed_smoke_test_in_the_report_ci_keeps(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    """Left out, a failed deploy read "1 passed, 0 failed" in the JUnit report, or wrote none (review)."""
    write(tmp_path, "bad.yaml", manifest("broken", repository="sandbox/fail-deploy"))
    write(tmp_path, "good.yaml", manifest("fine"))
    junit = tmp_path / "smoke.xml"
    result = cli("apply", str(tmp_path), "--yes", "--smoke", "--junit-xml", str(junit), "-o", "json")
    assert result.code == 1, result.all
    smoked = {r["name"]: r["smoke"] for r in json.loads(result.stdout)}
    assert smoked["fine"]["verdict"] == "pass"
    assert smoked["broken"]["verdict"] == "fail" and "its wait ended failed" in smoked["broken"]["reason"]
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None and (suite.get("tests"), suite.get("failures")) == ("2", "1")
    (tmp_path / "only").mkdir()
    alone = write(tmp_path / "only", "bad.yaml", manifest("broken-too", repository="sandbox/fail-deploy"))
    only = cli("apply", alone, "--yes", "--smoke", "--junit-xml", str(tmp_path / "only.xml"))
    assert only.code == 1 and (tmp_path / "only.xml").exists(), only.all  # a report, with its one failure


def test_a_blocked_change_is_a_failed_smoke_test_in_the_report_ci_keeps(
    cli: Cli, client: Any, endpoint_body: Any, tmp_path: pathlib.Path
) -> None:
    """Never waited for, a blocked or failed change was missing from the JUnit report (review)."""
    assert (
        client.post(f"/v2/endpoint/{USER}", json=endpoint_body("taken", tags=["owner=alice"])).status_code
        == 200
    )
    write(tmp_path, "taken.yaml", manifest("taken"))
    write(tmp_path, "good.yaml", manifest("fine"))
    junit = tmp_path / "smoke.xml"
    result = cli("apply", str(tmp_path), "--yes", "--smoke", "--junit-xml", str(junit), "-o", "json")
    assert result.code == 1, result.all
    smoked = {r["name"]: r["smoke"] for r in json.loads(result.stdout)}
    assert smoked["taken"]["verdict"] == "fail" and "its change blocked" in smoked["taken"]["reason"]
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None and (suite.get("tests"), suite.get("failures")) == ("2", "1")


def test_a_timed_out_deploy_keeps_exit_4_with_smoke(cli: Cli, tmp_path: pathlib.Path) -> None:
    """The unreached smoke test is shown, but the wait's outcome is what the exit code counts."""
    result = cli(
        "apply", write(tmp_path, "m.yaml", manifest()), "--yes", "--smoke", "--timeout", "1", "-o", "json"
    )
    assert result.code == 4, result.all
    (record,) = json.loads(result.stdout)
    assert record["smoke"]["verdict"] == "fail" and "its wait ended timeout" in record["smoke"]["reason"]


def test_the_table_says_a_wait_that_did_not_end_ready_on_the_changes_row(
    cli: Cli, tmp_path: pathlib.Path
) -> None:
    """ "create ok" alone on stdout, the wait's failure only on stderr, read as a deploy that went well."""
    write(tmp_path, "bad.yaml", manifest("broken", repository="sandbox/fail-deploy"))
    write(tmp_path, "good.yaml", manifest("fine"))
    result = cli("apply", str(tmp_path), "--yes", "--wait")
    assert result.code == 1, result.all
    rows = {line.split()[0]: line for line in result.stdout.splitlines()[1:] if line.strip()}
    assert rows["broken"].rstrip().endswith("(wait failed)"), result.stdout
    assert "(wait" not in rows["fine"]


def test_apply_wait_times_out_with_exit_4(cli: Cli, tmp_path: pathlib.Path) -> None:
    path = write(tmp_path, "m.yaml", manifest())
    result = cli("apply", path, "--yes", "--wait", "--timeout", "1")
    assert result.code == 4
    assert "timed out" in result.stderr and "gpt2-demo" in result.stderr


def test_apply_smoke_fails_on_a_wrong_answer(
    cli: Cli, sandbox: Sandbox, clock: Any, tmp_path: pathlib.Path
) -> None:
    doc = manifest(
        task="text-classification",
        smokeTest={
            "request": {"inputs": "great"},
            "expect": {"json": {"path": "[0].label", "equals": "POSITIVE"}},
        },
    )
    path = write(tmp_path, "m.yaml", doc)
    assert cli("apply", path, "--yes", "--smoke").code == 0
    sandbox.set_dataplane(USER, "gpt2-demo", body=[{"label": "NEGATIVE", "score": 0.9}])
    result = cli("apply", path, "--yes", "--smoke")
    assert result.code == 1
    assert "FAIL" in result.stdout and "POSITIVE" in result.stdout


def test_update_then_wait_sees_the_update_through(
    cli: Cli, sandbox: Sandbox, clock: Any, tmp_path: pathlib.Path
) -> None:
    path = write(tmp_path, "m.yaml", manifest())
    assert cli("apply", path, "--yes", "--wait").code == 0
    changed = write(tmp_path, "m.yaml", manifest(scaling={"minReplica": 1, "maxReplica": 2}))
    result = cli("apply", changed, "--yes", "--wait", "-o", "json")
    assert result.code == 0, result.all
    (record,) = json.loads(result.stdout)
    assert record["done"] == ["update"] and record["wait"]["outcome"] == "ready"
    assert "updating" in result.stderr  # the wait saw the update in progress before calling it ready


def test_apply_smoke_skips_what_the_manifest_keeps_asleep(cli: Cli, tmp_path: pathlib.Path) -> None:
    write(tmp_path, "awake.yaml", manifest("awake"))
    write(tmp_path, "asleep.yaml", manifest("asleep", state="paused"))
    result = cli("apply", str(tmp_path), "--yes", "--smoke", "-o", "json")
    assert result.code == 0, result.all
    smoke = {r["name"]: (r["smoke"]["verdict"], r["smoke"]["reason"]) for r in json.loads(result.stdout)}
    assert smoke["awake"][0] == "pass"
    assert smoke["asleep"] == ("skipped", "the manifest keeps it paused")


@pytest.mark.parametrize(("command", "state"), [("pause", "paused"), ("scale-to-zero", "scaledToZero")])
def test_apply_smoke_says_the_manifest_leaves_alone_what_someone_else_put_to_sleep(
    cli: Cli, tmp_path: pathlib.Path, command: str, state: str
) -> None:
    """The review's case: a manifest with no state, its endpoint paused by someone else, was skipped
    because "the manifest keeps it paused", sending its reader to a manifest that says nothing of the kind."""
    path = write(tmp_path, "m.yaml", manifest())  # no state: apply leaves a live one's as it finds it
    assert cli("apply", path, "--yes").code == 0
    assert cli(command, "gpt2-demo").code == 0  # someone else
    result = cli("apply", path, "--yes", "--smoke", "-o", "json")
    assert result.code == 0, result.all
    (record,) = json.loads(result.stdout)
    assert record["smoke"]["verdict"] == "skipped"
    assert (
        record["smoke"]["reason"] == f"{state}, and the manifest leaves its state alone: not woken to test it"
    )


def test_apply_smoke_says_a_schedule_keeps_asleep_what_it_keeps_asleep(
    cli: Cli, tmp_path: pathlib.Path
) -> None:
    # The sandbox's clock starts on a Thursday: outside a Saturday window, the schedule pauses it.
    schedule = {"timezone": "UTC", "running": ["Sat 10:00-11:00"], "otherwise": "paused"}
    path = write(tmp_path, "m.yaml", manifest(schedule=schedule))
    result = cli("apply", path, "--yes", "--smoke", "-o", "json")
    assert result.code == 0, result.all
    (record,) = json.loads(result.stdout)
    smoke = (record["smoke"]["verdict"], record["smoke"]["reason"])
    assert smoke == ("skipped", "the manifest's schedule keeps it paused")


def test_apply_smoke_of_a_stack_kept_asleep_whole_succeeds(cli: Cli, tmp_path: pathlib.Path) -> None:
    """Every test skipped because every manifest keeps its endpoint asleep: the state is the test, so the
    deploy succeeds (it exited 1 with no error line; the reusable apply workflow always passes --smoke)."""
    write(tmp_path, "paused.yaml", manifest("asleep", state="paused"))
    write(
        tmp_path,
        "zero.yaml",
        manifest("dozing", state="scaledToZero", scaling={"minReplica": 0, "maxReplica": 1}),
    )
    result = cli("apply", str(tmp_path), "--yes", "--wait", "--smoke", "-o", "json")
    assert result.code == 0, result.all
    assert {r["name"]: r["smoke"]["verdict"] for r in json.loads(result.stdout)} == {
        "asleep": "skipped",
        "dozing": "skipped",
    }
    # The smoke command itself still refuses a run in which nothing was tested: it proves nothing.
    assert cli("smoke", "asleep", "dozing").code == 1


def test_a_junit_path_that_cannot_be_written_is_refused_before_anything_is_sent(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    """The review's case: the update went out, then "cannot write", and -o json printed nothing."""
    path = write(tmp_path, "m.yaml", manifest())
    for junit, says in [
        (tmp_path / "missing" / "x.xml", "does not exist"),
        (tmp_path, "directory"),
    ]:
        for argv in (("apply", path, "--yes", "--smoke"), ("smoke", "gpt2-demo")):
            sandbox.reset_counts()
            refused = cli(*argv, "--junit-xml", str(junit), "-o", "json")
            assert refused.code == 2 and says in refused.stderr, refused.all
            assert sandbox.counts() == {}


def test_a_junit_file_that_fails_late_costs_the_file_never_the_record(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    path = write(tmp_path, "m.yaml", manifest())
    directory = tmp_path / "reports"
    directory.mkdir()
    junit = directory / "smoke.xml"

    def remove_the_directory(request: Any, call_next: Any) -> Any:
        if directory.exists() and request.route.startswith("POST /v2/endpoint"):
            directory.rmdir()  # between the check and the write: a cleaned-up workspace, a full disk
        return call_next(request)

    sandbox.add_middleware(remove_the_directory)
    result = cli("apply", path, "--yes", "--smoke", "--junit-xml", str(junit), "-o", "json")
    assert result.code == 1 and f"cannot write {junit}" in result.stderr, result.all
    (record,) = json.loads(result.stdout)
    assert record["outcome"] == "ok" and record["smoke"]["verdict"] == "pass"
