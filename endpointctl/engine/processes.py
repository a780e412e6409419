"""Who this process is, and whether another one still runs: what a lease record needs (``engine.leases``).

A pid names a process only within one pid namespace of one running kernel, and only until it is reused.
So a lease holder records, beside its pid and host name:

- the kernel's boot id (``/proc/sys/kernel/random/boot_id``): new at each boot, and the same in every
  container of that kernel, so it tells "this machine, since its last boot" where a host name cannot
  (``docker run --rm`` gives each container a new one);
- its pid namespace (``/proc/self/ns/pid``, as ``pid:[4026531836]``): each container has its own unless
  run with ``--pid=host``, and there pid 1 is a different process in each;
- its start time (field 22 of ``/proc/<pid>/stat``: clock ticks since boot), which a reused pid does not
  share.

A reader also asks whether a process that exists is a zombie (state ``Z``, or ``X`` as it goes, field 3 of
``/proc/<pid>/stat``): a run killed but not yet reaped by its parent (a shell or an init that does not
wait) keeps its pid, and ``kill(pid, 0)`` still finds it, for as long as that parent lives. And when this
kernel booted (``btime`` in ``/proc/stat``): a record without a boot id written before then names a
process that cannot have survived the reboot.

Each is None where it cannot be read (macOS, a /proc not mounted): the reader then falls back to the host
name, as before these were recorded. ``Processes`` is what ``engine.leases`` asks; ``LocalProcesses`` is
this machine, and tests give their own, so that a lease's verdict never depends on where they run.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Protocol

_PROC = Path("/proc")


class Processes(Protocol):
    def host(self) -> str:
        """This machine's (or container's) host name."""
        ...

    def boot_id(self) -> str | None:
        """The running kernel's boot id; None where unknown."""
        ...

    def pid_namespace(self) -> str | None:
        """This process's pid namespace; None where unknown."""
        ...

    def start_time(self, pid: int) -> int | None:
        """When process ``pid`` (of this pid namespace) started, in clock ticks since boot; None where
        unknown (no such process, not Linux)."""
        ...

    def exists(self, pid: int) -> bool:
        """Whether a process ``pid`` exists in this pid namespace (another user's too), a zombie too.
        OverflowError or ValueError for a pid no process can have."""
        ...

    def state(self, pid: int) -> str | None:
        """Process ``pid``'s state, as ``/proc/<pid>/stat`` gives it (``R``, ``S``, ``Z`` for a zombie, ...);
        None where unknown (no such process, not Linux)."""
        ...

    def boot_time(self) -> float | None:
        """When this kernel booted, in seconds since the epoch; None where unknown (not Linux)."""
        ...


class LocalProcesses:
    """This machine's processes, as its kernel tells them."""

    def __init__(self, proc: Path = _PROC) -> None:
        self._proc = proc

    def host(self) -> str:
        return socket.gethostname()

    def boot_id(self) -> str | None:
        return _first_line(self._proc / "sys" / "kernel" / "random" / "boot_id")

    def pid_namespace(self) -> str | None:
        try:
            return os.readlink(self._proc / "self" / "ns" / "pid") or None
        except OSError:
            return None

    def start_time(self, pid: int) -> int | None:
        stat = self._stat(pid)
        return None if stat is None else stat_start_time(stat)

    def state(self, pid: int) -> str | None:
        stat = self._stat(pid)
        return None if stat is None else stat_state(stat)

    def boot_time(self) -> float | None:
        try:
            with open(self._proc / "stat", "rb") as file:
                lines = file.read(1 << 20).splitlines()  # a line per CPU: some kilobytes
        except OSError:
            return None
        for line in lines:
            name, _, value = line.partition(b" ")
            if name == b"btime" and value.strip().isdigit():
                return float(value.strip())
        return None

    def _stat(self, pid: int) -> bytes | None:
        if pid <= 0:
            return None
        try:
            with open(self._proc / str(pid) / "stat", "rb") as file:
                return file.read(4096)
        except OSError:
            return None

    def exists(self, pid: int) -> bool:
        if pid <= 0:
            return False  # 0 and negative pids name process groups to kill, never one process
        try:
            os.kill(pid, 0)  # signal 0: only asks whether the process exists
        except ProcessLookupError:
            return False
        except PermissionError:
            return True  # it exists, as another user's process
        return True


def stat_start_time(stat: bytes) -> int | None:
    """Field 22 of a ``/proc/<pid>/stat`` line (starttime); None when the line is not one."""
    fields = _after_name(stat)
    if not fields or not fields[19].isdigit():  # field 22 is the 20th from field 3
        return None
    return int(fields[19])


def stat_state(stat: bytes) -> str | None:
    """Field 3 of a ``/proc/<pid>/stat`` line (the state: ``R``, ``S``, ``Z``, ...); None when the line is
    not one."""
    fields = _after_name(stat)
    if not fields or len(fields[0]) != 1 or not fields[0].isalpha():
        return None
    return fields[0].decode("ascii")


def _after_name(stat: bytes) -> list[bytes]:
    """The fields of a stat line from field 3 on, at least up to field 22; none when it is not one (cut
    short too: a name that holds ")" could make a part of it look like the fields). Field 2, the command's
    name in parentheses, may itself hold spaces, parentheses and letters (a process may name itself
    ``a) Z (b``): the fields after it start after the last ")"."""
    _, paren, rest = stat.rpartition(b")")
    fields = rest.split() if paren else []
    return fields if len(fields) >= 20 else []


def _first_line(path: Path) -> str | None:
    try:
        with open(path, "rb") as file:
            text = file.read(256).decode("ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return text or None
