"""Revisions are pinned and tracked: a branch or tag is planned as the commit it names now.

Through the CLI and the sandbox over loopback, with the sandbox's counters: the revision route is
looked up once per distinct (repository, revision) per run and never for a commit or an omitted
revision; create and update send the commit; a moved branch plans exactly one in-place update; a
revision that cannot be read fails that endpoint before any mutating call to it.
"""

from __future__ import annotations

import json
import pathlib
import random
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest
import yaml
from builders import desired as build_desired
from builders import live
from clirunner import Cli, assert_replan_empty
from huggingface_hub import HfApi, constants
from huggingface_hub.errors import GatedRepoError, RepositoryNotFoundError, RevisionNotFoundError
from huggingface_hub.utils._http import default_client_factory, set_client_factory
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from endpointctl.core.diff import desired_fields, diff_endpoint
from endpointctl.core.errors import ApiError
from endpointctl.core.revisions import sent_revision
from endpointctl.core.settings import TokenInfo
from endpointctl.engine import revisions
from endpointctl.hub import Hub
from endpointctl.hub.revisions import Unreadable
from endpointctl.sandbox import ManualClock, Request, Response, Sandbox
from endpointctl.sandbox.transport import Handler

TOKEN = "hf_sandbox_test_token_123"
OUTSIDER_TOKEN = "hf_outsider_token_456"
LOOKUP = "GET /api/models/{owner}/{model}/revision/{rev}"
CREATE = "POST /v2/endpoint/{namespace}"
UPDATE = "PUT /v2/endpoint/{namespace}/{name}"
GPT2 = "openai-community/gpt2"


def doc(name: str, repository: str = GPT2, revision: str | None = "main") -> dict[str, Any]:
    model: dict[str, Any] = {"repository": repository, "task": "text-generation"}
    if revision is not None:
        model["revision"] = revision
    return {
        "apiVersion": "endpointctl/v1",
        "kind": "InferenceEndpoint",
        "metadata": {"name": name},
        "spec": {
            "model": model,
            "provider": {"vendor": "aws", "region": "us-east-1"},
            "compute": {"accelerator": "cpu", "instanceType": "intel-spr", "instanceSize": "x2"},
            "scaling": {"minReplica": 1, "maxReplica": 1},
        },
    }


def write(tmp_path: pathlib.Path, *docs: dict[str, Any]) -> str:
    directory = tmp_path / "manifests"
    directory.mkdir(exist_ok=True)
    for d in docs:
        (directory / f"{d['metadata']['name']}.yaml").write_text(yaml.safe_dump(d, sort_keys=False))
    return str(directory)


class Recorder:
    """A middleware keeping the JSON body of every create and update the sandbox served."""

    def __init__(self) -> None:
        self.bodies: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, request: Request, handler: Handler) -> Response:
        if request.route in (CREATE, UPDATE):
            self.bodies.append((request.route, json.loads(request.body)))
        return handler(request)

    def revisions(self, route: str) -> list[Any]:
        return [body["model"]["revision"] for key, body in self.bodies if key == route and "model" in body]


@pytest.fixture
def recorder(sandbox: Sandbox) -> Recorder:
    recording = Recorder()
    sandbox.add_middleware(recording)
    return recording


def plan_json(cli: Cli, path: str) -> list[dict[str, Any]]:
    run = cli("plan", path, "-o", "json")
    assert run.code == 0, run.all
    result: list[dict[str, Any]] = json.loads(run.stdout)
    return result


def lookups(sandbox: Sandbox) -> int:
    return sandbox.counts().get(LOOKUP, 0)


def commit_of(sandbox: Sandbox, repository: str, revision: str = "main") -> str:
    info = HfApi(endpoint=sandbox.url).model_info(repository, revision=revision, token=TOKEN)
    assert info.sha is not None
    return info.sha


# -- a branch, created, planned again, moved ------------------------------------------------------------


def test_create_sends_the_commit_and_the_next_plan_is_empty_with_one_lookup_per_revision(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, recorder: Recorder, tmp_path: pathlib.Path
) -> None:
    commit = commit_of(sandbox, GPT2)
    other = commit_of(sandbox, "distilbert/sst2")
    # Two endpoints on gpt2@main and one on another model: two distinct (repository, revision) pairs.
    path = write(tmp_path, doc("gpt2-a"), doc("gpt2-b"), doc("sst2", repository="distilbert/sst2"))
    sandbox.reset_counts()

    planned = plan_json(cli, path)
    shown = {c["name"]: f["after"] for c in planned for f in c["fields"] if f["path"] == "model.revision"}
    assert shown == {"gpt2-a": f"main@{commit}", "gpt2-b": f"main@{commit}", "sst2": f"main@{other}"}
    assert lookups(sandbox) == 2

    sandbox.reset_counts()
    applied = cli("apply", path, "--yes")
    assert applied.code == 0, applied.all
    assert lookups(sandbox) == 2
    assert sorted(recorder.revisions(CREATE)) == sorted([commit, commit, other])

    clock.advance(10)
    sandbox.reset_counts()
    assert_replan_empty(cli, sandbox, path)
    assert lookups(sandbox) == 2


def test_a_moved_branch_plans_one_in_place_update_to_the_new_commit(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, recorder: Recorder, tmp_path: pathlib.Path
) -> None:
    path = write(tmp_path, doc("gpt2-demo"))
    old = commit_of(sandbox, GPT2)
    assert cli("apply", path, "--yes").code == 0
    clock.advance(10)

    new = sandbox.move_ref(GPT2, "main")
    assert new != old
    sandbox.reset_counts()
    planned = plan_json(cli, path)
    assert [(c["name"], c["action"]) for c in planned] == [("gpt2-demo", "update")]
    assert [(f["path"], f["before"], f["after"], f["replace"]) for f in planned[0]["fields"]] == [
        ("model.revision", old, f"main@{new}", False)
    ]
    text = cli("plan", path)
    assert f"model.revision: {old} -> main@{new}" in text.stdout, text.all

    sandbox.reset_counts()
    applied = cli("apply", path, "--yes")
    assert applied.code == 0, applied.all
    assert sandbox.mutating_count() == 1 and sandbox.counts().get(UPDATE) == 1
    assert recorder.revisions(UPDATE) == [new]
    assert lookups(sandbox) == 1

    clock.advance(10)
    sandbox.reset_counts()
    assert_replan_empty(cli, sandbox, path)


def test_a_tag_is_looked_up_like_a_branch(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, recorder: Recorder, tmp_path: pathlib.Path
) -> None:
    tagged = sandbox.move_ref(GPT2, "v1.0")
    path = write(tmp_path, doc("gpt2-demo", revision="v1.0"))
    assert cli("apply", path, "--yes").code == 0
    assert recorder.revisions(CREATE) == [tagged]
    clock.advance(10)
    assert_replan_empty(cli, sandbox, path)


# -- no lookup: a commit, or no revision ------------------------------------------------------------


def test_a_commit_needs_no_lookup_and_is_sent_in_lowercase(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, recorder: Recorder, tmp_path: pathlib.Path
) -> None:
    commit = "ABCDEF0123456789ABCDEF0123456789ABCDEF01"
    path = write(tmp_path, doc("pinned", revision=commit))
    sandbox.reset_counts()
    planned = plan_json(cli, path)
    assert [f["after"] for f in planned[0]["fields"] if f["path"] == "model.revision"] == [commit.lower()]
    assert cli("apply", path, "--yes").code == 0
    assert recorder.revisions(CREATE) == [commit.lower()]
    clock.advance(10)
    sandbox.move_ref(GPT2, "main")  # a commit is pinned: the branch moving means nothing to it
    assert_replan_empty(cli, sandbox, path)
    assert lookups(sandbox) == 0


def test_an_omitted_revision_is_never_looked_up_and_never_drift(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, recorder: Recorder, tmp_path: pathlib.Path
) -> None:
    path = write(tmp_path, doc("floating", revision=None))
    sandbox.reset_counts()
    assert cli("apply", path, "--yes").code == 0
    assert recorder.revisions(CREATE) == [None]  # the service's default, the latest main
    clock.advance(10)
    live_revision = sandbox_revision(cli, sandbox, "floating")
    assert live_revision == commit_of(sandbox, GPT2)  # the service answers the commit it resolved
    sandbox.move_ref(GPT2, "main")
    sandbox.reset_counts()
    assert_replan_empty(cli, sandbox, path)
    assert lookups(sandbox) == 0


def sandbox_revision(cli: Cli, sandbox: Sandbox, name: str) -> str:
    run = cli("status", name, "-o", "json")
    assert run.code == 0, run.all
    revision: str = json.loads(run.stdout)[0]["revision"]
    return revision


def rewrite_revisions(value: Any, revision: str) -> Any:
    """Every endpoint document's ``model.revision`` replaced, as a server that does not resolve answers."""
    if isinstance(value, dict):
        if isinstance(value.get("model"), dict) and "revision" in value["model"]:
            value["model"]["revision"] = revision
        for child in value.values():
            rewrite_revisions(child, revision)
    elif isinstance(value, list):
        for child in value:
            rewrite_revisions(child, revision)
    return value


def test_a_live_revision_that_is_the_branch_name_itself_is_not_drift(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path
) -> None:
    def unresolved(request: Request, handler: Handler) -> Response:
        response = handler(request)
        if request.route.split(" ", 1)[-1].startswith("/v2/endpoint") and response.body:
            body = rewrite_revisions(json.loads(response.body), "main")
            response.body = json.dumps(body).encode()
        return response

    sandbox.add_middleware(unresolved)
    path = write(tmp_path, doc("gpt2-demo"))
    assert cli("apply", path, "--yes").code == 0
    clock.advance(10)
    assert sandbox_revision(cli, sandbox, "gpt2-demo") == "main"
    sandbox.move_ref(GPT2, "main")  # even moved: a server that keeps "main" tracks main itself
    sandbox.reset_counts()
    assert_replan_empty(cli, sandbox, path)
    assert lookups(sandbox) == 1


# -- revisions that cannot be read --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("repository", "revision", "says"),
    [
        (GPT2, "no-such-branch", "it has no branch, tag or commit 'no-such-branch'"),
        ("sandbox/gated-model", "main", "gated and this token has not been granted access"),
        ("sandbox/private-model", "main", "does not exist, or it is private"),
        ("sandbox/no-such-model", "main", "does not exist, or it is private"),
    ],
)
@pytest.mark.parametrize("command", ["plan", "apply"])
def test_a_revision_that_cannot_be_read_fails_that_endpoint_before_any_change_to_it(
    cli: Cli,
    sandbox: Sandbox,
    tmp_path: pathlib.Path,
    repository: str,
    revision: str,
    says: str,
    command: str,
) -> None:
    path = write(
        tmp_path, doc("fine", revision=None), doc("broken", repository=repository, revision=revision)
    )
    sandbox.reset_counts()
    run = cli(command, path, "-o", "json", *(["--yes"] if command == "apply" else []))
    assert lookups(sandbox) == 1
    records = {r["name"]: r for r in json.loads(run.stdout)}
    if command == "plan":
        assert run.code == 0, run.all  # a plan shows the block; apply is what fails
        assert records["broken"]["action"] == "blocked" and records["broken"]["steps"] == []
        reason = records["broken"]["reason"]
        assert records["fine"]["action"] == "create"
        assert sandbox.mutating_count() == 0
    else:
        assert run.code == 1, run.all
        assert (records["broken"]["action"], records["broken"]["outcome"]) == ("blocked", "blocked")
        reason = records["broken"]["error"]
        # The other endpoint goes ahead: one create, for it alone.
        assert records["fine"]["outcome"] == "ok"
        assert sandbox.counts().get("POST /v2/endpoint/{namespace}") == 1 == sandbox.mutating_count()
    assert f"its revision {repository}@{revision} cannot be read: " in reason
    assert says in reason


@pytest.mark.parametrize(
    "revision", ["", " ", "main\n", "a b", "../main", "-main", "main~1", "v1:2", "refs/"]
)
def test_a_revision_no_ref_can_be_named_is_a_manifest_error_before_any_call(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path, revision: str
) -> None:
    path = write(tmp_path, doc("odd", revision=revision))
    sandbox.reset_counts()
    run = cli("plan", path, "-o", "json")
    assert run.code == 2, run.all
    (issue,) = json.loads(run.stdout)
    assert issue["path"] == "spec.model.revision" and isinstance(issue["line"], int), issue
    assert sandbox.counts() == {}  # not even the lookup


def test_every_endpoint_whose_revision_cannot_be_read_is_named_at_once(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    path = write(
        tmp_path,
        doc("first", revision="gone"),
        doc("second", revision="gone"),
        doc("third", repository="sandbox/gated-model"),
    )
    sandbox.reset_counts()
    run = cli("apply", path, "--yes")
    assert run.code == 1, run.all
    for name in ("first", "second", "third"):
        assert f"- blocked sandbox-user/{name}" in run.stdout or f"blocked sandbox-user/{name}" in run.all
    assert run.all.count("cannot be read: ") >= 3
    assert lookups(sandbox) == 2  # gpt2@gone once for two endpoints, the gated model once
    assert sandbox.mutating_count() == 0


# -- which revisions are looked up ----------------------------------------------------------------------

HEX = "0123456789abcdefABCDEF"
SEGMENT = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,12}", fullmatch=True).filter(lambda s: ".." not in s)
REVISIONS = st.one_of(
    st.text(HEX, min_size=40, max_size=40),  # commits, in either case
    st.text(HEX, min_size=39, max_size=39),  # one short: a branch name made of hex digits
    st.text(HEX, min_size=41, max_size=41),  # one long
    st.lists(SEGMENT, min_size=1, max_size=3).map("/".join),  # branches, with slashes
    st.from_regex(r"v[0-9]{1,2}\.[0-9]{1,2}(\.[0-9]{1,2})?", fullmatch=True),  # tags
)


@pytest.fixture
def hub(sandbox: Sandbox, clock: ManualClock) -> Iterator[Hub]:
    made = Hub(token=TokenInfo(TOKEN, "test"), api_url=sandbox.url, clock=clock, rng=random.Random(1))
    yield made
    made.close()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(revision=REVISIONS)
def test_only_forty_hex_digits_skip_the_lookup(sandbox: Sandbox, hub: Hub, revision: str) -> None:
    is_commit = len(revision) == 40 and all(c in HEX for c in revision)
    moved = None if is_commit else sandbox.move_ref("acme/model", revision)
    d = build_desired(model={"repository": "acme/model", "revision": revision})
    sandbox.reset_counts()

    ((_, pinned),), _ = revisions.pin(hub, [("acme", d)])

    assert lookups(sandbox) == (0 if is_commit else 1)
    assert sandbox.mutating_count() == 0
    assert pinned.revision_commit == moved
    assert sent_revision(pinned) == (revision.lower() if is_commit else moved)
    if is_commit:  # compared without case: the API writes commits in lowercase
        assert diff_endpoint(pinned, live(repository="acme/model", revision=revision.lower())) == ()


def test_the_same_pair_is_looked_up_once_per_run(sandbox: Sandbox, hub: Hub) -> None:
    placed = [
        (ns, build_desired(model={"repository": repo, "revision": rev}))
        for ns, repo, rev in [
            ("acme", GPT2, "main"),
            ("sandbox-user", GPT2, "main"),
            ("acme", "distilbert/sst2", "main"),
            ("acme", GPT2, "0" * 40),
            ("acme", GPT2, None),
        ]
    ]
    sandbox.reset_counts()
    pinned, _ = revisions.pin(hub, placed)
    assert lookups(sandbox) == 2
    assert [d.revision_commit for _, d in pinned] == [
        commit_of(sandbox, GPT2),
        commit_of(sandbox, GPT2),
        commit_of(sandbox, "distilbert/sst2"),
        None,
        None,
    ]


# -- where lookups go -----------------------------------------------------------------------------------


def test_without_an_api_url_lookups_go_to_the_hub(clock: ManualClock) -> None:
    seen: list[str] = []
    commit = "1" * 40

    def answer(request: httpx2.Request) -> httpx2.Response:
        seen.append(str(request.url))
        return httpx2.Response(200, json={"id": GPT2, "sha": commit})

    hub = Hub(
        token=TokenInfo(TOKEN, "test"),
        clock=clock,
        client_factory=lambda: httpx2.Client(transport=httpx2.MockTransport(answer)),
    )
    try:
        assert hub.commit_of(GPT2, "feature/x") == commit
    finally:
        hub.close()
        set_client_factory(default_client_factory)
    assert f"{constants.ENDPOINT}/api/models/{GPT2}/revision/feature%2Fx" in seen


def test_an_answer_without_a_commit_is_an_api_error(clock: ManualClock) -> None:
    hub = Hub(
        token=TokenInfo(TOKEN, "test"),
        api_url="https://api.test",
        clock=clock,
        client_factory=lambda: httpx2.Client(
            transport=httpx2.MockTransport(lambda _: httpx2.Response(200, json={"id": GPT2, "sha": "main"}))
        ),
    )
    try:
        with pytest.raises(ApiError, match="looking up revision 'main' of model 'openai-community/gpt2'"):
            hub.commit_of(GPT2, "main")
    finally:
        hub.close()
        set_client_factory(default_client_factory)


# -- the sandbox, as huggingface_hub sees it ------------------------------------------------------------


def test_huggingface_hub_model_info_works_against_the_sandbox_unchanged(sandbox: Sandbox) -> None:
    api = HfApi(endpoint=sandbox.url, token=TOKEN)
    info = api.model_info(GPT2, revision="main")
    assert info.id == GPT2 and info.private is False and info.gated is False
    assert info.sha is not None and len(info.sha) == 40
    assert info.siblings is not None and info.last_modified is not None
    assert api.model_info(GPT2).sha == info.sha  # without a revision: main

    moved = sandbox.move_ref(GPT2, "refs/pr/1")
    assert api.model_info(GPT2, revision="refs/pr/1").sha == moved
    assert api.model_info(GPT2, revision=moved.upper()).sha == moved

    with pytest.raises(RevisionNotFoundError):
        api.model_info(GPT2, revision="nope")
    with pytest.raises(RepositoryNotFoundError):
        api.model_info("sandbox/no-such-model")
    with pytest.raises(RepositoryNotFoundError):
        api.model_info("sandbox/private-model")
    with pytest.raises(GatedRepoError) as gated:
        api.model_info("sandbox/gated-model")
    assert gated.value.response.status_code == 403
    with pytest.raises(GatedRepoError) as anonymous:
        HfApi(endpoint=sandbox.url).model_info("sandbox/gated-model", token=False)
    assert anonymous.value.response.status_code == 401


def test_the_sandbox_answers_commits_even_while_pending(
    sandbox: Sandbox, client: httpx2.Client, endpoint_body: Any
) -> None:
    repository = endpoint_body()["model"]["repository"]
    created = client.post("/v2/endpoint/sandbox-user", json=endpoint_body()).json()
    assert created["status"]["state"] == "pending"
    assert created["model"]["revision"] == commit_of(sandbox, repository)

    tagged = sandbox.move_ref(repository, "v2")
    updated = client.put("/v2/endpoint/sandbox-user/my-endpoint", json={"model": {"revision": "v2"}})
    assert updated.json()["model"]["revision"] == tagged

    refused = client.post(
        "/v2/endpoint/sandbox-user",
        json={**endpoint_body("other"), "model": {**endpoint_body()["model"], "revision": "nope"}},
    )
    assert refused.status_code == 400 and "nope" in refused.json()["error"]
    gated = client.put(
        "/v2/endpoint/sandbox-user/my-endpoint", json={"model": {"repository": "sandbox/gated-model"}}
    )
    assert gated.status_code == 400 and "gated-model" in gated.json()["error"]


def test_moving_a_branch_over_http_needs_the_sandbox_users_token(sandbox: Sandbox) -> None:
    route = f"{sandbox.url}/_sandbox/models/{GPT2}/refs/main"
    commit = "2" * 40
    assert httpx2.put(route, json={"sha": commit}).status_code == 401
    outsider = {"Authorization": f"Bearer {OUTSIDER_TOKEN}"}
    assert httpx2.put(route, json={"sha": commit}, headers=outsider).status_code == 403
    user = {"Authorization": f"Bearer {TOKEN}"}
    before = commit_of(sandbox, GPT2)
    moved = httpx2.put(route, json={"sha": commit}, headers=user)
    assert moved.json() == {"repository": GPT2, "ref": "main", "sha": commit, "previous": before}
    assert commit_of(sandbox, GPT2) == commit
    assert httpx2.put(route, json={"sha": "main"}, headers=user).status_code == 400
    fresh = httpx2.put(route, headers=user).json()["sha"]  # no body: a new commit
    assert fresh not in (commit, before) and commit_of(sandbox, GPT2) == fresh

    sandbox.reset()  # a reset puts every branch back
    assert commit_of(sandbox, GPT2) == before


# -- pure: what a plan shows ------------------------------------------------------------------------------


def test_a_create_shows_the_branch_and_its_commit() -> None:
    d = build_desired(model={"repository": GPT2, "revision": "main"})
    pinned = revisions.pin(FixedLookups({(GPT2, "main"): "a" * 40}), [("acme", d)])[0][0][1]
    assert [f.after for f in desired_fields(pinned) if f.path == "model.revision"] == [f"main@{'a' * 40}"]
    assert diff_endpoint(pinned, live(revision="a" * 40)) == ()
    assert diff_endpoint(pinned, live(revision="A" * 40)) == ()
    assert diff_endpoint(pinned, live(revision="main")) == ()
    assert diff_endpoint(pinned, live(revision=None)) == ()
    [change] = diff_endpoint(pinned, live(revision="b" * 40))
    assert (change.path, change.before, change.after) == ("model.revision", "b" * 40, f"main@{'a' * 40}")
    assert not change.forces_replace


class FixedLookups:
    def __init__(self, commits: dict[tuple[str, str], str | Unreadable]) -> None:
        self.commits = commits
        self.asked: list[tuple[str, str]] = []

    def commit_of(self, repository: str, revision: str) -> str | Unreadable:
        self.asked.append((repository, revision))
        return self.commits[(repository, revision)]
