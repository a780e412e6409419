"""The one sink for everything endpointctl prints.

stdout carries only the requested output (table, JSON or YAML); progress, warnings and errors go to
stderr. Every line passes through the redactor first, whatever the stream or mode, then has its control
characters (but newlines and tabs) and lone surrogates written as escapes: an error quotes what the API
said, a manifest problem names a key and a file, and an ESC sequence in any of them would drive the
reader's terminal. Tables have escaped their cells already, and JSON and YAML their strings, in their own
notation: for them this changes nothing, and it is what still holds for any text that did not.

Under GitHub Actions (``workflow_commands``), no line on stdout or stderr acts as a workflow command
either: an API's error, or a container's log line, could otherwise annotate, mask or stop the log as it
pleased. endpointctl's own commands (its
annotations, their fence) go through ``command``, the one way to write one.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TextIO

from endpointctl.core.errors import OutputLost
from endpointctl.core.redact import Redactor
from endpointctl.core.settings import OutputMode
from endpointctl.ui.escapes import inert, terminal_text


@dataclass
class Output:
    mode: OutputMode = OutputMode.TABLE
    redactor: Redactor = field(default_factory=Redactor)
    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)
    quiet: bool = False
    # While a live display owns the terminal, stderr lines go through it (printed above the display)
    # instead of tearing its redraw.
    divert: Callable[[str], None] | None = None
    # Whether the reader of stdout and stderr acts on workflow commands in them (GitHub's runner).
    workflow_commands: bool = False
    # Reentrant: a signal handler may write ("interrupted: ...") while the main thread is mid-write.
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    def result(self, text: str) -> None:
        try:
            self._write(self.stdout, text)
        except BrokenPipeError:
            raise OutputLost("standard output's reader closed it", reader_left=True) from None
        except UnicodeEncodeError as error:
            raise OutputLost(
                f"could not write the result to standard output: its encoding ({error.encoding}) cannot "
                "write a character of it",
                hint="set PYTHONIOENCODING=utf-8 or a UTF-8 locale; what the command did before stays done",
            ) from None
        except (OSError, ValueError, AttributeError) as error:
            closed = self.stdout is None or getattr(self.stdout, "closed", False)  # None: started closed
            if not isinstance(error, OSError) and not closed:
                raise  # not the stream's doing: a bug, reported as one
            why = error.strerror if isinstance(error, OSError) and error.strerror else "it is closed"
            raise OutputLost(
                f"could not write the result to standard output: {why}",
                hint="what the command did before stays done; `endpointctl status` shows where things stand",
            ) from None

    def info(self, text: str) -> None:
        if not self.quiet:
            self._write(self.stderr, text if text.endswith("\n") else text + "\n")

    def diagnostic(self, text: str) -> None:
        """Asked-for detail (``--traceback``): on stderr even with --quiet."""
        self._write(self.stderr, text if text.endswith("\n") else text + "\n")

    def command(self, text: str) -> None:
        """One of endpointctl's own workflow commands (``::error file=...``), on stderr as it is: the caller
        has escaped every value in it by the runner's rules."""
        self._write(self.stderr, text if text.endswith("\n") else text + "\n", command=True)

    def warn(self, text: str) -> None:
        self._write(self.stderr, f"warning: {text}\n")

    def error(self, text: str, hint: str | None = None) -> None:
        self._write(self.stderr, f"error: {text}\n")
        if hint:
            self._write(self.stderr, f"hint: {hint}\n")

    def outside(self, text: str) -> str:
        """Text that reaches stderr by another way (huggingface_hub's own log handler) as the sink shows
        it: control characters as escapes, and under GitHub Actions no line a workflow command. Secrets
        are the caller's to scrub first."""
        clean = terminal_text(text)
        if self.workflow_commands:
            clean = "".join(inert(line) for line in clean.splitlines(keepends=True))
        return clean

    def _write(self, stream: TextIO, text: str, *, command: bool = False) -> None:
        # Scrubbed first, so the redactor reads the text as it came, not a form escaping made of it.
        scrubbed = self.redactor.scrub(text)
        # stdout too: the runner reads commands on both. Any mode: JSON and YAML hold no line a command
        # starts, nor "##[", but where ``inert`` writes an escape of their own (``render.dump``).
        clean = terminal_text(scrubbed) if command else self.outside(scrubbed)
        divert = self.divert
        if divert is not None and stream is self.stderr:
            divert(clean)
            return
        with self._lock:
            stream.write(clean)
            stream.flush()
