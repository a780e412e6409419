"""Issue 11: endpoint names complete "from -f manifests and from the live list", and a tab press never
hangs or prints an error.

Completion is driven as click drives it for a shell (``BashComplete.get_completions``), in-process with an
injected environment and a ManualClock (so the cache's minute passes without sleeping, and the sandbox
counts every API call), and in a child process as bash calls it (``_ENDPOINTCTL_COMPLETE``), for what the
shell would see on stdout and stderr.
"""

from __future__ import annotations

import io
import json
import os
import pathlib
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import httpx2 as httpx
import pytest
from click.shell_completion import BashComplete

from endpointctl.cli import CommandEnv
from endpointctl.cli.group import cli as root_group
from endpointctl.cli.invocation import Invocation
from endpointctl.engine.flows.completion import live_names
from endpointctl.engine.name_cache import NameCache
from endpointctl.engine.session import Session
from endpointctl.sandbox import ManualClock, Sandbox, SandboxConfig
from endpointctl.ui.sink import Output

ROOT = pathlib.Path(__file__).resolve().parent.parent
GPT2 = ROOT / "manifests" / "gpt2.yaml"  # names gpt2-demo
WORKER = "endpointctl-complete-names"


def complete(environ: dict[str, str], clock: Any, line: str) -> list[str]:
    """What bash would offer for the last word of ``line`` (``endpointctl ...``), in this process."""
    words = line.split(" ")
    args, incomplete = words[1:-1], words[-1]
    out = Output(stdout=io.StringIO(), stderr=io.StringIO())
    inv = Invocation(CommandEnv(environ=environ, clock=clock, out=out))
    completer = BashComplete(root_group, {"obj": inv}, "endpointctl", "_ENDPOINTCTL_COMPLETE")
    names = [item.value for item in completer.get_completions(args, incomplete)]
    assert out.stdout.getvalue() == "" and out.stderr.getvalue() == ""  # type: ignore[attr-defined]
    return names


def finish_workers() -> None:
    """Let a worker left behind by a deadline end, so it cannot touch the next test's process state."""
    for thread in threading.enumerate():
        if thread.name == WORKER:
            thread.join(timeout=30)


@pytest.fixture
def env(sandbox: Sandbox, token: str, tmp_path: pathlib.Path) -> dict[str, str]:
    return {
        "ENDPOINTCTL_API_URL": sandbox.url,
        "HF_TOKEN": token,
        "ENDPOINTCTL_STATE_DIR": str(tmp_path / "state"),
        "ENDPOINTCTL_CACHE_DIR": str(tmp_path / "cache"),
        # Ample, so a loaded test machine never misses the live list; the deadline's tests set their own.
        "ENDPOINTCTL_COMPLETION_TIMEOUT": "30",
    }


@pytest.fixture
def live_only(client: httpx.Client, endpoint_body: Callable[..., dict[str, Any]]) -> str:
    """An endpoint that exists live and in no manifest."""
    created = client.post("/v2/endpoint/sandbox-user", json=endpoint_body("live-only"))
    assert created.status_code < 300, created.text
    return "live-only"


def api_calls(sandbox: Sandbox) -> int:
    return sum(n for route, n in sandbox.counts().items() if not route.split(" ", 1)[-1].startswith("/_"))


# -- names from the live list, cached a minute --------------------------------------------------------


def test_a_live_name_in_no_manifest_completes_after_the_manifests(
    env: dict[str, str], clock: ManualClock, live_only: str
) -> None:
    assert complete(env, clock, f"endpointctl status -f {GPT2} ") == ["gpt2-demo", live_only]
    assert complete(env, clock, "endpointctl pause li") == [live_only]
    assert complete(env, clock, f"endpointctl delete -f {GPT2} g") == ["gpt2-demo"]  # by prefix


def test_a_second_tab_press_within_the_minute_makes_no_api_call(
    env: dict[str, str], clock: ManualClock, sandbox: Sandbox, live_only: str, tmp_path: pathlib.Path
) -> None:
    sandbox.reset_counts()
    assert complete(env, clock, "endpointctl status ") == [live_only]
    first = api_calls(sandbox)
    assert first >= 1  # the listing (and whoami, for the token's own namespace)

    clock.advance(59)
    assert complete(env, clock, "endpointctl resume ") == [live_only]
    assert api_calls(sandbox) == first

    clock.advance(2)  # past the minute: read again
    assert complete(env, clock, "endpointctl resume ") == [live_only]
    assert api_calls(sandbox) > first

    # Another namespace is another entry; the cache holds names, never the token.
    assert complete(env, clock, "endpointctl status --namespace acme ") == []
    cached = "".join(p.read_text() for p in (tmp_path / "cache").iterdir())
    assert live_only in cached and env["HF_TOKEN"] not in cached and sandbox.url not in cached


def test_the_live_list_works_with_the_sandbox_flag_and_variable(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--sandbox`` and ENDPOINTCTL_SANDBOX=1: the flag as a shell calls completion, in a child process
    whose embedded sandbox keeps its state under XDG_STATE_HOME, where this test created one endpoint;
    the variable through the same completion in this process (a child costs ~0.6 s), its embedded
    sandbox on the same state: the sandbox takes its state directory from the process's own
    XDG_STATE_HOME, set here as in the child."""
    state = tmp_path / "xdg-state"
    (state / "endpointctl").mkdir(parents=True)
    with Sandbox(SandboxConfig(db_path=state / "endpointctl" / "sandbox.sqlite")) as sandbox:
        url = sandbox.start()
        created = httpx.post(
            f"{url}/v2/endpoint/sandbox-user",
            json={**_body("live-only")},
            headers={"Authorization": "Bearer hf_sandbox_test_token_123"},
            timeout=10,
        )
        assert created.status_code < 300, created.text
    base = {
        "XDG_STATE_HOME": str(state),
        "XDG_CACHE_HOME": str(tmp_path / "xdg-cache"),
        "ENDPOINTCTL_COMPLETION_TIMEOUT": "30",
    }
    assert shell_complete(f"endpointctl --sandbox status -f {GPT2} ", tmp_path, base) == (
        ["gpt2-demo", "live-only"],
        "",
    )
    monkeypatch.setenv("XDG_STATE_HOME", str(state))
    again = {
        "ENDPOINTCTL_SANDBOX": "1",
        "ENDPOINTCTL_CACHE_DIR": str(tmp_path / "other-cache"),
        "ENDPOINTCTL_COMPLETION_TIMEOUT": "30",
    }
    assert complete(again, ManualClock(), "endpointctl pause live") == ["live-only"]


# -- never hangs, never prints ------------------------------------------------------------------------


@contextmanager
def silent_server() -> Iterator[str]:
    """An API that accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        listener.close()


def closed_port() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


def test_an_api_that_never_answers_completes_from_the_manifests_within_the_deadline(
    env: dict[str, str], clock: ManualClock
) -> None:
    with silent_server() as url:
        # Short, as the test waits it out (the request to the silent API is sent within milliseconds).
        dead = {**env, "ENDPOINTCTL_API_URL": url, "ENDPOINTCTL_COMPLETION_TIMEOUT": "0.1"}
        started = time.monotonic()
        assert complete(dead, clock, f"endpointctl status -f {GPT2} ") == ["gpt2-demo"]
        assert time.monotonic() - started < 2.0  # the deadline and some slack, not a request timeout
    finish_workers()


def test_a_refused_connection_or_a_missing_token_offers_the_manifests_names(
    env: dict[str, str], clock: ManualClock
) -> None:
    assert complete(
        {**env, "ENDPOINTCTL_API_URL": closed_port()}, clock, f"endpointctl status -f {GPT2} "
    ) == ["gpt2-demo"]
    no_token = {k: v for k, v in env.items() if k != "HF_TOKEN"}
    assert complete(no_token, clock, f"endpointctl status -f {GPT2} ") == ["gpt2-demo"]
    bad_namespace = {**env, "ENDPOINTCTL_NAMESPACE": ""}  # a usage error for a command, nothing here
    assert complete(bad_namespace, clock, f"endpointctl status -f {GPT2} ") == ["gpt2-demo"]


def shell_complete(line: str, home: pathlib.Path, extra: dict[str, str]) -> tuple[list[str], str]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "_ENDPOINTCTL_COMPLETE": "bash_complete",
        "COMP_WORDS": line,
        "COMP_CWORD": str(len(line.split(" ")) - 1),
        **extra,
    }
    run = subprocess.run(
        [sys.executable, "-m", "endpointctl"], env=env, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    return [row.split(",", 1)[1] for row in run.stdout.splitlines() if row], run.stderr


@pytest.mark.parametrize("api", ["never answers", "refuses", "no token"])
def test_a_shell_sees_no_error_text_when_the_api_cannot_be_read(tmp_path: pathlib.Path, api: str) -> None:
    with silent_server() as silent:
        extra = {
            "ENDPOINTCTL_API_URL": silent if api == "never answers" else closed_port(),
            "HF_TOKEN": "hf_sandbox_test_token_123",
            "ENDPOINTCTL_COMPLETION_TIMEOUT": "0.3" if api == "never answers" else "10",
            "XDG_CACHE_HOME": str(tmp_path / "cache"),
        }
        if api == "no token":
            del extra["HF_TOKEN"]
        assert shell_complete(f"endpointctl status -f {GPT2} ", tmp_path, extra) == (["gpt2-demo"], "")


# -- the engine's part: a deadline in all, whatever blocks --------------------------------------------


def test_the_deadline_bounds_the_whole_fetch_not_only_each_request(tmp_path: pathlib.Path) -> None:
    release = threading.Event()

    @contextmanager
    def stuck() -> Iterator[Session]:
        release.wait(30)  # e.g. a sandbox that takes its time to start, or a DNS lookup that hangs
        raise RuntimeError("never connected")
        yield  # pragma: no cover

    started = time.monotonic()
    cache = NameCache(tmp_path, ManualClock())
    # Short: the test waits it out; the block it bounds would last 30 s.
    assert live_names(stuck, api="x", namespace=None, cache=cache, deadline=0.05) == []
    assert time.monotonic() - started < 5.0
    release.set()
    finish_workers()
    assert list(tmp_path.iterdir()) == []  # a failure is not cached


def test_a_listing_that_fails_is_silent_and_uncached(tmp_path: pathlib.Path) -> None:
    class Failing:
        def namespace(self, explicit: str | None = None) -> str:
            return "acme"

        def observe(self, namespaces: list[str]) -> dict[str, list[Any]]:
            raise ValueError("anything at all")

    def opened() -> AbstractContextManager[Any]:
        @contextmanager
        def block() -> Iterator[Any]:
            yield Failing()

        return block()

    cache = NameCache(tmp_path, ManualClock())
    assert live_names(opened, api="x", namespace="acme", cache=cache, deadline=5) == []
    assert list(tmp_path.iterdir()) == []


# -- the cache file -----------------------------------------------------------------------------------


def test_the_cache_keeps_names_a_minute_per_api_and_namespace(tmp_path: pathlib.Path) -> None:
    clock = ManualClock(start=1_000.0)
    cache = NameCache(tmp_path, clock)
    cache.put("https://api.example", "acme", ["a", "b"])
    assert cache.get("https://api.example", "acme") == ["a", "b"]
    assert cache.get("https://api.example", "") is None
    assert cache.get("sandbox", "acme") is None
    clock.advance(59.9)
    assert cache.get("https://api.example", "acme") == ["a", "b"]
    clock.advance(0.1)
    assert cache.get("https://api.example", "acme") is None
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []  # renamed into place


@pytest.mark.parametrize(
    "content",
    [
        "",
        "{not json",
        "\udcff",
        "[]",
        '{"key": "wrong", "at": 1000, "names": ["a"]}',
        '{"key": "$KEY", "at": "1000", "names": ["a"]}',
        '{"key": "$KEY", "at": true, "names": ["a"]}',
        '{"key": "$KEY", "at": 1000, "names": "a"}',
        '{"key": "$KEY", "at": 1000, "names": [1]}',
        '{"key": "$KEY", "at": 5000, "names": ["a"]}',  # from the future: a clock set back
    ],
)
def test_a_corrupt_or_foreign_cache_file_is_a_miss_and_is_replaced(
    tmp_path: pathlib.Path, content: str
) -> None:
    clock = ManualClock(start=1_000.0)
    cache = NameCache(tmp_path, clock)
    cache.put("api", "ns", ["a"])
    (path,) = tmp_path.iterdir()
    key = json.loads(path.read_text())["key"]
    path.write_text(content.replace("$KEY", key), encoding="utf-8", errors="surrogateescape")
    assert cache.get("api", "ns") is None
    cache.put("api", "ns", ["b"])
    assert cache.get("api", "ns") == ["b"]


def test_a_cache_that_cannot_be_written_is_no_error(tmp_path: pathlib.Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    cache = NameCache(blocker / "names", ManualClock())
    cache.put("api", "ns", ["a"])  # no exception
    assert cache.get("api", "ns") is None


def _body(name: str) -> dict[str, Any]:
    from conftest import BASE_BODY

    return {**BASE_BODY, "name": name}
