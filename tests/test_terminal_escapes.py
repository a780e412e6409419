"""The sandbox as a server, its last line: control characters the API returns never reach the terminal raw.

A name, message or model id carrying ESC sequences could retitle the reader's terminal, clear it or
rewrite lines already printed. Tables show such characters as ``\\xNN``; JSON and YAML escape them
themselves, so they still carry the value exactly. The same holds on stderr (errors quoting the API,
the wait's lines, manifest problems naming a key or a file), in the live display, where rich would also
read ``[/red]`` as markup, and for lone surrogates, which no UTF-8 stream can write at all.
"""

from __future__ import annotations

import io
import json
import os
import pathlib
import re
from datetime import UTC, datetime
from typing import Any

import pytest
import yaml
from builders import live
from clirunner import Cli, Run
from hypothesis import given
from hypothesis import strategies as st
from rewritten_answers import each_endpoint, rewriting
from rich.console import Console
from test_cli_apply import manifest, write

from endpointctl.cli import CommandEnv, main
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
from endpointctl.core.redact import Redactor
from endpointctl.core.settings import OutputMode
from endpointctl.sandbox import Middleware, Request, Response, Sandbox
from endpointctl.sandbox.transport import Handler
from endpointctl.ui import render
from endpointctl.ui.escapes import terminal_text
from endpointctl.ui.live_display import LiveDisplay
from endpointctl.ui.progress import PlainDisplay, report_problems
from endpointctl.ui.sink import Output

AT = datetime(2026, 3, 23, 20, 0, tzinfo=UTC)  # the instant listings are shown at

# Set the window title, clear the screen, move up and erase a line, ring the bell; C1 CSI; DEL.
HOSTILE = "ok\x1b]0;owned\x07\x1b[2J\r\x1b[1A\x1b[2K\x9b31m\x7fdone\nsecond\tline\x00"
RAW_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # all but \t and \n, which tables may use
EVERY_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
SURROGATE = re.compile(r"[\ud800-\udfff]")
# Invisible characters that change what is seen: bidi marks, overrides, embeddings and isolates, line and
# paragraph separators, the zero-width space and the BOM; blank-looking ones (the soft hyphen, the word
# joiner and invisible operators, Hangul, Khmer and Mongolian fillers, the deprecated format characters,
# the interlinear annotation marks) and the tag characters, which can spell hidden text (written out here,
# not taken from the code).
INVISIBLE = frozenset(
    {
        0x00AD,
        0x061C,
        0x115F,
        0x1160,
        0x17B4,
        0x17B5,
        0x180E,
        0x200B,
        0x200E,
        0x200F,
        0x3164,
        0xFEFF,
        0xFFA0,
        *range(0x2028, 0x202F),
        *range(0x2060, 0x2065),
        *range(0x2066, 0x2070),
        *range(0xFFF9, 0xFFFC),
        *range(0xE0000, 0xE0080),
    }
)
RAW_INVISIBLE = re.compile("[" + "".join(map(chr, sorted(INVISIBLE))) + "]")
# Rich markup and an emoji code, which the live display must show as written: `[/red]` with nothing open
# made rich raise MarkupError, and `[link=...]` would turn into an OSC 8 hyperlink.
MARKUP = "loading [/red] weights [link=https://evil.example]click[/link] [bold red]x[/] :smile:"
LONE = "org/model\ud83d and \udc00"  # lone surrogates, as JSON can carry them ("\\ud83d")
BIDI = "prod-\u202essecca\u2066\u200b\ufeff\u2060\u00ad\U000e0070"  # reads as "prod-access"
EVIL = f"{HOSTILE} {MARKUP} {LONE} {BIDI}"


def no_raw_control(text: str) -> bool:
    return RAW_CONTROL.search(text) is None


def assert_terminal_safe(text: str) -> None:
    """Nothing in ``text`` drives a terminal, and all of it can be written as UTF-8."""
    assert RAW_CONTROL.search(text) is None, text
    assert RAW_INVISIBLE.search(text) is None, text
    assert SURROGATE.search(text) is None, text
    text.encode("utf-8")


# -- the escaping itself --------------------------------------------------------------------------


def test_printable_shows_every_control_character_as_an_escape() -> None:
    assert render.printable("a\x1b[2Jb") == "a\\x1b[2Jb"
    assert (
        render.printable("\x00\x07\t\n\r\x7f\x80\x9b\x9f") == "\\x00\\x07\\x09\\x0a\\x0d\\x7f\\x80\\x9b\\x9f"
    )
    # Printable non-ASCII just past the C1 block, and ASCII, are left alone.
    assert render.printable("é ü \xa0 日本 ~") == "é ü \xa0 日本 ~"


# Any character at all, lone surrogates included (hypothesis leaves those out unless told).
ANY_CHAR = st.characters(exclude_categories=())


@given(ANY_CHAR)
def test_a_character_is_itself_or_its_escape(char: str) -> None:
    control = ord(char) < 0x20 or 0x7F <= ord(char) <= 0x9F
    surrogate = 0xD800 <= ord(char) <= 0xDFFF or ord(char) in INVISIBLE
    expected = f"\\x{ord(char):02x}" if control else f"\\u{ord(char):04x}" if surrogate else char
    assert render.printable(char) == expected
    # Text printed as lines keeps its newlines and tabs, and escapes the rest the same way.
    assert terminal_text(char) == (char if char in "\n\t" else expected)


def test_a_name_that_reads_backwards_is_shown_as_written() -> None:
    """A right-to-left override would show "prod-ssecca" as "prod-access"; the escape shows the trick."""
    assert render.printable("prod-\u202essecca") == "prod-\\u202essecca"
    assert render.printable("a\u200db") == "a\u200db"  # a joiner is left alone: emoji and scripts need it
    for mode in (OutputMode.JSON, OutputMode.YAML):
        shown = render.dump([{"name": "prod-\u202essecca", "note": "\ufeffx\u2028y\u2066"}], mode)
        assert RAW_INVISIBLE.search(shown) is None, shown
        assert (json.loads if mode is OutputMode.JSON else yaml.safe_load)(shown) == [
            {"name": "prod-\u202essecca", "note": "\ufeffx\u2028y\u2066"}
        ]


@given(st.text(ANY_CHAR), st.text(ANY_CHAR))
def test_text_is_escaped_character_by_character(left: str, right: str) -> None:
    # With the test above, this pins both down completely: no character is dropped, merged or
    # reordered, the result holds no control character (but newlines and tabs in terminal_text) and no
    # surrogate, and it can be written to any UTF-8 stream.
    for escape, left_raw in ((render.printable, EVERY_CONTROL), (terminal_text, RAW_CONTROL)):
        shown = escape(left + right)
        assert shown == escape(left) + escape(right)
        assert left_raw.search(shown) is None and SURROGATE.search(shown) is None
        assert RAW_INVISIBLE.search(shown) is None
        shown.encode("utf-8")


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
        "endpoints": render.endpoints([ep], OutputMode.TABLE, at=AT),
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
    as_json = render.endpoints([ep], OutputMode.JSON, at=AT)
    as_yaml = render.endpoints([ep], OutputMode.YAML, at=AT)
    assert EVERY_CONTROL.search(as_json.replace("\n", "")) is None
    assert json.loads(as_json)[0]["message"] == HOSTILE
    assert yaml.safe_load(as_yaml)[0]["message"] == HOSTILE


def joined(text: str) -> str:
    """``text`` with each high-then-low surrogate pair made the one character it stands for.

    JSON's ``\\ud83d\\ude00`` reads back as that character; a str from a JSON decoder never holds the
    pair itself, only the character or a surrogate on its own.
    """
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


@given(st.text(ANY_CHAR))
def test_json_and_yaml_round_trip_any_text_without_raw_control_characters(text: str) -> None:
    for mode, load, expected in (
        (OutputMode.JSON, json.loads, joined(text)),
        (OutputMode.YAML, yaml.safe_load, text),
    ):
        out = render.dump([{"message": text, text: 1}], mode)
        assert load(out) == [{"message": expected, expected: 1}], mode
        assert EVERY_CONTROL.search(out.replace("\n", "")) is None, mode
        assert SURROGATE.search(out) is None, mode
        # What the Output adds on the way out changes nothing here: -o json and -o yaml stay byte-exact.
        assert terminal_text(out) == out, mode


def test_a_lone_surrogate_is_written_as_an_escape_json_and_yaml_read_back() -> None:
    assert render.printable("a/\ud83d") == "a/\\ud83d"
    as_json = render.dump([f"a/{LONE}"], OutputMode.JSON)
    assert "org/model\\ud83d and \\udc00" in as_json
    assert json.loads(as_json) == [f"a/{LONE}"]
    as_yaml = render.dump([f"a/{LONE}"], OutputMode.YAML)
    assert yaml.safe_load(as_yaml) == [f"a/{LONE}"]
    (as_json + as_yaml).encode("utf-8")


def test_status_from_a_hostile_api_prints_escapes(cli: Cli, sandbox: Sandbox, endpoint_body: Any) -> None:
    import httpx2

    created = httpx2.post(
        f"{sandbox.url}/v2/endpoint/sandbox-user",
        json=endpoint_body("victim"),
        headers={"Authorization": "Bearer hf_sandbox_test_token_123"},
    )
    assert created.status_code == 200, created.text
    sandbox.add_middleware(poison(HOSTILE))

    table = cli("status")
    assert table.code == 0, table.all
    assert no_raw_control(table.stdout), table.stdout
    wide = cli("status", "-o", "wide")  # the default table cuts a long model id; wide shows all of it
    assert wide.code == 0, wide.all
    assert no_raw_control(wide.stdout), wide.stdout
    assert "org/model" in wide.stdout and "\\x1b]0;owned\\x07" in wide.stdout

    as_json = cli("status", "-o", "json")
    assert as_json.code == 0, as_json.all
    assert json.loads(as_json.stdout)[0]["model"] == f"org/model{HOSTILE}"


# -- stderr: one choke point, the Output ------------------------------------------------------------


class Terminal(io.TextIOWrapper):
    """A UTF-8 stream as a terminal's is: it cannot write a lone surrogate, and it may say it is a tty."""

    def __init__(self, *, tty: bool = False) -> None:
        self._raw = io.BytesIO()
        super().__init__(self._raw, encoding="utf-8", errors="strict", write_through=True)
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty

    def text(self) -> str:
        self.flush()
        return self._raw.getvalue().decode("utf-8")


def run(cli: Cli, *argv: str, tty: bool = False) -> Run:
    """``cli(*argv)`` with streams that fail as a terminal's would, stderr a tty if asked."""
    stdout, stderr = Terminal(), Terminal(tty=tty)
    env = CommandEnv(
        environ=cli.environ,
        clock=cli.clock,
        interactive=False,
        prompt=lambda _text: False,
        out=Output(stdout=stdout, stderr=stderr),
    )
    code = main(list(argv), env=env)
    return Run(code, stdout.text(), stderr.text())


@given(st.text(ANY_CHAR))
def test_whatever_the_output_is_given_it_writes_terminal_safe_text(text: str) -> None:
    stdout, stderr = Terminal(), Terminal()
    out = Output(stdout=stdout, stderr=stderr, redactor=Redactor(["hf_secret_value_1234"]))
    out.info(text)
    out.diagnostic(text)
    out.warn(text)
    out.error(text, hint=text)
    out.result(text)
    for written in (stdout.text(), stderr.text()):
        assert_terminal_safe(written)
    # Exactly what was given, escaped character by character: lines stay lines, nothing is lost.
    line = text if text.endswith("\n") else text + "\n"
    hint = f"hint: {text}\n" if text else ""
    assert stderr.text() == terminal_text(f"{line}{line}warning: {text}\nerror: {text}\n{hint}")
    assert stdout.text() == terminal_text(text)


def test_output_shows_what_it_escapes_and_keeps_newlines_and_tabs() -> None:
    stderr = Terminal()
    Output(stdout=Terminal(), stderr=stderr).error(f"listing endpoints: the API answered 400: {EVIL}")
    written = stderr.text()
    assert_terminal_safe(written)
    assert "\\x1b]0;owned\\x07\\x1b[2J\\x0d\\x1b[1A\\x1b[2K\\x9b31m\\x7fdone\nsecond\tline\\x00" in written
    assert "org/model\\ud83d and \\udc00" in written


# -- end to end, from a hostile API: status, its errors, wait ------------------------------------------


def poison(text: str) -> Middleware:
    """An API that puts ``text`` in the status message and model id of every endpoint it lists."""

    def edit(item: dict[str, Any]) -> None:
        item["status"]["message"] = text
        item["model"]["repository"] = f"org/model{text}"

    return rewriting("GET /v2/endpoint/{namespace}", each_endpoint(edit))


@pytest.fixture
def victim(cli: Cli, tmp_path: pathlib.Path) -> str:
    """An endpoint, created a moment ago (pending), and its manifest."""
    path = write(tmp_path, "m.yaml", manifest("victim"))
    assert cli("apply", path, "--yes").code == 0
    return path


def test_status_from_a_hostile_api_in_every_mode(cli: Cli, sandbox: Sandbox, victim: str) -> None:
    sandbox.add_middleware(poison(EVIL))

    table = run(cli, "status")
    assert table.code == 0, table.all
    assert_terminal_safe(table.all)
    wide = run(cli, "status", "-o", "wide")  # the default table cuts a long model id; wide shows all of it
    assert wide.code == 0, wide.all
    assert_terminal_safe(wide.all)
    assert "\\x1b]0;owned\\x07" in wide.stdout and "org/model\\ud83d and \\udc00" in wide.stdout
    assert MARKUP in wide.stdout  # a table is not markup: shown as written

    as_json = run(cli, "status", "-o", "json")
    assert as_json.code == 0, as_json.all
    assert_terminal_safe(as_json.all)
    (record,) = json.loads(as_json.stdout)
    assert (record["message"], record["model"]) == (EVIL, f"org/model{EVIL}")

    as_yaml = run(cli, "status", "-o", "yaml")
    assert as_yaml.code == 0, as_yaml.all
    assert_terminal_safe(as_yaml.all)
    (record,) = yaml.safe_load(as_yaml.stdout)
    assert (record["message"], record["model"]) == (EVIL, f"org/model{EVIL}")


def refuse_listings(body: Response) -> Handler:
    def middleware(request: Request, call_next: Handler) -> Response:
        if request.route == "GET /v2/endpoint/{namespace}":
            return body
        return call_next(request)

    return middleware


@pytest.mark.parametrize(
    "answer",
    [
        Response(400, json.dumps({"error": EVIL}).encode()),  # ASCII JSON: the surrogates as \ud83d
        # A header cannot carry C0, but it can carry bytes 0x80-0x9f, which read back as C1: CSI, OSC.
        Response(400, b"", headers={"X-Error-Message": "bad \x9b2J\x9d0;owned\x9c [/red] done"}),
        Response(400, EVIL.encode("utf-8", "surrogatepass"), content_type="text/plain"),
    ],
    ids=["json-error", "x-error-message", "text-body"],
)
def test_an_api_error_quoting_control_characters_is_escaped_on_stderr(
    cli: Cli, sandbox: Sandbox, victim: str, answer: Response
) -> None:
    sandbox.add_middleware(refuse_listings(answer))
    for argv in (("status",), ("status", "-o", "json"), ("wait", "victim", "--timeout", "5")):
        result = run(cli, *argv)
        assert result.code != 0, result.all
        assert "the API answered 400" in result.stderr, result.stderr
        assert "Traceback" not in result.all
        assert_terminal_safe(result.all)
    assert "\\x" in result.stderr  # shown, as escapes


def test_wait_on_a_hostile_api_prints_one_escaped_line_per_change(
    cli: Cli, sandbox: Sandbox, victim: str
) -> None:
    sandbox.add_middleware(poison(EVIL))
    result = run(cli, "wait", "victim", "--timeout", "0.5")
    assert result.code == 4, result.all
    assert_terminal_safe(result.all)
    assert "Traceback" not in result.all
    (line,) = [line for line in result.stderr.splitlines() if " victim " in line]
    assert line.endswith(f"victim pending: {render.printable(EVIL)}")
    # The timeout error quotes the message on one line too: its newline forges no line of its own.
    assert f"is still pending: {render.printable(EVIL)}\n" in result.stderr
    assert not any(line.startswith("second") for line in result.all.splitlines())


def test_wait_on_a_terminal_shows_markup_as_text_and_does_not_crash(
    cli: Cli, sandbox: Sandbox, victim: str
) -> None:
    sandbox.add_middleware(poison(EVIL))
    result = run(cli, "wait", "victim", "--timeout", "0.5", tty=True)
    assert result.code == 4, result.all
    assert "MarkupError" not in result.all and "Traceback" not in result.all
    assert "\x1b[" in result.stderr  # the live display was drawn
    assert_drawn_safely(result.stderr)
    assert "[/red]" in result.stderr and "[link=https://evil.example]" in result.stderr


def test_status_of_a_lone_surrogate_in_a_repository_does_not_crash(
    cli: Cli, sandbox: Sandbox, victim: str
) -> None:
    sandbox.add_middleware(poison("\ud83d"))
    for mode in ("table", "json", "yaml"):
        result = run(cli, "status", "-o", mode)
        assert result.code == 0, (mode, result.all)
        assert "org/model\\ud83d" in result.stdout or "org/model\\uD83D" in result.stdout, mode


# -- the live display -------------------------------------------------------------------------------

# The sequences rich itself draws with: SGR colours, cursor up, erase line, hide and show the cursor.
RICH_OWN = re.compile(r"\x1b\[[0-9;]*[mAK]|\x1b\[\?25[lh]")


def assert_drawn_safely(drawn: str) -> None:
    """Past rich's own CSI sequences, nothing in ``drawn`` drives a terminal: no OSC (a title, a link)."""
    rest = RICH_OWN.sub("", drawn)
    assert RAW_CONTROL.search(rest.replace("\r", "")) is None, repr(rest)
    assert SURROGATE.search(drawn) is None
    assert "\x1b]" not in drawn and "\x07" not in drawn and "\x1b[2J" not in drawn


def live_display(file: io.StringIO, out: Output | None = None) -> LiveDisplay:
    console = Console(file=file, force_terminal=True, width=400, color_system="standard")
    return LiveDisplay(console, Redactor(["hf_secret_value_1234"]), Wall(), auto_refresh=False, out=out)


class Wall:
    def __call__(self) -> float:
        return 1_795_579_262.0


def hostile_report(text: str) -> WaitReport:
    waited = EndpointWait(WaitTarget("acme", "a"), WaitOutcome.FAILED, text, text, text, False, 1.0, None)
    return WaitReport((waited,), 1, 1.0, 10.0)


def test_the_live_display_shows_hostile_cells_as_plain_text() -> None:
    file = io.StringIO()
    out = Output(stdout=io.StringIO(), stderr=file)
    with live_display(file, out) as display:
        display.update(f"acme/{MARKUP}", "initializing", EVIL, 0.0)
        display.update("acme/b", f"[red]{HOSTILE}", MARKUP, 0.0, final=True)
        out.warn(f"the API answered 503: {EVIL}")  # printed above the display
        display.done(hostile_report(EVIL))
    drawn = file.getvalue()
    assert_drawn_safely(drawn)
    assert drawn.count(MARKUP) >= 3  # key, message, the warning: as written, not as markup
    assert render.printable(HOSTILE) in drawn and "org/model\\ud83d and \\udc00" in drawn
    assert "\\x1b]0;owned" in drawn


MARKUP_BITS = st.sampled_from(["[", "]", "[/", "[/]", "[red]", "[link=", ":smile:", "\x1b]0;", "\x07"])
text_with_markup = st.lists(st.one_of(st.text(ANY_CHAR, max_size=4), MARKUP_BITS)).map("".join)


@given(text_with_markup, text_with_markup)
def test_the_live_display_draws_any_text_safely(key: str, message: str) -> None:
    file = io.StringIO()
    with live_display(file) as display:
        display.update(key, message, message, 0.0)
        display.done(hostile_report(message))
    drawn = file.getvalue()
    assert_drawn_safely(drawn)
    drawn.encode("utf-8")


@given(st.text(ANY_CHAR), st.text(ANY_CHAR))
def test_plain_lines_and_problems_are_one_safe_line_each(key: str, message: str) -> None:
    stderr = Terminal()
    out = Output(stdout=Terminal(), stderr=stderr)
    display = PlainDisplay(out, Wall())
    display.update(key, "pending", message, 0.0)
    display.update(key, "failed", message, 1.0, final=True)
    report = hostile_report(message)
    report_problems(out, report)
    written = stderr.text()
    assert_terminal_safe(written)
    # Two progress lines, an error and its hint (none when empty): a newline in a value adds none.
    assert len(written.splitlines()) == (4 if message else 3)


# -- manifest problems name keys and files ------------------------------------------------------------


def test_manifest_problems_escape_keys_and_file_names(cli: Cli, tmp_path: pathlib.Path) -> None:
    evil_key = '"\\e[2J\\e]0;owned\\a\\x9b31m"'  # YAML escapes: ESC, BEL, C1 CSI
    body = manifest("victim").replace("spec:\n", f"spec:\n  {evil_key}: 1\n", 1)
    folder = tmp_path / "manifests"
    folder.mkdir()
    write(folder, "evil\x1b]0;owned\x07.yaml", body)
    # A name that is not UTF-8 reaches Python as lone surrogates (\udcff): it must not crash the error.
    (folder / os.fsdecode(b"bad\xff.yaml")).write_text(manifest("other", bogus=1))
    result = run(cli, "validate", str(folder))
    assert result.code == 2, result.all
    assert_terminal_safe(result.all)
    assert result.stderr.count("unknown key") == 2, result.stderr
    assert "evil\\x1b]0;owned\\x07.yaml" in result.stderr
    assert "\\x1b[2J\\x1b]0;owned\\x07\\x9b31m" in result.stderr
    assert "bad\\udcff.yaml" in result.stderr
