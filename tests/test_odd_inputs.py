"""What a careless user or a hostile file sends to invoke and the sandbox server: refused with exit 2 and
a reason, before anything is sent, never a hang, a full memory or an "unexpected" error (review)."""

from __future__ import annotations

import os
import pathlib

import pytest
from clirunner import Cli

from endpointctl.manifest.files import UnreadableFile, read_capped
from endpointctl.sandbox import Sandbox
from endpointctl.sandbox.faults import parse_rule


@pytest.fixture
def fifo(tmp_path: pathlib.Path) -> pathlib.Path:
    path = tmp_path / "body.json"
    os.mkfifo(path)  # no writer: a blocking open or read would wait forever
    return path


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--file", "{fifo}"), "not a regular file"),
        (("--data", "@{fifo}"), "not a regular file"),
        (("--file", "/dev/zero"), "not a regular file"),
        (("--data", '{"a": NaN}'), "NaN is not a JSON value"),
        (("--data", "[Infinity]"), "Infinity is not a JSON value"),
    ],
)
def test_invoke_refuses_a_body_it_cannot_send(
    cli: Cli, sandbox: Sandbox, fifo: pathlib.Path, args: tuple[str, ...], says: str
) -> None:
    sandbox.reset_counts()
    run = cli("invoke", "gpt2-demo", *(arg.replace("{fifo}", str(fifo)) for arg in args))
    assert run.code == 2 and says in run.stderr, run.all
    assert sandbox.counts() == {}


def test_a_file_is_read_within_its_cap(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "audio.flac"
    path.write_bytes(b"x" * 2048)
    assert read_capped(path, 2048) == b"x" * 2048
    with pytest.raises(UnreadableFile, match="too large: at most 1 KiB"):
        read_capped(path, 1024)
    with pytest.raises(UnreadableFile, match="cannot read"):
        read_capped(tmp_path / "missing", 1024)


@pytest.mark.parametrize(
    "rule",
    [
        "latency=nan",
        "latency=1e308",
        "latency=-1",
        "status=503,retry-after=nan",
        "status=503,retry-after=inf",
    ],
)
def test_a_fault_rule_with_a_time_no_clock_can_hold_is_refused(cli: Cli, rule: str) -> None:
    """nan was taken and did nothing; 1e308 made the server's handler crash on every request."""
    with pytest.raises(ValueError, match="seconds"):
        parse_rule(rule)
    run = cli("sandbox", "serve", "--fault", rule, "--port", "0")
    assert run.code == 2 and "--fault" in run.stderr, run.all


@pytest.mark.parametrize("port", ["99999", "-1", "65536"])
def test_a_port_no_server_can_listen_on_is_a_usage_error(cli: Cli, port: str) -> None:
    run = cli("sandbox", "serve", "--port", port)
    assert run.code == 2 and "--port" in run.stderr, run.all
