"""`logs --follow` over streams that end and break off: the sandbox's faults end its event stream after N
events (``end-after``) or close the connection mid-body (``break-after``), over loopback.

Each line the server has is shown once and in order; every reconnect is said on stderr; a connect that
keeps failing ends within the retry budget (exit 1); the endpoint deleted ends it (exit 0); the waits
between streams that bring nothing grow, on the injected clock. No test sleeps.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from collections.abc import Callable
from typing import Any

import pytest
from clirunner import Cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_logs import GET_ONE, SSE, Watched, applied, run_cli  # noqa: F401 (applied: a fixture)

from endpointctl.core.logs import line_time
from endpointctl.sandbox import ManualClock, Request, Response, Sandbox
from endpointctl.sandbox.faults import FaultConfig, FaultKind, FaultRule, parse_rule
from endpointctl.sandbox.views import rfc3339

NS, NAME = "sandbox-user", "gpt2-demo"
RECONNECT = re.compile(r"the log stream of 'sandbox-user/[^']+' (.+); reconnecting in ([\d.]+) s")


class Sleeps(ManualClock):
    """A ManualClock that keeps what it was asked to sleep."""

    def __init__(self, start: float) -> None:
        super().__init__(start)
        self.slept: list[float] = []

    def sleep(self, seconds: float, cancel: Any = None) -> bool:
        self.slept.append(seconds)
        return super().sleep(seconds, cancel)


@pytest.fixture
def clock() -> ManualClock:
    return Sleeps(1_760_000_000.0)


def deleted_after(
    sandbox: Sandbox, streams: int
) -> Callable[[Request, Callable[[Request], Response]], Response]:
    """The endpoint reads as deleted (404) once its log stream was asked for ``streams`` times."""

    def middleware(request: Request, call_next: Callable[[Request], Response]) -> Response:
        if request.route == GET_ONE and sandbox.counts().get(SSE, 0) >= streams:
            return Response(status=404, body=b'{"error": "Endpoint not found"}')
        return call_next(request)

    return middleware


_EXAMPLES = itertools.count()


def on_stream(kind: FaultKind, events: int) -> FaultRule:
    return FaultRule(kind, route=SSE, events=events, limit=1)


def test_the_rules_parse() -> None:
    assert parse_rule(f"break-after=3,route={SSE},times=1") == on_stream(FaultKind.BREAK_AFTER, 3)
    assert parse_rule("end-after=0").events == 0
    with pytest.raises(ValueError, match="needs a value"):
        parse_rule("end-after")


@given(st.data())
@settings(max_examples=12, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_lines_across_drops_are_shown_once_and_in_order(
    cli: Cli, sandbox: Sandbox, clock: Sleeps, client: Any, endpoint_body: Any, data: st.DataObject
) -> None:
    sandbox.clear_middleware()
    sandbox.reset_counts()
    # An endpoint of its own for each example: the lines of one are never mixed into another's log.
    name = f"follow-{next(_EXAMPLES)}"
    created = client.post(f"/v2/endpoint/{NS}", json=endpoint_body(name))
    assert created.status_code == 200, created.text
    # Deleted after each example, pass or fail: while shrinking, hypothesis runs many, and the sandbox's
    # endpoint quota would otherwise end them with an error that hides the failing one.
    try:
        clock.advance(10)  # running (the sandbox's phases are a second each)
        now = clock.now()
        # Lines at equal times, with undated continuation lines (a text of several lines), printed already.
        offsets = data.draw(st.lists(st.sampled_from([0.0, 0.0, 0.25, 1.0]), min_size=1, max_size=25))
        at = now - sum(offsets) - 1
        rows: list[tuple[float, str | None, str]] = []
        for index, step in enumerate(offsets):
            at += step
            frames = data.draw(st.integers(0, 2))
            rows.append(
                (at, "r1", "\n".join([f"line {index} {now}", *(f"  frame {k}" for k in range(frames))]))
            )
        sandbox.print_lines(NS, name, rows)
        # One event per row: a row's continuation lines are in its event.
        events = sum(
            1
            for line in cli("logs", name, "--tail", "1000").stdout.splitlines()
            if line_time(line) is not None
        )
        faults = [
            on_stream(
                data.draw(st.sampled_from([FaultKind.BREAK_AFTER, FaultKind.END_AFTER])), events * cut // 100
            )
            # Where each stream stops, as a share of what the server has: drawn alike whatever it has.
            for cut in data.draw(st.lists(st.integers(0, 100), min_size=1, max_size=3))
        ]
        # The last stream ends once all of it came, and the endpoint then reads as deleted.
        sandbox.install_faults(FaultConfig((*faults, on_stream(FaultKind.END_AFTER, events))))
        sandbox.add_middleware(deleted_after(sandbox, len(faults) + 1))
        result = cli("logs", name, "--follow", "--tail", "1000")
        assert result.code == 0, result.all
        shown = result.stdout.splitlines()
        # The clock moved while following: a line the lifecycle printed meanwhile may have come after the end.
        assert shown == cli("logs", name, "--tail", "1000").stdout.splitlines()[: len(shown)]
        assert sandbox.counts()[SSE] == len(faults) + 1
        said = RECONNECT.findall(result.stderr)
        assert len(said) == len(faults)
        assert "may be missing" not in result.stderr, (faults, result.all)
        assert all(f"line {index} {now}" in result.stdout for index in range(len(offsets))), (
            faults,
            result.all,
        )
    finally:
        sandbox.clear_middleware()
        client.delete(f"/v2/endpoint/{NS}/{name}")


@pytest.mark.usefixtures("applied")
def test_a_dropped_stream_is_followed_on_until_the_endpoint_is_deleted(
    cli: Cli, sandbox: Sandbox, clock: Sleeps
) -> None:
    before = cli("logs", NAME, "--tail", "1000").stdout.splitlines()
    sandbox.install_faults(
        FaultConfig((on_stream(FaultKind.BREAK_AFTER, 3), on_stream(FaultKind.END_AFTER, 5)))
    )
    out = Watched("POST / HTTP/1.1")
    ran: list[Any] = []
    follower = threading.Thread(
        target=lambda: ran.append(run_cli(cli, out, "logs", NAME, "--follow", "-o", "json"))
    )
    follower.start()
    try:
        assert cli("invoke", NAME, "--data", '{"inputs": "hi"}').code == 0
        assert out.seen.wait(30), out.getvalue()
        assert cli("delete", NAME, "--yes").code == 0
    finally:
        follower.join(30)
    assert not follower.is_alive()
    (result,) = ran
    assert result.code == 0, result.all
    shown = [json.loads(line)["line"] for line in result.stdout.splitlines()]
    assert shown[: len(before)] == before and len(shown) == len(before) + 1  # JSON Lines only, each once
    said = RECONNECT.findall(result.stderr)
    assert [why.split(" (")[0] for why, _ in said] == ["broke off", "was ended by the server"]
    assert "'sandbox-user/gpt2-demo' was deleted: its log stream ended" in result.stderr
    assert sandbox.counts()[SSE] == 3


@pytest.mark.usefixtures("applied")
def test_a_connect_that_keeps_failing_ends_within_the_retry_budget(
    cli: Cli, sandbox: Sandbox, clock: Sleeps
) -> None:
    sandbox.install_faults(
        FaultConfig((on_stream(FaultKind.BREAK_AFTER, 2), FaultRule(FaultKind.STATUS, route=SSE, status=503)))
    )
    start = clock.now()
    result = cli("logs", NAME, "--follow", env={"ENDPOINTCTL_RETRY_SECONDS": "20"})
    assert result.code == 1, result.all
    assert "gave up after" in result.stderr and "503" in result.stderr
    assert len(result.stdout.splitlines()) == 2
    assert clock.now() - start <= 20 + 1 + 1  # the budget, and the first reconnect's wait (at most 1 s)
    assert sandbox.counts()[SSE] >= 3


@pytest.mark.usefixtures("applied")
def test_streams_that_bring_nothing_are_opened_less_and_less_often(
    cli: Cli, sandbox: Sandbox, clock: Sleeps
) -> None:
    sandbox.install_faults(FaultConfig((FaultRule(FaultKind.END_AFTER, route=SSE, events=0),)))
    sandbox.add_middleware(deleted_after(sandbox, 6))
    clock.slept.clear()
    result = cli("logs", NAME, "--follow", "--tail", "0")
    assert result.code == 0, result.all
    assert result.stdout == ""
    said = [float(seconds) for _, seconds in RECONNECT.findall(result.stderr)]
    assert len(said) == 5 and sandbox.counts()[SSE] == 6
    waits = [seconds for seconds in clock.slept if seconds >= 0.5]
    assert [round(w, 1) for w in waits] == said  # the waits said are the waits made, on the clock
    assert all(later >= earlier for earlier, later in itertools.pairwise(waits))
    assert waits[-1] >= 4 * waits[0]
    assert result.stderr.count("no new line from 'sandbox-user/gpt2-demo' (it is running)") == 1


@pytest.mark.usefixtures("applied")
def test_a_window_that_does_not_reach_back_says_lines_may_be_missing(
    cli: Cli, sandbox: Sandbox, clock: Sleeps
) -> None:
    before = len(cli("logs", NAME, "--tail", "1000").stdout.splitlines())
    # 1100 lines dated just after now: the first stream ends before the clock reaches them.
    later = clock.now() + 0.1
    sandbox.print_lines(NS, NAME, [(later, "r1", f"burst {i}") for i in range(1100)])
    sandbox.install_faults(
        FaultConfig((on_stream(FaultKind.END_AFTER, before), on_stream(FaultKind.END_AFTER, 1000)))
    )
    sandbox.add_middleware(deleted_after(sandbox, 2))
    result = cli("logs", NAME, "--follow", "--tail", "1000")
    assert result.code == 0, result.all
    lines = result.stdout.splitlines()
    assert (
        len(lines) == before + 1000
        and lines[-1].endswith("burst 1099")
        and lines[before].endswith("burst 100")
    )
    assert "warning: lines of 'sandbox-user/gpt2-demo' may be missing" in result.stderr


@pytest.mark.usefixtures("applied")
def test_tracebacks_count_as_one_entry_of_the_window_asked_again(
    cli: Cli, sandbox: Sandbox, clock: Sleeps
) -> None:
    """The server's ``tail`` counts entries, and a traceback is one: 700 of 3 lines each are 2100 lines,
    all within the 1000 entries a reconnect asks for. None is shown again (counted in lines, the window
    would have ended after 1000 lines, and the 1100 lines after them shown as new)."""
    base = clock.now() - 100
    sandbox.print_lines(
        NS,
        NAME,
        [
            (base + i * 0.01, "r1", f"Traceback {i}\n  File 'app.py', line {i}\nValueError: {i}")
            for i in range(700)
        ],
    )
    before = cli("logs", NAME, "--tail", "5000").stdout.splitlines()  # `logs --tail` counts lines
    events = sum(1 for line in before if line_time(line) is not None)
    assert events < 1000 < len(before)
    sandbox.install_faults(
        FaultConfig((on_stream(FaultKind.END_AFTER, events // 2), on_stream(FaultKind.END_AFTER, events)))
    )
    sandbox.add_middleware(deleted_after(sandbox, 2))
    result = cli("logs", NAME, "--follow", "--tail", "1000")
    assert result.code == 0, result.all
    assert result.stdout.splitlines() == before
    assert "may be missing" not in result.stderr


@pytest.mark.usefixtures("applied")
def test_a_logs_route_that_answers_404_on_reconnecting_is_an_error_while_the_endpoint_exists(
    cli: Cli, sandbox: Sandbox, clock: Sleeps
) -> None:
    """A gateway, or logs turned off, answering 404 for the stream alone: the endpoint is read, and being
    there, the follow ends as an error (exit 1), never as "deleted" (exit 0)."""
    sandbox.install_faults(
        FaultConfig(
            (on_stream(FaultKind.END_AFTER, 2), FaultRule(FaultKind.STATUS, route=SSE, status=404, limit=1))
        )
    )
    result = cli("logs", NAME, "--follow")
    assert result.code == 1, result.all
    assert "was deleted" not in result.stderr and "404" in result.stderr
    assert sandbox.counts()[GET_ONE] >= 1  # it asked whether the endpoint is there


def serving(
    streams: list[list[str]], asked: list[str] | None = None
) -> Callable[[Request, Callable[[Request], Response]], Response]:
    """The event stream answered from ``streams`` (each a list of data lines, or of "" for a keep-alive
    comment), one per connect; 404 once they are spent. The ``tail`` each asked for goes to ``asked``."""

    def middleware(request: Request, call_next: Callable[[Request], Response]) -> Response:
        if request.route != SSE:
            return call_next(request)
        if asked is not None:
            asked.append(request.query.get("tail", ""))
        if not streams:
            return Response(status=404, body=b'{"error": "Endpoint not found"}')
        chunks = [f"data: {line}\n\n".encode() if line else b": keepalive\n\n" for line in streams.pop(0)]
        return Response(status=200, content_type="text/event-stream", stream=iter(chunks))

    return middleware


@pytest.mark.usefixtures("applied")
def test_tail_0_shows_the_first_live_lines_even_when_their_clock_is_behind(
    cli: Cli, sandbox: Sandbox, clock: Sleeps
) -> None:
    """``--tail 0`` asks for no line: the first stream's lines are all new, whatever their date (a
    replica's clock behind the client's) or none. A reconnect then skips them, and shows what is new."""
    behind = f"{rfc3339(clock.now() - 30)} r2 behind the client's clock"
    ahead = f"{rfc3339(clock.now() + 5)} r1 after the reconnect"
    answered: list[str] = []
    streams = [[behind, "  its traceback line"], [behind, "  its traceback line", ahead]]
    sandbox.add_middleware(serving(streams, answered))
    sandbox.add_middleware(deleted_after(sandbox, 2))
    result = cli("logs", NAME, "--follow", "--tail", "0")
    assert result.code == 0, result.all
    assert result.stdout.splitlines() == [behind, "  its traceback line", ahead]
    assert answered[:2] == ["0", "1000"]


@pytest.mark.usefixtures("applied")
def test_an_endpoint_created_again_under_its_name_is_followed_from_its_start(
    cli: Cli, sandbox: Sandbox, clock: Sleeps
) -> None:
    """Between two streams the endpoint was deleted and created again (another ``createdAt``): its lines
    are another endpoint's, all new. That is said, and no "may be missing" warning pretends otherwise."""
    before = cli("logs", NAME, "--tail", "1000").stdout.splitlines()
    events = sum(1 for line in before if line_time(line) is not None)

    def recreated(request: Request, call_next: Callable[[Request], Response]) -> Response:
        answer = call_next(request)
        if request.route != GET_ONE or sandbox.counts().get(SSE, 0) < 1 or answer.status != 200:
            return answer
        doc = json.loads(answer.body)
        doc["status"]["createdAt"] = "2031-01-01T00:00:00Z"
        return Response(status=200, body=json.dumps(doc).encode())

    sandbox.install_faults(FaultConfig((FaultRule(FaultKind.END_AFTER, route=SSE, events=events, limit=2),)))
    sandbox.add_middleware(recreated)
    sandbox.add_middleware(deleted_after(sandbox, 2))
    result = cli("logs", NAME, "--follow", "--tail", "1000")
    assert result.code == 0, result.all
    assert result.stdout.splitlines() == before + before  # the same lines, here as the new one's
    assert "'sandbox-user/gpt2-demo' was deleted and created again (at 2031-01-01T00:00:00Z)" in result.stderr
    assert "may be missing" not in result.stderr


@pytest.mark.usefixtures("applied")
def test_undated_logs_that_started_over_are_shown_when_the_server_goes_quiet(
    cli: Cli, sandbox: Sandbox, clock: Sleeps
) -> None:
    """Logs without dates, and a replica that restarted between two streams: the new stream holds none
    of the lines shown. Its keep-alive says it sent all it had: its lines are shown, with a warning,
    rather than held until 1000 entries come."""
    sandbox.add_middleware(serving([["a", "b"], ["x", "", "y"]]))
    sandbox.add_middleware(deleted_after(sandbox, 2))
    result = cli("logs", NAME, "--follow")
    assert result.code == 0, result.all
    assert result.stdout.splitlines() == ["a", "b", "x", "y"]
    assert "may be missing" in result.stderr


@pytest.mark.usefixtures("applied")
def test_the_sandbox_says_it_is_idle_with_keep_alives_and_nothing_is_shown_twice(
    cli: Cli, sandbox: Sandbox, clock: Sleeps
) -> None:
    sandbox.config.keepalive_seconds = 0.01
    before = cli("logs", NAME, "--tail", "1000").stdout.splitlines()
    events = sum(1 for line in before if line_time(line) is not None)
    # Each stream ends after its events and 3 keep-alives (a chunk each).
    sandbox.install_faults(
        FaultConfig((FaultRule(FaultKind.END_AFTER, route=SSE, events=events + 3, limit=2),))
    )
    sandbox.add_middleware(deleted_after(sandbox, 2))
    result = cli("logs", NAME, "--follow")
    assert result.code == 0, result.all
    assert result.stdout.splitlines() == before
    assert "may be missing" not in result.stderr
