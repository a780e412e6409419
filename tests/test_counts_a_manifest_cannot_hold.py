"""A scaling count below what any manifest can say is unknown, never drift.

The manifest's schema bounds each count (``minReplica`` 0..100, ``maxReplica`` 1..100,
``scaleToZeroTimeout`` 1..a week). An answer below the least of them (a ``scaleToZeroTimeout`` of 0, a
negative replica count) is no configuration endpointctl can interpret, and it can only ever compare as
different from any manifest: read as a value, it planned a PUT on every run. It is read as an absent
field is (None: ``?`` in ``status``, null in JSON), and never compared. A count past the upper bound is
endpointctl's own limit, not the API's: it means what it says, is compared, and the manifest's value is
sent once.

The oracle for the bounds is the manifest's own schema (``ScalingSpec``), so these tests restate none.
"""

from __future__ import annotations

from typing import Any

import pytest
from builders import desired, raw_endpoint
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from endpointctl.core.plan import Action, Change, Options, compute
from endpointctl.core.spec import ScalingSpec
from endpointctl.core.tags import MANAGED_TAG
from endpointctl.hub.responses import to_endpoint

# The manifest's scaling in these tests, and the Endpoint attribute each count is read into.
MANIFEST_SCALING = {"minReplica": 1, "maxReplica": 2, "scaleToZeroTimeout": 15}
TAGS = ("team=nlp", MANAGED_TAG, "endpointctl-labels=team")  # what an apply of the manifest left
ATTRIBUTE = {
    "minReplica": "min_replica",
    "maxReplica": "max_replica",
    "scaleToZeroTimeout": "scale_to_zero_timeout",
}


def manifest_holds(key: str, value: int) -> bool:
    """Whether a manifest's ``scaling`` may set ``key`` to ``value`` (alone, so no other bound applies)."""
    try:
        ScalingSpec.model_validate({key: value})
    except ValidationError:
        return False
    return True


def readable(key: str, value: int) -> bool:
    """Whether an answer's ``key`` of ``value`` is read as itself: at least the least a manifest holds."""
    return value >= min(v for v in range(-1, 3) if manifest_holds(key, v))


def answer(scaling: dict[str, Any], state: str = "running") -> dict[str, Any]:
    """The endpoint of ``desired(scaling=MANIFEST_SCALING)`` as the API answers it, with ``scaling``."""
    return raw_endpoint(state=state, scaling=scaling, tags=TAGS)


def read(key: str, value: Any) -> Any:
    """The count as endpointctl reads it from an answer whose other counts are the manifest's."""
    endpoint = to_endpoint(answer({**MANIFEST_SCALING, key: value}), "acme")
    return getattr(endpoint, ATTRIBUTE[key])


def planned(key: str, value: Any, state: str = "running") -> Change:
    """The plan of the manifest against a running endpoint whose answer reports ``key`` as ``value``."""
    live = to_endpoint(answer({**MANIFEST_SCALING, key: value}, state), "acme")
    plan = compute([("acme", desired(scaling=MANIFEST_SCALING))], {"acme": [live]}, Options())
    (change,) = plan.changes
    return change


# -- reading ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("scaleToZeroTimeout", 0),
        ("scaleToZeroTimeout", -1),
        ("scaleToZeroTimeout", 0.0),  # a whole float is the count it spells, and 0 is still out of bounds
        ("minReplica", -1),
        ("maxReplica", 0),
        ("maxReplica", -3),
    ],
)
def test_a_count_below_the_manifests_bounds_is_read_as_unknown(key: str, value: Any) -> None:
    assert read(key, value) is None


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("scaleToZeroTimeout", 1),
        ("scaleToZeroTimeout", 7 * 24 * 60),
        ("minReplica", 0),
        ("minReplica", 100),
        ("maxReplica", 1),
        ("maxReplica", 100),
        ("maxReplica", 3.0),
        # Past endpointctl's own bounds: the count still means what it says.
        ("minReplica", 101),
        ("maxReplica", 2**63),
        ("scaleToZeroTimeout", 7 * 24 * 60 + 1),  # a week and a minute
    ],
)
def test_a_count_inside_the_bounds_is_read_as_itself(key: str, value: Any) -> None:
    assert read(key, value) == value


@pytest.mark.parametrize("key", list(ATTRIBUTE))
def test_absent_and_null_are_unknown_as_before(key: str) -> None:
    assert read(key, None) is None
    raw = answer(MANIFEST_SCALING)
    del raw["compute"]["scaling"][key]
    assert getattr(to_endpoint(raw, "acme"), ATTRIBUTE[key]) is None


# -- planning --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value"), [("scaleToZeroTimeout", 0), ("minReplica", -1), ("maxReplica", -1)]
)
def test_an_answer_the_manifest_cannot_hold_plans_nothing(key: str, value: int) -> None:
    change = planned(key, value)
    assert change.action is Action.NOOP, change
    assert change.steps == ()


@settings(max_examples=300, deadline=None)
@given(key=st.sampled_from(list(ATTRIBUTE)), value=st.integers())
@example(key="scaleToZeroTimeout", value=0)
@example(key="minReplica", value=-1)
@example(key="maxReplica", value=0)
@example(key="minReplica", value=101)
@example(key="maxReplica", value=101)
@example(key="scaleToZeroTimeout", value=7 * 24 * 60 + 1)
@example(key="minReplica", value=0)  # in bounds, and not the manifest's 1: an update
@example(key="maxReplica", value=100)
@example(key="scaleToZeroTimeout", value=1)
def test_any_count_plans_a_change_only_when_readable_and_different(key: str, value: int) -> None:
    change = planned(key, value)
    if readable(key, value) and value != MANIFEST_SCALING[key]:
        # Known and different: drift, an update of that field alone, from the answer's value.
        assert change.action is Action.UPDATE, change
        assert [(f.path, f.before, f.after) for f in change.fields] == [
            (f"scaling.{key}", value, MANIFEST_SCALING[key])
        ]
    else:
        assert change.action is Action.NOOP, change
        assert change.fields == () and change.steps == ()
