"""status, pause, resume, scale-to-zero, delete, hardware: commands that address live endpoints."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

import click

from endpointctl.cli import options
from endpointctl.cli.invocation import Invocation, pass_invocation
from endpointctl.cli.options import epilog
from endpointctl.core.defaults import WAIT_TIMEOUT
from endpointctl.core.errors import ExitCode
from endpointctl.core.targets import Targets

if TYPE_CHECKING:
    from endpointctl.core.endpoint import Hardware

# The lifecycle commands, by their ``core.plan.StepKind`` value (that module is imported when one runs).
Change = Literal["pause", "resume", "scale-to-zero", "delete"]


@click.command(
    epilog=epilog(
        "endpointctl status",
        "endpointctl status gpt2-demo -o json",
        "endpointctl status -o wide",
        "endpointctl status -f manifests/ --selector team=nlp",
    )
)
@options.targets(allow_empty=True)
@options.common
@pass_invocation
def status(inv: Invocation, targets: Targets, output: str, namespace: str | None) -> ExitCode:
    """Name, state, URL, model, instance, replicas and security of endpoints."""
    from endpointctl.engine.flows import observe
    from endpointctl.ui import markdown, render
    from endpointctl.ui.fit import TABLE_WIDTH

    desired = inv.load(targets.files) if targets.files else []
    settings = inv.settings(namespace=namespace, output=output)
    found = observe.status(inv.session(settings), targets, desired)
    if settings.output.markdown:
        inv.out.result(markdown.endpoints(found.endpoints, scrub=inv.out.redactor.scrub))
    else:
        # Read after the listing: a hold is shown only while it lasts (ui/ has no clock).
        at = datetime.fromtimestamp(inv.env.clock.wall(), UTC)
        width = inv.env.table_width(TABLE_WIDTH)
        inv.out.result(render.endpoints(found.endpoints, settings.output, at=at, width=width))
    problem = found.problem(targets.allow_empty)
    if problem is not None:
        raise problem
    return ExitCode.OK


def _change(
    inv: Invocation,
    change: Change,
    targets: Targets,
    output: str,
    namespace: str | None,
    *,
    yes: bool,
    wait: bool = False,
    timeout: float = WAIT_TIMEOUT,
) -> ExitCode:
    from endpointctl.cli import exits
    from endpointctl.cli.hooks import CliHooks, show_changes, shown_empty_when_nothing_matched
    from endpointctl.core.plan import StepKind
    from endpointctl.engine.flows import lifecycle

    kind = StepKind(change)
    consent = inv.consent(yes)
    if kind is StepKind.DELETE:
        consent.require("delete")  # before anything is read, a manifest included
    targets.require(kind.value)
    desired = inv.load(targets.files) if targets.files else []
    settings = inv.settings(namespace=namespace, output=output)
    session = inv.session(settings)
    hooks = CliHooks(inv.out, inv.env.clock, session.cancel, show_tracebacks=inv.traceback)
    # Nothing matched: nothing was changed, so no result (`[]`).
    with shown_empty_when_nothing_matched(inv.out, lambda: show_changes(inv.out, [])):
        changed = lifecycle.change(
            session, kind, targets, desired, consent=consent, hooks=hooks, wait=wait, timeout=timeout
        )
    codes = [exits.for_changes(changed.results, interrupted=session.cancel.is_set())]
    if changed.waited is not None:
        codes.append(exits.for_wait(changed.waited))
    return exits.worst(codes)


def _lifecycle_command(verb: Change, doc: str, *, waitable: bool = False) -> click.Command:
    examples = [
        f"endpointctl {verb} gpt2-demo",
        f"endpointctl {verb} --selector env=dev --allow-empty    # nightly job",
        f"endpointctl {verb} -f manifests/gpt2.yaml -o json",
    ]
    if waitable:
        examples.append(f"endpointctl {verb} gpt2-demo --wait --timeout 900")

    @options.targets(allow_empty=True, changing=True)
    @options.common
    @pass_invocation
    def command(
        inv: Invocation,
        targets: Targets,
        output: str,
        namespace: str | None,
        wait: bool = False,
        timeout: float = WAIT_TIMEOUT,
    ) -> ExitCode:
        return _change(inv, verb, targets, output, namespace, yes=True, wait=wait, timeout=timeout)

    if waitable:
        command = options.wait_option(command)
    return click.command(name=verb, help=doc, epilog=epilog(*examples))(command)


pause = _lifecycle_command("pause", "Pause endpoints: billing stops, replicas go to 0. Idempotent.")
resume = _lifecycle_command(
    "resume",
    "Resume paused (or scaled-to-zero) endpoints. Idempotent. --wait waits until they are ready.",
    waitable=True,
)
scale_to_zero = _lifecycle_command(
    "scale-to-zero",
    "Scale running endpoints to zero; the next request wakes them. Idempotent: a paused one is left paused.",
)


@click.command(
    epilog=epilog(
        "endpointctl delete gpt2-demo --yes",
        "endpointctl delete -f manifests/gpt2.yaml --yes",
        "endpointctl delete --selector env=dev --yes --allow-empty",
    )
)
@options.targets(allow_empty=True, changing=True)
@options.yes
@options.common
@pass_invocation
def delete(inv: Invocation, targets: Targets, yes: bool, output: str, namespace: str | None) -> ExitCode:
    """Delete endpoints. Deleting an absent endpoint succeeds with a note."""
    return _change(inv, "delete", targets, output, namespace, yes=yes)


@click.command(
    epilog=epilog(
        "endpointctl hardware",
        "endpointctl hardware --vendor aws --accelerator gpu",
        "endpointctl hardware --region us-east-1 -o json",
    )
)
@click.option("--vendor", callback=options.checked_vendor, help="Only this vendor: aws, azure or gcp.")
@click.option("--region", callback=options.checked_filter, help="Only this region, e.g. us-east-1.")
@click.option("--accelerator", type=click.Choice(["cpu", "gpu", "neuron"]), help="Only this accelerator.")
@click.option("--all", "show_all", is_flag=True, help="Include rows that cannot be deployed now.")
@options.common
@pass_invocation
def hardware(
    inv: Invocation,
    vendor: str | None,
    region: str | None,
    accelerator: str | None,
    show_all: bool,
    output: str,
    namespace: str | None,
) -> ExitCode:
    """What can be deployed: instance types, price per hour and the namespace's quota.

    Exit: 0; 2 for a vendor that is none of aws, azure, gcp (before any API call); 1 when a filter
    matches no row of the catalog (the error lists what it offers instead, e.g. the vendor's regions).
    """
    from endpointctl.cli.hooks import shown_empty_when_nothing_matched
    from endpointctl.core.catalog_filter import HardwareFilter
    from endpointctl.core.errors import NothingMatched
    from endpointctl.engine.flows import observe
    from endpointctl.ui import markdown_reports, render

    settings = inv.settings(namespace=namespace, output=output)
    only = HardwareFilter(vendor, region, accelerator, show_all)

    def show(rows: list[Hardware]) -> None:
        if settings.output.markdown:
            inv.out.result(markdown_reports.hardware(rows, scrub=inv.out.redactor.scrub))
        else:
            inv.out.result(render.hardware(rows, settings.output))

    # A filter that matched nothing: `[]` for a pipeline reading -o json, as every command says it.
    with shown_empty_when_nothing_matched(inv.out, lambda: show([]), errors=(NothingMatched,)):
        rows = observe.hardware(inv.session(settings), only)
    show(rows)
    return ExitCode.OK
