"""Deterministic model outputs in each task's wire shape, so smoke tests can assert on them."""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Callable
from typing import Any

from .transport import ErrorAnswer

POSITIVE_WORDS = ("happy", "good", "love", "great")
EMBEDDING_DIMS = 16
BINARY_TASKS = frozenset({"automatic-speech-recognition", "image-classification", "audio-classification"})


def _validation(message: str) -> ErrorAnswer:
    # TGI's shape for bad inputs.
    return ErrorAnswer(422, f"Input validation error: {message}", error_type="validation")


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
    text = _text(payload).lower()
    positive = any(word in text for word in POSITIVE_WORDS)
    top, other = ("POSITIVE", "NEGATIVE") if positive else ("NEGATIVE", "POSITIVE")
    return [{"label": top, "score": 0.9987}, {"label": other, "score": 0.0013}]


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
    return [{"generated_text": f"{_text(payload)} and the sandbox model continues the story."}]


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
    ]


def token_classification(payload: Any, repository: str) -> Any:
    text = _text(payload)
    entities = []
    offset = 0
    for word in text.split():
        start = text.index(word, offset)
        offset = start + len(word)
        if word[:1].isupper():
            entities.append(
                {"entity_group": "ORG", "score": 0.97, "word": word, "start": start, "end": offset}
            )
    return entities


def question_answering(payload: Any, repository: str) -> Any:
    inputs = payload.get("inputs") if isinstance(payload, dict) else None
    if not isinstance(inputs, dict) or not isinstance(inputs.get("context"), str):
        raise _validation("`inputs` must have `question` and `context`")
    answer = (inputs["context"].split() or [""])[0]
    return {"answer": answer, "score": 0.93, "start": 0, "end": len(answer)}


def zero_shot_classification(payload: Any, repository: str) -> Any:
    text = _text(payload)
    params = payload.get("parameters") or {}
    labels = list(params.get("candidate_labels") or ["positive", "negative"])
    n = len(labels)
    scores = [round(0.5 + 0.5 / n, 4)] + [round((0.5 - 0.5 / n) / max(n - 1, 1), 4)] * (n - 1) if n else []
    return {"sequence": text, "labels": labels, "scores": scores}


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


def chat_completion(payload: Any, repository: str, now: float) -> Any:
    messages = payload.get("messages") if isinstance(payload, dict) else None
    if not isinstance(messages, list) or not messages:
        raise _validation("`messages` must be a non-empty list")
    last = str(messages[-1].get("content", "")) if isinstance(messages[-1], dict) else ""
    content = f"Sandbox reply to: {last}"
    return {
        "id": "chatcmpl-" + hashlib.sha1(last.encode()).hexdigest()[:12],
        "object": "chat.completion",
        "created": int(now or time.time()),
        "model": repository,
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
        ],
        "usage": {
            "prompt_tokens": len(last.split()),
            "completion_tokens": len(content.split()),
            "total_tokens": len(last.split()) + len(content.split()),
        },
    }
