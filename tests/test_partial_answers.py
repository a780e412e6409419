"""Answers that are partial, or say they failed while answering success, are never acted on.

A listing cut short by a cursor that is not one (0, false, [], {}) or by a page that carries an
``error``, a delete answered 200 with an ``error``, a hardware answer holding a number no int can be, and
a whoami whose ``name`` cannot be a namespace: each ends in a clear error that names the call (exit 1,
never "unexpected ..., a bug"), and nothing is created, changed or deleted on the strength of it.
"""

from __future__ import annotations

import dataclasses
import json
import pathlib
from collections.abc import Callable
from typing import Any

import pytest
from clirunner import Cli
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from rewritten_answers import rewrite
from shared_sandbox import SharedSandbox, fixtures
from test_cli_apply import USER, manifest, write

from endpointctl.core.spec import namespace_problem
from endpointctl.hub import client as hub_client
from endpointctl.sandbox import Middleware, Response, Sandbox

LIST = "GET /v2/endpoint/{namespace}"
DELETE = "DELETE /v2/endpoint/{namespace}/{name}"
HARDWARE = "GET /v2/provider/{namespace}"
WHOAMI = "GET /api/whoami-v2"
JSON = {"Content-Type": "application/json"}
NAMES = ("a1", "b2", "c3")
LISTING = f"listing endpoints of namespace '{USER}'"

# Any JSON document, as an answer may hold one.
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)
NOT_A_CURSOR = JSON_VALUES.filter(lambda value: not isinstance(value, str) and value is not None)
# Each example runs one to three whole commands (~10-30 ms each). What the code under test does with a
# value turns on its JSON type and on whether it is empty or falsy (the shortcut a wrong reading takes):
# those cases are explicit examples below, run every time, beside the parametrized tests' own; five
# generated values on top look for anything else, where 30 drawn ones met those cases only by chance.
SETTINGS = settings(
    max_examples=5,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def refused(result: Any, *says: str) -> None:
    assert result.code == 1, result.all
    assert "unexpected" not in result.stderr and "a bug" not in result.stderr, result.stderr
    for words in says:
        assert words in result.stderr, result.stderr


def listed(cli: Cli) -> list[str]:
    result = cli("status", "-o", "json")
    assert result.code == 0, result.all
    return sorted(endpoint["name"] for endpoint in json.loads(result.stdout))


def one_per_page(request: Any, call_next: Callable[[Any], Response]) -> Response:
    """Pages of one endpoint, so three endpoints are three pages."""
    if request.route == LIST:
        request = dataclasses.replace(request, query={**request.query, "limit": "1"})
    return call_next(request)


def rewriting_pages(change: Callable[[dict[str, Any], Any], None]) -> Middleware:
    """Each listing page's JSON, changed by ``change(page, request)``."""

    def middleware(request: Any, call_next: Callable[[Any], Response]) -> Response:
        response = call_next(request)
        if request.route == LIST and response.status == 200:
            page = json.loads(response.body)
            change(page, request)
            response.body = json.dumps(page).encode()
        return response

    return middleware


shared, clock, sandbox = fixtures()
KEEPS = "three"  # the fixture whose endpoints the shared sandbox keeps between tests


@pytest.fixture
def three(shared: SharedSandbox, cli: Cli, sandbox: Sandbox) -> str:
    """Three running endpoints of one stack, labelled team=nlp, and their manifests' directory: applied
    by this test's CLI, or by an earlier test's, when the sandbox still holds exactly what that left."""

    def apply() -> str:
        directory = shared.directory / "stack"
        directory.mkdir(exist_ok=True)
        for name in NAMES:
            write(directory, f"{name}.yaml", manifest(name, labels={"team": "nlp"}))
        applied = cli("apply", str(directory), "--yes", "--stack", "prod")
        assert applied.code == 0, applied.all
        shared.clock.advance(30)
        return str(directory)

    return shared.keep(KEEPS, apply)


COMMANDS = (
    ("status",),
    ("plan", "{dir}", "--prune", "--stack", "prod"),
    ("apply", "{dir}", "--yes", "--prune", "--stack", "prod"),
    ("delete", "-l", "team=nlp", "--yes"),
)


def every_command_refuses(cli: Cli, sandbox: Sandbox, directory: str, *says: str) -> None:
    """Each command that reads the listing stops on it, and nothing was created, changed or deleted."""
    sandbox.reset_counts()
    for argv in COMMANDS:
        refused(cli(*(part.format(dir=directory) for part in argv)), *says)
    assert sandbox.mutating_count() == 0, sandbox.counts()


# -- 1. a listing cut short ---------------------------------------------------------------------------


@pytest.fixture
def spoiled(sandbox: Sandbox) -> dict[str, Any]:
    """Pages of one endpoint; while set, ``["cursor"]`` replaces every nextCursor that goes on, and
    ``["error"]`` is added beside the items of the page ``["on_page"]`` (1, or 2 for every later one).
    Installed once per test: hypothesis's examples change what it holds."""
    spoil: dict[str, Any] = {}

    def change(page: dict[str, Any], request: Any) -> None:
        if "cursor" in spoil and page.get("nextCursor"):
            page["nextCursor"] = spoil["cursor"]
        if "error" in spoil and ("cursor" in request.query) == (spoil.get("on_page", 1) == 2):
            page["error"] = spoil["error"]
            if spoil.get("on_page") == 2:
                page["items"] = []

    sandbox.add_middleware(rewriting_pages(change))
    sandbox.add_middleware(one_per_page)
    return spoil


@pytest.mark.parametrize("cursor", [0, False, [], {}, 0.0], ids=repr)
def test_a_cursor_that_is_not_text_never_ends_the_listing_early(
    cli: Cli, sandbox: Sandbox, three: str, spoiled: dict[str, Any], cursor: Any
) -> None:
    """The reviewer's case: page 1 says nextCursor 0 (false, [], {}); read as "the last page", status
    showed one endpoint of three, plan created the other two and delete -l deleted only the first."""
    spoiled["cursor"] = cursor
    kind = type(cursor).__name__
    every_command_refuses(cli, sandbox, three, LISTING, f"'nextCursor' that is {kind}, not text")


def test_any_json_that_is_not_text_as_a_cursor_is_an_error_never_a_shorter_listing(
    cli: Cli, sandbox: Sandbox, three: str, spoiled: dict[str, Any]
) -> None:
    # The truthy values of every other JSON type (the test above has the falsy ones, which a cursor
    # read by truthiness takes for the end), one nested.
    @SETTINGS
    @given(cursor=NOT_A_CURSOR)
    @example(cursor=True)
    @example(cursor=1)
    @example(cursor=-2.5)
    @example(cursor=["next"])
    @example(cursor={"page": 2})
    @example(cursor=[[]])
    def check(cursor: Any) -> None:
        spoiled["cursor"] = cursor
        sandbox.reset_counts()
        for argv in (COMMANDS[2], COMMANDS[3]):
            refused(cli(*(part.format(dir=three) for part in argv)), LISTING, "'nextCursor' that is")
        assert sandbox.mutating_count() == 0, sandbox.counts()

    check()
    # Nothing was changed (no example made a mutating call), so this is asked once, not after each: an
    # absent cursor still ends the listing, all three there.
    spoiled.pop("cursor", None)
    assert listed(cli) == sorted(NAMES)


@pytest.mark.parametrize("on_page", [1, 2], ids=["first page, with its items", "a later page"])
def test_a_page_that_carries_an_error_is_refused(
    cli: Cli, sandbox: Sandbox, three: str, spoiled: dict[str, Any], on_page: int
) -> None:
    """A page answered 200 with ``error`` beside ``items`` ("partial results") is not a page."""
    spoiled.update(error="backend timed out; partial results", on_page=on_page)
    every_command_refuses(
        cli, sandbox, three, LISTING, "with an error beside it: 'backend timed out; partial results'"
    )


@pytest.mark.parametrize("said", [None, "", [], {}])
def test_an_empty_error_key_on_a_page_says_nothing(
    cli: Cli, sandbox: Sandbox, three: str, spoiled: dict[str, Any], said: Any
) -> None:
    """A serializer that writes every optional field sends ``"error": null`` with every success."""
    spoiled.update(error=said, on_page=1)  # the first page, with its items (a later one's are emptied)
    assert listed(cli) == sorted(NAMES)
    assert cli("plan", three, "--detailed-exitcode").code == 0


# The falsy values that are not empty (0, false, 0.0: an error read by truthiness would pass them), text of
# spaces only, containers holding only an empty value, and an error of words, on either page.
@SETTINGS
@given(
    said=JSON_VALUES.filter(lambda value: value not in (None, "", [], {})), on_page=st.sampled_from([1, 2])
)
@example(said=0, on_page=1)
@example(said=False, on_page=2)
@example(said=0.0, on_page=1)
@example(said=" ", on_page=2)
@example(said=[None], on_page=1)
@example(said={"": None}, on_page=2)
@example(said="partial results", on_page=2)
def test_an_error_key_on_a_page_is_refused_whatever_it_holds(
    cli: Cli, sandbox: Sandbox, three: str, spoiled: dict[str, Any], said: Any, on_page: int
) -> None:
    spoiled.update(error=said, on_page=on_page)
    sandbox.reset_counts()
    refused(cli("apply", three, "--yes", "--prune", "--stack", "prod"), LISTING, "an error beside it")
    assert sandbox.mutating_count() == 0, sandbox.counts()


def test_a_hardware_answer_that_carries_an_error_is_refused(cli: Cli, sandbox: Sandbox) -> None:
    rewrite(sandbox, HARDWARE, lambda answer: answer.update(error="quota service unavailable"))
    refused(
        cli("hardware"),
        f"listing hardware for namespace '{USER}'",
        "an error beside it: 'quota service unavailable'",
    )


# -- 2. a delete answered 200 with an error ------------------------------------------------------------


def answering(route: str, holder: dict[str, bytes]) -> Middleware:
    """``route`` answered 200 with ``holder["body"]`` (doing nothing) while it is set."""

    def middleware(request: Any, call_next: Callable[[Any], Response]) -> Response:
        if request.route == route and "body" in holder:
            return Response(status=200, body=holder["body"], headers=JSON)
        return call_next(request)

    return middleware


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b'{"error": "deletion is disabled for this org"}', "200 with an error: deletion is disabled"),
        (b'{"error": {"code": "forbidden"}}', "200 with an error: "),
        (b"<html>Signed out</html>", "200 with a body that is not the API's: '<html>Signed out</html>'"),
        (b'["ok"]', "200 with a body that is not the API's"),
    ],
    ids=["error text", "error object", "html", "json list"],
)
def test_a_delete_answered_success_with_an_error_is_a_failure(
    cli: Cli, sandbox: Sandbox, three: str, body: bytes, says: str
) -> None:
    holder = {"body": body}
    sandbox.add_middleware(answering(DELETE, holder))
    doing = f"deleting endpoint '{USER}/a1'"
    for argv in (("delete", "a1", "--yes"), ("delete", "-l", "team=nlp", "--yes")):
        result = cli(*argv)
        assert result.code == 1, result.all
        assert f"{doing}: the API answered {says}" in result.all, result.all
        assert "delete    ok" not in result.stdout, result.stdout
    assert listed(cli) == sorted(NAMES)
    # The documented answer, {}, and an empty body are a delete done.
    holder.pop("body")
    assert cli("delete", "a1", "--yes").code == 0
    holder["body"] = b""
    assert cli("delete", "b2", "--yes").code == 0
    holder["body"] = b'{"error": null}'  # an empty error says nothing, as an absent one
    assert cli("delete", "c3", "--yes").code == 0
    assert sandbox.counts()[DELETE] >= 3


# -- 3. numbers no int can be ----------------------------------------------------------------------------


def test_a_hardware_count_too_large_for_an_int_is_a_malformed_answer(
    cli: Cli, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """JSON's 1e400 is float('inf') in Python; int() of it is an OverflowError, an ArithmeticError.
    Whatever reads the answer, that is the answer's fault, said naming the call."""

    def overflowing(request: Any, call_next: Callable[[Any], Response]) -> Response:
        response = call_next(request)
        if request.route == HARDWARE and response.status == 200:
            response.body = response.body.replace(b'"numAccelerators": 1', b'"numAccelerators": 1e400')
        return response

    def read_as_ints(answer: Any) -> Any:
        for vendor in answer["vendors"]:
            for region in vendor["regions"]:
                for compute in region["computes"]:
                    int(compute["numAccelerators"])
        raise AssertionError("the answer has no 1e400 in it")

    sandbox.add_middleware(overflowing)
    refused(cli("hardware"), f"listing hardware for namespace '{USER}'", "cannot read")
    # Whichever part of the reading meets it first, the hub names the call.
    monkeypatch.setattr(hub_client, "to_hardware", read_as_ints)
    refused(
        cli("hardware"),
        f"listing hardware for namespace '{USER}': the API answered something endpointctl cannot read",
    )


# -- 4. whoami without a usable name ---------------------------------------------------------------------


@pytest.fixture
def whoami_says(sandbox: Sandbox) -> dict[str, bytes]:
    """whoami answered 200 with ``["body"]``; installed once per test, changed per example."""
    holder: dict[str, bytes] = {}
    sandbox.add_middleware(answering(WHOAMI, holder))
    return holder


def whoami_refused(cli: Cli, sandbox: Sandbox, manifests: str, *says: str) -> None:
    """status, plan and apply --prune stop at whoami: no call is made in any namespace."""
    sandbox.reset_counts()
    for argv in (("status",), ("plan", manifests), ("apply", manifests, "--yes", "--prune", "--stack", "s")):
        refused(cli(*argv), "asking whoami: the API answered something endpointctl cannot read", *says)
    assert set(sandbox.counts()) == {WHOAMI}, sandbox.counts()


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({}, "'name' is missing"),
        ([], "JSON that is not an object (list)"),
        ([["name", "alice"]], "JSON that is not an object (list)"),  # dict() would read it as a name
        ("x", "JSON that is not an object (str)"),
        (5, "JSON that is not an object (int)"),
        ({"name": None}, "'name' is NoneType (None), not text"),
        ({"name": 5}, "'name' is int (5), not text"),
        ({"name": ["a"]}, "'name' is list (['a']), not text"),
        ({"name": ""}, "'name' is '', which is not a user or organization name"),
        ({"name": "a/b"}, "'name' is 'a/b', which is not a user or organization name"),
        ({"name": ".."}, "'name' is '..', which is not a user or organization name"),
        ({"name": "x?y=1"}, "'name' is 'x?y=1', which is not"),
        ({"name": "a" * 500}, "'name' is 'aaaa"),
    ],
    ids=repr,
)
def test_a_whoami_name_that_cannot_be_a_namespace_is_a_malformed_answer(
    cli: Cli, sandbox: Sandbox, whoami_says: dict[str, bytes], tmp_path: pathlib.Path, body: Any, says: str
) -> None:
    whoami_says["body"] = json.dumps(body).encode()
    whoami_refused(cli, sandbox, write(tmp_path, "m.yaml", manifest("a1")), says)


# The JSON types the test above does not have, and names the rule refuses that it does not: a name
# starting or ending with what may only be inside one, a space, a line break after a good name (which
# a pattern's "$" lets through), a letter outside ASCII, one character too long.
@SETTINGS
@given(
    name=st.one_of(
        JSON_VALUES.filter(lambda value: not isinstance(value, str)),
        st.text(max_size=12).filter(lambda text: namespace_problem(text) is not None),
    )
)
@example(name=True)
@example(name=1.5)
@example(name={"name": "alice"})
@example(name="-alice")
@example(name="alice.")
@example(name="al ice")
@example(name="alice\n")
@example(name="alicé")
@example(name="a" * 97)
def test_whoami_is_used_for_the_namespace_only_when_its_name_is_one(
    cli: Cli, sandbox: Sandbox, whoami_says: dict[str, bytes], tmp_path: pathlib.Path, name: Any
) -> None:
    whoami_says["body"] = json.dumps({"type": "user", "name": name}).encode()
    whoami_refused(cli, sandbox, write(tmp_path, "m.yaml", manifest("a1")), "'name' is")


def test_a_whoami_answer_of_odd_shape_still_words_an_auth_refusal(
    cli: Cli, sandbox: Sandbox, whoami_says: dict[str, bytes]
) -> None:
    """whoami's orgs and token role only feed a hint: in another shape they are left out of it, never
    an error of their own hiding the refusal the hint is for."""
    whoami_says["body"] = json.dumps({"type": "user", "name": USER, "orgs": "acme", "auth": "write"}).encode()

    def forbidden(request: Any, call_next: Callable[[Any], Response]) -> Response:
        if request.route == LIST:
            return Response(status=403, body=b'{"error": "Forbidden"}', headers=JSON)
        return call_next(request)

    sandbox.add_middleware(forbidden)
    result = cli("status")
    refused(result, f"{LISTING}: the API answered 403: Forbidden", f"it belongs to '{USER}'")


@pytest.mark.parametrize(
    "answer", [{"name": USER}, {"type": None, "name": USER}, {"type": "user", "name": USER}]
)
def test_a_whoami_type_not_said_reads_as_a_users(
    cli: Cli, sandbox: Sandbox, whoami_says: dict[str, bytes], answer: dict[str, Any]
) -> None:
    """Absent or null, ``type`` says nothing: the name is all that is used (only another type is refused)."""
    whoami_says["body"] = json.dumps(answer).encode()
    run = cli("status", "-o", "json", "--allow-empty")
    assert run.code == 0, run.all
    assert sandbox.counts().get("GET /v2/endpoint/{namespace}", 0) >= 1


@pytest.mark.parametrize("kind", ["org", "app", 5])
def test_a_token_that_is_not_a_users_has_no_namespace_of_its_own(
    cli: Cli, sandbox: Sandbox, whoami_says: dict[str, bytes], tmp_path: pathlib.Path, kind: Any
) -> None:
    """huggingface_hub refuses a default namespace for them too: endpoints are never made in the org's."""
    whoami_says["body"] = json.dumps({"type": kind, "name": "acme"}).encode()
    sandbox.reset_counts()
    manifests = write(tmp_path, "m.yaml", manifest("a1"))
    for argv in (("status",), ("apply", manifests, "--yes")):
        run = cli(*argv)
        assert run.code == 1, run.all
        assert f"asking whoami: the token is not a user's ('type' is {kind!r})" in run.stderr
        assert "--namespace" in run.stderr
    assert set(sandbox.counts()) == {WHOAMI}, sandbox.counts()


# -- 3. a listing that names an endpoint twice ---------------------------------------------------------


def repeating(spelling: Callable[[str], str]) -> Middleware:
    """Every page with its first item listed again, its name spelt by ``spelling``: pages that moved while
    they were read (the same endpoint on two of them), or an answer that repeats itself."""

    def change(page: dict[str, Any], request: Any) -> None:
        if page["items"]:
            page["items"].append({**page["items"][0], "name": spelling(page["items"][0]["name"])})

    return rewriting_pages(change)


@pytest.mark.parametrize(
    "spelling",
    [lambda name: name, str.upper, lambda name: name + " "],
    ids=["as it is", "in capitals", "with a blank"],
)
def test_a_listing_that_names_an_endpoint_twice_is_refused(
    cli: Cli, sandbox: Sandbox, three: str, spelling: Callable[[str], str]
) -> None:
    """The reviewer's case: one endpoint listed twice planned two deletes of it, and counted it twice."""
    sandbox.add_middleware(repeating(spelling))
    sandbox.add_middleware(one_per_page)
    every_command_refuses(cli, sandbox, three, LISTING, "more than once", "never used")
