"""The click layer: parse flags, call ``operations``, render. Exit codes are decided in ``main`` only."""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

import click

from endpointctl import operations, options, render
from endpointctl.clock import Clock, SystemClock
from endpointctl.errors import ConfirmationRequired, EndpointctlError, ExitCode, UsageError, worst
from endpointctl.manifest import json_schema
from endpointctl.models import Desired
from endpointctl.output import Output
from endpointctl.plan import Options, Plan, StepKind
from endpointctl.render import Mode
from endpointctl.results import Result
from endpointctl.settings import SANDBOX_TOKEN, Settings


@dataclass
class App:
    """Everything a command needs from its environment; tests build one with their own clock and streams."""

    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    clock: Clock = field(default_factory=SystemClock)
    interactive: bool | None = None  # None: ask the terminal
    confirm: Callable[[str], bool] = field(
        default_factory=lambda: lambda text: click.confirm(text, default=False)
    )
    out: Output = field(default_factory=Output)
    sandbox: bool = False
    token_flag: str | None = None
    _embedded: Any = None

    @property
    def is_interactive(self) -> bool:
        if self.interactive is not None:
            return self.interactive
        return sys.stdin.isatty() and sys.stdout.isatty()

    def context(self, namespace: str | None) -> operations.Context:
        from endpointctl.hub import Hub, TokenInfo, resolve_token

        settings = Settings.resolve(self.environ, sandbox=self.sandbox, namespace=namespace)
        api_url = settings.api_url
        token = resolve_token(self.token_flag, self.environ)
        if settings.sandbox:
            if self._embedded is None:
                from endpointctl.local_sandbox import start_embedded

                self._embedded = start_embedded()
                self.out.info(f"sandbox: serving the emulated API at {self._embedded.url}")
            api_url = self._embedded.url
            if not self.environ.get("HF_TOKEN") and not self.token_flag:
                token = TokenInfo(SANDBOX_TOKEN, "the sandbox's built-in token")
        if token.value is None:
            raise UsageError(
                "no Hugging Face token: set HF_TOKEN or run `hf auth login`",
                hint="or try the local emulator: endpointctl --sandbox ...",
            )
        hub = Hub(token=token, api_url=api_url, timeout=settings.request_timeout, redactor=self.out.redactor)
        return operations.Context(
            hub=hub, clock=self.clock, report=self.out.info, default_namespace=settings.namespace
        )

    def load(self, paths: Sequence[str], allow_public: bool = False) -> list[Desired]:
        desired = operations.load(paths, self.environ, allow_public=allow_public)
        for d in desired:
            self.out.redactor.add(*(d.spec.model.secrets or {}).values())
        return desired

    def close(self) -> None:
        if self._embedded is not None:
            self._embedded.stop()
            self._embedded = None


pass_app = click.make_pass_decorator(App)


@contextmanager
def interruptible(cancel: threading.Event, out: Output) -> Iterator[None]:
    """SIGINT/SIGTERM start no new change; the call in flight finishes and the outcome is reported."""

    def handler(signum: int, frame: FrameType | None) -> None:
        if not cancel.is_set():
            out.info("interrupted: finishing the call in flight, starting nothing new")
        cancel.set()

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _exit_code(results: Sequence[Result], cancel: threading.Event) -> ExitCode:
    codes = [r.exit_code for r in results]
    if cancel.is_set():
        codes.append(ExitCode.INTERRUPTED)
    return worst(codes)


def _epilog(*lines: str) -> str:
    return "\b\nExamples:\n" + "\n".join(f"  {line}" for line in lines)


@click.group(
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110},
    epilog=_epilog(
        "endpointctl --sandbox apply manifests/ --yes",
        "endpointctl plan manifests/ --detailed-exitcode",
        "endpointctl status -o json",
        "endpointctl pause --selector env=dev",
    ),
)
@click.option(
    "--sandbox",
    is_flag=True,
    help="Run against the local emulator (started in-process; state under the user's state dir). "
    "Also ENDPOINTCTL_SANDBOX=1.",
)
@click.option("--token", "token_flag", metavar="TOKEN", help="HF token (discouraged: prefer HF_TOKEN).")
@click.version_option(package_name="endpointctl")
@click.pass_context
def cli(ctx: click.Context, sandbox: bool, token_flag: str | None) -> None:
    """Declarative Hugging Face Inference Endpoints: plan, apply, pause, resume, status."""
    app = ctx.ensure_object(App)
    app.sandbox = app.sandbox or sandbox
    if token_flag:
        app.out.redactor.add(token_flag)
        app.out.warn("a token given as a flag shows in shell history and process lists; prefer HF_TOKEN")
        app.token_flag = token_flag
    ctx.call_on_close(app.close)


@cli.command(epilog=_epilog("endpointctl validate manifests/", "endpointctl validate gpt2.yaml -o json"))
@options.paths_argument
@options.common
@click.option("--allow-public", is_flag=True, help="Allow security: public without allowPublic.")
@pass_app
def validate(
    app: App, paths: tuple[str, ...], output: str, namespace: str | None, allow_public: bool
) -> ExitCode:
    """Check manifests offline: no API call is made."""
    desired = app.load(paths, allow_public=allow_public)
    mode = Mode(output)
    if mode is Mode.TABLE:
        app.out.result(f"{len(desired)} manifest(s) valid.\n")
    else:
        records = [
            {"name": d.name, "namespace": d.manifest.metadata.namespace or namespace, "source": d.source}
            for d in desired
        ]
        app.out.result(render._dump(records, mode))
    return ExitCode.OK


@cli.command(epilog=_epilog("endpointctl schema > endpointctl.schema.json"))
@pass_app
def schema(app: App) -> ExitCode:
    """Print the manifest's JSON Schema (for editors and CI linters)."""
    import json

    app.out.result(json.dumps(json_schema(), indent=2) + "\n")
    return ExitCode.OK


def _options(**flags: Any) -> Options:
    return Options(
        stack=flags.get("stack"),
        prune=bool(flags.get("prune")),
        adopt=bool(flags.get("adopt")),
        allow_replace=bool(flags.get("allow_replace")),
        rotate_secrets=bool(flags.get("rotate_secrets")),
    )


@cli.command(
    epilog=_epilog(
        "endpointctl plan manifests/",
        "endpointctl plan manifests/ --prune --stack prod -o json",
        "endpointctl plan manifests/ --detailed-exitcode   # exit 3 when there are changes",
    )
)
@options.paths_argument
@options.common
@options.reconcile
@click.option("--detailed-exitcode", is_flag=True, help="Exit 3 when the plan has changes, 0 when none.")
@pass_app
def plan(app: App, /, paths: tuple[str, ...], output: str, namespace: str | None, **flags: Any) -> ExitCode:
    """Show what apply would do, per endpoint and per field."""
    desired = app.load(paths, allow_public=flags["allow_public"])
    the_plan = operations.plan_manifests(app.context(namespace), desired, _options(**flags))
    app.out.result(render.plan(the_plan, Mode(output)))
    if flags["detailed_exitcode"] and the_plan.has_changes:
        return ExitCode.CHANGES
    return ExitCode.OK


@cli.command(
    epilog=_epilog(
        "endpointctl apply manifests/ --yes",
        "endpointctl apply manifests/ --dry-run",
        "endpointctl apply manifests/ --prune --stack prod --yes -o json",
    )
)
@options.paths_argument
@options.common
@options.reconcile
@options.yes
@click.option("--dry-run", is_flag=True, help="Show the plan and change nothing.")
@click.option(
    "--parallelism", type=click.IntRange(1, 64), default=8, show_default=True, help="Endpoints at once."
)
@pass_app
def apply(app: App, /, paths: tuple[str, ...], output: str, namespace: str | None, **flags: Any) -> ExitCode:
    """Converge the live endpoints to the manifests."""
    desired = app.load(paths, allow_public=flags["allow_public"])
    ctx = app.context(namespace)
    the_plan = operations.plan_manifests(ctx, desired, _options(**flags))
    mode = Mode(output)
    if flags["dry_run"]:
        app.out.result(render.plan(the_plan, mode))
        return ExitCode.OK
    if mode is Mode.TABLE or not the_plan.has_changes:
        app.out.info(render.plan(the_plan, Mode.TABLE).rstrip())
    operations.confirm_destructive(
        the_plan, yes=flags["yes"], interactive=app.is_interactive, confirm=app.confirm
    )
    with interruptible(ctx.cancel, app.out):
        results = operations.execute(ctx, the_plan, parallelism=flags["parallelism"])
    return _finish(app, results, mode, ctx.cancel)


def _finish(app: App, results: list[Result], mode: Mode, cancel: threading.Event) -> ExitCode:
    app.out.result(render.results(results, mode))
    half = [r for r in results if r.done and r.not_done]
    for r in half:
        app.out.warn(
            f"{r.change.namespace}/{r.change.name} is part-way: done {', '.join(r.done)}; "
            f"not done {', '.join(r.not_done)}. Run the same command again to converge."
        )
    return _exit_code(results, cancel)


@cli.command(
    epilog=_epilog(
        "endpointctl status",
        "endpointctl status gpt2-demo -o json",
        "endpointctl status -f manifests/ --selector team=nlp",
    )
)
@click.argument("names", nargs=-1, metavar="[NAME...]")
@options.manifest_files
@options.selector
@options.common
@pass_app
def status(
    app: App,
    names: tuple[str, ...],
    files: tuple[str, ...],
    selector: tuple[str, ...],
    output: str,
    namespace: str | None,
) -> ExitCode:
    """Name, state, URL, model, instance, replicas and security of endpoints."""
    desired = app.load(files) if files else []
    wanted = operations.parse_selector(selector)
    ctx = app.context(namespace)
    observed, targets = operations.select(ctx, names, desired, wanted)
    live = {(ep.namespace, ep.name): ep for eps in observed.values() for ep in eps}
    if names or desired or wanted:
        found = [live[(t.namespace, t.name)] for t in targets if (t.namespace, t.name) in live]
        missing = [f"{t.namespace}/{t.name}" for t in targets if (t.namespace, t.name) not in live]
    else:
        found, missing = [ep for eps in observed.values() for ep in eps], []
    app.out.result(render.endpoints(found, Mode(output)))
    if missing:
        app.out.error("not found: " + ", ".join(missing))
        return ExitCode.FAILURE
    return ExitCode.OK


def _lifecycle_command(kind: StepKind, doc: str, verb: str) -> None:
    @cli.command(
        name=kind.value,
        help=doc,
        epilog=_epilog(
            f"endpointctl {verb} gpt2-demo",
            f"endpointctl {verb} --selector env=dev --allow-empty    # nightly job",
            f"endpointctl {verb} -f manifests/gpt2.yaml -o json",
        ),
    )
    @click.argument("names", nargs=-1, metavar="[NAME...]")
    @options.manifest_files
    @options.selector
    @options.allow_empty
    @options.common
    @pass_app
    def command(
        app: App,
        names: tuple[str, ...],
        files: tuple[str, ...],
        selector: tuple[str, ...],
        allow_empty: bool,
        output: str,
        namespace: str | None,
    ) -> ExitCode:
        return _run_lifecycle(app, kind, names, files, selector, allow_empty, output, namespace, yes=True)


def _run_lifecycle(
    app: App,
    kind: StepKind,
    names: Sequence[str],
    files: Sequence[str],
    selector: Sequence[str],
    allow_empty: bool,
    output: str,
    namespace: str | None,
    *,
    yes: bool,
) -> ExitCode:
    if not (names or files or selector):
        raise UsageError(f"name the endpoints to {kind.value}: NAME..., -f PATH or --selector KEY=VALUE")
    desired = app.load(files) if files else []
    wanted = operations.parse_selector(selector)
    ctx = app.context(namespace)
    observed, targets = operations.select(ctx, names, desired, wanted)
    the_plan: Plan = operations.lifecycle_plan(kind, observed, targets, allow_empty=allow_empty)
    operations.confirm_destructive(the_plan, yes=yes, interactive=app.is_interactive, confirm=app.confirm)
    for change in the_plan.changes:
        for note in change.notes:
            app.out.info(f"{change.namespace}/{change.name}: {note}")
    with interruptible(ctx.cancel, app.out):
        results = operations.execute(ctx, the_plan)
    return _finish(app, results, Mode(output), ctx.cancel)


_lifecycle_command(StepKind.PAUSE, "Pause endpoints: billing stops, replicas go to 0. Idempotent.", "pause")
_lifecycle_command(StepKind.RESUME, "Resume paused (or scaled-to-zero) endpoints. Idempotent.", "resume")
_lifecycle_command(
    StepKind.SCALE_TO_ZERO,
    "Scale endpoints to zero; the next request wakes them. Idempotent.",
    "scale-to-zero",
)


@cli.command(
    epilog=_epilog(
        "endpointctl delete gpt2-demo --yes",
        "endpointctl delete -f manifests/gpt2.yaml --yes",
        "endpointctl delete --selector env=dev --yes --allow-empty",
    )
)
@click.argument("names", nargs=-1, metavar="[NAME...]")
@options.manifest_files
@options.selector
@options.allow_empty
@options.yes
@options.common
@pass_app
def delete(
    app: App,
    names: tuple[str, ...],
    files: tuple[str, ...],
    selector: tuple[str, ...],
    allow_empty: bool,
    yes: bool,
    output: str,
    namespace: str | None,
) -> ExitCode:
    """Delete endpoints. Deleting an absent endpoint succeeds with a note."""
    if not yes and not app.is_interactive:
        # Decided before any API call: a script without --yes must not even read.
        raise ConfirmationRequired(
            "refusing to delete without confirmation", hint="pass --yes, or run on a terminal"
        )
    return _run_lifecycle(
        app, StepKind.DELETE, names, files, selector, allow_empty, output, namespace, yes=yes
    )


@cli.command(
    epilog=_epilog(
        "endpointctl hardware",
        "endpointctl hardware --vendor aws --accelerator gpu",
        "endpointctl hardware --region us-east-1 -o json",
    )
)
@click.option("--vendor", help="Only this vendor, e.g. aws.")
@click.option("--region", help="Only this region, e.g. us-east-1.")
@click.option("--accelerator", type=click.Choice(["cpu", "gpu", "neuron"]), help="Only this accelerator.")
@click.option("--all", "show_all", is_flag=True, help="Include rows that cannot be deployed now.")
@options.common
@pass_app
def hardware(
    app: App,
    vendor: str | None,
    region: str | None,
    accelerator: str | None,
    show_all: bool,
    output: str,
    namespace: str | None,
) -> ExitCode:
    """What can be deployed: instance types, price per hour and the namespace's quota."""
    ctx = app.context(namespace)
    rows = [
        h
        for h in ctx.hub.hardware(ctx.namespace())
        if (vendor is None or h.vendor == vendor)
        and (region is None or h.region == region)
        and (accelerator is None or h.accelerator == accelerator)
        and (show_all or h.deployable)
    ]
    app.out.result(render.hardware(rows, Mode(output)))
    return ExitCode.OK


@cli.group()
def sandbox() -> None:
    """The local emulator of the Inference Endpoints API."""


@sandbox.command(
    epilog=_epilog(
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


@sandbox.command(epilog=_epilog("endpointctl sandbox reset"))
@pass_app
def reset(app: App) -> ExitCode:
    """Delete every endpoint the sandbox holds."""
    from endpointctl.local_sandbox import state_path

    path = state_path()
    if path.exists():
        path.unlink()
    app.out.info(f"sandbox: state cleared ({path})")
    return ExitCode.OK


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
    finally:
        app.close()
    if argv is None:
        sys.exit(int(code or 0))
    return int(code or 0)
