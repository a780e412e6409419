"""The click layer: parse flags, call ``operations``, render. Exit codes are decided in ``main`` only."""

from endpointctl.cli import endpoints, manage, sandbox, smoke, wait  # noqa: F401  (registers the commands)
from endpointctl.cli.app import App
from endpointctl.cli.group import cli
from endpointctl.cli.main import main

__all__ = ["App", "cli", "main"]
