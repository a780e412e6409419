"""The example manifests stay valid."""

from __future__ import annotations

from pathlib import Path

import pytest

from endpointctl.core.spec import NAME_MAX, Security
from endpointctl.manifest import load

EXAMPLES = Path(__file__).resolve().parent.parent / "manifests"
EXPECTED_REPOSITORIES = {
    "distilbert/distilbert-base-uncased-finetuned-sst-2-english",
    "uer/roberta-base-finetuned-jd-binary-chinese",
    "Helsinki-NLP/opus-mt-en-zh",
    "openai/whisper-medium",
    "google/flan-t5-xxl",
    "openai-community/gpt2",
    "hfl/chinese-pert-base",
}


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda path: path.name)
def test_example_loads_with_empty_environment(path: Path) -> None:
    (desired,) = load([path], environ={})
    manifest = desired.manifest
    # Examples land in the token user's namespace and are never public.
    assert manifest.metadata.namespace is None
    assert desired.spec.security is Security.PRIVATE  # the examples show the secure default
    assert len(desired.name) <= NAME_MAX
    assert manifest.metadata.labels, "label examples so --selector has something to match"
    assert path.read_text().startswith("#"), "start each example with a comment saying what it is"


def test_examples_cover_the_listed_models() -> None:
    desired = load([EXAMPLES], environ={})
    assert {d.spec.model.repository for d in desired} == EXPECTED_REPOSITORIES
    assert len(desired) == len(EXPECTED_REPOSITORIES)
