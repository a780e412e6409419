"""pause / resume / scale-to-zero / delete: idempotent, loud about typos, careful with deletes."""

from __future__ import annotations

import json
import pathlib
from typing import Any

import pytest
from clirunner import Cli
from rewritten_answers import rewrite
from test_cli_apply import USER, manifest, write

from endpointctl.sandbox import Sandbox


@pytest.fixture
def deployed(cli: Cli, clock: Any, tmp_path: pathlib.Path) -> str:
    for name, labels in (("web", {"env": "dev", "team": "nlp"}), ("batch", {"env": "prod", "team": "nlp"})):
        path = write(tmp_path, f"{name}.yaml", manifest(name, labels=labels))
        assert cli("apply", path, "--yes").code == 0
    clock.advance(10)
    return str(tmp_path)


def states(cli: Cli) -> dict[str, str]:
    return {row["name"]: row["status"] for row in json.loads(cli("status", "-o", "json").stdout)}


def test_pause_is_idempotent(cli: Cli, sandbox: Sandbox, deployed: str) -> None:
    first = cli("pause", "web", "-o", "json")
    assert first.code == 0, first.all
    assert states(cli)["web"] == "paused"
    sandbox.reset_counts()
    again = cli("pause", "web", "-o", "json")
    assert again.code == 0
    assert "already paused" in again.stderr
    assert sandbox.mutating_count() == 0
    (record,) = json.loads(again.stdout)
    assert record["outcome"] == "unchanged"


def test_resume_and_scale_to_zero(cli: Cli, sandbox: Sandbox, clock: Any, deployed: str) -> None:
    assert cli("pause", "web").code == 0
    resumed = cli("resume", "web")
    assert resumed.code == 0
    assert "apply" in resumed.stderr  # says how to restore scaling
    clock.advance(10)
    assert states(cli)["web"] == "running"
    sandbox.reset_counts()
    assert cli("resume", "web").code == 0  # already running
    assert sandbox.mutating_count() == 0
    assert cli("scale-to-zero", "web").code == 0
    assert states(cli)["web"] == "scaledToZero"
    sandbox.reset_counts()
    assert cli("scale-to-zero", "web").code == 0
    assert sandbox.mutating_count() == 0


def test_scale_to_zero_leaves_a_paused_endpoint_paused_and_says_so(
    cli: Cli, sandbox: Sandbox, deployed: str
) -> None:
    """A nightly `scale-to-zero -l team=nlp` must not fail because someone paused one of them: paused
    bills nothing either, and the API refuses to scale a paused endpoint (review)."""
    assert cli("pause", "web").code == 0
    sandbox.reset_counts()
    for _ in range(2):
        result = cli("scale-to-zero", "-l", "team=nlp", "-o", "json")
        assert result.code == 0, result.all
        records = {r["name"]: r for r in json.loads(result.stdout)}
        assert records["web"]["outcome"] == "unchanged" and "left paused" in result.stderr
        assert states(cli) == {"web": "paused", "batch": "scaledToZero"}
    assert sandbox.counts().get("POST /v2/endpoint/{namespace}/{name}/pause", 0) == 0
    assert sandbox.counts().get("POST /v2/endpoint/{namespace}/{name}/scale-to-zero") == 1  # batch's only


def test_selector_chooses_by_label(cli: Cli, deployed: str) -> None:
    assert cli("pause", "--selector", "env=dev").code == 0
    assert states(cli) == {"web": "paused", "batch": "running"}
    assert cli("pause", "-l", "team=nlp,env=prod").code == 0
    assert states(cli) == {"web": "paused", "batch": "paused"}


def test_manifest_files_address_endpoints(cli: Cli, deployed: str) -> None:
    assert cli("pause", "-f", f"{deployed}/batch.yaml").code == 0
    assert states(cli) == {"web": "running", "batch": "paused"}


@pytest.mark.parametrize("command", ["pause", "resume", "scale-to-zero"])
def test_nothing_matched_is_an_error_unless_allow_empty(
    cli: Cli, sandbox: Sandbox, deployed: str, command: str
) -> None:
    typo = cli(command, "wbe")
    assert typo.code == 1
    assert f"{USER}/wbe" in typo.stderr
    assert cli(command, "--selector", "env=nope").code == 1
    sandbox.reset_counts()
    assert cli(command, "--selector", "env=nope", "--allow-empty").code == 0
    assert sandbox.mutating_count() == 0


def test_delete_needs_yes_without_a_terminal_and_makes_no_call(
    cli: Cli, sandbox: Sandbox, deployed: str
) -> None:
    sandbox.reset_counts()
    refused = cli("delete", "web")
    assert refused.code == 2
    assert "--yes" in refused.stderr
    assert sum(sandbox.counts().values()) == 0
    assert cli("delete", "web", "--yes").code == 0
    assert set(states(cli)) == {"batch"}
    again = cli("delete", "web", "--yes")
    assert again.code == 0
    assert "already absent" in again.stderr


def test_delete_on_a_terminal_asks(cli: Cli, sandbox: Sandbox, clock: Any, deployed: str) -> None:
    tty = Cli(environ=cli.environ, clock=clock, interactive=True)  # keeps the test's state dir for locks
    sandbox.reset_counts()
    declined = tty("delete", "web", confirm=False)
    assert declined.code == 2
    assert sandbox.mutating_count() == 0
    assert tty("delete", "web", confirm=True).code == 0
    assert sandbox.counts()["DELETE /v2/endpoint/{namespace}/{name}"] == 1


def test_hardware_lists_prices_and_quota(cli: Cli) -> None:
    rows = json.loads(cli("hardware", "--vendor", "aws", "--accelerator", "gpu", "-o", "json").stdout)
    assert rows and {r["vendor"] for r in rows} == {"aws"} and {r["accelerator"] for r in rows} == {"gpu"}
    assert all(r["pricePerHour"] > 0 and r["deployable"] for r in rows)
    everything = json.loads(cli("hardware", "--all", "-o", "json").stdout)
    assert any(not r["deployable"] for r in everything)
    table = cli("hardware", "--region", "us-east-1")
    assert "PRICE/H" in table.stdout and "$" in table.stdout


@pytest.mark.parametrize(
    ("flags", "said"),
    [
        (("--vendor", "amazon"), "'amazon' is not one of aws, azure, gcp"),
        (("--vendor", "asw"), "'asw' is not one of aws, azure, gcp (did you mean 'aws'?)"),
        (("--vendor", ""), "is not one of aws, azure, gcp"),  # what an unset variable leaves
        (("--region", ""), "'--region': is empty"),
    ],
    ids=["unknown-vendor", "vendor-typo", "empty-vendor", "empty-region"],
)
def test_a_hardware_filter_no_catalog_could_match_is_a_usage_error_before_any_call(
    cli: Cli, sandbox: Sandbox, flags: tuple[str, ...], said: str
) -> None:
    sandbox.reset_counts()
    refused = cli("hardware", *flags)
    assert refused.code == 2, refused.all
    assert said in refused.stderr and refused.stdout == ""
    assert sandbox.counts() == {}


@pytest.mark.parametrize(
    ("flags", "said"),
    [
        (
            ("--vendor", "AWS", "--region", "us-east1"),
            "--region us-east1: aws has no such region (did you mean 'us-east-1'?); "
            "aws regions offered: eu-west-1, us-east-1, us-east-2",
        ),
        (
            ("--region", "us-east1"),
            "--region us-east1: no vendor has such a region (did you mean 'us-east-1'?); regions offered: "
            "aws: eu-west-1, us-east-1, us-east-2; azure: eastus; gcp: us-east4",
        ),
        (
            ("--region", "eastus", "--accelerator", "neuron"),
            "--accelerator neuron: azure eastus offers no such hardware; "
            "accelerators offered in azure eastus: cpu, gpu",
        ),
    ],
    ids=["vendor-region", "region", "accelerator"],
)
def test_a_hardware_filter_that_matches_no_row_is_exit_1_listing_what_is_offered(
    cli: Cli, flags: tuple[str, ...], said: str
) -> None:
    table = cli("hardware", *flags)
    assert table.code == 1, table.all
    assert f"error: {said}\n" in table.stderr and table.stdout == ""
    assert "hint: `endpointctl hardware --all` lists the whole catalog" in table.stderr
    as_json = cli("hardware", *flags, "-o", "json")
    assert (as_json.code, json.loads(as_json.stdout)) == (1, [])  # still a document for a pipeline


def test_hardware_that_matches_but_cannot_be_deployed_now_is_an_empty_table_with_a_note(
    cli: Cli, sandbox: Sandbox
) -> None:
    def azure_unavailable(catalog: dict[str, Any]) -> None:
        for vendor in catalog["vendors"]:
            for region in vendor["regions"]:
                for compute in region["computes"]:
                    if vendor["name"] == "azure":
                        compute["status"] = "not_available"

    rewrite(sandbox, "GET /v2/provider/{namespace}", azure_unavailable)
    hidden = cli("hardware", "--vendor", "azure", "-o", "json")
    assert (hidden.code, json.loads(hidden.stdout)) == (0, [])  # an answer, not a filter's mistake
    note = "note: 8 offer(s) match, none deployable now (deprecated, not available or over quota)"
    assert f"{note}: --all shows them" in hidden.stderr
    shown = cli("hardware", "--vendor", "azure", "--all", "-o", "json")
    assert len(json.loads(shown.stdout)) == 8 and "note:" not in shown.stderr


def test_status_of_nothing_is_an_error_unless_allow_empty(cli: Cli, deployed: str) -> None:
    assert cli("status", "-l", "env=nope").code == 1
    allowed = cli("status", "-l", "env=nope", "--allow-empty", "-o", "json")
    assert (allowed.code, allowed.stdout.strip(), allowed.stderr) == (0, "[]", "")
    missing = cli("status", "web", "nope")
    assert missing.code == 1 and "nope" in missing.stderr and "web" in missing.stdout
    allowed_missing = cli("status", "web", "nope", "--allow-empty")
    assert (allowed_missing.code, allowed_missing.stderr) == (0, "")
    assert "web" in allowed_missing.stdout
    assert cli("status", "-l", "env=dev").code == 0
