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


NAMES = st.sampled_from(["API_KEY", "HF_TOKEN", "DB_PASSWORD", "odd-name"])
SECRET_SETS = st.frozensets(NAMES, max_size=3)


@given(
    wanted=st.lists(SECRET_SETS, min_size=1, max_size=5),
    reading=st.sampled_from(["names", "empty", "absent"]),
)
def test_each_manifest_is_applied_once_then_settles_however_the_api_answers(
    wanted: list[frozenset[str]], reading: str
) -> None:
    """A run of manifests: each change of names is sent at most once, and the plan after it is empty,
    whether the API reports names, answers ``{}`` or leaves secrets out."""
    have: frozenset[str] = frozenset()
    tags: tuple[str, ...] = MANAGED

    def reported() -> frozenset[str] | None:
        return have if reading == "names" else frozenset() if reading == "empty" else None

    for names in wanted:
        secrets = dict.fromkeys(sorted(names), "v")
        change = plan_one(secrets, secret_names=reported(), tags=tags)
        field = secrets_field(change)
        if field is not None:
            (update,) = change.steps
            have = frozenset(field.after)
            tags = update.tags or tags
        elif reading == "names":
            assert have == names  # reported names are never left unequal
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
    env = {"API_KEY": "s3cret-value-123", "HF_KEY": "another-value-456"}
    path = write(tmp_path, "m.yaml", manifest(secrets={"API_KEY": "${API_KEY}"}))
    assert cli("apply", path, "--yes", env=env).code == 0
    clock.advance(10)
    assert_replan_empty(cli, sandbox, path, env=env)

    # A secret added is sent once, with the record; then nothing more.
    path = write(tmp_path, "m.yaml", manifest(secrets={"API_KEY": "${API_KEY}", "HF_KEY": "${HF_KEY}"}))
    sandbox.reset_counts()
    applied = cli("apply", path, "--yes", "-o", "json", env=env)
    assert applied.code == 0, applied.all
    assert sandbox.counts().get("PUT /v2/endpoint/{namespace}/{name}") == 1
    clock.advance(10)
    assert_replan_empty(cli, sandbox, path, env=env)
    assert "another-value-456" not in applied.all
