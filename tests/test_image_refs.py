"""A container image the API reports in another spelling is the manifest's, never drift (review finding:
``nginx:1.25`` reported as ``docker.io/library/nginx:1.25`` would have redeployed the endpoint on every
run), a digest the manifest's tag may have resolved to is unknown, and a real change is still a change.

Whether the real API rewrites image references is not known; the sandbox keeps them as sent, and a
middleware here answers the other way.
"""

from __future__ import annotations

import json
import pathlib
from typing import Any

import pytest
import yaml
from builders import BASE_DOC
from clirunner import Cli, assert_replan_empty
from hypothesis import given
from hypothesis import strategies as st
from test_unknown_is_never_drift import reshaping

from endpointctl.core.image_refs import canonical_image, parse_image, same_image
from endpointctl.sandbox import Sandbox
from endpointctl.sandbox.transport import Handler

DIGEST = "sha256:" + "ab12" * 16
OTHER_DIGEST = "sha256:" + "cd34" * 16

_part = st.from_regex(r"[a-z0-9]{1,6}(?:[._-][a-z0-9]{1,4})?", fullmatch=True)
# An owner with a "." would name a registry (Docker's rule), not a Hub user.
_owner = st.from_regex(r"[a-z0-9]{1,6}(?:[_-][a-z0-9]{1,4})?", fullmatch=True)
_tag = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,9}", fullmatch=True)


@st.composite
def hub_images(draw: st.DrawFn) -> tuple[str, list[str]]:
    """A Docker Hub image as a manifest may write it, and spellings of the same reference."""
    owner = draw(st.one_of(st.none(), _owner))
    name = draw(_part)
    tag = draw(st.one_of(st.none(), _tag))
    short = name if owner is None else f"{owner}/{name}"
    full = f"{owner or 'library'}/{name}"
    suffix = f":{tag or 'latest'}"
    written = short + (f":{tag}" if tag else "")
    spellings = [
        f"{host}/{full}{suffix}" for host in ("docker.io", "index.docker.io", "registry-1.docker.io")
    ]
    spellings += [f"DOCKER.IO/{full}{suffix}", full + suffix]
    return written, spellings


@given(hub_images())
def test_spellings_of_one_reference_are_the_same_image(image: tuple[str, list[str]]) -> None:
    written, spellings = image
    for spelled in spellings:
        assert same_image(written, spelled) is True, spelled


@given(hub_images(), _tag)
def test_another_tag_or_another_image_is_a_change(image: tuple[str, list[str]], tag: str) -> None:
    written, spellings = image
    ref = parse_image(written)
    assert ref is not None
    for spelled in spellings:
        retagged = spelled.rsplit(":", 1)[0] + f":{tag}"
        assert same_image(written, retagged) is (tag == ref.tag_or_default)
        assert same_image(written, "ghcr.io/" + spelled.split("/", 1)[1]) is False


@pytest.mark.parametrize(
    ("want", "have", "same"),
    [
        # A digest the tag may have resolved to: unknown, whatever the spelling around it.
        ("ghcr.io/o/tgi:3.0", f"ghcr.io/o/tgi@{DIGEST}", None),
        ("ghcr.io/o/tgi:3.0", f"ghcr.io/o/tgi:3.0@{DIGEST}", None),
        ("nginx", f"docker.io/library/nginx:latest@{DIGEST}", None),
        # A tag shown beside it is still compared, and so is the image.
        ("ghcr.io/o/tgi:3.0", f"ghcr.io/o/tgi:3.1@{DIGEST}", False),
        ("ghcr.io/o/tgi:3.0", f"ghcr.io/o/other:3.0@{DIGEST}", False),
        # A pin is compared: the same digest matches under any tag, another or none is a change.
        (f"ghcr.io/o/tgi@{DIGEST}", f"ghcr.io/o/tgi:3.0@{DIGEST.upper().replace('SHA', 'sha')}", True),
        (f"ghcr.io/o/tgi@{DIGEST}", f"ghcr.io/o/tgi@{OTHER_DIGEST}", False),
        (f"ghcr.io/o/tgi:3.0@{DIGEST}", "ghcr.io/o/tgi:3.0", False),
        # A registry with a port, and localhost, are registries; a one-part name there has no library/.
        ("localhost:5000/tgi:1", "LOCALHOST:5000/tgi:1", True),
        ("localhost/tgi", "localhost/tgi:latest", True),
        ("localhost:5000/tgi:1", "docker.io/library/tgi:1", False),
        ("registry.example.com/tgi", "registry.example.com/library/tgi", False),
        # What is no reference Docker reads is compared as text.
        ("Not An Image", "not an image", False),
        ("a//b", "a//b", True),
        ("nginx:1", "nginx:1@sha256:short", False),
    ],
)
def test_digests_registries_and_text(want: str, have: str, same: bool | None) -> None:
    assert same_image(want, have) is same


@pytest.mark.parametrize(
    ("want", "have", "sent", "same"),
    [
        # A digest alone: the record of the reference last sent decides (tests/test_image_record.py).
        ("ghcr.io/o/tgi:3.1", f"ghcr.io/o/tgi@{DIGEST}", False, False),
        ("ghcr.io/o/tgi:3.1", f"ghcr.io/o/tgi@{DIGEST}", True, None),
        ("ghcr.io/o/tgi:3.1", f"ghcr.io/o/tgi@{DIGEST}", None, None),
        # Anything else the answer shows is compared, whatever the record says.
        ("ghcr.io/o/tgi:3.1", f"ghcr.io/o/tgi:3.1@{DIGEST}", False, None),
        ("ghcr.io/o/tgi:3.1", f"ghcr.io/o/tgi:3.0@{DIGEST}", True, False),
        ("ghcr.io/o/tgi:3.1", "ghcr.io/o/tgi:3.1", False, True),
        ("ghcr.io/o/tgi:3.1", f"ghcr.io/o/other@{DIGEST}", True, False),
        (f"ghcr.io/o/tgi@{DIGEST}", f"ghcr.io/o/tgi@{DIGEST}", False, True),
    ],
)
def test_the_record_decides_only_a_digest_shown_alone(
    want: str, have: str, sent: bool | None, same: bool | None
) -> None:
    assert same_image(want, have, sent=sent) is same


@given(hub_images())
def test_every_spelling_of_a_reference_is_one_canonical_text(image: tuple[str, list[str]]) -> None:
    written, spellings = image
    assert {canonical_image(spelled) for spelled in spellings} == {canonical_image(written)}
    assert canonical_image(written + "x") != canonical_image(written) or ":" not in written


# -- through the sandbox ---------------------------------------------------------------------------------


def image_reported_as(url: str) -> Handler:
    def edit(item: dict[str, Any]) -> None:
        item["model"]["image"]["tgi"]["url"] = url

    return reshaping(edit)


def tgi_manifest(tmp_path: pathlib.Path, url: str) -> str:
    doc: dict[str, Any] = json.loads(json.dumps(BASE_DOC))
    doc["spec"]["model"]["image"] = {"tgi": {"url": url}}
    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump(doc))
    return str(path)


@pytest.mark.parametrize(
    "reported",
    [
        "docker.io/library/tgi:3.0",
        "index.docker.io/library/tgi:3.0",
        f"docker.io/library/tgi:3.0@{DIGEST}",
        f"docker.io/library/tgi@{DIGEST}",
    ],
)
def test_a_canonical_or_resolved_report_plans_nothing(
    cli: Cli, sandbox: Sandbox, clock: Any, tmp_path: pathlib.Path, reported: str
) -> None:
    path = tgi_manifest(tmp_path, "tgi:3.0")
    assert cli("apply", path, "--yes").code == 0
    clock.advance(30)
    sandbox.add_middleware(image_reported_as(reported))
    assert_replan_empty(cli, sandbox, path)


@pytest.mark.parametrize(
    ("written", "reported"),
    [
        ("tgi:3.1", "docker.io/library/tgi:3.0"),
        ("tgi:3.1", f"docker.io/library/tgi:3.0@{DIGEST}"),
        (f"tgi@{OTHER_DIGEST}", f"docker.io/library/tgi@{DIGEST}"),
        ("ghcr.io/o/tgi:3.0", "docker.io/library/tgi:3.0"),
    ],
)
def test_a_real_change_under_a_canonical_report_is_still_applied(
    cli: Cli, sandbox: Sandbox, clock: Any, tmp_path: pathlib.Path, written: str, reported: str
) -> None:
    assert cli("apply", tgi_manifest(tmp_path, "tgi:3.0"), "--yes").code == 0
    clock.advance(30)
    sandbox.add_middleware(image_reported_as(reported))
    plan = cli("plan", tgi_manifest(tmp_path, written), "-o", "json")
    (entry,) = json.loads(plan.stdout)
    assert entry["action"] == "update", entry
    # The image, and the tags that carry the record of it (tests/test_image_record.py).
    assert {f["path"] for f in entry["fields"]} == {"model.image", "tags"}
    (field,) = [f for f in entry["fields"] if f["path"] == "model.image"]
    assert (field["before"]["tgi"]["url"], field["after"]["tgi"]["url"]) == (reported, written)
