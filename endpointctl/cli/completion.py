"""``endpointctl completion SHELL``: the shell's completion script.

Click does the completing itself: the script calls ``endpointctl`` back with ``_ENDPOINTCTL_COMPLETE`` set,
and ``main`` (click's) answers before any command runs. What completes endpoint names: ``name_completion``.
"""

from __future__ import annotations

import click
from click.shell_completion import get_completion_class

from endpointctl.cli.invocation import Invocation, pass_invocation
from endpointctl.cli.options import epilog
from endpointctl.core.errors import ExitCode

SHELLS = ("bash", "zsh", "fish")
COMPLETE_VAR = "_ENDPOINTCTL_COMPLETE"


@click.command(
    epilog=epilog(
        "endpointctl completion bash > ~/.local/share/bash-completion/completions/endpointctl",
        "endpointctl completion zsh > ~/.zfunc/_endpointctl    # with fpath+=~/.zfunc before compinit",
        "endpointctl completion fish > ~/.config/fish/completions/endpointctl.fish",
    )
)
@click.argument("shell", type=click.Choice(SHELLS))
@pass_invocation
def completion(inv: Invocation, shell: str) -> ExitCode:
    """Print the completion script for SHELL (bash, zsh or fish). Endpoint names complete from -f files
    and from the live list (at most ENDPOINTCTL_COMPLETION_TIMEOUT seconds, default 1.5; cached 60 s)."""
    from endpointctl.cli.group import cli

    completer = get_completion_class(shell)
    assert completer is not None  # click ships all three
    inv.out.result(completer(cli, {}, "endpointctl", COMPLETE_VAR).source() + "\n")
    return ExitCode.OK
