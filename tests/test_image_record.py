"""A tag bump is planned where the API reports the image by digest only, as endpointctl's record allows.

Whether the API shows the image it runs as the manifest's tag, or as the digest that tag resolved to
(``ghcr.io/o/tgi@sha256:…``), is not known. A digest alone cannot be compared with a tag, so it is
unknown (core/image_refs.py); but then a manifest moving from ``tgi:3.0`` to ``tgi:3.1`` was never
planned. The reference endpointctl last sent is recorded in a tag (``endpointctl-image=<digest of it>``),
written with every change that sends the image: where the record is the manifest's own reference, a
digest stays unknown; where the manifest has moved since, the image is sent, and the record with it.
"""

from __future__ import annotations

import hashlib
import json
import pathlib
from typing import Any

import pytest
import yaml
from builders import BASE_DOC, desired, live
from clirunner import Cli, assert_replan_empty
from hypothesis import given
from hypothesis import strategies as st
from test_unknown_is_never_drift import reshaping

from endpointctl.core.diff import unreported_fields
from endpointctl.core.image_refs import parse_image
from endpointctl.core.plan import Action, Change, Options, StepKind, compute
from endpointctl.core.tags import IMAGE_KEY, MANAGED_TAG, image_tag, labels_from_tags
from endpointctl.sandbox import Sandbox
from endpointctl.sandbox.transport import Handler

GPT2 = {"repository": "openai-community/gpt2", "task": "text-generation"}
MANAGED = ("team=nlp", MANAGED_TAG, "endpointctl-labels=team")
DIGEST = "sha256:" + "ab12" * 16


def tgi(url: str, **settings: Any) -> dict[str, Any]:
    return {"tgi": {"url": url, **settings}}


def plan_one(url: str, *, reported: str, tags: tuple[str, ...], adopt: bool = False, **model: Any) -> Change:
    spec = desired(model={**GPT2, "image": tgi(url), **model})
    observed = {"acme": [live(image=tgi(reported), tags=tags)]}
    (change,) = compute([("acme", spec)], observed, Options(adopt=adopt)).changes
    return change


def image_field(change: Change) -> Any:
    return next((field for field in change.fields if field.path == "model.image"), None)


def records(tags: tuple[str, ...]) -> list[str]:
    return [tag for tag in tags if tag.startswith(f"{IMAGE_KEY}=")]


# -- the plan --------------------------------------------------------------------------------------------


def test_a_tag_bump_under_a_digest_only_answer_is_planned_where_the_record_is_the_old_tag() -> None:
    """The bug: ``ghcr.io/o/tgi@sha256:…`` was unknown whatever the manifest said, so 3.0 → 3.1 never went."""
    tags = (*MANAGED, image_tag("ghcr.io/o/tgi:3.0"))
    change = plan_one("ghcr.io/o/tgi:3.1", reported=f"ghcr.io/o/tgi@{DIGEST}", tags=tags)
    assert change.action is Action.UPDATE, change
    field = image_field(change)
    assert (field.before, field.after) == (tgi(f"ghcr.io/o/tgi@{DIGEST}"), tgi("ghcr.io/o/tgi:3.1"))
    assert not field.forces_replace
    (update,) = change.steps
    assert update.kind is StepKind.UPDATE and "model.image" in update.paths
    assert records(update.tags) == [image_tag("ghcr.io/o/tgi:3.1")]  # the record moves with what is sent


@pytest.mark.parametrize(
    "written",
    ["tgi:3.0", "docker.io/library/tgi:3.0", "index.docker.io/library/tgi:3.0", "DOCKER.IO/library/tgi:3.0"],
)
def test_a_digest_only_answer_where_the_record_is_the_manifests_reference_is_unknown(written: str) -> None:
    # Recorded as first written; the manifest may since spell the same reference another way.
    tags = (*MANAGED, image_tag("tgi:3.0"))
    change = plan_one(written, reported=f"docker.io/library/tgi@{DIGEST}", tags=tags)
    assert change.action is Action.NOOP, change.fields
    assert "model.image" in unreported_fields(change.desired, change.live)


@pytest.mark.parametrize(("written", "recorded"), [("tgi:3.0 ", "tgi:3.0"), ("tgi:3.0", "tgi:3.0\n")])
def test_blanks_around_a_reference_are_no_part_of_its_record(written: str, recorded: str) -> None:
    """A manifest may hold "tgi:3.0 " (blanks are no part of a reference, as ``same_image`` reads it):
    the blank taken out later is the same reference, never a redeploy under a digest-only answer."""
    assert image_tag(written) == image_tag(recorded)
    change = plan_one(
        written, reported=f"docker.io/library/tgi@{DIGEST}", tags=(*MANAGED, image_tag(recorded))
    )
    assert change.action is Action.NOOP, change.fields


@pytest.mark.parametrize(
    ("tags", "adopt"),
    [
        (MANAGED, False),  # no record: created before it, or its image never sent by endpointctl
        ((*MANAGED, f"{IMAGE_KEY}=not-a-digest"), False),  # no record endpointctl writes
        ((*MANAGED, f"{IMAGE_KEY}="), False),
        (("team=nlp", image_tag("ghcr.io/o/tgi:3.0")), True),  # being adopted: another's record
    ],
)
def test_a_digest_only_answer_without_a_record_of_ours_stays_unknown(
    tags: tuple[str, ...], adopt: bool
) -> None:
    change = plan_one("ghcr.io/o/tgi:3.1", reported=f"ghcr.io/o/tgi@{DIGEST}", tags=tags, adopt=adopt)
    assert image_field(change) is None, change.fields


def test_adopting_drops_a_record_someone_else_wrote_and_the_tag_is_no_label() -> None:
    copied = ("team=nlp", image_tag("ghcr.io/o/tgi:3.0"))
    change = plan_one("ghcr.io/o/tgi:3.0", reported="ghcr.io/o/tgi:3.0", tags=copied, adopt=True)
    (update,) = change.steps
    assert MANAGED_TAG in update.tags and records(update.tags) == []
    assert labels_from_tags(list(copied)) == {"team": "nlp"}  # never exported, nor settable, as a label


def test_what_the_answer_shows_is_compared_whatever_the_record_says() -> None:
    tags = (*MANAGED, image_tag("ghcr.io/o/tgi:3.1"))
    # A tag beside the digest is compared; another image is another image; a pin is compared.
    assert image_field(plan_one("ghcr.io/o/tgi:3.1", reported=f"ghcr.io/o/tgi:3.0@{DIGEST}", tags=tags))
    assert image_field(plan_one("ghcr.io/o/tgi:3.1", reported=f"ghcr.io/o/other@{DIGEST}", tags=tags))
    assert not image_field(plan_one(f"ghcr.io/o/tgi@{DIGEST}", reported=f"ghcr.io/o/tgi@{DIGEST}", tags=tags))


# -- the record ------------------------------------------------------------------------------------------


def test_a_create_records_the_reference_it_sends_and_only_an_image_update_changes_the_record() -> None:
    spec = desired(model={**GPT2, "image": tgi("ghcr.io/o/tgi:3.0")})
    (created,) = compute([("acme", spec)], {"acme": []}, Options()).changes
    (create,) = created.steps
    assert records(create.tags) == [image_tag("ghcr.io/o/tgi:3.0")]
    # A change that sends no image (here: scaling) leaves the record as it is, even a stale one.
    stale = (*MANAGED, image_tag("ghcr.io/o/tgi:2.0"))
    spec = desired(
        model={**GPT2, "image": tgi("ghcr.io/o/tgi:3.0")}, scaling={"minReplica": 1, "maxReplica": 5}
    )
    observed = {"acme": [live(image=tgi("ghcr.io/o/tgi:3.0"), tags=stale)]}
    (scaled,) = compute([("acme", spec)], observed, Options()).changes
    assert scaled.action is Action.UPDATE and image_field(scaled) is None
    assert scaled.steps[0].tags in ((), stale)
    # The default image (no url) records nothing.
    (plain,) = compute([("acme", desired(model=GPT2))], {"acme": []}, Options()).changes
    assert records(plain.steps[0].tags) == []


def test_the_record_holds_no_value_of_a_secret_and_is_short() -> None:
    password = "r3gistry-pa55word"
    image = {"custom": {"url": "ghcr.io/o/app:1", "credentials": {"username": "bot", "password": password}}}
    spec = desired(model={**GPT2, "image": image})
    (created,) = compute([("acme", spec)], {"acme": []}, Options()).changes
    (record,) = records(created.steps[0].tags)
    assert record == image_tag("ghcr.io/o/app:1") and password not in record
    assert len(record) <= 64 and len(image_tag("r.example/" + "a/" * 200 + "x:1")) == len(record)


def test_a_url_holding_a_secret_value_is_not_recorded() -> None:
    """A reference that holds a secret's value (a tag named after it): no digest of it is written, so
    nothing derived from a value reaches a tag; its image stays unknown under a digest-only answer."""
    secret = "s3cret-value-123"
    spec = desired(model={**GPT2, "image": tgi(f"ghcr.io/o/tgi:{secret}"), "secrets": {"K": secret}})
    (created,) = compute([("acme", spec)], {"acme": []}, Options()).changes
    assert records(created.steps[0].tags) == []


# -- however the API answers -----------------------------------------------------------------------------

_TAGS = st.sampled_from(["3.0", "3.1", "3.2", "latest"])
_SPELLINGS = st.sampled_from(["tgi:{}", "docker.io/library/tgi:{}", "index.docker.io/library/tgi:{}"])


def _shown(url: str, reading: str) -> str:
    """The live image as an API answering ``reading`` shows the reference it was sent."""
    ref = parse_image(url)
    assert ref is not None
    digest = "sha256:" + hashlib.sha256(f"{ref.path}:{ref.tag_or_default}".encode()).hexdigest()
    if reading == "as sent":
        return url
    if reading == "tag and digest":
        return f"{ref.registry}/{ref.path}:{ref.tag_or_default}@{digest}"
    return f"{ref.registry}/{ref.path}@{digest}"


@given(
    tags=st.lists(_TAGS, min_size=1, max_size=5),
    spellings=st.lists(_SPELLINGS, min_size=5, max_size=5),
    reading=st.sampled_from(["as sent", "tag and digest", "digest only"]),
)
def test_each_manifest_is_applied_once_then_settles_however_the_api_shows_the_image(
    tags: list[str], spellings: list[str], reading: str
) -> None:
    """Created with the first reference, then each manifest in turn: the endpoint runs the manifest's
    tag after each apply, whether the API shows the reference as sent, with its digest, or by digest
    alone; a spelling alone is never sent; the plan after each apply is empty."""
    first = spellings[0].format(tags[0])
    spec = desired(model={**GPT2, "image": tgi(first)})
    (created,) = compute([("acme", spec)], {"acme": []}, Options()).changes
    sent, endpoint_tags = first, created.steps[0].tags
    for tag, spelling in zip(tags, spellings, strict=False):
        url = spelling.format(tag)
        change = plan_one(url, reported=_shown(sent, reading), tags=endpoint_tags)
        if image_field(change) is not None:
            assert parse_image(sent) != parse_image(url), (sent, url)  # never a spelling alone
            (update,) = change.steps
            sent, endpoint_tags = url, update.tags or endpoint_tags
        sent_ref, url_ref = parse_image(sent), parse_image(url)
        assert sent_ref is not None and url_ref is not None
        assert sent_ref.tag_or_default == url_ref.tag_or_default, (sent, url, reading)
        again = plan_one(url, reported=_shown(sent, reading), tags=endpoint_tags)
        assert again.action is Action.NOOP, (url, reading, again.fields)


# -- through the sandbox ---------------------------------------------------------------------------------


def resolving_tags() -> Handler:
    """The API as it may be: every image shown as the digest its tag resolved to, and no tag. The digest
    follows the reference sent, as a registry's would, so a new tag shows a new digest."""

    def edit(item: dict[str, Any]) -> None:
        for settings in item["model"]["image"].values():
            ref = parse_image(settings.get("url") or "")
            if ref is not None and ref.digest is None:
                resolved = hashlib.sha256(f"{ref.path}:{ref.tag_or_default}".encode()).hexdigest()
                settings["url"] = f"{ref.registry}/{ref.path}@sha256:{resolved}"

    return reshaping(edit)


def tgi_manifest(tmp_path: pathlib.Path, url: str) -> str:
    doc: dict[str, Any] = json.loads(json.dumps(BASE_DOC))
    doc["spec"]["model"]["image"] = tgi(url)
    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump(doc))
    return str(path)


def test_a_tag_bump_is_applied_once_where_the_api_shows_digests_only(
    cli: Cli, sandbox: Sandbox, clock: Any, client: Any, tmp_path: pathlib.Path
) -> None:
    sandbox.add_middleware(resolving_tags())
    path = tgi_manifest(tmp_path, "tgi:3.0")
    assert cli("apply", path, "--yes").code == 0
    clock.advance(30)
    assert_replan_empty(cli, sandbox, path)
    shown = client.get("/v2/endpoint/sandbox-user/gpt2-demo").json()
    assert (
        "@sha256:" in shown["model"]["image"]["tgi"]["url"]
        and ":3.0" not in shown["model"]["image"]["tgi"]["url"]
    )

    path = tgi_manifest(tmp_path, "tgi:3.1")
    plan = cli("plan", path, "-o", "json")
    (entry,) = json.loads(plan.stdout)
    assert entry["action"] == "update", entry
    (field,) = [f for f in entry["fields"] if f["path"] == "model.image"]
    assert field["before"]["tgi"]["url"].startswith("docker.io/library/tgi@sha256:")
    assert field["after"] == tgi("tgi:3.1") and field["replace"] is False
    sandbox.reset_counts()
    assert cli("apply", path, "--yes").code == 0
    assert sandbox.counts().get("PUT /v2/endpoint/{namespace}/{name}") == 1
    clock.advance(30)
    assert_replan_empty(cli, sandbox, path)
    # Another spelling of the same reference is not a change.
    assert_replan_empty(cli, sandbox, tgi_manifest(tmp_path, "docker.io/library/tgi:3.1"))

    sandbox.clear_middleware()  # what the sandbox holds: the reference sent, and the record of it
    held = client.get("/v2/endpoint/sandbox-user/gpt2-demo").json()
    assert held["model"]["image"] == tgi("tgi:3.1")
    assert records(tuple(held["tags"])) == [image_tag("tgi:3.1")]
