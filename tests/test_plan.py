"""The pure plan: every kind of change, computed without a network or a clock."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from builders import desired, live, raw_endpoint

from endpointctl.core.endpoint import PrivateLink, Status
from endpointctl.core.plan import Action, Options, StepKind, compute
from endpointctl.core.spec import Security
from endpointctl.core.tags import STACK_KEY, secrets_tag
from endpointctl.hub.responses import to_endpoint


def plan_one(d: Any, endpoint: Any = None, **options: Any) -> Any:
    observed = {"acme": [endpoint] if endpoint else []}
    result = compute([("acme", d)], observed, Options(**options))
    assert len(result.changes) == 1
    return result.changes[0]


def paths(change: Any) -> list[str]:
    return [f.path for f in change.fields]


def steps(change: Any) -> list[str]:
    return [s.kind.value for s in change.steps]


def test_absent_endpoint_is_created_with_defaults_and_ownership_tags() -> None:
    change = plan_one(desired(), stack="prod")
    assert change.action is Action.CREATE
    assert steps(change) == ["create"]
    fields = {f.path: f.after for f in change.fields}
    assert fields["model.framework"] == "pytorch"
    assert fields["security"] == "protected"
    assert fields["model.image"] == {"huggingface": {}}
    assert fields["tags"] == sorted(
        ["team=nlp", "managed-by=endpointctl", f"{STACK_KEY}=prod", "endpointctl-labels=team"]
    )


def test_identical_endpoint_is_a_noop() -> None:
    change = plan_one(desired(), live())
    assert change.action is Action.NOOP
    assert change.steps == ()


@pytest.mark.parametrize(
    ("spec", "endpoint", "path", "before", "after"),
    [
        ({"scaling": {"minReplica": 1, "maxReplica": 4}}, {}, "scaling.maxReplica", 2, 4),
        ({}, {"instance_size": "x4"}, "compute.instanceSize", "x4", "x2"),
        ({}, {"repository": "other/model"}, "model.repository", "other/model", "openai-community/gpt2"),
        (
            {"model": {"repository": "openai-community/gpt2", "task": "text-generation", "env": {"A": "1"}}},
            {"env": {"A": "2"}},
            "model.env",
            {"A": "2"},
            {"A": "1"},
        ),
        (
            {"model": {"repository": "openai-community/gpt2", "task": "text-generation", "revision": "abc"}},
            {"revision": "0123456789abcdef0123456789abcdef01234567"},  # a commit: "main" would be unknown
            "model.revision",
            "0123456789abcdef0123456789abcdef01234567",
            "abc",
        ),
    ],
)
def test_in_place_field_changes(
    spec: dict[str, Any], endpoint: dict[str, Any], path: str, before: Any, after: Any
) -> None:
    change = plan_one(desired(**spec), live(**endpoint))
    assert change.action is Action.UPDATE
    (field,) = [f for f in change.fields if f.path == path]
    assert (field.before, field.after, field.forces_replace) == (before, after, False)
    assert steps(change) == ["update"]
    # A compute change is sent with the other compute fields as the API reports them (core/update_paths.py).
    companions = ("compute.accelerator", "compute.instanceType") if path.startswith("compute.") else ()
    assert change.steps[0].paths == (path, *companions)


def test_fields_the_manifest_omits_are_not_compared() -> None:
    change = plan_one(
        desired(scaling=None),
        live(min_replica=0, max_replica=7, revision="deadbeef", env={"X": "1"}, framework="custom"),
    )
    assert change.action is Action.NOOP


@pytest.mark.parametrize(
    ("spec", "endpoint", "path"),
    [
        ({"provider": {"vendor": "aws", "region": "eu-west-1"}}, {}, "provider.region"),
        ({"provider": {"vendor": "gcp", "region": "us-east-1"}}, {}, "provider.vendor"),
        ({"security": "private"}, {}, "security"),
        (
            {"security": "private", "privateLink": {"accountId": "123456789012", "region": "us-east-1"}},
            {"security": Security.PRIVATE},
            "privateLink",
        ),
    ],
)
def test_changes_that_force_a_replace_are_blocked_without_allow_replace(
    spec: dict[str, Any], endpoint: dict[str, Any], path: str
) -> None:
    change = plan_one(desired(**spec), live(**endpoint))
    assert change.action is Action.BLOCKED
    assert "--allow-replace" in (change.reason or "")
    assert [f.path for f in change.fields if f.forces_replace] == [path]
    assert change.steps == ()

    allowed = plan_one(desired(**spec), live(**endpoint), allow_replace=True)
    assert allowed.action is Action.REPLACE
    assert steps(allowed) == ["delete", "create"]
    assert allowed.destructive
    assert any("downtime" in note and "URL" in note for note in allowed.notes)


def test_private_link_matching_is_not_drift() -> None:
    spec = {"security": "private", "privateLink": {"accountId": "123456789012", "region": "us-east-1"}}
    endpoint = live(security=Security.PRIVATE, private_link=PrivateLink("123456789012", "us-east-1"))
    assert plan_one(desired(**spec), endpoint).action is Action.NOOP


def test_unmanaged_endpoint_is_never_touched_without_adopt() -> None:
    endpoint = live(tags=("team=nlp", "owner=someone"), repository="other/model")
    change = plan_one(desired(), endpoint)
    assert change.action is Action.BLOCKED
    assert "--adopt" in (change.reason or "")

    adopted = plan_one(desired(), endpoint, adopt=True)
    assert adopted.action is Action.UPDATE
    (tags,) = [f for f in adopted.fields if f.path == "tags"]
    assert "owner=someone" in tags.after  # someone else's tag is kept
    assert "managed-by=endpointctl" in tags.after
    assert adopted.steps[0].tags and "owner=someone" in adopted.steps[0].tags


def test_update_sends_the_union_of_tags() -> None:
    endpoint = live(tags=("team=nlp", "managed-by=endpointctl", "cost-center=42"))
    change = plan_one(desired(labels={"team": "search"}), endpoint)
    (tags,) = [f for f in change.fields if f.path == "tags"]
    assert set(tags.after) == {
        "team=search",
        "managed-by=endpointctl",
        "cost-center=42",
        "endpointctl-labels=team",
    }


def test_endpoint_of_another_stack_is_blocked() -> None:
    endpoint = live(tags=("team=nlp", "managed-by=endpointctl", f"{STACK_KEY}=other"))
    change = plan_one(desired(), endpoint, stack="prod")
    assert change.action is Action.BLOCKED
    assert "other" in (change.reason or "")


@pytest.mark.parametrize(
    ("state", "status", "min_replica", "expected_steps", "action"),
    [
        ("paused", Status.RUNNING, 1, ["pause"], Action.PAUSE),
        ("paused", Status.PAUSED, 0, [], Action.NOOP),
        ("running", Status.PAUSED, 0, ["resume"], Action.RESUME),
        ("running", Status.RUNNING, 1, [], Action.NOOP),
        ("running", Status.INITIALIZING, 1, [], Action.NOOP),
        # A fixed state is enforced, floor of 0 or not (only a schedule's night reads a wake-up).
        ("scaledToZero", Status.RUNNING, 0, ["scale-to-zero"], Action.SCALE_TO_ZERO),
        ("scaledToZero", Status.RUNNING, 1, ["scale-to-zero"], Action.SCALE_TO_ZERO),
        ("scaledToZero", Status.SCALED_TO_ZERO, 0, [], Action.NOOP),
        ("scaledToZero", Status.PAUSED, 0, ["resume", "scale-to-zero"], Action.SCALE_TO_ZERO),
    ],
)
def test_state_reconciliation(
    state: str, status: Status, min_replica: int, expected_steps: list[str], action: Action
) -> None:
    scaling = {"minReplica": min_replica, "maxReplica": 2} if status is not Status.PAUSED else None
    change = plan_one(
        desired(state=state, scaling=scaling),
        live(status=status, min_replica=min_replica, max_replica=0 if status is Status.PAUSED else 2),
    )
    assert steps(change) == expected_steps
    assert change.action is action


def test_running_is_satisfied_by_scaled_to_zero_when_min_replica_is_zero() -> None:
    endpoint = live(status=Status.SCALED_TO_ZERO, min_replica=0)
    assert plan_one(desired(state="running", scaling={"minReplica": 0}), endpoint).action is Action.NOOP
    woken = plan_one(desired(state="running", scaling={"minReplica": 1}), live(status=Status.SCALED_TO_ZERO))
    assert steps(woken) == ["resume"]


def test_paused_zero_replicas_are_not_drift() -> None:
    endpoint = live(status=Status.PAUSED, min_replica=0, max_replica=0)
    assert plan_one(desired(), endpoint).action is Action.NOOP
    assert plan_one(desired(state="paused"), endpoint).action is Action.NOOP


def test_resume_then_restore_scaling() -> None:
    endpoint = live(status=Status.PAUSED, min_replica=0, max_replica=0)
    change = plan_one(desired(state="running", scaling={"minReplica": 1, "maxReplica": 3}), endpoint)
    assert steps(change) == ["resume", "update"]
    assert change.steps[1].paths == ("scaling.maxReplica",)  # resume sets 1/1; only max differs then


def test_update_of_a_paused_endpoint_keeps_it_paused() -> None:
    endpoint = live(status=Status.PAUSED, min_replica=0, max_replica=0, repository="old/model")
    change = plan_one(desired(), endpoint)
    assert steps(change) == ["update"]
    assert any("stays paused" in note for note in change.notes)


def test_pause_comes_before_the_update() -> None:
    change = plan_one(desired(state="paused"), live(repository="old/model"))
    assert steps(change) == ["pause", "update"]


def test_create_in_a_state() -> None:
    assert steps(plan_one(desired(state="paused"))) == ["create", "pause"]
    assert steps(plan_one(desired(state="scaledToZero", scaling={"minReplica": 0}))) == [
        "create",
        "scale-to-zero",
    ]


def test_failed_endpoint_needs_a_replace() -> None:
    change = plan_one(desired(), live(status=Status.FAILED))
    assert change.action is Action.BLOCKED
    assert "failed" in (change.reason or "")


def test_secrets_compare_by_name_and_never_carry_values() -> None:
    model = {
        "repository": "openai-community/gpt2",
        "task": "text-generation",
        "secrets": {"API_KEY": "s3cr3t-value"},
    }
    same = plan_one(desired(model=model), live(secret_names=frozenset({"API_KEY"})))
    assert same.action is Action.NOOP
    changed = plan_one(desired(model=model), live(secret_names=frozenset({"OLD_KEY"})))
    field, tags = changed.fields
    # The names sent are recorded with them (core/tags.py), never a value.
    assert tags.path == "tags" and secrets_tag(["API_KEY"]) in tags.after
    assert (field.path, field.before, field.after, field.sensitive) == (
        "model.secrets",
        ["OLD_KEY"],
        ["API_KEY"],
        True,
    )
    assert "s3cr3t-value" not in repr(changed.fields)
    rotated = plan_one(desired(model=model), live(secret_names=frozenset({"API_KEY"})), rotate_secrets=True)
    assert steps(rotated) == ["update"]


def test_prune_deletes_only_its_own_stack_absent_from_manifests() -> None:
    ours_kept = live(tags=("managed-by=endpointctl", f"{STACK_KEY}=prod"))
    ours_gone = live(name="old-one", tags=("managed-by=endpointctl", f"{STACK_KEY}=prod"))
    other_stack = live(name="theirs", tags=("managed-by=endpointctl", f"{STACK_KEY}=dev"))
    unmanaged = live(name="manual", tags=(f"{STACK_KEY}=prod",))
    no_stack = live(name="loose", tags=("managed-by=endpointctl",))
    observed = {"acme": [ours_kept, ours_gone, other_stack, unmanaged, no_stack]}
    result = compute([("acme", desired())], observed, Options(stack="prod", prune=True))
    deletes = [c.name for c in result.changes if c.action is Action.DELETE]
    assert deletes == ["old-one"]
    assert result.destructive[0].steps[0].kind is StepKind.DELETE

    without_prune = compute([("acme", desired())], observed, Options(stack="prod"))
    assert not [c for c in without_prune.changes if c.action is Action.DELETE]


def test_update_failed_with_the_same_configuration_is_not_hidden_and_never_replaced() -> None:
    """It still serves its former configuration: a replace would delete what serves, to create what
    failed (or what needed nothing, if the answer reports the configuration served): blocked, with or
    without --allow-replace, saying how to re-create it by hand."""
    for allow in (False, True):
        failing = live(status=Status.UPDATE_FAILED, message="model failed to load")
        change = plan_one(desired(), failing, allow_replace=allow)
        assert change.action is Action.BLOCKED and not change.steps
        assert "model failed to load" in (change.reason or "")
        assert "not even with --allow-replace" in (change.reason or "")
        assert f"`endpointctl delete {failing.name}`" in (change.reason or "")
    fixed = plan_one(desired(), live(status=Status.UPDATE_FAILED, repository="broken/model"))
    assert fixed.action is Action.UPDATE  # a changed manifest is simply sent


@pytest.mark.parametrize(
    ("unknown", "path"),
    [
        ({"max_replica": None}, "scaling.maxReplica"),
        ({"repository": None}, "model.repository"),
        ({"image": None}, "model.image"),
        ({"image": {"some-future-engine": {}}}, "model.image"),
        ({"secret_names": None}, "model.secrets"),
    ],
)
def test_update_failed_with_a_field_unreported_is_never_replaced(unknown: dict[str, Any], path: str) -> None:
    """ "The manifest asks for the configuration that failed" only when every field it sets was reported:
    with one unknown, "no change" says nothing, and a replace (a delete) on it is never right."""
    model = {"repository": "openai-community/gpt2", "task": "text-generation"}
    spec = desired(model={**model, "image": {"huggingface": {}}, "secrets": {}})
    assert plan_one(spec, live(status=Status.UPDATE_FAILED)).action is Action.BLOCKED  # all reported
    for allow in (False, True):
        change = plan_one(
            spec, live(status=Status.UPDATE_FAILED, message="boom", **unknown), allow_replace=allow
        )
        assert change.action is Action.NOOP and not change.steps
        (note,) = change.notes
        assert "boom" in note and path in note and "nothing is changed" in note


def test_a_label_removed_from_the_manifest_is_removed_but_foreign_tags_stay() -> None:
    endpoint = live(
        tags=(
            "team=nlp",
            "env=dev",
            "cost-center=42",
            "managed-by=endpointctl",
            "endpointctl-labels=env+team",
        )
    )
    change = plan_one(desired(labels={"team": "nlp"}), endpoint)
    (tags,) = [f for f in change.fields if f.path == "tags"]
    assert set(tags.after) == {
        "team=nlp",
        "cost-center=42",
        "managed-by=endpointctl",
        "endpointctl-labels=team",
    }
    again = plan_one(desired(labels={"team": "nlp"}), live(tags=tuple(tags.after)))
    assert again.action is Action.NOOP


PASSWORD = "hunter2-registry-pw"


def private_model(**credentials: str) -> dict[str, Any]:
    login = {"username": "bot", "password": PASSWORD, **credentials}
    image = {"custom": {"url": "ghcr.io/acme/app:1", "port": 8080, "credentials": login}}
    return {"repository": "openai-community/gpt2", "task": "text-generation", "image": image}


def live_image(**credentials: str) -> dict[str, Any]:
    return {
        "custom": {
            "url": "ghcr.io/acme/app:1",
            "port": 8080,
            "credentials": {"username": "bot", **credentials},
        }
    }


@pytest.mark.parametrize(
    "reported",
    [{"password": "********"}, {"password": "hu***"}, {}, {"password": None}],
    ids=["masked", "partly masked", "left out", "null"],
)
def test_a_registry_password_is_never_compared(reported: dict[str, Any]) -> None:
    change = plan_one(desired(model=private_model()), live(image=live_image(**reported)))
    assert change.action is Action.NOOP


def test_an_image_change_shows_the_registry_password_only_as_sensitive() -> None:
    change = plan_one(
        desired(model=private_model(username="deploy-bot")), live(image=live_image(password="********"))
    )
    (field, tags) = change.fields  # the tags carry endpointctl's record of the image it sends
    assert (field.path, tags.path) == ("model.image", "tags")
    assert field.before["custom"]["credentials"] == {"username": "bot", "password": "(sensitive)"}
    assert field.after["custom"]["credentials"] == {"username": "deploy-bot", "password": "(sensitive)"}
    assert PASSWORD not in repr(change.fields)


def test_a_create_shows_the_registry_password_only_as_sensitive() -> None:
    change = plan_one(desired(model=private_model()))
    fields = {f.path: f.after for f in change.fields}
    assert fields["model.image"]["custom"]["credentials"] == {"username": "bot", "password": "(sensitive)"}
    assert PASSWORD not in repr(change.fields)


def test_rotate_secrets_sends_the_registry_password_again() -> None:
    endpoint = live(image=live_image(password="********"))
    change = plan_one(desired(model=private_model()), endpoint, rotate_secrets=True)
    assert paths(change) == ["model.image", "tags"] and steps(change) == ["update"]
    assert change.steps[0].paths == ("model.image",)
    assert PASSWORD not in repr(change.fields) + repr(change.steps)
    # Without a password there is nothing to rotate.
    public = {**private_model(), "image": {"custom": {"url": "ghcr.io/acme/app:1", "port": 8080}}}
    assert plan_one(desired(model=public), endpoint, rotate_secrets=True).action is Action.NOOP


def test_what_the_api_does_not_say_is_never_drift() -> None:
    model = {
        "repository": "openai-community/gpt2",
        "task": "text-generation",
        "secrets": {"API_KEY": "s3cr3t-value"},
    }
    unknown_names = live(secret_names=None)
    assert plan_one(desired(model=model), unknown_names).action is Action.NOOP
    rotated = plan_one(desired(model=model), unknown_names, rotate_secrets=True)
    assert steps(rotated) == ["update"] and rotated.steps[0].paths == ("model.secrets",)
    unknown_type = live(security=None)
    assert plan_one(desired(security="private"), unknown_type).action is Action.NOOP


SHA_V2 = "b" * 40
MODEL = {"repository": "openai-community/gpt2", "task": "text-generation"}


@pytest.mark.parametrize(
    ("manifest_revision", "commit", "live_revision", "drift"),
    [
        ("v2", SHA_V2, "main", True),  # a server that keeps names as written: the manifest moved on
        (SHA_V2, None, "main", True),  # pinned to a commit where a branch is deployed
        ("main", SHA_V2, "main", False),  # the manifest's own text
        ("main", SHA_V2, SHA_V2.upper(), False),  # the commit main resolves to, in either case
        ("main", SHA_V2, "a" * 40, True),  # another commit
        ("main", SHA_V2, "11c5a3d", False),  # a short SHA: which commit cannot be told
        ("main", SHA_V2, "refs/heads/main", False),  # a full ref name: the same
        ("v2", SHA_V2, "refs/heads/main", False),
        ("v2", SHA_V2, "main/", False),  # names git refuses (check-ref-format): no name at all
        ("v2", SHA_V2, "main.", False),
        ("v2", SHA_V2, "main.lock", False),
        ("v2", SHA_V2, "a//b", False),
        ("v2", SHA_V2, "x/.y", False),
        ("v2", SHA_V2, "release/1.x", True),  # a name of several parts is one
    ],
)
def test_a_revision_is_compared_where_it_can_be_and_unknown_where_not(
    manifest_revision: str, commit: str | None, live_revision: str, drift: bool
) -> None:
    spec = replace(desired(model={**MODEL, "revision": manifest_revision}), revision_commit=commit)
    change = plan_one(spec, live(revision=live_revision))
    assert ("model.revision" in paths(change)) is drift, change
    assert change.action is (Action.UPDATE if drift else Action.NOOP)


def test_a_documented_framework_no_manifest_can_hold_is_known() -> None:
    """ "tensorflow" (2023's list) is the API's word: compared, not unknown; "PyTorch" is no word of it."""
    spec = desired(model={**MODEL, "framework": "pytorch"})
    for said, drift in (("tensorflow", True), ("PyTorch", False), ("custom", True), ("pytorch", False)):
        endpoint = to_endpoint(raw_endpoint(model={"framework": said}), "acme")
        assert ("model.framework" in paths(plan_one(spec, endpoint))) is drift, said


@pytest.mark.parametrize(
    ("image", "live_image"),
    [
        ({"tgi": {"maxInputLength": 1024}}, {"tgi": {"maxInputLength": "1024"}}),  # another JSON type
        ({"tgi": {"maxInputLength": 1024}}, {"tgi": {}}),  # not reported
        ({"tgi": {"maxInputLength": 1024}}, {"tgi": {"maxInputLength": None}}),
    ],
)
def test_update_failed_with_an_image_field_unreported_is_never_replaced(
    image: dict[str, Any], live_image: dict[str, Any]
) -> None:
    spec = desired(model={**MODEL, "image": image})
    assert plan_one(spec, live(status=Status.UPDATE_FAILED, image=image)).action is Action.BLOCKED
    change = plan_one(spec, live(status=Status.UPDATE_FAILED, image=live_image), allow_replace=True)
    assert change.action is Action.NOOP and not change.steps
    assert "model.image" in change.notes[0]


@pytest.mark.parametrize("live_revision", ["11c5a3d", "refs/heads/main", "main"])  # main: which commit?
def test_update_failed_with_a_revision_that_cannot_be_compared_is_never_replaced(live_revision: str) -> None:
    spec = replace(desired(model={**MODEL, "revision": "main"}), revision_commit=SHA_V2)
    change = plan_one(spec, live(status=Status.UPDATE_FAILED, revision=live_revision), allow_replace=True)
    assert change.action is Action.NOOP and "model.revision" in change.notes[0]


def test_update_failed_with_a_private_link_region_unreported_is_never_replaced() -> None:
    spec = desired(privateLink={"accountId": "123456789012", "region": "us-east-1"})
    known = live(
        status=Status.UPDATE_FAILED,
        private_link=PrivateLink("123456789012", "us-east-1"),
        private_link_reported=True,
    )
    assert plan_one(spec, known).action is Action.BLOCKED
    unknown = replace(known, private_link=PrivateLink("123456789012", None))
    change = plan_one(spec, unknown, allow_replace=True)
    assert change.action is Action.NOOP and "privateLink" in change.notes[0]


def test_update_failed_with_several_image_variants_is_never_replaced() -> None:
    image = {"tgi": {"maxInputLength": 1024}}
    spec = desired(model={**MODEL, "image": image})
    both = {**image, "vllm": {"maxModelLen": 4}}  # which one runs is not said
    change = plan_one(spec, live(status=Status.UPDATE_FAILED, image=both), allow_replace=True)
    assert change.action is Action.NOOP and "model.image" in change.notes[0]


def test_a_private_link_account_answered_as_a_number_is_unknown() -> None:
    """A number has lost the id's leading zero: compared, "012345678901" would plan a replace."""
    spec = desired(privateLink={"accountId": "012345678901", "region": "us-east-1"})
    raw = raw_endpoint(privateService={"accountId": 12345678901, "region": "us-east-1"})
    endpoint = to_endpoint(raw, "acme")
    assert (endpoint.private_link, endpoint.private_link_reported) == (None, False)
    change = plan_one(spec, endpoint, allow_replace=True)
    assert "privateLink" not in paths(change) and change.action is not Action.REPLACE
    same = to_endpoint(
        raw_endpoint(privateService={"accountId": "012345678901", "region": "us-east-1"}), "acme"
    )
    assert "privateLink" not in paths(plan_one(spec, same))


def test_update_failed_with_only_labels_or_a_pause_asked_sends_those_never_a_replace() -> None:
    """Labels or a pause do not send the configuration that failed again: they are sent as ever, and the
    plan says the last update failed."""
    failing = live(status=Status.UPDATE_FAILED, message="boom")
    relabelled = plan_one(desired(labels={"team": "cv"}), failing, allow_replace=True)
    assert relabelled.action is Action.UPDATE and paths(relabelled) == ["tags"]
    assert relabelled.notes[0] == "its last update failed (boom)"
    paused = plan_one(desired(state="paused"), failing, allow_replace=True)
    assert paused.action is not Action.REPLACE and steps(paused) == ["pause"], steps(paused)
    assert "its last update failed (boom)" in paused.notes
    same = plan_one(desired(), failing, allow_replace=True)  # nothing else asked: the failure is not hidden
    assert same.action is Action.BLOCKED and not same.steps


@pytest.mark.parametrize(
    ("spec", "endpoint"),
    [
        ({}, {"region": "US-East-1"}),
        ({"provider": {"vendor": "aws", "region": "US-EAST-1"}}, {}),
        ({}, {"instance_type": "Intel-SPR"}),
        ({}, {"instance_size": "X2"}),
        (
            {"security": "private", "privateLink": {"accountId": "123456789012", "region": "EU-West-1"}},
            {"security": Security.PRIVATE, "private_link": PrivateLink("123456789012", "eu-west-1")},
        ),
    ],
    ids=["live region", "manifest region", "instance type", "instance size", "private link region"],
)
def test_a_difference_of_case_alone_is_never_drift(spec: dict[str, Any], endpoint: dict[str, Any]) -> None:
    """Vendors' region and instance names are lowercase identifiers, and whether the API folds case is not
    documented: compared as text, a manifest's "US-East-1" against an answer's "us-east-1" would plan a
    replace on every run (a delete, then a create, forever). A case-only difference is no difference."""
    change = plan_one(desired(**spec), live(**endpoint))
    assert change.action is Action.NOOP, paths(change)


@pytest.mark.parametrize(
    ("endpoint", "path"),
    [
        ({"region": "us-east-2"}, "provider.region"),
        ({"instance_type": "intel-icl"}, "compute.instanceType"),
        ({"instance_size": "x4"}, "compute.instanceSize"),
    ],
)
def test_other_letters_are_still_a_difference(endpoint: dict[str, Any], path: str) -> None:
    assert paths(plan_one(desired(), live(**endpoint), allow_replace=True)) == [path]


def test_another_private_link_region_is_still_a_difference() -> None:
    spec = {"security": "private", "privateLink": {"accountId": "123456789012", "region": "EU-West-1"}}
    endpoint = live(security=Security.PRIVATE, private_link=PrivateLink("123456789012", "eu-west-2"))
    assert paths(plan_one(desired(**spec), endpoint, allow_replace=True)) == ["privateLink"]


SECRET_MODEL = {
    "repository": "openai-community/gpt2",
    "task": "text-generation",
    "secrets": {"API_KEY": "v2"},
}


@pytest.mark.parametrize(
    ("model", "endpoint", "hidden"),
    [
        (SECRET_MODEL, {"secret_names": frozenset({"API_KEY"})}, "model.secrets"),
        (private_model(), {"image": live_image(password="********")}, "the registry password"),
    ],
    ids=["secret value", "registry password"],
)
def test_update_failed_with_values_no_answer_shows_is_never_replaced(
    model: dict[str, Any], endpoint: dict[str, Any], hidden: str
) -> None:
    """Every field the API reports matches, but a secret's value (or the registry password) may be the
    very fix the manifest brings: whether it asks for the configuration that failed is unknown. Never a
    replace on that, even allowed; --rotate-secrets sends the values in an update."""
    failed = live(status=Status.UPDATE_FAILED, message="boom", **endpoint)
    for allow in (False, True):
        change = plan_one(desired(model=model), failed, allow_replace=allow)
        assert change.action is Action.NOOP and not change.steps
        (note,) = change.notes
        assert "boom" in note and hidden in note and "--rotate-secrets" in note and "delete" in note
    rotated = plan_one(desired(model=model), failed, rotate_secrets=True)
    assert rotated.action is Action.UPDATE and steps(rotated) == ["update"]


def test_an_endpoint_adopted_into_a_stack_is_filed_under_that_stack_only() -> None:
    """A stack tag on an endpoint we did not manage (copied, or a leftover) is dropped on adoption: kept
    beside ours, a later prune of that other stack would delete the endpoint just adopted."""
    found = live(tags=("team=nlp", f"{STACK_KEY}=other"))
    change = plan_one(desired(), found, adopt=True, stack="prod")
    (tags,) = [f.after for f in change.fields if f.path == "tags"]
    assert [t for t in tags if t.startswith(f"{STACK_KEY}=")] == [f"{STACK_KEY}=prod"]
    adopted = replace(found, tags=tuple(tags))
    pruned = compute([], {"acme": [adopted]}, Options(stack="other", prune=True))
    assert not [c for c in pruned.changes if c.action is Action.DELETE]
    again = plan_one(desired(), adopted, stack="prod")
    assert again.action is Action.NOOP


TWO_STACKS = (
    "team=nlp",
    "endpointctl-labels=team",
    f"{STACK_KEY}=other",
    "managed-by=endpointctl",
    f"{STACK_KEY}=prod",
)


def test_an_endpoint_tagged_with_two_stacks_is_never_pruned_by_either() -> None:
    """Tags copied by hand, or an adoption by an older release: which stack it belongs to is unknown.
    A prune of either stack blocks on it, naming both, and deletes nothing."""
    tangled = live(name="tangled", tags=TWO_STACKS)
    for stack in ("other", "prod"):
        result = compute([], {"acme": [tangled]}, Options(stack=stack, prune=True))
        (change,) = result.changes
        assert change.action is Action.BLOCKED and not change.steps
        assert "'other', 'prod'" in (change.reason or "") and "--prune does not delete it" in (
            change.reason or ""
        )
    assert compute([], {"acme": [tangled]}, Options(stack="dev", prune=True)).changes == ()


def test_an_endpoint_tagged_with_two_stacks_is_blocked_for_a_stacked_apply() -> None:
    tangled = live(tags=TWO_STACKS)
    change = plan_one(desired(), tangled, stack="prod")
    assert change.action is Action.BLOCKED and "several stacks ('other', 'prod')" in (change.reason or "")
    assert tangled.stack is None and tangled.stacks == ("other", "prod")
    assert plan_one(desired(), tangled).action is Action.NOOP  # without --stack, stacks are not looked at
