"""Every timeout is a finite number of seconds, at most a week, wherever it comes from: a flag, the
environment or a manifest (review finding: `nan` passed click's FloatRange and ran a command that "timed
out after 0s"; 1e10 crashed with "timestamp out of range for platform time_t")."""

from __future__ import annotations

import pathlib
from typing import Any

import pytest
import yaml
from builders import BASE_DOC
from clirunner import Cli

from endpointctl.cli.name_completion import _deadline
from endpointctl.core.defaults import MAX_SECONDS
from endpointctl.core.errors import ManifestError
from endpointctl.engine.flows.completion import DEFAULT_DEADLINE
from endpointctl.manifest import load
from endpointctl.sandbox import Sandbox

BAD = ["nan", "inf", "-inf", "1e10", str(MAX_SECONDS + 1), "-1", "1e308", "ten"]
FLAGS = [
    ("wait", "gpt2-demo", "--timeout"),
    ("apply", "manifests/gpt2.yaml", "--lock-timeout"),
    ("run", "gpt2-demo", "--timeout"),
    ("invoke", "gpt2-demo", "--cold-start-timeout"),
    ("resume", "gpt2-demo", "--wait", "--timeout"),
]


@pytest.mark.parametrize("flag", FLAGS, ids=lambda f: f"{f[0]} {f[-1]}")
@pytest.mark.parametrize("value", BAD)
def test_a_flag_outside_the_bounds_is_exit_2_before_any_call(
    cli: Cli, sandbox: Sandbox, flag: tuple[str, ...], value: str
) -> None:
    sandbox.reset_counts()
    run = cli(*flag, value, *(["--", "true"] if flag[0] == "run" else []))
    assert run.code == 2, run.all
    assert "seconds" in run.stderr
    assert sandbox.counts() == {}


def test_the_week_itself_and_zero_are_taken(cli: Cli) -> None:
    assert "--timeout" not in cli("wait", "gpt2-demo", "--timeout", str(int(MAX_SECONDS))).stderr
    assert "--timeout" not in cli("wait", "gpt2-demo", "--timeout", "0").stderr
    assert "more than 0" in cli("invoke", "gpt2-demo", "--cold-start-timeout", "0").stderr


@pytest.mark.parametrize("variable", ["ENDPOINTCTL_REQUEST_TIMEOUT", "ENDPOINTCTL_RETRY_SECONDS"])
@pytest.mark.parametrize("value", ["1e10", "nan", "inf", "-1"])
def test_an_environment_timeout_outside_the_bounds_is_exit_2(
    cli: Cli, sandbox: Sandbox, variable: str, value: str
) -> None:
    sandbox.reset_counts()
    run = cli("status", env={variable: value})
    assert run.code == 2 and variable in run.stderr, run.all
    assert sandbox.counts() == {}


def test_a_completion_deadline_outside_the_bounds_is_the_default() -> None:
    for value in ("1e10", "nan", "inf", "-1", "0", "x"):
        assert _deadline({"ENDPOINTCTL_COMPLETION_TIMEOUT": value}) == DEFAULT_DEADLINE
    assert _deadline({"ENDPOINTCTL_COMPLETION_TIMEOUT": "2.5"}) == 2.5


def smoke(tmp_path: pathlib.Path, smoke_test: dict[str, Any], environ: dict[str, str] | None = None) -> Any:
    doc = {**BASE_DOC, "spec": {**BASE_DOC["spec"], "smokeTest": smoke_test}}
    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump(doc))
    (desired,) = load([path], environ=environ or {})
    return desired.spec.smoke_test


@pytest.mark.parametrize(
    ("smoke_test", "where"),
    [
        ({"coldStartTimeoutSeconds": 1e10}, "coldStartTimeoutSeconds"),
        ({"coldStartTimeoutSeconds": True}, "coldStartTimeoutSeconds"),
        ({"coldStartTimeoutSeconds": "60"}, "coldStartTimeoutSeconds"),
        ({"expect": {"maxLatencyMs": True}}, "maxLatencyMs"),
        ({"expect": {"maxLatencyMs": MAX_SECONDS * 1000 + 1}}, "maxLatencyMs"),
        ({"expect": {"status": "200"}}, "status"),
        ({"expect": {"status": True}}, "status"),
    ],
)
def test_a_smoke_tests_numbers_are_strict_and_bounded(
    tmp_path: pathlib.Path, smoke_test: dict[str, Any], where: str
) -> None:
    with pytest.raises(ManifestError) as raised:
        smoke(tmp_path, smoke_test)
    assert [issue.path.rsplit(".", 1)[-1] for issue in raised.value.issues] == [where]


def test_a_smoke_tests_numbers_may_come_from_variables(tmp_path: pathlib.Path) -> None:
    spec = smoke(
        tmp_path,
        {"coldStartTimeoutSeconds": "${COLD}", "expect": {"status": "${STATUS}", "maxLatencyMs": 250}},
        {"COLD": "120", "STATUS": "201"},
    )
    assert (spec.cold_start_timeout_seconds, spec.expect.status, spec.expect.max_latency_ms) == (
        120,
        201,
        250,
    )
