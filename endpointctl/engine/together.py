"""Independent reads at the same time: their round trips overlap, their outcome is as if one after another.

A plan reads the live listing of every namespace, the hardware catalog of every namespace a manifest
names and each branch's commit; none depends on another, so each runs in a thread of its own and the
plan waits for the slowest rather than for the sum. What the caller sees does not depend on timing:

- the answers come back in the order the reads were given;
- when reads fail, the error raised is the first failure *in that order* (the one the reads made one
  after another would have stopped at), once every read has ended; nothing is acted on unless every
  read succeeded;
- Ctrl-C (KeyboardInterrupt in the main thread, which is where Python delivers it) ends the wait at
  once: the cancel event is set so reads still running start no retry, and the interrupt goes on up.
  The threads are daemons, so a read still in flight never holds the process open at exit.

Signals are blocked in the readers' threads, as in the executor's, so the main thread always sees them.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar, cast

T = TypeVar("T")


class _Slot(Generic[T]):
    """One read's outcome: its answer, or what it raised."""

    def __init__(self) -> None:
        self.answer: T | None = None
        self.error: BaseException | None = None


def _run(read: Callable[[], T], slot: _Slot[T], done: threading.Semaphore) -> None:
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        slot.answer = read()
    except BaseException as error:  # handed to the caller, raised there in order
        slot.error = error
    finally:
        done.release()


def gather(reads: Sequence[Callable[[], T]], *, cancel: threading.Event | None = None) -> list[T]:
    """Every read's answer, in order; the reads run at the same time (one alone runs in this thread)."""
    if len(reads) <= 1:
        return [read() for read in reads]
    slots: list[_Slot[T]] = [_Slot() for _ in reads]
    done = threading.Semaphore(0)
    for index, (read, slot) in enumerate(zip(reads, slots, strict=True)):
        threading.Thread(
            target=_run, args=(read, slot, done), name=f"endpointctl-read-{index}", daemon=True
        ).start()
    try:
        for _ in reads:
            done.acquire()  # interruptible: Ctrl-C raises KeyboardInterrupt here
    except BaseException:
        if cancel is not None:
            cancel.set()  # the reads still running start no retry; the command is ending
        raise
    for slot in slots:
        if slot.error is not None:
            raise slot.error
    return [cast(T, slot.answer) for slot in slots]
