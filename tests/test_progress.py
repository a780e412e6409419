"""The wait's displays: plain lines for CI (byte-exact), the live table for a terminal, the final result."""

from __future__ import annotations

import io
import json

from rich.console import Console

from endpointctl.core.outcomes import EndpointWait as EndpointReport
from endpointctl.core.outcomes import WaitOutcome as Outcome
from endpointctl.core.outcomes import WaitReport
from endpointctl.core.readiness import WaitTarget
from endpointctl.core.redact import Redactor
from endpointctl.core.settings import OutputMode as Mode
from endpointctl.ui.live_display import LiveDisplay
from endpointctl.ui.progress import PlainDisplay, choose, report_problems
from endpointctl.ui.render import elapsed_text
from endpointctl.ui.render import wait_report as render_report
from endpointctl.ui.sink import Output

T0 = 1_795_579_262.0  # 2026-11-25T04:01:02Z
SECRET = "hf_very_secret_token_value"


class Wall:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


def outcome(name: str, kind: Outcome, status: str, message: str, hint: str | None = None) -> EndpointReport:
    return EndpointReport(
        target=WaitTarget("acme", name),
        outcome=kind,
        status=status,
        message=message,
        hint=hint,
        health_checked=kind is Outcome.READY,
        elapsed=125.0,
        endpoint=None,
    )


REPORT = WaitReport(
    (
        outcome("gpt2-demo", Outcome.READY, "running", "health route /health answered 200"),
        outcome(
            "custom",
            Outcome.TIMEOUT,
            "initializing",
            "Endpoint is initializing",
            "a custom container stuck in initializing usually listens on the wrong port",
        ),
        outcome("broken", Outcome.FAILED, "failed", "endpoint 'acme/broken' failed: boom", "re-create it"),
    ),
    polls=9,
    elapsed=125.0,
    timeout=120.0,
)


def output() -> tuple[Output, io.StringIO, io.StringIO]:
    stdout, stderr = io.StringIO(), io.StringIO()
    return Output(stdout=stdout, stderr=stderr, redactor=Redactor([SECRET])), stdout, stderr


def test_plain_mode_prints_one_timestamped_line_per_change_and_no_control_characters() -> None:
    out, stdout, stderr = output()
    wall = Wall()
    display = PlainDisplay(out, wall)
    display.update("gpt2-demo", "pending", "Endpoint waiting to be scheduled", 0.0)
    wall.now += 1
    display.update("gpt2-demo", "pending", "Endpoint waiting to be scheduled", 1.0)  # no change: no line
    display.update("gpt2-demo", "initializing", "Endpoint is initializing", 1.0)
    wall.now += 2
    display.update("gpt2-demo", "running", f"health route answered 503 ({SECRET})", 3.0)
    wall.now += 62
    display.update("gpt2-demo", "ready", "health route /health answered 200", 65.0, final=True)
    display.done(REPORT)

    assert stdout.getvalue() == ""
    assert stderr.getvalue() == (
        "2026-11-25T04:01:02Z gpt2-demo pending: Endpoint waiting to be scheduled\n"
        "2026-11-25T04:01:03Z gpt2-demo pending → initializing: Endpoint is initializing\n"
        "2026-11-25T04:01:05Z gpt2-demo initializing → running: health route answered 503 (***)\n"
        "2026-11-25T04:02:07Z gpt2-demo running → ready: health route /health answered 200\n"
        "2026-11-25T04:02:07Z waited 2m05s: 1 ready, 1 failed, 1 timeout\n"
    )
    assert "\x1b" not in stderr.getvalue() and "\r" not in stderr.getvalue()


def test_plain_mode_on_an_ascii_stream_uses_an_ascii_arrow() -> None:
    raw = io.BytesIO()
    stderr = io.TextIOWrapper(raw, encoding="ascii")
    out = Output(stdout=io.StringIO(), stderr=stderr)
    display = PlainDisplay(out, Wall())
    display.update("a", "pending", "waiting", 0.0)
    display.update("a", "initializing", "booting", 1.0)
    assert (
        raw.getvalue().decode().splitlines()[1] == "2026-11-25T04:01:02Z a pending -> initializing: booting"
    )


def test_plain_mode_shows_a_new_message_in_the_same_state_without_an_arrow() -> None:
    out, _, stderr = output()
    display = PlainDisplay(out, Wall())
    display.update("a", "running", "health route /health answered 503", 3.0)
    display.update("a", "running", "health route not reachable: refused", 5.0)
    assert (
        stderr.getvalue().splitlines()[1]
        == "2026-11-25T04:01:02Z a running: health route not reachable: refused"
    )


def test_live_mode_renders_one_line_per_endpoint_in_place() -> None:
    file = io.StringIO()
    console = Console(file=file, force_terminal=True, width=120)
    now = Wall()
    display = LiveDisplay(console, Redactor([SECRET]), now, auto_refresh=False)
    with display:
        display.update("gpt2-demo", "initializing", "Endpoint is initializing", 0.0)
        display.update("whisper", "pending", f"Endpoint waiting to be scheduled {SECRET}", 0.0)
        now.now += 75
        display.update("gpt2-demo", "ready", "health route /health answered 200", 75.0, final=True)
        display.done(REPORT)
    text = file.getvalue()
    assert "\x1b" in text  # drawn for a terminal, redrawn in place
    for fragment in (
        "NAME",
        "STATE",
        "ELAPSED",
        "MESSAGE",
        "gpt2-demo",
        "whisper",
        "initializing",
        "pending",
    ):
        assert fragment in text
    assert "ready" in text and "1m15s" in text
    assert "waited 2m05s: 1 ready, 1 failed, 1 timeout" in text
    assert SECRET not in text and "***" in text


def test_live_mode_elapsed_keeps_ticking_between_polls_and_stops_when_final() -> None:
    now = Wall()
    display = LiveDisplay(
        Console(file=io.StringIO(), force_terminal=True), Redactor(), now, auto_refresh=False
    )
    display.update("a", "initializing", "booting", 10.0)
    display.update("b", "ready", "ok", 10.0, final=True)
    now.now += 50
    rendered = io.StringIO()
    Console(file=rendered, width=100).print(display.render())
    display.done(REPORT)
    lines = rendered.getvalue().splitlines()
    assert "1m00s" in next(line for line in lines if line.startswith("a "))
    assert "10s" in next(line for line in lines if line.startswith("b "))


def test_quiet_shows_nothing_while_waiting() -> None:
    out, stdout, stderr = output()
    wall = Wall()
    with choose(out, quiet=True, wall=wall, now=wall) as display:
        display.update("a", "pending", "waiting", 0.0)
        display.update("a", "ready", "health route /health answered 200", 3.0, final=True)
        display.done(REPORT)  # the command prints the result itself
    assert (stdout.getvalue(), stderr.getvalue()) == ("", "")
    # The same calls without --quiet do write: silence is the quiet display's choice.
    with choose(out, quiet=False, wall=wall, now=wall) as display:
        display.update("a", "pending", "waiting", 0.0)
    assert "a pending: waiting" in stderr.getvalue()


def test_final_result_as_json_has_one_record_per_endpoint() -> None:
    records = json.loads(render_report(REPORT, Mode.JSON))
    assert records[0] == {
        "name": "gpt2-demo",
        "namespace": "acme",
        "ready": True,
        "status": "running",
        "message": "health route /health answered 200",
        "healthChecked": True,
        "elapsedSeconds": 125.0,
        "outcome": "ready",
        "hint": None,
        "logs": None,
        "logsUnavailable": None,
    }
    assert [r["outcome"] for r in records] == ["ready", "timeout", "failed"]


def test_final_result_as_a_table() -> None:
    table = render_report(REPORT, Mode.TABLE).splitlines()
    assert table[0].split() == ["NAME", "NAMESPACE", "OUTCOME", "STATUS", "ELAPSED", "MESSAGE"]
    assert table[2].split()[:5] == ["custom", "acme", "timeout", "initializing", "2m05s"]


def test_problems_name_each_endpoint_not_ready_with_its_last_status_and_a_hint() -> None:
    out, stdout, stderr = output()
    report_problems(out, REPORT)
    assert stdout.getvalue() == ""
    assert stderr.getvalue() == (
        "error: timed out after 2m00s: 'acme/custom' is still initializing: Endpoint is initializing\n"
        "hint: a custom container stuck in initializing usually listens on the wrong port\n"
        "error: endpoint 'acme/broken' failed: boom\n"
        "hint: re-create it\n"
    )


def test_elapsed_text() -> None:
    assert [elapsed_text(s) for s in (0, 9.7, 60, 125, 3600, 3725)] == [
        "0s",
        "9s",
        "1m00s",
        "2m05s",
        "1h00m",
        "1h02m",
    ]


def test_stderr_lines_during_a_live_display_go_above_it_and_stop_with_it() -> None:
    file = io.StringIO()
    out = Output(stdout=io.StringIO(), stderr=file, redactor=Redactor([SECRET]))
    display = LiveDisplay(Console(file=file, force_terminal=True, width=120), out.redactor, Wall(), out=out)
    with display:
        display.update("gpt2-demo", "pending", "waiting", 0.0)
        assert out.divert is not None
        out.info(f"listing endpoints: the API answered 429; retrying in 2.0 s {SECRET}")
        display.done(REPORT)
    assert out.divert is None
    text = file.getvalue()
    assert "retrying in 2.0 s ***" in text and SECRET not in text
    out.info("after the display")
    assert file.getvalue().endswith("after the display\n")


def test_live_mode_colours_states_and_shows_api_text_as_written() -> None:
    file = io.StringIO()
    display = LiveDisplay(
        Console(file=file, force_terminal=True, width=120, color_system="standard"),
        Redactor(),
        Wall(),
        auto_refresh=False,
    )
    with display:
        display.update("a", "failed", "[bold]boom[/bold] [/red]", 1.0, final=True)
        display.update("b", "ready", "ok", 1.0, final=True)
    text = file.getvalue()
    # The colour is endpointctl's; the brackets are the API's, shown as they came.
    assert "\x1b[31mfailed" in text and "\x1b[32mready" in text
    assert "[bold]boom[/bold] [/red]" in text
