"""What every route handler shares: configuration, the store, the clock and the data-plane overrides."""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace

from . import lifecycle
from .config import SandboxConfig
from .lifecycle import Observed
from .store import Record, Store
from .transport import ErrorAnswer, Request

_UNSPECIFIED_HOSTS = ("", "0.0.0.0", "::")


@dataclass(frozen=True)
class DataplaneOverride:
    status: int | None = None
    body: object | None = None
    latency_ms: int = 0
    times: int | None = None  # answer this way for the next N inference calls only; None: until cleared
    honor_scale_up_timeout: bool = True  # False: a proxy that ignores X-Scale-Up-Timeout (older ones did)


class Context:
    def __init__(self, config: SandboxConfig, store: Store) -> None:
        self.config = config
        self.store = store
        self.base_url = ""
        self.bound_host = ""
        self._overrides: dict[tuple[str, str], DataplaneOverride] = {}
        self._lock = threading.Lock()
        # Set when the sandbox stops: ends what would otherwise wait on (a log stream being followed).
        self.released = threading.Event()

    def now(self) -> float:
        return self.config.clock.now()

    def observe(self, record: Record) -> Observed:
        return lifecycle.evaluate(record, self.now(), self.config.phases)

    def url_base(self, request: Request) -> str:
        """The URL clients reach us at; computed per response because it is never stored."""
        host = request.header("host")
        if self.bound_host in _UNSPECIFIED_HOSTS and host:
            # Bound to every interface: the address the client used is the one it can reach.
            return f"http://{host}"
        return self.base_url

    def require(self, namespace: str, name: str) -> Record:
        record = self.store.get(namespace, name)
        if record is None:
            raise ErrorAnswer(404, "Endpoint not found")
        return record

    def set_override(self, namespace: str, name: str, override: DataplaneOverride) -> None:
        with self._lock:
            self._overrides[(namespace, name)] = override

    def clear_override(self, namespace: str, name: str) -> None:
        with self._lock:
            self._overrides.pop((namespace, name), None)

    def clear_overrides(self) -> None:
        with self._lock:
            self._overrides.clear()

    def override(self, namespace: str, name: str) -> DataplaneOverride | None:
        with self._lock:
            return self._overrides.get((namespace, name))

    def take_override(self, namespace: str, name: str) -> DataplaneOverride | None:
        """The override for one call, counting it against ``times`` (so "the first N calls" works)."""
        with self._lock:
            found = self._overrides.get((namespace, name))
            if found is not None and found.times is not None:
                if found.times <= 1:
                    del self._overrides[(namespace, name)]
                else:
                    self._overrides[(namespace, name)] = replace(found, times=found.times - 1)
            return found
