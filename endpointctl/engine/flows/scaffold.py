"""init: a first manifest for a model, from the Hub, the Inference Catalog and the hardware catalog.

Three reads, no change: the model's metadata (task, size), the catalog's entry for it (a tested recipe),
and the namespace's hardware catalog (what is offered, its price, status and quota). The catalog is
advice: when it cannot be read, the manifest is sized without it, and the output says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from endpointctl.core.defaults import INIT_REGION, INIT_VENDOR
from endpointctl.core.errors import ApiError, AuthError, EndpointctlError, NotFound, UsageError
from endpointctl.core.export import ManifestText
from endpointctl.core.hub_tasks import TASKS_VARIABLE, misspelt_task
from endpointctl.core.model_facts import CatalogModel, CatalogRecipe
from endpointctl.core.scaffold import endpoint_name, scaffold
from endpointctl.core.sizing import Choice, choose
from endpointctl.core.spec import CONTROL_RE, NAME_MAX, NAME_RE, namespace_problem
from endpointctl.engine.flows.export import check_one
from endpointctl.engine.session import Session
from endpointctl.hub.revisions import Unreadable
from endpointctl.manifest import writer

DEFAULT_VENDOR, DEFAULT_REGION = INIT_VENDOR, INIT_REGION


@dataclass(frozen=True)
class InitRequest:
    repository: str
    name: str | None = None
    task: str | None = None
    vendor: str = DEFAULT_VENDOR
    region: str = DEFAULT_REGION
    namespace: str | None = None  # --namespace, written into the manifest when given
    accepted_tasks: frozenset[str] = frozenset()  # taken as known, never as typos (ENDPOINTCTL_TASKS)


@dataclass(frozen=True)
class Initialized:
    manifest: ManifestText
    choice: Choice
    task: str | None


def _check(request: InitRequest) -> str:
    if request.repository.count("/") != 1 or not all(request.repository.split("/")):
        raise UsageError(f"{request.repository!r} is not a model repository id: write owner/name")
    name = request.name or endpoint_name(request.repository)
    if len(name) > NAME_MAX or not NAME_RE.fullmatch(name):
        raise UsageError(f"--name {name!r} is not an endpoint name: a-z, 0-9 and '-', at most {NAME_MAX}")
    if request.namespace is not None and (problem := namespace_problem(request.namespace)):
        raise UsageError(problem)
    if request.task is not None and (not request.task or CONTROL_RE.search(request.task)):
        raise UsageError("--task is empty or holds a control character")
    if request.task is not None:
        _no_typo(
            request.task, "given with --task", request.accepted_tasks
        )  # before any call: the flag alone decides it
    return name


def _no_typo(task: str, source: str, accepted: frozenset[str]) -> None:
    """Refuse a task a manifest cannot hold: written, it would only be refused by the next validate."""
    meant = misspelt_task(task, accepted)
    if meant is not None:
        raise UsageError(
            f"task {task!r} ({source}) is not a task the Hub knows, but a typo away from one "
            f"(did you mean {meant!r}?)",
            hint=f"pass --task {meant}, or the task meant (a task newer than endpointctl's list is taken "
            f"when {TASKS_VARIABLE} names it)",
        )


def _catalog_entry(session: Session, repository: str) -> CatalogModel | None:
    try:
        models = session.hub.catalog_models(search=repository)
    except ApiError as error:
        session.report(
            f"note: the Inference Catalog could not be read, so no recipe was used: {error.message}"
        )
        return None
    return next((m for m in models if m.repository.lower() == repository.lower()), None)


def _unreadable(repository: str, facts: Unreadable) -> EndpointctlError:
    """A malformed id is a usage error (exit 2), as ``_check``'s own refusals; the Hub's answer about a
    well-formed one (no such model, private, gated) is an API answer (exit 1), as every other not-found."""
    message = f"model {repository} cannot be read on the Hub: {facts.reason}"
    if facts.status is None:
        return UsageError(message)
    if facts.status == 404:
        return NotFound(message, status=404, hint="check REPO's spelling, or use a token that may read it")
    if facts.status in (401, 403):
        return AuthError(message, status=facts.status)
    return ApiError(message, status=facts.status)


def init(session: Session, request: InitRequest) -> Initialized:
    name = _check(request)
    repository = request.repository
    facts = session.hub.model_facts(repository)
    if isinstance(facts, Unreadable):
        raise _unreadable(repository, facts)
    entry = _catalog_entry(session, repository)
    task, source = request.task, "given with --task"
    if task is None and facts.task is not None:
        task, source = facts.task, "the model's pipeline_tag on the Hub"
    if task is None and entry is not None and entry.task and not CONTROL_RE.search(entry.task):
        task, source = entry.task, "the Inference Catalog"
    if task is None:
        raise UsageError(
            f"the Hub names no task for {repository}",
            hint="pass --task, e.g. --task text-generation (or custom, for a custom handler)",
        )
    _no_typo(
        task, source, request.accepted_tasks
    )  # one the Hub or the catalog names, newer than endpointctl's list of tasks
    recipe: CatalogRecipe | None = None
    if entry is not None and entry.recipes and entry.task in (None, task):
        recipe = entry.recipes[0]  # the catalog's default recipe, as `hf endpoints catalog deploy --repo`
    rows = session.hub.hardware(session.namespace(request.namespace))
    choice = choose(
        rows,
        vendor=request.vendor,
        region=request.region,
        task=task,
        parameters=facts.parameters,
        recipe=recipe,
    )
    made = scaffold(
        repository, name=name, namespace=request.namespace, task=task, task_source=source, choice=choice
    )
    text = writer.render(made.document, made.comments)
    check_one(text, name)
    namespace = request.namespace or ""
    return Initialized(ManifestText(namespace, name, text, made.document), choice, task)
