"""huggingface_hub's process-wide state: set once, on purpose, and never left pointing at a stopped server."""

from __future__ import annotations

import logging
import pathlib
from collections.abc import Iterator

import httpx2
import pytest
from huggingface_hub import constants
from huggingface_hub.utils import _http as hf_http
from huggingface_hub.utils import get_session, set_client_factory
from huggingface_hub.utils._http import default_client_factory

from endpointctl.core.redact import Redactor
from endpointctl.core.settings import Settings, TokenInfo
from endpointctl.hub import Hub, process
from endpointctl.sandbox import ManualClock, Sandbox, SandboxConfig

TOKEN = "hf_process_state_token_1234"


@pytest.fixture(autouse=True)
def restore() -> Iterator[None]:
    yield
    set_client_factory(default_client_factory)
    constants.INFERENCE_ENDPOINTS_ENDPOINT = process.DEFAULT_ENDPOINTS_URL


class Recorder:
    """A transport that records each request's URL: an empty listing, and no endpoint by name."""

    def __init__(self) -> None:
        self.urls: list[str] = []

    def factory(self) -> httpx2.Client:
        return httpx2.Client(transport=httpx2.MockTransport(self.handle))

    def handle(self, request: httpx2.Request) -> httpx2.Response:
        self.urls.append(str(request.url))
        if request.url.path.count("/") >= 4:  # one endpoint: /v2/endpoint/{namespace}/{name}
            return httpx2.Response(404, json={"error": "not found"})
        return httpx2.Response(200, json={"items": []})


def hub(api_url: str | None, recorder: Recorder | None = None, timeout: float = 30.0) -> Hub:
    return Hub(
        token=TokenInfo(TOKEN, "test"),
        api_url=api_url,
        timeout=timeout,
        clock=ManualClock(),
        retry_seconds=0,
        client_factory=recorder.factory if recorder else None,
    )


def test_every_api_call_has_a_30_second_timeout_by_default() -> None:
    """huggingface_hub's own client waits forever; ours may not."""
    settings = Settings.resolve({})
    assert settings.request_timeout == 30.0
    hub(api_url="http://127.0.0.1:9", timeout=settings.request_timeout)
    timeout = get_session().timeout
    assert (timeout.connect, timeout.read) == (30.0, 30.0)
    assert Settings.resolve({"ENDPOINTCTL_REQUEST_TIMEOUT": "5"}).request_timeout == 5.0


def test_the_client_factory_is_installed_once_for_equal_settings() -> None:
    hub(api_url=None)
    first = get_session()
    hub(api_url=None)  # the same timeout: the same factory, so the shared client is kept
    assert get_session() is first
    hub(api_url=None, timeout=7.0)  # another timeout replaces it
    assert get_session() is not first
    assert get_session().timeout.read == 7.0


def test_an_injected_client_factory_carries_the_hubs_calls() -> None:
    recorder = Recorder()
    hub("https://api.test", recorder).list_endpoints("acme")
    assert recorder.urls == ["https://api.test/v2/endpoint/acme?limit=100"]


def test_a_hub_built_after_another_still_talks_to_its_own_server() -> None:
    recorder = Recorder()
    first = hub("https://first.test", recorder)
    second = hub("https://second.test", recorder)
    first.list_endpoints("acme")
    first.get("acme", "x")  # through HfApi, which reads huggingface_hub's base URL at call time
    second.get("acme", "x")
    assert [url.split("/v2")[0] for url in recorder.urls] == [
        "https://first.test",
        "https://first.test",
        "https://second.test",
    ]


def test_a_hub_without_an_api_url_talks_to_the_real_service_after_a_sandbox_hub() -> None:
    recorder = Recorder()
    hub("http://127.0.0.1:47821", recorder).get("acme", "x")
    hub(None, recorder).get("acme", "x")
    assert recorder.urls[-1].startswith(process.DEFAULT_ENDPOINTS_URL + "/endpoint/acme/x")


def test_closing_a_hub_leaves_nothing_pointing_at_its_server(tmp_path: pathlib.Path) -> None:
    sandbox = Sandbox(SandboxConfig(db_path=tmp_path / "s.sqlite", clock=ManualClock()))
    sandbox.start(host="127.0.0.1", port=0)
    try:
        sandbox_hub = hub(sandbox.url)
        sandbox_hub.get("sandbox-user", "x")
        assert sandbox.url + "/v2" == constants.INFERENCE_ENDPOINTS_ENDPOINT
        sandbox_hub.close()
    finally:
        sandbox.stop()
    assert constants.INFERENCE_ENDPOINTS_ENDPOINT == process.DEFAULT_ENDPOINTS_URL


def test_the_debug_log_filter_is_attached_once_and_scrubs_every_live_hubs_token() -> None:
    logger = logging.getLogger("huggingface_hub")
    handler = logging.StreamHandler()
    logger.addHandler(handler)
    try:
        redactors = [Redactor(), Redactor()]
        for i, redactor in enumerate(redactors):
            token = TokenInfo(f"hf_token_number_{i}_abcdef", "test")
            Hub(token=token, redactor=redactor, clock=ManualClock())
        scrubbers = [f for f in logger.filters if isinstance(f, logging.Filter)]
        assert len([f for f in handler.filters if f in scrubbers]) == 1
        record = logging.LogRecord("huggingface_hub.x", logging.DEBUG, "", 0, "%s %s", None, None)
        record.args = ("hf_token_number_0_abcdef", "hf_token_number_1_abcdef")
        for f in handler.filters:
            f.filter(record)
        assert "hf_token_number" not in record.getMessage()
    finally:
        logger.removeHandler(handler)


def test_installing_compares_with_what_huggingface_hub_holds() -> None:
    factory = process.TimeoutClientFactory(12.0)
    process.install(factory, Redactor())
    set_client_factory(default_client_factory)  # someone else changed it behind our back
    process.install(factory, Redactor())
    assert factory == hf_http._GLOBAL_CLIENT_FACTORY
