"""validate, schema, plan, apply: the declarative commands."""

from __future__ import annotations

import json
from typing import Any

import click

from endpointctl import operations, options, render
from endpointctl.cli.app import App, epilog, finish, interruptible, pass_app
from endpointctl.cli.group import cli
from endpointctl.errors import ExitCode
from endpointctl.manifest import json_schema
from endpointctl.plan import Options
from endpointctl.render import Mode


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
        app.out.result(render._dump(records, mode))
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
    the_plan = operations.plan_manifests(app.context(namespace), desired, _options(**flags))
    app.out.result(render.plan(the_plan, Mode(output)))
    if flags["detailed_exitcode"] and the_plan.has_changes:
        return ExitCode.CHANGES
    return ExitCode.OK


@cli.command(
    epilog=epilog(
        "endpointctl apply manifests/ --yes",
        "endpointctl apply manifests/ --dry-run",
        "endpointctl apply manifests/ --prune --stack prod --yes -o json",
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
@pass_app
def apply(app: App, /, paths: tuple[str, ...], output: str, namespace: str | None, **flags: Any) -> ExitCode:
    """Converge the live endpoints to the manifests."""
    desired = app.load(paths, allow_public=flags["allow_public"])
    ctx = app.context(namespace)
    the_plan = operations.plan_manifests(ctx, desired, _options(**flags))
    mode = Mode(output)
    if flags["dry_run"]:
        app.out.result(render.plan(the_plan, mode))
        return ExitCode.OK
    if mode is Mode.TABLE or not the_plan.has_changes:
        app.out.info(render.plan(the_plan, Mode.TABLE).rstrip())
    operations.confirm_destructive(
        the_plan, yes=flags["yes"], interactive=app.is_interactive, confirm=app.confirm
    )
    with interruptible(ctx.cancel, app.out):
        results = operations.execute(ctx, the_plan, parallelism=flags["parallelism"])
    return finish(app, results, mode, ctx.cancel)
