"""Issue 10 review: schedules, money and leased runs against their contract's edges."""

from __future__ import annotations

import json
import pathlib
from typing import Any

import pytest
from clirunner import Cli
from rewritten_answers import each_endpoint, rewrite
from test_cli_apply import manifest, write
from test_leased_runs import deploy, python

from endpointctl.sandbox import Sandbox


def test_run_does_not_show_a_token_passed_in_command_arguments(
    cli: Cli, sandbox: Sandbox, clock: Any, token: str, tmp_path: pathlib.Path
) -> None:
    deploy(cli, clock, tmp_path, then="pause")
    result = cli("run", "job", "--", *python("pass"), "--token", token)
    assert result.code == 0, result.all
    assert token not in result.all


def test_run_with_token_flag_does_not_put_it_in_the_command_env(
    cli: Cli, sandbox: Sandbox, clock: Any, token: str, tmp_path: pathlib.Path
) -> None:
    deploy(cli, clock, tmp_path, then="pause")
    seen = tmp_path / "env.json"
    code = f"import json, os, pathlib; pathlib.Path({str(seen)!r}).write_text(json.dumps(dict(os.environ)))"
    result = cli("--token", token, "run", "job", "--", *python(code), env={"HF_TOKEN": ""})
    assert result.code == 0, result.all
    env = json.loads(seen.read_text())
    assert token not in json.dumps(env)


# -- odd zones, instants and months: exit 2, never a crash -------------------------------------------------

SCHEDULE = "  schedule:\n    timezone: {zone}\n    running: ['Mon-Fri 08:00-20:00']\n{extra}"


def _scheduled(tmp_path: pathlib.Path, zone: str = "Europe/Berlin", extra: str = "") -> str:
    text = manifest("office").rstrip("\n") + "\n" + SCHEDULE.format(zone=zone, extra=extra)
    return write(tmp_path, "s.yaml", text)


@pytest.mark.parametrize(
    "zone", ["localtime", "posixrules", "Local", "UTC+1", "../etc/passwd", "'Europe/Berlin '"]
)
def test_a_zone_that_is_not_an_iana_name_is_refused_on_every_machine(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path, zone: str
) -> None:
    # `localtime` is a file in many systems' zoneinfo directory: this machine's own zone, whatever it is.
    path = _scheduled(tmp_path, zone)
    sandbox.reset_counts()
    run = cli("validate", path)
    assert run.code == 2, run.all
    assert (
        "s.yaml:" in run.stderr
        and "spec.schedule.timezone" in run.stderr
        and "unknown time zone" in run.stderr
    )
    assert sandbox.counts() == {}


@pytest.mark.parametrize(
    ("argv", "flag"),
    [
        (("schedule", "show", "{path}", "--from", "0001-01-01T00:00:00+01:00"), "--from"),
        (("schedule", "show", "{path}", "--from", "9999-12-30T00:00:00+00:00"), "--from"),
        (("schedule", "run", "{path}", "--at", "9999-12-31T23:00:00+00:00"), "--at"),
        (("schedule", "run", "{path}", "--at", "0001-01-01T00:00:00Z", "--dry-run"), "--at"),
        (("cost", "{path}", "--month", "9999-12"), "--month"),
        (("cost", "{path}", "--month", "0000-01"), "--month"),
    ],
)
def test_instants_and_months_at_the_calendars_ends_are_usage_errors_before_any_call(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path, argv: tuple[str, ...], flag: str
) -> None:
    path = _scheduled(tmp_path)
    sandbox.reset_counts()
    run = cli(*(path if a == "{path}" else a for a in argv))
    assert run.code == 2, run.all
    assert flag in run.stderr and "out of range" in run.stderr and "bug" not in run.stderr, run.stderr
    assert sandbox.counts() == {}


def test_an_except_range_to_the_end_of_the_calendar_is_no_crash(
    cli: Cli, sandbox: Sandbox, clock: Any, tmp_path: pathlib.Path
) -> None:
    # "Paused from now on": a range to 9999-12-31. Its next change is none, not an overflow.
    path = _scheduled(tmp_path, extra="    except: ['2000-01-01..9999-12-31']\n")
    assert cli("apply", path, "--yes").code == 0
    clock.advance(10)
    run = cli("schedule", "run", path, "-o", "json")
    assert run.code == 0, run.all
    (record,) = json.loads(run.stdout)
    assert (record["desired"], record["before"], record["nextChange"]) == ("paused", "paused", None)
    plan = cli("plan", path)
    assert plan.code == 0 and "bug" not in plan.all, plan.all
    shown = cli("schedule", "show", path, "--from", "2999-12-31T00:00:00Z", "--days", "366", "-o", "json")
    assert shown.code == 0 and json.loads(shown.stdout)[0]["transitions"] == [], shown.all


# -- leases ------------------------------------------------------------------------------------------------


def test_no_file_a_run_writes_holds_the_command_s_arguments(
    cli: Cli, clock: Any, tmp_path: pathlib.Path
) -> None:
    deploy(cli, clock, tmp_path, then="pause")
    leases = tmp_path / "leases"
    code = (
        "import pathlib, sys; "
        f"root = pathlib.Path({str(tmp_path)!r}); "
        "files = [p for p in root.rglob('*') if p.is_file() and p.suffix != '.yaml']; "
        "texts = [p.read_text(errors='replace') for p in files]; "
        "sys.exit(5 if any('pw-0123456789' in t for t in texts) else 0)"
    )
    result = cli("run", "job", "--", *python(code), "--password", "pw-0123456789")
    assert result.code == 0, result.all
    assert leases.exists()
    # Nor what it prints: the program is named, its arguments only counted.
    assert "pw-0123456789" not in result.all
    assert "running " in result.stderr and "argument(s)" in result.stderr


# -- schedule run: what it must leave alone ------------------------------------------------------------------

OFFICE = {"timezone": "Europe/Berlin", "running": ["Mon-Fri 08:00-20:00"]}
LIST = "GET /v2/endpoint/{namespace}"


@pytest.mark.parametrize("at", ["2026-03-23T10:00:00+01:00", "2026-03-23T21:00:00+01:00"])
def test_an_unknown_state_is_left_alone_with_a_note(
    cli: Cli, sandbox: Sandbox, clock: Any, tmp_path: pathlib.Path, at: str
) -> None:
    path = write(tmp_path, "s.yaml", manifest("office", schedule=OFFICE))
    (tmp_path / "setup").mkdir()
    assert cli("apply", write(tmp_path / "setup", "m.yaml", manifest("office")), "--yes").code == 0
    clock.advance(10)
    rewrite(sandbox, LIST, each_endpoint(lambda item: item["status"].update(state="hibernating")))
    sandbox.reset_counts()
    run = cli("schedule", "run", path, "--at", at, "-o", "json")
    assert run.code == 0, run.all
    (record,) = json.loads(run.stdout)
    assert (record["before"], record["action"], record["outcome"]) == ("hibernating", "none", "unchanged")
    assert any("not one endpointctl knows" in note for note in record["notes"]), record
    assert sandbox.mutating_count() == 0


def test_an_endpoint_endpointctl_does_not_manage_is_left_alone_and_exits_1(
    cli: Cli, sandbox: Sandbox, clock: Any, tmp_path: pathlib.Path
) -> None:
    path = write(tmp_path, "s.yaml", manifest("office", schedule=OFFICE))
    (tmp_path / "setup").mkdir()
    assert cli("apply", write(tmp_path / "setup", "m.yaml", manifest("office")), "--yes").code == 0
    clock.advance(10)
    rewrite(sandbox, LIST, each_endpoint(lambda item: item.update(tags=[])))
    sandbox.reset_counts()
    run = cli("schedule", "run", path, "--at", "2026-03-23T21:00:00+01:00", "-o", "json")
    assert run.code == 1, run.all
    (record,) = json.loads(run.stdout)
    assert (record["action"], record["outcome"]) == ("none", "blocked") and "not managed" in record["error"]
    assert sandbox.mutating_count() == 0
