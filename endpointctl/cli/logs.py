"""logs and replicas: what an endpoint's containers print, and the replicas it runs."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from endpointctl.cli import options
from endpointctl.cli.invocation import Invocation, pass_invocation
from endpointctl.cli.name_completion import complete_names
from endpointctl.cli.options import epilog
from endpointctl.core.errors import ExitCode, NotFound, NothingMatched, UsageError
from endpointctl.core.logs import DEFAULT_TAIL, MAX_TAIL, parse_since
from endpointctl.core.settings import OutputMode
from endpointctl.core.targets import Target

if TYPE_CHECKING:
    from collections.abc import Sequence

    from endpointctl.core.logs import Replica
    from endpointctl.engine.session import Session


def _target(
    inv: Invocation, name: str | None, files: tuple[str, ...], namespace: str | None, output: str
) -> tuple[Session, Target]:
    """The one endpoint NAME or ``-f PATH`` names (its manifest's secret values then masked in the output)."""
    if (name is None) == (not files):
        raise UsageError("name the endpoint: NAME or -f PATH (one of them)")
    desired = inv.load(files) if files else []  # also tells the redactor the manifests' secret values
    if len(desired) > 1:
        names = ", ".join(d.name for d in desired)
        raise UsageError(
            f"-f must name exactly one endpoint; these manifests name {len(desired)}: {names}",
            hint="point -f at that endpoint's own manifest file, or give its NAME",
        )
    settings = inv.settings(namespace=namespace, output=output)
    session = inv.session(settings)
    if desired:
        ((ns, _),) = session.place(desired)
        return session, Target(ns, desired[0].name)
    assert name is not None
    return session, Target(session.namespace(), name)


def _since(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return parse_since(value)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="'--since'") from None


@click.command(
    epilog=epilog(
        "endpointctl logs gpt2-demo",
        "endpointctl logs sentiment-en --since 10m",
        "endpointctl logs -f manifests/gpt2.yaml --follow          # its secret values masked",
        "endpointctl logs sentiment-en --tail 50 --replica sentiment-en-6d5f8-x2k9q   # IDs: `replicas`",
        "endpointctl logs gpt2-demo -o json | jq -r '.[].line'",
    )
)
@click.argument("name", required=False, shell_complete=complete_names, callback=options.checked_names)
@options.manifest_files
@click.option(
    "--follow",
    is_flag=True,
    help="Go on printing lines as they come (the service's /logs/sse stream), until Ctrl-C or the endpoint "
    "is deleted: a stream that ends or breaks off is opened again (said on stderr), its lines already "
    "shown skipped.",
)
@click.option(
    "--tail",
    type=click.IntRange(0, MAX_TAIL),
    metavar="N",
    help=f"The last N lines [default: {DEFAULT_TAIL}; with --since, up to {MAX_TAIL}].",
)
@click.option(
    "--since",
    metavar="DURATION",
    help="Only lines of the last DURATION (30s, 10m, 2h, 1d, 1h30m). The logs routes take no such "
    "parameter: endpointctl filters the lines itself, on the timestamp each line starts with (a line "
    "without one goes with the line before it).",
)
@click.option("--replica", metavar="ID", help="Only this replica's lines (IDs: `endpointctl replicas NAME`).")
@options.common
@pass_invocation
def logs(
    inv: Invocation,
    name: str | None,
    files: tuple[str, ...],
    follow: bool,
    tail: int | None,
    since: str | None,
    replica: str | None,
    output: str,
    namespace: str | None,
) -> ExitCode:
    """Print an endpoint's log lines: what its containers print, oldest first.

    \b
    Secret values are masked when endpointctl knows them: the API never returns them, so give the
    endpoint's manifest (-f) rather than its NAME when its logs may echo one; the token, and anything
    shaped like a Hugging Face token, are masked always. Control characters are shown as escapes.
    Lines are cut at 2000 characters; a line or an answer past endpointctl's limits ends with an error.
    Exit: 0; 1 when the logs cannot be read, or when --replica names no replica (none listed now has
    that ID, and no line is from it), or when --follow cannot connect again within the retry budget;
    130 when --follow is interrupted.
    """
    from endpointctl.cli.hooks import shown_empty_when_nothing_matched
    from endpointctl.engine.flows import logs as log_flow
    from endpointctl.ui import logs as shown

    query = log_flow.LogQuery(tail=tail, since=_since(since), replica=replica)
    mode = OutputMode(output)
    if follow and mode.markdown:
        raise UsageError("--follow writes a stream: use -o table, json (JSON Lines) or yaml, not markdown")
    session, target = _target(inv, name, files, namespace, output)
    if not follow:
        scrub = inv.out.redactor.scrub

        def show(found: Sequence[str]) -> None:
            inv.out.result(shown.lines(found, mode, replica, scrub=scrub))

        # No such endpoint (the API's 404) or replica: no line, `[]`, as every command that prints records
        # says it.
        with shown_empty_when_nothing_matched(inv.out, lambda: show([]), errors=(NotFound, NothingMatched)):
            read = log_flow.read(session, target, query)
        show(read.lines)
        if read.undated:
            inv.out.warn("no line started with a timestamp: --since left every line in")
        return ExitCode.OK
    from endpointctl.engine.flows import log_follow

    try:
        end = log_follow.follow(
            session,
            target,
            query,
            lambda line: inv.out.result(shown.streamed(line, mode, replica)),
            warn=inv.out.warn,
        )
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM: the stream was closed on the way here
        end = log_follow.FollowEnd.INTERRUPTED
    if end is log_follow.FollowEnd.INTERRUPTED:
        inv.out.info(f"interrupted: stopped following the logs of '{target.key}'")
        return ExitCode.INTERRUPTED
    inv.out.info(f"'{target.key}' was deleted: its log stream ended")
    return ExitCode.OK


@click.command(
    epilog=epilog(
        "endpointctl replicas sentiment-en",
        "endpointctl replicas -f manifests/gpt2.yaml -o wide",
        "endpointctl replicas whisper-medium -o json",
    )
)
@click.argument("name", required=False, shell_complete=complete_names, callback=options.checked_names)
@options.manifest_files
@options.common
@pass_invocation
def replicas(
    inv: Invocation, name: str | None, files: tuple[str, ...], output: str, namespace: str | None
) -> ExitCode:
    """List an endpoint's replicas: ID, status, when created, and what else the API says of each.

    The replica list's shape is not documented: what an entry leaves out is shown as ? (null in JSON);
    -o wide adds every other field it carries.
    """
    from endpointctl.cli.hooks import shown_empty_when_nothing_matched
    from endpointctl.engine.flows import logs as log_flow
    from endpointctl.ui import logs as shown

    session, target = _target(inv, name, files, namespace, output)
    scrub = inv.out.redactor.scrub

    def show(found: list[Replica]) -> None:
        inv.out.result(shown.replicas(found, OutputMode(output), scrub=scrub))

    # No such endpoint (the API's 404): no replica, `[]`, as every command that prints records says it.
    with shown_empty_when_nothing_matched(inv.out, lambda: show([]), errors=(NotFound,)):
        found = log_flow.replicas(session, target)
    show(found)
    return ExitCode.OK
