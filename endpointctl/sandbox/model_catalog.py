"""What the emulated Hub knows about a few models, and the Inference Catalog's recipes for some of them.

Model metadata is answered inside ``GET /api/models/{repo}`` (``revisions.model_info``): the
``pipeline_tag`` and the ``safetensors`` parameter counts by dtype, as huggingface_hub's ``ModelInfo``
reads them. A repository not listed here has neither (the Hub's answer for a model without metadata).

The catalog is served at ``/api/v1/catalog/...`` (``catalog_routes``), in the shape huggingface_hub 2.4's
``list_inference_catalog`` reads: ``{items: [{repoId, modelName, authorName, license, task, createdAt,
recipes: [{publicId, accelerator, engineType, ggufFile?, revision?}]}]}`` [C]. Each recipe here also
carries what deploying it creates, ``compute: {instanceType, instanceSize}`` and ``image`` (the API's
``model.image`` union): the sandbox's guess at the rest of a recipe [U], read leniently by clients.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# When the sandbox's catalog entries were added: fixed, so answers are reproducible.
CATALOG_CREATED_AT = 1_735_689_600.0  # 2025-01-01T00:00:00Z
VENDOR, REGION = "aws", "us-east-1"  # where a catalog deploy puts the endpoint


@dataclass(frozen=True)
class ModelCard:
    pipeline_tag: str
    parameters: dict[str, int]  # dtype -> count, as the Hub's safetensors summary
    license: str = "apache-2.0"

    @property
    def total(self) -> int:
        return sum(self.parameters.values())


@dataclass(frozen=True)
class Recipe:
    public_id: str
    accelerator: str
    engine: str  # vllm | tei | llamacpp | sglang
    instance_type: str
    instance_size: str
    image: dict[str, dict[str, Any]]
    gguf_file: str | None = None
    revision: str | None = None

    def to_wire(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "publicId": self.public_id,
            "accelerator": self.accelerator,
            "engineType": self.engine,
            "compute": {"instanceType": self.instance_type, "instanceSize": self.instance_size},
            "image": {variant: dict(settings) for variant, settings in self.image.items()},
        }
        if self.gguf_file is not None:
            doc["ggufFile"] = self.gguf_file
        if self.revision is not None:
            doc["revision"] = self.revision
        return doc


@dataclass(frozen=True)
class CatalogEntry:
    repository: str
    recipes: tuple[Recipe, ...] = field(default_factory=tuple)

    def to_wire(self, created_at: str, recipes: tuple[Recipe, ...] | None = None) -> dict[str, Any]:
        card = MODELS[self.repository]
        author, _, name = self.repository.partition("/")
        return {
            "repoId": self.repository,
            "modelName": name,
            "authorName": author,
            "license": card.license,
            "task": card.pipeline_tag,
            "createdAt": created_at,
            "recipes": [recipe.to_wire() for recipe in (self.recipes if recipes is None else recipes)],
        }


MODELS: dict[str, ModelCard] = {
    # The examples in manifests/.
    "distilbert/distilbert-base-uncased-finetuned-sst-2-english": ModelCard(
        "text-classification", {"F32": 66_955_010}
    ),
    "uer/roberta-base-finetuned-jd-binary-chinese": ModelCard("text-classification", {"F32": 102_269_186}),
    "Helsinki-NLP/opus-mt-en-zh": ModelCard("translation", {"F32": 77_943_296}, "cc-by-4.0"),
    "openai/whisper-medium": ModelCard("automatic-speech-recognition", {"F32": 763_857_920}),
    "google/flan-t5-xxl": ModelCard("text2text-generation", {"F32": 11_266_992_128}),
    "openai-community/gpt2": ModelCard("text-generation", {"F32": 137_022_720}, "mit"),
    "hfl/chinese-pert-base": ModelCard("feature-extraction", {"F32": 102_267_648}, "cc-by-nc-sa-4.0"),
    # Models with a catalog recipe.
    "meta-llama/Llama-3.2-1B-Instruct": ModelCard("text-generation", {"BF16": 1_235_814_400}, "llama3.2"),
    "Qwen/Qwen2.5-7B-Instruct": ModelCard("text-generation", {"BF16": 7_615_616_512}),
    "BAAI/bge-small-en-v1.5": ModelCard("feature-extraction", {"F32": 33_360_000}, "mit"),
    # A large model without a recipe, and one whose metadata names a task but no size.
    "mistralai/Mistral-7B-Instruct-v0.3": ModelCard("text-generation", {"BF16": 7_248_023_552}),
    "sandbox/tiny-classifier": ModelCard("text-classification", {}),
}

_VLLM = {"vLLM": {"url": "vllm/vllm-openai:v0.23.0", "port": 8000}}
CATALOG: dict[str, CatalogEntry] = {
    entry.repository: entry
    for entry in (
        CatalogEntry(
            "meta-llama/Llama-3.2-1B-Instruct",
            (
                Recipe("sizzling-biryani-g4xsi1ac", "gpu", "vllm", "nvidia-l4", "x1", _VLLM),
                Recipe(
                    "crispy-dosa-k2m8w3pq",
                    "cpu",
                    "llamacpp",
                    "intel-spr",
                    "x4",
                    {"llamacpp": {"url": "ghcr.io/ggml-org/llama.cpp:server", "port": 8080}},
                    gguf_file="Llama-3.2-1B-Instruct-Q4_K_M.gguf",
                ),
            ),
        ),
        CatalogEntry(
            "Qwen/Qwen2.5-7B-Instruct",
            (Recipe("artisanal-quinoa-yz9ynamx", "gpu", "vllm", "nvidia-a10g", "x1", _VLLM),),
        ),
        CatalogEntry(
            "BAAI/bge-small-en-v1.5",
            (
                Recipe(
                    "smoky-paprika-7t4b1c9d",
                    "cpu",
                    "tei",
                    "intel-spr",
                    "x2",
                    {"tei": {"url": "ghcr.io/huggingface/text-embeddings-inference:cpu-1.8", "port": 80}},
                ),
            ),
        ),
    )
}


def card(repository: str) -> ModelCard | None:
    return MODELS.get(repository)


def safetensors(repository: str) -> dict[str, Any] | None:
    """The Hub's ``safetensors`` summary of a model, when it has a known size."""
    found = MODELS.get(repository)
    if found is None or not found.parameters:
        return None
    return {"parameters": dict(found.parameters), "total": found.total}


def recipe(public_id: str) -> tuple[CatalogEntry, Recipe] | None:
    for entry in CATALOG.values():
        for candidate in entry.recipes:
            if candidate.public_id == public_id:
                return entry, candidate
    return None


def _admits(recipe: Recipe, accelerator: str | None, engine: str | None) -> bool:
    return (accelerator is None or recipe.accelerator == accelerator) and (
        engine is None or recipe.engine == engine
    )


def listing(query: dict[str, str], created_at: str) -> list[dict[str, Any]]:
    """The catalog's items for the query ``list_inference_catalog`` sends (every filter optional)."""
    accelerator, engine = query.get("accelerator"), query.get("engine")
    search = query.get("search", "").lower()
    items = []
    for entry in CATALOG.values():
        model = MODELS[entry.repository]
        recipes = tuple(r for r in entry.recipes if _admits(r, accelerator, engine))
        if not recipes:
            continue
        if query.get("task") not in (None, model.pipeline_tag):
            continue
        if query.get("license") not in (None, model.license):
            continue
        if search and search not in entry.repository.lower():
            continue
        items.append(entry.to_wire(created_at, recipes))
    limit = query.get("limit")
    # ASCII digits only: str.isdigit() admits "²", which int() refuses.
    return items[: int(limit)] if limit and limit.isascii() and limit.isdigit() else items
