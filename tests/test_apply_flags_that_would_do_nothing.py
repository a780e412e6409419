"""apply's flags that would do nothing are refused or said, and --dry-run exits as apply would.

CI review: `--junit-xml` without `--smoke` wrote no file (a later publishing step failed far from the
cause); `--dry-run` added to a deploy's command line ignored `--wait --smoke --junit-xml` in silence and
exited 0 even where apply would refuse a change (exit 1).
"""

from __future__ import annotations

import json
import pathlib
from typing import Any

import pytest
from clirunner import Cli
from test_cli_apply import USER, manifest, write

from endpointctl.sandbox import Sandbox


def test_junit_xml_without_smoke_is_refused_before_any_call(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    report = tmp_path / "smoke.xml"
    result = cli(
        "apply", write(tmp_path, "m.yaml", manifest()), "--yes", "--wait", "--junit-xml", str(report)
    )
    assert result.code == 2, result.all
    assert "--junit-xml needs --smoke" in result.stderr
    assert sum(sandbox.counts().values()) == 0 and not report.exists()


@pytest.mark.parametrize("blocked", [False, True])
def test_a_dry_run_exits_as_apply_would_for_a_change_it_would_refuse(
    cli: Cli, sandbox: Sandbox, client: Any, endpoint_body: Any, tmp_path: pathlib.Path, blocked: bool
) -> None:
    if blocked:  # someone else's endpoint of that name: apply refuses it without --adopt
        assert (
            client.post(
                f"/v2/endpoint/{USER}", json=endpoint_body("gpt2-demo", tags=["owner=alice"])
            ).status_code
            == 200
        )
    path = write(tmp_path, "m.yaml", manifest())
    sandbox.reset_counts()
    dry = cli("apply", path, "--dry-run", "-o", "json")
    assert dry.code == (1 if blocked else 0), dry.all
    said = "1 change(s) blocked: apply would send nothing for them and exit 1"
    assert (said in dry.stderr) is blocked, dry.stderr  # a bare exit 1 in a CI log says nothing (review)
    assert [c["action"] for c in json.loads(dry.stdout)] == ["blocked" if blocked else "create"]
    assert sandbox.mutating_count() == 0
    real = cli("apply", path, "--yes")
    assert real.code == dry.code, real.all  # the dry run told the truth


def test_a_dry_run_says_it_waits_for_nothing_and_smoke_tests_nothing(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    report = tmp_path / "smoke.xml"
    flags = ["--wait", "--smoke", "--junit-xml", str(report), "--timeout", "60"]
    result = cli("apply", write(tmp_path, "m.yaml", manifest()), "--dry-run", *flags)
    assert result.code == 0, result.all
    assert (
        "warning: --wait, --smoke, --junit-xml, --timeout do nothing here: --dry-run changes nothing"
        in result.stderr
    )
    assert sandbox.mutating_count() == 0 and not report.exists()


@pytest.mark.parametrize(("flags", "idle"), [(["--timeout", "5"], "--timeout"), (["--no-logs"], "--no-logs")])
def test_wait_flags_without_a_wait_are_said_to_do_nothing(
    cli: Cli, tmp_path: pathlib.Path, flags: list[str], idle: str
) -> None:
    path = write(tmp_path, "m.yaml", manifest())
    result = cli("apply", path, "--yes", *flags)
    assert result.code == 0, result.all
    assert f"warning: {idle} does nothing here: without --wait or --smoke" in result.stderr
    waited = cli("apply", path, "--yes", "--wait", *flags)
    assert "does nothing here" not in waited.stderr, waited.stderr
