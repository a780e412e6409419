"""Issue 9, reviewed adversarially: odd live answers, odd catalogs, odd revision lookups, odd bodies."""

from __future__ import annotations

import base64
import json
import pathlib
import time
import urllib.parse
from typing import Any

import pytest
from clirunner import Cli, assert_replan_empty
from test_faults import RealTimeInstantSleep
from test_revisions_are_pinned import LOOKUP, doc
from test_revisions_are_pinned import write as write_docs
from test_secure_by_default import manifest as security_manifest
from test_secure_by_default import write as write_one
from test_unknown_is_never_drift import deploy_full, reshaping, with_api_key

from endpointctl.sandbox import Request, Response, Sandbox
from endpointctl.sandbox.faults import FaultConfig, FaultKind, FaultRule
from endpointctl.sandbox.transport import Handler, json_response


@pytest.fixture
def cli(cli: Cli) -> Cli:
    return with_api_key(cli)


@pytest.fixture
def deployed(cli: Cli, clock: Any, tmp_path: pathlib.Path) -> str:
    return deploy_full(cli, clock, tmp_path)


@pytest.mark.parametrize(
    "private_service", [{}, {"accountId": None}, {"accountId": ""}, {"region": "us-east-1"}]
)
def test_privateservice_without_an_account_is_unknown_not_a_replace(
    cli: Cli, sandbox: Sandbox, deployed: str, private_service: dict[str, Any]
) -> None:
    def edit(item: dict[str, Any]) -> None:
        item["privateService"] = private_service

    sandbox.add_middleware(reshaping(edit))
    assert_replan_empty(cli, sandbox, deployed)


@pytest.mark.parametrize("repository", [None, "", "DELETE"])
def test_repository_absent_or_null_is_never_drift(
    cli: Cli, sandbox: Sandbox, deployed: str, repository: Any
) -> None:
    def edit(item: dict[str, Any]) -> None:
        if repository == "DELETE":
            del item["model"]["repository"]
        else:
            item["model"]["repository"] = repository

    sandbox.add_middleware(reshaping(edit))
    assert_replan_empty(cli, sandbox, deployed)


def test_an_env_value_the_answer_sends_as_null_is_never_drift(
    cli: Cli, sandbox: Sandbox, deployed: str
) -> None:
    def edit(item: dict[str, Any]) -> None:
        item["model"]["env"] = {"MAX_BATCH": None}

    sandbox.add_middleware(reshaping(edit))
    assert_replan_empty(cli, sandbox, deployed)


TGI = "ghcr.io/huggingface/text-generation-inference:3.0"


@pytest.mark.parametrize(
    "image",
    [
        {"tgi": {"url": TGI}},  # maxInputLength left out
        {"tgi": {"url": TGI, "maxInputLength": None}},  # or null
        {"tgi": {"url": None, "maxInputLength": 1024}},
        {"tgiNext": {"url": TGI, "maxInputLength": 1024}},  # a variant endpointctl does not know
        {"tgi": {"url": TGI, "maxInputLength": 1024}, "future": {}},
        {"huggingface": {}, "custom": {"url": "x"}},  # which one is it? unknown
        {"tgi": None},
        {},
    ],
)
def test_an_image_the_answer_reports_oddly_is_never_drift(
    cli: Cli, sandbox: Sandbox, deployed: str, image: dict[str, Any]
) -> None:
    def edit(item: dict[str, Any]) -> None:
        item["model"]["image"] = image

    sandbox.add_middleware(reshaping(edit))
    assert_replan_empty(cli, sandbox, deployed)
    sandbox.reset_counts()
    applied = cli("apply", deployed, "--yes", "--allow-replace")
    assert applied.code == 0, applied.all
    assert sandbox.mutating_count() == 0


def test_a_known_engine_change_and_a_known_setting_are_still_drift(
    cli: Cli, sandbox: Sandbox, deployed: str
) -> None:
    def other_engine(item: dict[str, Any]) -> None:
        item["model"]["image"] = {"vLLM": {"url": "vllm/vllm-openai:v0.6"}}

    sandbox.add_middleware(reshaping(other_engine))
    (change,) = json.loads(cli("plan", deployed, "-o", "json").stdout)
    assert change["action"] == "blocked" and change["fields"][0]["replace"], change
    sandbox.clear_middleware()

    def other_length(item: dict[str, Any]) -> None:
        item["model"]["image"] = {"tgi": {"url": TGI, "maxInputLength": 4096}}

    sandbox.add_middleware(reshaping(other_length))
    (change,) = json.loads(cli("plan", deployed, "-o", "json").stdout)
    assert change["action"] == "update", change


# -- revision lookups against a misbehaving server -------------------------------------------------------

USER = "sandbox-user"


def answering(route: str, make: Any) -> Handler:
    def middleware(request: Request, call_next: Handler) -> Response:
        if request.route == route:
            return make(request)
        return call_next(request)

    return middleware


def test_a_lookup_answering_503_stops_within_the_budget_with_nothing_changed(
    cli: Cli, sandbox: Sandbox, clock: Any, tmp_path: pathlib.Path
) -> None:
    # One lookup: the test clock adds up every thread's sleeps, so two lookups retrying side by side
    # would move it by both their backoffs, past a budget each of them kept.
    path = write_docs(tmp_path, doc("two", revision="v1.0"))
    sandbox.install_faults(FaultConfig((FaultRule(FaultKind.STATUS, route=LOOKUP, status=503),)))
    started = clock.now()
    run = cli("apply", path, "--yes", env={"ENDPOINTCTL_RETRY_SECONDS": "20"})
    assert run.code == 1, run.all
    assert clock.now() - started <= 20
    assert "looking up revision" in run.stderr and "503" in run.stderr
    assert sandbox.mutating_count() == 0


def test_a_lookup_that_never_answers_cannot_hold_the_plan(
    sandbox: Sandbox, token: str, tmp_path: pathlib.Path
) -> None:
    path = write_docs(tmp_path, doc("one"))
    sandbox.install_faults(FaultConfig((FaultRule(FaultKind.HANG, route=LOOKUP),)))
    timeout, budget = 0.25, 1.0
    cli = Cli(
        environ={
            "ENDPOINTCTL_API_URL": sandbox.url,
            "HF_TOKEN": token,
            "ENDPOINTCTL_STATE_DIR": str(tmp_path),
            "ENDPOINTCTL_REQUEST_TIMEOUT": str(timeout),
            "ENDPOINTCTL_RETRY_SECONDS": str(budget),
            "ENDPOINTCTL_NAMESPACE": USER,
        },
        clock=RealTimeInstantSleep(),
    )
    started = time.monotonic()
    run = cli("apply", path, "--yes")
    assert run.code == 1, run.all
    assert time.monotonic() - started < budget + timeout + 15.0
    assert sandbox.mutating_count() == 0


def _encodings(secret: str) -> list[str]:
    raw = secret.encode()
    return [
        secret,
        base64.b64encode(raw).decode(),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
        raw.hex(),
        urllib.parse.quote(secret),
        json.dumps(secret)[1:-1],
    ]


@pytest.mark.parametrize("status", [401, 404, 500])
@pytest.mark.parametrize("how", ["plain", "base64", "header"])
def test_a_lookup_error_that_echoes_the_token_never_shows_it(
    cli: Cli, sandbox: Sandbox, token: str, tmp_path: pathlib.Path, status: int, how: str
) -> None:
    path = write_docs(tmp_path, doc("one"))

    def echo(request: Request) -> Response:
        shown = token if how != "base64" else base64.b64encode(token.encode()).decode()
        response = json_response({"error": f"token {shown} rejected for {request.path}"}, status=status)
        if how == "header":
            response.headers["X-Error-Message"] = f"bad token {token}"
        return response

    sandbox.add_middleware(answering(LOOKUP, echo))
    for mode in ("table", "json"):
        run = cli("--traceback", "apply", path, "--yes", "-o", mode, env={"ENDPOINTCTL_RETRY_SECONDS": "2"})
        assert run.code == 1, run.all  # blocked (401, 404) or an API error (500): never applied
        for form in _encodings(token):
            assert form not in run.all, (form, run.all)
    assert sandbox.mutating_count() == 0


@pytest.mark.parametrize(
    "sha", [None, "", "main", "A" * 40, "g" * 40, "a" * 64, 7, ["a" * 40], {"x": 1}, "a" * 39 + "\n"]
)
def test_odd_shas_are_an_api_error_or_a_commit_never_a_crash(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path, sha: Any
) -> None:
    path = write_docs(tmp_path, doc("one"))
    sandbox.add_middleware(
        answering(LOOKUP, lambda r: json_response({"id": "openai-community/gpt2", "sha": sha}))
    )
    run = cli("apply", path, "--yes", "-o", "json")
    if sha == "A" * 40:
        assert run.code == 0, run.all
        return
    assert run.code == 1, run.all
    assert "unexpected" not in run.stderr, run.stderr
    assert sandbox.mutating_count() == 0


# -- the catalog's quota figures, of the wrong type -------------------------------------------------------

HARDWARE = "GET /v2/provider/{namespace}"


@pytest.mark.parametrize(
    "quota",
    [
        {"maxAccelerators": "4", "usedAccelerators": "0"},
        {"maxAccelerators": 4, "usedAccelerators": [1]},
        {"maxAccelerators": True, "usedAccelerators": 0},
        {"maxAccelerators": 4.5, "usedAccelerators": None},
        "lots",
    ],
)
def test_quota_figures_of_the_wrong_type_are_unknown_not_a_crash(
    cli: Cli, sandbox: Sandbox, quota: Any
) -> None:
    def odd_quota(request: Request, call_next: Handler) -> Response:
        response = call_next(request)
        if request.route == HARDWARE:
            answer = json.loads(response.body)
            for vendor in answer["vendors"]:
                for region in vendor["regions"]:
                    for compute in region["computes"]:
                        compute["quota"] = quota
            response.body = json.dumps(answer).encode()
        return response

    sandbox.add_middleware(odd_quota)
    for mode in ("table", "json"):
        run = cli("hardware", "--all", "-o", mode, env={"ENDPOINTCTL_NAMESPACE": USER})
        assert "unexpected" not in run.stderr, run.stderr
        if quota == "lots":
            assert run.code == 1 and "listing hardware" in run.stderr, run.all
        else:
            assert run.code == 0, run.all
    if quota != "lots":
        records = json.loads(run.stdout)
        assert records and all(v is None or type(v) is int for r in records for v in r["quota"].values()), (
            records
        )


# -- a plan whose only change widens access ----------------------------------------------------------------


@pytest.mark.parametrize("allow_replace", [(), ("--allow-replace",)])
def test_a_widening_alone_is_a_change_for_detailed_exitcode_and_is_flagged(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path, allow_replace: tuple[str, ...]
) -> None:
    path = write_one(tmp_path, "a.yaml", security_manifest("wide", "private"))
    assert cli("apply", path, "--yes").code == 0
    write_one(tmp_path, "a.yaml", security_manifest("wide", "authenticated"))
    sandbox.reset_counts()
    # Never "no changes": without --allow-replace the replace is blocked, which fails the plan (1) as it
    # would fail apply; with it, a change (3). Flagged either way.
    code = 3 if allow_replace else 1
    text = cli("plan", path, "--detailed-exitcode", *allow_replace)
    assert text.code == code, text.all
    assert "widens access: private -> protected" in text.stdout, text.all
    as_json = cli("plan", path, "--detailed-exitcode", "-o", "json", *allow_replace)
    assert as_json.code == code, as_json.all
    (change,) = json.loads(as_json.stdout)
    assert change["widensAccess"] == {"from": "private", "to": "protected"}
    assert sandbox.mutating_count() == 0


def test_an_unknown_type_never_widens_nor_replaces(cli: Cli, sandbox: Sandbox, deployed: str) -> None:
    def verified(item: dict[str, Any]) -> None:
        item["type"] = "verified"

    sandbox.add_middleware(reshaping(verified))
    assert_replan_empty(cli, sandbox, deployed)
    (record,) = json.loads(cli("status", "-o", "json").stdout)
    assert record["security"] == "unknown"
