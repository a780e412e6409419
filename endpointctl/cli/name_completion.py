"""Endpoint names for shell completion: from the manifests given with ``-f`` so far.

Not from the live list: a tab press must not wait on the network or ask for a token.
"""

from __future__ import annotations

from pathlib import Path

import click
import yaml
from click.shell_completion import CompletionItem


def manifest_names(files: tuple[str, ...]) -> list[str]:
    """The ``metadata.name`` of every document in ``files`` (directories: their *.yaml and *.yml)."""
    names: list[str] = []
    for given in files:
        path = Path(given)
        found = sorted([*path.rglob("*.yaml"), *path.rglob("*.yml")]) if path.is_dir() else [path]
        for file in found:
            try:
                documents = list(yaml.safe_load_all(file.read_text(encoding="utf-8")))
            except (OSError, UnicodeError, yaml.YAMLError):
                continue  # completion never fails: an unreadable file just offers nothing
            for doc in documents:
                metadata = doc.get("metadata") if isinstance(doc, dict) else None
                name = metadata.get("name") if isinstance(metadata, dict) else None
                if isinstance(name, str) and name not in names:
                    names.append(name)
    return names


def complete_names(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    files = tuple(ctx.params.get("files") or ())
    return [CompletionItem(name) for name in manifest_names(files) if name.startswith(incomplete)]
