"""validate, schema, plan, apply: the declarative commands."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import click

from endpointctl.cli import options
from endpointctl.cli.invocation import Invocation, pass_invocation
from endpointctl.cli.options import epilog
from endpointctl.core.defaults import LOCK_TIMEOUT, PARALLELISM
from endpointctl.core.errors import EndpointctlError, ExitCode, UsageError
from endpointctl.core.settings import OutputMode

if TYPE_CHECKING:
    from endpointctl.core.plan import Options, Plan
    from endpointctl.engine.flows import deploy


@click.command(
    epilog=epilog("endpointctl validate manifests/", "endpointctl validate manifests/gpt2.yaml -o json")
)
@options.paths_argument
@options.common
@click.option("--allow-public", is_flag=True, help="Allow security: public without allowPublic.")
@pass_invocation
def validate(
    inv: Invocation, paths: tuple[str, ...], output: str, namespace: str | None, allow_public: bool
) -> ExitCode:
    """Check manifests offline: no API call is made."""
    mode = inv.out.mode = OutputMode(output)  # so manifest problems come out as asked, too
    # A misspelt task is one of the problems here (plan and apply block only the changes that would send
    # it; the other commands load it, so an endpoint deployed with one keeps its pause and its schedule).
    desired = inv.load(paths, allow_public=allow_public, task_typos=True)
    from endpointctl.core.placement import check_one_each

    default = inv.default_namespace(namespace)
    # Where the namespace is known offline, two manifests naming one endpoint through it are caught here.
    known = [(d.manifest.metadata.namespace or default, d) for d in desired]
    check_one_each([(ns, d) for ns, d in known if ns], nothing="no API call was made")
    if not mode.structured:  # a pre-commit hook's case: one line, and none of the renderers loaded
        inv.out.result(f"{len(desired)} manifest(s) valid.\n")
        return ExitCode.OK
    from endpointctl.ui import records, render  # after the manifests: their problems need neither

    inv.out.result(render.dump([records.validated_record(d, default) for d in desired], mode))
    return ExitCode.OK


@click.command(epilog=epilog("endpointctl schema > endpointctl.schema.json"))
@pass_invocation
def schema(inv: Invocation) -> ExitCode:
    """Print the manifest's JSON Schema (for editors and CI linters)."""
    from endpointctl.manifest import json_schema

    inv.out.result(json.dumps(json_schema(), indent=2) + "\n")
    return ExitCode.OK


def _options(flags: dict[str, Any], environ: Mapping[str, str]) -> Options:
    from endpointctl.core.hub_tasks import accepted_tasks
    from endpointctl.core.plan import Options

    return Options(
        accepted_tasks=accepted_tasks(environ),
        stack=flags.get("stack"),
        prune=bool(flags.get("prune")),
        adopt=bool(flags.get("adopt")),
        allow_replace=bool(flags.get("allow_replace")),
        rotate_secrets=bool(flags.get("rotate_secrets")),
    )


@click.command(
    epilog=epilog(
        "endpointctl plan manifests/",
        "endpointctl plan manifests/ --prune --stack prod -o json",
        "endpointctl plan manifests/ --detailed-exitcode   # exit 3 when there are changes",
    )
)
@options.paths_argument
@options.common
@options.reconcile
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 3 when the plan has changes, 0 when none, 1 when one is blocked (apply would refuse it).",
)
@pass_invocation
def plan(
    inv: Invocation, /, paths: tuple[str, ...], output: str, namespace: str | None, **flags: Any
) -> ExitCode:
    """Show what apply would do, per endpoint and per field."""
    from endpointctl.cli.hooks import plan_text, show_prune_searched, show_warnings
    from endpointctl.core.plan import check_options
    from endpointctl.engine.flows import deploy

    inv.out.mode = OutputMode(output)  # so manifest problems come out as asked, too
    reading = inv.read(paths, allow_public=flags["allow_public"])
    how = _options(flags, inv.env.environ)
    check_options(how)
    settings = inv.settings(namespace=namespace, output=output)
    the_plan = deploy.plan(inv.session(settings), reading.desired, how)
    inv.out.result(plan_text(inv.out, the_plan, reading.files if how.prune else ()))
    show_prune_searched(inv.out, the_plan)
    show_warnings(inv.out, the_plan)
    from endpointctl.cli.exits import for_plan

    if flags["detailed_exitcode"]:
        _say_blocked(inv, the_plan)
    return for_plan(
        changes=the_plan.has_changes, blocked=bool(the_plan.blocked), detailed=flags["detailed_exitcode"]
    )


@click.command(
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
    "--parallelism",
    type=click.IntRange(1, 64),
    default=PARALLELISM,
    show_default=True,
    help="Endpoints changed at once, per namespace.",
)
@options.lock_timeout_option(LOCK_TIMEOUT, "another apply of the same stack or endpoints on this machine")
@options.wait_option
@options.no_logs_option
@click.option(
    "--smoke", is_flag=True, help="Then call each endpoint's URL and check the answer (implies --wait)."
)
@click.option("--junit-xml", type=click.Path(dir_okay=False), help="With --smoke: also write JUnit XML here.")
@pass_invocation
def apply(
    inv: Invocation, /, paths: tuple[str, ...], output: str, namespace: str | None, **flags: Any
) -> ExitCode:
    """Converge the live endpoints to the manifests."""
    from endpointctl.cli.hooks import CliHooks, plan_text, show_prune_searched, show_warnings
    from endpointctl.core.plan import check_options
    from endpointctl.engine.flows import deploy

    how = _options(flags, inv.env.environ)
    check_options(how)
    if flags.get("junit_xml") and not flags["smoke"]:
        # No file would be written: a CI step publishing it would fail later, far from the cause.
        raise UsageError(
            "--junit-xml needs --smoke: it holds the smoke tests' results", hint="nothing was sent"
        )
    _warn_idle(inv, flags)
    if (junit_xml := flags.get("junit_xml")) and not flags["dry_run"]:  # apply's, with --smoke
        from endpointctl.dataplane import junit

        junit.check_writable(junit_xml)
    inv.out.mode = OutputMode(output)  # so manifest problems come out as asked, too
    reading = inv.read(paths, allow_public=flags["allow_public"])
    desired = reading.desired
    files = reading.files if how.prune else ()
    settings = inv.settings(namespace=namespace, output=output)
    session = inv.session(settings)
    if flags["dry_run"]:
        # Changes nothing, so it neither takes nor waits for the lock.
        dry = deploy.plan(session, desired, how)
        inv.out.result(plan_text(inv.out, dry, files))
        show_prune_searched(inv.out, dry)
        show_warnings(inv.out, dry)
        # As apply would exit, as far as a dry run can tell: a change it would refuse fails it.
        return _say_blocked(inv, dry)
    stack = how.stack
    steps = deploy.ApplySettings(
        options=how,
        parallelism=flags["parallelism"],
        lock_timeout=flags["lock_timeout"],
        wait=flags["wait"],
        smoke=flags["smoke"],
        timeout=flags["timeout"],
        logs=not flags["no_logs"],
        command=" ".join(["endpointctl apply", *paths, *(["--stack", stack] if stack else [])]),
    )
    hooks = CliHooks(inv.out, inv.env.clock, session.cancel, show_tracebacks=inv.traceback, files=files)
    applied = deploy.apply(session, desired, steps, consent=inv.consent(flags["yes"]), hooks=hooks)
    return _show(inv, applied, flags["junit_xml"], interrupted=session.cancel.is_set())


def _say_blocked(inv: Invocation, plan: Plan) -> ExitCode:
    """The error line for a plan whose changes apply would refuse, and the exit code apply would give."""
    if not plan.blocked:
        return ExitCode.OK
    inv.out.error(
        f"{len(plan.blocked)} change(s) blocked: apply would send nothing for them and exit 1",
        hint="each blocked change above says why",
    )
    return ExitCode.FAILURE


def _warn_idle(inv: Invocation, flags: dict[str, Any]) -> None:
    """Flags that would do nothing in this run, said: a preview (--dry-run) added to a deploy's command
    line changes nothing, so waits nothing, and smoke-tests nothing; --timeout and --no-logs need a wait."""
    idle = []
    if flags["dry_run"]:
        idle = [
            flag
            for flag, key in (("--wait", "wait"), ("--smoke", "smoke"), ("--junit-xml", "junit_xml"))
            if flags[key]
        ]
    waits = flags["wait"] or flags["smoke"]
    source = click.get_current_context().get_parameter_source
    idle += [
        flag
        for flag, key in (("--timeout", "timeout"), ("--no-logs", "no_logs"))
        if (flags["dry_run"] or not waits) and source(key) is click.core.ParameterSource.COMMANDLINE
    ]
    if idle:
        why = "--dry-run changes nothing" if flags["dry_run"] else "without --wait or --smoke"
        inv.out.warn(f"{', '.join(idle)} do{'es' if len(idle) == 1 else ''} nothing here: {why}")


def _show(inv: Invocation, applied: deploy.Applied, junit_xml: str | None, *, interrupted: bool) -> ExitCode:
    """The results, with what --wait and --smoke found, and the exit code of it all."""
    from endpointctl.cli import exits
    from endpointctl.cli.hooks import show_changes
    from endpointctl.dataplane import junit
    from endpointctl.ui import records, render

    codes = [exits.for_changes(applied.results, interrupted=interrupted)]
    if applied.waited is not None:
        codes.append(exits.for_wait(applied.waited))
    appendix = ""
    if applied.smoked is not None:
        if not inv.out.mode.structured:
            appendix = "\n" + render.smoke_results(applied.smoked, OutputMode.TABLE)
        if applied.smoked:
            codes.append(exits.for_smoke(applied.smoked, one_needed=False))
    extra = records.follow_up_records(applied.waited, applied.smoked)
    show_changes(
        inv.out,
        applied.results,
        extra=extra,
        appendix=appendix,
        show_tracebacks=inv.traceback,
        waited=applied.waited,
        smoked=applied.smoked,
    )
    if applied.smoked and junit_xml:
        # After the results: a file that cannot be written now (checked before anything was sent) costs
        # the file, never the record of what was done.
        try:
            junit.write(junit_xml, applied.smoked, inv.out.redactor.scrub)
        except EndpointctlError as error:
            inv.out.error(error.message, error.hint)
            codes.append(error.exit_code)
    return exits.worst(codes)
