"""Server-sent events: generations sent token by token, as TGI and the OpenAI routes stream them.

The whole stream is written at once with the ``text/event-stream`` type (the sandbox has no model to
wait on); a client reads it event by event all the same. Each event is one ``data: <json>`` line and a
blank line. The JSON is ASCII-escaped so that no character of the text (a newline, U+2028, U+0085)
can split an event in a client that breaks lines on more than ``\\n``.

- TGI (``/generate_stream``, or ``/`` and ``/generate`` with ``"stream": true``): one event per token,
  ``{"index", "token": {"id", "text", "logprob", "special"}, "generated_text", "details"}``;
  ``generated_text`` and (when ``details`` is asked for) ``details`` are set on the last event only.
  TGI ends the stream without a ``[DONE]``.
- OpenAI chat: ``chat.completion.chunk`` events with ``choices[].delta``, the last with its
  ``finish_reason``, a usage-only chunk when ``stream_options.include_usage``, then ``data: [DONE]``.
- OpenAI completions: ``text_completion`` events with ``choices[].text``, then ``data: [DONE]``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from . import generation
from .generation import Generation
from .transport import Response

CONTENT_TYPE = "text/event-stream"
DONE = "[DONE]"


def event_stream(events: Iterable[Any], done: bool = False) -> Response:
    frames = [f"data: {json.dumps(event)}\n\n" for event in events]
    if done:
        frames.append(f"data: {DONE}\n\n")
    return Response(
        status=200,
        body="".join(frames).encode(),
        content_type=CONTENT_TYPE,
        headers={"Cache-Control": "no-cache"},
    )


def wants_stream(payload: Any) -> bool:
    return isinstance(payload, dict) and payload.get("stream") is True


def _pieces(gen: Generation) -> tuple[str, ...]:
    # A generation always streams at least one event: the one that carries the final text.
    return gen.tokens or ("",)


def tgi_events(gen: Generation, params: dict[str, Any]) -> list[dict[str, Any]]:
    pieces = _pieces(gen)
    events: list[dict[str, Any]] = []
    for index, piece in enumerate(pieces, start=1):
        last = index == len(pieces)
        details = None
        if last and params.get("details"):
            details = {
                "finish_reason": gen.finish_reason,
                "generated_tokens": len(gen.tokens),
                "seed": gen.seed,
                "input_length": gen.prompt_tokens,
            }
        events.append(
            {
                "index": index,
                "token": generation.token_doc(piece),
                "generated_text": gen.generated_text if last else None,
                "details": details,
            }
        )
    return events


def chat_events(payload: dict[str, Any], repository: str, now: float) -> list[dict[str, Any]]:
    gen = generation.chat(payload)
    head = {
        "id": generation.chat_id(gen),
        "object": "chat.completion.chunk",
        "created": generation.created_at(now),
        "model": repository,
        "system_fingerprint": generation.SYSTEM_FINGERPRINT,
    }
    pieces = _pieces(gen)
    events = [
        {
            **head,
            "choices": [
                {
                    "index": 0,
                    "delta": {"role": "assistant", "content": piece},
                    "logprobs": None,
                    "finish_reason": gen.openai_finish_reason if i == len(pieces) - 1 else None,
                }
            ],
        }
        for i, piece in enumerate(pieces)
    ]
    options = payload.get("stream_options")
    if isinstance(options, dict) and options.get("include_usage") is True:
        events.append({**head, "choices": [], "usage": generation.usage([gen])})
    return events


def completion_events(payload: dict[str, Any], repository: str, now: float) -> list[dict[str, Any]]:
    gens = generation.completions(payload)
    head = {
        "id": generation.completion_id(gens),
        "object": "text_completion",
        "created": generation.created_at(now),
        "model": repository,
        "system_fingerprint": generation.SYSTEM_FINGERPRINT,
    }
    events = []
    for index, gen in enumerate(gens):
        pieces = ((gen.prompt,) if gen.full_text and gen.prompt else ()) + _pieces(gen)
        for i, piece in enumerate(pieces):
            finish = gen.openai_finish_reason if i == len(pieces) - 1 else None
            choice = {"index": index, "text": piece, "logprobs": None, "finish_reason": finish}
            events.append({**head, "choices": [choice]})
    return events
