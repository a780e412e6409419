"""``${VAR}`` expansion of manifest string values, from an environment the caller passes in.

Syntax: ``${NAME}``; ``${NAME:-default}``, which uses the default when NAME is unset or empty, as the
shell does; and ``$$`` for a literal ``$``. A ``$`` followed by anything else stays as written, so a
price or a regex needs no escaping. Keys are never expanded.

Secrets are stricter: a value under ``spec.model.secrets``, and an image's registry password
(``spec.model.image.<variant>.credentials.password``), must be exactly one ``${NAME}``, so a secret can
only reach a manifest through the environment, never through git; and what the variable holds must be
at least ``MIN_SECRET_LENGTH`` characters, since the redactor cannot hide a shorter value. No message
here ever contains an expanded value, a default, or a literal found where a secret belongs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from endpointctl.core.redact import MIN_SECRET_LENGTH
from endpointctl.core.spec import CREDENTIALS_KEY, PASSWORD_KEY, Expanded
from endpointctl.core.variables import NAME_PATTERN
from endpointctl.manifest.yaml_source import KeyPath

SECRETS_PATH: KeyPath = ("spec", "model", "secrets")
IMAGE_PATH: KeyPath = ("spec", "model", "image")

_TOKEN = re.compile(r"\$(?:(?P<dollar>\$)|\{(?P<body>[^}]*)(?P<close>\}?))")
_BODY = re.compile(rf"(?P<name>{NAME_PATTERN})(?::-(?P<default>.*))?", re.DOTALL)
_SECRET_REF = re.compile(rf"\$\{{(?P<name>{NAME_PATTERN})\}}")


class InterpolationError(ValueError):
    """A reference that cannot be expanded."""


@dataclass(frozen=True)
class Problem:
    path: KeyPath
    message: str
    # Set for a secret whose variable is unset: not an error by itself, since a secret's value is only
    # needed where it is sent (create, replace, --rotate-secrets); the loader records it on the Desired.
    unset: str | None = None


def expand(text: str, environ: Mapping[str, str]) -> str:
    """``text`` with every reference replaced; raises naming every unset variable at once."""
    missing: list[str] = []

    def replace(match: re.Match[str]) -> str:
        if match["dollar"]:
            return "$"
        body = _BODY.fullmatch(match["body"])
        if not match["close"] or body is None:
            raise InterpolationError(
                "invalid variable reference: write ${NAME} or ${NAME:-default}, and $$ for a literal $"
            )
        value = environ.get(body["name"])
        if body["default"] is not None:
            return value or body["default"]
        if value is None:
            missing.append(body["name"])
            return ""
        return value

    result = _TOKEN.sub(replace, text)
    if missing:
        names = ", ".join(dict.fromkeys(missing))
        example = missing[0]
        verb = "is" if len(missing) == 1 else "are"
        plural = "" if len(missing) == 1 else "s"
        raise InterpolationError(
            f"environment variable{plural} {names} {verb} not set; "
            f"set {'it' if len(missing) == 1 else 'them'} or give a default: ${{{example}:-value}}"
        )
    return result


def expand_document(data: Any, environ: Mapping[str, str]) -> tuple[Any, list[Problem]]:
    """A copy of ``data`` with every string value expanded, and the problems found doing it.

    A value that cannot be expanded is kept as written, so validation still sees a string there.
    """
    problems: list[Problem] = []

    def walk(node: Any, path: KeyPath) -> Any:
        if isinstance(node, dict):
            expanded = {}
            for key, value in node.items():
                what = secret_kind((*path, key))
                if what is None:
                    expanded[key] = walk(value, (*path, key))
                else:
                    expanded[key] = _secret(value, (*path, key), environ, problems, what)
            return expanded
        if isinstance(node, list):
            return [walk(item, (*path, index)) for index, item in enumerate(node)]
        if isinstance(node, str):
            if "$" not in node:  # nothing to expand: most values
                return node
            try:
                text = expand(node, environ)
            except InterpolationError as exc:
                problems.append(Problem(path, str(exc)))
            else:
                # Marked only when a variable was read: a number-typed field accepts its text as a number.
                return Expanded(text) if "${" in node else text
        return node

    return walk(data, ()), problems


def secret_kind(path: KeyPath) -> str | None:
    """What the value at ``path`` is when it must be a secret ("secret", "registry password"), else None."""
    if len(path) == len(SECRETS_PATH) + 1 and path[:-1] == SECRETS_PATH:
        return "secret"
    if (
        len(path) == len(IMAGE_PATH) + 3
        and path[: len(IMAGE_PATH)] == IMAGE_PATH
        and path[-2:] == (CREDENTIALS_KEY, PASSWORD_KEY)
    ):
        return "registry password"
    return None


def _secret(value: Any, path: KeyPath, environ: Mapping[str, str], problems: list[Problem], what: str) -> Any:
    subject = "secret values" if what == "secret" else f"the {what}"
    must = f"{subject} must come from the environment: write ${{VAR}}"
    if not isinstance(value, str):
        problems.append(Problem(path, must))
        # A number or a mapping there is no more shown than a literal string.
        return ""
    reference = _SECRET_REF.fullmatch(value)
    if reference is None:
        body = _TOKEN.fullmatch(value)
        default = body is not None and body["body"] is not None and ":-" in body["body"]
        problems.append(Problem(path, must + (" without a default" if default else ", not a literal value")))
        # Nothing of the written value goes further, not even into validation messages.
        return ""
    name = reference["name"]
    secret = environ.get(name)
    if secret is None:
        problems.append(Problem(path, f"environment variable {name} is not set (it holds this {what})", name))
        return ""
    if not secret:
        problems.append(Problem(path, f"environment variable {name} is set but empty (it holds this {what})"))
    elif len(secret) < MIN_SECRET_LENGTH:
        problems.append(
            Problem(
                path,
                f"environment variable {name} holds a value too short to be a secret; use at least "
                f"{MIN_SECRET_LENGTH} characters (output cannot hide a shorter {what} reliably)",
            )
        )
        return ""
    return secret
