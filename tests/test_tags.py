"""The tags an apply writes: labels replace their own keys, tags someone else added stay, and our
bookkeeping (which labels we set, which stack) counts only on an endpoint we manage."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from endpointctl.core.tags import LABELS_KEY, MANAGED_TAG, STACK_KEY, desired_tags

KEYS = st.sampled_from(["team", "owner", "cost-center", "env", "tier"])
VALUES = st.sampled_from(["ml", "bob", "42", "prod", ""])
LABELS = st.dictionaries(KEYS, VALUES.filter(bool), max_size=3)
BOOKKEEPING = st.one_of(
    st.just(LABELS_KEY),
    st.builds(lambda keys: f"{LABELS_KEY}={'+'.join(keys)}", st.lists(KEYS, max_size=4)),
)
STACKS = st.sampled_from(["prod", "other", ""]).map(lambda v: f"{STACK_KEY}={v}") | st.just(STACK_KEY)
FOREIGN = st.one_of(st.builds(lambda k, v: f"{k}={v}", KEYS, VALUES), KEYS, BOOKKEEPING, STACKS)


def key(tag: str) -> str:
    return tag.partition("=")[0]


@given(labels=LABELS, live=st.lists(FOREIGN, max_size=6))
def test_adopting_keeps_every_tag_but_those_the_manifest_sets_and_stale_bookkeeping(
    labels: dict[str, str], live: list[str]
) -> None:
    """An endpoint we do not manage may carry a bookkeeping tag someone else wrote; it has no say over
    which of the endpoint's tags go: every tag whose key the manifest does not set stays."""
    wanted = desired_tags(labels, live, "prod")
    kept = {tag for tag in live if key(tag) not in {*labels, LABELS_KEY, STACK_KEY}}
    assert kept <= set(wanted)
    assert {f"{k}={v}" for k, v in labels.items()} <= set(wanted)
    assert MANAGED_TAG in wanted
    # Filed under the stack this run chose, and under no other: a prune of another stack never finds it.
    assert [tag for tag in wanted if key(tag) == STACK_KEY] == [f"{STACK_KEY}=prod"]
    # Exactly one bookkeeping tag, ours, naming exactly the manifest's labels (none when it has none).
    bookkeeping = [tag for tag in wanted if key(tag) == LABELS_KEY]
    assert bookkeeping == ([f"{LABELS_KEY}={'+'.join(sorted(labels))}"] if labels else [])


def test_on_an_endpoint_we_manage_a_label_the_manifest_dropped_is_removed_and_others_stay() -> None:
    live = [MANAGED_TAG, f"{LABELS_KEY}=owner+team", "team=ml", "owner=bob", "cost-center=42"]
    wanted = desired_tags({"team": "nlp"}, live, None)
    assert set(wanted) == {MANAGED_TAG, f"{LABELS_KEY}=team", "team=nlp", "cost-center=42"}


def test_the_same_tags_on_an_endpoint_being_adopted_lose_nothing() -> None:
    live = [f"{LABELS_KEY}=owner+team", "team=ml", "owner=bob", "cost-center=42"]
    wanted = desired_tags({"team": "nlp"}, live, None)
    assert set(wanted) == {MANAGED_TAG, f"{LABELS_KEY}=team", "team=nlp", "owner=bob", "cost-center=42"}


def test_adopting_without_a_stack_files_it_under_none() -> None:
    wanted = desired_tags({}, [f"{STACK_KEY}=other", "team=ml"], None)
    assert set(wanted) == {MANAGED_TAG, "team=ml"}


def test_on_an_endpoint_we_manage_its_stack_stays() -> None:
    live = [MANAGED_TAG, f"{STACK_KEY}=prod", "team=ml"]
    assert set(desired_tags({}, live, None)) == set(live)
