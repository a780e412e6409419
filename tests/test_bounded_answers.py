"""Every answer is read within a cap, decoded, and read as strict JSON (review of unbounded answers).

Each test here failed before its fix:

- nothing capped an answer of the management API (``hub.deadline`` read it whole: "API answers are small")
  or of a deployed URL (``DeployedClient`` read ``response.content``): an endless listing took `status` to
  6 GB and a MemoryError reported as a bug, an endless model answer took `invoke` to 4 GB, and a small gzip
  body inflating to gigabytes took the same path;
- a model's answer nested a hundred thousand levels deep crashed `smoke` and `invoke` with a
  RecursionError reported as a bug (and `smoke -o json` printed no document);
- a model's answer holding NaN or Infinity was written out again by `invoke -o json` as NaN/Infinity,
  which strict JSON parsers refuse.

The caps are the real ones (16 MiB for the API, 64 MiB for a deployed URL), sent over loopback by the
sandbox; memory is measured with tracemalloc, which sees the in-process sandbox's allocations too.
"""

from __future__ import annotations

import itertools
import json
import tracemalloc
from collections.abc import Callable, Iterator
from typing import Any

import httpx2
import pytest
from clirunner import Cli, Run
from test_logs import answering, applied  # noqa: F401 (a fixture: gpt2-demo deployed and running)
from test_review_output_logs import MIB, gzip_of_a_list

from endpointctl.core.bounded_lines import TooMuch, read_within
from endpointctl.core.defaults import API_ANSWER_BYTES, ENDPOINT_ANSWER_BYTES
from endpointctl.core.security_level import Security
from endpointctl.dataplane.client import (
    MAX_ANSWER_DEPTH,
    DataPlaneError,
    DeployedClient,
    NotJson,
    answer_json,
)
from endpointctl.sandbox import ManualClock, Request, Response, Sandbox

LIST = "GET /v2/endpoint/{namespace}"
INFER = "POST /endpoints/{namespace}/{name}"
GZIP = {"Content-Encoding": "gzip"}


def endless(start: bytes, again: bytes) -> Callable[[Request], Response]:
    """An answer that never ends (the same chunk again and again: nothing allocated to send it)."""

    def make(_: Request) -> Response:
        return Response(status=200, stream=itertools.chain([start], itertools.repeat(again)))

    return make


def fixed(body: bytes, headers: dict[str, str] | None = None) -> Callable[[Request], Response]:
    return lambda _: Response(status=200, body=body, headers=dict(headers or {}))


def measured(run: Callable[[], Run]) -> tuple[Run, int]:
    """What ``run`` returned, and the peak of memory traced meanwhile."""
    tracemalloc.start()
    try:
        result = run()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def strict(text: str) -> Any:
    def refuse(name: str) -> Any:
        raise ValueError(f"{name} in the output")

    return json.loads(text, parse_constant=refuse)


# -- the management API -----------------------------------------------------------------------------


@pytest.mark.timeout(60)  # a hang guard: the answer never ends, so only the cap ends the call
def test_an_endless_listing_is_a_clear_error_within_the_cap(cli: Cli, sandbox: Sandbox) -> None:
    sandbox.add_middleware(answering(LIST, endless(b'{"items": [', b'{"name": "x"},' * 5000)))
    result, peak = measured(lambda: cli("status"))
    assert result.code == 1, result.stderr
    assert (
        "listing endpoints of namespace 'sandbox-user': the API sent more than 16 MiB in one answer; "
        "stopped reading there (the most endpointctl reads of an answer)" in result.stderr
    ), result.stderr
    assert "unexpected" not in result.stderr and "MemoryError" not in result.stderr
    assert result.stdout == ""
    assert peak < 3 * API_ANSWER_BYTES, f"{peak / MIB:.0f} MiB"


@pytest.mark.timeout(60)
def test_a_listing_that_inflates_past_the_cap_is_the_same_error(cli: Cli, sandbox: Sandbox) -> None:
    bomb = gzip_of_a_list(300)  # ~300 KB on the wire, 300 MiB inflated
    assert len(bomb) < API_ANSWER_BYTES // 16
    sandbox.add_middleware(answering(LIST, fixed(bomb, GZIP)))
    result, peak = measured(lambda: cli("status", "-o", "json"))
    assert result.code == 1, result.stderr
    assert "the API sent more than 16 MiB in one answer; stopped reading there" in result.stderr
    assert "unexpected" not in result.stderr
    assert peak < 3 * API_ANSWER_BYTES, f"{peak / MIB:.0f} MiB"


@pytest.mark.usefixtures("applied")
def test_an_answer_under_the_cap_is_read_as_before_gzip_or_not(cli: Cli, sandbox: Sandbox) -> None:
    plain = cli("status", "-o", "json")
    assert plain.code == 0, plain.stderr
    listing = json.loads(plain.stdout)
    assert [item["name"] for item in listing] == ["gpt2-demo"]

    def gzipped(request: Request, call_next: Callable[[Request], Response]) -> Response:
        import gzip

        answer = call_next(request)
        if request.route != LIST:
            return answer
        return Response(status=answer.status, body=gzip.compress(answer.body), headers=dict(GZIP))

    sandbox.add_middleware(gzipped)
    again = cli("status", "-o", "json")
    assert again.code == 0, again.stderr
    assert json.loads(again.stdout) == listing


# -- a deployed endpoint's URL ----------------------------------------------------------------------


@pytest.mark.timeout(90)
@pytest.mark.usefixtures("applied")
def test_an_endless_model_answer_fails_the_invoke_within_the_cap(
    cli: Cli,
    sandbox: Sandbox,
) -> None:
    sandbox.add_middleware(answering(INFER, endless(b"[", b'{"generated_text": "again"},' * 10000)))
    result, peak = measured(lambda: cli("invoke", "gpt2-demo", "--data", '{"inputs": "x"}'))
    assert result.code == 1, result.stderr
    assert "the endpoint answered more than 64 MiB in one answer; stopped reading there" in result.stderr
    assert "unexpected" not in result.stderr and "MemoryError" not in result.stderr
    assert result.stdout == ""
    assert peak < 3 * ENDPOINT_ANSWER_BYTES, f"{peak / MIB:.0f} MiB"


@pytest.mark.timeout(60)
@pytest.mark.usefixtures("applied")
def test_a_model_answer_that_inflates_past_the_cap_fails_the_smoke_test(
    cli: Cli,
    sandbox: Sandbox,
) -> None:
    sandbox.add_middleware(answering(INFER, fixed(gzip_of_a_list(300), GZIP)))
    result, peak = measured(lambda: cli("smoke", "gpt2-demo", "-o", "json"))
    assert result.code == 1, result.stderr
    (record,) = json.loads(result.stdout)
    assert record["verdict"] == "fail"
    assert "the endpoint answered more than 64 MiB in one answer; stopped reading there" in record["reason"]
    assert peak < 3 * ENDPOINT_ANSWER_BYTES, f"{peak / MIB:.0f} MiB"


def test_the_client_stops_reading_at_its_cap_whatever_the_transport() -> None:
    # No deadline transport under it (a library user's client): the client's own read is the bound.
    class Endless(httpx2.SyncByteStream):
        def __iter__(self) -> Iterator[bytes]:
            return itertools.repeat(b"z" * 65536)

    answers = iter([httpx2.Response(200, stream=Endless()), httpx2.Response(200, content=b"x" * MIB)])
    transport = httpx2.MockTransport(lambda _: next(answers))
    client = DeployedClient(None, ManualClock(), transport=transport, max_answer_bytes=MIB)
    with pytest.raises(
        DataPlaneError, match=r"answered more than 1 MiB in one answer; stopped reading there"
    ):
        client.request("POST", "https://e.test/", security=Security.PUBLIC, body={})
    assert client.request("POST", "https://e.test/", security=Security.PUBLIC, body={}).body == b"x" * MIB


def test_reading_within_a_cap_keeps_all_up_to_it_and_nothing_past_it() -> None:
    assert read_within([b"ab", b"cd"], 4) == b"abcd"
    with pytest.raises(TooMuch, match="more than 3 bytes in one answer"):
        read_within([b"ab", b"cd"], 3)
    taken: list[bytes] = []

    def counted() -> Iterator[bytes]:
        for chunk in itertools.repeat(b"x" * 10):
            taken.append(chunk)
            yield chunk

    with pytest.raises(TooMuch):
        read_within(counted(), 25)
    assert len(taken) == 3  # stopped at the chunk that passed the cap


# -- an answer read as JSON -------------------------------------------------------------------------

DEEP = b"[" * 100_000 + b"]" * 100_000
NAN = b'[{"generated_text": "ok", "score": NaN, "other": -Infinity}]'


@pytest.mark.parametrize("levels", [MAX_ANSWER_DEPTH + 1, 500, 990, 100_000])
def test_json_nested_too_deeply_is_not_json_and_never_a_crash(levels: int) -> None:
    with pytest.raises(NotJson, match=f"nested more than {MAX_ANSWER_DEPTH} levels deep"):
        answer_json(b"[" * levels + b"]" * levels)
    assert answer_json(b"[" * MAX_ANSWER_DEPTH + b"]" * MAX_ANSWER_DEPTH) is not None


@pytest.mark.parametrize("text", ["NaN", "Infinity", "-Infinity", "1e999", "-1e400"])
def test_numbers_json_cannot_hold_are_not_json(text: str) -> None:
    with pytest.raises(NotJson):
        answer_json(f'{{"score": {text}}}'.encode())
    assert answer_json(b'{"score": 1e308}') == {"score": 1e308}


@pytest.mark.usefixtures("applied")
def test_a_deeply_nested_answer_fails_the_smoke_test_with_a_document(
    cli: Cli,
    sandbox: Sandbox,
) -> None:
    sandbox.add_middleware(answering(INFER, fixed(DEEP)))
    result = cli("smoke", "gpt2-demo", "-o", "json")
    assert result.code == 1, result.stderr
    assert "unexpected" not in result.stderr and "RecursionError" not in result.stderr
    (record,) = json.loads(result.stdout)
    assert record["verdict"] == "fail"
    assert f"the answer is not JSON (nested more than {MAX_ANSWER_DEPTH} levels deep)" in record["reason"]


@pytest.mark.parametrize("output", ["json", "yaml", "table", "markdown"])
@pytest.mark.usefixtures("applied")
def test_a_deeply_nested_answer_is_shown_as_text_by_invoke(
    cli: Cli,
    sandbox: Sandbox,
    output: str,
) -> None:
    sandbox.add_middleware(answering(INFER, fixed(b"[" * 5000 + b"]" * 5000)))
    result = cli("invoke", "gpt2-demo", "--data", '{"inputs": "x"}', "-o", output)
    assert result.code == 0, result.stderr
    assert "unexpected" not in result.stderr and "RecursionError" not in result.stderr
    if output == "json":
        assert strict(result.stdout)["body"] == "[" * 5000 + "]" * 5000


@pytest.mark.usefixtures("applied")
def test_nan_from_an_endpoint_is_never_written_out_as_json(
    cli: Cli,
    sandbox: Sandbox,
) -> None:
    sandbox.add_middleware(answering(INFER, fixed(NAN)))
    result = cli("invoke", "gpt2-demo", "--data", '{"inputs": "x"}', "-o", "json")
    assert result.code == 0, result.stderr
    record = strict(result.stdout)  # a strict parser reads it: no NaN, no Infinity
    assert record["body"] == NAN.decode()  # the answer as it came, as text
    smoke = cli("smoke", "gpt2-demo", "-o", "json")
    assert smoke.code == 1
    (check,) = strict(smoke.stdout)
    assert "the answer is not JSON (NaN is not JSON (strict parsers refuse it))" in check["reason"]
