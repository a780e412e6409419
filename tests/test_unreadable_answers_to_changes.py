"""A change answered with something that cannot be read is unknown, never "not done" (review).

The server acts on a create, an update, a pause or a delete before it answers; an answer too large to
read (past the 16 MiB cap, here a gzip body that inflates past it), one that is not JSON, one nested
too deeply or one not shaped like an endpoint tells nothing of whether it did. Before, each was reported
as a plain failure ("gave up", "cannot read"), which reads as "nothing happened" to a pipeline that then
retries by hand or assumes the old state. Now the error says whether it took effect is unknown and
points at `plan`, the change is never sent again, and reads keep their own error.

Through the CLI against the sandbox over loopback: the sandbox acts on each change, then its answer is
replaced.
"""

from __future__ import annotations

import json
import pathlib
from collections.abc import Callable
from typing import Any

import httpx2 as httpx
import pytest
import yaml
from clirunner import Cli, assert_replan_empty
from conftest import TOKEN
from rewritten_answers import each_endpoint, rewrite
from test_cli_apply import USER, manifest, write
from test_review_output_logs import gzip_of_a_list

from endpointctl.sandbox import ManualClock, Request, Response, Sandbox

EP = "/v2/endpoint/{namespace}/{name}"
CREATE, UPDATE, DELETE = "POST /v2/endpoint/{namespace}", f"PUT {EP}", f"DELETE {EP}"
PAUSE, LIST = f"POST {EP}/pause", "GET /v2/endpoint/{namespace}"

ANSWERS: dict[str, tuple[bytes, dict[str, str]]] = {
    "past the cap": (gzip_of_a_list(20), {"Content-Encoding": "gzip"}),
    "not JSON": (b"<html><body>502 from the gateway</body></html>", {}),
    "nested too deeply": (b"[" * 5000 + b"]" * 5000, {}),
    "no endpoint": (b'{"name": 5, "status": "up"}', {}),
    "not the gzip it says": (b'{"name": "not gzip at all"}', {"Content-Encoding": "gzip"}),
}
UNKNOWN = ("whether it took effect is unknown", "whether it was deleted is unknown")


def acted_then_answered(route: str, body: bytes, headers: dict[str, str]) -> Callable[..., Response]:
    """A middleware: the sandbox acts on ``route`` as it would, then answers ``body`` instead."""

    def middleware(request: Request, call_next: Callable[[Request], Response]) -> Response:
        answer = call_next(request)
        if request.route != route or answer.status >= 300:
            return answer
        return Response(status=answer.status, body=body, headers=dict(headers))

    return middleware


@pytest.fixture
def deployed(cli: Cli, clock: ManualClock, tmp_path: pathlib.Path) -> None:
    assert cli("apply", write(tmp_path, "m.yaml", manifest()), "--yes").code == 0
    clock.advance(10)


def _said_unknown(stderr: str) -> None:
    assert any(phrase in stderr for phrase in UNKNOWN), stderr
    assert "`endpointctl plan`" in stderr or "`endpointctl status" in stderr, stderr
    assert "not sent again" in stderr or "gave up" not in stderr, stderr
    assert "unexpected" not in stderr and "Traceback" not in stderr, stderr


def _state(sandbox: Sandbox, name: str = "gpt2-demo") -> str | None:
    """The state the sandbox holds, read over the API as any client would; None: no such endpoint."""
    headers = {"Authorization": f"Bearer {TOKEN}"}
    answer = httpx.get(f"{sandbox.url}/v2/endpoint/{USER}/{name}", headers=headers, timeout=10)
    return None if answer.status_code == 404 else str(answer.json()["status"]["state"])


@pytest.mark.timeout(60)
@pytest.mark.parametrize("answer", ANSWERS, ids=list(ANSWERS))
def test_an_unreadable_answer_to_an_update_says_the_outcome_is_unknown(
    cli: Cli, sandbox: Sandbox, deployed: None, tmp_path: pathlib.Path, answer: str
) -> None:
    sandbox.add_middleware(acted_then_answered(UPDATE, *ANSWERS[answer]))
    sandbox.reset_counts()
    changed = write(tmp_path, "changed.yaml", manifest(scaling={"minReplica": 1, "maxReplica": 2}))
    result = cli("apply", changed, "--yes")
    assert result.code == 1, result.all
    _said_unknown(result.stderr)
    assert sandbox.counts().get(UPDATE) == 1
    assert "(not done: update)" not in result.stdout and "unknown whether done: update" in result.stdout


@pytest.mark.timeout(60)
@pytest.mark.parametrize("answer", ANSWERS, ids=list(ANSWERS))
def test_a_create_answered_unreadably_is_read_back_and_adopted_when_it_is_ours(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path, answer: str
) -> None:
    """The endpoint read by name carries our tag and is what the manifest asks for: this run made it."""
    sandbox.add_middleware(acted_then_answered(CREATE, *ANSWERS[answer]))
    path = write(tmp_path, "m.yaml", manifest())
    result = cli("apply", path, "--yes", "-o", "json")
    assert result.code == 0, result.all
    (record,) = json.loads(result.stdout)
    assert (record["outcome"], record["done"], record["notDone"]) == ("ok", ["create"], [])
    assert sandbox.counts().get(CREATE) == 1 and sandbox.counts().get(f"GET {EP}") == 1
    assert _state(sandbox) is not None
    assert_replan_empty(cli, sandbox, path)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("answer", ANSWERS, ids=list(ANSWERS))
def test_a_create_answered_unreadably_and_not_found_is_unknown_and_never_sent_again(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path, answer: str
) -> None:
    """Not there (yet) after a success status proves nothing: the API may create asynchronously."""
    body, headers = ANSWERS[answer]

    def answered_without_acting(request: Request, call_next: Callable[[Request], Response]) -> Response:
        return (
            Response(status=200, body=body, headers=dict(headers))
            if request.route == CREATE
            else call_next(request)
        )

    sandbox.add_middleware(answered_without_acting)
    result = cli("apply", write(tmp_path, "m.yaml", manifest()), "--yes")
    assert result.code == 1, result.all
    _said_unknown(result.stderr)
    assert sandbox.counts().get(CREATE) == 1 and sandbox.counts().get(f"GET {EP}") == 1
    assert "unknown whether done: create" in result.stdout


# A delete reads its own answer (an empty body is done), so a body that is no endpoint is no case there.
BY_COMMAND = [
    *(
        pytest.param(("pause", "gpt2-demo"), PAUSE, answer, ("paused",), id=f"pause-{answer}")
        for answer in ANSWERS
    ),
    *(
        pytest.param(
            ("delete", "gpt2-demo", "--yes"), DELETE, answer, (None, "deleting"), id=f"delete-{answer}"
        )
        for answer in ANSWERS
        if answer != "no endpoint"
    ),
]


@pytest.mark.timeout(60)
@pytest.mark.parametrize(("argv", "route", "answer", "after"), BY_COMMAND)
def test_an_unreadable_answer_to_a_pause_or_delete_says_the_outcome_is_unknown(
    cli: Cli,
    sandbox: Sandbox,
    deployed: None,
    argv: tuple[str, ...],
    route: str,
    answer: str,
    after: tuple[str | None, ...],
) -> None:
    sandbox.add_middleware(acted_then_answered(route, *ANSWERS[answer]))
    sandbox.reset_counts()
    result = cli(*argv)
    assert result.code == 1, result.all
    _said_unknown(result.stderr)
    assert sandbox.counts().get(route) == 1
    assert _state(sandbox) in after  # it did take effect: "failed" alone would have been wrong


@pytest.mark.timeout(60)
@pytest.mark.parametrize("answer", ANSWERS, ids=list(ANSWERS))
def test_a_read_answered_unreadably_says_nothing_of_a_change(
    cli: Cli, sandbox: Sandbox, deployed: None, answer: str
) -> None:
    sandbox.add_middleware(acted_then_answered(LIST, *ANSWERS[answer]))
    result = cli("status")
    assert result.code == 1, result.all
    assert not any(phrase in result.stderr for phrase in UNKNOWN), result.stderr
    assert "unexpected" not in result.stderr, result.stderr


def _replaced(route: str, status: int) -> Callable[..., Response]:
    """A middleware: the sandbox acts on ``route``, then a gateway answers ``status`` in its place."""

    def middleware(request: Request, call_next: Callable[[Request], Response]) -> Response:
        answer = call_next(request)
        return Response(status=status, body=b"busy") if request.route == route else answer

    return middleware


@pytest.mark.timeout(60)
def test_an_update_answered_503_until_the_budget_ends_says_the_outcome_is_unknown(
    cli: Cli, sandbox: Sandbox, deployed: None, tmp_path: pathlib.Path
) -> None:
    sandbox.add_middleware(_replaced(UPDATE, 503))
    sandbox.reset_counts()
    changed = write(tmp_path, "changed.yaml", manifest(scaling={"minReplica": 1, "maxReplica": 2}))
    result = cli("apply", changed, "--yes", "-o", "json")
    assert result.code == 1, result.all
    assert "gave up after" in result.stderr
    assert "that answer leaves unknown whether it took effect" in result.stderr, result.stderr
    (record,) = json.loads(result.stdout)
    assert (record["outcome"], record["notDone"]) == ("failed", ["update"])
    assert "unknown whether it took effect" in record["error"]


@pytest.mark.timeout(60)
def test_a_create_whose_check_cannot_be_read_is_never_sent_again(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    # The create is answered 503 (it may have gone through); the read by name that would tell is too large.
    sandbox.add_middleware(_replaced(CREATE, 503))
    sandbox.add_middleware(acted_then_answered(f"GET {EP}", *ANSWERS["past the cap"]))
    result = cli("apply", write(tmp_path, "m.yaml", manifest()), "--yes")
    assert result.code == 1, result.all
    assert "not sent again: whether it was created is unknown" in result.stderr, result.stderr
    assert sandbox.counts().get(CREATE) == 1


def _answers_in_turn(route: str, statuses: list[int]) -> Callable[..., Response]:
    """A middleware: the sandbox acts on ``route`` each time; a gateway answers ``statuses`` in turn (the
    last one again once they run out)."""
    left = list(statuses)

    def middleware(request: Request, call_next: Callable[[Request], Response]) -> Response:
        answer = call_next(request)
        if request.route != route:
            return answer
        status = left.pop(0) if len(left) > 1 else left[0]
        headers = {"Retry-After": "3600"} if status == 429 else {}
        return Response(status=status, body=b'{"error": "refused"}', headers=headers)

    return middleware


@pytest.mark.timeout(60)
@pytest.mark.parametrize("then", [429, 400, 409])
def test_an_update_answered_503_then_refused_is_still_unknown(
    cli: Cli, sandbox: Sandbox, deployed: None, tmp_path: pathlib.Path, then: int
) -> None:
    """The 503 may have come after the update was made: a later refusal does not undo it (review)."""
    sandbox.add_middleware(_answers_in_turn(UPDATE, [503, then]))
    changed = write(tmp_path, "changed.yaml", manifest(scaling={"minReplica": 1, "maxReplica": 2}))
    result = cli("apply", changed, "--yes")
    assert result.code == 1, result.all
    assert "an earlier attempt was answered 503" in result.stderr, result.stderr
    assert "unknown whether done: update" in result.stdout, result.stdout


@pytest.mark.timeout(60)
def test_a_delete_answered_503_then_404_is_done(cli: Cli, sandbox: Sandbox, deployed: None) -> None:
    sandbox.add_middleware(_answers_in_turn(DELETE, [503, 404]))
    result = cli("delete", "gpt2-demo", "--yes")
    assert result.code == 0, result.all


@pytest.mark.timeout(60)
def test_a_delete_answered_success_with_an_error_beside_it_is_unknown(
    cli: Cli, sandbox: Sandbox, deployed: None
) -> None:
    sandbox.add_middleware(acted_then_answered(DELETE, b'{"error": "backend busy"}', {}))
    result = cli("delete", "gpt2-demo", "--yes")
    assert result.code == 1, result.all
    assert "whether it was deleted is unknown" in result.stderr, result.stderr


@pytest.mark.timeout(60)
@pytest.mark.parametrize("tags", ["absent", None])
def test_a_lost_create_found_without_its_tags_is_unknown_not_someone_elses(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path, tags: str | None
) -> None:
    """The create went through and its answer was lost; the read by name lists no tags. Ours cannot be
    told from someone else's, so the create is neither done nor "not this run's" (review)."""
    sandbox.add_middleware(_replaced(CREATE, 503))

    def tagless(endpoint: dict[str, Any]) -> None:
        if tags == "absent":
            endpoint.pop("tags", None)
        else:
            endpoint["tags"] = tags

    rewrite(sandbox, f"GET {EP}", each_endpoint(tagless))
    result = cli("apply", write(tmp_path, "m.yaml", manifest()), "--yes", "-o", "json")
    assert result.code == 1, result.all
    (record,) = json.loads(result.stdout)
    assert "whether this run created it is unknown" in record["error"], record["error"]
    assert "did not create it" not in result.all
    assert "`endpointctl plan`" in result.stderr, result.stderr
    assert (record["done"], record["notDone"]) == ([], ["create"])
    assert sandbox.counts().get(CREATE) == 1
    table = cli("apply", write(tmp_path, "n.yaml", manifest(name="other")), "--yes")
    assert "unknown whether done: create" in table.stdout, table.all


@pytest.mark.timeout(60)
def test_a_re_pause_after_an_update_answered_unreadably_names_the_pause(
    cli: Cli, sandbox: Sandbox, deployed: None, tmp_path: pathlib.Path
) -> None:
    """The update was done and woke the paused endpoint; the pause that puts it back is the step whose
    outcome is unknown, not the update (review)."""
    assert cli("pause", "gpt2-demo").code == 0

    def woken(endpoint: dict[str, Any]) -> None:
        endpoint["status"]["state"] = "running"

    rewrite(sandbox, UPDATE, woken)
    sandbox.add_middleware(acted_then_answered(PAUSE, *ANSWERS["not JSON"]))
    changed = write(tmp_path, "changed.yaml", manifest(env={"A": "1"}))
    result = cli("apply", changed, "--yes", "-o", "json")
    assert result.code == 1, result.all
    (record,) = json.loads(result.stdout)
    assert (record["done"], record["notDone"]) == (["update"], ["pause"]), record
    assert "whether it took effect is unknown" in record["error"], record["error"]
    again = cli("apply", write(tmp_path, "again.yaml", manifest(env={"A": "2"})), "--yes")
    assert "unknown whether done: pause" in again.stdout, again.all
    assert "unknown whether done: update" not in again.stdout


@pytest.mark.timeout(60)
def test_a_re_pause_after_an_update_is_reported_done(
    cli: Cli, sandbox: Sandbox, deployed: None, tmp_path: pathlib.Path
) -> None:
    assert cli("pause", "gpt2-demo").code == 0

    def woken(endpoint: dict[str, Any]) -> None:
        endpoint["status"]["state"] = "running"

    rewrite(sandbox, UPDATE, woken)
    result = cli("apply", write(tmp_path, "changed.yaml", manifest(env={"A": "1"})), "--yes", "-o", "json")
    assert result.code == 0, result.all
    (record,) = json.loads(result.stdout)
    assert (record["done"], record["notDone"]) == (["update", "pause"], []), record
    assert _state(sandbox) == "paused"


@pytest.mark.timeout(60)
@pytest.mark.parametrize("output", ["table", "markdown"])
def test_schedule_run_marks_a_pause_of_unknown_outcome_and_says_what_to_run(
    cli: Cli, sandbox: Sandbox, deployed: None, tmp_path: pathlib.Path, output: str
) -> None:
    """A scheduled pause answered unreadably is shown as unknown, with the hint apply gives (review)."""
    doc = yaml.safe_load(manifest())
    doc["spec"]["schedule"] = {"timezone": "UTC", "running": ["Mon-Sun 00:00-00:01"]}
    path = write(tmp_path, "s.yaml", yaml.safe_dump(doc))
    sandbox.add_middleware(acted_then_answered(PAUSE, *ANSWERS["not JSON"]))
    result = cli("schedule", "run", path, "--at", "2026-03-23T12:00:00+00:00", "-o", output)
    assert result.code == 1, result.all
    assert "unknown whether done: pause" in result.stdout, result.stdout
    assert "whether pause took effect is unknown" in result.stderr, result.stderr
    assert "`endpointctl plan`" in result.stderr
    assert _state(sandbox) == "paused"
