"""The COMMAND of ``endpointctl run``: started with stdio inherited, signals passed on, its status returned.

While it runs, SIGINT and SIGTERM keep doing what ``cli.signals.interruptible`` makes of them (the first
sets the command's cancel event, a second ends endpointctl at once); on top of that each is passed on to
the child, once, so it can stop cleanly while endpointctl waits for it and then restores the endpoint.

Once, not twice: a Ctrl-C typed at a terminal already reaches the child, which shares endpointctl's
process group, the terminal's foreground group. Passing SIGINT on as well would deliver it twice, and a
second Ctrl-C means "stop at once" to many programs (endpointctl among them). So SIGINT is passed on only
when endpointctl is not in the terminal's foreground group (no terminal, or run in the background); a
``kill -INT`` aimed at endpointctl alone from another shell is then not passed on: send SIGTERM instead.
SIGTERM never comes from a terminal and is always passed on.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from types import FrameType

from endpointctl.core.errors import UsageError

_SIGNALS = (signal.SIGINT, signal.SIGTERM)
NOT_FOUND = 127  # as a shell exits for a command it cannot find
NOT_EXECUTABLE = 126  # ... and for one it may not run


def exit_status(returncode: int) -> int:
    """A child killed by signal n exits 128+n, as a shell reports it (Popen says -n)."""
    return 128 - returncode if returncode < 0 else returncode


def describe(status: int) -> str:
    if status > 128 and status - 128 in signal.valid_signals():
        return f"was killed by {signal.Signals(status - 128).name} (exit {status})"
    return f"exited with {status}"


def cannot_start(argv: Sequence[str], environ: Mapping[str, str]) -> tuple[int, str] | None:
    """Why ``argv`` could not be started with ``environ``: (127, "...not found") or (126, "...permission
    denied"), as ``run`` would report it; None when it can be.

    Asked before the endpoint is woken: a typo in COMMAND found only after the resume and the cold start
    costs minutes of a GPU's billing, and a second resume-and-pause for nothing. It looks where ``Popen``
    will (the PATH of ``environ``, the one COMMAND gets; a name with a slash as a path), so what passes
    here starts there but for a file changed in between, which ``run`` still reports as before.
    """
    if not argv:
        raise UsageError("no command given to run")
    program = argv[0]
    if not program:  # Popen would try each PATH directory itself and report 126: a shell says 127
        return NOT_FOUND, f"cannot run {program!r}: not found"
    if os.sep in program or (os.altsep is not None and os.altsep in program):
        candidates = [program]
    else:
        candidates = [os.path.join(directory, program) for directory in os.get_exec_path(dict(environ))]
    denied = False
    for candidate in candidates:
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return None
        # A directory or a file without the execute bit: exec fails with EACCES there, and Popen reports
        # that (126) unless a later directory holds one it can run, as a shell does.
        denied = denied or os.path.exists(candidate)
    if denied:
        return NOT_EXECUTABLE, f"cannot run {program!r}: permission denied"
    return NOT_FOUND, f"cannot run {program!r}: not found"


def run(argv: Sequence[str], environ: Mapping[str, str], report: Callable[[str], None]) -> int:
    """Run ``argv`` to its end and return its exit status (127 not found, 126 not executable)."""
    if not argv:
        raise UsageError("no command given to run")
    # Handlers first, then the child: a signal in between (the child may be running before Popen has
    # returned here, on a loaded machine long enough to print and be signalled) is passed on once it
    # has started, never lost with endpointctl left waiting for a child that was never told.
    with _passed_on() as started:
        try:
            child = subprocess.Popen(list(argv), env=dict(environ))
        except FileNotFoundError:
            report(f"cannot run {argv[0]!r}: not found")
            return NOT_FOUND
        except PermissionError:
            report(f"cannot run {argv[0]!r}: permission denied")
            return NOT_EXECUTABLE
        started(child)
        return exit_status(child.wait())


def _terminal_sent_it() -> bool:
    """Whether a SIGINT now came from the terminal, and so reached the child too (see the docstring)."""
    try:
        return os.isatty(0) and os.tcgetpgrp(0) == os.getpgrp()
    except OSError:
        return False


@contextmanager
def _passed_on() -> Iterator[Callable[[subprocess.Popen[bytes]], None]]:
    """Yields ``started``, to be called with the child once it runs; signals that came before are
    passed on to it then (a SIGINT too: the terminal's reached no child)."""
    running: list[subprocess.Popen[bytes]] = []
    pending: list[int] = []

    def started(child: subprocess.Popen[bytes]) -> None:
        running.append(child)  # first: a signal from here on is passed on by the handler itself
        while pending:
            _kill(child, pending.pop(0))

    if threading.current_thread() is not threading.main_thread():
        yield started  # handlers can only be set from the main thread; nothing to pass on from here
        return
    previous = {sig: signal.getsignal(sig) for sig in _SIGNALS}

    def handler(signum: int, frame: FrameType | None) -> None:
        # Only a syscall, a list append and the previous handler (a flag): no lock a signal could find taken.
        if not running:
            pending.append(signum)
        elif not (signum == signal.SIGINT and _terminal_sent_it()):
            _kill(running[0], signum)
        before = previous[signal.Signals(signum)]
        if callable(before):
            before(signum, frame)

    for sig in _SIGNALS:
        signal.signal(sig, handler)
    try:
        yield started
    finally:
        for sig, old in previous.items():
            if old is not None:  # None: set outside Python, and cannot be put back from here
                signal.signal(sig, old)


def _kill(child: subprocess.Popen[bytes], signum: int) -> None:
    if child.returncode is None:
        with suppress(ProcessLookupError):
            os.kill(child.pid, signum)
