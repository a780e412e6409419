"""Issue 10: ``endpointctl cost PATH... [--month YYYY-MM]`` projects a month per endpoint and in total.

Against hand-computed months, one in each direction of a DST change (Europe/Berlin: March 2026 has 743
hours, October 2026 745), through the sandbox over loopback: one hardware call per namespace and nothing
else of the API's. Money is exact and rounded once, to cents, half up; an unknown price is null.
"""

from __future__ import annotations

import json
import pathlib
from datetime import UTC, date, datetime
from decimal import Decimal

from clirunner import Cli
from cost_helpers import HARDWARE, LIST, SPR_X1, berlin, by_name, manifest, no_price_for, set_clock, write
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from endpointctl.core import money
from endpointctl.core.projection import Month, project
from endpointctl.core.spec import Desired, Manifest
from endpointctl.sandbox import ManualClock, Sandbox

KEYS = {
    "name", "namespace", "pricePerHour", "replicas", "hoursAlwaysOn", "hoursScheduled", "monthlyAlwaysOn",
    "monthlyScheduled", "monthlyMax", "saving", "currency", "month", "timezone", "maxReplicas",
}  # fmt: skip


def cost(cli: Cli, *args: str) -> dict[str, dict[str, object]]:
    run = cli("cost", *args, "-o", "json")
    assert run.code == 0, run.all
    return by_name(run.stdout)


def test_october_in_berlin_has_745_hours_and_weekday_windows(cli: Cli, tmp_path: pathlib.Path) -> None:
    # Oct 2026: 22 weekdays x 12 h = 264 h inside the windows; clocks go back on Sunday the 25th.
    office = manifest("office", min_replica=1, max_replica=2, schedule=berlin("Mon-Fri 08:00-20:00"))
    path = write(tmp_path / "m", office=office)
    record = cost(cli, path, "--month", "2026-10")["office"]
    assert set(record) == KEYS
    assert record == {
        "name": "office",
        "namespace": "sandbox-user",
        "month": "2026-10",
        "timezone": "Europe/Berlin",
        "pricePerHour": 0.8,
        "replicas": 1,
        "maxReplicas": 2,
        "hoursAlwaysOn": 745,
        "hoursScheduled": 264,
        "monthlyAlwaysOn": 596,  # 745 x 0.80
        "monthlyScheduled": 211.2,  # 264 x 0.80
        "monthlyMax": 422.4,  # 2 x 264 x 0.80
        "saving": 384.8,
        "currency": "USD",
    }


def test_march_in_berlin_has_743_hours_and_a_window_across_the_jump(cli: Cli, tmp_path: pathlib.Path) -> None:
    # 01:00-04:00 daily is 3 h, except on 29 March 2026, when 02:00 jumps to 03:00: 30 x 3 + 2 = 92 h.
    night = manifest(
        "night", instance="intel-spr x1", min_replica=0, max_replica=3, schedule=berlin("daily 01:00-04:00")
    )
    record = cost(cli, write(tmp_path / "m", night=night), "--month", "2026-03")["night"]
    assert record["hoursAlwaysOn"] == 743 and record["hoursScheduled"] == 92
    assert record["replicas"] == 1  # max(minReplica 0, 1)
    assert record["pricePerHour"] == float(SPR_X1)
    assert record["monthlyAlwaysOn"] == 25.26  # 743 x 0.034 = 25.262
    assert record["monthlyScheduled"] == 3.13  # 92 x 0.034 = 3.128
    assert record["monthlyMax"] == 9.38  # 3 x 92 x 0.034 = 9.384
    assert record["saving"] == 22.13  # 25.26 - 3.13: the figures shown, exactly


def test_without_a_schedule_every_hour_counts_and_nothing_is_saved(cli: Cli, tmp_path: pathlib.Path) -> None:
    always = manifest("always", instance="intel-spr x2", min_replica=2, max_replica=4)
    record = cost(cli, write(tmp_path / "m", always=always), "--month", "2026-02")["always"]
    assert record["timezone"] == "UTC"
    assert record["hoursAlwaysOn"] == record["hoursScheduled"] == 672
    assert record["monthlyAlwaysOn"] == record["monthlyScheduled"] == 90.05  # 672 x 2 x 0.067 = 90.048
    assert record["monthlyMax"] == 180.1  # 672 x 4 x 0.067 = 180.096
    assert record["saving"] == 0


def test_a_paused_manifest_runs_no_hours(cli: Cli, tmp_path: pathlib.Path) -> None:
    parked = manifest("parked", state="paused", min_replica=1, max_replica=1)
    record = cost(cli, write(tmp_path / "m", parked=parked), "--month", "2026-04")["parked"]
    assert record["hoursScheduled"] == 0 and record["monthlyScheduled"] == 0 and record["monthlyMax"] == 0
    assert record["saving"] == record["monthlyAlwaysOn"] == 576  # 720 x 0.80


def test_the_default_month_is_the_current_one_in_each_endpoints_zone(
    cli: Cli, clock: ManualClock, sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    # 22:30 UTC on 30 September is already 00:30 on 1 October in Berlin.
    set_clock(clock, datetime(2026, 9, 30, 22, 30, tzinfo=UTC))
    path = write(
        tmp_path / "m",
        utc=manifest("utc"),
        berlin=manifest("berlin", schedule=berlin("daily 00:00-24:00"), namespace="acme"),
    )
    sandbox.reset_counts()
    records = cost(cli, path)
    assert (records["utc"]["month"], records["utc"]["hoursAlwaysOn"]) == ("2026-09", 720)
    assert (records["berlin"]["month"], records["berlin"]["hoursAlwaysOn"]) == ("2026-10", 745)
    assert records["berlin"]["hoursScheduled"] == 745  # running all day, every day
    # One hardware call per namespace; no listing, nothing changed.
    assert sandbox.counts()[HARDWARE] == 2
    assert LIST not in sandbox.counts() and sandbox.mutating_count() == 0


def test_the_table_ends_with_the_total(cli: Cli, tmp_path: pathlib.Path) -> None:
    path = write(
        tmp_path / "m",
        office=manifest("office", schedule=berlin("Mon-Fri 08:00-20:00")),
        cpu=manifest("cpu", instance="intel-spr x2", min_replica=2, max_replica=4),
    )
    run = cli("cost", path, "--month", "2026-10")
    assert run.code == 0, run.all
    total = next(line for line in run.stdout.splitlines() if line.startswith("TOTAL")).split()
    # office: 596.00, 211.20, 422.40, 384.80; cpu (744 h in UTC): 99.70, 99.70, 199.39, 0.00.
    assert total[1:] == ["$695.70", "$310.90", "$621.79", "$384.80"]


def test_an_unknown_price_is_null_and_left_out_of_the_total(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    sandbox.add_middleware(no_price_for("nvidia-l4"))
    path = write(
        tmp_path / "m", l4=manifest("l4"), cpu=manifest("cpu", instance="intel-spr x1", max_replica=1)
    )
    record = cost(cli, path, "--month", "2026-10")["l4"]
    assert record["pricePerHour"] is None and record["hoursAlwaysOn"] == 744
    for key in ("monthlyAlwaysOn", "monthlyScheduled", "monthlyMax", "saving"):
        assert record[key] is None, key
    table = cli("cost", path, "--month", "2026-10").stdout
    assert "Price unknown (not in the total): sandbox-user/l4." in table
    assert next(line for line in table.splitlines() if line.startswith("TOTAL")).split()[1] == "$25.30"


def test_a_month_that_is_not_one_is_a_usage_error(cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path) -> None:
    path = write(tmp_path / "m", a=manifest("a"))
    sandbox.reset_counts()
    for month in ("2026-13", "2026-1", "October", "2026-00"):
        run = cli("cost", path, "--month", month)
        assert run.code == 2, (month, run.all)
        assert "YYYY-MM" in run.stderr
    assert sandbox.counts() == {}


# -- the arithmetic, over many prices, replicas, months and schedules ---------------------------------

WINDOWS = [
    "Mon-Fri 08:00-20:00",
    "daily 01:00-04:00",
    "Sat 22:00-02:00",
    "Mon,Wed,Fri 00:30-23:45",
    "Sun 02:00-03:00",
]


def _desired(min_replica: int, max_replica: int, windows: list[str], zone: str) -> Desired:
    spec: dict[str, object] = {
        "model": {"repository": "openai-community/gpt2"},
        "provider": {"vendor": "aws", "region": "us-east-1"},
        "compute": {"accelerator": "cpu", "instanceType": "intel-spr", "instanceSize": "x1"},
        "scaling": {"minReplica": min_replica, "maxReplica": max_replica},
    }
    if windows:
        spec["schedule"] = {"timezone": zone, "running": windows}
    doc = {
        "apiVersion": "endpointctl/v1",
        "kind": "InferenceEndpoint",
        "metadata": {"name": "a"},
        "spec": spec,
    }
    return Desired(Manifest.model_validate(doc), source="t.yaml:1")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    price=st.decimals(min_value=0, max_value=100, places=4, allow_nan=False, allow_infinity=False),
    replicas=st.integers(0, 10).flatmap(lambda low: st.tuples(st.just(low), st.integers(max(low, 1), 12))),
    windows=st.lists(st.sampled_from(WINDOWS), max_size=3, unique=True),
    zone=st.sampled_from(["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "UTC"]),
    month=st.builds(Month, st.integers(2025, 2028), st.integers(1, 12)),
)
def test_the_figures_keep_their_identities(
    price: Decimal, replicas: tuple[int, int], windows: list[str], zone: str, month: Month
) -> None:
    low, high = replicas
    p = project("ns", _desired(low, high, windows, zone), price, month)
    always, scheduled, most, saving = p.monthly_always_on, p.monthly_scheduled, p.monthly_max, p.saving
    assert always is not None and scheduled is not None and most is not None and saving is not None
    assert p.replicas == max(low, 1) and p.max_replicas == high
    assert 0 <= p.scheduled <= p.always_on
    assert saving == always - scheduled >= 0
    assert most >= scheduled
    for figure in (always, scheduled, most, saving):
        assert figure == figure.quantize(money.CENT)  # whole cents
    assert always == money.cents(price * p.replicas * p.always_on / 3600)
    # Every day of the month, give or take the DST shift (Lord Howe's is half an hour).
    following = date(month.year + 1, 1, 1) if month.month == 12 else date(month.year, month.month + 1, 1)
    days = (following - date(month.year, month.month, 1)).days
    assert abs(p.always_on - days * 86400) in ((0, 1800) if zone.startswith("Australia") else (0, 3600))
    if not windows:
        assert p.scheduled == p.always_on and saving == 0


def test_months_are_counted_in_the_zone() -> None:
    from zoneinfo import ZoneInfo

    berlin_zone = ZoneInfo("Europe/Berlin")
    start, end = Month(2026, 10).bounds(berlin_zone)
    assert start == datetime(2026, 9, 30, 22, tzinfo=UTC) and end == datetime(2026, 10, 31, 23, tzinfo=UTC)
    assert Month.parse("2026-03") == Month(2026, 3) and str(Month(2026, 3)) == "2026-03"
    assert json.dumps(str(Month(2027, 12))) == '"2027-12"'


def test_money_is_rounded_once_to_cents_half_up() -> None:
    assert money.for_seconds(Decimal("0.025"), 1, 3600) == Decimal("0.03")  # half-even would say 0.02
    assert money.for_seconds(Decimal("0.067"), 3, 1800) == Decimal("0.10")  # 0.1005: rounded once, at the end
    assert money.exact(0.067) == Decimal("0.067") and money.exact(0.1 + 0.2) == Decimal("0.30000000000000004")
    for unknown in (None, "0.5", True, -1, float("nan"), float("inf")):
        assert money.exact(unknown) is None, unknown
    assert money.text(Decimal("0.067")) == "$0.067" and money.text(Decimal(1152)) == "$1,152.00"
    assert money.text(None) == "unknown"
