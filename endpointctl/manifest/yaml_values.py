"""YAML nodes → plain values, remembering the line of every key (see ``yaml_source``, which composes them).

PyYAML's constructed objects forget where they came from; its node tree does not. We build the plain
values from the nodes ourselves, recording for each key path the line of its key (for a list item, of
the item), counting every value built against a per-file budget (an alias counts each time it expands),
and refusing what YAML 1.1 would silently turn into something else. Duplicate keys, which PyYAML silently
resolves to the last one, are reported instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from endpointctl.manifest.limits import MAX_VALUES

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


class OverLimit(Exception):
    """A limit passed: the file is refused with ``problem``."""

    def __init__(self, line: int | None, message: str) -> None:
        super().__init__(message)
        self.problem = SourceProblem(line, "", message)


def build(roots: list[Node], error: SourceProblem | None) -> Source:
    """The values of the documents composed, in order; ``error`` is what stopped the composing."""
    documents: list[Document] = []
    budget = _Budget()  # one per file: many documents may not each take the whole allowance
    try:
        for root in roots:
            documents.append(_Builder(budget).document(root))
    except OverLimit as too_much:
        return Source(documents, too_much.problem)
    if error is not None:
        return Source(documents, error)
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
            raise OverLimit(
                _line(node), f"too many values (more than {MAX_VALUES}): aliases expanding into aliases?"
            )


# What YAML 1.1 reads as a number in ways no one means in a manifest (010 is 8, 1:30 is 90, 0x1f, 1_000):
# only plain decimal is taken as a number; anything else that YAML would read as one is refused.
_PLAIN_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
_PLAIN_FLOAT = re.compile(r"[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)(?:[eE][-+]?[0-9]+)?")
_STR_TAG = "tag:yaml.org,2002:str"
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
        if isinstance(node, ScalarNode):  # a scalar holds nothing that could refer back to it
            return self._scalar(node, rendered)
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
                lines = self._doc.lines
                items = []
                for index, item in enumerate(node.value):
                    child = (*path, index)
                    lines[child] = item.start_mark.line + 1
                    items.append(self._build(item, child, f"{rendered}[{index}]"))
                return items
            return self._scalar(node, rendered)
        finally:
            self._active.discard(id(node))

    def _scalar(self, node: Node, rendered: str) -> Any:
        if node.tag == _STR_TAG and isinstance(node, ScalarNode):
            return node.value  # what the constructor would return, without its bookkeeping
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
        merges: list[Node] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                merges.append(value_node)
            else:
                self._entry(result, key_node, value_node, False, path, rendered)
        if merges:
            for key_node, value_node, _ in self._merged(merges, rendered, frozenset({id(node)})):
                self._entry(result, key_node, value_node, True, path, rendered)
        return result

    def _entry(
        self,
        result: dict[Any, Any],
        key_node: Node,
        value_node: Node,
        merged: bool,
        path: KeyPath,
        rendered: str,
    ) -> None:
        self._budget.spend(key_node)  # a merged key skipped as set already costs its walk too
        if not isinstance(key_node, ScalarNode):
            self._problem(key_node, rendered, "a key must be a plain value, not a mapping or a list")
            return
        key = key_node.value if key_node.tag == _STR_TAG else self._scalar(key_node, rendered)
        child = (*path, key)
        if key in result:
            if merged:  # `<<` only fills keys the mapping does not set itself
                return
            first = self._doc.lines.get(child)
            self._problem(key_node, _child(rendered, key), f"duplicate key '{key}' (first at line {first})")
        self._doc.lines[child] = key_node.start_mark.line + 1
        result[key] = self._build(value_node, child, _child(rendered, key))

    def _pairs(
        self, node: MappingNode, rendered: str, outer: frozenset[int]
    ) -> Iterator[tuple[Node, Node, bool]]:
        """The mapping's own entries, then those of its `<<` merge keys, nearest first (YAML 1.1)."""
        outer = outer | {id(node)}
        merges: list[Node] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                merges.append(value_node)
            else:
                yield key_node, value_node, False
        yield from self._merged(merges, rendered, outer)

    def _merged(
        self, merges: list[Node], rendered: str, outer: frozenset[int]
    ) -> Iterator[tuple[Node, Node, bool]]:
        """The entries of a mapping's `<<` merge keys (``outer``: the mappings merging them)."""
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
