"""A heartbeat: something done every so often, in a thread of its own, for as long as a block runs.

``endpointctl run`` renews its lease record with one (``engine.leases``), so that a reader that cannot
check its pid (another host or container) can tell a run that still holds its lease from one killed long
ago. The waiting is ``Clock.sleep`` on a stop event, as every wait in endpointctl: leaving the block sets
the event, which ends the sleep at once, and waits for a beat under way to finish, so that nothing is done
once the block is over. Tests drive ``beat_until`` on a clock of their own, and never sleep.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator

from endpointctl.core.clock import Cancel, Clock


def beat_until(stop: Cancel, beat: Callable[[], None], *, period: float, clock: Clock) -> int:
    """Call ``beat`` every ``period`` seconds on ``clock`` until ``stop`` is set: how many times it did."""
    beats = 0
    # Checked again after the sleep: a stop that came as the period ended must not be followed by a beat.
    while clock.sleep(period, stop) and not stop.is_set():
        beat()
        beats += 1
    return beats


@contextlib.contextmanager
def beating(beat: Callable[[], None], *, period: float, clock: Clock, name: str) -> Iterator[None]:
    """``beat`` every ``period`` seconds on ``clock`` in a daemon thread while the block runs; when it
    ends, however, no beat is under way or to come. A daemon: a process that ends without leaving the
    block (a second Ctrl-C) does not wait for it."""
    stop = threading.Event()
    thread = threading.Thread(
        target=beat_until,
        args=(stop, beat),
        kwargs={"period": period, "clock": clock},
        name=name,
        daemon=True,
    )
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
