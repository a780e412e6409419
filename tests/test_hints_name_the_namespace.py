"""Every command a hint suggests for an endpoint acts on that endpoint when pasted: it names the namespace
(``--namespace acme``) unless a command given none lands there anyway (the token's own namespace, when
the command that suggests it was given none either).

A review's repro: with acme/b1 paused, `wait b1 --namespace acme` said ``start it with `endpointctl resume
b1` ``; pasted, that resumed the b1 of the token's namespace (which then billed) or failed.
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import shlex
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import builders
import httpx2
import pytest
from clirunner import Cli
from huggingface_hub.utils import set_client_factory
from huggingface_hub.utils._http import default_client_factory
from hypothesis import given
from hypothesis import strategies as st
from test_cli_apply import USER, manifest, write

from endpointctl.core.endpoint import Status
from endpointctl.core.errors import ApiError
from endpointctl.core.readiness import WaitTarget, decide
from endpointctl.core.schedule_plan import plan_schedules
from endpointctl.core.settings import TokenInfo
from endpointctl.core.spec import DesiredState
from endpointctl.core.suggest import command_for, manifest_command
from endpointctl.hub import Hub
from endpointctl.sandbox import ManualClock, Response, Sandbox

ORG = "acme"
SUGGESTED = re.compile(r"`?(endpointctl [^`\n]+?)(?:`|$| \(|\n)")
PAUSE = "POST /v2/endpoint/{namespace}/{name}/pause"


def suggested(text: str) -> list[list[str]]:
    """The endpointctl commands a text suggests, each as its words."""
    return [shlex.split(found) for found in SUGGESTED.findall(text)]


def names_namespace(words: list[str], namespace: str) -> bool:
    return any(words[i : i + 2] == ["--namespace", namespace] for i in range(len(words) - 1))


def status_of(cli: Cli, name: str, namespace: str) -> str:
    (row,) = json.loads(cli("status", name, "--namespace", namespace, "-o", "json").stdout)
    return str(row["status"])


@pytest.fixture
def namesakes(cli: Cli, clock: ManualClock, tmp_path: pathlib.Path) -> None:
    """b1 in acme and b1 in the token's namespace (sandbox-user), both deployed, then paused."""
    for namespace in (ORG, USER):
        path = write(tmp_path, f"{namespace}.yaml", manifest("b1", namespace=namespace))
        assert cli("apply", path, "--yes").code == 0
    clock.advance(10)
    for namespace in (ORG, USER):
        assert cli("pause", "b1", "--namespace", namespace).code == 0


# -- the review's repro, and pasting what it suggests --------------------------------------------------


def test_a_paused_endpoint_of_another_namespace_is_resumed_by_pasting_the_hint(
    cli: Cli, namesakes: None
) -> None:
    waited = cli("wait", "b1", "--namespace", ORG, "-o", "json")
    assert waited.code == 1, waited.all
    assert "hint: start it with `endpointctl resume b1 --namespace acme` (add --wait" in waited.stderr
    (record,) = json.loads(waited.stdout)
    (words,) = suggested(record["hint"])
    assert words == ["endpointctl", "resume", "b1", "--namespace", ORG]
    pasted = cli(*words[1:])
    assert pasted.code == 0, pasted.all
    # The endpoint the hint was about, not its namesake where a bare command lands.
    assert status_of(cli, "b1", USER) == "paused"
    assert status_of(cli, "b1", ORG) != "paused"


def test_invoke_and_smoke_say_how_to_resume_it_in_its_namespace(cli: Cli, namesakes: None) -> None:
    invoked = cli("invoke", "b1", "--namespace", ORG, "--data", '{"inputs": "hi"}')
    assert invoked.code == 1
    assert "'b1' is paused — run endpointctl resume b1 --namespace acme" in invoked.stderr
    smoked = cli("smoke", "b1", "--namespace", ORG, "-o", "json")
    assert smoked.code == 1
    (record,) = json.loads(smoked.stdout)
    assert record["reason"] == "paused — run endpointctl resume b1 --namespace acme"


def test_a_manifest_in_another_namespace_gets_hints_naming_it(
    cli: Cli, namesakes: None, tmp_path: pathlib.Path
) -> None:
    path = write(tmp_path, "b1.yaml", manifest("b1", namespace=ORG))
    waited = cli("wait", "-f", path)
    assert waited.code == 1
    assert "`endpointctl resume b1 --namespace acme`" in waited.stderr


# -- where a bare command lands ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "env", "named"),
    [
        ((), {}, False),  # the token's namespace, found by whoami: a bare command lands there too
        (("--namespace", USER), {}, True),  # given: given again, for the hint may be pasted elsewhere
        ((), {"ENDPOINTCTL_NAMESPACE": USER}, True),
    ],
    ids=["token's", "--namespace", "ENDPOINTCTL_NAMESPACE"],
)
def test_the_namespace_is_left_out_only_where_a_bare_command_lands_anyway(
    cli: Cli, namesakes: None, given: tuple[str, ...], env: dict[str, str | None], named: bool
) -> None:
    waited = cli("wait", "b1", *given, env=env)
    assert waited.code == 1
    (words,) = suggested(waited.stderr.split("hint: ", 1)[1])
    assert words[:3] == ["endpointctl", "resume", "b1"]
    assert names_namespace(words, USER) is named
    assert len(words) == (5 if named else 3)


def test_not_found_and_timed_out_point_at_the_namespace_looked_in(cli: Cli, tmp_path: pathlib.Path) -> None:
    missing = cli("wait", "nope", "--namespace", ORG)
    assert missing.code == 1
    assert "`endpointctl status --namespace acme` lists the endpoints there" in missing.stderr
    invoked = cli("invoke", "nope", "--namespace", ORG)
    assert invoked.code == 1
    assert "hint: `endpointctl status --namespace acme` lists the endpoints there" in invoked.stderr
    path = write(tmp_path, "b1.yaml", manifest("b1", namespace=ORG))
    assert cli("apply", path, "--yes").code == 0  # pending for a second: the wait below times out
    late = cli("wait", "b1", "--namespace", ORG, "--timeout", "0.5")
    assert late.code == 4, late.all
    assert "look at `endpointctl status b1 --namespace acme`" in late.stderr


def test_a_run_that_cannot_put_it_back_says_how_in_its_namespace(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path
) -> None:
    path = write(tmp_path, "job.yaml", manifest("job", namespace=ORG))
    assert cli("apply", path, "--yes").code == 0
    clock.advance(10)
    assert cli("pause", "-f", path).code == 0

    def refuse_pause(request: Any, call_next: Callable[[Any], Response]) -> Response:
        if request.route == PAUSE:
            return Response(status=400, body=b'{"error": "not now"}', headers={})
        return call_next(request)

    sandbox.add_middleware(refuse_pause)
    failed = cli("run", "job", "--namespace", ORG, "--", sys.executable, "-c", "pass")
    assert failed.code == 1, failed.all
    assert "could not put it back to paused" in failed.stderr
    assert "or run `endpointctl pause job --namespace acme`" in failed.stderr


# -- each hint, built in the pure core ---------------------------------------------------------------


def _hints(implied: str | None) -> list[str]:
    """Every readiness hint that suggests a command, for endpoints of acme."""
    target = WaitTarget(ORG, "b1", implied_namespace=implied)
    at_rest = WaitTarget(ORG, "b1", state=DesiredState.SCALED_TO_ZERO, implied_namespace=implied)
    cases = [
        decide(target, builders.live(status=Status.PAUSED)),
        decide(target, builders.live(status=Status.SCALED_TO_ZERO, min_replica=1)),
        decide(at_rest, builders.live(status=Status.PAUSED)),
        decide(target, None),
    ]
    return [case.hint or "" for case in cases]


def test_every_readiness_hint_names_a_namespace_a_bare_command_would_miss() -> None:
    for hint in _hints(implied=USER) + _hints(implied=None):
        commands = suggested(hint)
        assert commands, hint
        assert all(names_namespace(words, ORG) for words in commands), hint
    # Where a bare command lands in acme (spelt either way: namespaces are one whatever their case).
    for hint in _hints(implied="ACME"):
        assert suggested(hint) and all("--namespace" not in words for words in suggested(hint)), hint


def test_a_scheduled_endpoint_stuck_deploying_says_where_its_logs_are() -> None:
    night = {"timezone": "UTC", "running": ["Mon-Fri 08:00-20:00"], "otherwise": "scaledToZero"}
    want = builders.desired(
        schedule=night, scaling={"minReplica": 0, "maxReplica": 1, "scaleToZeroTimeout": 15}
    )
    at = datetime(2026, 3, 23, 22, 0, tzinfo=UTC)
    # Pending for three days: longer than any deployment takes, so the run blocks it and says why.
    stuck = builders.live(
        status=Status.PENDING, min_replica=0, max_replica=1, updated_at="2026-03-20T00:00:00Z"
    )
    (move,) = plan_schedules([(ORG, want)], {ORG: [stuck]}, at)
    assert move.change.reason is not None
    assert "`endpointctl logs gpt2-demo --namespace acme` shows why" in move.change.reason


@pytest.fixture
def gateway_page() -> Iterator[Hub]:
    """A hub whose delete is answered 200 with a page that is not the API's (a gateway's)."""

    def answer(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, text="<html>Signed out</html>", headers={"content-type": "text/html"})

    hub = Hub(
        token=TokenInfo("hf_hint_test_token_1", "test"),
        api_url="https://api.test",
        clock=ManualClock(1_760_000_000.0),
        retry_seconds=0,
        client_factory=lambda: httpx2.Client(transport=httpx2.MockTransport(answer)),
    )
    try:
        yield hub
    finally:
        set_client_factory(default_client_factory)


def test_a_delete_whose_outcome_is_unknown_says_how_to_look_in_its_namespace(gateway_page: Hub) -> None:
    with pytest.raises(ApiError, match="whether it was deleted is unknown") as caught:
        gateway_page.delete(ORG, "b1")
    assert "run `endpointctl status b1 --namespace acme` to see whether it is still there" in (
        caught.value.hint or ""
    )


def test_the_suggestion_is_quoted_for_a_shell() -> None:
    """What the API lists is read leniently: a name it returns is never run as shell syntax."""
    assert command_for("resume", ORG, "b1; rm -rf ~") == "endpointctl resume 'b1; rm -rf ~' --namespace acme"
    assert command_for("status", ORG, implied=ORG) == "endpointctl status"


@given(
    manifest=st.text(
        alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=30
    ),
    namespace=st.sampled_from([None, "acme", "sandbox-user"]),
)
def test_a_command_for_a_manifest_file_pastes_back_to_that_file(manifest: str, namespace: str | None) -> None:
    """Whatever its name: quoted for a shell, never read as an option, --namespace only where asked."""
    words = shlex.split(manifest_command("apply", manifest, namespace, "--adopt"))
    path = words[2]
    assert not path.startswith("-") and os.path.normpath(path) == os.path.normpath(manifest)
    assert ("--namespace" in words) is (namespace is not None)


def test_the_commands_a_hold_suggests_name_its_namespace(
    cli: Cli, client: Any, tmp_path: pathlib.Path
) -> None:
    """acme/office, run with the token's user as the default namespace: every command the hold's notes and
    a blocked stop suggest names --namespace acme; pasted without it, a release would end the hold of
    sandbox-user/office (a namesake), which the next schedule run then pauses under whoever uses it."""
    office = {"timezone": "Europe/Berlin", "running": ["Mon-Fri 08:00-20:00"]}
    night = datetime.fromtimestamp(cli.clock.wall(), UTC).replace(hour=22).isoformat()
    path = write(tmp_path, "o.yaml", manifest("office", namespace=ORG, schedule=office))
    assert cli("apply", path, "--yes").code == 0
    cli.clock.advance(10)
    held = cli("schedule", "hold", "office", "--namespace", ORG, "--for", "1d")
    assert held.code == 0, held.all
    ran = cli("schedule", "run", path, "--at", night, "-o", "json")
    assert ran.code == 0, ran.all
    # A hold tag edited by hand: the stop is blocked, and the reason names the fix.
    tags = [
        t
        for t in client.get(f"/v2/endpoint/{ORG}/office").json()["tags"]
        if not t.startswith("endpointctl-hold")
    ]
    assert client.put(
        f"/v2/endpoint/{ORG}/office", json={"tags": [*tags, "endpointctl-hold=tomorrow"]}
    ).is_success
    blocked = cli("schedule", "run", path, "--at", night, "-o", "json")
    assert blocked.code == 1, blocked.all
    found = [words for text in (held.all, ran.all, blocked.all) for words in suggested(text)]
    assert sum("release" in words for words in found) >= 3 and any("hold" in words for words in found), found
    bare = [shlex.join(words) for words in found if "office" in words and not names_namespace(words, ORG)]
    assert bare == [], bare
