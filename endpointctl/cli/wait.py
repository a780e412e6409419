"""wait: until endpoints are ready, with a live display on a terminal and plain lines in CI."""

from __future__ import annotations

import click

from endpointctl.cli import options
from endpointctl.cli.invocation import Invocation, pass_invocation
from endpointctl.cli.options import epilog
from endpointctl.core.errors import ExitCode
from endpointctl.core.targets import Targets


@click.command(
    epilog=epilog(
        "endpointctl wait gpt2-demo",
        "endpointctl wait -f manifests/ --timeout 600",
        "endpointctl wait --selector env=dev -o json --quiet    # CI: only the result",
        "endpointctl wait sentiment-en --no-logs    # on failure, no log lines",
    )
)
@options.targets(allow_empty=False)
@options.timeout_option
@click.option("-q", "--quiet", is_flag=True, help="Print only the final result.")
@options.no_logs_option
@options.common
@pass_invocation
def wait(
    inv: Invocation,
    targets: Targets,
    timeout: float,
    quiet: bool,
    no_logs: bool,
    output: str,
    namespace: str | None,
) -> ExitCode:
    """Wait until endpoints are ready: running, with a URL, and their health route answering 200.

    A manifest's `state: paused` or `scaledToZero` is waited for instead. Failed, update-failed and
    paused endpoints end the wait at once (exit 1); the timeout exits 4. A failed, update-failed or
    timed-out endpoint's last log lines follow its error (unless --no-logs).
    """
    from endpointctl.cli import exits
    from endpointctl.cli.hooks import CliHooks, shown_empty_when_nothing_matched
    from endpointctl.core.outcomes import WaitReport
    from endpointctl.engine.flows import wait as wait_flow
    from endpointctl.ui import markdown_reports, render

    targets.require("wait for")
    inv.out.quiet = inv.out.quiet or quiet
    desired = inv.load(targets.files) if targets.files else []
    settings = inv.settings(namespace=namespace, output=output)
    session = inv.session(settings)
    hooks = CliHooks(inv.out, inv.env.clock, session.cancel, quiet=quiet)

    def show(report: WaitReport) -> None:
        if settings.output.markdown:
            inv.out.result(markdown_reports.wait_report(report, scrub=inv.out.redactor.scrub))
        else:
            inv.out.result(render.wait_report(report, settings.output))

    # A selector that matched nothing: nothing was waited for.
    nothing = WaitReport(endpoints=(), polls=0, elapsed=0.0, timeout=timeout)
    with shown_empty_when_nothing_matched(inv.out, lambda: show(nothing)):
        report = wait_flow.wait(session, targets, desired, timeout=timeout, hooks=hooks, logs=not no_logs)
    show(report)
    return exits.for_wait(report)
