"""The live endpoint names a tab press found, kept a minute: the next tab press within it asks no API.

One small JSON file per (API, namespace) in the user's cache directory (``names/`` under
``platformdirs.user_cache_dir``, or ``ENDPOINTCTL_CACHE_DIR``), named by a hash of the two. It holds that
hash, when the names were read (the epoch, on the injected clock) and the names: never the token, and
not even the API's address (a URL may carry credentials). The key is where the list came from, not who
asked: two tokens of one API and namespace share an entry.

Written to a temporary file and renamed into place, so a reader never sees half of one. Reading is
lenient the other way: a file that is missing, unreadable, not JSON, of the wrong shape, written for
another key, older than the TTL or from the future (a clock set back) is a miss, never an error. Writing
is best effort: a cache that cannot be written only means the next tab press asks again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from endpointctl.core.clock import Clock

DEFAULT_TTL = 60.0  # seconds


def cache_dir(override: str | None) -> Path:
    """Where the names are kept: ``override`` (ENDPOINTCTL_CACHE_DIR), else the user's cache directory."""
    return Path(override) if override else Path(platformdirs.user_cache_dir("endpointctl")) / "names"


def _key(api: str, namespace: str) -> str:
    return hashlib.sha256(f"{api}\n{namespace}".encode()).hexdigest()


@dataclass(frozen=True)
class NameCache:
    """``api`` names the server (its URL, or "sandbox"); ``namespace`` is as asked for: "" stands for
    the token's own user, which is not known without asking whoami."""

    directory: Path
    clock: Clock
    ttl: float = DEFAULT_TTL

    def _path(self, key: str) -> Path:
        return self.directory / f"{key[:32]}.json"

    def get(self, api: str, namespace: str) -> list[str] | None:
        """The names read less than ``ttl`` seconds ago; None when there are none to trust."""
        key = _key(api, namespace)
        try:
            data = json.loads(self._path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):  # missing, unreadable, not UTF-8, not JSON
            return None
        if not isinstance(data, dict) or data.get("key") != key:
            return None
        at, names = data.get("at"), data.get("names")
        if isinstance(at, bool) or not isinstance(at, int | float):
            return None
        if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
            return None
        age = self.clock.wall() - at
        return list(names) if 0 <= age < self.ttl else None

    def put(self, api: str, namespace: str, names: list[str]) -> None:
        """Keep ``names`` as read now; silently nothing when the directory cannot be written."""
        key = _key(api, namespace)
        path = self._path(key)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        record = {"key": key, "at": self.clock.wall(), "names": names}
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            temporary.write_text(json.dumps(record), encoding="utf-8")
            os.replace(temporary, path)
        except OSError:
            with contextlib.suppress(OSError):
                temporary.unlink()
