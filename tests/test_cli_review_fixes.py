"""Edge cases found in review: each once broke a contract (exit codes, zero calls, no tracebacks)."""

from __future__ import annotations

import json
import pathlib
from collections.abc import Callable
from typing import Any

from clirunner import Cli
from test_cli_apply import USER, manifest, write

from endpointctl.engine import locks as lock
from endpointctl.sandbox import ManualClock, Response, Sandbox


def test_prune_without_stack_is_refused_before_any_call(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    path = write(tmp_path, "m.yaml", manifest())
    for command in ("plan", "apply"):
        result = (
            cli(command, path, "--prune", "--yes") if command == "apply" else cli(command, path, "--prune")
        )
        assert result.code == 2
        assert "--stack" in result.stderr
    assert sum(sandbox.counts().values()) == 0


def test_one_endpoint_defined_twice_through_the_default_namespace(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    write(tmp_path, "a.yaml", manifest("twin"))
    write(tmp_path, "b.yaml", manifest("twin", namespace=USER))
    result = cli("apply", str(tmp_path), "--yes")
    assert result.code == 2
    assert "defined twice" in result.stderr and "a.yaml" in result.stderr and "b.yaml" in result.stderr
    assert sandbox.mutating_count() == 0


def test_private_link_needs_its_region(cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path) -> None:
    path = write(tmp_path, "m.yaml", manifest(security="private", privateLink={"accountId": "123456789012"}))
    result = cli("apply", path, "--yes")
    assert result.code == 2
    assert "spec.privateLink.region" in result.stderr
    assert sum(sandbox.counts().values()) == 0


def test_a_surprise_on_one_endpoint_keeps_the_others_results(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    """A create answered with a non-JSON 200 makes huggingface_hub raise what no one expects."""

    def html_for_broken(request: Any, call_next: Callable[[Any], Response]) -> Response:
        if request.route == "POST /v2/endpoint/{namespace}" and b'"broken"' in request.body:
            call_next(request)
            return Response(
                status=200, body=b"<html>proxy page</html>", headers={"Content-Type": "text/html"}
            )
        return call_next(request)

    sandbox.add_middleware(html_for_broken)
    write(tmp_path, "a.yaml", manifest("broken"))
    write(tmp_path, "b.yaml", manifest("fine"))
    result = cli("apply", str(tmp_path), "--yes", "-o", "json")
    assert result.code == 1
    outcomes = {r["name"]: (r["outcome"], r["error"]) for r in json.loads(result.stdout)}
    assert outcomes["fine"] == ("ok", None)
    assert outcomes["broken"][0] == "failed" and outcomes["broken"][1]
    assert "Traceback" not in result.stderr


def test_apply_smoke_skips_what_the_manifest_keeps_asleep(cli: Cli, tmp_path: pathlib.Path) -> None:
    write(tmp_path, "awake.yaml", manifest("awake"))
    write(tmp_path, "asleep.yaml", manifest("asleep", state="paused"))
    result = cli("apply", str(tmp_path), "--yes", "--smoke", "-o", "json")
    assert result.code == 0, result.all
    smoke = {r["name"]: r["smoke"]["verdict"] for r in json.loads(result.stdout)}
    assert smoke == {"awake": "pass", "asleep": "skipped"}


def test_lifecycle_commands_take_the_endpoint_lock(
    cli: Cli, sandbox: Sandbox, clock: Any, tmp_path: pathlib.Path
) -> None:
    assert cli("apply", write(tmp_path, "m.yaml", manifest("web")), "--yes").code == 0
    clock.advance(10)
    sandbox.reset_counts()
    keys = lock.apply_keys(None, [(USER, "web")])
    with lock.hold(keys, directory=tmp_path, command="endpointctl apply x", timeout=0, clock=ManualClock()):
        blocked = cli("pause", "web")
    assert blocked.code == 1
    assert "endpointctl apply x" in blocked.stderr
    assert sandbox.mutating_count() == 0
    assert cli("pause", "web").code == 0


def test_every_api_call_has_a_30_second_timeout_by_default() -> None:
    """huggingface_hub's own client waits forever; ours may not."""
    from huggingface_hub.utils import get_session

    from endpointctl.core.settings import Settings
    from endpointctl.hub import Hub, TokenInfo

    settings = Settings.resolve({})
    assert settings.request_timeout == 30.0
    Hub(
        token=TokenInfo("hf_timeout_check", "test"),
        api_url="http://127.0.0.1:9",
        timeout=settings.request_timeout,
    )
    timeout = get_session().timeout
    assert (timeout.connect, timeout.read) == (30.0, 30.0)
    assert Settings.resolve({"ENDPOINTCTL_REQUEST_TIMEOUT": "5"}).request_timeout == 5.0


def test_an_update_that_wakes_a_paused_endpoint_is_paused_again(
    cli: Cli, sandbox: Sandbox, clock: Any, tmp_path: pathlib.Path
) -> None:
    """Unconfirmed whether the real API keeps a paused endpoint paused on update: never leave it billing."""
    assert cli("apply", write(tmp_path, "m.yaml", manifest()), "--yes").code == 0
    clock.advance(10)
    assert cli("pause", "gpt2-demo").code == 0

    def answer_woken(request: Any, call_next: Callable[[Any], Response]) -> Response:
        response = call_next(request)
        if request.route == "PUT /v2/endpoint/{namespace}/{name}":
            body = json.loads(response.body)
            body["status"]["state"] = "pending"
            return Response(status=response.status, body=json.dumps(body).encode(), headers=response.headers)
        return response

    sandbox.add_middleware(answer_woken)
    sandbox.reset_counts()
    changed = write(tmp_path, "m.yaml", manifest(repository="openai-community/gpt2-medium"))
    result = cli("apply", changed, "--yes")
    assert result.code == 0, result.all
    assert "pausing it again" in result.stderr
    counts = sandbox.counts()
    assert counts["PUT /v2/endpoint/{namespace}/{name}"] == 1
    assert counts["POST /v2/endpoint/{namespace}/{name}/pause"] == 1
