"""A machine's processes as a test describes them (``engine.processes.Processes``): lease verdicts that do not
depend on the host, kernel or platform the tests run on."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from endpointctl.engine.locks import Holder, stamp

HERE_BOOT = "0f5c2a9e-1111-4d6b-9a57-5b1e3c0d7e21"
HERE_NAMESPACE = "pid:[4026531836]"
CONTAINER_NAMESPACE = "pid:[4026532713]"  # another container's, on the same kernel


@dataclass
class FakeProcesses:
    host_name: str = "batch-host"
    boot: str | None = HERE_BOOT
    namespace: str | None = HERE_NAMESPACE
    running: dict[int, int | None] = field(default_factory=dict)  # pid → its start time (None: unknown)
    zombies: set[int] = field(default_factory=set)  # pids of ``running`` that have exited, not reaped
    booted: float | None = None  # when this kernel booted (seconds since the epoch); None: unknown

    def host(self) -> str:
        return self.host_name

    def boot_id(self) -> str | None:
        return self.boot

    def pid_namespace(self) -> str | None:
        return self.namespace

    def start_time(self, pid: int) -> int | None:
        return self.running.get(pid)

    def state(self, pid: int) -> str | None:
        if pid not in self.running:
            return None
        return "Z" if pid in self.zombies else "S"

    def boot_time(self) -> float | None:
        return self.booted

    def exists(self, pid: int) -> bool:
        if pid > 2**31 - 1:  # as os.kill says of a pid no process can have
            raise OverflowError("signed integer is greater than maximum")
        return pid in self.running


def container_holder(at: float, **fields: Any) -> Holder:
    """A run in another container of this kernel, last renewed at ``at``: ``docker run --rm`` with
    the state on a volume, so a host name of its own, a pid namespace of its own, and pid 1."""
    base = Holder(
        pid=1,
        host="3f2a9c1b7d0e",
        command="endpointctl run office -- batch.py",
        since=stamp(at - 3600),
        boot_id=HERE_BOOT,
        pid_namespace=CONTAINER_NAMESPACE,
        start_time=12_345,
        renewed=stamp(at),
    )
    return replace(base, **fields)
