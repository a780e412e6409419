"""A namespace is one whatever its case: the Hub's user and organization names are unique without regard
to case, and an answer may spell a namespace otherwise than the manifest did (unconfirmed for the
Endpoints API, so the reading that cannot harm: an endpoint is never taken for absent for a spelling —
never created twice, never pruned). Manifests that spell one namespace two ways are a usage error, before
any change."""

from __future__ import annotations

import dataclasses
import json
import pathlib
from collections.abc import Callable

import yaml
from clirunner import Cli
from test_cli_apply import manifest, write

from endpointctl.sandbox import ManualClock, Request, Response, Sandbox

USER = "sandbox-user"
SHOUTED = "Sandbox-User"
MUTATING = ("POST /v2/endpoint/{namespace}", "PUT /v2/endpoint/{namespace}/{name}")


def in_namespace(text: str, namespace: str) -> str:
    doc = yaml.safe_load(text)
    doc["metadata"]["namespace"] = namespace
    return yaml.safe_dump(doc)


def answers_in_its_own_case(request: Request, call_next: Callable[[Request], Response]) -> Response:
    """The API as the Hub treats names: any spelling of the user's namespace is the user's, and answers
    spell it as the account does."""
    namespace = request.params.get("namespace")
    if namespace and namespace != USER and namespace.lower() == USER:
        params = {**request.params, "namespace": USER}
        request = dataclasses.replace(request, params=params, path=request.path.replace(namespace, USER, 1))
    return call_next(request)


def deletes(sandbox: Sandbox) -> int:
    return sandbox.counts().get("DELETE /v2/endpoint/{namespace}/{name}", 0)


# An endpoint read is given the namespace its listing was asked for (hub/responses.py), however the
# answer spells it: so a manifest's spelling always finds it.
def test_an_endpoint_answered_in_another_case_is_neither_created_again_nor_pruned(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path
) -> None:
    sandbox.add_middleware(answers_in_its_own_case)
    directory = tmp_path / "m"
    directory.mkdir()
    write(directory, "a.yaml", in_namespace(manifest("a1"), SHOUTED))
    first = cli("apply", str(directory), "--yes", "--stack", "s")
    assert first.code == 0, first.all
    clock.advance(30)
    sandbox.reset_counts()
    plan = cli("plan", str(directory), "--prune", "--stack", "s", "-o", "json", "--detailed-exitcode")
    assert plan.code == 0, plan.all  # no changes: not a create of a1 in SHOUTED, nor a delete of it in USER
    assert json.loads(plan.stdout) == []
    applied = cli("apply", str(directory), "--prune", "--stack", "s", "--yes")
    assert applied.code == 0, applied.all
    assert deletes(sandbox) == 0 and not any(sandbox.counts().get(route) for route in MUTATING)
    listed = cli("status", "-o", "json", "--namespace", USER)
    assert [e["name"] for e in json.loads(listed.stdout)] == ["a1"]


def test_manifests_that_spell_a_namespace_two_ways_change_nothing(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    directory = tmp_path / "m"
    directory.mkdir()
    write(directory, "a.yaml", in_namespace(manifest("a1"), USER))
    write(directory, "b.yaml", in_namespace(manifest("b2"), SHOUTED))
    sandbox.reset_counts()
    for argv in (("plan", str(directory)), ("apply", str(directory), "--yes", "--prune", "--stack", "s")):
        run = cli(*argv)
        assert run.code == 2, run.all
        assert f"namespaces '{USER}'" in run.stderr and f"'{SHOUTED}'" in run.stderr
        assert "differ only in case" in run.stderr
    assert sum(sandbox.counts().values()) == 0  # refused before any call: both namespaces are given
