"""Shared fixtures: a running sandbox on loopback, driven by a ManualClock."""

from __future__ import annotations

import compileall
import copy
import functools
import gc
import os
import pathlib
import signal
import ssl
import sys
from collections.abc import Callable, Iterator
from typing import Any

import httpcore2
import httpx2 as httpx
import pytest
from hypothesis import settings

from endpointctl.sandbox import ManualClock, Sandbox, SandboxConfig

# No per-example deadline: the suite runs beside other work on a 2-core machine, where an example that
# takes 12 ms alone took 365 ms once, and hypothesis failed a correct test as "flaky". A hung example is
# caught by pytest-timeout; speed is measured in bench/, never asserted.
settings.register_profile("endpointctl", deadline=None)
# For a change to a property's code: `pytest --hypothesis-profile many tests/test_x.py` tries 5,000 examples.
settings.register_profile("many", deadline=None, max_examples=5_000)
settings.load_profile("endpointctl")

TOKEN = "hf_sandbox_test_token_123"
OUTSIDER_TOKEN = "hf_outsider_token_456"
USER = "sandbox-user"
ORG = "acme"
PHASES = {"pending": 1.0, "initializing": 1.0, "updating": 1.0}

BASE_BODY: dict[str, Any] = {
    "name": "my-endpoint",
    "type": "authenticated",
    "provider": {"vendor": "aws", "region": "us-east-1"},
    "compute": {
        "accelerator": "cpu",
        "instanceType": "intel-spr",
        "instanceSize": "x2",
        "scaling": {"minReplica": 1, "maxReplica": 1, "scaleToZeroTimeout": None},
    },
    "model": {
        "repository": "distilbert/distilbert-base-uncased-finetuned-sst-2-english",
        "framework": "pytorch",
        "revision": None,
        "task": "text-classification",
        "image": {"huggingface": {}},
    },
}


def pytest_configure(config: pytest.Config) -> None:
    """Bytecode is cached during the run even where PYTHONDONTWRITEBYTECODE is set (as on this project's
    CI machines): the suite starts a few hundred interpreters (the CLI as a process, the benchmark, each
    module imported alone), and each would compile endpointctl from source again (~0.1-0.3 s of CPU), and
    every xdist worker would rewrite every test module's asserts again. The caches go where Python puts
    them by default (``__pycache__``, ignored by git); the variable is the run's own (os.environ is this
    process's copy), so the workers and the interpreters the tests start inherit the change."""
    if os.environ.pop("PYTHONDONTWRITEBYTECODE", None) is not None:
        sys.dont_write_bytecode = False
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        # A suite started in the background by a non-interactive shell (`.ci/run &`) inherits an ignored
        # Ctrl-C, and so would every endpointctl the tests start: the tests of what a Ctrl-C does would
        # see it do nothing. endpointctl keeps an ignored SIGINT ignored, as a background job's should be.
        signal.signal(signal.SIGINT, signal.default_int_handler)
    if not hasattr(config, "workerinput"):
        # Once, before the xdist workers start: on a fresh clone each of them would compile the package
        # at the same moment (measured: 4 s of CPU, 1.5 s of wall, on 2 cores). Up-to-date files are only
        # stat'ed.
        compileall.compile_dir(pathlib.Path(__file__).resolve().parent.parent / "endpointctl", quiet=1)


def pytest_collection_finish(session: pytest.Session) -> None:
    """What collection built (the imported modules, the ~4,000 items, hypothesis' strategies) lives until
    the run ends, and every full garbage collection would walk it again: about ten times per worker in a
    run, some 0.1 s each. Frozen, the collector skips it (measured: 6.0 → 4.5 s of CPU spent collecting
    across the workers). Objects the tests make are collected as before."""
    gc.collect()
    gc.freeze()


@pytest.fixture(scope="session", autouse=True)
def one_tls_context_per_setting() -> Iterator[None]:
    """The tests build hundreds of HTTP clients (their own, huggingface_hub's, InferenceClient's), and
    httpx loads the whole CA bundle for each (~40 ms), though every request goes over loopback http.
    One context per CA setting serves them all here; endpointctl's own sharing is tested in test_tls."""
    real = httpcore2.default_ssl_context

    @functools.cache
    def built(key: tuple[str | None, str | None], trust_env: bool) -> ssl.SSLContext:
        return real(_trust_env=trust_env)

    def shared(*, _trust_env: bool = True) -> ssl.SSLContext:
        return built((os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR")), _trust_env)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(httpcore2, "default_ssl_context", shared)
        yield


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(start=1_760_000_000.0)


@pytest.fixture
def token() -> str:
    return TOKEN


@pytest.fixture
def sandbox(tmp_path: pathlib.Path, clock: ManualClock) -> Iterator[Sandbox]:
    sb = Sandbox(SandboxConfig(db_path=tmp_path / "sandbox.sqlite", phases=dict(PHASES), clock=clock))
    sb.start(host="127.0.0.1", port=0)
    try:
        yield sb
    finally:
        sb.close()


@pytest.fixture
def sandbox_url(sandbox: Sandbox) -> str:
    return sandbox.url


@pytest.fixture
def client(sandbox_url: str, token: str) -> Iterator[httpx.Client]:
    """An HTTP client for raw calls, authenticated as the sandbox user."""
    with httpx.Client(base_url=sandbox_url, headers={"Authorization": f"Bearer {token}"}, timeout=10) as c:
        yield c


@pytest.fixture
def endpoint_body() -> Callable[..., dict[str, Any]]:
    """A factory for create bodies: ``endpoint_body("name", task="translation", **top_level)``."""

    def make(name: str = "my-endpoint", **overrides: Any) -> dict[str, Any]:
        body = copy.deepcopy(BASE_BODY)
        body["name"] = name
        for key, value in overrides.items():
            if key in ("task", "repository"):
                body["model"][key] = value
            elif key in ("minReplica", "maxReplica", "scaleToZeroTimeout"):
                body["compute"]["scaling"][key] = value
            elif key in ("instanceType", "instanceSize", "accelerator"):
                body["compute"][key] = value
            else:
                body[key] = value
        return body

    return make


@pytest.fixture
def cli(sandbox: Sandbox, clock: ManualClock, token: str, tmp_path: pathlib.Path) -> Any:
    """The endpointctl CLI run in-process against the sandbox, with the sandbox's clock injected.

    Its state directory (apply's locks) is the test's own, never the user's.
    """
    from clirunner import Cli

    environ = {"ENDPOINTCTL_API_URL": sandbox.url, "HF_TOKEN": token, "ENDPOINTCTL_STATE_DIR": str(tmp_path)}
    return Cli(environ=environ, clock=clock)


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto`: one worker more than the cores. Many tests wait on a subprocess or a socket for part of
    their time, and a spare worker keeps both cores busy meanwhile (measured on 2 cores: 70 s → 65 s;
    a fourth worker gained nothing more)."""
    return (os.cpu_count() or 1) + 1
