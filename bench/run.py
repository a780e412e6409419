"""Issue 12's benchmark: endpointctl and its comparison, side by side, whole processes, alternating runs.

    .venv/bin/python bench/run.py [--reps 5] [--wait-reps 3] [--quick] [--out bench/RESULTS.md]

It starts the sandbox in this process (threads), with a latency middleware standing in for the API's
round trip, and measures, against a fresh sandbox per figure:

1. start-up: `endpointctl --help`, `status --help` and `validate <1 file>` vs `hf endpoints --help`;
2. CPU to load and validate 1000 manifest files, with libyaml's loader and the pure-Python one;
3. `plan` of 1000 manifests against 1000 live endpoints at 100 ms a call vs `hf endpoints ls`;
4. `apply` creating 50 endpoints at 200 ms a call vs HfApi().create_inference_endpoint x 50;
5. requests sent during a 429's Retry-After hold (reported only);
6. `wait` for 20 booting endpoints: ready → noticed, and status reads per endpoint-minute, vs
   InferenceEndpoint.wait() in a thread each;
7. `status -o yaml` vs `status -o json` at 1000 endpoints;
8. one endpoint: apply of 1, plan of 1;
9. the README's test command, from a fresh clone of HEAD (venv, install, pytest), once.

It prints a table of medians (min-max), ratios, goals and API calls (counted at the sandbox), and writes
it with the date and the machine to --out (default bench/RESULTS.md). Only public tools run: the
standard library, .venv/bin/endpointctl, and huggingface_hub's `hf` and HfApi (through a small shim
that points them at the sandbox: bench_hf_client.py). `--quick` is the tiny configuration the test runs
(few endpoints, 0-5 ms latency, one run each, figures side by side): its numbers mean nothing.
"""

from __future__ import annotations

import argparse
import compileall
import dataclasses
import datetime
import importlib.metadata
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))  # the helper modules beside this file, also when imported by a test

import bench_figures  # noqa: E402
from bench_rows import HEADERS, QUICK, Config, Row, samples_text, table_rows, write_text  # noqa: E402
from tabulate import tabulate  # noqa: E402

DEFAULT_OUT = HERE / "RESULTS.md"
# --quick runs figures side by side, four at a time and these first: the waits and the 429's hold (mostly
# idle time), beside the five processes of figure 8 one after another and the plan's three, which keep two
# cores busy meanwhile.
WORKERS = int(os.environ.get("BENCH_WORKERS", "4"))
PARALLEL_FIRST = ("6", "5", "8", "3")


def _git(*args: str) -> str:
    try:
        done = subprocess.run(
            ["git", *args], cwd=HERE.parent, capture_output=True, text=True, timeout=10, check=False
        )
    except OSError:
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError):
        pass
    return "unknown"


def machine() -> list[tuple[str, str]]:
    u = platform.uname()
    commit = _git("rev-parse", "--short", "HEAD")
    dirty = _git("status", "--porcelain", "--", "endpointctl")
    return [
        ("date", datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")),
        ("machine (uname -a)", f"{u.system} {u.node} {u.release} {u.version} {u.machine}"),
        ("CPU", f"{_cpu_model()}; {os.cpu_count()} cores; {_memory()} RAM"),
        ("Python", f"{platform.python_implementation()} {platform.python_version()}"),
        ("huggingface_hub", importlib.metadata.version("huggingface_hub")),
        ("PyYAML", f"{importlib.metadata.version('PyYAML')} (libyaml: {_libyaml()})"),
        (
            "endpointctl",
            f"{importlib.metadata.version('endpointctl')} at {commit or '?'}"
            + (" (endpointctl/ had uncommitted changes)" if dirty else ""),
        ),
    ]


def _libyaml() -> str:
    import yaml

    return "yes" if getattr(yaml, "__with_libyaml__", False) else "no"


def measure(cfg: Config, only: Sequence[str] = ()) -> list[Row]:
    figures = [(key, fn) for key, fn in bench_figures.FIGURES if not only or key in only]
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="endpointctl-bench-") as raw:
        root = Path(raw)
        if cfg.parallel:
            # The longest first, so that none of them starts last and runs on alone (PARALLEL_FIRST).
            rank = {key: i for i, key in enumerate(PARALLEL_FIRST)}
            order = sorted(figures, key=lambda item: rank.get(item[0], len(rank)))
            with ThreadPoolExecutor(max_workers=WORKERS) as pool:
                futures = {key: pool.submit(fn, cfg, root) for key, fn in order}
                for key, _ in figures:
                    rows.extend(futures[key].result())
        else:
            for key, fn in figures:
                started = time.perf_counter()
                print(f"figure {key} ...", file=sys.stderr, flush=True)
                rows.extend(fn(cfg, root))
                print(f"figure {key}: {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    return rows


def render(rows: list[Row], fmt: str) -> str:
    return tabulate(table_rows(rows), headers=HEADERS, tablefmt=fmt, disable_numparse=True)


def _load() -> str:
    try:
        return "/".join(f"{v:.1f}" for v in os.getloadavg())
    except OSError:
        return "?"


def report(rows: list[Row], cfg: Config, elapsed: float, argv: Sequence[str], load_before: str) -> str:
    misses = [r for r in rows if r.met is False]
    lines = [
        "# endpointctl benchmark results (issue 12)",
        "",
        f"Written by `python bench/run.py{' ' + ' '.join(argv) if argv else ''}` in {elapsed:.0f} s."
        " Whole processes unless the row says CPU; medians over alternating runs (min-max);"
        " ratio = endpointctl / comparison. API calls are counted at the sandbox (the last run's).",
        "Wall-clock figures are machine-dependent: compare rows of one run, not runs on different machines.",
        "",
        "| | |",
        "|---|---|",
        *(f"| {k} | {v} |" for k, v in machine()),
        f"| load average (1/5/15 min) | {load_before} at the start, {_load()} at the end (other work on the"
        " machine shows here: it slows the wall-clock figures) |",
        f"| configuration | {cfg.describe()}{' — QUICK: the numbers mean nothing' if cfg.quick else ''} |",
        "",
        render(rows, "github"),
        "",
        f"Goals met: {sum(1 for r in rows if r.met)} of {sum(1 for r in rows if r.met is not None)}"
        + (f"; missed: {', '.join(r.figure for r in misses)}." if misses else "."),
        "",
        "## How it is measured",
        "",
        "- The sandbox runs in the benchmark's process; a middleware sleeps the latency before every API"
        " request (also the data plane's health route), logs it, and counts requests in flight per namespace."
        " The sandbox's own CPU shares the machine with the process measured.",
        "- Live endpoints for plan and status: one created by `endpointctl apply`, the rest copies of its"
        " record written to the sandbox's store (1000 creates would take long and exceed its quota).",
        "- Every process gets fresh XDG state/cache/config dirs and HF_HOME, `HF_TOKEN=hf_…`,"
        " `ENDPOINTCTL_API_URL` and `HF_ENDPOINT` set to the sandbox, `HF_HUB_DISABLE_UPDATE_CHECK=1` (hf"
        " would ask PyPI for a newer version with each fresh HF_HOME) and `HF_HUB_DISABLE_TELEMETRY=1`.",
        "- endpointctl's modules are compiled before the first run, as pip does when it installs a package"
        " (huggingface_hub's were, by pip).",
        "- `hf endpoints --help` is .venv/bin/hf itself. Everything of huggingface_hub's that talks to the"
        " API runs through bench/bench_hf_client.py, which first sets"
        " huggingface_hub.constants.INFERENCE_ENDPOINTS_ENDPOINT (a constant, not an environment variable);"
        " its cost is in the notes of 1a.",
        "- 6: the sandbox's lifecycle is computed from timestamps on the same clock as the benchmark's"
        ' (time.time()), so each endpoint\'s moment of becoming running is known exactly; "noticed" is when'
        " the line saying so arrived on the waiting process's pipe (endpointctl: its plain stderr line"
        " `... NAME STATE → ready: ...`; hf: the shim prints a line as each thread's wait() returns).",
        "",
        "## Samples and notes",
        "",
        *samples_text(rows),
        "",
    ]
    return "\n".join(lines)


def parse(argv: Sequence[str]) -> tuple[Config, argparse.Namespace]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reps", type=int, help="whole-process runs per side (default 5; --quick: 1)")
    parser.add_argument("--wait-reps", type=int, help="runs per side of the waits (default 3; --quick: 1)")
    parser.add_argument("--quick", action="store_true", help="the tiny configuration (the test's)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write the results (Markdown)")
    parser.add_argument("--only", action="append", default=[], help="only this figure (1-9); repeatable")
    args = parser.parse_args(list(argv))
    cfg = QUICK if args.quick else Config()
    if args.reps is not None:
        cfg = dataclasses.replace(cfg, reps=args.reps)
    if args.wait_reps is not None:
        cfg = dataclasses.replace(cfg, wait_reps=args.wait_reps)
    return cfg, args


def main(argv: Sequence[str] | None = None) -> list[Row]:
    argv = list(sys.argv[1:] if argv is None else argv)
    cfg, args = parse(argv)
    # As pip does when it installs a package: every process measured then reads compiled modules, even
    # where PYTHONDONTWRITEBYTECODE keeps Python from writing them on its own.
    compileall.compile_dir(HERE.parent / "endpointctl", quiet=1)
    load_before = _load()
    started = time.perf_counter()
    rows = measure(cfg, args.only)
    elapsed = time.perf_counter() - started
    print(render(rows, "simple"))
    write_text(args.out, report(rows, cfg, elapsed, argv, load_before))
    print(f"\nwritten to {args.out} ({elapsed:.0f} s)")
    return rows


if __name__ == "__main__":
    main()
