"""What every command shares: the App (environment, clock, output), interrupts, exit codes."""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from types import FrameType
from typing import TYPE_CHECKING, Any

import click

from endpointctl.core.errors import ExitCode, UsageError, worst
from endpointctl.core.models import Desired
from endpointctl.core.outcomes import Result
from endpointctl.core.settings import SANDBOX_TOKEN, Settings
from endpointctl.dataplane.client import DeployedClient
from endpointctl.engine import locks as lock
from endpointctl.engine import session as operations
from endpointctl.engine.clock import Clock, SystemClock
from endpointctl.ui import render
from endpointctl.ui.render import Mode
from endpointctl.ui.sink import Output

if TYPE_CHECKING:
    from endpointctl.hub import TokenInfo


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

    def _token(self, settings: Settings) -> TokenInfo:
        """HF_TOKEN, else the stored login; the embedded sandbox has a token of its own."""
        from endpointctl.hub import TokenInfo, resolve_token  # huggingface_hub is slow to import

        token = resolve_token(self.token_flag, self.environ)
        if settings.sandbox and not self.environ.get("HF_TOKEN") and not self.token_flag:
            token = TokenInfo(SANDBOX_TOKEN, "the sandbox's built-in token")
        if token.value is None:
            raise UsageError(
                "no Hugging Face token: set HF_TOKEN or run `hf auth login`",
                hint="or try the local emulator: endpointctl --sandbox ...",
            )
        self.out.redactor.add(token.value)
        return token

    def deployed_client(self) -> DeployedClient:
        """A client for endpoints' URLs, with the token the management calls use."""
        settings = Settings.resolve(self.environ, sandbox=self.sandbox)
        return DeployedClient(self._token(settings).value, self.clock, timeout=settings.request_timeout)

    def context(self, namespace: str | None) -> operations.Context:
        from endpointctl.hub import Hub

        settings = Settings.resolve(self.environ, sandbox=self.sandbox, namespace=namespace)
        api_url = settings.api_url
        if settings.sandbox:
            if self._embedded is None:
                from endpointctl.sandbox.embedded import start_embedded

                self._embedded = start_embedded()
                self.out.info(f"sandbox: serving the emulated API at {self._embedded.url}")
            api_url = self._embedded.url
        token = self._token(settings)
        cancel = threading.Event()  # shared, so an interrupt also stops retrying
        hub = Hub(
            token=token,
            api_url=api_url,
            timeout=settings.request_timeout,
            redactor=self.out.redactor,
            clock=self.clock,
            retry_seconds=settings.retry_seconds,
            cancel=cancel,
            report=self.out.info,
        )
        return operations.Context(
            hub=hub,
            clock=self.clock,
            report=self.out.info,
            default_namespace=settings.namespace,
            cancel=cancel,
        )

    def load(self, paths: Sequence[str], allow_public: bool = False) -> list[Desired]:
        desired = operations.load(paths, self.environ, allow_public=allow_public)
        for d in desired:
            # Secret values and registry passwords: nothing this process writes may show them.
            self.out.redactor.add(*d.sensitive_values())
        return desired

    def lock(
        self, stack: str | None, endpoints: Sequence[tuple[str, str]], command: str, timeout: float
    ) -> AbstractContextManager[lock.Holder]:
        """This machine's lock on a stack and endpoints, so two changing commands never interleave."""
        return lock.hold(
            lock.apply_keys(stack, endpoints),
            directory=lock.state_dir(self.environ),
            command=command,
            timeout=timeout,
            clock=self.clock,
            on_wait=self.out.info,
        )

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


def exit_code(results: Sequence[Result], cancel: threading.Event) -> ExitCode:
    codes = [r.exit_code for r in results]
    if cancel.is_set():
        codes.append(ExitCode.INTERRUPTED)
    return worst(codes)


def epilog(*lines: str) -> str:
    return "\b\nExamples:\n" + "\n".join(f"  {line}" for line in lines)


def finish(
    app: App,
    results: list[Result],
    mode: Mode,
    cancel: threading.Event,
    *,
    extra: Mapping[tuple[str, str], Mapping[str, Any]] | None = None,
    appendix: str = "",
) -> ExitCode:
    """Print the results (with what --wait/--smoke found, in ``extra``), warn of half-done endpoints."""
    app.out.result(render.results(results, mode, extra))
    if appendix:
        app.out.result(appendix)
    half = [r for r in results if r.done and r.not_done]
    for r in half:
        app.out.warn(
            f"{r.change.namespace}/{r.change.name} is part-way: done {', '.join(r.done)}; "
            f"not done {', '.join(r.not_done)}. Run the same command again to converge."
        )
    return exit_code(results, cancel)
