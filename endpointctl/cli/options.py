"""Shared click options, declared once; light to import (``--help`` loads this), so no engine or hub."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any, TypeVar

import click

from endpointctl.cli.name_completion import complete_names
from endpointctl.core.defaults import MAX_SECONDS, WAIT_TIMEOUT
from endpointctl.core.names import name_problem
from endpointctl.core.settings import OutputMode
from endpointctl.core.targets import Targets

F = TypeVar("F", bound=Callable[..., Any])


class Seconds(click.ParamType[float]):
    """A number of seconds for a timeout: finite, at most a week (``MAX_SECONDS``), and zero or more (more
    than zero with ``positive``). ``nan`` passes FloatRange, and a huge one overflowed the clock later."""

    name = "seconds"

    def __init__(self, *, positive: bool = False) -> None:
        self.positive = positive

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        if isinstance(value, float | int) and not isinstance(value, bool):
            seconds = float(value)
        else:
            try:
                seconds = float(value)
            except (TypeError, ValueError):
                self.fail(f"{value!r} is not a number of seconds", param, ctx)
        low_ok = seconds > 0 if self.positive else seconds >= 0
        if not (math.isfinite(seconds) and low_ok and seconds <= MAX_SECONDS):
            least = "more than 0" if self.positive else "0 or more"
            self.fail(f"{value!r} is not {least} and at most {MAX_SECONDS:.0f} seconds (a week)", param, ctx)
        return seconds


def checked_names(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """NAME arguments that are endpoint names, refused before any call otherwise: huggingface_hub puts a
    name into a URL path as it is, so '..', '/' or '?' would reach another route of the API."""
    for name in (value,) if isinstance(value, str) else value or ():
        if problem := name_problem(name):
            raise click.BadParameter(problem, ctx=ctx, param=param)
    return value


def checked_vendor(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A vendor a manifest could name (case aside, as the catalog is read), refused before any call
    otherwise: a typo (`amazon`) would only filter every row away, as a manifest's is exit 2."""
    if value is None:
        return None
    from endpointctl.core.spec import Vendor  # pydantic: loaded only when the option is given
    from endpointctl.core.suggest import did_you_mean

    vendors = [v.value for v in Vendor]
    if value.casefold() not in vendors:
        said = repr(value) if value.strip() else f"{value!r} (empty: an unset variable?)"
        raise click.BadParameter(
            f"{said} is not one of {', '.join(vendors)}{did_you_mean(value, vendors)}", ctx=ctx, param=param
        )
    return value


def checked_filter(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A filter's value that could match a name: an empty one (what an unset variable leaves) cannot."""
    if value is not None and not value.strip():
        raise click.BadParameter("is empty: give a value, or leave the option out", ctx=ctx, param=param)
    return value


def common(fn: F) -> F:
    """-o/--output and --namespace, on every command."""
    fn = click.option(
        "-o",
        "--output",
        "output",
        type=click.Choice([m.value for m in OutputMode]),
        default=OutputMode.TABLE.value,
        show_default=True,
        help="Output format. wide: every column of status (others: as table); json and yaml are stable; "
        "markdown: a summary line and a table for a pull request or a CI job summary.",
    )(fn)
    fn = click.option(
        "--namespace",
        "namespace",
        metavar="NS",
        help="User or organization. Default: ENDPOINTCTL_NAMESPACE, else the token's user.",
    )(fn)
    return fn


def paths_argument(fn: F) -> F:
    return click.argument("paths", nargs=-1, type=click.Path(), metavar="PATH...")(fn)


def manifest_files(fn: F) -> F:
    return click.option(
        "-f",
        "--file",
        "files",
        multiple=True,
        type=click.Path(),
        metavar="PATH",
        help="Address the endpoints of these manifests (files or directories). Repeatable.",
    )(fn)


def selector_option(fn: F) -> F:
    return click.option(
        "-l",
        "--selector",
        "selector",
        multiple=True,
        metavar="KEY=VALUE",
        help="Only endpoints whose labels match: key=value, comma-separated or repeated, all must match "
        "(a label given two values, or !=, ==, is a usage error).",
    )(fn)


def allow_empty_option(fn: F) -> F:
    return click.option(
        "--allow-empty", is_flag=True, help="Succeed when nothing matches (default: exit 1, to catch typos)."
    )(fn)


def yes(fn: F) -> F:
    return click.option("-y", "--yes", is_flag=True, help="Confirm destructive actions without a prompt.")(fn)


def reconcile(fn: F) -> F:
    """Flags that shape a plan, shared by plan and apply so both show the same thing."""
    for decorator in reversed(
        [
            click.option(
                "--stack", metavar="NAME", help="Tag created endpoints with this stack; scope --prune."
            ),
            click.option("--prune", is_flag=True, help="Delete endpoints of --stack that no manifest names."),
            click.option(
                "--adopt", is_flag=True, help="Take over same-named endpoints endpointctl did not create."
            ),
            click.option(
                "--allow-replace", is_flag=True, help="Allow delete-and-recreate for changes that need it."
            ),
            click.option("--allow-public", is_flag=True, help="Allow security: public without allowPublic."),
            click.option(
                "--rotate-secrets",
                is_flag=True,
                help="Send secret values again on update (they are write-only).",
            ),
        ]
    ):
        fn = decorator(fn)
    return fn


def targets(*, allow_empty: bool, changing: bool = False) -> Callable[[F], F]:
    """NAME..., -f PATH and --selector (and --allow-empty; for commands that change what they select,
    --include-unmanaged), handed to the command as one ``Targets``."""

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def bundled(
            *args: Any,
            names: tuple[str, ...],
            files: tuple[str, ...],
            selector: tuple[str, ...],
            allow_empty: bool = False,
            include_unmanaged: bool = False,
            **kwargs: Any,
        ) -> Any:
            bundle = Targets(names, files, selector, allow_empty, include_unmanaged)
            return fn(*args, targets=bundle, **kwargs)

        wrapped: Any = bundled
        if changing:
            wrapped = click.option(
                "--include-unmanaged",
                is_flag=True,
                help="Let --selector reach endpoints endpointctl does not manage (default: only its own).",
            )(wrapped)
        if allow_empty:
            wrapped = allow_empty_option(wrapped)
        wrapped = selector_option(wrapped)
        wrapped = manifest_files(wrapped)
        result: F = click.argument(
            "names", nargs=-1, metavar="[NAME...]", shell_complete=complete_names, callback=checked_names
        )(wrapped)
        return result

    return decorate


def timeout_option(fn: F) -> F:
    return click.option(
        "--timeout",
        type=Seconds(),
        default=int(WAIT_TIMEOUT),
        show_default=True,
        metavar="SECONDS",
        help="Give up after this long: exit 4, with the last status of every endpoint not ready.",
    )(fn)


def lock_timeout_option(default: float, waits_for: str) -> Callable[[F], F]:
    """``--lock-timeout``, for the commands that take it (apply, schedule run): ``waits_for`` says what."""
    return click.option(
        "--lock-timeout",
        type=Seconds(),
        default=default,
        show_default=True,
        metavar="SECONDS",
        help=f"How long to wait, in all, for {waits_for}; 0: do not wait.",
    )


def wait_option(fn: F) -> F:
    fn = timeout_option(fn)
    return click.option(
        "--wait",
        "wait",
        is_flag=True,
        help="Then wait until the endpoints are ready (running, with a URL, health route answering 200).",
    )(fn)


def no_logs_option(fn: F) -> F:
    return click.option(
        "--no-logs",
        "no_logs",
        is_flag=True,
        help="When a wait ends failed, update-failed or timed out, do not read its last log lines.",
    )(fn)


def epilog(*lines: str) -> str:
    """Every command's help ends with examples."""
    return "\b\nExamples:\n" + "\n".join(f"  {line}" for line in lines)
