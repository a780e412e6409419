"""Figure 9: the README's test command, run as a newcomer runs it, from a fresh clone of HEAD.

The command is read from the README itself (the second block under "The two commands"), so the figure
measures what the README promises, not a copy of it; `.ci/run` runs the same line (a test checks both).
--quick runs the clone and the reading of pytest's summary as a full run does, but pytest on one small
file in this interpreter: a new venv and its install alone take ~20 s.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

from bench_rows import Config, Row

REPO = Path(__file__).resolve().parent.parent
SUITE_GOAL = 90.0  # seconds, issue 12
QUICK_TESTS = "tests/test_manifest_examples.py"  # 8 tests in 0.1 s
_BLOCK = re.compile(r"```sh\n(.*?)\n```", re.S)
_SUMMARY = re.compile(r"(\d+) passed\b.* in ([\d.]+)s")
# What a newcomer's shell would not have: nothing of this session's sandbox or token reaches the run.
_LEFT_OUT = ("HF_TOKEN", "ENDPOINTCTL_API_URL", "ENDPOINTCTL_SANDBOX", "PYTHONPATH", "VIRTUAL_ENV")


def readme_commands(readme: str) -> tuple[str, str]:
    """The README's two commands (the main job, the tests), as written under "The two commands"."""
    section = readme.split("## The two commands", 1)[1].split("\n## ", 1)[0]
    blocks = [block.strip() for block in _BLOCK.findall(section)]
    if len(blocks) != 2 or any("\n" in block for block in blocks):
        raise ValueError(f"'The two commands' should hold two one-line sh blocks, not {blocks!r}")
    return blocks[0], blocks[1]


def pytest_summary(output: str) -> tuple[int, float]:
    """Tests passed and pytest's own seconds, from its last summary line."""
    found = _SUMMARY.findall(output)
    if not found:
        raise ValueError(f"no pytest summary in the output's end: {output[-500:]!r}")
    passed, seconds = found[-1]
    return int(passed), float(seconds)


def suite(cfg: Config, root: Path) -> list[Row]:
    clone = root / "9-suite" / "endpointctl"
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(clone)], check=True, timeout=120)
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=clone, capture_output=True, text=True, check=True
    ).stdout.strip()
    command = readme_commands((clone / "README.md").read_text(encoding="utf-8"))[1]
    if cfg.quick:
        command = f"{shlex.quote(sys.executable)} -m pytest -q -n0 -p no:cacheprovider {QUICK_TESTS}"
    env = {key: value for key, value in os.environ.items() if key not in _LEFT_OUT}
    for name in ("XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "HF_HOME"):
        env[name] = str(root / "9-suite" / name.lower())
    started = time.perf_counter()
    done = subprocess.run(
        ["bash", "-c", command], cwd=clone, env=env, capture_output=True, text=True, timeout=1800
    )
    total = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"the README's test command failed ({done.returncode}): {done.stdout[-2000:]}")
    passed, pytest_seconds = pytest_summary(done.stdout)
    rows = [
        Row(
            "9a",
            "the README's test command, fresh clone: venv + install + pytest",
            [total],
            goal=f"≤ {SUITE_GOAL:g} s",
            met=total <= SUITE_GOAL,
            calls="— (its own sandboxes)",
            counts={"passed": passed, "commit": head},
        ),
        Row("9b", "9a's pytest, by its own summary", [pytest_seconds], counts={"passed": passed}),
    ]
    rows[0].notes.append(f"`{command}` at {head} (committed work only): {passed} passed; one run")
    return rows
