"""PURE: what the Hub says about a model, and what the Inference Catalog offers for it.

Converted once from the API's answers in ``hub``; every field an answer may leave out is None (unknown),
so a choice made from them (``core.sizing``) says when it had to guess.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ModelFacts:
    """A model repository as the Hub's ``model_info`` describes it."""

    repository: str
    task: str | None  # the Hub's pipeline_tag; None when the model card names none
    parameters: int | None  # the safetensors total; None when the Hub does not report it
    commit: str | None = None  # the default branch's commit


@dataclass(frozen=True)
class CatalogRecipe:
    """One tested way of deploying a catalog model: a hardware and engine combination.

    ``id``, ``accelerator``, ``engine``, ``gguf_file`` and ``revision`` are what huggingface_hub reads
    of a recipe; the hardware and the image are read when the answer carries them (None otherwise).
    """

    id: str
    accelerator: str
    engine: str
    gguf_file: str | None = None
    revision: str | None = None
    instance_type: str | None = None
    instance_size: str | None = None
    image: dict[str, dict[str, Any]] | None = None


@dataclass(frozen=True)
class CatalogModel:
    repository: str
    task: str | None
    license: str | None
    recipes: tuple[CatalogRecipe, ...] = field(default_factory=tuple)
