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
        """Whether a process ``pid`` exists in this pid namespace (another user's too). OverflowError or
        ValueError for a pid no process can have."""
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
        if pid <= 0:
            return None
        try:
            with open(self._proc / str(pid) / "stat", "rb") as file:
                return stat_start_time(file.read(4096))
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
    # Field 2, the command's name in parentheses, may itself hold spaces and ")": the fields after it
    # start after the last ")", with field 3 (the state) first, so field 22 is the 20th of them.
    _, paren, rest = stat.rpartition(b")")
    if not paren:
        return None
    fields = rest.split()
    if len(fields) < 20 or not fields[19].isdigit():
        return None
    return int(fields[19])


def _first_line(path: Path) -> str | None:
    try:
        with open(path, "rb") as file:
            text = file.read(256).decode("ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return text or None
