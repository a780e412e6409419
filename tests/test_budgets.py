"""Issue 10: budgets. ``spec.budget: {monthlyUSD: 500}`` blocks a create or update whose most expensive
coming 30 days — maxReplica replicas for every hour its schedule runs, at the catalog's price — would cost
more, with the figures, as the hardware preflight blocks a change: apply sends nothing for it and exits 1,
and the other changes still go ahead. Bad values are manifest problems (exit 2, file:line) found offline.
"""

from __future__ import annotations

import json
import pathlib
from datetime import UTC, datetime

import pytest
from clirunner import Cli
from cost_helpers import (
    CREATE,
    HARDWARE,
    UPDATE,
    berlin,
    by_name,
    line_of,
    manifest,
    no_price_for,
    set_clock,
    write,
)

from endpointctl.sandbox import ManualClock, Sandbox

# nvidia-l4 x1 at $0.80/h, maxReplica 2, always on for 30 days: 2 x 720 x 0.80 = $1,152.00.
OVER = (
    "$1,152.00 at most in the next 30 days (2 x 720 h x $0.80/h) is more than spec.budget.monthlyUSD $500.00"
)


def test_a_create_over_its_budget_is_blocked_with_the_figures_and_the_rest_proceeds(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    path = write(
        tmp_path / "m",
        big=manifest("big", max_replica=2, budget="500"),
        small=manifest("small", instance="intel-spr x1", max_replica=1, budget="500"),
    )
    sandbox.reset_counts()
    planned = cli("plan", path, "-o", "json")
    assert planned.code == 0, planned.all
    records = by_name(planned.stdout)
    assert records["big"]["action"] == "blocked" and records["big"]["steps"] == []
    assert OVER in records["big"]["reason"]
    assert "raise spec.budget.monthlyUSD" in records["big"]["reason"]
    assert records["big"]["cost"]["after"] == {"min": 0.8, "max": 1.6}  # what it would cost: the figures
    assert records["small"]["action"] == "create"
    assert (
        "budget: $24.48 at most in the next 30 days (1 x 720 h x $0.034/h), within $500.00"
        in records["small"]["notes"]
    )
    assert sandbox.counts()[HARDWARE] == 1 and sandbox.mutating_count() == 0  # no call of its own

    text = cli("plan", path).stdout
    assert "! blocked sandbox-user/big" in text and f"blocked: over budget: {OVER}" in text
    # The total counts the blocked create as what it costs now: nothing.
    assert "Cost per hour: $0.00/h -> $0.034/h (2 endpoint(s), USD)." in text

    sandbox.reset_counts()
    applied = cli("apply", path, "--yes", "-o", "json")
    assert applied.code == 1, applied.all
    results = by_name(applied.stdout)
    assert results["big"]["outcome"] == "blocked" and OVER in results["big"]["error"]
    assert results["small"]["outcome"] == "ok"
    assert sandbox.counts()[CREATE] == 1


def test_a_budget_that_covers_it_lets_it_through(cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path) -> None:
    path = write(tmp_path / "m", big=manifest("big", max_replica=2, budget="1152"))  # exactly: not more
    (record,) = json.loads(cli("plan", path, "-o", "json").stdout)
    assert record["action"] == "create"
    assert (
        "budget: $1,152.00 at most in the next 30 days (2 x 720 h x $0.80/h), within $1,152.00"
        in record["notes"]
    )
    sandbox.reset_counts()
    assert cli("apply", path, "--yes").code == 0
    assert sandbox.counts()[CREATE] == 1


def test_a_schedule_counts_only_its_hours(cli: Cli, clock: ManualClock, tmp_path: pathlib.Path) -> None:
    # From midnight on 1 October 2026 in Berlin, 30 days reach 23:00 on the 30th (clocks go back on the
    # 25th): 22 weekdays x 12 h = 264 h; 2 x 264 x 0.80 = $422.40, within 500 where always-on is not.
    set_clock(clock, datetime(2026, 9, 30, 22, tzinfo=UTC))
    office = manifest("office", max_replica=2, budget="500", schedule=berlin("Mon-Fri 08:00-20:00"))
    (record,) = json.loads(cli("plan", write(tmp_path / "m", office=office), "-o", "json").stdout)
    assert record["action"] == "create", record
    assert (
        "budget: $422.40 at most in the next 30 days (2 x 264 h x $0.80/h), within $500.00" in record["notes"]
    )


def test_an_update_that_scales_past_the_budget_is_blocked_and_nothing_is_sent(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    path = write(tmp_path / "m", l4=manifest("l4", min_replica=1, max_replica=1, budget="600"))
    assert cli("apply", path, "--yes").code == 0  # 1 x 720 x 0.80 = 576: within
    write(tmp_path / "m", l4=manifest("l4", min_replica=1, max_replica=3, budget="600"))
    sandbox.reset_counts()
    run = cli("apply", path, "--yes", "-o", "json")
    assert run.code == 1, run.all
    (result,) = json.loads(run.stdout)
    assert result["outcome"] == "blocked"
    assert "$1,728.00 at most in the next 30 days (3 x 720 h x $0.80/h) is more than" in result["error"]
    assert sandbox.mutating_count() == 0 and UPDATE not in sandbox.counts()

    # Raising the budget (the README's way out) lets the same change through.
    write(tmp_path / "m", l4=manifest("l4", min_replica=1, max_replica=3, budget="2000"))
    assert cli("apply", path, "--yes").code == 0
    assert sandbox.counts()[UPDATE] == 1


def test_pause_resume_and_delete_are_never_blocked(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    path = write(tmp_path / "m", l4=manifest("l4", max_replica=1, budget="1000"))
    assert cli("apply", path, "--stack", "s", "--yes").code == 0
    write(tmp_path / "m", l4=manifest("l4", max_replica=1, budget="1", state="paused"))
    (record,) = json.loads(cli("plan", path, "-o", "json").stdout)
    assert record["action"] == "pause", record  # saving money is never over budget


def test_an_unknown_price_never_blocks(cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path) -> None:
    sandbox.add_middleware(no_price_for("nvidia-l4"))
    path = write(tmp_path / "m", l4=manifest("l4", max_replica=2, budget="1"))
    (record,) = json.loads(cli("plan", path, "-o", "json").stdout)
    assert record["action"] == "create"
    assert "budget not checked: its price per hour is unknown" in record["notes"]


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("0", "greater than 0"),
        ("-5", "greater than 0"),
        ('"500"', "found text '500'"),
        ("yes", "found a boolean"),
        ("lots", "found text 'lots'"),
        ("[500]", "monthlyUSD"),
    ],
)
def test_a_bad_budget_is_a_manifest_problem_found_offline(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path, value: str, said: str
) -> None:
    path = write(tmp_path / "m", a=manifest("a", budget=value))
    line = line_of(tmp_path / "m" / "a.yaml", "monthlyUSD")
    sandbox.reset_counts()
    run = cli("validate", path)
    assert run.code == 2, run.all
    assert f"a.yaml:{line}" in run.stderr and said in run.stderr, run.stderr
    issues = json.loads(cli("plan", path, "-o", "json").stdout)
    assert [(i["line"], i["path"]) for i in issues] == [(line, "spec.budget.monthlyUSD")]
    assert sandbox.counts() == {}


def test_a_budget_from_a_variable_and_a_misspelt_key(cli: Cli, tmp_path: pathlib.Path) -> None:
    path = write(tmp_path / "m", a=manifest("a", budget='"${BUDGET}"'))
    assert cli("validate", path, env={"BUDGET": "750.50"}).code == 0
    typo = write(tmp_path / "t", a=manifest("a").replace("spec:\n", "spec:\n  budget: {monthlyUSDs: 5}\n"))
    run = cli("validate", typo)
    assert run.code == 2 and "monthlyUSD" in run.stderr, run.all
