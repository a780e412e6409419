"""Blanks around a live identifier, and another spelling of a task, are not a change (bug report).

An answer's region " us-east-1" planned a replace (a delete, with --allow-replace), an instance type or
size with blanks around it an update, a task spelled "Text-Classification" or "text_classification" an
update, and an image url with a trailing newline, or "", a redeploy. Blanks are no part of an identifier:
they are read away; an identifier that is blank or empty is unknown, never drift. A task is compared
case aside and with "_" as "-": no two of the Hub's tasks differ only so. A real difference is still
planned, and what the manifest says is still what is sent.
"""

from __future__ import annotations

import json
import pathlib
from typing import Any

import pytest
from builders import desired, raw_endpoint
from clirunner import Cli, assert_replan_empty
from hypothesis import given
from hypothesis import strategies as st
from test_unknown_is_never_drift import deploy_full, reshaping, with_api_key

from endpointctl.core.diff import unreported_fields
from endpointctl.core.endpoint import Endpoint
from endpointctl.core.plan import Action, Change, Options, compute
from endpointctl.core.spec import Desired
from endpointctl.core.tags import MANAGED_TAG
from endpointctl.hub.responses import to_endpoint
from endpointctl.sandbox import ManualClock, Sandbox

TAGS = ["team=nlp", MANAGED_TAG, "endpointctl-labels=team"]
TGI = "ghcr.io/huggingface/text-generation-inference:3.0"
COMMIT = "11c5a3d5811f50298f278a704980280950aedb10"
OTHER_COMMIT = "22c5a3d5811f50298f278a704980280950aedb10"
# Every character str.strip() takes away: what "blanks around it" means here.
BLANKS = "".join(c for c in map(chr, range(0x110000)) if c.isspace())


def answer(edit: dict[tuple[str, ...], Any] | None = None, **top_level: Any) -> Endpoint:
    """The builders' matching endpoint as the API answers it, with the values at ``edit``'s paths
    replaced, read as endpointctl reads every answer."""
    raw = raw_endpoint(tags=TAGS, **top_level)
    for path, value in (edit or {}).items():
        parent = raw
        for key in path[:-1]:
            parent = parent[key]
        parent[path[-1]] = value
    return to_endpoint(raw, "acme")


def plan_one(want: Desired, have: Endpoint, **options: Any) -> Change:
    (change,) = compute([("acme", want)], {"acme": [have]}, Options(**options)).changes
    return change


def assert_no_change(want: Desired, have: Endpoint) -> None:
    for allow_replace in (False, True):
        change = plan_one(want, have, allow_replace=allow_replace)
        assert change.action is Action.NOOP and not change.fields and not change.steps, change


REGION = ("provider", "region")
TYPE = ("compute", "instanceType")
SIZE = ("compute", "instanceSize")
TASK = ("model", "task")
REPOSITORY = ("model", "repository")
# Each path as the plan names it, and the value the builders' manifest sets there.
FIELD = {
    REGION: "provider.region",
    TYPE: "compute.instanceType",
    SIZE: "compute.instanceSize",
    TASK: "model.task",
    REPOSITORY: "model.repository",
}
MANIFEST = {
    REGION: "us-east-1",
    TYPE: "intel-spr",
    SIZE: "x2",
    TASK: "text-generation",
    REPOSITORY: "openai-community/gpt2",
}


@pytest.mark.parametrize(
    ("path", "reported"),
    [
        (REGION, " us-east-1"),
        (REGION, "us-east-1 "),
        (REGION, "\tUS-East-1\n"),
        (TYPE, " intel-spr"),
        (TYPE, "intel-spr\r\n"),
        (SIZE, " x2 "),
        (SIZE, "X2\u00a0"),
        (REPOSITORY, " openai-community/gpt2\n"),
        (TASK, " text-generation "),
        (TASK, "Text-Generation"),
        (TASK, "text_generation"),
        (TASK, "TEXT_Generation\n"),
    ],
)
def test_blanks_and_spelling_around_a_live_identifier_are_no_change(
    path: tuple[str, ...], reported: str
) -> None:
    assert_no_change(desired(), answer({path: reported}))


@pytest.mark.parametrize("reported", ["", " ", "\n", "\u3000\t"])
@pytest.mark.parametrize("path", list(FIELD))
def test_an_empty_or_blank_identifier_is_unknown(path: tuple[str, ...], reported: str) -> None:
    have = answer({path: reported})
    assert_no_change(desired(), have)
    assert FIELD[path] in unreported_fields(desired(), have)


@pytest.mark.parametrize(
    ("path", "reported", "action"),
    [
        (REGION, " eu-west-1 ", Action.BLOCKED),  # a replace, refused without --allow-replace
        (TYPE, " intel-icl\n", Action.UPDATE),
        (SIZE, "x4 ", Action.UPDATE),
        (TASK, " Text-Classification", Action.UPDATE),
        (TASK, "text_classification", Action.UPDATE),
        (REPOSITORY, " other/model ", Action.UPDATE),
    ],
)
def test_a_real_difference_is_still_planned(path: tuple[str, ...], reported: str, action: Action) -> None:
    change = plan_one(desired(), answer({path: reported}))
    assert change.action is action
    (field,) = change.fields
    # Shown as read, without its blanks; what the manifest says is what is sent.
    assert (field.path, field.before, field.after) == (FIELD[path], reported.strip(), MANIFEST[path])


def test_what_is_sent_is_the_manifests_never_the_live_spelling() -> None:
    change = plan_one(desired(), answer({SIZE: " x4 ", REGION: " US-East-1 "}))
    (update,) = change.steps
    # With the compute fields the API reported (equal to the manifest's), as the plan's note says.
    assert update.paths == ("compute.instanceSize", "compute.accelerator", "compute.instanceType")
    assert change.fields[0].after == "x2"


@pytest.mark.parametrize("reported", [" " + COMMIT, COMMIT + "\n", f"\t{COMMIT.upper()} "])
def test_blanks_around_a_commit_are_no_change(reported: str) -> None:
    want = desired(
        model={"repository": "openai-community/gpt2", "task": "text-generation", "revision": COMMIT}
    )
    assert_no_change(want, answer({("model", "revision"): reported}))
    moved = plan_one(want, answer({("model", "revision"): f" {OTHER_COMMIT}\n"}))
    assert moved.action is Action.UPDATE and [f.path for f in moved.fields] == ["model.revision"]


def tgi(url: Any, **settings: Any) -> dict[str, Any]:
    return {"tgi": {"url": url, **settings}}


def with_image(**settings: Any) -> Desired:
    model = {"repository": "openai-community/gpt2", "task": "text-generation", "image": tgi(TGI, **settings)}
    return desired(model=model)


@pytest.mark.parametrize("reported", [TGI + " ", TGI + "\n", " " + TGI, f"\t{TGI}\r\n"])
def test_blanks_around_an_image_url_are_no_redeploy(reported: str) -> None:
    assert_no_change(with_image(), answer(model={"image": tgi(reported)}))


@pytest.mark.parametrize("reported", ["", " ", "\n"])
def test_an_empty_image_url_is_unknown_not_a_redeploy(reported: str) -> None:
    have = answer(model={"image": tgi(reported)})
    assert_no_change(with_image(), have)
    assert "model.image" in unreported_fields(with_image(), have)


def test_another_image_with_blanks_around_it_is_still_a_redeploy() -> None:
    change = plan_one(with_image(), answer(model={"image": tgi(TGI.replace("3.0", "3.1") + "\n")}))
    # The image, and endpointctl's record of the reference it sends (tags).
    assert change.action is Action.UPDATE and [f.path for f in change.fields] == ["model.image", "tags"]


@pytest.mark.parametrize("reported", [" /health", "/health \n", "/health/ "])
def test_blanks_around_a_health_route_are_no_redeploy(reported: str) -> None:
    assert_no_change(
        with_image(healthRoute="/health"), answer(model={"image": tgi(TGI, healthRoute=reported)})
    )


def test_blanks_around_a_private_link_are_no_replace() -> None:
    want = desired(security="private", privateLink={"accountId": "012345678901", "region": "us-east-1"})
    have = answer(type="private", privateService={"accountId": " 012345678901\n", "region": "us-east-1 "})
    assert_no_change(want, have)
    other = answer(type="private", privateService={"accountId": "012345678901", "region": " eu-west-1"})
    assert plan_one(want, other, allow_replace=True).action is Action.REPLACE


# -- any blanks, any case: still no change; and a real difference still planned --------------------------

_blanks = st.text(alphabet=BLANKS, max_size=4)


@st.composite
def spelled(draw: st.DrawFn, value: str, *, case: bool = True, underscore: bool = False) -> str:
    """``value`` with blanks drawn around it and, where the field is compared so, its case and its
    "-" drawn otherwise."""
    if case:
        flips = draw(st.lists(st.booleans(), min_size=len(value), max_size=len(value)))
        value = "".join(c.swapcase() if flip else c for c, flip in zip(value, flips, strict=True))
    if underscore and draw(st.booleans()):
        value = value.replace("-", "_")
    return draw(_blanks) + value + draw(_blanks)


@st.composite
def respelled(draw: st.DrawFn) -> dict[tuple[str, ...], str]:
    """The matching answer's identifiers, each spelled some other way."""
    return {
        REGION: draw(spelled("us-east-1")),
        TYPE: draw(spelled("intel-spr")),
        SIZE: draw(spelled("x2")),
        REPOSITORY: draw(spelled("openai-community/gpt2")),
        TASK: draw(spelled("text-generation", underscore=True)),
    }


@given(respelled(), spelled(TGI, case=False))
def test_any_blanks_and_case_around_matching_values_plan_no_change(
    edit: dict[tuple[str, ...], str], url: str
) -> None:
    assert_no_change(desired(), answer(edit))
    assert_no_change(with_image(), answer(edit, model={"image": tgi(url)}))


@given(respelled(), st.sampled_from([(REGION, "eu-west-1"), (SIZE, "x4"), (TYPE, "intel-icl")]), _blanks)
def test_a_real_difference_among_respelled_values_is_still_planned(
    edit: dict[tuple[str, ...], str], other: tuple[tuple[str, ...], str], blanks: str
) -> None:
    path, value = other
    change = plan_one(desired(), answer({**edit, path: blanks + value + blanks}), allow_replace=True)
    assert change.action is (Action.REPLACE if path == REGION else Action.UPDATE)
    assert [f.path for f in change.fields] == [FIELD[path]]


# -- through the sandbox ------------------------------------------------------------------------------


@pytest.fixture
def cli(cli: Cli) -> Cli:
    return with_api_key(cli)


def test_through_the_sandbox_respelled_answers_plan_nothing_and_apply_sends_nothing(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path
) -> None:
    path = deploy_full(cli, clock, tmp_path)

    def respell(item: dict[str, Any]) -> None:
        item["provider"]["region"] = " " + item["provider"]["region"] + "\n"
        item["compute"]["instanceType"] += " "
        item["compute"]["instanceSize"] = "\t" + item["compute"]["instanceSize"]
        item["model"]["task"] = item["model"]["task"].replace("-", "_").title()
        (settings,) = item["model"]["image"].values()
        settings["url"] += "\n"
        item["privateService"]["region"] += " "

    sandbox.add_middleware(reshaping(respell))
    assert_replan_empty(cli, sandbox, path)
    assert_replan_empty(cli, sandbox, path, "--allow-replace")
    before = sandbox.mutating_count()
    applied = cli("apply", path, "--yes", "--allow-replace")
    assert applied.code == 0, applied.all
    assert sandbox.mutating_count() == before
    (record,) = json.loads(cli("status", "-o", "json").stdout)
    assert record["region"] == "us-east-1" and record["instanceSize"] == "x2"  # shown without the blanks


def test_through_the_sandbox_an_empty_image_url_is_unknown(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path
) -> None:
    path = deploy_full(cli, clock, tmp_path)

    def empty(item: dict[str, Any]) -> None:
        (settings,) = item["model"]["image"].values()
        settings["url"] = ""

    sandbox.add_middleware(reshaping(empty))
    assert_replan_empty(cli, sandbox, path)


@pytest.mark.parametrize("reported", [" 0", "dev\n", " main "])
def test_a_branch_or_tag_name_with_blanks_is_no_name_and_unknown(reported: str) -> None:
    """Blanks are read off a full commit only (it names one commit however spelt). " 0" is no ref name:
    stripped, "0" was another branch, an update on every run (the suite's hypothesis test found it)."""
    want = desired(
        model={"repository": "openai-community/gpt2", "task": "text-generation", "revision": "main"}
    )
    assert_no_change(want, answer({("model", "revision"): reported}))
    assert "model.revision" in unreported_fields(want, answer({("model", "revision"): reported}))
