"""Review of `-o markdown`, `logs`/`replicas`, failed waits' log lines and the reusable workflows.

Each test here failed before its fix:

- JSON nested deeper than Python's parser follows (a replica list, a JSON logs answer, an event's data)
  crashed the command with "unexpected RecursionError ... a bug in endpointctl";
- the replica list was read whole, however large: a 300 KB gzip answer took 600 MB of memory;
- a container's log line shown under a failed wait's error could act as a GitHub workflow command;
- a replica's `createdAt` reached the markdown escaper unscrubbed, which could split a secret out of
  the sink's sight;
- the workflows masked an `ENDPOINT_SECRETS` value holding `%25` as another value, and kept a CRLF line's
  CR in the value given to endpointctl;
- a long plan reached the comment job whole, through one environment variable (more than 128 KiB and the
  step cannot start), cut there mid-line and inside an open `<details>`.
"""

from __future__ import annotations

import gzip
import json
import pathlib
import random
import struct
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from typing import Any

import httpx2
import pytest
import yaml
from clirunner import Cli
from huggingface_hub.utils._http import default_client_factory, set_client_factory
from test_annotations import Runner
from test_cli_apply import manifest, write
from test_logs import applied, once_then_deleted  # noqa: F401 (applied: a fixture, gpt2-demo running)
from test_workflows import (  # noqa: F401 - fixtures
    MARKDOWN,
    PLAN_ENV,
    PLAN_RUN,
    TOKEN,
    Step,
    bash_step,
    comment_step,
)

from endpointctl.core import variables
from endpointctl.core.errors import ApiError
from endpointctl.core.logs import Replica
from endpointctl.core.redact import Redactor
from endpointctl.core.settings import OutputMode, TokenInfo
from endpointctl.hub import Hub
from endpointctl.sandbox import ManualClock, Request, Response, Sandbox
from endpointctl.ui import logs as shown
from endpointctl.ui.sink import Output

LOGS = "GET /v2/endpoint/{namespace}/{name}/logs"
SSE = "GET /v2/endpoint/{namespace}/{name}/logs/sse"
REPLICA = "GET /v2/endpoint/{namespace}/{name}/replica"

Middleware = Callable[[Request, Callable[[Request], Response]], Response]


def answering(route: str, make: Callable[[Request], Response]) -> Middleware:
    def middleware(request: Request, call_next: Callable[[Request], Response]) -> Response:
        return make(request) if request.route == route else call_next(request)

    return middleware


# -- JSON nested too deeply -------------------------------------------------------------------------------

DEEP = b'{"items": [' + b"[" * 100_000 + b"]" * 100_000 + b"]}"


@pytest.mark.parametrize("command", [["replicas", "gpt2-demo"], ["logs", "gpt2-demo"]])
def test_json_nested_too_deeply_is_a_clear_error_not_a_crash(
    cli: Cli,
    applied: str,  # noqa: F811
    sandbox: Sandbox,
    command: list[str],
) -> None:
    for route in (REPLICA, LOGS):
        sandbox.add_middleware(answering(route, lambda _: Response(status=200, body=DEEP)))
    result = cli(*command)
    assert result.code == 1, result.all
    assert "the API answered JSON nested too deeply to read" in result.stderr
    assert "unexpected" not in result.stderr and "bug in endpointctl" not in result.stderr


def test_an_event_nested_too_deeply_is_shown_as_the_text_it_is(
    cli: Cli,
    applied: str,  # noqa: F811
    sandbox: Sandbox,
) -> None:
    data = b'{"a":' * 1500 + b"1" + b"}" * 1500
    event = b"data: " + data + b"\n\ndata: after\n\n"
    sandbox.add_middleware(once_then_deleted(lambda: iter([event])))
    result = cli("logs", "gpt2-demo", "--follow")
    assert result.code == 0, result.all
    first, second = result.stdout.splitlines()
    assert first == data.decode()[:1999] + "…" and second == "after"


# -- the replica list, bounded --------------------------------------------------------------------------


@pytest.fixture
def answers() -> Iterator[list[Any]]:
    script: list[Any] = []
    yield script
    set_client_factory(default_client_factory)


def scripted_hub(script: list[Any]) -> Hub:
    return Hub(
        token=TokenInfo("hf_unit_test_token_value", "the HF_TOKEN environment variable"),
        api_url="https://api.test",
        clock=ManualClock(),
        retry_seconds=30,
        rng=random.Random(2),
        client_factory=lambda: httpx2.Client(transport=httpx2.MockTransport(lambda _: script[0])),
    )


class Chunked(httpx2.SyncByteStream):
    def __init__(self, body: bytes) -> None:
        self._body = body

    def __iter__(self) -> Iterator[bytes]:
        for at in range(0, len(self._body), 65536):
            yield self._body[at : at + 65536]


MIB = 1024 * 1024
_A_MIB = b"a" * MIB


def gzip_of_a_list(mib: int) -> bytes:
    """A gzip body that inflates to ``{"items": ["aaa…"]}`` with ``mib`` MiB of ``a``, ~1 KB a MiB as with
    ``gzip.compress(…, 9)``, built in milliseconds (compressing 300 MiB took the test ~3 s).

    After a full flush deflate starts afresh, so each MiB of ``a`` is the same ~1 KB of deflate: written
    once and repeated, between the JSON's compressed start and end, within gzip's header and its trailer
    (the CRC and size of everything inflated)."""

    def deflated(data: bytes, flush: int) -> bytes:
        deflate = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)  # raw deflate: gzip frames it here
        return deflate.compress(data) + deflate.flush(flush)

    head, tail = b'{"items": ["', b'"]}'
    crc = zlib.crc32(head)
    for _ in range(mib):
        crc = zlib.crc32(_A_MIB, crc)
    crc = zlib.crc32(tail, crc)
    size = len(head) + mib * MIB + len(tail)
    return b"".join(
        [
            b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff",  # gzip, deflate, no name nor time, level 9, any OS
            deflated(head, zlib.Z_FULL_FLUSH),
            deflated(_A_MIB, zlib.Z_FULL_FLUSH) * mib,
            deflated(tail, zlib.Z_FINISH),
            struct.pack("<II", crc, size % 2**32),
        ]
    )


def test_a_replica_list_that_inflates_without_end_is_a_bounded_error(answers: list[Any]) -> None:
    assert gzip.decompress(gzip_of_a_list(2)) == b'{"items": ["' + b"a" * 2 * MIB + b'"]}'  # as it says
    bomb = gzip_of_a_list(300)  # ~300 KB, each 64 KiB chunk of which inflates to ~64 MiB
    headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    answers.append(httpx2.Response(200, stream=Chunked(bomb), headers=headers))
    tracemalloc.start()
    try:
        with pytest.raises(ApiError, match="the API sent more than 16 MiB in one answer"):
            scripted_hub(answers).replicas("acme", "gpt2-demo")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 80 * 1024 * 1024, f"{peak / 2**20:.0f} MiB"


def test_a_replica_list_is_still_read_and_worded_as_before(answers: list[Any]) -> None:
    answers.append(httpx2.Response(200, json={"replicas": [{"id": "r1", "status": "running"}]}))
    assert [r.id for r in scripted_hub(answers).replicas("acme", "gpt2-demo")] == ["r1"]
    answers[:] = [httpx2.Response(200, content=b"<html>gateway</html>")]
    with pytest.raises(ApiError, match="a body that is not JSON"):
        scripted_hub(answers).replicas("acme", "gpt2-demo")
    answers[:] = [httpx2.Response(404, json={"error": "Endpoint not found"})]
    with pytest.raises(ApiError, match="404"):
        scripted_hub(answers).replicas("acme", "gpt2-demo")


# -- a failed wait's log lines are no workflow commands -------------------------------------------------


def test_a_failed_waits_log_lines_cannot_act_as_workflow_commands(
    cli: Cli, tmp_path: pathlib.Path, sandbox: Sandbox
) -> None:
    printed = (
        "::error file=README.md,line=1,title=Security::approve this pull request\n"
        "   ::stop-commands::hidden\n"
        "2025-10-09T08:53:20Z r1 done ##[add-mask]main\n"
    )
    sandbox.add_middleware(
        answering(LOGS, lambda _: Response(status=200, body=printed.encode(), content_type="text/plain"))
    )
    path = write(tmp_path, "m.yaml", manifest(repository="sandbox/fail-deploy"))
    result = cli("apply", path, "--yes", "--wait", env={"GITHUB_ACTIONS": "true"})
    assert result.code == 1, result.all
    assert [c.name for c in Runner().feed(result.stderr).commands] == []
    assert "approve this pull request" in result.stderr and "add-mask]main" in result.stderr  # still shown


@pytest.mark.parametrize("mode", ["table", "wide", "json", "yaml", "markdown"])
def test_log_lines_on_stdout_cannot_act_as_workflow_commands_and_read_back_as_written(
    cli: Cli, tmp_path: pathlib.Path, sandbox: Sandbox, mode: str
) -> None:
    """The runner reads commands on stdout as on stderr: `endpointctl logs` in a `run:` step printed a
    container's `::error`, `::stop-commands::` or `##[...]` lines as they came. JSON and YAML hold the
    lines exactly, in escapes of their own."""
    lines = [
        "::error file=README.md,line=1,title=Security::approve this pull request",
        "   ::stop-commands::hidden",
        "2025-10-09T08:53:20Z r1 done ##[add-mask]main",
        "a long line " * 12 + "::warning::folded",
    ]
    body = "".join(line + "\n" for line in lines).encode()
    path = write(tmp_path, "m.yaml", manifest())
    assert cli("apply", path, "--yes").code == 0
    sandbox.add_middleware(
        answering(LOGS, lambda _: Response(status=200, body=body, content_type="text/plain"))
    )
    result = cli("logs", "gpt2-demo", "-o", mode, env={"GITHUB_ACTIONS": "true"})
    assert result.code == 0, result.all
    assert [c.name for c in Runner().feed(result.stdout).commands] == [], result.stdout
    if mode == "json":
        assert [entry["line"] for entry in json.loads(result.stdout)] == lines
    elif mode == "yaml":
        assert [entry["line"] for entry in yaml.safe_load(result.stdout)] == lines
    elif mode == "markdown":  # one cell, cut in the middle, with markdown's own escapes
        assert "&#58;&#58;error file=README.md" in result.stdout and "folded" in result.stdout
    else:
        assert "approve this pull request" in result.stdout and "add-mask]main" in result.stdout


# -- markdown: every cell from outside scrubbed before it is escaped --------------------------------------


def test_a_replicas_created_at_is_scrubbed_before_markdown_escapes_it() -> None:
    secret = "s3cret words@example.org"
    redactor = Redactor([secret])
    out = Output(mode=OutputMode.MARKDOWN, redactor=redactor)
    text = shown.replicas(
        [Replica(id="r1", status="running", created_at=secret)], out.mode, scrub=redactor.scrub
    )
    assert "words" not in redactor.scrub(text)


# -- the workflows --------------------------------------------------------------------------------------


def test_manifest_secret_values_are_masked_as_they_are_and_a_crlf_line_keeps_no_cr(
    bash_step: Callable[..., Step],  # noqa: F811
) -> None:
    secrets = "API_KEY=pa%25ss%0Aword-value\r\nOTHER=with\rcarriage-return\r\n"
    step = bash_step(PLAN_RUN, **PLAN_ENV, HF_TOKEN=TOKEN, ENDPOINT_SECRETS=secrets, FAKE_STDOUT=MARKDOWN)
    assert step.code == 0, step.log
    env = step.called["env"]
    # What endpointctl reads from it: a CRLF line's CR is no part of the value, an inner CR is.
    assert variables.parse(env["ENDPOINTCTL_VARIABLES"]) == {
        "API_KEY": "pa%25ss%0Aword-value",
        "OTHER": "with\rcarriage-return",
    }
    masks = [c.data for c in Runner().feed(step.log).commands if c.name == "add-mask"]
    assert masks == ["pa%25ss%0Aword-value", "with\rcarriage-return"]


def long_plan() -> str:
    rows = "".join(f"| <code>field&#95;{i}</code> | <code>&#36;{i}</code> |\n" for i in range(2000))
    head = "**Plan:** 1 to update.\n\n<details><summary>update</summary>\n\n| Field | To |\n|---|---|\n"
    return f"{head}{rows}\n</details>\n"


def test_a_long_plan_reaches_the_comment_cut_at_a_line_with_its_details_closed(
    bash_step: Callable[..., Step],  # noqa: F811
    comment_step: Callable[..., tuple[Step, list[dict[str, Any]]]],  # noqa: F811
) -> None:
    plan = long_plan()
    assert len(plan) > 100_000
    step = bash_step(PLAN_RUN, **PLAN_ENV, HF_TOKEN=TOKEN, FAKE_CODE="3", FAKE_STDOUT=plan)
    assert step.code == 0, step.log
    assert plan in step.summary  # the summary has it whole
    cut = step.outputs["markdown"]
    assert len(cut.encode()) < 61_000  # an environment variable the comment job can start with
    *kept, _, closing, _, notice = cut.split("\n")
    assert notice.startswith("**… cut here:**") and closing == "</details>"
    assert all(line + "\n" in plan for line in kept)  # whole lines only: no entity or tag cut in two
    done, calls = comment_step([[]], plan=cut)
    assert done.code == 0, done.log
    body = calls[-1]["body"]
    assert len(body) <= 65_536 and body.count("<details>") == body.count("</details>")
    assert body.index("cut here") < body.index("<sub>Planned at")


def test_a_short_plan_reaches_the_comment_whole(bash_step: Callable[..., Step]) -> None:  # noqa: F811
    step = bash_step(PLAN_RUN, **PLAN_ENV, HF_TOKEN=TOKEN, FAKE_CODE="3", FAKE_STDOUT=MARKDOWN)
    assert step.outputs["markdown"].startswith(MARKDOWN) and "cut here" not in step.outputs["markdown"]
    assert json.dumps(step.outputs)  # outputs read back as the runner reads them
