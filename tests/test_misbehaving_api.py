"""Issue 8, class 4: a misbehaving API cannot hang or mislead the tool.

Loops in pagination, answers trickled byte by byte, an address nothing answers at, answers of the wrong
shape, deletes of what is already gone, a listing that lags behind a create, unusable local state, and
requests to anywhere but the API named: each ends in a bounded, clear error (or the right success), never
in "unexpected ..., this is a bug", and nothing is acted on from a partial reading.
"""

from __future__ import annotations

import json
import pathlib
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from clirunner import Cli
from test_cli_apply import USER, manifest, write

from endpointctl.core.errors import ApiError
from endpointctl.hub import client as hub_client
from endpointctl.hub.reach import FIRST_CONTACT_SECONDS, Reach
from endpointctl.sandbox import Response, Sandbox

LIST = "GET /v2/endpoint/{namespace}"
JSON = {"Content-Type": "application/json"}


def answering(route: str, body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Any:
    def middleware(request: Any, call_next: Callable[[Any], Response]) -> Response:
        if request.route == route:
            raw = body if isinstance(body, bytes) else json.dumps(body).encode()
            return Response(status=status, body=raw, headers=headers or JSON)
        return call_next(request)

    return middleware


def refused_clearly(result: Any, *says: str) -> None:
    assert result.code == 1, result.all
    assert "unexpected" not in result.stderr and "a bug" not in result.stderr, result.stderr
    for words in says:
        assert words in result.stderr, result.stderr


# -- pagination ---------------------------------------------------------------------------------------


def test_a_cursor_that_comes_back_is_a_loop_not_an_endless_listing(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    sandbox.add_middleware(answering(LIST, {"items": [], "nextCursor": "same"}))
    result = cli("apply", write(tmp_path, "m.yaml", manifest()), "--yes")
    refused_clearly(result, "listing endpoints of namespace", "'nextCursor' it had answered before")
    assert sandbox.mutating_count() == 0


def test_a_cursor_that_is_not_text_is_an_error(cli: Cli, sandbox: Sandbox) -> None:
    sandbox.add_middleware(answering(LIST, {"items": [], "nextCursor": {"page": 2}}))
    refused_clearly(cli("status"), "'nextCursor' that is dict, not text")


def test_a_listing_that_never_ends_stops_at_the_page_cap(
    cli: Cli, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    pages: list[int] = []

    def endless(request: Any, call_next: Callable[[Any], Response]) -> Response:
        if request.route == LIST:
            pages.append(1)
            return Response(
                status=200,
                body=json.dumps({"items": [], "nextCursor": f"c{len(pages)}"}).encode(),
                headers=JSON,
            )
        return call_next(request)

    monkeypatch.setattr(hub_client, "MAX_PAGES", 5)
    sandbox.add_middleware(endless)
    refused_clearly(cli("status"), "more than 5 pages")
    assert len(pages) == 5


# -- malformed answers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"items": [{"type": "public"}]}, "'name' is missing"),
        ({"items": [{"name": "x", "status": "running"}]}, "'status' is str, not an object"),
        # A count as text ("two") is unknown for that endpoint (tests/test_a_count_as_text.py), not this.
        (
            {"items": [{"name": "x", "compute": {"scaling": ["minReplica"]}}]},
            "'compute.scaling' is list, not an object",
        ),
        ({"items": ["x"]}, "the endpoint is str, not an object"),
        ({"items": "x"}, "a page without a list of 'items'"),
        (b"<html>a proxy login page</html>", "a body that is not JSON"),
        (b"[1, 2]", "JSON that is not an object"),
    ],
)
def test_a_listing_of_the_wrong_shape_names_the_field_and_the_call(
    cli: Cli, sandbox: Sandbox, body: Any, says: str
) -> None:
    sandbox.add_middleware(answering(LIST, body))
    refused_clearly(
        cli("status", env={"ENDPOINTCTL_RETRY_SECONDS": "0"}), "listing endpoints of namespace", says
    )


def test_a_create_answered_with_something_that_is_not_an_endpoint(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    # Answered without reaching the API: one that made it would be read back by name and adopted.
    def nameless(request: Any, call_next: Callable[[Any], Response]) -> Response:
        if request.route == "POST /v2/endpoint/{namespace}":
            return Response(status=200, body=b'{"unexpected": true}', headers=JSON)
        return call_next(request)

    sandbox.add_middleware(nameless)
    result = cli("apply", write(tmp_path, "m.yaml", manifest()), "--yes", "-o", "json")
    (record,) = json.loads(result.stdout)
    assert record["outcome"] == "failed"
    assert record["error"].startswith(
        "creating endpoint 'sandbox-user/gpt2-demo': the API answered something"
    )
    assert "'name' is missing" in record["error"]
    assert "unexpected" not in result.all


def test_a_redirect_loop_is_an_api_error(cli: Cli, sandbox: Sandbox) -> None:
    here = f"{sandbox.url}/v2/endpoint/{USER}"
    sandbox.add_middleware(answering(LIST, b"", status=307, headers={"Location": here}))
    refused_clearly(cli("status", env={"ENDPOINTCTL_RETRY_SECONDS": "0"}), "listing endpoints of namespace")


# -- an address nothing answers at --------------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_an_api_nothing_answers_at_fails_fast_naming_the_host_and_the_setting(
    clock: Any, tmp_path: pathlib.Path, token: str
) -> None:
    port = _closed_port()
    environ = {
        "ENDPOINTCTL_API_URL": f"http://127.0.0.1:{port}",
        "HF_TOKEN": token,
        "ENDPOINTCTL_STATE_DIR": str(tmp_path),
    }
    start = clock.now()
    result = Cli(environ, clock)("status", "--namespace", "acme")
    refused_clearly(result, f"nothing has answered at 127.0.0.1:{port}", "ENDPOINTCTL_API_URL")
    assert not any(line.rstrip().endswith(";") for line in result.stderr.splitlines()), result.stderr
    assert clock.now() - start <= FIRST_CONTACT_SECONDS  # not the five-minute retry budget
    off = Cli({**environ, "ENDPOINTCTL_RETRY_SECONDS": "0"}, clock)("status", "--namespace", "acme")
    refused_clearly(off, "retries are off (ENDPOINTCTL_RETRY_SECONDS=0)")


# -- deletes, lagging listings ------------------------------------------------------------------------


def test_a_delete_answered_404_is_done(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path, clock: Any
) -> None:
    assert cli("apply", write(tmp_path, "m.yaml", manifest()), "--yes").code == 0
    clock.advance(10)
    sandbox.add_middleware(answering("DELETE /v2/endpoint/{namespace}/{name}", {"error": "gone"}, status=404))
    result = cli("delete", "gpt2-demo", "--yes", "-o", "json")
    assert result.code == 0, result.all
    assert json.loads(result.stdout)[0]["outcome"] == "ok"


def test_a_created_endpoint_the_listing_does_not_show_yet_is_waited_for(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    hidden = {"lists": 0}

    def lagging(request: Any, call_next: Callable[[Any], Response]) -> Response:
        response = call_next(request)
        if request.route == LIST:
            hidden["lists"] += 1
            if hidden["lists"] <= 3:  # the listing before the create, and two polls after it
                return Response(status=200, body=b'{"items": []}', headers=JSON)
        return response

    sandbox.add_middleware(lagging)
    result = cli("apply", write(tmp_path, "m.yaml", manifest()), "--yes", "--wait", "-o", "json")
    assert result.code == 0, result.all
    assert json.loads(result.stdout)[0]["wait"]["outcome"] == "ready"
    assert "does not list it yet" in result.stderr


# -- local state --------------------------------------------------------------------------------------


def test_a_state_dir_that_cannot_hold_locks_is_a_usage_error(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    not_a_dir = tmp_path / "a-file"
    not_a_dir.write_text("")
    result = cli(
        "apply", write(tmp_path, "m.yaml", manifest()), "--yes", env={"ENDPOINTCTL_STATE_DIR": str(not_a_dir)}
    )
    assert result.code == 2, result.all
    assert f"cannot keep locks in {not_a_dir}" in result.stderr and "ENDPOINTCTL_STATE_DIR" in result.stderr
    assert sum(sandbox.counts().values()) == 0


# -- a total deadline per request ---------------------------------------------------------------------


@pytest.fixture
def trickling() -> Iterator[tuple[str, list[int]]]:
    """A server that answers one byte of its headers at a time, a little under the read timeout apart."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    sent: list[int] = []
    stop = threading.Event()

    def serve() -> None:
        connection, _ = server.accept()
        with connection:
            connection.recv(65536)
            for byte in b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" * 20:
                if stop.wait(0.05):  # the hostile server's own pace
                    return
                try:
                    connection.sendall(bytes([byte]))
                except OSError:  # the client hung up: what the test wants
                    return
                sent.append(byte)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}", sent
    stop.set()
    server.close()
    thread.join(timeout=10)


@pytest.mark.timeout(30)
def test_a_server_trickling_its_answer_cannot_hold_a_request_past_the_timeout(
    trickling: tuple[str, list[int]], clock: Any, token: str, tmp_path: pathlib.Path
) -> None:
    url, sent = trickling
    environ = {
        "ENDPOINTCTL_API_URL": url,
        "HF_TOKEN": token,
        # Each read would wait 0.2 s, four times the server's pace (a byte every 0.05 s): only a total
        # deadline ends the request. Short, as the test waits it out.
        "ENDPOINTCTL_REQUEST_TIMEOUT": "0.2",
        "ENDPOINTCTL_RETRY_SECONDS": "0",
        "ENDPOINTCTL_STATE_DIR": str(tmp_path),
    }
    result = Cli(environ, clock)("status", "--namespace", "acme")
    assert result.code == 1, result.all
    assert "nothing within 0.2 s" in result.stderr
    assert len(sent) < 40  # hung up after about 0.2 s of bytes, not at the end of the 1000-byte header


@pytest.mark.timeout(30)
def test_a_deployed_url_trickling_its_answer_cannot_hold_a_call_past_the_timeout(
    trickling: tuple[str, list[int]], sandbox: Sandbox, clock: Any, token: str, tmp_path: pathlib.Path
) -> None:
    """The data plane's calls have the same total deadline as the API's."""
    url, sent = trickling
    environ = {"ENDPOINTCTL_API_URL": sandbox.url, "HF_TOKEN": token, "ENDPOINTCTL_STATE_DIR": str(tmp_path)}
    cli = Cli(environ, clock)
    assert cli("apply", write(tmp_path, "a.yaml", manifest("a")), "--yes").code == 0
    clock.advance(10)
    # As above: reads of 0.2 s each would never end it, a byte coming every 0.05 s.
    result = cli(
        "invoke", "a", "--url", url, "--data", '{"inputs": "x"}', env={"ENDPOINTCTL_REQUEST_TIMEOUT": "0.2"}
    )
    assert result.code == 1, result.all
    assert "no answer within 0.2 s" in result.stderr
    assert len(sent) < 40  # hung up after about 0.2 s of bytes, not at the end of the 1000-byte header


# -- nothing but the API named ------------------------------------------------------------------------

# One process runs the commands in turn, each through the CLI's entry point as the console script calls
# it, and reports the hosts each one connected to; at exit (after huggingface_hub's exit functions: this
# one was registered before them) it reports every host the process connected to. After each command it
# closes huggingface_hub's shared client, as that library's exit function does at the end of a process,
# so the next command opens its own connections (else it reuses the last one's, and connects nowhere).
# One interpreter for both commands: ~0.6 s less than one each.
_WATCH = """
import socket, sys
contacted = []
real = socket.create_connection
def create_connection(address, *args, **kwargs):
    contacted.append(address[0])
    return real(address, *args, **kwargs)
socket.create_connection = create_connection
import atexit, json
atexit.register(lambda: sys.stderr.write("CONTACTED " + json.dumps(sorted(set(contacted))) + "\\n"))
from endpointctl.cli import main
for argv in json.loads(sys.argv[1]):
    before = len(contacted)
    code = main(argv)
    from huggingface_hub import close_session  # imported by the command, as in a process of its own
    close_session()
    report = {"argv": argv, "code": code, "contacted": sorted(set(contacted[before:]))}
    sys.stderr.write("COMMAND " + json.dumps(report) + "\\n")
"""


def test_with_an_api_url_no_request_goes_anywhere_else(
    sandbox: Sandbox, token: str, tmp_path: pathlib.Path
) -> None:
    env = {
        "ENDPOINTCTL_API_URL": sandbox.url,
        "HF_TOKEN": token,
        "ENDPOINTCTL_STATE_DIR": str(tmp_path),
        "HF_HOME": str(tmp_path),
    }
    path = write(tmp_path, "m.yaml", manifest())
    commands = [["apply", path, "--yes"], ["status"]]
    run = subprocess.run(
        [sys.executable, "-c", _WATCH, json.dumps(commands)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    reports = [
        json.loads(line.split(" ", 1)[1]) for line in run.stderr.splitlines() if line.startswith("COMMAND ")
    ]
    assert [r["argv"] for r in reports] == commands, run.stderr
    for report in reports:
        assert report["code"] == 0, run.stderr
        assert report["contacted"] == ["127.0.0.1"], report
    contacted = json.loads(run.stderr.rsplit("CONTACTED ", 1)[1])
    assert contacted == ["127.0.0.1"], contacted


@pytest.mark.parametrize("hint", [None, "", "set ENDPOINTCTL_RETRY_SECONDS"])
def test_the_hint_for_an_address_nothing_answers_at_ends_in_words(hint: str | None) -> None:
    """An error with no hint of its own got "...any proxy; " with nothing after the separator (review)."""
    explained = Reach("http://127.0.0.1:9", "ENDPOINTCTL_API_URL").explain(ApiError("no answer", hint=hint))
    assert explained.hint is not None
    assert explained.hint.startswith("check ENDPOINTCTL_API_URL, the network and any proxy")
    assert not explained.hint.rstrip().endswith(";")
    assert explained.hint.endswith(hint or "proxy")
