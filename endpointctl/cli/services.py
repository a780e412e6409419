"""The services one command uses, built from its environment and settings on first use, then closed.

Building them is where the token is read, the embedded sandbox starts (``--sandbox``) and the hub is set
up; closing them stops the sandbox and leaves huggingface_hub pointing nowhere in particular.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from endpointctl.core.clock import Clock
from endpointctl.core.errors import UsageError
from endpointctl.core.settings import Settings, TokenInfo
from endpointctl.dataplane.client import DeployedClient
from endpointctl.engine.cancel import CancelEvent
from endpointctl.engine.clock import SystemClock
from endpointctl.engine.locks import state_dir
from endpointctl.engine.processes import LocalProcesses, Processes
from endpointctl.engine.session import Connection, Session
from endpointctl.ui.sink import Output

if TYPE_CHECKING:
    from endpointctl.sandbox import Sandbox


class Services:
    def __init__(
        self,
        clock: Clock,
        out: Output,
        settings: Settings,
        *,
        processes: Processes | None = None,
        timer: Clock | None = None,
    ) -> None:
        self._clock = clock
        self._processes = processes or LocalProcesses()
        self._timer = timer or SystemClock()
        self._out = out
        self._settings = settings
        self._sandbox: Sandbox | None = None
        self._session: Session | None = None
        self._cancel = CancelEvent()

    def _token(self) -> TokenInfo:
        from endpointctl.hub import read_token  # huggingface_hub is slow to import: only when needed

        token = read_token(self._settings.token)
        if token.value is None:
            raise UsageError(
                "no Hugging Face token: set HF_TOKEN or run `hf auth login`",
                hint="or try the local emulator: endpointctl --sandbox ...",
            )
        self._out.redactor.add(token.value)
        return token

    def _api_source(self) -> str:
        if self._settings.sandbox:
            return "--sandbox (the sandbox started in this process)"
        if self._settings.api_url:
            return "ENDPOINTCTL_API_URL"
        return "the Inference Endpoints API's own address"

    def _api_url(self) -> str | None:
        if not self._settings.sandbox:
            return self._settings.api_url
        if self._sandbox is None:
            from endpointctl.sandbox.embedded import start_embedded

            self._sandbox = start_embedded()
            self._out.info(f"sandbox: serving the emulated API at {self._sandbox.url}")
        return self._sandbox.url

    def session(self) -> Session:
        """The command's session; it connects (reads the token, starts the sandbox) on first API use."""
        if self._session is None:
            self._session = Session(
                connect=self._connect,
                clock=self._clock,
                report=self._out.info,
                default_namespace=self._settings.namespace,
                cancel=self._cancel,
                locks_dir=state_dir(self._settings.state_dir),
                processes=self._processes,
                timer=self._timer,
                accepted_tasks=self._settings.accepted_tasks,
            )
        return self._session

    def _connect(self) -> Connection:
        from endpointctl.hub import Hub
        from endpointctl.hub.deadline import BOUNDED, DeadlineTransport

        settings = self._settings
        api_url = self._api_url()
        token = self._token()
        hub = Hub(
            token=token,
            api_url=api_url,
            timeout=settings.request_timeout,
            redactor=self._out.redactor,
            clock=self._clock,
            retry_seconds=settings.retry_seconds,
            cancel=self._cancel,  # shared, so an interrupt also stops retrying
            report=self._out.info,
            api_source=self._api_source(),
            log_text=self._out.outside,
            allow_plain_http=settings.allow_plain_http,
        )
        deployed = DeployedClient(
            token.value,
            self._clock,
            timeout=settings.request_timeout,
            redactor=self._out.redactor,
            # Each call to a deployed URL done within its timeout in all, however slowly it trickles; its
            # answer read by the client, as it arrives, within the data plane's own cap.
            transport=DeadlineTransport(settings.request_timeout, streamed=BOUNDED),
        )
        return Connection(hub, deployed)

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None
        if self._sandbox is not None:
            self._sandbox.stop()
            self._sandbox = None
