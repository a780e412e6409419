"""The click layer: flags → Settings → one engine call → ui → exit code.

Exit codes are decided in ``main`` (errors) and ``exits`` (outcomes) only. Importing this package loads
no command: the root group (``group``) imports a command's module when that command is resolved.
"""

from endpointctl.cli.group import cli
from endpointctl.cli.invocation import CommandEnv
from endpointctl.cli.main import main

__all__ = ["CommandEnv", "cli", "main"]
