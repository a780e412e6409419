"""TLS for the API and deployed URLs: verified against httpx's trust settings, and built only when used.

A throwaway self-signed certificate for 127.0.0.1 (tests/data/tls, made for these tests, valid until
2126) is served over loopback: unknown to the system's trust store, known through SSL_CERT_FILE.
"""

from __future__ import annotations

import http.server
import os
import pathlib
import ssl
import threading
from collections.abc import Iterator

import httpcore2
import httpx2
import pytest

from endpointctl.hub import tls
from endpointctl.hub.deadline import DeadlineTransport
from endpointctl.sandbox import Sandbox

CERT = pathlib.Path(__file__).parent / "data" / "tls" / "localhost.crt"
KEY = CERT.with_suffix(".key")


class _Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "5")
        self.end_headers()
        self.wfile.write(b"hello")

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def https_url() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(CERT, KEY)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """Each verifying context built, by the SSL_CERT_FILE it was built for; none kept from before."""
    monkeypatch.setattr(tls, "_verifying", {})
    built: list[str | None] = []
    real = httpcore2.default_ssl_context

    def counted() -> ssl.SSLContext:
        built.append(os.environ.get("SSL_CERT_FILE"))
        return real()

    monkeypatch.setattr(httpcore2, "default_ssl_context", counted)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    return built


def get(transport: DeadlineTransport, url: str) -> httpx2.Response:
    with httpx2.Client(transport=transport) as client:
        return client.get(url)


def test_an_unknown_certificate_is_refused(
    https_url: str, builds: list[str | None], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    with pytest.raises(httpx2.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        get(DeadlineTransport(5), https_url)
    assert builds == [None]


def test_ssl_cert_file_is_trusted_and_each_setting_gets_its_own_context(
    https_url: str, builds: list[str | None], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(CERT))
    assert get(DeadlineTransport(5), https_url).text == "hello"
    monkeypatch.delenv("SSL_CERT_FILE")
    with pytest.raises(httpx2.ConnectError):  # not the context built for the other setting
        get(DeadlineTransport(5), https_url)
    assert builds == [str(CERT), None]


def test_one_context_serves_every_transport_of_the_process(
    https_url: str, builds: list[str | None], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(CERT))
    for _ in range(3):
        assert get(DeadlineTransport(5), https_url).status_code == 200
    assert builds == [str(CERT)]


def test_plain_http_builds_no_verifying_context(sandbox: Sandbox, builds: list[str | None]) -> None:
    transport = DeadlineTransport(5)
    client = httpx2.Client(transport=transport)
    assert client.get(sandbox.url + "/api/whoami-v2").status_code == 401  # an answer, no token sent
    assert builds == []
    assert list(transport._inner) == [False]  # the https transport was never made
    client.close()
    assert transport._inner == {}
    # Closed, it opens again at its next request (a DeployedClient reopened after a close), and the next
    # close closes that pool too: none is left open behind a closed client.
    again = httpx2.Client(transport=transport)
    assert again.get(sandbox.url + "/api/whoami-v2").status_code == 401
    pool = transport._inner[False]
    again.close()
    assert transport._inner == {} and pool._pool.connections == []


def test_the_plain_http_context_trusts_nothing_if_ever_used_for_tls(
    https_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(CERT))  # even then: it reads no trust settings
    client = httpx2.Client(transport=httpx2.HTTPTransport(verify=tls.trusting_nothing()))
    with client, pytest.raises(httpx2.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        client.get(https_url)
