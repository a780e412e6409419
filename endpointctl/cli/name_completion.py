"""Endpoint names for shell completion: from the manifests given with ``-f`` so far, then the live list.

The live list (``engine.flows.completion``) is bounded by a short deadline in all, cached a minute, and
silent: a tab press never hangs and never prints an error, it offers the manifests' names alone instead.
Completion runs before any command callback (click resolves the context without invoking it), so the
root flags (``--sandbox``, ``--token``) are read from the root context's parsed values here.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import click
from click.shell_completion import CompletionItem

from endpointctl.cli.invocation import CommandEnv, Invocation
from endpointctl.core.defaults import MAX_SECONDS
from endpointctl.core.errors import EndpointctlError
from endpointctl.core.settings import Settings
from endpointctl.ui.sink import Output

if TYPE_CHECKING:
    from endpointctl.engine.session import Session

# Every flag that completes names is declared with this module's ``complete_names``, so it is imported
# by every command's `--help`: what completing needs (YAML, the engine, the hub) is imported when it runs.
DEADLINE_VARIABLE = "ENDPOINTCTL_COMPLETION_TIMEOUT"


def manifest_names(files: tuple[str, ...]) -> list[str]:
    """The ``metadata.name`` of every document in ``files`` (directories: their *.yaml and *.yml)."""
    import yaml

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


def _deadline(environ: Mapping[str, str]) -> float:
    """ENDPOINTCTL_COMPLETION_TIMEOUT seconds, when it is a positive number; else the default."""
    from endpointctl.engine.flows.completion import DEFAULT_DEADLINE

    try:
        value = float(environ.get(DEADLINE_VARIABLE) or DEFAULT_DEADLINE)
    except ValueError:
        return DEFAULT_DEADLINE
    return value if math.isfinite(value) and 0 < value <= MAX_SECONDS else DEFAULT_DEADLINE


def _live(ctx: click.Context) -> list[str]:
    """The live endpoints' names of the command's namespace; [] when they cannot be read in time."""
    from endpointctl.cli.services import Services
    from endpointctl.engine.flows.completion import live_names
    from endpointctl.engine.name_cache import NameCache, cache_dir

    found = ctx.find_object(Invocation)
    inv = found if found is not None else Invocation(CommandEnv())
    root, environ = ctx.find_root(), inv.env.environ
    deadline = _deadline(environ)
    try:
        settings = Settings.resolve(
            environ,
            sandbox=inv.sandbox or bool(root.params.get("sandbox")),
            namespace=ctx.params.get("namespace"),
            token_flag=inv.token_flag or root.params.get("token_flag"),
            own_environment=inv.env.is_own,
        )
    except EndpointctlError:
        return []  # a bad variable is for the command itself to report, not the tab press
    # No retries, and no request longer than the whole deadline: the worker ends soon after it too.
    settings = replace(settings, request_timeout=deadline, retry_seconds=0.0)

    @contextmanager
    def session() -> Iterator[Session]:
        # Whatever the services would say (the sandbox starting, a retry) goes nowhere.
        silent = Output(stdout=io.StringIO(), stderr=io.StringIO())
        services = Services(inv.env.clock, silent, settings)
        try:
            yield services.session()
        finally:
            services.close()

    api = "sandbox" if settings.sandbox else (settings.api_url or "default").rstrip("/")
    cache = NameCache(cache_dir(environ.get("ENDPOINTCTL_CACHE_DIR")), inv.env.clock)
    return live_names(session, api=api, namespace=settings.namespace, cache=cache, deadline=deadline)


def complete_names(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    files = tuple(ctx.params.get("files") or ())
    names = list(dict.fromkeys([*manifest_names(files), *_live(ctx)]))
    return [CompletionItem(name) for name in names if name.startswith(incomplete)]
