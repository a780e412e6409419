"""The legacy ``type: "protected"`` in an answer is unknown, never a level to compare (bug report).

The 2022/2023 API named its levels public | protected | private, where private meant "reachable only
through PrivateLink"; real answers still said "protected" in March 2025. Which of today's levels
(public | authenticated | private) such an endpoint has is not confirmed (reference §4). Read as
``protected`` (today's authenticated), a manifest saying ``security: private`` planned a replace: with
--allow-replace, a delete and a create of an endpoint whose level may well have been private all along.
So the legacy value is compared with nothing; it is shown as it came, and the plan says it is unconfirmed.
"""

from __future__ import annotations

import json
import pathlib
from datetime import UTC, datetime
from typing import Any

import pytest
import yaml
from builders import desired, live, raw_endpoint
from clirunner import Cli
from test_secure_by_default import manifest, write

from endpointctl.core.endpoint import Endpoint, Status
from endpointctl.core.export import Exported, export
from endpointctl.core.plan import Action, Options, compute
from endpointctl.core.spec import Security
from endpointctl.hub.responses import security_from_wire, to_endpoint
from endpointctl.sandbox import ManualClock, Sandbox
from endpointctl.ui.records import endpoint_record

AT = datetime(2026, 3, 23, 20, 0, tzinfo=UTC)  # the instant listings are shown at

LEGACY = "protected"


def legacy_endpoint(**overrides: Any) -> Endpoint:
    """An endpoint as converted from an answer that says ``type: "protected"``."""
    return to_endpoint(raw_endpoint(type=LEGACY, **overrides), "acme")


def test_the_legacy_type_reads_as_no_level() -> None:
    assert security_from_wire(LEGACY) is None
    endpoint = legacy_endpoint()
    assert endpoint.security is None
    assert endpoint.reported_type == LEGACY  # kept, to be shown
    # Today's name of the token-gated level still reads as it.
    assert to_endpoint(raw_endpoint(type="authenticated"), "acme").security is Security.PROTECTED


@pytest.mark.parametrize("level", list(Security))
@pytest.mark.parametrize("allow_replace", [False, True])
def test_a_legacy_type_never_plans_a_change_against_any_level(level: Security, allow_replace: bool) -> None:
    want = desired(security=level.value, allowPublic=True)
    (change,) = compute(
        [("acme", want)],
        {"acme": [live(security=None, reported_type=LEGACY)]},
        Options(allow_replace=allow_replace),
    ).changes
    assert change.action is Action.NOOP, change
    assert not change.steps and not change.fields
    # Said, not hidden: the manifest's security is not what the endpoint was checked against.
    (note,) = change.notes
    assert "legacy type 'protected'" in note and "unconfirmed" in note
    assert f"security: {level.value}" in note


def test_no_note_when_the_manifest_sets_no_security() -> None:
    (change,) = compute(
        [("acme", desired(security=None))], {"acme": [live(security=None, reported_type=LEGACY)]}, Options()
    ).changes
    assert change.action is Action.NOOP and change.notes == ()


def test_another_change_is_still_planned_beside_it() -> None:
    (change,) = compute(
        [("acme", desired(security="private", scaling={"minReplica": 1, "maxReplica": 4}))],
        {"acme": [live(security=None, reported_type=LEGACY)]},
        Options(),
    ).changes
    assert change.action is Action.UPDATE
    assert [f.path for f in change.fields] == ["scaling.maxReplica"]
    assert any("legacy type 'protected'" in note for note in change.notes)


def test_an_update_that_failed_with_a_legacy_type_is_never_replaced() -> None:
    """Whether the manifest asks for the failed configuration cannot be told with security unknown."""
    for allow in (False, True):
        (change,) = compute(
            [("acme", desired(security="private"))],
            {"acme": [live(security=None, reported_type=LEGACY, status=Status.UPDATE_FAILED, message="x")]},
            Options(allow_replace=allow),
        ).changes
        assert change.action is Action.NOOP and not change.steps
        assert any("security" in note for note in change.notes)


def test_status_shows_the_legacy_type_as_it_came() -> None:
    assert endpoint_record(legacy_endpoint(), AT)["security"] == "protected (legacy)"
    assert endpoint_record(to_endpoint(raw_endpoint(type="verified"), "acme"), AT)["security"] == "unknown"


def test_export_leaves_security_out_and_says_why() -> None:
    exported = export(legacy_endpoint(tags=[]))
    assert isinstance(exported, Exported)
    assert "security" not in exported.document["spec"]
    assert any("legacy type 'protected'" in note for note in exported.notes)


# -- through the sandbox, which answers with the legacy value as the service did ---------------------


def test_through_the_sandbox_a_legacy_answer_is_never_replaced(
    cli: Cli, sandbox: Sandbox, client: Any, clock: ManualClock, tmp_path: pathlib.Path
) -> None:
    path = write(tmp_path, "a.yaml", manifest("old-style", "private"))
    assert cli("apply", path, "--yes").code == 0
    clock.advance(10)
    namespace = json.loads(cli("status", "-o", "json").stdout)[0]["namespace"]
    # The sandbox takes and returns the legacy value, as the service did for endpoints of that time.
    answered = client.put(f"/v2/endpoint/{namespace}/old-style", json={"type": LEGACY})
    assert answered.status_code == 200, answered.text
    assert answered.json()["type"] == LEGACY
    clock.advance(10)
    sandbox.reset_counts()

    for flags in ((), ("--allow-replace",)):
        plan = cli("plan", path, "--detailed-exitcode", "-o", "json", *flags)
        assert plan.code == 0, plan.all  # no change
        (record,) = json.loads(plan.stdout)
        assert record["action"] == "noop" and record["fields"] == [] and record["steps"] == []
        assert any("legacy type 'protected'" in note for note in record["notes"])
        text = cli("plan", path, *flags)
        assert "No changes." in text.stdout and "legacy type 'protected'" in text.stdout, text.all
    applied = cli("apply", path, "--yes", "--allow-replace")
    assert applied.code == 0, applied.all
    assert sandbox.mutating_count() == 0

    (status,) = json.loads(cli("status", "-o", "json").stdout)
    assert status["security"] == "protected (legacy)"
    assert "protected (legacy)" in cli("status").stdout

    out = tmp_path / "exported"
    exported = cli("export", "old-style", "--dir", str(out))
    assert exported.code == 0, exported.all
    text = (out / "old-style.yaml").read_text()
    assert "security" not in yaml.safe_load(text)["spec"]
    assert "legacy type 'protected'" in text  # the file says why it holds no security
    assert "legacy type 'protected'" in exported.stderr
    replan = cli("plan", str(out), "--detailed-exitcode", "-o", "json")
    assert replan.code == 0 and json.loads(replan.stdout) == [], replan.all
    assert sandbox.mutating_count() == 0
