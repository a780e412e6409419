"""PURE: a secret whose ``${VAR}`` is unset is fine until a step would send it; then nothing is changed.

Secret values are write-only: plans compare secrets by name, and values are sent only by a create (or
the create of a replace), by an update of ``model.secrets`` (a new set of names, or ``--rotate-secrets``)
and, for an image's registry password, by an update of ``model.image``. So a manifest whose secret
variables are unset (what ``endpointctl export`` writes, planned in CI without the values) plans and
applies every other change; a change that would send such a value is refused, before anything is sent
by anyone (exit 2, with the file, line and variable), rather than sending an empty secret.
"""

from __future__ import annotations

from endpointctl.core.errors import ManifestError, ManifestIssue
from endpointctl.core.plan import Action, Change, Plan, StepKind

SECRETS = ("spec", "model", "secrets")
IMAGE = ("spec", "model", "image")


def _sent_by(change: Change, path: tuple[str, ...]) -> str | None:
    """What in ``change`` would send the value at ``path``, in words; None when nothing does."""
    if change.action is Action.BLOCKED:
        return None
    for step in change.steps:
        if step.kind is StepKind.CREATE:
            return "re-creating the endpoint" if change.action is Action.REPLACE else "creating the endpoint"
        if step.kind is StepKind.UPDATE:
            if path[: len(SECRETS)] == SECRETS and "model.secrets" in step.paths:
                return "updating its secrets (their names changed, or --rotate-secrets)"
            if path[: len(IMAGE)] == IMAGE and "model.image" in step.paths:
                return "updating its image, which sends the registry password with it"
    return None


def missing_values(plan: Plan) -> list[ManifestIssue]:
    """One issue per unset secret variable a step of ``plan`` would send."""
    issues: list[ManifestIssue] = []
    for change in plan.changes:
        desired = change.desired
        if desired is None:
            continue
        for path, variable in desired.unset_secrets.items():
            why = _sent_by(change, path)
            if why is None:
                continue
            what = "secret" if path[: len(SECRETS)] == SECRETS else "registry password"
            issues.append(
                ManifestIssue(
                    desired.file,
                    desired.line_of(*path),
                    ".".join(path),
                    f"environment variable {variable} is not set (it holds this {what}), and "
                    f"{change.namespace}/{change.name} needs its value: the plan is {why}",
                )
            )
    return issues


def check(plan: Plan) -> None:
    """Raise ``ManifestError`` (exit 2) when a step of ``plan`` would send a secret nobody gave."""
    issues = missing_values(plan)
    if issues:
        raise ManifestError(
            issues,
            hint="set those variables (a secret's value is needed only to create or re-create an endpoint, "
            "or with --rotate-secrets); nothing was changed",
        )
