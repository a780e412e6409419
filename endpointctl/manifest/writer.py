"""Manifest documents as YAML text, laid out like the examples in ``manifests/``.

Block style for the document, flow style (``{vendor: aws, region: us-east-1}``) for the small mappings
the examples write on one line, and comment lines on top. The text is what ``load`` reads back into the
same values: PyYAML quotes every string that would read as another type (``"1024"``, ``"yes"``,
``"1:30"``) and escapes what is not printable; callers write ``$`` as ``$$`` where it is literal.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import yaml

from endpointctl.core.invisible import INVISIBLE, TAGS, WORKFLOW_COMMAND_MARKS, escape

# Key paths (in a document) written on one line, as the examples do.
FLOW_PATHS = frozenset(
    {
        ("metadata", "labels"),
        ("spec", "provider"),
        ("spec", "compute"),
        ("spec", "scaling"),
        ("spec", "privateLink"),
    }
)


class _Flow(dict[str, Any]):
    """A mapping written in flow style."""


class _Dumper(yaml.SafeDumper):
    """safe_dump, with a string holding NEL or a character that changes how text reads (bidirectional
    overrides, zero-width space, BOM) double-quoted, where ``render`` writes it as an escape: PyYAML counts
    them printable and would write them raw, so a reviewer would see other text than the value (and
    endpointctl's output, which shows them escaped, would change a plain scalar's value)."""


# A comment is one line of what it says: a control character (C0, DEL, C1 with NEL), a line or paragraph
# separator (YAML reads U+2028 as a line break: what followed would be read as the document) or another
# invisible character, from a name, a key or a flag, is shown as an escape.
_COMMENT = re.compile(f"[\x00-\x1f\x7f-\x9f{INVISIBLE}{TAGS}\ud800-\udfff]")
# NEL and the invisible characters: PyYAML counts them printable and would write them raw.
_RAW = re.compile(f"[\x85{INVISIBLE}{TAGS}]")


def _string(dumper: _Dumper, value: str) -> yaml.Node:
    # Also a workflow command's marks: a manifest printed in a GitHub Actions log (export to stdout) is
    # made inert there, which would change a plain or single-quoted scalar's value.
    quoted = _RAW.search(value) or any(mark in value for mark in WORKFLOW_COMMAND_MARKS)
    style = '"' if quoted else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())  # a tag character lies beyond the BMP: YAML's \\U escape
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


_Dumper.add_representer(str, _string)


def _flow(dumper: _Dumper, value: _Flow) -> yaml.Node:
    return dumper.represent_mapping("tag:yaml.org,2002:map", value.items(), flow_style=True)


_Dumper.add_representer(_Flow, _flow)


def _marked(value: Any, path: tuple[str, ...]) -> Any:
    if isinstance(value, Mapping):
        items = {key: _marked(item, (*path, str(key))) for key, item in value.items()}
        return _Flow(items) if path in FLOW_PATHS and items else items
    if isinstance(value, list):
        return [_marked(item, path) for item in value]
    return value


def render(document: Mapping[str, Any], comments: Iterable[str] = ()) -> str:
    """One manifest document as YAML, with ``comments`` as ``#`` lines above it."""
    lines = [_COMMENT.sub(lambda m: escape(ord(m.group())), line) for line in comments]
    header = "".join(f"# {line}\n" if line else "#\n" for line in lines)
    body = yaml.dump(
        _marked(document, ()),
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=100,
    )
    # Only double-quoted scalars hold these (``_string``), where ``\\uXXXX`` is their escape.
    return header + _RAW.sub(_escape, body).replace("##[", "\\x23#[")
