"""``--prune --stack`` reads the default namespace too, and says where it looked.

A review's repro: a stack applied in two namespaces, the token's own (a1, a2, no metadata.namespace) and
acme (b1, b2); then the manifests of the first are removed. Only acme's manifests are left, so only acme
was listed, and the prune of a1 and a2 (still tagged, still billing) planned "No changes". The default
namespace (``--namespace``, ``ENDPOINTCTL_NAMESPACE``, else the token's user) is now listed as well, once,
and only with ``--prune``; a listing of it that fails stops the plan as any namespace's does.
"""

from __future__ import annotations

import json
import pathlib
from collections.abc import Callable

import pytest
import yaml
from clirunner import Cli
from test_cli_apply import manifest, write

from endpointctl.sandbox import ManualClock, Request, Response, Sandbox

USER = "sandbox-user"
ORG = "acme"
STACK = "demo"
LIST = "GET /v2/endpoint/{namespace}"
CATALOG = "GET /v2/provider/{namespace}"
WHOAMI = "GET /api/whoami-v2"
DELETE = "DELETE /v2/endpoint/{namespace}/{name}"
SEARCHED = (
    f"--prune searched namespaces '{ORG}', '{USER}' for stack '{STACK}' (the manifests' namespaces and the "
    "default one; the stack's endpoints in any other namespace are not seen, so not pruned)."
)


def stack_in_two_namespaces(cli: Cli, clock: ManualClock, tmp_path: pathlib.Path) -> tuple[str, str]:
    """s1 (a1, a2 in the token's namespace; b1, b2 in acme) applied with the stack; s3: acme's alone."""
    s1, s3 = tmp_path / "s1", tmp_path / "s3"
    s1.mkdir()
    s3.mkdir()
    for name in ("a1", "a2"):
        write(s1, f"{name}.yaml", manifest(name))
    for name in ("b1", "b2"):
        write(s1, f"{name}.yaml", manifest(name, namespace=ORG))
        write(s3, f"{name}.yaml", manifest(name, namespace=ORG))
    applied = cli("apply", str(s1), "--stack", STACK, "--yes")
    assert applied.code == 0, applied.all
    clock.advance(30)  # deployed
    return str(s1), str(s3)


def listed_namespaces(sandbox: Sandbox) -> list[str]:
    """The namespace of every listing request, in the order they came (each page is one)."""
    seen: list[str] = []

    def middleware(request: Request, call_next: Callable[[Request], Response]) -> Response:
        if request.route == LIST:
            seen.append(request.params["namespace"])
        return call_next(request)

    sandbox.add_middleware(middleware)
    return seen


def refusing_to_list(namespace: str) -> Callable[[Request, Callable[[Request], Response]], Response]:
    """The API as a token without read access to ``namespace`` sees it: its listing answers 403."""

    def middleware(request: Request, call_next: Callable[[Request], Response]) -> Response:
        if request.route == LIST and request.params.get("namespace") == namespace:
            return Response(status=403, body=json.dumps({"error": "Forbidden"}).encode())
        return call_next(request)

    return middleware


def names_in(cli: Cli, namespace: str) -> list[str]:
    status = cli("status", "-o", "json", "--namespace", namespace)
    assert status.code == 0, status.all
    return sorted(row["name"] for row in json.loads(status.stdout))


def test_the_repro_plans_the_deletes_in_the_default_namespace_and_says_where_it_looked(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path
) -> None:
    _, s3 = stack_in_two_namespaces(cli, clock, tmp_path)
    listed = listed_namespaces(sandbox)
    sandbox.reset_counts()

    planned = cli("plan", s3, "--prune", "--stack", STACK, "-o", "json", "--detailed-exitcode")

    assert planned.code == 3, planned.all
    changes = json.loads(
        planned.stdout
    )  # still a bare list of changes (in the API's order): where it looked is on stderr
    assert sorted((c["namespace"], c["name"], c["action"]) for c in changes) == [
        (USER, "a1", "delete"),
        (USER, "a2", "delete"),
    ]
    assert SEARCHED in planned.stderr
    # One listing more than acme's, of the token's namespace (whoami, once, says which); no catalog for it.
    assert sorted(listed) == [ORG, USER]
    counts = sandbox.counts()
    assert (counts[LIST], counts[WHOAMI], counts[CATALOG]) == (2, 1, 1)
    assert sandbox.mutating_count() == 0

    table = cli("plan", s3, "--prune", "--stack", STACK)
    assert table.code == 0, table.all
    assert f"- delete {USER}/a1" in table.stdout and f"- delete {USER}/a2" in table.stdout
    assert SEARCHED in table.stdout
    assert SEARCHED not in table.stderr

    markdown = cli("plan", s3, "--prune", "--stack", STACK, "-o", "markdown")
    assert markdown.code == 0, markdown.all
    assert (
        f"--prune searched namespaces <code>{ORG}</code>, <code>{USER}</code> for stack <code>{STACK}</code>"
        in markdown.stdout
    )

    dry = cli("apply", s3, "--prune", "--stack", STACK, "--dry-run", "-o", "json")
    assert (dry.code, json.loads(dry.stdout)) == (0, changes)
    assert SEARCHED in dry.stderr

    as_yaml = cli("plan", s3, "--prune", "--stack", STACK, "-o", "yaml")
    assert sorted(c["name"] for c in yaml.safe_load(as_yaml.stdout)) == ["a1", "a2"]
    assert SEARCHED in as_yaml.stderr
    assert sandbox.mutating_count() == 0


def test_apply_prune_deletes_them_and_then_plans_nothing(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path
) -> None:
    _, s3 = stack_in_two_namespaces(cli, clock, tmp_path)
    sandbox.reset_counts()

    applied = cli("apply", s3, "--prune", "--stack", STACK, "--yes", "-o", "json")

    assert applied.code == 0, applied.all
    records = json.loads(applied.stdout)
    assert sorted((r["namespace"], r["name"], r["action"], r["outcome"]) for r in records) == [
        (ORG, "b1", "noop", "unchanged"),
        (ORG, "b2", "noop", "unchanged"),
        (USER, "a1", "delete", "ok"),
        (USER, "a2", "delete", "ok"),
    ]
    assert SEARCHED in applied.stderr  # -o json: the plan is not on stderr, where it looked is
    assert sandbox.counts()[DELETE] == 2
    assert names_in(cli, USER) == []
    assert names_in(cli, ORG) == ["b1", "b2"]
    sandbox.reset_counts()
    again = cli("plan", s3, "--prune", "--stack", STACK, "-o", "json", "--detailed-exitcode")
    assert (again.code, json.loads(again.stdout)) == (0, [])
    assert SEARCHED in again.stderr  # nothing to do, and it says where it found nothing


def test_the_default_namespace_is_listed_once_and_only_with_prune(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path
) -> None:
    s1, s3 = stack_in_two_namespaces(cli, clock, tmp_path)
    listed = listed_namespaces(sandbox)

    def run(*argv: str) -> tuple[int, list[str], int]:
        listed.clear()
        sandbox.reset_counts()
        result = cli("plan", *argv, "-o", "json")
        assert result.code == 0, result.all
        return len(json.loads(result.stdout)), sorted(listed), sandbox.counts().get(WHOAMI, 0)

    # Without --prune, as before: only the manifests' namespace, and no whoami (every namespace is named).
    assert run(s3, "--stack", STACK) == (0, [ORG], 0)
    # The default namespace named by manifests already: not listed twice.
    assert run(s1, "--prune", "--stack", STACK) == (0, [ORG, USER], 1)
    # --namespace makes acme the default: already listed, so no other namespace, and no whoami.
    assert run(s3, "--prune", "--stack", STACK, "--namespace", ORG) == (0, [ORG], 0)
    # ENDPOINTCTL_NAMESPACE names the default as well: listed without whoami.
    listed.clear()
    sandbox.reset_counts()
    env = cli("plan", s3, "--prune", "--stack", STACK, "-o", "json", env={"ENDPOINTCTL_NAMESPACE": USER})
    assert sorted(c["name"] for c in json.loads(env.stdout)) == ["a1", "a2"]
    assert (sorted(listed), sandbox.counts().get(WHOAMI, 0)) == ([ORG, USER], 0)
    assert sandbox.mutating_count() == 0


def change_in_acme(directory: str) -> None:
    """b1 (in acme, named by a manifest) gets an update to make."""
    write(
        pathlib.Path(directory),
        "b1.yaml",
        manifest("b1", namespace=ORG, scaling={"minReplica": 1, "maxReplica": 2}),
    )


@pytest.mark.parametrize("command", ["plan", "apply"])
def test_a_default_namespace_that_cannot_be_listed_stops_the_prune_as_any_namespace_does(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path, command: str
) -> None:
    _, s3 = stack_in_two_namespaces(cli, clock, tmp_path)
    change_in_acme(s3)  # nothing at all is acted on from a reading that lacks a namespace
    sandbox.add_middleware(refusing_to_list(USER))
    sandbox.reset_counts()

    argv = [
        command,
        s3,
        "--prune",
        "--stack",
        STACK,
        "-o",
        "json",
        *(["--yes"] if command == "apply" else []),
    ]
    refused = cli(*argv)

    assert refused.code == 1, refused.all
    assert refused.stdout == ""
    assert f"listing endpoints of namespace '{USER}'" in refused.stderr and "403" in refused.stderr
    assert (
        f"(--prune --stack {STACK} searches the default namespace '{USER}' too, though no manifest names it)"
        in refused.stderr
    )
    assert "nothing was changed; to prune without it, make the default a namespace" in refused.stderr
    assert sandbox.counts()[LIST] == 2
    assert sandbox.mutating_count() == 0
    sandbox.clear_middleware()
    assert names_in(cli, USER) == ["a1", "a2"]

    # The exit code a manifest's own namespace that cannot be listed gives: the same.
    sandbox.add_middleware(refusing_to_list(ORG))
    named = cli(*argv)
    assert (named.code, named.stdout) == (refused.code, "")
    assert f"listing endpoints of namespace '{ORG}'" in named.stderr
    assert "--prune --stack" not in named.stderr  # acme is read for its manifests, not for the prune
    assert sandbox.mutating_count() == 0


def test_without_prune_an_unreadable_default_namespace_is_never_asked_for(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path
) -> None:
    _, s3 = stack_in_two_namespaces(cli, clock, tmp_path)
    change_in_acme(s3)
    sandbox.add_middleware(refusing_to_list(USER))
    sandbox.reset_counts()

    applied = cli("apply", s3, "--stack", STACK, "--yes", "-o", "json")

    assert applied.code == 0, applied.all
    assert sorted((r["name"], r["action"]) for r in json.loads(applied.stdout)) == [
        ("b1", "update"),
        ("b2", "noop"),
    ]
    assert "--prune searched" not in applied.all
    assert (sandbox.counts()[LIST], sandbox.counts().get(WHOAMI, 0)) == (1, 0)


def test_whoami_asked_for_the_prune_says_why_when_it_fails(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path
) -> None:
    _, s3 = stack_in_two_namespaces(cli, clock, tmp_path)

    def whoami_refused(request: Request, call_next: Callable[[Request], Response]) -> Response:
        if request.route == WHOAMI:
            return Response(status=403, body=json.dumps({"error": "Forbidden"}).encode())
        return call_next(request)

    sandbox.add_middleware(whoami_refused)
    sandbox.reset_counts()

    planned = cli("plan", s3, "--prune", "--stack", STACK, "-o", "json")

    assert planned.code == 1, planned.all
    assert planned.stdout == ""
    assert "whoami" in planned.stderr
    assert f"(--prune --stack {STACK} searches the default namespace too, though no manifest names it)" in (
        planned.stderr
    )
    assert LIST not in sandbox.counts()  # which namespaces to read is decided first
    assert sandbox.mutating_count() == 0
