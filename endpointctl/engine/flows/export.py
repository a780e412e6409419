"""export and init: manifests written from what is live (``export``) or from a model (``init``).

Both build documents in ``core`` (``export``, ``scaffold``), render them (``manifest.writer``) and then
read every text back through the manifest loader before anything is written: a manifest endpointctl
would refuse, or (for an export) one that would plan a change against the endpoint it came from, is a
bug reported as such, never a file left for the user to find out. What "plan a change" means is the
planner's own verdict (``core.plan.compute``), so an endpoint whose state alone makes it plan a
replace (failed, or a failed update the manifest would ask for again) is refused, named, with nothing
written. Files are written all or none: every target is checked first (an existing file needs
``force``), then each is written to a temporary file beside it and moved into place.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from endpointctl import manifest
from endpointctl.core import export as exporting
from endpointctl.core.endpoint import Endpoint
from endpointctl.core.errors import EndpointctlError, ManifestError, NothingMatched, UsageError
from endpointctl.core.export import ManifestText
from endpointctl.core.plan import Action, Options, compute
from endpointctl.core.spec import Desired
from endpointctl.core.targets import Targets
from endpointctl.engine.selection import select
from endpointctl.engine.session import Session
from endpointctl.manifest import writer

BUG_HINT = "this is a bug in endpointctl; nothing was written — please report it with the endpoint's JSON"


@dataclass(frozen=True)
class Exports:
    manifests: list[ManifestText]
    missing: list[str] = field(default_factory=list)  # named, and not there

    def problem(self, allow_empty: bool, selector: bool) -> NothingMatched | None:
        if allow_empty:
            return None
        if self.missing:
            return NothingMatched(
                "not found: " + ", ".join(self.missing), hint="check the names and --namespace"
            )
        if not self.manifests:
            what = "no endpoint matches the selector" if selector else "the namespace has no endpoints"
            return NothingMatched(f"nothing to export: {what}", hint="pass --allow-empty if that is fine")
        return None


def _comments(exported: exporting.Exported, live: Endpoint) -> list[str]:
    lines = [
        f"{live.namespace}/{live.name}, written by `endpointctl export` from what the API reports;",
        "what it does not report is left out here, and never compared.",
    ]
    if exported.variables:
        shown = ", ".join(f"${{{var}}}" for _, var in exported.variables)
        lines += [
            f"Secret values are write-only; these stand for them: {shown}.",
            "Plan and apply need them set only where they send them: to create or re-create this",
            "endpoint, to change its secrets (or its image, for a registry password), or --rotate-secrets.",
        ]
    state = exported.document["spec"].get("state")
    if state is not None:
        lines.append(f"state: {state} is its state now; remove it to leave pause and resume to other jobs.")
    if not live.managed:
        lines.append(
            "Not managed by endpointctl yet: `endpointctl plan FILE --adopt` (FILE: this file) shows the "
            "tags it would add."
        )
    return lines + [f"Note: {note}." for note in exported.notes]


def _read_back(texts: Sequence[tuple[str, str]]) -> list[Desired]:
    """Each (name, text) loaded as endpointctl will load the written file, without any variable set."""
    if not texts:
        return []
    with tempfile.TemporaryDirectory(prefix="endpointctl-export-") as directory:
        paths = []
        for index, (name, text) in enumerate(texts):
            path = Path(directory) / f"{index:06d}-{name}.yaml"
            path.write_text(text, encoding="utf-8")
            paths.append(str(path))
        try:
            return manifest.load(paths, environ={})
        except ManifestError as error:
            raise EndpointctlError(
                f"a manifest endpointctl wrote does not load: {error.message}", hint=BUG_HINT
            ) from None


def verdict(desired: Desired, live: Endpoint) -> tuple[list[str], str | None]:
    """The planner's own verdict on ``desired`` against ``live`` (``core.plan.compute``, as ``plan`` computes
    it, with ``--adopt`` for an endpoint not managed yet): the paths a plan would change, nothing for an
    export; and why the manifest would not serve, if it would not. That is when the endpoint's state alone
    makes the plan replace it (it failed), or when the plan would be blocked (its last update failed and
    the manifest asks for the configuration reported; the API gave no readable tag list: whether
    endpointctl manages it, and its labels, are unknown, so an export would guess them). Adopting tags
    are no change of the export's."""
    options = Options(adopt=not live.managed, allow_replace=True)
    (change,) = compute([(live.namespace, desired)], {live.namespace: [live]}, options).changes
    if change.action is Action.BLOCKED:
        return [], f"a plan on its manifest would be blocked: {change.reason or 'the planner blocks it'}"
    if change.destructive and not change.fields:
        why = change.reason or "its state asks for a replace"
        return [], (
            f"its state is {live.status.value}, so a plan on its manifest would replace it (delete, then "
            f"create): {why}"
        )
    return [f.path for f in change.fields if live.managed or f.path != "tags"], None


def export(
    session: Session,
    targets: Targets,
    desired: Sequence[Desired],
    holds_secret: Callable[[str], bool],
    accepted_tasks: frozenset[str] = frozenset(),
) -> Exports:
    """The manifests of the named endpoints (or those the selector matches, or every endpoint).

    ``holds_secret`` says whether a text holds a secret this run knows (the redactor would mask it): no
    manifest holding one is written or printed, masked or not (an apply would send the mask).
    ``accepted_tasks``: tasks taken as known, written though a typo away from one (ENDPOINTCTL_TASKS).
    """
    selection = select(session, targets, desired)
    if targets.given:
        found = [ep for t in selection.targets if (ep := selection.live(t)) is not None]
        missing = [t.key for t in selection.targets if selection.live(t) is None]
    else:
        found, missing = [ep for eps in selection.observed.values() for ep in eps], []
    exported: list[tuple[exporting.Exported, Endpoint]] = []
    refused: list[str] = []
    for live in found:
        result = exporting.export(live, holds_secret, accepted_tasks)
        if isinstance(result, exporting.NotExportable):
            refused.append(f"{live.namespace}/{live.name}: " + "; ".join(result.reasons))
        else:
            exported.append((result, live))
    if refused:
        raise EndpointctlError(
            "cannot export " + "; ".join(refused),
            hint="nothing was written; name the other endpoints to export them",
        )
    texts = [(e.name, writer.render(e.document, _comments(e, live))) for e, live in exported]
    # Anything else that holds one (an image URL with a password in it, say): never written, even masked.
    leaking = [
        f"{live.namespace}/{live.name}"
        for (_, live), (_, text) in zip(exported, texts, strict=True)
        if holds_secret(text)
    ]
    if leaking:
        raise EndpointctlError(
            "cannot export " + ", ".join(leaking) + ": the manifest would hold a secret value this run "
            "knows (the token, or one given as secret)",
            hint="nothing was written; find where the endpoint holds it (its image, its env), move it to "
            "spec.model.secrets and apply, then export",
        )
    loaded = {(d.manifest.metadata.namespace, d.name): d for d in _read_back(texts)}
    verdicts = [(live, verdict(loaded[(live.namespace, live.name)], live)) for _, live in exported]
    refused = [f"{live.namespace}/{live.name}: {why}" for live, (_, why) in verdicts if why is not None]
    if refused:
        raise EndpointctlError(
            "cannot export " + "; ".join(refused),
            hint="nothing was written; recover it first (a failed endpoint: fix its configuration in the "
            "UI, or delete it), or name the other endpoints to export them",
        )
    for live, (differing, _) in verdicts:
        if differing:
            raise EndpointctlError(
                f"the manifest of {live.namespace}/{live.name} would plan a change ({', '.join(differing)})",
                hint=BUG_HINT,
            )
    manifests = [
        ManifestText(e.namespace, e.name, text, e.document, e.variables, e.notes)
        for (e, _), (_, text) in zip(exported, texts, strict=True)
    ]
    return Exports(manifests, missing)


def check_one(text: str, name: str) -> Desired:
    """A manifest ``init`` wrote, loaded back: it must be one endpointctl accepts."""
    (loaded,) = _read_back([(name, text)])
    return loaded


def write(manifests: Sequence[ManifestText], directory: Path, *, force: bool) -> list[ManifestText]:
    """Each manifest to ``directory/<name>.yaml``, all or none; existing files only with ``force``."""
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"{directory} is not a directory")
    names = [m.name for m in manifests]
    if len(set(names)) != len(names):
        raise UsageError(
            "endpoints of several namespaces share a name, and one file per name cannot hold them",
            hint="export one namespace at a time (--namespace), each to its own --dir",
        )
    targets = [directory / f"{m.name}.yaml" for m in manifests]
    existing = [str(path) for path in targets if path.exists() or path.is_symlink()]
    if existing and not force:
        raise UsageError(
            "refusing to overwrite " + ", ".join(existing),
            hint="pass --force to replace them, or choose another --dir; nothing was written",
        )
    # --force replaces a file (or a symlink itself, never what it points to); never a directory or a FIFO.
    others = [str(path) for path in targets if path.exists() and not path.is_symlink() and not path.is_file()]
    if others:
        raise UsageError(
            "not a regular file, so not replaced even with --force: " + ", ".join(others),
            hint="remove them or choose another --dir; nothing was written",
        )
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UsageError(f"cannot create the directory {directory}: {_reason(error)}", hint=NOTHING) from None
    _write_all([(path, m.text) for m, path in zip(manifests, targets, strict=True)])
    return [
        ManifestText(m.namespace, m.name, m.text, m.document, m.variables, m.notes, str(path))
        for m, path in zip(manifests, targets, strict=True)
    ]


NOTHING = "nothing was written"


def _reason(error: OSError) -> str:
    return error.strerror or type(error).__name__


def _write_all(files: Sequence[tuple[Path, str]]) -> None:
    """Every text to a temporary file beside its path first, then each moved into place: a failure while
    writing (a full disk, a directory that cannot be written) leaves no file changed."""
    staged: list[tuple[str, Path]] = []
    moved: list[str] = []
    current: Path | None = None
    try:
        for current, text in files:
            staged.append((_stage(current, text), current))
        for temporary, current in staged:
            os.replace(temporary, current)
            moved.append(str(current))
    except OSError as error:
        done = f"written: {', '.join(moved)}" if moved else NOTHING
        raise EndpointctlError(f"cannot write {current}: {_reason(error)}", hint=done) from None
    finally:
        for temporary, _ in staged:
            Path(temporary).unlink(missing_ok=True)


def _stage(path: Path, text: str) -> str:
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.chmod(temporary, 0o644)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return temporary


def write_file(path: Path, text: str) -> None:
    """``text`` to ``path`` through a temporary file beside it, so a reader never sees half of it."""
    _write_all([(path, text)])
