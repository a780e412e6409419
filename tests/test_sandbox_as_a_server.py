"""The sandbox as a server: who may reach it, what it accepts, how many at once, and what it leaves on disk.

It takes any ``hf_`` token, so it listens on loopback unless told otherwise; its control routes need the
sandbox user's token; a body too big or JSON too deep is refused in the API's error shape, with no
traceback; a burst of clients is queued, not reset; its database (secrets in clear) is its owner's only.
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

from endpointctl.sandbox import ManualClock, Sandbox, SandboxConfig
from endpointctl.sandbox.embedded import state_path
from endpointctl.sandbox.limits import LISTEN_BACKLOG, MAX_BODY_BYTES, MAX_JSON_DEPTH, exceeds_depth
from endpointctl.sandbox.server import RemoteNotAllowed, is_loopback
from endpointctl.sandbox.store import Store

ROOT = pathlib.Path(__file__).resolve().parent.parent
TOKEN = "hf_sandbox_test_token_123"
OUTSIDER_TOKEN = "hf_outsider_token_456"
USER = "sandbox-user"
NS = f"/v2/endpoint/{USER}"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
Body = Callable[..., dict[str, Any]]


def nested(depth: int) -> bytes:
    """A JSON object whose innermost value sits ``depth`` arrays/objects deep."""
    return b'{"a":' * (depth - 1) + b"[]" + b"}" * (depth - 1)


def raw_exchange(url: str, request: bytes) -> tuple[int, dict[str, Any]]:
    """Send bytes as they are (what httpx refuses to send) and read the status and the JSON body."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as conn:
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


def test_a_loopback_host_needs_no_flag_and_gets_no_warning(process_env: dict[str, str]) -> None:
    server = serve_process(process_env)
    try:
        assert server.stderr is not None
        assert "serving at http://127.0.0.1:" in server.stderr.readline()
    finally:
        log = stop(server)
    assert "warning" not in log


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
    request = f"POST {NS} HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000000\r\n\r\n".encode()
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
    request = f"POST {NS} HTTP/1.1\r\nHost: x\r\n{headers}\r\n".encode("latin-1") + body
    status, doc = raw_exchange(sandbox_url, request)
    assert status == 400 and "error" in doc


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


def test_hostile_bodies_leave_no_traceback_on_a_served_sandboxs_stderr(process_env: dict[str, str]) -> None:
    server = serve_process(process_env)
    try:
        assert server.stderr is not None
        url = server.stderr.readline().split("serving at ", 1)[1].split()[0]
        with httpx.Client(base_url=url, headers=AUTH, timeout=10) as c:
            assert c.post(NS, content=b"[" * 100_000 + b"]" * 100_000).status_code == 400
            assert c.post(NS, content=b" " * (MAX_BODY_BYTES + 1)).status_code == 413
        raw_exchange(url, TOO_MANY_HEADERS)
    finally:
        log = stop(server)
    assert "Traceback" not in log and "Error" not in log


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
            conn.sendall(
                f"GET /api/whoami-v2 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n\r\n".encode()
            )
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
