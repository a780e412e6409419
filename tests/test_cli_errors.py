"""Unexpected errors (bugs): one clear line by default, the traceback with --traceback, never a secret.

An API that answers wrongly is not a bug (see test_misbehaving_api.py): these tests plant one.
"""

from __future__ import annotations

import json
import pathlib
from collections.abc import Callable
from typing import Any

import pytest
from clirunner import Cli
from test_cli_apply import manifest, write

from endpointctl.hub import Hub
from endpointctl.sandbox import Response, Sandbox
from endpointctl.ui import render


def _a_bug(token: str) -> Callable[..., Any]:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"a bug that quotes the token {token}")

    return broken


def test_an_unexpected_error_is_one_line_with_a_hint_to_use_traceback(
    cli: Cli, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(render, "endpoints", _a_bug(token))
    result = cli("status")
    assert result.code == 1
    assert "error: unexpected RuntimeError: a bug that quotes the token ***" in result.stderr
    assert "this is a bug in endpointctl" in result.stderr and "--traceback" in result.stderr
    assert "Traceback (most recent call last)" not in result.stderr
    assert token not in result.all


def test_traceback_prints_it_scrubbed(cli: Cli, token: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render, "endpoints", _a_bug(token))
    result = cli("--traceback", "status")
    assert result.code == 1
    assert "Traceback (most recent call last)" in result.stderr and "RuntimeError" in result.stderr
    assert "a bug that quotes the token ***" in result.stderr  # there, and masked
    assert token not in result.all


def test_traceback_shows_even_with_quiet(cli: Cli, token: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render, "wait_report", _a_bug(token))
    result = cli("--traceback", "wait", "x", "--quiet", "--timeout", "0")
    assert result.code == 1
    assert "Traceback (most recent call last)" in result.stderr


def test_the_executor_keeps_a_surprises_traceback_for_traceback(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = Hub.create

    def create(self: Hub, namespace: str, desired: Any, tags: Any) -> Any:
        if desired.name == "broken":
            raise RuntimeError(f"a bug that quotes the token {token}")
        return real(self, namespace, desired, tags)

    monkeypatch.setattr(Hub, "create", create)
    write(tmp_path, "a.yaml", manifest("broken"))
    write(tmp_path, "b.yaml", manifest("fine"))
    quiet = cli("apply", str(tmp_path), "--yes", "-o", "json")
    assert quiet.code == 1 and "Traceback" not in quiet.stderr
    broken = next(r for r in json.loads(quiet.stdout) if r["name"] == "broken")
    assert broken["error"] == "unexpected RuntimeError: a bug that quotes the token ***"
    loud = cli("--traceback", "apply", str(tmp_path), "--yes", "-o", "json")
    assert loud.code == 1
    outcomes = {r["name"]: r["outcome"] for r in json.loads(loud.stdout)}  # stdout stays parseable
    assert outcomes == {"broken": "failed", "fine": "unchanged"}
    assert "traceback of sandbox-user/broken:" in loud.stderr
    assert "Traceback (most recent call last)" in loud.stderr
    assert token not in loud.all


def _create_of_broken_answered(body: bytes, content_type: str) -> Callable[[Any, Any], Response]:
    """The create of the endpoint named "broken" is answered with ``body`` by a proxy, and never reaches the
    API (one that did would be read back by name and adopted)."""

    def middleware(request: Any, call_next: Callable[[Any], Response]) -> Response:
        if request.route == "POST /v2/endpoint/{namespace}" and b'"broken"' in request.body:
            return Response(status=200, body=body, headers={"Content-Type": content_type})
        return call_next(request)

    return middleware


def test_a_proxy_page_for_one_create_fails_that_endpoint_and_keeps_the_others(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    sandbox.add_middleware(_create_of_broken_answered(b"<html>proxy page</html>", "text/html"))
    write(tmp_path, "a.yaml", manifest("broken"))
    write(tmp_path, "b.yaml", manifest("fine"))
    result = cli("apply", str(tmp_path), "--yes", "-o", "json")
    assert result.code == 1
    outcomes = {r["name"]: (r["outcome"], r["error"]) for r in json.loads(result.stdout)}
    assert outcomes["fine"] == ("ok", None)
    assert outcomes["broken"][0] == "failed" and "a body that is not JSON" in outcomes["broken"][1]
    assert "Traceback" not in result.stderr
