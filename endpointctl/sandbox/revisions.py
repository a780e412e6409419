"""The Hub's model repositories, as far as revisions go: ``GET /api/models/{repo}[/revision/{rev}]``.

Answered in the shape huggingface_hub's ``model_info`` reads, with the ``X-Error-Code`` headers it turns
into ``RepositoryNotFoundError``, ``RevisionNotFoundError`` and ``GatedRepoError``. Every repository
``owner/name`` exists and is public, with a branch ``main`` at a commit derived from its name, except:

- ``sandbox/no-such-model`` does not exist: 404 ``RepoNotFound``;
- ``sandbox/private-model`` is private and no token may read it: 404 ``RepoNotFound`` (401 without a
  token), as the Hub answers for a private repository;
- ``sandbox/gated-model`` is gated and no token has been granted access: 403 ``GatedRepo`` (401 without
  a token).

A branch or tag moved with ``PUT /_sandbox/models/{owner}/{model}/refs/{ref}`` (or ``Sandbox.move_ref``)
points at its new commit, and the move is kept in the store; any other name but ``main`` is not a
revision (404 ``RevisionNotFound``). Forty hex digits are a commit of any repository.

Creates and updates resolve ``model.revision`` (omitted: ``main``) the same way, as the service does:
every answer carries the commit, even while pending. A revision that cannot be resolved is a 400 there;
what the service answers then is not documented.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from . import model_catalog
from .auth import bearer_token, identify
from .context import Context
from .transport import ErrorAnswer, Request, Response, Route, json_response
from .views import rfc3339

DEFAULT_BRANCH = "main"
MISSING_REPO = "sandbox/no-such-model"
PRIVATE_REPO = "sandbox/private-model"
GATED_REPO = "sandbox/gated-model"
COMMIT_RE = re.compile(r"[0-9a-fA-F]{40}")
# When every repository's unmoved refs were last changed: a fixed date, so answers are reproducible.
CREATED_AT = 1_704_067_200.0  # 2024-01-01T00:00:00Z
INVALID_CREDENTIALS = "Invalid credentials in Authorization header"


class HubRefusal(ErrorAnswer):
    """An error answered the Hub's way: the message also in ``X-Error-Message``, and an error code."""

    def __init__(self, status: int, message: str, code: str | None = None) -> None:
        super().__init__(status, message)
        self.code = code

    def response(self) -> Response:
        headers = {"X-Error-Message": self.message}
        if self.code:
            headers["X-Error-Code"] = self.code
        return json_response({"error": self.message}, status=self.status, headers=headers)


def is_commit(revision: str) -> bool:
    return COMMIT_RE.fullmatch(revision) is not None


def _derived(*parts: str) -> str:
    return hashlib.sha1("@".join(parts).encode()).hexdigest()


def check_access(repository: str, *, authenticated: bool) -> None:
    """Refuse, as the Hub would, a repository that does not exist or that no token may read."""
    if repository in (MISSING_REPO, PRIVATE_REPO):
        # The Hub does not tell a private repository from a missing one; without a token it answers 401.
        raise HubRefusal(404 if authenticated else 401, "Repository not found", "RepoNotFound")
    if repository == GATED_REPO:
        raise HubRefusal(
            403 if authenticated else 401,
            f"Access to model {repository} is restricted and you are not in the authorized list. "
            f"Visit https://huggingface.co/{repository} to ask for access.",
            "GatedRepo",
        )


def lookup(ctx: Context, repository: str, revision: str) -> tuple[str, float]:
    """The commit ``revision`` names in ``repository`` and when it got there (access not checked)."""
    if is_commit(revision):
        return revision.lower(), CREATED_AT
    moved = ctx.store.get_ref(repository, revision)
    if moved is not None:
        return moved
    if revision == DEFAULT_BRANCH:
        return _derived(repository, revision), CREATED_AT
    raise HubRefusal(404, f"Invalid rev id: {revision}", "RevisionNotFound")


def pin(ctx: Context, repository: str, revision: str | None) -> str:
    """What a create or update stores as ``model.revision``: the commit, or a 400 naming why not."""
    asked = revision or DEFAULT_BRANCH
    try:
        check_access(repository, authenticated=True)
        return lookup(ctx, repository, asked)[0]
    except HubRefusal as refusal:
        raise ErrorAnswer(400, f"Cannot deploy {repository}@{asked}: {refusal.message}") from None


def move_ref(ctx: Context, repository: str, ref: str, sha: str | None = None) -> tuple[str | None, str]:
    """Point ``ref`` of ``repository`` at ``sha`` (default: a new commit); (previous commit, new one)."""
    if repository == MISSING_REPO:
        raise ErrorAnswer(404, "Repository not found")
    if is_commit(ref):
        raise ErrorAnswer(400, "A branch or tag cannot be named like a commit")
    try:
        previous: str | None = lookup(ctx, repository, ref)[0]
    except HubRefusal:
        previous = None
    new = sha.lower() if sha else _derived(repository, ref, previous or "")
    ctx.store.set_ref(repository, ref, new, ctx.now())
    return previous, new


def model_info(repository: str, sha: str, changed_at: float) -> dict[str, Any]:
    """A model's Hub answer, as ``HfApi.model_info`` parses it (task and size: ``model_catalog``)."""
    card = model_catalog.card(repository)
    doc: dict[str, Any] = {
        "_id": _derived(repository)[:24],
        "id": repository,
        "modelId": repository,
        "author": repository.split("/", 1)[0],
        "sha": sha,
        "lastModified": rfc3339(changed_at),
        "createdAt": rfc3339(CREATED_AT),
        "private": False,
        "gated": False,
        "disabled": False,
        "downloads": 0,
        "likes": 0,
        "library_name": "transformers",
        "tags": ["transformers"],
        "pipeline_tag": card.pipeline_tag if card else None,
        "siblings": [{"rfilename": name} for name in (".gitattributes", "README.md", "config.json")],
        "spaces": [],
        "usedStorage": 0,
    }
    safetensors = model_catalog.safetensors(repository)
    if safetensors is not None:
        doc["safetensors"] = safetensors
    return doc


def _answer(ctx: Context, req: Request, revision: str) -> Response:
    if (
        bearer_token(req.headers) is not None
        and identify(req.headers, ctx.config.user, ctx.config.orgs) is None
    ):
        raise HubRefusal(401, INVALID_CREDENTIALS)
    repository = f"{req.params['owner']}/{req.params['model']}"
    check_access(repository, authenticated=bearer_token(req.headers) is not None)
    sha, changed_at = lookup(ctx, repository, revision)
    return json_response(model_info(repository, sha, changed_at))


def routes(ctx: Context) -> list[Route]:
    model = "/api/models/{owner}/{model}"
    return [
        Route("GET", model, lambda req: _answer(ctx, req, DEFAULT_BRANCH)),
        Route("GET", f"{model}/revision/{{rev}}", lambda req: _answer(ctx, req, req.params["rev"])),
    ]
