"""ENDPOINTCTL_API_URL is checked before anything is sent: an address the token may not travel to, or one
that is not plainly a server's address, is a usage error (exit 2) that never quotes it.

The rule is the one deployed URLs follow (core/token_travel.py): https anywhere, plain http only to this
machine's loopback — unless ENDPOINTCTL_ALLOW_HTTP=1 says so, for a sandbox served on another machine.
"""

from __future__ import annotations

import httpx2
import pytest
from clirunner import Cli
from huggingface_hub import constants
from hypothesis import example, given, settings
from hypothesis import strategies as st

from endpointctl.core.token_travel import is_loopback
from endpointctl.hub.process import api_url_problem
from endpointctl.sandbox import Sandbox

PASSWORD = "pa55word-never-shown"


def with_url(sandbox: Sandbox, url: str) -> dict[str, str]:
    return {"ENDPOINTCTL_API_URL": url, "ENDPOINTCTL_RETRY_SECONDS": "0"}


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://{host}@{sandbox}".replace("{host}", f"bot:{PASSWORD}"), "user name or password"),
        ("http://{sandbox}/?x=" + PASSWORD, "query or a fragment"),
        ("http://{sandbox}#" + PASSWORD, "query or a fragment"),
        ("ftp://{sandbox}", "http or https address"),
        ("{sandbox}", "http or https address"),  # no scheme: read as a path, not a host
        ("http:/{sandbox}", "http or https address"),
        ("http://example.com", "leave this machine unencrypted"),
        ("http://10.0.0.1:8080", "leave this machine unencrypted"),
        ("http://127.1", "leave this machine unencrypted"),  # not literally loopback: refused, not guessed
        ("http://evil.example\\@{sandbox}", "user name or password"),  # a backslash parser confusion
        ("http://[::1", "not a URL"),
        ("http://@{sandbox}", "a backslash, a space"),
        ("http://{sandbox}/\x1b[2J", "not a URL"),
        ("https://api.example.com:99999", "1 to 65535"),  # was an unexpected ValueError (review)
        ("https://api.example.com:0", "1 to 65535"),
    ],
)
def test_a_bad_api_url_is_refused_before_any_request_and_never_quoted(
    cli: Cli, sandbox: Sandbox, url: str, reason: str
) -> None:
    address = sandbox.url.removeprefix("http://")
    url = url.replace("{sandbox}", address)
    sandbox.reset_counts()
    run = cli("status", env=with_url(sandbox, url))
    assert run.code == 2, run.all
    assert run.stderr.startswith("error: ENDPOINTCTL_API_URL: ") and reason in run.stderr
    assert PASSWORD[:4] not in run.all and "bot" not in run.all
    assert sum(sandbox.counts().values()) == 0


def test_plain_http_to_another_machine_needs_allow_http(cli: Cli) -> None:
    env = {
        "ENDPOINTCTL_API_URL": "http://10.255.255.1:9",
        "ENDPOINTCTL_RETRY_SECONDS": "0",
        "ENDPOINTCTL_REQUEST_TIMEOUT": "0.2",
    }
    refused = cli("status", env=env)
    assert refused.code == 2 and "ENDPOINTCTL_ALLOW_HTTP=1" in refused.stderr
    # Allowed, it is tried: what fails now is the connection (exit 1), not the address.
    tried = cli("status", env={**env, "ENDPOINTCTL_ALLOW_HTTP": "1"})
    assert tried.code == 1, tried.all
    assert "ENDPOINTCTL_API_URL: " not in tried.stderr


def test_loopback_http_and_https_anywhere_are_taken(cli: Cli, sandbox: Sandbox) -> None:
    assert cli("status", env=with_url(sandbox, sandbox.url)).code == 0
    assert cli("status", env=with_url(sandbox, sandbox.url + "/")).code == 0
    for url in ("https://api.example.com", "https://10.0.0.1:8443", "http://localhost:1", "http://[::1]:1"):
        assert api_url_problem(url) is None, url


_PIECES = ["/", "@", "\\", "?", "#", "[", "]", ":", ":80", ".", "%40", "%2F", " ", "x", "evil.com", "u:p@"]
URLS = st.builds(
    lambda scheme, sep, user, host, port, tail: f"{scheme}{sep}{user}{host}{port}{tail}",
    st.sampled_from(["http", "https", "ftp", "HTTPS", ""]),
    st.sampled_from(["://", ":/", ":", "//"]),
    st.sampled_from(["", "", "u:p@", "evil.com\\@", "@"]),
    st.sampled_from(["127.0.0.1", "localhost", "[::1]", "10.0.0.1", "evil.com", "127.1", ""]),
    st.sampled_from(["", "", ":8080", ":0", ":99999", ":x"]),
    st.lists(st.sampled_from(_PIECES), max_size=4).map("".join),
)


@settings(max_examples=400, deadline=None)
@given(URLS, st.booleans())
@example("http://127.0.0.1:8080/", False)
@example("https://api.example.com/prefix/", False)
@example("http://evil.com:8080", True)
@example("HTTPS://[::1]:443", False)
def test_whatever_is_taken_is_what_the_client_reaches_and_may_carry_the_token(text: str, allow: bool) -> None:
    if api_url_problem(text, allow_plain_http=allow) is not None:
        return
    url = httpx2.URL(text)
    assert url.scheme in ("http", "https") and url.host
    assert not url.userinfo and not url.query and not url.fragment
    assert allow or url.scheme == "https" or is_loopback(url.host)
    # The addresses huggingface_hub makes of it reach the same server.
    for path in ("/v2/endpoint/ns", "/api/whoami-v2"):
        made = httpx2.URL(text.rstrip("/") + path)
        assert (made.scheme, made.host, made.port) == (url.scheme, url.host, url.port)


def test_hf_endpoint_is_held_to_the_same_rule(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without ENDPOINTCTL_API_URL, whoami and model lookups go where huggingface_hub's HF_ENDPOINT says
    (read when it was imported): the token goes there too."""
    monkeypatch.setattr(constants, "ENDPOINT", f"http://bot:{PASSWORD}@192.0.2.2:18555")
    run = cli("status", env={"ENDPOINTCTL_API_URL": None, "ENDPOINTCTL_RETRY_SECONDS": "0"})
    assert run.code == 2, run.all
    assert run.stderr.startswith("error: HF_ENDPOINT: a user name or password")
    assert PASSWORD[:4] not in run.all
    monkeypatch.setattr(constants, "ENDPOINT", "http://192.0.2.2:18555")
    run = cli("status", env={"ENDPOINTCTL_API_URL": None, "ENDPOINTCTL_RETRY_SECONDS": "0"})
    assert run.code == 2 and "HF_ENDPOINT: the token would go to http://192.0.2.2" in run.stderr


@pytest.mark.parametrize("empty", ["", "  "])
def test_set_but_empty_is_a_mistake_never_the_real_api(cli: Cli, sandbox: Sandbox, empty: str) -> None:
    """A CI variable never filled in: a job meant for a staging server must not change production."""
    run = cli("status", env={"ENDPOINTCTL_API_URL": empty})
    assert run.code == 2 and "ENDPOINTCTL_API_URL is set but empty" in run.stderr, run.all
