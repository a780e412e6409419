"""`wait` and `resume --wait` end to end: the CLI in-process, against the sandbox, on a ManualClock."""

from __future__ import annotations

import json
import os
import pathlib
import re
import signal
from collections.abc import Callable
from typing import Any

import pytest
from clirunner import Cli
from test_cli_apply import manifest, write

from endpointctl.sandbox import Request, Response, Sandbox
from endpointctl.sandbox.transport import Handler, json_response

USER = "sandbox-user"
LIST = "GET /v2/endpoint/{namespace}"
GET_ONE = "GET /v2/endpoint/{namespace}/{name}"
HEALTH = "GET /endpoints/{namespace}/{name}/health"
LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \S+ .+$")


@pytest.fixture
def applied(cli: Cli, tmp_path: pathlib.Path) -> str:
    """gpt2-demo created a moment ago: pending."""
    path = write(tmp_path, "m.yaml", manifest())
    assert cli("apply", path, "--yes").code == 0
    return path


def progress_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if LINE.match(line)]


def test_wait_until_ready_with_one_plain_line_per_state_change(
    cli: Cli, sandbox: Sandbox, applied: str
) -> None:
    sandbox.reset_counts()
    result = cli("wait", "gpt2-demo")
    assert result.code == 0, result.all
    assert "\x1b" not in result.stderr and "\r" not in result.stderr
    lines = progress_lines(result.stderr)
    shown = [line.split(" ", 1)[1] for line in lines]
    assert shown[0] == "gpt2-demo pending: Endpoint waiting to be scheduled"
    # Whether a poll lands in `initializing` depends on the jitter; each line is a change of state.
    assert shown[-2].endswith(" → ready: health route /health answered 200")
    assert len(shown) == len(set(shown))
    assert re.fullmatch(r"waited \d+s: 1 ready", shown[-1])
    assert re.search(r"^gpt2-demo\s+sandbox-user\s+ready\s+running\s", result.stdout, re.M)
    assert sandbox.counts()[HEALTH] == 1
    assert sandbox.mutating_count() == 0


def test_wait_json_and_quiet(cli: Cli, applied: str, clock: Any) -> None:
    clock.advance(10)
    result = cli("wait", "-f", applied, "-o", "json", "--quiet")
    assert result.code == 0
    assert result.stderr == ""  # only the final result
    (record,) = json.loads(result.stdout)
    assert record == {
        "name": "gpt2-demo",
        "namespace": USER,
        "ready": True,
        "status": "running",
        "message": "health route /health answered 200",
        "healthChecked": True,
        "elapsedSeconds": 0.0,
        "outcome": "ready",
        "hint": None,
        "logs": None,  # read only when a wait ends failed or timed out
        "logsUnavailable": None,
    }


def test_ten_endpoints_are_waited_on_from_one_list_call_per_poll(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    for i in range(10):
        write(tmp_path, f"ep{i}.yaml", manifest(f"ep-{i}"))
    assert cli("apply", str(tmp_path), "--yes").code == 0
    sandbox.reset_counts()
    result = cli("wait", "-f", str(tmp_path), "-o", "json")
    assert result.code == 0, result.all
    assert all(r["ready"] for r in json.loads(result.stdout))
    counts = sandbox.counts()
    assert GET_ONE not in counts
    assert 2 <= counts[LIST] <= 5  # the selection's listing, then one per poll
    assert counts[HEALTH] == 10


def test_timeout_exits_4_with_the_last_status_of_each_endpoint(cli: Cli, applied: str) -> None:
    result = cli("wait", "gpt2-demo", "--timeout", "0.5", "-o", "json")
    assert result.code == 4
    (record,) = json.loads(result.stdout)
    assert (record["outcome"], record["status"], record["ready"]) == ("timeout", "pending", False)
    assert (
        "error: timed out after 0s: 'sandbox-user/gpt2-demo' is still pending: "
        "Endpoint waiting to be scheduled" in result.stderr
    )


def test_ready_needs_the_health_route_to_answer_200(
    cli: Cli, sandbox: Sandbox, applied: str, clock: Any
) -> None:
    clock.advance(10)

    def unhealthy(request: Request, call: Handler) -> Response:
        if request.route == HEALTH:
            return json_response({"error": "loading"}, status=503)
        return call(request)

    sandbox.add_middleware(unhealthy)
    result = cli("wait", "gpt2-demo", "--timeout", "60")
    assert result.code == 4
    assert "still running: health route /health answered 503" in result.stderr


def test_an_update_is_not_ready_while_updating(
    cli: Cli, applied: str, clock: Any, tmp_path: pathlib.Path
) -> None:
    clock.advance(10)
    write(tmp_path, "m.yaml", manifest(env={"MAX_INPUT_LENGTH": "512"}))
    assert cli("apply", applied, "--yes").code == 0
    result = cli("wait", "gpt2-demo")
    assert result.code == 0
    shown = [line.split(" ", 2)[2] for line in progress_lines(result.stderr)]
    assert shown[0] == "updating: Endpoint waiting for the update"
    assert shown[1].startswith("updating → ready")


@pytest.mark.parametrize(
    ("spec", "then", "says"),
    [
        ({"repository": "sandbox/fail-deploy"}, None, "failed: Endpoint failed to deploy"),
        ({}, {"repository": "sandbox/fail-update"}, "failed to update"),
        ({"state": "paused"}, None, "is paused"),
    ],
    ids=["failed", "updateFailed", "paused"],
)
def test_fail_fast_exits_1_with_the_message_and_a_hint(
    cli: Cli,
    clock: Any,
    tmp_path: pathlib.Path,
    spec: dict[str, Any],
    then: dict[str, Any] | None,
    says: str,
) -> None:
    path = write(tmp_path, "m.yaml", manifest(**spec))
    assert cli("apply", path, "--yes").code == 0
    if then is not None:
        clock.advance(10)
        write(tmp_path, "m.yaml", manifest(**then))
        assert cli("apply", path, "--yes").code == 0
    start = clock.now()
    result = cli("wait", "gpt2-demo")
    assert result.code == 1, result.all
    assert says in result.stderr
    assert "hint: " in result.stderr
    assert clock.now() - start < 30  # at once, not at the timeout


def test_paused_hint_says_how_to_start_it_and_a_paused_manifest_is_ready(
    cli: Cli, tmp_path: pathlib.Path
) -> None:
    path = write(tmp_path, "m.yaml", manifest(state="paused"))
    assert cli("apply", path, "--yes").code == 0
    named = cli("wait", "gpt2-demo")
    assert "hint: start it with `endpointctl resume gpt2-demo`" in named.stderr
    assert cli("wait", "-f", path).code == 0  # the manifest wants it paused


@pytest.mark.parametrize(("otherwise", "status"), [("paused", "paused"), ("scaledToZero", "scaledToZero")])
def test_wait_on_a_manifest_waits_for_the_state_its_schedule_holds_now(
    cli: Cli, clock: Any, tmp_path: pathlib.Path, otherwise: str, status: str
) -> None:
    """Outside its window, a scheduled endpoint is ready asleep, as apply --wait says: waiting for
    running failed, with a hint to resume it against its own schedule (review)."""
    window = {"timezone": "UTC", "running": ["Mon-Sun 00:00-00:01"], "otherwise": otherwise}
    path = write(tmp_path, "m.yaml", manifest(schedule=window))
    assert cli("apply", path, "--yes", "--wait").code == 0
    clock.advance(60)
    result = cli("wait", "-f", path, "-o", "json")
    assert result.code == 0, result.all
    (record,) = json.loads(result.stdout)
    assert (record["outcome"], record["status"]) == ("ready", status)
    assert "resume" not in result.stderr


def test_failure_beats_timeout(cli: Cli, sandbox: Sandbox, applied: str) -> None:
    result = cli("wait", "gpt2-demo", "ghost", "--timeout", "0.5", "-o", "json")
    assert result.code == 1
    assert [r["outcome"] for r in json.loads(result.stdout)] == ["timeout", "failed"]
    assert "endpoint 'sandbox-user/ghost' not found" in result.stderr


def interrupt_on_list_call(number: int) -> Callable[[Request, Handler], Response]:
    """Press Ctrl-C while the nth list call is in flight."""
    calls = 0

    def middleware(request: Request, call: Handler) -> Response:
        nonlocal calls
        if request.route == LIST:
            calls += 1
            if calls == number:
                os.kill(os.getpid(), signal.SIGINT)
        return call(request)

    return middleware


def test_ctrl_c_stops_waiting_exits_130_and_changes_nothing(cli: Cli, sandbox: Sandbox, applied: str) -> None:
    sandbox.reset_counts()
    sandbox.add_middleware(interrupt_on_list_call(2))  # the first poll inside the wait
    result = cli("wait", "gpt2-demo", "-o", "json")
    assert result.code == 130, result.all
    (record,) = json.loads(result.stdout)
    assert record["outcome"] == "interrupted"
    assert "nothing was changed" in result.stderr
    assert sandbox.mutating_count() == 0


def test_resume_wait(cli: Cli, sandbox: Sandbox, applied: str, clock: Any) -> None:
    clock.advance(10)
    assert cli("pause", "gpt2-demo").code == 0
    sandbox.reset_counts()
    result = cli("resume", "gpt2-demo", "--wait", "-o", "json")
    assert result.code == 0, result.all
    (record,) = json.loads(result.stdout)  # stdout stays the resume's own result
    assert record["action"] == "resume" and record["outcome"] == "ok"
    assert any("→ ready" in line for line in progress_lines(result.stderr))
    assert sandbox.counts()[HEALTH] == 1

    again = cli("resume", "gpt2-demo", "--wait", "--timeout", "0")  # already running: just checks
    assert again.code == 0, again.all


def test_resume_wait_times_out_with_exit_4(cli: Cli, applied: str, clock: Any) -> None:
    clock.advance(10)
    assert cli("pause", "gpt2-demo").code == 0
    result = cli("resume", "gpt2-demo", "--wait", "--timeout", "1")
    assert result.code == 4
    assert "is still pending" in result.stderr or "is still initializing" in result.stderr


def test_wait_needs_a_target_and_its_help_ends_with_examples(
    cli: Cli, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli("wait").code == 2
    for command in ("wait", "resume"):
        assert cli(command, "--help").code == 0
        help_text = capsys.readouterr().out  # click prints help itself
        assert "--timeout SECONDS" in help_text
        examples = help_text.rstrip().split("Examples:")[-1].strip().splitlines()
        assert examples and all(line.strip().startswith("endpointctl ") for line in examples)
        assert any("--wait" in line for line in examples) or command == "wait"
