"""Who uses an endpoint through ``endpointctl run``, and the state to put it back in.

Overlapping runs of one endpoint share it: the first records the state it found, the last to finish puts
the endpoint back in that state. The bookkeeping lives in the state directory (``locks.state_dir``), in
``leases/<endpoint>/``:

- ``holder-<pid>-<random>.json``: one file per run holding a lease (``locks.Holder``: pid, host, command,
  since, and the identity and heartbeat below). Each run writes, renews and removes only its own, so no
  file ever has two writers; the random part keeps two containers' runs apart though both are pid 1
  (an older endpointctl wrote ``holder-<pid>.json``, which is still read).
- ``before.json``: the state the first lease found (``{"state": "paused"}``).

Crash safety. A run that ends without cleaning up (SIGKILL, a power cut, a second Ctrl-C) leaves its
holder file behind, which must not keep the endpoint awake (and billing) for good. Whether its run still
runs is told in one of two ways:

- By its pid, where that pid means here what it meant to the run: the same kernel boot and the same pid
  namespace (``engine.processes``; where either side cannot tell those, as on macOS or in an older record,
  the same host name, but never for pid 1: ``checkable``). The run is alive while a process with that pid
  exists, is no zombie (ended, not reaped) and, where both are known, started when the run did: a pid
  reused since is another process, and the holder is dead. An older record (no boot id) written before
  this kernel booted is dead whatever has its pid now.
- By its heartbeat, for a holder recorded on another host, before a reboot or in another pid namespace (a
  container: ``docker run --rm`` gives each run a new host name and its own pids). A running run rewrites
  its record every ``LEASE_RENEWAL`` seconds (``renewed``); such a holder counts as alive while its last
  renewal is at most ``LEASE_EXPIRY`` old (one in the future, a clock a little ahead, counts as fresh),
  and is taken as gone after that, never silently: the reading says so (``Holders.gone``, which ``run``
  and ``schedule run`` print).

A dead or expired holder is ignored (and its file removed); its ``before.json`` stays: the next run of
that endpoint, finding no live holder but a record, takes the record as the state to restore, so the
endpoint is put back where the killed run found it. What cannot be told is never "nobody"
(``LeaseBookUnreadable``: ``run`` exits 1 and ``schedule run`` leaves the endpoint blocked): a record that
cannot be read, one whose identity or heartbeat fields no run writes, one renewed further ahead of this
clock than the expiry, and an older endpointctl's record (no heartbeat) that cannot be checked by its pid
once it is older than the expiry — a long batch and a killed one then look alike, and the message names
the file to remove if the run is gone.

A scheduled endpoint's state is its schedule's, not what a lease found: a run given its manifest puts
it back in the state the schedule holds when the run ends, and ``schedule run`` (``flows.schedule``), which
reads this book under the same lock, keeps ``before.json`` to the schedule's state while a live lease holds
the endpoint (and does not stop it under the run), and drops the record a killed run left once it has
moved the endpoint to the schedule's state itself.

Every read-modify-write here happens under the endpoint's ``lease:`` lock (``locks.hold``), taken by the
caller for a moment only: while joining and while leaving (the restore included), never for the run;
``schedule run`` holds it for its own run, taken before the endpoint's lock, as ``run`` takes them. A
renewal rewrites the run's own file only, atomically, so it needs no lock.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import reprlib
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import Any

from endpointctl.core.defaults import LEASE_EXPIRY
from endpointctl.core.errors import EndpointctlError
from endpointctl.core.targets import Target, namespace_key
from endpointctl.engine.locks import STAMP, Holder, parse_holder, read_record, stamp, write_record
from endpointctl.engine.processes import Processes

_BEFORE = "before.json"
_MAX_TICKS = 2**64  # a start time is an unsigned 64-bit count of clock ticks


def _book_key(target: Target) -> str:
    # The Hub's namespaces are one whatever their case: `run --namespace Acme` and a manifest's `acme`
    # must share one book and one lock, or a schedule run would pause an endpoint under a live batch.
    return f"{namespace_key(target.namespace)}/{target.name}"


def lease_key(target: Target) -> str:
    """The lock key that guards one endpoint's lease directory."""
    return f"lease:{_book_key(target)}"


class LeaseBookUnreadable(EndpointctlError):
    """Who uses an endpoint cannot be told: its lease directory or a holder in it cannot be read, or a
    holder's run cannot be told alive or gone. Never "nobody": a live batch's endpoint would be paused
    under it."""


class Liveness(Enum):
    LIVE = "live"
    DEAD = "dead"  # checked by its pid: its process is gone (or the pid is another's now)
    EXPIRED = "expired"  # not checkable by its pid, and not renewed for over LEASE_EXPIRY: taken as gone


@dataclass(frozen=True)
class Holders:
    """One read of a lease book: who uses the endpoint, and the holders taken as gone by their heartbeat
    (to be said: the reader may act on an endpoint a run on another host believed it held)."""

    live: list[Holder]
    gone: list[Holder]


def identified(holder: Holder, processes: Processes, wall: float) -> Holder:
    """``holder`` (this process's) with what tells it from every other process (``engine.processes``), as
    a lease record written at ``wall``: since then, and renewed then. ``wall`` is the moment of writing, not
    when the run asked for its lock: waiting for that lock and reading the endpoint may take minutes (a
    lock timeout, an API read retried), and a record that said so would be read as expired the moment it
    was written, by a reader that can only judge it by its heartbeat."""
    return replace(
        holder,
        host=processes.host(),
        boot_id=processes.boot_id(),
        pid_namespace=processes.pid_namespace(),
        start_time=processes.start_time(holder.pid),
        since=stamp(wall),
        renewed=stamp(wall),
    )


def checkable(holder: Holder, processes: Processes) -> bool:
    """Whether the holder's pid means here what it meant to its run: recorded on this kernel since its
    last boot, in this pid namespace. Where either side cannot tell those (not Linux, an older record),
    the same host name, the only rule before they were recorded — but never pid 1 of a record that names
    no pid namespace: pid 1 is the first process of every container (where an endpointctl in an image's
    ENTRYPOINT runs), and here, on a host, init, which always exists; a container run with
    ``--network host`` has the host's name. Such a record is judged by its heartbeat, or, an older one
    without any, said to be unknowable once it is older than the expiry, never alive for good."""
    if holder.pid == 1 and holder.pid_namespace is None:
        return False
    here_boot, here_namespace = processes.boot_id(), processes.pid_namespace()
    if None not in (holder.boot_id, here_boot) and holder.boot_id != here_boot:
        return False  # another machine, or this one before a reboot
    # Namespace numbers repeat across machines, so equal ones alone prove nothing; different ones are
    # never one namespace.
    if None not in (holder.pid_namespace, here_namespace) and holder.pid_namespace != here_namespace:
        return False
    if None not in (holder.boot_id, here_boot, holder.pid_namespace, here_namespace):
        return True  # one kernel, one boot, one pid namespace: whatever the host names say
    return holder.host == processes.host()


def verdict(holder: Holder, processes: Processes, wall: float, where: Path) -> Liveness:
    """Whether the run ``holder`` names still runs, read at ``wall`` (seconds since the epoch) on this
    machine; ``where``: its file, for messages. LeaseBookUnreadable when that cannot be told (see the
    module's docstring)."""
    if checkable(holder, processes):
        if _before_this_boot(holder, processes):
            return Liveness.DEAD
        return Liveness.LIVE if _runs(holder, processes, where) else Liveness.DEAD
    return _by_heartbeat(holder, wall, where)


def _before_this_boot(holder: Holder, processes: Processes) -> bool:
    """Whether a record that names no boot (an older endpointctl's, checkable by its host name alone) was
    written before this kernel booted: its process cannot have survived the reboot, whatever now has its
    pid. A record that names its boot is told by the boot id; one whose ``since`` is no time, by its pid
    (as before). A wall clock set forward after the boot (one with no battery, set by NTP late) could make
    a record of this boot look older than it: only an older endpointctl's records are judged so."""
    if holder.boot_id is not None:
        return False
    booted, since = processes.boot_time(), parse_stamp(holder.since)
    # Both whole seconds, ``since`` cut down: a run that wrote it in this boot's first second is not older.
    return booted is not None and since is not None and since < booted


def _runs(holder: Holder, processes: Processes, where: Path) -> bool:
    if holder.pid <= 0:
        return False
    try:
        exists = processes.exists(holder.pid)
    except (OverflowError, ValueError) as error:
        raise LeaseBookUnreadable(
            f"the lease record {where} names pid {holder.pid}, which no process can have"
        ) from error
    if not exists:
        return False
    # A zombie (or one going, X) is a run that has ended (killed, say) and that its parent has not reaped
    # yet; a parent that never does keeps its pid taken for as long as that parent lives.
    if processes.state(holder.pid) in ("Z", "X"):
        return False
    if holder.start_time is None:
        return True
    started = processes.start_time(holder.pid)
    # Gone meanwhile, or /proc unreadable: the pid's existence is all there is to go by.
    return started is None or started == holder.start_time


def _by_heartbeat(holder: Holder, wall: float, where: Path) -> Liveness:
    last = holder.renewed if holder.renewed is not None else holder.since
    at = parse_stamp(last)
    who = f"{_who(holder)}, which cannot be checked here by its pid (another host, boot or pid namespace)"
    if at is None:
        raise LeaseBookUnreadable(
            f"the lease record {where} names {who}, started at {reprlib.repr(last)}, which is no time: "
            f"whether that run still runs cannot be told; if it is gone, remove {where}"
        )
    age = wall - at
    if age < -LEASE_EXPIRY:
        # Fresh for as long as the record says would be the old bug again: a dead run billing for good.
        raise LeaseBookUnreadable(
            f"the lease record {where} names {who}, last renewed {last}, more than {_minutes()} ahead of "
            f"this machine's clock: whether that run still runs cannot be told; set the clocks right, or "
            f"if that run is gone, remove {where}"
        )
    if age <= LEASE_EXPIRY:
        return Liveness.LIVE
    if holder.renewed is None:
        raise LeaseBookUnreadable(
            f"the lease record {where} names {who}, since {last}, written by an endpointctl that did not "
            f"renew its leases: after {_minutes()} a long batch and a killed one look alike, so whether that "
            f"run still runs cannot be told; if it is gone, remove {where}"
        )
    return Liveness.EXPIRED


def gone_note(holder: Holder) -> str:
    """What a reader says of a holder it took as gone (``Liveness.EXPIRED``)."""
    return (
        f"the lease of {_who(holder)} was last renewed {holder.renewed}, over {_minutes()} ago, and it "
        "cannot be checked here by its pid (another host, boot or pid namespace): taken as gone (killed?)"
    )


def _who(holder: Holder) -> str:
    return f"pid {holder.pid} on {holder.host} ({holder.command})"


def _minutes() -> str:
    return f"{LEASE_EXPIRY / 60:g} minutes"


def parse_stamp(text: str) -> float | None:
    """A record's time (``locks.STAMP``) in seconds since the epoch; None when it is none."""
    try:
        return datetime.strptime(text, STAMP).replace(tzinfo=UTC).timestamp()
    except (ValueError, OverflowError):
        return None


def parse_lease(data: bytes, where: Path) -> Holder | None:
    """The holder a lease record's bytes name; None when they name none: garbage, which ``LeaseBook.read``
    takes as no one's. Fields an older record lacks are None. LeaseBookUnreadable when a field that tells
    whether its run still runs (identity, heartbeat) holds what no run writes: a wrong type, a start time
    no process has, a renewal that is no time.

    Why garbage is no one's, though it could be read as a run that cannot be told: no run leaves one. A
    record is written whole, flushed to the disk and only then renamed into place (``locks.write_record``),
    so neither a reader nor a crash sees half of one. An empty or cut file is what a crash of the machine
    leaves of a record an older endpointctl wrote without flushing it, and that crash ended its run too
    (every run that writes to a state directory runs on its machine: not on a network file system, the
    README says); else it is a hand edit, or not endpointctl's. Taking it as a run that cannot be told
    would block the endpoint after every power cut until someone removed the file."""
    holder = parse_holder(data)
    if holder is None:
        return None
    record: dict[str, Any] = json.loads(data)  # it parsed above, as an object
    return replace(
        holder,
        boot_id=_text(record, "boot_id", where),
        pid_namespace=_text(record, "pid_namespace", where),
        start_time=_ticks(record, "start_time", where),
        renewed=_time(record, "renewed", where),
    )


def _text(record: dict[str, Any], key: str, where: Path) -> str | None:
    value = record.get(key)
    if value is None or isinstance(value, str):
        return value
    raise _corrupt(where, key, value)


def _ticks(record: dict[str, Any], key: str, where: Path) -> int | None:
    value = record.get(key)
    if value is None or (type(value) is int and 0 <= value < _MAX_TICKS):
        return value
    raise _corrupt(where, key, value)


def _time(record: dict[str, Any], key: str, where: Path) -> str | None:
    value = _text(record, key, where)
    if value is None or parse_stamp(value) is not None:
        return value
    raise _corrupt(where, key, value)


def _corrupt(where: Path, key: str, value: object) -> LeaseBookUnreadable:
    return LeaseBookUnreadable(
        f"the lease record {where} has a {key} no run writes ({reprlib.repr(value)}): whether its run still "
        f"runs cannot be told; if it is gone, remove {where}"
    )


class LeaseBook:
    """One endpoint's lease directory. Not locked by itself: hold its ``lease_key`` while using it."""

    def __init__(self, state_directory: Path, target: Target) -> None:
        # Readable for whoever looks, and a hash so that distinct endpoints never share a directory.
        key = _book_key(target)
        slug = re.sub(r"[^A-Za-z0-9._-]+", "_", key)[:60]
        digest = hashlib.sha256(key.encode()).hexdigest()[:12]
        self.directory = state_directory / "leases" / f"{slug}-{digest}"

    def read(self, processes: Processes, wall: float, *, me: int | None = None, tidy: bool = True) -> Holders:
        """Who holds a lease, told on this machine (``processes``) at ``wall``; with ``tidy``, the files
        of dead and expired holders are removed (not by a dry run). ``me``: the pid of the run reading,
        whose own record (one checkable here with its pid) is not another's.

        LeaseBookUnreadable when who holds a lease cannot be told: the directory cannot be listed, a
        holder file cannot be read (another user's, not a regular file, too large), or a holder's run
        cannot be told alive or gone (``verdict``, ``parse_lease``). A file that reads but names no holder
        is garbage (``parse_lease`` says why that is no one's), and a dead holder's is stale: neither is
        anyone using the endpoint."""
        try:
            names = sorted(entry.name for entry in os.scandir(self.directory))
        except FileNotFoundError:
            return Holders([], [])
        except OSError as error:
            raise LeaseBookUnreadable(
                f"the lease directory {self.directory} cannot be read: {error}"
            ) from error
        live: list[Holder] = []
        gone: list[Holder] = []
        for name in names:
            if not (name.startswith("holder-") and name.endswith(".json")):
                continue
            path = self.directory / name
            try:
                holder = parse_lease(read_record(path), path)
            except FileNotFoundError:
                continue  # gone meanwhile: its run has left
            except OSError as error:
                raise LeaseBookUnreadable(f"the lease record {path} cannot be read: {error}") from error
            found = verdict(holder, processes, wall, path) if holder is not None else Liveness.DEAD
            if found is Liveness.LIVE:
                assert holder is not None
                if not (holder.pid == me and checkable(holder, processes)):
                    live.append(holder)
                continue
            if holder is not None and found is Liveness.EXPIRED:
                gone.append(holder)
            if tidy:
                with contextlib.suppress(OSError):
                    path.unlink()
        return Holders(live, gone)

    def add(self, holder: Holder) -> Path:
        """Record ``holder``'s lease, in a file of its own: where it is."""
        self.directory.mkdir(parents=True, exist_ok=True)
        # Random too: every container's endpointctl may be pid 1, and two sharing a state volume must
        # never write one file (the first to leave would remove the other's lease).
        path = self.directory / f"holder-{holder.pid}-{os.urandom(4).hex()}.json"
        write_record(path, asdict(holder), durable=True)
        return path

    def renew(self, path: Path, holder: Holder, wall: float) -> bool:
        """Rewrite this run's own record (``path``) as renewed at ``wall``. False when it was not there: a
        reader took the run as gone meanwhile (its clock, or this one, stood still for the expiry); the
        lease is written again, for the run still holds it."""
        there = path.exists()
        self.directory.mkdir(parents=True, exist_ok=True)
        write_record(path, asdict(replace(holder, renewed=stamp(wall))), durable=True)
        return there

    def remove(self, path: Path) -> None:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()

    def recorded(self) -> str | None:
        """The state the first lease found, if a lease set is open (or a killed run left it open)."""
        try:
            state = json.loads((self.directory / _BEFORE).read_text())["state"]
        except (OSError, ValueError, KeyError, TypeError, RecursionError):
            return None
        return state if isinstance(state, str) else None

    def record(self, state: str) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        write_record(self.directory / _BEFORE, {"state": state}, durable=True)

    def forget(self) -> None:
        """The lease set is closed: the endpoint is back where the first lease found it."""
        with contextlib.suppress(FileNotFoundError):
            (self.directory / _BEFORE).unlink()
