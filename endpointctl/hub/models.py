"""A model repository as the Hub describes it: its task and size, for ``endpointctl init``.

``GET /api/models/{repo}`` through huggingface_hub's ``model_info``, sent where revision lookups go (the
server ``ENDPOINTCTL_API_URL`` or ``--sandbox`` names, else the Hub), under the same retries. The
``pipeline_tag`` is the task; the ``safetensors`` total is the parameter count. Either may be missing
(a model card without a task, weights not in safetensors): that is None, never a guess. A repository
that cannot be read (missing, private, gated) is returned as ``Unreadable``, worded as for revisions.
"""

from __future__ import annotations

from typing import Any

from huggingface_hub.errors import HfHubHTTPError, HFValidationError

from endpointctl.core.model_facts import ModelFacts
from endpointctl.core.revisions import is_commit
from endpointctl.core.spec import CONTROL_RE
from endpointctl.hub.revisions import RevisionCalls, Unreadable

# Far above any model there is (10^15 parameters: petabytes of weights). A larger count is not a size
# but a broken or hostile answer: unknown, like a missing one (and past 10^308, not even a float).
MAX_PARAMETERS = 10**15


def _count(value: Any) -> int | None:
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    return value if 0 < value <= MAX_PARAMETERS else None


def _task(value: Any) -> str | None:
    """The pipeline tag when a manifest can hold it as a task (a non-empty line of text), else unknown."""
    return value if isinstance(value, str) and value and not CONTROL_RE.search(value) else None


def facts_from_info(repository: str, info: Any) -> ModelFacts:
    """``ModelFacts`` from huggingface_hub's ``ModelInfo``, leniently: what is missing is None."""
    task = getattr(info, "pipeline_tag", None)
    safetensors = getattr(info, "safetensors", None)
    total = _count(getattr(safetensors, "total", None)) if safetensors is not None else None
    sha = getattr(info, "sha", None)
    return ModelFacts(
        repository=repository,
        task=_task(task),
        parameters=total,
        commit=sha.lower() if isinstance(sha, str) and is_commit(sha) else None,
    )


class ModelCalls(RevisionCalls):
    def model_facts(self, repository: str) -> ModelFacts | Unreadable:
        """What the Hub says of ``repository`` (its default branch), or why it cannot be read."""

        def fetch() -> ModelFacts | Unreadable:
            try:
                info = self._api.model_info(repository, token=self._token.value)
            except HFValidationError as error:  # refused by huggingface_hub before sending anything
                return Unreadable(f"the Hub does not accept it: {self._redactor.shorten(str(error), 200)}")
            except HfHubHTTPError as error:
                unreadable = self._unreadable(error, "main")
                if unreadable is None:
                    raise
                return unreadable
            return facts_from_info(repository, info)

        return self._call(f"reading model '{repository}' on the Hub", fetch, limiter=self._hub_limiter)
