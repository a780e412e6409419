"""Values endpointctl cannot read are unknown, never drift: outside the manifest's fixed choices, of
another JSON type, a revision form it cannot compare, or a number no integer can hold.

Through the CLI and the sandbox over loopback, with a middleware that reshapes its answers as the real
service (or a proxy) might: the plan shown is empty and the sandbox counts no PUT, POST or DELETE, not
even with ``--allow-replace``; what is known and differs is still drift; a count that is NaN, Infinity
or too large is unknown, and a hardware figure so is a malformed answer naming the field, never "a bug".
"""

from __future__ import annotations

import json
import pathlib
from collections.abc import Callable
from enum import StrEnum
from typing import Any

import pytest
import yaml
from clirunner import Cli, Run, assert_replan_empty
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from shared_sandbox import SharedSandbox, fixtures
from test_revisions_are_pinned import doc as revision_doc
from test_unknown_is_never_drift import LIST, ONE, deploy_full, reshaping, with_api_key

from endpointctl.core.spec import Accelerator, Framework, Vendor
from endpointctl.sandbox import ManualClock, Request, Response, Sandbox
from endpointctl.sandbox.transport import Handler

COMMIT = "11c5a3d5811f50298f278a704980280950aedb10"
GPT2 = "openai-community/gpt2"
TGI = "ghcr.io/huggingface/text-generation-inference:3.0"
HARDWARE = "GET /v2/provider/{namespace}"


# Each example runs whole CLI commands (plan and apply, ~25 ms, some status too) against the sandbox, and
# the rule each test guards reads a value by its JSON type or by one check (a member of a fixed set, a
# pattern): the cases that tell a right reading from a wrong one are few. They are explicit @examples,
# run every time, where 20 drawn examples per test met them only by chance; a few generated values on
# top look for anything else.
def few(generated: int) -> settings:
    return settings(
        max_examples=generated,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )


# Any JSON value; the strategies below take those of a type other than the manifest's.
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=6,
)


shared, clock, sandbox = fixtures()
KEEPS = "deployed"  # the fixture whose endpoints the shared sandbox keeps between tests


@pytest.fixture
def cli(cli: Cli) -> Cli:
    return with_api_key(cli)


@pytest.fixture
def deployed(shared: SharedSandbox, cli: Cli, sandbox: Sandbox) -> str:
    """tests/test_unknown_is_never_drift.py's full manifest (every compared field set), applied: by this
    test's CLI, or by an earlier test's, when the sandbox still holds exactly what that apply left."""
    return shared.keep(KEEPS, lambda: deploy_full(cli, shared.clock, shared.directory))


def setting(*path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(item: dict[str, Any]) -> None:
        parent = item
        for key in path[:-1]:
            parent = parent[key]
        parent[path[-1]] = value

    return edit


def answering(sandbox: Sandbox, edit: Callable[[dict[str, Any]], None]) -> None:
    """From now on every endpoint the sandbox answers passes through ``edit`` (and only that edit)."""
    sandbox.clear_middleware()
    sandbox.add_middleware(reshaping(edit))


def assert_nothing_to_do(cli: Cli, sandbox: Sandbox, path: str) -> None:
    """The plan shown is empty, and apply, even allowed to replace, sends nothing that changes anything."""
    assert_replan_empty(cli, sandbox, path)
    before = sandbox.mutating_count()
    applied = cli("apply", path, "--yes", "--allow-replace", "-o", "json")
    assert applied.code == 0, applied.all
    assert sandbox.mutating_count() == before, sandbox.counts()


def planned(cli: Cli, path: str) -> dict[str, Any]:
    run = cli("plan", path, "-o", "json")
    assert run.code == 0, run.all
    (change,) = json.loads(run.stdout)
    assert isinstance(change, dict)
    return change


# -- 1. a value outside the manifest's fixed choices ----------------------------------------------------

CHOICES: dict[tuple[str, ...], tuple[type[StrEnum], list[str]]] = {
    ("provider", "vendor"): (Vendor, ["AWS", "amazon", "Aws ", "aws-gov"]),
    ("compute", "accelerator"): (Accelerator, ["zero_gpu", "CPU", "tpu", "inf2"]),
    ("model", "framework"): (Framework, ["PyTorch", "transformers", "sentence-transformers"]),
}
# A known choice other than the full manifest's, and the action it plans: what is known is still compared.
OTHER_CHOICE: dict[tuple[str, ...], tuple[str, str]] = {
    ("provider", "vendor"): ("azure", "blocked"),  # a replace, which needs --allow-replace
    ("compute", "accelerator"): ("gpu", "update"),
    ("model", "framework"): ("custom", "update"),
}


def outside(path: tuple[str, ...]) -> st.SearchStrategy[str]:
    choices, _ = CHOICES[path]
    known = {member.value for member in choices}
    return st.text(min_size=1, max_size=12).filter(lambda v: v not in known)


@pytest.mark.parametrize("path", list(CHOICES), ids=".".join)
def test_a_value_outside_the_manifests_choices_is_unknown_not_drift(
    cli: Cli, sandbox: Sandbox, deployed: str, path: tuple[str, ...]
) -> None:
    def check(value: str) -> None:
        answering(sandbox, setting(*path, value=value))
        assert_nothing_to_do(cli, sandbox, deployed)
        # Shown as unknown (null), not as a value the manifest could be compared with.
        (record,) = json.loads(cli("status", "-o", "json").stdout)
        assert record.get(path[-1]) is None

    # Every value seen in the wild (another case, a synonym, a space, a future choice) each time, where
    # before each was only drawn among the generated ones; any other text is read by the same membership
    # test, so four generated ones look for the unforeseen.
    run = few(4)(given(outside(path))(check))
    for value in reversed(CHOICES[path][1]):
        run = example(value)(run)
    run()

    other, action = OTHER_CHOICE[path]
    answering(sandbox, setting(*path, value=other))
    change = planned(cli, deployed)
    assert change["action"] == action, change
    assert [f["path"] for f in change["fields"]] == [".".join(path)]


# -- 2. env values of other JSON types, and variables the manifest does not set --------------------------


# null (not the text "None") and the falsy values a truthiness test would skip; the test below has those str()
# renders as the manifest's "8". Any other non-text is read by the same isinstance test.
@few(3)
@given(JSON_VALUES.filter(lambda v: not isinstance(v, str)))
@example(None)
@example(False)
@example(0)
@example([])
@example({})
def test_an_env_value_of_another_json_type_makes_the_env_unknown(
    cli: Cli, sandbox: Sandbox, deployed: str, value: Any
) -> None:
    answering(sandbox, setting("model", "env", value={"MAX_BATCH": value}))
    assert_nothing_to_do(cli, sandbox, deployed)


@pytest.mark.parametrize("value", [16, 8.0, True, ["8"], {"v": "8"}], ids=repr)
def test_a_value_that_str_would_render_is_not_read_as_text(
    cli: Cli, sandbox: Sandbox, deployed: str, value: Any
) -> None:
    """str() of it ("16", "8.0", "True", "['8']") would be a guess, compared with the manifest's "8"."""
    answering(sandbox, setting("model", "env", value={"MAX_BATCH": value}))
    assert_nothing_to_do(cli, sandbox, deployed)


EXTRA_VARIABLES = st.dictionaries(
    st.text(min_size=1, max_size=10).filter(lambda k: k != "MAX_BATCH"), st.text(max_size=8), min_size=1
)


def test_variables_the_manifest_does_not_set_are_not_compared(
    cli: Cli, sandbox: Sandbox, deployed: str
) -> None:
    """Whether the service adds variables of its own is not documented: compared, one it added would
    plan a redeploy on every run. A variable the manifest sets is compared as ever."""

    # One variable, several (named in sorted order), one differing from the manifest's only by case, and
    # an empty value: a few generated names on top (the rule takes the manifest's keys only, whatever
    # the others are called).
    @few(4)
    @given(EXTRA_VARIABLES)
    @example({"OTHER": "1"})
    @example({"max_batch": "8", "A": "", "Z_LAST": "x"})
    def check(extra: dict[str, str]) -> None:
        answering(sandbox, setting("model", "env", value={**extra, "MAX_BATCH": "8"}))
        before = sandbox.mutating_count()
        plan = cli("plan", deployed, "--detailed-exitcode", "-o", "json")
        assert plan.code == 0, plan.all  # nothing to change
        (change,) = json.loads(plan.stdout)  # a record only to say which variables are left as they are
        assert change["action"] == "noop" and change["fields"] == [] and change["steps"] == []
        (note,) = change["notes"]
        assert note.startswith(f"model.env: the endpoint also has {', '.join(sorted(extra))}, which")
        applied = cli("apply", deployed, "--yes", "--allow-replace", "-o", "json")
        assert applied.code == 0, applied.all
        assert sandbox.mutating_count() == before, sandbox.counts()

    check()

    for live_env in ({"MAX_BATCH": "16", "OTHER": "1"}, {}, {"OTHER": "8"}):  # another value, or missing
        answering(sandbox, setting("model", "env", value=live_env))
        change = planned(cli, deployed)
        assert change["action"] == "update", change
        (field,) = change["fields"]
        assert (field["path"], field["before"], field["after"]) == ("model.env", live_env, {"MAX_BATCH": "8"})
        # The update sends the manifest's variables only: a plan says which others go with it.
        gone = [note for note in change["notes"] if note.startswith("model.env:")]
        assert gone == (
            ["model.env: the update sends the manifest's variables only, so OTHER (not in it) may go"]
            if "OTHER" in live_env
            else []
        )


# -- 3. a value inside the image of another JSON type ----------------------------------------------------


def json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"  # not a number in JSON, though Python says True == 1
    return "number" if isinstance(value, int | float) else type(value).__name__


def of_another_type_than(example: Any) -> st.SearchStrategy[Any]:
    return JSON_VALUES.filter(lambda v: v is not None and json_kind(v) != json_kind(example))


IMAGE_FIELD_OF_ANOTHER_TYPE = st.sampled_from([("maxInputLength", 1024), ("url", TGI)]).flatmap(
    lambda field: st.tuples(st.just(field[0]), of_another_type_than(field[1]))
)


# The url as each other JSON type (a number, a boolean, which Python's 1 == True blurs, a list, an object);
# the test below has maxInputLength as each. A few generated ones on top, for either field.
@few(4)
@given(IMAGE_FIELD_OF_ANOTHER_TYPE)
@example(("url", 0))
@example(("url", True))
@example(("url", [TGI]))
@example(("url", {"url": TGI}))
@example(("maxInputLength", False))
def test_an_image_field_of_another_json_type_is_unknown(
    cli: Cli, sandbox: Sandbox, deployed: str, key_and_value: tuple[str, Any]
) -> None:
    key, value = key_and_value
    image = {"tgi": {"url": TGI, "maxInputLength": 1024, key: value}}
    answering(sandbox, setting("model", "image", value=image))
    assert_nothing_to_do(cli, sandbox, deployed)


@pytest.mark.parametrize("value", ["1024", "2048", True, [1024], {"value": 1024}])
def test_a_number_sent_as_text_inside_the_image_is_not_a_redeploy(
    cli: Cli, sandbox: Sandbox, deployed: str, value: Any
) -> None:
    answering(sandbox, setting("model", "image", value={"tgi": {"url": TGI, "maxInputLength": value}}))
    assert_nothing_to_do(cli, sandbox, deployed)
    # A number is compared with a number, as ever: 1024.0 is 1024, and 2048 or 1024.5 are not.
    for number, differs in ((1024.0, False), (2048, True), (1024.5, True)):
        answering(sandbox, setting("model", "image", value={"tgi": {"url": TGI, "maxInputLength": number}}))
        fields = planned(cli, deployed)["fields"] if differs else []
        assert [f["path"] for f in fields] == (["model.image"] if differs else [])
        if not differs:
            assert_nothing_to_do(cli, sandbox, deployed)


def custom_image_manifest(tmp_path: pathlib.Path, cli: Cli, clock: ManualClock) -> str:
    document = revision_doc("registry", revision=None)
    document["spec"]["model"]["image"] = {
        "custom": {"url": "ghcr.io/acme/app:1", "credentials": {"username": "bot", "password": "${REG_PASS}"}}
    }
    path = tmp_path / "registry.yaml"
    path.write_text(yaml.safe_dump(document))
    cli.environ["REG_PASS"] = "registry-password-123"
    applied = cli("apply", str(path), "--yes")
    assert applied.code == 0, applied.all
    clock.advance(30)
    return str(path)


@pytest.mark.parametrize("credentials", ["bot", ["bot"], {"username": 7}, {"username": ["bot"]}], ids=repr)
def test_registry_credentials_of_another_json_type_are_unknown(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path, credentials: Any
) -> None:
    path = custom_image_manifest(tmp_path, cli, clock)
    image = {"custom": {"url": "ghcr.io/acme/app:1", "credentials": credentials}}
    answering(sandbox, setting("model", "image", value=image))
    assert_nothing_to_do(cli, sandbox, path)
    # A username of the same type that differs is compared as ever.
    image["custom"]["credentials"] = {"username": "someone-else"}
    change = planned(cli, path)
    assert change["action"] == "update" and [f["path"] for f in change["fields"]] == ["model.image"]


# -- 4. revision forms the plan cannot compare ----------------------------------------------------------


def deploy_revision(cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path, rev: str) -> str:
    sandbox.move_ref(GPT2, "main", sha=COMMIT)
    path = tmp_path / "pinned.yaml"
    path.write_text(yaml.safe_dump(revision_doc("pinned", revision=rev)))
    applied = cli("apply", str(path), "--yes")
    assert applied.code == 0, applied.all
    clock.advance(30)
    return str(path)


@pytest.mark.parametrize(
    ("manifest", "live"),
    [
        ("main", COMMIT[:7]),  # a short SHA of the very commit main names
        ("main", "refs/heads/main"),  # main's full ref name
        ("main", COMMIT[:39]),  # one hex digit short of a commit
        (COMMIT.upper(), "refs/heads/main"),
        ("main", "main/"),  # names git refuses (check-ref-format)
        ("main", "main.lock"),
        ("main", "x/.y"),
        ("main", "main "),  # no name git allows
        ("main", "a..b"),
    ],
)
def test_a_live_revision_that_cannot_be_compared_is_unknown(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path, manifest: str, live: str
) -> None:
    path = deploy_revision(cli, sandbox, clock, tmp_path, manifest)
    answering(sandbox, setting("model", "revision", value=live))
    assert_nothing_to_do(cli, sandbox, path)


@pytest.mark.parametrize(("manifest", "live"), [("main", "v1.0"), (COMMIT, "main")])
def test_a_live_revision_kept_as_a_name_is_compared_as_one(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path, manifest: str, live: str
) -> None:
    """A server that keeps revisions as written: the manifest moved to another branch, or to a commit."""
    path = deploy_revision(cli, sandbox, clock, tmp_path, manifest)
    answering(sandbox, setting("model", "revision", value=live))
    change = planned(cli, path)
    assert change["action"] == "update", change
    (field,) = change["fields"]
    assert (field["path"], field["before"]) == ("model.revision", live)


# Built by kind, not filtered through the rule under test: a short SHA, a full ref name, and a name with a
# character no git ref may hold (space, control, ~^:?*[\\) somewhere in it.
NOT_A_NAME = st.builds(
    lambda head, bad, tail: head + bad + tail,
    st.text("abcdefghijklmnopqrstuvwxyz0123456789._/-", max_size=8),
    st.sampled_from([" ", "~", "^", ":", "?", "*", "[", "\\", "\x00", "\t", "\n", "é", "@{"]),
    st.text(max_size=8),
)
UNCOMPARABLE = st.one_of(
    st.text("0123456789abcdef", min_size=7, max_size=39),
    st.text("abcdefghijklmnopqrstuvwxyz0123456789._-", min_size=1, max_size=12).map("refs/heads/".__add__),
    NOT_A_NAME,
)


@pytest.mark.parametrize("manifest", ["main", COMMIT])
def test_any_such_form_is_unknown(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path, manifest: str
) -> None:
    path = deploy_revision(cli, sandbox, clock, tmp_path, manifest)

    # Each kind at its edges, beside the cases of the test above: a short SHA as short and as long as one
    # can be (7 and 39 digits), a ref name of another kind, characters no ref may hold (git's "~" and
    # "@{", a space, non-ASCII that a looser pattern would take for a letter). A few generated ones on top.
    @few(3)
    @given(UNCOMPARABLE)
    @example(COMMIT[-7:])
    @example("0" * 39)
    @example("refs/tags/v1.0")
    @example("main~1")
    @example("main@{1}")
    @example("v1 .0")
    @example("naïve")
    def check(live: str) -> None:
        answering(sandbox, setting("model", "revision", value=live))
        assert_nothing_to_do(cli, sandbox, path)

    check()

    # A full commit is compared as ever: another one is an update to the manifest's.
    answering(sandbox, setting("model", "revision", value="b" * 40))
    change = planned(cli, path)
    assert change["action"] == "update", change
    (field,) = change["fields"]
    assert (field["path"], field["before"]) == ("model.revision", "b" * 40)
    assert field["after"] == (COMMIT if manifest == COMMIT else f"main@{COMMIT}")


# -- 5. numbers no integer can hold -----------------------------------------------------------------------

# json.dumps writes NaN and Infinity as the sandbox's Python would; 1e400 (read as inf) needs the text.
TOO_LARGE = "__too_large__"


def writing_numbers(
    route: str, edit: Callable[[dict[str, Any]], None]
) -> Callable[[Request, Handler], Response]:
    def middleware(request: Request, call_next: Handler) -> Response:
        response = call_next(request)
        if request.route == route and response.status == 200:
            body = json.loads(response.body)
            for item in body.get("items", [body]) if route in (LIST, ONE) else [body]:
                edit(item)
            response.body = json.dumps(body).replace(f'"{TOO_LARGE}"', "1e400").encode()
        return response

    return middleware


NON_FINITE = [float("nan"), float("inf"), float("-inf"), TOO_LARGE]
COUNTS = [
    ("status", "readyReplica"),
    ("status", "targetReplica"),
    ("compute", "scaling", "minReplica"),
    ("compute", "scaling", "maxReplica"),
    ("compute", "scaling", "scaleToZeroTimeout"),
]


def assert_malformed(run: Run, field: str) -> None:
    assert run.code == 1, run.all
    assert "the API answered something endpointctl cannot read" in run.stderr, run.all
    assert f"'{field}'" in run.stderr and "not a finite number" in run.stderr, run.all
    assert "bug" not in run.all and "Traceback" not in run.all


@pytest.mark.parametrize("value", NON_FINITE, ids=["NaN", "Infinity", "-Infinity", "1e400"])
@pytest.mark.parametrize("path", COUNTS, ids=".".join)
def test_a_count_no_integer_can_hold_is_unknown_and_nothing_is_done_on_it(
    cli: Cli, sandbox: Sandbox, deployed: str, path: tuple[str, ...], value: Any
) -> None:
    """As a count sent as text: unknown for that endpoint alone (one foreign endpoint's NaN made status,
    plan and the nightly pause fail for its whole namespace), shown as such, and never compared."""
    sandbox.add_middleware(writing_numbers(LIST, setting(*path, value=value)))
    sandbox.add_middleware(writing_numbers(ONE, setting(*path, value=value)))
    sandbox.reset_counts()
    shown = cli("status", "-f", deployed, "-o", "json")
    assert shown.code == 0, shown.all
    (item,) = json.loads(shown.stdout)
    if path[-1] != "scaleToZeroTimeout":  # status shows replicas only
        assert item[path[-1]] is None, item
    plan = cli("plan", deployed, "-o", "json", "--detailed-exitcode")
    assert (plan.code, json.loads(plan.stdout)) == (0, []), plan.all  # nothing to change
    applied = cli("apply", deployed, "--yes", "--allow-replace")
    assert applied.code == 0, applied.all
    assert "bug" not in applied.all and "Traceback" not in applied.all
    assert sandbox.mutating_count() == 0


@pytest.mark.parametrize("value", NON_FINITE, ids=["NaN", "Infinity", "-Infinity", "1e400"])
@pytest.mark.parametrize("key", ["numAccelerators", "memoryGb"])
def test_a_hardware_figure_no_number_can_hold_is_a_malformed_answer_naming_it(
    cli: Cli, sandbox: Sandbox, key: str, value: Any
) -> None:
    def edit(body: dict[str, Any]) -> None:
        for vendor in body["vendors"]:
            for region in vendor["regions"]:
                for compute in region["computes"]:
                    compute[key] = value

    sandbox.add_middleware(writing_numbers(HARDWARE, edit))
    assert_malformed(cli("hardware"), f"vendors[].regions[].computes[].{key}")


@pytest.mark.parametrize("fraction", [1.5, 0.5, 1.999])
def test_a_fraction_of_a_replica_is_unknown_a_whole_one_is_compared(
    cli: Cli, sandbox: Sandbox, deployed: str, fraction: float
) -> None:
    """The manifest says maxReplica 2: 1.5 is no count at all (truncated, it would read as 1)."""
    answering(sandbox, setting("compute", "scaling", "maxReplica", value=fraction))
    assert_nothing_to_do(cli, sandbox, deployed)
    answering(sandbox, setting("compute", "scaling", "maxReplica", value=2.0))
    assert_nothing_to_do(cli, sandbox, deployed)
    answering(sandbox, setting("compute", "scaling", "maxReplica", value=5.0))
    change = planned(cli, deployed)
    assert change["action"] == "update", change
    assert [(f["path"], f["before"]) for f in change["fields"]] == [("scaling.maxReplica", 5)]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("scaleToZeroTimeout", 0),
        ("minReplica", -1),
        ("maxReplica", -2),
        ("maxReplica", 0),
    ],
)
def test_a_count_below_what_a_manifest_can_hold_is_unknown_one_it_can_is_compared(
    cli: Cli, sandbox: Sandbox, deployed: str, key: str, value: int
) -> None:
    """The manifest says 1, 2 and 15: a count below its schema's bounds could never equal it, so it is
    unknown (null in status), never a PUT on every run; inside them, another value is still drift."""
    answering(sandbox, setting("compute", "scaling", key, value=value))
    assert_nothing_to_do(cli, sandbox, deployed)
    (shown,) = json.loads(cli("status", "-o", "json").stdout)
    assert shown.get(key) is None, shown  # status shows replicas only, never the timeout
    answering(sandbox, setting("compute", "scaling", key, value=3 if key == "maxReplica" else 2))
    change = planned(cli, deployed)
    assert change["action"] == "update", change
    assert [f["path"] for f in change["fields"]] == [f"scaling.{key}"]


def test_a_count_past_endpointctls_own_bound_is_drift(cli: Cli, sandbox: Sandbox, deployed: str) -> None:
    """150 replicas set in the UI: endpointctl's bound of 100 is its own, not the API's, so the count is
    known and shown, and apply sends the manifest's 2."""
    answering(sandbox, setting("compute", "scaling", "maxReplica", value=150))
    (shown,) = json.loads(cli("status", "-o", "json").stdout)
    assert shown["maxReplica"] == 150, shown
    change = planned(cli, deployed)
    fields = [(f["path"], f["before"], f["after"]) for f in change["fields"]]
    assert fields == [("scaling.maxReplica", 150, 2)]
    before = sandbox.mutating_count()
    assert cli("apply", deployed, "--yes").code == 0
    assert sandbox.mutating_count() == before + 1, sandbox.counts()


def test_names_answered_in_other_case_are_nothing_to_do(cli: Cli, sandbox: Sandbox, deployed: str) -> None:
    """A server that answers the region, the instance's names and the private link's region in capitals:
    plan shows nothing, and apply, even allowed to replace, changes nothing."""

    def shouting(item: dict[str, Any]) -> None:
        item["provider"]["region"] = item["provider"]["region"].upper()
        for key in ("instanceType", "instanceSize"):
            item["compute"][key] = item["compute"][key].upper()
        item["privateService"]["region"] = item["privateService"]["region"].upper()

    answering(sandbox, shouting)
    assert_nothing_to_do(cli, sandbox, deployed)
