"""What SIGINT and SIGTERM do: end the command at once, or, while changes are made, stop starting new ones.

Outside ``interruptible`` both raise KeyboardInterrupt in the main thread (``main`` turns it into exit
130 with a line), so Ctrl-C or a CI runner's SIGTERM ends a command that is reading, planning or asking
at once. Inside, a signal must not interrupt the call in flight: it only has the command's cancel event
set, and everything that waits or starts a step looks at that event.

A second signal while the first is being honoured ends the process at once (exit 130), for a call
that will not finish.

The Python-level handler only stores a flag (``CancelEvent.request``: one attribute, no lock), which
``is_set`` sees at once. The interpreter's C-level handler also writes the signal's number to a wakeup
socket (``signal.set_wakeup_fd``); a watcher thread reads it, sets the event, which wakes every sleep
waiting on it, and says so. A handler that printed or set the event itself would take locks (the
output's, the event's) that the main thread it interrupted may be holding, and hang there for good.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from endpointctl.engine.cancel import CancelEvent
from endpointctl.ui.sink import Output

_SIGNALS = (signal.SIGINT, signal.SIGTERM)
_STOP = b"\xff"  # not a signal number: the watcher's cue to end


# The signals taken as Ctrl-C outside ``interruptible`` during this command (``ended_by_sigterm``).
_received: list[int] = []


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    _received.append(signum)  # one append: no lock taken in a handler
    raise KeyboardInterrupt


def interrupted() -> bool:
    """Whether SIGINT or SIGTERM arrived outside ``interruptible`` during this command. The
    KeyboardInterrupt it raises can land inside a lock's bookkeeping (a Condition's wait, as the main
    thread waits for the readers) and come out as another error ("release unlocked lock"): ``main`` then
    still reports an interrupt (exit 130), not a bug."""
    return bool(_received)


@contextmanager
def ended_by_sigterm() -> Iterator[None]:
    """SIGTERM as SIGINT is by default: KeyboardInterrupt in the main thread, so it exits 130, not -15.
    Both through a handler that notes it (``interrupted``); a SIGINT ignored by whoever started the
    process (a background job of a non-interactive shell) stays ignored."""
    _received.clear()
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signal.SIGTERM: signal.signal(signal.SIGTERM, _raise_interrupt)}
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        previous[signal.SIGINT] = signal.signal(signal.SIGINT, _raise_interrupt)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextmanager
def interruptible(cancel: CancelEvent, out: Output) -> Iterator[None]:
    """While inside: SIGINT/SIGTERM set ``cancel`` (the call in flight finishes, nothing new starts)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    import socket  # only where changes are made: --help and reading commands never load it

    reader, writer = socket.socketpair()
    writer.setblocking(False)

    def watch() -> None:
        while True:
            got = reader.recv(1)
            if not got or got == _STOP:
                return
            if cancel.set_once():  # the first signal: say it once
                out.info("interrupted: finishing the call in flight, starting nothing new")
            else:
                # A second one: the user will not wait for the call in flight (a hung server, say).
                out.diagnostic(
                    "interrupted again: stopping at once; the call in flight may or may not have taken "
                    "effect (run `endpointctl plan` to see)"
                )
                os._exit(130)

    watcher = threading.Thread(target=watch, name="endpointctl-interrupts", daemon=True)
    watcher.start()
    previous_fd = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)

    def handler(signum: int, frame: FrameType | None) -> None:
        cancel.request()

    previous = {sig: signal.signal(sig, handler) for sig in _SIGNALS}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
        signal.set_wakeup_fd(previous_fd)
        writer.send(_STOP)  # after any signal's byte: a signal that came in is still seen
        watcher.join(timeout=5)
        reader.close()
        writer.close()
