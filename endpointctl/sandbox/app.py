"""The Sandbox: one emulated Inference Endpoints service, its HTTP server and its controls."""

from __future__ import annotations

import threading
from types import TracebackType

from . import admin, api, catalog_routes, dataplane, revisions
from .config import SandboxConfig
from .context import Context, DataplaneOverride
from .faults import FaultConfig, FaultInjector
from .listener import SandboxHTTPServer
from .server import Middleware, Router, make_server
from .store import NewLines, Store

# How quickly stop() takes effect; the default half second adds up across a test suite.
SHUTDOWN_POLL_SECONDS = 0.05


class Sandbox:
    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self._store = Store(config.db_path)
        self._ctx = Context(config, self._store)
        self._router = Router(
            api.routes(self._ctx)
            + revisions.routes(self._ctx)
            + catalog_routes.routes(self._ctx)
            + dataplane.routes(self._ctx)
            + admin.routes(self._ctx, lambda: self._router, self.reset)
        )
        self._server: SandboxHTTPServer | None = None
        self._thread: threading.Thread | None = None
        # Whether serve_forever was entered: shutdown() on a server bound but never served waits forever.
        self._serving = False
        # Set by stop(): frees requests a "hang" fault holds, so they cannot keep threads alive forever.
        self._released = self._ctx.released
        self.faults: FaultInjector | None = None
        if config.faults is not None:
            self.install_faults(config.faults)

    # -- serving ---------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        if not self._ctx.base_url:
            raise RuntimeError("the sandbox is not bound; call start() or bind() first")
        return self._ctx.base_url

    def bind(self, host: str = "127.0.0.1", port: int = 0, *, allow_remote: bool = False) -> str:
        """Open the listening socket (OSError if the port is taken) and return the base URL.

        A host other than loopback raises RemoteNotAllowed unless ``allow_remote``: the sandbox takes
        any token, so whoever can reach it can read and change every endpoint it holds. For the same
        reason, without ``allow_remote`` it answers only requests whose Host is a loopback name (403
        otherwise), which keeps a browser page out through DNS rebinding.
        """
        if self._server is not None:
            raise RuntimeError(f"the sandbox is already bound to {self.url}")
        self._released.clear()
        host = host.strip("[]")  # "[::1]", as URLs write it
        self._server = make_server(
            self._router, host, port, allow_remote=allow_remote, request_timeout=self.config.request_timeout
        )
        bound_port = self._server.server_address[1]
        shown = host if host not in ("", "0.0.0.0", "::") else "127.0.0.1"
        if ":" in shown:
            shown = f"[{shown}]"
        self._ctx.bound_host = host
        self._ctx.base_url = f"http://{shown}:{bound_port}"
        return self._ctx.base_url

    def start(self, host: str = "127.0.0.1", port: int = 0, *, allow_remote: bool = False) -> str:
        """Serve in a daemon thread; returns the base URL."""
        url = self.bind(host, port, allow_remote=allow_remote)
        server = self._server
        assert server is not None
        self._serving = True
        server.arm()  # a stop() from now on waits for the loop, even one that has not started yet
        self._thread = threading.Thread(
            target=server.serve_forever,
            args=(SHUTDOWN_POLL_SECONDS,),
            name="endpointctl-sandbox",
            daemon=True,
        )
        self._thread.start()
        return url

    def serve_forever(self, host: str = "127.0.0.1", port: int = 0, *, allow_remote: bool = False) -> None:
        """Serve in the calling thread until stop() (from another thread) or KeyboardInterrupt.

        Call bind() first to learn the URL before blocking; otherwise this binds to host/port.
        """
        if self._server is None:
            self.bind(host, port, allow_remote=allow_remote)
        server = self._server
        assert server is not None
        self._serving = True
        server.arm()
        try:
            server.serve_forever(SHUTDOWN_POLL_SECONDS)
        finally:
            self._close_server()

    def stop(self) -> None:
        self._released.set()
        server, thread = self._server, self._thread
        if server is None:
            return
        if self._serving:
            server.shutdown()
        if thread is not None:
            thread.join(timeout=5)
        self._close_server()

    def _close_server(self) -> None:
        if self._server is not None:
            self._server.server_close()
        self._server = None
        self._thread = None
        self._serving = False

    def close(self) -> None:
        """Stop serving and release the database."""
        self.stop()
        self._store.close()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- state and inspection ----------------------------------------------------------------------

    def reset(self) -> None:
        """Delete every endpoint and data-plane override, and put moved branches back; keep serving and
        keep the counts."""
        self._store.delete_all()
        self._store.delete_refs()
        self._ctx.clear_overrides()

    def move_ref(self, repository: str, ref: str = revisions.DEFAULT_BRANCH, sha: str | None = None) -> str:
        """Push to a model on the emulated Hub: ``ref`` (a branch or tag, created if new) of
        ``repository`` now points at ``sha`` (default: a new commit). Returns the commit."""
        return revisions.move_ref(self._ctx, repository, ref, sha)[1]

    def print_lines(self, namespace: str, name: str, lines: NewLines) -> None:
        """Lines the endpoint's containers print, each (at, replica, text): shown once the clock reaches
        ``at``; a text of several lines is a line and its undated continuations (a traceback's)."""
        self._store.add_logs(namespace, name, lines)

    def counts(self) -> dict[str, int]:
        return self._router.counts()

    def mutating_count(self) -> int:
        return self._router.mutating_count()

    def reset_counts(self) -> None:
        self._router.reset_counts()

    def set_dataplane(
        self,
        namespace: str,
        name: str,
        *,
        status: int | None = None,
        body: object | None = None,
        latency_ms: int = 0,
        times: int | None = None,
        honor_scale_up_timeout: bool = True,
    ) -> None:
        """Steer the deployed URL's answers: ``times=N`` for the next N inference calls only (e.g. a
        503 with ``estimated_time`` while "loading"); ``honor_scale_up_timeout=False`` emulates a proxy
        that answers 503 during a cold start even when the caller sent ``X-Scale-Up-Timeout``."""
        override = DataplaneOverride(
            status=status,
            body=body,
            latency_ms=latency_ms,
            times=times,
            honor_scale_up_timeout=honor_scale_up_timeout,
        )
        self._ctx.set_override(namespace, name, override)

    def clear_dataplane(self, namespace: str, name: str) -> None:
        self._ctx.clear_override(namespace, name)

    def add_middleware(self, middleware: Middleware) -> None:
        """Wrap every counted route (the hook for fault injection)."""
        self._router.add_middleware(middleware)

    def install_faults(self, config: FaultConfig) -> FaultInjector:
        """Inject faults on the routes the config names; returns the injector, for its counters."""
        self.faults = FaultInjector(config, released=self._released)
        self._router.add_middleware(self.faults)
        return self.faults

    def clear_middleware(self) -> None:
        self._router.clear_middleware()
