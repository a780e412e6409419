"""The sandbox's listing reads one page from the store, not every record, with the same answers."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from endpointctl.sandbox import store as store_module
from endpointctl.sandbox.store import Record, Store

NAMES = ["alpha", "beta", "alphabet", "gamma", "delta", "Alpha", "a-b", "b-a"]
TAGS = ["x", "y", "z"]


def _filled(rows: list[tuple[str, str, list[str]]]) -> Store:
    store = Store(":memory:")
    for index, (namespace, name, tags) in enumerate(rows):
        spec = {"name": name, "tags": tags} if tags else {"name": name}
        store.insert(Record(namespace, f"{name}-{index}", spec, 0.0, 0.0, "u", "u", "deploy", 0.0))
    return store


def _reference(
    store: Store, namespace: str, after: int, limit: int, search: str, tags: frozenset[str]
) -> tuple[list[int], bool]:
    """What the list handler computed before: every record of the namespace, filtered, then cut."""
    matching = [
        r
        for r in store.list(namespace)
        if r.seq > after and tags <= set(r.spec.get("tags") or []) and search in r.name
    ]
    return [r.seq for r in matching[:limit]], len(matching) > limit


ROWS = st.lists(
    st.tuples(st.sampled_from(["ns", "other"]), st.sampled_from(NAMES), st.lists(st.sampled_from(TAGS))),
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(
    rows=ROWS,
    after=st.integers(0, 45),
    limit=st.integers(1, 10),
    search=st.sampled_from(["", "a", "alpha", "Alpha", "-", "zzz"]),
    tags=st.frozensets(st.sampled_from(TAGS), max_size=2),
)
def test_a_page_is_what_filtering_everything_gave(
    rows: list[tuple[str, str, list[str]]], after: int, limit: int, search: str, tags: frozenset[str]
) -> None:
    store = _filled(rows)
    page, more = store.page("ns", after=after, limit=limit, search=search, tags=tags)
    assert ([r.seq for r in page], more) == _reference(store, "ns", after, limit, search, tags)


def test_a_page_decodes_only_its_records(monkeypatch: pytest.MonkeyPatch) -> None:
    store = _filled([("ns", f"e{i}", []) for i in range(500)] + [("other", "o", [])] * 100)
    decoded = 0
    real = store_module._from_row

    def counting(row: tuple[object, ...]) -> Record:
        nonlocal decoded
        decoded += 1
        return real(row)

    monkeypatch.setattr(store_module, "_from_row", counting)
    page, more = store.page("ns", after=250, limit=20)
    assert [r.seq for r in page] == list(range(251, 271)) and more
    assert decoded == 21  # the page and one more, to know another page follows
