"""Issue 12's start-up goal, held by what is imported rather than by timing: `--help`, `status --help`
and `validate` load only what they use, and the root group's registry lists each command as it is."""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys
import textwrap

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


def _loaded_after(*argv: str) -> tuple[int, list[str]]:
    """Run ``main(argv)`` in a fresh interpreter: its exit code, and which heavy modules it imported."""
    script = textwrap.dedent(
        f"""
        import contextlib, io, json, sys
        from endpointctl.cli import main
        with contextlib.redirect_stdout(io.StringIO()):
            code = main({list(argv)!r})
        heavy = {HEAVY_FOR_HELP + HEAVY_FOR_VALIDATE!r}
        print(json.dumps([code, [m for m in heavy if m in sys.modules]]))
        """
    )
    run = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60
    )
    code, loaded = json.loads(run.stdout.strip().splitlines()[-1])
    return code, loaded


@pytest.mark.parametrize("argv", [["--help"], ["status", "--help"], ["--version"]], ids=" ".join)
def test_help_loads_none_of_the_heavy_libraries(argv: list[str]) -> None:
    code, loaded = _loaded_after(*argv)
    assert code == 0
    assert not set(loaded) & set(HEAVY_FOR_HELP), (
        f"`endpointctl {' '.join(argv)}` imported {loaded}: import them where used"
    )


def test_validate_loads_no_hub_no_rich_no_locks_no_holidays() -> None:
    code, loaded = _loaded_after("validate", "manifests/gpt2.yaml")
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
    script = (
        "import json, sys\n"
        "import endpointctl.cli.hooks, endpointctl.engine.flows.deploy, endpointctl.ui.progress\n"
        "print(json.dumps([m for m in ('rich', 'endpointctl.ui.markdown', 'endpointctl.ui.live_display')"
        " if m in sys.modules]))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60
    )
    assert json.loads(run.stdout) == []
