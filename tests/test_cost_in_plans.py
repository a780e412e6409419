"""Issue 10: money in every plan. Each change shows its hourly cost before -> after as a range
(minReplica..maxReplica replicas running), the plan ends with a total, and the JSON record carries
``cost: {currency, before: {min, max}, after: {min, max}}``.

Through the sandbox over loopback, counting calls: prices come from the hardware catalog the preflight
reads anyway (one call per namespace), so money in a plan costs no call of its own. A paused endpoint
costs 0/h. An unknown price is unknown (null, "unknown"), never 0, and never blocks.
"""

from __future__ import annotations

import json
import pathlib
from datetime import UTC, datetime
from decimal import Decimal

from clirunner import Cli
from cost_helpers import CREATE, HARDWARE, LIST, berlin, by_name, manifest, no_price_for, set_clock, write

from endpointctl.core.endpoint import Hardware, Status
from endpointctl.core.money import ChangeCost, Hourly
from endpointctl.core.plan import Action, Change, Plan, Step, StepKind
from endpointctl.sandbox import ManualClock, Sandbox

USD = "USD"


def priced(cli: Cli, path: str, *flags: str) -> dict[str, dict[str, object]]:
    run = cli("plan", path, "-o", "json", *flags)
    assert run.code == 0, run.all
    return by_name(run.stdout)


def test_a_create_costs_nothing_before_and_its_replica_range_after(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    path = write(tmp_path / "m", l4=manifest("l4", min_replica=1, max_replica=2))
    sandbox.reset_counts()
    record = priced(cli, path)["l4"]
    assert record["cost"] == {"currency": USD, "before": None, "after": {"min": 0.8, "max": 1.6}}
    # Prices come from the preflight's catalog call: still one per namespace, and one listing.
    assert sandbox.counts()[HARDWARE] == 1 and sandbox.counts()[LIST] == 1
    assert sandbox.mutating_count() == 0

    text = cli("plan", path)
    assert "      cost: (none) -> $0.80..$1.60/h" in text.stdout, text.all
    assert text.stdout.rstrip().endswith("Cost per hour: $0.00/h -> $0.80..$1.60/h (1 endpoint(s), USD).")


def test_prices_are_exact_decimals(cli: Cli, tmp_path: pathlib.Path) -> None:
    # 0.067 x 3 is 0.20100000000000001 in binary floating point; money is exact.
    path = write(tmp_path / "m", cpu=manifest("cpu", instance="intel-spr x2", min_replica=0, max_replica=3))
    assert priced(cli, path)["cpu"]["cost"] == {
        "currency": USD,
        "before": None,
        "after": {"min": 0, "max": 0.201},
    }
    assert "cost: (none) -> $0.00..$0.201/h" in cli("plan", path).stdout


def test_a_scale_change_shows_before_and_after(cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path) -> None:
    path = write(tmp_path / "m", l4=manifest("l4", min_replica=1, max_replica=1))
    assert cli("apply", path, "--yes").code == 0
    write(tmp_path / "m", l4=manifest("l4", min_replica=1, max_replica=3))
    sandbox.reset_counts()
    record = priced(cli, path)["l4"]
    assert record["action"] == "update"
    assert record["cost"] == {
        "currency": USD,
        "before": {"min": 0.8, "max": 0.8},
        "after": {"min": 0.8, "max": 2.4},
    }
    assert sandbox.counts()[HARDWARE] == 1 and sandbox.mutating_count() == 0
    assert "      cost: $0.80/h -> $0.80..$2.40/h" in cli("plan", path).stdout


def test_a_delete_costs_nothing_after(cli: Cli, tmp_path: pathlib.Path) -> None:
    path = write(tmp_path / "m", keep=manifest("keep"), gone=manifest("gone", min_replica=2, max_replica=2))
    assert cli("apply", path, "--stack", "s", "--yes").code == 0
    (tmp_path / "m" / "gone.yaml").unlink()
    record = priced(cli, path, "--prune", "--stack", "s")["gone"]
    assert record["action"] == "delete"
    assert record["cost"] == {"currency": USD, "before": {"min": 1.6, "max": 1.6}, "after": None}
    text = cli("plan", path, "--prune", "--stack", "s").stdout
    assert "      cost: $1.60/h -> (none)" in text
    # The total counts every endpoint of the plan, the unchanged one too.
    assert "Cost per hour: $2.40..$3.20/h -> $0.80..$1.60/h (2 endpoint(s), USD)." in text


def test_a_paused_endpoint_costs_nothing(cli: Cli, clock: object, tmp_path: pathlib.Path) -> None:
    path = write(tmp_path / "m", l4=manifest("l4", min_replica=1, max_replica=2))
    assert cli("apply", path, "--yes").code == 0
    write(tmp_path / "m", l4=manifest("l4", min_replica=1, max_replica=2, state="paused"))
    record = priced(cli, path)["l4"]
    assert record["action"] == "pause"
    assert record["cost"] == {
        "currency": USD,
        "before": {"min": 0.8, "max": 1.6},
        "after": {"min": 0, "max": 0},
    }
    assert cli("apply", path, "--yes").code == 0

    # Paused, then resumed by the manifest: from nothing back to its range.
    write(tmp_path / "m", l4=manifest("l4", min_replica=1, max_replica=2, state="running"))
    record = priced(cli, path)["l4"]
    assert record["action"] in ("resume", "update"), record
    assert record["cost"]["before"] == {"min": 0, "max": 0}  # type: ignore[index]
    assert record["cost"]["after"] == {"min": 0.8, "max": 1.6}  # type: ignore[index]


def test_an_update_of_a_paused_endpoint_keeps_it_costing_nothing(cli: Cli, tmp_path: pathlib.Path) -> None:
    path = write(tmp_path / "m", l4=manifest("l4"))
    assert cli("apply", path, "--yes").code == 0
    assert cli("pause", "l4").code == 0
    write(tmp_path / "m", l4=manifest("l4", team="nlp"))  # a new label; no state: it stays paused
    record = priced(cli, path)["l4"]
    assert record["action"] == "update"
    assert record["cost"] == {"currency": USD, "before": {"min": 0, "max": 0}, "after": {"min": 0, "max": 0}}


def test_an_unknown_price_is_unknown_never_zero(cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path) -> None:
    sandbox.add_middleware(no_price_for("nvidia-l4"))
    path = write(
        tmp_path / "m", l4=manifest("l4"), cpu=manifest("cpu", instance="intel-spr x2", max_replica=1)
    )
    sandbox.reset_counts()
    records = priced(cli, path)
    assert records["l4"]["cost"] == {"currency": USD, "before": None, "after": {"min": None, "max": None}}
    assert records["cpu"]["cost"] == {"currency": USD, "before": None, "after": {"min": 0.067, "max": 0.067}}
    text = cli("plan", path).stdout
    assert "      cost: (none) -> unknown" in text
    assert (
        "Cost per hour: $0.00/h -> $0.067/h (1 endpoint(s), USD; not counted, cost unknown: sandbox-user/l4)."
        in text
    )
    # Unknown never blocks: both are created.
    sandbox.reset_counts()
    assert cli("apply", path, "--yes").code == 0
    assert sandbox.counts()[CREATE] == 2


def test_a_null_price_is_unknown_in_the_hardware_list_too(cli: Cli, sandbox: Sandbox) -> None:
    sandbox.add_middleware(no_price_for("nvidia-l4", null=True))
    rows = json.loads(cli("hardware", "--accelerator", "gpu", "-o", "json").stdout)
    l4 = [r for r in rows if r["instanceType"] == "nvidia-l4"]
    assert l4 and all(r["pricePerHour"] is None for r in l4)
    assert any(r["pricePerHour"] == 0.5 for r in rows)  # others keep theirs
    table = cli("hardware", "--accelerator", "gpu").stdout
    assert any("nvidia-l4" in line and "unknown" in line for line in table.splitlines())


def test_an_unchanged_plan_still_ends_with_its_total(cli: Cli, tmp_path: pathlib.Path) -> None:
    path = write(tmp_path / "m", a=manifest("a", max_replica=1), b=manifest("b", instance="intel-spr x1"))
    assert cli("apply", path, "--yes").code == 0
    text = cli("plan", path).stdout
    assert "No changes." in text
    assert "Cost per hour: $0.834..$0.868/h -> $0.834..$0.868/h (2 endpoint(s), USD)." in text
    assert json.loads(cli("plan", path, "-o", "json").stdout) == []  # nothing to do, nothing listed


def test_a_scheduled_create_outside_its_windows_costs_nothing_after(
    cli: Cli, clock: ManualClock, tmp_path: pathlib.Path
) -> None:
    set_clock(clock, datetime(2026, 10, 3, 10, tzinfo=UTC))  # a Saturday, noon in Berlin
    office = manifest("office", schedule=berlin("Mon-Fri 08:00-20:00"))
    path = write(tmp_path / "m", office=office)
    record = priced(cli, path)["office"]
    assert record["steps"] == ["create", "pause"]
    assert record["cost"] == {"currency": USD, "before": None, "after": {"min": 0, "max": 0}}
    set_clock(clock, datetime(2026, 10, 5, 7, tzinfo=UTC))  # Monday, 09:00 in Berlin: inside
    record = priced(cli, path)["office"]
    assert record["steps"] == ["create"]
    assert record["cost"] == {"currency": USD, "before": None, "after": {"min": 0.8, "max": 1.6}}


# -- the pure parts ------------------------------------------------------------------------------------


def test_the_total_counts_a_blocked_change_at_what_it_costs_now() -> None:
    from endpointctl.core.cost import total

    blocked = Change(
        "a",
        "ns",
        Action.BLOCKED,
        cost=ChangeCost(Hourly(Decimal(1), Decimal(2)), Hourly(Decimal(5), Decimal(9))),
    )
    created = Change(
        "b",
        "ns",
        Action.CREATE,
        steps=(Step(StepKind.CREATE),),
        cost=ChangeCost(None, Hourly(Decimal("0.5"), Decimal(1))),
    )
    unpriced = Change("c", "ns", Action.NOOP)  # not priced at all: not in the total, not "unknown"
    summed = total(Plan((blocked, created, unpriced)))
    assert summed.before == Hourly(Decimal(1), Decimal(2))
    assert summed.after == Hourly(Decimal("1.5"), Decimal(3))
    assert summed.counted == 2 and summed.unknown == ()


def _intel_spr_x2() -> Hardware:
    return Hardware(
        "aws",
        "us-east-1",
        "cpu",
        "intel-spr",
        "x2",
        "x86",
        2,
        8.0,
        None,
        Decimal("0.067"),
        "available",
        None,
        None,
    )


def test_replicas_not_reported_are_unknown() -> None:
    from builders import desired, live

    from endpointctl.core.cost import change_cost

    row = _intel_spr_x2()
    ep = live(min_replica=None, max_replica=None, status=Status.RUNNING)
    change = Change(
        "gpt2-demo",
        "acme",
        Action.UPDATE,
        steps=(Step(StepKind.UPDATE),),
        desired=desired(scaling=None),
        live=ep,
    )
    cost = change_cost(change, [row])
    assert cost.before == Hourly(None, None) and cost.after == Hourly(None, None)


def test_paused_costs_nothing_whatever_replicas_it_reports() -> None:
    from builders import desired, live

    from endpointctl.core.cost import change_cost

    row = _intel_spr_x2()
    paused = live(status=Status.PAUSED, min_replica=1, max_replica=2)
    pause = Change("gpt2-demo", "acme", Action.NOOP, desired=desired(), live=paused)
    assert change_cost(pause, [row]) == ChangeCost(
        Hourly(Decimal(0), Decimal(0)), Hourly(Decimal(0), Decimal(0))
    )
    running = live(min_replica=1, max_replica=2)
    pausing = Change(
        "gpt2-demo", "acme", Action.PAUSE, steps=(Step(StepKind.PAUSE),), desired=desired(), live=running
    )
    assert change_cost(pausing, [row]) == ChangeCost(
        Hourly(Decimal("0.067"), Decimal("0.134")), Hourly(Decimal(0), Decimal(0))
    )
