"""A local emulator of the Hugging Face Inference Endpoints API v2, over real HTTP, state in SQLite.

Standard library only. Module map:

- ``clock``: injectable time (WallClock, ManualClock)
- ``config``: SandboxConfig
- ``store``: SQLite records (configuration and lifecycle timestamps; nothing derived)
- ``lifecycle``: the state machine, evaluated lazily from timestamps
- ``catalog``: hardware, prices, quotas
- ``specs``: create/update body validation
- ``views``: records rendered as ``EndpointWithStatus``
- ``auth``: Bearer tokens to callers
- ``api``: management routes; ``dataplane``: deployed-URL routes; ``answers``: task outputs
- ``logs``: the logs and replica routes; ``container_log``: what the containers print, and their replicas
- ``revisions``: the Hub's model repositories as far as revisions go (``/api/models/...``, moved branches)
- ``model_catalog``: models' task and size, the Inference Catalog's recipes; ``catalog_routes``: its routes
- ``admin``: ``/_sandbox/`` inspection and control routes (the sandbox user's token required)
- ``limits``: what it accepts from the network (body size, JSON depth, listen backlog, request time)
- ``request_deadline``: reading each request against a deadline (slow and silent clients dropped)
- ``loopback``: where it may listen, and which Host names it answers (DNS rebinding kept out)
- ``server``: routing, counting, middleware hook, threaded HTTP server
- ``app``: the Sandbox facade
- ``embedded``: starting it in-process for ``endpointctl --sandbox`` (its state under the user's state dir)
"""

from .app import Sandbox
from .clock import ManualClock, SandboxClock, WallClock
from .config import SandboxConfig
from .server import Middleware
from .transport import Request, Response

__all__ = [
    "ManualClock",
    "Middleware",
    "Request",
    "Response",
    "Sandbox",
    "SandboxClock",
    "SandboxConfig",
    "WallClock",
]
