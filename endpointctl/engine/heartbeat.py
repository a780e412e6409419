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

Failed = Callable[[Exception], None]


def _ignore(_error: Exception) -> None:
    pass


def beat_until(
    stop: Cancel, beat: Callable[[], None], *, period: float, clock: Clock, failed: Failed = _ignore
) -> int:
    """Call ``beat`` every ``period`` seconds on ``clock`` until ``stop`` is set: how many times it did.

    A beat that raises is given to ``failed`` and the beating goes on: the next may work (a disk full
    for a while), and a heartbeat that stops is what it exists to prevent — a run's lease taken as gone
    and its endpoint paused under it. So is ``failed`` raising (saying so on a stderr whose reader has
    gone: a broken pipe)."""
    beats = 0
    # Checked again after the sleep: a stop that came as the period ended must not be followed by a beat.
    while clock.sleep(period, stop) and not stop.is_set():
        try:
            beat()
        except Exception as error:  # not BaseException: this thread gets no KeyboardInterrupt
            with contextlib.suppress(Exception):
                failed(error)
        beats += 1
    return beats


@contextlib.contextmanager
def beating(
    beat: Callable[[], None], *, period: float, clock: Clock, name: str, failed: Failed = _ignore
) -> Iterator[None]:
    """``beat`` every ``period`` seconds on ``clock`` in a daemon thread while the block runs (a beat
    that fails goes to ``failed``, and the beating goes on: ``beat_until``); when the block ends, however,
    no beat is under way or to come. A daemon: a process that ends without leaving the block (a second
    Ctrl-C) does not wait for it."""
    stop = threading.Event()
    thread = threading.Thread(
        target=beat_until,
        args=(stop, beat),
        kwargs={"period": period, "clock": clock, "failed": failed},
        name=name,
        daemon=True,
    )
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
