"""Issue 9: manifest errors a machine can read. With ``-o json`` (or yaml), validate, plan and apply print
every manifest problem on stdout as ``[{file, line, path, message}]`` and exit 2, so CI can annotate a pull
request; the hardware preflight's "does not exist" problems come out the same way. Table mode keeps the
human text on stderr, and stderr carries it in every mode.
"""

from __future__ import annotations

import json
import pathlib
from dataclasses import dataclass

import pytest
import yaml
from clirunner import Cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from endpointctl.sandbox import ManualClock, Sandbox

KEYS = {"file", "line", "path", "message"}


def offline_cli(tmp_path: pathlib.Path) -> Cli:
    # No API URL, no token, no sandbox: anything that tried to call out would fail loudly.
    return Cli(environ={"ENDPOINTCTL_STATE_DIR": str(tmp_path)}, clock=ManualClock(start=0.0))


GOOD = """\
apiVersion: endpointctl/v1
kind: InferenceEndpoint
metadata:
  name: good
spec:
  model: {repository: openai-community/gpt2, task: text-generation}
  provider: {vendor: aws, region: us-east-1}
  compute: {accelerator: cpu, instanceType: intel-spr, instanceSize: x2}
"""

BAD = """\
apiVersion: endpointctl/v1
kind: InferenceEndpoint
metadata:
  name: bad
spec:
  model: {repository: openai-community/gpt2, task: text-generation}
  provider: {vendor: awz, region: us-east-1}
  compute: {accelerator: cpu, instanceType: intel-spr, instanceSize: x2}
  scaling: {minReplica: "1", maxReplica: 2}
---
apiVersion: endpointctl/v1
kind: InferenceEndpoint
metadata: {name: Bad_Name}
spec:
  model: {repository: openai-community/gpt2}
  provider: {vendor: aws, region: us-east-1}
  compute: {accelerator: cpu, instanceType: intel-spr, instanceSize: x2}
"""


def test_validate_prints_the_problems_as_a_json_list(tmp_path: pathlib.Path) -> None:
    (tmp_path / "bad.yaml").write_text(BAD)
    (tmp_path / "good.yaml").write_text(GOOD)
    run = offline_cli(tmp_path)("validate", str(tmp_path), "-o", "json")
    assert run.code == 2, run.all
    issues = json.loads(run.stdout)
    assert all(set(issue) == KEYS for issue in issues)  # exactly these keys: CI depends on them
    bad = str(tmp_path / "bad.yaml")
    assert [(i["file"], i["line"], i["path"]) for i in issues] == [
        (bad, 7, "spec.provider.vendor"),
        (bad, 9, "spec.scaling.minReplica"),
        (bad, 13, "metadata.name"),
    ]
    assert "(did you mean 'aws'?)" in issues[0]["message"]
    # People still read it on stderr, as in table mode.
    assert "error: 3 problems in the manifests" in run.stderr
    assert f"{bad}:7: spec.provider.vendor:" in run.stderr


def test_table_mode_keeps_the_human_text_on_stderr_only(tmp_path: pathlib.Path) -> None:
    (tmp_path / "bad.yaml").write_text(BAD)
    run = offline_cli(tmp_path)("validate", str(tmp_path))
    assert run.code == 2
    assert run.stdout == ""
    assert f"{tmp_path / 'bad.yaml'}:9: spec.scaling.minReplica:" in run.stderr


def test_yaml_output_carries_the_same_records(tmp_path: pathlib.Path) -> None:
    (tmp_path / "bad.yaml").write_text(BAD)
    cli = offline_cli(tmp_path)
    as_json = json.loads(cli("validate", str(tmp_path), "-o", "json").stdout)
    as_yaml = yaml.safe_load(cli("validate", str(tmp_path), "-o", "yaml").stdout)
    assert as_yaml == as_json


def test_a_problem_of_the_file_itself_has_no_line_and_an_empty_path(tmp_path: pathlib.Path) -> None:
    (tmp_path / "empty.yaml").write_text("# nothing here\n")
    (tmp_path / "broken.yaml").write_text(GOOD + "  scaling: {minReplica: 1\n")
    run = offline_cli(tmp_path)("validate", str(tmp_path), "-o", "json")
    assert run.code == 2
    by_file = {pathlib.Path(i["file"]).name: i for i in json.loads(run.stdout)}
    assert by_file["empty.yaml"]["line"] is None and by_file["empty.yaml"]["path"] == ""
    assert isinstance(by_file["broken.yaml"]["line"], int)


@pytest.mark.parametrize("command", [("plan",), ("apply", "--yes"), ("apply", "--yes", "--dry-run")])
def test_plan_and_apply_print_the_same_list_before_any_api_call(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path, command: tuple[str, ...]
) -> None:
    (tmp_path / "bad.yaml").write_text(BAD)
    validated = offline_cli(tmp_path)("validate", str(tmp_path), "-o", "json")
    sandbox.reset_counts()
    run = cli(command[0], str(tmp_path), *command[1:], "-o", "json")
    assert run.code == 2, run.all
    assert json.loads(run.stdout) == json.loads(validated.stdout)
    assert sandbox.counts() == {}


# -- line numbers, wherever the bad value sits -----------------------------------------------------------


@dataclass(frozen=True)
class Bad:
    block: str  # which block of the document it replaces a line of
    old: str
    new: str
    path: str


BADS = [
    Bad("scaling", "    minReplica: 1", '    minReplica: "1"', "spec.scaling.minReplica"),
    Bad("scaling", "    maxReplica: 2", "    maxReplica: lots", "spec.scaling.maxReplica"),
    Bad("compute", "    instanceSize: x2", "    instanceSize: 2", "spec.compute.instanceSize"),
    Bad("provider", "    vendor: aws", "    vendor: awz", "spec.provider.vendor"),
    Bad("tail", "  security: private", "  security: open", "spec.security"),
    Bad("tail", "  state: running", "  state: asleep", "spec.state"),
    Bad("metadata", "  name: demo", "  name: Bad_Name", "metadata.name"),
    Bad(
        "model",
        "    repository: openai-community/gpt2",
        "    repository: not a repo",
        "spec.model.repository",
    ),
]

BLOCKS = {
    "model": ["  model:", "    repository: openai-community/gpt2", "    task: text-generation"],
    "provider": ["  provider:", "    vendor: aws", "    region: us-east-1"],
    "compute": ["  compute:", "    accelerator: cpu", "    instanceType: intel-spr", "    instanceSize: x2"],
    "scaling": ["  scaling:", "    minReplica: 1", "    maxReplica: 2"],
    "tail": ["  security: private", "  state: running"],
}
FILLER = st.lists(st.sampled_from(["", "# a comment", "  # an indented comment"]), max_size=3)


@st.composite
def documents(draw: st.DrawFn, bads: list[Bad] = BADS) -> tuple[str, int, str]:
    """A manifest with one bad value, its blocks in any order and comments anywhere: (text, line, path)."""
    bad = draw(st.sampled_from(bads))
    order = draw(st.permutations(list(BLOCKS)))
    lines: list[str] = [*draw(FILLER), "apiVersion: endpointctl/v1", "kind: InferenceEndpoint"]
    metadata = ["metadata:", "  name: demo"]
    spec = ["spec:"]
    for block in order:
        spec += [line for line in draw(FILLER) if line.startswith("  ") or not line] + BLOCKS[block]
    top = [metadata, spec] if draw(st.booleans()) else [spec, metadata]
    for part in top:
        lines += [*draw(FILLER), *part]
    index = lines.index(bad.old)
    lines[index] = bad.new
    return "\n".join(lines) + "\n", index + 1, bad.path


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(doc=documents())
def test_the_reported_line_is_the_bad_keys_line(tmp_path: pathlib.Path, doc: tuple[str, int, str]) -> None:
    text, line, path = doc
    file = tmp_path / "m.yaml"
    file.write_text(text)
    run = offline_cli(tmp_path)("validate", str(file), "-o", "json")
    assert run.code == 2, run.all
    assert json.loads(run.stdout) == [
        {"file": str(file), "line": line, "path": path, "message": json.loads(run.stdout)[0]["message"]}
    ], text


PREFLIGHT = [
    Bad("compute", "    instanceType: intel-spr", "    instanceType: intel-sp", "spec.compute.instanceType"),
    Bad("compute", "    instanceSize: x2", "    instanceSize: x3", "spec.compute.instanceSize"),
    Bad("provider", "    region: us-east-1", "    region: us-east1", "spec.provider.region"),
]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(doc=documents(PREFLIGHT))
def test_the_preflights_problems_carry_the_bad_keys_line(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path, doc: tuple[str, int, str]
) -> None:
    text, line, path = doc
    file = tmp_path / "m.yaml"
    file.write_text(text)
    sandbox.reset_counts()
    run = cli("plan", str(file), "-o", "json")
    assert run.code == 2, run.all
    (issue,) = json.loads(run.stdout)
    assert set(issue) == KEYS
    assert (issue["file"], issue["line"], issue["path"]) == (str(file), line, path), text
    assert "did you mean" in issue["message"] or "comes in" in issue["message"]
    assert sandbox.mutating_count() == 0


# -- a message never shows a secret value, even of a manifest that failed ----------------------------------

LEAKY = """\
apiVersion: endpointctl/v1
kind: InferenceEndpoint
metadata:
  name: leaky
spec:
  model:
    repository: openai-community/gpt2
    task: text-generation
    secrets: {API_KEY: "${MY_SECRET}"}
  provider: {vendor: aws, region: us-east-1}
  compute: {accelerator: cpu, instanceType: intel-spr, instanceSize: x2}
  scaling: {minReplica: "${MY_SECRET}", maxReplica: 1}
"""


@pytest.mark.parametrize("mode", ["table", "json", "yaml"])
def test_a_message_quoting_a_secret_of_a_failed_manifest_never_shows_it(
    tmp_path: pathlib.Path, mode: str
) -> None:
    (tmp_path / "leaky.yaml").write_text(LEAKY)
    cli = offline_cli(tmp_path)
    cli.environ["MY_SECRET"] = "topsecretVALUE123"
    run = cli("validate", str(tmp_path), "-o", mode)
    assert run.code == 2, run.all
    assert "spec.scaling.minReplica" in run.stderr  # the problem is still named, at its key
    assert "topsecretVALUE123" not in run.all
