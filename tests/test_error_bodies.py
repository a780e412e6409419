"""An error answer is read by its status, whatever its body (hub/error_bodies).

huggingface_hub reads an error's JSON body for a message before raising the error of its status; a body
of a shape it does not expect made that reading fail instead, so a gateway's 503 with `null`, a list or
JSON nested 5,000 deep was never retried and read as "an answer endpointctl cannot read".
"""

from __future__ import annotations

import json
import pathlib
from typing import Any

import httpx2
import pytest
from clirunner import Cli
from huggingface_hub.errors import HfHubHTTPError
from huggingface_hub.utils import hf_raise_for_status
from hypothesis import given
from hypothesis import strategies as st
from test_cli_apply import manifest, write

from endpointctl.hub.error_bodies import readable_error_body
from endpointctl.sandbox import Request, Response, Sandbox

LIST = "GET /v2/endpoint/{namespace}"
GET = "GET /v2/endpoint/{namespace}/{name}"

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
# Values under the keys huggingface_hub reads, in every shape, so each branch of its reading is met.
ERRORISH = st.dictionaries(
    st.sampled_from(["error", "errors", "error_description", "message"]),
    JSON | st.lists(st.dictionaries(st.sampled_from(["message", "code"]), JSON, max_size=2), max_size=3),
    max_size=3,
)
ODD = [
    b"[1]",
    b"null",
    b'"text"',
    b"[" * 5000 + b"]" * 5000,
    b'{"a":' * 3000 + b"1" + b"}" * 3000,
    b"\xff\xfe{",
]


def _raised(status: int, body: bytes) -> BaseException:
    response = httpx2.Response(status, content=body, request=httpx2.Request("GET", "https://api.test/x"))
    try:
        hf_raise_for_status(response)
    except Exception as error:
        return error
    raise AssertionError("no error raised")


def _given(status: int, body: bytes) -> bytes:
    readable = readable_error_body(status, body)
    return body if readable is None else readable


@given(status=st.sampled_from([400, 401, 403, 404, 409, 429, 500, 502, 503]), body=JSON | ERRORISH)
def test_any_json_error_body_is_raised_as_its_status(status: int, body: Any) -> None:
    error = _raised(status, _given(status, json.dumps(body).encode()))
    assert isinstance(error, HfHubHTTPError) and error.response.status_code == status, repr(error)


@given(status=st.sampled_from([400, 404, 409, 503]), body=JSON | ERRORISH)
def test_a_body_huggingface_hub_reads_is_kept_as_it_came(status: int, body: Any) -> None:
    """Only what it cannot read is replaced: the server's words, and a quota's 409, stay readable."""
    content = json.dumps(body).encode()
    if isinstance(_raised(status, content), HfHubHTTPError):
        assert _given(status, content) == content


@pytest.mark.parametrize("body", ODD)
def test_a_body_huggingface_hub_cannot_read_is_replaced_by_an_empty_one(body: bytes) -> None:
    assert not isinstance(_raised(503, body), HfHubHTTPError)  # what the replacement is for
    assert _given(503, body) == b""


@pytest.mark.parametrize(
    "body",
    [
        b'{"error": "Endpoint not found"}',
        b'{"error": {"code": 400, "message": "repository gpt2-typo does not exist"}}',
        b'{"errors": [{"message": "Quota exceeded", "code": 7}], "error": 409}',
        b"<html>502 Bad Gateway</html>",
        b"plain words",
    ],
)
def test_a_body_it_reads_is_kept_for_its_message(body: bytes) -> None:
    assert readable_error_body(409, body) is None


def _first_answered(route: str, status: int, body: bytes, times: int = 1) -> Any:
    left = [times]

    def middleware(request: Request, call_next: Any) -> Response:
        if request.route == route and left[0] > 0:
            left[0] -= 1
            return Response(status=status, body=body, headers={"Content-Type": "application/json"})
        return call_next(request)

    return middleware


@pytest.mark.parametrize("body", ODD, ids=["list", "null", "string", "deep-list", "deep-object", "not-utf8"])
def test_a_503_with_an_odd_body_is_retried_like_any_503(cli: Cli, sandbox: Sandbox, body: bytes) -> None:
    sandbox.add_middleware(_first_answered(LIST, 503, body, times=2))
    sandbox.reset_counts()
    result = cli("status", "-o", "json")
    assert result.code == 0, result.all
    assert json.loads(result.stdout) == []
    assert sandbox.counts()[LIST] == 3  # two 503s, then the answer


def test_a_404_with_an_odd_body_is_not_found(cli: Cli, sandbox: Sandbox) -> None:
    sandbox.add_middleware(_first_answered(GET, 404, b"[" * 5000 + b"]" * 5000, times=99))
    result = cli("status", "gpt2-demo", "-o", "json")
    assert result.code == 1, result.all
    assert "not found" in result.stderr and "nested too deeply" not in result.stderr, result.stderr


CREATE = "POST /v2/endpoint/{namespace}"


@pytest.mark.parametrize(
    "body",
    [
        b'{"error": {"message": "Quota exceeded for intel-spr"}}',
        b'{"errors": [{"message": "Quota exceeded for intel-spr", "code": 7}], "error": 409}',
    ],
)
def test_a_quota_409_whose_error_is_not_text_is_still_a_quota(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path, body: bytes
) -> None:
    """Review: replacing every body of a shape it did not expect turned a quota into a name clash."""
    sandbox.add_middleware(_first_answered(CREATE, 409, body, times=99))
    result = cli("apply", write(tmp_path, "m.yaml", manifest()), "--yes", "-o", "json")
    assert result.code == 1, result.all
    (record,) = json.loads(result.stdout)
    assert "quota" in record["error"].lower() and "{}" not in record["error"], record["error"]
    assert sandbox.counts().get(GET, 0) == 0  # not read back as a name that is taken


@pytest.mark.parametrize(
    ("route", "argv"),
    [
        ("GET /v2/endpoint/{namespace}/{name}/logs", ("logs", "gpt2-demo")),
        ("GET /v2/endpoint/{namespace}/{name}/replica", ("replicas", "gpt2-demo")),
    ],
)
@pytest.mark.parametrize("body", [b"null", b"[1]", b"[" * 5000 + b"]" * 5000])
def test_a_503_with_an_odd_body_on_a_streamed_route_is_retried(
    cli: Cli,
    sandbox: Sandbox,
    clock: Any,
    tmp_path: pathlib.Path,
    route: str,
    argv: tuple[str, ...],
    body: bytes,
) -> None:
    assert cli("apply", write(tmp_path, "m.yaml", manifest()), "--yes").code == 0
    clock.advance(10)
    sandbox.add_middleware(_first_answered(route, 503, body, times=1))
    sandbox.reset_counts()
    result = cli(*argv, "-o", "json")
    assert result.code == 0, result.all
    assert sandbox.counts()[route] == 2
