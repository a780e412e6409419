"""Shell completion's live names: the endpoints of the namespace, read within a deadline, never an error.

A tab press must not hang and must not print. The names come from the cache when it has them (a minute,
``name_cache``); otherwise one worker thread opens a session (reading the token, starting the sandbox with
``--sandbox``), resolves the namespace and lists it, the way ``status`` does, and the caller waits for it
at most ``deadline`` seconds of real time. Whatever goes wrong, including the deadline passing, the answer
is simply no names. A worker that is still at it when the deadline passes is left to finish on its own (a
daemon thread, its requests bounded by their own timeouts): what it then reads is cached for the next tab
press, and nothing waits for it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager

from endpointctl.engine.name_cache import NameCache
from endpointctl.engine.session import Session

DEFAULT_DEADLINE = 1.5  # seconds a tab press may wait for the live list, in all

OpenSession = Callable[[], AbstractContextManager[Session]]


def live_names(
    open_session: OpenSession, *, api: str, namespace: str | None, cache: NameCache, deadline: float
) -> list[str]:
    """The names of the live endpoints of ``namespace`` (None: the session's default), or [].

    ``api`` names the server for the cache (the token never does); ``open_session`` builds the session
    and closes it (and anything it started) when the block ends.
    """
    key = namespace or ""
    cached = cache.get(api, key)
    if cached is not None:
        return cached
    found: list[list[str]] = []

    def fetch() -> None:
        try:
            with open_session() as session:
                resolved = session.namespace(namespace)
                names = [endpoint.name for endpoint in session.observe([resolved])[resolved]]
        except Exception:  # a tab press offers what it can, whatever failed
            return
        cache.put(api, key, names)
        found.append(names)

    worker = threading.Thread(target=fetch, name="endpointctl-complete-names", daemon=True)
    worker.start()
    worker.join(deadline)
    return list(found[0]) if found else []
