"""Who uses an endpoint through ``endpointctl run`` on this machine, and the state to put it back in.

Overlapping runs of one endpoint share it: the first records the state it found, the last to finish puts
the endpoint back in that state. The bookkeeping lives in the state directory (``locks.state_dir``), in
``leases/<endpoint>/``:

- ``holder-<pid>.json``: one file per run holding a lease (``locks.Holder``: pid, host, command, since).
  Each run writes and removes only its own, so no file ever has two writers.
- ``before.json``: the state the first lease found (``{"state": "paused"}``).

Crash safety. A run that ends without cleaning up (SIGKILL, a power cut, a second Ctrl-C) leaves its
holder file behind. A holder whose pid no longer runs on this host is stale: it is ignored (and its file
removed), so a killed run never keeps the endpoint awake for good. Its ``before.json`` stays: the next
run of that endpoint, finding no live holder but a record, takes the record as the state to restore, so
the endpoint is put back where the killed run found it. A holder recorded by another host (a state
directory shared over the network) cannot be checked and counts as live.

A scheduled endpoint's state is its schedule's, not what a lease found: a run given its manifest puts
it back in the state the schedule holds when the run ends, and ``schedule run`` (``flows.schedule``), which
reads this book under the same lock, keeps ``before.json`` to the schedule's state while a live lease holds
the endpoint (and does not stop it under the run), and drops the record a killed run left once it has
moved the endpoint to the schedule's state itself.

Every read-modify-write here happens under the endpoint's ``lease:`` lock (``locks.hold``), taken by the
caller for a moment only: while joining and while leaving (the restore included), never for the run;
``schedule run`` holds it for its own run, taken before the endpoint's lock, as ``run`` takes them.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import socket
from dataclasses import asdict
from pathlib import Path

from endpointctl.core.errors import EndpointctlError
from endpointctl.core.targets import Target
from endpointctl.engine.locks import Holder, parse_holder, read_record, write_record

_BEFORE = "before.json"


def lease_key(target: Target) -> str:
    """The lock key that guards one endpoint's lease directory."""
    return f"lease:{target.key}"


class LeaseBookUnreadable(EndpointctlError):
    """Who uses an endpoint cannot be told: its lease directory or a holder in it cannot be read. Never
    "nobody": a live batch's endpoint would be paused under it."""


def is_alive(holder: Holder) -> bool:
    """Whether the holder's process still runs; one on another host cannot be checked, so it counts.
    LeaseBookUnreadable for a pid no process can have (a corrupt record): alive or dead cannot be told."""
    if holder.host != socket.gethostname():
        return True
    if holder.pid <= 0:
        return False
    try:
        os.kill(holder.pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, as another user's process
    except (OverflowError, ValueError) as error:
        raise LeaseBookUnreadable(
            f"a lease record names pid {holder.pid}, which no process can have"
        ) from error
    return True


class LeaseBook:
    """One endpoint's lease directory. Not locked by itself: hold its ``lease_key`` while using it."""

    def __init__(self, state_directory: Path, target: Target) -> None:
        # Readable for whoever looks, and a hash so that distinct endpoints never share a directory.
        slug = re.sub(r"[^A-Za-z0-9._-]+", "_", target.key)[:60]
        digest = hashlib.sha256(target.key.encode()).hexdigest()[:12]
        self.directory = state_directory / "leases" / f"{slug}-{digest}"

    def _holder_path(self, pid: int) -> Path:
        return self.directory / f"holder-{pid}.json"

    def others(self, pid: int) -> list[Holder]:
        """The live holders other than ``pid``; stale holder files (their process is gone) are removed."""
        here = socket.gethostname()
        return [h for h in self.live() if not (h.pid == pid and h.host == here)]

    def live(self, *, tidy: bool = True) -> list[Holder]:
        """Every live holder; with ``tidy``, the stale files are removed (not by a dry run).

        LeaseBookUnreadable when who holds a lease cannot be told: the directory cannot be listed, or a
        holder file cannot be read (another user's, not a regular file, too large). A file that reads
        but names no holder is garbage (records are never half-written: see write_record), and a dead
        holder's is stale: neither is anyone using the endpoint."""
        try:
            names = sorted(entry.name for entry in os.scandir(self.directory))
        except FileNotFoundError:
            return []
        except OSError as error:
            raise LeaseBookUnreadable(
                f"the lease directory {self.directory} cannot be read: {error}"
            ) from error
        live: list[Holder] = []
        for name in names:
            if not (name.startswith("holder-") and name.endswith(".json")):
                continue
            path = self.directory / name
            try:
                holder = parse_holder(read_record(path))
            except FileNotFoundError:
                continue  # gone meanwhile: its run has left
            except OSError as error:
                raise LeaseBookUnreadable(f"the lease record {path} cannot be read: {error}") from error
            if holder is None or not is_alive(holder):
                if tidy:
                    with contextlib.suppress(OSError):
                        path.unlink()
                continue
            live.append(holder)
        return live

    def add(self, holder: Holder) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        write_record(self._holder_path(holder.pid), asdict(holder))

    def remove(self, pid: int) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._holder_path(pid).unlink()

    def recorded(self) -> str | None:
        """The state the first lease found, if a lease set is open (or a killed run left it open)."""
        try:
            state = json.loads((self.directory / _BEFORE).read_text())["state"]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return state if isinstance(state, str) else None

    def record(self, state: str) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        write_record(self.directory / _BEFORE, {"state": state})

    def forget(self) -> None:
        """The lease set is closed: the endpoint is back where the first lease found it."""
        with contextlib.suppress(FileNotFoundError):
            (self.directory / _BEFORE).unlink()
