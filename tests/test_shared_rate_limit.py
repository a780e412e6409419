"""Polite under rate limits: a 429's Retry-After holds back every request of the process to that API.

The limiter on its own first (threads on a ManualClock), then the Hub and the CLI against the sandbox
over loopback, with the 429 injected by its fault rules. Counting "requests sent during the hold" needs a
hold that takes real turns without real time: ``FreezableClock`` is a ManualClock whose sleeps, once
frozen (the moment the 429 is answered), block until the test thaws it. While frozen, time stands at
the 429's, so a request sent by any worker during the hold reaches the sandbox stamped inside it; a
worker that waits at the gate sleeps instead, and the test thaws the clock once every worker sleeps.
"""

from __future__ import annotations

import dataclasses
import json
import math
import pathlib
import random
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from builders import desired
from clirunner import Cli
from clocks import InterruptedAt
from test_cli_apply import manifest, write

from endpointctl.core.errors import ApiError, Interrupted
from endpointctl.core.settings import TokenInfo
from endpointctl.engine.clock import SystemClock
from endpointctl.hub import Hub
from endpointctl.hub.limiter import Limiter, Verdict, limiter_for, origin
from endpointctl.sandbox import ManualClock, Request, Response, Sandbox, SandboxConfig
from endpointctl.sandbox.faults import FaultConfig, parse_rule

TOKEN = "hf_sandbox_test_token_123"
USER = "sandbox-user"
CREATE = "POST /v2/endpoint/{namespace}"
LIST = "GET /v2/endpoint/{namespace}"
GET_ONE = "GET /v2/endpoint/{namespace}/{name}"
SMALL = {"accelerator": "cpu", "instanceType": "intel-spr", "instanceSize": "x1"}
NOW = 1_760_000_000.0
SAFETY = 15.0  # real seconds: only a broken program ever waits this long (then the test fails)


class FreezableClock(ManualClock):
    """A ManualClock whose sleeps, while frozen, block until ``thaw`` moves time on (sleepers counted)."""

    def __init__(self, start: float = NOW) -> None:
        super().__init__(start)
        self._cond = threading.Condition()
        self._frozen = False
        self.sleepers = 0

    def freeze(self) -> None:
        with self._cond:
            self._frozen = True

    def thaw(self, to: float) -> None:
        with self._cond:
            if to > self.now():
                self.advance(to - self.now())
            self._frozen = False
            self._cond.notify_all()

    def wait_for_sleepers(self, count: int) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: self.sleepers >= count, timeout=SAFETY)

    def sleep(self, seconds: float, cancel: Any = None) -> bool:
        if cancel is not None and cancel.is_set():
            return False
        with self._cond:
            if self._frozen and seconds > 0:
                wake = self.now() + seconds
                self.sleepers += 1
                self._cond.notify_all()
                try:
                    self._cond.wait_for(lambda: not self._frozen, timeout=SAFETY)
                finally:
                    self.sleepers -= 1
                seconds = max(0.0, wake - self.now())
        return super().sleep(seconds, cancel)


@dataclasses.dataclass(frozen=True)
class Seen:
    seq: int
    at: float  # on the sandbox's (manual) clock, when the request reached it
    route: str
    status: int
    name: str | None  # a create's endpoint


class Recorder:
    """Every request the sandbox received, in order, with its time: add last (outermost)."""

    def __init__(self, sandbox: Sandbox, clock: ManualClock) -> None:
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        self._clock = clock
        sandbox.add_middleware(self)

    def __call__(self, req: Request, call_next: Callable[[Request], Response]) -> Response:
        with self._lock:
            seq, at = len(self.seen), self._clock.now()
            self.seen.append(Seen(seq, at, req.route or req.path, 0, None))
        response = call_next(req)
        name = json.loads(req.body).get("name") if req.route == CREATE else None
        with self._lock:
            self.seen[seq] = Seen(seq, at, req.route or req.path, response.status, name)
        return response

    def limited(self) -> Seen:
        return next(s for s in self.seen if s.status == 429)

    def during(self, start: Seen, seconds: float) -> list[Seen]:
        """Requests that reached the sandbox after ``start`` was answered and less than ``seconds`` later."""
        return [s for s in self.seen if s.seq > start.seq and s.at < start.at + seconds]


def faults(sandbox: Sandbox, *rules: str) -> None:
    sandbox.install_faults(FaultConfig(tuple(parse_rule(rule) for rule in rules)))


@pytest.fixture
def frozen() -> FreezableClock:
    return FreezableClock()


@pytest.fixture
def box(tmp_path: pathlib.Path, frozen: FreezableClock) -> Iterator[Sandbox]:
    sb = Sandbox(SandboxConfig(db_path=tmp_path / "sandbox.sqlite", clock=frozen))
    sb.start(host="127.0.0.1", port=0)
    try:
        yield sb
    finally:
        sb.close()


def make_hub(sandbox: Sandbox, clock: Any, *, retry_seconds: float = 300.0, cancel: Any = None) -> Hub:
    return Hub(
        token=TokenInfo(TOKEN, "the HF_TOKEN environment variable"),
        api_url=sandbox.url,
        clock=clock,
        retry_seconds=retry_seconds,
        rng=random.Random(5),
        cancel=cancel,
    )


# -- the limiter on its own ---------------------------------------------------------------------------


def test_the_gate_rises_to_the_later_time_only() -> None:
    limiter = Limiter()
    assert limiter.hold_until(NOW + 10, "429: Too Many Requests", 429)
    assert not limiter.hold_until(NOW + 5, "503: Service Unavailable", 503)  # sooner: changes nothing
    assert limiter.hold.until == NOW + 10 and limiter.hold.status == 429
    assert limiter.hold_until(NOW + 12, "503: Service Unavailable", 503)
    assert (limiter.hold.until, limiter.hold.status) == (NOW + 12, 503)
    assert limiter.left(NOW) == 12 and limiter.left(NOW + 20) == 0


def test_threads_on_a_manual_clock_all_wait_until_the_gate_opens() -> None:
    clock = ManualClock(NOW)
    limiter = Limiter()
    limiter.hold_until(NOW + 30)
    opened: list[tuple[Verdict, float]] = []
    lock = threading.Lock()

    def worker() -> None:
        verdict = limiter.wait(clock, deadline=NOW + 300)
        with lock:
            opened.append((verdict, clock.now()))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(SAFETY)
    assert len(opened) == 8
    assert all(verdict is Verdict.OPEN and at >= NOW + 30 for verdict, at in opened)


def test_a_hold_raised_while_waiting_is_waited_for_too() -> None:
    limiter = Limiter()

    class Storm(ManualClock):
        def sleep(self, seconds: float, cancel: Any = None) -> bool:
            # Another answer, in flight before the hold, asks for longer while this thread waits.
            limiter.hold_until(NOW + 50)
            return super().sleep(seconds, cancel)

    clock = Storm(NOW)
    limiter.hold_until(NOW + 10)
    assert limiter.wait(clock, deadline=NOW + 300) is Verdict.OPEN
    assert clock.now() == NOW + 50


def test_a_hold_past_the_deadline_or_an_interrupt_is_not_waited_for() -> None:
    clock = ManualClock(NOW)
    limiter = Limiter()
    assert limiter.wait(clock) is Verdict.OPEN  # never held: open at once
    limiter.hold_until(NOW + 1e9)
    assert limiter.wait(clock, deadline=NOW + 300) is Verdict.PAST_DEADLINE
    assert clock.now() == NOW  # not a moment waited
    cancel = threading.Event()
    cancel.set()
    limiter.hold_until(NOW + 2e9)
    assert limiter.wait(clock, deadline=math.inf, cancel=cancel) is Verdict.CANCELLED
    assert clock.now() == NOW
    # An open gate stops nothing, interrupted or not: a put-back after Ctrl-C still goes.
    assert Limiter().wait(clock, cancel=cancel) is Verdict.OPEN


def test_an_interrupt_ends_a_real_wait_at_once() -> None:
    clock = SystemClock()
    limiter = Limiter()
    limiter.hold_until(clock.now() + 60)
    cancel = threading.Event()
    threading.Timer(0.05, cancel.set).start()
    started = time.monotonic()
    assert limiter.wait(clock, cancel=cancel) is Verdict.CANCELLED
    assert time.monotonic() - started < 5


def test_one_limiter_per_server_and_clock() -> None:
    clock, other = ManualClock(NOW), ManualClock(NOW)
    api = limiter_for("http://127.0.0.1:4000/v2", clock)
    assert limiter_for("HTTP://127.0.0.1:4000/api/models/x", clock) is api  # the same server
    assert limiter_for("http://127.0.0.1:4001/v2", clock) is not api
    assert limiter_for("http://127.0.0.1:4000/v2", other) is not api  # another clock: another time
    assert (
        origin("https://api.endpoints.huggingface.cloud/v2") == "https://api.endpoints.huggingface.cloud:443"
    )
    assert api.server == "127.0.0.1:4000"


# -- apply with 8 workers: nothing sent during the hold ------------------------------------------------


def hold_then_thaw(clock: FreezableClock, sandbox: Sandbox, first_wave: int, hold: float) -> Recorder:
    """The first create answered 429 while ``first_wave`` creates are in flight; the others answered only
    once the worker that got it sleeps (its hold raised); the clock thawed once every worker sleeps."""
    arrived = 0
    limited = threading.Event()
    cond = threading.Condition()

    def rendezvous(req: Request, call_next: Callable[[Request], Response]) -> Response:
        nonlocal arrived
        if req.route != CREATE:
            return call_next(req)
        with cond:
            arrived += 1
            mine = arrived
            cond.notify_all()
            if mine <= first_wave:  # every worker busy with a create: none is about to send
                cond.wait_for(lambda: arrived >= first_wave, timeout=SAFETY)
        response = call_next(req)  # the fault injector: the first through it gets the 429
        if response.status == 429:
            clock.freeze()
            limited.set()
            threading.Thread(target=thaw, daemon=True).start()
        elif mine <= first_wave:
            limited.wait(SAFETY)
            clock.wait_for_sleepers(1)  # the limited worker sleeps: its hold is raised
        return response

    def thaw() -> None:
        clock.wait_for_sleepers(first_wave)  # every worker waits at the gate (or its backoff)
        clock.thaw(recorder.limited().at + hold)

    sandbox.add_middleware(rendezvous)
    recorder = Recorder(sandbox, clock)
    return recorder


@pytest.mark.parametrize("form", ["retry-after", "retry-after-date"])
def test_apply_with_8_workers_sends_nothing_during_a_429_hold(
    box: Sandbox, frozen: FreezableClock, tmp_path: pathlib.Path, form: str
) -> None:
    names = [f"held-{i:02d}" for i in range(16)]
    for name in names:
        write(tmp_path, f"{name}.yaml", manifest(name, compute=SMALL))
    faults(box, f"status=429,{form}=2,times=1,route={CREATE}")
    recorder = hold_then_thaw(frozen, box, first_wave=8, hold=2)
    cli = Cli(
        environ={"ENDPOINTCTL_API_URL": box.url, "HF_TOKEN": TOKEN, "ENDPOINTCTL_STATE_DIR": str(tmp_path)},
        clock=frozen,
    )

    result = cli("apply", str(tmp_path), "--yes", "--parallelism", "8", "-o", "json")

    assert result.code == 0, result.all
    limited = recorder.limited()
    assert recorder.during(limited, 2.0) == []  # nothing reached the sandbox during the hold
    creates = [s for s in recorder.seen if s.route == CREATE]
    assert sorted(s.name or "" for s in creates if s.status == 200) == names  # after it, everything completes
    retried = next(s for s in creates if s.name == limited.name and s.seq > limited.seq)
    assert retried.at >= limited.at + 2
    assert "holding every request to" in result.stderr  # said once, why everything stopped
    assert result.stderr.count("holding every request to") == 1


# -- the Hub: shared across threads and operations ------------------------------------------------------


@pytest.mark.parametrize("form", ["retry-after", "retry-after-date"])
def test_a_list_limited_holds_a_create_in_another_thread(
    box: Sandbox, frozen: FreezableClock, form: str
) -> None:
    faults(box, f"status=429,{form}=5,times=1,route={LIST}")
    recorder = Recorder(box, frozen)
    hub = make_hub(box, frozen)
    done: dict[str, Any] = {}

    def listing() -> None:
        done["list"] = hub.list_endpoints(USER)

    def creating() -> None:
        done["create"] = hub.create(USER, desired(), ())

    lister = threading.Thread(target=listing)
    frozen.freeze()
    lister.start()
    assert frozen.wait_for_sleepers(1)  # the 429'd listing waits out its Retry-After
    creator = threading.Thread(target=creating)
    creator.start()
    assert frozen.wait_for_sleepers(2)  # so does the create, at the gate, before sending
    limited = recorder.limited()
    assert [s.route for s in recorder.seen if s.seq > limited.seq] == []
    hold = limiter_for(box.url, frozen).hold.until - limited.at
    assert (
        hold == 5 if form == "retry-after" else 4 <= hold <= 7
    )  # a date is measured against the answer's Date (whole seconds)
    frozen.thaw(limited.at + hold)
    lister.join(SAFETY)
    creator.join(SAFETY)

    assert [e.name for e in done["list"]] in ([], ["gpt2-demo"])  # both go on at once, in either order
    assert done["create"].endpoint.name == "gpt2-demo"
    assert recorder.during(limited, hold) == []
    after = [s for s in recorder.seen if s.seq > limited.seq]
    assert {s.route for s in after} == {LIST, CREATE} and all(s.at >= limited.at + hold for s in after)


def test_logs_and_replicas_pass_the_gate_too(box: Sandbox, frozen: FreezableClock) -> None:
    hub = make_hub(box, frozen)
    hub.create(USER, desired(), ())
    recorder = Recorder(box, frozen)
    limiter_for(box.url, frozen).hold_until(frozen.now() + 40, "429: Too Many Requests", 429)
    started = frozen.now()

    hub.replicas(USER, "gpt2-demo")
    hub.logs(USER, "gpt2-demo", tail=5)

    assert [s.at >= started + 40 for s in recorder.seen] == [True, True]


# -- bounded: an absurd hold is an error, and an interrupt ends the wait ----------------------------------


@pytest.mark.parametrize("seconds", [10**9, 400])  # absurd, or only past the 300 s budget
def test_a_hold_past_the_deadline_fails_clearly_without_sending(
    sandbox: Sandbox, clock: ManualClock, seconds: int
) -> None:
    faults(sandbox, f"status=429,retry-after={seconds},times=1,route={LIST}")
    recorder = Recorder(sandbox, clock)
    hub = make_hub(sandbox, clock)
    started = clock.now()

    with pytest.raises(ApiError, match=f"asked to wait {seconds} s, more than the 300 s left"):
        hub.list_endpoints(USER)
    with pytest.raises(ApiError) as raised:
        hub.create(USER, desired(), ())

    assert clock.now() == started  # nothing waited for
    assert [s.route for s in recorder.seen] == [LIST]  # the create was never sent
    message = raised.value.message
    assert message.startswith(f"creating endpoint '{USER}/gpt2-demo': not sent: the API asked for no ")
    assert f"for {seconds} s more (it answered 429: " in message
    assert "past the 300 s this operation had left" in message
    assert raised.value.status == 429
    assert "run the same command again later" in (raised.value.hint or "")


def test_apply_under_an_absurd_retry_after_ends_with_a_clear_error(
    cli: Cli, sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path
) -> None:
    for i in range(16):
        write(tmp_path, f"ep-{i:02d}.yaml", manifest(f"ep-{i:02d}", compute=SMALL))
    faults(sandbox, f"status=429,retry-after=1000000000,times=1,route={CREATE}")
    started = clock.now()

    result = cli("apply", str(tmp_path), "--yes", "--parallelism", "8")

    assert result.code == 1, result.all
    assert clock.now() - started < 300  # bounded, nowhere near the 10^9 s asked for
    assert "asked to wait 1000000000 s" in result.stderr or "not sent: the API asked" in result.stderr


def test_an_interrupt_during_the_hold_ends_the_wait_and_sends_nothing(sandbox: Sandbox) -> None:
    cancel = threading.Event()
    clock = InterruptedAt(NOW, at=NOW + 3, cancel=cancel)
    faults(sandbox, f"status=429,retry-after=60,times=1,route={LIST}")
    recorder = Recorder(sandbox, clock)  # stamps on the hub's clock: the sandbox's is not the one here
    once = make_hub(sandbox, clock, retry_seconds=0)  # gets the 429, and gives up at once
    with pytest.raises(ApiError, match="429"):
        once.list_endpoints(USER)
    hub = make_hub(sandbox, clock, cancel=cancel)  # the same server and clock: the same gate

    with pytest.raises(Interrupted, match="interrupted while holding back for the API's rate limit"):
        hub.get(USER, "gpt2-demo")

    assert clock.now() == NOW + 3  # ended at the interrupt, not after the 60 s
    assert [s.route for s in recorder.seen] == [LIST]  # the read was never sent
