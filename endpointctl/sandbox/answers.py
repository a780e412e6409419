"""Deterministic model outputs in each task's wire shape, so smoke tests can assert on them."""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable
from typing import Any

from . import generation
from .transport import ErrorAnswer

POSITIVE_WORDS = ("happy", "good", "love", "great")
EMBEDDING_DIMS = 16
BINARY_TASKS = frozenset({"automatic-speech-recognition", "image-classification", "audio-classification"})


def _validation(message: str) -> ErrorAnswer:
    return generation.invalid(message)


def _top_k(payload: Any) -> int | None:
    params = payload.get("parameters") if isinstance(payload, dict) else None
    top_k = params.get("top_k") if isinstance(params, dict) else None
    return top_k if isinstance(top_k, int) and not isinstance(top_k, bool) and top_k > 0 else None


def _text(payload: Any) -> str:
    if not isinstance(payload, dict) or "inputs" not in payload:
        raise _validation("`inputs` must be provided")
    inputs = payload["inputs"]
    if isinstance(inputs, str):
        return inputs
    if isinstance(inputs, list) and inputs and all(isinstance(i, str) for i in inputs):
        return " ".join(inputs)
    raise _validation("`inputs` must be a string")


def embed(text: str) -> list[float]:
    digest = hashlib.sha256(text.encode()).digest()
    raw = [(b - 127.5) / 127.5 for b in digest[:EMBEDDING_DIMS]]
    norm = math.sqrt(sum(x * x for x in raw)) or 1.0
    return [round(x / norm, 6) for x in raw]


def text_classification(payload: Any, repository: str) -> Any:
    """A bare ``{"inputs"}`` answers the pipeline's flat ``[{label, score}, ...]``; the task-API form with
    a ``parameters`` object (what InferenceClient sends) answers the Inference API's nested ``[[...]]``,
    which ``InferenceClient.text_classification`` unwraps with ``[0]``."""
    text = _text(payload).lower()
    positive = any(word in text for word in POSITIVE_WORDS)
    top, other = ("POSITIVE", "NEGATIVE") if positive else ("NEGATIVE", "POSITIVE")
    scores = [{"label": top, "score": 0.9987}, {"label": other, "score": 0.0013}][: _top_k(payload)]
    return [scores] if isinstance(payload.get("parameters"), dict) else scores


def translation(payload: Any, repository: str) -> Any:
    text = _text(payload)
    repo = repository.lower()
    if "en-zh" in repo or repo.endswith("-zh"):
        translated = f"翻译: {text}"
    elif repo.endswith("-fr"):
        translated = f"traduction : {text}"
    elif repo.endswith("-de"):
        translated = f"Übersetzung: {text}"
    else:
        translated = f"translation: {text}"
    return [{"translation_text": translated}]


def text_generation(payload: Any, repository: str) -> Any:
    # Like TGI's `/` for a text-generation model: the prompt is part of the text unless told otherwise.
    params = generation.parameters_of(payload)
    return [generation.tgi_output(generation.generate(_text(payload), params, True), params)]


def text2text_generation(payload: Any, repository: str) -> Any:
    return [{"generated_text": f"sandbox answer to: {_text(payload)}"}]


def summarization(payload: Any, repository: str) -> Any:
    words = _text(payload).split()
    return [{"summary_text": " ".join(words[:12])}]


def feature_extraction(payload: Any, repository: str) -> Any:
    if not isinstance(payload, dict) or "inputs" not in payload:
        raise _validation("`inputs` must be provided")
    inputs = payload["inputs"]
    if isinstance(inputs, str):
        return [embed(inputs)]
    if isinstance(inputs, list) and all(isinstance(i, str) for i in inputs):
        return [embed(i) for i in inputs]
    raise _validation("`inputs` must be a string or a list of strings")


def sentence_similarity(payload: Any, repository: str) -> Any:
    inputs = payload.get("inputs") if isinstance(payload, dict) else None
    if not isinstance(inputs, dict) or not isinstance(inputs.get("sentences"), list):
        raise _validation("`inputs` must have `source_sentence` and `sentences`")
    source = embed(str(inputs.get("source_sentence", "")))
    return [
        round(sum(a * b for a, b in zip(source, embed(str(s)), strict=True)), 6) for s in inputs["sentences"]
    ]


def fill_mask(payload: Any, repository: str) -> Any:
    text = _text(payload)
    mask = "<mask>" if "<mask>" in text else "[MASK]"
    return [
        {"score": score, "token": token_id, "token_str": word, "sequence": text.replace(mask, word, 1)}
        for score, token_id, word in ((0.61, 2204, "good"), (0.21, 2307, "great"), (0.08, 6429, "fine"))
    ][: _top_k(payload)]


_WORD = re.compile(r"[^\W\d_]+")
_PERSON_CUES = frozenset({"is", "am", "named", "called", "meet", "mr", "ms", "mrs", "dr"})
_PLACE_CUES = frozenset({"in", "at", "from", "to", "near"})


def token_classification(payload: Any, repository: str) -> Any:
    """Capitalised words past a sentence's start are entities: after "in", "from"... a place (LOC),
    after "is", "named"... a person (PER), otherwise an organisation (ORG)."""
    text = _text(payload)
    entities = []
    previous = None
    for match in _WORD.finditer(text):
        word, start = match.group(), match.start()
        sentence_start = previous is None or text[previous.end() : start].strip()[-1:] in (".", "!", "?")
        if word[:1].isupper() and len(word) > 1 and not sentence_start:
            cue = previous.group().lower() if previous is not None else ""
            group = "LOC" if cue in _PLACE_CUES else "PER" if cue in _PERSON_CUES else "ORG"
            entities.append(
                {"entity_group": group, "score": 0.97, "word": word, "start": start, "end": match.end()}
            )
        previous = match
    return entities


def question_answering(payload: Any, repository: str) -> Any:
    inputs = payload.get("inputs") if isinstance(payload, dict) else None
    if not isinstance(inputs, dict) or not isinstance(inputs.get("context"), str):
        raise _validation("`inputs` must have `question` and `context`")
    answer = (inputs["context"].split() or [""])[0]
    return {"answer": answer, "score": 0.93, "start": 0, "end": len(answer)}


def zero_shot_classification(payload: Any, repository: str) -> Any:
    """``[{label, score}, ...]``, best first (the task API's shape, which InferenceClient parses). The label
    named in the text wins (else the first); with ``multi_label`` each label is scored on its own."""
    text = _text(payload)
    params = payload.get("parameters") or {}
    if not isinstance(params, dict):
        raise _validation("`parameters` must be an object")
    labels = params.get("candidate_labels") or ["positive", "negative"]
    if isinstance(labels, str):
        labels = [label.strip() for label in labels.split(",") if label.strip()]
    if not isinstance(labels, list) or not labels or not all(isinstance(label, str) for label in labels):
        raise _validation("`candidate_labels` must be a non-empty list of strings")
    named = [label for label in labels if label.lower() in text.lower()] or labels[:1]
    n = len(labels)
    if params.get("multi_label"):
        scores = [0.9731 if label in named else 0.0269 for label in labels]
    else:
        winner = named[0]
        rest = round((0.5 - 0.5 / n) / max(n - 1, 1), 4)
        scores = [round(0.5 + 0.5 / n, 4) if label == winner else rest for label in labels]
    ranked = sorted(zip(labels, scores, strict=True), key=lambda pair: -pair[1])
    return [{"label": label, "score": score} for label, score in ranked]


def speech_recognition(payload: Any, repository: str) -> Any:
    size = len(payload) if isinstance(payload, bytes | bytearray) else len(json.dumps(payload))
    return {"text": f"sandbox transcript of {size} bytes of audio"}


def image_classification(payload: Any, repository: str) -> Any:
    return [{"label": "tabby cat", "score": 0.91}, {"label": "tiger cat", "score": 0.06}]


def generic(payload: Any, repository: str) -> Any:
    text = _text(payload) if isinstance(payload, dict) and isinstance(payload.get("inputs"), str) else ""
    return [{"generated_text": f"{text} (sandbox {repository})".strip()}]


TASKS: dict[str, Callable[[Any, str], Any]] = {
    "text-classification": text_classification,
    "sentiment-analysis": text_classification,
    "translation": translation,
    "text-generation": text_generation,
    "text2text-generation": text2text_generation,
    "summarization": summarization,
    "feature-extraction": feature_extraction,
    "sentence-embeddings": feature_extraction,
    "sentence-similarity": sentence_similarity,
    "fill-mask": fill_mask,
    "token-classification": token_classification,
    "question-answering": question_answering,
    "zero-shot-classification": zero_shot_classification,
    "automatic-speech-recognition": speech_recognition,
    "audio-classification": image_classification,
    "image-classification": image_classification,
}


def answer(task: str | None, repository: str, payload: Any) -> Any:
    task = task or ""
    if task.startswith("translation"):
        return translation(payload, repository)
    return TASKS.get(task, generic)(payload, repository)
