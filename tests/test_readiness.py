"""The readiness decision, table-tested: one observation in, ready / waiting / failed out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from builders import desired, live

from endpointctl.core.endpoint import Endpoint, PrivateLink, Status
from endpointctl.core.readiness import Health, WaitTarget, decide, timeout_hint
from endpointctl.core.readiness import ReadinessKind as Kind
from endpointctl.core.spec import DesiredState

RUNNING = WaitTarget("acme", "gpt2-demo")
PAUSED = WaitTarget("acme", "gpt2-demo", state=DesiredState.PAUSED)
TO_ZERO = WaitTarget("acme", "gpt2-demo", state=DesiredState.SCALED_TO_ZERO)
RESUMED = WaitTarget("acme", "gpt2-demo", resumed=True, reported=Status.PAUSED)
UPDATE_AT = "2026-11-25T01:00:00.000000Z"
UPDATED = WaitTarget("acme", "gpt2-demo", desired=desired(), updated_since=UPDATE_AT)
CUSTOM_IMAGE = {"custom": {"url": "ghcr.io/acme/server:1", "port": 8080, "healthRoute": "/ping"}}
OK = Health(200)


@dataclass(frozen=True)
class Case:
    id: str
    target: WaitTarget
    endpoint: Endpoint | None
    expect: Kind
    health: Health | None = None
    seen: frozenset[Status] = frozenset()
    probe: bool = False
    health_checked: bool = False
    says: tuple[str, ...] = ()  # fragments of the message, then of the hint
    hint_says: tuple[str, ...] = field(default_factory=tuple)


def ep(**overrides: Any) -> Endpoint:
    return live(**overrides)


CASES = [
    # -- running wanted: the health route decides ---------------------------------------------------
    Case("running, not probed yet: probe", RUNNING, ep(), Kind.WAITING, probe=True),
    Case("running, health 200", RUNNING, ep(), Kind.READY, OK, health_checked=True, says=("200",)),
    Case("running, health 503", RUNNING, ep(), Kind.WAITING, Health(503), says=("answered 503",)),
    Case("running, unreachable", RUNNING, ep(), Kind.WAITING, Health(None, "refused"), says=("refused",)),
    Case(
        "running, token refused",
        RUNNING,
        ep(),
        Kind.FAILED,
        Health(403),
        says=("403",),
        hint_says=("HF_TOKEN",),
    ),
    Case("running without a URL", RUNNING, ep(url=None), Kind.WAITING, OK, says=("URL",)),
    Case("pending", RUNNING, ep(status=Status.PENDING, message="scheduling"), Kind.WAITING, OK),
    Case("initializing", RUNNING, ep(status=Status.INITIALIZING), Kind.WAITING, OK),
    Case("updating is never ready", RUNNING, ep(status=Status.UPDATING), Kind.WAITING, OK),
    Case(
        "privateLink: ready unprobed",
        RUNNING,
        ep(private_link=PrivateLink("123456789012", None)),
        Kind.READY,
        says=("not checked",),
    ),
    # -- ends at once ---------------------------------------------------------------------------------
    Case("not found", RUNNING, None, Kind.FAILED, says=("not found",), hint_says=("--namespace",)),
    Case(
        "failed, with the API's message",
        RUNNING,
        ep(status=Status.FAILED, message="Model failed to load"),
        Kind.FAILED,
        says=("Model failed to load",),
        hint_says=("--allow-replace",),
    ),
    Case(
        "failed custom container: port hint",
        RUNNING,
        ep(status=Status.FAILED, image=CUSTOM_IMAGE),
        Kind.FAILED,
        hint_says=("port",),
    ),
    Case(
        "updateFailed",
        RUNNING,
        ep(status=Status.UPDATE_FAILED, message="bad revision"),
        Kind.FAILED,
        says=("bad revision",),
    ),
    Case("paused", RUNNING, ep(status=Status.PAUSED), Kind.FAILED, hint_says=("endpointctl resume",)),
    Case(
        "scaledToZero with a floor above zero",
        RUNNING,
        ep(status=Status.SCALED_TO_ZERO),
        Kind.FAILED,
        hint_says=("resume",),
    ),
    Case(
        "scaledToZero with minReplica 0: autoscaling wakes it",
        RUNNING,
        ep(status=Status.SCALED_TO_ZERO, min_replica=0),
        Kind.READY,
    ),
    # -- right after a resume, the API may still say paused ---------------------------------------------
    Case("resumed, still reads paused", RESUMED, ep(status=Status.PAUSED), Kind.WAITING),
    Case(
        "resumed, paused again after starting",
        RESUMED,
        ep(status=Status.PAUSED),
        Kind.FAILED,
        seen=frozenset({Status.PAUSED, Status.PENDING}),
    ),
    # -- after an update ---------------------------------------------------------------------------
    Case("update: still updating", UPDATED, ep(status=Status.UPDATING), Kind.WAITING, OK),
    Case(
        "update: stale read (older updatedAt, never seen updating)",
        UPDATED,
        ep(updated_at="2026-11-25T00:59:00Z"),
        Kind.WAITING,
        OK,
        says=("update",),
    ),
    Case(
        "update: updatedAt caught up", UPDATED, ep(updated_at=UPDATE_AT), Kind.READY, OK, health_checked=True
    ),
    Case(
        "update: left updating",
        UPDATED,
        ep(updated_at="2026-11-25T00:00:00Z"),
        Kind.READY,
        OK,
        seen=frozenset({Status.UPDATING}),
        health_checked=True,
    ),
    Case(
        "update: live config differs",
        UPDATED,
        ep(updated_at=UPDATE_AT, max_replica=5),
        Kind.WAITING,
        OK,
        says=("scaling.maxReplica",),
    ),
    Case(
        "update seen through, then the probe",
        UPDATED,
        ep(updated_at="2026-11-25T01:00:00.5Z"),
        Kind.WAITING,
        probe=True,
    ),
    # -- paused or scaled to zero wanted: no probe ---------------------------------------------------
    Case("paused wanted, paused", PAUSED, ep(status=Status.PAUSED), Kind.READY),
    Case("paused wanted, running", PAUSED, ep(), Kind.WAITING, says=("waiting for paused",)),
    Case("paused wanted, failed", PAUSED, ep(status=Status.FAILED), Kind.FAILED),
    Case("scaledToZero wanted, there", TO_ZERO, ep(status=Status.SCALED_TO_ZERO), Kind.READY),
    Case("scaledToZero wanted, running", TO_ZERO, ep(), Kind.WAITING),
    Case("scaledToZero wanted, paused", TO_ZERO, ep(status=Status.PAUSED), Kind.FAILED),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_decide(case: Case) -> None:
    verdict = decide(case.target, case.endpoint, case.seen, case.health)
    assert verdict.kind is case.expect, verdict
    assert verdict.probe is case.probe
    assert verdict.health_checked is case.health_checked
    for fragment in case.says:
        assert fragment in verdict.message
    for fragment in case.hint_says:
        assert verdict.hint is not None and fragment in verdict.hint
    if verdict.kind is Kind.FAILED:
        assert verdict.hint, "every failure says what to do next"


def test_a_state_that_is_not_running_is_never_probed() -> None:
    for status in Status:
        for target in (RUNNING, PAUSED, TO_ZERO):
            verdict = decide(target, ep(status=status, min_replica=0))
            assert verdict.probe is (status is Status.RUNNING and target is RUNNING)


def test_timeout_hint_for_a_custom_container_stuck_initializing() -> None:
    stuck = ep(status=Status.INITIALIZING, image=CUSTOM_IMAGE, health_route="/ping")
    hint = timeout_hint(stuck)
    assert hint is not None and "wrong port" in hint and "8080" in hint and "/ping" in hint
    default_port = ep(status=Status.INITIALIZING, image={"vLLM": {"url": "vllm/vllm-openai:v1"}})
    assert "port 80" in (timeout_hint(default_port) or "")
    assert timeout_hint(ep(status=Status.INITIALIZING)) is None  # the default image
    assert timeout_hint(ep(status=Status.PENDING, image=CUSTOM_IMAGE)) is None
    assert timeout_hint(None) is None
