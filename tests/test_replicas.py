"""`endpointctl replicas`: the sandbox's replica list over loopback, and any shape of answer read leniently.

The replica list's schema is not documented: an entry's missing fields are unknown (`?`, null in JSON),
its other fields are kept (`-o wide`, `other` in JSON), and no shape of answer crashes the command.
"""

from __future__ import annotations

import json
import pathlib
import random
from collections.abc import Callable, Iterator
from typing import Any

import httpx2
import pytest
import yaml
from clirunner import Cli
from huggingface_hub.utils._http import default_client_factory, set_client_factory
from test_cli_apply import manifest, write

from endpointctl.core.errors import ApiError
from endpointctl.core.settings import OutputMode, TokenInfo
from endpointctl.hub import Hub
from endpointctl.hub.logs import to_replica
from endpointctl.sandbox import ManualClock, Request, Response, Sandbox
from endpointctl.ui import logs as shown

REPLICA = "GET /v2/endpoint/{namespace}/{name}/replica"
ID = r"gpt2-demo-[0-9a-f]{5}-[b-z2-9]{5}"


def answering(body: Any, status: int = 200) -> Callable[[Request, Callable[[Request], Response]], Response]:
    def middleware(request: Request, call_next: Callable[[Request], Response]) -> Response:
        if request.route == REPLICA:
            raw = body if isinstance(body, bytes) else json.dumps(body).encode()
            return Response(status=status, body=raw)
        return call_next(request)

    return middleware


@pytest.fixture
def two(cli: Cli, tmp_path: pathlib.Path, clock: ManualClock) -> str:
    path = write(tmp_path, "m.yaml", manifest(scaling={"minReplica": 2, "maxReplica": 2}))
    assert cli("apply", path, "--yes").code == 0
    return path


def test_one_entry_per_replica_as_the_deployment_moves(cli: Cli, two: str, clock: ManualClock) -> None:
    pending = json.loads(cli("replicas", "gpt2-demo", "-o", "json").stdout)
    assert [r["status"] for r in pending] == ["pending", "pending"]
    clock.advance(10)
    running = json.loads(cli("replicas", "-f", two, "-o", "json").stdout)
    assert [r["id"] for r in running] == [r["id"] for r in pending]  # the same deployment's replicas
    assert all(
        r["status"] == "running" and r["message"] is None and r["other"]["restarts"] == "0" for r in running
    )
    table = cli("replicas", "gpt2-demo").stdout.splitlines()
    assert table[0].split() == ["ID", "STATUS", "CREATED", "MESSAGE"]
    assert all(line.split()[1] == "running" for line in table[1:]) and len(table) == 3
    wide = cli("replicas", "gpt2-demo", "-o", "wide").stdout
    assert "OTHER" in wide and "instance=aws us-east-1 intel-spr x2" in wide
    assert len(yaml.safe_load(cli("replicas", "gpt2-demo", "-o", "yaml").stdout)) == 2


def test_a_failed_deployment_lists_its_replica_failed_with_the_cause(
    cli: Cli, tmp_path: pathlib.Path, clock: ManualClock
) -> None:
    path = write(tmp_path, "m.yaml", manifest(repository="sandbox/fail-deploy"))
    assert cli("apply", path, "--yes").code == 0
    clock.advance(10)
    (replica,) = json.loads(cli("replicas", "gpt2-demo", "-o", "json").stdout)
    assert replica["status"] == "failed"
    assert replica["message"] == "Model sandbox/fail-deploy failed to load: simulated deployment failure"


def test_paused_runs_none(cli: Cli, two: str, clock: ManualClock) -> None:
    clock.advance(10)
    assert cli("pause", "gpt2-demo").code == 0
    assert (
        cli("replicas", "gpt2-demo").stdout
        == "No replicas (a paused or scaled-to-zero endpoint runs none).\n"
    )
    assert json.loads(cli("replicas", "gpt2-demo", "-o", "json").stdout) == []
    assert cli("replicas", "gpt2-demo", "-o", "markdown").stdout == "**0 replicas**\n\n"


@pytest.mark.parametrize(
    "body",
    [
        [{"id": "r1"}],
        {"replicas": [{"name": "r1", "phase": None}]},
        {"items": [{"replicaId": "r1", "status": {"state": "running", "message": "ok"}, "gpu": {"n": 1}}]},
        {"data": ["r1", 7, None, {"id": None}]},
        {"items": []},
    ],
    ids=["bare-list", "replicas-key", "status-object", "not-objects", "empty"],
)
def test_any_shape_of_entries_is_read_without_a_crash(
    cli: Cli, two: str, sandbox: Sandbox, body: Any
) -> None:
    sandbox.add_middleware(answering(body))
    for mode in ("table", "wide", "json", "yaml", "markdown"):
        result = cli("replicas", "gpt2-demo", "-o", mode)
        assert result.code == 0, result.all
        assert "unexpected" not in result.stderr


def test_what_an_entry_leaves_out_is_unknown_and_the_rest_is_kept(
    cli: Cli, two: str, sandbox: Sandbox
) -> None:
    sandbox.add_middleware(answering({"items": [{"id": "r1", "zone": "use1-az2", "gpu": {"n": 1}}]}))
    (record,) = json.loads(cli("replicas", "gpt2-demo", "-o", "json").stdout)
    assert record == {
        "id": "r1",
        "status": None,
        "createdAt": None,
        "message": None,
        "other": {"zone": "use1-az2", "gpu": '{"n": 1}'},
    }
    assert cli("replicas", "gpt2-demo").stdout.splitlines()[1].split() == ["r1", "?", "?", "-"]


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ("a string", "cannot read as a list of replicas (str)"),
        ({"error": "nope"}, "cannot read as a list of replicas (dict)"),
        (b"<html>gateway</html>", "a body that is not JSON"),
    ],
)
def test_an_answer_that_is_no_list_is_a_clear_error(
    cli: Cli, two: str, sandbox: Sandbox, body: Any, says: str
) -> None:
    sandbox.add_middleware(answering(body))
    result = cli("replicas", "gpt2-demo")
    assert result.code == 1
    assert (
        "listing the replicas of endpoint 'sandbox-user/gpt2-demo'" in result.stderr and says in result.stderr
    )


def test_errors_are_worded_like_every_other_call(cli: Cli, two: str, sandbox: Sandbox) -> None:
    missing = cli("replicas", "ghost")
    assert missing.code == 1 and "the API answered 404: Endpoint not found" in missing.stderr
    sandbox.add_middleware(answering({"error": "plan without replicas"}, status=403))
    refused = cli("replicas", "gpt2-demo")
    assert refused.code == 1 and "the API answered 403: plan without replicas" in refused.stderr
    assert "hint: the token came from" in refused.stderr


def test_values_from_the_api_are_escaped_in_every_table(cli: Cli, two: str, sandbox: Sandbox) -> None:
    sandbox.add_middleware(answering([{"id": "r\x1b[2J1", "status": "ok|<b>@alice", "message": "a\nb"}]))
    table = cli("replicas", "gpt2-demo").stdout
    assert "\x1b" not in table and "r\\x1b[2J1" in table and "a\\x0ab" in table
    markdown = cli("replicas", "gpt2-demo", "-o", "markdown").stdout
    # A cell's | and < are references, and a word GitHub would act on (a mention) is inline code.
    assert "| <code>ok&#124;&lt;b&gt;@alice</code> |" in markdown and "| a b |" in markdown


# -- the hub's reading, unit by unit ----------------------------------------------------------------------


@pytest.fixture
def scripted() -> Iterator[list[Any]]:
    answers: list[Any] = []
    yield answers
    set_client_factory(default_client_factory)


def hub_answering(answers: list[Any], clock: ManualClock) -> Hub:
    def handle(request: httpx2.Request) -> httpx2.Response:
        answer = answers.pop(0)
        return answer if isinstance(answer, httpx2.Response) else httpx2.Response(200, json=answer)

    return Hub(
        token=TokenInfo("hf_unit_test_token_value", "the HF_TOKEN environment variable"),
        api_url="https://api.test",
        clock=clock,
        retry_seconds=30,
        rng=random.Random(1),
        client_factory=lambda: httpx2.Client(transport=httpx2.MockTransport(handle)),
    )


def test_the_hub_retries_a_503_and_reads_the_answer(scripted: list[Any], clock: ManualClock) -> None:
    scripted += [httpx2.Response(503, json={"error": "busy"}), {"items": [{"id": "r1", "status": "running"}]}]
    found = hub_answering(scripted, clock).replicas("acme", "gpt2-demo")
    assert [(r.id, r.status) for r in found] == [("r1", "running")]


def test_the_hub_words_a_malformed_answer(scripted: list[Any], clock: ManualClock) -> None:
    scripted.append(42)
    with pytest.raises(ApiError, match="cannot read as a list of replicas"):
        hub_answering(scripted, clock).replicas("acme", "gpt2-demo")


def test_to_replica_prefers_the_first_known_key_and_keeps_the_others() -> None:
    replica = to_replica({"name": "n", "state": "up", "startedAt": "t", "reason": "why", "extra": True})
    assert (replica.id, replica.status, replica.created_at, replica.message) == ("n", "up", "t", "why")
    assert replica.other == {"extra": "true"}
    assert to_replica("bare").id == "bare" and to_replica(None).id is None


def test_markdown_and_json_shapes() -> None:
    replica = to_replica({"id": "r1", "status": "running"})
    assert json.loads(shown.replicas([replica], OutputMode.JSON, scrub=str)) == [
        {"id": "r1", "status": "running", "createdAt": None, "message": None, "other": {}}
    ]
    markdown = shown.replicas([replica], OutputMode.MARKDOWN, scrub=str)
    assert markdown.startswith("**1 replica**\n\n| ID | STATUS | CREATED | MESSAGE | OTHER |")
