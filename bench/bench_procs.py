"""Whole processes, timed: wall clock from spawn to exit, CPU from the kernel's accounting of the child.

CPU is the growth of ``RUSAGE_CHILDREN`` (user + system) across one run, which is that child's CPU
only when runs do not overlap (the default; ``--quick`` overlaps figures, and its CPU figures are then
not the child's alone). ``lines`` reads a child's stdout and stderr line by line as they arrive and
stamps each with ``time.time()``, the clock the sandbox's lifecycle runs on.
"""

from __future__ import annotations

import os
import resource
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
# Variables of the caller's environment a run must not inherit: a real token, a real API, a namespace.
_DROPPED_PREFIXES = ("HF_", "HUGGING_FACE_", "ENDPOINTCTL_", "XDG_")
TOKEN = "hf_bench_token_0000"


def executable(name: str) -> str:
    """A console script of this project's venv (the one running the benchmark when it has none)."""
    candidate = VENV_BIN / name
    if candidate.exists():
        return str(candidate)
    import shutil
    import sys

    found = shutil.which(name, path=str(Path(sys.executable).parent))
    if found is None:
        raise FileNotFoundError(f"no {name} next to {sys.executable} or in {VENV_BIN}")
    return found


def python() -> str:
    return executable("python")


def environment(home: Path, url: str | None, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """An isolated environment: fresh state, cache, config and HF home under ``home``, pointed at ``url``.

    The HF home is one huggingface_hub has already run in today, as on a user's machine: it checks PyPI
    for a newer version and hints at its agent skill once a day (stamp files; the check is also turned
    off), and fetches ``{HF_ENDPOINT}/api/agent-harnesses`` once a day (cached here, empty). A fresh
    home would make hf do that on every run: a request no user's steady state makes.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(_DROPPED_PREFIXES)}
    for sub in ("state", "cache", "config", "data", "hf"):
        (home / sub).mkdir(parents=True, exist_ok=True)
    (home / "hf" / ".check_for_update_done").touch()
    (home / "hf" / ".check_for_skill_update_done").touch()
    (home / "hf" / ".agent_harnesses.json").write_text('{"standardEnvVars": [], "harnesses": {}}')
    env.update(
        XDG_STATE_HOME=str(home / "state"),
        XDG_CACHE_HOME=str(home / "cache"),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_DATA_HOME=str(home / "data"),
        HF_HOME=str(home / "hf"),
        HF_TOKEN=TOKEN,
        HF_HUB_DISABLE_UPDATE_CHECK="1",
        HF_HUB_DISABLE_TELEMETRY="1",
        NO_COLOR="1",
        COLUMNS="100",
    )
    if url is not None:
        env["ENDPOINTCTL_API_URL"] = url
        env["HF_ENDPOINT"] = url  # huggingface_hub's whoami (and the Hub's routes)
    env.update(extra or {})
    return env


@dataclass
class Run:
    argv: list[str]
    code: int
    wall: float  # seconds, spawn to exit
    cpu: float  # seconds of user + system CPU of the child (see the module's docstring)
    started: float  # time.time() just before spawning
    stdout: str = ""
    stderr: str = ""
    lines: list[tuple[float, str, str]] = field(default_factory=list)  # (time.time(), stream, line)

    def check(self, *ok: int) -> Run:
        if self.code not in (ok or (0,)):
            raise RuntimeError(
                f"{' '.join(self.argv)} exited {self.code}\n--- stdout\n{self.stdout[-3000:]}"
                f"\n--- stderr\n{self.stderr[-3000:]}"
            )
        return self


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(argv: Sequence[str], env: Mapping[str, str], *, cwd: Path | None = None, timeout: float = 600) -> Run:
    """Run to completion, output captured (pipes: nobody's terminal)."""
    cpu0 = _children_cpu()
    started = time.time()
    t0 = time.perf_counter()
    proc = subprocess.run(
        list(argv),
        env=dict(env),
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    wall = time.perf_counter() - t0
    return Run(list(argv), proc.returncode, wall, _children_cpu() - cpu0, started, proc.stdout, proc.stderr)


def lines(
    argv: Sequence[str], env: Mapping[str, str], *, cwd: Path | None = None, timeout: float = 600
) -> Run:
    """Run to completion, every line of stdout and stderr stamped with its time of arrival."""
    cpu0 = _children_cpu()
    stamped: list[tuple[float, str, str]] = []
    lock = threading.Lock()
    started = time.time()
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        list(argv),
        env=dict(env),
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        bufsize=1,
    )

    def pump(stream: IO[str], label: str) -> None:
        for line in stream:
            at = time.time()
            with lock:
                stamped.append((at, label, line.rstrip("\n")))

    assert proc.stdout is not None and proc.stderr is not None
    readers = [
        threading.Thread(target=pump, args=(proc.stdout, "stdout"), daemon=True),
        threading.Thread(target=pump, args=(proc.stderr, "stderr"), daemon=True),
    ]
    for reader in readers:
        reader.start()
    try:
        code = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise
    wall = time.perf_counter() - t0
    for reader in readers:
        reader.join(timeout=10)
    stamped.sort(key=lambda item: item[0])
    out = "\n".join(line for _, label, line in stamped if label == "stdout")
    err = "\n".join(line for _, label, line in stamped if label == "stderr")
    return Run(list(argv), code, wall, _children_cpu() - cpu0, started, out, err, stamped)
