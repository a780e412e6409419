"""The sandbox as a server, its last line: control characters the API returns never reach the terminal raw.

A name, message or model id carrying ESC sequences could retitle the reader's terminal, clear it or
rewrite lines already printed. Tables show such characters as ``\\xNN``; JSON and YAML escape them
themselves, so they still carry the value exactly.
"""

from __future__ import annotations

import json
import re
from typing import Any

import yaml
from builders import live
from clirunner import Cli
from hypothesis import given
from hypothesis import strategies as st

from endpointctl.core.diff import FieldChange
from endpointctl.core.endpoint import Hardware
from endpointctl.core.outcomes import (
    ChangeOutcome,
    ChangeResult,
    EndpointWait,
    SmokeOutcome,
    SmokeResult,
    WaitOutcome,
    WaitReport,
)
from endpointctl.core.plan import Action, Change, Plan
from endpointctl.core.readiness import WaitTarget
from endpointctl.core.settings import OutputMode
from endpointctl.sandbox import Request, Response, Sandbox
from endpointctl.sandbox.transport import Handler
from endpointctl.ui import render

# Set the window title, clear the screen, move up and erase a line, ring the bell; C1 CSI; DEL.
HOSTILE = "ok\x1b]0;owned\x07\x1b[2J\r\x1b[1A\x1b[2K\x9b31m\x7fdone\nsecond\tline\x00"
RAW_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # all but \t and \n, which tables may use
EVERY_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def no_raw_control(text: str) -> bool:
    return RAW_CONTROL.search(text) is None


# -- the escaping itself --------------------------------------------------------------------------


def test_printable_shows_every_control_character_as_an_escape() -> None:
    assert render.printable("a\x1b[2Jb") == "a\\x1b[2Jb"
    assert (
        render.printable("\x00\x07\t\n\r\x7f\x80\x9b\x9f") == "\\x00\\x07\\x09\\x0a\\x0d\\x7f\\x80\\x9b\\x9f"
    )
    # Printable non-ASCII just past the C1 block, and ASCII, are left alone.
    assert render.printable("é ü \xa0 日本 ~") == "é ü \xa0 日本 ~"


@given(st.characters())
def test_a_character_is_itself_or_its_escape(char: str) -> None:
    control = ord(char) < 0x20 or 0x7F <= ord(char) <= 0x9F
    assert render.printable(char) == (f"\\x{ord(char):02x}" if control else char)


@given(st.text(), st.text())
def test_text_is_escaped_character_by_character(left: str, right: str) -> None:
    # With the test above, this pins printable down completely: no character is dropped, merged or
    # reordered, and the result holds no control character at all.
    shown = render.printable(left + right)
    assert shown == render.printable(left) + render.printable(right)
    assert EVERY_CONTROL.search(shown) is None


# -- every table ----------------------------------------------------------------------------------


def test_every_table_escapes_what_the_api_returned() -> None:
    ep = live(name=f"evil{HOSTILE}", message=HOSTILE, repository=f"org/{HOSTILE}")
    change = Change(
        f"a{HOSTILE}",
        "acme",
        Action.UPDATE,
        fields=(FieldChange("model.task", HOSTILE, "y"),),
        notes=(HOSTILE,),
    )
    blocked = Change("b", "acme", Action.BLOCKED, reason=HOSTILE)
    result = ChangeResult(Change("a", "acme", Action.CREATE), ChangeOutcome.FAILED, error=HOSTILE)
    waited = EndpointWait(
        WaitTarget("acme", "a"), WaitOutcome.FAILED, HOSTILE, HOSTILE, None, False, 1.0, None
    )
    smoked = SmokeResult("a", "acme", SmokeOutcome.FAIL, HOSTILE)
    row = Hardware("aws", HOSTILE, "cpu", "intel-spr", "x1", "x86", 1, 2.0, None, 0.03, HOSTILE, 4, 1)
    tables = {
        "endpoints": render.endpoints([ep], OutputMode.TABLE),
        "plan": render.plan(Plan((change, blocked)), OutputMode.TABLE),
        "results": render.results([result], OutputMode.TABLE),
        "wait": render.wait_report(WaitReport((waited,), 1, 1.0, 10.0), OutputMode.TABLE),
        "smoke": render.smoke_results([smoked], OutputMode.TABLE),
        "hardware": render.hardware([row], OutputMode.TABLE),
    }
    for name, text in tables.items():
        assert no_raw_control(text), (name, text)
        assert "\\x1b]0;owned\\x07" in text, name
        # A value's newline would start a fake row; it is shown, not obeyed.
        assert "\\x0asecond\\x09line" in text, name


def test_json_and_yaml_still_carry_the_value_exactly() -> None:
    ep = live(message=HOSTILE)
    as_json = render.endpoints([ep], OutputMode.JSON)
    as_yaml = render.endpoints([ep], OutputMode.YAML)
    assert EVERY_CONTROL.search(as_json.replace("\n", "")) is None
    assert json.loads(as_json)[0]["message"] == HOSTILE
    assert yaml.safe_load(as_yaml)[0]["message"] == HOSTILE


@given(st.text())
def test_json_and_yaml_round_trip_any_text_without_raw_control_characters(text: str) -> None:
    for mode, load in ((OutputMode.JSON, json.loads), (OutputMode.YAML, yaml.safe_load)):
        out = render.dump([{"message": text}], mode)
        assert load(out) == [{"message": text}]
        assert EVERY_CONTROL.search(out.replace("\n", "")) is None, mode


# -- end to end, from a hostile API -----------------------------------------------------------------


def poison_listings(request: Request, call_next: Handler) -> Response:
    """An API that returns control characters in every string of an endpoint it lists."""
    response = call_next(request)
    if request.route != "GET /v2/endpoint/{namespace}" or response.status != 200:
        return response
    doc = json.loads(response.body)
    for item in doc["items"]:
        item["status"]["message"] = HOSTILE
        item["model"]["repository"] = f"org/model{HOSTILE}"
    response.body = json.dumps(doc).encode()
    return response


def test_status_from_a_hostile_api_prints_escapes(cli: Cli, sandbox: Sandbox, endpoint_body: Any) -> None:
    import httpx2

    created = httpx2.post(
        f"{sandbox.url}/v2/endpoint/sandbox-user",
        json=endpoint_body("victim"),
        headers={"Authorization": "Bearer hf_sandbox_test_token_123"},
    )
    assert created.status_code == 200, created.text
    sandbox.add_middleware(poison_listings)

    table = cli("status")
    assert table.code == 0, table.all
    assert no_raw_control(table.stdout), table.stdout
    assert "org/model" in table.stdout and "\\x1b]0;owned\\x07" in table.stdout

    as_json = cli("status", "-o", "json")
    assert as_json.code == 0, as_json.all
    assert json.loads(as_json.stdout)[0]["model"] == f"org/model{HOSTILE}"
