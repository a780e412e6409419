"""sandbox serve / reset: the local emulator."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import click

from endpointctl.cli.invocation import Invocation, pass_invocation
from endpointctl.cli.options import epilog
from endpointctl.cli.signals import interruptible
from endpointctl.core.errors import ExitCode
from endpointctl.engine.cancel import CancelEvent

if TYPE_CHECKING:
    from endpointctl.sandbox.faults import FaultConfig


@click.group()
def sandbox() -> None:
    """The local emulator of the Inference Endpoints API."""


def fault_config(rules: Sequence[str], seed: int) -> FaultConfig | None:
    """The --fault flags as the sandbox's fault config; None when there are none."""
    from endpointctl.sandbox.faults import FaultConfig, parse_rule

    if not rules:
        return None
    try:
        return FaultConfig(tuple(parse_rule(rule) for rule in rules), seed=seed)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--fault") from None


@sandbox.command(
    epilog=epilog(
        "endpointctl sandbox serve --port 8080",
        "ENDPOINTCTL_API_URL=http://127.0.0.1:8080 HF_TOKEN=hf_anything endpointctl status",
        "endpointctl sandbox serve --fault 'status=429,p=0.3,retry-after=1'",
        "endpointctl sandbox serve --fault 'drop,route=POST /v2/endpoint/{namespace},times=1'",
        "endpointctl sandbox serve --fault 'latency=0.5' --fault 'status=503,p=0.1,route=GET *'",
        "endpointctl sandbox serve --zero-replicas-unless-running --wake-moves-updated-at",
        "endpointctl sandbox serve --host 0.0.0.0 --allow-remote",
    )
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=None,
    help="Default: the port --sandbox uses (0: any free).",
)
@click.option(
    "--fault",
    "faults",
    multiple=True,
    metavar="RULE",
    help="Inject a fault (repeatable): one of status=CODE, latency=SECONDS, hang, drop (commit, then "
    "drop the connection), end-after=N or break-after=N (a log stream ends, or its connection breaks "
    "off, after N events); with p=PROBABILITY, route='METHOD /template' or a glob (default *), "
    "retry-after=S or retry-after-date=S (Retry-After as seconds or as a date), ratelimit=S "
    "(RateLimit t=S), times=N.",
)
@click.option("--fault-seed", type=int, default=0, show_default=True, help="Seed for which requests fault.")
@click.option(
    "--zero-replicas-unless-running/--no-zero-replicas-unless-running",
    default=False,
    help="Answer minReplica and maxReplica as 0 in every state but running. The real API does so for a "
    "paused endpoint; whether it also does while one is scaled to zero, deploying or updating is "
    "unconfirmed, and this is the reading that it does. Default: the configured values (a paused "
    "endpoint's are 0/0).",
)
@click.option(
    "--wake-moves-updated-at/--no-wake-moves-updated-at",
    default=False,
    help="Move status.updatedAt when a request wakes an endpoint scaled to zero. Whether the real API does "
    "is unconfirmed, and this is the reading that it does. Default: only a change (create, update, pause, "
    "resume, scale to zero) moves it.",
)
@click.option(
    "--empty-tags",
    type=click.Choice(["clear", "ignore", "refuse"]),
    default="clear",
    show_default=True,
    help="What an update sending an empty tag list does: clear the tags, ignore the empty list (keep "
    "them), or refuse it (422). Unconfirmed on the real API; `schedule release` sends one when a hold "
    "was the only tag.",
)
@click.option(
    "--allow-remote",
    is_flag=True,
    help="Allow a --host other than loopback. The sandbox takes any hf_ token: whoever can reach the "
    "address can read and change everything it holds.",
)
@pass_invocation
def serve(
    inv: Invocation,
    host: str,
    port: int | None,
    faults: tuple[str, ...],
    fault_seed: int,
    zero_replicas_unless_running: bool,
    wake_moves_updated_at: bool,
    empty_tags: str,
    allow_remote: bool,
) -> ExitCode:
    """Serve the emulator in the foreground for other clients, optionally injecting faults.

    Where the real API's behaviour is unconfirmed, the sandbox gives one reading by default and the others
    with a flag (--zero-replicas-unless-running, --wake-moves-updated-at, --empty-tags): try a client
    against each."""
    from endpointctl.sandbox import Sandbox, SandboxConfig
    from endpointctl.sandbox.embedded import DEFAULT_PORT, state_path
    from endpointctl.sandbox.server import is_loopback

    remote = not is_loopback(host)
    if remote and not allow_remote:
        # Refused before anything is created or bound: nothing may listen there by accident.
        raise click.BadParameter(
            f"{host!r} is not a loopback address, and the sandbox accepts any token: anyone who can "
            "reach it could read and change its endpoints. Pass --allow-remote to serve there anyway.",
            param_hint="--host",
        )
    config = fault_config(faults, fault_seed)
    server = Sandbox(
        SandboxConfig(
            db_path=state_path(),
            faults=config,
            zero_replicas_unless_running=zero_replicas_unless_running,
            wake_moves_updated_at=wake_moves_updated_at,
            empty_tags=empty_tags,
        )
    )
    stop = CancelEvent()
    # From before the server is up: a Ctrl-C the moment it serves (a script that read the URL and is
    # done) stops it cleanly, never as an interrupted command.
    with interruptible(stop, inv.out):
        url = server.start(host=host, port=DEFAULT_PORT if port is None else port, allow_remote=allow_remote)
        inv.out.info(f"sandbox: serving at {url} (state: {state_path()})")
        if remote:
            # After the "serving at" line, which scripts read first to learn the URL.
            inv.out.warn(
                f"the sandbox listens on {host!r}, beyond this machine: anyone who can reach the "
                "address can use it with any hf_ token, read every endpoint it holds (secrets included) "
                "and change them"
            )
        # Beyond loopback, endpointctl sends a token over plain http only if ENDPOINTCTL_ALLOW_HTTP says so.
        allow = " ENDPOINTCTL_ALLOW_HTTP=1" if remote else ""
        inv.out.info(f"use it with: ENDPOINTCTL_API_URL={url}{allow} HF_TOKEN=hf_anything endpointctl status")
        for rule in config.rules if config else ():
            inv.out.info(f"sandbox: injecting {rule.describe()}")
        # The readings other than the default, said: a client's odd behaviour may come from one.
        if zero_replicas_unless_running:
            inv.out.info("sandbox: answering minReplica and maxReplica as 0 in every state but running")
        if wake_moves_updated_at:
            inv.out.info("sandbox: a request that wakes an endpoint scaled to zero moves its updatedAt")
        if empty_tags != "clear":
            inv.out.info(f"sandbox: an update sending an empty tag list: {empty_tags}d")
        while not stop.wait(0.5):
            pass
    server.stop()
    if server.faults is not None:
        inv.out.info(f"sandbox: faults injected: {server.faults.injected() or 'none'}")
    return ExitCode.OK


@sandbox.command(epilog=epilog("endpointctl sandbox reset"))
@pass_invocation
def reset(inv: Invocation) -> ExitCode:
    """Delete every endpoint the sandbox holds."""
    from endpointctl.sandbox import Sandbox, SandboxConfig
    from endpointctl.sandbox.embedded import state_path

    path = state_path()
    # Delete rows rather than the file: a `sandbox serve` may have it open and must see the reset too.
    with Sandbox(SandboxConfig(db_path=path)) as store:
        store.reset()
    inv.out.info(f"sandbox: state cleared ({path})")
    return ExitCode.OK
