"""The comparison side: huggingface_hub's own CLI and client, pointed at the sandbox.

    python bench_hf_client.py URL cli ARGS...              # `hf ARGS...`, as .venv/bin/hf runs it
    python bench_hf_client.py URL create NS:NAME...        # HfApi().create_inference_endpoint, in turn
    python bench_hf_client.py URL wait REFRESH NS:NAME...  # InferenceEndpoint.wait(), one thread each

huggingface_hub reads the Inference Endpoints API's base URL from a module constant
(``constants.INFERENCE_ENDPOINTS_ENDPOINT``), not from the environment, so this shim sets it before
anything else runs; ``HF_ENDPOINT`` (the Hub, for whoami) comes from the environment. The shim costs
one ``import huggingface_hub.constants`` that hf would make anyway: the benchmark measures the
difference (`hf endpoints --help` through it and through .venv/bin/hf) and reports it.
"""

from __future__ import annotations

import sys
import threading
import time


def _point_at(url: str) -> None:
    import huggingface_hub.constants as constants

    constants.INFERENCE_ENDPOINTS_ENDPOINT = url.rstrip("/") + "/v2"


def _targets(args: list[str]) -> list[tuple[str, str]]:
    pairs = []
    for arg in args:
        namespace, _, name = arg.partition(":")
        pairs.append((namespace, name))
    return pairs


def _cli(args: list[str]) -> int:
    import re

    from huggingface_hub.cli.hf import main

    # What .venv/bin/hf does, with the program name it would have.
    sys.argv = [re.sub(r"(-script\.pyw|\.exe)?$", "", "hf"), *args]
    result = main()  # type: ignore[no-untyped-call]
    return int(result or 0)


def _create(args: list[str]) -> int:
    from huggingface_hub import HfApi

    api = HfApi()
    for namespace, name in _targets(args):
        api.create_inference_endpoint(
            name,
            repository="openai-community/gpt2",
            framework="pytorch",
            task="text-generation",
            accelerator="cpu",
            vendor="aws",
            region="us-east-1",
            instance_type="intel-spr",
            instance_size="x1",
            min_replica=0,
            max_replica=1,
            scale_to_zero_timeout=15,
            type="private",
            namespace=namespace,
        )
    return 0


def _wait(refresh: str, args: list[str]) -> int:
    from huggingface_hub import HfApi

    api = HfApi()
    printing = threading.Lock()
    failures: list[str] = []

    def one(namespace: str, name: str) -> None:
        try:
            endpoint = api.get_inference_endpoint(name, namespace=namespace)
            endpoint.wait(timeout=900, refresh_every=int(refresh))
        except Exception as exc:  # reported, and the exit code says so
            with printing:
                failures.append(name)
                print(f"{time.time():.3f} failed {name}: {exc}", flush=True)
            return
        with printing:
            print(f"{time.time():.3f} ready {name}", flush=True)

    threads = [threading.Thread(target=one, args=pair) for pair in _targets(args)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return 1 if failures else 0


def main() -> int:
    url, mode, *rest = sys.argv[1:]
    _point_at(url)
    if mode == "cli":
        return _cli(rest)
    if mode == "create":
        return _create(rest)
    if mode == "wait":
        return _wait(rest[0], rest[1:])
    raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    sys.exit(main())
