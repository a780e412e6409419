"""One sandbox for every test of a module, each test still starting as on a sandbox of its own.

Starting a sandbox per test, and applying the same endpoints again for each test that reads them, cost
more than most of those tests. A module that shares one resets it before each test (empty, as a new one
is), or, for a test that asks for a kept set-up, keeps what that set-up's apply left: the set-up is
applied again whenever the listing differs in any way from the one taken just after it was (another
test's endpoints, one a test changed or deleted), so no test sees what another did.

A module takes its fixtures from here (``shared, clock, sandbox = fixtures()``) and names
its kept set-up's fixture in ``KEEPS``; that fixture returns ``shared.keep(KEEPS, build)``.
"""

from __future__ import annotations

import contextlib
import pathlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx2 as httpx
import pytest
from conftest import PHASES, TOKEN, USER

from endpointctl.sandbox import ManualClock, Sandbox, SandboxConfig

T = TypeVar("T")


@dataclass
class SharedSandbox:
    sandbox: Sandbox
    clock: ManualClock
    directory: pathlib.Path
    api: httpx.Client
    # A kept set-up's name -> what it returned, and the listing just after its apply.
    kept: dict[str, tuple[Any, Any]] = field(default_factory=dict)

    def listing(self) -> Any:
        """The namespace's endpoints as the sandbox itself answers them (kept set-ups are built and
        checked before any test installs a middleware)."""
        answer = self.api.get(f"/v2/endpoint/{USER}")
        assert answer.status_code == 200, answer.text
        return answer.json()

    def fresh(self, keeps: bool) -> Sandbox:
        """The sandbox for the next test: no middleware, no counts, and empty unless a kept set-up
        decides (``keeps``)."""
        self.sandbox.clear_middleware()
        if not keeps:
            self.sandbox.reset()
            self.kept.clear()
        self.sandbox.reset_counts()
        return self.sandbox

    def keep(self, name: str, build: Callable[[], T]) -> T:
        """What ``build`` returns when the sandbox still holds exactly what its last run left; else the
        sandbox is emptied and ``build`` runs again. Counts start at zero either way."""
        if name in self.kept:
            value, listing = self.kept[name]
            if self.listing() == listing:
                self.sandbox.reset_counts()
                return value  # type: ignore[no-any-return]
        self.sandbox.reset()
        self.kept.clear()
        value = build()
        self.kept[name] = (value, self.listing())
        self.sandbox.reset_counts()
        return value


@contextlib.contextmanager
def shared_sandbox(directory: pathlib.Path) -> Iterator[SharedSandbox]:
    """A sandbox with conftest's phases and clock start, serving on loopback until the module ends."""
    clock = ManualClock(start=1_760_000_000.0)  # where conftest's clock starts
    sandbox = Sandbox(SandboxConfig(db_path=directory / "sandbox.sqlite", phases=dict(PHASES), clock=clock))
    sandbox.start(host="127.0.0.1", port=0)
    try:
        auth = {"Authorization": f"Bearer {TOKEN}"}
        with httpx.Client(base_url=sandbox.url, headers=auth, timeout=10) as api:
            yield SharedSandbox(sandbox, clock, directory, api)
    finally:
        sandbox.close()


def fixtures() -> tuple[Any, Any, Any]:
    """A module's ``shared``, ``clock`` and ``sandbox``: ``shared, clock, sandbox = fixtures()``."""

    @pytest.fixture(scope="module")
    def shared(
        tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
    ) -> Iterator[SharedSandbox]:
        with shared_sandbox(tmp_path_factory.mktemp(request.module.__name__)) as shared:
            yield shared

    @pytest.fixture
    def clock(shared: SharedSandbox) -> ManualClock:
        return shared.clock

    @pytest.fixture
    def sandbox(shared: SharedSandbox, request: pytest.FixtureRequest) -> Iterator[Sandbox]:
        """The shared sandbox as a new one is, unless the test asks for the module's kept set-up."""
        try:
            yield shared.fresh(keeps=request.module.KEEPS in request.fixturenames)
        finally:
            shared.sandbox.clear_middleware()

    return shared, clock, sandbox
