"""A wait that ends failed, update-failed or timed out shows the endpoint's last log lines.

`wait` and `apply --wait`, against the sandbox: the cause of the failure is among the lines, the lines are
scrubbed in every output, `--no-logs` sends no logs request at all, and a logs route that fails (404, 403,
500, a timeout) is one line, "logs unavailable: ...", that never changes the exit code.
"""

from __future__ import annotations

import itertools
import json
import pathlib
from collections.abc import Callable
from typing import Any

import pytest
from clirunner import Cli, Run
from test_cli_apply import manifest, write

from endpointctl.core.logs import WAIT_LINE_WIDTH, WAIT_TAIL
from endpointctl.sandbox import ManualClock, Request, Response, Sandbox
from endpointctl.sandbox.faults import FaultConfig, FaultKind, FaultRule

LOGS = "GET /v2/endpoint/{namespace}/{name}/logs"
DEPLOY_CAUSE = "ERROR Model sandbox/fail-deploy failed to load: simulated deployment failure"
UPDATE_CAUSE = "ERROR Model sandbox/fail-update failed to load: simulated update failure"
SECRET = "s3cr3t-api-key-value"


def tail_of(stderr: str) -> list[str]:
    """The log lines a failed wait printed under its error (indented by two spaces)."""
    lines = stderr.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("last ") and " log line" in line)
    return [line[2:] for line in itertools.takewhile(lambda line: line.startswith("  "), lines[start + 1 :])]


def failing_apply(cli: Cli, tmp_path: pathlib.Path, *extra: str, **spec: Any) -> Run:
    path = write(tmp_path, "m.yaml", manifest(repository="sandbox/fail-deploy", **spec))
    return cli("apply", path, "--yes", "--wait", *extra, env={"MY_KEY": SECRET})


def test_apply_wait_that_fails_shows_the_cause_in_the_last_lines(
    cli: Cli, tmp_path: pathlib.Path, sandbox: Sandbox
) -> None:
    result = failing_apply(cli, tmp_path)
    assert result.code == 1, result.all
    assert "error: endpoint 'sandbox-user/gpt2-demo' failed: Endpoint failed to deploy" in result.stderr
    shown = tail_of(result.stderr)
    assert any(line.endswith(DEPLOY_CAUSE) for line in shown), shown
    assert shown[-1].endswith("ERROR The container exited with code 1")
    assert sandbox.counts()[LOGS] == 1


def test_wait_that_fails_shows_them_and_in_json_they_are_in_the_record(
    cli: Cli, tmp_path: pathlib.Path, clock: ManualClock
) -> None:
    path = write(
        tmp_path, "m.yaml", manifest(repository="sandbox/fail-deploy", secrets={"API_KEY": "${MY_KEY}"})
    )
    assert cli("apply", path, "--yes", env={"MY_KEY": SECRET}).code == 0
    result = cli("wait", "-f", path, "-o", "json", env={"MY_KEY": SECRET})
    assert result.code == 1
    (record,) = json.loads(result.stdout)
    assert record["outcome"] == "failed" and record["logsUnavailable"] is None
    assert any(line.endswith(DEPLOY_CAUSE) for line in record["logs"])
    # The container printed its environment: the secret is masked in the record and on stderr alike.
    assert any("API_KEY=***" in line for line in record["logs"])
    assert SECRET not in result.all and SECRET[:8] not in result.all


def test_update_failed_shows_the_updates_cause(cli: Cli, tmp_path: pathlib.Path, clock: ManualClock) -> None:
    path = write(tmp_path, "m.yaml", manifest())
    assert cli("apply", path, "--yes").code == 0
    clock.advance(10)
    write(tmp_path, "m.yaml", manifest(repository="sandbox/fail-update"))
    result = cli("apply", path, "--yes", "--wait", "-o", "json")
    assert result.code == 1, result.all
    (record,) = json.loads(result.stdout)
    assert record["wait"]["status"] == "updateFailed"
    assert record["wait"]["logs"][-2].endswith(UPDATE_CAUSE)
    assert any(line.endswith(UPDATE_CAUSE) for line in tail_of(result.stderr))


def test_a_timeout_shows_how_far_it_got(cli: Cli, tmp_path: pathlib.Path) -> None:
    path = write(tmp_path, "m.yaml", manifest())
    assert cli("apply", path, "--yes").code == 0
    result = cli("wait", "gpt2-demo", "--timeout", "0.5")
    assert result.code == 4
    assert "error: timed out after 0s: 'sandbox-user/gpt2-demo' is still pending" in result.stderr
    assert tail_of(result.stderr)[0].endswith("INFO Scheduling the replica on aws us-east-1 intel-spr x2")


def test_only_the_last_lines_each_cut_to_a_width(cli: Cli, tmp_path: pathlib.Path, sandbox: Sandbox) -> None:
    lines = [f"line {i} " + "w" * 400 for i in range(50)]
    sandbox.add_middleware(
        answer_logs(lambda _: Response(status=200, body="\n".join(lines).encode(), content_type="text/plain"))
    )
    shown = tail_of(failing_apply(cli, tmp_path).stderr)
    assert len(shown) == WAIT_TAIL
    assert shown[0].startswith("line 30 ") and all(len(line) == WAIT_LINE_WIDTH for line in shown)


@pytest.mark.parametrize("command", ["wait", "apply"])
def test_no_logs_sends_no_logs_request(
    cli: Cli, tmp_path: pathlib.Path, sandbox: Sandbox, command: str
) -> None:
    if command == "wait":
        assert failing_apply(cli, tmp_path, "--no-logs").code == 1
        sandbox.reset_counts()
        result = cli("wait", "gpt2-demo", "--no-logs", "-o", "json")
    else:
        result = failing_apply(cli, tmp_path, "--no-logs", "-o", "json")
    assert result.code == 1
    assert LOGS not in sandbox.counts()
    assert "log line" not in result.stderr and "logs unavailable" not in result.stderr
    records = json.loads(result.stdout)
    wait = records[0] if command == "wait" else records[0]["wait"]
    assert wait["logs"] is None and wait["logsUnavailable"] is None


def answer_logs(
    make: Callable[[Request], Response],
) -> Callable[[Request, Callable[[Request], Response]], Response]:
    def middleware(request: Request, call_next: Callable[[Request], Response]) -> Response:
        return make(request) if request.route == LOGS else call_next(request)

    return middleware


@pytest.mark.parametrize(
    ("status", "body", "says"),
    [
        (404, {"error": "Not found"}, "the API answered 404: Not found"),
        (403, {"error": "Logs are not available on your plan"}, "403: Logs are not available on your plan"),
        (500, {"error": "log store down"}, "the API answered 500: log store down"),
    ],
    ids=["404", "403", "500"],
)
def test_a_logs_route_that_fails_keeps_the_exit_code(
    cli: Cli, tmp_path: pathlib.Path, sandbox: Sandbox, status: int, body: Any, says: str
) -> None:
    sandbox.add_middleware(answer_logs(lambda _: Response(status=status, body=json.dumps(body).encode())))
    result = failing_apply(cli, tmp_path, "-o", "json")
    assert result.code == 1
    unavailable = [line for line in result.stderr.splitlines() if line.startswith("logs unavailable: ")]
    assert len(unavailable) == 1 and says in unavailable[0]
    assert "unexpected" not in result.stderr
    (record,) = json.loads(result.stdout)
    assert record["wait"]["logs"] is None and says in record["wait"]["logsUnavailable"]


def test_a_logs_route_that_hangs_is_unavailable_within_the_request_timeout(
    cli: Cli, tmp_path: pathlib.Path, sandbox: Sandbox
) -> None:
    path = write(tmp_path, "m.yaml", manifest())
    assert cli("apply", path, "--yes").code == 0
    sandbox.install_faults(FaultConfig(rules=(FaultRule(FaultKind.HANG, route=LOGS),)))
    result = cli("wait", "gpt2-demo", "--timeout", "0.5", env={"ENDPOINTCTL_REQUEST_TIMEOUT": "0.3"})
    assert result.code == 4  # the timeout's own code, whatever the logs did
    (unavailable,) = [line for line in result.stderr.splitlines() if line.startswith("logs unavailable: ")]
    assert "reading the logs of endpoint 'sandbox-user/gpt2-demo'" in unavailable


def test_a_paused_endpoint_is_no_reason_to_read_logs(
    cli: Cli, tmp_path: pathlib.Path, sandbox: Sandbox
) -> None:
    path = write(tmp_path, "m.yaml", manifest(state="paused"))
    assert cli("apply", path, "--yes").code == 0
    assert cli("wait", "gpt2-demo").code == 1  # paused, and no manifest says it should be
    assert LOGS not in sandbox.counts()
