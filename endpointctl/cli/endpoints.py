"""status, pause, resume, scale-to-zero, delete, hardware: commands that address live endpoints."""

from __future__ import annotations

from collections.abc import Sequence

import click

from endpointctl.cli import options
from endpointctl.cli.app import App, epilog, finish, interruptible, pass_app
from endpointctl.cli.group import cli
from endpointctl.cli.wait import wait_and_report, wait_option
from endpointctl.core.errors import ConfirmationRequired, ExitCode, UsageError, worst
from endpointctl.core.plan import Plan, StepKind, lifecycle_plan
from endpointctl.engine import session as operations
from endpointctl.engine.locks import DEFAULT_TIMEOUT as DEFAULT_LOCK_TIMEOUT
from endpointctl.engine.waiter import DEFAULT_TIMEOUT, targets_after_resume
from endpointctl.ui import render
from endpointctl.ui.render import Mode


@cli.command(
    epilog=epilog(
        "endpointctl status",
        "endpointctl status gpt2-demo -o json",
        "endpointctl status -f manifests/ --selector team=nlp",
    )
)
@options.targets
@options.allow_empty
@options.common
@pass_app
def status(
    app: App,
    names: tuple[str, ...],
    files: tuple[str, ...],
    selector: tuple[str, ...],
    allow_empty: bool,
    output: str,
    namespace: str | None,
) -> ExitCode:
    """Name, state, URL, model, instance, replicas and security of endpoints."""
    desired = app.load(files) if files else []
    wanted = operations.parse_selector(selector)
    ctx = app.context(namespace)
    observed, targets = operations.select(ctx, names, operations.place(ctx, desired), wanted)
    live = {(ep.namespace, ep.name): ep for eps in observed.values() for ep in eps}
    if names or desired or wanted:
        found = [live[(t.namespace, t.name)] for t in targets if (t.namespace, t.name) in live]
        missing = [f"{t.namespace}/{t.name}" for t in targets if (t.namespace, t.name) not in live]
    else:
        found, missing = [ep for eps in observed.values() for ep in eps], []
    app.out.result(render.endpoints(found, Mode(output)))
    if allow_empty:
        return ExitCode.OK
    if missing:
        app.out.error("not found: " + ", ".join(missing), "pass --allow-empty if absent endpoints are fine")
        return ExitCode.FAILURE
    if wanted and not found:
        app.out.error("no endpoint matches the selector", "pass --allow-empty if matching nothing is fine")
        return ExitCode.FAILURE
    return ExitCode.OK


def _lifecycle_command(kind: StepKind, doc: str, verb: str, *, waitable: bool = False) -> None:
    examples = [
        f"endpointctl {verb} gpt2-demo",
        f"endpointctl {verb} --selector env=dev --allow-empty    # nightly job",
        f"endpointctl {verb} -f manifests/gpt2.yaml -o json",
    ]
    if waitable:
        examples.append(f"endpointctl {verb} gpt2-demo --wait --timeout 900")

    @options.targets
    @options.allow_empty
    @options.common
    @pass_app
    def command(
        app: App,
        names: tuple[str, ...],
        files: tuple[str, ...],
        selector: tuple[str, ...],
        allow_empty: bool,
        output: str,
        namespace: str | None,
        wait: bool = False,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> ExitCode:
        return run_lifecycle(
            app,
            kind,
            names,
            files,
            selector,
            allow_empty,
            output,
            namespace,
            yes=True,
            wait=wait,
            timeout=timeout,
        )

    if waitable:
        command = wait_option(command)
    cli.command(name=kind.value, help=doc, epilog=epilog(*examples))(command)


def run_lifecycle(
    app: App,
    kind: StepKind,
    names: Sequence[str],
    files: Sequence[str],
    selector: Sequence[str],
    allow_empty: bool,
    output: str,
    namespace: str | None,
    *,
    yes: bool,
    wait: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
) -> ExitCode:
    if not (names or files or selector):
        raise UsageError(f"name the endpoints to {kind.value}: NAME..., -f PATH or --selector KEY=VALUE")
    desired = app.load(files) if files else []
    wanted = operations.parse_selector(selector)
    ctx = app.context(namespace)
    observed, targets = operations.select(ctx, names, operations.place(ctx, desired), wanted)
    the_plan: Plan = lifecycle_plan(kind, observed, targets, allow_empty=allow_empty)
    operations.confirm_destructive(the_plan, yes=yes, interactive=app.is_interactive, confirm=app.confirm)
    for change in the_plan.changes:
        for note in change.notes:
            app.out.info(f"{change.namespace}/{change.name}: {note}")
    command = f"endpointctl {kind.value} " + " ".join(f"{t.namespace}/{t.name}" for t in targets)
    touched = [(c.namespace, c.name) for c in the_plan.changes if c.mutating]
    with app.lock(None, touched, command, DEFAULT_LOCK_TIMEOUT), interruptible(ctx.cancel, app.out):
        results = operations.execute(ctx, the_plan)
    code = finish(app, results, Mode(output), ctx.cancel)
    if not wait or ctx.cancel.is_set():
        return code
    waited = wait_and_report(app, ctx, targets_after_resume(results), timeout=timeout)
    return worst([code, waited])


_lifecycle_command(StepKind.PAUSE, "Pause endpoints: billing stops, replicas go to 0. Idempotent.", "pause")
_lifecycle_command(
    StepKind.RESUME,
    "Resume paused (or scaled-to-zero) endpoints. Idempotent. --wait waits until they are ready.",
    "resume",
    waitable=True,
)
_lifecycle_command(
    StepKind.SCALE_TO_ZERO,
    "Scale endpoints to zero; the next request wakes them. Idempotent.",
    "scale-to-zero",
)


@cli.command(
    epilog=epilog(
        "endpointctl delete gpt2-demo --yes",
        "endpointctl delete -f manifests/gpt2.yaml --yes",
        "endpointctl delete --selector env=dev --yes --allow-empty",
    )
)
@options.targets
@options.allow_empty
@options.yes
@options.common
@pass_app
def delete(
    app: App,
    names: tuple[str, ...],
    files: tuple[str, ...],
    selector: tuple[str, ...],
    allow_empty: bool,
    yes: bool,
    output: str,
    namespace: str | None,
) -> ExitCode:
    """Delete endpoints. Deleting an absent endpoint succeeds with a note."""
    if not yes and not app.is_interactive:
        # Decided before any API call: a script without --yes must not even read.
        raise ConfirmationRequired(
            "refusing to delete without confirmation", hint="pass --yes, or run on a terminal"
        )
    return run_lifecycle(
        app, StepKind.DELETE, names, files, selector, allow_empty, output, namespace, yes=yes
    )


@cli.command(
    epilog=epilog(
        "endpointctl hardware",
        "endpointctl hardware --vendor aws --accelerator gpu",
        "endpointctl hardware --region us-east-1 -o json",
    )
)
@click.option("--vendor", help="Only this vendor, e.g. aws.")
@click.option("--region", help="Only this region, e.g. us-east-1.")
@click.option("--accelerator", type=click.Choice(["cpu", "gpu", "neuron"]), help="Only this accelerator.")
@click.option("--all", "show_all", is_flag=True, help="Include rows that cannot be deployed now.")
@options.common
@pass_app
def hardware(
    app: App,
    vendor: str | None,
    region: str | None,
    accelerator: str | None,
    show_all: bool,
    output: str,
    namespace: str | None,
) -> ExitCode:
    """What can be deployed: instance types, price per hour and the namespace's quota."""
    ctx = app.context(namespace)
    rows = [
        h
        for h in ctx.hub.hardware(ctx.namespace())
        if (vendor is None or h.vendor == vendor)
        and (region is None or h.region == region)
        and (accelerator is None or h.accelerator == accelerator)
        and (show_all or h.deployable)
    ]
    app.out.result(render.hardware(rows, Mode(output)))
    return ExitCode.OK
