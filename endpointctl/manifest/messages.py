"""Turn pydantic's validation errors into messages an ops engineer can act on.

Each message says what was found and what is allowed, with a "did you mean" when a close match exists.
Pydantic's own wording ("Input should be a valid dictionary or instance of ScalingSpec") talks about
Python, not about the manifest, so it is never shown. Values under ``spec.model.env``,
``spec.model.secrets`` and an image's ``credentials`` are never echoed, since they can hold credentials;
their type is.
"""

from __future__ import annotations

import datetime
import re
import types
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic_core import ErrorDetails

from endpointctl.core.names import name_problem
from endpointctl.core.smoke_spec import UNION_TAGS
from endpointctl.core.spec import CREDENTIALS_KEY, WORD_PATTERN, Manifest
from endpointctl.core.suggest import did_you_mean
from endpointctl.manifest.yaml_source import KeyPath

_SENSITIVE: tuple[KeyPath, ...] = (("spec", "model", "env"), ("spec", "model", "secrets"))
_IMAGE_PATH: KeyPath = ("spec", "model", "image")
_NAME_PATH: KeyPath = ("metadata", "name")
_PATTERNS: dict[KeyPath, str] = {
    ("spec", "model", "repository"): "expected a Hub repository id like 'owner/model'",
    ("spec", "privateLink", "accountId"): "expected a 12-digit AWS account id",
}


@dataclass(frozen=True)
class Explained:
    path: KeyPath
    message: str


def explain_all(errors: Iterable[ErrorDetails]) -> list[Explained]:
    """One message per error, less the "missing" ones an unknown sibling key already explains.

    A typo such as ``instanceSise`` yields both an unknown key and a missing ``instanceSize``; the
    unknown key's "did you mean" says it all, so the second issue would only be noise.
    """
    errors = list(errors)
    explained = [explain(error) for error in errors]
    suggested = {(*item.path[:-1], _suggestion_of(item.message)) for item in explained}
    return [
        item
        for item, error in zip(explained, errors, strict=True)
        if not (error["type"] == "missing" and item.path in suggested)
    ]


def explain(error: ErrorDetails) -> Explained:
    kind = error["type"]
    # A tagged union's tag is pydantic's, not a key the manifest has.
    loc = tuple(part for part in error["loc"] if part not in UNION_TAGS)
    is_key = bool(loc) and loc[-1] == "[key]"
    path: KeyPath = loc[:-1] if is_key else loc
    value = error.get("input")
    ctx = error.get("ctx") or {}
    sensitive = is_sensitive(path) and not is_key
    found = describe(value, sensitive=sensitive)
    prefix = "key: " if is_key else ""

    if kind == "invalid_key":
        # pydantic's location holds 1 for a key YAML read as true, and 'None' for ~: the key itself finds
        # its line. YAML 1.1 reads on/off/yes/no as booleans, ~ and null as empty, digits as numbers.
        return Explained(
            (*path[:-1], value),
            f'a key must be text; YAML reads this one as {describe(value)}: quote it ("on": ...)',
        )
    if kind == "missing":
        return Explained(path, "required key missing")
    if kind == "extra_forbidden":
        return Explained(path, _unknown_key(path))
    if path == _NAME_PATH and isinstance(value, str) and kind.startswith("string_"):
        return Explained(path, name_problem(value) or f"invalid endpoint name {value!r}")
    if kind in ("literal_error", "enum"):
        allowed = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        return Explained(path, _not_one_of(value, allowed, found))
    messages = {
        "string_type": f"expected a string, found {found}" + _quote_hint(value),
        "int_type": f"expected an integer, found {found}" + _number_hint(value),
        "int_parsing": f"expected an integer, found {found}" + _number_hint(value),
        "int_from_float": f"expected a whole number, found {found}",
        "bool_type": f"expected true or false, found {found}",
        "bool_parsing": f"expected true or false, found {found}",
        "dict_type": f"expected a mapping, found {found}",
        "model_type": f"expected a mapping, found {found}",
        "model_attributes_type": f"expected a mapping, found {found}",
        "greater_than_equal": f"must be at least {ctx.get('ge')}, found {found}",
        "greater_than": f"must be greater than {_number(ctx.get('gt'))}, found {found}",
        "less_than_equal": f"must be at most {ctx.get('le')}, found {found}",
        "string_too_short": "must not be empty",
        "string_too_long": f"must be at most {ctx.get('max_length')} characters long, found {_length(value)}",
        "string_pattern_mismatch": _pattern_mismatch(path, value, str(ctx.get("pattern", "")), found),
        "value_error": str(ctx.get("error", "invalid value")),
    }
    # Anything unforeseen: pydantic's sentence without the input, still at the right line and path.
    message = messages.get(kind, error["msg"][:1].lower() + error["msg"][1:])
    return Explained(path, prefix + message)


def _pattern_mismatch(path: KeyPath, value: Any, pattern: str, found: str) -> str:
    if pattern != WORD_PATTERN:
        return f"{_PATTERNS.get(path, 'has an invalid format')}, found {found}"
    message = f"expected one word without blanks or control characters, found {found}"
    # The usual cause: a blank copied along with the value.
    stripped = value.strip() if isinstance(value, str) else ""
    if stripped and re.fullmatch(WORD_PATTERN, stripped):
        message += f" (did you mean {stripped!r}?)"
    return message


def is_sensitive(path: KeyPath) -> bool:
    """Whether the value at ``path`` may hold a credential, so a message shows only its type."""
    if any(path[: len(prefix)] == prefix for prefix in _SENSITIVE):
        return True
    # spec.model.image.<variant>.credentials and anything inside it
    image = len(_IMAGE_PATH)
    return path[:image] == _IMAGE_PATH and len(path) > image + 1 and path[image + 1] == CREDENTIALS_KEY


def describe(value: Any, *, sensitive: bool = False) -> str:
    """How a found value reads in a message: itself, or only its type when it may be a secret."""
    if value is None:
        return "an empty value"
    kind = _kind(value)
    if sensitive or kind in ("a mapping", "a list"):
        return kind
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return repr(value)
    return str(value)


def allowed_keys(path: KeyPath) -> list[str] | None:
    """The keys the manifest allows in the mapping at ``path``, by their YAML names."""
    model: type[BaseModel] = Manifest
    for part in path:
        if isinstance(part, int):  # an item of a list of mappings: same model as the list
            continue
        fields = {info.alias or name: info for name, info in model.model_fields.items()}
        info = fields.get(part)
        inner = _model_in(info.annotation) if info is not None else None
        if inner is None:
            return None
        model = inner
    return sorted(info.alias or name for name, info in model.model_fields.items())


def _unknown_key(path: KeyPath) -> str:
    key = path[-1]
    allowed = allowed_keys(path[:-1])
    if allowed is None:
        return f"unknown key '{key}'"
    return f"unknown key '{key}'{did_you_mean(key, allowed)}; allowed: {', '.join(allowed)}"


def _suggestion_of(message: str) -> str | None:
    match = re.search(r"\(did you mean '([^']*)'\?\)", message)
    return match[1] if match and message.startswith("unknown key") else None


def _not_one_of(value: Any, allowed: list[str], found: str) -> str:
    if len(allowed) == 1:
        return f"expected {allowed[0]}, found {found}"
    return f"{found} is not one of {', '.join(allowed)}{did_you_mean(value, allowed)}"


_YAML_BOOLEANS = "YAML reads yes, no, on and off (unquoted) as true and false"


def _quote_hint(value: Any) -> str:
    if isinstance(value, bool):
        return f" ({_YAML_BOOLEANS}; put it in quotes to mean text)"
    if isinstance(value, int | float | datetime.date):
        return " (put it in quotes so YAML reads it as text)"
    return ""


def _number_hint(value: Any) -> str:
    if isinstance(value, bool):
        return f" ({_YAML_BOOLEANS})"
    if isinstance(value, str) and value.strip().lstrip("+-").isdigit():
        return " (a quoted number is text: write the number without quotes)"
    return ""


def _number(value: Any) -> str:
    # A bound on a float field arrives as 0.0; the manifest's author wrote 0.
    return f"{value:g}" if isinstance(value, int | float) else str(value)


def _length(value: Any) -> str:
    return f"{len(value)} characters" if isinstance(value, str) else "a longer value"


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, datetime.date):
        return "a date"
    return f"a value of type {type(value).__name__}"


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model class in ``X``, ``X | None``, ``list[X]`` or an annotated union of those; else None."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) is Annotated:
        return _model_in(get_args(annotation)[0])
    if get_origin(annotation) is list:
        return _model_in(get_args(annotation)[0])
    if get_origin(annotation) in (Union, types.UnionType):
        for arg in get_args(annotation):
            inner = _model_in(arg)
            if inner is not None:
                return inner
    return None
