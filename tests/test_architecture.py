"""Guardrails on the shape of the package."""

from __future__ import annotations

import pathlib
import subprocess
import sys

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "endpointctl"
PURE_CORE = [
    "wire",
    "diagnose",
    "models",
    "manifest",
    "diff",
    "plan",
    "render",
    "results",
    "redact",
    "errors",
    "smoke",
    "junit",
]
MODULES = sorted(
    ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    for path in PACKAGE.rglob("*.py")
    if path.name != "__main__.py"
)


@pytest.mark.parametrize("module", PURE_CORE)
def test_pure_core_imports_neither_click_nor_the_sdk_nor_the_network(module: str) -> None:
    code = (
        "import sys\n"
        f"import endpointctl.{module}\n"
        "banned = ('click', 'huggingface_hub', 'httpx2', 'http.client', 'urllib.request')\n"
        "print(','.join(sorted(m for m in banned if m in sys.modules)))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""


@pytest.mark.parametrize("module", MODULES)
def test_every_module_imports_on_its_own(module: str) -> None:
    """No circular imports hiding behind a lucky import order."""
    subprocess.run([sys.executable, "-c", f"import {module}"], check=True, capture_output=True)


def test_only_hub_imports_huggingface_hub() -> None:
    importers = sorted(
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if "import huggingface_hub" in path.read_text() or "from huggingface_hub" in path.read_text()
    )
    assert importers == ["hub/__init__.py", "hub/session.py"]


def _commands() -> list[list[str]]:
    import click

    from endpointctl.cli import cli

    found: list[list[str]] = []

    def walk(group: click.Group, prefix: list[str]) -> None:
        for name, command in group.commands.items():
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
