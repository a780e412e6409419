"""The pure part of smoke tests: default requests, answer shapes, assertions, verdicts, manifest rules."""

from __future__ import annotations

import io
import json
import pathlib
import wave
from typing import Any

import pytest
from pydantic import ValidationError

from endpointctl import manifest
from endpointctl.core.errors import ManifestError
from endpointctl.core.outcomes import SmokeOutcome, SmokeResult, all_passed
from endpointctl.core.smoke_spec import JsonAssertion, SmokeTestSpec
from endpointctl.dataplane.checks import (
    AUDIO_CONTENT_TYPE,
    SmokeCase,
    SmokeRequest,
    audio_clip,
    case_for,
    check,
    default_request,
    judge,
    shape_problem,
)


def spec(**doc: Any) -> SmokeTestSpec:
    return SmokeTestSpec.model_validate(doc)


def assertion(**doc: Any) -> JsonAssertion:
    return JsonAssertion.model_validate(doc)


def body(doc: Any) -> bytes:
    return json.dumps(doc).encode()


# -- default requests ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("task", "inputs"),
    [
        ("text-classification", "I am really happy today!"),
        ("sentiment-analysis", "I am really happy today!"),
        ("translation", "I like to learn data science and AI."),
        ("translation_en_to_zh", "I like to learn data science and AI."),
        ("text-generation", "My name is Lewis and I like to"),
        ("text2text-generation", "Please answer the following question. What is the capital of France?"),
        ("feature-extraction", "今天天气真不错！"),  # noqa: RUF001
    ],
)
def test_default_request_by_task(task: str, inputs: str) -> None:
    assert default_request(task) == SmokeRequest(body={"inputs": inputs})


@pytest.mark.parametrize(
    ("spelt", "task"),
    [
        ("Text_Classification", "text-classification"),
        ("SENTIMENT_ANALYSIS", "text-classification"),
        ("Translation_EN_to_ZH", "translation"),
        ("Automatic_Speech_Recognition", "automatic-speech-recognition"),
        ("feature_extraction", "feature-extraction"),
    ],
)
def test_a_task_spelt_otherwise_gets_its_request_and_its_shape_check(spelt: str, task: str) -> None:
    """The plan reads "Text_Classification" as text-classification (core.endpoint.same_task); so does the
    smoke test, which would otherwise send a generic request and check only for JSON."""
    case = case_for(spelt, None)
    assert (case.shape, case.notes) == (task, ())
    assert case.request == default_request(task)


def test_speech_recognition_gets_a_generated_wav_clip() -> None:
    request = default_request("automatic-speech-recognition")
    assert request.content_type == AUDIO_CONTENT_TYPE and request.body is None
    assert request.content is not None
    with wave.open(io.BytesIO(request.content)) as clip:
        assert (clip.getnchannels(), clip.getsampwidth(), clip.getframerate()) == (1, 2, 16_000)
        assert clip.getnframes() == 16_000  # one second
    assert audio_clip() == request.content  # deterministic


def test_without_smoke_test_the_check_is_the_task_shape() -> None:
    case = case_for("text-classification", None)
    assert case.shape == "text-classification" and case.status == 200 and not case.assertions
    assert case.cold_start_seconds == 300 and case.notes == ()


@pytest.mark.parametrize("task", [None, "image-to-3d"])
def test_unknown_task_checks_status_and_json_with_a_note(task: str | None) -> None:
    case = case_for(task, None)
    assert case.shape is None and case.json_required
    assert "no answer shape" in case.notes[0]
    # A pass says itself that the shape went unchecked: the reason is what a table or a JUnit report shows.
    assert judge(case, 200, b'{"anything": 1}', 5) == (
        SmokeOutcome.PASS,
        "HTTP 200, a JSON answer (its shape not checked)",
    )
    verdict, reason = judge(case, 200, b"<html>", 5)
    assert verdict is SmokeOutcome.FAIL and "not JSON" in reason


def test_smoke_test_request_and_expectations_replace_the_defaults() -> None:
    case = case_for(
        "text-classification",
        spec(
            request={"inputs": "x"},
            expect={"status": 201, "json": {"path": "a", "exists": True}, "maxLatencyMs": 10},
            coldStartTimeoutSeconds=60,
        ),
    )
    assert case.request == SmokeRequest(body={"inputs": "x"})
    assert (case.status, case.max_latency_ms, case.cold_start_seconds) == (201, 10, 60)
    assert case.shape is None  # explicit assertions replace the shape check
    # smokeTest without request keeps the task's default, and without json keeps the shape check.
    plain = case_for("translation", spec(expect={"maxLatencyMs": 5}))
    assert plain.request == default_request("translation") and plain.shape == "translation"


# -- answer shapes ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("task", "good", "bad"),
    [
        ("text-classification", [{"label": "POSITIVE", "score": 0.9}], [{"label": "POSITIVE"}]),
        ("text-classification", [[{"label": "A", "score": 1}]], [[{"label": 3, "score": 1}]]),
        ("translation", [{"translation_text": "你好"}], [{"generated_text": "x"}]),
        ("text-generation", [{"generated_text": "x"}], {"text": "x"}),
        ("text-generation", {"generated_text": "x"}, []),
        ("text2text-generation", [{"generated_text": "Paris"}], "Paris"),
        ("feature-extraction", [[0.1, -0.2, 3]], [["a"]]),
        ("feature-extraction", [0.1, 0.2], [[True]]),
        ("automatic-speech-recognition", {"text": "hello"}, [{"text": "hello"}]),
    ],
)
def test_task_shapes(task: str, good: Any, bad: Any) -> None:
    assert shape_problem(task, good) is None
    assert shape_problem(task, bad)
    case = SmokeCase(request=SmokeRequest(), shape=task)
    assert judge(case, 200, body(good), 1)[0] is SmokeOutcome.PASS
    verdict, reason = judge(case, 200, body(bad), 1)
    assert verdict is SmokeOutcome.FAIL and reason.startswith(f"not a {task} answer")


# -- assertions ------------------------------------------------------------------------------------

ANSWER = [{"label": "POSITIVE", "score": 0.99, "tags": ["a", "b"], "meta": {"k": 1}, "none": None}]


@pytest.mark.parametrize(
    ("doc", "holds"),
    [
        ({"path": "[0].label", "equals": "POSITIVE"}, True),
        ({"path": "[0].label", "equals": "NEGATIVE"}, False),
        ({"path": "[0].score", "equals": 0.99}, True),
        ({"path": "[0].meta", "equals": {"k": 1}}, True),
        ({"path": "[0].meta.k", "equals": True}, False),  # JSON: true is not 1
        ({"path": "[0].none", "equals": None}, True),
        ({"path": "[0].label", "contains": "POS"}, True),
        ({"path": "[0].label", "contains": "NEG"}, False),
        ({"path": "[0].tags", "contains": "b"}, True),
        ({"path": "[0].tags", "contains": "c"}, False),
        ({"path": "[0].meta", "contains": "k"}, True),
        ({"path": "[0].score", "contains": "9"}, False),
        ({"path": "[0].label", "matches": "^POS.*E$"}, True),
        ({"path": "[0].label", "matches": "^NEG"}, False),
        ({"path": "[0].score", "matches": "0.99"}, False),  # not a string
        ({"path": "[0].label", "exists": True}, True),
        ({"path": "[0].missing", "exists": True}, False),
        ({"path": "[0].missing", "exists": False}, True),
        ({"path": "[0].label", "exists": False}, False),
        ({"path": "[*].label | [0]", "equals": "POSITIVE"}, True),
    ],
)
def test_assertion_kinds(doc: dict[str, Any], holds: bool) -> None:
    problem = check(assertion(**doc), ANSWER)
    assert (problem is None) is holds, problem
    if not holds:
        assert problem is not None and problem.startswith(doc["path"])
    case = case_for("text-classification", spec(expect={"json": doc}))
    assert judge(case, 200, body(ANSWER), 1)[0] is (SmokeOutcome.PASS if holds else SmokeOutcome.FAIL)


def test_a_list_of_assertions_names_every_failure() -> None:
    checks = [
        {"path": "[0].label", "equals": "POSITIVE"},
        {"path": "[0].label", "matches": "^NEG"},
        {"path": "[0].nope", "exists": True},
    ]
    case = case_for("text-classification", spec(expect={"json": checks}))
    verdict, reason = judge(case, 200, body(ANSWER), 1)
    assert verdict is SmokeOutcome.FAIL
    assert "does not match /^NEG/" in reason and "[0].nope: expected it to exist" in reason
    assert "[0].label: expected" not in reason
    passing = case_for("text-classification", spec(expect={"json": checks[:1]}))
    assert judge(passing, 200, body(ANSWER), 1) == (
        SmokeOutcome.PASS,
        'HTTP 200, [0].label equals "POSITIVE"',
    )


def test_status_mismatch_fails_and_shows_the_answer() -> None:
    verdict, reason = judge(case_for("text-classification", None), 500, b'{"error": "boom"}', 1)
    assert verdict is SmokeOutcome.FAIL
    assert reason == 'expected HTTP 200, got 500: {"error": "boom"}'
    expected_404 = case_for("text-classification", spec(expect={"status": 404}))
    assert judge(expected_404, 404, b"", 1)[0] is SmokeOutcome.FAIL  # 404 ok, but no label/score shape


def test_max_latency() -> None:
    case = case_for("text-classification", spec(expect={"maxLatencyMs": 1000}))
    answer = body([{"label": "POSITIVE", "score": 1.0}])
    assert judge(case, 200, answer, 999.0)[0] is SmokeOutcome.PASS
    verdict, reason = judge(case, 200, answer, 1500.0)
    assert verdict is SmokeOutcome.FAIL and reason == "took 1500 ms, more than maxLatencyMs 1000"


def test_exit_rule_needs_one_run_and_no_failure() -> None:
    ok = SmokeResult("a", "ns", SmokeOutcome.PASS, "")
    bad = SmokeResult("b", "ns", SmokeOutcome.FAIL, "")
    skipped = SmokeResult("c", "ns", SmokeOutcome.SKIPPED, "")
    assert all_passed([ok, skipped])
    assert not all_passed([ok, bad])
    assert not all_passed([skipped])
    assert not all_passed([])


# -- manifest rules --------------------------------------------------------------------------------

DOC = """\
apiVersion: endpointctl/v1
kind: InferenceEndpoint
metadata: {name: sst2}
spec:
  model: {repository: distilbert/sst2, task: text-classification}
  provider: {vendor: aws, region: us-east-1}
  compute: {accelerator: cpu, instanceType: intel-spr, instanceSize: x2}
  smokeTest:
"""


def load(tmp_path: pathlib.Path, smoke_yaml: str) -> list[str]:
    path = tmp_path / "m.yaml"
    path.write_text(DOC + smoke_yaml)
    try:
        manifest.load([path], environ={})
    except ManifestError as error:
        return [f"{issue.line}: {issue.path}: {issue.message}" for issue in error.issues]
    return []


def test_the_issue_example_is_valid(tmp_path: pathlib.Path) -> None:
    text = """\
    request: {inputs: "I am really happy today!"}
    expect:
      status: 200
      json: {path: "[0].label", equals: "POSITIVE"}
      maxLatencyMs: 3000
    coldStartTimeoutSeconds: 300
"""
    assert load(tmp_path, text) == []
    (tmp_path / "m.yaml").write_text(DOC + text)
    (desired,) = manifest.load([tmp_path / "m.yaml"], environ={})
    smoke = desired.spec.smoke_test
    assert smoke is not None and smoke.expect.assertions[0].operand == "POSITIVE"


def test_exactly_one_check_per_assertion_with_the_key_path(tmp_path: pathlib.Path) -> None:
    issues = load(
        tmp_path,
        """\
    expect:
      json:
        - {path: a, equals: 1, contains: 2}
        - {path: b}
        - {path: c, exists: true}
""",
    )
    assert issues == [
        "11: spec.smokeTest.expect.json[0]: expected exactly one of equals, contains, matches, exists; "
        "found equals and contains",
        "12: spec.smokeTest.expect.json[1]: expected exactly one of equals, contains, matches, exists; "
        "found none",
    ]
    single = load(tmp_path, "    expect: {json: {path: a, matches: x, exists: true}}\n")
    assert single == [
        "9: spec.smokeTest.expect.json: expected exactly one of equals, contains, matches, exists; "
        "found matches and exists"
    ]


def test_unknown_keys_and_bad_values_are_rejected(tmp_path: pathlib.Path) -> None:
    issues = load(
        tmp_path,
        """\
    reqest: {inputs: x}
    expect:
      stauts: 200
      json: [{path: "[0", equals: 1}, {path: a, matches: "(", contans: 1}]
      maxLatencyMs: 0
    coldStartTimeoutSeconds: -1
""",
    )
    assert issues == [
        "9: spec.smokeTest.reqest: unknown key 'reqest' (did you mean 'request'?); "
        "allowed: coldStartTimeoutSeconds, expect, request",
        "11: spec.smokeTest.expect.stauts: unknown key 'stauts' (did you mean 'status'?); "
        "allowed: json, maxLatencyMs, status",
        "12: spec.smokeTest.expect.json[0].path: invalid JMESPath expression '[0': Incomplete expression",
        "12: spec.smokeTest.expect.json[1].matches: invalid regular expression '(': "
        "missing ), unterminated subpattern at position 0",
        "12: spec.smokeTest.expect.json[1].contans: unknown key 'contans' (did you mean 'contains'?); "
        "allowed: contains, equals, exists, matches, path",
        "13: spec.smokeTest.expect.maxLatencyMs: must be greater than 0, found 0",
        "14: spec.smokeTest.coldStartTimeoutSeconds: must be greater than 0, found -1",
    ]
    assert load(tmp_path, "    expect: {json: 3}\n") == [
        "9: spec.smokeTest.expect.json: expected a mapping with path and one check, or a list of them"
    ]


def test_schema_documents_smoke_test() -> None:
    schema = json.dumps(manifest.json_schema())
    assert "smokeTest" in schema and "coldStartTimeoutSeconds" in schema and "JMESPath" in schema


def test_models_reject_a_check_without_path() -> None:
    with pytest.raises(ValidationError):
        JsonAssertion.model_validate({"equals": 1})
