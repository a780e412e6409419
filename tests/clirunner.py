"""Run the CLI in-process against a sandbox, with captured streams and an injected clock."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Any

from endpointctl.cli import CommandEnv, main
from endpointctl.ui.sink import Output


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str

    @property
    def all(self) -> str:
        return self.stdout + self.stderr


@dataclass
class Cli:
    environ: dict[str, str]
    clock: Any
    interactive: bool = False
    processes: Any = None  # this machine's processes as lease records tell them; None: the real ones
    timer: Any = None  # what a lease's heartbeat waits on; None: real time
    stderr_type: type[io.StringIO] = io.StringIO  # what captures stderr: a test's may misbehave
    stdout_type: type[io.StringIO] = io.StringIO  # and stdout

    def __call__(self, *argv: str, env: dict[str, str | None] | None = None, confirm: bool = False) -> Run:
        """``env`` adds to the environment; a None there removes the variable."""
        stdout, stderr = self.stdout_type(), self.stderr_type()
        command_env = CommandEnv(
            environ={
                key: value for key, value in {**self.environ, **(env or {})}.items() if value is not None
            },
            clock=self.clock,
            interactive=self.interactive,
            prompt=lambda _text: confirm,
            out=Output(stdout=stdout, stderr=stderr),
            processes=self.processes,
            timer=self.timer,
        )
        code = main(list(argv), env=command_env)
        return Run(code, stdout.getvalue(), stderr.getvalue())


def assert_replan_empty(cli: Cli, sandbox: Any, *args: str, env: dict[str, str | None] | None = None) -> Run:
    """After an apply: ``plan`` shows no change (exit 0, an empty JSON list) and makes no mutating call."""
    before = sandbox.mutating_count()
    plan = cli("plan", *args, "--detailed-exitcode", "-o", "json", env=env)
    assert plan.code == 0, plan.all
    assert json.loads(plan.stdout) == []
    assert sandbox.mutating_count() == before
    return plan
