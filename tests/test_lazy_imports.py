"""Issue 12's start-up goal, held by what is imported rather than by timing: `--help`, `status --help`
and `validate` load only what they use, and the root group's registry lists each command as it is."""

from __future__ import annotations

import functools
import json
import pathlib
import subprocess
import sys
import textwrap
from typing import Any, cast

import click
import pytest

from endpointctl.cli.group import COMMANDS, LazyGroup, cli
from endpointctl.core import defaults

ROOT = pathlib.Path(__file__).resolve().parent.parent
HEAVY_FOR_HELP = (
    "huggingface_hub",
    "pydantic",
    "rich",
    "tenacity",
    "filelock",
    "holidays",
    "httpx",
    "httpx2",
    "yaml",
    "secrets",  # hashlib and random: only a manifest's problems under GitHub Actions need it
    "hashlib",  # OpenSSL's: the redactor's digests, only once something is scrubbed
    "html.entities",  # 2,000 names: the redactor's entity reading, likewise
)
# validate's text mode prints one line: none of the renderers or the planner either.
HEAVY_FOR_VALIDATE = (
    "huggingface_hub",
    "rich",
    "tenacity",
    "filelock",
    "holidays",
    "tabulate",
    "endpointctl.ui.render",
    "endpointctl.core.plan",
)


# What the tests below run, each as in an interpreter of its own.
RUNS: tuple[tuple[str, ...], ...] = (("--help",), ("status", "--help"), ("--version",))  # help: light
VALIDATE = ("validate", "manifests/gpt2.yaml")
APPLY_IMPORTS = ("endpointctl.cli.hooks", "endpointctl.engine.flows.deploy", "endpointctl.ui.progress")
DRAWING = ("rich", "endpointctl.ui.markdown", "endpointctl.ui.live_display")

# One interpreter, forked for each run: a child starts from the very state a fresh interpreter running
# the run would reach (the import of apply's modules before anything of ours is loaded; each command
# right after `from endpointctl.cli import main`), without paying the interpreter's start and that
# import once per run.
_SCRIPT = textwrap.dedent(
    """
    import contextlib, io, json, os, sys, traceback

    def forked(run):
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: report, and leave without running the parent's exit handlers
            os.close(read)
            try:
                out = {"result": run()}
            except BaseException:
                out = {"error": traceback.format_exc()}
            with os.fdopen(write, "w") as pipe:
                json.dump(out, pipe)
            os._exit(0)
        os.close(write)
        with os.fdopen(read) as pipe:
            out = json.load(pipe)
        os.waitpid(pid, 0)
        return out

    def loaded(names):
        return [name for name in names if name in sys.modules]

    def apply_imports():
        for name in APPLY_IMPORTS:
            __import__(name)
        return loaded(DRAWING)

    results = {"apply": forked(apply_imports)}
    from endpointctl.cli import main

    def command(argv):
        def run():
            with contextlib.redirect_stdout(io.StringIO()):
                code = main(argv)
            return [code, loaded(HEAVY)]
        return run

    for argv in RUNS:
        results[" ".join(argv)] = forked(command(list(argv)))
    print(json.dumps(results))
    """
)


@functools.cache
def _runs() -> dict[str, object]:
    """Each run's outcome by its words (``apply`` for apply's imports): what a fresh interpreter shows."""
    constants = (
        f"RUNS = {[*RUNS, VALIDATE]!r}\nAPPLY_IMPORTS = {APPLY_IMPORTS!r}\nDRAWING = {DRAWING!r}\n"
        f"HEAVY = {HEAVY_FOR_HELP + HEAVY_FOR_VALIDATE!r}\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", constants + _SCRIPT],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    results: dict[str, dict[str, object]] = json.loads(run.stdout.strip().splitlines()[-1])
    for key, out in results.items():
        assert "error" not in out, f"{key}: {out['error']}"
    return {key: out["result"] for key, out in results.items()}


def _loaded_after(*argv: str) -> tuple[int, list[str]]:
    """``main(argv)`` as in a fresh interpreter: its exit code, and which heavy modules it imported."""
    code, loaded = cast("list[Any]", _runs()[" ".join(argv)])
    return code, loaded


@pytest.mark.parametrize("argv", RUNS, ids=" ".join)
def test_help_loads_none_of_the_heavy_libraries(argv: tuple[str, ...]) -> None:
    code, loaded = _loaded_after(*argv)
    assert code == 0
    assert not set(loaded) & set(HEAVY_FOR_HELP), (
        f"`endpointctl {' '.join(argv)}` imported {loaded}: import them where used"
    )


def test_validate_loads_no_hub_no_rich_no_locks_no_holidays() -> None:
    code, loaded = _loaded_after(*VALIDATE)
    assert code == 0
    assert not set(loaded) & set(HEAVY_FOR_VALIDATE), f"`validate` imported {loaded}"


def test_the_registry_short_help_is_each_commands_own() -> None:
    """The root lists commands from ``COMMANDS`` without importing them: it may not drift from them."""
    fresh = LazyGroup(name="endpointctl", lazy=COMMANDS)
    ctx = click.Context(fresh)
    for name, (where, short) in COMMANDS.items():
        command = fresh.get_command(ctx, name)
        assert command is not None, where
        assert command.name == name, where
        assert command.get_short_help_str(limit=10_000) == short, f"update COMMANDS[{name!r}]"


def test_the_root_help_lists_the_commands_as_click_would() -> None:
    """The lazy listing equals click's own, made from the loaded commands."""
    ctx = click.Context(cli, info_name="endpointctl")
    loaded = [cli.get_command(ctx, name) for name in COMMANDS]
    eager = click.Group(name="endpointctl", commands=[c for c in loaded if c is not None])
    lazy = LazyGroup(name="endpointctl", lazy=COMMANDS)
    f1, f2 = click.HelpFormatter(width=110), click.HelpFormatter(width=110)
    eager.format_commands(click.Context(eager), f1)
    lazy.format_commands(click.Context(lazy), f2)
    assert f2.getvalue() == f1.getvalue()


def test_flag_defaults_kept_light_equal_their_owners() -> None:
    from endpointctl.core.smoke_spec import DEFAULT_COLD_START_SECONDS
    from endpointctl.engine import locks, waiter
    from endpointctl.engine.flows import scaffold

    assert defaults.WAIT_TIMEOUT == waiter.DEFAULT_TIMEOUT
    assert defaults.LOCK_TIMEOUT == locks.DEFAULT_TIMEOUT
    assert defaults.COLD_START_SECONDS == DEFAULT_COLD_START_SECONDS
    assert (defaults.INIT_VENDOR, defaults.INIT_REGION) == (scaffold.DEFAULT_VENDOR, scaffold.DEFAULT_REGION)


def test_what_apply_loads_draws_with_rich_only_on_a_terminal() -> None:
    """apply, plan and wait load the hooks, the flows and the progress displays; rich (the live display)
    and the markdown renderer load only when a terminal or -o markdown asks for them."""
    assert _runs()["apply"] == []
