"""The click layer: flags → Settings → one engine call → ui → exit code.

Exit codes are decided in ``main`` (errors) and ``exits`` (outcomes) only.
"""

from endpointctl.cli import (  # noqa: F401  (registers the commands)
    completion,
    cost,
    declarative,
    endpoints,
    export,
    logs,
    run,
    sandbox,
    scaffold,
    schedule,
    smoke,
    wait,
)
from endpointctl.cli.group import cli
from endpointctl.cli.invocation import CommandEnv
from endpointctl.cli.main import main

__all__ = ["CommandEnv", "cli", "main"]
