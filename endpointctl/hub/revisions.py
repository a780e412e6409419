"""Branch and tag lookups on the Hub: which commit a manifest's revision names now.

``GET /api/models/{repo}/revision/{rev}`` through huggingface_hub's ``model_info``, sent where whoami
goes (the server ``ENDPOINTCTL_API_URL`` or ``--sandbox`` names, else the Hub), under the retries and
the deadline of every other call. An answer that says the revision cannot be read (no such revision, no
such repository or a private one, a gated one this token may not read) is returned, not raised: the
engine names every endpoint it stops, together, before any change. Anything else (unreachable, a 5xx
after its retries) is raised as for any call.
"""

from __future__ import annotations

from dataclasses import dataclass

from huggingface_hub.errors import (
    GatedRepoError,
    HfHubHTTPError,
    HFValidationError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

from endpointctl.core.errors import ApiError
from endpointctl.core.revisions import is_commit
from endpointctl.hub.calls import GATEWAY_HINT, ApiCalls
from endpointctl.hub.wording import server_message


@dataclass(frozen=True)
class Unreadable:
    """Why a revision cannot be turned into a commit with this token: the Hub's answer, worded."""

    reason: str
    # The Hub's HTTP status; None when huggingface_hub refused the repository id before sending it (a
    # malformed id: the caller's mistake, where an answer about a well-formed one is the Hub's word).
    status: int | None = None


class RevisionCalls(ApiCalls):
    def commit_of(self, repository: str, revision: str) -> str | Unreadable:
        """The commit ``revision`` (a branch or tag) of model ``repository`` points at, in lowercase."""
        doing = f"looking up revision '{revision}' of model '{repository}'"

        def fetch() -> str | Unreadable:
            try:
                info = self._api.model_info(repository, revision=revision, token=self._token.value)
            except HFValidationError as error:  # refused by huggingface_hub before sending anything
                return Unreadable(f"the Hub does not accept it: {self._redactor.shorten(str(error), 200)}")
            except HfHubHTTPError as error:
                unreadable = self._unreadable(error, revision)
                if unreadable is None:
                    raise
                return unreadable
            sha = info.sha
            if not isinstance(sha, str) or not is_commit(sha):
                shown = self._redactor.shorten(repr(sha), 60)
                raise ApiError(
                    f"{doing}: the API answered without a commit ('sha' is {shown})",
                    hint=GATEWAY_HINT,
                )
            return sha.lower()

        return self._call(doing, fetch, limiter=self._hub_limiter)

    def _unreadable(self, error: HfHubHTTPError, revision: str) -> Unreadable | None:
        status = error.response.status_code
        said = f"{status}: {server_message(error.response, self._redactor)}"
        # GatedRepoError is a RepositoryNotFoundError: asked first.
        if isinstance(error, GatedRepoError):
            return Unreadable(
                f"the repository is gated and this token has not been granted access ({said})", status
            )
        if isinstance(error, RevisionNotFoundError):
            return Unreadable(f"it has no branch, tag or commit '{revision}' ({said})", status)
        if isinstance(error, RepositoryNotFoundError):
            return Unreadable(
                f"the repository does not exist, or it is private and this token cannot read it ({said})",
                status,
            )
        if status in (401, 403):
            return Unreadable(f"this token may not read it ({said})", status)
        return None
