"""PURE: the lifecycle states a manifest can ask for, on its own so that schedules can name them too.

``core.spec`` re-exports it; it lives apart because ``core.schedule`` (which ``core.spec`` imports for
``spec.schedule``) needs it, and a module cycle would be the alternative.
"""

from __future__ import annotations

from enum import StrEnum


class DesiredState(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    SCALED_TO_ZERO = "scaledToZero"
