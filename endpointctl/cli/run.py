"""run: a batch job's lease on an endpoint — wake it, run COMMAND against it, put it back as it was."""

from __future__ import annotations

import pathlib
import shlex
from typing import TYPE_CHECKING

import click

from endpointctl.cli import child, options
from endpointctl.cli.invocation import Invocation, pass_invocation
from endpointctl.cli.options import epilog
from endpointctl.core.defaults import WAIT_TIMEOUT
from endpointctl.core.errors import ExitCode, UsageError
from endpointctl.core.targets import Target

if TYPE_CHECKING:
    from endpointctl.core.endpoint import Endpoint
    from endpointctl.core.spec import Desired
    from endpointctl.engine.flows import lease

_COMMAND = "endpointctl.run.command"  # where the arguments after `--` wait for the command


class _SplitAtDashes(click.Command):
    """Everything after the first ``--`` is COMMAND, never read as endpointctl's own options: a batch job's
    ``--timeout`` or ``-f`` must reach the job, and ``-f PATH -- python job.py`` must not take ``python``
    for an endpoint's NAME (click drops the ``--`` it sees, which would lose where COMMAND starts)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if "--" in args:
            at = args.index("--")
            ctx.meta[_COMMAND] = args[at + 1 :]
            args = args[:at]
        return super().parse_args(ctx, args)

    def collect_usage_pieces(self, ctx: click.Context) -> list[str]:
        return [*super().collect_usage_pieces(ctx), "-- COMMAND [ARGS]..."]


@click.command(
    cls=_SplitAtDashes,
    epilog=epilog(
        "endpointctl run gpt2-demo -- python batch.py          # ENDPOINT_URL is set for it",
        "endpointctl run -f manifests/gpt2.yaml --smoke -- ./nightly-eval.sh",
        "endpointctl run gpt2-demo --timeout 900 -- sh -c 'curl -sf \"$ENDPOINT_URL/health\"'",
    ),
)
@click.argument("name", required=False, callback=options.checked_names)
@options.manifest_files
@click.option(
    "--smoke", is_flag=True, help="Smoke-test the endpoint once ready; on failure COMMAND does not run."
)
@click.option(
    "--timeout",
    type=options.Seconds(),
    default=int(WAIT_TIMEOUT),
    show_default=True,
    metavar="SECONDS",
    help="Give up waiting for it to be ready after this long: COMMAND does not run, exit 4.",
)
@click.option(
    "--namespace",
    "namespace",
    metavar="NS",
    help="User or organization. Default: ENDPOINTCTL_NAMESPACE, else the token's user.",
)
@pass_invocation
@click.pass_context
def run(
    ctx: click.Context,
    inv: Invocation,
    name: str | None,
    files: tuple[str, ...],
    smoke: bool,
    timeout: float,
    namespace: str | None,
) -> int:
    """Run COMMAND against an endpoint woken for it, then put the endpoint back as it was.

    \b
    Resumes the endpoint if it is paused or scaled to zero, waits until it is ready (and smoke-tests it
    with --smoke), runs COMMAND with ENDPOINT_URL, ENDPOINT_NAME and ENDPOINT_NAMESPACE in its
    environment (stdin, stdout and stderr are COMMAND's), then pauses it or scales it to zero again if
    that is how it was found; a running endpoint is left running. With -f and a spec.schedule, it is put
    in the state the schedule holds when COMMAND ends instead. Also when COMMAND fails, and on
    SIGINT/SIGTERM (passed on to COMMAND, waited for, then the restore; exit 130).

    \b
    Exit: COMMAND's status (128+n when a signal killed it; 1 if it succeeded but the endpoint could not
    be put back); when the endpoint never got ready COMMAND does not run: 1, or 4 on timeout. A COMMAND
    that cannot be found (127) or run (126) is told before anything is woken: no API call is made.
    Overlapping runs of one endpoint on this machine share it: the last to finish puts it back; a
    `schedule run` on this machine does not pause or scale it to zero while a run uses it.
    """
    from endpointctl.cli.hooks import CliHooks
    from endpointctl.engine.flows import lease

    argv: list[str] | None = ctx.meta.get(_COMMAND)
    if not argv:
        raise UsageError("give the command to run after --", hint="endpointctl run NAME -- python batch.py")
    if (name is None) == (not files):
        raise UsageError("name the endpoint to run against: NAME or -f PATH (one of them)")
    desired = _one_endpoint(inv.load(files)) if files else None
    if (cannot := child.cannot_start(argv, inv.env.environ)) is not None:
        # Before any API call: a COMMAND that cannot start would be found only after the resume and the
        # whole cold start, billed, then the endpoint paused again.
        status, message = cannot
        inv.out.error(message, "the endpoint was not woken: no API call was made")
        return status
    settings = inv.settings(namespace=namespace)
    session = inv.session(settings)
    if desired is not None:
        ((ns, _),) = session.place([desired])
        target = Target(ns, desired.name)
    else:
        assert name is not None
        target = Target(session.namespace(), name)
    # Who holds a lock or a lease, as other runs are told: the program's name only, for COMMAND's
    # arguments may carry a secret, and these records are files anyone may read.
    line = f"endpointctl run {target.name} -- {shlex.quote(pathlib.PurePath(argv[0]).name)}"
    hooks = CliHooks(inv.out, inv.env.clock, session.cancel, show_tracebacks=inv.traceback)

    def command(endpoint: Endpoint) -> int:
        environ = {
            **inv.env.environ,
            "ENDPOINT_URL": endpoint.url or "",
            "ENDPOINT_NAME": endpoint.name,
            "ENDPOINT_NAMESPACE": endpoint.namespace,
        }
        # The program only, as in the lease files: its arguments may carry secrets of its own.
        more = f" with {len(argv) - 1} argument(s)" if len(argv) > 1 else ""
        inv.out.info(f"{target.key}: ready at {endpoint.url}; running {shlex.quote(argv[0])}{more}")
        status = child.run(argv, environ, inv.out.error)
        inv.out.info(f"{target.key}: {shlex.join(argv[:1])} {child.describe(status)}")
        return status

    leased = lease.run(
        session,
        target,
        desired,
        smoke=smoke,
        timeout=timeout,
        hooks=hooks,
        command=command,
        command_line=line,
    )
    return _exit_code(leased, interrupted=session.cancel.is_set())


def _one_endpoint(desired: list[Desired]) -> Desired:
    if len(desired) != 1:
        names = ", ".join(d.name for d in desired) or "none"
        raise UsageError(
            f"-f must name exactly one endpoint to run against; these manifests name {len(desired)}: {names}",
            hint="point -f at that endpoint's own manifest file, or give its NAME",
        )
    return desired[0]


def _exit_code(leased: lease.Leased, *, interrupted: bool) -> int:
    """COMMAND's status when it ran; otherwise why the endpoint was not ready. See the command's help."""
    from endpointctl.cli import exits
    from endpointctl.core.outcomes import ChangeOutcome

    if interrupted:
        # Whatever COMMAND made of the signal: an interrupted run says so, as every command does.
        return ExitCode.INTERRUPTED
    if leased.status is not None:
        return ExitCode.FAILURE if leased.status == 0 and leased.restore_failed else leased.status
    codes: list[ExitCode] = []
    if any(r.outcome is not ChangeOutcome.OK for r in leased.woke):
        codes.append(ExitCode.FAILURE)
    if leased.waited is not None:
        codes.append(exits.for_wait(leased.waited))
    if leased.smoked is not None:
        codes.append(exits.for_smoke(leased.smoked))
    # Not ready, though nothing above says why (a failed resume reports itself): still a failure.
    return exits.worst(codes) if exits.worst(codes) is not ExitCode.OK else ExitCode.FAILURE
