"""Issue 9: secure by default, named honestly.

A manifest that says nothing of security creates a private endpoint (the namespace's organization only);
`authenticated` is the service's name for protected; a plan that lets more callers in says so, in text
and JSON.
"""

from __future__ import annotations

import copy
import json
import pathlib
from typing import Any

import pytest
import yaml
from builders import BASE_DOC
from clirunner import Cli
from hypothesis import given
from hypothesis import strategies as st

from endpointctl.core.plan import Change, widened_access
from endpointctl.core.spec import DEFAULT_SECURITY, Security
from endpointctl.sandbox import Request, Response, Sandbox
from endpointctl.sandbox.transport import Handler

CREATE = "POST /v2/endpoint/{namespace}"


def manifest(name: str, security: str | None, **spec: Any) -> str:
    doc = copy.deepcopy(BASE_DOC)
    doc["metadata"]["name"] = name
    doc["spec"].pop("security")
    if security is not None:
        doc["spec"]["security"] = security
    doc["spec"].update(spec)
    return yaml.safe_dump(doc, sort_keys=False)


def write(tmp_path: pathlib.Path, name: str, body: str) -> str:
    path = tmp_path / name
    path.write_text(body)
    return str(path)


@pytest.fixture
def sent(sandbox: Sandbox) -> list[Any]:
    """The ``type`` of every create the sandbox receives, as sent."""
    types: list[Any] = []

    def capture(request: Request, call_next: Handler) -> Response:
        if request.route == CREATE:
            types.append(json.loads(request.body)["type"])
        return call_next(request)

    sandbox.add_middleware(capture)
    return types


def test_a_manifest_without_security_creates_a_private_endpoint(
    cli: Cli, sent: list[Any], tmp_path: pathlib.Path
) -> None:
    path = write(tmp_path, "a.yaml", manifest("quiet", None))
    plan = cli("plan", path)
    assert "security: private" in plan.stdout, plan.all
    applied = cli("apply", path, "--yes")
    assert applied.code == 0, applied.all
    assert sent == ["private"]
    (record,) = json.loads(cli("status", "-o", "json").stdout)
    assert record["security"] == "private"


@pytest.mark.parametrize(
    ("written", "wire"),
    [("authenticated", "authenticated"), ("protected", "authenticated"), ("private", "private")],
)
def test_each_level_is_sent_as_the_service_names_it(
    cli: Cli, sent: list[Any], tmp_path: pathlib.Path, written: str, wire: str
) -> None:
    path = write(tmp_path, "a.yaml", manifest("level", written))
    assert cli("apply", path, "--yes").code == 0
    assert sent == [wire]
    # And it reads back as what the manifest said: nothing to change.
    replan = cli("plan", path, "-o", "json", "--detailed-exitcode")
    assert replan.code == 0 and json.loads(replan.stdout) == [], replan.all


def test_a_manifest_without_security_never_replaces_an_existing_endpoint(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    """The new default applies to creates only: an existing protected endpoint is left as it is."""
    path = write(tmp_path, "a.yaml", manifest("old", "protected"))
    assert cli("apply", path, "--yes").code == 0
    write(tmp_path, "a.yaml", manifest("old", None))
    sandbox.reset_counts()
    replan = cli("plan", path, "-o", "json", "--detailed-exitcode")
    assert replan.code == 0 and json.loads(replan.stdout) == [], replan.all
    assert sandbox.mutating_count() == 0


@pytest.mark.parametrize(
    ("before", "after", "who"),
    [
        ("private", "protected", "any Hugging Face account"),
        ("protected", "public", "anyone, without a token"),
        ("private", "public", "anyone, without a token"),
    ],
)
def test_a_plan_that_widens_access_says_so(
    cli: Cli, tmp_path: pathlib.Path, before: str, after: str, who: str
) -> None:
    path = write(tmp_path, "a.yaml", manifest("wide", before))
    assert cli("apply", path, "--yes").code == 0
    write(tmp_path, "a.yaml", manifest("wide", after, allowPublic=True))
    text = cli("plan", path, "--allow-replace")
    assert f"note: widens access: {before} -> {after} ({who} could call it)" in text.stdout, text.all
    (change,) = json.loads(cli("plan", path, "--allow-replace", "-o", "json").stdout)
    assert change["widensAccess"] == {"from": before, "to": after}


@pytest.mark.parametrize(("before", "after"), [("public", "private"), ("protected", "private")])
def test_narrowing_is_not_flagged(cli: Cli, tmp_path: pathlib.Path, before: str, after: str) -> None:
    path = write(tmp_path, "a.yaml", manifest("narrow", before, allowPublic=True))
    assert cli("apply", path, "--yes").code == 0
    write(tmp_path, "a.yaml", manifest("narrow", after))
    (change,) = json.loads(cli("plan", path, "--allow-replace", "-o", "json").stdout)
    assert change["widensAccess"] is None
    assert not any("widens" in note for note in change["notes"])


LEVELS = st.sampled_from(list(Security))


@given(LEVELS, LEVELS)
def test_widening_is_exactly_a_move_to_more_callers(before: Security, after: Security) -> None:
    from endpointctl.core.diff import FieldChange
    from endpointctl.core.plan import Action

    change = Change("e", "ns", Action.REPLACE, fields=(FieldChange("security", before.value, after.value),))
    order = [Security.PRIVATE, Security.PROTECTED, Security.PUBLIC]
    widens = order.index(after) > order.index(before)
    assert (widened_access(change) == (before, after)) is widens
    assert (widened_access(change) is None) is not widens


def test_the_default_is_the_narrowest_level() -> None:
    assert DEFAULT_SECURITY is Security.PRIVATE
    assert min(Security, key=lambda level: level.reach) is Security.PRIVATE
