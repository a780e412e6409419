"""One machine, one apply at a time per stack and per endpoint: advisory file locks that name their holder.

What is locked (the keys):

- with ``--stack NAME``: the stack, so two applies of one stack never interleave, prune included;
- always: every ``namespace/name`` the manifests address, so an apply without ``--stack`` (or of another
  stack) that names the same endpoint waits too.

Endpoints that only a prune would delete are covered by the stack key alone: they have no manifest, so no
other apply names them. Keys do not include the API URL: an apply to the sandbox and one to production with
the same stack name wait for each other, which is conservative and cheap.

Several keys are taken in sorted order under one deadline, so two applies never deadlock; ``schedule run``
takes each endpoint's keys on their own (``hold_each``), so one endpoint held elsewhere holds up no other
and is reported blocked. The locks are
``flock`` locks (via filelock): the kernel drops them when their process dies, even on SIGKILL, so a
crashed apply never leaves a lock that needs cleaning up. Beside each lock file a small JSON side file
records the holder (pid, host, command, start time), so a waiting apply can say whom it waits for.
Only commands that change something take locks: ``plan`` and ``apply --dry-run`` do not.

Across machines these locks mean nothing; CI serialises applies of one stack with a concurrency group.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import socket
import stat
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import filelock
import platformdirs

from endpointctl.core.backoff import LOCK
from endpointctl.core.clock import Cancel, Clock
from endpointctl.core.defaults import LOCK_TIMEOUT
from endpointctl.core.errors import EndpointctlError, Interrupted, UsageError
from endpointctl.core.targets import namespace_key
from endpointctl.engine.polling import PollOutcome, poll

DEFAULT_TIMEOUT = LOCK_TIMEOUT


class LockTimeout(EndpointctlError):
    """Another process held a lock for longer than --lock-timeout."""


STAMP = "%Y-%m-%dT%H:%M:%SZ"  # how a record writes a time: ISO 8601, UTC, to the second


def stamp(wall: float) -> str:
    """``wall`` (seconds since the epoch) as a record writes it (``STAMP``)."""
    return datetime.fromtimestamp(wall, UTC).strftime(STAMP)


@dataclass(frozen=True)
class Holder:
    pid: int
    host: str
    command: str
    since: str  # ISO 8601, UTC
    # A lease holder's (``engine.leases``) identity beyond pid and host, and its heartbeat; None where
    # unknown: not Linux, a lock's record (which only names its holder), or an older endpointctl's.
    boot_id: str | None = None
    pid_namespace: str | None = None
    start_time: int | None = None  # clock ticks since boot
    renewed: str | None = None  # ISO 8601, UTC, as ``since``

    def describe(self) -> str:
        return f"pid {self.pid} on {self.host} ({self.command}, since {self.since})"

    @classmethod
    def current(cls, command: str, wall: float) -> Holder:
        return cls(pid=os.getpid(), host=socket.gethostname(), command=command, since=stamp(wall))


def state_dir(override: str | None) -> Path:
    """Where locks live: ENDPOINTCTL_STATE_DIR, else the user's state directory."""
    return Path(override) if override else Path(platformdirs.user_state_dir("endpointctl"))


def apply_keys(stack: str | None, endpoints: Iterable[tuple[str, str]]) -> list[str]:
    """The lock keys of an apply: its stack, if any, and every (namespace, name) its manifests address."""
    # Namespaces whatever their case (core/targets.namespace_key): a manifest's `Acme` and a command's
    # `acme` are one endpoint, and must take one lock.
    keys = {f"endpoint:{namespace_key(namespace)}/{name}" for namespace, name in endpoints}
    if stack:
        keys.add(f"stack:{stack}")
    return sorted(keys)


def check_usable(directory: Path) -> None:
    """Refuse, as a usage error, a state directory that cannot hold locks (a file, read-only, ...)."""
    try:
        (directory / "locks").mkdir(parents=True, exist_ok=True)
        probe = directory / "locks" / f".writable-{os.getpid()}"
        probe.touch()
        probe.unlink()
    except OSError as error:
        raise UsageError(
            f"cannot keep locks in {directory}: {error.strerror or error}",
            hint="set ENDPOINTCTL_STATE_DIR to a directory endpointctl may write to, or leave it unset",
        ) from None


def describe_key(key: str) -> str:
    kind, _, value = key.partition(":")
    return f"{kind} '{value}'"


def _paths(directory: Path, key: str) -> tuple[Path, Path]:
    # Readable for whoever looks in the directory, and a hash so that distinct keys never share a file.
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", key)[:60]
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    stem = directory / "locks" / f"{slug}-{digest}"
    return stem.with_name(stem.name + ".lock"), stem.with_name(stem.name + ".holder.json")


def read_holder(directory: Path, key: str) -> Holder | None:
    """The recorded holder of a key; None if unknown (not written yet, or being replaced)."""
    return holder_in(_paths(directory, key)[1])


_RECORD_LIMIT = 4096  # bytes: a holder or lease record is a few hundred


def read_record(path: Path) -> bytes:
    """A record file's bytes. OSError unless it is a regular file of at most ``_RECORD_LIMIT`` bytes: a
    FIFO put in its place hung the reader for good (no timeout reaches a blocking open or read), and a
    link to /dev/zero would have read until memory ran out. FileNotFoundError: not there."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as file:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(f"{path} is not a regular file")
        data = file.read(_RECORD_LIMIT + 1)
    if len(data) > _RECORD_LIMIT:
        raise OSError(f"{path} is larger than a record can be")
    return data


def parse_holder(data: bytes) -> Holder | None:
    """The holder a record's bytes name; None when they name none (garbage, a field missing)."""
    try:
        record = json.loads(data)
        return Holder(
            pid=int(record["pid"]),
            host=str(record["host"]),
            command=str(record["command"]),
            since=str(record["since"]),
        )
    # RecursionError: a file of a few thousand "[" nests deeper than the decoder goes.
    except (ValueError, KeyError, TypeError, OverflowError, RecursionError):
        return None


def holder_in(path: Path) -> Holder | None:
    """The holder recorded in ``path`` (a lock's), to name it; None if unreadable or not there."""
    try:
        return parse_holder(read_record(path))
    except OSError:
        return None


def write_record(path: Path, data: object, *, durable: bool = False) -> None:
    """``data`` as JSON in ``path``: written to a temporary file beside it, then renamed into place, so a
    reader never sees half of one. The temporary file is removed when that fails (a full disk), and the
    record left as it was.

    ``durable``: the data is flushed to the disk before the rename, and the rename after it, so a crash of
    the machine (a power cut) leaves the old record or the new one. Without, a file system may keep the
    rename and lose the data: an empty file. A lease record asks for it (``engine.leases``); a lock's does
    not, for it means nothing once its process is gone, and a crash ends them all."""
    # Random too: every container's endpointctl may be pid 1, and two may share a state volume.
    temporary = path.with_name(f".{path.name}.{os.getpid()}-{os.urandom(4).hex()}.tmp")
    try:
        with open(temporary, "w", encoding="utf-8") as file:
            file.write(json.dumps(data))
            if durable:
                file.flush()
                os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    if durable:
        _sync_directory(path.parent)


def _sync_directory(directory: Path) -> None:
    """The directory's entries flushed to the disk: a rename is kept across a crash only once it is."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return  # best effort: the data itself is on the disk already
    try:
        with contextlib.suppress(OSError):  # some file systems refuse to sync a directory
            os.fsync(fd)
    finally:
        os.close(fd)


def _write_holder(path: Path, holder: Holder) -> None:
    write_record(path, asdict(holder))


def _held_by(directory: Path, key: str) -> str:
    holder = read_holder(directory, key)
    return f"held by {holder.describe()}" if holder else "held by another process"


def _take(
    lock: filelock.FileLock,
    key: str,
    directory: Path,
    *,
    deadline: float,
    clock: Clock,
    on_wait: Callable[[str], None],
    cancel: Cancel | None,
    settable: bool = True,
) -> bool:
    """Acquire one key's lock by ``deadline``, saying once whom it waits for: whether it was had.
    ``settable``: the command takes ``--lock-timeout`` (only then is it named).

    Once the deadline has passed it is still tried once. An interrupt raises ``Interrupted``."""
    announced: list[bool] = []

    def attempt() -> float | None:
        try:
            lock.acquire(blocking=False)
            return None
        except filelock.Timeout:
            pass
        remaining = deadline - clock.now()
        if not announced and remaining > 0:
            on_wait(
                f"waiting for the lock on {describe_key(key)} {_held_by(directory, key)}; "
                f"giving up in {remaining:.3g} s" + (" (--lock-timeout)" if settable else "")
            )
            announced.append(True)
        return 0.0

    polled = poll(attempt, clock=clock, timeout=max(0.0, deadline - clock.now()), cancel=cancel, backoff=LOCK)
    if polled.outcome is PollOutcome.INTERRUPTED:
        raise Interrupted(
            f"interrupted while waiting for the lock on {describe_key(key)}; nothing was changed"
        )
    return polled.outcome is PollOutcome.DONE


@contextlib.contextmanager
def hold(
    keys: Iterable[str],
    *,
    directory: Path,
    command: str,
    timeout: float = DEFAULT_TIMEOUT,
    clock: Clock,
    on_wait: Callable[[str], None] = lambda _message: None,
    cancel: Cancel | None = None,
    settable: bool = True,
) -> Iterator[Holder]:
    """Hold every key's lock for the duration of the block, or raise LockTimeout naming the holder.
    ``settable``: the command takes ``--lock-timeout``, which the messages then name (pause, resume and
    run do not: they wait the default).

    Waits at most ``timeout`` seconds in all (0: do not wait); ``on_wait`` hears once per contended key
    whom it is waiting for. Polls on ``clock`` (``polling.poll``), so tests drive the wait without
    sleeping; an interrupt ends the wait with ``Interrupted``, holding nothing.
    """
    check_usable(directory)
    deadline = clock.now() + timeout
    taken: list[tuple[filelock.FileLock, Path]] = []
    holder: Holder | None = None
    try:
        for key in sorted(set(keys)):
            lock_path, holder_path = _paths(directory, key)
            lock = filelock.FileLock(lock_path)
            if not _take(
                lock,
                key,
                directory,
                deadline=deadline,
                clock=clock,
                on_wait=on_wait,
                cancel=cancel,
                settable=settable,
            ):
                raise LockTimeout(
                    f"the lock on {describe_key(key)} is {_held_by(directory, key)}; "
                    f"gave up after {timeout:g} s",
                    hint=(
                        "wait for it to finish, or raise --lock-timeout"
                        if settable
                        else "wait for it to finish"
                    )
                    + "; a lock always dies with its process, so the holder is still running",
                )
            taken.append((lock, holder_path))
            # Stamped once the first lock is had, not before the wait for it: a holder's ``since`` says
            # since when it holds, and ``run`` makes its lease record of it (``engine.flows.lease``).
            holder = holder or Holder.current(command, clock.wall())
            _write_holder(holder_path, holder)
        yield holder or Holder.current(command, clock.wall())
    finally:
        _release(taken)


@contextlib.contextmanager
def hold_each(
    groups: Sequence[Sequence[str]],
    *,
    directory: Path,
    command: str,
    timeout: float,
    clock: Clock,
    on_wait: Callable[[str], None] = lambda _message: None,
    cancel: Cancel | None = None,
) -> Iterator[list[str | None]]:
    """Each group's locks (one endpoint's keys) on their own: a group not had by the deadline is left out
    and the others are held for the block, which gets, per group, None (held) or why not
    (``locked by pid 4242 on ci-3 (endpointctl apply ..., since ...)``).

    Groups are taken in the order given, the keys of a group in theirs; once one key of a group is not had,
    the group's others are let go. Every caller that takes keys of several endpoints takes them in one
    order — endpoints sorted by key, a ``lease:`` key just before its ``endpoint:`` key, as ``run`` takes
    them — so no two processes ever wait for each other. Waits at most ``timeout`` seconds in all: once it
    has passed, each further key is tried once. An interrupt ends the wait with ``Interrupted``, holding
    nothing.
    """
    check_usable(directory)
    deadline = clock.now() + timeout
    taken: list[tuple[filelock.FileLock, Path]] = []
    missed: list[str | None] = []
    holder: Holder | None = None  # stamped once the first lock is had, as in ``hold``
    try:
        for group in groups:
            first = len(taken)
            why: str | None = None
            for key in group:
                lock_path, holder_path = _paths(directory, key)
                lock = filelock.FileLock(lock_path)
                if not _take(
                    lock, key, directory, deadline=deadline, clock=clock, on_wait=on_wait, cancel=cancel
                ):
                    holding = read_holder(directory, key)
                    why = f"locked by {holding.describe()}" if holding else "locked by another process"
                    break
                taken.append((lock, holder_path))
                holder = holder or Holder.current(command, clock.wall())
                _write_holder(holder_path, holder)
            if why is not None:
                _release(taken[first:])
                del taken[first:]
            missed.append(why)
        yield missed
    finally:
        _release(taken)


def _release(taken: list[tuple[filelock.FileLock, Path]]) -> None:
    for lock, holder_path in reversed(taken):
        # The record goes first: once the lock is released, the file may already be the next holder's.
        with contextlib.suppress(OSError):
            holder_path.unlink()
        lock.release()
