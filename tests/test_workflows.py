"""Issue 11, "GitHub, first class": the composite action, the reusable workflows, the project's own CI, and
the README's example caller.

Three kinds of check:
- the linters (actionlint, zizmor offline) over every file, with zero findings; and each shown to catch a
  break, on a broken copy in a temporary repository;
- the contract, read from the YAML: triggers, permissions, pins, concurrency, the flags of each command;
- the shell of each step, run with bash as the runner runs it (``bash --noprofile --norc -eo pipefail``),
  with fake ``endpointctl`` and ``gh`` commands: outputs, exit codes, masks, the sticky comment.
"""

from __future__ import annotations

import copy
import functools
import json
import os
import pathlib
import re
import shutil
import stat
import subprocess
import sys
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import yaml
from test_annotations import Runner

ROOT = pathlib.Path(__file__).resolve().parent.parent
BIN = pathlib.Path(sys.executable).parent
WORKFLOWS = ROOT / ".github" / "workflows"
ACTION = ROOT / "action.yml"
REUSABLE = ("endpointctl-plan.yml", "endpointctl-apply.yml", "endpointctl-schedule.yml")
# Every workflow here, those added later too: each is linted and held to the permission and pinning rules.
ALL_WORKFLOWS = tuple(sorted(p.name for p in WORKFLOWS.iterdir() if p.suffix in (".yml", ".yaml")))
PINNED = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(/[^@\s]+)?@[0-9a-f]{40}$")
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


# -- running the linters ----------------------------------------------------------------------------------


def actionlint(*paths: pathlib.Path | str, cwd: pathlib.Path) -> list[dict[str, Any]]:
    """actionlint's errors. shellcheck is used where the venv has one (else not at all), so the result is
    the same on every machine that installed the same extras."""
    shellcheck = BIN / "shellcheck"
    command = [str(BIN / "actionlint"), "-no-color", "-format", "{{json .}}"]
    command += [f"-shellcheck={shellcheck if shellcheck.exists() else ''}", *map(str, paths)]
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode in (0, 1), done.stderr  # 1: errors found; others: actionlint itself failed
    errors: list[dict[str, Any]] = json.loads(done.stdout or "[]")
    assert (done.returncode == 1) == bool(errors), done
    return errors


def zizmor(*paths: pathlib.Path | str, cwd: pathlib.Path) -> list[dict[str, Any]]:
    """zizmor's findings, offline, in its default (regular) persona; ignored ones left out."""
    # --strict-collection: a file zizmor cannot read as a workflow fails the run (else it is skipped).
    command = [str(BIN / "zizmor"), "--offline", "--strict-collection", "--no-progress", "--format", "json"]
    command += map(str, paths)
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=60, check=False)
    assert done.stdout.strip(), done.stderr  # zizmor itself failed: no report at all
    findings: list[dict[str, Any]] = json.loads(done.stdout)
    # 0: nothing found; 10-14: findings, by severity. A failure of its own (a file it cannot read) is 1-3.
    assert done.returncode == 0 or done.returncode >= 10, done.stderr
    return [f for f in findings if not f.get("ignored")]


def describe(problems: list[dict[str, Any]]) -> str:
    return "\n".join(p.get("message") or f"{p['ident']}: {p['desc']}" for p in problems)


def test_actionlint_finds_nothing_in_the_workflows() -> None:
    errors = actionlint(*(WORKFLOWS / name for name in ALL_WORKFLOWS), cwd=ROOT)
    assert errors == [], describe(errors)


def test_zizmor_finds_nothing_in_the_workflows_and_the_action() -> None:
    findings = zizmor(WORKFLOWS, ACTION, cwd=ROOT)
    assert findings == [], describe(findings)


def test_the_workflows_are_all_here() -> None:
    assert {*REUSABLE, "ci.yml"} <= set(ALL_WORKFLOWS)


# -- ...and they catch a break -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Break:
    file: str
    old: str
    new: str
    linter: str
    expect: str  # zizmor's rule, or a piece of actionlint's message


CHECKOUT = "actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8 # v5.0.0"
BREAKS = [
    Break("endpointctl-plan.yml", CHECKOUT, "actions/checkout@v4", "zizmor", "unpinned-uses"),
    Break(
        "endpointctl-plan.yml",
        'marker="<!-- endpointctl-plan:$STACK -->"',
        'marker="<!-- endpointctl-plan:${{ inputs.stack }} -->"',
        "zizmor",
        "template-injection",
    ),
    Break(
        "endpointctl-plan.yml",
        "limit=60000 # a comment holds 65536 characters",
        'limit="${{ github.event.pull_request.title }}"',
        "actionlint",
        "potentially untrusted",
    ),
    Break(
        "endpointctl-apply.yml",
        "        with:\n          persist-credentials: false\n",
        "",
        "zizmor",
        "artipacked",
    ),
    # (zizmor leaves a reusable workflow's permissions to its caller: the YAML tests below check them.)
    Break(
        "endpointctl-apply.yml",
        "actions/upload-artifact@330a01c490aca151604b8cf639adc76d48f6c5d4 # v5.0.0",
        "actions/upload-artifact@main",
        "zizmor",
        "unpinned-uses",
    ),
    Break(
        "endpointctl-schedule.yml",
        "endpointctl-schedule-${{ inputs.stack }}",
        "s-${{ inputs.stak }}",
        "actionlint",
        "stak",
    ),
    Break(
        "ci.yml",
        "contents: read # to check out the repository\n    strategy",
        "write-all\n    strategy",
        "zizmor",
        "excessive-permissions",
    ),
    Break(
        "action.yml",
        '"$ENDPOINTCTL" "${args[@]}"',
        '"$ENDPOINTCTL" ${{ inputs.command }}',
        "zizmor",
        "template-injection",
    ),
]


def repository(root: pathlib.Path) -> pathlib.Path:
    """An empty repository at ``root``: without ``.git`` actionlint finds no project, and silently skips
    what it checks against the project's files (a local action's inputs, a local workflow's)."""
    (root / ".git").mkdir()
    (root / ".github" / "workflows").mkdir(parents=True)
    return root / ".github" / "workflows"


def broken_copy(tmp_path: pathlib.Path, fault: Break) -> pathlib.Path:
    """A repository in ``tmp_path`` with the project's workflows and action, ``fault.file`` broken."""
    tmp_path.mkdir(exist_ok=True)
    repository(tmp_path)
    for name in ALL_WORKFLOWS:
        shutil.copy(WORKFLOWS / name, tmp_path / ".github" / "workflows" / name)
    shutil.copy(ACTION, tmp_path / "action.yml")
    target = (
        tmp_path / "action.yml"
        if fault.file == "action.yml"
        else tmp_path / ".github" / "workflows" / fault.file
    )
    text = target.read_text()
    assert text.count(fault.old) == 1, f"the break no longer applies to {fault.file}: {fault.old!r}"
    target.write_text(text.replace(fault.old, fault.new))
    return target


def where(problem: dict[str, Any], cwd: pathlib.Path) -> set[pathlib.Path]:
    """The files a problem is in: actionlint names one (relative to where it ran), zizmor each location's."""
    if "filepath" in problem:
        return {cwd / problem["filepath"]}
    return {cwd / location["symbolic"]["key"]["Local"]["verbatim_path"] for location in problem["locations"]}


@pytest.fixture(scope="module")
def broken_copies_linted(
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[Break, list[dict[str, Any]]]:
    """Each break in a repository of its own, and each linter run once over the broken files it is to
    catch (one run per copy paid a linter's start each, most of what these tests cost): what it found
    in each break's file. Both linters check file by file, finding each one's repository (``.git``) from
    its path, so a copy's problems are those a run over it alone reports."""
    root = tmp_path_factory.mktemp("broken")
    targets = {fault: broken_copy(root / f"copy-{i}", fault) for i, fault in enumerate(BREAKS)}
    found: dict[Break, list[dict[str, Any]]] = {}
    for linter, run in (("zizmor", zizmor), ("actionlint", actionlint)):
        faults = [fault for fault in BREAKS if fault.linter == linter]
        problems = run(*(targets[fault] for fault in faults), cwd=root)
        for fault in faults:
            found[fault] = [p for p in problems if targets[fault] in where(p, root)]
    return found


@pytest.mark.parametrize("fault", BREAKS, ids=lambda b: f"{b.file}-{b.expect}")
def test_the_linters_catch_a_broken_copy(
    broken_copies_linted: dict[Break, list[dict[str, Any]]], fault: Break
) -> None:
    found = broken_copies_linted[fault]
    if fault.linter == "zizmor":
        assert fault.expect in {f["ident"] for f in found}, describe(found)
    else:
        assert any(fault.expect in e["message"] for e in found), describe(found)


# -- the contract, from the YAML -----------------------------------------------------------------------------


def load(path: pathlib.Path) -> dict[str, Any]:
    """The file's document, a copy of its own (a test may change what it reads)."""
    return copy.deepcopy(_parsed(path.read_text()))


@functools.cache
def _parsed(text: str) -> dict[str, Any]:
    """Each text parsed once: the tests read the same five files some forty times, and the pure-Python
    parser took about a second over them. Keyed by the text itself, so an edited file is read again."""
    document: dict[Any, Any] = yaml.safe_load(text)
    if True in document:  # YAML 1.1 reads the key `on` as true
        document["on"] = document.pop(True)
    return document


def workflow(name: str) -> dict[str, Any]:
    return load(WORKFLOWS / name)


def steps_of(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    if "runs" in document:
        yield from document["runs"]["steps"]
    for job in document.get("jobs", {}).values():
        yield from job.get("steps", [])


def script(document: dict[str, Any], step_id: str) -> str:
    (step,) = (s for s in steps_of(document) if s.get("id") == step_id)
    run: str = step["run"]
    return run


@pytest.mark.parametrize("name", REUSABLE)
def test_a_reusable_workflow_is_called_with_a_stack_and_the_token_secret(name: str) -> None:
    call = workflow(name)["on"]["workflow_call"]
    assert set(workflow(name)["on"]) == {"workflow_call"}
    assert call["inputs"]["stack"]["required"] is True
    assert call["secrets"]["HF_TOKEN"]["required"] is True
    assert call["inputs"]["endpointctl-version"]["default"] == VERSION  # the release these files ship with
    assert {"paths", "python-version", "working-directory"} <= set(call["inputs"])


@pytest.mark.parametrize("name", ALL_WORKFLOWS)
def test_permissions_are_none_by_default_and_least_per_job(name: str) -> None:
    document = workflow(name)
    assert document["permissions"] == {}
    for job_name, job in document["jobs"].items():
        permissions = job["permissions"]
        assert isinstance(permissions, dict), (job_name, permissions)  # never read-all / write-all
        writes = {scope for scope, level in permissions.items() if level != "read"}
        expected = {"pull-requests"} if (name, job_name) == ("endpointctl-plan.yml", "comment") else set()
        assert writes == expected, (job_name, permissions)
        assert set(permissions) <= {"contents", "pull-requests"}, (job_name, permissions)


def test_only_the_comment_job_may_write_and_only_to_pull_requests() -> None:
    jobs = workflow("endpointctl-plan.yml")["jobs"]
    assert jobs["comment"]["permissions"] == {"pull-requests": "write"}
    assert jobs["plan"]["permissions"] == {"contents": "read"}


def uses_lines() -> Iterator[tuple[str, str]]:
    for path in [ACTION, *(WORKFLOWS / name for name in ALL_WORKFLOWS)]:
        for line in path.read_text().splitlines():
            match = re.match(r"^\s*(?:- )?uses:\s*(\S+)(.*)$", line)
            if match:
                yield path.name, line.strip()


def test_every_action_is_pinned_to_a_commit_with_its_version_beside_it() -> None:
    seen = list(uses_lines())
    assert len(seen) >= 10
    for file, line in seen:
        target, _, comment = line.removeprefix("- ").removeprefix("uses:").strip().partition(" ")
        if target == "./":  # this repository's own action, at the commit being tested
            continue
        assert PINNED.match(target), (file, line)
        assert re.fullmatch(r"# v\d+\.\d+\.\d+", comment), (file, line)
    # And the parsed view agrees: nothing hides a `uses` the line scan missed.
    for path in [ACTION, *(WORKFLOWS / name for name in ALL_WORKFLOWS)]:
        for step in steps_of(load(path)):
            assert "uses" not in step or step["uses"] == "./" or PINNED.match(step["uses"]), step


def test_every_checkout_keeps_no_credentials() -> None:
    checkouts = [
        step
        for name in ALL_WORKFLOWS
        for step in steps_of(workflow(name))
        if step.get("uses", "").startswith("actions/checkout@")
    ]
    assert len(checkouts) >= 5
    assert all(step["with"]["persist-credentials"] is False for step in checkouts)


def every_script() -> Iterator[tuple[str, str]]:
    for path in [ACTION, *(WORKFLOWS / name for name in ALL_WORKFLOWS)]:
        for step in steps_of(load(path)):
            if "run" in step:
                yield path.name, step["run"]


def test_no_expression_is_ever_pasted_into_a_script() -> None:
    # Stricter than zizmor, which trusts some contexts: every value reaches a script through `env:`.
    scripts = list(every_script())
    assert len(scripts) >= 10
    for file, run in scripts:
        assert "${{" not in run, (file, run)


def test_the_token_comes_from_the_secret_through_the_environment_only() -> None:
    for name in REUSABLE:
        text = (WORKFLOWS / name).read_text()
        assert text.count("secrets.HF_TOKEN") == 1
        assert "HF_TOKEN: ${{ secrets.HF_TOKEN }}" in text
    action = load(ACTION)
    (run_step,) = (s for s in action["runs"]["steps"] if s.get("id") == "run")
    assert run_step["env"]["TOKEN_INPUT"] == "${{ inputs.hf-token }}"
    assert "::add-mask::" in run_step["run"]


def test_the_plan_job_plans_in_markdown_with_the_detailed_exit_code() -> None:
    document = workflow("endpointctl-plan.yml")
    run = script(document, "plan")
    assert '"${command[@]}" --detailed-exitcode -o markdown' in run
    assert "endpointctl plan" in run and '--stack "$STACK"' in run
    assert '>> "$GITHUB_STEP_SUMMARY"' in run
    assert document["jobs"]["comment"]["needs"] == "plan"
    comment = document["jobs"]["comment"]["steps"][0]
    assert comment["env"]["GH_TOKEN"] == "${{ github.token }}"
    assert "<!-- endpointctl-plan:$STACK -->" in comment["run"]


def test_applies_of_one_stack_queue_and_are_never_cancelled() -> None:
    job = workflow("endpointctl-apply.yml")["jobs"]["apply"]
    assert job["concurrency"] == {
        "group": "endpointctl-apply-${{ inputs.stack }}",
        "cancel-in-progress": False,
    }
    run = script(workflow("endpointctl-apply.yml"), "apply")
    assert '--yes --wait --smoke --junit-xml "$JUNIT"' in run
    (upload,) = (s for s in job["steps"] if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert upload["if"] == "always()"
    assert (
        upload["with"]["path"]
        == job["steps"][3]["env"]["JUNIT"]
        == "${{ runner.temp }}/endpointctl-junit.xml"
    )


def test_scheduled_runs_have_their_own_group_and_are_never_cancelled() -> None:
    job = workflow("endpointctl-schedule.yml")["jobs"]["schedule"]
    assert job["concurrency"] == {
        "group": "endpointctl-schedule-${{ inputs.stack }}",
        "cancel-in-progress": False,
    }
    assert "(endpointctl schedule run " in script(workflow("endpointctl-schedule.yml"), "schedule")


def test_the_action_installs_a_pinned_release_or_its_own_checkout() -> None:
    action = load(ACTION)
    assert action["runs"]["using"] == "composite"
    assert action["inputs"]["version"]["default"] == VERSION
    assert action["inputs"]["source"]["default"] == "pypi"
    assert {"command", "hf-token"} <= set(action["inputs"])
    assert set(action["outputs"]) >= {"exit-code", "json"}
    install = script(action, "install")
    assert '"endpointctl==$VERSION"' in install and '"$ACTION_PATH"' in install


def test_ci_runs_the_ci_script_and_the_action_from_its_checkout() -> None:
    jobs = workflow("ci.yml")["jobs"]
    assert jobs["test"]["steps"][-1]["run"] == "bash .ci/run"
    local = [s for s in jobs["action"]["steps"] if s.get("uses") == "./"]
    assert local and all(s["with"]["source"] == "path" for s in local)
    ci_script = (ROOT / ".ci" / "run").read_text()
    assert ".venv/bin/actionlint" in ci_script and ".venv/bin/zizmor --offline" in ci_script


# -- the README's caller ---------------------------------------------------------------------------------


def readme_caller() -> str:
    text = (ROOT / "README.md").read_text()
    section = text.split("\n## GitHub Actions\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```yaml\n(.*?)```", section, re.S)
    (caller,) = [block for block in blocks if "endpointctl-plan.yml@" in block]
    return caller


def caller_repo(tmp_path: pathlib.Path, caller: str) -> pathlib.Path:
    path = repository(tmp_path) / "endpoints.yml"
    path.write_text(caller)
    return path


def test_the_readme_caller_passes_both_linters(tmp_path: pathlib.Path) -> None:
    path = caller_repo(tmp_path, readme_caller())
    assert actionlint(path, cwd=tmp_path) == []
    assert zizmor(path, cwd=tmp_path) == []


def local_caller(tmp_path: pathlib.Path, caller: str) -> pathlib.Path:
    """The caller with each `uses:` pointed at a copy of this repository's workflow, so that actionlint
    checks its inputs and secrets against what the workflow declares."""
    local, count = re.subn(
        r"uses: \S+/endpointctl/(\.github/workflows/[\w.-]+)@[0-9a-f]{40}[^\n]*", r"uses: ./\1", caller
    )
    assert count == 3
    path = caller_repo(tmp_path, local)
    for name in REUSABLE:
        shutil.copy(WORKFLOWS / name, path.parent / name)
    return path


def test_the_readme_caller_passes_what_the_workflows_declare(tmp_path: pathlib.Path) -> None:
    path = local_caller(tmp_path, readme_caller())
    assert actionlint(path, cwd=tmp_path) == []


def test_a_caller_with_a_wrong_input_is_caught(tmp_path: pathlib.Path) -> None:
    caller = readme_caller()
    assert caller.count("      stack: prod\n") >= 1
    path = local_caller(tmp_path, caller.replace("      stack: prod\n", "      stak: prod\n", 1))
    assert any("stak" in e["message"] for e in actionlint(path, cwd=tmp_path))


def test_the_readme_caller_calls_all_three_on_their_triggers() -> None:
    document = yaml.safe_load(readme_caller())
    on = document.pop(True)
    assert on["schedule"] == [{"cron": "*/15 * * * *"}]
    assert "pull_request" in on and on["push"]["branches"] == ["main"]
    assert document["permissions"] == {}
    called = {job["uses"].split("@")[0].rsplit("/", 1)[1]: job for job in document["jobs"].values()}
    assert set(called) == set(REUSABLE)
    for job in called.values():
        assert job["secrets"] == {"HF_TOKEN": "${{ secrets.HF_TOKEN }}"}  # never `secrets: inherit`
        assert PINNED.match(job["uses"])
    assert called["endpointctl-plan.yml"]["permissions"] == {"contents": "read", "pull-requests": "write"}
    assert called["endpointctl-apply.yml"]["permissions"] == {"contents": "read"}


# -- the steps' shell, run ---------------------------------------------------------------------------------

FAKE_ENDPOINTCTL = """\
#!{python}
import json, os, sys
from pathlib import Path
# What it was called with, and which variables it saw; then a multi-line answer, and the exit code asked for.
Path(os.environ["FAKE_LOG"]).write_text(json.dumps({{"argv": sys.argv[1:], "env": dict(os.environ)}}))
if "FAKE_STDOUT_RAW" in os.environ:  # exactly this, without a final newline
    sys.stdout.write(os.environ["FAKE_STDOUT_RAW"])
    sys.exit(0)
print(os.environ.get("FAKE_STDOUT", json.dumps({{"argv": sys.argv[1:]}}, indent=2)))
print("::warning::from endpointctl's stdout")
print("::error file=m.yaml,line=3,title=endpointctl::spec.x: bad", file=sys.stderr)
sys.exit(int(os.environ.get("FAKE_CODE", "0")))
"""


@dataclass
class Step:
    code: int
    log: str  # stdout and stderr, as the runner reads them
    outputs: dict[str, str]
    summary: str
    called: dict[str, Any]  # what the fake endpointctl saw


def read_outputs(text: str) -> dict[str, str]:
    """$GITHUB_OUTPUT as the runner reads it: NAME=value lines, and NAME<<DELIMITER blocks."""
    outputs: dict[str, str] = {}
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            end = lines.index(delimiter, i + 1)
            outputs[name] = "\n".join(lines[i + 1 : end])
            i = end + 1
        elif line:
            name, value = line.split("=", 1)
            outputs[name] = value
            i += 1
        else:
            i += 1
    return outputs


@pytest.fixture
def bash_step(tmp_path: pathlib.Path) -> Callable[..., Step]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "endpointctl"
    fake.write_text(FAKE_ENDPOINTCTL.format(python=sys.executable))
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    python = bin_dir / "python"  # the venv's, beside endpointctl, as the action makes it
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    python.chmod(python.stat().st_mode | stat.S_IEXEC)

    def run(source: str, **env: str) -> Step:
        temp = tmp_path / "runner-temp"
        temp.mkdir(exist_ok=True)
        for name in ("output", "summary", "called.json"):
            (tmp_path / name).write_text("")
        environ = {
            "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
            "RUNNER_TEMP": str(temp),
            "GITHUB_OUTPUT": str(tmp_path / "output"),
            "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"),
            "GITHUB_REPOSITORY": "acme/models",
            "FAKE_LOG": str(tmp_path / "called.json"),
            "ENDPOINTCTL": str(fake),
            **env,
        }
        (tmp_path / "step.sh").write_text(source)
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(tmp_path / "step.sh")],
            cwd=tmp_path,
            env=environ,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        called = (tmp_path / "called.json").read_text()
        return Step(
            done.returncode,
            done.stdout + done.stderr,
            read_outputs((tmp_path / "output").read_text()),
            (tmp_path / "summary").read_text(),
            json.loads(called) if called else {},
        )

    return run


ACTION_RUN = script(load(ACTION), "run")
TOKEN = "hf_abcdefghijklmnopqrstuvwxyz0123456789"


def run_action(bash_step: Callable[..., Step], command: str, **env: str) -> Step:
    defaults = {"TOKEN_INPUT": TOKEN, "COMMAND": command, "OUTPUT": "json", "ALLOWED": "0"}
    return bash_step(ACTION_RUN, **(defaults | env))


def test_the_action_sets_its_outputs_and_passes_on_success(bash_step: Callable[..., Step]) -> None:
    step = run_action(bash_step, "plan\nmanifests/   --detailed-exitcode")
    assert step.code == 0, step.log
    assert step.outputs["exit-code"] == "0"
    # The multi-line JSON, whole: the heredoc delimiter is not in it and it is not cut.
    assert json.loads(step.outputs["json"].split("\n::warning")[0]) == {
        "argv": ["plan", "manifests/", "--detailed-exitcode", "--output", "json"]
    }
    assert step.called["env"]["HF_TOKEN"] == TOKEN


@pytest.mark.parametrize(
    ("code", "allowed", "step_code"), [(3, "0 3", 0), (3, "0", 3), (1, "0 3", 1), (2, "", 2)]
)
def test_the_action_fails_the_step_unless_the_code_is_allowed(
    bash_step: Callable[..., Step], code: int, allowed: str, step_code: int
) -> None:
    step = run_action(bash_step, "plan manifests/", ALLOWED=allowed, FAKE_CODE=str(code))
    assert step.code == step_code, step.log
    assert step.outputs["exit-code"] == str(code)  # set either way, for the steps after it


def test_the_action_masks_the_token_and_never_prints_it(bash_step: Callable[..., Step]) -> None:
    step = run_action(bash_step, "status", TOKEN_INPUT=f"{TOKEN}\nsecond-line-of-it")
    commands = Runner().feed(step.log).commands
    masks = [c.data for c in commands if c.name == "add-mask"]
    assert masks == [TOKEN, "second-line-of-it", f"{TOKEN}second-line-of-it"]  # the last: as it is sent
    assert step.log.count(TOKEN) == 2  # in the mask commands only, which the runner does not show


@pytest.mark.parametrize(
    ("given", "masks"),
    [
        ("hf_with%0Apercent", ["hf_with%0Apercent"]),  # escaped, it masks itself, not a line break
        ("hf_pasted_with_its_crlf\r\n", ["hf_pasted_with_its_crlf\r", "hf_pasted_with_its_crlf"]),
        ("  hf_blanks_around  ", ["  hf_blanks_around  ", "hf_blanks_around"]),
        ("hf_copied_from_a_page\u00a0", ["hf_copied_from_a_page\u00a0", "hf_copied_from_a_page"]),
    ],
)
def test_the_action_masks_the_token_as_it_stands_and_as_it_is_sent(
    bash_step: Callable[..., Step], given: str, masks: list[str]
) -> None:
    step = run_action(bash_step, "status", TOKEN_INPUT=given)
    assert [c.data for c in Runner().feed(step.log).commands if c.name == "add-mask"] == masks
    assert step.called["env"]["HF_TOKEN"] == given


def test_the_action_passes_no_empty_token(bash_step: Callable[..., Step]) -> None:
    step = run_action(bash_step, "status", TOKEN_INPUT="")
    assert "HF_TOKEN" not in step.called["env"]
    assert "add-mask" not in step.log


def test_an_empty_input_keeps_the_jobs_own_token(bash_step: Callable[..., Step]) -> None:
    """`env: HF_TOKEN` on the job and no `hf-token`: the job's token is used (review)."""
    step = run_action(bash_step, "status", TOKEN_INPUT="", HF_TOKEN=TOKEN)
    assert step.called["env"]["HF_TOKEN"] == TOKEN
    assert "TOKEN_INPUT" not in step.called["env"]


def test_endpointctls_stdout_in_the_log_is_no_workflow_command(bash_step: Callable[..., Step]) -> None:
    step = run_action(bash_step, "status")
    names = [c.name for c in Runner().feed(step.log).commands]
    assert "warning" not in names  # the fake's stdout line
    assert "error" in names  # its annotations on stderr still reach the runner


@pytest.mark.parametrize(
    ("command", "argv"),
    [
        ("status -o table", ["status", "-o", "table"]),
        ("status --output=yaml", ["status", "--output=yaml"]),
        # run, schema, completion and sandbox take no --output: given one, they stopped with exit 2 (review).
        ("run batch -- python job.py -o x", ["run", "batch", "--", "python", "job.py", "-o", "x"]),
        ("--sandbox run batch -- sh -c true", ["--sandbox", "run", "batch", "--", "sh", "-c", "true"]),
        ("schema", ["schema"]),
        ("completion bash", ["completion", "bash"]),
        ("sandbox reset", ["sandbox", "reset"]),
        ("--token x run batch -- sh", ["--token", "x", "run", "batch", "--", "sh"]),
        ("schedule run m/", ["schedule", "run", "m/", "--output", "json"]),
        ("--sandbox plan m/", ["--sandbox", "plan", "m/", "--output", "json"]),
    ],
)
def test_the_action_adds_the_output_format_where_it_belongs(
    bash_step: Callable[..., Step], command: str, argv: list[str]
) -> None:
    assert run_action(bash_step, command).called["argv"] == argv


def test_the_command_is_never_evaluated_by_a_shell(
    bash_step: Callable[..., Step], tmp_path: pathlib.Path
) -> None:
    command = "plan $(touch${IFS}pwned) `touch pwned2` ;touch pwned3 *"
    step = run_action(bash_step, command, OUTPUT="")
    assert step.called["argv"] == command.split()
    assert not any((tmp_path / name).exists() for name in ("pwned", "pwned2", "pwned3"))


@pytest.mark.parametrize(
    ("env", "message"), [({"COMMAND": " \n "}, "is empty"), ({"ALLOWED": "0 *"}, "numbers")]
)
def test_the_action_refuses_bad_inputs(
    bash_step: Callable[..., Step], env: dict[str, str], message: str
) -> None:
    step = run_action(bash_step, "status", **env)
    assert step.code == 2 and message in step.log
    assert step.called == {}


PLAN_RUN = script(workflow("endpointctl-plan.yml"), "plan")
PLAN_ENV = {"STACK": "prod", "PATHS": "manifests/ extra.yaml", "PRUNE": "false", "NAMESPACE": "", "ARGS": ""}
MARKDOWN = "**2 to create**\n\n| endpoint | action |\n|---|---|\n| gpt2 | create |"


@pytest.mark.parametrize(("code", "step_code"), [(0, 0), (3, 0), (1, 1), (2, 2)])
def test_the_plan_step_passes_on_changes_and_fails_on_errors(
    bash_step: Callable[..., Step], code: int, step_code: int
) -> None:
    step = bash_step(PLAN_RUN, **PLAN_ENV, HF_TOKEN=TOKEN, FAKE_CODE=str(code), FAKE_STDOUT=MARKDOWN)
    assert step.code == step_code, step.log
    assert step.called["argv"] == [
        "plan", "manifests/", "extra.yaml", "--stack", "prod", "--detailed-exitcode", "-o", "markdown",
    ]  # fmt: skip
    assert step.outputs["exit-code"] == str(code)
    assert step.outputs["markdown"].startswith(MARKDOWN)
    assert "### endpointctl plan: stack prod" in step.summary and MARKDOWN in step.summary


def test_the_plan_step_takes_prune_namespace_and_more_flags(bash_step: Callable[..., Step]) -> None:
    env = PLAN_ENV | {"PRUNE": "true", "NAMESPACE": "acme", "ARGS": "--allow-replace --adopt"}
    argv = bash_step(PLAN_RUN, **env, FAKE_STDOUT=MARKDOWN).called["argv"]
    assert argv[argv.index("--stack") :] == [
        "--stack", "prod", "--allow-replace", "--adopt", "--prune", "--namespace", "acme",
        "--detailed-exitcode", "-o", "markdown",
    ]  # fmt: skip


def test_manifest_secrets_reach_endpointctl_masked(bash_step: Callable[..., Step]) -> None:
    secrets = "API_KEY=s3cr3t-value=with-equals\r\n\nREGISTRY_PASSWORD=hunter2hunter2"
    step = bash_step(PLAN_RUN, **PLAN_ENV, ENDPOINT_SECRETS=secrets, FAKE_STDOUT=MARKDOWN)
    assert step.code == 0, step.log
    env = step.called["env"]
    # All of it, verbatim, in the one variable endpointctl reads for ${VAR}s; nothing exported by name.
    assert env["ENDPOINTCTL_VARIABLES"] == secrets
    assert "API_KEY" not in env and "REGISTRY_PASSWORD" not in env and "ENDPOINT_SECRETS" not in env
    masks = [c.data for c in Runner().feed(step.log).commands if c.name == "add-mask"]
    assert masks == ["s3cr3t-value=with-equals", "hunter2hunter2"]


# Names the runner, the shell, Python, TLS, proxies, huggingface_hub, endpointctl or the step itself read.
HOSTILE_LINES = [
    "PATH=/tmp/evil",
    "HF_TOKEN=other",
    "lower=x",
    "NOEQUALS-maybe-a-pasted-secret",
    "GITHUB_ENV=x",
    "IFS=x",
    "HTTPS_PROXY=http://evil:8080",
    "ALL_PROXY=socks5://evil",
    "SSL_CERT_FILE=/tmp/evil.pem",
    "REQUESTS_CA_BUNDLE=/tmp/evil.pem",
    "BASH_FUNC_x%%=() { :; }",
    "SHELLOPTS=xtrace",
    "PS4=$(evil)",
    "XDG_CONFIG_HOME=/tmp",
    "HUGGING_FACE_HUB_TOKEN=x",
    "LD_PRELOAD=/tmp/evil.so",
    "TZ=x",
    "PRUNE=true",
    "STACK=other",
    "NAMESPACE=victim-org",
    "PATHS=/",
    "ARGS=--parallelism 64",
    "HUGGINGFACE_CO_STAGING=1",
    "TRANSFORMERS_OFFLINE=1",
    "TMP=/tmp/evil",
    "HOSTALIASES=/tmp/evil",
    "GLIBC_TUNABLES=x",
    "SSLKEYLOGFILE=/tmp/keys",
    "UID=0",
    "ENDPOINTCTL_API_URL=http://evil",
]


def test_manifest_secrets_cannot_replace_the_runners_variables(bash_step: Callable[..., Step]) -> None:
    """No line sets a variable of the step or of endpointctl's process: what endpointctl is run with (its
    arguments and its environment but ENDPOINTCTL_VARIABLES) is what it is run with without the lines."""
    alone = bash_step(PLAN_RUN, **PLAN_ENV, ENDPOINT_SECRETS="API_KEY=fine-value", FAKE_STDOUT=MARKDOWN)
    secrets = "\n".join(["API_KEY=fine-value", *HOSTILE_LINES])
    step = bash_step(PLAN_RUN, **PLAN_ENV, ENDPOINT_SECRETS=secrets, FAKE_STDOUT=MARKDOWN)
    assert step.code == alone.code == 0, step.log
    assert step.called["argv"] == alone.called["argv"]
    env, env_alone = dict(step.called["env"]), dict(alone.called["env"])
    assert env.pop("ENDPOINTCTL_VARIABLES") == secrets
    env_alone.pop("ENDPOINTCTL_VARIABLES")
    assert env == env_alone
    # Masked, each line: the value after the first '=' (the whole line when it has none), and the whole
    # line too when its name is not upper-case (it may be a secret pasted whole).
    masks = [c.data for c in Runner().feed(step.log).commands if c.name == "add-mask"]
    assert masks == ["fine-value", *(m for line in HOSTILE_LINES for m in expected_masks(line) if m)]


def expected_masks(line: str) -> list[str]:
    name, equals, value = line.partition("=")
    if not equals:
        return [line]
    # Padding alone is no value to mask (it would hide every '=' in the log): the line is, whole.
    masks = [value] if value.strip("=") else []
    if not re.fullmatch(r"[A-Z_][A-Z0-9_]*", name) or not value.strip("="):
        masks.append(line)
    return masks


@pytest.mark.parametrize(
    "line",
    [
        "QUJDREVGR0hJSktMTU5PUFFSU1RVVldY==",  # a base64 secret pasted whole: its body reads as a name
        "s3cr3t-pasted-alone",
        "Mixed_Case=value-here",
        "=starts-with-equals",
        "NAME=",
        "API_KEY=with%25percent",
    ],
)
def test_a_secret_pasted_whole_is_masked_whole(bash_step: Callable[..., Step], line: str) -> None:
    step = bash_step(PLAN_RUN, **PLAN_ENV, ENDPOINT_SECRETS=line, FAKE_STDOUT=MARKDOWN)
    masks = [c.data for c in Runner().feed(step.log).commands if c.name == "add-mask"]
    assert masks == [m for m in expected_masks(line) if m]
    if not re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*[^=].*", line):
        assert line in masks  # the runner hides every occurrence of the line itself
    assert "=" not in masks and "==" not in masks  # that would hide every '=' of the log


def _secrets_loop(run: str) -> str:
    start = run.index("mask() {")
    end = run.index('done <<< "${ENDPOINT_SECRETS:-}"', start)
    return run[start:end]


def test_the_three_workflows_read_endpoint_secrets_alike() -> None:
    """The refusals above are tested on the plan workflow's step: the other two run the same loop."""
    plan = _secrets_loop(PLAN_RUN)
    assert _secrets_loop(script(workflow("endpointctl-apply.yml"), "apply")) == plan
    assert _secrets_loop(script(workflow("endpointctl-schedule.yml"), "schedule")) == plan


def test_the_apply_step_waits_smokes_and_reports(
    bash_step: Callable[..., Step], tmp_path: pathlib.Path
) -> None:
    run = script(workflow("endpointctl-apply.yml"), "apply")
    env = PLAN_ENV | {"JUNIT": str(tmp_path / "junit.xml")}
    step = bash_step(run, **env, FAKE_CODE="4", FAKE_STDOUT="| gpt2 | timeout |")
    assert step.code == 4
    assert step.outputs == {"exit-code": "4"}
    assert step.called["argv"] == [
        "apply", "manifests/", "extra.yaml", "--stack", "prod",
        "--yes", "--wait", "--smoke", "--junit-xml", str(tmp_path / "junit.xml"), "-o", "markdown",
    ]  # fmt: skip
    assert "stack prod (exit 4)" in step.summary and "| gpt2 | timeout |" in step.summary
    assert "warning" not in [c.name for c in Runner().feed(step.log).commands]


def test_the_schedule_step_runs_the_schedules(bash_step: Callable[..., Step]) -> None:
    run = script(workflow("endpointctl-schedule.yml"), "schedule")
    env = {"PATHS": "manifests/", "NAMESPACE": "acme", "DRY_RUN": "true"}
    hostile = "acme/gpt2  pause  failed  the API answered 400: ##[error]pwned\n::error title=x::owned"
    step = bash_step(run, **env, FAKE_CODE="1", FAKE_STDOUT=hostile)
    assert step.code == 1 and step.outputs == {"exit-code": "1"}
    assert step.called["argv"] == ["schedule", "run", "manifests/", "--dry-run", "--namespace", "acme"]
    # The results reach the log whole, and the API's words in them act as no workflow command.
    assert "##[error]pwned" in step.log, step.log
    commands = Runner().feed(step.log).commands
    # Only the fence and the fake endpointctl's own annotation on stderr, which stays a command.
    assert [(c.name, c.properties.get("file")) for c in commands] == [
        ("stop-commands", None),
        ("error", "m.yaml"),
    ]


# -- the sticky comment, with a fake gh ------------------------------------------------------------------

FAKE_GH = """\
#!{python}
import json, os, sys
from pathlib import Path
# `gh api`: answers the listing from $FAKE_COMMENTS (pages, as --paginate prints them), records the rest.
args = sys.argv[1:]
calls = Path(os.environ["FAKE_GH_LOG"])
record = {{"args": args, "token": os.environ.get("GH_TOKEN")}}
for i, arg in enumerate(args):
    if arg == "-F" and args[i + 1].startswith("body=@"):
        record["body"] = Path(args[i + 1].removeprefix("body=@")).read_text()
calls.write_text(calls.read_text() + json.dumps(record) + "\\n")
if "--paginate" in args:
    for page in json.loads(os.environ["FAKE_COMMENTS"]):
        print(json.dumps(page))
"""

BOT = {"login": "github-actions[bot]"}


Calls = list[dict[str, Any]]


@pytest.fixture
def comment_step(tmp_path: pathlib.Path, bash_step: Callable[..., Step]) -> Callable[..., tuple[Step, Calls]]:
    if shutil.which("jq") is None:
        pytest.skip("jq is not installed (GitHub's runners have it)")
    gh = tmp_path / "bin" / "gh"
    gh.write_text(FAKE_GH.format(python=sys.executable))
    gh.chmod(gh.stat().st_mode | stat.S_IEXEC)
    (step,) = workflow("endpointctl-plan.yml")["jobs"]["comment"]["steps"]

    def run(
        comments: list[list[dict[str, Any]]], code: str = "3", plan: str = MARKDOWN, stack: str = "prod"
    ) -> tuple[Step, Calls]:
        log = tmp_path / "gh.log"
        log.write_text("")
        env = {
            "GH_TOKEN": "ghs_token",
            "PR_NUMBER": "7",
            "HEAD_SHA": "a" * 40,
            "STACK": stack,
            "EXIT_CODE": code,
            "PLAN": plan,
            "RUN_URL": "https://github.com/acme/models/actions/runs/1",
            "FAKE_COMMENTS": json.dumps(comments),
            "FAKE_GH_LOG": str(log),
        }
        done = bash_step(step["run"], **env)
        return done, [json.loads(line) for line in log.read_text().splitlines()]

    return run


def posted(result: tuple[Step, Calls]) -> Calls:
    step, calls = result
    assert step.code == 0, step.log
    return calls


def test_the_first_plan_posts_a_comment(comment_step: Callable[..., tuple[Step, Calls]]) -> None:
    listing, post = posted(comment_step([[{"id": 1, "user": {"login": "someone"}, "body": "LGTM"}], []]))
    assert listing["args"][:2] == ["api", "--paginate"]
    assert listing["args"][2] == "repos/acme/models/issues/7/comments?per_page=100"
    assert post["args"][:5] == ["api", "--silent", "--method", "POST", "repos/acme/models/issues/7/comments"]
    assert post["body"].startswith("<!-- endpointctl-plan:prod -->\n")
    assert MARKDOWN in post["body"] and "Changes to apply" in post["body"]
    assert post["token"] == "ghs_token"


def test_a_later_plan_updates_its_own_comment_on_any_page(
    comment_step: Callable[..., tuple[Step, Calls]],
) -> None:
    ours = {"id": 42, "user": BOT, "body": "<!-- endpointctl-plan:prod -->\nold"}
    other_stack = {"id": 41, "user": BOT, "body": "<!-- endpointctl-plan:prod-eu -->\nold"}
    quoted = {"id": 40, "user": {"login": "mallory"}, "body": "<!-- endpointctl-plan:prod -->\nfake"}
    _, patch = posted(comment_step([[quoted, other_stack], [ours]], code="0"))
    assert patch["args"][:5] == [
        "api",
        "--silent",
        "--method",
        "PATCH",
        "repos/acme/models/issues/comments/42",
    ]
    assert "No changes." in patch["body"]


def test_someone_elses_comment_with_the_marker_is_not_taken_for_ours(
    comment_step: Callable[..., tuple[Step, Calls]],
) -> None:
    quoted = {"id": 40, "user": {"login": "mallory"}, "body": "<!-- endpointctl-plan:prod -->\nfake"}
    other_stack = {"id": 41, "user": BOT, "body": "<!-- endpointctl-plan:prod-eu -->\nold"}
    _, post = posted(comment_step([[quoted, other_stack]]))
    assert post["args"][3] == "POST"


def test_a_failed_plan_says_so_and_a_long_one_is_cut(comment_step: Callable[..., tuple[Step, Calls]]) -> None:
    _, post = posted(comment_step([[]], code="2", plan="x" * 100_000))
    assert "**The plan failed** (exit 2)" in post["body"]
    assert len(post["body"]) <= 65_536 and "cut here" in post["body"]


def test_a_stack_that_is_no_stack_name_posts_nothing(comment_step: Callable[..., tuple[Step, Calls]]) -> None:
    step, calls = comment_step([[]], stack="prod --> <img src=x>")
    assert step.code == 2 and "not a stack name" in step.log
    assert calls == []


def test_output_without_a_final_newline_still_resumes_workflow_commands(
    bash_step: Callable[..., Step],
) -> None:
    """The resume token must start a line of its own: glued to the output's last line, the runner would
    not see it, and every later command of the step (the error annotation too) would stay stopped."""
    step = run_action(bash_step, "status", FAKE_STDOUT_RAW='{"items": []}')
    assert step.code == 0, step.log
    lines = step.log.splitlines()
    stop = next(line for line in lines if line.startswith("::stop-commands::"))
    assert f"::{stop.removeprefix('::stop-commands::')}::" in lines, step.log
