"""huggingface_hub's InferenceClient, unchanged, against the sandbox's deployed URLs.

Each task's answer is parsed by the client into its own types; TGI and OpenAI streams arrive as
server-sent events that the client reads token by token; TGI and vLLM images add ``/info``,
``/v1/models`` and ``/generate``. Every new route sits behind the same proxy: paused endpoints,
cold starts and security levels answer as they do for ``/``.
"""

from __future__ import annotations

import json
import pathlib
from collections.abc import Callable
from typing import Any

import httpx2 as httpx
import pytest
from huggingface_hub import InferenceClient, constants
from huggingface_hub.errors import HfHubHTTPError, ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from endpointctl.dataplane.checks import shape_problem
from endpointctl.sandbox import ManualClock

USER = "sandbox-user"
TOKEN = "hf_sandbox_test_token_123"
OUTSIDER_TOKEN = "hf_outsider_token_456"
NS = f"/v2/endpoint/{USER}"
CONTINUATION = " and the sandbox model continues the story."
TGI_IMAGE = {"tgi": {"url": "ghcr.io/huggingface/text-generation-inference:3.3.4", "maxTotalTokens": 8192}}
VLLM_IMAGE = {"vLLM": {"url": "vllm/vllm-openai:v0.23.0", "port": 8000}}
CHAT = [{"role": "user", "content": "What is a sandbox?"}]
Body = Callable[..., dict[str, Any]]
Deploy = Callable[..., str]


@pytest.fixture
def deploy(client: httpx.Client, clock: ManualClock, endpoint_body: Body) -> Deploy:
    """Create an endpoint, let its deployment finish on the ManualClock, and return its URL."""

    def make(
        name: str, task: str | None, repository: str, image: dict[str, Any] | None = None, **overrides: Any
    ) -> str:
        body = endpoint_body(name, task=task, repository=repository, **overrides)
        if image is not None:
            body["model"]["image"] = image
        r = client.post(NS, json=body)
        assert r.status_code == 200, r.text
        clock.advance(2)
        doc = client.get(f"{NS}/{name}").json()
        assert doc["status"]["state"] == "running"
        return str(doc["status"]["url"])

    return make


@pytest.fixture
def tgi(deploy: Deploy) -> str:
    return deploy("llama-tgi", "text-generation", "meta-llama/Llama-3.2-1B-Instruct", TGI_IMAGE)


@pytest.fixture
def no_ambient_token(monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path) -> None:
    """huggingface_hub falls back to HF_TOKEN and the stored login: neither may speak for the caller."""
    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_OIDC_RESOURCE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(tmp_path / "no-token"))
    monkeypatch.setattr(constants, "HF_STORED_TOKENS_PATH", str(tmp_path / "no-stored-tokens"))


def events(response: httpx.Response) -> list[str]:
    """The ``data:`` payloads of a server-sent event stream, each on one line, in order."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    frames = response.text.split("\n\n")
    assert frames[-1] == ""
    payloads = []
    for frame in frames[:-1]:
        assert frame.startswith("data: ") and "\n" not in frame, frame
        payloads.append(frame.removeprefix("data: "))
    return payloads


# -- every task, parsed by the client ---------------------------------------------------------------


def _check_text_classification(out: Any) -> None:
    assert isinstance(out, list) and [e.label for e in out] == ["POSITIVE", "NEGATIVE"]
    assert sum(e.score for e in out) == pytest.approx(1.0)


def _check_zero_shot(out: Any) -> None:
    assert [e.label for e in out] == ["sunny", "rainy", "cloudy"]
    assert out[0].score > out[1].score and sum(e.score for e in out) == pytest.approx(1.0, abs=1e-3)


def _check_tokens(out: Any) -> None:
    found = [(e.entity_group, e.word, e.start, e.end) for e in out]
    assert found == [("PER", "Sarah", 11, 16), ("LOC", "Paris", 28, 33)]
    assert all(isinstance(e.score, float) for e in out)


def _check_fill_mask(out: Any) -> None:
    assert [e.token_str for e in out] == ["good", "great", "fine"]
    assert out[0].sequence == "Paris is good." and isinstance(out[0].token, int)


TASKS: list[tuple[str, str, Callable[[InferenceClient], Any], Callable[[Any], None]]] = [
    (
        "text-classification",
        "distilbert/distilbert-base-uncased-finetuned-sst-2-english",
        lambda c: c.text_classification("I love this, it is great"),
        _check_text_classification,
    ),
    (
        "zero-shot-classification",
        "facebook/bart-large-mnli",
        lambda c: c.zero_shot_classification("It is sunny today", ["sunny", "rainy", "cloudy"]),
        _check_zero_shot,
    ),
    (
        "token-classification",
        "dslim/bert-base-NER",
        lambda c: c.token_classification("My name is Sarah, I live in Paris"),
        _check_tokens,
    ),
    (
        "fill-mask",
        "google-bert/bert-base-uncased",
        lambda c: c.fill_mask("Paris is [MASK]."),
        _check_fill_mask,
    ),
    (
        "question-answering",
        "deepset/roberta-base-squad2",
        lambda c: c.question_answering(question="Who went home?", context="Alice went home early"),
        lambda out: (out.answer, out.start, out.end) == ("Alice", 0, 5) and isinstance(out.score, float),
    ),
    (
        "summarization",
        "facebook/bart-large-cnn",
        lambda c: c.summarization("one two three four five six seven eight nine ten eleven twelve thirteen"),
        lambda out: out.summary_text == "one two three four five six seven eight nine ten eleven twelve",
    ),
    (
        "translation",
        "Helsinki-NLP/opus-mt-en-fr",
        lambda c: c.translation("Hello world"),
        lambda out: out.translation_text == "traduction : Hello world",
    ),
    (
        "automatic-speech-recognition",
        "openai/whisper-tiny",
        lambda c: c.automatic_speech_recognition(b"RIFF\x00\x01fake-wav"),
        lambda out: out.text == "sandbox transcript of 14 bytes of audio",
    ),
    (
        "text-generation",
        "openai-community/gpt2",
        lambda c: c.text_generation("Once upon a time"),
        lambda out: out == "Once upon a time" + CONTINUATION,
    ),
    (
        "text-generation",
        "meta-llama/Llama-3.2-1B-Instruct",
        lambda c: c.chat_completion(CHAT, max_tokens=50),
        lambda out: (
            (out.choices[0].message.role, out.choices[0].message.content, out.choices[0].finish_reason)
            == ("assistant", "Sandbox reply to: What is a sandbox?", "stop")
            and out.usage.completion_tokens == 7
        ),
    ),
]


@pytest.mark.parametrize(
    ("task", "repository", "call", "check"), TASKS, ids=[t[0] for t in TASKS[:-1]] + ["chat"]
)
def test_each_task_answers_in_the_shape_inference_client_parses(
    deploy: Deploy,
    token: str,
    task: str,
    repository: str,
    call: Callable[[InferenceClient], Any],
    check: Callable[[Any], Any],
) -> None:
    url = deploy("task-endpoint", task, repository)
    for client in (InferenceClient(model=url, token=token), InferenceClient(base_url=url, token=token)):
        out = call(client)
        assert check(out) is not False, out


def test_text_classification_is_nested_for_the_task_api_and_flat_for_a_bare_body(
    deploy: Deploy, client: httpx.Client, token: str
) -> None:
    url = deploy("sst2", "text-classification", "distilbert/sst2")
    flat = client.post(url, json={"inputs": "I am happy"}).json()
    nested = client.post(url, json={"inputs": "I am happy", "parameters": {}}).json()
    assert nested == [flat] and flat[0]["label"] == "POSITIVE"
    # endpointctl's own smoke check accepts both; InferenceClient unwraps the nested one.
    assert shape_problem("text-classification", flat) is None
    assert shape_problem("text-classification", nested) is None
    top = InferenceClient(model=url, token=token).text_classification("This is awful", top_k=1)
    assert [(e.label, e.score) for e in top] == [("NEGATIVE", 0.9987)]


def test_zero_shot_scores_each_label_alone_when_multi_label(deploy: Deploy, token: str) -> None:
    url = deploy("nli", "zero-shot-classification", "facebook/bart-large-mnli")
    out = InferenceClient(model=url, token=token).zero_shot_classification(
        "sunny and cloudy", ["rainy", "sunny", "cloudy"], multi_label=True
    )
    assert {e.label for e in out if e.score > 0.5} == {"sunny", "cloudy"}


def test_feature_extraction_answers_what_the_client_turns_into_an_array(
    deploy: Deploy, client: httpx.Client
) -> None:
    # The body InferenceClient.feature_extraction sends (its parameters at the root, None ones dropped); the
    # client only wraps the answer in a numpy array, and numpy is not a dependency of ours.
    url = deploy("bge", "feature-extraction", "BAAI/bge-small-en-v1.5")
    out = client.post(url, json={"inputs": "hello", "normalize": True}).json()
    assert len(out) == 1 and len(out[0]) == 16 and all(isinstance(x, float) for x in out[0])
    assert sum(x * x for x in out[0]) == pytest.approx(1.0, abs=1e-4)


# -- TGI streams ------------------------------------------------------------------------------------


def test_tgi_streams_tokens_in_order_with_the_final_text_and_details_on_the_last(
    tgi: str, token: str
) -> None:
    client = InferenceClient(base_url=tgi, token=token)
    stream = list(client.text_generation("Hello", stream=True, details=True, return_full_text=False))
    assert [e.index for e in stream] == list(range(1, len(stream) + 1))
    assert all(e.generated_text is None and e.details is None for e in stream[:-1])
    text = "".join(e.token.text for e in stream)
    assert text == CONTINUATION and stream[-1].generated_text == text
    assert all(isinstance(e.token.id, int) and e.token.special is False for e in stream)
    last = stream[-1].details
    assert (last.finish_reason, last.generated_tokens, last.input_length) == ("eos_token", len(stream), 1)


def test_tgi_root_streams_plain_tokens_and_keeps_the_prompt_in_the_final_text(tgi: str, token: str) -> None:
    client = InferenceClient(model=tgi, token=token)
    tokens = list(client.text_generation("Tell me", stream=True))
    assert all(isinstance(t, str) for t in tokens) and "".join(tokens) == CONTINUATION
    # TGI's `/` defaults return_full_text to true for a text-generation model; so does the whole answer.
    final = list(client.text_generation("Tell me", stream=True, details=True))[-1].generated_text
    assert final == "Tell me" + CONTINUATION == client.text_generation("Tell me")


def test_max_new_tokens_cuts_the_stream_with_finish_reason_length(tgi: str, token: str) -> None:
    client = InferenceClient(model=tgi, token=token)
    stream = list(client.text_generation("Hi", stream=True, details=True, max_new_tokens=3))
    assert [e.token.text for e in stream] == [" and", " the", " sandbox"]
    assert stream[-1].details.finish_reason == "length"
    whole = client.text_generation("Hi", details=True, max_new_tokens=3, return_full_text=False)
    assert whole.generated_text == " and the sandbox" and whole.details.generated_tokens == 3
    assert [t.text for t in whole.details.tokens] == [" and", " the", " sandbox"]
    with pytest.raises(ValidationError):
        client.text_generation("Hi", max_new_tokens=0)


def test_generate_answers_an_object_and_generate_stream_the_same_tokens(
    tgi: str, client: httpx.Client
) -> None:
    whole = client.post(f"{tgi}/generate", json={"inputs": "Hi", "parameters": {"details": True}}).json()
    assert isinstance(whole, dict) and whole["generated_text"] == CONTINUATION
    assert whole["details"]["finish_reason"] == "eos_token"
    root = client.post(tgi, json={"inputs": "Hi"}).json()
    assert root == [{"generated_text": "Hi" + CONTINUATION}]
    for path, body in (
        ("/generate_stream", {"inputs": "Hi"}),
        ("/generate", {"inputs": "Hi", "stream": True}),
    ):
        payloads = events(client.post(f"{tgi}{path}", json=body))
        assert "[DONE]" not in payloads  # TGI's generate stream ends without one
        parsed = [json.loads(p) for p in payloads]
        assert [p["token"]["text"] for p in parsed] == [t["text"] for t in whole["details"]["tokens"]]
        assert parsed[-1]["generated_text"] == whole["generated_text"]


def test_a_pipeline_text_generation_endpoint_streams_too(deploy: Deploy, token: str) -> None:
    url = deploy("gpt2", "text-generation", "openai-community/gpt2")
    client = InferenceClient(model=url, token=token)
    assert "".join(client.text_generation("Once", stream=True)) == CONTINUATION


# -- OpenAI streams ---------------------------------------------------------------------------------


def test_chat_streams_deltas_that_join_into_the_whole_reply(tgi: str, token: str) -> None:
    client = InferenceClient(base_url=tgi, token=token)
    whole = client.chat_completion(CHAT).choices[0].message.content
    chunks = list(client.chat_completion(CHAT, stream=True))
    assert "".join(c.choices[0].delta.content for c in chunks) == whole
    assert all(c.object == "chat.completion.chunk" and c.choices[0].delta.role == "assistant" for c in chunks)
    assert [c.choices[0].finish_reason for c in chunks] == [None] * (len(chunks) - 1) + ["stop"]
    assert len({c.id for c in chunks}) == 1 and chunks[0].model == "meta-llama/Llama-3.2-1B-Instruct"
    # The OpenAI-style spelling of the same call.
    again = client.chat.completions.create(messages=CHAT, stream=True)
    assert "".join(c.choices[0].delta.content for c in again) == whole


def test_chat_stream_ends_with_done_and_reports_usage_when_asked(tgi: str, client: httpx.Client) -> None:
    body = {"model": "tgi", "messages": CHAT, "stream": True, "stream_options": {"include_usage": True}}
    payloads = events(client.post(f"{tgi}/v1/chat/completions", json=body))
    assert payloads[-1] == "[DONE]" and payloads.count("[DONE]") == 1
    usage = json.loads(payloads[-2])
    assert usage["choices"] == [] and usage["usage"]["completion_tokens"] == len(payloads) - 2


def test_chat_max_tokens_finishes_with_length(tgi: str, token: str) -> None:
    client = InferenceClient(model=tgi, token=token)  # held: a collected client closes its open streams
    chunks = list(client.chat_completion(CHAT, stream=True, max_tokens=2))
    assert [c.choices[0].delta.content for c in chunks] == ["Sandbox", " reply"]
    assert chunks[-1].choices[0].finish_reason == "length"


def test_completions_whole_and_streamed(tgi: str, client: httpx.Client) -> None:
    body = {"model": "tgi", "prompt": "Once", "max_tokens": 4}
    whole = client.post(f"{tgi}/v1/completions", json=body).json()
    assert whole["object"] == "text_completion"
    assert (whole["choices"][0]["text"], whole["choices"][0]["finish_reason"]) == (
        " and the sandbox model",
        "length",
    )
    payloads = events(client.post(f"{tgi}/v1/completions", json={**body, "stream": True}))
    assert payloads[-1] == "[DONE]"
    chunks = [json.loads(p) for p in payloads[:-1]]
    assert "".join(c["choices"][0]["text"] for c in chunks) == whole["choices"][0]["text"]
    assert chunks[-1]["choices"][0]["finish_reason"] == "length"
    echoed = client.post(f"{tgi}/v1/completions", json={**body, "echo": True}).json()
    assert echoed["choices"][0]["text"] == "Once and the sandbox model"


# -- what TGI and vLLM images add -------------------------------------------------------------------


@pytest.mark.parametrize(("image", "max_total"), [(TGI_IMAGE, 8192), (VLLM_IMAGE, 4096)], ids=["tgi", "vllm"])
def test_generation_servers_describe_themselves(
    deploy: Deploy, client: httpx.Client, token: str, image: dict[str, Any], max_total: int
) -> None:
    url = deploy("llm", "text-generation", "Qwen/Qwen2.5-0.5B-Instruct", image)
    hf = InferenceClient(model=url, token=token, provider="hf-inference")
    info = hf.get_endpoint_info()
    assert info["model_id"] == "Qwen/Qwen2.5-0.5B-Instruct" and len(info["model_sha"]) == 40
    assert info["max_total_tokens"] == max_total and info["max_input_tokens"] < max_total
    assert info["model_pipeline_tag"] == "text-generation" and isinstance(info["version"], str)
    assert hf.health_check() is True
    listed = client.get(f"{url}/v1/models").json()
    assert listed["object"] == "list" and [m["id"] for m in listed["data"]] == ["Qwen/Qwen2.5-0.5B-Instruct"]
    assert listed["data"][0]["object"] == "model"
    assert client.post(f"{url}/generate", json={"inputs": "x"}).json() == {"generated_text": CONTINUATION}


def test_a_pipeline_image_has_no_info_nor_models(deploy: Deploy, client: httpx.Client, token: str) -> None:
    url = deploy("sst2", "text-classification", "distilbert/sst2")
    with pytest.raises(HfHubHTTPError) as caught:
        InferenceClient(model=url, token=token, provider="hf-inference").get_endpoint_info()
    assert caught.value.response.status_code == 404
    assert client.get(f"{url}/v1/models").status_code == 404
    # And /generate there is just another path into the task pipeline.
    assert client.post(f"{url}/generate", json={"inputs": "good"}).json()[0]["label"] == "POSITIVE"


# -- the proxy in front of the new routes -----------------------------------------------------------

STREAMS = [
    ("", {"inputs": "Hi", "stream": True}),
    ("/generate_stream", {"inputs": "Hi"}),
    ("/v1/chat/completions", {"messages": CHAT, "stream": True}),
    ("/v1/completions", {"prompt": "Hi", "stream": True}),
]
NEW_ROUTES = [
    ("GET", "/info", None),
    ("GET", "/v1/models", None),
    ("POST", "/generate", {"inputs": "Hi"}),
] + [("POST", path, body) for path, body in STREAMS]


def test_a_paused_endpoint_refuses_streaming(tgi: str, client: httpx.Client, token: str) -> None:
    assert client.post(f"{NS}/llama-tgi/pause").status_code == 200
    hf = InferenceClient(model=tgi, token=token)
    for call in (
        lambda: list(hf.text_generation("Hi", stream=True)),
        lambda: list(hf.chat_completion(CHAT, stream=True)),
    ):
        with pytest.raises(HfHubHTTPError) as caught:
            call()
        assert caught.value.response.status_code == 400
    for path, body in STREAMS:
        r = client.post(f"{tgi}{path}", json=body)
        assert (r.status_code, r.json()) == (400, {"error": "Bad Request: Invalid state"}), path


def test_a_stream_from_zero_waits_for_the_replica_when_asked(
    tgi: str, client: httpx.Client, clock: ManualClock
) -> None:
    client.post(f"{NS}/llama-tgi/scale-to-zero")
    cold = client.post(f"{tgi}/generate_stream", json={"inputs": "Hi"})
    assert (cold.status_code, cold.json()) == (
        503,
        {"error": "Endpoint is scaling up", "estimated_time": 1.0},
    )
    client.post(f"{NS}/llama-tgi/scale-to-zero")
    before = clock.now()
    held = client.post(f"{tgi}/generate_stream", json={"inputs": "Hi"}, headers={"X-Scale-Up-Timeout": "30"})
    assert json.loads(events(held)[-1])["generated_text"] == CONTINUATION
    assert clock.now() - before == pytest.approx(1.0)


@pytest.mark.usefixtures("no_ambient_token")
def test_a_private_endpoint_refuses_callers_without_a_token_on_the_new_routes(
    deploy: Deploy, token: str
) -> None:
    url = deploy(
        "secret-llm", "text-generation", "meta-llama/Llama-3.2-1B-Instruct", TGI_IMAGE, type="private"
    )
    for method, path, body in NEW_ROUTES:
        statuses = [
            httpx.request(method, f"{url}{path}", json=body, headers=headers).status_code
            for headers in (
                {},
                {"Authorization": f"Bearer {OUTSIDER_TOKEN}"},
                {"Authorization": f"Bearer {token}"},
            )
        ]
        assert statuses == [401, 403, 200], (method, path)
    anonymous = InferenceClient(model=url, provider="hf-inference")
    for call in (
        lambda: list(anonymous.text_generation("Hi", stream=True)),
        lambda: list(anonymous.chat_completion(CHAT, stream=True)),
        anonymous.get_endpoint_info,
    ):
        with pytest.raises(HfHubHTTPError) as caught:
            call()
        assert caught.value.response.status_code == 401


# -- any text survives the trip ---------------------------------------------------------------------

PIECES = ["\n", "\r\n", "\r", "\u2028", "\u2029", "\x85", "\x0b", "data: [DONE]", "\n\n", " ", "é", "日本"]
PROMPTS = st.lists(
    st.one_of(st.characters(blacklist_categories=("Cs",)), st.sampled_from(PIECES)), max_size=30
).map("".join)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(prompt=PROMPTS)
def test_any_prompt_streams_back_intact(tgi: str, token: str, prompt: str) -> None:
    client = InferenceClient(model=tgi, token=token)
    stream = list(client.text_generation(prompt, stream=True, details=True))
    assert stream[-1].generated_text == prompt + "".join(e.token.text for e in stream)
    reply = "".join(
        c.choices[0].delta.content
        for c in client.chat_completion([{"role": "user", "content": prompt}], stream=True)
    )
    assert reply == "Sandbox reply to: " + prompt


# -- malformed bodies: a 4xx, never a 500 or a traceback ----------------------------------------------

MALFORMED: list[bytes] = [
    b"",
    b"not json",
    b"\xff\xfe",
    b"[1, 2]",
    b'"text"',
    b"null",
    b"42",
    b'{"stream": true}',
    b'{"stream": true, "inputs": 7}',
    b'{"stream": true, "inputs": "hi", "parameters": [1]}',
    b'{"stream": true, "inputs": "hi", "parameters": {"max_new_tokens": -1}}',
    b'{"stream": true, "inputs": "hi", "parameters": {"max_new_tokens": 1e400}}',
    b'{"stream": true, "messages": []}',
    b'{"stream": true, "messages": "hi"}',
    b'{"stream": true, "messages": [7], "max_tokens": "3"}',
    b'{"stream": true, "messages": [{"content": [1, null, {"text": 2}]}]}',
    b'{"stream": true, "prompt": [1]}',
    b'{"stream": true, "prompt": "x", "max_tokens": true}',
    b'{"stream": true, "prompt": "x", "stream_options": [1]}',
    b'{"stream": true, "messages": [{"content": "x"}], "stream_options": {"include_usage": "yes"}}',
    b'{"stream": "yes", "inputs": "x"}',
]
ROUTES = ["/", "/generate", "/generate_stream", "/v1/chat/completions", "/v1/completions"]


@pytest.mark.parametrize("image", ["tgi", "vllm"])
def test_malformed_bodies_on_the_streaming_routes_are_4xx_never_a_crash(deploy: Deploy, image: str) -> None:
    url = deploy(
        f"gen-{image}",
        "text-generation",
        "meta-llama/Llama-3.2-1B-Instruct",
        TGI_IMAGE if image == "tgi" else VLLM_IMAGE,
    )
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    bad: list[tuple[str, bytes, int, str]] = []
    with httpx.Client(timeout=10) as http:
        for route in ROUTES:
            for body in MALFORMED:
                r = http.post(url.rstrip("/") + route, content=body, headers=headers)
                if r.status_code >= 500 or "Traceback" in r.text:
                    bad.append((route, body, r.status_code, r.text[:200]))
    assert bad == []


TASK_MODELS = [
    ("text-classification", "distilbert/distilbert-base-uncased-finetuned-sst-2-english"),
    ("zero-shot-classification", "facebook/bart-large-mnli"),
    ("token-classification", "dslim/bert-base-NER"),
    ("fill-mask", "google-bert/bert-base-uncased"),
    ("question-answering", "deepset/roberta-base-squad2"),
    ("summarization", "facebook/bart-large-cnn"),
    ("translation", "Helsinki-NLP/opus-mt-en-fr"),
    ("feature-extraction", "BAAI/bge-small-en-v1.5"),
    ("sentence-similarity", "sentence-transformers/all-MiniLM-L6-v2"),
]
TASK_BODIES: list[bytes] = [
    *MALFORMED,
    b'{"inputs": "x", "parameters": [1]}',
    b'{"inputs": "x", "parameters": "p"}',
    b'{"inputs": "x", "parameters": {"candidate_labels": ","}}',
    b'{"inputs": "x", "parameters": {"candidate_labels": []}}',
    b'{"inputs": "x", "parameters": {"candidate_labels": [1]}}',
    b'{"inputs": "x", "parameters": {"top_k": "3"}}',
    b'{"inputs": {"question": "q", "context": 7}}',
    b'{"inputs": {"source_sentence": "a", "sentences": [1, null]}}',
    b'{"inputs": []}',
]


@pytest.mark.parametrize(("task", "repository"), TASK_MODELS)
def test_malformed_bodies_on_every_task_are_4xx_never_a_crash(
    deploy: Deploy, task: str, repository: str
) -> None:
    url = deploy(task.replace("-", "")[:20], task, repository)
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    bad: list[tuple[bytes, int, str]] = []
    with httpx.Client(timeout=10) as http:
        for body in TASK_BODIES:
            r = http.post(url, content=body, headers=headers)
            if r.status_code >= 500 or "Traceback" in r.text:
                bad.append((body, r.status_code, r.text[:200]))
    assert bad == []
