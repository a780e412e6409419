"""The entry point: the one place exceptions become exit codes."""

from __future__ import annotations

import sys
from collections.abc import Sequence

import click

from endpointctl.cli.app import App
from endpointctl.cli.group import cli
from endpointctl.core.errors import EndpointctlError, ExitCode


def main(argv: Sequence[str] | None = None, app: App | None = None) -> int:
    """Entry point: the one place exceptions become exit codes."""
    app = app or App()
    try:
        code = cli.main(
            args=list(argv) if argv is not None else None,
            prog_name="endpointctl",
            standalone_mode=False,
            obj=app,
        )
    except EndpointctlError as error:
        app.out.error(error.message, error.hint)
        code = error.exit_code
    except click.exceptions.Abort:
        app.out.error("interrupted")
        code = ExitCode.INTERRUPTED
    except click.ClickException as error:
        app.out.error(error.format_message())
        code = ExitCode.USAGE
    except KeyboardInterrupt:
        app.out.error("interrupted")
        code = ExitCode.INTERRUPTED
    except Exception as error:
        app.out.error(
            f"unexpected {type(error).__name__}: {error}",
            "this is a bug in endpointctl; please report it with the command you ran",
        )
        code = ExitCode.FAILURE
    finally:
        app.close()
    if argv is None:
        sys.exit(int(code or 0))
    return int(code or 0)
