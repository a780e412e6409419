"""libyaml's C loader and PyYAML's pure-Python one give the same answers (issue 12).

Every example in ``manifests/``, every bad manifest of the manifest tests and a corpus of broken YAML
are read with both: the same specs, or the same problems at the same lines and key paths, worded the
same. A hypothesis test does the same over generated YAML-ish documents, valid or not.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import test_bounded_parsing
import test_manifest
import test_manifest_errors_as_json
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from test_bounded_parsing import BILLION_LAUGHS, OVER_THE_BUDGET_TOGETHER, over_one_pass
from test_manifest import BASE, ERROR_CASES, variant

import endpointctl.manifest.loader as manifest_loader
import endpointctl.manifest.yaml_source as yaml_source
from endpointctl.core.errors import ManifestError
from endpointctl.manifest import LOADERS, load
from endpointctl.manifest.limits import MAX_DEPTH, MAX_DOCUMENTS, MAX_VALUES
from endpointctl.manifest.yaml_source import LIBYAML, ONE_PASS_BYTES, Source, YamlLoader, default_loader, read

EXAMPLES = Path(__file__).resolve().parent.parent / "manifests"

needs_libyaml = pytest.mark.skipif(not LIBYAML, reason="PyYAML was built without libyaml: no C loader")


def _replacements() -> Iterator[tuple[str, str, str]]:
    """(id, old, new) of every parametrized `variant((old, new))` case in the manifest tests."""
    for module in (test_manifest, test_bounded_parsing):
        for name, function in inspect.getmembers(module, inspect.isfunction):
            for mark in getattr(function, "pytestmark", []):
                if mark.name != "parametrize":
                    continue
                names = mark.args[0] if isinstance(mark.args[0], list | tuple) else mark.args[0].split(",")
                names = [n.strip() for n in names]
                if "old" not in names or "new" not in names:
                    continue
                for index, case in enumerate(mark.args[1]):
                    values = dict(zip(names, case, strict=True))
                    yield f"{name}[{index}]", values["old"], values["new"]


def _merge_bomb(distinct: bool) -> str:
    return test_bounded_parsing._merge_bomb(40, distinct)


BROKEN_YAML = [
    "a: 1\n---\nkey: [unclosed\n",
    variant(("    task: text-generation", "    task: text: generation")),
    "a: [b\n",
    "a: {b: ${X}}\n",
    "a: *undefined\n",
    "a: &a 1\nb: &a 2\nc: *a\n",
    "\t- x\n",
    "a: 'unterminated\n",
    "%YAML 1.1\n%YAML 1.1\n---\na\n",
    "- a\nb: c\n",
    "a: b\n c: d\n",
    "a: !!python/object x\n",
    "a: !custom x\n",
    "a: !!binary cHVibGlj\n",
    "a: 2001-13-40\n",
    "? [a, b]\n: c\n",
    "a: &x [*x]\n",
    "a: &x {b: *x}\n",
    "<<: 1\n",
    "a: {<<: [*nothing]}\n",
    "x: &m {a: 1}\ny: {<<: [*m, *m], b: 2}\n",
    "x: &m {a: 1}\ny:\n  <<: *m\n  a: 2\n  a: 3\n",
    "a: 1\na: 2\n",
    "---\n---\n---\nbad: [\n",
    "---\n# only a comment\n---\n",
    "",
    "- 1\n- 010\n- 0x1f\n- 1_000\n- 1:30\n- .inf\n- -.nan\n- 1e3\n- +12\n",
    "\ufeffa: 1\n",
    "a: \x85b\n",
    'a: "\\x00"\n',
    "a:\n- b\n  - c\n",
    "[a, b]: c\n",
    "a: |\n  text\n b\n",
    "a: >\n folded\n\n  more\n",
    # Characters YAML allows nowhere: PyYAML's reader refused them before any line was read (review).
    "a: b\x00\n",
    "a: 1\n# a bell \x07\n",
    "a: \ufffe\n",
    "a: 1\nb: \x7f\n",
]


def bad_corpus() -> list[tuple[str, str, dict[str, str]]]:
    """(id, text, environ): the bad manifests of the manifest tests, hostile files and broken YAML."""
    corpus: list[tuple[str, str, dict[str, str]]] = [(f"ERROR_CASES:{c[0]}", c[1], c[2]) for c in ERROR_CASES]
    corpus += [(f"{case}", variant((old, new)), {}) for case, old, new in _replacements() if old in BASE]
    corpus += [
        ("billion laughs", BILLION_LAUGHS, {}),
        ("merge bomb, same", _merge_bomb(False), {}),
        ("merge bomb, distinct", _merge_bomb(True), {}),
        ("deep flow", "a: " + "[" * 5000 + "]" * 5000 + "\n", {}),
        ("deep flow at the limit + 1", "a: " + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "\n", {}),
        ("deep flow at the limit", "[" * MAX_DEPTH + "]" * MAX_DEPTH + "\n", {}),
        ("deep block", "".join(f"{'  ' * i}k{i}:\n" for i in range(400)) + "  " * 400 + "x\n", {}),
        ("too many documents", "---\nx: 1\n" * (MAX_DOCUMENTS + 1), {}),
        ("documents at the limit", "---\nx: 1\n" * MAX_DOCUMENTS, {}),
        ("value budget per file", OVER_THE_BUDGET_TOGETHER, {}),
        ("deep, then a syntax error", "a: " + "[" * 70 + "\nb: [unclosed\n", {}),
        ("syntax error, then deep", "b: [unclosed\n" + "a: " + "[" * 70 + "\n", {}),
        ("undefined alias, then deep", "x: *nope\ny: " + "[" * 70 + "]" * 70 + "\n", {}),
        ("bomb, then a syntax error", BILLION_LAUGHS + "---\nbad: [\n", {}),
        ("BAD of the JSON tests", test_manifest_errors_as_json.BAD, {}),
    ]
    corpus += [
        (f"number {number}", variant(("scaleToZeroTimeout: 15", f"scaleToZeroTimeout: {number}")), {})
        for number in ["010", "0b11", "0x1f", "1_0", "1:30", "0o10", "+0x1", ".inf", "1_000.5", "9" * 5000]
    ]
    corpus += [(f"broken {index}", text, {}) for index, text in enumerate(BROKEN_YAML)]
    corpus += [
        (f"broken after a good document {i}", BASE + "---\n" + t, {}) for i, t in enumerate(BROKEN_YAML)
    ]
    return corpus


def outcome(paths: list[Path], environ: Mapping[str, str], loader: Any) -> tuple[str, Any]:
    """What ``load`` answers, in comparable form: the specs and where they came from, or every issue."""
    try:
        desired = load(paths, environ=environ, loader=loader)
    except ManifestError as error:
        issues = [(i.file, i.line, i.path, i.message) for i in error.issues]
        return "issues", (issues, sorted(error.sensitive))
    return "desired", [
        (d.source, d.manifest.model_dump(mode="json"), dict(d.lines), dict(d.unset_secrets)) for d in desired
    ]


def test_the_loaders_are_named_and_checked() -> None:
    assert default_loader() == ("libyaml" if LIBYAML else "python")
    expected = ("libyaml", "python") if LIBYAML else ("python",)
    assert expected == LOADERS
    assert read("a: 1\n", loader="python").documents[0].data == {"a": 1}
    with pytest.raises(ValueError, match="unknown YAML loader"):
        read("a: 1\n", loader="fast")  # type: ignore[arg-type]
    if not LIBYAML:
        with pytest.raises(ValueError, match="not available"):
            read("a: 1\n", loader="libyaml")


@needs_libyaml
@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda path: path.name)
def test_every_example_loads_the_same(path: Path) -> None:
    c, pure = (outcome([path], {}, loader) for loader in ("libyaml", "python"))
    assert c[0] == "desired", c
    assert c == pure


@needs_libyaml
def test_the_examples_directory_loads_the_same() -> None:
    assert outcome([EXAMPLES], {}, "libyaml") == outcome([EXAMPLES], {}, "python")


def outcome_and_source(
    path: Path, text: str, environ: Mapping[str, str], loader: YamlLoader
) -> tuple[Any, Source]:
    """``outcome`` of the file at ``path``, which holds ``text``, and what ``read`` made of ``text``: kept
    from the loader's own call (a hostile file takes the pure-Python loader seconds, so it is read once),
    or read here when the loader read something else (it drops a byte order mark) or nothing at all."""
    seen: list[tuple[str, YamlLoader | None, Source]] = []

    def reading(read_text: str, *, loader: YamlLoader | None = None) -> Source:
        source = read(read_text, loader=loader)
        seen.append((read_text, loader, source))
        return source

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(manifest_loader, "read", reading)
        result = outcome([path], environ, loader)
    kept = [source for read_text, used, source in seen if (read_text, used) == (text, loader)]
    return result, kept[0] if kept else read(text, loader=loader)


@contextlib.contextmanager
def pure_python_reads_once() -> Iterator[None]:
    """Within the block, the pure-Python loader reads each text once.

    A text libyaml finds anything wrong with (nearly every bad manifest) is read again by the pure-Python
    loader (``yaml_source.read``), and the test reads it with that loader again; the second reading, of
    the same text by the same function, can only give the same answer, but a hostile text takes it a
    third of a second. What it answers is not changed (``load`` does not change a ``Source``)."""
    real = yaml_source._read_python
    answers: dict[str, Source] = {}

    def once(text: str) -> Source:
        if text not in answers:
            answers[text] = real(text)
        return answers[text]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(yaml_source, "_read_python", once)
        yield


@needs_libyaml
@pytest.mark.timeout(60)
@pytest.mark.parametrize(("text", "environ"), [c[1:] for c in bad_corpus()], ids=[c[0] for c in bad_corpus()])
def test_every_bad_manifest_gives_the_same_problems(
    tmp_path: Path, text: str, environ: dict[str, str]
) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(text, encoding="utf-8")
    with pure_python_reads_once():
        (c, c_source), (pure, pure_source) = (
            outcome_and_source(path, text, environ, loader) for loader in ("libyaml", "python")
        )
    assert c == pure
    assert c_source == pure_source


def test_the_corpus_is_what_it_claims() -> None:
    # The harvest found the parametrized cases; the corpus holds them, the hostile files and broken YAML.
    assert sum(1 for _ in _replacements()) >= 15
    assert len(bad_corpus()) >= 150


# An integer or a long string a line: over ONE_PASS_BYTES in ~1,300 lines, which the pure-Python loader
# reads in a tenth of a second (a short pair a line took ~5,600 lines and a third of a second).
_LINES = over_one_pass(lambda i: f"k{i}: {i}" if i % 2 else f"k{i}: {'v' * 80}")
# A comment as long as a one-pass file: what comes before or after it is read as a large file is, for
# the cost of a comment.
_LARGE_COMMENT = "# " + "-" * ONE_PASS_BYTES + "\n"


@needs_libyaml
@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (_LINES, None),  # valid, just over ONE_PASS_BYTES: every key's line compared
        (  # MAX_DEPTH + 1 levels, the mapping's included: a limit off by one lets it through
            _LARGE_COMMENT + "x: " + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "\n",
            f"nested deeper than {MAX_DEPTH} levels",
        ),
        # The value budget passed by aliases: libyaml's event stream passes every limit (a few dozen
        # events), then the build stops at the budget. With one value a line it took a 200 KB file, whose
        # 100,001 nodes the pure-Python loader composed in ~2 s, for what both loaders share (``build``)
        # and a count of the large path's events that test_bounded_parsing now pins at its limit exactly.
        (_LARGE_COMMENT + BILLION_LAUGHS, f"too many values (more than {MAX_VALUES})"),
        (
            "---\nx: 1\n" * (MAX_DOCUMENTS + 1) + _LARGE_COMMENT,
            f"more than {MAX_DOCUMENTS} documents in one file",
        ),
    ],
    ids=["valid", "deep", "too many values", "too many documents"],
)
def test_large_files_read_the_same(text: str, problem: str | None) -> None:
    assert len(text) > ONE_PASS_BYTES
    c = read(text, loader="libyaml")
    assert c == read(text, loader="python")
    # Each case reaches what it is named for, so the agreement is not that of two early refusals.
    if problem is None:
        assert c.syntax_error is None and len(c.documents[0].lines) > 1_000, c.syntax_error
    else:
        assert c.syntax_error is not None and c.syntax_error.message.startswith(problem), c.syntax_error


# -- generated documents ---------------------------------------------------------------------------

_SCALARS = st.sampled_from(
    [
        "a", "b", "text with spaces", "1", "0", "-3", "010", "0x1f", "0o7", "1_000", "1:30", "1.5", ".5",
        "1e3", ".inf", ".nan", "yes", "no", "on", "~", "null", "true", "'q'", '"d\\n"', '"\\x1b"', "''",
        "${X}", "${X:-1}", "$$", "!!binary cHVibGlj", "!!int 3", "!!str 4", "!!float 1", "!custom x",
        "2001-12-14", "2001-13-40", "*a", "*b", "*nope", "&a x", "&b [1]", "&a {k: v}", "[]", "{}",
        "9" * 120,
    ]
)  # fmt: skip
_KEYS = st.sampled_from(["a", "b", "k", "<<", "1", "true", "~", "'q'", "[x]", "{y: 1}", "&a k", "*a", "? z"])
_NOISE = st.sampled_from([*":-[]{},&*!|>'\"#%@`\t ?\n", "---", "...", "- ", ": ", "<<: *a"])


def _flow(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    items = st.lists(children, max_size=4)
    pairs = st.lists(st.tuples(_KEYS, children), max_size=4)
    anchor = st.sampled_from(["", "&a ", "&b "])
    return st.one_of(
        st.builds(lambda a, xs: f"{a}[{', '.join(xs)}]", anchor, items),
        st.builds(lambda a, ps: a + "{" + ", ".join(f"{k}: {v}" for k, v in ps) + "}", anchor, pairs),
    )


_VALUES = st.recursive(_SCALARS, _flow, max_leaves=10)
# Built once, here, not at every draw of every example.
_LINE_COUNT = st.integers(1, 12)
_INDENT = st.sampled_from(["", "  ", "    ", "      "])
_KIND = st.sampled_from(["pair", "pair", "open", "item", "doc", "comment"])
_OPENER = st.sampled_from(["", " &a", " &b", " !!map"])
_NOISE_COUNT = st.integers(0, 2)


@st.composite
def yamlish(draw: st.DrawFn) -> str:
    """Block mappings and lists at random indentation holding flow values, maybe with a few characters
    dropped in anywhere: mostly valid YAML, often not."""
    lines: list[str] = []
    for _ in range(draw(_LINE_COUNT)):
        indent = draw(_INDENT)
        kind = draw(_KIND)
        if kind == "pair":
            lines.append(f"{indent}{draw(_KEYS)}: {draw(_VALUES)}")
        elif kind == "open":
            lines.append(f"{indent}{draw(_KEYS)}:{draw(_OPENER)}")
        elif kind == "item":
            lines.append(f"{indent}- {draw(_VALUES)}")
        elif kind == "doc":
            lines.append("---")
        else:
            lines.append(f"{indent}# comment")
    text = "\n".join(lines) + "\n"
    for _ in range(draw(_NOISE_COUNT)):
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(_NOISE) + text[at:]
    return text


@needs_libyaml
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=yamlish())
# Where the parsers themselves differ (``yaml_source._READ_APART``), each read apart, every run: the
# generated documents met them only now and then (a tab or a `?` in the wrong place).
@example(text="a: 1\n---\n\ufeffb: 2\n")  # a byte order mark after the start: libyaml drops it
@example(text="key\t: value\n")  # a tab before the colon: libyaml takes it
@example(text="a: |#\n  x\n")  # a block scalar's header with a comment and no space: libyaml takes it
@example(text="[a?b]\n")  # PyYAML ends the plain scalar at `?`
@example(text="a: !\n")  # libyaml makes the empty tag a string, PyYAML null
@example(text="a: !:!x y\n")  # libyaml takes the tag
@example(text="- {a: !!b,inary cHVibGlj}\n---\na: a\n")  # libyaml ends the tag at the comma
def test_generated_documents_read_the_same(text: str) -> None:
    with pure_python_reads_once():  # most of them are read by it on both sides
        c, pure = read(text, loader="libyaml"), read(text, loader="python")
    assert c == pure, (c, pure)


@needs_libyaml
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(doc=test_manifest_errors_as_json.documents())
def test_generated_manifests_load_the_same(tmp_path: Path, doc: tuple[str, int, str]) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(doc[0], encoding="utf-8")
    c, pure = (outcome([path], {}, loader) for loader in ("libyaml", "python"))
    assert c == pure
    assert c[0] == "issues" and any(issue[1:3] == doc[1:] for issue in c[1][0]), c


def test_source_compares_by_value() -> None:
    # The comparisons above rely on it: two reads of the same text are equal, a different one is not.
    assert read("a: [1, {b: 2}]\n", loader="python") == read("a: [1, {b: 2}]\n", loader="python")
    assert read("a: 1\n", loader="python") != Source([])


@pytest.mark.parametrize("loader", LOADERS)
def test_a_character_yaml_allows_nowhere_is_a_problem_at_its_line(loader: Any, tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(BASE + "# a comment with a bell \x07 in it\n", encoding="utf-8")
    with pytest.raises(ManifestError) as raised:
        load([path], environ={}, loader=loader)
    ((_, line, _, message),) = [(i.file, i.line, i.path, i.message) for i in raised.value.issues]
    assert line == BASE.count("\n") + 1
    assert "U+0007 is not allowed" in message and '"\\x07"' in message
