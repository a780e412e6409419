"""The live wait display on a terminal: one line per endpoint, redrawn in place by rich.

Every text is scrubbed and made printable first (``progress.shown``), and handed to rich as plain
``Text``, so rich reads no markup or emoji in it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType

from rich.console import Console
from rich.live import Live
from rich.table import Table
from rich.text import Text

from endpointctl.core.outcomes import WaitReport
from endpointctl.core.redact import Redactor
from endpointctl.ui.progress import ProgressDisplay, shown, summary
from endpointctl.ui.render import elapsed_text
from endpointctl.ui.sink import Output


@dataclass
class _Row:
    state: str
    message: str
    elapsed: float
    at: float  # clock time of the update, so elapsed keeps ticking between polls
    final: bool


class LiveDisplay(ProgressDisplay):
    """On a terminal: one line per endpoint, redrawn in place; it stays on screen when done."""

    def __init__(
        self,
        console: Console,
        redactor: Redactor,
        now: Callable[[], float],
        *,
        auto_refresh: bool = True,
        out: Output | None = None,
    ) -> None:
        self._out = out  # its stderr lines are printed above the display while it runs
        self._console = console
        self._redactor = redactor
        self._now = now
        self._rows: dict[str, _Row] = {}
        self._lock = threading.Lock()
        self._live = Live(
            console=console,
            get_renderable=self.render,
            auto_refresh=auto_refresh,
            refresh_per_second=4,
            transient=False,
            # The Output holds its own handles to the streams; swapping sys.stdout would not help.
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self._started = False

    def render(self) -> Table:
        table = Table(box=None, pad_edge=False, show_edge=False)
        for header in ("NAME", "STATE", "ELAPSED", "MESSAGE"):
            table.add_column(header, no_wrap=header != "MESSAGE")
        now = self._now()
        with self._lock:
            rows = list(self._rows.items())
        for key, row in rows:
            ticking = row.elapsed if row.final else row.elapsed + max(0.0, now - row.at)
            style = {"ready": "green", "failed": "red", "updateFailed": "red", "notFound": "red"}.get(
                row.state, "yellow" if row.final else ""
            )
            table.add_row(
                Text(shown(self._redactor, key)),
                Text(shown(self._redactor, row.state), style=style),
                Text(elapsed_text(ticking)),
                Text(shown(self._redactor, row.message)),
            )
        return table

    def __enter__(self) -> LiveDisplay:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop()

    def _stop(self) -> None:
        if self._started:
            self._started = False
            if self._out is not None:
                self._out.divert = None
            self._live.stop()

    def update(self, key: str, state: str, message: str, elapsed: float, *, final: bool = False) -> None:
        with self._lock:
            self._rows[key] = _Row(state, message, elapsed, self._now(), final)
        if not self._started:
            self._started = True
            self._live.start()
            if self._out is not None:
                self._out.divert = self._print_above
        self._live.refresh()

    def _print_above(self, text: str) -> None:
        # Already scrubbed and escaped by the Output; Text keeps rich from reading markup or emoji in it.
        self._live.console.print(Text(text.rstrip("\n")), highlight=False, soft_wrap=True)

    def done(self, report: WaitReport) -> None:
        if self._started:
            self._live.refresh()
        self._stop()
        self._console.print(Text(shown(self._redactor, summary(report))), highlight=False)


def on_terminal(out: Output, now: Callable[[], float]) -> LiveDisplay:
    """The display drawn on ``out``'s stderr, a terminal."""
    return LiveDisplay(Console(file=out.stderr, stderr=True), out.redactor, now, out=out)
