"""Guardrails on the shape of the package: the layers, what each may import, and a few house rules.

The import rules are read from the source with ``ast`` (every ``import``, at any depth, including those
under ``TYPE_CHECKING``), so an arrow added the wrong way fails here before it can grow a habit.
"""

from __future__ import annotations

import ast
import functools
import inspect
import json
import pathlib
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
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


@functools.cache
def _parsed(text: str) -> ast.Module:
    """A module's syntax tree, parsed once for all the tests here that read it (never changed)."""
    return ast.parse(text)


def _layer(relative: pathlib.PurePath) -> str | None:
    return relative.parts[0] if len(relative.parts) > 1 else None


def _absolute(node: ast.ImportFrom, relative: pathlib.PurePath, package: str = "endpointctl") -> str:
    """The module a ``from ... import`` names, relative imports resolved against ``relative``."""
    if not node.level:
        return node.module or ""
    parts = (package, *relative.parts[:-1])
    base = ".".join(parts[: len(parts) - node.level + 1])
    return f"{base}.{node.module}" if node.module else base


def _imports(tree: ast.AST, relative: pathlib.PurePath) -> Iterator[tuple[str, int]]:
    """Every module imported, absolute, with its line; relative imports resolved against ``relative``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            module = _absolute(node, relative)
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
        tree = _parsed(text)
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
        for node in ast.walk(_parsed(text)):
            if isinstance(node, ast.ClassDef):
                where.setdefault(node.name, []).append(str(relative))
    assert {name: places for name, places in where.items() if len(places) > 1} == {}


def test_no_grab_bag_modules() -> None:
    names = {path.stem for path in PACKAGE.rglob("*.py")}
    assert not names & {"utils", "util", "helpers", "misc", "common"}


def _import_each_alone(
    package: str, order: Sequence[str], reuse: bool = True, reused: list[str] | None = None
) -> dict[str, str]:
    """Import each module of ``order`` (all of ``package``'s) as into a fresh interpreter: {module: why not}.

    It runs in a fresh interpreter (its source is sent there); other libraries stay loaded between the
    imports. The plain way (``reuse=False``) forgets every module of ``package`` before each import, and
    so runs again everything of ours the module imports: some 5,000 module runs for 170 modules, mostly
    dataclasses and pydantic building classes. With ``reuse``, when the module under test imports one that
    has had its own import already, that one is put back as its own import left it, together with every
    module of ours that import loaded: what a fresh import would load at that moment, as it would leave
    it. Each module then runs about once. Three rules keep the outcome that of the plain way:

    - Modules are put back only all together, and only where none of them is loaded already as another
      object (the module under test, part-way through its import: a cycle; or one that ran anew).
      Otherwise the import runs, as in a fresh interpreter: a cycle is entered where a fresh import enters
      it, and fails as it would.
    - A package's attributes naming its submodules (which the import system binds as it loads them) are
      removed before each import and bound again only as the put-back import left them: a module that
      reaches a submodule it did not import fails as in a fresh interpreter.
    - A module changed by a later import (a registry filled, a class attribute appended to, a command added
      to a group) would carry that change to modules that do not import the changer. What each module
      holds (all the way down through containers, our objects' attributes, slots, closures, defaults and
      caches; two levels into another library's object) is recorded when it is first loaded and compared
      at the end; if some changed, all is imported again without putting those back (and again, until
      nothing new changed).

    Like the plain way for other libraries, it assumes an import does the same whichever modules it does
    not import are loaded (it does not search sys.modules, or a class's subclasses, for them).
    """
    import collections
    import contextlib
    import importlib
    import importlib.abc
    import importlib.machinery
    import sys
    import traceback
    import types

    def ours(name: str) -> bool:
        return name == package or name.startswith(package + ".")

    def submodules(module: types.ModuleType) -> list[str]:
        """The attributes binding a package's submodules, as the import system sets them."""
        prefix = module.__name__ + "."
        return [
            key
            for key, value in vars(module).items()
            if isinstance(value, types.ModuleType) and value.__name__ == prefix + key
        ]

    # Set by the import system, not by the module: a module's own state is the rest.
    machinery = frozenset(
        ("__builtins__", "__spec__", "__loader__", "__cached__", "__file__", "__path__", "__package__")
    )

    def shape(value: object, seen: set[int], levels: int | None) -> object:
        """Identity, and the contents of what our modules own, all the way down (``levels`` None); of
        another library's object (a click group, a logger), two levels: what it holds, not what those
        hold (a logger's manager knows every logger: the logging library's state)."""
        if levels == 0 or isinstance(value, (types.ModuleType, str, bytes, int, float, type(None))):
            return id(value)
        if id(value) in seen:  # a cycle, or met before: its contents are in the shape where first met
            return id(value)
        seen.add(id(value))
        down = None if levels is None else levels - 1
        if isinstance(value, (dict, types.MappingProxyType)):  # a proxy: singledispatch's registry
            return id(value), contents(value, seen, down)
        if isinstance(value, (list, tuple, collections.deque)):
            return id(value), tuple(shape(item, seen, down) for item in value)
        if isinstance(value, (set, frozenset)):
            return id(value), frozenset(map(id, value))
        if isinstance(value, (type, types.FunctionType)) and not ours(value.__module__ or ""):
            return id(value)  # another library's: its state is that library's, as in the plain way
        if not ours(type(value).__module__) and not isinstance(value, (type, types.FunctionType)):
            levels = 2 if levels is None else min(levels, 2)
            down = levels - 1
        inner: tuple[object, ...] = ()
        with contextlib.suppress(AttributeError):  # never through a __getattr__ (a lazy proxy's)
            attributes = object.__getattribute__(value, "__dict__")  # an instance's, a class's, a function's
            if isinstance(attributes, (dict, types.MappingProxyType)):
                inner = contents(attributes, seen, down)
        held: list[object] = []
        for klass in type(value).__mro__:  # what __slots__ hold, where there is no __dict__ for it
            slots = klass.__dict__.get("__slots__", ())
            for slot in (slots,) if isinstance(slots, str) else slots:
                with contextlib.suppress(AttributeError, TypeError):
                    held.append(object.__getattribute__(value, slot))
        if isinstance(value, types.FunctionType):  # a registry can hide in a closure or a default
            held += (
                value.__defaults__,
                value.__kwdefaults__,
                *(c.cell_contents for c in value.__closure__ or ()),
            )
        cache_info = getattr(type(value), "cache_info", None)
        if callable(cache_info):  # functools.cache's: what it has cached (a call during another import)
            held.append(cache_info(value).currsize)
        return id(value), inner + tuple(shape(item, seen, down) for item in held)

    def contents(mapping: Mapping[object, object], seen: set[int], levels: int | None) -> tuple[object, ...]:
        return tuple((id(key), shape(value, seen, levels)) for key, value in mapping.items())

    def state(module: types.ModuleType) -> object:
        skip = machinery.union(submodules(module))
        return contents({k: v for k, v in vars(module).items() if k not in skip}, set(), None)

    class Checked:
        """What a module's own fresh import left: every module of ours by name, and which of them were
        bound on their package."""

        def __init__(self, name: str) -> None:
            self.modules = {key: value for key, value in sys.modules.items() if ours(key)}
            self.bound = {
                key
                for key, value in self.modules.items()
                if getattr(self.modules.get(key.rpartition(".")[0]), key.rpartition(".")[2], None) is value
            }
            self.spec = self.modules[name].__spec__

        def fits(self) -> bool:
            return all(sys.modules.get(key, value) is value for key, value in self.modules.items())

    class PutBack(importlib.abc.MetaPathFinder, importlib.abc.Loader):
        def __init__(self) -> None:
            self.checked: dict[str, Checked] = {}
            self.avoid: set[str] = set()

        def find_spec(
            self, fullname: str, path: object, target: object = None
        ) -> importlib.machinery.ModuleSpec | None:
            done = self.checked.get(fullname)
            if not reuse or done is None or not done.fits():
                return None
            if self.avoid & done.modules.keys():
                return None
            original = done.spec
            assert original is not None
            is_package = original.submodule_search_locations is not None
            return importlib.machinery.ModuleSpec(
                fullname, self, origin=original.origin, is_package=is_package
            )

        def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
            return self.checked[spec.name].modules[spec.name]

        def exec_module(self, module: types.ModuleType) -> None:
            done = self.checked[module.__name__]
            if reused is not None:  # for the self-test: that putting back happens at all
                reused.append(module.__name__)
            module.__spec__ = done.spec  # the import system set ours
            added = [key for key in done.modules if key not in sys.modules]
            sys.modules.update({key: done.modules[key] for key in added})
            for key in added:
                if key in done.bound:
                    parent, _, child = key.rpartition(".")
                    setattr(sys.modules[parent], child, done.modules[key])

    finder = PutBack()
    sys.meta_path.insert(0, finder)
    try:
        while True:
            finder.checked.clear()
            failed: dict[str, str] = {}
            first: dict[int, tuple[types.ModuleType, object]] = {}  # id -> (module, its state when checked)
            packages: dict[int, types.ModuleType] = {}
            for name in order:
                for loaded in [key for key in sys.modules if ours(key)]:
                    del sys.modules[loaded]
                for module in packages.values():
                    for key in submodules(module):
                        delattr(module, key)
                try:
                    importlib.import_module(name)
                except Exception:
                    failed[name] = traceback.format_exc().splitlines()[-1]
                    continue
                finder.checked[name] = Checked(name)
                for module in finder.checked[name].modules.values():
                    if id(module) not in first:
                        first[id(module)] = module, state(module)
                        if hasattr(module, "__path__"):
                            packages[id(module)] = module
            if not reuse:
                return failed
            changed = {module.__name__ for module, held in first.values() if state(module) != held}
            if not changed - finder.avoid:
                return failed
            finder.avoid |= changed
    finally:
        sys.meta_path.remove(finder)
        for loaded in [key for key in sys.modules if ours(key)]:
            del sys.modules[loaded]


def _module_name(relative: pathlib.PurePath, package: str = "endpointctl") -> str:
    parts = relative.with_suffix("").parts
    return ".".join((package, *(parts[:-1] if parts[-1] == "__init__" else parts)))


def _import_order(sources: Mapping[pathlib.PurePath, str], package: str = "endpointctl") -> list[str]:
    """Every module, each after what its import loads first (depth first): the order in which
    :func:`_import_each_alone` finds the most to put back. Only a matter of speed, not of what is tested."""
    names = {_module_name(r, package): r for r in sources if r.name != "__main__.py"}  # that one runs the CLI
    imports: dict[str, list[str]] = {}
    for name, relative in names.items():
        found: list[str] = []
        stack: list[ast.AST] = [_parsed(sources[relative])]
        while stack:  # statements only (no expression holds one), and not into functions: their imports
            node = stack.pop()  # run later, if at all
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                stack.extend(
                    child
                    for child in ast.iter_child_nodes(node)
                    if isinstance(child, (ast.stmt, ast.excepthandler, ast.match_case))
                )
            if isinstance(node, ast.Import):
                found += [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = _absolute(node, relative, package)
                found += [base, *(f"{base}.{alias.name}" for alias in node.names)]
        imports[name] = [n for n in found if n in names and n != name]

    def outside(within: str, name: str, seen: set[str]) -> Iterator[str]:
        """What ``name`` imports, through the submodules of ``within`` it imports, outside ``within``."""
        for imported in imports[name]:
            if imported != within and not imported.startswith(within + "."):
                yield imported
            elif imported not in seen:
                seen.add(imported)
                yield from outside(within, imported, seen)

    # A module needs its package first; a package whose __init__ loads submodules needs what they need,
    # and they come after it (they are put back with it).
    needs = {
        name: [name.rpartition(".")[0], *outside(name, name, {name})] if "." in name else imports[name]
        for name in names
    }
    order: list[str] = []
    seen: set[str] = set()

    def visit(name: str) -> None:
        if name not in seen:
            seen.add(name)
            for needed in needs[name]:
                visit(needed)
            order.append(name)

    for name in sorted(needs):
        visit(name)
    return order


def _imported_alone(package: str, order: Sequence[str]) -> dict[str, str]:
    """:func:`_import_each_alone` in a fresh interpreter (this one has loaded the package already)."""
    code = (
        "from __future__ import annotations\nimport json\n"
        f"{inspect.getsource(_import_each_alone)}\n"
        f"print(json.dumps(_import_each_alone({package!r}, {list(order)!r})))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    failed: dict[str, str] = json.loads(result.stdout.strip().splitlines()[-1])
    return failed


def test_every_module_imports_on_its_own() -> None:
    """No circular import, no missing import hidden behind a lucky import order: each module imports into
    a fresh package (see :func:`_import_each_alone` for how this is kept cheap)."""
    sources = _package_sources()
    order = _import_order(sources)
    assert sorted(order) == sorted(_module_name(r) for r in sources if r.name != "__main__.py")
    assert _imported_alone("endpointctl", order) == {}


# Small packages to show that the reusing check fails exactly where importing into a fresh package does.
# ``{p}`` stands for the package's name; each file not given is empty.
_FAKE_PACKAGES: dict[str, tuple[dict[str, str], set[str]]] = {
    "clean, with a package that binds a function over its submodule's name": (
        {
            "__init__.py": "from {p}.main import main\nfrom {p} import helper\n",
            "main.py": "from {p}.helper import twice\n\ndef main():\n    return twice(1)\n",
            "helper.py": "def twice(x):\n    return 2 * x\n",
            "other.py": "from {p}.helper import twice\nVALUE = twice(3)\n",
            "user.py": "import {p}\nimport {p}.other\nassert callable({p}.main)\nX = {p}.other.VALUE\n",
            "sub/inner.py": "Y = 1\n",
            "loads.py": "import {p}.sub.inner\n",
            "late.py": "import {p}.loads\nX = {p}.sub.inner.Y  # loaded by what it imported: fine\n",
        },
        set(),
    ),
    "a submodule reached but never imported": (
        {
            "b.py": "VALUE = 1\n",
            "a.py": "import {p}.b\n",
            "c.py": "import {p}\nVALUE = {p}.b.VALUE\n",
            "d.py": "import {p}\nVALUE = {p}.b.VALUE\nimport {p}.a  # too late\n",
        },
        {"c", "d"},
    ),
    "a cycle": (
        {
            "x.py": "from {p}.y import g\n\ndef f():\n    return 1\n",
            "y.py": "from {p}.x import f\n\ndef g():\n    return 2\n",
        },
        {"x", "y"},
    ),
    "a cycle that only one side may enter": (
        {"x.py": "from {p} import y\n\ndef f():\n    return 1\n", "y.py": "from {p}.x import f\n"},
        {"x"},
    ),
    "a registry another module fills": (
        {
            "reg.py": "HANDLERS = {}\n",
            "plugin.py": "from {p} import reg\nreg.HANDLERS['plugin'] = print\n",
            "user.py": "from {p} import reg\nHANDLER = reg.HANDLERS['plugin']\n",
        },
        {"user"},
    ),
    "a class attribute another module fills": (
        {
            "base.py": "class Plugins:\n    known = []\n",
            "plugin.py": "from {p}.base import Plugins\nPlugins.known.append('two')\n",
            "user.py": "from {p}.base import Plugins\nassert 'two' in Plugins.known\n",
        },
        {"user"},
    ),
    "a click group another module adds to": (
        {
            "group.py": "import click\n\n@click.group()\ndef cli():\n    pass\n",
            "command.py": "from {p}.group import cli\n\n@cli.command()\ndef hello():\n    pass\n",
            "user.py": "from {p}.group import cli\nassert 'hello' in cli.commands\n",
        },
        {"user"},
    ),
    "a registry in a closure": (
        {
            "reg.py": (
                "def _registry():\n    known = []\n\n    def register(name=None):\n"
                "        if name:\n            known.append(name)\n        return known\n\n"
                "    return register\n\nregister = _registry()\n"
            ),
            "plugin.py": "from {p}.reg import register\nregister('plugin')\n",
            "user.py": "from {p}.reg import register\nassert 'plugin' in register()\n",
        },
        {"user"},
    ),
    "a registry five levels down": (
        {
            "reg.py": "HANDLERS = {'a': {'b': {'c': {'d': [[]]}}}}\n",
            "plugin.py": "from {p} import reg\nreg.HANDLERS['a']['b']['c']['d'][0].append(print)\n",
            "user.py": "from {p} import reg\nassert reg.HANDLERS['a']['b']['c']['d'][0]\n",
        },
        {"user"},
    ),
    "a registry in an instance in an instance": (
        {
            "reg.py": (
                "class Box:\n    def __init__(self, inner=None):\n"
                "        self.inner = {} if inner is None else inner\n\nREG = Box(Box())\n"
            ),
            "plugin.py": "from {p} import reg\nreg.REG.inner.inner['plugin'] = print\n",
            "user.py": "from {p} import reg\nassert reg.REG.inner.inner\n",
        },
        {"user"},
    ),
    "a registry in __slots__": (
        {
            "reg.py": (
                "class Reg:\n    __slots__ = ('known',)\n\n    def __init__(self):\n"
                "        self.known = []\n\nREG = Reg()\n"
            ),
            "plugin.py": "from {p} import reg\nreg.REG.known.append('plugin')\n",
            "user.py": "from {p} import reg\nassert reg.REG.known\n",
        },
        {"user"},
    ),
    "a registry in a deque": (
        {
            "reg.py": "import collections\n\nKNOWN = collections.deque()\n",
            "plugin.py": "from {p} import reg\nreg.KNOWN.append('plugin')\n",
            "user.py": "from {p} import reg\nassert reg.KNOWN\n",
        },
        {"user"},
    ),
    "a cache another module's import fills": (
        {
            "reg.py": "import functools\n\n@functools.cache\ndef same(x):\n    return x\n",
            "plugin.py": "from {p} import reg\nreg.same(1)\n",
            "user.py": "from {p} import reg\nassert reg.same.cache_info().currsize\n",
        },
        {"user"},
    ),
    "a singledispatch another module registers with": (
        {
            "show.py": "import functools\n\n@functools.singledispatch\ndef show(x):\n    return x\n",
            "ints.py": "from {p}.show import show\n\n@show.register\ndef _(x: int):\n    return x\n",
            "user.py": "from {p}.show import show\nassert int in show.registry\n",
        },
        {"user"},
    ),
}


@pytest.mark.parametrize("case", _FAKE_PACKAGES)
def test_the_import_check_fails_where_a_fresh_import_does(
    case: str, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reusing check finds the failures that forgetting everything before each import finds, and
    only those, whichever the order."""
    files, failing = _FAKE_PACKAGES[case]
    name = "fake_" + "".join(c if c.isalnum() else "_" for c in tmp_path.name)
    sources: dict[pathlib.PurePath, str] = {}
    for relative, text in {"__init__.py": "", "sub/__init__.py": "", **files}.items():
        sources[pathlib.PurePath(relative)] = text.replace("{p}", name)
        path = tmp_path / name / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(sources[pathlib.PurePath(relative)], encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    order = _import_order(sources, package=name)
    expected = {f"{name}.{module}" for module in failing}
    for each in (order, order[::-1]):
        reused: list[str] = []
        assert set(_import_each_alone(name, each, reused=reused)) == expected, each
        assert set(_import_each_alone(name, each, reuse=False)) == expected, each
        if each is order:  # each module after what it imports: some import is always put back
            assert reused, "nothing was put back: every import ran anew"
    assert not [m for m in sys.modules if m == name or m.startswith(name + ".")]


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
