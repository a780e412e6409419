"""What a figure reports (a ``Row``), the benchmark's settings (``Config``), and how rows are shown."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Config:
    reps: int = 5  # whole-process runs of each side of each figure (alternating)
    wait_reps: int = 3  # the waits take a minute a run: fewer of them
    quick: bool = False  # the tiny configuration the test runs
    parallel: bool = False  # figures side by side (each on its own sandbox): only for --quick
    manifests: int = 1000  # figures 2, 3 and 7
    plan_latency: float = 0.100  # seconds per API call: figures 3, 6 and the single plan
    creates: int = 50  # figure 4
    apply_latency: float = 0.200  # figure 4 and the single apply
    waiters: int = 20  # figure 6
    wait_latency: float = 0.100
    wait_first: float = 4.0  # the first endpoint is running this long after the wait starts ...
    wait_step: float = 1.5  # ... and each next one this much later
    boot: float = 40.0  # seconds from create to running (pending 2 s, the rest initializing)
    hf_refresh: int = 5  # InferenceEndpoint.wait(refresh_every=...): its default
    hold: float = 2.0  # figure 5: the 429's Retry-After
    hold_creates: int = 16
    hold_latency: float = 0.050
    load_files: int | None = None  # figure 2's manifest files; None: as many as ``manifests``

    @property
    def files(self) -> int:
        """How many manifest files figure 2 loads and validates."""
        return self.manifests if self.load_files is None else self.load_files

    def describe(self) -> str:
        def ms(seconds: float) -> str:
            return f"{seconds * 1000:g} ms"

        if self.load_files is None:
            sizes = f"{self.manifests} manifests/endpoints for figures 2, 3 and 7"
        else:
            sizes = f"{self.manifests} manifests/endpoints for figures 3 and 7, {self.files} for figure 2"
        return (
            f"reps {self.reps} (waits {self.wait_reps}); {sizes};"
            f" plan and waits at {ms(self.plan_latency)}/{ms(self.wait_latency)} per API call,"
            f" applies at {ms(self.apply_latency)}; {self.creates} creates; {self.waiters} endpoints waited"
            " for"
        )


QUICK = Config(
    reps=1,
    wait_reps=1,
    quick=True,
    parallel=True,
    manifests=101,  # two pages of 100 (the second of one): pagination is exercised at the least cost
    # Figure 2 reads files and lists nothing: a few exercise its loaders (~0.3 s less CPU than 101, mostly
    # the pure-Python parser's).
    load_files=3,
    plan_latency=0.005,
    creates=4,
    apply_latency=0.005,
    waiters=3,
    wait_latency=0.0,
    # Running from 0.5 s after the wait starts, all within 0.2 s: both waits start (~0.4 s to their first
    # read), see the endpoints still booting, and notice them at their next read (~1 s later). Later or
    # further apart, each wait only idles longer before its last read.
    wait_first=0.5,
    wait_step=0.1,
    boot=3.0,
    hf_refresh=1,
    hold=0.2,  # the 429 is still held and the create sent again; a longer hold only idles
    hold_creates=3,
    hold_latency=0.0,
)


@dataclass
class Row:
    figure: str  # "1a", "3b", ...
    what: str
    ours: list[float]  # endpointctl's samples
    theirs: list[float] = field(default_factory=list)  # the comparison's samples, if any
    unit: str = "s"
    goal: str = "—"
    met: bool | None = None  # None: no goal
    calls: str = ""  # API calls as the table shows them
    counts: dict[str, Any] = field(default_factory=dict)  # the same, for tests and RESULTS.md's details
    notes: list[str] = field(default_factory=list)

    @property
    def ours_median(self) -> float:
        return statistics.median(self.ours)

    @property
    def theirs_median(self) -> float | None:
        return statistics.median(self.theirs) if self.theirs else None

    @property
    def ratio(self) -> float | None:
        theirs = self.theirs_median
        if theirs is None or theirs == 0:
            return None
        return self.ours_median / theirs


def spread(values: list[float], unit: str = "s") -> str:
    if not values:
        return "—"
    digits = 0 if unit == "requests" else 2
    med = f"{statistics.median(values):.{digits}f}"
    suffix = "" if unit in ("s", "requests") else f" {unit}"
    if len(values) == 1:
        return f"{med}{suffix}"
    return f"{med} ({min(values):.{digits}f}-{max(values):.{digits}f}){suffix}"


def met_text(met: bool | None) -> str:
    return "—" if met is None else ("yes" if met else "NO")


HEADERS = ["fig", "what", "endpointctl", "comparison", "ratio", "goal", "met?", "API calls"]


def table_rows(rows: list[Row]) -> list[list[str]]:
    shown = []
    for row in rows:
        ratio = row.ratio
        shown.append(
            [
                row.figure,
                row.what,
                spread(row.ours, row.unit),
                spread(row.theirs, row.unit),
                "—" if ratio is None else f"{ratio:.2f}",
                row.goal,
                met_text(row.met),
                row.calls,
            ]
        )
    return shown


def samples_text(rows: list[Row]) -> list[str]:
    lines = []
    for row in rows:
        ours = ", ".join(f"{v:.3f}" for v in row.ours)
        theirs = ", ".join(f"{v:.3f}" for v in row.theirs) or "—"
        lines.append(
            f"- **{row.figure}** {row.what}: endpointctl [{ours}]; comparison [{theirs}] ({row.unit})"
        )
        lines.extend(f"  - {note}" for note in row.notes)
    return lines


def write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
