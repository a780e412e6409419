"""An update of a paused endpoint answered with a deploying state (`updating`, `pending`, `initializing`)
is not followed by a pause on that answer: whether the update woke the endpoint is unknown from it. The
endpoint is read until it settles, and the settled state decides: still paused, nothing more is sent;
awake, it is paused again, as the plan promised ("stays paused"); failed, the change fails and nothing
hides it; gone, it is said so; still deploying at the deadline, it is not paused, and the run says so
and exits 1 (a failed change), naming the pause to run by hand: running the command again would not
send it, as the manifest sets no state.

Through the CLI and the sandbox over loopback, with middlewares that reshape its answers by the injected
clock (no sleeps: the reads' waits advance the ManualClock), and the sandbox's count of requests by route.
"""

from __future__ import annotations

import json
import pathlib
import signal
from collections.abc import Callable
from typing import Any

import pytest
from clirunner import Cli
from rewritten_answers import each_endpoint, rewriting
from test_cli_apply import manifest, write

from endpointctl.sandbox import ManualClock, Request, Response, Sandbox
from endpointctl.sandbox.transport import Handler

LIST = "GET /v2/endpoint/{namespace}"
ONE = "GET /v2/endpoint/{namespace}/{name}"
UPDATE = "PUT /v2/endpoint/{namespace}/{name}"
PAUSE = "POST /v2/endpoint/{namespace}/{name}/pause"


def paused(cli: Cli, clock: ManualClock, tmp_path: pathlib.Path, namespace: str | None = None) -> str:
    """gpt2-demo applied, running, then paused; a manifest that changes its env (no `state`: it stays
    paused)."""
    assert cli("apply", write(tmp_path, "m.yaml", manifest(namespace=namespace)), "--yes").code == 0
    clock.advance(30)
    assert cli("pause", "gpt2-demo", *(["--namespace", namespace] if namespace else [])).code == 0
    return write(tmp_path, "m.yaml", manifest(namespace=namespace, env={"A": "1"}))


def answered(state: str) -> Callable[[dict[str, Any]], None]:
    return each_endpoint(lambda item: item["status"].update(state=state))


def read_as(clock: ManualClock, until: float, then: str | None) -> Callable[[dict[str, Any]], None]:
    """Each read answers `updating` until the clock reaches ``until``, then ``then`` (None: as stored)."""

    def edit(item: dict[str, Any]) -> None:
        if clock.now() < until:
            item["status"]["state"] = "updating"
        elif then is not None:
            item["status"]["state"] = then

    return each_endpoint(edit)


def interrupt_now() -> None:
    """Run the CLI's SIGINT handler here, in a request: a signal sent with os.kill is handled by the main
    thread whenever it next runs, maybe after the answer it should precede was acted on; this is at once."""
    handler = signal.getsignal(signal.SIGINT)
    assert callable(handler)
    handler(signal.SIGINT, None)


def reads_answer(sandbox: Sandbox, status: int, body: bytes) -> None:
    """Every read of the endpoint is answered with this error."""

    def answer(request: Request, call_next: Handler) -> Response:
        if request.route == ONE:
            return Response(status=status, body=body, headers={})
        return call_next(request)

    sandbox.add_middleware(answer)


@pytest.mark.parametrize("state", ["updating", "pending", "initializing"])
def test_an_update_answered_as_deploying_is_not_followed_by_a_pause_when_it_settles_paused(
    cli: Cli, clock: ManualClock, sandbox: Sandbox, tmp_path: pathlib.Path, state: str
) -> None:
    path = paused(cli, clock, tmp_path)
    sandbox.add_middleware(rewriting(UPDATE, answered(state)))
    sandbox.add_middleware(rewriting(ONE, read_as(clock, clock.now() + 20, None)))  # then paused, as stored
    sandbox.reset_counts()
    applied = cli("apply", path, "--yes", "-o", "json")
    assert applied.code == 0, applied.all
    (record,) = json.loads(applied.stdout)
    assert (record["done"], record["notDone"]) == (["update"], []), record
    counts = sandbox.counts()
    assert counts[UPDATE] == 1 and PAUSE not in counts, counts
    assert counts[ONE] >= 2, counts  # read until it settled
    assert f"the update was answered '{state}'; reading it until it settles" in applied.stderr
    assert "pausing it again" not in applied.stderr


def test_an_update_answered_updating_that_settles_awake_is_paused_again(
    cli: Cli, clock: ManualClock, sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    path = paused(cli, clock, tmp_path)
    sandbox.add_middleware(rewriting(UPDATE, answered("updating")))
    sandbox.add_middleware(rewriting(ONE, read_as(clock, clock.now() + 20, "running")))
    sandbox.reset_counts()
    applied = cli("apply", path, "--yes", "-o", "json")
    assert applied.code == 0, applied.all
    (record,) = json.loads(applied.stdout)
    assert (record["done"], record["notDone"]) == (["update", "pause"], []), record
    counts = sandbox.counts()
    assert counts[UPDATE] == 1 and counts[PAUSE] == 1, counts
    assert "the update woke the paused endpoint; pausing it again" in applied.stderr


def test_an_update_answered_updating_that_never_settles_is_not_paused_and_says_so(
    cli: Cli, clock: ManualClock, sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    path = paused(cli, clock, tmp_path)
    sandbox.add_middleware(rewriting(UPDATE, answered("updating")))
    sandbox.add_middleware(rewriting(ONE, answered("updating")))
    sandbox.reset_counts()
    applied = cli("apply", path, "--yes", "-o", "json")
    assert applied.code == 1, (
        applied.all
    )  # a failed change, as a settle before a scale-to-zero that times out
    (record,) = json.loads(applied.stdout)
    assert (record["done"], record["notDone"]) == (["update"], ["pause"]), record
    assert "whether the update woke it is unknown, so it was not paused again" in record["error"]
    assert PAUSE not in sandbox.counts(), sandbox.counts()
    # The hint is shown, not dropped with the error: the command to see it, and the pause to run by hand.
    assert "`endpointctl pause gpt2-demo --namespace sandbox-user` puts it back to paused" in applied.stderr


def test_after_a_settle_timeout_the_warning_names_the_pause_instead_of_promising_a_rerun_converges(
    cli: Cli, clock: ManualClock, sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    """The owed pause is no planned step: with the endpoint awake and the manifest setting no state, the same
    command run again plans nothing. So the warning names the pause to run, in the endpoint's namespace
    (pasted without it, it would act on another endpoint of that name), and promises no convergence."""
    path = paused(cli, clock, tmp_path, namespace="acme")
    sandbox.add_middleware(rewriting(UPDATE, answered("updating")))
    sandbox.add_middleware(rewriting(ONE, answered("updating")))
    first = cli("apply", path, "--yes")
    assert first.code == 1, first.all
    assert "Run the same command again to converge" not in first.stderr, first.stderr
    assert (
        "warning: acme/gpt2-demo is part-way: done update; not done pause. Running the same command again "
        "may not pause it (the plan did not list it): if `endpointctl status gpt2-demo --namespace acme` "
        "shows it awake, `endpointctl pause gpt2-demo --namespace acme` does." in first.stderr
    ), first.stderr
    # Why: the same command again, the endpoint now awake, sends no pause (the manifest sets no state).
    sandbox.clear_middleware()
    sandbox.add_middleware(rewriting((LIST, ONE), answered("running")))
    sandbox.reset_counts()
    assert cli("apply", path, "--yes").code == 0
    assert PAUSE not in sandbox.counts(), sandbox.counts()


@pytest.mark.parametrize("settled", ["updateFailed", "failed"])
@pytest.mark.parametrize("at_once", [True, False], ids=["answered", "settled"])
def test_an_update_of_a_paused_endpoint_that_fails_is_a_failed_change_and_is_not_paused(
    cli: Cli, clock: ManualClock, sandbox: Sandbox, tmp_path: pathlib.Path, settled: str, at_once: bool
) -> None:
    """Failed is not woken: a pause would hide the failure (the next plan would read `paused`), and the run
    would say "ok". Whether the update's answer says it at once, or the reads after `updating` do."""
    path = paused(cli, clock, tmp_path)
    sandbox.add_middleware(rewriting(UPDATE, answered(settled if at_once else "updating")))
    sandbox.add_middleware(rewriting(ONE, read_as(clock, clock.now() + 20, settled)))
    sandbox.reset_counts()
    applied = cli("apply", path, "--yes", "-o", "json")
    assert applied.code == 1, applied.all
    (record,) = json.loads(applied.stdout)
    assert (record["outcome"], record["done"], record["notDone"]) == ("failed", [], ["update"]), record
    assert (
        record["error"]
        == f"endpoint 'sandbox-user/gpt2-demo' is {settled} after its update: not paused again"
    )
    assert record["status"] == settled, record
    assert PAUSE not in sandbox.counts(), sandbox.counts()
    assert "pausing it again" not in applied.stderr
    assert "(`endpointctl status gpt2-demo --namespace sandbox-user` shows why)" in applied.stderr


def test_an_interrupt_while_the_update_settles_sends_no_pause_and_says_the_pause_is_not_done(
    cli: Cli, clock: ManualClock, sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    path = paused(cli, clock, tmp_path)
    sandbox.add_middleware(rewriting(UPDATE, answered("updating")))
    sandbox.add_middleware(rewriting(ONE, answered("updating")))
    reads = 0

    def interrupt(request: Request, call_next: Handler) -> Response:
        nonlocal reads
        if request.route == ONE:
            reads += 1
            if reads == 2:
                interrupt_now()
        return call_next(request)

    sandbox.add_middleware(interrupt)
    sandbox.reset_counts()
    applied = cli("apply", path, "--yes", "-o", "json")
    assert applied.code == 130, applied.all
    (record,) = json.loads(applied.stdout)
    assert (record["outcome"], record["done"], record["notDone"]) == ("interrupted", ["update"], ["pause"])
    counts = sandbox.counts()
    assert counts[ONE] <= 3 and PAUSE not in counts, counts  # stopped reading at once


@pytest.mark.parametrize("status", [404, 400])
def test_a_read_answered_with_an_error_while_the_update_settles_sends_no_pause(
    cli: Cli, clock: ManualClock, sandbox: Sandbox, tmp_path: pathlib.Path, status: int
) -> None:
    """404: said gone, and not shown with the update's stale `updating`; 400: an API error. Neither pauses,
    and the pause is said not done."""
    path = paused(cli, clock, tmp_path)
    sandbox.add_middleware(rewriting(UPDATE, answered("updating")))
    reads_answer(sandbox, status, b'{"error": "not found"}' if status == 404 else b'{"error": "bad"}')
    sandbox.reset_counts()
    applied = cli("apply", path, "--yes", "-o", "json")
    assert applied.code == 1, applied.all
    (record,) = json.loads(applied.stdout)
    assert (record["outcome"], record["done"], record["notDone"]) == ("failed", ["update"], ["pause"]), record
    assert PAUSE not in sandbox.counts(), sandbox.counts()
    if status == 404:
        assert record["error"] == "endpoint 'sandbox-user/gpt2-demo' is gone after its update", record
        assert (record["status"], record["url"]) == (None, None), record  # read as gone


def test_an_update_that_settles_in_a_state_endpointctl_does_not_know_is_not_paused(
    cli: Cli, clock: ManualClock, sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    """`deleting` is not deploying: the reads stop at once, and a state endpointctl does not know is never
    acted on, a pause included: said instead, with the endpoint's namespace."""
    path = paused(cli, clock, tmp_path)
    sandbox.add_middleware(rewriting(UPDATE, answered("updating")))
    sandbox.add_middleware(rewriting(ONE, answered("deleting")))
    sandbox.reset_counts()
    applied = cli("apply", path, "--yes", "-o", "json")
    assert applied.code == 0, applied.all
    counts = sandbox.counts()
    assert counts[ONE] == 1 and PAUSE not in counts, counts
    assert (
        "after the update the API reports the state 'deleting', which endpointctl does not know: not paused "
        "again; see `endpointctl status gpt2-demo --namespace sandbox-user`" in applied.stderr
    ), applied.stderr


def test_an_update_after_the_plans_own_pause_that_wakes_it_is_paused_again(
    cli: Cli, clock: ManualClock, sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    """`state: paused` and a change of a running endpoint plan [pause, update]: the update goes to an
    endpoint the plan has just paused and keeps paused, so an answer that shows it woke is paused again."""
    assert cli("apply", write(tmp_path, "m.yaml", manifest()), "--yes").code == 0
    clock.advance(30)
    path = write(tmp_path, "m.yaml", manifest(env={"A": "1"}, state="paused"))
    sandbox.add_middleware(rewriting(UPDATE, answered("running")))
    sandbox.reset_counts()
    applied = cli("apply", path, "--yes", "-o", "json")
    assert applied.code == 0, applied.all
    (record,) = json.loads(applied.stdout)
    assert (record["done"], record["notDone"]) == (["pause", "update", "pause"], []), record
    assert sandbox.counts()[PAUSE] == 2, sandbox.counts()
    assert "the update woke the paused endpoint; pausing it again" in applied.stderr


def test_an_interrupt_while_the_update_is_in_flight_starts_no_pause_after_it(
    cli: Cli, clock: ManualClock, sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    """ "finishing the call in flight, starting nothing new": the pause an update's waking answer owes is
    not started either, and the record says it is not done, as an interrupt while the update settles."""
    path = paused(cli, clock, tmp_path)
    sandbox.add_middleware(rewriting(UPDATE, answered("running")))

    def interrupt(request: Request, call_next: Handler) -> Response:
        if request.route == UPDATE:
            interrupt_now()
        return call_next(request)

    sandbox.add_middleware(interrupt)
    sandbox.reset_counts()
    applied = cli("apply", path, "--yes", "-o", "json")
    assert applied.code == 130, applied.all
    (record,) = json.loads(applied.stdout)
    assert PAUSE not in sandbox.counts(), (sandbox.counts(), applied.stderr)
    assert (record["outcome"], record["done"], record["notDone"]) == ("interrupted", ["update"], ["pause"])
    assert "`endpointctl pause gpt2-demo --namespace sandbox-user` does" in applied.stderr, applied.stderr


def test_an_owed_pause_whose_outcome_is_unknown_names_the_pause_not_plan(
    cli: Cli, clock: ManualClock, sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    """The update woke the paused endpoint, and the pause it owes is answered so that its outcome is
    unknown. A plan cannot show that pause when the manifest sets no state (it says "No changes" while the
    endpoint bills), so the warning names the pause, in the endpoint's namespace, instead of the plan."""
    path = paused(cli, clock, tmp_path, namespace="acme")
    sandbox.add_middleware(rewriting(UPDATE, answered("running")))

    def lost_pause(request: Request, call_next: Handler) -> Response:
        if request.route == PAUSE:  # not applied; a success with an error beside it: outcome unknown
            return Response(status=200, body=b'{"error": "partial"}', headers={})
        return call_next(request)

    sandbox.add_middleware(lost_pause)
    applied = cli("apply", path, "--yes", "-o", "json")
    assert applied.code == 1, applied.all
    (record,) = json.loads(applied.stdout)
    assert (record["done"], record["notDone"]) == (["update"], ["pause"]), record
    (warning,) = [line for line in applied.stderr.splitlines() if line.startswith("warning:")]
    assert "whether pause took effect is unknown" in warning, warning
    assert "`endpointctl pause gpt2-demo --namespace acme` does" in warning, warning
    assert "endpointctl plan" not in warning, warning
    # Why: the plan shows nothing to do while the endpoint is awake.
    sandbox.clear_middleware()
    sandbox.add_middleware(rewriting((LIST, ONE), answered("running")))
    assert cli("plan", path, "--detailed-exitcode").code == 0
