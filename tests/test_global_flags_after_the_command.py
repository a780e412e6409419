"""A global flag given after the command is a usage error (exit 2) that says where it goes.

A review's repro: `endpointctl plan manifests/ --sandbox` said "No such option '--sandbox'. Did you mean
'--adopt'?" (so a newcomer added --adopt and took over endpoints), and `endpointctl status --sandbox`
said nothing more than that there is no such option.
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import click
import pytest
from clirunner import Cli, Run

from endpointctl.cli.group import cli as root
from endpointctl.sandbox import ManualClock

ROOT = pathlib.Path(__file__).resolve().parent.parent
SECRET = "hf_misplaced_token_value_77"


@pytest.fixture
def bare() -> Cli:
    """No token, no API: each of these ends while its arguments are parsed."""
    return Cli(environ={}, clock=ManualClock(1_760_000_000.0))


def refused(run: Run, flag: str, example: str) -> None:
    assert run.code == 2, run.all
    assert run.stdout == ""
    assert run.stderr == f"error: {flag} is a global option: give it before the command, as in `{example}`\n"


@pytest.mark.parametrize(
    ("argv", "flag", "example"),
    [
        (("plan", "manifests/", "--sandbox"), "--sandbox", "endpointctl --sandbox plan ..."),
        (("status", "--sandbox"), "--sandbox", "endpointctl --sandbox status ..."),
        (("status", "-o", "json", "--traceback"), "--traceback", "endpointctl --traceback status ..."),
        (
            ("schedule", "run", "manifests/", "--sandbox"),
            "--sandbox",
            "endpointctl --sandbox schedule run ...",
        ),
        (("sandbox", "reset", "--traceback"), "--traceback", "endpointctl --traceback sandbox reset ..."),
        (("status", "--version"), "--version", "endpointctl --version"),  # it runs alone
    ],
    ids=["plan", "status", "status -o json", "schedule run", "sandbox reset", "--version"],
)
def test_a_global_flag_after_the_command_says_where_it_goes(
    bare: Cli, argv: tuple[str, ...], flag: str, example: str
) -> None:
    refused(bare(*argv), flag, example)


def test_every_option_of_the_root_group_is_told_apart() -> None:
    """Whatever global options the root gets, each after a command is told where it goes."""
    flags = [
        opt for p in root.params if isinstance(p, click.Option) for opt in p.opts if opt.startswith("--")
    ]
    assert {"--sandbox", "--token", "--traceback", "--version"} <= set(flags)
    for flag in flags:
        if flag == "--help":
            continue  # every command has its own
        run = Cli(environ={}, clock=ManualClock(1_760_000_000.0))("status", flag)
        assert run.code == 2, (flag, run.all)
        assert f"error: {flag} is a global option: give it before the command" in run.stderr, run.all


@pytest.mark.parametrize("argv", [("--token", SECRET), (f"--token={SECRET}",)], ids=["space", "equals"])
def test_a_token_after_the_command_is_never_shown(bare: Cli, argv: tuple[str, ...]) -> None:
    run = bare("status", *argv)
    refused(run, "--token", "endpointctl --token TOKEN status ...")
    assert SECRET not in run.all


def test_the_redactor_knows_a_token_given_after_the_command(bare: Cli) -> None:
    """Known before click parses anything: an error that quotes an argument masks it wherever it was
    given (here the token pasted as the command's name too)."""
    run = bare(SECRET, "--token", SECRET)
    assert run.code == 2, run.all
    assert "No such command" in run.stderr
    assert SECRET not in run.all


def test_other_unknown_options_keep_clicks_message(bare: Cli) -> None:
    assert bare("plan", "--adpot").stderr == "error: No such option '--adpot'. Did you mean '--adopt'?\n"
    assert bare("status", "--nope").stderr == "error: No such option '--nope'.\n"


def test_as_a_process(tmp_path: pathlib.Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "ENDPOINTCTL_"))}
    env["XDG_STATE_HOME"] = str(tmp_path / "state")

    def run(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "endpointctl", *argv], env=env, capture_output=True, text=True, cwd=ROOT
        )

    plan = run("plan", "manifests/", "--sandbox", "--token", SECRET)
    assert (plan.returncode, plan.stdout) == (2, "")
    assert plan.stderr == (
        "error: --sandbox is a global option: give it before the command, as in "
        "`endpointctl --sandbox plan ...`\n"
    )
    assert SECRET not in plan.stderr
    assert not (tmp_path / "state").exists()  # refused while parsing: no sandbox was started
