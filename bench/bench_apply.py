"""Wall-clock benchmarks against the sandbox with realistic API latency.

    .venv/bin/python bench/bench_apply.py [--endpoints 16] [--latency-ms 150]

What it measures (each against a fresh sandbox whose every API call takes --latency-ms):
- apply of N new endpoints with --parallelism 1 and with the default 8;
- observing N endpoints as `plan` does (one paginated list per namespace) versus one GET per endpoint,
  what a naive client (or huggingface_hub's get_inference_endpoint in a loop) would do.
Timings are wall-clock and machine-dependent: compare the rows of one run, not runs on different machines.
"""

from __future__ import annotations

import argparse
import io
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from endpointctl.cli import CommandEnv, main
from endpointctl.core.settings import TokenInfo
from endpointctl.engine.clock import SystemClock
from endpointctl.hub import Hub
from endpointctl.sandbox import Response, Sandbox, SandboxConfig
from endpointctl.ui.sink import Output

TOKEN = "hf_bench_token_0000"


def _latency(seconds: float) -> Callable[[Any, Callable[[Any], Response]], Response]:
    def middleware(request: Any, call_next: Callable[[Any], Response]) -> Response:
        time.sleep(seconds)  # the server's latency, not a wait in a test
        return call_next(request)

    return middleware


def _manifests(directory: Path, count: int) -> None:
    for i in range(count):
        doc = {
            "apiVersion": "endpointctl/v1",
            "kind": "InferenceEndpoint",
            "metadata": {"name": f"bench-{i:03d}", "labels": {"bench": "yes"}},
            "spec": {
                "model": {"repository": "openai-community/gpt2", "task": "text-generation"},
                "provider": {"vendor": "aws", "region": "us-east-1"},
                "compute": {"accelerator": "cpu", "instanceType": "intel-spr", "instanceSize": "x1"},
                "scaling": {"minReplica": 0, "maxReplica": 1},
            },
        }
        (directory / f"bench-{i:03d}.yaml").write_text(yaml.safe_dump(doc))


def _sandbox(tmp: Path, latency: float) -> Sandbox:
    sandbox = Sandbox(SandboxConfig(db_path=tmp / "bench.sqlite", phases={}))
    sandbox.add_middleware(_latency(latency))
    sandbox.start()
    return sandbox


def _apply(sandbox: Sandbox, manifests: Path, parallelism: int, tmp: Path) -> float:
    env = CommandEnv(
        environ={"ENDPOINTCTL_API_URL": sandbox.url, "HF_TOKEN": TOKEN, "ENDPOINTCTL_STATE_DIR": str(tmp)},
        interactive=False,
        out=Output(stdout=io.StringIO(), stderr=io.StringIO()),
    )
    started = time.perf_counter()
    code = main(["apply", str(manifests), "--yes", "--parallelism", str(parallelism)], env=env)
    elapsed = time.perf_counter() - started
    assert code == 0, env.out.stderr.getvalue()  # type: ignore[attr-defined]
    return elapsed


def run(endpoints: int, latency_ms: float) -> list[tuple[str, float, int]]:
    rows: list[tuple[str, float, int]] = []
    latency = latency_ms / 1000.0
    for parallelism in (1, 8):
        with tempfile.TemporaryDirectory() as raw:
            tmp = Path(raw)
            (tmp / "m").mkdir()
            _manifests(tmp / "m", endpoints)
            sandbox = _sandbox(tmp, latency)
            try:
                elapsed = _apply(sandbox, tmp / "m", parallelism, tmp)
                rows.append(
                    (
                        f"apply {endpoints} creates, --parallelism {parallelism}",
                        elapsed,
                        sum(sandbox.counts().values()),
                    )
                )
                if parallelism == 8:
                    hub = Hub(token=TokenInfo(TOKEN, "bench"), api_url=sandbox.url, clock=SystemClock())
                    sandbox.reset_counts()
                    started = time.perf_counter()
                    listed = hub.list_endpoints("sandbox-user")
                    rows.append(
                        (
                            "observe: paginated list (endpointctl)",
                            time.perf_counter() - started,
                            sum(sandbox.counts().values()),
                        )
                    )
                    sandbox.reset_counts()
                    started = time.perf_counter()
                    for endpoint in listed:
                        hub.get("sandbox-user", endpoint.name)
                    rows.append(
                        (
                            "observe: one GET per endpoint",
                            time.perf_counter() - started,
                            sum(sandbox.counts().values()),
                        )
                    )
            finally:
                sandbox.close()
    return rows


def cli() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--endpoints", type=int, default=16)
    parser.add_argument("--latency-ms", type=float, default=150.0)
    args = parser.parse_args()
    print(f"{args.endpoints} endpoints, {args.latency_ms:g} ms per API call")
    print(f"{'what':<45} {'seconds':>8} {'API calls':>10}")
    for what, seconds, calls in run(args.endpoints, args.latency_ms):
        print(f"{what:<45} {seconds:>8.2f} {calls:>10}")


if __name__ == "__main__":
    cli()
