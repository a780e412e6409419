"""A sandbox route held open from a test: the request waits there until the test lets it go."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from endpointctl.sandbox import Response, Sandbox


def hold_route(sandbox: Sandbox, route: str) -> tuple[threading.Event, threading.Event]:
    """The sandbox holds every ``route`` request until ``release`` is set; ``arrived`` is set when one is
    held. A bounded wait: a test that forgets to release fails in a minute instead of hanging."""
    arrived, release = threading.Event(), threading.Event()

    def hold(request: Any, call_next: Callable[[Any], Response]) -> Response:
        if request.route == route:
            arrived.set()
            release.wait(timeout=60)
        return call_next(request)

    sandbox.add_middleware(hold)
    return arrived, release
