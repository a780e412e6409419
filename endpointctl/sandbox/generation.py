"""What the sandbox's language model says, as whole answers in TGI's and OpenAI's shapes.

The model is deterministic: it continues any prompt with ``CONTINUATION`` and replies to a chat with
``"Sandbox reply to: <last message>"``. Text is cut into tokens at word starts (each token is its
leading whitespace plus one word), so the tokens of a text always join back into exactly that text,
whatever its newlines or scripts. ``max_new_tokens`` / ``max_tokens`` cut the tokens (finish reason
``length``). ``streaming`` sends the same generations token by token.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass
from typing import Any

from .transport import ErrorAnswer

CONTINUATION = " and the sandbox model continues the story."
CHAT_PREFIX = "Sandbox reply to: "
SYSTEM_FINGERPRINT = "3.3.4-sha-sandbox"
VOCABULARY = 32_000
_TOKEN = re.compile(r"\s*\S+|\s+")


def invalid(message: str) -> ErrorAnswer:
    """TGI's answer to bad inputs (422, ``error_type: validation``), which InferenceClient parses."""
    return ErrorAnswer(422, f"Input validation error: {message}", error_type="validation")


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def token_id(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "big") % VOCABULARY


def token_doc(text: str) -> dict[str, Any]:
    ident = token_id(text)
    return {"id": ident, "text": text, "logprob": -round(0.01 + (ident % 97) / 100, 4), "special": False}


@dataclass(frozen=True)
class Generation:
    prompt: str
    tokens: tuple[str, ...]
    finish_reason: str  # TGI's: "length", "eos_token" or "stop_sequence"
    full_text: bool = False  # generated_text starts with the prompt (TGI's return_full_text)
    seed: int | None = None

    @property
    def text(self) -> str:
        return "".join(self.tokens)

    @property
    def generated_text(self) -> str:
        return self.prompt + self.text if self.full_text else self.text

    @property
    def prompt_tokens(self) -> int:
        return len(tokens(self.prompt))

    @property
    def openai_finish_reason(self) -> str:
        return "length" if self.finish_reason == "length" else "stop"


def _limit(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise invalid(f"`{name}` must be strictly positive")
    return value


def _cut(prompt: str, text: str, limit: int | None, full_text: bool = False, seed: Any = None) -> Generation:
    pieces = tokens(text)
    finish = "eos_token"
    if limit is not None and limit < len(pieces):
        pieces, finish = pieces[:limit], "length"
    return Generation(prompt, tuple(pieces), finish, full_text, seed if isinstance(seed, int) else None)


# -- TGI: POST / and /generate ----------------------------------------------------------------------


def prompt_of(payload: Any) -> str:
    if not isinstance(payload, dict) or not isinstance(payload.get("inputs"), str):
        raise invalid("`inputs` must be a string")
    return str(payload["inputs"])


def parameters_of(payload: Any) -> dict[str, Any]:
    params = payload.get("parameters") if isinstance(payload, dict) else None
    if params is None:
        return {}
    if not isinstance(params, dict):
        raise invalid("`parameters` must be an object")
    return params


def generate(prompt: str, params: dict[str, Any], full_text_default: bool) -> Generation:
    full_text = params.get("return_full_text")
    return _cut(
        prompt,
        CONTINUATION,
        _limit(params.get("max_new_tokens"), "max_new_tokens"),
        full_text if isinstance(full_text, bool) else full_text_default,
        params.get("seed"),
    )


def tgi_output(gen: Generation, params: dict[str, Any]) -> dict[str, Any]:
    """TGI's ``GenerateResponse``: ``details`` only when asked for."""
    out: dict[str, Any] = {"generated_text": gen.generated_text}
    if params.get("details"):
        prefill = [token_doc(t) for t in tokens(gen.prompt)] if params.get("decoder_input_details") else []
        if prefill:
            prefill[0]["logprob"] = None  # the first prompt token has no probability
            prefill = [{k: v for k, v in p.items() if k != "special"} for p in prefill]
        out["details"] = {
            "finish_reason": gen.finish_reason,
            "generated_tokens": len(gen.tokens),
            "seed": gen.seed,
            "prefill": prefill,
            "tokens": [token_doc(t) for t in gen.tokens],
        }
    return out


# -- OpenAI: /v1/chat/completions and /v1/completions -----------------------------------------------


def _content(message: Any) -> str:
    content = message.get("content") if isinstance(message, dict) else None
    if isinstance(content, list):  # content parts: [{"type": "text", "text": ...}, ...]
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return "" if content is None else str(content)


def chat(payload: Any) -> Generation:
    messages = payload.get("messages") if isinstance(payload, dict) else None
    if not isinstance(messages, list) or not messages:
        raise invalid("`messages` must be a non-empty list")
    last = _content(messages[-1])
    limit = payload.get("max_completion_tokens", payload.get("max_tokens"))
    return _cut(last, CHAT_PREFIX + last, _limit(limit, "max_tokens"), seed=payload.get("seed"))


def completion_prompts(payload: Any) -> list[str]:
    prompt = payload.get("prompt") if isinstance(payload, dict) else None
    if isinstance(prompt, str):
        return [prompt]
    if isinstance(prompt, list) and prompt and all(isinstance(p, str) for p in prompt):
        return list(prompt)
    raise invalid("`prompt` must be a string or a non-empty list of strings")


def completions(payload: Any) -> list[Generation]:
    prompts = completion_prompts(payload)  # first: it refuses a body that is not an object (422, not 500)
    limit = _limit(payload.get("max_tokens"), "max_tokens")
    echo = payload.get("echo") is True
    return [_cut(p, CONTINUATION, limit, echo, payload.get("seed")) for p in prompts]


def _ident(prefix: str, *parts: str) -> str:
    return prefix + hashlib.sha1("\x00".join(parts).encode()).hexdigest()[:12]


def created_at(now: float) -> int:
    return int(now or time.time())


def chat_id(gen: Generation) -> str:
    return _ident("chatcmpl-", gen.prompt)


def completion_id(gens: list[Generation]) -> str:
    return _ident("cmpl-", *(g.prompt for g in gens))


def usage(gens: list[Generation]) -> dict[str, int]:
    prompt = sum(g.prompt_tokens for g in gens)
    completion = sum(len(g.tokens) for g in gens)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def chat_completion(payload: Any, repository: str, now: float) -> dict[str, Any]:
    gen = chat(payload)
    return {
        "id": chat_id(gen),
        "object": "chat.completion",
        "created": created_at(now),
        "model": repository,
        "system_fingerprint": SYSTEM_FINGERPRINT,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": gen.text},
                "logprobs": None,
                "finish_reason": gen.openai_finish_reason,
            }
        ],
        "usage": usage([gen]),
    }


def text_completion(payload: Any, repository: str, now: float) -> dict[str, Any]:
    gens = completions(payload)
    return {
        "id": completion_id(gens),
        "object": "text_completion",
        "created": created_at(now),
        "model": repository,
        "system_fingerprint": SYSTEM_FINGERPRINT,
        "choices": [
            {"index": i, "text": g.generated_text, "logprobs": None, "finish_reason": g.openai_finish_reason}
            for i, g in enumerate(gens)
        ],
        "usage": usage(gens),
    }
