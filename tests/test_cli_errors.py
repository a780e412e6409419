"""Unexpected errors: one clear line by default, the traceback with --traceback, and never a secret."""

from __future__ import annotations

import json
import pathlib
from collections.abc import Callable
from typing import Any

from clirunner import Cli
from test_cli_apply import manifest, write

from endpointctl.sandbox import Response, Sandbox


def _garbled_listing(request: Any, call_next: Callable[[Any], Response]) -> Response:
    if request.route == "GET /v2/endpoint/{namespace}":
        return Response(
            status=200, body=b'{"items": [{"no-name": true}]}', headers={"Content-Type": "application/json"}
        )
    return call_next(request)


def test_an_unexpected_error_is_one_line_with_a_hint_to_use_traceback(cli: Cli, sandbox: Sandbox) -> None:
    sandbox.add_middleware(_garbled_listing)
    result = cli("status")
    assert result.code == 1
    assert "error: unexpected KeyError" in result.stderr
    assert "--traceback" in result.stderr
    assert "Traceback (most recent call last)" not in result.stderr


def test_traceback_prints_it_scrubbed(cli: Cli, sandbox: Sandbox, token: str) -> None:
    # A replica count that is the token itself: int() puts the value in the exception's message.
    item = {"name": "x", "compute": {"scaling": {"minReplica": token}}}

    def listing(request: Any, call_next: Callable[[Any], Response]) -> Response:
        if request.route == "GET /v2/endpoint/{namespace}":
            return Response(status=200, body=json.dumps({"items": [item]}).encode(), headers={})
        return call_next(request)

    sandbox.add_middleware(listing)
    result = cli("--traceback", "status", "-o", "json", env={"ENDPOINTCTL_RETRY_SECONDS": "0"})
    assert result.code == 1
    assert "Traceback (most recent call last)" in result.stderr and "ValueError" in result.stderr
    assert "invalid literal for int() with base 10: '***'" in result.stderr  # there, and masked
    assert token not in result.all


def test_traceback_shows_even_with_quiet(cli: Cli, sandbox: Sandbox) -> None:
    sandbox.add_middleware(_garbled_listing)
    result = cli("--traceback", "wait", "x", "--quiet")
    assert result.code == 1
    assert "Traceback (most recent call last)" in result.stderr


def _nameless_create(request: Any, call_next: Callable[[Any], Response]) -> Response:
    """JSON, but not an endpoint: huggingface_hub itself raises what no one expects."""
    if request.route == "POST /v2/endpoint/{namespace}" and b'"broken"' in request.body:
        call_next(request)
        return Response(
            status=200, body=b'{"unexpected": true}', headers={"Content-Type": "application/json"}
        )
    return call_next(request)


def test_the_executor_keeps_a_surprises_traceback_for_traceback(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    sandbox.add_middleware(_nameless_create)
    write(tmp_path, "a.yaml", manifest("broken"))
    write(tmp_path, "b.yaml", manifest("fine"))
    quiet = cli("apply", str(tmp_path), "--yes", "-o", "json")
    assert quiet.code == 1 and "Traceback" not in quiet.stderr
    broken = next(r for r in json.loads(quiet.stdout) if r["name"] == "broken")
    assert broken["error"].startswith("unexpected KeyError")
    sandbox.clear_middleware()
    assert cli("delete", "broken", "fine", "--yes").code == 0
    sandbox.add_middleware(_nameless_create)
    loud = cli("--traceback", "apply", str(tmp_path), "--yes", "-o", "json")
    assert loud.code == 1
    outcomes = {r["name"]: r["outcome"] for r in json.loads(loud.stdout)}  # stdout stays parseable
    assert outcomes == {"broken": "failed", "fine": "ok"}
    assert "traceback of sandbox-user/broken:" in loud.stderr
    assert "Traceback (most recent call last)" in loud.stderr
