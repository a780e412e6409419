"""PURE: the tasks the Hub names, how a task is spelled, and whether a task is a misspelling of one.

A task the list below does not hold is still accepted: the Hub adds tasks, and a container may be given
a task of its own. Only one a typo away from a known task is refused (``spec.ModelSpec``): the API takes
any word, so ``text-clasification`` deployed, and its smoke test passed with no answer shape to check.
"""

from __future__ import annotations

from collections.abc import Mapping

# Tasks this variable names are taken as known (``accepted_tasks``).
TASKS_VARIABLE = "ENDPOINTCTL_TASKS"
# The Hub's pipeline tags (huggingface.js, packages/tasks/src/pipelines.ts, PIPELINE_DATA).
HUB_TASKS = frozenset(
    {
        "any-to-any",
        "audio-classification",
        "audio-text-to-text",
        "audio-to-audio",
        "automatic-speech-recognition",
        "biology",
        "depth-estimation",
        "document-question-answering",
        "feature-extraction",
        "fill-mask",
        "graph-ml",
        "image-classification",
        "image-feature-extraction",
        "image-segmentation",
        "image-text-to-text",
        "image-to-3d",
        "image-to-image",
        "image-to-text",
        "image-to-video",
        "keypoint-detection",
        "mask-generation",
        "multiple-choice",
        "object-detection",
        "other",
        "question-answering",
        "reinforcement-learning",
        "robotics",
        "sentence-similarity",
        "summarization",
        "table-question-answering",
        "table-to-text",
        "tabular-classification",
        "tabular-regression",
        "tabular-to-text",
        "text-classification",
        "text-generation",
        "text-ranking",
        "text-retrieval",
        "text-to-3d",
        "text-to-audio",
        "text-to-image",
        "text-to-speech",
        "text-to-video",
        "text2text-generation",
        "time-series-forecasting",
        "token-classification",
        "translation",
        "unconditional-image-generation",
        "video-classification",
        "video-text-to-text",
        "visual-document-retrieval",
        "visual-question-answering",
        "voice-activity-detection",
        "zero-shot-classification",
        "zero-shot-image-classification",
        "zero-shot-object-detection",
    }
)
# What Inference Endpoints takes beside them: a custom handler, and the older names endpoints still carry
# (the aliases the smoke test reads as text-classification and feature-extraction among them).
ENDPOINT_TASKS = frozenset(
    {"conversational", "custom", "sentence-embeddings", "sentence-ranking", "sentiment-analysis"}
)
KNOWN_TASKS = HUB_TASKS | ENDPOINT_TASKS
# The Hub writes a translation task with its languages (translation_en_to_fr): any such is a translation.
_TRANSLATION = "translation"
# Edits a typo may make: one per 8 characters of the task meant, at most 2. A short task is never guessed
# at (`other`, `custom`): a word of one's own so short is as likely meant as it is a slip.
_CHARACTERS_PER_EDIT = 8
_MAX_EDITS = 2


def task_key(task: str) -> str:
    """A task as it is compared (``endpoint.same_task`` says why): "Text_Classification" is
    text-classification."""
    return task.casefold().replace("_", "-")


def is_known_task(task: str) -> bool:
    """Whether ``task`` is one of the known tasks, however spelled (``task_key``)."""
    key = task_key(task)
    return key in KNOWN_TASKS or key.startswith(f"{_TRANSLATION}-")


def task_typo(desired_task: str | None, accepted: frozenset[str] = frozenset()) -> str | None:
    """Why ``spec.model.task`` is refused where it would be sent (``validate``, and a create, replace or
    update of the task in a plan); None when it is no typo. Not refused when loading: a manifest deployed
    with a typo before this check stays usable by every command that does not send its task (a pause, a
    schedule run), so an upgrade stops no cost job. ``accepted``: tasks taken as known
    (``accepted_tasks``)."""
    meant = misspelt_task(desired_task, accepted) if desired_task is not None else None
    if meant is None:
        return None
    return (
        f"{desired_task!r} is not a task the Hub knows, but a typo away from one (did you mean {meant!r}?); "
        f"a task newer than endpointctl's list is taken when {TASKS_VARIABLE} names it"
    )


def accepted_tasks(environ: Mapping[str, str]) -> frozenset[str]:
    """The tasks ``ENDPOINTCTL_TASKS`` names in ``environ`` (the caller's: comma- or space-separated),
    taken as known, never as a typo of one. The Hub adds tasks, and a new one may be a typo's distance from
    a task the list holds (``text-to-4d`` beside ``text-to-3d``): without a way to say so, it could never be
    deployed."""
    named = environ.get(TASKS_VARIABLE, "")
    return frozenset(task_key(word) for word in named.replace(",", " ").split())


def misspelt_task(task: str, accepted: frozenset[str] = frozenset()) -> str | None:
    """The known task ``task`` is a typo of (``text-clasification``: text-classification), else None.

    None for a known task however spelled, and for one farther from every known task than a typo goes:
    a task the list does not know may be the Hub's newest, or a container's own.
    """
    key = task_key(task)
    if is_known_task(task) or key in accepted:
        return None
    near = [
        (edits, known)
        for known in sorted(KNOWN_TASKS)
        if (edits := _edits(key, known, _reach(known))) <= _reach(known)
    ]
    return min(near)[1] if near else None


def _reach(known: str) -> int:
    return min(_MAX_EDITS, len(known) // _CHARACTERS_PER_EDIT)


def _edits(a: str, b: str, bound: int) -> int:
    """How many single-character insertions, deletions, substitutions and swaps of neighbours turn ``a``
    into ``b`` (the optimal string alignment distance); any count over ``bound`` is ``bound + 1``, so a
    word of any length costs little to compare."""
    if abs(len(a) - len(b)) > bound:
        return bound + 1
    before: list[int] = []
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, y in enumerate(b, start=1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y))
            if i > 1 and j > 1 and x == b[j - 2] and a[i - 2] == y:
                current[j] = min(current[j], before[j - 2] + 1)
        if min(current) > bound:
            return bound + 1
        before, previous = previous, current
    return min(previous[-1], bound + 1)
