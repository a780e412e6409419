"""An answer naming no secrets is unknown where endpointctl's record says it sent the manifest's own.

Whether the API reports secrets' names (the sandbox does, with masked values) or answers ``{}`` to hide
them is not known. Read as "none", ``{}`` made every plan send the secrets again, a redeploy on every
run of a scheduled job. The names endpointctl last sent are recorded in a tag
(``endpointctl-secrets=<digest of the names>``, no value), written with every change that sends
secrets; the plan settles whichever way the API answers.
"""

from __future__ import annotations

import json
import pathlib
from typing import Any

import pytest
from builders import desired, live
from clirunner import Cli, assert_replan_empty
from hypothesis import given
from hypothesis import strategies as st
from test_cli_apply import manifest, write

from endpointctl.core.diff import unreported_fields
from endpointctl.core.plan import Action, Options, compute
from endpointctl.core.tags import MANAGED_TAG, SECRETS_KEY, secrets_tag
from endpointctl.sandbox import Request, Response, Sandbox
from endpointctl.sandbox.transport import Handler

GPT2 = {"repository": "openai-community/gpt2", "task": "text-generation"}
MANAGED = ("team=nlp", MANAGED_TAG, "endpointctl-labels=team")


def record(*names: str) -> str:
    return secrets_tag(names)


def plan_one(
    secrets: dict[str, str] | None, *, rotate: bool = False, adopt: bool = False, **endpoint: Any
) -> Any:
    model = {**GPT2, **({"secrets": secrets} if secrets is not None else {})}
    observed = {"acme": [live(**endpoint)]}
    options = Options(rotate_secrets=rotate, adopt=adopt)
    (change,) = compute([("acme", desired(model=model))], observed, options).changes
    return change


def secrets_field(change: Any) -> Any:
    return next((field for field in change.fields if field.path == "model.secrets"), None)


def test_none_reported_where_the_record_names_the_manifests_is_unknown() -> None:
    change = plan_one({"API_KEY": "v"}, secret_names=frozenset(), tags=(*MANAGED, record("API_KEY")))
    assert change.action is Action.NOOP, change.fields
    assert "model.secrets" in unreported_fields(change.desired, change.live)
    assert record("API_KEY").startswith(f"{SECRETS_KEY}=") and record("API_KEY") != record("API_KEY", "HF")
    # --rotate-secrets still sends them, and records them again.
    rotated = plan_one(
        {"API_KEY": "v"}, rotate=True, secret_names=frozenset(), tags=(*MANAGED, record("API_KEY"))
    )
    assert secrets_field(rotated) is not None
    assert record("API_KEY") in rotated.steps[0].tags or rotated.steps[0].tags == ()


def test_none_reported_without_a_record_or_with_another_one_is_none() -> None:
    # Never sent by endpointctl (or before the record existed): sent, with the record.
    first = plan_one({"API_KEY": "v"}, secret_names=frozenset(), tags=MANAGED)
    assert secrets_field(first).after == ["API_KEY"]
    assert record("API_KEY") in first.steps[0].tags
    # The manifest added one, or dropped one, since the record: sent again, whole.
    added = plan_one(
        {"API_KEY": "v", "HF": "w"}, secret_names=frozenset(), tags=(*MANAGED, record("API_KEY"))
    )
    assert secrets_field(added).after == ["API_KEY", "HF"]
    assert record("API_KEY", "HF") in added.steps[0].tags
    dropped = plan_one({"API_KEY": "v"}, secret_names=frozenset(), tags=(*MANAGED, record("API_KEY", "HF")))
    assert secrets_field(dropped).after == ["API_KEY"]


def test_a_record_on_an_endpoint_being_adopted_was_not_ours() -> None:
    copied = ("team=nlp", record("API_KEY"))  # another endpoint's tags, copied
    change = plan_one({"API_KEY": "v"}, adopt=True, secret_names=frozenset(), tags=copied)
    assert secrets_field(change) is not None


def test_names_reported_are_compared_whatever_the_record_says() -> None:
    change = plan_one({"API_KEY": "v"}, secret_names=frozenset({"OLD"}), tags=(*MANAGED, record("API_KEY")))
    assert (secrets_field(change).before, secrets_field(change).after) == (["OLD"], ["API_KEY"])


def test_a_change_that_sends_no_secrets_leaves_the_record_as_it_is() -> None:
    tags = (*MANAGED, record("API_KEY"))
    change = plan_one({"API_KEY": "v"}, secret_names=frozenset({"API_KEY"}), tags=tags, max_replica=5)
    assert secrets_field(change) is None and change.action is Action.UPDATE
    assert change.steps[0].tags in ((), tags) or record("API_KEY") in change.steps[0].tags


@pytest.mark.parametrize("manifest_secrets", [{}, None], ids=["secrets: {}", "no secrets key"])
def test_every_secret_dropped_where_the_record_says_some_were_sent_is_removed(
    manifest_secrets: dict[str, str] | None,
) -> None:
    """Bug: ``{}`` read as "none" matched a manifest wanting none, so removing every secret planned nothing
    and the endpoint kept them. The record says endpointctl sent some: ``{}`` hides them or they are gone,
    and either way sending ``{}`` (and dropping the record) is what the manifest asks."""
    tags = (*MANAGED, record("API_KEY", "HF"))
    change = plan_one(manifest_secrets, secret_names=frozenset(), tags=tags)
    assert change.action is Action.UPDATE, change
    field = secrets_field(change)
    assert (field.before, field.after, field.sensitive) == (None, [], True)  # which names: not said
    (update,) = change.steps
    assert "model.secrets" in update.paths
    assert not any(tag.startswith(f"{SECRETS_KEY}=") for tag in update.tags)  # the record goes with them
    assert any("model.secrets: removes" in note for note in change.notes), change.notes
    # The answer after that update, however the API spells it: nothing more to do.
    for reported in (frozenset(), None):
        again = plan_one(manifest_secrets, secret_names=reported, tags=update.tags)
        assert again.action is Action.NOOP, (reported, again.fields)


@pytest.mark.parametrize("manifest_secrets", [{}, None], ids=["secrets: {}", "no secrets key"])
def test_names_reported_and_recorded_are_removed_when_the_manifest_drops_every_one(
    manifest_secrets: dict[str, str] | None,
) -> None:
    tags = (*MANAGED, record("API_KEY"))
    change = plan_one(manifest_secrets, secret_names=frozenset({"API_KEY"}), tags=tags)
    assert (secrets_field(change).before, secrets_field(change).after) == (["API_KEY"], [])


def test_a_manifest_silent_on_secrets_leaves_names_someone_else_changed() -> None:
    """The record says which names endpointctl sent; the answer names others (someone changed them since).
    An update sends secrets whole, so removing ours would take theirs: a manifest without ``secrets`` leaves
    them, while one that says ``secrets: {}`` asks for none."""
    tags = (*MANAGED, record("API_KEY"))
    others = frozenset({"API_KEY", "THEIRS"})
    assert secrets_field(plan_one(None, secret_names=others, tags=tags)) is None
    assert secrets_field(plan_one({}, secret_names=others, tags=tags)).before == ["API_KEY", "THEIRS"]


@pytest.mark.parametrize(
    ("reported", "tags", "adopt"),
    [
        # No record: the API's {} is all there is to go by, and it matches a manifest wanting none.
        (frozenset(), MANAGED, False),
        # A record that is none endpointctl writes (its value is a 16-hex digest): no record.
        (frozenset(), (*MANAGED, f"{SECRETS_KEY}=whatever"), False),
        (frozenset(), (*MANAGED, f"{SECRETS_KEY}="), False),
        # Secrets not reported at all: unknown, whatever the record says.
        (None, (*MANAGED, record("API_KEY")), False),
        # A record on an endpoint being adopted is another's (copied tags): not ours to act on.
        (frozenset(), ("team=nlp", record("API_KEY")), True),
    ],
)
def test_no_secrets_wanted_without_a_record_of_ours_is_never_a_change(
    reported: frozenset[str] | None, tags: tuple[str, ...], adopt: bool
) -> None:
    for manifest_secrets in ({}, None):
        change = plan_one(manifest_secrets, adopt=adopt, secret_names=reported, tags=tags)
        assert secrets_field(change) is None, (manifest_secrets, change.fields)


NAMES = st.sampled_from(["API_KEY", "HF_TOKEN", "DB_PASSWORD", "odd-name"])
SECRET_SETS = st.frozensets(NAMES, max_size=3)


@given(
    wanted=st.lists(SECRET_SETS, min_size=1, max_size=5),
    reading=st.sampled_from(["names", "empty", "absent"]),
    omit_none=st.booleans(),
)
def test_each_manifest_is_applied_once_then_settles_however_the_api_answers(
    wanted: list[frozenset[str]], reading: str, omit_none: bool
) -> None:
    """A run of manifests: each change of names is sent at most once, and the plan after it is empty,
    whether the API reports names, answers ``{}`` or leaves secrets out. Wherever the API answers at all,
    the endpoint ends with the manifest's names, none included (a manifest wanting none writes
    ``secrets: {}`` or leaves the key out)."""
    have: frozenset[str] = frozenset()
    tags: tuple[str, ...] = MANAGED

    def reported() -> frozenset[str] | None:
        return have if reading == "names" else frozenset() if reading == "empty" else None

    for names in wanted:
        secrets = None if omit_none and not names else dict.fromkeys(sorted(names), "v")
        change = plan_one(secrets, secret_names=reported(), tags=tags)
        field = secrets_field(change)
        if field is not None:
            (update,) = change.steps
            have = frozenset(field.after)
            tags = update.tags or tags
        if reading != "absent":
            assert have == names, (have, names, reading)  # never left unequal where the API answers
        again = plan_one(secrets, secret_names=reported(), tags=tags)
        assert again.action is Action.NOOP, (names, reading, again.fields)


# -- end to end, through the sandbox ---------------------------------------------------------------------


def answering_no_secrets() -> Handler:
    """The API as it may be: every answer's ``model.secrets`` is ``{}``, whatever the endpoint has."""

    def middleware(request: Request, call_next: Handler) -> Response:
        response = call_next(request)
        if (
            request.method != "GET"
            or response.status != 200
            or not request.route.startswith("GET /v2/endpoint")
        ):
            return response
        doc = json.loads(response.body)
        for item in doc.get("items", [doc]):
            if isinstance(item.get("model"), dict):
                item["model"]["secrets"] = {}
        response.body = json.dumps(doc).encode()
        return response

    return middleware


def test_an_api_that_hides_secrets_is_not_sent_them_on_every_run(
    cli: Cli, sandbox: Sandbox, clock: Any, tmp_path: pathlib.Path
) -> None:
    sandbox.add_middleware(answering_no_secrets())
    env = {"API_KEY": "s3cret-value-123", "MODEL_KEY": "another-value-456"}
    path = write(tmp_path, "m.yaml", manifest(secrets={"API_KEY": "${API_KEY}"}))
    assert cli("apply", path, "--yes", env=env).code == 0
    clock.advance(10)
    assert_replan_empty(cli, sandbox, path, env=env)

    # A secret added is sent once, with the record; then nothing more.
    path = write(tmp_path, "m.yaml", manifest(secrets={"API_KEY": "${API_KEY}", "HF_KEY": "${MODEL_KEY}"}))
    sandbox.reset_counts()
    applied = cli("apply", path, "--yes", "-o", "json", env=env)
    assert applied.code == 0, applied.all
    assert sandbox.counts().get("PUT /v2/endpoint/{namespace}/{name}") == 1
    clock.advance(10)
    assert_replan_empty(cli, sandbox, path, env=env)
    assert "another-value-456" not in applied.all


def recording_puts(bodies: list[dict[str, Any]]) -> Handler:
    """Keeps the body of every update sent, as the API received it."""

    def middleware(request: Request, call_next: Handler) -> Response:
        if request.method == "PUT":
            bodies.append(json.loads(request.body))
        return call_next(request)

    return middleware


@pytest.mark.parametrize("hides_names", [False, True], ids=["names reported", "answers {}"])
@pytest.mark.parametrize("dropped_as", ["{}", "no key"])
def test_removing_every_secret_is_applied_once_however_the_api_answers(
    cli: Cli,
    sandbox: Sandbox,
    clock: Any,
    client: Any,
    tmp_path: pathlib.Path,
    hides_names: bool,
    dropped_as: str,
) -> None:
    if hides_names:
        sandbox.add_middleware(answering_no_secrets())
    env = {"API_KEY": "s3cret-value-123"}
    path = write(tmp_path, "m.yaml", manifest(secrets={"API_KEY": "${API_KEY}"}))
    assert cli("apply", path, "--yes", env=env).code == 0
    clock.advance(10)
    assert_replan_empty(cli, sandbox, path, env=env)

    path = write(tmp_path, "m.yaml", manifest(**({"secrets": {}} if dropped_as == "{}" else {})))
    planned = cli("plan", path, "-o", "json")
    (entry,) = json.loads(planned.stdout)
    assert entry["action"] == "update", entry
    (field,) = [f for f in entry["fields"] if f["path"] == "model.secrets"]
    assert field["after"] == [] and field["sensitive"] is True
    assert field["before"] == (None if hides_names else ["API_KEY"])
    shown = cli("plan", path)
    # Names the API hid are never shown as none ("[] -> []"), and nothing is "sent again".
    before = "(names not reported)" if hides_names else "[API_KEY=(sensitive)]"
    assert f"model.secrets: {before} -> [] (every secret removed)" in shown.stdout, shown.all
    as_markdown = cli("plan", path, "-o", "markdown")
    assert "every secret removed" in as_markdown.stdout, as_markdown.all
    assert ("names not reported" in as_markdown.stdout) is hides_names

    bodies: list[dict[str, Any]] = []
    sandbox.add_middleware(recording_puts(bodies))
    applied = cli("apply", path, "--yes")
    assert applied.code == 0, applied.all
    ((body,),) = [[b for b in bodies if "secrets" in b.get("model", {})]]
    assert body["model"]["secrets"] == {}
    assert not any(tag.startswith(f"{SECRETS_KEY}=") for tag in body["tags"])
    clock.advance(10)
    assert_replan_empty(cli, sandbox, path)
    for run in (planned, shown, as_markdown, applied):
        assert "s3cret-value-123" not in run.all
    sandbox.clear_middleware()  # what the sandbox holds, unmasked by any answer
    assert client.get("/v2/endpoint/sandbox-user/gpt2-demo").json()["model"]["secrets"] == {}


def test_export_refuses_an_endpoint_whose_hidden_secrets_it_would_remove(
    cli: Cli, sandbox: Sandbox, clock: Any, tmp_path: pathlib.Path
) -> None:
    """The names hidden behind ``{}`` cannot be written, and a manifest without them would remove them
    (the record says endpointctl sent some): that endpoint is not exportable, for that reason, as any
    other (nothing is written; the others are exported by name). It was reported as a bug in endpointctl."""
    sandbox.add_middleware(answering_no_secrets())
    env = {"API_KEY": "s3cret-value-123"}
    secret = write(tmp_path, "a.yaml", manifest(secrets={"API_KEY": "${API_KEY}"}))
    assert cli("apply", secret, "--yes", env=env).code == 0
    assert cli("apply", write(tmp_path, "b.yaml", manifest("plain-one")), "--yes").code == 0
    clock.advance(10)
    out = tmp_path / "live"
    exported = cli("export", "--dir", str(out))
    assert exported.code == 1, exported.all
    assert "cannot export sandbox-user/gpt2-demo" in exported.all and "would remove them" in exported.all
    assert "bug" not in exported.all and "s3cret-value-123" not in exported.all
    assert not list(out.glob("*.yaml"))
    assert cli("export", "plain-one", "--dir", str(out)).code == 0
    assert sorted(p.name for p in out.glob("*.yaml")) == ["plain-one.yaml"]
