"""endpointctl smoke / invoke end to end: the CLI against the sandbox, outputs, exit codes, secrecy."""

from __future__ import annotations

import json
import pathlib
import xml.etree.ElementTree as ET
from typing import Any

import httpx2
import pytest
import yaml
from clirunner import Cli, Run
from hypothesis import example, given
from hypothesis import strategies as st

from endpointctl.dataplane.checks import audio_clip
from endpointctl.dataplane.client import shown_url
from endpointctl.sandbox import ManualClock, Sandbox

USER = "sandbox-user"
SST2 = "distilbert/distilbert-base-uncased-finetuned-sst-2-english"


def doc(name: str, task: str = "text-classification", repository: str = SST2, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "endpointctl/v1",
        "kind": "InferenceEndpoint",
        "metadata": {"name": name, "labels": {"team": "nlp"}},
        "spec": {
            "model": {"repository": repository, "task": task},
            "provider": {"vendor": "aws", "region": "us-east-1"},
            "compute": {"accelerator": "cpu", "instanceType": "intel-spr", "instanceSize": "x2"},
            "scaling": {"minReplica": 1, "maxReplica": 1},
            **spec,
        },
    }


def deploy(cli: Cli, clock: ManualClock, tmp_path: pathlib.Path, *docs: dict[str, Any]) -> str:
    path = tmp_path / "endpoints.yaml"
    path.write_text(yaml.safe_dump_all(docs, sort_keys=False))
    applied = cli("apply", str(path), "--yes")
    assert applied.code == 0, applied.all
    clock.advance(10)
    return str(path)


POSITIVE = {"expect": {"json": {"path": "[0].label", "equals": "POSITIVE"}, "maxLatencyMs": 3000}}
LINK: dict[str, Any] = {
    "security": "private",
    "privateLink": {"accountId": "123456789012", "region": "us-east-1"},
}


def records(run: Run) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads(run.stdout)
    return data


def test_smoke_manifests_with_their_smoke_tests(cli: Cli, clock: ManualClock, tmp_path: pathlib.Path) -> None:
    path = deploy(
        cli,
        clock,
        tmp_path,
        doc("sst2", smokeTest=POSITIVE),
        doc("gpt2", "text-generation", "openai-community/gpt2"),
    )
    table = cli("smoke", "-f", path)
    assert table.code == 0, table.all
    assert table.stdout.splitlines()[0].split() == ["ENDPOINT", "HTTP", "LATENCY", "VERDICT", "REASON"]
    assert f"{USER}/sst2" in table.stdout and '[0].label equals "POSITIVE"' in table.stdout
    assert "text-generation shape" in table.stdout
    assert table.stdout.rstrip().endswith("2 passed, 0 failed, 0 skipped.")

    as_json = cli("smoke", "-f", path, "-o", "json")
    assert as_json.code == 0
    rows = records(as_json)
    assert [(r["name"], r["verdict"], r["status"]) for r in rows] == [
        ("sst2", "pass", 200),
        ("gpt2", "pass", 200),
    ]
    assert set(rows[0]) == {
        "name",
        "namespace",
        "url",
        "verdict",
        "status",
        "latencyMs",
        "reason",
        "attempts",
        "coldStartSeconds",
        "notes",
    }


def test_smoke_by_name_uses_the_task_default(cli: Cli, clock: ManualClock, tmp_path: pathlib.Path) -> None:
    deploy(cli, clock, tmp_path, doc("sst2"))
    run = cli("smoke", "sst2", "-o", "json")
    assert run.code == 0, run.all
    assert records(run)[0]["reason"] == "HTTP 200, text-classification shape"


def test_a_failure_exits_1_and_junit_shows_each_endpoint(
    cli: Cli, clock: ManualClock, sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    path = deploy(cli, clock, tmp_path, doc("sst2", smokeTest=POSITIVE), doc("neg"), doc("vault", **LINK))
    sandbox.set_dataplane(USER, "neg", status=500)
    report = tmp_path / "smoke.xml"
    run = cli("smoke", "-f", path, "--junit-xml", str(report))
    assert run.code == 1
    assert "1 passed, 1 failed, 1 skipped." in run.stdout
    suite = ET.parse(report).getroot().find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("3", "1", "1")
    cases = {case.get("name"): case for case in suite.findall("testcase")}
    assert cases["sst2"].find("failure") is None and cases["sst2"].find("skipped") is None
    assert cases["neg"].find("failure") is not None
    assert cases["vault"].find("skipped") is not None


def test_nothing_ran_exits_1(cli: Cli, clock: ManualClock, tmp_path: pathlib.Path) -> None:
    path = deploy(cli, clock, tmp_path, doc("vault", **LINK))
    run = cli("smoke", "-f", path)
    assert run.code == 1
    assert "SKIPPED" in run.stdout and "PrivateLink" in run.stdout and "--url vault=" in run.stdout


def test_privatelink_with_url_inside_the_network(
    cli: Cli, clock: ManualClock, sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    path = deploy(cli, clock, tmp_path, doc("vault", **LINK), doc("sst2"))
    inside = f"{sandbox.url}/privatelink/{USER}/vault"
    run = cli("smoke", "-f", path, "--url", f"vault={inside}", "-o", "json")
    assert run.code == 0, run.all
    first = records(run)[0]
    assert (first["name"], first["verdict"], first["url"]) == ("vault", "pass", inside)
    # A bare URL only makes sense for a single endpoint.
    ambiguous = cli("smoke", "-f", path, "--url", inside)
    assert ambiguous.code == 2 and "--url NAME=URL" in ambiguous.stderr
    single = cli("smoke", "vault", "--url", inside)
    assert single.code == 0, single.all


def test_paused_endpoint_fails_with_the_resume_hint(
    cli: Cli, clock: ManualClock, tmp_path: pathlib.Path
) -> None:
    deploy(cli, clock, tmp_path, doc("sst2"))
    assert cli("pause", "sst2").code == 0
    run = cli("smoke", "sst2")
    assert run.code == 1
    assert "paused — run endpointctl resume sst2" in run.stdout


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        ({"state": "paused"}, "the manifest keeps it paused"),
        (
            {"schedule": {"timezone": "UTC", "running": ["Mon-Sun 00:00-00:01"], "otherwise": "paused"}},
            "the manifest's schedule keeps it paused",
        ),
    ],
)
def test_smoke_of_a_manifest_that_keeps_it_paused_skips_it_saying_why(
    cli: Cli, clock: ManualClock, sandbox: Sandbox, tmp_path: pathlib.Path, spec: dict[str, Any], reason: str
) -> None:
    """Failing it with "run endpointctl resume" fought the manifest's own state or schedule (review); it
    still fails when the manifest wants it running."""
    path = deploy(cli, clock, tmp_path, doc("sst2", **spec))
    sandbox.reset_counts()
    run = cli("smoke", "-f", path, "-o", "json")
    assert run.code == 1, run.all  # a smoke command that tested nothing does not pass, and says why
    assert "error: no smoke test ran: 1 skipped" in run.stderr
    (record,) = records(run)
    assert (record["verdict"], record["reason"]) == ("skipped", reason)
    assert not any("/endpoints/" in route for route in sandbox.counts()), sandbox.counts()
    running = tmp_path / "running.yaml"
    running.write_text(yaml.safe_dump(doc("sst2"), sort_keys=False))
    hinted = cli("smoke", "-f", str(running))
    assert hinted.code == 1 and "paused — run endpointctl resume sst2" in hinted.stdout, hinted.all


def test_unknown_names_and_empty_selectors(cli: Cli, clock: ManualClock, tmp_path: pathlib.Path) -> None:
    deploy(cli, clock, tmp_path, doc("sst2"))
    missing = cli("smoke", "sst2", "ghost", "-o", "json")
    assert missing.code == 1
    assert [(r["name"], r["verdict"]) for r in records(missing)] == [("sst2", "pass"), ("ghost", "fail")]
    assert cli("smoke", "-l", "team=nobody").code == 1
    assert cli("smoke", "-l", "team=nlp").code == 0
    assert cli("smoke").code == 2


def test_the_token_never_appears(
    cli: Cli, clock: ManualClock, sandbox: Sandbox, tmp_path: pathlib.Path, token: str
) -> None:
    """Even when the endpoint echoes the request's Authorization header back in its error."""
    path = deploy(cli, clock, tmp_path, doc("sst2"))
    echo = {"error": f"rejected header Authorization: Bearer {token}"}
    sandbox.set_dataplane(USER, "sst2", status=500, body=echo)
    report = tmp_path / "smoke.xml"
    outputs = [
        cli("smoke", "-f", path, "--junit-xml", str(report), "-o", mode) for mode in ("table", "json", "yaml")
    ]
    outputs += [cli("invoke", "sst2", "--data", '{"inputs": "x"}', "-o", mode) for mode in ("table", "json")]
    for run in outputs:
        assert run.code == 1
        assert "rejected header" in run.all
        assert token not in run.all
    assert "rejected header" in report.read_text() and token not in report.read_text()


# -- invoke --------------------------------------------------------------------------------------


def test_invoke_prints_the_answer_and_status(cli: Cli, clock: ManualClock, tmp_path: pathlib.Path) -> None:
    deploy(cli, clock, tmp_path, doc("sst2"))
    run = cli("invoke", "sst2", "--data", '{"inputs": "I love this"}')
    assert run.code == 0, run.all
    assert json.loads(run.stdout)[0]["label"] == "POSITIVE"
    assert run.stdout.startswith("[\n  {")  # pretty
    assert run.stderr.strip() == "HTTP 200 in 0 ms"

    request = tmp_path / "request.json"
    request.write_text('{"inputs": "this is awful"}')
    from_file = cli("invoke", "sst2", "--data", f"@{request}", "-o", "json")
    assert from_file.code == 0
    record = json.loads(from_file.stdout)
    assert record["status"] == 200 and record["body"][0]["label"] == "NEGATIVE"


def test_invoke_default_request_and_audio_file(cli: Cli, clock: ManualClock, tmp_path: pathlib.Path) -> None:
    deploy(cli, clock, tmp_path, doc("whisper", "automatic-speech-recognition", "openai/whisper-large-v3"))
    default = cli("invoke", "whisper")
    assert default.code == 0, default.all
    assert "default request for task automatic-speech-recognition" in default.stderr
    clip = tmp_path / "sample.flac"
    clip.write_bytes(audio_clip(seconds=0.5))
    run = cli("invoke", "whisper", "--file", str(clip))
    assert run.code == 0, run.all
    assert json.loads(run.stdout) == {
        "text": f"sandbox transcript of {len(clip.read_bytes())} bytes of audio"
    }


def test_invoke_failures(cli: Cli, clock: ManualClock, sandbox: Sandbox, tmp_path: pathlib.Path) -> None:
    deploy(cli, clock, tmp_path, doc("sst2"), doc("vault", **LINK))
    sandbox.set_dataplane(USER, "sst2", status=422, body={"error": "Input validation error"})
    bad = cli("invoke", "sst2", "--data", '{"inputs": "x"}')
    assert bad.code == 1 and "HTTP 422" in bad.stderr and "Input validation error" in bad.stdout
    assert cli("invoke", "sst2", "--data", "{not json").code == 2
    assert cli("invoke", "sst2", "--data", "{}", "--file", "x.wav").code == 2
    assert cli("invoke", "ghost", "--data", "{}").code == 1
    vault = cli("invoke", "vault", "--data", '{"inputs": "x"}')
    assert vault.code == 1 and "PrivateLink" in vault.stderr and "--url" in vault.stderr
    inside = cli(
        "invoke", "vault", "--data", '{"inputs": "x"}', "--url", f"{sandbox.url}/privatelink/{USER}/vault"
    )
    assert inside.code == 0, inside.all
    assert cli("pause", "sst2").code == 0
    paused = cli("invoke", "sst2", "--data", '{"inputs": "x"}')
    assert paused.code == 1 and "paused — run endpointctl resume sst2" in paused.stderr


def test_invoke_wakes_a_scaled_to_zero_endpoint(cli: Cli, clock: ManualClock, tmp_path: pathlib.Path) -> None:
    scaling = {"minReplica": 0, "maxReplica": 1, "scaleToZeroTimeout": 15}
    deploy(cli, clock, tmp_path, doc("sst2", scaling=scaling))
    assert cli("scale-to-zero", "sst2").code == 0
    run = cli("invoke", "sst2", "--data", '{"inputs": "good"}')
    assert run.code == 0, run.all
    assert "after waking for" in run.stderr


@pytest.mark.parametrize("command", ["smoke", "invoke"])
def test_help_ends_with_examples(cli: Cli, command: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(command, "--help").code == 0
    text = capsys.readouterr().out  # click prints help itself, not through the Output sink
    last = text.rstrip().splitlines()[-1].strip()
    assert "Examples:" in text and last.startswith(f"endpointctl {command} ")


@pytest.mark.parametrize("output", ["table", "json", "markdown"])
def test_a_password_or_query_in_a_url_given_is_never_shown(
    cli: Cli, clock: ManualClock, sandbox: Sandbox, tmp_path: pathlib.Path, output: str
) -> None:
    """A --url may carry credentials (a password someone put in it, a signed query): no output, error or
    report shows them; one with a user name or password is refused before anything is sent."""
    path = deploy(cli, clock, tmp_path, doc("vault", **LINK))
    host = sandbox.url.removeprefix("http://")
    report = tmp_path / "smoke.xml"
    with_password = f"http://bot:pa55word-never-shown@{host}/privatelink/{USER}/vault"
    refused = cli(
        "smoke", "-f", path, "--url", f"vault={with_password}", "-o", output, "--junit-xml", str(report)
    )
    assert refused.code == 1
    assert "user name or password" in refused.all
    signed = f"{sandbox.url}/privatelink/{USER}/vault?sig=S1GNATURE-never-shown#frag-never-shown"
    passed = cli("smoke", "-f", path, "--url", f"vault={signed}", "-o", output)
    assert passed.code == 0, passed.all
    for run, text in ((refused, report.read_text()), (passed, "")):
        for secret in ("pa55word", "S1GNATURE", "frag-never"):
            assert secret not in run.all and secret not in text


_PATH_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)


@given(host=st.sampled_from(["127.0.0.1", "[::1]", "ep.example", "xn--bcher-kva.example"]), path=_PATH_TEXT)
@example(host="127.0.0.1", path="%0Ahint: run this%0D%0A")  # a line of its own, as the API may send it
@example(host="127.0.0.1", path="%2F..%2F%3Fsig=S1GNATURE")  # reads as a query once decoded
@example(host="[::1]", path="a")
def test_a_url_is_shown_on_one_line_as_sent_without_its_query(host: str, path: str) -> None:
    """A deployed URL comes from the API (outside text) or --url: shown, it is one line of printable ASCII
    (the forms sent, never decoded), names the same server and route, and hides the query."""
    url = f"http://{host}:8443/{path}?sig=S1GNATURE#frag"
    try:
        sent = httpx2.URL(url)
    except httpx2.InvalidURL:
        return  # refused before anything is sent (address_refusal): shown as "not a URL"
    shown = shown_url(url)
    assert shown.endswith("?…")  # there was a query: said, not shown
    shown = shown.removesuffix("?…")
    assert shown.isascii() and shown.isprintable()
    assert "S1GNATURE" not in shown.replace(sent.raw_path.split(b"?")[0].decode(), "") and "frag" not in shown
    again = httpx2.URL(shown)
    assert (again.raw_host, again.port, again.raw_path) == (sent.raw_host, 8443, sent.raw_path.split(b"?")[0])


@pytest.mark.parametrize("command", [("smoke", "gpt2-demo"), ("invoke", "gpt2-demo", "--data", "{}")])
def test_an_empty_url_is_a_usage_error_never_no_override(
    cli: Cli, sandbox: Sandbox, command: tuple[str, ...]
) -> None:
    """`--url "$PRIVATE_URL"` with the variable unset called the public URL instead (review)."""
    sandbox.reset_counts()
    run = cli(*command, "--url", " ")
    assert run.code == 2 and "--url is empty" in run.stderr, run.all
    assert sandbox.counts() == {}
