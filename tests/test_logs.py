"""`endpointctl logs`: the lines the sandbox's containers print as the lifecycle moves, read over loopback.

Tail, --since (filtered here, on each line's timestamp), --replica, --follow (until the endpoint is
deleted or Ctrl-C/SIGTERM; reconnects: test_logs_follow), escapes and redaction, and servers that send
too much, nothing readable, or an error: each ends in a bounded, clear result. No test sleeps: the
sandbox's clock is a ManualClock, and a follow is watched through what it writes.
"""

from __future__ import annotations

import io
import itertools
import json
import os
import pathlib
import random
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx2
import pytest
from clirunner import Cli, Run
from huggingface_hub.utils._http import default_client_factory, set_client_factory
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_cli_apply import manifest, write

from endpointctl.cli import CommandEnv, main
from endpointctl.core.bounded_lines import Limits, TooMuch, split
from endpointctl.core.errors import ApiError, AuthError
from endpointctl.core.logs import MAX_SINCE_SECONDS, SinceFilter, line_time, lines_of, parse_since
from endpointctl.core.redact import Redactor
from endpointctl.core.settings import OutputMode, TokenInfo
from endpointctl.hub import Hub
from endpointctl.hub.logs import MAX_ENTRY_LINES
from endpointctl.sandbox import ManualClock, Request, Response, Sandbox
from endpointctl.ui import logs as shown
from endpointctl.ui.sink import Output

LOGS = "GET /v2/endpoint/{namespace}/{name}/logs"
SSE = "GET /v2/endpoint/{namespace}/{name}/logs/sse"
GET_ONE = "GET /v2/endpoint/{namespace}/{name}"
STAMPED = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z (\S+) (INFO|ERROR) ")
SECRET = "s3cr3t-api-key-value"

Middleware = Callable[[Request, Callable[[Request], Response]], Response]


@pytest.fixture
def applied(cli: Cli, tmp_path: pathlib.Path, clock: ManualClock) -> str:
    """gpt2-demo, deployed and running (the sandbox's phases are a second each)."""
    path = write(tmp_path, "m.yaml", manifest())
    assert cli("apply", path, "--yes").code == 0
    clock.advance(10)
    return path


def answering(route: str, make: Callable[[Request], Response]) -> Middleware:
    def middleware(request: Request, call_next: Callable[[Request], Response]) -> Response:
        return make(request) if request.route == route else call_next(request)

    return middleware


def recording(seen: list[Request]) -> Middleware:
    def middleware(request: Request, call_next: Callable[[Request], Response]) -> Response:
        seen.append(request)
        return call_next(request)

    return middleware


def once_then_deleted(
    chunks: Callable[[], Iterator[bytes]], content_type: str = "text/event-stream"
) -> Middleware:
    """The event stream answered with ``chunks``; once it was asked for, the endpoint reads as deleted
    (404): a follow ends after that one stream instead of connecting again."""
    served = threading.Event()

    def middleware(request: Request, call_next: Callable[[Request], Response]) -> Response:
        if request.route == SSE:
            served.set()
            return Response(status=200, content_type=content_type, stream=chunks())
        if request.route == GET_ONE and served.is_set():
            return Response(status=404, body=b'{"error": "Endpoint not found"}')
        return call_next(request)

    return middleware


def text(body: str | bytes, status: int = 200) -> Callable[[Request], Response]:
    raw = body.encode() if isinstance(body, str) else body
    return lambda _: Response(status=status, body=raw, content_type="text/plain")


def streaming(chunks: Callable[[], Iterator[bytes]], content_type: str) -> Callable[[Request], Response]:
    return lambda _: Response(status=200, content_type=content_type, stream=chunks())


def messages(stdout: str) -> list[str]:
    """Each line's text after its timestamp and replica."""
    return [STAMPED.sub("", line) for line in stdout.splitlines()]


# -- what the containers print ------------------------------------------------------------------------


def test_the_lines_follow_the_lifecycle_and_name_the_listed_replica(
    cli: Cli, applied: str, sandbox: Sandbox
) -> None:
    assert cli("invoke", "gpt2-demo", "--data", '{"inputs": "hi"}').code == 0
    result = cli("logs", "gpt2-demo")
    assert result.code == 0, result.all
    lines = result.stdout.splitlines()
    assert all(STAMPED.match(line) for line in lines), lines
    said = messages(result.stdout)
    assert said[0] == "Scheduling the replica on aws us-east-1 intel-spr x2"
    assert said[1].startswith("Pulling the huggingface image")
    assert said[3].startswith("Loading model openai-community/gpt2 at revision ")
    assert said[4:] == [
        "Model loaded; serving on port 80",
        "Health route /health answered 200: the replica is ready",
        '"POST / HTTP/1.1" 200',
    ]
    (replica,) = json.loads(cli("replicas", "gpt2-demo", "-o", "json").stdout)
    assert {STAMPED.match(line).group(1) for line in lines} == {replica["id"]}  # type: ignore[union-attr]
    assert replica["status"] == "running"


def test_tail_keeps_the_last_lines(cli: Cli, applied: str) -> None:
    every = cli("logs", "gpt2-demo").stdout.splitlines()
    assert cli("logs", "gpt2-demo", "--tail", "2").stdout.splitlines() == every[-2:]
    assert cli("logs", "gpt2-demo", "--tail", "0").stdout == ""


def test_since_is_applied_here_on_each_lines_timestamp(
    cli: Cli, applied: str, sandbox: Sandbox, clock: ManualClock
) -> None:
    clock.advance(100)
    assert cli("invoke", "gpt2-demo", "--data", '{"inputs": "hi"}').code == 0
    seen: list[Request] = []
    sandbox.add_middleware(recording(seen))
    recent = cli("logs", "gpt2-demo", "--since", "30s")
    assert recent.code == 0, recent.all
    assert messages(recent.stdout) == ['"POST / HTTP/1.1" 200']
    (asked,) = [r for r in seen if r.route == LOGS]
    assert "since" not in asked.query  # the route takes none: the filter is ours
    assert asked.query["tail"] == "10000"  # with --since, as many lines as may be asked for
    assert len(cli("logs", "gpt2-demo", "--since", "1h30m").stdout.splitlines()) == 7


def test_since_without_dated_lines_keeps_them_all_and_says_so(
    cli: Cli, applied: str, sandbox: Sandbox
) -> None:
    sandbox.add_middleware(answering(LOGS, text("starting\nready\n")))
    result = cli("logs", "gpt2-demo", "--since", "5m")
    assert result.stdout == "starting\nready\n"
    assert "no line started with a timestamp: --since left every line in" in result.stderr


@pytest.mark.parametrize("bad", ["10", "m", "1x", "-5m", "0s", "31d", "1.5h"])
def test_a_bad_since_is_a_usage_error_before_any_call(cli: Cli, sandbox: Sandbox, bad: str) -> None:
    result = cli("logs", "gpt2-demo", "--since", bad)
    assert result.code == 2
    assert "--since" in result.stderr
    assert sandbox.counts().get(LOGS) is None


def test_the_replica_filter_is_sent_and_honoured(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path, clock: ManualClock
) -> None:
    path = write(tmp_path, "m.yaml", manifest(scaling={"minReplica": 2, "maxReplica": 2}))
    assert cli("apply", path, "--yes").code == 0
    clock.advance(10)
    ids = [r["id"] for r in json.loads(cli("replicas", "gpt2-demo", "-o", "json").stdout)]
    assert len(set(ids)) == 2
    seen: list[Request] = []
    sandbox.add_middleware(recording(seen))
    one = cli("logs", "gpt2-demo", "--replica", ids[1])
    assert one.code == 0
    assert {STAMPED.match(line).group(1) for line in one.stdout.splitlines()} == {ids[1]}  # type: ignore[union-attr]
    assert seen[-1].query["replica"] == ids[1]
    both = cli("logs", "gpt2-demo").stdout.splitlines()
    assert len(both) == 2 * len(one.stdout.splitlines())


REPLICAS = "GET /v2/endpoint/{namespace}/{name}/replica"


def test_a_replica_id_that_names_no_replica_is_exit_1_naming_the_replicas_there(
    cli: Cli, applied: str, sandbox: Sandbox
) -> None:
    (running,) = json.loads(cli("replicas", "gpt2-demo", "-o", "json").stdout)
    missed = cli("logs", "gpt2-demo", "--replica", "no-such-replica")
    assert missed.code == 1, missed.all
    assert missed.stdout == ""
    assert (
        "error: no replica 'no-such-replica' of 'sandbox-user/gpt2-demo': no log line is from it, "
        f"and its replicas now: {running['id']}"
    ) in missed.stderr
    assert "`endpointctl replicas gpt2-demo` lists its replicas' IDs" in missed.stderr
    as_json = cli("logs", "gpt2-demo", "--replica", "no-such-replica", "-o", "json")
    assert (as_json.code, json.loads(as_json.stdout)) == (1, [])  # a document a pipeline can still parse
    # Following it would print nothing, forever: told before any stream is opened.
    sandbox.reset_counts()
    followed = cli("logs", "gpt2-demo", "--replica", "no-such-replica", "--follow")
    assert followed.code == 1 and "no replica 'no-such-replica'" in followed.stderr
    assert SSE not in sandbox.counts()
    # A replica list that cannot be read cannot name the ID either: still no match, and said why.
    denied = json.dumps({"error": "no replica list on this plan"}).encode()
    sandbox.add_middleware(
        answering(REPLICAS, lambda _: Response(status=403, body=denied, content_type="application/json"))
    )
    unlisted = cli("logs", "gpt2-demo", "--replica", "no-such-replica")
    assert unlisted.code == 1 and "its replica list could not be read" in unlisted.stderr


def test_a_stopped_replica_s_lines_still_show_and_an_unknown_one_after_a_pause_is_exit_1(
    cli: Cli, applied: str
) -> None:
    (before,) = json.loads(cli("replicas", "gpt2-demo", "-o", "json").stdout)
    assert cli("pause", "gpt2-demo").code == 0
    stopped = cli("logs", "gpt2-demo", "--replica", before["id"])  # listed no more; its lines are kept
    assert stopped.code == 0, stopped.all
    assert messages(stopped.stdout)[-1] == "Stopping: the endpoint was paused"
    none_asked = cli("logs", "gpt2-demo", "--replica", before["id"], "--tail", "0")
    assert (none_asked.code, none_asked.stdout) == (0, "")  # no line asked for is no sign of no replica
    missed = cli("logs", "gpt2-demo", "--replica", "no-such-replica")
    assert missed.code == 1, missed.all
    assert "no log line is from it, and it runs no replica now" in missed.stderr


def test_pause_resume_and_scale_to_zero_are_in_the_logs(cli: Cli, applied: str, clock: ManualClock) -> None:
    (before,) = json.loads(cli("replicas", "gpt2-demo", "-o", "json").stdout)
    assert cli("pause", "gpt2-demo").code == 0
    assert cli("replicas", "gpt2-demo").stdout.startswith("No replicas")
    assert cli("resume", "gpt2-demo").code == 0
    clock.advance(10)
    (after,) = json.loads(cli("replicas", "gpt2-demo", "-o", "json").stdout)
    assert after["id"] != before["id"]  # a resume deploys a new replica
    assert cli("scale-to-zero", "gpt2-demo").code == 0
    lines = cli("logs", "gpt2-demo").stdout.splitlines()
    stopped = [line for line in lines if "Stopping: the endpoint was paused" in line]
    assert len(stopped) == 1 and before["id"] in stopped[0]
    assert sum("Scheduling the replica" in line for line in lines) == 2
    assert any(after["id"] in line and "Stopping: scaled to zero" in line for line in lines)


def test_an_idle_scale_to_zero_and_the_cold_start_after_it(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path, clock: ManualClock
) -> None:
    path = write(
        tmp_path, "m.yaml", manifest(scaling={"minReplica": 0, "maxReplica": 1, "scaleToZeroTimeout": 1})
    )
    assert cli("apply", path, "--yes").code == 0
    clock.advance(120)  # ready after 2 s, idle for a minute: scaled to zero
    assert (
        messages(cli("logs", "gpt2-demo").stdout)[-1] == "Stopping: no request for 1 minutes, scaling to zero"
    )
    assert cli("invoke", "gpt2-demo", "--data", '{"inputs": "hi"}').code == 0
    clock.advance(10)
    said = messages(cli("logs", "gpt2-demo").stdout)
    idle = said.index("Stopping: no request for 1 minutes, scaling to zero")  # written for good now
    assert said[idle + 1] == "Scaling up from zero: a request arrived"


# -- follow ---------------------------------------------------------------------------------------------


class Watched(io.StringIO):
    """A stream that says when a text has been written to it."""

    def __init__(self, until: str) -> None:
        super().__init__()
        self.until = until
        self.seen = threading.Event()

    def write(self, s: str) -> int:
        written = super().write(s)
        if self.until in self.getvalue():
            self.seen.set()
        return written


def run_cli(cli: Cli, stdout: io.StringIO, *argv: str) -> Run:
    stderr = io.StringIO()
    env = CommandEnv(
        environ=dict(cli.environ),
        clock=cli.clock,
        interactive=False,
        out=Output(stdout=stdout, stderr=stderr),
    )
    code = main(list(argv), env=env)
    return Run(code, stdout.getvalue(), stderr.getvalue())


def test_follow_shows_new_lines_and_ends_when_the_endpoint_is_deleted(
    cli: Cli, applied: str, sandbox: Sandbox
) -> None:
    out = Watched('"POST / HTTP/1.1" 200')
    ran: list[Run] = []
    follower = threading.Thread(target=lambda: ran.append(run_cli(cli, out, "logs", "gpt2-demo", "--follow")))
    follower.start()
    try:
        # A line written after the follow began reaches it: a request served.
        assert cli("invoke", "gpt2-demo", "--data", '{"inputs": "hi"}').code == 0
        assert out.seen.wait(30), out.getvalue()
        assert cli("delete", "gpt2-demo", "--yes").code == 0
    finally:
        follower.join(30)
    assert not follower.is_alive()
    (result,) = ran
    assert result.code == 0, result.all
    assert messages(result.stdout)[-1] == '"POST / HTTP/1.1" 200'
    assert "'sandbox-user/gpt2-demo' was deleted: its log stream ended" in result.stderr
    assert sandbox.counts()[SSE] == 1


def test_follow_reads_events_and_ends_with_the_endpoint(cli: Cli, applied: str, sandbox: Sandbox) -> None:
    def events() -> Iterator[bytes]:
        yield b"data: 2025-10-09T08:53:20Z r1 one\n\n"
        yield b": keepalive\n\nid: 7\nevent: message\ndata: 2025-10-09T08:53:21Z r1 two\n\n"
        yield b'data: {"timestamp": "2025-10-09T08:53:22Z", "replica": "r2", "message": "three"}\n\n'

    sandbox.add_middleware(once_then_deleted(events))
    result = cli("logs", "gpt2-demo", "--follow", "--tail", "3")
    assert result.code == 0, result.all
    assert result.stdout.splitlines() == [
        "2025-10-09T08:53:20Z r1 one",
        "2025-10-09T08:53:21Z r1 two",
        "2025-10-09T08:53:22Z r2 three",
    ]
    assert "'sandbox-user/gpt2-demo' was deleted: its log stream ended" in result.stderr


def test_follow_json_is_one_record_per_line(cli: Cli, applied: str, sandbox: Sandbox) -> None:
    def events() -> Iterator[bytes]:
        yield b"data: 2025-10-09T08:53:20.5Z r1 one\n\ndata: two\n\n"

    sandbox.add_middleware(once_then_deleted(events))
    result = cli("logs", "gpt2-demo", "--follow", "-o", "json")
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert records == [
        {"time": "2025-10-09T08:53:20.500Z", "replica": None, "line": "2025-10-09T08:53:20.5Z r1 one"},
        {"time": None, "replica": None, "line": "two"},
    ]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_follow_stops_cleanly_on_an_interrupt(cli: Cli, applied: str, signum: int) -> None:
    """A real Ctrl-C (or a runner's SIGTERM) to a separate process: a signal sent to the test's own
    process could land after the command ended and stop the test worker instead."""
    child = subprocess.Popen(
        [sys.executable, "-m", "endpointctl", "logs", "gpt2-demo", "--follow"],
        env={**os.environ, **cli.environ},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        seen = ""
        for line in iter(child.stdout.readline, ""):
            seen += line
            if "the replica is ready" in line:
                break
        assert "the replica is ready" in seen, seen
        child.send_signal(signum)
        rest, stderr = child.communicate(timeout=30)
    finally:
        child.kill()
        child.wait(30)
    assert child.returncode == 130, seen + rest + stderr
    assert "interrupted: stopped following the logs of 'sandbox-user/gpt2-demo'" in stderr
    assert "Traceback" not in stderr


# -- what a line may hold -------------------------------------------------------------------------------


def test_control_characters_in_a_line_are_shown_as_escapes(cli: Cli, applied: str, sandbox: Sandbox) -> None:
    evil = "2025-10-09T08:53:20Z r1 \x1b]0;owned\x07 \x1b[2J\x9b31m gpt.\u202eexe\r done"
    sandbox.add_middleware(answering(LOGS, text(evil + "\n")))
    shown = cli("logs", "gpt2-demo")
    assert shown.stdout == (
        "2025-10-09T08:53:20Z r1 \\x1b]0;owned\\x07 \\x1b[2J\\x9b31m gpt.\\u202eexe\\x0d done\n"
    )
    carried = cli("logs", "gpt2-demo", "-o", "json")
    assert "\x1b" not in carried.stdout and "\x9b" not in carried.stdout
    assert json.loads(carried.stdout)[0]["line"] == evil  # JSON carries the exact value


def test_a_line_echoing_a_secret_is_masked(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path, clock: ManualClock, token: str
) -> None:
    path = write(tmp_path, "m.yaml", manifest(secrets={"API_KEY": "${MY_KEY}"}))
    environ = {"MY_KEY": SECRET}
    assert cli("apply", path, "--yes", env=environ).code == 0
    clock.advance(10)
    # The sandbox's container prints its environment, secrets included, as a careless image would.
    for args in ([], ["-o", "json"], ["-o", "yaml"]):
        result = cli("logs", "-f", path, *args, env=environ)
        assert "API_KEY=***" in result.stdout, result.all
        assert SECRET not in result.all and SECRET[:8] not in result.all
    echo = f"data: env API_KEY={SECRET}\n\n".encode()
    sandbox.add_middleware(once_then_deleted(lambda: iter([echo])))
    followed = cli("logs", "-f", path, "--follow", env=environ)
    assert followed.stdout == "env API_KEY=***\n"
    other = "hf_" + "A1b2" * 9
    sandbox.add_middleware(answering(LOGS, text(f"login with {token} or {other} and {SECRET[:12]}…\n")))
    masked = cli("logs", "-f", path, env=environ).stdout
    assert token not in masked and other not in masked and SECRET[:8] not in masked
    assert masked.count("***") == 3


# -- servers that misbehave -----------------------------------------------------------------------------


def test_a_line_longer_than_asked_is_cut(cli: Cli, applied: str, sandbox: Sandbox) -> None:
    sandbox.add_middleware(answering(LOGS, text("x" * 5000 + "\nshort\n")))
    result = cli("logs", "gpt2-demo")
    first, second = result.stdout.splitlines()
    assert first == "x" * 1999 + "…" and second == "short"


def test_a_giant_line_is_a_clear_error(cli: Cli, applied: str, sandbox: Sandbox) -> None:
    sandbox.add_middleware(answering(LOGS, text(b"y" * (3 * 1024 * 1024))))
    result = cli("logs", "gpt2-demo")
    assert result.code == 1
    assert (
        "reading the logs of endpoint 'sandbox-user/gpt2-demo': the API sent a line longer than"
        in result.stderr
    )
    assert "unexpected" not in result.stderr


def test_an_endless_body_is_a_clear_bounded_error(cli: Cli, applied: str, sandbox: Sandbox) -> None:
    def endless() -> Iterator[bytes]:
        return itertools.repeat(b"2025-10-09T08:53:20Z r1 again and again\n" * 1000)

    sandbox.add_middleware(answering(LOGS, streaming(endless, "text/plain")))
    result = cli("logs", "gpt2-demo")
    assert result.code == 1
    assert "the API sent more than 16 MiB without ending; stopped reading there" in result.stderr
    assert result.stdout == ""


def test_a_follow_whose_line_never_ends_is_a_clear_error(cli: Cli, applied: str, sandbox: Sandbox) -> None:
    def endless() -> Iterator[bytes]:
        yield b"data: fine\n\ndata: "
        yield from itertools.repeat(b"z" * 65536)

    sandbox.add_middleware(answering(SSE, streaming(endless, "text/event-stream")))
    result = cli("logs", "gpt2-demo", "--follow")
    assert result.code == 1
    assert result.stdout == "fine\n"
    assert (
        "following the logs of endpoint 'sandbox-user/gpt2-demo': the API sent a line longer than"
        in result.stderr
    )


def test_a_500_is_a_clear_error(cli: Cli, applied: str, sandbox: Sandbox) -> None:
    sandbox.add_middleware(
        answering(LOGS, lambda _: Response(status=500, body=b'{"error": "log store down"}'))
    )
    result = cli("logs", "gpt2-demo")
    assert result.code == 1
    assert (
        "error: reading the logs of endpoint 'sandbox-user/gpt2-demo': the API answered 500: log store down"
        in result.stderr
    )


def test_an_endpoint_that_does_not_exist_is_a_clear_404(cli: Cli, sandbox: Sandbox) -> None:
    for args in ([], ["--follow"]):
        result = cli("logs", "ghost", *args)
        assert result.code == 1
        assert "endpoint 'sandbox-user/ghost': the API answered 404: Endpoint not found" in result.stderr


def test_a_json_answer_is_read_too(cli: Cli, applied: str, sandbox: Sandbox) -> None:
    doc = {"logs": [{"timestamp": "2025-10-09T08:53:20Z", "message": "one"}, "two\nthree", {"other": 1}]}
    sandbox.add_middleware(
        answering(LOGS, lambda _: Response(status=200, body=json.dumps(doc).encode()))  # application/json
    )
    assert cli("logs", "gpt2-demo").stdout.splitlines() == [
        "2025-10-09T08:53:20Z one",
        "two",
        "three",
        '{"other": 1}',
    ]


# -- the command itself ---------------------------------------------------------------------------------


def test_name_or_manifest_and_one_endpoint_only(cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path) -> None:
    write(tmp_path, "a.yaml", manifest("a"))
    write(tmp_path, "b.yaml", manifest("b"))
    assert cli("logs").code == 2
    assert cli("logs", "a", "-f", str(tmp_path / "a.yaml")).code == 2
    many = cli("logs", "-f", str(tmp_path))
    assert many.code == 2 and "-f must name exactly one endpoint" in many.stderr
    assert cli("logs", "x", "--follow", "-o", "markdown").code == 2
    assert sandbox.counts() == {}


def test_markdown_is_a_table_of_inline_code(cli: Cli, applied: str, sandbox: Sandbox) -> None:
    sandbox.add_middleware(answering(LOGS, text("a ``` fence | pipe\n<script>@alice\n")))
    result = cli("logs", "gpt2-demo", "-o", "markdown")
    assert result.stdout == (
        "**2 log lines**\n\n| Line |\n| --- |\n"
        "| <code>a &#96;&#96;&#96; fence &#124; pipe</code> |\n| <code>&lt;script&gt;@alice</code> |\n"
    )


def test_a_secret_over_several_lines_is_masked_line_by_line(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path, clock: ManualClock
) -> None:
    key = "-----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7\n-----END KEY-----"
    path = write(tmp_path, "m.yaml", manifest(secrets={"PEM": "${MY_KEY}"}))
    assert cli("apply", path, "--yes", env={"MY_KEY": key}).code == 0
    clock.advance(10)
    printed = "".join(f"2025-10-09T08:53:20Z r1 {part}\n" for part in key.splitlines())
    sandbox.add_middleware(answering(LOGS, text(printed)))
    result = cli("logs", "-f", path, env={"MY_KEY": key})
    assert (
        "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC" not in result.stdout
        and "BKcwggSjAgEAAoIBAQC7" not in result.stdout
    )
    assert result.stdout.count("***") == 4


@pytest.mark.parametrize("command", ["logs", "replicas"])
def test_help_ends_with_examples_from_the_manifests(
    cli: Cli, command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    names = {
        line.split(":", 1)[1].strip()
        for path in pathlib.Path(__file__).resolve().parent.parent.glob("manifests/*.yaml")
        for line in path.read_text().splitlines()
        if line.startswith("  name:")
    }
    assert cli(command, "--help").code == 0
    examples = capsys.readouterr().out.rstrip().split("Examples:")[-1].strip().splitlines()
    assert examples and all(line.strip().startswith(f"endpointctl {command} ") for line in examples)
    for line in examples:
        words = line.split("#")[0].split()
        assert any(word in names or word.startswith("manifests/") for word in words), line


# -- the pure parts, over inputs that vary ----------------------------------------------------------------

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@given(st.lists(st.tuples(st.integers(0, 5000), st.sampled_from("smhd")), min_size=1, max_size=4))
def test_since_adds_its_parts(parts: list[tuple[int, str]]) -> None:
    text = "".join(f"{n}{unit}" for n, unit in parts)
    total = sum(n * UNITS[unit] for n, unit in parts)
    if 0 < total <= MAX_SINCE_SECONDS:
        assert parse_since(text) == total
        assert parse_since(f" {text.upper()} ") == total
    else:
        with pytest.raises(ValueError, match=re.escape(repr(text))):
            parse_since(text)


@given(st.text(max_size=30))
def test_since_refuses_anything_else_with_a_value_error(text: str) -> None:
    try:
        seconds = parse_since(text)
    except ValueError:
        return
    assert 0 < seconds <= MAX_SINCE_SECONDS


@given(
    st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2999, 12, 31), timezones=st.just(UTC)),
    st.sampled_from(["Z", "+00:00", "+0200", "-05:30"]),
    st.sampled_from(["T", " "]),
    st.text(max_size=20),
)
def test_a_line_is_dated_by_the_timestamp_it_starts_with(
    when: datetime, offset: str, separator: str, rest: str
) -> None:
    zone = UTC if offset in ("Z", "+00:00") else datetime.strptime(offset, "%z").tzinfo
    local = when.astimezone(zone)
    stamp = local.strftime(f"%Y-%m-%d{separator}%H:%M:%S.%f") + offset
    assert line_time(f"{stamp} {rest}") == pytest.approx(when.timestamp(), abs=1e-6)
    assert line_time(f"x{stamp}") is None


def test_since_keeps_undated_lines_with_the_dated_line_before() -> None:
    lines = [
        "undated first",
        "2025-01-01T00:00:00Z old",
        "  traceback of old",
        "2025-01-01T00:10:00Z new",
        "  more",
    ]
    cutoff = datetime(2025, 1, 1, 0, 5, tzinfo=UTC).timestamp()
    since = SinceFilter(cutoff)
    assert since.apply(lines) == ["undated first", "2025-01-01T00:10:00Z new", "  more"]
    assert since.dated


@given(st.binary(max_size=3000), st.lists(st.integers(1, 400), max_size=20), st.integers(1, 64))
def test_splitting_is_bounded_and_loses_nothing_it_does_not_mark(
    body: bytes, cuts: list[int], width: int
) -> None:
    chunks, rest = [], body
    for size in cuts:
        chunks.append(rest[:size])
        rest = rest[size:]
    chunks.append(rest)
    limits = Limits(line_bytes=width, line_discard=500, total_bytes=2000)
    try:
        lines = list(split(iter(chunks), limits))
    except TooMuch:
        longest = max((len(part) for part in body.split(b"\n")), default=0)
        assert len(body) > 2000 or longest > width + 500
        return
    assert len(body) <= 2000
    expected = body.split(b"\n")
    if expected[-1] == b"":
        expected.pop()
    assert len(lines) == len(expected)
    for line, raw in zip(lines, expected, strict=True):
        assert "\n" not in line
        if len(raw) > width:
            assert line.endswith("…") and len(line.encode("utf-8", "surrogatepass")) <= 4 * width + 3
        else:
            assert line == (raw[:-1] if raw.endswith(b"\r") else raw).decode("utf-8", "replace")


@given(st.lists(st.text(max_size=80), max_size=10))
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_line_reaches_the_terminal_without_a_control_character(lines: list[str]) -> None:
    buffer = io.StringIO()
    out = Output(stdout=buffer, redactor=Redactor(["hf_the_token_value_123"]))
    out.result(shown.lines(lines, OutputMode.TABLE, None, scrub=out.redactor.scrub))
    written = buffer.getvalue()
    assert written.count("\n") == len(lines)
    assert not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\ud800-\udfff]", written)


# -- the hub's HTTP layer, against scripted answers (httpx2.MockTransport) -----------------------------------

HUB_TOKEN = "hf_unit_test_token_value"


@pytest.fixture
def answers() -> Iterator[list[Any]]:
    script: list[Any] = []
    yield script
    set_client_factory(default_client_factory)


def scripted_hub(script: list[Any], seen: list[httpx2.Request] | None = None) -> Hub:
    def handle(request: httpx2.Request) -> httpx2.Response:
        if seen is not None:
            seen.append(request)
        answer = script.pop(0) if len(script) > 1 else script[0]
        if isinstance(answer, Exception):
            raise answer
        return answer

    return Hub(
        token=TokenInfo(HUB_TOKEN, "the HF_TOKEN environment variable"),
        api_url="https://api.test",
        clock=ManualClock(),
        retry_seconds=30,
        rng=random.Random(2),
        client_factory=lambda: httpx2.Client(transport=httpx2.MockTransport(handle)),
    )


@given(st.binary(max_size=5000))
@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_bytes_are_read_as_bounded_lines_or_a_clear_error(answers: list[Any], body: bytes) -> None:
    answers[:] = [httpx2.Response(200, content=body, headers={"Content-Type": "text/plain"})]
    try:
        lines = scripted_hub(answers).logs("acme", "gpt2-demo", tail=50, line_max_length=100)
    except ApiError:
        return
    assert len(lines) <= 50
    assert all("\n" not in line and len(line) <= 100 for line in lines)


def test_the_hub_sends_the_documented_query_and_huggingface_hubs_headers(answers: list[Any]) -> None:
    seen: list[httpx2.Request] = []
    answers.append(httpx2.Response(200, text="a\nb\n"))
    assert scripted_hub(answers, seen).logs("acme", "gpt2-demo", tail=1, replica="r1") == ["b"]
    (request,) = seen
    assert request.url.path == "/v2/endpoint/acme/gpt2-demo/logs"
    assert dict(request.url.params) == {"tail": "1", "line_max_length": "2000", "replica": "r1"}
    assert request.headers["authorization"] == f"Bearer {HUB_TOKEN}"
    assert "hf_hub/" in request.headers["user-agent"]


def test_the_follow_stream_reads_events_plain_text_and_a_break(answers: list[Any]) -> None:
    events = b"retry: 10\n: ping\nid: 1\ndata: one\ndata: two\n\nevent: message\ndata\n\n"
    answers.append(httpx2.Response(200, content=events, headers={"Content-Type": "text/event-stream"}))
    with scripted_hub(answers).follow_logs("acme", "gpt2-demo", tail=5) as entries:
        # An event whole (what ``tail`` counts); a comment, empty (the server is idle).
        assert list(entries) == [(), ("one", "two"), ("",)]
    answers[:] = [
        httpx2.Response(200, content=b"plain one\nplain two\n", headers={"Content-Type": "text/plain"})
    ]
    with scripted_hub(answers).follow_logs("acme", "gpt2-demo", tail=5) as entries:
        assert list(entries) == [("plain one",), ("plain two",)]

    class Breaking(httpx2.SyncByteStream):
        def __iter__(self) -> Iterator[bytes]:
            yield b"data: before\n\n"
            raise httpx2.ReadError("connection reset")

    answers[:] = [httpx2.Response(200, stream=Breaking(), headers={"Content-Type": "text/event-stream"})]
    with scripted_hub(answers).follow_logs("acme", "gpt2-demo", tail=5) as entries:
        assert next(entries) == ("before",)
        with pytest.raises(ApiError, match="the log stream broke off"):
            next(entries)


def test_an_event_without_end_is_cut_and_one_the_stream_ended_in_is_dropped(answers: list[Any]) -> None:
    """An event's lines are held until its blank line, at most MAX_ENTRY_LINES of them (a server sending
    one without end cannot fill memory); an event the stream ends in the middle of is dropped, as the SSE
    standard says (a follow asks for it again on reconnecting)."""
    many = MAX_ENTRY_LINES + 3
    events = "".join(f"data: {i}\n" for i in range(many)) + "\ndata: half\ndata: of an event"
    answers.append(
        httpx2.Response(200, content=events.encode(), headers={"Content-Type": "text/event-stream"})
    )
    with scripted_hub(answers).follow_logs("acme", "gpt2-demo", tail=5) as entries:
        got = list(entries)
    assert [len(entry) for entry in got] == [MAX_ENTRY_LINES, 3]
    assert [line for entry in got for line in entry] == [str(i) for i in range(many)]


def test_a_403_says_where_the_token_came_from(answers: list[Any]) -> None:
    answers.append(httpx2.Response(403, json={"error": "Logs are not part of your plan"}))
    with pytest.raises(AuthError) as raised:
        scripted_hub(answers).logs("acme", "gpt2-demo", tail=5)
    assert "the API answered 403: Logs are not part of your plan" in raised.value.message
    assert raised.value.hint is not None and "HF_TOKEN" in raised.value.hint


def test_an_error_body_is_read_only_so_far(answers: list[Any]) -> None:
    class Endless(httpx2.SyncByteStream):
        def __iter__(self) -> Iterator[bytes]:
            return itertools.repeat(b"e" * 4096)

    answers.append(httpx2.Response(500, stream=Endless()))
    with pytest.raises(ApiError, match="the API answered 500"):
        scripted_hub(answers).logs("acme", "gpt2-demo", tail=5)


@pytest.mark.parametrize("brk", ["\r", "\r\n", "\v", "\f", "\x1c", "\x85", "\u2028", "\u2029"])
def test_a_secret_broken_where_log_lines_break_is_masked_in_every_line(brk: str) -> None:
    # Followed logs are split with str.splitlines, which breaks at more than \n: a secret holding a lone
    # CR printed its second half (reviewer's reproduction).
    secret = f"firstHalf12345{brk}secondHalf6789"
    by_line = Redactor([secret]).line_by_line()
    shown = [by_line.scrub(line, truncated=True) for line in lines_of([f"API_KEY={secret} end"])]
    assert not any("secondHalf6789" in line or "firstHalf12345" in line for line in shown)
