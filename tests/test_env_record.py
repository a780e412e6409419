"""A variable removed from a manifest is removed from the endpoint, when endpointctl is the one that set it.

Which ``model.env`` variables endpointctl last sent is recorded in a tag (``endpointctl-env=A+B``),
written only with a change that sends env. Variables it did not send (someone else's, the service's, or
sent before the record existed) are never compared, so they never plan an update; the record is read only
on an endpoint endpointctl manages.
"""

from __future__ import annotations

import json
import pathlib
import urllib.request
from typing import Any

import pytest
from builders import desired, live
from clirunner import Cli, assert_replan_empty
from conftest import TOKEN
from hypothesis import given
from hypothesis import strategies as st
from test_cli_apply import USER, manifest, write

from endpointctl.core.plan import Action, Options, compute
from endpointctl.core.tags import ENV_KEY, ENV_TAG_MAX, MANAGED_TAG, desired_tags, env_tag, owned_env_names
from endpointctl.hub.requests import update_arguments
from endpointctl.sandbox import Sandbox

GPT2 = {"repository": "openai-community/gpt2", "task": "text-generation"}


def plan_one(spec_env: dict[str, str] | None, *, adopt: bool = False, **endpoint: Any) -> Any:
    model = {**GPT2, **({"env": spec_env} if spec_env is not None else {})}
    observed = {"acme": [live(**endpoint)]}
    (change,) = compute([("acme", desired(model=model))], observed, Options(adopt=adopt)).changes
    return change


def env_field(change: Any) -> Any:
    return next((field for field in change.fields if field.path == "model.env"), None)


def removed_names(change: Any) -> set[str]:
    """The names the plan's "removes" note gives."""
    prefix = "model.env: removes "
    notes = [note for note in change.notes if note.startswith(prefix)]
    return set(notes[0][len(prefix) :].partition(":")[0].split(", ")) if notes else set()


def record(*names: str) -> str:
    return f"{ENV_KEY}={'+'.join(names)}"


MANAGED = ("team=nlp", MANAGED_TAG, "endpointctl-labels=team")


# -- the record ---------------------------------------------------------------------------------------


def test_the_record_holds_only_names_it_can_give_back_and_fits_the_limit() -> None:
    assert env_tag(["B", "A", "A"]) == record("A", "B")
    assert env_tag(["A+B", "C=D", "E,F", "9X", "", "ok_1"]) == record("ok_1")
    assert env_tag([]) is None and env_tag(["a b"]) is None
    many = [f"VARIABLE_{i:03}" for i in range(40)]
    assert env_tag(many) is None  # over ENV_TAG_MAX: nothing recorded rather than a tag the API may refuse
    assert len(env_tag(many[:10]) or "") <= ENV_TAG_MAX
    # Read back, a name endpointctl could not have written is not taken from it.
    assert owned_env_names([record("A", "B=1", "", "C")]) == {"A", "C"}
    assert owned_env_names(["x=y"]) == frozenset()


def test_the_record_changes_only_with_the_env_it_records() -> None:
    live_tags = [*MANAGED, record("A", "B"), "mine=1"]
    assert set(desired_tags({"team": "nlp"}, live_tags, None)) == set(live_tags)
    sent = desired_tags({"team": "nlp"}, live_tags, None, sent_env=["A"])
    assert set(sent) == {*MANAGED, record("A"), "mine=1"}
    emptied = desired_tags({"team": "nlp"}, live_tags, None, sent_env=[])
    assert set(emptied) == {*MANAGED, "mine=1"}


def test_adopting_drops_a_record_someone_else_wrote() -> None:
    adopted = desired_tags({}, ["team=ml", record("SECRET_FLAG")], None)
    assert set(adopted) == {MANAGED_TAG, "team=ml"}


# -- the plan -----------------------------------------------------------------------------------------


def test_a_recorded_variable_the_manifest_dropped_is_removed_and_said_so() -> None:
    change = plan_one({"A": "1"}, env={"A": "1", "B": "2", "C": "3"}, tags=(*MANAGED, record("A", "B")))
    assert change.action is Action.UPDATE
    field = env_field(change)
    assert (field.before, field.after) == ({"A": "1", "B": "2", "C": "3"}, {"A": "1"})
    assert "model.env: removes B: sent by endpointctl before, no longer in the manifest" in change.notes
    assert any("C (not in it) may go" in note for note in change.notes)
    (update,) = change.steps
    assert record("A") in update.tags and record("A", "B") not in update.tags


def test_a_manifest_without_env_removes_what_endpointctl_sent_by_sending_none() -> None:
    change = plan_one(None, env={"A": "1", "B": "2"}, tags=(*MANAGED, record("A")))
    field = env_field(change)
    assert (field.before, field.after) == ({"A": "1", "B": "2"}, {})
    assert update_arguments(change.desired, ("model.env",)) == {"env": {}}
    (update,) = change.steps
    assert not any(tag.startswith(f"{ENV_KEY}=") for tag in update.tags)


@pytest.mark.parametrize(
    ("spec_env", "endpoint"),
    [
        # Not recorded: sent before the record existed, or by someone else.
        ({"A": "1"}, {"env": {"A": "1", "B": "2"}}),
        (None, {"env": {"A": "1"}}),
        # Recorded, but the endpoint is not ours: the record was not written by us.
        ({"A": "1"}, {"env": {"A": "1", "B": "2"}, "tags": ("team=nlp", record("A", "B"))}),
        # Recorded and dropped, but already gone; or the env is not reported at all (unknown).
        ({"A": "1"}, {"env": {"A": "1"}, "tags": (*MANAGED, record("A", "B"))}),
        (None, {"env": None, "tags": (*MANAGED, record("A"))}),
    ],
    ids=["unrecorded", "unrecorded, no env", "not managed", "already gone", "env unknown"],
)
def test_nothing_unrecorded_or_unknown_is_ever_removed(
    spec_env: dict[str, str] | None, endpoint: dict[str, Any]
) -> None:
    change = plan_one(spec_env, adopt=True, **endpoint)  # adopt: so one we do not manage is planned
    assert change.action is not Action.BLOCKED
    assert env_field(change) is None


def test_an_update_that_sends_no_env_leaves_the_record_as_it_is() -> None:
    change = plan_one({"A": "1"}, env={"A": "1"}, tags=(*MANAGED, record("A", "OLD")), instance_size="x4")
    assert change.action is Action.UPDATE and env_field(change) is None
    assert [field.path for field in change.fields] == ["compute.instanceSize"]


NAMES = st.sampled_from(["A", "B", "C", "D"])
ENVS = st.dictionaries(NAMES, st.sampled_from(["1", "2"]), max_size=4)


@given(
    want=st.none() | ENVS,
    have=ENVS,
    recorded=st.none() | st.frozensets(NAMES),
    merges=st.booleans(),
)
def test_an_env_update_settles_whether_the_api_replaces_or_merges_env(
    want: dict[str, str] | None, have: dict[str, str], recorded: frozenset[str] | None, merges: bool
) -> None:
    """Whichever way the API treats env (unconfirmed: reference §3), the plan after the update asks for
    nothing more, and nothing endpointctl did not record is ever planned away."""
    tags = MANAGED if recorded is None else (*MANAGED, record(*sorted(recorded)))
    change = plan_one(want, env=have, tags=tags)
    field = env_field(change)
    wanted = want or {}
    if field is None:
        assert all(have.get(k) == v for k, v in wanted.items())
        assert not (set(recorded or ()) & set(have)) - set(wanted)
        return
    assert field.after == wanted
    # Said by name: exactly the recorded variables the manifest dropped.
    assert removed_names(change) == (set(recorded or ()) & set(have)) - set(wanted)
    (update,) = change.steps
    sent = update_arguments(change.desired, ("model.env",))["env"]
    after = {**have, **sent} if merges else dict(sent)
    again = plan_one(want, env=after, tags=update.tags or tags)  # () when the tags are unchanged
    assert env_field(again) is None and again.action is Action.NOOP


# -- end to end, through the sandbox ---------------------------------------------------------------------


def endpoint_json(sandbox: Sandbox, name: str = "gpt2-demo") -> dict[str, Any]:
    request = urllib.request.Request(
        f"{sandbox.url}/v2/endpoint/{USER}/{name}", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        body: dict[str, Any] = json.load(answer)
    return body


def test_removing_a_variable_from_a_manifest_removes_it_from_the_endpoint(
    cli: Cli, sandbox: Sandbox, clock: Any, tmp_path: pathlib.Path
) -> None:
    path = write(tmp_path, "m.yaml", manifest(env={"MAX_INPUT_LENGTH": "1024", "DEBUG": "1"}))
    assert cli("apply", path, "--yes").code == 0
    clock.advance(10)
    assert record("DEBUG", "MAX_INPUT_LENGTH") in endpoint_json(sandbox)["tags"]

    path = write(tmp_path, "m.yaml", manifest(env={"MAX_INPUT_LENGTH": "1024"}))
    plan = cli("plan", path, "-o", "json")
    (change,) = json.loads(plan.stdout)
    assert change["action"] == "update"
    assert any("removes DEBUG" in note for note in change["notes"])
    assert cli("apply", path, "--yes").code == 0, "apply failed"
    clock.advance(10)
    live_endpoint = endpoint_json(sandbox)
    assert live_endpoint["model"]["env"] == {"MAX_INPUT_LENGTH": "1024"}
    assert record("MAX_INPUT_LENGTH") in live_endpoint["tags"]
    assert_replan_empty(cli, sandbox, path)

    # The whole env block gone: what endpointctl sent goes too, and the record with it.
    path = write(tmp_path, "m.yaml", manifest())
    assert cli("apply", path, "--yes").code == 0
    clock.advance(10)
    live_endpoint = endpoint_json(sandbox)
    assert live_endpoint["model"]["env"] == {}
    assert not any(tag.startswith(f"{ENV_KEY}=") for tag in live_endpoint["tags"])
    assert_replan_empty(cli, sandbox, path)
