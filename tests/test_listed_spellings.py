"""An endpoint the API spells otherwise than any endpoint can be named is never created again beside it
nor pruned; a repository id is the same whatever its case (review findings)."""

from __future__ import annotations

from typing import Any

import pytest
from builders import desired, live

from endpointctl.core.plan import Action, Options, compute
from endpointctl.core.tags import MANAGED_TAG, STACK_KEY

STACK = (MANAGED_TAG, f"{STACK_KEY}=s", "team=nlp", "endpointctl-labels=team")


def plan(manifests: list[Any], listed: list[Any], **options: Any) -> list[tuple[str, str]]:
    result = compute([("acme", d) for d in manifests], {"acme": listed}, Options(**options))
    return [(change.action.value, change.name) for change in result.changes]


@pytest.mark.parametrize("listed_as", ["GPT2-DEMO", "gpt2-demo ", " Gpt2-Demo"])
def test_a_manifests_endpoint_listed_in_another_spelling_is_neither_created_nor_pruned(
    listed_as: str,
) -> None:
    """Before: create gpt2-demo and delete the one listed, in parallel; where the API takes names case
    aside, the create was answered 409 and adopted, then the delete removed it."""
    found = plan([desired()], [live(name=listed_as, tags=STACK)], prune=True, stack="s")
    assert found == [("blocked", "gpt2-demo"), ("blocked", listed_as)]
    changes = compute([("acme", desired())], {"acme": [live(name=listed_as, tags=STACK)]}, Options()).changes
    assert listed_as in (changes[0].reason or "") and "not an endpoint name" in (changes[0].reason or "")


def test_one_listed_in_another_spelling_that_no_manifest_names_is_not_pruned_either() -> None:
    found = plan(
        [], [live(name="OLD-ONE", tags=STACK), live(name="old-two", tags=STACK)], prune=True, stack="s"
    )
    assert found == [("blocked", "OLD-ONE"), ("delete", "old-two")]


@pytest.mark.parametrize(
    ("reported", "action"),
    [
        ("OpenAI-Community/GPT2", Action.NOOP),  # the Hub's ids are one whatever their case
        ("openai-community/gpt2/", Action.NOOP),  # no owner/name: unknown, never drift
        ("openai-community", Action.NOOP),
        ("other/model", Action.UPDATE),
    ],
)
def test_a_repository_id_is_compared_case_aside_and_an_odd_one_is_unknown(
    reported: str, action: Action
) -> None:
    (change,) = compute([("acme", desired())], {"acme": [live(repository=reported)]}, Options()).changes
    assert change.action is action


@pytest.mark.parametrize(
    ("reported", "action"),
    [("/health/", Action.NOOP), ("/health", Action.NOOP), ("/healthz", Action.UPDATE)],
)
def test_an_image_health_route_is_compared_without_its_trailing_slash(reported: str, action: Action) -> None:
    image = {"tgi": {"url": "ghcr.io/huggingface/tgi:3", "healthRoute": "/health"}}
    model = {"repository": "openai-community/gpt2", "task": "text-generation", "image": image}
    live_image = {"tgi": {"url": "ghcr.io/huggingface/tgi:3", "healthRoute": reported}}
    (change,) = compute(
        [("acme", desired(model=model))], {"acme": [live(image=live_image)]}, Options()
    ).changes
    assert change.action is action
