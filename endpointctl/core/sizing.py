"""PURE: which instance a model should start on — the cheapest available one that fits it.

``endpointctl init`` asks this once, from the Hub's facts about the model, the hardware catalog of one
vendor region, and the Inference Catalog's recipe when the model has one:

- **A recipe** (hardware and engine the service has tested for the model) wins when its hardware is
  offered and deployable there; otherwise its accelerator is kept and sized as below.
- **Which accelerator.** A CPU when the model is small for its task: at most ``CPU_MAX_PARAMETERS`` for
  classification, embeddings, translation and other light tasks, at most ``CPU_MAX_GENERATIVE`` for
  generative ones (text and image generation, speech recognition, summarization). Without a size, light
  tasks go to a CPU and generative ones to a GPU.
- **Fits.** Weights in half precision on a GPU (2 bytes a parameter, against the instance's total GPU
  memory), in single precision on a CPU (4 bytes, against its memory), plus ``HEADROOM`` for
  activations and caches. Without a size, anything of the accelerator fits.
- **Cheapest.** Among rows that are deployable now (status and quota, ``Hardware.deployable``): the lowest
  price per hour, then fewer accelerators; a row without a price comes after every priced one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from endpointctl.core.endpoint import Hardware, name_key
from endpointctl.core.errors import EndpointctlError
from endpointctl.core.model_facts import CatalogRecipe

CPU_MAX_PARAMETERS = 1_000_000_000
CPU_MAX_GENERATIVE = 400_000_000
HEADROOM = 1.2
BYTES_PER_PARAMETER = {"cpu": 4, "gpu": 2, "neuron": 2}
GENERATIVE_TASKS = frozenset(
    {
        "text-generation",
        "text2text-generation",
        "summarization",
        "automatic-speech-recognition",
        "image-text-to-text",
        "image-to-text",
        "visual-question-answering",
        "text-to-image",
        "image-to-image",
        "text-to-speech",
        "text-to-audio",
        "text-to-video",
        "any-to-any",
    }
)
_NO_PRICE = Decimal("Infinity")


@dataclass(frozen=True)
class Choice:
    hardware: Hardware
    reason: str  # why this one, in a sentence, for the manifest's comment
    recipe: CatalogRecipe | None = None  # the recipe whose hardware was taken, if one was


def needed_gb(parameters: int | None, accelerator: str) -> float | None:
    """Memory the weights need on ``accelerator``, headroom included; None when the size is unknown."""
    if parameters is None:
        return None
    return parameters * BYTES_PER_PARAMETER.get(accelerator, 2) * HEADROOM / 1e9


def accelerator_for(task: str | None, parameters: int | None) -> str:
    generative = task in GENERATIVE_TASKS
    if parameters is None:
        return "gpu" if generative else "cpu"
    return "cpu" if parameters <= (CPU_MAX_GENERATIVE if generative else CPU_MAX_PARAMETERS) else "gpu"


def _memory(row: Hardware) -> float | None:
    return row.memory_gb if row.accelerator == "cpu" else row.gpu_memory_gb


def _cost_key(row: Hardware) -> tuple[Decimal, int, str, str]:
    price = row.price_per_hour if row.price_per_hour is not None else _NO_PRICE
    return (price, row.num_accelerators, row.instance_type, row.instance_size)


def _where(vendor: str, region: str) -> str:
    return f"{vendor} {region}"


def cheapest_fit(rows: Sequence[Hardware], accelerator: str, need: float | None) -> Hardware | None:
    fitting = [
        row
        for row in rows
        if row.accelerator == accelerator
        and row.deployable
        and (need is None or ((memory := _memory(row)) is not None and memory >= need))
    ]
    return min(fitting, key=_cost_key, default=None)


def _size_text(parameters: int | None) -> str:
    if parameters is None:
        return "of unknown size"
    return (
        f"with {parameters / 1e9:.2f}B parameters" if parameters >= 1e8 else f"with {parameters:,} parameters"
    )


def _from_recipe(recipe: CatalogRecipe, rows: Sequence[Hardware]) -> Hardware | None:
    return next(
        (
            row
            for row in rows
            if row.deployable
            and row.accelerator == recipe.accelerator
            and (row.instance_type, row.instance_size) == (recipe.instance_type, recipe.instance_size)
        ),
        None,
    )


def choose(
    rows: Sequence[Hardware],
    *,
    vendor: str,
    region: str,
    task: str | None,
    parameters: int | None,
    recipe: CatalogRecipe | None = None,
) -> Choice:
    """The instance to write into a new manifest; ``EndpointctlError`` when nothing there fits."""
    here = [row for row in rows if name_key(row.vendor, row.region) == name_key(vendor, region)]
    if not here:
        raise EndpointctlError(
            f"the hardware catalog offers nothing in {_where(vendor, region)}",
            hint="`endpointctl hardware` lists what is offered; pass --vendor and --region",
        )
    if recipe is not None:
        row = _from_recipe(recipe, here)
        if row is not None:
            reason = f"the Inference Catalog's recipe {recipe.id} ({recipe.engine} on {recipe.accelerator})"
            return Choice(row, reason, recipe)
    accelerator = recipe.accelerator if recipe is not None else accelerator_for(task, parameters)
    need = needed_gb(parameters, accelerator)
    row = cheapest_fit(here, accelerator, need)
    if row is None:
        fits = (
            ""
            if need is None
            else f" with at least {need:.1f} GB of {'GPU ' if accelerator != 'cpu' else ''}memory"
        )
        raise EndpointctlError(
            f"no {accelerator} instance{fits} can be deployed in {_where(vendor, region)} now "
            f"(for a model {_size_text(parameters)})",
            hint="`endpointctl hardware --all` lists every offer; try another --vendor/--region",
        )
    memory = "" if need is None else f", which needs about {need:.1f} GB"
    reason = (
        f"the cheapest {accelerator} instance available in {_where(vendor, region)} for "
        f"{task or 'an unknown task'}, for a model {_size_text(parameters)}{memory}"
    )
    if recipe is not None:
        reason += f" (the catalog's recipe {recipe.id} names hardware not offered here)"
    return Choice(row, reason)
