"""Whether a lease holder's run still runs (``engine.leases``): by its pid where that pid means here what it
meant to the run (one kernel boot, one pid namespace), else by its heartbeat; never "nobody" for what
cannot be told. The reader is a FakeProcesses and the time a number: nothing depends on the machine."""

from __future__ import annotations

import errno
import json
import os
import pathlib
import stat
import subprocess
import sys
import threading
import time
from dataclasses import asdict
from typing import Any

import fake_processes
import pytest
from fake_processes import CONTAINER_NAMESPACE, HERE_BOOT, HERE_NAMESPACE, FakeProcesses
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from endpointctl.core.defaults import LEASE_EXPIRY, LEASE_RENEWAL
from endpointctl.core.targets import Target
from endpointctl.engine import heartbeat
from endpointctl.engine.clock import SystemClock
from endpointctl.engine.leases import (
    Holders,
    LeaseBook,
    LeaseBookUnreadable,
    Liveness,
    identified,
    parse_lease,
    verdict,
)
from endpointctl.engine.locks import Holder, stamp
from endpointctl.engine.processes import LocalProcesses, stat_start_time, stat_state
from endpointctl.sandbox import ManualClock

T = 1_774_248_600.0  # 2026-03-23T06:50:00Z: when the holders below last renewed
COMMAND = "endpointctl run office -- batch.py"  # container_holder's


def container_holder(**fields: Any) -> Holder:
    return fake_processes.container_holder(T, **fields)


def book_in(tmp_path: pathlib.Path) -> LeaseBook:
    return LeaseBook(tmp_path, Target("acme", "office"))


def files(book: LeaseBook) -> list[str]:
    return sorted(p.name for p in book.directory.glob("holder-*"))


def judge(holder: Holder, here: FakeProcesses, wall: float) -> Liveness:
    return verdict(holder, here, wall, pathlib.Path("holder-1.json"))


# -- another container (the README's `docker run --rm` with the state on a volume) ------------------------


def test_a_killed_container_s_holder_is_alive_until_its_heartbeat_is_expired_then_gone_and_said(
    tmp_path: pathlib.Path,
) -> None:
    here = FakeProcesses(running={1: 1})  # pid 1 exists here too: it is another process
    book = book_in(tmp_path)
    book.add(container_holder())
    assert book.read(here, T + LEASE_EXPIRY).live == [container_holder()]  # may still run: renewed 10 min ago
    dry = book.read(here, T + LEASE_EXPIRY + 1, tidy=False)
    assert dry == Holders(live=[], gone=[container_holder()]) and len(files(book)) == 1  # a dry run keeps it
    assert book.read(here, T + LEASE_EXPIRY + 1) == Holders(live=[], gone=[container_holder()])
    assert files(book) == []  # said once, by whoever tidied


def test_a_holder_is_judged_by_its_heartbeat_whatever_this_machine_s_pids_say() -> None:
    """Another pid namespace on the same host name (containers given one --hostname): its pid 1 is not
    ours, alive or not, so only the heartbeat counts."""
    same_host = container_holder(host="batch-host")
    for running in ({}, {1: 12_345}, {1: 99}):
        here = FakeProcesses(running=running)
        assert judge(same_host, here, T + 60) is Liveness.LIVE
        assert judge(same_host, here, T + LEASE_EXPIRY + 1) is Liveness.EXPIRED


@pytest.mark.parametrize(
    ("boot", "namespace", "host"),
    [
        ("another-boot", HERE_NAMESPACE, "batch-host"),  # rebooted since, or another machine
        (HERE_BOOT, CONTAINER_NAMESPACE, "batch-host"),  # another pid namespace on this kernel
        (None, CONTAINER_NAMESPACE, "batch-host"),  # another pid namespace; its boot unknown
        (None, None, "elsewhere"),  # a record that says nothing more than another host name
        ("another-boot", None, "batch-host"),  # another boot, whatever the host name says
    ],
)
def test_what_cannot_be_checked_by_its_pid(boot: str | None, namespace: str | None, host: str) -> None:
    holder = container_holder(boot_id=boot, pid_namespace=namespace, host=host, pid=4242)
    here = FakeProcesses(running={})  # had its pid been checked, it would be dead
    assert judge(holder, here, T + 1) is Liveness.LIVE
    assert judge(holder, here, T + LEASE_EXPIRY + 1) is Liveness.EXPIRED


@pytest.mark.parametrize(
    ("boot", "namespace", "host"),
    [
        (HERE_BOOT, HERE_NAMESPACE, "batch-host"),
        (HERE_BOOT, HERE_NAMESPACE, "renamed"),  # one kernel and namespace: the host name does not matter
        (None, None, "batch-host"),  # an older record, or macOS: the host name rule, as before
        (HERE_BOOT, None, "batch-host"),
    ],
)
def test_what_is_checked_by_its_pid_is_dead_once_its_pid_is(
    boot: str | None, namespace: str | None, host: str
) -> None:
    holder = container_holder(boot_id=boot, pid_namespace=namespace, host=host, pid=4242, start_time=None)
    assert judge(holder, FakeProcesses(running={4242: 7}), T + 10 * LEASE_EXPIRY) is Liveness.LIVE
    assert judge(holder, FakeProcesses(running={}), T) is Liveness.DEAD  # dead at once: no expiry to wait


def test_a_reader_that_knows_nothing_of_boots_and_namespaces_falls_back_to_the_host_name() -> None:
    macos = FakeProcesses(boot=None, namespace=None, running={})
    assert judge(container_holder(host="batch-host", pid=4242), macos, T) is Liveness.DEAD
    assert judge(container_holder(), macos, T + 1) is Liveness.LIVE
    assert judge(container_holder(), macos, T + LEASE_EXPIRY + 1) is Liveness.EXPIRED


# -- pid reuse -----------------------------------------------------------------------------------------


def test_a_reused_pid_is_another_process_and_the_holder_dead() -> None:
    holder = container_holder(pid_namespace=HERE_NAMESPACE, pid=4242, start_time=500)
    assert judge(holder, FakeProcesses(running={4242: 500}), T) is Liveness.LIVE
    assert judge(holder, FakeProcesses(running={4242: 501}), T) is Liveness.DEAD
    # Its start time unreadable here (/proc hidden): the pid's existence is all there is to go by.
    assert judge(holder, FakeProcesses(running={4242: None}), T) is Liveness.LIVE


def test_a_zombie_is_a_run_that_has_ended() -> None:
    """Killed, and its parent (a shell, an init that does not wait) has not reaped it: its pid still
    exists, and kill(pid, 0) still finds it, for as long as that parent lives."""
    for start_time in (500, None):  # told by its start time too, or an older record by its pid alone
        holder = container_holder(pid_namespace=HERE_NAMESPACE, pid=4242, start_time=start_time)
        assert judge(holder, FakeProcesses(running={4242: 500}), T) is Liveness.LIVE
        assert judge(holder, FakeProcesses(running={4242: 500}, zombies={4242}), T) is Liveness.DEAD


def test_a_pid_no_process_can_have_cannot_be_told(tmp_path: pathlib.Path) -> None:
    book = book_in(tmp_path)
    path = book.add(container_holder(pid_namespace=HERE_NAMESPACE, pid=2**40))
    with pytest.raises(LeaseBookUnreadable, match="which no process can have"):
        book.read(FakeProcesses(), T)
    assert path.exists()


# -- the run's own record --------------------------------------------------------------------------------


def test_a_run_records_who_it_is_and_is_not_another_to_itself(tmp_path: pathlib.Path) -> None:
    here = FakeProcesses(running={os.getpid(): 777})
    # Asked for its lock 5 minutes before it could write: the record says when it was written.
    mine = identified(Holder(os.getpid(), "ignored", COMMAND, stamp(T - 300)), here, T)
    assert (mine.host, mine.boot_id, mine.pid_namespace, mine.start_time) == (
        "batch-host",
        HERE_BOOT,
        HERE_NAMESPACE,
        777,
    )
    assert mine.renewed == mine.since == "2026-03-23T06:50:00Z"
    book = book_in(tmp_path)
    path = book.add(mine)
    assert json.loads(path.read_text()) == asdict(mine)
    assert book.read(here, T, me=os.getpid()).live == []
    assert book.read(here, T).live == [mine]  # schedule run reads it as a user


def test_a_reader_that_is_pid_1_takes_pid_1_of_another_container_as_another_run(
    tmp_path: pathlib.Path,
) -> None:
    """Two containers' endpointctl, each pid 1 in a pid namespace of its own: one's record is not the
    other's own, though their pids are one number."""
    book = book_in(tmp_path)
    other = container_holder()  # pid 1 in CONTAINER_NAMESPACE
    book.add(other)
    me_in_another_namespace = FakeProcesses(namespace=HERE_NAMESPACE, running={1: 777})
    assert book.read(me_in_another_namespace, T, me=1).live == [other]
    me_there = FakeProcesses(namespace=CONTAINER_NAMESPACE, running={1: 12_345})
    assert book.read(me_there, T, me=1).live == []  # in its own namespace, that record is the reader's


def test_two_runs_with_one_pid_in_two_containers_keep_two_files(tmp_path: pathlib.Path) -> None:
    book = book_in(tmp_path)
    first, second = book.add(container_holder()), book.add(container_holder(host="8c1d"))
    assert first != second and len(files(book)) == 2
    book.remove(first)
    assert [h.host for h in book.read(FakeProcesses(), T).live] == ["8c1d"]


# -- old records: no identity, no heartbeat ---------------------------------------------------------------


def old(path: pathlib.Path, **record: Any) -> pathlib.Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"pid": 4242, "host": "batch-host", "command": COMMAND, **record}))
    return path


def test_an_old_record_of_this_host_is_checked_by_its_pid_as_before(tmp_path: pathlib.Path) -> None:
    book = book_in(tmp_path)
    old(book.directory / "holder-4242.json", since="x")
    (holder,) = book.read(FakeProcesses(running={4242: 9}), T).live
    assert (holder.boot_id, holder.pid_namespace, holder.start_time, holder.renewed) == (None,) * 4
    assert book.read(FakeProcesses(running={}), T) == Holders([], [])
    assert files(book) == []


def test_an_old_record_written_before_this_boot_is_dead_whatever_has_its_pid_now(
    tmp_path: pathlib.Path,
) -> None:
    """After a reboot low pids come back at once: an older endpointctl's record (no boot id) of this host
    name kept the endpoint awake for good, exit 0, had its pid been taken by another process."""
    book = book_in(tmp_path)
    path = old(book.directory / "holder-4242.json", since=stamp(T))
    rebooted = FakeProcesses(running={4242: 9}, booted=T + 1)
    assert book.read(rebooted, T + 2 * LEASE_EXPIRY) == Holders([], []) and not path.exists()
    old(path, since=stamp(T))
    for booted in (T, T - 3600, None):  # written in this boot (its first second too), or boot unknown
        here = FakeProcesses(running={4242: 9}, booted=booted)
        assert [h.pid for h in book.read(here, T + 2 * LEASE_EXPIRY).live] == [4242]
    # A record that names its boot is told by it: this boot's, so its pid decides, whatever the clock.
    mine = container_holder(pid_namespace=HERE_NAMESPACE, pid=4242, start_time=9, since=stamp(T))
    assert judge(mine, rebooted, T) is Liveness.LIVE


def test_an_old_record_of_pid_1_is_not_checked_by_its_pid(tmp_path: pathlib.Path) -> None:
    """pid 1 is every container's first process and, on a host, init: a record naming no pid namespace
    (an older endpointctl's, in a container run with --network host: the host's name) would have been
    alive for good, since pid 1 always exists here. Judged by its age instead, as one of another host."""
    book = book_in(tmp_path)
    path = old(book.directory / "holder-1.json", pid=1, since=stamp(T))
    here = FakeProcesses(running={1: 1})
    assert [h.pid for h in book.read(here, T + LEASE_EXPIRY).live] == [1]
    with pytest.raises(LeaseBookUnreadable, match=f"if it is gone, remove {path}"):
        book.read(here, T + LEASE_EXPIRY + 1)
    # A record that names its pid namespace, this one, is still checked by its pid: the same container.
    ours = container_holder(pid_namespace=HERE_NAMESPACE)
    assert judge(ours, FakeProcesses(running={1: 12_345}), T + 10 * LEASE_EXPIRY) is Liveness.LIVE
    assert judge(ours, FakeProcesses(running={}), T) is Liveness.DEAD


def test_an_old_record_of_another_host_is_alive_while_young_and_blocks_once_old(
    tmp_path: pathlib.Path,
) -> None:
    book = book_in(tmp_path)
    path = old(book.directory / "holder-4242.json", host="3f2a9c1b7d0e", since=stamp(T))
    assert [h.pid for h in book.read(FakeProcesses(), T + LEASE_EXPIRY).live] == [4242]
    with pytest.raises(LeaseBookUnreadable) as raised:
        book.read(FakeProcesses(), T + LEASE_EXPIRY + 1)
    message = raised.value.message
    assert "pid 4242 on 3f2a9c1b7d0e" in message and COMMAND in message and "2026-03-23T06:50:00Z" in message
    assert f"if it is gone, remove {path}" in message
    assert path.exists()  # never removed on a guess
    old(path, host="3f2a9c1b7d0e", since="x")  # and one whose age cannot be read at all
    with pytest.raises(LeaseBookUnreadable, match="which is no time"):
        book.read(FakeProcesses(), T)


# -- clocks --------------------------------------------------------------------------------------------


def test_a_renewal_a_little_in_the_future_is_fresh_and_one_far_ahead_cannot_be_told(
    tmp_path: pathlib.Path,
) -> None:
    here = FakeProcesses()
    assert judge(container_holder(), here, T - 300) is Liveness.LIVE  # its clock 5 minutes ahead of ours
    assert judge(container_holder(), here, T - LEASE_EXPIRY) is Liveness.LIVE
    book = book_in(tmp_path)
    path = book.add(container_holder(renewed="2099-01-01T00:00:00Z"))
    # Fresh until 2099 would be a killed run billing for good again: said, with the file to remove.
    with pytest.raises(LeaseBookUnreadable, match="ahead of this machine's clock") as raised:
        book.read(here, T)
    assert str(path) in raised.value.message and path.exists()


# -- corrupt records ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("boot_id", 5),
        ("pid_namespace", ["pid:[1]"]),
        ("start_time", "12345"),
        ("start_time", -1),
        ("start_time", 2**64),
        ("start_time", 10**300),
        ("start_time", True),
        ("start_time", 1.5),
        ("renewed", "yesterday"),
        ("renewed", 1_774_248_600),
        ("renewed", "0000-01-01T00:00:00Z"),
    ],
)
def test_a_corrupt_identity_or_heartbeat_field_is_never_nobody(
    tmp_path: pathlib.Path, key: str, value: object
) -> None:
    book = book_in(tmp_path)
    path = book.add(container_holder())
    path.write_text(json.dumps({**asdict(container_holder()), key: value}))
    for tidy in (True, False):
        with pytest.raises(LeaseBookUnreadable, match=f"has a {key} no run writes") as raised:
            book.read(FakeProcesses(running={1: 12_345}), T, tidy=tidy)
        assert str(path) in raised.value.message
    assert path.exists()


@pytest.mark.parametrize(
    "garbage",
    [
        "[" * 4000,  # it escaped as a RecursionError
        "",  # what a power cut leaves of a record an older endpointctl wrote without flushing it
        '{"pid": 1, "host": "batch-host", "comm',  # cut short
    ],
    ids=["nested", "empty", "cut"],
)
def test_a_record_that_names_no_holder_is_garbage_no_one_s_not_a_crash(
    tmp_path: pathlib.Path, garbage: str
) -> None:
    """No run leaves one (records are flushed before they are renamed into place): a crash that left one
    ended the run that wrote it, so it is no one's, and removed, not a block until someone looks."""
    book = book_in(tmp_path)
    book.directory.mkdir(parents=True)
    (book.directory / "holder-1.json").write_text(garbage)
    assert book.read(FakeProcesses(), T) == Holders([], []) and files(book) == []


def test_a_lease_record_is_on_the_disk_before_it_is_renamed_into_place(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Else a power cut may keep the rename and lose the data: an empty file where a record was."""
    done: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        done.append("sync directory" if stat.S_ISDIR(os.fstat(fd).st_mode) else "sync file")
        real_fsync(fd)

    def replace(source: Any, target: Any) -> None:
        done.append("rename")
        real_replace(source, target)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    book = book_in(tmp_path)
    path = book.add(container_holder())
    book.renew(path, container_holder(), T + 60)
    book.record("paused")
    assert done == ["sync file", "rename", "sync directory"] * 3


def test_a_record_that_cannot_be_written_leaves_no_temporary_file_and_the_old_record(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    book = book_in(tmp_path)
    path = book.add(container_holder())
    written = path.read_bytes()

    def disk_full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space left"):
        book.renew(path, container_holder(), T + 60)
    with pytest.raises(OSError, match="No space left"):
        book.record("paused")
    assert sorted(p.name for p in book.directory.iterdir()) == [path.name]  # no .tmp left behind
    assert path.read_bytes() == written


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
    max_leaves=8,
)
_FIELDS = ("pid", "host", "command", "since", "boot_id", "pid_namespace", "start_time", "renewed")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    record=st.one_of(
        _JSON,
        st.fixed_dictionaries(
            {},
            optional={
                **{key: _JSON for key in _FIELDS},
                "pid": st.integers() | _JSON,
                "start_time": st.integers() | _JSON,
                "renewed": st.sampled_from([stamp(T), stamp(T - 2 * LEASE_EXPIRY), stamp(T + 60)]) | _JSON,
                "since": st.sampled_from([stamp(T), stamp(T - 2 * LEASE_EXPIRY)]) | _JSON,
                "boot_id": st.sampled_from([HERE_BOOT, "other"]) | _JSON,
                "pid_namespace": st.sampled_from([HERE_NAMESPACE, CONTAINER_NAMESPACE]) | _JSON,
                "host": st.sampled_from(["batch-host", "elsewhere"]) | _JSON,
            },
        ),
    ),
    running=st.dictionaries(st.integers(1, 5), st.none() | st.integers(0, 5), max_size=3),
)
def test_any_json_record_is_read_or_said_unreadable_never_a_crash(
    tmp_path: pathlib.Path, record: object, running: dict[int, int | None]
) -> None:
    book = book_in(tmp_path)
    book.directory.mkdir(parents=True, exist_ok=True)
    path = book.directory / "holder-1.json"
    data = json.dumps(record).encode()
    path.write_bytes(data)
    try:
        parsed = parse_lease(data, path)
    except LeaseBookUnreadable:
        parsed = None
    try:
        reading = book.read(FakeProcesses(running=running), T, tidy=False)
    except LeaseBookUnreadable:
        return
    # What was read names the holder the record does; nothing was made up, nothing removed by a dry run.
    assert all(holder == parsed for holder in [*reading.live, *reading.gone])
    assert path.exists()


# -- the heartbeat ----------------------------------------------------------------------------------------


def test_the_heartbeat_renews_the_run_s_own_record_every_period_until_stopped(tmp_path: pathlib.Path) -> None:
    clock = ManualClock(start=T)
    book = book_in(tmp_path)
    mine = container_holder(renewed=stamp(T), since=stamp(T))
    path = book.add(mine)
    stop = Stop()
    seen: list[str] = []

    def beat() -> None:
        assert book.renew(path, mine, clock.wall())
        seen.append(json.loads(path.read_text())["renewed"])
        if len(seen) == 3:
            stop.set()

    assert heartbeat.beat_until(stop, beat, period=LEASE_RENEWAL, clock=clock) == 3
    assert seen == [stamp(T + 60), stamp(T + 120), stamp(T + 180)]
    renewed = json.loads(path.read_text())
    assert renewed == {**asdict(mine), "renewed": stamp(T + 180)}  # the rest of the record as it was
    assert clock.now() == T + 180  # and no sleep after it was stopped


def test_a_stop_that_comes_as_the_period_ends_is_not_followed_by_a_beat() -> None:
    stop = Stop()

    class StoppedAsItEnds(ManualClock):
        def sleep(self, seconds: float, cancel: Any = None) -> bool:
            if cancel.is_set():
                return False
            stop.set()  # the first period ends as the stop comes
            return True

    beats: list[int] = []
    assert heartbeat.beat_until(stop, lambda: beats.append(1), period=60, clock=StoppedAsItEnds()) == 0
    assert beats == []


def test_a_beat_that_fails_does_not_end_the_heartbeat_nor_does_saying_so() -> None:
    """A beat raised (its report written to a stderr whose reader had gone: a broken pipe) and the thread
    died: no more renewals, and ten minutes on a `schedule run` in another container paused the endpoint
    under the live batch."""
    clock = ManualClock(start=T)
    stop = Stop()
    beats: list[float] = []
    failures: list[str] = []

    def beat() -> None:
        beats.append(clock.now())
        if len(beats) == 4:
            stop.set()
        if len(beats) in (1, 2):
            raise BrokenPipeError(32, "Broken pipe")
        if len(beats) == 3:
            raise ValueError("a bug")

    def failed(error: Exception) -> None:
        failures.append(type(error).__name__)
        raise BrokenPipeError(32, "Broken pipe")  # saying so fails too

    assert heartbeat.beat_until(stop, beat, period=LEASE_RENEWAL, clock=clock, failed=failed) == 4
    assert beats == [T + 60, T + 120, T + 180, T + 240]
    assert failures == ["BrokenPipeError", "BrokenPipeError", "ValueError"]


def test_leaving_the_block_stops_the_heartbeat_at_once(tmp_path: pathlib.Path) -> None:
    beats: list[int] = []
    # Real time and an hour's period: the block's end, not the period, must end the wait.
    with heartbeat.beating(lambda: beats.append(1), period=3600, clock=SystemClock(), name="test-heartbeat"):
        pass
    assert beats == []
    assert not any(thread.name == "test-heartbeat" for thread in threading.enumerate())


def test_a_renewal_of_a_record_another_command_removed_says_so_and_writes_it_again(
    tmp_path: pathlib.Path,
) -> None:
    book = book_in(tmp_path)
    path = book.add(container_holder())
    assert book.read(FakeProcesses(), T + LEASE_EXPIRY + 1).gone  # taken as gone: removed
    assert not book.renew(path, container_holder(), T + LEASE_EXPIRY + 2)
    assert [h.renewed for h in book.read(FakeProcesses(), T + LEASE_EXPIRY + 3).live] == [
        stamp(T + LEASE_EXPIRY + 2)
    ]


class Stop:
    """A stop event for ``beat_until`` on a ManualClock (whose sleep only asks ``is_set``)."""

    def __init__(self) -> None:
        self._set = False

    def set(self) -> None:
        self._set = True

    def is_set(self) -> bool:
        return self._set

    def wait(self, timeout: float | None = None) -> bool:
        return self._set


# -- this machine -----------------------------------------------------------------------------------------


@given(
    name=st.text(alphabet=st.sampled_from("ab )(:\n 1ZRS"), max_size=16),
    state=st.sampled_from("RSDZTtXI"),
    start=st.integers(0, 2**64 - 1),
)
def test_a_stat_line_s_state_and_start_time_are_read_whatever_the_command_s_name(
    name: str, state: str, start: int
) -> None:
    fields = [state, *map(str, range(4, 22)), str(start), "0", "0"]  # fields 3..24
    line = f"4242 ({name}) {' '.join(fields)}\n".encode()
    assert (stat_state(line), stat_start_time(line)) == (state, start)
    cut = line[: line.rindex(b")")]  # cut short: nothing rather than a wrong one
    assert (stat_state(cut), stat_start_time(cut)) == (None, None)


@pytest.mark.skipif(not pathlib.Path("/proc/self/stat").exists(), reason="Linux: /proc")
def test_this_machine_tells_its_own_processes_apart() -> None:
    here = LocalProcesses()
    assert here.boot_id() and here.pid_namespace()
    assert here.start_time(os.getpid()) is not None and here.exists(os.getpid())
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait(timeout=30)
    assert not here.exists(child.pid) and here.start_time(child.pid) is None and here.state(child.pid) is None
    with pytest.raises(OverflowError):
        here.exists(2**63)
    booted = here.boot_time()
    assert booted is not None and 0 < booted < time.time()


@pytest.mark.skipif(not pathlib.Path("/proc/self/stat").exists(), reason="Linux: /proc")
def test_a_real_zombie_exists_and_its_run_is_dead() -> None:
    here = LocalProcesses()
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)  # it has exited; not reaped: a zombie
        holder = identified(Holder(child.pid, "", COMMAND, stamp(T)), here, T)
        assert here.exists(child.pid) and here.state(child.pid) == "Z" and holder.start_time is not None
        assert verdict(holder, here, T, pathlib.Path("holder.json")) is Liveness.DEAD
        assert here.state(os.getpid()) in ("R", "S")
    finally:
        child.wait(timeout=30)


def test_the_boot_time_is_read_from_proc_stat_or_unknown(tmp_path: pathlib.Path) -> None:
    (tmp_path / "stat").write_bytes(b"cpu  1 2 3 4\ncpu0 1 2 3 4\nintr 5 6\nbtime 1774240000\nprocesses 9\n")
    assert LocalProcesses(tmp_path).boot_time() == 1_774_240_000.0
    (tmp_path / "stat").write_bytes(b"cpu  1 2 3 4\nbtime soon\n")
    assert LocalProcesses(tmp_path).boot_time() is None
    assert LocalProcesses(tmp_path / "nowhere").boot_time() is None


def test_the_readme_states_the_heartbeat_and_its_expiry_as_they_are() -> None:
    readme = (pathlib.Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = readme[readme.index("### Leased runs") : readme.index("**Scheduled endpoints.**")]
    assert f"every {LEASE_RENEWAL:g} seconds" in section
    assert f"at most {LEASE_EXPIRY / 60:g} minutes" in section
