"""``-o markdown`` (issue 11): a summary line and a table a reviewer reads in a pull request.

Through the CLI against the sandbox, each output is read back as a reader sees it: parsed by a
CommonMark parser with GFM tables (markdown-it-py, as rich ships it) into tables of cells whose text is
compared with what the JSON or table mode says of the same run. Text from outside (names, messages,
values) must come out as itself and nothing else: one row per record, no raw HTML but the renderer's
own, no mention, no secret; and ``plan --detailed-exitcode`` exits the same in every mode.
"""

from __future__ import annotations

import html
import json
import pathlib
import re
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from typing import Any

import pytest
from builders import live
from clirunner import Cli, Run
from cost_helpers import berlin
from cost_helpers import manifest as priced_manifest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from test_cli_apply import manifest, write
from test_secrets_never_shown import (
    CASES,
    NAME,
    SCENARIOS,
    Case,
    FileWatch,
    Manifests,
    RestorableClock,
    Snapshot,
    World,
    deploy_once,
    echo_400,
    expected_code,
    leaks,
    one_sandbox,
)
from test_unknown_is_never_drift import in_state, reshaping

from endpointctl.core.endpoint import Status
from endpointctl.core.redact import Redactor
from endpointctl.sandbox import ManualClock, Request, Response, Sandbox
from endpointctl.sandbox.transport import Handler
from endpointctl.ui import markdown, markdown_escape
from endpointctl.ui.escapes import printable

USER = "sandbox-user"
GFM = MarkdownIt("commonmark", {"html": True}).enable("table")
# The only raw HTML the renderer writes; everything else that looks like a tag came from outside.
OWN_TAGS = re.compile(r"</?code>|<br>|<details>|</details>|<summary>|</summary>")
REFERENCE = re.compile(r"&(?:#[0-9]+|amp|lt|gt);")
CODE = re.compile(r"<code>.*?</code>")


class _Tables(HTMLParser):
    """Every table of an HTML page as rows of cell texts (tags dropped, ``<br>`` as a newline)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[list[list[str]]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "br" and self._cell is not None:
            self._cell.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def tables(text: str) -> list[list[list[str]]]:
    parser = _Tables()
    parser.feed(GFM.render(text))
    return parser.tables


def by_endpoint(table: list[list[str]], column: str = "Endpoint") -> dict[str, dict[str, str]]:
    """A table's body rows as {endpoint: {header: cell}}."""
    header, *rows = table
    assert all(len(row) == len(header) for row in rows), table
    return {row[header.index(column)]: dict(zip(header, row, strict=True)) for row in rows}


def shown(text: str) -> str:
    """What a reader sees of markdown: the rendered page's text."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", GFM.render(text)))).strip()


def lines_of(run: Run) -> list[str]:
    return run.stdout.splitlines()


def assert_markdown_is_safe(text: str) -> None:
    """Only the renderer's own HTML, no mention outside code, and no line a runner takes as a command."""
    for line in text.splitlines():
        assert not line.startswith("::"), line
        own = OWN_TAGS.sub("", line)
        assert "<" not in own, line
        outside_code = REFERENCE.sub("", CODE.sub("", line))
        assert "@" not in outside_code and "#" not in outside_code, line


def markdown_run(cli: Cli, *argv: str) -> Run:
    run = cli(*argv, "-o", "markdown")
    assert_markdown_is_safe(run.stdout)
    return run


# -- plan -----------------------------------------------------------------------------------------------


@pytest.fixture
def stack(cli: Cli, clock: Any, tmp_path: pathlib.Path) -> pathlib.Path:
    """Four endpoints of stack 's' deployed; the manifests now create one, update one, widen one's
    access (a replace), drop one (a delete with --prune) and leave one as it is."""
    applied = tmp_path / "applied"
    applied.mkdir()
    for name in ("keep", "grow", "move", "gone"):
        write(applied, f"{name}.yaml", manifest(name))
    result = cli("apply", str(applied), "--yes", "--stack", "s")
    assert result.code == 0, result.all
    clock.advance(10)
    changed = tmp_path / "changed"
    changed.mkdir()
    write(changed, "keep.yaml", manifest("keep"))
    write(changed, "grow.yaml", manifest("grow", scaling={"minReplica": 1, "maxReplica": 3}))
    write(changed, "move.yaml", manifest("move", security="public", allowPublic=True))
    write(changed, "fresh.yaml", manifest("fresh"))
    return changed


def test_a_plan_shows_each_kind_of_change_with_its_cost_and_notes(cli: Cli, stack: pathlib.Path) -> None:
    args = ("plan", str(stack), "--prune", "--stack", "s", "--allow-replace")
    run = markdown_run(cli, *args)
    assert run.code == 0, run.all
    summary = lines_of(run)[0]
    assert summary.startswith(
        "**Plan:** 1 to create, 1 to update, **1 to replace**, **1 to delete**, ⚠️ **1 widens access**, "
        "1 unchanged. **Cost per hour:** "
    ), summary
    # The figures are the table mode's own, for the plan and for each change.
    table_mode = cli(*args)
    total = re.search(r"Cost per hour: (.*) -> (.*) \((\d+) endpoint", table_mode.stdout)
    assert total is not None, table_mode.stdout
    assert f"Cost per hour: {total[1]} → {total[2]} ({total[3]} endpoint(s), USD)." in shown(summary)
    change_costs = re.findall(r"cost: (.*) -> (.*)", table_mode.stdout)

    changes, fresh_fields, grow_fields, move_fields = tables(run.stdout)  # gone: no field of its own
    assert changes[0] == ["Action", "Endpoint", "Changes", "Cost per hour", "Notes"]
    rows = by_endpoint(changes)
    assert list(rows) == [f"{USER}/{name}" for name in ("fresh", "grow", "move", "gone")]
    fresh, grow, move, gone = rows.values()
    assert [r["Cost per hour"] for r in rows.values()] == [f"{a} → {b}" for a, b in change_costs]

    assert fresh["Action"] == "create"
    assert fresh["Changes"] == "new: openai-community/gpt2 on aws/us-east-1 intel-spr x2"
    assert (grow["Action"], grow["Changes"], grow["Notes"]) == ("update in place", "scaling.maxReplica", "")
    assert move["Action"] == "⚠️ replace"
    assert move["Changes"] == "security (⚠️ forces replacement)"
    assert move["Notes"].splitlines() == [
        "why: changing security cannot be done in place",
        "⚠️ widens access: protected -> public (anyone, without a token could call it)",
        "replace = delete, then create under the same name: downtime until the new endpoint is running, "
        "and the URL may change",
    ]
    assert gone["Action"] == "⚠️ delete"
    assert gone["Notes"] == "why: tagged with stack 's' and absent from the manifests"
    # What must stand out does, in the source itself: bold, not only a word in a cell.
    move_row = next(line for line in lines_of(run) if f"{USER}/move" in line and line.startswith("|"))
    assert "⚠️ **replace**" in move_row and "⚠️ **widens access&#58; protected -&gt; public" in move_row

    # Each endpoint's fields, collapsed under a summary naming it.
    assert (
        "<details><summary>update in place <code>sandbox-user/grow</code>: 1 field(s)</summary>" in run.stdout
    )
    assert grow_fields == [["Field", "From", "To"], ["scaling.maxReplica", "1", "3"]]
    assert move_fields == [
        ["Field", "From", "To"],
        ["security ⚠️ forces replacement", "protected", "public"],
    ]
    assert fresh_fields[0] == ["Field", "Value"]
    assert ["model.repository", "openai-community/gpt2"] in fresh_fields
    assert ["security", "public"] not in fresh_fields
    # With --prune, the files the plan was made from.
    assert lines_of(run)[-1].startswith("Read 4 manifest file(s), each in full")


def test_a_blocked_change_says_why_in_the_table(cli: Cli, stack: pathlib.Path) -> None:
    run = markdown_run(cli, "plan", str(stack))
    assert run.code == 0, run.all
    assert "⛔ **1 blocked**" in lines_of(run)[0] and "⚠️ **1 widens access**" in lines_of(run)[0]
    move = by_endpoint(tables(run.stdout)[0])[f"{USER}/move"]
    assert move["Action"] == "⛔ blocked"
    assert move["Notes"].splitlines()[0] == (
        "⛔ blocked: changing security cannot be done in place; "
        "re-run with --allow-replace to delete and re-create it"
    )


def test_no_changes_is_one_line_and_an_unknown_state_is_still_said(
    cli: Cli, sandbox: Sandbox, clock: Any, tmp_path: pathlib.Path
) -> None:
    path = write(tmp_path, "m.yaml", manifest())
    assert cli("apply", path, "--yes").code == 0
    clock.advance(10)
    run = markdown_run(cli, "plan", path)
    assert run.code == 0, run.all
    assert run.stdout.startswith("**No changes.** 1 endpoint(s) up to date. **Cost per hour:** ")
    assert "|" not in run.stdout and len(lines_of(run)) == 1

    sandbox.add_middleware(in_state("deleting"))
    noted = markdown_run(cli, "plan", path)
    assert noted.stdout.startswith("**No changes.**")
    row = by_endpoint(tables(noted.stdout)[0])[f"{USER}/gpt2-demo"]
    assert row["Action"] == "unchanged"
    assert row["Notes"] == (
        "its state 'deleting' is not one endpointctl knows: "
        "nothing is changed until the API reports a known one"
    )


def _fail_listing(request: Request, call_next: Handler) -> Response:
    if request.route == "GET /v2/endpoint/{namespace}":
        return Response(status=403, body=b'{"error": "forbidden"}')
    return call_next(request)


@pytest.mark.parametrize(
    ("scenario", "code"), [("changes", 3), ("none", 0), ("blocked", 1), ("bad-manifest", 2), ("api-error", 1)]
)
def test_detailed_exitcode_is_the_same_in_every_mode(
    cli: Cli, sandbox: Sandbox, clock: Any, tmp_path: pathlib.Path, scenario: str, code: int
) -> None:
    path = write(tmp_path, "m.yaml", manifest())
    if scenario in ("none", "blocked"):
        assert cli("apply", path, "--yes").code == 0
        clock.advance(10)
    if scenario == "blocked":
        write(tmp_path, "m.yaml", manifest(security="private"))  # a replace, without --allow-replace
    if scenario == "bad-manifest":
        write(tmp_path, "m.yaml", manifest(scaling={"minReplica": 3, "maxReplica": 1}))
    if scenario == "api-error":
        sandbox.add_middleware(_fail_listing)
    runs = {
        mode: cli("plan", path, "--detailed-exitcode", "-o", mode) for mode in ("table", "json", "markdown")
    }
    assert {mode: run.code for mode, run in runs.items()} == dict.fromkeys(runs, code), runs["markdown"].all
    if code in (0, 3):
        assert runs["markdown"].stdout.startswith(("**Plan:**", "**No changes.**"))


# -- apply, with --wait and --smoke ---------------------------------------------------------------------


def test_apply_wait_smoke_shows_each_endpoint_with_its_wait_and_smoke_test(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    write(tmp_path, "a.yaml", manifest("alpha"))
    write(tmp_path, "b.yaml", manifest("beta", task="text-classification"))
    run = markdown_run(cli, "apply", str(tmp_path), "--yes", "--wait", "--smoke")
    assert run.code == 0, run.all
    assert lines_of(run)[0] == (
        "**Applied:** 2 ok · **Wait:** 2 ready · **Smoke tests:** 2 passed, 0 failed, 0 skipped"
    )
    (table,) = tables(run.stdout)
    assert table[0] == ["Endpoint", "Action", "Outcome", "State", "Detail", "Wait", "Smoke test"]
    rows = by_endpoint(table)
    assert list(rows) == [f"{USER}/alpha", f"{USER}/beta"]
    for row in rows.values():
        assert (row["Action"], row["Outcome"]) == ("create", "✅ ok")
        assert re.fullmatch(r"✅ ready in \d+s", row["Wait"]), row
        assert row["State"] == "running"  # as the wait left it, not as the create's answer had it
        assert re.fullmatch(r"✅ pass · HTTP 200 · \d+ ms: HTTP 200, .* shape", row["Smoke test"]), row

    # A smoke test that fails: exit 1 as in every mode, and the failure in its row, with the reason.
    sandbox.set_dataplane(USER, "beta", body=[{"label": "NEGATIVE", "score": 0.9}])
    failing = write(tmp_path, "b.yaml", manifest("beta", task="text-classification", smokeTest={
        "request": {"inputs": "great"}, "expect": {"json": {"path": "[0].label", "equals": "POSITIVE"}},
    }))  # fmt: skip
    codes = {mode: cli("apply", failing, "--yes", "--smoke", "-o", mode).code for mode in ("table", "json")}
    again = markdown_run(cli, "apply", failing, "--yes", "--smoke")
    assert codes == {"table": 1, "json": 1} and again.code == 1, again.all
    assert lines_of(again)[0].endswith("**Smoke tests:** 0 passed, **1 failed**, 0 skipped")
    beta = by_endpoint(tables(again.stdout)[0])[f"{USER}/beta"]
    assert beta["Outcome"] == "unchanged"
    assert beta["Smoke test"].startswith("❌ fail · HTTP 200") and "POSITIVE" in beta["Smoke test"]


def test_a_failed_deploy_is_bold_in_the_wait_column(cli: Cli, tmp_path: pathlib.Path) -> None:
    path = write(tmp_path, "m.yaml", manifest(repository="sandbox/fail-deploy"))
    run = markdown_run(cli, "apply", path, "--yes", "--wait")
    assert run.code == 1, run.all
    assert lines_of(run)[0] == "**Applied:** 1 ok · **Wait:** **1 failed**"
    row = by_endpoint(tables(run.stdout)[0])[f"{USER}/gpt2-demo"]
    assert row["Wait"].startswith("❌ failed after ") and "failed" in row["Wait"]
    assert "❌ **failed** after" in run.stdout


# -- status ---------------------------------------------------------------------------------------------


def test_status_shows_every_column_of_every_endpoint(cli: Cli, clock: Any, tmp_path: pathlib.Path) -> None:
    write(tmp_path, "a.yaml", manifest("zeta"))
    write(tmp_path, "b.yaml", manifest("alpha", state="paused"))
    assert cli("apply", str(tmp_path), "--yes").code == 0
    clock.advance(10)
    run = markdown_run(cli, "status")
    assert run.code == 0, run.all
    assert lines_of(run)[0] == "**2 endpoint(s):** 1 paused, 1 running."
    (table,) = tables(run.stdout)
    assert table[0] == [
        "Name", "Namespace", "State", "URL", "Model", "Revision", "Instance", "Ready/Min-Max", "Security",
        "Message",
    ]  # fmt: skip
    assert [row[0] for row in table[1:]] == ["alpha", "zeta"]  # sorted, as the table mode
    records = {r["name"]: r for r in json.loads(cli("status", "-o", "json").stdout)}
    for row in table[1:]:
        r = records[row[0]]
        instance = f"{r['vendor']}/{r['region']} {r['accelerator']} {r['instanceType']} {r['instanceSize']}"
        # Unknown (null) is "?": a paused endpoint's 0/0 is the pause's, not its replica counts.
        low, high = ("?" if n is None else n for n in (r["minReplica"], r["maxReplica"]))
        replicas = f"{r['readyReplica']}/{low}-{high}"
        expected = [r["name"], r["namespace"], r["status"], r["url"] or "-", r["model"], r["revision"]]
        assert row == [*expected, instance, replicas, r["security"], r["message"]]


# -- schedule run and cost ------------------------------------------------------------------------------

OFFICE = {"timezone": "Europe/Berlin", "running": ["Mon-Fri 08:00-20:00"]}
OUTSIDE = "2026-03-23T21:00:00+01:00"


def test_schedule_run_says_what_it_moved(cli: Cli, clock: Any, tmp_path: pathlib.Path) -> None:
    (tmp_path / "setup").mkdir()
    assert cli("apply", write(tmp_path / "setup", "m.yaml", manifest("office")), "--yes").code == 0
    clock.advance(10)
    path = write(tmp_path, "s.yaml", manifest("office", schedule=OFFICE))
    (record,) = json.loads(cli("schedule", "run", path, "--at", OUTSIDE, "--dry-run", "-o", "json").stdout)
    dry = markdown_run(cli, "schedule", "run", path, "--at", OUTSIDE, "--dry-run")
    assert dry.code == 0, dry.all
    assert lines_of(dry)[0] == "**Schedule run:** 1 endpoint(s): 1 pause; 1 planned."
    assert by_endpoint(tables(dry.stdout)[0])[f"{USER}/office"] == {
        "Endpoint": f"{USER}/office",
        "Before": "running",
        "Desired": "paused",
        "Action": "pause",
        "Outcome": "planned",
        "Next change": "running at Tue 2026-03-24 08:00 CET",
        "Detail": "; ".join(filter(None, [record["error"], *record["notes"]])),
    }
    run = markdown_run(cli, "schedule", "run", path, "--at", OUTSIDE)
    assert run.code == 0, run.all
    assert lines_of(run)[0] == "**Schedule run:** 1 endpoint(s): 1 pause; 1 ok."
    assert by_endpoint(tables(run.stdout)[0])[f"{USER}/office"]["Outcome"] == "ok"


def test_cost_shows_the_month_per_endpoint_and_in_total(cli: Cli, tmp_path: pathlib.Path) -> None:
    office = priced_manifest("office", min_replica=1, max_replica=2, schedule=berlin("Mon-Fri 08:00-20:00"))
    write(tmp_path, "office.yaml", office)
    write(
        tmp_path,
        "always.yaml",
        priced_manifest("always", instance="intel-spr x2", min_replica=2, max_replica=4),
    )
    run = markdown_run(cli, "cost", str(tmp_path), "--month", "2026-10")
    assert run.code == 0, run.all
    # office, in Berlin: 264 h x $0.80 = $211.20 on schedule, 745 h always on ($596.00), $422.40 at 2
    # replicas; always, in UTC: 744 h x 2 x $0.067 = $99.70 every hour, $199.39 at 4 replicas.
    assert shown(lines_of(run)[0]) == (
        "Cost for 2026-10: $310.90 on schedule (always on: $695.70, saving $384.80), "
        "up to $621.79 at maxReplica; 2 endpoint(s), USD."
    )
    (table,) = tables(run.stdout)
    rows = by_endpoint(table)
    assert rows[f"{USER}/office"]["Scheduled"] == "$211.20" and rows[f"{USER}/office"]["Hours"] == "745"
    assert rows[f"{USER}/always"]["Saving"] == "$0.00"
    assert rows["Total"]["Saving"] == "$384.80" and rows["Total"]["Always on"] == "$695.70"


# -- every command takes -o markdown --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "starts"),
    [
        (("validate", "{m}"), "1 manifest(s) valid."),
        (("plan", "{m}"), "**No changes.**"),
        (("apply", "{m}", "--yes"), "**Applied:** 1 unchanged"),
        (("apply", "{m}", "--dry-run"), "**No changes.**"),
        (("status",), "**1 endpoint(s):** 1 running."),
        (("wait", "gpt2-demo"), "**Wait:** 1 ready."),
        (("smoke", "gpt2-demo"), "**Smoke tests:** 1 passed, 0 failed, 0 skipped."),
        (("invoke", "gpt2-demo", "--data", '{"inputs": "@team <b>hi</b> | x"}'), "**Invoke:** HTTP 200 in "),
        (("hardware",), "**Hardware:** "),
        (("cost", "{m}"), "**Cost for "),
        (("schedule", "run", "{m}"), "**Schedule run:** no scheduled endpoints."),
        (("schedule", "show", "{s}"), "**Schedules:** 1 endpoint(s), "),
        (("scale-to-zero", "gpt2-demo"), "**Applied:** 1 ok"),
        (("pause", "gpt2-demo"), "**Applied:** 1 ok"),
        (("resume", "gpt2-demo"), "**Applied:** 1 unchanged"),
        (("delete", "gpt2-demo", "--yes"), "**Applied:** 1 ok"),
    ],
    ids=lambda value: "-".join(value) if isinstance(value, tuple) else None,
)
def test_every_command_writes_markdown(
    matrix_world: World,
    commands_deployed: tuple[dict[str, str], Snapshot],
    argv: tuple[str, ...],
    starts: str,
) -> None:
    paths, deployed = commands_deployed
    world = matrix_world
    world.restore(deployed)  # as the apply of {m} and 10 s more leave it, see `commands_deployed`
    cli = Cli(environ=_plain_environ(world), clock=world.clock)
    run = markdown_run(cli, *(paths.get(arg, arg) for arg in argv))
    assert run.code == 0, run.all
    assert run.stdout.startswith(starts), run.stdout
    for table in tables(run.stdout):
        assert len({len(row) for row in table}) == 1, table


# -- text from outside ----------------------------------------------------------------------------------

HOSTILE = [
    "|", "\\", "\\|", "`", "``", "*", "_", "~", "[", "]", "(", ")", "<", ">", "#", "!", "&", "$", ":", "@",
    "\n", "\r", "\r\n", "\t", " ", "\x1b", "\x00", "\x85", "\u2028", "\u202e", "\u200b", "\ud83d",
    "<script>alert(1)</script>", "<!-- endpointctl -->", "-->", "@octocat", "@org/team", "a@b.co",
    "#12", "org/repo#12", "GH-12", "https://evil.example/x", "www.evil.example", ":+1:", "&amp;",
    "&#124;", "**bold**", "[x](https://e.example)", "![i](x.png)", "<img src=x onerror=alert(1)>",
    "---", "| --- |", "::error::x", "$x$", "é", "😀", "\u200d",
]  # fmt: skip
CELL_TEXT = st.lists(
    st.one_of(
        st.sampled_from(HOSTILE), st.text(st.characters(codec="utf-8"), max_size=6), st.text(max_size=3)
    ),
    max_size=8,
).map("".join)


def expected(text: str) -> str:
    """What a cell shows of ``text``: itself on one line, invisible characters as escapes (as a terminal)."""
    return printable(re.sub(r"\r\n|[\r\n\t]", " ", text)).strip()


@settings(max_examples=300, deadline=None)
@given(first=CELL_TEXT, second=CELL_TEXT)
def test_any_text_is_one_cell_of_one_row_and_shows_as_itself(first: str, second: str) -> None:
    body = [markdown_escape.text(first), markdown_escape.code(second), "plain"]
    text = markdown_escape.table(["A", "B", "C"], [body])
    _header, rule, row = text.splitlines()  # no line break of the text's own
    assert text.endswith("\n") and rule == "| --- | --- | --- |"
    assert row.count("|") == 4  # the separators, and no pipe of the text's (escaped or not)
    assert_markdown_is_safe(text)
    assert tables(text) == [[["A", "B", "C"], [expected(first), expected(second), "plain"]]]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=CELL_TEXT, model=CELL_TEXT, message=CELL_TEXT, state=CELL_TEXT)
def test_an_endpoint_from_a_hostile_api_is_one_row_of_ten_cells(
    name: str, model: str, message: str, state: str
) -> None:
    endpoint = live(name=name, repository=model, message=message, status=Status.UNKNOWN, state=state)
    text = markdown.endpoints([endpoint], scrub=str)
    assert_markdown_is_safe(text)
    summary, blank, *table = text.splitlines()
    assert summary.startswith("**1 endpoint(s):** ") and blank == "" and len(table) == 3
    ((header, row),) = tables(text)
    assert len(header) == len(row) == 10
    assert (row[0], row[4], row[9]) == (expected(name), expected(model), expected(message))
    assert row[2] == expected(endpoint.shown_state)


def test_an_active_word_is_code_and_everything_else_a_reference() -> None:
    assert markdown_escape.text("ping @octocat, see #12 | *now*") == (
        "ping <code>@octocat,</code> see <code>#12</code> &#124; &#42;now&#42;"
    )
    assert markdown_escape.text("<!-- marker --> a\nb") == "&lt;!-- marker --&gt; a b"
    assert markdown_escape.code("a`b\\c") == "<code>a&#96;b&#92;c</code>"
    assert markdown_escape.text("costs $1 and $2") == "costs &#36;1 and &#36;2"  # never math
    with pytest.raises(ValueError, match="a row of 1 cells in a table of 2 columns"):
        markdown_escape.table(["A", "B"], [["x"]])


# -- secrets --------------------------------------------------------------------------------------------

# A secret that escaping would split: a space, then a word markdown must put in <code> (a mention).
SECRET = "Zq-secret value @home|<b>&x"
TOKEN = "hf_sandbox_test_token_123"


def views(text: str) -> list[str]:
    """The output, and what a reader or a parser reads in it: references decoded, tags dropped."""
    untagged = re.sub(r"<[^>]+>", "", text)
    return [text, html.unescape(text), untagged, html.unescape(untagged), shown(text)]


def assert_no_secret(run: Run) -> None:
    for view in views(run.stdout):
        assert not leaks(view, [SECRET, TOKEN]), (leaks(view, [SECRET, TOKEN]), run.stdout)
    assert not leaks(run.stderr, [SECRET, TOKEN]), run.stderr


def _message(text: str) -> Callable[[dict[str, Any]], None]:
    def edit(item: dict[str, Any]) -> None:
        item["status"]["message"] = text

    return edit


def test_no_secret_or_token_in_markdown(
    cli: Cli, sandbox: Sandbox, clock: Any, tmp_path: pathlib.Path
) -> None:
    env = {"MY_SECRET": SECRET}
    path = write(tmp_path, "m.yaml", manifest(secrets={"API_KEY": "${MY_SECRET}"}))
    plan = cli("plan", path, "-o", "markdown", env=env)
    assert plan.code == 0, plan.all
    assert ["model.secrets", "API_KEY=(sensitive)"] in tables(plan.stdout)[1]
    assert_no_secret(plan)

    # The API echoes the request, secret and token included, in the error apply shows.
    sandbox.add_middleware(echo_400)
    applied = cli("apply", path, "--yes", "-o", "markdown", env=env)
    assert applied.code == 1, applied.all
    detail = by_endpoint(tables(applied.stdout)[0])[f"{USER}/gpt2-demo"]["Detail"]
    assert "invalid request" in detail and "***" in detail
    assert_no_secret(applied)
    sandbox.clear_middleware()

    assert cli("apply", path, "--yes", env=env).code == 0
    clock.advance(10)
    # An API message that quotes both: status shows the message, masked before it is escaped.
    sandbox.add_middleware(reshaping(_message(f"boom: {SECRET} (token {TOKEN})")))
    status = cli("status", "-f", path, "-o", "markdown", env=env)
    assert status.code == 0, status.all
    assert by_endpoint(tables(status.stdout)[0], "Name")["gpt2-demo"]["Message"] == "boom: *** (token ***)"
    assert_no_secret(status)


def test_the_sink_alone_would_miss_a_secret_split_by_escaping() -> None:
    """Why ``Cells`` scrubs before escaping: the escaped form puts a tag inside the secret."""
    escaped = markdown_escape.text(f"boom: {SECRET}")
    assert "<code>" in escaped and leaks(html.unescape(re.sub(r"<[^>]+>", "", escaped)), [SECRET])
    assert markdown.Cells(Redactor([SECRET]).scrub).text(f"boom: {SECRET}") == "boom&#58; &#42;&#42;&#42;"


MATRIX = [case for case in CASES if case.modes]
CLOCK_START = 1_760_000_000.0  # where conftest's ``clock`` fixture starts


@pytest.fixture(scope="module")
def matrix_sandbox() -> Iterator[tuple[Sandbox, ManualClock]]:
    """One sandbox for the leak matrix, as in ``test_secrets_never_shown``."""
    with one_sandbox() as pair:
        yield pair


@pytest.fixture(scope="module")
def matrix_deployed(
    matrix_sandbox: tuple[Sandbox, ManualClock], tmp_path_factory: pytest.TempPathFactory
) -> dict[bool, Snapshot]:
    return deploy_once(*matrix_sandbox, tmp_path_factory.mktemp("deployed"))


@pytest.fixture(scope="module")
def matrix_manifests(tmp_path_factory: pytest.TempPathFactory) -> Manifests:
    """The matrix's manifests, written once for every case (which only read them), as in
    ``test_secrets_never_shown``."""
    return tmp_path_factory.mktemp("manifests"), {}


@pytest.fixture
def matrix_world(
    matrix_sandbox: tuple[Sandbox, ManualClock],
    matrix_manifests: Manifests,
    tmp_path: pathlib.Path,
) -> Iterator[World]:
    sandbox, clock = matrix_sandbox
    sandbox.reset()
    sandbox.reset_counts()
    state_dir = tmp_path / "state"  # the test's own
    state_dir.mkdir()
    root, written = matrix_manifests
    try:
        yield World(sandbox, clock, root, state_dir, FileWatch(state_dir), written)
    finally:
        sandbox.clear_middleware()


def _plain_environ(world: World) -> dict[str, str]:
    """What the ``cli`` fixture of conftest gives a command: the API, the token and a state directory."""
    return {
        "ENDPOINTCTL_API_URL": world.sandbox.url,
        "HF_TOKEN": TOKEN,
        "ENDPOINTCTL_STATE_DIR": str(world.state_dir),
    }


@pytest.fixture(scope="module")
def commands_deployed(
    matrix_sandbox: tuple[Sandbox, ManualClock], tmp_path_factory: pytest.TempPathFactory
) -> tuple[dict[str, str], Snapshot]:
    """What ``test_every_command_writes_markdown`` runs each command against, made once: its manifests,
    and the sandbox, the clock and the state directory as applying {m} at the ``clock`` fixture's start
    time and then 10 s leave them; each case restores it, as the leak matrix restores ``deploy_once``'s.
    Applying in each case (and starting a sandbox for each) cost more than most of the commands."""
    sandbox, clock = matrix_sandbox
    root = tmp_path_factory.mktemp("commands")
    paths = {
        "{m}": write(root, "m.yaml", manifest()),
        "{s}": write(root, "s.yaml", manifest("office", schedule=OFFICE)),
    }
    state_dir = root / "state"
    state_dir.mkdir()
    world = World(sandbox, clock, root, state_dir, FileWatch(state_dir))
    sandbox.reset()
    sandbox.clear_middleware()
    assert isinstance(clock, RestorableClock)
    clock.restart_at(CLOCK_START)
    assert Cli(environ=_plain_environ(world), clock=clock)("apply", paths["{m}"], "--yes").code == 0
    clock.advance(10)
    snapshot = Snapshot.take(world, root / "deployed")
    sandbox.reset()
    return paths, snapshot


@pytest.mark.parametrize("scenario", list(SCENARIOS))
@pytest.mark.parametrize("case", MATRIX, ids=lambda case: case.id)
def test_no_command_leaks_in_markdown_on_success_or_error(
    matrix_world: World, matrix_deployed: dict[bool, Snapshot], case: Case, scenario: str
) -> None:
    """The leak scan of every command (``test_secrets_never_shown``), in markdown and in what a reader
    of the rendered page sees of it; the exit codes are those of every other mode."""
    world = matrix_world
    cli = Cli(environ=world.environ, clock=world.clock)
    world.set_up(cli, case, matrix_deployed)
    world.arm(scenario)
    run = cli(*world.argv(case, NAME, "markdown"))
    assert run.code == expected_code(case, scenario), run.all
    if scenario != "ok" and run.code:
        assert "invalid request" in run.all, run.all  # the echo reached the output, scrubbed
    assert_markdown_is_safe(run.stdout)
    for view in views(run.stdout):
        assert not leaks(view), (leaks(view), run.stdout)
    assert not leaks(run.stderr), run.stderr
