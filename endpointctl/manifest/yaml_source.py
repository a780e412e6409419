"""Read YAML documents while remembering the line of every key, so an issue can point at it.

PyYAML's constructed objects forget where they came from; its node tree does not. We compose nodes
with the SafeLoader and build the plain values ourselves, recording for each key path the line of its
key (for a list item, of the item). Duplicate keys, which PyYAML silently resolves to the last one, are
reported instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.events import (
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from endpointctl.manifest.limits import MAX_DEPTH, MAX_DOCUMENTS, MAX_EVENTS, MAX_VALUES

# libyaml's parser where PyYAML was built with it (several times faster); the pure-Python one otherwise,
# and always for wording a syntax error (its messages are the ones users and tests know).
_FAST_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# A key path as the values were built: mapping keys as constructed (nearly always str), list indices as int.
KeyPath = tuple[Any, ...]

_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MERGE_TAG = "tag:yaml.org,2002:merge"


@dataclass(frozen=True)
class SourceProblem:
    """A problem found while reading, before any schema is applied."""

    line: int | None
    path: str
    message: str


@dataclass
class Document:
    """One YAML document: its plain value and the line of every key path in it."""

    data: Any
    line: int  # 1-based line where the document's content starts
    lines: dict[KeyPath, int] = field(default_factory=dict)
    problems: list[SourceProblem] = field(default_factory=list)

    def line_of(self, path: Sequence[Any]) -> int:
        """The line of ``path``, or of its deepest existing parent (where a missing key belongs)."""
        for end in range(len(path), 0, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return self.line


@dataclass
class Source:
    """Every document of one file that could be read; a syntax error ends the file."""

    documents: list[Document]
    syntax_error: SourceProblem | None = None


_TOO_DEEP = f"nested deeper than {MAX_DEPTH} levels"


class _TooMuch(Exception):
    def __init__(self, line: int | None, message: str) -> None:
        super().__init__(message)
        self.problem = SourceProblem(line, "", message)


def read(text: str) -> Source:
    """Every document of ``text``, within the limits of ``limits``; a problem ends the file.

    Two passes of the fast parser: the first only measures (depth, documents, events) and cannot
    overflow the stack, as the parser is a state machine; the second composes what passed. A syntax
    error is reported by the second, with its line, without a third pass.
    """
    try:
        _measure(yaml.parse(text, Loader=_FAST_LOADER))
    except _TooMuch as too_much:
        return Source([], too_much.problem)
    except yaml.MarkedYAMLError as exc:
        if "nesting depth" in str(exc.problem):  # libyaml's own limit (1000), met while scanning ahead
            mark = exc.problem_mark or exc.context_mark
            return Source([], SourceProblem(mark.line + 1 if mark else None, "", _TOO_DEEP))
    except yaml.YAMLError:
        pass  # the composer stops at the same place and words it
    return _compose(text)


def _measure(events: Iterator[yaml.Event]) -> None:
    depth = documents = 0
    for count, event in enumerate(events, start=1):
        line = event.start_mark.line + 1 if event.start_mark is not None else None
        if count > MAX_EVENTS:
            raise _TooMuch(line, f"too large: more than {MAX_EVENTS} YAML values and structures")
        if isinstance(event, MappingStartEvent | SequenceStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise _TooMuch(line, _TOO_DEEP)
        elif isinstance(event, MappingEndEvent | SequenceEndEvent):
            depth -= 1
        elif isinstance(event, DocumentStartEvent):
            documents += 1
            if documents > MAX_DOCUMENTS:
                raise _TooMuch(line, f"more than {MAX_DOCUMENTS} documents in one file")


def _compose(text: str) -> Source:
    documents: list[Document] = []
    budget = _Budget()  # one per file: many documents may not each take the whole allowance
    try:
        for root in yaml.compose_all(text, Loader=_FAST_LOADER):
            if root is None:
                continue
            documents.append(_Builder(budget).document(root))
    except _TooMuch as too_much:
        return Source(documents, too_much.problem)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "unreadable"
        context = f" ({exc.context})" if exc.context and exc.problem else ""
        line = mark.line + 1 if mark is not None else None
        hint = _flow_hint(text, line)
        return Source(documents, SourceProblem(line, "", f"invalid YAML: {problem}{context}{hint}"))
    except yaml.YAMLError as exc:
        return Source(documents, SourceProblem(None, "", f"invalid YAML: {exc}"))
    # An empty document (a bare `---` or only comments) composes to a null scalar: nothing to manage.
    return Source([doc for doc in documents if doc.data is not None])


def _refused_scalar(node: Node) -> str | None:
    """Why a scalar is not taken as YAML would construct it, or None to construct it."""
    if not isinstance(node, ScalarNode):
        return None
    value = str(node.value)
    if node.tag == _BINARY_TAG:
        # Bytes would slip past every check on text (a `security`, a label with control characters).
        return "!!binary values are not accepted: write the text itself"
    if node.tag == _INT_TAG and not node.style and not _PLAIN_INT.fullmatch(value.strip()):
        return (
            f"{value!r} is not a plain decimal number; YAML 1.1 reads it as another number "
            "(010 is 8, 1:30 is 90): write it in decimal, or quote it for text"
        )
    if node.tag == _INT_TAG and len(value) > _MAX_DIGITS:
        return f"a number of {len(value)} digits is not accepted"
    if node.tag == _FLOAT_TAG and not node.style and not _PLAIN_FLOAT.fullmatch(value.strip()):
        return f"{value!r} is not a plain decimal number (.inf, .nan, 1_000.5 and 1:30.5 are refused)"
    return None


def _flow_hint(text: str, line: int | None) -> str:
    # Inside { } or [ ], an unquoted ${VAR} reads as the start of a mapping: the commonest slip.
    lines = text.splitlines()
    if line is not None and 0 < line <= len(lines) and "${" in lines[line - 1]:
        return '; inside { } or [ ] quote values that use variables: "${VAR}"'
    return ""


def format_path(path: Sequence[Any], root: Any) -> str:
    """``spec.model.env.KEY`` for mapping keys, ``[0]`` for list indices, as a reader would write it."""
    text = ""
    node = root
    for part in path:
        if isinstance(node, list) and isinstance(part, int):
            text += f"[{part}]"
            node = node[part] if 0 <= part < len(node) else None
        else:
            text += f".{part}" if text else str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return text


def _line(node: Node) -> int:
    return int(node.start_mark.line) + 1


def _child(rendered: str, key: Any) -> str:
    return f"{rendered}.{key}" if rendered else str(key)


class _Budget:
    """Values built from one file so far; an alias counts each time it expands, a merged key too."""

    def __init__(self) -> None:
        self.spent = 0

    def spend(self, node: Node) -> None:
        self.spent += 1
        if self.spent > MAX_VALUES:
            # Aliases expanding into aliases (or merges of merges): a few lines that would build billions.
            raise _TooMuch(
                _line(node), f"too many values (more than {MAX_VALUES}): aliases expanding into aliases?"
            )


# What YAML 1.1 reads as a number in ways no one means in a manifest (010 is 8, 1:30 is 90, 0x1f, 1_000):
# only plain decimal is taken as a number; anything else that YAML would read as one is refused.
_PLAIN_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
_PLAIN_FLOAT = re.compile(r"[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)(?:[eE][-+]?[0-9]+)?")
_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_BINARY_TAG = "tag:yaml.org,2002:binary"
_MAX_DIGITS = 100  # a replica count or a timeout; Python refuses to parse beyond 4300 digits anyway


class _Builder:
    def __init__(self, budget: _Budget) -> None:
        self._budget = budget
        self._constructor = SafeConstructor()
        # Nodes being built right now: an alias back to one of them is a cycle, not data.
        self._active: set[int] = set()
        self._doc = Document(data=None, line=1)

    def document(self, root: Node) -> Document:
        self._doc.line = _line(root)
        self._doc.data = self._build(root, (), "")
        return self._doc

    def _problem(self, node: Node, rendered: str, message: str) -> None:
        self._doc.problems.append(SourceProblem(_line(node), rendered, message))

    def _build(self, node: Node, path: KeyPath, rendered: str) -> Any:
        self._budget.spend(node)
        if id(node) in self._active:
            # The node's own mark is the anchor's line; the key that refers back to it is where to look.
            line = self._doc.line_of(path)
            message = "alias refers to itself (recursive structures are not supported)"
            self._doc.problems.append(SourceProblem(line, rendered, message))
            return None
        self._active.add(id(node))
        try:
            if isinstance(node, MappingNode):
                return self._mapping(node, path, rendered)
            if isinstance(node, SequenceNode):
                if node.tag != _SEQ_TAG:
                    self._problem(node, rendered, f"unsupported tag {node.tag}")
                return [
                    self._item(item, (*path, index), f"{rendered}[{index}]")
                    for index, item in enumerate(node.value)
                ]
            return self._scalar(node, rendered)
        finally:
            self._active.discard(id(node))

    def _item(self, node: Node, path: KeyPath, rendered: str) -> Any:
        self._doc.lines[path] = _line(node)
        return self._build(node, path, rendered)

    def _scalar(self, node: Node, rendered: str) -> Any:
        refused = _refused_scalar(node)
        if refused is not None:
            self._problem(node, rendered, refused)
            return None
        try:
            return self._constructor.construct_object(node)
        except ConstructorError as exc:
            self._problem(node, rendered, f"cannot read value: {exc.problem}")
        except ValueError as exc:  # e.g. a timestamp that is no date
            self._problem(node, rendered, f"cannot read value: {exc}")
        return None

    def _mapping(self, node: MappingNode, path: KeyPath, rendered: str) -> dict[Any, Any]:
        if node.tag != _MAP_TAG:
            self._problem(node, rendered, f"unsupported tag {node.tag}")
        result: dict[Any, Any] = {}
        for key_node, value_node, merged in self._pairs(node, rendered):
            self._budget.spend(key_node)  # a merged key skipped as set already costs its walk too
            if not isinstance(key_node, ScalarNode):
                self._problem(key_node, rendered, "a key must be a plain value, not a mapping or a list")
                continue
            key = self._scalar(key_node, rendered)
            child = (*path, key)
            if key in result:
                if merged:  # `<<` only fills keys the mapping does not set itself
                    continue
                first = self._doc.lines.get(child)
                self._problem(
                    key_node, _child(rendered, key), f"duplicate key '{key}' (first at line {first})"
                )
            self._doc.lines[child] = _line(key_node)
            result[key] = self._build(value_node, child, _child(rendered, key))
        return result

    def _pairs(
        self, node: MappingNode, rendered: str, outer: frozenset[int] = frozenset()
    ) -> Iterator[tuple[Node, Node, bool]]:
        """The mapping's own entries, then those of its `<<` merge keys, nearest first (YAML 1.1)."""
        outer = outer | {id(node)}
        merges: list[Node] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                merges.append(value_node)
            else:
                yield key_node, value_node, False
        merged: set[int] = set()
        for merge in merges:
            sources = merge.value if isinstance(merge, SequenceNode) else [merge]
            for source in sources:
                if id(source) in merged:
                    continue  # `<<: [*a, *a]`: the same mapping twice adds nothing the first did not
                merged.add(id(source))
                if not isinstance(source, MappingNode) or id(source) in outer:
                    self._problem(source, rendered, "a merge key (<<) needs a mapping or a list of mappings")
                    continue
                for key_node, value_node, _ in self._pairs(source, rendered, outer):
                    yield key_node, value_node, True
