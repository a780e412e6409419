"""The entry point: the one place exceptions become exit codes."""

from __future__ import annotations

import sys
import traceback
from collections.abc import Sequence

import click

from endpointctl.cli.group import cli
from endpointctl.cli.invocation import CommandEnv, Invocation
from endpointctl.cli.signals import ended_by_sigterm
from endpointctl.core.errors import EndpointctlError, ExitCode


def main(argv: Sequence[str] | None = None, env: CommandEnv | None = None) -> int:
    """Run one command; with ``argv`` None (the console script) exit the process with its code."""
    inv = Invocation(env or CommandEnv())
    try:
        with ended_by_sigterm():
            code = cli.main(
                args=list(argv) if argv is not None else None,
                prog_name="endpointctl",
                standalone_mode=False,
                obj=inv,
            )
    except EndpointctlError as error:
        inv.out.error(error.message, error.hint)
        code = error.exit_code
    except click.exceptions.Abort:
        inv.out.error("interrupted")
        code = ExitCode.INTERRUPTED
    except click.ClickException as error:
        inv.out.error(error.format_message())
        code = ExitCode.USAGE
    except KeyboardInterrupt:
        inv.out.error("interrupted")
        code = ExitCode.INTERRUPTED
    except Exception as error:
        if inv.traceback:
            inv.out.diagnostic(traceback.format_exc().rstrip())
        inv.out.error(
            f"unexpected {type(error).__name__}: {error}",
            "this is a bug in endpointctl; please report it with the command you ran"
            + ("" if inv.traceback else ", run again with --traceback"),
        )
        code = ExitCode.FAILURE
    finally:
        inv.close()
    if argv is None:
        sys.exit(int(code or 0))
    return int(code or 0)
