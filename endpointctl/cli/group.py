"""The root command group, its global flags, and the registry of its commands.

The root lists its commands by name and short help without importing them (``COMMANDS``); a command's
module is imported only when that command is resolved: run, asked for ``--help``, or completed past.
So ``endpointctl --help`` loads click and this package's light modules only. A test checks that each
entry's short help is its command's own.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

import click
from click.shell_completion import CompletionItem

from endpointctl.cli.invocation import CommandEnv, Invocation
from endpointctl.cli.options import epilog

# name -> ("module:attribute", short help): the short help is the command's docstring's first sentence.
COMMANDS: Mapping[str, tuple[str, str]] = {
    "apply": ("endpointctl.cli.declarative:apply", "Converge the live endpoints to the manifests."),
    "completion": (
        "endpointctl.cli.completion:completion",
        "Print the completion script for SHELL (bash, zsh or fish).",
    ),
    "cost": (
        "endpointctl.cli.cost:cost",
        "Project a month's cost per endpoint and in total: always on, on its schedule, and at maxReplica.",
    ),
    "delete": ("endpointctl.cli.endpoints:delete", "Delete endpoints."),
    "export": (
        "endpointctl.cli.export:export",
        "Write a manifest for each live endpoint: those named, those the selector matches, or all.",
    ),
    "hardware": (
        "endpointctl.cli.endpoints:hardware",
        "What can be deployed: instance types, price per hour and the namespace's quota.",
    ),
    "init": (
        "endpointctl.cli.scaffold:init",
        "Write a manifest for a model: its task from the Hub, and the cheapest instance that fits it.",
    ),
    "invoke": (
        "endpointctl.cli.smoke:invoke",
        "Send one request to an endpoint and print the answer (status and latency on stderr).",
    ),
    "logs": (
        "endpointctl.cli.logs:logs",
        "Print an endpoint's log lines: what its containers print, oldest first.",
    ),
    "pause": ("endpointctl.cli.endpoints:pause", "Pause endpoints: billing stops, replicas go to 0."),
    "plan": ("endpointctl.cli.declarative:plan", "Show what apply would do, per endpoint and per field."),
    "replicas": (
        "endpointctl.cli.logs:replicas",
        "List an endpoint's replicas: ID, status, when created, and what else the API says of each.",
    ),
    "resume": ("endpointctl.cli.endpoints:resume", "Resume paused (or scaled-to-zero) endpoints."),
    "run": (
        "endpointctl.cli.run:run",
        "Run COMMAND against an endpoint woken for it, then put the endpoint back as it was.",
    ),
    "sandbox": ("endpointctl.cli.sandbox:sandbox", "The local emulator of the Inference Endpoints API."),
    "scale-to-zero": (
        "endpointctl.cli.endpoints:scale_to_zero",
        "Scale running endpoints to zero; the next request wakes them.",
    ),
    "schedule": (
        "endpointctl.cli.schedule:schedule",
        "Run endpoints on their manifests' schedules (spec.schedule); see the README's Schedules.",
    ),
    "schema": (
        "endpointctl.cli.declarative:schema",
        "Print the manifest's JSON Schema (for editors and CI linters).",
    ),
    "smoke": (
        "endpointctl.cli.smoke:smoke",
        "Call each endpoint's URL and check the answer: the manifest's smokeTest, else a task default.",
    ),
    "status": (
        "endpointctl.cli.endpoints:status",
        "Name, state, URL, model, instance, replicas and security of endpoints.",
    ),
    "validate": ("endpointctl.cli.declarative:validate", "Check manifests offline: no API call is made."),
    "wait": (
        "endpointctl.cli.wait:wait",
        "Wait until endpoints are ready: running, with a URL, and their health route answering 200.",
    ),
}


class LazyGroup(click.Group):
    """A group whose commands are imported when resolved (click's documented lazy-loading pattern)."""

    def __init__(self, *args: Any, lazy: Mapping[str, tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy:
            self.add_command(self._load(cmd_name), cmd_name)
        return super().get_command(ctx, cmd_name)

    def _load(self, name: str) -> click.Command:
        module, _, attribute = self.lazy[name][0].partition(":")
        command = getattr(importlib.import_module(module), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{self.lazy[name][0]} is not a click command")
        return command

    def command_help(self, name: str, limit: int = 45) -> str:
        """A command's short help: from the registry, unless its module is loaded already."""
        if name in self.commands:
            return self.commands[name].get_short_help_str(limit)
        # A bare command with that help, so the text is cut to ``limit`` as click cuts a command's own.
        return click.Command(name, help=self.lazy[name][1]).get_short_help_str(limit)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        names = [n for n in self.list_commands(ctx) if n in self.lazy or not self.commands[n].hidden]
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        with formatter.section("Commands"):
            formatter.write_dl([(name, self.command_help(name, limit)) for name in names])

    def shell_complete(self, ctx: click.Context, incomplete: str) -> list[CompletionItem]:
        names = [n for n in self.list_commands(ctx) if n.startswith(incomplete)]
        found = [CompletionItem(name, help=self.command_help(name)) for name in names]
        return found + click.Command.shell_complete(self, ctx, incomplete)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.NoSuchOption as error:
            misplaced = self._own_option_after_a_command(ctx, error)
            if misplaced is None:
                raise
            raise misplaced from None

    def _own_option_after_a_command(
        self, ctx: click.Context, error: click.NoSuchOption
    ) -> click.UsageError | None:
        """One of this group's own options (``--sandbox``, ``--token``, ``--traceback``) after a command,
        which does not take it: click said "No such option", with a 'did you mean' for one of the
        command's own (`plan manifests/ --sandbox`: '--adopt') or none. Say where it goes. Only the
        option's name is quoted, never what followed it (`--token VALUE`: a token is never shown), nor
        the rest of the line (an argument may hold a secret)."""
        name = error.option_name
        own = next(
            (p for p in self.params if isinstance(p, click.Option) and name in (*p.opts, *p.secondary_opts)),
            None,
        )
        if own is None or error.ctx is None:
            return None
        # The commands between this group and the option: `schedule run` for `schedule run x --sandbox`.
        commands = error.ctx.command_path.removeprefix(ctx.command_path).split()
        if own.is_eager and not own.expose_value:  # --version: it runs alone, whatever follows
            example = f"{ctx.command_path} {name}"
        else:
            value = "" if own.is_flag else f" {own.metavar or 'VALUE'}"
            example = " ".join([ctx.command_path, name + value, *commands, "..."])
        return click.UsageError(
            f"{name} is a global option: give it before the command, as in `{example}`", ctx=error.ctx
        )


@click.group(
    cls=LazyGroup,
    lazy=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110},
    epilog=epilog(
        "endpointctl --sandbox apply manifests/ --yes",
        "endpointctl plan manifests/ --detailed-exitcode",
        "endpointctl status -o json",
        "endpointctl pause --selector env=dev",
    ),
)
@click.option(
    "--sandbox",
    is_flag=True,
    help="Run against the local emulator (started in-process; state under the user's state dir). "
    "Also ENDPOINTCTL_SANDBOX=1.",
)
@click.option("--token", "token_flag", metavar="TOKEN", help="HF token (discouraged: prefer HF_TOKEN).")
@click.option(
    "--traceback", is_flag=True, help="On an unexpected error, print its traceback (for bug reports)."
)
@click.version_option(package_name="endpointctl")
@click.pass_context
def cli(ctx: click.Context, sandbox: bool, token_flag: str | None, traceback: bool) -> None:
    """Declarative Hugging Face Inference Endpoints: plan, apply, pause, resume, status."""
    if not isinstance(ctx.obj, Invocation):  # run as a plain click group (click's test runner)
        ctx.obj = Invocation(CommandEnv())
    inv: Invocation = ctx.obj
    inv.sandbox = inv.sandbox or sandbox
    inv.traceback = inv.traceback or traceback
    if token_flag is not None:  # given empty too: `--token "$UNSET"` is refused, never another login
        inv.out.redactor.add(token_flag)
        inv.out.warn("a token given as a flag shows in shell history and process lists; prefer HF_TOKEN")
        inv.token_flag = token_flag
    ctx.call_on_close(inv.close)
