"""schedule run and ``endpointctl run`` on one machine: a batch's endpoint is not paused under it, and a run
puts a scheduled endpoint back in the state its schedule holds when the run ends, never a stale one.

The clock starts on Monday 2026-03-23 at 07:50 in Berlin, ten minutes before the office window opens.
Where a batch must take time, its command asks the sandbox (a request with ``X-Advance-Clock``) to move
the shared ManualClock on; where it must be a cron ``schedule run``, it runs one in a child process.
"""

from __future__ import annotations

import json
import os
import pathlib
import socket
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from clirunner import Cli
from fake_processes import FakeProcesses, container_holder
from test_cli_apply import USER, manifest, write

from endpointctl.core.defaults import LEASE_EXPIRY
from endpointctl.core.targets import Target
from endpointctl.engine.leases import LeaseBook
from endpointctl.engine.locks import Holder, stamp
from endpointctl.sandbox import ManualClock, Response, Sandbox

START = datetime(2026, 3, 23, 6, 50, tzinfo=UTC)  # Mon 07:50 Europe/Berlin
OFFICE = {"timezone": "Europe/Berlin", "running": ["Mon-Fri 08:00-20:00"]}
NIGHT = "2026-03-23T21:00:00+01:00"
DAY = "2026-03-23T09:00:00+01:00"
RESUME = "POST /v2/endpoint/{namespace}/{name}/resume"
PAUSE = "POST /v2/endpoint/{namespace}/{name}/pause"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(start=START.timestamp())


@pytest.fixture
def scheduled(tmp_path: pathlib.Path) -> str:
    """The office endpoint's scheduled manifest (its directory is what cron runs `schedule run` over)."""
    (tmp_path / "m").mkdir()
    (tmp_path / "setup").mkdir()
    return write(tmp_path / "m", "office.yaml", manifest("office", schedule=OFFICE))


def deploy(cli: Cli, clock: ManualClock, tmp_path: pathlib.Path, then: str | None = None) -> None:
    applied = cli("apply", write(tmp_path / "setup", "office.yaml", manifest("office")), "--yes")
    assert applied.code == 0, applied.all
    clock.advance(10)
    if then is not None:
        assert cli(then, "office").code == 0


def state(cli: Cli) -> str:
    return str(json.loads(cli("status", "office", "-o", "json").stdout)[0]["status"])


def book(tmp_path: pathlib.Path) -> LeaseBook:
    return LeaseBook(tmp_path, Target(USER, "office"))


def holder(pid: int) -> Holder:
    return Holder(pid=pid, host=socket.gethostname(), command="endpointctl run office -- batch", since="x")


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait(timeout=30)
    return process.pid


def schedule_run(cli: Cli, *args: str) -> tuple[int, dict[str, Any], str]:
    result = cli("schedule", "run", *args, "-o", "json")
    # Said with stderr: a run that printed nothing (an import error, say) must say why, not JSONDecodeError.
    assert result.stdout.strip(), result.all
    (record,) = json.loads(result.stdout)
    return result.code, record, result.stderr


def takes_time(sandbox: Sandbox, clock: ManualClock) -> None:
    """A request carrying ``X-Advance-Clock: S`` moves the clock on S seconds: a batch taking that long."""

    def advance(request: Any, call_next: Callable[[Any], Response]) -> Response:
        seconds = request.header("x-advance-clock")
        if seconds is None:
            return call_next(request)
        clock.advance(float(seconds))
        return Response(status=200, body=b"{}")

    sandbox.add_middleware(advance)


def batch_taking(seconds: int) -> list[str]:
    return [
        sys.executable,
        "-c",
        "import os, urllib.request; urllib.request.urlopen(urllib.request.Request("
        f"os.environ['ENDPOINT_URL'], headers={{'X-Advance-Clock': '{seconds}'}})).read()",
    ]


def cron_schedule_run(directory: pathlib.Path, at: str, out: pathlib.Path) -> list[str]:
    """A batch that is cron's `schedule run` at ``at``, in a process of its own; its JSON goes to ``out``."""
    argv = [sys.executable, "-m", "endpointctl", "schedule", "run", str(directory), "--at", at, "-o", "json"]
    return [
        sys.executable,
        "-c",
        f"import pathlib, subprocess, sys; done = subprocess.run({argv!r}, capture_output=True, text=True); "
        f"pathlib.Path({str(out)!r}).write_text(done.stdout + '\\n---\\n' + done.stderr); "
        "sys.exit(done.returncode)",
    ]


# -- F1a: schedule run leaves an endpoint a run is using awake ------------------------------------------


def test_a_night_batch_is_not_paused_under_it_by_the_cron_run(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path, scheduled: str
) -> None:
    deploy(cli, clock, tmp_path, then="pause")
    sandbox.reset_counts()
    out = tmp_path / "cron.out"
    batch = cli("run", "office", "--", *cron_schedule_run(tmp_path / "m", NIGHT, out))
    assert batch.code == 0, (batch.all, out.read_text() if out.exists() else None)
    (record,) = json.loads(out.read_text().partition("\n---\n")[0])
    assert (record["desired"], record["before"], record["action"]) == ("paused", "running", "none")
    assert record["outcome"] == "unchanged" and record["error"] is None
    (note,) = record["notes"]
    assert note.startswith(f"in use by `endpointctl run` (pid {os.getpid()} on {socket.gethostname()}")
    assert "put back to paused when it ends" in note
    # Woken once by the run, paused once — by the run, when the batch was over.
    assert (sandbox.counts().get(RESUME), sandbox.counts().get(PAUSE)) == (1, 1)
    assert state(cli) == "paused"


def test_while_a_run_holds_it_no_pause_and_its_state_to_restore_follows_the_schedule(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path, scheduled: str
) -> None:
    deploy(cli, clock, tmp_path)  # awake: a run (this process, alive) woke it from paused
    book(tmp_path).record("paused")
    book(tmp_path).add(holder(os.getpid()))
    book(tmp_path).add(holder(dead_pid()))  # and one killed: not a user
    sandbox.reset_counts()
    dry, record, _ = schedule_run(cli, scheduled, "--at", NIGHT, "--dry-run")
    assert dry == 0 and record["action"] == "none" and "in use by `endpointctl run`" in record["notes"][0]
    assert len(list(book(tmp_path).directory.glob("holder-*"))) == 2  # a dry run removes nothing
    code, record, _ = schedule_run(cli, scheduled, "--at", NIGHT)
    assert code == 0 and (record["action"], record["outcome"]) == ("none", "unchanged")
    assert sandbox.mutating_count() == 0 and state(cli) == "running"
    assert book(tmp_path).recorded() == "paused"
    # In the window: the schedule's state is now running; the run, ending then, leaves it running.
    code, record, _ = schedule_run(cli, scheduled, "--at", DAY)
    assert code == 0 and record["notes"] == [] and sandbox.mutating_count() == 0
    assert book(tmp_path).recorded() == "running"
    assert len(list(book(tmp_path).directory.glob("holder-*"))) == 1  # the dead one's file is gone


def test_under_a_live_lease_a_scale_to_zero_is_not_made_and_a_resume_is(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path, scheduled: str
) -> None:
    path = write(
        tmp_path / "m", "office.yaml", manifest("office", schedule={**OFFICE, "otherwise": "scaledToZero"})
    )
    deploy(cli, clock, tmp_path)
    book(tmp_path).record("paused")
    book(tmp_path).add(holder(os.getpid()))
    sandbox.reset_counts()
    code, record, _ = schedule_run(cli, path, "--at", NIGHT)
    assert code == 0 and record["action"] == "none" and sandbox.mutating_count() == 0
    assert "not scaled to zero under it; put back to scaledToZero when it ends" in record["notes"][0]
    assert book(tmp_path).recorded() == "scaledToZero"
    assert cli("pause", "office").code == 0  # as if the run had not woken it yet: both want it awake
    sandbox.reset_counts()
    code, record, _ = schedule_run(cli, path, "--at", DAY)
    assert code == 0 and (record["action"], record["outcome"]) == ("resume", "ok")
    assert book(tmp_path).recorded() == "running"


def test_a_run_taking_its_lease_lock_blocks_the_endpoint_only_for_that_run(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path, scheduled: str
) -> None:
    from endpointctl.engine import locks

    deploy(cli, clock, tmp_path)
    with locks.hold([f"lease:{USER}/office"], directory=tmp_path, command="endpointctl run", clock=clock):
        code, record, _ = schedule_run(cli, scheduled, "--at", NIGHT, "--lock-timeout", "0")
    assert code == 1 and record["outcome"] == "blocked" and "locked by" in record["error"]
    assert state(cli) == "running"


# -- F1b: the run puts a scheduled endpoint back in the schedule's state at its end ---------------------


@pytest.mark.parametrize(
    ("start", "found", "after"),
    [
        ("07:50", "paused", "running"),  # a batch from before the window into it: not paused at 08:10
        ("19:50", "running", "paused"),  # a batch from inside the window out of it: paused at 20:10
    ],
)
def test_a_run_given_the_manifest_puts_it_back_in_the_schedule_s_state_when_it_ends(
    cli: Cli,
    sandbox: Sandbox,
    clock: ManualClock,
    tmp_path: pathlib.Path,
    scheduled: str,
    start: str,
    found: str,
    after: str,
) -> None:
    hours, minutes = map(int, start.split(":"))
    clock.advance((hours - 7) * 3600 + (minutes - 50) * 60)
    deploy(cli, clock, tmp_path, then="pause" if found == "paused" else None)
    takes_time(sandbox, clock)
    sandbox.reset_counts()
    batch = cli("run", "-f", scheduled, "--", *batch_taking(20 * 60))
    assert batch.code == 0, batch.all
    assert state(cli) == after
    assert sandbox.counts().get(PAUSE) == (1 if after == "paused" else None)
    assert f"putting it back to {after}" in batch.stderr or after == "running"
    assert book(tmp_path).recorded() is None


def test_a_run_by_name_follows_the_schedule_run_that_passed_while_it_ran(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path, scheduled: str
) -> None:
    deploy(cli, clock, tmp_path, then="pause")  # 07:50: paused for the night
    sandbox.reset_counts()
    out = tmp_path / "cron.out"
    batch = cli("run", "office", "--", *cron_schedule_run(tmp_path / "m", "2026-03-23T08:05:00+01:00", out))
    assert batch.code == 0, (batch.all, out.read_text() if out.exists() else None)
    assert json.loads(out.read_text().partition("\n---\n")[0])[0]["action"] == "none"  # running already
    assert state(cli) == "running"  # the 08:05 cron run said the window is open: not paused at the end
    assert (sandbox.counts().get(RESUME), sandbox.counts().get(PAUSE)) == (1, None)


# -- F1c: what a killed run recorded is not restored once the schedule has had its say ------------------


def test_a_killed_night_run_s_record_does_not_pause_the_endpoint_in_the_day(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path, scheduled: str
) -> None:
    deploy(cli, clock, tmp_path)  # left awake by a night run killed with kill -9
    book(tmp_path).record("paused")
    book(tmp_path).add(holder(dead_pid()))
    code, record, stderr = schedule_run(cli, scheduled, "--at", DAY)  # the morning cron run
    assert code == 0 and record["action"] == "none"
    assert "ended without putting it back" in stderr
    assert book(tmp_path).recorded() is None
    clock.advance(6 * 3600)  # 14:00: a daytime batch, by name
    sandbox.reset_counts()
    batch = cli("run", "office", "--", sys.executable, "-c", "pass")
    assert batch.code == 0, batch.all
    assert state(cli) == "running" and sandbox.mutating_count() == 0


def test_a_killed_night_run_s_record_is_the_cron_run_s_to_settle_at_night(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path, scheduled: str
) -> None:
    deploy(cli, clock, tmp_path)
    book(tmp_path).record("paused")
    book(tmp_path).add(holder(dead_pid()))
    code, record, _ = schedule_run(cli, scheduled, "--at", NIGHT)
    assert code == 0 and (record["action"], record["outcome"]) == ("pause", "ok")
    assert book(tmp_path).recorded() is None


def test_a_run_given_the_manifest_ignores_a_stale_record(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path, scheduled: str
) -> None:
    clock.advance(6 * 3600)  # 13:50, in the window; no cron run since the night run was killed
    deploy(cli, clock, tmp_path)
    book(tmp_path).record("paused")
    book(tmp_path).add(holder(dead_pid()))
    sandbox.reset_counts()
    batch = cli("run", "-f", scheduled, "--", sys.executable, "-c", "pass")
    assert batch.code == 0, batch.all
    assert "the state its schedule holds when it ends" in batch.stderr
    assert state(cli) == "running" and sandbox.mutating_count() == 0
    assert book(tmp_path).recorded() is None


# -- a run in another container: told by its heartbeat ------------------------------------------------------


def test_a_run_killed_in_another_container_holds_it_until_its_heartbeat_expires_then_the_cron_run_pauses_it(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path, scheduled: str
) -> None:
    """The README's container setup: each `docker run --rm` has a host name and pids of its own, so a
    run's pid cannot be checked here; once its heartbeat has stopped for the expiry, it is taken as gone."""
    here = replace(cli, processes=FakeProcesses())
    deploy(cli, clock, tmp_path)  # awake: woken from paused by the batch in the other container
    book(tmp_path).record("paused")
    batch = container_holder(clock.wall())
    path = book(tmp_path).add(batch)
    sandbox.reset_counts()
    for _ in range(3):  # alive, renewing every minute: not paused under it, for as long as it runs
        clock.advance(LEASE_EXPIRY - 60)
        assert book(tmp_path).renew(path, batch, clock.wall() - 30)
        code, record, _ = schedule_run(here, scheduled, "--at", NIGHT)
        assert code == 0 and (record["action"], record["outcome"]) == ("none", "unchanged"), record
        assert record["notes"][0].startswith("in use by `endpointctl run` (pid 1 on 3f2a9c1b7d0e, since ")
    assert sandbox.mutating_count() == 0 and state(cli) == "running"
    last = stamp(clock.wall() - 30)
    clock.advance(LEASE_EXPIRY - 29)  # killed (kill -9, the container stopped) right after that renewal
    code, record, stderr = schedule_run(here, scheduled, "--at", NIGHT)
    assert code == 0 and (record["action"], record["outcome"]) == ("pause", "ok"), record
    (note,) = record["notes"]
    assert f"pid 1 on 3f2a9c1b7d0e (endpointctl run office -- batch.py) was last renewed {last}" in note
    assert "taken as gone" in note
    assert "ended without putting it back" in stderr  # and its record is dropped: the schedule had its say
    assert state(cli) == "paused" and book(tmp_path).recorded() is None
    assert list(book(tmp_path).directory.glob("holder-*")) == []


def test_an_old_record_from_another_host_blocks_the_endpoint_once_old_and_names_the_file_to_remove(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path, scheduled: str
) -> None:
    """Written by an endpointctl that did not renew its leases: past the expiry a long batch and a killed
    one look alike, so neither "alive for good" (billing, exit 0) nor "gone" (paused under a batch)."""
    deploy(cli, clock, tmp_path)
    leases = book(tmp_path)
    leases.directory.mkdir(parents=True)
    path = leases.directory / "holder-1.json"
    since = stamp(clock.wall() - LEASE_EXPIRY + 60)
    path.write_text(
        json.dumps({"pid": 1, "host": "3f2a9c1b7d0e", "command": "endpointctl run", "since": since})
    )
    code, record, _ = schedule_run(cli, scheduled, "--at", NIGHT)  # young: alive, as before
    assert code == 0 and record["action"] == "none" and "in use by" in record["notes"][0]
    clock.advance(61)
    code, record, _ = schedule_run(cli, scheduled, "--at", NIGHT)
    assert code == 1 and (record["action"], record["outcome"]) == ("none", "blocked")
    assert f"if it is gone, remove {path}" in record["error"] and "pid 1 on 3f2a9c1b7d0e" in record["error"]
    assert state(cli) == "running" and path.exists()
    path.unlink()  # the user's answer: that run is gone
    code, record, _ = schedule_run(cli, scheduled, "--at", NIGHT)
    assert code == 0 and (record["action"], record["outcome"]) == ("pause", "ok")


# -- a lease book that cannot be read is no one's: never "nobody uses it" ---------------------------------


def _unreadable_fifo(path: pathlib.Path) -> None:
    os.mkfifo(path)  # read as a file, a FIFO blocked the reader for good


def _unreadable_huge(path: pathlib.Path) -> None:
    path.write_text(" " * 100_000)


def _unreadable_link(path: pathlib.Path) -> None:
    path.symlink_to("/dev/zero")  # read as a file, it never ends


def _impossible_pid(path: pathlib.Path) -> None:
    record = {"pid": 2**63, "host": socket.gethostname(), "command": "x", "since": "x"}
    path.write_text(json.dumps(record))  # os.kill raised OverflowError: the whole run stopped


def _corrupt_start_time(path: pathlib.Path) -> None:
    record = {"pid": 4242, "host": socket.gethostname(), "command": "x", "since": "x", "start_time": 2**70}
    path.write_text(json.dumps(record))


def _corrupt_renewal(path: pathlib.Path) -> None:
    record = {"pid": 4242, "host": "elsewhere", "command": "x", "since": "x", "renewed": {"at": "noon"}}
    path.write_text(json.dumps(record))


def _old_record_of_another_host(path: pathlib.Path) -> None:
    record = {"pid": 4242, "host": "elsewhere", "command": "x", "since": "2026-03-23T05:00:00Z"}
    path.write_text(json.dumps(record))  # 110 minutes before START, never renewed


@pytest.mark.parametrize(
    "spoil",
    [
        _unreadable_fifo,
        _unreadable_huge,
        _unreadable_link,
        _impossible_pid,
        _corrupt_start_time,
        _corrupt_renewal,
        _old_record_of_another_host,
    ],
)
def test_an_unreadable_lease_book_blocks_its_endpoint_only_and_never_hangs(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path, scheduled: str, spoil: Any
) -> None:
    write(tmp_path / "m", "lab.yaml", manifest("lab", schedule=OFFICE))
    for name in ("office", "lab"):
        assert cli("apply", write(tmp_path / "setup", f"{name}.yaml", manifest(name)), "--yes").code == 0
    clock.advance(10)
    leases = book(tmp_path)
    leases.directory.mkdir(parents=True)
    spoil(leases.directory / "holder-4242.json")
    sandbox.reset_counts()
    result = cli("schedule", "run", str(tmp_path / "m"), "--at", NIGHT, "-o", "json")
    assert result.code == 1, result.all
    records = {r["name"]: r for r in json.loads(result.stdout)}
    assert (records["office"]["action"], records["office"]["outcome"]) == ("none", "blocked")
    assert "whether `endpointctl run` uses it cannot be told" in records["office"]["error"]
    assert (records["lab"]["action"], records["lab"]["outcome"]) == ("pause", "ok")
    assert sandbox.counts().get(PAUSE) == 1  # lab's only
    assert (leases.directory / "holder-4242.json").is_symlink() or (
        leases.directory / "holder-4242.json"
    ).exists()
    dry = cli("schedule", "run", str(tmp_path / "m"), "--at", NIGHT, "--dry-run", "-o", "json")
    assert {r["name"]: r["outcome"] for r in json.loads(dry.stdout)}["office"] == "blocked"
    ran = cli("run", "office", "--", sys.executable, "-c", "pass")
    assert ran.code == 1 and ("cannot be" in ran.stderr or "no process can have" in ran.stderr), ran.all


def test_a_lease_record_that_cannot_be_kept_is_said_and_the_records_are_still_printed(
    cli: Cli,
    sandbox: Sandbox,
    clock: ManualClock,
    tmp_path: pathlib.Path,
    scheduled: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A full disk or a read-only state directory after the moves: the pause made is still reported (the
    JSON was lost to an unexpected PermissionError), and what could not be kept is said."""
    deploy(cli, clock, tmp_path)
    book(tmp_path).record("paused")
    book(tmp_path).add(holder(dead_pid()))

    def refused(self: LeaseBook) -> None:
        raise PermissionError(13, "Permission denied", str(self.directory))

    monkeypatch.setattr(LeaseBook, "forget", refused)
    code, record, stderr = schedule_run(cli, scheduled, "--at", NIGHT)
    assert code == 0  # the moves are made; a stale record is a warning, as a run ignores it anyway
    assert (record["action"], record["outcome"]) == ("pause", "ok")
    assert "its lease record could not be kept" in stderr and "Permission denied" in stderr
    assert state(cli) == "paused"


def test_a_batch_run_given_the_namespace_in_another_case_keeps_the_endpoint_awake(
    cli: Cli, clock: ManualClock, sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    """Namespaces are one whatever their case: `endpointctl run office --namespace Sandbox-User` keeps its
    lease in the book `schedule run` reads for the manifest's `sandbox-user`, so the cron run does not
    pause the endpoint under the live batch."""
    path = write(tmp_path, "o.yaml", manifest("office", namespace=USER, schedule=OFFICE))
    setup = write(tmp_path, "setup.yaml", manifest("office", namespace=USER, state="running"))
    assert cli("apply", setup, "--yes").code == 0
    clock.advance(10)
    book = LeaseBook(tmp_path, Target(USER.upper(), "office"))
    book.record("paused")
    book.add(Holder(pid=os.getpid(), host=socket.gethostname(), command="endpointctl run office", since="x"))
    sandbox.reset_counts()
    ran = cli("schedule", "run", path, "--at", NIGHT, "-o", "json")
    assert ran.code == 0, ran.all
    (record,) = json.loads(ran.stdout)
    assert record["action"] == "none", record  # not paused under the batch
    assert "in use by `endpointctl run`" in " ".join(record["notes"]), record
    assert sandbox.mutating_count() == 0, sandbox.counts()
