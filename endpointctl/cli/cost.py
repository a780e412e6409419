"""cost: what the manifests' endpoints cost in a month, always on and on their schedules."""

from __future__ import annotations

import click

from endpointctl.cli import options
from endpointctl.cli.invocation import Invocation, pass_invocation
from endpointctl.cli.options import epilog
from endpointctl.core.errors import ExitCode, UsageError
from endpointctl.core.settings import OutputMode


@click.command(
    epilog=epilog(
        "endpointctl cost manifests/",
        "endpointctl cost manifests/ --month 2026-10 -o json",
        "endpointctl cost manifests/gpt2.yaml --month 2027-01",
    )
)
@options.paths_argument
@options.common
@click.option("--month", metavar="YYYY-MM", help="The month to project. Default: the current month.")
@pass_invocation
def cost(
    inv: Invocation, paths: tuple[str, ...], output: str, namespace: str | None, month: str | None
) -> ExitCode:
    """Project a month's cost per endpoint and in total: always on, on its schedule, and at maxReplica.

    Prices come from the hardware catalog (one call per namespace); the month is counted in each
    endpoint's schedule zone (UTC without one), so a month with a DST change has 743 or 745 hours.
    """
    from endpointctl.core.projection import Month
    from endpointctl.engine.flows import cost as flow
    from endpointctl.ui import costs, markdown_reports, records, render

    inv.out.mode = OutputMode(output)  # so manifest problems come out as asked, too
    try:
        which = None if month is None else Month.parse(month)
    except ValueError as error:
        raise UsageError(str(error)) from None
    desired = inv.load(paths)
    settings = inv.settings(namespace=namespace, output=output)
    projected = flow.project(inv.session(settings), desired, which)
    if settings.output.markdown:
        inv.out.result(markdown_reports.projections(projected, scrub=inv.out.redactor.scrub))
    elif not settings.output.structured:
        inv.out.result(costs.projections(projected))
    else:
        inv.out.result(render.dump([records.projection_record(p) for p in projected], settings.output))
    return ExitCode.OK
