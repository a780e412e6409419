"""export: what is live, as manifests that plan no change — and, for endpoints made elsewhere, an adopt
that sends the ownership tags and nothing else.

Through the CLI, huggingface_hub and the sandbox over loopback; the sandbox counts the calls and a
middleware keeps the bodies of every create and update it serves.
"""

from __future__ import annotations

import json
import pathlib
import string
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
import yaml
from builders import desired, live
from clirunner import Cli, Run
from conftest import TOKEN, USER
from huggingface_hub import HfApi, constants
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from endpointctl.core.diff import diff_endpoint
from endpointctl.core.endpoint import Endpoint, PrivateLink, Status
from endpointctl.core.errors import EndpointctlError
from endpointctl.core.export import Exported, NotExportable, export
from endpointctl.core.plan import lifecycle_change
from endpointctl.core.spec import CONTROL_RE, MAX_REPLICAS, MAX_SCALE_TO_ZERO_MINUTES, Security
from endpointctl.core.tags import (
    ENV_KEY,
    LABELS_KEY,
    MANAGED_TAG,
    RESERVED_LABEL_KEYS,
    STACK_KEY,
    desired_tags,
    labels_from_tags,
)
from endpointctl.engine.flows import export as export_flow
from endpointctl.hub.requests import create_arguments, update_arguments
from endpointctl.manifest import load
from endpointctl.manifest.writer import render
from endpointctl.sandbox import ManualClock, Request, Response, Sandbox
from endpointctl.sandbox.transport import Handler

ROOT = pathlib.Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "manifests").glob("*.yaml"))
LIST = "GET /v2/endpoint/{namespace}"
GET = "GET /v2/endpoint/{namespace}/{name}"
CREATE = "POST /v2/endpoint/{namespace}"
UPDATE = "PUT /v2/endpoint/{namespace}/{name}"
SECRET = "s3cr3t-value-never-shown-42"


class Recorder:
    """A middleware keeping the JSON body of every create and update the sandbox served."""

    def __init__(self) -> None:
        self.bodies: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, request: Request, handler: Handler) -> Response:
        if request.route in (CREATE, UPDATE):
            self.bodies.append((request.route, json.loads(request.body)))
        return handler(request)

    def of(self, route: str) -> list[dict[str, Any]]:
        return [body for key, body in self.bodies if key == route]


@pytest.fixture
def recorder(sandbox: Sandbox) -> Recorder:
    recording = Recorder()
    sandbox.add_middleware(recording)
    return recording


@pytest.fixture
def foreign(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Iterator[HfApi]:
    """Plain huggingface_hub against the sandbox: someone creating endpoints without endpointctl.

    endpointctl points huggingface_hub's base URL at its server for each call and puts it back after a
    command; ``api()`` points it at the sandbox again before each use, so nothing reaches the real API.
    """
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_TELEMETRY", True)
    monkeypatch.setattr(constants, "INFERENCE_ENDPOINTS_ENDPOINT", sandbox.url + "/v2")
    monkeypatch.setattr(constants, "INFERENCE_CATALOG_ENDPOINT", sandbox.url + "/api/v1/catalog")
    yield HfApi(endpoint=sandbox.url, token=TOKEN)


def point(sandbox: Sandbox) -> None:
    constants.INFERENCE_ENDPOINTS_ENDPOINT = sandbox.url + "/v2"
    constants.INFERENCE_CATALOG_ENDPOINT = sandbox.url + "/api/v1/catalog"


def ok(run: Run, code: int = 0) -> Run:
    assert run.code == code, run.all
    return run


def plan_json(cli: Cli, *args: str, code: int = 0) -> list[dict[str, Any]]:
    run = ok(cli("plan", *args, "-o", "json"), code)
    result: list[dict[str, Any]] = json.loads(run.stdout)
    return result


def exported(directory: pathlib.Path) -> dict[str, dict[str, Any]]:
    return {path.stem: yaml.safe_load(path.read_text()) for path in sorted(directory.glob("*.yaml"))}


# -- endpoints endpointctl manages: every example, applied, exported, planned -------------------------


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_exported_plans_no_change(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path, example: pathlib.Path
) -> None:
    ok(cli("apply", str(example), "--yes"))
    clock.advance(10)  # deployed
    name = yaml.safe_load(example.read_text())["metadata"]["name"]
    out = tmp_path / "live"
    sandbox.reset_counts()

    ok(cli("export", name, "--dir", str(out)))
    assert sandbox.counts() == {LIST: 1, "GET /api/whoami-v2": 1}  # one listing, nothing per endpoint
    assert sorted(p.name for p in out.iterdir()) == [f"{name}.yaml"]
    ok(cli("validate", str(out)))
    before = sandbox.mutating_count()
    assert plan_json(cli, str(out), "--detailed-exitcode") == []
    assert sandbox.mutating_count() == before

    doc = exported(out)[name]
    original = yaml.safe_load(example.read_text())
    assert doc["metadata"]["labels"] == original["metadata"]["labels"]
    assert doc["metadata"]["namespace"] == USER
    assert len(doc["spec"]["model"]["revision"]) == 40  # the commit it runs, not the branch
    for key in ("provider", "compute", "scaling", "security"):
        assert doc["spec"][key] == original["spec"][key]
    assert doc["spec"]["state"] == "running"


def test_export_of_every_example_at_once_round_trips_and_after_apply_still_plans_nothing(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path, recorder: Recorder
) -> None:
    ok(cli("apply", str(ROOT / "manifests"), "--yes"))
    clock.advance(10)
    out = tmp_path / "live"
    listed = ok(cli("export", "--dir", str(out), "-o", "json"))
    records = json.loads(listed.stdout)
    names = sorted(yaml.safe_load(p.read_text())["metadata"]["name"] for p in EXAMPLES)
    assert sorted(r["name"] for r in records) == names
    assert all(r["file"] == str(out / f"{r['name']}.yaml") and r["variables"] == [] for r in records)
    recorder.bodies.clear()
    ok(cli("plan", str(out), "--detailed-exitcode"))
    applied = ok(cli("apply", str(out), "--yes", "-o", "json"))
    assert {r["outcome"] for r in json.loads(applied.stdout)} == {"unchanged"}
    assert recorder.bodies == []


def test_a_paused_endpoint_exports_paused_without_the_pause_s_replicas(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path
) -> None:
    ok(cli("apply", str(ROOT / "manifests" / "gpt2.yaml"), "--yes"))
    clock.advance(10)
    ok(cli("pause", "gpt2-demo"))
    out = tmp_path / "live"
    ok(cli("export", "gpt2-demo", "--dir", str(out)))
    spec = exported(out)["gpt2-demo"]["spec"]
    assert spec["state"] == "paused"
    assert spec["scaling"] == {"scaleToZeroTimeout": 15}  # replicas of a paused endpoint are the pause's
    assert plan_json(cli, str(out), "--detailed-exitcode") == []
    ok(cli("resume", "gpt2-demo"))
    clock.advance(10)
    # Resumed by hand: the manifest says paused, so the plan puts it back, and says so.
    assert [c["action"] for c in plan_json(cli, str(out), "--detailed-exitcode", code=3)] == ["pause"]


def test_an_endpoint_scaled_to_zero_by_its_own_min_replica_exports_as_running(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path
) -> None:
    ok(cli("apply", str(ROOT / "manifests" / "sentiment.yaml"), "--yes"))
    clock.advance(10)
    ok(cli("scale-to-zero", "sentiment-en"))
    out = tmp_path / "live"
    ok(cli("export", "sentiment-en", "--dir", str(out)))
    assert exported(out)["sentiment-en"]["spec"]["state"] == "running"
    assert plan_json(cli, str(out), "--detailed-exitcode") == []


# -- files: never overwritten without --force, written all or none, or printed -----------------------


def test_existing_files_are_refused_before_any_is_written_and_force_replaces_them(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path
) -> None:
    ok(
        cli(
            "apply",
            str(ROOT / "manifests" / "gpt2.yaml"),
            str(ROOT / "manifests" / "sentiment.yaml"),
            "--yes",
        )
    )
    out = tmp_path / "live"
    out.mkdir()
    (out / "sentiment-en.yaml").write_text("# mine\n")
    refused = ok(cli("export", "--dir", str(out)), 2)
    assert "refusing to overwrite" in refused.stderr and "--force" in refused.stderr
    assert sorted(p.name for p in out.iterdir()) == ["sentiment-en.yaml"]  # gpt2-demo not written either
    assert (out / "sentiment-en.yaml").read_text() == "# mine\n"
    ok(cli("export", "--dir", str(out), "--force"))
    assert sorted(exported(out)) == ["gpt2-demo", "sentiment-en"]
    assert list(out.glob(".*")) == []  # no temporary file left behind


def test_without_dir_the_manifests_go_to_stdout_as_one_stream_that_plans_nothing(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path
) -> None:
    ok(cli("apply", str(ROOT / "manifests"), "--yes"))
    printed = ok(cli("export"))
    docs = list(yaml.safe_load_all(printed.stdout))
    assert len(docs) == len(EXAMPLES)
    stream = tmp_path / "live.yaml"
    stream.write_text(printed.stdout)
    assert plan_json(cli, str(stream), "--detailed-exitcode") == []
    as_json = json.loads(ok(cli("export", "gpt2-demo", "-o", "json")).stdout)
    assert [d["metadata"]["name"] for d in as_json] == ["gpt2-demo"]
    summary = ok(cli("export", "gpt2-demo", "-o", "markdown")).stdout  # for a pull request: no YAML
    assert summary.startswith("**Manifests:** 1, printed.") and "openai-community/gpt2" in summary


def test_names_that_are_not_there_and_an_empty_dir_are_errors(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    ok(cli("apply", str(ROOT / "manifests" / "gpt2.yaml"), "--yes"))
    missing = ok(cli("export", "gpt2-demo", "no-such-one", "--dir", str(tmp_path / "x")), 1)
    assert "not found: sandbox-user/no-such-one" in missing.stderr
    assert not (tmp_path / "x").exists()
    assert "--dir is empty" in ok(cli("export", "--dir", ""), 2).stderr
    assert ok(cli("export", "-l", "team=nobody"), 1).stderr.count("no endpoint matches") == 1
    ok(cli("export", "-l", "team=nobody", "--allow-empty"))


# -- endpoints made elsewhere: export, plan --adopt, apply --adopt sends tags only ---------------------


def _adopt(cli: Cli, sandbox: Sandbox, recorder: Recorder, out: pathlib.Path, name: str) -> dict[str, Any]:
    """plan --adopt proposes the ownership tags and nothing else; apply --adopt sends exactly those."""
    # Not ours: nothing without --adopt, a blocked change, which fails --detailed-exitcode (apply would).
    unadopted = plan_json(cli, str(out), "--detailed-exitcode", code=1)
    assert [c["action"] for c in unadopted] == ["blocked"]
    (change,) = plan_json(cli, str(out), "--adopt", "--detailed-exitcode", code=3)
    assert change["action"] == "update"
    assert [f["path"] for f in change["fields"]] == ["tags"]
    added = set(change["fields"][0]["after"]) - set(change["fields"][0]["before"])
    assert set(change["fields"][0]["before"]) <= set(change["fields"][0]["after"])  # nothing removed
    assert MANAGED_TAG in added and added <= {MANAGED_TAG} | {t for t in added if t.startswith(LABELS_KEY)}
    assert "adopting: endpointctl's ownership tags will be added" in change["notes"]

    recorder.bodies.clear()
    sandbox.reset_counts()
    ok(cli("apply", str(out), "--adopt", "--yes"))
    (body,) = recorder.of(UPDATE)
    assert list(body) == ["tags"]  # never the model or the compute: nothing redeploys
    assert set(body["tags"]) == set(change["fields"][0]["after"])
    assert recorder.of(CREATE) == []
    assert sandbox.counts().get(UPDATE) == 1 and sandbox.mutating_count() == 1

    before = sandbox.mutating_count()
    assert plan_json(cli, str(out), "--detailed-exitcode") == []  # ours now, and nothing differs
    assert sandbox.mutating_count() == before
    state: dict[str, Any] = json.loads(ok(cli("status", name, "-o", "json")).stdout)[0]
    return state


def test_an_endpoint_made_with_huggingface_hub_is_adopted_with_its_tags_only(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path, recorder: Recorder, foreign: HfApi
) -> None:
    foreign.create_inference_endpoint(
        "made-elsewhere",
        repository="distilbert/distilbert-base-uncased-finetuned-sst-2-english",
        framework="pytorch",
        task="text-classification",
        accelerator="cpu",
        vendor="aws",
        region="us-east-1",
        instance_size="x2",
        instance_type="intel-spr",
        min_replica=1,
        max_replica=2,
        type="authenticated",
        tags=["team=ml", "cost-center=42", "bare-tag", "odd key=x"],
        env={"MAX_BATCH": "8", "PRICE": "$5 ${NOT_A_VAR}", "ODD": "tab\tnel\x85rtl\u202eesc\x1b"},
        secrets={"API_KEY": SECRET, "hf-token": SECRET + "-2"},
    )
    clock.advance(10)
    out = tmp_path / "adopted"
    run = ok(cli("export", "made-elsewhere", "--dir", str(out)))
    text = (out / "made-elsewhere.yaml").read_text()
    assert SECRET not in text + run.all  # values are write-only: placeholders only
    doc = yaml.safe_load(text)
    assert doc["spec"]["model"]["secrets"] == {"API_KEY": "${API_KEY}", "hf-token": "${hf_token}"}
    assert doc["spec"]["model"]["env"] == {
        "MAX_BATCH": "8",
        "PRICE": "$$5 $${NOT_A_VAR}",
        "ODD": "tab\tnel\x85rtl\u202eesc\x1b",
    }
    assert "\u202e" not in text and "\x85" not in text  # escaped, so a reviewer sees what is there
    assert ok(cli("export", "made-elsewhere")).stdout == text  # what stdout shows is the file, exactly
    assert doc["metadata"]["labels"] == {"team": "ml", "cost-center": "42"}
    assert doc["spec"]["security"] == "protected"
    assert doc["spec"]["scaling"] == {"minReplica": 1, "maxReplica": 2}  # no timeout: the API has none
    assert "not a label a manifest can hold" in run.stderr and "'bare-tag'" in run.stderr
    assert "`endpointctl plan FILE --adopt` (FILE: this file)" in text and "${API_KEY}" in text

    state = _adopt(cli, sandbox, recorder, out, "made-elsewhere")  # with API_KEY and hf_token unset
    assert state["status"] == "running" and state["managed"] is True
    assert state["labels"]["bare-tag"] == "" and state["labels"]["odd key"] == "x"  # other tags kept
    point(sandbox)  # endpointctl put huggingface_hub's base URL back when its command ended
    live = foreign.get_inference_endpoint("made-elsewhere", token=TOKEN)
    assert live.raw["model"]["env"]["PRICE"] == "$5 ${NOT_A_VAR}"


@pytest.mark.filterwarnings("ignore:.*is experimental:UserWarning")
def test_an_endpoint_deployed_from_the_catalog_is_adopted_with_its_tags_only(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path, recorder: Recorder, foreign: HfApi
) -> None:
    foreign.create_inference_endpoint_from_catalog(recipe_id="sizzling-biryani-g4xsi1ac", name="llama")
    clock.advance(10)
    out = tmp_path / "adopted"
    ok(cli("export", "llama", "--dir", str(out)))
    doc = exported(out)["llama"]
    assert doc["spec"]["model"]["image"] == {"vLLM": {"url": "vllm/vllm-openai:v0.23.0", "port": 8000}}
    assert "labels" not in doc["metadata"]
    _adopt(cli, sandbox, recorder, out, "llama")


# -- secrets: unset is fine until a step would send the value --------------------------------------


SECRET_MANIFEST = """\
apiVersion: endpointctl/v1
kind: InferenceEndpoint
metadata: {name: with-secret}
spec:
  model:
    repository: openai-community/gpt2
    task: text-generation
    secrets: {API_KEY: "${MY_API_KEY}"}
  provider: {vendor: aws, region: us-east-1}
  compute: {accelerator: cpu, instanceType: intel-spr, instanceSize: x2}
"""


def test_an_unset_secret_blocks_only_what_would_send_it(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path, recorder: Recorder
) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(SECRET_MANIFEST)
    validated = ok(cli("validate", str(path)))
    assert "1 manifest(s) valid" in validated.stdout

    # A create sends the value: refused with the file, line and variable, before anything is sent.
    refused = ok(cli("apply", str(path), "--yes"), 2)
    assert (
        "m.yaml:8: spec.model.secrets.API_KEY: environment variable MY_API_KEY is not set" in refused.stderr
    )
    assert "creating the endpoint" in refused.stderr
    assert sandbox.mutating_count() == 0
    ok(cli("plan", str(path)), 2)

    ok(cli("apply", str(path), "--yes", env={"MY_API_KEY": SECRET}))
    clock.advance(10)
    # Existing, same secret names: nothing to send, so nothing to refuse, in plan and apply alike.
    assert plan_json(cli, str(path), "--detailed-exitcode") == []
    ok(cli("apply", str(path), "--yes"))
    # --rotate-secrets sends the value, and so does a changed set of names.
    assert "updating its secrets" in ok(cli("plan", str(path), "--rotate-secrets"), 2).stderr
    path.write_text(
        SECRET_MANIFEST.replace('{API_KEY: "${MY_API_KEY}"}', '{API_KEY: "${MY_API_KEY}", B: "${B}"}')
    )
    assert "environment variable B is not set" in ok(cli("apply", str(path), "--yes"), 2).stderr
    assert [route for route, body in recorder.bodies if "secrets" in body.get("model", {})] == [CREATE]
    # A change that does not send them goes ahead without them.
    path.write_text(SECRET_MANIFEST.replace("x2}", "x4}"))
    recorder.bodies.clear()
    ok(cli("apply", str(path), "--yes"))
    (body,) = recorder.of(UPDATE)
    assert "secrets" not in body.get("model", {}) and body["compute"]["instanceSize"] == "x4"


# -- secrets this run knows, held where the API shows values: never in what export writes ----------------


def gpt2_elsewhere(foreign: HfApi, name: str, **extra: Any) -> None:
    """GPT-2 on a CPU, created with plain huggingface_hub: someone else's endpoint."""
    foreign.create_inference_endpoint(
        name,
        repository="openai-community/gpt2",
        framework="pytorch",
        task="text-generation",
        accelerator="cpu",
        vendor="aws",
        region="us-east-1",
        instance_size="x2",
        instance_type="intel-spr",
        type="authenticated",
        **extra,
    )


def test_an_env_value_holding_the_token_is_left_out_of_what_export_writes(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path, foreign: HfApi
) -> None:
    """The token in an endpoint's env (the API shows env values): not in the file, not masked in it either
    (an apply would send the mask), and the manifest still plans nothing."""
    gpt2_elsewhere(
        foreign,
        "token-in-env",
        env={"HF_TOKEN": TOKEN, "DB_URL": f"postgres://bot:{SECRET}@db/x", "BATCH": "8"},
    )
    clock.advance(10)
    out = tmp_path / "live"
    variables = {"ENDPOINTCTL_VARIABLES": f"DB_PASSWORD={SECRET}"}
    run = ok(cli("export", "token-in-env", "--dir", str(out), env=variables))
    text = (out / "token-in-env.yaml").read_text()
    assert TOKEN not in text and SECRET not in text and "***" not in text
    assert yaml.safe_load(text)["spec"]["model"]["env"] == {"BATCH": "8"}
    assert "model.env.HF_TOKEN holds a secret value" in run.stderr and "model.env.DB_URL" in run.stderr
    printed = ok(cli("export", "token-in-env", env=variables))
    assert printed.stdout == text
    assert plan_json(cli, str(out), "--adopt")[0]["fields"][0]["path"] == "tags"


def test_a_secret_anywhere_else_in_the_manifest_stops_the_export(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path, foreign: HfApi
) -> None:
    gpt2_elsewhere(
        foreign,
        "token-in-image",
        custom_image={"url": f"https://bot:{TOKEN}@registry.example.com/server:1", "port": 80},
    )
    clock.advance(10)
    out = tmp_path / "live"
    refused = ok(cli("export", "token-in-image", "--dir", str(out)), 1)
    assert "the manifest would hold a secret value this run knows" in refused.stderr
    assert not out.exists() and TOKEN not in refused.all
    assert ok(cli("export", "token-in-image"), 1).stdout == ""


def test_an_endpoint_holding_a_secret_endpointctl_sent_in_env_is_not_exported(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path
) -> None:
    """Sent by endpointctl (recorded), a value cannot be left out either: a plan would remove it."""
    path = tmp_path / "m.yaml"
    path.write_text(SECRET_MANIFEST.replace('secrets: {API_KEY: "${MY_API_KEY}"}', 'env: {KEY: "${MY_KEY}"}'))
    ok(cli("apply", str(path), "--yes", env={"MY_KEY": SECRET}))
    clock.advance(10)
    out = tmp_path / "live"
    variables = {"ENDPOINTCTL_VARIABLES": f"MY_KEY={SECRET}"}
    for args in (("--dir", str(out)), ()):
        refused = ok(cli("export", "with-secret", *args, env=variables), 1)
        assert (
            "model.env.KEY holds a secret value" in refused.stderr and "spec.model.secrets" in refused.stderr
        )
        assert SECRET not in refused.all and "***" not in refused.stdout
    assert not out.exists()
    # Without the value known to this run, it is exported as the API shows it (as any env value).
    assert yaml.safe_load(ok(cli("export", "with-secret")).stdout)["spec"]["model"]["env"] == {"KEY": SECRET}


# -- the pure part: any endpoint, exported, read back by the loader, plans nothing -----------------------

_ALNUM = string.ascii_letters + string.digits


def _word(inner: str) -> st.SearchStrategy[str]:
    """The words ``[A-Za-z0-9][A-Za-z0-9{inner}]{0,10}[A-Za-z0-9]`` matches, drawn a character at a time:
    ``from_regex`` draws the same words at about twice the cost."""
    end = st.sampled_from(_ALNUM)
    return st.builds("{}{}{}".format, end, st.text(_ALNUM + inner, max_size=10), end)


_KEY = _word("._/-")
_ENV_NAME = st.sampled_from(["MAX_BATCH", "DEBUG", "A"])
_VALUE = _word("._-")
# Anything the API could hold in a string: $, braces, quotes, YAML indicators, non-ASCII, newlines.
_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=20) | st.sampled_from(
    ["${X}", "$$", "1:30", "yes", "010", "null", "~", "- a", "#x", "a: b", '"q"', "${X:-y}"]
)
_OTHER_TAGS = st.lists(
    st.one_of(
        st.builds(lambda k, v: f"{k}={v}", _KEY, _VALUE),
        _TEXT.filter(lambda t: "=" not in t),
        st.builds(lambda k, v: f"{k}={v}", _TEXT, _TEXT),
        # Bookkeeping someone else wrote (copied from an endpoint we manage, say): on an endpoint being
        # adopted it names tags it has no say over.
        st.builds(lambda ks: f"{LABELS_KEY}={'+'.join(ks)}", st.lists(_KEY, max_size=3)),
        st.just(LABELS_KEY),
        # An env record someone else wrote: on an endpoint being adopted it names nothing of ours.
        st.builds(lambda ks: f"{ENV_KEY}={'+'.join(ks)}", st.lists(_ENV_NAME, max_size=3)),
    ),
    max_size=5,
)
_IMAGES = st.one_of(
    st.none(),
    st.just({"huggingface": {}}),
    st.builds(
        lambda url, port: {"vLLM": {"url": url, "port": port, "dropped": 1}}, _TEXT, st.integers(1, 65535)
    ),
    st.builds(
        lambda url: {"custom": {"url": url, "credentials": {"username": "bot", "password": "********"}}},
        _TEXT,
    ),
    st.just({"someFutureEngine": {"url": "x"}}),
)


# Each part's strategy built once, here: built inside ``endpoints``, each was built, validated and (the
# regular expressions) compiled again for every example, which took most of the test's time.
_LABELS = st.dictionaries(_KEY.filter(lambda k: k not in RESERVED_LABEL_KEYS), _VALUE, max_size=4)
_STATUSES = st.sampled_from(list(Status))
_LOW = st.none() | st.integers(0, 3) | st.just(MAX_REPLICAS)
_HIGH = st.none() | st.integers(0, 4) | st.sampled_from([MAX_REPLICAS, MAX_REPLICAS + 1])
_SECURITY = st.none() | st.sampled_from(list(Security))
_LINK = st.none() | st.builds(PrivateLink, st.just("123456789012"), st.none() | st.just("eu-west-1"))
_REVISION = st.none() | st.just("A" * 40) | st.just("main") | _TEXT
_TASK = st.none() | _TEXT
_FRAMEWORK = st.none() | st.sampled_from(["pytorch", "custom", "tensorflow"])
_ENV = st.none() | st.dictionaries(_TEXT | _ENV_NAME, _TEXT, max_size=4)
_SECRET_NAMES = st.none() | st.frozensets(_TEXT.filter(bool), max_size=3)
_REGION = st.sampled_from(["us-east-1", "eu-west-1", "$weird-region", "two words"])
_EDGES = st.sampled_from([0, 1, MAX_SCALE_TO_ZERO_MINUTES, MAX_SCALE_TO_ZERO_MINUTES + 1])
_SCALE_TO_ZERO = st.none() | st.integers(0, 20000) | _EDGES


@st.composite
def endpoints(draw: st.DrawFn) -> Endpoint:
    managed = draw(st.booleans())
    labels = draw(_LABELS)
    others = draw(_OTHER_TAGS)
    env = draw(_ENV)
    # What an earlier apply sent (the record): the env's own names, others since gone, or none.
    sent = draw(st.none() | st.lists(st.sampled_from(sorted(env or {}) or ["A"]) | _ENV_NAME, max_size=3))
    tags = (
        desired_tags(labels, others, None, sent_env=sent)
        if managed
        else (*others, *(f"{k}={v}" for k, v in labels.items()))
    )
    status = draw(_STATUSES)
    low = draw(_LOW)
    high = draw(_HIGH)
    security = draw(_SECURITY)
    link = draw(_LINK)
    return live(
        tags=tuple(tags),
        labels=labels_from_tags(list(tags)),
        status=status,
        state="" if status is not Status.UNKNOWN else "deleting",
        revision=draw(_REVISION),
        task=draw(_TASK),
        framework=draw(_FRAMEWORK),
        image=draw(_IMAGES),
        env=env,
        secret_names=draw(_SECRET_NAMES),
        region=draw(_REGION),
        min_replica=low,
        max_replica=high,
        scale_to_zero_timeout=draw(_SCALE_TO_ZERO),
        security=security,
        private_link=link,
        private_link_reported=link is not None,
    )


@pytest.fixture(scope="module")
def manifest_file(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    """The file each example's manifest is written to, over the last one's: the examples of the one test
    using it run one after another, and a directory made and removed for each took a tenth of its time."""
    return tmp_path_factory.mktemp("exported") / "m.yaml"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(endpoints())
def test_any_exported_endpoint_reads_back_and_plans_nothing(
    manifest_file: pathlib.Path, ep: Endpoint
) -> None:
    result = export(ep)
    if ep.region == "two words":
        # No manifest can hold it (a region is one word), so none is written that would not read back.
        assert isinstance(result, NotExportable) and "region of one word" in "; ".join(result.reasons)
        return
    assert isinstance(result, Exported)
    manifest_file.write_text(render(result.document, ["a comment"]), encoding="utf-8")
    (desired,) = load([manifest_file], environ={})
    spec = desired.spec
    paused = ep.status is Status.PAUSED
    assert diff_endpoint(desired, ep, compare_scaling=not paused) == ()
    assert lifecycle_change(desired, ep, spec.state)[1] == ()
    # The planner's own verdict (what `export` checks): no change, and a replace only for a failed state.
    differing, replaced = export_flow.verdict(desired, ep)
    assert differing == []
    assert (replaced is not None) <= (ep.status in (Status.FAILED, Status.UPDATE_FAILED))
    assert (replaced is not None) >= (ep.status is Status.FAILED)
    wanted = set(desired_tags(desired.manifest.metadata.labels, ep.tags, None))
    if ep.managed:
        assert wanted == set(ep.tags)
    else:
        # Adopting removes nothing but tags under our bookkeeping keys, which only we may write.
        assert wanted >= {t for t in ep.tags if t.partition("=")[0] not in (LABELS_KEY, STACK_KEY, ENV_KEY)}
        assert {t.partition("=")[0] for t in wanted - set(ep.tags)} <= {"managed-by", LABELS_KEY}
    # Unknown stays unknown: nothing the endpoint did not report is asserted.
    assert (spec.security is None) == (ep.security is None)
    assert (spec.model.env is None) == (not ep.env or all(CONTROL_RE.search(k) for k in ep.env))
    assert (spec.model.secrets is None) == (not ep.secret_names)
    assert spec.model.revision is None or ep.revision is not None
    if spec.model.secrets:
        # Placeholders only, all unset: known by name, never a value.
        assert set(spec.model.secrets.values()) == {""}
        assert {p[-1] for p in desired.unset_secrets if p[2] == "secrets"} == set(ep.secret_names or ())
    if paused:
        assert spec.scaling is None or (spec.scaling.min_replica, spec.scaling.max_replica) == (None, None)
    # What is known and a manifest can say comes back exactly, edges included: a dropped minReplica 0 or
    # scaleToZeroTimeout 1 would still plan nothing (absent is unmanaged), so only this catches it.
    scaling = spec.scaling
    timeout = ep.scale_to_zero_timeout
    wanted_timeout = timeout if timeout is not None and 1 <= timeout <= MAX_SCALE_TO_ZERO_MINUTES else None
    assert (scaling.scale_to_zero_timeout if scaling else None) == wanted_timeout
    low, high = ep.min_replica, ep.max_replica
    inverted = low is not None and high is not None and not 0 <= low <= high
    if not paused and not inverted:  # each bound on its own: one may be known without the other
        wanted_low = low if low is not None and 0 <= low <= MAX_REPLICAS else None
        wanted_high = high if high is not None and 1 <= high <= MAX_REPLICAS else None
        assert (scaling.min_replica if scaling else None) == wanted_low
        assert (scaling.max_replica if scaling else None) == wanted_high


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"vendor": None}, "provider"),
        ({"vendor": "oracle"}, "provider"),
        ({"region": None}, "provider"),
        ({"accelerator": None}, "compute"),
        ({"instance_size": None}, "compute"),
        ({"repository": None}, "model.repository"),
        ({"name": "Not_A_Name"}, "name"),
    ],
)
def test_an_endpoint_without_what_a_manifest_requires_is_not_exported(
    overrides: dict[str, Any], reason: str
) -> None:
    result = export(live(**overrides))
    assert isinstance(result, NotExportable) and reason in "; ".join(result.reasons)


@pytest.mark.parametrize(
    ("overrides", "absent"),
    [
        ({"security": None}, ("spec", "security")),
        ({"env": None}, ("spec", "model", "env")),
        ({"env": {}}, ("spec", "model", "env")),
        ({"secret_names": None}, ("spec", "model", "secrets")),
        ({"image": None}, ("spec", "model", "image")),
        ({"image": {"tgi": {"url": "x"}, "vLLM": {"url": "y"}}}, ("spec", "model", "image")),
        ({"revision": None}, ("spec", "model", "revision")),
        ({"task": None}, ("spec", "model", "task")),
        ({"framework": None}, ("spec", "model", "framework")),
        ({"min_replica": None, "max_replica": None, "scale_to_zero_timeout": None}, ("spec", "scaling")),
        ({"private_link": PrivateLink("123456789012", None)}, ("spec", "privateLink")),
        ({"status": Status.FAILED}, ("spec", "state")),
        ({"status": Status.UNKNOWN, "state": "deleting"}, ("spec", "state")),
    ],
)
def test_what_the_api_does_not_report_is_left_out(overrides: dict[str, Any], absent: tuple[str, ...]) -> None:
    result = export(live(**overrides))
    assert isinstance(result, Exported)
    node: Any = result.document
    for key in absent[:-1]:
        node = node[key]
    assert absent[-1] not in node


def test_a_public_endpoint_says_so_on_purpose() -> None:
    result = export(live(security=Security.PUBLIC))
    assert isinstance(result, Exported)
    assert result.document["spec"]["security"] == "public" and result.document["spec"]["allowPublic"] is True


def test_the_last_line_refuses_to_send_a_secret_nobody_gave() -> None:
    path_var: dict[tuple[str, ...], str] = {("spec", "model", "secrets", "API_KEY"): "API_KEY"}
    unset = replace(desired(), unset_secrets=path_var)
    with pytest.raises(EndpointctlError, match="API_KEY is not set; nothing was sent"):
        create_arguments(unset, ())
    with pytest.raises(EndpointctlError, match="API_KEY"):
        update_arguments(unset, ("model.secrets",))
    assert update_arguments(unset, ("compute.instanceSize",))["instance_size"] == "x2"
