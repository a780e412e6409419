"""validate, schema, plan, apply: the declarative commands."""

from __future__ import annotations

import json
from contextlib import AbstractContextManager
from typing import Any

import click

from endpointctl.cli import options
from endpointctl.cli.app import App, epilog, finish, interruptible, pass_app
from endpointctl.cli.group import cli
from endpointctl.cli.smoke import conclude
from endpointctl.cli.wait import run_wait, wait_option
from endpointctl.core.errors import ExitCode, worst
from endpointctl.core.models import Desired, DesiredState, Endpoint
from endpointctl.core.outcomes import Result
from endpointctl.core.plan import Options
from endpointctl.dataplane.checks import SmokeResult, Verdict
from endpointctl.dataplane.runner import run_smoke
from endpointctl.engine import locks as lock
from endpointctl.engine import session as operations
from endpointctl.engine.waiter import targets_from_results
from endpointctl.manifest import json_schema
from endpointctl.ui import progress, render
from endpointctl.ui.render import Mode


@cli.command(epilog=epilog("endpointctl validate manifests/", "endpointctl validate gpt2.yaml -o json"))
@options.paths_argument
@options.common
@click.option("--allow-public", is_flag=True, help="Allow security: public without allowPublic.")
@pass_app
def validate(
    app: App, paths: tuple[str, ...], output: str, namespace: str | None, allow_public: bool
) -> ExitCode:
    """Check manifests offline: no API call is made."""
    desired = app.load(paths, allow_public=allow_public)
    mode = Mode(output)
    if mode is Mode.TABLE:
        app.out.result(f"{len(desired)} manifest(s) valid.\n")
    else:
        records = [
            {"name": d.name, "namespace": d.manifest.metadata.namespace or namespace, "source": d.source}
            for d in desired
        ]
        app.out.result(render.dump(records, mode))
    return ExitCode.OK


@cli.command(epilog=epilog("endpointctl schema > endpointctl.schema.json"))
@pass_app
def schema(app: App) -> ExitCode:
    """Print the manifest's JSON Schema (for editors and CI linters)."""

    app.out.result(json.dumps(json_schema(), indent=2) + "\n")
    return ExitCode.OK


def _options(**flags: Any) -> Options:
    return Options(
        stack=flags.get("stack"),
        prune=bool(flags.get("prune")),
        adopt=bool(flags.get("adopt")),
        allow_replace=bool(flags.get("allow_replace")),
        rotate_secrets=bool(flags.get("rotate_secrets")),
    )


@cli.command(
    epilog=epilog(
        "endpointctl plan manifests/",
        "endpointctl plan manifests/ --prune --stack prod -o json",
        "endpointctl plan manifests/ --detailed-exitcode   # exit 3 when there are changes",
    )
)
@options.paths_argument
@options.common
@options.reconcile
@click.option("--detailed-exitcode", is_flag=True, help="Exit 3 when the plan has changes, 0 when none.")
@pass_app
def plan(app: App, /, paths: tuple[str, ...], output: str, namespace: str | None, **flags: Any) -> ExitCode:
    """Show what apply would do, per endpoint and per field."""
    desired = app.load(paths, allow_public=flags["allow_public"])
    options = _options(**flags)
    operations.check_options(options)
    ctx = app.context(namespace)
    the_plan = operations.plan_manifests(ctx, operations.place(ctx, desired), options)
    app.out.result(render.plan(the_plan, Mode(output)))
    if flags["detailed_exitcode"] and the_plan.has_changes:
        return ExitCode.CHANGES
    return ExitCode.OK


def _lock(
    app: App, placed: list[operations.Placed], paths: tuple[str, ...], flags: dict[str, Any]
) -> AbstractContextManager[lock.Holder]:
    stack: str | None = flags["stack"]
    command = " ".join(["endpointctl apply", *paths, *(["--stack", stack] if stack else [])])
    return app.lock(stack, [(namespace, d.name) for namespace, d in placed], command, flags["lock_timeout"])


@cli.command(
    epilog=epilog(
        "endpointctl apply manifests/ --yes",
        "endpointctl apply manifests/ --dry-run",
        "endpointctl apply manifests/ --prune --stack prod --yes -o json",
        "endpointctl apply manifests/ --yes --wait --smoke --junit-xml smoke.xml   # CI deploy",
    )
)
@options.paths_argument
@options.common
@options.reconcile
@options.yes
@click.option("--dry-run", is_flag=True, help="Show the plan and change nothing.")
@click.option(
    "--parallelism", type=click.IntRange(1, 64), default=8, show_default=True, help="Endpoints at once."
)
@click.option(
    "--lock-timeout",
    type=click.FloatRange(min=0),
    default=lock.DEFAULT_TIMEOUT,
    show_default=True,
    metavar="SECONDS",
    help="How long to wait for another apply of the same stack or endpoints on this machine; 0: do not wait.",
)
@wait_option
@click.option(
    "--smoke", is_flag=True, help="Then call each endpoint's URL and check the answer (implies --wait)."
)
@click.option("--junit-xml", type=click.Path(dir_okay=False), help="With --smoke: also write JUnit XML here.")
@pass_app
def apply(app: App, /, paths: tuple[str, ...], output: str, namespace: str | None, **flags: Any) -> ExitCode:
    """Converge the live endpoints to the manifests."""
    options = _options(**flags)
    operations.check_options(options)
    desired = app.load(paths, allow_public=flags["allow_public"])
    ctx = app.context(namespace)
    placed = operations.place(ctx, desired)
    mode = Mode(output)
    if flags["dry_run"]:
        # Changes nothing, so it neither takes nor waits for the lock.
        app.out.result(render.plan(operations.plan_manifests(ctx, placed, options), mode))
        return ExitCode.OK
    # Held from before the live state is read until the last change: a plan made while another apply
    # runs would be stale by the time it is executed.
    with _lock(app, placed, paths, flags):
        the_plan = operations.plan_manifests(ctx, placed, options)
        if mode is Mode.TABLE or not the_plan.has_changes:
            app.out.info(render.plan(the_plan, Mode.TABLE).rstrip())
        operations.confirm_destructive(
            the_plan, yes=flags["yes"], interactive=app.is_interactive, confirm=app.confirm
        )
        with interruptible(ctx.cancel, app.out):
            results = operations.execute(ctx, the_plan, parallelism=flags["parallelism"])
    if not (flags["wait"] or flags["smoke"]) or ctx.cancel.is_set():
        return finish(app, results, mode, ctx.cancel)
    with interruptible(ctx.cancel, app.out):
        return _wait_and_smoke(app, ctx, results, placed, mode, flags)


def _wait_and_smoke(
    app: App,
    ctx: operations.Context,
    results: list[Result],
    placed: list[operations.Placed],
    mode: Mode,
    flags: dict[str, Any],
) -> ExitCode:
    """apply --wait / --smoke: wait for what was applied, then smoke-test what became ready."""
    report = run_wait(app, ctx, targets_from_results(results), timeout=flags["timeout"])
    progress.report_problems(app.out, report)
    codes = [report.exit_code]
    extra: dict[tuple[str, str], dict[str, Any]] = {
        (e.target.namespace, e.target.name): {"wait": e.record()} for e in report.endpoints
    }
    appendix = ""
    if flags["smoke"] and not ctx.cancel.is_set():
        specs = {(namespace, d.name): d for namespace, d in placed}
        smoked: list[SmokeResult] = []
        ready: list[tuple[Endpoint, Desired | None]] = []
        for e in report.endpoints:
            if not e.ready or e.endpoint is None:
                continue
            if e.target.state is not DesiredState.RUNNING:
                # Calling it would fail on a paused endpoint and wake a scaled-to-zero one the manifest
                # wants asleep: the state the manifest asks for is the test.
                reason = f"the manifest keeps it {e.target.state.value}"
                smoked.append(SmokeResult(e.target.name, e.target.namespace, Verdict.SKIPPED, reason))
                continue
            ready.append((e.endpoint, specs.get((e.target.namespace, e.target.name))))
        client = app.deployed_client()
        try:
            smoked += run_smoke(client, ready)
        finally:
            client.close()
        for result in smoked:
            extra.setdefault((result.namespace, result.name), {})["smoke"] = render.smoke_record(result)
        if mode is Mode.TABLE:
            appendix = "\n" + render.smoke_results(smoked, mode)
        if smoked:
            codes.append(conclude(app, smoked, flags["junit_xml"]))
    codes.append(finish(app, results, mode, ctx.cancel, extra=extra, appendix=appendix))
    return worst(codes)
