"""Flag defaults that belong to heavier modules, repeated here so declaring a flag imports none of them.

``--help`` must not load pydantic, huggingface_hub or filelock just to show a default; a test checks
that each value here equals the one its owner uses.
"""

from __future__ import annotations

WAIT_TIMEOUT = 20 * 60.0  # engine.waiter.DEFAULT_TIMEOUT
LOCK_TIMEOUT = 300.0  # engine.locks.DEFAULT_TIMEOUT
COLD_START_SECONDS = 300.0  # core.smoke_spec.DEFAULT_COLD_START_SECONDS
INIT_VENDOR, INIT_REGION = "aws", "us-east-1"  # engine.flows.scaffold.DEFAULT_VENDOR, DEFAULT_REGION
