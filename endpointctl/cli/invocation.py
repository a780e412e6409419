"""One run of the CLI: the environment it runs in, its global flags, and the services built from them.

``CommandEnv`` is everything a command takes from outside the process's arguments (variables, streams,
whether a person is at the terminal, the clock, how to ask a question); tests build one with their own.
``Invocation`` adds the root group's flags and builds the services a command needs (``Services``) from
the environment and the command's ``Settings``, once, closing them when the command ends.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import click

from endpointctl.core.clock import Clock
from endpointctl.core.errors import UsageError
from endpointctl.core.settings import OutputMode, Settings
from endpointctl.engine.clock import SystemClock
from endpointctl.ui.annotations import in_github_actions
from endpointctl.ui.sink import Output

if TYPE_CHECKING:  # each is imported where used: `--help` and `validate` need none of their imports
    from endpointctl import manifest
    from endpointctl.cli.services import Services
    from endpointctl.core.spec import Desired
    from endpointctl.engine.interaction import Consent
    from endpointctl.engine.processes import Processes
    from endpointctl.engine.session import Session


def _ask(text: str) -> bool:
    return click.confirm(text, default=False)


@dataclass
class CommandEnv:
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    clock: Clock = field(default_factory=SystemClock)
    interactive: bool | None = None  # None: ask the terminal
    prompt: Callable[[str], bool] = _ask
    out: Output = field(default_factory=Output)
    own: bool | None = None  # environ is the process's (the console script's); None: when it equals it
    # This machine's processes as lease records tell them (``engine.processes``); None: the real ones.
    processes: Processes | None = None
    # What a thread of its own waits on (a lease's heartbeat); None: real time, even where ``clock`` is a
    # test's, which advances whenever slept on and would spin such a thread.
    timer: Clock | None = None

    @property
    def is_own(self) -> bool:
        """``environ`` is this process's environment (not a test's): huggingface_hub's own lookups agree."""
        return self.own if self.own is not None else self.environ == os.environ

    @property
    def is_interactive(self) -> bool:
        if self.interactive is not None:
            return self.interactive
        return sys.stdin.isatty() and sys.stdout.isatty()

    def table_width(self, least: int) -> int:
        """How wide a table for people may be: ``COLUMNS`` when set (as shells export it), else the width
        of the terminal stdout is, never under ``least`` (what a pipe or a log gets)."""
        columns = self.environ.get("COLUMNS", "")
        if columns.isascii() and columns.isdigit():
            return max(least, int(columns))
        stream = self.out.stdout
        try:
            if stream is not None and stream.isatty():
                return max(least, os.get_terminal_size(stream.fileno()).columns)
        except (OSError, ValueError, AttributeError):  # no descriptor, or not a terminal after all
            pass
        return least


@dataclass
class Invocation:
    env: CommandEnv
    sandbox: bool = False  # --sandbox
    token_flag: str | None = None  # --token
    traceback: bool = False  # --traceback
    _services: Services | None = None

    def __post_init__(self) -> None:
        # The runner of a GitHub Actions step reads stderr for workflow commands: outside text is made inert.
        self.env.out.workflow_commands = in_github_actions(self.env.environ)

    @property
    def out(self) -> Output:
        return self.env.out

    def default_namespace(self, namespace: str | None) -> str | None:
        """--namespace, else ENDPOINTCTL_NAMESPACE, checked; None: the token's user, which only the API
        tells. For the offline commands: nothing else of the settings (the token, the timeouts) is read,
        so a setting they never use cannot stop them."""
        from endpointctl.core.settings import namespace_setting

        return namespace_setting(namespace, self.env.environ)

    def settings(self, *, namespace: str | None = None, output: str = OutputMode.TABLE.value) -> Settings:
        """This command's settings: its flags over the environment over the defaults, resolved once."""
        settings = Settings.resolve(
            self.env.environ,
            sandbox=self.sandbox,
            namespace=namespace,
            token_flag=self.token_flag,
            output=output,
            # The real environment (not a test's): huggingface_hub may look for the token its own way.
            own_environment=self.env.is_own,
        )
        self.out.mode = settings.output
        return settings

    def load(
        self, paths: Sequence[str], *, allow_public: bool = False, task_typos: bool = False
    ) -> list[Desired]:
        return self.read(paths, allow_public=allow_public, task_typos=task_typos).desired

    def read(
        self, paths: Sequence[str], *, allow_public: bool = False, task_typos: bool = False
    ) -> manifest.Reading:
        """Every manifest under ``paths``, read completely (or a ManifestError), and the files read;
        ``task_typos``: a task a typo away from a known one is one of the problems (validate's)."""
        if not paths:
            raise UsageError("no manifest given: name files or directories, e.g. `manifests/`")
        if any(not path.strip() for path in paths):
            # What `endpointctl apply "$DIR"` passes when DIR is unset: never "the current directory".
            raise UsageError("an empty path was given", hint="check the variable that should have named it")
        from endpointctl import manifest
        from endpointctl.core import variables

        try:
            environ = variables.interpolation_environment(self.env.environ)
        except variables.VariablesError as error:
            raise UsageError(
                str(error), hint="one NAME=value a line; blank lines and lines starting with # are skipped"
            ) from None
        reading = manifest.read_manifests(
            paths, environ=environ, allow_public=allow_public, task_typos=task_typos
        )
        for d in reading.desired:
            # Secret values and registry passwords: nothing this process writes may show them.
            self.out.redactor.add(*d.sensitive_values())
        return reading

    def session(self, settings: Settings) -> Session:
        if self._services is None:
            from endpointctl.cli.services import Services

            self._services = Services(
                self.env.clock, self.out, settings, processes=self.env.processes, timer=self.env.timer
            )
        return self._services.session()

    def consent(self, yes: bool) -> Consent:
        from endpointctl.engine.interaction import Consent

        return Consent(yes=yes, interactive=self.env.is_interactive, prompt=self.env.prompt)

    def close(self) -> None:
        if self._services is not None:
            self._services.close()
            self._services = None


pass_invocation = click.make_pass_decorator(Invocation)
