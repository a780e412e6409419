"""Read YAML documents while remembering the line of every key, so an issue can point at it.

Here the text is parsed and composed into nodes within ``limits`` (depth, documents, events), by
libyaml's C parser or PyYAML's pure-Python one; ``yaml_values`` builds the plain values from the nodes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any, Literal

import yaml
from yaml.composer import ComposerError
from yaml.events import (
    DocumentStartEvent,
    Event,
    MappingEndEvent,
    MappingStartEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)
from yaml.nodes import MappingNode, Node, ScalarNode

from endpointctl.manifest.limits import MAX_DEPTH, MAX_DOCUMENTS, MAX_EVENTS
from endpointctl.manifest.yaml_values import Document, KeyPath, OverLimit, Source, SourceProblem, build

__all__ = [
    "LIBYAML",
    "LOADERS",
    "ONE_PASS_BYTES",
    "Document",
    "KeyPath",
    "Source",
    "SourceProblem",
    "YamlLoader",
    "default_loader",
    "format_path",
    "read",
]

# Which parser reads the YAML: libyaml's C one where PyYAML was built with it (several times faster), or
# PyYAML's pure-Python one. Both give the same answers: a file the C one finds anything wrong with (a
# syntax error, a limit) is read again by the pure-Python one, whose messages are the ones users and tests
# know (it names the character or the alias), unless it is over ``ONE_PASS_BYTES``.
YamlLoader = Literal["libyaml", "python"]
LIBYAML: bool = bool(getattr(yaml, "__with_libyaml__", False)) and hasattr(yaml, "CSafeLoader")
LOADERS: tuple[YamlLoader, ...] = ("libyaml", "python") if LIBYAML else ("python",)

# Files up to this size are composed by libyaml in one pass and measured on the node graph afterwards:
# small enough that composing whatever they hold costs a few megabytes at most. Larger ones are measured
# on libyaml's event stream first, then composed, as a hostile file might ask for millions of nodes.
ONE_PASS_BYTES = 64 * 1024


# Where the two parsers read the same text differently, the pure-Python one reads it (found by
# tests/test_yaml_loaders_agree.py): a byte order mark after the start (libyaml drops it, PyYAML keeps it
# in the text), tabs (libyaml takes some PyYAML refuses, `key\t: value`), a block scalar's header with a
# comment and no space (`|#`: libyaml takes it), `?` (in `[a?b]`, PyYAML ends the plain scalar there) and
# any tag but the standard `!!name` followed by a blank (libyaml makes `! ` a string, PyYAML null; libyaml
# takes `!:!x`; in a flow collection libyaml ends `!!b,inary` at the comma, PyYAML keeps it in the tag).
# Anything else that looks like them only costs the slower parser.
_READ_APART = re.compile(r"[\ufeff\t?]|[|>][-+0-9]*#|(?<!!)!(?!!\w+(?:\s|\Z))")


def default_loader() -> YamlLoader:
    """The loader ``read`` uses when none is named: libyaml where installed."""
    return "libyaml" if LIBYAML else "python"


_TOO_DEEP = f"nested deeper than {MAX_DEPTH} levels"


def read(text: str, *, loader: YamlLoader | None = None) -> Source:
    """Every document of ``text``, within the limits of ``limits``; a problem ends the file.

    ``loader`` names the parser (``LOADERS``; None: ``default_loader()``); the answer is the same
    either way. Every limit is checked before a value is built, and every bound holds on both paths:

    - libyaml, up to ``ONE_PASS_BYTES``: one pass. libyaml composes the nodes (its own nesting limit,
      1000, keeps that bounded), the node graph is measured exactly as its event stream would be, and
      only then are values built. Anything wrong, and the file is read again by the pure-Python loader,
      so the problem is worded and placed as that one does it;
    - libyaml, larger files: its event stream is measured first (a state machine: it cannot overflow
      the stack or build anything), then what passed is composed;
    - pure Python: one pass, measuring each event as the composer takes it, before it goes deeper.
    """
    chosen = default_loader() if loader is None else loader
    if chosen == "python":
        return _read_python(text)
    if chosen != "libyaml":
        raise ValueError(f"unknown YAML loader {loader!r}; expected one of: libyaml, python")
    if not LIBYAML:
        raise ValueError("the libyaml loader is not available: PyYAML was built without libyaml")
    if _READ_APART.search(text):
        return _read_python(text)
    if len(text) > ONE_PASS_BYTES:
        return _read_libyaml_large(text)
    try:
        roots = [root for root in yaml.compose_all(text, Loader=yaml.CSafeLoader) if root is not None]
    except yaml.YAMLError:
        return _read_python(text)
    if not _within_limits(roots):
        return _read_python(text)
    return build(roots, None)


def _within_limits(roots: list[Node]) -> bool:
    """Whether the event stream these documents were composed from passes every limit.

    Walked in document order, a node met again is an alias (an anchor always comes before its aliases),
    so the depth of each collection is where it is written, and the events are counted one for a scalar
    or an alias, two for a collection, two per document and two for the stream.
    """
    if len(roots) > MAX_DOCUMENTS:
        return False
    events = 2 + 2 * len(roots)
    seen: set[int] = set()
    stack: list[tuple[Node, int]] = [(root, 1) for root in reversed(roots)]
    while stack:
        node, depth = stack.pop()
        if type(node) is ScalarNode or id(node) in seen:
            events += 1
            continue
        seen.add(id(node))
        if depth > MAX_DEPTH:
            return False
        events += 2
        depth += 1
        if isinstance(node, MappingNode):
            for key, value in reversed(node.value):
                stack.append((value, depth))
                stack.append((key, depth))
        else:
            stack.extend((item, depth) for item in reversed(node.value))
    return events <= MAX_EVENTS


class _MeasuringLoader(yaml.SafeLoader):
    """The pure-Python loader, measuring every event as the composer takes it (each is taken once)."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.events = self.depth = self.documents = 0

    def get_event(self) -> Event | None:
        event: Event | None = super().get_event()  # type: ignore[no-untyped-call]
        if event is None:  # past the stream's end
            return event
        self.events += 1
        line = event.start_mark.line + 1 if event.start_mark is not None else None
        if self.events > MAX_EVENTS:
            raise OverLimit(line, f"too large: more than {MAX_EVENTS} YAML values and structures")
        if isinstance(event, MappingStartEvent | SequenceStartEvent):
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise OverLimit(line, _TOO_DEEP)
        elif isinstance(event, MappingEndEvent | SequenceEndEvent):
            self.depth -= 1
        elif isinstance(event, DocumentStartEvent):
            self.documents += 1
            if self.documents > MAX_DOCUMENTS:
                raise OverLimit(line, f"more than {MAX_DOCUMENTS} documents in one file")
        return event


def _read_python(text: str) -> Source:
    try:
        loader = _MeasuringLoader(text)  # PyYAML's reader refuses unprintable characters here, at once
    except yaml.YAMLError as exc:
        return Source([], _syntax_problem(exc, text))
    roots: list[Node] = []
    error: SourceProblem | None = None
    try:
        try:
            while loader.check_node():
                root = loader.get_node()
                if root is not None:
                    roots.append(root)
            loader.get_event()  # the stream's end: counted, as it is in the stream
        except ComposerError as exc:  # the parser can go on: the rest of the stream still counts
            error = _syntax_problem(exc, text)
            _drain(loader)
        except yaml.YAMLError as exc:
            error = _syntax_problem(exc, text)
    except OverLimit as too_much:
        return Source([], too_much.problem)
    finally:
        loader.dispose()
    return build(roots, error)


def _drain(loader: _MeasuringLoader) -> None:
    try:
        while loader.check_event():
            loader.get_event()
    except yaml.YAMLError:
        pass  # the first problem is the one reported


def _read_libyaml_large(text: str) -> Source:
    try:
        _measure(yaml.parse(text, Loader=yaml.CSafeLoader))
    except OverLimit as too_much:
        return Source([], too_much.problem)
    except yaml.MarkedYAMLError as exc:
        if "nesting depth" in str(exc.problem):  # libyaml's own limit (1000), met while scanning ahead
            mark = exc.problem_mark or exc.context_mark
            return Source([], SourceProblem(mark.line + 1 if mark else None, "", _TOO_DEEP))
    except yaml.YAMLError:
        pass  # the composer stops at the same place and words it
    roots: list[Node] = []
    error: SourceProblem | None = None
    try:
        for root in yaml.compose_all(text, Loader=yaml.CSafeLoader):
            if root is not None:
                roots.append(root)
    except yaml.YAMLError as exc:
        error = _syntax_problem(exc, text)
    return build(roots, error)


def _measure(events: Iterator[yaml.Event]) -> None:
    depth = documents = 0
    for count, event in enumerate(events, start=1):
        line = event.start_mark.line + 1 if event.start_mark is not None else None
        if count > MAX_EVENTS:
            raise OverLimit(line, f"too large: more than {MAX_EVENTS} YAML values and structures")
        if isinstance(event, MappingStartEvent | SequenceStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise OverLimit(line, _TOO_DEEP)
        elif isinstance(event, MappingEndEvent | SequenceEndEvent):
            depth -= 1
        elif isinstance(event, DocumentStartEvent):
            documents += 1
            if documents > MAX_DOCUMENTS:
                raise OverLimit(line, f"more than {MAX_DOCUMENTS} documents in one file")


def _syntax_problem(exc: yaml.YAMLError, text: str) -> SourceProblem:
    if isinstance(exc, yaml.reader.ReaderError) and isinstance(exc.character, int):
        # A character YAML does not allow anywhere (NUL, BEL, DEL, U+FFFE): its line, and which one.
        where = text.count("\n", 0, max(exc.position, 0)) + 1
        code = exc.character
        escape = f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"
        return SourceProblem(
            where,
            "",
            f"invalid YAML: the character U+{code:04X} is not allowed in a YAML file, not even in a "
            f'comment; in a double-quoted value write it as an escape ("{escape}")',
        )
    if not isinstance(exc, yaml.MarkedYAMLError):
        return SourceProblem(None, "", f"invalid YAML: {exc}")
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or exc.context or "unreadable"
    context = f" ({exc.context})" if exc.context and exc.problem else ""
    line = mark.line + 1 if mark is not None else None
    return SourceProblem(line, "", f"invalid YAML: {problem}{context}{_flow_hint(text, line)}")


def _flow_hint(text: str, line: int | None) -> str:
    # Inside { } or [ ], an unquoted ${VAR} reads as the start of a mapping: the commonest slip.
    lines = text.splitlines()
    if line is not None and 0 < line <= len(lines) and "${" in lines[line - 1]:
        return '; inside { } or [ ] quote values that use variables: "${VAR}"'
    return ""


def _key_text(key: Any) -> str:
    """A key as YAML reads it back: ``true`` and ``null``, not Python's ``True`` and ``None``."""
    if isinstance(key, bool):
        return "true" if key else "false"
    return "null" if key is None else str(key)


def format_path(path: Sequence[Any], root: Any) -> str:
    """``spec.model.env.KEY`` for mapping keys, ``[0]`` for list indices, as a reader would write it."""
    text = ""
    node = root
    for part in path:
        if isinstance(node, list) and isinstance(part, int):
            text += f"[{part}]"
            node = node[part] if 0 <= part < len(node) else None
        else:
            shown = _key_text(part)
            text += f".{shown}" if text else shown
            node = node.get(part) if isinstance(node, dict) else None
    return text
