"""Settings resolved once from flags and the injected environment; the token read only where it says."""

from __future__ import annotations

import dataclasses
import pathlib
from typing import Any

import pytest
from clirunner import Cli
from hypothesis import given
from hypothesis import strategies as st

from endpointctl.core.errors import UsageError
from endpointctl.core.settings import SANDBOX_TOKEN, OutputMode, Settings, stored_login_path, token_source
from endpointctl.hub import read_token
from endpointctl.sandbox import Sandbox

STORED = "hf_stored_login_token_0123456789"


def test_settings_are_frozen_and_take_flags_over_the_environment() -> None:
    environ = {
        "ENDPOINTCTL_NAMESPACE": "from-env",
        "ENDPOINTCTL_API_URL": "http://api.test",
        "HF_TOKEN": "hf_e",
    }
    settings = Settings.resolve(environ, namespace="from-flag", output="json")
    assert (settings.namespace, settings.api_url, settings.output) == (
        "from-flag",
        "http://api.test",
        OutputMode.JSON,
    )
    assert Settings.resolve(environ).namespace == "from-env"
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.namespace = "other"  # type: ignore[misc]
    assert "hf_e" not in repr(settings)  # the token's value never shows in a repr


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"HF_TOKEN_PATH": "/x/token"}, "/x/token"),
        ({"HF_HOME": "/hf", "HOME": "/home/u"}, "/hf/token"),
        ({"XDG_CACHE_HOME": "/cache", "HOME": "/home/u"}, "/cache/huggingface/token"),
        ({"HOME": "/home/u"}, "/home/u/.cache/huggingface/token"),
        ({"HF_HOME": "~/hf", "HOME": "/home/u"}, "/home/u/hf/token"),
        ({"HF_HOME": "$BASE/hf", "BASE": "/b"}, "/b/hf/token"),  # variables from this environment
        ({"HF_HOME": "${BASE}/hf", "BASE": "/b"}, "/b/hf/token"),
        ({}, None),  # an environment that names no home has no stored login
    ],
)
def test_the_stored_login_is_where_the_environment_says(
    environ: dict[str, str], expected: str | None
) -> None:
    assert stored_login_path(environ) == expected


def test_the_token_comes_from_the_flag_then_hf_token_then_the_sandbox_then_the_stored_login() -> None:
    home = {"HF_HOME": "/hf"}
    assert token_source("hf_flag", {"HF_TOKEN": "hf_env", **home}, sandbox=False).source == "--token"
    assert token_source(None, {"HF_TOKEN": "hf_env", **home}, sandbox=True).value == "hf_env"
    assert token_source(None, home, sandbox=True).value == SANDBOX_TOKEN
    stored = token_source(None, home, sandbox=False)
    assert (stored.value, stored.stored_path) == (None, "/hf/token")


def test_the_stored_login_is_read_from_the_injected_environments_home(tmp_path: pathlib.Path) -> None:
    (tmp_path / "token").write_text(STORED + "\n")
    found = read_token(token_source(None, {"HF_HOME": str(tmp_path)}, sandbox=False))
    assert (found.value, found.source) == (STORED, "the stored login (hf auth login)")
    missing = read_token(token_source(None, {"HF_HOME": str(tmp_path / "empty")}, sandbox=False))
    assert missing.value is None and "no stored login" in missing.source


def test_a_command_never_reads_the_real_login_when_its_environment_points_elsewhere(
    sandbox: Sandbox, clock: Any, tmp_path: pathlib.Path
) -> None:
    """The CLI's injected environment decides: with no token in it, the command has none, whatever the
    user running the tests is logged in as."""
    cli = Cli(environ={"ENDPOINTCTL_API_URL": sandbox.url, "HF_HOME": str(tmp_path)}, clock=clock)
    refused = cli("status")
    assert refused.code == 2 and "no Hugging Face token" in refused.stderr
    assert sum(sandbox.counts().values()) == 0
    (tmp_path / "token").write_text("hf_sandbox_test_token_123")
    assert cli("status").code == 0  # the login stored in that environment's home is used


def test_in_the_process_s_own_environment_huggingface_hub_finds_the_token(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """As `hf` would: e.g. the older HUGGING_FACE_HUB_TOKEN, which endpointctl itself does not read."""
    import os

    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setenv("HUGGING_FACE_HUB_TOKEN", STORED)
    source = token_source(None, dict(os.environ), sandbox=False, own_environment=True)
    assert source.hub_lookup and source.stored_path is None
    assert read_token(source).value == STORED
    # The same variables in an injected environment lead only to the login file under its own home.
    injected = token_source(None, {"HUGGING_FACE_HUB_TOKEN": STORED}, sandbox=False)
    assert not injected.hub_lookup and read_token(injected).value is None


@pytest.mark.parametrize("name", ["ENDPOINTCTL_SANDBOX", "ENDPOINTCTL_ALLOW_HTTP"])
@pytest.mark.parametrize("value", ["y", "Y", "2", "enabled", "sandbox", "ture"])
def test_a_switch_set_to_anything_but_yes_or_no_is_a_usage_error(name: str, value: str) -> None:
    # Read as "no", ENDPOINTCTL_SANDBOX=y sent a job meant for the sandbox to the real API (review).
    with pytest.raises(UsageError, match=f"{name} must be 1, true, yes or on"):
        Settings.resolve({name: value, "HF_TOKEN": "hf_" + "x" * 34})


@pytest.mark.parametrize(
    ("value", "on"), [("1", True), (" TRUE ", True), ("on", True), ("", False), ("off", False)]
)
def test_a_switch_reads_the_usual_spellings(value: str, on: bool) -> None:
    assert Settings.resolve({"ENDPOINTCTL_SANDBOX": value, "HF_TOKEN": "hf_" + "x" * 34}).sandbox is on


def test_a_garbled_sandbox_switch_stops_before_any_call(cli: Cli, sandbox: Sandbox) -> None:
    sandbox.reset_counts()
    result = cli("status", env={"ENDPOINTCTL_SANDBOX": "y"})
    assert result.code == 2 and "ENDPOINTCTL_SANDBOX must be" in result.stderr, result.all
    assert sandbox.counts() == {}


@given(
    token=st.text(alphabet=st.characters(codec="ascii", categories=["L", "N"]), min_size=8, max_size=40),
    before=st.sampled_from(["", " ", "\n", "\t", " \r\n"]),
    after=st.sampled_from(["", "\n", "\r\n", "  ", "\n\n"]),
)
def test_a_token_is_sent_without_the_blanks_and_line_breaks_around_it(
    token: str, before: str, after: str
) -> None:
    """As huggingface_hub sends it: a secret pasted with its newline works as `hf` would."""
    for flag, environ in (
        (f"{before}hf_{token}{after}", {}),
        (None, {"HF_TOKEN": f"{before}hf_{token}{after}"}),
    ):
        assert token_source(flag, environ, sandbox=False).value == f"hf_{token}"


@given(
    head=st.text(alphabet="QZXJ0189_", min_size=6, max_size=10),
    odd=st.sampled_from([" ", "\t", "\x00", "\x1b", "\x7f", "é", "\u200b", "\u00a0", "😀"]),
    tail=st.text(alphabet="QZXJ0189_", min_size=6, max_size=10),
    flag=st.booleans(),
)
def test_a_token_with_a_blank_a_control_or_a_non_ascii_character_inside_is_a_usage_error(
    head: str, odd: str, tail: str, flag: bool
) -> None:
    value = f"hf_{head}{odd}{tail}"
    with pytest.raises(UsageError) as raised:
        token_source(value if flag else None, {} if flag else {"HF_TOKEN": value}, sandbox=False)
    said = raised.value.message + (raised.value.hint or "")
    assert ("--token" if flag else "HF_TOKEN") in said
    assert head + odd not in said and odd + tail not in said and "hf_" + head not in said


@pytest.mark.parametrize("value", [" ", "\n", " \r\n\t"])
def test_a_token_of_only_blanks_is_a_usage_error(value: str) -> None:
    with pytest.raises(UsageError, match="HF_TOKEN holds only blanks"):
        token_source(None, {"HF_TOKEN": value}, sandbox=True)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("hf_sandbox_test_token_123\n", 0),
        (" hf_sandbox_test_token_123\r\n", 0),
        ("hf_sandbox test", 2),
        ("hf_säfe_token", 2),
    ],
)
def test_the_cli_sends_a_token_cleaned_or_stops_before_any_call(
    sandbox: Sandbox, clock: Any, value: str, code: int
) -> None:
    cli = Cli(environ={"ENDPOINTCTL_API_URL": sandbox.url, "HF_TOKEN": value}, clock=clock)
    result = cli("status", "-o", "json")
    assert result.code == code, result.all
    if code:
        assert "HF_TOKEN holds" in result.stderr and "nothing was sent" in result.stderr
        assert "säfe" not in result.all and "hf_sandbox" not in result.all
        assert sum(sandbox.counts().values()) == 0


def test_an_empty_token_flag_is_refused_never_replaced_by_another_login(
    sandbox: Sandbox, clock: Any, tmp_path: pathlib.Path
) -> None:
    """`--token "$UNSET_SECRET"`: another account's token must not be used in its place (review)."""
    (tmp_path / "token").write_text(STORED)
    environ = {
        "ENDPOINTCTL_API_URL": sandbox.url,
        "HF_TOKEN": "hf_sandbox_test_token_123",
        "HF_HOME": str(tmp_path),
    }
    result = Cli(environ=environ, clock=clock)("--token", "", "status")
    assert result.code == 2 and "--token is empty" in result.stderr, result.all
    assert sum(sandbox.counts().values()) == 0
    with pytest.raises(UsageError, match="HF_TOKEN holds only blanks"):
        token_source(None, {"HF_TOKEN": " "}, sandbox=False)
