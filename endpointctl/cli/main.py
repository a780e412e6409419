"""The entry point: the one place exceptions become exit codes."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Mapping, Sequence

import click

from endpointctl.cli.group import cli
from endpointctl.cli.invocation import CommandEnv, Invocation
from endpointctl.cli.signals import ended_by_sigterm, interrupted
from endpointctl.core.errors import EndpointctlError, ExitCode, ManifestError, OutputLost
from endpointctl.core.settings import token_as_sent


def main(argv: Sequence[str] | None = None, env: CommandEnv | None = None) -> int:
    """Run one command; with ``argv`` None (the console script) exit the process with its code."""
    inv = Invocation(env or CommandEnv())
    # Known before click parses a single option: a usage error may quote any argument, the token too.
    inv.out.redactor.add(*_tokens_in(inv.env.environ, argv if argv is not None else sys.argv[1:]))
    try:
        with ended_by_sigterm():
            code = cli.main(
                args=list(argv) if argv is not None else None,
                prog_name="endpointctl",
                standalone_mode=False,
                obj=inv,
            )
    except ManifestError as error:
        from endpointctl.ui import render  # YAML and the records: only for a manifest's problems
        from endpointctl.ui.annotations import commands_stopped, manifest_annotations

        inv.out.redactor.add(*error.sensitive)  # a message may quote a secret of a manifest that failed
        if inv.out.mode.structured:
            # For CI to annotate: one record per problem on stdout; people still read them on stderr.
            with contextlib.suppress(OutputLost):  # stderr still says them, and the exit code is still 2
                inv.out.result(render.manifest_issues(error.issues, inv.out.mode))
        environ, scrub = inv.env.environ, inv.out.redactor.scrub
        with commands_stopped(inv.out.command, environ):  # it quotes the manifest verbatim
            inv.out.error(error.message, error.hint)
        if github := manifest_annotations(error.issues, scrub, environ=environ, cwd=os.getcwd()):
            inv.out.command(github)  # under GitHub Actions: each problem annotates its file and line
        code = error.exit_code
    except OutputLost as error:
        if not error.reader_left:
            inv.out.error(error.message, error.hint)
        code = error.exit_code
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
            import traceback  # only for a bug's report: not loaded by every command

            inv.out.diagnostic(traceback.format_exc().rstrip())
        if interrupted():
            # The interrupt's KeyboardInterrupt surfaced as another error (``signals.interrupted``).
            inv.out.error("interrupted")
            code = ExitCode.INTERRUPTED
        else:
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


def _tokens_in(environ: Mapping[str, str], argv: Sequence[str]) -> list[str]:
    """The secrets this run may hold before any is read: the environment's tokens, ENDPOINTCTL_VARIABLES'
    values, and a --token's value."""
    found = [environ.get("HF_TOKEN") or "", environ.get("HUGGING_FACE_HUB_TOKEN") or ""]
    if environ.get("ENDPOINTCTL_VARIABLES"):  # each value a secret, as the workflows mask each in the log
        from endpointctl.core.variables import sensitive

        found += sensitive(environ["ENDPOINTCTL_VARIABLES"])
    for i, arg in enumerate(argv):
        if arg == "--token" and i + 1 < len(argv):
            found.append(argv[i + 1])
        elif arg.startswith("--token="):
            found.append(arg.removeprefix("--token="))
    found += [token_as_sent(token) for token in found]  # the form sent, too
    return [token for token in found if token]
