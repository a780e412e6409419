"""A command that prints records prints a document on stdout when nothing matched, too: ``[]`` in JSON and
YAML, its summary in markdown; the exit code (1) and the error on stderr are as before.

A review's repro: `pause nope -o json` printed nothing at all (a pipeline into jq read no document) while
`status -l team=nlpx -o json` printed ``[]``.
"""

from __future__ import annotations

import json
import pathlib
from typing import Any

import pytest
import yaml
from clirunner import Cli
from test_cli_apply import manifest, write

from endpointctl.sandbox import ManualClock, Sandbox

NAMED = ("nope",)
SELECTED = ("-l", "team=nlpx")

# (command, how it matches nothing): a name not there, or a selector matching no endpoint. A named `wait`
# or `smoke` reports the missing endpoint as a failed record, and a named `delete` as already absent.
NOTHING: list[tuple[tuple[str, ...], tuple[str, ...]]] = [
    (("pause",), NAMED),
    (("pause",), SELECTED),
    (("resume",), NAMED),
    (("resume",), SELECTED),
    (("resume", "--wait"), SELECTED),
    (("scale-to-zero",), NAMED),
    (("scale-to-zero",), SELECTED),
    (("delete", "--yes"), SELECTED),
    (("wait",), SELECTED),
    (("smoke",), SELECTED),
    (("status",), NAMED),
    (("status",), SELECTED),
    (("export",), NAMED),
    (("export",), SELECTED),
    (("logs",), NAMED),
    (("replicas",), NAMED),
]


def _id(case: tuple[tuple[str, ...], tuple[str, ...]]) -> str:
    return " ".join(case[0] + case[1])


def parsed(stdout: str, mode: str) -> Any:
    return json.loads(stdout) if mode == "json" else yaml.safe_load(stdout)


@pytest.mark.parametrize("mode", ["json", "yaml"])
@pytest.mark.parametrize("case", NOTHING, ids=_id)
def test_nothing_matched_prints_an_empty_list_and_still_fails(
    cli: Cli, sandbox: Sandbox, case: tuple[tuple[str, ...], tuple[str, ...]], mode: str
) -> None:
    command, matching = case
    run = cli(*command, *matching, "-o", mode)
    assert run.code == 1, run.all
    assert "error: " in run.stderr
    if command == ("export",) and mode == "yaml":
        # export prints the manifests themselves: in YAML a stream of documents, here none (not a list).
        assert run.stdout == "" and list(yaml.safe_load_all(run.stdout)) == []
    else:
        assert parsed(run.stdout, mode) == [], run.all
    assert sandbox.mutating_count() == 0


@pytest.mark.parametrize("case", NOTHING, ids=_id)
def test_nothing_matched_in_markdown_is_a_summary_for_the_pull_request(
    cli: Cli, case: tuple[tuple[str, ...], tuple[str, ...]]
) -> None:
    command, matching = case
    run = cli(*command, *matching, "-o", "markdown")
    assert run.code == 1, run.all
    assert run.stdout.startswith("**"), run.all
    if command[0] not in ("logs", "replicas"):  # those name one endpoint: "0 log lines", "0 replicas"
        assert run.stdout.rstrip().endswith("No endpoints."), run.all
    assert "|" not in run.stdout  # no table with no rows


@pytest.mark.parametrize("command", ["pause", "resume", "scale-to-zero"])
def test_one_name_not_there_changes_nothing_and_prints_no_record(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path, command: str
) -> None:
    """A typo among the names refuses the whole command: nothing changed, so no record, not even for the
    name that is there. (A delete takes an absent name as done already.)"""
    path = write(tmp_path, "m.yaml", manifest())
    assert cli("apply", path, "--yes").code == 0
    clock.advance(10)
    before = sandbox.mutating_count()
    run = cli(command, "gpt2-demo", "nope", "-o", "json")
    assert run.code == 1, run.all
    assert json.loads(run.stdout) == []
    assert "no endpoint matches sandbox-user/nope" in run.stderr
    assert sandbox.mutating_count() == before


def test_a_table_stays_for_people_the_error_says_it(cli: Cli) -> None:
    run = cli("pause", "nope")
    assert (run.code, run.stdout) == (1, "")
    assert "error: no endpoint matches sandbox-user/nope" in run.stderr


@pytest.mark.parametrize("mode", ["json", "yaml"])
def test_export_of_nothing_allowed_prints_no_manifest(cli: Cli, tmp_path: pathlib.Path, mode: str) -> None:
    """With --allow-empty, exit 0: `[]` in JSON (it printed nothing at all), no YAML document."""
    run = cli("export", "-l", "team=nlpx", "--allow-empty", "-o", mode)
    assert run.code == 0, run.all
    assert list(yaml.safe_load_all(run.stdout)) == ([[]] if mode == "json" else [])
    written = cli("export", "-l", "team=nlpx", "--allow-empty", "--dir", str(tmp_path / "out"), "-o", mode)
    assert written.code == 0, written.all
    assert parsed(written.stdout, mode) == []
