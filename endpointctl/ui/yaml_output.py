"""``-o yaml``: endpointctl's YAML output, written by libyaml's emitter where PyYAML has it.

Block style, keys in their order, unicode as itself; a string holding a character PyYAML would write
raw (NEL, the invisible ones) goes in double quotes, where it is escaped as ``\\uXXXX``, so no output
drives a terminal and the sink leaves it as it is.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from endpointctl.core.invisible import INVISIBLE, TAGS, WORKFLOW_COMMAND_MARKS

# PyYAML writes these raw even in double quotes (YAML counts them printable); ``dump`` escapes them there.
_YAML_RAW = re.compile(f"[\x85{INVISIBLE}{TAGS}]")


def u_escape(match: re.Match[str]) -> str:
    """The matched character as YAML's escape in double quotes: ``\\uXXXX``, or ``\\UXXXXXXXX`` beyond the
    Basic Multilingual Plane."""
    code = ord(match.group())
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


class _YamlDumper(yaml.SafeDumper):
    """safe_dump, except that a string holding NEL (U+0085) or an invisible character (``escapes``) is
    written in double quotes, where ``dump`` can escape what PyYAML leaves raw.

    YAML counts NEL and the bidirectional controls as printable, so PyYAML writes them raw in a plain or
    single-quoted scalar, where NEL reaches the terminal as a C1 control (and reads back as a space) and
    an override reverses what follows; every other control it escapes already, and a lone surrogate too
    (``"\\uD83D"``), which YAML does not count as printable.
    """


def _represent_str(dumper: yaml.representer.SafeRepresenter, value: str) -> yaml.Node:
    quoted = _YAML_RAW.search(value) or any(mark in value for mark in WORKFLOW_COMMAND_MARKS)
    style = '"' if quoted else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_YamlDumper.add_representer(str, _represent_str)

# libyaml's emitter, where PyYAML has it, with the same representers, ~5x faster (1000 endpoints: ~0.1 s
# against ~0.6 s). The two may fold a long string or write an odd key differently; what they write reads
# back as the same data and holds no raw control or invisible character (tests/test_yaml_dumpers_agree.py).
# It cannot encode a lone surrogate, which the pure-Python emitter escapes: such data goes to that one.
_FAST_DUMPER: type[yaml.representer.SafeRepresenter] | None = None
if hasattr(yaml, "CSafeDumper"):

    class _CYamlDumper(yaml.CSafeDumper):
        """``_YamlDumper``'s representers on libyaml's emitter."""

    _CYamlDumper.add_representer(str, _represent_str)
    _FAST_DUMPER = _CYamlDumper


# libyaml escapes characters beyond the Basic Multilingual Plane ("\U0001F600"), which PyYAML writes as
# themselves: text holding one goes to PyYAML, so an emoji in a message reads as one either way.
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def _alike_in_libyaml(data: Any) -> bool:
    """Whether libyaml may write ``data``: a list or mapping (a bare scalar gets a "..." document end from
    libyaml only) whose strings hold no character beyond the BMP (libyaml escapes an emoji)."""
    if not isinstance(data, list | dict):
        return False
    pending: list[Any] = [data]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if _ASTRAL.search(item):
                return False
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list | tuple):
            pending.extend(item)
    return True


def yaml_text(data: Any, *, fast: bool = True) -> str:
    """``data`` as YAML, block style, keys in their order; ``fast``: through libyaml where it can."""
    if fast and _FAST_DUMPER is not None and _alike_in_libyaml(data):
        try:
            return yaml.dump(data, Dumper=_FAST_DUMPER, sort_keys=False, allow_unicode=True)
        except (UnicodeEncodeError, yaml.YAMLError):
            pass  # what the pure-Python emitter escapes and libyaml cannot encode
    return yaml.dump(data, Dumper=_YamlDumper, sort_keys=False, allow_unicode=True)


def dump(data: Any) -> str:
    """``data`` as endpointctl's YAML output."""
    # Only double-quoted scalars can hold these (``_represent_str``), where ``\\uXXXX`` is their escape.
    return _YAML_RAW.sub(u_escape, yaml_text(data)).replace("##[", "\\x23#[")
