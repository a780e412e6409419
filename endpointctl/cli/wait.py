"""wait, and the --wait/--timeout flags other commands share: click, the engine and the display."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import click

from endpointctl.cli import options
from endpointctl.cli.app import App, epilog, interruptible, pass_app
from endpointctl.cli.group import cli
from endpointctl.core.errors import ExitCode, NothingMatched, UsageError
from endpointctl.core.models import DesiredState, Endpoint
from endpointctl.core.readiness import WaitTarget
from endpointctl.engine import session as operations
from endpointctl.engine.clock import Clock, SystemClock
from endpointctl.engine.waiter import DEFAULT_TIMEOUT, WaitReport, wait_for
from endpointctl.ui import progress
from endpointctl.ui.render import Mode

F = TypeVar("F", bound=Callable[..., Any])


def timeout_option(fn: F) -> F:
    return click.option(
        "--timeout",
        type=click.FloatRange(min=0),
        default=int(DEFAULT_TIMEOUT),
        show_default=True,
        metavar="SECONDS",
        help="Give up after this long: exit 4, with the last status of every endpoint not ready.",
    )(fn)


def wait_option(fn: F) -> F:
    fn = timeout_option(fn)
    return click.option(
        "--wait",
        "wait",
        is_flag=True,
        help="Then wait until the endpoints are ready (running, with a URL, health route answering 200).",
    )(fn)


def wall_clock(clock: Clock) -> Callable[[], float]:
    # The system clock is monotonic, good for deadlines but not for timestamps; an injected clock is both.
    return time.time if isinstance(clock, SystemClock) else clock.now


def run_wait(
    app: App,
    ctx: operations.Context,
    targets: Sequence[WaitTarget],
    *,
    timeout: float,
    quiet: bool = False,
    first: Mapping[str, Sequence[Endpoint]] | None = None,
) -> WaitReport:
    """Wait with the display that suits the terminal; Ctrl-C stops the wait (exit 130), changing nothing."""
    deployed = app.deployed_client()
    display = progress.choose(app.out, quiet=quiet, wall=wall_clock(app.clock), now=app.clock.now)
    try:
        with display, interruptible(ctx.cancel, app.out):
            return wait_for(
                ctx.hub,
                deployed,
                targets,
                clock=ctx.clock,
                timeout=timeout,
                display=display,
                cancel=ctx.cancel,
                first=first,
            )
    finally:
        deployed.close()


def wait_and_report(
    app: App, ctx: operations.Context, targets: Sequence[WaitTarget], *, timeout: float, quiet: bool = False
) -> ExitCode:
    """``--wait`` for apply and resume: progress and problems on stderr; stdout stays the command's own."""
    report = run_wait(app, ctx, targets, timeout=timeout, quiet=quiet)
    progress.report_problems(app.out, report)
    return report.exit_code


@cli.command(
    epilog=epilog(
        "endpointctl wait gpt2-demo",
        "endpointctl wait -f manifests/ --timeout 600",
        "endpointctl wait --selector env=dev -o json --quiet    # CI: only the result",
    )
)
@options.targets
@timeout_option
@click.option("-q", "--quiet", is_flag=True, help="Print only the final result.")
@options.common
@pass_app
def wait(
    app: App,
    names: tuple[str, ...],
    files: tuple[str, ...],
    selector: tuple[str, ...],
    timeout: float,
    quiet: bool,
    output: str,
    namespace: str | None,
) -> ExitCode:
    """Wait until endpoints are ready: running, with a URL, and their health route answering 200.

    A manifest's `state: paused` or `scaledToZero` is waited for instead. Failed, update-failed and
    paused endpoints end the wait at once (exit 1); the timeout exits 4.
    """
    if not (names or files or selector):
        raise UsageError("name the endpoints to wait for: NAME..., -f PATH or --selector KEY=VALUE")
    app.out.quiet = app.out.quiet or quiet
    desired = app.load(files) if files else []
    ctx = app.context(namespace)
    placed = operations.place(ctx, desired)
    observed, selected = operations.select(ctx, names, placed, operations.parse_selector(selector))
    if not selected:
        raise NothingMatched("no endpoint matches the selector", hint="check the labels and the namespace")
    states = {(namespace, d.name): d.spec.state for namespace, d in placed}
    targets = [
        WaitTarget(t.namespace, t.name, state=states.get((t.namespace, t.name)) or DesiredState.RUNNING)
        for t in selected
    ]
    # The selection's listing is the first poll: one list call fewer.
    report = run_wait(app, ctx, targets, timeout=timeout, quiet=quiet, first=observed)
    app.out.result(progress.render_report(report, Mode(output)))
    progress.report_problems(app.out, report)
    return report.exit_code
