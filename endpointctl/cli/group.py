"""The root command group and its global flags."""

from __future__ import annotations

import click

from endpointctl.cli.invocation import CommandEnv, Invocation
from endpointctl.cli.options import epilog


@click.group(
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
    if token_flag:
        inv.out.redactor.add(token_flag)
        inv.out.warn("a token given as a flag shows in shell history and process lists; prefer HF_TOKEN")
        inv.token_flag = token_flag
    ctx.call_on_close(inv.close)
