"""YAML manifests → validated ``Desired`` endpoints, or one ``ManifestError`` listing every problem.

Pure core: reads the files it is given and nothing else; no network, no clock, no click, and no
``os.environ`` (the caller passes the environment, so tests and the CLI decide what it holds).

Every stage reports into the same list, so one run shows everything to fix:
find files, all of them (``files``) → read YAML keeping lines, within ``limits`` (``yaml_source``) →
expand ``${VAR}`` (``interpolate``) → the rules pydantic cannot express (policy) → pydantic validation
(``messages``) → names unique overall.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from endpointctl.core.errors import ManifestError, ManifestIssue
from endpointctl.core.hub_tasks import accepted_tasks, task_typo
from endpointctl.core.image_settings import setting_problem
from endpointctl.core.spec import (
    CREDENTIAL_KEYS,
    CREDENTIALS_KEY,
    IMAGE_FIELDS,
    Desired,
    Manifest,
    Vendor,
    registry_password,
)
from endpointctl.core.suggest import did_you_mean
from endpointctl.core.tags import HOLD_KEY, LABEL_KEY_RE, RESERVED_LABEL_KEYS, VALUE_RE, VALUE_RULE
from endpointctl.manifest import files
from endpointctl.manifest.interpolate import expand_document
from endpointctl.manifest.limits import MAX_FILE_BYTES
from endpointctl.manifest.messages import describe, explain_all
from endpointctl.manifest.yaml_source import Document, KeyPath, Source, YamlLoader, format_path, read

_BOOL: TypeAdapter[bool] = TypeAdapter(bool)


@dataclass(frozen=True)
class Reading:
    """Every manifest of the paths given, and the files they came from (each gave at least one)."""

    desired: list[Desired]
    files: list[str]


def load(
    paths: Sequence[str | Path],
    *,
    environ: Mapping[str, str],
    allow_public: bool = False,
    loader: YamlLoader | None = None,
) -> list[Desired]:
    """Every manifest document under ``paths``, validated; raises ``ManifestError`` with all issues."""
    return read_manifests(paths, environ=environ, allow_public=allow_public, loader=loader).desired


def read_manifests(
    paths: Sequence[str | Path],
    *,
    environ: Mapping[str, str],
    allow_public: bool = False,
    loader: YamlLoader | None = None,
    task_typos: bool = False,
) -> Reading:
    """Every manifest under ``paths``, read completely, or ``ManifestError`` listing every issue.

    Complete means: every file found, read and holding at least one manifest; anything that cannot be
    is an issue, never skipped (see ``files``). ``allow_public`` is the CLI's ``--allow-public``.
    ``task_typos``: a task a typo away from a known one is an issue too (validate's; the other commands
    load it, and plan blocks what would send it: ``core/task_typos``).
    ``loader`` chooses the YAML parser (``"libyaml"`` or ``"python"``; None: libyaml where installed,
    see ``yaml_source.LOADERS``); both give the same answers, libyaml several times faster.
    """
    issues: list[ManifestIssue] = []
    desired: list[Desired] = []
    read: list[str] = []
    sensitive: list[str] = []
    first_seen: dict[tuple[str | None, str], str] = {}
    checks = _Checks(environ, allow_public, task_typos)
    for file in files.find(paths):
        if isinstance(file, ManifestIssue):
            issues.append(file)
            continue
        read.append(file.label)
        reports = _load_file(file.label, file.path, first_seen, checks, loader=loader)
        desired.extend(report.desired for report in reports if report.desired and not report.issues)
        sensitive.extend(value for report in reports for value in report.sensitive)
        # Within a file, top to bottom reads best; a file-level problem (no line) comes first.
        file_issues = [issue for report in reports for issue in report.issues]
        issues.extend(sorted(file_issues, key=lambda issue: issue.line or 0))
    if not read and not issues:
        shown = ", ".join(str(path) for path in paths) or "(no paths given)"
        issues.append(ManifestIssue(shown, None, "", "no manifests found; expected *.yaml or *.yml files"))
    if issues:
        raise ManifestError(issues, sensitive=tuple(dict.fromkeys(sensitive)))
    return Reading(desired, read)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of one manifest document, by its YAML key names."""
    schema = Manifest.model_json_schema(by_alias=True)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def _load_file(
    label: str,
    path: Path,
    first_seen: dict[tuple[str | None, str], str],
    checks: _Checks,
    *,
    loader: YamlLoader | None,
) -> list[_Report]:
    """One report per document, plus one without a document for problems of the file itself."""
    file_report = _Report(label, None)
    text = _read(path, file_report)
    source = read(text, loader=loader) if text is not None else Source([])
    if text is not None and not source.documents and source.syntax_error is None:
        file_report.add((), "no manifest in this file: it is empty, or holds only `---` and comments")
    reports = [file_report]
    for doc in source.documents:
        report = _Report(label, doc)
        reports.append(report)
        identity = _check(doc, report, checks)
        if identity is not None:
            where = f"{label}:{doc.line_of(('metadata', 'name'))}"
            first = first_seen.setdefault(identity, where)
            if first != where:
                namespace, name = identity
                shown = f"{namespace}/{name}" if namespace else name
                report.add(("metadata", "name"), f"endpoint '{shown}' is defined twice; first at {first}")
    if source.syntax_error is not None:
        error = source.syntax_error
        file_report.issues.append(ManifestIssue(label, error.line, error.path, error.message))
    return reports


@dataclass(frozen=True)
class _Checks:
    """What a document is checked against beyond its schema."""

    environ: Mapping[str, str]  # for ${VAR}
    allow_public: bool
    task_typos: bool


@dataclass
class _Report:
    """What one document came to; each key path is reported once, by the stage that saw it first."""

    file: str
    doc: Document | None  # None: the file itself, e.g. unreadable
    issues: list[ManifestIssue] = field(default_factory=list)
    desired: Desired | None = None
    sensitive: list[str] = field(default_factory=list)  # secret values, valid or not: never shown

    def add(self, path: KeyPath, message: str) -> None:
        data, line = (self.doc.data, self.doc.line_of(path)) if self.doc is not None else (None, None)
        self.issues.append(ManifestIssue(self.file, line, format_path(path, data), message))

    def add_new(self, path: KeyPath, message: str) -> None:
        # A value that already failed interpolation or a policy would fail validation again, less clearly.
        shown = format_path(path, self.doc.data if self.doc is not None else None)
        if all(issue.path != shown for issue in self.issues):
            self.add(path, message)


def _check(doc: Document, report: _Report, checks: _Checks) -> tuple[str | None, str] | None:
    """Validate one document into ``report``; return its (namespace, name), even when it has issues."""
    for problem in doc.problems:
        report.issues.append(ManifestIssue(report.file, problem.line, problem.path, problem.message))
    if not isinstance(doc.data, dict):
        found = describe(doc.data)
        report.add((), f"expected a mapping with apiVersion, kind, metadata and spec, found {found}")
        return None
    data, expansion_problems = expand_document(doc.data, checks.environ)
    report.sensitive.extend(_sensitive_values(data))
    # An unset secret is known by name only: an error only where a plan would send it (secret_values).
    unset = {tuple(map(str, p.path)): p.unset for p in expansion_problems if p.unset is not None}
    for expansion in expansion_problems:
        if expansion.unset is None:
            report.add(expansion.path, expansion.message)
    for path, message in _policy(data, allow_public=checks.allow_public):
        report.add(path, message)
    identity = _identity(data)
    try:
        manifest = Manifest.model_validate(data)
    except ValidationError as exc:
        for item in explain_all(exc.errors()):
            report.add_new(item.path, item.message)
        return identity
    accepted = accepted_tasks(checks.environ)
    if checks.task_typos and (typo := task_typo(manifest.spec.model.task, accepted)) is not None:
        report.add(("spec", "model", "task"), typo)
        return identity
    where = f"{report.file}:{doc.line}"
    report.desired = Desired(manifest, where, lines=dict(doc.lines), unset_secrets=unset)
    return identity


def _sensitive_values(data: dict[Any, Any]) -> list[str]:
    """The secret values and registry passwords a document sets, as expanded, whatever else is wrong."""
    model = _get(data, "spec", "model")
    secrets = model.get("secrets") if isinstance(model, dict) else None
    image = model.get("image") if isinstance(model, dict) else None
    values = list(secrets.values()) if isinstance(secrets, dict) else []
    values += [registry_password(settings) for settings in image.values()] if isinstance(image, dict) else []
    return [str(value) for value in values if isinstance(value, str | int | float) and value != ""]


def _policy(data: dict[Any, Any], *, allow_public: bool) -> list[tuple[KeyPath, str]]:
    """Rules that need context pydantic lacks (the CLI flag, sibling keys), checked on the raw values.

    They run even when validation fails elsewhere in the document, so every problem shows at once.
    """
    found: list[tuple[KeyPath, str]] = []
    labels = _get(data, "metadata", "labels")
    for key, value in labels.items() if isinstance(labels, dict) else []:
        path = ("metadata", "labels", key)
        # Any case of the hold's key too: a tag spelt so reads as an unreadable hold, blocking every stop.
        if key in RESERVED_LABEL_KEYS or (isinstance(key, str) and key.casefold() == HOLD_KEY):
            found.append((path, f"label '{key}' is reserved: endpointctl sets it to track what it manages"))
        elif isinstance(key, str) and ("=" in key or "," in key):
            found.append((path, "label keys must not contain '=' or ',' (labels are sent as key=value tags)"))
        elif isinstance(key, str) and not LABEL_KEY_RE.fullmatch(key):
            found.append(
                (
                    path,
                    "label keys use letters, digits, '.', '_', '/' and '-', "
                    "starting and ending with a letter or digit",
                )
            )
        if isinstance(value, str) and ("=" in value or "," in value):
            found.append(
                (
                    path,
                    f"label value {value!r} must not contain '=' or ',' (labels are sent as key=value tags)",
                )
            )
        elif isinstance(value, str) and not VALUE_RE.fullmatch(value):
            found.append((path, f"label value {value!r} is not allowed: {VALUE_RULE}"))

    spec = data.get("spec")
    if not isinstance(spec, dict):
        return found
    image = _get(spec, "model", "image")
    for variant, settings in image.items() if isinstance(image, dict) else []:
        found.extend(_image_variant(("spec", "model", "image", variant), variant, settings))
        # Credentials where the variant takes none are refused above as an unknown key.
        takes_credentials = CREDENTIALS_KEY in IMAGE_FIELDS.get(variant, ())
        if isinstance(settings, dict) and CREDENTIALS_KEY in settings and takes_credentials:
            where: KeyPath = ("spec", "model", "image", variant, CREDENTIALS_KEY)
            found.extend(_credentials(where, settings[CREDENTIALS_KEY]))
    if spec.get("schedule") is not None and spec.get("state") is not None:
        # Two answers to one question: the schedule already says which state holds when.
        message = "state and schedule cannot both be set: the schedule decides the state; remove state"
        found.append((("spec", "state"), message))
    security = "protected" if spec.get("security") == "authenticated" else spec.get("security")
    if security == "public" and not allow_public and not _true(spec.get("allowPublic")):
        found.append(
            (
                ("spec", "security"),
                "security: public lets anyone call the endpoint without a token; to mean it, "
                "set allowPublic: true in the spec or pass --allow-public",
            )
        )
    if spec.get("privateLink") is not None:
        if security not in ("private", None):  # None: private, the default
            found.append(
                (
                    ("spec", "privateLink"),
                    f"privateLink is only allowed with security: private, found security: {security}",
                )
            )
        vendor = _get(spec, "provider", "vendor")
        if isinstance(vendor, str) and vendor != Vendor.AWS.value:
            found.append(
                (("spec", "privateLink"), f"privateLink requires provider vendor aws, found '{vendor}'")
            )
    return found


def _image_variant(path: KeyPath, variant: Any, settings: Any) -> list[tuple[KeyPath, str]]:
    """An image variant's name and keys, as the API knows them.

    The API silently drops a key it does not know inside a variant (``health_route`` for ``healthRoute``),
    so such a key would never be applied and would show as drift on every plan; it is refused here.
    Only key names are shown, never values.
    """
    variants = list(IMAGE_FIELDS)
    if variant not in IMAGE_FIELDS:
        hint = did_you_mean(variant, variants)
        return [(path, f"unknown image variant '{variant}'{hint}; allowed: {', '.join(variants)}")]
    if not isinstance(settings, dict):
        return []
    allowed = sorted(IMAGE_FIELDS[variant])
    shown = ", ".join(allowed) if allowed else f"none ({variant} takes no settings)"
    found: list[tuple[KeyPath, str]] = []
    for key, value in settings.items():
        if key not in allowed:
            found.append(((*path, key), f"unknown key '{key}'{did_you_mean(key, allowed)}; allowed: {shown}"))
        elif problem := setting_problem(key, value):
            found.append(((*path, key), problem))
    return found


def _credentials(path: KeyPath, credentials: Any) -> list[tuple[KeyPath, str]]:
    """An image's registry login: ``{username, password}``; the password itself is checked with the secrets.

    The API silently drops unknown keys inside an image, so a misspelt ``pasword`` would be a literal
    password that nothing refuses, sent nowhere useful and shown in every plan; it is refused here.
    Nothing under credentials is echoed, only its type.
    """
    if not isinstance(credentials, dict):
        found = describe(credentials, sensitive=True)
        return [(path, f"expected a mapping with username and password, found {found}")]
    problems: list[tuple[KeyPath, str]] = []
    allowed = ", ".join(CREDENTIAL_KEYS)
    for key in credentials:
        if key not in CREDENTIAL_KEYS:
            problems.append(
                ((*path, key), f"unknown key '{key}'{did_you_mean(key, CREDENTIAL_KEYS)}; allowed: {allowed}")
            )
    username = credentials.get("username")
    if "username" not in credentials:
        problems.append(((*path, "username"), "required key missing"))
    elif not isinstance(username, str) or not username:
        found = describe(username, sensitive=True)
        problems.append(((*path, "username"), f"expected a non-empty string, found {found}"))
    return problems


def _identity(data: dict[Any, Any]) -> tuple[str | None, str] | None:
    name, namespace = _get(data, "metadata", "name"), _get(data, "metadata", "namespace")
    if not isinstance(name, str):
        return None
    return (namespace if isinstance(namespace, str) else None, name)


def _get(data: Any, *keys: str) -> Any:
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data


def _true(value: Any) -> bool:
    # As validation will read it, so `allowPublic: ${ALLOW_PUBLIC:-false}` means what it says.
    try:
        return _BOOL.validate_python(value)
    except ValidationError:
        return False


def _read(path: Path, report: _Report) -> str | None:
    """The file's text, or None with the reason in ``report``: unreadable, too large, not UTF-8."""
    try:
        raw = files.read_capped(path, MAX_FILE_BYTES)
    except files.UnreadableFile as unreadable:
        said = str(unreadable)
        report.add((), said.replace("too large:", "too large: a manifest file may hold", 1))
        return None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        report.add((), "cannot read: not UTF-8 text")
        return None
