"""Which server runs behind an endpoint's URL, read from its image variant, and what that server adds.

The image variant in ``model.image`` decides the container: ``tgi`` runs text-generation-inference,
``vLLM`` runs vLLM's OpenAI server, ``llamacpp`` runs llama.cpp's server, anything else runs the
task-pipeline container (the ``huggingface`` default, or the user's ``custom`` image, answered by task).

The generation servers (TGI, vLLM) add ``/info``, ``/generate`` and ``/generate_stream``; every server
that speaks OpenAI (those two, llama.cpp, SGLang) adds ``/v1/models``. ``/info`` is TGI's document, the
one ``InferenceClient.get_endpoint_info()`` reads; the sandbox answers it for vLLM images too.
"""

from __future__ import annotations

import hashlib
from typing import Any

TGI = "tgi"
VLLM = "vllm"
LLAMACPP = "llamacpp"
SGLANG = "sglang"
TEI = "tei"
PIPELINE = "pipeline"  # the task-pipeline container: huggingface, huggingfaceNeuron, hfServe, custom

_VARIANTS = {
    "tgi": TGI,
    "tgiNeuron": TGI,
    "vLLM": VLLM,
    "vLLMNeuron": VLLM,
    "vLLMOmni": VLLM,
    "llamacpp": LLAMACPP,
    "sGLang": SGLANG,
    "tei": TEI,
}
# Servers with TGI's generation routes: /info, /generate, /generate_stream.
GENERATION_SERVERS = frozenset({TGI, VLLM})
# Servers with OpenAI's /v1/models.
OPENAI_SERVERS = frozenset({TGI, VLLM, LLAMACPP, SGLANG})
GENERATIVE_TASKS = frozenset({"text-generation"})
SERVER_VERSION = {TGI: "3.3.4", VLLM: "0.23.0"}
DEFAULT_MAX_INPUT_TOKENS = 4095
DEFAULT_MAX_TOTAL_TOKENS = 4096


def engine(spec: dict[str, Any]) -> str:
    image = spec["model"].get("image") or {}
    variant = next(iter(image), "huggingface") if isinstance(image, dict) else "huggingface"
    return _VARIANTS.get(variant, PIPELINE)


def has_generation_routes(spec: dict[str, Any]) -> bool:
    return engine(spec) in GENERATION_SERVERS


def has_openai_models(spec: dict[str, Any]) -> bool:
    return engine(spec) in OPENAI_SERVERS


def generates_text(spec: dict[str, Any]) -> bool:
    """True when the endpoint's root answers TGI's way (and so streams on ``"stream": true``)."""
    return engine(spec) in GENERATION_SERVERS | {LLAMACPP} or spec["model"].get("task") in GENERATIVE_TASKS


def full_text_at_root(spec: dict[str, Any]) -> bool:
    """TGI's ``/`` defaults ``return_full_text`` to "the model's pipeline tag is text-generation"."""
    return spec["model"].get("task") in (None, "text-generation")


def _image_settings(spec: dict[str, Any]) -> dict[str, Any]:
    image = spec["model"].get("image") or {}
    settings: Any = next(iter(image.values()), None) if isinstance(image, dict) else None
    return settings if isinstance(settings, dict) else {}


def _int_setting(settings: dict[str, Any], key: str, default: int) -> int:
    value = settings.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else default


def limits(spec: dict[str, Any]) -> tuple[int, int]:
    """(max input tokens, max total tokens), from the TGI image's settings when it has them."""
    settings = _image_settings(spec)
    total = _int_setting(settings, "maxTotalTokens", DEFAULT_MAX_TOTAL_TOKENS)
    max_input = _int_setting(settings, "maxInputLength", min(DEFAULT_MAX_INPUT_TOKENS, total - 1))
    return max_input, total


def model_sha(repository: str, revision: str | None) -> str:
    if revision and len(revision) == 40:
        return revision
    return hashlib.sha1(f"{repository}@{revision or 'main'}".encode()).hexdigest()


def info(spec: dict[str, Any]) -> dict[str, Any]:
    """TGI's ``GET /info`` document (the fields of TGI 2.x and 3.x, so either reader finds its own)."""
    model = spec["model"]
    server = engine(spec)
    max_input, max_total = limits(spec)
    settings = _image_settings(spec)
    version = SERVER_VERSION.get(server, SERVER_VERSION[TGI])
    sha = hashlib.sha1(f"{server}-{version}".encode()).hexdigest()
    return {
        "model_id": model["repository"],
        "model_sha": model_sha(model["repository"], model.get("revision")),
        "model_dtype": "torch.float16",
        "model_device_type": "cuda" if spec["compute"].get("accelerator") == "gpu" else "cpu",
        "model_pipeline_tag": model.get("task"),
        "max_concurrent_requests": 128,
        "max_best_of": 2,
        "max_stop_sequences": 4,
        "max_input_tokens": max_input,
        "max_input_length": max_input,
        "max_total_tokens": max_total,
        "waiting_served_ratio": 0.3,
        "max_batch_total_tokens": _int_setting(settings, "maxBatchTotalTokens", 16_000),
        "max_waiting_tokens": 20,
        "max_batch_size": None,
        "validation_workers": 2,
        "max_client_batch_size": 4,
        "router": "text-generation-router",
        "version": version,
        "sha": sha,
        "docker_label": f"sha-{sha[:7]}",
    }


def models(spec: dict[str, Any], created: float) -> dict[str, Any]:
    """OpenAI's ``GET /v1/models``: the one model the server was started with."""
    repository = spec["model"]["repository"]
    owner = "vllm" if engine(spec) == VLLM else repository.split("/")[0]
    _, max_total = limits(spec)
    entry = {
        "id": repository,
        "object": "model",
        "created": int(created),
        "owned_by": owner,
        "root": repository,
        "parent": None,
        "max_model_len": max_total,
    }
    return {"object": "list", "data": [entry]}
