"""export and init: manifests from what is live, and a first manifest for a model."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click

from endpointctl.cli import options
from endpointctl.cli.invocation import Invocation, pass_invocation
from endpointctl.cli.options import epilog
from endpointctl.core.errors import ExitCode, UsageError
from endpointctl.core.targets import Targets


def directory_option(what: str) -> Callable[[options.F], options.F]:
    return click.option(
        "--dir",
        "directory",
        metavar="DIR",
        type=click.Path(file_okay=False),
        help=f"Write {what} as DIR/<name>.yaml (DIR is created if missing). Default: print to stdout.",
    )


def force_option(fn: options.F) -> options.F:
    return click.option("--force", is_flag=True, help="Overwrite files that exist (default: refuse).")(fn)


def given_directory(directory: str | None) -> Path | None:
    if directory is None:
        return None
    if not directory.strip():
        # What `--dir "$OUT"` passes when OUT is unset: never the current directory.
        raise UsageError("--dir is empty", hint="check the variable that should have named it")
    return Path(directory)


@click.command(
    epilog=epilog(
        "endpointctl export --dir live/",
        "endpointctl export gpt2-demo sentiment-en > live.yaml",
        "endpointctl export --selector team=nlp --dir live/ -o json",
        "endpointctl export --namespace acme --dir acme/ --force",
        "endpointctl export --dir live/ && endpointctl plan live/ --adopt   # take them over",
    )
)
@options.targets(allow_empty=True)
@directory_option("one manifest per endpoint")
@force_option
@options.common
@pass_invocation
def export(
    inv: Invocation,
    targets: Targets,
    directory: str | None,
    force: bool,
    output: str,
    namespace: str | None,
) -> ExitCode:
    """Write a manifest for each live endpoint: those named, those the selector matches, or all.

    Each says what the API reports and nothing more: the revision as a commit, labels from the tags,
    the state it is in now, and secrets as ${NAME} placeholders (their values are write-only). `plan`
    on what it wrote shows no change; for endpoints endpointctl did not create, `plan --adopt` shows
    the ownership tags `apply --adopt` would add, and nothing else. Files are never overwritten
    without --force, and are written all or none.
    """
    from endpointctl.cli.hooks import shown_empty_when_nothing_matched
    from endpointctl.engine.flows import export as export_flow
    from endpointctl.ui import manifests as shown

    target_dir = given_directory(directory)
    desired = inv.load(targets.files) if targets.files else []
    settings = inv.settings(namespace=namespace, output=output)
    redactor = inv.out.redactor
    accepted = settings.accepted_tasks
    found = export_flow.export(
        inv.session(settings), targets, desired, lambda text: redactor.scrub(text) != text, accepted
    )
    scrub = inv.out.redactor.scrub
    # All or none: a name not found exports nothing, so none are printed, and no file is written.
    show_none = shown.printed if target_dir is None else shown.written
    with shown_empty_when_nothing_matched(
        inv.out, lambda: inv.out.result(show_none([], settings.output, scrub=scrub))
    ):
        problem = found.problem(targets.allow_empty, bool(targets.selector))
        if problem is not None:
            raise problem
    for m in found.manifests:
        for note in m.notes:
            inv.out.info(f"note: {m.namespace}/{m.name}: {note}")
    if target_dir is None:
        # No manifest: `[]` in JSON, an empty stream of YAML documents (what a YAML reader reads as none).
        inv.out.result(shown.printed(found.manifests, settings.output, scrub=scrub))
        return ExitCode.OK
    written = export_flow.write(found.manifests, target_dir, force=force)
    inv.out.result(shown.written(written, settings.output, scrub=inv.out.redactor.scrub))
    variables = sorted({v for m in written for _, v in m.variables})
    if variables:
        inv.out.info(
            "secrets are written as placeholders (their values are write-only): plan and apply need "
            + ", ".join(variables)
            + " set only where they send them (a create or re-create, a change of the secrets or of an "
            "image with a registry password, --rotate-secrets)"
        )
    return ExitCode.OK
