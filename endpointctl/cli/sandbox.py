"""sandbox serve / reset: the local emulator."""

from __future__ import annotations

import threading

import click

from endpointctl.cli.app import App, epilog, interruptible, pass_app
from endpointctl.cli.group import cli
from endpointctl.errors import ExitCode


@cli.group()
def sandbox() -> None:
    """The local emulator of the Inference Endpoints API."""


@sandbox.command(
    epilog=epilog(
        "endpointctl sandbox serve --port 8080",
        "ENDPOINTCTL_API_URL=http://127.0.0.1:8080 HF_TOKEN=hf_anything endpointctl status",
    )
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=None, help="Default: the port --sandbox uses.")
@pass_app
def serve(app: App, host: str, port: int | None) -> ExitCode:
    """Serve the emulator in the foreground for other clients."""
    from endpointctl.local_sandbox import DEFAULT_PORT, state_path
    from endpointctl.sandbox import Sandbox, SandboxConfig

    server = Sandbox(SandboxConfig(db_path=state_path()))
    url = server.start(host=host, port=DEFAULT_PORT if port is None else port)
    app.out.info(f"sandbox: serving at {url} (state: {state_path()})")
    app.out.info(f"use it with: ENDPOINTCTL_API_URL={url} HF_TOKEN=hf_anything endpointctl status")
    stop = threading.Event()
    with interruptible(stop, app.out):
        while not stop.wait(0.5):
            pass
    server.stop()
    return ExitCode.OK


@sandbox.command(epilog=epilog("endpointctl sandbox reset"))
@pass_app
def reset(app: App) -> ExitCode:
    """Delete every endpoint the sandbox holds."""
    from endpointctl.local_sandbox import state_path

    path = state_path()
    if path.exists():
        path.unlink()
    app.out.info(f"sandbox: state cleared ({path})")
    return ExitCode.OK
