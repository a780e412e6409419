"""Issue 8, class 2: bounded parsing, strict values, and rules checked offline (exit 2, no API call).

A hostile manifest (an alias bomb, a deep nesting, a huge file, many documents) is refused with its file
and line, without building what it asks for; values YAML 1.1 would silently turn into something else are
refused where a string or an integer is expected; cross-field and range rules, control characters and
namespaces are checked before any API call.
"""

from __future__ import annotations

import pathlib
import tracemalloc
from collections.abc import Callable
from typing import Any

import pytest
from clirunner import Cli
from hypothesis import given
from hypothesis import strategies as st
from test_manifest import BASE, issues_of, variant, write

from endpointctl.core.errors import UsageError
from endpointctl.core.plan import Options, check_options
from endpointctl.core.settings import Settings
from endpointctl.manifest.limits import MAX_DEPTH, MAX_DOCUMENTS, MAX_EVENTS, MAX_FILE_BYTES, MAX_VALUES
from endpointctl.manifest.yaml_source import ONE_PASS_BYTES, read
from endpointctl.sandbox import Sandbox

BILLION_LAUGHS = """\
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
"""


@pytest.mark.timeout(20)  # a hang guard, not a speed claim: refused at once, it takes milliseconds
def test_an_alias_bomb_is_refused_without_being_built(tmp_path: pathlib.Path) -> None:
    path = write(tmp_path, "lol.yaml", BILLION_LAUGHS)
    tracemalloc.start()
    try:
        (issue,) = issues_of([path])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert issue.file == str(path) and issue.line is not None
    assert issue.message.startswith(f"too many values (more than {MAX_VALUES})")
    assert peak < 100 * 1024 * 1024


@pytest.mark.parametrize("levels", [MAX_DEPTH + 1, 400, 5000])
@pytest.mark.timeout(20)
def test_deep_nesting_is_refused_with_its_line_not_a_recursion_error(
    tmp_path: pathlib.Path, levels: int
) -> None:
    deep = min(levels, 400)  # deeper, the indentation alone would pass the size limit first
    block = write(
        tmp_path, "block.yaml", "".join(f"{'  ' * i}k{i}:\n" for i in range(deep)) + "  " * deep + "x\n"
    )
    flow = write(tmp_path, "flow.yaml", "a: " + "[" * levels + "]" * levels + "\n")
    for path in (block, flow):
        (issue,) = issues_of([path])
        assert (issue.file, issue.message) == (str(path), f"nested deeper than {MAX_DEPTH} levels")
        assert issue.line is not None


def test_nesting_at_the_limit_is_only_a_schema_matter(tmp_path: pathlib.Path) -> None:
    nested = "{x: " * (MAX_DEPTH - 4) + "1" + "}" * (MAX_DEPTH - 4)
    path = write(
        tmp_path, "ok.yaml", variant(('    env: {MAX_INPUT_LENGTH: "1024"}', f"    extra: {nested}"))
    )
    (issue,) = issues_of([path])
    assert issue.path == "spec.model.extra"  # an unknown key, not a limit


def test_a_file_over_the_size_limit_is_not_read(tmp_path: pathlib.Path) -> None:
    path = write(tmp_path, "big.yaml", BASE + "# " + "x" * MAX_FILE_BYTES + "\n")
    (issue,) = issues_of([path])
    assert (issue.file, issue.message) == (str(path), "too large: a manifest file may hold at most 1024 KiB")


def test_too_many_documents_is_refused(tmp_path: pathlib.Path) -> None:
    path = write(tmp_path, "many.yaml", "---\nx: 1\n" * (MAX_DOCUMENTS + 1))
    (issue,) = issues_of([path])
    assert issue.message == f"more than {MAX_DOCUMENTS} documents in one file"


def test_a_file_of_too_many_values_and_structures_is_refused(tmp_path: pathlib.Path) -> None:
    # MAX_EVENTS + 1 parse events, counted from the stream's start (stream, document and list start; one
    # a scalar, two an empty list; the list's, document's and stream's ends): too large.
    pairs, scalar = divmod(MAX_EVENTS + 1 - 6, 2)
    over = "[" + "a, " * scalar + "[], " * pairs + "]\n"
    (issue,) = issues_of([write(tmp_path, "over.yaml", over)])
    assert issue.message == f"too large: more than {MAX_EVENTS} YAML values and structures"
    # One fewer is within the limit: here the MAX_EVENTS-th event opens a level too deep, refused for that
    # alone (stream, document and list start, the scalar and empty lists, then MAX_DEPTH lists open).
    pairs, scalar = divmod(MAX_EVENTS - 3 - MAX_DEPTH, 2)
    at = "[" + "a, " * scalar + "[], " * pairs + "[" * MAX_DEPTH + "]" * (MAX_DEPTH + 1) + "\n"
    (issue,) = issues_of([write(tmp_path, "at.yaml", at)])
    assert issue.message == f"nested deeper than {MAX_DEPTH} levels"


@pytest.mark.parametrize(
    ("old", "new", "path", "says"),
    [
        (
            "minReplica: 0,",
            "minReplica: no,",
            "spec.scaling.minReplica",
            "found false (YAML reads yes, no, on",
        ),
        (
            "maxReplica: 1,",
            'maxReplica: "2",',
            "spec.scaling.maxReplica",
            "found '2' (a quoted number is text",
        ),
        (
            "scaleToZeroTimeout: 15",
            "scaleToZeroTimeout: 15.0",
            "spec.scaling.scaleToZeroTimeout",
            "found 15.0",
        ),
        (
            "    task: text-generation",
            "    task: text-generation\n    revision: 1.10",
            "spec.model.revision",
            "1.1",
        ),
        ("  name: demo", "  name: yes", "metadata.name", "found true (YAML reads yes, no, on and off"),
        (
            "  labels: {team: nlp}",
            "  labels: {team: on}",
            "metadata.labels.team",
            "found true (YAML reads yes",
        ),
    ],
)
def test_what_yaml_1_1_would_silently_convert_is_refused(
    tmp_path: pathlib.Path, old: str, new: str, path: str, says: str
) -> None:
    issues = issues_of([write(tmp_path, "m.yaml", variant((old, new)))])
    assert [i.path for i in issues] == [path], issues
    assert says in issues[0].message


def test_a_number_from_an_environment_variable_is_still_a_number(tmp_path: pathlib.Path) -> None:
    from endpointctl.manifest import load

    path = write(tmp_path, "m.yaml", variant(("maxReplica: 1,", 'maxReplica: "${MAX:-3}",')))
    (desired,) = load([path], environ={})
    assert desired.spec.scaling is not None and desired.spec.scaling.max_replica == 3


@pytest.mark.parametrize(
    ("old", "new", "path", "says"),
    [
        (
            "minReplica: 0, maxReplica: 1,",
            "minReplica: 3, maxReplica: 2,",
            "spec.scaling",
            "minReplica (3) is more than maxReplica (2)",
        ),
        ("maxReplica: 1,", "maxReplica: 101,", "spec.scaling.maxReplica", "100"),
        ("scaleToZeroTimeout: 15", "scaleToZeroTimeout: 10081", "spec.scaling.scaleToZeroTimeout", "10080"),
        (
            "    task: text-generation",
            '    task: "text\\u001b[2Jgeneration"',
            "spec.model.task",
            "control character",
        ),
        (
            '    env: {MAX_INPUT_LENGTH: "1024"}',
            '    env: {"A\\nB": "1"}',
            "spec.model.env",
            "control character",
        ),
        ("  labels: {team: nlp}", '  labels: {team: "nlp\\u0000"}', "metadata.labels.team", "not allowed"),
        ("  labels: {team: nlp}", '  labels: {"te\\u001bm": nlp}', "metadata.labels", "label keys use"),
        ("  labels: {team: nlp}", '  labels: {team: ""}', "metadata.labels.team", "not allowed"),
        ("  labels: {team: nlp}", "  labels: {team: -nlp}", "metadata.labels.team", "starting and ending"),
        (
            "  name: demo",
            "  name: demo\n  namespace: a/b",
            "metadata.namespace",
            "not a user or organization",
        ),
        ("  name: demo", '  name: demo\n  namespace: ""', "metadata.namespace", "cannot be empty"),
        ("  name: demo", "  name: demo\n  namespace: acme..x", "metadata.namespace", "no '..'"),
    ],
)
def test_rules_checked_offline(tmp_path: pathlib.Path, old: str, new: str, path: str, says: str) -> None:
    issues = issues_of([write(tmp_path, "m.yaml", variant((old, new)))])
    assert any(i.path.startswith(path) and says in i.message for i in issues), issues


@given(st.text(min_size=1, max_size=40))
def test_a_namespace_is_refused_unless_it_is_a_plain_name(value: str) -> None:
    import re

    plain = re.fullmatch(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?", value) and ".." not in value
    try:
        Settings.resolve({}, namespace=value)
    except UsageError as error:
        assert not plain, value
        assert "--namespace" in error.message
    else:
        assert plain, value


@pytest.mark.parametrize(
    ("argv", "env"),
    [
        (["--namespace", ""], {}),
        ([], {"ENDPOINTCTL_NAMESPACE": ""}),
        (["--namespace", "a/b"], {}),
        (["--namespace", "a?b"], {}),
        (["--namespace", ".."], {}),
        (["--namespace", "a b"], {}),
    ],
)
def test_a_bad_namespace_from_a_flag_or_the_environment_stops_before_any_call(
    cli: Cli, sandbox: Sandbox, argv: list[str], env: dict[str, str]
) -> None:
    for command in (["status"], ["delete", "x", "--yes"], ["pause", "x"]):
        result = cli(*command, *argv, env=env)
        assert result.code == 2, (command, argv, env, result.all)
        assert "namespace" in result.stderr
    assert sum(sandbox.counts().values()) == 0


@pytest.mark.parametrize("stack", ["", "a,b", "a=b", "prod ", "-x", "é"])
def test_a_stack_follows_the_label_value_pattern(stack: str) -> None:
    with pytest.raises(UsageError, match="--stack"):
        check_options(Options(stack=stack))


def test_a_rejected_manifest_makes_no_api_call(cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path) -> None:
    bad: dict[str, Any] = {"lol.yaml": BILLION_LAUGHS, "deep.yaml": "a: " + "[" * 500 + "]" * 500 + "\n"}
    for name, text in bad.items():
        path = write(tmp_path, name, text)
        result = cli("apply", str(path), "--yes")
        assert result.code == 2 and f"{path}:" in result.stderr, result.all
    assert sum(sandbox.counts().values()) == 0


def _merge_bomb(levels: int, distinct: bool) -> str:
    """Each level's mappings merge the level below: its first mapping ten times (the same mapping), or its
    four different ones. Four, not two: the value budget is spent at half the depth of merges, where each
    merged key walked costs half as much (the walk up to the budget took each loader a third of a second)."""
    names = "abcd" if distinct else "ab"
    lines = [f"l0{name}: &l0{name} {{k: {k}}}" for k, name in enumerate(names, start=1)]
    for i in range(1, levels):
        below = [f"*l{i - 1}{name}" for name in names] if distinct else [f"*l{i - 1}a"] * 10
        lines += [f"l{i}{name}: &l{i}{name} {{<<: [{', '.join(below)}]}}" for name in names]
    return "\n".join(lines) + "\n"


@pytest.mark.timeout(20)
@pytest.mark.parametrize("distinct", [False, True])
def test_a_merge_key_bomb_is_refused_not_walked(tmp_path: pathlib.Path, distinct: bool) -> None:
    issues = issues_of([write(tmp_path, "merge.yaml", _merge_bomb(40, distinct))])
    if distinct:  # 4^40 merged pairs to walk: stopped by the budget, at a line
        assert any(i.message.startswith("too many values") and i.line is not None for i in issues), issues
    else:  # the same mapping merged ten times is merged once: an ordinary schema error, at once
        assert issues and not any("too many values" in i.message for i in issues), issues
        assert all(
            i.path in ("", "apiVersion", "kind", "metadata", "spec") or "unknown key" in i.message
            for i in issues
        )


# A document of over a thousand values (c alone: 10 times 111), far under the limit alone; enough of them
# to pass it together.
BUDGET_DOCUMENT = (
    "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    "c: [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
)
OVER_THE_BUDGET_TOGETHER = ("---\n" + BUDGET_DOCUMENT) * (MAX_VALUES // 1_000 + 1)


@pytest.mark.timeout(20)
def test_the_value_budget_is_per_file_not_per_document(tmp_path: pathlib.Path) -> None:
    assert read(BUDGET_DOCUMENT).syntax_error is None  # one alone is well within it
    issues = issues_of([write(tmp_path, "docs.yaml", OVER_THE_BUDGET_TOGETHER)])
    assert any(i.message.startswith(f"too many values (more than {MAX_VALUES})") for i in issues)


@pytest.mark.parametrize(
    ("old", "new", "path"),
    [
        ("  security: protected", "  security: !!binary cHVibGlj", "spec.security"),  # "public", as bytes
        ("  labels: {team: nlp}", "  labels: {team: !!binary AAEbWzMxbQ==}", "metadata.labels.team"),
    ],
)
def test_binary_values_are_refused(tmp_path: pathlib.Path, old: str, new: str, path: str) -> None:
    issues = issues_of([write(tmp_path, "m.yaml", variant((old, new)))])
    assert any(i.path == path and "!!binary values are not accepted" in i.message for i in issues), issues


@pytest.mark.parametrize("number", ["010", "0b11", "0x1f", "1_0", "1:30", "0o10", "+0x1"])
def test_integers_in_other_notations_are_refused(tmp_path: pathlib.Path, number: str) -> None:
    issues = issues_of(
        [write(tmp_path, "m.yaml", variant(("scaleToZeroTimeout: 15", f"scaleToZeroTimeout: {number}")))]
    )
    assert [i.path for i in issues] == ["spec.scaling.scaleToZeroTimeout"], issues
    assert "(a quoted number is text" not in issues[0].message  # it was not quoted


@pytest.mark.parametrize("number", [".inf", "-.inf", ".nan", "1_000.5", "1:30.5"])
def test_floats_in_other_notations_are_refused(tmp_path: pathlib.Path, number: str) -> None:
    text = variant(
        (
            "  security: protected",
            f"  security: protected\n  smokeTest: {{expect: {{maxLatencyMs: {number}}}}}",
        )
    )
    issues = issues_of([write(tmp_path, "m.yaml", text)])
    assert [i.path for i in issues] == ["spec.smokeTest.expect.maxLatencyMs"], issues


def test_a_number_with_thousands_of_digits_is_a_manifest_error(tmp_path: pathlib.Path) -> None:
    (issue,) = issues_of(
        [write(tmp_path, "m.yaml", variant(("minReplica: 0,", f"minReplica: {'9' * 5000},")))]
    )
    assert (issue.line, issue.path) == (13, "spec.scaling.minReplica")
    assert "5000 digits" in issue.message


def over_one_pass(line: Callable[[int], str]) -> str:
    """Lines ``line(0)``, ``line(1)``, … until the text is over ``ONE_PASS_BYTES``: a file libyaml reads
    in two passes, its events measured first (``yaml_source``), and just large enough for that."""
    lines: list[str] = []
    size = 0
    while size <= ONE_PASS_BYTES:
        lines.append(line(len(lines)) + "\n")
        size += len(lines[-1])
    return "".join(lines)


@pytest.mark.timeout(60)
def test_a_large_file_with_a_late_syntax_error_is_refused_at_its_line(tmp_path: pathlib.Path) -> None:
    text = over_one_pass(lambda i: f"k{i}: 1") + "bad: [unclosed\n"
    path = write(tmp_path, "big.yaml", text)
    tracemalloc.start()
    try:
        issues = issues_of([path])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert any(i.message.startswith("invalid YAML") and i.line is not None for i in issues) or any(
        i.message.startswith("too large") for i in issues
    ), issues
    # Composing what comes before the error takes tens of bytes a character; nothing more.
    assert peak < 200 * len(text), f"{peak / len(text):.0f} B/char"


def test_a_variable_with_non_ascii_digits_is_not_a_number(tmp_path: pathlib.Path) -> None:
    path = write(tmp_path, "m.yaml", variant(("maxReplica: 1,", 'maxReplica: "${N}",')))
    (issue,) = issues_of([path], {"N": "\U0001d7cf"})  # MATHEMATICAL BOLD DIGIT ONE
    assert issue.path == "spec.scaling.maxReplica"


def test_an_empty_path_is_not_the_current_directory(cli: Cli, sandbox: Sandbox) -> None:
    for argv in (["validate", ""], ["apply", "", "--prune", "--stack", "s", "--yes"]):
        result = cli(*argv)
        assert result.code == 2 and "an empty path" in result.stderr, result.all
    assert sum(sandbox.counts().values()) == 0


def test_a_usage_error_never_shows_the_token(cli: Cli, token: str) -> None:
    for argv in (["wait", "x", "--timeout", token], ["status", "--selector", token]):
        result = cli(*argv)
        assert result.code == 2, result.all
        assert token not in result.all and token[:8] not in result.all


# The one-word fields, each with the line of BASE it sits on and the value BASE gives it.
_WORDS = {
    "spec.model.task": ("    task: text-generation", "    task: {}", 9),
    "spec.provider.region": ("region: us-east-1}", "region: {}}}", 11),
    "spec.compute.instanceType": ("instanceType: intel-spr,", "instanceType: {},", 12),
    "spec.compute.instanceSize": ("instanceSize: x2}", "instanceSize: {}}}", 12),
}
_BLANKS = st.text(alphabet=" \t\u00a0\u2003\u3000", min_size=1, max_size=3)


@given(
    field=st.sampled_from(sorted(_WORDS)),
    word=st.from_regex(r"[a-z0-9][a-z0-9-]{0,12}", fullmatch=True),
    before=_BLANKS | st.just(""),
    after=_BLANKS | st.just(""),
)
def test_a_blank_around_a_one_word_field_is_refused_offline_with_the_word_meant(
    tmp_path_factory: pytest.TempPathFactory, field: str, word: str, before: str, after: str
) -> None:
    """A region copied with a blank (" us-east-1") would reach the catalog check only at plan time, and a
    task the API as another value: refused by validate, at its line, naming the word without the blank."""
    old, new, line = _WORDS[field]
    quoted = (
        '"'
        + "".join(c if c.isascii() and c != "\t" else f"\\u{ord(c):04x}" for c in before + word + after)
        + '"'
    )
    path = write(tmp_path_factory.mktemp("m"), "m.yaml", variant((old, new.format(quoted))))
    if not (before or after):
        from endpointctl.manifest import load

        load([path], environ={})  # the word alone is fine
        return
    (issue,) = [i for i in issues_of([path]) if i.path == field]
    assert issue.line == line
    assert issue.message.startswith("expected one word without blanks or control characters")
    assert issue.message.endswith(f"(did you mean {word!r}?)")


@pytest.mark.parametrize(
    ("old", "new", "path"),
    [
        ("instanceType: intel-spr,", 'instanceType: "intel spr",', "spec.compute.instanceType"),
        ("region: us-east-1}", 'region: "us-east-1\\u001b[2J"}', "spec.provider.region"),
        ("    task: text-generation", '    task: "text\\ngeneration"', "spec.model.task"),
    ],
)
def test_a_blank_or_control_character_inside_a_one_word_field_is_refused_without_a_guess(
    tmp_path: pathlib.Path, old: str, new: str, path: str
) -> None:
    (issue,) = [i for i in issues_of([write(tmp_path, "m.yaml", variant((old, new)))]) if i.path == path]
    assert issue.message.startswith("expected one word without blanks or control characters")
    assert "did you mean" not in issue.message
