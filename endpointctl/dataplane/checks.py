"""PURE: what a smoke test sends to a deployed endpoint and how its answer is judged.

No network, no clock, no click: ``runner`` does the calling and hands the answer back here. Without
a ``smokeTest`` in the manifest the request is chosen from the model's task and the check is that the
answer has the task's shape, so every endpoint gets a meaningful test with no configuration.

A reason quotes the answer (an endpoint may echo the request, token and all) cut short: with the
caller's redactor, which scrubs before it cuts.
"""

from __future__ import annotations

import io
import json
import math
import re
import struct
import wave
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jmespath

from endpointctl.core.hub_tasks import misspelt_task, task_key
from endpointctl.core.outcomes import SmokeOutcome
from endpointctl.core.redact import Redactor
from endpointctl.core.smoke_spec import DEFAULT_COLD_START_SECONDS, JsonAssertion, SmokeExpect, SmokeTestSpec
from endpointctl.dataplane.client import NotJson, answer_json

AUDIO_CONTENT_TYPE = "audio/wav"
DEFAULT_INPUTS: dict[str, str] = {
    "text-classification": "I am really happy today!",
    "translation": "I like to learn data science and AI.",
    "text-generation": "My name is Lewis and I like to",
    "text2text-generation": "Please answer the following question. What is the capital of France?",
    "feature-extraction": "今天天气真不错！",  # noqa: RUF001  (the issue's sentence, full-width "!" and all)
}
AUDIO_TASKS = frozenset({"automatic-speech-recognition"})
GENERIC_INPUT = "I am really happy today!"
_ALIASES = {"sentiment-analysis": "text-classification", "sentence-embeddings": "feature-extraction"}
_SNIPPET = 200  # characters of an unexpected answer worth showing in a one-line reason
_SHOWN = 80  # characters of a JSON value worth showing in a check's reason


@dataclass(frozen=True)
class SmokeRequest:
    """A JSON body, or raw bytes with their content type (audio)."""

    body: Any = None
    content: bytes | None = None
    content_type: str | None = None

    def describe(self) -> str:
        if self.content is not None:
            return f"{len(self.content)} bytes of {self.content_type or 'data'}"
        return _show(self.body)


@dataclass(frozen=True)
class SmokeCase:
    """Everything one smoke test needs, decided before any call."""

    request: SmokeRequest
    status: int = 200
    assertions: tuple[JsonAssertion, ...] = ()
    shape: str | None = None  # the task whose answer shape is checked; None: no shape check
    json_required: bool = False  # at least "the answer is JSON", when nothing more specific is known
    max_latency_ms: float | None = None
    cold_start_seconds: float = DEFAULT_COLD_START_SECONDS
    notes: tuple[str, ...] = ()


# -- what to send -----------------------------------------------------------------------------------


def canonical_task(task: str | None) -> str | None:
    if task is None:
        return None
    # Read as the plan compares it: an API or manifest spelling "Text_Classification" still gets its
    # default request and its answer-shape check, not a weaker "any JSON" test.
    key = task_key(task)
    # The Hub writes translation tasks with their languages, e.g. translation_en_to_zh.
    if key.startswith("translation"):
        return "translation"
    return _ALIASES.get(key, key)


def known_task(task: str | None) -> bool:
    return task in DEFAULT_INPUTS or task in AUDIO_TASKS


def default_request(task: str | None) -> SmokeRequest:
    task = canonical_task(task)
    if task in AUDIO_TASKS:
        return SmokeRequest(content=audio_clip(), content_type=AUDIO_CONTENT_TYPE)
    return SmokeRequest(body={"inputs": DEFAULT_INPUTS.get(task or "", GENERIC_INPUT)})


def audio_clip(seconds: float = 1.0, rate: int = 16_000, frequency: float = 440.0) -> bytes:
    """A short mono 16-bit WAV sine tone: enough for any speech model to answer, and deterministic."""
    frames = int(seconds * rate)
    amplitude = 0.3 * 32767
    samples = (int(amplitude * math.sin(2 * math.pi * frequency * i / rate)) for i in range(frames))
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(struct.pack(f"<{frames}h", *samples))
    return buffer.getvalue()


def case_for(
    task: str | None, spec: SmokeTestSpec | None, accepted_tasks: frozenset[str] = frozenset()
) -> SmokeCase:
    named, task = task, canonical_task(task)
    notes: list[str] = []
    if spec is not None and spec.request is not None:
        request = SmokeRequest(body=spec.request)
    else:
        request = default_request(task)
    expect = spec.expect if spec is not None else SmokeExpect()
    assertions = expect.assertions
    shape = task if not assertions and known_task(task) else None
    if not assertions and shape is None:
        notes.append(_shape_not_checked(named, accepted_tasks))
    return SmokeCase(
        request=request,
        status=expect.status,
        assertions=assertions,
        shape=shape,
        json_required=not assertions and shape is None,
        max_latency_ms=expect.max_latency_ms,
        cold_start_seconds=spec.cold_start_timeout_seconds if spec else DEFAULT_COLD_START_SECONDS,
        notes=tuple(notes),
    )


def _shape_not_checked(task: str | None, accepted_tasks: frozenset[str]) -> str:
    """Why a smoke test without expectations checks no answer shape: a pass must not read as one that did.

    A misspelt task (deployed before validate refused it, or by another tool) says which task was meant.
    """
    if not task:
        return "no task, so no answer shape to check"
    meant = misspelt_task(task, accepted_tasks)
    if meant is not None:
        return (
            f"task '{task}' is not one the Hub knows (did you mean '{meant}'?), so no answer shape to check"
        )
    return f"task '{task}': endpointctl knows no answer shape for it to check"


# -- how the answer is judged -----------------------------------------------------------------------


def judge(
    case: SmokeCase, status: int, body: bytes, latency_ms: float, redactor: Redactor | None = None
) -> tuple[SmokeOutcome, str]:
    """Pass or fail, and one line saying why; every failed check is named, not only the first.

    ``redactor`` scrubs what the reason quotes of the answer before it is cut (none: nothing to hide)."""
    redactor = redactor or Redactor()
    if status != case.status:
        return SmokeOutcome.FAIL, f"expected HTTP {case.status}, got {status}: {snippet(body, redactor)}"
    failures: list[str] = []
    passed: list[str] = [f"HTTP {status}"]
    needs_json = bool(case.assertions) or case.shape is not None or case.json_required
    if needs_json:
        try:
            doc = answer_json(body)
        except NotJson as error:
            why = redactor.shorten(str(error), _SHOWN)
            return SmokeOutcome.FAIL, f"the answer is not JSON ({why}): {snippet(body, redactor)}"
        if case.json_required:
            # Said in the reason itself, which is what a table and a JUnit report show of a pass.
            passed.append("a JSON answer (its shape not checked)")
        if case.shape is not None:
            problem = shape_problem(case.shape, doc, redactor)
            if problem:
                failures.append(f"not a {case.shape} answer: {problem}")
            else:
                passed.append(f"{case.shape} shape")
        for assertion in case.assertions:
            problem = check(assertion, doc, redactor)
            if problem:
                failures.append(problem)
            else:
                passed.append(describe(assertion))
    if case.max_latency_ms is not None:
        if latency_ms > case.max_latency_ms:
            failures.append(f"took {latency_ms:.0f} ms, more than maxLatencyMs {case.max_latency_ms:g}")
        else:
            passed.append(f"within {case.max_latency_ms:g} ms")
    if failures:
        return SmokeOutcome.FAIL, "; ".join(failures)
    return SmokeOutcome.PASS, ", ".join(passed)


def describe(assertion: JsonAssertion) -> str:
    kind, operand = assertion.kind, assertion.operand
    if kind == "exists":
        return f"{assertion.path} {'exists' if operand else 'is absent'}"
    return f"{assertion.path} {kind} {_show(operand)}"


def check(assertion: JsonAssertion, doc: Any, redactor: Redactor | None = None) -> str | None:
    """None when the assertion holds, else what was found instead (scrubbed by ``redactor``)."""
    value = jmespath.search(assertion.path, doc)
    kind, operand = assertion.kind, assertion.operand
    path, found = assertion.path, "nothing" if value is None else _show(value, redactor)
    if kind == "exists":
        if (value is not None) == bool(operand):
            return None
        return f"{path}: expected it to {'exist' if operand else 'be absent'}, found {found}"
    if kind == "equals":
        expected = _show(operand, redactor)
        return None if _same(value, operand) else f"{path}: expected {expected}, found {found}"
    if kind == "matches":
        if not isinstance(value, str):
            return f"{path}: expected a string matching /{operand}/, found {found}"
        return None if re.search(operand, value) else f"{path}: {found} does not match /{operand}/"
    return _contains(path, value, operand, found, _show(operand, redactor))


def _contains(path: str, value: Any, operand: Any, found: str, shown: str) -> str | None:
    if isinstance(value, str) and isinstance(operand, str):
        holds = operand in value
    elif isinstance(value, list):
        holds = any(_same(item, operand) for item in value)
    elif isinstance(value, dict) and isinstance(operand, str):
        holds = operand in value
    else:
        return f"{path}: expected something that can contain {shown}, found {found}"
    return None if holds else f"{path}: {found} does not contain {shown}"


def _same(a: Any, b: Any) -> bool:
    # JSON equality: true is not 1, but 1 is 1.0.
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return bool(a == b)


# -- answer shapes per task -------------------------------------------------------------------------


def shape_problem(task: str, doc: Any, redactor: Redactor | None = None) -> str | None:
    """None when ``doc`` has the shape ``task``'s answers have, else what is wrong with it."""
    checker = _SHAPES.get(task)
    return checker(doc, redactor or Redactor()) if checker is not None else None


def _records(doc: Any, keys: dict[str, Callable[[Any], bool]], what: str, redactor: Redactor) -> str | None:
    if not isinstance(doc, list) or not doc:
        return f"expected a non-empty list of {what}, found {_kind(doc, redactor)}"
    for item in doc:
        if not isinstance(item, dict):
            return f"expected a list of {what}, found an item that is {_kind(item, redactor)}"
        for key, valid in keys.items():
            if key not in item or not valid(item[key]):
                return f"expected {what}, found an item without a valid '{key}'"
    return None


def _is_str(value: Any) -> bool:
    return isinstance(value, str)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _classification(doc: Any, redactor: Redactor) -> str | None:
    # One input answers [{label, score}, ...]; a batch (or some containers) answers [[...], ...].
    if isinstance(doc, list) and doc and all(isinstance(item, list) for item in doc):
        problems = [_classification(item, redactor) for item in doc]
        return next((p for p in problems if p), None)
    return _records(doc, {"label": _is_str, "score": _is_number}, "{label, score}", redactor)


def _translation(doc: Any, redactor: Redactor) -> str | None:
    return _records(doc, {"translation_text": _is_str}, "{translation_text}", redactor)


def _generation(doc: Any, redactor: Redactor) -> str | None:
    if isinstance(doc, dict):  # TGI's /generate answers one object rather than a list
        doc = [doc]
    return _records(doc, {"generated_text": _is_str}, "{generated_text}", redactor)


def _features(doc: Any, redactor: Redactor) -> str | None:
    if not isinstance(doc, list) or not doc:
        return f"expected a non-empty nested list of numbers, found {_kind(doc, redactor)}"
    for item in doc:
        problem = _features(item, redactor) if isinstance(item, list) else None
        if problem:
            return problem
        if not isinstance(item, list) and not _is_number(item):
            return f"expected a nested list of numbers, found an item that is {_kind(item, redactor)}"
    return None


def _transcript(doc: Any, redactor: Redactor) -> str | None:
    if not isinstance(doc, dict) or not isinstance(doc.get("text"), str):
        return f"expected {{text}}, found {_kind(doc, redactor)}"
    return None


_SHAPES: dict[str, Callable[[Any, Redactor], str | None]] = {
    "text-classification": _classification,
    "translation": _translation,
    "text-generation": _generation,
    "text2text-generation": _generation,
    "feature-extraction": _features,
    "automatic-speech-recognition": _transcript,
}


# -- showing values ---------------------------------------------------------------------------------


def snippet(body: bytes, redactor: Redactor) -> str:
    """An answer's start, on one line: scrubbed before the line breaks go and before the cut."""
    text = redactor.scrub(body.decode("utf-8", errors="replace"), truncated=True)
    text = text.strip().replace("\n", " ")
    return redactor.shorten(text, _SNIPPET) if text else "(empty body)"


def _show(value: Any, redactor: Redactor | None = None) -> str:
    """A JSON value, cut to a line's worth: scrubbed first when it is the endpoint's."""
    return (redactor or Redactor()).shorten(json.dumps(value, ensure_ascii=False), _SHOWN)


def _kind(value: Any, redactor: Redactor | None = None) -> str:
    if isinstance(value, list):
        return "an empty list" if not value else "a list"
    if isinstance(value, dict):
        return "a mapping"
    if value is None:
        return "null"
    return _show(value, redactor)
