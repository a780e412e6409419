"""Start the sandbox in this process for `endpointctl --sandbox ...`.

A fixed default port keeps endpoint URLs stable from one command to the next; state lives under the
user's state directory so it survives across invocations.
"""

from __future__ import annotations

from pathlib import Path

import platformdirs

from endpointctl.sandbox import Sandbox, SandboxConfig

DEFAULT_PORT = 47821


def state_path() -> Path:
    directory = Path(platformdirs.user_state_dir("endpointctl"))
    # Owner only when we create it: it holds the database, whose endpoints carry secrets in clear.
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    return directory / "sandbox.sqlite"


def start_embedded(port: int = DEFAULT_PORT) -> Sandbox:
    sandbox = Sandbox(SandboxConfig(db_path=state_path()))
    try:
        sandbox.start(host="127.0.0.1", port=port)
    except OSError:
        # Another process holds the port (perhaps `endpointctl sandbox serve`); any free one will do.
        sandbox.start(host="127.0.0.1", port=0)
    return sandbox
