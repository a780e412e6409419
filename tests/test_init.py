"""init: a first manifest for a model — its task from the Hub, the cheapest instance that fits it (or the
catalog's recipe), private and scaling to zero — that validates and plans against the sandbox."""

from __future__ import annotations

import json
import pathlib
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
import yaml
from clirunner import Cli, Run

from endpointctl.core.endpoint import Hardware
from endpointctl.core.errors import EndpointctlError
from endpointctl.core.model_facts import CatalogRecipe
from endpointctl.core.scaffold import endpoint_name
from endpointctl.core.sizing import accelerator_for, choose, needed_gb
from endpointctl.hub.responses import to_hardware
from endpointctl.sandbox import Request, Response, Sandbox
from endpointctl.sandbox import catalog as hardware_catalog
from endpointctl.sandbox.transport import Handler, json_response

ROOT = pathlib.Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "manifests").glob("*.yaml"))
ROWS = to_hardware(hardware_catalog.vendors_wire({}))
MODEL_INFO = "GET /api/models/{owner}/{model}"
CATALOG = "GET /api/v1/catalog/list"
HARDWARE = "GET /v2/provider/{namespace}"


def ok(run: Run, code: int = 0) -> Run:
    assert run.code == code, run.all
    return run


def instance(rows: list[Hardware] = ROWS, **kwargs: Any) -> tuple[str, str, str]:
    kwargs.setdefault("vendor", "aws")
    kwargs.setdefault("region", "us-east-1")
    kwargs.setdefault("task", "text-generation")
    kwargs.setdefault("parameters", None)
    hw = choose(rows, **kwargs).hardware
    return hw.accelerator, hw.instance_type, hw.instance_size


# -- sizing, table-tested ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("task", "parameters", "expected", "why"),
    [
        ("text-classification", 66_955_010, ("cpu", "intel-spr", "x1"), "small encoder: the cheapest CPU"),
        ("text-generation", 137_022_720, ("cpu", "intel-spr", "x1"), "gpt2 is small enough for a CPU"),
        (
            "automatic-speech-recognition",
            763_857_920,
            ("gpu", "nvidia-t4", "x1"),
            "1.8 GB on the cheapest GPU",
        ),
        ("text-generation", 7_248_023_552, ("gpu", "nvidia-l4", "x1"), "17.4 GB: not a 16 GB T4, the L4"),
        ("text2text-generation", 11_266_992_128, ("gpu", "nvidia-a100", "x1"), "27 GB: one A100 beats 4 T4"),
        ("text-classification", None, ("cpu", "intel-spr", "x1"), "unknown size, light task: a CPU"),
        ("text-generation", None, ("gpu", "nvidia-t4", "x1"), "unknown size, generative: a GPU"),
        (
            "feature-extraction",
            2_000_000_000,
            ("gpu", "nvidia-t4", "x1"),
            "over 1B: a GPU even for embeddings",
        ),
        ("text-classification", 900_000_000, ("cpu", "intel-spr", "x2"), "4.3 GB in fp32: x2's 8 GB"),
        ("text-generation", 70_000_000_000, ("gpu", "nvidia-a100", "x4"), "168 GB: four A100"),
    ],
)
def test_the_cheapest_available_instance_that_fits(
    task: str, parameters: int | None, expected: tuple[str, str, str], why: str
) -> None:
    assert instance(task=task, parameters=parameters) == expected, why


def test_rows_that_cannot_be_deployed_are_skipped() -> None:
    # intel-icl is cheaper than intel-spr x1 but deprecated; a T4 whose quota is used up is skipped.
    no_t4 = [replace(r, quota_used=r.quota_max) if r.instance_type == "nvidia-t4" else r for r in ROWS]
    assert instance(no_t4, parameters=None) == ("gpu", "nvidia-l4", "x1")
    # In gcp us-east4 the T4 rows are deprecated: the L4 is the cheapest that can be created.
    assert instance(vendor="gcp", region="us-east4", parameters=None) == ("gpu", "nvidia-l4", "x1")
    unpriced = [replace(r, price_per_hour=None) if r.instance_size == "x1" else r for r in ROWS]
    assert instance(unpriced, task="text-classification", parameters=1) == ("cpu", "intel-spr", "x2")


def test_nothing_that_fits_is_an_error_naming_what_was_needed() -> None:
    with pytest.raises(EndpointctlError, match=r"no gpu instance with at least 1680.0 GB of GPU memory"):
        instance(parameters=700_000_000_000)
    with pytest.raises(EndpointctlError, match="offers nothing in aws mars-1"):
        instance(region="mars-1")


def test_a_recipe_s_hardware_wins_where_it_is_offered_else_its_accelerator_is_sized() -> None:
    recipe = CatalogRecipe("r1", "gpu", "vllm", instance_type="nvidia-a10g", instance_size="x1")
    chosen = choose(
        ROWS, vendor="aws", region="us-east-1", task="text-generation", parameters=1, recipe=recipe
    )
    assert (chosen.hardware.instance_type, chosen.recipe) == ("nvidia-a10g", recipe)
    assert "recipe r1" in chosen.reason
    # us-east-2 offers no A10G: the recipe's accelerator, sized like any other model.
    elsewhere = choose(
        ROWS, vendor="aws", region="us-east-2", task="text-generation", parameters=1, recipe=recipe
    )
    assert (elsewhere.hardware.instance_type, elsewhere.recipe) == ("nvidia-t4", None)
    assert "names hardware not offered here" in elsewhere.reason
    bare = CatalogRecipe("r2", "cpu", "llamacpp")  # what huggingface_hub documents: no hardware in it
    assert choose(
        ROWS, vendor="aws", region="us-east-1", task="text-generation", parameters=None, recipe=bare
    )


@pytest.mark.parametrize(
    ("task", "parameters", "accelerator", "gb"),
    [
        ("text-generation", 400_000_000, "cpu", 1.92),
        ("text-generation", 400_000_001, "gpu", 0.96),
        ("fill-mask", 1_000_000_000, "cpu", 4.8),
        ("fill-mask", None, "cpu", None),
    ],
)
def test_where_cpu_ends(task: str, parameters: int | None, accelerator: str, gb: float | None) -> None:
    assert accelerator_for(task, parameters) == accelerator
    need = needed_gb(parameters, accelerator)
    assert need == (None if gb is None else pytest.approx(gb))


@pytest.mark.parametrize(
    ("repository", "name"),
    [
        ("openai-community/gpt2", "gpt2"),
        ("meta-llama/Llama-3.2-1B-Instruct", "llama-3-2-1b-instruct"),
        ("x/" + "A" * 40, "a" * 32),
        ("x/__", "endpoint"),
    ],
)
def test_names_from_repositories(repository: str, name: str) -> None:
    assert endpoint_name(repository) == name


# -- the command, against the sandbox --------------------------------------------------------------------


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_a_manifest_for_every_example_s_model_validates_plans_and_applies(
    cli: Cli, sandbox: Sandbox, clock: Any, tmp_path: pathlib.Path, example: pathlib.Path
) -> None:
    original = yaml.safe_load(example.read_text())
    repository = original["spec"]["model"]["repository"]
    path = tmp_path / "m.yaml"
    sandbox.reset_counts()
    ok(cli("init", repository, "-f", str(path)))
    counts = sandbox.counts()
    assert counts == {MODEL_INFO: 1, CATALOG: 1, HARDWARE: 1, "GET /api/whoami-v2": 1}
    doc = yaml.safe_load(path.read_text())
    assert doc["spec"]["model"] == {"repository": repository, "task": original["spec"]["model"]["task"]}
    assert doc["spec"]["security"] == "private"
    assert doc["spec"]["scaling"] == {"minReplica": 0, "maxReplica": 1, "scaleToZeroTimeout": 15}
    assert doc["spec"]["compute"]["accelerator"] == original["spec"]["compute"]["accelerator"]
    ok(cli("validate", str(path)))
    (change,) = json.loads(ok(cli("plan", str(path), "-o", "json")).stdout)
    assert change["action"] == "create"  # not blocked: offered, deployable, within quota
    ok(cli("apply", str(path), "--yes"))
    clock.advance(10)
    assert json.loads(ok(cli("plan", str(path), "--detailed-exitcode", "-o", "json")).stdout) == []


def test_printed_by_default_with_what_was_chosen_and_why_in_comments(cli: Cli, sandbox: Sandbox) -> None:
    run = ok(cli("init", "openai/whisper-medium", "--name", "whisper-medium"))
    assert sandbox.mutating_count() == 0
    assert (
        "# Instance: nvidia-t4 x1 ($0.5/h a replica), chosen as\n"
        "# the cheapest gpu instance available in aws us-east-1" in run.stdout
    )
    assert "0.76B parameters" in run.stdout and "pipeline_tag on the Hub" in run.stdout
    doc = yaml.safe_load(run.stdout)
    assert doc["metadata"] == {"name": "whisper-medium"}
    as_json = json.loads(ok(cli("init", "openai/whisper-medium", "-o", "json")).stdout)
    assert as_json == [{**doc, "metadata": {"name": "whisper-medium"}}]


def test_a_catalog_model_gets_its_recipe_hardware_and_engine(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    run = ok(cli("init", "meta-llama/Llama-3.2-1B-Instruct", "--dir", str(tmp_path)))
    path = tmp_path / "llama-3-2-1b-instruct.yaml"
    assert str(path) in run.stdout
    text = path.read_text()
    doc = yaml.safe_load(text)
    assert doc["spec"]["compute"] == {"accelerator": "gpu", "instanceType": "nvidia-l4", "instanceSize": "x1"}
    assert doc["spec"]["model"]["image"] == {"vLLM": {"url": "vllm/vllm-openai:v0.23.0", "port": 8000}}
    assert "the Inference Catalog's recipe sizzling-biryani-g4xsi1ac (vllm on gpu)" in text
    ok(cli("plan", str(path)))
    # Elsewhere the recipe's L4 is not offered: its accelerator is kept, and sized.
    east2 = yaml.safe_load(
        ok(cli("init", "meta-llama/Llama-3.2-1B-Instruct", "--region", "us-east-2")).stdout
    )
    assert east2["spec"]["compute"] == {
        "accelerator": "gpu",
        "instanceType": "nvidia-t4",
        "instanceSize": "x1",
    }
    assert "image" not in east2["spec"]["model"]


def test_a_misspelt_task_is_refused_before_any_call(cli: Cli, sandbox: Sandbox) -> None:
    """A manifest init writes is one validate takes: a typo of a known task is refused here, as there."""
    refused = ok(cli("init", "someone/unknown-model", "--task", "text-clasification"), 2)
    assert "(did you mean 'text-classification'?)" in refused.stderr and refused.stdout == ""
    assert sandbox.counts() == {}
    assert yaml.safe_load(ok(cli("init", "someone/unknown-model", "--task", "my-own-task")).stdout)
    # A task newer than endpointctl's list, a typo away from one it holds, is taken when named so.
    assert "ENDPOINTCTL_TASKS" in ok(cli("init", "someone/unknown-model", "--task", "text-to-4d"), 2).stderr
    newer = ok(
        cli("init", "someone/unknown-model", "--task", "text-to-4d", env={"ENDPOINTCTL_TASKS": "text-to-4d"})
    )
    assert yaml.safe_load(newer.stdout)["spec"]["model"]["task"] == "text-to-4d"


def test_the_task_comes_from_the_flag_the_hub_or_the_catalog_else_it_is_asked_for(
    cli: Cli, sandbox: Sandbox
) -> None:
    unknown = ok(cli("init", "someone/unknown-model"), 2)
    assert "the Hub names no task for someone/unknown-model" in unknown.stderr and "--task" in unknown.stderr
    given = yaml.safe_load(ok(cli("init", "someone/unknown-model", "--task", "fill-mask")).stdout)
    assert given["spec"]["model"]["task"] == "fill-mask"
    assert given["spec"]["compute"]["accelerator"] == "cpu"  # no size, light task
    sized_unknown = yaml.safe_load(ok(cli("init", "sandbox/tiny-classifier")).stdout)
    assert sized_unknown["spec"]["compute"] == {
        "accelerator": "cpu",
        "instanceType": "intel-spr",
        "instanceSize": "x1",
    }


@pytest.mark.parametrize(
    ("repository", "code", "message"),
    [
        # The Hub's answer about a well-formed id: exit 1, as every other not-found (status, invoke, logs).
        ("sandbox/no-such-model", 1, "cannot be read on the Hub: the repository does not exist"),
        ("sandbox/gated-model", 1, "cannot be read on the Hub: the repository is gated"),
        # An id that is not one, refused before anything is sent: usage, exit 2.
        ("not-a-repo", 2, "not a model repository id"),
        ("sandbox/bad..name", 2, "cannot be read on the Hub: the Hub does not accept it"),
    ],
    ids=["not-found", "gated", "no-owner", "malformed"],
)
def test_a_model_the_hub_cannot_find_is_exit_1_and_a_malformed_id_exit_2(
    cli: Cli, sandbox: Sandbox, repository: str, code: int, message: str
) -> None:
    assert message in ok(cli("init", repository), code).stderr
    assert sandbox.mutating_count() == 0


def test_files_are_never_overwritten_without_force(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    path = tmp_path / "gpt2.yaml"
    path.write_text("# mine\n")
    refused = ok(cli("init", "openai-community/gpt2", "-f", str(path)), 2)
    assert "refusing to overwrite" in refused.stderr and path.read_text() == "# mine\n"
    ok(cli("init", "openai-community/gpt2", "-f", str(path), "--force"))
    assert yaml.safe_load(path.read_text())["metadata"]["name"] == "gpt2"
    assert (
        "not both"
        in ok(cli("init", "openai-community/gpt2", "-f", str(path), "--dir", str(tmp_path)), 2).stderr
    )
    assert "--name" in ok(cli("init", "openai-community/gpt2", "--name", "Bad_Name"), 2).stderr


def _catalog_with_an_error_beside(request: Request, handler: Handler) -> Response:
    """The catalog's own answer, the recipe in it, with an ``error`` beside: a partial answer."""
    response = handler(request)
    if request.route == CATALOG and response.status == 200:
        response.body = json.dumps({**json.loads(response.body), "error": "partial results"}).encode()
    return response


@pytest.mark.parametrize(
    ("unreadable", "says"),
    [
        (lambda request, handler: json_response({"error": "Not found"}, status=404), "Not found"),
        (_catalog_with_an_error_beside, "an error beside it: 'partial results'"),
    ],
    ids=["404", "200 with an error beside"],
)
def test_without_a_readable_catalog_the_model_is_sized_and_the_output_says_so(
    cli: Cli, sandbox: Sandbox, unreadable: Callable[[Request, Handler], Response], says: str
) -> None:
    def no_catalog(request: Request, handler: Handler) -> Response:
        if request.route == CATALOG:
            return unreadable(request, handler)
        return handler(request)

    sandbox.add_middleware(no_catalog)
    run = ok(cli("init", "meta-llama/Llama-3.2-1B-Instruct"))
    assert "the Inference Catalog could not be read, so no recipe was used" in run.stderr
    assert says in run.stderr
    doc = yaml.safe_load(run.stdout)
    assert doc["spec"]["compute"]["instanceType"] == "nvidia-t4" and "image" not in doc["spec"]["model"]


def test_namespace_is_written_when_given_and_its_quota_is_the_one_checked(cli: Cli, sandbox: Sandbox) -> None:
    sandbox.reset_counts()
    doc = yaml.safe_load(ok(cli("init", "openai-community/gpt2", "--namespace", "acme")).stdout)
    assert doc["metadata"] == {"name": "gpt2", "namespace": "acme"}
    assert "GET /api/whoami-v2" not in sandbox.counts()


def test_a_region_or_vendor_in_other_case_finds_the_same_hardware() -> None:
    """As everywhere hardware names are compared (core/endpoint.same_name): case aside."""
    assert instance(vendor="AWS", region="US-East-1") == instance()


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--vendor", "amazon"), "not one of aws, azure, gcp"),
        (("--region", ""), "--region is empty"),
        (("--name", ""), "cannot be empty"),
        (("-f", "/nonexistent/dir/x.yaml"), "does not exist"),
    ],
)
def test_what_can_be_told_wrong_offline_is_refused_before_any_call(
    cli: Cli, sandbox: Sandbox, args: tuple[str, ...], says: str
) -> None:
    """Review: these were found only after four reads of the Hub, or (an empty --name) not at all."""
    sandbox.reset_counts()
    run = ok(cli("init", "openai-community/gpt2", *args), 2)
    assert says in run.stderr
    assert sandbox.counts() == {}


def test_an_existing_file_is_refused_before_any_call(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    path = tmp_path / "gpt2.yaml"
    path.write_text("# mine\n")
    sandbox.reset_counts()
    assert "refusing to overwrite" in ok(cli("init", "openai-community/gpt2", "-f", str(path)), 2).stderr
    assert sandbox.counts() == {} and path.read_text() == "# mine\n"
