"""The sandbox as a server: who may reach it, what it accepts, how many at once, and what it leaves on disk.

It takes any ``hf_`` token, so it listens on loopback unless told otherwise, and answers only requests
addressed to a loopback name (a browser page using DNS rebinding is not); its control routes need the
sandbox user's token; a body too big or JSON too deep is refused in the API's error shape, with no
traceback, and the depth check costs one pass however hostile the body; a client that goes silent or
trickles its request is disconnected; a burst of clients is queued, not reset; its database (secrets in
clear) is its owner's only.
"""

from __future__ import annotations

import json
import logging
import os
import pathlib
import signal
import socket
import stat
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from typing import IO, Any

import httpx2 as httpx
import pytest
from clirunner import Cli
from hypothesis import given
from hypothesis import strategies as st

from endpointctl.sandbox import ManualClock, Sandbox, SandboxConfig, limits
from endpointctl.sandbox.embedded import state_path
from endpointctl.sandbox.limits import (
    LISTEN_BACKLOG,
    MAX_BODY_BYTES,
    MAX_JSON_DEPTH,
    MAX_TRAILER_LINES,
    REQUEST_TIMEOUT_SECONDS,
    exceeds_depth,
)
from endpointctl.sandbox.loopback import names_loopback
from endpointctl.sandbox.server import RemoteNotAllowed, is_loopback
from endpointctl.sandbox.store import Store

ROOT = pathlib.Path(__file__).resolve().parent.parent
TOKEN = "hf_sandbox_test_token_123"
OUTSIDER_TOKEN = "hf_outsider_token_456"
USER = "sandbox-user"
NS = f"/v2/endpoint/{USER}"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
Body = Callable[..., dict[str, Any]]
WHOAMI = f"GET /api/whoami-v2 HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {TOKEN}\r\n\r\n".encode()


def nested(depth: int) -> bytes:
    """A JSON object whose innermost value sits ``depth`` arrays/objects deep."""
    return b'{"a":' * (depth - 1) + b"[]" + b"}" * (depth - 1)


def connect(url: str, timeout: float = 10) -> socket.socket:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    return socket.create_connection((host.strip("[]"), int(port)), timeout=timeout)


def raw_exchange(url: str, request: bytes) -> tuple[int, dict[str, Any]]:
    """Send bytes as they are (what httpx refuses to send) and read the status and the JSON body."""
    with connect(url) as conn:
        conn.sendall(request)
        received = b""
        while chunk := conn.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    assert b"content-type: application/json" in head.lower(), head
    doc: dict[str, Any] = json.loads(body)
    return status, doc


# -- only on loopback, unless asked -----------------------------------------------------------------


@given(st.ip_addresses())
def test_only_loopback_addresses_count_as_loopback(address: Any) -> None:
    assert is_loopback(str(address)) == address.is_loopback
    if address.version == 6:
        assert is_loopback(f"[{address}]") == address.is_loopback


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "127.8.9.10", "::1", "[::1]"])
def test_loopback_hosts(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["", "0.0.0.0", "::", "192.0.2.1", "example.com", "localhost.example.com"])
def test_every_interface_a_public_address_and_any_name_are_remote(host: str) -> None:
    assert not is_loopback(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "", "::", "192.0.2.1", "example.com"])
def test_serve_refuses_a_remote_host_without_allow_remote(cli: Cli, host: str) -> None:
    # 192.0.2.1 is not an address of this machine: had serve tried to bind it, it would fail otherwise.
    result = cli("sandbox", "serve", "--host", host, "--port", "0")
    assert result.code == 2, result.all
    assert "--allow-remote" in result.stderr and "not a loopback address" in result.stderr
    assert "serving at" not in result.all


def test_the_sandbox_itself_refuses_a_remote_host_unless_allowed(tmp_path: pathlib.Path) -> None:
    with Sandbox(SandboxConfig(db_path=tmp_path / "db.sqlite")) as sb:
        with pytest.raises(RemoteNotAllowed):
            sb.bind("0.0.0.0")
        url = sb.bind("0.0.0.0", allow_remote=True)
        assert url.startswith("http://127.0.0.1:")


def serve_process(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "endpointctl", "sandbox", "serve", "--port", "0", *args],
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
    )


def stop(server: subprocess.Popen[str]) -> str:
    """SIGINT, the exit code checked, and everything the server wrote on stderr."""
    server.send_signal(signal.SIGINT)
    # 130 if the signal beat serve to its wait loop (it ends the start-up); 0 once serve is waiting.
    assert server.wait(timeout=20) in (0, 130)
    stream: IO[str] | None = server.stderr
    assert stream is not None
    return stream.read()


@pytest.fixture
def process_env(tmp_path: pathlib.Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "ENDPOINTCTL_"))}
    env["XDG_STATE_HOME"] = str(tmp_path / "state")
    return env


def test_a_refused_remote_host_creates_and_binds_nothing(process_env: dict[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "endpointctl", "sandbox", "serve", "--host", "0.0.0.0"],
        env=process_env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert result.returncode == 2
    assert "--allow-remote" in result.stderr and "Traceback" not in result.stderr
    assert not pathlib.Path(process_env["XDG_STATE_HOME"]).exists()  # no state directory, no database


def test_allow_remote_serves_every_interface_and_warns(process_env: dict[str, str]) -> None:
    server = serve_process(process_env, "--host", "0.0.0.0", "--allow-remote")
    try:
        assert server.stderr is not None
        url = server.stderr.readline().split("serving at ", 1)[1].split()[0]
        warning = server.stderr.readline()
        assert warning.startswith("warning: ")
        assert "'0.0.0.0'" in warning and "anyone who can reach the address" in warning
        assert httpx.get(f"{url}/api/whoami-v2", headers=AUTH, timeout=10).status_code == 200
    finally:
        log = stop(server)
    assert "Traceback" not in log


def test_a_loopback_host_needs_no_flag_and_gets_no_warning_and_hostile_bodies_no_traceback(
    process_env: dict[str, str],
) -> None:
    """Served with no flag, the sandbox listens on loopback and warns of nothing; bodies too deep, too big
    or with too many headers leave no traceback on its stderr. One process for both: a start of the CLI
    costs more than either check."""
    server = serve_process(process_env)
    try:
        assert server.stderr is not None
        first = server.stderr.readline()
        assert "serving at http://127.0.0.1:" in first
        url = first.split("serving at ", 1)[1].split()[0]
        with httpx.Client(base_url=url, headers=AUTH, timeout=10) as c:
            assert c.post(NS, content=b"[" * 100_000 + b"]" * 100_000).status_code == 400
            assert c.post(NS, content=b" " * (MAX_BODY_BYTES + 1)).status_code == 413
        raw_exchange(url, TOO_MANY_HEADERS)
    finally:
        log = stop(server)
    assert "warning" not in log
    assert "Traceback" not in log and "Error" not in log


# -- the readings of the unconfirmed API, chosen by `sandbox serve`'s flags ---------------------------


def _scaled_to_zero_since_yesterday(state: pathlib.Path, endpoint_body: Body) -> str:
    """A database holding 'night' (0 to 2 replicas configured), scaled to zero on a ManualClock long ago:
    the state a ``sandbox serve`` is then started on, with no wall time spent deploying. Its updatedAt."""
    clock = ManualClock(start=1_760_000_000.0)
    with Sandbox(SandboxConfig(db_path=state, phases={}, clock=clock)) as setup:
        url = setup.start(host="127.0.0.1", port=0)
        with httpx.Client(base_url=url, headers=AUTH, timeout=10) as c:
            assert c.post(NS, json=endpoint_body("night", minReplica=0, maxReplica=2)).status_code == 200
            clock.advance(60)
            assert c.post(f"{NS}/night/scale-to-zero").status_code == 200
            status: dict[str, Any] = c.get(f"{NS}/night").json()["status"]
    assert status["state"] == "scaledToZero"
    return str(status["updatedAt"])


@pytest.mark.parametrize(
    ("flags", "zero_replicas", "wake_moves", "empty_tags"),
    [
        ((), False, False, "clear"),  # the defaults, unchanged
        (("--zero-replicas-unless-running",), True, False, "clear"),
        (("--wake-moves-updated-at",), False, True, "clear"),
        (("--no-zero-replicas-unless-running", "--no-wake-moves-updated-at"), False, False, "clear"),
        (("--empty-tags", "ignore"), False, False, "ignore"),
        (("--empty-tags=refuse",), False, False, "refuse"),
    ],
)
def test_serve_flags_choose_the_reading_the_served_sandbox_answers_with(
    process_env: dict[str, str],
    endpoint_body: Body,
    flags: tuple[str, ...],
    zero_replicas: bool,
    wake_moves: bool,
    empty_tags: str,
) -> None:
    """Each flag reaches the server on its own, seen over HTTP: the replicas of an endpoint scaled to zero
    (its configured 0/2, or 0/0), its updatedAt once a request has woken it (kept, or moved), and what an
    update sending an empty tag list does (tags cleared, kept, or a 422)."""
    directory = pathlib.Path(process_env["XDG_STATE_HOME"]) / "endpointctl"
    directory.mkdir(mode=0o700, parents=True)
    slept_at = _scaled_to_zero_since_yesterday(directory / "sandbox.sqlite", endpoint_body)
    server = serve_process(process_env, *flags)
    try:
        assert server.stderr is not None
        url = server.stderr.readline().split("serving at ", 1)[1].split()[0]
        with httpx.Client(base_url=url, headers=AUTH, timeout=10) as c:
            doc = c.get(f"{NS}/night").json()
            assert doc["status"]["state"] == "scaledToZero"
            scaling = doc["compute"]["scaling"]
            assert (scaling["minReplica"], scaling["maxReplica"]) == ((0, 0) if zero_replicas else (0, 2))
            assert c.post(doc["status"]["url"], json={"inputs": "hello"}).status_code == 503  # woken: loading
            woken = c.get(f"{NS}/night").json()["status"]
            assert woken["state"] != "scaledToZero"
            assert (woken["updatedAt"] != slept_at) is wake_moves
            assert c.put(f"{NS}/night", json={"tags": ["team=nlp"]}).json()["tags"] == ["team=nlp"]
            emptied = c.put(f"{NS}/night", json={"tags": []})
            assert emptied.status_code == (422 if empty_tags == "refuse" else 200)
            assert c.get(f"{NS}/night").json()["tags"] == ([] if empty_tags == "clear" else ["team=nlp"])
    finally:
        log = stop(server)
    assert ("answering minReplica and maxReplica as 0" in log) is zero_replicas
    assert ("wakes an endpoint scaled to zero moves its updatedAt" in log) is wake_moves
    assert ("an update sending an empty tag list" in log) is (empty_tags != "clear")


# -- control routes need the sandbox's token -------------------------------------------------------

CONTROL_ROUTES = [
    ("GET", "/_sandbox/counts"),
    ("POST", "/_sandbox/counts/reset"),
    ("POST", "/_sandbox/reset"),
    ("PUT", f"/_sandbox/dataplane/{USER}/my-endpoint"),
    ("DELETE", f"/_sandbox/dataplane/{USER}/my-endpoint"),
]


@pytest.mark.parametrize(("method", "path"), CONTROL_ROUTES)
def test_control_routes_need_the_sandbox_users_token(sandbox_url: str, method: str, path: str) -> None:
    body = {"status": 502} if method == "PUT" else None
    cases = {
        None: 401,
        "Basic aGY6eA==": 401,
        "Bearer not-a-token": 401,
        f"Bearer {OUTSIDER_TOKEN}": 403,
        f"Bearer {TOKEN}": 200,
        "Bearer hf_any_other_token_of_the_user": 200,
    }
    for authorization, expected in cases.items():
        headers = {} if authorization is None else {"Authorization": authorization}
        r = httpx.request(method, f"{sandbox_url}{path}", json=body, headers=headers, timeout=10)
        assert r.status_code == expected, (authorization, r.text)
        assert isinstance(r.json(), dict)
        if expected != 200:
            assert "token" in r.json()["error"]


def test_a_refused_control_call_changes_nothing(
    sandbox: Sandbox, client: httpx.Client, endpoint_body: Body
) -> None:
    assert client.post(NS, json=endpoint_body()).status_code == 200
    assert httpx.post(f"{sandbox.url}/_sandbox/reset", timeout=10).status_code == 401
    assert httpx.post(f"{sandbox.url}/_sandbox/counts/reset", timeout=10).status_code == 401
    assert [item["name"] for item in client.get(NS).json()["items"]] == ["my-endpoint"]
    assert sandbox.counts()["POST /v2/endpoint/{namespace}"] == 1


# -- only requests addressed to loopback (DNS rebinding) -----------------------------------------------


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def with_host(
    url: str, method: str, path: str, host: str | None, token: str = TOKEN
) -> tuple[int, dict[str, Any]]:
    """One request naming ``host`` in its Host header (None: no Host header, as HTTP/1.0 allows)."""
    host_line = "" if host is None else f"Host: {host.format(port=port_of(url))}\r\n"
    version = "HTTP/1.0" if host is None else "HTTP/1.1"
    head = f"{method} {path} {version}\r\n{host_line}Authorization: Bearer {token}\r\nContent-Length: 0\r\n"
    return raw_exchange(url, f"{head}Connection: close\r\n\r\n".encode())


# What a page in the user's browser sends once its own name resolves to 127.0.0.1, and its relatives.
FOREIGN_HOSTS = [
    "attacker.example",
    "attacker.example:{port}",
    "127.0.0.1.nip.io:{port}",
    "localhost.attacker.example:{port}",
    "0.0.0.0:{port}",
    "[::]:{port}",
    "192.0.2.1:{port}",
    "127.0.0.1:{port}@attacker.example",
    "",
]


@pytest.mark.parametrize("host", FOREIGN_HOSTS)
def test_dns_rebinding_a_request_addressed_to_another_name_is_refused(
    sandbox: Sandbox, client: httpx.Client, endpoint_body: Body, host: str
) -> None:
    assert client.post(NS, json=endpoint_body()).status_code == 200
    sandbox.reset_counts()
    for method, path in [
        ("POST", "/_sandbox/reset"),
        ("GET", "/api/whoami-v2"),
        ("DELETE", f"{NS}/my-endpoint"),
    ]:
        status, doc = with_host(sandbox.url, method, path, host)
        assert status == 403, (method, path, doc)
        assert "loopback" in doc["error"] and "--allow-remote" in doc["error"]
    assert [item["name"] for item in client.get(NS).json()["items"]] == ["my-endpoint"]  # nothing reset
    assert sandbox.counts() == {"GET /v2/endpoint/{namespace}": 1}  # refused before routing


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1:{port}",
        "127.0.0.1",
        "localhost:{port}",
        "LocalHost",
        "[::1]:{port}",
        "[::1]",
        "127.8.9.10:{port}",
    ],
)
def test_loopback_names_and_addresses_are_answered(sandbox_url: str, host: str) -> None:
    status, doc = with_host(sandbox_url, "GET", "/api/whoami-v2", host)
    assert status == 200 and doc["name"] == USER
    status, doc = with_host(sandbox_url, "POST", "/_sandbox/counts/reset", host)
    assert status == 200


def test_a_request_without_a_host_header_is_answered(sandbox_url: str) -> None:
    # HTTP/1.0 may leave Host out; a browser never does, so no page can use this.
    status, doc = with_host(sandbox_url, "GET", "/api/whoami-v2", None)
    assert status == 200 and doc["name"] == USER


def test_two_host_headers_are_refused(sandbox_url: str) -> None:
    request = b"GET /api/whoami-v2 HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: attacker.example\r\n\r\n"
    status, doc = raw_exchange(sandbox_url, request)
    assert status == 400 and "Host" in doc["error"]


def test_huggingface_hub_and_httpx_clients_of_a_loopback_url_are_answered(
    sandbox_url: str, endpoint_body: Body
) -> None:
    from huggingface_hub import HfApi

    api = HfApi(endpoint=sandbox_url, token=TOKEN)
    assert api.whoami()["name"] == USER
    for base in (sandbox_url, sandbox_url.replace("127.0.0.1", "localhost")):
        assert httpx.get(f"{base}/api/whoami-v2", headers=AUTH, timeout=10).status_code == 200


def test_a_sandbox_started_with_allow_remote_answers_any_host_name(tmp_path: pathlib.Path) -> None:
    with Sandbox(SandboxConfig(db_path=tmp_path / "db.sqlite")) as sb:
        url = sb.start("127.0.0.1", allow_remote=True)
        status, doc = with_host(url, "GET", "/api/whoami-v2", "sandbox.lan:{port}")
        assert status == 200 and doc["name"] == USER


@given(st.ip_addresses(), st.none() | st.integers(min_value=0, max_value=65535))
def test_a_host_header_names_loopback_exactly_when_its_address_is(address: Any, port: int | None) -> None:
    host = f"[{address}]" if address.version == 6 else str(address)
    header = host if port is None else f"{host}:{port}"
    assert names_loopback(header) == address.is_loopback


# -- bounded bodies ----------------------------------------------------------------------------------


def test_a_body_over_the_limit_is_413_in_the_apis_error_shape(client: httpx.Client, sandbox: Sandbox) -> None:
    sandbox.reset_counts()
    r = client.post(NS, content=b" " * (MAX_BODY_BYTES + 1), headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    assert str(MAX_BODY_BYTES) in r.json()["error"]
    assert sandbox.counts() == {}  # refused before routing: no handler saw it


def test_a_body_at_the_limit_is_read(client: httpx.Client) -> None:
    document = b'{"name": "x"}'
    padded = document + b" " * (MAX_BODY_BYTES - len(document))
    r = client.post(NS, content=padded, headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and "413" not in r.text  # the spec's complaint, not the size's


def test_a_chunked_body_over_the_limit_is_413(client: httpx.Client) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(MAX_BODY_BYTES // 65536 + 1):
            yield b" " * 65536

    r = client.post(NS, content=chunks(), headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and "error" in r.json()


def test_a_declared_length_over_the_limit_is_refused_without_reading_it(sandbox_url: str) -> None:
    # Claims 10 GB and sends nothing more: the answer comes at once, not after waiting for the body.
    request = f"POST {NS} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10000000000\r\n\r\n".encode()
    status, doc = raw_exchange(sandbox_url, request)
    assert status == 413 and "error" in doc


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        ("Content-Length: -5\r\n", b""),
        ("Content-Length: many\r\n", b""),
        ("Content-Length: \u00b2\r\n", b""),
        ("Transfer-Encoding: chunked\r\n", b"zz\r\nhello\r\n0\r\n\r\n"),
        ("Transfer-Encoding: chunked\r\n", b"-1\r\n"),
        ("Transfer-Encoding: chunked\r\n", b"1" * 5000 + b"\r\n"),
    ],
)
def test_a_malformed_body_framing_is_400(sandbox_url: str, headers: str, body: bytes) -> None:
    request = f"POST {NS} HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}\r\n".encode("latin-1") + body
    status, doc = raw_exchange(sandbox_url, request)
    assert status == 400 and "error" in doc


def chunked_with_trailer(lines: int, end: bool) -> bytes:
    head = f"POST /_sandbox/counts/reset HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {TOKEN}\r\n"
    trailer = b"X-Trailer: y\r\n" * lines + (b"\r\n" if end else b"")
    return f"{head}Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n".encode() + b"0\r\n" + trailer


def test_a_chunked_trailer_that_never_ends_is_400(sandbox_url: str) -> None:
    # Once, the server read trailer lines for as long as the client sent them.
    status, doc = raw_exchange(sandbox_url, chunked_with_trailer(MAX_TRAILER_LINES + 1, end=False))
    assert status == 400 and f"more than {MAX_TRAILER_LINES} trailer lines" in doc["error"]
    status, doc = raw_exchange(sandbox_url, chunked_with_trailer(MAX_TRAILER_LINES, end=True))
    assert status == 200


TOO_MANY_HEADERS = b"GET / HTTP/1.1\r\n" + b"".join(b"X-%d: y\r\n" % i for i in range(101)) + b"\r\n"


def test_what_http_server_refuses_itself_is_answered_in_json(sandbox_url: str) -> None:
    status, doc = raw_exchange(sandbox_url, TOO_MANY_HEADERS)
    assert status == 431 and "error" in doc
    status, doc = raw_exchange(sandbox_url, b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n")
    assert status == 414 and "error" in doc


# -- bounded JSON depth --------------------------------------------------------------------------------


def test_json_nested_past_the_limit_is_400(client: httpx.Client) -> None:
    headers = {"Content-Type": "application/json"}
    r = client.post(NS, content=nested(MAX_JSON_DEPTH + 1), headers=headers)
    assert r.status_code == 400
    assert f"nested deeper than {MAX_JSON_DEPTH} levels" in r.json()["error"]
    at_limit = client.post(NS, content=nested(MAX_JSON_DEPTH), headers=headers)
    assert at_limit.status_code == 400 and "nested" not in at_limit.json()["error"]


def test_json_nested_past_the_limit_is_400_on_the_data_plane_and_control_routes(
    sandbox: Sandbox, client: httpx.Client, clock: ManualClock, endpoint_body: Body
) -> None:
    assert client.post(NS, json=endpoint_body()).status_code == 200
    clock.advance(10)
    url = client.get(f"{NS}/my-endpoint").json()["status"]["url"]
    assert client.post(url, json={"inputs": "fine"}).status_code == 200
    headers = {"Content-Type": "application/json"}
    deep = nested(MAX_JSON_DEPTH + 1)
    r = client.post(url, content=deep, headers=headers)
    assert r.status_code == 400 and "nested deeper" in r.json()["error"]
    r = client.put(f"/_sandbox/dataplane/{USER}/my-endpoint", content=deep, headers=headers)
    assert r.status_code == 400 and "nested deeper" in r.json()["error"]


def reference_depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((reference_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((reference_depth(v) for v in value), default=0)
    return 0


# Strings full of brackets, quotes and backslashes: none of them may count as nesting.
tricky_text = st.text(alphabet=st.sampled_from('[]{}"\\ab/\n\u00e9'), max_size=12)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | tricky_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(tricky_text, inner, max_size=3),
    max_leaves=40,
)


@given(json_values, st.integers(min_value=0, max_value=12), st.booleans())
def test_the_depth_check_agrees_with_the_parsed_document(value: Any, limit: int, ascii_only: bool) -> None:
    document = json.dumps(value, ensure_ascii=ascii_only).encode()
    assert exceeds_depth(document, limit) == (reference_depth(value) > limit)


MEBIBYTE = 1024 * 1024


def hostile_strings(size: int) -> list[bytes]:
    """Bodies of ``size`` bytes that once made the depth check restart a scan at every quote."""
    pairs = size // 2
    return [
        b'"' + b'\\"' * pairs,  # a string that never ends, each of its quotes escaped
        b'["' + b'\\"' * pairs,
        b'{"a":"' + b'\\"' * pairs,
        b'"' * (2 * pairs),  # empty strings back to back
        b'"\\' * pairs,
    ]


# A hang guard only: once, the first of these took hours. By signal, not by the suite's watchdog thread:
# the old check spent them inside one regex call, holding the GIL such a thread would need to fire.
@pytest.mark.timeout(10, method="signal")
def test_hostile_json_a_mebibyte_of_escaped_quotes_is_checked_in_one_pass(client: httpx.Client) -> None:
    for document in hostile_strings(MEBIBYTE - 8):
        assert not exceeds_depth(document)
    headers = {"Content-Type": "application/json"}
    r = client.post(NS, content=hostile_strings(MEBIBYTE - 8)[0], headers=headers)
    assert r.status_code == 400 and "Invalid JSON body" in r.json()["error"]
    # Closing its string lets the brackets after it count again.
    assert exceeds_depth(hostile_strings(MEBIBYTE - 8)[0] + b'"' + nested(MAX_JSON_DEPTH + 1))


def lines_run(function: Callable[..., object], *args: object) -> int:
    """How many lines of ``function`` run for ``args``: a count of its work, with no clock in it."""
    code = function.__code__
    count = 0

    def in_function(frame: Any, event: str, arg: object) -> Any:
        nonlocal count
        if event == "line":
            count += 1
        return in_function

    def calls(frame: Any, event: str, arg: object) -> Any:
        return in_function if frame.f_code is code else None

    previous = sys.gettrace()
    sys.settrace(calls)
    try:
        function(*args)
    finally:
        sys.settrace(previous)
    return count


@pytest.mark.parametrize("shape", range(len(hostile_strings(2))))
def test_hostile_json_the_depth_checks_work_grows_with_the_body_not_its_square(shape: int) -> None:
    small, large = (lines_run(exceeds_depth, hostile_strings(size)[shape]) for size in (4096, 4 * 4096))
    assert large <= 4 * small + 10  # quadratic work would be 16 times as much
    # And a handful of lines per byte, whatever the shape: each byte is looked at once.
    assert large <= 8 * 4 * 4096


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32"])
def test_hostile_json_in_another_encoding_cannot_hide_its_depth(client: httpx.Client, encoding: str) -> None:
    # U+2200 holds a quote's byte (0x22) in UTF-16 and UTF-32: read byte-wise, the string seems to end
    # there, and the brackets after it seem inside one. json.loads would take these and recurse.
    document = ('["\u2200",' + "[" * 5000 + "]" * 5000 + "]").encode(encoding)
    with pytest.raises(ValueError):
        limits.loads(document)
    r = client.post(NS, content=document, headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and "Invalid JSON body" in r.json()["error"]


def test_json_in_utf8_with_a_byte_order_mark_is_read() -> None:
    assert limits.loads('{"a": ["\u00e9"]}'.encode("utf-8-sig")) == {"a": ["\u00e9"]}


# -- no traceback, whatever the body -------------------------------------------------------------------


def test_hostile_bodies_leave_no_traceback_in_the_log_or_on_stderr(
    sandbox: Sandbox,
    client: httpx.Client,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG, logger="endpointctl.sandbox")
    headers = {"Content-Type": "application/json"}
    # 100 000 levels: json.loads would raise RecursionError, once a 500 with a traceback.
    assert client.post(NS, content=b"[" * 100_000 + b"]" * 100_000, headers=headers).status_code == 400
    assert client.post(NS, content=b"[" * 200_000, headers=headers).status_code == 400
    assert client.post(NS, content=b"x" * (MAX_BODY_BYTES * 3), headers=headers).status_code == 413
    assert client.post(NS, content=b"\xff\xfe not utf-8", headers=headers).status_code == 400
    raw_exchange(sandbox.url, f"POST {NS} HTTP/1.1\r\nContent-Length: nope\r\n\r\n".encode())
    raw_exchange(sandbox.url, TOO_MANY_HEADERS)
    assert client.get("/api/whoami-v2").status_code == 200  # still serving
    assert not [record for record in caplog.records if record.exc_info]
    assert not [record for record in caplog.records if record.levelno >= logging.WARNING]
    captured = capfd.readouterr()
    assert "Traceback" not in captured.err + captured.out


# The same bodies on a served sandbox's stderr: ``test_a_loopback_host_needs_no_flag_...`` above.


# -- many clients at once ----------------------------------------------------------------------------


def test_forty_concurrent_clients_get_no_connection_resets(
    sandbox: Sandbox, sandbox_url: str, endpoint_body: Body
) -> None:
    clients = 40
    start = threading.Barrier(clients)
    failures: list[BaseException] = []
    statuses: list[int] = []
    lock = threading.Lock()

    def one_client(i: int) -> None:
        # Half in the user's namespace, half in the org's: 20 x1 CPUs each, within each one's quota.
        namespace = f"/v2/endpoint/{USER if i % 2 else 'acme'}"
        body = endpoint_body(f"burst-{i}", instanceSize="x1")
        try:
            # Each on its own new connection, all opened at the same moment.
            with httpx.Client(base_url=sandbox_url, headers=AUTH, timeout=30) as c:
                start.wait(timeout=30)
                codes = [
                    c.post(namespace, json=body).status_code,
                    c.get(namespace).status_code,
                    c.get(f"{namespace}/burst-{i}").status_code,
                ]
            with lock:
                statuses.extend(codes)
        except BaseException as error:  # a reset, a timeout: all kept for the assertion
            with lock:
                failures.append(error)

    threads = [threading.Thread(target=one_client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    assert statuses == [200] * (3 * clients)
    assert sandbox.counts()["POST /v2/endpoint/{namespace}"] == clients
    assert sandbox.mutating_count() == clients


def test_forty_connections_wait_in_the_listen_queue_before_the_server_accepts(
    tmp_path: pathlib.Path, clock: ManualClock
) -> None:
    # Bound but not yet accepting: every connection must fit in the kernel's queue. With the standard
    # library's backlog of 5, the rest are dropped (or reset, on some systems) instead of waiting.
    sb = Sandbox(SandboxConfig(db_path=tmp_path / "db.sqlite", clock=clock))
    url = sb.bind()
    port = int(url.rsplit(":", 1)[1])
    assert LISTEN_BACKLOG >= 40
    waiting: list[socket.socket] = []
    serving: threading.Thread | None = None
    try:
        for _ in range(40):
            # The handshake completes only if the kernel queues the connection for accept().
            conn = socket.create_connection(("127.0.0.1", port), timeout=5)
            waiting.append(conn)
            conn.sendall(WHOAMI)
        serving = threading.Thread(target=sb.serve_forever)
        serving.start()
        for conn in waiting:
            assert conn.recv(64).startswith(b"HTTP/1.1 200 ")
    finally:
        for conn in waiting:
            conn.close()
        sb.stop()
        if serving is not None:
            serving.join(timeout=5)
        sb.close()


# -- slow and silent clients ------------------------------------------------------------------------------

# The request timeout of the sandboxes below, so that each of these tests waits a tenth of a second
# for the server to act, not thirty. Only the client's pacing is measured against it (the slowloris
# sends a byte every tenth of it); the server's own reads and writes are of bytes already there.
QUICK = 0.1
# ... except where other clients must still be waiting (``test_slow_clients_others_are_answered_...``):
# its requests go out after its fifty connections are open, and the fifty must outlast them, however
# busy the machine.
PATIENT = 0.5
# How long a test waits to see a connection closed: the server's closing takes one timeout; the rest
# is room for a loaded machine, spent only when the server fails to close it.
SEEN_WITHIN = 10.0


def _sandbox_url(directory: pathlib.Path, clock: ManualClock, timeout: float) -> Iterator[str]:
    config = SandboxConfig(db_path=directory / "db.sqlite", clock=clock, request_timeout=timeout)
    with Sandbox(config) as sb:
        yield sb.start()


@pytest.fixture
def quick_url(tmp_path: pathlib.Path, clock: ManualClock) -> Iterator[str]:
    yield from _sandbox_url(tmp_path, clock, QUICK)


@pytest.fixture
def patient_url(tmp_path: pathlib.Path, clock: ManualClock) -> Iterator[str]:
    yield from _sandbox_url(tmp_path, clock, PATIENT)


def closed_by_the_server(conn: socket.socket) -> bool:
    """Whether the server closes ``conn`` without answering (waiting up to ``SEEN_WITHIN`` to see)."""
    conn.settimeout(SEEN_WITHIN)
    try:
        return conn.recv(65536) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def test_slow_clients_a_connection_that_never_sends_is_closed(
    quick_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="endpointctl.sandbox")
    with connect(quick_url) as conn:
        assert closed_by_the_server(conn)
    assert not [record for record in caplog.records if record.levelno >= logging.WARNING or record.exc_info]


@pytest.mark.parametrize(
    "partial",
    [
        b"GET /api/whoami-v2 HTTP/1.1\r\nHost: 127.0.0.1\r\n",  # the head's blank line never comes
        b"GET /api/whoami-v2 HTT",
        f"POST {NS} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n{{}}".encode(),
        f"POST {NS} HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n".encode(),
    ],
)
def test_slow_clients_a_half_sent_request_is_closed(quick_url: str, partial: bytes) -> None:
    with connect(quick_url) as conn:
        conn.sendall(partial)
        assert closed_by_the_server(conn)


def test_slow_clients_an_idle_keep_alive_connection_is_closed_after_its_answer(quick_url: str) -> None:
    with connect(quick_url) as conn:
        conn.sendall(WHOAMI)
        received = b""
        while b"\r\n\r\n" not in received or not received.endswith(b"}"):  # the head, then the JSON body
            chunk = conn.recv(65536)
            assert chunk, received
            received += chunk
        assert received.startswith(b"HTTP/1.1 200 ")
        assert closed_by_the_server(conn)


def test_slow_clients_a_trickle_of_bytes_each_in_time_is_closed(quick_url: str) -> None:
    # Slowloris: one byte every tenth of the timeout, so no single read ever waits long enough to time
    # out; only a deadline for the whole request ends it. The waits below are the attacker's pacing.
    request = b"GET /api/whoami-v2 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + b"a" * 200
    sent = 0
    with connect(quick_url) as conn:
        conn.settimeout(QUICK / 10)
        closed = False
        while sent < len(request) and not closed:
            try:
                conn.sendall(request[sent : sent + 1])
                sent += 1
                closed = conn.recv(1) == b""
            except TimeoutError:
                continue  # nothing from the server: the pause between two bytes
            except (BrokenPipeError, ConnectionResetError):
                closed = True
    assert closed and sent < len(request)


def test_slow_clients_others_are_answered_while_they_wait_and_after(patient_url: str) -> None:
    waiting = [connect(patient_url) for _ in range(50)]
    try:
        for conn in waiting:
            conn.sendall(b"GET /api/whoami-v2 HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        assert httpx.get(f"{patient_url}/api/whoami-v2", headers=AUTH, timeout=10).status_code == 200
        assert all(closed_by_the_server(conn) for conn in waiting)
        assert httpx.get(f"{patient_url}/api/whoami-v2", headers=AUTH, timeout=10).status_code == 200
    finally:
        for conn in waiting:
            conn.close()


def test_slow_clients_the_default_timeout_leaves_honest_clients_room() -> None:
    assert REQUEST_TIMEOUT_SECONDS == SandboxConfig(db_path=":memory:").request_timeout >= 10


@pytest.mark.parametrize("seconds", [0.0, -1.0, float("nan")])
def test_slow_clients_a_timeout_that_is_not_positive_is_refused(seconds: float) -> None:
    with pytest.raises(ValueError, match="request_timeout"):
        SandboxConfig(db_path=":memory:", request_timeout=seconds)


# -- what it leaves on disk ------------------------------------------------------------------------------


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The most permissive umask, so only the sandbox's own modes can keep its files private."""
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: pathlib.Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_database_is_created_owner_only_with_its_journal(
    tmp_path: pathlib.Path, clock: ManualClock, endpoint_body: Body, open_umask: None
) -> None:
    db = tmp_path / "sandbox.sqlite"
    with Sandbox(SandboxConfig(db_path=db, clock=clock)) as sb:
        url = sb.start()
        assert httpx.post(f"{url}{NS}", json=endpoint_body(), headers=AUTH, timeout=10).status_code == 200
        files = [db, *(p for p in tmp_path.iterdir() if p.name.startswith("sandbox.sqlite-"))]
        assert len(files) >= 2  # the WAL, while the database is open
        assert {p.name: mode(p) for p in files} == {p.name: 0o600 for p in files}


def test_an_existing_database_left_readable_is_tightened(tmp_path: pathlib.Path, open_umask: None) -> None:
    db = tmp_path / "old.sqlite"
    Store(db).close()
    db.chmod(0o644)
    wal = tmp_path / "old.sqlite-wal"
    wal.write_bytes(b"")
    wal.chmod(0o666)
    Store(db).close()
    assert mode(db) == 0o600
    assert not wal.exists() or mode(wal) == 0o600


def test_the_state_directory_the_sandbox_creates_is_owner_only(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch, open_umask: None
) -> None:
    # platformdirs reads XDG_STATE_HOME; the sandbox keeps its file under "<it>/endpointctl/".
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    path = state_path()
    assert path.parent == tmp_path / "state" / "endpointctl"
    assert mode(path.parent) == 0o700
    Store(path).close()
    assert mode(path) == 0o600


@pytest.mark.parametrize("reading", ["", "Clear", "drop", "ignored"])
def test_a_reading_of_empty_tags_the_sandbox_does_not_know_is_refused_when_it_is_set_up(reading: str) -> None:
    with pytest.raises(ValueError, match="empty_tags must be one of"):
        SandboxConfig(db_path=":memory:", empty_tags=reading)
