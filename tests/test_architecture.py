"""Guardrails on the shape of the package: the layers, what each may import, and a few house rules.

The import rules are read from the source with ``ast`` (every ``import``, at any depth, including those
under ``TYPE_CHECKING``), so an arrow added the wrong way fails here before it can grow a habit.
"""

from __future__ import annotations

import ast
import pathlib
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "endpointctl"
LAYERS = ("cli", "core", "manifest", "hub", "engine", "dataplane", "ui", "sandbox")
# What each layer may import of ours, besides itself (README, design notes).
ALLOWED: Mapping[str, frozenset[str]] = {
    "cli": frozenset(LAYERS),
    "engine": frozenset({"hub", "dataplane", "core", "manifest"}),
    "hub": frozenset({"core", "manifest"}),
    "dataplane": frozenset({"core"}),
    "ui": frozenset({"core", "manifest"}),
    "manifest": frozenset({"core"}),
    "core": frozenset(),
    "sandbox": frozenset(),
}
# The pure layers: no network, no clock, no threads, no terminal framework, no process environment.
PURE = ("core", "manifest")
PURE_BANNED = (
    "click",
    "huggingface_hub",
    "httpx",
    "httpx2",
    "threading",
    "time",
    "socket",
    "http.client",
    "urllib.request",
    "concurrent",
    "asyncio",
    "subprocess",
    "rich",
)
# The embedded starter finds the user's state directory; the emulator itself is standard library only.
SANDBOX_THIRD_PARTY = {"sandbox/embedded.py": frozenset({"platformdirs"})}
MAX_LINES = 400


@dataclass(frozen=True)
class Violation:
    module: str
    line: int
    rule: str

    def __str__(self) -> str:
        return f"{self.module}:{self.line}: {self.rule}"


def _layer(relative: pathlib.PurePath) -> str | None:
    return relative.parts[0] if len(relative.parts) > 1 else None


def _imports(tree: ast.AST, relative: pathlib.PurePath) -> Iterator[tuple[str, int]]:
    """Every module imported, absolute, with its line; relative imports resolved against ``relative``."""
    package = ("endpointctl", *relative.parts[:-1])
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1])
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            yield module, node.lineno
            for alias in node.names:  # `from endpointctl import engine` imports a layer by name
                if module == "endpointctl":
                    yield f"endpointctl.{alias.name}", node.lineno


def _reads_environ(tree: ast.AST) -> Iterator[int]:
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "os"
            and node.attr in ("environ", "getenv", "environb", "putenv")
        ):
            yield node.lineno
        if (
            isinstance(node, ast.ImportFrom)
            and node.module == "os"
            and any(alias.name in ("environ", "getenv") for alias in node.names)
        ):
            yield node.lineno


def _reads_clock(tree: ast.AST) -> Iterator[int]:
    """``datetime.now()``, ``date.today()`` and friends: the time of day is an effect too."""
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("now", "today", "utcnow")
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id in ("datetime", "date")
        ):
            yield node.lineno


def violations(sources: Mapping[pathlib.PurePath, str]) -> list[Violation]:
    """The broken rules among ``sources`` (paths relative to the package, e.g. ``core/plan.py``)."""
    found: list[Violation] = []
    for relative, text in sorted(sources.items()):
        tree = ast.parse(text)
        layer = _layer(relative)
        module = str(relative)
        if layer is None:
            if relative.name not in ("__init__.py", "__main__.py"):
                found.append(Violation(module, 1, "nothing but __init__.py and __main__.py at the top level"))
            continue
        if layer not in LAYERS:
            found.append(Violation(module, 1, f"'{layer}' is not one of the layers {', '.join(LAYERS)}"))
            continue
        for imported, line in _imports(tree, relative):
            top = imported.split(".")[0]
            if top == "endpointctl":
                target = imported.split(".")[1] if imported.count(".") else None
                if target is None or target == layer or target in ("__init__",):
                    continue
                if target not in ALLOWED[layer]:
                    found.append(Violation(module, line, f"{layer} must not import {target} ({imported})"))
                continue
            if top == "huggingface_hub" and layer != "hub":
                found.append(Violation(module, line, "only hub/ imports huggingface_hub"))
            if layer in PURE and any(
                imported == banned or imported.startswith(banned + ".") for banned in PURE_BANNED
            ):
                found.append(Violation(module, line, f"{layer} is pure: it must not import {imported}"))
            if (
                layer == "sandbox"
                and top not in sys.stdlib_module_names
                and top != "__future__"
                and top not in SANDBOX_THIRD_PARTY.get(module, frozenset())
            ):
                found.append(Violation(module, line, f"the sandbox is standard library only ({imported})"))
        if layer in PURE:
            found.extend(
                Violation(module, n, f"{layer} is pure: it must not read os.environ")
                for n in _reads_environ(tree)
            )
            found.extend(
                Violation(module, n, f"{layer} is pure: it must not read the clock")
                for n in _reads_clock(tree)
            )
    return found


def _package_sources() -> dict[pathlib.PurePath, str]:
    return {
        pathlib.PurePath(path.relative_to(PACKAGE)): path.read_text(encoding="utf-8")
        for path in PACKAGE.rglob("*.py")
    }


def test_the_package_keeps_its_layers() -> None:
    assert [str(v) for v in violations(_package_sources())] == []


def test_every_layer_exists() -> None:
    present = {path.name for path in PACKAGE.iterdir() if path.is_dir() and (path / "__init__.py").exists()}
    assert present == set(LAYERS)


@pytest.mark.parametrize(
    ("module", "source", "rule"),
    [
        ("core/bad.py", "from endpointctl.engine import waiter\n", "core must not import engine"),
        ("core/bad.py", "from ..hub import client\n", "core must not import hub"),
        ("core/bad.py", "import threading\n", "must not import threading"),
        ("core/bad.py", "import time\n", "must not import time"),
        ("manifest/bad.py", "import os\nx = os.environ['A']\n", "must not read os.environ"),
        ("manifest/bad.py", "from os import getenv\n", "must not read os.environ"),
        ("core/bad.py", "from datetime import datetime\nx = datetime.now()\n", "must not read the clock"),
        ("manifest/bad.py", "from endpointctl.ui import sink\n", "manifest must not import ui"),
        ("hub/bad.py", "from endpointctl.engine.session import Session\n", "hub must not import engine"),
        ("dataplane/bad.py", "from endpointctl.hub import Hub\n", "dataplane must not import hub"),
        ("ui/bad.py", "from endpointctl import engine\n", "ui must not import engine"),
        ("engine/bad.py", "from endpointctl.cli import main\n", "engine must not import cli"),
        ("engine/bad.py", "import huggingface_hub\n", "only hub/ imports huggingface_hub"),
        ("sandbox/bad.py", "from endpointctl.core.errors import ExitCode\n", "sandbox must not import core"),
        ("sandbox/bad.py", "import yaml\n", "standard library only"),
        ("core/bad.py", "def f():\n    import click\n", "must not import click"),
        ("core/bad.py", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import httpx2\n", "httpx2"),
        ("helpers.py", "x = 1\n", "nothing but __init__.py"),
    ],
)
def test_an_arrow_the_wrong_way_is_caught(module: str, source: str, rule: str) -> None:
    found = violations({pathlib.PurePath(module): source})
    assert any(rule in str(v) for v in found), found


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("engine/fine.py", "from endpointctl.hub import Hub\nfrom endpointctl.dataplane import client\n"),
        ("cli/fine.py", "from endpointctl.engine import waiter\nimport click\n"),
        ("core/fine.py", "from endpointctl.core.errors import ExitCode\nimport random\nimport re\n"),
        ("sandbox/fine.py", "from .store import Store\nimport sqlite3\n"),
        ("sandbox/embedded.py", "import platformdirs\nfrom endpointctl.sandbox import Sandbox\n"),
    ],
)
def test_an_allowed_arrow_passes(module: str, source: str) -> None:
    assert violations({pathlib.PurePath(module): source}) == []


def test_no_module_is_over_400_lines() -> None:
    long = {
        str(path.relative_to(PACKAGE)): n
        for path in PACKAGE.rglob("*.py")
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


def test_no_two_classes_share_a_name() -> None:
    where: dict[str, list[str]] = {}
    for relative, text in _package_sources().items():
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.ClassDef):
                where.setdefault(node.name, []).append(str(relative))
    assert {name: places for name, places in where.items() if len(places) > 1} == {}


def test_no_grab_bag_modules() -> None:
    names = {path.stem for path in PACKAGE.rglob("*.py")}
    assert not names & {"utils", "util", "helpers", "misc", "common"}


def test_every_module_imports_on_its_own() -> None:
    """No circular import hiding behind a lucky import order: each module imported into a fresh package.

    One interpreter for all of them (third-party libraries stay loaded, which is fast), with every
    ``endpointctl`` module forgotten before each import.
    """
    modules = sorted(
        ".".join(("endpointctl", *path.relative_to(PACKAGE).with_suffix("").parts))
        for path in PACKAGE.rglob("*.py")
        if path.name != "__main__.py"
    )
    code = (
        "import importlib, sys, traceback\n"
        f"failed = []\nfor name in {modules!r}:\n"
        "    for loaded in [m for m in sys.modules if m == 'endpointctl' or m.startswith('endpointctl.')]:\n"
        "        del sys.modules[loaded]\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except Exception:\n"
        "        failed.append(name + ': ' + traceback.format_exc().splitlines()[-1])\n"
        "print('\\n'.join(failed))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""


def test_the_sandbox_keeps_the_same_image_fields_as_the_manifest_models() -> None:
    """The sandbox may not import the tool, so it keeps its own copy of the API's image-field allowlist."""
    from endpointctl.core.spec import IMAGE_FIELDS
    from endpointctl.sandbox import specs

    assert {variant: frozenset(keys) for variant, keys in IMAGE_FIELDS.items()} == specs.IMAGE_FIELDS


def _commands() -> list[list[str]]:
    import click

    from endpointctl.cli import cli

    found: list[list[str]] = []

    def walk(group: click.Group, prefix: list[str]) -> None:
        ctx = click.Context(group)  # list_commands/get_command: the root group loads its commands lazily
        for name in group.list_commands(ctx):
            command = group.get_command(ctx, name)
            assert command is not None, name
            if isinstance(command, click.Group):
                walk(command, [*prefix, name])
            else:
                found.append([*prefix, name])

    walk(cli, [])
    return found


@pytest.mark.parametrize("command", _commands(), ids=" ".join)
def test_every_command_help_ends_with_examples(command: list[str]) -> None:
    from click.testing import CliRunner

    from endpointctl.cli import cli

    result = CliRunner().invoke(cli, [*command, "--help"])
    assert result.exit_code == 0
    tail = result.output.rstrip().split("Examples:")
    assert len(tail) == 2 and tail[1].strip().startswith("endpointctl"), result.output


def _manifest_names() -> set[str]:
    import yaml

    names: set[str] = set()
    for path in (PACKAGE.parent / "manifests").glob("*.yaml"):
        for doc in yaml.safe_load_all(path.read_text()):
            names.add(doc["metadata"]["name"])
    return names


@pytest.mark.parametrize("command", _commands(), ids=" ".join)
def test_help_examples_name_only_endpoints_of_the_examples(command: list[str]) -> None:
    """A newcomer copies an example after `apply manifests/`: the endpoint it names must exist then, and
    the example must parse (its flags are real, its values of the right type)."""
    import shlex

    import click

    from endpointctl.cli import cli

    ctx = click.Context(cli, info_name="endpointctl")
    target: click.Command = cli
    for word in command:
        assert isinstance(target, click.Group)
        found = target.get_command(ctx, word)
        assert found is not None
        target = found
    names_argument = any(isinstance(p, click.Argument) and p.name in ("names", "name") for p in target.params)
    known = _manifest_names()
    for line in (target.epilog or "").splitlines()[2:]:
        words = shlex.split(line.split("   #")[0].split(" # ")[0].split("|")[0].split(">")[0].split("&&")[0])
        if words[:1] != ["endpointctl"] or words[1 : 1 + len(command)] != command:
            continue  # an environment prefix or another program: not this command's example
        rest = words[1 + len(command) :]
        if "--" in rest:
            rest = rest[: rest.index("--")]
        parsed = target.make_context(" ".join(command), list(rest), resilient_parsing=False)
        if names_argument:
            given = parsed.params.get("names") or ()
            given = (given,) if isinstance(given, str) else given
            assert set(given) <= known, f"{line!r} names {set(given) - known}, not in manifests/"
