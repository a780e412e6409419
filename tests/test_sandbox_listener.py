"""The sandbox's listener stops when asked, not at its next poll: with an hour between polls, a stop
still ends the loop (the thread is joined within a bound, never slept on)."""

from __future__ import annotations

import http.client
import pathlib
import threading
from http.server import BaseHTTPRequestHandler

import pytest

from endpointctl.sandbox import Sandbox, SandboxConfig
from endpointctl.sandbox.listener import SandboxHTTPServer

HOUR = 3600.0


class _Ok(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


def _serving() -> tuple[SandboxHTTPServer, threading.Thread]:
    server = SandboxHTTPServer(("127.0.0.1", 0), _Ok)
    loop = threading.Thread(target=server.serve_forever, args=(HOUR,), daemon=True)
    loop.start()
    return server, loop


def _get(server: SandboxHTTPServer) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=10)
    try:
        connection.request("GET", "/")
        return connection.getresponse().status
    finally:
        connection.close()


def test_requests_are_answered_between_hour_long_polls_and_a_stop_ends_the_loop_at_once() -> None:
    server, loop = _serving()
    try:
        assert [_get(server) for _ in range(3)] == [204, 204, 204]
        stopper = threading.Thread(target=server.shutdown, daemon=True)
        stopper.start()
        stopper.join(10)
        assert not stopper.is_alive(), "shutdown waited for the next poll"
        loop.join(10)
        assert not loop.is_alive()
    finally:
        server.server_close()


def test_it_serves_again_after_a_stop_and_a_stop_before_serving_returns() -> None:
    server = SandboxHTTPServer(("127.0.0.1", 0), _Ok)
    try:
        server.shutdown()  # never served: nothing to wait for
        for _ in range(2):
            loop = threading.Thread(target=server.serve_forever, args=(HOUR,), daemon=True)
            loop.start()
            assert _get(server) == 204
            server.shutdown()
            loop.join(10)
            assert not loop.is_alive()
    finally:
        server.server_close()


def test_a_stop_between_arming_and_the_loops_start_is_not_lost() -> None:
    """The sandbox arms its server before the serving thread starts: a stop that comes before the loop
    runs waits for it, and the loop, once started, stops at once."""
    server = SandboxHTTPServer(("127.0.0.1", 0), _Ok)
    try:
        server.arm()
        stopper = threading.Thread(target=server.shutdown, daemon=True)
        stopper.start()
        stopper.join(0.2)
        assert stopper.is_alive()  # waiting for a loop that has not started, not returned
        loop = threading.Thread(target=server.serve_forever, args=(HOUR,), daemon=True)
        loop.start()
        loop.join(10)
        stopper.join(10)
        assert not loop.is_alive() and not stopper.is_alive()
    finally:
        server.server_close()


def test_a_sandbox_closed_before_its_thread_serves_leaves_no_thread_serving(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sandbox.start arms its server before the serving thread runs: a close() that comes first (the
    thread held back at its start, so it always does) waits for the loop, which then stops at once."""
    gate = threading.Event()
    serve = SandboxHTTPServer.serve_forever

    def held_back(server: SandboxHTTPServer, poll_interval: float = 0.5) -> None:
        gate.wait(10)
        serve(server, poll_interval)

    monkeypatch.setattr(SandboxHTTPServer, "serve_forever", held_back)
    sandbox = Sandbox(SandboxConfig(db_path=tmp_path / "s.sqlite"))
    sandbox.start()
    thread = sandbox._thread
    assert thread is not None
    closer = threading.Thread(target=sandbox.close, daemon=True)
    closer.start()
    closer.join(0.2)
    assert closer.is_alive()  # waiting for a loop that has not started, not returned
    gate.set()
    closer.join(10)
    thread.join(10)
    assert not closer.is_alive() and not thread.is_alive()
