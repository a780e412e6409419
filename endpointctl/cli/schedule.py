"""schedule run, schedule show: the manifests' schedules, applied now (or at --at) and listed ahead."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, TypeVar

import click

from endpointctl.cli import options
from endpointctl.cli.invocation import Invocation, pass_invocation
from endpointctl.cli.options import epilog
from endpointctl.core.defaults import SCHEDULE_LOCK_TIMEOUT
from endpointctl.core.errors import ExitCode, UsageError
from endpointctl.core.settings import OutputMode
from endpointctl.core.targets import Targets

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import ModuleType

    from endpointctl.cli.hooks import CliHooks
    from endpointctl.core.outcomes import ChangeResult
    from endpointctl.core.spec import Desired
    from endpointctl.engine.session import Session
    from endpointctl.ui import schedules as view

F = TypeVar("F", bound="Callable[..., object]")

MAX_DAYS = 366


def _ran_text(inv: Invocation, ran: list[view.Ran], mode: OutputMode) -> str:
    from endpointctl.ui import markdown_reports
    from endpointctl.ui import schedules as view

    if mode.markdown:
        return markdown_reports.schedule_run(ran, scrub=inv.out.redactor.scrub)
    return view.run(ran, mode)


def _instant(value: str | None, flag: str) -> datetime | None:
    """An ISO-8601 instant; one without an offset is refused rather than guessed in some zone."""
    from endpointctl.core.schedule import YEARS

    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        example = "2026-03-30T08:00:00+02:00"
        raise UsageError(f"{flag} {value!r} is not an ISO-8601 instant, e.g. {example}") from None
    if parsed.tzinfo is None:
        raise UsageError(
            f"{flag} {value!r} has no UTC offset; add one (+02:00) or Z, so the instant is not a guess"
        )
    if parsed.year not in YEARS:
        raise UsageError(f"{flag} {value!r} is out of range: the year must be {YEARS[0]} to {YEARS[-1]}")
    return parsed.astimezone(UTC)


@click.group(
    epilog=epilog(
        "endpointctl schedule run manifests/            # every 15 minutes, from cron or CI",
        "endpointctl schedule run manifests/ --dry-run --at 2026-03-30T07:00:00+02:00",
        "endpointctl schedule show manifests/ --days 7",
        "endpointctl schedule hold translate-en-zh --for 12h   # keep it up tonight",
        "endpointctl schedule release translate-en-zh",
    )
)
def schedule() -> None:
    """Run endpoints on their manifests' schedules (spec.schedule); see the README's Schedules."""


@schedule.command(
    "run",
    epilog=epilog(
        "endpointctl schedule run manifests/",
        "endpointctl schedule run manifests/ -o json",
        "endpointctl schedule run manifests/ --dry-run --at 2026-12-24T09:00:00+01:00",
    ),
)
@options.paths_argument
@click.option("--at", "at", metavar="ISO-8601", help="Act as at this instant (with an offset). Default: now.")
@click.option("--dry-run", is_flag=True, help="Show what would be done and change nothing.")
@options.lock_timeout_option(
    SCHEDULE_LOCK_TIMEOUT,
    "endpoints another command on this machine is changing (those still locked then are reported blocked)",
)
@options.common
@pass_invocation
def run_command(
    inv: Invocation,
    paths: tuple[str, ...],
    at: str | None,
    dry_run: bool,
    lock_timeout: float,
    output: str,
    namespace: str | None,
) -> ExitCode:
    """Move each scheduled endpoint to the state its schedule holds now: resume inside a window, pause or
    scale to zero outside. Level-triggered and idempotent: a dropped, late or doubled run is harmless.
    Never creates, deletes or reconfigures an endpoint (only pause, resume, scale-to-zero, and the
    manifest's scaling after a resume). An endpoint that is missing or failed, that another command holds
    locked, or whose namespace cannot be read is reported blocked and exits 1, while the rest converge.
    Interrupted (SIGTERM, Ctrl-C), it starts nothing new and prints every endpoint's record: exit 130."""
    from endpointctl.cli import exits
    from endpointctl.cli.hooks import CliHooks, warn_half_done
    from endpointctl.core.outcomes import ChangeOutcome
    from endpointctl.core.plan import Action
    from endpointctl.core.schedule_plan import scheduled
    from endpointctl.engine.flows import schedule as flow

    inv.out.mode = OutputMode(output)  # so manifest problems come out as asked, too
    when = _instant(at, "--at")
    desired = inv.load(paths)
    if not scheduled(desired):
        inv.out.warn("no manifest has a schedule (spec.schedule): nothing to do")
        inv.out.result(_ran_text(inv, [], OutputMode(output)))
        return ExitCode.OK
    settings = inv.settings(namespace=namespace, output=output)
    session = inv.session(settings)
    hooks = CliHooks(inv.out, inv.env.clock, session.cancel, show_tracebacks=inv.traceback)
    done = flow.run(session, desired, at=when, dry_run=dry_run, hooks=hooks, lock_timeout=lock_timeout)
    inv.out.result(_ran_text(inv, [(move, done.result_of(move)) for move in done.moves], settings.output))
    if done.results is None:  # a dry run: what is missing or failed still fails the run
        blocked = any(move.change.action is Action.BLOCKED for move in done.moves)
        return ExitCode.FAILURE if blocked else ExitCode.OK
    for result in done.results:
        if result.outcome is ChangeOutcome.BLOCKED:
            inv.out.warn(f"{result.change.namespace}/{result.change.name}: {result.error}")
    warn_half_done(inv.out, done.results, show_tracebacks=inv.traceback)
    return exits.for_changes(done.results, interrupted=session.cancel.is_set())


@schedule.command(
    "show",
    epilog=epilog(
        "endpointctl schedule show manifests/",
        "endpointctl schedule show manifests/ --from 2026-12-20T00:00:00+01:00 --days 21 -o json",
    ),
)
@options.paths_argument
@click.option("--from", "start", metavar="ISO-8601", help="From this instant (with an offset). Default: now.")
@click.option(
    "--days", type=click.IntRange(1, MAX_DAYS), default=7, show_default=True, help="How many days ahead."
)
@options.common
@pass_invocation
def show_command(
    inv: Invocation, paths: tuple[str, ...], start: str | None, days: int, output: str, namespace: str | None
) -> ExitCode:
    """List each scheduled endpoint's coming transitions. Offline: no API call."""
    from endpointctl.core.schedule_plan import coming
    from endpointctl.ui import markdown_reports
    from endpointctl.ui import schedules as view

    mode = inv.out.mode = OutputMode(output)
    begin = _instant(start, "--from") or datetime.fromtimestamp(inv.env.clock.wall(), UTC)
    desired = inv.load(paths)
    default_namespace = inv.default_namespace(namespace)
    items = coming(desired, begin, days, default_namespace)
    if mode.markdown:
        inv.out.result(markdown_reports.schedule_show(items, scrub=inv.out.redactor.scrub))
    else:
        inv.out.result(view.show(items, mode))
    return ExitCode.OK


def _names_and_files(fn: F) -> F:
    """NAME... and -f PATH: the endpoints a hold is set on or removed from (no selector: a hold is a
    decision about an endpoint one names)."""
    from endpointctl.cli.name_completion import complete_names

    fn = options.manifest_files(fn)
    named: F = click.argument(
        "names", nargs=-1, metavar="[NAME...]", shell_complete=complete_names, callback=options.checked_names
    )(fn)
    return named


@schedule.command(
    "hold",
    epilog=epilog(
        "endpointctl schedule hold translate-en-zh --for 12h",
        "endpointctl schedule hold translate-en-zh --until 2026-03-27T08:00:00+09:00",
        "endpointctl schedule hold -f manifests/translate-en-zh.yaml --for 1d -o json",
    ),
)
@_names_and_files
@click.option("--until", "until", metavar="ISO-8601", help="Hold until this instant (with an offset).")
@click.option("--for", "duration", metavar="DURATION", help="Hold for this long: 90m, 12h, 1d (at most 7d).")
@options.common
@pass_invocation
def hold_command(
    inv: Invocation,
    names: tuple[str, ...],
    files: tuple[str, ...],
    until: str | None,
    duration: str | None,
    output: str,
    namespace: str | None,
) -> ExitCode:
    """Keep scheduled endpoints awake until an instant (at most 7 days ahead): their schedules' pauses and
    scale-to-zeros are not made until then, by `schedule run`, `apply` or `run`, on any machine (the hold
    is the tag endpointctl-hold=YYYYMMDDTHHMMZ on the endpoint). One asleep is resumed."""
    from endpointctl.core.durations import parse_duration
    from endpointctl.core.hold_tag import hold_until

    inv.out.mode = OutputMode(output)
    targets = _named(names, files, "hold")
    at = datetime.fromtimestamp(inv.env.clock.wall(), UTC)
    try:
        seconds = parse_duration(duration) if duration is not None else None
    except ValueError as error:
        raise UsageError(f"--for {error}") from None
    when = hold_until(at, until=_instant(until, "--until"), seconds=seconds)  # before any API call
    desired = inv.load(targets.files) if targets.files else []
    unscheduled = [d for d in desired if d.spec.schedule is None]
    if unscheduled:
        # Held, it would be resumed, and nothing would ever pause it again: no schedule's stop to suspend.
        first = unscheduled[0]
        raise UsageError(
            f"{first.source}: {first.name} has no schedule (spec.schedule), and a hold only keeps a "
            "schedule's pauses and scale-to-zeros from being made; "
            f"`endpointctl resume {first.name}` wakes it"
        )
    return _retag(
        inv,
        targets,
        desired,
        output,
        namespace,
        at,
        lambda flow, session, hooks: flow.hold(session, targets, desired, when, at, hooks=hooks),
    )


@schedule.command(
    "release",
    epilog=epilog(
        "endpointctl schedule release translate-en-zh",
        "endpointctl schedule release -f manifests/translate-en-zh.yaml -o json",
    ),
)
@_names_and_files
@options.common
@pass_invocation
def release_command(
    inv: Invocation, names: tuple[str, ...], files: tuple[str, ...], output: str, namespace: str | None
) -> ExitCode:
    """Remove the hold from endpoints. It does not pause them: the next `schedule run` (or apply) moves
    each to its schedule's state. An endpoint without a hold succeeds with a note."""
    inv.out.mode = OutputMode(output)
    targets = _named(names, files, "release")
    at = datetime.fromtimestamp(inv.env.clock.wall(), UTC)
    desired = inv.load(targets.files) if targets.files else []
    return _retag(
        inv,
        targets,
        desired,
        output,
        namespace,
        at,
        lambda flow, session, hooks: flow.release(session, targets, desired, at, hooks=hooks),
    )


def _named(names: tuple[str, ...], files: tuple[str, ...], verb: str) -> Targets:
    if not names and not files:  # before any API call
        raise UsageError(f"name the endpoints to {verb}: NAME... or -f PATH")
    return Targets(names, files)


def _retag(
    inv: Invocation,
    targets: Targets,
    desired: list[Desired],
    output: str,
    namespace: str | None,
    at: datetime,
    act: Callable[[ModuleType, Session, CliHooks], list[ChangeResult]],
) -> ExitCode:
    from endpointctl.cli import exits
    from endpointctl.cli.hooks import CliHooks
    from endpointctl.engine.flows import hold as flow

    settings = inv.settings(namespace=namespace, output=output)
    session = inv.session(settings)
    hooks = CliHooks(inv.out, inv.env.clock, session.cancel, show_tracebacks=inv.traceback, holds_at=at)
    results = act(flow, session, hooks)
    return exits.for_changes(results, interrupted=session.cancel.is_set())
