"""Faults, lost responses and out-of-band edits in any order: the next clean apply still converges.

A Hypothesis state machine over one small stack. Between applies, anyone may change an endpoint's
replicas, delete or pause it, or create a stray endpoint tagged with the stack; the API may fail the
next mutating call (a 500 it does not retry, a 503 it does) or commit it and drop the connection — to
the client, as if it had been killed mid-call. Whatever happened, an apply that starts with no fault
armed must succeed, leave one endpoint per manifest and nothing else in the stack, and be followed by a
plan with no changes and no mutating call.

Hypothesis runs many examples inside one test function, so pytest's function-scoped fixtures cannot be
used: each example builds its own sandbox.
"""

from __future__ import annotations

import json
import pathlib
import tempfile
import threading

import httpx2 as httpx
import hypothesis.strategies as st
from clirunner import Cli, assert_replan_empty
from conftest import BASE_BODY, TOKEN
from hypothesis import HealthCheck, event, settings
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from test_cli_apply import manifest, write

from endpointctl.core.tags import MANAGED_TAG, STACK_KEY
from endpointctl.sandbox import ManualClock, Request, Response, Sandbox, SandboxConfig
from endpointctl.sandbox.transport import Handler

USER = "sandbox-user"
NS = f"/v2/endpoint/{USER}"
STACK = "prop"
MANIFESTS = {
    "prop-a": manifest("prop-a"),
    "prop-b": manifest("prop-b", state="paused"),
    "prop-c": manifest("prop-c", scaling={"minReplica": 0, "maxReplica": 2}, state="running"),
}
NAMES = sorted(MANIFESTS)
FAULTS = ("500", "503", "drop")
# (what, endpoint, replicas): an edited replica count, a deletion, a manual pause, a stray in the stack.
EDITS = st.tuples(
    st.sampled_from(("replicas", "delete", "pause", "stray")),
    st.sampled_from(NAMES),
    st.integers(min_value=1, max_value=3),
)


OUT_OF_BAND = "x-out-of-band"


class Faults:
    """The tool's next mutating management call fails as armed; reads and out-of-band edits never do.

    A fault that fires is withdrawn (``armed`` back to None), so a caller can tell whether it was met.
    """

    def __init__(self) -> None:
        self.armed: str | None = None
        self._lock = threading.Lock()

    def __call__(self, request: Request, call_next: Handler) -> Response:
        if (
            request.method == "GET"
            or not request.path.startswith("/v2/endpoint/")
            or request.header(OUT_OF_BAND)
        ):
            return call_next(request)
        with self._lock:
            fault, self.armed = self.armed, None
        if fault is None:
            return call_next(request)
        if fault == "drop":
            committed = call_next(request)
            return Response(status=committed.status, body=committed.body, drop_connection=True)
        return Response(status=int(fault), body=json.dumps({"error": f"injected {fault}"}).encode())


class ApplyMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self._tmp = tempfile.TemporaryDirectory()
        root = pathlib.Path(self._tmp.name)
        self.clock = ManualClock()
        # No deployment phases: every state change is immediate, so no rule has to advance time.
        self.sandbox = Sandbox(SandboxConfig(db_path=root / "sandbox.sqlite", phases={}, clock=self.clock))
        self.sandbox.start()
        self.faults = Faults()
        self.sandbox.add_middleware(self.faults)
        self.client = httpx.Client(
            base_url=self.sandbox.url,
            headers={"Authorization": f"Bearer {TOKEN}", OUT_OF_BAND: "1"},
            timeout=10,
        )
        directory = root / "manifests"
        directory.mkdir()
        for name, body in MANIFESTS.items():
            write(directory, f"{name}.yaml", body)
        self.manifests = str(directory)
        environ = {
            "ENDPOINTCTL_API_URL": self.sandbox.url,
            "HF_TOKEN": TOKEN,
            "ENDPOINTCTL_STATE_DIR": str(root),
        }
        self.cli = Cli(environ=environ, clock=self.clock)
        self.converged = False
        self.disturbed = False  # something changed or failed since the last clean apply

    def teardown(self) -> None:
        self.client.close()
        self.sandbox.close()
        self._tmp.cleanup()

    def live(self) -> list[str]:
        response = self.client.get(NS, params={"limit": 100})
        assert response.status_code == 200, response.text
        return sorted(item["name"] for item in response.json()["items"])

    # -- the tool ---------------------------------------------------------------------------------------

    def _apply(self) -> int:
        return self.cli("apply", self.manifests, "--stack", STACK, "--prune", "--yes", "-o", "json").code

    @initialize()
    def deploy(self) -> None:
        self.apply()

    @rule()
    def apply(self) -> None:
        """A clean apply converges: success, then a plan with no changes and no mutating call."""
        # Shown by --hypothesis-show-statistics: how often the interesting case, a repair, was reached.
        event("clean apply after a disturbance" if self.disturbed else "clean apply")
        assert self._apply() == 0
        assert_replan_empty(self.cli, self.sandbox, self.manifests, "--stack", STACK, "--prune")
        self.converged, self.disturbed = True, False

    @rule(fault=st.sampled_from(FAULTS))
    def apply_with_a_fault(self, fault: str) -> None:
        """The next mutating call fails; the apply may fail (or retry it away) but never crashes."""
        self.faults.armed = fault
        code = self._apply()
        fired = self.faults.armed is None
        self.faults.armed = None  # nothing to change, nothing to fail: withdrawn unfired
        assert code in (0, 1)
        event(f"{fault} met, exit {code}" if fired else "fault not met: nothing to change")
        if fired:
            self.converged, self.disturbed = False, True

    # -- everyone else ----------------------------------------------------------------------------------

    @rule(edits=st.lists(EDITS, min_size=1, max_size=3))
    def out_of_band(self, edits: list[tuple[str, str, int]]) -> None:
        """A few edits at once, so that the rules stay few and an apply follows a disturbance often."""
        for kind, name, replicas in edits:
            if kind == "replicas":
                scaling = {"minReplica": replicas, "maxReplica": replicas + 1}
                response = self.client.put(f"{NS}/{name}", json={"compute": {"scaling": scaling}})
            elif kind == "delete":
                response = self.client.delete(f"{NS}/{name}")
            elif kind == "pause":
                response = self.client.post(f"{NS}/{name}/pause")
            else:
                body = {**BASE_BODY, "name": "prop-stray", "tags": [MANAGED_TAG, f"{STACK_KEY}={STACK}"]}
                response = self.client.post(NS, json=body)
            if response.status_code == 200:  # a 404 or 409: nothing there to edit, or the stray exists
                self.converged, self.disturbed = False, True

    @rule(
        edits=st.lists(EDITS, min_size=1, max_size=3),
        faults=st.lists(st.sampled_from(FAULTS), max_size=2),
    )
    def disturb_then_apply(self, edits: list[tuple[str, str, int]], faults: list[str]) -> None:
        """The three above in the order that matters most; on their own, rules are drawn too evenly
        (and Hypothesis starts from short runs) for a repair after a disturbance to be reached often."""
        self.out_of_band(edits)
        for fault in faults:
            self.apply_with_a_fault(fault)
        self.apply()

    @invariant()
    def one_endpoint_per_manifest_once_converged(self) -> None:
        if self.converged:
            assert self.live() == NAMES


ApplyMachine.TestCase.settings = settings(
    max_examples=10,
    stateful_step_count=6,
    deadline=None,
    derandomize=True,  # the same examples on every run: CI must not turn red at random
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestApplyMachine = ApplyMachine.TestCase
