"""Review of export and init: what a hostile or unlucky answer, file system or environment does to them.

- An exported secret's placeholder is never a variable the environment already holds (``HF_TOKEN``, the
  token endpointctl runs with; ``PATH``): set, it would be sent as the secret instead of being refused.
- ``--dir`` is written all or none: ``--force`` never replaces a directory, a directory that cannot be
  made is a usage error, and a write that fails leaves no file (and no temporary file) behind.
- ``init`` reads the Hub and the catalog as untrusted: an absurd size is unknown, a task or revision a
  manifest cannot hold is unknown, a registry password is a placeholder, ``$`` in hardware stays ``$``.
- The sandbox's catalog listing answers any ``limit`` without a 500.
"""

from __future__ import annotations

import os
import pathlib
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import httpx2 as httpx
import pytest
import yaml
from builders import live
from clirunner import Cli, Run
from conftest import TOKEN
from huggingface_hub import HfApi, constants
from hypothesis import given
from hypothesis import strategies as st
from rewritten_answers import each_endpoint, rewrite
from test_export_round_trip import gpt2_elsewhere

from endpointctl.core.export import Exported, ManifestText, export
from endpointctl.core.model_facts import CatalogRecipe
from endpointctl.core.scaffold import scaffold
from endpointctl.core.sizing import Choice
from endpointctl.engine.flows import export as export_flow
from endpointctl.hub.responses import to_hardware
from endpointctl.manifest import load
from endpointctl.manifest.writer import render
from endpointctl.sandbox import ManualClock, Sandbox
from endpointctl.sandbox import catalog as hardware_catalog
from endpointctl.ui.escapes import inert

pytestmark = pytest.mark.filterwarnings("ignore:.*is experimental:UserWarning")

ROOT = pathlib.Path(__file__).resolve().parent.parent
MODEL_INFO = "GET /api/models/{owner}/{model}"
CATALOG = "GET /api/v1/catalog/list"
LLAMA = "meta-llama/Llama-3.2-1B-Instruct"
SECRET = "s3cr3t-value-never-shown-42"
PASSWORD = "registry-pw-never-shown-9876"


def ok(run: Run, code: int = 0) -> Run:
    assert run.code == code, run.all
    return run


@pytest.fixture
def foreign(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Iterator[HfApi]:
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_TELEMETRY", True)
    monkeypatch.setattr(constants, "INFERENCE_ENDPOINTS_ENDPOINT", sandbox.url + "/v2")
    yield HfApi(endpoint=sandbox.url, token=TOKEN)


# -- secrets: a placeholder the environment already sets is no placeholder ------------------------------


def test_a_secret_named_like_a_variable_the_environment_uses_gets_a_placeholder_of_its_own() -> None:
    result = export(live(secret_names=frozenset({"HF_TOKEN", "PATH", "API_KEY", "SECRET_HF_TOKEN"})))
    assert isinstance(result, Exported)
    assert result.document["spec"]["model"]["secrets"] == {
        "API_KEY": "${API_KEY}",
        "HF_TOKEN": "${SECRET_HF_TOKEN}",
        "PATH": "${SECRET_PATH}",
        "SECRET_HF_TOKEN": "${SECRET_HF_TOKEN_}",
    }
    assert any("'HF_TOKEN' stands as ${SECRET_HF_TOKEN}" in note for note in result.notes)


def test_rotating_an_exported_hf_token_secret_never_sends_the_token_endpointctl_runs_with(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path, foreign: HfApi
) -> None:
    gpt2_elsewhere(foreign, "with-token", secrets={"HF_TOKEN": SECRET}, tags=["managed-by=endpointctl"])
    clock.advance(10)
    out = tmp_path / "live"
    run = ok(cli("export", "with-token", "--dir", str(out)))
    assert "SECRET_HF_TOKEN" in run.stdout and SECRET not in run.all
    # HF_TOKEN is set (it is the CLI's token): the secret's own variable is not, so rotating is refused.
    refused = ok(cli("plan", str(out), "--rotate-secrets"), 2)
    assert "environment variable SECRET_HF_TOKEN is not set" in refused.stderr
    assert TOKEN not in refused.all


# -- files: all or none --------------------------------------------------------------------------------


def test_force_never_replaces_a_directory_and_nothing_is_written(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    manifests = [str(ROOT / "manifests" / name) for name in ("gpt2.yaml", "sentiment.yaml")]
    ok(cli("apply", *manifests, "--yes"))
    out = tmp_path / "live"
    (out / "sentiment-en.yaml").mkdir(parents=True)
    refused = ok(cli("export", "--dir", str(out), "--force"), 2)
    assert "not a regular file" in refused.stderr and "unexpected" not in refused.stderr
    assert sorted(p.name for p in out.iterdir()) == ["sentiment-en.yaml"]  # gpt2-demo not written either


def test_a_dir_that_cannot_be_made_is_a_usage_error(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    ok(cli("apply", str(ROOT / "manifests" / "gpt2.yaml"), "--yes"))
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    refused = ok(cli("export", "--dir", str(blocker / "live")), 2)
    assert f"cannot create the directory {blocker / 'live'}" in refused.stderr
    assert "unexpected" not in refused.stderr
    run = ok(cli("init", "openai-community/gpt2", "-f", str(blocker / "gpt2.yaml")), 2)
    assert "unexpected" not in run.stderr


def _text(name: str) -> ManifestText:
    return ManifestText("acme", name, f"# {name}\n", {})


def test_a_write_that_fails_part_way_leaves_no_file_and_no_temporary_file(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = tempfile.mkstemp
    calls: list[str] = []

    def full_disk(*args: Any, **kwargs: Any) -> tuple[int, str]:
        calls.append(str(kwargs.get("prefix")))
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real(*args, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", full_disk)
    with pytest.raises(export_flow.EndpointctlError, match="No space left on device") as caught:
        export_flow.write([_text("a"), _text("b")], tmp_path, force=False)
    assert caught.value.hint == "nothing was written"
    assert os.listdir(tmp_path) == []


# -- init: what the Hub and the catalog say is untrusted ----------------------------------------------


@pytest.mark.parametrize("total", [10**400, 10**16, -5, 0, "12", 1.5e9, True])
def test_a_size_no_model_has_is_an_unknown_size(cli: Cli, sandbox: Sandbox, total: Any) -> None:
    rewrite(sandbox, MODEL_INFO, lambda body: body.update(safetensors={"parameters": {}, "total": total}))
    run = ok(cli("init", "openai-community/gpt2"))
    assert "of unknown size" in run.stdout


@pytest.mark.parametrize("tag", ["text-generation\x1b[31m", "text\nclassification", "\x00"])
def test_a_pipeline_tag_a_manifest_cannot_hold_is_no_task(cli: Cli, sandbox: Sandbox, tag: str) -> None:
    rewrite(sandbox, MODEL_INFO, lambda body: body.update(pipeline_tag=tag))
    run = ok(cli("init", "openai-community/gpt2"), 2)
    assert "the Hub names no task" in run.stderr and "bug" not in run.all
    doc = yaml.safe_load(ok(cli("init", "openai-community/gpt2", "--task", "text-generation")).stdout)
    assert doc["spec"]["model"]["task"] == "text-generation"


def _recipe(change: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    def apply(body: dict[str, Any]) -> None:
        for item in body["items"]:
            for recipe in item["recipes"]:
                recipe.update(change)

    return apply


def test_a_recipe_revision_a_manifest_cannot_hold_is_left_out(cli: Cli, sandbox: Sandbox) -> None:
    rewrite(sandbox, CATALOG, _recipe({"revision": "main\x1b]0;x"}))
    doc = yaml.safe_load(ok(cli("init", LLAMA)).stdout)
    assert "revision" not in doc["spec"]["model"]
    assert doc["spec"]["compute"]["instanceType"] == "nvidia-l4"  # the recipe is still used


def test_a_recipe_registry_password_is_a_placeholder_never_its_value(cli: Cli, sandbox: Sandbox) -> None:
    image = {"custom": {"url": "ghcr.io/x/y:1", "credentials": {"username": "bot", "password": PASSWORD}}}
    rewrite(sandbox, CATALOG, _recipe({"image": image}))
    run = ok(cli("init", LLAMA))
    assert PASSWORD not in run.all
    credentials = yaml.safe_load(run.stdout)["spec"]["model"]["image"]["custom"]["credentials"]
    assert credentials == {"username": "bot", "password": "${REGISTRY_PASSWORD}"}


def test_a_dollar_in_the_hardware_catalog_is_written_as_a_dollar(tmp_path: pathlib.Path) -> None:
    (row,) = [
        r
        for r in to_hardware(hardware_catalog.vendors_wire({}))
        if (r.vendor, r.region, r.instance_type, r.instance_size) == ("aws", "us-east-1", "intel-spr", "x1")
    ]
    odd = replace(row, instance_type="intel-${X}", instance_size="$$x1")
    recipe = CatalogRecipe("r", "cpu", "tei")
    made = scaffold(
        "a/b", name="ab", namespace=None, task="fill-mask", task_source="t", choice=Choice(odd, "why", recipe)
    )
    path = tmp_path / "m.yaml"
    path.write_text(render(made.document, made.comments))
    (loaded,) = load([path], environ={"X": "nope"})
    assert (loaded.spec.compute.instance_type, loaded.spec.compute.instance_size) == ("intel-${X}", "$$x1")


# -- the sandbox's catalog ------------------------------------------------------------------------------


@pytest.mark.parametrize("limit", ["\u00b2", "\u0663", "-1", "x", ""])
def test_the_catalog_listing_answers_any_limit_without_a_500(sandbox: Sandbox, limit: str) -> None:
    answer = httpx.get(f"{sandbox.url}/api/v1/catalog/list", params={"limit": limit}, timeout=10)
    assert answer.status_code == 200, answer.text
    assert len(answer.json()["items"]) == 3


def test_one_manifest_s_unset_secret_for_a_create_stops_every_endpoint_before_any_change(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    (tmp_path / "gpt2.yaml").write_text((ROOT / "manifests" / "gpt2.yaml").read_text())
    (tmp_path / "with-secret.yaml").write_text(
        (ROOT / "manifests" / "sentiment.yaml")
        .read_text()
        .replace("sentiment-en", "with-secret")
        .replace("  provider:", '    secrets: {API_KEY: "${UNSET_API_KEY}"}\n  provider:', 1)
    )
    refused = ok(cli("apply", str(tmp_path), "--yes"), 2)
    assert "UNSET_API_KEY is not set" in refused.stderr
    assert sandbox.mutating_count() == 0  # not even gpt2-demo, which needs no secret


# Every character YAML reads as a line break (PyYAML's reader: \n, \r, NEL, U+2028, U+2029), beside
# others that change what is seen; a comment holding them could end and go on as YAML of its own.
BREAKS = "\n\r\x85\u2028\u2029\x0b\x0c\x1c\x1d\x1e"
COMMENT_TEXT = st.one_of(
    st.text(st.sampled_from(list(BREAKS + "\u202e\u2066\u00ad\u2060\U000e0041 ab:-{}#")), max_size=30),
    st.text(max_size=30),
)


@given(comments=st.lists(COMMENT_TEXT, max_size=4))
def test_a_comment_stays_a_comment_whatever_it_holds(comments: list[str]) -> None:
    """Export writes notes naming what the API gave (an env key, a task): any of them, written as a
    comment, reads back as nothing but comment lines above the same one document."""
    document = {"apiVersion": "endpointctl/v1", "kind": "InferenceEndpoint", "metadata": {"name": "a"}}
    text = render(document, comments)
    head = text.split("apiVersion:", 1)[0]
    assert head.count("\n") == len(comments)  # one line each
    assert all(line.startswith("#") for line in head.splitlines())
    assert list(yaml.safe_load_all(text)) == [document]
    assert not any(c in head.replace("\n", "") for c in BREAKS)


def test_an_env_key_holding_a_line_separator_cannot_add_a_manifest_to_an_export(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    # The reviewer's repro: a key whose U+2028s, written raw in the "holds a secret" note, would have
    # made the rest of the note a second manifest (a public endpoint) that validate and plan then read.
    key = (
        "X\u2028---\u2028apiVersion: endpointctl/v1\u2028kind: InferenceEndpoint\u2028metadata: {name: evil}"
    )
    ok(cli("apply", str(ROOT / "manifests" / "gpt2.yaml"), "--yes"))

    @each_endpoint
    def poisoned(endpoint: dict[str, Any]) -> None:
        endpoint["model"]["env"][key] = TOKEN

    rewrite(sandbox, "GET /v2/endpoint/{namespace}/{name}", poisoned)
    rewrite(sandbox, "GET /v2/endpoint/{namespace}", poisoned)
    out = tmp_path / "out"
    ok(cli("export", "gpt2-demo", "--dir", str(out)))
    assert list(out.glob("*.yaml"))
    for written in out.glob("*.yaml"):
        documents = list(yaml.safe_load_all(written.read_text(encoding="utf-8")))
        assert [d["metadata"]["name"] for d in documents] == ["gpt2-demo"]
        assert "\u2028" not in written.read_text(encoding="utf-8").split("apiVersion:", 1)[0]


def test_a_value_holding_tag_characters_is_written_as_escapes_that_read_back() -> None:
    # Left raw and unquoted, the output sink showed them as "\U000e0069" text in a plain scalar: a
    # manifest printed by `export` that planned an update of the env.
    document = {"spec": {"model": {"env": {"MODE": "safe\U000e0069\U000e0067"}}}}
    text = render(document)
    assert "\U000e0069" not in text and yaml.safe_load(text) == document


@given(
    st.text(st.sampled_from(list(":#[ ab\n")), max_size=30).map(
        lambda s: s if "::" in s or "##[" in s else "::" + s
    )
)
def test_a_manifest_shown_in_a_github_actions_log_reads_back_as_the_same_data(value: str) -> None:
    # export to stdout under GITHUB_ACTIONS: each line is made inert, which turned a plain or single-quoted
    # "::x" into the text "\x3a:x" (a manifest that planned an update; review). Double-quoted, the escape
    # is YAML's own: the same data.
    document = {"spec": {"model": {"env": {"MODE": value, "::key": value}}}}
    text = render(document, ["exported"])
    shown = "\n".join(inert(line) for line in text.split("\n"))
    assert yaml.safe_load(shown) == document
    assert all(not line.lstrip().startswith("::") and "##[" not in line for line in shown.split("\n"))
